/* SPDX-License-Identifier: MIT */
/*
 * Fuzz every JSON decoder of fs/model.c (and json_parse() under it).  The
 * first byte of the input picks the decoder (modulo their number), the
 * rest is the response body; the seed files start with the byte of the
 * decoder whose real examples they are (tests/fuzz/corpus/model/).
 *
 * Invariants (include/model.h, include/json.h): results are 0, -EPROTO,
 * -EMSGSIZE or -ENOMEM (the backup location: -EINVAL); on failure a
 * resource is released (json NULL) and a list unchanged; on success every
 * string is NUL-terminated, OCIDs are OCIDs, machine strings have no
 * control characters, enums are [A-Za-z0-9_-]{1,63}, endpoints https
 * origins, numbers in range, `json` set; decoding a resource's own `json`
 * again gives the same resource; an error body never fails and its message
 * has no control characters; a backup location encodes and decodes back
 * to itself.
 */
#include <errno.h>
#include <math.h>

#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "model.h"
#include "oci_error.h"

static void check_ocid(const char *s, bool required, const char *what)
{
	FUZZ_CHECK(!(required && !s[0]), "%s missing", what);
	FUZZ_CHECK(!s[0] || json_is_ocid(s), "%s '%s' not an OCID", what, s);
}

static void check_machine(const char *s, const char *what)
{
	FUZZ_CHECK(!fuzz_has_ctl(s), "%s has a control character", what);
}

static void check_enum(const char *s, bool required, const char *what)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			     "abcdefghijklmnopqrstuvwxyz0123456789_-");

	FUZZ_CHECK(!(required && !s[0]), "%s missing", what);
	FUZZ_CHECK(!s[n] && n < 64, "%s '%s' not an enum", what, s);
}

static void check_time(const char *s, const char *what)
{
	/* RFC 3339: at least "YYYY-MM-DDTHH:MM:SSZ". */
	FUZZ_CHECK(!s[0] || (strlen(s) >= 20 && s[4] == '-' && s[7] == '-'),
		   "%s '%s' not a time", what, s);
	check_machine(s, what);
}

static void check_origin(const char *s, const char *what)
{
	const char *host = s + 8;

	if (!s[0])
		return;
	FUZZ_CHECK(!strncmp(s, "https://", 8), "%s '%s' not https", what, s);
	FUZZ_CHECK(!strpbrk(host, "@?#") &&
			   (!strchr(host, '/') || !strchr(host, '/')[1]),
		   "%s '%s' not an origin", what, s);
	check_machine(s, what);
}

/* Text fields: NUL-terminated (FUZZ_STR) and valid UTF-8 (json_parse()). */
static void check_text(const char *s, const char *what)
{
	FUZZ_CHECK(fuzz_valid_utf8(s), "%s not UTF-8", what);
}

static void check_json(const char *json)
{
	FUZZ_CHECK(json && json[0] && json[strlen(json) - 1] == '\n',
		   "json not kept");
}

static void check_tenancy(const struct oci_tenancy *t)
{
	FUZZ_STR(t->id);
	FUZZ_STR(t->name);
	FUZZ_STR(t->description);
	FUZZ_STR(t->home_region_key);
	check_ocid(t->id, false, "id"); /* optional in Tenancy */
	check_text(t->name, "name");
	check_text(t->description, "description");
	check_machine(t->home_region_key, "homeRegionKey");
	check_json(t->json);
}

static void check_compartment(const struct oci_compartment *c)
{
	FUZZ_STR(c->id);
	FUZZ_STR(c->compartment_id);
	FUZZ_STR(c->name);
	FUZZ_STR(c->description);
	FUZZ_STR(c->time_created);
	FUZZ_STR(c->lifecycle_state);
	check_ocid(c->id, true, "id");
	check_ocid(c->compartment_id, false, "compartmentId");
	check_text(c->name, "name");
	check_text(c->description, "description");
	check_time(c->time_created, "timeCreated");
	check_enum(c->lifecycle_state, false, "lifecycleState");
	FUZZ_CHECK(c->has_is_accessible || !c->is_accessible, "isAccessible");
	check_json(c->json);
}

