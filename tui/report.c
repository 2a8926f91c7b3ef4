/*
 * report.c - the stored incident report (the JSON `cordon incident --format
 * json` prints), parsed once per screen, and what the actions table says of
 * its credentials.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

int
tui_report_parse(struct tui_report *r, const char *js)
{
	const char *why;
	size_t len = strlen(js);

	memset(r, 0, sizeof(*r));
	r->js = xstrdup(js);
	json_tokens_init(&r->t, (int)(len / 2 + 64 < JSON_MAX_TOKENS ? len / 2 + 64 : JSON_MAX_TOKENS));
	if (json_parse(&r->d, r->js, len, &r->t, &why) != CD_OK) {
		tui_report_release(r);
		return CD_E_PARSE;
	}
	return CD_OK;
}

int
tui_report_load(struct tui_report *r, struct store *s, const char *id)
{
	sqlite3_stmt *st;
	int rc = CD_E_NOTFOUND;

	memset(r, 0, sizeof(*r));
	if (sqlite3_prepare_v2(store_db(s), "SELECT report FROM incidents WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		rc = tui_report_parse(r, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc;
}

void
tui_report_release(struct tui_report *r)
{
	json_tokens_release(&r->t);
	free(r->js);
	memset(r, 0, sizeof(*r));
}

int
tui_report_count(const struct tui_report *r, const char *key)
{
	int t = json_get(&r->d, 0, key);

	return t >= 0 ? json_count(&r->d, t) : 0;
}

const char *
tui_report_str(const struct tui_report *r, int obj, const char *path, char *out, size_t cap)
{
	int t = json_path(&r->d, obj, path);

	if (t < 0 || json_is_null(&r->d, t) || json_str(&r->d, t, out, cap, NULL) != CD_OK)
		snprintf(out, cap, "-");
	return out;
}

const char *
tui_target_state(struct store *s, const char *target)
{
	sqlite3_stmt *st;
	const char *state = NULL;

	if (target == NULL || *target == '\0' ||
	    sqlite3_prepare_v2(store_db(s),
			       "SELECT result, undo_of FROM actions WHERE target = ?1 ORDER BY id DESC"
			       " LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(st, 0);
		int undone = sqlite3_column_type(st, 1) != SQLITE_NULL;

		if (res == NULL)
			state = NULL;
		else if (strcmp(res, "intent") == 0)
			state = "revoking";
		else if (strcmp(res, "failed") == 0)
			state = "failed";
		else if ((strcmp(res, "done") == 0 || strcmp(res, "already done") == 0) && !undone)
			state = "revoked";
	}
	sqlite3_finalize(st);
	return state;
}

/* "arn:aws:sts::ACCT:assumed-role/ROLE/SESSION" -> "arn:aws:iam::ACCT:role/ROLE":
 * a session is cut off by revoking the role's sessions. */
static int
role_of_session(const char *arn, char *out, size_t cap)
{
	static const char pre[] = "arn:aws:sts::";
	const char *acct, *colon, *role, *slash;

	if (strncmp(arn, pre, sizeof(pre) - 1) != 0)
		return -1;
	acct = arn + sizeof(pre) - 1;
	colon = strchr(acct, ':');
	if (colon == NULL || strncmp(colon + 1, "assumed-role/", 13) != 0)
		return -1;
	role = colon + 14;
	slash = strchr(role, '/');
	if (slash == NULL)
		return -1;
	snprintf(out, cap, "arn:aws:iam::%.*s:role/%.*s", (int)(colon - acct), acct,
		 (int)(slash - role), role);
	return 0;
}

/*
 * A bound service-account token (JTI=...) has no action of its own: it
 * dies with the pod that holds it, which the plan deletes ("the pod's
 * bound tokens die with it").  Its state is that of the plan's delete-pod
 * steps: revoked once one is done, else the furthest any got.
 */
static const char *
bound_token_state(struct store *s, const struct tui_report *r)
{
	int plan = json_get(&r->d, 0, "plan"), n = plan >= 0 ? json_count(&r->d, plan) : 0, k;
	const char *best = NULL, *st;
	char act[64], tgt[512];

	for (k = 0; k < n; k++) {
		int step = json_at(&r->d, plan, k);

		tui_report_str(r, step, "action", act, sizeof(act));
		if (strcmp(act, "delete-pod") != 0)
			continue;
		tui_report_str(r, step, "target", tgt, sizeof(tgt));
		if ((st = tui_target_state(s, tgt)) == NULL)
			continue;
		if (strcmp(st, "revoked") == 0)
			return st;
		if (best == NULL || strcmp(st, "revoking") == 0)
			best = st;
	}
	return best;
}

const char *
tui_cred_state(struct store *s, const struct tui_report *r, int el)
{
	char id[512], ident[1024], role[1024];
	const char *st;

	tui_report_str(r, el, "id", id, sizeof(id));
	if ((st = tui_target_state(s, id)) != NULL)
		return st;
	tui_report_str(r, el, "identity", ident, sizeof(ident));
	if (role_of_session(ident, role, sizeof(role)) == 0 &&
	    (st = tui_target_state(s, role)) != NULL)
		return st;
	if (strncmp(id, "JTI=", 4) == 0)
		return bound_token_state(s, r);
	return NULL;
}
