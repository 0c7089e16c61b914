/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the backup control file grammar (fs/target.c): target_extract(),
 * target_parse() under two contexts (realm hosts only; an endpoint
 * override), target_redact_url() and target_redact_text().
 *
 * Invariants (include/target.h): results are 0, -ENODATA, -EINVAL or
 * -ENOMEM; on failure `out` is zeroed and `why` says something; on success
 * every field is NUL-terminated, the names are valid (namespace, bucket,
 * object), `display`/`ns`/`bucket`/`object` agree with `loc`, and a PAR
 * token of the input never shows in `display`, `why` or a redacted copy.
 * Round trip: the parsed location, written back as a BackupKeyDetails JSON
 * target (model_backup_details_encode()), parses to the same location.
 */
#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include "buf.h"
#include "fuzz.h"
#include "model.h"
#include "target.h"

static struct region_info iad = {
	.id = "us-ashburn-1",
	.code = "iad",
	.realm = "oc1",
	.domain = "oraclecloud.com",
	.known = true,
};

static struct target_ctx ctx_for(const char *endpoint_host)
{
	struct target_ctx c = {
		.region = &iad,
		.endpoint_host = endpoint_host,
		.name_template = NULL,
		.key_name = "db-master",
		.key_id = "ocid1.key.oc1.iad.abcdef",
		.vault_name = "prod vault",
		.compartment_name = "fin/ops",
		.now = 1700000000,
	};

	return c;
}

/* What a PAR token is made of (include/target.h, form 4). */
#define PAR_TOKEN_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-"

/* The fixed words of target.c's messages and of the contexts below. */
#define VOCABULARY                                                   \
	"objectstorage.REGION.oraclecloud.com "                      \
	"NAMESPACE.objectstorage.REGION.oci.customer-oci.com "       \
	"objectstorage.us-ashburn-1.oraclecloud.com 127.0.0.1:8443 " \
	"PRE_AUTHENTICATED_REQUEST_URI backupLocation destination "  \
	"namespace bucketName objectName"

/*
 * The PAR token of the input: after the first "://" (a target holds one
 * URL; later ones are part of its object name), the segment after a path
 * that starts with "/p/" (SCHEME://HOST/p/TOKEN/...; the token's characters
 * only), when it is at least
 * 6 bytes, is not one of the words messages use anyway and occurs only
 * once in the input (so that finding it elsewhere can only be a leak).
 * Checks that none is in `s`.
 */
static void check_no_token(const char *in, const char *s, const char *what)
{
	const char *p;

	for (p = strstr(in, "://"); p; p = NULL) {
		const char *t = p + 3 + strcspn(p + 3, "/");
		size_t n;
		char tok[64];

		const char *b = p;

		while (b > in && isalpha((unsigned char)b[-1]))
			b--;
		/* A URL starts the target or a JSON string: "https://" in
		 * the middle of an object name is not one. */
		if (b == p || (b > in && !strchr(" \t\r\n\"", b[-1])))
			continue;
		/* Only http(s) URLs carry PAR tokens; oci://B@NS/p/... names
		 * an object "p/...". */
		if (strncasecmp(b, "https://", 8) &&
		    strncasecmp(b, "http://", 7))
			continue;
		if (strncmp(t, "/p/", 3))
			continue;
		t += 3;
		n = strspn(t, PAR_TOKEN_CHARS);
		if (n < 6 || n >= sizeof(tok))
			continue;
		memcpy(tok, t, n);
		tok[n] = '\0';
		if (strstr(t + n, tok) || memmem(in, (size_t)(t - in), tok, n))
			continue; /* occurs twice: could be legitimate */
		if (strstr(VOCABULARY, tok))
			continue; /* messages say these words anyway */
		FUZZ_CHECK(!strstr(s, tok), "%s shows PAR token '%s': %s", what,
			   tok, s);
	}
}

/* The URLs target_redact_url() is for: "SCHEME://HOST/p/TOKEN...". */
static bool is_par_url(const char *s)
{
	const char *sep = strstr(s, "://");

	if (!sep)
		return false;
	sep += 3;
	sep += strcspn(sep, "/");
	return !strncmp(sep, "/p/", 3);
}

static void check_loc_equal(const struct oci_backup_location *a,
			    const struct oci_backup_location *b)
{
	FUZZ_CHECK(a->dest == b->dest, "dest %d vs %d", a->dest, b->dest);
	FUZZ_CHECK(!strcmp(a->namespace_name, b->namespace_name),
		   "ns '%s' '%s'", a->namespace_name, b->namespace_name);
	FUZZ_CHECK(!strcmp(a->bucket, b->bucket), "bucket '%s' '%s'", a->bucket,
		   b->bucket);
	FUZZ_CHECK(!strcmp(a->object, b->object), "object '%s' '%s'", a->object,
		   b->object);
	FUZZ_CHECK(!strcmp(a->uri, b->uri), "uri differs");
}