static void check_vault(const struct oci_vault *v)
{
	FUZZ_STR(v->id);
	FUZZ_STR(v->compartment_id);
	FUZZ_STR(v->display_name);
	FUZZ_STR(v->crypto_endpoint);
	FUZZ_STR(v->management_endpoint);
	FUZZ_STR(v->lifecycle_state);
	FUZZ_STR(v->vault_type);
	FUZZ_STR(v->time_created);
	FUZZ_STR(v->wrappingkey_id);
	FUZZ_STR(v->time_of_deletion);
	FUZZ_STR(v->restored_from_vault_id);
	check_ocid(v->id, true, "id");
	check_ocid(v->compartment_id, false, "compartmentId");
	check_text(v->display_name, "displayName");
	check_origin(v->crypto_endpoint, "cryptoEndpoint");
	check_origin(v->management_endpoint, "managementEndpoint");
	check_enum(v->lifecycle_state, false, "lifecycleState");
	check_enum(v->vault_type, false, "vaultType");
	check_time(v->time_created, "timeCreated");
	check_ocid(v->wrappingkey_id, false, "wrappingkeyId");
	check_time(v->time_of_deletion, "timeOfDeletion");
	check_ocid(v->restored_from_vault_id, false, "restoredFromVaultId");
	FUZZ_CHECK(v->has_is_primary || !v->is_primary, "isPrimary");
	if (v->summary)
		FUZZ_CHECK(!v->wrappingkey_id[0] && !v->time_of_deletion[0],
			   "summary with Vault-only fields");
	check_json(v->json);
}

static void check_key(const struct oci_key *k)
{
	FUZZ_STR(k->id);
	FUZZ_STR(k->compartment_id);
	FUZZ_STR(k->vault_id);
	FUZZ_STR(k->display_name);
	FUZZ_STR(k->lifecycle_state);
	FUZZ_STR(k->protection_mode);
	FUZZ_STR(k->algorithm);
	FUZZ_STR(k->time_created);
	FUZZ_STR(k->current_key_version);
	FUZZ_STR(k->curve_id);
	FUZZ_STR(k->time_of_deletion);
	FUZZ_STR(k->restored_from_key_id);
	check_ocid(k->id, true, "id");
	check_ocid(k->compartment_id, false, "compartmentId");
	check_ocid(k->vault_id, false, "vaultId");
	check_text(k->display_name, "displayName");
	check_enum(k->lifecycle_state, false, "lifecycleState");
	check_enum(k->protection_mode, false, "protectionMode");
	check_enum(k->algorithm, false, "algorithm");
	check_time(k->time_created, "timeCreated");
	check_ocid(k->current_key_version, false, "currentKeyVersion");
	FUZZ_CHECK(k->length == 0 || (k->length >= 1 && k->length <= 65536),
		   "length %lld", (long long)k->length);
	check_enum(k->curve_id, false, "curveId");
	check_time(k->time_of_deletion, "timeOfDeletion");
	check_ocid(k->restored_from_key_id, false, "restoredFromKeyId");
	FUZZ_CHECK(k->has_is_primary || !k->is_primary, "isPrimary");
	if (k->summary)
		FUZZ_CHECK(!k->current_key_version[0] && !k->length,
			   "summary with Key-only fields");
	check_json(k->json);
}

static void check_key_version(const struct oci_key_version *kv)
{
	FUZZ_STR(kv->id);
	FUZZ_STR(kv->key_id);
	FUZZ_STR(kv->compartment_id);
	FUZZ_STR(kv->vault_id);
	FUZZ_STR(kv->origin);
	FUZZ_STR(kv->time_created);
	FUZZ_STR(kv->lifecycle_state);
	FUZZ_STR(kv->time_of_deletion);
	check_ocid(kv->id, true, "id");
	check_ocid(kv->key_id, false, "keyId");
	check_ocid(kv->compartment_id, false, "compartmentId");
	check_ocid(kv->vault_id, false, "vaultId");
	check_enum(kv->origin, false, "origin");
	check_time(kv->time_created, "timeCreated");
	check_enum(kv->lifecycle_state, false, "lifecycleState");
	check_time(kv->time_of_deletion, "timeOfDeletion");
	check_json(kv->json);
}

