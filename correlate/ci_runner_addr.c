/*
 * ci_runner_addr.c - which address a self-hosted CI runner calls the cloud
 * from, learned from the case: it tells apart jobs that share one OIDC
 * subject (CloudTrail has no run id, only the exchange's source address).
 *
 * A runner is tied to an address when
 *  - a GitHub audit-log event of the runner (runner_name) carries that
 *    address as actor_ip (runner events, with IP disclosure on), or
 *  - an earlier token exchange (AWS AssumeRoleWithWebIdentity or GCP
 *    ExchangeToken) from that address came while the jobs API
 *    shows exactly one job of the exchange's repository live, on that
 *    runner (with two live the exchange could be either's: not counted).
 * Queries go by address (events_src) and by short time ranges around a
 * few earlier exchanges: this runs only for exchanges with several
 * candidate jobs.
 */
#include <string.h>

#include "engine.h"

#define JOB_WINDOW_NS ((int64_t)6 * 3600 * 1000000000LL) /* GitHub-hosted jobs' limit */

/* The one runner the jobs API shows running a job of repo at tx; 0 when none or several. */
static int
lone_runner_at(sqlite3 *db, const char *repo, int64_t tx, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int n = 0;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db,
			       "SELECT host, json_extract(extra, '$.completed_at') FROM events"
			       " WHERE ts_ns BETWEEN ?2 - ?3 AND ?2 AND source = 'github' AND action = 'workflows.job'"
			       " AND host IS NOT NULL AND substr(object, 1, length(?1) + 6) = ?1 || '/runs/'"
			       " AND json_valid(extra)",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, tx);
	sqlite3_bind_int64(st, 3, JOB_WINDOW_NS);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0), *done;
		int64_t end = 0;

		done = (const char *)sqlite3_column_text(st, 1);
		if (h == NULL)
			continue;
		if (done != NULL && time_parse_rfc3339((struct span){ done, strlen(done) }, &end) == CD_OK &&
		    end < tx)
			continue; /* over before the exchange */
		if (n > 0 && strcmp(out, h) == 0)
			continue; /* the same runner's next job */
		snprintf(out, cap, "%s", h);
		if (++n > 1)
			break;
	}
	sqlite3_finalize(st);
	return n == 1;
}

int
ci_runner_at(sqlite3 *db, const char *runner, const char *ip, int64_t before)
{
	sqlite3_stmt *st;
	char h[256], repo[200];
	int tied = 0;

	if (runner == NULL || *runner == '\0' || ip == NULL || *ip == '\0')
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM events WHERE src_ip = ?1 AND ts_ns < ?2 AND source = 'github'"
			       " AND host = ?3 LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_text(st, 3, runner, -1, SQLITE_STATIC);
	tied = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (tied)
		return 1;
	if (sqlite3_prepare_v2(db,
			       "SELECT ts_ns, " CI_EXCHANGE_SUBJECT_SQL " FROM events"
			       " WHERE src_ip = ?1 AND ts_ns < ?2 AND " CI_EXCHANGE_SQL
			       " ORDER BY ts_ns DESC LIMIT 8", /* the latest few are enough */
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before);
	while (!tied && sqlite3_step(st) == SQLITE_ROW) {
		const char *sub = (const char *)sqlite3_column_text(st, 1), *colon;

		/* "repo:O/R:..." -> O/R */
		if (sub == NULL || strncmp(sub, "repo:", 5) != 0 || (colon = strchr(sub + 5, ':')) == NULL ||
		    (size_t)(colon - sub - 5) >= sizeof(repo))
			continue;
		snprintf(repo, sizeof(repo), "%.*s", (int)(colon - sub - 5), sub + 5);
		tied = lone_runner_at(db, repo, sqlite3_column_int64(st, 0), h, sizeof(h)) && strcmp(h, runner) == 0;
	}
	sqlite3_finalize(st);
	return tied;
}
