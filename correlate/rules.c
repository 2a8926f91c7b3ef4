/*
 * rules.c - the rule file parser and loader.
 *
 * A rule file is line-oriented so that an error can always name a line:
 *
 *   rule ESC-01
 *     title     release_agent written from a container
 *     severity  critical
 *     class     escape
 *     attack    T1611
 *     exposes   node
 *     when
 *       object        suffix  /release_agent
 *       container_id  present
 *     unless
 *       exe  in  /usr/bin/runc, /usr/bin/containerd-shim
 *     example match    object=/tmp/cgrp/release_agent container_id=4b5e57f6eb2f
 *     example nomatch  object=/etc/hosts
 *
 * A rule matches when any `when` block matches and no `unless` block does.
 * Usage rules add one stateful line: `first-seen F per E [learn D] [warmup D] [after-first]`,
 * `distinct F per E >= N within D` or `count per E >= N within D`.
 * Every error is "FILE:LINE: reason"; nothing is half-loaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules.h"

static const char *const class_names[] = { "escape", "credential-access", "usage-anomaly" };
static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };
static const char *const exposes_names[] = { "none", "node", "file", "env", "imds",
					     "sa-token", "vault-token", "kubelet" };
/* `within` kinds, in WITHIN_* bit order */
static const char *const within_names[] = { "container", "pod", "sandbox", "function", "host" };
#define NWITHIN (sizeof(within_names) / sizeof(within_names[0]))

static const char *const vfield_names[VF__COUNT] = { "dst_ip", "dst_port", "src_net",
						     "ua_family", "api", "src_kind",
						     "host_kind", "egress_known", "principal",
						     "src_own", "cred_workload", "dst_kind",
						     "src_provider", "cred_vpc" };

static const struct {
	const char *name;
	enum cond_op op;
	int needs_value;
} ops[] = {
	{ "=", OP_EQ, 1 },           { "!=", OP_NE, 1 },
	{ "prefix", OP_PREFIX, 1 },  { "suffix", OP_SUFFIX, 1 },
	{ "contains", OP_CONTAINS, 1 }, { "in", OP_IN, 1 },
	{ "not-in", OP_NOT_IN, 1 },  { "~", OP_RE, 1 },
	{ "!~", OP_NOT_RE, 1 },      { "<", OP_LT, 1 },
	{ "<=", OP_LE, 1 },          { ">", OP_GT, 1 },
	{ ">=", OP_GE, 1 },          { "present", OP_PRESENT, 0 },
	{ "absent", OP_ABSENT, 0 },
};

const char *
rule_class_name(enum rule_class c)
{
	return class_names[c];
}

const char *
rule_sev_name(enum rule_sev s)
{
	return sev_names[s];
}

int
rule_sev_parse(const char *s, enum rule_sev *out)
{
	size_t i;

	for (i = 0; i < sizeof(sev_names) / sizeof(sev_names[0]); i++)
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum rule_sev)i;
			return CD_OK;
		}
	return CD_E_PARSE;
}

int
rule_field_index(const char *name)
{
	const struct ev_field *f = ev_field_find(name);
	int i;

	if (f != NULL)
		return (int)(f - ev_fields);
	for (i = 0; i < VF__COUNT; i++)
		if (strcmp(name, vfield_names[i]) == 0)
			return (int)ev_nfields + i;
	return -1;
}

const char *
rule_field_name(int field)
{
	if (field < 0)
		return "extra";
	if ((size_t)field < ev_nfields)
		return ev_fields[field].name;
	return vfield_names[field - (int)ev_nfields];
}

/* ---- freeing ------------------------------------------------------------ */

static void
cond_release(struct cond *c)
{
	size_t i;

	free(c->extra_path);
	free(c->value);
	for (i = 0; i < c->nset; i++)
		free(c->set[i]);
	free(c->set);
	if (c->re)
		pcre2_code_free(c->re);
}

static void
blocks_release(struct block *b, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < b[i].n; j++)
			cond_release(&b[i].c[j]);
		free(b[i].c);
	}
	free(b);
}

