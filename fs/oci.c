/* SPDX-License-Identifier: MIT */
/* oci: the OCI REST client calls, retries, paging; see include/oci.h. */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http.h"
#include "json.h"
#include "oci.h"
#include "profile.h"
#include "sign.h"
#include "banned.h"

#define OCI_DEFAULT_PAGE_LIMIT 100u
/* The memory of a failed listing of at least this many entries is
 * returned to the system (malloc_trim). */
#define OCI_TRIM_AFTER_ENTRIES 1000u
/* At most one "skipped bad entries" line per operation and minute. */
#define OCI_SKIP_LOG_MS 60000u
#define OCI_REQID_LEN 32
#define OCI_RETRY_TOKEN_LEN 32

struct oci_client {
	char tenancy[OVFS_OCID_MAX];
	struct region_info region;
	char endpoint[4][OVFS_URL_MAX]; /* indexed by enum region_service */
	struct signer signer;
	struct http_client *http;
	struct ratelimit rl;
	struct retry_policy retry;
	unsigned int page_limit;
	unsigned int max_pages; /* per listing */
	size_t max_entries; /* per listing */
	size_t max_listing_bytes; /* per listing, while decoded */
	/* Rate limit of the skipped-entries log line, per operation. */
	atomic_uint_fast64_t skip_logged_ms[OCI_OP_COUNT];
	atomic_uint_fast64_t skip_quiet[OCI_OP_COUNT];
	atomic_uint_fast64_t session_logged_ms; /* session_expired() */
	uint64_t list_timeout_ms; /* see oci_client_opts */
	const struct logger *log;
	struct clock_sys sysclock;
	bool own_clock;
	struct clock clock;
	atomic_bool cancelled;
	pthread_mutex_t stats_lock;
	struct oci_stats stats;
};

static const struct {
	const char *name;
	enum ratelimit_category cat;
} op_table[OCI_OP_COUNT] = {
	[OCI_OP_GET_TENANCY] = {"GetTenancy", RATELIMIT_OTHER},
	[OCI_OP_LIST_COMPARTMENTS] = {"ListCompartments", RATELIMIT_OTHER},
	[OCI_OP_GET_COMPARTMENT] = {"GetCompartment", RATELIMIT_OTHER},
	[OCI_OP_LIST_VAULTS] = {"ListVaults", RATELIMIT_PROV_READ},
	[OCI_OP_GET_VAULT] = {"GetVault", RATELIMIT_PROV_READ},
	[OCI_OP_LIST_KEYS] = {"ListKeys", RATELIMIT_MGMT_READ},
	[OCI_OP_GET_KEY] = {"GetKey", RATELIMIT_MGMT_READ},
	[OCI_OP_LIST_KEY_VERSIONS] = {"ListKeyVersions", RATELIMIT_MGMT_READ},
	[OCI_OP_BACKUP_KEY] = {"BackupKey", RATELIMIT_MGMT_WRITE},
	[OCI_OP_BACKUP_VAULT] = {"BackupVault", RATELIMIT_PROV_WRITE},
	[OCI_OP_RESTORE_KEY_OBJECT_STORE] = {"RestoreKeyFromObjectStore",
					     RATELIMIT_MGMT_WRITE},
	[OCI_OP_RESTORE_KEY_FILE] = {"RestoreKeyFromFile",
				     RATELIMIT_MGMT_WRITE},
	[OCI_OP_RESTORE_VAULT_OBJECT_STORE] = {"RestoreVaultFromObjectStore",
					       RATELIMIT_PROV_WRITE},
	[OCI_OP_RESTORE_VAULT_FILE] = {"RestoreVaultFromFile",
				       RATELIMIT_PROV_WRITE},
	[OCI_OP_GET_WORK_REQUEST] = {"GetWorkRequest", RATELIMIT_OTHER},
	[OCI_OP_LIST_WORK_REQUEST_ERRORS] = {"ListWorkRequestErrors",
					     RATELIMIT_OTHER},
	[OCI_OP_GET_NAMESPACE] = {"GetNamespace", RATELIMIT_OTHER},
	[OCI_OP_LIST_BUCKETS] = {"ListBuckets", RATELIMIT_OTHER},
	[OCI_OP_HEAD_OBJECT] = {"HeadObject", RATELIMIT_OTHER},
	[OCI_OP_LIST_OBJECTS] = {"ListObjects", RATELIMIT_OTHER},
	[OCI_OP_LIST_WORK_REQUESTS] = {"ListWorkRequests", RATELIMIT_OTHER},
};

const char *oci_op_name(enum oci_op op)
{
	return op < OCI_OP_COUNT ? op_table[op].name : "Unknown";
}

enum ratelimit_category oci_op_category(enum oci_op op)
{
	return op < OCI_OP_COUNT ? op_table[op].cat : RATELIMIT_OTHER;
}

/* ---- client lifecycle ------------------------------------------------ */

/*
 * The budget of the calling thread (oci_budget_enter()).  Per thread, not
 * in the client, because one client serves every thread and a budget
 * belongs to one caller's sequence of calls; libcurl runs the transfer on
 * the calling thread, so client_cancelled() (its progress callback) sees
 * it too.  `hit` says why budget_stop() ended a transfer.
 */
enum budget_hit { BUDGET_NONE, BUDGET_INTR, BUDGET_DEADLINE };

static _Thread_local struct {
	const struct oci_client *c;
	struct oci_budget *b;
	enum budget_hit hit;
} tl_budget;

static struct oci_budget *budget_of(const struct oci_client *c)
{
	return tl_budget.c == c ? tl_budget.b : NULL;
}

/* Should the thread's call stop now?  Records why in tl_budget.hit. */
static bool budget_stop(struct oci_client *c)
{
	struct oci_budget *b = budget_of(c);

	if (!b)
		return false;
	if (b->interrupted && b->interrupted(b->arg)) {
		tl_budget.hit = BUDGET_INTR;
		return true;
	}
	if (b->deadline_ms && clock_mono_ms(&c->clock) >= b->deadline_ms) {
		tl_budget.hit = BUDGET_DEADLINE;
		b->expired = true;
		return true;
	}
	return false;
}

void oci_budget_enter(struct oci_client *c, struct oci_budget *b)
{
	tl_budget.c = c;
	tl_budget.b = b;
	tl_budget.hit = BUDGET_NONE;
	b->expired = false;
}

void oci_budget_leave(struct oci_client *c)
{
	if (tl_budget.c == c) {
		tl_budget.c = NULL;
		tl_budget.b = NULL;
		tl_budget.hit = BUDGET_NONE;
	}
}

int oci_budget_check(struct oci_client *c)
{
	int ret = 0;

	if (atomic_load(&c->cancelled))
		return -ECANCELED;
	if (budget_stop(c))
		ret = tl_budget.hit == BUDGET_INTR ? -EINTR : -ETIMEDOUT;
	tl_budget.hit = BUDGET_NONE;
	return ret;
}

static bool client_cancelled(void *arg)
{
	struct oci_client *c = arg;

	return atomic_load(&c->cancelled) || budget_stop(c);
}

static int set_endpoint(struct oci_client *c, enum region_service svc,
			const char *override)
{
	return region_endpoint(&c->region, svc, override, c->endpoint[svc],
			       sizeof(c->endpoint[svc]));
}

/* The listing limits and the retry policy: the options' or the defaults. */
static void client_limits(struct oci_client *c,
			  const struct oci_client_opts *opts)
{
	struct retry_policy defpol = RETRY_POLICY_DEFAULT;

	c->page_limit =
		opts->page_limit ? opts->page_limit : OCI_DEFAULT_PAGE_LIMIT;
	c->max_pages =
		opts->max_pages ? opts->max_pages : OCI_DEFAULT_MAX_PAGES;
	c->max_entries =
		opts->max_entries ? opts->max_entries : OCI_DEFAULT_MAX_ENTRIES;
	c->max_listing_bytes = opts->max_listing_bytes
				       ? opts->max_listing_bytes
				       : OCI_DEFAULT_MAX_LISTING_BYTES;
	c->list_timeout_ms = opts->list_timeout_ms;
	c->retry = opts->retry.max_attempts ? opts->retry : defpol;
}

/* The caller's clock, or our own (c->own_clock) that cancel can wake. */
static int client_clock(struct oci_client *c,
			const struct oci_client_opts *opts,
			struct oci_error *err)
{
	int ret;

	if (opts->clock) {
		c->clock = *opts->clock;
		return 0;
	}
	ret = clock_sys_init(&c->sysclock, &c->clock);
	if (ret) {
		oci_error_local(err, ret, "cannot initialize the clock");
		return ret;
	}
	c->own_clock = true;
	return 0;
}

