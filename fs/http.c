/* SPDX-License-Identifier: MIT */
/* http: libcurl transfers with a handle pool, caps, redaction; see http.h. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "crypto.h"
#include "http.h"
#include "banned.h"

#define HTTP_HDR_COUNT_MAX 64
#define HTTP_HDR_BYTES_MAX (64 * 1024)
/* oci.c builds URLs of up to 4 * OVFS_URL_MAX (page tokens). */
#define HTTP_TARGET_MAX (8 * OVFS_URL_MAX)
#define HTTP_HOST_MAX 300
#define HTTP_LINE_MAX (HTTP_TARGET_MAX + 64)
#define HTTP_CONNECT_TIMEOUT_MS 10000L
#define HTTP_TIMEOUT_MS 60000L
#define HTTP_ORIGIN_MAX 320
/* Idle handles kept (each holds its keep-alive connections and TLS state,
 * a few hundred KiB): a burst of requests must not leave them all. */
#define HTTP_IDLE_MAX 16

/*
 * An easy handle and the origin ("scheme://host[:port]") of the last
 * request it made: its private connection cache most likely still holds a
 * keep-alive connection there.
 */
struct http_handle {
	CURL *curl;
	char origin[HTTP_ORIGIN_MAX];
	struct http_handle *next;
};

struct http_client {
	char *ca_file;
	char *user_agent;
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_response;
	const struct logger *log;
	struct clock clock;
	bool has_clock;
	bool (*cancelled)(void *arg);
	void *cancelled_arg;
	bool trace;
	bool allow_http;

	CURLSH *share;
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
	int nshare_locks; /* how many of share_lock are initialized */

	pthread_mutex_t pool_lock;
	struct http_handle *idle; /* most recently returned first */
	unsigned int nidle;

	pthread_mutex_t stats_lock;
	struct http_stats stats;
};

/* State of one transfer, seen by the curl callbacks. */
struct xfer {
	struct http_client *c;
	struct http_response *resp;
	size_t cap;
	int body_err; /* -EMSGSIZE over the cap, -ENOMEM */
	int hdr_err; /* -EPROTO malformed or over the limits, -ENOMEM */
	bool cancelled;
};

/* A URL split by curl's URL API; the strings belong to curl. */
struct url_parts {
	CURLU *h;
	char *scheme;
	char *host; /* IPv6 literals with brackets, as curl returns them */
	char *port; /* NULL when the URL has none */
	char *path;
	char *query; /* NULL when the URL has no '?' */
};

enum http_method { M_GET, M_HEAD, M_POST, M_PUT, M_DELETE };

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* RFC 7230 tchar */
static bool is_tchar(char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return true;
	return ch && strchr("!#$%&'*+-.^_`|~", ch);
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

/* ---- responses --------------------------------------------------------- */

void http_response_init(struct http_response *r, size_t max_body)
{
	r->status = 0;
	buf_init(&r->body, max_body ? max_body : OVFS_RESPONSE_MAX);
	buf_init(&r->headers, HTTP_HDR_BYTES_MAX);
	r->nheaders = 0;
	r->new_connection = false;
}

void http_response_reset(struct http_response *r)
{
	r->status = 0;
	buf_reset(&r->body);
	buf_reset(&r->headers);
	r->nheaders = 0;
	r->new_connection = false;
}

void http_response_release(struct http_response *r)
{
	buf_release(&r->body);
	buf_release(&r->headers);
	http_response_reset(r);
}

const char *http_response_header(const struct http_response *r,
				 const char *name)
{
	const char *p = r->headers.buf, *end = p + r->headers.len;

	for (unsigned int i = 0; i < r->nheaders && p < end; i++) {
		const char *v = p + strlen(p) + 1;

		if (v >= end)
			break;
		if (!strcasecmp(p, name))
			return v;
		p = v + strlen(v) + 1;
	}
	return NULL;
}

/* ---- curl callbacks ---------------------------------------------------- */

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct buf *b = &x->resp->body;
	size_t n = size * nmemb;
	int ret;

	if (n > x->cap - b->len) {
		x->body_err = -EMSGSIZE;
		return 0;
	}
	ret = buf_add(b, ptr, n);
	if (ret) {
		x->body_err = ret;
		return 0;
	}
	return n;
}

/*
 * One header line per call, CRLF included (RFC 7230 §3.2):
 *   header-field = field-name ":" OWS field-value OWS
 * Stored as "name\0value\0" with the name lower-cased.  Obsolete line
 * folding, a line without a colon, a control character (NUL included), or
 * more than the limits make the response a protocol error instead of being
 * guessed at.
 */
