/* SPDX-License-Identifier: MIT */
/*
 * ratelimit: per-category token buckets under OCI's limits, with 429
 * feedback; see ratelimit.h.
 */
#include <errno.h>
#include <math.h> /* isfinite() only: no libm */

#include "ratelimit.h"
#include "banned.h"

const char *ratelimit_category_name(enum ratelimit_category cat)
{
	switch (cat) {
	case RATELIMIT_MGMT_READ:
		return "mgmt-read";
	case RATELIMIT_MGMT_WRITE:
		return "mgmt-write";
	case RATELIMIT_PROV_READ:
		return "prov-read";
	case RATELIMIT_PROV_WRITE:
		return "prov-write";
	case RATELIMIT_OTHER:
		return "other";
	case RATELIMIT_NCAT:
		break;
	}
	return "unknown";
}

int ratelimit_init(struct ratelimit *rl, const struct clock *clock,
		   const double limits[RATELIMIT_NCAT], double burst)
{
	uint64_t now;
	int ret;

	if (!clock || !(burst >= 1.0) || !isfinite(burst))
		return -EINVAL;
	for (int i = 0; limits && i < RATELIMIT_NCAT; i++)
		if (!(limits[i] >= 0.0) || !isfinite(limits[i]))
			return -EINVAL;
	ret = pthread_mutex_init(&rl->lock, NULL);
	if (ret)
		return -ret;
	rl->clock = clock;
	now = clock_mono_ms(clock);
	for (int i = 0; i < RATELIMIT_NCAT; i++) {
		struct ratelimit_bucket *b = &rl->b[i];
		double cap;

		if (limits)
			b->limit = limits[i];
		else
			b->limit = i == RATELIMIT_OTHER
					   ? 0.0
					   : RATELIMIT_DEFAULT_RATE;
		b->rate = RATELIMIT_MARGIN * b->limit;
		b->cur_rate = b->rate;
		/*
		 * Our burst lands in the server's bucket of `limit` tokens:
		 * keep half of that free for requests bunched on the way.
		 */
		cap = RATELIMIT_BURST_SHARE * b->limit;
		if (cap < 1.0)
			cap = 1.0;
		b->burst = burst < cap ? burst : cap;
		b->tokens = b->burst;
		b->last_ms = now;
		b->step_ms = now;
		b->gen = 0;
		b->waits = 0;
		b->throttled = 0;
		b->decreases = 0;
	}
	return 0;
}

void ratelimit_release(struct ratelimit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

static void add_tokens(struct ratelimit_bucket *b, uint64_t ms)
{
	b->tokens += (double)ms * b->cur_rate / 1000.0;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
}

/*
 * Bring `b` up to `now`.  While the rate is reduced it is piecewise
 * constant: tokens accrue at cur_rate until the next whole second after
 * the last decrease (or the last recovery step), where cur_rate grows by
 * RATELIMIT_RECOVER_SHARE of the target.  step_ms marks the start of the running
 * second.  Additive steps of a tenth of the target bring the rate from one
 * decrease (0.8) back in 2 s and from the floor (0.5) in 5 s: fast enough
 * that a single event costs less than a second's worth of requests, slow
 * enough that a tenancy shared with other clients is not hit at full rate
 * again at once.
 */
static void refill(struct ratelimit_bucket *b, uint64_t now)
{
	if (now <= b->last_ms)
		return;
	while (b->cur_rate < b->rate && b->step_ms + 1000 <= now) {
		uint64_t step = b->step_ms + 1000;

		if (step > b->last_ms) {
			add_tokens(b, step - b->last_ms);
			b->last_ms = step;
		}
		b->cur_rate += RATELIMIT_RECOVER_SHARE * b->rate;
		/* 0.1 x 10 steps do not add up to exactly 1.0 in binary. */
		if (b->cur_rate > b->rate - 1e-9 * b->rate)
			b->cur_rate = b->rate;
		b->step_ms = step;
	}
	add_tokens(b, now - b->last_ms);
	b->last_ms = now;
}

uint64_t ratelimit_reserve(struct ratelimit *rl, enum ratelimit_category cat,
			   uint64_t *gen)
{
	struct ratelimit_bucket *b;
	uint64_t wait = 0;
	double ms;

	if ((unsigned int)cat >= RATELIMIT_NCAT)
		cat = RATELIMIT_OTHER;
	b = &rl->b[cat];
	pthread_mutex_lock(&rl->lock);
	if (gen)
		*gen = b->gen;
	if (b->rate <= 0.0)
		goto out;
	refill(b, clock_mono_ms(rl->clock));
	b->tokens -= 1.0;
	if (b->tokens >= 0.0)
		goto out;
	/*
	 * The deficit is the queue in front of us (our own token included):
	 * it is paid off at cur_rate.  The epsilon keeps 100.0000001 ms from
	 * becoming 101 ms, so that pacing is exactly 1/rate.
	 */
	ms = -b->tokens * 1000.0 / b->cur_rate - 1e-6;
	if (ms > 0.0) {
		wait = (uint64_t)ms;
		if ((double)wait < ms)
			wait++;
	}
	if (wait)
		b->waits++;
out:
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

int ratelimit_acquire(struct ratelimit *rl, enum ratelimit_category cat,
		      uint64_t *gen)
{
	uint64_t wait = ratelimit_reserve(rl, cat, gen);

	if (!wait)
		return 0;
	return clock_sleep_ms(rl->clock, wait) ? -ECANCELED : 0;
}

void ratelimit_throttled(struct ratelimit *rl, enum ratelimit_category cat,
			 uint64_t gen)
{
	struct ratelimit_bucket *b;
	uint64_t now;
	double fl;

	if ((unsigned int)cat >= RATELIMIT_NCAT)
		return;
	b = &rl->b[cat];
	pthread_mutex_lock(&rl->lock);
	b->throttled++;
	/* An unlimited category has no rate to lower; the 429 is counted. */
	if (b->rate <= 0.0)
		goto out;
	/*
	 * The request was paced before the last decrease: its 429 tells
	 * nothing about the rate now.  This is what makes the 429s of one
	 * throttle event (all the requests in flight when the server's bucket
	 * ran dry) one decrease instead of one each.
	 */
	if (gen != b->gen)
		goto out;
	now = clock_mono_ms(rl->clock);
	refill(b, now);
	fl = RATELIMIT_FLOOR_SHARE * b->rate;
	b->cur_rate *= RATELIMIT_DECREASE;
	if (b->cur_rate < fl)
		b->cur_rate = fl;
	/*
	 * The server's bucket is empty now: do not send ours into it.
	 * Outstanding reservations (negative tokens) keep their place.
	 * NEEDSWORK: and their old pace; with many waiters (or another
	 * client of the tenancy) they are what most of the later 429s hit.
	 */
	if (b->tokens > 0.0)
		b->tokens = 0.0;
	b->step_ms = now;
	b->gen++;
	b->decreases++;
out:
	pthread_mutex_unlock(&rl->lock);
}

double ratelimit_rate(struct ratelimit *rl, enum ratelimit_category cat)
{
	struct ratelimit_bucket *b;
	double r;

	if ((unsigned int)cat >= RATELIMIT_NCAT)
		return 0.0;
	b = &rl->b[cat];
	pthread_mutex_lock(&rl->lock);
	if (b->rate > 0.0)
		refill(b, clock_mono_ms(rl->clock));
	r = b->cur_rate;
	pthread_mutex_unlock(&rl->lock);
	return r;
}
