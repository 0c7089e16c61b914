/* SPDX-License-Identifier: MIT */
/* retry: which failures are retried and how long to wait; see retry.h. */
#include <string.h>

#include "retry.h"
#include "banned.h"

static bool net_retryable(enum oci_net net)
{
	switch (net) {
	case OCI_NET_TIMEOUT:
	case OCI_NET_REFUSED:
	case OCI_NET_UNREACHABLE:
	case OCI_NET_RESOLVE:
	case OCI_NET_RESET:
	case OCI_NET_PROTOCOL:
		return true;
	/*
	 * A TLS failure is a certificate or configuration problem that the
	 * next attempt meets again; a response over the cap stays over it;
	 * cancellation and OOM must stop the loop.  OTHER is a curl failure
	 * we could not classify, so it is not assumed to be transient.
	 */
	case OCI_NET_OK:
	case OCI_NET_TLS:
	case OCI_NET_TOOBIG:
	case OCI_NET_NOMEM:
	case OCI_NET_CANCELLED:
	case OCI_NET_OTHER:
		break;
	}
	return false;
}

bool retry_is_retryable(const struct oci_error *e, bool idempotent,
			bool has_retry_token)
{
	int s = e->http_status;

	/* Without a retry token a repeated POST could act twice. */
	if (!idempotent && !has_retry_token)
		return false;
	if (e->net != OCI_NET_OK)
		return net_retryable(e->net);
	if (s == 429)
		return true;
	if (s == 409)
		return !strcmp(e->code, "IncorrectState") ||
		       !strcmp(e->code, "LockConflict");
	return s >= 500 && s <= 599 && s != 501;
}

uint64_t retry_delay_ms(const struct retry_policy *p, unsigned int failed,
			uint32_t rnd)
{
	uint64_t d = p->base_ms, span = p->jitter_ms, jitter;

	if (d > p->cap_ms)
		d = p->cap_ms;
	/* Doubling until the cap, so that no shift or product overflows. */
	for (unsigned int i = 1; i < failed && d < p->cap_ms; i++)
		d = d > p->cap_ms / 2 ? p->cap_ms : d * 2;
	/*
	 * Scale rnd into [0, jitter_ms) without the bias of a modulo; a
	 * jitter over 2^32 ms (49 days) is clamped so the product fits.
	 */
	if (span > UINT32_MAX)
		span = UINT32_MAX;
	jitter = ((uint64_t)rnd * span) >> 32;
	return d > UINT64_MAX - jitter ? UINT64_MAX : d + jitter;
}

bool retry_next(const struct retry_policy *p, const struct oci_error *e,
		bool idempotent, bool has_retry_token, unsigned int failed,
		uint64_t elapsed_ms, uint32_t rnd, uint64_t *delay_ms)
{
	uint64_t d;

	if (!retry_is_retryable(e, idempotent, has_retry_token))
		return false;
	if (failed >= p->max_attempts)
		return false;
	d = retry_delay_ms(p, failed, rnd);
	if (p->max_total_ms &&
	    (elapsed_ms >= p->max_total_ms || d > p->max_total_ms - elapsed_ms))
		return false;
	*delay_ms = d;
	return true;
}

void retry_policy_narrow(const struct retry_policy *p,
			 unsigned int max_attempts, uint64_t max_delay_ms,
			 uint64_t max_total_ms, struct retry_policy *out)
{
	*out = *p;
	if (max_attempts &&
	    (!out->max_attempts || max_attempts < out->max_attempts))
		out->max_attempts = max_attempts;
	if (max_delay_ms && max_delay_ms < out->cap_ms)
		out->cap_ms = max_delay_ms;
	if (out->base_ms > out->cap_ms)
		out->base_ms = out->cap_ms;
	if (max_total_ms &&
	    (!out->max_total_ms || max_total_ms < out->max_total_ms))
		out->max_total_ms = max_total_ms;
}
