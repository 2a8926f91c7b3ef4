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
#include <ctype.h>
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
			       " AND " CI_EXCHANGE_SQL " AND " CI_EXCHANGE_SUBJECT_SQL " = ?3",
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
 * Words that name the step taking a cloud session, in the step names the
 * jobs API reports: the actions' default "Run OWNER/ACTION@REF" and the
 * names their READMEs and workflows give them ("Configure AWS
 * credentials", "Authenticate to Google Cloud", "Assume the deploy role").
 */
static const char *const cred_step_words[] = {
	"configure-aws-credentials", "credential", "assume", "oidc", "google-github-actions/auth",
	"authenticate", "workload identity", NULL,
};
/* Step times are whole seconds: a second of clock skew either side. */
#define STEP_SLACK_NS ((int64_t)1000000000LL)

static int
cred_step(const char *name)
{
	char low[160];
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	for (i = 0; cred_step_words[i] != NULL; i++)
		if (strstr(low, cred_step_words[i]) != NULL)
			return 1;
	return 0;
}

/*
 * Whether job event `job`'s steps (the jobs API) put its credentials step
 * at ts: 1 a credentials step spans ts, -1 it has credentials steps and
 * none spans ts (it took its session at another time), 0 unknown (no
 * steps, no step named for it, no times).
 */
static int
steps_at(sqlite3 *db, int64_t job, int64_t ts)
{
	sqlite3_stmt *st;
	int r = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT json_extract(s.value, '$.name'), json_extract(s.value, '$.started_at'),"
			       " json_extract(s.value, '$.completed_at') FROM events e,"
			       " json_each(json_extract(e.extra, '$.steps')) s"
			       " WHERE e.id = ?1 AND json_valid(e.extra) AND s.type = 'object' LIMIT 200",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, job);
	while (r != 1 && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *a = (const char *)sqlite3_column_text(st, 1), *b = (const char *)sqlite3_column_text(st, 2);
		int64_t from, to;

		/* "Post NAME": the action's clean-up at the job's end, no session */
		if (name == NULL || a == NULL || b == NULL || strncmp(name, "Post ", 5) == 0 || !cred_step(name) ||
		    time_parse_rfc3339(span_of(a), &from) != CD_OK || time_parse_rfc3339(span_of(b), &to) != CD_OK)
			continue;
		/*
		 * completed_at is cut to its second: the step ran until before
		 * the next, so before to + 1 s + the slack by the other clock.
		 * An exchange stamped then or later (CloudTrail's times are cut
		 * too) began after the step had ended: a step completed at :10
		 * makes an exchange at :11, not :12.
		 */
		r = ts >= from - STEP_SLACK_NS && ts < to + STEP_SLACK_NS + 1000000000LL ? 1 : -1;
	}
	sqlite3_finalize(st);
	return r;
}

/* A prepared job that may have made the exchange, and what tells it apart. */
enum cand_addr { C_UNKNOWN, C_TIED, C_ELSEWHERE, C_HOSTED };
struct cand {
	int64_t ev, run, prepared;
	char job[256], ref[200];
	char runner[256], runner_id[32];
	int hosted, api, dropped;
	enum cand_addr addr;
};
#define MAX_CAND 32

/*
 * What the jobs API says of c: its runner, and whether it ran at ts (started
 * before, not completed) with its credentials step then (steps_at).  A job
 * it shows outside ts, or taking its session at another time, is dropped.
 */