static size_t header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct http_response *r = x->resp;
	size_t n = size * nmemb, len = n, nl, vl, start;
	const char *colon, *v;
	int ret;

	while (len && (ptr[len - 1] == '\n' || ptr[len - 1] == '\r'))
		len--;
	if (!len)
		return n;
	/* A status line starts a new response (100 Continue, proxies). */
	if (len >= 5 && !memcmp(ptr, "HTTP/", 5)) {
		buf_reset(&r->headers);
		r->nheaders = 0;
		return n;
	}
	colon = memchr(ptr, ':', len);
	if (!colon || colon == ptr)
		goto bad;
	nl = (size_t)(colon - ptr);
	for (size_t i = 0; i < nl; i++)
		if (!is_tchar(ptr[i]))
			goto bad;
	v = colon + 1;
	vl = len - nl - 1;
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	/* field-content is VCHAR, obs-text, SP and HTAB: no controls. */
	for (size_t i = 0; i < vl; i++)
		if (((unsigned char)v[i] < ' ' && v[i] != '\t') || v[i] == 0x7f)
			goto bad;
	if (r->nheaders >= HTTP_HDR_COUNT_MAX)
		goto bad;
	ret = buf_grow(&r->headers, nl + vl + 2);
	if (ret == -ENOMEM) {
		x->hdr_err = -ENOMEM;
		return 0;
	}
	if (ret)
		goto bad;
	start = r->headers.len;
	/* Room was made above: these cannot fail, but say so if they do. */
	if (buf_add(&r->headers, ptr, nl))
		goto bad;
	for (size_t i = start; i < start + nl; i++)
		r->headers.buf[i] = lower(r->headers.buf[i]);
	if (buf_addch(&r->headers, '\0') || buf_add(&r->headers, v, vl) ||
	    buf_addch(&r->headers, '\0'))
		goto bad;
	r->nheaders++;
	return n;
bad:
	x->hdr_err = -EPROTO;
	return 0;
}

static int xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (x->c->cancelled && x->c->cancelled(x->c->cancelled_arg)) {
		x->cancelled = true;
		return 1;
	}
	return 0;
}

static void share_lock_cb(CURL *h, curl_lock_data data, curl_lock_access access,
			  void *arg)
{
	struct http_client *c = arg;

	(void)h;
	(void)access;
	if ((unsigned int)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->share_lock[data]);
}

static void share_unlock_cb(CURL *h, curl_lock_data data, void *arg)
{
	struct http_client *c = arg;

	(void)h;
	if ((unsigned int)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->share_lock[data]);
}

/* ---- URLs -------------------------------------------------------------- */

static void url_close(struct url_parts *u)
{
	curl_free(u->scheme);
	curl_free(u->host);
	curl_free(u->port);
	curl_free(u->path);
	curl_free(u->query);
	curl_url_cleanup(u->h);
	memset(u, 0, sizeof(*u));
}

