/*
 * test_graph.c - the identity graph: IAM wildcards, the locator lookups the
 * correlator makes (secret for a file path, node exposure), hostile
 * wildcards and self-trust, and an inventory that fails leaving the store
 * as it was.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/core.h"
#include "../../correlate/correlate.h"
#include "../../correlate/graph.h"
#include "../../ingest/inv.h"
#include "unit.h"

static void
test_gmatch(void)
{
	CHECK(gmatch("s3:Get*", "s3:GetObject", 1));
	CHECK(gmatch("S3:GET*", "s3:GetObject", 1));
	CHECK(!gmatch("S3:GET*", "s3:GetObject", 0));
	CHECK(gmatch("*", "", 0));
	CHECK(gmatch("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", 0));
	CHECK(!gmatch("arn:aws:s3:::b/*", "arn:aws:s3:::c/x", 0));
	CHECK(gmatch("a?c", "abc", 0));
	CHECK(!gmatch("a?c", "ac", 0));
	CHECK(gcovers("s3:*", "s3:Get*", 1));
	CHECK(!gcovers("s3:GetObject", "s3:Get*", 1));
	CHECK(glist_match("iam:*\nsts:AssumeRole", "STS:assumerole", 1));
	/* a hostile pattern stays polynomial */
	CHECK(!gmatch("*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0));
}

static struct store *
graph_store(const char *const *kinds, const char *const *files, size_t n)
{
	struct store *s = NULL;
	char *cause = NULL, why[512];
	size_t i;

	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		int rc = inventory_buffer(s, kinds[i], files[i], strlen(files[i]), why, sizeof(why));

		if (rc != CD_OK)
			fprintf(stderr, "  inventory %s: %s\n", kinds[i], why);
		CHECK(rc == CD_OK);
	}
	CHECK(graph_derive(s, 1) == CD_OK);
	return s;
}

static int
has(const struct graph_result *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->hits[i].key, key) == 0)
			return 1;
	return 0;
}

static const char pods[] =
	"{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","
	"\"namespace\":\"prod\",\"uid\":\"u-1\"},\"spec\":{\"nodeName\":\"n1\",\"serviceAccountName\":\"web\","
	"\"containers\":[{\"name\":\"c\",\"volumeMounts\":[{\"name\":\"db\",\"mountPath\":\"/etc/db\"}]}],"
	"\"volumes\":[{\"name\":\"db\",\"secret\":{\"secretName\":\"db-creds\"}}]}},"
	"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"other\",\"namespace\":\"prod\",\"uid\":\"u-2\"},"
	"\"spec\":{\"nodeName\":\"n2\",\"serviceAccountName\":\"other\"}}]}";
static const char nodes[] =
	"{\"kind\":\"NodeList\",\"apiVersion\":\"v1\",\"items\":[{\"metadata\":{\"name\":\"n1\"},"
	"\"spec\":{\"providerID\":\"aws:///us-east-1a/i-0123\"}}]}";
static const char credmap[] =
	"# cordon credential map\n"
	"file:*:/root/.aws/credentials aws AKIAIOSFODNN7EXAMPLE arn:aws:iam::1:user/a\n"
	"file:n2:/etc/ci/*.token github id-7 ci\n"
	"imds:n1 aws - arn:aws:iam::1:role/node\n";

