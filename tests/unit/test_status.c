/* SPDX-License-Identifier: MIT */
/* Unit tests: the status text format and the eligibility rules. */
#include <errno.h>
#include <string.h>

#include "backups.h"
#include "tap.h"

static void fresh(struct backups_report *s)
{
	memset(s, 0, sizeof(*s));
	s->progress = -1;
	s->object_size = -1;
	s->ok_size = -1;
}

static const char *render(const struct backups_report *s, struct buf *b)
{
	buf_reset(b);
	ok(!backups_report_render(s, b), "render");
	return b->buf;
}

static void test_none(struct buf *b)
{
	struct backups_report s;

	fresh(&s);
	buf_copy(s.key_state, sizeof(s.key_state), "ENABLED");
	is_str(render(&s, b),
	       "state: none\nkey_state: ENABLED\neligible: yes\n",
	       "a key never backed up");

	buf_copy(s.eligible, sizeof(s.eligible),
		 "SOFTWARE-protected keys cannot be backed up (only HSM keys)");
	is_str(render(&s, b),
	       "state: none\nkey_state: ENABLED\neligible: no, "
	       "SOFTWARE-protected keys cannot be backed up (only HSM keys)\n",
	       "an ineligible key says why");
}

static void test_in_progress(struct buf *b)
{
	struct backups_report s;

	fresh(&s);
	s.state = BACKUPS_IN_PROGRESS;
	s.progress = 42.4;
	buf_copy(s.target, sizeof(s.target), "backups");
	buf_copy(s.object, sizeof(s.object),
		 "ns/backups/k-20141205T000000Z.backup");
	buf_copy(s.work_request, sizeof(s.work_request),
		 "ocid1.kmsworkrequest.oc1.iad.x.y");
	buf_copy(s.request_id, sizeof(s.request_id), "ABC/DEF");
	s.submitted = 1417737600;
	s.started = 1417737601;
	buf_copy(s.key_state, sizeof(s.key_state), "BACKUP_IN_PROGRESS");
	is_str(render(&s, b),
	       "state: in_progress\n"
	       "origin: this mount\n"
	       "progress: 42\n"
	       "target: backups\n"
	       "object: ns/backups/k-20141205T000000Z.backup\n"
	       "work_request: ocid1.kmsworkrequest.oc1.iad.x.y\n"
	       "request_id: ABC/DEF\n"
	       "submitted: 2014-12-05T00:00:00Z\n"
	       "started: 2014-12-05T00:00:01Z\n"
	       "key_state: BACKUP_IN_PROGRESS\n"
	       "tracking: work_request\n"
	       "eligible: yes\n",
	       "in progress, every known line in order");

	s.tracking_by_key_state = true;
	s.progress = -1;
	s.origin = BACKUPS_ORIGIN_ELSEWHERE;
	render(&s, b);
	ok(strstr(b->buf, "tracking: key_state\n") != NULL,
	   "fallback tracking is shown");
	ok(strstr(b->buf, "origin: elsewhere\n") != NULL, "origin elsewhere");
	ok(!strstr(b->buf, "progress:"), "no progress line when unknown");
}

static void test_done(struct buf *b)
{
	struct backups_report s;

	fresh(&s);
	s.state = BACKUPS_SUCCEEDED;
	s.progress = 100;
	s.object_size = 1234;
	s.finished = 1417737700;
	render(&s, b);
	ok(!strncmp(b->buf, "state: succeeded\n", 17), "state line first");
	ok(strstr(b->buf, "size: 1234\n") != NULL, "size");
	ok(strstr(b->buf, "finished: 2014-12-05T00:01:40Z\n") != NULL,
	   "finished time in RFC 3339 UTC");
	ok(!strstr(b->buf, "tracking:"), "no tracking line when done");

	s.object_size = -1;
	s.object_unverified = true;
	render(&s, b);
	ok(strstr(b->buf, "size: unknown") != NULL, "unverified PAR object");

	fresh(&s);
	s.state = BACKUPS_FAILED;
	s.error.http_status = 409;
	buf_copy(s.error.code, sizeof(s.error.code), "IncorrectState");
	buf_copy(s.error.message, sizeof(s.error.message), "Key is busy");
	buf_copy(s.error.request_id, sizeof(s.error.request_id), "RID1");
	s.error_errno = -EBUSY;
	render(&s, b);
	ok(strstr(b->buf, "error: IncorrectState (HTTP 409): Key is busy "
			  "[opc-request-id: RID1]\n") != NULL,
	   "error line has code, status, message, request id");
	ok(strstr(b->buf, "errno: EBUSY\n") != NULL, "errno name");

	fresh(&s);
	s.state = BACKUPS_IN_PROGRESS;
	buf_copy(s.rejected, sizeof(s.rejected),
		 "EBUSY: a backup of this key is already in flight");
	s.rejected_at = 1417737600;
	render(&s, b);
	ok(strstr(b->buf, "rejected: 2014-12-05T00:00:00Z EBUSY: a backup") !=
		   NULL,
	   "a refused write while in flight");
}

