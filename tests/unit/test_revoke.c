/*
 * test_revoke.c - unit tests for connectors/ and revoke/: the parsers of
 * untrusted configuration and responses (kubeconfig YAML subset, ~/.aws
 * INI, AWS XML, base64), plan ordering, and the audit hash chain, its key
 * and its witness.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../connectors/aws.h"
#include "../../revoke/private.h"
#include "unit.h"

/* Parse a kubeconfig text and check path=value pairs ({NULL, NULL} ends). */
static void
check_kubeconfig(const char *text, size_t len, const char *const want[][2])
{
	struct kv_doc d;
	const char *why;
	size_t i;

	CHECK(kv_parse(text, len, &d, &why) == CD_OK);
	for (i = 0; want[i][0] != NULL; i++)
		CHECK_STR(kv_get(&d, want[i][0]), want[i][1]);
	kv_release(&d);
}

static void
test_kubeconfig_yaml(void)
{
	static const char kc[] =
		"apiVersion: v1\n"
		"kind: Config\n"
		"# a comment\n"
		"clusters:\n"
		"- cluster:\n"
		"    certificate-authority-data: QUJD\n"
		"    server: https://127.0.0.1:6443   # trailing comment\n"
		"  name: c1\n"
		"- name: \"c2\"\n"
		"  cluster:\n"
		"    server: 'https://b:1'\n"
		"contexts:\n"
		"  - context:\n"
		"      cluster: c2\n"
		"      user: u1\n"
		"    name: ctx\n"
		"current-context: ctx\n"
		"users:\n"
		"- name: u1\n"
		"  user:\n"
		"    token: \"a#b\"\n"
		"    exec:\n"
		"      args:\n"
		"      - one\n"
		"      - two\n"
		"preferences: {}\n";
	static const char *const want[][2] = {
		{ "clusters[0].cluster.server", "https://127.0.0.1:6443" },
		{ "clusters[0].cluster.certificate-authority-data", "QUJD" },
		{ "clusters[0].name", "c1" },
		{ "clusters[1].name", "c2" },
		{ "clusters[1].cluster.server", "https://b:1" },
		{ "contexts[0].context.cluster", "c2" },
		{ "contexts[0].name", "ctx" },
		{ "current-context", "ctx" },
		{ "users[0].user.token", "a#b" },
		{ "users[0].user.exec.args[1]", "two" },
		{ "preferences", "" },
		{ NULL, NULL },
	};
	struct kv_doc d;
	const char *why;

	check_kubeconfig(kc, sizeof(kc) - 1, want);
	CHECK(kv_parse(kc, sizeof(kc) - 1, &d, &why) == CD_OK);
	CHECK(kv_find_named(&d, "clusters", "c2") == 1);
	CHECK(kv_find_named(&d, "clusters", "nope") == -1);
	kv_release(&d);
}

static void
test_kubeconfig_bad(void)
{
	static const char *const bad[] = {
		"a: 1\n\tb: 2\n",            /* tab indentation */
		"a:\n  b: 1\n c: 2\n",       /* dedent to no known level */
		"- x\n",                     /* a list with no key */
		"a: \"unterminated\n",
		"{\"a\": [1, 2",             /* truncated JSON */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kv_doc d;
		const char *why = NULL;

		CHECK(kv_parse(bad[i], strlen(bad[i]), &d, &why) != CD_OK);
		CHECK(why != NULL);
	}
}

static void
test_kubeconfig_json(void)
{
	static const char kc[] = "{\"current-context\":\"x\",\"contexts\":[{\"name\":\"x\","
				 "\"context\":{\"cluster\":\"c\",\"user\":\"u\"}}],"
				 "\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"https://h\"}}]}";
	static const char *const want[][2] = {
		{ "contexts[0].context.user", "u" },
		{ "clusters[0].cluster.server", "https://h" },
		{ NULL, NULL },
	};

	check_kubeconfig(kc, sizeof(kc) - 1, want);
}

