/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for fs/http.c: URL parsing, escaping, response headers, and
 * real transfers against a small HTTP/1.1 server on 127.0.0.1 run by a
 * thread of this program (allow_http), so that no emulator is needed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "http.h"
#include "tap.h"

/* ---- URL parsing, escaping, response headers ---------------------------- */

static void test_url_parse(void)
{
	struct http_url u;
	char longurl[OVFS_URL_MAX + 64];

	is_int(http_url_parse("https://kms.us-ashburn-1.oraclecloud.com/"
			      "20180608/vaults?compartmentId=ocid1.c..x&"
			      "limit=100",
			      &u),
	       0, "parse: plain https URL");
	is_str(u.scheme, "https", "parse: scheme");
	is_str(u.host, "kms.us-ashburn-1.oraclecloud.com", "parse: host");
	is_str(u.port, "", "parse: no port");
	is_str(u.path, "/20180608/vaults", "parse: path");
	is_str(u.query, "compartmentId=ocid1.c..x&limit=100", "parse: query");

	is_int(http_url_parse("HTTPS://Vault-Mgmt.Example.COM:8443/a/b", &u), 0,
	       "parse: host with port");
	is_str(u.scheme, "https", "parse: scheme lower-cased");
	is_str(u.host, "vault-mgmt.example.com", "parse: host lower-cased");
	is_str(u.port, "8443", "parse: explicit port");
	is_str(u.path, "/a/b", "parse: path with port");
	is_str(u.query, "", "parse: no query");

	is_int(http_url_parse("https://host:443", &u), 0,
	       "parse: default port written out");
	is_str(u.port, "443", "parse: an explicit default port is kept");
	is_str(u.path, "/", "parse: empty path is /");

	is_int(http_url_parse("http://[::1]:7000/api", &u), 0, "parse: IPv6");
	is_str(u.host, "::1", "parse: IPv6 host without brackets");
	is_str(u.port, "7000", "parse: IPv6 port");
	is_int(http_url_parse("https://[2001:DB8::1]/", &u), 0,
	       "parse: IPv6 without port");
	is_str(u.host, "2001:db8::1", "parse: IPv6 lower-cased");

	is_int(http_url_parse("https://h/20160918/instances?availabilityDomain="
			      "Pjwf%3A%20PHX-AD-1&x=a+b&y=%2f&z",
			      &u),
	       0, "parse: encoded query");
	is_str(u.query, "availabilityDomain=Pjwf%3A%20PHX-AD-1&x=a+b&y=%2f&z",
	       "parse: query kept raw, exactly");
	is_int(http_url_parse("https://h/n/ns/b/bk/o/a%2Fb%20c", &u), 0,
	       "parse: encoded path");
	is_str(u.path, "/n/ns/b/bk/o/a%2Fb%20c", "parse: path kept encoded");

	is_int(http_url_parse("https://user@h/", &u), -EINVAL,
	       "parse: user info rejected");
	is_int(http_url_parse("https://user:pw@h/", &u), -EINVAL,
	       "parse: user and password rejected");
	is_int(http_url_parse("https://h/a#frag", &u), -EINVAL,
	       "parse: fragment rejected");
	is_int(http_url_parse("https://h/a#", &u), -EINVAL,
	       "parse: empty fragment rejected");
	is_int(http_url_parse("ftp://h/a", &u), -EINVAL, "parse: ftp rejected");
	is_int(http_url_parse("file:///etc/passwd", &u), -EINVAL,
	       "parse: file rejected");
	is_int(http_url_parse("gopher://h/", &u), -EINVAL,
	       "parse: gopher rejected");
	is_int(http_url_parse("h/a", &u), -EINVAL, "parse: relative rejected");
	is_int(http_url_parse("https://", &u), -EINVAL, "parse: no host");
	is_int(http_url_parse("", &u), -EINVAL, "parse: empty");
	is_int(http_url_parse(NULL, &u), -EINVAL, "parse: NULL");
	is_int(http_url_parse("https://h/a b", &u), -EINVAL,
	       "parse: space rejected");
	is_int(http_url_parse("https://h/a\r\nX: y", &u), -EINVAL,
	       "parse: CRLF rejected");
	is_int(http_url_parse("https://h/\xc3\xa9", &u), -EINVAL,
	       "parse: raw UTF-8 rejected");
	is_int(http_url_parse("https://h:99999/", &u), -EINVAL,
	       "parse: port out of range");
	is_int(http_url_parse("https://[fe80::1%25eth0]/", &u), -EINVAL,
	       "parse: IPv6 zone id rejected");

	memcpy(longurl, "https://h/", 10);
	memset(longurl + 10, 'a', OVFS_URL_MAX);
	longurl[10 + OVFS_URL_MAX] = '\0';
	is_int(http_url_parse(longurl, &u), -EINVAL,
	       "parse: path longer than OVFS_URL_MAX");
	longurl[OVFS_URL_MAX - 1] = '\0';
	is_int(http_url_parse(longurl, &u), 0, "parse: path just fits");
	is_int(strlen(u.path), OVFS_URL_MAX - 1 - 9, "parse: long path length");
	memcpy(longurl, "https://h/?", 11);
	memset(longurl + 11, 'q', OVFS_URL_MAX);
	longurl[11 + OVFS_URL_MAX] = '\0';
	is_int(http_url_parse(longurl, &u), -EINVAL, "parse: query too long");
	memcpy(longurl, "https://", 8);
	memset(longurl + 8, 'h', 300);
	memcpy(longurl + 308, "/", 2);
	is_int(http_url_parse(longurl, &u), -EINVAL, "parse: host too long");
	ok(!u.scheme[0] && !u.host[0] && !u.path[0],
	   "parse: a failure leaves the struct empty");
}

