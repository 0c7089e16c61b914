/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/sign.c: OCI request signing, signer setup, tty prompt. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "crypto.h"
#include "profile.h"
#include "sign.h"
#include "tap.h"
#include "testutil.h"

/* OCI's published test key and vectors (docs/internals/OCI-API.md §9). */
static const char vector_key[] =
	"-----BEGIN RSA PRIVATE KEY-----\n"
	"MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF\n"
	"NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F\n"
	"UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB\n"
	"AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA\n"
	"QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK\n"
	"kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg\n"
	"f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u\n"
	"412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc\n"
	"mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7\n"
	"kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA\n"
	"gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW\n"
	"G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI\n"
	"7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==\n"
	"-----END RSA PRIVATE KEY-----\n";

#define TENANCY \
	"ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq"
#define USER \
	"ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq"
#define FPRINT "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
#define KEY_ID TENANCY "/" USER "/" FPRINT
#define DATE "Thu, 05 Jan 2014 21:31:40 GMT"

#define A_TARGET \
	"/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q"
#define HOST "iaas.us-phoenix-1.oraclecloud.com"

static const char a_string[] = "date: " DATE "\n"
			       "(request-target): get " A_TARGET "\n"
			       "host: " HOST;
#define A_SIG \
	"GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M="
static const char a_auth[] =
	"Signature version=\"1\",headers=\"date (request-target) host\",keyId=\"" KEY_ID
	"\",algorithm=\"rsa-sha256\",signature=\"" A_SIG "\"";

static const char b_body[] =
	"{\n"
	"    \"compartmentId\": \"ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa\",\n"
	"    \"instanceId\": \"ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a\",\n"
	"    \"volumeId\": \"ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\"\n"
	"}";
#define B_SHA "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0="
static const char b_string[] =
	"date: " DATE "\n"
	"(request-target): post /20160918/volumeAttachments\n"
	"host: " HOST "\n"
	"content-length: 316\n"
	"content-type: application/json\n"
	"x-content-sha256: " B_SHA;
#define B_SIG \
	"Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso="
static const char b_auth[] =
	"Signature version=\"1\",headers=\"date (request-target) host content-length content-type x-content-sha256\",keyId=\"" KEY_ID
	"\",algorithm=\"rsa-sha256\",signature=\"" B_SIG "\"";

