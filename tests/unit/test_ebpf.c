/*
 * test_ebpf.c - unit tests for the ebpf ingesters' helpers (ingest/ebpf.c).
 */
#include "../../ingest/ebpf.h"
#include "unit.h"

static struct json_tokens toks;
static struct json_doc doc;

/* Parse js into the file's document; the root is token 0. */
static const struct json_doc *
parse(const char *js)
{
	const char *why;

	if (toks.cap == 0)
		json_tokens_init(&toks, 256);
	if (json_parse(&doc, js, strlen(js), &toks, &why) != CD_OK) {
		fprintf(stderr, "  test JSON does not parse: %s\n", js);
		doc.ntok = 0;
	}
	return &doc;
}

static void
test_hostport(void)
{
	struct ev_arena a;

	ev_arena_init(&a, 4096);
	CHECK_STR(ingest_ebpf_hostport(&a, "169.254.169.254", 80), "169.254.169.254:80");
	CHECK_STR(ingest_ebpf_hostport(&a, "fd00::1", 443), "[fd00::1]:443");
	CHECK_STR(ingest_ebpf_hostport(&a, "[fd00::1]", 443), "[fd00::1]:443");
	CHECK_STR(ingest_ebpf_hostport(&a, "::ffff:169.254.169.254", 80), "169.254.169.254:80");
	CHECK_STR(ingest_ebpf_hostport(&a, "::FFFF:10.0.1.23", EV_NULL), "10.0.1.23");
	CHECK_STR(ingest_ebpf_hostport(&a, "::ffff:a9fe:a9fe", 80), "[::ffff:a9fe:a9fe]:80");
	CHECK_STR(ingest_ebpf_hostport(&a, "10.0.1.87", EV_NULL), "10.0.1.87");
	CHECK_STR(ingest_ebpf_hostport(&a, "10.0.1.87", -1), "10.0.1.87");
	CHECK_STR(ingest_ebpf_hostport(&a, "10.0.1.87", 0), "10.0.1.87:0");
	CHECK(ingest_ebpf_hostport(&a, "", 80) == NULL);
	CHECK(ingest_ebpf_hostport(&a, NULL, 80) == NULL);
	ev_arena_release(&a);
}

