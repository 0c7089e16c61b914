/* SPDX-License-Identifier: MIT */
/*
 * replay: a main() for a fuzz harness without libFuzzer.  Runs
 * LLVMFuzzerTestOneInput() once on every file named on the command line,
 * or in a directory named there (not recursively), and prints one TAP
 * line per file; the harness aborts on a broken invariant.  Used by the
 * meson suite 'fuzz' (tests/fuzz/meson.build) on the seed corpora.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int run_file(const char *path, int *count)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t n = 0, alloc = 0, r;

	if (!f) {
		printf("not ok %d - %s: %s\n", ++*count, path, strerror(errno));
		return 1;
	}
	for (;;) {
		if (n == alloc) {
			unsigned char *nd;

			alloc = alloc ? 2 * alloc : 4096;
			nd = realloc(data, alloc);
			if (!nd)
				abort();
			data = nd;
		}
		r = fread(data + n, 1, alloc - n, f);
		if (!r)
			break;
		n += r;
	}
	fclose(f);
	/* Exactly `n` bytes, so that ASan sees reads past the input. */
	{
		unsigned char *exact = malloc(n ? n : 1);

		if (!exact)
			abort();
		if (n)
			memcpy(exact, data, n);
		free(data);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	printf("ok %d - %s (%zu bytes)\n", ++*count, path, n);
	fflush(stdout);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int bad = 0;

	if (!d) {
		printf("not ok %d - %s: %s\n", ++*count, dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		char *path;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		len = strlen(dir) + strlen(e->d_name) + 2;
		path = malloc(len);
		if (!path)
			abort();
		snprintf(path, len, "%s/%s", dir, e->d_name);
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			names = realloc(names, alloc * sizeof(*names));
			if (!names)
				abort();
		}
		names[n++] = path;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		bad |= run_file(names[i], count);
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	int count = 0, bad = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (!stat(argv[i], &st) && S_ISDIR(st.st_mode))
			bad |= run_dir(argv[i], &count);
		else
			bad |= run_file(argv[i], &count);
	}
	if (!count)
		printf("not ok 1 - no input\n"), count = 1, bad = 1;
	printf("1..%d\n", count);
	return bad;
}
