/* SPDX-License-Identifier: MIT */
/*
 * ops: thin FUSE callbacks (libfuse's low-level API) over tree.c and
 * backups.c; see include/ops.h.
 *
 * Inode numbers.  Every inode is a (tree node, tree_what) pair: a
 * compartment, vault or key node and what of it the file is (the node's
 * directory, its `id`, `status`, its `keys` directory, ...).  Tree nodes are
 * numbered densely from 0 (the root) and live for the whole mount
 * (include/tree.h), so
 *
 *     ino = (node index << 4 | what) + 1
 *
 * is stable for the mount, never reused, and decodes back without a table
 * (tree_node_at); the root directory, (node 0, TW_COMPARTMENT = 0), is
 * FUSE_ROOT_ID.  st_ino is the same number.  Since nothing is allocated
 * per inode, FORGET has nothing to free (a no-op).
 *
 * Kernel caching.  Entries and attributes come from listings that stay
 * fresh for cache_ttl, so LOOKUP replies (and readdirplus entries) carry
 * entry and attribute timeouts of cache_ttl; a name that is absent is
 * cached as absent for as long as the listing that says so stays fresh.
 * Directory contents are cached by the kernel (cache_readdir) and kept
 * across opens (keep_cache) while the listing's names have not changed:
 * OPENDIR always reaches us, refreshes a stale listing and drops the
 * kernel's copy when it changed.  What changes earlier is reported by the
 * tree (on_stale) and invalidated with libfuse's notify calls, see
 * ovfs_invalidate().
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "backups.h"
#include "clock.h"
#include "drop.h"
#include "oci.h"
#include "ops.h"
#include "ovfs.h"
#include "restores.h"
#include "target.h"
#include "tree.h"
#include "banned.h"

/* Writes of this size likely have more data following (stdio, cp). */
#define OPS_CHUNK 4096
/* Entry invalidations waiting for the notifier thread, at most. */
#define OPS_NOTIFY_MAX 65536

#define WHAT_BITS 5
_Static_assert(TW_COMPARTMENT == 0, "the root must be FUSE_ROOT_ID");
_Static_assert(TW_LAST < (1 << WHAT_BITS), "tree_what fits");

/*
 * An open file.  libfuse's multi-threaded loop does not serialize requests
 * on one handle (two threads may read or write one descriptor at once):
 * `lock` protects everything below it.
 */
struct ovfs_fh {
	struct tree_path p; /* fixed */
	pthread_mutex_t lock;
	struct buf data; /* read snapshot */
	bool ready; /* data filled */
	int err; /* read error to report (wait) */
	struct buf wbuf; /* backup: bytes written through this handle */
	size_t consumed; /* backup: bytes already acted upon */
	struct drop_entry *drop; /* a drop entry (p: TW_DROP, its dir) */
	struct ovfs_fh *prev, *next; /* ovfs.fhs (under ovfs.fh_lock) */
};

