/*
 * extra.c - helpers every ingester shares: the "extra" JSON object, JSON
 * text without its whitespace, and id plausibility.
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

/* ---- a strict JSON grammar check over bytes ------------------------- */

#define STRICT_MAX_DEPTH 64

struct strict {
	const char *p, *end;
};

static void
strict_ws(struct strict *st)
{
	while (st->p < st->end &&
	       (*st->p == ' ' || *st->p == '\t' || *st->p == '\n' || *st->p == '\r'))
		st->p++;
}

static int
strict_lit(struct strict *st, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(st->end - st->p) < n || memcmp(st->p, lit, n) != 0)
		return -1;
	st->p += n;
	return 0;
}

static int
strict_digits(struct strict *st)
{
	const char *start = st->p;

	while (st->p < st->end && *st->p >= '0' && *st->p <= '9')
		st->p++;
	return st->p > start ? 0 : -1;
}

static int
strict_number(struct strict *st)
{
	if (st->p < st->end && *st->p == '-')
		st->p++;
	if (st->p < st->end && *st->p == '0')
		st->p++;
	else if (strict_digits(st) != 0)
		return -1;
	if (st->p < st->end && *st->p == '.') {
		st->p++;
		if (strict_digits(st) != 0)
			return -1;
	}
	if (st->p < st->end && (*st->p == 'e' || *st->p == 'E')) {
		st->p++;
		if (st->p < st->end && (*st->p == '+' || *st->p == '-'))
			st->p++;
		if (strict_digits(st) != 0)
			return -1;
	}
	return 0;
}

static int
strict_string(struct strict *st)
{
	int i;

	if (st->p >= st->end || *st->p != '"')
		return -1;
	st->p++;
	while (st->p < st->end && *st->p != '"') {
		unsigned char c = (unsigned char)*st->p++;

		if (c < 0x20)
			return -1;
		if (c != '\\')
			continue;
		if (st->p >= st->end)
			return -1;
		c = (unsigned char)*st->p++;
		if (c == 'u') {
			for (i = 0; i < 4; i++)
				if (st->p >= st->end || hexval((unsigned char)*st->p++) < 0)
					return -1;
		} else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
			return -1;
		}
	}
	if (st->p >= st->end)
		return -1;
	st->p++;
	return 0;
}

static int
strict_value(struct strict *st, int depth)
{
	char open;

	strict_ws(st);
	if (st->p >= st->end || depth > STRICT_MAX_DEPTH)
		return -1;
	switch (*st->p) {
	case '"':
		return strict_string(st);
	case 't':
		return strict_lit(st, "true");
	case 'f':
		return strict_lit(st, "false");
	case 'n':
		return strict_lit(st, "null");
	case '{':
	case '[':
		break;
	default:
		return strict_number(st);
	}
	open = *st->p++;
	strict_ws(st);
	if (st->p < st->end && *st->p == (open == '{' ? '}' : ']')) {
		st->p++;
		return 0;
	}
	for (;;) {
		if (open == '{') {
			strict_ws(st);
			if (strict_string(st) != 0)
				return -1;
			strict_ws(st);
			if (st->p >= st->end || *st->p++ != ':')
				return -1;
		}
		if (strict_value(st, depth + 1) != 0)
			return -1;
		strict_ws(st);
		if (st->p >= st->end)
			return -1;
		if (*st->p == ',') {
			st->p++;
			continue;
		}
		if (*st->p++ != (open == '{' ? '}' : ']'))
			return -1;
		return 0;
	}
}

int
ingest_json_strict(const struct json_doc *d, int tok)
{
	struct span s = json_text(d, tok);
	struct strict st;

	if (json_type(d, tok) == JSON_NONE)
		return 0;
	st.p = s.p;
	st.end = s.p + s.n;
	if (strict_value(&st, 0) != 0)
		return 0;
	strict_ws(&st);
	return st.p == st.end;
}

int
ingest_json_runs(struct span t, int (*emit)(void *arg, const char *p, size_t n), void *arg)
{
	size_t i, run = 0;
	int in_str = 0, esc = 0, rc;

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
			if (i > run && (rc = emit(arg, t.p + run, i - run)) != 0)
				return rc;
			run = i + 1;
		}
	}
	return t.n > run ? emit(arg, t.p + run, t.n - run) : 0;
}

static int
emit_buf(void *arg, const char *p, size_t n)
{
	return buf_add(arg, p, n);
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
	/* jsmn lets "tru" or "01" through; such a value is kept as a string */
	if (extra_key(b, key) != CD_OK ||
	    (ingest_json_strict(d, tok) ? ingest_json_runs(t, emit_buf, b)
					: json_put_strn(b, t.p, t.n)) != CD_OK)
		b->len = mark;
	if (b->len)
		b->data[b->len] = '\0';
}

void
ingest_extra_strv(struct ingest_ctx *ctx, const char *key, const char *const *v, size_t n)
{
	struct buf *b = ingest_extra_buf(ctx);
	size_t mark = b->len, i;
	int rc;

	if (n == 0)
		return;
	rc = extra_key(b, key);
	if (rc == CD_OK)
		rc = buf_addc(b, '[');
	for (i = 0; rc == CD_OK && i < n; i++) {
		if (i > 0)
			rc = buf_addc(b, ',');
		if (rc == CD_OK)
			rc = json_put_str(b, v[i] ? v[i] : "");
	}
	if (rc == CD_OK)
		rc = buf_addc(b, ']');
	if (rc != CD_OK)
		b->len = mark; /* too much: leave it out rather than lose the record */
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