static int uc_errno(CURLUcode uc)
{
	return uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

/*
 * Parse `url` and fetch its parts exactly as curl 7.88's transfer code
 * (url.c, parseurlandfillconn) does: the path with CURLU_URLENCODE, the
 * query raw.  Printable ASCII only: a URL with spaces, controls or raw
 * UTF-8 is not a URI, and '#' could only start a fragment.
 *
 * CURLU_PATH_AS_IS: the path is sent as built.  Without it curl removes
 * "." and ".." segments (RFC 3986 §5.2.4) while parsing, so that
 * ".../o/x/../y" would ask for object "y" and "../../etc" would leave the
 * bucket; and the transfer uses this very handle (CURLOPT_CURLU), so this
 * is where it must be said.  CURLOPT_PATH_AS_IS is set as well.
 */
static int url_open(const char *url, struct url_parts *u)
{
	CURLUcode uc;
	char *zone = NULL;
	int ret = -EINVAL;

	memset(u, 0, sizeof(*u));
	if (!url || !*url)
		return -EINVAL;
	for (const char *p = url; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '#')
			return -EINVAL;
	u->h = curl_url();
	if (!u->h)
		return -ENOMEM;
	uc = curl_url_set(u->h, CURLUPART_URL, url,
			  CURLU_DISALLOW_USER | CURLU_PATH_AS_IS);
	if (uc) {
		ret = uc_errno(uc);
		goto fail;
	}
	uc = curl_url_get(u->h, CURLUPART_ZONEID, &zone, 0);
	curl_free(zone);
	if (uc != CURLUE_NO_ZONEID) {
		ret = uc ? uc_errno(uc) : -EINVAL;
		goto fail;
	}
	uc = curl_url_get(u->h, CURLUPART_SCHEME, &u->scheme, 0);
	if (!uc)
		uc = curl_url_get(u->h, CURLUPART_HOST, &u->host, 0);
	if (!uc)
		uc = curl_url_get(u->h, CURLUPART_PATH, &u->path,
				  CURLU_URLENCODE);
	if (uc) {
		ret = uc_errno(uc);
		goto fail;
	}
	uc = curl_url_get(u->h, CURLUPART_PORT, &u->port, 0);
	if (uc && uc != CURLUE_NO_PORT) {
		ret = uc_errno(uc);
		goto fail;
	}
	uc = curl_url_get(u->h, CURLUPART_QUERY, &u->query, 0);
	if (uc && uc != CURLUE_NO_QUERY) {
		ret = uc_errno(uc);
		goto fail;
	}
	if (strcasecmp(u->scheme, "https") && strcasecmp(u->scheme, "http"))
		goto fail;
	if (!*u->host)
		goto fail;
	return 0;
fail:
	url_close(u);
	return ret;
}

/* Copy `s` lower-cased, and without IPv6 brackets when `unbracket`. */
static int copy_lower(char *dst, size_t n, const char *s, bool unbracket)
{
	size_t len = strlen(s);

	if (unbracket && len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len >= n) {
		dst[0] = '\0';
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		dst[i] = lower(s[i]);
	dst[len] = '\0';
	return 0;
}

int http_url_parse(const char *url, struct http_url *out)
{
	struct url_parts u;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = url_open(url, &u);
	if (ret)
		return ret;
	ret = copy_lower(out->scheme, sizeof(out->scheme), u.scheme, false);
	if (!ret)
		ret = copy_lower(out->host, sizeof(out->host), u.host, true);
	if (!ret && u.port && buf_copy(out->port, sizeof(out->port), u.port))
		ret = -EINVAL;
	if (!ret && buf_copy(out->path, sizeof(out->path), u.path))
		ret = -EINVAL;
	if (!ret && u.query &&
	    buf_copy(out->query, sizeof(out->query), u.query))
		ret = -EINVAL;
	url_close(&u);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

int http_escape(const char *in, size_t len, struct buf *out)
{
	char *e;
	int ret;

	/* curl_easy_escape() takes an int, and 0 would mean strlen(). */
	if (!len)
		return 0;
	if (len > INT_MAX / 3)
		return -EMSGSIZE;
	e = curl_easy_escape(NULL, in, (int)len);
	if (!e)
		return -ENOMEM;
	ret = buf_adds(out, e);
	curl_free(e);
	return ret;
}

int http_unescape(const char *in, size_t len, struct buf *out)
{
	char *d;
	int dlen = 0, ret;

	/* curl passes bad escapes through and decodes %00: refuse both. */
	for (size_t i = 0; i < len; i++) {
		if (!in[i])
			return -EINVAL;
		if (in[i] != '%')
			continue;
		if (i + 2 >= len || !is_hex(in[i + 1]) || !is_hex(in[i + 2]) ||
		    (in[i + 1] == '0' && in[i + 2] == '0'))
			return -EINVAL;
		i += 2;
	}
	if (!len)
		return 0;
	if (len > INT_MAX)
		return -EMSGSIZE;
	d = curl_easy_unescape(NULL, in, (int)len, &dlen);
	if (!d)
		return -ENOMEM;
	ret = buf_add(out, d, (size_t)dlen);
	curl_free(d);
	return ret;
}

/* ---- the client -------------------------------------------------------- */

/*
 * libcurl's own memory is wiped when freed.  curl copies what it sends
 * into buffers of its own (the request: every header line, Authorization
 * included, and small POST bodies such as a BackupKey with a PAR URL; the
 * URL of each transfer; duplicated CURLU handles) and frees them with
 * free(), which leaves the bytes in the heap.  curl_global_init_mem()
 * replaces its allocator for the whole process with crypto.h's wiping
 * one (each block knows its size, so free and realloc wipe it).  Only
 * libcurl's allocations go through these (OpenSSL, cJSON and ours do
 * not), and only memory curl frees itself (curl_free() included).
 */
static void *wipe_malloc(size_t n)
{
	return crypto_wipe_malloc(n);
}

static void wipe_free(void *p)
{
	crypto_wipe_free(p);
}

static void *wipe_realloc(void *p, size_t n)
{
	return crypto_wipe_realloc(p, n);
}

static void *wipe_calloc(size_t nmemb, size_t size)
{
	void *p;

	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	p = wipe_malloc(nmemb * size);
	if (p)
		memset(p, 0, nmemb * size);
	return p;
}

static char *wipe_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = wipe_malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

int http_global_init(void)
{
	CURLcode rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, wipe_malloc,
					   wipe_free, wipe_realloc, wipe_strdup,
					   wipe_calloc);

	if (rc == CURLE_OUT_OF_MEMORY)
		return -ENOMEM;
	return rc ? -EIO : 0;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return true;
	return false;
}

int http_client_new(struct http_client **out,
		    const struct http_client_opts *opts)
{
	const struct http_client_opts none = {0};
	const char *ua;
	struct http_client *c;
	int ret;

	*out = NULL;
	if (!opts)
		opts = &none;
	ua = opts->user_agent ? opts->user_agent : OVFS_USER_AGENT;
	if (opts->connect_timeout_ms < 0 || opts->timeout_ms < 0 ||
	    has_ctl(ua) || (opts->ca_file && !*opts->ca_file))
		return -EINVAL;
	if (!(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_SSL))
		return -EPROTONOSUPPORT;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->user_agent = strdup(ua);
	c->ca_file = opts->ca_file ? strdup(opts->ca_file) : NULL;
	if (!c->user_agent || (opts->ca_file && !c->ca_file)) {
		ret = -ENOMEM;
		goto fail;
	}
	c->connect_timeout_ms = opts->connect_timeout_ms
					? opts->connect_timeout_ms
					: HTTP_CONNECT_TIMEOUT_MS;
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : HTTP_TIMEOUT_MS;
	c->max_response =
		opts->max_response ? opts->max_response : OVFS_RESPONSE_MAX;
	c->log = opts->log;
	if (opts->clock) {
		c->clock = *opts->clock;
		c->has_clock = true;
	}
	c->cancelled = opts->cancelled;
	c->cancelled_arg = opts->cancelled_arg;
	c->trace = opts->trace;
	c->allow_http = opts->allow_http;

	for (; c->nshare_locks < CURL_LOCK_DATA_LAST; c->nshare_locks++) {
		ret = pthread_mutex_init(&c->share_lock[c->nshare_locks], NULL);
		if (ret) {
			ret = -ret;
			goto fail;
		}
	}
	ret = pthread_mutex_init(&c->pool_lock, NULL);
	if (ret) {
		ret = -ret;
		goto fail;
	}
	ret = pthread_mutex_init(&c->stats_lock, NULL);
	if (ret) {
		pthread_mutex_destroy(&c->pool_lock);
		ret = -ret;
		goto fail;
	}

	/*
	 * DNS and TLS sessions are shared; connections are not: curl does
	 * not support a connection cache shared by concurrent threads
	 * (CURLSHOPT_SHARE(3), KNOWN_BUGS "A shared connection cache is not
	 * thread-safe").  Each pooled handle keeps its own connections.
	 */
	c->share = curl_share_init();
	if (!c->share ||
	    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock_cb) ||
	    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC,
			      share_unlock_cb) ||
	    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_SSL_SESSION)) {
		ret = -ENOMEM;
		goto fail_locks;
	}
	*out = c;
	return 0;

