/* SPDX-License-Identifier: MIT */
/*
 * oci: the OCI REST client (Identity, KMS, Work Requests, Object Storage).
 * No FUSE code; usable from any program.
 *
 * A client combines a signer (sign.h), an HTTP client (http.h), the rate
 * limiter (ratelimit.h) and the retry policy (retry.h).  Each call:
 *   1. takes a token of its rate-limit category,
 *   2. sends the request with a fresh opc-request-id (32 chars [0-9A-Z]),
 *   3. on failure asks the retry policy, sleeps (cancellable) and retries;
 *      POST calls carry an opc-retry-token (the caller's, or a generated
 *      one) reused by every retry, and are not retried on 409: for a
 *      backup or restore, IncorrectState means the key or vault is in a
 *      state (being backed up, pending deletion) that lasts minutes, so
 *      the caller hears about it at once,
 *   4. decodes the body into typed structs (model.h),
 *   5. follows opc-next-page to the end for list calls (page size
 *      `page_limit`), within `max_pages`, `max_entries` and
 *      `max_listing_bytes` (-EFBIG beyond).  Bad entries of a page are skipped (model.h, "Lists")
 *      and logged, at most once a minute per operation, at LOG_WARNING.
 * On failure a call returns a negative errno (oci_error_errno() of `err`)
 * and fills `err`; on success `err` is cleared.  `err` may be NULL.
 *
 * Endpoints: Identity, KMS control plane, Work Requests and Object Storage
 * from the profile's region (region.h) or all at the `endpoint` override.
 * Key operations take the vault's managementEndpoint verbatim.
 *
 * Thread safety: one client serves all threads.  oci_client_cancel() makes
 * every sleep and transfer of the client fail promptly with -ECANCELED
 * (used at unmount); it cannot be undone.
 */
#ifndef OCI_H
#define OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "log.h"
#include "model.h"
#include "oci_error.h"
#include "ratelimit.h"
#include "region.h"
#include "retry.h"

struct oci_client;
struct profile;

/*
 * Default limits of one listing: 1,000 pages, 100,000 entries (twice a
 * vault of 50,000 keys).
 */
#define OCI_DEFAULT_MAX_PAGES 1000u
#define OCI_DEFAULT_MAX_ENTRIES 100000u
/*
 * And at most 256 MiB of decoded records (a KeySummary takes 2.7 KB, a
 * VaultSummary 6.4 KB, plus its JSON): ~85,000 keys, ~38,000 vaults.
 */
#define OCI_DEFAULT_MAX_LISTING_BYTES (256u << 20)

struct oci_client_opts {
	const char *endpoint; /* base URL for non-vault services, or NULL */
	const char *ca_file; /* PEM CA bundle, or NULL for the system's */
	long connect_timeout_ms; /* 0: 10 s */
	long timeout_ms; /* 0: 60 s */
	size_t max_response; /* 0: OVFS_RESPONSE_MAX */
	struct retry_policy retry; /* zeroed: RETRY_POLICY_DEFAULT */
	/* Rate per category (0 = unlimited); rates_set false: defaults. */
	double rates[RATELIMIT_NCAT];
	bool rates_set;
	double burst; /* 0: RATELIMIT_DEFAULT_BURST */
	unsigned int page_limit; /* 0: 100 */
	/*
	 * Hard limits of one list call (all its pages): more pages or more
	 * entries fail the call with -EFBIG (local_errno), what it had
	 * appended is freed.  0: the defaults below.
	 */
	unsigned int max_pages; /* 0: OCI_DEFAULT_MAX_PAGES */
	size_t max_entries; /* 0: OCI_DEFAULT_MAX_ENTRIES */
	/* entries x record size + response bytes; 0: the default */
	size_t max_listing_bytes;
	/*
	 * A list call (all its pages and retries) that has taken this long
	 * fails with -ETIMEDOUT, its partial list freed: checked before each
	 * page and before each retry's sleep.  0: no bound.
	 */
	uint64_t list_timeout_ms;
	const struct logger *log;
	const struct clock *clock; /* NULL: system clock (cancellable) */
	crypto_passphrase_fn ask_passphrase; /* NULL: never ask */
	void *ask_arg;
	bool trace; /* log every request at LOG_DEBUG, redacted */
	bool allow_http; /* tests only, see http.h */
};

