/* SPDX-License-Identifier: MIT */
/* sign: OCI HTTP Signature version 1 (draft-cavage-08, rsa-sha256). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "profile.h"
#include "sign.h"
#include "banned.h"

/* Signing strings: URLs are at most OVFS_URL_MAX, the rest is small. */
#define SIGNSTR_MAX (16 * 1024)
/* Authorization values: a session token (a JWT) is a few KiB at most. */
#define AUTH_MAX (32 * 1024)
/* Security token files. */
#define TOKEN_FILE_MAX (16 * 1024)

#define GENERIC_HEADERS "date (request-target) host"
#define BODY_HEADERS " content-length content-type x-content-sha256"

bool sign_method_has_body(const char *method)
{
	return method &&
	       (!strcasecmp(method, "POST") || !strcasecmp(method, "PUT") ||
		!strcasecmp(method, "PATCH"));
}

/*
 * A value placed into the signing string or a header: it must not be able
 * to add a line (the signing string is line-based and the server rebuilds
 * it from the headers it received).
 */
static bool header_value_ok(const char *s, bool allow_empty)
{
	if (!s || (!*s && !allow_empty))
		return false;
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

static bool method_ok(const char *m)
{
	if (!m || !*m || strlen(m) > 16)
		return false;
	for (; *m; m++) {
		if (!((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z')))
			return false;
	}
	return true;
}

int sign_build_string(const struct sign_request *req, struct buf *out,
		      struct buf *headers,
		      char sha256_out[CRYPTO_SHA256_B64_LEN])
{
	char sha[CRYPTO_SHA256_B64_LEN] = "";
	const char *ctype;
	bool body;
	int ret;

	buf_reset(out);
	buf_reset(headers);
	if (sha256_out)
		sha256_out[0] = '\0';
	if (!req || !method_ok(req->method) || !req->target ||
	    req->target[0] != '/' || !header_value_ok(req->target, false) ||
	    !header_value_ok(req->host, false) ||
	    !header_value_ok(req->date, false) || (!req->body && req->body_len))
		return -EINVAL;
	body = sign_method_has_body(req->method) && !req->no_body_headers;
	ctype = req->content_type ? req->content_type : "application/json";
	if (body && !header_value_ok(ctype, false))
		return -EINVAL;

	/* date, (request-target), host: docs/internals/OCI-API.md §9 */
	ret = buf_addf(out, "date: %s\n(request-target): ", req->date);
	for (const char *m = req->method; !ret && *m; m++) {
		char c = *m;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		ret = buf_addch(out, c);
	}
	if (!ret)
		ret = buf_addf(out, " %s\nhost: %s", req->target, req->host);
	if (!ret)
		ret = buf_adds(headers, GENERIC_HEADERS);
	if (!ret && body) {
		/* signed even for empty bodies: content-length 0 and the
		 * SHA-256 of the empty string */
		ret = crypto_sha256_b64(req->body, req->body_len, sha);
		if (!ret)
			ret = buf_addf(
				out,
				"\ncontent-length: %zu\ncontent-type: %s\nx-content-sha256: %s",
				req->body_len, ctype, sha);
		if (!ret)
			ret = buf_adds(headers, BODY_HEADERS);
	}
	if (ret) {
		buf_reset(out);
		buf_reset(headers);
		return ret;
	}
	if (sha256_out)
		memcpy(sha256_out, sha, sizeof(sha));
	return 0;
}

void sign_result_init(struct sign_result *r)
{
	buf_init_secret(&r->authorization, AUTH_MAX);
	r->x_content_sha256[0] = '\0';
	r->body_headers = false;
}

void sign_result_release(struct sign_result *r)
{
	buf_wipe_release(&r->authorization);
	r->x_content_sha256[0] = '\0';
	r->body_headers = false;
}

int sign_request(const struct signer *s, const struct sign_request *req,
		 struct sign_result *out)
{
	struct buf str = BUF_INIT(SIGNSTR_MAX);
	struct buf hdrs = BUF_INIT(256);
	struct buf sig = BUF_INIT_SECRET(4096);
	char sha[CRYPTO_SHA256_B64_LEN];
	int ret;

	buf_wipe_release(&out->authorization);
	out->x_content_sha256[0] = '\0';
	out->body_headers = false;
	if (!s || !s->key || !s->key_id) {
		ret = -EINVAL;
		goto out;
	}
	ret = sign_build_string(req, &str, &hdrs, sha);
	if (ret)
		goto out;
	ret = crypto_sign_rsa_sha256(s->key, str.buf, str.len, &sig);
	if (ret)
		goto out;
	/* Go SDK parameter order, docs/internals/OCI-API.md §9 */
	ret = buf_addf(
		&out->authorization,
		"Signature version=\"1\",headers=\"%s\",keyId=\"%s\",algorithm=\"rsa-sha256\",signature=\"%s\"",
		hdrs.buf, s->key_id, sig.buf);
	if (ret) {
		buf_wipe_release(&out->authorization);
		goto out;
	}
	memcpy(out->x_content_sha256, sha, sizeof(sha));
	out->body_headers = sha[0] != '\0';
out:
	buf_release(&str);
	buf_release(&hdrs);
	buf_wipe_release(&sig);
	return ret;
}

int sign_signer_init_key(struct signer *s, struct crypto_key *key,
			 const char *key_id)
{
	s->key = NULL;
	s->key_id = NULL;
	/* keyId sits inside a quoted header parameter */
	if (!key || !header_value_ok(key_id, false) || strchr(key_id, '"') ||
	    strchr(key_id, '\\')) {
		crypto_key_free(key);
		return -EINVAL;
	}
	s->key_id = strdup(key_id);
	if (!s->key_id) {
		crypto_key_free(key);
		return -ENOMEM;
	}
	s->key = key;
	return 0;
}

void sign_signer_release(struct signer *s)
{
	if (!s)
		return;
	crypto_key_free(s->key);
	buf_wipe_free(s->key_id);
	s->key = NULL;
	s->key_id = NULL;
}

/* Read the session token file into `tok`, white space stripped. */
static int read_token(const char *path, struct buf *tok, char *why,
		      size_t why_n)
{
	int ret = buf_read_file(tok, path, "security token file", why, why_n);

	if (ret == -EFBIG)
		ret = -EINVAL;
	if (ret)
		return ret;
	buf_trim(tok);
	if (!tok->len) {
		buf_fmt(why, why_n, "security token file '%s' is empty", path);
		return -EINVAL;
	}
	/* a JWT is printable ASCII; anything else would break the header */
	for (size_t i = 0; i < tok->len; i++) {
		unsigned char c = (unsigned char)tok->buf[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			buf_fmt(why, why_n,
				"security token file '%s' does not hold a token",
				path);
			return -EINVAL;
		}
	}
	return 0;
}

int sign_signer_init(struct signer *s, const struct profile *p,
		     crypto_passphrase_fn ask, void *ask_arg,
		     const struct logger *lg, char *why, size_t why_n)
{
	char fp[CRYPTO_FINGERPRINT_LEN];
	struct buf id = BUF_INIT_SECRET(AUTH_MAX);
	struct buf tok = BUF_INIT_SECRET(TOKEN_FILE_MAX);
	struct crypto_key *key = NULL;
	struct stat st;
	int ret;

	s->key = NULL;
	s->key_id = NULL;
	if (why && why_n)
		why[0] = '\0';
	if (!p || !p->key_file || !*p->key_file) {
		ret = -EINVAL;
		buf_fmt(why, why_n, "profile '%s' has no 'key_file'",
			p && p->name ? p->name : "");
		goto out;
	}
	/* as ssh and s3fs do, but only a warning: refusing would break setups
	 * that work with the OCI CLI */
	if (!stat(p->key_file, &st) && (st.st_mode & 077))
		log_msg(lg, LOG_WARNING,
			"key file '%s' is accessible by group or others (mode %04o); it should be readable by its owner only: chmod 600 '%s'",
			p->key_file, (unsigned int)(st.st_mode & 07777),
			p->key_file);

	/* the config file then holds a secret too: the same advice */
	if (p->pass_phrase && p->path && !stat(p->path, &st) &&
	    (st.st_mode & 077))
		log_msg(lg, LOG_WARNING,
			"config file '%s' holds a pass_phrase and is accessible by group or others (mode %04o); it should be readable by its owner only: chmod 600 '%s'",
			p->path, (unsigned int)(st.st_mode & 07777), p->path);

	ret = crypto_key_load(&key, p->key_file, p->pass_phrase, ask, ask_arg,
			      why, why_n);
	if (ret)
		goto out;

	if (p->security_token_file && *p->security_token_file) {
		ret = read_token(p->security_token_file, &tok, why, why_n);
		if (!ret)
			ret = buf_addf(&id, "ST$%s", tok.buf);
	} else if (p->tenancy && p->user && p->fingerprint) {
		ret = buf_addf(&id, "%s/%s/%s", p->tenancy, p->user,
			       p->fingerprint);
		/* OCI answers 401 for a fingerprint that is not this key's */
		if (!ret && !crypto_key_fingerprint(key, fp) &&
		    strcmp(fp, p->fingerprint))
			log_msg(lg, LOG_WARNING,
				"fingerprint '%s' of profile '%s' does not match key file '%s' (whose fingerprint is '%s'); requests will be refused",
				p->fingerprint, p->name ? p->name : "",
				p->key_file, fp);
	} else {
		ret = -EINVAL;
		buf_fmt(why, why_n,
			"profile '%s' needs 'tenancy', 'user' and 'fingerprint', or 'security_token_file'",
			p->name ? p->name : "");
		goto out;
	}
	if (ret == -ENOMEM)
		buf_fmt(why, why_n, "out of memory");
	if (ret)
		goto out;
	ret = sign_signer_init_key(s, key, id.buf);
	key = NULL;
	if (ret == -EINVAL)
		buf_fmt(why, why_n, "profile '%s': invalid key id",
			p->name ? p->name : "");
	else if (ret)
		buf_fmt(why, why_n, "out of memory");
out:
	crypto_key_free(key);
	buf_wipe_release(&tok);
	buf_wipe_release(&id);
	return ret;
}

/*
 * Read one line from the terminal `fd` while the signals in `sigfd` are
 * blocked: returns the length, -ECANCELED on end of file, -EMSGSIZE for a
 * line that does not fit, or -EINTR with *sig set when a signal came first.
 */
static int tty_read_line(int fd, int sigfd, char *out, size_t n, int *sig)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	size_t len = 0;
	bool toolong = false;
	char c;
	ssize_t r;

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sigfd;
	pfd[1].events = POLLIN;
	for (;;) {
		pfd[0].revents = 0;
		pfd[1].revents = 0;
		if (poll(pfd, sigfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (sigfd >= 0 && (pfd[1].revents & POLLIN)) {
			r = read(sigfd, &si, sizeof(si));
			if (r == (ssize_t)sizeof(si)) {
				*sig = (int)si.ssi_signo;
				return -EINTR;
			}
			continue;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		/* canonical mode: the line is there, byte reads are cheap */
		r = read(fd, &c, 1);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return len ? (int)len : -ECANCELED;
		if (c == '\n' || c == '\r')
			break;
		if (len + 1 < n)
			out[len++] = c;
		else
			toolong = true;
	}
	out[len] = '\0';
	if (toolong) {
		buf_wipe(out, n);
		return -EMSGSIZE;
	}
	return (int)len;
}

int sign_ask_tty(void *arg, const char *key_path, char *out, size_t n)
{
	static const int intercept[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
	struct termios old, noecho;
	sigset_t set, oldset;
	bool restore = false, masked = false;
	int fd, sigfd = -1, sig = 0, ret;
	char prompt[PATH_MAX + 64];

	(void)arg;
	if (!out || !n)
		return -EINVAL;
	out[0] = '\0';
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -ENOTTY;
	if (tcgetattr(fd, &old)) {
		ret = -ENOTTY;
		goto out;
	}

	/*
	 * A signal while echo is off would leave the terminal silent: take
	 * the usual terminating signals through a signalfd, restore the
	 * terminal, then re-raise them (OpenSSH's readpassphrase does the
	 * same with handlers, which a library must not install).  Only this
	 * thread's mask changes.
	 */
	sigemptyset(&set);
	if (pthread_sigmask(SIG_SETMASK, NULL, &oldset) == 0) {
		for (size_t i = 0; i < sizeof(intercept) / sizeof(*intercept);
		     i++) {
			if (!sigismember(&oldset, intercept[i]))
				sigaddset(&set, intercept[i]);
		}
		if (!pthread_sigmask(SIG_BLOCK, &set, NULL)) {
			masked = true;
			sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		}
	}

	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	noecho.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &noecho)) {
		ret = -ENOTTY;
		goto out;
	}
	restore = true;
	snprintf(prompt, sizeof(prompt),
		 "Enter pass phrase for '%s': ", key_path ? key_path : "");
	if (write(fd, prompt, strlen(prompt)) < 0) {
		ret = -ENOTTY;
		goto out;
	}
	ret = tty_read_line(fd, sigfd, out, n, &sig);
	/* the user's Enter was not echoed */
	if (write(fd, "\n", 1) < 0)
		ret = ret >= 0 ? -ENOTTY : ret;
out:
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (ret < 0)
		buf_wipe(out, n);
	close(fd);
	if (sigfd >= 0)
		close(sigfd);
	/* while still blocked, so that it is delivered by the unblocking */
	if (sig)
		raise(sig);
	if (masked)
		pthread_sigmask(SIG_SETMASK, &oldset, NULL);
	return ret;
}
