/*
 * split.c - cut a byte stream into JSON records without parsing it.
 *
 * One pass over the bytes tracks only string/escape state and bracket
 * depth, so a 2 GB CloudTrail file streams through a window of a few
 * megabytes.  It accepts NDJSON, concatenated pretty-printed objects, a
 * top-level array of records, and the {"Records":[...]} (CloudTrail) and
 * {"items":[...]} (EventList, kubectl List) and {"jobs":[...]} (GitHub's
 * jobs API) wrappers, unwrapped as they
 * stream.  Broken input is cut as early as it can be seen, so one bad
 * record does not swallow the good ones after it:
 *   - a raw newline inside a string ends the record (JSON forbids it);
 *   - '{' in column 0 inside a top-level record starts a new one (pretty
 *     printers always indent nested objects);
 *   - a top-level line that does not start a JSON value is rejected alone.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "private.h"

enum { KEY_NONE, KEY_IN, KEY_AFTER, KEY_COLON };

/* Bytes that end a run of ordinary string content. */
static const unsigned char str_stop[256] = { ['"'] = 1, ['\\'] = 1, ['\n'] = 1 };

/*
 * The first byte at or after i that ends ordinary string content, or len.
 * Strings are most of a JSON log's bytes, and this scan was half of the
 * splitter's time on CloudTrail files (the splitter about a sixth of the
 * parsing thread's): with SSE2, which every x86-64 has, it looks at 16
 * bytes a step.
 */
static size_t
str_run_end(const char *win, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
		      nl = _mm_set1_epi8('\n');

	while (len - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(win + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
			_mm_cmpeq_epi8(v, nl)));

		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < len && !str_stop[(unsigned char)win[i]])
		i++;
	return i;
}

void
json_splitter_init(struct json_splitter *sp, int resume_mode, int64_t line)
{
	memset(sp, 0, sizeof(*sp));
	sp->mode = resume_mode;
	sp->depth = resume_mode == SPLIT_IN_WRAPPER ? 2 : resume_mode == SPLIT_IN_ARRAY ? 1 : 0;
	sp->wrapped = resume_mode == SPLIT_IN_WRAPPER;
	sp->rec_start = -1;
	sp->col0 = 1;
	sp->line = line > 0 ? line : 1;
}

/* Depth at which records start in the current mode. */
static int
record_depth(const struct json_splitter *sp)
{
	return sp->mode == SPLIT_IN_WRAPPER ? 2 : sp->mode == SPLIT_IN_ARRAY ? 1 : 0;
}

