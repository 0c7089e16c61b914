/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for fs/backups.c's pure parts: the work-request poll schedule
 * (backups_sched_*), driven on a simulated clock the way the trackers use it.
 * The status text and eligibility rules of keys are in test_status.c;
 * here are the trouble line of a failing poll (test_trouble()) and a
 * vault's eligibility and status text (test_vault_*()).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "backups.h"
#include "tap.h"

static void test_first(void)
{
	struct backups_sched s;

	memset(&s, 0, sizeof(s));
	is_int((int)backups_sched_first(&s), 1000, "nothing known: 1 s");
	backups_sched_learn(&s, 5000);
	is_int((int)backups_sched_first(&s), 5300, "one duration: it + 300 ms");
	backups_sched_learn(&s, 7000);
	backups_sched_learn(&s, 6000);
	is_int((int)backups_sched_first(&s), 7300, "the longest recent one");
	for (int i = 0; i < BACKUPS_SCHED_RING; i++)
		backups_sched_learn(&s, 2000);
	is_int((int)backups_sched_first(&s), 2300, "old durations roll out");
	backups_sched_learn(&s, 100);
	is_int((int)backups_sched_first(&s), 2300,
	       "short ones do not pull it down");
	memset(&s, 0, sizeof(s));
	backups_sched_learn(&s, 200);
	is_int((int)backups_sched_first(&s), 1000, "at least 1 s");
	backups_sched_learn(&s, 3600000);
	is_int((int)backups_sched_first(&s), 60000, "at most 60 s");
}

static void test_due(void)
{
	struct backups_sched s;

	memset(&s, 0, sizeof(s));
	is_int((int)backups_sched_due(&s, 1000, 0, false, false, 0, 0), 1000,
	       "no pilot: ask now");
	is_int((int)backups_sched_due(&s, 1500, 500, false, true, 0, 2500),
	       2700, "younger than a running pilot: after its next poll");
	is_int((int)backups_sched_due(&s, 1500, 500, false, true, 0, 1000),
	       1700, "pilot's poll overdue: soon after now");
	is_int((int)backups_sched_due(&s, 1500, 0, false, true, 500, 2500),
	       1500, "older than the pilot: ask now");
	is_int((int)backups_sched_due(&s, 70000, 9000, true, true, 0, 71000),
	       70000, "older than 60 s: ask now whatever the pilot");
	backups_sched_learn(&s, 8000);
	is_int((int)backups_sched_due(&s, 1000, 0, false, true, 0, 0), 8300,
	       "known duration: first ask at that age");
	is_int((int)backups_sched_due(&s, 9000, 0, false, false, 0, 0), 9000,
	       "known duration, past it: ask now");
	is_int((int)backups_sched_due(&s, 1000, 0, true, false, 0, 0), 1000,
	       "asked before: the backoff decides");
}

/*
 * A mass backup on a simulated clock: `n` backups accepted `gap` ms apart
 * that each take `dur` ms (work request timeFinished; its time is learnt
 * in whole seconds, as OCI's are read).  Polls follow the trackers' rules:
 * first poll 1 s after acceptance or backups_sched_first(), then a backoff by
 * half from 1 s up to 15 s, every due poll passing through backups_sched_due()
 * with the oldest running backup as the pilot.  Returns the polls made and
 * the worst lag (seen done - really done).
 */
struct sim {
	uint64_t accepted, next, interval;
	bool polled, done;
};

