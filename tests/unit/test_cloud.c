/*
 * test_cloud.c - unit tests for the cloud ingesters' helpers (ingest/cloud.c)
 * and for how the k8saudit, vault and gcpaudit probes tell formats apart.
 */
#include "../../ingest/cloud.h"
#include "unit.h"

static void
test_url_decode(void)
{
	char out[64];
	size_t n;

	n = ingest_cloud_url_decode("cloudaudit.googleapis.com%2Factivity", 36, out, sizeof(out));
	CHECK_STR(out, "cloudaudit.googleapis.com/activity");
	CHECK(n == 34);
	ingest_cloud_url_decode("a%2fb%3Ac", 9, out, sizeof(out));
	CHECK_STR(out, "a/b:c");
	/* malformed or cut-off escapes stay as they are; '+' is not a space */
	ingest_cloud_url_decode("%zz%2x%2", 8, out, sizeof(out));
	CHECK_STR(out, "%zz%2x%2");
	ingest_cloud_url_decode("a+b", 3, out, sizeof(out));
	CHECK_STR(out, "a+b");
	/* %00 would cut the string short: kept literally */
	ingest_cloud_url_decode("x%00y", 5, out, sizeof(out));
	CHECK_STR(out, "x%00y");
	/* only n bytes are read, output is bounded and terminated */
	ingest_cloud_url_decode("abcdef", 3, out, sizeof(out));
	CHECK_STR(out, "abc");
	n = ingest_cloud_url_decode("abcdef", 6, out, 4);
	CHECK_STR(out, "abc");
	CHECK(n == 3);
	CHECK(ingest_cloud_url_decode("abc", 3, out, 0) == 0);
}

static void
test_log_kind(void)
{
	struct ev_arena a;
	const char *id;

	ev_arena_init(&a, 4096);
	id = ingest_cloud_log_id(&a, "projects/p/logs/cloudaudit.googleapis.com%2Factivity");
	CHECK_STR(id, "cloudaudit.googleapis.com/activity");
	CHECK_STR(ingest_cloud_audit_kind(id), "activity");
	id = ingest_cloud_log_id(&a, "organizations/1/logs/cloudaudit.googleapis.com%2Fdata_access");
	CHECK_STR(ingest_cloud_audit_kind(id), "data_access");
	id = ingest_cloud_log_id(&a, "folders/1/logs/cloudaudit.googleapis.com%2Fsystem_event");
	CHECK_STR(ingest_cloud_audit_kind(id), "system_event");
	id = ingest_cloud_log_id(&a, "projects/p/logs/cloudaudit.googleapis.com%2Fpolicy");
	CHECK_STR(ingest_cloud_audit_kind(id), "policy");
	id = ingest_cloud_log_id(&a, "projects/p/logs/externalaudit.googleapis.com%2Factivity");
	CHECK_STR(ingest_cloud_audit_kind(id), "activity");
	/* not an audit log */
	id = ingest_cloud_log_id(&a, "projects/p/logs/events");
	CHECK_STR(id, "events");
	CHECK(ingest_cloud_audit_kind(id) == NULL);
	CHECK(ingest_cloud_audit_kind("cloudaudit.googleapis.com/") == NULL);
	CHECK(ingest_cloud_audit_kind(NULL) == NULL);
	/* a bare log id, already decoded */
	CHECK_STR(ingest_cloud_log_id(&a, "cloudaudit.googleapis.com/activity"),
		  "cloudaudit.googleapis.com/activity");
	CHECK(ingest_cloud_log_id(&a, NULL) == NULL);
	ev_arena_release(&a);
}

