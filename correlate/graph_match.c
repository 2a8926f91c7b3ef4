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

/* pat[0..pn) against s: the shared matcher (lists match items in place). */
static int
gmatch_n(const char *pat, size_t pn, const char *s, int nocase)
{
	const char *pe = pat + pn, *star = NULL, *resume = NULL;

	while (*s) {
		if (pat < pe && *pat == '*') {
			star = pat++;
			resume = s;
		} else if (pat < pe && (*pat == '?' || ceq(*pat, *s, nocase))) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (pat < pe && *pat == '*')
		pat++;
	return pat == pe;
}

int
gmatch(const char *pat, const char *s, int nocase)
{
	return gmatch_n(pat, strlen(pat), s, nocase);
}

int
gcovers(const char *outer, const char *inner, int nocase)
{
	return gmatch(outer, inner, nocase);
}

int
glist_match(const char *list, const char *s, int nocase)
{
	const char *p = list;

	if (list == NULL)
		return 0;
	while (*p) {
		size_t n = strcspn(p, "\n");

		if (n > 0 && gmatch_n(p, n, s, nocase))
			return 1;
		p += n;
		if (*p == '\n')
			p++;
	}
	return 0;
}

int
glist_covers(const char *list, const char *inner, int nocase)
{
	return glist_match(list, inner, nocase);
}

int
gpath_match(const char *glob, const char *path)
{
	return fnmatch(glob, path, 0) == 0;
}
