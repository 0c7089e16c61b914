/* SPDX-License-Identifier: MIT */
/* oci_error: the error value and the errno table; see include/oci_error.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oci_error.h"
#include "banned.h"

void oci_error_clear(struct oci_error *e)
{
	memset(e, 0, sizeof(*e));
}

bool oci_error_is_set(const struct oci_error *e)
{
	/* A 2xx status alone is a success, not a failure. */
	return oci_error_errno(e) != 0;
}

void oci_error_local(struct oci_error *e, int neg_errno, const char *fmt, ...)
{
	va_list ap;

	e->local_errno = neg_errno < 0 ? neg_errno : -EIO;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

static int net_errno(enum oci_net net)
{
	switch (net) {
	case OCI_NET_OK:
		return 0;
	case OCI_NET_TIMEOUT:
		return -ETIMEDOUT;
	case OCI_NET_REFUSED:
		return -ECONNREFUSED;
	case OCI_NET_UNREACHABLE:
	case OCI_NET_RESOLVE:
		return -EHOSTUNREACH;
	case OCI_NET_RESET:
		return -ECONNRESET;
	case OCI_NET_TOOBIG:
		return -EMSGSIZE;
	case OCI_NET_PROTOCOL:
		return -EPROTO;
	case OCI_NET_NOMEM:
		return -ENOMEM;
	case OCI_NET_CANCELLED:
		return -ECANCELED;
	case OCI_NET_TLS:
	case OCI_NET_OTHER:
		break;
	}
	return -EIO;
}

static bool code_is(const struct oci_error *e, const char *code)
{
	return !strcmp(e->code, code);
}

int oci_error_errno(const struct oci_error *e)
{
	int s = e->http_status;

	if (e->net != OCI_NET_OK)
		return net_errno(e->net);
	if (!s)
		return e->local_errno < 0 ? e->local_errno : 0;
	if (s >= 200 && s < 300)
		return e->local_errno < 0 ? e->local_errno : 0;
	switch (s) {
	case 400:
		if (code_is(e, "LimitExceeded") || code_is(e, "QuotaExceeded"))
			return -EDQUOT;
		if (code_is(e, "RelatedResourceNotAuthorizedOrNotFound"))
			return -ENOENT;
		return -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 405:
		return -EOPNOTSUPP;
	case 409:
		if (code_is(e, "NotAuthorizedOrResourceAlreadyExists"))
			return -EEXIST;
		/* A restore's Conflict: the key or vault of the backup
		 * exists. */
		if (code_is(e, "Conflict") &&
		    !strncmp(e->operation, "Restore", 7))
			return -EEXIST;
		return -EBUSY;
	case 412:
		return -ESTALE;
	case 413:
		return -EFBIG;
	case 429:
		return -EAGAIN;
	case 501:
		return -EOPNOTSUPP;
	default:
		break;
	}
	if (s >= 500 && s < 600)
		return -EIO;
	return -EPROTO;
}

const char *oci_error_net_name(enum oci_net net)
{
	switch (net) {
	case OCI_NET_OK:
		return "ok";
	case OCI_NET_TIMEOUT:
		return "timeout";
	case OCI_NET_REFUSED:
		return "connection refused";
	case OCI_NET_UNREACHABLE:
		return "host unreachable";
	case OCI_NET_RESOLVE:
		return "name resolution failed";
	case OCI_NET_TLS:
		return "TLS failure";
	case OCI_NET_RESET:
		return "connection reset";
	case OCI_NET_TOOBIG:
		return "response too large";
	case OCI_NET_PROTOCOL:
		return "protocol error";
	case OCI_NET_NOMEM:
		return "out of memory";
	case OCI_NET_CANCELLED:
		return "cancelled";
	case OCI_NET_OTHER:
		break;
	}
	return "network error";
}

size_t oci_error_format(const struct oci_error *e, char *dst, size_t n)
{
	int len;

	if (!n)
		return 0;
	if (e->net != OCI_NET_OK)
		len = snprintf(dst, n, "%s: %s", oci_error_net_name(e->net),
			       e->message);
	else if (e->http_status)
		len = snprintf(dst, n, "%s (HTTP %d): %s",
			       e->code[0] ? e->code : "HTTPError",
			       e->http_status, e->message);
	else if (e->code[0])
		len = snprintf(dst, n, "%s: %s", e->code, e->message);
	else
		len = snprintf(dst, n, "%s", e->message);
	if (len < 0) {
		dst[0] = '\0';
		return 0;
	}
	if ((size_t)len < n && e->request_id[0])
		len += snprintf(dst + len, n - (size_t)len,
				" [opc-request-id: %s]", e->request_id);
	return (size_t)len < n ? (size_t)len : n - 1;
}
