/* SPDX-License-Identifier: MIT */
/* backup: submissions, tracking, status text; see include/backup.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "clock.h"
#include "crypto.h"
#include "http.h"
#include "oci.h"
#include "ovfs.h"
#include "target.h"
#include "tree.h"
#include "banned.h"

#define BK_HASH 1024
#define BK_POLL_FIRST_MS 1000
#define BK_POLL_MAX_MS 15000
#define BK_WAIT_SLICE_MS 100
#define BK_TOKEN_LEN 32

struct bk_job {
	struct tree_node *key; /* never freed during the mount */
	struct bk_status st;
	/* Tracking */
	bool by_key_state;
	uint64_t next_poll_ms;
	uint64_t interval_ms;
	char mgmt[OVFS_URL_MAX];
	char key_compartment[OVFS_OCID_MAX];
	/* Where the object should be (for HeadObject); "" when unknown. */
	char ns[OVFS_NS_MAX];
	char bucket[OVFS_BUCKET_MAX];
	char object[OVFS_OBJECT_MAX];
	bool polling; /* the tracker is working on it without the lock */
	uint64_t seq; /* order of first submission, for the backups list */
	struct bk_job *next;
};

struct backups {
	struct ovfs *o;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a job changed state (wait readers) */
	pthread_cond_t wake;    /* the tracker has something to do */
	struct bk_job *hash[BK_HASH];
	struct bk_job **all;
	size_t n, alloc;
	uint64_t seq;
	pthread_t thread;
	bool running;
	bool stop;
	bool wr_unsupported; /* GetWorkRequest answered 404 once */
	struct backups_stats stats;
};

/* ---- pure helpers ----------------------------------------------------- */

static const char *const state_names[] = {
	[BK_NONE] = "none",
	[BK_SUBMITTING] = "submitting",
	[BK_ACCEPTED] = "accepted",
	[BK_IN_PROGRESS] = "in_progress",
	[BK_SUCCEEDED] = "succeeded",
	[BK_FAILED] = "failed",
};

const char *bk_state_name(enum bk_state s)
{
	return s <= BK_FAILED ? state_names[s] : "unknown";
}

bool bk_in_flight(enum bk_state s)
{
	return s == BK_SUBMITTING || s == BK_ACCEPTED || s == BK_IN_PROGRESS;
}

void bk_eligibility(const char *vault_type, const char *protection_mode,
		    const char *key_state, char *why, size_t n)
{
	why[0] = '\0';
	if (vault_type && *vault_type && strcmp(vault_type, "VIRTUAL_PRIVATE"))
		snprintf(why, n,
			 "keys in %s vaults cannot be backed up (only keys "
			 "in VIRTUAL_PRIVATE vaults)",
			 vault_type);
	else if (protection_mode && *protection_mode &&
		 strcmp(protection_mode, "HSM"))
		snprintf(why, n,
			 "%s-protected keys cannot be backed up (only HSM "
			 "keys)",
			 protection_mode);
	else if (key_state && (!strcmp(key_state, "PENDING_DELETION") ||
			       !strcmp(key_state, "SCHEDULING_DELETION") ||
			       !strcmp(key_state, "DELETING") ||
			       !strcmp(key_state, "DELETED")))
		snprintf(why, n,
			 "the key is %s (only ENABLED or DISABLED keys can "
			 "be backed up)",
			 key_state);
}

static int add_time(struct buf *out, const char *name, int64_t t)
{
	char ts[32];

	if (!t || clock_rfc3339(t, ts, sizeof(ts)))
		return 0;
	return buf_addf(out, "%s: %s\n", name, ts);
}

static const char *errno_name(int neg)
{
	const char *s = strerrorname_np(-neg);

	return s ? s : "EIO";
}

int bk_status_render(const struct bk_status *s, struct buf *out)
{
	int ret = buf_addf(out, "state: %s\n", bk_state_name(s->state));

	if (ret)
		return ret;
	if (s->state != BK_NONE || s->origin == BK_ORIGIN_ELSEWHERE)
		buf_addf(out, "origin: %s\n",
			 s->origin == BK_ORIGIN_MOUNT ? "this mount"
						      : "elsewhere");
	if (s->progress >= 0 && s->state != BK_NONE)
		buf_addf(out, "progress: %.0f\n", s->progress);
	if (s->target[0])
		buf_addf(out, "target: %s\n", s->target);
	if (s->object[0])
		buf_addf(out, "object: %s\n", s->object);
	if (s->object_size >= 0)
		buf_addf(out, "size: %lld\n", (long long)s->object_size);
	else if (s->object_unverified && s->state == BK_SUCCEEDED)
		buf_adds(out, "size: unknown (the object could not be "
			      "checked)\n");
	if (s->work_request[0])
		buf_addf(out, "work_request: %s\n", s->work_request);
	if (s->request_id[0])
		buf_addf(out, "request_id: %s\n", s->request_id);
	add_time(out, "submitted", s->submitted);
	add_time(out, "started", s->started);
	add_time(out, "finished", s->finished);
	if (s->key_state[0])
		buf_addf(out, "key_state: %s\n", s->key_state);
	if (bk_in_flight(s->state) && s->state != BK_SUBMITTING)
		buf_addf(out, "tracking: %s\n",
			 s->tracking_by_key_state ? "key_state"
						  : "work_request");
	if (s->state == BK_FAILED && oci_error_is_set(&s->error)) {
		char line[1536];

		oci_error_format(&s->error, line, sizeof(line));
		buf_addf(out, "error: %s\n", line);
		if (s->error_errno)
			buf_addf(out, "errno: %s\n",
				 errno_name(s->error_errno));
	}
	if (s->eligible[0])
		buf_addf(out, "eligible: no, %s\n", s->eligible);
	else
		buf_adds(out, "eligible: yes\n");
	if (s->rejected[0]) {
		char ts[32] = "";

		clock_rfc3339(s->rejected_at, ts, sizeof(ts));
		buf_addf(out, "rejected: %s %s\n", ts, s->rejected);
	}
	if (s->note[0])
		ret = buf_addf(out, "note: %s\n", s->note);
	return ret;
}

