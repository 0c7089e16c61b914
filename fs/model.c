/* SPDX-License-Identifier: MIT */
/* model: typed OCI resources decoded from (and encoded to) JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "model.h"
#include "oci_error.h"
#include "banned.h"

/* Bodies from the service are already capped by http; this is the same cap. */
#define MODEL_BODY_MAX OVFS_RESPONSE_MAX
/* A BackupLocation written by a user: generous for the longest fields. */
#define MODEL_USER_MAX (64u * 1024)
/* keyShape.length in bytes: AES 16..32, RSA 256..512, ECDSA 32..66 today. */
#define KEY_LENGTH_MIN 1
#define KEY_LENGTH_MAX 65536

enum field_kind {
	F_OCID, /* a valid OCID */
	F_OCID_OR_EMPTY, /* a valid OCID or "" */
	F_TEXT, /* human text, no NUL; must fit */
	F_TEXT_TRUNC, /* human text, cut at a UTF-8 boundary to fit */
	F_STR, /* machine string, no control characters */
	F_ENUM, /* [A-Za-z0-9_-]{1,63} */
	F_TIME, /* RFC 3339 */
	F_ENDPOINT, /* https://host[:port][/] */
	F_BOOL, /* bool at off, presence flag at aux */
};

struct field {
	const char *name;
	enum field_kind kind;
	enum json_need need;
	size_t off;
	size_t size;
	size_t aux;
};

/* clang-format off */
#define FLD(type, jname, kind, need, member)                           \
	{ jname, kind, need, offsetof(type, member),                    \
	  sizeof(((type *)0)->member), 0 }
#define FLD_BOOL(type, jname, member, has)                             \
	{ jname, F_BOOL, JSON_OPTIONAL, offsetof(type, member), 0,      \
	  offsetof(type, has) }
#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
/* clang-format on */

/* Turn "name: reason" into "<prefix>name: reason" (for "[3]." etc.). */
static void why_prefix(char *why, size_t why_n, const char *prefix)
{
	size_t plen, wlen;

	if (!why || !why_n)
		return;
	plen = strlen(prefix);
	if (plen > why_n - 1)
		plen = why_n - 1;
	wlen = strnlen(why, why_n - 1);
	if (wlen > why_n - 1 - plen)
		wlen = why_n - 1 - plen;
	memmove(why + plen, why, wlen);
	memcpy(why, prefix, plen);
	why[plen + wlen] = '\0';
}

/* Copy `s` into dst[n], cutting before a partial UTF-8 sequence. */
static void copy_truncated(char *dst, size_t n, const char *s)
{
	size_t len = strlen(s);

	if (len >= n) {
		len = n - 1;
		while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/*
 * An endpoint from the service: key operations are sent there together with
 * signed requests, so only an https origin is accepted (no http, no userinfo
 * that could hide another host, no path, query or fragment).
 */
static bool is_https_origin(const char *s)
{
	const char *p;
	size_t n = 0;
	long port = 0;

	if (strncmp(s, "https://", 8))
		return false;
	p = s + 8;
	if (*p == '[') {
		for (p++; *p && *p != ']'; p++, n++)
			if (!strchr("0123456789abcdefABCDEF:.", *p))
				return false;
		if (*p++ != ']' || n < 2)
			return false;
	} else {
		for (; (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9') || *p == '.' || *p == '-';
		     p++)
			n++;
		if (!n || s[8] == '.' || s[8] == '-')
			return false;
	}
	if (*p == ':') {
		for (n = 0, p++; *p >= '0' && *p <= '9' && n < 6; p++, n++)
			port = port * 10 + (*p - '0');
		if (!n || n > 5 || port < 1 || port > 65535)
			return false;
	}
	if (*p == '/')
		p++;
	return !*p;
}

/*
 * Descriptions and messages are only informative, and OCI counts their
 * limits in characters, not bytes: cut them rather than lose the resource
 * (the full text stays in the resource's `json`).
 */
static int get_text_truncated(const cJSON *obj, const struct field *f,
			      char *dst, char *why, size_t why_n)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, f->name);

	if (!it || cJSON_IsNull(it)) {
		if (f->need == JSON_OPTIONAL)
			return 0;
		buf_fmt(why, why_n, "%s: missing", f->name);
		return -EPROTO;
	}
	if (!cJSON_IsString(it) || !it->valuestring) {
		buf_fmt(why, why_n, "%s: not a string", f->name);
		return -EPROTO;
	}
	copy_truncated(dst, f->size, it->valuestring);
	return 0;
}

static bool present(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return it && !cJSON_IsNull(it);
}

static int decode_fields(const cJSON *obj, const struct field *f, size_t nf,
			 void *out, char *why, size_t why_n)
{
	char *base = out;
	size_t i;
	int ret = 0;

	for (i = 0; i < nf && !ret; i++) {
		char *dst = base + f[i].off;

		switch (f[i].kind) {
		case F_OCID:
			ret = json_get_ocid(obj, f[i].name, dst, f[i].size,
					    f[i].need, why, why_n);
			break;
		case F_OCID_OR_EMPTY:
			ret = json_get_str(obj, f[i].name, dst, f[i].size,
					   f[i].need, why, why_n);
			if (!ret && dst[0] && !json_is_ocid(dst)) {
				buf_fmt(why, why_n, "%s: not an OCID",
					f[i].name);
				ret = -EPROTO;
			}
			break;
		case F_TEXT:
			ret = json_get_text(obj, f[i].name, dst, f[i].size,
					    f[i].need, why, why_n);
			break;
		case F_TEXT_TRUNC:
			ret = get_text_truncated(obj, &f[i], dst, why, why_n);
			break;
		case F_STR:
			ret = json_get_str(obj, f[i].name, dst, f[i].size,
					   f[i].need, why, why_n);
			break;
		case F_ENUM:
			ret = json_get_enum(obj, f[i].name, dst, f[i].size,
					    f[i].need, why, why_n);
			break;
		case F_TIME:
			ret = json_get_time(obj, f[i].name, dst, f[i].size,
					    f[i].need, why, why_n);
			break;
		case F_ENDPOINT:
			ret = json_get_str(obj, f[i].name, dst, f[i].size,
					   f[i].need, why, why_n);
			/* Present means valid: "" is no endpoint either. */
			if (!ret && present(obj, f[i].name) &&
			    !is_https_origin(dst)) {
				buf_fmt(why, why_n, "%s: not an https origin",
					f[i].name);
				dst[0] = '\0';
				ret = -EPROTO;
			}
			break;
		case F_BOOL:
			ret = json_get_bool(obj, f[i].name, (bool *)dst,
					    (bool *)(base + f[i].aux),
					    f[i].need, why, why_n);
			break;
		}
	}
	return ret;
}

/* Keep the resource's own JSON for key.json and friends. */
static int keep_json(const cJSON *obj, char **json, char *why, size_t why_n)
{
	*json = json_print(obj);
	if (*json)
		return 0;
	buf_fmt(why, why_n, "out of memory");
	return -ENOMEM;
}

static int need_object(const cJSON *obj, char *why, size_t why_n)
{
	if (cJSON_IsObject(obj))
		return 0;
	buf_fmt(why, why_n, "not a JSON object");
	return -EPROTO;
}

/* Nested object member: 1 if present, 0 if absent and optional, -EPROTO. */
static int sub_object(const cJSON *obj, const char *name, enum json_need need,
		      const cJSON **sub, char *why, size_t why_n)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	*sub = NULL;
	if (!it || cJSON_IsNull(it)) {
		if (need == JSON_OPTIONAL)
			return 0;
		buf_fmt(why, why_n, "%s: missing", name);
		return -EPROTO;
	}
	if (!cJSON_IsObject(it)) {
		buf_fmt(why, why_n, "%s: not an object", name);
		return -EPROTO;
	}
	*sub = it;
	return 1;
}

