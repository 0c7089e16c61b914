/* SPDX-License-Identifier: MIT */
/* ops: thin FUSE callbacks over tree.c and backup.c; see include/ops.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "backup.h"
#include "clock.h"
#include "oci.h"
#include "ops.h"
#include "ovfs.h"
#include "target.h"
#include "tree.h"
#include "banned.h"

/* Writes of this size likely have more data following (stdio, cp). */
#define OPS_CHUNK 4096

struct ovfs_fh {
	struct tree_path p;
	struct buf data;    /* read snapshot */
	bool ready;         /* data filled */
	int err;            /* read error to report (wait) */
	struct buf wbuf;    /* backup: bytes written through this handle */
	size_t consumed;    /* backup: bytes already acted upon */
	struct ovfs_fh *prev, *next; /* ovfs.fhs */
};

static struct ovfs *ctx(void)
{
	return fuse_get_context()->private_data;
}

static struct ovfs_fh *fh_of(struct fuse_file_info *fi)
{
	return (struct ovfs_fh *)(uintptr_t)fi->fh;
}

static mode_t mode_of(enum tree_what w)
{
	if (tree_is_dir(w))
		return S_IFDIR | 0555;
	if (w == TW_BACKUP)
		return S_IFREG | 0600;
	return S_IFREG | 0444;
}

static void fill_stat(struct ovfs *o, const struct tree_path *p,
		      struct stat *st)
{
	int64_t t = o->mount_time;

	memset(st, 0, sizeof(*st));
	st->st_mode = mode_of(p->what);
	st->st_nlink = tree_is_dir(p->what) ? 2 : 1;
	st->st_uid = o->uid;
	st->st_gid = o->gid;
	st->st_blksize = 4096;
	if (p->node && p->what != TW_CTL && p->what != TW_CTL_STATS &&
	    p->what != TW_CTL_BACKUPS) {
		int64_t m = tree_node_mtime(p->node);

		if (m)
			t = m;
	}
	if (p->what == TW_ID)
		st->st_size = (off_t)strlen(p->node->id) + 1;
	st->st_atime = st->st_mtime = st->st_ctime = (time_t)t;
}

static int ovfs_getattr(const char *path, struct stat *st,
			struct fuse_file_info *fi)
{
	struct ovfs *o = ctx();
	struct tree_path p;
	int ret;

	if (fi && fi->fh) {
		fill_stat(o, &fh_of(fi)->p, st);
		return 0;
	}
	ret = tree_resolve(o->tree, path, &p);
	if (!ret)
		fill_stat(o, &p, st);
	return ret;
}

/*
 * readdir fills with offsets (entry k has offset k, and a later call
 * resumes after `offset`): in that mode libfuse hands the kernel each
 * entry's attributes and inode (readdirplus), so that a walk needs no
 * LOOKUP per entry.  With offset 0 throughout, libfuse 3.14 sends the
 * entries with ino 0 and the kernel ignores their attributes.
 */
struct fill_arg {
	struct ovfs *o;
	void *buf;
	fuse_fill_dir_t filler;
	off_t skip; /* entries the kernel already has */
	off_t next; /* offset of the entry being filled */
};

static int fill_at(struct fill_arg *fa, const char *name,
		   const struct stat *st)
{
	if (++fa->next <= fa->skip)
		return 0;
	return fa->filler(fa->buf, name, st, fa->next, FUSE_FILL_DIR_PLUS)
		       ? -ENOMEM /* the buffer is full */
		       : 0;
}

static int fill_one(void *arg, const char *name, const struct tree_path *p)
{
	struct fill_arg *fa = arg;
	struct stat st;

	if (fa->next + 1 <= fa->skip) {
		fa->next++;
		return 0;
	}
	fill_stat(fa->o, p, &st);
	return fill_at(fa, name, &st);
}

static int ovfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
			off_t offset, struct fuse_file_info *fi,
			enum fuse_readdir_flags flags)
{
	struct fill_arg fa = { ctx(), buf, filler, offset > 0 ? offset : 0, 0 };
	struct tree_path p;
	int ret;

	(void)fi;
	(void)flags;
	ret = tree_resolve(fa.o->tree, path, &p);
	if (ret)
		return ret;
	if (!tree_is_dir(p.what))
		return -ENOTDIR;
	ret = fill_at(&fa, ".", NULL);
	if (!ret)
		ret = fill_at(&fa, "..", NULL);
	if (!ret)
		ret = tree_readdir(fa.o->tree, &p, fill_one, &fa);
	return ret == -ENOMEM ? 0 : ret; /* a full buffer is not an error */
}

