/*
 * test_github.c - the GitHub audit-log ingester through the real driver:
 * probing, the stream and the REST export, the jobs API, names never
 * values, and bad records rejected with a reason.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "../../correlate/engine.h"
#include "../../ingest/private.h"
#include "unit.h"

static struct store *
gh_store(void)
{
	struct store *s = NULL;
	char *cause = NULL;

	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		return NULL;
	}
	return s;
}

static void
gh_q(struct store *s, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static const char job_line[] =
	"{\"@timestamp\":1748944210000,\"_document_id\":\"d2\",\"action\":\"workflows.prepared_workflow_job\","
	"\"created_at\":1748944210000,\"org\":\"acme\",\"repo\":\"acme/deploy-infra\","
	"\"workflow_run_id\":9876543210,\"job_name\":\"deploy\",\"runner_labels\":[\"self-hosted\"],"
	"\"environment_name\":\"production\",\"secrets_passed\":[\"DEPLOY_KEY\"],"
	"\"hashed_token\":\"c2VjcmV0LWhhc2g=\"}\n";

/* The stream and the export are probed as github; nobody else claims them. */
static void
test_github_probe(void)
{
	static const char export_head[] = "[\n  {\n    \"@timestamp\": 1748940000000,\n    \"_document_id\": "
					  "\"r1\",\n    \"action\": \"org.register_self_hosted_runner\",\n"
					  "    \"actor\": \"ops\",\n    \"created_at\": 1748940000000,\n";
	static const char jobs[] = "{\"total_count\":1,\"jobs\":[{\"id\":1,\"run_id\":2,\"run_url\":"
				   "\"https://api.github.com/repos/o/r/actions/runs/2\",\"runner_name\":"
				   "\"r\",\"workflow_name\":\"w\",\"started_at\":\"2025-06-03T09:50:10Z\"}]}";

	CHECK_STR(ingest_probe(job_line, sizeof(job_line) - 1), "github");
	CHECK_STR(ingest_probe(export_head, sizeof(export_head) - 1), "github");
	CHECK_STR(ingest_probe(jobs, sizeof(jobs) - 1), "github");
	/* a CloudTrail record is not GitHub's */
	CHECK(ingester_find("github")->probe("{\"eventSource\":\"s\",\"eventName\":\"n\"}", 35) == 0);
}

/* A job's keys land in extra; the hashed token is never stored. */
static void
test_github_stream(void)
{
	struct store *s = gh_store();
	char out[512];

	if (s == NULL)
		return;
	CHECK(ingest_buffer(s, "github", job_line, sizeof(job_line) - 1) == 1);
	gh_q(s, "SELECT action || ' ' || object || ' ' || ts_ns FROM events", out, sizeof(out));
	CHECK_STR(out, "workflows.prepared_workflow_job acme/deploy-infra/runs/9876543210 1748944210000000000");
	gh_q(s, "SELECT json_extract(extra, '$.environment_name') || ' ' || json_extract(extra, '$.job_name')"
		" || ' ' || json_extract(extra, '$.secrets_passed[0]') FROM events", out, sizeof(out));
	CHECK_STR(out, "production deploy DEPLOY_KEY");
	gh_q(s, "SELECT count(*) FROM events WHERE instr(extra, 'c2VjcmV0') > 0", out, sizeof(out));
	CHECK_STR(out, "0");
	store_close(&s);
}

/* The REST export (an array) and the jobs API wrapper, one event per element. */
static void
test_github_export_jobs(void)
{
	static const char exp[] = "[{\"created_at\":1748940000000,\"_document_id\":\"r1\",\"action\":"
				  "\"org.register_self_hosted_runner\",\"runner_name\":\"build-07\",\"actor_ip\":"
				  "\"10.0.5.7\"},{\"created_at\":1748960000000,\"_document_id\":\"r2\",\"action\":"
				  "\"org.remove_self_hosted_runner\",\"runner_name\":\"build-07\"}]";
	static const char jobs[] = "{\"total_count\":1,\"jobs\":[{\"id\":7,\"run_id\":2,\"run_url\":"
				   "\"https://api.github.com/repos/o/r/actions/runs/2\",\"runner_name\":"
				   "\"build-07\",\"workflow_name\":\"w\",\"name\":\"deploy\","
				   "\"started_at\":\"2025-06-03T09:50:10Z\"}]}";
	struct store *s = gh_store();
	char out[512];

	if (s == NULL)
		return;
	CHECK(ingest_buffer(s, "github", exp, sizeof(exp) - 1) == 2);
	gh_q(s, "SELECT group_concat(host || ' ' || src_ip, ',') FROM events WHERE src_ip IS NOT NULL", out,
	     sizeof(out));
	CHECK_STR(out, "build-07 10.0.5.7");
	CHECK(ingest_buffer(s, "github", jobs, sizeof(jobs) - 1) == 1);
	gh_q(s, "SELECT action || ' ' || host || ' ' || object || ' ' || json_extract(extra, '$.name')"
		" FROM events WHERE kind = 'jobs-api'", out, sizeof(out));
	CHECK_STR(out, "workflows.job build-07 o/r/runs/2 deploy");
	store_close(&s);
}

