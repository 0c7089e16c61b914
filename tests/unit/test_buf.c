/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/buf.c: growth, the hard cap, ownership, wiping. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

static void test_init(void)
{
	struct buf a = BUF_INIT(100), b;

	ok(a.buf == buf_slopbuf && a.len == 0 && a.alloc == 0 && a.max == 100,
	   "BUF_INIT: empty, shared slot, cap kept");
	is_str(a.buf, "", "BUF_INIT: printable as \"\"");
	buf_init(&b, 7);
	ok(b.buf == buf_slopbuf && b.len == 0 && b.alloc == 0 && b.max == 7,
	   "buf_init: same as BUF_INIT");
	buf_release(&b);
	ok(b.buf == buf_slopbuf && b.max == 7, "release of an empty buffer");
}

static void test_add(void)
{
	struct buf b = BUF_INIT(1000);
	static const char bin[] = {'a', '\0', 'b', '\0', 'c'};

	is_int(buf_adds(&b, "hello"), 0, "adds");
	is_int(buf_addch(&b, ' '), 0, "addch");
	is_int(buf_addf(&b, "%s %d%c", "world", 42, '!'), 0, "addf");
	is_str(b.buf, "hello world 42!", "contents");
	is_int(b.len, 15, "len");
	ok(b.buf[b.len] == '\0', "NUL-terminated");
	is_int(buf_add(&b, "", 0), 0, "add of 0 bytes");
	is_int(buf_addf(&b, "%s", ""), 0, "addf of nothing");
	is_int(b.len, 15, "len unchanged by empty adds");
	buf_reset(&b);
	is_int(buf_add(&b, bin, sizeof(bin)), 0, "binary add");
	ok(b.len == 5 && !memcmp(b.buf, bin, 5) && b.buf[5] == '\0',
	   "binary data kept, NUL after len");
	buf_release(&b);

	for (int i = 0; i < 900; i++)
		must(buf_addch(&b, (char)('a' + i % 26)));
	{
		int bad = 0;

		for (int i = 0; i < 900; i++)
			bad += b.buf[i] != (char)('a' + i % 26);
		ok(b.len == 900 && !bad && b.buf[900] == '\0',
		   "900 single-byte appends survive the reallocations");
	}
	buf_release(&b);
}