static void test_escape(void)
{
	static const char *const rt[] = {
		"plain",
		"a b/c?d&e=f#g",
		"ocid1.key.oc1.iad.abc-_~.",
		"\xc3\xa9t\xc3\xa9 \xe2\x82\xac",
		"100% +sure",
		"",
	};
	struct buf b = BUF_INIT(4096), d = BUF_INIT(4096);
	const char bin[] = {'a', '\0', 'b'};

	is_int(http_escape("a b/c", 5, &b), 0, "escape");
	is_str(b.buf, "a%20b%2Fc", "escape: space and slash");
	buf_reset(&b);
	http_escape("AZaz09-._~!*'();:@&=+$,/?#[]%", 29, &b);
	is_str(b.buf,
	       "AZaz09-._~%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B"
	       "%5D%25",
	       "escape: only unreserved characters stay");
	buf_reset(&b);
	is_int(http_escape(bin, sizeof(bin), &b), 0, "escape: embedded NUL");
	is_str(b.buf, "a%00b", "escape: NUL as %%00");
	buf_reset(&b);
	must(buf_adds(&b, "pre/"));
	http_escape("x y", 3, &b);
	is_str(b.buf, "pre/x%20y", "escape appends");
	buf_reset(&b);
	is_int(http_escape("abc", 0, &b), 0, "escape of 0 bytes");
	is_str(b.buf, "", "escape of 0 bytes appends nothing");

	for (size_t i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		buf_reset(&b);
		buf_reset(&d);
		http_escape(rt[i], strlen(rt[i]), &b);
		is_int(http_unescape(b.buf, b.len, &d), 0, "unescape case %zu",
		       i);
		is_str(d.buf, rt[i], "escape/unescape round trip %zu", i);
	}

	buf_reset(&d);
	is_int(http_unescape("a%2fb%2Fc+d", 11, &d), 0, "unescape mixed case");
	is_str(d.buf, "a/b/c+d", "unescape: '+' stays '+'");
	buf_reset(&d);
	must(buf_adds(&d, "keep"));
	is_int(http_unescape("x%00y", 5, &d), -EINVAL,
	       "unescape: %%00 rejected");
	is_int(http_unescape("x%4", 3, &d), -EINVAL, "unescape: short escape");
	is_int(http_unescape("x%", 2, &d), -EINVAL, "unescape: bare %%");
	is_int(http_unescape("%zz", 3, &d), -EINVAL, "unescape: not hex");
	is_int(http_unescape("%4g", 3, &d), -EINVAL, "unescape: half hex");
	is_int(http_unescape(bin, sizeof(bin), &d), -EINVAL,
	       "unescape: raw NUL rejected");
	is_str(d.buf, "keep", "unescape: output untouched on error");
	is_int(http_unescape("%41%42", 5, &d), -EINVAL,
	       "unescape: length cuts an escape");
	is_int(http_unescape("%41%42", 6, &d), 0, "unescape: exact length");
	is_str(d.buf, "keepAB", "unescape appends");
	buf_release(&b);
	buf_release(&d);
}

static void test_response_headers(void)
{
	struct http_response r;
	static const char store[] = "content-type\0application/json\0"
				    "opc-request-id\0ABC/DEF\0"
				    "etag\0\0"
				    "x-dup\0first\0"
				    "x-dup\0second\0";

	http_response_init(&r, 0);
	ok(r.body.max == OVFS_RESPONSE_MAX, "init: default body cap");
	ok(r.headers.max == 64 * 1024, "init: headers capped at 64 KiB");
	ok(r.status == 0 && r.nheaders == 0 && !r.new_connection,
	   "init: empty");
	must(buf_add(&r.headers, store, sizeof(store) - 1));
	r.nheaders = 5;
	is_str(http_response_header(&r, "content-type"), "application/json",
	       "lookup");
	is_str(http_response_header(&r, "Content-Type"), "application/json",
	       "lookup is case-insensitive");
	is_str(http_response_header(&r, "OPC-REQUEST-ID"), "ABC/DEF",
	       "lookup upper case");
	is_str(http_response_header(&r, "etag"), "", "lookup of empty value");
	is_str(http_response_header(&r, "x-dup"), "first",
	       "lookup: first of duplicates");
	ok(!http_response_header(&r, "content"), "no prefix match");
	ok(!http_response_header(&r, "missing"), "missing header: NULL");
	r.nheaders = 2;
	ok(!http_response_header(&r, "etag"), "only nheaders are searched");
	http_response_reset(&r);
	ok(r.headers.len == 0 && r.nheaders == 0 &&
		   !http_response_header(&r, "content-type"),
	   "reset empties the headers");
	http_response_release(&r);
	http_response_init(&r, 100);
	ok(r.body.max == 100, "init: explicit body cap");
	http_response_release(&r);
}

/* ---- a small HTTP/1.1 server on 127.0.0.1 ------------------------------- */

#define MAXC 64
#define INMAX (256 * 1024)

struct conn {
	int fd;
	bool hung;
	size_t len;
	char *in;
};

struct srv {
	int lfd, port, pipefd[2];
	pthread_t th;
	pthread_mutex_t lock;
	int accepted, requests;
	char line[16384];
	char headers[65536];
	char body[65536];
	size_t body_len;
	struct conn c[MAXC];
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		/* The client may have hung up (caps): no SIGPIPE. */
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void write_str(int fd, const char *s)
{
	write_all(fd, s, strlen(s));
}

static void conn_close(struct conn *c, bool rst)
{
	if (rst) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->hung = false;
}

static size_t content_length(const char *hdrs, size_t n)
{
	const char *p = hdrs, *end = hdrs + n;

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);

		if (!eol)
			break;
		if (eol - p > 15 && !strncasecmp(p, "content-length:", 15))
			return strtoul(p + 15, NULL, 10);
		p = eol + 2;
	}
	return 0;
}

static void respond_simple(int fd, int status, const char *extra,
			   const char *body)
{
	size_t max = strlen(extra) + 128;
	char *head = malloc(max);
	int n = snprintf(head, max,
			 "HTTP/1.1 %d X\r\n%sContent-Length: %zu\r\n\r\n",
			 status, extra, strlen(body));

	write_all(fd, head, (size_t)n);
	write_all(fd, body, strlen(body));
	free(head);
}