/* No time, no action, not an object, a job without its run: rejected with why. */
static void
test_github_bad(void)
{
	static const char bad[] =
		"{\"action\":\"org.block_user\",\"_document_id\":\"x\"}\n"
		"{\"created_at\":1748940000000,\"_document_id\":\"y\"}\n"
		"{\"created_at\":\"yesterday\",\"action\":\"a.b\"}\n"
		"[1,2]\n"
		"{\"runner_name\":\"r\",\"run_id\":1,\"started_at\":\"2025-06-03T09:50:10Z\"}\n"
		"{\"created_at\":-5,\"action\":\"a.b\"}\n";
	struct store *s = gh_store();
	char out[512];

	if (s == NULL)
		return;
	CHECK(ingest_buffer(s, "github", bad, sizeof(bad) - 1) == 0);
	gh_q(s, "SELECT count(*) FROM rejects", out, sizeof(out));
	CHECK_STR(out, "6"); /* each bad line once, the array of numbers too */
	gh_q(s, "SELECT count(*) FROM rejects WHERE reason LIKE '%without%'", out, sizeof(out));
	CHECK_STR(out, "5");
	store_close(&s);
}

/* One exchange of a GitHub OIDC subject, as CloudTrail records it. */
static void
exchange(struct buf *b, const char *when, const char *sub, const char *key, const char *ip)
{
	CHECK(buf_printf(b,
			 "{\"eventTime\":\"%s\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":"
			 "\"AssumeRoleWithWebIdentity\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"%s\","
			 "\"userIdentity\":{\"type\":\"WebIdentityUser\",\"principalId\":\"arn:aws:iam::1:"
			 "oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:%s\"},"
			 "\"requestParameters\":{\"roleArn\":\"arn:aws:iam::1:role/ci\"},\"responseElements\":"
			 "{\"credentials\":{\"accessKeyId\":\"%s\"},\"subjectFromWebIdentityToken\":\"%s\"},"
			 "\"eventID\":\"%s\"}\n",
			 when, ip, sub, key, sub, key) == CD_OK);
}

/*
 * A session is its job's: by subject and time, the runner from the jobs
 * API; a matrix run's two jobs (one subject) that exchange from one address
 * no runner is known at stay undecided (the run, both jobs listed); without
 * the audit log the job is named by its subject and exchange time.
 */