/* The tenancy, the region and the endpoint of each service. */
static int client_locate(struct oci_client *c, const struct profile *prof,
			 const char *endpoint, struct oci_error *err)
{
	int ret;

	ret = buf_copy(c->tenancy, sizeof(c->tenancy),
		       prof->tenancy ? prof->tenancy : "");
	if (ret || !json_is_ocid(c->tenancy)) {
		ret = -EINVAL;
		oci_error_local(err, ret, "profile has no valid tenancy OCID");
		return ret;
	}
	ret = region_resolve(prof->region ? prof->region : "", &c->region);
	if (ret) {
		oci_error_local(err, ret, "invalid region '%s'",
				prof->region ? prof->region : "");
		return ret;
	}
	for (int s = REGION_SVC_IDENTITY; s <= REGION_SVC_WORKREQUESTS; s++) {
		ret = set_endpoint(c, (enum region_service)s, endpoint);
		if (ret) {
			oci_error_local(err, ret, "endpoint URL too long");
			return ret;
		}
	}
	return 0;
}

static int client_http(struct oci_client *c, const struct oci_client_opts *opts,
		       struct oci_error *err)
{
	struct http_client_opts hopts = {0};
	int ret;

	hopts.ca_file = opts->ca_file;
	hopts.connect_timeout_ms = opts->connect_timeout_ms;
	hopts.timeout_ms = opts->timeout_ms;
	hopts.max_response = opts->max_response;
	hopts.log = opts->log;
	hopts.clock = &c->clock;
	hopts.cancelled = client_cancelled;
	hopts.cancelled_arg = c;
	hopts.trace = opts->trace;
	hopts.allow_http = opts->allow_http;
	ret = http_client_new(&c->http, &hopts);
	if (ret)
		oci_error_local(err, ret, "cannot create the HTTP client");
	return ret;
}

