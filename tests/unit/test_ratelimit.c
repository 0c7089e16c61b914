/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/ratelimit.c on the fake clock, plus one threaded run. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "ratelimit.h"
#include "tap.h"

static const double kms_only[RATELIMIT_NCAT] = {10, 10, 10, 10, 0};

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9 * (fabs(b) + 1.0);
}

/*
 * The server's throttle, as scripts/ociemu/throttle.py models OCI: a
 * bucket of `limit` tokens refilled continuously at `limit` per second,
 * starting full; a request is allowed when a whole token is there.
 */
struct server {
	double limit, tokens, last_s;
	int allowed, refused;
};

static void server_init(struct server *sv, double limit, double t_s)
{
	sv->limit = limit;
	sv->tokens = limit;
	sv->last_s = t_s;
	sv->allowed = 0;
	sv->refused = 0;
}

static bool server_allow(struct server *sv, double t_s)
{
	sv->tokens += (t_s - sv->last_s) * sv->limit;
	if (sv->tokens > sv->limit)
		sv->tokens = sv->limit;
	sv->last_s = t_s;
	if (sv->tokens >= 1.0) {
		sv->tokens -= 1.0;
		sv->allowed++;
		return true;
	}
	sv->refused++;
	return false;
}

static void test_init(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;
	double bad[RATELIMIT_NCAT] = {10, 10, -1, 10, 0};

	clock_fake_init(&cf, &clk);
	is_int(ratelimit_init(&rl, &clk, NULL, RATELIMIT_DEFAULT_BURST), 0,
	       "init with defaults");
	for (int i = RATELIMIT_MGMT_READ; i <= RATELIMIT_PROV_WRITE; i++) {
		ok(rl.b[i].limit == RATELIMIT_DEFAULT_RATE,
		   "default limit of '%s' is OCI's 10/s",
		   ratelimit_category_name((enum ratelimit_category)i));
		ok(near(ratelimit_rate(&rl, (enum ratelimit_category)i), 9.0),
		   "and the client aims at 9/s");
	}
	ok(ratelimit_rate(&rl, RATELIMIT_OTHER) == 0.0,
	   "RATELIMIT_OTHER unlimited by default");
	ok(rl.b[RATELIMIT_MGMT_READ].burst == 5.0, "burst 5");
	ok(rl.b[RATELIMIT_MGMT_READ].tokens == RATELIMIT_DEFAULT_BURST,
	   "buckets start full");
	ratelimit_release(&rl);

	/* The burst never takes more than half the server's bucket. */
	{
		double l[RATELIMIT_NCAT] = {10, 4, 1, 100, 0};

		ratelimit_init(&rl, &clk, l, 50);
		ok(rl.b[0].burst == 5.0, "limit 10, burst 50 asked: 5");
		ok(rl.b[1].burst == 2.0, "limit 4: burst 2");
		ok(rl.b[2].burst == 1.0, "limit 1: burst 1 (at least one)");
		ok(rl.b[3].burst == 50.0, "limit 100: burst 50");
		ratelimit_release(&rl);
		ratelimit_init(&rl, &clk, l, 3);
		ok(rl.b[3].burst == 3.0, "a smaller burst asked is kept");
		ratelimit_release(&rl);
	}

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

	is_str(ratelimit_category_name(RATELIMIT_MGMT_READ), "mgmt-read",
	       "name 0");
	is_str(ratelimit_category_name(RATELIMIT_MGMT_WRITE), "mgmt-write",
	       "name 1");
	is_str(ratelimit_category_name(RATELIMIT_PROV_READ), "prov-read",
	       "name 2");
	is_str(ratelimit_category_name(RATELIMIT_PROV_WRITE), "prov-write",
	       "name 3");
	is_str(ratelimit_category_name(RATELIMIT_OTHER), "other", "name 4");
	is_str(ratelimit_category_name(RATELIMIT_NCAT), "unknown",
	       "name out of range");
}

