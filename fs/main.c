/* SPDX-License-Identifier: MIT */
/* ocivaultfs: placeholder until the filesystem lands (issue 4). */
#include <stdio.h>
#include <string.h>

#include "ocivaultfs.h"

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("ocivaultfs %s\n", OVFS_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: %s -V\n", argv[0]);
	return 1;
}
