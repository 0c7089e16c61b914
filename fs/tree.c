/* SPDX-License-Identifier: MIT */
/* tree: path resolution and the listing cache; see include/tree.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "clock.h"
#include "names.h"
#include "oci.h"
#include "ovfs.h"
#include "tree.h"
#include "banned.h"

#define TREE_HASH_SIZE 4096
/* After a failed refresh, serve the old listing this long before retrying. */
#define TREE_RETRY_MS 5000

struct tree {
	struct ovfs *o;
	pthread_mutex_t lock; /* the index */
	struct tree_node *hash[TREE_HASH_SIZE];
	struct tree_node *root;
	atomic_ullong nodes;
	atomic_ullong fetched;
	atomic_ullong failures;
	atomic_ullong generation; /* of listings, see install() */
};

static uint64_t now_ms(struct tree *t)
{
	return clock_mono_ms(oci_client_clock(t->o->client));
}

static int64_t wall_now(struct tree *t)
{
	return clock_wall_s(oci_client_clock(t->o->client));
}

static unsigned int hash_id(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % TREE_HASH_SIZE;
}

static struct tree_node *node_new(enum tree_kind kind, const char *id,
				  struct tree_node *parent)
{
	struct tree_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	n->parent = parent;
	if (buf_copy(n->id, sizeof(n->id), id) ||
	    pthread_mutex_init(&n->lock, NULL)) {
		free(n);
		return NULL;
	}
	if (clock_cond_init(&n->cond)) {
		pthread_mutex_destroy(&n->lock);
		free(n);
		return NULL;
	}
	return n;
}

