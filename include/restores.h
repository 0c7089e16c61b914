/* SPDX-License-Identifier: MIT */
/*
 * restores: key and vault restores (RestoreKeyFromObjectStore,
 * RestoreKeyFromFile, RestoreVaultFromObjectStore, RestoreVaultFromFile),
 * their tracking, and the text of `restore-status`, `restore-wait` and
 * their lines in .ocivaultfs/backups (docs/restore.md).
 *
 * Where a restore goes is a tree node: a vault (a key restore into that
 * vault: the vault's `restore`, `restore-status`, `restore-wait`,
 * `restore.d/`) or a compartment (a vault restore into it: the
 * compartment's `restore-vault`, ... `restore-vault.d/`).
 *
 * Unlike backups (one job per key), a node may have several restores in
 * flight at once (`cp a.backup b.backup restore.d/`): each write or dropped
 * file is one restore operation.  An operation moves
 *
 *   submitting -> accepted -> in_progress -> succeeded | failed
 *             \-> failed (refused locally, or OCI refused it)
 *
 * "succeeded" means checked: the work request said SUCCEEDED (or, without
 * the Work Requests API, the resource left RESTORING) AND a fresh Get of
 * the restored key (vault) shows it ENABLED or DISABLED (ACTIVE) in the
 * node it was restored into.  Then its listing is invalidated at once
 * (tree_invalidate()) so that the restored key (vault) appears without
 * waiting for cache_ttl.
 *
 * Reading status never touches the network.  No lock is held during API
 * calls.  Memory: an operation holds only its strings (allocated to fit);
 * finished operations beyond RESTORES_KEEP per node are forgotten, oldest
 * first (their history stays in the journal when there is one).
 */
#ifndef RESTORES_H
#define RESTORES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct oci_client;
struct oci_error;
struct journal;
struct tree;
struct tree_node;
struct restores;
struct logger;

/* Finished operations kept per node for `restore-status`. */
#define RESTORES_KEEP 8
/* Default bound of a dropped backup file (max_restore_mb=64). */
#define RESTORES_FILE_MAX (64u << 20)

/* What the restores need, given at creation (as struct backups_opts). */
struct restores_opts {
	struct oci_client *client;
	struct tree *tree;
	const struct logger *log;
	/* The Object Storage namespace (cached by the caller). */
	int (*get_namespace)(void *arg, char *ns, struct oci_error *err);
	/* True once the mount is going away. */
	bool (*exiting)(void *arg);
	void *arg;
	const char *endpoint_host; /* host[:port] of `endpoint`, or NULL */
	struct journal *journal; /* NULL for none */
	uint64_t write_timeout_ms; /* one submission's bound; 0: 30 s */
	size_t max_file_bytes; /* 0: RESTORES_FILE_MAX */
};

int restores_new(struct restores **out, const struct restores_opts *opts);
/* Allow / stop the tracker threads (start in the daemon, after fork). */
int restores_start(struct restores *r);
void restores_stop(struct restores *r);
void restores_free(struct restores *r);

/*
 * A write of `len` bytes to `restore` (node: a vault) or `restore-vault`
 * (node: a compartment): the same target grammar as `backup` (bucket/
 * object, oci://, object PAR URL, a BackupLocation in JSON; blank and
 * '#' lines ignored), naming the backup object to restore.  Returns 0
 * when the data held no target or when OCI accepted the restore, else a
 * negative errno (docs/errors.md: EEXIST the key/vault exists, ENOENT no
 * such object, EINVAL a corrupt or foreign backup, ...), recorded in the
 * node's restore status.  Bounded like backups_submit().
 */
int restores_submit(struct restores *r, struct tree_node *where,
		    const char *data, size_t len,
		    bool (*interrupted)(void *arg), void *arg);

/*
 * A complete file `name` of `len` bytes dropped into `restore.d/`
 * (node: a vault) or `restore-vault.d/` (node: a compartment): upload it
 * with RestoreKeyFromFile / RestoreVaultFromFile (content-length and
 * content-md5 set; the bytes are carried exactly).  Refused locally
 * (EFBIG over max_file_bytes, EINVAL for an empty file) before any call.
 * Returns as restores_submit().  `bytes` stays the caller's.
 */
int restores_submit_file(struct restores *r, struct tree_node *where,
			 const char *name, const unsigned char *bytes,
			 size_t len, bool (*interrupted)(void *arg), void *arg);

/* The node's `restore-status` text: the operations in flight and the
 * latest finished ones, newest first (no network). */
int restores_status(struct restores *r, struct tree_node *where,
		    struct buf *out);

/*
 * `restore-wait`: block while any restore into the node is in flight;
 * `interrupted(arg)` is polled every 100 ms.  Fills the final status.
 * 0 when none of the operations it waited for failed (and when there was
 * nothing to wait for), -EIO when one failed, -EINTR when interrupted or
 * the mount is going away.
 */
int restores_wait(struct restores *r, struct tree_node *where,
		  bool (*interrupted)(void *arg), void *arg, struct buf *out);

/* Lines of .ocivaultfs/backups for the restores (kind "key-restore" or
 * "vault-restore"), in the format of backups_list(). */
int restores_list(struct restores *r, struct buf *out);

/* The `help` text an editor shows when it opens `restore`/`restore-vault`
 * (no network). */
int restores_help(struct restores *r, struct tree_node *where, struct buf *out);

#endif /* RESTORES_H */
