/* SPDX-License-Identifier: MIT */
/* crypto: the only user of OpenSSL (keys, RSA-SHA256, digests, base64). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "banned.h"

/* Far above any RSA PEM (an 8192-bit key is about 6.5 KiB). */
#define KEY_FILE_MAX (64 * 1024)
/* Pass phrases asked from the user; PEM_BUFSIZE is OpenSSL's own bound. */
#define PASS_MAX 1024
/* Base64 work in chunks so that OpenSSL's int lengths never overflow. */
#define B64_RAW_CHUNK (3 * 16384)
#define B64_TXT_CHUNK (4 * 16384)

struct crypto_key {
	EVP_PKEY *pkey;
};

/* State shared with the OpenSSL pass phrase callback. */
struct pass_ctx {
	const char *passphrase;
	crypto_passphrase_fn ask;
	void *ask_arg;
	const char *path;
	bool called; /* OpenSSL asked: the key is encrypted */
	int ask_err; /* negative errno from `ask`, or -ENOKEY */
	bool have_asked; /* `asked` holds the user's answer */
	char asked[PASS_MAX];
};

static int pass_cb(char *out, int size, int rwflag, void *arg)
{
	struct pass_ctx *pc = arg;
	const char *pw;
	size_t len;
	int ret;

	(void)rwflag;
	pc->called = true;
	if (size <= 0)
		return -1;
	if (pc->passphrase) {
		pw = pc->passphrase;
	} else if (pc->have_asked) {
		/* OpenSSL may call back more than once: ask only once */
		pw = pc->asked;
	} else if (pc->ask && !pc->ask_err) {
		ret = pc->ask(pc->ask_arg, pc->path, pc->asked,
			      sizeof(pc->asked));
		if (ret < 0) {
			pc->ask_err = ret;
			buf_wipe(pc->asked, sizeof(pc->asked));
			return -1;
		}
		pc->asked[sizeof(pc->asked) - 1] = '\0';
		pc->have_asked = true;
		pw = pc->asked;
	} else {
		if (!pc->ask_err)
			pc->ask_err = -ENOKEY;
		return -1;
	}
	len = strlen(pw);
	if (len > (size_t)size)
		len = (size_t)size;
	memcpy(out, pw, len);
	return (int)len;
}

/*
 * `what` names the key in messages: "key file '/x'" or "key".
 * `label` is what an `ask` callback is told (the path).
 */
static int load_pem(struct crypto_key **out, const char *pem, size_t len,
		    const char *passphrase, crypto_passphrase_fn ask,
		    void *ask_arg, const char *label, const char *what,
		    char *why, size_t why_n)
{
	struct pass_ctx *pc = NULL;
	struct crypto_key *key = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int ret;

	*out = NULL;
	if (len > INT_MAX) {
		ret = -EINVAL;
		buf_fmt(why, why_n, "%s is too large", what);
		goto out;
	}
	/* will hold a typed pass phrase: wiped with OPENSSL_clear_free(), so
	 * OpenSSL's allocator (crypto_global_init() may have replaced it) */
	pc = OPENSSL_zalloc(sizeof(*pc));
	key = calloc(1, sizeof(*key));
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!pc || !key || !bio) {
		ret = -ENOMEM;
		buf_fmt(why, why_n, "out of memory");
		goto out;
	}
	pc->passphrase = passphrase;
	pc->ask = ask;
	pc->ask_arg = ask_arg;
	pc->path = label;

	ERR_set_mark();
	pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, pc);
	ERR_pop_to_mark();
	if (!pkey) {
		if (pc->ask_err == -ENOMEM) {
			ret = -ENOMEM;
			buf_fmt(why, why_n, "out of memory");
		} else if (pc->ask_err == -ENOKEY) {
			ret = -ENOKEY;
			buf_fmt(why, why_n,
				"%s is encrypted and no pass_phrase is configured",
				what);
		} else if (pc->ask_err == -ENOTTY) {
			ret = -ENOKEY;
			buf_fmt(why, why_n,
				"%s is encrypted, no pass_phrase is configured and there is no terminal to ask for it",
				what);
		} else if (pc->ask_err) {
			ret = -ENOKEY;
			buf_fmt(why, why_n,
				"%s is encrypted, no pass_phrase is configured and asking for it failed: %s",
				what, strerror(-pc->ask_err));
		} else if (pc->called) {
			ret = -EKEYREJECTED;
			buf_fmt(why, why_n,
				"cannot decrypt %s: wrong pass phrase", what);
		} else {
			ret = -EINVAL;
			buf_fmt(why, why_n, "%s is not a PEM private key",
				what);
		}
		goto out;
	}
	if (!EVP_PKEY_is_a(pkey, "RSA")) {
		ret = -EINVAL;
		buf_fmt(why, why_n, "%s is not an RSA private key (%s)", what,
			EVP_PKEY_get0_type_name(pkey)
				? EVP_PKEY_get0_type_name(pkey)
				: "unknown type");
		goto out;
	}
	key->pkey = pkey;
	pkey = NULL;
	*out = key;
	key = NULL;
	ret = 0;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	crypto_key_free(key);
	if (pc)
		OPENSSL_clear_free(pc, sizeof(*pc));
	return ret;
}

