/* SPDX-License-Identifier: MIT */
/* Unit tests for json.c: strict parsing, checked accessors, json_is_ocid. */
#include <errno.h>
#include <float.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

#define BIG (16u * 1024 * 1024)

static char why[256];

/* Parse a C string; returns the errno-style result, frees the tree. */
static int parse_rc(const char *text)
{
	struct cJSON *root = NULL;
	int ret;

	why[0] = '\0';
	ret = json_parse(text, strlen(text), BIG, &root, why, sizeof(why));
	if (!ret && !root)
		ret = -1000; /* success must yield a tree */
	if (ret && root)
		ret = -1001; /* failure must not */
	json_free(root);
	return ret;
}

static int parse_len_rc(const char *text, size_t len)
{
	struct cJSON *root = NULL;
	int ret;

	why[0] = '\0';
	ret = json_parse(text, len, BIG, &root, why, sizeof(why));
	json_free(root);
	return ret;
}

static struct cJSON *parse(const char *text)
{
	struct cJSON *root = NULL;

	if (json_parse(text, strlen(text), BIG, &root, why, sizeof(why)))
		printf("# unexpected parse failure of %s: %s\n", text, why);
	return root;
}

/* Nest `depth` arrays (or objects) around 1. */
static char *nested(size_t depth, bool objects)
{
	size_t i, n = 0;
	char *s = malloc(depth * 6 + 8);

	if (!s)
		return NULL;
	for (i = 0; i < depth; i++) {
		if (objects) {
			memcpy(s + n, "{\"a\":", 5);
			n += 5;
		} else {
			s[n++] = '[';
		}
	}
	s[n++] = '1';
	for (i = 0; i < depth; i++)
		s[n++] = objects ? '}' : ']';
	s[n] = '\0';
	return s;
}

static void test_parse_basic(void)
{
	const char *slice = "{\"a\":1}XYZ";
	struct cJSON *root = NULL;
	int ret;

	is_int(parse_rc("{}"), 0, "empty object");
	is_int(parse_rc("[]"), 0, "empty array");
	is_int(parse_rc(" \t\r\n{\"a\": [1, 2.5, -3e2, true, false, null, "
			"\"x\", {}]} \n"),
	       0, "all value types with surrounding white space");
	is_int(parse_rc("\"just a string\""), 0, "top-level string");
	is_int(parse_rc("42"), 0, "top-level number");
	is_int(parse_rc("\xef\xbb\xbf{}"), 0, "leading UTF-8 BOM skipped");
	is_int(parse_len_rc(slice, 7), 0,
	       "text need not be NUL-terminated (slice of a longer buffer)");
	is_int(parse_len_rc(slice, 8), -EPROTO, "... but the byte after is");

	ret = json_parse("", 0, 100, &root, why, sizeof(why));
	is_int(ret, -EPROTO, "empty text refused");
	ok(root == NULL, "no tree on failure");
	is_int(json_parse(NULL, 0, 100, &root, why, sizeof(why)), -EPROTO,
	       "NULL text refused");
	is_int(parse_rc("   "), -EPROTO, "white space only refused");

	is_int(json_parse("[1,2]", 5, 4, &root, why, sizeof(why)), -EMSGSIZE,
	       "over max: -EMSGSIZE");
	ok(strstr(why, "too large") != NULL, "why says too large: %s", why);
	is_int(json_parse("[1,2]", 5, 5, &root, why, sizeof(why)), 0,
	       "exactly max is fine");
	json_free(root);
	root = NULL;
	is_int(json_parse("[1,2] x", 7, 100, &root, NULL, 0), -EPROTO,
	       "NULL why is allowed");
	json_free(NULL);
	ok(1, "json_free(NULL) is a no-op");
}

static void test_parse_depth(void)
{
	char *s;
	size_t i, n;

	s = nested(64, false);
	is_int(parse_rc(s), 0, "64 nested arrays accepted");
	free(s);
	s = nested(65, false);
	is_int(parse_rc(s), -EPROTO, "65 nested arrays refused");
	ok(strstr(why, "nesting") != NULL, "why: %s", why);
	free(s);
	s = nested(64, true);
	is_int(parse_rc(s), 0, "64 nested objects accepted");
	free(s);
	s = nested(65, true);
	is_int(parse_rc(s), -EPROTO, "65 nested objects refused");
	free(s);
	s = nested(10000, false);
	is_int(parse_rc(s), -EPROTO, "10000 nested arrays refused");
	free(s);
	s = nested(10000, true);
	is_int(parse_rc(s), -EPROTO, "10000 nested objects refused");
	free(s);
	/* Unclosed deep nesting must not recurse without bound either. */
	s = malloc(100001);
	memset(s, '[', 100000);
	s[100000] = '\0';
	is_int(parse_rc(s), -EPROTO, "100000 unclosed '[' refused");
	free(s);

	/* The value count: the array itself plus n elements. */
	for (n = 262143; n <= 262144; n++) {
		s = malloc(2 * n + 2);
		s[0] = '[';
		for (i = 0; i < n; i++) {
			s[1 + 2 * i] = '0';
			s[2 + 2 * i] = ',';
		}
		s[2 * n] = ']';
		s[2 * n + 1] = '\0';
		is_int(parse_rc(s), n == 262143 ? 0 : -EPROTO,
		       "array of %zu numbers (%zu values)", n, n + 1);
		free(s);
	}
	ok(strstr(why, "262144 values") != NULL, "why: %s", why);
}

