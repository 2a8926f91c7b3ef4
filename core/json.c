/*
 * json.c - navigation over jsmn tokens.
 *
 * jsmn (Debian libjsmn-dev) was chosen by measurement (README "Why jsmn"):
 * it tokenizes into a caller-owned, fixed-size array, so a record costs no
 * allocation and token spans point into the record bytes, which keeps
 * 19-digit nanosecond integers exact.  Everything here treats the token
 * array as hostile: sizes are never trusted, only spans.
 */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS /* must match core.h: it changes jsmntok_t */
#include <jsmn.h>

#include <stdlib.h>
#include <string.h>

#include "core.h"

void
json_tokens_init(struct json_tokens *t, int cap)
{
	t->tok = xcalloc((size_t)cap, sizeof(jsmntok_t));
	t->next = xcalloc((size_t)cap, sizeof(int));
	t->cap = cap;
}

void
json_tokens_release(struct json_tokens *t)
{
	free(t->tok);
	free(t->next);
	t->tok = NULL;
	t->next = NULL;
	t->cap = 0;
}

/*
 * next[i] = first token after i's subtree, from the spans alone, in one
 * pass with a stack of open tokens (the stack reuses next[] as links).
 */
static void
json_link(jsmntok_t *tok, int *next, int n)
{
	int top = -1, j;

	for (j = 0; j < n; j++) {
		while (top >= 0 && tok[j].start >= tok[top].end) {
			int below = next[top];

			next[top] = j;
			top = below;
		}
		next[j] = top; /* remember what is below j on the stack */
		top = j;
	}
	while (top >= 0) {
		int below = next[top];

		next[top] = n;
		top = below;
	}
}

int
json_parse(struct json_doc *d, const char *js, size_t len, struct json_tokens *t,
	   const char **why)
{
	jsmntok_t *tok = t->tok;
	jsmn_parser p;
	int n, cap = t->cap;

	d->js = js;
	d->len = len;
	d->tok = tok;
	d->next = t->next;
	d->ntok = 0;
	*why = NULL;
	if (len > (size_t)INT32_MAX) {
		*why = "record too large";
		return CD_E_LIMIT;
	}
	jsmn_init(&p);
	n = jsmn_parse(&p, js, len, tok, (unsigned)cap);
	if (n == JSMN_ERROR_NOMEM) {
		*why = "too many JSON tokens in one record";
		return CD_E_LIMIT;
	}
	if (n == JSMN_ERROR_INVAL) {
		*why = "invalid JSON";
		return CD_E_PARSE;
	}
	if (n == JSMN_ERROR_PART) {
		*why = "truncated JSON";
		return CD_E_PARSE;
	}
	if (n <= 0) {
		*why = "empty JSON record";
		return CD_E_PARSE;
	}
	d->ntok = n;
	json_link(tok, t->next, n);
	if (json_skip(d, 0) != n) {
		*why = "more than one JSON value in record";
		return CD_E_PARSE;
	}
	return CD_OK;
}

enum json_type
json_type(const struct json_doc *d, int i)
{
	if (i < 0 || i >= d->ntok)
		return JSON_NONE;
	switch (d->tok[i].type) {
	case JSMN_OBJECT:
		return JSON_OBJECT;
	case JSMN_ARRAY:
		return JSON_ARRAY;
	case JSMN_STRING:
		return JSON_STRING;
	case JSMN_PRIMITIVE:
		return JSON_PRIMITIVE;
	default:
		return JSON_NONE;
	}
}

int
json_skip(const struct json_doc *d, int i)
{
	if (i < 0 || i >= d->ntok)
		return d->ntok;
	return d->next[i];
}

int
json_first(const struct json_doc *d, int obj)
{
	if (json_type(d, obj) != JSON_OBJECT)
		return -1;
	if (obj + 1 >= d->ntok || d->tok[obj + 1].start >= d->tok[obj].end)
		return -1;
	if (d->tok[obj + 1].type != JSMN_STRING || obj + 2 >= d->ntok)
		return -1;
	return obj + 1;
}

