/*
 * test_core.c - unit tests for core/: buffers, cursor parsers, time, SHA-256,
 * JSON navigation, container ids, cgroup attribution, redaction.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "../../core/core.h"
#include "unit.h"

static void
test_buf_cap(void)
{
	struct buf b;

	buf_init(&b, 8);
	CHECK(buf_addstr(&b, "12345678") == CD_OK);
	CHECK(b.len == 8 && b.data[8] == '\0');
	CHECK(buf_addc(&b, 'x') == CD_E_LIMIT);
	CHECK(b.len == 8); /* unchanged on failure */
	buf_consume(&b, 3);
	CHECK_STR(b.data, "45678");
	CHECK(buf_printf(&b, "%d", 123) == CD_OK);
	CHECK_STR(b.data, "45678123");
	CHECK(buf_printf(&b, "%d", 4) == CD_E_LIMIT);
	buf_release(&b);
}

static void
test_strparse(void)
{
	const char *s = "1234x", *p = s;
	uint64_t v;
	int64_t i;
	struct span sp;

	CHECK(str_uint64(&p, s + 5, &v, UINT64_MAX) == CD_OK && v == 1234 && *p == 'x');
	p = "18446744073709551616"; /* 2^64 */
	CHECK(str_uint64(&p, p + 20, &v, UINT64_MAX) == CD_E_LIMIT);
	sp.p = "-9223372036854775808";
	sp.n = 20;
	CHECK(span_to_i64(sp, &i) == CD_OK && i == INT64_MIN);
	sp.p = "12a";
	sp.n = 3;
	CHECK(span_to_i64(sp, &i) != CD_OK);
	sp.p = "";
	sp.n = 0;
	CHECK(span_to_u64(sp, &v) != CD_OK);
	{
		char out[8];
		size_t n;
		struct span h = { "2f62696e", 8 }, odd = { "2f6", 3 }, bad = { "zz", 2 };

		CHECK(hex_decode(h, out, sizeof(out), &n) == CD_OK && n == 4 && memcmp(out, "/bin", 4) == 0);
		CHECK(hex_decode(odd, out, sizeof(out), &n) != CD_OK);
		CHECK(hex_decode(bad, out, sizeof(out), &n) != CD_OK);
	}
}

