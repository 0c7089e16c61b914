/* SPDX-License-Identifier: MIT */
/* json: strict JSON validation and checked accessors over cJSON. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "banned.h"

#define JSON_DEPTH_MAX 64
/*
 * cJSON spends about 64 bytes per value: "[0,0,...]" would turn an 8 MB
 * page into a 256 MB tree.  Real pages (at most 1000 resources of a few
 * dozen values) stay far below this.
 */
#define JSON_VALUES_MAX (256u * 1024)
/* cJSON copies a number token into a 64-byte buffer and fails beyond it. */
#define JSON_NUMBER_MAX 63

/*
 * A strict RFC 8259 validator run before cJSON.  cJSON is lenient where a
 * hostile server could exploit it: it decodes "\u0000" (and bad \u hex
 * digits) to a NUL that silently cuts the string, accepts raw control
 * characters and invalid UTF-8, recurses up to 1000 levels, and cannot tell
 * a syntax error from out of memory.  Once this scan accepts the text, a
 * cJSON failure can only be out of memory.
 */
struct scan {
	const unsigned char *start;
	const unsigned char *p;
	const unsigned char *end;
	const char *err;
	size_t values;
	bool lax; /* taint bad string contents instead of failing */
	size_t tainted; /* strings tainted so far */
	unsigned char *copy; /* lax: the writable copy to mark, or NULL */
};

/*
 * Lax mode: the `n` bytes at s->p are bad string contents (a raw control
 * character, invalid UTF-8, "\u0000", an unpaired surrogate).  Count the
 * taint and, in the second pass, overwrite them in the copy with
 * JSON_TAINT bytes, which the strict scan never lets through and cJSON
 * never produces from an escape; so a decoded string holding one is
 * known to be bad.  -1 (fail) in strict mode.
 */
static int scan_taint(struct scan *s, size_t n, const char *err)
{
	if (!s->lax) {
		s->err = err;
		return -1;
	}
	s->tainted++;
	if (s->copy)
		memset(s->copy + (s->p - s->start), JSON_TAINT, n);
	s->p += n;
	return 0;
}

static int scan_fail(struct scan *s, const char *err)
{
	s->err = err;
	return -1;
}

static void scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (bounds checked by the caller); -1 if not hex. */
static long hex4(const unsigned char *p)
{
	long v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		d = hexval(p[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static int scan_string(struct scan *s)
{
	long cp, lo;
	size_t n;

	s->p++; /* opening quote */
	for (;;) {
		if (s->p >= s->end)
			return scan_fail(s, "unterminated string");
		if (*s->p == '"') {
			s->p++;
			return 0;
		}
		if (*s->p < 0x20) {
			if (scan_taint(s, 1, "control character in string"))
				return -1;
			continue;
		}
		if (*s->p != '\\') {
			n = buf_utf8_seq(s->p, (size_t)(s->end - s->p));
			if (!n) {
				if (scan_taint(s, 1, "invalid UTF-8"))
					return -1;
				continue;
			}
			s->p += n;
			continue;
		}
		if (s->end - s->p < 2)
			return scan_fail(s, "unterminated string");
		switch (s->p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			s->p += 2;
			continue;
		case 'u':
			break;
		default:
			return scan_fail(s, "invalid escape in string");
		}
		cp = s->end - s->p < 6 ? -1 : hex4(s->p + 2);
		if (cp < 0)
			return scan_fail(s, "invalid \\u escape");
		if (!cp) {
			if (scan_taint(s, 6, "\\u0000 in string"))
				return -1;
			continue;
		}
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			if (scan_taint(s, 6, "unpaired surrogate in string"))
				return -1;
			continue;
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			lo = s->end - s->p < 12 || s->p[6] != '\\' ||
					     s->p[7] != 'u'
				     ? -1
				     : hex4(s->p + 8);
			if (lo < 0xdc00 || lo > 0xdfff) {
				if (scan_taint(s, 6,
					       "unpaired surrogate in string"))
					return -1;
				continue;
			}
			s->p += 6;
		}
		s->p += 6;
	}
}

static void scan_digits(struct scan *s)
{
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
}

/* number = [ minus ] int [ frac ] [ exp ] (RFC 8259 section 6) */
static int scan_number(struct scan *s)
{
	const unsigned char *p0 = s->p;

	if (*s->p == '-')
		s->p++;
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return scan_fail(s, "invalid number");
	if (*s->p == '0')
		s->p++;
	else
		scan_digits(s);
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return scan_fail(s, "invalid number");
		scan_digits(s);
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return scan_fail(s, "invalid number");
		scan_digits(s);
	}
	if (s->p - p0 > JSON_NUMBER_MAX) {
		s->p = p0;
		return scan_fail(s, "number too long");
	}
	return 0;
}

static int scan_literal(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
		return scan_fail(s, "invalid literal");
	s->p += n;
	return 0;
}

static int scan_value(struct scan *s, int depth);

/* The members of an object or the elements of an array. */
static int scan_container(struct scan *s, int depth, unsigned char close)
{
	if (depth >= JSON_DEPTH_MAX)
		return scan_fail(s, "nesting deeper than 64 levels");
	s->p++; /* '{' or '[' */
	scan_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"')
				return scan_fail(s, "expected a member name");
			if (scan_string(s))
				return -1;
			scan_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return scan_fail(s, "expected ':'");
			s->p++;
		}
		if (scan_value(s, depth + 1))
			return -1;
		scan_ws(s);
		if (s->p >= s->end)
			return scan_fail(s, "truncated");
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return scan_fail(s,
					 "expected ',' or a closing bracket");
		s->p++;
		scan_ws(s);
	}
}

