/*
 * ing_auditd.c - Linux auditd raw logs (/var/log/audit/audit.log).
 *
 * An audit event is one or more records (lines) that share
 * msg=audit(SEC.MSEC:SERIAL) on one node.  A kernel event is complete at
 * its EOE record; in the many logs without EOE it is complete once its
 * PROCTITLE (always the kernel's last record) has been followed by another
 * record, or once AU_WINDOW records of other events have gone by since it
 * last grew.  Records of different events may interleave and arrive out of
 * order.  User-space messages (USER_*, CRED_*, DAEMON_*, ...) never get an
 * EOE and are emitted at once.
 *
 * Pending events keep copies of their lines (bounded in count and bytes),
 * and pending_offset() holds the driver's checkpoint at the oldest of them,
 * so a rerun after a crash reads every unfinished event again; what it
 * re-reads of finished ones has the same dedup key (node + stamp) and is
 * ignored by the store.  A record that turns up after its event was stored
 * is rejected (with its text) rather than silently lost.
 *
 * Each event is parsed once, when complete: SYSCALL, EXECVE (argv, long
 * arguments split as aN_len/aN[i]), PROCTITLE, CWD, PATH, SOCKADDR, AVC,
 * SECCOMP, the user-space msg='...' and the ENRICHED fields after 0x1d.
 * Cursor parsing only; no allocation per line once the buffers are warm.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "auditd.h"
#include "private.h"

/* reordering: a pending event is complete once this many other records went by */
#define AU_WINDOW      512
/* bounds on what pending events may hold */
#define AU_MAX_PENDING 1024                 /* events */
#define AU_MAX_RECORDS 4096                 /* records in one event */
#define AU_MAX_EVENT   ((size_t)8 << 20)    /* bytes of one event */
#define AU_MAX_BYTES   ((size_t)64 << 20)   /* bytes of all of them */
#define AU_KEEP_TEXT   ((size_t)64 << 10)   /* a larger slot buffer is freed after use */
#define AU_NBUCKET     2048                 /* hash buckets over pending events (2^n) */
#define AU_RECENT      16384                /* stored events remembered (2^n) */
#define AU_MAX_NODE    255                  /* node= name */
#define AU_MAX_STAMP   48                   /* "SEC.MSEC:SERIAL" */
#define AU_KEY_MAX     (AU_MAX_NODE + 1 + AU_MAX_STAMP + 2)
/* bounds on an event's columns and extra; the raw evidence keeps everything */
#define AU_MAX_FIELD   ((size_t)16 << 10)   /* one column value */
#define AU_MAX_XVAL    ((size_t)8 << 10)    /* one value in extra */
#define AU_MAX_XKEYS   64                   /* source fields copied into extra */
#define AU_KTAB        512                  /* field-name hash table (2^n) */
#define AU_PROBE_LINES 64
#define AU_MAX_SEC     9223372035ULL        /* INT64_MAX ns, less a second */

/* span_eq()/span_prefix() for literals, with the length known at compile time */
#define SEQ(s, lit)  ((s).n == sizeof(lit) - 1 && memcmp((s).p, lit, sizeof(lit) - 1) == 0)
#define SPFX(s, lit) ((s).n >= sizeof(lit) - 1 && memcmp((s).p, lit, sizeof(lit) - 1) == 0)

/* ---- pure helpers (auditd.h) ------------------------------------------ */

static struct span
sp(const char *p, size_t n)
{
	struct span s = { p, n };

	return s;
}

/* Hex digit values plus one; 0 for anything else. */
#define HX(c, v) [c] = (v) + 1
static const unsigned char hex1[256] = {
	HX('0', 0), HX('1', 1), HX('2', 2), HX('3', 3), HX('4', 4), HX('5', 5), HX('6', 6),
	HX('7', 7), HX('8', 8), HX('9', 9), HX('a', 10), HX('b', 11), HX('c', 12), HX('d', 13),
	HX('e', 14), HX('f', 15), HX('A', 10), HX('B', 11), HX('C', 12), HX('D', 13),
	HX('E', 14), HX('F', 15),
};
#undef HX

