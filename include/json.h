/* SPDX-License-Identifier: MIT */
/*
 * json: checked accessors over cJSON, for the decoders in model.c.
 *
 * Only json.c and model.c include <cjson/cJSON.h>.  Every accessor checks
 * the JSON type and the length before copying, and reports failures as
 * -EPROTO with the field name in `why`, so that a hostile or broken
 * response can never overflow a buffer or be half-used.
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct cJSON;

/* Presence rules for accessors. */
enum json_need {
	JSON_OPTIONAL, /* absent or null: leave the default, return 0 */
	JSON_REQUIRED, /* absent or null: -EPROTO */
};

/*
 * Parse `len` bytes of JSON text (need not be NUL-terminated).  Refuses
 * input over `max` bytes (-EMSGSIZE), nesting deeper than 64 levels, and
 * trailing garbage (-EPROTO).  The caller frees the tree with json_free().
 *
 * The text is first checked against RFC 8259 strictly, because cJSON alone
 * is lenient: anything else is -EPROTO with the byte offset in `why`.  In
 * particular: invalid UTF-8 (overlong forms, surrogates, > U+10FFFF),
 * raw control characters inside strings, bad or unpaired \u escapes,
 * "\u0000" (cJSON would silently cut the string at the NUL, so a decoded
 * string never contains one), NaN/Infinity and other non-JSON tokens,
 * leading zeros, number tokens longer than 63 characters (cJSON's limit),
 * truncated text, more than 262144 values in all (cJSON spends some 64
 * bytes per value, so this bounds the tree of a hostile "[0,0,0,...]").
 * A leading UTF-8 BOM is skipped, as cJSON does.  Numbers
 * that overflow a double (1e999) parse as infinity and are refused by the
 * number accessors.  Duplicate member names are kept in the tree; the
 * accessors see the FIRST one (cJSON's lookup order).
 * Returns 0, -EMSGSIZE, -EPROTO, or -ENOMEM; *out is NULL on failure.
 */
int json_parse(const char *text, size_t len, size_t max, struct cJSON **out,
	       char *why, size_t why_n);
void json_free(struct cJSON *root);

/*
 * The byte that marks bad string contents in a tree from
 * json_parse_lax(); never part of a string json_parse() accepts.
 */
#define JSON_TAINT '\xff'

/*
 * Like json_parse(), for list pages, where one bad entry must not hide
 * the others: the structure must be strict JSON as above, but bad string
 * contents (raw control characters, invalid UTF-8, "\u0000", unpaired
 * surrogates) do not fail the parse.  Each such sequence is replaced by
 * JSON_TAINT bytes in the decoded strings (member names included), and
 * *tainted (may be NULL) counts them.  The accessors below refuse a
 * tainted string (-EPROTO, "invalid string"); json_tainted() tells
 * whether a subtree holds one, so that a decoder can skip the element.
 * The input is not modified (a tainted text is copied once).
 */
int json_parse_lax(const char *text, size_t len, size_t max, struct cJSON **out,
		   size_t *tainted, char *why, size_t why_n);

/* True when a string or member name in `item`'s subtree is tainted. */
bool json_tainted(const struct cJSON *item);

/*
 * Accessors common rules: `obj` must be an object (else -EPROTO); members
 * are looked up case-sensitively; a JSON null counts as absent.  On any
 * failure `dst` is left unchanged and `why` reads "<name>: <reason>", e.g.
 * "lifecycleState: not a string", "id: too long (300 bytes, at most 255)".
 */

/*
 * Copy string member `name` of object `obj` into `dst` (size `n`).
 * -EPROTO when the member is not a string, contains a control character
 * (below 0x20, or 0x7f), or does not fit.  For machine values: OCIDs,
 * enums, times, URLs, Object Storage names, etags.
 */
int json_get_str(const struct cJSON *obj, const char *name, char *dst, size_t n,
		 enum json_need need, char *why, size_t why_n);

/*
 * Like json_get_str() but for human text (display names, descriptions,
 * messages): any Unicode is kept verbatim, including '/' and control
 * characters such as TAB or newline, which OCI does not forbid in names;
 * whoever turns the text into a file name or a log line sanitizes it.
 * Only NUL is impossible (json_parse() refuses "\u0000").
 */
int json_get_text(const struct cJSON *obj, const char *name, char *dst,
		  size_t n, enum json_need need, char *why, size_t why_n);

/* The same, additionally requiring an OCID (see json_is_ocid()). */
int json_get_ocid(const struct cJSON *obj, const char *name, char *dst,
		  size_t n, enum json_need need, char *why, size_t why_n);

/*
 * An enum value: a string of 1..63 characters from [A-Za-z0-9_-].  Unknown
 * values are kept as they are, never an error.
 */
int json_get_enum(const struct cJSON *obj, const char *name, char *dst,
		  size_t n, enum json_need need, char *why, size_t why_n);

/*
 * An RFC 3339 date-time string (section 5.6: "2018-04-03T21:10:29.600Z",
 * "...+05:30"), checked field by field (month days, leap years); kept
 * verbatim.
 */
int json_get_time(const struct cJSON *obj, const char *name, char *dst,
		  size_t n, enum json_need need, char *why, size_t why_n);

/* A JSON true/false; *present (may be NULL) tells whether it was there. */
int json_get_bool(const struct cJSON *obj, const char *name, bool *dst,
		  bool *present, enum json_need need, char *why, size_t why_n);
/*
 * An integral number within [min, max] ("32" and "32.0" and "3.2e1" are
 * the same JSON number).  Magnitudes above 2^53, which a double cannot
 * hold exactly, are refused.
 */
int json_get_int64(const struct cJSON *obj, const char *name, int64_t *dst,
		   int64_t min, int64_t max, enum json_need need, char *why,
		   size_t why_n);
/* A finite number within [min, max]. */
int json_get_double(const struct cJSON *obj, const char *name, double *dst,
		    double min, double max, enum json_need need, char *why,
		    size_t why_n);

/*
 * OCID syntax: "ocid1." then type, realm, region (may be empty) and a
 * unique part (which may itself contain dots), separated by '.', from
 * [a-z0-9_-] (unique part also [A-Za-z0-9_-]), at most 255 characters.
 * Type and realm are non-empty; the unique part is one or more non-empty
 * dot-separated segments (so no leading, trailing or doubled dot).  NULL
 * is not an OCID.
 */
bool json_is_ocid(const char *s);

/* Serialize `item` pretty-printed (cJSON format, tabs) into a malloc'd string,
 * terminated by a newline; NULL when out of memory. */
char *json_print(const struct cJSON *item);

/*
 * The JSON form of a "name: value" text (a `status` file): one object
 * whose members are the lines' names in order, each value a string, except
 * the names in `numbers` (NULL-terminated) whose value is a number when it
 * is one (`size: unknown (...)` stays a string).  Lines without ": " are
 * skipped; a repeated name keeps the first.  Appends the pretty-printed
 * object and a newline to `out`: 0, -ENOMEM, -EMSGSIZE.
 */
int json_from_lines(const char *text, size_t len, const char *const *numbers,
		    struct buf *out);

#endif /* JSON_H */