static void test_burst_then_pacing(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;
	uint64_t t0, prev;
	int bad = 0;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	t0 = cf.now_ms;
	for (int i = 0; i < 5; i++)
		is_int(ratelimit_acquire(&rl, RATELIMIT_MGMT_READ, NULL), 0,
		       "burst %d", i);
	is_int(cf.now_ms - t0, 0, "the burst of 5 does not wait");
	is_int(cf.sleeps, 0, "no sleep during the burst");
	prev = t0 = cf.now_ms;
	for (int i = 0; i < 18; i++) {
		ratelimit_acquire(&rl, RATELIMIT_MGMT_READ, NULL);
		if (cf.now_ms - prev != 111 && cf.now_ms - prev != 112)
			bad++;
		prev = cf.now_ms;
	}
	is_int(bad, 0, "after the burst, grants are 1/9 s (111-112 ms) apart");
	ok(cf.now_ms - t0 >= 2000 && cf.now_ms - t0 <= 2001,
	   "18 grants at 9/s take 2 s (%llu ms)",
	   (unsigned long long)(cf.now_ms - t0));
	is_int(rl.b[RATELIMIT_MGMT_READ].waits, 18, "18 requests had to wait");
	ratelimit_release(&rl);
}

/* N acquisitions under `limit` with `burst` take (N - burst) / target s. */
static void check_total(double limit, double burst, int n, uint64_t slack)
{
	double rates[RATELIMIT_NCAT] = {limit, 0, 0, 0, 0};
	double target = RATELIMIT_MARGIN * limit;
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;
	uint64_t want = (uint64_t)((n - burst) / target * 1000.0);

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, rates, burst);
	for (int i = 0; i < n; i++)
		ratelimit_acquire(&rl, RATELIMIT_MGMT_READ, NULL);
	ok(cf.slept_ms >= want && cf.slept_ms <= want + slack,
	   "%d requests under %g/s (%g/s), burst %g: %llu ms (want %llu)", n,
	   limit, target, burst, (unsigned long long)cf.slept_ms,
	   (unsigned long long)want);
	ratelimit_release(&rl);
}

static void test_totals(void)
{
	/* 1/target is rarely a whole number of ms: rounding adds <= 1 ms. */
	check_total(10, 5, 25, 1);
	check_total(10, 5, 104, 1);
	check_total(50, 5, 30, 1);
	check_total(4, 1, 9, 1);
	check_total(20, 2, 100, 1);
	check_total(100.0 / 9.0, 5, 55, 1); /* target exactly 10/s */
}

static void test_fifo_reservations(void)
{
	static const uint64_t want[] = {0, 0, 0, 0, 0, 112, 223, 334, 445};
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	for (int i = 0; i < 9; i++)
		is_int(ratelimit_reserve(&rl, RATELIMIT_PROV_READ, NULL),
		       want[i],
		       "reservation %d at the same instant waits %llu ms", i,
		       (unsigned long long)want[i]);
	ok(rl.b[RATELIMIT_PROV_READ].tokens == -4.0,
	   "tokens went negative (-4)");
	clock_fake_advance(&cf, 250);
	is_int(ratelimit_reserve(&rl, RATELIMIT_PROV_READ, NULL), 306,
	       "250 ms later the next one waits 306 ms: its slot is 5/9 s");
	ratelimit_release(&rl);
}

static void test_refill_cap(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;
	int free_grants = 0;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	for (int i = 0; i < 5; i++)
		ratelimit_reserve(&rl, RATELIMIT_MGMT_WRITE, NULL);
	clock_fake_advance(&cf, 60000);
	while (ratelimit_reserve(&rl, RATELIMIT_MGMT_WRITE, NULL) == 0)
		free_grants++;
	is_int(free_grants, 5, "after a minute idle, only the burst is free");
	clock_fake_advance(&cf, 250);
	is_int(ratelimit_reserve(&rl, RATELIMIT_MGMT_WRITE, NULL), 0,
	       "250 ms later 2.25 tokens came back (one pays the debt)");
	ratelimit_release(&rl);
}

static void test_categories(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;
	uint64_t gen;
	int waited = 0;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	for (int i = 0; i < 10; i++)
		ratelimit_reserve(&rl, RATELIMIT_MGMT_READ, NULL);
	for (int c = RATELIMIT_MGMT_WRITE; c <= RATELIMIT_PROV_WRITE; c++)
		for (int i = 0; i < 5; i++)
			waited += ratelimit_reserve(&rl,
						    (enum ratelimit_category)c,
						    NULL) != 0;
	is_int(waited, 0, "an exhausted mgmt-read leaves the others alone");
	ok(ratelimit_reserve(&rl, RATELIMIT_MGMT_READ, &gen) > 0,
	   "mgmt-read still waits");
	ratelimit_throttled(&rl, RATELIMIT_MGMT_READ, gen);
	ok(near(ratelimit_rate(&rl, RATELIMIT_PROV_READ), 9.0),
	   "a 429 on mgmt-read does not slow prov-read");
	ok(near(ratelimit_rate(&rl, RATELIMIT_MGMT_READ), 7.2),
	   "but mgmt-read itself (7.2/s)");
	ratelimit_release(&rl);
}

