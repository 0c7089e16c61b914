/* SPDX-License-Identifier: MIT */
/*
 * model: typed OCI resources, JSON decoders (docs/internals/OCI-API.md
 * §4; field names follow the Go and Python SDK models).
 *
 * Decoding rules, for every type:
 *  - the text must be strict JSON (json_parse(): UTF-8, no "\u0000", at
 *    most 64 levels deep, no trailing garbage, at most OVFS_RESPONSE_MAX
 *    bytes); with duplicate member names the first one wins;
 *  - required fields must be present with the right JSON type, optional
 *    ones may be absent or null;
 *  - strings are length-checked against the array they go into;
 *  - human text (displayName, name) is kept verbatim: any Unicode,
 *    including '/', spaces and control characters such as TAB (OCI does not
 *    forbid them); only NUL is impossible.  The filesystem maps names to
 *    file names (names.h).  Descriptions and error messages are the
 *    exception to the length rule: they are informative only and OCI counts
 *    their limits in characters, so they are cut at a UTF-8 character
 *    boundary to fit instead of failing (the full text stays in `json`);
 *  - machine strings (OCIDs, enums, times, endpoints, Object Storage names,
 *    etags, operationType, entityType, entityUri) may not contain control
 *    characters (below 0x20, or 0x7f);
 *  - OCIDs (id, compartmentId, vaultId, keyId, currentKeyVersion,
 *    wrappingkeyId, restoredFrom*Id, WorkRequestResource.identifier) must
 *    be valid OCIDs (json_is_ocid()); BucketSummary.createdBy may also be
 *    "" (the emulator sends that for buckets it made itself);
 *  - enum fields (lifecycleState, vaultType, protectionMode, status, ...)
 *    accept any value matching [A-Za-z0-9_-]{1,63}, known or not: unknown
 *    values are kept as strings, never a failure (the services add values
 *    over time);
 *  - times must be RFC 3339 date-times; kept verbatim;
 *  - managementEndpoint and cryptoEndpoint must be https origins,
 *    "https://host[:port]" with an optional trailing '/', nothing else (no
 *    http, userinfo, path, query or fragment): a hostile response must not
 *    send signed key operations elsewhere.  Kept verbatim;
 *  - keyShape.length is an integer in 1..65536 (bytes); percentComplete a
 *    number in 0..100;
 *  - unknown members are ignored;
 *  - the resource's JSON, pretty-printed, is kept in `json` (owned,
 *    malloc'd), for the filesystem's key.json / vault.json files.
 * The decoders overwrite `out` (they zero it first and do not release what
 * it held).  A failure returns -EPROTO (or -ENOMEM / -EMSGSIZE) with the
 * offending field in `why` ("keyShape.length: not a number"), and leaves
 * the output released.
 *
 * Lists are arrays of the element type with a count; *_list_release()
 * frees the elements' `json` and the array.  A zeroed list is empty.
 * One bad element must not hide its siblings: the list decoders parse
 * with json_parse_lax() and skip (and count in `skips`) every element
 * that is not an object, holds a bad string anywhere (NUL, unpaired
 * surrogate, invalid UTF-8, raw control character), or fails the rules
 * above (missing or wrongly typed field, overlong name, bad OCID, ...).
 * A body that is not JSON, or not of the expected shape, still fails.
 * Releasing twice, or releasing a zeroed struct, is safe; release
 * functions accept NULL.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ocivaultfs.h"

struct oci_error;

/* Known enum values used by the filesystem (others are kept as strings). */
#define KEY_STATE_ENABLED "ENABLED"
#define KEY_STATE_DISABLED "DISABLED"
#define KEY_STATE_DELETED "DELETED"
#define KEY_STATE_DELETING "DELETING"
#define KEY_STATE_PENDING_DELETION "PENDING_DELETION"
#define KEY_STATE_BACKUP_IN_PROGRESS "BACKUP_IN_PROGRESS"
#define KEY_STATE_RESTORING "RESTORING"
#define VAULT_TYPE_VIRTUAL_PRIVATE "VIRTUAL_PRIVATE"
#define VAULT_TYPE_DEFAULT "DEFAULT"
#define PROTECTION_HSM "HSM"
#define PROTECTION_SOFTWARE "SOFTWARE"
#define WR_STATUS_ACCEPTED "ACCEPTED"
#define WR_STATUS_IN_PROGRESS "IN_PROGRESS"
#define WR_STATUS_SUCCEEDED "SUCCEEDED"
#define WR_STATUS_FAILED "FAILED"
#define WR_STATUS_CANCELING "CANCELING"
#define WR_STATUS_CANCELED "CANCELED"

