/*
 * listen.c - `cordon ingest --listen`: one poll loop that receives pushed
 * events and stores them with the same probes, ingesters and writer as
 * file ingest.
 *
 * A connection whose first byte is an upper-case letter speaks HTTP/1.1
 * (Falco's http_output, the Kubernetes audit webhook: one POST per body);
 * any other is a raw stream of newline-delimited JSON (Vault's socket
 * audit device), stored line by line as it comes.  Each body is probed by
 * content, so the path a sender posts to does not matter.
 *
 * Acknowledged means durable: a request's events are queued to the writer,
 * and once per turn of the loop one COMMIT covers every request read in
 * that turn (a group commit); only after the writer says it is applied is
 * any of them answered 200.  While the writer is behind, queueing blocks
 * this thread, so no socket is read: back-pressure reaches the senders
 * through TCP instead of growing memory.  Between turns nothing is
 * uncommitted, so the store's write lock is never held while idle.
 *
 * Memory is bounded by the connection count: each holds at most one
 * request head (HTTP_MAX_HEAD), one body (--listen-max-body) or one
 * stream line (--max-record) plus one read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "private.h"
#include "listen.h"

#define DEFAULT_PORT   "8765"
#define MAX_CONNS      64
#define READ_CHUNK     ((size_t)64 << 10)
#define PROBE_MAX      ((size_t)64 << 10)
#define IDLE_NS        (60LL * 1000000000LL)  /* a silent connection is closed */
#define GRACE_NS       (10LL * 1000000000LL)  /* SIGTERM: requests in hand may finish */
#define TICK_MS        200
#define TOKEN_MAX      4096

enum conn_kind { C_FREE, C_NEW, C_HTTP, C_STREAM };

struct conn {
	enum conn_kind kind;
	int fd;
	char peer[64];
	int peer_loopback;
	uint64_t nreq;
	struct buf in;              /* read, not yet parsed */
	struct buf out;             /* response being written */
	struct http_req rq;
	int awaiting;               /* fed; answered after the commit */
	int close_after;            /* close once out is written */
	int eof;
	int skip_line;              /* stream: dropping an overlong line up to its newline */
	int told_auth;
	const char *format;         /* stream: probed on its first line */
	char name[512];             /* rejects' path: listener, peer, request */
	int64_t last_ns;
	int64_t stream_off;         /* stream: bytes consumed before in.data[0] */
	struct ingest_input_summary rsum; /* this request's (or the stream's) counts */
};

struct listener {
	struct store *s;
	struct writer *w;
	struct ingest_feed *feed;
	const struct ingest_opts *o;
	const struct ingest_listen_opts *lo;
	struct ingest_input_summary *total;
	int lfd;
	char where[96];             /* ADDR:PORT as bound */
	int64_t input_id;
	int has_token;
	unsigned char token_sha[32];
	struct conn *conns;
	int max_conns, active;
	int stopping;
	int fed;                    /* something was queued this turn */
	int64_t requests, refused;
};

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- setup ---------------------------------------------------------------- */

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const unsigned char *b = in6->sin6_addr.s6_addr;
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return memcmp(b, mapped, 12) == 0 && b[12] == 127;
	}
	return 0;
}

static void
name_addr(const struct sockaddr *sa, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, cap, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, cap, "[%s]:%u", host, port);
	} else {
		snprintf(out, cap, "?");
	}
}

/* ADDR[:PORT], [V6]:PORT or a bare IPv6 address: host and port. */
static int
split_addr(const char *arg, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *colon = strrchr(arg, ':'), *h = arg, *p = DEFAULT_PORT;
	size_t hn;
	uint64_t v;
	struct span ps;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return CD_E_PARSE;
		h = arg + 1;
		hn = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
	} else if (colon != NULL && strchr(arg, ':') == colon) {
		hn = (size_t)(colon - arg);
		p = colon + 1;
	} else {
		hn = strlen(arg);
	}
	ps.p = p;
	ps.n = strlen(p);
	if (hn == 0 || hn >= hcap || ps.n == 0 || ps.n >= pcap || span_to_u64(ps, &v) != CD_OK ||
	    v > 65535)
		return CD_E_PARSE;
	memcpy(host, h, hn);
	host[hn] = '\0';
	memcpy(port, p, ps.n + 1);
	return CD_OK;
}