static void
test_sockaddr(void)
{
	struct ev_arena a;
	const struct json_doc *d;

	ev_arena_init(&a, 4096);
	/* old Tracee: family names, ports as strings */
	d = parse("{\"sa_family\":\"AF_INET\",\"sin_port\":\"80\",\"sin_addr\":\"169.254.169.254\"}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "169.254.169.254:80");
	/* new Tracee: family numbers, ports as numbers, zero port left out */
	d = parse("{\"sa_family\":2,\"sin_addr\":\"10.96.0.1\",\"sin_port\":443}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "10.96.0.1:443");
	d = parse("{\"sa_family\":2,\"sin_addr\":\"10.96.0.1\"}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "10.96.0.1");
	d = parse("{\"sa_family\":\"AF_INET6\",\"sin6_addr\":\"fd00:10:96::1\",\"sin6_port\":\"443\","
		  "\"sin6_flowinfo\":\"0\",\"sin6_scopeid\":\"0\"}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "[fd00:10:96::1]:443");
	d = parse("{\"sa_family\":10,\"sin6_addr\":\"::1\",\"sin6_port\":53}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "[::1]:53");
	d = parse("{\"sa_family\":\"AF_UNIX\",\"sun_path\":\"/run/containerd/containerd.sock\"}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "/run/containerd/containerd.sock");
	d = parse("{\"sa_family\":1,\"sun_path\":\"/var/run/docker.sock\"}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "/var/run/docker.sock");
	/* no family: whatever address member is there */
	d = parse("{\"sun_path\":\"/var/run/docker.sock\"}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "/var/run/docker.sock");
	d = parse("{\"sin_addr\":\"1.2.3.4\",\"sin_port\":8080}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "1.2.3.4:8080");
	/* nothing usable */
	d = parse("{\"sa_family\":\"AF_UNIX\",\"sun_path\":\"\"}");
	CHECK(ingest_ebpf_sockaddr(&a, d, 0) == NULL);
	d = parse("{\"sa_family\":\"AF_INET\",\"sin6_addr\":\"::1\"}");
	CHECK(ingest_ebpf_sockaddr(&a, d, 0) == NULL);
	d = parse("{\"sa_family\":\"AF_NETLINK\"}");
	CHECK(ingest_ebpf_sockaddr(&a, d, 0) == NULL);
	d = parse("{\"sin_addr\":\"1.2.3.4\",\"sin_port\":70000}");
	CHECK_STR(ingest_ebpf_sockaddr(&a, d, 0), "1.2.3.4");
	d = parse("[\"AF_INET\"]");
	CHECK(ingest_ebpf_sockaddr(&a, d, 0) == NULL);
	CHECK(ingest_ebpf_sockaddr(&a, d, -1) == NULL);
	ev_arena_release(&a);
}

static void
test_tuple_dst(void)
{
	struct ev_arena a;

	ev_arena_init(&a, 4096);
	CHECK_STR(ingest_ebpf_tuple_dst(&a, "10.0.1.87:51514->169.254.169.254:80"),
		  "169.254.169.254:80");
	CHECK_STR(ingest_ebpf_tuple_dst(&a, "a->b->c:1"), "c:1");
	CHECK(ingest_ebpf_tuple_dst(&a, "/etc/shadow") == NULL);
	CHECK(ingest_ebpf_tuple_dst(&a, "10.0.1.87:51514->") == NULL);
	CHECK(ingest_ebpf_tuple_dst(&a, "->1.2.3.4:5") == NULL);
	CHECK(ingest_ebpf_tuple_dst(&a, NULL) == NULL);
	ev_arena_release(&a);
}

static void
test_json_int(void)
{
	const struct json_doc *d;
	int64_t v = 0;

	d = parse("{\"a\":19010,\"b\":\"4294967295\",\"c\":{\"value\":12345},\"d\":null,"
		  "\"e\":\"x1\",\"f\":{\"v\":1},\"g\":-1}");
	CHECK(ingest_ebpf_json_int(d, json_get(d, 0, "a"), &v) == CD_OK && v == 19010);
	CHECK(ingest_ebpf_json_int(d, json_get(d, 0, "b"), &v) == CD_OK && v == 4294967295LL);
	CHECK(ingest_ebpf_json_int(d, json_get(d, 0, "c"), &v) == CD_OK && v == 12345);
	CHECK(ingest_ebpf_json_int(d, json_get(d, 0, "g"), &v) == CD_OK && v == -1);
	CHECK(ingest_ebpf_json_int(d, json_get(d, 0, "d"), &v) != CD_OK);
	CHECK(ingest_ebpf_json_int(d, json_get(d, 0, "e"), &v) != CD_OK);
	CHECK(ingest_ebpf_json_int(d, json_get(d, 0, "f"), &v) != CD_OK);
	CHECK(ingest_ebpf_json_int(d, json_get(d, 0, "missing"), &v) != CD_OK);
}

static void
test_json_time(void)
{
	const struct json_doc *d;
	int64_t ns = 0;

	d = parse("{\"rfc\":\"2025-06-03T10:00:00.123456789Z\",\"ns\":1748944800123456789,"
		  "\"nss\":\"1748944800000000001\",\"weird\":3399592757030861661,"
		  "\"epoch\":1748944800.5,\"pb\":{\"seconds\":\"1748944800\",\"nanos\":7},"
		  "\"pbn\":{\"seconds\":1748944800},\"badpb\":{\"seconds\":1,\"nanos\":1000000000},"
		  "\"huge\":{\"seconds\":99999999999},\"min\":-9223372036854775808,"
		  "\"word\":\"yesterday\",\"arr\":[1],\"null\":null,\"neg\":-5,"
		  "\"y1012\":\"1012-05-13T13:23:27Z\",\"y2262\":\"2262-06-01T00:00:00Z\","
		  "\"y1678\":\"1678-01-01T00:00:00Z\",\"y2261\":\"2261-12-31T23:59:59Z\","
		  "\"bigepoch\":9999999999.5,\"short\":\"20\"}");
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "rfc"), &ns) == CD_OK &&
	      ns == 1748944800123456789LL);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "ns"), &ns) == CD_OK &&
	      ns == 1748944800123456789LL);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "nss"), &ns) == CD_OK &&
	      ns == 1748944800000000001LL);
	/* implausible (year 2077) but stored as given */
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "weird"), &ns) == CD_OK &&
	      ns == 3399592757030861661LL);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "epoch"), &ns) == CD_OK &&
	      ns == 1748944800500000000LL);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "pb"), &ns) == CD_OK &&
	      ns == 1748944800000000007LL);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "pbn"), &ns) == CD_OK &&
	      ns == 1748944800000000000LL);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "neg"), &ns) == CD_OK && ns == -5);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "badpb"), &ns) != CD_OK);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "huge"), &ns) != CD_OK);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "min"), &ns) != CD_OK);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "word"), &ns) != CD_OK);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "arr"), &ns) != CD_OK);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "null"), &ns) != CD_OK);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "missing"), &ns) != CD_OK);
	/* outside int64 nanoseconds: refused, not overflowed */
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "y1012"), &ns) != CD_OK);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "y2262"), &ns) != CD_OK);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "bigepoch"), &ns) != CD_OK);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "short"), &ns) == CD_OK && ns == 20);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "y1678"), &ns) == CD_OK &&
	      ns == -9214560000000000000LL);
	CHECK(ingest_ebpf_json_time(d, json_get(d, 0, "y2261"), &ns) == CD_OK &&
	      ns == 9214646399000000000LL);
}