static void
test_ci_job_link(void)
{
	static const char gh[] =
		"{\"created_at\":1748944200000,\"_document_id\":\"p1\",\"action\":\"workflows.prepared_workflow_job\","
		"\"repo\":\"o/r\",\"workflow_run_id\":77,\"job_name\":\"test (18)\",\"is_hosted_runner\":false,"
		"\"job_workflow_ref\":\"o/r/.github/workflows/ci.yml@refs/heads/main\"}\n"
		"{\"created_at\":1748944201000,\"_document_id\":\"p2\",\"action\":\"workflows.prepared_workflow_job\","
		"\"repo\":\"o/r\",\"workflow_run_id\":77,\"job_name\":\"test (20)\",\"is_hosted_runner\":false,"
		"\"job_workflow_ref\":\"o/r/.github/workflows/ci.yml@refs/heads/main\"}\n"
		"{\"created_at\":1748944100000,\"_document_id\":\"p0\",\"action\":\"workflows.prepared_workflow_job\","
		"\"repo\":\"o/r\",\"workflow_run_id\":76,\"job_name\":\"deploy\",\"environment_name\":\"prod\","
		"\"job_workflow_ref\":\"o/r/.github/workflows/cd.yml@refs/heads/main\"}\n";
	static const char jobs[] = "{\"jobs\":[{\"id\":9,\"run_id\":77,\"run_url\":"
				   "\"https://api.github.com/repos/o/r/actions/runs/77\",\"name\":\"test (20)\","
				   "\"runner_id\":42,\"runner_name\":\"build-07\",\"workflow_name\":\"ci\","
				   "\"started_at\":\"2025-06-03T09:50:02Z\"}]}";
	struct store *s = gh_store();
	struct workload w;
	struct buf b;

	if (s == NULL)
		return;
	buf_init(&b, 1 << 16);
	exchange(&b, "2025-06-03T09:50:10Z", "repo:o/r:ref:refs/heads/main", "ASIAEXAMPLEMATRIX018", "52.1.2.3");
	exchange(&b, "2025-06-03T09:50:12Z", "repo:o/r:ref:refs/heads/main", "ASIAEXAMPLEMATRIX020", "52.1.2.3");
	exchange(&b, "2025-06-03T09:50:20Z", "repo:o/r:environment:prod", "ASIAEXAMPLEDEPLOY076", "52.1.2.3");
	exchange(&b, "2025-06-03T09:50:30Z", "repo:o/x:pull_request", "ASIAEXAMPLENOAUDIT01", "20.1.2.3");
	CHECK(ingest_buffer(s, "cloudtrail", b.data, b.len) == 4);
	CHECK(ingest_buffer(s, "github", gh, sizeof(gh) - 1) == 3);
	CHECK(ingest_buffer(s, "github", jobs, sizeof(jobs) - 1) == 1);
	/* one address, no runner history: the matrix's jobs stay undecided */
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLEMATRIX018", &w) == 1);
	CHECK_STR(w.kind, "ci-job");
	CHECK_STR(w.id, "o/r/runs/77");
	CHECK_STR(w.ci_candidates, "77/test (20)\n77/test (18)");
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLEMATRIX020", &w) == 1);
	CHECK_STR(w.id, "o/r/runs/77");
	CHECK_STR(w.where, "52.1.2.3");
	CHECK_STR(w.ci_runner_id, "");
	CHECK_STR(w.ci_workflow, "ci.yml");
	CHECK_STR(w.identity, "arn:aws:iam::1:role/ci");
	/* the environment's job, not the branch's later ones */
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLEDEPLOY076", &w) == 1);
	CHECK_STR(w.id, "o/r/runs/76/deploy");
	CHECK_STR(w.ci_candidates, "");
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLENOAUDIT01", &w) == 1);
	CHECK_STR(w.id, "repo:o/x:pull_request@1748944230");
	CHECK_STR(w.where, "20.1.2.3");
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLENOTACI001", &w) == 0);
	buf_release(&b);
	store_close(&s);
}

/*
 * Jobs that share one OIDC subject at about the same time are told apart by
 * their runners' addresses: a runner is known at the address its earlier
 * lone jobs exchanged from, or its audit-log events came from (actor_ip).
 * The exchanges come in the opposite order of the jobs' preparation, so
 * order alone would swap them.  GitHub-hosted jobs (fresh VMs) cannot be
 * told apart: the join says so.
 */