/* ---- resources ---------------------------------------------------- */

#define T struct oci_tenancy
static const struct field tenancy_fields[] = {
	FLD(T, "id", F_OCID, JSON_OPTIONAL, id),
	FLD(T, "name", F_TEXT, JSON_OPTIONAL, name),
	FLD(T, "description", F_TEXT_TRUNC, JSON_OPTIONAL, description),
	FLD(T, "homeRegionKey", F_ENUM, JSON_OPTIONAL, home_region_key),
};
#undef T

#define T struct oci_compartment
static const struct field compartment_fields[] = {
	FLD(T, "id", F_OCID, JSON_REQUIRED, id),
	FLD(T, "compartmentId", F_OCID, JSON_REQUIRED, compartment_id),
	FLD(T, "name", F_TEXT, JSON_REQUIRED, name),
	FLD(T, "description", F_TEXT_TRUNC, JSON_REQUIRED, description),
	FLD(T, "timeCreated", F_TIME, JSON_REQUIRED, time_created),
	FLD(T, "lifecycleState", F_ENUM, JSON_REQUIRED, lifecycle_state),
	FLD_BOOL(T, "isAccessible", is_accessible, has_is_accessible),
};
#undef T

#define T struct oci_vault
static const struct field vault_summary_fields[] = {
	FLD(T, "compartmentId", F_OCID, JSON_REQUIRED, compartment_id),
	FLD(T, "cryptoEndpoint", F_ENDPOINT, JSON_REQUIRED, crypto_endpoint),
	FLD(T, "displayName", F_TEXT, JSON_REQUIRED, display_name),
	FLD(T, "id", F_OCID, JSON_REQUIRED, id),
	FLD(T, "lifecycleState", F_ENUM, JSON_REQUIRED, lifecycle_state),
	FLD(T, "managementEndpoint", F_ENDPOINT, JSON_REQUIRED,
	    management_endpoint),
	FLD(T, "timeCreated", F_TIME, JSON_REQUIRED, time_created),
	FLD(T, "vaultType", F_ENUM, JSON_REQUIRED, vault_type),
};

static const struct field vault_fields[] = {
	FLD(T, "wrappingkeyId", F_OCID, JSON_REQUIRED, wrappingkey_id),
	FLD(T, "timeOfDeletion", F_TIME, JSON_OPTIONAL, time_of_deletion),
	FLD(T, "restoredFromVaultId", F_OCID, JSON_OPTIONAL,
	    restored_from_vault_id),
	FLD_BOOL(T, "isPrimary", is_primary, has_is_primary),
};
#undef T

#define T struct oci_key
static const struct field key_summary_fields[] = {
	FLD(T, "compartmentId", F_OCID, JSON_REQUIRED, compartment_id),
	FLD(T, "displayName", F_TEXT, JSON_REQUIRED, display_name),
	FLD(T, "id", F_OCID, JSON_REQUIRED, id),
	FLD(T, "lifecycleState", F_ENUM, JSON_REQUIRED, lifecycle_state),
	FLD(T, "timeCreated", F_TIME, JSON_REQUIRED, time_created),
	FLD(T, "vaultId", F_OCID, JSON_REQUIRED, vault_id),
	FLD(T, "protectionMode", F_ENUM, JSON_OPTIONAL, protection_mode),
};

/* KeySummary only: Key carries the algorithm in keyShape. */
static const struct field key_summary_only_fields[] = {
	FLD(T, "algorithm", F_ENUM, JSON_OPTIONAL, algorithm),
};