static void
test_time(void)
{
	int64_t ns;
	char buf[48];
	struct span a = { "2025-06-03T10:00:00Z", 20 };
	struct span b = { "2025-06-03T12:00:00.5+02:00", 27 };
	struct span c = { "2024-05-07T18:54:26.271403849+0000", 34 };
	struct span e = { "1748944800.123", 14 };
	struct span bad = { "2025-13-03T10:00:00Z", 20 };
	struct span junk = { "2025-06-03T10:00:00Zjunk", 24 };

	CHECK(time_parse_rfc3339(a, &ns) == CD_OK && ns == 1748944800LL * 1000000000LL);
	CHECK(time_parse_rfc3339(b, &ns) == CD_OK && ns == 1748944800LL * 1000000000LL + 500000000);
	CHECK(time_parse_rfc3339(c, &ns) == CD_OK && ns % 1000000000LL == 271403849);
	CHECK(time_parse_epoch(e, &ns) == CD_OK && ns == 1748944800123000000LL);
	CHECK(time_parse_rfc3339(bad, &ns) != CD_OK);
	CHECK(time_parse_rfc3339(junk, &ns) != CD_OK);
	{
		struct span far = { "9999-12-31T23:59:59Z", 20 }, early = { "0001-01-01T00:00:00Z", 20 };

		CHECK(time_parse_rfc3339(far, &ns) == CD_E_LIMIT); /* would overflow int64 ns */
		CHECK(time_parse_rfc3339(early, &ns) == CD_E_LIMIT);
	}
	time_format(1748944800123000000LL, buf, sizeof(buf));
	CHECK_STR(buf, "2025-06-03T10:00:00.123000000Z"); /* always nine digits: one width */
	time_format(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01T00:00:00.000000000Z");
	time_format_sec(1748944800999000000LL, buf, sizeof(buf));
	CHECK_STR(buf, "2025-06-03T10:00:00Z");
	time_format_sec(-1, buf, sizeof(buf));
	CHECK_STR(buf, "1969-12-31T23:59:59Z");
	time_format(-1, buf, sizeof(buf));
	CHECK_STR(buf, "1969-12-31T23:59:59.999999999Z");
	CHECK(time_parse_arg("2h", 10000LL * 1000000000LL, &ns) == CD_OK && ns == 2800LL * 1000000000LL);
	CHECK(time_parse_arg("2x", 0, &ns) != CD_OK);
	CHECK(time_parse_arg("h", 0, &ns) != CD_OK);
}

static void
test_sha256(void)
{
	unsigned char d[32];
	char hex[65];
	struct sha256 c;
	int i;

	sha256("", 0, d);
	hex_encode(d, 32, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256("abc", 3, d);
	hex_encode(d, 32, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* one million 'a', fed unevenly */
	sha256_init(&c);
	for (i = 0; i < 1000; i++) {
		char chunk[1000];

		memset(chunk, 'a', sizeof(chunk));
		sha256_update(&c, chunk, 7);
		sha256_update(&c, chunk, 993);
	}
	sha256_final(&c, d);
	hex_encode(d, 32, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* paging(ARGS..., NULL): how a page with those filters is read */
static enum timepage_mode
paging(const char *first, ...)
{
	struct ev_filter f[4];
	enum timepage_mode mode;
	const char *a;
	char *cause = NULL;
	va_list ap;
	int n = 0;

	va_start(ap, first);
	for (a = first; a != NULL && n < 4; a = va_arg(ap, const char *))
		CHECK(ev_filter_parse(a, &f[n++], &cause) == CD_OK);
	va_end(ap);
	mode = ev_filter_paging(f, n);
	free(cause);
	return mode;
}

/* A page by credential or actor goes hour by hour (the identity indexes'
 * (stream, hour) runs), by another indexed field in one query, by anything
 * else in rings of time; and the order is the time, then the id. */
static void
test_filter_paging(void)
{
	struct buf b;

	CHECK(paging(NULL) == TP_RINGS);
	CHECK(paging("source=cloudtrail", NULL) == TP_RINGS);
	CHECK(paging("cred_id=AKIAEXAMPLE", NULL) == TP_HOURS);
	CHECK(paging("actor=arn:aws:iam::1:user/a", NULL) == TP_HOURS);
	CHECK(paging("source=cloudtrail", "cred_id=AKIAEXAMPLE", NULL) == TP_HOURS);
	CHECK(paging("src_ip=192.0.2.1", "actor=a", NULL) == TP_HOURS);
	CHECK(paging("src_ip=192.0.2.1", NULL) == TP_ONE);
	CHECK(paging("id=7", "source=falco", NULL) == TP_ONE);
	CHECK(paging("cred_id=", NULL) == TP_RINGS);
	CHECK(paging("cred_id!=AKIAEXAMPLE", NULL) == TP_RINGS);
	CHECK(paging("cred_id~AKIA.*", "container_id!=x", NULL) == TP_RINGS);
	buf_init(&b, 1024);
	CHECK(ev_filter_order(&b, "DESC") == CD_OK);
	CHECK_STR(b.data, " ORDER BY e.ts_ns DESC, e.id DESC");
	buf_release(&b);
	buf_init(&b, 1024);
	CHECK(timepage_sql(&b, TP_HOURS) == CD_OK);
	/* the identity indexes' expression, as written there */
	CHECK_STR(b.data, " AND e.ts_ns BETWEEN ? AND ? AND e.ts_ns / 3600000000000 = ?");
	buf_release(&b);
	buf_init(&b, 1024);
	CHECK(timepage_sql(&b, TP_ONE) == CD_OK);
	CHECK(b.data == NULL || b.data[0] == '\0');
	buf_release(&b);
}

static void
test_json(void)
{
	static const char js[] =
		"{\"a\":{\"b\":[1,{\"c\":\"x\\u00e9\\ud83d\\ude00\\n\"}],\"n\":1748944800123456789},"
		"\"k\":null,\"s\":\"12\",\"e\":\"\"}";
	struct json_tokens tok, small;
	struct json_doc d;
	const char *why;
	char out[64];
	int64_t v;
	int i;

	json_tokens_init(&tok, 64);
	json_tokens_init(&small, 4);
	CHECK(json_parse(&d, js, sizeof(js) - 1, &tok, &why) == CD_OK);
	i = json_path(&d, 0, "a.b");
	CHECK(json_type(&d, i) == JSON_ARRAY && json_count(&d, i) == 2);
	i = json_get(&d, json_at(&d, i, 1), "c");
	CHECK(json_str(&d, i, out, sizeof(out), NULL) == CD_OK);
	CHECK_STR(out, "x\xc3\xa9\xf0\x9f\x98\x80\n");
	CHECK(json_str(&d, i, out, 4, NULL) == CD_E_LIMIT);
	CHECK(json_i64(&d, json_path(&d, 0, "a.n"), &v) == CD_OK && v == 1748944800123456789LL);
	CHECK(json_is_null(&d, json_get(&d, 0, "k")));
	CHECK(json_i64(&d, json_get(&d, 0, "s"), &v) == CD_OK && v == 12);
	CHECK(json_get(&d, 0, "missing") == -1);
	CHECK(json_path(&d, 0, "a.b.c") == -1); /* b is an array */
	CHECK(json_count(&d, 0) == 4);
	/* broken and oversized inputs */
	CHECK(json_parse(&d, "{\"a\":", 5, &tok, &why) == CD_E_PARSE);
	CHECK(json_parse(&d, "{} {}", 5, &tok, &why) == CD_E_PARSE);
	CHECK(json_parse(&d, "[1,2,3,4,5,6,7,8,9]", 19, &small, &why) == CD_E_LIMIT);
	CHECK(json_parse(&d, "{\"a\" 1}", 7, &tok, &why) == CD_E_PARSE);
	/* skips are exact for nested values */
	{
		static const char nested[] = "[[1,[2]],{\"a\":[]},3]";

		/* tokens: 0 [  1 [  2 1  3 [  4 2  5 {  6 "a"  7 []  8 3 */
		CHECK(json_parse(&d, nested, sizeof(nested) - 1, &tok, &why) == CD_OK);
		CHECK(d.ntok == 9);
		CHECK(json_skip(&d, 1) == 5 && json_skip(&d, 3) == 5 && json_skip(&d, 5) == 8);
		CHECK(json_skip(&d, 0) == d.ntok && json_skip(&d, 8) == 9);
		CHECK(json_at(&d, 0, 2) == 8 && json_count(&d, 0) == 3);
		CHECK(json_type(&d, json_get(&d, 5, "a")) == JSON_ARRAY);
	}
	json_tokens_release(&tok);
	json_tokens_release(&small);
}

static void
test_container_id(void)
{
	struct ev_arena a;
	struct event ev;

	ev_arena_init(&a, 4096);
	ev_reset(&ev, &a);
	CHECK_STR(ev_container_id(&a, "containerd://4B5E57F6EB2F42B9039B3D1E13929295F231749C510CBE341CD68036D9AF97E2", 77),
		  "4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2");
	CHECK_STR(ev_container_id(&a, "docker://4b5e57f6eb2f", 21), "4b5e57f6eb2f");
	CHECK(ev_container_id(&a, "host", 4) == NULL);
	CHECK(ev_container_id(&a, "", 0) == NULL);
	CHECK(ev_container_id(&a, "docker://nothex-not-hex", 23) == NULL);
	{
		const char *cg = "/kubepods.slice/kubepods-burstable.slice/"
				 "kubepods-burstable-pod3f1c2a9e_8b7d_4c6e_9f10_2a3b4c5d6e7f.slice/"
				 "cri-containerd-4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2.scope";

		ev_from_cgroup(&ev, &a, cg, strlen(cg));
		CHECK_STR(ev.pod_uid, "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f");
		CHECK_STR(ev.container_id, "4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2");
	}
	ev_reset(&ev, &a);
	{
		const char *cg = "/kubepods/besteffort/pod3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f/"
				 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

		ev_from_cgroup(&ev, &a, cg, strlen(cg));
		CHECK_STR(ev.pod_uid, "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f");
		CHECK_STR(ev.container_id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	}
	ev_reset(&ev, &a);
	ev_from_cgroup(&ev, &a, "/user.slice/user-1000.slice/session-2.scope", 43);
	CHECK(ev.pod_uid == NULL && ev.container_id == NULL);
	/* the arena is bounded: a full arena refuses, and says so */
	ev_reset(&ev, &a);
	{
		char big[5000];

		memset(big, 'a', sizeof(big));
		CHECK(ev_strdup(&a, big, sizeof(big)) == NULL);
		CHECK(ev_arena_full(&a));
	}
	ev_arena_release(&a);
}

static void
test_redact(void)
{
	struct buf b;
	static const char *const secret[] = {
		"curl -H 'Authorization: Bearer abcdef123456' https://x",
		"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"vault login hvs.CAESIJ1234567890abcdefghijklmnop",
		"mysql --password=hunter2 -u root",
		"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJl",
		"git clone https://user:s3cretpass@github.com/x/y",
		"GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
		"{\"password\":\"p4ss\"}",
		"env DB_PASSWORD=hunter2 ./app",
	};
	size_t i;

	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		buf_init(&b, 1 << 20);
		CHECK(redact(secret[i], &b) == CD_OK);
		CHECK(strstr(b.data, "[REDACTED]") != NULL);
		CHECK(redact_has_secret(secret[i]));
		buf_release(&b);
	}
	buf_init(&b, 1 << 20);
	CHECK(redact("cat /var/run/secrets/kubernetes.io/serviceaccount/token", &b) == CD_OK);
	CHECK_STR(b.data, "cat /var/run/secrets/kubernetes.io/serviceaccount/token");
	buf_reset(&b);
	CHECK(redact("AKIAIOSFODNN7EXAMPLE used from 203.0.113.66", &b) == CD_OK);
	CHECK_STR(b.data, "AKIAIOSFODNN7EXAMPLE used from 203.0.113.66"); /* ids are not secrets */
	buf_reset(&b);
	CHECK(redact("arn:aws:secretsmanager:us-east-1:1:secret:prod/db-AbCdEf", &b) == CD_OK);
	CHECK_STR(b.data, "arn:aws:secretsmanager:us-east-1:1:secret:prod/db-AbCdEf"); /* a name, not a value */
	buf_release(&b);
	redact_release();
}

static void
test_fields(void)
{
	CHECK(ev_field_find("cred_id") != NULL);
	CHECK(ev_field_find("ts_ns")->type == EV_T_INT);
	CHECK(ev_field_find("nope") == NULL);
	CHECK(ev_nfields > 30);
}


/* json_put_strn: RFC 8259, valid UTF-8 whatever the bytes */
static void
test_json_put(void)
{
	struct buf b;

	buf_init(&b, 4096);
	CHECK(json_put_strn(&b, "a\"b\\c\n\x1b[2J\x7f", 11) == CD_OK);
	CHECK_STR(b.data, "\"a\\\"b\\\\c\\n\\u001b[2J\\u007f\"");
	buf_reset(&b);
	/* bytes of no UTF-8 character: U+FFFD each; valid ones kept */
	CHECK(json_put_strn(&b, "\xff\xc0\xaf\x80\xed\xa0\x80\xe2\x82\xac\xf0\x9f\x98\x80", 14) == CD_OK);
	CHECK_STR(b.data, "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\xe2\x82\xac\xf0\x9f\x98\x80\"");
	buf_reset(&b);
	/* C1 controls and the bidi override are escaped, a cut sequence replaced */
	CHECK(json_put_strn(&b, "\xc2\x9b\xe2\x80\xae\xe2\x82", 7) == CD_OK);
	CHECK_STR(b.data, "\"\\u009b\\u202e\\ufffd\\ufffd\"");
	buf_reset(&b);
	CHECK(json_put_strn(&b, "a\0b", 3) == CD_OK);
	CHECK(b.len == 10 && memcmp(b.data, "\"a\\u0000b\"", 10) == 0);
	buf_release(&b);
}

static void
test_utf8(void)
{
	uint32_t cp = 0;

	CHECK(utf8_decode((const unsigned char *)"A", 1, &cp) == 1 && cp == 'A');
	CHECK(utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp) == 2 && cp == 0xe9);
	CHECK(utf8_decode((const unsigned char *)"\xc3", 1, &cp) == 0);     /* cut short */
	CHECK(utf8_decode((const unsigned char *)"\xc1\xbf", 2, &cp) == 0); /* overlong */
	CHECK(utf8_decode((const unsigned char *)"\xe0\x9f\xbf", 3, &cp) == 0);
	CHECK(utf8_decode((const unsigned char *)"\xed\xb0\x80", 3, &cp) == 0); /* surrogate */
	CHECK(utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp) == 0);
	CHECK(utf8_decode((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp) == 4 && cp == 0x10ffff);
	CHECK(utf8_hidden(0x9b) && utf8_hidden(0x202e) && utf8_hidden(0x2066) && !utf8_hidden(0xe9));
}

/* out_escape / out_bprintf: the one writer for terminal text */
static void
test_out_escape(void)
{
	struct buf b;

	buf_init(&b, 4096);
	CHECK(out_escape(&b, "ok \\ \xc3\xa9\n\t\r\x1b[2J\x07\x7f", 16) == CD_OK);
	CHECK_STR(b.data, "ok \\ \xc3\xa9\\n\\t\\r\\x1b[2J\\x07\\x7f");
	buf_reset(&b);
	CHECK(out_escape(&b, "\xc2\x9b\xe2\x80\xae\xff\xc0\xaf", 8) == CD_OK);
	CHECK_STR(b.data, "\\u009b\\u202e\\xff\\xc0\\xaf");
	buf_reset(&b);
	/* the format as written, arguments escaped and padded, styles by pointer */
	CHECK(out_bprintf(&b, "%s|%-6s|%4s|%.3s|%c|%d %lld %zu %5.1f %x%%\n", out_sgr_bold, "a\x1b",
			  "b", "abcdef", '\a', -3, (long long)1 << 40, (size_t)7, 2.25, 255u) == CD_OK);
	CHECK_STR(b.data, "\x1b[1m|a\\x1b |   b|abc|\\x07|-3 1099511627776 7   2.2 ff%\n");
	buf_reset(&b);
	CHECK(out_bprintf(&b, "%s %*s|%-*s|%.*s", "\x1b[1m", 3, "x", 3, "y", 2, "\x1bzz") == CD_OK);
	CHECK_STR(b.data, "\\x1b[1m   x|y  |\\x1bz");
	buf_release(&b);
}

/* One certificate, four spellings, one id (issue 20). */
static void
test_credid_serial(void)
{
	char out[CREDID_MAX];
	const char *same[] = {
		"332260555735579603955123027323537137960995329023", /* Vault cert auth, sshd */
		"3a:33:14:1f:ab:ad:b0:c5:da:55:f8:51:85:2b:92:e0:71:8d:13:ff", /* Vault PKI */
		"3A33141FABADB0C5DA55F851852B92E0718D13FF",             /* openssl */
		"0x3a33141fabadb0c5da55f851852b92e0718d13ff",
		"X509SERIAL=3a33141fabadb0c5da55f851852b92e0718d13ff",
	};
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		CHECK(credid_x509_serial(same[i], strlen(same[i]), out, sizeof(out)) == CD_OK);
		CHECK_STR(out, "X509SERIAL=3a33141fabadb0c5da55f851852b92e0718d13ff");
	}
	/* whole bytes, leading zero bytes dropped; digits alone are decimal */
	CHECK(credid_x509_serial("256", 3, out, sizeof(out)) == CD_OK);
	CHECK_STR(out, "X509SERIAL=0100");
	CHECK(credid_x509_serial("00:00:0f", 8, out, sizeof(out)) == CD_OK);
	CHECK_STR(out, "X509SERIAL=0f");
	CHECK(credid_x509_serial("0", 1, out, sizeof(out)) == CD_OK);
	CHECK_STR(out, "X509SERIAL=00");
	CHECK(credid_x509_serial("", 0, out, sizeof(out)) == CD_E_PARSE);
	CHECK(credid_x509_serial("12g4", 4, out, sizeof(out)) == CD_E_PARSE);
	CHECK(credid_x509_serial("0x", 2, out, sizeof(out)) == CD_E_PARSE);
	/* 33 bytes does not fit; a short buffer is refused, not cut */
	CHECK(credid_x509_serial("01:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00",
				 98, out, sizeof(out)) == CD_E_LIMIT);
	CHECK(credid_x509_serial("ff", 2, out, 13) == CD_E_LIMIT);
	CHECK_STR(credid_kind("X509SHA256=ab"), "x509");
	CHECK_STR(credid_kind("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"), "ssh");
	CHECK_STR(credid_kind("spiffe://example.org/ns/prod/sa/web"), "spiffe");
	CHECK(credid_kind("AKIAIOSFODNN7EXAMPLE") == NULL);
}

const struct unit_test core_tests[] = {
	{ "credid_serial", test_credid_serial },
	{ "buf_cap", test_buf_cap },
	{ "strparse", test_strparse },
	{ "time", test_time },
	{ "sha256", test_sha256 },
	{ "filter_paging", test_filter_paging },
	{ "json", test_json },
	{ "container_id", test_container_id },
	{ "redact", test_redact },
	{ "fields", test_fields },
	{ "json_put", test_json_put },
	{ "utf8", test_utf8 },
	{ "out_escape", test_out_escape },
	{ NULL, NULL },
};