static void
rule_release(struct rule *r)
{
	size_t i;

	free(r->id);
	free(r->title);
	free(r->file);
	for (i = 0; i < r->nattack; i++)
		free(r->attack[i]);
	free(r->attack);
	blocks_release(r->when, r->nwhen);
	blocks_release(r->unless, r->nunless);
	blocks_release(r->quiet, r->nquiet);
	for (i = 0; i < r->nex; i++)
		free(r->ex[i].text);
	free(r->ex);
	memset(r, 0, sizeof(*r));
}

void
ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void
ruleset_release(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		rule_release(&rs->r[i]);
	free(rs->r);
	for (i = 0; i < rs->nsources; i++)
		free(rs->sources[i]);
	free(rs->sources);
	memset(rs, 0, sizeof(*rs));
}

const struct rule *
ruleset_find(const struct ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->r[i].id, id) == 0)
			return &rs->r[i];
	return NULL;
}

/* ---- line tokens ----------------------------------------------------------- */

struct pline {
	const char *p, *end; /* cursor over one line, comments/blank excluded */
	const char *file;
	int line;
	char **cause;
};

static int
perr(struct pline *l, const char *fmt, ...) CD_PRINTF(2, 3);

static int
perr(struct pline *l, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_init(&b, 4096);
	if (buf_printf(&b, "%s:%d: %s", l->file, l->line, msg) != CD_OK)
		buf_reset(&b);
	*l->cause = buf_detach(&b, NULL);
	buf_release(&b); /* detach leaves a fresh empty buffer behind */
	return CD_E_PARSE;
}

static void
skip_ws(struct pline *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t'))
		l->p++;
}

/* The next whitespace-separated word, or an empty span at end of line. */
static struct span
word(struct pline *l)
{
	struct span s;

	skip_ws(l);
	s.p = l->p;
	while (l->p < l->end && *l->p != ' ' && *l->p != '\t')
		l->p++;
	s.n = (size_t)(l->p - s.p);
	return s;
}

static char *
span_dup(struct span s)
{
	return xstrndup(s.p, s.n);
}

/* The rest of the line: trimmed, or a "quoted" string with \" and \\. */
static int
rest_value(struct pline *l, char **out, size_t *outlen)
{
	const char *e = l->end;
	struct buf b;

	skip_ws(l);
	while (e > l->p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (l->p < e && *l->p == '"') {
		const char *q = l->p + 1;

		buf_init(&b, RULE_MAX_LINE);
		while (q < e && *q != '"') {
			if (*q == '\\' && q + 1 < e)
				q++;
			if (buf_addc(&b, *q) != CD_OK)
				break;
			q++;
		}
		if (q >= e || q + 1 != e) {
			buf_release(&b);
			return perr(l, "unterminated or trailing text after a quoted value");
		}
		*out = buf_detach(&b, outlen);
		buf_release(&b);
	} else {
		*out = xstrndup(l->p, (size_t)(e - l->p));
		*outlen = (size_t)(e - l->p);
	}
	l->p = l->end;
	return CD_OK;
}

static int
at_eol(struct pline *l)
{
	skip_ws(l);
	return l->p >= l->end;
}

/* ---- conditions -------------------------------------------------------------- */

static int
field_ref(struct pline *l, struct span name, int *field, char **extra_path)
{
	char tmp[128];

	*extra_path = NULL;
	if (name.n >= sizeof(tmp))
		return perr(l, "field name too long");
	memcpy(tmp, name.p, name.n);
	tmp[name.n] = '\0';
	if (strncmp(tmp, "extra.", 6) == 0 && tmp[6] != '\0') {
		*field = -1;
		*extra_path = xstrdup(tmp + 6);
		return CD_OK;
	}
	*field = rule_field_index(tmp);
	if (*field < 0)
		return perr(l, "unknown field '%s' (see `cordon events --help` for the fields, "
			       "plus dst_ip, dst_port, src_net, ua_family, api, src_kind, host_kind "
			       "and extra.KEY)",
			    tmp);
	return CD_OK;
}

static int
parse_set(struct cond *c)
{
	const char *p = c->value, *start;
	size_t cap = 8;

	c->set = xcalloc(cap, sizeof(*c->set));
	for (;;) {
		const char *a, *b;

		start = p;
		while (*p && *p != ',')
			p++;
		a = start;
		b = p;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			if (c->nset == cap) {
				cap *= 2;
				c->set = xrealloc(c->set, cap * sizeof(*c->set));
			}
			c->set[c->nset++] = xstrndup(a, (size_t)(b - a));
		}
		if (*p == '\0')
			break;
		p++;
	}
	return c->nset > 0 ? CD_OK : CD_E_PARSE;
}