fail_locks:
	if (c->share)
		curl_share_cleanup(c->share);
	pthread_mutex_destroy(&c->stats_lock);
	pthread_mutex_destroy(&c->pool_lock);
fail:
	while (c->nshare_locks > 0)
		pthread_mutex_destroy(&c->share_lock[--c->nshare_locks]);
	free(c->user_agent);
	free(c->ca_file);
	free(c);
	return ret;
}

void http_client_free(struct http_client *c)
{
	struct http_handle *h;

	if (!c)
		return;
	while (c->idle) {
		h = c->idle;
		c->idle = h->next;
		curl_easy_cleanup(h->curl);
		free(h);
	}
	curl_share_cleanup(c->share);
	pthread_mutex_destroy(&c->stats_lock);
	pthread_mutex_destroy(&c->pool_lock);
	while (c->nshare_locks > 0)
		pthread_mutex_destroy(&c->share_lock[--c->nshare_locks]);
	free(c->user_agent);
	free(c->ca_file);
	free(c);
}

void http_client_stats(struct http_client *c, struct http_stats *out)
{
	pthread_mutex_lock(&c->stats_lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->stats_lock);
}

/*
 * Borrow an idle handle, preferring one that last talked to `origin`
 * (most recent first), so that its keep-alive connection is reused.
 */
static struct http_handle *pool_get(struct http_client *c, const char *origin)
{
	struct http_handle **pp, *h = NULL;

	pthread_mutex_lock(&c->pool_lock);
	for (pp = &c->idle; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->origin, origin))
			break;
	if (!*pp)
		pp = &c->idle;
	if (*pp) {
		h = *pp;
		*pp = h->next;
		c->nidle--;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (h)
		return h;

	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->curl = curl_easy_init();
	if (!h->curl || curl_easy_setopt(h->curl, CURLOPT_SHARE, c->share)) {
		curl_easy_cleanup(h->curl);
		free(h);
		return NULL;
	}
	return h;
}

/*
 * curl_easy_reset() forgets every option (our stack pointers included)
 * but keeps the connections, the share and the TLS session cache.
 */