/* The token file: its first line, whitespace trimmed; only its hash is kept. */
static int
load_token(const char *path, unsigned char sha[32])
{
	char buf[TOKEN_MAX + 2];
	size_t n = 0, i;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		out_err("--listen-token %s: %s", path, strerror(errno));
		return CD_E_IO;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (i = 0; i < n && buf[i] != '\n' && buf[i] != '\r'; i++)
		;
	n = i;
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n == 0 || n > TOKEN_MAX) {
		explicit_bzero(buf, sizeof(buf));
		out_err("--listen-token %s: the file must hold one token of 1 to %d bytes", path,
			TOKEN_MAX);
		return CD_E_PARSE;
	}
	sha256(buf, n, sha);
	explicit_bzero(buf, sizeof(buf));
	return CD_OK;
}

static int
open_socket(struct listener *L)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], port[8];
	int fd = -1, one = 1, e;

	if (split_addr(L->lo->addr, host, sizeof(host), port, sizeof(port)) != CD_OK) {
		out_err("--listen %s: give ADDR[:PORT] (e.g. 127.0.0.1:%s or [::1]:%s)", L->lo->addr,
			DEFAULT_PORT, DEFAULT_PORT);
		return CD_E_PARSE;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		out_err("--listen %s: %s", L->lo->addr, gai_strerror(e));
		return CD_E_PARSE;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (!is_loopback(ai->ai_addr) && !L->has_token) {
			char a[96];

			name_addr(ai->ai_addr, a, sizeof(a));
			out_err("refusing to listen on %s, which is not a loopback address, without"
				" --listen-token FILE: anyone who can reach it could write evidence",
				a);
			freeaddrinfo(res);
			return CD_E_USAGE;
		}
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
			e = errno;
			close(fd);
			fd = -1;
			errno = e;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		out_err("--listen %s: %s", L->lo->addr, strerror(errno));
		return CD_E_IO;
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			name_addr((struct sockaddr *)&ss, L->where, sizeof(L->where));
	}
	L->lfd = fd;
	return CD_OK;
}

/* The listener's input row: every event it stores names it as its input. */
static int
listener_row(struct listener *L)
{
	struct store_input in;
	char path[128];
	int rc;

	snprintf(path, sizeof(path), "listen:%s", L->where);
	if (store_begin_wait(L->s, 600LL * 1000000000LL) != CD_OK)
		return CD_E_DB;
	rc = store_input_get(L->s, path, &in);
	if (rc == CD_E_NOTFOUND) {
		memset(&in, 0, sizeof(in));
		in.path = xstrdup(path);
		in.line = 1;
		in.size_seen = -1;
		rc = store_input_put(L->s, &in);
	}
	if (rc != CD_OK || store_commit(L->s) != CD_OK) {
		store_rollback(L->s);
		store_input_release(&in);
		return CD_E_DB;
	}
	L->input_id = in.id;
	store_input_release(&in);
	return CD_OK;
}

/* ---- connections -------------------------------------------------------- */

static void
conn_close(struct listener *L, struct conn *c)
{
	if (c->kind == C_FREE)
		return;
	close(c->fd);
	buf_release(&c->in);
	buf_release(&c->out);
	http_req_release(&c->rq);
	/* its counts were folded into the total at the last commit */
	memset(c, 0, sizeof(*c));
	c->kind = C_FREE;
	c->fd = -1;
	L->active--;
}

