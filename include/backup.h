/* SPDX-License-Identifier: MIT */
/*
 * backup: BackupKey submissions, the tracking of backups in flight, and
 * the text of `status`, `wait` and .ocivaultfs/backups
 * (docs/ocivaultfs.md, "status" and "wait").
 *
 * One job per key (by OCID) holds the latest backup of that key.  States:
 *
 *   none -> submitting -> accepted -> in_progress -> succeeded | failed
 *                      \-> failed (refused, no API call or API error)
 *
 * A write to `backup` runs backups_submit(): it parses the target, checks
 * eligibility, calls BackupKey once (one opc-retry-token reused by the
 * client's retries) and returns when OCI accepted or refused it.
 *
 * A tracker thread polls jobs in flight: GetWorkRequest for progress; when
 * the Work Requests API does not know the work request (404) it falls back
 * to the key's lifecycle state, polling all such jobs of one vault and
 * compartment with one ListKeys call.  Poll intervals start at 1 s and
 * grow by half up to 15 s.  When a bucket backup ends, HeadObject confirms
 * the object and its size.  Keys seen in BACKUP_IN_PROGRESS without a job
 * of this mount (a backup started elsewhere) get a job with origin
 * "elsewhere", tracked through the key state.
 *
 * Reading status never touches the network.  Locking: one mutex for the
 * job table and all jobs; a condition variable wakes `wait` readers and
 * the tracker.  No lock is held during API calls.
 */
#ifndef BACKUP_H
#define BACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "model.h"
#include "oci_error.h"

struct ovfs;
struct tree_node;
struct backups;

enum bk_state {
	BK_NONE,
	BK_SUBMITTING,
	BK_ACCEPTED,
	BK_IN_PROGRESS,
	BK_SUCCEEDED,
	BK_FAILED,
};

enum bk_origin {
	BK_ORIGIN_MOUNT,     /* started by a write on this mount */
	BK_ORIGIN_ELSEWHERE, /* seen in BACKUP_IN_PROGRESS when listed */
};

/* Everything `status` shows; plain data, rendered by bk_status_render(). */
struct bk_status {
	enum bk_state state;
	enum bk_origin origin;
	double progress;           /* percent; < 0 unknown */
	char target[OVFS_URL_MAX]; /* redacted */
	char object[OVFS_NS_MAX + OVFS_BUCKET_MAX + OVFS_OBJECT_MAX];
	int64_t object_size;       /* < 0 unknown */
	bool object_unverified;    /* PAR target: cannot be checked */
	char work_request[OVFS_OCID_MAX];
	char request_id[OVFS_REQID_MAX];
	int64_t submitted, started, finished; /* wall seconds, 0 unknown */
	char key_state[OVFS_ENUM_MAX];
	bool tracking_by_key_state; /* work request API unavailable */
	struct oci_error error;     /* when failed */
	int error_errno;            /* negative errno of the failure */
	char eligible[256];         /* "" eligible, else the reason */
	char rejected[512];         /* last refused write while in flight */
	int64_t rejected_at;
	char note[256];
};

/* True for submitting, accepted and in_progress. */
bool bk_in_flight(enum bk_state s);
const char *bk_state_name(enum bk_state s);

/*
 * Render `s` as the `status` file text: "name: value" lines, state first.
 * Appends to `out`.  Pure; unit-tested.
 */
int bk_status_render(const struct bk_status *s, struct buf *out);

/*
 * Why a key cannot be backed up, from its vault type, protection mode and
 * lifecycle state; "" when it can.  Pure.
 */
void bk_eligibility(const char *vault_type, const char *protection_mode,
		    const char *key_state, char *why, size_t n);

int backups_new(struct backups **out, struct ovfs *o);
/* Start / stop the tracker thread (start in the daemon, after fork). */
int backups_start(struct backups *b);
void backups_stop(struct backups *b);
void backups_free(struct backups *b);

/*
 * A write of `len` bytes to a key's backup file.  Returns 0 when the data
 * held no target (comments only) or when BackupKey was accepted, else a
 * negative errno (docs/errors.md), recorded in the key's status.
 */
int backups_submit(struct backups *b, struct tree_node *key, const char *data,
		   size_t len);

/* The key's status text (no network). */
int backups_status(struct backups *b, struct tree_node *key, struct buf *out);

/*
 * Block while a backup of the key is in flight; `interrupted(arg)` is
 * polled every 100 ms.  Fills the final status text.  0 when the latest
 * backup did not fail, -EIO when it failed, -EINTR when interrupted or the
 * mount is going away.
 */
int backups_wait(struct backups *b, struct tree_node *key,
		 bool (*interrupted)(void *arg), void *arg, struct buf *out);

/*
 * A listing saw key `k` (node `key`): start tracking a backup started
 * elsewhere if it is BACKUP_IN_PROGRESS, and feed key-state tracking.
 */
void backups_observe_key(struct backups *b, struct tree_node *key,
			 const struct oci_key *k);

/* .ocivaultfs/backups: one line per backup in flight or finished. */
int backups_list(struct backups *b, struct buf *out);

struct backups_stats {
	uint64_t in_flight, started, succeeded, failed, rejected, polls;
};
void backups_stats(struct backups *b, struct backups_stats *out);

#endif /* BACKUP_H */