/* Flow style, every quoting, anchors, aliases and merge keys (libyaml). */
static void
test_kubeconfig_flow_anchors(void)
{
	static const char kc[] =
		"apiVersion: v1\ncurrent-context: \"c\\u0031\"\n"
		"clusters: [{name: 'it''s', cluster: &base {server: \"https://a:1\", x: [1, 2]}},\n"
		"           {name: b, cluster: {<<: *base, server: https://b:2}},\n"
		"           {name: m, cluster: {<<: [{server: https://first}, {server: https://second, y: z}]}},\n"
		"           {name: al, cluster: *base}]\n"
		"users:\n"
		"- name: u\n"
		"  user:\n"
		"    token: ~\n"
		"    tokenFile: null\n"
		"    client-key: |\n"
		"      line1\n"
		"      line2\n"
		"    kubernetes.io/x: 1\n"
		"    ok: \"a.b\"\n";
	static const char *const want[][2] = {
		{ "current-context", "c1" },
		{ "clusters[0].name", "it's" },
		{ "clusters[0].cluster.x[1]", "2" },
		{ "clusters[1].cluster.server", "https://b:2" },
		{ "clusters[1].cluster.x[0]", "1" },
		{ "clusters[2].cluster.server", "https://first" },
		{ "clusters[2].cluster.y", "z" },
		{ "clusters[3].cluster.server", "https://a:1" },
		{ "users[0].user.token", "" },
		{ "users[0].user.tokenFile", "" },
		{ "users[0].user.client-key", "line1\nline2\n" },
		{ "users[0].user.ok", "a.b" },
		{ NULL, NULL },
	};
	struct kv_doc d;
	const char *why;
	size_t i, n = 0;

	check_kubeconfig(kc, sizeof(kc) - 1, want);
	CHECK(kv_parse(kc, sizeof(kc) - 1, &d, &why) == CD_OK);
	CHECK(kv_find_named(&d, "clusters", "al") == 3);
	/* an explicit key beats a merged one: one server for b, not two */
	for (i = 0; i < d.n; i++)
		n += strcmp(d.e[i].path, "clusters[1].cluster.server") == 0;
	CHECK(n == 1);
	/* a key with '.' would make paths ambiguous: skipped */
	for (i = 0; i < d.n; i++)
		CHECK(strstr(d.e[i].path, "kubernetes") == NULL);
	kv_release(&d);
}