static void
test_json_text(void)
{
	struct ev_arena a;
	const struct json_doc *d;

	ev_arena_init(&a, 4096);
	d = parse("{\"s\":\"a\\u00e9\",\"e\":\"\",\"n\":null,\"i\":42,\"o\":{},\"l\":[\"x\"],\"t\":true}");
	CHECK_STR(ingest_ebpf_json_text(&a, d, json_get(d, 0, "s")), "a\xc3\xa9");
	CHECK_STR(ingest_ebpf_json_text(&a, d, json_get(d, 0, "i")), "42");
	CHECK_STR(ingest_ebpf_json_text(&a, d, json_get(d, 0, "t")), "true");
	CHECK(ingest_ebpf_json_text(&a, d, json_get(d, 0, "e")) == NULL);
	CHECK(ingest_ebpf_json_text(&a, d, json_get(d, 0, "n")) == NULL);
	CHECK(ingest_ebpf_json_text(&a, d, json_get(d, 0, "o")) == NULL);
	CHECK(ingest_ebpf_json_text(&a, d, json_get(d, 0, "l")) == NULL);
	CHECK(ingest_ebpf_json_text(&a, d, -1) == NULL);
	ev_arena_release(&a);
}

static void
test_outcomes(void)
{
	CHECK_STR(ingest_ebpf_errno_outcome(0), "success");
	CHECK_STR(ingest_ebpf_errno_outcome(32768), "success");
	CHECK_STR(ingest_ebpf_errno_outcome(-1), "denied");
	CHECK_STR(ingest_ebpf_errno_outcome(-13), "denied");
	CHECK_STR(ingest_ebpf_errno_outcome(-2), "error");
	CHECK_STR(ingest_ebpf_errname_outcome("SUCCESS"), "success");
	CHECK_STR(ingest_ebpf_errname_outcome("EACCES"), "denied");
	CHECK_STR(ingest_ebpf_errname_outcome("EPERM"), "denied");
	CHECK_STR(ingest_ebpf_errname_outcome("ENOENT"), "error");
	CHECK_STR(ingest_ebpf_errname_outcome("E2BIG"), "error");
	CHECK_STR(ingest_ebpf_errname_outcome("-13"), "denied");
	CHECK_STR(ingest_ebpf_errname_outcome("3"), "success");
	CHECK(ingest_ebpf_errname_outcome("Eacces") == NULL);
	CHECK(ingest_ebpf_errname_outcome("E") == NULL);
	CHECK(ingest_ebpf_errname_outcome("ok") == NULL);
	CHECK(ingest_ebpf_errname_outcome("") == NULL);
	CHECK(ingest_ebpf_errname_outcome(NULL) == NULL);
}