static void respond_big(int fd, size_t n, bool chunked)
{
	char head[256], chunk[1100];
	size_t off = 0;
	char *body = malloc(n + 1);

	memset(body, 'x', n);
	if (!chunked) {
		int h = snprintf(
			head, sizeof(head),
			"HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);

		write_all(fd, head, (size_t)h);
		write_all(fd, body, n);
		free(body);
		return;
	}
	write_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	while (off < n) {
		size_t k = n - off > 1000 ? 1000 : n - off;
		int h = snprintf(chunk, sizeof(chunk), "%zx\r\n", k);

		write_all(fd, chunk, (size_t)h);
		write_all(fd, body + off, k);
		write_all(fd, "\r\n", 2);
		off += k;
	}
	write_all(fd, "0\r\n\r\n", 5);
	free(body);
}

/* Answer one request; returns false when the connection was closed. */
static bool handle(struct srv *s, struct conn *c, const char *method,
		   const char *target)
{
	unsigned long n;

	if (!strncmp(target, "/hang", 5)) {
		c->hung = true;
		return true;
	}
	if (!strncmp(target, "/reset", 6)) {
		conn_close(c, true);
		return false;
	}
	if (!strncmp(target, "/truncated", 10)) {
		write_str(
			c->fd,
			"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
		conn_close(c, false);
		return false;
	}
	if (!strncmp(target, "/garbage", 8)) {
		write_str(c->fd, "HELLO THERE\r\n\r\n");
		conn_close(c, false);
		return false;
	}
	if (sscanf(target, "/big/%lu", &n) == 1) {
		respond_big(c->fd, n, false);
		return true;
	}
	if (sscanf(target, "/chunked/%lu", &n) == 1) {
		respond_big(c->fd, n, true);
		return true;
	}
	if (sscanf(target, "/headers/%lu", &n) == 1) {
		char *h = malloc(n * 32 + 1);
		size_t len = 0;

		for (unsigned long i = 0; i < n; i++)
			len += (size_t)snprintf(h + len, 32, "X-H%lu: v%lu\r\n",
						i, i);
		h[len] = '\0';
		respond_simple(c->fd, 200, h, "{}");
		free(h);
		return true;
	}
	if (sscanf(target, "/longheader/%lu", &n) == 1) {
		char *h = malloc(n + 16);

		memcpy(h, "X-Long: ", 8);
		memset(h + 8, 'v', n);
		memcpy(h + 8 + n, "\r\n", 3);
		respond_simple(c->fd, 200, h, "{}");
		free(h);
		return true;
	}
	if (!strncmp(target, "/ctl", 4)) {
		respond_simple(c->fd, 200, "X-Bad: a\x01b\r\n", "{}");
		return true;
	}
	if (!strncmp(target, "/nul", 4)) {
		static const char nul[] = "HTTP/1.1 200 OK\r\nX-Nul: a\0b\r\n"
					  "Content-Length: 2\r\n\r\n{}";

		write_all(c->fd, nul, sizeof(nul) - 1);
		return true;
	}
	if (!strncmp(target, "/fold", 5)) {
		respond_simple(c->fd, 200, "X-Folded: a\r\n b\r\n", "{}");
		return true;
	}
	if (sscanf(target, "/status/%lu", &n) == 1) {
		respond_simple(c->fd, (int)n,
			       "Content-Type: application/json\r\n"
			       "opc-request-id: ERRID\r\n",
			       "{\"code\":\"NotAuthorizedOrNotFound\","
			       "\"message\":\"nope\"}");
		return true;
	}
	if (!strcmp(method, "HEAD")) {
		write_str(c->fd,
			  "HTTP/1.1 200 OK\r\nContent-Length: 123456789\r\n"
			  "ETag: \"e1\"\r\n\r\n");
		return true;
	}
	if (!strncmp(target, "/close", 6)) {
		respond_simple(c->fd, 200, "Connection: close\r\n", "bye");
		conn_close(c, false);
		return false;
	}
	(void)s;
	respond_simple(c->fd, 200,
		       "Content-Type: application/json\r\n"
		       "opc-request-id: SRVID\r\n"
		       "X-Mixed-Case:   spaced value  \r\n",
		       "{\"ok\":true}");
	return true;
}

/* Serve every complete request in the connection's buffer. */
static void serve(struct srv *s, struct conn *c)
{
	while (c->fd >= 0 && !c->hung && c->len) {
		char *end, *sp1, *sp2, method[16], target[16384];
		size_t hlen, blen;

		if ((unsigned char)c->in[0] == 0x16) {
			/* A TLS ClientHello: answer in plain text. */
			write_str(c->fd, "HTTP/1.1 400 Bad\r\n\r\n");
			conn_close(c, false);
			return;
		}
		end = memmem(c->in, c->len, "\r\n\r\n", 4);
		if (!end)
			return;
		hlen = (size_t)(end - c->in) + 4;
		blen = content_length(c->in, hlen);
		if (c->len < hlen + blen)
			return;
		sp1 = memchr(c->in, ' ', hlen);
		sp2 = sp1 ? memchr(sp1 + 1, ' ',
				   hlen - (size_t)(sp1 - c->in) - 1)
			  : NULL;
		if (!sp1 || !sp2 || sp1 - c->in >= 16 ||
		    sp2 - sp1 - 1 >= (long)sizeof(target)) {
			conn_close(c, false);
			return;
		}
		memcpy(method, c->in, (size_t)(sp1 - c->in));
		method[sp1 - c->in] = '\0';
		memcpy(target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		target[sp2 - sp1 - 1] = '\0';

		pthread_mutex_lock(&s->lock);
		s->requests++;
		{
			char *eol = memmem(c->in, hlen, "\r\n", 2);
			size_t ll = (size_t)(eol - c->in), hl = hlen - ll - 2;

			snprintf(s->line, sizeof(s->line), "%.*s", (int)ll,
				 c->in);
			snprintf(s->headers, sizeof(s->headers), "%.*s",
				 (int)hl, eol + 2);
			s->body_len = blen < sizeof(s->body) ? blen : 0;
			memcpy(s->body, c->in + hlen, s->body_len);
		}
		pthread_mutex_unlock(&s->lock);

		memmove(c->in, c->in + hlen + blen, c->len - hlen - blen);
		c->len -= hlen + blen;
		if (!handle(s, c, method, target))
			return;
	}
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct pollfd p[MAXC + 2];
	int map[MAXC + 2];

	for (;;) {
		int n = 0;

		p[n].fd = s->pipefd[0];
		p[n++].events = POLLIN;
		p[n].fd = s->lfd;
		p[n++].events = POLLIN;
		for (int i = 0; i < MAXC; i++) {
			if (s->c[i].fd < 0)
				continue;
			map[n] = i;
			p[n].fd = s->c[i].fd;
			p[n++].events = POLLIN;
		}
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN) {
			int fd = accept(s->lfd, NULL, NULL), slot = -1;

			for (int i = 0; fd >= 0 && i < MAXC && slot < 0; i++)
				if (s->c[i].fd < 0)
					slot = i;
			if (slot < 0) {
				if (fd >= 0)
					close(fd);
			} else {
				int one = 1;

				/* Replies are written in pieces: no Nagle. */
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
				s->c[slot].fd = fd;
				s->c[slot].len = 0;
				pthread_mutex_lock(&s->lock);
				s->accepted++;
				pthread_mutex_unlock(&s->lock);
			}
		}
		for (int k = 2; k < n; k++) {
			struct conn *c = &s->c[map[k]];
			ssize_t r;

			if (!p[k].revents || c->fd != p[k].fd)
				continue;
			r = read(c->fd, c->in + c->len, INMAX - c->len);
			if (r <= 0) {
				conn_close(c, false);
				continue;
			}
			c->len += (size_t)r;
			if (c->len == INMAX) {
				conn_close(c, false);
				continue;
			}
			serve(s, c);
		}
	}
	for (int i = 0; i < MAXC; i++)
		if (s->c[i].fd >= 0)
			close(s->c[i].fd);
	return NULL;
}

static struct srv *srv_start(void)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < MAXC; i++) {
		s->c[i].fd = -1;
		s->c[i].in = malloc(INMAX);
	}
	pthread_mutex_init(&s->lock, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(s->lfd, 64) ||
	    getsockname(s->lfd, (struct sockaddr *)&a, &alen) ||
	    pipe(s->pipefd)) {
		perror("test server");
		exit(1);
	}
	s->port = ntohs(a.sin_port);
	pthread_create(&s->th, NULL, srv_main, s);
	return s;
}