#define EMPTY_SHA "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static void write_file(const char *name, const char *text, mode_t mode)
{
	FILE *f = fopen(path_of(name), "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path_of(name), mode);
}

static struct crypto_key *vector(void)
{
	struct crypto_key *k = NULL;
	char why[256];

	if (crypto_key_load_pem(&k, vector_key, strlen(vector_key), NULL, why,
				sizeof(why)))
		printf("# cannot load the vector key: %s\n", why);
	return k;
}

/* The signature="..." value of an Authorization header. */
static const char *sig_of(const char *auth, char *out, size_t n)
{
	const char *p = strstr(auth, "signature=\"");
	const char *e;

	out[0] = '\0';
	if (!p)
		return out;
	p += 11;
	e = strchr(p, '"');
	if (e && (size_t)(e - p) < n) {
		memcpy(out, p, (size_t)(e - p));
		out[e - p] = '\0';
	}
	return out;
}

/* Sign `req`, then check the signing string and that the signature verifies. */
static void check_request(struct signer *s, const struct sign_request *req,
			  const char *want_string, const char *want_headers,
			  const char *want_sha, const char *what)
{
	struct buf str = BUF_INIT(65536), hdrs = BUF_INIT(1024);
	char sha[CRYPTO_SHA256_B64_LEN] = "junk";
	char sig[1024], want_hdr_param[256];
	struct sign_result res;
	int ret;

	ret = sign_build_string(req, &str, &hdrs, sha);
	is_int(ret, 0, "%s: signing string built", what);
	is_str(str.buf, want_string, "%s: signing string", what);
	is_str(hdrs.buf, want_headers, "%s: header list", what);
	is_str(sha, want_sha, "%s: x-content-sha256", what);

	sign_result_init(&res);
	ret = sign_request(s, req, &res);
	is_int(ret, 0, "%s: signed", what);
	is_str(res.x_content_sha256, want_sha, "%s: result sha", what);
	is_int(res.body_headers, want_sha[0] != '\0', "%s: body_headers", what);
	snprintf(want_hdr_param, sizeof(want_hdr_param), "headers=\"%s\"",
		 want_headers);
	ok(strstr(res.authorization.buf, want_hdr_param) != NULL,
	   "%s: Authorization lists the headers", what);
	ok(!strncmp(res.authorization.buf, "Signature version=\"1\",", 22),
	   "%s: Authorization scheme and version", what);
	is_int(crypto_verify_rsa_sha256(
		       s->key, str.buf, str.len,
		       sig_of(res.authorization.buf, sig, sizeof(sig))),
	       0, "%s: signature verifies over the signing string", what);
	sign_result_release(&res);
	is_int(res.authorization.len, 0, "%s: result released", what);
	buf_release(&str);
	buf_release(&hdrs);
}

static void test_vectors(void)
{
	struct sign_request req = {0};
	struct sign_result res;
	struct signer s = {0};
	int ret;

	ret = sign_signer_init_key(&s, vector(), KEY_ID);
	is_int(ret, 0, "signer from the vector key");
	if (ret)
		return;
	sign_result_init(&res);

	/* vector A: GET with a query string */
	req.method = "GET";
	req.target = A_TARGET;
	req.host = HOST;
	req.date = DATE;
	check_request(&s, &req, a_string, "date (request-target) host", "",
		      "vector A");
	ret = sign_request(&s, &req, &res);
	is_int(ret, 0, "vector A signed");
	is_str(res.authorization.buf, a_auth,
	       "vector A Authorization byte for byte");

	/* method case does not matter */
	req.method = "get";
	ret = sign_request(&s, &req, &res);
	is_str(res.authorization.buf, a_auth,
	       "lower-case 'get' gives vector A");
	req.method = "gEt";
	ret = sign_request(&s, &req, &res);
	is_str(res.authorization.buf, a_auth,
	       "mixed-case 'gEt' gives vector A");

	/* vector B: POST with a JSON body */
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.target = "/20160918/volumeAttachments";
	req.host = HOST;
	req.date = DATE;
	req.body = b_body;
	req.body_len = strlen(b_body);
	is_int(req.body_len, 316, "vector B body is 316 bytes");
	check_request(
		&s, &req, b_string,
		"date (request-target) host content-length content-type x-content-sha256",
		B_SHA, "vector B");
	ret = sign_request(&s, &req, &res);
	is_int(ret, 0, "vector B signed");
	is_str(res.authorization.buf, b_auth,
	       "vector B Authorization byte for byte");
	is_str(res.x_content_sha256, B_SHA, "vector B x-content-sha256");
	/* explicit content type gives the same result */
	req.content_type = "application/json";
	req.method = "post";
	sign_request(&s, &req, &res);
	is_str(res.authorization.buf, b_auth,
	       "'post' with explicit application/json gives vector B");

	/* host with port (Go SDK test) */
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.target = "/api";
	req.host = "localhost:7000";
	req.date = DATE;
	check_request(&s, &req,
		      "date: " DATE
		      "\n(request-target): get /api\nhost: localhost:7000",
		      "date (request-target) host", "", "localhost:7000");

	/* POST with an empty body still signs the body headers */
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.target =
		"/20180608/vaults/ocid1.vault.oc1..x/actions/cancelDeletion";
	req.host = "kms.us-ashburn-1.oraclecloud.com";
	req.date = DATE;
	check_request(
		&s, &req,
		"date: " DATE
		"\n(request-target): post /20180608/vaults/ocid1.vault.oc1..x/actions/cancelDeletion\n"
		"host: kms.us-ashburn-1.oraclecloud.com\ncontent-length: 0\ncontent-type: application/json\n"
		"x-content-sha256: " EMPTY_SHA,
		"date (request-target) host content-length content-type x-content-sha256",
		EMPTY_SHA, "POST empty body");
	req.body = "";
	check_request(
		&s, &req,
		"date: " DATE
		"\n(request-target): post /20180608/vaults/ocid1.vault.oc1..x/actions/cancelDeletion\n"
		"host: kms.us-ashburn-1.oraclecloud.com\ncontent-length: 0\ncontent-type: application/json\n"
		"x-content-sha256: " EMPTY_SHA,
		"date (request-target) host content-length content-type x-content-sha256",
		EMPTY_SHA, "POST \"\" body");

	/* PUT: body headers unless no_body_headers (PutObject) */
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.target = "/n/ns/b/backups/o/key%201.backup";
	req.host = "127.0.0.1:8443";
	req.date = DATE;
	req.body = "abc";
	req.body_len = 3;
	req.content_type = "application/octet-stream";
	check_request(
		&s, &req,
		"date: " DATE
		"\n(request-target): put /n/ns/b/backups/o/key%201.backup\n"
		"host: 127.0.0.1:8443\ncontent-length: 3\ncontent-type: application/octet-stream\n"
		"x-content-sha256: ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
		"date (request-target) host content-length content-type x-content-sha256",
		"ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", "PUT");
	req.no_body_headers = true;
	check_request(
		&s, &req,
		"date: " DATE
		"\n(request-target): put /n/ns/b/backups/o/key%201.backup\n"
		"host: 127.0.0.1:8443",
		"date (request-target) host", "", "PUT no_body_headers");
	req.method = "pAtCh";
	req.no_body_headers = false;
	req.content_type = NULL;
	check_request(
		&s, &req,
		"date: " DATE
		"\n(request-target): patch /n/ns/b/backups/o/key%201.backup\n"
		"host: 127.0.0.1:8443\ncontent-length: 3\ncontent-type: application/json\n"
		"x-content-sha256: ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
		"date (request-target) host content-length content-type x-content-sha256",
		"ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", "PATCH");

	/* generic methods never sign a body */
	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.target = "/x?a=1&b=2";
	req.host = "h";
	req.date = DATE;
	check_request(&s, &req,
		      "date: " DATE
		      "\n(request-target): delete /x?a=1&b=2\nhost: h",
		      "date (request-target) host", "", "DELETE");
	req.method = "head";
	check_request(&s, &req,
		      "date: " DATE
		      "\n(request-target): head /x?a=1&b=2\nhost: h",
		      "date (request-target) host", "", "HEAD");

	sign_result_release(&res);
	sign_signer_release(&s);
	ok(s.key == NULL && s.key_id == NULL, "signer released");
	sign_signer_release(&s);
}

static void test_method_has_body(void)
{
	ok(sign_method_has_body("POST"), "POST has a body");
	ok(sign_method_has_body("put"), "put has a body");
	ok(sign_method_has_body("Patch"), "Patch has a body");
	ok(!sign_method_has_body("GET"), "GET has none");
	ok(!sign_method_has_body("HEAD"), "HEAD has none");
	ok(!sign_method_has_body("DELETE"), "DELETE has none");
	ok(!sign_method_has_body("POSTX"), "POSTX has none");
	ok(!sign_method_has_body(NULL), "NULL has none");
}

static void test_session_token_and_errors(void)
{
	struct sign_request req = {0};
	struct buf str = BUF_INIT(4096), hdrs = BUF_INIT(256);
	struct sign_result res;
	struct signer s = {0};
	char sig[1024];
	int ret;

	ret = sign_signer_init_key(
		&s, vector(), "ST$eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln");
	is_int(ret, 0, "signer with a session token keyId");
	req.method = "GET";
	req.target = "/20160918/tenancies/ocid1.tenancy.oc1..x";
	req.host = "identity.us-ashburn-1.oci.oraclecloud.com";
	req.date = DATE;
	sign_result_init(&res);
	ret = sign_request(&s, &req, &res);
	is_int(ret, 0, "signed with ST$ keyId");
	ok(strstr(res.authorization.buf,
		  ",keyId=\"ST$eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\",") !=
		   NULL,
	   "keyId is ST$<token>");
	sign_build_string(&req, &str, &hdrs, NULL);
	is_int(crypto_verify_rsa_sha256(
		       s.key, str.buf, str.len,
		       sig_of(res.authorization.buf, sig, sizeof(sig))),
	       0, "ST$ signature verifies");

	/*
	 * The (request-target) is the path exactly as sent: percent-escapes
	 * kept as they are (not decoded, not re-encoded), dot segments kept.
	 */
	{
		static const char *const t[] = {
			"/n/ns/b/bk/o/100%25/my%20key/%C3%BC/../a.b",
			"/n/ns/b/bk/o/x/../y",
			"/n/ns/b/bk/o/a/./b//c?prefix=a%20b%2F..&limit=1",
		};
		char want[256];

		req.method = "HEAD";
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			req.target = t[i];
			is_int(sign_build_string(&req, &str, &hdrs, NULL), 0,
			       "signing string for '%s'", t[i]);
			snprintf(want, sizeof(want),
				 "\n(request-target): head %s\n", t[i]);
			ok(strstr(str.buf, want) != NULL,
			   "'%s' is signed as sent", t[i]);
		}
		req.method = "GET";
	}

	/* malformed requests */
	req.target = "no-slash";
	is_int(sign_request(&s, &req, &res), -EINVAL,
	       "target must start with /");
	is_int(res.authorization.len, 0, "no Authorization on failure");
	req.target = "/a\nb";
	is_int(sign_request(&s, &req, &res), -EINVAL, "newline in target");
	req.target = "/";
	req.host = "h\r\nx-evil: 1";
	is_int(sign_request(&s, &req, &res), -EINVAL, "CR LF in host");
	req.host = "";
	is_int(sign_request(&s, &req, &res), -EINVAL, "empty host");
	req.host = "h";
	req.date = NULL;
	is_int(sign_request(&s, &req, &res), -EINVAL, "no date");
	req.date = DATE;
	req.method = "GET /x";
	is_int(sign_request(&s, &req, &res), -EINVAL, "space in method");
	req.method = "";
	is_int(sign_request(&s, &req, &res), -EINVAL, "empty method");
	req.method = "POST";
	req.body_len = 5;
	is_int(sign_request(&s, &req, &res), -EINVAL, "NULL body with length");
	req.body_len = 0;
	req.content_type = "text/plain\nx: y";
	is_int(sign_request(&s, &req, &res), -EINVAL,
	       "newline in content type");
	req.content_type = NULL;
	is_int(sign_request(&s, &req, &res), 0, "and valid again");
	is_int(sign_request(NULL, &req, &res), -EINVAL, "no signer");

	sign_signer_release(&s);
	is_int(sign_signer_init_key(&s, vector(), "a\"b"), -EINVAL,
	       "quote in keyId refused (key freed)");
	is_int(sign_signer_init_key(&s, vector(), ""), -EINVAL,
	       "empty keyId refused");
	is_int(sign_signer_init_key(&s, NULL, "x"), -EINVAL, "no key refused");
	ok(s.key == NULL && s.key_id == NULL, "signer empty after failure");
	sign_result_release(&res);
	buf_release(&str);
	buf_release(&hdrs);
}

