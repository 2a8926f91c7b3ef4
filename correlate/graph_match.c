/*
 * graph_match.c - the wildcard matching of IAM policies: '*' matches any
 * run (including none and including ':' and '/'), '?' one character.
 * Actions compare case-insensitively (IAM treats "S3:getobject" as
 * "s3:GetObject"); ARNs case-sensitively.  Iterative with one backtrack
 * point, so a hostile pattern costs O(len(pat) * len(s)), never exponential.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include "graph.h"

static int
ceq(char a, char b, int nocase)
{
	return nocase ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

int
gmatch(const char *pat, const char *s, int nocase)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat && (*pat == '?' || ceq(*pat, *s, nocase))) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

int
gcovers(const char *outer, const char *inner, int nocase)
{
	return gmatch(outer, inner, nocase);
}

/* Call fn on each item of a newline-separated list until it returns 1. */
static int
glist_any(const char *list, const char *s, int nocase, int (*fn)(const char *, const char *, int))
{
	char item[2048];
	const char *p = list;

	if (list == NULL)
		return 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > 0 && n < sizeof(item)) {
			memcpy(item, p, n);
			item[n] = '\0';
			if (fn(item, s, nocase))
				return 1;
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return 0;
}

int
glist_match(const char *list, const char *s, int nocase)
{
	return glist_any(list, s, nocase, gmatch);
}

int
glist_covers(const char *list, const char *inner, int nocase)
{
	return glist_any(list, inner, nocase, gcovers);
}

int
gpath_match(const char *glob, const char *path)
{
	return fnmatch(glob, path, 0) == 0;
}
