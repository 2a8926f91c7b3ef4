/*
 * test_auditd.c - unit tests for the auditd ingester's helpers: record
 * headers, field tokenizing, hex/proctitle decoding, sockaddr decoding,
 * syscall names, record classes, and (through ingest_buffer into an
 * in-memory store) event assembly: the reorder window and size limits.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "../../ingest/auditd.h"
#include "../../ingest/private.h"
#include "unit.h"

static struct span
S(const char *s)
{
	struct span sp = { s, strlen(s) };

	return sp;
}

static int
span_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static void
test_auditd_header(void)
{
	struct auditd_hdr h;
	const char *why = NULL, *l;

	l = "type=SYSCALL msg=audit(1700000000.123:456): arch=c000003e syscall=59";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_OK);
	CHECK(span_is(h.type, "SYSCALL"));
	CHECK(span_is(h.stamp, "1700000000.123:456"));
	CHECK(h.serial == 456 && h.ts_ns == 1700000000123000000LL);
	CHECK(span_is(h.body, " arch=c000003e syscall=59"));
	CHECK(h.node.n == 0 && h.prefix.n == 0 && h.enriched.n == 0);

	l = "node=web-1 type=PATH msg=audit(1700000000.000:1): item=0\x1dOUID=\"root\"";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_OK);
	CHECK(span_is(h.node, "web-1") && span_is(h.type, "PATH"));
	CHECK(span_is(h.body, " item=0") && span_is(h.enriched, "OUID=\"root\""));

	/* no ':' after the stamp (DAEMON_CONFIG) */
	l = "type=DAEMON_CONFIG msg=audit(1490239800.477:34) config changed, auid=0";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_OK);
	CHECK(span_is(h.body, " config changed, auid=0"));

	/* a syslog transport prefix */
	l = "Jun  3 10:00:00 h audispd: node=h type=EOE msg=audit(1.0:2): ";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_OK);
	CHECK(span_is(h.prefix, "Jun  3 10:00:00 h audispd:") && span_is(h.type, "EOE"));

	/* a failed candidate (node= too long) leaves nothing behind: found by fuzzing */
	{
		char line[600];

		memset(line, 'a', sizeof(line));
		memcpy(line, "x node=", 7);
		memcpy(line + 400, " type=EOE msg=audit(1.0:2): ", 28);
		CHECK(auditd_parse_header(line, 428, &h, &why) == CD_OK);
		CHECK(h.node.n == 0 && h.prefix.n == 400 && span_is(h.stamp, "1.0:2"));
	}

	/* the malformed forms each get a reason */
	why = NULL;
	l = "type=UNKNOWN[1329] msg=g";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_E_PARSE && why != NULL);
	why = NULL;
	l = "type=SYSCALL msg=audit(06/03/2025 10:00:00.123:9) : arch=x86_64";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_E_PARSE);
	CHECK(why != NULL && strstr(why, "ausearch -i") != NULL);
	l = "type=SYSCALL msg=audit(1700000000.1";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_E_PARSE);
	l = "type=SYSCALL msg=audit(1700000000.1:99999999999999999999999): x=1";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_E_PARSE);
	l = "type=A$B msg=audit(1.0:1): x=1";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_E_PARSE);
	l = "# comment";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_E_PARSE && strstr(why, "comment"));
	l = "{\"type\":\"SYSCALL\"}";
	CHECK(auditd_parse_header(l, strlen(l), &h, &why) == CD_E_PARSE);
	CHECK(auditd_parse_header("", 0, &h, &why) == CD_E_PARSE);
	CHECK(auditd_parse_header("type=", 5, &h, &why) == CD_E_PARSE);
	CHECK(auditd_parse_header("node=", 5, &h, &why) == CD_E_PARSE);
}

