/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/target.c: the backup target grammar and name template. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"
#include "tap.h"

/* Every PAR URL in this file uses this token; no message may show it. */
#define TOK "SeCrEt-T0k3n_xyz"
#define OS_IAD "https://objectstorage.us-ashburn-1.oraclecloud.com"
#define PAR_PATH "/p/" TOK "/n/myns/b/backups/o/"

/* 2023-11-14T22:13:20Z */
#define NOW 1700000000
#define STAMP "20231114T221320Z"
/* {key_short} of "ocid1.key.oc1.iad.abcdef": its last 12 characters. */
#define KEY_SHORT "1.iad.abcdef"

static struct region_info iad = {
	.id = "us-ashburn-1",
	.code = "iad",
	.realm = "oc1",
	.domain = "oraclecloud.com",
	.known = true,
};

static struct region_info gov = {
	.id = "us-langley-1",
	.code = "lfi",
	.realm = "oc2",
	.domain = "oraclegovcloud.com",
	.known = true,
};

static struct target_ctx base_ctx(void)
{
	struct target_ctx c = {
		.region = &iad,
		.endpoint_host = NULL,
		.name_template = NULL,
		.key_name = "db-master",
		.key_id = "ocid1.key.oc1.iad.abcdef",
		.vault_name = "prod vault",
		.compartment_name = "fin/ops",
		.now = NOW,
	};

	return c;
}

static struct target tg;
static char why[1024];

static int parse_c(const char *text, const struct target_ctx *c)
{
	memset(&tg, 0x5a, sizeof(tg)); /* poison: parse must set all */
	strcpy(why, "(untouched)");
	return target_parse(text, strlen(text), c, &tg, why, sizeof(why));
}

static int parse(const char *text)
{
	struct target_ctx c = base_ctx();

	return parse_c(text, &c);
}

