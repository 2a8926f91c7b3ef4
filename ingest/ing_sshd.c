/*
 * ing_sshd.c - sshd's logins, from the system log.
 *
 * An SSH key's use is seen only where it is accepted: sshd logs the key's
 * fingerprint with every public-key login ("Accepted publickey for deploy
 * from 203.0.113.66 port 52144 ssh2: ED25519 SHA256:..."), and for a
 * certificate its key id, serial and CA (auth.c format_method_key).  That
 * fingerprint is the credential's id here, as in the credential map, so a
 * stolen key's later login joins the read that exposed it.
 *
 * Two carriers of the same message:
 *   syslog lines  "TIMESTAMP HOST TAG[PID]: MESSAGE" (auth.log, secure)
 *                 with an RFC 3339 timestamp, rsyslog's file format since
 *                 Debian 12; the BSD form ("Jun  3 10:00:05") has no year,
 *                 so such a line is rejected rather than guessed at
 *   journald      journalctl -o json: one object per line,
 *                 __REALTIME_TIMESTAMP (microseconds), _HOSTNAME, _PID,
 *                 SYSLOG_IDENTIFIER, MESSAGE
 * Only sshd's (and since OpenSSH 9.8 sshd-session's) "Accepted" lines
 * become events; every other line of an auth log is skipped, not rejected.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define SSHD_PROBE_LINES 32
#define SSHD_MSG_MAX 4096 /* longer is no login line sshd writes */

struct sshd_state {
	struct json_tokens tok;
};

/* One parsed syslog or journald record. */
struct sshd_rec {
	int64_t ts;
	struct span host, tag, msg;
	int64_t pid;
};

static int
is_sshd_tag(struct span t)
{
	return span_eq(t, "sshd") || span_eq(t, "sshd-session") || span_eq(t, "sshd-auth");
}

/* The next word (up to a space or end): 0, or CD_E_PARSE when empty. */
static int
str_word(const char **cur, const char *end, struct span *w)
{
	const char *p = *cur;

	while (p < end && *p != ' ')
		p++;
	if (p == *cur)
		return CD_E_PARSE;
	w->p = *cur;
	w->n = (size_t)(p - *cur);
	*cur = p;
	return CD_OK;
}

/* Last occurrence of lit in [p, end), or NULL. */
static const char *
find_last(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	const char *q;

	if ((size_t)(end - p) < n)
		return NULL;
	for (q = end - n; q >= p; q--) {
		if (memcmp(q, lit, n) == 0)
			return q;
		if (q == p)
			break;
	}
	return NULL;
}

static const char *
find_first(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	for (; (size_t)(end - p) >= n; p++)
		if (memcmp(p, lit, n) == 0)
			return p;
	return NULL;
}

