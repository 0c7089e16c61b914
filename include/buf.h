/* SPDX-License-Identifier: MIT */
/*
 * buf: a bounded, growable byte buffer (git's strbuf API shape with curl's
 * dynbuf hard cap).
 *
 * Invariants:
 *  - `buf` is never NULL: an empty buffer points at a shared, read-only ""
 *    slot, so `b.buf` can always be printed with "%s".
 *  - `buf[len]` is always NUL, so text can be used as a C string (binary
 *    data may contain NULs before `len`).
 *  - `len` never exceeds `max`.  Every function that would grow the buffer
 *    past `max` fails with -EMSGSIZE and leaves the contents unchanged; out
 *    of memory is -ENOMEM, also leaving the contents unchanged.  Network
 *    input therefore cannot grow a buffer without bound.
 *
 * Ownership: the buffer owns `buf` once it has allocated (alloc > 0).  Only
 * buf_detach() hands that memory to the caller, who then frees it with
 * free() (or buf_wipe_free() for secrets).
 *
 * Lifecycle: BUF_INIT(max) or buf_init(); buf_release() frees and re-inits
 * (the cap is kept); buf_wipe_release() first overwrites the bytes, for
 * buffers that held secrets.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

extern char buf_slopbuf[];

struct buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max;
};

#define BUF_INIT(maxlen) { .buf = buf_slopbuf, .len = 0, .alloc = 0, .max = (maxlen) }

/* Initialize an empty buffer whose contents may never exceed `max` bytes. */
void buf_init(struct buf *b, size_t max);

/* Free the contents; the buffer is empty again and keeps its cap. */
void buf_release(struct buf *b);

/* Like buf_release(), but overwrites the whole allocation first. */
void buf_wipe_release(struct buf *b);

/* Make the buffer empty without freeing its memory. */
void buf_reset(struct buf *b);

/* Make room for `extra` more bytes. 0, -ENOMEM or -EMSGSIZE. */
int buf_grow(struct buf *b, size_t extra);

/* Append bytes / a C string / one char / formatted text. 0 or -errno. */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Shorten to `len` bytes (no-op if already shorter). */
void buf_setlen(struct buf *b, size_t len);

/* Remove leading and trailing ASCII white space. */
void buf_trim(struct buf *b);

/*
 * Hand the memory to the caller: returns a malloc'd NUL-terminated string
 * (never NULL unless out of memory) and sets *len if `len` is not NULL.  The
 * buffer is empty afterwards.
 */
char *buf_detach(struct buf *b, size_t *len);

/* Overwrite `len` bytes at `p` in a way the compiler cannot elide. */
void buf_wipe(void *p, size_t len);

/* Wipe then free a NUL-terminated secret string; NULL is fine. */
void buf_wipe_free(char *s);

/*
 * Copy `src` into the fixed array `dst` of size `n` (n > 0).  Returns 0, or
 * -ENAMETOOLONG if `src` does not fit (then `dst` is the empty string).
 * The bounded replacement for strcpy/strncpy.
 */
int buf_copy(char *dst, size_t n, const char *src);

#endif /* BUF_H */
