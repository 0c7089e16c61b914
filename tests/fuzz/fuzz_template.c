/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the object name template (fs/target.c: target_check_template(),
 * target_expand_name()).  The input up to the first NUL is the template;
 * the rest, split at NUL bytes, gives the key, vault and compartment names
 * (display names: any bytes).
 *
 * Invariants (include/target.h): target_expand_name() is 0 or -EINVAL;
 * on success the result is a valid object name (target_valid_object()),
 * NUL-terminated within `n`, and expanding again gives the same name; a
 * template that target_check_template() accepts names a key OCID
 * ({key_id} or {key_short}) and expands with any display names either to
 * a valid object name or to -EINVAL, never to something else; a template
 * without placeholders or braces expands to itself when it is a valid
 * object name.
 */
#include <errno.h>

#include "fuzz.h"
#include "target.h"

static struct region_info iad = {
	.id = "us-ashburn-1",
	.code = "iad",
	.realm = "oc1",
	.domain = "oraclecloud.com",
	.known = true,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *part[4] = {"", "db-master", "prod vault", "fin/ops"};
	char out[OVFS_OBJECT_MAX], again[OVFS_OBJECT_MAX], small[16];
	char why[512] = "";
	struct target_ctx c;
	char *in, *p;
	int ret, checked;

	if (size > 4096)
		return 0;
	in = malloc(size + 1);
	if (!in)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	p = in;
	for (int i = 0; i < 4 && p <= in + size; i++) {
		part[i] = p;
		p += strlen(p) + 1;
	}
	c = (struct target_ctx){
		.region = &iad,
		.name_template = part[0],
		.key_name = part[1],
		.key_id = "ocid1.key.oc1.iad.abcdefghijklmnop",
		.vault_name = part[2],
		.compartment_name = part[3],
		.now = 1700000000,
	};
	checked = target_check_template(part[0], why, sizeof(why));
	FUZZ_CHECK(checked == 0 || checked == -EINVAL, "check %d", checked);
	FUZZ_STR(why);
	if (checked)
		FUZZ_CHECK(why[0], "no reason");
	else
		FUZZ_CHECK(strstr(part[0], "{key_id}") ||
				   strstr(part[0], "{key_short}"),
			   "template without a key OCID accepted");

	memset(out, 0xa5, sizeof(out));
	ret = target_expand_name(NULL, &c, out, sizeof(out));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL, "expand %d", ret);
	if (!ret) {
		FUZZ_STR(out);
		FUZZ_CHECK(target_valid_object(out), "invalid object '%s'",
			   out);
		ret = target_expand_name(part[0], &c, again, sizeof(again));
		FUZZ_CHECK(!ret && !strcmp(out, again), "not deterministic");
		if (!strpbrk(part[0], "{}"))
			FUZZ_CHECK(!strcmp(out, part[0]), "'%s' became '%s'",
				   part[0], out);
		/* Too small an output is -EINVAL, never an overflow. */
		memset(small, 0xa5, sizeof(small));
		ret = target_expand_name(part[0], &c, small, sizeof(small));
		FUZZ_CHECK(ret == 0 || ret == -EINVAL, "small %d", ret);
		if (!ret)
			FUZZ_CHECK(!strcmp(small, out), "small differs");
	}
	free(in);
	return 0;
}
