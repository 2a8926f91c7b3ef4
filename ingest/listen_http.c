/*
 * listen_http.c - a minimal, bounded HTTP/1.1 request parser for the live
 * receivers (RFC 9112: request line, header fields, Content-Length and
 * chunked framing).  Bytes come from the network, so every length is
 * capped and every number is read with the cursor parsers; anything this
 * receiver does not need to understand is refused rather than guessed
 * (a Transfer-Encoding other than chunked, Content-Length beside chunked:
 * the two framings that let requests be smuggled past one another).
 */
#include <string.h>

#include "listen.h"

#define CHUNK_LINE_MAX 1024 /* a chunk-size line with its extensions */

void
http_req_init(struct http_req *rq, size_t max_head, size_t max_body)
{
	memset(rq, 0, sizeof(*rq));
	rq->max_head = max_head;
	rq->max_body = max_body;
	buf_init(&rq->body, max_body);
	http_req_reset(rq);
}

void
http_req_reset(struct http_req *rq)
{
	struct buf body = rq->body;
	size_t mh = rq->max_head, mb = rq->max_body;

	memset(rq, 0, sizeof(*rq));
	rq->body = body;
	buf_reset(&rq->body);
	rq->max_head = mh;
	rq->max_body = mb;
	rq->auth_len = -1;
	rq->state = HTTP_HEAD;
}

void
http_req_release(struct http_req *rq)
{
	buf_release(&rq->body);
	memset(rq, 0, sizeof(*rq));
}

static int
fail(struct http_req *rq, int status, const char *why)
{
	rq->state = HTTP_FAILED;
	rq->status = status;
	rq->why = why;
	return HTTP_ERROR;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive equality of a span and a lowercase literal. */
static int
span_ieq(struct span s, const char *lit)
{
	size_t i, n = strlen(lit);

	if (s.n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)s.p[i]) != lit[i])
			return 0;
	return 1;
}

/* RFC 9110 tchar */
static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Whether a comma-separated list holds the token lit (lowercase). */
static int
list_has(struct span v, const char *lit)
{
	const char *p = v.p, *end = v.p + v.n;

	while (p < end) {
		const char *q = p;
		struct span t;

		while (q < end && *q != ',')
			q++;
		t.p = p;
		t.n = (size_t)(q - p);
		while (t.n > 0 && (*t.p == ' ' || *t.p == '\t')) {
			t.p++;
			t.n--;
		}
		while (t.n > 0 && (t.p[t.n - 1] == ' ' || t.p[t.n - 1] == '\t'))
			t.n--;
		if (span_ieq(t, lit))
			return 1;
		p = q < end ? q + 1 : q;
	}
	return 0;
}