static void
test_auditd_fields(void)
{
	const char *l = "avc:  denied  { read } for pid=12 comm=\"cat\" subj==unconfined "
			"msg='op=PAM:x acct=\"a b\" res=failed' SADDR={ fam=inet lport=80 } k= "
			"key=(null) =x tail=\"unterminated";
	const char *cur = l, *end = l + strlen(l);
	struct auditd_field f;

	CHECK(auditd_next_field(&cur, end, &f) == 1 && span_is(f.key, "pid") &&
	      span_is(f.val, "12") && f.quote == 0);
	CHECK(auditd_next_field(&cur, end, &f) == 1 && span_is(f.key, "comm") &&
	      span_is(f.val, "cat") && f.quote == '"');
	CHECK(auditd_next_field(&cur, end, &f) == 1 && span_is(f.key, "subj") &&
	      span_is(f.val, "=unconfined"));
	CHECK(auditd_next_field(&cur, end, &f) == 1 && span_is(f.key, "msg") && f.quote == '\'' &&
	      span_is(f.val, "op=PAM:x acct=\"a b\" res=failed"));
	CHECK(auditd_next_field(&cur, end, &f) == 1 && span_is(f.key, "SADDR") && f.quote == '{' &&
	      span_is(f.val, " fam=inet lport=80 "));
	CHECK(auditd_next_field(&cur, end, &f) == 1 && span_is(f.key, "k") && f.val.n == 0);
	CHECK(auditd_next_field(&cur, end, &f) == 1 && span_is(f.key, "key") &&
	      span_is(f.val, "(null)"));
	CHECK(auditd_next_field(&cur, end, &f) == 1 && span_is(f.key, "tail") &&
	      span_is(f.val, "unterminated"));
	CHECK(auditd_next_field(&cur, end, &f) == 0);
	CHECK(auditd_next_field(&cur, end, &f) == 0);
	cur = "   ";
	CHECK(auditd_next_field(&cur, cur + 3, &f) == 0);
}

static void
test_auditd_decode(void)
{
	char out[256];
	struct span bad = { "/tmp/\xff" "x", 7 };

	/* proctitle: NUL-separated argv, trailing NULs dropped */
	CHECK(auditd_decode(S("636174002F6574632F706173737764"), 1, AUDITD_NUL_SPACE, out,
			    sizeof(out)) == 15);
	CHECK_STR(out, "cat /etc/passwd");
	CHECK(auditd_decode(S("6C73002D6C0000"), 1, AUDITD_NUL_SPACE, out, sizeof(out)) == 5);
	CHECK_STR(out, "ls -l");
	/* a name: cut at NUL */
	CHECK(auditd_decode(S("2F746D702F6120622063"), 1, AUDITD_NUL_CUT, out, sizeof(out)) == 10);
	CHECK_STR(out, "/tmp/a b c");
	CHECK(auditd_decode(S("61006263"), 1, AUDITD_NUL_CUT, out, sizeof(out)) == 1);
	/* rule keys: 0x01 separates several */
	CHECK(auditd_decode(S("6101620163"), 1, AUDITD_NUL_KEYS, out, sizeof(out)) == 5);
	CHECK_STR(out, "a,b,c");
	/* not hex (odd length, non-hex digit) or decode off: the text as it is */
	CHECK(auditd_decode(S("abc"), 1, AUDITD_NUL_CUT, out, sizeof(out)) == 3);
	CHECK_STR(out, "abc");
	CHECK(auditd_decode(S("zz"), 1, AUDITD_NUL_CUT, out, sizeof(out)) == 2);
	CHECK(auditd_decode(S("4142"), 0, AUDITD_NUL_CUT, out, sizeof(out)) == 4);
	CHECK_STR(out, "4142");
	/* invalid UTF-8 becomes U+FFFD; valid multibyte passes */
	CHECK(auditd_decode(bad, 0, AUDITD_NUL_CUT, out, sizeof(out)) == 9);
	CHECK_STR(out, "/tmp/\xef\xbf\xbdx");
	CHECK(auditd_decode(S("52C3A973756DC3A9"), 1, AUDITD_NUL_CUT, out, sizeof(out)) == 8);
	CHECK_STR(out, "R\xc3\xa9sum\xc3\xa9");
	CHECK(auditd_decode(S("EDA080"), 1, AUDITD_NUL_CUT, out, sizeof(out)) == 9); /* surrogate */
	CHECK(auditd_decode(S("C0AF"), 1, AUDITD_NUL_CUT, out, sizeof(out)) == 6);   /* overlong */
	CHECK(auditd_decode(S("F09F9880"), 1, AUDITD_NUL_CUT, out, sizeof(out)) == 4); /* emoji */
	/* the caller's buffer must hold the worst case */
	CHECK(auditd_decode(S("abcd"), 0, AUDITD_NUL_CUT, out, 12) == -1);
	CHECK(auditd_decode(S(""), 1, AUDITD_NUL_CUT, out, 1) == 0 && out[0] == '\0');
	CHECK(auditd_is_hex(S("0aFF")) && !auditd_is_hex(S("0aF")) && !auditd_is_hex(S("")) &&
	      !auditd_is_hex(S("0g")));
}

