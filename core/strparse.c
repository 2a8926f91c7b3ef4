/*
 * strparse.c - cursor parsers for untrusted text.
 *
 * Log data never goes through sscanf, atoi or strtol: these functions take
 * an explicit end, check every digit and overflow, and move the cursor
 * only on success, so callers can chain them with ||.
 */
#include <string.h>

#include "core.h"

int
str_uint64(const char **cur, const char *end, uint64_t *out, uint64_t max)
{
	const char *p = *cur;
	uint64_t v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return CD_E_PARSE;
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');

		if (v > (max - d) / 10)
			return CD_E_LIMIT;
		v = v * 10 + d;
		p++;
	}
	*out = v;
	*cur = p;
	return CD_OK;
}

int
str_int64(const char **cur, const char *end, int64_t *out)
{
	const char *p = *cur;
	uint64_t v;
	int neg = 0;

	if (p < end && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
	}
	if (str_uint64(&p, end, &v, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX) != CD_OK)
		return CD_E_PARSE;
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	*cur = p;
	return CD_OK;
}

int
str_char(const char **cur, const char *end, char c)
{
	if (*cur >= end || **cur != c)
		return CD_E_PARSE;
	(*cur)++;
	return CD_OK;
}

int
str_lit(const char **cur, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *cur) < n || memcmp(*cur, lit, n) != 0)
		return CD_E_PARSE;
	*cur += n;
	return CD_OK;
}

int
span_to_u64(struct span s, uint64_t *out)
{
	const char *p = s.p, *end = s.p + s.n;

	if (str_uint64(&p, end, out, UINT64_MAX) != CD_OK || p != end)
		return CD_E_PARSE;
	return CD_OK;
}

int
span_to_i64(struct span s, int64_t *out)
{
	const char *p = s.p, *end = s.p + s.n;

	if (str_int64(&p, end, out) != CD_OK || p != end)
		return CD_E_PARSE;
	return CD_OK;
}

int
span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

int
span_prefix(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && memcmp(s.p, lit, n) == 0;
}

int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(struct span s, char *out, size_t cap, size_t *outlen)
{
	size_t i;

	if (s.n % 2 != 0 || s.n / 2 > cap)
		return CD_E_PARSE;
	for (i = 0; i < s.n; i += 2) {
		int hi = hexval((unsigned char)s.p[i]), lo = hexval((unsigned char)s.p[i + 1]);

		if (hi < 0 || lo < 0)
			return CD_E_PARSE;
		out[i / 2] = (char)(hi << 4 | lo);
	}
	*outlen = s.n / 2;
	return CD_OK;
}

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}