static void
test_secret_for_path(void)
{
	static const char *const kinds[] = { "k8s-inventory", "k8s-inventory", "credmap" };
	static const char *const files[] = { pods, nodes, credmap };
	struct graph_result r;
	struct store *s = graph_store(kinds, files, 3);

	if (s == NULL)
		return;
	CHECK(graph_secret_for_path(s, "n1", "u-1", "/var/run/secrets/kubernetes.io/serviceaccount/token", &r) == CD_OK);
	CHECK(r.n == 1 && has(&r, "sa-token:prod/web"));
	CHECK(r.n == 1 && r.hits[0].npath == 2 && strcmp(r.hits[0].path[0], "prod/web") == 0);
	graph_result_release(&r);
	/* no pod uid: every pod on the host */
	CHECK(graph_secret_for_path(s, "n2", NULL, "/run/secrets/kubernetes.io/serviceaccount/token", &r) == CD_OK);
	CHECK(r.n == 1 && has(&r, "sa-token:prod/other"));
	graph_result_release(&r);
	CHECK(graph_secret_for_path(s, "n1", NULL,
				    "/var/lib/kubelet/pods/u-1/volumes/kubernetes.io~secret/db/password", &r) == CD_OK);
	CHECK(r.n == 1 && has(&r, "k8s-secret:prod/db-creds"));
	graph_result_release(&r);
	CHECK(graph_secret_for_path(s, "n1", "u-1", "/etc/db/password", &r) == CD_OK);
	CHECK(r.n == 1 && has(&r, "k8s-secret:prod/db-creds"));
	graph_result_release(&r);
	CHECK(graph_secret_for_path(s, "n1", "u-1", "/etc/dbx/password", &r) == CD_OK);
	CHECK(r.n == 0);
	graph_result_release(&r);
	CHECK(graph_secret_for_path(s, "n1", NULL, "/root/.aws/credentials", &r) == CD_OK);
	CHECK(r.n == 1 && has(&r, "file:*:/root/.aws/credentials"));
	graph_result_release(&r);
	CHECK(graph_secret_for_path(s, "n2", NULL, "/etc/ci/deploy.token", &r) == CD_OK);
	CHECK(r.n == 1 && has(&r, "file:n2:/etc/ci/*.token"));
	graph_result_release(&r);
	CHECK(graph_secret_for_path(s, "n1", NULL, "/etc/ci/deploy.token", &r) == CD_OK);
	CHECK(r.n == 0);
	graph_result_release(&r);
	CHECK(graph_secret_for_path(s, "n1", NULL, "/var/lib/kubelet/pki/kubelet-client-current.pem", &r) == CD_OK);
	CHECK(r.n == 1 && has(&r, "kubelet-cred:n1"));
	graph_result_release(&r);

	/* escape expansion: secrets, and behind them credentials and identities */
	CHECK(graph_node_exposure(s, "n1", &r) == CD_OK);
	CHECK(has(&r, "sa-token:prod/web") && has(&r, "k8s-secret:prod/db-creds") && has(&r, "imds:n1") &&
	      has(&r, "kubelet-cred:n1") && has(&r, "file:*:/root/.aws/credentials"));
	CHECK(has(&r, "aws:AKIAIOSFODNN7EXAMPLE") && has(&r, "aws:arn:aws:iam::1:role/node") &&
	      has(&r, "k8s:system:serviceaccount:prod:web"));
	CHECK(!has(&r, "sa-token:prod/other") && !has(&r, "file:n2:/etc/ci/*.token"));
	graph_result_release(&r);
	/* by the instance id of its providerID */
	CHECK(graph_node_exposure(s, "i-0123", &r) == CD_OK && has(&r, "imds:n1"));
	graph_result_release(&r);
	CHECK(graph_node_exposure(s, "nope", &r) == CD_E_NOTFOUND);
	CHECK(graph_reach(s, "nope", 0, NULL, &r) == CD_E_NOTFOUND);
	store_close(&s);
}

