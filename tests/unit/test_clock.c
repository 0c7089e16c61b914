/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/clock.c: fake and system clocks, date formats. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "tap.h"

static void test_http_date(void)
{
	static const struct {
		int64_t t;
		const char *http, *rfc;
	} v[] = {
		{0, "Thu, 01 Jan 1970 00:00:00 GMT", "1970-01-01T00:00:00Z"},
		{1389000000, "Mon, 06 Jan 2014 09:20:00 GMT",
		 "2014-01-06T09:20:00Z"},
		{951782400, "Tue, 29 Feb 2000 00:00:00 GMT",
		 "2000-02-29T00:00:00Z"},
		{4102444800, "Fri, 01 Jan 2100 00:00:00 GMT",
		 "2100-01-01T00:00:00Z"},
		{-1, "Wed, 31 Dec 1969 23:59:59 GMT", "1969-12-31T23:59:59Z"},
		{253402300799, "Fri, 31 Dec 9999 23:59:59 GMT",
		 "9999-12-31T23:59:59Z"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(out, 'x', sizeof(out));
		is_int(clock_http_date(v[i].t, out, sizeof(out)), 0,
		       "http date of %lld", (long long)v[i].t);
		is_str(out, v[i].http, "http date of %lld", (long long)v[i].t);
		is_int(clock_rfc3339(v[i].t, out, sizeof(out)), 0,
		       "rfc3339 of %lld", (long long)v[i].t);
		is_str(out, v[i].rfc, "rfc3339 of %lld", (long long)v[i].t);
	}
	is_int(clock_http_date(0, out, 30), 0, "http date fits in 30 bytes");
	is_int(clock_http_date(0, out, 29), -EINVAL, "29 bytes: -EINVAL");
	is_int(clock_rfc3339(0, out, 21), 0, "rfc3339 fits in 21 bytes");
	is_int(clock_rfc3339(0, out, 20), -EINVAL, "20 bytes: -EINVAL");
}

static void test_parse(void)
{
	static const struct {
		const char *s;
		int64_t t;
	} good[] = {
		{"2018-04-03T21:10:29Z", 1522789829},
		{"2018-04-03T21:10:29.600Z", 1522789829},
		{"2018-04-03T21:10:29.123456789Z", 1522789829},
		{"2018-04-03t21:10:29z", 1522789829},
		{"2021-06-01T12:00:00+05:30", 1622529000},
		{"2021-06-01T12:00:00-08:00", 1622577600},
		{"2021-06-01T12:00:00+00:00", 1622548800},
		{"1970-01-01T00:00:00Z", 0},
		{"1969-12-31T23:59:59Z", -1},
		{"2000-02-29T00:00:00Z", 951782400},
		{"2016-12-31T23:59:60Z", 1483228800},
		{"0001-01-01T00:00:00Z", -62135596800LL},
		{"9999-12-31T23:59:59Z", 253402300799LL},
	};
	static const char *const bad[] = {
		"",
		"2018-04-03",
		"2018-04-03T21:10:29",
		"2018-04-03 21:10:29Z",
		"2018-4-03T21:10:29Z",
		"18-04-03T21:10:29Z",
		"2018-04-03T21:10Z",
		"2018-04-03T21:10:29.Z",
		"2018-04-03T21:10:29ZZ",
		"2018-04-03T21:10:29Z ",
		" 2018-04-03T21:10:29Z",
		"2018-04-03T21:10:29+0530",
		"2018-04-03T21:10:29+5:30",
		"2018-04-03T21:10:29+24:00",
		"2018-04-03T21:10:29+05:60",
		"2018-00-03T21:10:29Z",
		"2018-13-03T21:10:29Z",
		"2018-04-00T21:10:29Z",
		"2018-04-31T21:10:29Z",
		"2018-01-32T21:10:29Z",
		"2019-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z",
		"2018-04-03T24:00:00Z",
		"2018-04-03T23:60:00Z",
		"2018-04-03T23:59:61Z",
		"2018-04-03T2a:10:29Z",
		"2018-04-03T21:10:29.6",
	};
	const char *full = "2018-04-03T21:10:29.600+01:00";
	char prefix[64];
	int64_t t;
	int fails = 0;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 42;
		is_int(clock_parse_rfc3339(good[i].s, &t), 0, "parse '%s'",
		       good[i].s);
		is_int(t, good[i].t, "value of '%s'", good[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(clock_parse_rfc3339(bad[i], &t), -EINVAL, "reject '%s'",
		       bad[i]);
	/* Every proper prefix of a valid timestamp is invalid. */
	for (size_t n = 0; n < strlen(full); n++) {
		memcpy(prefix, full, n);
		prefix[n] = '\0';
		if (clock_parse_rfc3339(prefix, &t) != -EINVAL)
			fails++;
	}
	is_int(fails, 0, "no proper prefix of '%s' parses", full);

	/* Round trip over 400 years, in steps that hit every month. */
	fails = 0;
	for (int64_t v = -2208988800LL; v < 10413792000LL;
	     v += 86400 * 13 + 3607) {
		char s[32];

		if (clock_rfc3339(v, s, sizeof(s)) ||
		    clock_parse_rfc3339(s, &t) || t != v)
			fails++;
	}
	is_int(fails, 0, "rfc3339 format/parse round trip 1900..2300");
}

static void test_fake(void)
{
	struct clock_fake cf;
	struct clock c;

	clock_fake_init(&cf, &c);
	is_int(clock_mono_ms(&c), 1000000, "fake: starts at 1000000 ms");
	is_int(clock_wall_s(&c), 1389000000 + 1000, "fake: wall follows mono");
	is_int(clock_sleep_ms(&c, 250), 0, "fake: sleep");
	is_int(clock_mono_ms(&c), 1000250, "fake: sleep moves time");
	is_int(cf.slept_ms, 250, "fake: slept_ms");
	is_int(cf.sleeps, 1, "fake: one sleep");
	clock_fake_advance(&cf, 750);
	is_int(clock_mono_ms(&c), 1001000, "fake: advance moves time");
	is_int(cf.slept_ms, 250, "fake: advance is not a sleep");
	is_int(clock_wall_s(&c), 1389000000 + 1001, "fake: wall too");
	cf.cancelled = true;
	is_int(clock_sleep_ms(&c, 10), -ECANCELED, "fake: cancelled sleep");
	is_int(clock_mono_ms(&c), 1001000, "fake: cancelled sleep is no sleep");
	is_int(cf.sleeps, 1, "fake: not counted");
}

struct sleeper {
	struct clock *c;
	uint64_t ms;
	int ret;
	atomic_bool done;
};

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;

	s->ret = clock_sleep_ms(s->c, s->ms);
	atomic_store(&s->done, true);
	return NULL;
}

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_sys(void)
{
	struct clock_sys cs;
	struct clock c;
	struct sleeper s[2];
	pthread_t th[2];
	uint64_t t0, t1;
	int64_t wall;

	is_int(clock_sys_init(&cs, &c), 0, "sys: init");
	wall = clock_wall_s(&c);
	ok(wall > 1700000000 && wall - (int64_t)time(NULL) <= 1,
	   "sys: wall clock is the real time");
	t0 = clock_mono_ms(&c);
	is_int(clock_sleep_ms(&c, 30), 0, "sys: sleep 30 ms");
	t1 = clock_mono_ms(&c);
	ok(t1 - t0 >= 30 && t1 - t0 < 1000, "sys: slept %llu ms",
	   (unsigned long long)(t1 - t0));
	is_int(clock_sleep_ms(&c, 0), 0, "sys: sleep 0");
	ok(!clock_sys_cancelled(&cs), "sys: not cancelled yet");

	/* A 10 s sleeper and an endless one, both woken by the cancel. */
	s[0] = (struct sleeper){.c = &c, .ms = 10000};
	s[1] = (struct sleeper){.c = &c, .ms = UINT64_MAX};
	atomic_init(&s[0].done, false);
	atomic_init(&s[1].done, false);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, sleeper_fn, &s[i]);
	while (real_ms() - t1 < 150)
		clock_sleep_ms(&c, 10);
	ok(!atomic_load(&s[0].done), "sys: 10 s sleeper still asleep");
	ok(!atomic_load(&s[1].done),
	   "sys: UINT64_MAX ms sleeper still asleep (no wrap-around)");
	t0 = real_ms();
	clock_sys_cancel(&cs);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ok(real_ms() - t0 < 1000, "sys: cancel wakes sleepers at once");
	is_int(s[0].ret, -ECANCELED, "sys: woken sleeper gets -ECANCELED");
	is_int(s[1].ret, -ECANCELED, "sys: endless sleeper gets -ECANCELED");
	ok(clock_sys_cancelled(&cs), "sys: cancelled");
	t0 = real_ms();
	is_int(clock_sleep_ms(&c, 5000), -ECANCELED, "sys: later sleeps fail");
	is_int(clock_sleep_ms(&c, 0), -ECANCELED, "sys: even of 0 ms");
	ok(real_ms() - t0 < 100, "sys: and at once");
	clock_sys_release(&cs);
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t ms;
	int ret;
	atomic_bool done;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	w->ret = clock_cond_timedwait(&w->cond, &w->lock, w->ms);
	pthread_mutex_unlock(&w->lock);
	atomic_store(&w->done, true);
	return NULL;
}

static void test_cond(void)
{
	struct waiter w = {.ms = 40};
	pthread_t th;
	uint64_t t0;

	pthread_mutex_init(&w.lock, NULL);
	is_int(clock_cond_init(&w.cond), 0, "cond: init");
	t0 = real_ms();
	pthread_mutex_lock(&w.lock);
	is_int(clock_cond_timedwait(&w.cond, &w.lock, 40), -ETIMEDOUT,
	       "cond: times out");
	pthread_mutex_unlock(&w.lock);
	ok(real_ms() - t0 >= 39, "cond: after about 40 ms");

	/* A huge timeout must neither overflow nor return at once. */
	w.ms = UINT64_MAX;
	w.ret = 1;
	atomic_init(&w.done, false);
	pthread_create(&th, NULL, waiter_fn, &w);
	t0 = real_ms();
	while (real_ms() - t0 < 50)
		;
	ok(!atomic_load(&w.done), "cond: UINT64_MAX ms wait does not return");
	/* Signal until it is seen: the first one may come before the wait. */
	while (!atomic_load(&w.done)) {
		pthread_mutex_lock(&w.lock);
		pthread_cond_signal(&w.cond);
		pthread_mutex_unlock(&w.lock);
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	}
	pthread_join(th, NULL);
	is_int(w.ret, 0, "cond: UINT64_MAX ms wait ends with the signal");
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
}

int main(void)
{
	test_http_date();
	test_parse();
	test_fake();
	test_sys();
	test_cond();
	return done_testing();
}
