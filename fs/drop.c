/* SPDX-License-Identifier: MIT */
/*
 * drop: the entries of the drop directories; see include/drop.h.
 *
 * A short list (DROP_ENTRIES_MAX) under one lock: a drop directory holds
 * a few files at a time, so lookups walk it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "drop.h"
#include "banned.h"

enum drop_state {
	DROP_OPEN, /* being written */
	DROP_SUBMITTING, /* the submit callback runs */
	DROP_ACCEPTED, /* read-only until `until` */
};

struct drop_entry {
	struct drop_entry *next; /* d->head, while linked */
	struct tree_node *dir;
	char *name;
	uint64_t ino;
	struct buf data; /* secret */
	int64_t mtime;
	int64_t until; /* DROP_ACCEPTED: unlisted after this (ms) */
	unsigned int refs; /* the table (when linked) + handles */
	enum drop_state state;
	bool linked;
	bool dirty; /* written since created or last complete */
};

struct drop {
	pthread_mutex_t lock;
	struct drop_opts opts;
	struct drop_entry *head;
	size_t n;
	size_t total; /* bytes of every entry */
	uint64_t seq;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(const struct drop *d)
{
	return d->opts.now_ms ? d->opts.now_ms() : mono_ms();
}

int drop_new(struct drop **out, const struct drop_opts *opts)
{
	struct drop *d;

	*out = NULL;
	if (!opts->max_file_bytes || !opts->submit)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (pthread_mutex_init(&d->lock, NULL)) {
		free(d);
		return -ENOMEM;
	}
	d->opts = *opts;
	if (!d->opts.max_total_bytes)
		d->opts.max_total_bytes = opts->max_file_bytes > SIZE_MAX / 4
						  ? SIZE_MAX
						  : 4 * opts->max_file_bytes;
	*out = d;
	return 0;
}

static void entry_free(struct drop_entry *e)
{
	buf_release(&e->data); /* secret: wiped */
	free(e->name);
	free(e);
}

/* Drop a reference; d->lock held. */
static void entry_put(struct drop *d, struct drop_entry *e)
{
	if (--e->refs)
		return;
	d->total -= e->data.len;
	entry_free(e);
}

/* Take the entry out of the table; d->lock held. */
static void entry_unlink(struct drop *d, struct drop_entry *e)
{
	struct drop_entry **pp;

	if (!e->linked)
		return;
	for (pp = &d->head; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	e->linked = false;
	e->next = NULL;
	d->n--;
	entry_put(d, e);
}

/* Accepted entries whose time is up leave the table; d->lock held. */
static void expire(struct drop *d)
{
	int64_t now = now_ms(d);
	struct drop_entry *e = d->head, *next;

	for (; e; e = next) {
		next = e->next;
		if (e->state == DROP_ACCEPTED && now >= e->until)
			entry_unlink(d, e);
	}
}

void drop_free(struct drop *d)
{
	if (!d)
		return;
	/* Handles may still reference entries: the session is over. */
	while (d->head) {
		struct drop_entry *e = d->head;

		d->head = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static void attr_of(const struct drop_entry *e, struct drop_attr *a)
{
	if (!a)
		return;
	a->ino = e->ino;
	a->size = e->data.len;
	a->readonly = e->state == DROP_ACCEPTED;
	a->mtime = e->mtime;
}

static struct drop_entry *find(struct drop *d, struct tree_node *dir,
			       const char *name)
{
	struct drop_entry *e;

	for (e = d->head; e; e = e->next)
		if (e->dir == dir && !strcmp(e->name, name))
			return e;
	return NULL;
}

static struct drop_entry *find_ino(struct drop *d, uint64_t ino)
{
	struct drop_entry *e;

	for (e = d->head; e; e = e->next)
		if (e->ino == ino)
			return e;
	return NULL;
}

int drop_lookup(struct drop *d, struct tree_node *dir, const char *name,
		struct drop_attr *a)
{
	struct drop_entry *e;

	pthread_mutex_lock(&d->lock);
	expire(d);
	e = find(d, dir, name);
	if (e)
		attr_of(e, a);
	pthread_mutex_unlock(&d->lock);
	return e ? 0 : -ENOENT;
}

int drop_getattr(struct drop *d, uint64_t ino, struct drop_attr *a)
{
	struct drop_entry *e;

	pthread_mutex_lock(&d->lock);
	expire(d);
	e = find_ino(d, ino);
	if (e)
		attr_of(e, a);
	pthread_mutex_unlock(&d->lock);
	return e ? 0 : -ENOENT;
}

struct tree_node *drop_dir_of(struct drop *d, uint64_t ino)
{
	struct drop_entry *e;
	struct tree_node *n;

	pthread_mutex_lock(&d->lock);
	e = find_ino(d, ino);
	n = e ? e->dir : NULL;
	pthread_mutex_unlock(&d->lock);
	return n;
}

int drop_readdir(struct drop *d, struct tree_node *dir,
		 int (*fn)(void *arg, const char *name,
			   const struct drop_attr *a),
		 void *arg)
{
	struct drop_entry *e;
	struct drop_attr a;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	expire(d);
	for (e = d->head; e && !ret; e = e->next) {
		if (e->dir != dir)
			continue;
		attr_of(e, &a);
		ret = fn(arg, e->name, &a);
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static int check_name(const char *name)
{
	size_t len = strlen(name);

	if (!len || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	if (len > DROP_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int64_t wall_s(void)
{
	return (int64_t)time(NULL);
}

/* Set the entry's size; d->lock held.  Zeros when growing. */
static int resize(struct drop *d, struct drop_entry *e, size_t size)
{
	size_t old = e->data.len;
	int ret;

	if (size > d->opts.max_file_bytes)
		return -EFBIG;
	if (size > old) {
		if (size - old > d->opts.max_total_bytes - d->total)
			return -ENOSPC;
		ret = buf_grow(&e->data, size - old);
		if (ret)
			return ret == -EMSGSIZE ? -EFBIG : ret;
		memset(e->data.buf + old, 0, size - old);
		e->data.len = size;
		e->data.buf[size] = '\0';
		d->total += size - old;
	} else if (size < old) {
		buf_wipe(e->data.buf + size, old - size);
		buf_setlen(&e->data, size);
		d->total -= old - size;
	}
	return 0;
}

/* May the entry be written?  d->lock held. */
static int writable(const struct drop_entry *e)
{
	if (e->state == DROP_SUBMITTING)
		return -EBUSY;
	if (e->state == DROP_ACCEPTED)
		return -EACCES;
	return 0;
}

static int open_entry(struct drop *d, struct drop_entry *e, bool trunc,
		      struct drop_entry **fh, struct drop_attr *a)
{
	int ret = writable(e);

	if (ret)
		return ret;
	if (trunc && e->data.len) {
		ret = resize(d, e, 0);
		if (ret)
			return ret;
		e->dirty = true;
		e->mtime = wall_s();
	}
	e->refs++;
	*fh = e;
	attr_of(e, a);
	return 0;
}

int drop_open(struct drop *d, struct tree_node *dir, const char *name,
	      bool create, bool excl, bool trunc, struct drop_entry **fh,
	      struct drop_attr *a)
{
	struct drop_entry *e;
	int ret;

	*fh = NULL;
	ret = check_name(name);
	if (ret)
		return ret;
	pthread_mutex_lock(&d->lock);
	expire(d);
	e = find(d, dir, name);
	if (e) {
		ret = excl ? -EEXIST : open_entry(d, e, trunc, fh, a);
		goto out;
	}
	ret = -ENOENT;
	if (!create)
		goto out;
	ret = -ENOSPC;
	if (d->n >= DROP_ENTRIES_MAX)
		goto out;
	ret = -ENOMEM;
	e = calloc(1, sizeof(*e));
	if (!e)
		goto out;
	e->name = strdup(name);
	if (!e->name) {
		free(e);
		goto out;
	}
	buf_init_secret(&e->data, d->opts.max_file_bytes);
	e->dir = dir;
	e->ino = DROP_INO_BASE + d->seq++;
	e->mtime = wall_s();
	e->refs = 2; /* the table and the handle */
	e->linked = true;
	e->next = d->head;
	d->head = e;
	d->n++;
	*fh = e;
	attr_of(e, a);
	ret = 0;
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int drop_open_ino(struct drop *d, uint64_t ino, bool trunc,
		  struct drop_entry **fh, struct drop_attr *a)
{
	struct drop_entry *e;
	int ret = -ENOENT;

	*fh = NULL;
	pthread_mutex_lock(&d->lock);
	expire(d);
	e = find_ino(d, ino);
	if (e)
		ret = open_entry(d, e, trunc, fh, a);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int drop_write(struct drop *d, struct drop_entry *e, const void *buf,
	       size_t size, uint64_t off)
{
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = writable(e);
	if (ret)
		goto out;
	ret = -EFBIG;
	if (off > d->opts.max_file_bytes || size > d->opts.max_file_bytes - off)
		goto out;
	if (off + size > e->data.len) {
		ret = resize(d, e, (size_t)(off + size));
		if (ret)
			goto out;
	}
	memcpy(e->data.buf + off, buf, size);
	if (size)
		e->dirty = true;
	e->mtime = wall_s();
	ret = 0;
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int drop_truncate(struct drop *d, struct drop_entry *fh, uint64_t ino,
		  uint64_t size)
{
	struct drop_entry *e;
	int ret = -ENOENT;

	pthread_mutex_lock(&d->lock);
	e = fh ? fh : find_ino(d, ino);
	if (!e)
		goto out;
	ret = writable(e);
	if (ret)
		goto out;
	ret = -EFBIG;
	if (size > d->opts.max_file_bytes)
		goto out;
	if ((size_t)size != e->data.len) {
		ret = resize(d, e, (size_t)size);
		if (ret)
			goto out;
		e->dirty = true;
		e->mtime = wall_s();
	}
	ret = 0;
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int drop_touch(struct drop *d, uint64_t ino)
{
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = find_ino(d, ino) ? 0 : -ENOENT;
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/*
 * Submit `e` (state DROP_OPEN, dirty, d->lock held; the lock is dropped
 * around the callback and held again on return).  On success the entry
 * lingers read-only; on failure it leaves the table.
 */
static int submit(struct drop *d, struct drop_entry *e,
		  bool (*interrupted)(void *iarg), void *iarg)
{
	int ret;

	e->dirty = false;
	if (!e->data.len) {
		entry_unlink(d, e);
		return -EINVAL; /* not a backup */
	}
	e->state = DROP_SUBMITTING;
	e->refs++; /* ours, across the unlock */
	pthread_mutex_unlock(&d->lock);
	/* Nobody changes data, name or dir while submitting. */
	ret = d->opts.submit(d->opts.arg, e->dir, e->name,
			     (const unsigned char *)e->data.buf, e->data.len,
			     interrupted, iarg);
	pthread_mutex_lock(&d->lock);
	if (ret) {
		e->state = DROP_OPEN;
		entry_unlink(d, e);
	} else {
		e->state = DROP_ACCEPTED;
		e->until = now_ms(d) + DROP_LINGER_MS;
		/* The bytes are OCI's now: no copy stays here. */
		d->total -= e->data.len;
		buf_release(&e->data);
	}
	entry_put(d, e);
	return ret;
}

int drop_flush(struct drop *d, struct drop_entry *e,
	       bool (*interrupted)(void *iarg), void *iarg)
{
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (e->linked && e->state == DROP_OPEN && e->dirty && e->name[0] != '.')
		ret = submit(d, e, interrupted, iarg);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

void drop_release(struct drop *d, struct drop_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&d->lock);
	entry_put(d, e);
	pthread_mutex_unlock(&d->lock);
}

int drop_rename(struct drop *d, struct tree_node *dir, const char *name,
		const char *newname, bool noreplace,
		bool (*interrupted)(void *iarg), void *iarg)
{
	struct drop_entry *e, *old;
	char *copy;
	bool was_hidden;
	int ret;

	ret = check_name(newname);
	if (ret)
		return ret;
	copy = strdup(newname);
	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&d->lock);
	expire(d);
	e = find(d, dir, name);
	ret = -ENOENT;
	if (!e)
		goto out;
	ret = writable(e);
	if (ret)
		goto out;
	old = find(d, dir, newname);
	if (old == e) {
		ret = 0;
		goto out;
	}
	if (old) {
		ret = noreplace ? -EEXIST : writable(old);
		if (ret)
			goto out;
		entry_unlink(d, old);
	}
	was_hidden = e->name[0] == '.';
	free(e->name);
	e->name = copy;
	copy = NULL;
	ret = 0;
	if (was_hidden && e->name[0] != '.') {
		e->dirty = true; /* complete now, even if written long ago */
		ret = submit(d, e, interrupted, iarg);
	}
out:
	pthread_mutex_unlock(&d->lock);
	free(copy);
	return ret;
}

int drop_unlink(struct drop *d, struct tree_node *dir, const char *name)
{
	struct drop_entry *e;
	int ret = -ENOENT;

	pthread_mutex_lock(&d->lock);
	e = find(d, dir, name);
	if (e) {
		ret = e->state == DROP_SUBMITTING ? -EBUSY : 0;
		if (!ret)
			entry_unlink(d, e);
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}
