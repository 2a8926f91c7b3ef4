/*
 * output.c - what every command shares for talking to people and scripts:
 * JSON string escaping, --format names, errors, colour that honours NO_COLOR.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

int
out_color_enabled(FILE *f)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc != NULL && *nc)
		return 0;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fileno(f));
}

int
json_put_strn(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	int r = buf_addc(b, '"');

	for (i = 0; i < n && r == CD_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		r = buf_add(b, s + run, i - run);
		run = i + 1;
		if (r != CD_OK)
			break;
		switch (c) {
		case '"': r = buf_add(b, "\\\"", 2); break;
		case '\\': r = buf_add(b, "\\\\", 2); break;
		case '\n': r = buf_add(b, "\\n", 2); break;
		case '\r': r = buf_add(b, "\\r", 2); break;
		case '\t': r = buf_add(b, "\\t", 2); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			r = buf_add(b, esc, 6);
		}
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

static void out_vmsg(const char *level, const char *color, const char *fmt, va_list ap)
	CD_PRINTF(3, 0);

static void
out_vmsg(const char *level, const char *color, const char *fmt, va_list ap)
{
	int c = out_color_enabled(stderr);

	fprintf(stderr, "cordon: %s%s%s", c ? color : "", level, c ? "\033[0m" : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
out_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vmsg("error: ", "\033[1;31m", fmt, ap);
	va_end(ap);
}

void
out_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vmsg("warning: ", "\033[1;33m", fmt, ap);
	va_end(ap);
}

int
out_format_parse(const char *s, enum out_format *f)
{
	if (strcmp(s, "table") == 0)
		*f = OUT_TABLE;
	else if (strcmp(s, "text") == 0)
		*f = OUT_TEXT;
	else if (strcmp(s, "json") == 0)
		*f = OUT_JSON;
	else if (strcmp(s, "ndjson") == 0)
		*f = OUT_NDJSON;
	else
		return -1;
	return 0;
}

int
out_parse_count(const char *arg, const char *option, int64_t *out)
{
	struct span sp = { arg, strlen(arg) };
	uint64_t v;

	if (span_to_u64(sp, &v) != CD_OK || v > INT64_MAX) {
		out_err("%s takes a number (0 = all), not '%s'", option, arg);
		return CD_E_USAGE;
	}
	*out = (int64_t)v;
	return CD_OK;
}