/* Every role trusts "*" and may assume "*" (and itself): n^2 edges, no loop. */
static void
test_wildcard_roles(void)
{
	static const char *const kinds[] = { "iam-authz" };
	struct buf b;
	struct graph_result r;
	struct store *s;
	int i, rc = CD_OK;

	buf_init(&b, 1 << 20);
	rc = buf_addstr(&b, "{\"RoleDetailList\":[");
	for (i = 0; i < 30 && rc == CD_OK; i++)
		rc = buf_printf(&b,
				"%s{\"Arn\":\"arn:aws:iam::1:role/r%d\",\"AssumeRolePolicyDocument\":{\"Statement\":"
				"[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sts:*\"}]},"
				"\"RolePolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":{\"Statement\":"
				"{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}}]}",
				i ? "," : "", i);
	rc = rc ? rc : buf_addstr(&b, "]}");
	CHECK(rc == CD_OK);
	{
		const char *files[] = { b.data };

		s = graph_store(kinds, files, 1);
	}
	buf_release(&b);
	if (s == NULL)
		return;
	CHECK(graph_reach(s, "arn:aws:iam::1:role/r0", 0, NULL, &r) == CD_OK);
	/* itself, 29 other roles, the aws:* resource */
	CHECK(r.n == 31);
	CHECK(r.n > 0 && r.hits[0].depth == 0 && r.hits[0].parent == -1);
	graph_result_release(&r);
	CHECK(graph_reach(s, "arn:aws:iam::1:role/r0", 1, "aws", &r) == CD_OK && r.n == 31);
	graph_result_release(&r);
	store_close(&s);
}

/*
 * A trust naming a role session (assumed-role/ROLE/SESSION) lets ROLE's
 * sessions assume it, conditionally (only that session name); a path on
 * ROLE's ARN does not hide it; a session of an unknown role adds nothing.
 */
static void
test_session_principal(void)
{
	static const char *const kinds[] = { "iam-authz" };
	static const char doc[] =
		"{\"RoleDetailList\":["
		"{\"Arn\":\"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/SSO_Admin_1a\","
		"\"AssumeRolePolicyDocument\":{\"Statement\":[]},"
		"\"RolePolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":{\"Statement\":"
		"{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}}]},"
		"{\"Arn\":\"arn:aws:iam::111122223333:role/target\",\"AssumeRolePolicyDocument\":{\"Statement\":"
		"[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
		"\"arn:aws:sts::111122223333:assumed-role/SSO_Admin_1a/alice@example.com\"},"
		"\"Action\":\"sts:AssumeRole\"}]}},"
		"{\"Arn\":\"arn:aws:iam::111122223333:role/other\",\"AssumeRolePolicyDocument\":{\"Statement\":"
		"[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
		"\"arn:aws:sts::111122223333:assumed-role/NoSuchRole/bob\"},"
		"\"Action\":\"sts:AssumeRole\"}]}}]}";
	const char *files[] = { doc };
	struct graph_result r;
	struct store *s = graph_store(kinds, files, 1);
	size_t i;
	int target = 0, other = 0;

	if (s == NULL) {
		CHECK(0);
		return;
	}
	CHECK(graph_reach(s, "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/SSO_Admin_1a", 0,
			  NULL, &r) == CD_OK);
	for (i = 0; i < r.n; i++) {
		if (strcmp(r.hits[i].key, "aws:arn:aws:iam::111122223333:role/target") == 0)
			target = r.hits[i].conditional ? 2 : 1;
		if (strcmp(r.hits[i].key, "aws:arn:aws:iam::111122223333:role/other") == 0)
			other = 1;
	}
	CHECK(target == 2);
	CHECK(other == 0);
	graph_result_release(&r);
	store_close(&s);
}

/* A bad file in a transaction leaves what an earlier good load stored. */
static void
test_bad_inventory(void)
{
	struct store *s = NULL;
	char *cause = NULL, why[512];
	sqlite3_stmt *st;
	int64_t before = -1, after = -2;

	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	CHECK(inventory_buffer(s, "credmap", credmap, strlen(credmap), why, sizeof(why)) == CD_OK);
	before = store_count(s, "graph_edges");
	CHECK(inventory_buffer(s, "credmap", "# cordon credential map\nbogus:x aws a b\n", 40, why,
			       sizeof(why)) == CD_E_PARSE);
	CHECK(strstr(why, "line 2") != NULL && strstr(why, "unknown location kind") != NULL);
	CHECK(inventory_buffer(s, "iam-authz", "{\"RoleDetailList\":[{\"Arn\":\"x\",", 30, why, sizeof(why)) ==
	      CD_E_PARSE);
	CHECK(inventory_buffer(s, "k8s-inventory", "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\"}]}", 40, why,
			       sizeof(why)) == CD_E_PARSE);
	CHECK(strstr(why, "metadata.name") != NULL);
	CHECK(inventory_buffer(s, "vault-policy", "path \"a\" { capabilities = [\"read\" ", 35, why,
			       sizeof(why)) == CD_E_PARSE);
	after = store_count(s, "graph_edges");
	CHECK(before == after && before > 0);
	if (sqlite3_prepare_v2(store_db(s), "SELECT count(*) FROM graph_nodes WHERE key = 'bogus:x'", -1, &st,
			       NULL) == SQLITE_OK) {
		CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
		sqlite3_finalize(st);
	}
	store_close(&s);
}

/* The lambda inventory: probed, names kept, values never, bad input refused. */
static void
test_lambda_inventory(void)
{
	static const char fn[] =
		"{\"Functions\":[{\"FunctionName\":\"f1\",\"FunctionArn\":"
		"\"arn:aws:lambda:eu-west-1:123456789012:function:f1\",\"Runtime\":\"nodejs20.x\","
		"\"Role\":\"arn:aws:iam::123456789012:role/f1-exec\",\"Environment\":{\"Variables\":"
		"{\"TOKEN\":\"ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\",\"MODE\":\"fast-secret-mode\"}}}]}";
	struct store *s = NULL;
	char *cause = NULL, why[512];
	sqlite3_stmt *st;

	CHECK(inventory_choose(NULL, fn, sizeof(fn) - 1) == inventory_find("lambda"));
	/* a CloudTrail file naming a function is not an inventory */
	CHECK(inventory_choose(NULL, "{\"Records\":[{\"eventName\":\"Invoke\",\"functionName\":\"f\"}]}", 55) == NULL);
	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	CHECK(inventory_buffer(s, "lambda", fn, sizeof(fn) - 1, why, sizeof(why)) == CD_OK);
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT json_extract(attrs, '$.static_secrets'), json_extract(attrs, '$.env_names'),"
			       " json_extract(attrs, '$.region'), (SELECT count(*) FROM graph_nodes WHERE"
			       " instr(coalesce(attrs, '') || key || coalesce(label, ''), 'ghp_') > 0"
			       " OR instr(coalesce(attrs, '') || key, 'fast-secret-mode') > 0)"
			       " FROM graph_nodes WHERE kind = 'function'",
			       -1, &st, NULL) == SQLITE_OK) {
		CHECK(sqlite3_step(st) == SQLITE_ROW);
		CHECK(strcmp((const char *)sqlite3_column_text(st, 0), "[\"TOKEN\"]") == 0);
		CHECK(strcmp((const char *)sqlite3_column_text(st, 1), "[\"TOKEN\",\"MODE\"]") == 0);
		CHECK(strcmp((const char *)sqlite3_column_text(st, 2), "eu-west-1") == 0);
		CHECK(sqlite3_column_int(st, 3) == 0); /* no value anywhere */
		sqlite3_finalize(st);
	} else {
		CHECK(0);
	}
	CHECK(inventory_buffer(s, "lambda", "{\"Functions\":[{\"FunctionName\":\"x\"}]}", 36, why,
			       sizeof(why)) == CD_E_PARSE);
	CHECK(strstr(why, "FunctionArn") != NULL);
	CHECK(inventory_buffer(s, "lambda", "{\"FunctionName\":\"x\",\"FunctionArn\":\"arn:aws:s3:::b\"}", 48,
			       why, sizeof(why)) == CD_E_PARSE);
	CHECK(inventory_buffer(s, "lambda", "{\"Functions\":{}}", 16, why, sizeof(why)) == CD_E_PARSE);
	store_close(&s);
}

