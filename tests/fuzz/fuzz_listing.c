/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the listing path from a list body to directory entries, as
 * fs/tree.c install() does it: the page is decoded (ListCompartments,
 * ListVaults or ListKeys, chosen by the first byte modulo 3), entries in
 * DELETED/DELETING states are dropped, and the rest are named with
 * names_assign(); then the same page is listed again with the names of the
 * first listing as the sticky names (a cache refresh).
 *
 * Invariants: a page that decodes always names (no -EEXIST unless two
 * entries share an OCID, and then the listing fails as a whole); every
 * entry name is a usable file name (1..255 bytes of UTF-8, no '/', no
 * control character, not "." or ".."), no two equal; a refresh of an
 * unchanged page keeps every name.
 */
#include <errno.h>

#include "fuzz.h"
#include "model.h"
#include "names.h"

struct item {
	const char *display, *ocid, *state;
};

static bool hidden(const char *state)
{
	return !strcmp(state, "DELETED") || !strcmp(state, "DELETING");
}

static void check_names(const struct names_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = v[i].name;
		size_t len = strnlen(s, NAMES_MAX + 1);

		FUZZ_CHECK(len >= 1 && len <= NAMES_MAX, "length %zu", len);
		FUZZ_CHECK(!strchr(s, '/') && !fuzz_has_ctl(s), "'%s'", s);
		FUZZ_CHECK(strcmp(s, ".") && strcmp(s, ".."), "'%s'", s);
		FUZZ_CHECK(fuzz_valid_utf8(s), "not UTF-8: '%s'", s);
		for (size_t j = i + 1; j < n; j++)
			FUZZ_CHECK(strcmp(s, v[j].name), "two entries '%s'", s);
	}
}

static bool shared_ocid(const struct item *it, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (!strcmp(it[i].ocid, it[j].ocid))
				return true;
	return false;
}

static void name_listing(const struct item *all, size_t count)
{
	struct item *it = calloc(count + 1, sizeof(*it));
	struct names_entry *a = calloc(count + 1, sizeof(*a));
	struct names_entry *b = calloc(count + 1, sizeof(*b));
	size_t m = 0;
	int ret;

	if (!it || !a || !b)
		abort();
	for (size_t i = 0; i < count; i++)
		if (!hidden(all[i].state))
			it[m++] = all[i];
	for (size_t i = 0; i < m; i++) {
		a[i].display = it[i].display;
		a[i].ocid = it[i].ocid;
	}
	ret = names_assign(a, m);
	if (shared_ocid(it, m)) {
		FUZZ_CHECK(ret == -EEXIST, "shared OCID named: %d", ret);
		goto out;
	}
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "names_assign %d", ret);
	if (ret)
		goto out;
	check_names(a, m);
	for (size_t i = 0; i < m; i++) {
		b[i].display = it[i].display;
		b[i].ocid = it[i].ocid;
		b[i].prev_display = it[i].display;
		b[i].prev_name = a[i].name;
	}
	ret = names_assign(b, m);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "refresh %d", ret);
	if (ret)
		goto out;
	for (size_t i = 0; i < m; i++)
		FUZZ_CHECK(!strcmp(a[i].name, b[i].name),
			   "refresh renamed '%s' to '%s'", a[i].name,
			   b[i].name);
out:
	free(it);
	free(a);
	free(b);
}

static void check_decoded(int ret, const char *why, size_t n)
{
	FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -EMSGSIZE ||
			   ret == -ENOMEM,
		   "ret %d", ret);
	FUZZ_CHECK(memchr(why, '\0', 512), "why");
	if (ret)
		FUZZ_CHECK(n == 0 && why[0], "failed page: n %zu", n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_compartment_list cl = {0};
	struct oci_vault_list vl = {0};
	struct oci_key_list kl = {0};
	struct item *it = NULL;
	const char *text;
	char why[512] = "";
	size_t len, n = 0;
	int ret;
	char *copy;

	if (size < 1 || size > 256 * 1024)
		return 0;
	len = size - 1;
	copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, data + 1, len);
	text = copy;
	switch (data[0] % 3) {
	case 0:
		ret = model_compartments_append(text, len, &cl, why,
						sizeof(why));
		check_decoded(ret, why, cl.n);
		n = cl.n;
		it = calloc(n + 1, sizeof(*it));
		for (size_t i = 0; it && i < n; i++)
			it[i] = (struct item){cl.v[i].name, cl.v[i].id,
					      cl.v[i].lifecycle_state};
		break;
	case 1:
		ret = model_vaults_append(text, len, &vl, why, sizeof(why));
		check_decoded(ret, why, vl.n);
		n = vl.n;
		it = calloc(n + 1, sizeof(*it));
		for (size_t i = 0; it && i < n; i++)
			it[i] = (struct item){vl.v[i].display_name, vl.v[i].id,
					      vl.v[i].lifecycle_state};
		break;
	default:
		ret = model_keys_append(text, len, &kl, why, sizeof(why));
		check_decoded(ret, why, kl.n);
		n = kl.n;
		it = calloc(n + 1, sizeof(*it));
		for (size_t i = 0; it && i < n; i++)
			it[i] = (struct item){kl.v[i].display_name, kl.v[i].id,
					      kl.v[i].lifecycle_state};
		break;
	}
	if (!it)
		abort();
	if (n)
		name_listing(it, n);
	free(it);
	oci_compartment_list_release(&cl);
	oci_vault_list_release(&vl);
	oci_key_list_release(&kl);
	free(copy);
	return 0;
}