/*
 * Directories: the kernel may cache what readdir returned (cache_readdir)
 * and keeps that cache across opens while the listing's names have not
 * changed (keep_cache); opendir always reaches us, so a stale listing is
 * refreshed here and a changed one drops the kernel's copy.
 */
static int ovfs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct ovfs *o = ctx();
	struct tree_path p;
	bool unchanged;
	int ret;

	ret = tree_resolve(o->tree, path, &p);
	if (ret)
		return ret;
	if (!tree_is_dir(p.what))
		return -ENOTDIR;
	ret = tree_opendir(o->tree, &p, &unchanged);
	if (ret)
		return ret;
	fi->cache_readdir = 1;
	fi->keep_cache = unchanged;
	return 0;
}

/* The help text of a backup file (what an editor shows). */
static int backup_help(struct ovfs *o, struct tree_node *key, struct buf *out)
{
	struct oci_key k;
	struct target_ctx tc = { 0 };
	struct oci_error err;
	char ns[OVFS_NS_MAX] = "", example[OVFS_OBJECT_MAX] = "";

	tree_node_key(key, &k);
	if (ovfs_namespace(o, ns, &err))
		buf_copy(ns, sizeof(ns), "(unknown: looked up on first use)");
	tc.region = oci_client_region(o->client);
	tc.name_template = o->template;
	tc.key_name = k.display_name;
	tc.key_id = key->id;
	tc.vault_name = "vault";
	tc.compartment_name = "compartment";
	tc.now = clock_wall_s(oci_client_clock(o->client));
	target_expand_name(o->template, &tc, example, sizeof(example));
	return buf_addf(out,
"# ocivaultfs: write one backup target into this file to back up the key\n"
"#   %s (%s)\n"
"# Targets (one per write; blank lines and lines starting with '#' are\n"
"# ignored):\n"
"#   BUCKET                            object named by the template\n"
"#   BUCKET/OBJECT\n"
"#   oci://BUCKET@NAMESPACE/[OBJECT]\n"
"#   https://HOST/p/TOKEN/n/NS/b/BUCKET/o/[OBJECT]   (pre-authenticated)\n"
"#   {\"destination\": \"BUCKET\", \"namespace\": ..., \"bucketName\": ...,\n"
"#    \"objectName\": ...}   (a BackupLocation, as in the OCI API)\n"
"# Namespace: %s\n"
"# Object name template: %s (now: %s)\n"
"# Then: cat status (progress), cat wait (blocks until done; fails if the\n"
"# backup failed).  Example: echo backups > backup && cat wait\n",
			k.display_name, key->id, ns, o->template, example);
}

static int snapshot(struct ovfs *o, struct ovfs_fh *fh)
{
	struct tree_node *n = fh->p.node;
	int ret = 0;

	switch (fh->p.what) {
	case TW_ID:
		ret = buf_addf(&fh->data, "%s\n", n->id);
		break;
	case TW_KEY_JSON:
	case TW_VAULT_JSON:
		ret = tree_fetch_json(o->tree, n, &fh->data);
		break;
	case TW_STATUS:
		ret = backups_status(o->backups, n, &fh->data);
		break;
	case TW_BACKUP:
		ret = backup_help(o, n, &fh->data);
		break;
	case TW_CTL_STATS: {
		struct oci_stats s;
		struct backups_stats bs;
		struct tree_stats ts;

		oci_client_stats(o->client, &s);
		backups_stats(o->backups, &bs);
		tree_stats(o->tree, &ts);
		for (int i = 0; i < OCI_OP_COUNT && !ret; i++)
			ret = buf_addf(&fh->data, "calls.%s: %llu\n",
				       oci_op_name((enum oci_op)i),
				       (unsigned long long)s.calls[i]);
		for (int i = 0; i < OCI_OP_COUNT && !ret; i++)
			ret = buf_addf(&fh->data, "requests.%s: %llu\n",
				       oci_op_name((enum oci_op)i),
				       (unsigned long long)s.requests[i]);
		if (!ret)
			ret = buf_addf(&fh->data,
"retries: %llu\nthrottled: %llu\nconnections: %llu\n"
"cache_hits: %llu\ncache_misses: %llu\nprobes: %llu\nnodes: %llu\n"
"backups_in_flight: %llu\nbackups_started: %llu\nbackups_succeeded: %llu\n"
"backups_failed: %llu\nbackups_rejected: %llu\nbackup_polls: %llu\n",
				(unsigned long long)s.retries,
				(unsigned long long)s.throttled,
				(unsigned long long)s.connections,
				(unsigned long long)ts.cache_hits,
				(unsigned long long)ts.cache_misses,
				(unsigned long long)ts.probes,
				(unsigned long long)ts.nodes,
				(unsigned long long)bs.in_flight,
				(unsigned long long)bs.started,
				(unsigned long long)bs.succeeded,
				(unsigned long long)bs.failed,
				(unsigned long long)bs.rejected,
				(unsigned long long)bs.polls);
		break;
	}
	case TW_CTL_BACKUPS:
		ret = backups_list(o->backups, &fh->data);
		break;
	case TW_WAIT:
		return 0; /* filled by the first read */
	default:
		return -EISDIR;
	}
	fh->ready = !ret;
	return ret;
}