static void
test_outcomes(void)
{
	CHECK(ingest_cloud_http_outcome(EV_NULL) == NULL);
	CHECK(ingest_cloud_http_outcome(0) == NULL);
	CHECK_STR(ingest_cloud_http_outcome(101), "success");
	CHECK_STR(ingest_cloud_http_outcome(201), "success");
	CHECK_STR(ingest_cloud_http_outcome(304), "success");
	CHECK_STR(ingest_cloud_http_outcome(401), "denied");
	CHECK_STR(ingest_cloud_http_outcome(403), "denied");
	CHECK_STR(ingest_cloud_http_outcome(404), "error");
	CHECK_STR(ingest_cloud_http_outcome(409), "error");
	CHECK_STR(ingest_cloud_http_outcome(500), "error");

	CHECK_STR(ingest_cloud_grpc_outcome(EV_NULL), "success");
	CHECK_STR(ingest_cloud_grpc_outcome(0), "success");
	CHECK_STR(ingest_cloud_grpc_outcome(7), "denied");
	CHECK_STR(ingest_cloud_grpc_outcome(16), "denied");
	CHECK_STR(ingest_cloud_grpc_outcome(5), "error");
	CHECK_STR(ingest_cloud_grpc_outcome(13), "error");
}

static void
test_vault_error(void)
{
	struct ev_arena a;
	const char *outcome, *code;
	char long_err[600];

	ev_arena_init(&a, 8192);
	code = ingest_cloud_vault_error(&a, "permission denied", &outcome);
	CHECK_STR(code, "permission denied");
	CHECK_STR(outcome, "denied");
	code = ingest_cloud_vault_error(&a, "1 error occurred:\n\t* permission denied\n\n", &outcome);
	CHECK_STR(code, "permission denied");
	CHECK_STR(outcome, "denied");
	/* the first real line is the code; any denial makes it a denial */
	code = ingest_cloud_vault_error(
		&a, "2 errors occurred:\n\t* unsupported path\n\t* permission denied\n\n", &outcome);
	CHECK_STR(code, "unsupported path");
	CHECK_STR(outcome, "denied");
	code = ingest_cloud_vault_error(&a, "internal error\r\nmore", &outcome);
	CHECK_STR(code, "internal error");
	CHECK_STR(outcome, "error");
	/* only a header: that is all there is to say */
	code = ingest_cloud_vault_error(&a, "1 error occurred:", &outcome);
	CHECK_STR(code, "1 error occurred:");
	code = ingest_cloud_vault_error(&a, "\n\t\n", &outcome);
	CHECK(code == NULL);
	CHECK_STR(outcome, "error");
	code = ingest_cloud_vault_error(&a, NULL, &outcome);
	CHECK(code == NULL && outcome == NULL);
	memset(long_err, 'x', sizeof(long_err) - 1);
	long_err[sizeof(long_err) - 1] = '\0';
	code = ingest_cloud_vault_error(&a, long_err, &outcome);
	CHECK(code != NULL && strlen(code) == 256);
	ev_arena_release(&a);
}

static void
test_sa_namespace(void)
{
	struct ev_arena a;

	ev_arena_init(&a, 1024);
	CHECK_STR(ingest_cloud_sa_namespace(&a, "system:serviceaccount:prod:web"), "prod");
	CHECK(ingest_cloud_sa_namespace(&a, "system:serviceaccount::web") == NULL);
	CHECK(ingest_cloud_sa_namespace(&a, "system:serviceaccount:prod") == NULL);
	CHECK(ingest_cloud_sa_namespace(&a, "system:serviceaccount:prod:") == NULL);
	CHECK(ingest_cloud_sa_namespace(&a, "system:node:ip-10-0-1-23.ec2.internal") == NULL);
	CHECK(ingest_cloud_sa_namespace(&a, NULL) == NULL);
	ev_arena_release(&a);
}

/* "ns|resource|name|sub" of a parsed resourceName, or "ERR". */
static void
ref_str(const char *resname, char *out, size_t cap)
{
	struct k8s_ref r;

	if (ingest_cloud_k8s_ref(resname, &r) != CD_OK) {
		snprintf(out, cap, "ERR");
		return;
	}
	snprintf(out, cap, "%.*s|%.*s|%.*s|%.*s", (int)r.ns.n, r.ns.p, (int)r.resource.n,
		 r.resource.p, (int)r.name.n, r.name.p, (int)r.subresource.n, r.subresource.p);
}