struct oci_tenancy {
	char id[OVFS_OCID_MAX];
	char name[OVFS_NAME_MAX];
	char description[OVFS_DESC_MAX];
	char home_region_key[16];
	char *json;
};

struct oci_compartment {
	char id[OVFS_OCID_MAX];
	char compartment_id[OVFS_OCID_MAX]; /* parent */
	char name[OVFS_NAME_MAX];
	char description[OVFS_DESC_MAX];
	char time_created[OVFS_TIME_MAX];
	char lifecycle_state[OVFS_ENUM_MAX];
	bool is_accessible; /* meaningful when has_is_accessible */
	bool has_is_accessible;
	char *json;
};

/* Vault and VaultSummary: summaries leave the Vault-only fields empty. */
struct oci_vault {
	char id[OVFS_OCID_MAX];
	char compartment_id[OVFS_OCID_MAX];
	char display_name[OVFS_NAME_MAX];
	char crypto_endpoint[OVFS_URL_MAX];
	char management_endpoint[OVFS_URL_MAX];
	char lifecycle_state[OVFS_ENUM_MAX];
	char vault_type[OVFS_ENUM_MAX];
	char time_created[OVFS_TIME_MAX];
	/* Vault only */
	char wrappingkey_id[OVFS_OCID_MAX];
	char time_of_deletion[OVFS_TIME_MAX];
	char restored_from_vault_id[OVFS_OCID_MAX];
	bool is_primary, has_is_primary;
	bool summary; /* decoded from a VaultSummary */
	char *json;
};

/* Key and KeySummary: summaries leave the Key-only fields empty. */
struct oci_key {
	char id[OVFS_OCID_MAX];
	char compartment_id[OVFS_OCID_MAX];
	char vault_id[OVFS_OCID_MAX];
	char display_name[OVFS_NAME_MAX];
	char lifecycle_state[OVFS_ENUM_MAX];
	char protection_mode[OVFS_ENUM_MAX]; /* "" when absent (means HSM) */
	char algorithm[OVFS_ENUM_MAX]; /* keyShape.algorithm or summary */
	char time_created[OVFS_TIME_MAX];
	/* Key only */
	char current_key_version[OVFS_OCID_MAX];
	int64_t length; /* keyShape.length, 0 when absent */
	char curve_id[OVFS_ENUM_MAX];
	char time_of_deletion[OVFS_TIME_MAX];
	char restored_from_key_id[OVFS_OCID_MAX];
	bool is_primary, has_is_primary;
	bool summary;
	char *json;
};

struct oci_key_version {
	char id[OVFS_OCID_MAX];
	char key_id[OVFS_OCID_MAX];
	char compartment_id[OVFS_OCID_MAX];
	char vault_id[OVFS_OCID_MAX];
	char origin[OVFS_ENUM_MAX];
	char time_created[OVFS_TIME_MAX];
	char lifecycle_state[OVFS_ENUM_MAX];
	char time_of_deletion[OVFS_TIME_MAX];
	char *json;
};

#define OCI_WR_RESOURCES_MAX 16

struct oci_wr_resource {
	char action_type[OVFS_ENUM_MAX];
	char entity_type[OVFS_ENUM_MAX];
	char identifier[OVFS_OCID_MAX];
	char entity_uri[OVFS_URL_MAX];
};

/* WorkRequest and WorkRequestSummary (no resources). */
struct oci_work_request {
	char id[OVFS_OCID_MAX];
	char operation_type[OVFS_ENUM_MAX];
	char status[OVFS_ENUM_MAX];
	char compartment_id[OVFS_OCID_MAX];
	double percent_complete; /* 0..100 */
	char time_accepted[OVFS_TIME_MAX];
	char time_started[OVFS_TIME_MAX];
	char time_finished[OVFS_TIME_MAX];
	struct oci_wr_resource resources[OCI_WR_RESOURCES_MAX];
	size_t nresources; /* extra resources beyond the max are ignored */
	char *json;
};

struct oci_wr_error {
	char code[OVFS_ERRCODE_MAX];
	char message[OVFS_ERRMSG_MAX];
	char timestamp[OVFS_TIME_MAX];
};

