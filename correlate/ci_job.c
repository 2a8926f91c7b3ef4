/*
 * ci_job.c - CI jobs as workloads: a GitHub Actions job and the cloud
 * session it obtained through OIDC federation.
 *
 * CloudTrail's AssumeRoleWithWebIdentity names the token's subject
 * ("repo:ORG/REPO:environment:ENV", "repo:ORG/REPO:ref:REF", ...) but no
 * run id, so the job is found by a join: the latest
 * workflows.prepared_workflow_job of that repository (and environment, or
 * workflow ref) in the audit log at most JOB_WINDOW before the exchange;
 * its runner from the jobs API (workflows.job events).  Without the audit
 * log the job is still a workload, named by its subject and exchange time.
 * Every query is bounded by time (the events_ts index), by the issued key
 * (events_issued) or by a runner's graph node: this runs for the events of
 * findings, never for every event.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "incident.h"

#define JOB_WINDOW_NS ((int64_t)6 * 3600 * 1000000000LL) /* GitHub-hosted jobs' limit */

static void
cj_copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static struct span
span_of(const char *s)
{
	struct span sp = { s, strlen(s) };

	return sp;
}

static int
cj_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ci_sessions_load(sqlite3 *db, char ***set, size_t *n)
{
	sqlite3_stmt *st;

	*set = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT substr(c.key, 5) FROM graph_nodes s"
			       " JOIN graph_edges x ON x.src = s.id AND x.type = 'exposes'"
			       " JOIN graph_nodes c ON c.id = x.dst AND c.kind = 'credential'"
			       " WHERE s.kind = 'secret' AND s.key LIKE 'oidc:github:%' AND c.key LIKE 'aws:%'",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		if (k == NULL)
			continue;
		if (*n % 64 == 0)
			*set = xrealloc(*set, (*n + 64) * sizeof(**set));
		(*set)[(*n)++] = xstrdup(k);
	}
	sqlite3_finalize(st);
	if (*n > 1)
		qsort(*set, *n, sizeof(**set), cj_cmp);
	return CD_OK;
}

/* "acme/deploy-infra/.github/workflows/deploy.yml@refs/heads/main" -> "deploy.yml" */
static void
workflow_file(const char *ref, char *out, size_t cap)
{
	const char *at = ref ? strchr(ref, '@') : NULL, *slash;

	out[0] = '\0';
	if (at == NULL)
		return;
	for (slash = at; slash > ref && slash[-1] != '/'; slash--)
		;
	snprintf(out, cap, "%.*s", (int)(at - slash), slash);
}

/* The subject's filter on prepared jobs: its environment, else its ref. */
#define JOB_MATCH \
	" AND source = 'github' AND action = 'workflows.prepared_workflow_job' AND json_valid(extra)" \
	" AND json_extract(extra, '$.repo') = ?1" \
	" AND (?3 IS NULL AND coalesce(json_extract(extra, '$.environment_name'), '') = ''" \
	"      OR json_extract(extra, '$.environment_name') = ?3)" \
	" AND (?4 IS NULL OR '@' || ?4 = substr(json_extract(extra, '$.job_workflow_ref'), -length(?4) - 1))"

static void
bind_match(sqlite3_stmt *st, const struct workload *w, const char *rest)
{
	sqlite3_bind_text(st, 1, w->ci_repo, -1, SQLITE_STATIC);
	if (strncmp(rest, "environment:", 12) == 0)
		sqlite3_bind_text(st, 3, rest + 12, -1, SQLITE_STATIC);
	if (strncmp(rest, "ref:", 4) == 0)
		sqlite3_bind_text(st, 4, rest + 4, -1, SQLITE_STATIC);
}

/* How many exchanges of the subject came in [from, ts): earlier jobs' tokens. */
static int
exchanges_before(sqlite3 *db, const char *sub, int64_t from, int64_t ts)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM events WHERE ts_ns >= ?1 AND ts_ns < ?2"
			       " AND action = 'sts:AssumeRoleWithWebIdentity' AND json_valid(extra)"
			       " AND json_extract(extra, '$.web_identity_subject') = ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * The job that took the token exchanged at ts: the latest run of repo with
 * a job prepared before ts for the subject's environment or ref.  A run
 * with several such jobs (a matrix: one subject for all) is told apart by
 * order only: the k-th exchange of the subject since the run's first job
 * is taken as its k-th job's.  CloudTrail has nothing finer; jobs that
 * start together can be swapped.
 */