static int
parse_cond(struct pline *l, struct cond *c)
{
	struct span name = word(l), op = word(l);
	size_t i;
	int found = 0, needs = 0;

	memset(c, 0, sizeof(*c));
	if (field_ref(l, name, &c->field, &c->extra_path) != CD_OK)
		return CD_E_PARSE;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (span_eq(op, ops[i].name)) {
			c->op = ops[i].op;
			needs = ops[i].needs_value;
			found = 1;
			break;
		}
	if (!found)
		return perr(l, "unknown operator '%.*s' (=, !=, prefix, suffix, contains, in, "
			       "not-in, ~, !~, <, <=, >, >=, present, absent)",
			    (int)op.n, op.p);
	if (!needs) {
		if (!at_eol(l))
			return perr(l, "'%.*s' takes no value", (int)op.n, op.p);
		c->cost = 0;
		return CD_OK;
	}
	if (rest_value(l, &c->value, &c->vlen) != CD_OK)
		return CD_E_PARSE;
	if (c->vlen == 0)
		return perr(l, "missing value after '%.*s'", (int)op.n, op.p);
	c->cost = 1;
	switch (c->op) {
	case OP_IN:
	case OP_NOT_IN:
		if (parse_set(c) != CD_OK)
			return perr(l, "empty set");
		c->cost = 2;
		break;
	case OP_RE:
	case OP_NOT_RE: {
		int err;
		PCRE2_SIZE off;
		PCRE2_UCHAR msg[160];

		c->re = pcre2_compile((PCRE2_SPTR)c->value, c->vlen, 0, &err, &off, NULL);
		if (c->re == NULL) {
			pcre2_get_error_message(err, msg, sizeof(msg));
			return perr(l, "bad regular expression at offset %zu: %s", (size_t)off,
				    (const char *)msg);
		}
		pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
		c->cost = 10;
		break;
	}
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE: {
		struct span s = { c->value, c->vlen };

		if (span_to_i64(s, &c->num) != CD_OK)
			return perr(l, "'%s' is not an integer", c->value);
		break;
	}
	default:
		break;
	}
	return CD_OK;
}

/*
 * The order conditions are tried in: literal checks before regexes, and
 * stored fields before extra.* ones, which parse the event's JSON extra
 * (a rule testing `extra.K present` first made every event pay for that
 * parse, though `source` or `action` would have ruled most of them out).
 */
static int
cond_order(const struct cond *c)
{
	return c->cost + (c->field < 0 ? 5 : 0);
}

static int
cond_cmp(const void *a, const void *b)
{
	return cond_order(a) - cond_order(b);
}

/* ---- rules ------------------------------------------------------------------- */

struct parser {
	struct ruleset *rs;
	struct rule *cur;
	struct block *blk;   /* the when/unless block conditions go to, or NULL */
	char *name;
};

static struct block *
add_block(struct block **v, size_t *n)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

static int
enum_word(struct pline *l, const char *what, const char *const *names, size_t n, int *out)
{
	struct span w = word(l);
	size_t i;

	for (i = 0; i < n; i++)
		if (span_eq(w, names[i])) {
			*out = (int)i;
			return at_eol(l) ? CD_OK : perr(l, "trailing text after %s", what);
		}
	return perr(l, "unknown %s '%.*s'", what, (int)w.n, w.p);
}