static void simulate(int n, uint64_t gap, uint64_t dur, struct backups_sched *s,
		     int *polls, uint64_t *max_lag)
{
	static struct sim b[1000];
	int left = n;

	*polls = 0;
	*max_lag = 0;
	for (int i = 0; i < n; i++) {
		b[i].accepted = (uint64_t)i * gap;
		b[i].next = b[i].accepted + backups_sched_first(s);
		b[i].interval = 1000;
		b[i].polled = b[i].done = false;
	}
	for (uint64_t now = 0; left && now < 600000; now += 10) {
		int pilot = -1;

		if (!s->n)
			for (int i = 0; i < n && pilot < 0; i++)
				if (!b[i].done)
					pilot = i;
		for (int i = 0; i < n; i++) {
			bool lead;

			if (b[i].done || b[i].next > now)
				continue;
			lead = pilot >= 0 && pilot != i && b[pilot].polled;
			b[i].next = backups_sched_due(
				s, now, b[i].accepted, b[i].polled, lead,
				lead ? b[pilot].accepted : 0,
				lead ? b[pilot].next : 0);
			if (b[i].next > now)
				continue;
			(*polls)++;
			b[i].polled = true;
			if (now >= b[i].accepted + dur) {
				uint64_t lag = now - (b[i].accepted + dur);

				b[i].done = true;
				left--;
				if (lag > *max_lag)
					*max_lag = lag;
				/* OCI's times, in whole seconds */
				backups_sched_learn(
					s, (b[i].accepted + dur) / 1000 * 1000 -
						   b[i].accepted / 1000 * 1000);
				continue;
			}
			b[i].next = now + b[i].interval;
			b[i].interval = b[i].interval * 3 / 2;
			if (b[i].interval > 15000)
				b[i].interval = 15000;
		}
	}
	ok(!left, "simulation: all %d backups seen done", n);
}

static void test_mass_backup(void)
{
	struct backups_sched s;
	uint64_t lag;
	int polls;

	memset(&s, 0, sizeof(s));
	/* 200 at once (unthrottled), 8 s each, nothing known yet. */
	simulate(200, 5, 8000, &s, &polls, &lag);
	ok(polls <= 200 + 10, "200 at once: %d polls (about one each)", polls);
	ok(lag <= 2500, "200 at once: worst lag %llu ms",
	   (unsigned long long)lag);
	/* Next batch, paced at 9 per second (OCI's limit with our margin),
	 * 5 s each: the duration learnt before is longer, so one poll. */
	simulate(300, 111, 5000, &s, &polls, &lag);
	ok(polls <= 300 + 10, "paced: %d polls", polls);
	ok(lag <= 4500, "paced: worst lag %llu ms", (unsigned long long)lag);
	/* A slower batch than learnt: extra polls, bounded lag. */
	memset(&s, 0, sizeof(s));
	backups_sched_learn(&s, 2000);
	simulate(100, 50, 6000, &s, &polls, &lag);
	ok(polls <= 100 * 5, "slower than learnt: %d polls", polls);
	ok(lag <= 3000, "slower than learnt: worst lag %llu ms",
	   (unsigned long long)lag);
	/* Without the pilot rule every backup would poll at 1, 2.5, 4.75
	 * s...: check the schedule really spares those calls. */
	memset(&s, 0, sizeof(s));
	simulate(100, 1, 8000, &s, &polls, &lag);
	ok(polls < 100 * 2, "pilot spares polls: %d for 100 backups", polls);
}