static void srv_stop(struct srv *s)
{
	if (write(s->pipefd[1], "x", 1) != 1)
		perror("test server stop");
	pthread_join(s->th, NULL);
	close(s->lfd);
	close(s->pipefd[0]);
	close(s->pipefd[1]);
	for (int i = 0; i < MAXC; i++)
		free(s->c[i].in);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int srv_count(struct srv *s, bool accepted)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = accepted ? s->accepted : s->requests;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Value of the last request's header `name`, or NULL (static buffer). */
static const char *srv_header(struct srv *s, const char *name)
{
	static char val[16384];
	const char *p = s->headers;
	size_t nl = strlen(name);

	while (*p) {
		const char *eol = strstr(p, "\r\n");
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);

		if (ll > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;

			while (*v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s", (int)(ll - (v - p)),
				 v);
			return val;
		}
		p += ll + (eol ? 2 : 0);
	}
	return NULL;
}

/* The request-target of the last request line. */
static const char *srv_target(struct srv *s)
{
	static char t[16384];
	const char *sp = strchr(s->line, ' ');
	const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;

	if (!sp2)
		return "";
	snprintf(t, sizeof(t), "%.*s", (int)(sp2 - sp - 1), sp + 1);
	return t;
}

/* ---- test helpers -------------------------------------------------------- */

struct hookrec {
	int calls;
	int fail;
	char method[16], target[16384], host[320], date[64], ctype[128];
	bool ctype_null, no_body_headers;
	size_t body_len;
};

#define TEST_AUTH                                                         \
	"Signature version=\"1\",headers=\"date (request-target) host\"," \
	"keyId=\"t/u/f\",algorithm=\"rsa-sha256\",signature=\"SECRETSIG\""
#define EMPTY_SHA "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static int test_sign(void *arg, const struct sign_request *req,
		     struct sign_result *out)
{
	struct hookrec *h = arg;
	bool body = !strcmp(req->method, "POST") || !strcmp(req->method, "PUT");

	h->calls++;
	snprintf(h->method, sizeof(h->method), "%s", req->method);
	snprintf(h->target, sizeof(h->target), "%s", req->target);
	snprintf(h->host, sizeof(h->host), "%s", req->host);
	snprintf(h->date, sizeof(h->date), "%s", req->date);
	h->ctype_null = !req->content_type;
	snprintf(h->ctype, sizeof(h->ctype), "%s",
		 req->content_type ? req->content_type : "");
	h->body_len = req->body_len;
	h->no_body_headers = req->no_body_headers;
	if (h->fail)
		return h->fail;
	must(buf_adds(&out->authorization, TEST_AUTH));
	if (body && !req->no_body_headers) {
		buf_copy(out->x_content_sha256, sizeof(out->x_content_sha256),
			 EMPTY_SHA);
		out->body_headers = true;
	}
	return 0;
}

struct logcap {
	pthread_mutex_t lock;
	int n;
	char lines[64][2048];
};

static void log_fn(void *arg, int level, const char *msg)
{
	struct logcap *l = arg;

	(void)level;
	pthread_mutex_lock(&l->lock);
	if (l->n < 64)
		snprintf(l->lines[l->n++], sizeof(l->lines[0]), "%s", msg);
	pthread_mutex_unlock(&l->lock);
}

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A port on 127.0.0.1 that nobody listens on. */
static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &alen);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static struct srv *srv;
static char base[64];

static int get(struct http_client *c, const char *path, struct http_response *r,
	       struct oci_error *e)
{
	char url[OVFS_URL_MAX];
	struct http_request req = {.method = "GET", .url = url};

	snprintf(url, sizeof(url), "%s%s", base, path);
	oci_error_clear(e);
	return http_perform(c, &req, r, e);
}

/* ---- transfers ---------------------------------------------------------- */

static void test_basic(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct http_client_opts o = {.allow_http = true, .clock = &clk};
	struct http_header h[] = {{"opc-request-id", "REQ1"}, {"X-Empty", ""}};
	struct http_request req = {
		.method = "GET", .headers = h, .nheaders = 2};
	struct http_client *c;
	struct http_response r;
	struct http_stats st;
	struct oci_error e;
	char url[128], date[32], hostport[32];
	int acc0 = srv_count(srv, true);

	clock_fake_init(&cf, &clk);
	is_int(http_client_new(&c, &o), 0, "client");
	http_response_init(&r, 0);
	snprintf(url, sizeof(url), "%s/20180608/vaults?limit=10", base);
	req.url = url;
	oci_error_clear(&e);
	is_int(http_perform(c, &req, &r, &e), 0, "GET: 0");
	ok(!oci_error_is_set(&e), "GET: no error recorded");
	is_int(r.status, 200, "GET: status 200");
	is_str(r.body.buf, "{\"ok\":true}", "GET: body");
	ok(r.new_connection, "GET: first request opens a connection");
	is_str(http_response_header(&r, "opc-request-id"), "SRVID",
	       "GET: response header captured");
	is_str(http_response_header(&r, "x-mixed-case"), "spaced value",
	       "GET: header value trimmed, name lower-cased");
	ok(memmem(r.headers.buf, r.headers.len, "x-mixed-case\0", 13) != NULL,
	   "GET: stored name is lower case");
	is_int(r.nheaders, 4, "GET: 4 headers (3 + content-length)");

	is_str(srv->line, "GET /20180608/vaults?limit=10 HTTP/1.1",
	       "server: request line");
	snprintf(hostport, sizeof(hostport), "127.0.0.1:%d", srv->port);
	is_str(srv_header(srv, "Host"), hostport, "server: Host with port");
	clock_http_date(clock_wall_s(&clk), date, sizeof(date));
	is_str(srv_header(srv, "Date"), date, "server: Date from the clock");
	is_str(srv_header(srv, "User-Agent"), OVFS_USER_AGENT,
	       "server: User-Agent");
	is_str(srv_header(srv, "Accept"), "application/json", "server: Accept");
	is_str(srv_header(srv, "opc-request-id"), "REQ1",
	       "server: caller header");
	is_str(srv_header(srv, "X-Empty"), "", "server: empty caller header");
	ok(!srv_header(srv, "Authorization"), "server: unsigned, no auth");
	ok(!srv_header(srv, "Content-Length"), "server: GET has no length");

	is_int(http_perform(c, &req, &r, &e), 0, "GET again");
	ok(!r.new_connection, "GET again: connection reused");
	is_int(srv_count(srv, true) - acc0, 1, "server: one connection");
	http_client_stats(c, &st);
	ok(st.requests == 2 && st.connections == 1 && st.failures == 0,
	   "stats: 2 requests, 1 connection, 0 failures");

	is_int(get(c, "/status/404", &r, &e), 0, "404: still 0");
	is_int(r.status, 404, "404: status");
	ok(strstr(r.body.buf, "NotAuthorizedOrNotFound") != NULL,
	   "404: error body kept");
	is_str(http_response_header(&r, "opc-request-id"), "ERRID",
	       "404: request id header");
	ok(!oci_error_is_set(&e), "404: no transport error");
	is_int(get(c, "/status/503", &r, &e), 0, "503: 0");
	is_int(r.status, 503, "503: status");
	ok(!r.new_connection, "error statuses keep the connection");

	http_response_release(&r);
	http_client_free(c);
}

