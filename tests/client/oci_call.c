/* SPDX-License-Identifier: MIT */
/*
 * oci-call: run one OCI client call from the command line and print the
 * decoded result as one JSON object, for the client integration tests
 * (tests/client) and for poking at the emulator by hand.
 *
 *   oci-call [options] OPERATION [ARGS...]
 *
 * Options: --config FILE --profile NAME --endpoint URL --cacert FILE
 *   --attempts N --base-ms N --cap-ms N --total-ms N --rate R --burst B
 *   --page-limit N --timeout-ms N --max-response BYTES --repeat N
 *   --threads N --token T --if-match E --trace --stats
 * Exit status: 0 success, 1 the call failed (an "error" object is
 * printed), 2 usage.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "oci.h"
#include "profile.h"

struct args {
	const char *config, *profile, *endpoint, *cacert, *token, *if_match;
	struct oci_client_opts opts;
	unsigned int repeat, threads;
	bool stats;
	int argc;
	char **argv;
};

/*
 * The JSON output is built with these: the first failure (output over the
 * buffer's cap, out of memory) is remembered and reported by out_put()
 * instead of printing a truncated document.
 */
static int out_err;

static void out_add(struct buf *o, const void *p, size_t n)
{
	int ret = buf_add(o, p, n);

	if (ret && !out_err)
		out_err = ret;
}

static void out_adds(struct buf *o, const char *s)
{
	out_add(o, s, strlen(s));
}

static void out_addch(struct buf *o, char c)
{
	out_add(o, &c, 1);
}

__attribute__((format(printf, 2, 3))) static void out_addf(struct buf *o,
							   const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = buf_vaddf(o, fmt, ap);
	va_end(ap);
	if (ret && !out_err)
		out_err = ret;
}

/* Print the document, or why it could not be built. */
static void out_put(const struct buf *o)
{
	if (out_err)
		fprintf(stderr, "oci-call: output not complete: %s\n",
			strerror(-out_err));
	else
		puts(o->buf);
}

static void json_str(struct buf *o, const char *s)
{
	out_addch(o, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			out_addf(o, "\\%c", ch);
		else if (ch < 0x20)
			out_addf(o, "\\u%04x", ch);
		else
			out_addch(o, (char)ch);
	}
	out_addch(o, '"');
}

static void kv(struct buf *o, const char *k, const char *v, bool comma)
{
	json_str(o, k);
	out_addch(o, ':');
	json_str(o, v);
	if (comma)
		out_addch(o, ',');
}

static void kvi(struct buf *o, const char *k, long long v, bool comma)
{
	json_str(o, k);
	out_addf(o, ":%lld%s", v, comma ? "," : "");
}

static void print_error(const struct oci_error *e, int ret)
{
	struct buf o = BUF_INIT(1 << 20);
	char line[2048];

	oci_error_format(e, line, sizeof(line));
	out_adds(&o, "{\"error\":{");
	kvi(&o, "errno", -ret, true);
	kv(&o, "errname", strerrorname_np(-ret) ? strerrorname_np(-ret) : "?",
	   true);
	kvi(&o, "status", e->http_status, true);
	kv(&o, "net", oci_error_net_name(e->net), true);
	kv(&o, "code", e->code, true);
	kv(&o, "message", e->message, true);
	kv(&o, "request_id", e->request_id, true);
	kv(&o, "operation", e->operation, true);
	kvi(&o, "attempts", e->attempts, true);
	kv(&o, "text", line, false);
	out_adds(&o, "}}");
	out_put(&o);
	buf_release(&o);
}

static void key_json(struct buf *o, const struct oci_key *k)
{
	out_addch(o, '{');
	kv(o, "id", k->id, true);
	kv(o, "displayName", k->display_name, true);
	kv(o, "lifecycleState", k->lifecycle_state, true);
	kv(o, "protectionMode", k->protection_mode, true);
	kv(o, "vaultId", k->vault_id, true);
	kv(o, "compartmentId", k->compartment_id, true);
	kv(o, "currentKeyVersion", k->current_key_version, false);
	out_addch(o, '}');
}

