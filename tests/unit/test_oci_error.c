/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/oci_error.c: every row of the errno table, formatting. */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "oci_error.h"
#include "tap.h"

static void test_transport(void)
{
	static const struct {
		enum oci_net net;
		int err;
		const char *name;
	} v[] = {
		{OCI_NET_TIMEOUT, -ETIMEDOUT, "timeout"},
		{OCI_NET_REFUSED, -ECONNREFUSED, "connection refused"},
		{OCI_NET_UNREACHABLE, -EHOSTUNREACH, "host unreachable"},
		{OCI_NET_RESOLVE, -EHOSTUNREACH, "name resolution failed"},
		{OCI_NET_TLS, -EIO, "TLS failure"},
		{OCI_NET_RESET, -ECONNRESET, "connection reset"},
		{OCI_NET_TOOBIG, -EMSGSIZE, "response too large"},
		{OCI_NET_PROTOCOL, -EPROTO, "protocol error"},
		{OCI_NET_NOMEM, -ENOMEM, "out of memory"},
		{OCI_NET_CANCELLED, -ECANCELED, "cancelled"},
		{OCI_NET_OTHER, -EIO, "network error"},
	};
	struct oci_error e;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		oci_error_clear(&e);
		e.net = v[i].net;
		is_int(oci_error_errno(&e), v[i].err, "transport '%s' -> %d",
		       v[i].name, v[i].err);
		is_str(oci_error_net_name(v[i].net), v[i].name,
		       "name of transport failure %d", (int)v[i].net);
		ok(oci_error_is_set(&e), "transport '%s' is a failure",
		   v[i].name);
		/* The transport failure wins over any status left behind. */
		e.http_status = 404;
		e.local_errno = -EINVAL;
		is_int(oci_error_errno(&e), v[i].err,
		       "transport '%s' wins over status and local errno",
		       v[i].name);
	}
	is_str(oci_error_net_name(OCI_NET_OK), "ok", "name of OCI_NET_OK");
}

static void test_http(void)
{
	static const struct {
		int status;
		const char *code;
		int err;
	} v[] = {
		{400, "InvalidParameter", -EINVAL},
		{400, "MissingParameter", -EINVAL},
		{400, "CannotParseRequest", -EINVAL},
		{400, "", -EINVAL},
		{400, "LimitExceeded", -EDQUOT},
		{400, "QuotaExceeded", -EDQUOT},
		{400, "RelatedResourceNotAuthorizedOrNotFound", -ENOENT},
		{400, "limitexceeded", -EINVAL},
		{401, "NotAuthenticated", -EACCES},
		{401, "", -EACCES},
		{402, "SignUpRequired", -EPROTO},
		{403, "NotAuthorized", -EACCES},
		{403, "NotAllowed", -EACCES},
		{403, "SignUpRequired", -EACCES},
		{404, "NotAuthorizedOrNotFound", -ENOENT},
		{404, "NotFound", -ENOENT},
		{404, "NamespaceNotFound", -ENOENT},
		{404, "", -ENOENT},
		{405, "MethodNotAllowed", -EOPNOTSUPP},
		{409, "Conflict", -EBUSY},
		{409, "IncorrectState", -EBUSY},
		{409, "LockConflict", -EBUSY},
		{409, "InvalidatedRetryToken", -EBUSY},
		{409, "ExternalServerIncorrectState", -EBUSY},
		{409, "NotAuthorizedOrResourceAlreadyExists", -EEXIST},
		{409, "", -EBUSY},
		{412, "NoEtagMatch", -ESTALE},
		{413, "", -EFBIG},
		{429, "TooManyRequests", -EAGAIN},
		{500, "InternalServerError", -EIO},
		{501, "MethodNotImplemented", -EOPNOTSUPP},
		{502, "", -EIO},
		{503, "ServiceUnavailable", -EIO},
		{504, "", -EIO},
		{599, "", -EIO},
		{100, "", -EPROTO},
		{301, "", -EPROTO},
		{304, "", -EPROTO},
		{399, "", -EPROTO},
		{406, "", -EPROTO},
		{410, "", -EPROTO},
		{418, "", -EPROTO},
		{499, "", -EPROTO},
		{600, "", -EPROTO},
		{999, "", -EPROTO},
		{200, "", 0},
		{201, "", 0},
		{204, "", 0},
		{299, "", 0},
	};
	struct oci_error e;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		oci_error_clear(&e);
		e.http_status = v[i].status;
		buf_copy(e.code, sizeof(e.code), v[i].code);
		is_int(oci_error_errno(&e), v[i].err, "HTTP %d '%s' -> %d",
		       v[i].status, v[i].code, v[i].err);
		is_int(oci_error_is_set(&e), v[i].err != 0,
		       "HTTP %d '%s' is %sa failure", v[i].status, v[i].code,
		       v[i].err ? "" : "not ");
	}
	/* A restore's Conflict: the key or vault of the backup exists. */
	oci_error_clear(&e);
	e.http_status = 409;
	buf_copy(e.code, sizeof(e.code), "Conflict");
	buf_copy(e.operation, sizeof(e.operation), "RestoreKeyFromFile");
	is_int(oci_error_errno(&e), -EEXIST, "restore 409 Conflict -> EEXIST");
	buf_copy(e.code, sizeof(e.code), "IncorrectState");
	is_int(oci_error_errno(&e), -EBUSY,
	       "restore 409 IncorrectState -> EBUSY");
	buf_copy(e.code, sizeof(e.code), "Conflict");
	buf_copy(e.operation, sizeof(e.operation), "BackupKey");
	is_int(oci_error_errno(&e), -EBUSY, "backup 409 Conflict -> EBUSY");
}

