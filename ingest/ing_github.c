/*
 * ing_github.c - the GitHub organisation audit log, and the Actions jobs API.
 *
 * Audit log: the streamed JSON lines (audit-log streaming to S3, Splunk,
 * Datadog, Sekoia...) and the REST export (GET /orgs/ORG/audit-log, a JSON
 * array) carry the same object: "action", "created_at" or "@timestamp" in
 * epoch milliseconds, "_document_id", "actor", "org", "repo" and the
 * action's own keys.  Unknown actions are kept generically (GitHub adds
 * them without notice).  A job's runner is not in the audit log: the jobs
 * API (GET /repos/O/R/actions/runs/ID/jobs, {"jobs":[...]}, unwrapped by
 * the splitter) names it, and is read here too, one event per job
 * (action "workflows.job").
 *
 * Secret values never appear in either; a secret's, key's or token's name,
 * fingerprint or id is kept, never the hashed token.
 */
#include <string.h>

#include "private.h"

/* Implements ingester::probe */
static int
github_probe(const char *head, size_t len)
{
	int audit = memmem(head, len, "\"action\"", 8) != NULL;

	if (audit && (memmem(head, len, "\"_document_id\"", 14) || memmem(head, len, "\"@timestamp\"", 12)) &&
	    (memmem(head, len, "\"org\"", 5) || memmem(head, len, "\"actor\"", 7)) &&
	    memmem(head, len, "\"created_at\"", 12))
		return 80;
	if (memmem(head, len, "\"runner_name\"", 13) && memmem(head, len, "\"run_id\"", 8) &&
	    memmem(head, len, "\"workflow_name\"", 15))
		return 75;
	return 0;
}

/* Epoch milliseconds (number or digit string) or an RFC 3339 string. */
static int
github_time(const struct json_doc *d, int t, int64_t *ns)
{
	int64_t ms;

	if (t < 0)
		return CD_E_PARSE;
	if (json_type(d, t) == JSON_STRING && time_parse_rfc3339(json_raw(d, t), ns) == CD_OK)
		return CD_OK;
	if (json_i64(d, t, &ms) != CD_OK || ms <= 0 || ms > INT64_MAX / 1000000)
		return CD_E_PARSE;
	*ns = ms * 1000000;
	return CD_OK;
}

/* "workflows.prepared_workflow_job" -> "workflows" */
static const char *
category(struct ev_arena *a, const char *action)
{
	const char *dot = strchr(action, '.');

	return dot ? ev_strdup(a, action, (size_t)(dot - action)) : action;
}

/* What the action acted on, most specific first. */
static const char *
object_of(struct ev_arena *a, const struct json_doc *d, const char *action)
{
	static const char *const keys[] = { "runner_name", "key", "fingerprint", "deploy_key_fingerprint",
					    "user_programmatic_access_name", "blocked_user", "user", NULL };
	const char *v, *repo = ev_json_path(a, d, 0, "repo");
	int64_t run = ev_json_int(d, 0, "workflow_run_id"), wf = ev_json_int(d, 0, "workflow_id");
	size_t i;

	if (strncmp(action, "workflows.", 10) == 0 && repo != NULL) {
		if (run != EV_NULL)
			return ev_printf(a, "%s/runs/%lld", repo, (long long)run);
		if (wf != EV_NULL)
			return ev_printf(a, "%s/workflows/%lld", repo, (long long)wf);
	}
	for (i = 0; keys[i] != NULL; i++)
		if ((v = ev_json_path(a, d, 0, keys[i])) != NULL && *v)
			return v;
	return repo ? repo : ev_json_path(a, d, 0, "org");
}

/* The audit log's own keys that have no column (names and ids only). */
static const char *const extra_str_keys[] = {
	"org", "repo", "business", "operation_type", "workflow_id", "workflow_run_id", "run_number",
	"run_attempt", "name", "event", "head_branch", "head_sha", "conclusion", "job_name",
	"is_hosted_runner", "runner_owner_type", "environment_name", "job_workflow_ref", "runner_id",
	"runner_name", "runner_group_id", "runner_group_name", "key", "fingerprint", "title",
	"read_only", "deploy_key_fingerprint", "programmatic_access_type", "token_id",
	"user_programmatic_access_name", "repository_selection", "actor_is_bot", "started_at",
	"completed_at", NULL,
};
static const char *const extra_json_keys[] = { "runner_labels", "secrets_passed", "token_scopes",
					       "calling_workflow_refs", NULL };

static void
extra_keys(struct ingest_ctx *ctx, const struct json_doc *d, int obj, const char *const *skeys,
	   const char *const *jkeys)
{
	struct ev_arena *a = ingest_arena(ctx);
	size_t i;
	int t;

	for (i = 0; skeys[i] != NULL; i++) {
		t = json_get(d, obj, skeys[i]);
		if (t >= 0 && !json_is_null(d, t) && json_type(d, t) != JSON_OBJECT &&
		    json_type(d, t) != JSON_ARRAY)
			ingest_extra_str(ctx, skeys[i], ev_json_str(a, d, t));
	}
	for (i = 0; jkeys != NULL && jkeys[i] != NULL; i++) {
		t = json_get(d, obj, jkeys[i]);
		if (json_type(d, t) == JSON_ARRAY)
			ingest_extra_json(ctx, jkeys[i], d, t);
	}
}

