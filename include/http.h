/* SPDX-License-Identifier: MIT */
/*
 * http: the HTTP layer; the only module that includes <curl/curl.h>.
 *
 * Connection reuse: a client keeps a pool of curl easy handles and one curl
 * share object that shares the DNS cache and TLS sessions between them
 * (protected by a mutex per shared data kind).  Connections are NOT put in
 * the share: libcurl does not support a connection cache used by concurrent
 * threads (CURLSHOPT_SHARE(3); KNOWN_BUGS "A shared connection cache is not
 * thread-safe").  Each handle keeps its own keep-alive connections instead,
 * and a request borrows the idle handle that last talked to the same origin
 * (or any idle one, or a new one if all are busy: no fixed limit), so any
 * thread reuses any idle keep-alive connection.  Handles go back to the
 * pool after the request; beyond 16 idle ones a returned handle is closed,
 * so that a burst of concurrent requests does not leave its connections
 * (and their memory) behind.  HTTP/1.1 only (no HTTP/2 multiplexing).
 *
 * Security: TLS peer and host verification are always on and cannot be
 * turned off (TLS 1.2 or later); `ca_file` replaces the whole trust store
 * (curl's compiled-in CA file and directory are not used then).  Only
 * https:// URLs are accepted, except http:// to 127.0.0.1, localhost or
 * [::1] when `allow_http` is set (tests only).  Redirects are not followed.
 * Response bodies over the cap abort the transfer (OCI_NET_TOOBIG); so do
 * more than 64 response headers or 64 KiB of them, or a malformed header
 * line (OCI_NET_PROTOCOL).  Proxies come from the usual environment
 * variables (https_proxy, no_proxy), never for loopback addresses.  The
 * debug trace is one line per request,
 *   "METHOD scheme://host[:port]/path?query -> 200 (12 ms, reused connection)"
 * with the PAR token that follows "/p/" replaced by three asterisks, and
 * never a header or a body.
 *
 * Signing: when a request has a `sign` hook, http_perform() works out the
 * exact request-target and Host of the URL it sends (curl's URL API), the
 * Date header from the client's clock, and calls the hook; it then sends
 * Date, Host, Authorization and, for body requests, Content-Length,
 * Content-Type and x-content-sha256 exactly as signed.  POST and PUT always
 * carry Content-Length (also 0) and Content-Type, signed or not.
 *
 * Thread safety: a client may be used from any number of threads.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "oci_error.h"
#include "ocivaultfs.h"
#include "sign.h"

struct http_client;

struct http_client_opts {
	const char *ca_file; /* PEM bundle, NULL for the system store */
	long connect_timeout_ms; /* 0: 10 s */
	long timeout_ms; /* whole request, 0: 60 s */
	size_t max_response; /* 0: OVFS_RESPONSE_MAX */
	const char *user_agent; /* NULL: OVFS_USER_AGENT */
	const struct logger *log;
	const struct clock *clock; /* Date headers; NULL: system time */
	/* Polled during transfers; true aborts with OCI_NET_CANCELLED. */
	bool (*cancelled)(void *arg);
	void *cancelled_arg;
	bool trace; /* log each request at LOG_DEBUG (redacted) */
	bool allow_http; /* permit http://127.0.0.1 (tests only) */
};

struct http_header {
	const char *name;
	const char *value;
};

typedef int (*http_sign_fn)(void *arg, const struct sign_request *req,
			    struct sign_result *out);

struct http_request {
	const char *method; /* "GET", "HEAD", "POST", "PUT", "DELETE" */
	const char *url; /* absolute and already percent-encoded */
	/*
	 * Extra headers, may be NULL.  Names must be RFC 7230 tokens and
	 * values free of control characters; Host, Date, Authorization,
	 * Content-Length, Content-Type, x-content-sha256, User-Agent, Expect,
	 * Connection and Transfer-Encoding belong to http_perform() and are
	 * refused (-EINVAL).  An empty value is sent as an empty header.
	 */
	const struct http_header *headers;
	size_t nheaders;
	const void *body; /* POST/PUT body, may be NULL */
	size_t body_len;
	const char *content_type; /* body requests; NULL: application/json */
	http_sign_fn sign; /* NULL: unsigned (PAR access) */
	void *sign_arg;
	bool sign_no_body_headers; /* see sign_request.no_body_headers */
};