static void
count_into_total(struct listener *L, struct conn *c)
{
	L->total->events += c->rsum.events;
	L->total->duplicates += c->rsum.duplicates;
	L->total->rejects += c->rsum.rejects;
	L->total->bytes += c->rsum.bytes;
	memset(&c->rsum, 0, sizeof(c->rsum));
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* Queue a response with a small JSON body: counts, and why when it failed. */
static void
respond(struct listener *L, struct conn *c, int status, const char *why)
{
	struct buf body;
	int r;

	/* a failed parse cannot be resynchronised; after a refused body the
	 * connection can go on (the sender may retry on it) */
	if (!c->rq.keep_alive || L->stopping || c->rq.state != HTTP_DONE ||
	    (status >= 400 && status != 400 && status != 401 && status != 405))
		c->close_after = 1;
	buf_init(&body, 4096);
	r = buf_printf(&body, "{\"events\":%lld,\"duplicates\":%lld,\"rejects\":%lld",
		       (long long)c->rsum.events, (long long)c->rsum.duplicates,
		       (long long)c->rsum.rejects);
	if (why != NULL) {
		r = r ? r : buf_addstr(&body, ",\"error\":");
		r = r ? r : json_put_str(&body, why);
	}
	r = r ? r : buf_addstr(&body, "}\n");
	buf_reset(&c->out);
	r = r ? r : buf_printf(&c->out,
			       "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			       "Content-Length: %zu\r\n%s%s\r\n",
			       status, reason_phrase(status), body.len,
			       c->close_after ? "Connection: close\r\n" : "",
			       status == 401 ? "WWW-Authenticate: Bearer\r\n" : "");
	r = r ? r : buf_add(&c->out, body.data, body.len);
	if (r != CD_OK)
		c->close_after = 1;
	buf_release(&body);
}

static int
token_ok(const struct listener *L, const struct http_req *rq)
{
	unsigned char sha[32];
	const char *p = rq->auth;

	if (!L->has_token)
		return 1;
	if (rq->auth_len < 7 || rq->auth_len > HTTP_MAX_AUTH ||
	    (strncmp(p, "Bearer ", 7) != 0 && strncmp(p, "bearer ", 7) != 0))
		return 0;
	/* hashes of equal length, compared in constant time: neither the
	 * token's bytes nor its length leak through the answer's timing */
	sha256(p + 7, (size_t)rq->auth_len - 7, sha);
	return CRYPTO_memcmp(sha, L->token_sha, 32) == 0;
}

/* A request that cannot be stored: answered at once, recorded as a reject. */
static int
refuse(struct listener *L, struct conn *c, int status, const char *why, const char *raw, size_t n)
{
	if (!L->o->quiet)
		out_warn("%s: %d %s", c->name, status, why);
	respond(L, c, status, why);
	L->fed = 1;
	if (writer_reject(L->w, &c->rsum, L->input_id, c->name, 0, 0, NULL, why, raw, n) != CD_OK)
		return CD_E_DB;
	return CD_OK;
}

static void
name_request(struct listener *L, struct conn *c)
{
	snprintf(c->name, sizeof(c->name), "listen:%s peer %s request %llu %s %s", L->where, c->peer,
		 (unsigned long long)c->nreq, c->rq.method[0] ? c->rq.method : "-",
		 c->rq.target[0] ? c->rq.target : "-");
}

/* A whole request: probe its body, feed it, answer after the commit. */
static int
handle_request(struct listener *L, struct conn *c)
{
	struct http_req *rq = &c->rq;
	const char *fmt;
	int rc;

	L->requests++;
	if (!token_ok(L, rq)) {
		if (!c->told_auth && !L->o->quiet)
			out_warn("%s: refused: no valid bearer token", c->name);
		c->told_auth = 1;
		respond(L, c, 401, "a valid Authorization: Bearer token is required");
		return CD_OK;
	}
	if (strcmp(rq->method, "POST") != 0 && strcmp(rq->method, "PUT") != 0) {
		respond(L, c, 405, "send events with POST");
		return CD_OK;
	}
	if (rq->body.len == 0)
		return refuse(L, c, 400, "empty request body", NULL, 0);
	fmt = L->o->format ? L->o->format
			   : ingest_probe(rq->body.data, rq->body.len < PROBE_MAX ? rq->body.len : PROBE_MAX);
	if (fmt == NULL)
		return refuse(L, c, 400, "body not recognised as a known log format",
			      rq->body.data, rq->body.len);
	L->fed = 1;
	rc = ingest_feed(L->feed, fmt, c->name, &c->rsum, rq->body.data, rq->body.len);
	if (rc == CD_E_DB)
		return rc;
	if (rc != CD_OK)
		return refuse(L, c, 400, cd_strerror(rc), NULL, 0);
	c->awaiting = 1;
	return CD_OK;
}

static int
http_process(struct listener *L, struct conn *c)
{
	while (!c->awaiting && c->out.len == 0 && !c->close_after) {
		size_t used = 0;
		int rc = http_req_feed(&c->rq, c->in.data, c->in.len, &used);

		buf_consume(&c->in, used);
		if (c->rq.state != HTTP_HEAD && c->name[0] == '\0')
			name_request(L, c);
		switch (rc) {
		case HTTP_HEADERS:
			if (!token_ok(L, &c->rq)) {
				/* refused before its body is read (or buffered) */
				L->requests++;
				if (!c->told_auth && !L->o->quiet)
					out_warn("%s: refused: no valid bearer token", c->name);
				c->told_auth = 1;
				c->close_after = 1;
				respond(L, c, 401, "a valid Authorization: Bearer token is required");
				return CD_OK;
			}
			if (c->rq.expect_continue && buf_addstr(&c->out, "HTTP/1.1 100 Continue\r\n\r\n") != CD_OK)
				c->close_after = 1;
			if (c->out.len > 0)
				return CD_OK; /* the body comes once this is sent */
			continue;
		case HTTP_MORE:
			if (c->eof) {
				if (c->rq.state != HTTP_HEAD || c->in.len > 0)
					return refuse(L, c, 400, "connection closed in the middle of a request",
						      NULL, 0);
				c->close_after = 1;
			}
			return CD_OK;
		case HTTP_ERROR:
			if (c->name[0] == '\0')
				name_request(L, c);
			c->close_after = 1;
			return refuse(L, c, c->rq.status, c->rq.why, NULL, 0);
		case HTTP_READY:
			return handle_request(L, c);
		}
	}
	return CD_OK;
}

/* Raw stream: every whole line is stored as it comes; a cut last line at EOF is rejected. */
static int
stream_process(struct listener *L, struct conn *c)
{
	char *nl;
	size_t n;
	int rc;

	if (c->skip_line) {
		if ((nl = memchr(c->in.data, '\n', c->in.len)) == NULL) {
			c->stream_off += (int64_t)c->in.len;
			buf_reset(&c->in);
			return CD_OK;
		}
		n = (size_t)(nl - c->in.data) + 1;
		c->stream_off += (int64_t)n;
		buf_consume(&c->in, n);
		c->skip_line = 0;
	}
	nl = c->in.len ? memrchr(c->in.data, '\n', c->in.len) : NULL;
	n = nl ? (size_t)(nl - c->in.data) + 1 : c->eof ? c->in.len : 0;
	snprintf(c->name, sizeof(c->name), "listen:%s peer %s stream bytes %lld..", L->where, c->peer,
		 (long long)c->stream_off);
	if (n == 0 && c->in.len > L->o->max_record) {
		L->fed = 1;
		c->skip_line = 1;
		rc = writer_reject(L->w, &c->rsum, L->input_id, c->name, 0, 0, c->format,
				   "line exceeds the size limit", NULL, 0);
		c->stream_off += (int64_t)c->in.len;
		buf_reset(&c->in);
		return rc == CD_OK ? CD_OK : CD_E_DB;
	}
	if (n == 0)
		return CD_OK;
	L->fed = 1;
	if (c->format == NULL)
		c->format = L->o->format ? L->o->format
					 : ingest_probe(c->in.data, n < PROBE_MAX ? n : PROBE_MAX);
	if (c->format == NULL) {
		if (!L->o->quiet)
			out_warn("%s: stream not recognised as a known log format; closed", c->name);
		c->close_after = 1;
		rc = writer_reject(L->w, &c->rsum, L->input_id, c->name, 0, 0, NULL,
				   "stream not recognised as a known log format", c->in.data, n);
		buf_reset(&c->in);
		return rc == CD_OK ? CD_OK : CD_E_DB;
	}
	rc = ingest_feed(L->feed, c->format, c->name, &c->rsum, c->in.data, n);
	if (rc != CD_OK && rc != CD_E_DB &&
	    writer_reject(L->w, &c->rsum, L->input_id, c->name, 0, 0, c->format, cd_strerror(rc),
			  NULL, 0) != CD_OK)
		rc = CD_E_DB;
	c->stream_off += (int64_t)n;
	buf_consume(&c->in, n);
	return rc == CD_E_DB ? rc : CD_OK;
}

static int
conn_process(struct listener *L, struct conn *c)
{
	if (c->kind == C_NEW && c->in.len > 0) {
		unsigned char b = (unsigned char)c->in.data[0];

		c->kind = (b >= 'A' && b <= 'Z') || b == '\r' || b == '\n' ? C_HTTP : C_STREAM;
		if (c->kind == C_STREAM) {
			if (L->has_token && !c->peer_loopback) {
				/* a raw stream carries no credentials */
				if (!L->o->quiet)
					out_warn("listen:%s: raw stream from %s refused: with --listen-token,"
						 " streams are taken from loopback peers only",
						 L->where, c->peer);
				c->close_after = 1;
				return CD_OK;
			}
			c->in.max = L->o->max_record + READ_CHUNK;
		}
	}
	if (c->kind == C_HTTP)
		return http_process(L, c);
	if (c->kind == C_STREAM && !c->close_after)
		return stream_process(L, c);
	if (c->kind == C_NEW && c->eof)
		c->close_after = 1;
	return CD_OK;
}

static void
conn_read(struct listener *L, struct conn *c)
{
	size_t room = c->in.max - c->in.len;
	ssize_t n;

	if (room > READ_CHUNK)
		room = READ_CHUNK;
	if (room == 0)
		return;
	if (c->in.alloc < c->in.len + room + 1) {
		c->in.data = xrealloc(c->in.data, c->in.len + room + 1);
		c->in.alloc = c->in.len + room + 1;
	}
	n = recv(c->fd, c->in.data + c->in.len, room, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		c->eof = 1;
		return;
	}
	c->in.len += (size_t)n;
	c->in.data[c->in.len] = '\0';
	c->last_ns = time_now_ns();
	(void)L;
}

static void
conn_write(struct conn *c)
{
	ssize_t n;

	if (c->out.len == 0)
		return;
	n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0) {
		buf_reset(&c->out);
		c->close_after = 1;
		c->eof = 1;
		return;
	}
	buf_consume(&c->out, (size_t)n);
	c->last_ns = time_now_ns();
}

