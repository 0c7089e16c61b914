/* SPDX-License-Identifier: MIT */
/*
 * testutil.h: scratch files for the C unit tests that need real files
 * (keys made with the openssl CLI, config files, token files).
 * Header-only, like tap.h.
 *
 *   ok(!tmpdir_make("crypto"), "temp dir");   path_of("k.pem");
 *   run("openssl genrsa -out '%s' 2048", path_of("k.pem"));
 *   tmpdir_remove();
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static char tmpdir[64];

/* Create /tmp/ovfs-test-<tag>-XXXXXX. 0 or -1. */
static inline int tmpdir_make(const char *tag)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ovfs-test-%s-XXXXXX", tag);
	return mkdtemp(tmpdir) ? 0 : -1;
}

/* Run a shell command; its failure is reported as a TAP comment. */
static inline int run(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static inline int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		printf("# command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* "<tmpdir>/<name>"; four results stay valid at a time. */
static inline char *path_of(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

static inline void tmpdir_remove(void)
{
	if (tmpdir[0])
		run("rm -rf -- '%s'", tmpdir);
}

#endif /* TESTUTIL_H */
