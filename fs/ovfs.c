/* SPDX-License-Identifier: MIT */
/* ovfs: helpers on the filesystem context; see include/ovfs.h. */
#include <errno.h>
#include <fuse_lowlevel.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "oci.h"
#include "ovfs.h"
#include "banned.h"

/*
 * How long a caller waits for the lookup in flight: what that call may
 * take, each attempt its timeout plus the retry policy's longest sleep
 * (30 s and 1 s of jitter, retry.h).
 */
static uint64_t ns_wait_ms(const struct ovfs *o)
{
	uint64_t n = o->opts.retries ? o->opts.retries : 1;

	return n * ((uint64_t)o->opts.timeout + 31) * 1000;
}

/*
 * Wait, with ns_lock held, for the lookup in flight to finish.  0 when it
 * did (successfully or not), -ETIMEDOUT, or what the caller's own budget
 * says (oci_budget_check(): a write's deadline, an interrupt): a waiter
 * ends as promptly as its own call would, in slices of 100 ms.
 */
static int ns_wait(struct ovfs *o)
{
	const struct clock *clk = oci_client_clock(o->client);
	unsigned int flight = o->ns_flights;
	uint64_t end = clock_mono_ms(clk) + ns_wait_ms(o), now;
	int ret;

	while (o->ns_flights == flight) {
		now = clock_mono_ms(clk);
		if (now >= end)
			return -ETIMEDOUT;
		ret = oci_budget_check(o->client);
		if (ret)
			return ret;
		clock_cond_timedwait(&o->ns_cond, &o->ns_lock,
				     end - now < 100 ? end - now : 100);
	}
	return 0;
}

/*
 * Single flight: the first caller that finds no namespace looks it up, the
 * others wait for that call instead of sending their own (the first writes
 * of a mass backup used to send 18-21 GetNamespace at once).  They share
 * its result, a failure included, so that N callers of a failing lookup do
 * not retry it one after the other; the next caller after a failure starts
 * a new lookup.  ns_cond is initialized here, under ns_lock, because the
 * context is set up in main.c with ns_lock only; a condition variable
 * holds no resources on Linux and is never destroyed.
 */
int ovfs_namespace(struct ovfs *o, char *ns, struct oci_error *err)
{
	char fresh[OVFS_NS_MAX];
	bool lead = false;
	int ret;

	if (!err) { /* the cached one only */
		pthread_mutex_lock(&o->ns_lock);
		buf_copy(ns, OVFS_NS_MAX, o->ns);
		pthread_mutex_unlock(&o->ns_lock);
		return ns[0] ? 0 : -EAGAIN;
	}
	pthread_mutex_lock(&o->ns_lock);
	if (!o->ns_cond_ready && !clock_cond_init(&o->ns_cond))
		o->ns_cond_ready = true;
	if (!o->ns[0] && o->ns_busy && o->ns_cond_ready) {
		ret = ns_wait(o);
		if (ret) {
			pthread_mutex_unlock(&o->ns_lock);
			oci_error_clear(err);
			oci_error_local(
				err, ret,
				ret == -EINTR ? "interrupted"
				: ret == -ETIMEDOUT
					? "timed out waiting for GetNamespace"
					: "cancelled");
			return ret;
		}
		if (!o->ns[0]) {
			ret = o->ns_ret;
			*err = o->ns_err;
			pthread_mutex_unlock(&o->ns_lock);
			return ret;
		}
	}
	if (!o->ns[0] && !o->ns_busy) {
		o->ns_busy = true;
		lead = true;
	}
	buf_copy(ns, OVFS_NS_MAX, o->ns);
	pthread_mutex_unlock(&o->ns_lock);
	if (ns[0])
		return 0;

	/* Leader, or no condition variable to wait on: look it up. */
	ret = oci_get_namespace(o->client, NULL, fresh, err);
	pthread_mutex_lock(&o->ns_lock);
	if (lead) {
		o->ns_busy = false;
		o->ns_flights++;
		if (ret) {
			o->ns_ret = ret;
			o->ns_err = *err;
		}
		if (o->ns_cond_ready)
			pthread_cond_broadcast(&o->ns_cond);
	}
	if (!ret)
		buf_copy(o->ns, sizeof(o->ns), fresh);
	pthread_mutex_unlock(&o->ns_lock);
	if (ret)
		return ret;
	return buf_copy(ns, OVFS_NS_MAX, fresh);
}

bool ovfs_exiting(struct ovfs *o)
{
	return o->se && fuse_session_exited(o->se);
}