static void vault_json(struct buf *o, const struct oci_vault *v)
{
	out_addch(o, '{');
	kv(o, "id", v->id, true);
	kv(o, "displayName", v->display_name, true);
	kv(o, "lifecycleState", v->lifecycle_state, true);
	kv(o, "vaultType", v->vault_type, true);
	kv(o, "managementEndpoint", v->management_endpoint, true);
	kv(o, "compartmentId", v->compartment_id, false);
	out_addch(o, '}');
}

static void action_json(struct buf *o, const struct oci_action_result *r)
{
	kv(o, "etag", r->etag, true);
	kv(o, "requestId", r->request_id, true);
	kv(o, "workRequestId", r->work_request_id, true);
	kv(o, "contentMd5", r->content_md5, true);
}

/* BUCKET location "ns/bucket/object" or a PAR URI "https://..." */
static int parse_location(const char *s, struct oci_backup_location *loc)
{
	const char *a, *b;

	memset(loc, 0, sizeof(*loc));
	if (!strncmp(s, "https://", 8)) {
		loc->dest = OCI_BACKUP_PAR_URI;
		return buf_copy(loc->uri, sizeof(loc->uri), s);
	}
	loc->dest = OCI_BACKUP_BUCKET;
	a = strchr(s, '/');
	b = a ? strchr(a + 1, '/') : NULL;
	if (!a || !b)
		return -EINVAL;
	snprintf(loc->namespace_name, sizeof(loc->namespace_name), "%.*s",
		 (int)(a - s), s);
	snprintf(loc->bucket, sizeof(loc->bucket), "%.*s", (int)(b - a - 1),
		 a + 1);
	return buf_copy(loc->object, sizeof(loc->object), b + 1);
}

static char *read_file(const char *path, size_t *len)
{
	struct buf b = BUF_INIT(64u << 20);
	char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&b, chunk, n))
			break;
	fclose(f);
	return buf_detach(&b, len);
}

#define NEED(n)                                          \
	do {                                             \
		if (argc < (n)) {                        \
			fprintf(stderr,                  \
				"oci-call: %s needs %d " \
				"argument(s)\n",         \
				op, (n));                \
			return -EINVAL;                  \
		}                                        \
	} while (0)

/* Run the operation once; print the result into `o`. */
static int run_op(struct oci_client *c, const struct args *a, struct buf *o,
		  struct oci_error *err)
{
	const char *op = a->argv[0];
	char **av = a->argv + 1;
	int argc = a->argc - 1;
	int ret = -EINVAL;