int oci_client_new(struct oci_client **out, const struct profile *prof,
		   const struct oci_client_opts *opts, struct oci_error *err)
{
	struct oci_error dummy;
	struct oci_client *c;
	char why[512] = "";
	int ret;

	if (!err)
		err = &dummy;
	oci_error_clear(err);
	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		oci_error_local(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	atomic_init(&c->cancelled, false);
	c->log = opts->log;
	client_limits(c, opts);
	ret = pthread_mutex_init(&c->stats_lock, NULL);
	if (ret) {
		free(c);
		oci_error_local(err, -ret, "cannot create a mutex");
		return -ret;
	}
	ret = client_clock(c, opts, err);
	if (ret)
		goto fail_stats;
	ret = client_locate(c, prof, opts->endpoint, err);
	if (ret)
		goto fail_clock;
	ret = sign_signer_init(&c->signer, prof, opts->ask_passphrase,
			       opts->ask_arg, opts->log, why, sizeof(why));
	if (ret) {
		oci_error_local(err, ret, "%s", why);
		goto fail_clock;
	}
	sign_signer_set_clock(&c->signer, &c->clock);
	ret = ratelimit_init(
		&c->rl, &c->clock, opts->rates_set ? opts->rates : NULL,
		opts->burst > 0 ? opts->burst : RATELIMIT_DEFAULT_BURST);
	if (ret) {
		oci_error_local(err, ret, "cannot initialize the rate limiter");
		goto fail_signer;
	}
	ret = client_http(c, opts, err);
	if (ret)
		goto fail_rl;
	*out = c;
	return 0;

fail_rl:
	ratelimit_release(&c->rl);
fail_signer:
	sign_signer_release(&c->signer);
fail_clock:
	if (c->own_clock)
		clock_sys_release(&c->sysclock);
fail_stats:
	pthread_mutex_destroy(&c->stats_lock);
	free(c);
	return ret;
}

void oci_client_free(struct oci_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	ratelimit_release(&c->rl);
	sign_signer_release(&c->signer);
	if (c->own_clock)
		clock_sys_release(&c->sysclock);
	pthread_mutex_destroy(&c->stats_lock);
	free(c);
}

void oci_client_set_retry(struct oci_client *c, const struct retry_policy *p)
{
	c->retry = *p;
}

void oci_client_cancel(struct oci_client *c)
{
	atomic_store(&c->cancelled, true);
	if (c->own_clock)
		clock_sys_cancel(&c->sysclock);
}

bool oci_client_is_session(const struct oci_client *c)
{
	return sign_signer_is_session(&c->signer);
}

int64_t oci_client_session_exp(struct oci_client *c)
{
	int64_t exp = 0;

	sign_session_info(&c->signer, &exp, NULL);
	return exp;
}

const char *oci_client_tenancy(const struct oci_client *c)
{
	return c->tenancy;
}

const struct region_info *oci_client_region(const struct oci_client *c)
{
	return &c->region;
}

const char *oci_client_endpoint(const struct oci_client *c,
				enum region_service svc)
{
	return c->endpoint[svc];
}

const struct clock *oci_client_clock(const struct oci_client *c)
{
	return &c->clock;
}

void oci_client_stats(struct oci_client *c, struct oci_stats *out)
{
	struct http_stats hs;

	pthread_mutex_lock(&c->stats_lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->stats_lock);
	http_client_stats(c->http, &hs);
	out->connections = hs.connections;
}

int oci_client_stats_render(struct oci_client *c, struct buf *out)
{
	struct oci_stats s;
	int ret = 0;

	oci_client_stats(c, &s);
	const struct {
		const char *name;
		const uint64_t *count;
	} per_op[] = {
		{"calls", s.calls},
		{"requests", s.requests},
		{"failures", s.failures},
	};
	for (size_t k = 0; k < sizeof(per_op) / sizeof(per_op[0]); k++)
		for (int i = 0; i < OCI_OP_COUNT && !ret; i++)
			ret = buf_addf(out, "%s.%s: %llu\n", per_op[k].name,
				       oci_op_name((enum oci_op)i),
				       (unsigned long long)per_op[k].count[i]);
	if (!ret)
		ret = buf_addf(out,
			       "retries: %llu\nthrottled: %llu\n"
			       "connections: %llu\nrate_limit_waits: %llu\n",
			       (unsigned long long)s.retries,
			       (unsigned long long)s.throttled,
			       (unsigned long long)s.connections,
			       (unsigned long long)s.rl_waits);
	return ret;
}

#define STAT_ADD(c, field, n)                           \
	do {                                            \
		pthread_mutex_lock(&(c)->stats_lock);   \
		(c)->stats.field += (n);                \
		pthread_mutex_unlock(&(c)->stats_lock); \
	} while (0)

/* ---- URL building ---------------------------------------------------- */

#define URL_MAX (OVFS_URL_MAX * 4)

/* Start a URL with a base ("https://host[:port]") without trailing '/'. */
static int url_base(struct buf *u, const char *base)
{
	size_t len = strlen(base);

	while (len && base[len - 1] == '/')
		len--;
	if (!len)
		return -EINVAL;
	return buf_add(u, base, len);
}

/* Append "/" and the percent-encoded segment. */
static int url_seg(struct buf *u, const char *seg)
{
	int ret = buf_addch(u, '/');

	return ret ? ret : http_escape(seg, strlen(seg), u);
}

/* Append "/" and a literal path (already safe, e.g. "20180608/keys"). */
static int url_lit(struct buf *u, const char *path)
{
	int ret = buf_addch(u, '/');

	return ret ? ret : buf_adds(u, path);
}

/* Append "?name=value" or "&name=value", value percent-encoded. */
static int url_query(struct buf *u, const char *name, const char *value)
{
	int ret = buf_addch(u, strchr(u->buf, '?') ? '&' : '?');

	if (!ret)
		ret = buf_adds(u, name);
	if (!ret)
		ret = buf_addch(u, '=');
	if (!ret)
		ret = http_escape(value, strlen(value), u);
	return ret;
}

/* An object name keeps its '/' separators; each part is encoded. */
static int url_object(struct buf *u, const char *object)
{
	const char *p = object, *slash;
	int ret = buf_addch(u, '/');

	while (!ret) {
		slash = strchr(p, '/');
		ret = http_escape(p, slash ? (size_t)(slash - p) : strlen(p),
				  u);
		if (ret || !slash)
			break;
		ret = buf_addch(u, '/');
		p = slash + 1;
	}
	return ret;
}

/* ---- the request loop ------------------------------------------------- */

struct oci_req {
	enum oci_op op;
	const char *method;
	const char *url;
	const void *body;
	size_t body_len;
	const char *content_type;
	const char *retry_token; /* POST: makes it retryable */
	const char *if_match;
	const char *content_md5;
	uint64_t deadline_ms; /* client clock; 0: none (no retry after it) */
	bool idempotent;
};

static int sign_hook(void *arg, const struct sign_request *req,
		     struct sign_result *out)
{
	struct signer *s = arg;

	return sign_request(s, req, out);
}

/*
 * A session token that OCI refused (401) or that the signer found expired
 * (its JWT "exp" is past: -EKEYEXPIRED): the fix is the user's, say which.
 * Logged at most once per OCI_SKIP_LOG_MS, as a notice: the failed call
 * is reported by its caller too (the start-up line, the status file).
 */
static void session_expired(struct oci_client *c, enum oci_op op,
			    struct oci_error *err)
{
	char was[OVFS_ERRMSG_MAX];
	uint64_t now = clock_mono_ms(&c->clock);
	uint64_t last = atomic_load(&c->session_logged_ms);

	buf_copy(was, sizeof(was), err->message);
	if (err->http_status)
		snprintf(err->message, sizeof(err->message), "%s (%s)",
			 OCI_SESSION_EXPIRED, was);
	else
		buf_copy(err->message, sizeof(err->message),
			 OCI_SESSION_EXPIRED);
	if (last && now - last < OCI_SKIP_LOG_MS)
		return;
	if (atomic_compare_exchange_strong(&c->session_logged_ms, &last,
					   now ? now : 1))
		log_msg(c->log, LOG_NOTICE, "%s: %s", oci_op_name(op),
			err->http_status ? err->message : OCI_SESSION_EXPIRED);
}

static uint32_t random_u32(void)
{
	uint32_t v = 0;

	if (crypto_random(&v, sizeof(v)))
		v = 0x9e3779b9u;
	return v;
}

/* Fill `err` from a non-2xx response. */
static void error_from_response(struct oci_error *err,
				const struct http_response *resp,
				const char *sent_id)
{
	const char *rid = http_response_header(resp, "opc-request-id");

	err->http_status = (int)resp->status;
	err->net = OCI_NET_OK;
	err->local_errno = 0;
	if (resp->body.len) {
		model_error_decode(resp->body.buf, resp->body.len, err);
	} else {
		err->code[0] = '\0';
		snprintf(err->message, sizeof(err->message),
			 "HTTP %ld without an error body", resp->status);
	}
	buf_copy(err->request_id, sizeof(err->request_id),
		 rid && strlen(rid) < sizeof(err->request_id) ? rid : sent_id);
}

/* The failure of a call that the thread's budget ended (tl_budget.hit). */
static int budget_fail(struct oci_error *err)
{
	int ret;

	err->http_status = 0;
	if (tl_budget.hit == BUDGET_INTR) {
		err->net = OCI_NET_OK;
		oci_error_local(err, -EINTR, "interrupted");
		ret = -EINTR;
	} else {
		err->net = OCI_NET_TIMEOUT;
		err->local_errno = 0;
		buf_copy(err->message, sizeof(err->message),
			 "no answer within the time budget of the request");
		ret = -ETIMEDOUT;
	}
	tl_budget.hit = BUDGET_NONE;
	return ret;
}

/* The client's policy as the thread's budget narrows it. */
static void budget_policy(struct oci_client *c, uint64_t start,
			  struct retry_policy *out)
{
	struct oci_budget *b = budget_of(c);
	uint64_t total = 0;

	if (!b) {
		*out = c->retry;
		return;
	}
	if (b->deadline_ms)
		total = b->deadline_ms > start ? b->deadline_ms - start : 1;
	retry_policy_narrow(&c->retry, b->max_attempts, b->max_delay_ms, total,
			    out);
}

/* The sleep before a retry, in slices when the budget can interrupt it. */
static int retry_sleep(struct oci_client *c, uint64_t ms)
{
	struct oci_budget *b = budget_of(c);

	if (!b || !b->interrupted)
		return clock_sleep_ms(&c->clock, ms);
	while (ms) {
		uint64_t s = ms < 100 ? ms : 100;
		int ret = clock_sleep_ms(&c->clock, s);

		if (ret)
			return ret;
		ms -= s;
		if (b->interrupted(b->arg)) {
			tl_budget.hit = BUDGET_INTR;
			return -EINTR;
		}
	}
	return 0;
}

/*
 * Before attempt number `attempt`: err is reset for it, the rate limiter
 * passed (its generation in *gen) and a fresh opc-request-id drawn into
 * reqid.  -errno, with err filled in, when the call must stop instead:
 * cancelled, the thread's budget ended, or no random numbers.
 */
static int attempt_start(struct oci_client *c, enum oci_op op,
			 unsigned int attempt, uint64_t *gen, char *reqid,
			 struct oci_error *err)
{
	int ret;

	oci_error_clear(err);
	buf_copy(err->operation, sizeof(err->operation), oci_op_name(op));
	err->attempts = (int)attempt;
	if (atomic_load(&c->cancelled) ||
	    ratelimit_acquire(&c->rl, oci_op_category(op), gen)) {
		err->net = OCI_NET_CANCELLED;
		buf_copy(err->message, sizeof(err->message), "cancelled");
		return -ECANCELED;
	}
	if (budget_stop(c)) {
		ret = budget_fail(err);
		err->attempts = (int)attempt - 1; /* not sent */
		return ret;
	}
	if (crypto_random_id(reqid, OCI_REQID_LEN)) {
		oci_error_local(err, -EIO, "no random numbers");
		return -EIO;
	}
	return 0;
}

/* One HTTP exchange of `r` with request id `reqid`: http_perform()'s result. */
static int attempt_send(struct oci_client *c, const struct oci_req *r,
			const char *reqid, struct http_response *resp,
			struct oci_error *err)
{
	struct http_header hdrs[5];
	struct http_request hreq = {0};
	size_t nh = 0;
	int ret;

	hdrs[nh++] = (struct http_header){"opc-request-id", reqid};
	if (r->retry_token)
		hdrs[nh++] =
			(struct http_header){"opc-retry-token", r->retry_token};
	if (r->if_match)
		hdrs[nh++] = (struct http_header){"if-match", r->if_match};
	if (r->content_md5)
		hdrs[nh++] =
			(struct http_header){"content-md5", r->content_md5};
	hreq.method = r->method;
	hreq.url = r->url;
	hreq.headers = hdrs;
	hreq.nheaders = nh;
	hreq.body = r->body;
	hreq.body_len = r->body_len;
	hreq.content_type = r->content_type;
	hreq.sign = sign_hook;
	hreq.sign_arg = &c->signer;

	http_response_reset(resp);
	ret = http_perform(c->http, &hreq, resp, err);
	STAT_ADD(c, requests[r->op], 1);
	return ret;
}

/* A 2xx: err cleared but for the response's opc-request-id. */
static int attempt_succeeded(const struct http_response *resp,
			     struct oci_error *err)
{
	const char *rid = http_response_header(resp, "opc-request-id");

	oci_error_clear(err);
	if (rid)
		buf_copy(err->request_id, sizeof(err->request_id), rid);
	return 0;
}

/*
 * A failed attempt (`sent` is http_perform()'s result): err describes it
 * for the retry decision.  -errno when the call must stop now: the
 * transfer was cancelled by the thread's budget.
 */
static int attempt_failed(struct oci_client *c, enum oci_op op,
			  unsigned int attempt, uint64_t gen, const char *reqid,
			  int sent, const struct http_response *resp,
			  struct oci_error *err)
{
	if (!sent) {
		error_from_response(err, resp, reqid);
		if (resp->status == 429) {
			ratelimit_throttled(&c->rl, oci_op_category(op), gen);
			STAT_ADD(c, throttled, 1);
		}
		if (resp->status == 401 && sign_signer_is_session(&c->signer))
			session_expired(c, op, err);
	} else {
		buf_copy(err->request_id, sizeof(err->request_id), reqid);
		if (err->net == OCI_NET_CANCELLED &&
		    !atomic_load(&c->cancelled) && tl_budget.hit)
			return budget_fail(err);
		if (sent == -EKEYEXPIRED)
			session_expired(c, op, err);
	}
	buf_copy(err->operation, sizeof(err->operation), oci_op_name(op));
	err->attempts = (int)attempt;
	return 0;
}

/* May `r` be sent again after err?  Sets *delay when it may. */
static bool should_retry(struct oci_client *c, const struct oci_req *r,
			 const struct retry_policy *pol, unsigned int attempt,
			 uint64_t start, const struct oci_error *err,
			 uint64_t *delay)
{
	return !(atomic_load(&c->cancelled) ||
		 (!r->idempotent && err->http_status == 409) ||
		 !retry_next(pol, err, r->idempotent, r->retry_token != NULL,
			     attempt, clock_mono_ms(&c->clock) - start,
			     random_u32(), delay) ||
		 (r->deadline_ms &&
		  clock_mono_ms(&c->clock) + *delay >= r->deadline_ms));
}

/* Tell and log the retry, then sleep `delay`; -errno when it was cut. */
static int retry_wait(struct oci_client *c, enum oci_op op,
		      struct oci_budget *budget, const struct retry_policy *pol,
		      unsigned int attempt, uint64_t delay,
		      struct oci_error *err)
{
	int ret;

	if (budget && budget->on_retry)
		budget->on_retry(budget->arg, err, attempt, delay);
	if (log_enabled(c->log, LOG_INFO)) {
		char line[1024];

		oci_error_format(err, line, sizeof(line));
		log_msg(c->log, LOG_INFO,
			"%s: %s; retrying in %llu ms (attempt %u of %u)",
			oci_op_name(op), line, (unsigned long long)delay,
			attempt + 1, pol->max_attempts);
	}
	STAT_ADD(c, retries, 1);
	ret = retry_sleep(c, delay);
	if (ret == -EINTR)
		return budget_fail(err);
	if (ret) {
		err->net = OCI_NET_CANCELLED;
		err->http_status = 0;
		buf_copy(err->message, sizeof(err->message), "cancelled");
		return -ECANCELED;
	}
	return 0;
}

/*
 * Send `r` until it succeeds or the retry policy gives up.  On success
 * returns 0 with `resp` holding a 2xx response; otherwise -errno with `err`
 * filled in.
 */
static int oci_do(struct oci_client *c, const struct oci_req *r,
		  struct http_response *resp, struct oci_error *err)
{
	char reqid[OCI_REQID_LEN + 1];
	uint64_t start = clock_mono_ms(&c->clock), delay, gen = 0;
	struct oci_budget *budget = budget_of(c);
	struct retry_policy pol;
	unsigned int attempt;
	int ret;

	budget_policy(c, start, &pol);
	for (attempt = 1;; attempt++) {
		ret = attempt_start(c, r->op, attempt, &gen, reqid, err);
		if (ret)
			return ret;
		ret = attempt_send(c, r, reqid, resp, err);
		if (!ret && resp->status >= 200 && resp->status < 300)
			return attempt_succeeded(resp, err);
		ret = attempt_failed(c, r->op, attempt, gen, reqid, ret, resp,
				     err);
		if (ret)
			return ret;
		if (!should_retry(c, r, &pol, attempt, start, err, &delay))
			break;
		ret = retry_wait(c, r->op, budget, &pol, attempt, delay, err);
		if (ret)
			return ret;
	}
	return oci_error_errno(err);
}

/* Record an undecodable 2xx body. */
static int bad_body(struct oci_error *err, const struct http_response *resp,
		    int ret, const char *why)
{
	char rid[OVFS_REQID_MAX];

	buf_copy(rid, sizeof(rid), err->request_id);
	err->http_status = (int)resp->status;
	oci_error_local(err, ret == -ENOMEM ? -ENOMEM : -EPROTO,
			"undecodable response: %s", why);
	buf_copy(err->request_id, sizeof(err->request_id), rid);
	return oci_error_errno(err);
}

/* One call: stats, request, and the final accounting. */
static int oci_call(struct oci_client *c, const struct oci_req *r,
		    struct http_response *resp, struct oci_error *err)
{
	int ret;

	STAT_ADD(c, calls[r->op], 1);
	ret = oci_do(c, r, resp, err);
	if (ret)
		STAT_ADD(c, failures[r->op], 1);
	return ret;
}

/* ---- list calls with paging ---------------------------------------- */

typedef int (*page_append_fn)(const char *text, size_t len, void *list,
			      char *why, size_t why_n);
typedef void (*list_truncate_fn)(void *list, size_t n);
typedef struct model_skips *(*list_skips_fn)(void *list);

struct list_call {
	enum oci_op op;
	const char *base;
	const char *path; /* literal, e.g. "20180608/vaults" */
	const char *const *params; /* name, value pairs, NULL-terminated */
	unsigned int limit; /* 0: no limit parameter */
	page_append_fn append;
	list_truncate_fn truncate;
	size_t (*count)(void *list);
	list_skips_fn skips;
	size_t (*dedup)(void *list, size_t n0); /* NULL: no ids */
	size_t elem_size; /* of the list's records */
	void *list;
};

struct id_at {
	const char *id;
	size_t i;
};

static int cmp_id_at(const void *a, const void *b)
{
	const struct id_at *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/*
 * Drop the elements [n0, *n) of array `v` (elements of `size` bytes, the
 * OCID at `id_off`) whose OCID an earlier one has: a server that repeats
 * a page must not make one resource two directory entries (the tree
 * refuses a listing with a repeated OCID).  Order is kept.  Returns how
 * many were dropped (released with `release`); 0 when out of memory.
 */
static size_t dedup_ids(char *v, size_t n0, size_t *n, size_t size,
			size_t id_off, void (*release)(void *))
{
	size_t m = *n - n0, w, dropped = 0;
	struct id_at *ids;
	bool *dup;

	if (m < 2)
		return 0;
	ids = calloc(m, sizeof(*ids));
	dup = calloc(m, sizeof(*dup));
	if (!ids || !dup)
		goto out;
	for (size_t i = 0; i < m; i++)
		ids[i] = (struct id_at){v + (n0 + i) * size + id_off, i};
	qsort(ids, m, sizeof(*ids), cmp_id_at);
	for (size_t i = 1; i < m; i++)
		if (!strcmp(ids[i - 1].id, ids[i].id))
			dup[ids[i].i] = true;
	w = n0;
	for (size_t i = 0; i < m; i++) {
		char *e = v + (n0 + i) * size;

		if (dup[i]) {
			release(e);
			dropped++;
			continue;
		}
		if (w != n0 + i)
			memcpy(v + w * size, e, size);
		w++;
	}
	*n = w;
out:
	free(ids);
	free(dup);
	return dropped;
}

/*
 * Bad entries were left out of a listing (model.h, "Lists"): say so, at
 * most once per operation and OCI_SKIP_LOG_MS, so that a listing
 * refreshed every few seconds does not flood the log.  The reason names
 * a field, never a value.
 */
static void log_skips(struct oci_client *c, enum oci_op op, size_t skipped,
		      size_t kept, const char *why, const char *reqid)
{
	uint64_t now = clock_mono_ms(&c->clock);
	uint64_t last = atomic_load(&c->skip_logged_ms[op]);
	uint64_t quiet;

	if (last && now - last < OCI_SKIP_LOG_MS) {
		atomic_fetch_add(&c->skip_quiet[op], 1);
		return;
	}
	if (!atomic_compare_exchange_strong(&c->skip_logged_ms[op], &last,
					    now ? now : 1)) {
		atomic_fetch_add(&c->skip_quiet[op], 1);
		return;
	}
	quiet = atomic_exchange(&c->skip_quiet[op], 0);
	log_msg(c->log, LOG_WARNING,
		"%s: skipped %zu bad %s of %zu (first: %s) "
		"[opc-request-id: %s]%s",
		oci_op_name(op), skipped, skipped == 1 ? "entry" : "entries",
		skipped + kept, why, reqid,
		quiet ? " (more listings had bad entries since the last "
			"such line)"
		      : "");
}

/*
 * Hard limits (issue 8): a server that never stops sending opc-next-page
 * must not keep us listing forever.  -errno before page number `pages`
 * when the listing has had its pages or its time.
 */
static int page_allowed(struct oci_client *c, enum oci_op op,
			unsigned int pages, uint64_t deadline_ms,
			struct oci_error *err)
{
	if (pages >= c->max_pages) {
		oci_error_local(err, -EFBIG,
				"%s: more than %u pages (max_pages)",
				oci_op_name(op), c->max_pages);
		return -EFBIG;
	}
	if (deadline_ms && clock_mono_ms(&c->clock) >= deadline_ms) {
		oci_error_local(err, -ETIMEDOUT,
				"listing took longer than %llu s "
				"(%u pages)",
				(unsigned long long)(c->list_timeout_ms / 1000),
				pages);
		return -ETIMEDOUT;
	}
	return 0;
}

/* The URL of one page: base, path, parameters, limit, page token. */
static int page_url(struct buf *url, const struct list_call *lc,
		    const char *limit, const char *page, struct oci_error *err)
{
	int ret;

	buf_reset(url);
	ret = url_base(url, lc->base);
	if (!ret)
		ret = url_lit(url, lc->path);
	for (size_t i = 0; !ret && lc->params && lc->params[i]; i += 2) {
		if (lc->params[i + 1])
			ret = url_query(url, lc->params[i], lc->params[i + 1]);
	}
	if (!ret && lc->limit)
		ret = url_query(url, "limit", limit);
	if (!ret && page[0])
		ret = url_query(url, "page", page);
	if (ret)
		oci_error_local(err, ret, "request URL too long");
	return ret;
}

/*
 * Hard limits (issue 8): more entries than any real directory holds, or
 * more memory than max_listing_mb, end the listing.  What the decoded
 * entries hold: their records, and about the page text again for the
 * JSON each keeps (body_bytes, all pages so far).
 */
static int listing_fits(struct oci_client *c, const struct list_call *lc,
			size_t entries, size_t body_bytes,
			struct oci_error *err)
{
	if (entries > c->max_entries) {
		oci_error_local(err, -EFBIG,
				"%s: more than %zu entries "
				"(max_entries)",
				oci_op_name(lc->op), c->max_entries);
		return -EFBIG;
	}
	if (entries * lc->elem_size + body_bytes > c->max_listing_bytes) {
		oci_error_local(err, -EFBIG,
				"%s: more than %zu MiB decoded "
				"(max_listing_mb)",
				oci_op_name(lc->op),
				c->max_listing_bytes >> 20);
		return -EFBIG;
	}
	return 0;
}

/*
 * The next page token, into page (OVFS_PAGE_MAX bytes): 1 when there is
 * one, 0 at the last page, -errno for a token that repeats the last or
 * does not fit.
 */
static int next_page(const struct http_response *resp, char *page,
		     struct oci_error *err)
{
	const char *next = http_response_header(resp, "opc-next-page");

	if (!next || !*next)
		return 0;
	if (!strcmp(next, page) || strlen(next) >= OVFS_PAGE_MAX)
		return bad_body(err, resp, -EPROTO, "bad opc-next-page header");
	buf_copy(page, OVFS_PAGE_MAX, next);
	return 1;
}

/*
 * After the last page (ret the listing's result): a failed listing is
 * dropped, a good one deduplicated; bad entries are logged with rid, the
 * request id of the first page that had some.
 */
static void list_finish(struct oci_client *c, const struct list_call *lc,
			int ret, size_t n0, size_t sk0, size_t entries,
			char *rid, const struct oci_error *err)
{
	struct model_skips *sk = lc->skips(lc->list);

	if (ret) {
		lc->truncate(lc->list, n0);
		STAT_ADD(c, failures[lc->op], 1);
		/* Give a failed huge listing's memory back to the system. */
		if (entries >= OCI_TRIM_AFTER_ENTRIES)
			malloc_trim(0);
	} else {
		size_t dups = lc->dedup ? lc->dedup(lc->list, n0) : 0;

		if (dups && !sk->n)
			snprintf(sk->why, sizeof(sk->why), "a repeated id");
		sk->n += dups;
		if (!rid[0])
			buf_copy(rid, OVFS_REQID_MAX, err->request_id);
	}
	if (!ret && sk->n > sk0) {
		log_skips(c, lc->op, sk->n - sk0, lc->count(lc->list) - n0,
			  sk->why, rid);
	}
}

static int oci_list(struct oci_client *c, const struct list_call *lc,
		    struct oci_error *err)
{
	struct http_response resp;
	struct buf url = BUF_INIT(URL_MAX);
	char page[OVFS_PAGE_MAX] = "", limit[16];
	size_t n0 = lc->count(lc->list);
	struct oci_req r = {0};
	char why[256];
	unsigned int pages;
	struct model_skips *sk = lc->skips(lc->list);
	size_t sk0 = sk->n, entries = 0, body_bytes = 0;
	char rid[OVFS_REQID_MAX] = ""; /* of the first page with bad entries */
	int ret = 0;

	http_response_init(&resp, 0);
	STAT_ADD(c, calls[lc->op], 1);
	snprintf(limit, sizeof(limit), "%u", lc->limit);
	if (c->list_timeout_ms)
		r.deadline_ms = clock_mono_ms(&c->clock) + c->list_timeout_ms;
	for (pages = 0;; pages++) {
		ret = page_allowed(c, lc->op, pages, r.deadline_ms, err);
		if (!ret)
			ret = page_url(&url, lc, limit, page, err);
		if (ret)
			break;
		r.op = lc->op;
		r.method = "GET";
		r.url = url.buf;
		r.idempotent = true;
		ret = oci_do(c, &r, &resp, err);
		if (ret)
			break;
		ret = lc->append(resp.body.buf, resp.body.len, lc->list, why,
				 sizeof(why));
		if (ret) {
			ret = bad_body(err, &resp, ret, why);
			break;
		}
		if (sk->n > sk0 && !rid[0])
			buf_copy(rid, sizeof(rid), err->request_id);
		entries = lc->count(lc->list) - n0;
		body_bytes += resp.body.len;
		ret = listing_fits(c, lc, entries, body_bytes, err);
		if (!ret)
			ret = next_page(&resp, page, err);
		if (ret <= 0)
			break;
	}
	buf_release(&url);
	http_response_release(&resp);
	list_finish(c, lc, ret, n0, sk0, entries, rid, err);
	return ret;
}

#define LIST_HELPERS(name, ltype, release)                               \
	static void name##_truncate(void *l, size_t n)                   \
	{                                                                \
		struct ltype *list = l;                                  \
		while (list->n > n)                                      \
			release(&list->v[--list->n]);                    \
		if (!n) { /* the array too: a failed listing is freed */ \
			free(list->v);                                   \
			list->v = NULL;                                  \
			list->alloc = 0;                                 \
		}                                                        \
	}                                                                \
	static size_t name##_count(void *l)                              \
	{                                                                \
		return ((struct ltype *)l)->n;                           \
	}                                                                \
	static struct model_skips *name##_skips(void *l)                 \
	{                                                                \
		return &((struct ltype *)l)->skips;                      \
	}                                                                \
	static int name##_append(const char *t, size_t len, void *l,     \
				 char *why, size_t why_n)                \
	{                                                                \
		return model_##name##_append(t, len, l, why, why_n);     \
	}

static void wr_error_release(struct oci_wr_error *e)
{
	(void)e;
}

#define LIST_DEDUP(name, ltype, etype, release)                                \
	static void name##_elem_release(void *e)                               \
	{                                                                      \
		release((etype *)e);                                           \
	}                                                                      \
	static size_t name##_dedup(void *l, size_t n0)                         \
	{                                                                      \
		struct ltype *list = l;                                        \
		return dedup_ids((char *)list->v, n0, &list->n, sizeof(etype), \
				 offsetof(etype, id), name##_elem_release);    \
	}

LIST_HELPERS(compartments, oci_compartment_list, model_compartment_release)
LIST_HELPERS(vaults, oci_vault_list, model_vault_release)
LIST_HELPERS(keys, oci_key_list, model_key_release)
LIST_HELPERS(key_versions, oci_key_version_list, model_key_version_release)
LIST_DEDUP(compartments, oci_compartment_list, struct oci_compartment,
	   model_compartment_release)
LIST_DEDUP(vaults, oci_vault_list, struct oci_vault, model_vault_release)
LIST_DEDUP(keys, oci_key_list, struct oci_key, model_key_release)
LIST_DEDUP(key_versions, oci_key_version_list, struct oci_key_version,
	   model_key_version_release)
LIST_HELPERS(wr_errors, oci_wr_error_list, wr_error_release)
LIST_HELPERS(work_requests, oci_work_request_list, model_work_request_release)
LIST_HELPERS(buckets, oci_bucket_list, model_bucket_release)

/* ---- single-resource calls ------------------------------------------ */

typedef int (*decode_fn)(const char *text, size_t len, void *out, char *why,
			 size_t why_n);

/* GET a single resource at `url` and decode it. */
static int oci_get(struct oci_client *c, enum oci_op op, const char *url,
		   decode_fn decode, void *out, char *etag,
		   struct oci_error *err)
{
	struct http_response resp;
	struct oci_req r = {
		.op = op, .method = "GET", .url = url, .idempotent = true};
	char why[256];
	int ret;

	http_response_init(&resp, 0);
	ret = oci_call(c, &r, &resp, err);
	if (ret)
		goto out;
	ret = decode(resp.body.buf, resp.body.len, out, why, sizeof(why));
	if (ret) {
		ret = bad_body(err, &resp, ret, why);
		STAT_ADD(c, failures[op], 1);
		goto out;
	}
	if (etag) {
		const char *e = http_response_header(&resp, "etag");

		if (!e || buf_copy(etag, OVFS_ETAG_MAX, e))
			etag[0] = '\0';
	}
out:
	http_response_release(&resp);
	return ret;
}

static int dec_tenancy(const char *t, size_t l, void *o, char *w, size_t n)
{
	return model_tenancy_decode(t, l, o, w, n);
}

static int dec_compartment(const char *t, size_t l, void *o, char *w, size_t n)
{
	return model_compartment_decode(t, l, o, w, n);
}

static int dec_vault(const char *t, size_t l, void *o, char *w, size_t n)
{
	return model_vault_decode(t, l, o, w, n);
}

static int dec_key(const char *t, size_t l, void *o, char *w, size_t n)
{
	return model_key_decode(t, l, o, w, n);
}

static int dec_work_request(const char *t, size_t l, void *o, char *w, size_t n)
{
	return model_work_request_decode(t, l, o, w, n);
}

/* Check an OCID argument before it goes into a URL. */
static int check_ocid(const char *what, const char *id, struct oci_error *err)
{
	if (id && json_is_ocid(id))
		return 0;
	oci_error_local(err, -EINVAL, "invalid %s OCID", what);
	return -EINVAL;
}

/* A management endpoint must be an https origin without path. */
static int check_endpoint(struct oci_client *c, const char *mgmt,
			  struct oci_error *err)
{
	struct http_url u;

	(void)c;
	if (!mgmt || http_url_parse(mgmt, &u) ||
	    (strcmp(u.path, "") && strcmp(u.path, "/")) || u.query[0]) {
		oci_error_local(err, -EINVAL, "invalid management endpoint");
		return -EINVAL;
	}
	return 0;
}

/* Build base + literal path + optional escaped segments into `url`. */
static int build_url(struct buf *url, const char *base, const char *lit,
		     const char *seg, const char *tail, struct oci_error *err)
{
	int ret = url_base(url, base);

	if (!ret && lit)
		ret = url_lit(url, lit);
	if (!ret && seg)
		ret = url_seg(url, seg);
	if (!ret && tail)
		ret = url_lit(url, tail);
	if (ret)
		oci_error_local(err, ret, "request URL too long");
	return ret;
}

#define ERR_OR_DUMMY(err, dummy) \
	((err) ? (err) : (oci_error_clear(&dummy), &dummy))

/* GET base/collection/<id> and decode it: the single-resource calls. */
static int get_resource(struct oci_client *c, enum oci_op op, const char *base,
			const char *collection, const char *what,
			const char *id, decode_fn decode, void *out, char *etag,
			struct oci_error *err)
{
	struct buf url = BUF_INIT(URL_MAX);
	int ret;

	ret = check_ocid(what, id, err);
	if (!ret)
		ret = build_url(&url, base, collection, id, NULL, err);
	if (!ret)
		ret = oci_get(c, op, url.buf, decode, out, etag, err);
	buf_release(&url);
	return ret;
}

int oci_get_tenancy(struct oci_client *c, const char *tenancy_id,
		    struct oci_tenancy *out, struct oci_error *err)
{
	struct oci_error dummy;

	return get_resource(c, OCI_OP_GET_TENANCY,
			    c->endpoint[REGION_SVC_IDENTITY],
			    "20160918/tenancies", "tenancy", tenancy_id,
			    dec_tenancy, out, NULL, ERR_OR_DUMMY(err, dummy));
}

int oci_list_compartments(struct oci_client *c, const char *parent_id,
			  bool subtree, const char *access_level,
			  struct oci_compartment_list *out,
			  struct oci_error *err)
{
	const char *params[] = {"compartmentId",
				parent_id,
				"compartmentIdInSubtree",
				subtree ? "true" : NULL,
				"accessLevel",
				access_level,
				NULL};
	struct list_call lc = {
		.op = OCI_OP_LIST_COMPARTMENTS,
		.base = c->endpoint[REGION_SVC_IDENTITY],
		.path = "20160918/compartments",
		.params = params,
		.limit = c->page_limit,
		.append = compartments_append,
		.truncate = compartments_truncate,
		.count = compartments_count,
		.skips = compartments_skips,
		.dedup = compartments_dedup,
		.elem_size = sizeof(*out->v),
		.list = out,
	};
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_ocid("compartment", parent_id, err);
	if (!ret && access_level && strcmp(access_level, "ANY") &&
	    strcmp(access_level, "ACCESSIBLE")) {
		ret = -EINVAL;
		oci_error_local(err, ret,
				"accessLevel must be ANY or ACCESSIBLE");
	}
	return ret ? ret : oci_list(c, &lc, err);
}

int oci_get_compartment(struct oci_client *c, const char *compartment_id,
			struct oci_compartment *out, struct oci_error *err)
{
	struct oci_error dummy;

	return get_resource(
		c, OCI_OP_GET_COMPARTMENT, c->endpoint[REGION_SVC_IDENTITY],
		"20160918/compartments", "compartment", compartment_id,
		dec_compartment, out, NULL, ERR_OR_DUMMY(err, dummy));
}

int oci_list_vaults(struct oci_client *c, const char *compartment_id,
		    struct oci_vault_list *out, struct oci_error *err)
{
	const char *params[] = {"compartmentId", compartment_id, NULL};
	struct list_call lc = {
		.op = OCI_OP_LIST_VAULTS,
		.base = c->endpoint[REGION_SVC_KMS],
		.path = "20180608/vaults",
		.params = params,
		.limit = c->page_limit,
		.append = vaults_append,
		.truncate = vaults_truncate,
		.count = vaults_count,
		.skips = vaults_skips,
		.dedup = vaults_dedup,
		.elem_size = sizeof(*out->v),
		.list = out,
	};
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_ocid("compartment", compartment_id, err);
	return ret ? ret : oci_list(c, &lc, err);
}

int oci_get_vault(struct oci_client *c, const char *vault_id,
		  struct oci_vault *out, struct oci_error *err)
{
	struct oci_error dummy;

	return get_resource(c, OCI_OP_GET_VAULT, c->endpoint[REGION_SVC_KMS],
			    "20180608/vaults", "vault", vault_id, dec_vault,
			    out, NULL, ERR_OR_DUMMY(err, dummy));
}

int oci_list_keys(struct oci_client *c, const char *mgmt,
		  const char *compartment_id, struct oci_key_list *out,
		  struct oci_error *err)
{
	const char *params[] = {"compartmentId", compartment_id, NULL};
	struct list_call lc = {
		.op = OCI_OP_LIST_KEYS,
		.base = mgmt,
		.path = "20180608/keys",
		.params = params,
		.limit = c->page_limit,
		.append = keys_append,
		.truncate = keys_truncate,
		.count = keys_count,
		.skips = keys_skips,
		.dedup = keys_dedup,
		.elem_size = sizeof(*out->v),
		.list = out,
	};
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_endpoint(c, mgmt, err);
	if (!ret)
		ret = check_ocid("compartment", compartment_id, err);
	return ret ? ret : oci_list(c, &lc, err);
}

int oci_get_key(struct oci_client *c, const char *mgmt, const char *key_id,
		struct oci_key *out, char *etag, struct oci_error *err)
{
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_endpoint(c, mgmt, err);
	return ret ? ret
		   : get_resource(c, OCI_OP_GET_KEY, mgmt, "20180608/keys",
				  "key", key_id, dec_key, out, etag, err);
}

int oci_list_key_versions(struct oci_client *c, const char *mgmt,
			  const char *key_id, struct oci_key_version_list *out,
			  struct oci_error *err)
{
	struct buf path = BUF_INIT(URL_MAX);
	struct list_call lc = {
		.op = OCI_OP_LIST_KEY_VERSIONS,
		.base = mgmt,
		.limit = c->page_limit,
		.append = key_versions_append,
		.truncate = key_versions_truncate,
		.count = key_versions_count,
		.skips = key_versions_skips,
		.dedup = key_versions_dedup,
		.elem_size = sizeof(*out->v),
		.list = out,
	};
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_endpoint(c, mgmt, err);
	if (!ret)
		ret = check_ocid("key", key_id, err);
	if (!ret)
		ret = buf_addf(&path, "20180608/keys/%s/keyVersions", key_id);
	if (!ret) {
		lc.path = path.buf;
		ret = oci_list(c, &lc, err);
	}
	buf_release(&path);
	return ret;
}

/* ---- actions (POST) ---------------------------------------------------- */

struct action {
	enum oci_op op;
	const char *url;
	const void *body;
	size_t body_len;
	const char *content_type;
	const char *retry_token;
	const char *if_match;
	const char *content_md5;
	decode_fn decode;
	void *out;
	struct oci_action_result *res;
};

static int oci_action(struct oci_client *c, const struct action *a,
		      struct oci_error *err)
{
	char token[OCI_RETRY_TOKEN_LEN + 1];
	struct http_response resp;
	struct oci_req r = {0};
	char why[256];
	const char *h;
	int ret;

	if (a->res)
		memset(a->res, 0, sizeof(*a->res));
	r.retry_token = a->retry_token;
	if (!r.retry_token) {
		ret = crypto_random_id(token, OCI_RETRY_TOKEN_LEN);
		if (ret) {
			oci_error_local(err, -EIO, "no random numbers");
			return -EIO;
		}
		r.retry_token = token;
	}
	r.op = a->op;
	r.method = "POST";
	r.url = a->url;
	r.body = a->body;
	r.body_len = a->body_len;
	r.content_type = a->content_type;
	r.if_match = a->if_match;
	r.content_md5 = a->content_md5;
	r.idempotent = false;

	http_response_init(&resp, 0);
	ret = oci_call(c, &r, &resp, err);
	if (ret)
		goto out;
	if (a->res) {
		h = http_response_header(&resp, "etag");
		if (h)
			buf_copy(a->res->etag, sizeof(a->res->etag), h);
		buf_copy(a->res->request_id, sizeof(a->res->request_id),
			 err->request_id);
		h = http_response_header(&resp, "opc-work-request-id");
		if (h && json_is_ocid(h))
			buf_copy(a->res->work_request_id,
				 sizeof(a->res->work_request_id), h);
		h = http_response_header(&resp, "opc-content-md5");
		if (h)
			buf_copy(a->res->content_md5,
				 sizeof(a->res->content_md5), h);
	}
	ret = a->decode(resp.body.buf, resp.body.len, a->out, why, sizeof(why));
	if (ret) {
		ret = bad_body(err, &resp, ret, why);
		STAT_ADD(c, failures[a->op], 1);
	}
out:
	http_response_release(&resp);
	buf_wipe(token, sizeof(token));
	return ret;
}

static int encode_location(const struct oci_backup_location *loc,
			   int include_keys, struct buf *body,
			   struct oci_error *err)
{
	int ret;

	if (!loc) {
		oci_error_local(err, -EINVAL, "no backup location");
		return -EINVAL;
	}
	ret = model_backup_details_encode(loc, include_keys, body);
	if (ret)
		oci_error_local(err, ret, "cannot encode the backup location");
	return ret;
}

/* The URL of an action, with ?compartmentId= when given (vault restores). */
static int action_url(struct buf *url, const char *base, const char *lit,
		      const char *id, const char *tail,
		      const char *compartment_id, struct oci_error *err)
{
	int ret = build_url(url, base, lit, id, tail, err);

	if (!ret && compartment_id) {
		ret = url_query(url, "compartmentId", compartment_id);
		if (ret)
			oci_error_local(err, ret, "request URL too long");
	}
	return ret;
}

/* POST a BackupLocation body (backups and restores from Object Storage). */
static int post_location(struct oci_client *c, enum oci_op op, const char *base,
			 const char *lit, const char *id, const char *tail,
			 const char *compartment_id,
			 const struct oci_backup_location *loc,
			 int include_keys, const char *retry_token,
			 const char *if_match, decode_fn decode, void *out,
			 struct oci_action_result *res, struct oci_error *err)
{
	struct buf url = BUF_INIT(URL_MAX), body = BUF_INIT_SECRET(64 * 1024);
	struct action a = {0};
	int ret;

	ret = action_url(&url, base, lit, id, tail, compartment_id, err);
	if (!ret)
		ret = encode_location(loc, include_keys, &body, err);
	if (!ret) {
		a.op = op;
		a.url = url.buf;
		a.body = body.buf;
		a.body_len = body.len;
		a.retry_token = retry_token;
		a.if_match = if_match;
		a.decode = decode;
		a.out = out;
		a.res = res;
		ret = oci_action(c, &a, err);
	}
	buf_release(&url);
	buf_wipe_release(&body); /* may hold a PAR URL */
	return ret;
}

int oci_backup_key(struct oci_client *c, const char *mgmt, const char *key_id,
		   const struct oci_backup_location *loc,
		   const char *retry_token, const char *if_match,
		   struct oci_key *out, struct oci_action_result *res,
		   struct oci_error *err)
{
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_endpoint(c, mgmt, err);
	if (!ret)
		ret = check_ocid("key", key_id, err);
	return ret ? ret
		   : post_location(c, OCI_OP_BACKUP_KEY, mgmt, "20180608/keys",
				   key_id, "actions/backup", NULL, loc, -1,
				   retry_token, if_match, dec_key, out, res,
				   err);
}

int oci_backup_vault(struct oci_client *c, const char *vault_id,
		     const struct oci_backup_location *loc, bool include_keys,
		     const char *retry_token, const char *if_match,
		     struct oci_vault *out, struct oci_action_result *res,
		     struct oci_error *err)
{
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_ocid("vault", vault_id, err);
	return ret ? ret
		   : post_location(c, OCI_OP_BACKUP_VAULT,
				   c->endpoint[REGION_SVC_KMS],
				   "20180608/vaults", vault_id,
				   "actions/backup", NULL, loc,
				   include_keys ? 1 : 0, retry_token, if_match,
				   dec_vault, out, res, err);
}

int oci_restore_key_from_object_store(struct oci_client *c, const char *mgmt,
				      const struct oci_backup_location *loc,
				      const char *retry_token,
				      const char *if_match, struct oci_key *out,
				      struct oci_action_result *res,
				      struct oci_error *err)
{
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_endpoint(c, mgmt, err);
	return ret ? ret
		   : post_location(
			     c, OCI_OP_RESTORE_KEY_OBJECT_STORE, mgmt,
			     "20180608/keys/actions/restoreFromObjectStore",
			     NULL, NULL, NULL, loc, -1, retry_token, if_match,
			     dec_key, out, res, err);
}

/* POST raw backup bytes with content-md5 (the restores from a file). */
static int post_file(struct oci_client *c, enum oci_op op, const char *base,
		     const char *lit, const char *compartment_id,
		     const void *data, size_t len, const char *retry_token,
		     const char *if_match, decode_fn decode, void *out,
		     struct oci_action_result *res, struct oci_error *err)
{
	struct buf url = BUF_INIT(URL_MAX);
	char md5[CRYPTO_MD5_B64_LEN];
	struct action a = {0};
	int ret = 0;

	if (!data || !len) {
		ret = -EINVAL;
		oci_error_local(err, ret, "empty backup");
	}
	if (!ret)
		ret = action_url(&url, base, lit, NULL, NULL, compartment_id,
				 err);
	if (!ret) {
		ret = crypto_md5_b64(data, len, md5);
		if (ret)
			oci_error_local(err, ret, "cannot compute content-md5");
	}
	if (!ret) {
		a.op = op;
		a.url = url.buf;
		a.body = data;
		a.body_len = len;
		a.content_type = "application/octet-stream";
		a.content_md5 = md5;
		a.retry_token = retry_token;
		a.if_match = if_match;
		a.decode = decode;
		a.out = out;
		a.res = res;
		ret = oci_action(c, &a, err);
	}
	buf_release(&url);
	return ret;
}

int oci_restore_key_from_file(struct oci_client *c, const char *mgmt,
			      const void *data, size_t len,
			      const char *retry_token, const char *if_match,
			      struct oci_key *out,
			      struct oci_action_result *res,
			      struct oci_error *err)
{
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_endpoint(c, mgmt, err);
	return ret ? ret
		   : post_file(c, OCI_OP_RESTORE_KEY_FILE, mgmt,
			       "20180608/keys/actions/restoreFromFile", NULL,
			       data, len, retry_token, if_match, dec_key, out,
			       res, err);
}

int oci_restore_vault_from_object_store(
	struct oci_client *c, const char *compartment_id,
	const struct oci_backup_location *loc, const char *retry_token,
	const char *if_match, struct oci_vault *out,
	struct oci_action_result *res, struct oci_error *err)
{
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_ocid("compartment", compartment_id, err);
	return ret ? ret
		   : post_location(
			     c, OCI_OP_RESTORE_VAULT_OBJECT_STORE,
			     c->endpoint[REGION_SVC_KMS],
			     "20180608/vaults/actions/restoreFromObjectStore",
			     NULL, NULL, compartment_id, loc, -1, retry_token,
			     if_match, dec_vault, out, res, err);
}

int oci_restore_vault_from_file(struct oci_client *c,
				const char *compartment_id, const void *data,
				size_t len, const char *retry_token,
				const char *if_match, struct oci_vault *out,
				struct oci_action_result *res,
				struct oci_error *err)
{
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_ocid("compartment", compartment_id, err);
	return ret ? ret
		   : post_file(c, OCI_OP_RESTORE_VAULT_FILE,
			       c->endpoint[REGION_SVC_KMS],
			       "20180608/vaults/actions/restoreFromFile",
			       compartment_id, data, len, retry_token, if_match,
			       dec_vault, out, res, err);
}

/* ---- work requests ---------------------------------------------------- */

int oci_get_work_request(struct oci_client *c, const char *wr_id,
			 struct oci_work_request *out, struct oci_error *err)
{
	struct oci_error dummy;

	return get_resource(c, OCI_OP_GET_WORK_REQUEST,
			    c->endpoint[REGION_SVC_WORKREQUESTS],
			    "20160918/workRequests", "work request", wr_id,
			    dec_work_request, out, NULL,
			    ERR_OR_DUMMY(err, dummy));
}

int oci_list_work_request_errors(struct oci_client *c, const char *wr_id,
				 struct oci_wr_error_list *out,
				 struct oci_error *err)
{
	struct buf path = BUF_INIT(URL_MAX);
	struct list_call lc = {
		.op = OCI_OP_LIST_WORK_REQUEST_ERRORS,
		.base = c->endpoint[REGION_SVC_WORKREQUESTS],
		.limit = c->page_limit,
		.append = wr_errors_append,
		.truncate = wr_errors_truncate,
		.count = wr_errors_count,
		.skips = wr_errors_skips,
		.elem_size = sizeof(*out->v),
		.list = out,
	};
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_ocid("work request", wr_id, err);
	if (!ret)
		ret = buf_addf(&path, "20160918/workRequests/%s/errors", wr_id);
	if (!ret) {
		lc.path = path.buf;
		ret = oci_list(c, &lc, err);
	}
	buf_release(&path);
	return ret;
}

int oci_list_work_requests(struct oci_client *c, const char *compartment_id,
			   const char *resource_id,
			   struct oci_work_request_list *out,
			   struct oci_error *err)
{
	const char *params[] = {"compartmentId", compartment_id, "resourceId",
				resource_id, NULL};
	struct list_call lc = {
		.op = OCI_OP_LIST_WORK_REQUESTS,
		.base = c->endpoint[REGION_SVC_WORKREQUESTS],
		.path = "20160918/workRequests",
		.params = params,
		.limit = c->page_limit,
		.append = work_requests_append,
		.truncate = work_requests_truncate,
		.count = work_requests_count,
		.skips = work_requests_skips,
		.elem_size = sizeof(*out->v),
		.list = out,
	};
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_ocid("compartment", compartment_id, err);
	if (!ret && resource_id)
		ret = check_ocid("resource", resource_id, err);
	return ret ? ret : oci_list(c, &lc, err);
}

/* ---- Object Storage ----------------------------------------------------- */

struct ns_out {
	char *ns;
};

static int dec_namespace(const char *t, size_t l, void *o, char *w, size_t n)
{
	struct ns_out *out = o;

	return model_namespace_decode(t, l, out->ns, OVFS_NS_MAX, w, n);
}

int oci_get_namespace(struct oci_client *c, const char *compartment_id,
		      char *ns, struct oci_error *err)
{
	struct buf url = BUF_INIT(URL_MAX);
	struct ns_out out = {ns};
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = compartment_id ? check_ocid("compartment", compartment_id, err)
			     : 0;
	if (!ret)
		ret = build_url(&url, c->endpoint[REGION_SVC_OBJECTSTORAGE],
				"n", NULL, NULL, err);
	if (!ret && compartment_id)
		ret = url_query(&url, "compartmentId", compartment_id);
	if (!ret)
		ret = oci_get(c, OCI_OP_GET_NAMESPACE, url.buf, dec_namespace,
			      &out, NULL, err);
	buf_release(&url);
	return ret;
}

int oci_list_buckets(struct oci_client *c, const char *ns,
		     const char *compartment_id, struct oci_bucket_list *out,
		     struct oci_error *err)
{
	const char *params[] = {"compartmentId", compartment_id, NULL};
	struct buf path = BUF_INIT(URL_MAX);
	struct list_call lc = {
		.op = OCI_OP_LIST_BUCKETS,
		.base = c->endpoint[REGION_SVC_OBJECTSTORAGE],
		.params = params,
		/* Object Storage allows 1..1000 per page. */
		.limit = c->page_limit > 1000 ? 1000 : c->page_limit,
		.append = buckets_append,
		.truncate = buckets_truncate,
		.count = buckets_count,
		.skips = buckets_skips,
		.elem_size = sizeof(*out->v),
		.list = out,
	};
	struct oci_error dummy;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	ret = check_ocid("compartment", compartment_id, err);
	if (!ret && (!ns || !*ns)) {
		ret = -EINVAL;
		oci_error_local(err, ret, "no namespace");
	}
	if (!ret)
		ret = buf_adds(&path, "n/");
	if (!ret)
		ret = http_escape(ns, strlen(ns), &path);
	if (!ret)
		ret = buf_adds(&path, "/b");
	if (!ret) {
		lc.path = path.buf;
		ret = oci_list(c, &lc, err);
	}
	buf_release(&path);
	return ret;
}

/* The Object Storage URL of a bucket's objects: .../n/NS/b/BUCKET/o */
static int objects_url(struct oci_client *c, struct buf *url, const char *ns,
		       const char *bucket, struct oci_error *err)
{
	int ret = build_url(url, c->endpoint[REGION_SVC_OBJECTSTORAGE], "n", ns,
			    NULL, err);

	if (!ret)
		ret = url_lit(url, "b");
	if (!ret)
		ret = url_seg(url, bucket);
	if (!ret)
		ret = url_lit(url, "o");
	return ret;
}

int oci_head_object(struct oci_client *c, const char *ns, const char *bucket,
		    const char *object, struct oci_object_head *out,
		    struct oci_error *err)
{
	struct buf url = BUF_INIT(URL_MAX);
	struct http_response resp;
	struct oci_req r = {
		.op = OCI_OP_HEAD_OBJECT, .method = "HEAD", .idempotent = true};
	struct oci_error dummy;
	const char *h;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	http_response_init(&resp, 0);
	memset(out, 0, sizeof(*out));
	out->content_length = -1;
	if (!ns || !*ns || !bucket || !*bucket || !object || !*object) {
		ret = -EINVAL;
		oci_error_local(err, ret,
				"namespace, bucket and object needed");
		goto out;
	}
	ret = objects_url(c, &url, ns, bucket, err);
	if (!ret)
		ret = url_object(&url, object);
	if (ret) {
		oci_error_local(err, ret, "request URL too long");
		goto out;
	}
	r.url = url.buf;
	ret = oci_call(c, &r, &resp, err);
	if (ret)
		goto out;
	h = http_response_header(&resp, "content-length");
	if (h) {
		char *end;
		long long v = strtoll(h, &end, 10);

		if (end != h && !*end && v >= 0)
			out->content_length = v;
	}
	h = http_response_header(&resp, "etag");
	if (h)
		buf_copy(out->etag, sizeof(out->etag), h);
	h = http_response_header(&resp, "content-md5");
	if (h)
		buf_copy(out->content_md5, sizeof(out->content_md5), h);
	h = http_response_header(&resp, "last-modified");
	if (h)
		buf_copy(out->last_modified, sizeof(out->last_modified), h);
out:
	buf_release(&url);
	http_response_release(&resp);
	return ret;
}

int oci_list_objects(struct oci_client *c, const char *ns, const char *bucket,
		     const char *prefix, const char *start, unsigned int limit,
		     struct oci_object_list *out, char *next,
		     struct oci_error *err)
{
	struct buf url = BUF_INIT(URL_MAX);
	struct http_response resp;
	struct oci_req r = {
		.op = OCI_OP_LIST_OBJECTS, .method = "GET", .idempotent = true};
	struct oci_error dummy;
	char lim[16], why[256];
	size_t n0 = out->n;
	int ret;

	err = ERR_OR_DUMMY(err, dummy);
	http_response_init(&resp, 0);
	next[0] = '\0';
	if (!ns || !*ns || !bucket || !*bucket || limit < 1 || limit > 1000) {
		ret = -EINVAL;
		oci_error_local(err, ret, "namespace, bucket and limit needed");
		goto out;
	}
	snprintf(lim, sizeof(lim), "%u", limit);
	ret = objects_url(c, &url, ns, bucket, err);
	if (!ret && prefix && *prefix)
		ret = url_query(&url, "prefix", prefix);
	if (!ret && start && *start)
		ret = url_query(&url, "start", start);
	if (!ret)
		ret = url_query(&url, "limit", lim);
	if (!ret)
		ret = url_query(&url, "fields", "name,size,timeCreated");
	if (ret) {
		oci_error_local(err, ret, "request URL too long");
		goto out;
	}
	r.url = url.buf;
	ret = oci_call(c, &r, &resp, err);
	if (ret)
		goto out;
	ret = model_objects_append(resp.body.buf, resp.body.len, out, next,
				   OVFS_OBJECT_MAX, NULL, why, sizeof(why));
	if (ret) {
		ret = bad_body(err, &resp, ret, why);
		STAT_ADD(c, failures[r.op], 1);
		while (out->n > n0)
			out->n--;
	}
out:
	buf_release(&url);
	http_response_release(&resp);
	return ret;
}
