/*
 * extra.c - helpers every ingester shares: the "extra" JSON object and
 * id plausibility.
 */
#include <string.h>

#include "private.h"

void
ingest_extra_begin(struct ingest_ctx *ctx)
{
	struct buf *b = ingest_extra_buf(ctx);

	buf_reset(b);
	if (buf_addc(b, '{') != CD_OK)
		b->len = 0;
}

static int
extra_key(struct buf *b, const char *key)
{
	if (b->len == 0)
		return CD_E_LIMIT;
	if (b->len > 1 && buf_addc(b, ',') != CD_OK)
		return CD_E_LIMIT;
	if (json_put_str(b, key) != CD_OK || buf_addc(b, ':') != CD_OK)
		return CD_E_LIMIT;
	return CD_OK;
}

void
ingest_extra_str(struct ingest_ctx *ctx, const char *key, const char *val)
{
	struct buf *b = ingest_extra_buf(ctx);
	size_t mark = b->len;

	if (val == NULL)
		return;
	if (extra_key(b, key) != CD_OK || json_put_str(b, val) != CD_OK)
		b->len = mark; /* too much: leave it out rather than lose the record */
	if (b->len)
		b->data[b->len] = '\0';
}

void
ingest_extra_int(struct ingest_ctx *ctx, const char *key, int64_t val)
{
	struct buf *b = ingest_extra_buf(ctx);
	size_t mark = b->len;

	if (val == EV_NULL)
		return;
	if (extra_key(b, key) != CD_OK || buf_printf(b, "%lld", (long long)val) != CD_OK)
		b->len = mark;
	if (b->len)
		b->data[b->len] = '\0';
}

/* Copy JSON text without whitespace outside strings: extra stays one line. */
static int
add_compact(struct buf *b, struct span t)
{
	size_t i, run = 0;
	int in_str = 0, esc = 0;

	for (i = 0; i < t.n; i++) {
		char c = t.p[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
			if (buf_add(b, t.p + run, i - run) != CD_OK)
				return CD_E_LIMIT;
			run = i + 1;
		}
	}
	return buf_add(b, t.p + run, t.n - run);
}

void
ingest_extra_json(struct ingest_ctx *ctx, const char *key, const struct json_doc *d, int tok)
{
	struct buf *b = ingest_extra_buf(ctx);
	size_t mark = b->len;
	struct span t;

	if (tok < 0 || json_is_null(d, tok))
		return;
	t = json_text(d, tok);
	if (extra_key(b, key) != CD_OK || add_compact(b, t) != CD_OK)
		b->len = mark;
	if (b->len)
		b->data[b->len] = '\0';
}

void
ingest_extra_end(struct ingest_ctx *ctx)
{
	struct buf *b = ingest_extra_buf(ctx);
	struct event *ev = ingest_event(ctx);

	if (b->len <= 1 || buf_addc(b, '}') != CD_OK) {
		ev->extra = NULL;
		return;
	}
	ev->extra = ev_strdup(ingest_arena(ctx), b->data, b->len);
}

int
ingest_plausible_id(const char *s)
{
	size_t n, i, stars = 0;

	if (s == NULL || (n = strlen(s)) == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == 'X' || s[i] == 'x')
			stars++;
	return stars * 2 < n; /* mostly masked ("****", "XXXX") is not an id */
}