static const struct field key_fields[] = {
	FLD(T, "currentKeyVersion", F_OCID, JSON_REQUIRED, current_key_version),
	FLD(T, "timeOfDeletion", F_TIME, JSON_OPTIONAL, time_of_deletion),
	FLD(T, "restoredFromKeyId", F_OCID, JSON_OPTIONAL,
	    restored_from_key_id),
	FLD_BOOL(T, "isPrimary", is_primary, has_is_primary),
};

static const struct field key_shape_fields[] = {
	FLD(T, "algorithm", F_ENUM, JSON_REQUIRED, algorithm),
	FLD(T, "curveId", F_ENUM, JSON_OPTIONAL, curve_id),
};
#undef T

#define T struct oci_key_version
static const struct field key_version_fields[] = {
	FLD(T, "compartmentId", F_OCID, JSON_REQUIRED, compartment_id),
	FLD(T, "id", F_OCID, JSON_REQUIRED, id),
	FLD(T, "keyId", F_OCID, JSON_REQUIRED, key_id),
	FLD(T, "origin", F_ENUM, JSON_REQUIRED, origin),
	FLD(T, "timeCreated", F_TIME, JSON_REQUIRED, time_created),
	FLD(T, "vaultId", F_OCID, JSON_REQUIRED, vault_id),
	FLD(T, "lifecycleState", F_ENUM, JSON_OPTIONAL, lifecycle_state),
	FLD(T, "timeOfDeletion", F_TIME, JSON_OPTIONAL, time_of_deletion),
};
#undef T

#define T struct oci_work_request
static const struct field work_request_fields[] = {
	FLD(T, "operationType", F_STR, JSON_REQUIRED, operation_type),
	FLD(T, "status", F_ENUM, JSON_REQUIRED, status),
	FLD(T, "id", F_OCID, JSON_REQUIRED, id),
	FLD(T, "compartmentId", F_OCID, JSON_REQUIRED, compartment_id),
	FLD(T, "timeAccepted", F_TIME, JSON_REQUIRED, time_accepted),
	FLD(T, "timeStarted", F_TIME, JSON_OPTIONAL, time_started),
	FLD(T, "timeFinished", F_TIME, JSON_OPTIONAL, time_finished),
};
#undef T

#define T struct oci_wr_resource
static const struct field wr_resource_fields[] = {
	FLD(T, "actionType", F_ENUM, JSON_REQUIRED, action_type),
	FLD(T, "entityType", F_STR, JSON_REQUIRED, entity_type),
	FLD(T, "identifier", F_OCID, JSON_REQUIRED, identifier),
	FLD(T, "entityUri", F_STR, JSON_OPTIONAL, entity_uri),
};
#undef T

#define T struct oci_wr_error
static const struct field wr_error_fields[] = {
	FLD(T, "code", F_STR, JSON_REQUIRED, code),
	FLD(T, "message", F_TEXT_TRUNC, JSON_REQUIRED, message),
	FLD(T, "timestamp", F_TIME, JSON_REQUIRED, timestamp),
};
#undef T

#define T struct oci_bucket
static const struct field bucket_fields[] = {
	FLD(T, "namespace", F_STR, JSON_REQUIRED, namespace_name),
	FLD(T, "name", F_STR, JSON_REQUIRED, name),
	FLD(T, "compartmentId", F_OCID, JSON_REQUIRED, compartment_id),
	FLD(T, "createdBy", F_OCID_OR_EMPTY, JSON_REQUIRED, created_by),
	FLD(T, "timeCreated", F_TIME, JSON_REQUIRED, time_created),
	FLD(T, "etag", F_STR, JSON_REQUIRED, etag),
};
#undef T

/*
 * The *_from() decoders fill a zeroed `out` from one JSON object and leave
 * it released on failure.
 */

static int tenancy_from(const cJSON *obj, struct oci_tenancy *out, char *why,
			size_t why_n)
{
	int ret = need_object(obj, why, why_n);

	if (!ret)
		ret = decode_fields(obj, tenancy_fields,
				    NFIELDS(tenancy_fields), out, why, why_n);
	if (!ret)
		ret = keep_json(obj, &out->json, why, why_n);
	if (ret)
		model_tenancy_release(out);
	return ret;
}

static int compartment_from(const cJSON *obj, struct oci_compartment *out,
			    char *why, size_t why_n)
{
	int ret = need_object(obj, why, why_n);

	if (!ret)
		ret = decode_fields(obj, compartment_fields,
				    NFIELDS(compartment_fields), out, why,
				    why_n);
	if (!ret)
		ret = keep_json(obj, &out->json, why, why_n);
	if (ret)
		model_compartment_release(out);
	return ret;
}

static int vault_from(const cJSON *obj, bool summary, struct oci_vault *out,
		      char *why, size_t why_n)
{
	int ret = need_object(obj, why, why_n);

	if (!ret)
		ret = decode_fields(obj, vault_summary_fields,
				    NFIELDS(vault_summary_fields), out, why,
				    why_n);
	if (!ret && !summary)
		ret = decode_fields(obj, vault_fields, NFIELDS(vault_fields),
				    out, why, why_n);
	if (!ret)
		ret = keep_json(obj, &out->json, why, why_n);
	out->summary = summary;
	if (ret)
		model_vault_release(out);
	return ret;
}

