/* SPDX-License-Identifier: MIT */
/*
 * tap.h: a tiny TAP producer for the C unit tests (meson runs them with
 * protocol 'tap').  Header-only; each test program includes it once.
 *
 *   ok(cond, "name %d", i);   is_int(got, want, "name");
 *   is_str(got, want, "name"); return done_testing();
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 4, 5))) static int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* A setup step that must succeed (0): a failure is a failed test. */
#define must(expr)                                               \
	do {                                                     \
		int must_r_ = (expr);                            \
		if (must_r_)                                     \
			ok(0, "setup: %s (%d)", #expr, must_r_); \
	} while (0)

#define is_int(got, want, ...)                                               \
	do {                                                                 \
		long long tap_g_ = (long long)(got);                         \
		long long tap_w_ = (long long)(want);                        \
		if (!ok(tap_g_ == tap_w_, __VA_ARGS__))                      \
			printf("#   got %lld, want %lld\n", tap_g_, tap_w_); \
	} while (0)

#define is_str(got, want, ...)                                           \
	do {                                                             \
		const char *tap_g_ = (got);                              \
		const char *tap_w_ = (want);                             \
		int tap_eq_ = tap_g_ && tap_w_ ? !strcmp(tap_g_, tap_w_) \
					       : tap_g_ == tap_w_;       \
		if (!ok(tap_eq_, __VA_ARGS__))                           \
			printf("#   got '%s'\n#  want '%s'\n",           \
			       tap_g_ ? tap_g_ : "(null)",               \
			       tap_w_ ? tap_w_ : "(null)");              \
	} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		printf("# %d of %d tests failed\n", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

#endif /* TAP_H */