static void test_unlimited(void)
{
	double rates[RATELIMIT_NCAT] = {0, 10, 10, 10, 0};
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;
	uint64_t total = 0, gen = 7;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, rates, 1);
	for (int i = 0; i < 10000; i++) {
		total += ratelimit_reserve(&rl, RATELIMIT_MGMT_READ, NULL);
		total += ratelimit_reserve(&rl, RATELIMIT_OTHER, &gen);
		ratelimit_acquire(&rl, RATELIMIT_OTHER, NULL);
	}
	is_int(total, 0, "rate 0: 30000 requests never wait");
	is_int(cf.sleeps, 0, "rate 0: never sleeps");
	is_int(gen, 0, "an unlimited category still hands out generation 0");
	ratelimit_throttled(&rl, RATELIMIT_OTHER, gen);
	is_int(rl.b[RATELIMIT_OTHER].throttled, 1,
	       "a 429 on unlimited is counted");
	is_int(rl.b[RATELIMIT_OTHER].decreases, 0, "but lowers nothing");
	ok(ratelimit_rate(&rl, RATELIMIT_OTHER) == 0.0,
	   "and it stays unlimited");
	is_int(ratelimit_reserve(&rl, RATELIMIT_OTHER, NULL), 0,
	       "still no wait");
	ratelimit_release(&rl);
}

/* One fresh throttle event on `cat`: a 429 for a request reserved now. */
static void event(struct ratelimit *rl, enum ratelimit_category cat)
{
	uint64_t gen = rl->b[cat].gen;

	ratelimit_throttled(rl, cat, gen);
}

static void test_throttle_decrease(void)
{
	static const double want[] = {7.2, 5.76, 4.608, 4.5, 4.5};
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	for (int i = 0; i < 5; i++) {
		event(&rl, RATELIMIT_MGMT_WRITE);
		ok(near(ratelimit_rate(&rl, RATELIMIT_MGMT_WRITE), want[i]),
		   "throttle event #%d: rate %g (want %g: x0.8, floor 4.5)",
		   i + 1, ratelimit_rate(&rl, RATELIMIT_MGMT_WRITE), want[i]);
	}
	is_int(rl.b[RATELIMIT_MGMT_WRITE].throttled, 5, "5 feedbacks counted");
	is_int(rl.b[RATELIMIT_MGMT_WRITE].decreases, 5, "5 events");
	ratelimit_release(&rl);

	/* The bucket is emptied: the next request waits 1/cur_rate. */
	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	event(&rl, RATELIMIT_MGMT_READ);
	is_int(ratelimit_reserve(&rl, RATELIMIT_MGMT_READ, NULL), 139,
	       "after a 429 the full bucket is empty: wait 139 ms at 7.2/s");
	is_int(ratelimit_reserve(&rl, RATELIMIT_MGMT_READ, NULL), 278,
	       "and the next one 278 ms");
	ratelimit_release(&rl);

	/* The floor is half the target, whatever the limit. */
	{
		double l[RATELIMIT_NCAT] = {0.5, 100, 10, 10, 0};

		clock_fake_init(&cf, &clk);
		ratelimit_init(&rl, &clk, l, 1);
		for (int i = 0; i < 20; i++) {
			event(&rl, RATELIMIT_MGMT_READ);
			event(&rl, RATELIMIT_MGMT_WRITE);
		}
		ok(near(ratelimit_rate(&rl, RATELIMIT_MGMT_READ), 0.225),
		   "limit 0.5/s: floor 0.225/s");
		ok(near(ratelimit_rate(&rl, RATELIMIT_MGMT_WRITE), 45.0),
		   "limit 100/s: floor 45/s, not 1/s");
		ratelimit_release(&rl);
	}
}

/*
 * Many requests in flight when the server's bucket runs dry are all
 * answered 429: that is one event, one decrease.
 */
