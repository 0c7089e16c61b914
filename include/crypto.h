/* SPDX-License-Identifier: MIT */
/*
 * crypto: every use of OpenSSL in ocivaultfs lives in fs/crypto.c.
 *
 * Private keys are opaque (`struct crypto_key`); their PEM text and pass
 * phrases are wiped from memory as soon as OpenSSL has parsed them.  Digest
 * and base64 helpers write into caller buffers of the documented size.
 * All functions return 0 or a negative errno.
 */
#ifndef CRYPTO_H
#define CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct crypto_key;

/* Base64 of a SHA-256 digest is 44 chars; of an MD5 digest 24 chars. */
#define CRYPTO_SHA256_B64_LEN 45
#define CRYPTO_MD5_B64_LEN 25
/* MD5 fingerprint as "xx:xx:...": 47 chars. */
#define CRYPTO_FINGERPRINT_LEN 48

/*
 * Asked for the pass phrase of an encrypted key when none was configured.
 * Write at most `n - 1` bytes plus NUL into `out`; return the length, or a
 * negative errno (e.g. -ENOTTY when no terminal is attached).
 */
typedef int (*crypto_passphrase_fn)(void *arg, const char *key_path, char *out,
				    size_t n);

/*
 * Load a PEM private key (PKCS#1 or PKCS#8, RSA, optionally encrypted) from
 * `path`.  An encrypted key uses `passphrase` when not NULL, else asks
 * `ask` when not NULL (at most once per load), else fails; unencrypted keys
 * never ask.  On failure `why` (size `why_n`) gets one line such as "cannot
 * read key file '/x': Permission denied" or "key file '/x' is encrypted and
 * no pass_phrase is configured"; it never contains a pass phrase.
 * Errors: -ENOENT, -EACCES (unreadable, not a regular file), -EINVAL (not a
 * PEM RSA private key, or over 64 KiB), -EKEYREJECTED (wrong pass phrase),
 * -ENOKEY (encrypted, no pass phrase; also when `ask` fails, e.g. -ENOTTY),
 * -ENOMEM.  *out is NULL on failure.  The file's bytes and any asked pass
 * phrase are wiped before return.
 */
int crypto_key_load(struct crypto_key **out, const char *path,
		    const char *passphrase, crypto_passphrase_fn ask,
		    void *ask_arg, char *why, size_t why_n);

/* Same, from PEM text in memory (tests); messages say "key". */
int crypto_key_load_pem(struct crypto_key **out, const char *pem, size_t len,
			const char *passphrase, char *why, size_t why_n);

void crypto_key_free(struct crypto_key *key);

/*
 * RSASSA-PKCS1-v1_5 over SHA-256 of `data`; appends the base64 signature
 * (no newlines) to `out`.
 */
int crypto_sign_rsa_sha256(const struct crypto_key *key, const void *data,
			   size_t len, struct buf *out);

/*
 * Verify a base64 RSA-SHA256 signature with the public half of `key`
 * (used by tests). 0 when valid, -EBADMSG when not (including bad base64).
 */
int crypto_verify_rsa_sha256(const struct crypto_key *key, const void *data,
			     size_t len, const char *sig_b64);

/* MD5 over the DER SubjectPublicKeyInfo, lower-case hex pairs joined by ':'. */
int crypto_key_fingerprint(const struct crypto_key *key,
			   char out[CRYPTO_FINGERPRINT_LEN]);

int crypto_sha256_b64(const void *data, size_t len,
		      char out[CRYPTO_SHA256_B64_LEN]);
int crypto_md5_b64(const void *data, size_t len, char out[CRYPTO_MD5_B64_LEN]);

/*
 * Standard base64 (with padding, no newlines), appended to `out`.  Decode
 * accepts only groups of four alphabet characters with '=' padding at the
 * end (no white space) and returns -EINVAL otherwise, appending nothing.
 * -EMSGSIZE/-ENOMEM when `out` cannot grow.
 */
int crypto_b64_encode(const void *data, size_t len, struct buf *out);
int crypto_b64_decode(const char *text, size_t len, struct buf *out);

/* Cryptographically strong random bytes. */
int crypto_random(void *out, size_t len);

/*
 * `n` random characters from [0-9A-Z] plus NUL into `out` (size n + 1):
 * opc-request-id (32) and opc-retry-token values.
 */
int crypto_random_id(char *out, size_t n);

/*
 * A wiping allocator: every block carries its size in a small header, so
 * that crypto_wipe_free() and crypto_wipe_realloc() overwrite it before
 * giving it back (realloc never leaves the old block behind).  Blocks
 * come from malloc() and must be freed by crypto_wipe_free() only.
 * Thread-safe; NULL on overflow or out of memory; freeing NULL is fine.
 * For libraries that copy secrets into memory of their own: OpenSSL
 * (crypto_global_init()) and libcurl (http_global_init()).
 */
void *crypto_wipe_malloc(size_t n);
void *crypto_wipe_realloc(void *p, size_t n);
void crypto_wipe_free(void *p);

/*
 * Make OpenSSL allocate with the wiping allocator, so that its decoders
 * (the PEM text of the key file, the decrypted DER of the key, pass
 * phrase buffers) leave nothing in freed memory.  Process-wide; must be
 * called before anything uses OpenSSL (libcurl's global init included),
 * from one thread.  0, or -EBUSY when OpenSSL already allocated with its
 * own allocator (then nothing changes: the caller may go on, without the
 * guarantee).  Calling it again later is harmless.
 */
int crypto_global_init(void);

#endif /* CRYPTO_H */