static void test_local(void)
{
	struct oci_error e;
	char longmsg[2000];

	oci_error_clear(&e);
	is_int(oci_error_errno(&e), 0, "cleared: errno 0");
	ok(!oci_error_is_set(&e), "cleared: no failure");
	oci_error_local(&e, -EINVAL, "bad %s '%d'", "thing", 7);
	is_int(e.local_errno, -EINVAL, "local: errno stored");
	is_str(e.message, "bad thing '7'", "local: message formatted");
	is_int(oci_error_errno(&e), -EINVAL, "local: errno returned");
	ok(oci_error_is_set(&e), "local: a failure");
	ok(e.http_status == 0 && e.net == OCI_NET_OK,
	   "local: no status, no transport failure");

	oci_error_clear(&e);
	oci_error_local(&e, EPERM, "positive");
	is_int(e.local_errno, -EIO, "local: a positive errno becomes -EIO");
	oci_error_clear(&e);
	oci_error_local(&e, 0, "zero");
	is_int(oci_error_errno(&e), -EIO, "local: errno 0 becomes -EIO");

	/* An undecodable 2xx body is reported through local_errno. */
	oci_error_clear(&e);
	e.http_status = 200;
	e.local_errno = -EPROTO;
	is_int(oci_error_errno(&e), -EPROTO, "200 + local -EPROTO -> -EPROTO");
	ok(oci_error_is_set(&e), "200 + local -EPROTO is a failure");
	e.http_status = 503;
	is_int(oci_error_errno(&e), -EIO, "503 + local errno: the table wins");

	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	oci_error_clear(&e);
	oci_error_local(&e, -EIO, "%s", longmsg);
	is_int(strlen(e.message), sizeof(e.message) - 1,
	       "local: long message cut to the field");
}

static void fill(struct oci_error *e, int status, const char *code,
		 const char *msg, const char *rid)
{
	oci_error_clear(e);
	e->http_status = status;
	buf_copy(e->code, sizeof(e->code), code);
	buf_copy(e->message, sizeof(e->message), msg);
	buf_copy(e->request_id, sizeof(e->request_id), rid);
}

static void test_format(void)
{
	struct oci_error e;
	char out[1024], small[16];
	size_t n;
	const char *want;

	fill(&e, 404, "NotAuthorizedOrNotFound",
	     "Authorization failed or requested resource not found.", "7A3F");
	want = "NotAuthorizedOrNotFound (HTTP 404): Authorization failed or "
	       "requested resource not found. [opc-request-id: 7A3F]";
	n = oci_error_format(&e, out, sizeof(out));
	is_str(out, want, "format: HTTP error with request id");
	is_int(n, strlen(want), "format: returns the length");

	fill(&e, 503, "", "HTTP 503 without an error body", "");
	oci_error_format(&e, out, sizeof(out));
	is_str(out, "HTTPError (HTTP 503): HTTP 503 without an error body",
	       "format: no code, no request id");

	fill(&e, 0, "", "Connection timed out after 10001 milliseconds", "RID");
	e.net = OCI_NET_TIMEOUT;
	oci_error_format(&e, out, sizeof(out));
	is_str(out,
	       "timeout: Connection timed out after 10001 milliseconds "
	       "[opc-request-id: RID]",
	       "format: transport failure");

	fill(&e, 0, "", "profile has no valid tenancy OCID", "");
	e.local_errno = -EINVAL;
	oci_error_format(&e, out, sizeof(out));
	is_str(out, "profile has no valid tenancy OCID", "format: local error");

	fill(&e, 409, "IncorrectState", "Key is busy", "R1");
	want = "IncorrectState (HTTP 409): Key is busy [opc-request-id: R1]";
	n = oci_error_format(&e, out, strlen(want) + 1);
	is_str(out, want, "format: exact fit");
	is_int(n, strlen(want), "format: exact fit length");
	n = oci_error_format(&e, out, strlen(want));
	is_int(n, strlen(want) - 1, "format: one short: cut");
	ok(!strncmp(out, want, n) && out[n] == '\0', "format: cut prefix");
	n = oci_error_format(&e, small, sizeof(small));
	is_int(n, sizeof(small) - 1, "format: tiny buffer: n - 1");
	is_str(small, "IncorrectState ", "format: tiny buffer: prefix");
	n = oci_error_format(&e, small, 1);
	ok(n == 0 && small[0] == '\0', "format: n 1 gives \"\"");
	memcpy(small, "keep", 5);
	n = oci_error_format(&e, small, 0);
	ok(n == 0 && !strcmp(small, "keep"), "format: n 0 writes nothing");
}

int main(void)
{
	test_transport();
	test_http();
	test_local();
	test_format();
	return done_testing();
}