static void
test_ci_job_address(void)
{
	struct store *s = gh_store();
	struct workload w;
	struct buf ct, g;
	static const char *const jobs[] = {
		/* run, job, runner, started, completed */
		"70", "deploy", "build-01", "2025-06-03T08:00:01Z", "2025-06-03T08:10:00Z",
		"71", "deploy", "build-02", "2025-06-03T08:20:01Z", "2025-06-03T08:30:00Z",
		"77", "test (18)", "build-02", "2025-06-03T09:00:02Z", "2025-06-03T09:20:00Z",
		"77", "test (20)", "build-01", "2025-06-03T09:00:03Z", "2025-06-03T09:20:00Z",
		"80", "deploy", "build-01", "2025-06-03T10:00:01Z", "2025-06-03T10:20:00Z",
		"81", "deploy", "build-02", "2025-06-03T10:00:06Z", "2025-06-03T10:20:00Z",
		"90", "e2e (a)", "GitHub Actions 3", "2025-06-03T11:00:02Z", "2025-06-03T11:20:00Z",
		"90", "e2e (b)", "GitHub Actions 9", "2025-06-03T11:00:03Z", "2025-06-03T11:20:00Z",
		"95", "lint (1)", "build-03", "2025-06-03T12:00:02Z", "2025-06-03T12:20:00Z",
		"95", "lint (2)", "build-01", "2025-06-03T12:00:03Z", "2025-06-03T12:20:00Z",
	};
	static const struct { long long ms; int run; const char *job; int hosted; } prep[] = {
		{ 1748937600000LL, 70, "deploy", 0 }, { 1748938800000LL, 71, "deploy", 0 },
		{ 1748941200000LL, 77, "test (18)", 0 }, { 1748941201000LL, 77, "test (20)", 0 },
		{ 1748944800000LL, 80, "deploy", 0 }, { 1748944805000LL, 81, "deploy", 0 },
		{ 1748948400000LL, 90, "e2e (a)", 1 }, { 1748948401000LL, 90, "e2e (b)", 1 },
		{ 1748952000000LL, 95, "lint (1)", 0 }, { 1748952001000LL, 95, "lint (2)", 0 },
	};
	const char *sub = "repo:o/r:ref:refs/heads/main";
	size_t i;

	if (s == NULL)
		return;
	buf_init(&ct, 1 << 16);
	buf_init(&g, 1 << 16);
	for (i = 0; i < sizeof(prep) / sizeof(prep[0]); i++)
		CHECK(buf_printf(&g,
				 "{\"created_at\":%lld,\"_document_id\":\"p%zu\",\"action\":"
				 "\"workflows.prepared_workflow_job\",\"repo\":\"o/r\",\"workflow_run_id\":%d,"
				 "\"job_name\":\"%s\",\"is_hosted_runner\":%s,"
				 "\"job_workflow_ref\":\"o/r/.github/workflows/ci.yml@refs/heads/main\"}\n",
				 prep[i].ms, i, prep[i].run, prep[i].job, prep[i].hosted ? "true" : "false") == CD_OK);
	/* build-03 came online from its address (IP disclosure on) */
	CHECK(buf_printf(&g, "{\"created_at\":1748934000000,\"_document_id\":\"r3\",\"action\":"
			     "\"org.self_hosted_runner_online\",\"org\":\"o\",\"runner_id\":3,\"runner_name\":"
			     "\"build-03\",\"actor_ip\":\"52.3.3.3\"}\n") == CD_OK);
	CHECK(ingest_buffer(s, "github", g.data, g.len) == 11);
	buf_reset(&g);
	CHECK(buf_addstr(&g, "{\"jobs\":[") == CD_OK);
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i += 5)
		CHECK(buf_printf(&g,
				 "%s{\"id\":%zu,\"run_id\":%s,\"run_url\":\"https://api.github.com/repos/o/r/actions/"
				 "runs/%s\",\"name\":\"%s\",\"runner_id\":%zu,\"runner_name\":\"%s\",\"started_at\":"
				 "\"%s\",\"completed_at\":\"%s\"}",
				 i ? "," : "", 100 + i, jobs[i], jobs[i], jobs[i + 1], i, jobs[i + 2], jobs[i + 3],
				 jobs[i + 4]) == CD_OK);
	CHECK(buf_addstr(&g, "]}") == CD_OK);
	exchange(&ct, "2025-06-03T08:00:30Z", sub, "ASIAEXAMPLEHIST00070", "52.1.1.1");
	exchange(&ct, "2025-06-03T08:20:30Z", sub, "ASIAEXAMPLEHIST00071", "52.2.2.2");
	exchange(&ct, "2025-06-03T09:00:10Z", sub, "ASIAEXAMPLEMATRIX020", "52.1.1.1");
	exchange(&ct, "2025-06-03T09:00:12Z", sub, "ASIAEXAMPLEMATRIX018", "52.2.2.2");
	exchange(&ct, "2025-06-03T10:00:40Z", sub, "ASIAEXAMPLEOVERLAP81", "52.2.2.2");
	exchange(&ct, "2025-06-03T10:00:50Z", sub, "ASIAEXAMPLEOVERLAP80", "52.1.1.1");
	exchange(&ct, "2025-06-03T11:00:10Z", sub, "ASIAEXAMPLEHOSTED0A1", "20.1.1.1");
	exchange(&ct, "2025-06-03T11:00:12Z", sub, "ASIAEXAMPLEHOSTED0B1", "20.2.2.2");
	exchange(&ct, "2025-06-03T12:00:10Z", sub, "ASIAEXAMPLELINT00002", "52.1.1.1");
	exchange(&ct, "2025-06-03T12:00:12Z", sub, "ASIAEXAMPLELINT00001", "52.3.3.3");
	CHECK(ingest_buffer(s, "cloudtrail", ct.data, ct.len) == 10);
	CHECK(ingest_buffer(s, "github", g.data, g.len) == 10);
	/* a matrix: each exchange to the job whose runner calls from there */
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLEMATRIX020", &w) == 1);
	CHECK_STR(w.id, "o/r/runs/77/test (20)");
	CHECK_STR(w.where, "build-01");
	CHECK_STR(w.ci_candidates, "");
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLEMATRIX018", &w) == 1);
	CHECK_STR(w.id, "o/r/runs/77/test (18)");
	CHECK_STR(w.where, "build-02");
	/* two runs at once: the earlier run's job, not only the latest run's */
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLEOVERLAP80", &w) == 1);
	CHECK_STR(w.id, "o/r/runs/80/deploy");
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLEOVERLAP81", &w) == 1);
	CHECK_STR(w.id, "o/r/runs/81/deploy");
	/* hosted runners: no address of theirs is known; recorded, not guessed */
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLEHOSTED0A1", &w) == 1);
	CHECK_STR(w.id, "o/r/runs/90");
	CHECK_STR(w.ci_candidates, "90/e2e (b)\n90/e2e (a)");
	CHECK_STR(w.where, "github-hosted 20.1.1.1");
	/* the runner's own audit-log address, and the other runner's elsewhere */
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLELINT00001", &w) == 1);
	CHECK_STR(w.id, "o/r/runs/95/lint (1)");
	CHECK(ci_job_of_session(store_db(s), "ASIAEXAMPLELINT00002", &w) == 1);
	CHECK_STR(w.id, "o/r/runs/95/lint (2)");
	buf_release(&ct);
	buf_release(&g);
	store_close(&s);
}

