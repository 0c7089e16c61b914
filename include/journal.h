/* SPDX-License-Identifier: MIT */
/*
 * journal: the durable, append-only record of every backup started from
 * this machine, per tenancy and profile (docs/ocivaultfs.md, "Journal and
 * history"), and the `history` files made from it.
 *
 * Where: $XDG_STATE_HOME/ocivaultfs/ (default ~/.local/state/ocivaultfs/,
 * or the mount option state_dir=), directory made 0700, files 0600:
 *
 *   NAME.journal     the current file        NAME = sanitised tenancy
 *   NAME.journal.1   the previous one               OCID, profile name and
 *   NAME.lock        flock()ed by the mount          a hash of both
 *
 * Format: one record per line, tab-separated `name=value` fields (`\\`,
 * `\t`, `\n`, `\r` escaped as backslash sequences, other control bytes as
 * `\xHH`), the last field `#` and the FNV-1a 32 hash of the bytes before
 * the tab in front of it, in 8 lowercase hex digits:
 *
 *   r=begin	id=7	t=1764780000	key=ocid1.key...	path=...	...	#1a2b3c4d
 *
 * `r` is `begin` (a new entry, with its fields) or `set` (fields of entry
 * `id` change).  Fields: t (wall seconds of the record), key, path,
 * target (PAR tokens redacted), ns, bucket, object, token (the
 * opc-retry-token), wr (work request), req (opc-request-id), state,
 * submitted, finished, errno (its name), code, msg, kind (what was done:
 * absent for a key backup, else vault-backup, key-restore, vault-restore).  Unknown fields and
 * record types are ignored; a line that does not end in a newline or
 * whose hash does not match (a torn write) is skipped with one log line,
 * never fatal.  An entry is unfinished while its state is submitting,
 * accepted or in_progress.
 *
 * Rotation: when the current file reaches `max_bytes` (or twice what was
 * carried over last time, whichever is more), it becomes NAME.journal.1
 * (the older one is dropped) and the new file starts with one `begin`
 * record for every unfinished entry (carried over), fsynced before the
 * rename.  In memory the entries of both files are kept (history).
 *
 * Concurrent mounts of one tenancy and profile: the first holds the lock
 * file; a second one opens the journal read-only (journal_read_only()):
 * it shows the history as it was at its start, resumes nothing, and its
 * own backups are not journaled (logged once at open).
 *
 * Locking: one mutex inside the journal guards everything; every function
 * may be called from any thread, also with a caller's lock held (the
 * journal calls nothing outside itself).  Disk I/O: journal_accepted()
 * fsyncs without holding the mutex; journal_begin/journal_set/
 * journal_refused only write(2) (page cache) under the mutex; a rotation
 * writes and fsyncs a new file under it.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

struct logger;
struct journal;

/* Rotation threshold when journal_opts.max_bytes is 0: 1 MiB. */
#define JOURNAL_MAX_BYTES (1024u * 1024u)

struct journal_opts {
	const char *dir; /* NULL or "": $XDG_STATE_HOME/ocivaultfs */
	const char *tenancy; /* OCID, required */
	const char *profile; /* required */
	const struct logger *log;
	uint64_t max_bytes; /* rotation threshold; 0: JOURNAL_MAX_BYTES */
	/* fsync(2) by default; tests count and fail it. */
	int (*fsync_fn)(int fd);
};

/*
 * Open (create) the journal and load both files.  0, or -errno with a
 * reason in `why` (the directory cannot be made, a file cannot be
 * opened).  A journal held by another mount is not a failure: it opens
 * read-only.
 */
int journal_open(struct journal **out, const struct journal_opts *opts,
		 char *why, size_t why_n);
void journal_free(struct journal *j);

bool journal_read_only(const struct journal *j);
/* The current file's path (fixed for the journal's life). */
const char *journal_path(const struct journal *j);

/*
 * A backup attempt, as recorded.  Strings are "" when unknown; `target`
 * must already be redacted (the journal redacts PAR URLs again anyway).
 */
struct journal_entry {
	uint64_t id;
	int64_t submitted, finished; /* wall seconds, 0 unknown */
	const char *state; /* "submitting", "accepted", ... */
	const char *key, *path, *target;
	const char *ns, *bucket, *object;
	const char *token, *wr, *request_id;
	const char *errno_name, *code, *message;
	/* "key-backup" ("" in older records), "vault-backup",
	 * "key-restore", "vault-restore" */
	const char *kind;
};

/*
 * A backup is about to be submitted: record it (state "submitting")
 * and return its id in *id.  0 or -errno when it could not be written
 * (the caller then refuses the backup: no call without a record).  A
 * read-only journal returns 0 with *id = 0; every call with id 0 is a
 * no-op.
 */
int journal_begin(struct journal *j, const struct journal_entry *e,
		  uint64_t *id);

/*
 * BackupKey accepted it: record the work request and request id (state
 * "accepted") and fsync.  0 or -errno (write or fsync failed; the entry
 * is updated in memory anyway).
 */
int journal_accepted(struct journal *j, uint64_t id, int64_t t, const char *wr,
		     const char *request_id);

/*
 * A state change or the final result (state and, when it failed, errno
 * name, code, message, request id; NULL or "" fields are not written).
 * Written, not fsynced: a lost final record only means the backup is
 * looked up again (its work request) at the next mount.  The entry in
 * memory is updated even when the write fails.
 */
void journal_set(struct journal *j, uint64_t id, int64_t t, const char *state,
		 int64_t finished, const char *errno_name, const char *code,
		 const char *message, const char *request_id);

/* A write refused before any call, as one finished entry. */
void journal_refused(struct journal *j, const struct journal_entry *e);

/*
 * Call `fn` for every unfinished entry, oldest first, with a copy that
 * lives for the call only (no journal lock held during it).  Returns the
 * first non-zero result of `fn`, or -ENOMEM.
 */
int journal_each_unfinished(struct journal *j,
			    int (*fn)(void *arg, const struct journal_entry *e),
			    void *arg);

/* True when an entry of key `key` is unfinished. */
bool journal_in_flight(struct journal *j, const char *key);

/* The last successful backup of a key or vault, as journaled. */
struct journal_success {
	int64_t finished; /* wall seconds, 0 unknown */
	char object[1024]; /* NS/BUCKET/OBJECT, else the redacted target */
	char wr[256]; /* work request, "" unknown */
};

/*
 * The latest entry of key (or vault) OCID `key` that succeeded (a backup,
 * never a restore), copied into *out: 0, or -ENOENT when there is none.
 * No disk I/O.
 */
int journal_last_success(struct journal *j, const char *key,
			 struct journal_success *out);

/*
 * History lines (docs/ocivaultfs.md, "history"), oldest first, of key
 * `key` or of every key (NULL), appended to `out`:
 *
 *   SUBMITTED STATE PATH OBJECT WORK_REQUEST FINISHED ERRNO CODE KIND
 *
 * tab-separated, "-" for an empty field, times RFC 3339, fields escaped
 * as in the file.  No disk I/O.  0, -ENOMEM or -EMSGSIZE.
 */
int journal_history(struct journal *j, const char *key, struct buf *out);

/* ---- pure helpers, unit-tested ----------------------------------------- */

/* The file name stem NAME for a tenancy and profile (only [A-Za-z0-9._-]). */
int journal_name(const char *tenancy, const char *profile, char *out, size_t n);

/* Append `s` escaped (backslash sequences, as in the file) to `out`. */
int journal_escape(struct buf *out, const char *s);

#endif /* JOURNAL_H */