static int
audit_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int t = json_get(d, 0, "created_at");

	if (github_time(d, t, &ev->ts_ns) != CD_OK &&
	    github_time(d, json_get(d, 0, "@timestamp"), &ev->ts_ns) != CD_OK) {
		ingest_set_why(ctx, "GitHub audit record without a valid created_at or @timestamp (epoch ms)");
		return CD_E_PARSE;
	}
	ev->action = ev_json_path(a, d, 0, "action");
	if (ev->action == NULL || *ev->action == '\0') {
		ingest_set_why(ctx, "GitHub audit record without an action");
		return CD_E_PARSE;
	}
	ev->kind = category(a, ev->action);
	ev->actor = ev_json_path(a, d, 0, "actor");
	ev->object = object_of(a, d, ev->action);
	ev->host = ev_json_path(a, d, 0, "runner_name");
	ev->src_ip = ev_json_path(a, d, 0, "actor_ip");
	ev->user_agent = ev_json_path(a, d, 0, "user_agent");
	ev->region = ev_json_path(a, d, 0, "actor_location.country_code");
	ev->outcome = "success"; /* the log records what was done */
	ev->ref = ev_json_path(a, d, 0, "_document_id");
	if (ingest_plausible_id(ev->ref))
		ev->dedup = ev->ref;
	ingest_extra_begin(ctx);
	extra_keys(ctx, d, 0, extra_str_keys, extra_json_keys);
	ingest_extra_end(ctx);
	return ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
}

/* "https://api.github.com/repos/O/R/actions/runs/ID..." -> "O/R" */
static const char *
repo_of_url(struct ev_arena *a, const char *url)
{
	const char *r = url ? strstr(url, "/repos/") : NULL, *e;

	if (r == NULL)
		return NULL;
	r += 7;
	e = strstr(r, "/actions/");
	return e && e > r ? ev_strdup(a, r, (size_t)(e - r)) : NULL;
}

/* One job of the jobs API: which runner ran it. */
static int
job_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	static const char *const skeys[] = { "run_id", "run_attempt", "name", "runner_id", "runner_name",
					     "runner_group_id", "runner_group_name", "head_branch",
					     "head_sha", "workflow_name", "status", "conclusion",
					     "started_at", "completed_at", NULL };
	/* steps: each one's name and times (which step took a cloud session when) */
	static const char *const jkeys[] = { "labels", "steps", NULL };
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	const char *repo = repo_of_url(a, ev_json_path(a, d, 0, "run_url"));
	int64_t id = ev_json_int(d, 0, "id"), run = ev_json_int(d, 0, "run_id");

	if (github_time(d, json_get(d, 0, "started_at"), &ev->ts_ns) != CD_OK &&
	    github_time(d, json_get(d, 0, "created_at"), &ev->ts_ns) != CD_OK) {
		ingest_set_why(ctx, "GitHub job without a valid started_at");
		return CD_E_PARSE;
	}
	if (repo == NULL || run == EV_NULL || id == EV_NULL) {
		ingest_set_why(ctx, "GitHub job without id, run_id or run_url");
		return CD_E_PARSE;
	}
	ev->kind = "jobs-api";
	ev->action = "workflows.job";
	ev->host = ev_json_path(a, d, 0, "runner_name");
	ev->object = ev_printf(a, "%s/runs/%lld", repo, (long long)run);
	ev->outcome = "success";
	ev->ref = ev_printf(a, "job-%lld-%lld", (long long)id,
			    (long long)(ev_json_int(d, 0, "run_attempt") == EV_NULL ? 1
					: ev_json_int(d, 0, "run_attempt")));
	ev->dedup = ev->ref;
	ingest_extra_begin(ctx);
	ingest_extra_str(ctx, "repo", repo);
	ingest_extra_str(ctx, "job_id", ev_printf(a, "%lld", (long long)id));
	extra_keys(ctx, d, 0, skeys, jkeys);
	ingest_extra_end(ctx);
	return ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
}

/* Implements ingester::json_record */
static int
github_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	if (json_type(d, 0) != JSON_OBJECT) {
		ingest_set_why(ctx, "GitHub record is not a JSON object");
		return CD_E_PARSE;
	}
	if (json_get(d, 0, "action") < 0 && json_get(d, 0, "runner_name") >= 0 &&
	    json_get(d, 0, "run_id") >= 0)
		return job_record(ctx, d, rec);
	return audit_record(ctx, d, rec);
}

const struct ingester ing_github = {
	.name = "github",
	.summary = "GitHub organisation audit log (streamed JSON lines, REST export array) and the Actions jobs API",
	.flags = ING_JSON,
	.probe = github_probe,
	.json_record = github_record,
};