/*
 * GitHub-hosted jobs of one subject (a matrix) cannot be told apart by
 * address; the jobs API's steps can: a job took its session within its
 * credentials step.  CloudTrail's times and the steps' are whole seconds,
 * cut, with a second of skew allowed between the two clocks, so a step
 * completed at :10 ran until :11 at the latest, :12 by CloudTrail's clock:
 * an exchange stamped :12 began after it, one stamped :11 may not have.
 * Three runs, one exchange each, two jobs each with the same steps.
 */
static void
test_ci_job_steps(void)
{
	/* per run: job, started, credentials step from, to (the hour added) */
	static const char *const jobs[] = {
		"build (20)", "00:05", "00:08", "00:10",
		"build (18)", "00:06", "00:11", "00:13",
	};
	static const struct { int run; const char *hour, *key, *at, *want, *cands; } runs[] = {
		/* :12: after (20)'s step by CloudTrail's clock, within (18)'s */
		{ 60, "08", "ASIAEXAMPLESTEPS0060", "00:12", "o/r/runs/60/build (18)", "" },
		/* :11: (20)'s step may have run until then, (18)'s had begun */
		{ 61, "09", "ASIAEXAMPLESTEPS0061", "00:11", "o/r/runs/61", "61/build (18)\n61/build (20)" },
		/* :09: within (20)'s step, a second before (18)'s could begin */
		{ 62, "10", "ASIAEXAMPLESTEPS0062", "00:09", "o/r/runs/62/build (20)", "" },
	};
	static const char sub[] = "repo:o/r:ref:refs/heads/main";
	struct store *s = gh_store();
	struct workload w;
	struct buf ct, g;
	size_t r, j;
	char when[32];

	if (s == NULL)
		return;
	buf_init(&ct, 1 << 16);
	buf_init(&g, 1 << 16);
	for (r = 0; r < sizeof(runs) / sizeof(runs[0]); r++)
		for (j = 0; j < 2; j++)
			/* prepared 3 s before each job starts: 08:00:02, 08:00:03, ... */
			CHECK(buf_printf(&g,
					 "{\"created_at\":%lld,\"_document_id\":\"s%zu%zu\",\"action\":"
					 "\"workflows.prepared_workflow_job\",\"repo\":\"o/r\",\"workflow_run_id\":%d,"
					 "\"job_name\":\"%s\",\"is_hosted_runner\":true,"
					 "\"job_workflow_ref\":\"o/r/.github/workflows/ci.yml@refs/heads/main\"}\n",
					 1748937602000LL + (long long)r * 3600000 + (long long)j * 1000, r, j, runs[r].run,
					 jobs[j * 4]) == CD_OK);
	CHECK(ingest_buffer(s, "github", g.data, g.len) == 6);
	buf_reset(&g);
	CHECK(buf_addstr(&g, "{\"jobs\":[") == CD_OK);
	for (r = 0; r < sizeof(runs) / sizeof(runs[0]); r++)
		for (j = 0; j < 2; j++) {
			const char *h = runs[r].hour;

			CHECK(buf_printf(&g,
					 "%s{\"id\":%zu,\"run_id\":%d,\"run_url\":\"https://api.github.com/repos/o/r/"
					 "actions/runs/%d\",\"name\":\"%s\",\"runner_id\":%zu,\"runner_name\":"
					 "\"GitHub Actions %zu\",\"started_at\":\"2025-06-03T%s:%sZ\","
					 "\"completed_at\":\"2025-06-03T%s:20:00Z\",\"steps\":["
					 "{\"name\":\"Set up job\",\"started_at\":\"2025-06-03T%s:%sZ\","
					 "\"completed_at\":\"2025-06-03T%s:%sZ\"},"
					 "{\"name\":\"Configure AWS credentials\",\"started_at\":\"2025-06-03T%s:%sZ\","
					 "\"completed_at\":\"2025-06-03T%s:%sZ\"},"
					 "{\"name\":\"Post Configure AWS credentials\",\"started_at\":"
					 "\"2025-06-03T%s:19:50Z\",\"completed_at\":\"2025-06-03T%s:19:51Z\"}]}",
					 r + j ? "," : "", 200 + r * 2 + j, runs[r].run, runs[r].run, jobs[j * 4],
					 10 + r * 2 + j, 10 + r * 2 + j, h, jobs[j * 4 + 1], h, h, jobs[j * 4 + 1], h,
					 jobs[j * 4 + 1], h, jobs[j * 4 + 2], h, jobs[j * 4 + 3], h, h) == CD_OK);
		}
	CHECK(buf_addstr(&g, "]}") == CD_OK);
	CHECK(ingest_buffer(s, "github", g.data, g.len) == 6);
	for (r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		snprintf(when, sizeof(when), "2025-06-03T%s:%sZ", runs[r].hour, runs[r].at);
		exchange(&ct, when, sub, runs[r].key, "20.1.1.1");
	}
	CHECK(ingest_buffer(s, "cloudtrail", ct.data, ct.len) == 3);
	for (r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		CHECK(ci_job_of_session(store_db(s), runs[r].key, &w) == 1);
		CHECK_STR(w.id, runs[r].want);
		CHECK_STR(w.ci_candidates, runs[r].cands);
	}
	buf_release(&ct);
	buf_release(&g);
	store_close(&s);
}

