/* SPDX-License-Identifier: MIT */
/* restores: key and vault restores; see include/restores.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "restores.h"
#include "clock.h"
#include "crypto.h"
#include "journal.h"
#include "log.h"
#include "model.h"
#include "oci.h"
#include "oci_error.h"
#include "target.h"
#include "tree.h"
#include "banned.h"

/* Polls of one restore: 1 s after acceptance, then up to every 5 s. */
#define RESTORES_POLL_FIRST_MS 1000
#define RESTORES_POLL_MAX_MS 5000
/* One poll's budget (as the backup trackers'). */
#define RESTORES_POLL_ATTEMPTS 3
#define RESTORES_POLL_DELAY_MS 1000
#define RESTORES_POLL_BUDGET_MS 20000
/* The tracker sleeps at most this long without work to check. */
#define RESTORES_IDLE_MS 1000
#define RESTORES_WAIT_SLICE_MS 100
#define RESTORES_TOKEN_LEN 32
#define RESTORES_PATH_MAX 16384
/* Finished operations kept in all (the per-node bound is RESTORES_KEEP). */
#define RESTORES_KEEP_ALL 1024
/* A work request said SUCCEEDED but the resource is still RESTORING:
 * asked again this many times before the restore is called failed. */
#define RESTORES_SETTLE_TRIES 30
/* Verified key restores wait this long for others of the same vault, so
 * that one ListKeys shows them all. */
#define RESTORES_LIST_GATHER_MS 500

enum restores_state {
	RS_SUBMITTING,
	RS_ACCEPTED,
	RS_IN_PROGRESS,
	RS_SUCCEEDED,
	RS_FAILED,
};

static const char *const state_names[] = {
	"submitting", "accepted", "in_progress", "succeeded", "failed",
};

/* What the tracker asks next about an accepted restore. */
enum restores_phase {
	PH_WR, /* GetWorkRequest until it ends */
	PH_STATE, /* Get of the resource until it leaves RESTORING */
	PH_VERIFY, /* Get of the resource: restored where it should be */
	PH_LIST, /* verified: fetch the listing it appears in (batched) */
	PH_DONE,
};

/*
 * One restore.  Strings are allocated to fit; `where` lives as long as the
 * tree.  While `polling`, the tracker reads the ids without the lock: they
 * do not change once the restore is accepted.
 */
struct restores_op {
	struct restores_op *next; /* newest first */
	uint64_t seq;
	struct tree_node *where; /* vault (key restore) or compartment */
	bool vault; /* a vault restore */
	bool from_file;
	enum restores_state state;
	enum restores_phase phase;
	double progress; /* percent; < 0 unknown */
	char *source; /* the target as shown, or "file NAME (N bytes)" */
	char *object; /* ns/bucket/object for a bucket target */
	char *mgmt; /* key restores: the vault's management endpoint */
	char *resource_id; /* the restored key or vault */
	char *resource_name;
	char resource_state[OVFS_ENUM_MAX];
	char *work_request;
	char request_id[OVFS_REQID_MAX];
	int64_t submitted, finished;
	uint64_t next_poll_ms, interval_ms;
	unsigned int settle_tries;
	bool polling;
	/* The last poll failed (until one succeeds). */
	char *trouble;
	int trouble_errno;
	int64_t trouble_since;
	unsigned int trouble_tries;
	struct oci_error *error; /* when failed */
	int error_errno;
	char *note;
	uint64_t jid; /* journal entry, 0 none */
};

struct restores {
	struct restores_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* an operation changed (wait readers) */
	pthread_cond_t wake; /* work for the tracker */
	struct restores_op *ops; /* newest first */
	size_t n;
	uint64_t seq;
	pthread_t tracker;
	bool started, tracker_running, stop;
	struct restores_resume *resumes; /* from the journal, for the tracker */
	bool loaded; /* the journal was read */
};

/*
 * An unfinished restore of the last daemon, from the journal: the tracker
 * finds its node by path (resolving waits for listings, so not at start)
 * and follows its work request again.
 */
struct restores_resume {
	struct restores_resume *next;
	uint64_t jid;
	bool vault;
	int64_t submitted;
	char *where_id, *path, *source, *object, *wr, *req;
};

static void resume_free(struct restores_resume *rs)
{
	if (!rs)
		return;
	free(rs->where_id);
	free(rs->path);
	free(rs->source);
	free(rs->object);
	free(rs->wr);
	free(rs->req);
	free(rs);
}

static uint64_t mono(const struct restores *r)
{
	return clock_mono_ms(oci_client_clock(r->opts.client));
}

static int64_t wall(const struct restores *r)
{
	return clock_wall_s(oci_client_clock(r->opts.client));
}

static bool exiting(const struct restores *r)
{
	return r->opts.exiting && r->opts.exiting(r->opts.arg);
}

static bool in_flight(enum restores_state s)
{
	return s == RS_SUBMITTING || s == RS_ACCEPTED || s == RS_IN_PROGRESS;
}

static const char *kind_name(const struct restores_op *op)
{
	return op->vault ? "vault-restore" : "key-restore";
}

static const char *errno_name(int neg)
{
	const char *s = strerrorname_np(-neg);

	return s ? s : "EIO";
}

/* Replace *dst by a copy of `src` (NULL or "" clears): 0 or -ENOMEM. */
static int str_set(char **dst, const char *src)
{
	char *c = NULL;

	if (src && *src) {
		c = strdup(src);
		if (!c)
			return -ENOMEM;
	}
	free(*dst);
	*dst = c;
	return 0;
}

static const char *str_or(const char *s)
{
	return s ? s : "";
}

static void op_free(struct restores_op *op)
{
	if (!op)
		return;
	free(op->source);
	free(op->object);
	free(op->mgmt);
	free(op->resource_id);
	free(op->resource_name);
	free(op->work_request);
	free(op->trouble);
	free(op->error);
	free(op->note);
	free(op);
}

/* ---- lifecycle ------------------------------------------------------- */