static void
test_utf8_cut(void)
{
	static const char s[] = "ab\xc3\xa9\xf0\x9f\x98\x80z"; /* a b é 😀 z */

	CHECK(ingest_ebpf_utf8_cut(s, 9, 100) == 9);
	CHECK(ingest_ebpf_utf8_cut(s, 9, 9) == 9);
	CHECK(ingest_ebpf_utf8_cut(s, 9, 2) == 2);
	CHECK(ingest_ebpf_utf8_cut(s, 9, 3) == 2); /* inside é */
	CHECK(ingest_ebpf_utf8_cut(s, 9, 4) == 4);
	CHECK(ingest_ebpf_utf8_cut(s, 9, 5) == 4); /* inside 😀 */
	CHECK(ingest_ebpf_utf8_cut(s, 9, 7) == 4);
	CHECK(ingest_ebpf_utf8_cut(s, 9, 8) == 8);
	CHECK(ingest_ebpf_utf8_cut(s, 9, 0) == 0);
}

static void
test_json_strict(void)
{
	static const char *const good[] = {
		"{\"a\":[1,-2.5e3,0,true,false,null,\"x\\u00e9\\n\"],\"b\":{}}",
		"[ ]", "{ \"a\" : 1 }", "[-0.1]", "\"s\"", "[[[]]]", NULL,
	};
	/* jsmn accepts all of these; strict JSON does not */
	static const char *const bad[] = {
		"[tru]", "[-x]", "[01]", "[1.]", "[1e]", "{\"a\":1,\"b\"}", "[1 2]", "[nul]",
		"[\"a\tb\"]", "{\"a\":-}", NULL,
	};
	const struct json_doc *d;
	int i;

	for (i = 0; good[i]; i++) {
		d = parse(good[i]);
		CHECK(d->ntok > 0 && ingest_json_strict(d, 0));
		if (!(d->ntok > 0 && ingest_json_strict(d, 0)))
			fprintf(stderr, "    good: %s\n", good[i]);
	}
	for (i = 0; bad[i]; i++) {
		d = parse(bad[i]);
		CHECK(d->ntok == 0 || !ingest_json_strict(d, 0));
		if (!(d->ntok == 0 || !ingest_json_strict(d, 0)))
			fprintf(stderr, "    bad: %s\n", bad[i]);
	}
	d = parse("{\"a\":[1,2]}");
	CHECK(ingest_json_strict(d, json_get(d, 0, "a")));
	CHECK(!ingest_json_strict(d, -1));
}

static void
test_release(void)
{
	json_tokens_release(&toks);
	CHECK(1);
}

const struct unit_test ebpf_tests[] = {
	{ "ebpf_hostport", test_hostport },
	{ "ebpf_sockaddr", test_sockaddr },
	{ "ebpf_tuple_dst", test_tuple_dst },
	{ "ebpf_json_int", test_json_int },
	{ "ebpf_json_time", test_json_time },
	{ "ebpf_json_text", test_json_text },
	{ "ebpf_outcomes", test_outcomes },
	{ "ebpf_utf8_cut", test_utf8_cut },
	{ "ebpf_json_strict", test_json_strict },
	{ "ebpf_release", test_release },
	{ NULL, NULL },
};
