/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the name sanitizer and the sibling naming of fs/names.c.
 *
 * Input: byte 0 is a mode (low 7 bits: length of a common OCID tail, so
 * that suffixes collide; bit 7: give the first two entries the same OCID);
 * the rest is up to 64 display names separated by NUL bytes.
 *
 * Invariants (include/names.h):
 *  - names_sanitize(): a non-empty file name of at most NAMES_MAX -
 *    reserve bytes, valid UTF-8, without '/', C0 controls or DEL, not "."
 *    or ".."; the same display name always gives the same file name;
 *  - names_assign(): -EEXIST exactly when two entries share an OCID; else
 *    every name is a usable file name as above (at most NAMES_MAX bytes) and
 *    no two are equal; the result does not depend on the order of the
 *    entries; an entry whose display name did not change keeps its name
 *    when the directory is named again (sticky names), including when the
 *    other entries were renamed.
 */
#include <errno.h>

#include "fuzz.h"
#include "names.h"

#define MAX_ENTRIES 64

static void check_file_name(const char *name, size_t limit)
{
	size_t len = strnlen(name, NAMES_MAX + 1);

	FUZZ_CHECK(len >= 1 && len <= limit, "length %zu (limit %zu)", len,
		   limit);
	FUZZ_CHECK(!strchr(name, '/'), "'/' in '%s'", name);
	FUZZ_CHECK(!fuzz_has_ctl(name), "control character in '%s'", name);
	FUZZ_CHECK(strcmp(name, ".") && strcmp(name, ".."), "'%s'", name);
	FUZZ_CHECK(fuzz_valid_utf8(name), "not UTF-8: '%s'", name);
}

static void check_unique(const struct names_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		check_file_name(v[i].name, NAMES_MAX);
		for (size_t j = i + 1; j < n; j++)
			FUZZ_CHECK(strcmp(v[i].name, v[j].name),
				   "entries %zu and %zu both '%s'", i, j,
				   v[i].name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct names_entry v[MAX_ENTRIES], w[MAX_ENTRIES];
	static char ocids[MAX_ENTRIES][256];
	char out[NAMES_MAX + 1], again[NAMES_MAX + 1];
	char *text, *p, *disp[MAX_ENTRIES];
	size_t n = 0, tail, i;
	bool dup;
	int ret;

	if (size < 1 || size > 64 * 1024)
		return 0;
	tail = data[0] & 0x7f;
	dup = data[0] & 0x80;
	text = malloc(size); /* names, NUL-separated, NUL-terminated */
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	for (p = text; n < MAX_ENTRIES && p < text + size; p += strlen(p) + 1)
		disp[n++] = p;

	for (i = 0; i < n; i++) {
		size_t reserve = (i * 7 + tail) % 108; /* up to a long suffix */

		memset(out, 0xa5, sizeof(out));
		ret = names_sanitize(disp[i], reserve, out, sizeof(out));
		FUZZ_CHECK(ret == 0, "names_sanitize %d", ret);
		check_file_name(out, NAMES_MAX - reserve);
		ret = names_sanitize(disp[i], reserve, again, sizeof(again));
		FUZZ_CHECK(!ret && !strcmp(out, again), "not deterministic");
	}

	/* OCIDs: distinct heads, a common tail of `tail` characters. */
	for (i = 0; i < n; i++) {
		int k = snprintf(ocids[i], sizeof(ocids[i]),
				 "ocid1.key.oc1.iad.%zx",
				 i * 2654435761u % 4096);

		memset(ocids[i] + k, 'q', tail);
		ocids[i][k + tail] = '\0';
	}
	if (dup && n >= 2)
		memcpy(ocids[1], ocids[0], sizeof(ocids[0]));
	for (i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].display = disp[i];
		v[i].ocid = ocids[i];
	}
	ret = names_assign(v, n);
	if (dup && n >= 2) {
		FUZZ_CHECK(ret == -EEXIST, "shared OCID: %d", ret);
		goto out;
	}
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "names_assign %d", ret);
	if (ret)
		goto out;
	check_unique(v, n);

	/* The same directory in reverse order: the same names. */
	for (i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].display = disp[n - 1 - i];
		w[i].ocid = ocids[n - 1 - i];
	}
	ret = names_assign(w, n);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "reversed: %d", ret);
	if (ret)
		goto out;
	for (i = 0; i < n; i++)
		FUZZ_CHECK(!strcmp(w[i].name, v[n - 1 - i].name),
			   "order matters: '%s' vs '%s'", w[i].name,
			   v[n - 1 - i].name);

	/* Named again with every other entry renamed to the first display
	 * name: the unchanged ones keep their names. */
	for (i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].display = (i % 2) ? disp[0] : disp[i];
		w[i].ocid = ocids[i];
		w[i].prev_display = disp[i];
		w[i].prev_name = v[i].name;
	}
	ret = names_assign(w, n);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "renamed: %d", ret);
	if (ret)
		goto out;
	check_unique(w, n);
	for (i = 0; i < n; i++)
		if (!strcmp(w[i].display, disp[i]))
			FUZZ_CHECK(!strcmp(w[i].name, v[i].name),
				   "entry %zu not sticky: '%s' became '%s'", i,
				   v[i].name, w[i].name);
out:
	free(text);
	return 0;
}
