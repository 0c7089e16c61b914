/* SPDX-License-Identifier: MIT */
/*
 * tree: the directory tree of a mount and the listing cache behind it
 * (docs/ocivaultfs.md, "The tree").
 *
 *   /                          the root compartment (opts.compartment or
 *     id                       the tenancy)
 *     compartments/<name>/     child compartments, same shape, recursively
 *     restore-vault, restore-vault-status, restore-vault-wait,
 *     restore-vault.d/         vault restores into this compartment
 *     vaults/<name>/           vaults of this compartment
 *         id, vault.json
 *         backup, status, status.json, wait   vault backup (BackupVault)
 *         restore, restore-status, restore-wait,
 *         restore.d/           key restores into this vault
 *         keys/<name>/         keys of the vault in the vault's compartment
 *             id, key.json, backup, status, status.json, wait, history
 *     .ocivaultfs/             (root only) stats, backups, history
 *
 * Nodes: every compartment, vault and key ever seen gets one `struct
 * tree_node`, found by OCID, that lives until the tree is freed.  Pointers
 * to nodes therefore never dangle during a mount.  A node holds the latest
 * known resource (from a list call, or a Get) and, for compartments and
 * vaults, the cached listings of its children.
 *
 * Listings are fetched with one list call (all pages) and cached for
 * `cache_ttl` seconds; all attributes come from them, so `ls -l` makes no
 * per-entry call.  A lookup of a name that is absent from a fresh listing,
 * and of any name that cannot exist (fixed directories), is answered
 * locally.  A listing has one fetch at a time (single flight); a stale
 * one is served meanwhile, and a failed refresh keeps serving it (logged).
 * Resources in DELETED or DELETING state are hidden.
 *
 * A listing refresh that drops, renames or adds an entry (an added name
 * may be cached by the kernel as absent), and a resource whose attributes
 * changed (its packed record differs), are reported through
 * tree_opts.on_stale so that the kernel's cache can be invalidated; st_mtime
 * is given by tree_path_mtime.
 *
 * Fetches run on the tree's own refresher threads (at most
 * TREE_REFRESHERS, started on demand, stopped by tree_stop()), never on
 * the caller's: a stale listing is served at once and refreshed in the
 * background (stale-while-revalidate; at most one fetch per listing), so
 * resolving a path through stale listings never waits.  Only a listing
 * never fetched, and key.json/vault.json (GetKey/GetVault), make the
 * caller wait: on a condition variable, for at most listing_timeout, and
 * only until its `struct tree_wait` is cancelled (a FUSE interrupt), when
 * it gets -EINTR while the fetch completes in the background for the next
 * caller.  A refresh that fails keeps the previous listing, at once: the
 * retries happen on the refresher.
 *
 * Locking: `tree.lock` protects the OCID index; each node's `lock` protects
 * its resource fields and listings.  No lock is held during API calls or
 * callbacks.  Lock order: never hold two node locks at once.
 */
#ifndef TREE_H
#define TREE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "model.h"
#include "names.h"

struct oci_client;
struct clock;
struct logger;

enum tree_kind {
	TREE_COMPARTMENT,
	TREE_VAULT,
	TREE_KEY,
};

/* Child listings of a node. */
enum tree_list {
	TREE_LIST_COMPARTMENTS = 0, /* of a compartment */
	TREE_LIST_VAULTS = 1, /* of a compartment */
	TREE_LIST_KEYS = 0, /* of a vault */
};

struct tree_dir;
struct tree_rec;

/*
 * A compartment, vault or key.  Memory layout (see docs/HACKING.md, "Tree
 * memory"): the node is one allocation sized to its OCID; the resource is
 * a separate packed record of the strings its kind has (each allocated to
 * fit), replaced as a whole on update; the sticky file name is one more
 * small allocation; only compartments and vaults carry a `dir` (listings
 * and the single-flight condition variable).  Everything but `id`,
 * `parent` and `kind` is private to tree.c: use the accessors below.
 */
struct tree_node {
	struct tree_node *parent; /* key: vault; vault, compartment:
				     compartment (NULL for the root) */
	struct tree_node *hash_next; /* tree.lock */
	struct tree_dir *dir; /* compartments and vaults, else NULL */
	struct tree_rec *rec; /* the latest known resource (lock) */
	char *naming; /* "file name\0display name it came from\0" (lock),
			    NULL until listed; sticky for the mount */
	int64_t updated; /* wall time the resource was last seen to change */
	uint64_t listed_gen; /* listing generation that last included it */
	pthread_mutex_t lock;
	uint32_t index; /* dense, from 0 (the root), fixed: tree_node_at */
	unsigned char kind; /* enum tree_kind */
	bool hidden; /* not in the parent's current listing, or deleted */
	/* Length of the JSON of the last GetKey/GetVault (lock) and when
	 * (monotonic ms, 0 never): the size key.json/vault.json report. */
	uint32_t json_len;
	uint64_t json_ms;
	uint64_t json_fail_ms; /* monotonic time of the last failed fetch */
	char id[]; /* the OCID: fixed, readable without the lock */
};

