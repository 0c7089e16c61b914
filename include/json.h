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
 */
int json_parse(const char *text, size_t len, size_t max, struct cJSON **out,
	       char *why, size_t why_n);
void json_free(struct cJSON *root);

/*
 * Copy string member `name` of object `obj` into `dst` (size `n`).
 * -EPROTO when the member is not a string, contains a NUL or control
 * character, or does not fit.
 */
int json_get_str(const struct cJSON *obj, const char *name, char *dst,
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

/* An RFC 3339 timestamp string. */
int json_get_time(const struct cJSON *obj, const char *name, char *dst,
		  size_t n, enum json_need need, char *why, size_t why_n);

int json_get_bool(const struct cJSON *obj, const char *name, bool *dst,
		  bool *present, enum json_need need, char *why, size_t why_n);
/* An integer number within [min, max]. */
int json_get_int64(const struct cJSON *obj, const char *name, int64_t *dst,
		   int64_t min, int64_t max, enum json_need need, char *why,
		   size_t why_n);
int json_get_double(const struct cJSON *obj, const char *name, double *dst,
		    double min, double max, enum json_need need, char *why,
		    size_t why_n);

/*
 * OCID syntax: "ocid1." then type, realm, region (may be empty) and a
 * unique part (which may itself contain dots), separated by '.', from
 * [a-z0-9_-] (unique part also [A-Za-z0-9_-]), at most 255 characters.
 */
bool json_is_ocid(const char *s);

/* Serialize `item` pretty-printed (cJSON format, tabs) into a malloc'd string,
 * terminated by a newline; NULL when out of memory. */
char *json_print(const struct cJSON *item);

#endif /* JSON_H */