/* The last success stays beside a later failure, last in the text. */
static void test_last_success(struct buf *b)
{
	struct backups_report s;
	const char *t;

	fresh(&s);
	s.state = BACKUPS_FAILED;
	s.error.local_errno = -EINVAL;
	buf_copy(s.error.code, sizeof(s.error.code), "InvalidTarget");
	buf_copy(s.error.message, sizeof(s.error.message), "bad bucket");
	s.error_errno = -EINVAL;
	render(&s, b);
	ok(!strstr(b->buf, "last_success"), "no success known: no line");

	s.ok_finished = 1417737700;
	buf_copy(s.ok_object, sizeof(s.ok_object), "ns/backups/a.bak");
	buf_copy(s.ok_wr, sizeof(s.ok_wr), "ocid1.kmsworkrequest.oc1..x");
	t = render(&s, b);
	ok(strstr(t, "errno: EINVAL\n") != NULL, "the failure is shown");
	ok(strstr(t,
		  "last_success: 2014-12-05T00:01:40Z\n"
		  "last_success_object: ns/backups/a.bak\n"
		  "last_success_work_request: ocid1.kmsworkrequest.oc1..x\n") !=
		   NULL,
	   "and the last success, size unknown");
	s.ok_size = 42;
	render(&s, b);
	ok(strstr(b->buf, "last_success_size: 42\n") != NULL, "its size");
}

static void test_eligibility(void)
{
	char why[256];

	backups_eligibility("VIRTUAL_PRIVATE", "HSM", "ENABLED", why,
			    sizeof(why));
	is_str(why, "", "HSM key in a private vault");
	backups_eligibility("VIRTUAL_PRIVATE", "", "DISABLED", why,
			    sizeof(why));
	is_str(why, "", "absent protectionMode means HSM");
	backups_eligibility("DEFAULT", "HSM", "ENABLED", why, sizeof(why));
	ok(strstr(why, "DEFAULT vaults") != NULL, "DEFAULT vault: %s", why);
	backups_eligibility("VIRTUAL_PRIVATE", "SOFTWARE", "ENABLED", why,
			    sizeof(why));
	ok(strstr(why, "SOFTWARE-protected") != NULL, "SOFTWARE key: %s", why);
	backups_eligibility("VIRTUAL_PRIVATE", "EXTERNAL", "ENABLED", why,
			    sizeof(why));
	ok(strstr(why, "EXTERNAL-protected") != NULL, "EXTERNAL key");
	backups_eligibility("VIRTUAL_PRIVATE", "HSM", "PENDING_DELETION", why,
			    sizeof(why));
	ok(strstr(why, "PENDING_DELETION") != NULL, "pending deletion: %s",
	   why);
	backups_eligibility("", "", "BACKUP_IN_PROGRESS", why, sizeof(why));
	is_str(why, "", "busy is not ineligible");
	backups_eligibility("EXTERNAL", "HSM", "ENABLED", why, sizeof(why));
	ok(why[0] != '\0', "EXTERNAL vault");
}

int main(void)
{
	struct buf b = BUF_INIT(1 << 16);

	ok(backups_in_flight(BACKUPS_SUBMITTING) &&
		   backups_in_flight(BACKUPS_ACCEPTED) &&
		   backups_in_flight(BACKUPS_IN_PROGRESS),
	   "in-flight states");
	ok(!backups_in_flight(BACKUPS_NONE) &&
		   !backups_in_flight(BACKUPS_SUCCEEDED) &&
		   !backups_in_flight(BACKUPS_FAILED),
	   "final states");
	is_str(backups_state_name(BACKUPS_IN_PROGRESS), "in_progress",
	       "state names");
	test_none(&b);
	test_in_progress(&b);
	test_done(&b);
	test_last_success(&b);
	test_eligibility();
	buf_release(&b);
	return done_testing();
}
