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
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "profile.h"
#include "sign.h"
#include "banned.h"

extern char **environ;

/* Signing strings: URLs are at most OVFS_URL_MAX, the rest is small. */
#define SIGNSTR_MAX (16 * 1024)
/* Authorization values: a session token (a JWT) is a few KiB at most. */
#define AUTH_MAX (32 * 1024)
/* Security token files. */
#define TOKEN_FILE_MAX (16 * 1024)

/* The decoded payload of a JWT. */
#define JWT_PAYLOAD_MAX (12 * 1024)

/* Which version of a file was read: a change of any field means re-read. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool ok; /* stat succeeded */
};

/*
 * The mutable part of a session-token signer.  `lock` guards the signer's
 * key and key_id and everything below it; readers (signatures) hold it
 * shared, a re-read holds it exclusively.
 */
struct sign_session {
	pthread_rwlock_t lock;
	char *token_file;
	char *key_file;
	char *profile; /* for messages */
	struct file_id token_seen, key_seen;
	int64_t exp; /* the token's JWT "exp", 0: unknown */
	unsigned int reloads;
	const struct clock *clock; /* NULL: time() */
	const struct logger *log;
};

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

static void session_refresh(struct signer *s);

static int64_t session_now(const struct sign_session *ss)
{
	return ss->clock ? clock_wall_s(ss->clock) : (int64_t)time(NULL);
}

int sign_request(struct signer *s, const struct sign_request *req,
		 struct sign_result *out)
{
	struct buf str = BUF_INIT(SIGNSTR_MAX);
	struct buf hdrs = BUF_INIT(256);
	struct buf sig = BUF_INIT_SECRET(4096);
	char sha[CRYPTO_SHA256_B64_LEN];
	struct sign_session *ss = s ? s->session : NULL;
	bool locked = false;
	int ret;

	buf_wipe_release(&out->authorization);
	out->x_content_sha256[0] = '\0';
	out->body_headers = false;
	if (!s) {
		ret = -EINVAL;
		goto out;
	}
	if (ss) {
		session_refresh(s);
		pthread_rwlock_rdlock(&ss->lock);
		locked = true;
		/* OCI would answer 401 NotAuthenticated: say why, here */
		if (ss->exp && session_now(ss) >= ss->exp) {
			ret = -EKEYEXPIRED;
			goto out;
		}
	}
	if (!s->key || !s->key_id) {
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
	if (locked)
		pthread_rwlock_unlock(&ss->lock);
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
	s->session = NULL;
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

static void session_free(struct sign_session *ss)
{
	if (!ss)
		return;
	pthread_rwlock_destroy(&ss->lock);
	free(ss->token_file);
	free(ss->key_file);
	free(ss->profile);
	free(ss);
}

void sign_signer_release(struct signer *s)
{
	if (!s)
		return;
	crypto_key_free(s->key);
	buf_wipe_free(s->key_id);
	session_free(s->session);
	s->key = NULL;
	s->key_id = NULL;
	s->session = NULL;
}

bool sign_signer_is_session(const struct signer *s)
{
	return s && s->session;
}

void sign_signer_set_clock(struct signer *s, const struct clock *clock)
{
	if (s && s->session)
		s->session->clock = clock;
}

void sign_session_info(struct signer *s, int64_t *exp, unsigned int *reloads)
{
	struct sign_session *ss = s ? s->session : NULL;

	if (exp)
		*exp = 0;
	if (reloads)
		*reloads = 0;
	if (!ss)
		return;
	pthread_rwlock_rdlock(&ss->lock);
	if (exp)
		*exp = ss->exp;
	if (reloads)
		*reloads = ss->reloads;
	pthread_rwlock_unlock(&ss->lock);
}

/* base64url without padding (RFC 7515 §2) into standard base64, decoded. */
static int b64url_decode(const char *p, size_t len, struct buf *out)
{
	struct buf std = BUF_INIT_SECRET(JWT_PAYLOAD_MAX * 2);
	int ret = 0;

	for (size_t i = 0; !ret && i < len; i++) {
		char c = p[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9')))
			ret = -EINVAL;
		if (!ret)
			ret = buf_addch(&std, c);
	}
	while (!ret && std.len % 4)
		ret = buf_addch(&std, '=');
	if (!ret)
		ret = crypto_b64_decode(std.buf, std.len, out);
	buf_wipe_release(&std);
	return ret == -ENOMEM ? ret : ret ? -EINVAL : 0;
}

int sign_jwt_exp(const char *tok, size_t len, int64_t *exp)
{
	struct buf payload = BUF_INIT_SECRET(JWT_PAYLOAD_MAX);
	const char *d1, *d2;
	struct cJSON *root = NULL;
	int64_t v = INT64_MIN;
	char why[128];
	int ret;

	*exp = 0;
	if (!tok)
		return -EINVAL;
	d1 = memchr(tok, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
	if (!d1 || !d2 || d1 == tok || d2 == d1 + 1 ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)))
		return -EINVAL;
	ret = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &payload);
	if (!ret && (!payload.len || payload.buf[0] != '{'))
		ret = -EINVAL;
	if (!ret)
		ret = json_parse(payload.buf, payload.len, JWT_PAYLOAD_MAX,
				 &root, why, sizeof(why));
	if (ret) {
		ret = ret == -ENOMEM ? ret : -EINVAL;
		goto out;
	}
	if (json_get_int64(root, "exp", &v, 0, INT64_C(1) << 53, JSON_OPTIONAL,
			   why, sizeof(why)) ||
	    v == INT64_MIN) {
		ret = -ENOENT;
		goto out;
	}
	*exp = v;
out:
	json_free(root);
	buf_wipe_release(&payload);
	return ret;
}

static void file_id_of(const char *path, struct file_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st))
		return;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime = st.st_mtim;
	id->ok = true;
}