int restores_new(struct restores **out, const struct restores_opts *opts)
{
	struct restores *r;

	*out = NULL;
	if (!opts || !opts->client || !opts->tree)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->opts = *opts;
	if (!r->opts.write_timeout_ms)
		r->opts.write_timeout_ms = 30000;
	if (!r->opts.max_file_bytes)
		r->opts.max_file_bytes = RESTORES_FILE_MAX;
	if (pthread_mutex_init(&r->lock, NULL)) {
		free(r);
		return -ENOMEM;
	}
	if (clock_cond_init(&r->changed)) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return -ENOMEM;
	}
	if (clock_cond_init(&r->wake)) {
		pthread_cond_destroy(&r->changed);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

static void *tracker_main(void *arg);

/* Start the tracker if there is work and it is not running (lock held). */
static void tracker_kick(struct restores *r)
{
	pthread_cond_signal(&r->wake);
	if (!r->started || r->stop || r->tracker_running)
		return;
	if (pthread_create(&r->tracker, NULL, tracker_main, r)) {
		log_msg(r->opts.log, LOG_ERR,
			"cannot start the restore tracker: restores in "
			"flight are followed once a thread can be made");
		return;
	}
	r->tracker_running = true;
}

static int str_dup_to(char **dst, const char *src)
{
	return src && *src ? str_set(dst, src) : 0;
}

/* journal_each_unfinished() callback: the restores among them. */
static int resume_load(void *arg, const struct journal_entry *e)
{
	struct restores *r = arg;
	struct restores_resume *rs;
	bool vault = !strcmp(e->kind, "vault-restore");

	if (!vault && strcmp(e->kind, "key-restore"))
		return 0; /* a backup: the backups' own */
	if (!strcmp(e->state, "submitting") || !e->wr[0]) {
		/* Sent (or about to be) when the daemon ended, no answer. */
		journal_set(r->opts.journal, e->id, wall(r), "unknown", wall(r),
			    NULL, "OutcomeUnknown",
			    "the daemon ended before the restore call answered",
			    NULL);
		log_msg(r->opts.log, LOG_WARNING,
			"journal: the %s into '%s' submitted at %lld has no "
			"known outcome (the daemon ended before the service "
			"answered): look for it before restoring again",
			e->kind, e->path, (long long)e->submitted);
		return 0;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->jid = e->id;
	rs->vault = vault;
	rs->submitted = e->submitted;
	if (str_dup_to(&rs->where_id, e->key) ||
	    str_dup_to(&rs->path, e->path) ||
	    str_dup_to(&rs->source, e->target) || str_dup_to(&rs->wr, e->wr) ||
	    str_dup_to(&rs->req, e->request_id)) {
		resume_free(rs);
		return -ENOMEM;
	}
	if (e->bucket[0]) {
		char obj[OVFS_NS_MAX + OVFS_BUCKET_MAX + OVFS_OBJECT_MAX + 2];

		snprintf(obj, sizeof(obj), "%s/%s/%s", e->ns, e->bucket,
			 e->object);
		if (str_set(&rs->object, obj)) {
			resume_free(rs);
			return -ENOMEM;
		}
	}
	rs->next = r->resumes;
	r->resumes = rs;
	return 0;
}

int restores_start(struct restores *r)
{
	bool load;

	pthread_mutex_lock(&r->lock);
	load = !r->loaded && r->opts.journal &&
	       !journal_read_only(r->opts.journal);
	r->loaded = true;
	pthread_mutex_unlock(&r->lock);
	/* No lock: the callback takes none, the journal its own. */
	if (load &&
	    journal_each_unfinished(r->opts.journal, resume_load, r) == -ENOMEM)
		log_msg(r->opts.log, LOG_ERR,
			"journal: out of memory: unfinished restores are not "
			"followed");
	pthread_mutex_lock(&r->lock);
	r->started = true;
	r->stop = false;
	if (r->resumes)
		tracker_kick(r);
	for (struct restores_op *op = r->ops; op; op = op->next)
		if (in_flight(op->state) && op->state != RS_SUBMITTING) {
			tracker_kick(r);
			break;
		}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

void restores_stop(struct restores *r)
{
	bool join;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	r->started = false;
	join = r->tracker_running;
	pthread_cond_broadcast(&r->wake);
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	if (join)
		pthread_join(r->tracker, NULL);
	pthread_mutex_lock(&r->lock);
	r->tracker_running = false;
	pthread_mutex_unlock(&r->lock);
}

void restores_free(struct restores *r)
{
	struct restores_op *op, *next;

	if (!r)
		return;
	restores_stop(r);
	for (op = r->ops; op; op = next) {
		next = op->next;
		op_free(op);
	}
	while (r->resumes) {
		struct restores_resume *rs = r->resumes;

		r->resumes = rs->next;
		resume_free(rs);
	}
	pthread_cond_destroy(&r->wake);
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- the operation table -------------------------------------------- */

/*
 * Forget finished operations beyond RESTORES_KEEP per node and
 * RESTORES_KEEP_ALL in all, oldest first (lock held).
 */
static void prune(struct restores *r)
{
	struct restores_op **pp = &r->ops;
	size_t kept_all = 0;

	while (*pp) {
		struct restores_op *op = *pp;
		size_t same = 0;

		if (!in_flight(op->state)) {
			for (struct restores_op *x = r->ops; x != op;
			     x = x->next)
				if (x->where == op->where &&
				    !in_flight(x->state))
					same++;
			if (same >= RESTORES_KEEP ||
			    kept_all >= RESTORES_KEEP_ALL) {
				*pp = op->next;
				op_free(op);
				r->n--;
				continue;
			}
			kept_all++;
		}
		pp = &op->next;
	}
}

/* A new operation, first in the table (lock held); NULL on ENOMEM. */
static struct restores_op *op_add(struct restores *r, struct tree_node *where,
				  const char *source, bool from_file)
{
	struct restores_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	if (str_set(&op->source, source)) {
		free(op);
		return NULL;
	}
	op->seq = ++r->seq;
	op->where = where;
	op->vault = where->kind == TREE_COMPARTMENT;
	op->from_file = from_file;
	op->state = RS_SUBMITTING;
	op->progress = -1;
	op->submitted = wall(r);
	op->next = r->ops;
	r->ops = op;
	r->n++;
	return op;
}

/* The operation ended (lock held): journal, log, wake the readers. */
static void op_finish(struct restores *r, struct restores_op *op,
		      enum restores_state state)
{
	op->state = state;
	op->finished = wall(r);
	op->phase = PH_DONE;
	if (state == RS_SUCCEEDED)
		op->progress = 100;
	free(op->trouble);
	op->trouble = NULL;
	pthread_cond_broadcast(&r->changed);
}

/* Record `err` (or a local failure) as the operation's error (lock held). */
static void op_fail(struct restores *r, struct restores_op *op, int ret,
		    const struct oci_error *err)
{
	if (!op->error)
		op->error = calloc(1, sizeof(*op->error));
	if (op->error) {
		if (err && oci_error_is_set(err))
			*op->error = *err;
		else
			oci_error_local(op->error, ret, "%s", strerror(-ret));
		target_redact_text(op->error->message);
		if (!op->request_id[0])
			buf_copy(op->request_id, sizeof(op->request_id),
				 op->error->request_id);
	}
	op->error_errno = ret;
	op_finish(r, op, RS_FAILED);
}

/* ---- journal and log ---------------------------------------------------- */

/* The path of the node the restore goes into, for the log (lock free). */
static void where_path(struct tree_node *n, char *out, size_t len)
{
	struct buf b = BUF_INIT(len);

	if (tree_node_path(n, &b) || !b.len)
		buf_copy(out, len, n->kind == TREE_COMPARTMENT ? "/" : n->id);
	else
		buf_copy(out, len, b.buf);
	buf_release(&b);
}

static void log_outcome(struct restores *r, const struct restores_op *op)
{
	char path[1024], text[1536] = "";

	where_path(op->where, path, sizeof(path));
	if (op->state == RS_SUCCEEDED) {
		log_msg(r->opts.log, LOG_INFO,
			"%s into '%s' from %s succeeded: %s '%s' (%s), %s",
			kind_name(op), path, op->source,
			op->vault ? "vault" : "key",
			op->resource_name ? op->resource_name : "?",
			op->resource_id ? op->resource_id : "?",
			op->resource_state);
		return;
	}
	if (op->error)
		oci_error_format(op->error, text, sizeof(text));
	log_msg(r->opts.log, LOG_WARNING,
		"%s into '%s' from %s failed (%s): %s", kind_name(op), path,
		op->source, errno_name(op->error_errno), text);
}

/* ---- status ----------------------------------------------------------- */

struct render {
	struct buf *out;
	int ret;
};

__attribute__((format(printf, 2, 3))) static void line(struct render *rd,
						       const char *fmt, ...)
{
	va_list ap;

	if (rd->ret)
		return;
	va_start(ap, fmt);
	rd->ret = buf_vaddf(rd->out, fmt, ap);
	va_end(ap);
}

static void line_time(struct render *rd, const char *name, int64_t t)
{
	char ts[32];

	if (t && !clock_rfc3339(t, ts, sizeof(ts)))
		line(rd, "%s: %s\n", name, ts);
}

/* One operation's block of `restore-status` (lock held). */
static void render_op(struct render *rd, const struct restores_op *op)
{
	const char *what = op->vault ? "vault" : "key";

	line(rd, "state: %s\n", state_names[op->state]);
	line(rd, "kind: %s\n", kind_name(op));
	if (op->progress >= 0)
		line(rd, "progress: %.0f\n", op->progress);
	line(rd, "source: %s\n", op->source ? op->source : "-");
	if (op->object)
		line(rd, "object: %s\n", op->object);
	if (op->resource_id)
		line(rd, "%s: %s\n", what, op->resource_id);
	if (op->resource_name)
		line(rd, "name: %s\n", op->resource_name);
	if (op->resource_state[0])
		line(rd, "%s_state: %s\n", what, op->resource_state);
	if (op->work_request)
		line(rd, "work_request: %s\n", op->work_request);
	if (op->request_id[0])
		line(rd, "request_id: %s\n", op->request_id);
	line_time(rd, "submitted", op->submitted);
	if (!in_flight(op->state))
		line_time(rd, "finished", op->finished);
	if (in_flight(op->state) && op->state != RS_SUBMITTING)
		line(rd, "tracking: %s\n",
		     op->phase == PH_WR ? "work_request"
		     : op->phase == PH_STATE
			     ? (op->vault ? "vault_state" : "key_state")
			     : "verifying");
	if (op->trouble) {
		char ts[32] = "";

		clock_rfc3339(op->trouble_since, ts, sizeof(ts));
		line(rd, "trouble: %s since %s, %u failed attempt%s: %s\n",
		     errno_name(op->trouble_errno ? op->trouble_errno : -EIO),
		     ts, op->trouble_tries, op->trouble_tries == 1 ? "" : "s",
		     op->trouble);
	}
	if (op->state == RS_FAILED && op->error) {
		char text[1536];

		oci_error_format(op->error, text, sizeof(text));
		line(rd, "error: %s\n", text);
		line(rd, "errno: %s\n", errno_name(op->error_errno));
	}
	if (op->note)
		line(rd, "note: %s\n", op->note);
}

int restores_status(struct restores *r, struct tree_node *where,
		    struct buf *out)
{
	struct render rd = {out, 0};
	size_t shown = 0;

	pthread_mutex_lock(&r->lock);
	/* In flight first (newest first), then the finished ones. */
	for (int pass = 0; pass < 2; pass++)
		for (const struct restores_op *op = r->ops; op; op = op->next) {
			if (op->where != where ||
			    in_flight(op->state) != (pass == 0))
				continue;
			if (shown++)
				line(&rd, "\n");
			render_op(&rd, op);
		}
	pthread_mutex_unlock(&r->lock);
	if (!shown)
		line(&rd, "state: none\n");
	return rd.ret;
}

int restores_wait(struct restores *r, struct tree_node *where,
		  bool (*interrupted)(void *arg), void *arg, struct buf *out)
{
	uint64_t upto;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	upto = r->seq; /* the operations submitted before the wait */
	for (;;) {
		bool busy = false;

		for (const struct restores_op *op = r->ops; op; op = op->next)
			if (op->where == where && op->seq <= upto &&
			    in_flight(op->state))
				busy = true;
		if (!busy)
			break;
		if (r->stop || exiting(r) ||
		    (interrupted && interrupted(arg))) {
			ret = -EINTR;
			break;
		}
		clock_cond_timedwait(&r->changed, &r->lock,
				     RESTORES_WAIT_SLICE_MS);
	}
	/* The latest operation into the node tells the outcome. */
	if (!ret)
		for (const struct restores_op *op = r->ops; op; op = op->next)
			if (op->where == where && op->seq <= upto) {
				if (op->state == RS_FAILED)
					ret = -EIO;
				break;
			}
	pthread_mutex_unlock(&r->lock);
	if (ret != -EINTR) {
		int r2 = restores_status(r, where, out);

		if (r2)
			ret = r2;
	}
	return ret;
}

/* One line of the list, copied out of the lock. */
struct list_line {
	struct tree_node *where;
	enum restores_state state;
	double progress;
	int64_t submitted, finished;
	char *what;
	char *wr;
	const char *kind;
	int err; /* negative errno of a failure, 0 none */
};

int restores_list(struct restores *r, struct buf *out)
{
	struct list_line *ll = NULL;
	size_t n = 0;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if (r->n) {
		ll = calloc(r->n, sizeof(*ll));
		if (!ll) {
			pthread_mutex_unlock(&r->lock);
			return -ENOMEM;
		}
	}
	/* Oldest first, as the backups. */
	n = r->n;
	{
		size_t i = n;

		for (const struct restores_op *op = r->ops; op && i;
		     op = op->next) {
			struct list_line *l = &ll[--i];

			l->where = op->where;
			l->state = op->state;
			l->progress = op->progress;
			l->submitted = op->submitted;
			l->finished = op->finished;
			l->kind = kind_name(op);
			l->err = op->state == RS_FAILED
					 ? (op->error_errno ? op->error_errno
							    : -EIO)
					 : 0;
			l->what = strdup(op->object   ? op->object
					 : op->source ? op->source
						      : "-");
			l->wr = strdup(op->work_request ? op->work_request
							: "-");
			if (!l->what || !l->wr)
				ret = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&r->lock);

	for (size_t i = 0; i < n && !ret; i++) {
		char sub[32] = "-", fin[32] = "-", prog[16] = "-";

		if (ll[i].submitted)
			clock_rfc3339(ll[i].submitted, sub, sizeof(sub));
		if (ll[i].finished && !in_flight(ll[i].state))
			clock_rfc3339(ll[i].finished, fin, sizeof(fin));
		if (ll[i].progress >= 0)
			snprintf(prog, sizeof(prog), "%.0f%%", ll[i].progress);
		ret = buf_addf(out, "%s\t%s\t", state_names[ll[i].state], prog);
		if (!ret) {
			size_t before = out->len;

			ret = tree_node_path(ll[i].where, out);
			if (!ret && out->len == before)
				ret = buf_adds(out, "."); /* the root */
		}
		if (!ret)
			ret = buf_addf(out, "\t%s\t%s\t%s\t%s\t%s\t%s\n",
				       ll[i].what, sub, fin, ll[i].wr,
				       ll[i].kind,
				       ll[i].err ? errno_name(ll[i].err) : "-");
	}
	for (size_t i = 0; ll && i < n; i++) {
		free(ll[i].what);
		free(ll[i].wr);
	}
	free(ll);
	return ret;
}

int restores_help(struct restores *r, struct tree_node *where, struct buf *out)
{
	bool vault = where->kind == TREE_COMPARTMENT;
	char max[32];

	snprintf(max, sizeof(max), "%zu MiB", r->opts.max_file_bytes >> 20);
	return buf_addf(
		out,
		"; ocivaultfs: write the location of a %s backup into this file to\n"
		"; restore it into this %s.  One target per write; blank lines and\n"
		"; lines starting with ';' or '#' are ignored.  The object must be named:\n"
		";   BUCKET/OBJECT\n"
		";   oci://BUCKET@NAMESPACE/OBJECT\n"
		";   https://HOST/p/TOKEN/n/NS/b/BUCKET/o/OBJECT   (pre-authenticated)\n"
		";   {\"backupLocation\": {\"destination\": \"BUCKET\", \"namespace\": ...,\n"
		";    \"bucketName\": ..., \"objectName\": ...}}\n"
		"; A backup file instead: cp FILE %s/ (at most %s).\n"
		"; Then: cat %s (progress), cat %s (blocks until done; fails\n"
		"; if the restore failed).  The %s appears in %s when done.\n",
		vault ? "vault" : "key", vault ? "compartment" : "vault",
		vault ? "restore-vault.d" : "restore.d", max,
		vault ? "restore-vault-status" : "restore-status",
		vault ? "restore-vault-wait" : "restore-wait",
		vault ? "vault" : "key", vault ? "vaults/" : "keys/");
}

/* ---- submission --------------------------------------------------------- */

struct submit_ctx {
	struct tree_node *where;
	bool vault;
	char mgmt[OVFS_URL_MAX];
	char why[512];
	char token[RESTORES_TOKEN_LEN + 1];
	struct target tg;
	struct oci_vault v;
	struct oci_vault vout;
	struct oci_key kout;
	struct oci_action_result res;
	struct oci_error err;
	const unsigned char *bytes; /* a file's, else NULL */
	size_t len;
	bool (*interrupted)(void *arg);
	void *interrupted_arg;
};

/* A local refusal with a reason, as an OCI-shaped error. */
static int refuse(struct submit_ctx *sc, int ret, const char *code,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int refuse(struct submit_ctx *sc, int ret, const char *code,
		  const char *fmt, ...)
{
	va_list ap;

	oci_error_clear(&sc->err);
	sc->err.local_errno = ret;
	buf_copy(sc->err.code, sizeof(sc->err.code), code);
	va_start(ap, fmt);
	vsnprintf(sc->err.message, sizeof(sc->err.message), fmt, ap);
	va_end(ap);
	return ret;
}

/* Where the restore goes: a key restore needs an eligible vault. */
static int submit_where(struct submit_ctx *sc)
{
	if (sc->vault)
		return 0;
	tree_node_vault(sc->where, &sc->v);
	buf_copy(sc->mgmt, sizeof(sc->mgmt), sc->v.management_endpoint);
	if (sc->v.vault_type[0] && strcmp(sc->v.vault_type, "VIRTUAL_PRIVATE"))
		return refuse(sc, -EOPNOTSUPP, "NotEligible",
			      "keys can only be restored into VIRTUAL_PRIVATE "
			      "vaults; this vault is %s",
			      sc->v.vault_type);
	if (!sc->mgmt[0])
		return refuse(sc, -EIO, "NoEndpoint",
			      "the vault's management endpoint is unknown");
	return 0;
}

/* The target of a write: it must name one object. */
static int submit_parse(struct restores *r, struct submit_ctx *sc,
			const char *data, size_t len)
{
	struct target_ctx tc = {0};
	size_t start, tlen;
	int ret;

	ret = target_extract(data, len, &start, &tlen, sc->why,
			     sizeof(sc->why));
	if (ret == -ENODATA)
		return ret;
	if (!ret) {
		tc.region = oci_client_region(r->opts.client);
		tc.endpoint_host = r->opts.endpoint_host;
		tc.now = wall(r);
		ret = target_parse(data + start, tlen, &tc, &sc->tg, sc->why,
				   sizeof(sc->why));
	}
	if (ret)
		return refuse(sc, ret, "InvalidTarget", "%s", sc->why);
	if (sc->tg.templated)
		return refuse(sc, -EINVAL, "InvalidTarget",
			      "a restore needs the backup's object name "
			      "(BUCKET/OBJECT, oci://BUCKET@NAMESPACE/OBJECT "
			      "or an object's PAR URL)");
	if (sc->tg.include_keys >= 0)
		return refuse(sc, -EINVAL, "InvalidTarget",
			      "keys=/isIncludeKeys choose what a vault backup "
			      "holds; a restore takes what the backup has");
	return 0;
}

/* A bucket target's object must exist (one HeadObject). */
static int submit_preflight(struct restores *r, struct submit_ctx *sc)
{
	struct target *tg = &sc->tg;
	struct oci_object_head h;
	int ret;

	if (tg->needs_namespace) {
		ret = r->opts.get_namespace(r->opts.arg, tg->ns, &sc->err);
		if (ret)
			return ret;
		buf_copy(tg->loc.namespace_name, sizeof(tg->loc.namespace_name),
			 tg->ns);
		tg->needs_namespace = false;
	}
	if (tg->loc.dest == OCI_BACKUP_PAR_URI)
		return 0; /* the service reads it; we may not */
	ret = oci_head_object(r->opts.client, tg->ns, tg->bucket, tg->object,
			      &h, &sc->err);
	if (ret == -ENOENT)
		return refuse(sc, -ENOENT, "ObjectNotFound",
			      "object '%s' does not exist in bucket '%s' of "
			      "namespace '%s' (or this user may not see it)",
			      tg->object, tg->bucket, tg->ns);
	if (!ret && h.content_length == 0)
		return refuse(sc, -EINVAL, "EmptyObject",
			      "object '%s' is empty: not a backup", tg->object);
	oci_error_clear(&sc->err);
	return 0; /* other failures: let the service answer */
}

static bool submit_interrupted(void *arg)
{
	struct submit_ctx *sc = arg;

	return sc->interrupted && sc->interrupted(sc->interrupted_arg);
}

/* The restore call itself (no lock). */
static int submit_call(struct restores *r, struct submit_ctx *sc)
{
	struct oci_client *c = r->opts.client;
	int ret = crypto_random_id(sc->token, RESTORES_TOKEN_LEN);

	if (ret)
		return refuse(sc, -EIO, "NoRandom", "no random numbers");
	if (sc->vault && sc->bytes)
		ret = oci_restore_vault_from_file(
			c, sc->where->id, sc->bytes, sc->len, sc->token, NULL,
			&sc->vout, &sc->res, &sc->err);
	else if (sc->vault)
		ret = oci_restore_vault_from_object_store(
			c, sc->where->id, &sc->tg.loc, sc->token, NULL,
			&sc->vout, &sc->res, &sc->err);
	else if (sc->bytes)
		ret = oci_restore_key_from_file(c, sc->mgmt, sc->bytes, sc->len,
						sc->token, NULL, &sc->kout,
						&sc->res, &sc->err);
	else
		ret = oci_restore_key_from_object_store(
			c, sc->mgmt, &sc->tg.loc, sc->token, NULL, &sc->kout,
			&sc->res, &sc->err);
	if (ret)
		target_redact_text(sc->err.message);
	return ret;
}

/* The service accepted the restore (lock held). */
static void record_accepted(struct restores *r, struct restores_op *op,
			    struct submit_ctx *sc)
{
	const char *id = sc->vault ? sc->vout.id : sc->kout.id;
	const char *name =
		sc->vault ? sc->vout.display_name : sc->kout.display_name;
	const char *state =
		sc->vault ? sc->vout.lifecycle_state : sc->kout.lifecycle_state;

	str_set(&op->resource_id, id);
	str_set(&op->resource_name, name);
	str_set(&op->mgmt, sc->mgmt);
	str_set(&op->work_request, sc->res.work_request_id);
	buf_copy(op->resource_state, sizeof(op->resource_state), state);
	buf_copy(op->request_id, sizeof(op->request_id), sc->res.request_id);
	op->state = RS_ACCEPTED;
	op->progress = 0;
	op->phase = op->work_request ? PH_WR : PH_STATE;
	op->interval_ms = RESTORES_POLL_FIRST_MS;
	op->next_poll_ms = mono(r) + RESTORES_POLL_FIRST_MS;
	pthread_cond_broadcast(&r->changed);
	tracker_kick(r);
}

static void journal_begin_op(struct restores *r, struct restores_op *op,
			     struct submit_ctx *sc)
{
	char path[1024];
	struct journal_entry e = {0};

	if (!r->opts.journal)
		return;
	where_path(op->where, path, sizeof(path));
	e.submitted = op->submitted;
	e.state = "submitting";
	e.kind = kind_name(op);
	e.key = op->where->id;
	e.path = path;
	e.target = op->source;
	e.ns = sc->tg.ns;
	e.bucket = sc->tg.bucket;
	e.object = sc->tg.object;
	e.token = sc->token;
	if (journal_begin(r->opts.journal, &e, &op->jid))
		op->jid = 0; /* history only: the restore goes on */
}

static void journal_end_op(struct restores *r, const struct restores_op *op)
{
	const struct oci_error *e = op->error;

	if (!r->opts.journal || !op->jid)
		return;
	journal_set(r->opts.journal, op->jid, wall(r), state_names[op->state],
		    op->finished,
		    op->state == RS_FAILED ? errno_name(op->error_errno) : NULL,
		    e ? e->code : NULL, e ? e->message : NULL, op->request_id);
}

/*
 * The common path of restores_submit() and restores_submit_file(): the
 * operation is in the table (submitting); make the calls, record the
 * outcome.
 */
static int submit_run(struct restores *r, struct restores_op *op,
		      struct submit_ctx *sc)
{
	struct oci_budget budget = {0};
	int ret;

	budget.deadline_ms = mono(r) + r->opts.write_timeout_ms;
	budget.interrupted = submit_interrupted;
	budget.arg = sc;
	oci_budget_enter(r->opts.client, &budget);
	ret = sc->bytes ? 0 : submit_preflight(r, sc);
	if (!ret)
		ret = submit_call(r, sc);
	oci_budget_leave(r->opts.client);

	pthread_mutex_lock(&r->lock);
	if (!sc->bytes && sc->tg.ns[0]) {
		char obj[OVFS_NS_MAX + OVFS_BUCKET_MAX + OVFS_OBJECT_MAX + 2];

		snprintf(obj, sizeof(obj), "%s/%s/%s", sc->tg.ns, sc->tg.bucket,
			 sc->tg.object);
		str_set(&op->object, obj);
	}
	if (!ret && r->opts.journal && op->jid)
		journal_accepted(r->opts.journal, op->jid, wall(r),
				 sc->res.work_request_id, sc->res.request_id);
	if (!ret) {
		record_accepted(r, op, sc);
	} else {
		if (ret == -EINTR || ret == -ETIMEDOUT || ret == -EIO)
			str_set(&op->note,
				"no clear answer came: the restore may have "
				"been accepted; look for it in a minute "
				"before restoring again");
		op_fail(r, op, ret, &sc->err);
		journal_end_op(r, op);
		log_outcome(r, op);
	}
	prune(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* A refusal before any call: recorded (lock free). */
static int submit_refused(struct restores *r, struct restores_op *op,
			  struct submit_ctx *sc, int ret)
{
	pthread_mutex_lock(&r->lock);
	op_fail(r, op, ret, &sc->err);
	journal_end_op(r, op);
	log_outcome(r, op);
	prune(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static struct restores_op *op_begin(struct restores *r, struct submit_ctx *sc,
				    const char *source, bool from_file)
{
	struct restores_op *op;

	pthread_mutex_lock(&r->lock);
	op = op_add(r, sc->where, source, from_file);
	pthread_mutex_unlock(&r->lock);
	return op;
}

static int submit_ctx_new(struct submit_ctx **out, struct tree_node *where,
			  bool (*interrupted)(void *arg), void *arg)
{
	struct submit_ctx *sc;

	*out = NULL;
	if (!where ||
	    (where->kind != TREE_VAULT && where->kind != TREE_COMPARTMENT))
		return -EINVAL;
	sc = calloc(1, sizeof(*sc)); /* large: not on a FUSE worker's stack */
	if (!sc)
		return -ENOMEM;
	sc->where = where;
	sc->vault = where->kind == TREE_COMPARTMENT;
	sc->interrupted = interrupted;
	sc->interrupted_arg = arg;
	*out = sc;
	return 0;
}

static void submit_ctx_free(struct submit_ctx *sc)
{
	model_vault_release(&sc->v);
	model_vault_release(&sc->vout);
	model_key_release(&sc->kout);
	buf_wipe(&sc->tg, sizeof(sc->tg)); /* may hold a PAR URL */
	buf_wipe(sc->token, sizeof(sc->token));
	free(sc);
}

int restores_submit(struct restores *r, struct tree_node *where,
		    const char *data, size_t len,
		    bool (*interrupted)(void *arg), void *arg)
{
	struct restores_op *op;
	struct submit_ctx *sc;
	int ret, parsed;

	ret = submit_ctx_new(&sc, where, interrupted, arg);
	if (ret)
		return ret;
	parsed = submit_parse(r, sc, data, len);
	if (parsed == -ENODATA) {
		submit_ctx_free(sc);
		return 0; /* only comments: nothing to do */
	}
	op = op_begin(r, sc, parsed ? "(refused input)" : sc->tg.display,
		      false);
	if (!op) {
		submit_ctx_free(sc);
		return -ENOMEM;
	}
	ret = parsed ? parsed : submit_where(sc);
	if (ret) {
		ret = submit_refused(r, op, sc, ret);
	} else {
		journal_begin_op(r, op, sc);
		ret = submit_run(r, op, sc);
	}
	submit_ctx_free(sc);
	return ret;
}

int restores_submit_file(struct restores *r, struct tree_node *where,
			 const char *name, const unsigned char *bytes,
			 size_t len, bool (*interrupted)(void *arg), void *arg)
{
	char source[OVFS_NAME_MAX + 64];
	struct restores_op *op;
	struct submit_ctx *sc;
	int ret;

	ret = submit_ctx_new(&sc, where, interrupted, arg);
	if (ret)
		return ret;
	snprintf(source, sizeof(source), "file %s (%zu bytes)",
		 name ? name : "?", len);
	op = op_begin(r, sc, source, true);
	if (!op) {
		submit_ctx_free(sc);
		return -ENOMEM;
	}
	sc->bytes = bytes;
	sc->len = len;
	if (!bytes || !len)
		ret = refuse(sc, -EINVAL, "EmptyFile",
			     "an empty file is not a backup");
	else if (len > r->opts.max_file_bytes)
		ret = refuse(sc, -EFBIG, "FileTooLarge",
			     "the file has %zu bytes; at most %zu are taken "
			     "(max_restore_mb=)",
			     len, r->opts.max_file_bytes);
	else
		ret = submit_where(sc);
	if (ret) {
		ret = submit_refused(r, op, sc, ret);
	} else {
		journal_begin_op(r, op, sc);
		ret = submit_run(r, op, sc);
	}
	submit_ctx_free(sc);
	return ret;
}

/* ---- tracking ------------------------------------------------------------ */

/* What one poll learnt, applied under the lock. */
struct poll_result {
	int ret; /* the poll's call failed: -errno (trouble) */
	struct oci_error err;
	bool done; /* the operation ended */
	enum restores_state final;
	int final_errno;
	enum restores_phase phase; /* next phase */
	double progress;
	char state[OVFS_ENUM_MAX]; /* the resource's, when seen */
	char name[OVFS_NAME_MAX];
	char resource_id[OVFS_OCID_MAX]; /* learnt from the work request */
	char note[512];
};

/* What the tracker needs of an operation, copied under the lock. */
struct poll_job {
	struct restores_op *op;
	bool vault;
	enum restores_phase phase;
	struct tree_node *where;
	char id[OVFS_OCID_MAX];
	char wr[OVFS_OCID_MAX];
	char mgmt[OVFS_URL_MAX];
	unsigned int settle_tries;
};

static void result_fail(struct poll_result *pr, int err, const char *code,
			const char *msg)
{
	pr->done = true;
	pr->final = RS_FAILED;
	pr->final_errno = err;
	oci_error_clear(&pr->err);
	pr->err.local_errno = err;
	buf_copy(pr->err.code, sizeof(pr->err.code), code);
	buf_copy(pr->err.message, sizeof(pr->err.message), msg);
}

/* The work request ended in failure: its errors tell why. */
static void wr_failed(struct restores *r, const struct poll_job *pj,
		      const char *status, struct poll_result *pr)
{
	struct oci_wr_error_list l = {0};
	char msg[OVFS_ERRMSG_MAX + 64];
	const char *code = "WorkRequestFailed";

	snprintf(msg, sizeof(msg), "the work request ended %s", status);
	if (!oci_list_work_request_errors(r->opts.client, pj->wr, &l, NULL) &&
	    l.n) {
		snprintf(msg, sizeof(msg), "%s", l.v[l.n - 1].message);
		if (l.v[l.n - 1].code[0])
			code = l.v[l.n - 1].code;
	}
	result_fail(pr, -EIO, code, msg);
	oci_wr_error_list_release(&l);
}

/*
 * A restore resumed from the journal does not know what it restored: the
 * work request's resource of the right type tells.
 */
static void wr_resource(struct poll_job *pj, const struct oci_work_request *wr,
			struct poll_result *pr)
{
	const char *want = pj->vault ? "vault" : "key";

	if (pj->id[0])
		return;
	for (size_t i = 0; i < wr->nresources; i++) {
		const struct oci_wr_resource *res = &wr->resources[i];

		if (strcasecmp(res->entity_type, want) &&
		    strncmp(res->identifier,
			    pj->vault ? "ocid1.vault." : "ocid1.key.",
			    pj->vault ? 12 : 10))
			continue;
		buf_copy(pj->id, sizeof(pj->id), res->identifier);
		buf_copy(pr->resource_id, sizeof(pr->resource_id),
			 res->identifier);
		return;
	}
}

static void poll_wr(struct restores *r, struct poll_job *pj,
		    struct poll_result *pr)
{
	struct oci_work_request wr = {0};
	int ret;

	ret = oci_get_work_request(r->opts.client, pj->wr, &wr, &pr->err);
	if (ret == -ENOENT || ret == -EOPNOTSUPP) {
		/* The Work Requests API does not know it: follow the state. */
		pr->phase = PH_STATE;
		oci_error_clear(&pr->err);
	} else if (ret) {
		pr->ret = ret;
	} else if (!strcmp(wr.status, "SUCCEEDED")) {
		pr->phase = PH_VERIFY;
		pr->progress = 100;
		wr_resource(pj, &wr, pr);
	} else if (!strcmp(wr.status, "FAILED") ||
		   !strcmp(wr.status, "CANCELED")) {
		wr_failed(r, pj, wr.status, pr);
	} else {
		pr->progress = wr.percent_complete;
	}
	model_work_request_release(&wr);
}

/* Get the restored resource: its state, and that it is where it should. */
static int get_resource(struct restores *r, const struct poll_job *pj,
			struct poll_result *pr, char *parent, size_t parent_n)
{
	int ret;

	if (pj->vault) {
		struct oci_vault v = {0};

		ret = oci_get_vault(r->opts.client, pj->id, &v, &pr->err);
		if (!ret) {
			buf_copy(pr->state, sizeof(pr->state),
				 v.lifecycle_state);
			buf_copy(pr->name, sizeof(pr->name), v.display_name);
			buf_copy(parent, parent_n, v.compartment_id);
		}
		model_vault_release(&v);
	} else {
		struct oci_key k = {0};

		ret = oci_get_key(r->opts.client, pj->mgmt, pj->id, &k, NULL,
				  &pr->err);
		if (!ret) {
			buf_copy(pr->state, sizeof(pr->state),
				 k.lifecycle_state);
			buf_copy(pr->name, sizeof(pr->name), k.display_name);
			buf_copy(parent, parent_n, k.vault_id);
		}
		model_key_release(&k);
	}
	return ret;
}

static bool restored_state(bool vault, const char *s)
{
	return vault ? !strcmp(s, "ACTIVE")
		     : !strcmp(s, "ENABLED") || !strcmp(s, "DISABLED");
}

/*
 * PH_STATE and PH_VERIFY: the resource's state.  Succeeded means checked:
 * ENABLED/DISABLED (a vault: ACTIVE) in the vault (compartment) it was
 * restored into, and then in the listing of that directory.
 */
static void poll_resource(struct restores *r, const struct poll_job *pj,
			  struct poll_result *pr)
{
	char parent[OVFS_OCID_MAX] = "";
	int ret = get_resource(r, pj, pr, parent, sizeof(parent));

	if (ret == -ENOENT && pj->phase == PH_VERIFY) {
		result_fail(pr, -EIO, "RestoredNotFound",
			    "the work request succeeded but the restored "
			    "resource cannot be found");
		return;
	}
	if (ret) {
		/* GetKey may fail for a moment right after a restore. */
		pr->ret = ret;
		return;
	}
	if (!strcmp(pr->state, "RESTORING") || !strcmp(pr->state, "CREATING")) {
		if (pj->phase == PH_VERIFY &&
		    pj->settle_tries >= RESTORES_SETTLE_TRIES)
			result_fail(pr, -EIO, "StillRestoring",
				    "the work request succeeded but the "
				    "resource is still RESTORING");
		return;
	}
	if (!restored_state(pj->vault, pr->state)) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "the restored %s is in state %s, not %s",
			 pj->vault ? "vault" : "key", pr->state,
			 pj->vault ? "ACTIVE" : "ENABLED or DISABLED");
		result_fail(pr, -EIO, "RestoreIncomplete", msg);
		return;
	}
	if (strcmp(parent, pj->where->id)) {
		char msg[256];

		snprintf(msg, sizeof(msg), "the restored %s is in %s %s",
			 pj->vault ? "vault" : "key",
			 pj->vault ? "compartment" : "vault", parent);
		result_fail(pr, -EIO, "RestoredElsewhere", msg);
		return;
	}
	pr->phase = PH_LIST;
}

/*
 * PH_LIST: show it at once: fetch the listing of the directory it was
 * restored into (for all the verified restores into it, pick()), and
 * for a vault its keys (a listing held from before it was deleted would
 * show them gone until cache_ttl).
 */
static void list_now(struct restores *r, const struct poll_job *pj,
		     struct poll_result *pr)
{
	int ret = tree_refresh(r->opts.tree, pj->where,
			       pj->vault ? TREE_LIST_VAULTS : TREE_LIST_KEYS,
			       NULL);

	if (!ret && pj->vault) {
		struct tree_node *vn =
			tree_node_find(r->opts.tree, TREE_VAULT, pj->id);

		if (vn)
			ret = tree_refresh(r->opts.tree, vn, TREE_LIST_KEYS,
					   NULL);
	}
	if (ret)
		snprintf(pr->note, sizeof(pr->note),
			 "restored; the %s listing could not be fetched "
			 "(%s): it appears at the next listing",
			 pj->vault ? "vaults/" : "keys/", errno_name(ret));
	pr->phase = PH_LIST;
	pr->done = true;
	pr->final = RS_SUCCEEDED;
}

static void poll_one(struct restores *r, struct poll_job *pj,
		     struct poll_result *pr)
{
	struct oci_budget budget = {
		.deadline_ms = mono(r) + RESTORES_POLL_BUDGET_MS,
		.max_attempts = RESTORES_POLL_ATTEMPTS,
		.max_delay_ms = RESTORES_POLL_DELAY_MS,
	};

	pr->phase = pj->phase;
	pr->progress = -1;
	if (pj->phase == PH_LIST) {
		list_now(r, pj, pr); /* the refreshers' own budgets */
		return;
	}
	oci_budget_enter(r->opts.client, &budget);
	if (pj->phase == PH_WR)
		poll_wr(r, pj, pr);
	if (!pr->ret && !pr->done &&
	    (pr->phase == PH_STATE || pr->phase == PH_VERIFY)) {
		pj->phase = pr->phase;
		poll_resource(r, pj, pr);
	}
	oci_budget_leave(r->opts.client);
}

/* Apply a poll's result (lock held). */
static void apply(struct restores *r, struct restores_op *op,
		  const struct poll_result *pr)
{
	uint64_t now = mono(r);

	op->polling = false;
	if (pr->ret) {
		char text[1536];

		oci_error_format(&pr->err, text, sizeof(text));
		str_set(&op->trouble, text);
		if (!op->trouble_tries)
			op->trouble_since = wall(r);
		op->trouble_tries++;
		op->trouble_errno = pr->ret;
		op->interval_ms = op->interval_ms < RESTORES_POLL_MAX_MS
					  ? op->interval_ms * 2
					  : RESTORES_POLL_MAX_MS;
		op->next_poll_ms = now + op->interval_ms;
		pthread_cond_broadcast(&r->changed);
		return;
	}
	free(op->trouble);
	op->trouble = NULL;
	op->trouble_tries = 0;
	if (pr->state[0])
		buf_copy(op->resource_state, sizeof(op->resource_state),
			 pr->state);
	if (pr->name[0])
		str_set(&op->resource_name, pr->name);
	if (pr->resource_id[0] && !op->resource_id)
		str_set(&op->resource_id, pr->resource_id);
	if (pr->progress >= 0)
		op->progress = pr->progress;
	if (pr->note[0])
		str_set(&op->note, pr->note);
	if (pr->done) {
		if (pr->final == RS_FAILED)
			op_fail(r, op, pr->final_errno, &pr->err);
		else
			op_finish(r, op, pr->final);
		journal_end_op(r, op);
		log_outcome(r, op);
		prune(r);
		return;
	}
	if (pr->phase == PH_LIST) {
		op->phase = PH_LIST;
		op->next_poll_ms = now + RESTORES_LIST_GATHER_MS;
		pthread_cond_broadcast(&r->changed);
		return;
	}
	if (pr->phase == PH_VERIFY)
		op->settle_tries++;
	op->phase = pr->phase;
	if (op->state == RS_ACCEPTED &&
	    (pr->progress > 0 || pr->phase != PH_WR ||
	     !strcmp(op->resource_state, "RESTORING")))
		op->state = RS_IN_PROGRESS;
	op->interval_ms = op->interval_ms < RESTORES_POLL_MAX_MS
				  ? op->interval_ms * 2
				  : RESTORES_POLL_MAX_MS;
	if (op->interval_ms > RESTORES_POLL_MAX_MS)
		op->interval_ms = RESTORES_POLL_MAX_MS;
	/* A finished work request is verified at once. */
	op->next_poll_ms = pr->phase == PH_VERIFY && op->settle_tries == 1
				   ? now
				   : now + op->interval_ms;
	pthread_cond_broadcast(&r->changed);
}

/* The next operation due (lock held): copies it into `pj`; else the ms
 * until one is due in *sleep_ms (UINT64_MAX: none in flight). */
static bool pick(struct restores *r, struct poll_job *pj, uint64_t *sleep_ms)
{
	uint64_t now = mono(r), soonest = UINT64_MAX;

	for (struct restores_op *op = r->ops; op; op = op->next) {
		if (op->state != RS_ACCEPTED && op->state != RS_IN_PROGRESS)
			continue;
		if (op->polling)
			continue;
		if (op->next_poll_ms > now) {
			if (op->next_poll_ms - now < soonest)
				soonest = op->next_poll_ms - now;
			continue;
		}
		memset(pj, 0, sizeof(*pj));
		pj->op = op;
		pj->vault = op->vault;
		pj->phase = op->phase;
		pj->where = op->where;
		pj->settle_tries = op->settle_tries;
		buf_copy(pj->id, sizeof(pj->id), str_or(op->resource_id));
		buf_copy(pj->wr, sizeof(pj->wr), str_or(op->work_request));
		buf_copy(pj->mgmt, sizeof(pj->mgmt), str_or(op->mgmt));
		op->polling = true;
		if (op->phase == PH_LIST && !op->vault)
			/* One listing for every verified restore into the
			 * vault: they ride along (finished with this one). */
			for (struct restores_op *x = r->ops; x; x = x->next)
				if (x != op && x->where == op->where &&
				    x->phase == PH_LIST && !x->polling &&
				    in_flight(x->state))
					x->polling = true;
		return true;
	}
	*sleep_ms = soonest;
	return false;
}

/* A resumed restore's node, by its recorded path (tracker, no lock). */
static struct tree_node *resume_node(struct restores *r,
				     const struct restores_resume *rs)
{
	struct buf path = BUF_INIT(RESTORES_PATH_MAX);
	struct tree_path p;
	struct tree_node *n = NULL;

	const char *rel = rs->path ? rs->path : "";

	while (*rel == '/')
		rel++;
	if (buf_addch(&path, '/') || buf_adds(&path, rel))
		goto out;
	if (!strcmp(path.buf, "/")) /* the root compartment */
		n = tree_root(r->opts.tree);
	else if (!tree_resolve(r->opts.tree, path.buf, &p) &&
		 (p.what == TW_VAULT || p.what == TW_COMPARTMENT))
		n = p.node;
	if (n && rs->where_id && strcmp(n->id, rs->where_id))
		n = NULL; /* renamed since: another resource has the path */
	if (!n && rs->where_id)
		n = tree_node_find(r->opts.tree,
				   rs->vault ? TREE_COMPARTMENT : TREE_VAULT,
				   rs->where_id);
out:
	buf_release(&path);
	return n;
}

/* Make the journal's unfinished restores operations again (tracker). */
static void resume_all(struct restores *r)
{
	struct restores_resume *list, *rs;

	pthread_mutex_lock(&r->lock);
	list = r->resumes;
	r->resumes = NULL;
	pthread_mutex_unlock(&r->lock);
	while ((rs = list)) {
		struct tree_node *n = resume_node(r, rs);
		struct restores_op *op = NULL;
		struct oci_vault v = {0};

		list = rs->next;
		if (n && !rs->vault)
			tree_node_vault(n, &v);
		pthread_mutex_lock(&r->lock);
		if (n)
			op = op_add(r, n, rs->source ? rs->source : "-", false);
		if (op) {
			op->submitted = rs->submitted;
			op->jid = rs->jid;
			str_set(&op->object, rs->object);
			str_set(&op->work_request, rs->wr);
			str_set(&op->mgmt, v.management_endpoint);
			buf_copy(op->request_id, sizeof(op->request_id),
				 str_or(rs->req));
			str_set(&op->note, "resumed from the journal after a "
					   "restart");
			op->state = RS_IN_PROGRESS;
			op->progress = -1;
			op->phase = PH_WR;
			op->interval_ms = RESTORES_POLL_FIRST_MS;
			op->next_poll_ms = mono(r);
			log_msg(r->opts.log, LOG_INFO,
				"journal: resuming the %s into '%s' (work "
				"request %s)",
				kind_name(op), str_or(rs->path),
				str_or(rs->wr));
		} else {
			journal_set(r->opts.journal, rs->jid, wall(r),
				    "unknown", wall(r), NULL, "OutcomeUnknown",
				    "the vault or compartment it went into is "
				    "gone",
				    NULL);
			log_msg(r->opts.log, LOG_WARNING,
				"journal: the restore into '%s' cannot be "
				"followed: '%s' is not there any more",
				str_or(rs->path), str_or(rs->path));
		}
		pthread_mutex_unlock(&r->lock);
		model_vault_release(&v);
		resume_free(rs);
	}
}

/*
 * The restores that rode along on a listing (pick()) end with it (lock
 * held).  Collected first: apply() may prune finished operations, never
 * one in flight.
 */
static void apply_riders(struct restores *r, const struct poll_job *pj,
			 const struct poll_result *pr)
{
	struct restores_op **v;
	size_t n = 0, i = 0;

	for (struct restores_op *x = r->ops; x; x = x->next)
		n += x != pj->op && x->where == pj->where &&
		     x->phase == PH_LIST && x->polling;
	if (!n)
		return;
	v = malloc(n * sizeof(*v));
	for (struct restores_op *x = r->ops; x; x = x->next) {
		if (x == pj->op || x->where != pj->where ||
		    x->phase != PH_LIST || !x->polling)
			continue;
		if (v)
			v[i++] = x;
		else
			x->polling = false; /* its own listing, later */
	}
	for (size_t k = 0; k < i; k++)
		apply(r, v[k], pr);
	free(v);
}

static void *tracker_main(void *arg)
{
	struct restores *r = arg;
	struct poll_result *pr = malloc(sizeof(*pr));
	struct poll_job pj;

	resume_all(r);
	pthread_mutex_lock(&r->lock);
	while (pr && !r->stop) {
		uint64_t sleep_ms;

		if (exiting(r))
			break;
		if (!pick(r, &pj, &sleep_ms)) {
			if (sleep_ms > RESTORES_IDLE_MS)
				sleep_ms = RESTORES_IDLE_MS;
			clock_cond_timedwait(&r->wake, &r->lock, sleep_ms);
			continue;
		}
		pthread_mutex_unlock(&r->lock);
		memset(pr, 0, sizeof(*pr));
		poll_one(r, &pj, pr);
		pthread_mutex_lock(&r->lock);
		if (pj.phase == PH_LIST && !pj.vault)
			apply_riders(r, &pj, pr);
		apply(r, pj.op, pr);
	}
	pthread_mutex_unlock(&r->lock);
	free(pr);
	return NULL;
}
