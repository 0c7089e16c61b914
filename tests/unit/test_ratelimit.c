/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/ratelimit.c on the fake clock, plus one threaded run. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "ratelimit.h"
#include "tap.h"

static const double kms_only[RL_NCAT] = {10, 10, 10, 10, 0};

static void test_init(void)
{
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;
	double bad[RL_NCAT] = {10, 10, -1, 10, 0};

	clock_fake_init(&cf, &clk);
	is_int(ratelimit_init(&rl, &clk, NULL, RL_DEFAULT_BURST), 0,
	       "init with defaults");
	for (int i = RL_MGMT_READ; i <= RL_PROV_WRITE; i++)
		ok(ratelimit_rate(&rl, (enum rl_category)i) == RL_DEFAULT_RATE,
		   "default rate of '%s' is 10/s",
		   ratelimit_category_name((enum rl_category)i));
	ok(ratelimit_rate(&rl, RL_OTHER) == 0.0,
	   "RL_OTHER unlimited by default");
	ok(rl.min_rate == 1.0, "min_rate defaults to 1/s");
	ok(rl.b[RL_MGMT_READ].tokens == RL_DEFAULT_BURST, "buckets start full");
	ratelimit_release(&rl);

	is_int(ratelimit_init(&rl, &clk, NULL, 0.5), -EINVAL,
	       "burst below 1: -EINVAL");
	is_int(ratelimit_init(&rl, &clk, NULL, NAN), -EINVAL,
	       "burst NaN: -EINVAL");
	is_int(ratelimit_init(&rl, &clk, bad, 5), -EINVAL,
	       "negative rate: -EINVAL");
	bad[2] = INFINITY;
	is_int(ratelimit_init(&rl, &clk, bad, 5), -EINVAL,
	       "infinite rate: -EINVAL");
	is_int(ratelimit_init(&rl, NULL, NULL, 5), -EINVAL,
	       "no clock: -EINVAL");

	is_str(ratelimit_category_name(RL_MGMT_READ), "mgmt-read", "name 0");
	is_str(ratelimit_category_name(RL_MGMT_WRITE), "mgmt-write", "name 1");
	is_str(ratelimit_category_name(RL_PROV_READ), "prov-read", "name 2");
	is_str(ratelimit_category_name(RL_PROV_WRITE), "prov-write", "name 3");
	is_str(ratelimit_category_name(RL_OTHER), "other", "name 4");
	is_str(ratelimit_category_name(RL_NCAT), "unknown",
	       "name out of range");
}

static void test_burst_then_pacing(void)
{
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;
	uint64_t t0, prev;
	int bad = 0;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	t0 = cf.now_ms;
	for (int i = 0; i < 5; i++)
		is_int(ratelimit_acquire(&rl, RL_MGMT_READ), 0, "burst %d", i);
	is_int(cf.now_ms - t0, 0, "the burst of 5 does not wait");
	is_int(cf.sleeps, 0, "no sleep during the burst");
	prev = cf.now_ms;
	for (int i = 0; i < 20; i++) {
		ratelimit_acquire(&rl, RL_MGMT_READ);
		if (cf.now_ms - prev != 100)
			bad++;
		prev = cf.now_ms;
	}
	is_int(bad, 0, "after the burst, grants are exactly 100 ms apart");
	is_int(rl.b[RL_MGMT_READ].waits, 20, "20 requests had to wait");
	ratelimit_release(&rl);
}

/* N acquisitions at `rate` with `burst` take (N - burst) / rate seconds. */
static void check_total(double rate, double burst, int n, uint64_t slack)
{
	double rates[RL_NCAT] = {rate, 0, 0, 0, 0};
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;
	uint64_t want = (uint64_t)((n - burst) / rate * 1000.0 + 0.5);

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, rates, burst);
	for (int i = 0; i < n; i++)
		ratelimit_acquire(&rl, RL_MGMT_READ);
	ok(cf.slept_ms >= want && cf.slept_ms <= want + slack,
	   "%d requests at %g/s, burst %g: %llu ms (want %llu)", n, rate, burst,
	   (unsigned long long)cf.slept_ms, (unsigned long long)want);
	ratelimit_release(&rl);
}