static struct ovfs *ctx(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct ovfs_fh *fh_of(const struct fuse_file_info *fi)
{
	return (struct ovfs_fh *)(uintptr_t)fi->fh;
}

static fuse_ino_t ino_of(const struct tree_path *p)
{
	return ((fuse_ino_t)tree_node_index(p->node) << WHAT_BITS |
		(fuse_ino_t)p->what) +
	       1;
}

/* The tree_path of an inode number that ino_of() made. */
static int path_of(struct ovfs *o, fuse_ino_t ino, struct tree_path *p)
{
	uint64_t x;

	if (!ino || drop_is_ino(ino))
		return -ESTALE;
	x = ino - 1;
	p->what = (enum tree_what)(x & ((1u << WHAT_BITS) - 1));
	p->node = tree_node_at(o->tree, x >> WHAT_BITS);
	if (!p->node || p->what > TW_LAST)
		return -ESTALE;
	return 0;
}

/* The directory holding directory `p` (for ".."). */
static struct tree_path parent_of(struct ovfs *o, const struct tree_path *p)
{
	struct tree_node *n = p->node;
	struct tree_path r = {TW_COMPARTMENT, tree_root(o->tree)};

	switch (p->what) {
	case TW_COMPARTMENT:
		if (tree_node_parent(n))
			r = (struct tree_path){TW_COMPARTMENTS,
					       tree_node_parent(n)};
		break;
	case TW_COMPARTMENTS:
	case TW_VAULTS:
		r.node = n;
		break;
	case TW_VAULT:
		r = (struct tree_path){TW_VAULTS, tree_node_parent(n)};
		break;
	case TW_KEYS:
		r = (struct tree_path){TW_VAULT, n};
		break;
	case TW_KEY:
		r = (struct tree_path){TW_KEYS, tree_node_parent(n)};
		break;
	case TW_DROP:
		r = (struct tree_path){
			n->kind == TREE_VAULT ? TW_VAULT : TW_COMPARTMENT, n};
		break;
	default:
		break;
	}
	return r;
}

static double ttl(const struct ovfs *o)
{
	return (double)o->opts.cache_ttl;
}

static void reply_status(fuse_req_t req, int ret)
{
	fuse_reply_err(req, ret < 0 ? -ret : ret);
}

/*
 * The modes are enforced by the kernel (default_permissions, always on):
 * directories and read-only files are for everyone the mount lets in
 * (allow_other), `backup` for the mounting user only.
 */
/* The files a write acts on: `backup`, `restore`, `restore-vault`. */
static bool is_control(enum tree_what w)
{
	return w == TW_BACKUP || w == TW_RESTORE;
}

/* umask= only takes bits away: nothing becomes executable or writable. */
static mode_t mode_of(const struct ovfs *o, enum tree_what w)
{
	mode_t keep = ~(mode_t)(o->opts.umask & 0777);

	if (tree_is_dir(w))
		return S_IFDIR | (0555 & keep);
	if (is_control(w))
		return S_IFREG | (0600 & keep);
	return S_IFREG | (0444 & keep);
}

static void fill_stat(struct ovfs *o, const struct tree_path *p,
		      struct stat *st)
{
	int64_t t = o->mount_time, m, c;

	memset(st, 0, sizeof(*st));
	st->st_ino = ino_of(p);
	st->st_mode = mode_of(o, p->what);
	st->st_nlink = tree_is_dir(p->what) ? 2 : 1;
	st->st_uid = o->uid;
	st->st_gid = o->gid;
	st->st_blksize = 4096;
	tree_path_times(p, &m, &c);
	if (p->what == TW_ID)
		st->st_size = (off_t)strlen(p->node->id) + 1;
	st->st_atime = st->st_mtime = (time_t)(m > t ? m : t);
	st->st_ctime = (time_t)(c > t ? c : t);
}

/*
 * Sizes.  Every regular file reports the length of what a read would
 * return now, so that programs which trust st_size (sendfile, splice,
 * GIO, tar, shutil) copy the content.  Apart from `id`, the content
 * changes while the mount runs, so the kernel keeps no attributes of
 * those files (timeout 0): each stat asks, and the answer is rendered
 * from memory.  key.json and vault.json report the length of the last
 * GetKey/GetVault when younger than cache_ttl, else a stat fetches it
 * (waiting like a read); the wait files report 0 (their content exists
 * when the wait ends).
 */
static bool is_dynamic(enum tree_what w)
{
	return !tree_is_dir(w) && w != TW_ID;
}

static double attr_ttl(const struct ovfs *o, enum tree_what w)
{
	return is_dynamic(w) ? 0.0 : ttl(o);
}

/* How render() is asked: for a stat (its size) or for a read. */
enum render_for { FOR_STAT, FOR_READ };

/* A read of key.json or vault.json that follows the stat that fetched it
 * (cp, tar, gio: stat, open, read) uses that GetKey rather than its own. */
#define OPS_JSON_REUSE_MS 2000

static int render(struct ovfs *o, const struct tree_path *p, struct buf *out,
		  enum render_for why, struct tree_wait *w);
static void wait_begin(fuse_req_t req, struct tree_wait *w);
static void wait_end(fuse_req_t req);

/*
 * st_size of `p` into st.  `req` NULL: never wait for the network (LOOKUP
 * and readdir; what needs a call then reports 0, and the next stat asks
 * again since the attributes are not cached).
 */
static int fill_size(fuse_req_t req, struct ovfs *o, const struct tree_path *p,
		     struct stat *st)
{
	struct tree_wait w;
	struct buf b;
	size_t len;
	int ret;

	if (!is_dynamic(p->what) || tree_is_unlisted(p->what))
		return 0;
	if (p->what == TW_KEY_JSON || p->what == TW_VAULT_JSON) {
		if (!tree_json_len(o->tree, p->node, o->opts.json_size_cached,
				   &len)) {
			st->st_size = (off_t)len;
			return 0;
		}
		if (!req)
			return 0; /* would need a fetch */
	}
	buf_init(&b, 16u << 20);
	if (req)
		wait_begin(req, &w);
	ret = render(o, p, &b, FOR_STAT, req ? &w : NULL);
	if (req)
		wait_end(req);
	if (!ret) {
		st->st_size = (off_t)b.len;
		st->st_blocks = (blkcnt_t)((b.len + 511) / 512);
	}
	buf_release(&b);
	return ret;
}

static void fill_entry(struct ovfs *o, const struct tree_path *p,
		       struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino_of(p);
	fill_stat(o, p, &e->attr);
	(void)fill_size(NULL, o, p, &e->attr); /* best effort: 0 */
	e->attr_timeout = attr_ttl(o, p->what);
	e->entry_timeout = ttl(o);
}

/*
 * Drop entries (drop.h): the mounting user's files, writable until they
 * are submitted, read-only (accepted) until they disappear.  They change
 * without the tree knowing: the kernel caches nothing of them (timeouts
 * 0, no readdir cache of a drop directory).
 */
static void drop_stat(struct ovfs *o, const struct drop_attr *a,
		      struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = a->ino;
	st->st_mode = S_IFREG | ((a->readonly ? 0400 : 0600) &
				 ~(mode_t)(o->opts.umask & 0777));
	st->st_nlink = 1;
	st->st_uid = o->uid;
	st->st_gid = o->gid;
	st->st_blksize = 4096;
	st->st_size = (off_t)a->size;
	st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
	st->st_atime = st->st_mtime = st->st_ctime = (time_t)a->mtime;
}

static void drop_fill_entry(struct ovfs *o, const struct drop_attr *a,
			    struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = a->ino;
	drop_stat(o, a, &e->attr);
}

/* May this request change a drop directory? (the mounting user only) */
static bool drop_allowed(fuse_req_t req)
{
	return fuse_req_ctx(req)->uid == ctx(req)->uid;
}

/* The drop directory `ino` names, or NULL. */
static struct tree_node *drop_dir(struct ovfs *o, fuse_ino_t ino)
{
	struct tree_path p;

	if (path_of(o, ino, &p) || p.what != TW_DROP)
		return NULL;
	return p.node;
}

/*
 * Interrupts.  A request that may wait for the network (a first listing,
 * a Get for key.json) waits in the tree on a condition variable while a
 * refresher thread makes the call (include/tree.h).  When its caller gets
 * a signal, the kernel sends FUSE_INTERRUPT (for SIGKILL too, and then
 * keeps the caller in D state until we answer); libfuse calls
 * on_interrupt() from the thread that read it, which cancels the
 * request's tree_wait: the wait ends with -EINTR within ~100 ms and we
 * answer EINTR, while the fetch completes in the background.  The
 * callback is removed before the reply (libfuse runs it under the
 * request's lock, so once fuse_req_interrupt_func() returns it is not
 * running).  With -s (one thread) nobody reads the interrupt: such waits
 * end only at listing_timeout.
 */
static void on_interrupt(fuse_req_t req, void *arg)
{
	(void)req;
	tree_wait_cancel(arg);
}

static void wait_begin(fuse_req_t req, struct tree_wait *w)
{
	tree_wait_init(w);
	fuse_req_interrupt_func(req, on_interrupt, w);
}

static void wait_end(fuse_req_t req)
{
	fuse_req_interrupt_func(req, NULL, NULL);
}

static void ovfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct ovfs *o = ctx(req);
	struct fuse_entry_param e;
	struct tree_path dir, p;
	int ret;

	ret = path_of(o, parent, &dir);
	if (!ret && dir.what == TW_DROP) {
		struct drop_attr a;

		ret = drop_lookup(o->drop, dir.node, name, &a);
		if (ret) {
			reply_status(req, ret);
			return;
		}
		drop_fill_entry(o, &a, &e);
		fuse_reply_entry(req, &e);
		return;
	}
	if (!ret && tree_is_dir(dir.what) &&
	    (!strcmp(name, ".") || !strcmp(name, ".."))) {
		/* Only from exportfs (NFS), like libfuse's high-level. */
		p = name[1] ? parent_of(o, &dir) : dir;
	} else if (!ret) {
		struct tree_wait w;

		wait_begin(req, &w);
		ret = tree_lookup(o->tree, &dir, name, &p, &w);
		wait_end(req);
	}
	if (!ret) {
		fill_entry(o, &p, &e);
		fuse_reply_entry(req, &e);
		return;
	}
	if (ret != -ENOENT || !tree_is_dir(dir.what)) {
		reply_status(req, ret);
		return;
	}
	/*
	 * Absent: cached as absent while the listing that says so is fresh
	 * (a refresh that adds the name invalidates the entry).
	 */
	{
		uint64_t ms = tree_fresh_ms(o->tree, &dir);
		double s = ms == UINT64_MAX ? ttl(o) : (double)ms / 1000.0;

		memset(&e, 0, sizeof(e));
		e.entry_timeout = s < ttl(o) ? s : ttl(o);
		fuse_reply_entry(req, &e);
	}
}