/* The answer is on its way: ready for the next request on this connection. */
static void
conn_next(struct conn *c)
{
	if (c->kind != C_HTTP || c->awaiting || c->out.len > 0 || c->rq.state != HTTP_DONE)
		return;
	if (c->rq.body.alloc > ((size_t)1 << 20)) {
		size_t mh = c->rq.max_head, mb = c->rq.max_body;

		http_req_release(&c->rq);
		http_req_init(&c->rq, mh, mb);
	} else {
		http_req_reset(&c->rq);
	}
	c->name[0] = '\0';
	c->nreq++;
}

static void
accept_all(struct listener *L)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(L->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC), i;
		struct conn *c = NULL;

		if (fd < 0)
			return;
		for (i = 0; i < L->max_conns && c == NULL; i++)
			if (L->conns[i].kind == C_FREE)
				c = &L->conns[i];
		if (c == NULL) {
			static const char busy[] =
				"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
				"Connection: close\r\n\r\n";

			L->refused++;
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->kind = C_NEW;
		c->fd = fd;
		c->nreq = 1;
		c->peer_loopback = is_loopback((struct sockaddr *)&ss);
		name_addr((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
		buf_init(&c->in, HTTP_MAX_HEAD + READ_CHUNK);
		buf_init(&c->out, 64 << 10);
		http_req_init(&c->rq, HTTP_MAX_HEAD, L->lo->max_body);
		c->last_ns = time_now_ns();
		L->active++;
	}
}

/* The first reject of a request, for its 400 answer (the writer is idle). */
static void
first_reject(struct listener *L, const char *path, char *out, size_t cap)
{
	sqlite3_stmt *st;

	snprintf(out, cap, "records rejected");
	if (sqlite3_prepare_v2(store_db(L->s),
			       "SELECT reason FROM rejects WHERE path = ?1 ORDER BY id LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/*
 * One COMMIT for everything this turn read, then the answers: 200 for a
 * request whose every record is stored (or was already), 400 naming the
 * first reject otherwise; the good records of that request are stored.
 */
static int
commit_and_answer(struct listener *L)
{
	struct store_input none = { 0 };
	int i, waiting = 0, rc = CD_OK;

	for (i = 0; i < L->max_conns; i++)
		waiting += L->conns[i].kind != C_FREE && L->conns[i].awaiting;
	if (!waiting && !L->fed && !writer_dirty(L->w))
		return CD_OK;
	L->fed = 0;
	if (writer_checkpoint(L->w, &none, 1) != CD_OK || writer_sync(L->w) != CD_OK)
		rc = CD_E_DB;
	for (i = 0; i < L->max_conns; i++) {
		struct conn *c = &L->conns[i];

		if (c->kind == C_FREE)
			continue;
		if (c->awaiting) {
			c->awaiting = 0;
			if (rc != CD_OK) {
				c->close_after = 1;
				respond(L, c, 503, "the store failed; nothing of this request is acknowledged");
			} else if (c->rsum.rejects > 0) {
				char why[300];

				first_reject(L, c->name, why, sizeof(why));
				respond(L, c, 400, why);
			} else {
				respond(L, c, 200, NULL);
			}
		}
		count_into_total(L, c);
	}
	return rc;
}

/* ---- the loop ------------------------------------------------------------ */

static void
begin_stop(struct listener *L)
{
	int i;

	L->stopping = 1;
	if (L->lfd >= 0) {
		close(L->lfd);
		L->lfd = -1;
	}
	for (i = 0; i < L->max_conns; i++) {
		struct conn *c = &L->conns[i];

		/* nothing in hand: closed now; a request half received may finish */
		if (c->kind == C_NEW && c->in.len == 0)
			c->close_after = 1;
		else if (c->kind == C_HTTP && c->rq.state == HTTP_HEAD && c->in.len == 0 &&
			 !c->awaiting && c->out.len == 0)
			c->close_after = 1;
		else if (c->kind == C_STREAM)
			c->eof = 1; /* what it sent so far is read below, then it is closed */
	}
}

static int
loop(struct listener *L)
{
	struct pollfd *pfd = xcalloc((size_t)L->max_conns + 1, sizeof(*pfd));
	int64_t stop_at = 0;
	int i, rc = CD_OK;

	while (rc == CD_OK) {
		int np = 0, n;
		int64_t now;

		if (stop_requested && !L->stopping) {
			begin_stop(L);
			stop_at = time_now_ns() + GRACE_NS;
		}
		if (L->stopping && (L->active == 0 || time_now_ns() > stop_at))
			break;
		if (L->lfd >= 0) {
			pfd[np].fd = L->lfd;
			pfd[np].events = POLLIN;
			np++;
		}
		for (i = 0; i < L->max_conns; i++) {
			struct conn *c = &L->conns[i];
			short ev = 0;

			if (c->kind == C_FREE)
				continue;
			if (c->out.len > 0)
				ev |= POLLOUT;
			else if (!c->awaiting && !c->eof && !c->close_after && c->in.len < c->in.max)
				ev |= POLLIN;
			pfd[np].fd = ev ? c->fd : -1;
			pfd[np].events = ev;
			pfd[np].revents = 0;
			np++;
		}
		n = poll(pfd, (nfds_t)np, TICK_MS);
		if (n < 0 && errno != EINTR) {
			out_err("poll: %s", strerror(errno));
			rc = CD_E_IO;
			break;
		}
		if (L->lfd >= 0 && n > 0 && (pfd[0].revents & POLLIN))
			accept_all(L);
		now = time_now_ns();
		for (i = 0; i < L->max_conns && rc == CD_OK; i++) {
			struct conn *c = &L->conns[i];

			if (c->kind == C_FREE)
				continue;
			if (c->out.len == 0 && !c->awaiting && !c->eof && !c->close_after)
				conn_read(L, c);
			if (L->stopping && c->kind == C_STREAM) {
				/* drain what the sender already sent, up to one line's bound */
				while (!c->close_after && c->in.len < c->in.max) {
					size_t before = c->in.len;

					c->eof = 0;
					conn_read(L, c);
					c->eof = 1;
					if (c->in.len == before)
						break;
					if ((rc = stream_process(L, c)) != CD_OK)
						break;
				}
			}
			if (rc == CD_OK)
				rc = conn_process(L, c);
			if (c->kind == C_STREAM && c->eof)
				c->close_after = 1;
			if (c->kind != C_STREAM && !c->awaiting && c->out.len == 0 && !c->close_after &&
			    c->rq.state == HTTP_HEAD &&
			    c->in.len == 0 && now - c->last_ns > IDLE_NS)
				c->close_after = 1;
		}
		if (rc == CD_OK)
			rc = commit_and_answer(L);
		for (i = 0; i < L->max_conns; i++) {
			struct conn *c = &L->conns[i];

			if (c->kind == C_FREE)
				continue;
			conn_write(c);
			conn_next(c);
			if (c->out.len == 0 && c->close_after && !c->awaiting)
				conn_close(L, c);
			else if (c->eof && c->out.len == 0 && !c->awaiting && c->kind == C_HTTP &&
				 c->rq.state == HTTP_HEAD && c->in.len == 0)
				conn_close(L, c);
		}
	}
	/* the last answers, sent as far as the senders take them */
	for (i = 0; i < L->max_conns; i++) {
		struct conn *c = &L->conns[i];

		if (c->kind != C_FREE) {
			conn_write(c);
			conn_close(L, c);
		}
	}
	free(pfd);
	return rc;
}

int
ingest_listen(struct store *s, const struct ingest_opts *o, const struct ingest_listen_opts *lo,
	      struct ingest_summary *sum)
{
	struct listener L;
	struct sigaction sa;
	int64_t t0 = time_now_ns();
	int rc;

	memset(sum, 0, sizeof(*sum));
	memset(&L, 0, sizeof(L));
	L.s = s;
	L.o = o;
	L.lo = lo;
	L.lfd = -1;
	L.max_conns = lo->max_conns > 0 ? lo->max_conns : MAX_CONNS;
	sum->ninputs = 1;
	sum->inputs = xcalloc(1, sizeof(*sum->inputs));
	L.total = &sum->inputs[0];
	if (lo->token_file != NULL) {
		if ((rc = load_token(lo->token_file, L.token_sha)) != CD_OK)
			return rc;
		L.has_token = 1;
	}
	if ((rc = open_socket(&L)) != CD_OK)
		return rc;
	L.total->path = xstrdup(L.where);
	L.total->format = "listen";
	if ((rc = listener_row(&L)) != CD_OK) {
		out_err("cannot record the listener: %s", store_errmsg(s));
		close(L.lfd);
		return rc;
	}
	free(L.total->path);
	L.total->path = NULL;
	{
		char p[128];

		snprintf(p, sizeof(p), "listen:%s", L.where);
		L.total->path = xstrdup(p);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	stop_requested = 0;

	writer_new(s, 1, o->observer, &L.w);
	/* the feed's window holds a whole body, or a stream's lines of one read */
	L.feed = ingest_feed_new(s, L.w, o, L.input_id,
				 lo->max_body > o->max_record + READ_CHUNK ? lo->max_body
									  : o->max_record + READ_CHUNK);
	L.conns = xcalloc((size_t)L.max_conns, sizeof(*L.conns));
	for (rc = 0; rc < L.max_conns; rc++)
		L.conns[rc].fd = -1;
	/* the address actually bound (port 0 picks a free one): scripts read this line */
	out_printf(stderr,
		   "cordon: listening on %s%s (HTTP POST: Falco, Kubernetes audit webhook; raw NDJSON"
		   " stream: Vault socket audit device); SIGTERM stops\n",
		   L.where, L.has_token ? " with a bearer token" : "");
	fflush(stderr);
	rc = loop(&L);
	if (writer_sync(L.w) != CD_OK && rc == CD_OK)
		rc = CD_E_DB;
	sum->full = writer_full(L.w);
	if (rc == CD_OK && writer_commit(L.w) != CD_OK) {
		out_err("final commit failed: %s", store_errmsg(s));
		rc = CD_E_DB;
	} else if (rc != CD_OK) {
		store_rollback(s);
	}
	ingest_feed_free(&L.feed);
	writer_free(&L.w);
	free(L.conns);
	if (L.lfd >= 0)
		close(L.lfd);
	sum->events = L.total->events;
	sum->duplicates = L.total->duplicates;
	sum->rejects = L.total->rejects;
	sum->bytes = L.total->bytes;
	sum->seconds = (double)(time_now_ns() - t0) / 1e9;
	if (!o->quiet)
		out_printf(stderr, "cordon: listener stopped: %lld requests answered, %lld connections"
			   " refused (too many at once)\n",
			   (long long)L.requests, (long long)L.refused);
	return rc;
}
