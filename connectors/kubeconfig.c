/*
 * kubeconfig.c - read the YAML subset kubeconfig files are written in (or
 * JSON, which kubectl also accepts) into flat "path = value" entries.
 *
 * kubectl writes block mappings, block sequences ("- " items, possibly at
 * the same indentation as their key) and plain or quoted scalars.  That is
 * all this parser reads: flow collections and block scalars are kept as
 * their raw text, anchors and tags are not interpreted.  Paths look like
 * "clusters[0].cluster.server".  The input is untrusted (a KUBECONFIG may
 * come from anywhere), so depth, entries and lengths are capped and every
 * failure is an error, never a guess.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define KV_MAX_DEPTH 24
#define KV_MAX_PATH 512
#define KV_MAX_VALUE ((size_t)4 << 20) /* embedded CA bundles are large */

enum frame_kind { FR_MAP, FR_LIST };

struct frame {
	int indent;
	enum frame_kind kind;
	char path[KV_MAX_PATH];
	int index; /* lists: items so far */
};

struct kv_parser {
	struct kv_doc *d;
	struct frame st[KV_MAX_DEPTH];
	int top;
	int pending;                   /* a key with no value yet: its children follow */
	int pending_indent;
	char pending_path[KV_MAX_PATH];
	const char *why;
};

static int
kv_put(struct kv_doc *d, const char *path, const char *v, size_t n)
{
	if (d->n >= KV_MAX_ENTRIES)
		return CD_E_LIMIT;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->e = xrealloc(d->e, d->cap * sizeof(*d->e));
	}
	d->e[d->n].path = xstrdup(path);
	d->e[d->n].value = xstrndup(v, n);
	d->n++;
	return CD_OK;
}

void
kv_release(struct kv_doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->e[i].path);
		/* values include tokens and keys */
		freezero(d->e[i].value, strlen(d->e[i].value) + 1);
	}
	free(d->e);
	memset(d, 0, sizeof(*d));
}

const char *
kv_get(const struct kv_doc *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->e[i].path, path) == 0)
			return d->e[i].value;
	return NULL;
}

int
kv_find_named(const struct kv_doc *d, const char *list, const char *name)
{
	char path[KV_MAX_PATH];
	int i;

	for (i = 0; i < 1000; i++) {
		const char *v;

		snprintf(path, sizeof(path), "%s[%d].name", list, i);
		v = kv_get(d, path);
		if (v != NULL && strcmp(v, name) == 0)
			return i;
		snprintf(path, sizeof(path), "%s[%d]", list, i);
		/* stop after the last item: neither a name nor any field */
		if (v == NULL) {
			size_t k, pl = strlen(path), found = 0;

			for (k = 0; k < d->n && !found; k++)
				found = strncmp(d->e[k].path, path, pl) == 0;
			if (!found)
				return -1;
		}
	}
	return -1;
}

static int
path_join(char *out, const char *base, const char *key, size_t keylen)
{
	size_t bl = strlen(base);

	if (bl + 1 + keylen + 1 > KV_MAX_PATH)
		return CD_E_LIMIT;
	if (bl) {
		memcpy(out, base, bl);
		out[bl++] = '.';
	}
	memcpy(out + bl, key, keylen);
	out[bl + keylen] = '\0';
	return CD_OK;
}

/* A scalar: quotes removed ('' and simple \ escapes), comments dropped. */
static int
scalar(const char *a, const char *b, struct buf *out)
{
	buf_reset(out);
	if (a < b && (*a == '"' || *a == '\'')) {
		char q = *a++;

		while (a < b && *a != q) {
			char c = *a++;

			if (q == '"' && c == '\\' && a < b) {
				c = *a++;
				c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
			}
			if (buf_addc(out, c) != CD_OK)
				return CD_E_LIMIT;
			if (q == '\'' && c == '\'' && a < b && *a == '\'')
				a++;
		}
		if (a >= b)
			return CD_E_PARSE;
		return CD_OK;
	}
	/* plain: " #" starts a comment */
	{
		const char *p = a, *e = b;

		for (; p < b; p++)
			if (*p == '#' && (p == a || p[-1] == ' ' || p[-1] == '\t')) {
				e = p;
				break;
			}
		while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		return buf_add(out, a, (size_t)(e - a));
	}
}