static int scan_value(struct scan *s, int depth)
{
	scan_ws(s);
	if (s->p >= s->end)
		return scan_fail(s, "truncated");
	if (++s->values > JSON_VALUES_MAX)
		return scan_fail(s, "more than 262144 values");
	switch (*s->p) {
	case '{':
		return scan_container(s, depth, '}');
	case '[':
		return scan_container(s, depth, ']');
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return scan_number(s);
		return scan_fail(s, "unexpected character");
	}
}

/* One pass of the scan over text[len]; 0 or -1 with s->err set. */
static int scan_text(struct scan *s, const char *text, size_t len)
{
	s->start = (const unsigned char *)text;
	s->p = s->start;
	s->end = s->start + len;
	s->err = NULL;
	s->values = 0;
	s->tainted = 0;
	/* cJSON skips a UTF-8 byte order mark; do the same. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		s->p += 3;
	if (!scan_value(s, 0)) {
		scan_ws(s);
		if (s->p != s->end)
			s->err = "trailing garbage";
	}
	return s->err ? -1 : 0;
}

static int parse(const char *text, size_t len, size_t max, bool lax,
		 struct cJSON **out, size_t *tainted, char *why, size_t why_n)
{
	struct scan s = {.lax = lax};
	const char *end = NULL;
	char *copy = NULL;
	cJSON *root = NULL;
	int ret = 0;

	*out = NULL;
	if (tainted)
		*tainted = 0;
	if (len > max) {
		buf_fmt(why, why_n,
			"JSON text too large (%zu bytes, at most %zu)", len,
			max);
		return -EMSGSIZE;
	}
	if (!text || !len) {
		buf_fmt(why, why_n, "empty JSON text");
		return -EPROTO;
	}
	if (scan_text(&s, text, len)) {
		buf_fmt(why, why_n, "invalid JSON at offset %zu: %s",
			(size_t)(s.p - s.start), s.err);
		return -EPROTO;
	}
	if (s.tainted) {
		/* Second pass: mark the bad contents in a copy. */
		copy = malloc(len);
		if (!copy) {
			buf_fmt(why, why_n, "out of memory parsing JSON");
			return -ENOMEM;
		}
		memcpy(copy, text, len);
		s.copy = (unsigned char *)copy;
		scan_text(&s, copy, len);
		text = copy;
		if (tainted)
			*tainted = s.tainted;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		buf_fmt(why, why_n, "out of memory parsing JSON");
		ret = -ENOMEM;
		goto out;
	}
	/* Belt and braces: cJSON must have consumed what the scan accepted. */
	while (end < text + len &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != text + len) {
		buf_fmt(why, why_n, "invalid JSON: trailing garbage");
		ret = -EPROTO;
		goto out;
	}
	*out = root;
	root = NULL;