static void test_one_event(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;
	uint64_t gen[32], late;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	for (int i = 0; i < 32; i++) {
		ratelimit_reserve(&rl, RATELIMIT_MGMT_WRITE, &gen[i]);
		clock_fake_advance(&cf, 10);
	}
	for (int i = 0; i < 32; i++) {
		ratelimit_throttled(&rl, RATELIMIT_MGMT_WRITE, gen[i]);
		clock_fake_advance(&cf, 5);
	}
	is_int(rl.b[RATELIMIT_MGMT_WRITE].throttled, 32, "32 429s counted");
	is_int(rl.b[RATELIMIT_MGMT_WRITE].decreases, 1, "as one event");
	ok(near(ratelimit_rate(&rl, RATELIMIT_MGMT_WRITE), 7.2),
	   "one decrease: 7.2/s, not 32 halvings");

	/* A request paced at the new rate and still refused: a new event. */
	ratelimit_reserve(&rl, RATELIMIT_MGMT_WRITE, &late);
	ok(late == gen[0] + 1, "reservations after it have the next gen");
	ratelimit_throttled(&rl, RATELIMIT_MGMT_WRITE, gen[31]);
	ok(near(ratelimit_rate(&rl, RATELIMIT_MGMT_WRITE), 7.2),
	   "a late 429 of the old generation changes nothing");
	ratelimit_throttled(&rl, RATELIMIT_MGMT_WRITE, late);
	ok(near(ratelimit_rate(&rl, RATELIMIT_MGMT_WRITE), 5.76),
	   "a 429 of the new generation: second decrease, 5.76/s");
	is_int(rl.b[RATELIMIT_MGMT_WRITE].decreases, 2, "2 events of 34 429s");
	ratelimit_release(&rl);
}

static void test_recovery(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;
	static const double want[] = {5.4, 6.3, 7.2, 8.1, 9.0, 9.0};

	/* One event: back to the target in 2 s. */
	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 5);
	event(&rl, RATELIMIT_PROV_WRITE);
	clock_fake_advance(&cf, 999);
	ok(near(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE), 7.2),
	   "999 ms after the event: still 7.2/s");
	clock_fake_advance(&cf, 1);
	ok(near(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE), 8.1), "1 s: 8.1/s");
	clock_fake_advance(&cf, 1000);
	ok(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE) == 9.0,
	   "2 s: exactly the target again");
	clock_fake_advance(&cf, 3600000);
	ok(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE) == 9.0,
	   "an hour later: the target, not more");

	/* From the floor: 5 s. */
	for (int i = 0; i < 10; i++)
		event(&rl, RATELIMIT_PROV_WRITE);
	ok(near(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE), 4.5),
	   "at the floor");
	for (int i = 0; i < 6; i++) {
		clock_fake_advance(&cf, 1000);
		ok(near(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE), want[i]),
		   "%d s after the floor: %g/s (want %g)", i + 1,
		   ratelimit_rate(&rl, RATELIMIT_PROV_WRITE), want[i]);
	}

	/* A new event restarts the clock of the recovery. */
	event(&rl, RATELIMIT_PROV_WRITE);
	clock_fake_advance(&cf, 1500);
	ok(near(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE), 8.1),
	   "1.5 s after an event: 8.1/s");
	event(&rl, RATELIMIT_PROV_WRITE);
	ok(near(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE), 6.48),
	   "another event: x0.8, 6.48/s");
	clock_fake_advance(&cf, 999);
	ok(near(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE), 6.48),
	   "999 ms after it: still 6.48/s");
	clock_fake_advance(&cf, 1);
	ok(near(ratelimit_rate(&rl, RATELIMIT_PROV_WRITE), 7.38),
	   "1 s after it: 7.38/s");
	ratelimit_release(&rl);

	/* Tokens accrue at the reduced rate while recovering. */
	{
		double l[RATELIMIT_NCAT] = {100, 0, 0, 0, 0};
		int free_grants = 0;

		clock_fake_init(&cf, &clk);
		ratelimit_init(&rl, &clk, l, 50);
		for (int i = 0; i < 50; i++)
			ratelimit_reserve(&rl, RATELIMIT_MGMT_READ, NULL);
		event(&rl, RATELIMIT_MGMT_READ); /* 90/s -> 72/s */
		clock_fake_advance(&cf, 1100);
		/* 1 s at 72/s, then 100 ms at 81/s: 80.1, capped at 50. */
		while (ratelimit_reserve(&rl, RATELIMIT_MGMT_READ, NULL) == 0)
			free_grants++;
		is_int(free_grants, 50, "1.1 s of recovery refill the burst");
		clock_fake_advance(&cf, 600);
		free_grants = 0;
		/* -1 + 0.6 s at 81/s = 47.6 */
		while (ratelimit_reserve(&rl, RATELIMIT_MGMT_READ, NULL) == 0)
			free_grants++;
		is_int(free_grants, 47,
		       "600 ms at 81/s: 48.6 tokens, 47 free "
		       "after the debt");
		ratelimit_release(&rl);
	}
}

