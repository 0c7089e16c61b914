/* SPDX-License-Identifier: MIT */
/*
 * target: the grammar of what users write into a key's `backup` control
 * file (docs/ocivaultfs.md, "The backup control file"), and the object
 * name template.  Pure functions: no I/O, no API calls.
 *
 * A write holds one target; leading and trailing white space is ignored,
 * blank lines and lines starting with ';' or '#' (after white space) are ignored,
 * and so is a UTF-8 byte order mark at the start.  Forms:
 *   1. BUCKET                      namespace from GetNamespace (the caller
 *                                  fills it), object from the template
 *   2. BUCKET/OBJECT               OBJECT may contain '/'
 *   3. oci://BUCKET@NAMESPACE/OBJECT, or oci://BUCKET@NAMESPACE/ (template)
 *   4. https://HOST/p/TOKEN/n/NS/b/BUCKET/o/OBJECT  (object PAR), or a URL
 *      ending in "/o/" (bucket PAR: the templated object name is appended,
 *      percent-encoded).  HOST must be an Object Storage host of the
 *      configured realm (objectstorage.<region>.<domain>, or in oc1
 *      <ns>.objectstorage.<region>.oci.customer-oci.com) or the host[:port]
 *      of the `endpoint` override (the port must then match; 443 when
 *      none is given); a realm host takes no port but 443, and a
 *      dedicated host's namespace must be the path's.  http:// is
 *      refused; so are user info, query strings, fragments, a path with
 *      "." or ".." segments, and tokens other than [A-Za-z0-9._~-]+.
 *      The object part is percent-encoded (decoded to be validated).
 *   5. a JSON object: a BackupLocation ({"destination": "BUCKET",
 *      "namespace": ..., "bucketName": ..., "objectName": ...} or
 *      {"destination": "PRE_AUTHENTICATED_REQUEST_URI", "uri": ...}) or a
 *      BackupKeyDetails ({"backupLocation": {...}}), or a BackupVaultDetails
 *      ({"backupLocation": {...}, "isIncludeKeys": true|false}; a bare
 *      BackupLocation may carry "isIncludeKeys" too); a JSON target may
 *      span several lines.
 * Forms 1-4 may be preceded by the word "keys=yes" or "keys=no" and white
 * space (vault backups: include the vault's keys or not).  No valid
 * target starts so ('=' is not a bucket or scheme character), while any
 * trailing word could be part of an object name.
 * Names are validated before any call: namespace [A-Za-z0-9_-]{1,128};
 * bucket [A-Za-z0-9_.-]{1,256}, not "." or ".."; object 1..1024 bytes of
 * valid UTF-8 without control characters (C0, DEL, C1), no '/'-separated
 * segment "." or ".." (a path would resolve it into another object), not
 * starting with '/'.  docs/backup-targets.md has every rule and the
 * reasons a refusal gives.
 *
 * Template placeholders (the `backup_name` mount option):
 *   {key} key (display) name, {key_id} key OCID, {key_short} the last 12
 *   characters of the key OCID, {vault} vault name, {compartment}
 *   compartment name, {time} UTC time YYYYmmddTHHMMSSZ, {date} UTC date
 *   YYYYmmdd, {vault_id} vault OCID, {vault_short} its last 12
 *   characters, {{ and }} literal braces.
 * Default: "{time}-{key}-{key_short}.backup": unique per key, and names
 * sort by time, so the backups of one batch are neighbours in a listing.
 * target_check_template() (the mount-time check) also refuses a template
 * without {key_id} or {key_short}: display names are not unique.
 * In substituted values '/' and control characters become '_' (a NULL
 * value is empty).  A lone '{' or '}' and
 * unknown placeholders are errors.  The result must be a valid object
 * name.
 *
 * PAR URLs are secrets: `display` of a parsed target and every message in
 * `why` show them with the token replaced by three asterisks ("***").
 */
#ifndef TARGET_H
#define TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "region.h"

#define TARGET_DEFAULT_TEMPLATE "{time}-{key}-{key_short}.backup"
/* The default for vault backups: names never collide with a key's. */
#define TARGET_DEFAULT_VAULT_TEMPLATE \
	"{time}-vault-{vault}-{vault_short}.backup"
/* Longest write accepted by the backup control file. */
#define TARGET_MAX_INPUT 16384

