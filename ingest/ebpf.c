/*
 * ebpf.c - helpers shared by the runtime-sensor ingesters (Falco, Tetragon,
 * Tracee): endpoints, loosely typed integers and times, errno outcomes and
 * a strict-JSON-safe copy into the event's extra object.  See ebpf.h.
 */
#include <string.h>
#include <strings.h>

#include "ebpf.h"

#define EXTRA_VALUE_MAX  16384 /* bytes of JSON text per extra value */

const char *
ingest_ebpf_hostport(struct ev_arena *a, const char *ip, int64_t port)
{
	int v6;

	if (ip == NULL || *ip == '\0')
		return NULL;
	/* a dual-stack socket reaches an IPv4 address as ::ffff:a.b.c.d: that
	 * address is the destination (the rules name instance metadata and
	 * nodes by their IPv4 addresses) */
	if (strncasecmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.') != NULL && strchr(ip + 7, ':') == NULL)
		ip += 7;
	v6 = strchr(ip, ':') != NULL && ip[0] != '[';
	if (port == EV_NULL || port < 0)
		return ip;
	return ev_printf(a, v6 ? "[%s]:%lld" : "%s:%lld", ip, (long long)port);
}

/* Port member of a sockaddr object: number or numeric string; EV_NULL when absent. */
static int64_t
sockaddr_port(const struct json_doc *d, int obj, const char *key)
{
	int64_t v;

	if (ingest_ebpf_json_int(d, json_get(d, obj, key), &v) != CD_OK || v < 0 || v > 65535)
		return EV_NULL;
	return v;
}

/* The address family as a number: 1 unix, 2 inet, 10 inet6, 0 unknown. */
static int
sockaddr_family(const struct json_doc *d, int obj)
{
	int t = json_get(d, obj, "sa_family");
	struct span s = json_raw(d, t);
	int64_t v;

	if (json_type(d, t) == JSON_STRING) {
		if (span_eq(s, "AF_UNIX") || span_eq(s, "AF_LOCAL"))
			return 1;
		if (span_eq(s, "AF_INET"))
			return 2;
		if (span_eq(s, "AF_INET6"))
			return 10;
	}
	if (json_i64(d, t, &v) == CD_OK && (v == 1 || v == 2 || v == 10))
		return (int)v;
	return 0;
}

const char *
ingest_ebpf_sockaddr(struct ev_arena *a, const struct json_doc *d, int obj)
{
	const char *path, *ip;
	int fam;

	if (json_type(d, obj) != JSON_OBJECT)
		return NULL;
	fam = sockaddr_family(d, obj);
	if (fam == 1 || fam == 0) {
		path = ingest_ebpf_json_text(a, d, json_get(d, obj, "sun_path"));
		if (path != NULL || fam == 1)
			return path;
	}
	if (fam == 2 || fam == 0) {
		ip = ingest_ebpf_json_text(a, d, json_get(d, obj, "sin_addr"));
		if (ip != NULL || fam == 2)
			return ingest_ebpf_hostport(a, ip, sockaddr_port(d, obj, "sin_port"));
	}
	ip = ingest_ebpf_json_text(a, d, json_get(d, obj, "sin6_addr"));
	return ingest_ebpf_hostport(a, ip, sockaddr_port(d, obj, "sin6_port"));
}

const char *
ingest_ebpf_tuple_dst(struct ev_arena *a, const char *s)
{
	const char *arrow = NULL, *p;

	if (s == NULL)
		return NULL;
	for (p = strstr(s, "->"); p != NULL; p = strstr(p + 2, "->"))
		arrow = p;
	if (arrow == NULL || arrow == s || arrow[2] == '\0')
		return NULL;
	return ev_strdup(a, arrow + 2, strlen(arrow + 2));
}

int
ingest_ebpf_json_int(const struct json_doc *d, int tok, int64_t *out)
{
	if (json_type(d, tok) == JSON_OBJECT)
		tok = json_get(d, tok, "value");
	return json_i64(d, tok, out);
}

/* {"seconds": S, "nanos": N}: S a number or numeric string. */
static int
timestamp_object(const struct json_doc *d, int obj, int64_t *ns)
{
	int64_t sec, nanos = 0;
	int t = json_get(d, obj, "nanos");

	if (json_i64(d, json_get(d, obj, "seconds"), &sec) != CD_OK)
		return CD_E_PARSE;
	if (t >= 0 && json_i64(d, t, &nanos) != CD_OK)
		return CD_E_PARSE;
	/* 9.2e9 seconds is the int64 nanosecond range */
	if (sec > 9223372035LL || sec < -9223372035LL || nanos < 0 || nanos > 999999999)
		return CD_E_PARSE;
	*ns = sec * 1000000000LL + nanos;
	return CD_OK;
}

int
ingest_ebpf_json_time(const struct json_doc *d, int tok, int64_t *ns)
{
	enum json_type t = json_type(d, tok);
	struct span s = json_raw(d, tok);
	int64_t v;

	if (t == JSON_OBJECT)
		return timestamp_object(d, tok, ns);
	if (t != JSON_STRING && t != JSON_PRIMITIVE)
		return CD_E_PARSE;
	if (t == JSON_STRING && time_parse_rfc3339(s, ns) == CD_OK)
		return CD_OK;
	if (span_to_i64(s, &v) == CD_OK) {
		if (v == INT64_MIN) /* the "absent" marker */
			return CD_E_PARSE;
		*ns = v;
		return CD_OK;
	}
	if (memchr(s.p, '.', s.n) != NULL)
		return time_parse_epoch(s, ns);
	return CD_E_PARSE;
}

const char *
ingest_ebpf_json_text(struct ev_arena *a, const struct json_doc *d, int tok)
{
	enum json_type t = json_type(d, tok);
	const char *s;

	if (t != JSON_STRING && t != JSON_PRIMITIVE)
		return NULL;
	s = ev_json_str(a, d, tok);
	return s != NULL && *s != '\0' ? s : NULL;
}

const char *
ingest_ebpf_errno_outcome(int64_t rc)
{
	if (rc >= 0)
		return "success";
	if (rc == -1 || rc == -13) /* EPERM, EACCES */
		return "denied";
	return "error";
}

const char *
ingest_ebpf_errname_outcome(const char *res)
{
	struct span s;
	int64_t v;
	size_t i, n;

	if (res == NULL || (n = strlen(res)) == 0)
		return NULL;
	s.p = res;
	s.n = n;
	if (span_to_i64(s, &v) == CD_OK)
		return ingest_ebpf_errno_outcome(v);
	if (strcmp(res, "SUCCESS") == 0)
		return "success";
	if (strcmp(res, "EPERM") == 0 || strcmp(res, "EACCES") == 0)
		return "denied";
	if (n < 2 || res[0] != 'E')
		return NULL;
	for (i = 1; i < n; i++)
		if (!((res[i] >= 'A' && res[i] <= 'Z') || (res[i] >= '0' && res[i] <= '9')))
			return NULL;
	return "error";
}

size_t
ingest_ebpf_utf8_cut(const char *s, size_t n, size_t max)
{
	size_t k;

	if (n <= max)
		return n;
	k = max;
	/* back off continuation bytes; the lead byte then starts a cut sequence */
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	return k;
}

void
ingest_ebpf_extra_value(struct ingest_ctx *ctx, const char *key, const struct json_doc *d, int tok)
{
	struct ev_arena *a = ingest_arena(ctx);
	enum json_type t = json_type(d, tok);

	if (t == JSON_NONE || json_is_null(d, tok) || json_text(d, tok).n > EXTRA_VALUE_MAX)
		return;
	/* cannot fit the extra object any more: do not decode it for nothing */
	if (ingest_extra_buf(ctx)->len + strlen(key) + json_text(d, tok).n + 4 >
	    ingest_extra_buf(ctx)->max)
		return;
	if (t == JSON_STRING) {
		ingest_extra_str(ctx, key, ingest_ebpf_json_text(a, d, tok));
		return;
	}
	if ((t == JSON_OBJECT || t == JSON_ARRAY) && json_count(d, tok) == 0)
		return;
	ingest_extra_json(ctx, key, d, tok); /* validates and compacts */
}