int
json_next(const struct json_doc *d, int obj, int key)
{
	int next;

	if (key < 0 || key + 1 >= d->ntok)
		return -1;
	next = json_skip(d, key + 1);
	if (next + 1 >= d->ntok || d->tok[next].start >= d->tok[obj].end ||
	    d->tok[next].type != JSMN_STRING)
		return -1;
	return next;
}

int
json_key_eq(const struct json_doc *d, int key, const char *lit)
{
	size_t n = strlen(lit);
	const jsmntok_t *t = &d->tok[key];

	return (size_t)(t->end - t->start) == n && memcmp(d->js + t->start, lit, n) == 0;
}

int
json_get(const struct json_doc *d, int obj, const char *key)
{
	size_t n = strlen(key);
	int k, end;

	if (json_type(d, obj) != JSON_OBJECT)
		return -1;
	/* keys and values alternate; next[] hops over each value's subtree */
	end = d->next[obj];
	for (k = obj + 1; k + 1 < end; k = d->next[k + 1]) {
		const jsmntok_t *t = &d->tok[k];

		if (t->type == JSMN_STRING && (size_t)(t->end - t->start) == n &&
		    (n == 0 || d->js[t->start] == key[0]) && memcmp(d->js + t->start, key, n) == 0)
			return k + 1;
	}
	return -1;
}

int
json_path(const struct json_doc *d, int obj, const char *path)
{
	char seg[128];
	const char *p = path, *dot;
	int cur = obj;

	while (cur >= 0 && *p) {
		size_t n;

		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(seg))
			return -1;
		memcpy(seg, p, n);
		seg[n] = '\0';
		cur = json_get(d, cur, seg);
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

int
json_at(const struct json_doc *d, int arr, int n)
{
	int j, k = 0;

	if (json_type(d, arr) != JSON_ARRAY)
		return -1;
	for (j = arr + 1; j < d->ntok && d->tok[j].start < d->tok[arr].end; j = json_skip(d, j)) {
		if (k++ == n)
			return j;
	}
	return -1;
}

int
json_count(const struct json_doc *d, int i)
{
	int j, k = 0;
	enum json_type t = json_type(d, i);

	if (t != JSON_ARRAY && t != JSON_OBJECT)
		return 0;
	for (j = i + 1; j < d->ntok && d->tok[j].start < d->tok[i].end; j = json_skip(d, j))
		k++;
	return t == JSON_OBJECT ? k / 2 : k;
}

struct span
json_raw(const struct json_doc *d, int i)
{
	struct span s = { "", 0 };

	if (i < 0 || i >= d->ntok || d->tok[i].start < 0 || d->tok[i].end < d->tok[i].start)
		return s;
	s.p = d->js + d->tok[i].start;
	s.n = (size_t)(d->tok[i].end - d->tok[i].start);
	return s;
}

struct span
json_text(const struct json_doc *d, int i)
{
	struct span s = json_raw(d, i);

	if (json_type(d, i) == JSON_STRING && s.p > d->js) {
		s.p--;
		s.n += 2;
	}
	return s;
}

int
json_is_null(const struct json_doc *d, int i)
{
	return json_type(d, i) == JSON_PRIMITIVE && span_eq(json_raw(d, i), "null");
}

static size_t
utf8_put(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
hex4(const char *p, const char *end, unsigned long *cp)
{
	int i, v;

	if (end - p < 4)
		return -1;
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if ((v = hexval((unsigned char)p[i])) < 0)
			return -1;
		*cp = *cp << 4 | (unsigned long)v;
	}
	return 0;
}

int
json_str(const struct json_doc *d, int i, char *out, size_t cap, size_t *outlen)
{
	struct span s = json_raw(d, i);
	const char *p = s.p, *end = s.p + s.n;
	size_t o = 0;

	if (cap == 0)
		return CD_E_LIMIT;
	while (p < end) {
		char tmp[4];
		size_t k = 1;
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		size_t run = bs ? (size_t)(bs - p) : (size_t)(end - p);

		/* copy the run up to the next escape in one go */
		if (run > 0) {
			if (o + run >= cap)
				return CD_E_LIMIT;
			memcpy(out + o, p, run);
			o += run;
			p += run;
			continue;
		}
		{
			if (++p >= end)
				break;
			switch (*p++) {
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u': {
				unsigned long cp, lo;

				if (hex4(p, end, &cp) != 0) {
					cp = 0xfffd;
				} else {
					p += 4;
					if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' &&
					    p[1] == 'u' && hex4(p + 2, end, &lo) == 0 && lo >= 0xdc00 &&
					    lo < 0xe000) {
						cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
						p += 6;
					} else if (cp >= 0xd800 && cp < 0xe000) {
						cp = 0xfffd;
					}
				}
				k = utf8_put(tmp, cp);
				break;
			}
			default: tmp[0] = p[-1]; break; /* \" \\ \/ and anything else literally */
			}
		}
		if (o + k >= cap)
			return CD_E_LIMIT;
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return CD_OK;
}