static void
test_auditd_sockaddr(void)
{
	char out[512];

	CHECK(auditd_sockaddr(S("02000050A9FEA9FE0000000000000000"), out, sizeof(out)) == 2);
	CHECK_STR(out, "169.254.169.254:80");
	CHECK(auditd_sockaddr(S("0A000016000000000000000000000000000000000000000000000000"), out,
			      sizeof(out)) == 10);
	CHECK_STR(out, "[::]:22");
	CHECK(auditd_sockaddr(S("0A0001BB0000000020010DB8000000000000000000000001000000000"), out,
			      sizeof(out)) == -1); /* odd length */
	CHECK(auditd_sockaddr(S("0A0001BB0000000020010DB800000000000000000000000100000000"), out,
			      sizeof(out)) == 10);
	CHECK_STR(out, "[2001:db8::1]:443");
	/* a dual-stack socket (a JVM's) reaching IPv4 instance metadata */
	CHECK(auditd_sockaddr(S("0A00005000000000" "00000000000000000000FFFFA9FEA9FE" "00000000"), out,
			      sizeof(out)) == 10);
	CHECK_STR(out, "169.254.169.254:80");
	CHECK(auditd_sockaddr(S("01002F7661722F72756E2F6E7363642F736F636B65740000603B"), out,
			      sizeof(out)) == 1);
	CHECK_STR(out, "/var/run/nscd/socket");
	CHECK(auditd_sockaddr(S("0100002F746D702F2E5831312D756E69782F5830"), out,
			      sizeof(out)) == 1);
	CHECK_STR(out, "@/tmp/.X11-unix/X0");
	CHECK(auditd_sockaddr(S("0100"), out, sizeof(out)) == 1 && out[0] == '\0');
	CHECK(auditd_sockaddr(S("100000000000000000000000"), out, sizeof(out)) == 16);
	CHECK(out[0] == '\0');
	CHECK(auditd_sockaddr(S("0200"), out, sizeof(out)) == 2 && out[0] == '\0'); /* too short */
	CHECK(auditd_sockaddr(S("00"), out, sizeof(out)) == -1);
	CHECK(auditd_sockaddr(S("zz00"), out, sizeof(out)) == -1);
	/* a big-endian host writes the family the other way round */
	CHECK(auditd_sockaddr(S("00020050C00002010000000000000000"), out, sizeof(out)) == 2);
	CHECK_STR(out, "192.0.2.1:80");
}

static void
test_auditd_syscalls(void)
{
	CHECK_STR(auditd_syscall_name(S("c000003e"), 59), "execve");
	CHECK_STR(auditd_syscall_name(S("c000003e"), 42), "connect");
	CHECK_STR(auditd_syscall_name(S("c000003e"), 308), "setns");
	CHECK_STR(auditd_syscall_name(S("c000003e"), 257), "openat");
	CHECK_STR(auditd_syscall_name(S("c000003e"), 322), "execveat");
	CHECK_STR(auditd_syscall_name(S("C000003E"), 0), "read");
	CHECK_STR(auditd_syscall_name(S("c000003e"), 435), "clone3");
	CHECK_STR(auditd_syscall_name(S("c000003e"), 467), "open_tree_attr");
	CHECK(auditd_syscall_name(S("c000003e"), 600) == NULL);
	CHECK(auditd_syscall_name(S("c000003e"), UINT64_MAX) == NULL);
	CHECK_STR(auditd_syscall_name(S("c00000b7"), 221), "execve");
	CHECK_STR(auditd_syscall_name(S("c00000b7"), 56), "openat");
	CHECK_STR(auditd_syscall_name(S("c00000b7"), 203), "connect");
	CHECK_STR(auditd_syscall_name(S("c00000b7"), 268), "setns");
	CHECK_STR(auditd_syscall_name(S("c00000b7"), 97), "unshare");
	CHECK_STR(auditd_syscall_name(S("c00000b7"), 39), "umount2");
	CHECK_STR(auditd_syscall_name(S("c00000b7"), 281), "execveat");
	CHECK_STR(auditd_syscall_name(S("c00000b7"), 62), "lseek");
	CHECK(auditd_syscall_name(S("c00000b7"), 1024) == NULL);
	CHECK_STR(auditd_syscall_name(S("40000003"), 11), "execve");
	CHECK(auditd_syscall_name(S("40000028"), 11) == NULL);
	CHECK(auditd_syscall_name(S("zz"), 11) == NULL);
	CHECK(auditd_syscall_name(S("1c000003e"), 11) == NULL);
	CHECK_STR(auditd_arch_name(S("c000003e")), "x86_64");
	CHECK_STR(auditd_arch_name(S("c00000b7")), "aarch64");
	CHECK(auditd_arch_name(S("")) == NULL);
}

