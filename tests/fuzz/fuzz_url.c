/* SPDX-License-Identifier: MIT */
/*
 * Fuzz URL splitting and percent-encoding (fs/http.c): http_url_parse(),
 * http_escape(), http_unescape().
 *
 * Invariants (include/http.h): http_url_parse() is 0 or -EINVAL (or
 * -ENOMEM); on failure `out` is zeroed; on success the scheme is "http"
 * or "https", scheme and host are lower case, every part is
 * NUL-terminated, the path starts with '/', the host is not empty and has
 * no '@'; URLs with user info or a fragment are refused.
 * unescape(escape(x)) == x for any bytes without NUL; escape's output is
 * only unreserved characters and %XX with upper-case hex; unescape refuses
 * %00 and malformed escapes and then leaves `out` unchanged.
 */
#include <ctype.h>
#include <errno.h>

#include "buf.h"
#include "fuzz.h"
#include "http.h"

static void check_url(const char *in)
{
	struct http_url *u = malloc(sizeof(*u));
	int ret;

	if (!u)
		abort();
	memset(u, 0xa5, sizeof(*u));
	ret = http_url_parse(in, u);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM, "ret %d", ret);
	if (ret) {
		FUZZ_CHECK(fuzz_all_zero(u, sizeof(*u)), "out not zeroed");
		goto out;
	}
	FUZZ_STR(u->scheme);
	FUZZ_STR(u->host);
	FUZZ_STR(u->port);
	FUZZ_STR(u->path);
	FUZZ_STR(u->query);
	FUZZ_CHECK(!strcmp(u->scheme, "http") || !strcmp(u->scheme, "https"),
		   "scheme '%s'", u->scheme);
	FUZZ_CHECK(u->host[0] && !strchr(u->host, '@'), "host '%s'", u->host);
	for (const char *p = u->host; *p; p++)
		FUZZ_CHECK(!isupper((unsigned char)*p), "host '%s'", u->host);
	FUZZ_CHECK(u->path[0] == '/', "path '%s'", u->path);
	FUZZ_CHECK(strspn(u->port, "0123456789") == strlen(u->port),
		   "port '%s'", u->port);
	FUZZ_CHECK(!strchr(in, '#'), "fragment accepted: %s", in);
out:
	free(u);
}

static void check_escape(const char *in, size_t len)
{
	struct buf e = BUF_INIT(1 << 20), d = BUF_INIT(1 << 20);
	int ret;

	ret = http_escape(in, len, &e);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "escape %d", ret);
	if (ret)
		goto out;
	for (size_t i = 0; i < e.len; i++) {
		unsigned char c = (unsigned char)e.buf[i];

		if (c == '%') {
			FUZZ_CHECK(i + 2 < e.len, "short escape");
			FUZZ_CHECK(e.buf[i + 1] && e.buf[i + 2] &&
					   strchr("0123456789ABCDEF",
						  e.buf[i + 1]) &&
					   strchr("0123456789ABCDEF",
						  e.buf[i + 2]),
				   "escape not upper-case hex");
			i += 2;
		} else {
			FUZZ_CHECK(isalnum(c) || strchr("-._~", c),
				   "'%c' not escaped", c);
		}
	}
	ret = http_unescape(e.len ? e.buf : "", e.len, &d);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "unescape(escape) %d", ret);
	if (!ret)
		FUZZ_CHECK(d.len == len && (!len || !memcmp(d.buf, in, len)),
			   "unescape(escape(x)) != x");
out:
	buf_release(&e);
	buf_release(&d);
}

static void check_unescape(const char *in, size_t len)
{
	struct buf d = BUF_INIT(1 << 20);
	int ret;

	if (buf_adds(&d, "pre"))
		abort();
	ret = http_unescape(in, len, &d);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM, "ret %d", ret);
	if (ret) {
		FUZZ_CHECK(d.len == 3 && !memcmp(d.buf, "pre", 3),
			   "out changed on failure");
	} else {
		FUZZ_CHECK(d.len <= 3 + len, "grew");
		FUZZ_CHECK(!memchr(d.buf, '\0', d.len), "NUL decoded");
	}
	buf_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;
	size_t len;

	if (size > 16384)
		return 0;
	in = fuzz_strndup(data, size);
	len = strlen(in); /* escape takes bytes without NUL */
	check_url(in);
	check_escape(in, len);
	check_unescape(in, len);
	free(in);
	return 0;
}
