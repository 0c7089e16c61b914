/* SPDX-License-Identifier: MIT */
/* target: the backup control file's target grammar and the name template. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "http.h"
#include "model.h"
#include "region.h"
#include "target.h"
#include "banned.h"

/* Object Storage limits (docs/backup-targets.md, "Names"). */
#define NS_LEN_MAX 128
#define BUCKET_LEN_MAX 256
#define OBJECT_LEN_MAX 1024
/* User text quoted in a reason is cut to this many bytes. */
#define ECHO_MAX 64

#define PAR_SHAPE "https://HOST/p/TOKEN/n/NAMESPACE/b/BUCKET/o/[OBJECT]"
#define NS_RULE "1 to 128 letters, digits, '-' and '_'"
#define BUCKET_RULE \
	"1 to 256 letters, digits, '-', '_' and '.'; not '.' or '..'"
#define HTTP_REFUSED \
	"http:// is refused: use the https:// URL of the pre-authenticated request"
#define TEMPLATE_KEYS                                                  \
	"{key} {key_id} {key_short} {vault} {vault_id} {vault_short} " \
	"{compartment} {time} {date}"
/* {key_short}: this many trailing characters of the key OCID. */
#define KEY_SHORT_LEN 12

static const char UTF8_BOM[] = "\xef\xbb\xbf";

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t why_n,
						      const char *fmt, ...)
{
	va_list ap;

	if (why && why_n) {
		va_start(ap, fmt);
		vsnprintf(why, why_n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* C0, DEL and C1 (U+0080..U+009F, "\xc2\x80".."\xc2\x9f"). */
static bool is_control_at(const unsigned char *s)
{
	return *s < 0x20 || *s == 0x7f ||
	       (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f);
}

/*
 * Quote user text in a reason: at most ECHO_MAX bytes, cut between
 * characters, with anything unprintable or not UTF-8 shown as '?', so that
 * a status line stays one line, and PAR tokens ("/p/TOKEN") redacted.
 */
static const char *echo(const char *s, size_t len, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;

	while (i < len && p[i]) {
		size_t k = buf_utf8_seq(p + i, len - i);

		if (!k || is_control_at(p + i) || i + k > len) {
			k = !k || i + k > len ? 1 : k;
			if (o + 1 > ECHO_MAX || o + 1 >= n)
				break;
			out[o++] = '?';
		} else {
			if (o + k > ECHO_MAX || o + k >= n)
				break;
			memcpy(out + o, p + i, k);
			o += k;
		}
		i += k;
	}
	if (i < len && p[i] && o + 3 < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	/* A PAR URL pasted into the wrong field must not be quoted back
	 * with its token (found by tests/fuzz/fuzz_target.c). */
	target_redact_text(out);
	return out;
}

/*
 * Does a '/'-separated segment of s[0, len) equal "." or ".."?  Such a
 * name cannot be sent as an Object Storage path without meaning another
 * one: RFC 3986 §5.2.4 clients and servers resolve dot segments (curl
 * does unless told not to, and "%2E" is the same character), so HeadObject
 * and ListObjects could name an object other than the BackupKey's, or
 * reach outside the bucket.  They are refused before any call.
 */
static bool has_dot_segment(const char *s, size_t len)
{
	size_t i = 0;

	while (i <= len) {
		size_t n = 0;

		while (i + n < len && s[i + n] != '/')
			n++;
		if ((n == 1 && s[i] == '.') ||
		    (n == 2 && s[i] == '.' && s[i + 1] == '.'))
			return true;
		i += n + 1;
	}
	return false;
}

/* Why `s` is not a valid object name, or NULL when it is one. */
static const char *object_problem(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	if (!len)
		return "is empty";
	if (len > OBJECT_LEN_MAX)
		return "is longer than 1024 bytes";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "is '.' or '..'";
	if (s[0] == '/')
		return "starts with '/'";
	if (has_dot_segment(s, len))
		return "has a '.' or '..' segment";
	while (*p) {
		size_t k = buf_utf8_seq(p, 4);

		if (!k)
			return "is not valid UTF-8";
		if (is_control_at(p))
			return "contains a control character";
		p += k;
	}
	return NULL;
}

static bool valid_ns_n(const char *s, size_t len)
{
	if (!len || len > NS_LEN_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* "." and ".." would be path segments in a PAR URL, and are no names. */
static bool valid_bucket_n(const char *s, size_t len)
{
	if (!len || len > BUCKET_LEN_MAX || (s[0] == '.' && len == 1) ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return false;
	return true;
}

bool target_valid_namespace(const char *s)
{
	return s && valid_ns_n(s, strlen(s));
}

bool target_valid_bucket(const char *s)
{
	return s && valid_bucket_n(s, strlen(s));
}

bool target_valid_object(const char *s)
{
	return s && !object_problem(s);
}

/* ---- the name template ------------------------------------------------- */

struct out_name {
	char s[OBJECT_LEN_MAX + 1];
	size_t len;
	bool overflow;
};

static void put(struct out_name *o, const char *s, size_t len)
{
	if (o->overflow || o->len + len > OBJECT_LEN_MAX) {
		o->overflow = true;
		return;
	}
	memcpy(o->s + o->len, s, len);
	o->len += len;
}

/* A substituted value: '/' and control characters become '_'. */
static void put_value(struct out_name *o, const char *v)
{
	const unsigned char *p = (const unsigned char *)(v ? v : "");

	while (*p) {
		if (*p == '/' || is_control_at(p)) {
			put(o, "_", 1);
			p += *p == 0xc2 ? 2 : 1;
		} else {
			put(o, (const char *)p, 1);
			p++;
		}
	}
}

/* {time} is YYYYmmddTHHMMSSZ, {date} YYYYmmdd, both UTC. */
static int put_time(struct out_name *o, int64_t now, bool date_only)
{
	time_t t = (time_t)now;
	struct tm tm;
	char tmp[32];
	size_t len;

	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	if (date_only)
		len = strftime(tmp, sizeof(tmp), "%Y%m%d", &tm);
	else
		len = strftime(tmp, sizeof(tmp), "%Y%m%dT%H%M%SZ", &tm);
	if (!len)
		return -EINVAL;
	put(o, tmp, len);
	return 0;
}

/* The last KEY_SHORT_LEN characters of an OCID (its unique part). */
static const char *key_short(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	return n > KEY_SHORT_LEN ? id + n - KEY_SHORT_LEN : id;
}

/* Does the template hold placeholder `a` or `b` ("{key_id}", ...)? */
static bool has_placeholder(const char *tmpl, const char *a, const char *b)
{
	for (const char *p = tmpl; (p = strchr(p, '{')); p++) {
		if (p[1] == '{') { /* literal brace */
			p++;
			continue;
		}
		if (!strncmp(p, a, strlen(a)) || !strncmp(p, b, strlen(b)))
			return true;
	}
	return false;
}

/* Does the template name the key by its OCID ({key_id} or {key_short})? */
static bool names_key_uniquely(const char *tmpl)
{
	return has_placeholder(tmpl, "{key_id}", "{key_short}");
}

static int expand(const char *tmpl, const struct target_ctx *ctx, char *out,
		  size_t n, char *why, size_t why_n)
{
	struct out_name o = {.len = 0};
	char e[ECHO_MAX + 4];
	const char *p = tmpl;
	const char *problem;

	while (*p) {
		const char *end;
		size_t klen;

		if ((p[0] == '{' && p[1] == '{') ||
		    (p[0] == '}' && p[1] == '}')) {
			put(&o, p, 1);
			p += 2;
			continue;
		}
		if (p[0] == '}')
			return fail(
				why, why_n,
				"a single '}' in the template (write '}}' for a literal brace)");
		if (p[0] != '{') {
			put(&o, p, 1);
			p++;
			continue;
		}
		end = strchr(p, '}');
		if (!end)
			return fail(
				why, why_n,
				"'{' without '}' in the template (write '{{' for a literal brace)");
		klen = (size_t)(end - p - 1);
		p++;
		if (ctx->vault_backup && klen >= 3 && !strncmp(p, "key", 3) &&
		    (klen == 3 || p[3] == '_'))
			return fail(why, why_n,
				    "'{%s}' in a vault backup's template (a "
				    "vault backup has no key: use {vault_id} "
				    "or {vault_short})",
				    echo(p, klen, e, sizeof(e)));
		if (klen == 8 && !strncmp(p, "vault_id", 8)) {
			put_value(&o, ctx->vault_id);
		} else if (klen == 11 && !strncmp(p, "vault_short", 11)) {
			put_value(&o, key_short(ctx->vault_id));
		} else if (klen == 3 && !strncmp(p, "key", 3)) {
			put_value(&o, ctx->key_name);
		} else if (klen == 6 && !strncmp(p, "key_id", 6)) {
			put_value(&o, ctx->key_id);
		} else if (klen == 9 && !strncmp(p, "key_short", 9)) {
			put_value(&o, key_short(ctx->key_id));
		} else if (klen == 5 && !strncmp(p, "vault", 5)) {
			put_value(&o, ctx->vault_name);
		} else if (klen == 11 && !strncmp(p, "compartment", 11)) {
			put_value(&o, ctx->compartment_name);
		} else if (klen == 4 && !strncmp(p, "time", 4)) {
			if (put_time(&o, ctx->now, false))
				return fail(why, why_n,
					    "the time cannot be formatted");
		} else if (klen == 4 && !strncmp(p, "date", 4)) {
			if (put_time(&o, ctx->now, true))
				return fail(why, why_n,
					    "the time cannot be formatted");
		} else {
			return fail(
				why, why_n,
				"unknown placeholder '{%s}' in the template (known: " TEMPLATE_KEYS
				", and {{ }} for braces)",
				echo(p, klen, e, sizeof(e)));
		}
		p = end + 1;
	}
	if (o.overflow)
		return fail(
			why, why_n,
			"the template gives an object name longer than 1024 bytes");
	o.s[o.len] = '\0';
	problem = object_problem(o.s);
	if (problem)
		return fail(why, why_n,
			    "the template gives the object name '%s', which %s",
			    echo(o.s, o.len, e, sizeof(e)), problem);
	if (buf_copy(out, n, o.s))
		return fail(why, why_n, "the object name does not fit");
	return 0;
}

int target_expand_name(const char *tmpl, const struct target_ctx *ctx,
		       char *out, size_t n)
{
	if (!ctx || !out || !n)
		return -EINVAL;
	out[0] = '\0';
	if (!tmpl)
		tmpl = ctx->name_template  ? ctx->name_template
		       : ctx->vault_backup ? TARGET_DEFAULT_VAULT_TEMPLATE
					   : TARGET_DEFAULT_TEMPLATE;
	return expand(tmpl, ctx, out, n, NULL, 0);
}

int target_check_template(const char *tmpl, char *why, size_t why_n)
{
	const struct target_ctx sample = {
		.key_name = "key",
		.key_id = "ocid1.key.oc1.iad.example",
		.vault_name = "vault",
		.compartment_name = "compartment",
		.now = 1700000000,
	};
	char out[OVFS_OBJECT_MAX];

	int ret;

	if (why && why_n)
		why[0] = '\0';
	if (!tmpl)
		tmpl = TARGET_DEFAULT_TEMPLATE;
	ret = expand(tmpl, &sample, out, sizeof(out), why, why_n);
	if (!ret && !names_key_uniquely(tmpl))
		ret = fail(
			why, why_n,
			"the template does not name the key by its OCID: add "
			"{key_short} or {key_id}, so that keys of the same "
			"name in different vaults never share an object");
	return ret;
}

int target_check_vault_template(const char *tmpl, char *why, size_t why_n)
{
	const struct target_ctx sample = {
		.vault_name = "vault",
		.vault_id = "ocid1.vault.oc1.iad.example",
		.compartment_name = "compartment",
		.now = 1700000000,
		.vault_backup = true,
	};
	char out[OVFS_OBJECT_MAX];
	int ret;

	if (why && why_n)
		why[0] = '\0';
	if (!tmpl)
		tmpl = TARGET_DEFAULT_VAULT_TEMPLATE;
	ret = expand(tmpl, &sample, out, sizeof(out), why, why_n);
	if (!ret && !has_placeholder(tmpl, "{vault_id}", "{vault_short}"))
		ret = fail(why, why_n,
			   "the template does not name the vault by its OCID: "
			   "add {vault_short} or {vault_id}, so that vaults of "
			   "the same name never share an object");
	return ret;
}

/* Expand the mount's template for a target that names no object. */
static int templated(const struct target_ctx *ctx, char *out, size_t n,
		     char *why, size_t why_n)
{
	char reason[512];
	const char *tmpl = ctx->name_template  ? ctx->name_template
			   : ctx->vault_backup ? TARGET_DEFAULT_VAULT_TEMPLATE
					       : TARGET_DEFAULT_TEMPLATE;

	if (expand(tmpl, ctx, out, n, reason, sizeof(reason)))
		return fail(why, why_n, "%s: %s",
			    ctx->vault_backup ? "vault_backup_name"
					      : "backup_name",
			    reason);
	return 0;
}

/* ---- redaction ---------------------------------------------------------- */

void target_redact_url(const char *url, char *out, size_t n)
{
	const char *path, *sep, *tok;
	size_t tlen;

	if (!n)
		return;
	if (!url) {
		out[0] = '\0';
		return;
	}
	/* The token is the first path segment: "/p/<token>/..." */
	sep = strstr(url, "://");
	path = sep ? sep + 3 + strcspn(sep + 3, "/") : url;
	if (strncmp(path, "/p/", 3)) {
		snprintf(out, n, "%s", url);
		return;
	}
	tok = path + 3;
	tlen = strcspn(tok, "/?#");
	snprintf(out, n, "%.*s/p/***%s", (int)(path - url), url, tok + tlen);
}

void target_redact_text(char *s)
{
	char *w = s, *r = s;

	/* In place: "***" is never longer than a token of 3+ characters,
	 * and shorter tokens are dropped entirely. */
	while (*r) {
		if (!strncmp(r, "/p/", 3)) {
			size_t tlen = strcspn(r + 3, "/?#\"' \t\n");

			memmove(w, "/p/", 3);
			w += 3;
			r += 3;
			if (tlen >= 3) {
				memcpy(w, "***", 3);
				w += 3;
			}
			r += tlen;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/* ---- the forms ------------------------------------------------------------ */

/*
 * "BUCKET/p/TOKEN/n/..." is a PAR URL that lost its "https://": refuse it
 * rather than take the token for part of an object name (and show it).
 */
static bool looks_like_par(const char *s)
{
	const char *p = strstr(s, "/p/");

	p = p ? strstr(p, "/n/") : NULL;
	p = p ? strstr(p, "/b/") : NULL;
	return p && strstr(p, "/o/");
}

static int copy_bucket(struct target *out, const char *b, size_t len, char *why,
		       size_t why_n)
{
	if (len >= sizeof(out->loc.bucket))
		return fail(
			why, why_n,
			"the bucket name is too long for this build (at most %zu characters)",
			sizeof(out->loc.bucket) - 1);
	memcpy(out->loc.bucket, b, len);
	out->loc.bucket[len] = '\0';
	return 0;
}

/* Forms 1 and 2: BUCKET and BUCKET/OBJECT. */
static int parse_bucket(const char *s, const struct target_ctx *ctx,
			struct target *out, char *why, size_t why_n)
{
	const char *slash = strchr(s, '/');
	size_t blen = slash ? (size_t)(slash - s) : strlen(s);
	const char *problem;
	char e[ECHO_MAX + 4];
	int ret;

	if (slash && looks_like_par(s))
		return fail(
			why, why_n,
			"this looks like a pre-authenticated request URL without 'https://'; write the whole URL");
	if (!valid_bucket_n(s, blen))
		return fail(why, why_n,
			    "invalid bucket name '%s' (" BUCKET_RULE ")",
			    echo(s, blen, e, sizeof(e)));
	ret = copy_bucket(out, s, blen, why, why_n);
	if (ret)
		return ret;
	if (slash) {
		problem = object_problem(slash + 1);
		if (!slash[1])
			return fail(
				why, why_n,
				"empty object name after 'BUCKET/' (write just the bucket name to use the name template)");
		if (problem)
			return fail(why, why_n,
				    "invalid object name '%s': it %s",
				    echo(slash + 1, strlen(slash + 1), e,
					 sizeof(e)),
				    problem);
		buf_copy(out->loc.object, sizeof(out->loc.object), slash + 1);
		out->kind = TARGET_BUCKET_OBJECT;
	} else {
		out->templated = true;
		ret = templated(ctx, out->loc.object, sizeof(out->loc.object),
				why, why_n);
		if (ret)
			return ret;
		out->kind = TARGET_BUCKET;
	}
	out->loc.dest = OCI_BACKUP_BUCKET;
	out->needs_namespace = true;
	buf_copy(out->display, sizeof(out->display), s);
	return 0;
}

/* Form 3: oci://BUCKET@NAMESPACE/[OBJECT] */
static int parse_oci_uri(const char *s, const struct target_ctx *ctx,
			 struct target *out, char *why, size_t why_n)
{
	const char *rest = s + strlen("oci://");
	const char *at = strchr(rest, '@');
	const char *slash = strchr(rest, '/');
	const char *ns, *obj, *problem;
	size_t nslen;
	char e[ECHO_MAX + 4];
	int ret;

	if (!at || (slash && slash < at))
		return fail(
			why, why_n,
			"an oci:// target needs '@' between bucket and namespace: oci://BUCKET@NAMESPACE/OBJECT");
	if (!valid_bucket_n(rest, (size_t)(at - rest)))
		return fail(why, why_n,
			    "invalid bucket name '%s' (" BUCKET_RULE ")",
			    echo(rest, (size_t)(at - rest), e, sizeof(e)));
	ns = at + 1;
	nslen = slash ? (size_t)(slash - ns) : strlen(ns);
	if (!valid_ns_n(ns, nslen))
		return fail(why, why_n, "invalid namespace '%s' (" NS_RULE ")",
			    echo(ns, nslen, e, sizeof(e)));
	if (!slash)
		return fail(
			why, why_n,
			"an oci:// target needs '/' after the namespace: oci://BUCKET@NAMESPACE/OBJECT, or oci://BUCKET@NAMESPACE/ for the name template");
	ret = copy_bucket(out, rest, (size_t)(at - rest), why, why_n);
	if (ret)
		return ret;
	memcpy(out->loc.namespace_name, ns, nslen);
	out->loc.namespace_name[nslen] = '\0';
	obj = slash + 1;
	if (*obj) {
		problem = object_problem(obj);
		if (problem)
			return fail(
				why, why_n, "invalid object name '%s': it %s",
				echo(obj, strlen(obj), e, sizeof(e)), problem);
		buf_copy(out->loc.object, sizeof(out->loc.object), obj);
	} else {
		out->templated = true;
		ret = templated(ctx, out->loc.object, sizeof(out->loc.object),
				why, why_n);
		if (ret)
			return ret;
	}
	out->kind = TARGET_OCI_URI;
	out->loc.dest = OCI_BACKUP_BUCKET;
	buf_copy(out->display, sizeof(out->display), s);
	return 0;
}

static bool valid_region_id(const char *s, size_t len)
{
	if (!len || len > 63 || s[0] == '-' || s[len - 1] == '-' ||
	    !memchr(s, '-', len))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	return true;
}

/* Does `host` end with "." + `dom` (case-insensitive)?  Prefix length. */
static bool ends_with_domain(const char *host, const char *dom, size_t *pre)
{
	size_t hl = strlen(host), dl = strlen(dom);

	if (!dl || hl <= dl + 1 || host[hl - dl - 1] != '.' ||
	    strcasecmp(host + hl - dl, dom))
		return false;
	*pre = hl - dl - 1;
	return true;
}

#define OS_LABEL "objectstorage."
#define DEDICATED_DOMAIN "oci.customer-oci.com"

/*
 * An Object Storage host of the configured realm, in any of its regions:
 * objectstorage.<region>.<domain>, or in oc1 also
 * <ns>.objectstorage.<region>.oci.customer-oci.com (then *host_ns is set).
 */
static bool realm_host(const struct region_info *r, const char *host,
		       char *host_ns, size_t ns_n)
{
	const size_t ll = strlen(OS_LABEL);
	const char *mid, *reg;
	size_t pre;

	if (!r || !r->domain[0])
		return false;
	if (ends_with_domain(host, r->domain, &pre) && pre > ll &&
	    !strncmp(host, OS_LABEL, ll) &&
	    valid_region_id(host + ll, pre - ll))
		return true;
	if (strcmp(r->realm, "oc1") ||
	    !ends_with_domain(host, DEDICATED_DOMAIN, &pre))
		return false;
	/* "<ns>.objectstorage.<region>" in host[0, pre) */
	mid = strstr(host, "." OS_LABEL);
	if (!mid || mid >= host + pre)
		return false;
	reg = mid + 1 + ll;
	if (!valid_ns_n(host, (size_t)(mid - host)) ||
	    (size_t)(mid - host) >= ns_n || reg > host + pre ||
	    !valid_region_id(reg, (size_t)(host + pre - reg)))
		return false;
	memcpy(host_ns, host, (size_t)(mid - host));
	host_ns[mid - host] = '\0';
	return true;
}

/* The URL's host[:port] equals the endpoint's (443 when none is given). */
static bool endpoint_host_match(const char *ep, const struct http_url *u)
{
	const char *host = ep, *port = NULL, *close;
	size_t hl;

	if (!ep || !*ep)
		return false;
	if (ep[0] == '[') {
		close = strchr(ep, ']');
		if (!close)
			return false;
		host = ep + 1;
		hl = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return false;
	} else {
		const char *colon = strchr(ep, ':');

		/* a bare IPv6 address has several colons and no port */
		if (colon && !strchr(colon + 1, ':')) {
			hl = (size_t)(colon - ep);
			port = colon + 1;
		} else {
			hl = strlen(ep);
		}
	}
	if (strlen(u->host) != hl || strncasecmp(u->host, host, hl))
		return false;
	return !strcmp(u->port[0] ? u->port : "443",
		       port && *port ? port : "443");
}

static bool is_token_char(char c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* One path segment "<seg>/" after `prefix`; NULL when the shape differs. */
static const char *segment(const char *p, const char *prefix, size_t *len)
{
	size_t pl = strlen(prefix);

	if (strncmp(p, prefix, pl))
		return NULL;
	p += pl;
	*len = strcspn(p, "/");
	return p[*len] == '/' ? p : NULL;
}

struct par_work {
	struct http_url u;
	char ns[NS_LEN_MAX + 1];
	char host_ns[NS_LEN_MAX + 1];
	char object[OVFS_OBJECT_MAX];
	char host_echo[ECHO_MAX + 4];
	const char *bucket; /* in u.path, blen bytes */
	size_t blen;
	const char *obj; /* in u.path, escaped; "" for a bucket PAR */
};

static int par_host(const struct target_ctx *ctx, struct par_work *w, char *why,
		    size_t why_n)
{
	const struct region_info *r = ctx->region;
	char hp[300];

	w->host_ns[0] = '\0';
	if (endpoint_host_match(ctx->endpoint_host, &w->u))
		return 0;
	if ((!w->u.port[0] || !strcmp(w->u.port, "443")) &&
	    realm_host(r, w->u.host, w->host_ns, sizeof(w->host_ns)))
		return 0;
	snprintf(hp, sizeof(hp), strchr(w->u.host, ':') ? "[%s]%s%s" : "%s%s%s",
		 w->u.host, w->u.port[0] ? ":" : "", w->u.port);
	echo(hp, strlen(hp), w->host_echo, sizeof(w->host_echo));
	if (r && r->domain[0])
		return fail(
			why, why_n,
			"host '%s' is not an Object Storage host of realm %s (objectstorage.REGION.%s%s)%s%s%s",
			w->host_echo, r->realm, r->domain,
			strcmp(r->realm, "oc1")
				? ""
				: " or NAMESPACE.objectstorage.REGION." DEDICATED_DOMAIN,
			ctx->endpoint_host ? " nor the endpoint '" : "",
			ctx->endpoint_host ? ctx->endpoint_host : "",
			ctx->endpoint_host ? "'" : "");
	if (ctx->endpoint_host)
		return fail(why, why_n,
			    "host '%s' is not the endpoint's host '%s'",
			    w->host_echo, ctx->endpoint_host);
	return fail(
		why, why_n,
		"host '%s' is not allowed: no region or endpoint is configured",
		w->host_echo);
}

/* What can be refused in the text itself, before the URL is parsed. */
static int par_prefix(const char *url, char *why, size_t why_n)
{
	const char *auth = strstr(url, "://");

	if (!strncasecmp(url, "http://", 7))
		return fail(why, why_n, HTTP_REFUSED);
	if (!auth || strncasecmp(url, "https://", 8))
		return fail(
			why, why_n,
			"a pre-authenticated request URL must start with https://");
	auth += 3;
	if (memchr(auth, '@', strcspn(auth, "/?#")))
		return fail(
			why, why_n,
			"user information ('user@') is not allowed in a pre-authenticated request URL");
	if (strchr(url, '#'))
		return fail(
			why, why_n,
			"a fragment ('#...') is not allowed in a pre-authenticated request URL");
	if (strchr(url, '?'))
		return fail(
			why, why_n,
			"a query string ('?...') is not allowed in a pre-authenticated request URL");
	return 0;
}

/*
 * The path /p/TOKEN/n/NS/b/BUCKET/o/[OBJECT], as sent: sets w->ns,
 * w->bucket, w->blen and w->obj (pointers into w->u.path; w->obj is ""
 * for a bucket PAR). The token is checked, never quoted.
 */
static int par_path(const char *url, struct par_work *w, char *why,
		    size_t why_n)
{
	const char *p, *tok, *ns;
	size_t tlen, nslen, plen, ulen = strlen(url);
	char e[ECHO_MAX + 4];

	/* the path is sent as is: "." and ".." would name another object */
	plen = strlen(w->u.path);
	if (plen > ulen || memcmp(url + ulen - plen, w->u.path, plen) ||
	    has_dot_segment(w->u.path + 1, plen - 1))
		return fail(
			why, why_n,
			"the URL path has '.' or '..' segments; write the URL as the pre-authenticated request gave it");
	tok = segment(w->u.path, "/p/", &tlen);
	ns = tok ? segment(tok + tlen, "/n/", &nslen) : NULL;
	w->bucket = ns ? segment(ns + nslen, "/b/", &w->blen) : NULL;
	p = w->bucket ? w->bucket + w->blen : NULL;
	if (!p || strncmp(p, "/o/", 3))
		return fail(
			why, why_n,
			"not a pre-authenticated request URL: expected " PAR_SHAPE);
	w->obj = p + 3;
	for (size_t i = 0; i < tlen; i++)
		if (!is_token_char(tok[i]))
			return fail(
				why, why_n,
				"the pre-authenticated request token contains characters a token cannot have");
	if (!tlen)
		return fail(why, why_n,
			    "the pre-authenticated request token is empty");
	if (!valid_ns_n(ns, nslen))
		return fail(why, why_n,
			    "invalid namespace '%s' in the URL (" NS_RULE ")",
			    echo(ns, nslen, e, sizeof(e)));
	memcpy(w->ns, ns, nslen);
	w->ns[nslen] = '\0';
	if (!valid_bucket_n(w->bucket, w->blen))
		return fail(why, why_n,
			    "invalid bucket name '%s' in the URL (" BUCKET_RULE
			    ")",
			    echo(w->bucket, w->blen, e, sizeof(e)));
	if (w->host_ns[0] && strcasecmp(w->host_ns, w->ns))
		return fail(
			why, why_n,
			"the namespace in the host name ('%s') differs from the one in the path ('%s')",
			w->host_ns, w->ns);
	return 0;
}

/*
 * The object: the URL's, decoded into dec and checked, or for a bucket
 * PAR the templated name in w->object.
 */
static int par_object(const struct target_ctx *ctx, struct par_work *w,
		      struct buf *dec, char *why, size_t why_n)
{
	const char *problem;
	char e[ECHO_MAX + 4];
	int ret;

	if (!*w->obj)
		return templated(ctx, w->object, sizeof(w->object), why, why_n);
	ret = http_unescape(w->obj, strlen(w->obj), dec);
	if (ret == -ENOMEM)
		return ret;
	if (ret == -EMSGSIZE)
		return fail(
			why, why_n,
			"invalid object name in the URL: it is longer than 1024 bytes");
	if (ret)
		return fail(
			why, why_n,
			"malformed percent-encoding in the object name of the URL");
	problem = object_problem(dec->buf);
	if (problem)
		return fail(why, why_n,
			    "invalid object name '%s' in the URL: it %s",
			    echo(dec->buf, dec->len, e, sizeof(e)), problem);
	return 0;
}

/* The URI sent: rebuilt from the parsed parts, the templated name escaped. */
static int par_uri(const struct par_work *w, struct buf *uri, char *why,
		   size_t why_n)
{
	int ret;

	ret = buf_addf(uri,
		       strchr(w->u.host, ':') ? "https://[%s]%s%s%s"
					      : "https://%s%s%s%s",
		       w->u.host, w->u.port[0] ? ":" : "", w->u.port,
		       w->u.path);
	if (!ret && !*w->obj)
		ret = http_escape(w->object, strlen(w->object), uri);
	if (ret == -EMSGSIZE)
		ret = fail(why, why_n, "the URL is longer than %d bytes",
			   OVFS_URL_MAX - 1);
	return ret;
}

/*
 * Form 4, and the URI of a JSON target: check everything a PAR URL can
 * get wrong without ever quoting its token, then rebuild it from the parsed
 * parts (plus the escaped templated name for a bucket PAR).
 */
static int parse_par(const char *url, const struct target_ctx *ctx,
		     struct target *out, char *why, size_t why_n)
{
	struct par_work *w = NULL;
	struct buf uri = BUF_INIT_SECRET(OVFS_URL_MAX - 1);
	struct buf dec = BUF_INIT_SECRET(OBJECT_LEN_MAX);
	int ret;

	ret = par_prefix(url, why, why_n);
	if (ret)
		return ret;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	ret = http_url_parse(url, &w->u);
	if (ret == -ENOMEM)
		goto out;
	if (ret || strcmp(w->u.scheme, "https")) {
		ret = fail(
			why, why_n,
			"malformed URL (spaces and non-ASCII characters must be percent-encoded)");
		goto out;
	}
	ret = par_host(ctx, w, why, why_n);
	if (!ret)
		ret = par_path(url, w, why, why_n);
	if (!ret)
		ret = par_object(ctx, w, &dec, why, why_n);
	if (!ret)
		ret = par_uri(w, &uri, why, why_n);
	if (ret)
		goto out;
	buf_copy(out->loc.uri, sizeof(out->loc.uri), uri.buf);
	buf_copy(out->ns, sizeof(out->ns), w->ns);
	snprintf(out->bucket, sizeof(out->bucket), "%.*s", (int)w->blen,
		 w->bucket);
	buf_copy(out->object, sizeof(out->object),
		 *w->obj ? dec.buf : w->object);
	out->templated = !*w->obj;
	out->loc.dest = OCI_BACKUP_PAR_URI;
	out->kind = TARGET_PAR;
	target_redact_url(out->loc.uri, out->display, sizeof(out->display));
out:
	buf_wipe_release(&uri);
	buf_wipe_release(&dec);
	if (w) {
		buf_wipe(w, sizeof(*w));
		free(w);
	}
	return ret;
}

/* Form 5: BackupLocation or BackupKeyDetails JSON. */
static int parse_json(const char *s, size_t len, const struct target_ctx *ctx,
		      struct target *out, char *why, size_t why_n)
{
	struct oci_backup_location *loc = &out->loc;
	char reason[512], e[ECHO_MAX + 4];
	char *uri = NULL;
	const char *problem;
	int ret;

	reason[0] = '\0';
	ret = model_backup_details_decode(s, len, loc, &out->include_keys,
					  reason, sizeof(reason));
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return fail(why, why_n, "invalid JSON target: %s",
			    reason[0] ? reason : "not a BackupLocation");
	if (loc->dest == OCI_BACKUP_PAR_URI) {
		uri = strdup(loc->uri);
		if (!uri)
			return -ENOMEM;
		buf_wipe(loc->uri, sizeof(loc->uri));
		ret = parse_par(uri, ctx, out, why, why_n);
		buf_wipe_free(uri);
		if (!ret)
			out->kind = TARGET_JSON;
		return ret;
	}
	if (!target_valid_namespace(loc->namespace_name))
		return fail(why, why_n, "invalid namespace '%s' (" NS_RULE ")",
			    echo(loc->namespace_name,
				 strlen(loc->namespace_name), e, sizeof(e)));
	if (!target_valid_bucket(loc->bucket))
		return fail(
			why, why_n,
			"invalid bucket name '%s' (" BUCKET_RULE ")",
			echo(loc->bucket, strlen(loc->bucket), e, sizeof(e)));
	problem = object_problem(loc->object);
	if (problem)
		return fail(
			why, why_n, "invalid object name '%s': it %s",
			echo(loc->object, strlen(loc->object), e, sizeof(e)),
			problem);
	out->kind = TARGET_JSON;
	snprintf(out->display, sizeof(out->display), "%s/%s/%s",
		 loc->namespace_name, loc->bucket, loc->object);
	return 0;
}

/* "scheme://" at the start of `s` (RFC 3986 scheme syntax): its length. */
static size_t scheme_len(const char *s)
{
	size_t i = 0;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	while (is_alnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return strncmp(s + i, "://", 3) ? 0 : i;
}

/*
 * The leading word "keys=yes" / "keys=no" (vault backups): *inc 1 or 0 and
 * the text after it, or -1 and the text unchanged.  No valid target starts
 * with "keys=": '=' is neither a bucket nor a URL scheme character.
 */
static int keys_word(const char **text, size_t *len, int *inc, char *why,
		     size_t why_n)
{
	const char *s = *text;
	size_t n = *len, w = 5;

	*inc = -1;
	if (n < 5 || strncmp(s, "keys=", 5))
		return 0;
	while (w < n && !is_space(s[w]))
		w++;
	if (w == 8 && !strncmp(s + 5, "yes", 3))
		*inc = 1;
	else if (w == 7 && !strncmp(s + 5, "no", 2))
		*inc = 0;
	else
		return fail(why, why_n,
			    "'keys=' takes 'yes' or 'no' (keys=yes BUCKET, "
			    "keys=no BUCKET)");
	while (w < n && is_space(s[w]))
		w++;
	if (w == n)
		return fail(why, why_n, "no target after 'keys=%s'",
			    *inc ? "yes" : "no");
	if (s[w] == '{')
		return fail(why, why_n,
			    "'keys=' does not go with a JSON target: give "
			    "\"isIncludeKeys\" in the JSON");
	*text = s + w;
	*len = n - w;
	return 0;
}

int target_parse(const char *text, size_t len, const struct target_ctx *ctx,
		 struct target *out, char *why, size_t why_n)
{
	struct buf t = BUF_INIT_SECRET(TARGET_MAX_INPUT);
	char e[ECHO_MAX + 4];
	int inc = -1;
	size_t sl;
	int ret;

	memset(out, 0, sizeof(*out));
	if (why && why_n)
		why[0] = '\0';
	if (!ctx || (!text && len))
		return fail(why, why_n, "no context");
	while (len && is_space(text[0])) {
		text++;
		len--;
	}
	while (len && is_space(text[len - 1]))
		len--;
	if (!len)
		return fail(why, why_n, "empty target");
	ret = keys_word(&text, &len, &inc, why, why_n);
	if (ret)
		return ret;
	if (len > TARGET_MAX_INPUT)
		return fail(why, why_n, "the target is longer than %d bytes",
			    TARGET_MAX_INPUT);
	if (memchr(text, '\0', len))
		return fail(why, why_n, "the target contains a NUL byte");
	ret = buf_add(&t, text, len);
	if (ret)
		goto out;
	sl = scheme_len(t.buf);
	if (t.buf[0] == '{') {
		ret = parse_json(t.buf, t.len, ctx, out, why, why_n);
	} else if (sl == 3 && !strncasecmp(t.buf, "oci", 3)) {
		ret = parse_oci_uri(t.buf, ctx, out, why, why_n);
	} else if (sl == 5 && !strncasecmp(t.buf, "https", 5)) {
		ret = parse_par(t.buf, ctx, out, why, why_n);
	} else if (sl == 4 && !strncasecmp(t.buf, "http", 4)) {
		ret = fail(why, why_n, HTTP_REFUSED);
	} else if (sl) {
		ret = fail(
			why, why_n,
			"unsupported URL scheme '%s' (use a bucket name, oci:// or https://)",
			echo(t.buf, sl, e, sizeof(e)));
	} else {
		ret = parse_bucket(t.buf, ctx, out, why, why_n);
	}
	if (!ret && inc >= 0)
		out->include_keys = inc;
	else if (!ret && out->kind != TARGET_JSON)
		out->include_keys = -1;
	if (!ret && out->loc.dest == OCI_BACKUP_BUCKET) {
		buf_copy(out->ns, sizeof(out->ns), out->loc.namespace_name);
		buf_copy(out->bucket, sizeof(out->bucket), out->loc.bucket);
		buf_copy(out->object, sizeof(out->object), out->loc.object);
	}
out:
	buf_wipe_release(&t);
	if (ret)
		buf_wipe(out, sizeof(*out));
	return ret;
}

int target_extract(const char *data, size_t n, size_t *start, size_t *len,
		   char *why, size_t why_n)
{
	size_t pos = 0, line = 0, found_line = 0;
	bool found = false;

	*start = *len = 0;
	if (why && why_n)
		why[0] = '\0';
	if (!data)
		n = 0;
	if (n > TARGET_MAX_INPUT)
		return fail(why, why_n, "the data is longer than %d bytes",
			    TARGET_MAX_INPUT);
	if (n && memchr(data, '\0', n))
		return fail(why, why_n, "the data contains a NUL byte");
	/* editors on some systems start files with a byte order mark */
	if (n >= 3 && !memcmp(data, UTF8_BOM, 3))
		pos = 3;
	while (pos < n) {
		const char *nl = memchr(data + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - data) : n;
		size_t a = pos, b = end;

		line++;
		pos = nl ? end + 1 : n;
		while (a < b && is_space(data[a]))
			a++;
		while (b > a && is_space(data[b - 1]))
			b--;
		if (a == b || data[a] == '#' || data[a] == ';')
			continue;
		if (found) {
			*start = *len = 0;
			return fail(
				why, why_n,
				"more than one target (lines %zu and %zu): write one target per write",
				found_line, line);
		}
		found = true;
		found_line = line;
		*start = a;
		*len = b - a;
		if (data[a] == '{') {
			/* a JSON target runs to the end of the data */
			b = n;
			while (b > a && is_space(data[b - 1]))
				b--;
			*len = b - a;
			return 0;
		}
	}
	if (!found) {
		if (why && why_n)
			snprintf(why, why_n,
				 "no target (only blank lines and comments)");
		return -ENODATA;
	}
	return 0;
}

bool target_incomplete(const char *data, size_t n)
{
	size_t start, len;
	unsigned int depth = 0;
	bool in_str = false, esc = false;

	if (target_extract(data, n, &start, &len, NULL, 0) || !len ||
	    data[start] != '{')
		return false;
	for (size_t i = start; i < start + len; i++) {
		char c = data[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && depth && !--depth) {
			return false; /* closed (trailing bytes: the parser's) */
		}
	}
	return true;
}
