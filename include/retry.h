/* SPDX-License-Identifier: MIT */
/*
 * retry: the retry policy, in the shape of the OCI SDKs' default
 * (docs/internals/OCI-API.md §7).  Pure; the loop lives in oci.c.
 *
 * Retried: transport failures (timeouts, refused, unreachable, reset, DNS,
 * protocol), HTTP 429, 409 with code IncorrectState or LockConflict,
 * 500..599 except 501.  Never retried: TLS failures, responses too big,
 * cancellation, out of memory, unclassified transport failures
 * (OCI_NET_OTHER), local errors, and any other status.  A POST
 * (non-idempotent) is retried only when it carries an opc-retry-token;
 * every retry reuses that same token.
 *
 * Delay before attempt n+1 (n >= 1 failed attempts so far):
 *   min(base * 2^(n-1), cap) + jitter, jitter uniform in [0, jitter_ms)
 * Stop after max_attempts attempts, or when the next sleep would pass
 * max_total_ms since the first attempt started.  With the defaults the
 * sleeps are 1, 2, 4, 8, 16, 30, 30 s (+ jitter): 8 attempts in about 91 s.
 */
#ifndef RETRY_H
#define RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "oci_error.h"

struct retry_policy {
	unsigned int max_attempts; /* 1 (or 0) disables retries; default 8 */
	uint64_t base_ms; /* default 1000 */
	uint64_t cap_ms; /* default 30000 */
	uint64_t jitter_ms; /* default 1000 */
	uint64_t max_total_ms; /* default 600000; 0: no time limit */
};

#define RETRY_POLICY_DEFAULT                                         \
	{                                                            \
		.max_attempts = 8, .base_ms = 1000, .cap_ms = 30000, \
		.jitter_ms = 1000, .max_total_ms = 600000            \
	}

/* Is failure `e` worth another attempt (ignoring attempt counts)? */
bool retry_is_retryable(const struct oci_error *e, bool idempotent,
			bool has_retry_token);

/*
 * Delay before the next attempt after `failed` (>= 1) failed attempts;
 * `rnd` is a uniformly random 32-bit value used for the jitter.
 */
uint64_t retry_delay_ms(const struct retry_policy *p, unsigned int failed,
			uint32_t rnd);

/*
 * Decide whether to try again: returns true and sets *delay_ms when
 * another attempt is allowed after `failed` attempts, `elapsed_ms` since
 * the first attempt began.
 */
bool retry_next(const struct retry_policy *p, const struct oci_error *e,
		bool idempotent, bool has_retry_token, unsigned int failed,
		uint64_t elapsed_ms, uint32_t rnd, uint64_t *delay_ms);

/*
 * `p` narrowed by a caller's budget (oci.h, struct oci_budget): at most
 * `max_attempts` attempts, sleeps (before jitter) of at most
 * `max_delay_ms`, and no sleep that would end more than `max_total_ms`
 * after the first attempt began; 0 leaves that limit as in `p`.  A
 * budget only ever narrows: a larger value than `p`'s changes nothing.
 * The base delay is capped too, so a cap below it still holds.
 */
void retry_policy_narrow(const struct retry_policy *p,
			 unsigned int max_attempts, uint64_t max_delay_ms,
			 uint64_t max_total_ms, struct retry_policy *out);

#endif /* RETRY_H */