/* Operations, for statistics and rate-limit categories. */
enum oci_op {
	OCI_OP_GET_TENANCY,
	OCI_OP_LIST_COMPARTMENTS,
	OCI_OP_GET_COMPARTMENT,
	OCI_OP_LIST_VAULTS,
	OCI_OP_GET_VAULT,
	OCI_OP_LIST_KEYS,
	OCI_OP_GET_KEY,
	OCI_OP_LIST_KEY_VERSIONS,
	OCI_OP_BACKUP_KEY,
	OCI_OP_BACKUP_VAULT,
	OCI_OP_RESTORE_KEY_OBJECT_STORE,
	OCI_OP_RESTORE_KEY_FILE,
	OCI_OP_RESTORE_VAULT_OBJECT_STORE,
	OCI_OP_RESTORE_VAULT_FILE,
	OCI_OP_GET_WORK_REQUEST,
	OCI_OP_LIST_WORK_REQUEST_ERRORS,
	OCI_OP_GET_NAMESPACE,
	OCI_OP_LIST_BUCKETS,
	OCI_OP_HEAD_OBJECT,
	OCI_OP_LIST_OBJECTS,
	OCI_OP_LIST_WORK_REQUESTS,
	OCI_OP_COUNT
};

/* "BackupKey", ... (the OCI operation names). */
const char *oci_op_name(enum oci_op op);
enum ratelimit_category oci_op_category(enum oci_op op);

struct oci_stats {
	uint64_t calls[OCI_OP_COUNT]; /* logical calls (pages count once) */
	uint64_t
		requests[OCI_OP_COUNT]; /* HTTP requests incl. pages, retries */
	uint64_t failures[OCI_OP_COUNT]; /* calls that failed in the end */
	uint64_t retries; /* extra attempts */
	uint64_t throttled; /* 429 responses */
	uint64_t connections; /* new connections opened */
	uint64_t rl_waits; /* requests delayed by the limiter */
};

/*
 * Create a client for a loaded profile (copied; the profile may be released
 * afterwards).  Loads the private key (asking for a pass phrase through
 * opts->ask_passphrase if needed) and resolves the region.  On failure
 * `err` holds a one-line reason (local_errno set).
 */
int oci_client_new(struct oci_client **out, const struct profile *prof,
		   const struct oci_client_opts *opts, struct oci_error *err);
void oci_client_free(struct oci_client *c);

void oci_client_cancel(struct oci_client *c);

/*
 * Replace the retry policy (e.g. a quick one for a start-up check).  Not
 * synchronized: call it only while no other thread uses the client.
 */
void oci_client_set_retry(struct oci_client *c, const struct retry_policy *p);
/*
 * The message of a call refused because of the session token: OCI
 * answered 401 while a security_token_file profile was in use (the
 * message then adds OCI's, in parentheses), or the token's JWT "exp" is
 * past (local failure -EKEYEXPIRED, nothing sent).  Also logged (notice),
 * at most once a minute.
 */
#define OCI_SESSION_EXPIRED "session expired: run `oci session authenticate`"

/* True when the client signs with a session token. */
bool oci_client_is_session(const struct oci_client *c);
/* The session token's JWT "exp" (seconds), 0 when unknown or no session. */
int64_t oci_client_session_exp(struct oci_client *c);

const char *oci_client_tenancy(const struct oci_client *c);
const struct region_info *oci_client_region(const struct oci_client *c);
/* Base URL used for a service (after override). */
const char *oci_client_endpoint(const struct oci_client *c,
				enum region_service svc);
void oci_client_stats(struct oci_client *c, struct oci_stats *out);
/* The client's lines of .ocivaultfs/stats ("name: value"), appended. */
int oci_client_stats_render(struct oci_client *c, struct buf *out);
/* The client's clock (for callers that schedule with the same time). */
const struct clock *oci_client_clock(const struct oci_client *c);