static void pool_put(struct http_client *c, struct http_handle *h,
		     const char *origin)
{
	if (!h)
		return;
	curl_easy_reset(h->curl);
	buf_copy(h->origin, sizeof(h->origin), origin);
	pthread_mutex_lock(&c->pool_lock);
	if (c->nidle < HTTP_IDLE_MAX) {
		h->next = c->idle;
		c->idle = h;
		c->nidle++;
		h = NULL;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (h) { /* enough idle ones: close its connections */
		curl_easy_cleanup(h->curl);
		free(h);
	}
}

/* ---- requests ---------------------------------------------------------- */

/* The one translation of curl's result into a transport failure. */
static enum oci_net net_from_curl(CURLcode rc, long os_errno,
				  const struct xfer *x)
{
	switch (rc) {
	case CURLE_OK:
		return OCI_NET_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return OCI_NET_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
		if (os_errno == ECONNREFUSED)
			return OCI_NET_REFUSED;
		if (os_errno == ETIMEDOUT)
			return OCI_NET_TIMEOUT;
		return OCI_NET_UNREACHABLE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return OCI_NET_RESOLVE;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00
	case CURLE_SSL_CLIENTCERT:
#endif
		return OCI_NET_TLS;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return OCI_NET_RESET;
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL: /* HTTP/0.9; schemes are checked */
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return OCI_NET_PROTOCOL;
	case CURLE_FILESIZE_EXCEEDED:
		return OCI_NET_TOOBIG;
	case CURLE_WRITE_ERROR:
		if (x->body_err == -EMSGSIZE)
			return OCI_NET_TOOBIG;
		if (x->body_err == -ENOMEM || x->hdr_err == -ENOMEM)
			return OCI_NET_NOMEM;
		if (x->hdr_err)
			return OCI_NET_PROTOCOL;
		return OCI_NET_OTHER;
	case CURLE_ABORTED_BY_CALLBACK:
		return x->cancelled ? OCI_NET_CANCELLED : OCI_NET_OTHER;
	case CURLE_OUT_OF_MEMORY:
		return OCI_NET_NOMEM;
	default:
		break;
	}
	return OCI_NET_OTHER;
}

static int method_parse(const char *s, enum http_method *m)
{
	static const char *const names[] = {"GET", "HEAD", "POST", "PUT",
					    "DELETE"};

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*m = (enum http_method)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool is_loopback(const char *host)
{
	return !strcmp(host, "127.0.0.1") || !strcasecmp(host, "localhost") ||
	       !strcmp(host, "[::1]");
}

/* Headers that http_perform() owns: callers may not set them. */
static bool reserved_header(const char *name)
{
	static const char *const names[] = {
		"host",
		"date",
		"authorization",
		"content-length",
		"content-type",
		"x-content-sha256",
		"transfer-encoding",
		"expect",
		"connection",
		"user-agent",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(name, names[i]))
			return true;
	return false;
}

/* Wipe before freeing: the list holds the Authorization header. */
static void slist_free_wipe(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		buf_wipe(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static int slist_addf(struct curl_slist **l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int slist_addf(struct curl_slist **l, const char *fmt, ...)
{
	struct buf line = BUF_INIT_SECRET(HTTP_LINE_MAX);
	struct curl_slist *n;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = buf_vaddf(&line, fmt, ap);
	va_end(ap);
	if (ret)
		goto out;
	n = curl_slist_append(*l, line.buf);
	if (!n) {
		ret = -ENOMEM;
		goto out;
	}
	*l = n;
out:
	buf_wipe_release(&line);
	return ret;
}

static int add_caller_headers(struct curl_slist **l,
			      const struct http_request *req)
{
	int ret;

	for (size_t i = 0; i < req->nheaders; i++) {
		const char *name = req->headers[i].name;
		const char *value = req->headers[i].value;

		if (!name || !*name || !value || reserved_header(name) ||
		    has_ctl(value))
			return -EINVAL;
		for (const char *p = name; *p; p++)
			if (!is_tchar(*p))
				return -EINVAL;
		/* "Name:" would delete the header in curl; "Name;" sends it. */
		if (*value)
			ret = slist_addf(l, "%s: %s", name, value);
		else
			ret = slist_addf(l, "%s;", name);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * PAR access URIs carry their capability in the path: "/p/<token>/n/...".
 * Replace every segment after a "p" segment by "***" (also for object
 * names that merely contain "/p/": over-redacting a trace is harmless).
 */
static int redact_target(const char *target, struct buf *out)
{
	const char *p = target, *q = strchr(target, '?');
	const char *end = q ? q : target + strlen(target);
	bool hide = false;
	int ret = 0;

	while (p < end && !ret) {
		const char *seg = p + 1, *next = memchr(seg, '/', end - seg);
		size_t len;

		if (!next)
			next = end;
		len = (size_t)(next - seg);
		ret = buf_addch(out, '/');
		if (!ret)
			ret = hide && len ? buf_adds(out, "***")
					  : buf_add(out, seg, len);
		hide = len == 1 && *seg == 'p';
		p = next;
	}
	if (!ret && q)
		ret = buf_adds(out, q);
	return ret;
}

static void trace(struct http_client *c, const char *method,
		  const struct url_parts *u, const char *hostport,
		  const char *target, const struct http_response *resp,
		  const struct oci_error *err, CURL *curl)
{
	struct buf url = BUF_INIT(HTTP_LINE_MAX);
	curl_off_t us = 0;
	long long ms;

	if (!c->trace || !log_enabled(c->log, LOG_DEBUG))
		return;
	if (curl)
		curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &us);
	ms = (long long)(us / 1000);
	if (buf_addf(&url, "%s://%s", u->scheme, hostport) ||
	    redact_target(target, &url)) {
		buf_reset(&url); /* never a partial, maybe unredacted URL */
		if (buf_adds(&url, "(URL too long to show)"))
			return;
	}
	if (!err)
		log_msg(c->log, LOG_DEBUG,
			"%s %s -> %ld (%lld ms, %s connection)", method,
			url.buf, resp->status, ms,
			resp->new_connection ? "new" : "reused");
	else
		log_msg(c->log, LOG_DEBUG, "%s %s -> %s: %s (%lld ms)", method,
			url.buf, oci_error_net_name(err->net), err->message,
			ms);
	buf_release(&url);
}

#define SETOPT(h, opt, val)                                       \
	do {                                                      \
		if (!rc)                                          \
			rc = curl_easy_setopt((h), (opt), (val)); \
	} while (0)

static CURLcode setup_handle(struct http_client *c, CURL *h,
			     const struct url_parts *u, bool loopback_http,
			     enum http_method m, const struct http_request *req,
			     struct curl_slist *hdrs, struct xfer *x,
			     char *errbuf)
{
	CURLcode rc = CURLE_OK;

	SETOPT(h, CURLOPT_CURLU, u->h);
	SETOPT(h, CURLOPT_PATH_AS_IS, 1L); /* see url_open() */
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(h, CURLOPT_PROTOCOLS_STR,
	       loopback_http ? "http,https" : "https");
#else
	SETOPT(h, CURLOPT_PROTOCOLS,
	       loopback_http ? (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)
			     : (long)CURLPROTO_HTTPS);
#endif
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/*
	 * A CA file replaces the trust store, so the compiled-in CA
	 * directory must go too.  Without one, the compiled-in defaults are
	 * set explicitly: libcurl does not read CURL_CA_BUNDLE or
	 * SSL_CERT_FILE, and this keeps it that way.
	 */
	if (c->ca_file) {
		SETOPT(h, CURLOPT_CAINFO, c->ca_file);
		SETOPT(h, CURLOPT_CAPATH, (char *)NULL);
	}
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SETOPT(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(h, CURLOPT_TCP_KEEPIDLE, 30L);
	SETOPT(h, CURLOPT_TCP_KEEPINTVL, 15L);
	SETOPT(h, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	/* Loopback never goes through a proxy from the environment. */
	if (loopback_http || is_loopback(u->host))
		SETOPT(h, CURLOPT_PROXY, "");
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(h, CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(h, CURLOPT_WRITEDATA, x);
	SETOPT(h, CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(h, CURLOPT_HEADERDATA, x);
	if (c->cancelled) {
		SETOPT(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
		SETOPT(h, CURLOPT_XFERINFODATA, x);
		SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	}
	SETOPT(h, CURLOPT_USERAGENT, c->user_agent);
	SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
	switch (m) {
	case M_HEAD:
		SETOPT(h, CURLOPT_NOBODY, 1L);
		break;
	case M_POST:
	case M_PUT:
		SETOPT(h, CURLOPT_POST, 1L);
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE,
		       (curl_off_t)req->body_len);
		SETOPT(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		if (m == M_PUT)
			SETOPT(h, CURLOPT_CUSTOMREQUEST, "PUT");
		break;
	case M_DELETE:
		SETOPT(h, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	case M_GET:
		SETOPT(h, CURLOPT_HTTPGET, 1L);
		break;
	}
	/* HEAD answers announce the object's size, which is no body. */
	if (m != M_HEAD && x->cap <= (size_t)INT64_MAX)
		SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->cap);
	return rc;
}

#undef SETOPT

static int local_fail(struct oci_error *err, int ret, const char *what)
{
	err->http_status = 0;
	err->net = OCI_NET_OK;
	oci_error_local(err, ret, "%s", what);
	return ret;
}

static int sign(const struct http_request *req, const char *target,
		const char *host, const char *date, const char *ctype,
		bool has_body, struct curl_slist **hdrs)
{
	struct sign_request sr = {
		.method = req->method,
		.target = target,
		.host = host,
		.date = date,
		.content_type = has_body ? ctype : NULL,
		.body = req->body,
		.body_len = req->body_len,
		.no_body_headers = req->sign_no_body_headers,
	};
	struct sign_result res;
	int ret;

	sign_result_init(&res);
	ret = req->sign(req->sign_arg, &sr, &res);
	if (ret)
		goto out;
	if (!res.authorization.len || has_ctl(res.authorization.buf)) {
		ret = -EINVAL;
		goto out;
	}
	ret = slist_addf(hdrs, "Authorization: %s", res.authorization.buf);
	if (!ret && res.body_headers && res.x_content_sha256[0])
		ret = slist_addf(hdrs, "x-content-sha256: %s",
				 res.x_content_sha256);
out:
	sign_result_release(&res);
	return ret;
}

/* One http_perform(): what its steps share; released by exchange_release(). */
struct exchange {
	const struct http_request *req;
	const char *ctype;
	enum http_method m;
	bool has_body, loopback_http;
	struct url_parts u;
	struct buf host; /* lower-case host[:port], the Host: header */
	struct buf target; /* path[?query], as signed and as sent */
	char origin[HTTP_ORIGIN_MAX]; /* the pool's key */
	struct curl_slist *hdrs;
	struct http_handle *hh;
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	long nconn;
};

static void exchange_release(struct http_client *c, struct exchange *e)
{
	pool_put(c, e->hh, e->origin);
	slist_free_wipe(e->hdrs);
	url_close(&e->u);
	buf_release(&e->host);
	buf_release(&e->target);
}

/* The method, the body and the URL: EINVAL before anything is built. */
static int check_request(const struct http_client *c, struct exchange *e,
			 struct oci_error *err)
{
	const struct http_request *req = e->req;
	int ret;

	ret = method_parse(req->method, &e->m);
	if (ret)
		return local_fail(err, ret, "unsupported HTTP method");
	e->has_body = e->m == M_POST || e->m == M_PUT;
	if ((!e->has_body && req->body_len) || (req->body_len && !req->body) ||
	    (req->nheaders && !req->headers) || has_ctl(e->ctype))
		return local_fail(err, -EINVAL, "invalid HTTP request");
	ret = url_open(req->url, &e->u);
	if (ret)
		return local_fail(err, ret, "invalid URL");
	e->loopback_http = !strcasecmp(e->u.scheme, "http");
	if (e->loopback_http && (!c->allow_http || !is_loopback(e->u.host)))
		return local_fail(err, -EINVAL, "URL is not https://");
	return 0;
}

/* What is signed below is exactly what curl sends (http.c target). */
static int build_target(struct exchange *e, struct oci_error *err)
{
	const struct url_parts *u = &e->u;
	int ret = 0;

	for (const char *p = u->host; *p && !ret; p++)
		ret = buf_addch(&e->host, lower(*p));
	if (!ret && u->port)
		ret = buf_addf(&e->host, ":%s", u->port);
	if (!ret)
		ret = buf_adds(&e->target, u->path);
	if (!ret && u->query)
		ret = buf_addf(&e->target, "?%s", u->query);
	if (ret)
		return local_fail(err, ret == -ENOMEM ? -ENOMEM : -EINVAL,
				  "URL too long");
	snprintf(e->origin, sizeof(e->origin), "%s://%s", u->scheme,
		 e->host.buf);
	return 0;
}

/* Host, Date, the body's headers, the caller's, then the signature. */
static int build_headers(struct http_client *c, struct exchange *e,
			 struct oci_error *err)
{
	const struct http_request *req = e->req;
	char date[32];
	int ret;

	ret = clock_http_date(c->has_clock ? clock_wall_s(&c->clock)
					   : (int64_t)time(NULL),
			      date, sizeof(date));
	if (ret)
		return local_fail(err, ret, "cannot format the Date header");

	ret = slist_addf(&e->hdrs, "Host: %s", e->host.buf);
	if (!ret)
		ret = slist_addf(&e->hdrs, "Date: %s", date);
	if (!ret)
		ret = slist_addf(&e->hdrs, "Accept: application/json");
	if (!ret && e->has_body)
		ret = slist_addf(&e->hdrs, "Content-Length: %zu",
				 req->body_len);
	if (!ret && e->has_body)
		ret = slist_addf(&e->hdrs, "Content-Type: %s", e->ctype);
	/* No 100-continue round trip: bodies are small and signed anyway. */
	if (!ret && e->has_body)
		ret = slist_addf(&e->hdrs, "Expect:");
	if (!ret)
		ret = add_caller_headers(&e->hdrs, req);
	if (ret)
		return local_fail(err, ret,
				  ret == -ENOMEM ? "out of memory"
						 : "invalid request header");
	if (req->sign) {
		ret = sign(req, e->target.buf, e->host.buf, date, e->ctype,
			   e->has_body, &e->hdrs);
		if (ret)
			return local_fail(err, ret, "cannot sign the request");
	}
	return 0;
}

/*
 * Runs the transfer. 0 with *rc the transfer's result (CURLE_OK, a
 * failure, or CURLE_ABORTED_BY_CALLBACK when cancelled before it began);
 * -errno, recorded in err, when it could not be started.
 */
static int transfer(struct http_client *c, struct exchange *e,
		    struct http_response *resp, struct oci_error *err,
		    CURLcode *rc)
{
	e->x.c = c;
	e->x.resp = resp;
	e->x.cap = resp->body.max < c->max_response ? resp->body.max
						    : c->max_response;
	if (c->cancelled && c->cancelled(c->cancelled_arg)) {
		e->x.cancelled = true;
		*rc = CURLE_ABORTED_BY_CALLBACK;
		return 0;
	}
	e->hh = pool_get(c, e->origin);
	if (!e->hh)
		return local_fail(err, -ENOMEM, "cannot create a curl handle");
	*rc = setup_handle(c, e->hh->curl, &e->u, e->loopback_http, e->m,
			   e->req, e->hdrs, &e->x, e->errbuf);
	if (*rc)
		return local_fail(err,
				  *rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO,
				  curl_easy_strerror(*rc));
	*rc = curl_easy_perform(e->hh->curl);
	curl_easy_getinfo(e->hh->curl, CURLINFO_NUM_CONNECTS, &e->nconn);
	return 0;
}

static void record_success(struct http_client *c, struct exchange *e,
			   struct http_response *resp)
{
	long code = 0;

	curl_easy_getinfo(e->hh->curl, CURLINFO_RESPONSE_CODE, &code);
	resp->status = code;
	resp->new_connection = e->nconn > 0;
	pthread_mutex_lock(&c->stats_lock);
	c->stats.requests++;
	c->stats.connections += (uint64_t)e->nconn;
	pthread_mutex_unlock(&c->stats_lock);
	trace(c, e->req->method, &e->u, e->host.buf, e->target.buf, resp, NULL,
	      e->hh->curl);
}

/* The transport part of err from curl's result; returns its errno. */
static int record_failure(struct http_client *c, struct exchange *e,
			  CURLcode rc, struct http_response *resp,
			  struct oci_error *err)
{
	long os_errno = 0;
	int ret;

	if (e->hh)
		curl_easy_getinfo(e->hh->curl, CURLINFO_OS_ERRNO, &os_errno);
	err->http_status = 0;
	err->local_errno = 0;
	err->net = net_from_curl(rc, os_errno, &e->x);
	if (err->net == OCI_NET_TOOBIG)
		snprintf(err->message, sizeof(err->message),
			 "response body larger than %zu bytes", e->x.cap);
	else if (err->net == OCI_NET_PROTOCOL && e->x.hdr_err)
		snprintf(err->message, sizeof(err->message),
			 "malformed response header, or more than %d headers "
			 "or %d bytes of them",
			 HTTP_HDR_COUNT_MAX, HTTP_HDR_BYTES_MAX);
	else if (err->net == OCI_NET_CANCELLED)
		buf_copy(err->message, sizeof(err->message), "cancelled");
	else
		snprintf(err->message, sizeof(err->message), "%s",
			 e->errbuf[0] ? e->errbuf : curl_easy_strerror(rc));
	pthread_mutex_lock(&c->stats_lock);
	c->stats.failures++;
	c->stats.connections += (uint64_t)(e->nconn > 0 ? e->nconn : 0);
	pthread_mutex_unlock(&c->stats_lock);
	trace(c, e->req->method, &e->u, e->host.buf, e->target.buf, resp, err,
	      e->hh ? e->hh->curl : NULL);
	ret = oci_error_errno(err);
	http_response_reset(resp);
	return ret;
}

int http_perform(struct http_client *c, const struct http_request *req,
		 struct http_response *resp, struct oci_error *err)
{
	struct exchange e = {
		.req = req,
		.ctype = req->content_type ? req->content_type
					   : "application/json",
		.host = BUF_INIT(HTTP_HOST_MAX),
		.target = BUF_INIT(HTTP_TARGET_MAX),
	};
	struct oci_error dummy;
	CURLcode rc = CURLE_OK;
	int ret;

	if (!err)
		err = &dummy;
	http_response_reset(resp);
	ret = check_request(c, &e, err);
	if (!ret)
		ret = build_target(&e, err);
	if (!ret)
		ret = build_headers(c, &e, err);
	if (!ret)
		ret = transfer(c, &e, resp, err, &rc);
	if (!ret && rc)
		ret = record_failure(c, &e, rc, resp, err);
	else if (!ret)
		record_success(c, &e, resp);
	exchange_release(c, &e);
	return ret;
}