/* Logger that keeps the last warning. */
struct capture {
	int count;
	char last[2048];
};

static void capture_fn(void *arg, int level, const char *msg)
{
	struct capture *c = arg;

	if (level > LOG_WARNING)
		return;
	c->count++;
	snprintf(c->last, sizeof(c->last), "%s", msg);
}

static int fake_ask(void *arg, const char *key_path, char *out, size_t n)
{
	int *calls = arg;

	(void)key_path;
	(*calls)++;
	snprintf(out, n, "%s", "pw-123");
	return 6;
}

static void test_signer_init(void)
{
	struct capture cap = {0};
	struct logger lg = {capture_fn, &cap, LOG_DEBUG};
	struct profile p = PROFILE_INIT;
	struct crypto_key *k = NULL;
	struct signer s = {0};
	char fp[CRYPTO_FINGERPRINT_LEN], why[1024];
	char keyid[512], key_pem[512], enc_pem[512], token[512];
	int ret, calls = 0;

	ok(!tmpdir_make("sign"), "temp dir");
	ret = run(
		"cd '%s' && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null && "
		"openssl pkcs8 -topk8 -in key.pem -v2 aes-256-cbc -passout pass:pw-123 -out enc.pem",
		tmpdir);
	is_int(ret, 0, "generated a 2048-bit PKCS#8 key");
	if (ret)
		return;
	snprintf(key_pem, sizeof(key_pem), "%s", path_of("key.pem"));
	snprintf(enc_pem, sizeof(enc_pem), "%s", path_of("enc.pem"));
	snprintf(token, sizeof(token), "%s", path_of("token"));
	chmod(key_pem, 0600);
	chmod(enc_pem, 0600);
	crypto_key_load(&k, key_pem, NULL, NULL, NULL, why, sizeof(why));
	crypto_key_fingerprint(k, fp);
	crypto_key_free(k);

	p.name = "DEFAULT";
	p.tenancy = TENANCY;
	p.user = USER;
	p.fingerprint = fp;
	p.key_file = key_pem;
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, 0, "signer from a profile");
	snprintf(keyid, sizeof(keyid), "%s/%s/%s", TENANCY, USER, fp);
	is_str(s.key_id, keyid, "keyId is tenancy/user/fingerprint");
	is_int(cap.count, 0, "no warning for a 0600 key with its fingerprint");
	{
		struct sign_request req = {.method = "POST",
					   .target = "/x",
					   .host = "h",
					   .date = DATE,
					   .body = "{}",
					   .body_len = 2};
		check_request(
			&s, &req,
			"date: " DATE "\n(request-target): post /x\nhost: h\n"
			"content-length: 2\ncontent-type: application/json\n"
			"x-content-sha256: RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=",
			"date (request-target) host content-length content-type x-content-sha256",
			"RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=",
			"2048-bit PKCS#8 POST");
	}
	sign_signer_release(&s);

	/* group/other readable key: a warning, not an error */
	chmod(key_pem, 0644);
	cap.count = 0;
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, 0, "0644 key still loads");
	is_int(cap.count, 1, "one warning for a 0644 key");
	ok(strstr(cap.last, "accessible by group or others (mode 0644)") &&
		   strstr(cap.last, "chmod 600") && strstr(cap.last, key_pem),
	   "warning: %s", cap.last);
	sign_signer_release(&s);
	chmod(key_pem, 0640);
	cap.count = 0;
	sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(cap.count, 1, "one warning for a 0640 key");
	sign_signer_release(&s);
	chmod(key_pem, 0600);

	/* a fingerprint that is not the key's */
	p.fingerprint = FPRINT;
	cap.count = 0;
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, 0, "mismatched fingerprint still loads");
	is_int(cap.count, 1, "one warning for a mismatched fingerprint");
	ok(strstr(cap.last, "does not match key file") && strstr(cap.last, fp),
	   "warning: %s", cap.last);
	sign_signer_release(&s);
	p.fingerprint = fp;

	/* encrypted key: pass_phrase, ask, nothing */
	p.key_file = enc_pem;
	p.pass_phrase = "pw-123";
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, 0, "encrypted key with pass_phrase");
	sign_signer_release(&s);
	/* a pass_phrase in a config file others can read: a warning */
	{
		char cfg[512];
		FILE *f;

		snprintf(cfg, sizeof(cfg), "%s", path_of("config"));
		f = fopen(cfg, "w");
		ok(f != NULL, "config file written");
		if (f)
			fclose(f);
		p.path = cfg;
		chmod(cfg, 0600);
		cap.count = 0;
		ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why,
				       sizeof(why));
		is_int(cap.count, 0, "no warning for a 0600 config file");
		sign_signer_release(&s);
		chmod(cfg, 0644);
		ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why,
				       sizeof(why));
		is_int(ret, 0, "0644 config file: the key still loads");
		is_int(cap.count, 1, "one warning for a 0644 config file");
		ok(strstr(cap.last, "holds a pass_phrase and is accessible "
				    "by group or others (mode 0644)") &&
			   strstr(cap.last, "chmod 600") &&
			   !strstr(cap.last, "pw-123"),
		   "warning: %s", cap.last);
		sign_signer_release(&s);
		p.pass_phrase = NULL;
		cap.count = 0;
		ret = sign_signer_init(&s, &p, fake_ask, &calls, &lg, why,
				       sizeof(why));
		is_int(cap.count, 0, "no pass_phrase in it: no warning");
		sign_signer_release(&s);
		calls = 0;
		p.path = NULL;
	}
	p.pass_phrase = "bad";
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, -EKEYREJECTED, "encrypted key with a wrong pass_phrase");
	ok(s.key == NULL && s.key_id == NULL, "signer empty after failure");
	p.pass_phrase = NULL;
	ret = sign_signer_init(&s, &p, fake_ask, &calls, &lg, why, sizeof(why));
	is_int(ret, 0, "encrypted key, pass phrase asked");
	is_int(calls, 1, "asked once");
	sign_signer_release(&s);
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, -ENOKEY, "encrypted key, nothing configured");
	ok(strstr(why, "is encrypted and no pass_phrase is configured") != NULL,
	   "why: %s", why);
	{
		struct sign_ask a = {.command = "printf 'pw-123\\n'"};

		ret = sign_signer_init(&s, &p, sign_ask_command, &a, &lg, why,
				       sizeof(why));
		is_int(ret, 0, "pass phrase from a command: %s", why);
		sign_signer_release(&s);
		a.command = "echo pw-123; exit 2";
		ret = sign_signer_init(&s, &p, sign_ask_command, &a, &lg, why,
				       sizeof(why));
		is_int(ret, -ENOKEY, "the command failed");
		ok(strstr(why,
			  "is encrypted and pass_phrase_command: exited with status 2") &&
			   !strstr(why, "pw-123"),
		   "why: %s", why);
	}

	/* missing pieces */
	p.key_file = path_of("nope.pem");
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, -ENOENT, "missing key file");
	ok(strstr(why, "cannot read key file") != NULL, "why: %s", why);
	p.key_file = NULL;
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, -EINVAL, "no key_file");
	is_str(why, "profile 'DEFAULT' has no 'key_file'", "why: no key_file");
	p.key_file = key_pem;
	p.user = NULL;
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, -EINVAL, "no user and no token");

	/* session token */
	write_file("token", "  eyJ0eXAi.eyJzdWIi.c2lnbmF0dXJl \n\n", 0600);
	p.security_token_file = token;
	p.fingerprint = NULL;
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, 0, "session token profile: %s", why);
	is_str(s.key_id, "ST$eyJ0eXAi.eyJzdWIi.c2lnbmF0dXJl",
	       "keyId ST$<token>, white space stripped");
	sign_signer_release(&s);
	p.user = USER;
	p.fingerprint = fp;
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, 0, "session token wins over user/fingerprint");
	ok(s.key_id && !strncmp(s.key_id, "ST$", 3), "keyId is ST$");
	sign_signer_release(&s);
	write_file("token", " \n", 0600);
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, -EINVAL, "empty token file");
	ok(strstr(why, "is empty") != NULL, "why: %s", why);
	write_file("token", "abc\"def", 0600);
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, -EINVAL, "token with a quote");
	ok(strstr(why, "does not hold a token") && !strstr(why, "abc"),
	   "why does not show the token: %s", why);
	write_file("token", "abc def", 0600);
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, -EINVAL, "token with inner white space");
	p.security_token_file = path_of("no-token");
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, -ENOENT, "missing token file");
	ok(strstr(why, "cannot read security token file") != NULL, "why: %s",
	   why);
	ok(s.key == NULL && s.key_id == NULL, "signer empty after failure");
	tmpdir_remove();
}