out:
	cJSON_Delete(root);
	free(copy);
	return ret;
}

int json_parse(const char *text, size_t len, size_t max, struct cJSON **out,
	       char *why, size_t why_n)
{
	return parse(text, len, max, false, out, NULL, why, why_n);
}

int json_parse_lax(const char *text, size_t len, size_t max, struct cJSON **out,
		   size_t *tainted, char *why, size_t why_n)
{
	return parse(text, len, max, true, out, tainted, why, why_n);
}

bool json_tainted(const struct cJSON *item)
{
	const cJSON *c;

	if (!item)
		return false;
	if ((item->valuestring && strchr(item->valuestring, JSON_TAINT)) ||
	    (item->string && strchr(item->string, JSON_TAINT)))
		return true;
	/* Depth is bounded by the scan (64 levels). */
	for (c = item->child; c; c = c->next)
		if (json_tainted(c))
			return true;
	return false;
}

void json_free(struct cJSON *root)
{
	cJSON_Delete(root);
}

/*
 * Find member `name`: 1 with *item set, 0 when absent or null and optional,
 * -EPROTO otherwise.  Duplicate names: cJSON returns the first, which wins.
 */
static int member(const cJSON *obj, const char *name, enum json_need need,
		  const cJSON **item, char *why, size_t why_n)
{
	const cJSON *it;

	*item = NULL;
	if (!cJSON_IsObject(obj)) {
		buf_fmt(why, why_n, "%s: parent is not an object", name);
		return -EPROTO;
	}
	it = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!it || cJSON_IsNull(it)) {
		if (need == JSON_OPTIONAL)
			return 0;
		buf_fmt(why, why_n, "%s: missing", name);
		return -EPROTO;
	}
	*item = it;
	return 1;
}

