/* SPDX-License-Identifier: MIT */
/* backup: submissions, tracking, status text; see include/backups.h. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backups.h"
#include "clock.h"
#include "crypto.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "oci.h"
#include "target.h"
#include "tree.h"
#include "banned.h"

#define BACKUPS_HASH 1024
#define BACKUPS_TRACKERS 4
#define BACKUPS_TRACKERS_MAX 16
/* A tracker with nothing to track ends after this long. */
#define BACKUPS_TRACKER_IDLE_MS 10000
#define BACKUPS_POLL_FIRST_MS 1000
#define BACKUPS_POLL_MAX_MS 15000
/* First work-request poll: the longest of the last BACKUPS_SCHED_RING backup
 * durations plus a margin, at most BACKUPS_POLL_LEARN_MAX_MS. */
#define BACKUPS_POLL_MARGIN_MS 300
#define BACKUPS_POLL_LEARN_MAX_MS 60000
/* Younger backups poll this long after the pilot (see defer_poll()). */
#define BACKUPS_PILOT_LAG_MS 200
/* Key states after the end: one ListKeys per vault for what ends within
 * this time. */
#define BACKUPS_KEYSTATE_GATHER_MS 3000
#define BACKUPS_KEYSTATE_TRIES 5
/* Object checks: gather the backups of one bucket that end within this
 * time into one listing of at most BACKUPS_VERIFY_PAGES pages. */
#define BACKUPS_VERIFY_GATHER_MS 2000
#define BACKUPS_VERIFY_PAGES 2
#define BACKUPS_VERIFY_LIMIT 1000
#define BACKUPS_BATCH_MAX 256
/* Clock skew allowed between us and Object Storage, seconds. */
#define BACKUPS_SKEW_S 300
/* ... and between us and the Work Requests API, when a work request is
 * matched to a BackupKey that got no answer (a tight bound: a backup of
 * the key just before must not be taken for it). */
#define BACKUPS_ADOPT_SKEW_S 30
#define BACKUPS_WAIT_SLICE_MS 100
#define BACKUPS_TOKEN_LEN 32
/* A key's path in the tree, for the journal. */
#define BACKUPS_PATH_MAX 16384
/*
 * One poll's budget: a few attempts, short sleeps, 20 s in all, so that a
 * failing poll is shown (`trouble:`) and retried on the tracker's own
 * schedule: after a failed poll, again after 1 s, 2 s, 4 s, then every
 * BACKUPS_TROUBLE_MAX_MS, so that an outcome known again is published within
 * about that step.
 */
#define BACKUPS_POLL_ATTEMPTS 3
#define BACKUPS_POLL_DELAY_MS 1000
#define BACKUPS_POLL_BUDGET_MS 20000
#define BACKUPS_TROUBLE_FIRST_MS 1000
#define BACKUPS_TROUBLE_MAX_MS 5000
/*
 * A BackupKey sent without an answer may still sit in the service's
 * queue: "OCI did not start it" is concluded only when nothing shows for
 * this long after the write ended (the default request timeout).
 */
#define BACKUPS_UNANSWERED_GRACE_MS 60000
/* Finished attempts kept for `.ocivaultfs/backups`, beyond the latest of
 * each key (docs/ocivaultfs.md, "The control directory"). */
#define BACKUPS_PAST_MAX 1024

/* What the trackers do next for a job in flight. */
enum backups_phase {
	PH_NONE, /* nothing: submitting, or final */
	PH_WR, /* GetWorkRequest */
	PH_KEYS, /* key state, one ListKeys per vault */
	PH_VERIFY, /* the service said done: check the object (ListObjects) */
	PH_HEAD, /* ... with HeadObject, the range listing did not reach it */
	PH_KEYSTATE, /* ended: the key's state, one ListKeys per vault */
};

/* A key's latest backup, compact: strings are allocated to fit. */
struct backups_job {
	struct tree_node *key; /* key or vault node, never freed */
	bool vault; /* a vault backup (BackupVault) */
	signed char include_keys; /* vault: 1 or 0, -1 unknown (resumed) */
	enum backups_state state;
	enum backups_origin origin;
	enum backups_phase phase;
	bool polling; /* a tracker is working on it without the lock */
	bool object_unverified;
	bool by_key_state;
	bool par; /* PAR target: the object may not be ours to check */
	bool refresh_key; /* ended: fetch the key's state (PH_KEYSTATE) */
	bool wr_polled; /* GetWorkRequest was asked at least once */
	bool unknown_outcome; /* elsewhere, ended, outcome not known here */
	/* BackupKey got no answer (timeout, reset, interrupt): OCI may have
	 * accepted it; the key's state (PH_KEYSTATE) will tell. */
	bool maybe_accepted;
	uint64_t unanswered_until_ms; /* ... and may still be executed */
	unsigned char poll_fails; /* consecutive failed polls */
	unsigned char key_tries; /* PH_KEYSTATE listings so far */
	double progress;
	int error_errno;
	int64_t submitted, started, finished, object_size, rejected_at;
	int64_t svc_finished; /* the service's end time, before the check */
	uint64_t accepted_ms, next_poll_ms, interval_ms;
	uint64_t seq; /* order of first submission, for the backups list */
	uint64_t jid; /* its journal entry, 0 none */
	char key_state[32];
	char *target; /* redacted display */
	char *work_request;
	char *request_id;
	char *rejected; /* last refused write while in flight */
	char *note;
	char *trouble; /* last failed poll while in flight, or NULL */
	int trouble_errno;
	unsigned int trouble_tries;
	int64_t trouble_since;
	char *key_comp; /* for ListKeys tracking */
	char *where; /* "ns\0bucket\0object", or NULL */
	const char *ns, *bucket, *object; /* into `where` */
	struct oci_error *error; /* when failed */
	/* The last successful backup, kept across attempts (job_reset()
	 * leaves it): `status` shows it after a later failure or refusal. */
	int64_t ok_finished; /* 0: none known */
	int64_t ok_size; /* < 0 unknown */
	char *ok_object; /* ns/bucket/object, else the redacted target */
	char *ok_wr;
	bool ok_looked_up; /* the journal was asked (once) */
	struct backups_job *next;
};

/*
 * One attempt of `.ocivaultfs/backups` that is no longer a job's latest
 * (a later attempt replaced it), or a write refused while a backup was
 * in flight: frozen, as it ended.  Strings are owned.
 */
struct backups_attempt {
	uint64_t seq;
	struct tree_node *key;
	bool vault;
	const char *state; /* a static name: backups_state_name(), "rejected" */
	int err; /* negative errno of a failure or refusal, 0 none */
	double progress;
	int64_t submitted, finished;
	char *what; /* object, else target */
	char *wr;
};

struct backups {
	struct oci_client *client;
	struct tree *tree;
	const struct logger *log;
	const char *name_template;
	const char *vault_name_template;
	const char *endpoint_host;
	int (*get_namespace)(void *arg, char *ns, struct oci_error *err);
	bool (*exiting)(void *arg);
	void *arg;

	pthread_mutex_t lock;
	pthread_cond_t changed; /* a job changed state (wait readers) */
	pthread_cond_t wake; /* the trackers have something to do */
	struct backups_job *hash[BACKUPS_HASH];
	struct backups_job **all;
	size_t n, alloc;
	size_t cursor; /* round robin of pick_work() */
	uint64_t seq;
	struct backups_sched sched; /* durations of recent backups */
	/* Trackers start when there is work and end after BACKUPS_TRACKER_IDLE_MS
	 * without any; an ended one is joined when its slot is reused. */
	pthread_t threads[BACKUPS_TRACKERS_MAX];
	bool slot_used[BACKUPS_TRACKERS_MAX]; /* created, not joined yet */
	bool slot_live[BACKUPS_TRACKERS_MAX]; /* running */
	unsigned int ntrackers, live, idle;
	bool started; /* backups_start() was called: threads may be made */
	bool stop;
	bool wr_unsupported; /* GetWorkRequest answered 404 once */
	uint64_t write_timeout_ms;
	struct backups_stats stats;
	/* A ring of BACKUPS_PAST_MAX frozen attempts (lock); the oldest is
	 * dropped when it is full. */
	struct backups_attempt *past;
	size_t past_head, past_n;
	/* Journal entries to resume, by key OCID (see "journal" below). */
	struct journal *journal;
	struct backups_pending *pending[BACKUPS_HASH];
	size_t npending; /* read without the lock as a hint (atomic) */
	pthread_t resume_thread;
	bool resume_used, resume_live;
};

/*
 * Make a tracker if there is none idle and fewer than the bound (lock
 * held).  Called when a job becomes trackable.  A failure is harmless
 * while one tracker lives; with none the job waits for the next call.
 */
static void tracker_spawn(struct backups *b);
static int64_t wall(struct backups *b);

/* ---- pure helpers ----------------------------------------------------- */

static const char *const state_names[] = {
	[BACKUPS_NONE] = "none",
	[BACKUPS_SUBMITTING] = "submitting",
	[BACKUPS_ACCEPTED] = "accepted",
	[BACKUPS_IN_PROGRESS] = "in_progress",
	[BACKUPS_SUCCEEDED] = "succeeded",
	[BACKUPS_FAILED] = "failed",
};

const char *backups_state_name(enum backups_state s)
{
	return s <= BACKUPS_FAILED ? state_names[s] : "unknown";
}

bool backups_in_flight(enum backups_state s)
{
	return s == BACKUPS_SUBMITTING || s == BACKUPS_ACCEPTED ||
	       s == BACKUPS_IN_PROGRESS;
}