static int
parse_state(struct pline *l, struct rule *r, struct span kw)
{
	struct rule_state *st = &r->st;
	struct span w;
	char *tmp = NULL, *xp = NULL;
	uint64_t n;

	if (st->kind != STATE_NONE)
		return perr(l, "a rule has at most one first-seen, distinct or count line");
	if (span_eq(kw, "first-seen"))
		st->kind = STATE_FIRST_SEEN;
	else if (span_eq(kw, "distinct"))
		st->kind = STATE_DISTINCT;
	else
		st->kind = STATE_COUNT;
	st->value_field = -1;
	if (st->kind != STATE_COUNT) {
		if (field_ref(l, word(l), &st->value_field, &xp) != CD_OK)
			return CD_E_PARSE;
		if (xp != NULL) {
			free(xp);
			return perr(l, "extra.* fields cannot be counted; use a stored field");
		}
	}
	if (!span_eq(word(l), "per"))
		return perr(l, "expected 'per FIELD'");
	if (field_ref(l, word(l), &st->entity_field, &xp) != CD_OK)
		return CD_E_PARSE;
	if (xp != NULL) {
		free(xp);
		return perr(l, "the entity must be a stored field");
	}
	if (st->kind == STATE_FIRST_SEEN) {
		st->window_ns = (int64_t)14 * 86400 * 1000000000LL;
		st->warmup_ns = RULE_WARMUP_NS;
		/* optional "learn D", "warmup D" and "after-first", in any order */
		while ((w = word(l)).n != 0) {
			int64_t *to = span_eq(w, "learn") ? &st->window_ns
				    : span_eq(w, "warmup") ? &st->warmup_ns : NULL;

			if (to == NULL && span_eq(w, "after-first")) {
				st->after_first = 1;
				continue;
			}
			if (to == NULL)
				return perr(l, "expected 'learn DURATION', 'warmup DURATION', 'after-first'"
					       " or end of line");
			tmp = span_dup(word(l));
			if (time_parse_duration(tmp, to) != CD_OK || *to < 0) {
				free(tmp);
				return perr(l, "bad duration (use 90s, 15m, 2h, 14d)");
			}
			free(tmp);
		}
		return CD_OK;
	}
	if (!span_eq(word(l), ">="))
		return perr(l, "expected '>= N'");
	w = word(l);
	if (span_to_u64(w, &n) != CD_OK || n < 1 || n > 1000)
		return perr(l, "threshold must be an integer from 1 to 1000");
	st->threshold = (int64_t)n;
	if (!span_eq(word(l), "within"))
		return perr(l, "expected 'within DURATION'");
	tmp = span_dup(word(l));
	if (time_parse_duration(tmp, &st->window_ns) != CD_OK || st->window_ns <= 0) {
		free(tmp);
		return perr(l, "bad duration (use 90s, 15m, 2h, 14d)");
	}
	free(tmp);
	return at_eol(l) ? CD_OK : perr(l, "trailing text");
}

static int
check_rule(struct pline *l, const struct rule *r)
{
	if (r->title == NULL)
		return perr(l, "rule %s has no title", r->id);
	if (r->nwhen == 0)
		return perr(l, "rule %s has no 'when' block", r->id);
	if ((r->cls == CLASS_USAGE) != (r->st.kind != STATE_NONE) && r->cls == CLASS_USAGE &&
	    r->nwhen == 0)
		return perr(l, "rule %s: usage rule without conditions", r->id);
	return CD_OK;
}

static int
finish_rule(struct parser *ps, struct pline *l)
{
	size_t i;

	if (ps->cur == NULL)
		return CD_OK;
	for (i = 0; i < ps->cur->nwhen; i++) {
		if (ps->cur->when[i].n == 0)
			return perr(l, "rule %s: empty 'when' block", ps->cur->id);
		qsort(ps->cur->when[i].c, ps->cur->when[i].n, sizeof(struct cond), cond_cmp);
	}
	for (i = 0; i < ps->cur->nunless; i++) {
		if (ps->cur->unless[i].n == 0)
			return perr(l, "rule %s: empty 'unless' block", ps->cur->id);
		qsort(ps->cur->unless[i].c, ps->cur->unless[i].n, sizeof(struct cond), cond_cmp);
	}
	for (i = 0; i < ps->cur->nquiet; i++) {
		if (ps->cur->quiet[i].n == 0)
			return perr(l, "rule %s: empty 'learn-only' block", ps->cur->id);
		qsort(ps->cur->quiet[i].c, ps->cur->quiet[i].n, sizeof(struct cond), cond_cmp);
	}
	if (ps->cur->nquiet > 0 && ps->cur->st.kind != STATE_FIRST_SEEN)
		return perr(l, "rule %s: 'learn-only' needs 'first-seen' (it teaches a baseline)",
			    ps->cur->id);
	if (check_rule(l, ps->cur) != CD_OK)
		return CD_E_PARSE;
	ps->cur = NULL;
	ps->blk = NULL;
	return CD_OK;
}