	if (!strcmp(op, "get-tenancy")) {
		struct oci_tenancy t = {0};

		ret = oci_get_tenancy(c, argc ? av[0] : oci_client_tenancy(c),
				      &t, err);
		if (!ret) {
			out_addch(o, '{');
			kv(o, "id", t.id, true);
			kv(o, "name", t.name, true);
			kv(o, "homeRegionKey", t.home_region_key, false);
			out_addch(o, '}');
		}
		model_tenancy_release(&t);
	} else if (!strcmp(op, "list-compartments")) {
		struct oci_compartment_list l = {0};
		bool subtree = false;
		const char *access = NULL;

		NEED(1);
		for (int i = 1; i < argc; i++) {
			if (!strcmp(av[i], "--subtree"))
				subtree = true;
			else if (!strcmp(av[i], "--access") && i + 1 < argc)
				access = av[++i];
		}
		ret = oci_list_compartments(c, av[0], subtree, access, &l, err);
		if (!ret) {
			out_addf(o, "{\"count\":%zu,\"items\":[", l.n);
			for (size_t i = 0; i < l.n; i++) {
				out_adds(o, i ? ",{" : "{");
				kv(o, "id", l.v[i].id, true);
				kv(o, "name", l.v[i].name, true);
				kv(o, "parent", l.v[i].compartment_id, true);
				kv(o, "lifecycleState", l.v[i].lifecycle_state,
				   false);
				out_addch(o, '}');
			}
			out_adds(o, "]}");
		}
		oci_compartment_list_release(&l);
	} else if (!strcmp(op, "get-compartment")) {
		struct oci_compartment cp = {0};

		NEED(1);
		ret = oci_get_compartment(c, av[0], &cp, err);
		if (!ret) {
			out_addch(o, '{');
			kv(o, "id", cp.id, true);
			kv(o, "name", cp.name, true);
			kv(o, "lifecycleState", cp.lifecycle_state, false);
			out_addch(o, '}');
		}
		model_compartment_release(&cp);
	} else if (!strcmp(op, "list-vaults")) {
		struct oci_vault_list l = {0};

		NEED(1);
		ret = oci_list_vaults(c, av[0], &l, err);
		if (!ret) {
			out_addf(o, "{\"count\":%zu,\"items\":[", l.n);
			for (size_t i = 0; i < l.n; i++) {
				if (i)
					out_addch(o, ',');
				vault_json(o, &l.v[i]);
			}
			out_adds(o, "]}");
		}
		oci_vault_list_release(&l);
	} else if (!strcmp(op, "get-vault")) {
		struct oci_vault v = {0};

		NEED(1);
		ret = oci_get_vault(c, av[0], &v, err);
		if (!ret)
			vault_json(o, &v);
		model_vault_release(&v);
	} else if (!strcmp(op, "list-keys")) {
		struct oci_key_list l = {0};

		NEED(2);
		ret = oci_list_keys(c, av[0], av[1], &l, err);
		if (!ret) {
			out_addf(o, "{\"count\":%zu,\"items\":[", l.n);
			for (size_t i = 0; i < l.n; i++) {
				if (i)
					out_addch(o, ',');
				key_json(o, &l.v[i]);
			}
			out_adds(o, "]}");
		}
		oci_key_list_release(&l);
	} else if (!strcmp(op, "get-key")) {
		struct oci_key k = {0};
		char etag[OVFS_ETAG_MAX];

		NEED(2);
		ret = oci_get_key(c, av[0], av[1], &k, etag, err);
		if (!ret) {
			out_adds(o, "{\"key\":");
			key_json(o, &k);
			out_addch(o, ',');
			kv(o, "etag", etag, false);
			out_addch(o, '}');
		}
		model_key_release(&k);
	} else if (!strcmp(op, "list-key-versions")) {
		struct oci_key_version_list l = {0};

		NEED(2);
		ret = oci_list_key_versions(c, av[0], av[1], &l, err);
		if (!ret) {
			out_addf(o, "{\"count\":%zu,\"items\":[", l.n);
			for (size_t i = 0; i < l.n; i++) {
				out_adds(o, i ? ",{" : "{");
				kv(o, "id", l.v[i].id, true);
				kv(o, "keyId", l.v[i].key_id, false);
				out_addch(o, '}');
			}
			out_adds(o, "]}");
		}
		oci_key_version_list_release(&l);
	} else if (!strcmp(op, "backup-key") || !strcmp(op, "restore-key-os")) {
		struct oci_backup_location loc;
		struct oci_action_result res;
		struct oci_key k = {0};
		bool backup = !strcmp(op, "backup-key");

		NEED(backup ? 3 : 2);
		if (parse_location(av[backup ? 2 : 1], &loc))
			return -EINVAL;
		if (backup)
			ret = oci_backup_key(c, av[0], av[1], &loc, a->token,
					     a->if_match, &k, &res, err);
		else
			ret = oci_restore_key_from_object_store(
				c, av[0], &loc, a->token, a->if_match, &k, &res,
				err);
		if (!ret) {
			out_addch(o, '{');
			action_json(o, &res);
			out_adds(o, "\"key\":");
			key_json(o, &k);
			out_addch(o, '}');
		}
		model_key_release(&k);
	} else if (!strcmp(op, "restore-key-file")) {
		struct oci_action_result res;
		struct oci_key k = {0};
		size_t len = 0;
		char *data;

		NEED(2);
		data = read_file(av[1], &len);
		if (!data)
			return -errno;
		ret = oci_restore_key_from_file(c, av[0], data, len, a->token,
						a->if_match, &k, &res, err);
		free(data);
		if (!ret) {
			out_addch(o, '{');
			action_json(o, &res);
			out_adds(o, "\"key\":");
			key_json(o, &k);
			out_addch(o, '}');
		}
		model_key_release(&k);
	} else if (!strcmp(op, "backup-vault")) {
		struct oci_backup_location loc;
		struct oci_action_result res;
		struct oci_vault v = {0};

		NEED(2);
		if (parse_location(av[1], &loc))
			return -EINVAL;
		ret = oci_backup_vault(c, av[0], &loc,
				       argc > 2 &&
					       !strcmp(av[2], "--include-keys"),
				       a->token, a->if_match, &v, &res, err);
		if (!ret) {
			out_addch(o, '{');
			action_json(o, &res);
			out_adds(o, "\"vault\":");
			vault_json(o, &v);
			out_addch(o, '}');
		}
		model_vault_release(&v);
	} else if (!strcmp(op, "get-work-request")) {
		struct oci_work_request wr = {0};

		NEED(1);
		ret = oci_get_work_request(c, av[0], &wr, err);
		if (!ret) {
			out_addch(o, '{');
			kv(o, "id", wr.id, true);
			kv(o, "status", wr.status, true);
			kv(o, "operationType", wr.operation_type, true);
			out_addf(o, "\"percentComplete\":%.1f,",
				 wr.percent_complete);
			kvi(o, "resources", (long long)wr.nresources, false);
			out_addch(o, '}');
		}
		model_work_request_release(&wr);
	} else if (!strcmp(op, "list-work-requests")) {
		struct oci_work_request_list l = {0};

		NEED(2);
		ret = oci_list_work_requests(c, av[0], av[1][0] ? av[1] : NULL,
					     &l, err);
		if (!ret) {
			out_addf(o, "{\"count\":%zu,\"items\":[", l.n);
			for (size_t i = 0; i < l.n; i++) {
				out_adds(o, i ? ",{" : "{");
				kv(o, "id", l.v[i].id, true);
				kv(o, "status", l.v[i].status, true);
				kv(o, "operationType", l.v[i].operation_type,
				   false);
				out_addch(o, '}');
			}
			out_adds(o, "]}");
		}
		oci_work_request_list_release(&l);
	} else if (!strcmp(op, "list-wr-errors")) {
		struct oci_wr_error_list l = {0};

		NEED(1);
		ret = oci_list_work_request_errors(c, av[0], &l, err);
		if (!ret) {
			out_addf(o, "{\"count\":%zu,\"items\":[", l.n);
			for (size_t i = 0; i < l.n; i++) {
				out_adds(o, i ? ",{" : "{");
				kv(o, "code", l.v[i].code, true);
				kv(o, "message", l.v[i].message, false);
				out_addch(o, '}');
			}
			out_adds(o, "]}");
		}
		oci_wr_error_list_release(&l);
	} else if (!strcmp(op, "get-namespace")) {
		char ns[OVFS_NS_MAX];

		ret = oci_get_namespace(c, argc ? av[0] : NULL, ns, err);
		if (!ret) {
			out_addch(o, '{');
			kv(o, "namespace", ns, false);
			out_addch(o, '}');
		}
	} else if (!strcmp(op, "list-buckets")) {
		struct oci_bucket_list l = {0};

		NEED(2);
		ret = oci_list_buckets(c, av[0], av[1], &l, err);
		if (!ret) {
			out_addf(o, "{\"count\":%zu,\"items\":[", l.n);
			for (size_t i = 0; i < l.n; i++) {
				out_adds(o, i ? ",{" : "{");
				kv(o, "name", l.v[i].name, true);
				kv(o, "namespace", l.v[i].namespace_name,
				   false);
				out_addch(o, '}');
			}
			out_adds(o, "]}");
		}
		oci_bucket_list_release(&l);
	} else if (!strcmp(op, "head-object")) {
		struct oci_object_head h;

		NEED(3);
		ret = oci_head_object(c, av[0], av[1], av[2], &h, err);
		if (!ret) {
			out_addch(o, '{');
			kvi(o, "contentLength", h.content_length, true);
			kv(o, "etag", h.etag, true);
			kv(o, "contentMd5", h.content_md5, false);
			out_addch(o, '}');
		}
	} else {
		fprintf(stderr, "oci-call: unknown operation '%s'\n", op);
		return -EINVAL;
	}
	return ret;
}