static void test_signing(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct http_client_opts o = {.allow_http = true, .clock = &clk};
	struct hookrec hr = {0};
	struct http_request req = {.sign = test_sign, .sign_arg = &hr};
	static const char body[] = "{\"destination\":\"PRE_AUTHENTICATED_"
				   "REQUEST_URI\",\"uri\":\"x\"}";
	struct http_client *c;
	struct http_response r;
	struct oci_error e;
	char url[256], hostport[32], date[32];

	clock_fake_init(&cf, &clk);
	http_client_new(&c, &o);
	http_response_init(&r, 0);
	snprintf(hostport, sizeof(hostport), "127.0.0.1:%d", srv->port);
	clock_http_date(clock_wall_s(&clk), date, sizeof(date));

	snprintf(url, sizeof(url),
		 "%s/20180608/vaults?compartmentId=ocid1.c..x&page=a%%2Bb&z",
		 base);
	req.method = "GET";
	req.url = url;
	is_int(http_perform(c, &req, &r, &e), 0, "signed GET");
	is_int(hr.calls, 1, "hook called once");
	is_str(hr.method, "GET", "hook: method");
	is_str(hr.target,
	       "/20180608/vaults?compartmentId=ocid1.c..x&page=a%2Bb&z",
	       "hook: target with the raw query");
	is_str(srv_target(srv), hr.target, "server: target is what was signed");
	is_str(hr.host, hostport, "hook: host with port");
	is_str(srv_header(srv, "Host"), hr.host, "server: Host as signed");
	is_str(hr.date, date, "hook: date from the client clock");
	is_str(srv_header(srv, "Date"), hr.date, "server: Date as signed");
	ok(hr.ctype_null && hr.body_len == 0, "hook: GET has no body");
	is_str(srv_header(srv, "Authorization"), TEST_AUTH,
	       "server: Authorization as signed");
	ok(!srv_header(srv, "x-content-sha256"), "server: GET has no hash");

	snprintf(url, sizeof(url), "%s/20180608/keys/k1/actions/backup", base);
	req.method = "POST";
	req.body = body;
	req.body_len = sizeof(body) - 1;
	is_int(http_perform(c, &req, &r, &e), 0, "signed POST");
	is_str(hr.method, "POST", "hook: POST");
	is_str(hr.ctype, "application/json", "hook: default content type");
	is_int(hr.body_len, sizeof(body) - 1, "hook: body length");
	is_str(srv_target(srv), "/20180608/keys/k1/actions/backup",
	       "server: POST target");
	ok(!strncmp(srv->line, "POST ", 5), "server: method POST");
	{
		char len[16];

		snprintf(len, sizeof(len), "%zu", sizeof(body) - 1);
		is_str(srv_header(srv, "Content-Length"), len,
		       "server: Content-Length");
	}
	is_str(srv_header(srv, "Content-Type"), "application/json",
	       "server: Content-Type");
	is_str(srv_header(srv, "x-content-sha256"), EMPTY_SHA,
	       "server: x-content-sha256 as signed");
	is_str(srv_header(srv, "Authorization"), TEST_AUTH,
	       "server: POST Authorization");
	ok(!srv_header(srv, "Expect"), "server: no Expect: 100-continue");
	ok(srv->body_len == sizeof(body) - 1 &&
		   !memcmp(srv->body, body, srv->body_len),
	   "server: body bytes");

	req.body = NULL;
	req.body_len = 0;
	is_int(http_perform(c, &req, &r, &e), 0, "signed empty POST");
	is_str(srv_header(srv, "Content-Length"), "0",
	       "server: empty POST sends Content-Length: 0");
	is_str(srv_header(srv, "Content-Type"), "application/json",
	       "server: empty POST Content-Type");
	is_str(srv_header(srv, "x-content-sha256"), EMPTY_SHA,
	       "server: empty POST hash");

	req.method = "PUT";
	req.body = "r\0w";
	req.body_len = 3;
	req.content_type = "application/octet-stream";
	req.sign_no_body_headers = true;
	is_int(http_perform(c, &req, &r, &e), 0, "PUT");
	ok(!strncmp(srv->line, "PUT ", 4), "server: method PUT");
	is_str(hr.ctype, "application/octet-stream", "hook: content type");
	ok(hr.no_body_headers, "hook: no_body_headers passed on");
	is_str(srv_header(srv, "Content-Type"), "application/octet-stream",
	       "server: PUT Content-Type");
	is_str(srv_header(srv, "Content-Length"), "3", "server: PUT length");
	ok(!srv_header(srv, "x-content-sha256"),
	   "server: no hash when the body headers are not signed");
	ok(srv->body_len == 3 && !memcmp(srv->body, "r\0w", 3),
	   "server: PUT body, NUL byte included");

	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	req.content_type = NULL;
	req.sign_no_body_headers = false;
	is_int(http_perform(c, &req, &r, &e), 0, "DELETE");
	ok(!strncmp(srv->line, "DELETE ", 7), "server: method DELETE");
	ok(hr.ctype_null, "hook: DELETE has no content type");
	ok(!srv_header(srv, "Content-Type"), "server: DELETE no type");

	req.method = "HEAD";
	snprintf(url, sizeof(url), "%s/n/ns/b/bk/o/obj", base);
	is_int(http_perform(c, &req, &r, &e), 0, "HEAD");
	is_int(r.status, 200, "HEAD: status");
	is_str(http_response_header(&r, "content-length"), "123456789",
	       "HEAD: length header, larger than the cap, is no failure");
	is_str(http_response_header(&r, "etag"), "\"e1\"", "HEAD: etag");
	is_int(r.body.len, 0, "HEAD: no body");
	ok(!strncmp(srv->line, "HEAD ", 5), "server: method HEAD");

	/* What is signed is what is sent, for URLs curl normalizes. */
	{
		static const char *const paths[] = {
			"/a/./b/../c?x=%2F&y=a+b&z", "/q?",
			"/x%20y/%7Euser?a=%20",	     "",
			"/n/ns/b/bk/o/a%2Fb",
		};

		req.method = "GET";
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			snprintf(url, sizeof(url), "%s%s", base, paths[i]);
			is_int(http_perform(c, &req, &r, &e), 0, "GET '%s'",
			       paths[i]);
			is_str(srv_target(srv), hr.target,
			       "'%s': server target equals signed target",
			       paths[i]);
		}
		is_str(hr.target, "/n/ns/b/bk/o/a%2Fb",
		       "an encoded slash stays encoded");
	}
	/*
	 * Paths are sent as built, dot segments and all (CURLU_PATH_AS_IS):
	 * curl would otherwise turn ".../o/x/../y" into ".../o/y", and
	 * "../../etc/passwd" into a path outside the bucket.  An object name
	 * with '%', spaces, unicode and dots, encoded as oci.c does it.
	 */
	{
		static const char *const asis[] = {
			"/n/ns/b/bk/o/x/../y",
			"/n/ns/b/bk/o/../../etc/passwd",
			"/n/ns/b/bk/o/a/./b",
			"/n/ns/b/bk/o/a//b/",
			"/n/ns/b/bk/o/x/%2E%2E/y",
		};
		static const char *const name[] = {"100%", "my key", "\xc3\xbc",
						   "..", "a.b"};
		struct buf p = BUF_INIT(1024);
		struct http_url pu;

		req.method = "HEAD";
		for (size_t i = 0; i < sizeof(asis) / sizeof(asis[0]); i++) {
			snprintf(url, sizeof(url), "%s%s", base, asis[i]);
			is_int(http_perform(c, &req, &r, &e), 0, "HEAD '%s'",
			       asis[i]);
			is_str(srv_target(srv), asis[i],
			       "'%s' is sent as built", asis[i]);
			is_str(hr.target, asis[i], "'%s' is signed as sent",
			       asis[i]);
			is_int(http_url_parse(url, &pu), 0, "parse '%s'",
			       asis[i]);
			ok(!strcmp(pu.path, asis[i]), "parse keeps '%s'",
			   asis[i]);
		}
		must(buf_addf(&p, "%s/n/ns/b/bk/o", base));
		for (size_t i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
			must(buf_addch(&p, '/'));
			must(http_escape(name[i], strlen(name[i]), &p));
		}
		snprintf(url, sizeof(url), "%s", p.buf);
		is_int(http_perform(c, &req, &r, &e), 0, "HEAD escaped name");
		is_str(srv_target(srv),
		       "/n/ns/b/bk/o/100%25/my%20key/%C3%BC/../a.b",
		       "'%%', space and unicode escaped, '.' kept, as sent");
		is_str(hr.target, srv_target(srv), "and signed exactly so");
		buf_release(&p);
	}
	snprintf(url, sizeof(url), "http://LocalHost:%d/up", srv->port);
	is_int(http_perform(c, &req, &r, &e), 0, "GET http://LocalHost");
	{
		char lh[32];

		snprintf(lh, sizeof(lh), "localhost:%d", srv->port);
		is_str(hr.host, lh, "host signed in lower case");
		is_str(srv_header(srv, "Host"), lh, "and sent so");
	}

	hr.fail = -EKEYREJECTED;
	{
		int before = srv_count(srv, false);

		is_int(http_perform(c, &req, &r, &e), -EKEYREJECTED,
		       "a failing hook's errno is returned");
		is_int(e.local_errno, -EKEYREJECTED, "as a local error");
		is_int(srv_count(srv, false), before, "and nothing is sent");
	}
	http_response_release(&r);
	http_client_free(c);
}

