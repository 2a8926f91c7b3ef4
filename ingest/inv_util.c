/*
 * inv_util.c - what the inventory parsers share: the whole file as one
 * JSON document (jsmn tokens counted first, then allocated to fit, so the
 * cost is bounded by the file size and not by a fixed per-record cap),
 * decoded strings, and errors that name the line.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "inv.h"

char *
inv_take(struct buf *b)
{
	char *s = buf_detach(b, NULL);

	buf_release(b); /* buf_detach leaves a fresh empty buffer behind */
	return s;
}

char *
inv_attrs(const struct inv_attr *a, size_t n)
{
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, 65536);
	rc = buf_addc(&b, '{');
	for (i = 0; i < n && rc == CD_OK; i++)
		rc = (i ? buf_addc(&b, ',') : CD_OK) || json_put_str(&b, a[i].key) ||
		     buf_addc(&b, ':') || json_put_str(&b, a[i].val);
	if (rc != CD_OK || buf_addc(&b, '}') != CD_OK)
		buf_reset(&b);
	return inv_take(&b);
}

int
inv_fail(struct inv_ctx *c, int64_t off, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	int64_t line = 1, i;

	if (c->why[0] != '\0')
		return CD_E_PARSE; /* the first reason is the one reported */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (off >= 0 && (size_t)off <= c->len) {
		for (i = 0; i < off; i++)
			if (c->data[i] == '\n')
				line++;
		snprintf(c->why, sizeof(c->why), "line %lld: %s", (long long)line, msg);
	} else {
		snprintf(c->why, sizeof(c->why), "%s", msg);
	}
	return CD_E_PARSE;
}

int
inv_json(struct inv_ctx *c, struct json_doc *d, struct json_tokens *t)
{
	jsmn_parser p;
	const char *why;
	int n, rc;

	memset(t, 0, sizeof(*t));
	if (c->len > (size_t)INT32_MAX)
		return inv_fail(c, -1, "file too large for one JSON document");
	jsmn_init(&p);
	n = jsmn_parse(&p, c->data, c->len, NULL, 0);
	if (n == JSMN_ERROR_INVAL || n == JSMN_ERROR_PART || n <= 0)
		return inv_fail(c, (int64_t)p.pos, "%s",
				n == JSMN_ERROR_PART ? "JSON cut off before its end"
				: n <= 0 && n != JSMN_ERROR_INVAL ? "empty file"
								  : "invalid JSON");
	json_tokens_init(t, n + 1);
	rc = json_parse(d, c->data, c->len, t, &why);
	if (rc != CD_OK) {
		jsmn_init(&p);
		jsmn_parse(&p, c->data, c->len, t->tok, (unsigned)t->cap);
		return inv_fail(c, (int64_t)p.pos, "%s", why ? why : "invalid JSON");
	}
	return CD_OK;
}

int64_t
inv_off(const struct json_doc *d, int i)
{
	if (i < 0 || i >= d->ntok)
		return -1;
	return d->tok[i].start;
}

char *
inv_str(const struct json_doc *d, int i)
{
	enum json_type ty = json_type(d, i);
	struct span sp;
	char *out;

	if (ty == JSON_STRING) {
		sp = json_raw(d, i);
		out = xmalloc(sp.n + 1);
		if (json_str(d, i, out, sp.n + 1, NULL) != CD_OK) {
			free(out);
			return NULL;
		}
		return out;
	}
	if (ty == JSON_PRIMITIVE && !json_is_null(d, i)) {
		sp = json_raw(d, i);
		return xstrndup(sp.p, sp.n);
	}
	return NULL;
}

char *
inv_path(const struct json_doc *d, int obj, const char *path)
{
	return inv_str(d, json_path(d, obj, path));
}

char *
inv_strlist(const struct json_doc *d, int i)
{
	struct buf b;
	int j, k, n, rc = CD_OK;
	char *s;

	if (json_type(d, i) == JSON_STRING)
		return inv_str(d, i);
	if (json_type(d, i) != JSON_ARRAY)
		return NULL;
	buf_init(&b, (size_t)1 << 24);
	n = json_count(d, i);
	for (j = 0, k = i + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		if ((s = inv_str(d, k)) == NULL)
			continue;
		if (b.len > 0)
			rc = buf_addc(&b, '\n');
		if (rc == CD_OK)
			rc = buf_addstr(&b, s);
		free(s);
	}
	return inv_take(&b);
}

/* A run that does not fit is cut, not dropped: the condition is kept for
 * display only, and a cut one still shows what it tested. */
static int
add_cut(void *arg, const char *p, size_t n)
{
	struct buf *b = arg;
	size_t room = b->max - b->len;
	int rc = buf_add(b, p, n < room ? n : room);

	return rc != CD_OK ? rc : n > room ? CD_E_LIMIT : CD_OK;
}

char *
inv_compact(const struct json_doc *d, int i)
{
	struct span sp = json_text(d, i);
	struct buf b;

	if (i < 0 || sp.n == 0)
		return NULL;
	buf_init(&b, 4096);
	(void)ingest_json_runs(sp, add_cut, &b);
	return inv_take(&b);
}

int
inv_head_starts(const char *head, size_t len, char c)
{
	size_t i = 0;

	if (len >= 3 && (unsigned char)head[0] == 0xef && (unsigned char)head[1] == 0xbb &&
	    (unsigned char)head[2] == 0xbf)
		i = 3;
	while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
		i++;
	return i < len && head[i] == c;
}

/* Whether a value looks like a credential written into the environment. */
int
inv_secret_shaped(const char *v)
{
	const char *at, *scheme;

	if (v == NULL)
		return 0;
	if ((strncmp(v, "AKIA", 4) == 0 || strncmp(v, "ASIA", 4) == 0) && strlen(v) == 20)
		return 1;
	if (strncmp(v, "ghp_", 4) == 0 || strncmp(v, "github_pat_", 11) == 0 ||
	    strncmp(v, "xoxb-", 5) == 0 || strncmp(v, "sk_live_", 8) == 0 ||
	    strncmp(v, "-----BEGIN", 10) == 0)
		return 1;
	/* scheme://user:password@host */
	if ((scheme = strstr(v, "://")) != NULL && (at = strchr(scheme + 3, '@')) != NULL) {
		const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));

		return colon != NULL && colon + 1 < at;
	}
	return 0;
}
