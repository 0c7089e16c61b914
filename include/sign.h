/* SPDX-License-Identifier: MIT */
/*
 * sign: OCI HTTP Signature version 1 (draft-cavage-http-signatures-08,
 * rsa-sha256), as specified in docs/internals/SIGNING.md and
 * docs/internals/OCI-API.md §9.
 *
 *   GET, HEAD, DELETE: headers="date (request-target) host"
 *   POST, PUT, PATCH:  headers="date (request-target) host content-length
 *                      content-type x-content-sha256"
 *                      (also for empty bodies: content-length 0 and the
 *                      SHA-256 of the empty string)
 *
 * The signing string is one "name: value" line per header, in that order,
 * joined by "\n" without a trailing newline; (request-target) is
 * "<lower-case method> <path>[?<query>]" exactly as sent, host is
 * "<host>[:<port>]" exactly as in the URL.
 *
 * Authorization: Signature version="1",headers="...",keyId="<tenancy>/
 * <user>/<fingerprint>" (or keyId="ST$<session token>"),
 * algorithm="rsa-sha256",signature="<base64>"
 *
 * The signer owns the private key and the session token; both are secrets
 * and are wiped on release.  A signer may be used from many threads at
 * once.  An API-key signer is immutable after init.  A session-token signer
 * (security_token_file) checks, before each signature, whether the token
 * file or the key file changed (device, inode, size, mtime) and then reads
 * them again (`oci session refresh` rewrites the token, `oci session
 * authenticate` both); it refuses to sign with a token whose JWT "exp" is
 * past (-EKEYEXPIRED).  Its state is guarded by a read-write lock held
 * only for file reads and the RSA operation, never across network I/O.
 */
#ifndef SIGN_H
#define SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "clock.h"
#include "crypto.h"
#include "log.h"

struct profile;
struct sign_session;

struct signer {
	struct crypto_key *key;
	char *key_id; /* "tenancy/user/fingerprint" or "ST$<token>" (secret) */
	/* security_token_file profiles only, else NULL (sign.c) */
	struct sign_session *session;
};

/* How long a pass phrase from pass_phrase_command or stdin may be. */
#define SIGN_PASS_MAX 1023

/* What is signed for one request. */
struct sign_request {
	const char *method; /* "GET", "POST", ... (any case) */
	const char *target; /* path[?query] exactly as sent */
	const char *host; /* host[:port] exactly as in the URL */
	const char *date; /* RFC 7231 date, as sent in Date: */
	const char
		*content_type; /* body requests; NULL means application/json */
	const void *body; /* body requests; may be NULL when len is 0 */
	size_t body_len;
	/*
	 * Object Storage PutObject/UploadPart need only the generic headers:
	 * set this to sign a PUT without the body headers.
	 */
	bool no_body_headers;
};

/* What the caller must send in addition (values without header names). */
struct sign_result {
	struct buf authorization; /* value of Authorization: */
	char x_content_sha256[CRYPTO_SHA256_B64_LEN]; /* "" if not signed */
	bool body_headers; /* content-* were signed */
};

/* True for methods whose requests sign the body headers by default. */
bool sign_method_has_body(const char *method);

/*
 * Build the signing string into `out` and the space-separated header list
 * into `headers` (e.g. "date (request-target) host"); both are reset first.
 * `sha256_out` (may be NULL) gets x-content-sha256, or "" when the body
 * headers are not signed.  -EINVAL for a method that is not letters only, a
 * target not starting with '/', an empty host or date, any control
 * character in a signed value, or a NULL body with a length.  Exposed for
 * tests.
 */
int sign_build_string(const struct sign_request *req, struct buf *out,
		      struct buf *headers,
		      char sha256_out[CRYPTO_SHA256_B64_LEN]);

/*
 * Initialize a signer from a loaded profile: reads and (if encrypted)
 * decrypts `key_file`, warns through `lg` when the key file's mode has any
 * group or other bit (mode & 077; a warning only, as the OCI CLI accepts
 * such keys) and when the profile's fingerprint is not the key's (OCI would
 * answer 401), and for `security_token_file` profiles reads the token
 * (surrounding white space stripped, at most 16 KiB of printable ASCII) and
 * uses keyId "ST$<token>" (user and fingerprint are then not used).
 * `s` need not be initialized; on failure it is empty (release is safe) and
 * `why` gets one line.  0 or -errno (see crypto_key_load, plus -ENOENT/-EACCES
 * for the token file, -EINVAL for an empty or malformed token or missing
 * profile keys).
 */
