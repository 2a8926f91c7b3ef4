/*
 * test_correlate.c - the rule matcher's operators and virtual fields, and
 * the correlator's string map, on events built in memory.
 */
#include <stdlib.h>

#include "../../correlate/engine.h"
#include "unit.h"

/* Load one rule from text; the test fails on a parse error. */
static struct ruleset
one_rule(const char *text)
{
	struct ruleset rs;
	char *cause = NULL;

	ruleset_init(&rs);
	if (ruleset_parse(&rs, "t.rules", text, strlen(text), &cause) != CD_OK) {
		fprintf(stderr, "  parse: %s\n", cause);
		CHECK(0);
	}
	free(cause);
	return rs;
}

static int
matches(const struct ruleset *rs, const struct event *ev, const struct known_net *net)
{
	struct match_ev m;
	struct json_tokens t;
	int hit;

	json_tokens_init(&t, 256);
	match_ev_init(&m, ev, &t);
	m.net = net;
	hit = rs->n == 1 && rule_matches(&rs->r[0], &m);
	json_tokens_release(&t);
	return hit;
}

static void
blank(struct event *ev)
{
	size_t i;

	memset(ev, 0, sizeof(*ev));
	for (i = 0; i < ev_nfields; i++)
		if (ev_fields[i].type == EV_T_INT)
			*(int64_t *)((char *)ev + ev_fields[i].offset) = EV_NULL;
}

static void
test_operators(void)
{
	struct ruleset rs = one_rule("rule T-1\n title t\n when\n"
				     "  pid >= 100\n  pid < 200\n"
				     "  exe suffix /curl\n  argv contains 169.254\n"
				     "  source in falco, tetragon\n  action not-in execve\n"
				     "  object ~ ^/proc/[0-9]+/environ$\n  cwd absent\n");
	struct event ev;

	blank(&ev);
	ev.pid = 150;
	ev.exe = "/usr/bin/curl";
	ev.argv = "curl http://169.254.169.254/";
	ev.source = "tetragon";
	ev.action = "openat";
	ev.object = "/proc/17/environ";
	CHECK(matches(&rs, &ev, NULL));
	ev.pid = 200; /* < 200 fails */
	CHECK(!matches(&rs, &ev, NULL));
	ev.pid = 150;
	ev.source = "auditd"; /* not in the set */
	CHECK(!matches(&rs, &ev, NULL));
	ev.source = "falco";
	ev.object = "/proc/self/status"; /* regex fails */
	CHECK(!matches(&rs, &ev, NULL));
	ev.object = "/proc/1/environ";
	ev.cwd = "/app"; /* absent fails */
	CHECK(!matches(&rs, &ev, NULL));
	ev.cwd = NULL;
	ev.pid = EV_NULL; /* a missing number never compares */
	CHECK(!matches(&rs, &ev, NULL));
	ruleset_release(&rs);
}

static void
test_unless_and_blocks(void)
{
	struct ruleset rs = one_rule("rule T-2\n title t\n when\n  exe = /a\n when\n  exe = /b\n"
				     " unless\n  pod_ns = kube-system\n");
	struct event ev;

	blank(&ev);
	ev.exe = "/b";
	CHECK(matches(&rs, &ev, NULL)); /* any when-block */
	ev.pod_ns = "kube-system";
	CHECK(!matches(&rs, &ev, NULL)); /* an unless-block vetoes */
	ev.pod_ns = "prod";
	ev.exe = "/c";
	CHECK(!matches(&rs, &ev, NULL));
	ruleset_release(&rs);
}

