/*
 * test_listen.c - the HTTP/1.1 request parser of `ingest --listen`: framing,
 * limits, and the same answer however the bytes are cut into reads.
 */
#include <string.h>

#include "../../ingest/listen.h"
#include "unit.h"

/* Feed s in pieces of step bytes (as a socket may deliver it), keeping
 * what the parser did not use, as the server does. */
static int
feed_in_steps(struct http_req *rq, const char *s, size_t step, size_t *rest)
{
	struct buf in;
	size_t off = 0, n = strlen(s), used;
	int rc = HTTP_MORE;

	buf_init(&in, 1 << 20);
	while (off < n || in.len > 0) {
		size_t k = n - off < step ? n - off : step;

		if (k > 0 && buf_add(&in, s + off, k) != CD_OK)
			break;
		off += k;
		rc = http_req_feed(rq, in.data, in.len, &used);
		buf_consume(&in, used);
		if (rc == HTTP_HEADERS)
			rc = http_req_feed(rq, in.data, in.len, &used), buf_consume(&in, used);
		if (rc == HTTP_READY || rc == HTTP_ERROR || (k == 0 && rc == HTTP_MORE))
			break;
	}
	*rest = in.len;
	buf_release(&in);
	return rc;
}

static void
test_content_length(void)
{
	static const char req[] = "POST /falco HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
				  "Authorization: Bearer abc\r\n\r\nhelloNEXT";
	size_t step, rest;

	for (step = 1; step <= sizeof(req); step += 3) {
		struct http_req rq;

		http_req_init(&rq, HTTP_MAX_HEAD, 1024);
		CHECK(feed_in_steps(&rq, req, step, &rest) == HTTP_READY);
		CHECK_STR(rq.method, "POST");
		CHECK_STR(rq.target, "/falco");
		CHECK(rq.body.len == 5 && memcmp(rq.body.data, "hello", 5) == 0);
		CHECK_STR(rq.auth, "Bearer abc");
		CHECK(rq.keep_alive == 1);
		CHECK(rest <= 4); /* "NEXT" is the next request's */
		http_req_release(&rq);
	}
}

static void
test_chunked(void)
{
	static const char req[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
				  "\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
	size_t step, rest;

	for (step = 1; step <= sizeof(req); step += 2) {
		struct http_req rq;

		http_req_init(&rq, HTTP_MAX_HEAD, 1024);
		CHECK(feed_in_steps(&rq, req, step, &rest) == HTTP_READY);
		CHECK(rq.body.len == 11 && memcmp(rq.body.data, "hello world", 11) == 0);
		CHECK(rq.keep_alive == 0);
		CHECK(rest == 0);
		http_req_release(&rq);
	}
}

static int
status_of(const char *req, size_t max_head, size_t max_body)
{
	struct http_req rq;
	size_t rest;
	int rc, st;

	http_req_init(&rq, max_head, max_body);
	rc = feed_in_steps(&rq, req, 7, &rest);
	st = rc == HTTP_ERROR ? rq.status : rc == HTTP_READY ? 200 : 0;
	http_req_release(&rq);
	return st;
}

static void
test_refusals(void)
{
	char big[600];

	CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 2000\r\n\r\n", 4096, 1024) == 413);
	CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n", 4096, 1024) == 413);
	CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
			4096, 1024) == 400);
	CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 4096,
			1024) == 400);
	CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n", 4096, 1024) == 400);
	CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 4096, 1024) == 501);
	CHECK(status_of("POST / HTTP/2.0\r\n\r\n", 4096, 1024) == 505);
	CHECK(status_of("post / HTTP/1.1\r\n\r\n", 4096, 1024) == 400);
	CHECK(status_of("POST / HTTP/1.1\r\n folded\r\n\r\n", 4096, 1024) == 400);
	CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 4096, 1024) == 400);
	CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 4096,
			1024) == 400);
	/* a head that never ends within the limit */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "POST / HTTP/1.1\r\nX: ", 20);
	CHECK(status_of(big, 256, 1024) == 431);
	CHECK(status_of("GET /healthz HTTP/1.0\r\n\r\n", 4096, 1024) == 200);
}

static void
test_reset_keeps_limits(void)
{
	struct http_req rq;
	size_t used;

	http_req_init(&rq, 4096, 16);
	CHECK(http_req_feed(&rq, "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n", 38, &used) == HTTP_HEADERS);
	http_req_reset(&rq);
	CHECK(rq.max_body == 16 && rq.state == HTTP_HEAD && rq.auth_len == -1);
	CHECK(http_req_feed(&rq, "POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", 39, &used) == HTTP_ERROR);
	CHECK(rq.status == 413);
	http_req_release(&rq);
}

const struct unit_test listen_tests[] = {
	{ "listen_content_length", test_content_length },
	{ "listen_chunked", test_chunked },
	{ "listen_refusals", test_refusals },
	{ "listen_reset_keeps_limits", test_reset_keeps_limits },
	{ NULL, NULL },
};
