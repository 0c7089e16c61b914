/* SPDX-License-Identifier: MIT */
/* journal: the durable record of backups and `history`; see journal.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "journal.h"
#include "log.h"
#include "ocivaultfs.h"
#include "target.h"
#include "banned.h"

/* A record never needs more: every field is bounded by its API limit. */
#define JN_LINE_MAX (16u * 1024)
/* A file larger than this is not read (not ours, or broken). */
#define JN_FILE_MAX (256u * 1024 * 1024)
#define JN_PATH_MAX 4096
#define JN_PART_MAX 100

enum jn_field {
	JF_STATE,
	JF_KEY,
	JF_PATH,
	JF_TARGET,
	JF_NS,
	JF_BUCKET,
	JF_OBJECT,
	JF_TOKEN,
	JF_WR,
	JF_REQ,
	JF_ERRNO,
	JF_CODE,
	JF_MSG,
	JF_KIND,
	JF_N,
};

static const char *const field_names[JF_N] = {
	[JF_STATE] = "state",	[JF_KEY] = "key",     [JF_PATH] = "path",
	[JF_TARGET] = "target", [JF_NS] = "ns",	      [JF_BUCKET] = "bucket",
	[JF_OBJECT] = "object", [JF_TOKEN] = "token", [JF_WR] = "wr",
	[JF_REQ] = "req",	[JF_ERRNO] = "errno", [JF_CODE] = "code",
	[JF_MSG] = "msg",	[JF_KIND] = "kind",
};

/* One entry in memory: the fields of its records, merged. */
struct jn_ent {
	uint64_t id;
	int64_t submitted, finished;
	unsigned int gen; /* file generation of its latest record */
	char *f[JF_N];
};

struct journal {
	pthread_mutex_t lock;
	const struct logger *log;
	int (*fsync_fn)(int fd);
	uint64_t max_bytes;
	char dir[JN_PATH_MAX];
	char path[JN_PATH_MAX]; /* NAME.journal */
	char old_path[JN_PATH_MAX]; /* NAME.journal.1 */
	int fd; /* current file, -1 read-only */
	int lock_fd;
	bool read_only;
	bool torn; /* the file does not end with a newline */
	uint64_t size; /* of the current file */
	uint64_t carry; /* bytes carried over by the last rotation */
	unsigned int gen;
	uint64_t next_id;
	struct jn_ent **v; /* sorted by id */
	size_t n, alloc;
};

/* ---- pure helpers -------------------------------------------------------- */

static uint32_t fnv1a(const void *p, size_t n, uint32_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

#define FNV_INIT 2166136261u

static void name_part(const char *s, char *out, size_t *o, size_t n)
{
	for (size_t i = 0; s[i] && i < JN_PART_MAX && *o + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == '-';

		out[(*o)++] = ok ? (char)c : '_';
	}
	out[*o] = '\0';
}

int journal_name(const char *tenancy, const char *profile, char *out, size_t n)
{
	uint32_t h = FNV_INIT;
	size_t o = 0;
	char tail[16];

	if (!tenancy || !*tenancy || !profile || !*profile || n < 2)
		return -EINVAL;
	h = fnv1a(tenancy, strlen(tenancy), h);
	h = fnv1a("\n", 1, h);
	h = fnv1a(profile, strlen(profile), h);
	out[0] = '\0';
	name_part(tenancy, out, &o, n);
	if (o + 1 < n)
		out[o++] = '-';
	name_part(profile, out, &o, n);
	snprintf(tail, sizeof(tail), "-%08" PRIx32, h);
	if (o + strlen(tail) + 1 > n)
		return -ENAMETOOLONG;
	memcpy(out + o, tail, strlen(tail) + 1);
	/* "." and ".." cannot come out: the hash tail is always there. */
	return 0;
}

int journal_escape(struct buf *out, const char *s)
{
	int ret = 0;

	for (; *s && !ret; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '\\':
			ret = buf_adds(out, "\\\\");
			break;
		case '\t':
			ret = buf_adds(out, "\\t");
			break;
		case '\n':
			ret = buf_adds(out, "\\n");
			break;
		case '\r':
			ret = buf_adds(out, "\\r");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				ret = buf_addf(out, "\\x%02x", c);
			else
				ret = buf_addch(out, (char)c);
		}
	}
	return ret;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescape [s, s+n) into a new string; NULL on a bad escape or -ENOMEM. */
static char *unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i == n)
			goto bad;
		switch (s[i]) {
		case '\\':
			out[o++] = '\\';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 'x':
			if (i + 2 >= n)
				goto bad;
			if (hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0 ||
			    (!hexval(s[i + 1]) && !hexval(s[i + 2])))
				goto bad;
			out[o++] = (char)(hexval(s[i + 1]) * 16 +
					  hexval(s[i + 2]));
			i += 2;
			break;
		default:
			goto bad;
		}
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static bool state_final(const char *s)
{
	return s && strcmp(s, "submitting") && strcmp(s, "accepted") &&
	       strcmp(s, "in_progress");
}

