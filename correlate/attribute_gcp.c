/*
 * attribute_gcp.c - a GCP audit event made with a Cloud Run service's or
 * Cloud Function's own service-account token belongs to that service.
 *
 * The runtime's tokens come from the metadata server, and Cloud Audit Logs
 * show only the account's email (principalEmail): nothing ties a call to
 * one service but the account.  So a call is the service's only when
 * exactly one inventoried service or function runs as that account (a
 * shared account names no one), and only when the account's token was
 * its own: a call made through impersonation (serviceAccountDelegationInfo:
 * a developer's gcloud --impersonate-service-account) or signed with a
 * user-managed key (serviceAccountKeyName, the event's cred_id) used other
 * credentials than the service's.
 */
#include <string.h>

#include "engine.h"

/* A text column, "" for NULL. */
static const char *
col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

/* Whether the event's extra holds a non-empty "delegation" chain. */
static int
delegated(const char *extra)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	int r = 0, i;

	if (extra == NULL || strstr(extra, "\"delegation\"") == NULL)
		return 0;
	json_tokens_init(&t, 1024);
	if (json_parse(&d, extra, strlen(extra), &t, &why) == CD_OK) {
		i = json_get(&d, 0, "delegation");
		r = i >= 0 && !json_is_null(&d, i) &&
		    (json_type(&d, i) != JSON_ARRAY || json_count(&d, i) > 0);
	} else {
		r = 1; /* unreadable: do not claim the call for the service */
	}
	json_tokens_release(&t);
	return r;
}

int
gcp_service_of_event(sqlite3 *db, const struct event *ev, struct workload *w)
{
	sqlite3_stmt *st;
	char key[400];
	int rows = 0;

	if (ev->source == NULL || strcmp(ev->source, "gcpaudit") != 0 || ev->actor == NULL ||
	    ev->cred_id != NULL || strchr(ev->actor, '@') == NULL || strlen(ev->actor) > 300 ||
	    delegated(ev->extra))
		return 0;
	snprintf(key, sizeof(key), "gcp:%s", ev->actor);
	if (sqlite3_prepare_v2(db,
			       "SELECT f.key, json_extract(f.attrs, '$.name'),"
			       " json_extract(f.attrs, '$.runtime'), json_extract(f.attrs, '$.image'),"
			       " json_extract(f.attrs, '$.location'), json_extract(f.attrs, '$.project')"
			       " FROM graph_nodes i JOIN graph_edges e ON e.dst = i.id AND e.type = 'runs-as'"
			       " JOIN graph_nodes f ON f.id = e.src AND f.kind = 'function' AND f.provider = 'gcp'"
			       " AND json_valid(f.attrs)"
			       " WHERE i.kind = 'identity' AND i.key = ?1 LIMIT 2",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && ++rows == 1) {
		memset(w, 0, sizeof(*w));
		snprintf(w->kind, sizeof(w->kind), "function");
		snprintf(w->id, sizeof(w->id), "%s", col(st, 0));
		snprintf(w->name, sizeof(w->name), "%s", col(st, 1));
		snprintf(w->runtime, sizeof(w->runtime), "%s", col(st, 2));
		snprintf(w->image, sizeof(w->image), "%s", col(st, 3));
		snprintf(w->where, sizeof(w->where), "gcp:%s:%s", col(st, 4), col(st, 5));
		snprintf(w->identity, sizeof(w->identity), "%s", ev->actor);
		snprintf(w->how, sizeof(w->how), "service account");
	}
	sqlite3_finalize(st);
	if (rows != 1)
		memset(w, 0, sizeof(*w));
	return rows == 1;
}