/* `trouble:` while polls of a backup in flight fail (issue 8). */
static void test_trouble(void)
{
	struct backups_report s;
	struct buf b = BUF_INIT(8192);

	memset(&s, 0, sizeof(s));
	s.progress = 50;
	s.object_size = -1;
	s.state = BACKUPS_IN_PROGRESS;
	s.submitted = 1417737600;
	buf_copy(s.trouble, sizeof(s.trouble),
		 "HeadObject: ServiceUnavailable (HTTP 503): busy "
		 "[opc-request-id: R]");
	s.trouble_errno = -EIO;
	s.trouble_since = 1417737605;
	s.trouble_tries = 4;
	ok(!backups_report_render(&s, &b), "render with trouble");
	is_str(b.buf,
	       "state: in_progress\n"
	       "origin: this mount\n"
	       "progress: 50\n"
	       "submitted: 2014-12-05T00:00:00Z\n"
	       "tracking: work_request\n"
	       "trouble: EIO since 2014-12-05T00:00:05Z, 4 failed attempts: "
	       "HeadObject: ServiceUnavailable (HTTP 503): busy "
	       "[opc-request-id: R]\n"
	       "eligible: yes\n",
	       "trouble after tracking, with errno, since, attempts, error");

	buf_reset(&b);
	s.trouble_tries = 1;
	s.trouble_errno = -ECONNREFUSED;
	buf_copy(s.trouble, sizeof(s.trouble),
		 "GetWorkRequest: connection refused: no");
	ok(!backups_report_render(&s, &b), "render");
	ok(strstr(b.buf, "trouble: ECONNREFUSED since 2014-12-05T00:00:05Z, "
			 "1 failed attempt: GetWorkRequest: connection "
			 "refused: no\n") != NULL,
	   "one attempt, singular; the outage's errno");

	buf_reset(&b);
	s.trouble[0] = '\0';
	ok(!backups_report_render(&s, &b), "render");
	ok(!strstr(b.buf, "trouble:"), "no trouble, no line");
	buf_release(&b);
}

/* BackupVault eligibility: ACTIVE VIRTUAL_PRIVATE vaults only. */
static void test_vault_eligibility(void)
{
	char why[256];

	memset(why, 'x', sizeof(why));
	backups_vault_eligibility("VIRTUAL_PRIVATE", "ACTIVE", why,
				  sizeof(why));
	is_str(why, "", "ACTIVE VIRTUAL_PRIVATE vault: eligible");
	backups_vault_eligibility("VIRTUAL_PRIVATE", "BACKUP_IN_PROGRESS", why,
				  sizeof(why));
	is_str(why, "",
	       "BACKUP_IN_PROGRESS: in flight (EBUSY), not ineligible");
	backups_vault_eligibility("DEFAULT", "ACTIVE", why, sizeof(why));
	is_str(why,
	       "DEFAULT vaults cannot be backed up (only VIRTUAL_PRIVATE "
	       "vaults)",
	       "DEFAULT vault");
	backups_vault_eligibility("EXTERNAL", "ACTIVE", why, sizeof(why));
	ok(strstr(why, "EXTERNAL vaults cannot be backed up") != NULL,
	   "EXTERNAL vault: %s", why);
	backups_vault_eligibility("DEFAULT", "DELETED", why, sizeof(why));
	ok(strstr(why, "DEFAULT") != NULL, "the type is told first: %s", why);
	backups_vault_eligibility("VIRTUAL_PRIVATE", "UPDATING", why,
				  sizeof(why));
	is_str(why,
	       "the vault is UPDATING (only ACTIVE vaults can be backed up)",
	       "UPDATING vault");
	static const char *const states[] = {
		"CREATING",
		"DELETING",
		"DELETED",
		"PENDING_DELETION",
		"SCHEDULING_DELETION",
		"RESTORING",
		"CANCELLING_DELETION",
	};
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		backups_vault_eligibility("VIRTUAL_PRIVATE", states[i], why,
					  sizeof(why));
		ok(strstr(why, states[i]) && strstr(why, "only ACTIVE"),
		   "%s vault: %s", states[i], why);
	}
	backups_vault_eligibility("", "", why, sizeof(why));
	is_str(why, "", "nothing known yet: let OCI decide");
	backups_vault_eligibility(NULL, NULL, why, sizeof(why));
	is_str(why, "", "NULL facts: let OCI decide");
	backups_vault_eligibility("DEFAULT", "ACTIVE", why, 10);
	is_int((int)strlen(why), 9, "a short buffer: truncated, terminated");
}