/* Hostile YAML: alias bombs, cycles, deep nesting, huge flows fail cleanly. */
static void
test_kubeconfig_hostile(void)
{
	struct buf b;
	const char *why;
	struct kv_doc d;
	int i, k;

	/* a billion laughs: 10^9 scalars if expanded */
	buf_init(&b, 1 << 20);
	CHECK(buf_addstr(&b, "a: &a [x, x, x, x, x, x, x, x, x, x]\n") == CD_OK);
	for (i = 1; i < 10; i++) {
		CHECK(buf_printf(&b, "%c: &%c [", 'a' + i, 'a' + i) == CD_OK);
		for (k = 0; k < 10; k++)
			CHECK(buf_printf(&b, "%s*%c", k ? ", " : "", 'a' + i - 1) == CD_OK);
		CHECK(buf_addstr(&b, "]\n") == CD_OK);
	}
	why = NULL;
	CHECK(kv_parse(b.data, b.len, &d, &why) == CD_E_LIMIT);
	CHECK(why != NULL && strstr(why, "alias") != NULL);
	/* empty collections expanded the same way: caught by the visit count */
	buf_reset(&b);
	CHECK(buf_addstr(&b, "a: &a [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}]\n") == CD_OK);
	for (i = 1; i < 10; i++) {
		CHECK(buf_printf(&b, "%c: &%c [", 'a' + i, 'a' + i) == CD_OK);
		for (k = 0; k < 10; k++)
			CHECK(buf_printf(&b, "%s*%c", k ? ", " : "", 'a' + i - 1) == CD_OK);
		CHECK(buf_addstr(&b, "]\n") == CD_OK);
	}
	why = NULL;
	CHECK(kv_parse(b.data, b.len, &d, &why) == CD_E_LIMIT && why != NULL);
	/* a mapping merging itself, a sequence holding itself */
	why = NULL;
	CHECK(kv_parse("a: &a {<<: *a, b: 1}\n", 20, &d, &why) != CD_OK || (kv_release(&d), 1));
	why = NULL;
	CHECK(kv_parse("a: &a [*a, 1]\n", 14, &d, &why) != CD_OK);
	CHECK(why != NULL);
	/* 100000 nested flow sequences: refused before any tree is built */
	buf_reset(&b);
	CHECK(buf_addstr(&b, "a: ") == CD_OK);
	for (i = 0; i < 100000; i++)
		CHECK(buf_addc(&b, '[') == CD_OK);
	for (i = 0; i < 100000; i++)
		CHECK(buf_addc(&b, ']') == CD_OK);
	why = NULL;
	CHECK(kv_parse(b.data, b.len, &d, &why) == CD_E_LIMIT);
	CHECK(why != NULL && strstr(why, "deep") != NULL);
	/* deep block nesting, just past the limit */
	buf_reset(&b);
	for (i = 0; i < 40; i++)
		CHECK(buf_printf(&b, "%*sk%d:\n", i, "", i) == CD_OK);
	CHECK(buf_printf(&b, "%*sv: 1\n", 40, "") == CD_OK);
	why = NULL;
	CHECK(kv_parse(b.data, b.len, &d, &why) == CD_E_LIMIT);
	/* a duplicate key, a non-scalar key, a NUL, a top-level list, a tab */
	CHECK(kv_parse("a: 1\na: 2\n", 10, &d, &why) == CD_E_PARSE && why != NULL);
	CHECK(kv_parse("? [a]\n: 1\n", 10, &d, &why) == CD_E_PARSE);
	CHECK(kv_parse("a: \"x\\0y\"\n", 10, &d, &why) == CD_E_PARSE);
	CHECK(kv_parse("a: b\0c\n", 7, &d, &why) == CD_E_PARSE);
	CHECK(kv_parse("- a\n", 4, &d, &why) == CD_E_PARSE);
	/* an unknown alias, an empty document */
	CHECK(kv_parse("a: *nope\n", 9, &d, &why) == CD_E_PARSE);
	CHECK(kv_parse("", 0, &d, &why) == CD_OK && d.n == 0);
	kv_release(&d);
	CHECK(kv_parse("# only a comment\n", 17, &d, &why) == CD_OK && d.n == 0);
	kv_release(&d);
	buf_release(&b);
}

/* kubectl's merge: first file to set current-context wins; named entries
 * by first occurrence, whole; each entry keeps its file. */
static void
test_kubeconfig_merge(void)
{
	static const char f1[] = "current-context: \"\"\n"
				 "users:\n- name: u\n  user: {token: first}\n";
	static const char f2[] = "current-context: two\n"
				 "clusters:\n- name: c\n  cluster: {server: https://two}\n"
				 "users:\n- name: u\n  user: {token: second, tokenFile: /x}\n"
				 "- name: v\n  user: {token: v2}\n";
	static const char f3[] = "current-context: three\n"
				 "clusters:\n- name: c\n  cluster: {server: https://three}\n"
				 "- name: d\n  cluster: {server: https://d}\n";
	struct kc_set s;
	struct kc_ref r;
	char *cause = NULL;
	int file = -1;

	memset(&s, 0, sizeof(s));
	CHECK(kc_set_add_text(&s, "/k/one", f1, sizeof(f1) - 1, &cause) == CD_OK);
	CHECK(kc_set_add_text(&s, "/k/two", f2, sizeof(f2) - 1, &cause) == CD_OK);
	CHECK(kc_set_add_text(&s, "/k/three", f3, sizeof(f3) - 1, &cause) == CD_OK);
	/* an empty value does not set it */
	CHECK_STR(kc_top(&s, "current-context", &file), "two");
	CHECK(file == 1);
	CHECK(kc_named(&s, "users", "u", &r) == CD_OK && r.file == 0);
	CHECK_STR(kc_field(&s, r, "users", "user.token"), "first");
	/* the whole entry: no tokenFile from the second file's "u" */
	CHECK(kc_field(&s, r, "users", "user.tokenFile") == NULL);
	CHECK(kc_named(&s, "users", "v", &r) == CD_OK && r.file == 1);
	CHECK(kc_named(&s, "clusters", "c", &r) == CD_OK && r.file == 1);
	CHECK_STR(kc_field(&s, r, "clusters", "cluster.server"), "https://two");
	CHECK_STR(kc_path(&s, r), "/k/two");
	CHECK(kc_named(&s, "clusters", "d", &r) == CD_OK && r.file == 2 && r.idx == 1);
	CHECK(kc_named(&s, "clusters", "none", &r) == CD_E_NOTFOUND && r.file == -1);
	CHECK(kc_field(&s, r, "clusters", "cluster.server") == NULL);
	/* a file that does not parse: named in the message */
	CHECK(kc_set_add_text(&s, "/k/bad", "a: [", 4, &cause) == CD_E_PARSE);
	CHECK(cause != NULL && strstr(cause, "/k/bad") != NULL);
	free(cause);
	kc_set_release(&s);
}