/*
 * sign_ask_tty on a real pseudo-terminal: a child process makes the pty its
 * controlling terminal and asks; the parent plays the user.
 */
struct tty_child {
	pid_t pid;
	int master;
	int result; /* pipe: "<ret> <text>" */
	bool echo_before; /* ECHO was set before the child started */
};

static bool echo_on(int master)
{
	struct termios t;

	return !tcgetattr(master, &t) && (t.c_lflag & ECHO);
}

static int start_tty_child(struct tty_child *tc, size_t outsize)
{
	char name[128];
	int pfd[2];

	tc->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (tc->master < 0 || grantpt(tc->master) || unlockpt(tc->master) ||
	    ptsname_r(tc->master, name, sizeof(name)) || pipe(pfd))
		return -1;
	tc->echo_before = echo_on(tc->master);
	fflush(stdout);
	tc->pid = fork();
	if (tc->pid < 0)
		return -1;
	if (!tc->pid) {
		char out[1024], line[1100];
		int slave, ret;

		close(pfd[0]);
		close(tc->master);
		signal(SIGINT, SIG_DFL);
		setsid();
		/* the first terminal a session leader opens becomes its own */
		slave = open(name, O_RDWR);
		if (slave < 0)
			_exit(3);
		if (outsize > sizeof(out))
			outsize = sizeof(out);
		ret = sign_ask_tty(NULL, "/keys/k.pem", out, outsize);
		snprintf(line, sizeof(line), "%d %s", ret, ret >= 0 ? out : "");
		if (write(pfd[1], line, strlen(line)) < 0)
			_exit(4);
		_exit(0);
	}
	close(pfd[1]);
	tc->result = pfd[0];
	return 0;
}