static void test_limits(void)
{
	struct http_client_opts o = {.allow_http = true, .max_response = 1000};
	struct http_client *c;
	struct http_response r;
	struct oci_error e;
	struct http_stats st;
	int ret;

	http_client_new(&c, &o);
	http_response_init(&r, 0);
	{
		time_t before = time(NULL);
		char d1[32], d2[32];

		is_int(get(c, "/", &r, &e), 0, "client without a clock");
		clock_http_date(before, d1, sizeof(d1));
		clock_http_date(time(NULL), d2, sizeof(d2));
		ok(!strcmp(srv_header(srv, "Date"), d1) ||
			   !strcmp(srv_header(srv, "Date"), d2),
		   "no clock: Date is the system time ('%s')",
		   srv_header(srv, "Date"));
	}
	is_int(get(c, "/big/1000", &r, &e), 0, "body at the cap");
	is_int(r.body.len, 1000, "body at the cap: all of it");
	ret = get(c, "/big/1001", &r, &e);
	is_int(ret, -EMSGSIZE, "Content-Length over the cap: -EMSGSIZE");
	is_int(e.net, OCI_NET_TOOBIG, "Content-Length over the cap: TOOBIG");
	ok(strstr(e.message, "1000") != NULL, "message names the cap: '%s'",
	   e.message);
	is_int(r.status, 0, "a failed transfer leaves no status");
	ret = get(c, "/chunked/5000", &r, &e);
	is_int(ret, -EMSGSIZE, "chunked body over the cap: -EMSGSIZE");
	is_int(e.net, OCI_NET_TOOBIG, "chunked over the cap: TOOBIG");
	is_int(get(c, "/chunked/999", &r, &e), 0, "chunked under the cap");
	is_int(r.body.len, 999, "chunked body complete");
	http_response_release(&r);
	http_response_init(&r, 100);
	is_int(get(c, "/big/500", &r, &e), -EMSGSIZE,
	       "the response's own cap applies too");
	http_response_release(&r);
	http_response_init(&r, 0);

	/* /headers/N sends N headers plus Content-Length. */
	is_int(get(c, "/headers/63", &r, &e), 0, "64 headers are fine");
	is_int(r.nheaders, 64, "64 headers stored");
	is_str(http_response_header(&r, "x-h62"), "v62", "last one found");
	is_int(get(c, "/headers/64", &r, &e), -EPROTO, "65 headers: -EPROTO");
	is_int(e.net, OCI_NET_PROTOCOL, "65 headers: PROTOCOL");
	is_int(get(c, "/longheader/60000", &r, &e), 0, "60000-byte header");
	is_int(get(c, "/longheader/70000", &r, &e), -EPROTO,
	       "70000 bytes of headers: -EPROTO");
	is_int(get(c, "/fold", &r, &e), -EPROTO, "obsolete folding: -EPROTO");
	is_int(get(c, "/ctl", &r, &e), -EPROTO,
	       "control character in a header: -EPROTO");
	is_int(get(c, "/nul", &r, &e), -EPROTO, "NUL in a header: -EPROTO");
	is_int(get(c, "/", &r, &e), 0, "clean headers still pass");
	is_int(get(c, "/truncated", &r, &e), -EPROTO,
	       "truncated body: -EPROTO");
	is_int(e.net, OCI_NET_PROTOCOL, "truncated body: PROTOCOL");
	is_int(get(c, "/garbage", &r, &e), -EPROTO, "not HTTP: -EPROTO");
	is_int(get(c, "/reset", &r, &e), -ECONNRESET,
	       "reset by peer: -ECONNRESET");
	is_int(e.net, OCI_NET_RESET, "reset by peer: RESET");
	is_int(e.http_status, 0, "transport failure: no HTTP status");
	is_int(get(c, "/", &r, &e), 0, "the client recovers afterwards");
	http_client_stats(c, &st);
	is_int(st.failures, 11, "stats: 11 failures counted");
	http_response_release(&r);
	http_client_free(c);
}

