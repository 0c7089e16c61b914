/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/crypto.c: keys, RSA-SHA256, digests, base64, random. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto.h"
#include "tap.h"
#include "testutil.h"

/* OCI's published test key (docs/internals/OCI-API.md §9): test data only. */
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

static const char vector_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3\n"
	"6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6\n"
	"Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw\n"
	"oYi+1hqp1fIekaxsyQIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

/* Vector A's signing string and signature (docs/internals/OCI-API.md §9). */
static const char vector_a_string[] =
	"date: Thu, 05 Jan 2014 21:31:40 GMT\n"
	"(request-target): get /20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\n"
	"host: iaas.us-phoenix-1.oraclecloud.com";
static const char vector_a_sig[] =
	"GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M=";

static const char secret[] = "s3cret-Pass";

static int write_file(const char *name, const char *text, size_t len)
{
	FILE *f = fopen(path_of(name), "w");

	if (!f)
		return -1;
	fwrite(text, 1, len, f);
	return fclose(f);
}

static char *read_text(const char *name)
{
	static char text[65536];
	FILE *f = fopen(path_of(name), "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

/* A fake crypto_passphrase_fn. */
struct fake_ask {
	const char *answer; /* NULL: fail with `err` */
	int err;
	int calls;
	char path[512];
};

static int fake_ask(void *arg, const char *key_path, char *out, size_t n)
{
	struct fake_ask *fa = arg;

	fa->calls++;
	snprintf(fa->path, sizeof(fa->path), "%s", key_path);
	if (!fa->answer)
		return fa->err;
	snprintf(out, n, "%s", fa->answer);
	return (int)strlen(out);
}

static void sign_and_verify(struct crypto_key *k, const char *what)
{
	struct buf sig = BUF_INIT(8192);
	const char msg[] = "date: x\n(request-target): get /\nhost: h";
	int ret;

	ret = crypto_sign_rsa_sha256(k, msg, strlen(msg), &sig);
	is_int(ret, 0, "%s: signs", what);
	is_int(crypto_verify_rsa_sha256(k, msg, strlen(msg), sig.buf), 0,
	       "%s: own signature verifies", what);
	is_int(crypto_verify_rsa_sha256(k, msg, strlen(msg) - 1, sig.buf),
	       -EBADMSG, "%s: signature of other data is refused", what);
	buf_release(&sig);
}

static void test_vector_key(void)
{
	struct crypto_key *k = NULL, *pub = NULL;
	struct buf sig = BUF_INIT(4096);
	char fp[CRYPTO_FINGERPRINT_LEN];
	char why[256] = "";
	int ret;

	ret = crypto_key_load_pem(&k, vector_key, strlen(vector_key), NULL, why,
				  sizeof(why));
	is_int(ret, 0, "vector key (PKCS#1, 1024 bit) loads: %s", why);
	if (ret)
		return;
	ret = crypto_sign_rsa_sha256(k, vector_a_string,
				     strlen(vector_a_string), &sig);
	is_int(ret, 0, "signs vector A");
	is_str(sig.buf, vector_a_sig, "vector A signature byte for byte");
	is_int(crypto_verify_rsa_sha256(k, vector_a_string,
					strlen(vector_a_string), vector_a_sig),
	       0, "published vector A signature verifies");
	/* flip one character of the signature */
	{
		char bad[sizeof(vector_a_sig)];

		memcpy(bad, vector_a_sig, sizeof(bad));
		bad[10] = bad[10] == 'A' ? 'B' : 'A';
		is_int(crypto_verify_rsa_sha256(k, vector_a_string,
						strlen(vector_a_string), bad),
		       -EBADMSG, "tampered signature is refused");
	}
	is_int(crypto_verify_rsa_sha256(k, vector_a_string,
					strlen(vector_a_string), "not*base64"),
	       -EBADMSG, "non-base64 signature is refused");
	is_int(crypto_verify_rsa_sha256(k, vector_a_string,
					strlen(vector_a_string), ""),
	       -EBADMSG, "empty signature is refused");

	is_int(crypto_key_fingerprint(k, fp), 0, "fingerprint computed");
	/* docs/internals/OCI-API.md §9: the key's real MD5 fingerprint */
	is_str(fp, "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7",
	       "vector key fingerprint");
	is_int(strlen(fp), 47, "fingerprint is 47 characters");

	ret = crypto_key_load_pem(&pub, vector_pub, strlen(vector_pub), NULL,
				  why, sizeof(why));
	is_int(ret, -EINVAL, "a public key is not a private key");
	ok(strstr(why, "not a PEM private key") != NULL, "why: %s", why);
	ok(pub == NULL, "no key on failure");

	ret = crypto_key_load_pem(&pub, "hello", 5, NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "garbage is not a key");

	/* a pass phrase for an unencrypted key is simply not needed */
	ret = crypto_key_load_pem(&pub, vector_key, strlen(vector_key), secret,
				  why, sizeof(why));
	is_int(ret, 0, "unencrypted key with a pass phrase configured loads");
	crypto_key_free(pub);

	crypto_key_free(k);
	crypto_key_free(NULL);
	buf_release(&sig);
}

static void test_digests(void)
{
	/* docs/internals/OCI-API.md §9, vector B body: 316 bytes */
	static const char body[] =
		"{\n"
		"    \"compartmentId\": \"ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa\",\n"
		"    \"instanceId\": \"ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a\",\n"
		"    \"volumeId\": \"ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\"\n"
		"}";
	char sha[CRYPTO_SHA256_B64_LEN], md5[CRYPTO_MD5_B64_LEN];

	is_int(strlen(body), 316, "vector B body is 316 bytes");
	is_int(crypto_sha256_b64(body, strlen(body), sha), 0, "sha256 ok");
	is_str(sha, "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0=",
	       "vector B x-content-sha256");
	is_int(crypto_sha256_b64(NULL, 0, sha), 0, "sha256 of nothing");
	is_str(sha, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
	       "sha256 of the empty body");
	is_int(crypto_sha256_b64("", 0, sha), 0, "sha256 of \"\"");
	is_str(sha, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
	       "sha256 of the empty string");
	is_int(crypto_md5_b64("", 0, md5), 0, "md5 of \"\"");
	is_str(md5, "1B2M2Y8AsgTpgAmY7PhCfg==", "md5 of the empty string");
	is_int(crypto_md5_b64("hello world", 11, md5), 0, "md5 ok");
	/* echo -n 'hello world' | openssl md5 -binary | base64 */
	is_str(md5, "XrY7u+Ae7tCTyyK7j1rNww==", "md5 of 'hello world'");
	is_int(crypto_sha256_b64(NULL, 3, sha), -EINVAL,
	       "NULL data with a length is refused");
}

static void test_base64(void)
{
	/* RFC 4648 section 10 */
	static const char *const raw[] = {"",	  "f",	   "fo",    "foo",
					  "foob", "fooba", "foobar"};
	static const char *const enc[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const bad[] = {
		"Zg=",	"Z===",	    "Zm9v\n",	   "Zm 9v",
		"=Zm9", "Zg==Zg==", "Zm9*",	   "Zm9v YmFy",
		"====", "Zm9vY===", "\xc3\xa9Zm9",
	};
	struct buf b = BUF_INIT(1 << 20), d = BUF_INIT(1 << 20);
	unsigned char bin[256];
	unsigned char *big;
	size_t biglen = 200000; /* several OpenSSL chunks */
	int ret;

	for (size_t i = 0; i < sizeof(raw) / sizeof(*raw); i++) {
		buf_reset(&b);
		is_int(crypto_b64_encode(raw[i], strlen(raw[i]), &b), 0,
		       "encode '%s'", raw[i]);
		is_str(b.buf, enc[i], "encode '%s'", raw[i]);
		buf_reset(&d);
		is_int(crypto_b64_decode(enc[i], strlen(enc[i]), &d), 0,
		       "decode '%s'", enc[i]);
		ok(d.len == strlen(raw[i]) && !memcmp(d.buf, raw[i], d.len),
		   "decode '%s' gives '%s'", enc[i], raw[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		buf_reset(&d);
		ret = crypto_b64_decode(bad[i], strlen(bad[i]), &d);
		is_int(ret, -EINVAL, "decode refuses bad input #%zu", i);
		is_int(d.len, 0, "nothing appended for bad input #%zu", i);
	}

	/* appends to what is there */
	buf_reset(&b);
	must(buf_adds(&b, "x:"));
	crypto_b64_encode("foo", 3, &b);
	is_str(b.buf, "x:Zm9v", "encode appends");

	for (int i = 0; i < 256; i++)
		bin[i] = (unsigned char)i;
	buf_reset(&b);
	buf_reset(&d);
	crypto_b64_encode(bin, sizeof(bin), &b);
	ok(!strchr(b.buf, '\n'), "no newlines in base64");
	is_int(crypto_b64_decode(b.buf, b.len, &d), 0, "binary round trip");
	ok(d.len == 256 && !memcmp(d.buf, bin, 256), "all byte values");

	big = malloc(biglen);
	ok(big != NULL, "malloc");
	if (!big)
		goto out;
	crypto_random(big, biglen);
	buf_reset(&b);
	buf_reset(&d);
	is_int(crypto_b64_encode(big, biglen, &b), 0, "large encode");
	is_int(b.len, (biglen + 2) / 3 * 4, "large encode length");
	ok(!strchr(b.buf, '\n'), "large: no newlines");
	is_int(crypto_b64_decode(b.buf, b.len, &d), 0, "large decode");
	ok(d.len == biglen && !memcmp(d.buf, big, biglen), "large round trip");
	free(big);

	/* capped buffers fail cleanly */
	{
		struct buf small = BUF_INIT(7);

		is_int(crypto_b64_encode("foobar", 6, &small), -EMSGSIZE,
		       "encode respects the buffer cap");
		is_int(small.len, 0, "nothing written past the cap");
		buf_release(&small);
	}
out:
	buf_release(&b);
	buf_release(&d);
}

static void test_random(void)
{
	char a[33], b[33];
	unsigned char r1[32], r2[32];
	int good = 1;

	is_int(crypto_random_id(a, 32), 0, "random id");
	is_int(crypto_random_id(b, 32), 0, "random id again");
	is_int(strlen(a), 32, "32 characters");
	for (int i = 0; i < 32; i++) {
		if (!((a[i] >= '0' && a[i] <= '9') ||
		      (a[i] >= 'A' && a[i] <= 'Z')))
			good = 0;
	}
	ok(good, "only [0-9A-Z]: %s", a);
	ok(strcmp(a, b) != 0, "two ids differ");
	is_int(crypto_random_id(a, 0), 0, "empty id");
	is_str(a, "", "empty id is empty");
	is_int(crypto_random(r1, sizeof(r1)), 0, "random bytes");
	is_int(crypto_random(r2, sizeof(r2)), 0, "random bytes again");
	ok(memcmp(r1, r2, sizeof(r1)) != 0, "random bytes differ");

	memset(r1, 0xaa, sizeof(r1));
	buf_wipe(r1, sizeof(r1));
	good = 1;
	for (size_t i = 0; i < sizeof(r1); i++)
		good &= r1[i] == 0;
	ok(good, "buf_wipe zeroes");
	buf_wipe(NULL, 5);
}

/* Fingerprint of a PEM file as the openssl CLI computes it. */
static int cli_fingerprint(const char *pem, char *out, size_t n)
{
	char *text, *p, *nl;

	if (run("openssl rsa -in '%s' -pubout -outform DER 2>/dev/null | "
		"openssl md5 -c > '%s'",
		path_of(pem), path_of("fp.txt")))
		return -1;
	text = read_text("fp.txt");
	if (!text)
		return -1;
	/* "MD5(stdin)= 12:34:..." */
	p = strstr(text, "= ");
	if (!p)
		return -1;
	p += 2;
	nl = strchr(p, '\n');
	if (nl)
		*nl = '\0';
	snprintf(out, n, "%s", p);
	return 0;
}

/*
 * -EACCES for a key file the caller may not read.  root reads everything,
 * so as root the check runs in a child that drops to nobody.
 */
static void test_unreadable(const char *path)
{
	struct crypto_key *k = NULL;
	char why[512] = "";
	int ret, status = -1;
	pid_t pid;

	chmod(path, 0600);
	if (geteuid()) {
		chmod(path, 0);
		ret = crypto_key_load(&k, path, NULL, NULL, NULL, why,
				      sizeof(why));
		is_int(ret, -EACCES, "unreadable key file");
		ok(strstr(why, "Permission denied") != NULL, "why: %s", why);
		chmod(path, 0600);
		return;
	}
	chmod(tmpdir, 0711);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		ret = crypto_key_load(&k, path, NULL, NULL, NULL, why,
				      sizeof(why));
		_exit(ret == -EACCES && strstr(why, "Permission denied") ? 0
									 : 1);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	chmod(tmpdir, 0700);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "unreadable key file: -EACCES, 'Permission denied' (as nobody, status %d)",
	   status);
}

static void test_generated_keys(void)
{
	static const char *const plain[] = {"k8.pem", "k1.pem"};
	char fp[CRYPTO_FINGERPRINT_LEN], cli[128], why[512];
	struct crypto_key *k = NULL;
	struct fake_ask fa;
	char *text;
	int ret;

	ok(!tmpdir_make("crypto"), "temp dir %s", tmpdir);
	ret = run(
		"cd '%s' && "
		"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k8.pem 2>/dev/null && "
		"openssl rsa -in k8.pem -traditional -out k1.pem 2>/dev/null && "
		"openssl pkcs8 -topk8 -in k8.pem -v2 aes-256-cbc -passout pass:%s -out enc8.pem && "
		"openssl rsa -in k8.pem -traditional -aes256 -passout pass:%s -out enc1.pem 2>/dev/null && "
		"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null",
		tmpdir, secret, secret);
	is_int(ret, 0, "openssl CLI generated test keys");
	if (ret)
		return;
	text = read_text("k8.pem");
	ok(text && strstr(text, "BEGIN PRIVATE KEY"), "k8.pem is PKCS#8");
	text = read_text("k1.pem");
	ok(text && strstr(text, "BEGIN RSA PRIVATE KEY"), "k1.pem is PKCS#1");
	text = read_text("enc8.pem");
	ok(text && strstr(text, "BEGIN ENCRYPTED PRIVATE KEY"),
	   "enc8.pem is encrypted PKCS#8");
	text = read_text("enc1.pem");
	ok(text && strstr(text, "Proc-Type: 4,ENCRYPTED"),
	   "enc1.pem is encrypted PKCS#1");

	is_int(cli_fingerprint("k8.pem", cli, sizeof(cli)), 0,
	       "openssl md5 -c fingerprint");
	for (size_t i = 0; i < 2; i++) {
		ret = crypto_key_load(&k, path_of(plain[i]), NULL, NULL, NULL,
				      why, sizeof(why));
		is_int(ret, 0, "%s loads", plain[i]);
		if (ret)
			continue;
		is_int(crypto_key_fingerprint(k, fp), 0, "%s fingerprint",
		       plain[i]);
		is_str(fp, cli, "%s fingerprint equals openssl's", plain[i]);
		sign_and_verify(k, plain[i]);
		crypto_key_free(k);
		k = NULL;
	}

	/* encrypted keys, both formats */
	for (int f = 0; f < 2; f++) {
		const char *name = f ? "enc1.pem" : "enc8.pem";

		ret = crypto_key_load(&k, path_of(name), secret, NULL, NULL,
				      why, sizeof(why));
		is_int(ret, 0, "%s loads with its pass phrase", name);
		if (!ret) {
			crypto_key_fingerprint(k, fp);
			is_str(fp, cli, "%s is the same key", name);
			sign_and_verify(k, name);
		}
		crypto_key_free(k);
		k = NULL;

		why[0] = '\0';
		ret = crypto_key_load(&k, path_of(name), "wrong", NULL, NULL,
				      why, sizeof(why));
		is_int(ret, -EKEYREJECTED, "%s: wrong pass phrase", name);
		ok(strstr(why, "wrong pass phrase") && strstr(why, name),
		   "why: %s", why);
		ok(!strstr(why, "wrong\'") && !strstr(why, secret),
		   "why does not show a pass phrase");
		ok(k == NULL, "no key on failure");

		ret = crypto_key_load(&k, path_of(name), NULL, NULL, NULL, why,
				      sizeof(why));
		is_int(ret, -ENOKEY, "%s: no pass phrase, no ask", name);
		ok(strstr(why,
			  "is encrypted and no pass_phrase is configured") !=
			   NULL,
		   "why: %s", why);

		memset(&fa, 0, sizeof(fa));
		fa.answer = secret;
		ret = crypto_key_load(&k, path_of(name), NULL, fake_ask, &fa,
				      why, sizeof(why));
		is_int(ret, 0, "%s: asked pass phrase works", name);
		is_int(fa.calls, 1, "%s: asked exactly once", name);
		is_str(fa.path, path_of(name), "ask is told the key path");
		crypto_key_free(k);
		k = NULL;

		memset(&fa, 0, sizeof(fa));
		fa.answer = "nope";
		ret = crypto_key_load(&k, path_of(name), NULL, fake_ask, &fa,
				      why, sizeof(why));
		is_int(ret, -EKEYREJECTED, "%s: wrong asked pass phrase", name);
		is_int(fa.calls, 1, "%s: asked once even when wrong", name);

		memset(&fa, 0, sizeof(fa));
		fa.err = -ENOTTY;
		ret = crypto_key_load(&k, path_of(name), NULL, fake_ask, &fa,
				      why, sizeof(why));
		is_int(ret, -ENOKEY, "%s: no terminal to ask", name);
		ok(strstr(why, "there is no terminal to ask for it") != NULL,
		   "why: %s", why);

		memset(&fa, 0, sizeof(fa));
		fa.err = -ECANCELED;
		ret = crypto_key_load(&k, path_of(name), NULL, fake_ask, &fa,
				      why, sizeof(why));
		is_int(ret, -ENOKEY, "%s: asking cancelled", name);
		ok(strstr(why, "asking for it failed: Operation canceled") !=
			   NULL,
		   "why: %s", why);

		memset(&fa, 0, sizeof(fa));
		fa.answer = "nope";
		ret = crypto_key_load(&k, path_of(name), secret, fake_ask, &fa,
				      why, sizeof(why));
		is_int(ret, 0, "%s: configured pass phrase wins", name);
		is_int(fa.calls, 0, "%s: not asked when configured", name);
		crypto_key_free(k);
		k = NULL;
	}

	/* unencrypted keys never ask */
	memset(&fa, 0, sizeof(fa));
	fa.answer = "x";
	ret = crypto_key_load(&k, path_of("k8.pem"), NULL, fake_ask, &fa, why,
			      sizeof(why));
	is_int(ret, 0, "plain key with ask callback");
	is_int(fa.calls, 0, "plain key: not asked");
	crypto_key_free(k);
	k = NULL;

	/* from memory, encrypted */
	text = read_text("enc8.pem");
	ret = crypto_key_load_pem(&k, text, strlen(text), secret, why,
				  sizeof(why));
	is_int(ret, 0, "encrypted PEM from memory");
	crypto_key_free(k);
	k = NULL;
	ret = crypto_key_load_pem(&k, text, strlen(text), NULL, why,
				  sizeof(why));
	is_int(ret, -ENOKEY, "encrypted PEM from memory, no pass phrase");

	ret = crypto_key_load(&k, path_of("ec.pem"), NULL, NULL, NULL, why,
			      sizeof(why));
	is_int(ret, -EINVAL, "EC key refused");
	ok(strstr(why, "not an RSA private key") != NULL, "why: %s", why);

	/* file errors */
	ret = crypto_key_load(&k, path_of("missing.pem"), NULL, NULL, NULL, why,
			      sizeof(why));
	is_int(ret, -ENOENT, "missing key file");
	ok(strstr(why, "cannot read key file '") &&
		   strstr(why, "No such file or directory"),
	   "why: %s", why);
	ret = crypto_key_load(&k, tmpdir, NULL, NULL, NULL, why, sizeof(why));
	is_int(ret, -EACCES, "a directory is not readable as a key");
	ok(strstr(why, "not a regular file") != NULL, "why: %s", why);
	ret = crypto_key_load(&k, path_of("k1.pem/x"), NULL, NULL, NULL, why,
			      sizeof(why));
	is_int(ret, -ENOENT, "path through a regular file");
	test_unreadable(path_of("k1.pem"));
	write_file("junk.pem", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n", 37);
	ret = crypto_key_load(&k, path_of("junk.pem"), NULL, NULL, NULL, why,
			      sizeof(why));
	is_int(ret, -EINVAL, "truncated PEM refused");
	ok(strstr(why, "is not a PEM private key") != NULL, "why: %s", why);
	{
		size_t big = 70 * 1024;
		char *t = malloc(big);

		if (t) {
			memset(t, 'A', big);
			write_file("big.pem", t, big);
			free(t);
		}
		ret = crypto_key_load(&k, path_of("big.pem"), NULL, NULL, NULL,
				      why, sizeof(why));
		is_int(ret, -EINVAL, "oversized key file refused");
		ok(strstr(why, "larger than") != NULL, "why: %s", why);
	}
	ok(k == NULL, "no key left behind");
	tmpdir_remove();
}

/* The wiping allocator; OpenSSL runs on it for the rest of the tests. */
static void test_wipe_alloc(void)
{
	unsigned char *p, *q;

	is_int(crypto_global_init(), 0, "OpenSSL takes the allocator first");
	p = crypto_wipe_malloc(5);
	ok(p != NULL, "malloc");
	memcpy(p, "hello", 5);
	q = crypto_wipe_realloc(p, 4096);
	ok(q != NULL && !memcmp(q, "hello", 5), "realloc keeps the bytes");
	q = crypto_wipe_realloc(q, 3);
	ok(q != NULL && !memcmp(q, "hel", 3), "realloc to less");
	crypto_wipe_free(q);
	crypto_wipe_free(NULL);
	ok(crypto_wipe_malloc(SIZE_MAX - 8) == NULL, "size overflow: NULL");
	p = crypto_wipe_realloc(NULL, 7);
	ok(p != NULL, "realloc(NULL) allocates");
	crypto_wipe_free(p);
}

int main(void)
{
	test_wipe_alloc();
	test_vector_key();
	test_digests();
	test_base64();
	test_random();
	test_generated_keys();
	return done_testing();
}