static void
test_k8s_ref(void)
{
	struct ev_arena a;
	struct span ns = { "prod", 4 }, res = { "pods", 4 }, name = { "web-1", 5 }, none = { "", 0 };
	char out[256];

	ref_str("core/v1/namespaces/prod/pods/web-1/exec", out, sizeof(out));
	CHECK_STR(out, "prod|pods|web-1|exec");
	ref_str("core/v1/namespaces/prod/pods/web-1", out, sizeof(out));
	CHECK_STR(out, "prod|pods|web-1|");
	ref_str("core/v1/namespaces/prod/secrets", out, sizeof(out));
	CHECK_STR(out, "prod|secrets||");
	ref_str("core/v1/namespaces/prod", out, sizeof(out)); /* the namespace itself */
	CHECK_STR(out, "|namespaces|prod|");
	ref_str("core/v1/namespaces", out, sizeof(out));
	CHECK_STR(out, "|namespaces||");
	ref_str("core/v1/secrets", out, sizeof(out));
	CHECK_STR(out, "|secrets||");
	ref_str("core/v1/nodes/gke-n1/proxy/metrics", out, sizeof(out));
	CHECK_STR(out, "|nodes|gke-n1|proxy");
	ref_str("rbac.authorization.k8s.io/v1/clusterrolebindings/dev-admin", out, sizeof(out));
	CHECK_STR(out, "|clusterrolebindings|dev-admin|");
	ref_str("core/v1", out, sizeof(out));
	CHECK_STR(out, "ERR");
	ref_str("/healthz", out, sizeof(out));
	CHECK_STR(out, "ERR");
	ref_str("core/v1/", out, sizeof(out));
	CHECK_STR(out, "ERR");
	ref_str("", out, sizeof(out));
	CHECK_STR(out, "ERR");
	ref_str(NULL, out, sizeof(out));
	CHECK_STR(out, "ERR");

	ev_arena_init(&a, 1024);
	CHECK_STR(ingest_cloud_k8s_object(&a, ns, res, name), "prod/pods/web-1");
	CHECK_STR(ingest_cloud_k8s_object(&a, none, res, name), "pods/web-1");
	CHECK_STR(ingest_cloud_k8s_object(&a, ns, res, none), "prod/pods");
	CHECK_STR(ingest_cloud_k8s_object(&a, none, res, none), "pods");
	CHECK(ingest_cloud_k8s_object(&a, none, none, none) == NULL);
	ev_arena_release(&a);
}

static void
test_ip_like(void)
{
	CHECK(ingest_cloud_ip_like("203.0.113.66"));
	CHECK(ingest_cloud_ip_like("2620:15c:0:200:1a75:e914:115b:e970"));
	CHECK(ingest_cloud_ip_like("::1"));
	CHECK(!ingest_cloud_ip_like("private"));
	CHECK(!ingest_cloud_ip_like("gce-internal-ip"));
	CHECK(!ingest_cloud_ip_like(""));
	CHECK(!ingest_cloud_ip_like(NULL));
}

/* Parse js into d (tokens owned by the caller). */
static int
doc(struct json_doc *d, struct json_tokens *tok, const char *js)
{
	const char *why;

	return json_parse(d, js, strlen(js), tok, &why);
}