static atomic_int cancel_after_ms;
static uint64_t cancel_start;

static bool cancel_fn(void *arg)
{
	(void)arg;
	return real_ms() - cancel_start >=
	       (uint64_t)atomic_load(&cancel_after_ms);
}

static void test_failures(void)
{
	struct http_client_opts o = {.allow_http = true, .timeout_ms = 300};
	struct http_client *c;
	struct http_response r;
	struct oci_error e;
	char url[128];
	struct http_request req = {.method = "GET", .url = url};
	uint64_t t0;
	int before;

	http_client_new(&c, &o);
	http_response_init(&r, 0);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", closed_port());
	oci_error_clear(&e);
	is_int(http_perform(c, &req, &r, &e), -ECONNREFUSED,
	       "closed port: -ECONNREFUSED");
	is_int(e.net, OCI_NET_REFUSED, "closed port: REFUSED");
	ok(e.message[0], "closed port: curl's reason '%s'", e.message);

	t0 = real_ms();
	is_int(get(c, "/hang", &r, &e), -ETIMEDOUT, "no answer: -ETIMEDOUT");
	is_int(e.net, OCI_NET_TIMEOUT, "no answer: TIMEOUT");
	ok(real_ms() - t0 < 2000, "no answer: gave up after %llu ms",
	   (unsigned long long)(real_ms() - t0));
	http_client_free(c);

	o.timeout_ms = 10000;
	o.cancelled = cancel_fn;
	http_client_new(&c, &o);
	atomic_store(&cancel_after_ms, 200);
	cancel_start = real_ms();
	is_int(get(c, "/hang", &r, &e), -ECANCELED, "cancelled: -ECANCELED");
	is_int(e.net, OCI_NET_CANCELLED, "cancelled: CANCELLED");
	ok(real_ms() - cancel_start < 2500, "cancelled after %llu ms",
	   (unsigned long long)(real_ms() - cancel_start));
	atomic_store(&cancel_after_ms, 0);
	before = srv_count(srv, false);
	is_int(get(c, "/", &r, &e), -ECANCELED, "already cancelled");
	is_int(srv_count(srv, false), before, "already cancelled: not sent");
	atomic_store(&cancel_after_ms, 1000000);
	is_int(get(c, "/", &r, &e), 0, "not cancelled: fine");
	http_client_free(c);

	/* TLS: the plain server answers a ClientHello in plain text. */
	o = (struct http_client_opts){.timeout_ms = 5000};
	http_client_new(&c, &o);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/x", srv->port);
	oci_error_clear(&e);
	is_int(http_perform(c, &req, &r, &e), -EIO,
	       "TLS handshake fails: -EIO");
	is_int(e.net, OCI_NET_TLS, "TLS handshake fails: TLS");
	http_client_free(c);
	o.ca_file = "/nonexistent/ca.pem";
	http_client_new(&c, &o);
	oci_error_clear(&e);
	is_int(http_perform(c, &req, &r, &e), -EIO, "unreadable CA file: -EIO");
	is_int(e.net, OCI_NET_TLS, "unreadable CA file: TLS");
	http_client_free(c);

	http_response_release(&r);
}

static void test_rejected(void)
{
	struct http_client_opts o = {.allow_http = true};
	struct http_client *c, *strict;
	struct http_response r;
	struct oci_error e;
	struct http_header bad[] = {{"Authorization", "x"}};
	struct http_header crlf[] = {{"x-a", "b\r\nX-Injected: 1"}};
	struct http_header badname[] = {{"x a", "b"}};
	char url[128];
	struct http_request req = {.method = "GET", .url = url};
	int before = srv_count(srv, false);

	http_client_new(&c, &o);
	o.allow_http = false;
	http_client_new(&strict, &o);
	http_response_init(&r, 0);

	snprintf(url, sizeof(url), "%s/x", base);
	is_int(http_perform(strict, &req, &r, &e), -EINVAL,
	       "http:// without allow_http: -EINVAL");
	ok(e.local_errno == -EINVAL && e.net == OCI_NET_OK,
	   "a local error, not a transport one");
	snprintf(url, sizeof(url), "http://example.com:%d/x", srv->port);
	is_int(http_perform(c, &req, &r, &e), -EINVAL,
	       "http:// to a non-loopback host: -EINVAL");
	snprintf(url, sizeof(url), "ftp://127.0.0.1:%d/x", srv->port);
	is_int(http_perform(c, &req, &r, &e), -EINVAL, "ftp://: -EINVAL");
	snprintf(url, sizeof(url), "http://u:p@127.0.0.1:%d/x", srv->port);
	is_int(http_perform(c, &req, &r, &e), -EINVAL, "user info: -EINVAL");
	snprintf(url, sizeof(url), "%s/x#f", base);
	is_int(http_perform(c, &req, &r, &e), -EINVAL, "fragment: -EINVAL");

	snprintf(url, sizeof(url), "%s/x", base);
	req.method = "PATCH";
	is_int(http_perform(c, &req, &r, &e), -EINVAL, "PATCH: -EINVAL");
	req.method = "get";
	is_int(http_perform(c, &req, &r, &e), -EINVAL, "lower-case method");
	req.method = "GET";
	req.body = "x";
	req.body_len = 1;
	is_int(http_perform(c, &req, &r, &e), -EINVAL, "GET with a body");
	req.method = "POST";
	req.body = NULL;
	is_int(http_perform(c, &req, &r, &e), -EINVAL, "body length, no body");
	req.method = "GET";
	req.body_len = 0;
	req.headers = bad;
	req.nheaders = 1;
	is_int(http_perform(c, &req, &r, &e), -EINVAL,
	       "caller's Authorization header: -EINVAL");
	req.headers = crlf;
	is_int(http_perform(c, &req, &r, &e), -EINVAL,
	       "header value with CRLF: -EINVAL");
	req.headers = badname;
	is_int(http_perform(c, &req, &r, &e), -EINVAL,
	       "header name with a space: -EINVAL");
	{
		size_t n = 20000;
		char *big = malloc(n + sizeof(base) + 2);
		struct http_request breq = {.method = "GET", .url = big};

		snprintf(big, sizeof(base) + 2, "%s/", base);
		memset(big + strlen(big), 'a', n);
		big[n] = '\0';
		is_int(http_perform(c, &breq, &r, &e), -EINVAL,
		       "request-target over 16 KiB: -EINVAL");
		is_str(e.message, "URL too long", "and says why");
		free(big);
	}
	is_int(srv_count(srv, false), before, "none of these was sent");

	http_client_free(strict);
	is_int(http_client_new(
		       &strict,
		       &(struct http_client_opts){.user_agent = "a\r\nb"}),
	       -EINVAL, "user agent with CRLF: -EINVAL");
	is_int(http_client_new(&strict,
			       &(struct http_client_opts){.timeout_ms = -1}),
	       -EINVAL, "negative timeout: -EINVAL");
	ok(!strict, "failed new leaves NULL");
	http_response_release(&r);
	http_client_free(c);
	http_client_free(NULL);
}