static void check_work_request(const struct oci_work_request *w)
{
	FUZZ_STR(w->id);
	FUZZ_STR(w->operation_type);
	FUZZ_STR(w->status);
	FUZZ_STR(w->compartment_id);
	FUZZ_STR(w->time_accepted);
	FUZZ_STR(w->time_started);
	FUZZ_STR(w->time_finished);
	check_ocid(w->id, true, "id");
	check_machine(w->operation_type, "operationType");
	check_enum(w->status, false, "status");
	check_ocid(w->compartment_id, false, "compartmentId");
	FUZZ_CHECK(w->percent_complete >= 0 && w->percent_complete <= 100,
		   "percentComplete %g", w->percent_complete);
	check_time(w->time_accepted, "timeAccepted");
	check_time(w->time_started, "timeStarted");
	check_time(w->time_finished, "timeFinished");
	FUZZ_CHECK(w->nresources <= OCI_WR_RESOURCES_MAX, "nresources %zu",
		   w->nresources);
	for (size_t i = 0; i < w->nresources; i++) {
		const struct oci_wr_resource *r = &w->resources[i];

		FUZZ_STR(r->action_type);
		FUZZ_STR(r->entity_type);
		FUZZ_STR(r->identifier);
		FUZZ_STR(r->entity_uri);
		check_machine(r->action_type, "actionType");
		check_machine(r->entity_type, "entityType");
		check_ocid(r->identifier, false, "identifier");
		check_machine(r->entity_uri, "entityUri");
	}
	check_json(w->json);
}

static void check_wr_error(const struct oci_wr_error *e)
{
	FUZZ_STR(e->code);
	FUZZ_STR(e->message);
	FUZZ_STR(e->timestamp);
	check_text(e->message, "message");
	check_time(e->timestamp, "timestamp");
}

static void check_bucket(const struct oci_bucket *b)
{
	FUZZ_STR(b->namespace_name);
	FUZZ_STR(b->name);
	FUZZ_STR(b->compartment_id);
	FUZZ_STR(b->created_by);
	FUZZ_STR(b->time_created);
	FUZZ_STR(b->etag);
	FUZZ_CHECK(b->name[0], "bucket without a name");
	check_machine(b->namespace_name, "namespace");
	check_machine(b->name, "name");
	check_ocid(b->compartment_id, false, "compartmentId");
	check_ocid(b->created_by, false, "createdBy");
	check_time(b->time_created, "timeCreated");
	check_machine(b->etag, "etag");
	check_json(b->json);
}

static void check_object(const struct oci_object_summary *o)
{
	FUZZ_STR(o->name);
	FUZZ_STR(o->time_created);
	FUZZ_CHECK(o->name[0], "object without a name");
	FUZZ_CHECK(o->size >= -1, "size %lld", (long long)o->size);
	check_time(o->time_created, "timeCreated");
}

static void check_ret(int ret, const char *why)
{
	FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -EMSGSIZE ||
			   ret == -ENOMEM,
		   "ret %d", ret);
	if (ret)
		FUZZ_CHECK(why[0], "no reason for %d", ret);
}

/*
 * Decode one resource; on success check it, decode its own `json` again
 * and compare (with `json` pointers set aside).
 */
#define SINGLE(type, decode, check, release)                            \
	static void single_##type(const char *text, size_t len)         \
	{                                                               \
		struct type *a = calloc(2, sizeof(*a));                 \
		char why[512] = "";                                     \
		char *ja, *jb;                                          \
		int ret;                                                \
                                                                        \
		if (!a)                                                 \
			abort();                                        \
		ret = decode(text, len, &a[0], why, sizeof(why));       \
		check_ret(ret, why);                                    \
		FUZZ_STR(why);                                          \
		if (ret) {                                              \
			FUZZ_CHECK(!a[0].json, "json kept on failure"); \
			goto out;                                       \
		}                                                       \
		check(&a[0]);                                           \
		ret = decode(a[0].json, strlen(a[0].json), &a[1], why,  \
			     sizeof(why));                              \
		FUZZ_CHECK(ret == 0 || ret == -ENOMEM,                  \
			   "own json does not decode: %s", why);        \
		if (!ret) {                                             \
			ja = a[0].json, jb = a[1].json;                 \
			a[0].json = a[1].json = NULL;                   \
			FUZZ_CHECK(!memcmp(&a[0], &a[1], sizeof(a[0])), \
				   "decode(json) differs");             \
			a[0].json = ja, a[1].json = jb;                 \
		}                                                       \
out:                                                                    \
		release(&a[0]);                                         \
		release(&a[1]);                                         \
		free(a);                                                \
	}

SINGLE(oci_tenancy, model_tenancy_decode, check_tenancy, model_tenancy_release)
SINGLE(oci_compartment, model_compartment_decode, check_compartment,
       model_compartment_release)