static void node_free(struct tree_node *n)
{
	for (int i = 0; i < 2; i++)
		free(n->lists[i].v);
	oci_compartment_release(&n->comp);
	oci_vault_release(&n->vault);
	oci_key_release(&n->key);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
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
	if (!n) {
		n = node_new(kind, id, parent);
		if (n) {
			n->hash_next = t->hash[h];
			t->hash[h] = n;
			atomic_fetch_add(&t->nodes, 1);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

int tree_new(struct tree **out, struct ovfs *o, const char *root_id,
	     const char *root_name)
{
	struct tree *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->o = o;
	if (pthread_mutex_init(&t->lock, NULL)) {
		free(t);
		return -ENOMEM;
	}
	t->root = node_get(t, TREE_COMPARTMENT, root_id, NULL);
	if (!t->root) {
		tree_free(t);
		return -ENOMEM;
	}
	buf_copy(t->root->comp.id, sizeof(t->root->comp.id), root_id);
	if (buf_copy(t->root->comp.name, sizeof(t->root->comp.name),
		     root_name))
		buf_copy(t->root->comp.name, sizeof(t->root->comp.name),
			 "root");
	buf_copy(t->root->comp.lifecycle_state,
		 sizeof(t->root->comp.lifecycle_state), "ACTIVE");
	t->root->updated = wall_now(t);
	*out = t;
	return 0;
}

void tree_free(struct tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < TREE_HASH_SIZE; i++) {
		struct tree_node *n = t->hash[i], *next;

		for (; n; n = next) {
			next = n->hash_next;
			node_free(n);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct tree_node *tree_root(struct tree *t)
{
	return t->root;
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
		return true;
	default:
		return false;
	}
}

static bool state_hidden(const char *state)
{
	return !strcmp(state, "DELETED") || !strcmp(state, "DELETING");
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

/* Copies `res` into the child (called with the child's lock held). */
typedef void (*update_fn)(struct tree_node *c, const void *res);

static int cmp_child(const void *a, const void *b)
{
	return strcmp(((const struct tree_child *)a)->name,
		      ((const struct tree_child *)b)->name);
}

/*
 * Install list `which` of `n` from `count` listed resources: hidden states
 * are dropped, every other one gets its node (found or created by OCID),
 * a sticky file name and its resource; then the listing is swapped in and
 * children that left it are hidden.  On return `v[i].node` is set for the
 * resources kept; *kept says how many (they are moved to the front).
 */
static int install(struct tree *t, struct tree_node *n, int which,
		   enum tree_kind kind, update_fn update, struct listed *v,
		   size_t count, size_t *kept)
{
	struct names_entry *ne = NULL;
	struct tree_child *kids = NULL, *old;
	uint64_t gen = atomic_fetch_add(&t->generation, 1) + 1;
	size_t m = 0, oldn;
	int ret = 0;

	*kept = 0;
	if (count) {
		ne = calloc(count, sizeof(*ne));
		kids = calloc(count, sizeof(*kids));
		if (!ne || !kids) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < count; i++) {
		struct tree_node *c;

		if (state_hidden(v[i].state))
			continue;
		c = node_get(t, kind, v[i].id, n);
		if (!c) {
			ret = -ENOMEM;
			goto out;
		}
		v[m] = v[i];
		v[m].node = c;
		pthread_mutex_lock(&c->lock);
		if (c->name[0]) {
			ne[m].prev_display = strdup(c->named_display);
			ne[m].prev_name = strdup(c->name);
		}
		pthread_mutex_unlock(&c->lock);
		ne[m].display = v[m].display;
		ne[m].ocid = v[m].id;
		m++;
	}
	ret = names_assign(ne, m);
	if (ret)
		goto out;
	for (size_t i = 0; i < m; i++) {
		struct tree_node *c = v[i].node;

		pthread_mutex_lock(&c->lock);
		buf_copy(c->name, sizeof(c->name), ne[i].name);
		buf_copy(c->named_display, sizeof(c->named_display),
			 v[i].display);
		c->hidden = false;
		c->listed_gen = gen;
		update(c, v[i].res);
		c->updated = wall_now(t);
		pthread_mutex_unlock(&c->lock);
		buf_copy(kids[i].name, sizeof(kids[i].name), ne[i].name);
		kids[i].node = c;
	}
	if (m)
		qsort(kids, m, sizeof(*kids), cmp_child);

	pthread_mutex_lock(&n->lock);
	old = n->lists[which].v;
	oldn = n->lists[which].n;
	n->lists[which].v = kids;
	n->lists[which].n = m;
	pthread_mutex_unlock(&n->lock);
	kids = NULL;

	/* Children that left the listing are hidden. */
	for (size_t i = 0; i < oldn; i++) {
		pthread_mutex_lock(&old[i].node->lock);
		if (old[i].node->listed_gen != gen)
			old[i].node->hidden = true;
		pthread_mutex_unlock(&old[i].node->lock);
	}
	free(old);
	*kept = m;
out:
	for (size_t i = 0; ne && i < count; i++) {
		free((char *)ne[i].prev_display);
		free((char *)ne[i].prev_name);
	}
	free(ne);
	free(kids);
	return ret;
}

static void update_comp(struct tree_node *c, const void *res)
{
	oci_compartment_release(&c->comp);
	if (oci_compartment_copy(&c->comp, res))
		c->comp.json = NULL;
}

static void update_vault(struct tree_node *c, const void *res)
{
	oci_vault_release(&c->vault);
	if (oci_vault_copy(&c->vault, res))
		c->vault.json = NULL;
}

static void update_key(struct tree_node *c, const void *res)
{
	oci_key_release(&c->key);
	if (oci_key_copy(&c->key, res))
		c->key.json = NULL;
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

/* The listed[] view of a typed list; NULL when out of memory. */
#define LISTED(l, idf, namef, statef)                                   \
	({                                                              \
		struct listed *v_ = calloc((l).n ? (l).n : 1, sizeof(*v_)); \
		for (size_t i_ = 0; v_ && i_ < (l).n; i_++) {           \
			v_[i_].res = &(l).v[i_];                        \
			v_[i_].id = (l).v[i_].idf;                      \
			v_[i_].display = (l).v[i_].namef;               \
			v_[i_].state = (l).v[i_].statef;                \
		}                                                       \
		v_;                                                     \
	})

static int fetch_compartments(struct tree *t, struct tree_node *n,
			      struct oci_error *err)
{
	struct oci_compartment_list l = { 0 };
	struct listed *v;
	size_t kept;
	int ret;

	ret = oci_list_compartments(t->o->client, n->id, false, "ANY", &l,
				    err);
	if (ret)
		return listing_errno(ret, err);
	v = LISTED(l, id, name, lifecycle_state);
	ret = v ? install(t, n, TREE_LIST_COMPARTMENTS, TREE_COMPARTMENT,
			  update_comp, v, l.n, &kept)
		: -ENOMEM;
	free(v);
	oci_compartment_list_release(&l);
	return ret;
}

static int fetch_vaults(struct tree *t, struct tree_node *n,
			struct oci_error *err)
{
	struct oci_vault_list l = { 0 };
	struct listed *v;
	size_t kept;
	int ret;

	ret = oci_list_vaults(t->o->client, n->id, &l, err);
	if (ret)
		return listing_errno(ret, err);
	v = LISTED(l, id, display_name, lifecycle_state);
	ret = v ? install(t, n, TREE_LIST_VAULTS, TREE_VAULT, update_vault, v,
			  l.n, &kept)
		: -ENOMEM;
	free(v);
	oci_vault_list_release(&l);
	return ret;
}

static int fetch_keys(struct tree *t, struct tree_node *n,
		      struct oci_error *err)
{
	char mgmt[OVFS_URL_MAX], comp[OVFS_OCID_MAX];
	struct oci_key_list l = { 0 };
	struct listed *v;
	size_t kept = 0;
	int ret;

	pthread_mutex_lock(&n->lock);
	buf_copy(mgmt, sizeof(mgmt), n->vault.management_endpoint);
	buf_copy(comp, sizeof(comp), n->vault.compartment_id);
	pthread_mutex_unlock(&n->lock);
	if (!mgmt[0] || !comp[0]) {
		oci_error_local(err, -EIO, "the vault has no management endpoint");
		return -EIO;
	}
	ret = oci_list_keys(t->o->client, mgmt, comp, &l, err);
	if (ret)
		return listing_errno(ret, err);
	v = LISTED(l, id, display_name, lifecycle_state);
	ret = v ? install(t, n, TREE_LIST_KEYS, TREE_KEY, update_key, v, l.n,
			  &kept)
		: -ENOMEM;
	for (size_t i = 0; !ret && t->o->backups && i < kept; i++)
		backups_observe_key(t->o->backups, v[i].node, v[i].res);
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

/*
 * Make listing `which` of `n` fresh enough; single flight.  0 (possibly
 * serving an older listing after a failed refresh) or -errno.
 */
static int ensure_fresh(struct tree *t, struct tree_node *n, int which)
{
	uint64_t ttl = (uint64_t)t->o->opts.cache_ttl * 1000;
	struct tree_listing *L = &n->lists[which];
	struct oci_error err;
	int ret;

	oci_error_clear(&err);
	pthread_mutex_lock(&n->lock);
	for (;;) {
		uint64_t now = now_ms(t);

		if (L->valid && now < L->fetched_ms + ttl) {
			pthread_mutex_unlock(&n->lock);
			atomic_fetch_add(&t->o->counters.cache_hits, 1);
			return 0;
		}
		if (!L->fetching)
			break;
		pthread_cond_wait(&n->cond, &n->lock);
		if (!L->fetching && !L->valid && L->last_errno) {
			ret = L->last_errno;
			pthread_mutex_unlock(&n->lock);
			return ret;
		}
	}
	L->fetching = true;
	pthread_mutex_unlock(&n->lock);

	atomic_fetch_add(&t->o->counters.cache_misses, 1);
	ret = fetch_list(t, n, which, &err);

	pthread_mutex_lock(&n->lock);
	L->fetching = false;
	if (!ret) {
		L->valid = true;
		L->fetched_ms = now_ms(t);
		L->last_errno = 0;
		oci_error_clear(&L->last_error);
		atomic_fetch_add(&t->fetched, 1);
	} else {
		char line[1024];

		atomic_fetch_add(&t->failures, 1);
		L->last_errno = ret;
		L->last_error = err;
		oci_error_format(&err, line, sizeof(line));
		if (L->valid) {
			/* Keep serving what we had; retry a little later. */
			uint64_t now = now_ms(t);

			L->fetched_ms = now + TREE_RETRY_MS > ttl
						? now + TREE_RETRY_MS - ttl
						: 0;
			log_msg(&t->o->log, LOG_WARNING,
				"cannot refresh a listing of '%s' (%s); "
				"serving the cached one", n->id, line);
			ret = 0;
		} else {
			log_msg(&t->o->log, LOG_ERR,
				"cannot list the contents of '%s': %s", n->id,
				line);
		}
	}
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	return ret;
}

/* Find `name` in a fresh listing. */
static int find_child(struct tree *t, struct tree_node *n, int which,
		      const char *name, struct tree_node **out)
{
	struct tree_child key, *hit;
	int ret;

	ret = ensure_fresh(t, n, which);
	if (ret)
		return ret;
	if (buf_copy(key.name, sizeof(key.name), name))
		return -ENOENT;
	pthread_mutex_lock(&n->lock);
	hit = n->lists[which].n ? bsearch(&key, n->lists[which].v,
					  n->lists[which].n, sizeof(key),
					  cmp_child)
				: NULL;
	*out = hit ? hit->node : NULL;
	pthread_mutex_unlock(&n->lock);
	if (!hit) {
		atomic_fetch_add(&t->o->counters.probes, 1);
		return -ENOENT;
	}
	return 0;
}

/* ---- path resolution ------------------------------------------------ */

static int step(struct tree *t, struct tree_path *p, const char *c)
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
		else
			goto probe;
		return 0;
	case TW_COMPARTMENTS:
	case TW_VAULTS:
		ret = find_child(t, p->node,
				 p->what == TW_COMPARTMENTS
					 ? TREE_LIST_COMPARTMENTS
					 : TREE_LIST_VAULTS,
				 c, &child);
		if (ret)
			return ret;
		p->what = p->what == TW_COMPARTMENTS ? TW_COMPARTMENT
						     : TW_VAULT;
		p->node = child;
		return 0;
	case TW_VAULT:
		if (!strcmp(c, "id"))
			p->what = TW_ID;
		else if (!strcmp(c, "vault.json"))
			p->what = TW_VAULT_JSON;
		else if (!strcmp(c, "keys"))
			p->what = TW_KEYS;
		else
			goto probe;
		return 0;
	case TW_KEYS:
		ret = find_child(t, p->node, TREE_LIST_KEYS, c, &child);
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
		else if (!strcmp(c, "wait"))
			p->what = TW_WAIT;
		else
			goto probe;
		return 0;
	case TW_CTL:
		if (!strcmp(c, "stats"))
			p->what = TW_CTL_STATS;
		else if (!strcmp(c, "backups"))
			p->what = TW_CTL_BACKUPS;
		else
			goto probe;
		return 0;
	default:
		return -ENOTDIR;
	}
probe:
	atomic_fetch_add(&t->o->counters.probes, 1);
	return -ENOENT;
}

int tree_resolve(struct tree *t, const char *path, struct tree_path *out)
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
		ret = step(t, out, comp);
		if (ret)
			return ret;
	}
	return 0;
}

static const char *const comp_entries[] = { "id", "compartments", "vaults",
					    NULL };
static const char *const vault_entries[] = { "id", "vault.json", "keys",
					     NULL };
static const char *const key_entries[] = { "id",     "key.json", "backup",
					   "status", "wait",     NULL };
static const char *const ctl_entries[] = { "stats", "backups", NULL };

static int fill_fixed(struct tree *t, const struct tree_path *p,
		      const char *const *names, tree_fill_fn fill, void *arg)
{
	for (size_t i = 0; names[i]; i++) {
		struct tree_path cp = *p;
		int ret = step(t, &cp, names[i]);

		if (!ret)
			ret = fill(arg, names[i], &cp);
		if (ret)
			return ret;
	}
	return 0;
}

int tree_readdir(struct tree *t, const struct tree_path *p, tree_fill_fn fill,
		 void *arg)
{
	struct tree_child *copy = NULL;
	struct tree_node *n = p->node;
	enum tree_what kidwhat;
	size_t count;
	int which, ret;

	switch (p->what) {
	case TW_COMPARTMENT:
		ret = fill_fixed(t, p, comp_entries, fill, arg);
		if (!ret && n == t->root) {
			struct tree_path cp = { TW_CTL, n };

			ret = fill(arg, TREE_CTL_NAME, &cp);
		}
		return ret;
	case TW_VAULT:
		return fill_fixed(t, p, vault_entries, fill, arg);
	case TW_KEY:
		return fill_fixed(t, p, key_entries, fill, arg);
	case TW_CTL:
		return fill_fixed(t, p, ctl_entries, fill, arg);
	case TW_COMPARTMENTS:
		which = TREE_LIST_COMPARTMENTS;
		kidwhat = TW_COMPARTMENT;
		break;
	case TW_VAULTS:
		which = TREE_LIST_VAULTS;
		kidwhat = TW_VAULT;
		break;
	case TW_KEYS:
		which = TREE_LIST_KEYS;
		kidwhat = TW_KEY;
		break;
	default:
		return -ENOTDIR;
	}
	ret = ensure_fresh(t, n, which);
	if (ret)
		return ret;
	pthread_mutex_lock(&n->lock);
	count = n->lists[which].n;
	if (count) {
		copy = malloc(count * sizeof(*copy));
		if (copy)
			memcpy(copy, n->lists[which].v, count * sizeof(*copy));
	}
	pthread_mutex_unlock(&n->lock);
	if (count && !copy)
		return -ENOMEM;
	ret = 0;
	for (size_t i = 0; i < count && !ret; i++) {
		struct tree_path cp = { kidwhat, copy[i].node };

		ret = fill(arg, copy[i].name, &cp);
	}
	free(copy);
	return ret;
}

/* ---- node accessors --------------------------------------------------- */

void tree_node_key(struct tree_node *n, struct oci_key *out)
{
	pthread_mutex_lock(&n->lock);
	*out = n->key;
	out->json = NULL;
	pthread_mutex_unlock(&n->lock);
}

void tree_node_vault(struct tree_node *n, struct oci_vault *out)
{
	pthread_mutex_lock(&n->lock);
	*out = n->vault;
	out->json = NULL;
	pthread_mutex_unlock(&n->lock);
}

void tree_node_compartment(struct tree_node *n, struct oci_compartment *out)
{
	pthread_mutex_lock(&n->lock);
	*out = n->comp;
	out->json = NULL;
	pthread_mutex_unlock(&n->lock);
}

void tree_node_name(struct tree_node *n, char out[NAMES_MAX + 1])
{
	pthread_mutex_lock(&n->lock);
	memcpy(out, n->name, NAMES_MAX + 1);
	pthread_mutex_unlock(&n->lock);
}

struct tree_node *tree_node_parent(struct tree_node *n)
{
	return n->parent;
}

void tree_update_key(struct tree *t, struct tree_node *n,
		     const struct oci_key *k, const char *etag)
{
	struct oci_key copy;

	if (oci_key_copy(&copy, k))
		return;
	pthread_mutex_lock(&n->lock);
	oci_key_release(&n->key);
	n->key = copy;
	if (etag)
		buf_copy(n->etag, sizeof(n->etag), etag);
	n->updated = wall_now(t);
	n->hidden = state_hidden(k->lifecycle_state);
	pthread_mutex_unlock(&n->lock);
}

void tree_invalidate(struct tree_node *n)
{
	pthread_mutex_lock(&n->lock);
	for (int i = 0; i < 2; i++)
		n->lists[i].fetched_ms = 0;
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
			n->kind == TREE_KEY     ? "keys"
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

int tree_fetch_json(struct tree *t, struct tree_node *n, struct buf *out)
{
	struct oci_error err;
	int ret;

	if (n->kind == TREE_KEY) {
		char mgmt[OVFS_URL_MAX], etag[OVFS_ETAG_MAX];
		struct oci_key k = { 0 };

		pthread_mutex_lock(&n->parent->lock);
		buf_copy(mgmt, sizeof(mgmt),
			 n->parent->vault.management_endpoint);
		pthread_mutex_unlock(&n->parent->lock);
		ret = oci_get_key(t->o->client, mgmt, n->id, &k, etag, &err);
		if (!ret) {
			tree_update_key(t, n, &k, etag);
			ret = buf_adds(out, k.json ? k.json : "{}\n");
		}
		oci_key_release(&k);
	} else if (n->kind == TREE_VAULT) {
		struct oci_vault v = { 0 };

		ret = oci_get_vault(t->o->client, n->id, &v, &err);
		if (!ret) {
			struct oci_vault copy;

			if (!oci_vault_copy(&copy, &v)) {
				pthread_mutex_lock(&n->lock);
				oci_vault_release(&n->vault);
				n->vault = copy;
				n->updated = wall_now(t);
				pthread_mutex_unlock(&n->lock);
			}
			ret = buf_adds(out, v.json ? v.json : "{}\n");
		}
		oci_vault_release(&v);
	} else {
		return -EINVAL;
	}
	if (ret && oci_error_is_set(&err)) {
		char line[1024];

		oci_error_format(&err, line, sizeof(line));
		log_msg(&t->o->log, LOG_WARNING, "cannot read '%s': %s", n->id,
			line);
	}
	return ret;
}

void tree_stats(struct tree *t, struct tree_stats *out)
{
	out->nodes = atomic_load(&t->nodes);
	out->listings_fetched = atomic_load(&t->fetched);
	out->fetch_failures = atomic_load(&t->failures);
}
