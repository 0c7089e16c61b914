/* SPDX-License-Identifier: MIT */
/*
 * ops: the FUSE operations table (high-level API).  The callbacks are thin:
 * resolve the path with tree.h, call tree/backup, return 0 or -errno.
 * Semantics are documented in docs/ocivaultfs.md.
 */
#ifndef OPS_H
#define OPS_H

#include <fuse.h>

extern const struct fuse_operations ovfs_ops;

#endif /* OPS_H */