static bool ent_unfinished(const struct jn_ent *e)
{
	return e->f[JF_STATE] && !state_final(e->f[JF_STATE]);
}

static void ent_free(struct jn_ent *e)
{
	if (!e)
		return;
	for (int i = 0; i < JF_N; i++)
		free(e->f[i]);
	free(e);
}

/* ---- the table of entries (lock held) ------------------------------------ */

static size_t ent_pos(const struct journal *j, uint64_t id)
{
	size_t lo = 0, hi = j->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct jn_ent *ent_find(const struct journal *j, uint64_t id)
{
	size_t p = ent_pos(j, id);

	return p < j->n && j->v[p]->id == id ? j->v[p] : NULL;
}

static struct jn_ent *ent_add(struct journal *j, uint64_t id)
{
	struct jn_ent *e = ent_find(j, id);
	size_t p;

	if (e)
		return e;
	if (j->n == j->alloc) {
		size_t na = j->alloc ? j->alloc * 2 : 64;
		struct jn_ent **v = realloc(j->v, na * sizeof(*v));

		if (!v)
			return NULL;
		j->v = v;
		j->alloc = na;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->id = id;
	p = ent_pos(j, id);
	memmove(j->v + p + 1, j->v + p, (j->n - p) * sizeof(*j->v));
	j->v[p] = e;
	j->n++;
	if (id >= j->next_id)
		j->next_id = id + 1;
	return e;
}

/* Set a field ("" clears it); -ENOMEM leaves it cleared. */
static int ent_set(struct jn_ent *e, enum jn_field f, const char *v)
{
	free(e->f[f]);
	e->f[f] = NULL;
	if (!v || !*v)
		return 0;
	e->f[f] = strdup(v);
	return e->f[f] ? 0 : -ENOMEM;
}

static const char *ent_get(const struct jn_ent *e, enum jn_field f)
{
	return e->f[f] ? e->f[f] : "";
}

/* ---- records -------------------------------------------------------------- */

static int rec_num(struct buf *b, const char *name, int64_t v)
{
	return buf_addf(b, "\t%s=%lld", name, (long long)v);
}

static int rec_str(struct buf *b, enum jn_field f, const char *v)
{
	int ret;

	if (!v || !*v)
		return 0;
	ret = buf_addf(b, "\t%s=", field_names[f]);
	return ret ? ret : journal_escape(b, v);
}

/* The record of every field of `e` (a `begin`), or of the given ones. */
static int rec_entry(struct buf *b, const char *type, const struct jn_ent *e,
		     int64_t t)
{
	int ret = buf_addf(b, "r=%s\tid=%llu", type, (unsigned long long)e->id);

	if (!ret)
		ret = rec_num(b, "t", t);
	if (!ret && e->submitted)
		ret = rec_num(b, "submitted", e->submitted);
	if (!ret && e->finished)
		ret = rec_num(b, "finished", e->finished);
	for (int i = 0; i < JF_N && !ret; i++)
		ret = rec_str(b, (enum jn_field)i, e->f[i]);
	return ret;
}

static int rec_seal(struct buf *b)
{
	uint32_t h = fnv1a(b->buf, b->len, FNV_INIT);

	return buf_addf(b, "\t#%08" PRIx32 "\n", h);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (!w)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Append one sealed record to the current file (lock held). */
static int append(struct journal *j, struct buf *rec)
{
	int ret;

	if (j->torn) {
		/* A torn record before: start a line of our own, so that the
		 * fragment stays one (skipped) line. */
		ret = write_all(j->fd, "\n", 1);
		if (ret)
			return ret;
		j->size++;
		j->torn = false;
	}
	ret = write_all(j->fd, rec->buf, rec->len);
	if (ret) {
		/* Part of it may be there: a torn line, told apart by its
		 * hash; the next record starts a new line. */
		j->torn = true;
		log_msg(j->log, LOG_ERR, "cannot write journal '%s': %s",
			j->path, strerror(-ret));
		return ret;
	}
	j->size += rec->len;
	return 0;
}

static void sync_dir(struct journal *j)
{
	int fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * The current file becomes NAME.journal.1 and a new one starts with the
 * unfinished entries (lock held).  A failure leaves the current file in
 * use (logged); the next record tries again.
 */
static void rotate(struct journal *j)
{
	char tmp[JN_PATH_MAX + 8];
	struct buf all = BUF_INIT(JN_FILE_MAX);
	struct buf rec = BUF_INIT(JN_LINE_MAX);
	size_t kept = 0;
	int fd = -1, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.new", j->path);
	for (size_t i = 0; i < j->n && !ret; i++) {
		if (!ent_unfinished(j->v[i]))
			continue;
		buf_reset(&rec);
		ret = rec_entry(&rec, "begin", j->v[i], 0);
		if (!ret)
			ret = rec_seal(&rec);
		if (!ret)
			ret = buf_add(&all, rec.buf, rec.len);
	}
	if (ret)
		goto out;
	fd = open(tmp,
		  O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC |
			  O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = write_all(fd, all.buf, all.len);
	if (!ret && j->fsync_fn(fd))
		ret = -errno ? -errno : -EIO;
	if (!ret && rename(j->path, j->old_path))
		ret = -errno;
	if (!ret && rename(tmp, j->path))
		ret = -errno;
	if (ret)
		goto out;
	sync_dir(j);
	close(j->fd);
	j->fd = fd;
	fd = -1;
	j->size = all.len;
	j->carry = all.len;
	j->torn = false;
	j->gen++;
	/* Drop what only the file just deleted held. */
	for (size_t i = 0; i < j->n; i++) {
		struct jn_ent *e = j->v[i];

		if (ent_unfinished(e))
			e->gen = j->gen;
		if (e->gen + 1 < j->gen)
			ent_free(e);
		else
			j->v[kept++] = e;
	}
	j->n = kept;
	log_msg(j->log, LOG_INFO,
		"journal '%s' rotated (%zu bytes of unfinished backups carried "
		"over)",
		j->path, all.len);
out:
	if (ret)
		log_msg(j->log, LOG_ERR, "cannot rotate journal '%s': %s",
			j->path, strerror(-ret));
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	buf_release(&rec);
	buf_release(&all);
}

static void maybe_rotate(struct journal *j)
{
	uint64_t limit = j->max_bytes;

	if (limit < 2 * j->carry)
		limit = 2 * j->carry;
	if (j->size >= limit)
		rotate(j);
}

/* Write the record of `e` (type "begin" or "set" with only what changed:
 * the caller builds it) (lock held). */
static int put(struct journal *j, struct buf *rec)
{
	int ret = rec_seal(rec);

	if (!ret)
		ret = append(j, rec);
	if (!ret)
		maybe_rotate(j);
	return ret;
}

/* ---- loading ------------------------------------------------------------- */

struct load {
	unsigned int bad, lines;
	bool last_bad;
};

/* Apply one line (without its newline).  False when it is not valid. */
static bool apply_line(struct journal *j, const char *s, size_t n,
		       unsigned int gen)
{
	const char *hash = NULL, *p, *end = s + n;
	char *vals[JF_N] = {0};
	bool ok = false, begin = false, have_id = false;
	uint64_t id = 0;
	int64_t submitted = -1, finished = -1;
	struct jn_ent *e;

	/* The seal: "\t#" and 8 hex digits at the very end. */
	if (n < 10 || s[n - 10] != '\t' || s[n - 9] != '#')
		return false;
	hash = s + n - 8;
	{
		uint32_t want = 0;

		for (int i = 0; i < 8; i++) {
			int h = hexval(hash[i]);

			if (h < 0)
				return false;
			want = want << 4 | (uint32_t)h;
		}
		if (fnv1a(s, n - 10, FNV_INIT) != want)
			return false;
	}
	end = s + n - 10;
	for (p = s; p < end;) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *fe = tab ? tab : end;
		const char *eq = memchr(p, '=', (size_t)(fe - p));
		size_t kl;

		if (!eq)
			goto out;
		kl = (size_t)(eq - p);
		if (kl == 1 && *p == 'r') {
			if ((size_t)(fe - eq - 1) == 5 &&
			    !memcmp(eq + 1, "begin", 5))
				begin = true;
			else if (!((size_t)(fe - eq - 1) == 3 &&
				   !memcmp(eq + 1, "set", 3))) {
				ok = true; /* sealed, but of a later version */
				goto out;
			}
		} else if ((kl == 2 && !memcmp(p, "id", 2)) ||
			   (kl == 9 && !memcmp(p, "submitted", 9)) ||
			   (kl == 8 && !memcmp(p, "finished", 8)) ||
			   (kl == 1 && *p == 't')) {
			char num[24], *ep;
			size_t vl = (size_t)(fe - eq - 1);
			long long v;

			if (!vl || vl >= sizeof(num))
				goto out;
			memcpy(num, eq + 1, vl);
			num[vl] = '\0';
			errno = 0;
			v = strtoll(num, &ep, 10);
			if (errno || *ep || v < 0)
				goto out;
			if (*p == 'i') {
				id = (uint64_t)v;
				have_id = true;
			} else if (*p == 's') {
				submitted = v;
			} else if (*p == 'f') {
				finished = v;
			}
		} else {
			for (int i = 0; i < JF_N; i++) {
				if (strlen(field_names[i]) != kl ||
				    memcmp(field_names[i], p, kl))
					continue;
				free(vals[i]);
				vals[i] =
					unescape(eq + 1, (size_t)(fe - eq - 1));
				if (!vals[i])
					goto out;
			}
		}
		p = tab ? tab + 1 : end;
	}
	if (!have_id || !id)
		goto out;
	e = begin ? ent_add(j, id) : ent_find(j, id);
	ok = true;
	if (!e)
		goto out; /* a `set` for an entry we no longer have */
	e->gen = gen;
	if (submitted >= 0)
		e->submitted = submitted;
	if (finished >= 0)
		e->finished = finished;
	for (int i = 0; i < JF_N; i++) {
		if (!vals[i])
			continue;
		free(e->f[i]);
		e->f[i] = vals[i];
		vals[i] = NULL;
	}
out:
	for (int i = 0; i < JF_N; i++)
		free(vals[i]);
	return ok;
}

/* Read a whole file (at most JN_FILE_MAX) from `fd`. */
static int slurp(int fd, struct buf *b)
{
	char chunk[65536];

	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		int ret;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return 0;
		ret = buf_add(b, chunk, (size_t)r);
		if (ret)
			return ret;
	}
}

static int load_fd(struct journal *j, int fd, const char *path,
		   unsigned int gen, bool *torn, uint64_t *size)
{
	struct buf b = BUF_INIT(JN_FILE_MAX);
	struct load l = {0};
	size_t start = 0;
	int ret = slurp(fd, &b);

	if (ret)
		goto out;
	*size = b.len;
	*torn = b.len && b.buf[b.len - 1] != '\n';
	while (start < b.len) {
		char *nl = memchr(b.buf + start, '\n', b.len - start);
		size_t n = nl ? (size_t)(nl - (b.buf + start)) : b.len - start;

		l.lines++;
		if (!n) {
			l.last_bad = false; /* blank line: after a torn one */
		} else if (!nl || n > JN_LINE_MAX ||
			   !apply_line(j, b.buf + start, n, gen)) {
			l.bad++;
			l.last_bad = true;
		} else {
			l.last_bad = false;
		}
		start += n + 1;
	}
	if (l.bad)
		log_msg(j->log, LOG_WARNING,
			"journal '%s': %u of %u lines skipped (torn or "
			"damaged%s)",
			path, l.bad, l.lines,
			l.last_bad ? ", the last one included" : "");
out:
	buf_release(&b);
	return ret;
}

static int load_path(struct journal *j, const char *path, unsigned int gen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool torn;
	uint64_t size;
	int ret;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ret = load_fd(j, fd, path, gen, &torn, &size);
	close(fd);
	return ret;
}

/* ---- open ------------------------------------------------------------------ */

/* mkdir -p, each made component 0700. */
static int make_dirs(const char *dir)
{
	char p[JN_PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(p) || !n)
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) && errno != EEXIST)
			return -errno;
		p[i] = dir[i];
	}
	return 0;
}