static int key_shape_from(const cJSON *obj, struct oci_key *out, char *why,
			  size_t why_n)
{
	const cJSON *shape;
	int ret;

	ret = sub_object(obj, "keyShape", JSON_REQUIRED, &shape, why, why_n);
	if (ret < 0)
		return ret;
	ret = decode_fields(shape, key_shape_fields, NFIELDS(key_shape_fields),
			    out, why, why_n);
	if (!ret)
		ret = json_get_int64(shape, "length", &out->length,
				     KEY_LENGTH_MIN, KEY_LENGTH_MAX,
				     JSON_REQUIRED, why, why_n);
	if (ret)
		why_prefix(why, why_n, "keyShape.");
	return ret;
}

static int key_from(const cJSON *obj, bool summary, struct oci_key *out,
		    char *why, size_t why_n)
{
	int ret = need_object(obj, why, why_n);

	if (!ret)
		ret = decode_fields(obj, key_summary_fields,
				    NFIELDS(key_summary_fields), out, why,
				    why_n);
	if (!ret && summary)
		ret = decode_fields(obj, key_summary_only_fields,
				    NFIELDS(key_summary_only_fields), out, why,
				    why_n);
	if (!ret && !summary)
		ret = decode_fields(obj, key_fields, NFIELDS(key_fields), out,
				    why, why_n);
	if (!ret && !summary)
		ret = key_shape_from(obj, out, why, why_n);
	if (!ret)
		ret = keep_json(obj, &out->json, why, why_n);
	out->summary = summary;
	if (ret)
		model_key_release(out);
	return ret;
}

static int key_version_from(const cJSON *obj, struct oci_key_version *out,
			    char *why, size_t why_n)
{
	int ret = need_object(obj, why, why_n);

	if (!ret)
		ret = decode_fields(obj, key_version_fields,
				    NFIELDS(key_version_fields), out, why,
				    why_n);
	if (!ret)
		ret = keep_json(obj, &out->json, why, why_n);
	if (ret)
		model_key_version_release(out);
	return ret;
}

static int wr_resources_from(const cJSON *obj, struct oci_work_request *out,
			     char *why, size_t why_n)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "resources");
	const cJSON *it;
	char prefix[32];
	int ret = 0;

	if (!arr || cJSON_IsNull(arr)) {
		buf_fmt(why, why_n, "resources: missing");
		return -EPROTO;
	}
	if (!cJSON_IsArray(arr)) {
		buf_fmt(why, why_n, "resources: not an array");
		return -EPROTO;
	}
	cJSON_ArrayForEach(it, arr) {
		if (out->nresources == OCI_WR_RESOURCES_MAX)
			break;
		snprintf(prefix, sizeof(prefix), "resources[%zu]",
			 out->nresources);
		if (!cJSON_IsObject(it)) {
			buf_fmt(why, why_n, "%s: not an object", prefix);
			return -EPROTO;
		}
		ret = decode_fields(
			it, wr_resource_fields, NFIELDS(wr_resource_fields),
			&out->resources[out->nresources], why, why_n);
		if (ret) {
			snprintf(prefix, sizeof(prefix), "resources[%zu].",
				 out->nresources);
			why_prefix(why, why_n, prefix);
			return ret;
		}
		out->nresources++;
	}
	return 0;
}

static int work_request_from(const cJSON *obj, bool summary,
			     struct oci_work_request *out, char *why,
			     size_t why_n)
{
	int ret = need_object(obj, why, why_n);

	if (!ret)
		ret = decode_fields(obj, work_request_fields,
				    NFIELDS(work_request_fields), out, why,
				    why_n);
	if (!ret)
		ret = json_get_double(obj, "percentComplete",
				      &out->percent_complete, 0, 100,
				      JSON_REQUIRED, why, why_n);
	if (!ret && !summary)
		ret = wr_resources_from(obj, out, why, why_n);
	if (!ret)
		ret = keep_json(obj, &out->json, why, why_n);
	if (ret)
		model_work_request_release(out);
	return ret;
}