static int
valid_id(struct span id)
{
	size_t i;

	if (id.n == 0 || id.n > 64)
		return 0;
	for (i = 0; i < id.n; i++) {
		char c = id.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static int
parse_line(struct parser *ps, struct pline *l)
{
	struct rule *r = ps->cur;
	const char *save = l->p;
	struct span kw = word(l);
	int v;

	if (span_eq(kw, "rule") && ps->blk != NULL) {
		/* "rule" is also a field: "rule in TRC-1010" inside a block */
		const char *after = l->p;
		struct span op = word(l);
		size_t i;

		l->p = after;
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (span_eq(op, ops[i].name))
				goto condition;
	}
	if (span_eq(kw, "rule")) {
		struct span id;

		if (finish_rule(ps, l) != CD_OK)
			return CD_E_PARSE;
		id = word(l);
		if (!valid_id(id) || !at_eol(l))
			return perr(l, "expected 'rule ID' (letters, digits, - _ .)");
		if (ps->rs->n >= RULE_MAX_RULES)
			return perr(l, "too many rules (limit %d)", RULE_MAX_RULES);
		ps->rs->r = xrealloc(ps->rs->r, (ps->rs->n + 1) * sizeof(struct rule));
		r = &ps->rs->r[ps->rs->n++];
		memset(r, 0, sizeof(*r));
		r->id = span_dup(id);
		r->file = xstrdup(ps->name);
		r->line = l->line;
		r->sev = SEV_MEDIUM;
		r->cls = CLASS_ESCAPE;
		ps->cur = r;
		ps->blk = NULL;
		return CD_OK;
	}
	if (r == NULL)
		return perr(l, "expected 'rule ID' before '%.*s'", (int)kw.n, kw.p);
	if (span_eq(kw, "end"))
		return at_eol(l) ? finish_rule(ps, l) : perr(l, "trailing text after 'end'");
	if (span_eq(kw, "title")) {
		size_t n;

		free(r->title);
		r->title = NULL;
		ps->blk = NULL;
		return rest_value(l, &r->title, &n);
	}
	if (span_eq(kw, "severity")) {
		ps->blk = NULL;
		if (enum_word(l, "severity", sev_names, 5, &v) != CD_OK)
			return CD_E_PARSE;
		r->sev = (enum rule_sev)v;
		return CD_OK;
	}
	if (span_eq(kw, "class")) {
		ps->blk = NULL;
		if (enum_word(l, "class", class_names, 3, &v) != CD_OK)
			return CD_E_PARSE;
		r->cls = (enum rule_class)v;
		return CD_OK;
	}
	if (span_eq(kw, "exposes")) {
		ps->blk = NULL;
		if (enum_word(l, "exposure", exposes_names, 8, &v) != CD_OK)
			return CD_E_PARSE;
		r->exposes = (enum rule_exposes)v;
		return CD_OK;
	}
	if (span_eq(kw, "within")) {
		struct span t;

		ps->blk = NULL;
		while ((t = word(l)).n > 0) {
			size_t k;

			while (t.n > 0 && t.p[t.n - 1] == ',')
				t.n--;
			for (k = 0; k < NWITHIN && !span_eq(t, within_names[k]); k++)
				;
			if (k == NWITHIN)
				return perr(l, "'%.*s' is not a workload kind (container, pod, sandbox, "
					    "function, host)", (int)t.n, t.p);
			r->within |= 1u << k;
		}
		return r->within ? CD_OK : perr(l, "'within' needs a workload kind");
	}
	if (span_eq(kw, "target")) {
		ps->blk = NULL;
		if (!span_eq(word(l), "outside") || !at_eol(l))
			return perr(l, "expected 'target outside'");
		r->target_outside = 1;
		return CD_OK;
	}
	if (span_eq(kw, "namespace")) {
		ps->blk = NULL;
		if (!span_eq(word(l), "host") || !at_eol(l))
			return perr(l, "expected 'namespace host'");
		r->ns_host = 1;
		return CD_OK;
	}
	if (span_eq(kw, "attack")) {
		struct span t;

		ps->blk = NULL;
		while ((t = word(l)).n > 0) {
			while (t.n > 0 && t.p[t.n - 1] == ',')
				t.n--;
			if (t.n < 5 || t.p[0] != 'T')
				return perr(l, "'%.*s' is not an ATT&CK technique id (T1611, T1552.005)",
					    (int)t.n, t.p);
			r->attack = xrealloc(r->attack, (r->nattack + 1) * sizeof(char *));
			r->attack[r->nattack++] = span_dup(t);
		}
		return CD_OK;
	}
	if (span_eq(kw, "when") || span_eq(kw, "unless") || span_eq(kw, "learn-only")) {
		if (!at_eol(l))
			return perr(l, "'%.*s' stands alone; conditions follow on their own lines",
				    (int)kw.n, kw.p);
		ps->blk = kw.p[0] == 'w' ? add_block(&r->when, &r->nwhen)
			: kw.p[0] == 'u' ? add_block(&r->unless, &r->nunless)
					 : add_block(&r->quiet, &r->nquiet);
		return CD_OK;
	}
	if (span_eq(kw, "first-seen") || span_eq(kw, "distinct") || span_eq(kw, "count")) {
		ps->blk = NULL;
		return parse_state(l, r, kw);
	}
	if (span_eq(kw, "example")) {
		struct span m = word(l);
		struct example *e;

		ps->blk = NULL;
		if (!span_eq(m, "match") && !span_eq(m, "nomatch"))
			return perr(l, "expected 'example match|nomatch FIELD=VALUE ...'");
		skip_ws(l);
		r->ex = xrealloc(r->ex, (r->nex + 1) * sizeof(*r->ex));
		e = &r->ex[r->nex++];
		e->expect = m.p[0] == 'm';
		e->text = xstrndup(l->p, (size_t)(l->end - l->p));
		e->line = l->line;
		return CD_OK;
	}
	if (ps->blk != NULL) {
		struct cond c;

condition:
		l->p = save;
		if (parse_cond(l, &c) != CD_OK) {
			cond_release(&c);
			return CD_E_PARSE;
		}
		ps->blk->c = xrealloc(ps->blk->c, (ps->blk->n + 1) * sizeof(c));
		ps->blk->c[ps->blk->n++] = c;
		return CD_OK;
	}
	return perr(l, "unknown keyword '%.*s' (rule, title, severity, class, attack, exposes, "
		       "when, unless, learn-only, first-seen, distinct, count, example, end)",
		    (int)kw.n, kw.p);
}

/* Replace rules of the same id loaded earlier: a user file overrides a default. */
static void
dedup_ids(struct ruleset *rs, size_t first_new)
{
	size_t i, j;

	for (i = first_new; i < rs->n; i++)
		for (j = 0; j < first_new; j++)
			if (rs->r[j].id != NULL && strcmp(rs->r[j].id, rs->r[i].id) == 0) {
				rule_release(&rs->r[j]);
				break;
			}
	for (i = j = 0; i < rs->n; i++)
		if (rs->r[i].id != NULL)
			rs->r[j++] = rs->r[i];
	rs->n = j;
}

int
ruleset_parse(struct ruleset *rs, const char *name, const char *text, size_t len, char **cause)
{
	struct parser ps = { rs, NULL, NULL, (char *)name };
	struct pline l = { 0 };
	const char *p = text, *end = text + len;
	size_t first_new = rs->n, i, j;
	int lineno = 0, rc = CD_OK;

	l.file = name;
	l.cause = cause;
	while (p < end && rc == CD_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		lineno++;
		l.p = p;
		l.end = le;
		l.line = lineno;
		if (le > p && le[-1] == '\r')
			l.end--;
		if ((size_t)(l.end - l.p) > RULE_MAX_LINE)
			rc = perr(&l, "line longer than %d bytes", RULE_MAX_LINE);
		else if (memchr(l.p, '\0', (size_t)(l.end - l.p)) != NULL)
			rc = perr(&l, "NUL byte in a rule file");
		else {
			skip_ws(&l);
			if (l.p < l.end && *l.p != '#')
				rc = parse_line(&ps, &l);
		}
		p = nl ? nl + 1 : end;
	}
	if (rc == CD_OK) {
		l.line = lineno;
		rc = finish_rule(&ps, &l);
	}
	/* duplicate ids within one file are a mistake, not an override */
	for (i = first_new; rc == CD_OK && i < rs->n; i++)
		for (j = i + 1; j < rs->n; j++)
			if (strcmp(rs->r[i].id, rs->r[j].id) == 0) {
				l.line = rs->r[j].line;
				rc = perr(&l, "rule %s defined twice (first at line %d)", rs->r[j].id,
					  rs->r[i].line);
				break;
			}
	if (rc != CD_OK) {
		while (rs->n > first_new)
			rule_release(&rs->r[--rs->n]);
		return rc;
	}
	dedup_ids(rs, first_new);
	rs->sources = xrealloc(rs->sources, (rs->nsources + 1) * sizeof(char *));
	rs->sources[rs->nsources++] = xstrdup(name);
	return CD_OK;
}

static int
load_file(struct ruleset *rs, const char *path, char **cause)
{
	struct buf b;
	char chunk[65536];
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*cause = xstrdup(strerror(errno));
		return CD_E_IO;
	}
	buf_init(&b, RULE_MAX_FILE);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)n) != CD_OK) {
			close(fd);
			buf_release(&b);
			*cause = xstrdup("rule file larger than 4 MiB");
			return CD_E_LIMIT;
		}
	close(fd);
	if (n < 0) {
		buf_release(&b);
		*cause = xstrdup(strerror(errno));
		return CD_E_IO;
	}
	rc = ruleset_parse(rs, path, b.data, b.len, cause);
	buf_release(&b);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ruleset_load_path(struct ruleset *rs, const char *path, char **cause)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int rc = CD_OK;

	if (stat(path, &st) != 0) {
		struct buf b;

		buf_init(&b, 4096);
		if (buf_printf(&b, "%s: %s", path, strerror(errno)) != CD_OK)
			buf_reset(&b);
		*cause = buf_detach(&b, NULL);
		buf_release(&b);
		return CD_E_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = load_file(rs, path, cause);
		if (rc == CD_E_IO || rc == CD_E_LIMIT) {
			char *m = *cause;
			struct buf b;

			buf_init(&b, 4096);
			if (buf_printf(&b, "%s: %s", path, m) != CD_OK)
				buf_reset(&b);
			free(m);
			*cause = buf_detach(&b, NULL);
			buf_release(&b);
		}
		return rc;
	}
	d = opendir(path);
	if (d == NULL) {
		*cause = xstrdup(strerror(errno));
		return CD_E_IO;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len > 6 && strcmp(de->d_name + len - 6, ".rules") == 0) {
			struct buf b;

			buf_init(&b, 8192);
			if (buf_printf(&b, "%s/%s", path, de->d_name) != CD_OK) {
				buf_release(&b);
				continue;
			}
			names = xrealloc(names, (n + 1) * sizeof(char *));
			names[n++] = buf_detach(&b, NULL);
			buf_release(&b);
		}
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(char *), name_cmp);
	for (i = 0; i < n; i++) {
		if (rc == CD_OK)
			rc = ruleset_load_path(rs, names[i], cause);
		free(names[i]);
	}
	free(names);
	return rc;
}

int
ruleset_load_default(struct ruleset *rs, const char *user_dir, char **cause)
{
	int rc;

	rc = ruleset_parse(rs, "(built-in default.rules)", default_rules_text,
			   strlen(default_rules_text), cause);
	CD_BUG_ON(rc != CD_OK); /* the defaults are tested at build time */
	if (user_dir == NULL || *user_dir == '\0')
		user_dir = getenv("CORDON_RULES");
	if (user_dir != NULL && *user_dir != '\0') {
		/* $CORDON_RULES may list several directories, colon-separated */
		char *copy = xstrdup(user_dir), *p = copy, *colon;

		do {
			colon = strchr(p, ':');
			if (colon)
				*colon = '\0';
			if (*p)
				rc = ruleset_load_path(rs, p, cause);
			p = colon ? colon + 1 : NULL;
		} while (rc == CD_OK && p != NULL);
		free(copy);
	}
	return rc;
}

int
rule_admits_kind(const struct rule *r, const char *kind)
{
	size_t k;

	if (r->within == 0)
		return 1;
	for (k = 0; k < NWITHIN; k++)
		if ((r->within & (1u << k)) && strcmp(kind, within_names[k]) == 0)
			return 1;
	return 0;
}
