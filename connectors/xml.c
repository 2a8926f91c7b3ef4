/*
 * xml.c - a bounded, cursor-based extractor for the XML that AWS's query
 * protocol answers with.
 *
 * No DOM and no libxml2: responses are small and flat
 * (<OpResponse><OpResult><Field>..</Field></OpResult></OpResponse>, lists
 * of <member>), so finding an element by name inside a span is all a
 * connector needs.  Every scan is bounded by the span; nesting of the same
 * tag is counted so <member> inside <member> closes correctly; comments,
 * CDATA and processing instructions are skipped, never interpreted.
 */
#include <string.h>

#include "private.h"

/* Does s at p start a tag named tag ("<tag>" or "<tag " or "<tag/>")? */
static int
open_tag_at(const char *p, const char *end, const char *tag, size_t tn)
{
	if ((size_t)(end - p) < tn + 2 || p[0] != '<' || memcmp(p + 1, tag, tn) != 0)
		return 0;
	return p[tn + 1] == '>' || p[tn + 1] == ' ' || p[tn + 1] == '\t' || p[tn + 1] == '\n' ||
	       p[tn + 1] == '\r' || p[tn + 1] == '/';
}

static int
close_tag_at(const char *p, const char *end, const char *tag, size_t tn)
{
	return (size_t)(end - p) >= tn + 3 && p[0] == '<' && p[1] == '/' &&
	       memcmp(p + 2, tag, tn) == 0 && (p[tn + 2] == '>' || p[tn + 2] == ' ');
}

/* Skip <!-- -->, <![CDATA[ ]]> and <? ?> starting at p; returns the end or p. */
static const char *
skip_special(const char *p, const char *end)
{
	const char *q;

	if ((size_t)(end - p) >= 4 && memcmp(p, "<!--", 4) == 0) {
		q = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
		return q ? q + 3 : end;
	}
	if ((size_t)(end - p) >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
		q = memmem(p + 9, (size_t)(end - p - 9), "]]>", 3);
		return q ? q + 3 : end;
	}
	if ((size_t)(end - p) >= 2 && memcmp(p, "<?", 2) == 0) {
		q = memmem(p + 2, (size_t)(end - p - 2), "?>", 2);
		return q ? q + 2 : end;
	}
	return p;
}

int
xml_next(struct span s, const char **cur, const char *tag, struct span *inner)
{
	const char *end = s.p + s.n, *p = *cur;
	size_t tn = strlen(tag);

	if (p < s.p || p > end || tn == 0)
		return CD_E_NOTFOUND;
	while (p < end) {
		const char *q = memchr(p, '<', (size_t)(end - p)), *gt, *body;
		int depth;

		if (q == NULL)
			break;
		if ((p = skip_special(q, end)) != q)
			continue;
		if (!open_tag_at(q, end, tag, tn)) {
			p = q + 1;
			continue;
		}
		gt = memchr(q, '>', (size_t)(end - q));
		if (gt == NULL)
			return CD_E_PARSE;
		if (gt[-1] == '/') { /* <tag/>: empty */
			inner->p = gt + 1;
			inner->n = 0;
			*cur = gt + 1;
			return CD_OK;
		}
		body = gt + 1;
		depth = 1;
		p = body;
		while (p < end) {
			const char *r = memchr(p, '<', (size_t)(end - p));

			if (r == NULL)
				return CD_E_PARSE;
			if ((p = skip_special(r, end)) != r)
				continue;
			if (close_tag_at(r, end, tag, tn)) {
				if (--depth == 0) {
					const char *cg = memchr(r, '>', (size_t)(end - r));

					if (cg == NULL)
						return CD_E_PARSE;
					inner->p = body;
					inner->n = (size_t)(r - body);
					*cur = cg + 1;
					return CD_OK;
				}
			} else if (open_tag_at(r, end, tag, tn)) {
				const char *g2 = memchr(r, '>', (size_t)(end - r));

				if (g2 == NULL)
					return CD_E_PARSE;
				if (g2[-1] != '/')
					depth++;
			}
			p = r + 1;
		}
		return CD_E_PARSE;
	}
	return CD_E_NOTFOUND;
}

int
xml_find(struct span s, const char *tag, struct span *inner)
{
	const char *cur = s.p;

	return xml_next(s, &cur, tag, inner);
}

int
xml_text(struct span s, char *out, size_t cap)
{
	const char *p = s.p, *end = s.p + s.n;
	size_t k = 0;

	if (cap == 0)
		return CD_E_LIMIT;
	while (p < end) {
		char c = *p;

		if (c == '&') {
			const char *semi = memchr(p, ';', (size_t)(end - p) < 12 ? (size_t)(end - p) : 12);
			struct span e;
			uint64_t v = 0;

			if (semi == NULL)
				return CD_E_PARSE;
			e.p = p + 1;
			e.n = (size_t)(semi - p - 1);
			if (span_eq(e, "amp"))
				c = '&';
			else if (span_eq(e, "lt"))
				c = '<';
			else if (span_eq(e, "gt"))
				c = '>';
			else if (span_eq(e, "quot"))
				c = '"';
			else if (span_eq(e, "apos"))
				c = '\'';
			else if (e.n >= 2 && e.p[0] == '#') {
				size_t i;

				if (e.p[1] == 'x' || e.p[1] == 'X') {
					for (i = 2; i < e.n; i++) {
						int h = hexval((unsigned char)e.p[i]);

						if (h < 0 || v > 0x10ffff)
							return CD_E_PARSE;
						v = v * 16 + (uint64_t)h;
					}
				} else {
					e.p++;
					e.n--;
					if (span_to_u64(e, &v) != CD_OK)
						return CD_E_PARSE;
				}
				/* ASCII only: AWS ids and codes are ASCII; other text is
				 * informative and kept as '?' */
				c = v > 0 && v < 0x80 ? (char)v : '?';
			} else {
				return CD_E_PARSE;
			}
			p = semi + 1;
		} else {
			p++;
		}
		if (k + 1 >= cap)
			return CD_E_LIMIT;
		out[k++] = c;
	}
	out[k] = '\0';
	return CD_OK;
}
