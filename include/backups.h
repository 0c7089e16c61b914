/* SPDX-License-Identifier: MIT */
/*
 * backup: BackupKey and BackupVault submissions, the tracking of backups
 * in flight, and
 * the text of `status`, `wait` and .ocivaultfs/backups
 * (docs/ocivaultfs.md, "status" and "wait"; docs/backup-verification.md).
 *
 * One job per key or vault (by OCID) holds the latest backup of it.  A
 * vault's job is the same machine with BackupVault, the vault's state
 * (one ListVaults per compartment) instead of the key's, and operation
 * type BACKUP_VAULT; "key" below means either.  States:
 *
 *   none -> submitting -> accepted -> in_progress -> succeeded | failed
 *                      \-> failed (refused, no API call or API error)
 *
 * A write to `backup` runs backups_submit(): parse the target, check
 * eligibility, claim the job and the object name (a second backup of this
 * mount to the same object is EEXIST before any call), check that the
 * bucket exists and the object does not (one ListObjects; EEXIST, ENOENT,
 * EACCES), then call BackupKey once (one opc-retry-token reused by the
 * client's retries).  It returns when OCI accepted or refused it.
 *
 * Tracking: a small pool of tracker threads (at most 4; made when there is
 * work, gone after 10 s without any) serves the jobs in flight in parallel
 * and publishes each result as soon as it arrives.  A job moves
 * through phases: the work request (GetWorkRequest; the first poll comes
 * after the duration recent backups took, later ones back off from 1 s to
 * 15 s), or, when the Work Requests API does not know it, the key state
 * (one ListKeys per vault and compartment for all such jobs); then the
 * object check (one ListObjects page range for every finished backup of
 * one bucket, gathered for up to 2 s; HeadObject for any the range
 * did not cover).  "succeeded" means the work request (or key state) said
 * done AND the object exists with a non-zero size and a creation time
 * that fits this backup.  Keys seen in BACKUP_IN_PROGRESS without a job of
 * this mount (a backup started elsewhere) get a job with origin
 * "elsewhere", tracked through the key state; when the key leaves that
 * state, ListWorkRequests of the key tells the outcome (unknown without
 * it).  A write refused because the key is BACKUP_IN_PROGRESS starts
 * that tracking too.
 *
 * Outages: each poll runs under a short budget (struct oci_budget: 3
 * attempts, 1 s apart, 20 s); every failed or retried attempt is shown in
 * `status` at once (`trouble:`) until a poll succeeds, and a failed poll
 * is asked again after 1, 2, 4, then every 5 s.  A job in flight leaves
 * that state only on an answer of the service, never because polls
 * failed, so a key is never backed up twice by this mount.  A BackupKey
 * that got no answer (timeout, reset, interrupt) may have been accepted:
 * the key's writes are EBUSY until one ListKeys tells (maybe_accepted).
 *
 * Memory: a job holds only what it needs (strings allocated to fit, the
 * error only when there is one): a few hundred bytes per key.
 *
 * Reading status never touches the network.  Locking: one mutex for the
 * job table and all jobs; a condition variable wakes `wait` readers and
 * another the trackers.  No lock is held during API calls: while a tracker
 * works on a job (`polling`), the job's target and object strings do not
 * change (a job in flight cannot be reset).
 */
#ifndef BACKUP_H
#define BACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "model.h"
#include "oci_error.h"

struct oci_client;
struct journal;
struct tree;
struct tree_node;
struct backups;
struct logger;

enum backups_state {
	BACKUPS_NONE,
	BACKUPS_SUBMITTING,
	BACKUPS_ACCEPTED,
	BACKUPS_IN_PROGRESS,
	BACKUPS_SUCCEEDED,
	BACKUPS_FAILED,
};

enum backups_origin {
	BACKUPS_ORIGIN_MOUNT, /* started by a write on this mount */
	BACKUPS_ORIGIN_ELSEWHERE, /* seen in BACKUP_IN_PROGRESS when listed */
};