/* ---- simulated clients against the server's throttle ------------------- */

/*
 * `n` clients on the fake clock, each sending its next request when the
 * answer to the previous one came back (latency `lat_ms`).  A request
 * reaches the server `jit_ms` late with probability `p_jit` (the network,
 * TLS set-up, a busy server thread), else at once.  429s are reported to
 * the limiter and the request retried (after `lat_ms`).  Every
 * `stall_every_ms` the server stalls for `stall_ms` (a lock held while it
 * saves its state, a pause of the load balancer): what arrives meanwhile
 * is processed at once when it ends.  Runs `secs` seconds of simulated
 * time.
 */
struct sim {
	int n, lat_ms, jit_ms, p_jit, secs, stall_every_ms, stall_ms;
	double limit, burst;
	double srv_limit; /* the server's, 0: `limit` */
	/* results */
	int allowed, refused, decreases;
	int min_done, max_done;
	uint64_t max_wait_ms;
	double rate; /* allowed per second after the first 10 s */
};

#define SIM_MAX 64

static void simulate(struct sim *s)
{
	double l[RATELIMIT_NCAT] = {0, s->limit, 0, 0, 0};
	uint64_t next[SIM_MAX], t0, end;
	int done[SIM_MAX], after10 = 0;
	unsigned int rnd = 12345;
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;
	struct server sv;
	/* In flight: arrival time at the server, generation, client. */
	struct {
		uint64_t at, gen;
		int who;
		bool live;
	} fl[SIM_MAX];

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, l, s->burst);
	t0 = cf.now_ms;
	end = t0 + (uint64_t)s->secs * 1000;
	server_init(&sv, s->srv_limit > 0 ? s->srv_limit : s->limit,
		    (double)t0 / 1000.0);
	s->max_wait_ms = 0;
	for (int i = 0; i < s->n; i++) {
		next[i] = t0;
		done[i] = 0;
		fl[i].live = false;
	}
	for (;;) {
		/* The earliest event: a client asks, or a request arrives. */
		uint64_t best = UINT64_MAX;
		int who = -1;
		bool arrival = false;

		for (int i = 0; i < s->n; i++) {
			if (fl[i].live && fl[i].at < best) {
				best = fl[i].at;
				who = i;
				arrival = true;
			}
			if (!fl[i].live && next[i] < best) {
				best = next[i];
				who = i;
				arrival = false;
			}
		}
		if (best >= end)
			break;
		if (best > cf.now_ms)
			cf.now_ms = best;
		if (arrival) {
			fl[who].live = false;
			next[who] = cf.now_ms + (uint64_t)s->lat_ms;
			if (server_allow(&sv, (double)cf.now_ms / 1000.0)) {
				done[who]++;
				if (cf.now_ms >= t0 + 10000)
					after10++;
			} else {
				ratelimit_throttled(&rl, RATELIMIT_MGMT_WRITE,
						    fl[who].gen);
			}
		} else {
			uint64_t w = ratelimit_reserve(
				&rl, RATELIMIT_MGMT_WRITE, &fl[who].gen);

			rnd = rnd * 1103515245u + 12345u;
			if (w > s->max_wait_ms)
				s->max_wait_ms = w;
			fl[who].at = cf.now_ms + w;
			if ((int)((rnd >> 16) % 100) < s->p_jit)
				fl[who].at += (uint64_t)s->jit_ms;
			if (s->stall_every_ms) {
				uint64_t p = (uint64_t)s->stall_every_ms;
				uint64_t ph = (fl[who].at - t0) % p;

				/* Stalls end at t0 + k * p, k >= 1. */
				if (ph >= p - (uint64_t)s->stall_ms)
					fl[who].at += p - ph;
			}
			fl[who].live = true;
		}
	}
	s->allowed = sv.allowed;
	s->refused = sv.refused;
	s->decreases = (int)rl.b[RATELIMIT_MGMT_WRITE].decreases;
	s->min_done = s->max_done = done[0];
	for (int i = 1; i < s->n; i++) {
		if (done[i] < s->min_done)
			s->min_done = done[i];
		if (done[i] > s->max_done)
			s->max_done = done[i];
	}
	s->rate = after10 / (double)(s->secs - 10);
	ratelimit_release(&rl);
}

