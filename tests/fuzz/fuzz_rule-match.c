/*
 * fuzz_rule-match.c - libFuzzer target for the rule matcher: a rule made
 * from the input against events made from the input.
 *
 * Input: condition lines, a line "--", then one event per line.  The
 * condition lines become a rule's body ("when" first; a line "unless"
 * starts an exception block), so the operators, the regexes (compiled
 * with the JIT, run under regex.c's limits) and the field lookups all
 * meet hostile values.  An event line is tab-separated FIELD=VALUE pairs
 * (any field of the model, a virtual field's source, extra.KEY); values
 * are not length-limited, so long runs reach the regex limits.  Checks:
 * a rule never both matches and reports a when-block error, and an error
 * always names its condition.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../correlate/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One event from a line of FIELD=VALUE pairs separated by tabs. */
static void
make_event(const char *p, size_t n, struct event *ev, struct ev_arena *a, struct buf *extra)
{
	const char *end = p + n;

	ev_reset(ev, a);
	buf_reset(extra);
	while (p < end) {
		const char *tab = memchr(p, '\t', (size_t)(end - p)), *eq;
		const char *stop = tab ? tab : end;
		char name[64];
		const struct ev_field *f;

		eq = memchr(p, '=', (size_t)(stop - p));
		if (eq != NULL && (size_t)(eq - p) < sizeof(name)) {
			memcpy(name, p, (size_t)(eq - p));
			name[eq - p] = '\0';
			if (strncmp(name, "extra.", 6) == 0) {
				int rc = buf_addstr(extra, extra->len ? "," : "{");

				rc = rc ? rc : json_put_str(extra, name + 6);
				rc = rc ? rc : buf_addc(extra, ':');
				rc = rc ? rc : json_put_strn(extra, eq + 1, (size_t)(stop - eq - 1));
				if (rc != CD_OK)
					buf_reset(extra); /* too long: no extra */
			} else if ((f = ev_field_find(name)) != NULL) {
				struct span v = { eq + 1, (size_t)(stop - eq - 1) };
				int64_t x;

				if (f->type == EV_T_INT) {
					if (span_to_i64(v, &x) == CD_OK)
						*(int64_t *)(void *)((char *)ev + f->offset) = x;
				} else {
					*(const char **)(void *)((char *)ev + f->offset) =
						ev_strdup(a, v.p, v.n);
				}
			}
		}
		p = tab ? tab + 1 : end;
	}
	if (extra->len > 0 && buf_addc(extra, '}') == CD_OK)
		ev->extra = extra->data;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ev_arena arena;
	static struct buf extra, text;
	static struct json_tokens toks;
	static int ready;
	const char *in = (const char *)data, *end = in + size, *p, *sep;
	struct ruleset rs;
	char *cause = NULL;

	if (size > (1 << 20))
		return 0;
	if (!ready) {
		ev_arena_init(&arena, (size_t)4 << 20);
		buf_init(&extra, (size_t)2 << 20);
		buf_init(&text, (size_t)2 << 20);
		json_tokens_init(&toks, 4096);
		ready = 1;
	}
	/* the rule: the lines before "--" under "when" */
	sep = NULL;
	for (p = in; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n == 2 && p[0] == '-' && p[1] == '-') {
			sep = p;
			break;
		}
		p = nl ? nl + 1 : end;
	}
	if (sep == NULL)
		return 0;
	buf_reset(&text);
	if (buf_addstr(&text, "rule FZ-1\n  title fuzz\n  when\n") != CD_OK)
		return 0;
	for (p = in; p < sep;) {
		const char *nl = memchr(p, '\n', (size_t)(sep - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(sep - p);
		int unless = n == 6 && memcmp(p, "unless", 6) == 0;

		if (buf_addstr(&text, unless ? "  " : "    ") != CD_OK || buf_add(&text, p, n) != CD_OK ||
		    buf_addc(&text, '\n') != CD_OK)
			return 0;
		p = nl ? nl + 1 : sep;
	}
	ruleset_init(&rs);
	if (ruleset_parse(&rs, "fuzz.rules", text.data, text.len, &cause) == CD_OK && rs.n == 1) {
		const struct rule *r = &rs.r[0];

		for (p = sep + 3; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			struct event ev;
			struct match_ev m;
			int hit;

			make_event(p, n, &ev, &arena, &extra);
			match_ev_init(&m, &ev, &toks);
			hit = rule_matches(r, &m);
			if (hit != 0 && hit != 1)
				abort();
			if (m.re_err) {
				char why[1024];

				/* an error names its condition; a match only survives an unless error */
				if (m.re_cond == NULL || (hit && !m.re_in_unless))
					abort();
				rule_match_error(r, &m, why, sizeof(why));
			}
			p = nl ? nl + 1 : end;
		}
	}
	free(cause);
	ruleset_release(&rs);
	return 0;
}