static int default_dir(char *out, size_t n)
{
	const char *x = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int len;

	if (x && x[0] == '/')
		len = snprintf(out, n, "%s/ocivaultfs", x);
	else if (home && home[0] == '/')
		len = snprintf(out, n, "%s/.local/state/ocivaultfs", home);
	else
		return -ENOENT;
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static int sys_fsync(int fd)
{
	return fsync(fd);
}

/* j->dir, j->path, j->old_path and the lock file's path, from opts. */
static int journal_paths(struct journal *j, const struct journal_opts *opts,
			 char *lock_path, size_t lock_n, char *why,
			 size_t why_n)
{
	char name[2 * JN_PART_MAX + 16];
	int ret, len;

	ret = journal_name(opts->tenancy, opts->profile, name, sizeof(name));
	if (ret) {
		buf_fmt(why, why_n, "no tenancy or profile to name it");
		return ret;
	}
	if (opts->dir && opts->dir[0])
		ret = buf_copy(j->dir, sizeof(j->dir), opts->dir);
	else
		ret = default_dir(j->dir, sizeof(j->dir));
	if (ret) {
		buf_fmt(why, why_n,
			"no directory for it (set XDG_STATE_HOME, HOME or "
			"state_dir=)");
		return ret;
	}
	len = snprintf(j->path, sizeof(j->path), "%s/%s.journal", j->dir, name);
	if (len < 0 || (size_t)len + 3 >= sizeof(j->path)) {
		buf_fmt(why, why_n, "directory name too long");
		return -ENAMETOOLONG;
	}
	snprintf(j->old_path, sizeof(j->old_path), "%s.1", j->path);
	snprintf(lock_path, lock_n, "%s/%s.lock", j->dir, name);
	return 0;
}

/*
 * The directory, then the lock: held, or (another mount holds it)
 * j->read_only with a warning in the log.
 */
static int journal_lock(struct journal *j, const char *lock_path, char *why,
			size_t why_n)
{
	int ret;

	ret = make_dirs(j->dir);
	if (ret) {
		buf_fmt(why, why_n, "cannot make directory '%s': %s", j->dir,
			strerror(-ret));
		return ret;
	}
	j->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0600);
	if (j->lock_fd < 0) {
		ret = -errno;
		buf_fmt(why, why_n, "cannot open '%s': %s", lock_path,
			strerror(-ret));
		return ret;
	}
	if (flock(j->lock_fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK) {
			ret = -errno;
			buf_fmt(why, why_n, "cannot lock '%s': %s", lock_path,
				strerror(-ret));
			return ret;
		}
		j->read_only = true;
		log_msg(j->log, LOG_WARNING,
			"journal '%s' is in use by another mount: this mount "
			"reads it and does not record its own backups",
			j->path);
	}
	return 0;
}