struct worker {
	struct oci_client *c;
	const struct args *a;
	unsigned int n;
	int failures;
	int last_ret;
	struct oci_error err;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned int i = 0; i < w->n; i++) {
		struct buf o = BUF_INIT(64u << 20);
		struct oci_error e;
		int ret = run_op(w->c, w->a, &o, &e);

		if (ret) {
			w->failures++;
			w->last_ret = ret;
			w->err = e;
		}
		buf_release(&o);
	}
	return NULL;
}

static void print_stats(struct oci_client *c)
{
	struct buf o = BUF_INIT(1 << 20);
	struct oci_stats s;
	bool first = true;

	oci_client_stats(c, &s);
	out_adds(&o, "{\"stats\":{\"calls\":{");
	for (int i = 0; i < OCI_OP_COUNT; i++) {
		if (!s.requests[i] && !s.calls[i])
			continue;
		out_addf(&o, "%s\"%s\":[%llu,%llu,%llu]", first ? "" : ",",
			 oci_op_name((enum oci_op)i),
			 (unsigned long long)s.calls[i],
			 (unsigned long long)s.requests[i],
			 (unsigned long long)s.failures[i]);
		first = false;
	}
	out_addf(&o,
		 "},\"retries\":%llu,\"throttled\":%llu,"
		 "\"connections\":%llu}}",
		 (unsigned long long)s.retries, (unsigned long long)s.throttled,
		 (unsigned long long)s.connections);
	out_put(&o);
	buf_release(&o);
}

