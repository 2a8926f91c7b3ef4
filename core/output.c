/*
 * output.c - what every command shares for talking to people: the one
 * escaping writer for terminal text, --format names, errors, colour that
 * honours NO_COLOR.  (JSON strings are written by json.c.)
 *
 * Everything cordon prints for people passes out_escape: log fields are
 * the attacker's words (a file name auditd hex-encoded can hold any byte),
 * and raw control bytes would let them clear the responder's screen,
 * rewrite a line or hide text.  The format strings are cordon's own and
 * printed as they are; every %s and %c argument is escaped.
 */
#include <stdint.h>
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

/* cordon's own styles: out_printf passes exactly these pointers through */
const char out_sgr_bold[] = "\033[1m";
const char out_sgr_dim[] = "\033[2m";
const char out_sgr_off[] = "\033[0m";
const char out_sgr_red[] = "\033[1;31m";
const char out_sgr_green[] = "\033[32m";
const char out_sgr_yellow[] = "\033[1;33m";

static int
is_sgr(const char *s)
{
	return s == out_sgr_bold || s == out_sgr_dim || s == out_sgr_off || s == out_sgr_red ||
	       s == out_sgr_green || s == out_sgr_yellow;
}

int
out_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int r = CD_OK;

	while (i < n && r == CD_OK) {
		uint32_t cp;
		size_t k;
		char esc[8];

		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		k = p[i] < 0x80 ? 0 : utf8_decode(p + i, n - i, &cp);
		if (k > 0 && !utf8_hidden(cp)) {
			i += k;
			continue;
		}
		r = buf_add(b, s + run, i - run);
		if (r != CD_OK)
			break;
		if (k > 0) { /* a hidden code point: \uXXXX */
			memcpy(esc, "\\u", 2);
			esc[2] = hex[cp >> 12 & 15];
			esc[3] = hex[cp >> 8 & 15];
			esc[4] = hex[cp >> 4 & 15];
			esc[5] = hex[cp & 15];
			r = buf_add(b, esc, 6);
			i += k;
		} else { /* a control byte, DEL, or a byte of no UTF-8 character */
			switch (p[i]) {
			case '\n': r = buf_add(b, "\\n", 2); break;
			case '\r': r = buf_add(b, "\\r", 2); break;
			case '\t': r = buf_add(b, "\\t", 2); break;
			default:
				memcpy(esc, "\\x", 2);
				esc[2] = hex[p[i] >> 4];
				esc[3] = hex[p[i] & 15];
				r = buf_add(b, esc, 4);
			}
			i++;
		}
		run = i;
	}
	if (r == CD_OK)
		r = buf_add(b, s + run, n - run);
	return r;
}

/* One conversion of the format: its text, and where its parts start. */
struct conv {
	char spec[32];
	int left, width, prec; /* prec -1: none */
	char len[3];           /* hh h l ll z j t L */
	char c;
};

/* Parse the conversion at fmt (just after %), taking * from ap. */
static const char *
conv_parse(const char *fmt, struct conv *cv, va_list *ap)
{
	size_t o = 0, l = 0;

	memset(cv, 0, sizeof(*cv));
	cv->prec = -1;
	cv->spec[o++] = '%';
	while (*fmt && strchr("-+ #0", *fmt)) {
		if (*fmt == '-')
			cv->left = 1;
		if (o < 8)
			cv->spec[o++] = *fmt;
		fmt++;
	}
	if (*fmt == '*') {
		cv->width = va_arg(*ap, int);
		if (cv->width < 0) {
			cv->left = 1;
			cv->spec[o++] = '-';
			cv->width = -cv->width;
		}
		fmt++;
	} else {
		while (*fmt >= '0' && *fmt <= '9' && cv->width < 100000)
			cv->width = cv->width * 10 + (*fmt++ - '0');
	}
	if (*fmt == '.') {
		fmt++;
		cv->prec = 0;
		if (*fmt == '*') {
			cv->prec = va_arg(*ap, int);
			if (cv->prec < 0) /* as if there were none (C11 7.21.6.1) */
				cv->prec = -1;
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9' && cv->prec < 100000)
				cv->prec = cv->prec * 10 + (*fmt++ - '0');
		}
	}
	if (cv->width)
		o += (size_t)snprintf(cv->spec + o, sizeof(cv->spec) - o, "%d", cv->width);
	if (cv->prec >= 0)
		o += (size_t)snprintf(cv->spec + o, sizeof(cv->spec) - o, ".%d", cv->prec);
	while (*fmt && strchr("hlzjtL", *fmt) && l < 2)
		cv->len[l++] = *fmt++;
	memcpy(cv->spec + o, cv->len, l);
	o += l;
	cv->c = *fmt;
	cv->spec[o++] = *fmt;
	cv->spec[o] = '\0';
	return *fmt ? fmt + 1 : fmt;
}