/* Read what the child wrote on the terminal until `want` shows up. */
static int read_until(int fd, const char *want, char *acc, size_t n)
{
	size_t len = strlen(acc);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t r;

	while (!strstr(acc, want)) {
		if (poll(&p, 1, 5000) <= 0)
			return -1;
		r = read(fd, acc + len, n - 1 - len);
		if (r <= 0)
			return -1;
		len += (size_t)r;
		acc[len] = '\0';
	}
	return 0;
}

static int finish_tty_child(struct tty_child *tc, char *result, size_t n)
{
	int status = -1;
	ssize_t r;

	r = read(tc->result, result, n - 1);
	result[r > 0 ? r : 0] = '\0';
	waitpid(tc->pid, &status, 0);
	close(tc->result);
	return status;
}

static void test_ask_tty(void)
{
	struct tty_child tc;
	char acc[4096], result[2048], more[4096];
	int status, flags;

	/* the user types the pass phrase */
	acc[0] = '\0';
	ok(!start_tty_child(&tc, 64), "pty child started");
	ok(tc.echo_before, "echo is on before");
	ok(!read_until(tc.master, "Enter pass phrase for '/keys/k.pem': ", acc,
		       sizeof(acc)),
	   "prompt shown on the terminal: %s", acc);
	ok(!echo_on(tc.master), "echo is off while asking");
	if (write(tc.master, "pw with spaces=1\n", 17) != 17)
		printf("# write failed\n");
	status = finish_tty_child(&tc, result, sizeof(result));
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exited");
	is_str(result, "16 pw with spaces=1", "pass phrase returned");
	ok(echo_on(tc.master), "echo restored");
	flags = fcntl(tc.master, F_GETFL);
	fcntl(tc.master, F_SETFL, flags | O_NONBLOCK);
	more[0] = '\0';
	{
		ssize_t r = read(tc.master, more, sizeof(more) - 1);

		more[r > 0 ? r : 0] = '\0';
	}
	ok(!strstr(acc, "pw with") && !strstr(more, "pw with"),
	   "pass phrase not echoed");
	close(tc.master);

	/* too long for the caller's buffer */
	acc[0] = '\0';
	start_tty_child(&tc, 8);
	read_until(tc.master, "Enter pass phrase", acc, sizeof(acc));
	if (write(tc.master, "0123456789abcdef\n", 17) != 17)
		printf("# write failed\n");
	finish_tty_child(&tc, result, sizeof(result));
	snprintf(acc, sizeof(acc), "%d ", -EMSGSIZE);
	is_str(result, acc, "too long: -EMSGSIZE");
	ok(echo_on(tc.master), "echo restored after too long");
	close(tc.master);

	/* Ctrl-D on an empty line */
	acc[0] = '\0';
	start_tty_child(&tc, 64);
	read_until(tc.master, "Enter pass phrase", acc, sizeof(acc));
	if (write(tc.master, "\x04", 1) != 1)
		printf("# write failed\n");
	finish_tty_child(&tc, result, sizeof(result));
	snprintf(acc, sizeof(acc), "%d ", -ECANCELED);
	is_str(result, acc, "end of file: -ECANCELED");
	close(tc.master);

	/* Ctrl-C: the terminal is restored, then the signal acts as usual */
	acc[0] = '\0';
	start_tty_child(&tc, 64);
	read_until(tc.master, "Enter pass phrase", acc, sizeof(acc));
	ok(!echo_on(tc.master), "echo off before Ctrl-C");
	if (write(tc.master, "\x03", 1) != 1)
		printf("# write failed\n");
	status = finish_tty_child(&tc, result, sizeof(result));
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT,
	   "Ctrl-C ends the process with SIGINT (status %d)", status);
	ok(echo_on(tc.master), "echo restored after Ctrl-C");
	close(tc.master);

	/* no controlling terminal */
	{
		int pfd[2];
		pid_t pid;

		if (pipe(pfd))
			return;
		fflush(stdout);
		pid = fork();
		if (!pid) {
			char out[64], line[128];
			int ret;

			close(pfd[0]);
			setsid();
			ret = sign_ask_tty(NULL, "/k", out, sizeof(out));
			snprintf(line, sizeof(line), "%d", ret);
			if (write(pfd[1], line, strlen(line)) < 0)
				_exit(4);
			_exit(0);
		}
		close(pfd[1]);
		tc.result = pfd[0];
		tc.pid = pid;
		finish_tty_child(&tc, result, sizeof(result));
		snprintf(acc, sizeof(acc), "%d", -ENOTTY);
		is_str(result, acc, "no terminal: -ENOTTY");
	}
}

