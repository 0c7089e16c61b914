/* SPDX-License-Identifier: MIT */
/* Unit tests for model.c: every decoder with valid and hostile JSON. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "model.h"
#include "oci_error.h"
#include "tap.h"

#define TEN \
	"ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq"
#define COMP \
	"ocid1.compartment.oc1..aaaaaaaayjq3o7m2hrdd3uqkrkcxq5ehqc2snnkzhlrawjtxl5ynfnq3dkxa"
#define VAULT \
	"ocid1.vault.oc1.iad.bbpgrv2paacuu.abuwcljrjbyq3nvwbrmfczebhyzy7s4mnqtmbyjfbh2ep6pxrqbhbkwqcyba"
#define KEY \
	"ocid1.key.oc1.iad.bbpgrv2paacuu.abuwcljsduqawhp6eqdpr2sagxxvaayvqqthl6lfsbjkbhiqfcgpxz3ub6ya"
#define KEYVER \
	"ocid1.keyversion.oc1.iad.bbpgrv2paacuu.a5yuwy7b2bgaaaa6xvh4jybtl6iqtjpn6ysovuxwtfruhlvgvkh7ysbdlfma"
#define WRAPKEY \
	"ocid1.key.oc1.iad.bbpgrv2paacuu.abuwcljtmvxp4r3kmpqsycs7a4ci3t7qi3cfp3vjvnxqryl3xt4trb3c5bxq"
#define WRID \
	"ocid1.kmsworkrequest.oc1.iad.bbpgrv2paacuu.abuwcljw4o5ocyiqmkbytu6dnpbnc4lgj4oqq7l7dcwn6ojpagb66qhwajya"
#define USER \
	"ocid1.user.oc1..aaaaaaaa3pzjsrgrfpqdkyotxmuxrrbp5mnqosfzyxvfdsrflcbn3yxfqwsa"
#define MGMT "https://bbpgrv2paacuu-management.kms.us-ashburn-1.oraclecloud.com"
#define CRYPTO "https://bbpgrv2paacuu-crypto.kms.us-ashburn-1.oraclecloud.com"
#define Q(s) "\"" s "\""
#define FIVE_MB (5u * 1024 * 1024)

static char why[512];

/* ---- a small harness over all decoders ------------------------------ */

enum kind {
	K_TENANCY,
	K_COMPARTMENT,
	K_COMPARTMENTS,
	K_VAULT,
	K_VAULTS,
	K_KEY,
	K_KEYS,
	K_KEY_VERSIONS,
	K_WORK_REQUEST,
	K_WORK_REQUESTS,
	K_WR_ERRORS,
	K_BUCKETS,
};

union any {
	struct oci_tenancy t;
	struct oci_compartment c;
	struct oci_vault v;
	struct oci_key k;
	struct oci_key_version kv;
	struct oci_work_request wr;
	struct oci_wr_error we;
	struct oci_bucket b;
};

static bool is_list(enum kind k)
{
	return k == K_COMPARTMENTS || k == K_VAULTS || k == K_KEYS ||
	       k == K_KEY_VERSIONS || k == K_WORK_REQUESTS ||
	       k == K_WR_ERRORS || k == K_BUCKETS;
}

/* Append one page to the list of kind `k` stored in `l`. */
struct lists {
	struct oci_compartment_list c;
	struct oci_vault_list v;
	struct oci_key_list k;
	struct oci_key_version_list kv;
	struct oci_work_request_list wr;
	struct oci_wr_error_list we;
	struct oci_bucket_list b;
};

static int append(enum kind k, const char *text, size_t len, struct lists *l)
{
	switch (k) {
	case K_COMPARTMENTS:
		return model_compartments_append(text, len, &l->c, why,
						 sizeof(why));
	case K_VAULTS:
		return model_vaults_append(text, len, &l->v, why, sizeof(why));
	case K_KEYS:
		return model_keys_append(text, len, &l->k, why, sizeof(why));
	case K_KEY_VERSIONS:
		return model_key_versions_append(text, len, &l->kv, why,
						 sizeof(why));
	case K_WORK_REQUESTS:
		return model_work_requests_append(text, len, &l->wr, why,
						  sizeof(why));
	case K_WR_ERRORS:
		return model_wr_errors_append(text, len, &l->we, why,
					      sizeof(why));
	case K_BUCKETS:
		return model_buckets_append(text, len, &l->b, why, sizeof(why));
	default:
		return -1000;
	}
}

static size_t list_count(enum kind k, const struct lists *l)
{
	switch (k) {
	case K_COMPARTMENTS:
		return l->c.n;
	case K_VAULTS:
		return l->v.n;
	case K_KEYS:
		return l->k.n;
	case K_KEY_VERSIONS:
		return l->kv.n;
	case K_WORK_REQUESTS:
		return l->wr.n;
	case K_WR_ERRORS:
		return l->we.n;
	case K_BUCKETS:
		return l->b.n;
	default:
		return 0;
	}
}

static const struct model_skips *list_skips(enum kind k, const struct lists *l)
{
	switch (k) {
	case K_COMPARTMENTS:
		return &l->c.skips;
	case K_VAULTS:
		return &l->v.skips;
	case K_KEYS:
		return &l->k.skips;
	case K_KEY_VERSIONS:
		return &l->kv.skips;
	case K_WORK_REQUESTS:
		return &l->wr.skips;
	case K_WR_ERRORS:
		return &l->we.skips;
	default:
		return &l->b.skips;
	}
}

static void lists_release(struct lists *l)
{
	oci_compartment_list_release(&l->c);
	oci_vault_list_release(&l->v);
	oci_key_list_release(&l->k);
	oci_key_version_list_release(&l->kv);
	oci_work_request_list_release(&l->wr);
	oci_wr_error_list_release(&l->we);
	oci_bucket_list_release(&l->b);
}

/* Move element `i` of the list into `out` (the list keeps a husk). */
static void take(enum kind k, struct lists *l, size_t i, union any *out)
{
	switch (k) {
	case K_COMPARTMENTS:
		out->c = l->c.v[i];
		l->c.v[i].json = NULL;
		break;
	case K_VAULTS:
		out->v = l->v.v[i];
		l->v.v[i].json = NULL;
		break;
	case K_KEYS:
		out->k = l->k.v[i];
		l->k.v[i].json = NULL;
		break;
	case K_KEY_VERSIONS:
		out->kv = l->kv.v[i];
		l->kv.v[i].json = NULL;
		break;
	case K_WORK_REQUESTS:
		out->wr = l->wr.v[i];
		l->wr.v[i].json = NULL;
		break;
	case K_WR_ERRORS:
		out->we = l->we.v[i];
		break;
	case K_BUCKETS:
		out->b = l->b.v[i];
		l->b.v[i].json = NULL;
		break;
	default:
		break;
	}
}

static void release_any(enum kind k, union any *u)
{
	switch (k) {
	case K_TENANCY:
		model_tenancy_release(&u->t);
		break;
	case K_COMPARTMENT:
	case K_COMPARTMENTS:
		model_compartment_release(&u->c);
		break;
	case K_VAULT:
	case K_VAULTS:
		model_vault_release(&u->v);
		break;
	case K_KEY:
	case K_KEYS:
		model_key_release(&u->k);
		break;
	case K_KEY_VERSIONS:
		model_key_version_release(&u->kv);
		break;
	case K_WORK_REQUEST:
	case K_WORK_REQUESTS:
		model_work_request_release(&u->wr);
		break;
	case K_WR_ERRORS:
		memset(&u->we, 0, sizeof(u->we));
		break;
	case K_BUCKETS:
		model_bucket_release(&u->b);
		break;
	}
}

static const char *json_of(enum kind k, const union any *u)
{
	switch (k) {
	case K_TENANCY:
		return u->t.json;
	case K_COMPARTMENT:
	case K_COMPARTMENTS:
		return u->c.json;
	case K_VAULT:
	case K_VAULTS:
		return u->v.json;
	case K_KEY:
	case K_KEYS:
		return u->k.json;
	case K_KEY_VERSIONS:
		return u->kv.json;
	case K_WORK_REQUEST:
	case K_WORK_REQUESTS:
		return u->wr.json;
	case K_BUCKETS:
		return u->b.json;
	default:
		return NULL;
	}
}

/* True when every byte of `u` is zero (a released or failed output). */
static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return false;
	return true;
}

static size_t any_size(enum kind k)
{
	switch (k) {
	case K_TENANCY:
		return sizeof(struct oci_tenancy);
	case K_COMPARTMENT:
	case K_COMPARTMENTS:
		return sizeof(struct oci_compartment);
	case K_VAULT:
	case K_VAULTS:
		return sizeof(struct oci_vault);
	case K_KEY:
	case K_KEYS:
		return sizeof(struct oci_key);
	case K_KEY_VERSIONS:
		return sizeof(struct oci_key_version);
	case K_WORK_REQUEST:
	case K_WORK_REQUESTS:
		return sizeof(struct oci_work_request);
	case K_WR_ERRORS:
		return sizeof(struct oci_wr_error);
	case K_BUCKETS:
		return sizeof(struct oci_bucket);
	}
	return 0;
}

static union any scratch;

/*
 * Decode one object of kind `k` from `text` into `out`: directly for the
 * single-object decoders, as a one-element page for the list decoders.
 * -1001 flags a harness-level surprise (wrong count, output not released).
 */
static int decode(enum kind k, const char *text, size_t len, union any *out)
{
	struct lists l;
	char *page;
	int ret;

	why[0] = '\0';
	if (!is_list(k)) {
		/* Garbage in `out`: the decoders must overwrite, not free it. */
		memset(out, 0x5a, sizeof(*out));
		switch (k) {
		case K_TENANCY:
			ret = model_tenancy_decode(text, len, &out->t, why,
						   sizeof(why));
			break;
		case K_COMPARTMENT:
			ret = model_compartment_decode(text, len, &out->c, why,
						       sizeof(why));
			break;
		case K_VAULT:
			ret = model_vault_decode(text, len, &out->v, why,
						 sizeof(why));
			break;
		case K_KEY:
			ret = model_key_decode(text, len, &out->k, why,
					       sizeof(why));
			break;
		default:
			ret = model_work_request_decode(text, len, &out->wr,
							why, sizeof(why));
			break;
		}
		if (ret && !all_zero(out, any_size(k)))
			ret = -1001;
		return ret;
	}
	memset(&l, 0, sizeof(l));
	memset(out, 0, sizeof(*out));
	page = malloc(len + 3);
	if (!page)
		return -ENOMEM;
	page[0] = '[';
	memcpy(page + 1, text, len);
	page[len + 1] = ']';
	page[len + 2] = '\0';
	ret = append(k, page, len + 2, &l);
	free(page);
	/*
	 * A bad element is skipped, not fatal to the page: seen here as the
	 * -EPROTO a single-object decoder gives, with the element's reason
	 * ("[0].id: not an OCID") as `why`.
	 */
	if (!ret && !list_count(k, &l) && list_skips(k, &l)->n == 1) {
		buf_copy(why, sizeof(why), list_skips(k, &l)->why);
		ret = -EPROTO;
	} else if (!ret && list_skips(k, &l)->n) {
		ret = -1001;
	}
	if (!ret && list_count(k, &l) != 1)
		ret = -1001;
	if (ret && list_count(k, &l))
		ret = -1001;
	if (!ret)
		take(k, &l, 0, out);
	lists_release(&l);
	return ret;
}

