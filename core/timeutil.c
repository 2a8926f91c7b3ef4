/*
 * timeutil.c - times as UTC nanoseconds.
 *
 * Log times arrive as RFC 3339 with any precision and offset, as epoch
 * seconds with a fraction (auditd) or as integer nanoseconds.  Calendar
 * maths is done here (days from civil) so nothing depends on TZ or libc's
 * timegm.
 */
#include <string.h>
#include <time.h>

#include "core.h"

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int
digits(const char **p, const char *end, int n, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (end - *p < n)
		return CD_E_PARSE;
	for (i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return CD_E_PARSE;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*out = v;
	return CD_OK;
}

/* Nanoseconds from a fraction's digits; extra digits past 9 are dropped. */
static int
fraction(const char **p, const char *end, int64_t *ns)
{
	int64_t v = 0;
	int k = 0;

	if (*p >= end || **p < '0' || **p > '9')
		return CD_E_PARSE;
	while (*p < end && **p >= '0' && **p <= '9') {
		if (k < 9) {
			v = v * 10 + (**p - '0');
			k++;
		}
		(*p)++;
	}
	while (k++ < 9)
		v *= 10;
	*ns = v;
	return CD_OK;
}

int
time_parse_rfc3339(struct span s, int64_t *ns)
{
	const char *p = s.p, *end = s.p + s.n;
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t frac = 0, secs;
	int sign = 0;

	if (digits(&p, end, 4, &y) || str_char(&p, end, '-') || digits(&p, end, 2, &mo) ||
	    str_char(&p, end, '-') || digits(&p, end, 2, &d))
		return CD_E_PARSE;
	if (p >= end || (*p != 'T' && *p != 't' && *p != ' '))
		return CD_E_PARSE;
	p++;
	if (digits(&p, end, 2, &h) || str_char(&p, end, ':') || digits(&p, end, 2, &mi) ||
	    str_char(&p, end, ':') || digits(&p, end, 2, &sec))
		return CD_E_PARSE;
	if (p < end && (*p == '.' || *p == ',')) {
		p++;
		if (fraction(&p, end, &frac))
			return CD_E_PARSE;
	}
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(&p, end, 2, &oh))
			return CD_E_PARSE;
		if (p < end && *p == ':')
			p++;
		if (digits(&p, end, 2, &om))
			return CD_E_PARSE;
	} else if (p != end) {
		return CD_E_PARSE;
	}
	/* a trailing " UTC" as some exporters write it */
	if (p != end && !(end - p == 4 && memcmp(p, " UTC", 4) == 0))
		return CD_E_PARSE;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || oh > 23 ||
	    om > 59)
		return CD_E_PARSE;
	/* int64 nanoseconds span 1677-09-21 .. 2262-04-11: refuse what does not fit */
	if (y < 1678 || y > 2261)
		return CD_E_LIMIT;
	secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	secs -= sign * (int64_t)(oh * 3600 + om * 60);
	*ns = secs * 1000000000LL + frac;
	return CD_OK;
}

int
time_parse_epoch(struct span s, int64_t *ns)
{
	const char *p = s.p, *end = s.p + s.n;
	uint64_t sec;
	int64_t frac = 0;

	/* 9e9 seconds (year 2255) keeps seconds * 1e9 inside int64 */
	if (str_uint64(&p, end, &sec, 9000000000ULL))
		return CD_E_PARSE;
	if (p < end && *p == '.') {
		p++;
		if (fraction(&p, end, &frac))
			return CD_E_PARSE;
	}
	if (p != end)
		return CD_E_PARSE;
	*ns = (int64_t)sec * 1000000000LL + frac;
	return CD_OK;
}

int64_t
time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
time_parse_duration(const char *s, int64_t *ns)
{
	const char *p = s, *end = s + strlen(s);
	uint64_t v;
	int64_t unit;

	if (str_uint64(&p, end, &v, 1000000000ULL) || end - p != 1)
		return CD_E_PARSE;
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return CD_E_PARSE;
	}
	if ((int64_t)v > INT64_MAX / 1000000000LL / unit)
		return CD_E_PARSE;
	*ns = (int64_t)v * unit * 1000000000LL;
	return CD_OK;
}

int
time_parse_arg(const char *s, int64_t now_ns, int64_t *ns)
{
	struct span sp = { s, strlen(s) };
	int64_t d;

	if (time_parse_rfc3339(sp, ns) == CD_OK)
		return CD_OK;
	if (strcmp(s, "now") == 0) {
		*ns = now_ns;
		return CD_OK;
	}
	if (time_parse_duration(s, &d) != CD_OK)
		return CD_E_PARSE;
	*ns = now_ns - d;
	return CD_OK;
}

void
time_format(int64_t ns, char *out, size_t cap)
{
	int64_t secs = ns / 1000000000LL, frac = ns % 1000000000LL, days, rem, y;
	unsigned m, d;
	char fbuf[16] = "";

	if (frac < 0) {
		frac += 1000000000LL;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	/* always nine digits: every time the same width, so columns align,
	 * `sort` orders them, and no precision is lost */
	snprintf(fbuf, sizeof(fbuf), ".%09lld", (long long)frac);
	snprintf(out, cap, "%04lld-%02u-%02uT%02u:%02u:%02u%sZ", (long long)y, m, d,
		 (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60), fbuf);
}

void
time_format_sec(int64_t ns, char *out, size_t cap)
{
	char full[48];

	time_format(ns - (ns % 1000000000LL + 1000000000LL) % 1000000000LL, full, sizeof(full));
	full[19] = 'Z';
	full[20] = '\0';
	snprintf(out, cap, "%s", full);
}