static void ovfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req); /* nothing is held per inode */
}

static void ovfs_forget_multi(fuse_req_t req, size_t count,
			      struct fuse_forget_data *forgets)
{
	(void)count;
	(void)forgets;
	fuse_reply_none(req);
}

static void ovfs_getattr(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct ovfs *o = ctx(req);
	struct tree_path p;
	struct stat st;
	int ret;

	if (drop_is_ino(ino)) {
		struct drop_attr a = {ino, 0, false, o->mount_time};

		ret = drop_getattr(o->drop, ino, &a);
		if (ret && !(fi && fi->fh)) {
			reply_status(req, ret);
			return;
		}
		drop_stat(o, &a, &st); /* removed but open: empty */
		fuse_reply_attr(req, &st, 0);
		return;
	}
	if (fi && fi->fh) {
		struct ovfs_fh *fh = fh_of(fi);

		/* An open file: the length of its snapshot. */
		fill_stat(o, &fh->p, &st);
		pthread_mutex_lock(&fh->lock);
		if (fh->ready)
			st.st_size = (off_t)fh->data.len;
		else if (is_control(fh->p.what))
			st.st_size = (off_t)fh->wbuf.len;
		pthread_mutex_unlock(&fh->lock);
		st.st_blocks = (blkcnt_t)((st.st_size + 511) / 512);
		fuse_reply_attr(req, &st, attr_ttl(o, fh->p.what));
		return;
	}
	ret = path_of(o, ino, &p);
	if (ret) {
		reply_status(req, ret);
		return;
	}
	fill_stat(o, &p, &st);
	ret = fill_size(req, o, &p, &st);
	if (ret) {
		reply_status(req, ret);
		return;
	}
	fuse_reply_attr(req, &st, attr_ttl(o, p.what));
}

/*
 * readdir fills with offsets (entry k has offset k, and a later call
 * resumes after `offset`); in plus mode every entry carries its inode,
 * attributes and timeouts, so that a walk needs no LOOKUP per entry.
 */
struct fill_arg {
	struct ovfs *o;
	fuse_req_t req;
	char *buf;
	size_t size, len;
	bool plus;
	off_t skip; /* entries the kernel already has */
	off_t next; /* offset of the entry being filled */
};

static int fill_at(struct fill_arg *fa, const char *name,
		   const struct tree_path *p, bool self)
{
	size_t room = fa->size - fa->len, need;

	if (++fa->next <= fa->skip)
		return 0;
	if (fa->plus) {
		struct fuse_entry_param e;

		fill_entry(fa->o, p, &e);
		if (self)
			e.ino = 0; /* "." and "..": no lookup */
		need = fuse_add_direntry_plus(fa->req, fa->buf + fa->len, room,
					      name, &e, fa->next);
	} else {
		struct stat st;

		fill_stat(fa->o, p, &st);
		need = fuse_add_direntry(fa->req, fa->buf + fa->len, room, name,
					 &st, fa->next);
	}
	if (need > room)
		return -ENOMEM; /* the buffer is full */
	fa->len += need;
	return 0;
}

static int fill_drop(void *arg, const char *name, const struct drop_attr *a)
{
	struct fill_arg *fa = arg;
	size_t room = fa->size - fa->len, need;

	if (++fa->next <= fa->skip)
		return 0;
	if (fa->plus) {
		struct fuse_entry_param e;

		drop_fill_entry(fa->o, a, &e);
		need = fuse_add_direntry_plus(fa->req, fa->buf + fa->len, room,
					      name, &e, fa->next);
	} else {
		struct stat st;

		drop_stat(fa->o, a, &st);
		need = fuse_add_direntry(fa->req, fa->buf + fa->len, room, name,
					 &st, fa->next);
	}
	if (need > room)
		return -ENOMEM;
	fa->len += need;
	return 0;
}

static int fill_one(void *arg, const char *name, const struct tree_path *p)
{
	struct fill_arg *fa = arg;

	if (fa->next + 1 <= fa->skip) {
		fa->next++;
		return 0;
	}
	return fill_at(fa, name, p, false);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t offset, bool plus)
{
	struct fill_arg fa = {
		ctx(req), req, NULL, size, 0, plus, offset > 0 ? offset : 0, 0};
	struct tree_path p, up;
	struct tree_wait w;
	int ret;

	ret = path_of(fa.o, ino, &p);
	if (!ret && !tree_is_dir(p.what))
		ret = -ENOTDIR;
	if (!ret) {
		fa.buf = malloc(size ? size : 1);
		if (!fa.buf)
			ret = -ENOMEM;
	}
	if (ret) {
		reply_status(req, ret);
		return;
	}
	up = parent_of(fa.o, &p);
	ret = fill_at(&fa, ".", &p, true);
	if (!ret)
		ret = fill_at(&fa, "..", &up, true);
	if (!ret) {
		wait_begin(req, &w);
		ret = tree_readdir(fa.o->tree, &p, fill_one, &fa, &w);
		wait_end(req);
	}
	if (!ret && p.what == TW_DROP)
		ret = drop_readdir(fa.o->drop, p.node, fill_drop, &fa);
	if (ret == -ENOMEM) /* a full buffer is not an error */
		ret = 0;
	if (ret)
		reply_status(req, ret);
	else
		fuse_reply_buf(req, fa.buf, fa.len);
	free(fa.buf);
}

static void ovfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, false);
}

static void ovfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			     off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, true);
}

/*
 * Directories: the kernel may cache what readdir returned (cache_readdir)
 * and keeps that cache across opens while the listing's names have not
 * changed (keep_cache); opendir always reaches us, so a stale listing gets
 * a background refresh queued here, and when that refresh changes the
 * names it drops the kernel's copy (on_stale of the directory).
 */
static void ovfs_opendir(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct ovfs *o = ctx(req);
	struct tree_path p;
	bool unchanged;
	int ret;

	ret = path_of(o, ino, &p);
	if (!ret && !tree_is_dir(p.what))
		ret = -ENOTDIR;
	if (!ret) {
		struct tree_wait w;

		wait_begin(req, &w);
		ret = tree_opendir(o->tree, &p, &unchanged, &w);
		wait_end(req);
	}
	if (ret) {
		reply_status(req, ret);
		return;
	}
	fi->fh = 0;
	/* A drop directory's entries change without the tree knowing. */
	fi->cache_readdir = p.what != TW_DROP;
	fi->keep_cache = unchanged && p.what != TW_DROP;
	fuse_reply_open(req, fi);
}