/* Everything `status` shows; plain data, rendered by backups_report_render(). */
struct backups_report {
	enum backups_state state;
	enum backups_origin origin;
	double progress; /* percent; < 0 unknown */
	char target[OVFS_URL_MAX]; /* redacted */
	char object[OVFS_NS_MAX + OVFS_BUCKET_MAX + OVFS_OBJECT_MAX];
	int64_t object_size; /* < 0 unknown */
	bool object_unverified; /* PAR target: cannot be checked */
	char work_request[OVFS_OCID_MAX];
	char request_id[OVFS_REQID_MAX];
	int64_t submitted, started, finished; /* wall seconds, 0 unknown */
	char key_state[OVFS_ENUM_MAX]; /* a vault's: its lifecycle state */
	bool tracking_by_key_state; /* work request API unavailable */
	/* A vault backup: `key_state` is shown as vault_state:, and
	 * include_keys: yes|no when known (>= 0). */
	bool vault;
	int include_keys;
	/* The tracker's calls for this backup are failing (or being
	 * retried) since `trouble_since`: `trouble` is the last failure
	 * (oci_error_format()), `trouble_errno` its errno, `trouble_tries`
	 * the failed attempts so far.  Cleared by the next good answer. */
	char trouble[768];
	int trouble_errno;
	int64_t trouble_since;
	unsigned int trouble_tries;
	struct oci_error error; /* when failed */
	int error_errno; /* negative errno of the failure */
	char eligible[256]; /* "" eligible, else the reason */
	char rejected[512]; /* last refused write while in flight */
	int64_t rejected_at;
	char note[256];
	/* The last successful backup of the key (this mount's, else the
	 * journal's), kept when later attempts fail: `last_success*` lines.
	 * ok_finished 0: none known; ok_size < 0: unknown. */
	int64_t ok_finished;
	int64_t ok_size;
	char ok_object[OVFS_NS_MAX + OVFS_BUCKET_MAX + OVFS_OBJECT_MAX];
	char ok_wr[OVFS_OCID_MAX];
};

/* True for submitting, accepted and in_progress. */
bool backups_in_flight(enum backups_state s);
const char *backups_state_name(enum backups_state s);

/*
 * Render `s` as the `status` file text: "name: value" lines, state first.
 * Appends to `out`.  Pure; unit-tested.
 */
int backups_report_render(const struct backups_report *s, struct buf *out);

/*
 * Why a key cannot be backed up, from its vault type, protection mode and
 * lifecycle state; "" when it can.  Pure.
 */
void backups_eligibility(const char *vault_type, const char *protection_mode,
			 const char *key_state, char *why, size_t n);

/*
 * Why a vault cannot be backed up (BackupVault): only VIRTUAL_PRIVATE
 * vaults that are ACTIVE (BACKUP_IN_PROGRESS passes here: that is a
 * backup in flight, EBUSY, not ineligibility); "" when it can.  Pure.
 */
void backups_vault_eligibility(const char *vault_type, const char *state,
			       char *why, size_t n);

/*
 * The poll schedule of work requests (pure; tests/unit/test_backups.c).
 * Times in milliseconds of the monotonic clock.
 */
#define BACKUPS_SCHED_RING 16
struct backups_sched {
	uint64_t dur_ms[BACKUPS_SCHED_RING]; /* durations of recent backups */
	size_t n; /* learnt so far (the ring wraps) */
};

/* A backup of this mount took `ms` from its acceptance (the work
 * request's timeAccepted) to its end (timeFinished). */
void backups_sched_learn(struct backups_sched *s, uint64_t ms);

/*
 * The age at which a work request is first asked: the longest of the
 * recent durations plus 300 ms, within 1 s .. 60 s; 1 s while none is
 * known.
 */
uint64_t backups_sched_first(const struct backups_sched *s);

/*
 * A backup accepted at `accepted` is due for a poll at `now`: when should
 * it really be asked?  `now` (ask it), or a later time (no call now):
 *  - durations known: a backup never asked yet waits until its age is
 *    backups_sched_first();
 *  - none known: while an older backup (the pilot, accepted at
 *    `pilot_accepted`, polled at least once, next poll `pilot_next`) is
 *    still running, a younger one is most likely running too and waits
 *    until 200 ms after the pilot's next poll (up to an age of 60 s).
 */
uint64_t backups_sched_due(const struct backups_sched *s, uint64_t now,
			   uint64_t accepted, bool polled, bool pilot,
			   uint64_t pilot_accepted, uint64_t pilot_next);

/* What the backups need, given at creation (nothing is reached through a
 * shared context).  Strings and objects must outlive the backups. */
struct backups_opts {
	struct oci_client *client;
	struct tree *tree;
	const struct logger *log;
	const char *name_template; /* NULL: the default */
	/* Vault backups' template (vault_backup_name=); NULL: the default
	 * TARGET_DEFAULT_VAULT_TEMPLATE. */
	const char *vault_name_template;
	const char *endpoint_host; /* host[:port] of an endpoint override */
	/* The Object Storage namespace (cached by the caller).  `err`
	 * NULL: the cached one only, -EAGAIN when not known yet (no call). */
	int (*get_namespace)(void *arg, char *ns, struct oci_error *err);
	/* True once the mount is going away. */
	bool (*exiting)(void *arg);
	void *arg;
	unsigned int trackers; /* tracker threads, 0: 4 */
	/*
	 * The durable record (journal.h), NULL for none.  Every backup of
	 * this mount is recorded there (refusals too); its unfinished entries
	 * are resumed: see backups_new().
	 */
	struct journal *journal;
	/* The whole submission of one write (GetNamespace, ListObjects,
	 * BackupKey and the look at the key after a refusal) must end
	 * within this; 0: BACKUPS_WRITE_TIMEOUT_MS. */
	uint64_t write_timeout_ms;
};