static void
test_aws_ini(void)
{
	static const char ini[] = "[default]\n"
				  "aws_access_key_id = AKIADEFAULT\n"
				  "; comment\n"
				  "[profile ir]\n"
				  "region: eu-west-1\n"
				  "s3 =\n"
				  "  max_concurrent_requests = 10\n"
				  "AWS_Secret_Access_Key=a#b;c=\n"
				  "[ir]\n"
				  "aws_access_key_id=AKIAIR\n";
	char *v;

	CHECK(ini_get(ini, sizeof(ini) - 1, "default", "aws_access_key_id", &v) == CD_OK);
	CHECK_STR(v, "AKIADEFAULT");
	free(v);
	CHECK(ini_get(ini, sizeof(ini) - 1, "profile ir", "region", &v) == CD_OK);
	CHECK_STR(v, "eu-west-1");
	free(v);
	CHECK(ini_get(ini, sizeof(ini) - 1, "profile ir", "aws_secret_access_key", &v) == CD_OK);
	CHECK_STR(v, "a#b;c=");
	free(v);
	CHECK(ini_get(ini, sizeof(ini) - 1, "profile ir", "max_concurrent_requests", &v) ==
	      CD_E_NOTFOUND);
	CHECK(ini_get(ini, sizeof(ini) - 1, "ir", "aws_access_key_id", &v) == CD_OK);
	CHECK_STR(v, "AKIAIR");
	free(v);
	CHECK(ini_get("[broken\n", 8, "x", "y", &v) == CD_E_PARSE);
}

/* credential_process lines split as a POSIX shell quotes words. */
static void
test_aws_split_args(void)
{
	static const struct {
		const char *line;
		const char *want[5]; /* NULL ends; want[0] NULL: an error */
	} cases[] = {
		{ "/usr/bin/helper --profile x", { "/usr/bin/helper", "--profile", "x", NULL } },
		{ "  tool  'a b'  \"c \\\" d\" ", { "tool", "a b", "c \" d", NULL } },
		{ "x a\\ b 'it'\"s\"", { "x", "a b", "its", NULL } },
		{ "x \"$HOME\" ;rm", { "x", "$HOME", ";rm", NULL } },
		{ "x 'open", { NULL } },
		{ "x \"open", { NULL } },
		{ "   ", { NULL } },
	};
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char **argv = NULL, *cause = NULL;
		int r = aws_split_args(cases[i].line, &argv, &cause);

		if (cases[i].want[0] == NULL) {
			CHECK(r != CD_OK && argv == NULL && cause != NULL);
			free(cause);
			continue;
		}
		CHECK(r == CD_OK && argv != NULL);
		for (k = 0; r == CD_OK && cases[i].want[k] != NULL; k++)
			CHECK_STR(argv[k], cases[i].want[k]);
		CHECK(r != CD_OK || argv[k] == NULL);
		aws_free_args(argv);
	}
}

static void
test_aws_ini_sections(void)
{
	static const char ini[] = "[default]\n[ profile ir ]\n  [indented]\nx = [not]\n[sso-session corp]\n";

	CHECK(ini_has_section(ini, sizeof(ini) - 1, "default"));
	CHECK(ini_has_section(ini, sizeof(ini) - 1, "profile ir"));
	CHECK(ini_has_section(ini, sizeof(ini) - 1, "sso-session corp"));
	CHECK(ini_has_section(ini, sizeof(ini) - 1, "indented"));
	CHECK(!ini_has_section(ini, sizeof(ini) - 1, "not"));
	CHECK(!ini_has_section(ini, sizeof(ini) - 1, "profile"));
}

