/*
 * regex.c - bounded PCRE2 matching for `events FIELD~REGEX` and the rules.
 *
 * The values matched are log data, so an attacker may choose them.  A
 * pattern with nested repeats ((a+)+$) meeting a crafted value backtracks
 * until PCRE2 stops it with a limit error, and a caller that reads "not >= 0"
 * as "no match" lets that value hide from the query or the rule.  Here a
 * limit is an answer of its own (< 0: unknown), which callers report.
 *
 * The limits are explicit rather than PCRE2's build defaults: the JIT
 * (patterns are JIT-compiled where it is available) gets its own stack,
 * reserved up front but touched only as deep as a match goes, so a long
 * value is answered instead of failing on the 32 KiB default; the
 * interpreter (no JIT on this machine) gets depth and heap limits.
 * Matching runs on one thread (the query, the correlator's scan).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>

#include "core.h"

/*
 * 16 MiB of JIT stack: `(x|y)*z` over 100,000 characters needs about
 * 4 MiB; over 400,000 it reaches this and is reported, not answered.
 */
#define RE_JIT_STACK_START ((size_t)32 << 10)
#define RE_JIT_STACK_MAX   ((size_t)16 << 20)
/* backtracking steps per match: 10 million is ~15 ms with the JIT */
#define RE_MATCH_LIMIT     10000000u
/* interpreter only: nested backtracking depth, and its heap in KiB */
#define RE_DEPTH_LIMIT     1000000u
#define RE_HEAP_LIMIT_KIB  (64u << 10)

static pcre2_match_context *re_ctx;
static pcre2_jit_stack *re_stack;
static pcre2_match_data *re_md;

static int
re_setup(void)
{
	if (re_ctx != NULL)
		return CD_OK;
	re_ctx = pcre2_match_context_create(NULL);
	re_md = pcre2_match_data_create(1, NULL); /* only yes/no is used */
	if (re_ctx == NULL || re_md == NULL)
		return CD_E_NOMEM;
	pcre2_set_match_limit(re_ctx, RE_MATCH_LIMIT);
	pcre2_set_depth_limit(re_ctx, RE_DEPTH_LIMIT);
	pcre2_set_heap_limit(re_ctx, RE_HEAP_LIMIT_KIB);
	/* without a stack of its own the JIT uses 32 KiB on the machine stack */
	re_stack = pcre2_jit_stack_create(RE_JIT_STACK_START, RE_JIT_STACK_MAX, NULL);
	if (re_stack != NULL)
		pcre2_jit_stack_assign(re_ctx, NULL, re_stack);
	return CD_OK;
}

int
regex_match(const struct pcre2_real_code_8 *re, const char *s, size_t n)
{
	int rc;

	if (re_setup() != CD_OK)
		return PCRE2_ERROR_NOMEMORY;
	rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, re_md, re_ctx);
	/* 0 = matched with the ovector too small for the groups: still a match */
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

const char *
regex_strerror(int rc, char *buf, size_t cap)
{
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:
		return "hit the match limit (10,000,000 backtracking steps)";
	case PCRE2_ERROR_DEPTHLIMIT:
		return "hit the backtracking depth limit";
	case PCRE2_ERROR_HEAPLIMIT:
		return "hit the backtracking memory limit (64 MiB)";
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return "hit the JIT stack limit (16 MiB)";
	default:
		break;
	}
	{
		PCRE2_UCHAR msg[160];

		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", rc);
		snprintf(buf, cap, "failed: %s", (const char *)msg);
	}
	return buf;
}