struct tree;

/*
 * A caller's wait for the network, which another thread may cancel.  The
 * caller owns it (on its stack), initializes it with tree_wait_init(),
 * hands it to the calls below and may have tree_wait_cancel() called on
 * it, from any thread, until the call returned (libfuse's interrupt
 * callback: see fs/ops.c).  A cancelled wait makes the call return -EINTR
 * within ~100 ms; whatever it waited for goes on in the background.  NULL
 * where a wait is taken: not cancellable, still bounded.  The fields are
 * private.
 */
struct tree_wait {
	atomic_bool cancelled;
	_Atomic(pthread_cond_t *) cond; /* the condition the waiter sleeps on */
};

void tree_wait_init(struct tree_wait *w);
/* Cancel `w` and wake its waiter; async-safe w.r.t. the tree's locks. */
void tree_wait_cancel(struct tree_wait *w);

/* Refresher threads at most (each runs one fetch at a time). */
#define TREE_REFRESHERS 8
/* Default of tree_opts.listing_timeout, seconds. */
#define TREE_LISTING_TIMEOUT 60

/* What a path names. */
enum tree_what {
	TW_COMPARTMENT, /* a compartment directory (root included) */
	TW_COMPARTMENTS, /* <compartment>/compartments */
	TW_VAULTS, /* <compartment>/vaults */
	TW_VAULT, /* a vault directory */
	TW_KEYS, /* <vault>/keys */
	TW_KEY, /* a key directory */
	TW_ID, /* id (of a compartment, vault or key) */
	TW_VAULT_JSON,
	TW_KEY_JSON,
	TW_BACKUP,
	TW_STATUS,
	TW_STATUS_JSON, /* status.json: `status` as one JSON object */
	TW_WAIT,
	TW_CTL, /* /.ocivaultfs */
	TW_CTL_STATS,
	TW_CTL_BACKUPS,
	TW_HISTORY, /* <key>/history */
	TW_CTL_HISTORY, /* /.ocivaultfs/history */
	/*
	 * Restores (docs/restore.md).  In a vault they restore keys into it
	 * (`restore`, `restore-status`, `restore-wait`, drop directory
	 * `restore.d`); in a compartment they restore vaults into it
	 * (`restore-vault`, `restore-vault-status`, `restore-vault-wait`,
	 * `restore-vault.d`).  The node says which: a vault or a compartment.
	 * TW_BACKUP, TW_STATUS and TW_WAIT of a vault are its vault backup.
	 */
	TW_RESTORE,
	TW_RESTORE_STATUS,
	TW_RESTORE_WAIT,
	TW_DROP, /* a drop directory (its entries are the FUSE layer's) */
	TW_LAST = TW_DROP,
};

struct tree_path {
	enum tree_what what;
	struct tree_node *node; /* compartment, vault or key concerned */
};

#define TREE_DEFAULT_MAX_NODES 1000000u
#define TREE_DEFAULT_MAX_BYTES (512ull << 20)

/* The control directory at the root. */
#define TREE_CTL_NAME ".ocivaultfs"

/*
 * What the tree needs, given at creation (it reaches into nothing else).
 * The callbacks are called without any tree lock held, from whichever
 * thread caused the event: a refresher (listings, key.json/vault.json), or
 * a caller of tree_update_key (a backup tracker or FUSE worker); never
 * after tree_stop() returned.
 */
struct tree_opts {
	struct oci_client *client; /* list and get calls */
	const struct clock *clock; /* NULL: the client's */
	const struct logger *log;
	unsigned int cache_ttl; /* seconds a listing stays fresh */
	/*
	 * Cache limits (0: the defaults): a listing that would make the
	 * tree hold more than `max_nodes` nodes, or that comes while its
	 * heap (tree_stats().bytes) is over `max_bytes`, fails with
	 * -ENOBUFS (a refresh keeps serving the previous listing).
	 */
	uint64_t max_nodes;
	uint64_t max_bytes;
	/*
	 * Seconds a caller waits for a first listing or a Get (then
	 * -ETIMEDOUT and a log line); 0: TREE_LISTING_TIMEOUT.  The client's
	 * own bound on a listing (oci_client_opts.list_timeout_ms) should be
	 * the same, so the abandoned fetch ends and frees its memory too.
	 */
	unsigned int listing_timeout;
	const char *root_id; /* the compartment at the root */
	const char *root_name;
	/* A key was listed (with its summary); may be NULL. */
	void (*on_key_seen)(void *arg, struct tree_node *key,
			    const struct oci_key *k);
	/* A vault was listed (with its summary); may be NULL. */
	void (*on_vault_seen)(void *arg, struct tree_node *vault,
			      const struct oci_vault *v);
	/*
	 * What the kernel may have cached for `path` (absolute within the
	 * mount: "/", "/vaults/v/keys/k/status") is out of date: an entry
	 * left a listing or was renamed, a resource's attributes changed, a
	 * listing's set of names changed (then `path` is the listing's
	 * directory), a name was added to a listing (`path` is the new
	 * entry: the kernel may hold it as absent).  `names`: the name of
	 * `path` went away, means another resource or is new (invalidate
	 * the kernel's entry); else only attributes changed (invalidate
	 * the inode only: an entry invalidation of a directory would cut
	 * off a shell whose working directory it is).  May be NULL.
	 */
	void (*on_stale)(void *arg, const char *path, bool names);
	void *arg; /* of the callbacks */
};