enum target_kind {
	TARGET_BUCKET, /* form 1 */
	TARGET_BUCKET_OBJECT, /* form 2 */
	TARGET_OCI_URI, /* form 3 */
	TARGET_PAR, /* form 4 */
	TARGET_JSON, /* form 5 */
};

struct target_ctx {
	const struct region_info *region; /* the configured region */
	const char *endpoint_host; /* host[:port] of the override, or NULL */
	const char *name_template; /* NULL: TARGET_DEFAULT_TEMPLATE */
	const char *key_name;
	const char *key_id;
	const char *vault_name;
	const char *compartment_name;
	int64_t now; /* seconds since the epoch, for {time}/{date} */
	/* Vault backups: the vault's OCID ({vault_id}, {vault_short}); with
	 * `vault_backup` the key placeholders are errors and the default
	 * template is TARGET_DEFAULT_VAULT_TEMPLATE. */
	const char *vault_id;
	bool vault_backup;
};

struct target {
	enum target_kind kind;
	/* Ready for BackupKey, except that loc.namespace_name is empty when
	 * needs_namespace is set (form 1 and 2): the caller fills it. */
	struct oci_backup_location loc;
	bool needs_namespace;
	/* What status files show: forms 1-3 as written ("backups",
	 * "backups/obj", "oci://b@ns/"), a JSON bucket target as
	 * "ns/bucket/obj", a PAR URL (as sent: with a bucket PAR's appended
	 * object) whose token is replaced by three asterisks. */
	char display[OVFS_URL_MAX];
	/* Where the object goes, for every form: a PAR's namespace, bucket
	 * and (decoded) object from its path; a bucket target's loc fields
	 * (ns "" until the caller fills loc.namespace_name).  `templated`
	 * when the object name came from the name template (form 1, form 3
	 * without object, a bucket PAR). */
	char ns[OVFS_NS_MAX];
	char bucket[OVFS_BUCKET_MAX];
	char object[OVFS_OBJECT_MAX];
	bool templated;
	/* Vault backups: 1 or 0 from JSON "isIncludeKeys" or the leading
	 * word "keys=yes" / "keys=no" (forms 1-4); -1 when not given (the
	 * caller's default).  The grammar accepts it for any target; a key's
	 * backup refuses it. */
	int include_keys;
};

/*
 * Find the target in the bytes written to a control file: skips blank and
 * '#' lines, trims white space; a JSON target ('{' first) extends to the
 * end of the input.  Sets *start and *len to the target text within `data`.
 * Returns 0; -ENODATA when there is no target (only comments or blanks);
 * -EINVAL with a reason when there are two or more target lines.
 */
int target_extract(const char *data, size_t n, size_t *start, size_t *len,
		   char *why, size_t why_n);

/*
 * True when the data holds the start of a JSON target whose outermost
 * object is not closed yet (a JSON target written one line per write:
 * the control file acts on it once it is complete, or at close).
 */
bool target_incomplete(const char *data, size_t n);

/*
 * Parse one target (as found by target_extract; white space around it is
 * ignored).  0, -ENOMEM, or -EINVAL with the reason in `why`; on failure
 * `out` is zeroed.  Neither `why` nor `display` ever holds a PAR token.
 */
int target_parse(const char *text, size_t len, const struct target_ctx *ctx,
		 struct target *out, char *why, size_t why_n);

/*
 * Expand the object name template (NULL: ctx->name_template, then the
 * default). 0, -EINVAL (bad template or result, or `out` too small).
 */
int target_expand_name(const char *tmpl, const struct target_ctx *ctx,
		       char *out, size_t n);

/* Validate a template once (at mount time) with sample values. */
int target_check_template(const char *tmpl, char *why, size_t why_n);
/* The same for the vault backup template: no key placeholders, and
 * {vault_id} or {vault_short} required. */
int target_check_vault_template(const char *tmpl, char *why, size_t why_n);

bool target_valid_namespace(const char *s);
bool target_valid_bucket(const char *s);
bool target_valid_object(const char *s);

/*
 * Copy `url` into `out` with a PAR token ("/p/<token>/") replaced by
 * three asterisks.  Other URLs are copied unchanged.  Always
 * NUL-terminates.
 */
void target_redact_url(const char *url, char *out, size_t n);

/*
 * Redact, in place, every PAR token ("/p/<token>") in free text such as an
 * error message from the service, which might quote a PAR URL.
 */
void target_redact_text(char *s);

#endif /* TARGET_H */
