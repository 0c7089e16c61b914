/* SPDX-License-Identifier: MIT */
/*
 * ops: the FUSE operations table (libfuse's low-level API).  The callbacks
 * are thin: map the inode number to a tree_path (scheme in ops.c), call
 * tree/backup, reply.  Semantics are documented in docs/ocivaultfs.md.
 */
#ifndef OPS_H
#define OPS_H

#include <fuse_lowlevel.h>

struct ovfs;

/* userdata: the struct ovfs. */
extern const struct fuse_lowlevel_ops ovfs_ops;

/*
 * Stop the notifier thread (started by the session's init): after the
 * loop, before the session is unmounted (its descriptor closed).  Entry
 * invalidations still queued are dropped.  Idempotent.
 */
void ovfs_notify_stop(struct ovfs *o);

#endif /* OPS_H */