/* ---- job table --------------------------------------------------------- */

static unsigned int job_hash(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % BK_HASH;
}

static struct bk_job *job_find(struct backups *b, const struct tree_node *key)
{
	struct bk_job *j;

	for (j = b->hash[job_hash(key->id)]; j; j = j->next)
		if (j->key == key)
			return j;
	return NULL;
}

/* Find or create (lock held). */
static struct bk_job *job_get(struct backups *b, struct tree_node *key)
{
	struct bk_job *j = job_find(b, key);
	unsigned int h;

	if (j)
		return j;
	if (b->n == b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 64;
		struct bk_job **v = realloc(b->all, na * sizeof(*v));

		if (!v)
			return NULL;
		b->all = v;
		b->alloc = na;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->key = key;
	j->st.progress = -1;
	j->st.object_size = -1;
	h = job_hash(key->id);
	j->next = b->hash[h];
	b->hash[h] = j;
	b->all[b->n++] = j;
	return j;
}

/* Reset a job for a new backup, keeping nothing of the previous one. */
static void job_reset(struct bk_job *j, enum bk_origin origin)
{
	memset(&j->st, 0, sizeof(j->st));
	j->st.progress = -1;
	j->st.object_size = -1;
	j->st.origin = origin;
	j->by_key_state = false;
	j->ns[0] = j->bucket[0] = j->object[0] = '\0';
	j->interval_ms = BK_POLL_FIRST_MS;
}

static uint64_t mono(struct backups *b)
{
	return clock_mono_ms(oci_client_clock(b->o->client));
}

static int64_t wall(struct backups *b)
{
	return clock_wall_s(oci_client_clock(b->o->client));
}

int backups_new(struct backups **out, struct ovfs *o)
{
	struct backups *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->o = o;
	if (pthread_mutex_init(&b->lock, NULL) ||
	    clock_cond_init(&b->changed) || clock_cond_init(&b->wake)) {
		free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

void backups_free(struct backups *b)
{
	if (!b)
		return;
	backups_stop(b);
	for (size_t i = 0; i < b->n; i++)
		free(b->all[i]);
	free(b->all);
	pthread_cond_destroy(&b->changed);
	pthread_cond_destroy(&b->wake);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* ---- status of a key --------------------------------------------------- */

/* Eligibility and key state of a key node, from the tree (no network). */
static void key_facts(struct tree_node *key, char *why, size_t n,
		      char *state, size_t sn)
{
	struct oci_vault v;
	struct oci_key k;

	tree_node_key(key, &k);
	tree_node_vault(tree_node_parent(key), &v);
	bk_eligibility(v.vault_type, k.protection_mode, k.lifecycle_state,
		       why, n);
	buf_copy(state, sn, k.lifecycle_state);
}

static void fill_status(struct backups *b, struct tree_node *key,
			struct bk_status *st)
{
	char why[256], state[OVFS_ENUM_MAX];
	struct bk_job *j;

	key_facts(key, why, sizeof(why), state, sizeof(state));
	pthread_mutex_lock(&b->lock);
	j = job_find(b, key);
	if (j) {
		*st = j->st;
	} else {
		memset(st, 0, sizeof(*st));
		st->progress = -1;
		st->object_size = -1;
	}
	pthread_mutex_unlock(&b->lock);
	buf_copy(st->eligible, sizeof(st->eligible), why);
	if (!bk_in_flight(st->state) || !st->key_state[0])
		buf_copy(st->key_state, sizeof(st->key_state), state);
}

int backups_status(struct backups *b, struct tree_node *key, struct buf *out)
{
	struct bk_status *st = malloc(sizeof(*st));
	int ret;

	if (!st)
		return -ENOMEM;
	fill_status(b, key, st);
	ret = bk_status_render(st, out);
	free(st);
	return ret;
}

/* ---- submission ---------------------------------------------------------- */

/* Record a refusal: a failure when idle, a "rejected" line when busy. */
static void record_refusal(struct backups *b, struct bk_job *j, int ret,
			   const char *code, const char *msg,
			   const char *target)
{
	b->stats.rejected++;
	if (bk_in_flight(j->st.state)) {
		snprintf(j->st.rejected, sizeof(j->st.rejected), "%s: %s",
			 errno_name(ret), msg);
		j->st.rejected_at = wall(b);
	} else {
		job_reset(j, BK_ORIGIN_MOUNT);
		j->st.state = BK_FAILED;
		j->st.error_errno = ret;
		j->st.error.local_errno = ret;
		buf_copy(j->st.error.code, sizeof(j->st.error.code), code);
		buf_copy(j->st.error.message, sizeof(j->st.error.message), msg);
		if (target)
			buf_copy(j->st.target, sizeof(j->st.target), target);
		j->st.submitted = j->st.finished = wall(b);
	}
	pthread_cond_broadcast(&b->changed);
}

/* "ns/bucket/object" from a PAR URL (redacted or not). */
static void object_from_par(const char *url, char *ns, char *bucket,
			    char *object)
{
	struct http_url *u = malloc(sizeof(*u));
	struct buf dec = BUF_INIT(OVFS_OBJECT_MAX);
	const char *p, *q, *r;

	ns[0] = bucket[0] = object[0] = '\0';
	if (!u || http_url_parse(url, u))
		goto out;
	/* /p/<token>/n/<ns>/b/<bucket>/o/<object> */
	p = strstr(u->path, "/n/");
	q = p ? strstr(p + 3, "/b/") : NULL;
	r = q ? strstr(q + 3, "/o/") : NULL;
	if (!r)
		goto out;
	snprintf(ns, OVFS_NS_MAX, "%.*s", (int)(q - p - 3), p + 3);
	snprintf(bucket, OVFS_BUCKET_MAX, "%.*s", (int)(r - q - 3), q + 3);
	if (!http_unescape(r + 3, strlen(r + 3), &dec))
		buf_copy(object, OVFS_OBJECT_MAX, dec.buf);
out:
	buf_release(&dec);
	free(u);
}

struct submit_ctx {
	char key_name[OVFS_NAME_MAX];
	char vault_name[OVFS_NAME_MAX];
	char comp_name[OVFS_NAME_MAX];
	char vault_type[OVFS_ENUM_MAX];
	char mgmt[OVFS_URL_MAX];
	char key_comp[OVFS_OCID_MAX];
	char protection[OVFS_ENUM_MAX];
	char key_state[OVFS_ENUM_MAX];
};

static void submit_facts(struct tree_node *key, struct submit_ctx *sc)
{
	struct tree_node *vn = tree_node_parent(key);
	struct tree_node *cn = tree_node_parent(vn);
	struct oci_compartment c;
	struct oci_vault v;
	struct oci_key k;

	tree_node_key(key, &k);
	tree_node_vault(vn, &v);
	tree_node_compartment(cn, &c);
	buf_copy(sc->key_name, sizeof(sc->key_name), k.display_name);
	buf_copy(sc->vault_name, sizeof(sc->vault_name), v.display_name);
	buf_copy(sc->comp_name, sizeof(sc->comp_name), c.name);
	buf_copy(sc->vault_type, sizeof(sc->vault_type), v.vault_type);
	buf_copy(sc->mgmt, sizeof(sc->mgmt), v.management_endpoint);
	buf_copy(sc->key_comp, sizeof(sc->key_comp), k.compartment_id);
	buf_copy(sc->protection, sizeof(sc->protection), k.protection_mode);
	buf_copy(sc->key_state, sizeof(sc->key_state), k.lifecycle_state);
}

/*
 * BackupKey answered 404 NotAuthorizedOrNotFound for a key we listed.  OCI
 * does not say whether the key is gone or we may not act on it; a fresh
 * ListKeys does: absent means gone (ENOENT), still listed or the listing
 * refused as well means not authorized (EACCES).  The key stays in the
 * cached listing, so that its `status` shows why, until the next refresh.
 */
static int refine_not_found(struct backups *b, struct tree_node *key,
			    const struct submit_ctx *sc)
{
	struct oci_key_list l = { 0 };
	struct oci_error e;
	int ret;

	ret = oci_list_keys(b->o->client, sc->mgmt, sc->key_comp, &l, &e);
	if (ret == -ENOENT && e.http_status == 404) {
		ret = -EACCES;
	} else if (!ret) {
		ret = -ENOENT;
		for (size_t i = 0; i < l.n && ret == -ENOENT; i++)
			if (!strcmp(l.v[i].id, key->id) &&
			    strcmp(l.v[i].lifecycle_state, "DELETED"))
				ret = -EACCES;
	} else {
		ret = -ENOENT; /* cannot tell: report what OCI said */
	}
	oci_key_list_release(&l);
	return ret;
}

/*
 * After BackupKey was refused with 400/409, look at the key afresh to tell
 * "cannot be backed up" (EOPNOTSUPP) from "busy" (EBUSY); after a 404, tell
 * "gone" from "not authorized".
 */
static int refine_refusal(struct backups *b, struct tree_node *key,
			  const struct submit_ctx *sc, int ret,
			  const struct oci_error *err, char *why, size_t n)
{
	struct oci_key k = { 0 };
	struct oci_error e;
	char etag[OVFS_ETAG_MAX];

	why[0] = '\0';
	if (ret == -ENOENT && err->http_status == 404)
		return refine_not_found(b, key, sc);
	if (ret != -EBUSY && ret != -EINVAL)
		return ret;
	if (oci_get_key(b->o->client, sc->mgmt, key->id, &k, etag, &e))
		return ret;
	tree_update_key(b->o->tree, key, &k, etag);
	bk_eligibility(sc->vault_type, k.protection_mode, k.lifecycle_state,
		       why, n);
	if (why[0])
		ret = -EOPNOTSUPP;
	else if (!strcmp(k.lifecycle_state, "BACKUP_IN_PROGRESS"))
		ret = -EBUSY;
	oci_key_release(&k);
	return ret;
}

int backups_submit(struct backups *b, struct tree_node *key, const char *data,
		   size_t len)
{
	char why[512], token[BK_TOKEN_LEN + 1];
	struct target_ctx tc = { 0 };
	struct submit_ctx *sc = NULL;
	struct target *tg = NULL;
	struct oci_action_result res;
	struct oci_key out = { 0 };
	struct oci_error err;
	struct bk_job *j;
	size_t start, tlen;
	int ret;

	ret = target_extract(data, len, &start, &tlen, why, sizeof(why));
	if (ret == -ENODATA)
		return 0; /* comments only: nothing to do */
	sc = calloc(1, sizeof(*sc));
	tg = calloc(1, sizeof(*tg));
	if (!sc || !tg) {
		ret = -ENOMEM;
		goto out;
	}
	submit_facts(key, sc);

	/* A malformed target is EINVAL even while a backup is in flight
	 * (then only noted as `rejected:`), so parse before looking. */
	if (!ret) {
		tc.region = oci_client_region(b->o->client);
		tc.endpoint_host = b->o->endpoint_host[0] ? b->o->endpoint_host
							  : NULL;
		tc.name_template = b->o->template;
		tc.key_name = sc->key_name;
		tc.key_id = key->id;
		tc.vault_name = sc->vault_name;
		tc.compartment_name = sc->comp_name;
		tc.now = wall(b);
		ret = target_parse(data + start, tlen, &tc, tg, why,
				   sizeof(why));
		if (ret == -ENOMEM)
			goto out;
	}

	pthread_mutex_lock(&b->lock);
	j = job_get(b, key);
	if (!j) {
		pthread_mutex_unlock(&b->lock);
		ret = -ENOMEM;
		goto out;
	}
	if (ret) {
		ret = -EINVAL;
		record_refusal(b, j, ret, "InvalidTarget", why, NULL);
		pthread_mutex_unlock(&b->lock);
		goto out;
	}
	if (bk_in_flight(j->st.state)) {
		ret = -EBUSY;
		record_refusal(b, j, ret, "BackupInFlight",
			       "a backup of this key is already in flight",
			       NULL);
		pthread_mutex_unlock(&b->lock);
		goto out;
	}
	pthread_mutex_unlock(&b->lock);

	bk_eligibility(sc->vault_type, sc->protection, sc->key_state, why,
		       sizeof(why));
	if (why[0] || !strcmp(sc->key_state, "BACKUP_IN_PROGRESS")) {
		ret = why[0] ? -EOPNOTSUPP : -EBUSY;
		pthread_mutex_lock(&b->lock);
		record_refusal(b, j, ret,
			       why[0] ? "NotEligible" : "BackupInFlight",
			       why[0] ? why
				      : "the key is already being backed up "
					"(BACKUP_IN_PROGRESS)",
			       tg->display);
		pthread_mutex_unlock(&b->lock);
		goto out;
	}
	if (tg->needs_namespace) {
		ret = ovfs_namespace(b->o, tg->loc.namespace_name, &err);
		if (ret)
			goto failed_call;
	}

	/* Claim the job: from here on, other writers get EBUSY. */
	pthread_mutex_lock(&b->lock);
	if (bk_in_flight(j->st.state)) {
		ret = -EBUSY;
		record_refusal(b, j, ret, "BackupInFlight",
			       "a backup of this key is already in flight",
			       NULL);
		pthread_mutex_unlock(&b->lock);
		goto out;
	}
	job_reset(j, BK_ORIGIN_MOUNT);
	j->st.state = BK_SUBMITTING;
	j->seq = ++b->seq;
	j->st.submitted = wall(b);
	buf_copy(j->st.target, sizeof(j->st.target), tg->display);
	buf_copy(j->st.key_state, sizeof(j->st.key_state), sc->key_state);
	buf_copy(j->mgmt, sizeof(j->mgmt), sc->mgmt);
	buf_copy(j->key_compartment, sizeof(j->key_compartment), sc->key_comp);
	if (tg->loc.dest == OCI_BACKUP_BUCKET) {
		buf_copy(j->ns, sizeof(j->ns), tg->loc.namespace_name);
		buf_copy(j->bucket, sizeof(j->bucket), tg->loc.bucket);
		buf_copy(j->object, sizeof(j->object), tg->loc.object);
	} else {
		object_from_par(tg->display, j->ns, j->bucket, j->object);
		j->st.object_unverified = true;
	}
	if (j->bucket[0])
		snprintf(j->st.object, sizeof(j->st.object), "%s/%s/%s", j->ns,
			 j->bucket, j->object);
	b->stats.started++;
	pthread_cond_broadcast(&b->changed);
	pthread_mutex_unlock(&b->lock);

	ret = crypto_random_id(token, BK_TOKEN_LEN);
	if (!ret)
		ret = oci_backup_key(b->o->client, sc->mgmt, key->id, &tg->loc,
				     token, NULL, &out, &res, &err);
	else
		oci_error_local(&err, ret, "no random numbers");
	if (ret) {
		target_redact_text(err.message); /* it may quote our PAR */
		ret = refine_refusal(b, key, sc, ret, &err, why,
				     sizeof(why));
		if (why[0]) {
			buf_copy(err.code, sizeof(err.code), "NotEligible");
			buf_copy(err.message, sizeof(err.message), why);
		}
		pthread_mutex_lock(&b->lock);
		j->st.state = BK_FAILED;
		j->st.error = err;
		j->st.error_errno = ret;
		j->st.finished = wall(b);
		b->stats.failed++;
		pthread_cond_broadcast(&b->changed);
		pthread_mutex_unlock(&b->lock);
		goto log;
	}
	tree_update_key(b->o->tree, key, &out, res.etag);
	pthread_mutex_lock(&b->lock);
	j->st.state = BK_ACCEPTED;
	j->st.progress = 0;
	buf_copy(j->st.work_request, sizeof(j->st.work_request),
		 res.work_request_id);
	buf_copy(j->st.request_id, sizeof(j->st.request_id), res.request_id);
	buf_copy(j->st.key_state, sizeof(j->st.key_state),
		 out.lifecycle_state);
	j->by_key_state = b->wr_unsupported || !res.work_request_id[0];
	j->st.tracking_by_key_state = j->by_key_state;
	j->interval_ms = BK_POLL_FIRST_MS;
	j->next_poll_ms = mono(b) + BK_POLL_FIRST_MS;
	pthread_cond_broadcast(&b->changed);
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
	log_msg(&b->o->log, LOG_INFO, "backup of key '%s' accepted (%s)",
		key->id, res.work_request_id);
	goto out;

failed_call:
	pthread_mutex_lock(&b->lock);
	record_refusal(b, j, ret, err.code[0] ? err.code : "Error",
		       err.message, tg->display);
	if (!bk_in_flight(j->st.state))
		j->st.error = err;
	pthread_mutex_unlock(&b->lock);
log:
	{
		char line[1536];

		oci_error_format(&err, line, sizeof(line));
		log_msg(&b->o->log, LOG_WARNING, "backup of key '%s' refused: %s",
			key->id, line);
	}
out:
	crypto_wipe(token, sizeof(token));
	if (tg)
		crypto_wipe(&tg->loc, sizeof(tg->loc)); /* may hold a PAR URL */
	free(tg);
	free(sc);
	oci_key_release(&out);
	return ret;
}

/* ---- tracking ------------------------------------------------------------ */

void backups_observe_key(struct backups *b, struct tree_node *key,
			 const struct oci_key *k)
{
	struct oci_vault v;
	struct bk_job *j;

	if (strcmp(k->lifecycle_state, "BACKUP_IN_PROGRESS"))
		return;
	tree_node_vault(tree_node_parent(key), &v);
	pthread_mutex_lock(&b->lock);
	j = job_get(b, key);
	if (j && !bk_in_flight(j->st.state)) {
		job_reset(j, BK_ORIGIN_ELSEWHERE);
		j->st.state = BK_IN_PROGRESS;
		j->seq = ++b->seq;
		j->by_key_state = true;
		j->st.tracking_by_key_state = true;
		j->st.started = wall(b);
		buf_copy(j->st.key_state, sizeof(j->st.key_state),
			 k->lifecycle_state);
		buf_copy(j->mgmt, sizeof(j->mgmt), v.management_endpoint);
		buf_copy(j->key_compartment, sizeof(j->key_compartment),
			 k->compartment_id);
		j->next_poll_ms = mono(b) + BK_POLL_FIRST_MS;
		pthread_cond_broadcast(&b->changed);
		pthread_cond_signal(&b->wake);
	}
	pthread_mutex_unlock(&b->lock);
}

/* What one poll learnt about a job, applied under the lock. */
struct poll_result {
	struct bk_job *job;
	bool done;            /* reached a final state */
	enum bk_state state;
	double progress;
	int64_t started, finished;
	char key_state[OVFS_ENUM_MAX];
	bool switch_to_key_state;
	bool poll_failed;
	struct oci_error error;
	int error_errno;
	int64_t size;
	bool verified;
	bool grouped; /* handled by a ListKeys of its group */
	char note[256];
};

static void next_interval(struct bk_job *j, uint64_t now)
{
	j->interval_ms = j->interval_ms * 3 / 2;
	if (j->interval_ms > BK_POLL_MAX_MS)
		j->interval_ms = BK_POLL_MAX_MS;
	j->next_poll_ms = now + j->interval_ms;
}

static void apply(struct backups *b, struct poll_result *r)
{
	struct bk_job *j = r->job;

	j->polling = false;
	b->stats.polls++;
	if (r->switch_to_key_state) {
		j->by_key_state = true;
		j->st.tracking_by_key_state = true;
		b->wr_unsupported = true;
		j->next_poll_ms = mono(b);
		return;
	}
	if (r->poll_failed) {
		char line[512];

		oci_error_format(&r->error, line, sizeof(line));
		snprintf(j->st.note, sizeof(j->st.note), "last poll failed: %s",
			 line);
		next_interval(j, mono(b));
		return;
	}
	j->st.note[0] = '\0';
	if (r->key_state[0])
		buf_copy(j->st.key_state, sizeof(j->st.key_state),
			 r->key_state);
	if (r->started)
		j->st.started = r->started;
	if (!r->done) {
		j->st.state = r->state;
		if (r->progress >= 0)
			j->st.progress = r->progress;
		next_interval(j, mono(b));
		return;
	}
	j->st.finished = r->finished ? r->finished : wall(b);
	if (r->note[0])
		buf_copy(j->st.note, sizeof(j->st.note), r->note);
	if (j->st.origin == BK_ORIGIN_ELSEWHERE && r->state != BK_FAILED &&
	    !r->verified) {
		/* Outcome unknown: not ours, not confirmed by an object. */
		j->st.state = BK_NONE;
		j->st.progress = -1;
		return;
	}
	j->st.state = r->state;
	if (r->state == BK_SUCCEEDED) {
		j->st.progress = 100;
		b->stats.succeeded++;
		if (r->verified) {
			j->st.object_size = r->size;
			j->st.object_unverified = false;
		}
	} else {
		j->st.error = r->error;
		j->st.error_errno = r->error_errno ? r->error_errno : -EIO;
		b->stats.failed++;
	}
}

/* HeadObject on the job's object: true when found (size set). */
static bool head_object(struct backups *b, const struct bk_job *j,
			int64_t *size, struct oci_error *err)
{
	struct oci_object_head h;

	if (!j->bucket[0] || !j->object[0])
		return false;
	if (oci_head_object(b->o->client, j->ns, j->bucket, j->object, &h,
			    err))
		return false;
	*size = h.content_length;
	return true;
}

/* The job finished according to the service: confirm and fill `r`. */
static void finish_success(struct backups *b, struct bk_job *j,
			   struct poll_result *r)
{
	struct oci_error err;

	oci_error_clear(&err);
	r->done = true;
	r->state = BK_SUCCEEDED;
	r->verified = head_object(b, j, &r->size, &err);
	if (r->verified || j->st.object_unverified)
		return;
	if (j->st.origin == BK_ORIGIN_ELSEWHERE) {
		snprintf(r->note, sizeof(r->note),
			 "a backup started elsewhere ended; its outcome is "
			 "not known here");
		return;
	}
	r->state = BK_FAILED;
	if (err.http_status == 404 || !oci_error_is_set(&err)) {
		oci_error_clear(&r->error);
		r->error.http_status = 404;
		buf_copy(r->error.code, sizeof(r->error.code),
			 "ObjectNotFound");
		snprintf(r->error.message, sizeof(r->error.message),
			 "the backup ended but HeadObject found no object "
			 "'%s' in bucket '%s'",
			 j->object, j->bucket);
		buf_copy(r->error.request_id, sizeof(r->error.request_id),
			 err.request_id);
		r->error_errno = -EIO;
	} else {
		r->error = err;
		r->error_errno = oci_error_errno(&err);
	}
}

static void poll_work_request(struct backups *b, struct bk_job *j,
			      struct poll_result *r)
{
	struct oci_work_request wr = { 0 };
	struct oci_error err;
	int ret;

	ret = oci_get_work_request(b->o->client, j->st.work_request, &wr,
				   &err);
	if (ret == -ENOENT) {
		r->switch_to_key_state = true;
		goto out;
	}
	if (ret) {
		r->poll_failed = true;
		r->error = err;
		goto out;
	}
	r->progress = wr.percent_complete;
	if (wr.time_started[0])
		clock_parse_rfc3339(wr.time_started, &r->started);
	if (wr.time_finished[0])
		clock_parse_rfc3339(wr.time_finished, &r->finished);
	if (!strcmp(wr.status, WR_STATUS_SUCCEEDED)) {
		finish_success(b, j, r);
	} else if (!strcmp(wr.status, WR_STATUS_FAILED) ||
		   !strcmp(wr.status, WR_STATUS_CANCELED)) {
		struct oci_wr_error_list el = { 0 };

		r->done = true;
		r->state = BK_FAILED;
		r->error_errno = -EIO;
		oci_error_clear(&r->error);
		/* No HTTP status of its own: without this the error would not
		 * count as set and `status` would hide it. */
		r->error.local_errno = -EIO;
		buf_copy(r->error.operation, sizeof(r->error.operation),
			 "BackupKey");
		if (!oci_list_work_request_errors(b->o->client, wr.id, &el,
						  &err) &&
		    el.n) {
			buf_copy(r->error.code, sizeof(r->error.code),
				 el.v[el.n - 1].code);
			buf_copy(r->error.message, sizeof(r->error.message),
				 el.v[el.n - 1].message);
			target_redact_text(r->error.message);
		} else {
			buf_copy(r->error.code, sizeof(r->error.code),
				 wr.status);
			snprintf(r->error.message, sizeof(r->error.message),
				 "work request %s", wr.status);
		}
		buf_copy(r->error.request_id, sizeof(r->error.request_id),
			 j->st.request_id);
		oci_wr_error_list_release(&el);
	} else {
		r->state = !strcmp(wr.status, WR_STATUS_ACCEPTED)
				   ? BK_ACCEPTED
				   : BK_IN_PROGRESS;
	}
out:
	oci_work_request_release(&wr);
}

/* Key-state tracking of every due job sharing `j`'s vault and compartment. */
static void poll_key_states(struct backups *b, struct poll_result *rs,
			    size_t n, size_t first)
{
	struct bk_job *j = rs[first].job;
	struct oci_key_list l = { 0 };
	struct oci_error err;
	int ret;

	ret = oci_list_keys(b->o->client, j->mgmt, j->key_compartment, &l,
			    &err);
	for (size_t i = first; i < n; i++) {
		struct poll_result *r = &rs[i];
		struct bk_job *o = r->job;
		const struct oci_key *k = NULL;

		if (!o->by_key_state || r->grouped ||
		    strcmp(o->mgmt, j->mgmt) ||
		    strcmp(o->key_compartment, j->key_compartment))
			continue;
		r->grouped = true;
		if (ret) {
			r->poll_failed = true;
			r->error = err;
			continue;
		}
		for (size_t k2 = 0; k2 < l.n && !k; k2++)
			if (!strcmp(l.v[k2].id, o->key->id))
				k = &l.v[k2];
		if (!k || !strcmp(k->lifecycle_state, "DELETED")) {
			r->done = true;
			r->state = BK_FAILED;
			r->error_errno = -ENOENT;
			oci_error_local(&r->error, -ENOENT,
					"the key is no longer listed");
			continue;
		}
		tree_update_key(b->o->tree, o->key, k, NULL);
		buf_copy(r->key_state, sizeof(r->key_state),
			 k->lifecycle_state);
		if (!strcmp(k->lifecycle_state, "BACKUP_IN_PROGRESS"))
			r->state = BK_IN_PROGRESS;
		else
			finish_success(b, o, r);
	}
	oci_key_list_release(&l);
}

static void final_key_state(struct backups *b, struct poll_result *r)
{
	struct bk_job *j = r->job;
	struct oci_key k = { 0 };
	struct oci_error err;
	char etag[OVFS_ETAG_MAX];

	if (r->key_state[0] || j->by_key_state)
		return;
	if (!oci_get_key(b->o->client, j->mgmt, j->key->id, &k, etag, &err)) {
		tree_update_key(b->o->tree, j->key, &k, etag);
		buf_copy(r->key_state, sizeof(r->key_state),
			 k.lifecycle_state);
	}
	oci_key_release(&k);
}

static void *tracker_main(void *arg)
{
	struct backups *b = arg;
	struct poll_result *rs = NULL;
	size_t cap = 0;

	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		uint64_t now = mono(b), next = now + 1000;
		size_t n = 0;

		if (ovfs_exiting(b->o)) {
			pthread_cond_broadcast(&b->changed);
			clock_cond_timedwait(&b->wake, &b->lock, 100);
			continue;
		}
		for (size_t i = 0; i < b->n; i++) {
			struct bk_job *j = b->all[i];

			if (j->st.state != BK_ACCEPTED &&
			    j->st.state != BK_IN_PROGRESS)
				continue;
			if (j->next_poll_ms > now) {
				if (j->next_poll_ms < next)
					next = j->next_poll_ms;
				continue;
			}
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct poll_result *v =
					realloc(rs, nc * sizeof(*v));

				if (!v)
					break;
				rs = v;
				cap = nc;
			}
			memset(&rs[n], 0, sizeof(rs[n]));
			rs[n].job = j;
			rs[n].progress = -1;
			j->polling = true;
			n++;
		}
		if (!n) {
			clock_cond_timedwait(&b->wake, &b->lock, next - now);
			continue;
		}
		pthread_mutex_unlock(&b->lock);

		/* Work requests one by one; key states one ListKeys a group. */
		for (size_t i = 0; i < n; i++)
			if (!rs[i].job->by_key_state)
				poll_work_request(b, rs[i].job, &rs[i]);
		for (size_t i = 0; i < n; i++)
			if (rs[i].job->by_key_state && !rs[i].grouped)
				poll_key_states(b, rs, n, i);
		for (size_t i = 0; i < n; i++)
			if (rs[i].done)
				final_key_state(b, &rs[i]);

		pthread_mutex_lock(&b->lock);
		for (size_t i = 0; i < n; i++)
			apply(b, &rs[i]);
		pthread_cond_broadcast(&b->changed);
	}
	pthread_mutex_unlock(&b->lock);
	free(rs);
	return NULL;
}

int backups_start(struct backups *b)
{
	int ret;

	pthread_mutex_lock(&b->lock);
	b->stop = false;
	pthread_mutex_unlock(&b->lock);
	ret = pthread_create(&b->thread, NULL, tracker_main, b);
	if (ret)
		return -ret;
	b->running = true;
	return 0;
}

void backups_stop(struct backups *b)
{
	if (!b->running)
		return;
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_cond_broadcast(&b->wake);
	pthread_cond_broadcast(&b->changed);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);
	b->running = false;
}

/* ---- wait, list, stats ---------------------------------------------------- */

int backups_wait(struct backups *b, struct tree_node *key,
		 bool (*interrupted)(void *arg), void *arg, struct buf *out)
{
	struct bk_job *j;
	int ret = 0;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		j = job_find(b, key);
		if (!j || !bk_in_flight(j->st.state))
			break;
		if (b->stop || ovfs_exiting(b->o) ||
		    (interrupted && interrupted(arg))) {
			ret = -EINTR;
			break;
		}
		clock_cond_timedwait(&b->changed, &b->lock, BK_WAIT_SLICE_MS);
	}
	if (!ret && j && j->st.state == BK_FAILED)
		ret = -EIO;
	pthread_mutex_unlock(&b->lock);
	if (ret != -EINTR) {
		int r2 = backups_status(b, key, out);

		if (r2)
			ret = r2;
	}
	return ret;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct bk_job *x = *(struct bk_job *const *)a;
	const struct bk_job *y = *(struct bk_job *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int backups_list(struct backups *b, struct buf *out)
{
	struct bk_job **v = NULL;
	struct bk_status *st = NULL;
	struct tree_node **keys = NULL;
	size_t n = 0;
	int ret = 0;

	pthread_mutex_lock(&b->lock);
	if (b->n) {
		v = malloc(b->n * sizeof(*v));
		st = malloc(b->n * sizeof(*st));
		keys = malloc(b->n * sizeof(*keys));
	}
	if (b->n && (!v || !st || !keys)) {
		pthread_mutex_unlock(&b->lock);
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->all[i]->seq)
			v[n++] = b->all[i];
	if (n) /* qsort(NULL, 0, ...) is undefined */
		qsort(v, n, sizeof(*v), cmp_seq);
	for (size_t i = 0; i < n; i++) {
		st[i] = v[i]->st;
		keys[i] = v[i]->key;
	}
	pthread_mutex_unlock(&b->lock);

	for (size_t i = 0; i < n && !ret; i++) {
		char sub[32] = "-", fin[32] = "-", prog[16] = "-";

		if (st[i].submitted)
			clock_rfc3339(st[i].submitted, sub, sizeof(sub));
		else if (st[i].started)
			clock_rfc3339(st[i].started, sub, sizeof(sub));
		if (st[i].finished)
			clock_rfc3339(st[i].finished, fin, sizeof(fin));
		if (st[i].progress >= 0)
			snprintf(prog, sizeof(prog), "%.0f%%", st[i].progress);
		ret = buf_addf(out, "%s\t%s\t", bk_state_name(st[i].state),
			       prog);
		if (!ret)
			ret = tree_node_path(keys[i], out);
		if (!ret)
			ret = buf_addf(out, "\t%s\t%s\t%s\t%s\n",
				       st[i].object[0]   ? st[i].object
				       : st[i].target[0] ? st[i].target
							 : "-",
				       sub, fin,
				       st[i].work_request[0] ? st[i].work_request
							     : "-");
	}
out:
	free(v);
	free(st);
	free(keys);
	return ret;
}

void backups_stats(struct backups *b, struct backups_stats *out)
{
	pthread_mutex_lock(&b->lock);
	*out = b->stats;
	out->in_flight = 0;
	for (size_t i = 0; i < b->n; i++)
		if (bk_in_flight(b->all[i]->st.state))
			out->in_flight++;
	pthread_mutex_unlock(&b->lock);
}
