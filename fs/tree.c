/* SPDX-License-Identifier: MIT */
/*
 * tree: path resolution and the listing cache; see include/tree.h.
 *
 * Memory: a tenancy of 100,000 keys must fit in a few hundred MiB, so
 * nothing here is sized for the worst case.  A node is one allocation
 * sized to its OCID; its resource is a `struct tree_rec` holding only the
 * strings of its kind, packed end to end (the fixed-size `struct oci_*`
 * records of model.h are rebuilt from it on demand by the accessors); the
 * JSON of list calls is not kept (key.json and vault.json are fetched
 * afresh).  A listing is one reference-counted allocation: the sorted
 * child array followed by the names, so readdir walks it without the lock
 * and without copying.
 *
 * Fetches: every list and Get call of the tree runs on a refresher thread
 * (see "refreshers" below), so that a caller only ever waits on a
 * condition variable, which it can leave (interrupt, listing_timeout)
 * while the fetch goes on.  Stale listings are served without waiting.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "names.h"
#include "oci.h"
#include "oci_error.h"
#include "tree.h"
#include "banned.h"

#define TREE_HASH_SIZE 4096
/* After a failed refresh, serve the old listing this long before retrying. */
#define TREE_RETRY_MS 5000
/* A waiter checks for cancellation and its deadline at least this often. */
#define TREE_WAIT_SLICE_MS 100
/* A refresher with nothing to do for this long ends. */
#define TREE_REFRESHER_IDLE_MS 5000
#define TREE_PATH_MAX (64u << 10)
/*
 * Node index table: chunks of 32 slots (256 bytes, 8 per node) allocated
 * on demand, never moved or freed before the tree; 4M nodes at most.  The
 * table of chunks (1 MiB) is touched only as far as it is used.
 */
#define TREE_IDX_BITS 5
#define TREE_IDX_CHUNK (1u << TREE_IDX_BITS)
#define TREE_IDX_CHUNKS (1u << 17)

/* ---- compact resource records ---------------------------------------- */

/* One string member of a model.h struct: where it is and its array size. */
struct rec_field {
	unsigned short off, size;
};

#define RF(type, f)                                       \
	{                                                 \
		offsetof(type, f), sizeof(((type *)0)->f) \
	}

/* The strings kept per kind (the OCID is the node's own `id`). */
static const struct rec_field comp_fields[] = {
	RF(struct oci_compartment, compartment_id),
	RF(struct oci_compartment, name),
	RF(struct oci_compartment, description),
	RF(struct oci_compartment, time_created),
	RF(struct oci_compartment, lifecycle_state),
};

static const struct rec_field vault_fields[] = {
	RF(struct oci_vault, compartment_id),
	RF(struct oci_vault, display_name),
	RF(struct oci_vault, crypto_endpoint),
	RF(struct oci_vault, management_endpoint),
	RF(struct oci_vault, lifecycle_state),
	RF(struct oci_vault, vault_type),
	RF(struct oci_vault, time_created),
	RF(struct oci_vault, wrappingkey_id),
	RF(struct oci_vault, time_of_deletion),
	RF(struct oci_vault, restored_from_vault_id),
};