/*
 * The parsing thread's repeat check: an event the writer's learner would
 * drop as a repeat is not wanted, one it would learn from is, and the
 * learner still counts an unwanted event for the mark and learns from the
 * wanted ones.
 */
static void
test_learner_wants(void)
{
	struct store *s = NULL;
	struct graph_learner *g;
	struct event a, b, none, vault;
	struct ev_arena ar;
	char *cause = NULL;
	sqlite3_stmt *st;

	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	ev_arena_init(&ar, 4096);
	ev_reset(&a, &ar);
	a.source = "cloudtrail";
	a.actor = "arn:aws:iam::123456789012:user/ci";
	a.cred_id = "AKIAWANTS00000000001";
	b = a;
	b.cred_id = "AKIAWANTS00000000002";
	ev_reset(&none, &ar);
	none.source = "cloudtrail";
	none.actor = "arn:aws:iam::123456789012:user/ci";
	ev_reset(&vault, &ar);
	vault.source = "vault";
	vault.cred_id = "hmac-sha256:00aa";
	g = graph_learner_new(s);
	CHECK(store_begin(s) == CD_OK);
	CHECK(graph_learner_wants(g, &a) == 1);
	CHECK(graph_learner_wants(g, &a) == 0);  /* the same facts again */
	CHECK(graph_learner_wants(g, &b) == 1);  /* another key of the same user */
	CHECK(graph_learner_wants(g, &none) == 0); /* nothing to learn from */
	CHECK(graph_learner_wants(g, &vault) == 1);
	CHECK(graph_learner_wants(g, &vault) == 1); /* decided by its extras */
	CHECK(graph_learner_event(g, &a, 1) == CD_OK);
	CHECK(graph_learner_event(g, NULL, 2) == CD_OK);
	CHECK(graph_learner_event(g, &b, 3) == CD_OK);
	CHECK(graph_learner_commit(g) == CD_OK);
	CHECK(store_commit(s) == CD_OK);
	graph_learner_free(&g);
	CHECK(sqlite3_prepare_v2(store_db(s),
				 "SELECT (SELECT count(*) FROM graph_nodes WHERE kind = 'credential' AND"
				 " key LIKE 'aws:AKIAWANTS%'), (SELECT value FROM meta WHERE key = '"
				 GRAPH_META_LEARNED "')", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK(sqlite3_column_int(st, 0) == 2);
	CHECK(sqlite3_column_int(st, 1) == 3);
	sqlite3_finalize(st);
	ev_arena_release(&ar);
	store_close(&s);
}

const struct unit_test graph_tests[] = {
	{ "graph_learner_wants", test_learner_wants },
	{ "graph_lambda_inventory", test_lambda_inventory },
	{ "graph_gmatch", test_gmatch },
	{ "graph_secret_for_path", test_secret_for_path },
	{ "graph_wildcard_roles", test_wildcard_roles },
	{ "graph_session_principal", test_session_principal },
	{ "graph_bad_inventory", test_bad_inventory },
	{ NULL, NULL },
};