static void
test_auditd_types(void)
{
	CHECK(auditd_type_is_user(S("USER_LOGIN")));
	CHECK(auditd_type_is_user(S("CRED_ACQ")));
	CHECK(auditd_type_is_user(S("SERVICE_START")));
	CHECK(auditd_type_is_user(S("DAEMON_START")));
	CHECK(auditd_type_is_user(S("ADD_USER")));
	CHECK(auditd_type_is_user(S("ANOM_LOGIN_FAILURES")));
	CHECK(auditd_type_is_user(S("UNKNOWN[1130]")));
	CHECK(!auditd_type_is_user(S("UNKNOWN[1334]")));
	CHECK(!auditd_type_is_user(S("UNKNOWN[")));
	CHECK(!auditd_type_is_user(S("ANOM_ABEND")));
	CHECK(!auditd_type_is_user(S("LOGIN")));
	CHECK(!auditd_type_is_user(S("SYSCALL")));
	CHECK(!auditd_type_is_user(S("CONFIG_CHANGE")));
	{
		const char *a = "# c\n\ntype=EOE msg=audit(1.0:1): \n";
		const char *b = "node=x type=SYSCALL msg=audit(1.0:1): a=1\n";
		const char *c = "Jun  3 h audispd: type=EOE msg=audit(1.0:1): \n";

		CHECK_STR(ingest_probe(a, strlen(a)), "auditd");
		CHECK_STR(ingest_probe(b, strlen(b)), "auditd");
		CHECK_STR(ingest_probe(c, strlen(c)), "auditd");
		CHECK(ingest_probe("hello\nworld\n", 12) == NULL);
	}
}

/* ---- event assembly through the real driver ------------------------- */

static struct store *
mem_store(void)
{
	struct store *s = NULL;
	char *cause = NULL;

	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		return NULL;
	}
	return s;
}