int
json_i64(const struct json_doc *d, int i, int64_t *out)
{
	enum json_type t = json_type(d, i);

	if (t != JSON_PRIMITIVE && t != JSON_STRING)
		return CD_E_PARSE;
	return span_to_i64(json_raw(d, i), out);
}

size_t
utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t k, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		k = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		k = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		k = 4;
		c = p[0] & 0x07;
	} else {
		return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF */
	}
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if ((k == 3 && c < 0x800) || (k == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c < 0xe000))
		return 0;
	*cp = c;
	return k;
}

/*
 * Code points escaped although valid: C1 controls (a terminal may take
 * U+009B as CSI), and the bidirectional and line-separator controls that
 * reorder or break what is on screen (text that reads differently from
 * what it is).
 */
int
utf8_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp < 0xa0) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * RFC 8259 strings that any parser takes: control characters, DEL and the
 * code points utf8_hidden names as \u escapes (output may well be read on
 * a terminal), and
 * every byte that is no part of a UTF-8 character as U+FFFD, so output is
 * valid UTF-8 whatever the logs held.
 */
int
json_put_strn(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int r = buf_addc(b, '"');

	while (i < n && r == CD_OK) {
		unsigned char c = p[i];
		uint32_t cp = 0;
		size_t k = 1;
		char esc[7];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			k = utf8_decode(p + i, n - i, &cp);
			if (k > 0 && !utf8_hidden(cp)) {
				i += k;
				continue;
			}
		}
		r = buf_add(b, s + run, i - run);
		if (r != CD_OK)
			break;
		switch (c) {
		case '"': r = buf_add(b, "\\\"", 2); break;
		case '\\': r = buf_add(b, "\\\\", 2); break;
		case '\n': r = buf_add(b, "\\n", 2); break;
		case '\r': r = buf_add(b, "\\r", 2); break;
		case '\t': r = buf_add(b, "\\t", 2); break;
		default:
			if (c >= 0x80 && k == 0) {
				r = buf_add(b, "\\ufffd", 6);
				k = 1;
				break;
			}
			if (c < 0x80)
				cp = c;
			memcpy(esc, "\\u", 2);
			esc[2] = hex[cp >> 12 & 15];
			esc[3] = hex[cp >> 8 & 15];
			esc[4] = hex[cp >> 4 & 15];
			esc[5] = hex[cp & 15];
			r = buf_add(b, esc, 6);
		}
		i += k;
		run = i;
	}
	if (r == CD_OK)
		r = buf_add(b, s + run, n - run);
	if (r == CD_OK)
		r = buf_addc(b, '"');
	return r;
}

int
json_put_str(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_add(b, "null", 4);
	return json_put_strn(b, s, strlen(s));
}