/* The credential JSON of credential_process, containers and IMDS. */
static void
test_aws_creds_json(void)
{
	static const char proc[] = "{\"Version\":1,\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\\u0031\","
				   "\"SessionToken\":\"t\",\"Expiration\":\"2030-01-02T03:04:05Z\"}";
	static const char nover[] = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}";
	static const char v2[] = "{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}";
	static const char badexp[] = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"soon\"}";
	static const char nosecret[] = "{\"AccessKeyId\":\"A\",\"Token\":\"t\"}";
	struct aws_creds c = { 0 };
	char *cause = NULL;

	CHECK(aws_creds_from_json(proc, sizeof(proc) - 1, "SessionToken", 1, "p", &c, &cause) == CD_OK);
	CHECK_STR(c.akid, "ASIA1");
	CHECK_STR(c.secret, "s1");
	CHECK_STR(c.token, "t");
	CHECK(c.expires_ns == 1893553445LL * 1000000000LL);
	CHECK(aws_creds_from_json(nover, sizeof(nover) - 1, "Token", 0, "c", &c, &cause) == CD_OK);
	CHECK(c.token == NULL && c.expires_ns == 0);
	CHECK(aws_creds_from_json(nover, sizeof(nover) - 1, "SessionToken", 1, "p", &c, &cause) != CD_OK);
	CHECK(cause != NULL && strstr(cause, "Version") != NULL);
	CHECK(aws_creds_from_json(v2, sizeof(v2) - 1, "SessionToken", 1, "p", &c, &cause) != CD_OK);
	CHECK(aws_creds_from_json(badexp, sizeof(badexp) - 1, "Token", 0, "c", &c, &cause) != CD_OK);
	CHECK(aws_creds_from_json(nosecret, sizeof(nosecret) - 1, "Token", 0, "c", &c, &cause) != CD_OK);
	CHECK(aws_creds_from_json("[]", 2, "Token", 0, "c", &c, &cause) != CD_OK);
	free(cause);
	aws_creds_release(&c);
}

static void
test_aws_xml(void)
{
	static const char x[] =
		"<?xml version=\"1.0\"?><ListAccessKeysResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
		"<ListAccessKeysResult><AccessKeyMetadata>"
		"<member><AccessKeyId>AKIA1</AccessKeyId><Status>Active</Status></member>"
		"<!-- <member><AccessKeyId>AKIAFAKE</AccessKeyId></member> -->"
		"<member><AccessKeyId>AKIA2</AccessKeyId><Status>Inactive</Status><UserName>a&amp;b&#x41;</UserName></member>"
		"</AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult>"
		"<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListAccessKeysResponse>";
	struct span s = { x, sizeof(x) - 1 }, meta, m, v;
	const char *cur;
	char out[64];
	int n = 0;

	CHECK(xml_find(s, "AccessKeyMetadata", &meta) == CD_OK);
	cur = meta.p;
	while (xml_next(meta, &cur, "member", &m) == CD_OK) {
		n++;
		CHECK(xml_find(m, "AccessKeyId", &v) == CD_OK);
	}
	CHECK(n == 2);
	CHECK(xml_find(s, "UserName", &v) == CD_OK && xml_text(v, out, sizeof(out)) == CD_OK);
	CHECK_STR(out, "a&bA");
	CHECK(xml_find(s, "RequestId", &v) == CD_OK && xml_text(v, out, sizeof(out)) == CD_OK);
	CHECK_STR(out, "req-1");
	CHECK(xml_find(s, "Nope", &v) == CD_E_NOTFOUND);
	s.n = 60; /* cut inside an element */
	CHECK(xml_find(s, "ListAccessKeysResult", &v) != CD_OK);
	v.p = "&bogus;";
	v.n = 7;
	CHECK(xml_text(v, out, sizeof(out)) == CD_E_PARSE);
	v.p = "abcdef";
	v.n = 6;
	CHECK(xml_text(v, out, 4) == CD_E_LIMIT);
}