/*
 * A budget for the calls one thread makes next: a deadline for all of
 * them together, a cap on attempts and on each retry sleep, an interrupt
 * check, and a callback told about every failed attempt that is about to
 * be retried.  The write of a `backup` file gives its whole submission
 * (GetNamespace, ListObjects, BackupKey) one budget, so that an outage
 * fails it within a bound instead of the retry chain's minutes; the
 * trackers give each poll a short one, so that a failing poll is known
 * (and shown) at once and retried on their own schedule.
 *
 * oci_budget_enter() makes `b` the budget of the calling thread's calls
 * of client `c` until oci_budget_leave(); `b` must live until then and
 * is not copied (its `expired`/`interrupted_seen` outputs are written by
 * the calls).  It is per thread (libcurl runs a transfer on the calling
 * thread, so the transfer's progress callback sees the same budget), not
 * per client: other threads are not affected.  Budgets do not nest: enter
 * replaces, leave clears.
 *
 * With a budget:
 *  - before each attempt and while sleeping between attempts (in slices
 *    of at most 100 ms), `interrupted(arg)` true ends the call with
 *    -EINTR (err: local_errno -EINTR, "interrupted"); during a transfer
 *    it aborts it (polled by curl's progress callback, about once a
 *    second, more often while data flows);
 *  - a retry whose sleep would end past the deadline is not made: the
 *    call fails with the last attempt's error (so an outage is
 *    ECONNREFUSED, EHOSTUNREACH, ...); a transfer still running at the
 *    deadline is aborted and the call fails with -ETIMEDOUT (net
 *    OCI_NET_TIMEOUT, "no answer within the time budget"), `expired` set;
 *    a call ended before an attempt was sent has err->attempts = the
 *    attempts really made (0 when none);
 *  - `max_attempts` (0: the policy's) and `max_delay_ms` (0: the
 *    policy's cap) narrow the client's retry policy;
 *  - `on_retry(arg, err, attempt, delay_ms)` is called (no lock held by
 *    the client) after attempt `attempt` failed with `err`, before the
 *    sleep of `delay_ms`.  It must not call the client.
 * Times are on the client's clock (oci_client_clock()).
 */
struct oci_budget {
	uint64_t deadline_ms; /* client clock; 0: none */
	unsigned int max_attempts; /* 0: the policy's */
	uint64_t max_delay_ms; /* 0: the policy's */
	bool (*interrupted)(void *arg); /* NULL: never */
	void (*on_retry)(void *arg, const struct oci_error *err,
			 unsigned int attempt, uint64_t delay_ms);
	void *arg;
	bool expired; /* out: the deadline cut a call short */
};

void oci_budget_enter(struct oci_client *c, struct oci_budget *b);
void oci_budget_leave(struct oci_client *c);
/*
 * For a wait outside the client that a call of the same thread would make
 * (e.g. for another thread's call to end): 0 while the thread's budget
 * allows going on, -EINTR once `interrupted` says so, -ETIMEDOUT past the
 * deadline, -ECANCELED after oci_client_cancel().  0 without a budget.
 */
int oci_budget_check(struct oci_client *c);

/* Response metadata of action calls (BackupKey, restores). */
struct oci_action_result {
	char etag[OVFS_ETAG_MAX];
	char request_id[OVFS_REQID_MAX];
	char work_request_id[OVFS_OCID_MAX]; /* "" when absent */
	char content_md5[64]; /* opc-content-md5, restores */
};

/* Identity */
int oci_get_tenancy(struct oci_client *c, const char *tenancy_id,
		    struct oci_tenancy *out, struct oci_error *err);
/*
 * `access_level`: NULL (service default ANY), "ANY" or "ACCESSIBLE";
 * `subtree` only for the tenancy as parent.  Appends to `out`.
 */
int oci_list_compartments(struct oci_client *c, const char *parent_id,
			  bool subtree, const char *access_level,
			  struct oci_compartment_list *out,
			  struct oci_error *err);
int oci_get_compartment(struct oci_client *c, const char *compartment_id,
			struct oci_compartment *out, struct oci_error *err);

/* KMS control plane */
int oci_list_vaults(struct oci_client *c, const char *compartment_id,
		    struct oci_vault_list *out, struct oci_error *err);
int oci_get_vault(struct oci_client *c, const char *vault_id,
		  struct oci_vault *out, struct oci_error *err);
int oci_backup_vault(struct oci_client *c, const char *vault_id,
		     const struct oci_backup_location *loc, bool include_keys,
		     const char *retry_token, const char *if_match,
		     struct oci_vault *out, struct oci_action_result *res,
		     struct oci_error *err);

/*
 * RestoreVaultFromObjectStore / RestoreVaultFromFile: a vault backup
 * restored into compartment `compartment_id` (the KMS control plane).
 * The file form sends the bytes as they are, with content-md5.
 */