static int
bsd_month(const char *p, const char *end)
{
	static const char m[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t i;

	if (end - p < 4 || p[3] != ' ')
		return 0;
	for (i = 0; i < 12; i++)
		if (memcmp(p, m + 3 * i, 3) == 0)
			return 1;
	return 0;
}

/*
 * "TS HOST TAG[PID]: MSG" or "TS HOST TAG: MSG".  *why says what is wrong
 * with a line that is syslog but not usable; CD_E_PARSE with *why NULL for
 * a line that is no syslog at all.
 */
static int
parse_syslog(const char *p, size_t n, struct sshd_rec *r, const char **why)
{
	const char *end = p + n, *q;
	struct span ts;

	*why = NULL;
	if (bsd_month(p, end)) {
		*why = "syslog timestamp without a year (BSD form): configure rsyslog's "
		       "RSYSLOG_FileFormat (RFC 3339) or export with journalctl -o json";
		return CD_E_PARSE;
	}
	if (str_word(&p, end, &ts) != CD_OK || ts.n < 10 || ts.p[4] != '-')
		return CD_E_PARSE;
	if (time_parse_rfc3339(ts, &r->ts) != CD_OK) {
		*why = "syslog timestamp is not RFC 3339";
		return CD_E_PARSE;
	}
	if (str_char(&p, end, ' ') || str_word(&p, end, &r->host) || str_char(&p, end, ' ')) {
		*why = "syslog line without a host and tag";
		return CD_E_PARSE;
	}
	/* the tag ends at '[' or ':' */
	for (q = p; q < end && *q != '[' && *q != ':' && *q != ' '; q++)
		;
	r->tag.p = p;
	r->tag.n = (size_t)(q - p);
	r->pid = EV_NULL;
	p = q;
	if (p < end && *p == '[') {
		uint64_t v;

		p++;
		if (str_uint64(&p, end, &v, (uint64_t)INT64_MAX) || str_char(&p, end, ']')) {
			*why = "syslog tag's pid is not a number";
			return CD_E_PARSE;
		}
		r->pid = (int64_t)v;
	}
	if (str_lit(&p, end, ": ")) {
		*why = "syslog line without \"TAG: \" before its message";
		return CD_E_PARSE;
	}
	r->msg.p = p;
	r->msg.n = (size_t)(end - p);
	return CD_OK;
}

/* journalctl -o json: strings decoded into the arena. */
static int
parse_journal(struct sshd_state *st, struct ingest_ctx *ctx, const char *p, size_t n,
	      struct sshd_rec *r, const char **why)
{
	struct json_doc d;
	struct ev_arena *a = ingest_arena(ctx);
	const char *v;
	int64_t us;

	*why = NULL;
	if (json_parse(&d, p, n, &st->tok, why) != CD_OK || json_type(&d, 0) != JSON_OBJECT) {
		if (*why == NULL)
			*why = "journal record is not a JSON object";
		return CD_E_PARSE;
	}
	v = ev_json_path(a, &d, 0, "SYSLOG_IDENTIFIER");
	r->tag.p = v ? v : "";
	r->tag.n = v ? strlen(v) : 0;
	if (!is_sshd_tag(r->tag))
		return CD_OK; /* someone else's record: skipped by the caller */
	v = ev_json_path(a, &d, 0, "__REALTIME_TIMESTAMP");
	if (v == NULL || span_to_i64((struct span){ v, strlen(v) }, &us) != CD_OK || us < 0 ||
	    us > INT64_MAX / 1000) {
		*why = "journal record without a __REALTIME_TIMESTAMP in microseconds";
		return CD_E_PARSE;
	}
	r->ts = us * 1000;
	/* MESSAGE is an array of bytes when it is not UTF-8: no login sshd writes */
	v = json_type(&d, json_get(&d, 0, "MESSAGE")) == JSON_STRING ? ev_json_path(a, &d, 0, "MESSAGE")
								      : NULL;
	if (v == NULL) {
		*why = "journal record's MESSAGE is missing or not a string";
		return CD_E_PARSE;
	}
	r->msg.p = v;
	r->msg.n = strlen(v);
	v = ev_json_path(a, &d, 0, "_HOSTNAME");
	r->host.p = v;
	r->host.n = v ? strlen(v) : 0;
	v = ev_json_path(a, &d, 0, "_PID");
	if (v == NULL || span_to_i64((struct span){ v, strlen(v) }, &r->pid) != CD_OK)
		r->pid = EV_NULL;
	return CD_OK;
}

/*
 * "Accepted METHOD for USER from ADDR port N ssh2[: KEY]" where KEY is
 * "TYPE FP" or, for a certificate,
 * "TYPE-CERT FP ID KEYID (serial N) CA CATYPE CAFP".
 * CD_OK with the event filled; CD_E_PARSE with *why.
 */
static int
parse_accepted(struct ingest_ctx *ctx, const struct sshd_rec *r, const char **why)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	const char *p = r->msg.p, *end = r->msg.p + r->msg.n, *from, *port, *k;
	struct span method, user, addr, ktype = { NULL, 0 }, fp = { NULL, 0 };
	struct span certid = { NULL, 0 }, caty = { NULL, 0 }, cafp = { NULL, 0 };
	uint64_t portn = 0, serial = 0;
	int cert = 0;

	if (str_lit(&p, end, "Accepted ") || str_word(&p, end, &method) || str_lit(&p, end, " for ")) {
		*why = "sshd Accepted line without \"METHOD for\"";
		return CD_E_PARSE;
	}
	/* the user name is the login's, a local account; the address part is
	 * sshd's own text after it, so the last " from " starts it */
	port = find_last(p, end, " port ");
	from = port ? find_last(p, port, " from ") : NULL;
	if (from == NULL || from == p) {
		*why = "sshd Accepted line without \"USER from ADDR port N\"";
		return CD_E_PARSE;
	}
	user.p = p;
	user.n = (size_t)(from - p);
	addr.p = from + 6;
	addr.n = (size_t)(port - addr.p);
	p = port + 6;
	if (addr.n == 0 || memchr(addr.p, ' ', addr.n) != NULL ||
	    str_uint64(&p, end, &portn, 65535)) {
		*why = "sshd Accepted line's address or port is malformed";
		return CD_E_PARSE;
	}
	/* " ssh2" and the key, when the method has one */
	if (str_lit(&p, end, " ssh2") == CD_OK && str_lit(&p, end, ": ") == CD_OK) {
		if (str_word(&p, end, &ktype) || str_char(&p, end, ' ') || str_word(&p, end, &fp)) {
			*why = "sshd Accepted line's key is not \"TYPE FINGERPRINT\"";
			return CD_E_PARSE;
		}
		cert = ktype.n > 5 && memcmp(ktype.p + ktype.n - 5, "-CERT", 5) == 0;
		if (cert) {
			/* the key id is the CA's text and may hold spaces: it ends
			 * at the last " (serial " */
			const char *s = find_last(p, end, " (serial ");

			if (str_lit(&p, end, " ID ") || s == NULL || s < p) {
				*why = "sshd certificate login without \"ID KEYID (serial N)\"";
				return CD_E_PARSE;
			}
			certid.p = p;
			certid.n = (size_t)(s - p);
			p = s + 9;
			if (str_uint64(&p, end, &serial, UINT64_MAX) || str_lit(&p, end, ") CA ") ||
			    str_word(&p, end, &caty) || str_char(&p, end, ' ') || str_word(&p, end, &cafp)) {
				*why = "sshd certificate login's serial or CA is malformed";
				return CD_E_PARSE;
			}
		}
	}
	k = fp.p;
	if (k != NULL && !(fp.n > 7 && memcmp(k, "SHA256:", 7) == 0) && !(fp.n > 4 && memcmp(k, "MD5:", 4) == 0)) {
		*why = "sshd key fingerprint is neither SHA256: nor MD5:";
		return CD_E_PARSE;
	}
	ev->ts_ns = r->ts;
	ev->source = "sshd";
	ev->kind = "Accepted";
	ev->host = r->host.n ? ev_strdup(a, r->host.p, r->host.n) : NULL;
	ev->pid = r->pid;
	ev->comm = ev_strdup(a, r->tag.p, r->tag.n);
	/* the account on this host is the identity the login opened */
	ev->actor = r->host.n ? ev_printf(a, "%.*s@%.*s", (int)user.n, user.p, (int)r->host.n, r->host.p)
			      : ev_strdup(a, user.p, user.n);
	ev->action = "login";
	ev->object = ev_strdup(a, method.p, method.n);
	ev->src_ip = ev_strdup(a, addr.p, addr.n);
	ev->cred_id = fp.p ? ev_strdup(a, fp.p, fp.n) : NULL;
	ev->outcome = "success";
	ingest_extra_begin(ctx);
	ingest_extra_str(ctx, "user", ev_strdup(a, user.p, user.n));
	ingest_extra_str(ctx, "method", ev->object);
	ingest_extra_int(ctx, "port", (int64_t)portn);
	if (ktype.p)
		ingest_extra_str(ctx, "key_type", ev_strdup(a, ktype.p, ktype.n));
	if (cert) {
		ingest_extra_str(ctx, "cert_id", ev_strdup(a, certid.p, certid.n));
		/* a 64-bit serial may pass INT64_MAX: kept as its decimal text */
		ingest_extra_str(ctx, "cert_serial", ev_printf(a, "%llu", (unsigned long long)serial));
		ingest_extra_str(ctx, "ca_key_type", ev_strdup(a, caty.p, caty.n));
		ingest_extra_str(ctx, "ca_fingerprint", ev_strdup(a, cafp.p, cafp.n));
	}
	ingest_extra_end(ctx);
	return CD_OK;
}