/*
 * Create the tree of a mount.  0, -EINVAL (no root_id) or -ENOMEM.  No
 * thread is started before the first fetch (so a fork after tree_new,
 * e.g. fuse_daemonize(), loses none).
 */
int tree_new(struct tree **out, const struct tree_opts *opts);
/*
 * Stop the refreshers: fetches not begun are dropped (their waiters get
 * -ECANCELED), the ones under way are waited for (oci_client_cancel()
 * first makes that prompt), and no callback is called after it returns.
 * Later fetches fail with -ECANCELED; stale listings are still served.
 * Idempotent; tree_free() calls it.
 */
void tree_stop(struct tree *t);
void tree_free(struct tree *t);

struct tree_node *tree_root(struct tree *t);

/*
 * Resolve an absolute path ("/", "/vaults/v1/keys/k/status").  Waits only
 * for listings never fetched (bounded, not cancellable); stale ones are
 * served and refreshed in the background.  0, -ENOENT, -ENOTDIR,
 * -ETIMEDOUT, or the errno of a failed first fetch (e.g. -EACCES for a
 * compartment the user may not read).
 */
int tree_resolve(struct tree *t, const char *path, struct tree_path *out);

/*
 * One step: the entry `name` of directory `dir` (waiting like
 * tree_resolve, cancellable through `w`, which may be NULL).  0, -ENOENT,
 * -ENOTDIR, -ENAMETOOLONG, -EINTR, -ETIMEDOUT or the errno of a failed
 * first fetch.
 */
int tree_lookup(struct tree *t, const struct tree_path *dir, const char *name,
		struct tree_path *out, struct tree_wait *w);

/*
 * Like tree_resolve, but only through the listings already held: never
 * fetches, waits for no fetch and counts nothing (for invalidation, from
 * on_stale, where a fetch could wait for the very listing being
 * installed).  0 or -ENOENT/-ENOTDIR.
 */
int tree_resolve_cached(struct tree *t, const char *path,
			struct tree_path *out);

/*
 * How much longer (ms) the answer to a lookup in directory `dir` stays
 * what it is now without a refresh: UINT64_MAX for the fixed directories
 * (their names never change), the remaining freshness of the listing for
 * listing directories (0 when stale).
 */
uint64_t tree_fresh_ms(struct tree *t, const struct tree_path *dir);

/*
 * Nodes are numbered densely from 0 (the root) in creation order; the
 * number never changes and, nodes living as long as the tree, is never
 * reused.  tree_node_at() maps a number back (NULL: no such node); it
 * takes no lock.
 */
uint32_t tree_node_index(const struct tree_node *n);
struct tree_node *tree_node_at(struct tree *t, uint64_t index);

/* The node of resource `id` of `kind` if one was ever made, else NULL. */
struct tree_node *tree_node_find(struct tree *t, enum tree_kind kind,
				 const char *id);
/* True for directory kinds of tree_what. */
bool tree_is_dir(enum tree_what w);
/* True for the files readdir does not list (the `wait` files): they are
 * reached by name only. */
bool tree_is_unlisted(enum tree_what w);

/*
 * Call `fill` for every entry of directory `p` (a stale listing is served
 * and refreshed in the background; a first one waited for like
 * tree_lookup, through `w`).  Entries come with their attributes (see
 * tree_stat).
 */
typedef int (*tree_fill_fn)(void *arg, const char *name,
			    const struct tree_path *p);
int tree_readdir(struct tree *t, const struct tree_path *p, tree_fill_fn fill,
		 void *arg, struct tree_wait *w);

/*
 * Snapshot of a node's resource under its lock: copies whichever of
 * comp/vault/key matches the kind (without the json).  For callers that
 * need consistent fields.
 */