/* Bytes that may start a line inside an unindented multi-line record. */
static int
json_continues(char c)
{
	return c == '}' || c == ']' || c == '"' || c == ',' || c == '[' || c == ':' || c == '-' ||
	       (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n';
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
emit(struct json_splitter *sp, struct split_out *out, enum split_event what, size_t start,
     size_t end, int64_t line, const char *why)
{
	out->what = what;
	out->start = start;
	out->end = end;
	out->line = line;
	out->abs_off = sp->base + (int64_t)start;
	out->why = why;
}

/* Abandon the current record as broken; the scanner is back between records. */
static void
reset_between(struct json_splitter *sp)
{
	sp->depth = record_depth(sp);
	sp->in_str = sp->esc = 0;
	sp->rec_start = -1;
	sp->key_state = KEY_NONE;
	if (sp->mode == SPLIT_TOP)
		sp->wrapped = 0;
}

/* Too big: stop keeping the record's bytes; it is rejected when it ends. */
static void
check_size(struct json_splitter *sp, size_t i, size_t max)
{
	if (!sp->oversize && sp->rec_start >= 0 &&
	    (size_t)(sp->base + (int64_t)i - sp->rec_start) > max) {
		sp->oversize = 1;
		sp->over_off = sp->rec_start;
		sp->over_line = sp->rec_line;
		sp->rec_start = -1;
	}
}

/* The oversized record ended at i: reject it, without its bytes. */
static void
emit_oversize(struct json_splitter *sp, struct split_out *out, size_t i)
{
	sp->oversize = 0;
	reset_between(sp);
	emit(sp, out, SPLIT_REJECT, i, i, sp->over_line, "record exceeds the size limit");
	out->abs_off = sp->over_off;
}

void
json_split(struct json_splitter *sp, const char *win, size_t len, size_t *pos, size_t max,
	   struct split_out *out)
{
	size_t i = *pos;

	out->what = SPLIT_NONE;
	while (i < len) {
		char c = win[i];

		/* a non-JSON line at top level: skip to its end, reject it */
		if (sp->garbage) {
			const char *nl = memchr(win + i, '\n', len - i);

			if (nl == NULL) {
				i = len;
				break;
			}
			i = (size_t)(nl - win) + 1;
			sp->line++;
			sp->col0 = 1;
			sp->garbage = 0;
			emit(sp, out, SPLIT_REJECT, (size_t)(sp->garbage_start - sp->base), i - 1,
			     sp->rec_line, "not a JSON record");
			*pos = i;
			return;
		}
		if (sp->in_str) {
			/* fast path through ordinary string bytes */
			if (!sp->esc)
				i = str_run_end(win, i, len);
			if (i >= len)
				break;
			c = win[i];
			if (sp->esc) {
				sp->esc = 0;
			} else if (c == '\\') {
				sp->esc = 1;
			} else if (c == '"') {
				sp->in_str = 0;
				if (sp->key_state == KEY_IN) {
					struct span k = { win + (sp->key_start - sp->base),
							  (size_t)(sp->base + (int64_t)i - sp->key_start) };

					sp->is_wrapper_key = span_eq(k, "Records") || span_eq(k, "items") ||
							    span_eq(k, "jobs");
					sp->key_state = KEY_AFTER;
				}
			} else { /* raw newline inside a string: the record is broken */
				size_t start = sp->rec_start >= 0 ? (size_t)(sp->rec_start - sp->base) : i;
				int64_t line = sp->rec_line;
				int had = sp->rec_start >= 0 || sp->oversize;

				sp->line++;
				sp->col0 = 1;
				i++;
				check_size(sp, i, max);
				if (sp->oversize) {
					emit_oversize(sp, out, i);
					*pos = i;
					return;
				}
				reset_between(sp);
				if (had) {
					emit(sp, out, SPLIT_REJECT, start, i - 1, line,
					     "unterminated string in JSON record");
					*pos = i;
					return;
				}
				continue;
			}
			i++;
			sp->col0 = 0;
			continue;
		}

		if (c == '\n') {
			sp->line++;
			sp->col0 = 1;
			i++;
			continue;
		}
		if (is_ws(c)) {
			sp->col0 = 0; /* indentation: no longer column 0 */
			i++;
			continue;
		}
		/*
		 * Column 0 inside a top-level record: pretty printers indent
		 * nested content, so '{' here starts a new record and a byte
		 * that cannot continue JSON means the old one was cut off.
		 */
		if (sp->col0 && sp->mode == SPLIT_TOP && sp->depth > 0 &&
		    (sp->rec_start >= 0 || sp->oversize) && (c == '{' || !json_continues(c))) {
			size_t start = sp->rec_start >= 0 ? (size_t)(sp->rec_start - sp->base) : i;

			if (sp->oversize) {
				emit_oversize(sp, out, i);
			} else {
				reset_between(sp);
				emit(sp, out, SPLIT_REJECT, start, i, sp->rec_line,
				     "unterminated JSON record");
			}
			*pos = i;
			return;
		}
		sp->col0 = 0;

		if (sp->depth == record_depth(sp) && !(sp->mode == SPLIT_TOP && sp->wrapped)) {
			/* between records */
			if (c == ',') {
				i++;
				continue;
			}
			if (c == '{') {
				sp->rec_start = sp->base + (int64_t)i;
				sp->rec_line = sp->line;
				sp->depth++;
				sp->key_state = KEY_NONE;
				sp->wrapped = 0;
				i++;
				continue;
			}
			if (c == '[' && sp->mode == SPLIT_TOP) {
				sp->mode = SPLIT_IN_ARRAY;
				sp->depth = 1;
				i++;
				continue;
			}
			if (c == ']' && sp->mode != SPLIT_TOP) {
				if (sp->mode == SPLIT_IN_WRAPPER) {
					sp->mode = SPLIT_TOP;
					sp->depth = 1; /* still inside the wrapper object */
					sp->wrapped = 1;
				} else {
					sp->mode = SPLIT_TOP;
					sp->depth = 0;
				}
				i++;
				continue;
			}
			sp->garbage = 1;
			sp->garbage_start = sp->base + (int64_t)i;
			sp->rec_line = sp->line;
			continue;
		}

		/* inside a record (or inside a wrapper object around records) */
		switch (c) {
		case '"':
			sp->in_str = 1;
			if (sp->mode == SPLIT_TOP && sp->depth == 1 && sp->key_state == KEY_NONE) {
				sp->key_state = KEY_IN;
				sp->key_start = sp->base + (int64_t)i + 1;
			} else if (sp->key_state == KEY_COLON) {
				sp->key_state = KEY_NONE;
			}
			break;
		case ':':
			if (sp->key_state == KEY_AFTER)
				sp->key_state = KEY_COLON;
			break;
		case ',':
			if (sp->mode == SPLIT_TOP && sp->depth == 1)
				sp->key_state = KEY_NONE;
			break;
		case '{':
		case '[':
			if (c == '[' && sp->mode == SPLIT_TOP && sp->depth == 1 &&
			    sp->key_state == KEY_COLON && sp->is_wrapper_key && !sp->oversize) {
				/* {"Records":[ ... ]}: stream the elements as records */
				sp->mode = SPLIT_IN_WRAPPER;
				sp->depth = 2;
				sp->wrapped = 1;
				sp->rec_start = -1;
				sp->key_state = KEY_NONE;
				i++;
				continue;
			}
			if (sp->key_state == KEY_COLON)
				sp->key_state = KEY_NONE;
			if (sp->depth >= 10000) { /* nesting bomb: treat as broken */
				sp->garbage = 1;
				sp->garbage_start = sp->rec_start >= 0 ? sp->rec_start : sp->base + (int64_t)i;
				reset_between(sp);
				continue;
			}
			sp->depth++;
			break;
		case '}':
		case ']':
			sp->depth--;
			if (sp->depth == record_depth(sp)) {
				if (sp->mode == SPLIT_TOP && sp->wrapped) {
					/* end of a wrapper object: its records are already out */
					sp->wrapped = 0;
					sp->key_state = KEY_NONE;
					i++;
					continue;
				}
				i++;
				check_size(sp, i, max);
				if (sp->oversize) {
					emit_oversize(sp, out, i);
					*pos = i;
					return;
				}
				emit(sp, out, SPLIT_RECORD, (size_t)(sp->rec_start - sp->base), i,
				     sp->rec_line, NULL);
				sp->rec_start = -1;
				sp->key_state = KEY_NONE;
				*pos = i;
				return;
			}
			if (sp->depth < record_depth(sp)) { /* stray closer */
				reset_between(sp);
			}
			break;
		default:
			if (sp->key_state == KEY_COLON)
				sp->key_state = KEY_NONE;
			break;
		}
		i++;
		check_size(sp, i, max);
	}
	check_size(sp, i, max);
	*pos = i;
}

size_t
json_split_keep_from(const struct json_splitter *sp, size_t pos)
{
	int64_t keep = sp->base + (int64_t)pos;

	if (sp->rec_start >= 0 && sp->rec_start < keep)
		keep = sp->rec_start;
	if (sp->garbage && sp->garbage_start < keep)
		keep = sp->garbage_start;
	if (sp->key_state == KEY_IN && sp->key_start < keep)
		keep = sp->key_start;
	return (size_t)(keep - sp->base);
}

void
json_split_shift(struct json_splitter *sp, size_t n)
{
	sp->base += (int64_t)n;
}

int
json_split_at_boundary(const struct json_splitter *sp)
{
	return !sp->in_str && sp->rec_start < 0 && !sp->oversize && !sp->garbage &&
	       sp->depth == record_depth(sp) && !(sp->mode == SPLIT_TOP && sp->wrapped);
}

/*
 * The NDJSON fast path.  Between top-level records, with the next line
 * starting '{' in column 0, offer that line (to its last '}') as a record
 * without the byte-by-byte scan: the parser that reads it next checks it
 * as thoroughly.  The caller takes the offer with json_split_line_take,
 * or, when the line does not parse as one record (a pretty-printed one,
 * a wrapper, anything broken), calls json_split from the same place and
 * the scan decides as it always has.  Only blank space is consumed here.
 */
int
json_split_line(struct json_splitter *sp, const char *win, size_t len, size_t *pos, size_t max,
		struct split_out *out)
{
	size_t i = *pos, end;
	const char *nl;

	if (!json_split_at_boundary(sp) || sp->mode != SPLIT_TOP || sp->depth != 0)
		return 0;
	for (; i < len && is_ws(win[i]); i++) {
		if (win[i] == '\n') {
			sp->line++;
			sp->col0 = 1;
		} else {
			sp->col0 = 0;
		}
	}
	*pos = i;
	if (i >= len || win[i] != '{' || !sp->col0 ||
	    (nl = memchr(win + i, '\n', len - i)) == NULL)
		return 0;
	end = (size_t)(nl - win);
	while (end > i && is_ws(win[end - 1]))
		end--;
	if (win[end - 1] != '}' || end - i > max)
		return 0;
	emit(sp, out, SPLIT_RECORD, i, end, sp->line, NULL);
	return 1;
}

/* A parsed line the scan would unwrap: a top-level "Records" or "items" array. */
int
json_is_wrapper(const struct json_doc *d)
{
	return json_type(d, json_get(d, 0, "Records")) == JSON_ARRAY ||
	       json_type(d, json_get(d, 0, "items")) == JSON_ARRAY ||
	       json_type(d, json_get(d, 0, "jobs")) == JSON_ARRAY;
}

void
json_split_line_take(struct json_splitter *sp, size_t *pos, const struct split_out *out)
{
	*pos = out->end;
	sp->col0 = 0;
}