struct oci_bucket {
	char namespace_name[OVFS_NS_MAX];
	char name[OVFS_BUCKET_MAX];
	char compartment_id[OVFS_OCID_MAX];
	char created_by[OVFS_OCID_MAX];
	char time_created[OVFS_TIME_MAX];
	char etag[OVFS_ETAG_MAX];
	char *json;
};

/* One element of ListObjects' "objects" (fields name, size, timeCreated). */
struct oci_object_summary {
	char name[OVFS_OBJECT_MAX];
	int64_t size; /* -1 when absent */
	char time_created[OVFS_TIME_MAX]; /* "" when absent */
};

/* Where a backup goes (or a restore comes from): BackupLocation. */
enum oci_backup_dest {
	OCI_BACKUP_BUCKET,
	OCI_BACKUP_PAR_URI,
};

struct oci_backup_location {
	enum oci_backup_dest dest;
	char namespace_name[OVFS_NS_MAX]; /* BUCKET */
	char bucket[OVFS_BUCKET_MAX]; /* BUCKET */
	char object[OVFS_OBJECT_MAX]; /* BUCKET */
	char uri[OVFS_URL_MAX]; /* PAR URI: a secret, never logged */
};

/* Bad elements left out of a list (see "Lists" above). */
#define MODEL_SKIP_WHY_MAX 192
struct model_skips {
	size_t n; /* elements skipped so far */
	char why[MODEL_SKIP_WHY_MAX]; /* the first one: "[3].id: not an OCID" */
};

#define MODEL_LIST(name, type)            \
	struct name {                     \
		type *v;                  \
		size_t n;                 \
		size_t alloc;             \
		struct model_skips skips; \
	}

MODEL_LIST(oci_compartment_list, struct oci_compartment);
MODEL_LIST(oci_vault_list, struct oci_vault);
MODEL_LIST(oci_key_list, struct oci_key);
MODEL_LIST(oci_key_version_list, struct oci_key_version);
MODEL_LIST(oci_work_request_list, struct oci_work_request);
MODEL_LIST(oci_wr_error_list, struct oci_wr_error);
MODEL_LIST(oci_bucket_list, struct oci_bucket);
MODEL_LIST(oci_object_list, struct oci_object_summary);

/* Decode one object from JSON text (`len` bytes). */
int model_tenancy_decode(const char *text, size_t len, struct oci_tenancy *out,
			 char *why, size_t why_n);
int model_compartment_decode(const char *text, size_t len,
			     struct oci_compartment *out, char *why,
			     size_t why_n);
int model_vault_decode(const char *text, size_t len, struct oci_vault *out,
		       char *why, size_t why_n);
int model_key_decode(const char *text, size_t len, struct oci_key *out,
		     char *why, size_t why_n);
int model_work_request_decode(const char *text, size_t len,
			      struct oci_work_request *out, char *why,
			      size_t why_n);

/*
 * Decode a JSON array of summaries and APPEND its good elements to `list`
 * (so that pages accumulate); bad elements are counted in list->skips,
 * whose `why` names the first one's index within its page and the field:
 * "[3].lifecycleState: not a string", "[0]: not an object".  Fails
 * (-EPROTO, -EMSGSIZE, -ENOMEM; nothing appended, `why` says why) only
 * for a body that is not a JSON array, or out of memory.
 * Compartments, VaultSummary (summary = true), KeySummary (summary =
 * true, `algorithm` from the top level), KeyVersionSummary,
 * WorkRequestSummary (no resources), WorkRequestError, BucketSummary.
 */
int model_compartments_append(const char *text, size_t len,
			      struct oci_compartment_list *list, char *why,
			      size_t why_n);
int model_vaults_append(const char *text, size_t len,
			struct oci_vault_list *list, char *why, size_t why_n);
int model_keys_append(const char *text, size_t len, struct oci_key_list *list,
		      char *why, size_t why_n);
int model_key_versions_append(const char *text, size_t len,
			      struct oci_key_version_list *list, char *why,
			      size_t why_n);
int model_work_requests_append(const char *text, size_t len,
			       struct oci_work_request_list *list, char *why,
			       size_t why_n);
int model_wr_errors_append(const char *text, size_t len,
			   struct oci_wr_error_list *list, char *why,
			   size_t why_n);
int model_buckets_append(const char *text, size_t len,
			 struct oci_bucket_list *list, char *why, size_t why_n);

