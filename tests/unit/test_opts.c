/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for fs/opts.c: the words of the command line (the source of
 * `ocivaultfs SOURCE MOUNTPOINT`, as mount.fuse3 runs it), the mount(8)
 * and fstab words that are dropped, and the mount options of ours.
 */
#include <errno.h>
#include <fuse_opt.h>
#include <stdio.h>
#include <string.h>

#include "opts.h"
#include "tap.h"

/* What opts_parse() left for libfuse, as one string: "a b c". */
static void left(const struct fuse_args *a, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 1; i < a->argc && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s",
					i > 1 ? " " : "", a->argv[i]);
}

/* Parse argv (NULL-terminated, without the program name). */
static int parse(const char **words, struct ovfs_opts *o, char *rest, size_t n)
{
	const char *argv[16] = {"ocivaultfs"};
	struct fuse_args a;
	int argc = 1, ret;

	for (; *words && argc < 15; words++)
		argv[argc++] = *words;
	argv[argc] = NULL;
	a = (struct fuse_args)FUSE_ARGS_INIT(argc, (char **)argv);
	ret = opts_parse(&a, o);
	left(&a, rest, n);
	fuse_opt_free_args(&a);
	return ret;
}

static void test_words(void)
{
	struct ovfs_opts o;
	char rest[512];

	is_int(parse((const char *[]){"/mnt", NULL}, &o, rest, sizeof(rest)), 0,
	       "one word");
	is_str(o.source, NULL, "one word: no source");
	is_str(rest, "/mnt", "one word: the mount point, for libfuse");
	opts_release(&o);

	is_int(parse((const char *[]){"-f", "PROD", "/mnt", NULL}, &o, rest,
		     sizeof(rest)),
	       0, "two words");
	is_str(o.source, "PROD", "two words: the first is the source");
	is_str(o.profile, NULL, "the source is no profile= (main.c decides)");
	is_str(rest, "-f /mnt", "two words: the second is the mount point");
	opts_release(&o);

	/* mount.fuse3's order: source, mount point, then -o */
	is_int(parse((const char *[]){"PROD", "/mnt", "-o",
				      "profile=X,dev,suid", NULL},
		     &o, rest, sizeof(rest)),
	       0, "mount.fuse3's form");
	is_str(o.source, "PROD", "mount.fuse3's form: source");
	is_str(o.profile, "X", "mount.fuse3's form: profile=");
	is_str(rest, "-o dev,suid /mnt",
	       "mount.fuse3's form: left for libfuse");
	opts_release(&o);

	is_int(parse((const char *[]){"A", "B", "C", NULL}, &o, rest,
		     sizeof(rest)),
	       -EINVAL, "three words");
	opts_release(&o);

	is_int(parse((const char *[]){"", "/mnt", NULL}, &o, rest,
		     sizeof(rest)),
	       -EINVAL, "an empty source");
	opts_release(&o);
}

static void test_mount_words(void)
{
	struct ovfs_opts o;
	char rest[512];

	is_int(parse((const char *[]){"-o",
				      "defaults,_netdev,auto,noauto,user,"
				      "nouser,users,nofail,comment=x,"
				      "x-systemd.automount,x-gvfs-show,"
				      "X-mount.mkdir,allow_other",
				      "/mnt", NULL},
		     &o, rest, sizeof(rest)),
	       0, "fstab words");
	is_str(rest, "-o allow_other /mnt", "fstab words dropped, FUSE's kept");
	opts_release(&o);
}

static void test_our_options(void)
{
	struct ovfs_opts o;
	char rest[512];

	is_int(parse((const char *[]){"-o", "log_file=/tmp/l,overmount", "/m",
				      NULL},
		     &o, rest, sizeof(rest)),
	       0, "log_file, overmount");
	is_str(o.log_file, "/tmp/l", "log_file");
	is_int(o.overmount, 1, "overmount");
	is_int(o.has_fsname, 0, "no fsname=");
	is_str(rest, "/m", "ours taken out");
	opts_release(&o);

	is_int(parse((const char *[]){"-o", "fsname=a\\,b,subtype=t", "/m",
				      NULL},
		     &o, rest, sizeof(rest)),
	       0, "fsname, subtype");
	is_int(o.has_fsname, 1, "fsname= seen");
	is_int(o.has_subtype, 1, "subtype= seen");
	is_int(o.overmount, 0, "no overmount");
	is_str(rest, "-o fsname=a\\,b,subtype=t /m", "kept for libfuse");
	opts_release(&o);
}

int main(void)
{
	test_words();
	test_mount_words();
	test_our_options();
	return done_testing();
}
