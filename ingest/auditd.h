/*
 * auditd.h - the pure helpers of the auditd ingester (ing_auditd.c),
 * exposed for its unit tests.  Include it only from ing_auditd.c and
 * tests/unit/test_auditd.c; nothing else in cordon needs it.
 *
 * All spans point into the caller's bytes; nothing here allocates.
 */
#ifndef CORDON_INGEST_AUDITD_H
#define CORDON_INGEST_AUDITD_H

#include <sys/types.h>

#include "../core/core.h"

/*
 * One raw record:
 *   [PREFIX ][node=NAME ]type=TYPE msg=audit(SEC.MSEC:SERIAL)[:] BODY[\x1d ENRICHED]
 * PREFIX is transport text before node=/type= (a syslog header); it is
 * empty for auditd's own log files.
 */
struct auditd_hdr {
	struct span prefix;   /* transport prefix, or empty */
	struct span node;     /* node name without "node=", or empty */
	struct span type;     /* "SYSCALL", "UNKNOWN[1334]" */
	struct span stamp;    /* "1700000000.123:456" */
	struct span body;     /* the fields after the stamp, before ENRICHED */
	struct span enriched; /* interpreted fields after the 0x1d byte, or empty */
	int64_t ts_ns;
	uint64_t serial;
};

/*
 * Parse the header of one record (a line without its newline).
 * @retval CD_OK      *h filled
 * @retval CD_E_PARSE not an audit record; *why says what is wrong
 */
int auditd_parse_header(const char *p, size_t n, struct auditd_hdr *h, const char **why);

/* One key=value field.  quote is '"', '\'', '{' (ENRICHED SADDR={ ... }) or 0. */
struct auditd_field {
	struct span key;
	struct span val; /* without its quotes or braces */
	char quote;
};

/*
 * The next key=value field in *cur..end; bare words ("auditd start,",
 * "avc:", "{") are skipped.  Returns 1 with *f set, or 0 at the end.
 */
int auditd_next_field(const char **cur, const char *end, struct auditd_field *f);

/* Whether s is non-empty, even-length hex: how auditd writes an encoded value. */
int auditd_is_hex(struct span s);

/* How auditd_decode treats NUL bytes in decoded values. */
#define AUDITD_NUL_CUT   0 /* a string ends at its first NUL (exe, name, cwd) */
#define AUDITD_NUL_SPACE 1 /* NUL-separated argv (proctitle): NULs become spaces */
#define AUDITD_NUL_KEYS  2 /* rule keys: 0x01 separates several keys; it becomes ',' */

/*
 * The text of a field value: hex-decoded when decode is set and the value
 * is unquoted hex, NUL bytes treated per nul_mode, invalid UTF-8 replaced
 * with U+FFFD.  Writes into out (capacity cap, NUL-terminated) and returns
 * the length, or -1 when cap is too small.
 */
ssize_t auditd_decode(struct span val, int decode, int nul_mode, char *out, size_t cap);

/*
 * A SOCKADDR saddr= value (hex).  Writes "1.2.3.4:80", "[2001:db8::1]:443",
 * a unix socket path or "@abstract" into out and returns the address
 * family; out is "" when the family is not one of those (or the bytes are
 * too short for it).  Returns -1 when the value is not hex.
 */
int auditd_sockaddr(struct span hex, char *out, size_t cap);

/* Name of syscall nr for arch= (hex as logged); NULL when not known. */
const char *auditd_syscall_name(struct span arch, uint64_t nr);
/* "x86_64", "aarch64", "i386", ... for arch= (hex); NULL when not known. */
const char *auditd_arch_name(struct span arch);

/* User-space record types (USER_*, CRED_*, DAEMON_*, ...) never get an EOE. */
int auditd_type_is_user(struct span type);

#endif
