/*
 * graph_runby.c - the workloads that run as an identity (runs-as edges
 * into it: a pod's service account, a function's execution role, a Cloud
 * Run service's or Cloud Function's account), for `whois` and `reach` of
 * that identity.  Reach walks outwards from what holds credentials; this
 * is the one question asked the other way: whose credentials are these?
 */
#include <sqlite3.h>
#include <stdio.h>

#include "graph.h"

int
graph_run_by(struct store *s, int64_t id, int json, struct buf *b, int *count)
{
	sqlite3_stmt *st;
	int n = 0, rc = CD_OK;

	*count = 0;

	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT w.kind, w.key, w.label, e.detail FROM graph_edges e JOIN graph_nodes w"
			       " ON w.id = e.src WHERE e.dst = ?1 AND e.type = 'runs-as' ORDER BY w.kind, w.key",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_int64(st, 1, id);
	while (rc == CD_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *key = (const char *)sqlite3_column_text(st, 1);
		const char *label = (const char *)sqlite3_column_text(st, 2);
		const char *detail = (const char *)sqlite3_column_text(st, 3);

		if (json)
			rc = buf_addstr(b, n ? ",{\"kind\":" : "{\"kind\":") || json_put_str(b, kind) ||
			     buf_addstr(b, ",\"key\":") || json_put_str(b, key) ||
			     buf_addstr(b, ",\"label\":") || json_put_str(b, label) ||
			     buf_addstr(b, ",\"detail\":") || json_put_str(b, detail) || buf_addc(b, '}');
		else {
			if (n == 0)
				out_printf(stdout, "  workloads running as it:\n");
			out_printf(stdout, "    %s %s%s%s%s\n", kind, key, label ? "  (" : "", label ? label : "",
				   label ? ")" : "");
		}
		n++;
	}
	sqlite3_finalize(st);
	*count = n;
	return rc;
}