static void
test_virtual_fields(void)
{
	struct ruleset rs = one_rule("rule T-3\n title t\n when\n  dst_ip = fd00:ec2::254\n"
				     "  dst_port = 80\n  src_net = 203.0.113.0/24\n"
				     "  ua_family = aws-cli\n  src_kind = public\n");
	struct ruleset rk = one_rule("rule T-4\n title t\n when\n  src_kind = node\n"
				     "  host_kind = k8s-node\n");
	struct ruleset rx = one_rule("rule T-5\n title t\n when\n  extra.metadata.role = web\n"
				     "  extra.token_ttl > 60\n");
	char *node_ips[] = { "10.0.1.23" }, *nodes[] = { "n1" };
	struct known_net net = { node_ips, NULL, nodes, 1, 0, 1 };
	struct event ev;

	blank(&ev);
	ev.dst = "[fd00:ec2::254]:80";
	ev.src_ip = "203.0.113.66";
	ev.user_agent = "aws-cli/2.17.0 Python/3.11";
	CHECK(matches(&rs, &ev, NULL));
	ev.src_ip = "10.0.1.87"; /* private, another /24 */
	CHECK(!matches(&rs, &ev, NULL));
	ev.src_ip = "10.0.1.23";
	ev.host = "n1";
	CHECK(matches(&rk, &ev, &net));
	CHECK(!matches(&rk, &ev, NULL)); /* without an inventory nothing is a node */
	ev.extra = "{\"metadata\":{\"role\":\"web\"},\"token_ttl\":3600}";
	CHECK(matches(&rx, &ev, NULL));
	ev.extra = "{\"metadata\":{\"role\":\"web\"},\"token_ttl\":30}";
	CHECK(!matches(&rx, &ev, NULL));
	ev.extra = "{broken";
	CHECK(!matches(&rx, &ev, NULL));
	ruleset_release(&rs);
	ruleset_release(&rk);
	ruleset_release(&rx);
}

static void
test_defaults_load_and_override(void)
{
	struct ruleset rs;
	char *cause = NULL;
	const char *mine = "rule CRED-03\n title mine\n severity low\n when\n  exe = /x\n";
	size_t before;

	ruleset_init(&rs);
	CHECK(ruleset_load_default(&rs, NULL, &cause) == CD_OK);
	before = rs.n;
	CHECK(ruleset_find(&rs, "ESC-01") != NULL);
	CHECK(ruleset_parse(&rs, "user.rules", mine, strlen(mine), &cause) == CD_OK);
	CHECK(rs.n == before); /* replaced, not added */
	CHECK_STR(ruleset_find(&rs, "CRED-03")->title, "mine");
	ruleset_release(&rs);
	free(cause);
}

static void
test_strmap(void)
{
	struct strmap m;
	char key[32];
	int i, created, bad = 0;

	strmap_init(&m);
	for (i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "k%d", i);

		strmap_get(&m, key, (size_t)n, &created)->a = i;
		bad += !created;
	}
	CHECK(bad == 0);
	CHECK(m.n == 5000);
	for (i = 0; i < 5000; i += 7) {
		int n = snprintf(key, sizeof(key), "k%d", i);
		struct strmap_entry *e = strmap_find(&m, key, (size_t)n);

		bad += e == NULL || e->a != i;
	}
	CHECK(bad == 0);
	CHECK(strmap_find(&m, "nope", 4) == NULL);
	strmap_get(&m, "k1", 2, &created);
	CHECK(!created);
	strmap_release(&m);
}

