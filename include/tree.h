/* SPDX-License-Identifier: MIT */
/*
 * tree: the directory tree of a mount and the listing cache behind it
 * (docs/ocivaultfs.md, "The tree").
 *
 *   /                          the root compartment (opts.compartment or
 *     id                       the tenancy)
 *     compartments/<name>/     child compartments, same shape, recursively
 *     vaults/<name>/           vaults of this compartment
 *         id, vault.json
 *         keys/<name>/         keys of the vault in the vault's compartment
 *             id, key.json, backup, status, wait
 *     .ocivaultfs/             (root only) stats, backups
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
 * locally.  Concurrent requests for the same stale listing wait for one
 * fetch (single flight); a failed refresh keeps serving the previous
 * listing (logged) when there is one.  Resources in DELETED or DELETING
 * state are hidden.
 *
 * Locking: `tree.lock` protects the OCID index; each node's `lock` protects
 * its resource fields and listings.  No lock is held during API calls.
 * Lock order: never hold two node locks at once.
 */
#ifndef TREE_H
#define TREE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "model.h"
#include "names.h"
#include "oci_error.h"

struct ovfs;

enum tree_kind {
	TREE_COMPARTMENT,
	TREE_VAULT,
	TREE_KEY,
};

/* Child listings of a node. */
enum tree_list {
	TREE_LIST_COMPARTMENTS = 0, /* of a compartment */
	TREE_LIST_VAULTS = 1,       /* of a compartment */
	TREE_LIST_KEYS = 0,         /* of a vault */
};

struct tree_node;

struct tree_child {
	char name[NAMES_MAX + 1];
	struct tree_node *node;
};

struct tree_listing {
	bool valid;          /* fetched at least once */
	bool fetching;       /* a fetch is under way (single flight) */
	uint64_t fetched_ms; /* monotonic time of the last success */
	int last_errno;      /* of the last failed fetch, 0 after success */
	struct oci_error last_error;
	struct tree_child *v; /* sorted by name */
	size_t n;
};

struct tree_node {
	enum tree_kind kind;
	char id[OVFS_OCID_MAX];
	struct tree_node *parent; /* key: vault; vault, compartment:
				     compartment (NULL for the root) */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* listing fetch finished */
	/* Naming, sticky for the mount (names.h). */
	char name[NAMES_MAX + 1];
	char named_display[OVFS_NAME_MAX];
	bool hidden; /* not in the parent's current listing, or deleted */
	uint64_t listed_gen; /* listing generation that last included it */
	/* The latest known resource; the member matching `kind` is valid. */
	struct oci_compartment comp;
	struct oci_vault vault;
	struct oci_key key;
	char etag[OVFS_ETAG_MAX];
	int64_t updated; /* wall time of the last update of the resource */
	struct tree_listing lists[2];
	struct tree_node *hash_next;
};

struct tree;

/* What a path names. */
enum tree_what {
	TW_COMPARTMENT,      /* a compartment directory (root included) */
	TW_COMPARTMENTS,     /* <compartment>/compartments */
	TW_VAULTS,           /* <compartment>/vaults */
	TW_VAULT,            /* a vault directory */
	TW_KEYS,             /* <vault>/keys */
	TW_KEY,              /* a key directory */
	TW_ID,               /* id (of a compartment, vault or key) */
	TW_VAULT_JSON,
	TW_KEY_JSON,
	TW_BACKUP,
	TW_STATUS,
	TW_WAIT,
	TW_CTL,              /* /.ocivaultfs */
	TW_CTL_STATS,
	TW_CTL_BACKUPS,
};

struct tree_path {
	enum tree_what what;
	struct tree_node *node; /* compartment, vault or key concerned */
};

/* The control directory at the root. */
#define TREE_CTL_NAME ".ocivaultfs"

/*
 * Create the tree for a mount whose root is the compartment `root_id`
 * (named `root_name`).  0 or -ENOMEM.
 */
int tree_new(struct tree **out, struct ovfs *o, const char *root_id,
	     const char *root_name);
void tree_free(struct tree *t);

struct tree_node *tree_root(struct tree *t);

/*
 * Resolve an absolute path ("/", "/vaults/v1/keys/k/status").  May fetch
 * stale listings.  0, -ENOENT, -ENOTDIR, or the errno of a failed fetch
 * (e.g. -EACCES for a compartment the user may not read).
 */
int tree_resolve(struct tree *t, const char *path, struct tree_path *out);

/* True for directory kinds of tree_what. */
bool tree_is_dir(enum tree_what w);

/*
 * Call `fill` for every entry of directory `p` (refreshing a stale
 * listing).  Entries come with their attributes (see tree_stat).
 */
typedef int (*tree_fill_fn)(void *arg, const char *name,
			    const struct tree_path *p);
int tree_readdir(struct tree *t, const struct tree_path *p, tree_fill_fn fill,
		 void *arg);

/*
 * Snapshot of a node's resource under its lock: copies whichever of
 * comp/vault/key matches the kind (without the json).  For callers that
 * need consistent fields.
 */
void tree_node_key(struct tree_node *n, struct oci_key *out);
void tree_node_vault(struct tree_node *n, struct oci_vault *out);
void tree_node_compartment(struct tree_node *n, struct oci_compartment *out);
void tree_node_name(struct tree_node *n, char out[NAMES_MAX + 1]);
/* Vault node of a key node, compartment node of a vault node. */
struct tree_node *tree_node_parent(struct tree_node *n);

/*
 * Install a fresher copy of a key (from GetKey or BackupKey) into its
 * node.  `etag` may be NULL.
 */
void tree_update_key(struct tree *t, struct tree_node *n,
		     const struct oci_key *k, const char *etag);

/* Mark a node's listings stale, so the next access refetches them. */
void tree_invalidate(struct tree_node *n);

/*
 * The path of a node relative to the mount point
 * ("compartments/A/vaults/V/keys/K").  Appends to `out`.
 */
int tree_node_path(struct tree_node *n, struct buf *out);

/*
 * Fetch the resource afresh (GetKey / GetVault) and return its JSON as the
 * API returned it, pretty-printed, in `out`; updates the node.
 */
int tree_fetch_json(struct tree *t, struct tree_node *n, struct buf *out);

/* Counters for the stats file. */
struct tree_stats {
	uint64_t nodes;
	uint64_t listings_fetched;
	uint64_t fetch_failures;
};
void tree_stats(struct tree *t, struct tree_stats *out);

#endif /* TREE_H */
