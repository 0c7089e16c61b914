/* SPDX-License-Identifier: MIT */
/*
 * clock: injectable time and cancellable sleep.
 *
 * Everything that waits (retry backoff, rate limiting, backup polling) goes
 * through a `struct clock`, so that unit tests run on a fake clock without
 * sleeping and so that unmounting can cancel every sleeper at once.
 *
 * Two implementations:
 *  - clock_sys: CLOCK_MONOTONIC / CLOCK_REALTIME with sleeps on a condition
 *    variable; clock_sys_cancel() wakes every sleeper with -ECANCELED and
 *    makes every later sleep fail at once.  Thread-safe.
 *  - clock_fake: time only moves when somebody sleeps or the test calls
 *    clock_fake_advance().  Not thread-safe; for unit tests.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct clock {
	/* Monotonic milliseconds, arbitrary origin. */
	uint64_t (*mono_ms)(void *arg);
	/* Wall clock, seconds since the Unix epoch (UTC). */
	int64_t (*wall_s)(void *arg);
	/* Sleep; 0, or -ECANCELED once the clock was cancelled. */
	int (*sleep_ms)(void *arg, uint64_t ms);
	void *arg;
};

static inline uint64_t clock_mono_ms(const struct clock *c)
{
	return c->mono_ms(c->arg);
}

static inline int64_t clock_wall_s(const struct clock *c)
{
	return c->wall_s(c->arg);
}

static inline int clock_sleep_ms(const struct clock *c, uint64_t ms)
{
	return c->sleep_ms(c->arg, ms);
}

struct clock_sys {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* uses CLOCK_MONOTONIC */
	bool cancelled;
};

/* Initialize `cs` and point `out` at it. 0 or -errno. */
int clock_sys_init(struct clock_sys *cs, struct clock *out);
void clock_sys_cancel(struct clock_sys *cs);
bool clock_sys_cancelled(struct clock_sys *cs);
void clock_sys_release(struct clock_sys *cs);

/*
 * Wait on `cond` (which must use CLOCK_MONOTONIC, see clock_cond_init())
 * with `lock` held, for at most `ms` milliseconds.  Returns 0 when
 * signalled, -ETIMEDOUT on timeout.
 */
int clock_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *lock,
			 uint64_t ms);
int clock_cond_init(pthread_cond_t *cond);

struct clock_fake {
	uint64_t now_ms;
	int64_t wall;
	uint64_t slept_ms; /* total of all sleeps */
	unsigned int sleeps; /* number of sleeps */
	bool cancelled;
};

void clock_fake_init(struct clock_fake *cf, struct clock *out);
void clock_fake_advance(struct clock_fake *cf, uint64_t ms);

/*
 * Format `t` (seconds since the epoch) as an RFC 7231 HTTP date
 * ("Thu, 05 Jan 2014 21:31:40 GMT") or an RFC 3339 UTC timestamp
 * ("2014-01-05T21:31:40Z"), independent of the locale.  `n` must be at
 * least 30 (HTTP) / 21 (RFC 3339).  0 or -EINVAL.
 */
int clock_http_date(int64_t t, char *out, size_t n);
int clock_rfc3339(int64_t t, char *out, size_t n);

/*
 * Parse an RFC 3339 timestamp ("2018-04-03T21:10:29.600Z", offsets allowed)
 * into seconds since the epoch (fractions dropped). 0 or -EINVAL, also for
 * impossible dates such as 2019-02-29; a leap second (:60) counts as the
 * first second of the next minute.
 */
int clock_parse_rfc3339(const char *s, int64_t *out);

#endif /* CLOCK_H */