static void
cand_api(sqlite3 *db, const char *repo, struct cand *c, int64_t ts)
{
	sqlite3_stmt *st;
	char obj[300];

	snprintf(obj, sizeof(obj), "%s/runs/%lld", repo, (long long)c->run);
	if (sqlite3_prepare_v2(db,
			       "SELECT host, json_extract(extra, '$.runner_id'), json_extract(extra, '$.completed_at'),"
			       " ts_ns, id FROM events WHERE ts_ns BETWEEN ?3 - 600000000000 AND ?4"
			       " AND source = 'github' AND action = 'workflows.job' AND object = ?1"
			       " AND json_valid(extra) AND json_extract(extra, '$.name') = ?2 ORDER BY ts_ns DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, obj, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->job, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c->prepared);
	sqlite3_bind_int64(st, 4, ts + JOB_WINDOW_NS);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *done = (const char *)sqlite3_column_text(st, 2);
		int64_t end = 0;

		c->api = 1;
		cj_copy(c->runner, sizeof(c->runner), (const char *)sqlite3_column_text(st, 0));
		cj_copy(c->runner_id, sizeof(c->runner_id), (const char *)sqlite3_column_text(st, 1));
		if (sqlite3_column_int64(st, 3) > ts ||
		    (done != NULL && time_parse_rfc3339(span_of(done), &end) == CD_OK && end < ts) ||
		    steps_at(db, sqlite3_column_int64(st, 4), ts) < 0)
			c->dropped = 1;
	}
	sqlite3_finalize(st);
}

/*
 * Where each candidate's runner calls from, against the exchange's address
 * ip: tied to it, tied to another exchange of the subject's address
 * (elsewhere), a GitHub-hosted runner (a fresh VM: no history), unknown.
 */
static void
cand_addresses(sqlite3 *db, const char *sub, const char *ip, int64_t from, int64_t ts, struct cand *c,
	       size_t n)
{
	sqlite3_stmt *st;
	char other[8][64];
	size_t i, j, no = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT src_ip FROM events WHERE ts_ns BETWEEN ?1 AND ?2"
			       " AND " CI_EXCHANGE_SQL " AND src_ip IS NOT NULL AND src_ip != ?4"
			       " AND " CI_EXCHANGE_SUBJECT_SQL " = ?3 LIMIT 8",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, ts + (int64_t)3600 * 1000000000LL);
		sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, ip, -1, SQLITE_STATIC);
		while (no < 8 && sqlite3_step(st) == SQLITE_ROW)
			cj_copy(other[no++], sizeof(other[0]), (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	for (i = 0; i < n; i++) {
		if (c[i].dropped)
			continue;
		if (c[i].hosted) {
			c[i].addr = C_HOSTED;
			continue;
		}
		if (!c[i].api || !c[i].runner[0])
			continue;
		if (ci_runner_at(db, c[i].runner, ip, from)) {
			c[i].addr = C_TIED;
			continue;
		}
		for (j = 0; j < no && c[i].addr == C_UNKNOWN; j++)
			if (ci_runner_at(db, c[i].runner, other[j], from))
				c[i].addr = C_ELSEWHERE;
	}
}

/*
 * The one candidate the address leaves, else -1 (ambiguous).  A runner
 * tied to the exchange's address takes it when every other candidate is
 * ruled out: its runner calls from another exchange's address, or it is
 * GitHub-hosted (a fresh VM does not share a self-hosted runner's egress).
 * With no runner tied, the one candidate not ruled out takes it.
 */
static int
cand_pick(const struct cand *c, size_t n)
{
	size_t i;
	int tied = -1, open = -1, ntied = 0, nopen = 0, nunknown = 0;

	for (i = 0; i < n; i++) {
		if (c[i].dropped)
			continue;
		if (c[i].addr == C_TIED) {
			tied = (int)i;
			ntied++;
		} else if (c[i].addr == C_UNKNOWN || c[i].addr == C_HOSTED) {
			open = (int)i;
			nopen++;
			nunknown += c[i].addr == C_UNKNOWN;
		}
	}
	if (ntied == 1 && nunknown == 0)
		return tied;
	if (ntied == 0 && nopen == 1)
		return open;
	return -1;
}

/*
 * The job that took the token exchanged at ts from ip.  Its candidates:
 * the jobs prepared for the subject's environment or ref in the latest run
 * that has one before ts (a matrix: one subject for all), and jobs of
 * earlier runs still waiting for a token (no exchange of the subject since
 * they were prepared, before that run began: overlapping runs); the jobs
 * API drops the ones it shows not running at ts.  Several left are told
 * apart by the address (cand_addresses); when it cannot decide, the join
 * is recorded as ambiguous (ci_candidates), never guessed by order.
 */
static void
find_job(sqlite3 *db, struct workload *w, const char *rest, int64_t ts, const char *ip, char *hosted,
	 size_t hcap)
{
	sqlite3_stmt *st;
	struct cand *c;
	int64_t run = 0, from = 0;
	size_t n = 0, i, kept, live = 0, len = 0;
	int pick;

	c = xcalloc(MAX_CAND, sizeof(*c));
	if (sqlite3_prepare_v2(db,
			       "SELECT id, json_extract(extra, '$.workflow_run_id'), json_extract(extra, '$.job_name'),"
			       " json_extract(extra, '$.job_workflow_ref'), json_extract(extra, '$.is_hosted_runner'),"
			       " ts_ns FROM events WHERE ts_ns BETWEEN ?2 - ?5 AND ?2" JOB_MATCH
			       " ORDER BY ts_ns DESC, id DESC LIMIT 32",
			       -1, &st, NULL) != SQLITE_OK) {
		free(c);
		return;
	}
	bind_match(st, w, rest);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_int64(st, 5, JOB_WINDOW_NS);
	while (n < MAX_CAND && sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 4);

		c[n].ev = sqlite3_column_int64(st, 0);
		c[n].run = sqlite3_column_int64(st, 1);
		c[n].prepared = sqlite3_column_int64(st, 5);
		cj_copy(c[n].job, sizeof(c[n].job), (const char *)sqlite3_column_text(st, 2));
		cj_copy(c[n].ref, sizeof(c[n].ref), (const char *)sqlite3_column_text(st, 3));
		c[n].hosted = h != NULL && strcmp(h, "true") == 0; /* extra keeps it as text */
		if (run == 0)
			run = c[n].run;
		n++;
	}
	sqlite3_finalize(st);
	/*
	 * An earlier run's job still waits for its token unless, after it was
	 * prepared and before another run's next job was, as many exchanges of
	 * the subject came as its run had jobs prepared then: those exchanges
	 * can only have been theirs.
	 */
	for (i = 0, kept = 0; i < n; i++) {
		if (c[i].run != run) {
			size_t j, own = 0;
			int64_t next = ts;

			for (j = 0; j < n; j++)
				if (c[j].run != c[i].run && c[j].prepared > c[i].prepared && c[j].prepared < next)
					next = c[j].prepared;
			for (j = 0; j < n; j++)
				own += c[j].run == c[i].run && c[j].prepared >= c[i].prepared && c[j].prepared < next;
			if ((size_t)exchanges_before(db, w->ci_subject, c[i].prepared, next) >= own)
				continue;
		}
		if (kept != i)
			c[kept] = c[i];
		kept++;
	}
	n = kept;
	for (i = 0; i < n; i++) {
		if (n > 1)
			cand_api(db, w->ci_repo, &c[i], ts);
		live += !c[i].dropped;
		if (from == 0 || c[i].prepared < from)
			from = c[i].prepared;
	}
	if (live == 0) /* the jobs API's times disagree with all: keep them */
		for (i = 0; i < n; i++)
			c[i].dropped = 0;
	pick = -1;
	if (n == 1)
		pick = 0;
	else if (n > 1) {
		cand_addresses(db, w->ci_subject, ip, from, ts, c, n);
		pick = cand_pick(c, n);
	}
	if (pick >= 0) {
		w->ci_job_event = c[pick].ev;
		w->ci_run = c[pick].run;
		cj_copy(w->name, sizeof(w->name), c[pick].job);
		workflow_file(c[pick].ref, w->ci_workflow, sizeof(w->ci_workflow));
		cj_copy(hosted, hcap, c[pick].hosted ? "true" : "false");
	} else if (n > 0) {
		/*
		 * ambiguous: the run if they share one, the workflow if they do,
		 * compared among the candidates left (a dropped one, say of an
		 * earlier run, must not decide that they do not share a run)
		 */
		size_t f;

		for (f = 0; f < n && (c[f].dropped || c[f].addr == C_ELSEWHERE); f++)
			;
		if (f == n)
			f = 0;
		w->ci_job_event = c[f].ev;
		w->ci_run = c[f].run;
		workflow_file(c[f].ref, w->ci_workflow, sizeof(w->ci_workflow));
		cj_copy(hosted, hcap, c[f].hosted ? "true" : "false");
		for (i = 0; i < n; i++) {
			char wf[200];
			int k;

			if (c[i].dropped || c[i].addr == C_ELSEWHERE)
				continue;
			if (c[i].run != w->ci_run)
				w->ci_run = 0;
			workflow_file(c[i].ref, wf, sizeof(wf));
			if (strcmp(wf, w->ci_workflow) != 0)
				w->ci_workflow[0] = '\0';
			if (c[i].hosted != c[f].hosted)
				hosted[0] = '\0';
			k = snprintf(w->ci_candidates + len, sizeof(w->ci_candidates) - len, "%s%lld/%s",
				     len ? "\n" : "", (long long)c[i].run, c[i].job);
			if (k < 0 || (size_t)k >= sizeof(w->ci_candidates) - len)
				break; /* the list is cut; the join stays ambiguous */
			len += (size_t)k;
		}
	}
	free(c);
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
ci_job_of_exchange(sqlite3 *db, const char *sub, int64_t ts, const char *addr, const char *identity,
		   struct workload *w)
{
	const char *colon;
	char hosted[16] = "";

	if (sub == NULL || strncmp(sub, "repo:", 5) != 0 || (colon = strchr(sub + 5, ':')) == NULL ||
	    strlen(sub) >= sizeof(w->ci_subject))
		return 0; /* a subject longer than the workload keeps is no job's (repository
			   * names are short): its offsets below would leave the copy */
	memset(w, 0, sizeof(*w));
	cj_copy(w->ci_subject, sizeof(w->ci_subject), sub);
	snprintf(w->ci_repo, sizeof(w->ci_repo), "%.*s", (int)(colon - sub - 5), sub + 5);
	cj_copy(w->identity, sizeof(w->identity), identity);
	cj_copy(w->kind, sizeof(w->kind), "ci-job");
	cj_copy(w->how, sizeof(w->how), "oidc session");
	find_job(db, w, w->ci_subject + (colon - sub) + 1, ts, addr ? addr : "", hosted, sizeof(hosted));
	if (w->ci_candidates[0] && w->ci_run > 0) {
		/* jobs of one run the address could not tell apart: the run */
		snprintf(w->id, sizeof(w->id), "%s/runs/%lld", w->ci_repo, (long long)w->ci_run);
	} else if (w->ci_candidates[0]) {
		snprintf(w->id, sizeof(w->id), "%s@%lld", w->ci_subject, (long long)(ts / 1000000000LL));
	} else if (w->ci_job_event != 0) {
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
			 addr ? addr : "");
	return 1;
}

int
ci_job_of_session(sqlite3 *db, const char *cred_id, struct workload *w)
{
	sqlite3_stmt *st;
	int r = 0;

	if (cred_id == NULL || strncmp(cred_id, "ASIA", 4) != 0 || strlen(cred_id) > 100)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT ts_ns, src_ip, json_extract(extra, '$.web_identity_subject'), object"
			       " FROM events WHERE issued_cred = ?1 AND action = 'sts:AssumeRoleWithWebIdentity'"
			       " AND json_valid(extra) ORDER BY ts_ns LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, cred_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		r = ci_job_of_exchange(db, (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 0),
				       (const char *)sqlite3_column_text(st, 1),
				       (const char *)sqlite3_column_text(st, 3), w);
	sqlite3_finalize(st);
	return r;
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
			       " AND " CI_EXCHANGE_SQL " AND " CI_EXCHANGE_SUBJECT_SQL " LIKE 'repo:%' LIMIT 1",
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
