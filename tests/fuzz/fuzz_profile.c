/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the OCI config parser (fs/profile.c: profile_parse()) for the
 * profiles DEFAULT and PROD.
 *
 * Invariants (include/profile.h): 0, -ENOENT, -EINVAL or -ENOMEM (the
 * file-only errors cannot happen in memory); on failure the profile is
 * released (all NULL) and `why` is one non-empty line; on success the
 * required keys are there and valid: tenancy (and user, when present) an
 * OCID, the fingerprint 16 lower-case hex pairs joined by ':' (unless a
 * security token is used), region resolvable, key_file set, every line
 * number within the file; a pass phrase never appears in `why`.
 */
#include <ctype.h>
#include <errno.h>

#include "fuzz.h"
#include "json.h"
#include "profile.h"
#include "region.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Only the text decides: no region or profile from the environment. */
	unsetenv("OCI_REGION");
	unsetenv("OCI_CLI_PROFILE");
	setenv("HOME", "/home/fuzz", 1);
	return 0;
}

static bool is_fingerprint(const char *s)
{
	for (int i = 0; i < 16; i++) {
		const char *p = s + 3 * i;

		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]) ||
		    isupper((unsigned char)p[0]) ||
		    isupper((unsigned char)p[1]))
			return false;
		if (p[2] != (i == 15 ? '\0' : ':'))
			return false;
	}
	return true;
}

/*
 * The pass phrases written in the text ("pass_phrase = X" or "passphrase:
 * X", at least 6 bytes after trimming), each checked against `why`.
 */
static void check_no_secret(const char *text, const char *why)
{
	const char *line = text;

	while (*line) {
		const char *end = strchrnul(line, '\n');
		const char *p = line, *v, *ve;
		char secret[128];
		size_t n;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (!strncasecmp(p, "pass_phrase", 11))
			p += 11;
		else if (!strncasecmp(p, "passphrase", 10))
			p += 10;
		else
			goto next;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end || (*p != '=' && *p != ':'))
			goto next;
		v = p + 1;
		while (v < end && isspace((unsigned char)*v))
			v++;
		ve = end;
		while (ve > v && isspace((unsigned char)ve[-1]))
			ve--;
		n = (size_t)(ve - v);
		if (n < 6 || n >= sizeof(secret))
			goto next;
		memcpy(secret, v, n);
		secret[n] = '\0';
		/* Words that messages use anyway are not secrets, nor is a
		 * phrase that the text also has elsewhere (in a value that a
		 * message may quote). */
		if (strstr("fuzz.config DEFAULT PROD pass_phrase", secret) ||
		    strstr(v + 1, secret) != v ||
		    memmem(text, (size_t)(v - text), secret, n))
			goto next;
		FUZZ_CHECK(!strstr(why, secret),
			   "why shows the pass phrase: %s", why);
next:
		line = *end ? end + 1 : end;
	}
}

static void one(const char *text, size_t len, const char *name)
{
	struct profile p;
	struct region_info ri;
	char why[1024];
	int ret;
	unsigned int lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	memset(why, 0, sizeof(why));
	ret = profile_parse(&p, text, len, "fuzz.config", name, why,
			    sizeof(why));
	FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EINVAL ||
			   ret == -ENOMEM || ret == -EFBIG,
		   "ret %d", ret);
	FUZZ_STR(why);
	check_no_secret(text, why);
	if (ret) {
		FUZZ_CHECK(why[0] && !strchr(why, '\n'), "why '%s'", why);
		FUZZ_CHECK(!p.path && !p.name && !p.user && !p.fingerprint &&
				   !p.key_file && !p.tenancy && !p.region &&
				   !p.pass_phrase && !p.security_token_file,
			   "profile not released on failure");
		return;
	}
	FUZZ_CHECK(p.tenancy && json_is_ocid(p.tenancy), "tenancy");
	FUZZ_CHECK(!p.user || json_is_ocid(p.user), "user");
	if (!p.security_token_file) {
		FUZZ_CHECK(p.user, "no user");
		FUZZ_CHECK(p.fingerprint && is_fingerprint(p.fingerprint),
			   "fingerprint '%s'", p.fingerprint);
	}
	FUZZ_CHECK(p.key_file && p.key_file[0], "key_file");
	FUZZ_CHECK(p.region && region_resolve(p.region, &ri) == 0, "region");
	FUZZ_CHECK(p.name && !strcmp(p.name, name), "name");
	for (int k = 0; k < PROFILE_NKEYS; k++)
		FUZZ_CHECK(p.line[k] <= lines, "line[%d] = %u of %u", k,
			   p.line[k], lines);
	profile_release(&p);
	FUZZ_CHECK(!p.tenancy && !p.pass_phrase, "release");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size > 64 * 1024)
		return 0;
	text = fuzz_strndup(data, size);
	one(text, size, "DEFAULT");
	one(text, size, "PROD");
	free(text);
	return 0;
}
