/*
 * undo.c - `cordon revoke undo ACTION_ID`: reverse a reversible action.
 *
 * The audit row of the original action says what reverses it (its undo
 * column, "ACTION TARGET" on the same provider, written by the connector
 * that acted).  The reversal is an action like any other: it checks,
 * acts, verifies, and is appended to the chain with undo_of = ACTION_ID.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

int
revoke_undo_plan(struct cmd_ctx *cc, const char *id, struct plan *p, int64_t *undo_of)
{
	struct span sp = { id, strlen(id) };
	struct store *s = NULL;
	sqlite3_stmt *st = NULL;
	const char *path;
	uint64_t v;
	int r = CD_E_USAGE;

	if (span_to_u64(sp, &v) != CD_OK || v == 0 || v > INT64_MAX) {
		out_err("'%s' is not an action id (see `cordon audit list`)", id);
		return CD_E_USAGE;
	}
	if (cmd_open_store(cc, 1, &s) != CD_OK)
		return CD_E_DB;
	path = cc->db_path; /* resolved by cmd_open_store */
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT provider, action, target, result, undo FROM actions WHERE id = ?", -1,
			       &st, NULL) != SQLITE_OK) {
		out_err("%s: %s", path, store_errmsg(s));
		goto out;
	}
	sqlite3_bind_int64(st, 1, (int64_t)v);
	if (sqlite3_step(st) != SQLITE_ROW) {
		out_err("no action %s in %s (see `cordon audit list`)", id, path);
		goto out;
	} else {
		const char *prov = (const char *)sqlite3_column_text(st, 0);
		const char *act = (const char *)sqlite3_column_text(st, 1);
		const char *tgt = (const char *)sqlite3_column_text(st, 2);
		const char *res = (const char *)sqlite3_column_text(st, 3);
		const char *undo = (const char *)sqlite3_column_text(st, 4);
		const struct connector *c = prov ? conn_find(prov) : NULL;
		const struct conn_action *ua;
		const char *sp2;
		char uact[64];

		if (res != NULL && strcmp(res, AUDIT_INTENT) == 0) {
			out_err("row %s is the intent of %s %s %s, not its outcome: undo the outcome row "
				"(see `cordon audit list`)",
				id, prov, act, tgt);
			goto out;
		}
		if (res != NULL && strcmp(res, "failed") == 0) {
			out_err("action %s (%s %s %s) failed: there is nothing to undo", id, prov, act, tgt);
			goto out;
		}
		if (undo == NULL || c == NULL || (sp2 = strchr(undo, ' ')) == NULL ||
		    (size_t)(sp2 - undo) >= sizeof(uact)) {
			out_err("action %s (%s %s %s) cannot be undone", id, prov ? prov : "?",
				act ? act : "?", tgt ? tgt : "?");
			goto out;
		}
		memcpy(uact, undo, (size_t)(sp2 - undo));
		uact[sp2 - undo] = '\0';
		ua = conn_action_find(c, uact);
		if (ua == NULL) {
			out_err("action %s: unknown undo '%s'", id, undo);
			goto out;
		}
		/* a step built by hand: undo-only actions are not plan vocabulary */
		plan_add(p, prov, "undo", sp2 + 1, NULL);
		free(p->steps[0].action);
		p->steps[0].action = xstrdup(uact);
		p->steps[0].manual = 0;
		p->steps[0].conn = c;
		p->steps[0].act = ua;
		p->steps[0].phase = ua->phase;
		p->steps[0].id = 1;
		*undo_of = (int64_t)v;
		r = CD_OK;
	}
out:
	sqlite3_finalize(st);
	store_close(&s);
	return r;
}