SINGLE(oci_vault, model_vault_decode, check_vault, model_vault_release)
SINGLE(oci_key, model_key_decode, check_key, model_key_release)
SINGLE(oci_work_request, model_work_request_decode, check_work_request,
       model_work_request_release)

/*
 * Append a page to a list that already holds one element (a page before),
 * twice: the first element is kept, a failure appends nothing, the same
 * page appends the same number of elements again.
 */
#define LIST(name, type, append, check, release)                               \
	static void list_##name(const char *text, size_t len)                  \
	{                                                                      \
		struct type l = {0};                                           \
		char why[512] = "";                                            \
		size_t n1;                                                     \
		int ret;                                                       \
                                                                               \
		ret = append(text, len, &l, why, sizeof(why));                 \
		check_ret(ret, why);                                           \
		FUZZ_STR(why);                                                 \
		if (ret) {                                                     \
			FUZZ_CHECK(l.n == 0, "failure appended %zu", l.n);     \
			goto out;                                              \
		}                                                              \
		n1 = l.n;                                                      \
		FUZZ_CHECK(n1 <= l.alloc || !l.n, "n %zu alloc %zu", l.n,      \
			   l.alloc);                                           \
		for (size_t i = 0; i < l.n; i++)                               \
			check(&l.v[i]);                                        \
		ret = append(text, len, &l, why, sizeof(why));                 \
		FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "second page %d", ret); \
		if (!ret)                                                      \
			FUZZ_CHECK(l.n == 2 * n1, "second page: %zu of %zu",   \
				   l.n, 2 * n1);                               \
		else                                                           \
			FUZZ_CHECK(l.n == n1, "failed page appended");         \
out:                                                                           \
		release(&l);                                                   \
		release(&l);                                                   \
		FUZZ_CHECK(!l.v && !l.n, "released list not empty");           \
	}

LIST(compartments, oci_compartment_list, model_compartments_append,
     check_compartment, oci_compartment_list_release)
LIST(vaults, oci_vault_list, model_vaults_append, check_vault,
     oci_vault_list_release)
LIST(keys, oci_key_list, model_keys_append, check_key, oci_key_list_release)
LIST(key_versions, oci_key_version_list, model_key_versions_append,
     check_key_version, oci_key_version_list_release)
LIST(work_requests, oci_work_request_list, model_work_requests_append,
     check_work_request, oci_work_request_list_release)
LIST(wr_errors, oci_wr_error_list, model_wr_errors_append, check_wr_error,
     oci_wr_error_list_release)
LIST(buckets, oci_bucket_list, model_buckets_append, check_bucket,
     oci_bucket_list_release)

static void objects(const char *text, size_t len)
{
	struct oci_object_list l = {0};
	char next[OVFS_OBJECT_MAX];
	char why[512] = "";
	size_t skipped = 0;
	int ret;

	memset(next, 'x', sizeof(next));
	ret = model_objects_append(text, len, &l, next, sizeof(next), &skipped,
				   why, sizeof(why));
	check_ret(ret, why);
	FUZZ_STR(why);
	if (ret) {
		FUZZ_CHECK(l.n == 0, "failure appended %zu", l.n);
		goto out;
	}
	FUZZ_STR(next);
	check_machine(next, "nextStartWith");
	for (size_t i = 0; i < l.n; i++)
		check_object(&l.v[i]);
out:
	oci_object_list_release(&l);
}

static void ns(const char *text, size_t len)
{
	char out[OVFS_NS_MAX];
	char why[256] = "";
	int ret;

	memset(out, 'x', sizeof(out));
	ret = model_namespace_decode(text, len, out, sizeof(out), why,
				     sizeof(why));
	check_ret(ret, why);
	FUZZ_STR(out);
	if (!ret)
		FUZZ_CHECK(out[0] &&
				   strspn(out, "abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789_-.") == strlen(out),
			   "namespace '%s'", out);
	else
		FUZZ_CHECK(!out[0], "namespace set on failure");
}

static void error_body(const char *text, size_t len)
{
	struct oci_error e;

	memset(&e, 0, sizeof(e));
	e.http_status = 409;
	model_error_decode(text, len, &e);
	FUZZ_STR(e.code);
	FUZZ_STR(e.message);
	FUZZ_CHECK(e.http_status == 409 && !e.request_id[0] && !e.attempts,
		   "touched more than code and message");
	FUZZ_CHECK(e.code[0], "no code");
	FUZZ_CHECK(e.message[0] || strcmp(e.code, "BadErrorResponse"),
		   "neither code nor message");
	check_machine(e.code, "code");
	check_machine(e.message, "message");
	check_text(e.message, "message");
}