/* The string member for JSON field `name`, or NULL. */
static const char *field(enum kind k, const union any *u, const char *name)
{
	static const struct {
		enum kind k;
		const char *name;
		size_t off;
	} map[] = {
#define M(kind, n, type, member) {kind, n, offsetof(type, member)}
		M(K_TENANCY, "id", struct oci_tenancy, id),
		M(K_TENANCY, "name", struct oci_tenancy, name),
		M(K_TENANCY, "description", struct oci_tenancy, description),
		M(K_TENANCY, "homeRegionKey", struct oci_tenancy,
		  home_region_key),
		M(K_COMPARTMENT, "id", struct oci_compartment, id),
		M(K_COMPARTMENT, "compartmentId", struct oci_compartment,
		  compartment_id),
		M(K_COMPARTMENT, "name", struct oci_compartment, name),
		M(K_COMPARTMENT, "description", struct oci_compartment,
		  description),
		M(K_COMPARTMENT, "timeCreated", struct oci_compartment,
		  time_created),
		M(K_COMPARTMENT, "lifecycleState", struct oci_compartment,
		  lifecycle_state),
		M(K_VAULT, "id", struct oci_vault, id),
		M(K_VAULT, "compartmentId", struct oci_vault, compartment_id),
		M(K_VAULT, "displayName", struct oci_vault, display_name),
		M(K_VAULT, "cryptoEndpoint", struct oci_vault, crypto_endpoint),
		M(K_VAULT, "managementEndpoint", struct oci_vault,
		  management_endpoint),
		M(K_VAULT, "lifecycleState", struct oci_vault, lifecycle_state),
		M(K_VAULT, "vaultType", struct oci_vault, vault_type),
		M(K_VAULT, "timeCreated", struct oci_vault, time_created),
		M(K_VAULT, "wrappingkeyId", struct oci_vault, wrappingkey_id),
		M(K_VAULT, "timeOfDeletion", struct oci_vault,
		  time_of_deletion),
		M(K_VAULT, "restoredFromVaultId", struct oci_vault,
		  restored_from_vault_id),
		M(K_KEY, "id", struct oci_key, id),
		M(K_KEY, "compartmentId", struct oci_key, compartment_id),
		M(K_KEY, "vaultId", struct oci_key, vault_id),
		M(K_KEY, "displayName", struct oci_key, display_name),
		M(K_KEY, "lifecycleState", struct oci_key, lifecycle_state),
		M(K_KEY, "protectionMode", struct oci_key, protection_mode),
		M(K_KEY, "algorithm", struct oci_key, algorithm),
		M(K_KEY, "timeCreated", struct oci_key, time_created),
		M(K_KEY, "currentKeyVersion", struct oci_key,
		  current_key_version),
		M(K_KEY, "timeOfDeletion", struct oci_key, time_of_deletion),
		M(K_KEY, "restoredFromKeyId", struct oci_key,
		  restored_from_key_id),
		M(K_KEY_VERSIONS, "id", struct oci_key_version, id),
		M(K_KEY_VERSIONS, "keyId", struct oci_key_version, key_id),
		M(K_KEY_VERSIONS, "compartmentId", struct oci_key_version,
		  compartment_id),
		M(K_KEY_VERSIONS, "vaultId", struct oci_key_version, vault_id),
		M(K_KEY_VERSIONS, "origin", struct oci_key_version, origin),
		M(K_KEY_VERSIONS, "timeCreated", struct oci_key_version,
		  time_created),
		M(K_KEY_VERSIONS, "lifecycleState", struct oci_key_version,
		  lifecycle_state),
		M(K_KEY_VERSIONS, "timeOfDeletion", struct oci_key_version,
		  time_of_deletion),
		M(K_WORK_REQUEST, "id", struct oci_work_request, id),
		M(K_WORK_REQUEST, "operationType", struct oci_work_request,
		  operation_type),
		M(K_WORK_REQUEST, "status", struct oci_work_request, status),
		M(K_WORK_REQUEST, "compartmentId", struct oci_work_request,
		  compartment_id),
		M(K_WORK_REQUEST, "timeAccepted", struct oci_work_request,
		  time_accepted),
		M(K_WORK_REQUEST, "timeStarted", struct oci_work_request,
		  time_started),
		M(K_WORK_REQUEST, "timeFinished", struct oci_work_request,
		  time_finished),
		M(K_WR_ERRORS, "code", struct oci_wr_error, code),
		M(K_WR_ERRORS, "message", struct oci_wr_error, message),
		M(K_WR_ERRORS, "timestamp", struct oci_wr_error, timestamp),
		M(K_BUCKETS, "namespace", struct oci_bucket, namespace_name),
		M(K_BUCKETS, "name", struct oci_bucket, name),
		M(K_BUCKETS, "compartmentId", struct oci_bucket,
		  compartment_id),
		M(K_BUCKETS, "createdBy", struct oci_bucket, created_by),
		M(K_BUCKETS, "timeCreated", struct oci_bucket, time_created),
		M(K_BUCKETS, "etag", struct oci_bucket, etag),
#undef M
	};
	enum kind base = k;
	size_t i;

	if (k == K_COMPARTMENTS)
		base = K_COMPARTMENT;
	else if (k == K_VAULTS)
		base = K_VAULT;
	else if (k == K_KEYS)
		base = K_KEY;
	else if (k == K_WORK_REQUESTS)
		base = K_WORK_REQUEST;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].k == base && !strcmp(map[i].name, name))
			return (const char *)u + map[i].off;
	return NULL;
}

/* ---- specs: one realistic example per type, field by field --------- */

/*
 * Field types: o OCID, O OCID or "", t text, d truncated text, e enum,
 * s machine string, T time, u endpoint, b bool, n keyShape-like integer,
 * p percentage, k keyShape object, r resources array, x not checked.
 */
struct fld {
	const char *name;
	const char *value; /* raw JSON */
	char type;
	bool req;
	size_t size; /* array size for strings */
};

struct spec {
	const char *title;
	enum kind kind;
	const struct fld *f;
	size_t nf;
};

#define NAME_SZ OVFS_NAME_MAX
#define OCID_SZ OVFS_OCID_MAX
#define ENUM_SZ OVFS_ENUM_MAX
#define TIME_SZ OVFS_TIME_MAX
#define URL_SZ OVFS_URL_MAX

static const struct fld tenancy_f[] = {
	{"id", Q(TEN), 'o', false, OCID_SZ},
	{"name", Q("acme-corp"), 't', false, NAME_SZ},
	{"description", Q("ACME Corporation production tenancy"), 'd', false,
	 OVFS_DESC_MAX},
	{"homeRegionKey", Q("IAD"), 'e', false, 16},
	{"upiIdcsCompatibilityLayerEndpoint", "null", 'x', false, 0},
	{"freeformTags", "{\"CostCenter\": \"42\"}", 'x', false, 0},
	{"definedTags", "{\"Operations\": {\"Owner\": \"ops\"}}", 'x', false,
	 0},
};

static const struct fld compartment_f[] = {
	{"compartmentId", Q(TEN), 'o', true, OCID_SZ},
	{"definedTags", "{}", 'x', false, 0},
	{"description", Q("Security team: vaults and keys"), 'd', true,
	 OVFS_DESC_MAX},
	{"freeformTags", "{}", 'x', false, 0},
	{"id", Q(COMP), 'o', true, OCID_SZ},
	{"inactiveStatus", "null", 'x', false, 0},
	{"isAccessible", "true", 'b', false, 0},
	{"lifecycleState", Q("ACTIVE"), 'e', true, ENUM_SZ},
	{"name", Q("security"), 't', true, NAME_SZ},
	{"timeCreated", Q("2019-03-07T21:25:45.431Z"), 'T', true, TIME_SZ},
};

static const struct fld vault_summary_f[] = {
	{"compartmentId", Q(COMP), 'o', true, OCID_SZ},
	{"cryptoEndpoint", Q(CRYPTO), 'u', true, URL_SZ},
	{"definedTags", "{\"Operations\": {\"CostCenter\": \"42\"}}", 'x',
	 false, 0},
	{"displayName", Q("prod vault / eu"), 't', true, NAME_SZ},
	{"freeformTags", "{\"Department\": \"Finance\"}", 'x', false, 0},
	{"id", Q(VAULT), 'o', true, OCID_SZ},
	{"lifecycleState", Q("ACTIVE"), 'e', true, ENUM_SZ},
	{"managementEndpoint", Q(MGMT), 'u', true, URL_SZ},
	{"timeCreated", Q("2018-04-03T21:10:29.600Z"), 'T', true, TIME_SZ},
	{"vaultType", Q("VIRTUAL_PRIVATE"), 'e', true, ENUM_SZ},
};

static const struct fld vault_f[] = {
	{"compartmentId", Q(COMP), 'o', true, OCID_SZ},
	{"cryptoEndpoint", Q(CRYPTO), 'u', true, URL_SZ},
	{"definedTags", "{\"Operations\": {\"CostCenter\": \"42\"}}", 'x',
	 false, 0},
	{"displayName", Q("prod vault / eu"), 't', true, NAME_SZ},
	{"freeformTags", "{\"Department\": \"Finance\"}", 'x', false, 0},
	{"id", Q(VAULT), 'o', true, OCID_SZ},
	{"isPrimary", "true", 'b', false, 0},
	{"isVaultReplicable", "true", 'x', false, 0},
	{"lifecycleState", Q("ACTIVE"), 'e', true, ENUM_SZ},
	{"managementEndpoint", Q(MGMT), 'u', true, URL_SZ},
	{"replicaDetails", "null", 'x', false, 0},
	{"restoredFromVaultId", Q(VAULT), 'o', false, OCID_SZ},
	{"timeCreated", Q("2018-04-03T21:10:29.600Z"), 'T', true, TIME_SZ},
	{"timeOfDeletion", Q("2019-04-03T21:10:29.600Z"), 'T', false, TIME_SZ},
	{"vaultType", Q("VIRTUAL_PRIVATE"), 'e', true, ENUM_SZ},
	{"wrappingkeyId", Q(WRAPKEY), 'o', true, OCID_SZ},
};

static const struct fld key_f[] = {
	{"compartmentId", Q(COMP), 'o', true, OCID_SZ},
	{"currentKeyVersion", Q(KEYVER), 'o', true, OCID_SZ},
	{"definedTags", "{\"Operations\": {\"CostCenter\": \"42\"}}", 'x',
	 false, 0},
	{"displayName", Q("payments-master-key"), 't', true, NAME_SZ},
	{"freeformTags", "{\"Department\": \"Finance\"}", 'x', false, 0},
	{"id", Q(KEY), 'o', true, OCID_SZ},
	{"isAutoRotationEnabled", "false", 'x', false, 0},
	{"isPrimary", "true", 'b', false, 0},
	{"keyShape",
	 "{\"algorithm\": \"ECDSA\", \"length\": 48, \"curveId\": "
	 "\"NIST_P384\"}",
	 'k', true, 0},
	{"lifecycleState", Q("ENABLED"), 'e', true, ENUM_SZ},
	{"protectionMode", Q("HSM"), 'e', false, ENUM_SZ},
	{"replicaDetails", "{\"replicationId\": \"abc\"}", 'x', false, 0},
	{"restoredFromKeyId", Q(KEY), 'o', false, OCID_SZ},
	{"timeCreated", Q("2018-04-03T21:10:29.600Z"), 'T', true, TIME_SZ},
	{"timeOfDeletion", Q("2019-04-03T21:10:29.600Z"), 'T', false, TIME_SZ},
	{"vaultId", Q(VAULT), 'o', true, OCID_SZ},
};

static const struct fld key_summary_f[] = {
	{"algorithm", Q("AES"), 'e', false, ENUM_SZ},
	{"compartmentId", Q(COMP), 'o', true, OCID_SZ},
	{"definedTags", "{}", 'x', false, 0},
	{"displayName", Q("payments-master-key"), 't', true, NAME_SZ},
	{"freeformTags", "{}", 'x', false, 0},
	{"id", Q(KEY), 'o', true, OCID_SZ},
	{"isAutoRotationEnabled", "false", 'x', false, 0},
	{"lifecycleState", Q("ENABLED"), 'e', true, ENUM_SZ},
	{"protectionMode", Q("SOFTWARE"), 'e', false, ENUM_SZ},
	{"timeCreated", Q("2018-04-03T21:10:29.600Z"), 'T', true, TIME_SZ},
	{"vaultId", Q(VAULT), 'o', true, OCID_SZ},
};

static const struct fld key_version_f[] = {
	{"compartmentId", Q(COMP), 'o', true, OCID_SZ},
	{"id", Q(KEYVER), 'o', true, OCID_SZ},
	{"isAutoRotated", "false", 'x', false, 0},
	{"keyId", Q(KEY), 'o', true, OCID_SZ},
	{"lifecycleState", Q("ENABLED"), 'e', false, ENUM_SZ},
	{"origin", Q("INTERNAL"), 'e', true, ENUM_SZ},
	{"timeCreated", Q("2018-04-03T21:10:29.600Z"), 'T', true, TIME_SZ},
	{"timeOfDeletion", Q("2019-04-03T21:10:29.600Z"), 'T', false, TIME_SZ},
	{"vaultId", Q(VAULT), 'o', true, OCID_SZ},
};