/* Every line logged, at any level. */
struct logtext {
	char text[16384];
};

static void logtext_fn(void *arg, int level, const char *msg)
{
	struct logtext *t = arg;
	size_t len = strlen(t->text);

	(void)level;
	snprintf(t->text + len, sizeof(t->text) - len, "%s\n", msg);
}

/* A JWT-shaped token whose payload is `claims` (base64url, no padding). */
static void make_jwt(const char *claims, char *out, size_t n)
{
	struct buf b = BUF_INIT(4096);

	crypto_b64_encode(claims, strlen(claims), &b);
	for (size_t i = 0; i < b.len; i++) {
		if (b.buf[i] == '+')
			b.buf[i] = '-';
		else if (b.buf[i] == '/')
			b.buf[i] = '_';
	}
	while (b.len && b.buf[b.len - 1] == '=')
		buf_setlen(&b, b.len - 1);
	snprintf(out, n, "eyJhbGciOiJSUzI1NiJ9.%s.c2ln", b.buf);
	buf_release(&b);
}

static void test_jwt_exp(void)
{
	char tok[1024];
	int64_t exp = -1;

	make_jwt("{\"sub\":\"u\",\"exp\":1700000000}", tok, sizeof(tok));
	is_int(sign_jwt_exp(tok, strlen(tok), &exp), 0, "JWT with exp");
	ok(exp == 1700000000, "exp read");
	/* payload length 1 mod 3 and 2 mod 3: padding put back */
	make_jwt("{\"exp\":12}", tok, sizeof(tok));
	is_int(sign_jwt_exp(tok, strlen(tok), &exp), 0, "short payload");
	ok(exp == 12, "exp 12");
	make_jwt("{\"exp\":123}", tok, sizeof(tok));
	is_int(sign_jwt_exp(tok, strlen(tok), &exp), 0, "other padding");
	ok(exp == 123, "exp 123");
	make_jwt("{\"sub\":\"u\"}", tok, sizeof(tok));
	is_int(sign_jwt_exp(tok, strlen(tok), &exp), -ENOENT, "no exp");
	ok(exp == 0, "exp 0 when absent");
	make_jwt("{\"exp\":\"soon\"}", tok, sizeof(tok));
	is_int(sign_jwt_exp(tok, strlen(tok), &exp), -ENOENT,
	       "exp not a number");
	make_jwt("[1,2]", tok, sizeof(tok));
	is_int(sign_jwt_exp(tok, strlen(tok), &exp), -EINVAL,
	       "payload not an object");
	make_jwt("{\"exp\":1", tok, sizeof(tok));
	is_int(sign_jwt_exp(tok, strlen(tok), &exp), -EINVAL,
	       "payload not JSON");
	is_int(sign_jwt_exp("abc", 3, &exp), -EINVAL, "no dots");
	is_int(sign_jwt_exp("a.b", 3, &exp), -EINVAL, "one dot");
	is_int(sign_jwt_exp("a..c", 4, &exp), -EINVAL, "empty payload");
	is_int(sign_jwt_exp("a.e30.c.d", 9, &exp), -EINVAL, "three dots");
	is_int(sign_jwt_exp("a.e3+0.c", 8, &exp), -EINVAL,
	       "not base64url ('+')");
	is_int(sign_jwt_exp("a.e30.c", 7, &exp), -ENOENT, "{} has no exp");
}

/* Sign one GET and return whether its keyId is "ST$<tok>". */
static int sign_once(struct signer *s, const char *tok)
{
	struct sign_request req = {"GET", "/20160918/x", "h.example", DATE};
	struct sign_result res;
	char want[1200];
	int ret;

	sign_result_init(&res);
	ret = sign_request(s, &req, &res);
	if (!ret) {
		snprintf(want, sizeof(want), "keyId=\"ST$%s\"", tok);
		ret = strstr(res.authorization.buf, want) ? 0 : -ESRCH;
	}
	sign_result_release(&res);
	return ret;
}