/* cred_workload names a function's session; learn-only needs first-seen and holds on its events. */
static void
test_function_session_fields(void)
{
	char *fns[] = { "ASIAFUNCMANAGED00001" }, *custom[] = { "ASIAFUNCCUSTOM000001" };
	struct known_net net;
	struct ruleset rs = one_rule("rule F\n title t\n severity high\n class usage-anomaly\n when\n"
				     "  cred_workload = function\n learn-only\n  user_agent ~ exec-env/AWS_Lambda_\n"
				     " first-seen src_net per cred_workload\n");
	struct event ev;
	struct match_ev m;
	struct json_tokens t;
	char *cause = NULL;
	struct ruleset bad;

	memset(&net, 0, sizeof(net));
	net.fn_sessions = fns;
	net.nfn_sessions = 1;
	net.fn_custom = custom;
	net.nfn_custom = 1;
	memset(&ev, 0, sizeof(ev));
	ev.pid = ev.ppid = ev.uid = EV_NULL;
	ev.source = "cloudtrail";
	ev.src_ip = "203.0.113.66";
	ev.cred_id = "ASIAFUNCMANAGED00001";
	ev.user_agent = "aws-cli/2.17.0 Python/3.11.9";
	CHECK(matches(&rs, &ev, &net));
	json_tokens_init(&t, 64);
	match_ev_init(&m, &ev, &t);
	m.net = &net;
	CHECK(!rule_learn_only(&rs.r[0], &m));
	ev.user_agent = "Boto3/1.34 exec-env/AWS_Lambda_python3.12";
	match_ev_init(&m, &ev, &t);
	m.net = &net;
	CHECK(rule_learn_only(&rs.r[0], &m));
	json_tokens_release(&t);
	ev.cred_id = "ASIAFUNCCUSTOM000001";
	CHECK(!matches(&rs, &ev, &net));
	ev.cred_id = "ASIAOTHERSESSION0001";
	CHECK(!matches(&rs, &ev, &net));
	CHECK(!matches(&rs, &ev, NULL));
	ruleset_release(&rs);
	ruleset_init(&bad);
	{
		static const char text[] = "rule B\n title t\n severity high\n class escape\n when\n"
					   "  source = x\n learn-only\n  source = y\n";

		CHECK(ruleset_parse(&bad, "b.rules", text, sizeof(text) - 1, &cause) == CD_E_PARSE);
	}
	CHECK(cause != NULL && strstr(cause, "learn-only") != NULL);
	if (cause != NULL && strstr(cause, "learn-only") == NULL)
		fprintf(stderr, "  cause: %s\n", cause);
	free(cause);
	ruleset_release(&bad);
}

/*
 * The store's first and last event time, asked by every correlate run:
 * each end is one lookup in the (ts_ns, dedup) index, never a scan of the
 * events (min and max in one SELECT read every row: 0.36 s a run on 1.4M).
 */
static void
test_history_span(void)
{
	struct store *s = NULL;
	char *cause = NULL;
	sqlite3_stmt *st;
	int64_t first, last;
	int steps = 0;

	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	history_span(store_db(s), &first, &last);
	CHECK(first == TIME_NONE && last == TIME_NONE);
	/* three streams (schema 10): the span is over all of them */
	CHECK(sqlite3_exec(store_db(s), "INSERT INTO events(ts_ns, dedup, stream) VALUES(9, x'01', 4),"
			   " (5, x'02', 9), (7, x'03', 4), (6, x'04', 2)", NULL, NULL, NULL) == SQLITE_OK);
	history_span(store_db(s), &first, &last);
	CHECK(first == 5 && last == 9);
	CHECK(sqlite3_prepare_v2(store_db(s), "EXPLAIN QUERY PLAN " HISTORY_SPAN_SQL, -1, &st, NULL) ==
	      SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 3);

		steps++;
		if (detail != NULL && strstr(detail, "SCAN events") != NULL) {
			fprintf(stderr, "  plan: %s\n", detail);
			CHECK(0);
		}
	}
	sqlite3_finalize(st);
	CHECK(steps > 0);
	store_close(&s);
}

const struct unit_test correlate_tests[] = {
	{ "correlate: the store's time span by index lookups per stream", test_history_span },
	{ "rules: cred_workload and learn-only", test_function_session_fields },
	{ "rules: operators", test_operators },
	{ "rules: when/unless blocks", test_unless_and_blocks },
	{ "rules: virtual and extra fields", test_virtual_fields },
	{ "rules: defaults load, user rules override", test_defaults_load_and_override },
	{ "correlate: string map", test_strmap },
	{ NULL, NULL },
};
