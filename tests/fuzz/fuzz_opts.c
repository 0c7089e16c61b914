/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the mount option parser (fs/opts.c: opts_parse() with libfuse's
 * fuse_opt tables, then opts_check()).  The input, split at NUL bytes, is
 * the argument vector after the program name ("-o", "a=1,b", "MNT", ...).
 *
 * Invariants (include/opts.h): opts_parse() is 0 or -EINVAL (or -ENOMEM
 * inside libfuse, reported as -EINVAL); on success every value that
 * opts_check() accepts is within its documented range (cache_ttl
 * 1..86400, retries 1..20, timeout 1..3600, rate 0..1000, endpoint https
 * unless allow_http, backup_name a valid template); the arguments left for
 * libfuse are a valid vector; opts_release() frees every string (LSan).
 */
#include <errno.h>
#include <fuse_opt.h>

#include "fuzz.h"
#include "opts.h"
#include "target.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	struct fuse_args args;
	struct ovfs_opts o;
	char *text, *p;
	int argc = 0, ret;

	if (size > 4096)
		return 0;
	text = fuzz_strndup(data, size);
	argv[argc++] = "ocivaultfs";
	for (p = text; argc <= MAX_ARGS && p < text + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	ret = opts_parse(&args, &o);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL, "opts_parse %d", ret);
	if (!ret && !opts_check(&o, "ocivaultfs")) {
		char why[256];

		FUZZ_CHECK(o.cache_ttl >= 1 && o.cache_ttl <= 86400,
			   "cache_ttl");
		FUZZ_CHECK(o.retries >= 1 && o.retries <= 20, "retries");
		FUZZ_CHECK(o.timeout >= 1 && o.timeout <= 3600, "timeout");
		FUZZ_CHECK(o.rate >= 0 && o.rate <= 1000, "rate");
		FUZZ_CHECK(!o.endpoint || !strncmp(o.endpoint, "https://", 8) ||
				   (o.allow_http &&
				    !strncmp(o.endpoint, "http://", 7)),
			   "endpoint '%s'", o.endpoint);
		FUZZ_CHECK(!o.backup_name ||
				   !target_check_template(o.backup_name, why,
							  sizeof(why)),
			   "backup_name");
	}
	FUZZ_CHECK(args.argc >= 1 && args.argv && args.argv[args.argc] == NULL,
		   "argument vector");
	opts_release(&o);
	fuse_opt_free_args(&args);
	free(text);
	return 0;
}
