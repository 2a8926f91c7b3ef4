/*
 * ini.c - the INI subset of ~/.aws/credentials and ~/.aws/config.
 *
 * As botocore reads them (configparser): "[section]" headers, "key = value"
 * or "key: value" split at the first delimiter, keys case-insensitive,
 * whole-line comments starting with # or ;, no inline comments (a secret
 * may contain either character), indented lines continue a nested block
 * ("s3 =\n  max_concurrent_requests = 10") and are skipped.  The text is
 * the caller's bounded file; nothing is copied but the one value asked for.
 */
#include <string.h>
#include <strings.h>

#include "private.h"

static void
trim(const char **a, const char **b)
{
	while (*a < *b && (**a == ' ' || **a == '\t'))
		(*a)++;
	while (*b > *a && ((*b)[-1] == ' ' || (*b)[-1] == '\t' || (*b)[-1] == '\r'))
		(*b)--;
}

int
ini_get(const char *text, size_t len, const char *section, const char *key, char **out)
{
	const char *p = text, *end = text + len;
	size_t sn = strlen(section), kn = strlen(key);
	int in = 0;

	*out = NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *a = p, *b = le;

		p = nl ? nl + 1 : end;
		if (a < b && (*a == ' ' || *a == '\t'))
			continue; /* continuation of a nested block */
		trim(&a, &b);
		if (a == b || *a == '#' || *a == ';')
			continue;
		if (*a == '[') {
			const char *c = memchr(a, ']', (size_t)(b - a)), *sa = a + 1, *sb;

			if (c == NULL)
				return CD_E_PARSE;
			sb = c;
			trim(&sa, &sb);
			in = (size_t)(sb - sa) == sn && memcmp(sa, section, sn) == 0;
			continue;
		}
		if (in) {
			const char *eq = memchr(a, '=', (size_t)(b - a)), *co = memchr(a, ':', (size_t)(b - a));
			const char *d = eq && (!co || eq < co) ? eq : co, *ka = a, *kb, *va, *vb = b;

			if (d == NULL)
				continue;
			kb = d;
			va = d + 1;
			trim(&ka, &kb);
			trim(&va, &vb);
			if ((size_t)(kb - ka) == kn && strncasecmp(ka, key, kn) == 0) {
				*out = xstrndup(va, (size_t)(vb - va));
				return CD_OK;
			}
		}
	}
	return CD_E_NOTFOUND;
}

int
ini_has_section(const char *text, size_t len, const char *section)
{
	const char *p = text, *end = text + len;
	size_t sn = strlen(section);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *a = p, *b = nl ? nl : end, *c;

		p = nl ? nl + 1 : end;
		trim(&a, &b);
		if (a == b || *a != '[' || (c = memchr(a, ']', (size_t)(b - a))) == NULL)
			continue;
		a++;
		trim(&a, &c);
		if ((size_t)(c - a) == sn && memcmp(a, section, sn) == 0)
			return 1;
	}
	return 0;
}
