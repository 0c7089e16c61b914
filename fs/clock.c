/* SPDX-License-Identifier: MIT */
/* clock: system and fake clocks, date formatting; see include/clock.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "banned.h"

int clock_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int ret;

	ret = pthread_condattr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!ret)
		ret = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return -ret;
}

int clock_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *lock,
			 uint64_t ms)
{
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	ret = pthread_cond_timedwait(cond, lock, &ts);
	return ret == ETIMEDOUT ? -ETIMEDOUT : 0;
}

static uint64_t sys_mono_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t sys_wall_s(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

static int sys_sleep_ms(void *arg, uint64_t ms)
{
	struct clock_sys *cs = arg;
	uint64_t now = sys_mono_ms(NULL), end;
	int ret = 0;

	end = ms > UINT64_MAX - now ? UINT64_MAX : now + ms;

	pthread_mutex_lock(&cs->lock);
	while (!cs->cancelled) {
		now = sys_mono_ms(NULL);
		if (now >= end)
			break;
		clock_cond_timedwait(&cs->cond, &cs->lock, end - now);
	}
	if (cs->cancelled)
		ret = -ECANCELED;
	pthread_mutex_unlock(&cs->lock);
	return ret;
}

int clock_sys_init(struct clock_sys *cs, struct clock *out)
{
	int ret;

	cs->cancelled = false;
	ret = pthread_mutex_init(&cs->lock, NULL);
	if (ret)
		return -ret;
	ret = clock_cond_init(&cs->cond);
	if (ret) {
		pthread_mutex_destroy(&cs->lock);
		return ret;
	}
	out->mono_ms = sys_mono_ms;
	out->wall_s = sys_wall_s;
	out->sleep_ms = sys_sleep_ms;
	out->arg = cs;
	return 0;
}

void clock_sys_cancel(struct clock_sys *cs)
{
	pthread_mutex_lock(&cs->lock);
	cs->cancelled = true;
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->lock);
}

bool clock_sys_cancelled(struct clock_sys *cs)
{
	bool c;

	pthread_mutex_lock(&cs->lock);
	c = cs->cancelled;
	pthread_mutex_unlock(&cs->lock);
	return c;
}

void clock_sys_release(struct clock_sys *cs)
{
	pthread_cond_destroy(&cs->cond);
	pthread_mutex_destroy(&cs->lock);
}

static uint64_t fake_mono_ms(void *arg)
{
	return ((struct clock_fake *)arg)->now_ms;
}

static int64_t fake_wall_s(void *arg)
{
	struct clock_fake *cf = arg;

	return cf->wall + (int64_t)(cf->now_ms / 1000);
}

static int fake_sleep_ms(void *arg, uint64_t ms)
{
	struct clock_fake *cf = arg;

	if (cf->cancelled)
		return -ECANCELED;
	cf->now_ms += ms;
	cf->slept_ms += ms;
	cf->sleeps++;
	return 0;
}

void clock_fake_init(struct clock_fake *cf, struct clock *out)
{
	memset(cf, 0, sizeof(*cf));
	cf->now_ms = 1000000;
	cf->wall = 1389000000; /* early January 2014 */
	out->mono_ms = fake_mono_ms;
	out->wall_s = fake_wall_s;
	out->sleep_ms = fake_sleep_ms;
	out->arg = cf;
}

void clock_fake_advance(struct clock_fake *cf, uint64_t ms)
{
	cf->now_ms += ms;
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed",
				    "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int clock_http_date(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int len;

	if (!gmtime_r(&tt, &tm))
		return -EINVAL;
	len = snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		       wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return len < 0 || (size_t)len >= n ? -EINVAL : 0;
}

int clock_rfc3339(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int len;

	if (!gmtime_r(&tt, &tm))
		return -EINVAL;
	len = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		       tm.tm_min, tm.tm_sec);
	return len < 0 || (size_t)len >= n ? -EINVAL : 0;
}

static int digits(const char **p, int count, int *out)
{
	int v = 0;

	for (int i = 0; i < count; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -EINVAL;
		v = v * 10 + (c - '0');
	}
	*p += count;
	*out = v;
	return 0;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[12] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): unlike timegm() it has no -1 error value that is
 * also a valid time, and no dependency on time_t's range.
 */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2), era, yoe, doy, doe;

	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = yy - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int clock_parse_rfc3339(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d) || (*s != 'T' && *s != 't'))
		return -EINVAL;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
	    *s++ != ':' || digits(&s, 2, &sec))
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		s++;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -EINVAL;
	/* A leap second (:60) becomes the first second of the next minute. */
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (int64_t)(oh * 3600 + om * 60);
	return 0;
}