static void
find_job(sqlite3 *db, struct workload *w, const char *rest, int64_t ts, char *hosted, size_t hcap)
{
	sqlite3_stmt *st;
	int64_t run = 0, first = 0;
	char runs[32] = ""; /* as extra holds it: text */
	int k = 0, i = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT json_extract(extra, '$.workflow_run_id') FROM events"
			       " WHERE ts_ns BETWEEN ?2 - ?5 AND ?2" JOB_MATCH " ORDER BY ts_ns DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	bind_match(st, w, rest);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_int64(st, 5, JOB_WINDOW_NS);
	if (sqlite3_step(st) == SQLITE_ROW) {
		run = sqlite3_column_int64(st, 0);
		cj_copy(runs, sizeof(runs), (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (run == 0)
		return;
	if (sqlite3_prepare_v2(db,
			       "SELECT id, json_extract(extra, '$.job_name'), json_extract(extra, '$.job_workflow_ref'),"
			       " json_extract(extra, '$.is_hosted_runner'), ts_ns FROM events"
			       " WHERE ts_ns BETWEEN ?2 - ?5 AND ?2" JOB_MATCH
			       " AND json_extract(extra, '$.workflow_run_id') = ?6 ORDER BY ts_ns, id",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	bind_match(st, w, rest);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_int64(st, 5, JOB_WINDOW_NS);
	sqlite3_bind_text(st, 6, runs, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (i == 0) {
			first = sqlite3_column_int64(st, 4);
		} else if (i == 1) {
			/* a matrix: which of its jobs is this exchange's */
			k = exchanges_before(db, w->ci_subject, first, ts);
		}
		if (i == 0 || i <= k) {
			w->ci_job_event = sqlite3_column_int64(st, 0);
			w->ci_run = run;
			cj_copy(w->name, sizeof(w->name), (const char *)sqlite3_column_text(st, 1));
			workflow_file((const char *)sqlite3_column_text(st, 2), w->ci_workflow,
				      sizeof(w->ci_workflow));
			cj_copy(hosted, hcap, (const char *)sqlite3_column_text(st, 3));
		}
		if (++i > 64)
			break;
	}
	sqlite3_finalize(st);
}

/* The runner the jobs API says ran the job (started between prepare and ts). */
static void
find_runner(sqlite3 *db, struct workload *w, int64_t ts)
{
	sqlite3_stmt *st;
	char obj[300];

	snprintf(obj, sizeof(obj), "%s/runs/%lld", w->ci_repo, (long long)w->ci_run);
	if (sqlite3_prepare_v2(db,
			       "SELECT host, json_extract(extra, '$.runner_id') FROM events"
			       " WHERE ts_ns BETWEEN ?3 - ?4 AND ?3 AND source = 'github' AND action = 'workflows.job'"
			       " AND object = ?1 AND json_valid(extra) AND json_extract(extra, '$.name') = ?2"
			       " AND host IS NOT NULL ORDER BY ts_ns DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, obj, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ts);
	sqlite3_bind_int64(st, 4, JOB_WINDOW_NS);
	if (sqlite3_step(st) == SQLITE_ROW) {
		cj_copy(w->where, sizeof(w->where), (const char *)sqlite3_column_text(st, 0));
		cj_copy(w->ci_runner_id, sizeof(w->ci_runner_id), (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
}

int
ci_job_of_session(sqlite3 *db, const char *cred_id, struct workload *w)
{
	sqlite3_stmt *st;
	const char *sub, *colon;
	char addr[64] = "", hosted[16] = "";
	int64_t ts;

	if (cred_id == NULL || strncmp(cred_id, "ASIA", 4) != 0 || strlen(cred_id) > 100)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT ts_ns, src_ip, json_extract(extra, '$.web_identity_subject'), object"
			       " FROM events WHERE issued_cred = ?1 AND action = 'sts:AssumeRoleWithWebIdentity'"
			       " AND json_valid(extra) ORDER BY ts_ns LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, cred_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (sub = (const char *)sqlite3_column_text(st, 2)) == NULL || strncmp(sub, "repo:", 5) != 0 ||
	    (colon = strchr(sub + 5, ':')) == NULL || strlen(sub) >= sizeof(w->ci_subject)) {
		/* a subject longer than the workload keeps is no job's (repository
		 * names are short): its offsets below would leave the copy */
		sqlite3_finalize(st);
		return 0;
	}
	memset(w, 0, sizeof(*w));
	ts = sqlite3_column_int64(st, 0);
	cj_copy(addr, sizeof(addr), (const char *)sqlite3_column_text(st, 1));
	cj_copy(w->ci_subject, sizeof(w->ci_subject), sub);
	snprintf(w->ci_repo, sizeof(w->ci_repo), "%.*s", (int)(colon - sub - 5), sub + 5);
	cj_copy(w->identity, sizeof(w->identity), (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	cj_copy(w->kind, sizeof(w->kind), "ci-job");
	cj_copy(w->how, sizeof(w->how), "oidc session");
	find_job(db, w, w->ci_subject + (colon - sub) + 1, ts, hosted, sizeof(hosted));
	if (w->ci_job_event != 0) {
		snprintf(w->id, sizeof(w->id), "%s/runs/%lld/%s", w->ci_repo, (long long)w->ci_run, w->name);
		find_runner(db, w, ts);
		if (strcmp(hosted, "true") == 0) /* GitHub's own runner: nothing to remove */
			w->ci_runner_id[0] = '\0';
	} else {
		/* no audit log of the job: its subject and when it took the token */
		snprintf(w->id, sizeof(w->id), "%s@%lld", w->ci_subject, (long long)(ts / 1000000000LL));
	}
	/* where it ran: the runner, else what the exchange says of it */
	if (!w->where[0])
		snprintf(w->where, sizeof(w->where), "%s%s", strcmp(hosted, "true") == 0 ? "github-hosted " : "",
			 addr);
	return 1;
}

void
ci_job_secrets(sqlite3 *db, const struct workload *w, void (*fn)(void *arg, const char *name), void *arg)
{
	sqlite3_stmt *st;

	if (w->ci_job_event == 0 ||
	    sqlite3_prepare_v2(db,
			       "SELECT j.value FROM events e, json_each(json_extract(e.extra, '$.secrets_passed')) j"
			       " WHERE e.id = ?1 AND json_valid(e.extra) AND j.type = 'text'",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, w->ci_job_event);
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

int
ci_runner_address(sqlite3 *db, const struct strv *members, const char *ip, int64_t before)
{
	sqlite3_stmt *st;
	size_t i;
	int own = 0;

	for (i = 0; i < members->n && strncmp(members->s[i], "ci:", 3) != 0; i++)
		;
	if (i == members->n || ip == NULL)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM events WHERE src_ip = ?1 AND ts_ns <= ?2"
			       " AND action = 'sts:AssumeRoleWithWebIdentity' AND json_valid(extra)"
			       " AND json_extract(extra, '$.web_identity_subject') LIKE 'repo:%' LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before);
	own = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return own;
}

/*
 * The job the jobs API says ran on runner `host` at ts (started before it,
 * not completed by then): a self-hosted runner runs one job at a time, so
 * what happens on its host then is that job's doing.  Its subject (for the
 * plan) and role come from the job's prepared record and its exchange.
 */
int
ci_job_on_runner(sqlite3 *db, const char *host, int64_t ts, struct workload *w)
{
	sqlite3_stmt *st;
	const char *obj, *runs, *done;
	char env[128] = "", ref[200] = "", *at;
	int64_t end = 0, started = 0;
	int found = 0;

	/* only a runner's host: the time-range scan below is not for every host */
	if (host == NULL || *host == '\0' ||
	    !sql_exists_text(db, "SELECT 1 FROM graph_nodes WHERE kind = 'ci-runner' AND key = ?1", host, 0))
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT object, json_extract(extra, '$.name'), json_extract(extra, '$.runner_id'),"
			       " json_extract(extra, '$.completed_at'), ts_ns FROM events"
			       " WHERE ts_ns BETWEEN ?2 - ?3 AND ?2 AND host = ?1 AND source = 'github'"
			       " AND action = 'workflows.job' AND json_valid(extra) ORDER BY ts_ns DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_int64(st, 3, JOB_WINDOW_NS);
	if (sqlite3_step(st) == SQLITE_ROW && (obj = (const char *)sqlite3_column_text(st, 0)) != NULL &&
	    (runs = strstr(obj, "/runs/")) != NULL) {
		done = (const char *)sqlite3_column_text(st, 3);
		if (done == NULL || time_parse_rfc3339(span_of(done), &end) != CD_OK || end >= ts) {
			memset(w, 0, sizeof(*w));
			snprintf(w->ci_repo, sizeof(w->ci_repo), "%.*s", (int)(runs - obj), obj);
			(void)span_to_i64(span_of(runs + 6), &w->ci_run);
			cj_copy(w->name, sizeof(w->name), (const char *)sqlite3_column_text(st, 1));
			cj_copy(w->ci_runner_id, sizeof(w->ci_runner_id), (const char *)sqlite3_column_text(st, 2));
			started = sqlite3_column_int64(st, 4);
			found = w->ci_run > 0;
		}
	}
	sqlite3_finalize(st);
	if (!found)
		return 0;
	cj_copy(w->kind, sizeof(w->kind), "ci-job");
	cj_copy(w->how, sizeof(w->how), "runner job");
	snprintf(w->id, sizeof(w->id), "%s/runs/%lld/%s", w->ci_repo, (long long)w->ci_run, w->name);
	cj_copy(w->where, sizeof(w->where), host);
	/* its prepared record: workflow, environment or ref -> the OIDC subject */
	if (sqlite3_prepare_v2(db,
			       "SELECT id, json_extract(extra, '$.job_workflow_ref'),"
			       " coalesce(json_extract(extra, '$.environment_name'), '') FROM events"
			       " WHERE ts_ns BETWEEN ?1 - ?2 AND ?1 AND source = 'github'"
			       " AND action = 'workflows.prepared_workflow_job' AND json_valid(extra)"
			       " AND json_extract(extra, '$.repo') = ?3 AND json_extract(extra, '$.job_name') = ?4"
			       " AND json_extract(extra, '$.workflow_run_id') = ?5 LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		char rs[32];

		snprintf(rs, sizeof(rs), "%lld", (long long)w->ci_run);
		sqlite3_bind_int64(st, 1, started);
		sqlite3_bind_int64(st, 2, JOB_WINDOW_NS);
		sqlite3_bind_text(st, 3, w->ci_repo, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, w->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, rs, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			w->ci_job_event = sqlite3_column_int64(st, 0);
			cj_copy(ref, sizeof(ref), (const char *)sqlite3_column_text(st, 1));
			cj_copy(env, sizeof(env), (const char *)sqlite3_column_text(st, 2));
			workflow_file(ref, w->ci_workflow, sizeof(w->ci_workflow));
		}
		sqlite3_finalize(st);
	}
	if (env[0])
		snprintf(w->ci_subject, sizeof(w->ci_subject), "repo:%s:environment:%s", w->ci_repo, env);
	else if ((at = strchr(ref, '@')) != NULL)
		snprintf(w->ci_subject, sizeof(w->ci_subject), "repo:%s:ref:%s", w->ci_repo, at + 1);
	/* the role its token was exchanged for, from this runner's address or any */
	if (w->ci_subject[0] &&
	    sqlite3_prepare_v2(db,
			       "SELECT object FROM events WHERE ts_ns BETWEEN ?1 AND ?2"
			       " AND action = 'sts:AssumeRoleWithWebIdentity' AND json_valid(extra)"
			       " AND json_extract(extra, '$.web_identity_subject') = ?3 ORDER BY ts_ns LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, started - (int64_t)60 * 1000000000LL);
		sqlite3_bind_int64(st, 2, end > 0 ? end : ts + JOB_WINDOW_NS);
		sqlite3_bind_text(st, 3, w->ci_subject, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			cj_copy(w->identity, sizeof(w->identity), (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	return 1;
}