static void
test_b64_url(void)
{
	char *o;
	size_t n;
	struct buf b;

	CHECK(b64_decode("aGVs\nbG8=", 9, &o, &n) == CD_OK && n == 5 && memcmp(o, "hello", 5) == 0);
	free(o);
	CHECK(b64_decode("a$b", 3, &o, &n) == CD_E_PARSE);
	CHECK(b64_decode("QQ==QQ", 6, &o, &n) == CD_E_PARSE);
	buf_init(&b, 64);
	CHECK(url_encode(&b, "a b/c~=", 7) == CD_OK);
	CHECK_STR(b.data, "a%20b%2Fc~%3D");
	buf_release(&b);
}

static void
test_plan_order(void)
{
	struct plan p;
	char *cause = NULL;
	static const char js[] =
		"{\"plan\":[{\"provider\":\"webhook\",\"action\":\"notify\",\"target\":\"hi\"},"
		"{\"provider\":\"aws\",\"action\":\"rotate-key\",\"target\":\"AKIAXXXXXXXXXXXXXXXX\"},"
		"{\"provider\":\"aws\",\"action\":\"enable-key\",\"target\":\"AKIAXXXXXXXXXXXXXXXX\"},"
		"{\"provider\":\"k8s\",\"action\":\"delete-pod\",\"target\":\"ns/p\"},"
		"{\"provider\":\"nope\",\"action\":\"x\",\"target\":\"y\"},"
		"{\"provider\":\"k8s\",\"action\":\"delete-pod\",\"target\":\"ns/p\"}]}";

	plan_init(&p);
	CHECK(plan_from_json(js, sizeof(js) - 1, &p, &cause) == CD_OK);
	CHECK(p.n == 5); /* the duplicate is dropped */
	if (p.n == 5) {
		CHECK_STR(p.steps[0].action, "delete-pod");
		CHECK_STR(p.steps[1].action, "rotate-key");
		/* undo-only actions and unknown providers are manual, never run */
		CHECK(p.steps[2].manual && p.steps[3].manual);
		CHECK_STR(p.steps[4].action, "notify");
		CHECK(p.steps[4].id == 5);
	}
	plan_release(&p);
	plan_init(&p);
	CHECK(plan_from_json("{\"x\":1}", 7, &p, &cause) == CD_E_PARSE && cause != NULL);
	free(cause);
	plan_release(&p);
}

static void
append_n(struct store *s, int n)
{
	struct audit_row r;
	char *cause = NULL;
	int i;

	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.ts_ns = 1000 + i;
		r.who = "t@h";
		r.provider = "aws";
		r.action = "disable-key";
		r.target = "AKIA";
		r.result = i % 2 ? "done" : AUDIT_INTENT;
		r.http_status = i % 2 ? 200 : EV_NULL;
		r.undo_of = EV_NULL;
		CHECK(audit_append(s, &r, &cause) == CD_OK);
		free(cause);
		cause = NULL;
	}
}

static int
verify(struct store *s, const char *witness, int64_t *rows, int64_t *bad)
{
	struct audit_check ck;
	int r;

	memset(&ck, 0, sizeof(ck));
	ck.witness = witness;
	r = audit_verify(s, &ck);
	*rows = ck.rows;
	*bad = ck.bad_id;
	audit_check_release(&ck);
	return r;
}

static void
test_audit_chain(void)
{
	struct store *s;
	char *cause = NULL;
	int64_t rows, bad;

	CHECK(store_open(":memory:", 0, &s, &cause) == CD_OK);
	if (s == NULL)
		return;
	append_n(s, 3);
	CHECK(verify(s, NULL, &rows, &bad) == CD_OK && rows == 3);
	sqlite3_exec(store_db(s), "UPDATE actions SET http_status=500 WHERE id=2", NULL, NULL, NULL);
	CHECK(verify(s, NULL, &rows, &bad) == CD_E_PARSE && bad == 2);
	sqlite3_exec(store_db(s), "UPDATE actions SET http_status=200 WHERE id=2", NULL, NULL, NULL);
	CHECK(verify(s, NULL, &rows, &bad) == CD_OK);
	sqlite3_exec(store_db(s), "DELETE FROM actions WHERE id=3", NULL, NULL, NULL);
	CHECK(verify(s, NULL, &rows, &bad) == CD_E_PARSE && bad == 3);
	store_close(&s);
}