/*
 * The rotated journal, then the current one: read only, or opened for
 * appending (j->fd) and its directory synced.
 */
static int journal_load(struct journal *j, char *why, size_t why_n)
{
	int ret;

	ret = load_path(j, j->old_path, 0);
	if (ret) {
		buf_fmt(why, why_n, "cannot read '%s': %s", j->old_path,
			strerror(-ret));
		return ret;
	}
	if (j->read_only) {
		ret = load_path(j, j->path, 1);
		if (ret)
			buf_fmt(why, why_n, "cannot read '%s': %s", j->path,
				strerror(-ret));
		return ret;
	}
	j->fd = open(j->path,
		     O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		     0600);
	if (j->fd < 0) {
		ret = -errno;
		buf_fmt(why, why_n, "cannot open '%s': %s", j->path,
			strerror(-ret));
		return ret;
	}
	ret = load_fd(j, j->fd, j->path, 1, &j->torn, &j->size);
	if (ret) {
		buf_fmt(why, why_n, "cannot read '%s': %s", j->path,
			strerror(-ret));
		return ret;
	}
	sync_dir(j);
	return 0;
}

int journal_open(struct journal **out, const struct journal_opts *opts,
		 char *why, size_t why_n)
{
	char lock_path[JN_PATH_MAX];
	struct journal *j;
	int ret;

	*out = NULL;
	why[0] = '\0';
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->fd = j->lock_fd = -1;
	j->log = opts->log;
	j->fsync_fn = opts->fsync_fn ? opts->fsync_fn : sys_fsync;
	j->max_bytes = opts->max_bytes ? opts->max_bytes : JOURNAL_MAX_BYTES;
	j->next_id = 1;
	j->gen = 1;
	if (pthread_mutex_init(&j->lock, NULL)) {
		free(j);
		return -ENOMEM;
	}
	ret = journal_paths(j, opts, lock_path, sizeof(lock_path), why, why_n);
	if (!ret)
		ret = journal_lock(j, lock_path, why, why_n);
	if (!ret)
		ret = journal_load(j, why, why_n);
	if (ret) {
		journal_free(j);
		return ret;
	}
	*out = j;
	return 0;
}