static void ovfs_releasedir(fuse_req_t req, fuse_ino_t ino,
			    struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

/* What a read of `p` returns, appended to `out` (not the wait files). */
static int render(struct ovfs *o, const struct tree_path *p, struct buf *out,
		  enum render_for why, struct tree_wait *w)
{
	struct tree_node *n = p->node;
	int ret;

	switch (p->what) {
	case TW_ID:
		return buf_addf(out, "%s\n", n->id);
	case TW_KEY_JSON:
	case TW_VAULT_JSON:
		return tree_fetch_json(o->tree, n, out,
				       why == FOR_READ ? OPS_JSON_REUSE_MS : 0,
				       w);
	case TW_STATUS:
		return backups_status(o->backups, n, out);
	case TW_STATUS_JSON:
		return backups_status_json(o->backups, n, out);
	case TW_BACKUP:
		return backups_help(o->backups, n, why == FOR_STAT, out);
	case TW_RESTORE:
		return restores_help(o->restores, n, out);
	case TW_RESTORE_STATUS:
		return restores_status(o->restores, n, out);
	case TW_CTL_STATS:
		ret = oci_client_stats_render(o->client, out);
		if (!ret)
			ret = tree_stats_render(o->tree, out);
		if (!ret)
			ret = backups_stats_render(o->backups, out);
		return ret;
	case TW_CTL_BACKUPS:
		ret = backups_list(o->backups, out);
		if (!ret)
			ret = restores_list(o->restores, out);
		return ret;
	case TW_HISTORY:
		return backups_history(o->backups, n, out);
	case TW_CTL_HISTORY:
		return backups_history(o->backups, NULL, out);
	default:
		return -EISDIR;
	}
}

static int snapshot(struct ovfs *o, struct ovfs_fh *fh, struct tree_wait *w)
{
	int ret;

	if (tree_is_unlisted(fh->p.what))
		return 0; /* a wait file: filled by the first read */
	ret = render(o, &fh->p, &fh->data, FOR_READ, w);
	fh->ready = !ret;
	return ret;
}

static void fh_free(struct ovfs_fh *fh)
{
	if (!fh)
		return;
	buf_release(&fh->data);
	buf_wipe_release(&fh->wbuf); /* may hold a PAR URL */
	pthread_mutex_destroy(&fh->lock);
	free(fh);
}

static void fh_link(struct ovfs *o, struct ovfs_fh *fh)
{
	pthread_mutex_lock(&o->fh_lock);
	fh->next = o->fhs;
	if (o->fhs)
		o->fhs->prev = fh;
	o->fhs = fh;
	pthread_mutex_unlock(&o->fh_lock);
}

static void fh_unlink(struct ovfs *o, struct ovfs_fh *fh)
{
	pthread_mutex_lock(&o->fh_lock);
	if (fh->prev)
		fh->prev->next = fh->next;
	else
		o->fhs = fh->next;
	if (fh->next)
		fh->next->prev = fh->prev;
	pthread_mutex_unlock(&o->fh_lock);
}

/* A handle on drop entry `e` (the reference is the handle's). */
static struct ovfs_fh *drop_fh_new(struct ovfs *o, struct drop_entry *e,
				   struct tree_node *dir)
{
	struct ovfs_fh *fh = calloc(1, sizeof(*fh));

	if (!fh)
		return NULL;
	if (pthread_mutex_init(&fh->lock, NULL)) {
		free(fh);
		return NULL;
	}
	buf_init(&fh->data, 0);
	buf_init_secret(&fh->wbuf, 0);
	fh->p = (struct tree_path){TW_DROP, dir};
	fh->drop = e;
	fh_link(o, fh);
	return fh;
}

static void drop_fh_free(struct ovfs *o, struct ovfs_fh *fh)
{
	fh_unlink(o, fh);
	drop_release(o->drop, fh->drop);
	fh_free(fh);
}

/* Reply to an open or create of a drop entry; `e` NULL: just `ret`. */
static void drop_reply_open(fuse_req_t req, struct drop_entry *e,
			    struct tree_node *dir, const struct drop_attr *a,
			    struct fuse_file_info *fi, bool create)
{
	struct ovfs *o = ctx(req);
	struct fuse_entry_param ep;
	struct ovfs_fh *fh = drop_fh_new(o, e, dir);
	int r;

	if (!fh) {
		drop_release(o->drop, e);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fi->fh = (uintptr_t)fh;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	if (create) {
		drop_fill_entry(o, a, &ep);
		r = fuse_reply_create(req, &ep, fi);
	} else {
		r = fuse_reply_open(req, fi);
	}
	if (r == -ENOENT) /* interrupted: no RELEASE will come */
		drop_fh_free(o, fh);
}

static void drop_open_ino_req(fuse_req_t req, fuse_ino_t ino,
			      struct fuse_file_info *fi)
{
	struct ovfs *o = ctx(req);
	int acc = fi->flags & O_ACCMODE;
	struct drop_entry *e;
	struct drop_attr a;
	struct tree_node *dir = drop_dir_of(o->drop, ino);
	int ret;

	/* The bytes of a backup are not read back. */
	if (acc == O_RDONLY || !drop_allowed(req)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	ret = drop_open_ino(o->drop, ino, fi->flags & O_TRUNC, &e, &a);
	if (ret) {
		reply_status(req, ret);
		return;
	}
	drop_reply_open(req, e, dir, &a, fi, false);
}

static void ovfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ovfs *o = ctx(req);
	int acc = fi->flags & O_ACCMODE;
	struct ovfs_fh *fh;
	int ret;

	if (drop_is_ino(ino)) {
		drop_open_ino_req(req, ino, fi);
		return;
	}

	fh = calloc(1, sizeof(*fh));
	if (!fh) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (pthread_mutex_init(&fh->lock, NULL)) {
		free(fh);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	buf_init(&fh->data, 16u << 20);
	/* what is written may be a PAR URL: no copy left by growing */
	buf_init_secret(&fh->wbuf, TARGET_MAX_INPUT);
	ret = path_of(o, ino, &fh->p);
	if (ret)
		goto fail;
	if (tree_is_dir(fh->p.what)) {
		ret = -EISDIR;
		goto fail;
	}
	if (acc != O_RDONLY && !is_control(fh->p.what)) {
		ret = -EACCES;
		goto fail;
	}
	/*
	 * A backup is the mounting user's act.  The kernel already checks
	 * the modes (default_permissions is always on, main.c), so with
	 * allow_other another user gets EACCES for `backup` (0600) there;
	 * this makes it hold without the kernel's check too, and for root
	 * when another user mounted.
	 */
	if (is_control(fh->p.what) && fuse_req_ctx(req)->uid != o->uid) {
		ret = -EACCES;
		goto fail;
	}
	if (acc != O_WRONLY) {
		struct tree_wait w;

		wait_begin(req, &w);
		ret = snapshot(o, fh, &w);
		wait_end(req);
		if (ret)
			goto fail;
	}
	/* The content is a snapshot made here; the size a stat reported
	 * may be older: read until EOF, bypassing the page cache. */
	fi->direct_io = fh->p.what != TW_ID;
	fi->keep_cache = fh->p.what == TW_ID;
	fi->fh = (uintptr_t)fh;
	fh_link(o, fh);
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* The open was interrupted: no RELEASE will come. */
		fh_unlink(o, fh);
		fh_free(fh);
	}
	return;
fail:
	fh_free(fh);
	reply_status(req, ret);
}

static bool interrupted(void *arg)
{
	return fuse_req_interrupted(arg) != 0;
}

/* The signals whose default action is to do nothing (or to stop or
 * continue the process): they never end the caller. */
static bool harmless_by_default(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG ||
	       sig == SIGWINCH || sig == SIGSTOP || sig == SIGTSTP ||
	       sig == SIGTTIN || sig == SIGTTOU;
}

/*
 * Will a signal pending for thread `tid` end it?  The kernel sends
 * FUSE_INTERRUPT for any signal, also one that a handler catches (bash
 * gets SIGCHLD when a background job ends while its builtin `echo`
 * writes); such a write must not fail with EINTR (a write is not
 * restarted, and bash's echo does not retry).  So a write gives up only
 * for a signal that is not caught, not ignored and not harmless by
 * default: SIGKILL, SIGINT and SIGTERM of a shell or tool without a
 * handler, ...  From /proc/TID/status (SigPnd, ShdPnd, SigIgn, SigCgt);
 * when it cannot be read, assume it will (the caller may be gone).
 */
static bool caller_dying(pid_t tid)
{
	unsigned long long pnd = 0, ign = 0, cgt = 0, v;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return true;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		v = strtoull(colon + 1, NULL, 16);
		if (!strcmp(line, "SigPnd") || !strcmp(line, "ShdPnd"))
			pnd |= v;
		else if (!strcmp(line, "SigIgn"))
			ign = v;
		else if (!strcmp(line, "SigCgt"))
			cgt = v;
	}
	fclose(f);
	for (int sig = 1; sig <= 64; sig++) {
		unsigned long long bit = 1ULL << (sig - 1);

		if (!(pnd & bit))
			continue;
		if (sig == SIGKILL)
			return true;
		if ((ign | cgt) & bit || harmless_by_default(sig))
			continue;
		return true;
	}
	return false;
}

/* The interrupt check of a write to `backup`: see caller_dying(). */
static bool write_interrupted(void *arg)
{
	fuse_req_t req = arg;

	return fuse_req_interrupted(req) &&
	       caller_dying(fuse_req_ctx(req)->pid);
}

/* The `interrupted` of a non-blocking wait: give up at once. */
static bool always(void *arg)
{
	(void)arg;
	return true;
}

static void ovfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct ovfs_fh *fh = fh_of(fi);
	size_t n;
	int ret = 0;

	(void)ino;
	if (fh->drop) {
		fuse_reply_err(req, EACCES);
		return;
	}
	pthread_mutex_lock(&fh->lock);
	if (tree_is_unlisted(fh->p.what) && !fh->ready) {
		/* O_NONBLOCK (fi->flags are the descriptor's, fcntl included):
		 * EAGAIN at once while in flight, like an empty pipe. */
		bool nb = fi->flags & O_NONBLOCK;
		bool (*stop)(void *) = nb ? always : interrupted;

		ret = fh->p.what == TW_WAIT
			      ? backups_wait(ctx(req)->backups, fh->p.node,
					     stop, req, &fh->data)
			      : restores_wait(ctx(req)->restores, fh->p.node,
					      stop, req, &fh->data);
		if (ret == -EINTR && nb && !fuse_req_interrupted(req))
			ret = -EAGAIN;
		if (ret == -EINTR || ret == -EAGAIN)
			goto out; /* may be read again */
		fh->ready = true;
		fh->err = ret;
	}
	ret = fh->err ? fh->err : !fh->ready ? -EBADF : 0;
	if (ret)
		goto out;
	if (off < 0 || (size_t)off >= fh->data.len) {
		fuse_reply_buf(req, NULL, 0);
	} else {
		n = fh->data.len - (size_t)off;
		if (n > size)
			n = size;
		fuse_reply_buf(req, fh->data.buf + off, n);
	}
out:
	pthread_mutex_unlock(&fh->lock);
	if (ret)
		reply_status(req, ret);
}