int oci_restore_vault_from_object_store(
	struct oci_client *c, const char *compartment_id,
	const struct oci_backup_location *loc, const char *retry_token,
	const char *if_match, struct oci_vault *out,
	struct oci_action_result *res, struct oci_error *err);
int oci_restore_vault_from_file(struct oci_client *c,
				const char *compartment_id, const void *data,
				size_t len, const char *retry_token,
				const char *if_match, struct oci_vault *out,
				struct oci_action_result *res,
				struct oci_error *err);

/* KMS management endpoint (`mgmt` = the vault's managementEndpoint) */
int oci_list_keys(struct oci_client *c, const char *mgmt,
		  const char *compartment_id, struct oci_key_list *out,
		  struct oci_error *err);
/* `etag` (size OVFS_ETAG_MAX) may be NULL. */
int oci_get_key(struct oci_client *c, const char *mgmt, const char *key_id,
		struct oci_key *out, char *etag, struct oci_error *err);
int oci_list_key_versions(struct oci_client *c, const char *mgmt,
			  const char *key_id, struct oci_key_version_list *out,
			  struct oci_error *err);
/*
 * BackupKey.  `retry_token` NULL: one is generated (and reused by retries);
 * `if_match` may be NULL.  `out` gets the returned Key.
 */
int oci_backup_key(struct oci_client *c, const char *mgmt, const char *key_id,
		   const struct oci_backup_location *loc,
		   const char *retry_token, const char *if_match,
		   struct oci_key *out, struct oci_action_result *res,
		   struct oci_error *err);
int oci_restore_key_from_object_store(struct oci_client *c, const char *mgmt,
				      const struct oci_backup_location *loc,
				      const char *retry_token,
				      const char *if_match, struct oci_key *out,
				      struct oci_action_result *res,
				      struct oci_error *err);
/* Raw backup bytes as body, with content-md5. */
int oci_restore_key_from_file(struct oci_client *c, const char *mgmt,
			      const void *data, size_t len,
			      const char *retry_token, const char *if_match,
			      struct oci_key *out,
			      struct oci_action_result *res,
			      struct oci_error *err);

/* Work Requests */
int oci_get_work_request(struct oci_client *c, const char *wr_id,
			 struct oci_work_request *out, struct oci_error *err);
int oci_list_work_request_errors(struct oci_client *c, const char *wr_id,
				 struct oci_wr_error_list *out,
				 struct oci_error *err);

/*
 * ListWorkRequests of a compartment (required), of one resource
 * (`resource_id`, e.g. a key OCID; NULL: all), newest first as the service
 * sorts them; every page.  Appends WorkRequestSummary records (no
 * resources) to `out`.  Used to learn the outcome of a backup started
 * elsewhere, whose work request id we never saw.
 */
int oci_list_work_requests(struct oci_client *c, const char *compartment_id,
			   const char *resource_id,
			   struct oci_work_request_list *out,
			   struct oci_error *err);

/* Object Storage */
/* `compartment_id` may be NULL. `ns` has size OVFS_NS_MAX. */
int oci_get_namespace(struct oci_client *c, const char *compartment_id,
		      char *ns, struct oci_error *err);
int oci_list_buckets(struct oci_client *c, const char *ns,
		     const char *compartment_id, struct oci_bucket_list *out,
		     struct oci_error *err);

struct oci_object_head {
	int64_t content_length;
	char etag[OVFS_ETAG_MAX];
	char content_md5[64];
	char last_modified[64];
};
int oci_head_object(struct oci_client *c, const char *ns, const char *bucket,
		    const char *object, struct oci_object_head *out,
		    struct oci_error *err);

/*
 * One page of ListObjects in bucket `bucket` with fields name, size and
 * timeCreated: objects whose names start with `prefix` (NULL: any) and
 * sort at or after `start` (NULL: from the first), at most `limit`
 * (1..1000).  Appends to `out`; `next` (size OVFS_OBJECT_MAX) gets the
 * name to start the next page with, "" at the end.  Malformed entries are
 * skipped.  A missing bucket is -ENOENT with code BucketNotFound.
 */
int oci_list_objects(struct oci_client *c, const char *ns, const char *bucket,
		     const char *prefix, const char *start, unsigned int limit,
		     struct oci_object_list *out, char *next,
		     struct oci_error *err);

#endif /* OCI_H */