int crypto_key_load_pem(struct crypto_key **out, const char *pem, size_t len,
			const char *passphrase, char *why, size_t why_n)
{
	return load_pem(out, pem, len, passphrase, NULL, NULL, "", "key", why,
			why_n);
}

int crypto_key_load(struct crypto_key **out, const char *path,
		    const char *passphrase, crypto_passphrase_fn ask,
		    void *ask_arg, char *why, size_t why_n)
{
	struct buf pem = BUF_INIT_SECRET(KEY_FILE_MAX);
	char what[PATH_MAX + 16];
	int ret;

	*out = NULL;
	ret = buf_read_file(&pem, path, "key file", why, why_n);
	if (ret == -EFBIG) {
		ret = -EINVAL; /* no PEM private key is that large */
		buf_fmt(why, why_n,
			"key file '%s' is larger than %d KiB: not a PEM private key",
			path, KEY_FILE_MAX / 1024);
	}
	if (ret)
		goto out;
	snprintf(what, sizeof(what), "key file '%s'", path);
	ret = load_pem(out, pem.buf, pem.len, passphrase, ask, ask_arg, path,
		       what, why, why_n);
out:
	buf_wipe_release(&pem);
	return ret;
}

void crypto_key_free(struct crypto_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

int crypto_sign_rsa_sha256(const struct crypto_key *key, const void *data,
			   size_t len, struct buf *out)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int ret;

	if (!key || !key->pkey || (!data && len))
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * The EVP_PKEY is only read here, so one key may sign from many
	 * threads at once (OpenSSL 3 reference-counts it per context).
	 */
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, data, len) != 1 || !siglen) {
		ret = -EIO;
		goto out;
	}
	sig = OPENSSL_malloc(siglen); /* freed by OPENSSL_clear_free() */
	if (!sig) {
		ret = -ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(ctx, sig, &siglen, data, len) != 1) {
		ret = -EIO;
		goto out;
	}
	ret = crypto_b64_encode(sig, siglen, out);
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	if (sig)
		OPENSSL_clear_free(sig, siglen);
	return ret;
}

int crypto_verify_rsa_sha256(const struct crypto_key *key, const void *data,
			     size_t len, const char *sig_b64)
{
	struct buf sig = BUF_INIT(64 * 1024);
	EVP_MD_CTX *ctx = NULL;
	int ret;

	if (!key || !key->pkey || !sig_b64 || (!data && len))
		return -EINVAL;
	ret = crypto_b64_decode(sig_b64, strlen(sig_b64), &sig);
	if (ret == -ENOMEM)
		goto out;
	if (ret || !sig.len) {
		ret = -EBADMSG;
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		ret = -ENOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) !=
	    1) {
		ret = -EIO;
		goto out;
	}
	ret = EVP_DigestVerify(ctx, (const unsigned char *)sig.buf, sig.len,
			       data, len) == 1
		      ? 0
		      : -EBADMSG;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	buf_release(&sig);
	return ret;
}

int crypto_key_fingerprint(const struct crypto_key *key,
			   char out[CRYPTO_FINGERPRINT_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int derlen, ret;

	out[0] = '\0';
	if (!key || !key->pkey)
		return -EINVAL;
	/* i2d_PUBKEY: the DER SubjectPublicKeyInfo, as `openssl rsa -pubout` */
	derlen = i2d_PUBKEY(key->pkey, &der);
	if (derlen <= 0) {
		ret = -ENOMEM;
		goto out;
	}
	if (EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_md5(), NULL) != 1 ||
	    mdlen != 16) {
		ret = -EIO;
		goto out;
	}
	for (unsigned int i = 0, pos = 0; i < mdlen; i++) {
		if (i)
			out[pos++] = ':';
		snprintf(out + pos, CRYPTO_FINGERPRINT_LEN - pos, "%02x",
			 md[i]);
		pos += 2;
	}
	ret = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	return ret;
}

