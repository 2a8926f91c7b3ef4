/*
 * plan.c - revocation plans: built from an incident's report, written to
 * and read from JSON, printed as a table, put in the safe order.
 *
 * The order is by phase (connectors.h): quarantine the workload, revoke
 * per identity, rotate, clean up persistence, notify.  Within a phase the
 * incident's own order is kept.  Entries no connector can perform stay in
 * the plan as manual steps - never dropped.  A plan read back from a file
 * is re-resolved against the connector table: its phase and reversibility
 * are recomputed, not trusted, and an unknown action can only ever be a
 * manual step.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static const char *const phase_names[] = {
	"?", "quarantine", "revoke", "rotate", "cleanup", "notify",
};

const char *
phase_name(enum conn_phase ph)
{
	return ph >= PHASE_QUARANTINE && ph <= PHASE_NOTIFY ? phase_names[ph] : "?";
}

void
plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
}

void
plan_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->steps[i].provider);
		free(p->steps[i].action);
		free(p->steps[i].target);
		free(p->steps[i].note);
	}
	free(p->steps);
	free(p->incident);
	free(p->source);
	memset(p, 0, sizeof(*p));
}

/*
 * A step no connector carries out is done by hand, after the others, unless
 * it contains a live runtime: stopping a sandbox, a service or a function
 * by hand must still come before the revocations, or the runtime takes new
 * credentials while they are cut (issue 20's order, said in each note).
 */
static enum conn_phase
manual_phase(const char *action)
{
	static const char *const contain[] = { "kill-sandbox", "stop-service", "stop-function",
					       "isolate-pod", "scale-to-zero", "cordon-node" };
	size_t i;

	for (i = 0; i < sizeof(contain) / sizeof(contain[0]); i++)
		if (strcmp(action, contain[i]) == 0)
			return PHASE_QUARANTINE;
	return PHASE_CLEANUP;
}

void
plan_add(struct plan *p, const char *provider, const char *action, const char *target,
	 const char *note)
{
	const struct connector *cn;
	const struct conn_action *a;
	struct plan_step *st;
	struct buf clean;
	size_t i;

	if (provider == NULL || action == NULL)
		return;
	if (target == NULL)
		target = "";
	/* a free-text target (a notification) is shown and stored as the
	 * action's target: what looks like a secret in it never is */
	cn = conn_find(provider);
	a = cn != NULL ? conn_action_find(cn, action) : NULL;
	buf_init(&clean, 1 << 20);
	if (a != NULL && (a->flags & CONN_F_TEXT) && redact(target, &clean) == CD_OK)
		target = clean.data;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->steps[i].provider, provider) == 0 &&
		    strcmp(p->steps[i].action, action) == 0 && strcmp(p->steps[i].target, target) == 0)
			goto out;
	if (p->n >= PLAN_MAX_STEPS)
		goto out;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->steps = xrealloc(p->steps, p->cap * sizeof(*p->steps));
	}
	st = &p->steps[p->n++];
	memset(st, 0, sizeof(*st));
	st->provider = xstrdup(provider);
	st->action = xstrdup(action);
	st->target = xstrdup(target);
	st->note = note != NULL && *note ? xstrdup(note) : NULL;
	st->conn = cn;
	st->act = a;
	/* undo-only and read-only actions are not plan steps */
	if (st->act != NULL && (st->act->flags & (CONN_F_UNDO_ONLY | CONN_F_READONLY)))
		st->act = NULL;
	if (st->act == NULL || *target == '\0') {
		st->manual = 1;
		st->conn = NULL;
		st->act = NULL;
		st->phase = manual_phase(action);
	} else {
		st->phase = st->act->phase;
	}
out:
	buf_release(&clean);
}

void
plan_order(struct plan *p)
{
	size_t i, j;

	/* insertion sort: stable, and plans are small */
	for (i = 1; i < p->n; i++) {
		struct plan_step t = p->steps[i];

		for (j = i; j > 0 && p->steps[j - 1].phase > t.phase; j--)
			p->steps[j] = p->steps[j - 1];
		p->steps[j] = t;
	}
	for (i = 0; i < p->n; i++)
		p->steps[i].id = (int)i + 1;
}

/* String member of object obj, decoded, or NULL (the caller frees). */
static char *
member(const struct json_doc *d, int obj, const char *key)
{
	int i = json_get(d, obj, key);
	char tmp[4096];
	size_t n;

	if (i < 0 || json_type(d, i) != JSON_STRING)
		return NULL;
	if (json_str(d, i, tmp, sizeof(tmp), &n) != CD_OK)
		return NULL;
	return xstrndup(tmp, n);
}

static int
member_true(const struct json_doc *d, int obj, const char *key)
{
	int i = json_get(d, obj, key);

	return i >= 0 && json_type(d, i) == JSON_PRIMITIVE && span_eq(json_raw(d, i), "true");
}