static void test_parse_garbage(void)
{
	static const char *bad[] = {
		"{} x",	      "{}{}",	     "[1],",	  "[1] ]",
		"{\"a\":1}}", "1 2",	     "{\"a\": 1", "{\"a\"",
		"{\"a\":",    "\"abc",	     "[1,",	  "[1,]",
		"{\"a\":1,}", "tru",	     "nul",	  "True",
		"{a:1}",      "{'a':1}",     "{\"a\" 1}", "[1 2]",
		"\"\\",	      "\"\\u12",     "\"\\x\"",	  "NaN",
		"Infinity",   "-Infinity",   "[NaN]",	  "+1",
		"01",	      "-01",	     "1.",	  ".5",
		"1e",	      "1e+",	     "-",	  "0x10",
		"[1e5x]",     "\"\\u12G4\"", "// c\n{}",  "/* c */{}",
		"\v{}",	      "{}\f",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(parse_rc(bad[i]), -EPROTO, "garbage refused #%zu", i);
	is_int(parse_rc("{} x"), -EPROTO, "trailing garbage");
	ok(strstr(why, "offset 3") && strstr(why, "trailing"),
	   "why names offset and reason: %s", why);
	is_int(parse_rc("{\"a\": [1, 2"), -EPROTO, "truncated");
	ok(strstr(why, "truncated") != NULL, "why: %s", why);
	is_int(parse_len_rc("{}\0", 3), -EPROTO, "NUL after the value");
	is_int(parse_len_rc("{\"a\":\"x\0y\"}", 11), -EPROTO,
	       "raw NUL inside a string");
}

static void test_parse_strings(void)
{
	struct cJSON *root;
	char dst[64];
	char *s;
	size_t i;

	static const char *bad[] = {
		"\"\xff\"", /* not UTF-8 at all */
		"\"\xc0\xaf\"", /* overlong '/' */
		"\"\xe0\x80\xaf\"", /* overlong */
		"\"\xed\xa0\x80\"", /* UTF-8 encoded surrogate */
		"\"\xf4\x90\x80\x80\"", /* above U+10FFFF */
		"\"\xe2\x82\"", /* truncated sequence */
		"\"\x80\"", /* lone continuation byte */
		"\"a\x01z\"", /* raw control character */
		"\"a\tb\"", /* raw TAB must be escaped */
		"\"\\u0000\"", /* would cut the string */
		"\"abc\\u0000def\"",
		"{\"k\\u0000\":1}", /* in a member name too */
		"\"\\ud800\"", /* lone high surrogate */
		"\"\\udc00\"", /* lone low surrogate */
		"\"\\ud800\\u0041\"", /* high + non-low */
		"\"\\ud800x\"",
	};

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(parse_rc(bad[i]), -EPROTO, "string refused (#%zu)", i);
	is_int(parse_rc("\"\\u0000\""), -EPROTO, "\\u0000 refused");
	ok(strstr(why, "u0000") != NULL, "why: %s", why);
	is_int(parse_rc("[\"\xff\"]"), -EPROTO, "invalid UTF-8 in array");
	ok(strstr(why, "UTF-8") != NULL, "why: %s", why);

	root = parse(
		"{\"s\": \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\", "
		"\"e\": \"\\u00e9\\u20ac\\ud83d\\ude00\", "
		"\"b\": \"\\\\u0000\", \"esc\": \"\\\"\\/\\b\\f\\n\\r\\t\"}");
	ok(root != NULL, "valid UTF-8 and escapes accepted");
	json_get_text(root, "s", dst, sizeof(dst), JSON_REQUIRED, why,
		      sizeof(why));
	is_str(dst, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	       "raw UTF-8 kept");
	json_get_text(root, "e", dst, sizeof(dst), JSON_REQUIRED, why,
		      sizeof(why));
	is_str(dst, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	       "\\u escapes and surrogate pair decoded");
	json_get_str(root, "b", dst, sizeof(dst), JSON_REQUIRED, why,
		     sizeof(why));
	is_str(dst, "\\u0000", "escaped backslash before u0000 is text");
	json_get_text(root, "esc", dst, sizeof(dst), JSON_REQUIRED, why,
		      sizeof(why));
	is_str(dst, "\"/\b\f\n\r\t", "simple escapes decoded");
	json_free(root);

	/* A 5 MB string is just data when it fits the cap. */
	s = malloc(5 * 1024 * 1024 + 16);
	s[0] = '"';
	memset(s + 1, 'x', 5 * 1024 * 1024);
	memcpy(s + 1 + 5 * 1024 * 1024, "\"", 2);
	is_int(parse_rc(s), 0, "5 MB string parses under a 16 MB cap");
	root = NULL;
	is_int(json_parse(s, strlen(s), 1024 * 1024, &root, why, sizeof(why)),
	       -EMSGSIZE, "5 MB string over a 1 MB cap: -EMSGSIZE");
	free(s);
}

static void test_parse_numbers(void)
{
	char num[80];
	struct cJSON *root;
	double d = 0;

	is_int(parse_rc("[0, -0, 1.5, -2.25e-3, 1E10, 1e+2, 123456789]"), 0,
	       "valid numbers");
	memset(num, '1', 63);
	num[63] = '\0';
	is_int(parse_rc(num), 0, "63-digit number accepted");
	memset(num, '1', 64);
	num[64] = '\0';
	is_int(parse_rc(num), -EPROTO, "64-digit number refused");
	ok(strstr(why, "number too long") != NULL, "why: %s", why);

	root = parse("{\"big\": 1e999, \"neg\": -1e999, \"tiny\": 1e-999}");
	ok(root != NULL, "overflowing numbers parse");
	is_int(json_get_double(root, "big", &d, -DBL_MAX, DBL_MAX,
			       JSON_REQUIRED, why, sizeof(why)),
	       -EPROTO, "1e999 (infinity) refused by json_get_double");
	is_int(json_get_double(root, "neg", &d, -DBL_MAX, DBL_MAX,
			       JSON_REQUIRED, why, sizeof(why)),
	       -EPROTO, "-1e999 refused");
	is_int(json_get_double(root, "tiny", &d, -1, 1, JSON_REQUIRED, why,
			       sizeof(why)),
	       0, "1e-999 underflows to 0");
	ok(d == 0, "... which is 0");
	json_free(root);
}

static void test_duplicates(void)
{
	struct cJSON *root = parse("{\"a\": \"first\", \"a\": \"second\", "
				   "\"n\": 1, \"n\": \"two\"}");
	char dst[16];
	int64_t v = 0;

	ok(root != NULL, "duplicate keys parse");
	is_int(json_get_str(root, "a", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       0, "duplicate key read");
	is_str(dst, "first", "the first duplicate wins");
	is_int(json_get_int64(root, "n", &v, 0, 10, JSON_REQUIRED, why,
			      sizeof(why)),
	       0, "first duplicate typed as its own value");
	is_int(v, 1, "... 1");
	json_free(root);
}

static void test_get_str(void)
{
	struct cJSON *root = parse(
		"{\"s\": \"hello\", \"num\": 1, \"bool\": true, \"obj\": {}, "
		"\"arr\": [], \"nul\": null, \"tab\": \"a\\tb\", "
		"\"nl\": \"a\\nb\", \"del\": \"a\\u007fb\", \"empty\": \"\", "
		"\"slash\": \"a/b c\", \"c1\": \"\\u0085\"}");
	char dst[8], big[64];
	int ret;

	ok(root != NULL, "accessor fixture parses");
	ret = json_get_str(root, "s", dst, sizeof(dst), JSON_REQUIRED, why,
			   sizeof(why));
	is_int(ret, 0, "string read");
	is_str(dst, "hello", "value");
	ret = json_get_str(root, "s", dst, 6, JSON_REQUIRED, why, sizeof(why));
	is_int(ret, 0, "5 chars fit in 6 bytes");
	memcpy(dst, "keep", 5);
	ret = json_get_str(root, "s", dst, 5, JSON_REQUIRED, why, sizeof(why));
	is_int(ret, -EPROTO, "5 chars do not fit in 5 bytes");
	is_str(why, "s: too long (5 bytes, at most 4)", "why for too long");
	is_str(dst, "keep", "dst unchanged on failure");

	ret = json_get_str(root, "missing", dst, sizeof(dst), JSON_REQUIRED,
			   why, sizeof(why));
	is_int(ret, -EPROTO, "required missing");
	is_str(why, "missing: missing", "why for missing");
	ret = json_get_str(root, "missing", dst, sizeof(dst), JSON_OPTIONAL,
			   why, sizeof(why));
	is_int(ret, 0, "optional missing is fine");
	is_str(dst, "keep", "optional missing leaves the default");
	ret = json_get_str(root, "nul", dst, sizeof(dst), JSON_OPTIONAL, why,
			   sizeof(why));
	is_int(ret, 0, "null counts as absent (optional)");
	ret = json_get_str(root, "nul", dst, sizeof(dst), JSON_REQUIRED, why,
			   sizeof(why));
	is_int(ret, -EPROTO, "null counts as absent (required)");
	ret = json_get_str(root, "S", dst, sizeof(dst), JSON_REQUIRED, why,
			   sizeof(why));
	is_int(ret, -EPROTO, "member names are case-sensitive");

	ret = json_get_str(root, "num", dst, sizeof(dst), JSON_OPTIONAL, why,
			   sizeof(why));
	is_int(ret, -EPROTO, "number is not a string, even optional");
	is_str(why, "num: not a string", "why for wrong type");
	is_int(json_get_str(root, "bool", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       -EPROTO, "bool is not a string");
	is_int(json_get_str(root, "obj", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       -EPROTO, "object is not a string");
	is_int(json_get_str(root, "arr", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       -EPROTO, "array is not a string");

	is_int(json_get_str(root, "tab", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       -EPROTO, "json_get_str refuses TAB");
	is_str(why, "tab: contains a control character", "why for control");
	is_int(json_get_str(root, "nl", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       -EPROTO, "json_get_str refuses newline");
	is_int(json_get_str(root, "del", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       -EPROTO, "json_get_str refuses DEL");
	is_int(json_get_str(root, "empty", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       0, "empty string is a string");
	is_str(dst, "", "empty value");

	is_int(json_get_text(root, "tab", big, sizeof(big), JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "json_get_text keeps TAB");
	is_str(big, "a\tb", "TAB verbatim");
	is_int(json_get_text(root, "nl", big, sizeof(big), JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "json_get_text keeps newline");
	is_int(json_get_text(root, "del", big, sizeof(big), JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "json_get_text keeps DEL");
	is_int(json_get_text(root, "slash", big, sizeof(big), JSON_REQUIRED,
			     why, sizeof(why)),
	       0, "json_get_text keeps '/' and spaces");
	is_str(big, "a/b c", "slash verbatim");
	is_int(json_get_text(root, "c1", big, sizeof(big), JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "C1 control (U+0085) is just Unicode");
	is_int(json_get_text(root, "s", big, 5, JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "json_get_text checks the length");
	is_int(json_get_text(root, "num", big, sizeof(big), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "json_get_text checks the type");
	is_int(json_get_text(root, "missing", big, sizeof(big), JSON_REQUIRED,
			     why, sizeof(why)),
	       -EPROTO, "json_get_text required");

	/* The parent must be an object. */
	is_int(json_get_str(NULL, "s", dst, sizeof(dst), JSON_OPTIONAL, why,
			    sizeof(why)),
	       -EPROTO, "NULL parent refused");
	json_free(root);
	root = parse("[\"s\"]");
	is_int(json_get_str(root, "s", dst, sizeof(dst), JSON_OPTIONAL, why,
			    sizeof(why)),
	       -EPROTO, "array parent refused");
	is_int(json_get_int64(root, "s", &(int64_t){0}, 0, 1, JSON_OPTIONAL,
			      why, sizeof(why)),
	       -EPROTO, "array parent refused (int64)");
	json_free(root);
}

static void test_get_ocid_enum(void)
{
	struct cJSON *root = parse(
		"{\"id\": \"ocid1.key.oc1.iad.bbpgrv2paacuu.abuwcljsduqawhp6eqdpr2sagxxvaayvqqthl6lfsbjkbhiqfcgpxz3ub6ya\", "
		"\"bad\": \"not-an-ocid\", \"num\": 5, "
		"\"st\": \"ENABLED\", \"future\": \"QUANTUM_SAFE-2\", "
		"\"lower\": \"enabled\", \"sp\": \"NOT ENABLED\", \"e\": \"\", "
		"\"dot\": \"A.B\", \"uni\": \"\xc3\x89TAT\", "
		"\"e63\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", "
		"\"e64\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"A\"}");
	char id[256], e[64], e2[128];

	ok(root != NULL, "ocid/enum fixture parses");
	is_int(json_get_ocid(root, "id", id, sizeof(id), JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "OCID read");
	ok(!strncmp(id, "ocid1.key.oc1.iad.", 18), "OCID value");
	memcpy(id, "keep", 5);
	is_int(json_get_ocid(root, "bad", id, sizeof(id), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "non-OCID refused");
	is_str(why, "bad: not an OCID", "why for non-OCID");
	is_str(id, "keep", "dst unchanged");
	is_int(json_get_ocid(root, "num", id, sizeof(id), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "number OCID refused");
	is_int(json_get_ocid(root, "id", id, 50, JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "OCID too long for the array");
	is_int(json_get_ocid(root, "none", id, sizeof(id), JSON_OPTIONAL, why,
			     sizeof(why)),
	       0, "optional OCID absent");

	is_int(json_get_enum(root, "st", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "known enum");
	is_str(e, "ENABLED", "enum value");
	is_int(json_get_enum(root, "future", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "unknown enum value kept");
	is_str(e, "QUANTUM_SAFE-2", "unknown enum verbatim");
	is_int(json_get_enum(root, "lower", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "lower case enum kept");
	is_int(json_get_enum(root, "sp", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "space in enum refused");
	is_str(why, "sp: not an enum value", "why for enum");
	is_int(json_get_enum(root, "e", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "empty enum refused");
	is_int(json_get_enum(root, "dot", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "dot in enum refused");
	is_int(json_get_enum(root, "uni", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "non-ASCII enum refused");
	is_int(json_get_enum(root, "num", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "number enum refused");
	is_int(json_get_enum(root, "e63", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "63-char enum accepted");
	is_int(json_get_enum(root, "e64", e, sizeof(e), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "64-char enum does not fit 64 bytes");
	is_int(json_get_enum(root, "e64", e2, sizeof(e2), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "64-char enum refused even in a larger array");
	json_free(root);
}

static void test_get_time(void)
{
	static const char *good[] = {
		"2018-04-03T21:10:29.600Z",	  "2024-03-01T09:00:00Z",
		"2024-02-29T00:00:00Z",		  "2000-02-29T23:59:59Z",
		"2024-01-15T10:00:00+05:30",	  "2024-01-15T10:00:00-08:00",
		"2024-01-15t10:00:00.123456789z", "2016-12-31T23:59:60Z",
	};
	static const char *bad[] = {
		"",
		"yesterday",
		"2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2024-13-01T00:00:00Z",
		"2024-00-01T00:00:00Z",
		"2024-04-31T00:00:00Z",
		"2024-01-15 10:00:00Z",
		"2024-01-15T10:00:00",
		"2024-01-15T24:00:00Z",
		"2024-01-15T10:60:00Z",
		"2024-01-15T10:00:61Z",
		"2024-01-15T10:00:00.Z",
		"2024-01-15T10:00:00+5:30",
		"2024-01-15T10:00:00+05:60",
		"2024-01-15T10:00:00Zx",
		"2024-1-15T10:00:00Z",
		"24-01-15T10:00:00Z",
		"2024-01-15T10:00:00+05:30x",
		"2024-01-15",
		"2024-01-15T10:00:00\tZ",
		"1704067200",
	};
	char json[128], dst[48];
	struct cJSON *root;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(json, sizeof(json), "{\"t\": \"%s\"}", good[i]);
		root = parse(json);
		is_int(json_get_time(root, "t", dst, sizeof(dst), JSON_REQUIRED,
				     why, sizeof(why)),
		       0, "time accepted: %s", good[i]);
		is_str(dst, good[i], "kept verbatim");
		json_free(root);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strchr(bad[i], '\t'))
			snprintf(json, sizeof(json), "{\"t\": \"%s\"}",
				 "2024-01-15T10:00:00\\tZ");
		else
			snprintf(json, sizeof(json), "{\"t\": \"%s\"}", bad[i]);
		root = parse(json);
		is_int(json_get_time(root, "t", dst, sizeof(dst), JSON_REQUIRED,
				     why, sizeof(why)),
		       -EPROTO, "time refused #%zu", i);
		json_free(root);
	}
	root = parse("{\"t\": 1704067200}");
	is_int(json_get_time(root, "t", dst, sizeof(dst), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "numeric time refused");
	is_str(why, "t: not a string", "why");
	json_free(root);
}

static void test_get_bool(void)
{
	struct cJSON *root =
		parse("{\"t\": true, \"f\": false, \"s\": \"true\", "
		      "\"n\": 1, \"z\": null}");
	bool b = false, present = true;

	is_int(json_get_bool(root, "t", &b, &present, JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "true read");
	ok(b && present, "true, present");
	is_int(json_get_bool(root, "f", &b, &present, JSON_REQUIRED, why,
			     sizeof(why)),
	       0, "false read");
	ok(!b && present, "false, present");
	b = true;
	is_int(json_get_bool(root, "none", &b, &present, JSON_OPTIONAL, why,
			     sizeof(why)),
	       0, "optional bool absent");
	ok(b && !present, "absent: not present, default kept");
	is_int(json_get_bool(root, "z", &b, NULL, JSON_OPTIONAL, why,
			     sizeof(why)),
	       0, "null bool, NULL present pointer");
	is_int(json_get_bool(root, "s", &b, &present, JSON_OPTIONAL, why,
			     sizeof(why)),
	       -EPROTO, "\"true\" string refused");
	is_str(why, "s: not a boolean", "why");
	ok(!present, "not present after failure");
	is_int(json_get_bool(root, "n", &b, &present, JSON_OPTIONAL, why,
			     sizeof(why)),
	       -EPROTO, "1 refused");
	is_int(json_get_bool(root, "none", &b, &present, JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "required bool missing");
	json_free(root);
}

static void test_get_numbers(void)
{
	struct cJSON *root = parse(
		"{\"i\": 32, \"f\": 32.0, \"e\": 3.2e1, \"half\": 32.5, "
		"\"s\": \"32\", \"neg\": -5, \"big\": 9007199254740992, "
		"\"huge\": 9007199254740994, \"inf\": 1e999, \"zero\": 0, "
		"\"hundred\": 100, \"pct\": 45.5, \"over\": 100.0001, "
		"\"under\": -0.1, \"b\": true, \"n\": null}");
	int64_t v = 7;
	double d = 7;

	ok(root != NULL, "number fixture parses");
	is_int(json_get_int64(root, "i", &v, 1, 64, JSON_REQUIRED, why,
			      sizeof(why)),
	       0, "integer");
	is_int(v, 32, "value 32");
	v = 0;
	is_int(json_get_int64(root, "f", &v, 1, 64, JSON_REQUIRED, why,
			      sizeof(why)),
	       0, "32.0 is integral");
	is_int(v, 32, "value");
	v = 0;
	is_int(json_get_int64(root, "e", &v, 1, 64, JSON_REQUIRED, why,
			      sizeof(why)),
	       0, "3.2e1 is integral");
	is_int(v, 32, "value");
	v = 7;
	is_int(json_get_int64(root, "half", &v, 1, 64, JSON_REQUIRED, why,
			      sizeof(why)),
	       -EPROTO, "32.5 refused");
	is_str(why, "half: not an integer", "why");
	is_int(v, 7, "dst unchanged");
	is_int(json_get_int64(root, "s", &v, 1, 64, JSON_REQUIRED, why,
			      sizeof(why)),
	       -EPROTO, "string \"32\" refused");
	is_str(why, "s: not a number", "why");
	is_int(json_get_int64(root, "b", &v, 0, 1, JSON_REQUIRED, why,
			      sizeof(why)),
	       -EPROTO, "bool refused");
	is_int(json_get_int64(root, "i", &v, 33, 64, JSON_REQUIRED, why,
			      sizeof(why)),
	       -EPROTO, "below min");
	is_str(why, "i: 32 not in [33, 64]", "why");
	is_int(json_get_int64(root, "i", &v, 1, 31, JSON_REQUIRED, why,
			      sizeof(why)),
	       -EPROTO, "above max");
	is_int(json_get_int64(root, "i", &v, 32, 32, JSON_REQUIRED, why,
			      sizeof(why)),
	       0, "bounds inclusive");
	is_int(json_get_int64(root, "neg", &v, -10, 0, JSON_REQUIRED, why,
			      sizeof(why)),
	       0, "negative");
	is_int(v, -5, "value -5");
	is_int(json_get_int64(root, "big", &v, INT64_MIN, INT64_MAX,
			      JSON_REQUIRED, why, sizeof(why)),
	       0, "2^53 accepted");
	ok(v == 9007199254740992LL, "2^53 exact");
	is_int(json_get_int64(root, "huge", &v, INT64_MIN, INT64_MAX,
			      JSON_REQUIRED, why, sizeof(why)),
	       -EPROTO, "above 2^53 refused");
	is_int(json_get_int64(root, "inf", &v, INT64_MIN, INT64_MAX,
			      JSON_REQUIRED, why, sizeof(why)),
	       -EPROTO, "infinity refused");
	is_int(json_get_int64(root, "n", &v, 0, 1, JSON_OPTIONAL, why,
			      sizeof(why)),
	       0, "null optional int");
	is_int(json_get_int64(root, "n", &v, 0, 1, JSON_REQUIRED, why,
			      sizeof(why)),
	       -EPROTO, "null required int");

	is_int(json_get_double(root, "zero", &d, 0, 100, JSON_REQUIRED, why,
			       sizeof(why)),
	       0, "0 in [0,100]");
	is_int(json_get_double(root, "hundred", &d, 0, 100, JSON_REQUIRED, why,
			       sizeof(why)),
	       0, "100 in [0,100]");
	is_int(json_get_double(root, "pct", &d, 0, 100, JSON_REQUIRED, why,
			       sizeof(why)),
	       0, "45.5");
	ok(d == 45.5, "value 45.5");
	is_int(json_get_double(root, "over", &d, 0, 100, JSON_REQUIRED, why,
			       sizeof(why)),
	       -EPROTO, "100.0001 refused");
	is_int(json_get_double(root, "under", &d, 0, 100, JSON_REQUIRED, why,
			       sizeof(why)),
	       -EPROTO, "-0.1 refused");
	is_int(json_get_double(root, "inf", &d, -DBL_MAX, DBL_MAX,
			       JSON_REQUIRED, why, sizeof(why)),
	       -EPROTO, "inf refused");
	is_int(json_get_double(root, "s", &d, 0, 100, JSON_REQUIRED, why,
			       sizeof(why)),
	       -EPROTO, "string refused");
	d = 3;
	is_int(json_get_double(root, "none", &d, 0, 100, JSON_OPTIONAL, why,
			       sizeof(why)),
	       0, "optional double absent");
	ok(d == 3, "default kept");
	json_free(root);
}

static void test_is_ocid(void)
{
	static const char *good[] = {
		"ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq",
		"ocid1.key.oc1.iad.bbpgrv2paacuu.abuwcljsduqawhp6eqdpr2sagxxvaayvqqthl6lfsbjkbhiqfcgpxz3ub6ya",
		"ocid1.compartment.oc1..aaaaaaaa7x",
		"ocid1.vault.oc1.us-ashburn-1.abc_def.ABCxyz-09",
		"ocid1.user.oc2..a",
		"ocid1.t.r.x.y.z.w",
	};
	static const char *bad[] = {
		"",
		"tenancy.oc1..aaaa",
		"ocid2.tenancy.oc1..aaaa",
		"OCID1.tenancy.oc1..aaaa",
		"ocid1.",
		"ocid1.tenancy",
		"ocid1.tenancy.oc1",
		"ocid1.tenancy.oc1.",
		"ocid1.tenancy.oc1..",
		"ocid1..oc1..aaaa",
		"ocid1.tenancy...aaaa",
		"ocid1.tenancy.oc1...aaaa",
		"ocid1.key.oc1.iad.abc.",
		"ocid1.key.oc1.iad.abc..def",
		"ocid1.Tenancy.oc1..aaaa",
		"ocid1.tenancy.OC1..aaaa",
		"ocid1.key.oc1.IAD.aaaa",
		" ocid1.tenancy.oc1..aaaa",
		"ocid1.tenancy.oc1..aaaa ",
		"ocid1.tenancy.oc1..aa aa",
		"ocid1.tenancy.oc1..aa\taa",
		"ocid1.tenancy.oc1..aa\naa",
		"ocid1.tenancy.oc1..aa\x7f",
		"ocid1.tenancy.oc1..aa/aa",
		"ocid1.tenancy.oc1..aa%2faa",
		"ocid1.tenancy.oc1..\xc3\xa9t\xc3\xa9",
		"ocid1.ten ancy.oc1..a",
		"ocid1.tenancy.oc1..aa?x=1",
	};
	char s[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(json_is_ocid(good[i]), "valid OCID: %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!json_is_ocid(bad[i]), "invalid OCID #%zu", i);
	ok(!json_is_ocid(NULL), "NULL is not an OCID");

	memcpy(s, "ocid1.key.oc1.iad.", 18);
	memset(s + 18, 'a', 255 - 18);
	s[255] = '\0';
	ok(json_is_ocid(s), "255 characters accepted");
	s[255] = 'a';
	s[256] = '\0';
	ok(!json_is_ocid(s), "256 characters refused");
	memset(s + 18, 'a', 299 - 18);
	s[299] = '\0';
	ok(!json_is_ocid(s), "299 characters refused");
}

static void test_print(void)
{
	struct cJSON *root = parse("{\"a\":[1,\"x\"],\"b\":{\"c\":true}}");
	struct cJSON *again = NULL;
	char *p = json_print(root);
	size_t n;

	ok(p != NULL, "json_print");
	n = p ? strlen(p) : 0;
	ok(n && p[n - 1] == '\n', "ends with a newline");
	ok(p && strchr(p, '\t') && strstr(p, "\"a\":"), "pretty-printed");
	is_int(json_parse(p, n, n, &again, why, sizeof(why)), 0,
	       "printed text parses back");
	json_free(again);
	free(p);
	json_free(root);
	ok(json_print(NULL) == NULL, "json_print(NULL) is NULL");
}

/* json_from_lines(): the JSON form of a status text. */
static void test_from_lines(void)
{
	static const char *const numbers[] = {"progress", "size", NULL};
	static const char text[] =
		"state: succeeded\nprogress: 100\nsize: unknown (x)\n"
		"target: \"quoted\" \\ back\nnot a line\n"
		"state: again\nobject: ns/b/o: colon\nsize2: 7";
	struct buf out = BUF_INIT(1 << 16);
	struct cJSON *root = NULL;
	char s[64];
	double d = 0;

	is_int(json_from_lines(text, strlen(text), numbers, &out), 0,
	       "json_from_lines");
	is_int(json_parse(out.buf, out.len, out.len, &root, why, sizeof(why)),
	       0, "its output parses");
	ok(out.len && out.buf[out.len - 1] == '\n', "ends with a newline");
	json_get_str(root, "state", s, sizeof(s), JSON_REQUIRED, why,
		     sizeof(why));
	is_str(s, "succeeded", "a repeated name keeps the first");
	is_int(json_get_double(root, "progress", &d, 0, 1000, JSON_REQUIRED,
			       why, sizeof(why)),
	       0, "progress is a number");
	ok(d == 100, "its value");
	is_int(json_get_str(root, "size", s, sizeof(s), JSON_REQUIRED, why,
			    sizeof(why)),
	       0, "a number field that is not a number stays a string");
	is_str(s, "unknown (x)", "its text");
	json_get_str(root, "target", s, sizeof(s), JSON_REQUIRED, why,
		     sizeof(why));
	is_str(s, "\"quoted\" \\ back", "quotes, backslash");
	json_get_str(root, "object", s, sizeof(s), JSON_REQUIRED, why,
		     sizeof(why));
	is_str(s, "ns/b/o: colon", "split at the first \": \"");
	json_get_str(root, "size2", s, sizeof(s), JSON_REQUIRED, why,
		     sizeof(why));
	is_str(s, "7", "a last line without newline; not a number field");
	json_free(root);

	buf_reset(&out);
	is_int(json_from_lines("", 0, NULL, &out), 0, "empty text");
	is_str(out.buf, "{\n}\n", "an empty object");
	buf_release(&out);
}

/* json_parse_lax(): bad string contents are tainted, not fatal. */
static void test_parse_lax(void)
{
	static const char text[] = "{\"a\": \"x\\u0000y\", \"b\": \"ok\", "
				   "\"c\": [\"\\ud800\", \"\x01\", \"\xff\", "
				   "\"\\udc00\\ud800\"], \"e\\u0000\": 1}";
	char copy[sizeof(text)];
	struct cJSON *root = NULL;
	char dst[32];
	size_t tainted = 99;
	int ret;

	memcpy(copy, text, sizeof(text));
	is_int(parse_rc(text), -EPROTO, "strict parse refuses the text");
	ret = json_parse_lax(copy, strlen(copy), BIG, &root, &tainted, why,
			     sizeof(why));
	is_int(ret, 0, "lax parse accepts it");
	is_int(tainted, 7, "seven bad sequences tainted");
	ok(!memcmp(copy, text, sizeof(text)), "input not modified");
	ok(json_tainted(root), "the tree is tainted");
	is_int(json_get_str(root, "a", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       -EPROTO, "tainted string refused by json_get_str");
	ok(strstr(why, "a: invalid string") != NULL, "why: %s", why);
	is_int(json_get_text(root, "a", dst, sizeof(dst), JSON_REQUIRED, why,
			     sizeof(why)),
	       -EPROTO, "and by json_get_text");
	is_int(json_get_str(root, "b", dst, sizeof(dst), JSON_REQUIRED, why,
			    sizeof(why)),
	       0, "a good sibling is readable");
	is_str(dst, "ok", "its value");
	json_free(root);

	root = NULL;
	ret = json_parse_lax("{\"b\": \"ok\"}", 11, BIG, &root, &tainted, why,
			     sizeof(why));
	is_int(ret, 0, "clean text");
	is_int(tainted, 0, "no taint");
	ok(!json_tainted(root), "tree not tainted");
	json_free(root);

	root = NULL;
	is_int(json_parse_lax("[\"\\u0000\", x]", 13, BIG, &root, NULL, why,
			      sizeof(why)),
	       -EPROTO, "structural errors still fail");
	ok(!root, "no tree");
	is_int(json_parse_lax("[\"\\u00zz\"]", 10, BIG, &root, NULL, why,
			      sizeof(why)),
	       -EPROTO, "a malformed escape still fails");
	is_int(json_parse_lax("[\"a\"]", 5, 4, &root, NULL, why, sizeof(why)),
	       -EMSGSIZE, "the size cap holds");
}

int main(void)
{
	test_parse_basic();
	test_parse_depth();
	test_parse_garbage();
	test_parse_strings();
	test_parse_numbers();
	test_duplicates();
	test_get_str();
	test_get_ocid_enum();
	test_get_time();
	test_get_bool();
	test_get_numbers();
	test_is_ocid();
	test_print();
	test_from_lines();
	test_parse_lax();
	return done_testing();
}
