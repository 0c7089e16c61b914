/* SPDX-License-Identifier: MIT */
/* buf: bounded growable buffer, see include/buf.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "banned.h"

char buf_slopbuf[1];

void buf_init(struct buf *b, size_t max)
{
	b->buf = buf_slopbuf;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->secret = 0;
}

void buf_init_secret(struct buf *b, size_t max)
{
	buf_init(b, max);
	b->secret = 1;
}

void buf_release(struct buf *b)
{
	int secret = b->secret;

	if (b->alloc) {
		if (secret)
			buf_wipe(b->buf, b->alloc);
		free(b->buf);
	}
	buf_init(b, b->max);
	b->secret = secret;
}

void buf_wipe_release(struct buf *b)
{
	if (b->alloc)
		buf_wipe(b->buf, b->alloc);
	buf_release(b);
}

void buf_reset(struct buf *b)
{
	buf_setlen(b, 0);
}

int buf_grow(struct buf *b, size_t extra)
{
	size_t need, nalloc;
	char *p;

	/*
	 * The NUL needs one more byte: with max == SIZE_MAX the content may
	 * only reach SIZE_MAX - 1, or `need` and `max + 1` below would wrap.
	 */
	if (extra > b->max || b->len > b->max - extra ||
	    b->len + extra == SIZE_MAX)
		return -EMSGSIZE;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	nalloc = b->alloc ? b->alloc : 64;
	while (nalloc < need)
		nalloc = nalloc > SIZE_MAX / 2 ? need : nalloc * 2;
	if (b->max < SIZE_MAX && nalloc > b->max + 1)
		nalloc = b->max + 1;
	if (b->alloc && b->secret) {
		/* Not realloc: it may leave the old block, secret and all, in
		 * freed memory. */
		p = malloc(nalloc);
		if (p) {
			memcpy(p, b->buf, b->len + 1);
			buf_wipe(b->buf, b->alloc);
			free(b->buf);
		}
	} else if (b->alloc) {
		p = realloc(b->buf, nalloc);
	} else {
		p = malloc(nalloc);
		if (p)
			p[0] = '\0';
	}
	if (!p)
		return -ENOMEM;
	b->buf = p;
	b->alloc = nalloc;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	int ret;

	if (!len)
		return 0;
	ret = buf_grow(b, len);
	if (ret)
		return ret;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, ret;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -EINVAL;
	ret = buf_grow(b, (size_t)n);
	if (ret)
		return ret;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return ret;
}

void buf_setlen(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	if (b->alloc)
		b->buf[len] = '\0';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

void buf_trim(struct buf *b)
{
	size_t start = 0, end = b->len;

	while (end > 0 && is_space(b->buf[end - 1]))
		end--;
	while (start < end && is_space(b->buf[start]))
		start++;
	if (!b->alloc)
		return;
	memmove(b->buf, b->buf + start, end - start);
	b->len = end - start;
	b->buf[b->len] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	if (b->alloc) {
		p = b->buf;
	} else {
		p = malloc(1);
		if (p)
			p[0] = '\0';
	}
	buf_init(b, b->max);
	return p;
}

void buf_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

void buf_wipe_free(char *s)
{
	if (!s)
		return;
	buf_wipe(s, strlen(s));
	free(s);
}

int buf_copy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (!n)
		return -ENAMETOOLONG;
	if (len >= n) {
		dst[0] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

void buf_fmt(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!dst || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

size_t buf_utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (!avail)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

int buf_read_file(struct buf *b, const char *path, const char *what, char *why,
		  size_t why_n)
{
	struct stat st;
	char extra;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = errno == ENOENT || errno == ENOTDIR ? -ENOENT
		      : errno == ENOMEM			  ? -ENOMEM
							  : -EACCES;
		buf_fmt(why, why_n, "cannot read %s '%s': %s", what, path,
			strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ret = -EACCES;
		buf_fmt(why, why_n, "cannot read %s '%s': not a regular file",
			what, path);
		goto out;
	}
	ret = buf_grow(b, b->max - b->len);
	if (ret) {
		buf_fmt(why, why_n, "out of memory");
		goto out;
	}
	for (;;) {
		/* At the cap, one more byte tells "full" from "too big". */
		bool full = b->len == b->max;

		n = read(fd, full ? &extra : b->buf + b->len,
			 full ? 1 : b->max - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -EACCES;
			buf_fmt(why, why_n, "cannot read %s '%s': %s", what,
				path, strerror(errno));
			break;
		}
		if (!n)
			break;
		if (full) {
			ret = -EFBIG;
			if (b->max % (1024 * 1024) == 0)
				buf_fmt(why, why_n,
					"%s '%s' is larger than %zu MiB", what,
					path, b->max / (1024 * 1024));
			else
				buf_fmt(why, why_n,
					"%s '%s' is larger than %zu KiB", what,
					path, b->max / 1024);
			break;
		}
		b->len += (size_t)n;
	}
	b->buf[b->len] = '\0';
	buf_wipe(&extra, sizeof(extra));
out:
	close(fd);
	return ret;
}