static int
push(struct kv_parser *ps, int indent, enum frame_kind kind, const char *path)
{
	if (ps->top + 1 >= KV_MAX_DEPTH) {
		ps->why = "nesting too deep";
		return CD_E_LIMIT;
	}
	ps->top++;
	ps->st[ps->top].indent = indent;
	ps->st[ps->top].kind = kind;
	ps->st[ps->top].index = 0;
	memcpy(ps->st[ps->top].path, path, strlen(path) + 1);
	return CD_OK;
}

/* Children of a pending key: a list (items at >= its indent) or a map. */
static int
resolve_pending(struct kv_parser *ps, int indent, int is_item)
{
	int r = CD_OK;

	if (!ps->pending)
		return CD_OK;
	ps->pending = 0;
	if (is_item && indent >= ps->pending_indent)
		r = push(ps, indent, FR_LIST, ps->pending_path);
	else if (!is_item && indent > ps->pending_indent)
		r = push(ps, indent, FR_MAP, ps->pending_path);
	else
		r = kv_put(ps->d, ps->pending_path, "", 0); /* an empty value */
	return r;
}

static int
key_value(struct kv_parser *ps, int indent, const char *a, const char *b, struct buf *val)
{
	const char *colon = NULL, *p;
	char path[KV_MAX_PATH];
	int r;

	if ((r = resolve_pending(ps, indent, 0)) != CD_OK)
		return r;
	while (ps->top > 0 && (ps->st[ps->top].indent > indent ||
			       (ps->st[ps->top].kind == FR_LIST && ps->st[ps->top].indent >= indent)))
		ps->top--;
	if (ps->st[ps->top].kind != FR_MAP || ps->st[ps->top].indent != indent) {
		ps->why = "bad indentation";
		return CD_E_PARSE;
	}
	/* key: up to ": " or a final ':' (quoted keys are not used by kubeconfig) */
	for (p = a; p < b; p++)
		if (*p == ':' && (p + 1 == b || p[1] == ' ' || p[1] == '\t')) {
			colon = p;
			break;
		}
	if (colon == NULL || colon == a) {
		ps->why = "expected key: value";
		return CD_E_PARSE;
	}
	if (path_join(path, ps->st[ps->top].path, a, (size_t)(colon - a)) != CD_OK) {
		ps->why = "path too long";
		return CD_E_LIMIT;
	}
	p = colon + 1;
	while (p < b && (*p == ' ' || *p == '\t'))
		p++;
	if (p == b || *p == '#') {
		ps->pending = 1;
		ps->pending_indent = indent;
		memcpy(ps->pending_path, path, strlen(path) + 1);
		return CD_OK;
	}
	if ((r = scalar(p, b, val)) != CD_OK) {
		ps->why = "bad scalar";
		return r;
	}
	return kv_put(ps->d, path, val->data, val->len);
}

static int
list_item(struct kv_parser *ps, int indent, const char *a, const char *b, struct buf *val)
{
	char path[KV_MAX_PATH];
	struct frame *f;
	int r, n;

	if ((r = resolve_pending(ps, indent, 1)) != CD_OK)
		return r;
	while (ps->top > 0 && ps->st[ps->top].indent > indent)
		ps->top--;
	while (ps->top > 0 && ps->st[ps->top].kind == FR_MAP && ps->st[ps->top].indent >= indent)
		ps->top--;
	f = &ps->st[ps->top];
	if (f->kind != FR_LIST || f->indent != indent) {
		ps->why = "list item outside a list";
		return CD_E_PARSE;
	}
	n = snprintf(path, sizeof(path), "%s[%d]", f->path, f->index++);
	if (n < 0 || n >= (int)sizeof(path)) {
		ps->why = "path too long";
		return CD_E_LIMIT;
	}
	/* "- " then the rest: "key: value" opens the item's map at the key's
	 * column; nothing opens it at the next line's; a scalar is the item */
	{
		const char *q = a + 1, *p;
		int col, is_map = 0;

		while (q < b && *q == ' ')
			q++;
		col = indent + (int)(q - a);
		if (q == b) {
			ps->pending = 1;
			ps->pending_indent = indent;
			memcpy(ps->pending_path, path, strlen(path) + 1);
			return CD_OK;
		}
		if (*q != '"' && *q != '\'' && *q != '{' && *q != '[')
			for (p = q; p < b && !is_map; p++)
				is_map = *p == ':' && (p + 1 == b || p[1] == ' ');
		if (!is_map) {
			if ((r = scalar(q, b, val)) != CD_OK) {
				ps->why = "bad scalar";
				return r;
			}
			return kv_put(ps->d, path, val->data, val->len);
		}
		if ((r = push(ps, col, FR_MAP, path)) != CD_OK)
			return r;
		return key_value(ps, col, q, b, val);
	}
}

