/*
 * v_incident.c - one incident, three panes (Tab): the cross-source
 * timeline under a per-source histogram of the incident's window, the
 * blast-radius tree (exposure -> credential -> identity -> what it can
 * assume and reach), and the revocation plan with each step's state and a
 * selection to revoke.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "../revoke/revoke.h"
#include "private.h"

enum { TAB_TIMELINE, TAB_TREE, TAB_PLAN };

struct incident {
	char id[128];
	struct tui_report r;
	int have_report;
	struct tui_tree tree;
	int tree_built;
	struct plan *plan;
	unsigned char *sel;
	size_t nsel;
	char plan_err[512];
};

#define HIST_SOURCES 5

/* Per-source activity over [t0, t1] in nb buckets: GROUP BY on the time
 * index, one row per (source, bucket) that has events. */
static void
histogram(struct tui_app *a, struct tui_view *v, int64_t t0, int64_t t1)
{
	static const char *const blocks[] = { " ", "\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#%@";
	char names[HIST_SOURCES][32];
	int64_t cnt[HIST_SOURCES][128], total[HIST_SOURCES];
	int ns = 0, nb = a->width - 24, i, k;
	sqlite3_stmt *st;
	char t0s[48], t1s[48];

	if (nb > 100)
		nb = 100;
	if (nb < 10)
		return;
	memset(cnt, 0, sizeof(cnt));
	memset(total, 0, sizeof(total));
	if (sqlite3_prepare_v2(store_db(a->s),
			       "SELECT source, min(?3 - 1, (ts_ns - ?1) * ?3 / (?2 - ?1 + 1)), count(*)"
			       " FROM events WHERE ts_ns BETWEEN ?1 AND ?2 GROUP BY 1, 2",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, t0);
	sqlite3_bind_int64(st, 2, t1);
	sqlite3_bind_int64(st, 3, nb);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *src = (const char *)sqlite3_column_text(st, 0);
		int b = sqlite3_column_int(st, 1);

		if (src == NULL)
			src = "-";
		for (i = 0; i < ns && strcmp(names[i], src) != 0; i++)
			;
		if (i == ns) {
			if (ns == HIST_SOURCES)
				continue; /* the first sources, alphabetically */
			snprintf(names[ns++], sizeof(names[0]), "%s", src);
		}
		if (b >= 0 && b < nb) {
			cnt[i][b] += sqlite3_column_int64(st, 2);
			total[i] += sqlite3_column_int64(st, 2);
		}
	}
	sqlite3_finalize(st);
	for (i = 0; i < ns; i++) {
		struct buf b;
		int64_t max = 1;

		for (k = 0; k < nb; k++)
			max = cnt[i][k] > max ? cnt[i][k] : max;
		buf_init(&b, 4096);
		if (out_bprintf(&b, "%-10.10s ", names[i]) != CD_OK) {
			/* fixed width */
		}
		for (k = 0; k < nb; k++) {
			int level = (int)((cnt[i][k] * 8 + max - 1) / max);

			if (a->utf8 ? buf_addstr(&b, blocks[level]) : buf_addc(&b, ascii[level]))
				break;
		}
		if (buf_printf(&b, " %lld", (long long)total[i]) != CD_OK) {
			/* fits */
		}
		tui_list_add_raw(&v->aux, TA_CYAN, 0, 0, b.data);
		buf_release(&b);
	}
	time_format(t0, t0s, sizeof(t0s));
	time_format(t1, t1s, sizeof(t1s));
	/* the window's ends, to the second: "2025-06-03T10:00:07 ... 10:01:47" */
	tui_list_add(&v->aux, TA_DIM, 0, 0, "%-10s %-*.19s%.8s", "", nb - 8 > 19 ? nb - 8 : 19, t0s,
		     strlen(t1s) > 11 ? t1s + 11 : t1s);
}

static void
timeline(struct tui_app *a, struct tui_view *v, struct incident *in)
{
	const struct json_doc *d = &in->r.d;
	int arr = json_get(d, 0, "signals"), el, k;
	sqlite3_stmt *st;

	snprintf(v->header, sizeof(v->header), "%-20s %-9s %-8s %s", "TIME", "SOURCE", "RULE",
		 "SUMMARY");
	snprintf(v->hint, sizeof(v->hint), "Enter raw record  Tab pane  / search  Esc back  ? help");
	if (sqlite3_prepare_v2(store_db(a->s), "SELECT first_ns, last_ns FROM incidents WHERE id = ?1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			int64_t t0 = sqlite3_column_int64(st, 0), t1 = sqlite3_column_int64(st, 1);
			int64_t pad = (t1 - t0) / 10 + 5000000000LL;

			histogram(a, v, t0 - pad, t1 + pad);
		}
		sqlite3_finalize(st);
	}
	for (k = 0; (el = json_at(d, arr, k)) >= 0; k++) {
		char ts[64], src[64], rule[64], sum[2048], sev[32];
		int64_t id = 0;

		json_i64(d, json_get(d, el, "event_id"), &id);
		tui_report_str(&in->r, el, "ts", ts, sizeof(ts));
		tui_report_str(&in->r, el, "severity", sev, sizeof(sev));
		if (strlen(ts) > 19 && ts[10] == 'T') {
			ts[10] = ' ';
			ts[19] = '\0';
		}
		tui_list_add(&v->list,
			     strcmp(sev, "critical") == 0 || strcmp(sev, "high") == 0 ? TA_RED : TA_NORMAL,
			     1, id, "%-20s %-9s %-8s %s", ts,
			     tui_report_str(&in->r, el, "source", src, sizeof(src)),
			     tui_report_str(&in->r, el, "rule", rule, sizeof(rule)),
			     tui_report_str(&in->r, el, "summary", sum, sizeof(sum)));
	}
	if (v->list.n == 0)
		tui_list_add(&v->list, TA_DIM, 0, 0, "%s", "no signals in the report");
}

static int
manual_target(const struct incident *in, const char *target)
{
	struct revoke_step_info si;
	size_t i;

	for (i = 0; i < revoke_plan_len(in->plan); i++) {
		revoke_plan_step(in->plan, i, &si);
		if (si.manual && strcmp(si.target, target) == 0)
			return 1;
	}
	return 0;
}

static void
build_tree(struct incident *in)
{
	const struct json_doc *d = &in->r.d;
	int arr, el, k;
	char kind[64], loc[2048], ts[64], via[128], prov[64], id[512], ident[1024], subj[2200];

	arr = json_get(d, 0, "exposed");
	for (k = 0; (el = json_at(d, arr, k)) >= 0; k++) {
		struct buf b;

		tui_report_str(&in->r, el, "locator", loc, sizeof(loc));
		buf_init(&b, 8192);
		if (out_bprintf(&b, "exposed %s %s  (at %s by %s)",
				tui_report_str(&in->r, el, "kind", kind, sizeof(kind)), loc,
				tui_report_str(&in->r, el, "ts", ts, sizeof(ts)),
				tui_report_str(&in->r, el, "via", via, sizeof(via))) != CD_OK) {
			/* cut */
		}
		snprintf(subj, sizeof(subj), "secret:%s", loc);
		tui_tree_add(&in->tree, 0, subj, b.data);
		buf_release(&b);
	}
	arr = json_get(d, 0, "credentials");
	for (k = 0; (el = json_at(d, arr, k)) >= 0; k++) {
		struct tui_tree_node *n;
		struct buf b;
		int used = json_raw(d, json_get(d, el, "used_after_exposure")).p != NULL &&
			   json_raw(d, json_get(d, el, "used_after_exposure")).p[0] == 't';

		tui_report_str(&in->r, el, "provider", prov, sizeof(prov));
		tui_report_str(&in->r, el, "id", id, sizeof(id));
		tui_report_str(&in->r, el, "identity", ident, sizeof(ident));
		buf_init(&b, 8192);
		if (out_bprintf(&b, "credential %s:%s -> %s", prov, id, ident) != CD_OK) {
			/* cut */
		}
		snprintf(subj, sizeof(subj), "credential:%s:%s", prov, id);
		n = tui_tree_add(&in->tree, 0, subj, b.data);
		n->status_target = xstrdup(id);
		n->flags = TN_CRED | (used ? TN_USED : 0) | (manual_target(in, id) ? TN_MANUAL : 0);
		buf_release(&b);
	}
	in->tree_built = 1;
}

/* The latest action row on a step's (provider, action, target). */
static const char *
step_state(struct store *s, const struct revoke_step_info *si, int64_t *undo_id)
{
	sqlite3_stmt *st;
	const char *state = "pending";

	*undo_id = 0;
	if (si->manual)
		return "manual";
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT id, result, undo_of, undo FROM actions WHERE provider = ?1 AND"
			       " action = ?2 AND target = ?3 ORDER BY id DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return "?";
	sqlite3_bind_text(st, 1, si->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, si->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, si->target, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(st, 1);

		if (res == NULL)
			state = "?";
		else if (strcmp(res, "intent") == 0)
			state = "unknown"; /* intent recorded, outcome not (yet) */
		else if (strcmp(res, "failed") == 0)
			state = "failed";
		else if (strcmp(res, "done") == 0)
			state = "done";
		else if (strcmp(res, "already done") == 0)
			state = "already";
		if (sqlite3_column_type(st, 3) != SQLITE_NULL && strcmp(state, "done") == 0)
			*undo_id = sqlite3_column_int64(st, 0);
	}
	/* an undo row names the same target with the reversing action: not this step */
	sqlite3_finalize(st);
	return state;
}

static void
plan_lines(struct tui_app *a, struct tui_view *v, struct incident *in)
{
	struct revoke_step_info si;
	size_t i;

	snprintf(v->header, sizeof(v->header), "SEL  #  %-8s %-10s %-5s %-20s %s", "STATE", "PHASE",
		 "PROV", "ACTION", "TARGET");
	snprintf(v->hint, sizeof(v->hint),
		 a->readonly ? "read-only: revoke disabled  Tab pane  Esc back  ? help"
			     : "Space select  a all  r revoke  u undo  Tab pane  Esc back  ? help");
	if (in->plan == NULL) {
		tui_list_add(&v->list, TA_DIM, 0, 0, "no plan: %s", in->plan_err);
		return;
	}
	for (i = 0; i < revoke_plan_len(in->plan); i++) {
		int64_t undo_id;
		const char *state;
		struct tui_line *ln;
		int attr;

		revoke_plan_step(in->plan, i, &si);
		state = step_state(a->s, &si, &undo_id);
		attr = strcmp(state, "done") == 0 || strcmp(state, "already") == 0 ? TA_GREEN
		       : strcmp(state, "failed") == 0				   ? TA_RED
		       : si.manual						   ? TA_DIM
											   : TA_NORMAL;
		ln = tui_list_add(&v->list, attr, 1, (int64_t)i, "%s %2d  %-8s %-10s %-5s %-20s %s",
				  si.manual ? "   " : in->sel[i] ? "[x]" : "[ ]", si.id, state, si.phase,
				  si.provider, si.action, si.target);
		if (ln != NULL)
			ln->mark = in->sel[i];
		tui_list_add_raw(&v->keys, 0, 0, undo_id, "");
	}
}

static void
recalc(struct tui_app *a, struct tui_view *v)
{
	struct incident *in = v->data;
	char *cause = NULL;

	if (in->have_report)
		tui_report_release(&in->r);
	in->have_report = tui_report_load(&in->r, a->s, in->id) == CD_OK;
	snprintf(v->title, sizeof(v->title), "Incident ");
	if (!in->have_report) {
		tui_list_add(&v->list, TA_RED, 0, 0, "incident %s: no report in the store", in->id);
		return;
	}
	{
		char sev[32], root[512], host[512], first[64], last[64];
		struct buf b;

		buf_init(&b, sizeof(v->title) - 1);
		if (out_bprintf(&b, "Incident %s  %s  root %s on %s  %s .. %s", in->id,
				tui_report_str(&in->r, 0, "severity", sev, sizeof(sev)),
				tui_report_str(&in->r, 0, "root", root, sizeof(root)),
				/* where any kind of workload ran (a host, a function's region) */
				strcmp(tui_report_str(&in->r, 0, "workload.where", host, sizeof(host)), "-") != 0
				? host : tui_report_str(&in->r, 0, "workload.host", host, sizeof(host)),
				tui_report_str(&in->r, 0, "first_seen", first, sizeof(first)),
				tui_report_str(&in->r, 0, "last_seen", last, sizeof(last))) != CD_OK) {
			/* cut at the title's size */
		}
		snprintf(v->title, sizeof(v->title), "%s", b.data);
		buf_release(&b);
	}
	if (in->plan == NULL) {
		in->plan_err[0] = '\0';
		if (revoke_plan_load(a->s, in->id, &in->plan, &cause) != CD_OK) {
			snprintf(in->plan_err, sizeof(in->plan_err), "%s", cause ? cause : "?");
			free(cause);
		}
		free(in->sel);
		in->nsel = revoke_plan_len(in->plan);
		in->sel = xcalloc(in->nsel + 1, 1);
	}
	switch (v->tab) {
	case TAB_TIMELINE:
		timeline(a, v, in);
		break;
	case TAB_TREE:
		snprintf(v->header, sizeof(v->header), "%s",
			 "exposure -> credential -> identity -> what it can assume and reach");
		snprintf(v->hint, sizeof(v->hint),
			 "Enter/Space expand  Left collapse  Tab pane  Esc back  ? help");
		if (!in->tree_built)
			build_tree(in);
		tui_tree_lines(&in->tree, a->s, &v->list);
		break;
	default:
		plan_lines(a, v, in);
	}
}

static void
confirm_undo(struct tui_app *a, struct incident *in, int64_t undo_id)
{
	struct plan *p = NULL;
	char *cause = NULL;

	a->reopen = 1; /* it opens and closes the store in this process */
	if (revoke_plan_undo(a->db_path, undo_id, &p, &cause) != CD_OK) {
		tui_app_message(a, 1, "undo of action %lld: %s", (long long)undo_id,
				cause ? cause : "?");
		free(cause);
		return;
	}
	tui_app_push(a, tui_revoke_view(p, NULL, in->id, undo_id, a->s));
}

static int
plan_key(struct tui_app *a, struct tui_view *v, struct incident *in, int k)
{
	const struct tui_line *ln = tui_list_current(&v->list);
	struct revoke_step_info si;
	size_t i, n = revoke_plan_len(in->plan), nsel = 0;

	if (in->plan == NULL)
		return 0;
	if (k == ' ' || k == TK_ENTER) {
		if (ln == NULL || ln->kind != 1)
			return TR_HANDLED;
		revoke_plan_step(in->plan, (size_t)ln->ref, &si);
		if (si.manual) {
			tui_app_message(a, 0, "step %d is manual: do it by hand (%s)", si.id,
					si.note ? si.note : "no connector can");
			return TR_REDRAW;
		}
		in->sel[ln->ref] = !in->sel[ln->ref];
		if (v->list.cur + 1 < v->list.n)
			v->list.cur++;
		return TR_RECALC | TR_REDRAW;
	}
	if (k == 'a') {
		int any = 0;

		for (i = 0; i < n; i++)
			any |= in->sel[i];
		for (i = 0; i < n; i++) {
			revoke_plan_step(in->plan, i, &si);
			in->sel[i] = !any && !si.manual;
		}
		return TR_RECALC | TR_REDRAW;
	}
	if (k == 'r' || k == 'u') {
		if (a->readonly) {
			tui_app_message(a, 1, "%s",
					"read-only (--read-only): revocation is disabled; the store is never written");
			return TR_REDRAW;
		}
		if (k == 'u') {
			int64_t undo_id = ln != NULL && v->list.cur < v->keys.n ? v->keys.v[v->list.cur].ref
									       : 0;

			if (undo_id == 0) {
				tui_app_message(a, 1, "%s",
						"nothing to undo on this step (no reversible action done)");
				return TR_REDRAW;
			}
			confirm_undo(a, in, undo_id);
			return TR_REDRAW;
		}
		for (i = 0; i < n; i++)
			nsel += in->sel[i];
		if (nsel == 0) {
			tui_app_message(a, 1, "%s", "select steps first: Space selects one, a selects all");
			return TR_REDRAW;
		}
		/* the revoke screen takes the plan; this one reloads its own */
		tui_app_push(a, tui_revoke_view(in->plan, in->sel, in->id, 0, a->s));
		in->plan = NULL;
		return TR_REDRAW;
	}
	return 0;
}

static int
key(struct tui_app *a, struct tui_view *v, int k)
{
	struct incident *in = v->data;
	const struct tui_line *ln = tui_list_current(&v->list);

	if (v->tab == TAB_TIMELINE && (k == TK_ENTER || k == '\r') && ln != NULL && ln->kind == 1) {
		tui_app_push(a, tui_record_view(ln->ref));
		return TR_REDRAW;
	}
	if (v->tab == TAB_TREE && ln != NULL && ln->kind == 1) {
		struct tui_tree_node *n = &in->tree.v[ln->ref];

		if (k == TK_ENTER || k == ' ' || (k == TK_RIGHT && !n->expanded) ||
		    (k == TK_LEFT && n->expanded) || k == 'l' || k == 'h') {
			if ((k == 'l' && n->expanded) || (k == 'h' && !n->expanded))
				return TR_HANDLED;
			tui_tree_toggle(&in->tree, (size_t)ln->ref, a->s);
			return TR_RECALC | TR_REDRAW;
		}
	}
	if (v->tab == TAB_PLAN)
		return plan_key(a, v, in, k);
	return 0;
}

static void
incident_free(struct tui_view *v)
{
	struct incident *in = v->data;

	if (in->have_report)
		tui_report_release(&in->r);
	tui_tree_release(&in->tree);
	revoke_plan_free(&in->plan);
	free(in->sel);
	free(in);
}

static const struct tui_view_ops incident_ops = {
	.name = "incident",
	.recalc = recalc,
	.key = key,
	.free = incident_free,
};

struct tui_view *
tui_incident_view(const char *id)
{
	struct incident *in = xcalloc(1, sizeof(*in));
	struct tui_view *v;

	snprintf(in->id, sizeof(in->id), "%s", id);
	tui_tree_init(&in->tree);
	v = tui_view_new(&incident_ops, in);
	v->tabs[0] = "Timeline";
	v->tabs[1] = "Blast radius";
	v->tabs[2] = "Plan";
	v->ntabs = 3;
	return v;
}