/*
 * Act on what was written to a backup file since the last action.  An
 * unterminated last line of a write that filled a whole chunk waits for
 * the next write (the writer has more).  fh->lock is held.
 */
static int backup_write(fuse_req_t req, struct ovfs *o, struct ovfs_fh *fh,
			size_t size)
{
	const char *start = fh->wbuf.buf + fh->consumed;
	size_t len = fh->wbuf.len - fh->consumed;
	int ret;

	if (!len)
		return 0;
	if (size && size % OPS_CHUNK == 0 && start[len - 1] != '\n')
		return 0;
	/* A JSON target written line by line: act once it is complete (or
	 * at close, ovfs_flush()). */
	if (size && target_incomplete(start, len))
		return 0;
	/* Bounded (write_timeout) and interruptible: a signal that ends
	 * the writer ends the write with EINTR (backups_submit()). */
	if (fh->p.what == TW_RESTORE)
		ret = restores_submit(o->restores, fh->p.node, start, len,
				      write_interrupted, req);
	else
		ret = backups_submit(o->backups, fh->p.node, start, len,
				     write_interrupted, req);
	fh->consumed = fh->wbuf.len;
	return ret;
}

/* `append`: the descriptor has O_APPEND (fcntl included): every write
 * appends to what this handle wrote, whatever its offset. */
static int fh_write(fuse_req_t req, struct ovfs *o, struct ovfs_fh *fh,
		    const char *buf, size_t size, off_t off, bool append)
{
	size_t end;
	int ret;

	if (!is_control(fh->p.what))
		return -EACCES;
	if (append) /* the kernel puts it at st_size, the help's length */
		off = (off_t)fh->wbuf.len;
	if (off < 0 || (size_t)off > fh->wbuf.len)
		return -EINVAL; /* no holes in a control file */
	end = (size_t)off + size;
	if (end > TARGET_MAX_INPUT)
		return -EFBIG;
	if ((size_t)off < fh->consumed)
		fh->consumed = (size_t)off; /* rewritten: act on it again */
	buf_setlen(&fh->wbuf, (size_t)off);
	ret = buf_add(&fh->wbuf, buf, size);
	if (ret)
		return ret;
	return backup_write(req, o, fh, size);
}