/* 1 with *s set to the string value, 0 when absent, -EPROTO. */
static int string_member(const cJSON *obj, const char *name, size_t n,
			 enum json_need need, const char **s, char *why,
			 size_t why_n)
{
	const cJSON *it;
	size_t len;
	int ret;

	*s = NULL;
	ret = member(obj, name, need, &it, why, why_n);
	if (ret <= 0)
		return ret;
	if (!cJSON_IsString(it) || !it->valuestring) {
		buf_fmt(why, why_n, "%s: not a string", name);
		return -EPROTO;
	}
	if (strchr(it->valuestring, JSON_TAINT)) {
		buf_fmt(why, why_n,
			"%s: invalid string (NUL, unpaired surrogate, "
			"invalid UTF-8 or raw control character)",
			name);
		return -EPROTO;
	}
	len = strlen(it->valuestring);
	if (len >= n) {
		buf_fmt(why, why_n, "%s: too long (%zu bytes, at most %zu)",
			name, len, n ? n - 1 : 0);
		return -EPROTO;
	}
	*s = it->valuestring;
	return 1;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int json_get_text(const struct cJSON *obj, const char *name, char *dst,
		  size_t n, enum json_need need, char *why, size_t why_n)
{
	const char *s;
	int ret;

	ret = string_member(obj, name, n, need, &s, why, why_n);
	if (ret <= 0)
		return ret;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/*
 * A string member that `valid` accepts (a NULL `valid` accepts all), copied
 * into `dst`; otherwise -EPROTO with "<name>: <what>" in `why`.
 */
static int get_valid_string(const struct cJSON *obj, const char *name,
			    char *dst, size_t n, enum json_need need,
			    bool (*valid)(const char *), const char *what,
			    char *why, size_t why_n)
{
	const char *s;
	int ret;

	ret = string_member(obj, name, n, need, &s, why, why_n);
	if (ret <= 0)
		return ret;
	if (valid && !valid(s)) {
		buf_fmt(why, why_n, "%s: %s", name, what);
		return -EPROTO;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static bool no_control(const char *s)
{
	return !has_control(s);
}

int json_get_str(const struct cJSON *obj, const char *name, char *dst, size_t n,
		 enum json_need need, char *why, size_t why_n)
{
	return get_valid_string(obj, name, dst, n, need, no_control,
				"contains a control character", why, why_n);
}

int json_get_ocid(const struct cJSON *obj, const char *name, char *dst,
		  size_t n, enum json_need need, char *why, size_t why_n)
{
	return get_valid_string(obj, name, dst, n, need, json_is_ocid,
				"not an OCID", why, why_n);
}

static bool is_enum_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool is_enum(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!is_enum_char(s[i]))
			return false;
	return i && i <= 63;
}

int json_get_enum(const struct cJSON *obj, const char *name, char *dst,
		  size_t n, enum json_need need, char *why, size_t why_n)
{
	return get_valid_string(obj, name, dst, n, need, is_enum,
				"not an enum value", why, why_n);
}

/* `n` decimal digits at p, or -1. */
static int digits(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * RFC 3339 section 5.6 date-time:
 *   YYYY-MM-DD ("T"|"t") HH:MM:SS ["." 1*DIGIT] ("Z"|"z"|("+"|"-") HH:MM)
 */
static bool is_rfc3339(const char *s)
{
	int y, mo, d, h, mi, sec;

	if (strlen(s) < 20)
		return false;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return false;
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return false;
	s += 19;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if ((*s == 'Z' || *s == 'z') && !s[1])
		return true;
	if (*s != '+' && *s != '-')
		return false;
	h = digits(s + 1, 2);
	if (h < 0 || h > 23 || s[3] != ':')
		return false;
	mi = digits(s + 4, 2);
	return mi >= 0 && mi <= 59 && !s[6];
}

int json_get_time(const struct cJSON *obj, const char *name, char *dst,
		  size_t n, enum json_need need, char *why, size_t why_n)
{
	return get_valid_string(obj, name, dst, n, need, is_rfc3339,
				"not an RFC 3339 time", why, why_n);
}

int json_get_bool(const struct cJSON *obj, const char *name, bool *dst,
		  bool *present, enum json_need need, char *why, size_t why_n)
{
	const cJSON *it;
	int ret;

	if (present)
		*present = false;
	ret = member(obj, name, need, &it, why, why_n);
	if (ret <= 0)
		return ret;
	if (!cJSON_IsBool(it)) {
		buf_fmt(why, why_n, "%s: not a boolean", name);
		return -EPROTO;
	}
	*dst = cJSON_IsTrue(it);
	if (present)
		*present = true;
	return 0;
}

/* 1 with *d set to a finite number, 0 when absent, -EPROTO. */
static int number_member(const cJSON *obj, const char *name,
			 enum json_need need, double *d, char *why,
			 size_t why_n)
{
	const cJSON *it;
	int ret;

	ret = member(obj, name, need, &it, why, why_n);
	if (ret <= 0)
		return ret;
	if (!cJSON_IsNumber(it)) {
		buf_fmt(why, why_n, "%s: not a number", name);
		return -EPROTO;
	}
	if (!isfinite(it->valuedouble)) {
		buf_fmt(why, why_n, "%s: number out of range", name);
		return -EPROTO;
	}
	*d = it->valuedouble;
	return 1;
}

/* Integers are exact in a double only up to 2^53. */
#define JSON_INT_EXACT 9007199254740992.0

int json_get_int64(const struct cJSON *obj, const char *name, int64_t *dst,
		   int64_t min, int64_t max, enum json_need need, char *why,
		   size_t why_n)
{
	double d = 0;
	int64_t v;
	int ret;

	ret = number_member(obj, name, need, &d, why, why_n);
	if (ret <= 0)
		return ret;
	if (d != floor(d)) {
		buf_fmt(why, why_n, "%s: not an integer", name);
		return -EPROTO;
	}
	if (d < -JSON_INT_EXACT || d > JSON_INT_EXACT) {
		buf_fmt(why, why_n, "%s: number out of range", name);
		return -EPROTO;
	}
	v = (int64_t)d;
	if (v < min || v > max) {
		buf_fmt(why, why_n, "%s: %lld not in [%lld, %lld]", name,
			(long long)v, (long long)min, (long long)max);
		return -EPROTO;
	}
	*dst = v;
	return 0;
}

int json_get_double(const struct cJSON *obj, const char *name, double *dst,
		    double min, double max, enum json_need need, char *why,
		    size_t why_n)
{
	double d = 0;
	int ret;

	ret = number_member(obj, name, need, &d, why, why_n);
	if (ret <= 0)
		return ret;
	if (d < min || d > max) {
		buf_fmt(why, why_n, "%s: %g not in [%g, %g]", name, d, min,
			max);
		return -EPROTO;
	}
	*dst = d;
	return 0;
}

/* Length of the run of OCID characters at s; `upper` allows A-Z too. */
static size_t ocid_span(const char *s, bool upper)
{
	size_t n = 0;

	for (;; n++) {
		char c = s[n];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || (upper && c >= 'A' && c <= 'Z'))
			continue;
		return n;
	}
}

/*
 * ocid1.<type>.<realm>.[region][.future use].<unique>: the unique part is
 * taken to be everything after the region, as dot-separated non-empty
 * segments.
 */
bool json_is_ocid(const char *s)
{
	size_t n;
	int i;

	if (!s || strnlen(s, 256) > 255 || strncmp(s, "ocid1.", 6))
		return false;
	s += 6;
	for (i = 0; i < 3; i++) {
		n = ocid_span(s, false);
		if ((!n && i < 2) || s[n] != '.')
			return false;
		s += n + 1;
	}
	for (;;) {
		n = ocid_span(s, true);
		if (!n)
			return false;
		s += n;
		if (!*s)
			return true;
		if (*s != '.')
			return false;
		s++;
	}
}

char *json_print(const struct cJSON *item)
{
	char *text, *out;
	size_t len;

	if (!item)
		return NULL;
	text = cJSON_Print(item);
	if (!text)
		return NULL;
	len = strlen(text);
	out = malloc(len + 2);
	if (out) {
		memcpy(out, text, len);
		out[len] = '\n';
		out[len + 1] = '\0';
	}
	cJSON_free(text);
	return out;
}

static bool name_in(const char *name, const char *const *v)
{
	for (; v && *v; v++)
		if (!strcmp(name, *v))
			return true;
	return false;
}

/* A finite decimal number, all of `s` (strtod alone takes "inf", hex). */
static bool number_of(const char *s, double *out)
{
	const char *p = s;
	char *end;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	if (*p)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return !*end && !errno && isfinite(*out);
}

int json_from_lines(const char *text, size_t len, const char *const *numbers,
		    struct buf *out)
{
	cJSON *obj = cJSON_CreateObject();
	const char *p = text, *end = text + len;
	int ret = obj ? 0 : -ENOMEM;
	char *printed;

	while (!ret && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		const char *sep = memmem(p, (size_t)(stop - p), ": ", 2);
		char *name, *value;
		double d;
		cJSON *item;

		if (sep && sep > p) {
			name = strndup(p, (size_t)(sep - p));
			value = strndup(sep + 2, (size_t)(stop - sep - 2));
			if (!name || !value) {
				ret = -ENOMEM;
			} else if (!cJSON_GetObjectItemCaseSensitive(obj,
								     name)) {
				item = name_in(name, numbers) &&
						       number_of(value, &d)
					       ? cJSON_CreateNumber(d)
					       : cJSON_CreateString(value);
				if (!item ||
				    !cJSON_AddItemToObject(obj, name, item)) {
					cJSON_Delete(item);
					ret = -ENOMEM;
				}
			}
			free(name);
			free(value);
		}
		p = stop + 1;
	}
	printed = ret ? NULL : json_print(obj);
	if (!ret && !printed)
		ret = -ENOMEM;
	if (!ret)
		ret = buf_adds(out, printed);
	free(printed);
	cJSON_Delete(obj);
	return ret;
}