static void backup_location(const char *text, size_t len)
{
	struct oci_backup_location a, b;
	struct buf enc = BUF_INIT_SECRET(64 * 1024);
	char why[512] = "";
	int ret;

	memset(&a, 0xa5, sizeof(a));
	ret = model_backup_location_decode(text, len, &a, why, sizeof(why));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM, "ret %d", ret);
	FUZZ_STR(why);
	if (ret) {
		FUZZ_CHECK(why[0], "no reason");
		return;
	}
	FUZZ_STR(a.namespace_name);
	FUZZ_STR(a.bucket);
	FUZZ_STR(a.object);
	FUZZ_STR(a.uri);
	if (a.dest == OCI_BACKUP_BUCKET) {
		FUZZ_CHECK(a.namespace_name[0] && a.bucket[0] && a.object[0],
			   "empty bucket location field");
		check_machine(a.namespace_name, "namespace");
		check_machine(a.bucket, "bucketName");
		check_machine(a.object, "objectName");
	} else {
		FUZZ_CHECK(a.dest == OCI_BACKUP_PAR_URI, "dest %d", a.dest);
		FUZZ_CHECK(a.uri[0], "empty uri");
		check_machine(a.uri, "uri");
	}
	ret = model_backup_details_encode(&a, -1, &enc);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "encode %d", ret);
	if (ret)
		goto out;
	memset(&b, 0, sizeof(b));
	ret = model_backup_location_decode(enc.buf, enc.len, &b, why,
					   sizeof(why));
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "decode(encode) %d: %s", ret,
		   why);
	if (!ret)
		FUZZ_CHECK(
			a.dest == b.dest &&
				!strcmp(a.namespace_name, b.namespace_name) &&
				!strcmp(a.bucket, b.bucket) &&
				!strcmp(a.object, b.object) &&
				!strcmp(a.uri, b.uri),
			"decode(encode) differs");
out:
	buf_wipe_release(&enc);
}

/* Strict JSON: what parses prints and parses again to the same text. */
static void json_round_trip(const char *text, size_t len)
{
	struct cJSON *a = NULL, *b = NULL;
	char why[256] = "";
	char *pa = NULL, *pb = NULL;
	int ret;

	ret = json_parse(text, len, 1u << 20, &a, why, sizeof(why));
	FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -EMSGSIZE ||
			   ret == -ENOMEM,
		   "ret %d", ret);
	if (ret) {
		FUZZ_CHECK(!a && why[0],
			   "failure without reason or with a tree");
		return;
	}
	pa = json_print(a);
	if (!pa)
		goto out;
	ret = json_parse(pa, strlen(pa), 1u << 22, &b, why, sizeof(why));
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "printed JSON refused: %s", why);
	if (ret)
		goto out;
	pb = json_print(b);
	if (pb)
		FUZZ_CHECK(!strcmp(pa, pb), "print(parse(print(x))) differs");
out:
	free(pa);
	free(pb);
	json_free(a);
	json_free(b);
}

typedef void (*decoder_fn)(const char *text, size_t len);

static const decoder_fn decoders[] = {
	single_oci_tenancy, /* 0 */
	single_oci_compartment, /* 1 */
	single_oci_vault, /* 2 */
	single_oci_key, /* 3 */
	single_oci_work_request, /* 4 */
	list_compartments, /* 5 */
	list_vaults, /* 6 */
	list_keys, /* 7 */
	list_key_versions, /* 8 */
	list_work_requests, /* 9 */
	list_wr_errors, /* 10 */
	list_buckets, /* 11 */
	objects, /* 12 */
	ns, /* 13 */
	error_body, /* 14 */
	backup_location, /* 15 */
	json_round_trip, /* 16 */
};

#define NDECODERS (sizeof(decoders) / sizeof(decoders[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || size > 256 * 1024)
		return 0;
	/* A copy of exactly the body's size, so that ASan sees any read
	 * past it (the decoders take a length, not a C string). */
	text = malloc(size - 1 ? size - 1 : 1);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	decoders[data[0] % NDECODERS](text, size - 1);
	free(text);
	return 0;
}