static long long
q_int(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
q_str(struct store *s, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

#define PATHREC(serial, name) \
	"type=PATH msg=audit(1700000000.000:" serial "): item=0 name=\"" name "\" nametype=NORMAL\n"
#define SYSC(serial) \
	"type=SYSCALL msg=audit(1700000000.000:" serial "): arch=c000003e syscall=59 " \
	"success=yes exit=0 items=1 ppid=1 pid=" serial " uid=0 comm=\"x\" exe=\"/x\"\n"

/* Without EOE or PROCTITLE an event waits; 600 other records end it. */
static void
test_auditd_window(void)
{
	struct store *s = mem_store();
	struct buf b;
	char out[256];
	int i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	buf_init(&b, 1 << 20);
	CHECK(buf_addstr(&b, SYSC("1")) == CD_OK);
	CHECK(buf_addstr(&b, PATHREC("1", "/a")) == CD_OK);
	for (i = 0; i < 600; i++)
		CHECK(buf_printf(&b, "type=USER_LOGIN msg=audit(1700000001.000:%d): pid=1 uid=0 "
				     "msg='op=login acct=\"u\" res=success'\n", 1000 + i) == CD_OK);
	/* too late: the window has closed on serial 1 */
	CHECK(buf_addstr(&b, PATHREC("1", "/b")) == CD_OK);
	/* interleaved within the window: joined */
	CHECK(buf_addstr(&b, SYSC("2")) == CD_OK);
	CHECK(buf_addstr(&b, SYSC("3")) == CD_OK);
	CHECK(buf_addstr(&b, PATHREC("2", "/two")) == CD_OK);
	CHECK(buf_addstr(&b, PATHREC("3", "/three")) == CD_OK);
	CHECK(ingest_buffer(s, "auditd", b.data, b.len) == 603);
	q_str(s, "SELECT object FROM events WHERE ref='1700000000.000:1'", out, sizeof(out));
	CHECK_STR(out, "/a");
	q_str(s, "SELECT object FROM events WHERE ref='1700000000.000:2'", out, sizeof(out));
	CHECK_STR(out, "/two");
	q_str(s, "SELECT object FROM events WHERE ref='1700000000.000:3'", out, sizeof(out));
	CHECK_STR(out, "/three");
	CHECK(q_int(s, "SELECT count(*) FROM rejects "
		       "WHERE reason LIKE 'record arrived after%'") == 1);
	buf_release(&b);
	store_close(&s);
}

/* More pending events than slots: the stalest is stored, nothing is lost. */
static void
test_auditd_pending_cap(void)
{
	struct store *s = mem_store();
	struct buf b;
	int i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	buf_init(&b, 8 << 20);
	for (i = 0; i < 3000; i++)
		CHECK(buf_printf(&b, "type=SYSCALL msg=audit(1700000000.000:%d): arch=c000003e "
				     "syscall=2 success=yes exit=3 pid=%d\n", i, i) == CD_OK);
	for (i = 0; i < 3000; i++)
		CHECK(buf_printf(&b, "type=EOE msg=audit(1700000000.000:%d): \n", i) == CD_OK);
	CHECK(ingest_buffer(s, "auditd", b.data, b.len) == 3000);
	CHECK(q_int(s, "SELECT count(*) FROM rejects") == 0);
	CHECK(q_int(s, "SELECT count(*) FROM events WHERE action='open'") == 3000);
	buf_release(&b);
	store_close(&s);
}

/* An event over AU_MAX_RECORDS records is stored; the rest are rejects. */
static void
test_auditd_event_cap(void)
{
	struct store *s = mem_store();
	struct buf b;
	int i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	buf_init(&b, 8 << 20);
	CHECK(buf_addstr(&b, SYSC("7")) == CD_OK);
	for (i = 0; i < 4100; i++)
		CHECK(buf_printf(&b, "type=EXECVE msg=audit(1700000000.000:7): a%d=\"x\"\n",
				 i) == CD_OK);
	CHECK(ingest_buffer(s, "auditd", b.data, b.len) == 1);
	CHECK(q_int(s, "SELECT count(*) FROM rejects "
		       "WHERE reason LIKE '%exceeds 4096 records%'") == 5);
	CHECK(q_int(s, "SELECT length(argv) FROM events") == 4095 * 2 - 1);
	buf_release(&b);
	store_close(&s);
}

/* A cgroup= field (not in mainline kernels; some builds add one) attributes. */
static void
test_auditd_cgroup(void)
{
	struct store *s = mem_store();
	char out[256];
	const char *log =
		"node=w1 type=SYSCALL msg=audit(1700000000.000:9): arch=c000003e syscall=59 "
		"success=yes exit=0 pid=4 cgroup=/kubepods/besteffort/pod3f1c2a9e-8b7d-4c2e-9a1f-"
		"5d6e7f8a9b0c/4b8e1f2a9c3d5e7f60a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8\n"
		"node=w1 type=EOE msg=audit(1700000000.000:9): \n";

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(ingest_buffer(s, "auditd", log, strlen(log)) == 1);
	q_str(s, "SELECT pod_uid || ' ' || container_id || ' ' || host FROM events", out,
	      sizeof(out));
	CHECK_STR(out, "3f1c2a9e-8b7d-4c2e-9a1f-5d6e7f8a9b0c "
		       "4b8e1f2a9c3d5e7f60a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8 w1");
	q_str(s, "SELECT cgroup FROM events", out, sizeof(out));
	CHECK(strncmp(out, "/kubepods/besteffort/pod3f1c2a9e", 32) == 0);
	store_close(&s);
}

const struct unit_test auditd_tests[] = {
	{ "auditd_header", test_auditd_header },
	{ "auditd_fields", test_auditd_fields },
	{ "auditd_decode", test_auditd_decode },
	{ "auditd_sockaddr", test_auditd_sockaddr },
	{ "auditd_syscalls", test_auditd_syscalls },
	{ "auditd_types", test_auditd_types },
	{ "auditd_window", test_auditd_window },
	{ "auditd_pending_cap", test_auditd_pending_cap },
	{ "auditd_event_cap", test_auditd_event_cap },
	{ "auditd_cgroup", test_auditd_cgroup },
	{ NULL, NULL },
};