/*
 * A number through the C library, with the conversion as written (the
 * compiler checked it against the argument at the call site).
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int
conv_number(struct buf *b, const struct conv *cv, va_list *ap)
{
	int un = strchr("uxXo", cv->c) != NULL;

	if (strchr("fFeEgGaA", cv->c)) {
		if (cv->len[0] == 'L')
			return buf_printf(b, cv->spec, va_arg(*ap, long double));
		return buf_printf(b, cv->spec, va_arg(*ap, double));
	}
	if (cv->c == 'p')
		return buf_printf(b, cv->spec, va_arg(*ap, void *));
	if (strcmp(cv->len, "ll") == 0)
		return un ? buf_printf(b, cv->spec, va_arg(*ap, unsigned long long))
			  : buf_printf(b, cv->spec, va_arg(*ap, long long));
	if (strcmp(cv->len, "l") == 0)
		return un ? buf_printf(b, cv->spec, va_arg(*ap, unsigned long))
			  : buf_printf(b, cv->spec, va_arg(*ap, long));
	if (cv->len[0] == 'z')
		return un ? buf_printf(b, cv->spec, va_arg(*ap, size_t))
			  : buf_printf(b, cv->spec, va_arg(*ap, ssize_t));
	if (cv->len[0] == 'j')
		return un ? buf_printf(b, cv->spec, va_arg(*ap, uintmax_t))
			  : buf_printf(b, cv->spec, va_arg(*ap, intmax_t));
	if (cv->len[0] == 't')
		return buf_printf(b, cv->spec, va_arg(*ap, ptrdiff_t));
	return un ? buf_printf(b, cv->spec, va_arg(*ap, unsigned))
		  : buf_printf(b, cv->spec, va_arg(*ap, int));
}
#pragma GCC diagnostic pop

/* A %s or %c argument, escaped, then padded to its width like printf. */
static int
conv_text(struct buf *b, const struct conv *cv, const char *s, size_t n)
{
	size_t start = b->len, w;
	int r;

	if (cv->c == 's' && is_sgr(s))
		return buf_add(b, s, n);
	if ((r = out_escape(b, s, n)) != CD_OK)
		return r;
	w = b->len - start;
	while (r == CD_OK && w < (size_t)cv->width) {
		if (cv->left) {
			r = buf_addc(b, ' ');
		} else {
			r = buf_addc(b, ' ');
			if (r == CD_OK) {
				memmove(b->data + start + 1, b->data + start, b->len - start - 1);
				b->data[start] = ' ';
			}
		}
		w++;
	}
	return r;
}

int
out_vbprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int r = CD_OK;

	va_copy(aq, ap);
	while (*fmt && r == CD_OK) {
		const char *pct = strchr(fmt, '%');
		struct conv cv;

		if (pct == NULL) {
			r = buf_addstr(b, fmt);
			break;
		}
		if ((r = buf_add(b, fmt, (size_t)(pct - fmt))) != CD_OK)
			break;
		fmt = conv_parse(pct + 1, &cv, &aq);
		switch (cv.c) {
		case '%':
			r = buf_addc(b, '%');
			break;
		case 's': {
			const char *s = va_arg(aq, const char *);
			size_t n;

			if (s == NULL)
				s = "(null)";
			n = cv.prec >= 0 ? strnlen(s, (size_t)cv.prec) : strlen(s);
			r = conv_text(b, &cv, s, n);
			break;
		}
		case 'c': {
			char c = (char)va_arg(aq, int);

			r = conv_text(b, &cv, &c, 1);
			break;
		}
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
		case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
		case 'p':
			r = conv_number(b, &cv, &aq);
			break;
		default:
			CD_BUG_ON("unsupported conversion in an out_printf format");
		}
	}
	va_end(aq);
	return r;
}

int
out_bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = out_vbprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

int
out_vprintf(FILE *f, const char *fmt, va_list ap)
{
	struct buf b;
	int r;

	buf_init(&b, (size_t)64 << 20);
	r = out_vbprintf(&b, fmt, ap);
	if (r == CD_OK && fwrite(b.data, 1, b.len, f) != b.len)
		r = CD_E_IO;
	buf_release(&b);
	return r;
}

int
out_printf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = out_vprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

int
out_puts(FILE *f, const char *s)
{
	return out_printf(f, "%s\n", s);
}

static void out_vmsg(const char *level, const char *color, const char *fmt, va_list ap)
	CD_PRINTF(3, 0);

/* Messages quote input (paths, field values, causes): escaped like tables. */
static void
out_vmsg(const char *level, const char *color, const char *fmt, va_list ap)
{
	int c = out_color_enabled(stderr);

	fprintf(stderr, "cordon: %s%s%s", c ? color : "", level, c ? out_sgr_off : "");
	out_vprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
out_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vmsg("error: ", out_sgr_red, fmt, ap);
	va_end(ap);
}

void
out_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vmsg("warning: ", out_sgr_yellow, fmt, ap);
	va_end(ap);
}

int
out_format_parse(const char *s, enum out_format *f)
{
	if (strcmp(s, "table") == 0)
		*f = OUT_TABLE;
	else if (strcmp(s, "text") == 0)
		*f = OUT_TABLE;
	else if (strcmp(s, "csv") == 0)
		*f = OUT_CSV;
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

int
out_csv_cell(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int rc = buf_addc(b, '"');

	/* a spreadsheet runs a cell starting = + - @ as a formula: the log's
	 * author must not get to write one into the responder's sheet */
	if (rc == CD_OK && n > 0 && strchr("=+-@\t\r", s[0]) != NULL)
		rc = buf_addc(b, '\'');
	for (i = 0; i < n && rc == CD_OK; i++)
		rc = s[i] == '"' ? buf_addstr(b, "\"\"") : buf_addc(b, s[i]);
	return rc ? rc : buf_addc(b, '"');
}