#define WR_RESOURCES                                                        \
	"[{\"actionType\": \"IN_PROGRESS\", \"entityType\": \"key\", "      \
	"\"identifier\": \"" KEY "\", \"entityUri\": \"/20180608/keys/" KEY \
	"\"}]"

static const struct fld work_request_f[] = {
	{"compartmentId", Q(COMP), 'o', true, OCID_SZ},
	{"id", Q(WRID), 'o', true, OCID_SZ},
	{"operationType", Q("BACKUP_KEY"), 's', true, ENUM_SZ},
	{"percentComplete", "42.5", 'p', true, 0},
	{"resources", WR_RESOURCES, 'r', true, 0},
	{"status", Q("IN_PROGRESS"), 'e', true, ENUM_SZ},
	{"timeAccepted", Q("2024-03-01T09:00:00.000Z"), 'T', true, TIME_SZ},
	{"timeFinished", Q("2024-03-01T09:05:00.000Z"), 'T', false, TIME_SZ},
	{"timeStarted", Q("2024-03-01T09:00:30.000Z"), 'T', false, TIME_SZ},
};

static const struct fld work_request_summary_f[] = {
	{"compartmentId", Q(COMP), 'o', true, OCID_SZ},
	{"id", Q(WRID), 'o', true, OCID_SZ},
	{"operationType", Q("BACKUP_KEY"), 's', true, ENUM_SZ},
	{"percentComplete", "100.0", 'p', true, 0},
	{"status", Q("SUCCEEDED"), 'e', true, ENUM_SZ},
	{"timeAccepted", Q("2024-03-01T09:00:00.000Z"), 'T', true, TIME_SZ},
	{"timeFinished", Q("2024-03-01T09:05:00.000Z"), 'T', false, TIME_SZ},
	{"timeStarted", Q("2024-03-01T09:00:30.000Z"), 'T', false, TIME_SZ},
};

static const struct fld wr_error_f[] = {
	{"code", Q("BucketNotFound"), 's', true, OVFS_ERRCODE_MAX},
	{"message",
	 Q("Either the bucket named 'backups' does not exist in "
	   "the namespace 'axaxnpcrorw5' or you are not authorized "
	   "to access it"),
	 'd', true, OVFS_ERRMSG_MAX},
	{"timestamp", Q("2024-03-01T09:05:00.000Z"), 'T', true, TIME_SZ},
};

static const struct fld bucket_f[] = {
	{"compartmentId", Q(COMP), 'o', true, OCID_SZ},
	{"createdBy", Q(USER), 'O', true, OCID_SZ},
	{"definedTags", "null", 'x', false, 0},
	{"etag", Q("8c0c4b2a-6e0e-4c6e-bc3a-1b1f0d9a8f11"), 's', true,
	 OVFS_ETAG_MAX},
	{"freeformTags", "null", 'x', false, 0},
	{"name", Q("key-backups"), 's', true, OVFS_BUCKET_MAX},
	{"namespace", Q("axaxnpcrorw5"), 's', true, OVFS_NS_MAX},
	{"timeCreated", Q("2019-03-07T21:25:45.431Z"), 'T', true, TIME_SZ},
};

#define SPEC(t, k, f)                               \
	{                                           \
		t, k, f, sizeof(f) / sizeof((f)[0]) \
	}

static const struct spec specs[] = {
	SPEC("Tenancy", K_TENANCY, tenancy_f),
	SPEC("Compartment", K_COMPARTMENT, compartment_f),
	SPEC("Compartment[]", K_COMPARTMENTS, compartment_f),
	SPEC("Vault", K_VAULT, vault_f),
	SPEC("VaultSummary[]", K_VAULTS, vault_summary_f),
	SPEC("Key", K_KEY, key_f),
	SPEC("KeySummary[]", K_KEYS, key_summary_f),
	SPEC("KeyVersionSummary[]", K_KEY_VERSIONS, key_version_f),
	SPEC("WorkRequest", K_WORK_REQUEST, work_request_f),
	SPEC("WorkRequestSummary[]", K_WORK_REQUESTS, work_request_summary_f),
	SPEC("WorkRequestError[]", K_WR_ERRORS, wr_error_f),
	SPEC("BucketSummary[]", K_BUCKETS, bucket_f),
};

/*
 * The example as JSON text: without `omit`, with `rname` given the raw
 * value `rvalue`, only required fields if `minimal`, then `extra` raw
 * members.  Caller frees.
 */