/* `status` of a vault: vault_state:, include_keys:, tracking. */
static void test_vault_report(void)
{
	struct backups_report s;
	struct buf b = BUF_INIT(8192);

	memset(&s, 0, sizeof(s));
	s.vault = true;
	s.include_keys = -1;
	s.progress = -1;
	s.object_size = -1;
	buf_copy(s.key_state, sizeof(s.key_state), "ACTIVE");
	ok(!backups_report_render(&s, &b), "render a vault never backed up");
	is_str(b.buf, "state: none\nvault_state: ACTIVE\neligible: yes\n",
	       "vault, no backup: vault_state, no include_keys");

	buf_reset(&b);
	s.state = BACKUPS_IN_PROGRESS;
	s.progress = 30;
	s.include_keys = 1;
	buf_copy(s.target, sizeof(s.target), "backups");
	buf_copy(s.object, sizeof(s.object),
		 "ns/backups/20141205T000000Z-vault-v-abcdefghijkl.backup");
	buf_copy(s.work_request, sizeof(s.work_request),
		 "ocid1.kmsworkrequest.oc1.iad.v");
	s.submitted = 1417737600;
	buf_copy(s.key_state, sizeof(s.key_state), "BACKUP_IN_PROGRESS");
	ok(!backups_report_render(&s, &b), "render a vault backup");
	is_str(b.buf,
	       "state: in_progress\n"
	       "origin: this mount\n"
	       "progress: 30\n"
	       "target: backups\n"
	       "object: ns/backups/20141205T000000Z-vault-v-abcdefghijkl.backup\n"
	       "work_request: ocid1.kmsworkrequest.oc1.iad.v\n"
	       "submitted: 2014-12-05T00:00:00Z\n"
	       "vault_state: BACKUP_IN_PROGRESS\n"
	       "include_keys: yes\n"
	       "tracking: work_request\n"
	       "eligible: yes\n",
	       "vault in progress: every line in order");
	ok(!strstr(b.buf, "key_state"), "no key_state line for a vault");

	buf_reset(&b);
	s.tracking_by_key_state = true;
	s.include_keys = 0;
	ok(!backups_report_render(&s, &b), "render");
	ok(strstr(b.buf, "include_keys: no\n") != NULL, "include_keys: no");
	ok(strstr(b.buf, "tracking: vault_state\n") != NULL,
	   "fallback tracking of a vault: vault_state");
	ok(!strstr(b.buf, "tracking: key_state"), "... not key_state");

	buf_reset(&b);
	s.vault = false;
	ok(!backups_report_render(&s, &b), "render");
	ok(strstr(b.buf, "tracking: key_state\n") != NULL &&
		   strstr(b.buf, "key_state: BACKUP_IN_PROGRESS\n") &&
		   !strstr(b.buf, "include_keys"),
	   "the same report of a key: key_state, no include_keys");

	buf_reset(&b);
	s.vault = true;
	s.state = BACKUPS_SUCCEEDED;
	s.include_keys = 1;
	s.object_size = 4096;
	s.finished = 1417737700;
	buf_copy(s.key_state, sizeof(s.key_state), "ACTIVE");
	ok(!backups_report_render(&s, &b), "render");
	ok(strstr(b.buf, "size: 4096\nwork_request:") &&
		   strstr(b.buf, "vault_state: ACTIVE\ninclude_keys: yes\n") &&
		   !strstr(b.buf, "tracking:"),
	   "vault succeeded: size, vault_state, include_keys, no tracking");

	buf_reset(&b);
	s.state = BACKUPS_NONE;
	s.include_keys = -1;
	buf_copy(s.eligible, sizeof(s.eligible),
		 "DEFAULT vaults cannot be backed up (only VIRTUAL_PRIVATE "
		 "vaults)");
	s.target[0] = s.object[0] = s.work_request[0] = '\0';
	s.submitted = s.finished = 0;
	s.object_size = -1;
	ok(!backups_report_render(&s, &b), "render");
	ok(strstr(b.buf, "eligible: no, DEFAULT vaults cannot be backed up") !=
		   NULL,
	   "ineligible vault says why");
	buf_release(&b);
}

int main(void)
{
	test_trouble();
	test_vault_eligibility();
	test_vault_report();
	test_first();
	test_due();
	test_mass_backup();
	return done_testing();
}
