/*
 * listen.h - the HTTP/1.1 request parser of `cordon ingest --listen`
 * (listen_http.c), shared by the server (listen.c), the unit tests and the
 * fuzz target.
 *
 * The parser is incremental and bounded: it is fed whatever bytes arrived,
 * says how many it used, and never holds more than max_head bytes of
 * header or max_body bytes of (de-chunked) body.  It knows only what a
 * receiver needs: the method, the target, Content-Length or chunked
 * framing, keep-alive, Expect: 100-continue and an Authorization header.
 */
#ifndef CORDON_INGEST_LISTEN_H
#define CORDON_INGEST_LISTEN_H

#include "../core/core.h"

#define HTTP_MAX_HEAD  ((size_t)16 << 10)  /* request line and headers */
#define HTTP_MAX_BODY  ((size_t)16 << 20)  /* default; --listen-max-body */
#define HTTP_MAX_AUTH  1024                /* Authorization value kept */

enum http_state { HTTP_HEAD, HTTP_BODY, HTTP_CHUNK_SIZE, HTTP_CHUNK_DATA, HTTP_CHUNK_END,
		  HTTP_TRAILER, HTTP_DONE, HTTP_FAILED };

/* What http_req_feed returns. */
#define HTTP_MORE  0   /* all input used; feed more */
#define HTTP_READY 1   /* a whole request: its head and body are in req */
#define HTTP_ERROR 2   /* bad request: status and why say what to answer */
#define HTTP_HEADERS 3 /* the head is parsed, the body follows (for 100-continue) */

struct http_req {
	enum http_state state;
	int status;               /* HTTP_ERROR: 400, 413, 431, 501, 505 */
	const char *why;          /* HTTP_ERROR: a static reason */
	char method[16];
	char target[256];         /* cut to fit; for naming the request only */
	int minor;                /* HTTP/1.minor */
	int keep_alive;
	int chunked;
	int has_length;
	int expect_continue;
	uint64_t length;          /* Content-Length */
	uint64_t chunk_left;
	char auth[HTTP_MAX_AUTH + 1];
	int auth_len;             /* -1: none; HTTP_MAX_AUTH + 1: too long to be ours */
	size_t head_seen;         /* trailer bytes so far */
	size_t max_head, max_body;
	struct buf body;
};

void http_req_init(struct http_req *rq, size_t max_head, size_t max_body);
/* Ready for the next request on the same connection (keeps the buffer). */
void http_req_reset(struct http_req *rq);
void http_req_release(struct http_req *rq);
/*
 * Parse p[0..n): *used is how many bytes were taken (the rest belong to
 * what follows: more of this request, or the next one on the connection).
 * HTTP_HEADERS is returned once, when the head is complete and a body is
 * to follow; call again with the rest.
 */
int http_req_feed(struct http_req *rq, const char *p, size_t n, size_t *used);

#endif