static bool no_token(void)
{
	return !strstr(why, TOK) && !strstr(tg.display, TOK) &&
	       !strstr(why, "T0k3n") && !strstr(tg.display, "T0k3n");
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* A refusal: -EINVAL, a reason, and nothing left in the output. */
#define refused(text, ...)                                                     \
	do {                                                                   \
		int r_ = parse(text);                                          \
		is_int(r_, -EINVAL, __VA_ARGS__);                              \
		if (r_ != -EINVAL || !why[0] || !strcmp(why, "(untouched)") || \
		    !all_zero(&tg, sizeof(tg)))                                \
			ok(0, "  ... reason '%s', output wiped", why);         \
	} while (0)

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- target_extract ---- */

static int ex(const char *data, size_t *start, size_t *len)
{
	return target_extract(data, strlen(data), start, len, why, sizeof(why));
}

static void is_extract(const char *data, const char *want, const char *name)
{
	size_t s = 99, l = 99;
	int r = ex(data, &s, &l);
	char got[256];

	snprintf(got, sizeof(got), "%.*s", (int)l, data + s);
	if (r) {
		ok(0, "%s: returned %d (%s)", name, r, why);
		return;
	}
	is_str(got, want, "%s", name);
}

static void test_extract(void)
{
	size_t s = 99, l = 99;
	char big[TARGET_MAX_INPUT + 2];
	const char nul[] = "backups\0x\n";

	is_extract("backups", "backups", "one line, no newline");
	is_extract("backups\n", "backups", "one line");
	is_extract("  \tbackups \t\r\n", "backups", "white space and CRLF");
	is_extract("# comment\n\n   \n  # indented comment\nbackups\n# end\n",
		   "backups", "comments and blank lines skipped");
	is_extract("#c\r\n\r\nb/o\r\n", "b/o", "CRLF lines");
	is_extract("\xef\xbb\xbf"
		   "backups\n",
		   "backups", "byte order mark");
	is_extract("backups/my object\n", "backups/my object",
		   "inner white space kept");
	is_extract(
		"# header\n{\n  \"destination\": \"BUCKET\",\n  \"a\": 1\n}\n\n",
		"{\n  \"destination\": \"BUCKET\",\n  \"a\": 1\n}",
		"JSON spans lines to the end");
	is_extract("{\"a\": 1}\n# after\n", "{\"a\": 1}\n# after",
		   "JSON runs to the end, comments included");

	is_int(ex("", &s, &l), -ENODATA, "empty data: no target");
	is_int(ex("# only a comment\n\n", &s, &l), -ENODATA, "comments only");
	is_int(ex("  \n\t\r\n", &s, &l), -ENODATA, "blanks only");
	is_int(target_extract(NULL, 0, &s, &l, why, sizeof(why)), -ENODATA,
	       "NULL data");

	is_int(ex("a\nb\n", &s, &l), -EINVAL, "two targets");
	ok(strstr(why, "lines 1 and 2") != NULL, "two targets: reason (%s)",
	   why);
	ok(s == 0 && l == 0, "two targets: nothing extracted");
	is_int(ex("# x\nbackups\n\n# y\nother/obj\n", &s, &l), -EINVAL,
	       "two targets between comments");
	ok(strstr(why, "lines 2 and 5") != NULL, "line numbers (%s)", why);
	is_int(ex("backups\n{\"destination\": \"BUCKET\"}\n", &s, &l), -EINVAL,
	       "a target, then JSON");

	is_int(target_extract(nul, sizeof(nul) - 1, &s, &l, why, sizeof(why)),
	       -EINVAL, "NUL byte");
	memset(big, ' ', sizeof(big));
	big[0] = 'b';
	is_int(target_extract(big, TARGET_MAX_INPUT + 1, &s, &l, why,
			      sizeof(why)),
	       -EINVAL, "over TARGET_MAX_INPUT");
	is_int(target_extract(big, TARGET_MAX_INPUT, &s, &l, why, sizeof(why)),
	       0, "exactly TARGET_MAX_INPUT");
	ok(s == 0 && l == 1, "... trailing blanks trimmed");
}

/* ---- validators ---- */

static void test_validators(void)
{
	char *s;

	ok(target_valid_namespace("axaxnpcrorw5"), "namespace");
	ok(target_valid_namespace("A-b_9"), "namespace: - and _");
	ok(!target_valid_namespace(""), "namespace: empty");
	ok(!target_valid_namespace(NULL), "namespace: NULL");
	ok(!target_valid_namespace("a.b"), "namespace: '.'");
	ok(!target_valid_namespace("a b"), "namespace: space");
	ok(!target_valid_namespace("ü"), "namespace: non-ASCII");
	ok(!target_valid_namespace("a\n"), "namespace: newline");
	s = repeat('n', 128);
	ok(target_valid_namespace(s), "namespace: 128 characters");
	free(s);
	s = repeat('n', 129);
	ok(!target_valid_namespace(s), "namespace: 129 characters");
	free(s);

	ok(target_valid_bucket("my.bucket-1_X"), "bucket: . - _");
	ok(!target_valid_bucket(""), "bucket: empty");
	ok(!target_valid_bucket(NULL), "bucket: NULL");
	ok(!target_valid_bucket("."), "bucket: '.'");
	ok(!target_valid_bucket(".."), "bucket: '..'");
	ok(target_valid_bucket("..."), "bucket: '...'");
	ok(!target_valid_bucket("a/b"), "bucket: '/'");
	ok(!target_valid_bucket("a b"), "bucket: space");
	ok(!target_valid_bucket("bück"), "bucket: non-ASCII");
	ok(!target_valid_bucket("a\x01"), "bucket: control");
	ok(!target_valid_bucket("a:b"), "bucket: ':'");
	s = repeat('b', 256);
	ok(target_valid_bucket(s), "bucket: 256 characters");
	free(s);
	s = repeat('b', 257);
	ok(!target_valid_bucket(s), "bucket: 257 characters");
	free(s);

	ok(target_valid_object("db/master.bak"), "object with '/'");
	ok(target_valid_object("my key ü €.bak"), "object: space, unicode");
	ok(!target_valid_object("a/../b"), "object: '..' segment inside");
	ok(!target_valid_object("x/.."), "object: '..' segment at the end");
	ok(!target_valid_object("../../etc/passwd"), "object: leading '..'");
	ok(!target_valid_object("a/./b"), "object: '.' segment");
	ok(!target_valid_object("a/."), "object: '.' segment at the end");
	ok(!target_valid_object("./a"), "object: leading '.' segment");
	ok(target_valid_object("a..b/.x/x./...."), "object: dots, no segment");
	ok(target_valid_object("a//b"), "object: empty segment is kept");
	ok(target_valid_object("a/"), "object: trailing '/' is kept");
	ok(target_valid_object("a%2F..%2Fb"), "object: '%%' taken literally");
	ok(target_valid_object("..a/b.."), "object: '..' as part of a segment");
	ok(target_valid_object("..."), "object: '...'");
	ok(target_valid_object("\xf0\x9f\x94\x91"), "object: 4-byte char");
	ok(!target_valid_object(""), "object: empty");
	ok(!target_valid_object(NULL), "object: NULL");
	ok(!target_valid_object("."), "object: '.'");
	ok(!target_valid_object(".."), "object: '..'");
	ok(!target_valid_object("/x"), "object: leading '/'");
	ok(!target_valid_object("a\nb"), "object: LF");
	ok(!target_valid_object("a\rb"), "object: CR");
	ok(!target_valid_object("a\tb"), "object: tab");
	ok(!target_valid_object("a\x7f"), "object: DEL");
	ok(!target_valid_object("a\xc2\x85"), "object: C1 control (NEL)");
	ok(!target_valid_object("a\xff"), "object: invalid byte");
	ok(!target_valid_object("\xc0\xaf"), "object: overlong");
	ok(!target_valid_object("\xed\xa0\x80"), "object: surrogate");
	ok(!target_valid_object("\xf4\x90\x80\x80"), "object: past U+10FFFF");
	ok(!target_valid_object("a\xe2\x82"), "object: truncated sequence");
	s = repeat('o', 1024);
	ok(target_valid_object(s), "object: 1024 bytes");
	free(s);
	s = repeat('o', 1025);
	ok(!target_valid_object(s), "object: 1025 bytes");
	free(s);
	{
		/* 341 x 3 + 1 = 1024 bytes, 342 characters */
		char u[1100] = "";

		for (int i = 0; i < 341; i++)
			strcat(u, "€");
		strcat(u, "a");
		ok(target_valid_object(u), "object: 1024 bytes of unicode");
		strcat(u, "b");
		ok(!target_valid_object(u), "object: 1025 bytes of unicode");
	}
}

/* ---- template ---- */

static void test_template(void)
{
	struct target_ctx c = base_ctx();
	char out[OVFS_OBJECT_MAX], small[8];
	char *s;

	is_int(target_expand_name(NULL, &c, out, sizeof(out)), 0,
	       "default template");
	is_str(out, STAMP "-db-master-" KEY_SHORT ".backup", "default result");
	is_int(target_expand_name(
		       "{key}|{key_id}|{key_short}|{vault}|{compartment}|{time}|{date}",
		       &c, out, sizeof(out)),
	       0, "all placeholders");
	is_str(out,
	       "db-master|ocid1.key.oc1.iad.abcdef|" KEY_SHORT
	       "|prod vault|fin_ops|" STAMP "|20231114",
	       "all placeholders: values, '/' replaced");
	is_int(target_expand_name("{{key}}-}}{{", &c, out, sizeof(out)), 0,
	       "brace escapes");
	is_str(out, "{key}-}{", "brace escapes: literal braces");
	is_int(target_expand_name("backups/{date}/{key}", &c, out, sizeof(out)),
	       0, "'/' in the template itself");
	is_str(out, "backups/20231114/db-master", "template '/' kept");

	c.key_name = "a/b\x01\x1f\x7f"
		     "c\xc2\x85"
		     "d ü";
	is_int(target_expand_name("{key}", &c, out, sizeof(out)), 0,
	       "special characters in a value");
	is_str(out, "a_b___c_d ü", "'/' and control characters become '_'");
	c = base_ctx();
	c.now = 0;
	is_int(target_expand_name("{time} {date}", &c, out, sizeof(out)), 0,
	       "epoch");
	is_str(out, "19700101T000000Z 19700101", "epoch formatted");
	c = base_ctx();
	c.vault_name = NULL;
	is_int(target_expand_name("{vault}x", &c, out, sizeof(out)), 0,
	       "NULL value");
	is_str(out, "x", "NULL value is empty");

	c = base_ctx();
	c.name_template = "{vault}.bak";
	is_int(target_expand_name(NULL, &c, out, sizeof(out)), 0,
	       "NULL template: the context's");
	is_str(out, "prod vault.bak", "context template used");

	c = base_ctx();
	is_int(target_expand_name("{nope}", &c, out, sizeof(out)), -EINVAL,
	       "unknown placeholder");
	is_int(target_expand_name("{}", &c, out, sizeof(out)), -EINVAL,
	       "empty placeholder");
	is_int(target_expand_name("{KEY}", &c, out, sizeof(out)), -EINVAL,
	       "placeholders are case-sensitive");
	is_int(target_expand_name("{key", &c, out, sizeof(out)), -EINVAL,
	       "unterminated placeholder");
	is_int(target_expand_name("key}", &c, out, sizeof(out)), -EINVAL,
	       "single '}'");
	is_int(target_expand_name("", &c, out, sizeof(out)), -EINVAL,
	       "empty result");
	is_int(target_expand_name("/{key}", &c, out, sizeof(out)), -EINVAL,
	       "result starts with '/'");
	is_int(target_expand_name(".", &c, out, sizeof(out)), -EINVAL,
	       "result '.'");
	c.key_name = "..";
	is_int(target_expand_name("{key}", &c, out, sizeof(out)), -EINVAL,
	       "result '..' from a value");
	c = base_ctx();
	is_int(target_expand_name("a\tb", &c, out, sizeof(out)), -EINVAL,
	       "control character in the template");
	s = repeat('x', 1025);
	is_int(target_expand_name(s, &c, out, sizeof(out)), -EINVAL,
	       "result over 1024 bytes");
	s[1024] = '\0';
	is_int(target_expand_name(s, &c, out, sizeof(out)), 0,
	       "result of exactly 1024 bytes");
	free(s);
	is_int(target_expand_name("{key}", &c, small, sizeof(small)), -EINVAL,
	       "output too small");
	is_int(target_expand_name("{key}", NULL, out, sizeof(out)), -EINVAL,
	       "no context");

	is_int(target_check_template(NULL, why, sizeof(why)), 0,
	       "check: default");
	is_int(target_check_template(
		       "{compartment}/{vault}/{key}-{key_short}-{date}", why,
		       sizeof(why)),
	       0, "check: a good template");
	is_int(target_check_template("kms/{key_id}", why, sizeof(why)), 0,
	       "check: {key_id} names the key");
	is_int(target_check_template("{compartment}/{vault}/{key}-{date}", why,
				     sizeof(why)),
	       -EINVAL, "check: a template without the key's OCID");
	ok(strstr(why, "{key_short}") != NULL,
	   "check: reason says what to add (%s)", why);
	is_int(target_check_template("{{key_id}}-{key}", why, sizeof(why)),
	       -EINVAL, "check: a literal '{key_id}' does not count");
	is_int(target_check_template("{key}-{when}", why, sizeof(why)), -EINVAL,
	       "check: unknown placeholder");
	ok(strstr(why, "{when}") != NULL, "check: reason names it (%s)", why);
	is_int(target_check_template("{key", why, sizeof(why)), -EINVAL,
	       "check: unterminated");
	ok(strstr(why, "{{") != NULL, "check: reason tells '{{' (%s)", why);
	is_int(target_check_template("}", why, sizeof(why)), -EINVAL,
	       "check: single '}'");
	is_int(target_check_template("/x", why, sizeof(why)), -EINVAL,
	       "check: invalid result");
	ok(strstr(why, "'/'") != NULL, "check: reason (%s)", why);
	is_int(target_check_template("", why, sizeof(why)), -EINVAL,
	       "check: empty");
	is_int(target_check_template("{key_short}", NULL, 0), 0,
	       "check: no why");
	is_int(target_check_template("{key}", NULL, 0), -EINVAL,
	       "check: no why, refused");
}

/* ---- forms 1-3 ---- */

static void test_bucket_forms(void)
{
	char *s, buf[2200];
	struct target_ctx c = base_ctx();

	is_int(parse("backups"), 0, "form 1");
	is_int(tg.kind, TARGET_BUCKET, "form 1: kind");
	is_int(tg.loc.dest, OCI_BACKUP_BUCKET, "form 1: dest");
	ok(tg.needs_namespace, "form 1: needs the namespace");
	is_str(tg.loc.namespace_name, "", "form 1: namespace empty");
	is_str(tg.loc.bucket, "backups", "form 1: bucket");
	is_str(tg.loc.object, STAMP "-db-master-" KEY_SHORT ".backup",
	       "form 1: templated object");
	is_str(tg.loc.uri, "", "form 1: no URI");
	is_str(tg.display, "backups", "form 1: display");

	is_int(parse("  my.bucket-1_X \r\n"), 0, "form 1: trimmed, . - _");
	is_str(tg.loc.bucket, "my.bucket-1_X", "form 1: bucket trimmed");

	c.name_template = "{vault}/{key}";
	is_int(parse_c("backups", &c), 0, "form 1: mount template");
	is_str(tg.loc.object, "prod vault/db-master", "form 1: template used");
	c.name_template = "{key}";
	c.key_name = "..";
	is_int(parse_c("backups", &c), -EINVAL,
	       "form 1: template result invalid for this key");
	ok(!strncmp(why, "backup_name:", 12), "... reason (%s)", why);

	is_int(parse("backups/db/master.bak"), 0, "form 2");
	is_int(tg.kind, TARGET_BUCKET_OBJECT, "form 2: kind");
	ok(tg.needs_namespace, "form 2: needs the namespace");
	is_str(tg.loc.bucket, "backups", "form 2: bucket");
	is_str(tg.loc.object, "db/master.bak", "form 2: object with '/'");
	is_str(tg.display, "backups/db/master.bak", "form 2: display");
	is_int(parse("backups/my key ü.bak"), 0, "form 2: space, unicode");
	is_str(tg.loc.object, "my key ü.bak", "form 2: object kept as is");
	refused("backups/x/../y", "form 2: '..' segment in an object");
	is_str(why,
	       "invalid object name 'x/../y': it has a '.' or '..' segment",
	       "... reason");
	refused("backups/../../etc/passwd",
		"form 2: object leaving the bucket");
	refused("backups/a/./b", "form 2: '.' segment in an object");
	is_int(parse("backups/a b/%41/ü/x"), 0,
	       "form 2: space, '%%', unicode: taken literally");
	is_str(tg.object, "a b/%41/ü/x", "... the object as written");
	refused("oci://b@ns/x/../y", "form 3: '..' segment");
	refused("{\"destination\": \"BUCKET\", \"namespace\": \"ns\", "
		"\"bucketName\": \"b\", \"objectName\": \"a/./b\"}",
		"form 5: '.' segment");

	refused("backups/", "form 2: empty object");
	ok(strstr(why, "template") != NULL, "... hint (%s)", why);
	refused("backups//x", "form 2: object starts with '/'");
	refused("backups/.", "form 2: object '.'");
	refused("backups/..", "form 2: object '..'");
	refused("backups/a\tb", "form 2: tab in object");
	refused("backups/a\xc2\x85", "form 2: C1 control in object");
	refused("backups/\xff", "form 2: invalid UTF-8");
	ok(strstr(why, "UTF-8") != NULL, "... reason (%s)", why);
	refused("my bucket", "form 1: space in bucket");
	ok(strstr(why, "'my bucket'") != NULL, "... quoted (%s)", why);
	refused("bück", "form 1: non-ASCII bucket");
	refused("a\x1b[31m", "form 1: escape sequence in bucket");
	ok(!strchr(why, '\x1b'), "... not echoed raw (%s)", why);
	refused("..", "form 1: bucket '..'");
	refused("./x", "form 2: bucket '.'");
	refused("/x", "form 2: empty bucket");
	refused("", "empty");
	refused(" \t\r\n", "blank");
	refused("oci:/x@y/z", "malformed scheme: a bad bucket");

	s = repeat('b', 255);
	is_int(parse(s), 0, "bucket of 255 characters");
	free(s);
	/* 256 is valid; it is accepted when struct oci_backup_location can
	 * hold it (OVFS_BUCKET_MAX > 256), else refused with a reason. */
	s = repeat('b', 256);
	if (sizeof(tg.loc.bucket) > 256) {
		is_int(parse(s), 0, "bucket of 256 characters");
	} else {
		refused(s, "bucket of 256 characters: does not fit");
		ok(strstr(why, "too long for this build") != NULL,
		   "... reason (%s)", why);
	}
	free(s);
	s = repeat('b', 257);
	refused(s, "bucket of 257 characters");
	ok(strstr(why, "...") != NULL && strlen(why) < 200,
	   "... echo shortened (%zu bytes)", strlen(why));
	free(s);

	snprintf(buf, sizeof(buf), "b/");
	memset(buf + 2, 'o', 1024);
	buf[2 + 1024] = '\0';
	is_int(parse(buf), 0, "object of 1024 bytes");
	is_int(strlen(tg.loc.object), 1024, "... kept whole");
	strcat(buf, "o");
	refused(buf, "object of 1025 bytes");

	/* a PAR URL without its scheme must not become an object name */
	refused("objectstorage.us-ashburn-1.oraclecloud.com" PAR_PATH "x",
		"PAR URL without https://");
	ok(no_token(), "... token not shown (%s)", why);
	refused("backups/p/" TOK "/n/ns/b/bk/o/", "PAR path as object");
	ok(no_token(), "... token not shown (%s)", why);
}

static void test_oci_uri(void)
{
	char buf[300];
	char *s;

	is_int(parse("oci://backups@myns/db/master.bak"), 0, "form 3");
	is_int(tg.kind, TARGET_OCI_URI, "form 3: kind");
	ok(!tg.needs_namespace, "form 3: namespace given");
	is_str(tg.loc.namespace_name, "myns", "form 3: namespace");
	is_str(tg.loc.bucket, "backups", "form 3: bucket");
	is_str(tg.loc.object, "db/master.bak", "form 3: object");
	is_str(tg.display, "oci://backups@myns/db/master.bak",
	       "form 3: display");

	is_int(parse("oci://backups@myns/"), 0, "form 3: template");
	is_str(tg.loc.object, STAMP "-db-master-" KEY_SHORT ".backup",
	       "form 3: templated object");
	is_int(parse("OCI://backups@myns/x@y z"), 0,
	       "form 3: scheme in capitals, '@' and space in the object");
	is_str(tg.loc.object, "x@y z", "form 3: object");

	refused("oci://backups/x", "form 3: no '@'");
	ok(strstr(why, "'@'") != NULL, "... reason (%s)", why);
	refused("oci://backups/x@ns/y", "form 3: '@' after the first '/'");
	refused("oci://backups@myns", "form 3: no '/' after the namespace");
	ok(strstr(why, "oci://BUCKET@NAMESPACE/") != NULL, "... hint (%s)",
	   why);
	refused("oci://@myns/x", "form 3: empty bucket");
	refused("oci://b@/x", "form 3: empty namespace");
	refused("oci://b@my.ns/x", "form 3: '.' in namespace");
	refused("oci://b c@ns/x", "form 3: space in bucket");
	refused("oci://b@ns//x", "form 3: object starts with '/'");
	refused("oci://b@ns/..", "form 3: object '..'");
	refused("oci://b@ns/a\x01", "form 3: control character");
	s = repeat('n', 128);
	snprintf(buf, sizeof(buf), "oci://b@%s/x", s);
	is_int(parse(buf), 0, "form 3: namespace of 128");
	snprintf(buf, sizeof(buf), "oci://b@%sn/x", s);
	refused(buf, "form 3: namespace of 129");
	free(s);
}

/* ---- form 4 ---- */

#define par_ok(url, ...)                                 \
	do {                                             \
		int r_ = parse_c(url, &c);               \
		is_int(r_, 0, __VA_ARGS__);              \
		if (r_)                                  \
			printf("#   why: %s\n", why);    \
		ok(no_token(), "  ... token not shown"); \
	} while (0)

#define par_refused(url, ...)                                            \
	do {                                                             \
		int r_ = parse_c(url, &c);                               \
		is_int(r_, -EINVAL, __VA_ARGS__);                        \
		ok(why[0] && strcmp(why, "(untouched)") && no_token() && \
			   all_zero(&tg, sizeof(tg)),                    \
		   "  ... reason without token, output wiped: %s", why); \
	} while (0)

static void test_par(void)
{
	struct target_ctx c = base_ctx();
	char buf[4096];
	char *s;

	par_ok(OS_IAD PAR_PATH "db.backup", "object PAR");
	is_int(tg.kind, TARGET_PAR, "PAR: kind");
	is_int(tg.loc.dest, OCI_BACKUP_PAR_URI, "PAR: dest");
	ok(!tg.needs_namespace, "PAR: no namespace lookup");
	is_str(tg.loc.uri, OS_IAD PAR_PATH "db.backup", "PAR: URI kept");
	is_str(tg.display, OS_IAD "/p/***/n/myns/b/backups/o/db.backup",
	       "PAR: display redacted");
	is_str(tg.loc.bucket, "", "PAR: no bucket fields");

	par_ok(OS_IAD PAR_PATH "my%20key%2Fx%C3%BC.backup",
	       "object PAR: percent-encoded object");
	is_str(tg.loc.uri, OS_IAD PAR_PATH "my%20key%2Fx%C3%BC.backup",
	       "encoding kept as written");
	par_ok(OS_IAD PAR_PATH "a/b/c", "object PAR: '/' in object");

	par_ok(OS_IAD PAR_PATH, "bucket PAR");
	is_str(tg.loc.uri,
	       OS_IAD PAR_PATH STAMP "-db-master-" KEY_SHORT ".backup",
	       "bucket PAR: templated object appended");
	is_str(tg.display,
	       OS_IAD "/p/***/n/myns/b/backups/o/" STAMP "-db-master-" KEY_SHORT
		      ".backup",
	       "bucket PAR: display redacted, with the object");
	c.key_name = "my key ü/x";
	par_ok(OS_IAD PAR_PATH, "bucket PAR: unusual key name");
	is_str(tg.loc.uri,
	       OS_IAD PAR_PATH STAMP "-my%20key%20%C3%BC_x-" KEY_SHORT
				     ".backup",
	       "bucket PAR: object percent-encoded");
	c = base_ctx();

	par_ok("https://objectstorage.eu-frankfurt-1.oraclecloud.com" PAR_PATH
	       "x",
	       "another region of the realm");
	par_ok("https://objectstorage.us-ashburn-1.oraclecloud.com:443" PAR_PATH
	       "x",
	       "explicit port 443");
	par_ok("HTTPS://ObjectStorage.US-Ashburn-1.OracleCloud.com" PAR_PATH
	       "x",
	       "scheme and host in capitals");
	is_str(tg.loc.uri, OS_IAD PAR_PATH "x", "... host lower-cased");
	par_ok("https://myns.objectstorage.us-ashburn-1.oci.customer-oci.com" PAR_PATH
	       "x",
	       "dedicated host in oc1");
	par_ok("https://myns.objectstorage.ap-tokyo-1.oci.customer-oci.com" PAR_PATH,
	       "dedicated host, other region, bucket PAR");

	par_refused(
		"https://other.objectstorage.us-ashburn-1.oci.customer-oci.com" PAR_PATH
		"x",
		"dedicated host of another namespace");
	par_refused(
		"https://objectstorage.us-langley-1.oraclegovcloud.com" PAR_PATH
		"x",
		"another realm's domain");
	ok(strstr(why, "oraclegovcloud.com") != NULL, "... host named (%s)",
	   why);
	par_refused(
		"https://objectstorage.us-ashburn-1.oraclecloud.com:8443" PAR_PATH
		"x",
		"realm host with another port");
	par_refused("https://evil.example.com" PAR_PATH "x", "foreign host");
	par_refused(
		"https://objectstorage.us-ashburn-1.oraclecloud.com.evil.com" PAR_PATH
		"x",
		"realm domain as a prefix");
	par_refused(
		"https://xobjectstorage.us-ashburn-1.oraclecloud.com" PAR_PATH
		"x",
		"label prefix");
	par_refused(
		"https://evil.objectstorage.us-ashburn-1.oraclecloud.com" PAR_PATH
		"x",
		"sub-domain of an Object Storage host");
	par_refused("https://objectstorage.oraclecloud.com" PAR_PATH "x",
		    "no region");
	par_refused(
		"https://objectstorage.us_ashburn_1.oraclecloud.com" PAR_PATH
		"x",
		"malformed region");
	par_refused("https://kms.us-ashburn-1.oraclecloud.com" PAR_PATH "x",
		    "another service's host");
	par_refused("https://127.0.0.1:8443" PAR_PATH "x",
		    "endpoint host without an endpoint");

	c.region = &gov;
	par_ok("https://objectstorage.us-luke-1.oraclegovcloud.com" PAR_PATH
	       "x",
	       "oc2: its own domain");
	par_refused(OS_IAD PAR_PATH "x", "oc2: the oc1 domain");
	par_refused(
		"https://myns.objectstorage.us-langley-1.oci.customer-oci.com" PAR_PATH
		"x",
		"oc2: no dedicated hosts");
	c.region = NULL;
	par_refused(OS_IAD PAR_PATH "x", "no region, no endpoint");
	ok(strstr(why, "no region or endpoint") != NULL, "... reason (%s)",
	   why);
	c = base_ctx();

	c.endpoint_host = "127.0.0.1:8443";
	par_ok("https://127.0.0.1:8443" PAR_PATH "x", "endpoint host:port");
	is_str(tg.loc.uri, "https://127.0.0.1:8443" PAR_PATH "x",
	       "endpoint: URI");
	par_refused("https://127.0.0.1:9443" PAR_PATH "x",
		    "endpoint host, other port");
	par_refused("https://127.0.0.1" PAR_PATH "x",
		    "endpoint host, default port");
	ok(strstr(why, "127.0.0.1:8443") != NULL, "... endpoint named (%s)",
	   why);
	par_ok(OS_IAD PAR_PATH "x", "realm hosts still allowed with endpoint");
	c.endpoint_host = "Emu.Example:443";
	par_ok("https://emu.example" PAR_PATH "x", "endpoint: 443 = no port");
	c.endpoint_host = "emu.example";
	par_ok("https://EMU.example:443" PAR_PATH "x",
	       "endpoint without port: 443");
	par_refused("https://emu.example:8443" PAR_PATH "x",
		    "endpoint without port: 8443 refused");
	c.endpoint_host = "[::1]:8443";
	par_ok("https://[::1]:8443" PAR_PATH "x", "IPv6 endpoint");
	is_str(tg.loc.uri, "https://[::1]:8443" PAR_PATH "x",
	       "IPv6 endpoint: brackets kept");
	par_refused("https://[::2]:8443" PAR_PATH "x", "other IPv6 host");
	ok(strstr(why, "'[::2]:8443'") != NULL, "... host in brackets (%s)",
	   why);
	c = base_ctx();

	par_refused("http://objectstorage.us-ashburn-1.oraclecloud.com" PAR_PATH
		    "x",
		    "http://");
	ok(strstr(why, "http://") != NULL, "... says why (%s)", why);
	par_refused("ftp://objectstorage.us-ashburn-1.oraclecloud.com" PAR_PATH
		    "x",
		    "ftp://");
	par_refused(OS_IAD PAR_PATH "x?y=1", "query string");
	ok(strstr(why, "query") != NULL, "... reason (%s)", why);
	par_refused(OS_IAD PAR_PATH "x?", "empty query string");
	par_refused(OS_IAD PAR_PATH "x#frag", "fragment");
	ok(strstr(why, "fragment") != NULL, "... reason (%s)", why);
	par_refused("https://user:" TOK
		    "@objectstorage.us-ashburn-1.oraclecloud.com" PAR_PATH "x",
		    "user info");
	ok(strstr(why, "user information") != NULL, "... reason (%s)", why);
	par_refused(OS_IAD "/p/ab+cd/n/myns/b/backups/o/x", "'+' in token");
	par_refused(OS_IAD "/p/ab%2Fcd/n/myns/b/backups/o/x", "'%%' in token");
	par_refused(OS_IAD "/p/ab=cd/n/myns/b/backups/o/x", "'=' in token");
	par_refused(OS_IAD "/p//n/myns/b/backups/o/x", "empty token");
	par_refused(OS_IAD "/n/myns/b/backups/o/x", "no /p/");
	par_refused(OS_IAD "/p/" TOK "/n/myns/b/backups", "no /o/");
	par_refused(OS_IAD "/p/" TOK "/n/myns/b/backups/o", "no '/' after o");
	par_refused(OS_IAD "/p/" TOK "/b/backups/o/x", "no /n/");
	par_refused(OS_IAD "/p/" TOK, "token only");
	par_refused(OS_IAD, "no path");
	par_refused(OS_IAD "/p/" TOK "/n/my.ns/b/backups/o/x",
		    "invalid namespace");
	par_refused(OS_IAD "/p/" TOK "/n//b/backups/o/x", "empty namespace");
	par_refused(OS_IAD "/p/" TOK "/n/myns/b/bad%20bucket/o/x",
		    "invalid bucket");
	par_refused(OS_IAD "/p/" TOK "/n/myns/b/../o/x", "bucket '..'");
	par_refused(OS_IAD PAR_PATH "a/../b", "'..' segment");
	ok(strstr(why, "'..'") != NULL, "... reason (%s)", why);
	par_refused(OS_IAD PAR_PATH "./b", "'.' segment");
	par_refused(OS_IAD "/p/" TOK "/../" TOK "/n/myns/b/backups/o/x",
		    "'..' after the token");
	par_refused(OS_IAD PAR_PATH "%zz", "malformed escape");
	par_refused(OS_IAD PAR_PATH "a%2", "truncated escape");
	par_refused(OS_IAD PAR_PATH "a%00b", "escaped NUL");
	par_refused(OS_IAD PAR_PATH "a%0Ab", "escaped newline");
	par_refused(OS_IAD PAR_PATH "a%FF", "escaped invalid UTF-8");
	par_refused(OS_IAD PAR_PATH "%2E", "object '.' escaped");
	par_refused(OS_IAD PAR_PATH "a/%2E%2E/b", "'..' segment escaped");
	par_refused(OS_IAD PAR_PATH "a%2F%2E%2E%2Fb",
		    "'..' behind escaped '/'");
	par_refused(OS_IAD PAR_PATH "x/..", "'..' segment at the end");
	par_refused(OS_IAD "/p/../n/myns/b/backups/o/x", "token '..'");
	par_refused(OS_IAD "/p/./n/myns/b/backups/o/x", "token '.'");
	par_refused(OS_IAD PAR_PATH "%2Fx", "object starting with '/'");
	par_refused(OS_IAD PAR_PATH "my key", "raw space");
	par_refused(OS_IAD PAR_PATH "ü", "raw non-ASCII");

	s = repeat('o', 1024);
	snprintf(buf, sizeof(buf), OS_IAD PAR_PATH "%s", s);
	par_ok(buf, "object of 1024 bytes in a URL");
	snprintf(buf, sizeof(buf), OS_IAD PAR_PATH "%so", s);
	par_refused(buf, "object of 1025 bytes in a URL");
	free(s);

	/* the URI must fit in OVFS_URL_MAX once the object is appended */
	s = repeat('T', 1700);
	snprintf(buf, sizeof(buf), OS_IAD "/p/%s/n/myns/b/backups/o/", s);
	c.key_name = "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€"
		     "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€";
	is_int(parse_c(buf, &c), -EINVAL, "bucket PAR: URI too long");
	ok(strstr(why, "longer than") && !strstr(why, "TTTTT"),
	   "... reason (%s)", why);
	c = base_ctx();
	is_int(parse_c(buf, &c), 0, "bucket PAR: long token, short name");
	free(s);
}

/* ---- form 5 ---- */

static void test_json(void)
{
	struct target_ctx c = base_ctx();

	is_int(parse("{\"destination\": \"BUCKET\", \"namespace\": \"myns\", "
		     "\"bucketName\": \"backups\", \"objectName\": \"k/1\"}"),
	       0, "JSON BackupLocation (bucket)");
	is_int(tg.kind, TARGET_JSON, "JSON: kind");
	is_int(tg.loc.dest, OCI_BACKUP_BUCKET, "JSON: dest");
	ok(!tg.needs_namespace, "JSON: namespace given");
	is_str(tg.loc.namespace_name, "myns", "JSON: namespace");
	is_str(tg.loc.bucket, "backups", "JSON: bucket");
	is_str(tg.loc.object, "k/1", "JSON: object");
	is_str(tg.display, "myns/backups/k/1", "JSON: display");

	is_int(parse("{\n  \"backupLocation\": {\n    \"destination\": "
		     "\"BUCKET\",\n    \"namespace\": \"myns\",\n    "
		     "\"bucketName\": \"backups\",\n    \"objectName\": "
		     "\"x\"\n  }\n}\n"),
	       0, "JSON BackupKeyDetails over several lines");
	is_str(tg.loc.object, "x", "BackupKeyDetails: object");

	par_ok("{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\", \"uri\": \"" OS_IAD
		       PAR_PATH "db.backup\"}",
	       "JSON PAR");
	is_int(tg.kind, TARGET_JSON, "JSON PAR: kind");
	is_int(tg.loc.dest, OCI_BACKUP_PAR_URI, "JSON PAR: dest");
	is_str(tg.loc.uri, OS_IAD PAR_PATH "db.backup", "JSON PAR: URI");
	is_str(tg.display, OS_IAD "/p/***/n/myns/b/backups/o/db.backup",
	       "JSON PAR: display redacted");
	par_ok("{\"backupLocation\": {\"destination\": "
	       "\"PRE_AUTHENTICATED_REQUEST_URI\", \"uri\": \"" OS_IAD PAR_PATH
	       "\"}}",
	       "JSON bucket PAR");
	is_str(tg.loc.uri,
	       OS_IAD PAR_PATH STAMP "-db-master-" KEY_SHORT ".backup",
	       "JSON bucket PAR: object appended");
	par_refused("{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\", "
		    "\"uri\": \"https://evil.example.com" PAR_PATH "x\"}",
		    "JSON PAR: foreign host");
	par_refused(
		"{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\", "
		"\"uri\": \"http://objectstorage.us-ashburn-1.oraclecloud.com" PAR_PATH
		"x\"}",
		"JSON PAR: http://");
	ok(strstr(why, "http:// is refused") != NULL, "... reason (%s)", why);
	par_refused("{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\", "
		    "\"uri\": \"" OS_IAD PAR_PATH "x?q\"}",
		    "JSON PAR: query");

	refused("{\"destination\": \"NOWHERE\", \"uri\": \"x\"}",
		"JSON: wrong destination");
	ok(!strncmp(why, "invalid JSON target", 19), "... reason (%s)", why);
	refused("{\"destination\": \"BUCKET\", \"namespace\": \"myns\", "
		"\"bucketName\": \"backups\"}",
		"JSON: objectName missing");
	refused("{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\"}",
		"JSON: uri missing");
	refused("{\"namespace\": \"myns\"}", "JSON: destination missing");
	refused("{\"destination\": \"BUCKET\", \"namespace\": \"my.ns\", "
		"\"bucketName\": \"backups\", \"objectName\": \"x\"}",
		"JSON: invalid namespace");
	refused("{\"destination\": \"BUCKET\", \"namespace\": \"myns\", "
		"\"bucketName\": \"bad bucket\", \"objectName\": \"x\"}",
		"JSON: invalid bucket");
	refused("{\"destination\": \"BUCKET\", \"namespace\": \"myns\", "
		"\"bucketName\": \"backups\", \"objectName\": \"/x\"}",
		"JSON: invalid object");
	refused("{\"destination\": \"BUCKET\", \"namespace\": \"myns\", "
		"\"bucketName\": \"backups\", \"objectName\": \"..\"}",
		"JSON: object '..'");
	refused("{", "JSON: malformed");
	refused("{\"destination\": \"BUCKET\"} trailing",
		"JSON: trailing text");
	refused("{}", "JSON: empty object");
	(void)c;
}

/* ---- vault backups: keys=yes|no, isIncludeKeys, vault templates ---- */

/* {vault_short} of VAULT_ID: its last 12 characters. */
#define VAULT_ID "ocid1.vault.oc1.iad.xyz.abcdefghijkl"
#define VAULT_SHORT "abcdefghijkl"

static struct target_ctx vault_ctx(void)
{
	struct target_ctx c = {
		.region = &iad,
		.vault_name = "prod vault",
		.compartment_name = "fin/ops",
		.now = NOW,
		.vault_id = VAULT_ID,
		.vault_backup = true,
	};

	return c;
}

static void test_keys_word(void)
{
	struct target_ctx c = base_ctx();

	is_int(parse("backups"), 0, "no keys word");
	is_int(tg.include_keys, -1, "no keys word: not given (-1)");
	is_int(parse("keys=yes backups"), 0, "keys=yes, form 1");
	is_int(tg.include_keys, 1, "keys=yes: 1");
	is_int(tg.kind, TARGET_BUCKET, "keys=yes, form 1: kind");
	is_str(tg.loc.bucket, "backups", "keys=yes, form 1: bucket");
	is_str(tg.display, "backups", "keys=yes, form 1: display without it");
	ok(tg.templated, "keys=yes, form 1: templated object");
	is_int(parse("keys=no backups"), 0, "keys=no, form 1");
	is_int(tg.include_keys, 0, "keys=no: 0");
	is_int(parse("  keys=no \t backups/v/1.bak \n"), 0,
	       "keys=no, form 2, white space around");
	is_int(tg.include_keys, 0, "keys=no, form 2: 0");
	is_int(tg.kind, TARGET_BUCKET_OBJECT, "keys=no, form 2: kind");
	is_str(tg.loc.object, "v/1.bak", "keys=no, form 2: object");
	is_str(tg.display, "backups/v/1.bak", "keys=no, form 2: display");
	is_int(parse("keys=yes\toci://backups@myns/v.bak"), 0,
	       "keys=yes, form 3 after a tab");
	is_int(tg.include_keys, 1, "keys=yes, form 3: 1");
	is_int(tg.kind, TARGET_OCI_URI, "keys=yes, form 3: kind");
	is_str(tg.loc.namespace_name, "myns", "keys=yes, form 3: namespace");
	is_str(tg.loc.object, "v.bak", "keys=yes, form 3: object");
	is_int(parse("keys=no oci://backups@myns/"), 0,
	       "keys=no, form 3 templated");
	is_int(tg.include_keys, 0, "keys=no, form 3 templated: 0");
	par_ok("keys=no " OS_IAD PAR_PATH "v.bak", "keys=no, form 4 (PAR)");
	is_int(tg.include_keys, 0, "keys=no, form 4: 0");
	is_int(tg.kind, TARGET_PAR, "keys=no, form 4: kind");
	is_str(tg.display, OS_IAD "/p/***/n/myns/b/backups/o/v.bak",
	       "keys=no, form 4: display redacted, no keys word");
	par_ok("keys=yes " OS_IAD PAR_PATH, "keys=yes, bucket PAR");
	is_int(tg.include_keys, 1, "keys=yes, bucket PAR: 1");

	/* A name that only starts like the word is a bucket or object. */
	is_int(parse("keysbackups"), 0, "'keys' without '=' is a bucket");
	is_int(tg.include_keys, -1, "... no choice");
	is_int(parse("backups/keys=no x"), 0, "keys= inside an object name");
	is_str(tg.loc.object, "keys=no x", "... kept in the object");
	is_int(tg.include_keys, -1, "... no choice");

	refused("keys=maybe backups", "keys=maybe");
	ok(strstr(why, "'yes' or 'no'") != NULL, "... reason (%s)", why);
	refused("keys=YES backups", "keys= is case-sensitive");
	refused("keys=yesno backups", "keys=yesno");
	refused("keys= backups", "keys= without a value");
	refused("keys=yes", "keys=yes without a target");
	ok(strstr(why, "no target") != NULL, "... reason (%s)", why);
	refused("keys=no   \t", "keys=no and blanks only");
	refused("keys=yes keys=no backups", "two keys words");
	refused("keys=yes {\"destination\": \"BUCKET\", \"namespace\": "
		"\"myns\", \"bucketName\": \"backups\", \"objectName\": \"x\"}",
		"keys= with a JSON target");
	ok(strstr(why, "isIncludeKeys") != NULL, "... reason (%s)", why);
	refused("keys=yes my bucket", "keys=yes, then a bad bucket");
	par_refused("keys=no https://evil.example.com" PAR_PATH "x",
		    "keys=no, then a foreign PAR host");
}

#define JSON_LOC                                                 \
	"\"destination\": \"BUCKET\", \"namespace\": \"myns\", " \
	"\"bucketName\": \"backups\", \"objectName\": \"v.bak\""

static void test_include_keys_json(void)
{
	struct target_ctx c = base_ctx();

	is_int(parse("{" JSON_LOC "}"), 0, "JSON without isIncludeKeys");
	is_int(tg.include_keys, -1, "... not given (-1)");
	is_int(parse("{\"backupLocation\": {" JSON_LOC
		     "}, \"isIncludeKeys\": true}"),
	       0, "BackupVaultDetails, isIncludeKeys true");
	is_int(tg.include_keys, 1, "... 1");
	is_str(tg.loc.object, "v.bak", "... the location");
	is_int(parse("{\"backupLocation\": {" JSON_LOC
		     "}, \"isIncludeKeys\": false}"),
	       0, "BackupVaultDetails, isIncludeKeys false");
	is_int(tg.include_keys, 0, "... 0");
	is_int(parse("{" JSON_LOC ", \"isIncludeKeys\": false}"), 0,
	       "bare BackupLocation with isIncludeKeys false");
	is_int(tg.include_keys, 0, "... 0");
	is_int(parse("{" JSON_LOC ", \"isIncludeKeys\": true}"), 0,
	       "bare BackupLocation with isIncludeKeys true");
	is_int(tg.include_keys, 1, "... 1");
	is_int(parse("{\"backupLocation\": {" JSON_LOC "}}"), 0,
	       "BackupKeyDetails shape: not given");
	is_int(tg.include_keys, -1, "... -1");
	par_ok("{\"backupLocation\": {\"destination\": "
	       "\"PRE_AUTHENTICATED_REQUEST_URI\", \"uri\": \"" OS_IAD PAR_PATH
	       "v.bak\"}, \"isIncludeKeys\": false}",
	       "BackupVaultDetails with a PAR");
	is_int(tg.include_keys, 0, "... 0 kept through the PAR parse");
	is_int(tg.loc.dest, OCI_BACKUP_PAR_URI, "... PAR destination");

	refused("{\"backupLocation\": {" JSON_LOC
		"}, \"isIncludeKeys\": \"yes\"}",
		"isIncludeKeys a string");
	ok(strstr(why, "isIncludeKeys") != NULL, "... reason (%s)", why);
	refused("{" JSON_LOC ", \"isIncludeKeys\": 1}",
		"isIncludeKeys a number");
	/* null is absent (JSON_OPTIONAL), as OCI's SDKs read it */
	is_int(parse("{" JSON_LOC ", \"isIncludeKeys\": null}"), 0,
	       "isIncludeKeys null");
	is_int(tg.include_keys, -1, "... not given (-1)");
	refused("{\"backupLocation\": {" JSON_LOC ", \"isIncludeKeys\": true}}",
		"isIncludeKeys inside backupLocation");
	ok(strstr(why, "next to backupLocation") != NULL, "... reason (%s)",
	   why);
}

static void test_vault_template(void)
{
	struct target_ctx c = vault_ctx();
	char out[OVFS_OBJECT_MAX];

	is_int(target_expand_name(NULL, &c, out, sizeof(out)), 0,
	       "vault: default template");
	is_str(out, STAMP "-vault-prod vault-" VAULT_SHORT ".backup",
	       "vault: TARGET_DEFAULT_VAULT_TEMPLATE result");
	is_int(target_expand_name(TARGET_DEFAULT_VAULT_TEMPLATE, &c, out,
				  sizeof(out)),
	       0, "vault: the default, given");
	is_str(out, STAMP "-vault-prod vault-" VAULT_SHORT ".backup",
	       "vault: the same");
	is_int(target_expand_name("{vault_id}|{vault_short}|{vault}|"
				  "{compartment}|{date}",
				  &c, out, sizeof(out)),
	       0, "vault: its placeholders");
	is_str(out, VAULT_ID "|" VAULT_SHORT "|prod vault|fin_ops|20231114",
	       "vault: values");
	c.vault_id = "short";
	is_int(target_expand_name("{vault_short}", &c, out, sizeof(out)), 0,
	       "vault: an OCID under 12 characters");
	is_str(out, "short", "... whole");
	c = vault_ctx();
	is_int(target_expand_name("{key}", &c, out, sizeof(out)), -EINVAL,
	       "vault: {key} refused");
	is_int(target_expand_name("{key_id}", &c, out, sizeof(out)), -EINVAL,
	       "vault: {key_id} refused");
	is_int(target_expand_name("{vault}-{key_short}", &c, out, sizeof(out)),
	       -EINVAL, "vault: {key_short} refused");
	is_int(target_expand_name("{{key}}-{vault_short}", &c, out,
				  sizeof(out)),
	       0, "vault: a literal {key} is text");
	is_str(out, "{key}-" VAULT_SHORT, "... braces kept");
	c.name_template = "v/{vault_short}.bak";
	is_int(target_expand_name(NULL, &c, out, sizeof(out)), 0,
	       "vault: the context's template");
	is_str(out, "v/" VAULT_SHORT ".bak", "... used");

	/* The key placeholders of a key's backup still expand {vault_id}. */
	c = base_ctx();
	c.vault_id = VAULT_ID;
	is_int(target_expand_name("{key_short}-{vault_short}", &c, out,
				  sizeof(out)),
	       0, "key backup: {vault_short} too");
	is_str(out, KEY_SHORT "-" VAULT_SHORT, "... values");

	/* Form 1 of a vault: the vault template; its errors are named. */
	c = vault_ctx();
	is_int(parse_c("keys=no backups", &c), 0, "vault: form 1");
	is_str(tg.loc.object, STAMP "-vault-prod vault-" VAULT_SHORT ".backup",
	       "vault: form 1 object from the vault default");
	is_int(tg.include_keys, 0, "vault: keys=no");
	c.name_template = "{key}.bak";
	is_int(parse_c("backups", &c), -EINVAL,
	       "vault: form 1 with a key placeholder");
	ok(!strncmp(why, "vault_backup_name:", 18), "... reason (%s)", why);
	ok(strstr(why, "{vault_short}") != NULL, "... says what to use");

	is_int(target_check_vault_template(NULL, why, sizeof(why)), 0,
	       "vault check: default");
	is_int(target_check_vault_template(TARGET_DEFAULT_VAULT_TEMPLATE, why,
					   sizeof(why)),
	       0, "vault check: the default, given");
	is_int(target_check_vault_template("{compartment}/{vault}-{vault_short}"
					   "-{time}",
					   why, sizeof(why)),
	       0, "vault check: {vault_short}");
	is_int(target_check_vault_template("vaults/{vault_id}.bak", why,
					   sizeof(why)),
	       0, "vault check: {vault_id}");
	is_int(target_check_vault_template("{vault}-{date}", why, sizeof(why)),
	       -EINVAL, "vault check: no vault OCID");
	ok(strstr(why, "{vault_short}") != NULL &&
		   strstr(why, "{vault_id}") != NULL,
	   "... reason says what to add (%s)", why);
	is_int(target_check_vault_template("{{vault_id}}-{vault}", why,
					   sizeof(why)),
	       -EINVAL, "vault check: a literal {vault_id} does not count");
	is_int(target_check_vault_template("{key}-{vault_short}", why,
					   sizeof(why)),
	       -EINVAL, "vault check: {key} refused");
	ok(strstr(why, "{key}") != NULL, "... reason names it (%s)", why);
	is_int(target_check_vault_template("{vault_short}-{key_id}", why,
					   sizeof(why)),
	       -EINVAL, "vault check: {key_id} refused");
	is_int(target_check_vault_template("{key_short}/{vault_id}", why,
					   sizeof(why)),
	       -EINVAL, "vault check: {key_short} refused");
	is_int(target_check_vault_template(TARGET_DEFAULT_TEMPLATE, why,
					   sizeof(why)),
	       -EINVAL, "vault check: the key default refused");
	is_int(target_check_vault_template("{vault_short}-{when}", why,
					   sizeof(why)),
	       -EINVAL, "vault check: unknown placeholder");
	is_int(target_check_vault_template("/{vault_id}", why, sizeof(why)),
	       -EINVAL, "vault check: invalid result");
	is_int(target_check_vault_template("{vault_id}", NULL, 0), 0,
	       "vault check: no why");
	/* And the key check refuses the vault placeholders' lack of a key. */
	is_int(target_check_template("{vault_short}", why, sizeof(why)),
	       -EINVAL, "key check: a vault template is not a key's");
}

/* ---- everything through target_extract, as backups.c uses it ---- */

static void test_pipeline(void)
{
	const char *data = "# ocivaultfs help\n#   BUCKET\n\n"
			   "  oci://backups@myns/ \r\n# saved by an editor\n";
	struct target_ctx c = base_ctx();
	size_t s, l;

	is_int(target_extract(data, strlen(data), &s, &l, why, sizeof(why)), 0,
	       "editor buffer: extract");
	is_int(target_parse(data + s, l, &c, &tg, why, sizeof(why)), 0,
	       "editor buffer: parse");
	is_str(tg.loc.bucket, "backups", "editor buffer: bucket");
	is_str(tg.display, "oci://backups@myns/", "editor buffer: display");
	is_int(target_parse("backups\0evil", 12, &c, &tg, why, sizeof(why)),
	       -EINVAL, "NUL inside the target");
	/* the help text's own leader (a vim-proof one, docs/ocivaultfs.md) */
	data = "; ocivaultfs: write one backup target\n;   BUCKET\n"
	       "backups/obj\n; trailing\n";
	is_int(target_extract(data, strlen(data), &s, &l, why, sizeof(why)), 0,
	       "';' help lines: extract");
	is_int((int)l, 11, "';' help lines: the target line only");
	is_int(memcmp(data + s, "backups/obj", 11), 0, "';' help lines: text");
	data = "; only help\n;   BUCKET\n";
	is_int(target_extract(data, strlen(data), &s, &l, why, sizeof(why)),
	       -ENODATA, "';' help lines only: no target");
}

/* ---- redaction ---- */

static void test_redact(void)
{
	char out[OVFS_URL_MAX], small[12];

	target_redact_url(OS_IAD PAR_PATH "x", out, sizeof(out));
	is_str(out, OS_IAD "/p/***/n/myns/b/backups/o/x", "token replaced");
	target_redact_url("https://h/p/" TOK, out, sizeof(out));
	is_str(out, "https://h/p/***", "token at the end");
	target_redact_url("https://h/p/" TOK "?x#y", out, sizeof(out));
	is_str(out, "https://h/p/***?x#y", "token before a query");
	target_redact_url("/p/" TOK "/n/x", out, sizeof(out));
	is_str(out, "/p/***/n/x", "a bare path");
	target_redact_url("https://h/n/ns/b/b/o/p/x", out, sizeof(out));
	is_str(out, "https://h/n/ns/b/b/o/p/x", "not a PAR: unchanged");
	target_redact_url(OS_IAD PAR_PATH "a/p/b", out, sizeof(out));
	is_str(out, OS_IAD "/p/***/n/myns/b/backups/o/a/p/b",
	       "only the first segment is the token");
	target_redact_url("https://h", out, sizeof(out));
	is_str(out, "https://h", "no path");
	target_redact_url(NULL, out, sizeof(out));
	is_str(out, "", "NULL");
	target_redact_url("https://h/p/" TOK "/n", small, sizeof(small));
	ok(strlen(small) == sizeof(small) - 1 && !strstr(small, "SeC"),
	   "short output: cut, NUL-terminated, no token (%s)", small);
	memcpy(small, "unchanged", 10);
	target_redact_url("https://h/p/x", small, 0);
	is_str(small, "unchanged", "n == 0 writes nothing");
}

static void test_redact_text(void)
{
	char msg[] = "PAR 'https://h/p/SeCrEtToKeN123/n/ns/b/b/o/x' expired; "
		     "also /p/AbC/ and /p/xy/";

	target_redact_text(msg);
	is_str(msg,
	       "PAR 'https://h/p/***/n/ns/b/b/o/x' expired; also /p/***/ and "
	       "/p//",
	       "every token in free text is redacted");
	ok(!strstr(msg, "SeCrEt"), "no token left");
}

/*
 * Found by tests/fuzz/fuzz_target.c (corpus/target/par-in-namespace): a
 * PAR URL in a field where a name belongs is quoted in the reason, and
 * its token must not be.
 */
static void test_par_in_a_name_field(void)
{
	struct target_ctx c = base_ctx();
	static const char *const texts[] = {
		"{\"destination\": \"BUCKET\", \"namespace\": \"https://127.0.0.1"
		":8443/p/" TOK "/n/ns\", \"bucketName\": \"b\", "
		"\"objectName\": \"k\"}",
		"{\"destination\": \"BUCKET\", \"namespace\": \"ns\", "
		"\"bucketName\": \"x/p/" TOK "\", \"objectName\": \"k\"}",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(why, 0, sizeof(why));
		is_int(target_parse(texts[i], strlen(texts[i]), &c, &tg, why,
				    sizeof(why)),
		       -EINVAL, "PAR URL in a name field %zu refused", i);
		ok(why[0] && !strstr(why, TOK),
		   "the reason does not show the token: %s", why);
	}
}

static void test_incomplete(void)
{
	static const struct {
		const char *in;
		bool want;
	} v[] = {
		{"{\n", true},
		{"# help\n{\n  \"destination\": \"BUCKET\",\n", true},
		{"{\"uri\": \"https://h/p/T}/n/x\"", true},
		{"{\"a\": [1, {\"b\": 2}]", true},
		{"{\"a\": \"\\\"}\"", true},
		{"{\"a\": 1}\n", false},
		{"{\"a\": {\"b\": \"}\"}}", false},
		{"backups\n", false},
		{"backups", false},
		{"# {\n", false},
		{"", false},
		{"}", false},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(target_incomplete(v[i].in, strlen(v[i].in)), v[i].want,
		       "incomplete(%s) is %d", v[i].in, v[i].want);
	ok(!target_incomplete(NULL, 0), "incomplete(NULL) is false");
}

int main(void)
{
	test_redact_text();
	test_extract();
	test_validators();
	test_template();
	test_bucket_forms();
	test_oci_uri();
	test_par();
	test_json();
	test_pipeline();
	test_redact();
	test_par_in_a_name_field();
	test_incomplete();
	test_keys_word();
	test_include_keys_json();
	test_vault_template();
	return done_testing();
}