void journal_free(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	if (j->lock_fd >= 0)
		close(j->lock_fd); /* releases the flock */
	for (size_t i = 0; i < j->n; i++)
		ent_free(j->v[i]);
	free(j->v);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

bool journal_read_only(const struct journal *j)
{
	return j->read_only;
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

/* ---- recording ------------------------------------------------------------- */

/* The target and message as recorded: no PAR token, whatever the caller
 * passed. */
static int set_redacted(struct jn_ent *e, enum jn_field f, const char *s)
{
	char *tmp;
	int ret;

	if (!s || !*s)
		return ent_set(e, f, NULL);
	tmp = strdup(s);
	if (!tmp)
		return -ENOMEM;
	target_redact_text(tmp);
	ret = ent_set(e, f, tmp);
	buf_wipe(tmp, strlen(tmp));
	free(tmp);
	return ret;
}

static int fill(struct jn_ent *e, const struct journal_entry *in)
{
	int ret = 0;

	e->submitted = in->submitted;
	e->finished = in->finished;
	ret |= ent_set(e, JF_STATE, in->state);
	ret |= ent_set(e, JF_KEY, in->key);
	ret |= ent_set(e, JF_PATH, in->path);
	ret |= set_redacted(e, JF_TARGET, in->target);
	ret |= ent_set(e, JF_NS, in->ns);
	ret |= ent_set(e, JF_BUCKET, in->bucket);
	ret |= ent_set(e, JF_OBJECT, in->object);
	ret |= ent_set(e, JF_TOKEN, in->token);
	ret |= ent_set(e, JF_WR, in->wr);
	ret |= ent_set(e, JF_REQ, in->request_id);
	ret |= ent_set(e, JF_ERRNO, in->errno_name);
	ret |= ent_set(e, JF_CODE, in->code);
	ret |= set_redacted(e, JF_MSG, in->message);
	ret |= ent_set(e, JF_KIND, in->kind);
	return ret ? -ENOMEM : 0;
}

static int begin_locked(struct journal *j, const struct journal_entry *in,
			uint64_t *id)
{
	struct buf rec = BUF_INIT(JN_LINE_MAX);
	struct jn_ent *e;
	int ret;

	e = ent_add(j, j->next_id);
	if (!e)
		return -ENOMEM;
	e->gen = j->gen;
	ret = fill(e, in);
	if (!ret)
		ret = rec_entry(&rec, "begin", e, in->submitted);
	if (!ret)
		ret = put(j, &rec);
	buf_release(&rec);
	*id = e->id;
	return ret;
}

int journal_begin(struct journal *j, const struct journal_entry *e,
		  uint64_t *id)
{
	int ret;

	*id = 0;
	if (j->read_only)
		return 0;
	pthread_mutex_lock(&j->lock);
	ret = begin_locked(j, e, id);
	if (ret && *id) {
		/* Not recorded: the caller refuses the backup; forget it. */
		struct jn_ent *x = ent_find(j, *id);

		if (x) {
			/* Kept in memory (history shows the attempt). */
			const char *en = strerrorname_np(-ret);

			ent_set(x, JF_STATE, "failed");
			ent_set(x, JF_ERRNO, en ? en : "EIO");
			ent_set(x, JF_CODE, "JournalError");
			x->finished = e->submitted;
		}
		*id = 0;
	}
	pthread_mutex_unlock(&j->lock);
	return ret;
}

/* A `set` record of the given fields of entry `e` (lock held). */
static int set_locked(struct journal *j, struct jn_ent *e, int64_t t,
		      const enum jn_field *fields, size_t nf, bool fin)
{
	struct buf rec = BUF_INIT(JN_LINE_MAX);
	int ret;

	e->gen = j->gen;
	ret = buf_addf(&rec, "r=set\tid=%llu", (unsigned long long)e->id);
	if (!ret)
		ret = rec_num(&rec, "t", t);
	if (!ret && fin && e->finished)
		ret = rec_num(&rec, "finished", e->finished);
	for (size_t i = 0; i < nf && !ret; i++)
		ret = rec_str(&rec, fields[i], e->f[fields[i]]);
	if (!ret)
		ret = put(j, &rec);
	buf_release(&rec);
	return ret;
}

int journal_accepted(struct journal *j, uint64_t id, int64_t t, const char *wr,
		     const char *request_id)
{
	static const enum jn_field f[] = {JF_STATE, JF_WR, JF_REQ};
	struct jn_ent *e;
	int ret, fd = -1;

	if (!id || j->read_only)
		return 0;
	pthread_mutex_lock(&j->lock);
	e = ent_find(j, id);
	if (!e) {
		pthread_mutex_unlock(&j->lock);
		return -ENOENT;
	}
	ent_set(e, JF_STATE, "accepted");
	ent_set(e, JF_WR, wr);
	ent_set(e, JF_REQ, request_id);
	ret = set_locked(j, e, t, f, 3, false);
	if (!ret) {
		/* fsync without the lock: others may append meanwhile, and
		 * a rotation may replace j->fd (the record is then also in
		 * the new file, which the rotation synced). */
		fd = dup(j->fd);
		if (fd < 0)
			ret = -errno;
	}
	pthread_mutex_unlock(&j->lock);
	if (fd >= 0) {
		if (j->fsync_fn(fd))
			ret = errno ? -errno : -EIO;
		close(fd);
	}
	if (ret)
		log_msg(j->log, LOG_ERR,
			"journal '%s': the acceptance of backup %llu may not "
			"be on disk: %s",
			j->path, (unsigned long long)id, strerror(-ret));
	return ret;
}

void journal_set(struct journal *j, uint64_t id, int64_t t, const char *state,
		 int64_t finished, const char *errno_name, const char *code,
		 const char *message, const char *request_id)
{
	enum jn_field f[6];
	struct jn_ent *e;
	size_t nf = 0;
	bool fin = state_final(state);

	if (!id || j->read_only || !state)
		return;
	pthread_mutex_lock(&j->lock);
	e = ent_find(j, id);
	if (!e)
		goto out;
	ent_set(e, JF_STATE, state);
	f[nf++] = JF_STATE;
	if (fin) {
		e->finished = finished ? finished : t;
		if (errno_name && *errno_name) {
			ent_set(e, JF_ERRNO, errno_name);
			f[nf++] = JF_ERRNO;
		}
		if (code && *code) {
			ent_set(e, JF_CODE, code);
			f[nf++] = JF_CODE;
		}
		if (message && *message) {
			set_redacted(e, JF_MSG, message);
			f[nf++] = JF_MSG;
		}
		if (request_id && *request_id) {
			ent_set(e, JF_REQ, request_id);
			f[nf++] = JF_REQ;
		}
	}
	set_locked(j, e, t, f, nf, fin);
out:
	pthread_mutex_unlock(&j->lock);
}

void journal_refused(struct journal *j, const struct journal_entry *e)
{
	uint64_t id;

	if (j->read_only)
		return;
	pthread_mutex_lock(&j->lock);
	begin_locked(j, e, &id);
	pthread_mutex_unlock(&j->lock);
}

/* ---- reading --------------------------------------------------------------- */

static void view(const struct jn_ent *e, struct journal_entry *o)
{
	o->id = e->id;
	o->submitted = e->submitted;
	o->finished = e->finished;
	o->state = ent_get(e, JF_STATE);
	o->key = ent_get(e, JF_KEY);
	o->path = ent_get(e, JF_PATH);
	o->target = ent_get(e, JF_TARGET);
	o->ns = ent_get(e, JF_NS);
	o->bucket = ent_get(e, JF_BUCKET);
	o->object = ent_get(e, JF_OBJECT);
	o->token = ent_get(e, JF_TOKEN);
	o->wr = ent_get(e, JF_WR);
	o->request_id = ent_get(e, JF_REQ);
	o->errno_name = ent_get(e, JF_ERRNO);
	o->code = ent_get(e, JF_CODE);
	o->message = ent_get(e, JF_MSG);
	o->kind = ent_get(e, JF_KIND);
}

static struct jn_ent *ent_copy(const struct jn_ent *e)
{
	struct jn_ent *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->id = e->id;
	c->submitted = e->submitted;
	c->finished = e->finished;
	for (int i = 0; i < JF_N; i++) {
		if (e->f[i] && !(c->f[i] = strdup(e->f[i]))) {
			ent_free(c);
			return NULL;
		}
	}
	return c;
}

int journal_each_unfinished(struct journal *j,
			    int (*fn)(void *arg, const struct journal_entry *e),
			    void *arg)
{
	struct jn_ent **v = NULL;
	size_t n = 0;
	int ret = 0;

	pthread_mutex_lock(&j->lock);
	if (j->n)
		v = calloc(j->n, sizeof(*v));
	for (size_t i = 0; v && i < j->n; i++) {
		if (!ent_unfinished(j->v[i]))
			continue;
		v[n] = ent_copy(j->v[i]);
		if (!v[n]) {
			ret = -ENOMEM;
			break;
		}
		n++;
	}
	if (j->n && !v)
		ret = -ENOMEM;
	pthread_mutex_unlock(&j->lock);
	for (size_t i = 0; i < n && !ret; i++) {
		struct journal_entry e;

		view(v[i], &e);
		ret = fn(arg, &e);
	}
	for (size_t i = 0; i < n; i++)
		ent_free(v[i]);
	free(v);
	return ret;
}

bool journal_in_flight(struct journal *j, const char *key)
{
	bool r = false;

	pthread_mutex_lock(&j->lock);
	for (size_t i = j->n; i-- > 0 && !r;)
		r = ent_unfinished(j->v[i]) &&
		    !strcmp(ent_get(j->v[i], JF_KEY), key);
	pthread_mutex_unlock(&j->lock);
	return r;
}

int journal_last_success(struct journal *j, const char *key,
			 struct journal_success *out)
{
	int ret = -ENOENT;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&j->lock);
	for (size_t i = j->n; i-- > 0 && ret;) {
		const struct jn_ent *e = j->v[i];
		const char *kind = ent_get(e, JF_KIND);

		if (strcmp(ent_get(e, JF_KEY), key) ||
		    strcmp(ent_get(e, JF_STATE), "succeeded") ||
		    (*kind && strcmp(kind, "key-backup") &&
		     strcmp(kind, "vault-backup")))
			continue;
		out->finished = e->finished;
		if (*ent_get(e, JF_BUCKET) && *ent_get(e, JF_OBJECT))
			snprintf(out->object, sizeof(out->object), "%s/%s/%s",
				 ent_get(e, JF_NS), ent_get(e, JF_BUCKET),
				 ent_get(e, JF_OBJECT));
		else
			buf_copy(out->object, sizeof(out->object),
				 ent_get(e, JF_TARGET));
		buf_copy(out->wr, sizeof(out->wr), ent_get(e, JF_WR));
		ret = 0;
	}
	pthread_mutex_unlock(&j->lock);
	return ret;
}

static int hist_field(struct buf *out, const char *s, bool last)
{
	int ret = s && *s ? journal_escape(out, s) : buf_addch(out, '-');

	return ret ? ret : buf_addch(out, last ? '\n' : '\t');
}

static int hist_time(struct buf *out, int64_t t)
{
	char ts[32];

	if (!t || clock_rfc3339(t, ts, sizeof(ts)))
		return hist_field(out, NULL, false);
	return hist_field(out, ts, false);
}

static int hist_line(struct buf *out, const struct jn_ent *e)
{
	int ret = hist_time(out, e->submitted);

	if (!ret)
		ret = hist_field(out, e->f[JF_STATE], false);
	if (!ret)
		ret = hist_field(out, e->f[JF_PATH], false);
	if (!ret && e->f[JF_BUCKET] && e->f[JF_OBJECT]) {
		ret = journal_escape(out, ent_get(e, JF_NS));
		if (!ret)
			ret = buf_addch(out, '/');
		if (!ret)
			ret = journal_escape(out, e->f[JF_BUCKET]);
		if (!ret)
			ret = buf_addch(out, '/');
		if (!ret)
			ret = hist_field(out, e->f[JF_OBJECT], false);
	} else if (!ret) {
		ret = hist_field(out, e->f[JF_TARGET], false);
	}
	if (!ret)
		ret = hist_field(out, e->f[JF_WR], false);
	if (!ret)
		ret = hist_time(out,
				state_final(e->f[JF_STATE]) ? e->finished : 0);
	if (!ret)
		ret = hist_field(out, e->f[JF_ERRNO], false);
	if (!ret)
		ret = hist_field(out, e->f[JF_CODE], false);
	if (!ret)
		ret = hist_field(out,
				 e->f[JF_KIND] ? e->f[JF_KIND] : "key-backup",
				 true);
	return ret;
}

int journal_history(struct journal *j, const char *key, struct buf *out)
{
	int ret = 0;

	pthread_mutex_lock(&j->lock);
	for (size_t i = 0; i < j->n && !ret; i++)
		if (!key || !strcmp(ent_get(j->v[i], JF_KEY), key))
			ret = hist_line(out, j->v[i]);
	pthread_mutex_unlock(&j->lock);
	return ret;
}
