/*
 * grpc.c - unary gRPC calls through the one libcurl wrapper, and the few
 * protobuf encodings they need (varints, strings, nested messages).
 *
 * gRPC over HTTP/2: POST /package.Service/Method, content-type
 * application/grpc, "te: trailers", the message framed as one byte (not
 * compressed) and a 4-byte big-endian length.  The outcome is grpc-status
 * (in the trailers, or in the headers of a trailers-only answer); HTTP 200
 * alone means nothing.  Local admin APIs (SPIRE's) listen on a Unix socket
 * without TLS: HTTP/2 with prior knowledge (http_req.h2c).
 *
 * The protobuf reader is a bounded cursor: every length is checked against
 * what is left, unknown fields are skipped by their wire type, and a
 * malformed message is an error, never a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define GRPC_MAX_MSG ((size_t)4 << 20)

static const char *const grpc_codes[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
};

const char *
grpc_code_name(int code)
{
	if (code >= 0 && (size_t)code < sizeof(grpc_codes) / sizeof(grpc_codes[0]))
		return grpc_codes[code];
	return "?";
}

/* ---- protobuf writer ---------------------------------------------------- */

int
pb_varint(struct buf *b, uint64_t v)
{
	unsigned char x[10];
	size_t n = 0;

	do {
		x[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			x[n] |= 0x80;
		n++;
	} while (v);
	return buf_add(b, (const char *)x, n);
}

int
pb_bytes(struct buf *b, unsigned field, const void *p, size_t n)
{
	int r = pb_varint(b, (uint64_t)field << 3 | 2);

	r = r ? r : pb_varint(b, n);
	return r ? r : buf_add(b, p, n);
}

int
pb_str(struct buf *b, unsigned field, const char *s)
{
	return pb_bytes(b, field, s, strlen(s));
}

/* ---- protobuf reader ---------------------------------------------------- */

static int
pb_get_varint(struct pb *c, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (c->p < c->end && shift < 64) {
		unsigned char x = *c->p++;

		*v |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

int
pb_next(struct pb *c, struct pb_field *f)
{
	uint64_t key, n;

	if (c->p >= c->end)
		return 0;
	if (pb_get_varint(c, &key) != 0 || key >> 3 == 0 || key >> 3 > UINT32_MAX)
		return -1;
	f->field = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	f->v = 0;
	f->sub.p = f->sub.end = NULL;
	switch (f->wire) {
	case 0:
		return pb_get_varint(c, &f->v) == 0 ? 1 : -1;
	case 1:
	case 5:
		n = f->wire == 1 ? 8 : 4;
		if ((uint64_t)(c->end - c->p) < n)
			return -1;
		c->p += n;
		return 1;
	case 2:
		if (pb_get_varint(c, &n) != 0 || n > (uint64_t)(c->end - c->p))
			return -1;
		f->sub.p = c->p;
		f->sub.end = c->p + n;
		c->p += n;
		return 1;
	default:
		return -1; /* groups (3, 4) are not in proto3 */
	}
}

void
pb_copy_str(const struct pb *s, char *out, size_t cap)
{
	size_t n = (size_t)(s->end - s->p), i;

	if (n >= cap)
		n = cap - 1;
	for (i = 0; i < n; i++)
		out[i] = (s->p[i] < 0x20 || s->p[i] == 0x7f) ? '?' : (char)s->p[i];
	out[n] = '\0';
}

/* ---- the call ----------------------------------------------------------- */

/* Implements api_style::parse: the code and message are grpc-status and
 * grpc-message; an HTTP error (a proxy, a plain HTTP server) keeps its own. */
static void
grpc_parse(struct api_out *o)
{
	if (o->rs.grpc_status > 0) {
		snprintf(o->code, sizeof(o->code), "%s", grpc_code_name(o->rs.grpc_status));
		snprintf(o->message, sizeof(o->message), "%s", o->rs.grpc_message);
	} else if (o->rs.grpc_status < 0 && o->rs.status == 200) {
		snprintf(o->code, sizeof(o->code), "NO_GRPC_STATUS");
		snprintf(o->message, sizeof(o->message), "the answer carried no grpc-status: not a gRPC server?");
	}
}

static void
grpc_explain(struct conn_result *res, const struct api_out *o, const char *what)
{
	if (o->rs.status == 0) {
		res_detail(res, "is the server's admin socket right, and is it running?");
		return;
	}
	res_detail(res, "%s: %s%s%s", what, o->code[0] ? o->code : "HTTP error",
		   o->message[0] ? ": " : "", o->message);
}

static const struct api_style grpc_style = { .parse = grpc_parse, .explain = grpc_explain };

int
grpc_unary(struct conn *c, const char *socket, const char *method, const struct buf *msg,
	   const char *shown, int idempotent, struct api_out *o, struct pb *reply,
	   struct conn_result *res)
{
	struct http_req rq = { 0 };
	struct buf body, url, what;
	unsigned char hdr[5];
	int r;

	reply->p = reply->end = NULL;
	buf_init(&body, GRPC_MAX_MSG + 5);
	buf_init(&url, 1024);
	buf_init(&what, 2048);
	hdr[0] = 0;
	hdr[1] = (unsigned char)(msg->len >> 24);
	hdr[2] = (unsigned char)(msg->len >> 16);
	hdr[3] = (unsigned char)(msg->len >> 8);
	hdr[4] = (unsigned char)msg->len;
	if (msg->len > GRPC_MAX_MSG || buf_add(&body, hdr, 5) != CD_OK ||
	    buf_add(&body, msg->data, msg->len) != CD_OK ||
	    buf_printf(&url, "http://localhost/%s", method) != CD_OK ||
	    buf_printf(&what, "gRPC %s", method) != CD_OK) {
		api_out_init(o, &grpc_style);
		r = CD_E_LIMIT;
		goto out;
	}
	rq.method = "POST";
	rq.url = url.data;
	rq.url_shown = what.data;
	http_req_header(&rq, "Content-Type: application/grpc", 0);
	http_req_header(&rq, "TE: trailers", 0);
	rq.body = body.data;
	rq.body_len = body.len;
	rq.body_shown = shown;
	rq.unix_socket = socket;
	rq.h2c = 1;
	rq.idempotent = idempotent;
	r = api_send(c, &rq, what.data, &grpc_style, o, res);
	if (r == CD_OK && !o->rs.dry_run && o->rs.grpc_status == 0) {
		const unsigned char *p = (const unsigned char *)o->rs.body.data;
		size_t n = o->rs.body.len, len;

		/* one message: uncompressed, its length within what came */
		if (n < 5 || p[0] != 0 ||
		    (len = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4]) > n - 5) {
			snprintf(o->code, sizeof(o->code), "BAD_FRAME");
			snprintf(o->message, sizeof(o->message), "the reply is not one uncompressed gRPC message");
			o->rs.grpc_status = 13;
		} else {
			reply->p = p + 5;
			reply->end = p + 5 + len;
		}
	}
out:
	buf_release(&body);
	buf_release(&url);
	buf_release(&what);
	return r;
}