void backups_eligibility(const char *vault_type, const char *protection_mode,
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

void backups_vault_eligibility(const char *vault_type, const char *state,
			       char *why, size_t n)
{
	why[0] = '\0';
	if (vault_type && *vault_type && strcmp(vault_type, "VIRTUAL_PRIVATE"))
		snprintf(why, n,
			 "%s vaults cannot be backed up (only VIRTUAL_PRIVATE "
			 "vaults)",
			 vault_type);
	else if (state && *state && strcmp(state, "ACTIVE") &&
		 strcmp(state, "BACKUP_IN_PROGRESS"))
		snprintf(why, n,
			 "the vault is %s (only ACTIVE vaults can be backed "
			 "up)",
			 state);
}

void backups_sched_learn(struct backups_sched *s, uint64_t ms)
{
	s->dur_ms[s->n++ % BACKUPS_SCHED_RING] = ms;
}

uint64_t backups_sched_first(const struct backups_sched *s)
{
	uint64_t est = 0;

	for (size_t i = 0; i < s->n && i < BACKUPS_SCHED_RING; i++)
		if (s->dur_ms[i] > est)
			est = s->dur_ms[i];
	if (!est)
		return BACKUPS_POLL_FIRST_MS;
	est += BACKUPS_POLL_MARGIN_MS;
	if (est < BACKUPS_POLL_FIRST_MS)
		est = BACKUPS_POLL_FIRST_MS;
	return est > BACKUPS_POLL_LEARN_MAX_MS ? BACKUPS_POLL_LEARN_MAX_MS
					       : est;
}

uint64_t backups_sched_due(const struct backups_sched *s, uint64_t now,
			   uint64_t accepted, bool polled, bool pilot,
			   uint64_t pilot_accepted, uint64_t pilot_next)
{
	uint64_t age = now - accepted;

	if (s->n) {
		if (!polled && age < backups_sched_first(s))
			return accepted + backups_sched_first(s);
		return now;
	}
	if (pilot && age < now - pilot_accepted &&
	    age < BACKUPS_POLL_LEARN_MAX_MS)
		return (pilot_next > now ? pilot_next : now) +
		       BACKUPS_PILOT_LAG_MS;
	return now;
}

/*
 * The status text is built line by line; the first failure (-EMSGSIZE,
 * -ENOMEM) stops it and is returned, so a truncated `status` is never
 * shown as if complete.
 */
struct render {
	struct buf *out;
	int ret;
};

__attribute__((format(printf, 2, 3))) static void line(struct render *r,
						       const char *fmt, ...)
{
	va_list ap;

	if (r->ret)
		return;
	va_start(ap, fmt);
	r->ret = buf_vaddf(r->out, fmt, ap);
	va_end(ap);
}

static void line_time(struct render *r, const char *name, int64_t t)
{
	char ts[32];

	if (t && !clock_rfc3339(t, ts, sizeof(ts)))
		line(r, "%s: %s\n", name, ts);
}

static const char *errno_name(int neg)
{
	const char *s = strerrorname_np(-neg);

	return s ? s : "EIO";
}

int backups_report_render(const struct backups_report *s, struct buf *out)
{
	struct render r = {out, 0};

	line(&r, "state: %s\n", backups_state_name(s->state));
	if (s->state != BACKUPS_NONE || s->origin == BACKUPS_ORIGIN_ELSEWHERE)
		line(&r, "origin: %s\n",
		     s->origin == BACKUPS_ORIGIN_MOUNT ? "this mount"
						       : "elsewhere");
	if (s->progress >= 0 && s->state != BACKUPS_NONE)
		line(&r, "progress: %.0f\n", s->progress);
	if (s->target[0])
		line(&r, "target: %s\n", s->target);
	if (s->object[0])
		line(&r, "object: %s\n", s->object);
	if (s->object_size >= 0)
		line(&r, "size: %lld\n", (long long)s->object_size);
	else if (s->object_unverified && s->state == BACKUPS_SUCCEEDED)
		line(&r, "size: unknown (the object could not be checked)\n");
	if (s->work_request[0])
		line(&r, "work_request: %s\n", s->work_request);
	if (s->request_id[0])
		line(&r, "request_id: %s\n", s->request_id);
	line_time(&r, "submitted", s->submitted);
	line_time(&r, "started", s->started);
	line_time(&r, "finished", s->finished);
	if (s->key_state[0])
		line(&r, "%s: %s\n", s->vault ? "vault_state" : "key_state",
		     s->key_state);
	if (s->vault && s->include_keys >= 0)
		line(&r, "include_keys: %s\n", s->include_keys ? "yes" : "no");
	if (backups_in_flight(s->state) && s->state != BACKUPS_SUBMITTING)
		line(&r, "tracking: %s\n",
		     !s->tracking_by_key_state ? "work_request"
		     : s->vault		       ? "vault_state"
					       : "key_state");
	if (s->trouble[0]) {
		char ts[32] = "";

		clock_rfc3339(s->trouble_since, ts, sizeof(ts));
		line(&r, "trouble: %s since %s, %u failed attempt%s: %s\n",
		     errno_name(s->trouble_errno ? s->trouble_errno : -EIO), ts,
		     s->trouble_tries, s->trouble_tries == 1 ? "" : "s",
		     s->trouble);
	}
	if (s->state == BACKUPS_FAILED && oci_error_is_set(&s->error)) {
		char text[1536];

		oci_error_format(&s->error, text, sizeof(text));
		line(&r, "error: %s\n", text);
		if (s->error_errno)
			line(&r, "errno: %s\n", errno_name(s->error_errno));
	}
	if (s->eligible[0])
		line(&r, "eligible: no, %s\n", s->eligible);
	else
		line(&r, "eligible: yes\n");
	if (s->rejected[0]) {
		char ts[32] = "";

		clock_rfc3339(s->rejected_at, ts, sizeof(ts));
		line(&r, "rejected: %s %s\n", ts, s->rejected);
	}
	if (s->note[0])
		line(&r, "note: %s\n", s->note);
	if (s->ok_finished) {
		line_time(&r, "last_success", s->ok_finished);
		if (s->ok_object[0])
			line(&r, "last_success_object: %s\n", s->ok_object);
		if (s->ok_size >= 0)
			line(&r, "last_success_size: %lld\n",
			     (long long)s->ok_size);
		if (s->ok_wr[0])
			line(&r, "last_success_work_request: %s\n", s->ok_wr);
	}
	return r.ret;
}

/* ---- job table --------------------------------------------------------- */

static unsigned int job_hash(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % BACKUPS_HASH;
}

static struct backups_job *job_find(struct backups *b,
				    const struct tree_node *key)
{
	struct backups_job *j;

	for (j = b->hash[job_hash(key->id)]; j; j = j->next)
		if (j->key == key)
			return j;
	return NULL;
}

/* Replace *dst by a copy of `src` ("" and NULL: no string).  On -ENOMEM
 * *dst is NULL: the field is then missing from `status`, nothing worse. */
static int str_set(char **dst, const char *src)
{
	free(*dst);
	*dst = NULL;
	if (!src || !*src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static const char *str_or(const char *s)
{
	return s ? s : "";
}

/* Words of messages: what is backed up, and the call that does it. */
static const char *what_of(bool vault)
{
	return vault ? "vault" : "key";
}

static const char *call_of(bool vault)
{
	return vault ? "BackupVault" : "BackupKey";
}

/* Where the object goes: one allocation "ns\0bucket\0object". */
static int job_set_where(struct backups_job *j, const char *ns,
			 const char *bucket, const char *object)
{
	size_t a = strlen(ns) + 1, c = strlen(bucket) + 1,
	       d = strlen(object) + 1;

	free(j->where);
	j->where = NULL;
	j->ns = j->bucket = j->object = NULL;
	if (!bucket[0] || !object[0])
		return 0;
	j->where = malloc(a + c + d);
	if (!j->where)
		return -ENOMEM;
	memcpy(j->where, ns, a);
	memcpy(j->where + a, bucket, c);
	memcpy(j->where + a + c, object, d);
	j->ns = j->where;
	j->bucket = j->where + a;
	j->object = j->where + a + c;
	return 0;
}

static void job_set_error(struct backups_job *j, const struct oci_error *e,
			  int err)
{
	if (!j->error)
		j->error = malloc(sizeof(*j->error));
	if (j->error)
		*j->error = *e;
	j->error_errno = err;
}

/* Forget the previous backup of the job, keeping nothing of it. */
static void job_reset(struct backups_job *j, enum backups_origin origin)
{
	free(j->target);
	free(j->work_request);
	free(j->request_id);
	free(j->rejected);
	free(j->note);
	free(j->trouble);
	free(j->key_comp);
	free(j->where);
	free(j->error);
	j->target = j->work_request = j->request_id = j->rejected = NULL;
	j->note = j->trouble = j->key_comp = j->where = NULL;
	j->trouble_errno = 0;
	j->trouble_tries = 0;
	j->trouble_since = 0;
	j->unknown_outcome = false;
	j->maybe_accepted = false;
	j->poll_fails = 0;
	j->ns = j->bucket = j->object = NULL;
	j->error = NULL;
	j->error_errno = 0;
	j->state = BACKUPS_NONE;
	j->origin = origin;
	j->phase = PH_NONE;
	j->progress = -1;
	j->object_size = -1;
	j->object_unverified = j->by_key_state = j->par = false;
	j->submitted = j->started = j->finished = j->rejected_at = 0;
	j->svc_finished = 0;
	j->refresh_key = false;
	j->wr_polled = false;
	j->key_tries = 0;
	j->key_state[0] = '\0';
	j->interval_ms = BACKUPS_POLL_FIRST_MS;
	j->jid = 0;
	j->include_keys = -1;
}

/* Find or create (lock held). */
static struct backups_job *job_get(struct backups *b, struct tree_node *key)
{
	struct backups_job *j = job_find(b, key);
	unsigned int h;

	if (j)
		return j;
	if (b->n == b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 64;
		struct backups_job **v = realloc(b->all, na * sizeof(*v));

		if (!v)
			return NULL;
		b->all = v;
		b->alloc = na;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->key = key;
	j->vault = key->kind == TREE_VAULT;
	j->ok_size = -1;
	job_reset(j, BACKUPS_ORIGIN_MOUNT);
	h = job_hash(key->id);
	j->next = b->hash[h];
	b->hash[h] = j;
	b->all[b->n++] = j;
	return j;
}

static void job_free(struct backups_job *j)
{
	job_reset(j, BACKUPS_ORIGIN_MOUNT);
	free(j->ok_object);
	free(j->ok_wr);
	free(j);
}

static void attempt_release(struct backups_attempt *a)
{
	free(a->what);
	free(a->wr);
	memset(a, 0, sizeof(*a));
}

/* A slot for a new frozen attempt (lock held), the oldest one freed when
 * the ring is full; NULL when it could not be allocated. */
static struct backups_attempt *past_push(struct backups *b)
{
	struct backups_attempt *a;

	if (!b->past) {
		b->past = calloc(BACKUPS_PAST_MAX, sizeof(*b->past));
		if (!b->past)
			return NULL;
	}
	if (b->past_n == BACKUPS_PAST_MAX) {
		attempt_release(&b->past[b->past_head]);
		b->past_head = (b->past_head + 1) % BACKUPS_PAST_MAX;
		b->past_n--;
	}
	a = &b->past[(b->past_head + b->past_n++) % BACKUPS_PAST_MAX];
	return a;
}

/* What the list shows of a job's object: ns/bucket/object, else the
 * target, else "-". */
static void job_what(const struct backups_job *j, char *out, size_t n)
{
	if (j->where)
		snprintf(out, n, "%s/%s/%s", j->ns, j->bucket, j->object);
	else
		buf_copy(out, n, j->target ? j->target : "-");
}

/*
 * The job's latest attempt is about to be replaced by a new one (lock
 * held): keep it in the ring of past attempts, as it is now.
 */
/* The job's latest attempt as a line of the list, into *a (lock held):
 * 0, or -ENOMEM (a's strings are then whatever could be copied). */
static int attempt_of_job(const struct backups_job *j,
			  struct backups_attempt *a)
{
	char what[OVFS_NS_MAX + OVFS_BUCKET_MAX + OVFS_OBJECT_MAX];

	job_what(j, what, sizeof(what));
	a->seq = j->seq;
	a->key = j->key;
	a->vault = j->vault;
	a->state = j->unknown_outcome && j->state == BACKUPS_NONE
			   ? "unknown"
			   : backups_state_name(j->state);
	a->err = j->state == BACKUPS_FAILED
			 ? (j->error_errno ? j->error_errno : -EIO)
			 : 0;
	a->progress = j->progress;
	a->submitted = j->submitted ? j->submitted : j->started;
	a->finished = backups_in_flight(j->state) ? 0 : j->finished;
	a->what = strdup(what);
	a->wr = strdup(j->work_request ? j->work_request : "-");
	return a->what && a->wr ? 0 : -ENOMEM;
}

static void job_retire(struct backups *b, const struct backups_job *j)
{
	struct backups_attempt *a;

	if (!j->seq || (j->state == BACKUPS_NONE && !j->unknown_outcome))
		return;
	a = past_push(b);
	if (a) /* out of memory: the line is lost, nothing worse */
		(void)attempt_of_job(j, a);
}

/* A write refused while a backup of the key was in flight (lock held):
 * one frozen "rejected" attempt. */
static void past_rejected(struct backups *b, const struct backups_job *j,
			  int err, const char *target)
{
	struct backups_attempt *a = past_push(b);

	if (!a)
		return;
	a->seq = ++b->seq;
	a->key = j->key;
	a->vault = j->vault;
	a->state = "rejected";
	a->err = err;
	a->progress = -1;
	a->submitted = a->finished = wall(b);
	a->what = strdup(target && *target ? target : "-");
}

/* The job as `status` shows it (lock held). */
static void job_status(const struct backups_job *j, struct backups_report *st)
{
	memset(st, 0, sizeof(*st));
	st->state = j->state;
	st->origin = j->origin;
	st->progress = j->progress;
	buf_copy(st->target, sizeof(st->target), str_or(j->target));
	if (j->where)
		snprintf(st->object, sizeof(st->object), "%s/%s/%s", j->ns,
			 j->bucket, j->object);
	st->object_size = j->object_size;
	st->object_unverified = j->object_unverified;
	buf_copy(st->work_request, sizeof(st->work_request),
		 str_or(j->work_request));
	buf_copy(st->request_id, sizeof(st->request_id), str_or(j->request_id));
	st->submitted = j->submitted;
	st->started = j->started;
	st->finished = j->finished;
	buf_copy(st->key_state, sizeof(st->key_state), j->key_state);
	st->tracking_by_key_state = j->by_key_state;
	st->vault = j->vault;
	st->include_keys = j->include_keys;
	if (j->error)
		st->error = *j->error;
	else
		oci_error_clear(&st->error);
	st->error_errno = j->error_errno;
	buf_copy(st->rejected, sizeof(st->rejected), str_or(j->rejected));
	st->rejected_at = j->rejected_at;
	buf_copy(st->note, sizeof(st->note), str_or(j->note));
	buf_copy(st->trouble, sizeof(st->trouble), str_or(j->trouble));
	st->trouble_errno = j->trouble_errno;
	st->trouble_since = j->trouble_since;
	st->trouble_tries = j->trouble_tries;
	st->ok_finished = j->ok_finished;
	st->ok_size = j->ok_size;
	buf_copy(st->ok_object, sizeof(st->ok_object), str_or(j->ok_object));
	buf_copy(st->ok_wr, sizeof(st->ok_wr), str_or(j->ok_wr));
}

static uint64_t mono(struct backups *b)
{
	return clock_mono_ms(oci_client_clock(b->client));
}

static int64_t wall(struct backups *b)
{
	return clock_wall_s(oci_client_clock(b->client));
}

static bool exiting(struct backups *b)
{
	return b->exiting && b->exiting(b->arg);
}

/* ---- journal: resuming what the last daemon left in flight ---------------- */

/*
 * An unfinished journal entry waiting for its key node: nodes exist only
 * once a listing saw the key, so the entry becomes the key's job in
 * pending_take() when that happens (backups_observe_key(), or a write to
 * the key's `backup`).  The resume thread makes it happen by resolving
 * the recorded path.
 */
struct backups_pending {
	uint64_t jid;
	int64_t submitted;
	bool par;
	bool vault; /* a vault backup (kind "vault-backup") */
	bool given_up; /* its path does not lead to it: wait for a listing */
	unsigned int round;
	char *key_id, *path, *target, *wr, *req, *ns, *bucket, *object;
	struct backups_pending *next;
};

static void pending_free(struct backups_pending *p)
{
	if (!p)
		return;
	free(p->key_id);
	free(p->path);
	free(p->target);
	free(p->wr);
	free(p->req);
	free(p->ns);
	free(p->bucket);
	free(p->object);
	free(p);
}

static struct backups_pending **pending_slot(struct backups *b,
					     const char *key_id)
{
	struct backups_pending **pp = &b->pending[job_hash(key_id)];

	while (*pp && strcmp((*pp)->key_id, key_id))
		pp = &(*pp)->next;
	return pp;
}

/* journal_each_unfinished() callback of backups_new(). */
static int pending_load(void *arg, const struct journal_entry *e)
{
	struct backups *b = arg;
	struct backups_pending *p, **pp;
	bool vault = !strcmp(e->kind, "vault-backup");
	char msg[128];

	if (e->kind[0] && !vault)
		return 0; /* a restore: the restores' own */
	if (!strcmp(e->state, "submitting")) {
		/* BackupKey was sent (or about to be) when the daemon ended:
		 * whether OCI accepted it is not known.  If it did, the key
		 * is BACKUP_IN_PROGRESS and is followed as started
		 * elsewhere. */
		snprintf(msg, sizeof(msg),
			 "the daemon ended before %s answered", call_of(vault));
		journal_set(b->journal, e->id, wall(b), "unknown", wall(b),
			    NULL, "OutcomeUnknown", msg, NULL);
		log_msg(b->log, LOG_WARNING,
			"journal: the backup of %s '%s' submitted at %lld has "
			"no known outcome (%s)",
			what_of(vault), e->key, (long long)e->submitted, msg);
		return 0;
	}
	if (!e->key[0])
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->jid = e->id;
	p->submitted = e->submitted;
	p->par = !strncmp(e->target, "https://", 8);
	p->vault = vault;
	if (str_set(&p->key_id, e->key) || str_set(&p->path, e->path) ||
	    str_set(&p->target, e->target) || str_set(&p->wr, e->wr) ||
	    str_set(&p->req, e->request_id) || str_set(&p->ns, e->ns) ||
	    str_set(&p->bucket, e->bucket) || str_set(&p->object, e->object)) {
		pending_free(p);
		return -ENOMEM;
	}
	pp = pending_slot(b, p->key_id);
	if (*pp) {
		/* Two unfinished entries of one key (cannot happen through
		 * this code): the newer is followed, the older closed. */
		struct backups_pending *old = *pp;

		snprintf(msg, sizeof(msg),
			 "a later backup of the %s is in the journal",
			 what_of(vault));
		journal_set(b->journal, old->jid, wall(b), "unknown", wall(b),
			    NULL, "OutcomeUnknown", msg, NULL);
		p->next = old->next;
		pending_free(old);
		*pp = p;
	} else {
		p->next = NULL;
		*pp = p;
		__atomic_add_fetch(&b->npending, 1, __ATOMIC_RELAXED);
	}
	log_msg(b->log, LOG_INFO,
		"journal: resuming the backup of %s '%s' (work request %s)",
		what_of(vault), p->key_id, p->wr ? p->wr : "unknown");
	return 0;
}

/*
 * The key's pending entry becomes its job (lock held): in_progress, origin
 * this mount, tracked from its work request at once.  `key_comp` is the
 * key's compartment (key-state tracking).
 */
static void pending_take(struct backups *b, struct backups_job *j,
			 const char *key_comp)
{
	struct backups_pending **pp, *p;

	if (!b->npending)
		return;
	pp = pending_slot(b, j->key->id);
	p = *pp;
	if (!p || (backups_in_flight(j->state) &&
		   j->origin != BACKUPS_ORIGIN_ELSEWHERE))
		return;
	*pp = p->next;
	__atomic_sub_fetch(&b->npending, 1, __ATOMIC_RELAXED);
	job_retire(b, j);
	job_reset(j, BACKUPS_ORIGIN_MOUNT);
	j->state = BACKUPS_IN_PROGRESS;
	j->seq = ++b->seq;
	j->jid = p->jid;
	j->submitted = p->submitted;
	j->par = j->object_unverified = p->par;
	j->progress = 0;
	str_set(&j->target, p->target);
	str_set(&j->work_request, p->wr);
	str_set(&j->request_id, p->req);
	str_set(&j->key_comp, key_comp);
	if (p->bucket && p->object)
		job_set_where(j, str_or(p->ns), p->bucket, p->object);
	str_set(&j->note, "resumed from the journal after the daemon "
			  "restarted");
	j->by_key_state = b->wr_unsupported || !p->wr;
	j->phase = j->by_key_state ? PH_KEYS : PH_WR;
	j->accepted_ms = j->next_poll_ms = mono(b);
	pending_free(p);
	pthread_cond_broadcast(&b->changed);
	pthread_cond_signal(&b->wake);
	tracker_spawn(b);
}

static struct backups_pending *pending_next(struct backups *b,
					    unsigned int round)
{
	for (size_t i = 0; i < BACKUPS_HASH; i++)
		for (struct backups_pending *p = b->pending[i]; p; p = p->next)
			if (!p->given_up && p->round != round)
				return p;
	return NULL;
}

#define BACKUPS_RESUME_RETRY_MS 1000
#define BACKUPS_RESUME_RETRY_MAX_MS 30000

/*
 * Resolve the paths of the pending entries, so that their keys get
 * listed and their jobs made (pending_take() from the listing).  A failed
 * fetch is tried again (1 s, doubling to 30 s); a path that does not lead
 * to the key (renamed, deleted, no longer visible) is given up, logged:
 * the entry is then resumed only when a listing shows the key.
 * NEEDSWORK: the entry of a key that was deleted meanwhile stays
 * unfinished in the journal (carried over at each rotation) for ever;
 * its work request could be followed without a key node.
 */
static void *resume_main(void *arg)
{
	struct backups *b = arg;
	uint64_t delay = BACKUPS_RESUME_RETRY_MS;
	unsigned int round = 1;
	bool retry = false;

	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		struct backups_pending *p =
			exiting(b) ? NULL : pending_next(b, round);
		struct buf path = BUF_INIT(BACKUPS_PATH_MAX);
		struct tree_path tp;
		char *key_id;
		int ret;

		if (!p) {
			uint64_t until = mono(b) + delay;

			if (!retry || exiting(b))
				break;
			/* Not on `wake`: its signals are for the trackers. */
			for (uint64_t now = mono(b);
			     !b->stop && !exiting(b) && now < until;
			     now = mono(b))
				clock_cond_timedwait(&b->changed, &b->lock,
						     until - now);
			delay = delay * 2 > BACKUPS_RESUME_RETRY_MAX_MS
					? BACKUPS_RESUME_RETRY_MAX_MS
					: delay * 2;
			round++;
			retry = false;
			continue;
		}
		p->round = round;
		key_id = strdup(p->key_id);
		ret = key_id ? buf_addf(&path, "/%s", str_or(p->path))
			     : -ENOMEM;
		pthread_mutex_unlock(&b->lock);
		if (!ret)
			ret = tree_resolve(b->tree, path.buf, &tp);
		pthread_mutex_lock(&b->lock);
		p = key_id ? *pending_slot(b, key_id) : NULL;
		if (p && (!ret || ret == -ENOENT || ret == -ENOTDIR ||
			  ret == -EACCES || ret == -EMSGSIZE)) {
			const char *w = what_of(p->vault);

			p->given_up = true;
			log_msg(b->log, LOG_WARNING,
				"journal: cannot find %s '%s' at '%s' (%s%s); "
				"its backup is followed once a listing shows "
				"the %s",
				w, key_id, path.buf,
				ret ? strerror(-ret) : "another ", ret ? "" : w,
				w);
		} else if (p) {
			retry = true;
		}
		free(key_id);
		buf_release(&path);
	}
	b->resume_live = false;
	pthread_cond_broadcast(&b->changed);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* Start the resume thread when there are pending entries (lock held). */
static void resume_spawn(struct backups *b)
{
	if (!b->npending || b->resume_used || b->stop)
		return;
	if (pthread_create(&b->resume_thread, NULL, resume_main, b)) {
		log_msg(b->log, LOG_WARNING,
			"journal: cannot start the resume thread; backups in "
			"the journal are followed once their keys or vaults "
			"are listed");
		return;
	}
	b->resume_used = b->resume_live = true;
}

int backups_new(struct backups **out, const struct backups_opts *opts)
{
	struct backups *b;

	*out = NULL;
	if (!opts || !opts->client || !opts->tree || !opts->log ||
	    !opts->get_namespace)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->client = opts->client;
	b->tree = opts->tree;
	b->log = opts->log;
	b->name_template = opts->name_template;
	b->vault_name_template = opts->vault_name_template;
	b->endpoint_host = opts->endpoint_host && opts->endpoint_host[0]
				   ? opts->endpoint_host
				   : NULL;
	b->get_namespace = opts->get_namespace;
	b->exiting = opts->exiting;
	b->arg = opts->arg;
	b->ntrackers = opts->trackers ? opts->trackers : BACKUPS_TRACKERS;
	b->journal = opts->journal;
	b->write_timeout_ms = opts->write_timeout_ms ? opts->write_timeout_ms
						     : BACKUPS_WRITE_TIMEOUT_MS;
	if (b->ntrackers > BACKUPS_TRACKERS_MAX)
		b->ntrackers = BACKUPS_TRACKERS_MAX;
	if (pthread_mutex_init(&b->lock, NULL) ||
	    clock_cond_init(&b->changed) || clock_cond_init(&b->wake)) {
		free(b);
		return -ENOMEM;
	}
	if (b->journal && !journal_read_only(b->journal)) {
		int ret = journal_each_unfinished(b->journal, pending_load, b);

		if (ret) {
			backups_free(b);
			return ret;
		}
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
		job_free(b->all[i]);
	free(b->all);
	for (size_t i = 0; b->past && i < BACKUPS_PAST_MAX; i++)
		attempt_release(&b->past[i]);
	free(b->past);
	for (size_t i = 0; i < BACKUPS_HASH; i++)
		while (b->pending[i]) {
			struct backups_pending *p = b->pending[i];

			b->pending[i] = p->next;
			pending_free(p);
		}
	pthread_cond_destroy(&b->changed);
	pthread_cond_destroy(&b->wake);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* ---- status of a key --------------------------------------------------- */

/* Eligibility and key state of a key node, from the tree (no network). */
static void key_facts(struct tree_node *key, char *why, size_t n, char *state,
		      size_t sn)
{
	struct oci_vault *v = malloc(sizeof(*v));
	struct oci_key *k = malloc(sizeof(*k));

	why[0] = state[0] = '\0';
	if (v && key->kind == TREE_VAULT) {
		tree_node_vault(key, v);
		backups_vault_eligibility(v->vault_type, v->lifecycle_state,
					  why, n);
		buf_copy(state, sn, v->lifecycle_state);
	} else if (v && k) {
		tree_node_key(key, k);
		tree_node_vault(tree_node_parent(key), v);
		backups_eligibility(v->vault_type, k->protection_mode,
				    k->lifecycle_state, why, n);
		buf_copy(state, sn, k->lifecycle_state);
	}
	free(v);
	free(k);
}

/*
 * The tree still lists the key as BACKUP_IN_PROGRESS (as BackupKey's answer
 * said) although this mount's backup of it ended: that state is older than
 * what we know, so it neither blocks a new backup nor shows in `status`.
 * The next listing (cache_ttl) brings the key's real state.
 */
static bool stale_in_progress(const struct backups_job *j, const char *state)
{
	return j && j->origin == BACKUPS_ORIGIN_MOUNT && j->finished &&
	       !j->maybe_accepted && !backups_in_flight(j->state) &&
	       !strcmp(state, "BACKUP_IN_PROGRESS");
}

/*
 * The last success of a key from before this mount, from the journal:
 * asked once per key, when its status is first read (no disk I/O; the
 * journal lock is never taken under b->lock).
 */
static void last_success_lookup(struct backups *b, struct tree_node *key)
{
	struct journal_success *js;
	struct backups_job *j;
	bool ask;

	if (!b->journal)
		return;
	pthread_mutex_lock(&b->lock);
	j = job_find(b, key);
	ask = !j || !j->ok_looked_up;
	pthread_mutex_unlock(&b->lock);
	if (!ask)
		return;
	js = malloc(sizeof(*js));
	if (!js)
		return;
	if (journal_last_success(b->journal, key->id, js))
		js->finished = 0;
	pthread_mutex_lock(&b->lock);
	j = job_get(b, key);
	if (j && !j->ok_looked_up) {
		j->ok_looked_up = true;
		if (js->finished && !j->ok_finished) {
			j->ok_finished = js->finished;
			str_set(&j->ok_object, js->object);
			str_set(&j->ok_wr, js->wr);
		}
	}
	pthread_mutex_unlock(&b->lock);
	free(js);
}

static void fill_status(struct backups *b, struct tree_node *key,
			struct backups_report *st)
{
	char why[256], state[OVFS_ENUM_MAX];
	struct backups_job *j;
	bool stale;

	key_facts(key, why, sizeof(why), state, sizeof(state));
	last_success_lookup(b, key);
	pthread_mutex_lock(&b->lock);
	j = job_find(b, key);
	if (j) {
		job_status(j, st);
	} else {
		memset(st, 0, sizeof(*st));
		st->progress = -1;
		st->object_size = -1;
		st->ok_size = -1;
		st->include_keys = -1;
		st->vault = key->kind == TREE_VAULT;
	}
	stale = stale_in_progress(j, state);
	pthread_mutex_unlock(&b->lock);
	buf_copy(st->eligible, sizeof(st->eligible), why);
	if (stale) {
		/* The tree's state predates the end (a listing fetched while
		 * the backup ran may land after it); the job's own, from the
		 * ListKeys after the end, is newer unless it is that too. */
		if (!strcmp(st->key_state, "BACKUP_IN_PROGRESS"))
			st->key_state[0] = '\0';
	} else if (!backups_in_flight(st->state) || !st->key_state[0]) {
		buf_copy(st->key_state, sizeof(st->key_state), state);
	}
}

int backups_status(struct backups *b, struct tree_node *key, struct buf *out)
{
	struct backups_report *st = malloc(sizeof(*st));
	int ret;

	if (!st)
		return -ENOMEM;
	fill_status(b, key, st);
	ret = backups_report_render(st, out);
	free(st);
	return ret;
}

int backups_status_json(struct backups *b, struct tree_node *key,
			struct buf *out)
{
	static const char *const numbers[] = {"progress", "size",
					      "last_success_size", NULL};
	struct buf text = BUF_INIT(1u << 20);
	int ret = backups_status(b, key, &text);

	if (!ret)
		ret = json_from_lines(text.buf, text.len, numbers, out);
	buf_release(&text);
	return ret;
}

/* ---- submission ---------------------------------------------------------- */

/*
 * The key is BACKUP_IN_PROGRESS and no backup of this mount is in flight
 * (lock held): someone else's backup, followed through the key state to
 * its end (`origin: elsewhere`).
 */
static void track_elsewhere(struct backups *b, struct backups_job *j,
			    const char *key_comp)
{
	job_retire(b, j);
	job_reset(j, BACKUPS_ORIGIN_ELSEWHERE);
	j->state = BACKUPS_IN_PROGRESS;
	j->seq = ++b->seq;
	j->by_key_state = true;
	j->phase = PH_KEYS;
	j->started = wall(b);
	buf_copy(j->key_state, sizeof(j->key_state), "BACKUP_IN_PROGRESS");
	str_set(&j->key_comp, key_comp);
	j->next_poll_ms = mono(b) + BACKUPS_POLL_FIRST_MS;
	pthread_cond_broadcast(&b->changed);
	pthread_cond_signal(&b->wake);
	tracker_spawn(b);
}

/* Record a refusal (lock held): a failure when idle, a "rejected" line
 * when a backup is in flight (which it must not disturb). */
static void record_refusal(struct backups *b, struct backups_job *j, int ret,
			   const char *code, const char *msg,
			   const char *target)
{
	struct oci_error e;

	b->stats.rejected++;
	if (backups_in_flight(j->state) || j->maybe_accepted) {
		char line[512];

		snprintf(line, sizeof(line), "%s: %s", errno_name(ret), msg);
		str_set(&j->rejected, line);
		j->rejected_at = wall(b);
		past_rejected(b, j, ret, target);
	} else {
		job_retire(b, j);
		job_reset(j, BACKUPS_ORIGIN_MOUNT);
		j->seq = ++b->seq; /* a new line: the refused attempt */
		j->state = BACKUPS_FAILED;
		oci_error_clear(&e);
		e.local_errno = ret;
		buf_copy(e.code, sizeof(e.code), code);
		buf_copy(e.message, sizeof(e.message), msg);
		job_set_error(j, &e, ret);
		str_set(&j->target, target);
		j->submitted = j->finished = wall(b);
	}
	pthread_cond_broadcast(&b->changed);
}

/* A claimed backup (state submitting) failed (lock held). */
static void record_failure(struct backups *b, struct backups_job *j, int ret,
			   const struct oci_error *err)
{
	j->state = BACKUPS_FAILED;
	j->phase = PH_NONE;
	job_set_error(j, err, ret);
	j->finished = wall(b);
	b->stats.failed++;
	pthread_cond_broadcast(&b->changed);
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
	char why[512];
	char token[BACKUPS_TOKEN_LEN + 1];
	uint64_t jid; /* the journal entry of this backup */
	bool no_journal; /* the journal could not be written */
	bool busy_elsewhere; /* BackupKey 409, and the key is being backed up */
	bool maybe_sent; /* an attempt of BackupKey may have been executed */
	bool (*interrupted)(void *arg); /* the writer's, may be NULL */
	void *interrupted_arg;
	struct target tg;
	struct oci_key out;
	struct oci_vault vout; /* BackupVault's answer */
	struct oci_action_result res;
	struct oci_error err;
	struct oci_vault v;
	struct oci_key k;
	struct oci_compartment c;
};

static void submit_facts(struct tree_node *key, struct submit_ctx *sc)
{
	struct tree_node *vn = tree_node_parent(key);
	struct tree_node *cn = tree_node_parent(vn);

	if (key->kind == TREE_VAULT) {
		/* A vault backup: the vault's facts; key_state is the
		 * vault's lifecycle state, key_comp its compartment. */
		tree_node_vault(key, &sc->v);
		tree_node_compartment(vn, &sc->c);
		buf_copy(sc->vault_name, sizeof(sc->vault_name),
			 sc->v.display_name);
		buf_copy(sc->comp_name, sizeof(sc->comp_name), sc->c.name);
		buf_copy(sc->vault_type, sizeof(sc->vault_type),
			 sc->v.vault_type);
		buf_copy(sc->key_comp, sizeof(sc->key_comp),
			 sc->v.compartment_id);
		buf_copy(sc->key_state, sizeof(sc->key_state),
			 sc->v.lifecycle_state);
		return;
	}
	tree_node_key(key, &sc->k);
	tree_node_vault(vn, &sc->v);
	tree_node_compartment(cn, &sc->c);
	buf_copy(sc->key_name, sizeof(sc->key_name), sc->k.display_name);
	buf_copy(sc->vault_name, sizeof(sc->vault_name), sc->v.display_name);
	buf_copy(sc->comp_name, sizeof(sc->comp_name), sc->c.name);
	buf_copy(sc->vault_type, sizeof(sc->vault_type), sc->v.vault_type);
	buf_copy(sc->mgmt, sizeof(sc->mgmt), sc->v.management_endpoint);
	buf_copy(sc->key_comp, sizeof(sc->key_comp), sc->k.compartment_id);
	buf_copy(sc->protection, sizeof(sc->protection), sc->k.protection_mode);
	buf_copy(sc->key_state, sizeof(sc->key_state), sc->k.lifecycle_state);
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
	struct oci_key_list l = {0};
	struct oci_error e;
	int ret;

	ret = oci_list_keys(b->client, sc->mgmt, sc->key_comp, &l, &e);
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

/* BackupVault refused with 400/409: GetVault tells "cannot be backed up"
 * (EOPNOTSUPP) from "busy" (EBUSY). */
static int refine_vault_refusal(struct backups *b, struct tree_node *vault,
				struct submit_ctx *sc, int ret)
{
	struct oci_vault *v;
	struct oci_error e;

	if (ret != -EBUSY && ret != -EINVAL)
		return ret;
	v = calloc(1, sizeof(*v));
	if (!v || oci_get_vault(b->client, vault->id, v, &e)) {
		free(v);
		return ret;
	}
	tree_update_vault(b->tree, vault, v);
	backups_vault_eligibility(v->vault_type, v->lifecycle_state, sc->why,
				  sizeof(sc->why));
	if (sc->why[0]) {
		ret = -EOPNOTSUPP;
	} else if (!strcmp(v->lifecycle_state, "BACKUP_IN_PROGRESS")) {
		ret = -EBUSY;
		sc->busy_elsewhere = true;
	}
	model_vault_release(v);
	free(v);
	return ret;
}

/*
 * After BackupKey was refused with 400/409, look at the key afresh to tell
 * "cannot be backed up" (EOPNOTSUPP) from "busy" (EBUSY); after a 404, tell
 * "gone" from "not authorized".
 */
static int refine_refusal(struct backups *b, struct tree_node *key,
			  struct submit_ctx *sc, int ret)
{
	struct oci_key k = {0};
	struct oci_error e;
	char etag[OVFS_ETAG_MAX];

	sc->why[0] = '\0';
	if (key->kind == TREE_VAULT)
		return refine_vault_refusal(b, key, sc, ret);
	if (ret == -ENOENT && sc->err.http_status == 404)
		return refine_not_found(b, key, sc);
	if (ret != -EBUSY && ret != -EINVAL)
		return ret;
	if (oci_get_key(b->client, sc->mgmt, key->id, &k, etag, &e))
		return ret;
	tree_update_key(b->tree, key, &k, etag);
	backups_eligibility(sc->vault_type, k.protection_mode,
			    k.lifecycle_state, sc->why, sizeof(sc->why));
	if (sc->why[0]) {
		ret = -EOPNOTSUPP;
	} else if (!strcmp(k.lifecycle_state, "BACKUP_IN_PROGRESS")) {
		ret = -EBUSY;
		sc->busy_elsewhere = true;
	}
	model_key_release(&k);
	return ret;
}

/* Step 1: the target, checked against the key (no lock, no network). */
static int submit_parse(struct backups *b, struct tree_node *key,
			struct submit_ctx *sc, const char *data, size_t len)
{
	struct target_ctx tc = {0};
	size_t start, tlen;
	int ret;

	ret = target_extract(data, len, &start, &tlen, sc->why,
			     sizeof(sc->why));
	if (ret)
		return ret;
	tc.region = oci_client_region(b->client);
	tc.endpoint_host = b->endpoint_host;
	tc.vault_name = sc->vault_name;
	if (key->kind == TREE_VAULT) {
		tc.name_template = b->vault_name_template;
		tc.vault_id = key->id;
		tc.vault_backup = true;
	} else {
		tc.name_template = b->name_template;
		tc.key_name = sc->key_name;
		tc.key_id = key->id;
		tc.vault_id = tree_node_parent(key)->id;
	}
	tc.compartment_name = sc->comp_name;
	tc.now = wall(b);
	return target_parse(data + start, tlen, &tc, &sc->tg, sc->why,
			    sizeof(sc->why));
}

/* Refusals before anything is claimed (lock held): 0 or -errno. */
static int refuse_early(struct backups *b, struct backups_job *j, int parsed,
			struct submit_ctx *sc)
{
	char why[256];

	if (!parsed && !j->vault && sc->tg.include_keys >= 0) {
		parsed = -EINVAL;
		snprintf(
			sc->why, sizeof(sc->why),
			"a key's backup takes no keys choice (\"isIncludeKeys\" "
			"or keys=yes/no): that is for a vault's backup file");
	}
	if (parsed) {
		record_refusal(b, j, -EINVAL, "InvalidTarget", sc->why, NULL);
		return -EINVAL;
	}
	if (backups_in_flight(j->state)) {
		record_refusal(b, j, -EBUSY, "BackupInFlight",
			       j->vault ? "a backup of this vault is already "
					  "in flight"
					: "a backup of this key is already in "
					  "flight",
			       NULL);
		return -EBUSY;
	}
	if (j->vault)
		backups_vault_eligibility(sc->vault_type, sc->key_state, why,
					  sizeof(why));
	else
		backups_eligibility(sc->vault_type, sc->protection,
				    sc->key_state, why, sizeof(why));
	if (why[0]) {
		record_refusal(b, j, -EOPNOTSUPP, "NotEligible", why,
			       sc->tg.display);
		return -EOPNOTSUPP;
	}
	if (j->maybe_accepted) {
		snprintf(why, sizeof(why),
			 "the previous %s of this %s got no answer and may "
			 "have been accepted; waiting for the %s's state to "
			 "tell",
			 call_of(j->vault), what_of(j->vault),
			 what_of(j->vault));
		record_refusal(b, j, -EBUSY, "BackupInFlight", why,
			       sc->tg.display);
		return -EBUSY;
	}
	if (!strcmp(sc->key_state, "BACKUP_IN_PROGRESS") &&
	    !stale_in_progress(j, sc->key_state)) {
		/* Not ours: follow it, and keep the refusal as a note. */
		track_elsewhere(b, j, sc->key_comp);
		record_refusal(b, j, -EBUSY, "BackupInFlight",
			       j->vault ? "the vault is already being backed "
					  "up elsewhere (BACKUP_IN_PROGRESS)"
					: "the key is already being backed up "
					  "elsewhere (BACKUP_IN_PROGRESS)",
			       sc->tg.display);
		return -EBUSY;
	}
	return 0;
}

/* Is another backup of this mount in flight to the same object? */
static const struct backups_job *object_claimed(struct backups *b,
						const struct backups_job *self,
						const struct target *tg)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct backups_job *o = b->all[i];

		if (o != self && backups_in_flight(o->state) && o->where &&
		    !strcmp(o->object, tg->object) &&
		    !strcmp(o->bucket, tg->bucket) && !strcmp(o->ns, tg->ns))
			return o;
	}
	return NULL;
}

/*
 * Step 2 (lock held): claim the job and the object name.  From here on
 * other writers of this key get EBUSY, and writers of this object EEXIST.
 */
static int submit_claim(struct backups *b, struct backups_job *j,
			struct submit_ctx *sc)
{
	struct target *tg = &sc->tg;
	char msg[OVFS_OBJECT_MAX + 128];

	if (backups_in_flight(j->state)) {
		snprintf(msg, sizeof(msg),
			 "a backup of this %s is already in flight",
			 what_of(j->vault));
		record_refusal(b, j, -EBUSY, "BackupInFlight", msg, NULL);
		return -EBUSY;
	}
	if (object_claimed(b, j, tg)) {
		snprintf(msg, sizeof(msg),
			 "another backup of this mount is writing object '%s' "
			 "in bucket '%s'",
			 tg->object, tg->bucket);
		record_refusal(b, j, -EEXIST, "ObjectInUse", msg, tg->display);
		return -EEXIST;
	}
	job_retire(b, j);
	job_reset(j, BACKUPS_ORIGIN_MOUNT);
	j->state = BACKUPS_SUBMITTING;
	j->seq = ++b->seq;
	j->submitted = wall(b);
	j->par = tg->loc.dest == OCI_BACKUP_PAR_URI;
	j->object_unverified = j->par;
	/* Default: include the keys (a vault backup that can restore the
	 * keys it holds). */
	if (j->vault)
		j->include_keys = tg->include_keys >= 0 ? tg->include_keys : 1;
	buf_copy(j->key_state, sizeof(j->key_state), sc->key_state);
	if (str_set(&j->target, tg->display) ||
	    str_set(&j->key_comp, sc->key_comp) ||
	    job_set_where(j, tg->ns, tg->bucket, tg->object)) {
		struct oci_error e;

		oci_error_local(&e, -ENOMEM, "out of memory");
		record_failure(b, j, -ENOMEM, &e);
		return -ENOMEM;
	}
	b->stats.started++;
	pthread_cond_broadcast(&b->changed);
	return 0;
}

/*
 * Step 3 (no lock): the bucket must exist and the object must not, so that
 * a backup never overwrites another.  One ListObjects (prefix = the name,
 * limit 1) tells both: a HEAD cannot tell a missing bucket from a missing
 * object.  For a PAR target this is best effort: the PAR's bucket may not
 * be listable with our key, and only a visible existing object refuses.
 */
static int submit_preflight(struct backups *b, struct submit_ctx *sc)
{
	const struct target *tg = &sc->tg;
	bool best_effort = tg->loc.dest == OCI_BACKUP_PAR_URI;
	struct oci_object_list l = {0};
	char next[OVFS_OBJECT_MAX];
	int ret;

	if (!tg->ns[0] || !tg->bucket[0] || !tg->object[0])
		return 0;
	ret = oci_list_objects(b->client, tg->ns, tg->bucket, tg->object, NULL,
			       1, &l, next, &sc->err);
	if (ret) {
		if (best_effort)
			ret = 0;
		else if (ret == -ENOENT)
			snprintf(sc->err.message, sizeof(sc->err.message),
				 "bucket '%s' does not exist in namespace "
				 "'%s' (or this user may not see it)",
				 tg->bucket, tg->ns);
		else if (ret == -EACCES)
			snprintf(sc->err.message, sizeof(sc->err.message),
				 "this user may not list bucket '%s', so "
				 "ocivaultfs cannot check that the backup "
				 "would not overwrite an object",
				 tg->bucket);
		goto out;
	}
	if (l.n && !strcmp(l.v[0].name, tg->object)) {
		oci_error_clear(&sc->err);
		sc->err.local_errno = -EEXIST;
		buf_copy(sc->err.operation, sizeof(sc->err.operation),
			 "ListObjects");
		buf_copy(sc->err.code, sizeof(sc->err.code), "ObjectExists");
		snprintf(sc->err.message, sizeof(sc->err.message),
			 "object '%s' already exists in bucket '%s'; a backup "
			 "never overwrites an object: name another or delete "
			 "it first",
			 tg->object, tg->bucket);
		ret = -EEXIST;
	}
out:
	oci_object_list_release(&l);
	return ret;
}

/* Step 4 (no lock): BackupKey, with a refusal explained. */
static int submit_call(struct backups *b, struct tree_node *key,
		       struct submit_ctx *sc)
{
	int ret = sc->token[0] ? 0
			       : crypto_random_id(sc->token, BACKUPS_TOKEN_LEN);

	if (ret) {
		oci_error_local(&sc->err, ret, "no random numbers");
		return ret;
	}
	if (key->kind == TREE_VAULT)
		ret = oci_backup_vault(b->client, key->id, &sc->tg.loc,
				       sc->tg.include_keys != 0, sc->token,
				       NULL, &sc->vout, &sc->res, &sc->err);
	else
		ret = oci_backup_key(b->client, sc->mgmt, key->id, &sc->tg.loc,
				     sc->token, NULL, &sc->out, &sc->res,
				     &sc->err);
	if (!ret)
		return 0;
	target_redact_text(sc->err.message); /* it may quote our PAR */
	ret = refine_refusal(b, key, sc, ret);
	if (sc->why[0]) {
		buf_copy(sc->err.code, sizeof(sc->err.code), "NotEligible");
		buf_copy(sc->err.message, sizeof(sc->err.message), sc->why);
	}
	return ret;
}

/* Step 5 (lock held): BackupKey accepted; schedule the tracking. */
static void record_accepted(struct backups *b, struct backups_job *j,
			    struct submit_ctx *sc)
{
	j->state = BACKUPS_ACCEPTED;
	j->progress = 0;
	j->jid = sc->jid;
	str_set(&j->work_request, sc->res.work_request_id);
	str_set(&j->request_id, sc->res.request_id);
	buf_copy(j->key_state, sizeof(j->key_state),
		 j->vault ? sc->vout.lifecycle_state : sc->out.lifecycle_state);
	j->by_key_state = b->wr_unsupported || !sc->res.work_request_id[0];
	j->phase = j->by_key_state ? PH_KEYS : PH_WR;
	j->interval_ms = BACKUPS_POLL_FIRST_MS;
	j->accepted_ms = mono(b);
	j->next_poll_ms = j->accepted_ms +
			  (j->by_key_state ? BACKUPS_POLL_FIRST_MS
					   : backups_sched_first(&b->sched));
	pthread_cond_broadcast(&b->changed);
	pthread_cond_signal(&b->wake);
	tracker_spawn(b);
}

/*
 * May this failed attempt of BackupKey have been executed by OCI?  It was
 * sent and no clear answer came back: a timeout, a reset or a truncated
 * answer, a 5xx (the service may have acted before failing), or an
 * interrupt after sending.  A refused connection or a 4xx was not acted
 * on (a 409 because an earlier attempt's backup runs is seen as such).
 */
static bool maybe_executed(const struct oci_error *e)
{
	if (strcmp(e->operation, "BackupKey") &&
	    strcmp(e->operation, "BackupVault"))
		return false;
	if (e->net == OCI_NET_TIMEOUT || e->net == OCI_NET_RESET ||
	    e->net == OCI_NET_PROTOCOL)
		return true;
	if (e->http_status >= 500)
		return true;
	return e->local_errno == -EINTR && e->attempts >= 1;
}

/* oci_budget.interrupted of a submission: the writer's. */
static bool submit_interrupted(void *arg)
{
	struct submit_ctx *sc = arg;

	return sc->interrupted && sc->interrupted(sc->interrupted_arg);
}

/* oci_budget.on_retry of a submission: remember an attempt of BackupKey
 * that may have been executed (its retries share one opc-retry-token, but
 * the last one may fail in another way). */
static void submit_retrying(void *arg, const struct oci_error *err,
			    unsigned int attempt, uint64_t delay_ms)
{
	struct submit_ctx *sc = arg;

	(void)attempt;
	(void)delay_ms;
	if (maybe_executed(err))
		sc->maybe_sent = true;
}

/* A claimed backup was refused or failed (lock held). */
static void record_submit_failure(struct backups *b, struct backups_job *j,
				  int ret, struct submit_ctx *sc)
{
	char note[128];

	if (ret == -EBUSY && sc->busy_elsewhere) {
		char text[1536], msg[1700];

		/* Someone else's backup runs: follow it, not a failure. */
		oci_error_format(&sc->err, text, sizeof(text));
		snprintf(msg, sizeof(msg),
			 "the %s is being backed up elsewhere: %s",
			 what_of(j->vault), text);
		track_elsewhere(b, j, sc->key_comp);
		record_refusal(b, j, -EBUSY, "BackupInFlight", msg, NULL);
		return;
	}
	record_failure(b, j, ret, &sc->err);
	if (maybe_executed(&sc->err) ||
	    (sc->maybe_sent && (ret == -EINTR || sc->err.net != OCI_NET_OK ||
				sc->err.http_status >= 500))) {
		/* Never start a second backup of the key before we know:
		 * new writes are EBUSY until ListWorkRequests finds its work
		 * request (adopt()), ListKeys shows the key busy (followed
		 * as elsewhere), or nothing shows for a while. */
		j->maybe_accepted = true;
		j->jid = sc->jid; /* adopt() continues its journal entry */
		j->unanswered_until_ms = mono(b) + BACKUPS_UNANSWERED_GRACE_MS;
		j->refresh_key = true;
		j->key_tries = 0;
		j->next_poll_ms = mono(b) + BACKUPS_POLL_FIRST_MS;
		snprintf(note, sizeof(note),
			 "%s got no answer; OCI may have accepted it: the "
			 "%s's state will tell",
			 call_of(j->vault), what_of(j->vault));
		str_set(&j->note, note);
		pthread_cond_signal(&b->wake);
		tracker_spawn(b);
	}
}

/*
 * One log line of a backup event (docs/ocivaultfs.md, "Logging"):
 * "backup of key 'PATH' (OCID) WHAT", the path relative to the mount.
 * Never called with b->lock held (the path takes node locks).
 */
__attribute__((format(printf, 4, 5))) static void
log_event(struct backups *b, struct tree_node *key, int level, const char *fmt,
	  ...)
{
	struct buf path = BUF_INIT(BACKUPS_PATH_MAX);
	char what[2048];
	va_list ap;
	bool known;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	known = !tree_node_path(key, &path) && path.len;

	log_msg(b->log, level, "backup of %s '%s' (%s) %s",
		key->kind == TREE_VAULT ? "vault" : "key",
		known ? path.buf : ".", key->id, what);
	buf_release(&path);
}

/* "ERRNO: CODE: message" of the refusal just recorded in `j` (lock held). */
static void refusal_text(const struct backups_job *j, int ret, char *out,
			 size_t n)
{
	if (j->rejected) /* in flight: "ERRNO: message" */
		buf_copy(out, n, j->rejected);
	else if (j->error)
		snprintf(out, n, "%s: %s: %s", errno_name(ret), j->error->code,
			 j->error->message);
	else
		snprintf(out, n, "%s", errno_name(ret));
}

static void log_refusal(struct backups *b, struct tree_node *key,
			const struct oci_error *err)
{
	char line[1536];

	oci_error_format(err, line, sizeof(line));
	log_event(b, key, LOG_WARNING, "refused: %s", line);
}

/* The end of a backup, noted under the lock, logged without it. */
struct end_note {
	struct tree_node *key;
	bool ok;
	int err; /* negative errno of a failure */
	int64_t size; /* < 0 unknown */
	char what[OVFS_NS_MAX + OVFS_BUCKET_MAX + OVFS_OBJECT_MAX];
	char wr[OVFS_OCID_MAX];
	char code[OVFS_ERRCODE_MAX];
	int http;
	char reqid[OVFS_REQID_MAX];
};

/* Did apply() just end `j`, in state `was` before (lock held)? */
static bool ended(const struct backups_job *j, enum backups_state was)
{
	return backups_in_flight(was) &&
	       (j->state == BACKUPS_SUCCEEDED || j->state == BACKUPS_FAILED);
}

/* Note the end of `j` for log_end() (lock held). */
static void note_end(const struct backups_job *j, struct end_note *n)
{
	n->key = j->key;
	n->ok = j->state == BACKUPS_SUCCEEDED;
	n->err = j->error_errno ? j->error_errno : -EIO;
	n->size = j->object_size;
	job_what(j, n->what, sizeof(n->what));
	buf_copy(n->wr, sizeof(n->wr), str_or(j->work_request));
	if (j->error) {
		buf_copy(n->code, sizeof(n->code), j->error->code);
		n->http = j->error->http_status;
		buf_copy(n->reqid, sizeof(n->reqid), j->error->request_id);
	}
}

static void log_end(struct backups *b, const struct end_note *n)
{
	char size[48] = "", http[32] = "", req[OVFS_REQID_MAX + 24] = "";

	if (!n->key)
		return;
	if (n->ok) {
		if (n->size >= 0)
			snprintf(size, sizeof(size), " (%lld bytes)",
				 (long long)n->size);
		log_event(b, n->key, LOG_INFO,
			  "succeeded: object %s%s, work request %s", n->what,
			  size, n->wr[0] ? n->wr : "unknown");
		return;
	}
	if (n->http)
		snprintf(http, sizeof(http), " (HTTP %d)", n->http);
	if (n->reqid[0])
		snprintf(req, sizeof(req), " [opc-request-id: %s]", n->reqid);
	/* Notice, not warning: an outcome the user asked for, told in full
	 * by `status`; the code, not OCI's message, in the log. */
	log_event(b, n->key, LOG_NOTICE,
		  "failed: %s, %s%s%s, object %s, work request %s",
		  errno_name(n->err), n->code[0] ? n->code : "no code", http,
		  req, n->what, n->wr[0] ? n->wr : "unknown");
}

/* ---- journal: recording ----------------------------------------------- */

/* Before BackupKey (no lock): no call without a record. */
static int journal_submit(struct backups *b, struct tree_node *key,
			  const struct backups_job *j, struct submit_ctx *sc)
{
	struct buf path = BUF_INIT(BACKUPS_PATH_MAX);
	struct journal_entry e = {0};
	int ret;

	if (!b->journal)
		return 0;
	ret = crypto_random_id(sc->token, BACKUPS_TOKEN_LEN);
	if (!ret)
		ret = tree_node_path(key, &path);
	if (!ret) {
		/* The claim's time, as `status` shows it (fixed while the job
		 * is submitting). */
		pthread_mutex_lock(&b->lock);
		e.submitted = j->submitted;
		pthread_mutex_unlock(&b->lock);
		e.state = "submitting";
		e.kind = key->kind == TREE_VAULT ? "vault-backup" : NULL;
		e.key = key->id;
		e.path = path.buf;
		e.target = sc->tg.display;
		e.ns = sc->tg.ns;
		e.bucket = sc->tg.bucket;
		e.object = sc->tg.object;
		e.token = sc->token;
		ret = journal_begin(b->journal, &e, &sc->jid);
	}
	if (ret) {
		char msg[OVFS_ERRMSG_MAX];

		snprintf(msg, sizeof(msg),
			 "cannot record the backup in journal '%s': %s",
			 journal_path(b->journal), strerror(-ret));
		oci_error_clear(&sc->err); /* not the preflight's */
		oci_error_local(&sc->err, ret, "%s", msg);
		buf_copy(sc->err.code, sizeof(sc->err.code), "JournalError");
		sc->no_journal = true;
	}
	buf_release(&path);
	return ret;
}

/* BackupKey refused, or the call failed (no lock). */
static void journal_failed(struct backups *b, struct submit_ctx *sc, int ret)
{
	if (!b->journal || !sc->jid)
		return;
	journal_set(b->journal, sc->jid, wall(b), "failed", wall(b),
		    errno_name(ret), sc->err.code, sc->err.message,
		    sc->err.request_id);
}

/* A write refused before any call (no lock): one finished entry, as the
 * key's status tells it. */
static void journal_refusal(struct backups *b, struct tree_node *key, int ret)
{
	struct buf path = BUF_INIT(BACKUPS_PATH_MAX);
	char code[OVFS_ERRCODE_MAX] = "", msg[OVFS_ERRMSG_MAX] = "";
	char target[OVFS_URL_MAX] = "";
	struct journal_entry e = {0};
	struct backups_job *j;
	bool rejected = false;

	if (!b->journal || journal_read_only(b->journal))
		return;
	pthread_mutex_lock(&b->lock);
	j = job_find(b, key);
	if (j && backups_in_flight(j->state)) {
		rejected = true;
		buf_copy(msg, sizeof(msg), str_or(j->rejected));
	} else if (j && j->error) {
		buf_copy(code, sizeof(code), j->error->code);
		buf_copy(msg, sizeof(msg), j->error->message);
		buf_copy(target, sizeof(target), str_or(j->target));
	}
	pthread_mutex_unlock(&b->lock);
	if (!j || tree_node_path(key, &path))
		goto out;
	e.submitted = e.finished = wall(b);
	e.state = rejected ? "rejected" : "failed";
	e.kind = key->kind == TREE_VAULT ? "vault-backup" : NULL;
	e.key = key->id;
	e.path = path.buf;
	e.target = target;
	e.errno_name = errno_name(ret);
	e.code = code;
	e.message = msg;
	journal_refused(b->journal, &e);
out:
	buf_release(&path);
}

/*
 * After a tracker's apply() (lock held): a state change of a journaled
 * backup is recorded, the final one with its error.  A write(2) only.
 * NEEDSWORK: a rotation of the journal (writing and fsyncing the new file)
 * may happen here, under b->lock, so that `status` readers wait for it
 * (rare: once per JOURNAL_MAX_BYTES of records).
 */
static void journal_note(struct backups *b, const struct backups_job *j,
			 enum backups_state was)
{
	const struct oci_error *e = j->error;

	if (!j->jid || !b->journal || j->state == was)
		return;
	if (backups_in_flight(j->state) || j->state == BACKUPS_NONE) {
		journal_set(b->journal, j->jid, wall(b),
			    backups_state_name(j->state), 0, NULL, NULL, NULL,
			    NULL);
		return;
	}
	journal_set(b->journal, j->jid, wall(b), backups_state_name(j->state),
		    j->finished,
		    j->state == BACKUPS_FAILED
			    ? errno_name(j->error_errno ? j->error_errno : -EIO)
			    : NULL,
		    e && j->state == BACKUPS_FAILED ? e->code : NULL,
		    e && j->state == BACKUPS_FAILED ? e->message : NULL,
		    e && j->state == BACKUPS_FAILED ? e->request_id : NULL);
}

int backups_submit(struct backups *b, struct tree_node *key, const char *data,
		   size_t len, bool (*interrupted)(void *arg), void *arg)
{
	struct oci_budget budget = {0};
	struct submit_ctx *sc;
	struct backups_job *j;
	char refused[OVFS_ERRMSG_MAX + OVFS_ERRCODE_MAX + 32];
	int parsed, ret;

	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	/* One bound for every call of this write, and the caller's
	 * interrupt (a signal to the writer: FUSE_INTERRUPT). */
	budget.deadline_ms = mono(b) + b->write_timeout_ms;
	sc->interrupted = interrupted;
	sc->interrupted_arg = arg;
	budget.interrupted = submit_interrupted;
	budget.on_retry = submit_retrying;
	budget.arg = sc;
	oci_budget_enter(b->client, &budget);
	submit_facts(key, sc);
	/* A malformed target is EINVAL even while a backup is in flight
	 * (then only noted as `rejected:`), so parse before looking. */
	parsed = submit_parse(b, key, sc, data, len);
	if (parsed == -ENODATA) {
		ret = 0; /* comments only: nothing to do */
		goto out;
	}
	if (parsed == -ENOMEM) {
		ret = -ENOMEM;
		goto out;
	}

	pthread_mutex_lock(&b->lock);
	j = job_get(b, key);
	if (j)
		pending_take(b, j, sc->key_comp); /* in flight: refused */
	ret = j ? refuse_early(b, j, parsed, sc) : -ENOMEM;
	if (ret && ret != -ENOMEM)
		refusal_text(j, ret, refused, sizeof(refused));
	pthread_mutex_unlock(&b->lock);
	if (ret && ret != -ENOMEM)
		/* Refused by the file itself (target, state, eligibility): a
		 * notice; `status` and the backups list tell it too. */
		log_event(b, key, LOG_NOTICE, "refused: %s", refused);
	if (ret)
		goto out;

	if (sc->tg.needs_namespace) {
		ret = b->get_namespace(b->arg, sc->tg.loc.namespace_name,
				       &sc->err);
		if (ret) {
			pthread_mutex_lock(&b->lock);
			record_refusal(b, j, ret,
				       sc->err.code[0] ? sc->err.code : "Error",
				       sc->err.message, sc->tg.display);
			if (!backups_in_flight(j->state))
				job_set_error(j, &sc->err, ret);
			pthread_mutex_unlock(&b->lock);
			log_refusal(b, key, &sc->err);
			goto out;
		}
		buf_copy(sc->tg.ns, sizeof(sc->tg.ns),
			 sc->tg.loc.namespace_name);
	}

	pthread_mutex_lock(&b->lock);
	ret = submit_claim(b, j, sc);
	pthread_mutex_unlock(&b->lock);
	if (ret)
		goto out;

	ret = submit_preflight(b, sc);
	if (!ret)
		ret = journal_submit(b, key, j, sc);
	if (!ret)
		ret = submit_call(b, key, sc);
	if (ret) {
		pthread_mutex_lock(&b->lock);
		record_submit_failure(b, j, ret, sc);
		pthread_mutex_unlock(&b->lock);
		log_refusal(b, key, &sc->err);
		journal_failed(b, sc, ret);
		goto out;
	}
	/* On disk before the write returns (journal.h); a failure is
	 * logged: the backup runs, refusing it now would be a lie. */
	journal_accepted(b->journal, sc->jid, wall(b), sc->res.work_request_id,
			 sc->res.request_id);
	if (key->kind == TREE_VAULT)
		tree_update_vault(b->tree, key, &sc->vout);
	else
		tree_update_key(b->tree, key, &sc->out, sc->res.etag);
	pthread_mutex_lock(&b->lock);
	record_accepted(b, j, sc);
	pthread_mutex_unlock(&b->lock);
	log_event(b, key, LOG_INFO,
		  "to %s submitted: work request %s [opc-request-id: %s]",
		  sc->tg.display, sc->res.work_request_id,
		  sc->res.request_id[0] ? sc->res.request_id : "none");
out:
	if (ret && ret != -ENOMEM && !sc->jid && !sc->no_journal &&
	    parsed != -ENODATA)
		journal_refusal(b, key, ret);
	oci_budget_leave(b->client);
	model_key_release(&sc->out);
	model_vault_release(&sc->vout);
	buf_wipe(sc, sizeof(*sc)); /* the target may hold a PAR URL */
	free(sc);
	return ret;
}

/* ---- tracking ------------------------------------------------------------ */

/* A key or vault was listed: take its pending journal entry, and follow a
 * backup started elsewhere. */
static void observe(struct backups *b, struct tree_node *n,
		    const char *compartment_id, const char *state)
{
	struct backups_job *j;

	if (__atomic_load_n(&b->npending, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&b->lock);
		j = *pending_slot(b, n->id) ? job_get(b, n) : NULL;
		if (j)
			pending_take(b, j, compartment_id);
		pthread_mutex_unlock(&b->lock);
	}
	if (strcmp(state, "BACKUP_IN_PROGRESS"))
		return;
	pthread_mutex_lock(&b->lock);
	j = job_get(b, n);
	if (j && !backups_in_flight(j->state) &&
	    !stale_in_progress(j, "BACKUP_IN_PROGRESS"))
		track_elsewhere(b, j, compartment_id);
	pthread_mutex_unlock(&b->lock);
}

void backups_observe_key(struct backups *b, struct tree_node *key,
			 const struct oci_key *k)
{
	observe(b, key, k->compartment_id, k->lifecycle_state);
}

void backups_observe_vault(struct backups *b, struct tree_node *vault,
			   const struct oci_vault *v)
{
	observe(b, vault, v->compartment_id, v->lifecycle_state);
}

/* What one poll learnt about a job, applied under the lock. */
struct poll_result {
	enum backups_phase next; /* PH_NONE: stay in the current phase */
	bool done; /* reached a final state */
	bool poll_failed;
	bool switch_to_key_state;
	enum backups_state state;
	double progress;
	int64_t accepted, started, finished, size;
	bool verified;
	bool wr_outcome; /* elsewhere: the work request told the outcome */
	char wr_id[OVFS_OCID_MAX];
	char key_state[OVFS_ENUM_MAX];
	struct oci_error error;
	int error_errno;
	char note[256];
};

/* A batch of jobs one tracker works on without the lock. */
struct backups_work {
	enum backups_phase kind;
	struct backups_job **jobs;
	struct poll_result *res;
	size_t n, cap;
};

/*
 * The BackupKey of `j` got no answer, but ListWorkRequests found the work
 * request it made (lock held): the backup is ours after all, tracked as
 * if BackupKey had answered (the object is known: it is checked as every
 * other of ours).  The write that sent it has returned its error.
 */
static void adopt(struct backups *b, struct backups_job *j,
		  const struct poll_result *r, uint64_t now)
{
	char note[128];

	free(j->error);
	j->error = NULL;
	j->error_errno = 0;
	if (b->stats.failed)
		b->stats.failed--;
	j->state = BACKUPS_ACCEPTED;
	j->progress = 0;
	j->finished = 0;
	j->svc_finished = 0;
	str_set(&j->work_request, r->wr_id);
	j->by_key_state = false;
	j->phase = PH_WR;
	j->wr_polled = false;
	j->interval_ms = BACKUPS_POLL_FIRST_MS;
	j->accepted_ms = now;
	j->next_poll_ms = now;
	snprintf(note, sizeof(note),
		 "%s got no answer, but OCI accepted it (its work request "
		 "was found with ListWorkRequests)",
		 call_of(j->vault));
	str_set(&j->note, note);
	pthread_cond_broadcast(&b->changed);
}

/*
 * A poll of `j` failed, or one attempt of it is being retried (lock
 * held): `status` shows it at once (`trouble:`), until a poll succeeds.
 */
static void note_trouble(struct backups *b, struct backups_job *j,
			 const struct oci_error *e)
{
	char text[700], line[768];

	if (!backups_in_flight(j->state))
		return;
	oci_error_format(e, text, sizeof(text));
	snprintf(line, sizeof(line), "%s%s%s", e->operation,
		 e->operation[0] ? ": " : "", text);
	if (!j->trouble)
		j->trouble_since = wall(b);
	if (str_set(&j->trouble, line))
		return; /* no memory: no trouble line, nothing worse */
	j->trouble_errno = oci_error_errno(e);
	if (!j->trouble_errno)
		j->trouble_errno = -EIO;
	j->trouble_tries++;
}

static void clear_trouble(struct backups_job *j)
{
	free(j->trouble);
	j->trouble = NULL;
	j->trouble_errno = 0;
	j->trouble_tries = 0;
	j->trouble_since = 0;
	j->poll_fails = 0;
}

/* After a failed poll: again after 1, 2, 4 s, then every 5 s, so that an
 * outcome known again is published within that step, whatever the normal
 * backoff (up to 15 s) had reached. */
static void trouble_interval(struct backups_job *j, uint64_t now)
{
	uint64_t step = BACKUPS_TROUBLE_FIRST_MS;

	if (j->poll_fails < 255)
		j->poll_fails++;
	for (unsigned int i = 1;
	     i < j->poll_fails && step < BACKUPS_TROUBLE_MAX_MS; i++)
		step *= 2;
	if (step > BACKUPS_TROUBLE_MAX_MS)
		step = BACKUPS_TROUBLE_MAX_MS;
	j->next_poll_ms = now + step;
}

static void next_interval(struct backups_job *j, uint64_t now)
{
	j->next_poll_ms = now + j->interval_ms;
	j->interval_ms = j->interval_ms * 3 / 2;
	if (j->interval_ms > BACKUPS_POLL_MAX_MS)
		j->interval_ms = BACKUPS_POLL_MAX_MS;
}

static void learn_duration(struct backups *b, const struct backups_job *j,
			   const struct poll_result *r)
{
	uint64_t d;

	/* From the service's acceptance, not from our submission: a write may
	 * wait for the rate limiter for seconds before BackupKey is sent. */
	if (j->origin != BACKUPS_ORIGIN_MOUNT || !r->finished || !r->accepted ||
	    r->finished < r->accepted)
		return;
	d = (uint64_t)(r->finished - r->accepted) * 1000;
	backups_sched_learn(&b->sched, d);
}

static void apply_final(struct backups *b, struct backups_job *j,
			struct poll_result *r)
{
	j->phase = PH_NONE;
	j->finished = r->finished	? r->finished
		      : j->svc_finished ? j->svc_finished
					: wall(b);
	if (j->origin == BACKUPS_ORIGIN_MOUNT && !j->by_key_state) {
		/* BackupKey's answer left the key BACKUP_IN_PROGRESS in the
		 * tree: fetch its state, with the others of its vault. */
		j->refresh_key = true;
		j->next_poll_ms = mono(b) + BACKUPS_KEYSTATE_GATHER_MS;
	}
	if (r->note[0])
		str_set(&j->note, r->note);
	if (j->origin == BACKUPS_ORIGIN_ELSEWHERE &&
	    r->state != BACKUPS_FAILED && !r->verified && !r->wr_outcome) {
		/* Outcome unknown: not ours, not confirmed by an object. */
		j->state = BACKUPS_NONE;
		j->progress = -1;
		j->unknown_outcome = true;
		return;
	}
	j->state = r->state;
	if (r->state == BACKUPS_SUCCEEDED) {
		char what[OVFS_NS_MAX + OVFS_BUCKET_MAX + OVFS_OBJECT_MAX];

		j->progress = 100;
		b->stats.succeeded++;
		if (r->verified) {
			j->object_size = r->size;
			j->object_unverified = false;
		}
		job_what(j, what, sizeof(what));
		j->ok_finished = j->finished;
		j->ok_size = j->object_size;
		str_set(&j->ok_object, what);
		str_set(&j->ok_wr, j->work_request);
		j->ok_looked_up = true; /* newer than the journal's */
	} else {
		job_set_error(j, &r->error,
			      r->error_errno ? r->error_errno : -EIO);
		b->stats.failed++;
	}
}

static void apply(struct backups *b, struct backups_job *j,
		  struct poll_result *r)
{
	uint64_t now = mono(b);
	char note[128];

	j->polling = false;
	b->stats.polls++;
	if (j->phase == PH_WR)
		j->wr_polled = true;
	if (j->refresh_key && !backups_in_flight(j->state) &&
	    j->maybe_accepted) {
		/* A BackupKey without an answer: ask until the key's state
		 * is known, however long the outage lasts. */
		if (r->key_state[0])
			buf_copy(j->key_state, sizeof(j->key_state),
				 r->key_state);
		if (r->poll_failed ||
		    (!r->wr_id[0] &&
		     strcmp(r->key_state, "BACKUP_IN_PROGRESS") &&
		     now < j->unanswered_until_ms)) {
			/* Unknown yet, or nothing seen but the request may
			 * still be queued at the service: ask again. */
			trouble_interval(j, now);
			return;
		}
		j->maybe_accepted = false;
		j->refresh_key = false;
		j->poll_fails = 0;
		if (r->wr_id[0]) {
			adopt(b, j, r, now);
		} else if (!strcmp(r->key_state, "BACKUP_IN_PROGRESS")) {
			char *key_comp = j->key_comp;

			/* OCI did accept it; its work request is unknown:
			 * follow it by the key state, as one from elsewhere. */
			j->key_comp = NULL;
			track_elsewhere(b, j, key_comp);
			free(key_comp);
			snprintf(note, sizeof(note),
				 "%s got no answer but OCI accepted it: "
				 "followed by the %s's state",
				 call_of(j->vault), what_of(j->vault));
			str_set(&j->note, note);
		} else {
			snprintf(note, sizeof(note),
				 "%s got no answer, and OCI did not start a "
				 "backup",
				 call_of(j->vault));
			str_set(&j->note, note);
		}
		return;
	}
	if (j->refresh_key && !backups_in_flight(j->state)) {
		/* PH_KEYSTATE.  The key may still be listed as
		 * BACKUP_IN_PROGRESS for a moment after its work request
		 * ended: ask again a few times (a stale state is harmless:
		 * see stale_in_progress()). */
		bool again = (r->poll_failed ||
			      !strcmp(r->key_state, "BACKUP_IN_PROGRESS")) &&
			     ++j->key_tries < BACKUPS_KEYSTATE_TRIES;

		if (r->key_state[0])
			buf_copy(j->key_state, sizeof(j->key_state),
				 r->key_state);
		j->refresh_key = again;
		if (again)
			j->next_poll_ms =
				now + BACKUPS_KEYSTATE_GATHER_MS * j->key_tries;
		return;
	}
	if (r->switch_to_key_state) {
		clear_trouble(j);
		j->by_key_state = true;
		b->wr_unsupported = true;
		j->phase = PH_KEYS;
		j->next_poll_ms = now;
		return;
	}
	if (r->poll_failed) {
		/* The backup stays in flight, whatever the outage: only an
		 * answer of the service ends it. */
		note_trouble(b, j, &r->error);
		trouble_interval(j, now);
		return;
	}
	clear_trouble(j);
	if (r->wr_id[0])
		str_set(&j->work_request, r->wr_id);
	if (r->key_state[0])
		buf_copy(j->key_state, sizeof(j->key_state), r->key_state);
	if (r->started)
		j->started = r->started;
	if (r->done) {
		apply_final(b, j, r);
		return;
	}
	if (r->next == PH_VERIFY) {
		/* The service says done; the object is checked next, together
		 * with the other backups of its bucket that end meanwhile. */
		learn_duration(b, j, r);
		j->state = BACKUPS_IN_PROGRESS;
		if (r->finished)
			j->svc_finished = r->finished;
		j->phase = PH_VERIFY;
		j->next_poll_ms = now + BACKUPS_VERIFY_GATHER_MS;
		j->interval_ms = BACKUPS_POLL_FIRST_MS;
		return;
	}
	if (r->next == PH_HEAD) {
		j->phase = PH_HEAD;
		j->next_poll_ms = now;
		return;
	}
	j->state = r->state;
	if (r->progress >= 0)
		j->progress = r->progress;
	next_interval(j, now);
}

/* Ended, and no object can be checked (a PAR's bucket we may not list,
 * a backup started elsewhere): the service's word is all there is. */
static void unverifiable(const struct backups_job *j, struct poll_result *r)
{
	r->done = true;
	r->state = BACKUPS_SUCCEEDED;
	r->verified = false;
	if (j->origin == BACKUPS_ORIGIN_ELSEWHERE)
		snprintf(r->note, sizeof(r->note),
			 "a backup started elsewhere ended; its outcome is "
			 "not known here");
}

/* The service says the backup ended: check the object next, or finish. */
static void service_done(const struct backups_job *j, struct poll_result *r)
{
	if (j->where)
		r->next = PH_VERIFY;
	else
		unverifiable(j, r);
}

/* The backup failed (EIO) after the service accepted it; the caller fills
 * in the code and message. */
static void failed_eio(const struct backups_job *j, struct poll_result *r)
{
	r->done = true;
	r->state = BACKUPS_FAILED;
	r->error_errno = -EIO;
	oci_error_clear(&r->error);
	/* No HTTP status of its own: without this the error would not count
	 * as set and `status` would hide it. */
	r->error.local_errno = -EIO;
	buf_copy(r->error.operation, sizeof(r->error.operation),
		 j->vault ? "BackupVault" : "BackupKey");
}

static void wr_failed(struct backups *b, const struct backups_job *j,
		      const struct oci_work_request *wr, struct poll_result *r)
{
	struct oci_wr_error_list el = {0};
	struct oci_error err;

	failed_eio(j, r);
	if (!oci_list_work_request_errors(b->client, wr->id, &el, &err) &&
	    el.n) {
		buf_copy(r->error.code, sizeof(r->error.code),
			 el.v[el.n - 1].code);
		buf_copy(r->error.message, sizeof(r->error.message),
			 el.v[el.n - 1].message);
		target_redact_text(r->error.message);
	} else {
		buf_copy(r->error.code, sizeof(r->error.code), wr->status);
		snprintf(r->error.message, sizeof(r->error.message),
			 "work request %s", wr->status);
	}
	buf_copy(r->error.request_id, sizeof(r->error.request_id),
		 str_or(j->request_id));
	oci_wr_error_list_release(&el);
}

static void poll_work_request(struct backups *b, const struct backups_job *j,
			      struct poll_result *r)
{
	struct oci_work_request *wr = calloc(1, sizeof(*wr));
	int ret;

	if (!wr) {
		r->poll_failed = true;
		oci_error_local(&r->error, -ENOMEM, "out of memory");
		return;
	}
	ret = oci_get_work_request(b->client, str_or(j->work_request), wr,
				   &r->error);
	if (ret == -ENOENT) {
		r->switch_to_key_state = true;
		goto out;
	}
	if (ret) {
		r->poll_failed = true;
		goto out;
	}
	r->progress = wr->percent_complete;
	if (wr->time_accepted[0])
		clock_parse_rfc3339(wr->time_accepted, &r->accepted);
	if (wr->time_started[0])
		clock_parse_rfc3339(wr->time_started, &r->started);
	if (wr->time_finished[0])
		clock_parse_rfc3339(wr->time_finished, &r->finished);
	if (!strcmp(wr->status, WR_STATUS_SUCCEEDED))
		service_done(j, r);
	else if (!strcmp(wr->status, WR_STATUS_FAILED) ||
		 !strcmp(wr->status, WR_STATUS_CANCELED))
		wr_failed(b, j, wr, r);
	else
		r->state = !strcmp(wr->status, WR_STATUS_ACCEPTED)
				   ? BACKUPS_ACCEPTED
				   : BACKUPS_IN_PROGRESS;
out:
	model_work_request_release(wr);
	free(wr);
}

/*
 * A backup started elsewhere ended (the key left BACKUP_IN_PROGRESS): its
 * work request, found with ListWorkRequests of the key (the newest
 * BACKUP_KEY one that did not end before we saw the backup), tells the
 * outcome.  Without one (the API is not there, or the call fails) the
 * outcome is not known here.  The object is not known either, so a
 * success cannot be checked as ours are.
 */
static void elsewhere_outcome(struct backups *b, const struct backups_job *j,
			      struct poll_result *r)
{
	struct oci_work_request_list l = {0};
	const struct oci_work_request *w = NULL;
	struct oci_error err;

	if (!j->key_comp || oci_list_work_requests(b->client, j->key_comp,
						   j->key->id, &l, &err))
		goto unknown;
	for (size_t i = 0; i < l.n && !w; i++) {
		int64_t fin = 0;

		if (strcmp(l.v[i].operation_type,
			   j->vault ? "BACKUP_VAULT" : "BACKUP_KEY"))
			continue;
		if (l.v[i].time_finished[0] &&
		    !clock_parse_rfc3339(l.v[i].time_finished, &fin) &&
		    fin < j->started - BACKUPS_SKEW_S)
			continue; /* an older backup of the key */
		w = &l.v[i];
	}
	if (!w)
		goto unknown;
	buf_copy(r->wr_id, sizeof(r->wr_id), w->id);
	if (w->time_started[0])
		clock_parse_rfc3339(w->time_started, &r->started);
	if (w->time_finished[0])
		clock_parse_rfc3339(w->time_finished, &r->finished);
	if (!strcmp(w->status, WR_STATUS_SUCCEEDED)) {
		r->done = true;
		r->state = BACKUPS_SUCCEEDED;
		r->wr_outcome = true;
		snprintf(r->note, sizeof(r->note),
			 "a backup started elsewhere succeeded (its work "
			 "request says so); its object is not known here");
	} else if (!strcmp(w->status, WR_STATUS_FAILED) ||
		   !strcmp(w->status, WR_STATUS_CANCELED)) {
		wr_failed(b, j, w, r);
		snprintf(r->note, sizeof(r->note),
			 "a backup started elsewhere failed");
	} else {
		/* The key left BACKUP_IN_PROGRESS before its work request
		 * ended: ask again. */
		r->state = BACKUPS_IN_PROGRESS;
	}
	oci_work_request_list_release(&l);
	return;
unknown:
	oci_work_request_list_release(&l);
	unverifiable(j, r);
}

/*
 * `j`'s BackupKey got no answer: did OCI make a work request for it?  The
 * newest BACKUP_KEY work request of the key accepted after we submitted
 * (minus clock skew) is the one: its id goes to r->wr_id.  Nothing found,
 * or the call failed: r->wr_id stays "" and the key state decides.
 */
static void find_unanswered(struct backups *b, const struct backups_job *j,
			    struct poll_result *r)
{
	struct oci_work_request_list l = {0};
	struct oci_error err;

	if (!j->key_comp || oci_list_work_requests(b->client, j->key_comp,
						   j->key->id, &l, &err))
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		int64_t acc = 0, fin = 0;

		if (strcmp(l.v[i].operation_type,
			   j->vault ? "BACKUP_VAULT" : "BACKUP_KEY") ||
		    !l.v[i].time_accepted[0] ||
		    clock_parse_rfc3339(l.v[i].time_accepted, &acc) ||
		    acc < j->submitted - BACKUPS_ADOPT_SKEW_S)
			continue;
		if (l.v[i].time_finished[0] &&
		    !clock_parse_rfc3339(l.v[i].time_finished, &fin) &&
		    fin < j->submitted)
			continue; /* an earlier backup, ended before ours */
		buf_copy(r->wr_id, sizeof(r->wr_id), l.v[i].id);
		break;
	}
out:
	oci_work_request_list_release(&l);
}

/* Key-state tracking: one ListKeys for the batch (one vault and
 * compartment). */
/*
 * Vault-state tracking (the vault jobs of one compartment): one ListVaults.
 * BACKUP_IN_PROGRESS is still running; any other state means it ended.
 */
static void poll_vault_states(struct backups *b, struct backups_work *w)
{
	struct oci_vault_list l = {0};
	struct oci_error err;
	int ret;

	ret = oci_list_vaults(b->client, str_or(w->jobs[0]->key_comp), &l,
			      &err);
	for (size_t i = 0; i < w->n; i++) {
		struct poll_result *r = &w->res[i];
		struct backups_job *o = w->jobs[i];
		const struct oci_vault *v = NULL;

		if (ret) {
			r->poll_failed = true;
			r->error = err;
			continue;
		}
		for (size_t x = 0; x < l.n && !v; x++)
			if (!strcmp(l.v[x].id, o->key->id))
				v = &l.v[x];
		if (!v || !strcmp(v->lifecycle_state, "DELETED")) {
			r->done = true;
			r->state = BACKUPS_FAILED;
			r->error_errno = -ENOENT;
			oci_error_local(&r->error, -ENOENT,
					"the vault is no longer listed");
			continue;
		}
		tree_update_vault(b->tree, o->key, v);
		buf_copy(r->key_state, sizeof(r->key_state),
			 v->lifecycle_state);
		if (o->maybe_accepted && !backups_in_flight(o->state))
			find_unanswered(b, o, r);
		if (!strcmp(v->lifecycle_state, "BACKUP_IN_PROGRESS"))
			r->state = BACKUPS_IN_PROGRESS;
		else if (o->origin == BACKUPS_ORIGIN_ELSEWHERE &&
			 backups_in_flight(o->state))
			elsewhere_outcome(b, o, r);
		else
			service_done(o, r);
	}
	oci_vault_list_release(&l);
}

static void poll_key_states(struct backups *b, struct backups_work *w)
{
	struct oci_vault *v;

	if (w->jobs[0]->vault) {
		poll_vault_states(b, w);
		return;
	}
	v = malloc(sizeof(*v));
	struct oci_key_list l = {0};
	struct oci_error err;
	int ret = -ENOMEM;

	oci_error_local(&err, -ENOMEM, "out of memory");
	if (v) {
		tree_node_vault(tree_node_parent(w->jobs[0]->key), v);
		ret = oci_list_keys(b->client, v->management_endpoint,
				    str_or(w->jobs[0]->key_comp), &l, &err);
	}
	for (size_t i = 0; i < w->n; i++) {
		struct poll_result *r = &w->res[i];
		struct backups_job *o = w->jobs[i];
		const struct oci_key *k = NULL;

		if (ret) {
			r->poll_failed = true;
			r->error = err;
			continue;
		}
		for (size_t x = 0; x < l.n && !k; x++)
			if (!strcmp(l.v[x].id, o->key->id))
				k = &l.v[x];
		if (!k || !strcmp(k->lifecycle_state, "DELETED")) {
			r->done = true;
			r->state = BACKUPS_FAILED;
			r->error_errno = -ENOENT;
			oci_error_local(&r->error, -ENOENT,
					"the key is no longer listed");
			continue;
		}
		tree_update_key(b->tree, o->key, k, NULL);
		buf_copy(r->key_state, sizeof(r->key_state),
			 k->lifecycle_state);
		if (o->maybe_accepted && !backups_in_flight(o->state))
			find_unanswered(b, o, r);
		if (!strcmp(k->lifecycle_state, "BACKUP_IN_PROGRESS"))
			r->state = BACKUPS_IN_PROGRESS;
		else if (o->origin == BACKUPS_ORIGIN_ELSEWHERE &&
			 backups_in_flight(o->state))
			elsewhere_outcome(b, o, r);
		else
			service_done(o, r);
	}
	oci_key_list_release(&l);
	free(v);
}

/*
 * Does the object fit this backup?  It must hold something and have been
 * created after the backup was submitted (minus clock skew between us and
 * Object Storage) and not in the future.
 */
static void check_fit(struct backups *b, const struct backups_job *j,
		      int64_t size, const char *created, struct poll_result *r)
{
	int64_t t = 0;

	failed_eio(j, r);
	if (size <= 0) {
		buf_copy(r->error.code, sizeof(r->error.code), "ObjectEmpty");
		snprintf(r->error.message, sizeof(r->error.message),
			 "the backup ended but object '%s' in bucket '%s' is "
			 "empty",
			 j->object, j->bucket);
		return;
	}
	if (created && created[0] && !clock_parse_rfc3339(created, &t) &&
	    (t < j->submitted - BACKUPS_SKEW_S ||
	     t > wall(b) + BACKUPS_SKEW_S)) {
		char ts[32] = "", ss[32] = "";

		clock_rfc3339(t, ts, sizeof(ts));
		clock_rfc3339(j->submitted, ss, sizeof(ss));
		buf_copy(r->error.code, sizeof(r->error.code), "ObjectNotOurs");
		snprintf(r->error.message, sizeof(r->error.message),
			 "object '%s' in bucket '%s' was created at %s, which "
			 "does not fit a backup submitted at %s",
			 j->object, j->bucket, ts, ss);
		return;
	}
	r->state = BACKUPS_SUCCEEDED;
	r->error_errno = 0;
	oci_error_clear(&r->error);
	r->verified = true;
	r->size = size;
}

static void object_missing(const struct backups_job *j, const char *reqid,
			   struct poll_result *r)
{
	r->done = true;
	r->state = BACKUPS_FAILED;
	r->error_errno = -EIO;
	oci_error_clear(&r->error);
	r->error.http_status = 404;
	buf_copy(r->error.code, sizeof(r->error.code), "ObjectNotFound");
	snprintf(r->error.message, sizeof(r->error.message),
		 "the backup ended but there is no object '%s' in bucket '%s'",
		 j->object, j->bucket);
	buf_copy(r->error.request_id, sizeof(r->error.request_id), reqid);
}

static int cmp_object(const void *x, const void *y)
{
	const struct backups_job *a = *(struct backups_job *const *)x;
	const struct backups_job *c = *(struct backups_job *const *)y;

	return strcmp(a->object, c->object);
}

/*
 * The object check of every finished backup of one bucket: list the range
 * of names from the smallest to the largest (the default names start with
 * the time, so a batch is a narrow range), at most BACKUPS_VERIFY_PAGES pages;
 * names the pages did not reach get a HeadObject each.
 */
static void verify_batch(struct backups *b, struct backups_work *w)
{
	struct backups_job **sorted = malloc(w->n * sizeof(*sorted));
	struct oci_object_list l = {0};
	char *next = malloc(OVFS_OBJECT_MAX), *start = malloc(OVFS_OBJECT_MAX);
	const char *last;
	struct oci_error err;
	bool complete = false;
	int ret = -ENOMEM;

	oci_error_local(&err, -ENOMEM, "out of memory");
	if (!sorted || !next || !start)
		goto fail;
	memcpy(sorted, w->jobs, w->n * sizeof(*sorted));
	qsort(sorted, w->n, sizeof(*sorted), cmp_object);
	last = sorted[w->n - 1]->object;
	buf_copy(start, OVFS_OBJECT_MAX, sorted[0]->object);
	for (int page = 0; page < BACKUPS_VERIFY_PAGES; page++) {
		ret = oci_list_objects(b->client, w->jobs[0]->ns,
				       w->jobs[0]->bucket, NULL, start,
				       BACKUPS_VERIFY_LIMIT, &l, next, &err);
		if (ret)
			break;
		if (!next[0] || strcmp(next, last) > 0) {
			complete = true;
			break;
		}
		buf_copy(start, OVFS_OBJECT_MAX, next);
	}
fail:
	for (size_t i = 0; i < w->n; i++) {
		struct backups_job *j = w->jobs[i];
		struct poll_result *r = &w->res[i];
		const struct oci_object_summary *o = NULL;

		if (ret) {
			if (j->par && err.http_status >= 400 &&
			    err.http_status < 500 && err.http_status != 429) {
				unverifiable(j, r);
				continue;
			}
			r->poll_failed = true;
			r->error = err;
			continue;
		}
		for (size_t x = 0; x < l.n && !o; x++)
			if (!strcmp(l.v[x].name, j->object))
				o = &l.v[x];
		if (o)
			check_fit(b, j, o->size, o->time_created, r);
		else if (complete || strcmp(j->object, next) < 0)
			object_missing(j, err.request_id, r);
		else
			r->next = PH_HEAD;
	}
	oci_object_list_release(&l);
	free(sorted);
	free(next);
	free(start);
}

/* HeadObject for one backup the range listing did not reach. */
static void verify_head(struct backups *b, const struct backups_job *j,
			struct poll_result *r)
{
	struct oci_object_head h;
	int ret;

	ret = oci_head_object(b->client, j->ns, j->bucket, j->object, &h,
			      &r->error);
	if (!ret)
		check_fit(b, j, h.content_length, NULL, r);
	else if (r->error.http_status == 404)
		object_missing(j, r->error.request_id, r);
	else if (j->par && r->error.http_status >= 400 &&
		 r->error.http_status < 500 && r->error.http_status != 429)
		unverifiable(j, r);
	else
		r->poll_failed = true;
}

static void run_work(struct backups *b, struct backups_work *w)
{
	for (size_t i = 0; i < w->n; i++) {
		memset(&w->res[i], 0, sizeof(w->res[i]));
		w->res[i].progress = -1;
	}
	switch (w->kind) {
	case PH_WR:
		poll_work_request(b, w->jobs[0], &w->res[0]);
		break;
	case PH_KEYS:
	case PH_KEYSTATE:
		poll_key_states(b, w);
		break;
	case PH_VERIFY:
		verify_batch(b, w);
		break;
	case PH_HEAD:
		verify_head(b, w->jobs[0], &w->res[0]);
		break;
	case PH_NONE:
		break;
	}
}

/* The phase a tracker would work on for `j`, PH_NONE when none. */
static enum backups_phase job_phase(const struct backups_job *j)
{
	if (j->polling)
		return PH_NONE;
	if (j->refresh_key && !backups_in_flight(j->state))
		return PH_KEYSTATE;
	if (backups_in_flight(j->state) && j->state != BACKUPS_SUBMITTING)
		return j->phase;
	return PH_NONE;
}

static bool work_add(struct backups_work *w, struct backups_job *j)
{
	if (w->n == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 16;
		struct backups_job **v;
		struct poll_result *r;

		if (nc > BACKUPS_BATCH_MAX)
			return false;
		v = realloc(w->jobs, nc * sizeof(*v));
		if (!v)
			return false;
		w->jobs = v;
		r = realloc(w->res, nc * sizeof(*r));
		if (!r)
			return false;
		w->res = r;
		w->cap = nc;
	}
	w->jobs[w->n++] = j;
	j->polling = true;
	return true;
}

/*
 * May `o` join the batch of `kind` that `a` leads?  `kind`, not `a`'s
 * phase: `a` is already marked polling, so job_phase(a) is PH_NONE.
 */
static bool same_group(enum backups_phase kind, const struct backups_job *a,
		       const struct backups_job *o)
{
	if (kind == PH_KEYS || kind == PH_KEYSTATE)
		return a->vault == o->vault &&
		       tree_node_parent(a->key) == tree_node_parent(o->key) &&
		       !strcmp(str_or(a->key_comp), str_or(o->key_comp));
	return a->where && o->where && !strcmp(a->bucket, o->bucket) &&
	       !strcmp(a->ns, o->ns);
}

static bool trackable(const struct backups_job *j)
{
	return job_phase(j) != PH_NONE;
}

/* The oldest backup tracked by its work request (lock held). */
static const struct backups_job *oldest_wr(struct backups *b)
{
	const struct backups_job *p = NULL;

	for (size_t i = 0; i < b->n; i++) {
		const struct backups_job *j = b->all[i];

		if (backups_in_flight(j->state) && j->phase == PH_WR &&
		    (!p || j->accepted_ms < p->accepted_ms))
			p = j;
	}
	return p;
}

/* Spare polls that cannot tell anything new (lock held): backups_sched_due(). */
static void defer_poll(struct backups *b, struct backups_job *j,
		       const struct backups_job *pilot, uint64_t now)
{
	bool lead = pilot && pilot != j && pilot->wr_polled;

	j->next_poll_ms = backups_sched_due(
		&b->sched, now, j->accepted_ms, j->wr_polled, lead,
		lead ? pilot->accepted_ms : 0, lead ? pilot->next_poll_ms : 0);
}

/*
 * Pick the next due work (lock held): one job for a work-request poll or a
 * HeadObject, or a whole group for ListKeys (one vault) and ListObjects
 * (one bucket; its members need not be due yet).  Round robin over the
 * table, so that no job starves.  False with *wait_ms when nothing is due.
 */
static bool pick_work(struct backups *b, uint64_t now, struct backups_work *w,
		      uint64_t *wait_ms, bool *any)
{
	uint64_t next = now + 1000;
	const struct backups_job *pilot = b->sched.n ? NULL : oldest_wr(b);

	w->n = 0;
	*any = false;
	for (size_t k = 0; k < b->n; k++) {
		size_t idx = (b->cursor + k) % b->n;
		struct backups_job *j = b->all[idx];

		if (!trackable(j))
			continue;
		*any = true;
		if (j->next_poll_ms <= now && job_phase(j) == PH_WR)
			defer_poll(b, j, pilot, now);
		if (j->next_poll_ms > now) {
			if (j->next_poll_ms < next)
				next = j->next_poll_ms;
			continue;
		}
		w->kind = job_phase(j);
		if (!work_add(w, j))
			break;
		b->cursor = idx + 1;
		if (w->kind != PH_KEYS && w->kind != PH_VERIFY &&
		    w->kind != PH_KEYSTATE)
			return true;
		for (size_t m = 0; m < b->n; m++) {
			struct backups_job *o = b->all[m];

			if (o == j || job_phase(o) != w->kind ||
			    !same_group(w->kind, j, o) ||
			    (w->kind != PH_VERIFY && o->next_poll_ms > now))
				continue;
			if (!work_add(w, o))
				break;
		}
		return true;
	}
	*wait_ms = next - now;
	return false;
}

struct tracker_arg {
	struct backups *b;
	unsigned int slot;
};

struct poll_ctx {
	struct backups *b;
	struct backups_work *w;
};

/* oci_budget.on_retry of a poll: an attempt failed and is retried. */
static void poll_retrying(void *arg, const struct oci_error *err,
			  unsigned int attempt, uint64_t delay_ms)
{
	struct poll_ctx *pc = arg;
	struct backups *b = pc->b;

	(void)attempt;
	(void)delay_ms;
	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < pc->w->n; i++)
		note_trouble(b, pc->w->jobs[i], err);
	pthread_cond_broadcast(&b->changed);
	pthread_mutex_unlock(&b->lock);
}

/* The batch's calls, without the lock, within one poll's budget. */
static void run_polls(struct backups *b, struct backups_work *w)
{
	struct poll_ctx pc = {b, w};
	struct oci_budget budget = {
		.deadline_ms = mono(b) + BACKUPS_POLL_BUDGET_MS,
		.max_attempts = BACKUPS_POLL_ATTEMPTS,
		.max_delay_ms = BACKUPS_POLL_DELAY_MS,
		.on_retry = poll_retrying,
		.arg = &pc,
	};

	oci_budget_enter(b->client, &budget);
	run_work(b, w);
	oci_budget_leave(b->client);
}

static void *tracker_main(void *arg)
{
	struct tracker_arg *ta = arg;
	struct backups *b = ta->b;
	unsigned int slot = ta->slot;
	struct backups_work w = {0};
	uint64_t idle_since = 0;

	free(ta);
	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		uint64_t wait_ms = 0, now = mono(b);
		struct end_note *ends; /* the backups this round ended */
		bool any;

		if (exiting(b)) {
			pthread_cond_broadcast(&b->changed);
			clock_cond_timedwait(&b->wake, &b->lock, 100);
			continue;
		}
		if (!pick_work(b, now, &w, &wait_ms, &any)) {
			if (any)
				idle_since = 0;
			else if (!idle_since)
				idle_since = now;
			else if (now - idle_since >= BACKUPS_TRACKER_IDLE_MS)
				break; /* nothing to track: go away */
			b->idle++;
			clock_cond_timedwait(&b->wake, &b->lock,
					     any ? (wait_ms ? wait_ms : 1)
						 : BACKUPS_TRACKER_IDLE_MS);
			b->idle--;
			continue;
		}
		idle_since = 0;
		if (w.n > 1 || b->live < b->ntrackers)
			tracker_spawn(b); /* more may be due meanwhile */
		pthread_mutex_unlock(&b->lock);
		run_polls(b, &w);
		ends = NULL;
		pthread_mutex_lock(&b->lock);
		for (size_t i = 0; i < w.n; i++) {
			enum backups_state was = w.jobs[i]->state;

			apply(b, w.jobs[i], &w.res[i]);
			journal_note(b, w.jobs[i], was);
			if (!ended(w.jobs[i], was))
				continue;
			if (!ends) /* NULL when out of memory: not logged */
				ends = calloc(w.n, sizeof(*ends));
			if (ends)
				note_end(w.jobs[i], &ends[i]);
		}
		if (ends) {
			pthread_mutex_unlock(&b->lock);
			for (size_t i = 0; i < w.n; i++)
				log_end(b, &ends[i]);
			free(ends);
			pthread_mutex_lock(&b->lock);
		}
		/* Results are published at once; a job may be due again
		 * (a HeadObject next): wake another tracker. */
		pthread_cond_broadcast(&b->changed);
		pthread_cond_signal(&b->wake);
	}
	b->slot_live[slot] = false;
	b->live--;
	pthread_cond_broadcast(&b->changed); /* backups_stop() waits */
	pthread_mutex_unlock(&b->lock);
	free(w.jobs);
	free(w.res);
	return NULL;
}

static void tracker_spawn(struct backups *b)
{
	struct tracker_arg *ta;
	unsigned int i;

	if (!b->started || b->stop || b->idle || b->live >= b->ntrackers)
		return;
	for (i = 0; i < b->ntrackers && b->slot_live[i]; i++)
		;
	if (i == b->ntrackers)
		return;
	if (b->slot_used[i]) {
		/* It has ended (slot_live is false): this returns at once. */
		pthread_join(b->threads[i], NULL);
		b->slot_used[i] = false;
	}
	ta = malloc(sizeof(*ta));
	if (!ta)
		return;
	ta->b = b;
	ta->slot = i;
	if (pthread_create(&b->threads[i], NULL, tracker_main, ta)) {
		free(ta);
		return;
	}
	b->slot_used[i] = b->slot_live[i] = true;
	b->live++;
}

int backups_start(struct backups *b)
{
	pthread_mutex_lock(&b->lock);
	b->stop = false;
	b->started = true;
	tracker_spawn(b); /* for jobs already there, if any */
	resume_spawn(b);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void backups_stop(struct backups *b)
{
	pthread_mutex_lock(&b->lock);
	if (!b->started) {
		pthread_mutex_unlock(&b->lock);
		return;
	}
	b->stop = true;
	pthread_cond_broadcast(&b->wake);
	pthread_cond_broadcast(&b->changed);
	while (b->live || b->resume_live)
		clock_cond_timedwait(&b->changed, &b->lock, 100);
	if (b->resume_used)
		pthread_join(b->resume_thread, NULL); /* it has ended */
	b->resume_used = false;
	for (unsigned int i = 0; i < b->ntrackers; i++) {
		if (b->slot_used[i])
			pthread_join(b->threads[i], NULL);
		b->slot_used[i] = false;
	}
	b->started = false;
	pthread_mutex_unlock(&b->lock);
}

/* ---- wait, list, stats ---------------------------------------------------- */

int backups_wait(struct backups *b, struct tree_node *key,
		 bool (*interrupted)(void *arg), void *arg, struct buf *out)
{
	struct backups_job *j;
	int ret = 0;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		j = job_find(b, key);
		/* A BackupKey without an answer may be running: wait until
		 * the tracker knows, then for that backup. */
		if (!j || (!backups_in_flight(j->state) && !j->maybe_accepted))
			break;
		if (b->stop || exiting(b) ||
		    (interrupted && interrupted(arg))) {
			ret = -EINTR;
			break;
		}
		clock_cond_timedwait(&b->changed, &b->lock,
				     BACKUPS_WAIT_SLICE_MS);
	}
	if (!ret && j && j->state == BACKUPS_FAILED)
		ret = -EIO;
	else if (!ret && j && j->state == BACKUPS_NONE && j->unknown_outcome)
		ret = -ENODATA;
	pthread_mutex_unlock(&b->lock);
	if (ret != -EINTR) {
		int r2 = backups_status(b, key, out);

		if (r2)
			ret = r2;
	}
	return ret;
}

static int cmp_line(const void *a, const void *b)
{
	const struct backups_attempt *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Copy the frozen attempts and every job's latest one (lock held). */
static int list_collect(struct backups *b, struct backups_attempt *ll,
			size_t *n)
{
	for (size_t i = 0; i < b->past_n; i++) {
		const struct backups_attempt *a =
			&b->past[(b->past_head + i) % BACKUPS_PAST_MAX];
		struct backups_attempt *l = &ll[(*n)++];

		*l = *a;
		l->what = strdup(a->what ? a->what : "-");
		l->wr = strdup(a->wr ? a->wr : "-");
		if (!l->what || !l->wr)
			return -ENOMEM;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->all[i]->seq && attempt_of_job(b->all[i], &ll[(*n)++]))
			return -ENOMEM;
	return 0;
}

int backups_list(struct backups *b, struct buf *out)
{
	struct backups_attempt *ll = NULL;
	size_t n = 0, max;
	int ret = 0;

	pthread_mutex_lock(&b->lock);
	max = b->n + b->past_n;
	if (max)
		ll = calloc(max, sizeof(*ll));
	if (max && !ll)
		ret = -ENOMEM;
	else if (max)
		ret = list_collect(b, ll, &n);
	pthread_mutex_unlock(&b->lock);
	if (n) /* qsort(NULL, 0, ...) is undefined */
		qsort(ll, n, sizeof(*ll), cmp_line);

	for (size_t i = 0; i < n && !ret; i++) {
		char sub[32] = "-", fin[32] = "-", prog[16] = "-";

		if (ll[i].submitted)
			clock_rfc3339(ll[i].submitted, sub, sizeof(sub));
		if (ll[i].finished)
			clock_rfc3339(ll[i].finished, fin, sizeof(fin));
		if (ll[i].progress >= 0)
			snprintf(prog, sizeof(prog), "%.0f%%", ll[i].progress);
		ret = buf_addf(out, "%s\t%s\t", ll[i].state, prog);
		if (!ret)
			ret = tree_node_path(ll[i].key, out);
		if (!ret)
			ret = buf_addf(out, "\t%s\t%s\t%s\t%s\t%s\t%s\n",
				       ll[i].what, sub, fin, ll[i].wr,
				       ll[i].vault ? "vault-backup"
						   : "key-backup",
				       ll[i].err ? errno_name(ll[i].err) : "-");
	}
	for (size_t i = 0; ll && i < n; i++)
		attempt_release(&ll[i]);
	free(ll);
	return ret;
}

void backups_stats(struct backups *b, struct backups_stats *out)
{
	pthread_mutex_lock(&b->lock);
	*out = b->stats;
	out->in_flight = 0;
	for (size_t i = 0; i < b->n; i++)
		if (backups_in_flight(b->all[i]->state))
			out->in_flight++;
	pthread_mutex_unlock(&b->lock);
}

int backups_history(struct backups *b, struct tree_node *key, struct buf *out)
{
	if (!b->journal)
		return 0;
	return journal_history(b->journal, key ? key->id : NULL, out);
}

/* The target forms both help texts list (one per line, ';' comments). */
#define HELP_TARGET_FORMS                                                        \
	"; Targets (one per write; blank lines and lines starting with ';' or\n" \
	"; '#' are ignored):\n"                                                  \
	";   BUCKET                            object named by the template\n"   \
	";   BUCKET/OBJECT\n"                                                    \
	";   oci://BUCKET@NAMESPACE/[OBJECT]\n"                                  \
	";   https://HOST/p/TOKEN/n/NS/b/BUCKET/o/[OBJECT]   (pre-authenticated)\n"

/* The namespace lookup of the help text: one attempt, 10 s. */
#define BACKUPS_NS_UNKNOWN "(unknown: looked up on first use)"
#define BACKUPS_NS_WIDTH ((int)sizeof(BACKUPS_NS_UNKNOWN) - 1)
#define BACKUPS_HELP_BUDGET_MS 10000

/* backups_help() of a vault node. */
/*
 * The namespace the help text names.  An editor opens `backup` before
 * writing: in an outage the help must not hold the open for a retry chain
 * (one attempt, BACKUPS_HELP_BUDGET_MS).  `cached` (a stat, for its size):
 * no call, the namespace only if it is known.  Shown padded to the width
 * of BACKUPS_NS_UNKNOWN ("; Namespace: %-*s"), so that a stat before the
 * first lookup and the read that looks it up agree on the length.
 */
static void help_namespace(struct backups *b, bool cached, char ns[OVFS_NS_MAX])
{
	struct oci_error err;
	struct oci_budget budget = {
		.deadline_ms = mono(b) + BACKUPS_HELP_BUDGET_MS,
		.max_attempts = 1,
	};
	int ret;

	if (cached) {
		ret = b->get_namespace(b->arg, ns, NULL);
	} else {
		oci_budget_enter(b->client, &budget);
		ret = b->get_namespace(b->arg, ns, &err);
		oci_budget_leave(b->client);
	}
	if (ret)
		buf_copy(ns, OVFS_NS_MAX, BACKUPS_NS_UNKNOWN);
}

static int vault_help(struct backups *b, struct tree_node *vault, bool cached,
		      struct buf *out)
{
	struct oci_vault *v = calloc(1, sizeof(*v));
	struct target_ctx tc = {0};
	char ns[OVFS_NS_MAX] = "", example[OVFS_OBJECT_MAX] = "";
	const char *tmpl = b->vault_name_template
				   ? b->vault_name_template
				   : TARGET_DEFAULT_VAULT_TEMPLATE;
	int ret;

	if (!v)
		return -ENOMEM;
	tree_node_vault(vault, v);
	help_namespace(b, cached, ns);
	tc.region = oci_client_region(b->client);
	tc.name_template = tmpl;
	tc.vault_name = v->display_name;
	tc.vault_id = vault->id;
	tc.vault_backup = true;
	tc.compartment_name = "compartment";
	tc.now = wall(b);
	target_expand_name(tmpl, &tc, example, sizeof(example));
	ret = buf_addf(
		out,
		"; ocivaultfs: write one backup target into this file to back up the vault\n"
		";   %s (%s)\n" HELP_TARGET_FORMS
		";   {\"backupLocation\": {\"destination\": \"BUCKET\", \"namespace\": ...,\n"
		";    \"bucketName\": ..., \"objectName\": ...}, \"isIncludeKeys\": true}\n"
		";                                     (a BackupVaultDetails, as in the OCI API)\n"
		"; Keys: the backup includes the vault's keys unless told otherwise:\n"
		";   keys=no BUCKET                    the vault without its keys\n"
		";   keys=yes BUCKET                   with its keys (the default)\n"
		";   or \"isIncludeKeys\": false in the JSON\n"
		"; Only ACTIVE VIRTUAL_PRIVATE vaults can be backed up.\n"
		"; Namespace: %-*s\n"
		"; Object name template: %s (now: %s)\n"
		"; Then: cat status (progress), cat wait (blocks until done; fails if the\n"
		"; backup failed).  Example: echo 'keys=no backups' > backup && cat wait\n",
		v->display_name, vault->id, BACKUPS_NS_WIDTH, ns, tmpl,
		example);
	model_vault_release(v);
	free(v);
	return ret;
}

int backups_help(struct backups *b, struct tree_node *key, bool cached,
		 struct buf *out)
{
	struct oci_key k;
	struct target_ctx tc = {0};
	char ns[OVFS_NS_MAX] = "", example[OVFS_OBJECT_MAX] = "";
	const char *tmpl =
		b->name_template ? b->name_template : TARGET_DEFAULT_TEMPLATE;

	if (key->kind == TREE_VAULT)
		return vault_help(b, key, cached, out);
	tree_node_key(key, &k);
	help_namespace(b, cached, ns);
	tc.region = oci_client_region(b->client);
	tc.name_template = tmpl;
	tc.key_name = k.display_name;
	tc.key_id = key->id;
	tc.vault_name = "vault";
	tc.compartment_name = "compartment";
	tc.now = wall(b);
	target_expand_name(tmpl, &tc, example, sizeof(example));
	return buf_addf(
		out,
		"; ocivaultfs: write one backup target into this file to back up the key\n"
		";   %s (%s)\n" HELP_TARGET_FORMS
		";   {\"destination\": \"BUCKET\", \"namespace\": ..., \"bucketName\": ...,\n"
		";    \"objectName\": ...}   (a BackupLocation, as in the OCI API)\n"
		"; Namespace: %-*s\n"
		"; Object name template: %s (now: %s)\n"
		"; Then: cat status (progress), cat wait (blocks until done; fails if the\n"
		"; backup failed).  Example: echo backups > backup && cat wait\n",
		k.display_name, key->id, BACKUPS_NS_WIDTH, ns, tmpl, example);
}

int backups_stats_render(struct backups *b, struct buf *out)
{
	struct backups_stats s;

	backups_stats(b, &s);
	return buf_addf(
		out,
		"backups_in_flight: %llu\nbackups_started: %llu\n"
		"backups_succeeded: %llu\nbackups_failed: %llu\n"
		"backups_rejected: %llu\nbackup_polls: %llu\n",
		(unsigned long long)s.in_flight, (unsigned long long)s.started,
		(unsigned long long)s.succeeded, (unsigned long long)s.failed,
		(unsigned long long)s.rejected, (unsigned long long)s.polls);
}