/* sshd escapes what it logs (strvis), so a byte of no UTF-8 character is
 * no line of its own: rejected whole, not stored half-decoded. */
static int
utf8_ok(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = utf8_decode((const unsigned char *)p + i, n - i, &cp);

		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Implements ingester::probe */
static int
sshd_probe(const char *head, size_t len)
{
	const char *p = head, *end = head + len;
	int lines = 0, syslog = 0, sshd = 0, journal = 0;

	while (p < end && lines < SSHD_PROBE_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct sshd_rec r;
		const char *why;

		if (n > 0) {
			lines++;
			if (p[0] == '{') {
				/* journald's own field names: no other JSON format has them */
				if (find_first(p, p + n, "\"__REALTIME_TIMESTAMP\"") != NULL) {
					journal++;
					if (find_first(p, p + n, "\"SYSLOG_IDENTIFIER\":\"sshd") != NULL)
						sshd++;
				}
			} else if (parse_syslog(p, n, &r, &why) == CD_OK) {
				syslog++;
				if (is_sshd_tag(r.tag))
					sshd++;
			} else if (why != NULL && bsd_month(p, p + n)) {
				syslog++;
				if (find_first(p, p + n, " sshd[") != NULL)
					sshd++;
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (sshd > 0 && (syslog + journal) * 2 > lines)
		return 80;
	/* an auth log whose first lines are cron's or sudo's */
	if (lines > 0 && (syslog + journal) * 2 > lines)
		return 30;
	return 0;
}

/* Implements ingester::open */
static int
sshd_open(struct ingest_ctx *ctx, void **state)
{
	struct sshd_state *st = xcalloc(1, sizeof(*st));

	(void)ctx;
	json_tokens_init(&st->tok, 256);
	*state = st;
	return CD_OK;
}

/* Implements ingester::line */
static int
sshd_line(void *state, struct ingest_ctx *ctx, const struct ingest_record *rec)
{
	struct sshd_state *st = state;
	struct sshd_rec r;
	const char *why = NULL, *p = rec->p;
	size_t n = rec->n;
	int rc;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (n == 0)
		return CD_OK;
	memset(&r, 0, sizeof(r));
	ev_reset(ingest_event(ctx), ingest_arena(ctx));
	if (p[0] == '{')
		rc = parse_journal(st, ctx, p, n, &r, &why);
	else
		rc = parse_syslog(p, n, &r, &why);
	if (rc != CD_OK)
		return ingest_reject(ctx, rec->p, rec->n, rec->offset, rec->line,
				     why ? why : "not a syslog line (TIMESTAMP HOST TAG: MESSAGE) "
						 "nor a journald JSON record");
	if (!is_sshd_tag(r.tag) || r.msg.n < 9 || memcmp(r.msg.p, "Accepted ", 9) != 0)
		return CD_OK; /* another program's line, or sshd's other messages */
	if (r.msg.n > SSHD_MSG_MAX)
		return ingest_reject(ctx, rec->p, rec->n, rec->offset, rec->line,
				     "sshd Accepted message longer than any sshd writes");
	if (!utf8_ok(rec->p, rec->n))
		return ingest_reject(ctx, rec->p, rec->n, rec->offset, rec->line,
				     "sshd login line is not UTF-8 (sshd escapes what it logs)");
	if (parse_accepted(ctx, &r, &why) != CD_OK)
		return ingest_reject(ctx, rec->p, rec->n, rec->offset, rec->line, why);
	rc = ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
	if (rc == CD_E_LIMIT)
		rc = ingest_reject(ctx, rec->p, rec->n, rec->offset, rec->line,
				   "sshd login's fields exceed the per-record limit");
	return rc;
}

/* Implements ingester::flush */
static int
sshd_flush(void *state, struct ingest_ctx *ctx)
{
	(void)state;
	(void)ctx;
	return CD_OK;
}

/* Implements ingester::close */
static void
sshd_close(void **state)
{
	struct sshd_state *st = *state;

	if (st == NULL)
		return;
	json_tokens_release(&st->tok);
	free(st);
	*state = NULL;
}

const struct ingester ing_sshd = {
	.name = "sshd",
	.summary = "sshd logins from the system log: auth.log/secure (RFC 3339 syslog) or journalctl -o json",
	.flags = ING_LINES | ING_HOST,
	.probe = sshd_probe,
	.open = sshd_open,
	.line = sshd_line,
	.flush = sshd_flush,
	.close = sshd_close,
};