static int wr_error_from(const cJSON *obj, struct oci_wr_error *out, char *why,
			 size_t why_n)
{
	int ret = need_object(obj, why, why_n);

	if (!ret)
		ret = decode_fields(obj, wr_error_fields,
				    NFIELDS(wr_error_fields), out, why, why_n);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

static int bucket_from(const cJSON *obj, struct oci_bucket *out, char *why,
		       size_t why_n)
{
	int ret = need_object(obj, why, why_n);

	if (!ret)
		ret = decode_fields(obj, bucket_fields, NFIELDS(bucket_fields),
				    out, why, why_n);
	if (!ret)
		ret = keep_json(obj, &out->json, why, why_n);
	if (ret)
		model_bucket_release(out);
	return ret;
}

/* ---- single-object decoders --------------------------------------- */

static int parse_body(const char *text, size_t len, cJSON **root, char *why,
		      size_t why_n)
{
	if (why && why_n)
		why[0] = '\0';
	return json_parse(text, len, MODEL_BODY_MAX, root, why, why_n);
}

int model_tenancy_decode(const char *text, size_t len, struct oci_tenancy *out,
			 char *why, size_t why_n)
{
	cJSON *root = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_body(text, len, &root, why, why_n);
	if (!ret)
		ret = tenancy_from(root, out, why, why_n);
	json_free(root);
	return ret;
}

int model_compartment_decode(const char *text, size_t len,
			     struct oci_compartment *out, char *why,
			     size_t why_n)
{
	cJSON *root = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_body(text, len, &root, why, why_n);
	if (!ret)
		ret = compartment_from(root, out, why, why_n);
	json_free(root);
	return ret;
}

int model_vault_decode(const char *text, size_t len, struct oci_vault *out,
		       char *why, size_t why_n)
{
	cJSON *root = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_body(text, len, &root, why, why_n);
	if (!ret)
		ret = vault_from(root, false, out, why, why_n);
	json_free(root);
	return ret;
}

int model_key_decode(const char *text, size_t len, struct oci_key *out,
		     char *why, size_t why_n)
{
	cJSON *root = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_body(text, len, &root, why, why_n);
	if (!ret)
		ret = key_from(root, false, out, why, why_n);
	json_free(root);
	return ret;
}

int model_work_request_decode(const char *text, size_t len,
			      struct oci_work_request *out, char *why,
			      size_t why_n)
{
	cJSON *root = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_body(text, len, &root, why, why_n);
	if (!ret)
		ret = work_request_from(root, false, out, why, why_n);
	json_free(root);
	return ret;
}

/* ---- lists ---------------------------------------------------------- */

typedef int (*elem_decode_fn)(const cJSON *obj, void *out, char *why,
			      size_t why_n);
typedef void (*elem_release_fn)(void *elem);

/* Count a skipped element; the first one's reason is kept. */
static void skip(struct model_skips *sk, size_t index, const char *sep,
		 const char *why)
{
	if (!sk->n)
		snprintf(sk->why, sizeof(sk->why), "[%zu]%s%s", index, sep,
			 why);
	sk->n++;
}

/*
 * Decode the JSON array `text` into a new malloc'd array of *count elements
 * of `size` bytes (NULL when empty).  The array grows as elements decode,
 * so a huge array of junk costs no more than the junk.
 */
static int decode_array(const char *text, size_t len, size_t size,
			elem_decode_fn decode, elem_release_fn release,
			void **elems, size_t *count, struct model_skips *sk,
			char *why, size_t why_n)
{
	cJSON *root = NULL;
	const cJSON *it;
	char *v = NULL, *nv;
	size_t n = 0, alloc = 0, index = 0, tainted = 0;
	char ewhy[MODEL_SKIP_WHY_MAX];
	int ret;

	*elems = NULL;
	*count = 0;
	if (why && why_n)
		why[0] = '\0';
	ret = json_parse_lax(text, len, MODEL_BODY_MAX, &root, &tainted, why,
			     why_n);
	if (ret)
		goto out;
	if (!cJSON_IsArray(root)) {
		buf_fmt(why, why_n, "not a JSON array");
		ret = -EPROTO;
		goto out;
	}
	cJSON_ArrayForEach(it, root) {
		if (!cJSON_IsObject(it)) {
			skip(sk, index, ": ", "not an object");
			index++;
			continue;
		}
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			nv = alloc <= SIZE_MAX / size ? realloc(v, alloc * size)
						      : NULL;
			if (!nv) {
				buf_fmt(why, why_n, "out of memory");
				ret = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		memset(v + n * size, 0, size);
		ewhy[0] = '\0';
		ret = decode(it, v + n * size, ewhy, sizeof(ewhy));
		if (ret == -EPROTO) {
			/* decode() left the element released */
			skip(sk, index, ".", ewhy);
			index++;
			ret = 0;
			continue;
		}
		/* A bad string in a member we do not decode (kept in json). */
		if (!ret && tainted && json_tainted(it)) {
			release(v + n * size);
			skip(sk, index, ": ",
			     "invalid string (NUL, unpaired surrogate, "
			     "invalid UTF-8 or raw control character)");
			index++;
			continue;
		}
		if (ret) {
			buf_fmt(why, why_n, "%s", ewhy);
			goto out;
		}
		n++;
		index++;
	}
	if (n) { /* else everything was skipped: v is freed below */
		*elems = v;
		*count = n;
		v = NULL;
	}
out:
	if (v) {
		while (n--)
			release(v + n * size);
		free(v);
	}
	json_free(root);
	return ret;
}

/* Room for `add` more elements of `size` bytes after `n`; NULL if none. */
static void *list_grow(void *v, size_t *alloc, size_t n, size_t add,
		       size_t size)
{
	size_t want, nalloc;
	void *p;

	if (add > SIZE_MAX / size - n)
		return NULL;
	want = n + add;
	if (want <= *alloc)
		return v;
	nalloc = *alloc <= SIZE_MAX / size / 2 ? *alloc * 2 : want;
	if (nalloc < want)
		nalloc = want;
	p = realloc(v, nalloc * size);
	if (p)
		*alloc = nalloc;
	return p;
}

/*
 * model_<name>_append(): decode everything first, then move it into the
 * list in one step, so that a failure leaves the list as it was.
 */
#define MODEL_APPEND(name, ltype, etype, elem_decode, elem_release)            \
	static int name##_elem(const cJSON *obj, void *out, char *why,         \
			       size_t why_n)                                   \
	{                                                                      \
		return elem_decode;                                            \
	}                                                                      \
	static void name##_elem_release(void *e)                               \
	{                                                                      \
		elem_release((etype *)e);                                      \
	}                                                                      \
	int model_##name##_append(const char *text, size_t len,                \
				  struct ltype *list, char *why, size_t why_n) \
	{                                                                      \
		void *elems, *nv;                                              \
		size_t count, i;                                               \
		int ret;                                                       \
                                                                               \
		ret = decode_array(text, len, sizeof(etype), name##_elem,      \
				   name##_elem_release, &elems, &count,        \
				   &list->skips, why, why_n);                  \
		if (ret || !count)                                             \
			return ret;                                            \
		nv = list_grow(list->v, &list->alloc, list->n, count,          \
			       sizeof(etype));                                 \
		if (!nv) {                                                     \
			for (i = 0; i < count; i++)                            \
				elem_release((etype *)elems + i);              \
			free(elems);                                           \
			buf_fmt(why, why_n, "out of memory");                  \
			return -ENOMEM;                                        \
		}                                                              \
		list->v = nv;                                                  \
		memcpy(list->v + list->n, elems, count * sizeof(etype));       \
		list->n += count;                                              \
		free(elems);                                                   \
		return 0;                                                      \
	}