static void test_steady_state(void)
{
	static const int clients[] = {4, 32, 64};
	struct sim s = {.n = 32,
			.lat_ms = 30,
			.jit_ms = 500,
			.p_jit = 20,
			.stall_every_ms = 5000,
			.stall_ms = 600,
			.secs = 600,
			.limit = 10,
			.burst = 5};
	struct sim old = s;

	for (int i = 0; i < 3; i++) {
		s.n = clients[i];
		simulate(&s);
		is_int(s.refused, 0,
		       "%d clients, 10 min, 20%% of requests 500 ms late, "
		       "server stalls of 600 ms every 5 s: no 429 (%d allowed)",
		       s.n, s.allowed);
		ok(s.rate > 8.9 && s.rate <= 9.0,
		   "%d clients: steady state at the target: %.3f/s", s.n,
		   s.rate);
		ok(s.min_done >= 0.9 * s.allowed / s.n,
		   "%d clients: no starvation: each got %d..%d requests "
		   "through (mean %d)",
		   s.n, s.min_done, s.max_done, s.allowed / s.n);
		ok(s.max_wait_ms <= (uint64_t)s.n * 1000 / 9 + 1,
		   "%d clients: nobody waits longer than the queue (%llu ms)",
		   s.n, (unsigned long long)s.max_wait_ms);
	}

	/*
	 * The same load with a client at exactly the server's rate (what
	 * the limiter did before the margin) is throttled: the server's
	 * bucket, drained by our burst, never refills, and late bunches eat
	 * into what is left.
	 */
	old.limit = 10.0 / RATELIMIT_MARGIN;
	old.srv_limit = 10.0;
	simulate(&old);
	ok(old.refused > 0,
	   "without the margin the same load gets %d 429s (%d events)",
	   old.refused, old.decreases);
}

static void test_cancel(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct ratelimit rl;

	clock_fake_init(&cf, &clk);
	ratelimit_init(&rl, &clk, kms_only, 2);
	cf.cancelled = true;
	is_int(ratelimit_acquire(&rl, RATELIMIT_MGMT_READ, NULL), 0,
	       "a token at hand needs no sleep, cancelled or not");
	is_int(ratelimit_acquire(&rl, RATELIMIT_MGMT_READ, NULL), 0,
	       "second token");
	is_int(ratelimit_acquire(&rl, RATELIMIT_MGMT_READ, NULL), -ECANCELED,
	       "having to wait on a cancelled clock: -ECANCELED");
	is_int(cf.sleeps, 0, "the cancelled clock did not sleep");
	ratelimit_release(&rl);
}

/* ---- threads on the system clock --------------------------------------- */

#define MT_TOTAL 30
#define MT_THREADS 4
#define MT_LIMIT 50.0
#define MT_RATE (RATELIMIT_MARGIN * MT_LIMIT)
#define MT_BURST 5.0

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
		if (ratelimit_acquire(&m->rl, RATELIMIT_MGMT_READ, NULL)) {
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
	double rates[RATELIMIT_NCAT] = {MT_LIMIT, 0, 0, 0, 0};
	struct clock_sys cs;
	struct clock clk;
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
	{
		struct server sv;

		server_init(&sv, MT_LIMIT, m->t[0]);
		for (int i = 0; i < MT_TOTAL; i++)
			server_allow(&sv, m->t[i]);
		is_int(sv.refused, 0,
		       "threads: the server's bucket (%g/s) refuses none",
		       MT_LIMIT);
	}
	span = m->t[MT_TOTAL - 1] - start;
	ok(span >= (MT_TOTAL - MT_BURST) / MT_RATE - 0.021,
	   "threads: 30 grants at 45/s, burst 5 take >= 0.56 s (%.3f s)", span);
	ok(span < 1.5, "threads: and not much longer (%.3f s)", span);
	ok(m->rl.b[RATELIMIT_MGMT_READ].waits >= 20 &&
		   m->rl.b[RATELIMIT_MGMT_READ].waits <=
			   MT_TOTAL - (int)MT_BURST,
	   "threads: about 25 acquisitions waited (%llu)",
	   (unsigned long long)m->rl.b[RATELIMIT_MGMT_READ].waits);
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
	test_throttle_decrease();
	test_one_event();
	test_recovery();
	test_steady_state();
	test_cancel();
	test_threads();
	return done_testing();
}