void tree_node_key(struct tree_node *n, struct oci_key *out);
void tree_node_vault(struct tree_node *n, struct oci_vault *out);
void tree_node_compartment(struct tree_node *n, struct oci_compartment *out);
void tree_node_name(struct tree_node *n, char out[NAMES_MAX + 1]);
/* Wall time the node's resource was last seen to change. */
int64_t tree_node_mtime(struct tree_node *n);
/*
 * st_mtime and st_ctime of a path, 0 for "since the mount".  A listing
 * directory (compartments/, vaults/, keys/): both when a name came or went
 * after its first fetch.  A compartment, vault or key directory: mtime
 * when its resource was last seen to change, ctime never (its entries are
 * fixed), so that tar, which compares a directory's ctime before and after
 * reading it, does not report it "changed as we read it" because a record
 * got fresher meanwhile.  A file of a node: both with its resource.
 */
void tree_path_times(const struct tree_path *p, int64_t *mtime, int64_t *ctime);
/* Vault node of a key node, compartment node of a vault node. */
struct tree_node *tree_node_parent(struct tree_node *n);

/*
 * Install a fresher copy of a key (from GetKey or BackupKey) into its
 * node.  `etag` may be NULL; it is not kept (nothing reads it).
 */
void tree_update_key(struct tree *t, struct tree_node *n,
		     const struct oci_key *k, const char *etag);

/* The same for a vault (from GetVault, ListVaults or BackupVault). */
void tree_update_vault(struct tree *t, struct tree_node *n,
		       const struct oci_vault *v);

/* Mark a node's listings stale, so the next access refetches them. */
void tree_invalidate(struct tree_node *n);

/*
 * Fetch listing `which` (enum tree_list) of `n` now and wait for it (as
 * for a first listing: bounded by listing_timeout, cancellable through
 * `w`), so that a resource just made appears at once; a fetch already
 * under way is waited for and followed by a new one.  The change is
 * reported through on_stale as for any refresh.  0 or the fetch's errno,
 * -EINTR, -ETIMEDOUT.  Not from a refresher or a callback.
 */
int tree_refresh(struct tree *t, struct tree_node *n, int which,
		 struct tree_wait *w);
/*
 * For opendir: refresh the listing of directory `p` if stale (like
 * tree_readdir) and say whether its entries are unchanged since the
 * previous call for the same directory (*unchanged; always true for the
 * fixed directories), i.e. whether the kernel may keep serving readdir
 * from its cache.  0, -EINTR, -ETIMEDOUT or the errno of a failed first
 * fetch.
 */
int tree_opendir(struct tree *t, const struct tree_path *p, bool *unchanged,
		 struct tree_wait *w);

/*
 * The path of a node relative to the mount point
 * ("compartments/A/vaults/V/keys/K").  Appends to `out`.
 */
int tree_node_path(struct tree_node *n, struct buf *out);

/*
 * Fetch the resource afresh (GetKey / GetVault) and return its JSON as the
 * API returned it, pretty-printed, appended to `out`; updates the node.
 * The call runs on a refresher (concurrent callers for one node share
 * it); the caller waits as for a first listing: -EINTR when `w` is
 * cancelled, -ETIMEDOUT after listing_timeout, else the call's result.
 * `max_age_ms` > 0: a text fetched at most that long ago is returned
 * without a call (the read that follows the stat of key.json: one GetKey
 * for both; the last TREE_RECENT_JSON texts are kept).
 */
#define TREE_RECENT_JSON 16
int tree_fetch_json(struct tree *t, struct tree_node *n, struct buf *out,
		    uint64_t max_age_ms, struct tree_wait *w);

/*
 * The length of the JSON the last tree_fetch_json() of `n` returned, if
 * that was less than cache_ttl ago (`any_age`: whenever; 0 when never):
 * 0 and *len, else -ENOENT.  Never waits (the size `stat` reports for
 * key.json and vault.json).
 */
int tree_json_len(struct tree *t, struct tree_node *n, bool any_age,
		  size_t *len);
/* While fetches of a node's JSON fail, tree_json_len() answers with the
 * last length known (0 if none) for this long after a failure, so that a
 * stat (ls -l) in an outage never waits for the network again. */
#define TREE_JSON_QUIET_MS 60000

/* Counters for the stats file. */
struct tree_stats {
	uint64_t nodes;
	uint64_t listings_fetched;
	uint64_t fetch_failures;
	uint64_t cache_hits; /* lookups/readdirs served from a listing */
	uint64_t cache_misses; /* listings fetched (or attempted) */
	uint64_t probes; /* lookups answered locally (ENOENT) */
	uint64_t bytes; /* heap held by nodes, records and listings */
};
void tree_stats(struct tree *t, struct tree_stats *out);
/* The tree's lines of .ocivaultfs/stats ("name: value"), appended. */
int tree_stats_render(struct tree *t, struct buf *out);

#endif /* TREE_H */