static void test_trace(void)
{
	struct logcap *l = calloc(1, sizeof(*l));
	struct logger lg = {.fn = log_fn, .arg = l, .max_level = LOG_DEBUG};
	struct http_client_opts o = {
		.allow_http = true, .trace = true, .log = &lg};
	struct hookrec hr = {0};
	struct http_client *c;
	struct http_response r;
	struct oci_error e;
	char url[256], want[256];
	struct http_request req = {.method = "GET",
				   .url = url,
				   .sign = test_sign,
				   .sign_arg = &hr};
	int leaks = 0;

	pthread_mutex_init(&l->lock, NULL);
	http_client_new(&c, &o);
	http_response_init(&r, 0);
	snprintf(url, sizeof(url),
		 "%s/p/SECRETTOKEN-abc_123/n/ns/b/bk/o/obj?x=1", base);
	is_int(http_perform(c, &req, &r, &e), 0, "PAR GET");
	is_int(http_perform(c, &req, &r, &e), 0, "PAR GET again");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/p/TOKEN2/n/x",
		 closed_port());
	http_perform(c, &req, &r, &e);
	is_int(l->n, 3, "one debug line per request");
	snprintf(want, sizeof(want),
		 "GET %s/p/***/n/ns/b/bk/o/obj?x=1 -> 200 (", base);
	ok(!strncmp(l->lines[0], want, strlen(want)),
	   "trace: method, redacted URL, status: '%s'", l->lines[0]);
	ok(strstr(l->lines[0], " ms, new connection)") != NULL,
	   "trace: new connection");
	ok(strstr(l->lines[1], " ms, reused connection)") != NULL,
	   "trace: reused connection: '%s'", l->lines[1]);
	ok(strstr(l->lines[2], "/p/***/n/x -> connection refused: ") != NULL,
	   "trace: failure line: '%s'", l->lines[2]);
	for (int i = 0; i < l->n; i++)
		leaks += strstr(l->lines[i], "SECRET") ||
			 strstr(l->lines[i], "TOKEN2") ||
			 strstr(l->lines[i], "Signature");
	is_int(leaks, 0, "trace: no token, signature or header in the log");
	http_client_free(c);

	l->n = 0;
	o.trace = false;
	http_client_new(&c, &o);
	snprintf(url, sizeof(url), "%s/x", base);
	http_perform(c, &req, &r, &e);
	is_int(l->n, 0, "no trace when not asked for");
	http_client_free(c);
	http_response_release(&r);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

#define NTHREADS 4
#define PER_THREAD 10

struct worker {
	struct http_client *c;
	int ok;
	int new_conns;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct http_response r;
	struct oci_error e;

	http_response_init(&r, 0);
	for (int i = 0; i < PER_THREAD; i++) {
		if (!get(w->c, "/", &r, &e) && r.status == 200 &&
		    !strcmp(r.body.buf, "{\"ok\":true}"))
			w->ok++;
		w->new_conns += r.new_connection;
	}
	http_response_release(&r);
	return NULL;
}

static void test_threads(void)
{
	struct http_client_opts o = {.allow_http = true};
	struct worker w[NTHREADS] = {0};
	pthread_t th[NTHREADS];
	struct http_client *c;
	struct http_stats st;
	int acc0 = srv_count(srv, true), total_ok = 0, conns = 0;

	http_client_new(&c, &o);
	/* Sequential requests from different threads share the connection. */
	w[0].c = c;
	pthread_create(&th[0], NULL, worker_fn, &w[0]);
	pthread_join(th[0], NULL);
	w[1].c = c;
	pthread_create(&th[1], NULL, worker_fn, &w[1]);
	pthread_join(th[1], NULL);
	ok(w[0].ok == PER_THREAD && w[1].ok == PER_THREAD,
	   "threads: two threads in turn, all fine");
	ok(w[0].new_conns == 1 && w[1].new_conns == 0,
	   "threads: the second thread reused the first one's connection");

	memset(w, 0, sizeof(w));
	for (int i = 0; i < NTHREADS; i++) {
		w[i].c = c;
		pthread_create(&th[i], NULL, worker_fn, &w[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		total_ok += w[i].ok;
		conns += w[i].new_conns;
	}
	is_int(total_ok, NTHREADS * PER_THREAD,
	       "threads: %d concurrent requests all fine",
	       NTHREADS * PER_THREAD);
	ok(srv_count(srv, true) - acc0 <= NTHREADS,
	   "threads: at most %d connections for %d requests (%d)", NTHREADS,
	   (2 + NTHREADS) * PER_THREAD, srv_count(srv, true) - acc0);
	is_int(conns + 1, srv_count(srv, true) - acc0,
	       "threads: new_connection set exactly for new connections");
	http_client_stats(c, &st);
	is_int(st.requests, (2 + NTHREADS) * PER_THREAD, "threads: stats");
	is_int(st.connections, srv_count(srv, true) - acc0,
	       "threads: stats count the connections the server saw");
	http_client_free(c);
}

static void test_ipv6_host(void)
{
	struct hookrec hr = {0};
	struct http_client_opts o = {.allow_http = true, .timeout_ms = 2000};
	struct http_client *c;
	struct http_response r;
	struct oci_error e;
	char url[128], want[32];
	int port = closed_port();
	struct http_request req = {.method = "GET",
				   .url = url,
				   .sign = test_sign,
				   .sign_arg = &hr};

	http_client_new(&c, &o);
	http_response_init(&r, 0);
	snprintf(url, sizeof(url), "http://[::1]:%d/api?a=b", port);
	ok(http_perform(c, &req, &r, &e) < 0, "[::1] closed port fails");
	snprintf(want, sizeof(want), "[::1]:%d", port);
	is_str(hr.host, want, "IPv6 host signed with brackets and port");
	is_str(hr.target, "/api?a=b", "IPv6 target");
	http_response_release(&r);
	http_client_free(c);
}

int main(void)
{
	is_int(http_global_init(), 0, "global init");
	test_url_parse();
	test_escape();
	test_response_headers();
	srv = srv_start();
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", srv->port);
	test_basic();
	test_signing();
	test_limits();
	test_failures();
	test_rejected();
	test_trace();
	test_threads();
	test_ipv6_host();
	srv_stop(srv);
	http_global_cleanup();
	return done_testing();
}