/* Default bound of one write's submission (write_timeout=30). */
#define BACKUPS_WRITE_TIMEOUT_MS 30000

/*
 * With a writable journal, its unfinished entries (backups accepted
 * before the daemon ended) are resumed: each becomes the key's job again
 * (origin "this mount", in_progress, its target, object and work request)
 * as soon as the key is listed, and backups_start() starts a thread that
 * resolves their keys' paths (tree_resolve(), retried while the network
 * fails) so that tracking continues without anybody looking.  Entries
 * that never got BackupKey's answer are closed as "unknown" (a backup
 * that did start then shows as started elsewhere).  A write to such a
 * key's `backup` is EBUSY (BackupInFlight) until the outcome is known.
 */
int backups_new(struct backups **out, const struct backups_opts *opts);
/* Allow / stop the tracker threads (start in the daemon, after fork);
 * stop waits for every tracker to end. */
int backups_start(struct backups *b);
void backups_stop(struct backups *b);
void backups_free(struct backups *b);

/*
 * A write of `len` bytes to a key's backup file.  Returns 0 when the data
 * held no target (comments only) or when BackupKey was accepted, else a
 * negative errno (docs/errors.md), recorded in the key's status.
 *
 * Bounded: every call it makes shares one budget (struct oci_budget) of
 * `write_timeout_ms`; in an outage it fails with the last attempt's errno
 * (ECONNREFUSED, EHOSTUNREACH, ...) once the next retry would pass that
 * bound, or ETIMEDOUT when an answer is still outstanding then.
 * `interrupted(arg)` (may be NULL) is checked between attempts, while
 * sleeping and during transfers: true ends the write with -EINTR (ops.c
 * says true only for a signal that ends the writer).
 *
 * A key seen BACKUP_IN_PROGRESS without a backup of this mount (the
 * listing says so, or BackupKey answered 409 and a fresh GetKey says so)
 * is refused with -EBUSY, and that backup is tracked from then on as one
 * started elsewhere (`status`: in_progress, origin elsewhere, the refusal
 * in `rejected:`).
 */
int backups_submit(struct backups *b, struct tree_node *key, const char *data,
		   size_t len, bool (*interrupted)(void *arg), void *arg);

/* The key's status text (no network). */
int backups_status(struct backups *b, struct tree_node *key, struct buf *out);
/* The same as one JSON object (`status.json`): every line a member, in
 * order; progress, size and last_success_size are numbers. */
int backups_status_json(struct backups *b, struct tree_node *key,
			struct buf *out);

/*
 * Block while a backup of the key is in flight (or may be: a BackupKey
 * without an answer, until the tracker knows); `interrupted(arg)` is
 * polled every 100 ms.  Fills the final status text.  0 when the latest
 * backup did not fail, -EIO when it failed, -ENODATA when it was started
 * elsewhere and ended without an outcome known here, -EINTR when
 * interrupted or the mount is going away.
 */
int backups_wait(struct backups *b, struct tree_node *key,
		 bool (*interrupted)(void *arg), void *arg, struct buf *out);

/*
 * A listing saw key `k` (node `key`): start tracking a backup started
 * elsewhere if it is BACKUP_IN_PROGRESS, and feed key-state tracking.
 */
void backups_observe_key(struct backups *b, struct tree_node *key,
			 const struct oci_key *k);

/* The same for a listed vault (BackupVault in flight elsewhere; resume). */
void backups_observe_vault(struct backups *b, struct tree_node *vault,
			   const struct oci_vault *v);

/*
 * .ocivaultfs/backups: one line per backup in flight or finished:
 * STATE PROGRESS PATH OBJECT SUBMITTED FINISHED WORK_REQUEST KIND, tab-
 * separated, KIND "key-backup" or "vault-backup" (PATH the vault's).
 */
int backups_list(struct backups *b, struct buf *out);

/*
 * The `history` of a key (NULL: .ocivaultfs/history, every key) from the
 * journal (journal_history()); empty without one.  No network, no disk.
 */
int backups_history(struct backups *b, struct tree_node *key, struct buf *out);

struct backups_stats {
	uint64_t in_flight, started, succeeded, failed, rejected, polls;
};
void backups_stats(struct backups *b, struct backups_stats *out);
/* The backups' lines of .ocivaultfs/stats ("name: value"), appended. */
int backups_stats_render(struct backups *b, struct buf *out);

/*
 * The text a read of a key's `backup` shows (what an editor opens): the
 * key, the target forms, the namespace and the object name the template
 * gives now.  The namespace lookup (get_namespace) gets one attempt of
 * at most 10 s; without an answer the text says it is unknown.  `cached`
 * (a stat, for the size): no call, the namespace only if known.  The
 * namespace line is padded to a fixed width, so that the text's length
 * does not depend on whether the namespace is known yet.
 */
int backups_help(struct backups *b, struct tree_node *key, bool cached,
		 struct buf *out);

#endif /* BACKUP_H */
