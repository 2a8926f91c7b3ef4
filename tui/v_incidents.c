/*
 * v_incidents.c - the start screen: every incident with its severity, root
 * workload and node, first/last activity, revision, counts of signals,
 * exposed secrets and credentials, and how many of those credentials the
 * actions table shows cut off.  Read from the stored reports, the same
 * rows `cordon incidents` lists.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "private.h"

static void
short_time(int64_t ns, char *out, size_t cap, int with_date)
{
	char t[48];

	time_format(ns, t, sizeof(t));
	/* 2025-06-03T10:00:20Z -> "06-03 10:00:20" or "10:00:20" */
	if (strlen(t) < 19)
		snprintf(out, cap, "%s", t);
	else if (with_date)
		snprintf(out, cap, "%.5s %.8s", t + 5, t + 11);
	else
		snprintf(out, cap, "%.8s", t + 11);
}

static int
sev_attr(const char *sev)
{
	if (sev == NULL)
		return TA_NORMAL;
	if (strcmp(sev, "critical") == 0 || strcmp(sev, "high") == 0)
		return TA_RED;
	if (strcmp(sev, "medium") == 0)
		return TA_YELLOW;
	return TA_NORMAL;
}

static void
recalc(struct tui_app *a, struct tui_view *v)
{
	sqlite3_stmt *st;

	snprintf(v->title, sizeof(v->title), "Incidents");
	snprintf(v->header, sizeof(v->header), "%-8s %-14s %-14s %-8s %3s %3s %3s %4s %3s %-17s %s",
		 "SEVERITY", "ID", "FIRST", "LAST", "REV", "SIG", "EXP", "CRED", "CUT", "ROOT",
		 "NODE");
	snprintf(v->hint, sizeof(v->hint), "Enter open  E events  R reach  / search  ? help  q quit");
	if (sqlite3_prepare_v2(store_db(a->s),
			       "SELECT id, severity, first_ns, last_ns, root, revision, report FROM incidents"
			       " ORDER BY first_ns DESC, id",
			       -1, &st, NULL) != SQLITE_OK) {
		tui_app_message(a, 1, "incidents: %s", store_errmsg(a->s));
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *sev = (const char *)sqlite3_column_text(st, 1);
		const char *report = (const char *)sqlite3_column_text(st, 6);
		struct tui_report r;
		char first[32], last[32], node[256];
		int ncred = 0, ncut = 0, nsig = 0, nexp = 0;

		short_time(sqlite3_column_int64(st, 2), first, sizeof(first), 1);
		short_time(sqlite3_column_int64(st, 3), last, sizeof(last), 0);
		snprintf(node, sizeof(node), "-");
		if (report != NULL && tui_report_parse(&r, report) == CD_OK) {
			int arr = json_get(&r.d, 0, "credentials"), el, k;

			nsig = tui_report_count(&r, "signals");
			nexp = tui_report_count(&r, "exposed");
			for (k = 0; (el = json_at(&r.d, arr, k)) >= 0; k++) {
				const char *state = tui_cred_state(a->s, &r, el);

				ncred++;
				ncut += state != NULL && strcmp(state, "revoked") == 0;
			}
			/* where any kind of workload ran; reports before kinds had only host */
			if (strcmp(tui_report_str(&r, 0, "workload.where", node, sizeof(node)), "-") == 0)
				tui_report_str(&r, 0, "workload.host", node, sizeof(node));
			tui_report_release(&r);
		}
		tui_list_add(&v->list, sev_attr(sev), 1, 0,
			     "%-8s %-14s %-14s %-8s %3d %3d %3d %4d %3d %-17s %s", sev ? sev : "-",
			     id ? id : "-", first, last, sqlite3_column_int(st, 5), nsig, nexp, ncred,
			     ncut, (const char *)sqlite3_column_text(st, 4), node);
		/* the id, unescaped, to open it: kept beside the line */
		tui_list_add_raw(&v->keys, 0, 0, 0, id ? id : "");
	}
	sqlite3_finalize(st);
	if (v->list.n == 0)
		tui_list_add(&v->list, TA_DIM, 0, 0, "%s",
			     "no incidents yet: `cordon correlate` opens them (this screen updates by itself)");
}

static int
key(struct tui_app *a, struct tui_view *v, int k)
{
	const struct tui_line *ln = tui_list_current(&v->list);

	if ((k == TK_ENTER || k == '\r' || k == TK_RIGHT || k == 'l') && ln != NULL && ln->kind == 1 &&
	    v->list.cur < v->keys.n) {
		tui_app_push(a, tui_incident_view(v->keys.v[v->list.cur].text));
		return TR_REDRAW;
	}
	return 0;
}

static const struct tui_view_ops incidents_ops = {
	.name = "incidents",
	.recalc = recalc,
	.key = key,
};

struct tui_view *
tui_incidents_view(void)
{
	return tui_view_new(&incidents_ops, NULL);
}