/*
 * One page of ListObjects: {"objects": [...], "nextStartWith": "..."}.
 * Appends the objects to `list`; `next` (size `next_n`) gets nextStartWith
 * or "" at the end.  An element that is not an object with a valid string
 * `name` is skipped (counted in *skipped when not NULL), not fatal: one bad
 * entry must not hide the others.  -EPROTO for a body of another shape or
 * a nextStartWith that does not fit, -ENOMEM.
 */
int model_objects_append(const char *text, size_t len,
			 struct oci_object_list *list, char *next,
			 size_t next_n, size_t *skipped, char *why,
			 size_t why_n);

/*
 * GetNamespace: the body is a JSON string, e.g. "axaxnpcrorw5".  It must be
 * 1..n-1 characters of [A-Za-z0-9_.-] (it goes into URL paths).
 */
int model_namespace_decode(const char *text, size_t len, char *ns, size_t n,
			   char *why, size_t why_n);

/*
 * An OCI error body {"code": "...", "message": "..."}: fills e->code and
 * e->message.  A body that is not such an object leaves code
 * "BadErrorResponse" and a message saying so (as the Go SDK does); never
 * fails.  A body with a message but no usable code keeps that message with
 * code "BadErrorResponse".  The message is cut to fit and its control
 * characters become spaces (it is logged on one line).  Touches only
 * e->code and e->message.
 */
void model_error_decode(const char *text, size_t len, struct oci_error *e);

/*
 * BackupLocation (polymorphic on "destination") from user JSON: accepts a
 * BackupLocation object or a BackupKeyDetails object {"backupLocation":
 * {...}}.  Validates presence and types only (names are checked by the
 * caller): the strings must be non-empty, fit their arrays and contain no
 * control characters; unknown members are ignored.  -EINVAL with a reason
 * in `why` for anything else (including invalid JSON and text over 64 KiB),
 * -ENOMEM.  `why` never quotes a value (the uri is a secret); the parse
 * tree's strings are wiped before they are freed, and `out` is wiped on
 * failure.
 */
int model_backup_location_decode(const char *text, size_t len,
				 struct oci_backup_location *out, char *why,
				 size_t why_n);
/*
 * The same, and the optional boolean "isIncludeKeys" (BackupVaultDetails:
 * next to "backupLocation"; or a member of a bare BackupLocation):
 * *include_keys is 1 or 0 when given, -1 when absent.  A non-boolean, or
 * the member inside "backupLocation", is -EINVAL.
 */
int model_backup_details_decode(const char *text, size_t len,
				struct oci_backup_location *out,
				int *include_keys, char *why, size_t why_n);

/*
 * Encode {"backupLocation": {...}} (BackupKeyDetails / RestoreKeyFrom-
 * ObjectStoreDetails), or with `include_keys` >= 0 also "isIncludeKeys"
 * (BackupVaultDetails).  Appends to `out` (compact JSON).  0, -EINVAL for
 * an unknown `dest` or an empty or unterminated required field, -ENOMEM,
 * -EMSGSIZE (from `out`).  Every temporary copy of the location is wiped;
 * `out` then holds the PAR URL, if any, and is the caller's to wipe.
 */
int model_backup_details_encode(const struct oci_backup_location *loc,
				int include_keys, struct buf *out);

void model_tenancy_release(struct oci_tenancy *t);
void model_compartment_release(struct oci_compartment *c);
void model_vault_release(struct oci_vault *v);
void model_key_release(struct oci_key *k);
void model_key_version_release(struct oci_key_version *kv);
void model_work_request_release(struct oci_work_request *wr);
void model_bucket_release(struct oci_bucket *b);

void oci_compartment_list_release(struct oci_compartment_list *l);
void oci_vault_list_release(struct oci_vault_list *l);
void oci_key_list_release(struct oci_key_list *l);
void oci_key_version_list_release(struct oci_key_version_list *l);
void oci_work_request_list_release(struct oci_work_request_list *l);
void oci_wr_error_list_release(struct oci_wr_error_list *l);
void oci_bucket_list_release(struct oci_bucket_list *l);
void oci_object_list_release(struct oci_object_list *l);

/*
 * Deep copies (the filesystem keeps its own).  `dst` is overwritten, not
 * released.  0, or -ENOMEM with `dst` zeroed.
 */
int model_key_copy(struct oci_key *dst, const struct oci_key *src);
int model_vault_copy(struct oci_vault *dst, const struct oci_vault *src);
int model_compartment_copy(struct oci_compartment *dst,
			   const struct oci_compartment *src);

#endif /* MODEL_H */