static void
test_time_guard(void)
{
	struct json_tokens tokens, *tok = &tokens;
	struct json_doc d;
	int64_t ns = 0;

	json_tokens_init(tok, 64);

	CHECK(doc(&d, tok, "{\"t\":\"2025-06-03T10:00:00Z\"}") == CD_OK);
	CHECK(ingest_cloud_time(&d, json_get(&d, 0, "t"), &ns) == CD_OK);
	CHECK(ns == 1748944800LL * 1000000000LL);
	CHECK(doc(&d, tok, "{\"t\":\"2261-12-31T23:59:59-23:59\"}") == CD_OK);
	CHECK(ingest_cloud_time(&d, json_get(&d, 0, "t"), &ns) == CD_OK);
	CHECK(doc(&d, tok, "{\"t\":\"1678-01-01T00:00:00+23:59\"}") == CD_OK);
	CHECK(ingest_cloud_time(&d, json_get(&d, 0, "t"), &ns) == CD_OK);
	/* out of int64 nanoseconds: refused before time_parse_rfc3339 overflows */
	CHECK(doc(&d, tok, "{\"t\":\"9999-12-31T23:59:59Z\"}") == CD_OK);
	CHECK(ingest_cloud_time(&d, json_get(&d, 0, "t"), &ns) == CD_E_PARSE);
	CHECK(doc(&d, tok, "{\"t\":\"0001-01-01T00:00:00Z\"}") == CD_OK);
	CHECK(ingest_cloud_time(&d, json_get(&d, 0, "t"), &ns) == CD_E_PARSE);
	/* not a string, absent, not a time */
	CHECK(doc(&d, tok, "{\"t\":1748944800,\"u\":\"soon\",\"v\":\"20\"}") == CD_OK);
	CHECK(ingest_cloud_time(&d, json_get(&d, 0, "t"), &ns) == CD_E_PARSE);
	CHECK(ingest_cloud_time(&d, json_get(&d, 0, "u"), &ns) == CD_E_PARSE);
	CHECK(ingest_cloud_time(&d, json_get(&d, 0, "v"), &ns) == CD_E_PARSE);
	CHECK(ingest_cloud_time(&d, json_get(&d, 0, "missing"), &ns) == CD_E_PARSE);
	json_tokens_release(tok);
}

static void
test_first_str(void)
{
	struct json_tokens tokens, *tok = &tokens;
	struct json_doc d;
	struct ev_arena a;

	json_tokens_init(tok, 64);

	ev_arena_init(&a, 1024);
	CHECK(doc(&d, tok, "{\"a\":[\"JTI=1\",\"x\"],\"b\":\"s\",\"c\":[],\"d\":[1],\"e\":\"\"}") == CD_OK);
	CHECK_STR(ingest_cloud_first_str(&a, &d, json_get(&d, 0, "a")), "JTI=1");
	CHECK_STR(ingest_cloud_first_str(&a, &d, json_get(&d, 0, "b")), "s");
	CHECK(ingest_cloud_first_str(&a, &d, json_get(&d, 0, "c")) == NULL);
	CHECK(ingest_cloud_first_str(&a, &d, json_get(&d, 0, "d")) == NULL);
	CHECK(ingest_cloud_first_str(&a, &d, json_get(&d, 0, "e")) == NULL);
	CHECK(ingest_cloud_first_str(&a, &d, -1) == NULL);
	ev_arena_release(&a);
	json_tokens_release(tok);
}

static int
probe(const char *format, const char *head)
{
	const struct ingester *ing = ingester_find(format);

	return ing ? ing->probe(head, strlen(head)) : -1;
}