static void test_totals(void)
{
	check_total(10, 5, 25, 0);
	check_total(10, 5, 105, 0);
	check_total(50, 5, 30, 0);
	check_total(4, 1, 9, 0);
	/* 1/3 s is not a whole number of ms: rounding up may add 1 ms. */
	check_total(3, 1, 10, 1);
	check_total(7, 2, 100, 1);
}

static void test_fifo_reservations(void)
{
	static const uint64_t want[] = {0, 0, 0, 0, 0, 100, 200, 300, 400};
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	for (int i = 0; i < 9; i++)
		is_int(ratelimit_reserve(&rl, RL_PROV_READ), want[i],
		       "reservation %d at the same instant waits %llu ms", i,
		       (unsigned long long)want[i]);
	ok(rl.b[RL_PROV_READ].tokens == -4.0, "tokens went negative (-4)");
	clock_fake_advance(&cf, 250);
	is_int(ratelimit_reserve(&rl, RL_PROV_READ), 250,
	       "250 ms later the next one waits 250 ms: its slot is at 500 ms");
	ratelimit_release(&rl);
}

static void test_refill_cap(void)
{
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;
	int free_grants = 0;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	for (int i = 0; i < 5; i++)
		ratelimit_reserve(&rl, RL_MGMT_WRITE);
	clock_fake_advance(&cf, 60000);
	while (ratelimit_reserve(&rl, RL_MGMT_WRITE) == 0)
		free_grants++;
	is_int(free_grants, 5, "after a minute idle, only the burst is free");
	clock_fake_advance(&cf, 250);
	is_int(ratelimit_reserve(&rl, RL_MGMT_WRITE), 0,
	       "250 ms later 2.5 tokens came back (one pays the debt)");
	ratelimit_release(&rl);
}

static void test_categories(void)
{
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;
	int waited = 0;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	for (int i = 0; i < 10; i++)
		ratelimit_reserve(&rl, RL_MGMT_READ);
	for (int c = RL_MGMT_WRITE; c <= RL_PROV_WRITE; c++)
		for (int i = 0; i < 5; i++)
			waited += ratelimit_reserve(&rl, (enum rl_category)c) !=
				  0;
	is_int(waited, 0, "an exhausted mgmt-read leaves the others alone");
	ok(ratelimit_reserve(&rl, RL_MGMT_READ) > 0, "mgmt-read still waits");
	ratelimit_throttled(&rl, RL_MGMT_READ);
	ok(ratelimit_rate(&rl, RL_PROV_READ) == 10.0,
	   "a 429 on mgmt-read does not slow prov-read");
	ratelimit_release(&rl);
}

static void test_unlimited(void)
{
	double rates[RL_NCAT] = {0, 10, 10, 10, 0};
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;
	uint64_t total = 0;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, rates, 1);
	for (int i = 0; i < 10000; i++) {
		total += ratelimit_reserve(&rl, RL_MGMT_READ);
		total += ratelimit_reserve(&rl, RL_OTHER);
		ratelimit_acquire(&rl, RL_OTHER);
	}
	is_int(total, 0, "rate 0: 30000 requests never wait");
	is_int(cf.sleeps, 0, "rate 0: never sleeps");
	ratelimit_throttled(&rl, RL_OTHER);
	is_int(rl.b[RL_OTHER].throttled, 1, "a 429 on unlimited is counted");
	ok(ratelimit_rate(&rl, RL_OTHER) == 0.0, "and it stays unlimited");
	is_int(ratelimit_reserve(&rl, RL_OTHER), 0, "still no wait");
	ratelimit_release(&rl);
}

