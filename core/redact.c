/*
 * redact.c - hide secret-looking values before anything is printed.
 *
 * Logs legitimately carry secrets (a token on a command line, a password
 * in a URL).  The store keeps records exactly as the log held them, as
 * evidence; every output path runs text through redact() unless the user
 * asked for --show-secrets.  Patterns err on the side of hiding.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "core.h"

struct redact_rule {
	const char *pattern;
	int group; /* capture group to hide; 0 = the whole match */
};

static const struct redact_rule rules[] = {
	{ "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)", 0 },
	{ "eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*", 0 },
	{ "\\bhv[sbr]\\.[A-Za-z0-9_-]{20,}", 0 },
	{ "\\b[sbr]\\.[A-Za-z0-9]{24}\\b", 0 },
	{ "\\bgh[pousr]_[A-Za-z0-9]{30,}", 0 },
	{ "\\bgithub_pat_[A-Za-z0-9_]{20,}", 0 },
	{ "\\bxox[abposr]-[A-Za-z0-9-]{10,}", 0 },
	{ "\\bsk_(?:live|test)_[A-Za-z0-9]{16,}", 0 },
	{ "(?i)(?:aws_secret_access_key|secret_?access_?key)[\"']?\\s*[:=]\\s*[\"']?([A-Za-z0-9/+=]{40})",
	  1 },
	{ "(?i)(?:authorization|x-vault-token|x-auth-token)[\"']?\\s*[:=]\\s*[\"']?(?:(?:bearer|basic|token)\\s+)?([^\\s\"',]+)",
	  1 },
	{ "(?i)--(?:password|passwd|token|secret|client-secret|api-key|access-key|secret-key)(?:=|\\s+)([^\\s\"']+)",
	  1 },
	{ "(?i)(?<![:/.-])(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?token|client[_-]?secret|private[_-]?key|secret[_-]?key)[\"']?\\s*[=:]\\s*[\"']?([^\\s\"'&,;}]+)",
	  1 },
	{ "[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s:@]+:([^/\\s@]+)@", 1 },
};

#define NRULES (sizeof(rules) / sizeof(rules[0]))
#define REDACTED "[REDACTED]"

static pcre2_code *compiled[NRULES];
static pcre2_match_data *md;

static void
redact_compile(void)
{
	size_t i;
	int err;
	PCRE2_SIZE off;

	if (md != NULL)
		return;
	for (i = 0; i < NRULES; i++) {
		compiled[i] = pcre2_compile((PCRE2_SPTR)rules[i].pattern, PCRE2_ZERO_TERMINATED, 0,
					    &err, &off, NULL);
		CD_BUG_ON(compiled[i] == NULL);
		pcre2_jit_compile(compiled[i], PCRE2_JIT_COMPLETE);
	}
	md = pcre2_match_data_create(8, NULL);
}

void
redact_release(void)
{
	size_t i;

	for (i = 0; i < NRULES; i++) {
		pcre2_code_free(compiled[i]);
		compiled[i] = NULL;
	}
	pcre2_match_data_free(md);
	md = NULL;
}

/* One rule over in -> out; returns matches replaced or -1 on limit. */
static int
redact_one(size_t rule, const char *in, size_t n, struct buf *out)
{
	PCRE2_SIZE start = 0, *ov;
	int hits = 0;

	while (start < n) {
		int rc = pcre2_match(compiled[rule], (PCRE2_SPTR)in, n, start, 0, md, NULL);
		size_t a, b, next;

		if (rc < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		a = ov[2 * rules[rule].group];
		b = ov[2 * rules[rule].group + 1];
		if (a == PCRE2_UNSET || b <= a) {
			/* nothing to hide in this match: copy through it */
			next = ov[1] > start ? ov[1] : start + 1;
			if (next > n)
				next = n;
			if (buf_add(out, in + start, next - start) != CD_OK)
				return -1;
			start = next;
			continue;
		}
		if (buf_add(out, in + start, a - start) != CD_OK || buf_addstr(out, REDACTED) != CD_OK)
			return -1;
		hits++;
		start = b;
	}
	if (start < n && buf_add(out, in + start, n - start) != CD_OK)
		return -1;
	return hits;
}

int
redact(const char *s, struct buf *out)
{
	struct buf a, b;
	size_t i;
	int r = CD_OK;

	redact_compile();
	buf_init(&a, (size_t)64 << 20);
	buf_init(&b, (size_t)64 << 20);
	if (buf_addstr(&a, s) != CD_OK) {
		r = CD_E_LIMIT;
		goto out;
	}
	for (i = 0; i < NRULES; i++) {
		buf_reset(&b);
		if (redact_one(i, a.data, a.len, &b) < 0) {
			r = CD_E_LIMIT;
			goto out;
		}
		buf_reset(&a);
		if (buf_add(&a, b.data, b.len) != CD_OK) {
			r = CD_E_LIMIT;
			goto out;
		}
	}
	r = buf_add(out, a.data, a.len);
out:
	freezero(a.data, a.alloc);
	freezero(b.data, b.alloc);
	return r;
}

int
redact_has_secret(const char *s)
{
	size_t i, n = strlen(s);

	redact_compile();
	for (i = 0; i < NRULES; i++)
		if (pcre2_match(compiled[i], (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0)
			return 1;
	return 0;
}