static void fh_free(struct ovfs_fh *fh)
{
	if (!fh)
		return;
	buf_release(&fh->data);
	buf_wipe_release(&fh->wbuf); /* may hold a PAR URL */
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

static int ovfs_open(const char *path, struct fuse_file_info *fi)
{
	struct ovfs *o = ctx();
	int acc = fi->flags & O_ACCMODE;
	struct ovfs_fh *fh;
	int ret;

	fh = calloc(1, sizeof(*fh));
	if (!fh)
		return -ENOMEM;
	buf_init(&fh->data, 16u << 20);
	buf_init(&fh->wbuf, TARGET_MAX_INPUT);
	ret = tree_resolve(o->tree, path, &fh->p);
	if (ret)
		goto fail;
	if (tree_is_dir(fh->p.what)) {
		ret = -EISDIR;
		goto fail;
	}
	if (acc != O_RDONLY && fh->p.what != TW_BACKUP) {
		ret = -EACCES;
		goto fail;
	}
	if (acc != O_WRONLY) {
		ret = snapshot(o, fh);
		if (ret)
			goto fail;
	}
	/* Sizes are unknown (reported as 0): read until EOF, like /proc. */
	fi->direct_io = fh->p.what != TW_ID;
	fi->keep_cache = fh->p.what == TW_ID;
	fi->fh = (uintptr_t)fh;
	fh_link(o, fh);
	return 0;
fail:
	fh_free(fh);
	return ret;
}

static bool interrupted(void *arg)
{
	(void)arg;
	return fuse_interrupted() != 0;
}

static int ovfs_read(const char *path, char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct ovfs_fh *fh = fh_of(fi);
	size_t n;

	(void)path;
	if (fh->p.what == TW_WAIT && !fh->ready) {
		int ret = backups_wait(ctx()->backups, fh->p.node, interrupted,
				       NULL, &fh->data);

		if (ret == -EINTR)
			return ret; /* may be read again */
		fh->ready = true;
		fh->err = ret;
	}
	if (fh->err)
		return fh->err;
	if (!fh->ready)
		return -EBADF;
	if (off < 0 || (size_t)off >= fh->data.len)
		return 0;
	n = fh->data.len - (size_t)off;
	if (n > size)
		n = size;
	memcpy(buf, fh->data.buf + off, n);
	return (int)n;
}

/*
 * Act on what was written to a backup file since the last action.  An
 * unterminated last line of a write that filled a whole chunk waits for
 * the next write (the writer has more).
 */
static int backup_write(struct ovfs *o, struct ovfs_fh *fh, size_t size)
{
	const char *start = fh->wbuf.buf + fh->consumed;
	size_t len = fh->wbuf.len - fh->consumed;
	int ret;

	if (!len)
		return 0;
	if (size && size % OPS_CHUNK == 0 && start[len - 1] != '\n')
		return 0;
	ret = backups_submit(o->backups, fh->p.node, start, len);
	fh->consumed = fh->wbuf.len;
	return ret;
}

static int ovfs_write(const char *path, const char *buf, size_t size,
		      off_t off, struct fuse_file_info *fi)
{
	struct ovfs_fh *fh = fh_of(fi);
	size_t end;
	int ret;

	(void)path;
	if (fh->p.what != TW_BACKUP)
		return -EACCES;
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
	ret = backup_write(ctx(), fh, size);
	return ret ? ret : (int)size;
}

static int ovfs_truncate(const char *path, off_t size,
			 struct fuse_file_info *fi)
{
	struct tree_path p;
	int ret;

	if (fi && fi->fh) {
		struct ovfs_fh *fh = fh_of(fi);

		if (fh->p.what != TW_BACKUP)
			return -EACCES;
		if (size >= 0 && (size_t)size < fh->wbuf.len) {
			buf_setlen(&fh->wbuf, (size_t)size);
			if (fh->consumed > (size_t)size)
				fh->consumed = (size_t)size;
		}
		return 0;
	}
	ret = tree_resolve(ctx()->tree, path, &p);
	if (ret)
		return ret;
	/* O_TRUNC on the control file is a no-op; everything else is r/o. */
	return p.what == TW_BACKUP ? 0 : tree_is_dir(p.what) ? -EISDIR
							      : -EACCES;
}

static int ovfs_release(const char *path, struct fuse_file_info *fi)
{
	struct ovfs_fh *fh = fh_of(fi);
	struct ovfs *o = ctx();

	(void)path;
	if (!fh)
		return 0;
	if (fh->p.what == TW_BACKUP && fh->consumed < fh->wbuf.len)
		log_msg(&o->log, LOG_WARNING,
			"'%s': %zu unterminated bytes were never acted upon",
			fh->p.node->id, fh->wbuf.len - fh->consumed);
	fh_unlink(o, fh);
	fh_free(fh);
	return 0;
}

static int ovfs_fsync(const char *path, int datasync,
		      struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	return 0; /* vim and GLib fsync after writing */
}

static int ovfs_access(const char *path, int mask)
{
	struct tree_path p;
	mode_t m;
	int ret;

	ret = tree_resolve(ctx()->tree, path, &p);
	if (ret)
		return ret;
	m = mode_of(p.what);
	if (((mask & R_OK) && !(m & S_IRUSR)) ||
	    ((mask & W_OK) && !(m & S_IWUSR)) ||
	    ((mask & X_OK) && !(m & S_IXUSR)))
		return -EACCES;
	return 0;
}

static int ovfs_statfs(const char *path, struct statvfs *sv)
{
	struct tree_stats ts;

	(void)path;
	tree_stats(ctx()->tree, &ts);
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = 4096;
	sv->f_frsize = 4096;
	sv->f_files = ts.nodes;
	sv->f_namemax = NAMES_MAX;
	return 0;
}

static int ovfs_utimens(const char *path, const struct timespec tv[2],
			struct fuse_file_info *fi)
{
	struct tree_path p;
	int ret;

	(void)tv;
	if (fi && fi->fh)
		return fh_of(fi)->p.what == TW_BACKUP ? 0 : -EPERM;
	ret = tree_resolve(ctx()->tree, path, &p);
	if (ret)
		return ret;
	return p.what == TW_BACKUP ? 0 : -EPERM; /* `touch backup` is fine */
}

/* Nothing can be created, removed, renamed or re-permissioned. */
static int ovfs_create(const char *path, mode_t mode,
		       struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	return -EACCES;
}

static int ovfs_mknod(const char *path, mode_t mode, dev_t rdev)
{
	(void)path;
	(void)mode;
	(void)rdev;
	return -EACCES;
}

static int ovfs_mkdir(const char *path, mode_t mode)
{
	(void)path;
	(void)mode;
	return -EACCES;
}

static int ovfs_unlink(const char *path)
{
	(void)path;
	return -EACCES;
}

static int ovfs_rmdir(const char *path)
{
	(void)path;
	return -EACCES;
}

static int ovfs_symlink(const char *from, const char *to)
{
	(void)from;
	(void)to;
	return -EACCES;
}

static int ovfs_link(const char *from, const char *to)
{
	(void)from;
	(void)to;
	return -EACCES;
}

static int ovfs_rename(const char *from, const char *to, unsigned int flags)
{
	(void)from;
	(void)to;
	(void)flags;
	return -EACCES;
}

static int ovfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	return -EPERM;
}