static void wr_error_release(struct oci_wr_error *e)
{
	memset(e, 0, sizeof(*e));
}

MODEL_APPEND(compartments, oci_compartment_list, struct oci_compartment,
	     compartment_from(obj, out, why, why_n), model_compartment_release)
MODEL_APPEND(vaults, oci_vault_list, struct oci_vault,
	     vault_from(obj, true, out, why, why_n), model_vault_release)
MODEL_APPEND(keys, oci_key_list, struct oci_key,
	     key_from(obj, true, out, why, why_n), model_key_release)
MODEL_APPEND(key_versions, oci_key_version_list, struct oci_key_version,
	     key_version_from(obj, out, why, why_n), model_key_version_release)
MODEL_APPEND(work_requests, oci_work_request_list, struct oci_work_request,
	     work_request_from(obj, true, out, why, why_n),
	     model_work_request_release)
MODEL_APPEND(wr_errors, oci_wr_error_list, struct oci_wr_error,
	     wr_error_from(obj, out, why, why_n), wr_error_release)
MODEL_APPEND(buckets, oci_bucket_list, struct oci_bucket,
	     bucket_from(obj, out, why, why_n), model_bucket_release)

/* ---- ListObjects ---------------------------------------------------- */

static void object_summary_release(struct oci_object_summary *o)
{
	memset(o, 0, sizeof(*o));
}

/* One element; 0, or -EPROTO for an element to skip. */
static int object_summary_from(const cJSON *obj, struct oci_object_summary *o)
{
	char why[128];

	memset(o, 0, sizeof(*o));
	o->size = -1;
	if (!cJSON_IsObject(obj) ||
	    json_get_str(obj, "name", o->name, sizeof(o->name), JSON_REQUIRED,
			 why, sizeof(why)) ||
	    !o->name[0] ||
	    json_get_int64(obj, "size", &o->size, 0, INT64_MAX, JSON_OPTIONAL,
			   why, sizeof(why)) ||
	    json_get_time(obj, "timeCreated", o->time_created,
			  sizeof(o->time_created), JSON_OPTIONAL, why,
			  sizeof(why)))
		return -EPROTO;
	return 0;
}

