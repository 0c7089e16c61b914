/* SPDX-License-Identifier: MIT */
/*
 * opts: the mount options (-o name=value), parsed with libfuse's fuse_opt
 * tables as sshfs does.  See docs/ocivaultfs.1 for the user-facing list.
 *
 * String fields are malloc'd by fuse_opt_parse() and freed by
 * opts_release().  mount(8)-only words (_netdev, auto, noauto, user, users,
 * nofail, x-systemd.*) are discarded, for fstab and mount helpers.
 */
#ifndef OPTS_H
#define OPTS_H

#include <stdio.h>

#include "ovfs.h"

struct fuse_args;

#define OPTS_DEFAULT_CACHE_TTL 60
#define OPTS_DEFAULT_RETRIES 8
#define OPTS_DEFAULT_TIMEOUT 60
#define OPTS_DEFAULT_RATE 10.0

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
