/* SPDX-License-Identifier: MIT */
/*
 * drop: the files of the drop directories (`vault/restore.d/`,
 * `compartment/restore-vault.d/`), held in memory until they are complete
 * and then handed to a submit callback (restores_submit_file()); see
 * docs/restore.md, "Drop directories".
 *
 * An entry is a name in one drop directory (a tree node: the vault or the
 * compartment) with its bytes (a secret buffer: wiped on growth and when
 * freed, bounded by opts.max_file_bytes, EFBIG beyond).  It is submitted
 *  - at a flush (close(2)) after data was written through any handle,
 *    when its name is visible (does not start with '.');
 *  - when a hidden entry is renamed to a visible name (GLib's
 *    `.goutputstream-XXXXXX`, editors, rsync).
 * An entry that was never written (created and closed empty) is not
 * submitted and stays, empty; one that was written and is empty when
 * complete is refused with EINVAL.  A refused submission removes the
 * entry at once; an accepted one leaves it listed read-only for
 * DROP_LINGER_MS (so that `install` and `gio copy` can set attributes
 * after close), then it disappears.
 *
 * Inode numbers are DROP_INO_BASE + a sequence number, never reused; the
 * tree's numbers (ops.c) stay far below.
 *
 * Locking: one lock guards the table and every entry; it is never held
 * during the submit callback (the entry is then marked submitting, which
 * refuses writes and renames with EBUSY).  Handles are reference counted,
 * so an entry removed (unlink, submitted) while open stays valid for its
 * handles until drop_release().
 */
#ifndef DROP_H
#define DROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tree_node;
struct drop;
struct drop_entry;

#define DROP_INO_BASE (1ULL << 62)
/* Entries in all drop directories of a mount, at most (ENOSPC beyond). */
#define DROP_ENTRIES_MAX 64
/* Longest entry name (ENAMETOOLONG beyond). */
#define DROP_NAME_MAX 255
/* How long an accepted entry stays listed. */
#define DROP_LINGER_MS 10000

typedef int (*drop_submit_fn)(void *arg, struct tree_node *where,
			      const char *name, const unsigned char *bytes,
			      size_t len, bool (*interrupted)(void *iarg),
			      void *iarg);

struct drop_opts {
	size_t max_file_bytes; /* one entry; > 0 */
	size_t max_total_bytes; /* all entries; 0: 4 x max_file_bytes */
	drop_submit_fn submit;
	void *arg;
	int64_t (*now_ms)(void); /* NULL: CLOCK_MONOTONIC */
};

/* What stat shows of an entry. */
struct drop_attr {
	uint64_t ino;
	size_t size;
	bool readonly; /* accepted, lingering */
	int64_t mtime; /* wall seconds */
};

int drop_new(struct drop **out, const struct drop_opts *opts);
/* Frees every entry, handles included (the session is over). */
void drop_free(struct drop *d);

static inline bool drop_is_ino(uint64_t ino)
{
	return ino >= DROP_INO_BASE;
}

/* 0 or -ENOENT. */
int drop_lookup(struct drop *d, struct tree_node *dir, const char *name,
		struct drop_attr *a);
int drop_getattr(struct drop *d, uint64_t ino, struct drop_attr *a);
/* The directory an entry is in (for ".."), or NULL. */
struct tree_node *drop_dir_of(struct drop *d, uint64_t ino);

/*
 * Call fn for each entry of `dir`, with the table's lock held: fn must
 * not call back into drop.  Stops at the first nonzero result, returned.
 */
int drop_readdir(struct drop *d, struct tree_node *dir,
		 int (*fn)(void *arg, const char *name,
			   const struct drop_attr *a),
		 void *arg);

/*
 * Open `name` in `dir` for writing, creating it (`create`; -EEXIST with
 * `excl` when it exists), emptying it with `trunc`.  *fh is a reference
 * for drop_release().  -EINVAL for a bad name ('/', "." or ".."),
 * -ENAMETOOLONG, -ENOSPC (DROP_ENTRIES_MAX), -ENOENT (no such entry and
 * not `create`), -EACCES (accepted, read-only), -EBUSY (submitting).
 */
int drop_open(struct drop *d, struct tree_node *dir, const char *name,
	      bool create, bool excl, bool trunc, struct drop_entry **fh,
	      struct drop_attr *a);
/* The same by inode number (open(2) of an existing entry). */
int drop_open_ino(struct drop *d, uint64_t ino, bool trunc,
		  struct drop_entry **fh, struct drop_attr *a);

/* Write at any offset (a hole reads as zeros).  -EFBIG past the bound,
 * -ENOSPC past the mount's total, -EBUSY/-EACCES as drop_open. */
int drop_write(struct drop *d, struct drop_entry *fh, const void *buf,
	       size_t size, uint64_t off);
/* Set the size (zeros when growing); by handle, or by inode when fh is
 * NULL. */
int drop_truncate(struct drop *d, struct drop_entry *fh, uint64_t ino,
		  uint64_t size);
/* An attribute change other than the size (chmod, chown, times): 0 for
 * an entry, -ENOENT for none. */
int drop_touch(struct drop *d, uint64_t ino);

/*
 * A close(2) of a handle: submits the entry when it is visible and was
 * written since it was last complete (see above), returning the submit
 * callback's result (or -EINVAL for an empty one); 0 when nothing was to
 * be done.
 */
int drop_flush(struct drop *d, struct drop_entry *fh,
	       bool (*interrupted)(void *iarg), void *iarg);
/* Drop the handle's reference. */
void drop_release(struct drop *d, struct drop_entry *fh);

/*
 * rename(2) within one drop directory; `noreplace`: -EEXIST when the new
 * name exists.  A hidden entry renamed to a visible name is submitted
 * (result as drop_flush(); on failure it is gone).  A replaced entry is
 * removed.
 */
int drop_rename(struct drop *d, struct tree_node *dir, const char *name,
		const char *newname, bool noreplace,
		bool (*interrupted)(void *iarg), void *iarg);
/* 0 or -ENOENT; -EBUSY while submitting. */
int drop_unlink(struct drop *d, struct tree_node *dir, const char *name);

#endif /* DROP_H */
