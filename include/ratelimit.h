/* SPDX-License-Identifier: MIT */
/*
 * ratelimit: client-side token buckets that keep the client a little under
 * OCI's per-tenancy KMS throttles (docs/internals/OCI-API.md §8): 10
 * requests per second for each of management read, management write,
 * provisioning read and provisioning write.  One bucket per category, shared by every
 * thread of the process.
 *
 * Categories (docs/internals/HTTP.md):
 *   RATELIMIT_MGMT_READ   GetKey, ListKeys, ListKeyVersions, GetKeyVersion
 *   RATELIMIT_MGMT_WRITE  BackupKey, RestoreKeyFromObjectStore, RestoreKeyFromFile
 *                  (OCI states no limit for these; counted here to be safe)
 *   RATELIMIT_PROV_READ   GetVault, ListVaults
 *   RATELIMIT_PROV_WRITE  BackupVault, RestoreVaultFromObjectStore
 *   RATELIMIT_OTHER       Identity, Object Storage, Work Requests (no documented
 *                  limit; unlimited unless configured)
 *
 * Limits and targets: the rates given to ratelimit_init() are OCI's limits
 * (requests per second per category, what the `rate=` mount option sets).
 * The client aims a little under them: each bucket refills at the target
 * RATELIMIT_MARGIN x limit (9/s for OCI's 10/s) and holds at most
 * RATELIMIT_BURST_SHARE x limit tokens (5 at 10/s, at least 1), whatever burst is
 * asked for.  Against a server bucket of `limit` tokens refilled at `limit`
 * per second (OCI's model, scripts/ociemu/throttle.py) this leaves, right
 * after our own burst, half the server's bucket for requests that the
 * network or the server bunches together (about 0.55 s of jitter at 10/s),
 * and the server's bucket gains 10% of its rate every second we run
 * steadily, so a transient bunch is forgotten instead of eating the margin
 * for good (docs/internals/HTTP.md).  A limit of 0 means unlimited.
 *
 * Bucket: refills at the effective rate up to `burst` tokens; a request
 * takes one token and waits (on the injectable clock) until one is
 * available.  Waiters are served in order of arrival (reservations), so
 * nobody starves.
 *
 * Feedback: every reservation carries the bucket's generation.  A 429 for
 * a request of the current generation (ratelimit_throttled()) is a new
 * throttle event: the effective rate is multiplied by RATELIMIT_DECREASE (0.8),
 * not below RATELIMIT_FLOOR_SHARE (half) of the target, the bucket is emptied
 * (reservations already made keep their place) and the generation moves
 * on.  A 429 for a request of an older generation was paced at the rate
 * before that decrease: it belongs to the same event (several concurrent
 * requests answered 429 at once) and is only counted.  Each full second
 * without a new decrease gives back RATELIMIT_RECOVER_SHARE (10%) of the target,
 * until the target is reached: 2 s after one event, 5 s from the floor.
 * For an unlimited category a 429 is only counted.
 *
 * Thread safety: all functions lock the limiter's mutex; sleeping happens
 * outside the lock.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#include "clock.h"

enum ratelimit_category {
	RATELIMIT_MGMT_READ,
	RATELIMIT_MGMT_WRITE,
	RATELIMIT_PROV_READ,
	RATELIMIT_PROV_WRITE,
	RATELIMIT_OTHER,
	RATELIMIT_NCAT
};

struct ratelimit_bucket {
	double limit; /* OCI's limit, tokens per second, 0 = unlimited */
	double rate; /* target: RATELIMIT_MARGIN x limit */
	double cur_rate; /* effective rate after 429 feedback */
	double burst; /* capacity */
	double tokens; /* may go negative: reservations by waiters */
	uint64_t last_ms; /* last refill */
	uint64_t step_ms; /* last decrease, then +1 s per recovery step */
	uint64_t gen; /* decreases so far (generation of reservations) */
	uint64_t waits; /* requests that had to wait */
	uint64_t throttled; /* 429 feedbacks */
	uint64_t decreases; /* of them, new throttle events */
};

struct ratelimit {
	pthread_mutex_t lock;
	const struct clock *clock;
	struct ratelimit_bucket b[RATELIMIT_NCAT];
};

/*
 * Defaults: OCI's 10/s for the four KMS categories (RATELIMIT_OTHER unlimited);
 * asked burst 5.  The feedback constants are described above.
 */
#define RATELIMIT_DEFAULT_RATE 10.0
#define RATELIMIT_DEFAULT_BURST 5.0
#define RATELIMIT_MARGIN 0.9
#define RATELIMIT_BURST_SHARE 0.5
#define RATELIMIT_DECREASE 0.8
#define RATELIMIT_FLOOR_SHARE 0.5
#define RATELIMIT_RECOVER_SHARE 0.1

/*
 * Initialize: limits[i] is OCI's limit per second (0 unlimited), `burst`
 * the capacity asked for (>= 1, capped as described above); `limits` NULL
 * means the defaults.  Buckets start full.  0 or -errno.
 */
int ratelimit_init(struct ratelimit *rl, const struct clock *clock,
		   const double limits[RATELIMIT_NCAT], double burst);
void ratelimit_release(struct ratelimit *rl);

/*
 * Take one token of category `cat`, sleeping as needed; *gen (when not
 * NULL) receives the reservation's generation, for ratelimit_throttled().
 * 0, or -ECANCELED when it had to wait and the clock was (or got)
 * cancelled; the token stays taken.
 */
int ratelimit_acquire(struct ratelimit *rl, enum ratelimit_category cat,
		      uint64_t *gen);

/*
 * Take one token without sleeping: returns how many milliseconds the caller
 * must wait before sending (0 when it may send now).  The token is reserved
 * either way.  ratelimit_acquire() is this plus the sleep.
 */
uint64_t ratelimit_reserve(struct ratelimit *rl, enum ratelimit_category cat,
			   uint64_t *gen);

/*
 * Report a 429 for a request of `cat` whose token had generation `gen`
 * (see Feedback above).
 */
void ratelimit_throttled(struct ratelimit *rl, enum ratelimit_category cat,
			 uint64_t gen);

/* Current effective rate of `cat` (tokens per second, 0 unlimited). */
double ratelimit_rate(struct ratelimit *rl, enum ratelimit_category cat);

const char *ratelimit_category_name(enum ratelimit_category cat);

#endif /* RATELIMIT_H */
