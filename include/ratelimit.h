/* SPDX-License-Identifier: MIT */
/*
 * ratelimit: client-side token buckets that keep the client under OCI's
 * per-tenancy KMS throttles (reference oci-api.md §2.9, §6.6): 10 requests
 * per second for each of management read, management write, provisioning
 * read and provisioning write.  One bucket per category, shared by every
 * thread of the process.
 *
 * Categories (docs/internals/HTTP.md):
 *   RL_MGMT_READ   GetKey, ListKeys, ListKeyVersions, GetKeyVersion
 *   RL_MGMT_WRITE  BackupKey, RestoreKeyFromObjectStore, RestoreKeyFromFile
 *                  (OCI states no limit for these; counted here to be safe)
 *   RL_PROV_READ   GetVault, ListVaults
 *   RL_PROV_WRITE  BackupVault, RestoreVaultFromObjectStore
 *   RL_OTHER       Identity, Object Storage, Work Requests (no documented
 *                  limit; unlimited unless configured)
 *
 * Bucket: refills at `rate` tokens per second up to `burst` tokens; a
 * request takes one token and waits (on the injectable clock) until one is
 * available.  A rate of 0 means unlimited.  Waiters are served in order of
 * arrival (reservations), so nobody starves.
 *
 * Feedback: ratelimit_throttled() (a 429 arrived anyway) halves the
 * category's effective rate (not below `min_rate`, or below the configured
 * rate when that is smaller) and empties the bucket (reservations already
 * made keep their place); each full second without a 429 restores 10% of
 * the configured rate (additive increase), until the configured rate is
 * reached again.  For an unlimited category a 429 is only counted.
 *
 * Thread safety: all functions lock the limiter's mutex; sleeping happens
 * outside the lock.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#include "clock.h"

enum rl_category {
	RL_MGMT_READ,
	RL_MGMT_WRITE,
	RL_PROV_READ,
	RL_PROV_WRITE,
	RL_OTHER,
	RL_NCAT
};

struct rl_bucket {
	double rate;       /* configured tokens per second, 0 = unlimited */
	double cur_rate;   /* effective rate after 429 feedback */
	double burst;      /* capacity */
	double tokens;     /* may go negative: reservations by waiters */
	uint64_t last_ms;  /* last refill */
	uint64_t last_429_ms; /* last 429, then +1 s per recovery step */
	uint64_t waits;    /* requests that had to wait */
	uint64_t throttled; /* 429 feedbacks */
};

struct ratelimit {
	pthread_mutex_t lock;
	const struct oclock *clock;
	double min_rate; /* floor of the 429 feedback: 1/s */
	struct rl_bucket b[RL_NCAT];
};

/* Defaults: 10/s, burst 5 for the four KMS categories; RL_OTHER unlimited. */
#define RL_DEFAULT_RATE 10.0
#define RL_DEFAULT_BURST 5.0

/*
 * Initialize: rates[i] per second (0 unlimited), burst per bucket (>= 1);
 * `rates` NULL means the defaults.  Buckets start full.  0 or -errno.
 */
int ratelimit_init(struct ratelimit *rl, const struct oclock *clock,
		   const double rates[RL_NCAT], double burst);
void ratelimit_release(struct ratelimit *rl);

/*
 * Take one token of category `cat`, sleeping as needed.  0, or
 * -ECANCELED when it had to wait and the clock was (or got) cancelled;
 * the token stays taken.
 */
int ratelimit_acquire(struct ratelimit *rl, enum rl_category cat);

/*
 * Take one token without sleeping: returns how many milliseconds the caller
 * must wait before sending (0 when it may send now).  The token is reserved
 * either way.  ratelimit_acquire() is this plus the sleep.
 */
uint64_t ratelimit_reserve(struct ratelimit *rl, enum rl_category cat);

/* Report a 429 for `cat` (see Feedback above). */
void ratelimit_throttled(struct ratelimit *rl, enum rl_category cat);

/* Current effective rate of `cat` (tokens per second). */
double ratelimit_rate(struct ratelimit *rl, enum rl_category cat);

const char *ratelimit_category_name(enum rl_category cat);

#endif /* RATELIMIT_H */
