/*
 * fuzz_json.c - libFuzzer target for the JSON core (core/json.c) and the
 * terminal escaper (core/output.c).
 *
 * The input is three things at once:
 *   - a record for the tokenizer and every accessor (types, skips, keys,
 *     paths, elements, string and integer decoding), whose answers must stay
 *     inside the record and the token array;
 *   - bytes for the writer: json_put_strn must give one RFC 8259 string
 *     that is valid UTF-8 (checked here by a validator of its own, written
 *     from the RFC and Unicode's table of well-formed sequences, not from
 *     json.c), that the tokenizer reads back as one string, and that decodes
 *     to the input with each byte of no UTF-8 character as U+FFFD;
 *   - text for people: out_escape must leave no control character, DEL, C1
 *     or bidi control and only valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unicode 15, table 3-7: length of the well-formed sequence at p, or 0. */
static size_t
ref_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t k, i;

	if (n == 0)
		return 0;
	if (p[0] <= 0x7f) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < k || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < k; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	*cp = k == 2 ? (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f)
	    : k == 3 ? (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f)
		     : (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
			       (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
	return k;
}

/* What must never reach a terminal raw (the list, spelled out again). */
static int
ref_hidden(uint32_t cp)
{
	static const uint32_t one[] = { 0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b,
					0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069 };
	size_t i;

	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 1;
	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (cp == one[i])
			return 1;
	return 0;
}

static int
ref_hex4(const unsigned char *p, uint32_t *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

/* RFC 8259 section 7, as strict as Python's json with strict UTF-8 input
 * (and no lone surrogate escapes, which cordon never writes). */
static int
ref_json_string(const unsigned char *s, size_t n)
{
	size_t i = 1, end = n - 1;

	if (n < 2 || s[0] != '"' || s[end] != '"')
		return 0;
	while (i < end) {
		uint32_t cp, lo;
		size_t k;

		if (s[i] == '"' || s[i] < 0x20)
			return 0;
		if (s[i] != '\\') {
			if ((k = ref_utf8(s + i, end - i, &cp)) == 0 || (cp >= 0x80 && ref_hidden(cp)) ||
			    cp == 0x7f)
				return 0;
			i += k;
			continue;
		}
		if (++i >= end)
			return 0;
		if (strchr("\"\\/bfnrt", s[i]) != NULL && s[i] != '\0') {
			i++;
			continue;
		}
		if (s[i] != 'u' || end - i < 5 || ref_hex4(s + i + 1, &cp) != 0)
			return 0;
		i += 5;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return 0;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - i < 6 || s[i] != '\\' || s[i + 1] != 'u' ||
			    ref_hex4(s + i + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
				return 0;
			i += 6;
		}
	}
	return 1;
}

/* The input as the writer must carry it: bytes of no character as U+FFFD. */
static void
ref_sanitize(const unsigned char *p, size_t n, struct buf *out)
{
	size_t i = 0;
	uint32_t cp;

	while (i < n) {
		size_t k = ref_utf8(p + i, n - i, &cp);

		if (k == 0) {
			if (buf_add(out, "\xef\xbf\xbd", 3) != CD_OK)
				abort();
			i++;
		} else {
			if (buf_add(out, p + i, k) != CD_OK)
				abort();
			i += k;
		}
	}
}

static void
walk_tokens(const struct json_doc *d, const char *js, size_t len)
{
	char *dec = malloc(2 * len + 16);
	int i, k, n;

	for (i = 0; i < d->ntok; i++) {
		struct span sp = json_raw(d, i), tx = json_text(d, i);
		enum json_type t = json_type(d, i);
		int64_t v;
		size_t dl = 0;

		if (json_skip(d, i) <= i || json_skip(d, i) > d->ntok)
			abort();
		if (sp.n && (sp.p < js || sp.p + sp.n > js + len))
			abort();
		if (tx.n && (tx.p < js || tx.p + tx.n > js + len))
			abort();
		(void)json_is_null(d, i);
		(void)json_i64(d, i, &v);
		if (t == JSON_STRING) {
			int r = json_str(d, i, dec, 2 * len + 16, &dl);

			if (r != CD_OK || dl >= 2 * len + 16 || dec[dl] != '\0')
				abort();
		}
		if (t == JSON_OBJECT) {
			int key, guard = 0;

			n = json_count(d, i);
			for (key = json_first(d, i); key > 0; key = json_next(d, i, key)) {
				if (key <= i || key >= d->ntok || ++guard > d->ntok)
					abort();
				/* look a few keys up by name: each lookup walks the object */
				if (guard <= 16 && json_str(d, key, dec, 2 * len + 16, &dl) == CD_OK &&
				    strlen(dec) == dl) {
					int val = json_get(d, i, dec);

					if (val >= 0 && (val <= i || val >= d->ntok))
						abort();
					(void)json_path(d, i, dec);
				}
				(void)json_key_eq(d, key, "eventName");
			}
			(void)n;
		}
		if (t == JSON_ARRAY) {
			n = json_count(d, i);
			/* the first elements, the last, and one past it */
			for (k = 0; k <= n; k = k < 16 || k >= n - 1 ? k + 1 : n - 1) {
				int el = json_at(d, i, k);

				if (k < n && (el <= i || el >= d->ntok))
					abort();
				if (k == n && el != -1)
					abort();
			}
		}
	}
	(void)json_path(d, 0, "a.b.c");
	free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_tokens t;
	struct json_doc d;
	struct buf w, want, e;
	const char *why;
	char *dec;
	size_t dl = 0, i;
	uint32_t cp;

	if (size > (1 << 16))
		return 0;
	if (t.cap == 0)
		json_tokens_init(&t, 4096);

	/* the tokenizer and the accessors */
	if (json_parse(&d, (const char *)data, size, &t, &why) == CD_OK)
		walk_tokens(&d, (const char *)data, size);

	/* the writer: valid JSON, valid UTF-8, and back to the input */
	buf_init(&w, (size_t)16 << 20);
	if (json_put_strn(&w, (const char *)data, size) != CD_OK)
		abort();
	if (!ref_json_string((const unsigned char *)w.data, w.len))
		abort();
	if (json_parse(&d, w.data, w.len, &t, &why) != CD_OK || d.ntok != 1 ||
	    json_type(&d, 0) != JSON_STRING)
		abort();
	buf_init(&want, (size_t)16 << 20);
	ref_sanitize(data, size, &want);
	dec = malloc(want.len + 1);
	if (json_str(&d, 0, dec, want.len + 1, &dl) != CD_OK || dl != want.len ||
	    memcmp(dec, want.data, dl) != 0)
		abort();
	free(dec);
	buf_release(&want);
	buf_release(&w);

	/* the terminal escaper */
	buf_init(&e, (size_t)16 << 20);
	if (out_escape(&e, (const char *)data, size) != CD_OK)
		abort();
	for (i = 0; i < e.len;) {
		size_t k = ref_utf8((const unsigned char *)e.data + i, e.len - i, &cp);

		if (k == 0 || ref_hidden(cp))
			abort();
		i += k;
	}
	buf_release(&e);
	return 0;
}