/* A file store: the key beside it (0600, first keyed row 1), a changed
 * key breaks the chain, a malformed key or witness is an error. */
static void
test_audit_keyed(void)
{
	char dir[] = "/tmp/cordon-unit-audit.XXXXXX", db[128], key[160], wit[160], text[512];
	struct audit_key k;
	struct audit_witness w;
	struct store *s = NULL;
	struct stat sb;
	unsigned char h[32];
	char *cause = NULL;
	int64_t rows, bad, id;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/a.db", dir);
	snprintf(key, sizeof(key), "%s.key", db);
	snprintf(wit, sizeof(wit), "%s.witness", db);
	CHECK(store_open(db, 0, &s, &cause) == CD_OK);
	if (s == NULL)
		return;
	append_n(s, 4);
	CHECK(stat(key, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(audit_key_load(key, &k, &cause) == CD_OK && k.present && k.from == 1);
	audit_key_release(&k);
	CHECK(audit_head(s, &id, h) == CD_OK && id == 4);
	CHECK(audit_witness_append(wit, id, h, &cause) == CD_OK);
	CHECK(stat(wit, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(verify(s, wit, &rows, &bad) == CD_OK && rows == 4);
	/* the last two rows cut off, meta's head made to match: the witness knows */
	sqlite3_exec(store_db(s),
		     "DELETE FROM actions WHERE id > 2; UPDATE meta SET value = '2:' ||"
		     " lower(hex((SELECT hash FROM actions WHERE id = 2))) WHERE key = 'audit_head'",
		     NULL, NULL, NULL);
	CHECK(verify(s, NULL, &rows, &bad) == CD_OK && rows == 2);
	CHECK(verify(s, wit, &rows, &bad) == CD_E_PARSE && bad == 3);
	/* another key: every keyed row fails */
	f = fopen(key, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs("cordon-audit-key 1\nfrom 1\nkey "
		      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		      f);
		fclose(f);
	}
	CHECK(verify(s, NULL, &rows, &bad) == CD_E_PARSE && bad == 1);
	/* not a key file: an error, not "broken" */
	f = fopen(key, "w");
	if (f != NULL) {
		fputs("cordon-audit-key 1\nfrom x\n", f);
		fclose(f);
	}
	CHECK(verify(s, NULL, &rows, &bad) == CD_E_IO);
	/* witness lines: "ROW HASH ..." only */
	f = fopen(wit, "w");
	if (f != NULL) {
		fputs("3 zz\n", f);
		fclose(f);
	}
	CHECK(audit_witness_load(wit, &w, &cause) == CD_E_PARSE && cause != NULL);
	free(cause);
	cause = NULL;
	CHECK(audit_witness_load("/nonexistent/w", &w, &cause) == CD_E_NOTFOUND);
	store_close(&s);
	unlink(key);
	unlink(wit);
	snprintf(text, sizeof(text), "%s-wal", db);
	unlink(text);
	snprintf(text, sizeof(text), "%s-shm", db);
	unlink(text);
	snprintf(text, sizeof(text), "%s-writers", db);
	unlink(text);
	unlink(db);
	rmdir(dir);
}

const struct unit_test revoke_tests[] = {
	{ "kubeconfig_yaml", test_kubeconfig_yaml },
	{ "kubeconfig_bad", test_kubeconfig_bad },
	{ "kubeconfig_json", test_kubeconfig_json },
	{ "kubeconfig_flow_anchors", test_kubeconfig_flow_anchors },
	{ "kubeconfig_hostile", test_kubeconfig_hostile },
	{ "kubeconfig_merge", test_kubeconfig_merge },
	{ "aws_ini", test_aws_ini },
	{ "aws_xml", test_aws_xml },
	{ "aws_split_args", test_aws_split_args },
	{ "aws_ini_sections", test_aws_ini_sections },
	{ "aws_creds_json", test_aws_creds_json },
	{ "b64_url", test_b64_url },
	{ "plan_order", test_plan_order },
	{ "audit_chain", test_audit_chain },
	{ "audit_keyed", test_audit_keyed },
	{ NULL, NULL },
};