static void test_throttle_halves(void)
{
	static const double want[] = {5, 2.5, 1.25, 1, 1};
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	for (int i = 0; i < 5; i++) {
		ratelimit_throttled(&rl, RL_MGMT_WRITE);
		ok(ratelimit_rate(&rl, RL_MGMT_WRITE) == want[i],
		   "429 #%d: rate %g (want %g)", i + 1,
		   ratelimit_rate(&rl, RL_MGMT_WRITE), want[i]);
	}
	is_int(rl.b[RL_MGMT_WRITE].throttled, 5, "5 feedbacks counted");
	ratelimit_release(&rl);

	/* The bucket is emptied: the next request waits 1/cur_rate. */
	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	ratelimit_throttled(&rl, RL_MGMT_READ);
	is_int(ratelimit_reserve(&rl, RL_MGMT_READ), 200,
	       "after a 429 the full bucket is empty: wait 200 ms at 5/s");
	is_int(ratelimit_reserve(&rl, RL_MGMT_READ), 400,
	       "and the next one 400 ms");
	ratelimit_release(&rl);

	/* A configured rate under min_rate is its own floor. */
	{
		double slow[RL_NCAT] = {0.5, 10, 10, 10, 0};

		clock_fake_init(&cf, &clk);
		ratelimit_init(&rl, &clk, slow, 1);
		ratelimit_throttled(&rl, RL_MGMT_READ);
		ok(ratelimit_rate(&rl, RL_MGMT_READ) == 0.5,
		   "rate 0.5/s is not halved below itself");
		ratelimit_release(&rl);
	}
}

static void test_recovery(void)
{
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;
	static const double want[] = {6, 7, 8, 9, 10, 10};

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	ratelimit_throttled(&rl, RL_PROV_WRITE);
	clock_fake_advance(&cf, 999);
	ok(ratelimit_rate(&rl, RL_PROV_WRITE) == 5.0,
	   "999 ms after the 429: still 5/s");
	for (int i = 0; i < 6; i++) {
		clock_fake_advance(&cf, i ? 1000 : 1);
		ok(fabs(ratelimit_rate(&rl, RL_PROV_WRITE) - want[i]) < 1e-9,
		   "%d s after the 429: %g/s (want %g)", i + 1,
		   ratelimit_rate(&rl, RL_PROV_WRITE), want[i]);
	}
	clock_fake_advance(&cf, 3600000);
	ok(ratelimit_rate(&rl, RL_PROV_WRITE) == 10.0,
	   "an hour later: the configured rate, not more");

	/* A new 429 restarts the clock of the recovery. */
	ratelimit_throttled(&rl, RL_PROV_WRITE);
	clock_fake_advance(&cf, 1500);
	ok(fabs(ratelimit_rate(&rl, RL_PROV_WRITE) - 6.0) < 1e-9,
	   "1.5 s after a 429: 6/s");
	ratelimit_throttled(&rl, RL_PROV_WRITE);
	ok(fabs(ratelimit_rate(&rl, RL_PROV_WRITE) - 3.0) < 1e-9,
	   "another 429: halved to 3/s");
	clock_fake_advance(&cf, 999);
	ok(fabs(ratelimit_rate(&rl, RL_PROV_WRITE) - 3.0) < 1e-9,
	   "999 ms after it: still 3/s");
	clock_fake_advance(&cf, 1);
	ok(fabs(ratelimit_rate(&rl, RL_PROV_WRITE) - 4.0) < 1e-9,
	   "1 s after it: 4/s");
	ratelimit_release(&rl);

	/* Tokens accrue at the reduced rate while recovering. */
	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 50);
	for (int i = 0; i < 50; i++)
		ratelimit_reserve(&rl, RL_MGMT_READ);
	ratelimit_throttled(&rl, RL_MGMT_READ);
	clock_fake_advance(&cf, 3000);
	/* 1 s at 5/s + 1 s at 6/s + 1 s at 7/s = 18 tokens. */
	{
		int free_grants = 0;

		while (ratelimit_reserve(&rl, RL_MGMT_READ) == 0)
			free_grants++;
		is_int(free_grants, 18,
		       "3 s of recovery refill 5 + 6 + 7 = 18 tokens");
	}
	ratelimit_release(&rl);
}