static int vadd(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int vadd(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return ret;
}

static void test_cap(void)
{
	struct buf b = BUF_INIT(10), z = BUF_INIT(0);

	is_int(buf_adds(&b, "0123456789"), 0, "fill to the cap exactly");
	ok(b.alloc <= 11, "allocation never exceeds max + 1 (%zu)", b.alloc);
	is_int(buf_addch(&b, 'x'), -EMSGSIZE, "one more byte: -EMSGSIZE");
	is_str(b.buf, "0123456789", "contents unchanged");
	is_int(buf_add(&b, "", 0), 0, "0 bytes still fit");
	buf_setlen(&b, 5);
	is_int(buf_addf(&b, "%s", "abcdef"), -EMSGSIZE,
	       "addf over the cap: -EMSGSIZE");
	is_str(b.buf, "01234", "contents unchanged after a failed addf");
	is_int(vadd(&b, "%d", 12345), 0, "vaddf up to the cap");
	is_str(b.buf, "0123412345", "vaddf contents");
	is_int(vadd(&b, "%d", 1), -EMSGSIZE, "vaddf over the cap");
	is_int(buf_add(&b, "x", SIZE_MAX), -EMSGSIZE,
	       "a length of SIZE_MAX does not wrap around");
	is_int(buf_grow(&b, SIZE_MAX - 5), -EMSGSIZE, "grow past the cap");
	is_int(buf_adds(&z, "a"), -EMSGSIZE, "cap 0: nothing fits");
	ok(z.buf == buf_slopbuf, "cap 0: nothing allocated");
	buf_release(&b);
	buf_release(&z);
}

static void test_uncapped(void)
{
	struct buf b = BUF_INIT(SIZE_MAX);

	/* A cap of SIZE_MAX once made the allocation size wrap to 0. */
	is_int(buf_adds(&b, "abc"), 0, "cap SIZE_MAX: add");
	is_str(b.buf, "abc", "cap SIZE_MAX: contents");
	ok(b.alloc >= 4, "cap SIZE_MAX: real allocation (%zu)", b.alloc);
	is_int(buf_grow(&b, SIZE_MAX - 3), -EMSGSIZE,
	       "cap SIZE_MAX: no room left for the NUL");
	is_int(buf_grow(&b, SIZE_MAX), -EMSGSIZE, "cap SIZE_MAX: grow by max");
	is_str(b.buf, "abc", "cap SIZE_MAX: unchanged");
	buf_release(&b);
}

static void test_setlen_reset_release(void)
{
	struct buf b = BUF_INIT(100);
	size_t alloc;

	must(buf_adds(&b, "abcdef"));
	buf_setlen(&b, 3);
	is_str(b.buf, "abc", "setlen shortens");
	buf_setlen(&b, 50);
	ok(b.len == 3, "setlen does not lengthen");
	alloc = b.alloc;
	buf_reset(&b);
	ok(b.len == 0 && b.alloc == alloc && b.buf[0] == '\0',
	   "reset keeps the memory");
	buf_reset(&b);
	ok(b.len == 0, "reset twice");
	buf_release(&b);
	ok(b.buf == buf_slopbuf && b.len == 0 && b.alloc == 0 && b.max == 100,
	   "release: empty again, cap kept");
	is_int(buf_adds(&b, "again"), 0, "usable after release");
	buf_wipe_release(&b);
	ok(b.buf == buf_slopbuf && b.alloc == 0 && b.max == 100,
	   "wipe_release: empty again");
}

static void test_trim(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{"  a b  ", "a b"}, {"\t\r\n\v\fx\n", "x"},
		{"x", "x"},	    {"   ", ""},
		{"", ""},	    {"a  ", "a"},
		{"  a", "a"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b = BUF_INIT(64);

		must(buf_adds(&b, v[i].in));
		buf_trim(&b);
		is_str(b.buf, v[i].out, "trim case %zu", i);
		is_int(b.len, strlen(v[i].out), "trim case %zu length", i);
		buf_release(&b);
	}
}

static void test_detach(void)
{
	struct buf b = BUF_INIT(64);
	size_t len = 99;
	char *s;

	must(buf_adds(&b, "secret"));
	s = buf_detach(&b, &len);
	is_str(s, "secret", "detach returns the string");
	is_int(len, 6, "detach returns the length");
	ok(b.buf == buf_slopbuf && b.len == 0 && b.alloc == 0 && b.max == 64,
	   "detach leaves the buffer empty");
	buf_wipe_free(s);
	s = buf_detach(&b, NULL);
	ok(s && s != buf_slopbuf && !*s, "detach of empty: a fresh \"\"");
	free(s);
	/* Must not crash (a crash fails the whole program). */
	buf_wipe_free(NULL);
}

static void test_wipe(void)
{
	char a[16];
	int nz = 0;

	memset(a, 'S', sizeof(a));
	buf_wipe(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		nz += a[i] != 0;
	is_int(nz, 0, "wipe zeroes every byte");
	a[0] = 'S';
	buf_wipe(NULL, 10);
	buf_wipe(a, 0);
	ok(a[0] == 'S', "wipe of 0 bytes touches nothing");
}

/* A secret buffer keeps its contents and its mode through growth and
 * release (that the old blocks are wiped is not observable from here
 * without reading freed memory; buf.c copies and wipes instead of
 * realloc for such a buffer). */
static void test_secret(void)
{
	struct buf b = BUF_INIT_SECRET(1 << 20), c;
	int same = 1;

	ok(b.secret, "BUF_INIT_SECRET sets the mode");
	for (int i = 0; i < 5000; i++)
		if (buf_addch(&b, (char)('a' + i % 26)))
			same = 0;
	for (int i = 0; i < 5000 && same; i++)
		same = b.buf[i] == (char)('a' + i % 26);
	ok(same && b.len == 5000 && !b.buf[5000],
	   "contents kept through 7 growths");
	buf_release(&b);
	ok(b.secret && !b.len && !b.alloc && b.max == 1 << 20,
	   "release keeps the mode and the cap");
	buf_init_secret(&c, 8);
	ok(c.secret && !buf_adds(&c, "12345678") &&
		   buf_adds(&c, "9") == -EMSGSIZE,
	   "buf_init_secret: the cap holds");
	buf_wipe_release(&c);
	buf_init(&c, 8);
	ok(!c.secret, "buf_init: not secret");
}

static void test_copy(void)
{
	char d[8];

	is_int(buf_copy(d, sizeof(d), "abc"), 0, "copy fits");
	is_str(d, "abc", "copy contents");
	is_int(buf_copy(d, sizeof(d), "1234567"), 0, "7 chars fit in 8");
	is_str(d, "1234567", "exact fit contents");
	is_int(buf_copy(d, sizeof(d), "12345678"), -ENAMETOOLONG,
	       "8 chars do not fit in 8");
	is_str(d, "", "too long leaves \"\"");
	is_int(buf_copy(d, 1, ""), 0, "\"\" fits in 1");
	memcpy(d, "keep", 5);
	is_int(buf_copy(d, 0, "x"), -ENAMETOOLONG, "n 0: -ENAMETOOLONG");
	is_str(d, "keep", "n 0: nothing written");
}

static void test_fmt(void)
{
	char small[6];

	buf_fmt(small, sizeof(small), "%s-%d", "ab", 1234);
	is_str(small, "ab-12", "buf_fmt cuts to the array");
	buf_fmt(NULL, 10, "%d", 1); /* must not crash */
	buf_fmt(small, 0, "%d", 1);
	is_str(small, "ab-12", "size 0 writes nothing");
}

static void test_utf8(void)
{
	static const struct {
		const char *s;
		size_t avail, want;
	} cases[] = {
		{"a", 1, 1},
		{"\xc3\xa9", 2, 2}, /* e acute */
		{"\xc3\xa9", 1, 0}, /* cut short */
		{"\xe2\x90\x81", 3, 3}, /* U+2401 */
		{"\xf0\x9f\x94\x91", 4, 4}, /* U+1F511 */
		{"\xc0\xaf", 2, 0}, /* overlong '/' */
		{"\xe0\x80\xaf", 3, 0}, /* overlong */
		{"\xed\xa0\x80", 3, 0}, /* surrogate */
		{"\xf4\x90\x80\x80", 4, 0}, /* above U+10FFFF */
		{"\x80", 1, 0}, /* lone continuation */
		{"\xc3", 4, 0}, /* NUL ends the sequence */
		{"", 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(buf_utf8_seq((const unsigned char *)cases[i].s,
				    cases[i].avail),
		       cases[i].want, "utf8 case %zu", i);
}

int main(void)
{
	test_fmt();
	test_utf8();
	test_init();
	test_add();
	test_cap();
	test_uncapped();
	test_setlen_reset_release();
	test_trim();
	test_detach();
	test_wipe();
	test_secret();
	test_copy();
	return done_testing();
}
