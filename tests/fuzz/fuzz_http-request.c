/*
 * fuzz_http-request.c - libFuzzer target for the HTTP/1.1 request parser of
 * `cordon ingest --listen` (ingest/listen_http.c).
 *
 * The first input byte picks how the rest is cut into reads (a socket
 * delivers any split); the rest is a stream of pipelined requests, parsed
 * as the server does: the unused bytes are kept and offered again with the
 * next read.  Whatever the bytes, the parser must use no more than it was
 * given, keep the body within its limit, give a Content-Length body of
 * exactly that length, and name a status when it refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/core.h"
#include "../../ingest/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEAD 2048
#define MAX_BODY 8192

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req rq;
	struct buf in;
	size_t step, off = 1;
	int requests = 0;

	if (size < 1 || size > (1 << 16))
		return 0;
	step = (size_t)data[0] % 64 + 1;
	http_req_init(&rq, MAX_HEAD, MAX_BODY);
	buf_init(&in, MAX_HEAD + 4096);
	while (off < size || in.len > 0) {
		size_t k = size - off < step ? size - off : step, used = 0;
		int rc;

		if (k > 0 && buf_add(&in, data + off, k) != CD_OK)
			abort(); /* the parser must take bytes before the buffer fills */
		off += k;
		rc = http_req_feed(&rq, in.data, in.len, &used);
		if (used > in.len)
			abort();
		buf_consume(&in, used);
		if (rq.body.len > MAX_BODY)
			abort();
		if (rc == HTTP_ERROR) {
			if (rq.status < 400 || rq.status > 599 || rq.why == NULL)
				abort();
			break; /* the server answers and closes */
		}
		if (rc == HTTP_READY) {
			if (rq.has_length && !rq.chunked && rq.body.len != rq.length)
				abort();
			if (strlen(rq.method) == 0 || rq.auth_len > HTTP_MAX_AUTH + 1)
				abort();
			http_req_reset(&rq);
			if (++requests > 1000)
				break;
			continue;
		}
		if (k == 0 && rc == HTTP_MORE)
			break; /* the input ended inside a request */
	}
	buf_release(&in);
	http_req_release(&rq);
	return 0;
}