/*
 * A response: status, body (capped) and all headers (names lower-cased,
 * values without surrounding white space, at most 64 headers / 64 KiB;
 * after a 1xx interim response only the final response's headers).
 * Initialize with http_response_init() (`max_body` 0: OVFS_RESPONSE_MAX;
 * the smaller of it and the client's `max_response` applies) and release
 * with http_response_release(); may be reused after reset.
 */
struct http_response {
	long status;
	struct buf body;
	struct buf headers; /* "name\0value\0" pairs */
	unsigned int nheaders;
	bool new_connection; /* a new TCP/TLS connection was opened */
};

void http_response_init(struct http_response *r, size_t max_body);
void http_response_reset(struct http_response *r);
void http_response_release(struct http_response *r);

/* Value of the first header `name` (case-insensitive), or NULL. */
const char *http_response_header(const struct http_response *r,
				 const char *name);

int http_client_new(struct http_client **out,
		    const struct http_client_opts *opts);
void http_client_free(struct http_client *c);

/*
 * Perform one request (no retries: see oci.c).  Returns 0 when an HTTP
 * response was received, whatever its status; then `resp` holds it and
 * `err` is not touched.  Otherwise `resp` is empty, and the negative errno
 * returned is oci_error_errno(err): a transport failure sets err->net and
 * err->message (curl's reason, which never contains headers); a request
 * refused before sending (bad URL, scheme, method or header: -EINVAL;
 * sign hook failure: its errno; out of memory: -ENOMEM) sets
 * err->local_errno.  The request id is not touched: callers add
 * opc-request-id themselves.  `err` may be NULL.
 */
int http_perform(struct http_client *c, const struct http_request *req,
		 struct http_response *resp, struct oci_error *err);

struct http_stats {
	uint64_t requests; /* transfers that got a response */
	uint64_t connections; /* new connections opened */
	uint64_t failures; /* transport failures */
};

void http_client_stats(struct http_client *c, struct http_stats *out);

/* A URL split with curl's URL API; all parts percent-encoded as given. */
struct http_url {
	char scheme[16]; /* lower case */
	char host[256]; /* lower case, no brackets for IPv6 */
	char port[8]; /* "" when the URL has none */
	char path[OVFS_URL_MAX]; /* "/..." */
	char query[OVFS_URL_MAX]; /* without '?', "" when none */
};

/*
 * Parse an absolute http:// or https:// URL of printable ASCII.  -EINVAL
 * when malformed, for another scheme, when it has user info, a fragment or
 * an IPv6 zone id, or when a part does not fit (then `out` is zeroed).
 * The path is what curl sends: as given, "." and ".." segments included
 * (never resolved: CURLU_PATH_AS_IS), and the query is raw.
 */
int http_url_parse(const char *url, struct http_url *out);

/*
 * Append `in` to `out` with everything but RFC 3986 unreserved characters
 * (ALPHA DIGIT - . _ ~) percent-encoded (upper-case hex).  0 or -errno.
 */
int http_escape(const char *in, size_t len, struct buf *out);

/*
 * Append `in` to `out` with %XX sequences decoded ('+' stays '+').
 * -EINVAL for a malformed escape, a NUL byte or %00 (`out` unchanged).
 */
int http_unescape(const char *in, size_t len, struct buf *out);

/*
 * Global libcurl init/cleanup: call once per process from main(), before
 * any other thread runs.  Init also gives libcurl an allocator that wipes
 * every block it frees (its request buffers hold Authorization headers
 * and PAR URLs): process-wide, for libcurl's allocations only.
 */
int http_global_init(void);
void http_global_cleanup(void);

#endif /* HTTP_H */
