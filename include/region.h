/* SPDX-License-Identifier: MIT */
/*
 * region: regions, realms and service endpoints (docs/internals/OCI-API.md).
 *
 * A region is given as an identifier ("us-ashburn-1") or a short code
 * ("iad"), both case-insensitive; names are letters, digits and inner
 * single '-', start with a letter, at most 63 characters (they become DNS
 * labels).  Known regions (the table in region.c, OCI-API.md §10) map to
 * their realm and second-level domain; an unknown name is used as the
 * identifier (lower-cased) with $OCI_DEFAULT_REALM when set -- a realm key
 * such as "oc19", or a domain such as "oraclecloud.eu" (realm then the
 * table's realm of that domain, or "") -- else oc1 / oraclecloud.com, as
 * the SDKs do.
 *
 * Service endpoints (no trailing slash):
 *   identity        https://identity.{region}.oci.{domain}
 *   kms             https://kms.{region}.{domain}
 *   objectstorage   https://objectstorage.{region}.{domain}
 *   workrequests    https://iaas.{region}.{domain}
 * Key operations go to a vault's managementEndpoint instead, verbatim.
 * An override base URL replaces all four (emulator, private endpoints).
 */
#ifndef REGION_H
#define REGION_H

#include <stdbool.h>
#include <stddef.h>

enum region_service {
	REGION_SVC_IDENTITY,
	REGION_SVC_KMS,
	REGION_SVC_OBJECTSTORAGE,
	REGION_SVC_WORKREQUESTS,
};

struct region_info {
	char id[64]; /* "us-ashburn-1" */
	char code[8]; /* "iad", "" if unknown */
	char realm[8]; /* "oc1" */
	char domain[64]; /* "oraclecloud.com" */
	bool known; /* false when the fallback was used */
};

/* Resolve an identifier or short code. 0, or -EINVAL for a malformed name. */
int region_resolve(const char *name, struct region_info *out);

/*
 * The base URL of `svc` into `out`; when `override` is not NULL/empty it is
 * used instead (trailing '/' removed).  0 or -ENAMETOOLONG (`out` is then
 * ""), -EINVAL for an override of only '/', an unresolved `r` or an
 * unknown service.
 */
int region_endpoint(const struct region_info *r, enum region_service svc,
		    const char *override, char *out, size_t n);

/*
 * True when `host` (without port; compared case-insensitively) is an Object
 * Storage host of region `r`: objectstorage.{region}.{domain} or, in oc1,
 * {namespace}.objectstorage.{region}.oci.customer-oci.com where {namespace}
 * is one non-empty label of [A-Za-z0-9_-].
 */
bool region_is_objectstorage_host(const struct region_info *r,
				  const char *host);

#endif /* REGION_H */