/* One Cloud Audit Logs entry of federated principal (or account + delegation). */
static void
gcp_entry(struct buf *b, const char *when, const char *auth, const char *method, const char *res, const char *ip)
{
	CHECK(buf_printf(b,
			 "{\"insertId\":\"%s-%s\",\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%%2Fdata_access\","
			 "\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\",\"status\":{},"
			 "\"authenticationInfo\":%s,\"requestMetadata\":{\"callerIp\":\"%s\"},\"serviceName\":\"x\","
			 "\"methodName\":\"%s\",\"resourceName\":\"%s\"},\"resource\":{\"type\":\"audited_resource\"},"
			 "\"timestamp\":\"%s\"}\n",
			 when, ip, auth, ip, method, res, when) == CD_OK);
}

/* The event of the store's row with that insert id's ip, as the rules see it. */
static int
gcp_event(struct store *s, const char *ip, int64_t min_ts, struct event *ev, char *actor, char *extra, char *action)
{
	sqlite3_stmt *st;
	int r = 0;

	memset(ev, 0, sizeof(*ev));
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT ts_ns, actor, extra, action FROM events WHERE source = 'gcpaudit' AND src_ip = ?1"
			       " AND ts_ns >= ?2 ORDER BY ts_ns LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, min_ts);
	if (sqlite3_step(st) == SQLITE_ROW) {
		ev->source = "gcpaudit";
		ev->ts_ns = sqlite3_column_int64(st, 0);
		snprintf(actor, 300, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(extra, 2000, "%s", sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
		snprintf(action, 200, "%s", (const char *)sqlite3_column_text(st, 3));
		ev->actor = actor;
		ev->extra = extra;
		ev->action = action;
		ev->src_ip = ip;
		r = 1;
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * GCP workload identity federation: the job's token exchanged at
 * sts.googleapis.com by its federated principal (.../subject/repo:...), an
 * account's calls on its behalf (serviceAccountDelegationInfo) and the
 * principal's own calls belong to the job, joined by subject, time and
 * the runner's address (two runs of one subject at once on two runners,
 * the runners known from earlier GCP exchanges alone).  A later call names
 * no exchange: the job whose token lived then, or, with several, an
 * undecided join.  A developer's impersonation and a pool whose subject is
 * no repository are not a job's.
 */
static void
test_ci_job_gcp(void)
{
#define PRINC "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/subject/"
	static const char gh[] =
		"{\"created_at\":1748937600000,\"_document_id\":\"g0\",\"action\":\"workflows.prepared_workflow_job\","
		"\"repo\":\"o/g\",\"workflow_run_id\":70,\"job_name\":\"deploy\",\"is_hosted_runner\":false,"
		"\"environment_name\":\"prod\",\"job_workflow_ref\":\"o/g/.github/workflows/d.yml@refs/heads/main\"}\n"
		"{\"created_at\":1748938800000,\"_document_id\":\"g1\",\"action\":\"workflows.prepared_workflow_job\","
		"\"repo\":\"o/g\",\"workflow_run_id\":71,\"job_name\":\"deploy\",\"is_hosted_runner\":false,"
		"\"environment_name\":\"prod\",\"job_workflow_ref\":\"o/g/.github/workflows/d.yml@refs/heads/main\"}\n"
		"{\"created_at\":1748944800000,\"_document_id\":\"g2\",\"action\":\"workflows.prepared_workflow_job\","
		"\"repo\":\"o/g\",\"workflow_run_id\":80,\"job_name\":\"deploy\",\"is_hosted_runner\":false,"
		"\"environment_name\":\"prod\",\"job_workflow_ref\":\"o/g/.github/workflows/d.yml@refs/heads/main\"}\n"
		"{\"created_at\":1748944805000,\"_document_id\":\"g3\",\"action\":\"workflows.prepared_workflow_job\","
		"\"repo\":\"o/g\",\"workflow_run_id\":81,\"job_name\":\"deploy\",\"is_hosted_runner\":false,"
		"\"environment_name\":\"prod\",\"job_workflow_ref\":\"o/g/.github/workflows/d.yml@refs/heads/main\"}\n";
	static const char jobs[] =
		"{\"jobs\":["
		"{\"id\":1,\"run_id\":70,\"run_url\":\"https://api.github.com/repos/o/g/actions/runs/70\",\"name\":\"deploy\","
		"\"runner_id\":21,\"runner_name\":\"build-21\",\"started_at\":\"2025-06-03T08:00:01Z\","
		"\"completed_at\":\"2025-06-03T08:10:00Z\"},"
		"{\"id\":2,\"run_id\":71,\"run_url\":\"https://api.github.com/repos/o/g/actions/runs/71\",\"name\":\"deploy\","
		"\"runner_id\":22,\"runner_name\":\"build-22\",\"started_at\":\"2025-06-03T08:20:01Z\","
		"\"completed_at\":\"2025-06-03T08:30:00Z\"},"
		"{\"id\":3,\"run_id\":80,\"run_url\":\"https://api.github.com/repos/o/g/actions/runs/80\",\"name\":\"deploy\","
		"\"runner_id\":21,\"runner_name\":\"build-21\",\"started_at\":\"2025-06-03T10:00:01Z\","
		"\"completed_at\":\"2025-06-03T10:20:00Z\"},"
		"{\"id\":4,\"run_id\":81,\"run_url\":\"https://api.github.com/repos/o/g/actions/runs/81\",\"name\":\"deploy\","
		"\"runner_id\":22,\"runner_name\":\"build-22\",\"started_at\":\"2025-06-03T10:00:06Z\","
		"\"completed_at\":\"2025-06-03T10:20:00Z\"}]}";
	static const char fed[] = "{\"principalSubject\":\"" PRINC "repo:o/g:environment:prod\"}";
	static const char sa[] = "{\"principalEmail\":\"deployer@p.iam.gserviceaccount.com\",\"serviceAccountDelegationInfo\":"
				 "[{\"principalSubject\":\"" PRINC "repo:o/g:environment:prod\"}]}";
	static const char dev[] = "{\"principalEmail\":\"deployer@p.iam.gserviceaccount.com\",\"serviceAccountDelegationInfo\":"
				  "[{\"firstPartyPrincipal\":{\"principalEmail\":\"dev@o.example\"}}]}";
	static const char other[] = "{\"principalSubject\":\"" PRINC "system:serviceaccount:ns:sa\"}";
	static const char xt[] = "google.identity.sts.v1.SecurityTokenService.ExchangeToken";
	struct store *s = gh_store();
	struct workload w;
	struct event ev;
	struct buf g;
	char actor[300], extra[2000], action[200], pr[600];

	if (s == NULL)
		return;
	buf_init(&g, 1 << 16);
	gcp_entry(&g, "2025-06-03T08:00:30Z", fed, xt, "projects/1/locations/global/workloadIdentityPools/gh/providers/p",
		  "52.1.1.1");
	gcp_entry(&g, "2025-06-03T08:20:30Z", fed, xt, "projects/1/locations/global/workloadIdentityPools/gh/providers/p",
		  "52.2.2.2");
	/* runs 80 and 81 at once: 81's token first (build-22), then 80's (build-21) */
	gcp_entry(&g, "2025-06-03T10:00:40Z", fed, xt, "projects/1/locations/global/workloadIdentityPools/gh/providers/p",
		  "52.2.2.2");
	gcp_entry(&g, "2025-06-03T10:00:41Z", fed, "GenerateAccessToken",
		  "projects/-/serviceAccounts/deployer@p.iam.gserviceaccount.com", "52.2.2.2");
	gcp_entry(&g, "2025-06-03T10:00:50Z", fed, xt, "projects/1/locations/global/workloadIdentityPools/gh/providers/p",
		  "52.1.1.1");
	gcp_entry(&g, "2025-06-03T10:00:51Z", fed, "GenerateAccessToken",
		  "projects/-/serviceAccounts/deployer@p.iam.gserviceaccount.com", "52.1.1.1");
	/* run 80's account token and its federated token used from outside */
	gcp_entry(&g, "2025-06-03T10:05:00Z", sa, "storage.buckets.list", "projects/_/buckets", "185.1.1.1");
	gcp_entry(&g, "2025-06-03T09:15:00Z", fed, "storage.buckets.list", "projects/_/buckets", "185.2.2.2");
	gcp_entry(&g, "2025-06-03T10:07:00Z", dev, "storage.buckets.list", "projects/_/buckets", "81.1.1.1");
	gcp_entry(&g, "2025-06-03T10:08:00Z", other, "storage.buckets.list", "projects/_/buckets", "35.1.1.1");
	CHECK(ingest_buffer(s, "gcpaudit", g.data, g.len) == 10);
	CHECK(ingest_buffer(s, "github", gh, sizeof(gh) - 1) == 4);
	CHECK(ingest_buffer(s, "github", jobs, sizeof(jobs) - 1) == 4);
	/* each exchange to its job: by the runners' addresses (earlier GCP
	 * exchanges alone), not by order (81's token came first) */
	CHECK(gcp_event(s, "52.2.2.2", 1748944800000000000LL, &ev, actor, extra, action));
	CHECK(ci_wif_principal(&ev, pr, sizeof(pr)) == 1);
	CHECK_STR(pr, PRINC "repo:o/g:environment:prod");
	CHECK(ci_job_of_gcp_event(store_db(s), &ev, &w) == 1);
	CHECK_STR(w.id, "o/g/runs/81/deploy");
	CHECK_STR(w.where, "build-22");
	CHECK(gcp_event(s, "52.1.1.1", 1748944800000000000LL, &ev, actor, extra, action));
	CHECK(ci_job_of_gcp_event(store_db(s), &ev, &w) == 1);
	CHECK_STR(w.id, "o/g/runs/80/deploy");
	CHECK_STR(w.where, "build-21");
	CHECK_STR(w.ci_subject, "repo:o/g:environment:prod");
	/* the federated token's own call when one job's token lived: that job,
	 * the account the principal impersonated */
	CHECK(gcp_event(s, "185.2.2.2", 0, &ev, actor, extra, action));
	CHECK(ci_job_of_gcp_event(store_db(s), &ev, &w) == 1);
	CHECK_STR(w.id, "o/g/runs/71/deploy");
	CHECK_STR(w.identity, "deployer@p.iam.gserviceaccount.com");
	CHECK_STR(w.ci_candidates, "");
	/* the account's call on the principal's behalf while both runs' account
	 * tokens lived (each bought one): nothing says whose; recorded, not
	 * guessed */
	CHECK(gcp_event(s, "185.1.1.1", 0, &ev, actor, extra, action));
	CHECK(ci_job_of_gcp_event(store_db(s), &ev, &w) == 1);
	CHECK_STR(w.id, "repo:o/g:environment:prod@1748944850");
	CHECK_STR(w.ci_candidates, "80/deploy\n81/deploy");
	CHECK_STR(w.identity, "deployer@p.iam.gserviceaccount.com");
	CHECK_STR(w.ci_principal, PRINC "repo:o/g:environment:prod");
	/* a developer's impersonation; a pool subject that is no repository */
	CHECK(gcp_event(s, "81.1.1.1", 0, &ev, actor, extra, action));
	CHECK(ci_wif_principal(&ev, pr, sizeof(pr)) == 0);
	CHECK(ci_job_of_gcp_event(store_db(s), &ev, &w) == 0);
	CHECK(gcp_event(s, "35.1.1.1", 0, &ev, actor, extra, action));
	CHECK(ci_wif_principal(&ev, pr, sizeof(pr)) == 0);
	buf_release(&g);
	store_close(&s);
#undef PRINC
}

const struct unit_test github_tests[] = {
	{ "ci_job_gcp", test_ci_job_gcp },
	{ "ci_job_link", test_ci_job_link },
	{ "ci_job_address", test_ci_job_address },
	{ "ci_job_steps", test_ci_job_steps },
	{ "github_probe", test_github_probe },
	{ "github_stream", test_github_stream },
	{ "github_export_jobs", test_github_export_jobs },
	{ "github_bad", test_github_bad },
	{ NULL, NULL },
};
