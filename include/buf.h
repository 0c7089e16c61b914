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
 *
 * Secrets: a buffer made with BUF_INIT_SECRET(max) or buf_init_secret()
 * never leaves a copy behind: growing copies into a new block and wipes
 * and frees the old one (realloc could leave it in freed memory), and
 * buf_release() wipes.  buf_wipe() is the project's one wipe primitive.
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
	int secret; /* wipe on growth and release (BUF_INIT_SECRET) */
};

#define BUF_INIT(maxlen)                                                  \
	{                                                                 \
		.buf = buf_slopbuf, .len = 0, .alloc = 0, .max = (maxlen) \
	}
#define BUF_INIT_SECRET(maxlen)                                            \
	{                                                                  \
		.buf = buf_slopbuf, .len = 0, .alloc = 0, .max = (maxlen), \
		.secret = 1                                                \
	}

/* Initialize an empty buffer whose contents may never exceed `max` bytes. */
void buf_init(struct buf *b, size_t max);

/* The same for a buffer that will hold a secret (see "Secrets"). */
void buf_init_secret(struct buf *b, size_t max);

/* Free the contents (wiped first for a secret buffer); the buffer is
 * empty again and keeps its cap and its secret mode. */
void buf_release(struct buf *b);

/* Like buf_release(), but overwrites the whole allocation first. */
void buf_wipe_release(struct buf *b);

/* Make the buffer empty without freeing its memory. */
void buf_reset(struct buf *b);

/* Make room for `extra` more bytes. 0, -ENOMEM or -EMSGSIZE. */
__attribute__((warn_unused_result)) int buf_grow(struct buf *b, size_t extra);

/* Append bytes / a C string / one char / formatted text. 0 or -errno. */
__attribute__((warn_unused_result)) int buf_add(struct buf *b, const void *data,
						size_t len);
__attribute__((warn_unused_result)) int buf_adds(struct buf *b, const char *s);
__attribute__((warn_unused_result)) int buf_addch(struct buf *b, char c);
__attribute__((warn_unused_result)) int buf_addf(struct buf *b, const char *fmt,
						 ...)
	__attribute__((format(printf, 2, 3)));
__attribute__((warn_unused_result)) int buf_vaddf(struct buf *b,
						  const char *fmt, va_list ap)
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

/*
 * Format into the fixed array `dst` of size `n`, cutting what does not fit
 * (the "why" messages of every module).  `dst` NULL or `n` 0 does nothing.
 */
void buf_fmt(char *dst, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Length (1..4) of the well-formed UTF-8 sequence at `p`, which has `avail`
 * readable bytes, or 0 when it is ill-formed (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF) or cut short.  Bytes are read
 * in order and reading stops at the first bad one, so for a NUL-terminated
 * string `avail` 4 is safe: the NUL ends any sequence.
 */
size_t buf_utf8_seq(const unsigned char *p, size_t avail);

/*
 * Read the whole regular file `path` into the empty buffer `b` with one
 * allocation of `b->max` bytes, so that no realloc leaves a copy of a
 * secret (key, pass phrase, token) behind.  `what` names the file in the
 * message written to `why` on failure ("cannot read key file '/x': ...").
 * Returns 0, -ENOENT, -EACCES (unreadable, not a regular file), -EFBIG
 * (larger than `b->max`) or -ENOMEM; on failure `b` keeps what was read,
 * for the caller to wipe.
 */
int buf_read_file(struct buf *b, const char *path, const char *what, char *why,
		  size_t why_n);

#endif /* BUF_H */