int
auditd_is_hex(struct span s)
{
	size_t i;

	if (s.n == 0 || s.n % 2 != 0)
		return 0;
	for (i = 0; i < s.n; i++)
		if (hex1[(unsigned char)s.p[i]] == 0)
			return 0;
	return 1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

ssize_t
auditd_decode(struct span val, int decode, int nul_mode, char *out, size_t cap)
{
	const unsigned char *in = (const unsigned char *)val.p;
	size_t m = val.n, r = 0, o = 0;

	if (cap < 3 * val.n + 1)
		return -1;
	if (decode && auditd_is_hex(val)) {
		/* decode into the tail of out, then clean forward from its start */
		unsigned char *t = (unsigned char *)out + cap - val.n / 2;
		size_t i;

		m = val.n / 2;
		for (i = 0; i < m; i++)
			t[i] = (unsigned char)((hex1[(unsigned char)val.p[2 * i]] - 1) << 4 |
					       (hex1[(unsigned char)val.p[2 * i + 1]] - 1));
		in = t;
	}
	if (nul_mode == AUDITD_NUL_SPACE)
		while (m > 0 && in[m - 1] == '\0')
			m--;
	while (r < m) {
		unsigned char c = in[r];
		size_t len;

		if (c == '\0') {
			if (nul_mode != AUDITD_NUL_SPACE)
				break;
			out[o++] = ' ';
			r++;
			continue;
		}
		if (c == 0x01 && nul_mode == AUDITD_NUL_KEYS) {
			out[o++] = ',';
			r++;
			continue;
		}
		if ((len = utf8_len(in + r, m - r)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			r++;
			continue;
		}
		memmove(out + o, in + r, len);
		o += len;
		r += len;
	}
	out[o] = '\0';
	return (ssize_t)o;
}

/* arch= is the AUDIT_ARCH_* constant in hex. */
static int
arch_value(struct span arch, uint32_t *v)
{
	size_t i;

	*v = 0;
	if (arch.n == 0 || arch.n > 8)
		return -1;
	for (i = 0; i < arch.n; i++) {
		int h = hexval((unsigned char)arch.p[i]);

		if (h < 0)
			return -1;
		*v = *v << 4 | (uint32_t)h;
	}
	return 0;
}

#define AU_ARCH_X86_64  0xc000003eu
#define AU_ARCH_AARCH64 0xc00000b7u
#define AU_ARCH_I386    0x40000003u

static const char *const sc_x86_64[] = {
#define SC_X86_64(nr, name) [nr] = #name,
#define SC_AARCH64(nr, name)
#define SC_I386(nr, name)
#include "auditd_syscalls.def"
#undef SC_X86_64
#undef SC_AARCH64
#undef SC_I386
};

static const char *const sc_aarch64[] = {
#define SC_X86_64(nr, name)
#define SC_AARCH64(nr, name) [nr] = #name,
#define SC_I386(nr, name)
#include "auditd_syscalls.def"
#undef SC_X86_64
#undef SC_AARCH64
#undef SC_I386
};

static const char *const sc_i386[] = {
#define SC_X86_64(nr, name)
#define SC_AARCH64(nr, name)
#define SC_I386(nr, name) [nr] = #name,
#include "auditd_syscalls.def"
#undef SC_X86_64
#undef SC_AARCH64
#undef SC_I386
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
auditd_syscall_name(struct span arch, uint64_t nr)
{
	uint32_t v;

	if (arch_value(arch, &v) != 0)
		return NULL;
	switch (v) {
	case AU_ARCH_X86_64:
		return nr < NELEM(sc_x86_64) ? sc_x86_64[nr] : NULL;
	case AU_ARCH_AARCH64:
		return nr < NELEM(sc_aarch64) ? sc_aarch64[nr] : NULL;
	case AU_ARCH_I386:
		return nr < NELEM(sc_i386) ? sc_i386[nr] : NULL;
	}
	return NULL;
}

const char *
auditd_arch_name(struct span arch)
{
	static const struct {
		uint32_t v;
		const char *name;
	} arches[] = {
		{ AU_ARCH_X86_64, "x86_64" }, { AU_ARCH_AARCH64, "aarch64" },
		{ AU_ARCH_I386, "i386" },     { 0x40000028u, "arm" },
		{ 0xc0000015u, "ppc64le" },   { 0x80000015u, "ppc64" },
		{ 0x80000016u, "s390x" },     { 0xc00000f3u, "riscv64" },
		{ 0xc0000102u, "loongarch64" },
	};
	uint32_t v;
	size_t i;

	if (arch_value(arch, &v) != 0)
		return NULL;
	for (i = 0; i < NELEM(arches); i++)
		if (arches[i].v == v)
			return arches[i].name;
	return NULL;
}

int
auditd_sockaddr(struct span hex, char *out, size_t cap)
{
	unsigned char b[128];
	size_t n;
	unsigned fam;

	if (cap > 0)
		out[0] = '\0';
	if (!auditd_is_hex(hex) || cap < 400)
		return -1;
	n = hex.n / 2 < sizeof(b) ? hex.n / 2 : sizeof(b);
	if (hex_decode(sp(hex.p, 2 * n), (char *)b, sizeof(b), &n) != CD_OK || n < 2)
		return -1;
	fam = (unsigned)b[0] | (unsigned)b[1] << 8;
	if (fam > 0xff && b[0] == 0)
		fam = b[1]; /* a big-endian host */
	switch (fam) {
	case AF_INET:
		if (n >= 8)
			snprintf(out, cap, "%u.%u.%u.%u:%u", b[4], b[5], b[6], b[7],
				 (unsigned)b[2] << 8 | b[3]);
		break;
	case AF_INET6:
		if (n >= 24) {
			static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
			char a6[INET6_ADDRSTRLEN];

			/* a dual-stack socket (a JVM's, by default) reaches an IPv4
			 * address as ::ffff:a.b.c.d: that address is the destination,
			 * and the rules name IPv4 ones (instance metadata, nodes) */
			if (memcmp(b + 8, mapped, sizeof(mapped)) == 0)
				snprintf(out, cap, "%u.%u.%u.%u:%u", b[20], b[21], b[22], b[23],
					 (unsigned)b[2] << 8 | b[3]);
			else if (inet_ntop(AF_INET6, b + 8, a6, sizeof(a6)) != NULL)
				snprintf(out, cap, "[%s]:%u", a6, (unsigned)b[2] << 8 | b[3]);
		}
		break;
	case AF_UNIX:
		if (n > 3 && b[2] == '\0') {
			struct span name = sp((char *)b + 3, n - 3);

			out[0] = '@'; /* abstract namespace */
			if (auditd_decode(name, 0, AUDITD_NUL_CUT, out + 1, cap - 1) <= 0)
				out[0] = '\0';
		} else if (n > 2) {
			auditd_decode(sp((char *)b + 2, n - 2), 0, AUDITD_NUL_CUT, out, cap);
		}
		break;
	}
	return (int)fam;
}

/* User-space (and auditd's own) message types: single records, no EOE. */
int
auditd_type_is_user(struct span t)
{
	if (t.n == 0)
		return 0;
	switch (t.p[0]) {
	case 'U':
		if (SPFX(t, "USER_") || SEQ(t, "USYS_CONFIG"))
			return 1;
		if (SPFX(t, "UNKNOWN[")) {
			const char *p = t.p + 8, *end = t.p + t.n;
			uint64_t v;

			if (str_uint64(&p, end, &v, 100000) == CD_OK && p < end && *p == ']')
				return (v >= 1100 && v <= 1299) || (v >= 2100 && v <= 2999);
		}
		return 0;
	case 'C':
		return SPFX(t, "CRED_") || SPFX(t, "CRYPTO_") || SEQ(t, "CHGRP_ID") ||
		       SEQ(t, "CHUSER_ID");
	case 'D':
		return SPFX(t, "DAEMON_") || SPFX(t, "DEV_") || SEQ(t, "DEL_USER") ||
		       SEQ(t, "DEL_GROUP") || SEQ(t, "DAC_CHECK");
	case 'A':
		if (SPFX(t, "ANOM_")) /* the kernel's four; the rest are user space */
			return !SEQ(t, "ANOM_PROMISCUOUS") && !SEQ(t, "ANOM_ABEND") &&
			       !SEQ(t, "ANOM_LINK") && !SEQ(t, "ANOM_CREAT");
		return SPFX(t, "ACCT_") || SEQ(t, "ADD_USER") || SEQ(t, "ADD_GROUP");
	case 'S':
		return SPFX(t, "SYSTEM_") || SPFX(t, "SERVICE_") || SEQ(t, "SOFTWARE_UPDATE");
	case 'V':
		return SPFX(t, "VIRT_");
	case 'R':
		return SPFX(t, "ROLE_") || SPFX(t, "RESP_");
	case 'G':
		return SPFX(t, "GRP_");
	case 'L':
		return SPFX(t, "LABEL_");
	case 'T':
		return SEQ(t, "TRUSTED_APP") || SEQ(t, "TEST");
	case 'M':
		return SEQ(t, "MAC_CHECK");
	case 'F':
		return SEQ(t, "FS_RELABEL");
	}
	return 0;
}

int
auditd_next_field(const char **cur, const char *end, struct auditd_field *f)
{
	const char *p = *cur;

	for (;;) {
		const char *k;

		while (p < end && is_space(*p))
			p++;
		if (p >= end) {
			*cur = p;
			return 0;
		}
		k = p;
		while (p < end && *p != '=' && !is_space(*p))
			p++;
		if (p >= end || *p != '=')
			continue; /* a bare word: "auditd start,", "avc:", "{" */
		f->key = sp(k, (size_t)(p - k));
		p++;
		if (p < end && (*p == '"' || *p == '\'' || *p == '{')) {
			char close = *p == '{' ? '}' : *p;
			const char *v = p + 1, *q = memchr(v, close, (size_t)(end - v));

			f->quote = *p;
			if (q == NULL)
				q = end; /* unterminated: the rest of the line */
			f->val = sp(v, (size_t)(q - v));
			p = q < end ? q + 1 : end;
		} else {
			const char *v = p;

			while (p < end && !is_space(*p))
				p++;
			f->val = sp(v, (size_t)(p - v));
			f->quote = 0;
		}
		if (f->key.n == 0)
			continue; /* "=x" */
		*cur = p;
		return 1;
	}
}

static int
is_type_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '[' || c == ']';
}

/* From p: [node=N ]type=T msg=audit(...); the strict form. */
static int
parse_from(const char *p, const char *end, struct auditd_hdr *h, const char **why)
{
	const char *t, *s, *dot = NULL, *colon = NULL;
	uint64_t sec;

	/* a failed earlier attempt (transport prefix search) may have left values */
	h->node = h->type = h->stamp = h->body = sp(p, 0);
	h->ts_ns = 0;
	h->serial = 0;
	if (str_lit(&p, end, "node=") == CD_OK) {
		const char *nd = p;

		while (p < end && !is_space(*p))
			p++;
		h->node = sp(nd, (size_t)(p - nd));
		if (h->node.n > AU_MAX_NODE) {
			*why = "node= name longer than 255 bytes";
			return CD_E_PARSE;
		}
		while (p < end && is_space(*p))
			p++;
	}
	if (str_lit(&p, end, "type=") != CD_OK) {
		*why = h->node.n ? "no type= after node=" : "not an audit record: no type= field";
		return CD_E_PARSE;
	}
	t = p;
	while (p < end && !is_space(*p))
		p++;
	h->type = sp(t, (size_t)(p - t));
	if (h->type.n == 0 || h->type.n > 64) {
		*why = "empty or overlong record type";
		return CD_E_PARSE;
	}
	for (s = t; s < p; s++) {
		if (!is_type_char(*s)) {
			*why = "record type is not a name";
			return CD_E_PARSE;
		}
	}
	while (p < end && is_space(*p))
		p++;
	if (str_lit(&p, end, "msg=audit(") != CD_OK) {
		*why = "no msg=audit(TIME:SERIAL) stamp after type=";
		return CD_E_PARSE;
	}
	s = p;
	while (p < end && *p != ')' && (size_t)(p - s) <= AU_MAX_STAMP) {
		if (*p == '.' && dot == NULL)
			dot = p;
		else if (*p == ':')
			colon = p;
		p++;
	}
	if (p >= end || *p != ')') {
		*why = "msg=audit( stamp is not closed by ')'";
		return CD_E_PARSE;
	}
	h->stamp = sp(s, (size_t)(p - s));
	if (memchr(s, '/', h->stamp.n) != NULL) {
		*why = "interpreted stamp (ausearch -i output?): "
		       "msg=audit() must hold SEC.MSEC:SERIAL";
		return CD_E_PARSE;
	}
	/*
	 * Seconds past 2^63 ns (year 2262) would overflow: time_parse_epoch()
	 * accepts up to 10^10 s, so bound them here first.
	 */
	if (colon == NULL || dot == NULL || dot > colon ||
	    span_to_u64(sp(s, (size_t)(dot - s)), &sec) != CD_OK || sec > AU_MAX_SEC ||
	    time_parse_epoch(sp(s, (size_t)(colon - s)), &h->ts_ns) != CD_OK ||
	    span_to_u64(sp(colon + 1, (size_t)(p - colon - 1)), &h->serial) != CD_OK) {
		*why = "msg=audit() stamp is not SEC.MSEC:SERIAL";
		return CD_E_PARSE;
	}
	p++;
	if (p < end && *p == ':')
		p++;
	h->body = sp(p, (size_t)(end - p));
	return CD_OK;
}

int
auditd_parse_header(const char *p, size_t n, struct auditd_hdr *h, const char **why)
{
	const char *end = p + n, *gs, *q;
	size_t i;

	memset(h, 0, sizeof(*h));
	if ((gs = memchr(p, 0x1d, n)) != NULL) {
		h->enriched = sp(gs + 1, (size_t)(end - gs - 1));
		end = gs;
	}
	while (p < end && is_space(*p))
		p++;
	if (p < end && *p == '#') {
		*why = "comment line, not an audit record";
		return CD_E_PARSE;
	}
	if (end - p >= 5 && (memcmp(p, "type=", 5) == 0 || memcmp(p, "node=", 5) == 0))
		return parse_from(p, end, h, why);
	/* a transport prefix (syslog, audisp-syslog): " node=" or " type=" later on */
	for (q = p, i = 0; q + 6 <= end && i < 512; q++, i++) {
		if (q[0] == ' ' &&
		    (memcmp(q + 1, "type=", 5) == 0 || memcmp(q + 1, "node=", 5) == 0)) {
			const char *why2;

			if (parse_from(q + 1, end, h, &why2) == CD_OK) {
				h->prefix = sp(p, (size_t)(q - p));
				return CD_OK;
			}
		}
	}
	*why = "not an audit record: no type=... msg=audit(...) header";
	return CD_E_PARSE;
}

/* ---- the ingester's state --------------------------------------------- */

struct au_slot {
	char *text;           /* the event's records, '\n'-joined, in input order */
	size_t len, cap;
	uint64_t hash;        /* of key */
	char key[AU_KEY_MAX]; /* "[NODE ]SEC.MSEC:SERIAL": identity and dedup */
	size_t keylen;
	int64_t offset, line; /* of its first record */
	uint64_t last_seq;    /* record counter when it last grew */
	uint32_t nrec;
	int32_t hnext;        /* hash chain, or the free list */
	/* links in the two orders pending events are kept in (AU_LRU, AU_FIFO) */
	struct au_link {
		int32_t prev, next;
	} link[2];
};

/* AU_LRU: least recently grown first; AU_FIFO: oldest first record first. */
enum au_order { AU_LRU, AU_FIFO };

/* Field names the builder knows (looked up through a small hash table). */
enum au_kid {
	K_NONE, K_PID, K_PPID, K_UID, K_AUID, K_SES, K_COMM, K_EXE, K_SUBJ, K_KEY, K_TTY,
	K_ARCH, K_SYSCALL, K_SUCCESS, K_EXIT, K_ITEMS, K_A0, K_A1, K_A2, K_A3, K_GID, K_EUID,
	K_SUID, K_FSUID, K_EGID, K_SGID, K_FSGID, K_CWD, K_NAME, K_NAMETYPE, K_OBJTYPE, K_MODE,
	K_OUID, K_OGID, K_INODE, K_PROCTITLE, K_SADDR, K_ARGC, K_MSG, K_OP, K_ACCT, K_ADDR,
	K_RES, K_CMD, K_UNIT, K_CGROUP, K_CODE, K_PATH, K_APPARMOR, K_SIG, K_ENC, K_DROP,
	K__COUNT
};

#define KN(name, id) { name, sizeof(name) - 1, id }

static const struct au_kname {
	const char *name;
	size_t n;
	unsigned char id;
} au_knames[] = {
	KN("pid", K_PID), KN("ppid", K_PPID), KN("uid", K_UID), KN("auid", K_AUID),
	KN("ses", K_SES), KN("comm", K_COMM), KN("exe", K_EXE), KN("subj", K_SUBJ),
	KN("key", K_KEY), KN("tty", K_TTY), KN("arch", K_ARCH), KN("syscall", K_SYSCALL),
	KN("success", K_SUCCESS), KN("exit", K_EXIT), KN("items", K_ITEMS), KN("a0", K_A0),
	KN("a1", K_A1), KN("a2", K_A2), KN("a3", K_A3), KN("gid", K_GID), KN("euid", K_EUID),
	KN("suid", K_SUID), KN("fsuid", K_FSUID), KN("egid", K_EGID), KN("sgid", K_SGID),
	KN("fsgid", K_FSGID), KN("cwd", K_CWD), KN("name", K_NAME), KN("nametype", K_NAMETYPE),
	KN("objtype", K_OBJTYPE), KN("mode", K_MODE), KN("ouid", K_OUID), KN("ogid", K_OGID),
	KN("inode", K_INODE), KN("proctitle", K_PROCTITLE), KN("saddr", K_SADDR),
	KN("argc", K_ARGC), KN("msg", K_MSG), KN("op", K_OP), KN("acct", K_ACCT),
	KN("addr", K_ADDR), KN("res", K_RES), KN("cmd", K_CMD), KN("unit", K_UNIT),
	KN("cgroup", K_CGROUP), KN("code", K_CODE), KN("path", K_PATH),
	KN("apparmor", K_APPARMOR), KN("sig", K_SIG),
	/* other fields auditd may hex-encode: decoded when copied into extra */
	KN("data", K_ENC), KN("ocomm", K_ENC), KN("dir", K_ENC), KN("watch", K_ENC),
	KN("file", K_ENC), KN("root_dir", K_ENC), KN("new-disk", K_ENC), KN("old-disk", K_ENC),
	KN("vm", K_ENC), KN("sw", K_ENC), KN("grp", K_ENC), KN("new_group", K_ENC),
	KN("old_group", K_ENC),
	/* noise for a responder */
	KN("dev", K_DROP), KN("rdev", K_DROP), KN("item", K_DROP),
};

struct au_state {
	struct au_slot *slot; /* grown on demand, up to AU_MAX_PENDING */
	int32_t nslot;
	int32_t bucket[AU_NBUCKET];
	int32_t freelist;
	struct au_ends {
		int32_t head, tail;
	} order[2];           /* ends of the AU_LRU and AU_FIFO lists */
	int32_t titled;       /* the slot whose PROCTITLE was the last record, or -1 */
	size_t npending, bytes;
	uint64_t seq;         /* records accepted */
	uint64_t *recent;     /* AU_RECENT hashes of stored events (direct-mapped), or NULL */
	unsigned char ktab[AU_KTAB]; /* au_knames index + 1, open addressing */
	char *scratch;        /* decoded values */
	size_t scratch_cap;
	struct buf argv, paths, enr, gen;
};

static uint64_t
fnv64(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static enum au_kid
au_kid(const struct au_state *st, struct span k)
{
	uint32_t i = (uint32_t)fnv64(k.p, k.n) & (AU_KTAB - 1);

	while (st->ktab[i] != 0) {
		const struct au_kname *kn = &au_knames[st->ktab[i] - 1];

		if (k.n == kn->n && memcmp(k.p, kn->name, k.n) == 0)
			return (enum au_kid)kn->id;
		i = (i + 1) & (AU_KTAB - 1);
	}
	return K_NONE;
}

static void
au_ktab_init(struct au_state *st)
{
	size_t j;

	for (j = 0; j < NELEM(au_knames); j++) {
		const char *nm = au_knames[j].name;
		uint32_t i = (uint32_t)fnv64(nm, strlen(nm)) & (AU_KTAB - 1);

		if (au_kid(st, sp(nm, strlen(nm))) != K_NONE)
			continue; /* listed twice */
		while (st->ktab[i] != 0)
			i = (i + 1) & (AU_KTAB - 1);
		st->ktab[i] = (unsigned char)(j + 1);
	}
}

/* Space for decoding a value of n bytes. */
static char *
au_scratch(struct au_state *st, size_t n, size_t *cap)
{
	size_t need = 3 * n + 1;

	if (need > st->scratch_cap) {
		size_t c = st->scratch_cap ? st->scratch_cap : 4096;

		while (c < need)
			c *= 2;
		st->scratch = xrealloc(st->scratch, c);
		st->scratch_cap = c;
	}
	*cap = st->scratch_cap;
	return st->scratch;
}

static int
plain_ascii(struct span s)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] < 0x20 || (unsigned char)s.p[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * The text of a value: hex-decoded when decode is set and it is unquoted
 * hex, cleaned to UTF-8.  Valid until the next call.
 */
static struct span
au_text(struct au_state *st, const struct auditd_field *f, int decode, int nul_mode)
{
	size_t cap;
	char *out;
	ssize_t n;

	decode = decode && f->quote == 0 && auditd_is_hex(f->val);
	if (!decode && plain_ascii(f->val))
		return f->val;
	out = au_scratch(st, f->val.n, &cap);
	n = auditd_decode(f->val, decode, nul_mode, out, cap);
	return sp(out, n < 0 ? 0 : (size_t)n);
}

/* ---- pending events ----------------------------------------------------- */

/* Unlink slot i from one of the two orders. */
static void
order_unlink(struct au_state *st, enum au_order o, int32_t i)
{
	struct au_link *l = &st->slot[i].link[o];
	struct au_ends *e = &st->order[o];

	if (l->prev >= 0)
		st->slot[l->prev].link[o].next = l->next;
	else
		e->head = l->next;
	if (l->next >= 0)
		st->slot[l->next].link[o].prev = l->prev;
	else
		e->tail = l->prev;
	l->prev = l->next = -1;
}

/* Append slot i at the tail of one of the two orders. */
static void
order_append(struct au_state *st, enum au_order o, int32_t i)
{
	struct au_link *l = &st->slot[i].link[o];
	struct au_ends *e = &st->order[o];

	l->prev = e->tail;
	l->next = -1;
	if (e->tail >= 0)
		st->slot[e->tail].link[o].next = i;
	else
		e->head = i;
	e->tail = i;
}

static int32_t
au_find(const struct au_state *st, uint64_t h, const char *key, size_t n)
{
	int32_t i;

	for (i = st->bucket[h & (AU_NBUCKET - 1)]; i >= 0; i = st->slot[i].hnext)
		if (st->slot[i].hash == h && st->slot[i].keylen == n &&
		    memcmp(st->slot[i].key, key, n) == 0)
			return i;
	return -1;
}

#define AU_RECENT_STORED 1
#define AU_RECENT_TOOBIG 3

static void
recent_put(struct au_state *st, uint64_t h, uint64_t how)
{
	if (st->recent == NULL)
		st->recent = xcalloc(AU_RECENT, sizeof(*st->recent));
	st->recent[h & (AU_RECENT - 1)] = (h & ~(uint64_t)3) | how;
}

/* 0, or how the event with this hash was stored. */
static int
recent_get(const struct au_state *st, uint64_t h)
{
	uint64_t v;

	if (st->recent == NULL)
		return 0;
	v = st->recent[h & (AU_RECENT - 1)];
	if (v == 0 || (v & ~(uint64_t)3) != (h & ~(uint64_t)3))
		return 0;
	return (int)(v & 3);
}

static int au_emit(struct au_state *st, struct ingest_ctx *ctx, const char *raw, size_t n,
		   int64_t off, int64_t line, const char *key, size_t keylen,
		   const struct auditd_hdr *one);

/* Take slot i out of every list, store its event and free the slot. */
static int
au_complete(struct au_state *st, struct ingest_ctx *ctx, int32_t i)
{
	struct au_slot *s = &st->slot[i];
	int32_t *pp = &st->bucket[s->hash & (AU_NBUCKET - 1)];
	int rc;

	while (*pp != i)
		pp = &st->slot[*pp].hnext;
	*pp = s->hnext;
	order_unlink(st, AU_LRU, i);
	order_unlink(st, AU_FIFO, i);
	st->npending--;
	st->bytes -= s->len;
	if (st->titled == i)
		st->titled = -1;
	recent_put(st, s->hash, AU_RECENT_STORED);
	rc = au_emit(st, ctx, s->text, s->len, s->offset, s->line, s->key, s->keylen, NULL);
	if (s->cap > AU_KEEP_TEXT) {
		free(s->text);
		s->text = NULL;
		s->cap = 0;
	}
	s->len = 0;
	s->hnext = st->freelist;
	st->freelist = i;
	return rc;
}

static int
au_append(struct au_state *st, struct au_slot *s, const char *p, size_t n)
{
	size_t need = s->len + (s->len ? 1 : 0) + n;

	if (need > AU_MAX_EVENT || s->nrec >= AU_MAX_RECORDS)
		return CD_E_LIMIT;
	if (need > s->cap) {
		size_t c = s->cap ? s->cap : 1024;

		while (c < need)
			c *= 2;
		s->text = xrealloc(s->text, c);
		s->cap = c;
	}
	if (s->len) {
		s->text[s->len++] = '\n';
		st->bytes++;
	}
	memcpy(s->text + s->len, p, n);
	s->len += n;
	st->bytes += n;
	s->nrec++;
	return CD_OK;
}

static void
au_touch(struct au_state *st, int32_t i)
{
	st->slot[i].last_seq = st->seq;
	if (st->order[AU_LRU].tail != i) {
		order_unlink(st, AU_LRU, i);
		order_append(st, AU_LRU, i);
	}
}

/* A new pending event for rec (evicting the stalest when full); -1 on a store error. */
static int32_t
au_new(struct au_state *st, struct ingest_ctx *ctx, uint64_t h, const char *key, size_t kn,
       const struct ingest_record *rec, int *rc)
{
	struct au_slot *s;
	int32_t i;

	*rc = CD_OK;
	if (st->freelist < 0 && st->nslot < AU_MAX_PENDING) {
		/* more slots: doubling, so a file of user-space records needs none */
		int32_t n = st->nslot ? 2 * st->nslot : 16, j;

		if (n > AU_MAX_PENDING)
			n = AU_MAX_PENDING;
		st->slot = xrealloc(st->slot, (size_t)n * sizeof(*st->slot));
		memset(st->slot + st->nslot, 0, (size_t)(n - st->nslot) * sizeof(*st->slot));
		for (j = n - 1; j >= st->nslot; j--) {
			st->slot[j].link[AU_LRU].prev = st->slot[j].link[AU_LRU].next = -1;
			st->slot[j].link[AU_FIFO].prev = st->slot[j].link[AU_FIFO].next = -1;
			st->slot[j].hnext = st->freelist;
			st->freelist = j;
		}
		st->nslot = n;
	}
	if (st->freelist < 0 && (*rc = au_complete(st, ctx, st->order[AU_LRU].head)) != CD_OK)
		return -1;
	i = st->freelist;
	s = &st->slot[i];
	st->freelist = s->hnext;
	s->hash = h;
	memcpy(s->key, key, kn);
	s->keylen = kn;
	s->offset = rec->offset;
	s->line = rec->line;
	s->nrec = 0;
	s->len = 0;
	s->hnext = st->bucket[h & (AU_NBUCKET - 1)];
	st->bucket[h & (AU_NBUCKET - 1)] = i;
	order_append(st, AU_LRU, i);
	order_append(st, AU_FIFO, i);
	st->npending++;
	return i;
}

/* Complete what has waited too long, or what holds too many bytes. */
static int
au_expire(struct au_state *st, struct ingest_ctx *ctx)
{
	int rc;

	while (st->order[AU_LRU].head >= 0 &&
	       (st->seq - st->slot[st->order[AU_LRU].head].last_seq > AU_WINDOW || st->bytes > AU_MAX_BYTES))
		if ((rc = au_complete(st, ctx, st->order[AU_LRU].head)) != CD_OK)
			return rc;
	return CD_OK;
}

/* "[NODE ]SEC.MSEC:SERIAL" */
static size_t
au_key(const struct auditd_hdr *h, char *key)
{
	size_t n = 0, nn = h->node.n, sn = h->stamp.n;

	/* parse_from() bounds both; clamp anyway rather than trust it blindly */
	if (nn > AU_MAX_NODE)
		nn = AU_MAX_NODE;
	if (sn > AU_MAX_STAMP + 1)
		sn = AU_MAX_STAMP + 1;
	if (nn) {
		memcpy(key, h->node.p, nn);
		n = nn;
		key[n++] = ' ';
	}
	memcpy(key + n, h->stamp.p, sn);
	n += sn;
	key[n] = '\0';
	return n;
}

/* ---- building one event --------------------------------------------- */

enum au_rtype {
	R_OTHER, R_SYSCALL, R_EXECVE, R_PATH, R_CWD, R_PROCTITLE, R_SOCKADDR, R_AVC, R_SECCOMP
};

struct au_build {
	struct au_state *st;
	struct ingest_ctx *ctx;
	struct event *ev;
	struct ev_arena *a;
	enum au_rtype rt;
	int prio;                     /* the record is SYSCALL: its values win */
	int have_syscall;
	struct span first_type;
	unsigned char have[K__COUNT];  /* fv[id] is set */
	/* EXECVE */
	int have_execve, argv_trunc;
	uint64_t cur_arg;
	/* PATH */
	struct auditd_field p_name, p_nametype, p_mode, p_ouid, p_ogid, p_inode;
	int p_have, obj_final, cg_from_path;
	const char *obj_parent;
	/* AVC */
	struct span avc_verdict, avc_perms;
	/* ENRICHED values used for columns */
	struct span e_syscall, e_arch;
	size_t ngkeys, nekeys;
	size_t nrecs;
	int recs_full;
	struct span last_type;
	unsigned last_count;
	/* not cleared per event: read only where have[], ngkeys, nekeys, nrecs say */
	struct auditd_field fv[K__COUNT]; /* first value of each known field */
	struct span gkeys[AU_MAX_XKEYS], ekeys[AU_MAX_XKEYS]; /* keys in gen and enr */
	char recs[512];
};

/* Decimal digits of v, without printf. */
static int
buf_add_i64(struct buf *o, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return buf_add(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* ingest_extra_int() for a plain key, without printf. */
static void
extra_num(struct ingest_ctx *ctx, const char *key, int64_t v)
{
	struct buf *x = ingest_extra_buf(ctx);
	size_t mark = x->len;

	if (x->len == 0)
		return;
	if ((x->len > 1 && buf_addc(x, ',') != CD_OK) || buf_addc(x, '"') != CD_OK ||
	    buf_addstr(x, key) != CD_OK || buf_add(x, "\":", 2) != CD_OK ||
	    buf_add_i64(x, v) != CD_OK) {
		x->len = mark;
		x->data[mark] = '\0';
	}
}

/* A string column: at most AU_MAX_FIELD bytes, cut on a character boundary. */
static const char *
au_dup(struct au_build *b, struct span s)
{
	if (s.n > AU_MAX_FIELD) {
		s.n = AU_MAX_FIELD;
		while (s.n > 0 && ((unsigned char)s.p[s.n] & 0xc0) == 0x80)
			s.n--;
	}
	return ev_strdup(b->a, s.p, s.n);
}

static const char *
au_col(struct au_build *b, const struct auditd_field *f, int decode, int nul_mode)
{
	return au_dup(b, au_text(b->st, f, decode, nul_mode));
}

/* A span of the record as a column, cleaned to UTF-8. */
static const char *
au_dupt(struct au_build *b, struct span s)
{
	struct auditd_field f;

	f.key = s;
	f.val = s;
	f.quote = 0;
	return au_col(b, &f, 0, AUDITD_NUL_CUT);
}

static void
au_set_int(struct au_build *b, int64_t *dst, const struct auditd_field *f)
{
	int64_t v;

	if ((*dst == EV_NULL || b->prio) && span_to_i64(f->val, &v) == CD_OK)
		*dst = v;
}

static void
au_set_str(struct au_build *b, const char **dst, const struct auditd_field *f, int decode)
{
	if (*dst != NULL && !b->prio)
		return;
	if (f->val.n == 0 || SEQ(f->val, "?") || SEQ(f->val, "(null)"))
		return;
	*dst = au_col(b, f, decode, AUDITD_NUL_CUT);
}

static int
valid_key(struct span k)
{
	size_t i;

	if (k.n == 0 || k.n > 48)
		return 0;
	for (i = 0; i < k.n; i++) {
		char c = k.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

/* Names au_extra() writes itself: a source field of that name is left out. */
static int
reserved_key(struct span k)
{
	switch (k.n) {
	case 3:
		return SEQ(k, "avc");
	case 4:
		return SEQ(k, "path") || SEQ(k, "name");
	case 5:
		return SEQ(k, "paths");
	case 7:
		return SEQ(k, "records");
	case 8:
		return SEQ(k, "enriched");
	case 9:
		return SEQ(k, "avc_perms") || SEQ(k, "transport");
	case 10:
		return SEQ(k, "syscall_nr");
	case 12:
		return SEQ(k, "saddr_family") || SEQ(k, "seccomp_code");
	case 14:
		return SEQ(k, "argv_truncated") || SEQ(k, "container_from");
	}
	return 0;
}

/* Append ,"key":"value" to an object under construction (first key wins). */
static void
au_member(struct au_build *b, struct buf *o, struct span *seen, size_t *nseen, struct span key,
	  struct span val)
{
	size_t i, mark = o->len;

	if (!valid_key(key) || *nseen >= AU_MAX_XKEYS)
		return;
	for (i = 0; i < *nseen; i++)
		if (seen[i].n == key.n && memcmp(seen[i].p, key.p, key.n) == 0)
			return;
	if (val.n > AU_MAX_XVAL) {
		val.n = AU_MAX_XVAL;
		while (val.n > 0 && ((unsigned char)val.p[val.n] & 0xc0) == 0x80)
			val.n--;
	}
	if (buf_addc(o, ',') != CD_OK || json_put_strn(o, key.p, key.n) != CD_OK ||
	    buf_addc(o, ':') != CD_OK || json_put_strn(o, val.p, val.n) != CD_OK) {
		o->len = mark;
		o->data[mark] = '\0';
		return;
	}
	(void)b;
	seen[(*nseen)++] = key;
}

/* A source field with no column: into extra, decoded when auditd may encode it. */
static void
au_generic(struct au_build *b, const struct auditd_field *f, int decode)
{
	struct span t;

	if (f->val.n == 0 || SEQ(f->val, "?") || SEQ(f->val, "(null)"))
		return;
	if (reserved_key(f->key))
		return;
	t = au_text(b->st, f, decode, AUDITD_NUL_CUT);
	au_member(b, &b->st->gen, b->gkeys, &b->ngkeys, f->key, t);
}

/* "avc:  denied  { read write } for ..." */
static void
au_avc(struct au_build *b, struct span body)
{
	const char *p = memmem(body.p, body.n, "avc:", 4), *end = body.p + body.n, *w, *o, *c;

	if (p == NULL || b->avc_verdict.n)
		return;
	p += 4;
	while (p < end && is_space(*p))
		p++;
	w = p;
	while (p < end && !is_space(*p))
		p++;
	b->avc_verdict = sp(w, (size_t)(p - w));
	if ((o = memchr(p, '{', (size_t)(end - p))) == NULL ||
	    (c = memchr(o, '}', (size_t)(end - o))) == NULL)
		return;
	o++;
	while (o < c && is_space(*o))
		o++;
	while (c > o && is_space(c[-1]))
		c--;
	b->avc_perms = sp(o, (size_t)(c - o));
}

/* "a12" (0), "a12[3]" (1), "a12_len" (2); -1 when not an EXECVE argument. */
static int
execve_arg(struct span k, uint64_t *n)
{
	const char *p = k.p + 1, *end = k.p + k.n;

	if (k.n < 2 || k.p[0] != 'a' || str_uint64(&p, end, n, 1u << 20) != CD_OK)
		return -1;
	if (p == end)
		return 0;
	if (*p == '[')
		return 1;
	if (end - p == 4 && memcmp(p, "_len", 4) == 0)
		return 2;
	return -1;
}

static void
au_execve_field(struct au_build *b, const struct auditd_field *f)
{
	struct buf *av = &b->st->argv;
	struct span t;
	uint64_t n;
	int kind = execve_arg(f->key, &n);

	if (kind < 0) {
		if (SEQ(f->key, "argc")) {
			if (!b->have[K_ARGC]) {
				b->fv[K_ARGC] = *f;
				b->have[K_ARGC] = 1;
			}
		} else {
			au_generic(b, f, 0);
		}
		return;
	}
	if (kind == 2 || b->argv_trunc)
		return;
	b->have_execve = 1;
	t = au_text(b->st, f, 1, AUDITD_NUL_CUT);
	if (n != b->cur_arg && av->len > 0 && buf_addc(av, ' ') != CD_OK) {
		b->argv_trunc = 1;
		return;
	}
	b->cur_arg = n;
	if (buf_add(av, t.p, t.n) != CD_OK) {
		/* keep what fits, whole characters only */
		size_t room = av->max - av->len;

		while (room > 0 && room < t.n && ((unsigned char)t.p[room] & 0xc0) == 0x80)
			room--;
		if (room > 0 && room < t.n && buf_add(av, t.p, room) != CD_OK)
			room = 0;
		b->argv_trunc = 1;
	}
}

static int
is_cgroup_path(struct span s)
{
	return SPFX(s, "/sys/fs/cgroup/") &&
	       (memmem(s.p, s.n, "kubepods", 8) || memmem(s.p, s.n, "docker", 6) ||
		memmem(s.p, s.n, "libpod", 6) || memmem(s.p, s.n, "crio", 4) ||
		memmem(s.p, s.n, "containerd", 10));
}

/* The end of a PATH record: its entry in "paths", and the event's object. */
static void
au_path_done(struct au_build *b)
{
	struct buf *pb = &b->st->paths;
	size_t mark = pb->len;
	struct span name;
	const char *nm = NULL;
	int64_t v;
	int ok;

	if (!b->p_have)
		return;
	b->p_have = 0;
	if (b->p_name.val.n == 0 || SEQ(b->p_name.val, "(null)"))
		return;
	name = au_text(b->st, &b->p_name, 1, AUDITD_NUL_CUT);
	if (!b->obj_final) {
		nm = au_dup(b, name);
		if (SEQ(b->p_nametype.val, "PARENT")) {
			if (b->obj_parent == NULL)
				b->obj_parent = nm;
		} else {
			b->ev->object = nm;
			b->obj_final = 1;
		}
	}
	if (b->ev->container_id == NULL && b->ev->pod_uid == NULL && is_cgroup_path(name)) {
		ev_from_cgroup(b->ev, b->a, name.p, name.n);
		if (b->ev->container_id != NULL || b->ev->pod_uid != NULL)
			b->cg_from_path = 1;
	}
	ok = buf_addstr(pb, pb->len > 1 ? ",{\"name\":" : "{\"name\":") == CD_OK &&
	     json_put_strn(pb, name.p, name.n) == CD_OK;
	if (ok && b->p_nametype.val.n) {
		struct span t = au_text(b->st, &b->p_nametype, 0, AUDITD_NUL_CUT); /* name is written */

		ok = buf_addstr(pb, ",\"nametype\":") == CD_OK && json_put_strn(pb, t.p, t.n) == CD_OK;
	}
	if (ok && b->p_inode.val.n && span_to_i64(b->p_inode.val, &v) == CD_OK)
		ok = buf_add(pb, ",\"inode\":", 9) == CD_OK && buf_add_i64(pb, v) == CD_OK;
	if (ok && b->p_mode.val.n && plain_ascii(b->p_mode.val))
		ok = buf_addstr(pb, ",\"mode\":") == CD_OK &&
		     json_put_strn(pb, b->p_mode.val.p, b->p_mode.val.n) == CD_OK;
	if (ok && b->p_ouid.val.n && span_to_i64(b->p_ouid.val, &v) == CD_OK)
		ok = buf_add(pb, ",\"ouid\":", 8) == CD_OK && buf_add_i64(pb, v) == CD_OK;
	if (ok && b->p_ogid.val.n && span_to_i64(b->p_ogid.val, &v) == CD_OK)
		ok = buf_add(pb, ",\"ogid\":", 8) == CD_OK && buf_add_i64(pb, v) == CD_OK;
	if (ok)
		ok = buf_addc(pb, '}') == CD_OK;
	if (!ok) {
		pb->len = mark;
		pb->data[mark] = '\0';
	}
}

static void au_fields(struct au_build *b, struct span body, int inner);

static void
au_field(struct au_build *b, const struct auditd_field *f, int inner)
{
	enum au_kid id;

	if (b->rt == R_EXECVE && !inner) {
		au_execve_field(b, f);
		return;
	}
	id = au_kid(b->st, f->key);
	if (b->rt == R_PATH && !inner) {
		struct auditd_field *dst = NULL;

		switch (id) {
		case K_NAME: dst = &b->p_name; break;
		case K_NAMETYPE:
		case K_OBJTYPE: dst = &b->p_nametype; break;
		case K_MODE: dst = &b->p_mode; break;
		case K_OUID: dst = &b->p_ouid; break;
		case K_OGID: dst = &b->p_ogid; break;
		case K_INODE: dst = &b->p_inode; break;
		default: break;
		}
		if (dst != NULL) {
			*dst = *f;
			b->p_have = 1;
		}
		return;
	}
	switch (id) {
	case K_PID: au_set_int(b, &b->ev->pid, f); return;
	case K_PPID: au_set_int(b, &b->ev->ppid, f); return;
	case K_UID: au_set_int(b, &b->ev->uid, f); return;
	case K_AUID: au_set_int(b, &b->ev->auid, f); return;
	case K_SES: au_set_int(b, &b->ev->ses, f); return;
	case K_COMM: au_set_str(b, &b->ev->comm, f, 1); return;
	case K_EXE: au_set_str(b, &b->ev->exe, f, 1); return;
	case K_CWD: au_set_str(b, &b->ev->cwd, f, 1); return;
	case K_ACCT: au_set_str(b, &b->ev->actor, f, 1); return;
	case K_KEY:
		if (b->ev->rule == NULL || b->prio) {
			if (f->val.n && !SEQ(f->val, "(null)") && !SEQ(f->val, "?"))
				b->ev->rule = au_col(b, f, 1, AUDITD_NUL_KEYS);
		}
		return;
	case K_CGROUP:
		if (b->ev->cgroup == NULL && f->val.n && !SEQ(f->val, "?")) {
			b->ev->cgroup = au_col(b, f, 1, AUDITD_NUL_CUT);
			if (b->ev->cgroup != NULL && !b->cg_from_path)
				ev_from_cgroup(b->ev, b->a, b->ev->cgroup, strlen(b->ev->cgroup));
		}
		return;
	case K_MSG:
		if (f->quote == '\'') {
			au_fields(b, f->val, 1);
			au_avc(b, f->val);
		} else {
			au_generic(b, f, 0);
		}
		return;
	case K_NAME:
		/* AVC, KERN_MODULE (the module), ...: the object when there is no PATH */
		if (!b->have[K_NAME] && f->val.n && !SEQ(f->val, "?") && !SEQ(f->val, "(null)")) {
			b->fv[K_NAME] = *f;
			b->have[K_NAME] = 1;
			return;
		}
		break;
	case K_PATH:
		/* AVC, USER_AVC, CONFIG_CHANGE (watches), INTEGRITY_*: the object */
		if (!b->have[K_PATH] && f->val.n && !SEQ(f->val, "?") &&
		    !SEQ(f->val, "(null)")) {
			b->fv[K_PATH] = *f;
			b->have[K_PATH] = 1;
			return;
		}
		break;
	case K_SIG:
		if (!b->have[K_SIG]) {
			b->fv[K_SIG] = *f;
			b->have[K_SIG] = 1;
		}
		break;
	case K_ADDR: {
		struct span t = au_text(b->st, f, 0, AUDITD_NUL_CUT);
		unsigned char tmp[16];
		char ip[INET6_ADDRSTRLEN];

		if (t.n > 0 && t.n < sizeof(ip)) {
			memcpy(ip, t.p, t.n);
			ip[t.n] = '\0';
			if (inet_pton(AF_INET, ip, tmp) == 1 || inet_pton(AF_INET6, ip, tmp) == 1) {
				if (b->ev->src_ip == NULL)
					b->ev->src_ip = au_dup(b, t);
				return;
			}
		}
		break;
	}
	case K_ENC:
		au_generic(b, f, 1);
		return;
	case K_CODE:
		if (b->rt != R_SECCOMP)
			break;
		if (!b->have[id]) {
			b->fv[id] = *f;
			b->have[id] = 1;
		}
		return;
	case K_DROP:
		return;
	case K_ARCH: case K_SYSCALL: case K_SUCCESS: case K_EXIT: case K_ITEMS: case K_A0:
	case K_A1: case K_A2: case K_A3: case K_GID: case K_EUID: case K_SUID: case K_FSUID:
	case K_EGID: case K_SGID: case K_FSGID: case K_TTY: case K_SUBJ: case K_PROCTITLE:
	case K_SADDR: case K_ARGC: case K_OP: case K_RES: case K_CMD: case K_UNIT: case K_APPARMOR:
		if (!b->have[id] || (b->prio && !inner)) {
			b->fv[id] = *f;
			b->have[id] = 1;
		}
		return;
	default:
		break;
	}
	au_generic(b, f, 0);
}

static void
au_fields(struct au_build *b, struct span body, int inner)
{
	const char *cur = body.p, *end = body.p + body.n;
	struct auditd_field f;

	while (auditd_next_field(&cur, end, &f))
		au_field(b, &f, inner);
}

static void
au_enriched(struct au_build *b, struct span e)
{
	const char *cur = e.p, *end = e.p + e.n;
	struct auditd_field f;

	while (auditd_next_field(&cur, end, &f)) {
		struct span t = au_text(b->st, &f, 0, AUDITD_NUL_CUT);

		if (f.quote == '{') {
			while (t.n > 0 && is_space(t.p[0])) {
				t.p++;
				t.n--;
			}
			while (t.n > 0 && is_space(t.p[t.n - 1]))
				t.n--;
		}
		if (SEQ(f.key, "SYSCALL") && b->e_syscall.n == 0 && plain_ascii(f.val))
			b->e_syscall = f.val;
		else if (SEQ(f.key, "ARCH") && b->e_arch.n == 0 && plain_ascii(f.val))
			b->e_arch = f.val;
		au_member(b, &b->st->enr, b->ekeys, &b->nekeys, f.key, t);
	}
}

/* "SYSCALL,EXECVE,CWD,PATH*2,PROCTITLE,EOE" */
static void
au_recs_flush(struct au_build *b)
{
	char cnt[16];
	size_t need, cn = 0;

	if (b->last_type.n == 0 || b->recs_full)
		return;
	if (b->last_count > 1)
		cn = (size_t)snprintf(cnt, sizeof(cnt), "*%u", b->last_count);
	need = (b->nrecs ? 1 : 0) + b->last_type.n + cn;
	if (b->nrecs + need + 5 > sizeof(b->recs)) {
		memcpy(b->recs + b->nrecs, ",...", 4);
		b->nrecs += 4;
		b->recs_full = 1;
	} else {
		if (b->nrecs)
			b->recs[b->nrecs++] = ',';
		memcpy(b->recs + b->nrecs, b->last_type.p, b->last_type.n);
		b->nrecs += b->last_type.n;
		memcpy(b->recs + b->nrecs, cnt, cn);
		b->nrecs += cn;
	}
	b->recs[b->nrecs] = '\0';
	b->last_type.n = 0;
}

static void
au_recs_add(struct au_build *b, struct span t)
{
	if (b->last_type.n == t.n && memcmp(b->last_type.p, t.p, t.n) == 0) {
		b->last_count++;
		return;
	}
	au_recs_flush(b);
	b->last_type = t;
	b->last_count = 1;
}

static enum au_rtype
au_rtype(struct span t)
{
	switch (t.n) {
	case 3:
		return SEQ(t, "CWD") ? R_CWD : SEQ(t, "AVC") ? R_AVC : R_OTHER;
	case 4:
		return SEQ(t, "PATH") ? R_PATH : R_OTHER;
	case 6:
		return SEQ(t, "EXECVE") ? R_EXECVE : R_OTHER;
	case 7:
		return SEQ(t, "SYSCALL") ? R_SYSCALL : SEQ(t, "SECCOMP") ? R_SECCOMP : R_OTHER;
	case 8:
		return SEQ(t, "SOCKADDR") ? R_SOCKADDR : R_OTHER;
	case 9:
		return SEQ(t, "PROCTITLE") ? R_PROCTITLE : R_OTHER;
	}
	return R_OTHER;
}

static void
au_record(struct au_build *b, const struct auditd_hdr *h)
{
	if (b->first_type.n == 0)
		b->first_type = h->type;
	au_recs_add(b, h->type);
	if (SEQ(h->type, "EOE"))
		return;
	b->rt = au_rtype(h->type);
	b->prio = b->rt == R_SYSCALL;
	if (b->rt == R_PATH) {
		memset(&b->p_name, 0, sizeof(b->p_name));
		b->p_nametype = b->p_mode = b->p_ouid = b->p_ogid = b->p_inode = b->p_name;
	}
	if (b->prio)
		b->have_syscall = 1;
	au_fields(b, h->body, 0);
	if (b->rt == R_PATH)
		au_path_done(b);
	if (b->rt == R_AVC)
		au_avc(b, h->body);
	if (h->enriched.n)
		au_enriched(b, h->enriched);
	b->prio = 0;
}

/* Extra member with a raw JSON value (the shared helpers take scalars only). */
static void
extra_raw(struct ingest_ctx *ctx, const char *key, const char *json, size_t n)
{
	struct buf *x = ingest_extra_buf(ctx);
	size_t mark = x->len;

	if (x->len == 0)
		return;
	if ((x->len > 1 && buf_addc(x, ',') != CD_OK) || json_put_str(x, key) != CD_OK ||
	    buf_addc(x, ':') != CD_OK || buf_add(x, json, n) != CD_OK) {
		x->len = mark;
		x->data[mark] = '\0';
	}
}

/* A field's value as a C string for extra (plain values only). */
static const char *
au_xstr(struct au_build *b, enum au_kid id, int decode)
{
	if (!b->have[id] || b->fv[id].val.n == 0 || SEQ(b->fv[id].val, "?"))
		return NULL;
	return au_col(b, &b->fv[id], decode, AUDITD_NUL_CUT);
}

static void
au_xint(struct au_build *b, const char *key, enum au_kid id)
{
	int64_t v;

	if (!b->have[id])
		return;
	if (span_to_i64(b->fv[id].val, &v) == CD_OK)
		extra_num(b->ctx, key, v);
	else
		ingest_extra_str(b->ctx, key, au_xstr(b, id, 0));
}

static int
res_ok(struct span r)
{
	return SEQ(r, "success") || SEQ(r, "yes") || SEQ(r, "1");
}

/* User-space types whose failure means access was refused. */
static int
auth_type(struct span t)
{
	static const char *const names[] = {
		"USER_AUTH", "USER_ACCT", "USER_LOGIN", "USER_CMD", "USER_AVC", "USER_ERR",
		"USER_ROLE_CHANGE", "CRED_ACQ", "CRED_REFR", "GRP_AUTH", "USER_CHAUTHTOK", NULL,
	};
	size_t i;

	for (i = 0; names[i]; i++)
		if (span_eq(t, names[i]))
			return 1;
	return SPFX(t, "ANOM_LOGIN_");
}

static void
au_outcome(struct au_build *b)
{
	struct event *ev = b->ev;
	int64_t v;

	if (b->have[K_SUCCESS]) {
		struct span s = b->fv[K_SUCCESS].val;

		if (b->have[K_EXIT])
			ev->outcome_code = au_col(b, &b->fv[K_EXIT], 0, AUDITD_NUL_CUT);
		if (SEQ(s, "yes") || SEQ(s, "1"))
			ev->outcome = "success";
		else if (b->have[K_EXIT] && span_to_i64(b->fv[K_EXIT].val, &v) == CD_OK &&
			 (v == -13 || v == -1))
			ev->outcome = "denied"; /* EACCES, EPERM */
		else
			ev->outcome = "error";
	} else if (b->have[K_CODE] && SPFX(b->fv[K_CODE].val, "0x")) {
		/* SECCOMP: the filter's action */
		uint32_t c;

		ev->outcome_code = au_col(b, &b->fv[K_CODE], 0, AUDITD_NUL_CUT);
		if (arch_value(sp(b->fv[K_CODE].val.p + 2, b->fv[K_CODE].val.n - 2), &c) == 0) {
			c &= 0xffff0000u;
			ev->outcome = c == 0x7fff0000u || c == 0x7ffc0000u || c == 0x7ff00000u ||
					      c == 0x7fc00000u ? "success" : "denied";
		}
	} else if (SEQ(b->first_type, "ANOM_ABEND")) {
		/* a process died of a signal: the record's res= says nothing about that */
		ev->outcome = "error";
		if (b->have[K_SIG] && plain_ascii(b->fv[K_SIG].val))
			ev->outcome_code = ev_printf(b->a, "sig=%.*s", (int)b->fv[K_SIG].val.n,
						     b->fv[K_SIG].val.p);
	} else if (b->have[K_RES]) {
		struct span r = b->fv[K_RES].val;

		ev->outcome_code = au_col(b, &b->fv[K_RES], 0, AUDITD_NUL_CUT);
		if (res_ok(r))
			ev->outcome = "success";
		else
			ev->outcome = auth_type(b->first_type) ? "denied" : "error";
	} else if (SEQ(b->avc_verdict, "denied") ||
		   (b->have[K_APPARMOR] && SEQ(b->fv[K_APPARMOR].val, "DENIED"))) {
		ev->outcome = "denied";
	} else if (SEQ(b->avc_verdict, "granted") ||
		   (b->have[K_APPARMOR] && (SEQ(b->fv[K_APPARMOR].val, "ALLOWED") ||
					     SEQ(b->fv[K_APPARMOR].val, "AUDIT")))) {
		ev->outcome = "success";
	}
}

static void
au_action(struct au_build *b)
{
	struct event *ev = b->ev;
	uint64_t nr;

	if (b->have[K_SYSCALL] && span_to_u64(b->fv[K_SYSCALL].val, &nr) == CD_OK) {
		const char *name = NULL;

		if (b->have[K_ARCH])
			name = auditd_syscall_name(b->fv[K_ARCH].val, nr);
		if (name != NULL)
			ev->action = name;
		else if (valid_key(b->e_syscall))
			ev->action = au_dup(b, b->e_syscall);
		else
			ev->action = ev_printf(b->a, "syscall_%llu", (unsigned long long)nr);
	} else if (b->have[K_OP] && b->fv[K_OP].val.n && !SEQ(b->fv[K_OP].val, "?")) {
		ev->action = au_col(b, &b->fv[K_OP], 0, AUDITD_NUL_CUT);
	} else {
		ev->action = au_dup(b, b->first_type);
	}
}

static void
au_extra(struct au_build *b, const char *dstbuf, int fam, const struct auditd_hdr *first)
{
	struct ingest_ctx *ctx = b->ctx;
	struct au_state *st = b->st;
	const char *arch = NULL;

	ingest_extra_begin(ctx);
	au_recs_flush(b);
	ingest_extra_str(ctx, "records", b->recs);
	if (b->have[K_ARCH]) {
		arch = auditd_arch_name(b->fv[K_ARCH].val);
		if (arch == NULL && b->e_arch.n)
			arch = au_dup(b, b->e_arch);
		if (arch == NULL)
			arch = au_xstr(b, K_ARCH, 0);
		ingest_extra_str(ctx, "arch", arch);
	}
	au_xint(b, "syscall_nr", K_SYSCALL);
	if (b->have[K_SYSCALL] && b->have[K_OP])
		ingest_extra_str(ctx, "op", au_xstr(b, K_OP, 0));
	ingest_extra_str(ctx, "a0", au_xstr(b, K_A0, 0));
	ingest_extra_str(ctx, "a1", au_xstr(b, K_A1, 0));
	ingest_extra_str(ctx, "a2", au_xstr(b, K_A2, 0));
	ingest_extra_str(ctx, "a3", au_xstr(b, K_A3, 0));
	au_xint(b, "items", K_ITEMS);
	au_xint(b, "gid", K_GID);
	au_xint(b, "euid", K_EUID);
	au_xint(b, "suid", K_SUID);
	au_xint(b, "fsuid", K_FSUID);
	au_xint(b, "egid", K_EGID);
	au_xint(b, "sgid", K_SGID);
	au_xint(b, "fsgid", K_FSGID);
	ingest_extra_str(ctx, "tty", au_xstr(b, K_TTY, 0));
	ingest_extra_str(ctx, "subj", au_xstr(b, K_SUBJ, 0));
	au_xint(b, "argc", K_ARGC);
	if (b->argv_trunc)
		extra_num(ctx, "argv_truncated", 1);
	if (b->have_execve && b->have[K_PROCTITLE])
		ingest_extra_str(ctx, "proctitle",
				 au_dup(b, au_text(st, &b->fv[K_PROCTITLE], 1, AUDITD_NUL_SPACE)));
	if (b->have[K_SADDR]) {
		static const char *const fams[] = { [AF_UNIX] = "unix", [AF_INET] = "inet",
						    [AF_INET6] = "inet6", [AF_NETLINK] = "netlink",
						    [AF_PACKET] = "packet" };

		if (fam >= 0 && (size_t)fam < NELEM(fams) && fams[fam] != NULL)
			ingest_extra_str(ctx, "saddr_family", fams[fam]);
		else if (fam >= 0)
			extra_num(ctx, "saddr_family", fam);
		if (dstbuf[0] == '\0')
			ingest_extra_str(ctx, "saddr", au_xstr(b, K_SADDR, 0));
	}
	if (b->avc_verdict.n) {
		ingest_extra_str(ctx, "avc", au_dupt(b, b->avc_verdict));
		if (b->avc_perms.n)
			ingest_extra_str(ctx, "avc_perms", au_dupt(b, b->avc_perms));
	}
	if (b->have[K_APPARMOR])
		ingest_extra_str(ctx, "apparmor", au_xstr(b, K_APPARMOR, 0));
	/* an AVC's path= or name= that did not become the object */
	ingest_extra_str(ctx, "path", au_xstr(b, K_PATH, 1));
	ingest_extra_str(ctx, "name", au_xstr(b, K_NAME, 1));
	if (b->have[K_CODE])
		ingest_extra_str(ctx, "seccomp_code", au_xstr(b, K_CODE, 0));
	if (b->cg_from_path)
		ingest_extra_str(ctx, "container_from", "PATH");
	if (first->prefix.n)
		ingest_extra_str(ctx, "transport", au_dupt(b, first->prefix));
	if (st->paths.len > 1 && buf_addc(&st->paths, ']') == CD_OK)
		extra_raw(ctx, "paths", st->paths.data, st->paths.len);
	if (st->gen.len > 0) {
		/* the source's other fields: ,"k":"v" members */
		struct buf *x = ingest_extra_buf(ctx);
		size_t mark = x->len;
		const char *g = st->gen.data;
		size_t gn = st->gen.len;

		if (x->len == 1) {
			g++;
			gn--;
		}
		if (x->len == 0 || buf_add(x, g, gn) != CD_OK) {
			x->len = mark;
			x->data[mark] = '\0';
		}
	}
	if (st->enr.len > 0) {
		st->enr.data[0] = '{'; /* the leading ',' of the first member */
		if (buf_addc(&st->enr, '}') == CD_OK)
			extra_raw(ctx, "enriched", st->enr.data, st->enr.len);
	}
	ingest_extra_end(ctx);
}

/*
 * Parse the event's records (raw: lines joined by '\n') and store it.
 * one: raw is this single record, parsed already.
 */
static int
au_emit(struct au_state *st, struct ingest_ctx *ctx, const char *raw, size_t n, int64_t off,
	int64_t line, const char *key, size_t keylen, const struct auditd_hdr *one)
{
	struct au_build b;
	struct auditd_hdr h, first;
	const char *p = raw, *end = raw + n, *why;
	char dst[512];
	int fam = -1, rc;

	memset(&b, 0, offsetof(struct au_build, fv));
	b.recs[0] = '\0';
	b.st = st;
	b.ctx = ctx;
	b.ev = ingest_event(ctx);
	b.a = ingest_arena(ctx);
	b.cur_arg = UINT64_MAX;
	ev_reset(b.ev, b.a);
	buf_reset(&st->argv);
	buf_reset(&st->gen);
	buf_reset(&st->enr);
	buf_reset(&st->paths);
	if (buf_addc(&st->paths, '[') != CD_OK)
		return CD_E_INTERNAL;
	memset(&first, 0, sizeof(first));
	if (one != NULL) {
		first = *one;
		au_record(&b, one);
		p = end;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (auditd_parse_header(p, ln, &h, &why) == CD_OK) {
			if (first.type.n == 0)
				first = h;
			au_record(&b, &h);
		}
		p += ln + (nl ? 1 : 0);
	}
	if (first.type.n == 0)
		return CD_OK; /* cannot happen: every line was parsed on arrival */

	b.ev->ts_ns = first.ts_ns;
	b.ev->kind = b.have_syscall ? "SYSCALL" : au_dup(&b, b.first_type);
	if (first.node.n)
		b.ev->host = au_dupt(&b, first.node);
	b.ev->ref = ev_strdup(b.a, first.stamp.p, first.stamp.n);
	b.ev->dedup = ev_strdup(b.a, key, keylen);
	au_action(&b);
	if (b.have_execve)
		b.ev->argv = au_dup(&b, sp(st->argv.data, st->argv.len));
	else if (b.have[K_PROCTITLE])
		b.ev->argv = au_col(&b, &b.fv[K_PROCTITLE], 1, AUDITD_NUL_SPACE);
	else if (b.have[K_CMD])
		b.ev->argv = au_col(&b, &b.fv[K_CMD], 1, AUDITD_NUL_CUT);
	if (b.ev->object == NULL)
		b.ev->object = b.obj_parent;
	if (b.ev->object == NULL && b.have[K_PATH]) {
		b.ev->object = au_col(&b, &b.fv[K_PATH], 1, AUDITD_NUL_CUT);
		b.have[K_PATH] = 0;
	}
	if (b.ev->object == NULL && b.have[K_NAME]) {
		b.ev->object = au_col(&b, &b.fv[K_NAME], 1, AUDITD_NUL_CUT);
		b.have[K_NAME] = 0;
	}
	if (b.ev->object == NULL && b.have[K_UNIT])
		b.ev->object = au_col(&b, &b.fv[K_UNIT], 1, AUDITD_NUL_CUT);
	dst[0] = '\0';
	if (b.have[K_SADDR]) {
		fam = auditd_sockaddr(b.fv[K_SADDR].val, dst, sizeof(dst));
		if (dst[0] != '\0')
			b.ev->dst = ev_strdup(b.a, dst, strlen(dst));
	}
	au_outcome(&b);
	au_extra(&b, dst, fam, &first);

	rc = ingest_emit(ctx, raw, n, off, line);
	if (rc == CD_E_LIMIT)
		rc = ingest_reject(ctx, raw, n, off, line,
				   "audit event's fields exceed the per-record limit");
	return rc;
}

/* ---- the vtable --------------------------------------------------------- */

static int
line_is_skippable(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_space(p[i]))
		i++;
	if (i == n)
		return 1; /* blank */
	/* ausearch's own separators between events */
	return (n - i == 4 && memcmp(p + i, "----", 4) == 0) ||
	       (n - i >= 6 && memcmp(p + i, "time->", 6) == 0);
}

/* Implements ingester::probe */
static int
auditd_probe(const char *head, size_t len)
{
	const char *p = head, *end = head + len;
	int lines = 0, audit = 0, wrapped = 0;

	while (p < end && lines < AU_PROBE_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct auditd_hdr h;
		const char *why;

		if (!line_is_skippable(p, n) && p[0] != '#') {
			lines++;
			if (auditd_parse_header(p, n, &h, &why) == CD_OK) {
				if (h.prefix.n == 0)
					audit++;
				else
					wrapped++;
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	/* type=... msg=audit(...) at the start of a line is nothing but auditd */
	if (audit > 0)
		return 95;
	if (lines > 0 && wrapped * 2 > lines)
		return 70;
	return 0;
}

/* Implements ingester::open */
static int
auditd_open(struct ingest_ctx *ctx, void **state)
{
	struct au_state *st = xcalloc(1, sizeof(*st));
	size_t argv_max = ingest_arena(ctx)->cap / 4, i;

	if (argv_max > ((size_t)1 << 20))
		argv_max = (size_t)1 << 20;
	for (i = 0; i < AU_NBUCKET; i++)
		st->bucket[i] = -1;
	st->freelist = -1;
	st->order[AU_LRU].head = st->order[AU_LRU].tail = -1;
	st->order[AU_FIFO].head = st->order[AU_FIFO].tail = -1;
	st->titled = -1;
	au_ktab_init(st);
	buf_init(&st->argv, argv_max + 1);
	buf_init(&st->paths, 32768);
	buf_init(&st->enr, 16384);
	buf_init(&st->gen, 32768);
	*state = st;
	return CD_OK;
}

static int
au_reject_late(struct ingest_ctx *ctx, const struct ingest_record *rec, const char *key, int how)
{
	char why[AU_KEY_MAX + 160];

	if (how == AU_RECENT_TOOBIG)
		snprintf(why, sizeof(why),
			 "audit event (%s) exceeds %d records or %zu MiB: "
			 "stored without this record",
			 key, AU_MAX_RECORDS, AU_MAX_EVENT >> 20);
	else
		snprintf(why, sizeof(why),
			 "record arrived after its event (%s) was stored: it came after "
			 "the event's PROCTITLE or EOE, or beyond the reorder window",
			 key);
	return ingest_reject(ctx, rec->p, rec->n, rec->offset, rec->line, why);
}

/* Implements ingester::line */
static int
auditd_line(void *state, struct ingest_ctx *ctx, const struct ingest_record *rec)
{
	struct au_state *st = state;
	struct auditd_hdr h;
	const char *why;
	char key[AU_KEY_MAX];
	size_t kn;
	uint64_t hash;
	int32_t i;
	int rc, eoe;

	if (line_is_skippable(rec->p, rec->n))
		return CD_OK;
	if (auditd_parse_header(rec->p, rec->n, &h, &why) != CD_OK) {
		ingest_set_why(ctx, why);
		return CD_E_PARSE;
	}
	kn = au_key(&h, key);
	hash = fnv64(key, kn);
	eoe = SEQ(h.type, "EOE");
	if (st->titled >= 0) {
		/* the record after a PROCTITLE ends that event; its EOE joins it first */
		int32_t t = st->titled;

		st->titled = -1;
		if (eoe && st->slot[t].hash == hash && st->slot[t].keylen == kn &&
		    memcmp(st->slot[t].key, key, kn) == 0) {
			/* when the slot is full the EOE stays out: it says nothing more */
			(void)au_append(st, &st->slot[t], rec->p, rec->n);
			return au_complete(st, ctx, t);
		}
		if ((rc = au_complete(st, ctx, t)) != CD_OK)
			return rc;
	}
	i = au_find(st, hash, key, kn);
	if (eoe) {
		if (i < 0)
			return CD_OK; /* its event is stored already, or began before this input */
		(void)au_append(st, &st->slot[i], rec->p, rec->n); /* as above */
		return au_complete(st, ctx, i);
	}
	if (i < 0) {
		int how = recent_get(st, hash);

		if (how != 0)
			return au_reject_late(ctx, rec, key, how);
		st->seq++;
		if (auditd_type_is_user(h.type)) {
			/* a whole event in one record: store it straight from the line */
			recent_put(st, hash, AU_RECENT_STORED);
			rc = au_emit(st, ctx, rec->p, rec->n, rec->offset, rec->line, key, kn, &h);
			if (rc != CD_OK)
				return rc;
			return au_expire(st, ctx);
		}
		if ((i = au_new(st, ctx, hash, key, kn, rec, &rc)) < 0)
			return rc;
	} else {
		st->seq++;
	}
	if (au_append(st, &st->slot[i], rec->p, rec->n) != CD_OK) {
		/* too big: store what it has; this and later records of it are rejects */
		if ((rc = au_complete(st, ctx, i)) != CD_OK)
			return rc;
		recent_put(st, hash, AU_RECENT_TOOBIG);
		return au_reject_late(ctx, rec, key, AU_RECENT_TOOBIG);
	}
	au_touch(st, i);
	if (SEQ(h.type, "PROCTITLE"))
		st->titled = i;
	return au_expire(st, ctx);
}

/* Implements ingester::flush */
static int
auditd_flush(void *state, struct ingest_ctx *ctx)
{
	struct au_state *st = state;
	int rc;

	while (st->order[AU_FIFO].head >= 0)
		if ((rc = au_complete(st, ctx, st->order[AU_FIFO].head)) != CD_OK)
			return rc;
	st->titled = -1;
	return CD_OK;
}

/* Implements ingester::pending_offset */
static int64_t
auditd_pending_offset(void *state, int64_t *line)
{
	struct au_state *st = state;

	if (st->order[AU_FIFO].head < 0)
		return -1;
	*line = st->slot[st->order[AU_FIFO].head].line;
	return st->slot[st->order[AU_FIFO].head].offset;
}

/* Implements ingester::close */
static void
auditd_close(void **state)
{
	struct au_state *st = *state;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < (size_t)st->nslot; i++)
		free(st->slot[i].text);
	free(st->slot);
	free(st->recent);
	free(st->scratch);
	buf_release(&st->argv);
	buf_release(&st->paths);
	buf_release(&st->enr);
	buf_release(&st->gen);
	free(st);
	*state = NULL;
}

const struct ingester ing_auditd = {
	.name = "auditd",
	.summary = "Linux auditd raw logs (audit.log): multi-record events, EOE or not, ENRICHED",
	.flags = ING_LINES | ING_HOST,
	.probe = auditd_probe,
	.open = auditd_open,
	.line = auditd_line,
	.flush = auditd_flush,
	.pending_offset = auditd_pending_offset,
	.close = auditd_close,
};