static char *build(const struct spec *s, bool minimal, const char *omit,
		   const char *rname, const char *rvalue, const char *extra)
{
	struct buf b = BUF_INIT(64u * 1024 * 1024);
	bool first = true;
	size_t i;
	int ret = buf_adds(&b, "{\n");

	for (i = 0; i < s->nf && !ret; i++) {
		const struct fld *f = &s->f[i];

		if ((minimal && !f->req) || (omit && !strcmp(omit, f->name)))
			continue;
		ret = buf_addf(&b, "%s\t\"%s\": ", first ? "" : ",\n", f->name);
		if (!ret)
			ret = buf_adds(&b, rname && !strcmp(rname, f->name)
						   ? rvalue
						   : f->value);
		first = false;
	}
	if (!ret && extra)
		ret = buf_addf(&b, "%s%s", first ? "" : ",\n", extra);
	if (!ret)
		ret = buf_adds(&b, "\n}");
	if (ret) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static int decode_s(enum kind k, const char *text, union any *out)
{
	return text ? decode(k, text, strlen(text), out) : -ENOMEM;
}

/* A string value of exactly `len` bytes that is valid for `type`. */
static char *make_value(char type, size_t len)
{
	char *s = malloc(len + 3);
	size_t i;

	s[0] = '"';
	for (i = 1; i <= len; i++)
		s[i] = type == 'e' ? 'A' : type == 'T' ? '1' : 'x';
	switch (type) {
	case 'o':
	case 'O':
		memcpy(s + 1, "ocid1.key.oc1.iad.", 18);
		break;
	case 'T':
		memcpy(s + 1, "2024-01-15T10:00:00.", 20);
		s[len] = 'Z';
		break;
	case 'u':
		memcpy(s + 1, "https://", 8);
		break;
	default:
		break;
	}
	s[len + 1] = '"';
	s[len + 2] = '\0';
	return s;
}

static bool is_string_type(char t)
{
	return strchr("oOtdesTu", t) != NULL;
}

/* Valid values that must be accepted and kept as they are. */
static const struct {
	char type;
	const char *value;
	const char *kept;
} accepted[] = {
	{'e', Q("SOMETHING_NEW-2030"), "SOMETHING_NEW-2030"},
	{'e', Q("lowercase_value"), "lowercase_value"},
	{'t', Q("a/b\\tc d \\u00e9\xe2\x82\xac \xf0\x9f\x94\x91"),
	 "a/b\tc d \xc3\xa9\xe2\x82\xac \xf0\x9f\x94\x91"},
	{'t', Q("../.."), "../.."},
	{'t', Q("line1\\nline2\\u007f"), "line1\nline2\x7f"},
	{'d', Q("multi\\nline\\tdescription"), "multi\nline\tdescription"},
	{'T', Q("2024-01-15T10:00:00+05:30"), "2024-01-15T10:00:00+05:30"},
	{'T', Q("2024-02-29T23:59:59.123456Z"), "2024-02-29T23:59:59.123456Z"},
	{'u', Q("https://127.0.0.1:7000"), "https://127.0.0.1:7000"},
	{'u', Q("https://[::1]:8443/"), "https://[::1]:8443/"},
	{'u', Q("https://kms.example.com"), "https://kms.example.com"},
	{'o', Q("ocid1.key.oc2.phx.abc.def_GHI-123"),
	 "ocid1.key.oc2.phx.abc.def_GHI-123"},
	{'O', Q(""), ""},
	{'s', Q("with space/and.dots"), "with space/and.dots"},
};

/* Values of the right JSON type that must still be refused. */
static const struct {
	char type;
	const char *value;
} refused[] = {
	{'o', Q("not-an-ocid")},
	{'o', Q("")},
	{'o', Q("ocid1.key.oc1.iad.abc def")},
	{'o', Q("ocid1.key.oc1.iad.abc\\n")},
	{'O', Q("not-an-ocid")},
	{'e', Q("")},
	{'e', Q("NOT VALID")},
	{'e', Q("A.B")},
	{'e', Q("ENABLED\\n")},
	{'e', Q("\\u00c9TAT")},
	{'s', Q("a\\u0001b")},
	{'s', Q("a\\u007fb")},
	{'s', Q("a\\tb")},
	{'T', Q("")},
	{'T', Q("yesterday")},
	{'T', Q("2024-02-30T00:00:00Z")},
	{'T', Q("2024-01-15T10:00:00")},
	{'T', Q("2024-01-15T10:00:00Z\\n")},
	{'u', Q("")},
	{'u',
	 Q("http://bbpgrv2paacuu-management.kms.us-ashburn-1.oraclecloud.com")},
	{'u', Q("HTTPS://kms.example.com")},
	{'u', Q("https://")},
	{'u', Q("https://evil.example.com/path")},
	{'u', Q("https://evil.example.com/20180608/keys")},
	{'u', Q("https://user@evil.example.com")},
	{'u', Q("https://kms.example.com@evil.example.com")},
	{'u', Q("https://kms.example.com?x=1")},
	{'u', Q("https://kms.example.com#frag")},
	{'u', Q("https://kms.example.com:0")},
	{'u', Q("https://kms.example.com:65536")},
	{'u', Q("https://kms.example.com:")},
	{'u', Q("https://kms.example.com:80x")},
	{'u', Q("https://kms example.com")},
	{'u', Q("https://kms.example.com\\n")},
	{'u', Q("https://.example.com")},
	{'u', Q("/20180608/keys")},
	{'u', Q("ftp://kms.example.com")},
	{'u', Q("https://[::1")},
	{'p', "-1"},
	{'p', "100.5"},
	{'p', "1e999"},
	{'p', "-1e999"},
};

/* Values of the wrong JSON type, by field type. */
static const char *const wrong_for_string[] = {
	"42", "true", "false", "{}", "[]", "[\"x\"]", "{\"a\": \"b\"}", "0.5",
};
static const char *const wrong_for_bool[] = {
	"\"true\"", "1", "0", "{}", "[]", "\"\"",
};
static const char *const wrong_for_number[] = {
	"\"42\"", "true", "{}", "[]", "[42]",
};
static const char *const wrong_for_object[] = {
	"\"AES\"", "42", "true", "[]", "[{}]",
};
static const char *const wrong_for_array[] = {
	"\"x\"",
	"42",
	"true",
	"{}",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* The expected value of a plain string example (no escapes). */
static bool plain_value(const char *raw, char *dst, size_t n)
{
	size_t len = strlen(raw);

	if (len < 2 || raw[0] != '"' || raw[len - 1] != '"' ||
	    memchr(raw, '\\', len) || len - 2 >= n)
		return false;
	memcpy(dst, raw + 1, len - 2);
	dst[len - 2] = '\0';
	return true;
}

static void check_full(const struct spec *s)
{
	union any *u = &scratch;
	char *text = build(s, false, NULL, NULL, NULL, NULL);
	char want[512];
	const char *js, *got;
	struct cJSON *back = NULL;
	size_t i;
	int ret;

	ret = decode_s(s->kind, text, u);
	is_int(ret, 0, "%s: full example decodes", s->title);
	if (ret)
		printf("#   why: %s\n", why);
	for (i = 0; i < s->nf; i++) {
		if (!is_string_type(s->f[i].type) ||
		    !plain_value(s->f[i].value, want, sizeof(want)))
			continue;
		got = field(s->kind, u, s->f[i].name);
		is_str(got, want, "%s: %s decoded", s->title, s->f[i].name);
	}
	js = json_of(s->kind, u);
	if (s->kind != K_WR_ERRORS) {
		ok(js && strlen(js) && js[strlen(js) - 1] == '\n',
		   "%s: json kept, ends with a newline", s->title);
		ok(js && json_parse(js, strlen(js), 1 << 20, &back, why,
				    sizeof(why)) == 0,
		   "%s: kept json parses", s->title);
		json_free(back);
		ok(js && contains(js, "\t\"") && contains(js, "\n\t"),
		   "%s: kept json is pretty-printed", s->title);
	}
	release_any(s->kind, u);
	ok(all_zero(u, any_size(s->kind)), "%s: released output is zeroed",
	   s->title);
	release_any(s->kind, u);
	ok(1, "%s: double release is harmless", s->title);
	free(text);
}

static void check_minimal(const struct spec *s)
{
	union any *u = &scratch;
	char *text = build(s, true, NULL, NULL, NULL, NULL);
	size_t i;
	int ret;

	ret = decode_s(s->kind, text, u);
	is_int(ret, 0, "%s: minimal example (required fields only) decodes",
	       s->title);
	if (ret)
		printf("#   why: %s\n", why);
	for (i = 0; i < s->nf; i++) {
		const char *got;

		if (s->f[i].req || !is_string_type(s->f[i].type))
			continue;
		got = field(s->kind, u, s->f[i].name);
		if (got)
			is_str(got, "", "%s: absent %s is empty", s->title,
			       s->f[i].name);
	}
	release_any(s->kind, u);
	free(text);
}

static void check_required(const struct spec *s)
{
	union any *u = &scratch;
	char *text;
	size_t i;
	int ret;

	for (i = 0; i < s->nf; i++) {
		const struct fld *f = &s->f[i];

		text = build(s, false, f->name, NULL, NULL, NULL);
		ret = decode_s(s->kind, text, u);
		if (f->req) {
			is_int(ret, -EPROTO, "%s: missing %s refused", s->title,
			       f->name);
			ok(contains(why, f->name) && contains(why, "missing"),
			   "%s: why names it: %s", s->title, why);
		} else {
			is_int(ret, 0, "%s: optional %s may be absent",
			       s->title, f->name);
		}
		release_any(s->kind, u);
		free(text);

		text = build(s, false, NULL, f->name, "null", NULL);
		ret = decode_s(s->kind, text, u);
		is_int(ret, f->req ? -EPROTO : 0, "%s: %s null %s", s->title,
		       f->name, f->req ? "refused" : "accepted");
		release_any(s->kind, u);
		free(text);
	}
}

static void check_wrong_types(const struct spec *s)
{
	union any *u = &scratch;
	const char *const *w;
	char *text;
	size_t i, j, nw;
	int ret;

	for (i = 0; i < s->nf; i++) {
		const struct fld *f = &s->f[i];

		if (is_string_type(f->type)) {
			w = wrong_for_string;
			nw = N(wrong_for_string);
		} else if (f->type == 'b') {
			w = wrong_for_bool;
			nw = N(wrong_for_bool);
		} else if (f->type == 'p' || f->type == 'n') {
			w = wrong_for_number;
			nw = N(wrong_for_number);
		} else if (f->type == 'k') {
			w = wrong_for_object;
			nw = N(wrong_for_object);
		} else if (f->type == 'r') {
			w = wrong_for_array;
			nw = N(wrong_for_array);
		} else {
			continue;
		}
		for (j = 0; j < nw; j++) {
			text = build(s, false, NULL, f->name, w[j], NULL);
			ret = decode_s(s->kind, text, u);
			is_int(ret, -EPROTO, "%s: %s = %s refused", s->title,
			       f->name, w[j]);
			ok(contains(why, f->name), "%s: why: %s", s->title,
			   why);
			release_any(s->kind, u);
			free(text);
		}
	}
}

static void check_values(const struct spec *s)
{
	union any *u = &scratch;
	char *text;
	size_t i, j;
	int ret;

	for (i = 0; i < s->nf; i++) {
		const struct fld *f = &s->f[i];

		for (j = 0; j < N(accepted); j++) {
			if (accepted[j].type != f->type ||
			    strlen(accepted[j].kept) >= f->size)
				continue;
			text = build(s, false, NULL, f->name, accepted[j].value,
				     NULL);
			ret = decode_s(s->kind, text, u);
			is_int(ret, 0, "%s: %s = %s accepted", s->title,
			       f->name, accepted[j].value);
			if (ret)
				printf("#   why: %s\n", why);
			is_str(field(s->kind, u, f->name), accepted[j].kept,
			       "%s: %s kept verbatim", s->title, f->name);
			release_any(s->kind, u);
			free(text);
		}
		for (j = 0; j < N(refused); j++) {
			if (refused[j].type != f->type)
				continue;
			text = build(s, false, NULL, f->name, refused[j].value,
				     NULL);
			ret = decode_s(s->kind, text, u);
			is_int(ret, -EPROTO, "%s: %s = %s refused", s->title,
			       f->name, refused[j].value);
			ok(contains(why, f->name), "%s: why: %s", s->title,
			   why);
			release_any(s->kind, u);
			free(text);
		}
	}
}

static void check_sizes(const struct spec *s)
{
	union any *u = &scratch;
	char *text, *val, *big;
	const char *got;
	size_t i;
	int ret;

	for (i = 0; i < s->nf; i++) {
		const struct fld *f = &s->f[i];

		if (!f->size)
			continue;
		/* The longest value that fits is kept whole... */
		val = make_value(f->type, f->size - 1);
		text = build(s, false, NULL, f->name, val, NULL);
		ret = decode_s(s->kind, text, u);
		is_int(ret, 0, "%s: %s of %zu bytes fits", s->title, f->name,
		       f->size - 1);
		got = field(s->kind, u, f->name);
		ok(got && strlen(got) == f->size - 1 &&
			   !strncmp(got, val + 1, f->size - 1),
		   "%s: %s kept whole", s->title, f->name);
		release_any(s->kind, u);
		free(text);
		free(val);

		/* ... one byte more is refused, or cut for descriptions. */
		val = make_value(f->type, f->size);
		text = build(s, false, NULL, f->name, val, NULL);
		ret = decode_s(s->kind, text, u);
		if (f->type == 'd') {
			is_int(ret, 0, "%s: %s one byte over is cut", s->title,
			       f->name);
			got = field(s->kind, u, f->name);
			ok(got && strlen(got) == f->size - 1,
			   "%s: %s cut to %zu bytes", s->title, f->name,
			   f->size - 1);
			ok(json_of(s->kind, u) == NULL ||
				   contains(json_of(s->kind, u), val),
			   "%s: full %s stays in json", s->title, f->name);
		} else {
			is_int(ret, -EPROTO, "%s: %s of %zu bytes refused",
			       s->title, f->name, f->size);
			ok(contains(why, f->name), "%s: why: %.80s", s->title,
			   why);
		}
		release_any(s->kind, u);
		free(text);
		free(val);

		/* A 5 MB string in any string field. */
		big = make_value(f->type, FIVE_MB);
		text = build(s, false, NULL, f->name, big, NULL);
		ret = decode_s(s->kind, text, u);
		is_int(ret, f->type == 'd' ? 0 : -EPROTO, "%s: 5 MB %s %s",
		       s->title, f->name, f->type == 'd' ? "cut" : "refused");
		release_any(s->kind, u);
		free(text);
		free(big);
	}
}

static void check_hostile(const struct spec *s)
{
	static const char *const not_objects[] = {
		"[]", "\"object\"", "42", "null", "true", "[{}]",
	};
	union any *u = &scratch;
	const char *name = NULL, *value = NULL;
	char *text, *extra, *p;
	char want[128];
	size_t i, len, n;
	int ret, bad;

	for (i = 0; i < N(not_objects); i++) {
		ret = decode_s(s->kind, not_objects[i], u);
		is_int(ret, -EPROTO, "%s: %s instead of an object refused",
		       s->title, not_objects[i]);
		release_any(s->kind, u);
	}

	/* Every strict prefix of a valid example is truncated JSON. */
	text = build(s, false, NULL, NULL, NULL, NULL);
	len = strlen(text);
	bad = 0;
	/* (For a list, the empty prefix would make the valid page "[]".) */
	for (n = is_list(s->kind) ? 1 : 0; n < len; n++) {
		ret = decode(s->kind, text, n, u);
		if (ret != -EPROTO)
			bad++;
		release_any(s->kind, u);
	}
	is_int(bad, 0, "%s: all %zu truncations refused", s->title, len);

	/* Trailing garbage. */
	p = malloc(len + 8);
	memcpy(p, text, len);
	memcpy(p + len, " x", 3);
	is_int(decode_s(s->kind, p, u), -EPROTO, "%s: trailing garbage",
	       s->title);
	release_any(s->kind, u);
	memcpy(p + len, "{}", 3);
	is_int(decode_s(s->kind, p, u), -EPROTO, "%s: a second object",
	       s->title);
	release_any(s->kind, u);
	memcpy(p + len, " \n\t", 4);
	is_int(decode_s(s->kind, p, u), 0, "%s: trailing white space is fine",
	       s->title);
	release_any(s->kind, u);
	free(p);
	free(text);

	/* Unknown members of any shape are ignored (but kept in json). */
	text = build(s, false, NULL, NULL, NULL,
		     "\t\"zzFutureField\": {\"deep\": [1, 2, {\"x\": null}]},"
		     "\n\t\"anotherNewField\": \"value\", \"n\": 1e999");
	ret = decode_s(s->kind, text, u);
	is_int(ret, 0, "%s: unknown members ignored", s->title);
	ok(s->kind == K_WR_ERRORS ||
		   (json_of(s->kind, u) &&
		    contains(json_of(s->kind, u), "zzFutureField")),
	   "%s: unknown members kept in json", s->title);
	release_any(s->kind, u);
	free(text);

	/* Deep nesting in an unknown member: 10000 levels. */
	extra = malloc(20000 + 32);
	n = (size_t)snprintf(extra, 32, "\"zz\": ");
	memset(extra + n, '[', 10000);
	memset(extra + n + 10000, ']', 10000);
	extra[n + 20000] = '\0';
	text = build(s, false, NULL, NULL, NULL, extra);
	is_int(decode_s(s->kind, text, u), -EPROTO,
	       "%s: 10000 nesting levels refused", s->title);
	ok(contains(why, "nesting"), "%s: why: %s", s->title, why);
	release_any(s->kind, u);
	free(text);
	/* 60 levels inside the object are fine. */
	memset(extra + n, '[', 60);
	memset(extra + n + 60, ']', 60);
	extra[n + 120] = '\0';
	text = build(s, false, NULL, NULL, NULL, extra);
	is_int(decode_s(s->kind, text, u), 0, "%s: 60 nested levels accepted",
	       s->title);
	release_any(s->kind, u);
	free(text);
	free(extra);

	/* A 5 MB string in an unknown member is just data. */
	p = make_value('x', FIVE_MB);
	extra = malloc(FIVE_MB + 32);
	snprintf(extra, FIVE_MB + 32, "\"zzBlob\": %s", p);
	text = build(s, false, NULL, NULL, NULL, extra);
	is_int(decode_s(s->kind, text, u), 0,
	       "%s: 5 MB unknown member accepted", s->title);
	release_any(s->kind, u);
	free(text);
	free(extra);
	free(p);

	/* Non-JSON tokens, \u0000, bad UTF-8 anywhere spoil the document. */
	{
		static const char *const poison[] = {
			"\"zz\": NaN",		 "\"zz\": Infinity",
			"\"zz\": -Infinity",	 "\"zz\": 0x10",
			"\"zz\": \"a\\u0000b\"", "\"zz\": \"\xff\xfe\"",
			"\"zz\": \"\xc0\xaf\"",	 "\"zz\": \"a\x01\"",
			"\"zz\": 'single'",	 "\"z\\u0000z\": 1",
		};

		for (i = 0; i < N(poison); i++) {
			text = build(s, false, NULL, NULL, NULL, poison[i]);
			is_int(decode_s(s->kind, text, u), -EPROTO,
			       "%s: poisoned document #%zu refused", s->title,
			       i);
			release_any(s->kind, u);
			free(text);
		}
	}

	/* The same in a string field we use. */
	for (i = 0; i < s->nf && !name; i++) {
		if (strchr("td", s->f[i].type) && s->f[i].req) {
			name = s->f[i].name;
			value = s->f[i].value;
		}
	}
	if (!name) {
		for (i = 0; i < s->nf && !name; i++) {
			if (is_string_type(s->f[i].type)) {
				name = s->f[i].name;
				value = s->f[i].value;
			}
		}
	}
	text = build(s, false, NULL, name, "\"abc\\u0000def\"", NULL);
	is_int(decode_s(s->kind, text, u), -EPROTO, "%s: %s with \\u0000",
	       s->title, name);
	release_any(s->kind, u);
	free(text);
	text = build(s, false, NULL, name, "\"abc\xff\"", NULL);
	is_int(decode_s(s->kind, text, u), -EPROTO, "%s: %s with bad UTF-8",
	       s->title, name);
	release_any(s->kind, u);
	free(text);

	/* Duplicate keys: the first one wins, whatever the second is. */
	snprintf(want, sizeof(want), "\"%s\": 42", name);
	text = build(s, false, NULL, NULL, NULL, want);
	ret = decode_s(s->kind, text, u);
	is_int(ret, 0, "%s: duplicate %s: first (valid) one used", s->title,
	       name);
	plain_value(value, want, sizeof(want));
	is_str(field(s->kind, u, name), want, "%s: first duplicate kept",
	       s->title);
	release_any(s->kind, u);
	free(text);
	snprintf(want, sizeof(want), "\"%s\": %s", name, value);
	text = build(s, false, NULL, name, "42", want);
	is_int(decode_s(s->kind, text, u), -EPROTO,
	       "%s: duplicate %s: first (invalid) one used", s->title, name);
	release_any(s->kind, u);
	free(text);
}

/* ---- type-specific checks ------------------------------------------- */

static void test_specs(void)
{
	size_t i;

	for (i = 0; i < N(specs); i++) {
		check_full(&specs[i]);
		check_minimal(&specs[i]);
		check_required(&specs[i]);
		check_wrong_types(&specs[i]);
		check_values(&specs[i]);
		check_sizes(&specs[i]);
		check_hostile(&specs[i]);
	}
}

static const struct spec *spec_of(enum kind k)
{
	size_t i;

	for (i = 0; i < N(specs); i++)
		if (specs[i].kind == k)
			return &specs[i];
	return NULL;
}

static void test_tenancy(void)
{
	struct oci_tenancy t;

	is_int(model_tenancy_decode("{}", 2, &t, why, sizeof(why)), 0,
	       "Tenancy: {} decodes (all fields optional)");
	ok(t.json && !strcmp(t.json, "{\n}\n"), "Tenancy: json of {}");
	is_str(t.id, "", "Tenancy: no id");
	model_tenancy_release(&t);
	model_tenancy_release(NULL);
	ok(1, "release(NULL) is harmless");
}

static void test_compartment(void)
{
	const struct spec *s = spec_of(K_COMPARTMENT);
	union any *u = &scratch;
	struct oci_compartment copy;
	char *text;

	text = build(s, false, NULL, NULL, NULL, NULL);
	is_int(decode_s(K_COMPARTMENT, text, u), 0, "Compartment decodes");
	ok(u->c.has_is_accessible && u->c.is_accessible,
	   "isAccessible true, present");
	is_int(model_compartment_copy(&copy, &u->c), 0, "compartment copy");
	ok(copy.json && copy.json != u->c.json && !strcmp(copy.json, u->c.json),
	   "copy has its own json");
	is_str(copy.name, "security", "copy has the fields");
	release_any(K_COMPARTMENT, u);
	is_str(copy.name, "security", "copy survives the original");
	model_compartment_release(&copy);
	free(text);

	text = build(s, true, NULL, NULL, NULL, NULL);
	is_int(decode_s(K_COMPARTMENT, text, u), 0, "minimal compartment");
	ok(!u->c.has_is_accessible, "isAccessible absent");
	release_any(K_COMPARTMENT, u);
	free(text);

	text = build(s, false, NULL, "isAccessible", "false", NULL);
	is_int(decode_s(K_COMPARTMENT, text, u), 0, "isAccessible false");
	ok(u->c.has_is_accessible && !u->c.is_accessible, "false, present");
	release_any(K_COMPARTMENT, u);
	free(text);

	/* A description longer than the array, in 2-byte characters. */
	{
		struct buf b = BUF_INIT(SIZE_MAX);
		size_t i;
		const char *d;

		must(buf_adds(&b, "\""));
		for (i = 0; i < 600; i++)
			must(buf_adds(&b, "\xc3\xa9"));
		must(buf_adds(&b, "\""));
		text = build(s, false, NULL, "description", b.buf, NULL);
		is_int(decode_s(K_COMPARTMENT, text, u), 0,
		       "1200-byte description accepted");
		d = u->c.description;
		is_int(strlen(d), 1022,
		       "cut to 1022 bytes (a whole character)");
		ok(!memcmp(d, b.buf + 1, 1022), "cut text is the prefix");
		release_any(K_COMPARTMENT, u);
		free(text);
		buf_release(&b);
	}
}

static void test_vault(void)
{
	const struct spec *s = spec_of(K_VAULT);
	union any *u = &scratch;
	struct oci_vault copy;
	char *text;

	text = build(s, false, NULL, NULL, NULL, NULL);
	is_int(decode_s(K_VAULT, text, u), 0, "Vault decodes");
	ok(!u->v.summary, "Vault: not a summary");
	ok(u->v.has_is_primary && u->v.is_primary, "isPrimary");
	is_int(model_vault_copy(&copy, &u->v), 0, "vault copy");
	ok(copy.json && copy.json != u->v.json && !strcmp(copy.json, u->v.json),
	   "vault copy owns its json");
	is_str(copy.management_endpoint, MGMT, "copy endpoint");
	model_vault_release(&copy);
	release_any(K_VAULT, u);
	free(text);

	/* A VaultSummary page ignores Vault-only fields. */
	text = build(s, false, NULL, "wrappingkeyId", "42", NULL);
	is_int(decode_s(K_VAULTS, text, u), 0,
	       "VaultSummary ignores Vault-only fields, even malformed");
	ok(u->v.summary, "VaultSummary: summary flag");
	is_str(u->v.wrappingkey_id, "", "VaultSummary: no wrappingkeyId");
	is_str(u->v.time_of_deletion, "", "VaultSummary: no timeOfDeletion");
	ok(!u->v.has_is_primary, "VaultSummary: no isPrimary");
	release_any(K_VAULTS, u);
	free(text);

	text = build(s, false, NULL, "isPrimary", "false", NULL);
	is_int(decode_s(K_VAULT, text, u), 0, "isPrimary false");
	ok(u->v.has_is_primary && !u->v.is_primary, "false, present");
	release_any(K_VAULT, u);
	free(text);
}

static void test_key(void)
{
	const struct spec *s = spec_of(K_KEY);
	static const struct {
		const char *shape;
		int ret;
		const char *why;
	} shapes[] = {
		{"{\"algorithm\": \"AES\", \"length\": 32}", 0, NULL},
		{"{\"algorithm\": \"RSA\", \"length\": 512}", 0, NULL},
		{"{\"algorithm\": \"AES\", \"length\": 32.0}", 0, NULL},
		{"{\"algorithm\": \"PQC_NEW\", \"length\": 1}", 0, NULL},
		{"{\"algorithm\": \"AES\", \"length\": 65536}", 0, NULL},
		{"{\"algorithm\": \"AES\", \"length\": 32, \"curveId\": null}",
		 0, NULL},
		{"{\"length\": 32}", -EPROTO, "keyShape.algorithm: missing"},
		{"{\"algorithm\": \"AES\"}", -EPROTO,
		 "keyShape.length: missing"},
		{"{\"algorithm\": 1, \"length\": 32}", -EPROTO,
		 "keyShape.algorithm: not a string"},
		{"{\"algorithm\": \"AES\", \"length\": \"32\"}", -EPROTO,
		 "keyShape.length: not a number"},
		{"{\"algorithm\": \"AES\", \"length\": 32.5}", -EPROTO,
		 "keyShape.length: not an integer"},
		{"{\"algorithm\": \"AES\", \"length\": 0}", -EPROTO,
		 "keyShape.length: 0 not in [1, 65536]"},
		{"{\"algorithm\": \"AES\", \"length\": -32}", -EPROTO,
		 "keyShape.length"},
		{"{\"algorithm\": \"AES\", \"length\": 65537}", -EPROTO,
		 "keyShape.length"},
		{"{\"algorithm\": \"AES\", \"length\": 1e999}", -EPROTO,
		 "keyShape.length: number out of range"},
		{"{\"algorithm\": \"AES\", \"length\": 9223372036854775808}",
		 -EPROTO, "keyShape.length"},
		{"{\"algorithm\": \"AES\", \"length\": true}", -EPROTO,
		 "keyShape.length: not a number"},
		{"{\"algorithm\": \"ECDSA\", \"length\": 32, \"curveId\": 5}",
		 -EPROTO, "keyShape.curveId: not a string"},
		{"{\"algorithm\": \"A B\", \"length\": 32}", -EPROTO,
		 "keyShape.algorithm: not an enum value"},
	};
	union any *u = &scratch;
	struct oci_key copy;
	char *text;
	size_t i;
	int ret;

	text = build(s, false, NULL, NULL, NULL, NULL);
	is_int(decode_s(K_KEY, text, u), 0, "Key decodes");
	is_str(u->k.algorithm, "ECDSA", "keyShape.algorithm");
	is_int(u->k.length, 48, "keyShape.length");
	is_str(u->k.curve_id, "NIST_P384", "keyShape.curveId");
	ok(!u->k.summary, "Key: not a summary");
	ok(u->k.has_is_primary && u->k.is_primary, "isPrimary");
	is_int(model_key_copy(&copy, &u->k), 0, "key copy");
	ok(copy.json && copy.json != u->k.json && !strcmp(copy.json, u->k.json),
	   "key copy owns its json");
	is_str(copy.current_key_version, KEYVER, "copy field");
	release_any(K_KEY, u);
	is_str(copy.current_key_version, KEYVER, "copy outlives original");
	model_key_release(&copy);
	free(text);

	for (i = 0; i < N(shapes); i++) {
		text = build(s, false, NULL, "keyShape", shapes[i].shape, NULL);
		ret = decode_s(K_KEY, text, u);
		is_int(ret, shapes[i].ret, "keyShape %s", shapes[i].shape);
		if (shapes[i].why)
			ok(!strncmp(why, shapes[i].why, strlen(shapes[i].why)),
			   "why: %s", why);
		release_any(K_KEY, u);
		free(text);
	}

	/* Protection mode absent means HSM: left empty. */
	text = build(s, false, "protectionMode", NULL, NULL, NULL);
	is_int(decode_s(K_KEY, text, u), 0, "no protectionMode");
	is_str(u->k.protection_mode, "", "protectionMode empty");
	release_any(K_KEY, u);
	free(text);

	/* A key copied from a zeroed key (no json). */
	memset(&u->k, 0, sizeof(u->k));
	is_int(model_key_copy(&copy, &u->k), 0, "copy without json");
	ok(copy.json == NULL, "json stays NULL");
	model_key_release(&copy);
}

static void test_key_summary(void)
{
	const struct spec *s = spec_of(K_KEYS);
	union any *u = &scratch;
	char *text;

	text = build(s, false, NULL, NULL, NULL, NULL);
	is_int(decode_s(K_KEYS, text, u), 0, "KeySummary decodes");
	ok(u->k.summary, "summary flag");
	is_str(u->k.algorithm, "AES", "top-level algorithm");
	is_str(u->k.protection_mode, "SOFTWARE", "protectionMode");
	is_str(u->k.current_key_version, "", "no currentKeyVersion");
	is_int(u->k.length, 0, "no length");
	release_any(K_KEYS, u);
	free(text);

	/* A full Key in a KeySummary page: keyShape is ignored. */
	text = build(spec_of(K_KEY), false, NULL, "keyShape", "\"junk\"", NULL);
	is_int(decode_s(K_KEYS, text, u), 0,
	       "KeySummary ignores keyShape and Key-only fields");
	is_str(u->k.algorithm, "", "algorithm not taken from keyShape");
	release_any(K_KEYS, u);
	free(text);
}

/* n resources with the given action. */
static char *resources(size_t n)
{
	struct buf b = BUF_INIT(SIZE_MAX);
	size_t i;

	must(buf_adds(&b, "["));
	for (i = 0; i < n; i++)
		must(buf_addf(&b,
			      "%s{\"actionType\": \"%s\", \"entityType\": "
			      "\"key\", \"identifier\": \"%s%zu\"}",
			      i ? ", " : "", i % 2 ? "RELATED" : "IN_PROGRESS",
			      "ocid1.key.oc1.iad.bbpgrv2paacuu.abuwcljs", i));
	must(buf_adds(&b, "]"));
	return buf_detach(&b, NULL);
}

static void test_work_request(void)
{
	const struct spec *s = spec_of(K_WORK_REQUEST);
	static const struct {
		const char *res;
		int ret;
		const char *why;
	} bad[] = {
		{"[{\"entityType\": \"key\", \"identifier\": \"" KEY "\"}]",
		 -EPROTO, "resources[0].actionType: missing"},
		{"[{\"actionType\": \"CREATED\", \"identifier\": \"" KEY "\"}]",
		 -EPROTO, "resources[0].entityType: missing"},
		{"[{\"actionType\": \"CREATED\", \"entityType\": \"key\"}]",
		 -EPROTO, "resources[0].identifier: missing"},
		{"[{\"actionType\": \"CREATED\", \"entityType\": \"key\", "
		 "\"identifier\": \"k1\"}]",
		 -EPROTO, "resources[0].identifier: not an OCID"},
		{"[{\"actionType\": \"CREATED\", \"entityType\": \"key\", "
		 "\"identifier\": \"" KEY "\", \"entityUri\": 5}]",
		 -EPROTO, "resources[0].entityUri: not a string"},
		{"[{\"actionType\": \"CREATED\", \"entityType\": \"key\", "
		 "\"identifier\": \"" KEY "\"}, 42]",
		 -EPROTO, "resources[1]: not an object"},
		{"[[]]", -EPROTO, "resources[0]: not an object"},
		{"[{\"actionType\": \"a b\", \"entityType\": \"key\", "
		 "\"identifier\": \"" KEY "\"}]",
		 -EPROTO, "resources[0].actionType: not an enum value"},
	};
	union any *u = &scratch;
	char *text, *res;
	size_t i;

	text = build(s, false, NULL, NULL, NULL, NULL);
	is_int(decode_s(K_WORK_REQUEST, text, u), 0, "WorkRequest decodes");
	ok(u->wr.percent_complete == 42.5, "percentComplete 42.5");
	is_int(u->wr.nresources, 1, "one resource");
	is_str(u->wr.resources[0].action_type, "IN_PROGRESS", "actionType");
	is_str(u->wr.resources[0].entity_type, "key", "entityType");
	is_str(u->wr.resources[0].identifier, KEY, "identifier");
	is_str(u->wr.resources[0].entity_uri, "/20180608/keys/" KEY,
	       "entityUri");
	release_any(K_WORK_REQUEST, u);
	free(text);

	text = build(s, false, NULL, "resources", "[]", NULL);
	is_int(decode_s(K_WORK_REQUEST, text, u), 0, "no resources");
	is_int(u->wr.nresources, 0, "zero resources");
	release_any(K_WORK_REQUEST, u);
	free(text);

	res = resources(OCI_WR_RESOURCES_MAX + 4);
	text = build(s, false, NULL, "resources", res, NULL);
	is_int(decode_s(K_WORK_REQUEST, text, u), 0, "20 resources");
	is_int(u->wr.nresources, OCI_WR_RESOURCES_MAX,
	       "extra resources ignored");
	is_str(u->wr.resources[15].action_type, "RELATED", "16th kept");
	release_any(K_WORK_REQUEST, u);
	free(text);
	free(res);

	for (i = 0; i < N(bad); i++) {
		text = build(s, false, NULL, "resources", bad[i].res, NULL);
		is_int(decode_s(K_WORK_REQUEST, text, u), bad[i].ret,
		       "bad resources #%zu", i);
		is_str(why, bad[i].why, "why");
		release_any(K_WORK_REQUEST, u);
		free(text);
	}

	text = build(s, false, NULL, "percentComplete", "0", NULL);
	is_int(decode_s(K_WORK_REQUEST, text, u), 0, "0 percent");
	release_any(K_WORK_REQUEST, u);
	free(text);
	text = build(s, false, NULL, "percentComplete", "100", NULL);
	is_int(decode_s(K_WORK_REQUEST, text, u), 0, "100 percent");
	ok(u->wr.percent_complete == 100, "value 100");
	release_any(K_WORK_REQUEST, u);
	free(text);

	/* A summary page ignores resources. */
	text = build(s, false, NULL, "resources", "42", NULL);
	is_int(decode_s(K_WORK_REQUESTS, text, u), 0,
	       "WorkRequestSummary ignores resources");
	is_int(u->wr.nresources, 0, "no resources in a summary");
	release_any(K_WORK_REQUESTS, u);
	free(text);
}

static void test_bucket(void)
{
	const struct spec *s = spec_of(K_BUCKETS);
	union any *u = &scratch;
	char *text;

	text = build(s, false, NULL, "createdBy", "\"\"", NULL);
	is_int(decode_s(K_BUCKETS, text, u), 0, "createdBy \"\" accepted");
	is_str(u->b.created_by, "", "empty createdBy");
	release_any(K_BUCKETS, u);
	free(text);
}

/* ---- lists -------------------------------------------------------------- */

static void test_bad_among_good(const char *e1);

static void test_lists(void)
{
	const struct spec *s = spec_of(K_KEYS);
	struct oci_key_list l = {0};
	struct buf page = BUF_INIT(SIZE_MAX);
	char *e1, *e2, *bad;
	size_t i;
	int ret;

	e1 = build(s, false, NULL, "displayName", "\"first\"", NULL);
	e2 = build(s, false, NULL, "displayName", "\"second\"", NULL);
	bad = build(s, false, NULL, "lifecycleState", "7", NULL);

	must(buf_addf(&page, "[%s, %s]", e1, e2));
	ret = model_keys_append(page.buf, page.len, &l, why, sizeof(why));
	is_int(ret, 0, "page 1 decodes");
	is_int(l.n, 2, "two keys");
	buf_reset(&page);
	must(buf_addf(&page, "[%s]", e2));
	ret = model_keys_append(page.buf, page.len, &l, why, sizeof(why));
	is_int(ret, 0, "page 2 decodes");
	is_int(l.n, 3, "appended: three keys");
	is_str(l.v[0].display_name, "first", "order kept [0]");
	is_str(l.v[1].display_name, "second", "order kept [1]");
	is_str(l.v[2].display_name, "second", "order kept [2]");
	ok(l.v[0].json && l.v[2].json && l.v[0].json != l.v[2].json,
	   "each element owns its json");
	ok(l.v[0].json && contains(l.v[0].json, "\"first\"") &&
		   !contains(l.v[0].json, "\"second\""),
	   "element json is the element's own");
	ret = model_keys_append("[]", 2, &l, why, sizeof(why));
	is_int(ret, 0, "empty page");
	is_int(l.n, 3, "empty page appends nothing");

	/* A bad element is skipped; its siblings are kept (issue 8). */
	buf_reset(&page);
	must(buf_addf(&page, "[%s, %s, %s, %s]", e1, e2, e1, bad));
	ret = model_keys_append(page.buf, page.len, &l, why, sizeof(why));
	is_int(ret, 0, "page with a bad element decodes");
	is_int(l.n, 6, "its three good elements appended");
	is_int(l.skips.n, 1, "one skipped");
	is_str(l.skips.why, "[3].lifecycleState: not a string",
	       "skip reason names index/field");
	is_str(l.v[5].display_name, "first", "the good ones in order");

	ret = model_keys_append("[{}, 1]", 7, &l, why, sizeof(why));
	is_int(ret, 0, "empty object and number: skipped, not fatal");
	is_int(l.skips.n, 3, "both counted");
	is_str(l.skips.why, "[3].lifecycleState: not a string",
	       "the first reason is kept");
	l.skips.n = 0;
	ret = model_keys_append("[1]", 3, &l, why, sizeof(why));
	is_int(ret, 0, "number element skipped");
	is_str(l.skips.why, "[0]: not an object", "why for non-object element");
	is_int(l.n, 6, "nothing appended by bad pages");
	ret = model_keys_append("{}", 2, &l, why, sizeof(why));
	is_int(ret, -EPROTO, "object instead of array refused");
	is_str(why, "not a JSON array", "why");
	ret = model_keys_append("[", 1, &l, why, sizeof(why));
	is_int(ret, -EPROTO, "truncated page refused");
	ret = model_keys_append("", 0, &l, why, sizeof(why));
	is_int(ret, -EPROTO, "empty body refused");
	ret = model_keys_append("<html>", 6, &l, why, sizeof(why));
	is_int(ret, -EPROTO, "not JSON refused");
	is_int(l.n, 6, "list still unchanged");
	oci_key_list_release(&l);
	memset(&l, 0, sizeof(l));
	/* Many elements: growth keeps everything. */
	buf_reset(&page);
	must(buf_adds(&page, "["));
	for (i = 0; i < 100; i++)
		must(buf_addf(&page, "%s%s", i ? "," : "", e1));
	must(buf_adds(&page, "]"));
	ret = model_keys_append(page.buf, page.len, &l, why, sizeof(why));
	is_int(ret, 0, "100-element page");
	is_int(l.n, 100, "100 keys");
	is_str(l.v[99].display_name, "first", "last element");

	oci_key_list_release(&l);
	ok(l.v == NULL && l.n == 0 && l.alloc == 0, "list released");
	oci_key_list_release(&l);
	oci_key_list_release(NULL);
	ok(1, "double release and NULL are harmless");

	test_bad_among_good(e1);
	buf_release(&page);
	free(e1);
	free(e2);
	free(bad);
}

/*
 * Issue 8: one hostile element among 99 good ones is skipped, with its
 * reason, and the 99 are kept.  `e1` is a valid KeySummary whose
 * displayName is "first".
 */
static void test_bad_among_good(const char *e1)
{
	static const struct {
		const char *from, *to, *what;
	} bad[] = {
		{"\"first\"", "\"fi\\u0000rst\"",
		 "displayName: invalid string"},
		{"\"first\"", "\"fi\\ud800rst\"",
		 "displayName: invalid string"},
		{"\"first\"", "\"fi\\udc00\\ud800\"",
		 "displayName: invalid string"},
		{"\"first\"", "\"fi\x01rst\"", "displayName: invalid string"},
		{"\"first\"", "\"fi\xffrst\"", "displayName: invalid string"},
		{"\"first\"", "\"fi\xc0\xafrst\"",
		 "displayName: invalid string"},
		{"\"first\"", "\"fi\xed\xa0\x80rst\"",
		 "displayName: invalid string"},
		{"\"first\"", "5", "displayName: not a string"},
		{"\"first\"", "[\"first\"]", "displayName: not a string"},
		{"\"first\"", "null", "displayName: missing"},
		{"\"displayName\"", "\"display\\u0000Name\"",
		 "displayName: missing"},
		{"\"ocid1.key.", "\"ocid2.key.", "id: not an OCID"},
		{"\"ENABLED\"", "\"EN ABLED\"", "lifecycleState: not an enum"},
	};
	struct oci_key_list l;
	struct buf page = BUF_INIT(SIZE_MAX);
	char *elem, *p, *longname;
	size_t i, j;
	int ret;

	for (i = 0; i <= N(bad); i++) {
		memset(&l, 0, sizeof(l));
		if (i < N(bad)) {
			p = strstr(e1, bad[i].from);
			if (!p) {
				ok(0, "case %zu: '%s' not in the element", i,
				   bad[i].from);
				continue;
			}
			must(buf_addf(&page, "%.*s%s%s", (int)(p - e1), e1,
				      bad[i].to, p + strlen(bad[i].from)));
		} else {
			/* A 10,000-character name. */
			longname = malloc(10003);
			longname[0] = '"';
			memset(longname + 1, 'n', 10000);
			memcpy(longname + 10001, "\"", 2);
			p = strstr(e1, "\"first\"");
			must(buf_addf(&page, "%.*s%s%s", (int)(p - e1), e1,
				      longname, p + 7));
			free(longname);
		}
		elem = buf_detach(&page, NULL);
		must(buf_adds(&page, "["));
		for (j = 0; j < 100; j++)
			must(buf_addf(&page, "%s%s", j ? "," : "",
				      j == 37 ? elem : e1));
		must(buf_adds(&page, "]"));
		ret = model_keys_append(page.buf, page.len, &l, why,
					sizeof(why));
		is_int(ret, 0, "bad element %zu among 99 good: page decodes",
		       i);
		is_int(l.n, 99, "bad element %zu: the 99 good kept", i);
		is_int(l.skips.n, 1, "bad element %zu: one skipped", i);
		ok(!strncmp(l.skips.why, "[37]", 4) &&
			   contains(l.skips.why,
				    i < N(bad) ? bad[i].what
					       : "displayName: too long"),
		   "bad element %zu: reason: %s", i, l.skips.why);
		for (j = 0; j < l.n; j++)
			if (strcmp(l.v[j].display_name, "first"))
				break;
		is_int(j, 99, "bad element %zu: only good names", i);
		oci_key_list_release(&l);
		buf_reset(&page);
		free(elem);
	}
	/* A single resource with a bad string still fails as a whole. */
	p = strstr(e1, "\"first\"");
	must(buf_addf(&page, "%.*s\"a\\u0000b\"%s", (int)(p - e1), e1, p + 7));
	{
		struct oci_key k;

		ret = model_key_decode(page.buf, page.len, &k, why,
				       sizeof(why));
		is_int(ret, -EPROTO, "GetKey with \\u0000: refused");
	}
	buf_release(&page);
}

/* Two pages and a failing page for every list decoder. */
static void test_all_lists(void)
{
	size_t i;

	for (i = 0; i < N(specs); i++) {
		const struct spec *s = &specs[i];
		struct lists l;
		struct buf page = BUF_INIT(SIZE_MAX);
		char *good, *bad = NULL;
		size_t j;
		int ret;

		if (!is_list(s->kind))
			continue;
		memset(&l, 0, sizeof(l));
		good = build(s, false, NULL, NULL, NULL, NULL);
		for (j = 0; j < s->nf && !bad; j++)
			if (s->f[j].req)
				bad = build(s, false, s->f[j].name, NULL, NULL,
					    NULL);
		must(buf_addf(&page, "[%s,%s]", good, good));
		ret = append(s->kind, page.buf, page.len, &l);
		is_int(ret, 0, "%s: page 1", s->title);
		ret = append(s->kind, page.buf, page.len, &l);
		is_int(ret, 0, "%s: page 2", s->title);
		is_int(list_count(s->kind, &l), 4, "%s: 2 + 2 elements",
		       s->title);
		buf_reset(&page);
		must(buf_addf(&page, "[%s,%s]", good, bad));
		ret = append(s->kind, page.buf, page.len, &l);
		is_int(ret, 0, "%s: page with a bad element", s->title);
		ok(!strncmp(list_skips(s->kind, &l)->why, "[1].", 4),
		   "%s: skipped: %s", s->title, list_skips(s->kind, &l)->why);
		is_int(list_count(s->kind, &l), 5, "%s: the good one kept",
		       s->title);
		buf_reset(&page);
		must(buf_addf(&page, "{\"items\": [%s]}", good));
		ret = append(s->kind, page.buf, page.len, &l);
		is_int(ret, -EPROTO, "%s: wrong shape still fails", s->title);
		is_int(list_count(s->kind, &l), 5, "%s: list unchanged",
		       s->title);
		lists_release(&l);
		buf_release(&page);
		free(good);
		free(bad);
	}
}

/* ---- namespace, errors, backup locations ---------------------------- */

static void test_namespace(void)
{
	static const struct {
		const char *body;
		int ret;
	} cases[] = {
		{"\"axaxnpcrorw5\"", 0},
		{" \"axaxnpcrorw5\"\n", 0},
		{"\"acme-corp_1.x\"", 0},
		{"axaxnpcrorw5", -EPROTO},
		{"\"\"", -EPROTO},
		{"\"ax/../b\"", -EPROTO},
		{"\"ax ax\"", -EPROTO},
		{"\"ax\\u0000ax\"", -EPROTO},
		{"\"ax\\nax\"", -EPROTO},
		{"\"ax%2f\"", -EPROTO},
		{"\"\xc3\xa9t\xc3\xa9\"", -EPROTO},
		{"{\"namespace\": \"axaxnpcrorw5\"}", -EPROTO},
		{"[\"axaxnpcrorw5\"]", -EPROTO},
		{"42", -EPROTO},
		{"null", -EPROTO},
		{"\"axaxnpcrorw5\" x", -EPROTO},
		{"\"axaxnpcrorw5", -EPROTO},
	};
	char ns[OVFS_NS_MAX];
	char *big;
	size_t i;
	int ret;

	for (i = 0; i < N(cases); i++) {
		memcpy(ns, "junk", 5);
		ret = model_namespace_decode(cases[i].body,
					     strlen(cases[i].body), ns,
					     sizeof(ns), why, sizeof(why));
		is_int(ret, cases[i].ret, "namespace body #%zu", i);
		if (cases[i].ret)
			is_str(ns, "", "namespace empty on failure");
	}
	ret = model_namespace_decode("\"axaxnpcrorw5\"", 14, ns, sizeof(ns),
				     why, sizeof(why));
	is_str(ns, "axaxnpcrorw5", "namespace value");
	is_int(model_namespace_decode("\"axaxnpcrorw5\"", 14, ns, 12, why,
				      sizeof(why)),
	       -EPROTO, "12 chars do not fit 12 bytes");
	is_int(model_namespace_decode("\"axaxnpcrorw5\"", 14, ns, 13, why,
				      sizeof(why)),
	       0, "12 chars fit 13 bytes");
	big = malloc(FIVE_MB + 3);
	big[0] = '"';
	memset(big + 1, 'a', FIVE_MB);
	memcpy(big + 1 + FIVE_MB, "\"", 2);
	is_int(model_namespace_decode(big, FIVE_MB + 2, ns, sizeof(ns), why,
				      sizeof(why)),
	       -EPROTO, "5 MB namespace refused");
	free(big);
}

static void test_error_decode(void)
{
	static const struct {
		const char *body;
		const char *code;
		const char *message;
	} cases[] = {
		{"{\"code\": \"NotAuthorizedOrNotFound\", \"message\": "
		 "\"Authorization failed or requested resource not found.\"}",
		 "NotAuthorizedOrNotFound",
		 "Authorization failed or requested resource not found."},
		{"{\"code\": \"TooManyRequests\", \"message\": \"Too many "
		 "requests for the user\", \"originalMessage\": \"x\"}",
		 "TooManyRequests", "Too many requests for the user"},
		{"{\"code\": \"IncorrectState\"}", "IncorrectState", ""},
		{"{\"message\": \"only a message\"}", "BadErrorResponse",
		 "only a message"},
		{"{}", "BadErrorResponse",
		 "the error response body has no code and message"},
		{"{\"code\": 404, \"message\": [\"x\"]}", "BadErrorResponse",
		 "the error response body has no code and message"},
		{"{\"code\": \"\", \"message\": \"\"}", "BadErrorResponse",
		 "the error response body has no code and message"},
		{"{\"code\": \"Bad\\nCode\", \"message\": \"m\"}",
		 "BadErrorResponse", "m"},
		{"{\"code\": \"X\", \"message\": \"line1\\nline2\\r\\tend\"}",
		 "X", "line1 line2  end"},
		{"[]", "BadErrorResponse",
		 "the error response body is not a JSON object"},
		{"\"error\"", "BadErrorResponse",
		 "the error response body is not a JSON object"},
		{"<html><body>502 Bad Gateway</body></html>",
		 "BadErrorResponse",
		 "the error response body is not a JSON object"},
		{"{\"code\": \"X\", \"message\": \"a\\u0000b\"}",
		 "BadErrorResponse",
		 "the error response body is not a JSON object"},
		{"{\"code\": \"X\"", "BadErrorResponse",
		 "the error response body is not a JSON object"},
		{"", "BadErrorResponse",
		 "the error response body is not a JSON object"},
		{"{\"code\": \"First\", \"code\": \"Second\"}", "First", ""},
	};
	struct oci_error e;
	struct buf b = BUF_INIT(SIZE_MAX);
	size_t i;

	for (i = 0; i < N(cases); i++) {
		memset(&e, 0, sizeof(e));
		e.http_status = 404;
		memcpy(e.request_id, "rid", 4);
		model_error_decode(cases[i].body, strlen(cases[i].body), &e);
		is_str(e.code, cases[i].code, "error body #%zu code", i);
		is_str(e.message, cases[i].message, "error body #%zu message",
		       i);
		ok(e.http_status == 404 && !strcmp(e.request_id, "rid"),
		   "other fields untouched");
	}
	model_error_decode(NULL, 0, &e);
	is_str(e.code, "BadErrorResponse", "NULL body");

	/* A long code does not fit; a long message is cut. */
	must(buf_adds(&b, "{\"code\": \""));
	for (i = 0; i < OVFS_ERRCODE_MAX; i++)
		must(buf_addch(&b, 'C'));
	must(buf_adds(&b, "\", \"message\": \""));
	for (i = 0; i < FIVE_MB; i++)
		must(buf_addch(&b, 'm'));
	must(buf_adds(&b, "\"}"));
	model_error_decode(b.buf, b.len, &e);
	is_str(e.code, "BadErrorResponse", "oversized code refused");
	is_int(strlen(e.message), OVFS_ERRMSG_MAX - 1, "5 MB message cut");
	buf_release(&b);
}

static void test_backup_location(void)
{
	static const struct {
		const char *json;
		int ret;
		const char *why;
	} cases[] = {
		{"{\"destination\": \"BUCKET\", \"namespace\": \"axaxnpcrorw5\", "
		 "\"bucketName\": \"key-backups\", \"objectName\": "
		 "\"prod/payments.bak\"}",
		 0, NULL},
		{"{\"backupLocation\": {\"destination\": \"BUCKET\", "
		 "\"namespace\": \"axaxnpcrorw5\", \"bucketName\": "
		 "\"key-backups\", \"objectName\": \"prod/payments.bak\"}}",
		 0, NULL},
		{"{\"backupLocation\": {\"destination\": \"BUCKET\", "
		 "\"namespace\": \"axaxnpcrorw5\", \"bucketName\": "
		 "\"key-backups\", \"objectName\": \"prod/payments.bak\"}, "
		 "\"isIncludeKeys\": true}",
		 0, NULL},
		{"{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\", \"uri\": "
		 "\"https://objectstorage.us-ashburn-1.oraclecloud.com/p/SECRETTOKEN/n/ns/b/bk/o/obj\"}",
		 0, NULL},
		{"{\"destination\": \"BUCKET\", \"bucketName\": \"b\", "
		 "\"objectName\": \"o\"}",
		 -EINVAL, "namespace: missing"},
		{"{\"destination\": \"BUCKET\", \"namespace\": \"n\", "
		 "\"objectName\": \"o\"}",
		 -EINVAL, "bucketName: missing"},
		{"{\"destination\": \"BUCKET\", \"namespace\": \"n\", "
		 "\"bucketName\": \"b\"}",
		 -EINVAL, "objectName: missing"},
		{"{\"destination\": \"BUCKET\", \"namespace\": \"n\", "
		 "\"bucketName\": \"b\", \"objectName\": \"\"}",
		 -EINVAL, "objectName: empty"},
		{"{\"destination\": \"BUCKET\", \"namespace\": 1, "
		 "\"bucketName\": \"b\", \"objectName\": \"o\"}",
		 -EINVAL, "namespace: not a string"},
		{"{\"destination\": \"BUCKET\", \"namespace\": \"n\", "
		 "\"bucketName\": [\"b\"], \"objectName\": \"o\"}",
		 -EINVAL, "bucketName: not a string"},
		{"{\"destination\": \"BUCKET\", \"namespace\": \"n\", "
		 "\"bucketName\": \"b\", \"objectName\": \"o\\nx\"}",
		 -EINVAL, "objectName: contains a control character"},
		{"{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\"}",
		 -EINVAL, "uri: missing"},
		{"{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\", \"uri\": 5}",
		 -EINVAL, "uri: not a string"},
		{"{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\", \"uri\": \"\"}",
		 -EINVAL, "uri: empty"},
		{"{\"destination\": \"bucket\", \"namespace\": \"n\", "
		 "\"bucketName\": \"b\", \"objectName\": \"o\"}",
		 -EINVAL, "destination: must be"},
		{"{\"destination\": \"URI\", \"uri\": \"https://x\"}", -EINVAL,
		 "destination: must be"},
		{"{\"destination\": 1}", -EINVAL, "destination: not a string"},
		{"{\"namespace\": \"n\"}", -EINVAL, "destination: missing"},
		{"{}", -EINVAL, "destination: missing"},
		{"{\"backupLocation\": \"BUCKET\"}", -EINVAL,
		 "backupLocation: not an object"},
		{"{\"backupLocation\": {\"destination\": \"BUCKET\"}}", -EINVAL,
		 "backupLocation.namespace: missing"},
		{"{\"backupLocation\": {}, \"destination\": \"BUCKET\"}",
		 -EINVAL, "both"},
		{"[]", -EINVAL, "not a JSON object"},
		{"\"BUCKET\"", -EINVAL, "not a JSON object"},
		{"{\"destination\": \"BUCKET\"", -EINVAL, "invalid JSON"},
		{"{\"destination\": \"BUCKET\"} x", -EINVAL, "invalid JSON"},
		{"", -EINVAL, "empty JSON text"},
	};
	struct oci_backup_location loc;
	char *big;
	size_t i;
	int ret;

	for (i = 0; i < N(cases); i++) {
		memset(&loc, 0x5a, sizeof(loc));
		ret = model_backup_location_decode(cases[i].json,
						   strlen(cases[i].json), &loc,
						   why, sizeof(why));
		is_int(ret, cases[i].ret, "backup location #%zu", i);
		if (cases[i].why)
			ok(!strncmp(why, cases[i].why, strlen(cases[i].why)),
			   "why: %s", why);
		ok(!contains(why, "SECRETTOKEN"), "why never holds the uri");
		if (ret)
			ok(all_zero(&loc, sizeof(loc)), "zeroed on failure");
	}

	ret = model_backup_location_decode(cases[1].json, strlen(cases[1].json),
					   &loc, why, sizeof(why));
	is_int(loc.dest, OCI_BACKUP_BUCKET, "wrapper: BUCKET");
	is_str(loc.namespace_name, "axaxnpcrorw5", "namespace");
	is_str(loc.bucket, "key-backups", "bucketName");
	is_str(loc.object, "prod/payments.bak", "objectName");
	is_str(loc.uri, "", "no uri");
	ret = model_backup_location_decode(cases[3].json, strlen(cases[3].json),
					   &loc, why, sizeof(why));
	is_int(loc.dest, OCI_BACKUP_PAR_URI, "PAR");
	is_str(loc.uri,
	       "https://objectstorage.us-ashburn-1.oraclecloud.com/p/SECRETTOKEN/n/ns/b/bk/o/obj",
	       "uri verbatim");

	/* Sizes: a 1024-byte object name fits, 1025 does not. */
	{
		struct buf b = BUF_INIT(SIZE_MAX);

		must(buf_adds(
			&b,
			"{\"destination\": \"BUCKET\", \"namespace\": "
			"\"n\", \"bucketName\": \"b\", \"objectName\": \""));
		for (i = 0; i < OVFS_OBJECT_MAX - 1; i++)
			must(buf_addch(&b, 'o'));
		must(buf_adds(&b, "\"}"));
		is_int(model_backup_location_decode(b.buf, b.len, &loc, why,
						    sizeof(why)),
		       0, "1024-byte object name");
		buf_release(&b);
		must(buf_adds(
			&b,
			"{\"destination\": \"BUCKET\", \"namespace\": "
			"\"n\", \"bucketName\": \"b\", \"objectName\": \""));
		for (i = 0; i < OVFS_OBJECT_MAX; i++)
			must(buf_addch(&b, 'o'));
		must(buf_adds(&b, "\"}"));
		is_int(model_backup_location_decode(b.buf, b.len, &loc, why,
						    sizeof(why)),
		       -EINVAL, "1025-byte object name");
		buf_release(&b);
	}

	/* Hostile input from a user is -EINVAL too. */
	big = malloc(FIVE_MB + 64);
	snprintf(
		big, 64,
		"{\"destination\": \"PRE_AUTHENTICATED_REQUEST_URI\", \"uri\": \"");
	i = strlen(big);
	memset(big + i, 'u', FIVE_MB);
	memcpy(big + i + FIVE_MB, "\"}", 3);
	is_int(model_backup_location_decode(big, strlen(big), &loc, why,
					    sizeof(why)),
	       -EINVAL, "5 MB location refused");
	free(big);
	big = malloc(20001);
	memset(big, '{', 20000);
	big[20000] = '\0';
	is_int(model_backup_location_decode(big, 20000, &loc, why, sizeof(why)),
	       -EINVAL, "deep nesting refused");
	free(big);
}

static void test_backup_encode(void)
{
	struct oci_backup_location loc;
	struct oci_backup_location back;
	struct buf out = BUF_INIT(1 << 20);
	struct buf small = BUF_INIT(40);
	size_t i;

	memset(&loc, 0, sizeof(loc));
	loc.dest = OCI_BACKUP_BUCKET;
	memcpy(loc.namespace_name, "axaxnpcrorw5", 13);
	memcpy(loc.bucket, "key-backups", 12);
	memcpy(loc.object, "prod/\"quoted\" \xc3\xa9",
	       sizeof("prod/\"quoted\" \xc3\xa9"));
	is_int(model_backup_details_encode(&loc, -1, &out), 0, "encode bucket");
	is_str(out.buf,
	       "{\"backupLocation\":{\"destination\":\"BUCKET\",\"namespace\":"
	       "\"axaxnpcrorw5\",\"bucketName\":\"key-backups\",\"objectName\":"
	       "\"prod/\\\"quoted\\\" \xc3\xa9\"}}",
	       "BackupKeyDetails body");
	is_int(model_backup_location_decode(out.buf, out.len, &back, why,
					    sizeof(why)),
	       0, "encoded body decodes back");
	ok(!memcmp(&back, &loc, sizeof(loc)), "round trip is exact");

	buf_reset(&out);
	is_int(model_backup_details_encode(&loc, 1, &out), 0,
	       "encode with isIncludeKeys");
	ok(contains(out.buf, ",\"isIncludeKeys\":true}"), "isIncludeKeys true");
	buf_reset(&out);
	is_int(model_backup_details_encode(&loc, 0, &out), 0,
	       "encode with isIncludeKeys false");
	ok(contains(out.buf, ",\"isIncludeKeys\":false}"),
	   "isIncludeKeys false");

	memset(&loc, 0, sizeof(loc));
	loc.dest = OCI_BACKUP_PAR_URI;
	memcpy(loc.uri, "https://objectstorage.example.com/p/T0K/n/ns/b/b/o/o",
	       53);
	buf_reset(&out);
	is_int(buf_adds(&out, "prefix:"), 0, "out has content");
	is_int(model_backup_details_encode(&loc, -1, &out), 0, "encode PAR");
	is_str(out.buf,
	       "prefix:{\"backupLocation\":{\"destination\":"
	       "\"PRE_AUTHENTICATED_REQUEST_URI\",\"uri\":"
	       "\"https://objectstorage.example.com/p/T0K/n/ns/b/b/o/o\"}}",
	       "appends the PAR body");

	/* Worst-case escaping of a full-size field still fits. */
	for (i = 0; i < sizeof(loc.uri) - 1; i++)
		loc.uri[i] = 0x01;
	loc.uri[sizeof(loc.uri) - 1] = '\0';
	buf_reset(&out);
	is_int(model_backup_details_encode(&loc, 1, &out), 0,
	       "worst-case escaping");
	ok(contains(out.buf, "\\u0001\\u0001"), "escaped");

	is_int(model_backup_details_encode(&loc, -1, &small), -EMSGSIZE,
	       "output cap respected");
	is_int(small.len, 0, "capped output unchanged");

	memset(&loc, 0, sizeof(loc));
	loc.dest = OCI_BACKUP_PAR_URI;
	is_int(model_backup_details_encode(&loc, -1, &out), -EINVAL,
	       "empty uri refused");
	loc.dest = OCI_BACKUP_BUCKET;
	memcpy(loc.namespace_name, "n", 2);
	memcpy(loc.bucket, "b", 2);
	is_int(model_backup_details_encode(&loc, -1, &out), -EINVAL,
	       "empty object refused");
	memset(loc.object, 'o', sizeof(loc.object));
	is_int(model_backup_details_encode(&loc, -1, &out), -EINVAL,
	       "unterminated object refused");
	loc.dest = (enum oci_backup_dest)7;
	is_int(model_backup_details_encode(&loc, -1, &out), -EINVAL,
	       "unknown destination refused");
	is_int(model_backup_details_encode(NULL, -1, &out), -EINVAL,
	       "NULL location refused");

	buf_release(&out);
	buf_release(&small);
}

static void test_why_small(void)
{
	const struct spec *s = spec_of(K_KEYS);
	struct oci_key_list l = {0};
	char tiny[8], *e, *page;
	struct buf b = BUF_INIT(SIZE_MAX);
	int ret;

	e = build(s, false, NULL, "lifecycleState", "7", NULL);
	must(buf_addf(&b, "[%s]", e));
	page = b.buf;
	/* A bad element is skipped; its reason is cut to fit skips.why. */
	ret = model_keys_append(page, b.len, &l, tiny, sizeof(tiny));
	is_int(ret, 0, "bad element: skipped");
	is_str(l.skips.why, "[0].lifecycleState: not a string",
	       "reason kept in full");
	ret = model_keys_append(page, b.len, &l, NULL, 0);
	is_int(ret, 0, "NULL why buffer");
	is_int(l.skips.n, 2, "counted twice");
	ret = model_keys_append("{", 1, &l, tiny, sizeof(tiny));
	is_int(ret, -EPROTO, "small why buffer");
	is_int(strlen(tiny), 7, "why truncated, terminated");
	is_str(tiny, "invalid", "start kept");
	ret = model_keys_append("{", 1, &l, NULL, 0);
	is_int(ret, -EPROTO, "NULL why buffer");
	is_int(l.n, 0, "nothing appended");
	buf_release(&b);
	free(e);
}

/* ListObjects pages: objects appended, nextStartWith, bad entries skipped. */
static void test_objects(void)
{
	struct oci_object_list l = {0};
	char next[OVFS_OBJECT_MAX];
	size_t skipped = 0;
	const char *page =
		"{\"objects\": [{\"name\": \"a.backup\", \"size\": 12,"
		" \"timeCreated\": \"2026-12-03T10:00:00.123Z\"},"
		" {\"name\": \"b\\u0001x\"}, 7, {\"size\": 3},"
		" {\"name\": \"c\", \"size\": -1},"
		" {\"name\": \"d/e\"}],"
		" \"nextStartWith\": \"f\"}";

	is_int(model_objects_append(page, strlen(page), &l, next, sizeof(next),
				    &skipped, why, sizeof(why)),
	       0, "objects: page decoded");
	is_int((int)l.n, 2, "objects: the two good entries");
	is_int((int)skipped, 4, "objects: four bad entries skipped");
	is_str(l.v[0].name, "a.backup", "objects: name");
	ok(l.v[0].size == 12, "objects: size");
	is_str(l.v[0].time_created, "2026-12-03T10:00:00.123Z",
	       "objects: timeCreated");
	is_str(l.v[1].name, "d/e", "objects: a name with '/'");
	ok(l.v[1].size == -1 && !l.v[1].time_created[0],
	   "objects: absent fields");
	is_str(next, "f", "objects: nextStartWith");
	is_int(model_objects_append("{\"objects\": []}", 15, &l, next,
				    sizeof(next), NULL, why, sizeof(why)),
	       0, "objects: empty last page");
	is_str(next, "", "objects: no next page");
	is_int((int)l.n, 2, "objects: pages accumulate");
	is_int(model_objects_append("[]", 2, &l, next, sizeof(next), NULL, why,
				    sizeof(why)),
	       -EPROTO, "objects: not an object");
	is_int(model_objects_append("{\"objects\": {}}", 15, &l, next,
				    sizeof(next), NULL, why, sizeof(why)),
	       -EPROTO, "objects: objects not an array");
	is_str(why, "objects: not an array", "objects: reason");
	oci_object_list_release(&l);
	ok(!l.v && !l.n, "objects: released");
}

int main(void)
{
	test_specs();
	test_tenancy();
	test_compartment();
	test_vault();
	test_key();
	test_key_summary();
	test_work_request();
	test_bucket();
	test_objects();
	test_lists();
	test_all_lists();
	test_namespace();
	test_error_decode();
	test_backup_location();
	test_backup_encode();
	test_why_small();
	return done_testing();
}