static void ovfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		       size_t size, off_t off, struct fuse_file_info *fi)
{
	struct ovfs_fh *fh = fh_of(fi);
	int ret;

	(void)ino;
	if (fh->drop) {
		ret = off < 0 ? -EINVAL
			      : drop_write(ctx(req)->drop, fh->drop, buf, size,
					   (uint64_t)off);
	} else {
		pthread_mutex_lock(&fh->lock);
		ret = fh_write(req, ctx(req), fh, buf, size, off,
			       fi->flags & O_APPEND);
		pthread_mutex_unlock(&fh->lock);
	}
	/*
	 * `buf` lies in libfuse's receive buffer of this worker, which is
	 * reused and freed without being cleared: a PAR URL written to
	 * `backup` would stay there.  It is writable memory that libfuse
	 * does not read again once this callback returns.
	 */
	buf_wipe((void *)buf, size);
	if (ret)
		reply_status(req, ret);
	else
		fuse_reply_write(req, size);
}

static int do_truncate(struct ovfs *o, const struct tree_path *p, off_t size,
		       struct fuse_file_info *fi)
{
	int ret = 0;

	(void)o;
	if (fi && fi->fh) {
		struct ovfs_fh *fh = fh_of(fi);

		if (!is_control(fh->p.what))
			return -EACCES;
		pthread_mutex_lock(&fh->lock);
		if (size >= 0 && (size_t)size < fh->wbuf.len) {
			buf_setlen(&fh->wbuf, (size_t)size);
			if (fh->consumed > (size_t)size)
				fh->consumed = (size_t)size;
		}
		pthread_mutex_unlock(&fh->lock);
		return ret;
	}
	/* O_TRUNC on the control file is a no-op; everything else is r/o. */
	return is_control(p->what)    ? 0
	       : tree_is_dir(p->what) ? -EISDIR
				      : -EACCES;
}

static int do_utimens(const struct tree_path *p, struct fuse_file_info *fi)
{
	if (fi && fi->fh)
		return is_control(fh_of(fi)->p.what) ? 0 : -EPERM;
	return is_control(p->what) ? 0 : -EPERM; /* `touch backup` is fine */
}

/*
 * A drop entry: the size is set (truncate), chmod and times are accepted
 * and ignored (`cp -p`, `install`, `gio copy` set them), chown only to the
 * owner it has.
 */
static void drop_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			 int to_set, struct fuse_file_info *fi)
{
	struct ovfs *o = ctx(req);
	struct drop_entry *e = fi && fi->fh ? fh_of(fi)->drop : NULL;
	struct drop_attr a = {ino, 0, false, o->mount_time};
	struct stat st;
	int ret = drop_allowed(req) ? 0 : -EPERM;

	if (!ret && (to_set & FUSE_SET_ATTR_UID) && attr->st_uid != o->uid)
		ret = -EPERM;
	if (!ret && (to_set & FUSE_SET_ATTR_GID) && attr->st_gid != o->gid)
		ret = -EPERM;
	if (!ret && (to_set & FUSE_SET_ATTR_SIZE))
		ret = attr->st_size < 0
			      ? -EINVAL
			      : drop_truncate(o->drop, e, ino,
					      (uint64_t)attr->st_size);
	if (!ret && !e)
		ret = drop_touch(o->drop, ino);
	if (!ret) {
		ret = drop_getattr(o->drop, ino, &a);
		if (ret && e)
			ret = 0; /* removed, still open */
	}
	if (ret) {
		reply_status(req, ret);
		return;
	}
	drop_stat(o, &a, &st);
	fuse_reply_attr(req, &st, 0);
}

/*
 * In the order libfuse's high-level setattr took them: chmod and chown
 * are refused, a truncate applies to a backup file's handle, times may be
 * set on backup files only; then the attributes are returned.
 */
static void ovfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			 int to_set, struct fuse_file_info *fi)
{
	struct ovfs *o = ctx(req);
	struct tree_path p;
	struct stat st;
	int ret;

	if (drop_is_ino(ino)) {
		drop_setattr(req, ino, attr, to_set, fi);
		return;
	}
	ret = path_of(o, ino, &p);
	if (!ret && (to_set & FUSE_SET_ATTR_MODE))
		ret = -EPERM;
	if (!ret && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		ret = -EPERM;
	if (!ret && (to_set & FUSE_SET_ATTR_SIZE))
		ret = do_truncate(o, &p, attr->st_size, fi);
	if (!ret && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)))
		ret = do_utimens(&p, fi);
	if (ret) {
		reply_status(req, ret);
		return;
	}
	fill_stat(o, fi && fi->fh ? &fh_of(fi)->p : &p, &st);
	fuse_reply_attr(req, &st, ttl(o));
}

static void ovfs_release(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct ovfs_fh *fh = fh_of(fi);
	struct ovfs *o = ctx(req);

	(void)ino;
	if (fh && fh->drop) {
		drop_fh_free(o, fh);
		fuse_reply_err(req, 0);
		return;
	}
	if (fh) {
		/* Wait for a request still finishing on this handle. */
		pthread_mutex_lock(&fh->lock);
		if (is_control(fh->p.what) && fh->consumed < fh->wbuf.len)
			log_msg(&o->log, LOG_WARNING,
				"'%s': %zu unterminated bytes were never "
				"acted upon",
				fh->p.node->id, fh->wbuf.len - fh->consumed);
		pthread_mutex_unlock(&fh->lock);
		fh_unlink(o, fh);
		fh_free(fh);
	}
	fuse_reply_err(req, 0);
}

/*
 * close(2): a drop entry written through any handle is submitted at the
 * first close after the writes (drop_flush()), and close returns the
 * result.  Nothing else is done on close.
 */
static void ovfs_flush(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct ovfs_fh *fh = fh_of(fi);
	int ret = 0;

	(void)ino;
	if (fh && fh->drop) {
		ret = drop_flush(ctx(req)->drop, fh->drop, write_interrupted,
				 req);
	} else if (fh && is_control(fh->p.what)) {
		/* What waited for more (an unclosed JSON target, a last
		 * line without newline): act now, close(2) gets the result. */
		pthread_mutex_lock(&fh->lock);
		ret = backup_write(req, ctx(req), fh, 0);
		pthread_mutex_unlock(&fh->lock);
	}
	/* ENOSYS would read as "no flush here": the kernel would report
	 * success and never send FLUSH again on this mount. */
	if (ret == -ENOSYS)
		ret = -EOPNOTSUPP;
	reply_status(req, ret);
}

static void ovfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		       struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0); /* vim and GLib fsync after writing */
}

static void ovfs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct tree_path p;
	mode_t m;
	int ret;

	if (drop_is_ino(ino)) {
		struct drop_attr a;

		ret = drop_getattr(ctx(req)->drop, ino, &a);
		if (!ret && (mask & X_OK))
			ret = -EACCES;
		if (!ret && (mask & W_OK) && a.readonly)
			ret = -EACCES;
		reply_status(req, ret);
		return;
	}
	ret = path_of(ctx(req), ino, &p);
	if (!ret) {
		m = mode_of(ctx(req), p.what);
		if (((mask & R_OK) && !(m & S_IRUSR)) ||
		    ((mask & W_OK) && !(m & S_IWUSR)) ||
		    ((mask & X_OK) && !(m & S_IXUSR)))
			ret = -EACCES;
	}
	reply_status(req, ret);
}