/* The end of the line at p (its '\n'), or NULL. */
static const char *
eol(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* A line without its CR LF (or bare LF). */
static struct span
line_of(const char *p, const char *nl)
{
	struct span s = { p, (size_t)(nl - p) };

	if (s.n > 0 && s.p[s.n - 1] == '\r')
		s.n--;
	return s;
}

static int
parse_request_line(struct http_req *rq, struct span l)
{
	const char *p = l.p, *end = l.p + l.n, *m;
	size_t n;

	for (m = p; m < end && *m >= 'A' && *m <= 'Z'; m++)
		;
	n = (size_t)(m - p);
	if (n == 0 || n >= sizeof(rq->method) || m == end || *m != ' ')
		return fail(rq, 400, "malformed request line");
	memcpy(rq->method, p, n);
	rq->method[n] = '\0';
	p = m + 1;
	for (m = p; m < end && *m > ' ' && *m < 0x7f; m++)
		;
	n = (size_t)(m - p);
	if (n == 0 || m == end || *m != ' ')
		return fail(rq, 400, "malformed request target");
	if (n >= sizeof(rq->target))
		n = sizeof(rq->target) - 1;
	memcpy(rq->target, p, n);
	rq->target[n] = '\0';
	p = m + 1;
	if (str_lit(&p, end, "HTTP/") != CD_OK)
		return fail(rq, 400, "malformed HTTP version");
	if ((size_t)(end - p) != 3 || p[1] != '.' || p[0] < '0' || p[0] > '9' || p[2] < '0' ||
	    p[2] > '9')
		return fail(rq, 400, "malformed HTTP version");
	if (p[0] != '1')
		return fail(rq, 505, "only HTTP/1.x is served");
	rq->minor = p[2] - '0';
	rq->keep_alive = rq->minor >= 1;
	return HTTP_MORE;
}

static int
parse_field(struct http_req *rq, struct span l, int *conn_close, int *conn_keep)
{
	const char *p = l.p, *end = l.p + l.n, *colon;
	struct span name, v;

	if (l.n > 0 && (*p == ' ' || *p == '\t'))
		return fail(rq, 400, "obsolete header line folding");
	for (colon = p; colon < end && is_tchar((unsigned char)*colon); colon++)
		;
	if (colon == p || colon == end || *colon != ':')
		return fail(rq, 400, "malformed header field");
	name.p = p;
	name.n = (size_t)(colon - p);
	v.p = colon + 1;
	v.n = (size_t)(end - v.p);
	while (v.n > 0 && (*v.p == ' ' || *v.p == '\t')) {
		v.p++;
		v.n--;
	}
	while (v.n > 0 && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
		v.n--;
	if (memchr(v.p, '\0', v.n) != NULL || memchr(v.p, '\r', v.n) != NULL)
		return fail(rq, 400, "control character in a header field");
	if (span_ieq(name, "content-length")) {
		uint64_t len;
		size_t i;

		for (i = 0; i < v.n; i++)
			if (v.p[i] < '0' || v.p[i] > '9')
				return fail(rq, 400, "Content-Length is not a number");
		if (v.n == 0 || v.n > 19 || span_to_u64(v, &len) != CD_OK)
			return fail(rq, 400, "Content-Length is not a number");
		if (rq->has_length && rq->length != len)
			return fail(rq, 400, "two different Content-Length fields");
		rq->has_length = 1;
		rq->length = len;
	} else if (span_ieq(name, "transfer-encoding")) {
		if (!span_ieq(v, "chunked") || rq->chunked)
			return fail(rq, 501, "only the chunked transfer coding is accepted");
		rq->chunked = 1;
	} else if (span_ieq(name, "connection")) {
		*conn_close |= list_has(v, "close");
		*conn_keep |= list_has(v, "keep-alive");
	} else if (span_ieq(name, "expect")) {
		if (span_ieq(v, "100-continue"))
			rq->expect_continue = 1;
	} else if (span_ieq(name, "authorization")) {
		if (v.n > HTTP_MAX_AUTH) {
			rq->auth_len = HTTP_MAX_AUTH + 1;
		} else {
			memcpy(rq->auth, v.p, v.n);
			rq->auth[v.n] = '\0';
			rq->auth_len = (int)v.n;
		}
	}
	return HTTP_MORE;
}

/* The head, once p[0..n) holds all of it (a blank line ends it). */
static int
parse_head(struct http_req *rq, const char *p, size_t n, size_t *used)
{
	const char *cur = p, *end = p + n, *nl;
	int conn_close = 0, conn_keep = 0, first = 1, rc;
	size_t scan = n < rq->max_head ? n : rq->max_head;

	/* RFC 9112 2.2: empty lines before a request line are ignored */
	while (cur < end && (*cur == '\r' || *cur == '\n'))
		cur++;
	/* is the blank line there yet, within the limit? */
	for (nl = cur; (nl = memchr(nl, '\n', (size_t)(p + scan - nl))) != NULL; nl++)
		if ((nl + 1 < p + scan && nl[1] == '\n') ||
		    (nl + 2 < p + scan && nl[1] == '\r' && nl[2] == '\n'))
			break;
	if (nl == NULL) {
		if (n >= rq->max_head)
			return fail(rq, 431, "request header fields too large");
		*used = 0;
		return HTTP_MORE;
	}
	for (;;) {
		struct span l;

		nl = eol(cur, end);
		CD_BUG_ON(nl == NULL);
		l = line_of(cur, nl);
		cur = nl + 1;
		if (!first && l.n == 0)
			break;
		rc = first ? parse_request_line(rq, l) : parse_field(rq, l, &conn_close, &conn_keep);
		if (rc != HTTP_MORE)
			return rc;
		first = 0;
	}
	*used = (size_t)(cur - p);
	if (conn_close)
		rq->keep_alive = 0;
	else if (conn_keep)
		rq->keep_alive = 1;
	if (rq->chunked && rq->has_length)
		return fail(rq, 400, "both Content-Length and chunked framing");
	if (rq->has_length && rq->length > rq->max_body)
		return fail(rq, 413, "request body larger than the limit");
	if (rq->chunked) {
		rq->state = HTTP_CHUNK_SIZE;
		return HTTP_HEADERS;
	}
	if (rq->has_length && rq->length > 0) {
		rq->state = HTTP_BODY;
		return HTTP_HEADERS;
	}
	rq->state = HTTP_DONE;
	return HTTP_READY;
}

static int
take(struct http_req *rq, const char *p, size_t k)
{
	if (buf_add(&rq->body, p, k) != CD_OK)
		return fail(rq, 413, "request body larger than the limit");
	return HTTP_MORE;
}

int
http_req_feed(struct http_req *rq, const char *p, size_t n, size_t *used)
{
	const char *cur = p, *end = p + n;
	size_t k;

	*used = 0;
	if (rq->state == HTTP_FAILED)
		return HTTP_ERROR;
	if (rq->state == HTTP_DONE)
		return HTTP_READY;
	if (rq->state == HTTP_HEAD)
		return parse_head(rq, p, n, used);
	for (;;) {
		*used = (size_t)(cur - p);
		switch (rq->state) {
		case HTTP_BODY:
			k = (size_t)(end - cur);
			if (k > rq->length - rq->body.len)
				k = (size_t)(rq->length - rq->body.len);
			if (take(rq, cur, k) != HTTP_MORE)
				return HTTP_ERROR;
			cur += k;
			*used = (size_t)(cur - p);
			if (rq->body.len < rq->length)
				return HTTP_MORE;
			rq->state = HTTP_DONE;
			return HTTP_READY;
		case HTTP_CHUNK_SIZE: {
			const char *nl = eol(cur, end), *q;
			struct span l;
			uint64_t size = 0;
			int digits = 0;

			if (nl == NULL) {
				if ((size_t)(end - cur) > CHUNK_LINE_MAX)
					return fail(rq, 400, "chunk size line too long");
				return HTTP_MORE;
			}
			if ((size_t)(nl - cur) > CHUNK_LINE_MAX)
				return fail(rq, 400, "chunk size line too long");
			l = line_of(cur, nl);
			for (q = l.p; q < l.p + l.n && hexval((unsigned char)*q) >= 0; q++) {
				if (++digits > 15)
					return fail(rq, 413, "request body larger than the limit");
				size = size * 16 + (uint64_t)hexval((unsigned char)*q);
			}
			if (digits == 0 || (q < l.p + l.n && *q != ';' && *q != ' ' && *q != '\t'))
				return fail(rq, 400, "malformed chunk size");
			if (size > rq->max_body - rq->body.len)
				return fail(rq, 413, "request body larger than the limit");
			cur = nl + 1;
			rq->chunk_left = size;
			rq->state = size ? HTTP_CHUNK_DATA : HTTP_TRAILER;
			break;
		}
		case HTTP_CHUNK_DATA:
			k = (size_t)(end - cur);
			if (k > rq->chunk_left)
				k = (size_t)rq->chunk_left;
			if (take(rq, cur, k) != HTTP_MORE)
				return HTTP_ERROR;
			cur += k;
			rq->chunk_left -= k;
			if (rq->chunk_left > 0) {
				*used = (size_t)(cur - p);
				return HTTP_MORE;
			}
			rq->state = HTTP_CHUNK_END;
			break;
		case HTTP_CHUNK_END:
			if (cur == end)
				return HTTP_MORE;
			if (*cur == '\n') {
				cur++;
			} else if (*cur == '\r') {
				if (cur + 1 == end)
					return HTTP_MORE;
				if (cur[1] != '\n')
					return fail(rq, 400, "chunk not followed by CRLF");
				cur += 2;
			} else {
				return fail(rq, 400, "chunk longer than its size");
			}
			rq->state = HTTP_CHUNK_SIZE;
			break;
		case HTTP_TRAILER: {
			const char *nl = eol(cur, end);
			struct span l;

			if (nl == NULL) {
				if (rq->head_seen + (size_t)(end - cur) > rq->max_head)
					return fail(rq, 431, "trailer fields too large");
				return HTTP_MORE;
			}
			l = line_of(cur, nl);
			rq->head_seen += (size_t)(nl - cur) + 1;
			if (rq->head_seen > rq->max_head)
				return fail(rq, 431, "trailer fields too large");
			cur = nl + 1;
			if (l.n == 0) {
				*used = (size_t)(cur - p);
				rq->state = HTTP_DONE;
				return HTTP_READY;
			}
			break;
		}
		default:
			return fail(rq, 400, "internal parser state");
		}
	}
}
