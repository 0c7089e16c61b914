/* SPDX-License-Identifier: MIT */
/*
 * Fuzz region names and hosts (fs/region.c).  The input up to the first
 * newline is a region name, the rest a host name.
 *
 * Invariants (include/region.h): region_resolve() is 0 or -EINVAL and
 * accepts only letters, digits and inner single '-', starting with a
 * letter, at most 63 characters; on success the identifier is that name
 * lower-cased (or, for a short code, the table's identifier), every field
 * is NUL-terminated, a known region has its code, realm and domain, and
 * resolving the identifier again gives the same region; every service
 * endpoint is https://SERVICE.ID... without a trailing '/'; the region's
 * own objectstorage host is accepted by region_is_objectstorage_host(),
 * and a host with '/', '@', ':' or a space never is.
 */
#include <ctype.h>
#include <errno.h>

#include "fuzz.h"
#include "region.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unsetenv("OCI_DEFAULT_REALM");
	return 0;
}

static bool well_formed(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63 || !isalpha((unsigned char)s[0]) || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c < 0x80 && (isalnum(c) || c == '-')))
			return false;
		if (c == '-' && s[i + 1] == '-')
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum region_service svcs[] = {
		REGION_SVC_IDENTITY, REGION_SVC_KMS, REGION_SVC_OBJECTSTORAGE,
		REGION_SVC_WORKREQUESTS};
	struct region_info r, again;
	char *in = fuzz_strndup(data, size);
	char *host = strchr(in, '\n');
	char url[512], own[256];
	int ret;

	if (host)
		*host++ = '\0';
	memset(&r, 0xa5, sizeof(r));
	ret = region_resolve(in, &r);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL, "ret %d", ret);
	FUZZ_CHECK(!ret == well_formed(in), "'%s' resolved: %d", in, ret);
	if (ret)
		goto out;
	FUZZ_STR(r.id);
	FUZZ_STR(r.code);
	FUZZ_STR(r.realm);
	FUZZ_STR(r.domain);
	FUZZ_CHECK(well_formed(r.id), "id '%s'", r.id);
	for (const char *p = r.id; *p; p++)
		FUZZ_CHECK(!isupper((unsigned char)*p), "id '%s' not lower",
			   r.id);
	if (r.known)
		FUZZ_CHECK(r.code[0] && r.realm[0] && r.domain[0],
			   "known region without code, realm or domain");
	else
		FUZZ_CHECK(!strcasecmp(r.id, in), "unknown '%s' became '%s'",
			   in, r.id);
	FUZZ_CHECK(r.domain[0], "no domain");
	FUZZ_CHECK(region_resolve(r.id, &again) == 0 &&
			   !strcmp(again.id, r.id) &&
			   !strcmp(again.domain, r.domain) &&
			   again.known == r.known,
		   "resolve(id) differs");
	for (size_t i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++) {
		ret = region_endpoint(&r, svcs[i], NULL, url, sizeof(url));
		FUZZ_CHECK(ret == 0, "endpoint %zu: %d", i, ret);
		FUZZ_CHECK(!strncmp(url, "https://", 8) && strstr(url, r.id) &&
				   url[strlen(url) - 1] != '/',
			   "endpoint '%s'", url);
	}
	snprintf(own, sizeof(own), "objectstorage.%s.%s", r.id, r.domain);
	FUZZ_CHECK(region_is_objectstorage_host(&r, own), "own host '%s'", own);
	if (host)
		FUZZ_CHECK(!region_is_objectstorage_host(&r, host) ||
				   !strpbrk(host, "/@: \t"),
			   "host '%s' accepted", host);
	/* An override replaces every endpoint, trailing '/' removed. */
	if (host && *host && strlen(host) < 400) {
		ret = region_endpoint(&r, REGION_SVC_KMS, host, url,
				      sizeof(url));
		FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENAMETOOLONG,
			   "override %d", ret);
		if (!ret)
			FUZZ_CHECK(url[0] && url[strlen(url) - 1] != '/' &&
					   !strncmp(url, host, strlen(url)),
				   "override '%s' gave '%s'", host, url);
	}
out:
	free(in);
	return 0;
}