static void ovfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct ovfs *o = ctx(req);
	struct tree_stats ts;
	struct statvfs sv;
	uint64_t used, room, files;

	/*
	 * Plausible numbers for df(1), which hides a file system of 0
	 * blocks: used is the heap the tree holds, the free space what drop
	 * directories accept (one file of max_restore_mb); inodes: each
	 * resource has up to 2^WHAT_BITS, and the tree may hold max_cached
	 * resources.
	 */
	(void)ino;
	tree_stats(o->tree, &ts);
	used = (ts.bytes + 4095) / 4096;
	room = ((uint64_t)o->opts.max_restore_mb << 20) / 4096;
	files = (uint64_t)o->opts.max_cached << WHAT_BITS;
	if (files < ts.nodes << WHAT_BITS)
		files = ts.nodes << WHAT_BITS;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = 4096;
	sv.f_frsize = 4096;
	sv.f_blocks = used + room;
	sv.f_bfree = room;
	sv.f_bavail = room;
	sv.f_files = files;
	sv.f_ffree = files - (ts.nodes << WHAT_BITS);
	sv.f_favail = sv.f_ffree;
	sv.f_namemax = NAMES_MAX;
	fuse_reply_statfs(req, &sv);
}

/*
 * Nothing can be created, removed, renamed or re-permissioned, except
 * regular files in a drop directory, by the mounting user.
 */
static void ovfs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
			mode_t mode, struct fuse_file_info *fi)
{
	struct ovfs *o = ctx(req);
	struct tree_node *dir = drop_dir(o, parent);
	struct drop_entry *e;
	struct drop_attr a;
	int ret;

	if (!dir || !drop_allowed(req) || (mode & S_IFMT && !S_ISREG(mode))) {
		fuse_reply_err(req, EACCES);
		return;
	}
	ret = drop_open(o->drop, dir, name, true, fi->flags & O_EXCL,
			fi->flags & O_TRUNC, &e, &a);
	if (ret) {
		reply_status(req, ret);
		return;
	}
	drop_reply_open(req, e, dir, &a, fi, true);
}

static void ovfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		       mode_t mode, dev_t rdev)
{
	struct ovfs *o = ctx(req);
	struct tree_node *dir = drop_dir(o, parent);
	struct fuse_entry_param ep;
	struct drop_entry *e;
	struct drop_attr a;
	int ret;

	(void)rdev;
	if (!dir || !drop_allowed(req) || !S_ISREG(mode)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	ret = drop_open(o->drop, dir, name, true, true, false, &e, &a);
	if (ret) {
		reply_status(req, ret);
		return;
	}
	drop_release(o->drop, e);
	drop_fill_entry(o, &a, &ep);
	fuse_reply_entry(req, &ep);
}

static void ovfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		       mode_t mode)
{
	(void)parent;
	(void)name;
	(void)mode;
	fuse_reply_err(req, EACCES);
}

static void ovfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct ovfs *o = ctx(req);
	struct tree_node *dir = drop_dir(o, parent);

	if (!dir || !drop_allowed(req)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	reply_status(req, drop_unlink(o->drop, dir, name));
}

static void ovfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, EACCES);
}

static void ovfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
			 const char *name)
{
	(void)link;
	(void)parent;
	(void)name;
	fuse_reply_err(req, EACCES);
}

static void ovfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		      const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	fuse_reply_err(req, EACCES);
}

static void ovfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			fuse_ino_t newparent, const char *newname,
			unsigned int flags)
{
	struct ovfs *o = ctx(req);
	struct tree_node *dir = drop_dir(o, parent);
	int ret;

	if (!dir || !drop_allowed(req)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if (drop_dir(o, newparent) != dir) {
		fuse_reply_err(req, EXDEV);
		return;
	}
	if (flags & ~(unsigned int)RENAME_NOREPLACE) {
		fuse_reply_err(req, EINVAL); /* no RENAME_EXCHANGE */
		return;
	}
	/* A hidden name made visible is submitted (gio save): bounded and
	 * interruptible like a close. */
	ret = drop_rename(o->drop, dir, name, newname, flags & RENAME_NOREPLACE,
			  write_interrupted, req);
	reply_status(req, ret == -ENOSYS ? -EOPNOTSUPP : ret);
}

static void ovfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			  const char *value, size_t size, int flags)
{
	(void)name;
	(void)value;
	(void)size;
	(void)flags;
	/* Drop entries hold bytes only: tools that copy ACLs or xattrs
	 * (install, cp -a) take EOPNOTSUPP as "not supported here" and go
	 * on; elsewhere the tree is read-only. */
	fuse_reply_err(req, drop_is_ino(ino) ? EOPNOTSUPP : EPERM);
}

static void ovfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino;
	(void)name;
	fuse_reply_err(req, EPERM);
}

/* ---- invalidation ------------------------------------------------------ */

/*
 * Entry invalidations go through one thread of their own, in order.  The
 * kernel's fuse_reverse_inval_entry() takes the parent directory's i_rwsem
 * exclusively, which a LOOKUP or READDIR in that directory holds (shared)
 * until its reply: sent from the worker serving such a request (a lookup
 * whose listing refresh found a change), or from any worker while another
 * one waits for that refresh (single flight), it would deadlock.  The
 * notifier thread serves no request, so it only waits for those requests
 * to be answered.
 */
struct inval {
	struct inval *next;
	fuse_ino_t parent;
	size_t len;
	char name[];
};

struct ovfs_notify {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	struct inval *head, **tail;
	size_t n;
	bool stop;
};

static void *notify_main(void *arg)
{
	struct ovfs *o = arg;
	struct ovfs_notify *q = o->notify;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct inval *v;

		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->stop)
			break;
		v = q->head;
		q->head = v->next;
		if (!q->head)
			q->tail = &q->head;
		q->n--;
		pthread_mutex_unlock(&q->lock);
		/* -ENOENT: the kernel has no such entry; nothing to drop. */
		fuse_lowlevel_notify_inval_entry(o->se, v->parent, v->name,
						 v->len);
		free(v);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static void notify_start(struct ovfs *o)
{
	struct ovfs_notify *q = calloc(1, sizeof(*q));

	if (!q)
		goto fail;
	q->tail = &q->head;
	if (pthread_mutex_init(&q->lock, NULL))
		goto fail_q;
	if (pthread_cond_init(&q->cond, NULL))
		goto fail_lock;
	o->notify = q;
	if (!pthread_create(&q->thread, NULL, notify_main, o))
		return;
	o->notify = NULL;
	pthread_cond_destroy(&q->cond);
fail_lock:
	pthread_mutex_destroy(&q->lock);
fail_q:
	free(q);
fail:
	log_msg(&o->log, LOG_ERR,
		"cannot start the notifier: names stay cached for cache_ttl");
}

