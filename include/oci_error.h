/* SPDX-License-Identifier: MIT */
/*
 * oci_error: the one error value of the OCI client, and the one place where
 * OCI and transport failures become an errno.
 *
 * Every client call that fails fills a `struct oci_error` with what is known:
 * the HTTP status and OCI error `code`/`message` of the response, the
 * `opc-request-id` that Oracle support asks for, or the transport failure
 * (timeout, refused, TLS...) when no response arrived.  The filesystem
 * copies it into `status` files and logs; it never holds a secret.
 *
 * oci_error_errno() is the errno table of docs/errors.md; no other code
 * turns HTTP statuses, OCI codes or curl results into errno values.
 */
#ifndef OCI_ERROR_H
#define OCI_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "ocivaultfs.h"

/* Transport-level failure, when no usable HTTP response was received. */
enum oci_net {
	OCI_NET_OK = 0,
	OCI_NET_TIMEOUT, /* connect or total timeout */
	OCI_NET_REFUSED, /* connection refused */
	OCI_NET_UNREACHABLE, /* host/network unreachable, no route */
	OCI_NET_RESOLVE, /* DNS failure */
	OCI_NET_TLS, /* TLS handshake or certificate verification */
	OCI_NET_RESET, /* connection reset, or closed mid-response */
	OCI_NET_TOOBIG, /* response larger than the configured cap */
	OCI_NET_PROTOCOL, /* malformed HTTP, truncated body */
	OCI_NET_NOMEM, /* out of memory while talking */
	OCI_NET_CANCELLED, /* cancelled (unmount, interrupt) */
	OCI_NET_OTHER,
};

/*
 * Client-side failures that are not from the service and not transport:
 * they carry http_status 0, net OCI_NET_OK, and `local_errno` set (for
 * example -EPROTO for an undecodable 2xx body, -EINVAL for bad arguments).
 */
struct oci_error {
	int http_status; /* 0 when no HTTP response */
	enum oci_net net; /* OCI_NET_OK when a response came */
	int local_errno; /* negative errno, or 0 */
	char code[OVFS_ERRCODE_MAX]; /* OCI "code", e.g. "IncorrectState" */
	char message[OVFS_ERRMSG_MAX]; /* OCI "message" or transport text */
	char request_id[OVFS_REQID_MAX]; /* opc-request-id (returned or sent) */
	char operation[48]; /* "BackupKey", ... */
	int attempts; /* attempts made, retries included */
};

/* Empty error (no failure). */
void oci_error_clear(struct oci_error *e);

/* True when `e` records a failure. */
bool oci_error_is_set(const struct oci_error *e);

/* Record a local failure with a printf-style message. */
void oci_error_local(struct oci_error *e, int neg_errno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The errno table (docs/errors.md).  Returns a negative errno for any
 * recorded failure and 0 for none:
 *   transport: timeout -ETIMEDOUT, refused -ECONNREFUSED, unreachable and
 *   DNS -EHOSTUNREACH, TLS -EIO, reset -ECONNRESET, too big -EMSGSIZE,
 *   protocol -EPROTO, no memory -ENOMEM, cancelled -ECANCELED;
 *   HTTP: 400 -EINVAL (LimitExceeded/QuotaExceeded -EDQUOT,
 *   RelatedResourceNotAuthorizedOrNotFound -ENOENT), 401 -EACCES,
 *   403 -EACCES, 404 -ENOENT, 405 -EOPNOTSUPP, 409 -EBUSY
 *   (NotAuthorizedOrResourceAlreadyExists -EEXIST, and Conflict of a
 *   Restore* operation: the key or vault exists), 412 -ESTALE,
 *   413 -EFBIG, 429 -EAGAIN, 501 -EOPNOTSUPP, other 5xx -EIO,
 *   anything else -EPROTO.
 */
int oci_error_errno(const struct oci_error *e);

/* Short name of a transport failure ("timeout", "refused", ...). */
const char *oci_error_net_name(enum oci_net net);

/*
 * One line for logs and status files:
 *   "<code> (HTTP <status>): <message> [opc-request-id: <id>]"
 * or for transport failures "<net>: <message> [opc-request-id: <id>]",
 * or for local failures "[<code>: ]<message>".
 * Always NUL-terminates; returns the length written.
 */
size_t oci_error_format(const struct oci_error *e, char *dst, size_t n);

#endif /* OCI_ERROR_H */