static const struct rec_field key_fields[] = {
	RF(struct oci_key, compartment_id),
	RF(struct oci_key, vault_id),
	RF(struct oci_key, display_name),
	RF(struct oci_key, lifecycle_state),
	RF(struct oci_key, protection_mode),
	RF(struct oci_key, algorithm),
	RF(struct oci_key, time_created),
	RF(struct oci_key, current_key_version),
	RF(struct oci_key, curve_id),
	RF(struct oci_key, time_of_deletion),
	RF(struct oci_key, restored_from_key_id),
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* The flags of a record: the booleans of the model structs. */
enum {
	REC_PRIMARY = 1, /* is_primary */
	REC_HAS_PRIMARY = 2, /* has_is_primary */
	REC_SUMMARY = 4, /* summary */
	REC_ACCESSIBLE = 8, /* is_accessible */
	REC_HAS_ACCESSIBLE = 16 /* has_is_accessible */
};

struct tree_rec {
	int64_t length; /* keys: keyShape.length */
	uint32_t size; /* bytes of s[] */
	unsigned char flags;
	char s[]; /* the kind's fields in table order, NUL-terminated */
};

/* Pack the fields of `res` (a model struct); NULL when out of memory. */
static struct tree_rec *rec_pack(const struct rec_field *f, size_t nf,
				 const void *res, int64_t length,
				 unsigned int flags)
{
	const char *base = res;
	struct tree_rec *r;
	size_t len = 0;
	char *p;

	for (size_t i = 0; i < nf; i++)
		len += strnlen(base + f[i].off, f[i].size - 1u) + 1;
	r = malloc(sizeof(*r) + len);
	if (!r)
		return NULL;
	r->length = length;
	r->size = (uint32_t)len;
	r->flags = (unsigned char)flags;
	p = r->s;
	for (size_t i = 0; i < nf; i++) {
		size_t l = strnlen(base + f[i].off, f[i].size - 1u);

		memcpy(p, base + f[i].off, l);
		p[l] = '\0';
		p += l + 1;
	}
	return r;
}

/* Unpack into `res` (zeroed by the caller); a NULL record leaves it so. */
static void rec_unpack(const struct rec_field *f, size_t nf,
		       const struct tree_rec *r, void *res)
{
	char *base = res;
	const char *p;

	if (!r)
		return;
	p = r->s;
	for (size_t i = 0; i < nf; i++) {
		size_t l = strlen(p);

		/* Packed from an array of the same size: it fits. */
		memcpy(base + f[i].off, p, l + 1);
		p += l + 1;
	}
}

static bool rec_equal(const struct tree_rec *a, const struct tree_rec *b)
{
	return a && b && a->length == b->length && a->flags == b->flags &&
	       a->size == b->size && !memcmp(a->s, b->s, a->size);
}

/*
 * Whether `b` tells a different story than `a` (what moves a node's
 * mtime and ctime).  A summary (from a listing) lacks some fields of the
 * full record (from a Get): between a summary and a full record only the
 * fields both carry are compared, so that reading key.json after a listing
 * does not look like a change (tar and rsync report "file changed as we
 * read it" when the ctime of a directory moves during their walk).
 */
static bool rec_differs(const struct tree_rec *a, const struct tree_rec *b)
{
	const char *pa, *pb, *ea, *eb;

	if (!a || !b)
		return a != b;
	if (!((a->flags | b->flags) & REC_SUMMARY))
		return !rec_equal(a, b);
	if ((a->flags ^ b->flags) & ~(unsigned int)REC_SUMMARY &
	    ~(unsigned int)(REC_PRIMARY | REC_HAS_PRIMARY))
		return true;
	if (a->length && b->length && a->length != b->length)
		return true;
	pa = a->s;
	pb = b->s;
	ea = a->s + a->size;
	eb = b->s + b->size;
	while (pa < ea && pb < eb) {
		if (*pa && *pb && strcmp(pa, pb))
			return true;
		pa += strlen(pa) + 1;
		pb += strlen(pb) + 1;
	}
	return false;
}

static size_t rec_bytes(const struct tree_rec *r)
{
	return r ? sizeof(*r) + r->size : 0;
}

static unsigned int flag(bool v, unsigned int f)
{
	return v ? f : 0;
}

static struct tree_rec *rec_of_comp(const void *res)
{
	const struct oci_compartment *c = res;

	return rec_pack(comp_fields, NFIELDS(comp_fields), c, 0,
			flag(c->is_accessible, REC_ACCESSIBLE) |
				flag(c->has_is_accessible, REC_HAS_ACCESSIBLE));
}

static struct tree_rec *rec_of_vault(const void *res)
{
	const struct oci_vault *v = res;

	return rec_pack(vault_fields, NFIELDS(vault_fields), v, 0,
			flag(v->is_primary, REC_PRIMARY) |
				flag(v->has_is_primary, REC_HAS_PRIMARY) |
				flag(v->summary, REC_SUMMARY));
}

static struct tree_rec *rec_of_key(const void *res)
{
	const struct oci_key *k = res;

	return rec_pack(key_fields, NFIELDS(key_fields), k, k->length,
			flag(k->is_primary, REC_PRIMARY) |
				flag(k->has_is_primary, REC_HAS_PRIMARY) |
				flag(k->summary, REC_SUMMARY));
}

/* ---- listings --------------------------------------------------------- */

struct tree_child {
	const char *name; /* into the same struct tree_kids allocation */
	struct tree_node *node;
};

/* An immutable snapshot of a listing, shared by readers (refs). */
struct tree_kids {
	atomic_uint refs;
	size_t n;
	size_t bytes;
	struct tree_child v[]; /* sorted by name; the names follow */
};

struct tree_listing {
	struct tree_kids *kids; /* NULL: empty (lock) */
	uint64_t fetched_ms; /* monotonic time of the last success */
	uint32_t version; /* bumped when the set of names changes */
	int64_t changed; /* wall time of the last change of names, or 0 */
	uint32_t opened; /* version last reported by tree_opendir */
	int last_errno; /* of the last failed fetch, 0 after success */
	uint32_t done_seq; /* bumped when a fetch ends (waiters) */
	bool valid; /* fetched at least once */
	bool fetching; /* a fetch is queued or under way: one at most */
	bool denied_told; /* "not accessible" logged (once, until a success) */
};

struct tree_dir {
	pthread_cond_t cond; /* a listing fetch finished (CLOCK_MONOTONIC) */
	struct tree_listing lists[2];
};

static void kids_put(struct tree_kids *k)
{
	if (k && atomic_fetch_sub(&k->refs, 1) == 1)
		free(k);
}

/* The current listing, with a reference (NULL: empty or none). */
static struct tree_kids *kids_get(struct tree_node *n, int which)
{
	struct tree_kids *k;

	pthread_mutex_lock(&n->lock);
	k = n->dir->lists[which].kids;
	if (k)
		atomic_fetch_add(&k->refs, 1);
	pthread_mutex_unlock(&n->lock);
	return k;
}

/* ---- the tree ---------------------------------------------------------- */

struct tree {
	struct oci_client *client;
	const struct clock *clock;
	const struct logger *log;
	uint64_t ttl_ms;
	uint64_t max_nodes, max_bytes; /* cache limits, see tree_opts */
	void (*on_vault_seen)(void *arg, struct tree_node *vault,
			      const struct oci_vault *v);
	void (*on_key_seen)(void *arg, struct tree_node *key,
			    const struct oci_key *k);
	void (*on_stale)(void *arg, const char *path, bool names);
	void *arg;
	pthread_mutex_t lock; /* the index */
	struct tree_node *hash[TREE_HASH_SIZE];
	struct tree_node *root;
	/* index -> node (tree_node_at); written under `lock`, read without */
	_Atomic(struct tree_node *) *_Atomic idx[TREE_IDX_CHUNKS];
	uint32_t next_index; /* lock */
	atomic_ullong nodes;
	atomic_ullong fetched;
	atomic_ullong failures;
	atomic_ullong cache_hits;
	atomic_ullong cache_misses;
	atomic_ullong probes;
	atomic_llong bytes;
	atomic_ullong generation; /* of listings, see install() */
	uint64_t wait_ms; /* listing_timeout */
	/* The refreshers: all fields below are guarded by rq_lock. */
	pthread_mutex_t rq_lock;
	pthread_cond_t rq_cond; /* a job was queued, or stop (MONOTONIC) */
	pthread_cond_t json_cond; /* a JSON job finished (CLOCK_MONOTONIC) */
	struct tree_job *rq_head, *rq_tail;
	size_t queued; /* jobs in the queue */
	struct tree_job *json; /* JSON jobs not finished (jnext) */
	/* The last few JSON texts fetched, for a read that follows a stat
	 * (tree_fetch_json()'s max_age_ms). */
	struct recent_json {
		struct tree_node *node; /* NULL: free slot */
		char *text;
		size_t len;
		uint64_t ms; /* monotonic time of the fetch */
	} recent[TREE_RECENT_JSON];
	unsigned int recent_next;
	struct refresher {
		struct tree *t;
		pthread_t thread;
		bool used; /* started, not joined yet */
		bool done; /* and it has ended (join it before reuse) */
	} slots[TREE_REFRESHERS];
	unsigned int nthreads, idle; /* live ones, idle ones */
	bool stop;
};

static uint64_t now_ms(struct tree *t)
{
	return clock_mono_ms(t->clock);
}

static int64_t wall_now(struct tree *t)
{
	return clock_wall_s(t->clock);
}

static void account(struct tree *t, long long delta)
{
	atomic_fetch_add(&t->bytes, delta);
}

static unsigned int hash_id(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % TREE_HASH_SIZE;
}

static size_t node_bytes(const struct tree_node *n)
{
	size_t b = sizeof(*n) + strlen(n->id) + 1;

	if (n->dir)
		b += sizeof(*n->dir);
	return b;
}

static struct tree_node *node_new(enum tree_kind kind, const char *id,
				  struct tree_node *parent)
{
	size_t len = strnlen(id, OVFS_OCID_MAX);
	struct tree_node *n;

	if (len >= OVFS_OCID_MAX)
		return NULL;
	n = calloc(1, sizeof(*n) + len + 1);
	if (!n)
		return NULL;
	n->kind = (unsigned char)kind;
	n->parent = parent;
	memcpy(n->id, id, len + 1);
	if (kind != TREE_KEY) {
		n->dir = calloc(1, sizeof(*n->dir));
		if (!n->dir)
			goto fail;
		if (clock_cond_init(&n->dir->cond))
			goto fail;
	}
	if (pthread_mutex_init(&n->lock, NULL)) {
		if (n->dir)
			pthread_cond_destroy(&n->dir->cond);
		goto fail;
	}
	return n;
fail:
	free(n->dir);
	free(n);
	return NULL;
}

static void node_free(struct tree_node *n)
{
	if (n->dir) {
		for (int i = 0; i < 2; i++)
			kids_put(n->dir->lists[i].kids);
		pthread_cond_destroy(&n->dir->cond);
		free(n->dir);
	}
	free(n->rec);
	free(n->naming);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

struct tree_node *tree_node_find(struct tree *t, enum tree_kind kind,
				 const char *id)
{
	struct tree_node *n;

	pthread_mutex_lock(&t->lock);
	for (n = t->hash[hash_id(id)]; n; n = n->hash_next)
		if (n->kind == kind && !strcmp(n->id, id))
			break;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* Find or create the node of `id`; the parent of an existing node is kept. */
static struct tree_node *node_get(struct tree *t, enum tree_kind kind,
				  const char *id, struct tree_node *parent)
{
	unsigned int h = hash_id(id);
	struct tree_node *n;

	pthread_mutex_lock(&t->lock);
	for (n = t->hash[h]; n; n = n->hash_next)
		if (n->kind == kind && !strcmp(n->id, id))
			break;
	if (!n && t->next_index < TREE_IDX_CHUNKS * TREE_IDX_CHUNK) {
		uint32_t i = t->next_index;
		_Atomic(struct tree_node *) *chunk =
			atomic_load(&t->idx[i >> TREE_IDX_BITS]);

		if (!chunk) {
			chunk = calloc(TREE_IDX_CHUNK, sizeof(*chunk));
			if (chunk) {
				atomic_store(&t->idx[i >> TREE_IDX_BITS],
					     chunk);
				account(t, (long long)(TREE_IDX_CHUNK *
						       sizeof(*chunk)));
			}
		}
		n = chunk ? node_new(kind, id, parent) : NULL;
		if (n) {
			n->index = i;
			t->next_index++;
			atomic_store(&chunk[i & (TREE_IDX_CHUNK - 1)], n);
			n->hash_next = t->hash[h];
			t->hash[h] = n;
			atomic_fetch_add(&t->nodes, 1);
			account(t, (long long)node_bytes(n));
		}
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

int tree_new(struct tree **out, const struct tree_opts *opts)
{
	struct oci_compartment c = {0};
	struct tree *t;

	*out = NULL;
	if (!opts->root_id || !opts->root_id[0])
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->client = opts->client;
	t->clock = opts->clock ? opts->clock : oci_client_clock(opts->client);
	t->log = opts->log;
	t->ttl_ms = (uint64_t)opts->cache_ttl * 1000;
	t->max_nodes =
		opts->max_nodes ? opts->max_nodes : TREE_DEFAULT_MAX_NODES;
	t->max_bytes =
		opts->max_bytes ? opts->max_bytes : TREE_DEFAULT_MAX_BYTES;
	t->wait_ms = (uint64_t)(opts->listing_timeout ? opts->listing_timeout
						      : TREE_LISTING_TIMEOUT) *
		     1000;
	t->on_key_seen = opts->on_key_seen;
	t->on_vault_seen = opts->on_vault_seen;
	t->on_stale = opts->on_stale;
	t->arg = opts->arg;
	if (pthread_mutex_init(&t->lock, NULL)) {
		free(t);
		return -ENOMEM;
	}
	if (pthread_mutex_init(&t->rq_lock, NULL))
		goto fail_lock;
	if (clock_cond_init(&t->rq_cond))
		goto fail_rq_lock;
	if (clock_cond_init(&t->json_cond))
		goto fail_rq_cond;
	t->root = node_get(t, TREE_COMPARTMENT, opts->root_id, NULL);
	if (!t->root)
		goto fail;
	if (!opts->root_name ||
	    buf_copy(c.name, sizeof(c.name), opts->root_name))
		buf_copy(c.name, sizeof(c.name), "root");
	buf_copy(c.lifecycle_state, sizeof(c.lifecycle_state), "ACTIVE");
	t->root->rec = rec_of_comp(&c);
	if (!t->root->rec)
		goto fail;
	account(t, (long long)rec_bytes(t->root->rec));
	t->root->updated = wall_now(t);
	*out = t;
	return 0;
fail:
	tree_free(t);
	return -ENOMEM;
fail_rq_cond:
	pthread_cond_destroy(&t->rq_cond);
fail_rq_lock:
	pthread_mutex_destroy(&t->rq_lock);
fail_lock:
	pthread_mutex_destroy(&t->lock);
	free(t);
	return -ENOMEM;
}

void tree_free(struct tree *t)
{
	if (!t)
		return;
	tree_stop(t);
	for (size_t i = 0; i < TREE_HASH_SIZE; i++) {
		struct tree_node *n = t->hash[i], *next;

		for (; n; n = next) {
			next = n->hash_next;
			node_free(n);
		}
	}
	for (size_t i = 0; i < TREE_IDX_CHUNKS; i++)
		free((void *)atomic_load(&t->idx[i]));
	for (size_t i = 0; i < TREE_RECENT_JSON; i++)
		free(t->recent[i].text);
	pthread_cond_destroy(&t->json_cond);
	pthread_cond_destroy(&t->rq_cond);
	pthread_mutex_destroy(&t->rq_lock);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct tree_node *tree_root(struct tree *t)
{
	return t->root;
}

uint32_t tree_node_index(const struct tree_node *n)
{
	return n->index;
}

struct tree_node *tree_node_at(struct tree *t, uint64_t index)
{
	_Atomic(struct tree_node *) *chunk;

	if (index >= (uint64_t)TREE_IDX_CHUNKS * TREE_IDX_CHUNK)
		return NULL;
	chunk = atomic_load(&t->idx[index >> TREE_IDX_BITS]);
	return chunk ? atomic_load(&chunk[index & (TREE_IDX_CHUNK - 1)]) : NULL;
}

bool tree_is_dir(enum tree_what w)
{
	switch (w) {
	case TW_COMPARTMENT:
	case TW_COMPARTMENTS:
	case TW_VAULTS:
	case TW_VAULT:
	case TW_KEYS:
	case TW_KEY:
	case TW_CTL:
	case TW_DROP:
		return true;
	default:
		return false;
	}
}

static bool state_hidden(const char *state)
{
	return !strcmp(state, "DELETED") || !strcmp(state, "DELETING");
}

/* ---- the kernel's view: stale paths ------------------------------------ */

static const char *const comp_entries[] = {"id",
					   "compartments",
					   "vaults",
					   "restore-vault",
					   "restore-vault-status",
					   "restore-vault-wait",
					   "restore-vault.d",
					   NULL};
static const char *const vault_entries[] = {
	"id",		"vault.json", "keys",
	"backup",	"status",     "status.json",
	"wait",		"restore",    "restore-status",
	"restore-wait", "restore.d",  NULL};
static const char *const key_entries[] = {"id",	     "key.json",    "backup",
					  "status",  "status.json", "wait",
					  "history", NULL};
static const char *const ctl_entries[] = {"stats", "backups", "history", NULL};

static const char *const *fixed_entries(enum tree_kind kind)
{
	return kind == TREE_KEY	    ? key_entries
	       : kind == TREE_VAULT ? vault_entries
				    : comp_entries;
}

static const char *list_dir_name(const struct tree_node *n, int which)
{
	if (n->kind == TREE_VAULT)
		return "keys";
	return which == TREE_LIST_COMPARTMENTS ? "compartments" : "vaults";
}

static int node_path(struct tree_node *n, struct buf *out);

/* "/compartments/A/vaults" for list `which` of `n`. */
static int list_path(struct tree_node *n, int which, struct buf *out)
{
	int ret = node_path(n, out);

	return ret ? ret : buf_addf(out, "/%s", list_dir_name(n, which));
}

/*
 * Note that the kernel's view of entry `name` of directory `dir` (a node
 * of `kind`) and of the fixed files in it is out of date: its name
 * (`names`: it went away or now means another resource) or only its
 * attributes.  Paths are kept NUL-separated in `out`, each after a mark
 * (STALE_NAME or STALE_ATTR), until stale_emit().
 */
#define STALE_NAME 'N'
#define STALE_ATTR 'A'

static void stale_entry(struct buf *out, const char *dir, const char *name,
			enum tree_kind kind, bool names)
{
	const char *const *fixed = fixed_entries(kind);
	char mark = names ? STALE_NAME : STALE_ATTR;

	if (buf_addf(out, "%c%s/%s%c", mark, dir, name, '\0'))
		return;
	for (size_t i = 0; fixed[i]; i++)
		if (buf_addf(out, "%c%s/%s/%s%c", mark, dir, name, fixed[i],
			     '\0'))
			return;
}

/* Attributes only (a listing directory whose names changed). */
static void stale_path(struct buf *out, const char *path)
{
	if (buf_addf(out, "%c%s%c", STALE_ATTR, path, '\0'))
		return; /* best effort: the kernel's view expires anyway */
}

/* Report the collected paths; no lock may be held. */
static void stale_emit(struct tree *t, struct buf *paths)
{
	for (size_t off = 0; off < paths->len;) {
		const char *p = paths->buf + off;

		t->on_stale(t->arg, p[1] ? p + 1 : "/", p[0] == STALE_NAME);
		off += strlen(p) + 1;
	}
	buf_release(paths);
}

/* ---- listing fetch ----------------------------------------------------- */

/* One listed resource, as install() sees it. */
struct listed {
	const void *res; /* element of the API's list */
	const char *id;
	const char *display;
	const char *state;
	struct tree_node *node; /* filled by install() */
};

/* The compact record of `res` (a model struct); NULL when out of memory. */
typedef struct tree_rec *(*pack_fn)(const void *res);

static int cmp_child(const void *a, const void *b)
{
	return strcmp(((const struct tree_child *)a)->name,
		      ((const struct tree_child *)b)->name);
}

/* "name\0display\0", or NULL when out of memory. */
static char *naming_new(const char *name, const char *display)
{
	size_t nl = strlen(name), dl = strlen(display);
	char *s = malloc(nl + dl + 2);

	if (s) {
		memcpy(s, name, nl + 1);
		memcpy(s + nl + 1, display, dl + 1);
	}
	return s;
}

static size_t naming_bytes(const char *s)
{
	size_t nl;

	if (!s)
		return 0;
	nl = strlen(s);
	return nl + strlen(s + nl + 1) + 2;
}

static bool naming_is(const char *s, const char *name, const char *display)
{
	return s && !strcmp(s, name) && !strcmp(s + strlen(s) + 1, display);
}

/*
 * Give child `c` its name and resource (as install() found them).  Returns
 * true when the resource's attributes changed from a previous version.
 */
static bool child_update(struct tree *t, struct tree_node *c, const char *name,
			 const char *display, struct tree_rec *rec,
			 uint64_t gen)
{
	char *naming = NULL, *old_naming = NULL;
	struct tree_rec *old_rec = NULL;
	bool changed = false;
	long long delta = 0;

	pthread_mutex_lock(&c->lock);
	if (!naming_is(c->naming, name, display)) {
		pthread_mutex_unlock(&c->lock);
		naming = naming_new(name, display);
		pthread_mutex_lock(&c->lock);
		if (naming) {
			old_naming = c->naming;
			c->naming = naming;
			delta += (long long)naming_bytes(naming) -
				 (long long)naming_bytes(old_naming);
		}
	}
	if (rec && !rec_equal(c->rec, rec)) {
		changed = c->rec != NULL;
		old_rec = c->rec;
		c->rec = rec;
		if (!old_rec || rec_differs(old_rec, rec))
			c->updated = wall_now(t);
		delta += (long long)rec_bytes(rec) -
			 (long long)rec_bytes(old_rec);
		rec = NULL;
	}
	c->hidden = false;
	c->listed_gen = gen;
	pthread_mutex_unlock(&c->lock);
	account(t, delta);
	free(old_naming);
	free(old_rec);
	free(rec); /* equal to the one kept */
	return changed;
}

/* A listing of `m` children, names from `ne`; NULL when out of memory. */
static struct tree_kids *kids_new(const struct names_entry *ne,
				  const struct listed *v, size_t m)
{
	size_t names = 0, bytes;
	struct tree_kids *k;
	char *p;

	for (size_t i = 0; i < m; i++)
		names += strlen(ne[i].name) + 1;
	bytes = sizeof(*k) + m * sizeof(k->v[0]) + names;
	k = malloc(bytes);
	if (!k)
		return NULL;
	atomic_init(&k->refs, 1);
	k->n = m;
	k->bytes = bytes;
	p = (char *)&k->v[m];
	for (size_t i = 0; i < m; i++) {
		size_t l = strlen(ne[i].name) + 1;

		memcpy(p, ne[i].name, l);
		k->v[i].name = p;
		k->v[i].node = v[i].node;
		p += l;
	}
	if (m)
		qsort(k->v, m, sizeof(k->v[0]), cmp_child);
	return k;
}

/*
 * Compare two listings by name.  Entries of `old` that are gone, or whose
 * name now belongs to another node, go to `stale` (when given), and so do
 * the names of `new` that `old` did not have when `added` (the kernel may
 * have cached them as absent).  True when the set of names differs.
 */
static bool kids_diff(const struct tree_kids *old, const struct tree_kids *new,
		      const char *dir, struct buf *stale, bool added)
{
	size_t i = 0, j = 0, on = old ? old->n : 0, nn = new ? new->n : 0;
	bool differ = false;

	while (i < on || j < nn) {
		int c = i >= on	  ? 1
			: j >= nn ? -1
				  : strcmp(old->v[i].name, new->v[j].name);

		if (c < 0 || (!c && old->v[i].node != new->v[j].node)) {
			differ = true;
			if (stale)
				stale_entry(
					stale, dir, old->v[i].name,
					(enum tree_kind)old->v[i].node->kind,
					true);
		} else if (c > 0) {
			differ = true;
			if (stale && added &&
			    buf_addf(stale, "%c%s/%s%c", STALE_NAME, dir,
				     new->v[j].name, '\0'))
				stale = NULL; /* full: the rest expires */
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return differ;
}

/*
 * The resources of v[0..count) that are not hidden, moved to the front
 * (*m of them), each with its node (found or created by OCID) and, in
 * ne[], its display name, OCID and the sticky name it had.
 */
static int collect_kept(struct tree *t, struct tree_node *n,
			enum tree_kind kind, struct listed *v, size_t count,
			struct names_entry *ne, size_t *m)
{
	for (size_t i = 0; i < count; i++) {
		struct tree_node *c;

		if (state_hidden(v[i].state))
			continue;
		c = node_get(t, kind, v[i].id, n);
		if (!c)
			return -ENOMEM;
		v[*m] = v[i];
		v[*m].node = c;
		pthread_mutex_lock(&c->lock);
		if (c->naming) {
			ne[*m].prev_name = strdup(c->naming);
			ne[*m].prev_display =
				strdup(c->naming + strlen(c->naming) + 1);
		}
		pthread_mutex_unlock(&c->lock);
		ne[*m].display = v[*m].display;
		ne[*m].ocid = v[*m].id;
		(*m)++;
	}
	return 0;
}

/*
 * Swap `kids` in as list `which` of n (taking the caller's reference);
 * *old gets the listing it replaces (a reference the caller puts).
 * Returns whether the names differ; what the kernel may have cached
 * under `dir` goes into `stale` (NULL: not wanted).
 */
static bool swap_listing(struct tree *t, struct tree_node *n, int which,
			 struct tree_kids *kids, const char *dir,
			 struct buf *stale, struct tree_kids **old)
{
	struct tree_listing *L = &n->dir->lists[which];
	bool differ, was_valid;

	*old = kids_get(n, which);
	pthread_mutex_lock(&n->lock);
	was_valid = L->valid; /* before: nothing can be cached as absent */
	pthread_mutex_unlock(&n->lock);
	differ = kids_diff(*old, kids, dir, stale, was_valid);
	pthread_mutex_lock(&n->lock);
	kids_put(L->kids); /* the listing's reference; `old` holds one */
	L->kids = kids;
	if (differ) {
		L->version++;
		if (was_valid)
			L->changed = wall_now(t);
	}
	pthread_mutex_unlock(&n->lock);
	account(t,
		(long long)kids->bytes - (long long)(*old ? (*old)->bytes : 0));
	return differ;
}

/* Children of `old` that the listing of generation `gen` left out. */
static void hide_departed(const struct tree_kids *old, uint64_t gen)
{
	for (size_t i = 0; old && i < old->n; i++) {
		struct tree_node *c = old->v[i].node;

		pthread_mutex_lock(&c->lock);
		if (c->listed_gen != gen)
			c->hidden = true;
		pthread_mutex_unlock(&c->lock);
	}
}

/*
 * Install list `which` of `n` from `count` listed resources: hidden states
 * are dropped, every other one gets its node (found or created by OCID),
 * a sticky file name and its resource; then the listing is swapped in and
 * children that left it are hidden.  What the kernel may have cached and
 * is now out of date is reported through on_stale, after the locks are
 * dropped.  On return `v[i].node` is set for the resources kept; *kept
 * says how many (they are moved to the front).
 */
static int install(struct tree *t, struct tree_node *n, int which,
		   enum tree_kind kind, pack_fn pack, struct listed *v,
		   size_t count, size_t *kept)
{
	uint64_t gen = atomic_fetch_add(&t->generation, 1) + 1;
	struct buf dir = BUF_INIT(TREE_PATH_MAX);
	struct buf stale = BUF_INIT(OVFS_RESPONSE_MAX);
	struct tree_kids *kids = NULL, *old = NULL;
	struct names_entry *ne = NULL;
	bool *changed = NULL, differ;
	size_t m = 0;
	int ret = 0;

	*kept = 0;
	if (count) {
		ne = calloc(count, sizeof(*ne));
		changed = calloc(count, sizeof(*changed));
		if (!ne || !changed) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = collect_kept(t, n, kind, v, count, ne, &m);
	if (!ret)
		ret = names_assign(ne, m);
	if (ret)
		goto out;
	for (size_t i = 0; i < m; i++)
		changed[i] = child_update(t, v[i].node, ne[i].name,
					  v[i].display, pack(v[i].res), gen);
	kids = kids_new(ne, v, m);
	if (!kids) {
		ret = -ENOMEM;
		goto out;
	}

	if (t->on_stale && list_path(n, which, &dir))
		buf_reset(&dir);
	differ = swap_listing(t, n, which, kids, dir.buf ? dir.buf : "",
			      t->on_stale && dir.len ? &stale : NULL, &old);
	kids = NULL;
	hide_departed(old, gen);
	if (t->on_stale && dir.len) {
		if (differ)
			stale_path(&stale, dir.buf);
		for (size_t i = 0; i < m; i++)
			if (changed[i])
				stale_entry(&stale, dir.buf, ne[i].name, kind,
					    false);
	}
	*kept = m;
out:
	for (size_t i = 0; ne && i < count; i++) {
		free((char *)ne[i].prev_display);
		free((char *)ne[i].prev_name);
	}
	free(ne);
	free(changed);
	kids_put(kids);
	kids_put(old);
	buf_release(&dir);
	if (stale.len)
		stale_emit(t, &stale);
	buf_release(&stale);
	return ret;
}

/*
 * A 404 NotAuthorizedOrNotFound for a listing inside a resource that we
 * know exists can only mean "not authorized": report EACCES.
 */
static int listing_errno(int ret, const struct oci_error *err)
{
	if (ret == -ENOENT && err->http_status == 404)
		return -EACCES;
	return ret;
}

/*
 * Room in the cache for a listing of `count` entries (issue 8: bounded
 * against any server)?  Nodes live as long as the tree, so a listing may
 * only add as many as the limits leave; the entries its previous version
 * had are counted as already there.  -ENOBUFS with `err` set otherwise.
 */
static int cache_room(struct tree *t, struct tree_node *n, int which,
		      size_t count, struct oci_error *err)
{
	struct tree_kids *old = kids_get(n, which);
	uint64_t have = old ? old->n : 0, nodes = atomic_load(&t->nodes);
	long long bytes = atomic_load(&t->bytes);

	kids_put(old);
	if ((count > have && nodes + (count - have) > t->max_nodes) ||
	    (bytes > 0 && (uint64_t)bytes > t->max_bytes)) {
		oci_error_local(err, -ENOBUFS,
				"the listing cache is full (%llu entries, "
				"%lld bytes; limits max_cached=%llu, "
				"max_cache_mb=%llu)",
				(unsigned long long)nodes, bytes,
				(unsigned long long)t->max_nodes,
				(unsigned long long)(t->max_bytes >> 20));
		return -ENOBUFS;
	}
	return 0;
}

/* The listed[] view of a typed list; NULL when out of memory. */
#define LISTED(l, idf, namef, statef)                                       \
	({                                                                  \
		struct listed *v_ = calloc((l).n ? (l).n : 1, sizeof(*v_)); \
		for (size_t i_ = 0; v_ && i_ < (l).n; i_++) {               \
			v_[i_].res = &(l).v[i_];                            \
			v_[i_].id = (l).v[i_].idf;                          \
			v_[i_].display = (l).v[i_].namef;                   \
			v_[i_].state = (l).v[i_].statef;                    \
		}                                                           \
		v_;                                                         \
	})

static int fetch_compartments(struct tree *t, struct tree_node *n,
			      struct oci_error *err)
{
	struct oci_compartment_list l = {0};
	struct listed *v;
	size_t kept;
	int ret;

	ret = oci_list_compartments(t->client, n->id, false, "ANY", &l, err);
	if (ret)
		return listing_errno(ret, err);
	ret = cache_room(t, n, TREE_LIST_COMPARTMENTS, l.n, err);
	if (ret) {
		oci_compartment_list_release(&l);
		return ret;
	}
	v = LISTED(l, id, name, lifecycle_state);
	ret = v ? install(t, n, TREE_LIST_COMPARTMENTS, TREE_COMPARTMENT,
			  rec_of_comp, v, l.n, &kept)
		: -ENOMEM;
	free(v);
	oci_compartment_list_release(&l);
	return ret;
}

static int fetch_vaults(struct tree *t, struct tree_node *n,
			struct oci_error *err)
{
	struct oci_vault_list l = {0};
	struct listed *v;
	size_t kept;
	int ret;

	ret = oci_list_vaults(t->client, n->id, &l, err);
	if (ret)
		return listing_errno(ret, err);
	ret = cache_room(t, n, TREE_LIST_VAULTS, l.n, err);
	if (ret) {
		oci_vault_list_release(&l);
		return ret;
	}
	v = LISTED(l, id, display_name, lifecycle_state);
	ret = v ? install(t, n, TREE_LIST_VAULTS, TREE_VAULT, rec_of_vault, v,
			  l.n, &kept)
		: -ENOMEM;
	for (size_t i = 0; !ret && t->on_vault_seen && i < kept; i++)
		t->on_vault_seen(t->arg, v[i].node, v[i].res);
	free(v);
	oci_vault_list_release(&l);
	return ret;
}

static int fetch_keys(struct tree *t, struct tree_node *n,
		      struct oci_error *err)
{
	struct oci_key_list l = {0};
	struct oci_vault vault;
	struct listed *v;
	size_t kept = 0;
	int ret;

	tree_node_vault(n, &vault);
	if (!vault.management_endpoint[0] || !vault.compartment_id[0]) {
		oci_error_local(err, -EIO,
				"the vault has no management endpoint");
		return -EIO;
	}
	ret = oci_list_keys(t->client, vault.management_endpoint,
			    vault.compartment_id, &l, err);
	if (ret)
		return listing_errno(ret, err);
	ret = cache_room(t, n, TREE_LIST_KEYS, l.n, err);
	if (ret) {
		oci_key_list_release(&l);
		return ret;
	}
	v = LISTED(l, id, display_name, lifecycle_state);
	ret = v ? install(t, n, TREE_LIST_KEYS, TREE_KEY, rec_of_key, v, l.n,
			  &kept)
		: -ENOMEM;
	for (size_t i = 0; !ret && t->on_key_seen && i < kept; i++)
		t->on_key_seen(t->arg, v[i].node, v[i].res);
	free(v);
	oci_key_list_release(&l);
	return ret;
}

static int fetch_list(struct tree *t, struct tree_node *n, int which,
		      struct oci_error *err)
{
	if (n->kind == TREE_VAULT)
		return fetch_keys(t, n, err);
	if (which == TREE_LIST_COMPARTMENTS)
		return fetch_compartments(t, n, err);
	return fetch_vaults(t, n, err);
}

/* ---- refreshers -------------------------------------------------------- */

/*
 * Every fetch runs on a refresher: up to TREE_REFRESHERS threads, started
 * when a job is queued and none is idle (the first one after the mount:
 * after fuse_daemonize's fork); one idle for TREE_REFRESHER_IDLE_MS ends
 * (its slot is joined when reused, or by tree_stop()).  A job is a listing
 * to fetch (`which` >= 0; queued by ensure_fresh, which set the listing's
 * `fetching` under the node lock, so there is one at most per listing) or
 * a Get for key.json/vault.json (`which` < 0; shared by the callers of one
 * node while not finished, reference counted, result in `ret`/`out`).
 * Jobs somebody waits for (first listings, Gets) go to the front of the
 * queue, background refreshes to the back.
 *
 * Callers wait on a condition variable (the node's dir->cond for a
 * listing, t->json_cond for a Get) in slices of TREE_WAIT_SLICE_MS,
 * checking their tree_wait and the deadline (listing_timeout); one that
 * gives up leaves the job to finish for the next caller.  rq_lock is
 * never held together with a node lock.
 */
struct tree_job {
	struct tree_job *next; /* the queue (rq_lock) */
	struct tree_job *jnext; /* t->json (rq_lock) */
	struct tree_node *node;
	int which; /* the listing; < 0: a Get (JSON) */
	/* JSON jobs only, rq_lock: */
	unsigned int refs; /* waiters, plus one for the refresher */
	bool done;
	int ret;
	struct buf out; /* immutable once `done` */
};

static int fetch_json(struct tree *t, struct tree_node *n, struct buf *out);
static void *refresher_main(void *arg);

void tree_wait_init(struct tree_wait *w)
{
	atomic_init(&w->cancelled, false);
	atomic_init(&w->cond, NULL);
}

void tree_wait_cancel(struct tree_wait *w)
{
	pthread_cond_t *c;

	atomic_store(&w->cancelled, true);
	/*
	 * Conditions live as long as the tree, so this one is valid even if
	 * the waiter moved on.  A wake-up lost between the waiter's check and
	 * its wait costs one slice.
	 */
	c = atomic_load(&w->cond);
	if (c)
		pthread_cond_broadcast(c);
}

static bool wait_cancelled(struct tree_wait *w)
{
	return w && atomic_load(&w->cancelled);
}

/*
 * One step of a wait on `cond` (with `lock` held) that must end by `end`
 * (tree clock, ms): -EINTR once `w` is cancelled, -ETIMEDOUT at `end`,
 * else 0 after waiting at most one slice (the caller checks its condition
 * and steps again).
 */
static int wait_step(struct tree *t, pthread_cond_t *cond,
		     pthread_mutex_t *lock, uint64_t end, struct tree_wait *w)
{
	uint64_t now = now_ms(t), left;

	if (wait_cancelled(w))
		return -EINTR;
	if (now >= end)
		return -ETIMEDOUT;
	left = end - now;
	if (w)
		atomic_store(&w->cond, cond);
	if (!wait_cancelled(w))
		clock_cond_timedwait(
			cond, lock,
			left < TREE_WAIT_SLICE_MS ? left : TREE_WAIT_SLICE_MS);
	if (w)
		atomic_store(&w->cond, NULL);
	return 0;
}

static void job_free(struct tree_job *j)
{
	buf_release(&j->out);
	free(j);
}

/*
 * Queue `j` (at the front when `urgent`) and make sure a refresher will
 * take it.  rq_lock held.  0, -ECANCELED (stopped) or -EAGAIN (no thread
 * could be started and none runs).
 */
static int rq_push(struct tree *t, struct tree_job *j, bool urgent)
{
	if (t->stop)
		return -ECANCELED;
	if (t->queued >= t->idle && t->nthreads < TREE_REFRESHERS) {
		struct refresher *r = NULL;
		sigset_t all, old;
		int ret = -EAGAIN;

		/* Fewer than TREE_REFRESHERS live: a slot is free or done. */
		for (size_t i = 0; !r && i < TREE_REFRESHERS; i++)
			if (!t->slots[i].used || t->slots[i].done)
				r = &t->slots[i];
		if (r && r->used) {
			/* It set `done` under rq_lock and only returns now. */
			pthread_join(r->thread, NULL);
			r->used = false;
		}
		if (r) {
			r->t = t;
			/* Signals are for the main thread (libfuse's). */
			sigfillset(&all);
			pthread_sigmask(SIG_BLOCK, &all, &old);
			ret = pthread_create(&r->thread, NULL, refresher_main,
					     r);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
		if (!ret) {
			r->used = true;
			r->done = false;
			t->nthreads++;
		} else if (!t->nthreads) {
			return -EAGAIN;
		}
	}
	j->next = NULL;
	if (urgent) {
		j->next = t->rq_head;
		t->rq_head = j;
		if (!t->rq_tail)
			t->rq_tail = j;
	} else {
		if (t->rq_tail)
			t->rq_tail->next = j;
		else
			t->rq_head = j;
		t->rq_tail = j;
	}
	t->queued++;
	pthread_cond_signal(&t->rq_cond);
	return 0;
}

/* A listing this user may not see (EACCES): info once, then debug. */
static void denied(struct tree *t, struct tree_node *n, int which,
		   const char *line, bool told)
{
	struct buf path = BUF_INIT(TREE_PATH_MAX);

	if (list_path(n, which, &path))
		buf_reset(&path);
	log_msg(t->log, told ? LOG_DEBUG : LOG_INFO,
		"'%s' is not accessible to this user (%s): listing it fails "
		"with EACCES",
		path.len > 1 ? path.buf + 1 : n->id, line);
	buf_release(&path);
}

/*
 * A fetch of listing `which` of `n` ended with `ret` (`err` may be NULL):
 * publish it and wake the waiters.  A failure keeps a listing held, which
 * then counts as fresh for TREE_RETRY_MS (the next refresh is queued after
 * that).  A failure is logged, without the node lock, before it is
 * published.
 */
static void list_done(struct tree *t, struct tree_node *n, int which, int ret,
		      const struct oci_error *err)
{
	struct tree_listing *L = &n->dir->lists[which];
	char line[1024] = "";
	bool kept = false, told = false;

	if (ret) {
		atomic_fetch_add(&t->failures, 1);
		if (err && oci_error_is_set(err))
			oci_error_format(err, line, sizeof(line));
		else
			snprintf(line, sizeof(line), "errno %d", -ret);
		/* Stable: only this fetch of the listing may change it. */
		pthread_mutex_lock(&n->lock);
		kept = L->valid;
		told = L->denied_told;
		if (ret == -EACCES)
			L->denied_told = true;
		pthread_mutex_unlock(&n->lock);
		/* Logged before the waiters learn of it (tests read the log). */
		if (ret == -ECANCELED) /* unmounting */
			log_msg(t->log, LOG_DEBUG, "listing of '%s' cancelled",
				n->id);
		else if (ret == -EACCES)
			/* Not ours to see: a fact of the tenancy, told once
			 * (at info), not an error of every walk. */
			denied(t, n, which, line, told);
		else if (kept)
			log_msg(t->log, LOG_WARNING,
				"cannot refresh a listing of '%s' (%s); "
				"serving the cached one",
				n->id, line);
		else
			log_msg(t->log, LOG_ERR,
				"cannot list the contents of '%s': %s", n->id,
				line);
	}
	pthread_mutex_lock(&n->lock);
	L->fetching = false;
	L->done_seq++;
	if (!ret) {
		L->denied_told = false;
		L->valid = true;
		L->fetched_ms = now_ms(t);
		L->last_errno = 0;
		atomic_fetch_add(&t->fetched, 1);
	} else {
		L->last_errno = ret;
		if (L->valid) {
			uint64_t now = now_ms(t);

			L->fetched_ms =
				now + TREE_RETRY_MS > t->ttl_ms
					? now + TREE_RETRY_MS - t->ttl_ms
					: 0;
		}
	}
	pthread_cond_broadcast(&n->dir->cond);
	pthread_mutex_unlock(&n->lock);
}

/* A copy of n's JSON fetched at most max_age_ms ago (rq_lock held). */
static int recent_get(struct tree *t, struct tree_node *n, uint64_t max_age_ms,
		      struct buf *out, bool *hit)
{
	uint64_t now = now_ms(t);

	*hit = false;
	for (size_t i = 0; max_age_ms && i < TREE_RECENT_JSON; i++) {
		struct recent_json *r = &t->recent[i];

		if (r->node == n && now - r->ms <= max_age_ms) {
			*hit = true;
			return buf_add(out, r->text, r->len);
		}
	}
	return 0;
}

/* Keep n's JSON for a following read (rq_lock held); best effort. */
static void recent_put(struct tree *t, struct tree_node *n, const char *text,
		       size_t len, uint64_t ms)
{
	struct recent_json *r = NULL;
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return;
	memcpy(copy, text, len);
	for (size_t i = 0; i < TREE_RECENT_JSON && !r; i++)
		if (t->recent[i].node == n)
			r = &t->recent[i];
	if (!r) {
		r = &t->recent[t->recent_next];
		t->recent_next = (t->recent_next + 1) % TREE_RECENT_JSON;
	}
	free(r->text);
	r->node = n;
	r->text = copy;
	r->len = len;
	r->ms = ms;
}

/* A JSON job ended: publish, wake its waiters, drop the refresher's ref. */
static void json_done(struct tree *t, struct tree_job *j, int ret,
		      struct buf *out)
{
	struct tree_job **pp;
	struct tree_node *n = j->node;
	uint64_t now = now_ms(t);
	bool last;

	if (!ret && out) { /* once per fetch, however many wait for it */
		pthread_mutex_lock(&n->lock);
		n->json_len =
			out->len > UINT32_MAX ? UINT32_MAX : (uint32_t)out->len;
		n->json_ms = now;
		n->json_fail_ms = 0;
		pthread_mutex_unlock(&n->lock);
	}
	pthread_mutex_lock(&t->rq_lock);
	j->ret = ret;
	if (out) {
		j->out = *out; /* moved */
		buf_init(out, out->max);
	}
	if (!ret && out)
		recent_put(t, n, j->out.buf, j->out.len, now);
	j->done = true;
	for (pp = &t->json; *pp; pp = &(*pp)->jnext)
		if (*pp == j) {
			*pp = j->jnext;
			break;
		}
	pthread_cond_broadcast(&t->json_cond);
	last = --j->refs == 0;
	pthread_mutex_unlock(&t->rq_lock);
	if (last)
		job_free(j);
}

static void run_job(struct tree *t, struct tree_job *j)
{
	if (j->which >= 0) {
		struct oci_error err;
		int ret;

		oci_error_clear(&err);
		atomic_fetch_add(&t->cache_misses, 1);
		ret = fetch_list(t, j->node, j->which, &err);
		list_done(t, j->node, j->which, ret, &err);
		free(j);
	} else {
		struct buf out = BUF_INIT(j->out.max);
		int ret = fetch_json(t, j->node, &out);

		json_done(t, j, ret, &out);
		buf_release(&out);
	}
}

static void *refresher_main(void *arg)
{
	struct refresher *r = arg;
	struct tree *t = r->t;

	pthread_mutex_lock(&t->rq_lock);
	while (!t->stop) {
		struct tree_job *j = t->rq_head;

		if (!j) {
			int idle;

			t->idle++;
			idle = clock_cond_timedwait(&t->rq_cond, &t->rq_lock,
						    TREE_REFRESHER_IDLE_MS);
			t->idle--;
			if (idle == -ETIMEDOUT && !t->rq_head)
				break;
			continue;
		}
		t->rq_head = j->next;
		if (!t->rq_head)
			t->rq_tail = NULL;
		t->queued--;
		pthread_mutex_unlock(&t->rq_lock);
		run_job(t, j);
		pthread_mutex_lock(&t->rq_lock);
	}
	t->nthreads--;
	r->done = true;
	pthread_mutex_unlock(&t->rq_lock);
	return NULL;
}

void tree_stop(struct tree *t)
{
	struct tree_job *q, *next;
	bool join[TREE_REFRESHERS];

	pthread_mutex_lock(&t->rq_lock);
	t->stop = true; /* from now on rq_push() starts nothing */
	pthread_cond_broadcast(&t->rq_cond);
	for (size_t i = 0; i < TREE_REFRESHERS; i++)
		join[i] = t->slots[i].used;
	pthread_mutex_unlock(&t->rq_lock);
	/* Each ends after its job; the client's cancel makes that quick. */
	for (size_t i = 0; i < TREE_REFRESHERS; i++)
		if (join[i])
			pthread_join(t->slots[i].thread, NULL);
	pthread_mutex_lock(&t->rq_lock);
	for (size_t i = 0; i < TREE_REFRESHERS; i++)
		if (join[i])
			t->slots[i].used = false;
	q = t->rq_head;
	t->rq_head = t->rq_tail = NULL;
	t->queued = 0;
	pthread_mutex_unlock(&t->rq_lock);
	for (; q; q = next) {
		next = q->next;
		if (q->which >= 0) {
			list_done(t, q->node, q->which, -ECANCELED, NULL);
			free(q);
		} else {
			json_done(t, q, -ECANCELED, NULL);
		}
	}
}

/* Queue a fetch of listing `which` of `n`, whose `fetching` we set. */
static int queue_list(struct tree *t, struct tree_node *n, int which,
		      bool urgent)
{
	struct tree_job *j = calloc(1, sizeof(*j));
	int ret;

	if (!j)
		return -ENOMEM;
	j->node = n;
	j->which = which;
	pthread_mutex_lock(&t->rq_lock);
	ret = rq_push(t, j, urgent);
	pthread_mutex_unlock(&t->rq_lock);
	if (ret)
		free(j);
	return ret;
}

/*
 * Wait until the fetch of listing `L` of `n` that was under way or queued
 * when its done_seq was `seq` has ended; 0 when the listing is there now,
 * else the fetch's errno, -EINTR or -ETIMEDOUT.
 */
static int wait_listing(struct tree *t, struct tree_node *n,
			struct tree_listing *L, uint32_t seq,
			struct tree_wait *w)
{
	uint64_t end = now_ms(t) + t->wait_ms;
	bool late;
	int ret = 0;

	pthread_mutex_lock(&n->lock);
	while (!L->valid && L->done_seq == seq && !ret)
		ret = wait_step(t, &n->dir->cond, &n->lock, end, w);
	late = ret == -ETIMEDOUT;
	if (!ret && !L->valid)
		ret = L->last_errno ? L->last_errno : -EIO;
	pthread_mutex_unlock(&n->lock);
	if (late) /* not a fetch's own ETIMEDOUT */
		log_msg(t->log, LOG_WARNING,
			"listing the contents of '%s' takes longer than %llu s "
			"(listing_timeout): the request fails with ETIMEDOUT",
			n->id, (unsigned long long)(t->wait_ms / 1000));
	return ret;
}

/*
 * Make listing `which` of `n` usable: a fresh one is used, a stale one is
 * used too while a refresher refreshes it (one fetch per listing), and
 * only a listing never fetched is waited for (first fetches jump the
 * queue).  0, or -errno of a first fetch, -EINTR, -ETIMEDOUT.
 */
static int ensure_fresh(struct tree *t, struct tree_node *n, int which,
			struct tree_wait *w)
{
	struct tree_listing *L;
	bool start = false, first;
	uint32_t seq;
	int ret;

	if (!n->dir)
		return -ENOTDIR;
	L = &n->dir->lists[which];
	pthread_mutex_lock(&n->lock);
	if (L->valid && now_ms(t) < L->fetched_ms + t->ttl_ms) {
		pthread_mutex_unlock(&n->lock);
		atomic_fetch_add(&t->cache_hits, 1);
		return 0;
	}
	first = !L->valid;
	seq = L->done_seq;
	if (!L->fetching) {
		L->fetching = true;
		start = true;
	}
	pthread_mutex_unlock(&n->lock);
	if (start) {
		ret = queue_list(t, n, which, first);
		if (ret) {
			/* Nobody will fetch it: undo, and tell any waiter. */
			list_done(t, n, which, ret, NULL);
			if (first)
				return ret;
		}
	}
	if (!first) {
		atomic_fetch_add(&t->cache_hits, 1);
		return 0;
	}
	return wait_listing(t, n, L, seq, w);
}

int tree_refresh(struct tree *t, struct tree_node *n, int which,
		 struct tree_wait *w)
{
	struct tree_listing *L;

	if (!n->dir || which < 0 || which > 1)
		return -ENOTDIR;
	L = &n->dir->lists[which];
	/* A fetch under way may have begun before the change: wait for it,
	 * then fetch again. */
	for (int round = 0; round < 2; round++) {
		uint64_t end = now_ms(t) + t->wait_ms;
		bool was_fetching;
		uint32_t seq;
		int ret = 0;

		pthread_mutex_lock(&n->lock);
		L->fetched_ms = 0;
		seq = L->done_seq;
		was_fetching = L->fetching;
		L->fetching = true;
		pthread_mutex_unlock(&n->lock);
		if (!was_fetching) {
			ret = queue_list(t, n, which, true);
			if (ret) {
				list_done(t, n, which, ret, NULL);
				return ret;
			}
		}
		pthread_mutex_lock(&n->lock);
		while (L->done_seq == seq && !ret)
			ret = wait_step(t, &n->dir->cond, &n->lock, end, w);
		if (!ret && !was_fetching)
			ret = L->last_errno;
		pthread_mutex_unlock(&n->lock);
		if (ret || !was_fetching)
			return ret;
	}
	return 0;
}

/* Find `name` in a fresh listing. */
static int find_child(struct tree *t, struct tree_node *n, int which,
		      const char *name, struct tree_node **out, bool fetch,
		      struct tree_wait *w)
{
	struct tree_child key = {name, NULL}, *hit = NULL;
	struct tree_kids *k;
	int ret;

	if (!n->dir)
		return -ENOTDIR;
	ret = fetch ? ensure_fresh(t, n, which, w) : 0;
	if (ret)
		return ret;
	pthread_mutex_lock(&n->lock);
	k = n->dir->lists[which].kids;
	if (k && k->n)
		hit = bsearch(&key, k->v, k->n, sizeof(key), cmp_child);
	*out = hit ? hit->node : NULL;
	pthread_mutex_unlock(&n->lock);
	if (!hit) {
		if (fetch)
			atomic_fetch_add(&t->probes, 1);
		return -ENOENT;
	}
	return 0;
}

/* ---- path resolution ------------------------------------------------ */

static int step(struct tree *t, struct tree_path *p, const char *c, bool fetch,
		struct tree_wait *w)
{
	struct tree_node *child;
	int ret;

	switch (p->what) {
	case TW_COMPARTMENT:
		if (!strcmp(c, "id"))
			p->what = TW_ID;
		else if (!strcmp(c, "compartments"))
			p->what = TW_COMPARTMENTS;
		else if (!strcmp(c, "vaults"))
			p->what = TW_VAULTS;
		else if (!strcmp(c, TREE_CTL_NAME) && p->node == t->root)
			p->what = TW_CTL;
		else if (!strcmp(c, "restore-vault"))
			p->what = TW_RESTORE;
		else if (!strcmp(c, "restore-vault-status"))
			p->what = TW_RESTORE_STATUS;
		else if (!strcmp(c, "restore-vault-wait"))
			p->what = TW_RESTORE_WAIT;
		else if (!strcmp(c, "restore-vault.d"))
			p->what = TW_DROP;
		else
			goto probe;
		return 0;
	case TW_COMPARTMENTS:
	case TW_VAULTS:
		ret = find_child(t, p->node,
				 p->what == TW_COMPARTMENTS
					 ? TREE_LIST_COMPARTMENTS
					 : TREE_LIST_VAULTS,
				 c, &child, fetch, w);
		if (ret)
			return ret;
		p->what =
			p->what == TW_COMPARTMENTS ? TW_COMPARTMENT : TW_VAULT;
		p->node = child;
		return 0;
	case TW_VAULT:
		if (!strcmp(c, "id"))
			p->what = TW_ID;
		else if (!strcmp(c, "vault.json"))
			p->what = TW_VAULT_JSON;
		else if (!strcmp(c, "keys"))
			p->what = TW_KEYS;
		else if (!strcmp(c, "backup"))
			p->what = TW_BACKUP;
		else if (!strcmp(c, "status"))
			p->what = TW_STATUS;
		else if (!strcmp(c, "status.json"))
			p->what = TW_STATUS_JSON;
		else if (!strcmp(c, "wait"))
			p->what = TW_WAIT;
		else if (!strcmp(c, "restore"))
			p->what = TW_RESTORE;
		else if (!strcmp(c, "restore-status"))
			p->what = TW_RESTORE_STATUS;
		else if (!strcmp(c, "restore-wait"))
			p->what = TW_RESTORE_WAIT;
		else if (!strcmp(c, "restore.d"))
			p->what = TW_DROP;
		else
			goto probe;
		return 0;
	case TW_KEYS:
		ret = find_child(t, p->node, TREE_LIST_KEYS, c, &child, fetch,
				 w);
		if (ret)
			return ret;
		p->what = TW_KEY;
		p->node = child;
		return 0;
	case TW_KEY:
		if (!strcmp(c, "id"))
			p->what = TW_ID;
		else if (!strcmp(c, "key.json"))
			p->what = TW_KEY_JSON;
		else if (!strcmp(c, "backup"))
			p->what = TW_BACKUP;
		else if (!strcmp(c, "status"))
			p->what = TW_STATUS;
		else if (!strcmp(c, "status.json"))
			p->what = TW_STATUS_JSON;
		else if (!strcmp(c, "wait"))
			p->what = TW_WAIT;
		else if (!strcmp(c, "history"))
			p->what = TW_HISTORY;
		else
			goto probe;
		return 0;
	case TW_CTL:
		if (!strcmp(c, "stats"))
			p->what = TW_CTL_STATS;
		else if (!strcmp(c, "backups"))
			p->what = TW_CTL_BACKUPS;
		else if (!strcmp(c, "history"))
			p->what = TW_CTL_HISTORY;
		else
			goto probe;
		return 0;
	case TW_DROP:
		goto probe; /* its entries are the FUSE layer's */
	default:
		return -ENOTDIR;
	}
probe:
	if (fetch)
		atomic_fetch_add(&t->probes, 1);
	return -ENOENT;
}

static int resolve(struct tree *t, const char *path, struct tree_path *out,
		   bool fetch)
{
	char comp[NAMES_MAX + 1];
	const char *p = path;
	int ret;

	out->what = TW_COMPARTMENT;
	out->node = t->root;
	while (*p) {
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len > NAMES_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		ret = step(t, out, comp, fetch, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

int tree_resolve(struct tree *t, const char *path, struct tree_path *out)
{
	return resolve(t, path, out, true);
}

int tree_resolve_cached(struct tree *t, const char *path, struct tree_path *out)
{
	return resolve(t, path, out, false);
}

int tree_lookup(struct tree *t, const struct tree_path *dir, const char *name,
		struct tree_path *out, struct tree_wait *w)
{
	if (strlen(name) > NAMES_MAX)
		return -ENAMETOOLONG;
	*out = *dir;
	return step(t, out, name, true, w);
}

bool tree_is_unlisted(enum tree_what w)
{
	return w == TW_WAIT || w == TW_RESTORE_WAIT;
}

static int fill_fixed(struct tree *t, const struct tree_path *p,
		      const char *const *names, tree_fill_fn fill, void *arg)
{
	for (size_t i = 0; names[i]; i++) {
		struct tree_path cp = *p;
		int ret = step(t, &cp, names[i], false, NULL);

		/* The `wait` files are not listed: found by name only, so that
		 * recursive readers (grep -r, cp -r, tar, rsync, indexers)
		 * never block on them (docs/ocivaultfs.md, "The tree"). */
		if (!ret && tree_is_unlisted(cp.what))
			continue;
		if (!ret)
			ret = fill(arg, names[i], &cp);
		if (ret)
			return ret;
	}
	return 0;
}

/* Which listing a listing directory shows; -1 for the fixed ones. */
static int list_of(enum tree_what w)
{
	switch (w) {
	case TW_COMPARTMENTS:
		return TREE_LIST_COMPARTMENTS;
	case TW_VAULTS:
		return TREE_LIST_VAULTS;
	case TW_KEYS:
		return TREE_LIST_KEYS;
	default:
		return -1;
	}
}

int tree_readdir(struct tree *t, const struct tree_path *p, tree_fill_fn fill,
		 void *arg, struct tree_wait *w)
{
	struct tree_node *n = p->node;
	struct tree_kids *k;
	enum tree_what kidwhat;
	int which, ret;

	switch (p->what) {
	case TW_COMPARTMENT:
		ret = fill_fixed(t, p, comp_entries, fill, arg);
		if (!ret && n == t->root) {
			struct tree_path cp = {TW_CTL, n};

			ret = fill(arg, TREE_CTL_NAME, &cp);
		}
		return ret;
	case TW_VAULT:
		return fill_fixed(t, p, vault_entries, fill, arg);
	case TW_KEY:
		return fill_fixed(t, p, key_entries, fill, arg);
	case TW_CTL:
		return fill_fixed(t, p, ctl_entries, fill, arg);
	case TW_DROP:
		return 0; /* its entries are the FUSE layer's (fs/ops.c) */
	case TW_COMPARTMENTS:
		kidwhat = TW_COMPARTMENT;
		break;
	case TW_VAULTS:
		kidwhat = TW_VAULT;
		break;
	case TW_KEYS:
		kidwhat = TW_KEY;
		break;
	default:
		return -ENOTDIR;
	}
	which = list_of(p->what);
	ret = ensure_fresh(t, n, which, w);
	if (ret)
		return ret;
	/* The snapshot is immutable: walk it without the lock. */
	k = kids_get(n, which);
	for (size_t i = 0; k && i < k->n && !ret; i++) {
		struct tree_path cp = {kidwhat, k->v[i].node};

		ret = fill(arg, k->v[i].name, &cp);
	}
	kids_put(k);
	return ret;
}

uint64_t tree_fresh_ms(struct tree *t, const struct tree_path *dir)
{
	int which = list_of(dir->what);
	struct tree_listing *L;
	uint64_t end, now;

	if (which < 0)
		return UINT64_MAX;
	L = &dir->node->dir->lists[which];
	pthread_mutex_lock(&dir->node->lock);
	end = L->valid ? L->fetched_ms + t->ttl_ms : 0;
	pthread_mutex_unlock(&dir->node->lock);
	now = now_ms(t);
	return end > now ? end - now : 0;
}

int tree_opendir(struct tree *t, const struct tree_path *p, bool *unchanged,
		 struct tree_wait *w)
{
	struct tree_listing *L;
	int which = list_of(p->what), ret;

	*unchanged = true;
	if (which < 0)
		return tree_is_dir(p->what) ? 0 : -ENOTDIR;
	ret = ensure_fresh(t, p->node, which, w);
	if (ret)
		return ret;
	L = &p->node->dir->lists[which];
	pthread_mutex_lock(&p->node->lock);
	*unchanged = L->opened == L->version;
	L->opened = L->version;
	pthread_mutex_unlock(&p->node->lock);
	return 0;
}

/* ---- node accessors --------------------------------------------------- */

void tree_node_key(struct tree_node *n, struct oci_key *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&n->lock);
	if (n->kind == TREE_KEY && n->rec) {
		rec_unpack(key_fields, NFIELDS(key_fields), n->rec, out);
		out->length = n->rec->length;
		out->is_primary = n->rec->flags & REC_PRIMARY;
		out->has_is_primary = n->rec->flags & REC_HAS_PRIMARY;
		out->summary = n->rec->flags & REC_SUMMARY;
		memcpy(out->id, n->id, strlen(n->id) + 1);
	}
	pthread_mutex_unlock(&n->lock);
}

void tree_node_vault(struct tree_node *n, struct oci_vault *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&n->lock);
	if (n->kind == TREE_VAULT && n->rec) {
		rec_unpack(vault_fields, NFIELDS(vault_fields), n->rec, out);
		out->is_primary = n->rec->flags & REC_PRIMARY;
		out->has_is_primary = n->rec->flags & REC_HAS_PRIMARY;
		out->summary = n->rec->flags & REC_SUMMARY;
		memcpy(out->id, n->id, strlen(n->id) + 1);
	}
	pthread_mutex_unlock(&n->lock);
}

void tree_node_compartment(struct tree_node *n, struct oci_compartment *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&n->lock);
	if (n->kind == TREE_COMPARTMENT && n->rec) {
		rec_unpack(comp_fields, NFIELDS(comp_fields), n->rec, out);
		out->is_accessible = n->rec->flags & REC_ACCESSIBLE;
		out->has_is_accessible = n->rec->flags & REC_HAS_ACCESSIBLE;
		memcpy(out->id, n->id, strlen(n->id) + 1);
	}
	pthread_mutex_unlock(&n->lock);
}

void tree_node_name(struct tree_node *n, char out[NAMES_MAX + 1])
{
	pthread_mutex_lock(&n->lock);
	if (n->naming)
		buf_copy(out, NAMES_MAX + 1, n->naming);
	else
		out[0] = '\0';
	pthread_mutex_unlock(&n->lock);
}

void tree_path_times(const struct tree_path *p, int64_t *mtime, int64_t *ctime)
{
	int which = list_of(p->what);

	*mtime = *ctime = 0;
	if (!p->node || p->what == TW_CTL || p->what == TW_CTL_STATS ||
	    p->what == TW_CTL_BACKUPS || p->what == TW_CTL_HISTORY ||
	    p->what == TW_DROP)
		return;
	if (which >= 0) {
		if (p->node->dir) {
			pthread_mutex_lock(&p->node->lock);
			*mtime = *ctime = p->node->dir->lists[which].changed;
			pthread_mutex_unlock(&p->node->lock);
		}
		return;
	}
	*mtime = tree_node_mtime(p->node);
	if (!tree_is_dir(p->what))
		*ctime = *mtime;
}

int64_t tree_node_mtime(struct tree_node *n)
{
	int64_t t;

	pthread_mutex_lock(&n->lock);
	t = n->updated;
	pthread_mutex_unlock(&n->lock);
	return t;
}

struct tree_node *tree_node_parent(struct tree_node *n)
{
	return n->parent;
}

/*
 * Install a fresher record of `n`'s resource (from a Get call).  When its
 * attributes changed, the kernel's view of the node is reported stale.
 */
static void node_update(struct tree *t, struct tree_node *n,
			struct tree_rec *rec, bool hidden)
{
	struct tree_rec *old;
	long long delta = 0;
	bool changed;

	pthread_mutex_lock(&n->lock);
	old = n->rec;
	changed = !rec_equal(old, rec);
	if (changed) {
		/* Sizes under the lock: once it is released another update
		 * may replace (and free) n->rec. */
		delta = (long long)rec_bytes(rec) - (long long)rec_bytes(old);
		n->rec = rec;
		if (!old || rec_differs(old, rec))
			n->updated = wall_now(t);
		rec = NULL;
	}
	changed = changed || n->hidden != hidden;
	n->hidden = hidden;
	pthread_mutex_unlock(&n->lock);
	if (!rec) {
		account(t, delta);
		free(old);
	}
	free(rec);
	if (changed && t->on_stale && n->parent) {
		struct buf dir = BUF_INIT(TREE_PATH_MAX);
		struct buf stale = BUF_INIT(TREE_PATH_MAX);
		char name[NAMES_MAX + 1];

		tree_node_name(n, name);
		if (name[0] && !node_path(n->parent, &dir) &&
		    !buf_addf(&dir, "/%s",
			      n->kind == TREE_KEY     ? "keys"
			      : n->kind == TREE_VAULT ? "vaults"
						      : "compartments")) {
			stale_entry(&stale, dir.buf, name,
				    (enum tree_kind)n->kind, false);
			stale_emit(t, &stale);
		}
		buf_release(&stale);
		buf_release(&dir);
	}
}

void tree_update_key(struct tree *t, struct tree_node *n,
		     const struct oci_key *k, const char *etag)
{
	struct tree_rec *rec;

	(void)etag; /* nothing reads it: not kept (see tree.h) */
	if (n->kind != TREE_KEY)
		return;
	rec = rec_of_key(k);
	if (rec)
		node_update(t, n, rec, state_hidden(k->lifecycle_state));
}

void tree_update_vault(struct tree *t, struct tree_node *n,
		       const struct oci_vault *v)
{
	struct tree_rec *rec;

	if (n->kind != TREE_VAULT)
		return;
	rec = rec_of_vault(v);
	if (rec)
		node_update(t, n, rec, state_hidden(v->lifecycle_state));
}

void tree_invalidate(struct tree_node *n)
{
	if (!n->dir)
		return;
	pthread_mutex_lock(&n->lock);
	for (int i = 0; i < 2; i++)
		n->dir->lists[i].fetched_ms = 0;
	pthread_mutex_unlock(&n->lock);
}

/* Append "/compartments/A/vaults/V/keys/K" to `out`. */
static int node_path(struct tree_node *n, struct buf *out)
{
	char name[NAMES_MAX + 1];
	int ret;

	if (!n->parent)
		return 0;
	ret = node_path(n->parent, out);
	if (ret)
		return ret;
	tree_node_name(n, name);
	return buf_addf(out, "/%s/%s",
			n->kind == TREE_KEY	? "keys"
			: n->kind == TREE_VAULT ? "vaults"
						: "compartments",
			name);
}

int tree_node_path(struct tree_node *n, struct buf *out)
{
	struct buf tmp = BUF_INIT(out->max);
	int ret = node_path(n, &tmp);

	if (!ret && tmp.len)
		ret = buf_add(out, tmp.buf + 1, tmp.len - 1);
	buf_release(&tmp);
	return ret;
}

/* GetKey / GetVault, on a refresher: see tree_fetch_json(). */
static int fetch_json(struct tree *t, struct tree_node *n, struct buf *out)
{
	struct oci_error err;
	int ret;

	oci_error_clear(&err);
	if (n->kind == TREE_KEY) {
		char etag[OVFS_ETAG_MAX];
		struct oci_key k = {0};
		struct oci_vault v;

		tree_node_vault(n->parent, &v);
		ret = oci_get_key(t->client, v.management_endpoint, n->id, &k,
				  etag, &err);
		if (!ret) {
			tree_update_key(t, n, &k, etag);
			ret = buf_adds(out, k.json ? k.json : "{}\n");
		}
		model_key_release(&k);
	} else if (n->kind == TREE_VAULT) {
		struct oci_vault v = {0};

		ret = oci_get_vault(t->client, n->id, &v, &err);
		if (!ret) {
			struct tree_rec *rec = rec_of_vault(&v);

			if (rec)
				node_update(t, n, rec,
					    state_hidden(v.lifecycle_state));
			ret = buf_adds(out, v.json ? v.json : "{}\n");
		}
		model_vault_release(&v);
	} else {
		return -EINVAL;
	}
	if (ret && ret != -ECANCELED && oci_error_is_set(&err)) {
		char line[1024];

		oci_error_format(&err, line, sizeof(line));
		log_msg(t->log, LOG_WARNING, "cannot read '%s': %s", n->id,
			line);
	}
	return ret;
}

void tree_stats(struct tree *t, struct tree_stats *out)
{
	long long b = atomic_load(&t->bytes);

	out->nodes = atomic_load(&t->nodes);
	out->listings_fetched = atomic_load(&t->fetched);
	out->fetch_failures = atomic_load(&t->failures);
	out->cache_hits = atomic_load(&t->cache_hits);
	out->cache_misses = atomic_load(&t->cache_misses);
	out->probes = atomic_load(&t->probes);
	out->bytes = b > 0 ? (uint64_t)b : 0;
}

int tree_stats_render(struct tree *t, struct buf *out)
{
	struct tree_stats s;

	tree_stats(t, &s);
	return buf_addf(out,
			"cache_hits: %llu\ncache_misses: %llu\nprobes: %llu\n"
			"nodes: %llu\nlistings_fetched: %llu\n"
			"listing_failures: %llu\ncache_bytes: %llu\n",
			(unsigned long long)s.cache_hits,
			(unsigned long long)s.cache_misses,
			(unsigned long long)s.probes,
			(unsigned long long)s.nodes,
			(unsigned long long)s.listings_fetched,
			(unsigned long long)s.fetch_failures,
			(unsigned long long)s.bytes);
}

int tree_fetch_json(struct tree *t, struct tree_node *n, struct buf *out,
		    uint64_t max_age_ms, struct tree_wait *w)
{
	uint64_t end = now_ms(t) + t->wait_ms;
	struct tree_job *j;
	bool last, hit;
	int ret = 0;

	if (n->kind != TREE_KEY && n->kind != TREE_VAULT)
		return -EINVAL;
	pthread_mutex_lock(&t->rq_lock);
	ret = recent_get(t, n, max_age_ms, out, &hit);
	if (hit) {
		pthread_mutex_unlock(&t->rq_lock);
		return ret;
	}
	for (j = t->json; j; j = j->jnext)
		if (j->node == n)
			break;
	if (j) {
		j->refs++; /* the Get under way or queued serves us too */
	} else {
		j = calloc(1, sizeof(*j));
		if (!j) {
			pthread_mutex_unlock(&t->rq_lock);
			return -ENOMEM;
		}
		j->node = n;
		j->which = -1;
		j->refs = 2;
		buf_init(&j->out, out->max);
		ret = rq_push(t, j, true);
		if (ret) {
			pthread_mutex_unlock(&t->rq_lock);
			job_free(j);
			return ret;
		}
		j->jnext = t->json;
		t->json = j;
	}
	while (!j->done && !ret)
		ret = wait_step(t, &t->json_cond, &t->rq_lock, end, w);
	pthread_mutex_unlock(&t->rq_lock);
	/* Once done, the job's result is immutable: copy it unlocked. */
	if (!ret)
		ret = j->ret ? j->ret : buf_add(out, j->out.buf, j->out.len);
	if (ret && ret != -EINTR) {
		/* The fetch failed or outlasted listing_timeout: stats answer
		 * without waiting for a while (tree_json_len()). */
		pthread_mutex_lock(&n->lock);
		n->json_fail_ms = now_ms(t);
		pthread_mutex_unlock(&n->lock);
	}
	if (ret == -ETIMEDOUT)
		log_msg(t->log, LOG_WARNING,
			"reading '%s' takes longer than %llu s "
			"(listing_timeout): the request fails with ETIMEDOUT",
			n->id, (unsigned long long)(t->wait_ms / 1000));
	pthread_mutex_lock(&t->rq_lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&t->rq_lock);
	if (last)
		job_free(j);
	return ret;
}

int tree_json_len(struct tree *t, struct tree_node *n, bool any_age,
		  size_t *len)
{
	uint64_t now = now_ms(t);
	int ret = -ENOENT;

	pthread_mutex_lock(&n->lock);
	if (any_age) {
		*len = n->json_ms ? n->json_len : 0;
		ret = 0;
	} else if (n->json_ms && now < n->json_ms + t->ttl_ms) {
		*len = n->json_len;
		ret = 0;
	} else if (n->json_fail_ms &&
		   now < n->json_fail_ms + TREE_JSON_QUIET_MS) {
		/* Failing: the last length known (0 if none), no new wait. */
		*len = n->json_ms ? n->json_len : 0;
		ret = 0;
	}
	pthread_mutex_unlock(&n->lock);
	return ret;
}