static int ovfs_chown(const char *path, uid_t uid, gid_t gid,
		      struct fuse_file_info *fi)
{
	(void)path;
	(void)uid;
	(void)gid;
	(void)fi;
	return -EPERM;
}

static int ovfs_setxattr(const char *path, const char *name,
			 const char *value, size_t size, int flags)
{
	(void)path;
	(void)name;
	(void)value;
	(void)size;
	(void)flags;
	return -EPERM;
}

static int ovfs_removexattr(const char *path, const char *name)
{
	(void)path;
	(void)name;
	return -EPERM;
}

/*
 * Why calling fuse_invalidate_path() from a FUSE worker (in the middle of
 * another request, e.g. the lookup whose listing refresh found a change)
 * cannot deadlock, with libfuse 3.14 and Linux:
 *  - libfuse resolves the path in its node table under `f->lock`, which
 *    it never holds while a filesystem callback runs, then writes a
 *    FUSE_NOTIFY_INVAL_INODE message to /dev/fuse; nothing waits for a
 *    reply;
 *  - the kernel's fuse_reverse_inval_inode() takes no inode lock (the
 *    i_rwsem that a lookup or readdir in progress holds on the directory):
 *    it bumps the attribute version and drops cached pages.  The only
 *    pages are those of `id` files (keep_cache; a read of one never waits
 *    for a tree lock) and readdir caches of directories (filled without
 *    waiting for us);
 *  - the tree calls this with none of its locks held.
 * What would deadlock, inval_entry/delete notifications for the parent of
 * a lookup in progress, is not used.
 */