/* JSON kubeconfig: the same flat paths from jsmn tokens. */
static int
kv_json_walk(const struct json_doc *jd, int i, const char *path, struct kv_doc *d, int depth)
{
	char sub[KV_MAX_PATH];
	int k, n, r;

	if (depth > KV_MAX_DEPTH)
		return CD_E_LIMIT;
	switch (json_type(jd, i)) {
	case JSON_OBJECT:
		for (k = json_first(jd, i); k > 0; k = json_next(jd, i, k)) {
			struct span key = json_raw(jd, k);

			if (path_join(sub, path, key.p, key.n) != CD_OK)
				return CD_E_LIMIT;
			if ((r = kv_json_walk(jd, k + 1, sub, d, depth + 1)) != CD_OK)
				return r;
		}
		return CD_OK;
	case JSON_ARRAY:
		n = json_count(jd, i);
		for (k = 0; k < n; k++) {
			int m = snprintf(sub, sizeof(sub), "%s[%d]", path, k);

			if (m < 0 || m >= (int)sizeof(sub))
				return CD_E_LIMIT;
			if ((r = kv_json_walk(jd, json_at(jd, i, k), sub, d, depth + 1)) != CD_OK)
				return r;
		}
		return CD_OK;
	case JSON_STRING: {
		/* decoding never lengthens a string */
		size_t cap = json_raw(jd, i).n + 1, vn;
		char *v = xmalloc(cap);

		r = json_str(jd, i, v, cap, &vn);
		if (r == CD_OK)
			r = kv_put(d, path, v, vn);
		freezero(v, cap);
		return r;
	}
	case JSON_PRIMITIVE: {
		struct span s = json_raw(jd, i);

		return kv_put(d, path, s.p, s.n);
	}
	default:
		return CD_E_PARSE;
	}
}

int
kv_parse(const char *text, size_t len, struct kv_doc *d, const char **why)
{
	struct kv_parser ps;
	const char *p = text, *end = text + len;
	struct buf val;
	int r = CD_OK;

	memset(d, 0, sizeof(*d));
	*why = NULL;
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	if (p < end && *p == '{') {
		struct json_tokens t;
		struct json_doc jd;

		json_tokens_init(&t, 65536);
		r = json_parse(&jd, text, len, &t, why);
		if (r == CD_OK)
			r = kv_json_walk(&jd, 0, "", d, 0);
		json_tokens_release(&t);
		if (r != CD_OK && *why == NULL)
			*why = "bad JSON kubeconfig";
		return r;
	}
	memset(&ps, 0, sizeof(ps));
	ps.d = d;
	ps.st[0].indent = 0;
	ps.st[0].kind = FR_MAP;
	buf_init(&val, KV_MAX_VALUE);
	p = text;
	while (p < end && r == CD_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *a = p, *b = nl ? nl : end;
		int indent = 0;

		p = nl ? nl + 1 : end;
		while (b > a && (b[-1] == '\r' || b[-1] == ' ' || b[-1] == '\t'))
			b--;
		while (a < b && *a == ' ') {
			a++;
			indent++;
		}
		if (a == b || *a == '#')
			continue;
		if (*a == '\t') {
			ps.why = "tab indentation";
			r = CD_E_PARSE;
			break;
		}
		if (b - a >= 3 && (memcmp(a, "---", 3) == 0 || memcmp(a, "...", 3) == 0) && indent == 0)
			continue;
		if (*a == '-' && (a + 1 == b || a[1] == ' ')) {
			r = list_item(&ps, indent, a, b, &val);
		} else {
			r = key_value(&ps, indent, a, b, &val);
		}
	}
	if (r == CD_OK && ps.pending)
		r = kv_put(d, ps.pending_path, "", 0);
	freezero(val.data, val.alloc);
	if (r != CD_OK) {
		*why = ps.why ? ps.why : "malformed kubeconfig";
		kv_release(d);
	}
	return r;
}