static bool file_id_same(const struct file_id *a, const struct file_id *b)
{
	return a->ok == b->ok && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
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

/*
 * The session of a security_token_file profile; the files' versions are
 * taken before they are read (a change in between is read again at the
 * first signature).
 */
static int session_new(struct sign_session **out, const struct profile *p,
		       const struct logger *lg)
{
	struct sign_session *ss = calloc(1, sizeof(*ss));

	*out = NULL;
	if (!ss)
		return -ENOMEM;
	if (pthread_rwlock_init(&ss->lock, NULL)) {
		free(ss);
		return -ENOMEM;
	}
	ss->token_file = strdup(p->security_token_file);
	ss->key_file = strdup(p->key_file);
	ss->profile = strdup(p->name ? p->name : "");
	ss->log = lg;
	if (!ss->token_file || !ss->key_file || !ss->profile) {
		session_free(ss);
		return -ENOMEM;
	}
	file_id_of(ss->token_file, &ss->token_seen);
	file_id_of(ss->key_file, &ss->key_seen);
	*out = ss;
	return 0;
}

/* A new token from the session's file into the signer; lock held. */
static void reload_token(struct signer *s, struct sign_session *ss)
{
	struct buf tok = BUF_INIT_SECRET(TOKEN_FILE_MAX);
	struct buf id = BUF_INIT_SECRET(AUTH_MAX);
	int64_t exp = 0;
	char why[512] = "";
	char *kid;
	int ret;

	ret = read_token(ss->token_file, &tok, why, sizeof(why));
	if (!ret)
		ret = buf_addf(&id, "ST$%s", tok.buf);
	if (!ret && sign_jwt_exp(tok.buf, tok.len, &exp) == -ENOMEM)
		ret = -ENOMEM;
	if (ret) {
		log_msg(ss->log, LOG_WARNING,
			"profile '%s': cannot read the security token file again (%s); still signing with the previous token",
			ss->profile, why[0] ? why : "out of memory");
		goto out;
	}
	kid = buf_detach(&id, NULL);
	if (!kid)
		goto out;
	buf_wipe_free(s->key_id);
	s->key_id = kid;
	ss->exp = exp;
	ss->reloads++;
	log_msg(ss->log, LOG_INFO,
		"profile '%s': read the changed security token file '%s'",
		ss->profile, ss->token_file);
out:
	buf_wipe_release(&tok);
	buf_wipe_release(&id);
}

/*
 * The key file of a session changed (`oci session authenticate` makes a
 * new key pair): load it, without a pass phrase (session keys have none,
 * and the pass phrase is gone after start-up); lock held.
 */
static void reload_key(struct signer *s, struct sign_session *ss)
{
	struct crypto_key *key = NULL;
	char why[512] = "";

	if (crypto_key_load(&key, ss->key_file, NULL, NULL, NULL, why,
			    sizeof(why))) {
		log_msg(ss->log, LOG_WARNING,
			"profile '%s': cannot load the changed key file (%s); still signing with the previous key",
			ss->profile, why);
		return;
	}
	crypto_key_free(s->key);
	s->key = key;
	log_msg(ss->log, LOG_INFO,
		"profile '%s': loaded the changed key file '%s'", ss->profile,
		ss->key_file);
}

/*
 * Before a signature: read the token and key files again when they
 * changed.  A stat() each (no lock); the reads under the exclusive lock.
 * A file that cannot be read keeps the previous value, with one warning
 * per version of the file.
 */
static void session_refresh(struct signer *s)
{
	struct sign_session *ss = s->session;
	struct file_id tid, kid;
	bool tok_changed, key_changed;

	file_id_of(ss->token_file, &tid);
	file_id_of(ss->key_file, &kid);
	pthread_rwlock_rdlock(&ss->lock);
	tok_changed = !file_id_same(&tid, &ss->token_seen);
	key_changed = !file_id_same(&kid, &ss->key_seen);
	pthread_rwlock_unlock(&ss->lock);
	if (!tok_changed && !key_changed)
		return;
	pthread_rwlock_wrlock(&ss->lock);
	/*
	 * Again under the lock: another thread may have been first (and our
	 * first look may be older than its).  A change between this stat()
	 * and the read costs one more read, at the next signature.
	 */
	file_id_of(ss->token_file, &tid);
	file_id_of(ss->key_file, &kid);
	if (!file_id_same(&kid, &ss->key_seen)) {
		ss->key_seen = kid;
		reload_key(s, ss);
	}
	if (!file_id_same(&tid, &ss->token_seen)) {
		ss->token_seen = tid;
		reload_token(s, ss);
	}
	pthread_rwlock_unlock(&ss->lock);
}

int sign_signer_init(struct signer *s, const struct profile *p,
		     crypto_passphrase_fn ask, void *ask_arg,
		     const struct logger *lg, char *why, size_t why_n)
{
	char fp[CRYPTO_FINGERPRINT_LEN];
	struct buf id = BUF_INIT_SECRET(AUTH_MAX);
	struct buf tok = BUF_INIT_SECRET(TOKEN_FILE_MAX);
	struct crypto_key *key = NULL;
	struct sign_session *ss = NULL;
	struct stat st;
	int ret;

	s->key = NULL;
	s->key_id = NULL;
	s->session = NULL;
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
	/* our askers say what went wrong better than "asking failed" */
	if (ret == -ENOKEY && (ask == sign_ask_command || ask == sign_ask_fd) &&
	    ask_arg && ((struct sign_ask *)ask_arg)->why[0])
		buf_fmt(why, why_n, "key file '%s' is encrypted and %s",
			p->key_file, ((struct sign_ask *)ask_arg)->why);
	if (ret)
		goto out;

	if (p->security_token_file && *p->security_token_file) {
		ret = session_new(&ss, p, lg);
		if (!ret)
			ret = read_token(p->security_token_file, &tok, why,
					 why_n);
		if (!ret)
			ret = buf_addf(&id, "ST$%s", tok.buf);
		if (!ret && sign_jwt_exp(tok.buf, tok.len, &ss->exp) == -ENOMEM)
			ret = -ENOMEM;
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
	if (!ret) {
		s->session = ss;
		ss = NULL;
	}
out:
	session_free(ss);
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

/* One trailing "\n" or "\r\n" off `out` (length `len`); the new length. */
static size_t strip_newline(char *out, size_t len)
{
	if (len && out[len - 1] == '\n') {
		out[--len] = '\0';
		if (len && out[len - 1] == '\r')
			out[--len] = '\0';
	}
	return len;
}

/*
 * Read `fd` to its end (or, with `line`, to the first newline) and strip
 * one trailing newline: the pass phrase into `out` (size n,
 * NUL-terminated), its length; -EMSGSIZE when it is longer than
 * SIGN_PASS_MAX or n - 1 bytes, -errno.
 */
static int read_secret(int fd, char *out, size_t n, bool line)
{
	char tmp[SIGN_PASS_MAX + 3]; /* the pass phrase, "\r\n", NUL */
	size_t len = 0;
	bool toolong = false;
	ssize_t r;
	int ret;

	for (;;) {
		r = read(fd, tmp + len, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (!r)
			break;
		len++;
		if (line && tmp[len - 1] == '\n')
			break;
		if (len == sizeof(tmp) - 1) {
			toolong = true;
			break;
		}
	}
	tmp[len] = '\0';
	len = strip_newline(tmp, len);
	if (toolong || len > SIGN_PASS_MAX || len + 1 > n) {
		ret = -EMSGSIZE;
		goto out;
	}
	memcpy(out, tmp, len + 1);
	ret = (int)len;
out:
	buf_wipe(tmp, sizeof(tmp));
	if (ret < 0)
		buf_wipe(out, n);
	return ret;
}

int sign_ask_command(void *arg, const char *key_path, char *out, size_t n)
{
	struct sign_ask *a = arg;
	char *argv[] = {"sh", "-c", NULL, NULL};
	posix_spawn_file_actions_t fa;
	int pfd[2] = {-1, -1}, status = 0, ret;
	bool fa_init = false;
	pid_t pid = -1;

	(void)key_path;
	if (!a || !a->command || !out || n < 2)
		return -EINVAL;
	out[0] = '\0';
	a->why[0] = '\0';
	argv[2] = (char *)a->command;
	if (pipe2(pfd, O_CLOEXEC)) {
		ret = -errno;
		buf_fmt(a->why, sizeof(a->why), "pass_phrase_command: pipe: %s",
			strerror(-ret));
		goto out;
	}
	ret = posix_spawn_file_actions_init(&fa);
	if (!ret) {
		fa_init = true;
		/* dup2 clears O_CLOEXEC on the child's fd 1 */
		ret = posix_spawn_file_actions_adddup2(&fa, pfd[1],
						       STDOUT_FILENO);
	}
	if (!ret)
		ret = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	if (ret) {
		pid = -1;
		buf_fmt(a->why, sizeof(a->why),
			"pass_phrase_command: cannot run /bin/sh: %s",
			strerror(ret));
		ret = -EIO;
		goto out;
	}
	close(pfd[1]);
	pfd[1] = -1;
	ret = read_secret(pfd[0], out, n, false);
	/* a command that prints too much must not block on a full pipe */
	close(pfd[0]);
	pfd[0] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (ret == -EMSGSIZE)
		buf_fmt(a->why, sizeof(a->why),
			"pass_phrase_command: its output is longer than %d bytes",
			SIGN_PASS_MAX);
	else if (ret < 0)
		buf_fmt(a->why, sizeof(a->why), "pass_phrase_command: read: %s",
			strerror(-ret));
	if (ret < 0)
		goto out;
	if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status))) {
		if (WIFSIGNALED(status))
			buf_fmt(a->why, sizeof(a->why),
				"pass_phrase_command: killed by signal %d",
				WTERMSIG(status));
		else
			buf_fmt(a->why, sizeof(a->why),
				"pass_phrase_command: exited with status %d",
				WEXITSTATUS(status));
		ret = -EIO;
	} else if (!ret) {
		buf_fmt(a->why, sizeof(a->why),
			"pass_phrase_command: printed no pass phrase");
		ret = -ENODATA;
	}
out:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (ret < 0)
		buf_wipe(out, n);
	return ret;
}

int sign_ask_fd(void *arg, const char *key_path, char *out, size_t n)
{
	struct sign_ask *a = arg;
	int ret;

	(void)key_path;
	if (!a || !out || n < 2)
		return -EINVAL;
	a->why[0] = '\0';
	ret = read_secret(a->fd, out, n, true);
	if (ret == -EMSGSIZE)
		buf_fmt(a->why, sizeof(a->why),
			"pass_phrase_stdin: the pass phrase is longer than %d bytes",
			SIGN_PASS_MAX);
	else if (ret < 0)
		buf_fmt(a->why, sizeof(a->why), "pass_phrase_stdin: read: %s",
			strerror(-ret));
	else if (!ret) {
		buf_fmt(a->why, sizeof(a->why),
			"pass_phrase_stdin: no pass phrase on standard input");
		ret = -ENODATA;
	}
	if (ret < 0)
		buf_wipe(out, n);
	return ret;
}
