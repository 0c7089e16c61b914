/* SPDX-License-Identifier: MIT */
/*
 * opts: the mount options (-o name=value), parsed with libfuse's fuse_opt
 * tables as sshfs does.  See docs/ocivaultfs.1 for the user-facing list.
 *
 * String fields are malloc'd by fuse_opt_parse() and freed by
 * opts_release().  mount(8)-only words (defaults, _netdev, auto, noauto,
 * user, nouser, users, nofail, comment=, x-*, X-*) are discarded, for
 * fstab and mount helpers (docs/mounting.md).
 *
 * Of two non-option words (`ocivaultfs SOURCE MOUNTPOINT`, as mount.fuse3
 * runs it) the first is taken out of `args` into `source`; a single one
 * stays there as the mount point, for fuse_parse_cmdline(); a third is an
 * error.  fsname= and subtype= stay in `args` (libfuse's), noted in
 * has_fsname/has_subtype.
 */
#ifndef OPTS_H
#define OPTS_H

#include <stdio.h>

#include "ovfs.h"

struct fuse_args;

#define OPTS_DEFAULT_CACHE_TTL 60
#define OPTS_DEFAULT_RETRIES 8
#define OPTS_DEFAULT_TIMEOUT 60
#define OPTS_DEFAULT_LISTING_TIMEOUT 60
#define OPTS_DEFAULT_WRITE_TIMEOUT 30
#define OPTS_DEFAULT_RATE 10.0
/* Hard limits (issue 8); each value must lie in [MIN, MAX]. */
#define OPTS_DEFAULT_MAX_PAGES 1000
#define OPTS_MAX_PAGES_MIN 1
#define OPTS_MAX_PAGES_MAX 100000
#define OPTS_DEFAULT_MAX_ENTRIES 100000
#define OPTS_MAX_ENTRIES_MIN 100
#define OPTS_MAX_ENTRIES_MAX 10000000
#define OPTS_DEFAULT_MAX_LISTING_MB 256
#define OPTS_MAX_LISTING_MB_MIN 16
#define OPTS_MAX_LISTING_MB_MAX 4096
#define OPTS_DEFAULT_MAX_CACHED 1000000
#define OPTS_MAX_CACHED_MIN 1000
#define OPTS_MAX_CACHED_MAX 50000000
#define OPTS_DEFAULT_MAX_CACHE_MB 512
#define OPTS_MAX_CACHE_MB_MIN 16
#define OPTS_MAX_CACHE_MB_MAX 65536
/* A file dropped into a drop directory (restore.d/), MiB. */
#define OPTS_DEFAULT_MAX_RESTORE_MB 64
#define OPTS_MAX_RESTORE_MB_MAX 1024
#define OPTS_DEFAULT_MAX_RESPONSE_KB 8192
#define OPTS_MAX_RESPONSE_KB_MIN 64
#define OPTS_MAX_RESPONSE_KB_MAX 8192 /* the decoders refuse more */

/*
 * Parse our options out of `args` (leaving FUSE's own), fill `o` with the
 * defaults first.  -h/--help and -V/--version set show_help/show_version
 * (-h stays in args for fuse_parse_cmdline).  0 or -EINVAL (with a message
 * on stderr).
 */
int opts_parse(struct fuse_args *args, struct ovfs_opts *o);

/* Check values and combinations; one line on stderr for the first error. */
int opts_check(const struct ovfs_opts *o, const char *prog);

void opts_usage(FILE *f, const char *prog);
void opts_release(struct ovfs_opts *o);

#endif /* OPTS_H */