void ovfs_invalidate(void *arg, const char *path)
{
	struct ovfs *o = arg;

	if (!o->fuse || ovfs_exiting(o))
		return;
	/* -ENOENT: the kernel never saw the path; nothing to drop. */
	fuse_invalidate_path(o->fuse, path);
}

static void *ovfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct ovfs *o = ctx();

	(void)conn;
	/*
	 * Kernel caching (docs/configuration.md, "Caching"): names and
	 * attributes come from listings that stay fresh for cache_ttl, and
	 * the tree reports what changes before that (ovfs_invalidate()), so
	 * the kernel may keep them as long.  Negative entries cannot be
	 * invalidated through the high-level API (libfuse keeps no node for a
	 * name that does not exist, so fuse_invalidate_path() cannot find
	 * it): they stay short, and a new resource shows within a second of
	 * the listing that has it.
	 */
	cfg->entry_timeout = o->opts.cache_ttl;
	cfg->attr_timeout = o->opts.cache_ttl;
	cfg->negative_timeout = 1.0;
	cfg->use_ino = 0;
	/* The tracker thread starts here: after fuse_daemonize()'s fork. */
	if (backups_start(o->backups))
		log_msg(&o->log, LOG_ERR, "cannot start the backup tracker");
	return o;
}

static void ovfs_destroy(void *private_data)
{
	struct ovfs *o = private_data;

	backups_stop(o->backups);
	/* The loop's workers are gone: nothing uses these handles any more. */
	while (o->fhs) {
		struct ovfs_fh *fh = o->fhs;

		o->fhs = fh->next;
		fh_free(fh);
	}
}

const struct fuse_operations ovfs_ops = {
	.init = ovfs_init,
	.destroy = ovfs_destroy,
	.getattr = ovfs_getattr,
	.opendir = ovfs_opendir,
	.readdir = ovfs_readdir,
	.open = ovfs_open,
	.read = ovfs_read,
	.write = ovfs_write,
	.truncate = ovfs_truncate,
	.release = ovfs_release,
	/*
	 * No .flush: nothing is done on close (docs/ocivaultfs.md), and
	 * without it (and without .lock) libfuse answers ENOSYS, after which
	 * the kernel stops sending FLUSH: one round trip less per close.
	 */
	.fsync = ovfs_fsync,
	.access = ovfs_access,
	.statfs = ovfs_statfs,
	.utimens = ovfs_utimens,
	.create = ovfs_create,
	.mknod = ovfs_mknod,
	.mkdir = ovfs_mkdir,
	.unlink = ovfs_unlink,
	.rmdir = ovfs_rmdir,
	.symlink = ovfs_symlink,
	.link = ovfs_link,
	.rename = ovfs_rename,
	.chmod = ovfs_chmod,
	.chown = ovfs_chown,
	.setxattr = ovfs_setxattr,
	.removexattr = ovfs_removexattr,
};
