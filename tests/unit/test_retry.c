/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/retry.c: which failures are retried, and the schedule. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "retry.h"
#include "tap.h"

static struct oci_error net_err(enum oci_net net)
{
	struct oci_error e;

	oci_error_clear(&e);
	e.net = net;
	return e;
}

static struct oci_error http_err(int status, const char *code)
{
	struct oci_error e;

	oci_error_clear(&e);
	e.http_status = status;
	if (code)
		buf_copy(e.code, sizeof(e.code), code);
	return e;
}

static void test_defaults(void)
{
	struct retry_policy p = RETRY_POLICY_DEFAULT;

	is_int(p.max_attempts, 8, "default: 8 attempts");
	is_int(p.base_ms, 1000, "default: base 1 s");
	is_int(p.cap_ms, 30000, "default: cap 30 s");
	is_int(p.jitter_ms, 1000, "default: jitter up to 1 s");
	is_int(p.max_total_ms, 600000, "default: 600 s in total");
}

static void test_net_classes(void)
{
	static const struct {
		enum oci_net net;
		bool retry;
	} cases[] = {
		{OCI_NET_TIMEOUT, true},     {OCI_NET_REFUSED, true},
		{OCI_NET_UNREACHABLE, true}, {OCI_NET_RESOLVE, true},
		{OCI_NET_RESET, true},	     {OCI_NET_PROTOCOL, true},
		{OCI_NET_TLS, false},	     {OCI_NET_TOOBIG, false},
		{OCI_NET_NOMEM, false},	     {OCI_NET_CANCELLED, false},
		{OCI_NET_OTHER, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct oci_error e = net_err(cases[i].net);

		is_int(retry_is_retryable(&e, true, false), cases[i].retry,
		       "transport '%s' idempotent: %s",
		       oci_error_net_name(cases[i].net),
		       cases[i].retry ? "retried" : "not retried");
		is_int(retry_is_retryable(&e, false, true), cases[i].retry,
		       "transport '%s' POST with token: %s",
		       oci_error_net_name(cases[i].net),
		       cases[i].retry ? "retried" : "not retried");
		is_int(retry_is_retryable(&e, false, false), false,
		       "transport '%s' POST without token: not retried",
		       oci_error_net_name(cases[i].net));
	}
}

static void test_http_classes(void)
{
	static const struct {
		int status;
		const char *code;
		bool retry;
	} cases[] = {
		{429, "TooManyRequests", true},
		{429, NULL, true},
		{500, "InternalServerError", true},
		{501, "MethodNotImplemented", false},
		{502, NULL, true},
		{503, "ServiceUnavailable", true},
		{504, NULL, true},
		{599, NULL, true},
		{409, "IncorrectState", true},
		{409, "LockConflict", true},
		{409, "Conflict", false},
		{409, "NotAuthorizedOrResourceAlreadyExists", false},
		{409, "InvalidatedRetryToken", false},
		{409, "ExternalServerIncorrectState", false},
		{409, "incorrectstate", false},
		{409, NULL, false},
		{400, "InvalidParameter", false},
		{400, "LimitExceeded", false},
		{401, "NotAuthenticated", false},
		{403, "NotAuthorized", false},
		{404, "NotAuthorizedOrNotFound", false},
		{405, NULL, false},
		{412, "NoEtagMatch", false},
		{413, NULL, false},
		{499, NULL, false},
		{600, NULL, false},
		{200, NULL, false},
		{304, NULL, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct oci_error e = http_err(cases[i].status, cases[i].code);
		const char *c = cases[i].code ? cases[i].code : "-";

		is_int(retry_is_retryable(&e, true, false), cases[i].retry,
		       "HTTP %d %s idempotent: %s", cases[i].status, c,
		       cases[i].retry ? "retried" : "not retried");
		is_int(retry_is_retryable(&e, false, true), cases[i].retry,
		       "HTTP %d %s POST with token: %s", cases[i].status, c,
		       cases[i].retry ? "retried" : "not retried");
		is_int(retry_is_retryable(&e, false, false), false,
		       "HTTP %d %s POST without token: not retried",
		       cases[i].status, c);
	}
}

static void test_local_and_none(void)
{
	struct oci_error e;

	oci_error_clear(&e);
	ok(!retry_is_retryable(&e, true, true), "no failure: not retried");
	oci_error_local(&e, -EPROTO, "undecodable body");
	ok(!retry_is_retryable(&e, true, true), "local -EPROTO: not retried");
	oci_error_clear(&e);
	oci_error_local(&e, -EINVAL, "bad argument");
	ok(!retry_is_retryable(&e, true, true), "local -EINVAL: not retried");
}

static void test_schedule(void)
{
	struct retry_policy p = RETRY_POLICY_DEFAULT;
	static const uint64_t want[] = {1000,  2000,  4000,  8000, 16000,
					30000, 30000, 30000, 30000};

	for (unsigned int n = 1; n <= 9; n++) {
		is_int(retry_delay_ms(&p, n, 0), want[n - 1],
		       "delay after %u failures, no jitter: %llu ms", n,
		       (unsigned long long)want[n - 1]);
		is_int(retry_delay_ms(&p, n, UINT32_MAX), want[n - 1] + 999,
		       "delay after %u failures, largest jitter: +999 ms", n);
		is_int(retry_delay_ms(&p, n, 0x80000000u), want[n - 1] + 500,
		       "delay after %u failures, middle jitter: +500 ms", n);
	}
	is_int(retry_delay_ms(&p, 0, 0), 1000, "0 failures counts as 1");
	is_int(retry_delay_ms(&p, 64, 0), 30000, "64 failures: capped");
	is_int(retry_delay_ms(&p, 100000, 0), 30000, "100000 failures: capped");
}

static void test_jitter_bounds(void)
{
	struct retry_policy p = RETRY_POLICY_DEFAULT;
	uint64_t lo = UINT64_MAX, hi = 0;
	uint32_t x = 2463534242u;
	int bad = 0;

	/* xorshift32 over many values: jitter must stay in [0, 1000). */
	for (int i = 0; i < 100000; i++) {
		uint64_t d, j;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		d = retry_delay_ms(&p, 3, x);
		if (d < 4000 || d >= 5000)
			bad++;
		j = d - 4000;
		lo = j < lo ? j : lo;
		hi = j > hi ? j : hi;
	}
	is_int(bad, 0, "jitter always within [0, 1000) ms");
	ok(lo < 10 && hi > 990, "jitter covers the range (min %llu, max %llu)",
	   (unsigned long long)lo, (unsigned long long)hi);

	p.jitter_ms = 0;
	is_int(retry_delay_ms(&p, 2, UINT32_MAX), 2000,
	       "jitter 0: exact delay");
	p.jitter_ms = 1;
	is_int(retry_delay_ms(&p, 2, UINT32_MAX), 2000,
	       "jitter 1 ms: [0, 1) is always 0");
}

static void test_custom_policy(void)
{
	struct retry_policy p = {.max_attempts = 5,
				 .base_ms = 100,
				 .cap_ms = 250,
				 .jitter_ms = 0,
				 .max_total_ms = 0};

	is_int(retry_delay_ms(&p, 1, 0), 100, "custom: 100 ms");
	is_int(retry_delay_ms(&p, 2, 0), 200, "custom: 200 ms");
	is_int(retry_delay_ms(&p, 3, 0), 250, "custom: capped at 250 ms");
	is_int(retry_delay_ms(&p, 4, 0), 250, "custom: stays at the cap");
	p.base_ms = 500;
	is_int(retry_delay_ms(&p, 1, 0), 250, "custom: base above cap: cap");
	p.base_ms = UINT64_MAX / 2 + 1;
	p.cap_ms = UINT64_MAX;
	p.jitter_ms = 1000;
	is_int(retry_delay_ms(&p, 3, UINT32_MAX) == UINT64_MAX, 1,
	       "huge base and cap: saturates instead of overflowing");
}

/* Run the oci.c loop shape: always 503, count attempts and total sleep. */
static void simulate(const struct retry_policy *p, uint64_t attempt_ms,
		     unsigned int *attempts, uint64_t *slept)
{
	struct oci_error e = http_err(503, "ServiceUnavailable");
	uint64_t elapsed = 0, delay = 0;
	unsigned int n;

	*slept = 0;
	for (n = 1;; n++) {
		elapsed += attempt_ms;
		if (!retry_next(p, &e, true, false, n, elapsed, 0, &delay))
			break;
		*slept += delay;
		elapsed += delay;
	}
	*attempts = n;
}

static void test_next(void)
{
	struct retry_policy p = RETRY_POLICY_DEFAULT;
	struct oci_error e503 = http_err(503, NULL);
	struct oci_error e404 = http_err(404, "NotAuthorizedOrNotFound");
	uint64_t delay = 12345, slept;
	unsigned int attempts;

	ok(retry_next(&p, &e503, true, false, 1, 0, 0, &delay) && delay == 1000,
	   "503 after 1 attempt: retry in 1000 ms");
	delay = 12345;
	ok(!retry_next(&p, &e404, true, false, 1, 0, 0, &delay),
	   "404: no retry");
	is_int(delay, 12345, "no retry leaves *delay_ms alone");
	for (unsigned int n = 1; n < 8; n++)
		ok(retry_next(&p, &e503, true, false, n, 0, 0, &delay),
		   "attempt %u of 8 failed: another one", n);
	ok(!retry_next(&p, &e503, true, false, 8, 0, 0, &delay),
	   "8 attempts failed: stop");
	ok(!retry_next(&p, &e503, true, false, 9, 0, 0, &delay),
	   "9 attempts failed: stop");

	simulate(&p, 0, &attempts, &slept);
	is_int(attempts, 8, "always 503: 8 attempts in all");
	is_int(slept, 91000, "always 503: sleeps 1+2+4+8+16+30+30 = 91 s");

	p.max_attempts = 1;
	ok(!retry_next(&p, &e503, true, false, 1, 0, 0, &delay),
	   "max_attempts 1: no retries");
	simulate(&p, 0, &attempts, &slept);
	is_int(attempts, 1, "max_attempts 1: 1 attempt");
	p.max_attempts = 0;
	ok(!retry_next(&p, &e503, true, false, 1, 0, 0, &delay),
	   "max_attempts 0: no retries either");

	p = (struct retry_policy)RETRY_POLICY_DEFAULT;
	ok(retry_next(&p, &e503, true, false, 6, 570000, 0, &delay) &&
		   delay == 30000,
	   "570 s elapsed + 30 s sleep = 600 s: still allowed");
	ok(!retry_next(&p, &e503, true, false, 6, 570001, 0, &delay),
	   "570.001 s elapsed + 30 s: would pass 600 s, stop");
	ok(!retry_next(&p, &e503, true, false, 6, 569500, UINT32_MAX, &delay),
	   "569.5 s + 30.999 s jittered sleep: stop");
	ok(!retry_next(&p, &e503, true, false, 2, 600000, 0, &delay),
	   "600 s already elapsed: stop");
	ok(!retry_next(&p, &e503, true, false, 2, 700000, 0, &delay),
	   "past the limit: stop (no underflow)");

	/* Slow attempts: the total time, not the count, ends the loop. */
	p.max_total_ms = 100000;
	simulate(&p, 20000, &attempts, &slept);
	/*
	 * Attempts end at 20, 41, 63, 87 and 115 s (sleeping 1, 2, 4 and
	 * 8 s between them); at 115 s the budget is gone.
	 */
	is_int(attempts, 5, "20 s attempts, 100 s budget: 5 attempts");
	is_int(slept, 15000, "20 s attempts, 100 s budget: 15 s slept");

	p.max_total_ms = 0;
	p.max_attempts = 100;
	ok(retry_next(&p, &e503, true, false, 50, UINT64_MAX / 2, 0, &delay),
	   "max_total_ms 0: no time limit");

	p = (struct retry_policy)RETRY_POLICY_DEFAULT;
	ok(!retry_next(&p, &e503, false, false, 1, 0, 0, &delay),
	   "POST without retry token: 503 not retried");
	ok(retry_next(&p, &e503, false, true, 1, 0, 0, &delay),
	   "POST with retry token: 503 retried");
}

/* Field by field: the struct has padding, which memcmp would read. */
static bool same_policy(const struct retry_policy *a,
			const struct retry_policy *b)
{
	return a->max_attempts == b->max_attempts && a->base_ms == b->base_ms &&
	       a->cap_ms == b->cap_ms && a->jitter_ms == b->jitter_ms &&
	       a->max_total_ms == b->max_total_ms;
}

/* A caller's budget only narrows the policy (oci_budget, write_timeout). */
static void test_narrow(void)
{
	struct retry_policy p = RETRY_POLICY_DEFAULT, n;
	unsigned int attempts;
	uint64_t slept;

	retry_policy_narrow(&p, 0, 0, 0, &n);
	ok(same_policy(&p, &n), "no limits: the policy unchanged");
	retry_policy_narrow(&p, 20, 60000, 900000, &n);
	ok(same_policy(&p, &n), "wider limits: unchanged");

	/* The write budget: 30 s in all, for an outage (connection refused,
	 * each attempt at once): sleeps 1+2+4+8 s, the next (16 s) would end
	 * past 30 s. */
	retry_policy_narrow(&p, 0, 0, 30000, &n);
	is_int((int)n.max_total_ms, 30000, "30 s budget");
	simulate(&n, 0, &attempts, &slept);
	is_int(attempts, 5, "30 s budget, instant failures: 5 attempts");
	is_int((int)slept, 15000, "... 15 s slept");

	/* A tracker's poll: 3 attempts, 1 s sleeps at most. */
	retry_policy_narrow(&p, 3, 1000, 0, &n);
	is_int(n.max_attempts, 3, "poll: 3 attempts");
	is_int((int)n.cap_ms, 1000, "poll: sleeps capped at 1 s");
	simulate(&n, 0, &attempts, &slept);
	is_int(attempts, 3, "poll: 3 attempts");
	is_int((int)slept, 2000, "poll: 1 + 1 s slept");

	retry_policy_narrow(&p, 0, 200, 0, &n);
	is_int((int)n.base_ms, 200, "a cap below the base lowers the base");
	is_int((int)retry_delay_ms(&n, 1, 0), 200, "... and holds");
}

int main(void)
{
	test_narrow();
	test_defaults();
	test_net_classes();
	test_http_classes();
	test_local_and_none();
	test_schedule();
	test_jitter_bounds();
	test_custom_policy();
	test_next();
	return done_testing();
}
