/* SPDX-License-Identifier: MIT */
/*
 * ovfs: the filesystem's single context, created in main.c and passed to
 * libfuse as the session's userdata (fuse_req_userdata()).  Everything
 * the daemon knows hangs off it; there are no mutable globals.
 *
 * Locking: the context's own fields are set before the mount and then only
 * read, except `ns` and `ns_*` (namespace cache, under ns_lock), `fhs` (under
 * fh_lock).  The tree and the backup tracker have their own locks and
 * counters, documented in tree.h, backups.h and restores.h.
 */
#ifndef OVFS_H
#define OVFS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "oci_error.h"
#include "ocivaultfs.h"
#include "region.h"

struct oci_client;
struct tree;
struct backups;
struct restores;
struct drop;
struct fuse_session;
struct ovfs_fh;
struct ovfs_notify;

/* Mount options (-o name=value), see opts.c and docs/ocivaultfs.1. */
struct ovfs_opts {
	char *config; /* config=PATH */
	char *profile; /* profile=NAME */
	char *region; /* region=REGION (overrides the profile's) */
	char *endpoint; /* endpoint=URL */
	char *cacert; /* cacert=PATH */
	char *compartment; /* compartment=OCID */
	char *backup_name; /* backup_name=TEMPLATE */
	char *vault_backup_name; /* vault_backup_name=TEMPLATE */
	char *state_dir; /* state_dir=DIR (the journal; journal.h) */
	unsigned int cache_ttl; /* seconds, default 60 */
	unsigned int retries; /* attempts per call, default 8 */
	unsigned int timeout; /* seconds per HTTP request, default 60 */
	unsigned int listing_timeout; /* seconds per listing or wait, 60 */
	unsigned int write_timeout; /* seconds per write to backup, 30 */
	double rate; /* KMS requests/s per category, default 10 */
	int debug_http; /* trace every request (redacted) */
	/* Hard limits against any server (docs/configuration.md) */
	unsigned int max_pages; /* pages per listing */
	unsigned int max_entries; /* entries per listing */
	unsigned int max_listing_mb; /* one listing while decoded, MiB */
	unsigned int max_cached; /* cached entries (nodes) in all */
	unsigned int max_cache_mb; /* cache heap, MiB */
	unsigned int max_response_kb; /* one response body, KiB */
	unsigned int max_restore_mb; /* one dropped backup file, MiB */
	int show_help;
	int show_version;
	/* an unsigned option whose value was not a number in range
	 * (opts_check() reports it); points into a static table */
	const char *bad_uint;
	int allow_http; /* hidden, tests only */
	/* Mounting (docs/mounting.md) */
	char *source; /* `ocivaultfs SOURCE MOUNTPOINT`: the profile, fsname */
	char *log_file; /* log_file=PATH: messages appended there */
	int overmount; /* overmount: mount on top of an existing mount */
	unsigned int
		umask; /* umask=: bits taken from every mode (never added) */
	char *json_size; /* json_size=VALUE, checked by opts_check() */
	int json_size_cached; /* json_size=cached: a stat never fetches */
	int has_fsname; /* fsname= given: keep it */
	int has_subtype; /* subtype= given: keep it */
	int nonopts; /* non-option words after the source */
	/* Credentials (cred.h, docs/configuration.md "Credentials") */
	char *pass_phrase_command; /* pass_phrase_command=CMD */
	int pass_phrase_stdin; /* pass_phrase_stdin */
	int check; /* --check: report what the credentials see, no mount */
};

struct ovfs {
	struct ovfs_opts opts;
	struct logger log;
	struct oci_client *client;
	struct tree *tree;
	struct backups *backups;
	struct restores *restores; /* key and vault restores */
	struct drop *drop; /* the files of the drop directories (drop.h) */
	struct fuse_session *se; /* set after fuse_session_new() */
	struct ovfs_notify *notify; /* entry invalidations (ops.c): set in
				       the session's init, cleared when
				       stopped (ovfs_notify_stop) */
	uid_t uid;
	gid_t gid;
	int64_t mount_time;
	char root_id[OVFS_OCID_MAX]; /* compartment at the mount's root */
	char root_name[OVFS_NAME_MAX];
	char endpoint_host[300]; /* host[:port] of opts.endpoint or "" */
	const char *template; /* backup_name or the default */

	pthread_mutex_t ns_lock;
	char ns[OVFS_NS_MAX]; /* Object Storage namespace, "" unknown */
	/* Single flight of GetNamespace (ovfs.c), all under ns_lock. */
	pthread_cond_t ns_cond; /* a lookup finished; CLOCK_MONOTONIC */
	bool ns_cond_ready; /* ns_cond initialized (on first use) */
	bool ns_busy; /* a lookup is in flight */
	unsigned int ns_flights; /* lookups finished */
	int ns_ret; /* the last failed one: -errno, error */
	struct oci_error ns_err;

	/* Open file handles (ops.c), so that those still open when the
	 * session ends are wiped and freed: libfuse releases none of them. */
	pthread_mutex_t fh_lock;
	struct ovfs_fh *fhs;
};

/*
 * The tenancy's Object Storage namespace (GetNamespace once, then cached).
 * `ns` has size OVFS_NS_MAX.  0 or -errno (with `err` filled).  Single
 * flight: concurrent callers share one lookup and its result, failure
 * included; they wait at most as long as that call may take (retries x
 * (timeout + 31 s)), else -ETIMEDOUT.  The next caller after a failure
 * looks it up again.  `err` NULL: the cached namespace only, -EAGAIN when
 * it is not known yet (never a call).
 */
int ovfs_namespace(struct ovfs *o, char *ns, struct oci_error *err);

/*
 * tree_opts.on_stale of a mount (ops.c): drop what the kernel caches for
 * `path` (its inode with fuse_lowlevel_notify_inval_inode(), its entry
 * with fuse_lowlevel_notify_inval_entry() from a thread of its own).
 * `arg` is the struct ovfs.  A no-op before fuse_session_new() and once
 * the session is ending.  Safe from any thread
 * holding no tree lock, FUSE workers included (see ops.c).
 */
void ovfs_invalidate(void *arg, const char *path, bool names);

/* True once the FUSE session is ending (unmount, signal). */
bool ovfs_exiting(struct ovfs *o);

#endif /* OVFS_H */