static void check_target(const char *in, const struct target *t)
{
	const struct oci_backup_location *l = &t->loc;

	FUZZ_CHECK(t->kind >= TARGET_BUCKET && t->kind <= TARGET_JSON,
		   "kind %d", t->kind);
	FUZZ_STR(t->display);
	FUZZ_STR(t->ns);
	FUZZ_STR(t->bucket);
	FUZZ_STR(t->object);
	FUZZ_STR(l->namespace_name);
	FUZZ_STR(l->bucket);
	FUZZ_STR(l->object);
	FUZZ_STR(l->uri);
	FUZZ_CHECK(t->display[0], "empty display");
	FUZZ_CHECK(target_valid_bucket(t->bucket), "bucket '%s'", t->bucket);
	FUZZ_CHECK(target_valid_object(t->object), "object '%s'", t->object);
	if (l->dest == OCI_BACKUP_BUCKET) {
		FUZZ_CHECK(!l->uri[0], "bucket target with a uri");
		FUZZ_CHECK(!strcmp(t->bucket, l->bucket), "bucket mismatch");
		FUZZ_CHECK(!strcmp(t->object, l->object), "object mismatch");
		FUZZ_CHECK(!strcmp(t->ns, l->namespace_name), "ns mismatch");
		FUZZ_CHECK(t->needs_namespace == !l->namespace_name[0],
			   "needs_namespace %d with ns '%s'",
			   t->needs_namespace, l->namespace_name);
		if (!t->needs_namespace)
			FUZZ_CHECK(target_valid_namespace(t->ns), "ns '%s'",
				   t->ns);
	} else {
		FUZZ_CHECK(l->dest == OCI_BACKUP_PAR_URI, "dest %d", l->dest);
		FUZZ_CHECK(!strncmp(l->uri, "https://", 8), "PAR uri scheme");
		FUZZ_CHECK(!t->needs_namespace, "PAR needs a namespace");
		FUZZ_CHECK(target_valid_namespace(t->ns), "PAR ns '%s'", t->ns);
		FUZZ_CHECK(!strstr(t->display, l->uri + 8) ||
				   !strstr(l->uri, "/p/"),
			   "display shows the PAR URL");
		check_no_token(in, t->display, "display");
	}
}

/* Parse the location again from its BackupKeyDetails JSON. */
static void round_trip(const struct target *t, const struct target_ctx *c)
{
	struct oci_backup_location loc = t->loc;
	struct buf json = BUF_INIT_SECRET(64 * 1024);
	struct target *again = calloc(1, sizeof(*again));
	char why[512];
	int ret;

	if (!again)
		abort();
	if (t->needs_namespace)
		memcpy(loc.namespace_name, "myns", 5);
	ret = model_backup_details_encode(&loc, -1, &json);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "encode: %d", ret);
	if (ret)
		goto out;
	ret = target_parse(json.buf, json.len, c, again, why, sizeof(why));
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "reparse of %s: %d %s",
		   loc.dest == OCI_BACKUP_BUCKET ? json.buf : "(PAR)", ret,
		   why);
	if (ret)
		goto out;
	FUZZ_CHECK(again->kind == TARGET_JSON, "kind %d", again->kind);
	check_loc_equal(&loc, &again->loc);
out:
	buf_wipe_release(&json);
	free(again);
}

static void parse_one(const char *in, const char *text, size_t len,
		      const struct target_ctx *c)
{
	struct target *t = malloc(sizeof(*t));
	char why[512];
	int ret;

	if (!t)
		abort();
	memset(t, 0xa5, sizeof(*t));
	why[0] = '\0';
	ret = target_parse(text, len, c, t, why, sizeof(why));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM, "ret %d", ret);
	FUZZ_STR(why);
	if (ret) {
		FUZZ_CHECK(fuzz_all_zero(t, sizeof(*t)), "out not zeroed");
		if (ret == -EINVAL)
			FUZZ_CHECK(why[0], "no reason");
		check_no_token(in, why, "why");
	} else {
		check_target(in, t);
		round_trip(t, c);
	}
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_ctx realm = ctx_for(NULL);
	struct target_ctx emu = ctx_for("127.0.0.1:8443");
	char *in = fuzz_strndup(data, size);
	size_t start = 0, len = 0;
	char why[512] = "";
	char red[128];
	int ret;

	if (size > TARGET_MAX_INPUT)
		goto out;
	ret = target_extract((const char *)data, size, &start, &len, why,
			     sizeof(why));
	FUZZ_CHECK(ret == 0 || ret == -ENODATA || ret == -EINVAL, "ret %d",
		   ret);
	FUZZ_STR(why);
	if (ret == -EINVAL)
		FUZZ_CHECK(why[0], "no reason");
	if (!ret) {
		FUZZ_CHECK(len > 0 && start <= size && len <= size - start,
			   "start %zu len %zu size %zu", start, len, size);
		parse_one(in, (const char *)data + start, len, &realm);
		parse_one(in, (const char *)data + start, len, &emu);
	}
	/* Redaction of the raw input, as used for log lines. */
	target_redact_url(in, red, sizeof(red));
	FUZZ_STR(red);
	if (is_par_url(in)) {
		/* Its token is the first path segment; the copy is cut to
		 * `red`, so only a whole token in it would be a leak. */
		const char *t = strstr(strstr(in, "://") + 3, "/p/") + 3;
		size_t n = strspn(t, PAR_TOKEN_CHARS);

		if (n >= 6 && !memmem(t + n, strlen(t + n), t, n) &&
		    !memmem(in, (size_t)(t - in), t, n))
			FUZZ_CHECK(!memmem(red, strlen(red), t, n),
				   "target_redact_url shows the token: %s",
				   red);
	}
	target_redact_text(in);
	FUZZ_CHECK(strlen(in) <= size, "redact_text grew the text");
	{
		/* The redacted text must no longer hold the tokens that
		 * the original had. */
		char *orig = fuzz_strndup(data, size);

		check_no_token(orig, in, "target_redact_text");
		free(orig);
	}
out:
	free(in);
	return 0;
}
