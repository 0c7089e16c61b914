/* SPDX-License-Identifier: MIT */
/*
 * http: the HTTP layer; the only module that includes <curl/curl.h>.
 *
 * Connection reuse: a client keeps a pool of curl easy handles and one curl
 * share object that shares the connection cache, TLS sessions and DNS cache
 * between them (protected by a mutex per shared data kind).  A request
 * borrows a handle from the pool (creating one if all are busy, up to no
 * fixed limit), so any thread reuses any idle keep-alive connection to the
 * same origin.  Handles go back to the pool after the request.
 *
 * Security: TLS peer and host verification are always on and cannot be
 * turned off; `ca_file` only replaces the trust store.  Only https:// URLs
 * are accepted, except http:// to a loopback address when `allow_http`
 * is set (tests only).  Redirects are not followed.  Response bodies over
 * `max_response` abort the transfer (OCI_NET_TOOBIG).  The debug trace never
 * shows the Authorization header, request bodies or PAR tokens.
 *
 * Signing: when a request has a `sign` hook, http_perform() works out the
 * exact request-target and Host of the URL it sends (curl's URL API), the
 * Date header from the client's clock, and calls the hook; it then sends
 * Date, Host, Authorization and, for body requests, Content-Length,
 * Content-Type and x-content-sha256 exactly as signed.
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
	const char *ca_file;     /* PEM bundle, NULL for the system store */
	long connect_timeout_ms; /* 0: 10 s */
	long timeout_ms;         /* whole request, 0: 60 s */
	size_t max_response;     /* 0: OVFS_RESPONSE_MAX */
	const char *user_agent;  /* NULL: OVFS_USER_AGENT */
	const struct logger *log;
	const struct oclock *clock; /* Date headers; NULL: system time */
	/* Polled during transfers; true aborts with OCI_NET_CANCELLED. */
	bool (*cancelled)(void *arg);
	void *cancelled_arg;
	bool trace;       /* log each request at LOG_DEBUG (redacted) */
	bool allow_http;  /* permit http://127.0.0.1 (tests only) */
};

struct http_header {
	const char *name;
	const char *value;
};

typedef int (*http_sign_fn)(void *arg, const struct sign_request *req,
			    struct sign_result *out);

struct http_request {
	const char *method; /* "GET", "HEAD", "POST", "PUT", "DELETE" */
	const char *url;    /* absolute and already percent-encoded */
	const struct http_header *headers; /* extra headers, may be NULL */
	size_t nheaders;
	const void *body; /* POST/PUT body, may be NULL */
	size_t body_len;
	const char *content_type; /* body requests; NULL: application/json */
	http_sign_fn sign;        /* NULL: unsigned (PAR access) */
	void *sign_arg;
	bool sign_no_body_headers; /* see sign_request.no_body_headers */
};

/*
 * A response: status, body (capped) and all headers (names lower-cased,
 * at most 64 headers / 64 KiB).  Initialize with http_response_init() and
 * release with http_response_release(); may be reused after reset.
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

/* Value of header `name` (case-insensitive), or NULL. */
const char *http_response_header(const struct http_response *r,
				 const char *name);

int http_client_new(struct http_client **out,
		    const struct http_client_opts *opts);
void http_client_free(struct http_client *c);

/*
 * Perform one request (no retries: see oci.c).  Returns 0 when an HTTP
 * response was received, whatever its status; then `resp` holds it.
 * Otherwise returns a negative errno and records the transport failure in
 * `err` (net, message with curl's reason).  The request id is not touched:
 * callers add opc-request-id themselves.
 */
int http_perform(struct http_client *c, const struct http_request *req,
		 struct http_response *resp, struct oci_error *err);

struct http_stats {
	uint64_t requests;    /* transfers that got a response */
	uint64_t connections; /* new connections opened */
	uint64_t failures;    /* transport failures */
};

void http_client_stats(struct http_client *c, struct http_stats *out);

/* A URL split with curl's URL API; all parts percent-encoded as given. */
struct http_url {
	char scheme[16];     /* lower case */
	char host[256];      /* lower case, no brackets for IPv6 */
	char port[8];        /* "" when the URL has none */
	char path[OVFS_URL_MAX];  /* "/..." */
	char query[OVFS_URL_MAX]; /* without '?', "" when none */
};

/*
 * Parse an absolute URL.  -EINVAL when malformed, when it has user info or
 * a fragment, or when a part does not fit.
 */
int http_url_parse(const char *url, struct http_url *out);

/* Percent-encode everything but RFC 3986 unreserved characters. */
int http_escape(const char *in, size_t len, struct buf *out);

/* Decode %XX sequences; -EINVAL for a malformed escape or a NUL byte. */
int http_unescape(const char *in, size_t len, struct buf *out);

/* Global libcurl init/cleanup: call once per process from main(). */
int http_global_init(void);
void http_global_cleanup(void);

#endif /* HTTP_H */