static void
test_probes(void)
{
	static const char k8s[] =
		"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"a\","
		"\"stage\":\"ResponseComplete\",\"verb\":\"get\"}\n";
	static const char k8s_bare[] = "{\"auditID\":\"a\",\"stage\":\"ResponseStarted\",\"verb\":\"get\"}\n";
	static const char eventlist[] = "{\n  \"kind\": \"EventList\",\n  \"apiVersion\": "
					"\"audit.k8s.io/v1\",\n  \"items\": []\n}\n";
	static const char vault[] = "{\"time\":\"2025-06-03T10:00:00Z\",\"type\":\"request\",\"auth\":{},"
				    "\"request\":{\"id\":\"x\",\"remote_address\":\"10.0.1.87\"}}\n";
	/* pretty, keys sorted: "type" comes last and "request" is followed by a space */
	static const char vault_pretty[] = "{\n  \"auth\": {\n    \"token_type\": \"default\"\n  },\n"
					   "  \"request\": {\n    \"remote_address\": \"3.93.200.217\"\n";
	static const char gke[] =
		"{\"insertId\":\"1\",\"labels\":{\"authorization.k8s.io/decision\":\"allow\"},"
		"\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%2Factivity\",\"protoPayload\":"
		"{\"serviceName\":\"k8s.io\",\"methodName\":\"io.k8s.core.v1.pods.create\",\"request\":"
		"{\"kind\":\"Pod\"}},\"timestamp\":\"2025-06-03T10:00:00Z\"}\n";
	static const char gcp_log[] = "{\"insertId\":\"1\",\"jsonPayload\":{\"kind\":\"Event\"},"
				      "\"logName\":\"projects/p/logs/events\"}\n";
	static const char trail[] = "{\"Records\":[{\"eventTime\":\"2025-06-03T10:00:00Z\",\"eventSource\":"
				    "\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\",\"awsRegion\":"
				    "\"us-east-1\",\"requestParameters\":{\"type\":\"request\"}}]}\n";

	CHECK(probe("k8saudit", k8s) >= 90);
	CHECK(probe("k8saudit", k8s_bare) >= 60);
	CHECK(probe("k8saudit", eventlist) >= 90);
	CHECK(probe("k8saudit", "{\"kind\": 0}") > 0);
	CHECK(probe("k8saudit", "{\"kind\": 0}") < 10);
	CHECK(probe("vault", vault) >= 90);
	CHECK(probe("vault", vault_pretty) >= 50);
	CHECK(probe("gcpaudit", gke) >= 90);
	CHECK(probe("gcpaudit", gcp_log) >= 80);

	/* nobody claims another's records */
	CHECK(probe("k8saudit", vault) == 0 && probe("gcpaudit", vault) == 0);
	CHECK(probe("vault", k8s) == 0 && probe("gcpaudit", k8s) == 0);
	CHECK(probe("vault", gke) == 0 && probe("k8saudit", gke) < probe("gcpaudit", gke));
	CHECK(probe("k8saudit", gcp_log) == 0 && probe("vault", gcp_log) == 0);
	CHECK(probe("k8saudit", trail) == 0 && probe("vault", trail) == 0 &&
	      probe("gcpaudit", trail) == 0);

	/* and the whole table agrees */
	CHECK_STR(ingest_probe(k8s, sizeof(k8s) - 1), "k8saudit");
	CHECK_STR(ingest_probe(eventlist, sizeof(eventlist) - 1), "k8saudit");
	CHECK_STR(ingest_probe(vault, sizeof(vault) - 1), "vault");
	CHECK_STR(ingest_probe(vault_pretty, sizeof(vault_pretty) - 1), "vault");
	CHECK_STR(ingest_probe(gke, sizeof(gke) - 1), "gcpaudit");
	CHECK_STR(ingest_probe(gcp_log, sizeof(gcp_log) - 1), "gcpaudit");
	CHECK_STR(ingest_probe(trail, sizeof(trail) - 1), "cloudtrail");
}

static void
test_head_kv(void)
{
	static const char h[] = "{\"token_type\": \"request\", \"type\" :\n \"response\", \"request\": {}}";

	CHECK(ingest_cloud_head_kv(h, sizeof(h) - 1, "type", "\"response\""));
	CHECK(!ingest_cloud_head_kv(h, sizeof(h) - 1, "type", "\"request\"")); /* token_type's */
	CHECK(ingest_cloud_head_kv(h, sizeof(h) - 1, "request", "{"));
	CHECK(!ingest_cloud_head_kv(h, sizeof(h) - 1, "missing", "{"));
	/* the value may be cut off by the end of the head */
	CHECK(!ingest_cloud_head_kv("{\"type\": \"resp", 14, "type", "\"response\""));
	CHECK(!ingest_cloud_head_kv("{\"type\"", 7, "type", "\"response\""));
}

const struct unit_test cloud_tests[] = {
	{ "cloud_url_decode", test_url_decode },
	{ "cloud_log_kind", test_log_kind },
	{ "cloud_outcomes", test_outcomes },
	{ "cloud_vault_error", test_vault_error },
	{ "cloud_sa_namespace", test_sa_namespace },
	{ "cloud_k8s_ref", test_k8s_ref },
	{ "cloud_ip_like", test_ip_like },
	{ "cloud_time_guard", test_time_guard },
	{ "cloud_first_str", test_first_str },
	{ "cloud_head_kv", test_head_kv },
	{ "cloud_probes", test_probes },
	{ NULL, NULL },
};