void ovfs_notify_stop(struct ovfs *o)
{
	struct ovfs_notify *q = o->notify;
	struct timespec end;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	if (q->stop) {
		pthread_mutex_unlock(&q->lock);
		return;
	}
	q->stop = true; /* from now on notify_entry() queues nothing */
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += 2;
	if (pthread_timedjoin_np(q->thread, NULL, &end)) {
		/*
		 * Blocked in the kernel on a directory whose lookup nobody
		 * will answer any more (the loop ended on a signal): leave
		 * it; it writes nothing more (q->stop) and the unmount ends
		 * that lookup.  Its queue is never freed.
		 */
		pthread_detach(q->thread);
		o->notify = NULL;
	}
}

/* After ovfs_notify_stop(), once nothing can call ovfs_invalidate(). */
static void notify_free(struct ovfs *o)
{
	struct ovfs_notify *q = o->notify;

	if (!q)
		return;
	o->notify = NULL;
	while (q->head) {
		struct inval *v = q->head;

		q->head = v->next;
		free(v);
	}
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static void notify_entry(struct ovfs *o, fuse_ino_t parent, const char *name,
			 size_t len)
{
	struct ovfs_notify *q = o->notify;
	struct inval *v;

	if (!q || !len)
		return;
	v = malloc(sizeof(*v) + len + 1);
	if (!v)
		return; /* best effort: the entry expires anyway */
	v->next = NULL;
	v->parent = parent;
	v->len = len;
	memcpy(v->name, name, len);
	v->name[len] = '\0';
	pthread_mutex_lock(&q->lock);
	if (q->stop || q->n >= OPS_NOTIFY_MAX) {
		pthread_mutex_unlock(&q->lock);
		free(v);
		return;
	}
	*q->tail = v;
	q->tail = &v->next;
	q->n++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

/*
 * on_stale: what the kernel holds for `path` is out of date.  The path's
 * inode, and its directory entry when its name changed (`names`; not for
 * attributes alone: invalidating the entry of a directory detaches it,
 * and a shell whose working directory it is gets ENOENT from getcwd):
 *  - the inode (attributes, and pages: `id` contents, a directory's
 *    cached listing) at once, from the calling thread.  That cannot
 *    deadlock, with Linux: fuse_reverse_inval_inode() takes no inode lock
 *    (the i_rwsem that a lookup or readdir in progress holds); it bumps the
 *    attribute version and drops cached pages, and the only pages are
 *    those of `id` files (a read of one never waits for the tree) and
 *    readdir caches (filled without waiting for us).  The tree calls this
 *    with none of its locks held;
 *  - the entry (a name that left or changed node, or one cached as absent
 *    that now exists) through the notifier thread (see above).
 * Paths are mapped with the listings held (tree_resolve_cached: a fetch
 * here could wait for the listing being installed).  A path that no
 * longer resolves has no inode to drop; its entry still is, in its
 * directory (which takes whatever was below with it).
 */
void ovfs_invalidate(void *arg, const char *path, bool names)
{
	struct ovfs *o = arg;
	struct tree_path p;
	const char *slash = strrchr(path, '/');

	if (!o->se || ovfs_exiting(o))
		return;
	if (!tree_resolve_cached(o->tree, path, &p))
		fuse_lowlevel_notify_inval_inode(o->se, ino_of(&p), 0, 0);
	if (names && slash && slash[1]) {
		struct buf dir = BUF_INIT(64u << 10);
		struct tree_path d;

		if (!buf_add(&dir, path, (size_t)(slash - path)) &&
		    !tree_resolve_cached(o->tree, dir.buf ? dir.buf : "", &d) &&
		    tree_is_dir(d.what))
			notify_entry(o, ino_of(&d), slash + 1,
				     strlen(slash + 1));
		buf_release(&dir);
	}
}

static void ovfs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct ovfs *o = userdata;

	/* As libfuse's high-level init did: inode numbers are stable. */
	if (conn->capable & FUSE_CAP_EXPORT_SUPPORT)
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
	notify_start(o);
	/* The tracker thread starts here: after fuse_daemonize()'s fork. */
	if (backups_start(o->backups))
		log_msg(&o->log, LOG_ERR, "cannot start the backup tracker");
	if (restores_start(o->restores))
		log_msg(&o->log, LOG_ERR, "cannot start the restore tracker");
}

static void ovfs_destroy(void *userdata)
{
	struct ovfs *o = userdata;

	/* The refreshers call on_key_seen (the backups) and on_stale. */
	tree_stop(o->tree);
	ovfs_notify_stop(o); /* normally stopped already, before unmount */
	backups_stop(o->backups);
	restores_stop(o->restores);
	notify_free(o); /* the tracker was the last caller of on_stale */
	/* The loop's workers are gone: nothing uses these handles any more. */
	while (o->fhs) {
		struct ovfs_fh *fh = o->fhs;

		o->fhs = fh->next;
		drop_release(o->drop, fh->drop);
		fh_free(fh);
	}
}

const struct fuse_lowlevel_ops ovfs_ops = {
	.init = ovfs_init,
	.destroy = ovfs_destroy,
	.lookup = ovfs_lookup,
	.forget = ovfs_forget,
	.forget_multi = ovfs_forget_multi,
	.getattr = ovfs_getattr,
	.setattr = ovfs_setattr,
	.opendir = ovfs_opendir,
	.readdir = ovfs_readdir,
	.readdirplus = ovfs_readdirplus,
	.releasedir = ovfs_releasedir,
	.open = ovfs_open,
	.read = ovfs_read,
	.write = ovfs_write,
	.release = ovfs_release,
	.flush = ovfs_flush,
	/*
	 * .flush submits drop entries; for every other file it answers 0
	 * at once (not ENOSYS: the kernel would stop sending FLUSH for the
	 * whole mount, drop entries included).
	 * No getxattr/listxattr: ENOSYS, which the kernel reports as
	 * EOPNOTSUPP (and stops asking).
	 */
	.fsync = ovfs_fsync,
	.access = ovfs_access,
	.statfs = ovfs_statfs,
	.create = ovfs_create,
	.mknod = ovfs_mknod,
	.mkdir = ovfs_mkdir,
	.unlink = ovfs_unlink,
	.rmdir = ovfs_rmdir,
	.symlink = ovfs_symlink,
	.link = ovfs_link,
	.rename = ovfs_rename,
	.setxattr = ovfs_setxattr,
	.removexattr = ovfs_removexattr,
};
