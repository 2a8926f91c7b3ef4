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

#include "../../connectors/private.h"
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
	unlink(db);
	rmdir(dir);
}

const struct unit_test revoke_tests[] = {
	{ "kubeconfig_yaml", test_kubeconfig_yaml },
	{ "kubeconfig_bad", test_kubeconfig_bad },
	{ "kubeconfig_json", test_kubeconfig_json },
	{ "aws_ini", test_aws_ini },
	{ "aws_xml", test_aws_xml },
	{ "b64_url", test_b64_url },
	{ "plan_order", test_plan_order },
	{ "audit_chain", test_audit_chain },
	{ "audit_keyed", test_audit_keyed },
	{ NULL, NULL },
};