static int parse_args(int argc, char **argv, struct args *a)
{
	struct retry_policy def = RETRY_POLICY_DEFAULT;
	int i;

	memset(a, 0, sizeof(*a));
	a->opts.retry = def;
	a->repeat = 1;
	a->threads = 1;
	for (int k = 0; k < RATELIMIT_NCAT; k++)
		a->opts.rates[k] =
			k == RATELIMIT_OTHER ? 0 : RATELIMIT_DEFAULT_RATE;
	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--trace")) {
			a->opts.trace = true;
			continue;
		}
		if (!strcmp(o, "--stats")) {
			a->stats = true;
			continue;
		}
		if (!v)
			return -EINVAL;
		i++;
		if (!strcmp(o, "--config"))
			a->config = v;
		else if (!strcmp(o, "--profile"))
			a->profile = v;
		else if (!strcmp(o, "--endpoint"))
			a->endpoint = v;
		else if (!strcmp(o, "--cacert"))
			a->cacert = v;
		else if (!strcmp(o, "--token"))
			a->token = v;
		else if (!strcmp(o, "--if-match"))
			a->if_match = v;
		else if (!strcmp(o, "--attempts"))
			a->opts.retry.max_attempts =
				(unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(o, "--base-ms"))
			a->opts.retry.base_ms = strtoull(v, NULL, 10);
		else if (!strcmp(o, "--cap-ms"))
			a->opts.retry.cap_ms = strtoull(v, NULL, 10);
		else if (!strcmp(o, "--jitter-ms"))
			a->opts.retry.jitter_ms = strtoull(v, NULL, 10);
		else if (!strcmp(o, "--total-ms"))
			a->opts.retry.max_total_ms = strtoull(v, NULL, 10);
		else if (!strcmp(o, "--rate")) {
			for (int k = 0; k < RATELIMIT_NCAT; k++)
				if (k != RATELIMIT_OTHER)
					a->opts.rates[k] = strtod(v, NULL);
		} else if (!strcmp(o, "--burst"))
			a->opts.burst = strtod(v, NULL);
		else if (!strcmp(o, "--page-limit"))
			a->opts.page_limit = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(o, "--timeout-ms"))
			a->opts.timeout_ms = strtol(v, NULL, 10);
		else if (!strcmp(o, "--max-response"))
			a->opts.max_response = strtoul(v, NULL, 10);
		else if (!strcmp(o, "--repeat"))
			a->repeat = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(o, "--threads"))
			a->threads = (unsigned)strtoul(v, NULL, 10);
		else
			return -EINVAL;
	}
	a->opts.rates_set = true;
	a->argc = argc - i;
	a->argv = argv + i;
	if (a->argc < 1 || !a->repeat || !a->threads || a->threads > 64)
		return -EINVAL;
	return 0;
}