/* Steps from an array of {provider, action, target, [why|note|reason], [manual]}. */
static int
plan_from_array(const struct json_doc *d, int arr, struct plan *p, char **cause)
{
	int k, n = json_count(d, arr);

	for (k = 0; k < n; k++) {
		int e = json_at(d, arr, k);
		char *prov, *act, *tgt, *note;

		if (e < 0 || json_type(d, e) != JSON_OBJECT) {
			*cause = xstrdup("a plan entry is not an object");
			return CD_E_PARSE;
		}
		prov = member(d, e, "provider");
		act = member(d, e, "action");
		tgt = member(d, e, "target");
		note = member(d, e, "note");
		if (note == NULL)
			note = member(d, e, "why");
		if (note == NULL)
			note = member(d, e, "reason");
		if (prov == NULL || act == NULL) {
			free(prov);
			free(act);
			free(tgt);
			free(note);
			*cause = xstrdup("a plan entry lacks provider or action");
			return CD_E_PARSE;
		}
		if (member_true(d, e, "manual")) {
			/* stays manual even if an action of that name exists */
			size_t before = p->n;

			plan_add(p, prov, act, tgt, note);
			if (p->n > before) {
				p->steps[p->n - 1].manual = 1;
				p->steps[p->n - 1].conn = NULL;
				p->steps[p->n - 1].act = NULL;
			}
		} else {
			plan_add(p, prov, act, tgt, note);
		}
		free(prov);
		free(act);
		free(tgt);
		free(note);
	}
	return CD_OK;
}

/* A plan file ({"steps":[...]}) or an incident report ({"plan":[...]}). */
int
plan_from_json(const char *text, size_t len, struct plan *p, char **cause)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why = NULL;
	int arr, r;

	*cause = NULL;
	json_tokens_init(&t, JSON_MAX_TOKENS);
	r = json_parse(&d, text, len, &t, &why);
	if (r != CD_OK || json_type(&d, 0) != JSON_OBJECT) {
		*cause = xstrdup(why ? why : "not a JSON object");
		json_tokens_release(&t);
		return CD_E_PARSE;
	}
	if (p->incident == NULL)
		p->incident = member(&d, 0, "incident");
	if (p->incident == NULL)
		p->incident = member(&d, 0, "id");
	arr = json_get(&d, 0, "steps");
	if (arr < 0)
		arr = json_get(&d, 0, "plan");
	if (arr < 0 || json_type(&d, arr) != JSON_ARRAY) {
		*cause = xstrdup("no \"steps\" (plan file) or \"plan\" (incident report) array");
		r = CD_E_PARSE;
	} else {
		r = plan_from_array(&d, arr, p, cause);
	}
	json_tokens_release(&t);
	if (r == CD_OK)
		plan_order(p);
	return r;
}

int
plan_from_incident(struct store *s, const char *id, struct plan *p, char **cause)
{
	sqlite3_stmt *st;
	int r;

	*cause = NULL;
	if (sqlite3_prepare_v2(store_db(s), "SELECT report FROM incidents WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK) {
		*cause = xstrdup(store_errmsg(s));
		return CD_E_DB;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_finalize(st);
		*cause = xstrdup("no such incident (see `cordon incidents`)");
		return CD_E_NOTFOUND;
	}
	p->incident = xstrdup(id);
	r = plan_from_json((const char *)sqlite3_column_text(st, 0),
			   (size_t)sqlite3_column_bytes(st, 0), p, cause);
	sqlite3_finalize(st);
	free(p->incident);
	p->incident = xstrdup(id);
	return r;
}

int
plan_to_json(const struct plan *p, struct buf *b)
{
	size_t i;
	int r = buf_addstr(b, "{\"version\":1,\"incident\":");

	r = r ? r : json_put_str(b, p->incident);
	r = r ? r : buf_addstr(b, ",\"steps\":[");
	for (i = 0; i < p->n && r == CD_OK; i++) {
		const struct plan_step *st = &p->steps[i];
		int rev = st->act != NULL && (st->act->flags & CONN_F_REVERSIBLE);

		r = buf_printf(b, "%s\n{\"step\":%d,\"phase\":\"%s\",\"provider\":", i ? "," : "", st->id,
			       phase_name(st->phase));
		r = r ? r : json_put_str(b, st->provider);
		r = r ? r : buf_addstr(b, ",\"action\":");
		r = r ? r : json_put_str(b, st->action);
		r = r ? r : buf_addstr(b, ",\"target\":");
		r = r ? r : json_put_str(b, st->target);
		r = r ? r : buf_printf(b, ",\"manual\":%s,\"reversible\":%s,\"undo\":",
				       st->manual ? "true" : "false", rev ? "true" : "false");
		r = r ? r : json_put_str(b, rev ? st->act->undo : NULL);
		r = r ? r : buf_addstr(b, ",\"note\":");
		r = r ? r : json_put_str(b, st->note);
		r = r ? r : buf_addc(b, '}');
	}
	return r ? r : buf_addstr(b, "\n]}\n");
}

void
plan_print_table(const struct plan *p, FILE *f)
{
	size_t i;

	if (p->incident != NULL)
		out_printf(f, "plan for incident %s: %zu steps\n", p->incident, p->n);
	out_printf(f, "%-4s  %-10s  %-8s  %-22s  %-40s  %s\n", "STEP", "PHASE", "PROVIDER",
		   "ACTION", "TARGET", "REVERSIBLE");
	for (i = 0; i < p->n; i++) {
		const struct plan_step *st = &p->steps[i];
		const char *rev = st->manual ? "by hand"
				  : (st->act->flags & CONN_F_REVERSIBLE) ? "yes" : "no";

		out_printf(f, "%-4d  %-10s  %-8s  %-22s  %-40s  %s%s%s\n", st->id,
			   st->manual ? "manual" : phase_name(st->phase), st->provider, st->action,
			   st->target, rev, st->note ? "  # " : "", st->note ? st->note : "");
	}
}