static void test_session_reread(void)
{
	struct logtext cap = {""};
	struct logger lg = {logtext_fn, &cap, LOG_DEBUG};
	struct profile p = PROFILE_INIT;
	struct signer s = {0};
	struct clock_fake cf;
	struct clock clk;
	char tok1[1024], tok2[1024], tok3[1024], why[1024];
	char key_pem[512], token[512];
	unsigned int reloads = 9;
	int64_t exp = 0;
	int ret;

	ok(!tmpdir_make("sess"), "temp dir");
	ret = run(
		"cd '%s' && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null && "
		"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key2.pem 2>/dev/null",
		tmpdir);
	is_int(ret, 0, "generated two keys");
	if (ret)
		return;
	snprintf(key_pem, sizeof(key_pem), "%s", path_of("key.pem"));
	snprintf(token, sizeof(token), "%s", path_of("token"));
	make_jwt("{\"exp\":2000000000}", tok1, sizeof(tok1));
	make_jwt("{\"exp\":2000003600,\"n\":2}", tok2, sizeof(tok2));
	make_jwt("{\"exp\":1000}", tok3, sizeof(tok3));
	write_file("token", tok1, 0600);
	p.name = "SESSION";
	p.tenancy = TENANCY;
	p.key_file = key_pem;
	p.region = "us-ashburn-1";
	p.security_token_file = token;
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, 0, "session signer: %s", why);
	ok(sign_signer_is_session(&s), "is a session");
	clock_fake_init(&cf, &clk);
	cf.wall = 1999990000;
	sign_signer_set_clock(&s, &clk);
	sign_session_info(&s, &exp, &reloads);
	ok(exp == 2000000000 && reloads == 0, "exp of the first token");
	is_int(sign_once(&s, tok1), 0, "signed with the first token");

	/* `oci session refresh`: a new token, same key, same size or not */
	write_file("token", tok2, 0600);
	is_int(sign_once(&s, tok2), 0, "changed file read before signing");
	sign_session_info(&s, &exp, &reloads);
	ok(exp == 2000003600 && reloads == 1, "new exp, one re-read");
	is_int(sign_once(&s, tok2), 0, "unchanged file: not read again");
	sign_session_info(&s, NULL, &reloads);
	is_int((int)reloads, 1, "still one re-read");
	ok(strstr(cap.text, "read the changed security token file") != NULL,
	   "re-read logged");
	ok(!strstr(cap.text, tok2), "token never logged");

	/* a broken rewrite keeps the previous token, with a warning */
	write_file("token", "not a \"token\"", 0600);
	is_int(sign_once(&s, tok2), 0, "bad file: previous token kept");
	ok(strstr(cap.text, "cannot read the security token file again") !=
		   NULL,
	   "warned");
	/* expired by the clock */
	write_file("token", tok3, 0600);
	is_int(sign_once(&s, tok3), -EKEYEXPIRED, "exp in the past");
	write_file("token", tok1, 0600);
	is_int(sign_once(&s, tok1), 0, "fresh token: signing again");
	cf.wall = 1999999000;
	is_int(sign_once(&s, tok1), -EKEYEXPIRED, "the clock passes exp");
	cf.wall = 1999990000;

	/* `oci session authenticate`: a new key too */
	ret = run("cd '%s' && mv key2.pem key.pem", tmpdir);
	is_int(ret, 0, "key replaced");
	is_int(sign_once(&s, tok1), 0, "signed after the key changed");
	ok(strstr(cap.text, "loaded the changed key file") != NULL,
	   "key reload logged");
	{
		struct crypto_key *k2 = NULL;
		struct sign_request req = {"GET", "/x", "h", DATE};
		struct buf str = BUF_INIT(4096), hdrs = BUF_INIT(256);
		struct sign_result res;
		const char *sig;

		crypto_key_load(&k2, key_pem, NULL, NULL, NULL, why,
				sizeof(why));
		sign_result_init(&res);
		sign_request(&s, &req, &res);
		sign_build_string(&req, &str, &hdrs, NULL);
		sig = strstr(res.authorization.buf, "signature=\"");
		if (sig) {
			char b64[1024];

			snprintf(b64, sizeof(b64), "%s", sig + 11);
			b64[strcspn(b64, "\"")] = '\0';
			is_int(crypto_verify_rsa_sha256(k2, str.buf, str.len,
							b64),
			       0, "signature made with the new key");
		} else {
			ok(0, "no signature");
		}
		sign_result_release(&res);
		buf_release(&str);
		buf_release(&hdrs);
		crypto_key_free(k2);
	}
	sign_signer_release(&s);
	ok(!s.session && !s.key && !s.key_id, "released");
	tmpdir_remove();
}

/* Threads signing while the token file changes under them. */
struct signing_thread {
	struct signer *s;
	const char *tok[2];
	int bad;
};

static void *sign_loop(void *arg)
{
	struct signing_thread *t = arg;

	struct sign_request req = {"GET", "/20160918/x", "h.example", DATE};
	struct sign_result res;
	char want[2][1200];

	for (int k = 0; k < 2; k++)
		snprintf(want[k], sizeof(want[k]), "keyId=\"ST$%s\"",
			 t->tok[k]);
	for (int i = 0; i < 40; i++) {
		sign_result_init(&res);
		if (sign_request(t->s, &req, &res) ||
		    (!strstr(res.authorization.buf, want[0]) &&
		     !strstr(res.authorization.buf, want[1])))
			t->bad++;
		sign_result_release(&res);
	}
	return NULL;
}