static void log_to_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	fprintf(stderr, "oci-call: %s: %s\n", log_level_name(level), msg);
}

int main(int argc, char **argv)
{
	struct logger lg = {log_to_stderr, NULL, LOG_DEBUG};
	struct profile prof = PROFILE_INIT;
	struct oci_client *c = NULL;
	struct oci_error err;
	struct args a;
	char why[512];
	int ret, rc = 1;

	if (parse_args(argc, argv, &a)) {
		fprintf(stderr, "usage: oci-call [options] OPERATION [ARGS]\n");
		return 2;
	}
	if (!a.opts.trace)
		lg.max_level = LOG_INFO;
	a.opts.log = &lg;
	a.opts.endpoint = a.endpoint;
	a.opts.ca_file = a.cacert;
	if (http_global_init())
		return 1;
	ret = profile_load(&prof, a.config, a.profile, why, sizeof(why));
	if (ret) {
		oci_error_clear(&err);
		oci_error_local(&err, ret, "%s", why);
		print_error(&err, ret);
		goto out;
	}
	ret = oci_client_new(&c, &prof, &a.opts, &err);
	if (ret) {
		print_error(&err, ret);
		goto out;
	}
	if (a.repeat == 1 && a.threads == 1) {
		struct buf o = BUF_INIT(64u << 20);

		ret = run_op(c, &a, &o, &err);
		if (ret == -EINVAL && !oci_error_is_set(&err)) {
			rc = 2;
		} else if (ret) {
			print_error(&err, ret);
		} else {
			out_put(&o);
			rc = 0;
		}
		buf_release(&o);
	} else {
		struct worker w[64];
		pthread_t th[64];
		int failures = 0;

		for (unsigned int t = 0; t < a.threads; t++) {
			memset(&w[t], 0, sizeof(w[t]));
			w[t].c = c;
			w[t].a = &a;
			w[t].n = a.repeat / a.threads +
				 (t < a.repeat % a.threads ? 1 : 0);
			pthread_create(&th[t], NULL, worker_main, &w[t]);
		}
		for (unsigned int t = 0; t < a.threads; t++) {
			pthread_join(th[t], NULL);
			failures += w[t].failures;
			if (w[t].failures)
				print_error(&w[t].err, w[t].last_ret);
		}
		printf("{\"repeat\":%u,\"failures\":%d}\n", a.repeat, failures);
		rc = failures ? 1 : 0;
	}
	if (a.stats)
		print_stats(c);
out:
	oci_client_free(c);
	profile_release(&prof);
	http_global_cleanup();
	return rc;
}