int model_objects_append(const char *text, size_t len,
			 struct oci_object_list *list, char *next,
			 size_t next_n, size_t *skipped, char *why,
			 size_t why_n)
{
	const cJSON *objects, *it;
	cJSON *root = NULL;
	size_t count, bad = 0;
	void *nv;
	int ret;

	if (next_n)
		next[0] = '\0';
	if (why && why_n)
		why[0] = '\0';
	/* Tainted names are refused by json_get_str(): skipped below. */
	ret = json_parse_lax(text, len, MODEL_BODY_MAX, &root, NULL, why,
			     why_n);
	if (ret)
		goto out;
	ret = -EPROTO;
	if (!cJSON_IsObject(root)) {
		buf_fmt(why, why_n, "not a JSON object");
		goto out;
	}
	objects = cJSON_GetObjectItemCaseSensitive(root, "objects");
	if (!cJSON_IsArray(objects)) {
		buf_fmt(why, why_n, "objects: not an array");
		goto out;
	}
	if (json_get_str(root, "nextStartWith", next, next_n, JSON_OPTIONAL,
			 why, why_n))
		goto out;
	count = (size_t)cJSON_GetArraySize(objects);
	nv = list_grow(list->v, &list->alloc, list->n, count, sizeof(*list->v));
	if (!nv && count) {
		buf_fmt(why, why_n, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	if (nv)
		list->v = nv;
	cJSON_ArrayForEach(it, objects) {
		if (object_summary_from(it, &list->v[list->n]))
			bad++;
		else
			list->n++;
	}
	if (skipped)
		*skipped += bad;
	ret = 0;
out:
	json_free(root);
	return ret;
}

/* ---- namespace and errors ------------------------------------------ */

int model_namespace_decode(const char *text, size_t len, char *ns, size_t n,
			   char *why, size_t why_n)
{
	cJSON *root = NULL;
	const char *s;
	size_t i;
	int ret;

	if (n)
		ns[0] = '\0';
	ret = parse_body(text, len, &root, why, why_n);
	if (ret)
		goto out;
	ret = -EPROTO;
	if (!cJSON_IsString(root)) {
		buf_fmt(why, why_n, "namespace: not a JSON string");
		goto out;
	}
	s = root->valuestring;
	/* It becomes a URL path segment: keep to the characters OCI uses. */
	for (i = 0; s[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.",
			    s[i]))
			break;
	if (!i || s[i]) {
		buf_fmt(why, why_n, "namespace: not a namespace name");
		goto out;
	}
	if (i >= n) {
		buf_fmt(why, why_n,
			"namespace: too long (%zu bytes, at most %zu)", i,
			n ? n - 1 : 0);
		goto out;
	}
	memcpy(ns, s, i + 1);
	ret = 0;
out:
	json_free(root);
	return ret;
}

void model_error_decode(const char *text, size_t len, struct oci_error *e)
{
	cJSON *root = NULL;
	const cJSON *msg;
	char why[160];
	char code[OVFS_ERRCODE_MAX] = "";
	char *p;

	buf_copy(e->code, sizeof(e->code), "BadErrorResponse");
	e->message[0] = '\0';
	if (json_parse(text, len, MODEL_BODY_MAX, &root, why, sizeof(why)) ||
	    !cJSON_IsObject(root)) {
		snprintf(e->message, sizeof(e->message),
			 "the error response body is not a JSON object");
		goto out;
	}
	if (!json_get_str(root, "code", code, sizeof(code), JSON_REQUIRED, why,
			  sizeof(why)) &&
	    code[0])
		buf_copy(e->code, sizeof(e->code), code);
	msg = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (cJSON_IsString(msg) && msg->valuestring[0]) {
		copy_truncated(e->message, sizeof(e->message),
			       msg->valuestring);
		/* The message ends up on one log line. */
		for (p = e->message; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
	} else if (!code[0]) {
		snprintf(e->message, sizeof(e->message),
			 "the error response body has no code and message");
	}
out:
	json_free(root);
}

/* ---- backup locations ----------------------------------------------- */

#define DEST_BUCKET "BUCKET"
#define DEST_PAR "PRE_AUTHENTICATED_REQUEST_URI"

/* Overwrite every string of a tree that may hold a PAR URL before freeing. */
static void wipe_tree(cJSON *item)
{
	cJSON *c;

	for (c = item; c; c = c->next) {
		if (c->valuestring)
			buf_wipe(c->valuestring, strlen(c->valuestring));
		if (c->string)
			buf_wipe(c->string, strlen(c->string));
		wipe_tree(c->child);
	}
}

/* A required, non-empty string without control characters. */
static int get_nonempty(const cJSON *obj, const char *name, char *dst, size_t n,
			char *why, size_t why_n)
{
	int ret = json_get_str(obj, name, dst, n, JSON_REQUIRED, why, why_n);

	if (!ret && !dst[0]) {
		buf_fmt(why, why_n, "%s: empty", name);
		ret = -EPROTO;
	}
	return ret;
}

static int location_from(const cJSON *obj, struct oci_backup_location *out,
			 char *why, size_t why_n)
{
	char dest[OVFS_ENUM_MAX] = "";
	int ret;

	ret = json_get_str(obj, "destination", dest, sizeof(dest),
			   JSON_REQUIRED, why, why_n);
	if (ret)
		return ret;
	if (!strcmp(dest, DEST_BUCKET)) {
		out->dest = OCI_BACKUP_BUCKET;
		ret = get_nonempty(obj, "namespace", out->namespace_name,
				   sizeof(out->namespace_name), why, why_n);
		if (!ret)
			ret = get_nonempty(obj, "bucketName", out->bucket,
					   sizeof(out->bucket), why, why_n);
		if (!ret)
			ret = get_nonempty(obj, "objectName", out->object,
					   sizeof(out->object), why, why_n);
	} else if (!strcmp(dest, DEST_PAR)) {
		out->dest = OCI_BACKUP_PAR_URI;
		ret = get_nonempty(obj, "uri", out->uri, sizeof(out->uri), why,
				   why_n);
	} else {
		buf_fmt(why, why_n,
			"destination: must be \"" DEST_BUCKET
			"\" or \"" DEST_PAR "\"");
		ret = -EPROTO;
	}
	return ret;
}

int model_backup_location_decode(const char *text, size_t len,
				 struct oci_backup_location *out, char *why,
				 size_t why_n)
{
	return model_backup_details_decode(text, len, out, NULL, why, why_n);
}

int model_backup_details_decode(const char *text, size_t len,
				struct oci_backup_location *out,
				int *include_keys, char *why, size_t why_n)
{
	cJSON *root = NULL;
	const cJSON *obj, *inner;
	int ret;

	memset(out, 0, sizeof(*out));
	if (include_keys)
		*include_keys = -1;
	if (why && why_n)
		why[0] = '\0';
	ret = json_parse(text, len, MODEL_USER_MAX, &root, why, why_n);
	if (ret)
		goto out;
	obj = root;
	ret = -EPROTO;
	if (!cJSON_IsObject(obj)) {
		buf_fmt(why, why_n, "not a JSON object");
		goto out;
	}
	inner = cJSON_GetObjectItemCaseSensitive(obj, "backupLocation");
	if (inner && cJSON_GetObjectItemCaseSensitive(obj, "destination")) {
		buf_fmt(why, why_n,
			"both \"destination\" and \"backupLocation\": give "
			"a BackupLocation or a BackupKeyDetails object");
		goto out;
	}
	if (inner) {
		if (!cJSON_IsObject(inner)) {
			buf_fmt(why, why_n, "backupLocation: not an object");
			goto out;
		}
		obj = inner;
	}
	ret = location_from(obj, out, why, why_n);
	if (ret && inner)
		why_prefix(why, why_n, "backupLocation.");
	if (!ret && include_keys) {
		bool inc = false, present = false;

		/* BackupVaultDetails has it next to backupLocation; a bare
		 * BackupLocation may carry it as an extra member. */
		ret = json_get_bool(root, "isIncludeKeys", &inc, &present,
				    JSON_OPTIONAL, why, why_n);
		if (!ret && present)
			*include_keys = inc;
		if (!ret && inner &&
		    cJSON_GetObjectItemCaseSensitive(inner, "isIncludeKeys")) {
			buf_fmt(why, why_n,
				"isIncludeKeys belongs next to backupLocation, "
				"not inside it");
			ret = -EPROTO;
		}
	}
out:
	if (ret) {
		buf_wipe(out, sizeof(*out));
		memset(out, 0, sizeof(*out));
		if (ret != -ENOMEM)
			ret = -EINVAL;
	}
	if (root)
		wipe_tree(root);
	json_free(root);
	return ret;
}

/* The NUL-terminated length of a fixed array, or -1 if unterminated. */
static long field_len(const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);

	return nul ? (long)(nul - s) : -1;
}

int model_backup_details_encode(const struct oci_backup_location *loc,
				int include_keys, struct buf *out)
{
	cJSON *root = NULL, *bl;
	char *text = NULL;
	size_t cap = 0, tlen;
	long l1, l2, l3;
	int ret = -EINVAL;

	if (!loc)
		return -EINVAL;
	if (loc->dest == OCI_BACKUP_BUCKET) {
		l1 = field_len(loc->namespace_name,
			       sizeof(loc->namespace_name));
		l2 = field_len(loc->bucket, sizeof(loc->bucket));
		l3 = field_len(loc->object, sizeof(loc->object));
	} else if (loc->dest == OCI_BACKUP_PAR_URI) {
		l1 = field_len(loc->uri, sizeof(loc->uri));
		l2 = l3 = 1;
	} else {
		return -EINVAL;
	}
	if (l1 <= 0 || l2 <= 0 || l3 <= 0)
		return -EINVAL;

	ret = -ENOMEM;
	root = cJSON_CreateObject();
	bl = cJSON_AddObjectToObject(root, "backupLocation");
	if (!bl)
		goto out;
	if (loc->dest == OCI_BACKUP_BUCKET) {
		if (!cJSON_AddStringToObject(bl, "destination", DEST_BUCKET) ||
		    !cJSON_AddStringToObject(bl, "namespace",
					     loc->namespace_name) ||
		    !cJSON_AddStringToObject(bl, "bucketName", loc->bucket) ||
		    !cJSON_AddStringToObject(bl, "objectName", loc->object))
			goto out;
	} else {
		if (!cJSON_AddStringToObject(bl, "destination", DEST_PAR) ||
		    !cJSON_AddStringToObject(bl, "uri", loc->uri))
			goto out;
	}
	if (include_keys >= 0 &&
	    !cJSON_AddBoolToObject(root, "isIncludeKeys", include_keys != 0))
		goto out;

	/*
	 * Print into one buffer of our own, big enough for the worst escaping
	 * ("\u001f" is 6 bytes for 1), so that no realloc leaves copies of a
	 * PAR URL in freed memory.
	 */
	cap = 6 * (size_t)(l1 + l2 + l3) + 256;
	text = malloc(cap);
	if (!text)
		goto out;
	if (!cJSON_PrintPreallocated(root, text, (int)cap, 0)) {
		ret = -EMSGSIZE;
		goto out;
	}
	tlen = strlen(text);
	ret = buf_grow(out, tlen);
	if (!ret)
		ret = buf_add(out, text, tlen);
out:
	if (text) {
		buf_wipe(text, cap);
		free(text);
	}
	if (root)
		wipe_tree(root);
	cJSON_Delete(root);
	return ret;
}

/* ---- release and copy ------------------------------------------------ */

void model_tenancy_release(struct oci_tenancy *t)
{
	if (!t)
		return;
	free(t->json);
	memset(t, 0, sizeof(*t));
}

void model_compartment_release(struct oci_compartment *c)
{
	if (!c)
		return;
	free(c->json);
	memset(c, 0, sizeof(*c));
}

void model_vault_release(struct oci_vault *v)
{
	if (!v)
		return;
	free(v->json);
	memset(v, 0, sizeof(*v));
}

void model_key_release(struct oci_key *k)
{
	if (!k)
		return;
	free(k->json);
	memset(k, 0, sizeof(*k));
}

void model_key_version_release(struct oci_key_version *kv)
{
	if (!kv)
		return;
	free(kv->json);
	memset(kv, 0, sizeof(*kv));
}

void model_work_request_release(struct oci_work_request *wr)
{
	if (!wr)
		return;
	free(wr->json);
	memset(wr, 0, sizeof(*wr));
}

void model_bucket_release(struct oci_bucket *b)
{
	if (!b)
		return;
	free(b->json);
	memset(b, 0, sizeof(*b));
}

#define LIST_RELEASE(fn, ltype, elem_release)   \
	void fn(struct ltype *l)                \
	{                                       \
		size_t i;                       \
                                                \
		if (!l)                         \
			return;                 \
		for (i = 0; i < l->n; i++)      \
			elem_release(&l->v[i]); \
		free(l->v);                     \
		l->v = NULL;                    \
		l->n = 0;                       \
		l->alloc = 0;                   \
	}

LIST_RELEASE(oci_compartment_list_release, oci_compartment_list,
	     model_compartment_release)
LIST_RELEASE(oci_vault_list_release, oci_vault_list, model_vault_release)
LIST_RELEASE(oci_key_list_release, oci_key_list, model_key_release)
LIST_RELEASE(oci_key_version_list_release, oci_key_version_list,
	     model_key_version_release)
LIST_RELEASE(oci_work_request_list_release, oci_work_request_list,
	     model_work_request_release)
LIST_RELEASE(oci_wr_error_list_release, oci_wr_error_list, wr_error_release)
LIST_RELEASE(oci_bucket_list_release, oci_bucket_list, model_bucket_release)
LIST_RELEASE(oci_object_list_release, oci_object_list, object_summary_release)

/* Duplicate `src` into *dst; NULL stays NULL.  0 or -ENOMEM. */
static int dup_json(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int model_key_copy(struct oci_key *dst, const struct oci_key *src)
{
	*dst = *src;
	if (!dup_json(&dst->json, src->json))
		return 0;
	memset(dst, 0, sizeof(*dst));
	return -ENOMEM;
}

int model_vault_copy(struct oci_vault *dst, const struct oci_vault *src)
{
	*dst = *src;
	if (!dup_json(&dst->json, src->json))
		return 0;
	memset(dst, 0, sizeof(*dst));
	return -ENOMEM;
}

int model_compartment_copy(struct oci_compartment *dst,
			   const struct oci_compartment *src)
{
	*dst = *src;
	if (!dup_json(&dst->json, src->json))
		return 0;
	memset(dst, 0, sizeof(*dst));
	return -ENOMEM;
}