static void test_session_threads(void)
{
	struct logtext cap = {""};
	struct logger lg = {logtext_fn, &cap, LOG_DEBUG};
	struct profile p = PROFILE_INIT;
	struct signer s = {0};
	struct signing_thread t[4];
	pthread_t th[4];
	char tok1[1024], tok2[1024], why[1024], key_pem[512], token[512];
	int ret, bad = 0;

	ok(!tmpdir_make("sessthr"), "temp dir");
	ret = run(
		"cd '%s' && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null",
		tmpdir);
	if (ret) {
		ok(0, "key generated");
		return;
	}
	snprintf(key_pem, sizeof(key_pem), "%s", path_of("key.pem"));
	snprintf(token, sizeof(token), "%s", path_of("token"));
	make_jwt("{\"exp\":4000000000}", tok1, sizeof(tok1));
	make_jwt("{\"exp\":4000000001,\"x\":1}", tok2, sizeof(tok2));
	write_file("token", tok1, 0600);
	p.name = "S";
	p.tenancy = TENANCY;
	p.key_file = key_pem;
	p.security_token_file = token;
	ret = sign_signer_init(&s, &p, NULL, NULL, &lg, why, sizeof(why));
	is_int(ret, 0, "session signer: %s", why);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct signing_thread){&s, {tok1, tok2}, 0};
		pthread_create(&th[i], NULL, sign_loop, &t[i]);
	}
	for (int i = 0; i < 20; i++) {
		char tmp[600];

		/* atomically, as the OCI CLI replaces it */
		write_file("token.new", i % 2 ? tok1 : tok2, 0600);
		snprintf(tmp, sizeof(tmp), "%s", path_of("token.new"));
		rename(tmp, token);
		usleep(2000);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += t[i].bad;
	}
	is_int(bad, 0, "every signature used one of the two tokens");
	ok(!strstr(cap.text, "cannot read"), "no failed re-read");
	{
		unsigned int reloads = 0;

		sign_session_info(&s, NULL, &reloads);
		printf("# %u re-reads while signing\n", reloads);
	}
	sign_signer_release(&s);
	tmpdir_remove();
}

static void test_ask_command(void)
{
	struct sign_ask a = {0};
	char out[1024], big[1100];
	int pfd[2], ret;

	a.command = "printf 'pw 1\\n'";
	ret = sign_ask_command(&a, "/k.pem", out, sizeof(out));
	is_int(ret, 4, "command: length");
	is_str(out, "pw 1", "command: newline stripped");
	a.command = "printf 'pw\\r\\n'";
	ret = sign_ask_command(&a, "/k.pem", out, sizeof(out));
	is_str(ret >= 0 ? out : "", "pw", "CRLF stripped");
	a.command = "printf 'pw\\n\\n'";
	ret = sign_ask_command(&a, "/k.pem", out, sizeof(out));
	is_str(ret >= 0 ? out : "", "pw\n", "only one newline stripped");
	a.command = "printf 'no newline'";
	ret = sign_ask_command(&a, "/k.pem", out, sizeof(out));
	is_str(ret >= 0 ? out : "", "no newline", "no newline");
	a.command = "echo secret-x; exit 3";
	ret = sign_ask_command(&a, "/k.pem", out, sizeof(out));
	is_int(ret, -EIO, "non-zero exit is an error");
	is_str(out, "", "out wiped");
	ok(strstr(a.why, "exited with status 3") && !strstr(a.why, "secret-x"),
	   "logged without the output");
	a.command = "kill -9 $$";
	is_int(sign_ask_command(&a, "/k.pem", out, sizeof(out)), -EIO,
	       "killed");
	a.command = "true";
	is_int(sign_ask_command(&a, "/k.pem", out, sizeof(out)), -ENODATA,
	       "empty output");
	a.command = "head -c 5000 /dev/zero | tr '\\0' x";
	is_int(sign_ask_command(&a, "/k.pem", out, sizeof(out)), -EMSGSIZE,
	       "too long");
	a.command = "yes";
	is_int(sign_ask_command(&a, "/k.pem", out, sizeof(out)), -EMSGSIZE,
	       "endless output: stopped");
	memset(big, 'y', 1023);
	big[1023] = '\0';
	snprintf(out, sizeof(out), "x");
	{
		char cmd[1200];

		snprintf(cmd, sizeof(cmd), "echo %s", big);
		a.command = cmd;
		ret = sign_ask_command(&a, "/k.pem", out, sizeof(out));
		is_int(ret, 1023, "1023 bytes and a newline fit");
		snprintf(cmd, sizeof(cmd), "echo %sy", big);
		ret = sign_ask_command(&a, "/k.pem", out, sizeof(out));
		is_int(ret, -EMSGSIZE, "1024 bytes do not");
		ret = sign_ask_command(&a, "/k.pem", out, 8);
		is_int(ret, -EMSGSIZE, "nor more than n - 1");
	}
	/* the environment of the child holds no pass phrase: it has none */
	a.command = "test -z \"$OVFS_NO_SUCH\" && printf ok";
	ret = sign_ask_command(&a, "/k.pem", out, sizeof(out));
	is_str(ret >= 0 ? out : "", "ok", "runs with /bin/sh");

	/* from a descriptor */
	ok(!pipe(pfd), "pipe");
	ret = (int)write(pfd[1], "line one\nline two\n", 18);
	a.fd = pfd[0];
	ret = sign_ask_fd(&a, "/k.pem", out, sizeof(out));
	is_str(ret >= 0 ? out : "", "line one", "first line only");
	ret = sign_ask_fd(&a, "/k.pem", out, sizeof(out));
	is_str(ret >= 0 ? out : "", "line two", "then the next");
	close(pfd[1]);
	is_int(sign_ask_fd(&a, "/k.pem", out, sizeof(out)), -ENODATA,
	       "end of file");
	is_str(a.why, "pass_phrase_stdin: no pass phrase on standard input",
	       "why");
	close(pfd[0]);
}

int main(void)
{
	test_vectors();
	test_method_has_body();
	test_session_token_and_errors();
	test_signer_init();
	test_ask_tty();
	test_jwt_exp();
	test_session_reread();
	test_session_threads();
	test_ask_command();
	return done_testing();
}