static void test_cancel(void)
{
	struct clock_fake cf;
	struct oclock clk;
	struct ratelimit rl;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 2);
	cf.cancelled = true;
	is_int(ratelimit_acquire(&rl, RL_MGMT_READ), 0,
	       "a token at hand needs no sleep, cancelled or not");
	is_int(ratelimit_acquire(&rl, RL_MGMT_READ), 0, "second token");
	is_int(ratelimit_acquire(&rl, RL_MGMT_READ), -ECANCELED,
	       "having to wait on a cancelled clock: -ECANCELED");
	is_int(cf.sleeps, 0, "the cancelled clock did not sleep");
	ratelimit_release(&rl);
}

/* ---- threads on the system clock --------------------------------------- */

#define MT_TOTAL   30
#define MT_THREADS 4
#define MT_RATE	   50.0
#define MT_BURST   5.0

struct mt {
	struct ratelimit rl;
	atomic_int next;
	double t[MT_TOTAL]; /* seconds, CLOCK_MONOTONIC, when granted */
	int errors;
	pthread_mutex_t lock;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *mt_worker(void *arg)
{
	struct mt *m = arg;

	for (;;) {
		int i = atomic_fetch_add(&m->next, 1);

		if (i >= MT_TOTAL)
			break;
		if (ratelimit_acquire(&m->rl, RL_MGMT_READ)) {
			pthread_mutex_lock(&m->lock);
			m->errors++;
			pthread_mutex_unlock(&m->lock);
		}
		m->t[i] = now_s();
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void test_threads(void)
{
	double rates[RL_NCAT] = {MT_RATE, 0, 0, 0, 0};
	struct clock_sys cs;
	struct oclock clk;
	pthread_t th[MT_THREADS];
	struct mt *m = calloc(1, sizeof(*m));
	double start, worst = 0, span;
	int over = 0;

	clock_sys_init(&cs, &clk);
	pthread_mutex_init(&m->lock, NULL);
	ratelimit_init(&m->rl, &clk, rates, MT_BURST);
	atomic_init(&m->next, 0);
	start = now_s();
	for (int i = 0; i < MT_THREADS; i++)
		pthread_create(&th[i], NULL, mt_worker, m);
	for (int i = 0; i < MT_THREADS; i++)
		pthread_join(th[i], NULL);
	is_int(m->errors, 0, "threads: every acquisition succeeded");
	qsort(m->t, MT_TOTAL, sizeof(m->t[0]), cmp_double);

	/*
	 * Token bucket bound: any window [t_i, t_j] holds at most
	 * burst + rate * (t_j - t_i) grants.  One token of slack covers the
	 * time between the limiter's decision and our timestamp.
	 */
	for (int i = 0; i < MT_TOTAL; i++) {
		for (int j = i; j < MT_TOTAL; j++) {
			double allowed =
				MT_BURST + MT_RATE * (m->t[j] - m->t[i]);
			double excess = (j - i + 1) - allowed;

			if (excess > worst)
				worst = excess;
			if (excess > 1.0)
				over++;
		}
	}
	is_int(over, 0, "threads: no window exceeds burst + rate * t (+1)");
	if (over)
		printf("#   worst excess %.3f tokens\n", worst);
	span = m->t[MT_TOTAL - 1] - start;
	ok(span >= (MT_TOTAL - MT_BURST) / MT_RATE - 0.021,
	   "threads: 30 grants at 50/s, burst 5 take >= 0.5 s (%.3f s)", span);
	ok(span < 1.5, "threads: and not much longer (%.3f s)", span);
	ok(m->rl.b[RL_MGMT_READ].waits >= 20 &&
		   m->rl.b[RL_MGMT_READ].waits <= MT_TOTAL - (int)MT_BURST,
	   "threads: about 25 acquisitions waited (%llu)",
	   (unsigned long long)m->rl.b[RL_MGMT_READ].waits);
	ratelimit_release(&m->rl);
	pthread_mutex_destroy(&m->lock);
	clock_sys_release(&cs);
	free(m);
}

int main(void)
{
	test_init();
	test_burst_then_pacing();
	test_totals();
	test_fifo_reservations();
	test_refill_cap();
	test_categories();
	test_unlimited();
	test_throttle_halves();
	test_recovery();
	test_cancel();
	test_threads();
	return done_testing();
}