int sign_signer_init(struct signer *s, const struct profile *p,
		     crypto_passphrase_fn ask, void *ask_arg,
		     const struct logger *lg, char *why, size_t why_n);

/*
 * From an already loaded key and a keyId (tests).  Takes ownership of key,
 * also on failure (then the key is freed): -EINVAL for an empty keyId or one
 * with a control character, '"' or '\\'; -ENOMEM.
 */
int sign_signer_init_key(struct signer *s, struct crypto_key *key,
			 const char *key_id);

void sign_signer_release(struct signer *s);

void sign_result_init(struct sign_result *r);
void sign_result_release(struct sign_result *r);

/*
 * Sign one request.  0 or -errno (see sign_build_string); on failure
 * `out` is empty.  `out` must have been initialized with sign_result_init().
 */
int sign_request(struct signer *s, const struct sign_request *req,
		 struct sign_result *out);

/* True for a session-token signer (keyId "ST$<token>"). */
bool sign_signer_is_session(const struct signer *s);

/*
 * The wall clock a session signer compares the token's "exp" with (the
 * client's, so that tests can move it); NULL or never set: time().
 * Call before the signer is shared.
 */
void sign_signer_set_clock(struct signer *s, const struct clock *clock);

/*
 * The "exp" claim (seconds since the epoch) of the session token in use,
 * 0 when unknown (not a JWT, or no such claim), and how many times the
 * token was read again since init.  Either pointer may be NULL.
 */
void sign_session_info(struct signer *s, int64_t *exp, unsigned int *reloads);

/*
 * The "exp" claim of a JWT (header.payload.signature, base64url): 0 with
 * *exp set, -EINVAL when `tok` is not three dot-separated base64url parts
 * with a JSON object payload, -ENOENT when it has no integer "exp".  The
 * token is a secret: the decoded payload is wiped.
 */
int sign_jwt_exp(const char *tok, size_t len, int64_t *exp);

/*
 * Ask for a pass phrase on /dev/tty with echo off (crypto_passphrase_fn):
 * prompts "Enter pass phrase for '<key_path>': " and reads one line.
 * -ENOTTY when there is no controlling terminal, -ECANCELED on end of file
 * (Ctrl-D), -EMSGSIZE when the line does not fit in `n`.  SIGINT, SIGQUIT,
 * SIGTERM and SIGHUP arriving while it waits (in the calling thread) first
 * restore the terminal and are then re-raised (-EINTR if the process
 * survives them).  The terminal settings are always restored.
 */
int sign_ask_tty(void *arg, const char *key_path, char *out, size_t n);

/* The `arg` of sign_ask_command() and sign_ask_fd(). */
struct sign_ask {
	const char *command; /* sign_ask_command(): run by /bin/sh -c */
	int fd; /* sign_ask_fd(): read from it (0: standard input) */
	/* why asking failed, one phrase ("pass_phrase_command: exited with
	 * status 1"); sign_signer_init() puts it in its message */
	char why[192];
};

/*
 * Pass phrase from a command's standard output (crypto_passphrase_fn), as
 * rclone's password_command: `/bin/sh -c COMMAND` with our standard input
 * and standard error (so that it may prompt), its standard output read
 * through a pipe, one trailing "\n" or "\r\n" stripped.  The pass phrase
 * never appears in an argv or an environment.  -EMSGSIZE when the output
 * does not fit in `n` (nor SIGN_PASS_MAX + 1 bytes, the newline), -EIO when
 * the command cannot be run, exits with a status other than 0 or is killed
 * by a signal, -ENODATA when it prints nothing.  Each failure is said in
 * arg->why (never with the command's output).  `out` is wiped on failure.
 */
int sign_ask_command(void *arg, const char *key_path, char *out, size_t n);

/*
 * Pass phrase from a file descriptor (pass_phrase_stdin): reads up to the
 * first newline or end of file, one trailing "\n" or "\r\n" stripped.
 * -EMSGSIZE when it does not fit in `n`, -ENODATA at an immediate end of
 * file, -errno of read(2); arg->why as for sign_ask_command().
 */
int sign_ask_fd(void *arg, const char *key_path, char *out, size_t n);

#endif /* SIGN_H */