static int digest_b64(const EVP_MD *md_type, const void *data, size_t len,
		      char *out, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (!data && len)
		return -EINVAL;
	if (!data)
		data = "";
	if (EVP_Digest(data, len, md, &mdlen, md_type, NULL) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	if ((size_t)4 * ((mdlen + 2) / 3) + 1 > n)
		return -ENAMETOOLONG;
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	return 0;
}

int crypto_sha256_b64(const void *data, size_t len,
		      char out[CRYPTO_SHA256_B64_LEN])
{
	return digest_b64(EVP_sha256(), data, len, out, CRYPTO_SHA256_B64_LEN);
}

int crypto_md5_b64(const void *data, size_t len, char out[CRYPTO_MD5_B64_LEN])
{
	return digest_b64(EVP_md5(), data, len, out, CRYPTO_MD5_B64_LEN);
}

int crypto_b64_encode(const void *data, size_t len, struct buf *out)
{
	const unsigned char *p = data;
	size_t chunk, enc;
	int ret;

	if (!data && len)
		return -EINVAL;
	if (len / 3 > (SIZE_MAX - 4) / 4)
		return -EMSGSIZE;
	ret = buf_grow(out, 4 * ((len + 2) / 3));
	if (ret)
		return ret;
	while (len) {
		chunk = len < B64_RAW_CHUNK ? len : B64_RAW_CHUNK;
		/* writes 4 * ceil(chunk / 3) characters plus a NUL */
		enc = (size_t)EVP_EncodeBlock(
			(unsigned char *)out->buf + out->len, p, (int)chunk);
		out->len += enc;
		p += chunk;
		len -= chunk;
	}
	out->buf[out->len] = '\0';
	return 0;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int crypto_b64_decode(const char *text, size_t len, struct buf *out)
{
	size_t pad = 0, chunk, off, oldlen = out->len;
	int n, ret;

	if (!text && len)
		return -EINVAL;
	/*
	 * EVP_DecodeBlock trims white space and counts '=' padding as zero
	 * bytes, so the strict grammar is checked here first: groups of four
	 * alphabet characters, '=' only as the last one or two.
	 */
	if (len % 4)
		return -EINVAL;
	if (len && text[len - 1] == '=')
		pad = len >= 2 && text[len - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < len - pad; i++) {
		if (!b64_char(text[i]))
			return -EINVAL;
	}
	ret = buf_grow(out, len / 4 * 3);
	if (ret)
		return ret;
	for (off = 0; off < len; off += chunk) {
		chunk = len - off < B64_TXT_CHUNK ? len - off : B64_TXT_CHUNK;
		n = EVP_DecodeBlock((unsigned char *)out->buf + out->len,
				    (const unsigned char *)text + off,
				    (int)chunk);
		if (n < 0 || (size_t)n != chunk / 4 * 3) {
			buf_setlen(out, oldlen);
			return -EINVAL;
		}
		out->len += (size_t)n;
	}
	/* padding decodes to zero bytes that are not part of the data */
	out->len -= pad;
	out->buf[out->len] = '\0';
	return 0;
}

int crypto_random(void *out, size_t len)
{
	unsigned char *p = out;
	size_t chunk;

	while (len) {
		chunk = len < INT_MAX ? len : INT_MAX;
		if (RAND_bytes(p, (int)chunk) != 1) {
			ERR_clear_error();
			return -EIO;
		}
		p += chunk;
		len -= chunk;
	}
	return 0;
}

int crypto_random_id(char *out, size_t n)
{
	static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	unsigned char rnd[64];
	size_t i = 0, j = sizeof(rnd);
	int ret;

	while (i < n) {
		if (j == sizeof(rnd)) {
			ret = crypto_random(rnd, sizeof(rnd));
			if (ret) {
				out[0] = '\0';
				return ret;
			}
			j = 0;
		}
		/* 252 = 7 * 36: rejecting the rest keeps chars uniform */
		if (rnd[j] < 252)
			out[i++] = alphabet[rnd[j] % 36];
		j++;
	}
	out[n] = '\0';
	buf_wipe(rnd, sizeof(rnd));
	return 0;
}

/* ---- the wiping allocator ----------------------------------------------- */

/* 16 bytes keep malloc's alignment for what follows the header. */
#define WIPE_HDR 16

void *crypto_wipe_malloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - WIPE_HDR)
		return NULL;
	p = malloc(n + WIPE_HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + WIPE_HDR;
}

void crypto_wipe_free(void *ptr)
{
	unsigned char *p = ptr;
	size_t n;

	if (!p)
		return;
	p -= WIPE_HDR;
	memcpy(&n, p, sizeof(n));
	buf_wipe(p, n + WIPE_HDR);
	free(p);
}

void *crypto_wipe_realloc(void *ptr, size_t n)
{
	unsigned char *q;
	size_t old;

	if (!ptr)
		return crypto_wipe_malloc(n);
	memcpy(&old, (unsigned char *)ptr - WIPE_HDR, sizeof(old));
	q = crypto_wipe_malloc(n);
	if (!q)
		return NULL;
	memcpy(q, ptr, old < n ? old : n);
	crypto_wipe_free(ptr);
	return q;
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return crypto_wipe_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return crypto_wipe_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	crypto_wipe_free(p);
}

int crypto_global_init(void)
{
	/* OpenSSL refuses once it has allocated: its blocks would be freed
	 * by the wrong function. */
	return CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free)
		       ? 0
		       : -EBUSY;
}
