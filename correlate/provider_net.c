/*
 * provider_net.c - is an address one of Google's own?
 *
 * A Cloud Run service or Cloud Function calls Google APIs from Google's
 * network: its egress spans many of Google's networks, so a service's own
 * call from one it never used before proves nothing.  A call from outside
 * every network Google publishes as its own does: that is the rule field
 * src_provider ("google").  The table is Google's published goog.json
 * (every range Google announces, Cloud customers' included), as of
 * 2025-10.  Google changes it monthly: $CORDON_GOOGLE_RANGES names a newer
 * goog.json or cloud.json (https://www.gstatic.com/ipranges/), or a text
 * file of one CIDR per line, and replaces the table.
 *
 * The table is trusted only where the case agrees with it: when a service's
 * own client-library calls keep coming from one public network outside it
 * (an hour or more of them, where a stolen token's use lasts minutes), this
 * case's serverless egress is not what the table says (a proxy, a NAT of
 * the customer's, or a table out of date), and src_provider judges nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "rules.h"

#define RANGES_FILE_MAX (8u << 20) /* goog.json is ~10 KB, cloud.json ~100 KB */
#define RANGES_MAX 65536u

static const char *const google_builtin[] = {
	"8.8.4.0/24", "8.8.8.0/24", "8.34.208.0/20", "8.35.192.0/20", "8.228.0.0/14",
	"8.232.0.0/14", "8.236.0.0/15", "23.236.48.0/20", "23.251.128.0/19", "34.0.0.0/15",
	"34.2.0.0/16", "34.3.0.0/23", "34.3.3.0/24", "34.3.4.0/24", "34.3.8.0/21",
	"34.3.16.0/20", "34.3.32.0/19", "34.3.64.0/18", "34.4.0.0/14", "34.8.0.0/13",
	"34.16.0.0/12", "34.32.0.0/11", "34.64.0.0/10", "34.128.0.0/10", "35.184.0.0/13",
	"35.192.0.0/14", "35.196.0.0/15", "35.198.0.0/16", "35.199.0.0/17", "35.199.128.0/18",
	"35.200.0.0/13", "35.208.0.0/12", "35.224.0.0/12", "35.240.0.0/13", "35.252.0.0/14",
	"64.15.112.0/20", "64.233.160.0/19", "66.102.0.0/20", "66.249.64.0/19", "70.32.128.0/19",
	"72.14.192.0/18", "74.114.24.0/21", "74.125.0.0/16", "104.154.0.0/15", "104.196.0.0/14",
	"104.237.160.0/19", "107.167.160.0/19", "107.178.192.0/18", "108.59.80.0/20",
	"108.170.192.0/18", "108.177.0.0/17", "130.211.0.0/16", "136.22.2.0/23", "136.22.4.0/23",
	"136.22.8.0/22", "136.22.160.0/20", "136.22.176.0/21", "136.22.184.0/23",
	"136.22.186.0/24", "136.23.48.0/20", "136.23.64.0/18", "136.64.0.0/11", "136.107.0.0/16",
	"136.108.0.0/14", "136.112.0.0/13", "136.120.0.0/22", "136.124.0.0/15", "142.250.0.0/15",
	"146.148.0.0/17", "162.120.128.0/17", "162.216.148.0/22", "162.222.176.0/21",
	"172.110.32.0/21", "172.217.0.0/16", "172.253.0.0/16", "173.194.0.0/16",
	"173.255.112.0/20", "192.104.160.0/23", "192.158.28.0/22", "192.178.0.0/15",
	"193.186.4.0/24", "199.36.154.0/23", "199.36.156.0/24", "199.192.112.0/22",
	"199.223.232.0/21", "207.175.0.0/16", "207.223.160.0/20", "208.65.152.0/22",
	"208.68.108.0/22", "208.81.188.0/22", "208.117.224.0/19", "209.85.128.0/17",
	"216.58.192.0/19", "216.73.80.0/20", "216.239.32.0/19", "216.252.220.0/22",
	"2001:4860::/32", "2404:6800::/32", "2404:f340::/32", "2600:1900::/28", "2605:ef80::/32",
	"2606:40::/32", "2606:73c0::/32", "2607:1c0:241:40::/60", "2607:1c0:300::/40",
	"2607:f8b0::/32", "2620:11a:a000::/40", "2620:120:e000::/40", "2800:3f0::/32",
	"2a00:1450::/32", "2c0f:fb50::/32",
};
#define NGOOGLE_BUILTIN (sizeof(google_builtin) / sizeof(google_builtin[0]))

/* An address as 16 bytes: IPv4 as ::ffff:a.b.c.d, so one compare serves both. */
static int
addr16(const char *s, size_t n, unsigned char out[16])
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char v4[4];

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, v4, 4);
		return 4;
	}
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 6;
	return -1;
}

/* "a.b.c.d/n" or "x::/n" (exactly that span) into a range. */
int
net_range_parse(const char *s, size_t n, struct net_range *r)
{
	const char *slash = memchr(s, '/', n), *p, *end = s + n;
	uint64_t bits;
	int fam;

	if (slash == NULL)
		return -1;
	fam = addr16(s, (size_t)(slash - s), r->a);
	if (fam < 0)
		return -1;
	p = slash + 1;
	if (p == end || str_uint64(&p, end, &bits, fam == 4 ? 32 : 128) != CD_OK || p != end)
		return -1;
	r->bits = (unsigned)bits + (fam == 4 ? 96 : 0);
	return 0;
}

static int
range_has(const struct net_range *r, const unsigned char a[16])
{
	unsigned full = r->bits / 8, rest = r->bits % 8;

	if (memcmp(r->a, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((r->a[full] ^ a[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

int
net_ranges_has(const struct net_range *r, size_t n, const char *ip)
{
	unsigned char a[16];
	size_t i;

	if (ip == NULL || n == 0 || addr16(ip, strlen(ip), a) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (range_has(&r[i], a))
			return 1;
	return 0;
}

static int
ranges_add(struct net_range **r, size_t *n, const char *s, size_t len)
{
	struct net_range one, *grown;

	if (net_range_parse(s, len, &one) != 0)
		return CD_E_PARSE;
	if (*n >= RANGES_MAX)
		return CD_E_LIMIT;
	/* grow at powers of two: a cloud.json holds a thousand ranges */
	if ((*n & (*n - 1)) == 0) {
		grown = xrealloc(*r, (*n ? *n * 2 : 1) * sizeof(**r));
		*r = grown;
	}
	(*r)[(*n)++] = one;
	return CD_OK;
}

/*
 * goog.json / cloud.json: every string value of an "ipv4Prefix" or
 * "ipv6Prefix" key.  Anything else: one CIDR per line, '#' comments.
 */
static int
ranges_from_text(const char *text, size_t len, const char *path, struct net_range **r, size_t *n,
		 char **cause)
{
	const char *p = text, *end = text + len;
	size_t line = 1;
	int rc;

	if (memmem(text, len, "Prefix\"", 7) != NULL) {
		static const char *const keys[] = { "\"ipv4Prefix\"", "\"ipv6Prefix\"" };

		while (p < end) {
			const char *k = NULL, *v, *ve;
			size_t i, kl = 0;

			for (i = 0; i < 2; i++) {
				const char *hit = memmem(p, (size_t)(end - p), keys[i], strlen(keys[i]));

				if (hit != NULL && (k == NULL || hit < k)) {
					k = hit;
					kl = strlen(keys[i]);
				}
			}
			if (k == NULL)
				break;
			for (v = p; v < k; v++)
				line += *v == '\n';
			v = k + kl;
			while (v < end && (*v == ' ' || *v == '\t' || *v == ':' || *v == '\n' || *v == '\r'))
				line += *v++ == '\n';
			if (v == end || *v != '"')
				goto bad;
			ve = memchr(v + 1, '"', (size_t)(end - v - 1));
			if (ve == NULL)
				goto bad;
			rc = ranges_add(r, n, v + 1, (size_t)(ve - v - 1));
			if (rc != CD_OK)
				goto bad_rc;
			p = ve + 1;
		}
		return CD_OK;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *b = p, *e = le;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (b < e && *b != '#') {
			rc = ranges_add(r, n, b, (size_t)(e - b));
			if (rc != CD_OK)
				goto bad_rc;
		}
		p = nl ? nl + 1 : end;
		line++;
	}
	return CD_OK;
bad:
	rc = CD_E_PARSE;
bad_rc:
	*cause = xstrdupf("%s:%zu: %s; expected Google's goog.json or cloud.json, or one CIDR"
			   " (a.b.c.d/n, x::/n) per line", path, line,
			   rc == CD_E_LIMIT ? "more ranges than cordon keeps" : "not an address range");
	return rc;
}

int
google_ranges_load(struct net_range **out, size_t *nout, char **cause)
{
	const char *path = getenv("CORDON_GOOGLE_RANGES");
	struct net_range *r = NULL;
	size_t n = 0, i, len = 0;
	char *text;
	FILE *f;
	int rc;

	*out = NULL;
	*nout = 0;
	if (path == NULL || *path == '\0') {
		for (i = 0; i < NGOOGLE_BUILTIN; i++) {
			rc = ranges_add(&r, &n, google_builtin[i], strlen(google_builtin[i]));
			CD_BUG_ON(rc != CD_OK); /* the table is ours */
		}
		*out = r;
		*nout = n;
		return CD_OK;
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		*cause = xstrdupf("CORDON_GOOGLE_RANGES=%s: %s; unset it to use the built-in table",
				   path, strerror(errno));
		return CD_E_IO;
	}
	text = xmalloc(RANGES_FILE_MAX + 1);
	len = fread(text, 1, RANGES_FILE_MAX + 1, f);
	fclose(f);
	if (len > RANGES_FILE_MAX) {
		free(text);
		*cause = xstrdupf("CORDON_GOOGLE_RANGES=%s: larger than %u bytes; not a range list",
				   path, RANGES_FILE_MAX);
		return CD_E_LIMIT;
	}
	rc = ranges_from_text(text, len, path, &r, &n, cause);
	free(text);
	if (rc == CD_OK && n == 0) {
		*cause = xstrdupf("CORDON_GOOGLE_RANGES=%s: no address range in it; expected goog.json,"
				   " cloud.json or one CIDR per line", path);
		rc = CD_E_PARSE;
	}
	if (rc != CD_OK) {
		free(r);
		return rc;
	}
	*out = r;
	*nout = n;
	return CD_OK;
}

/* Parsed at each call: it serves google_ranges_check's few rows only. */
int
net_ip_is_private(const char *ip)
{
	static const char *const priv[] = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
					     "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
					     "fc00::/7", "fe80::/10", "::1/128" };
	struct net_range r;
	size_t i;

	for (i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (net_range_parse(priv[i], strlen(priv[i]), &r) == 0 && net_ranges_has(&r, 1, ip))
			return 1;
	return 0;
}

/*
 * The case's own evidence about its serverless egress: each service
 * account's client-library calls (no key, no impersonation) grouped by
 * network.  An account whose calls came from one public network outside
 * the table at least twice, ten minutes or more apart, is noted: its
 * service leaves through a network of its own, or its token was taken.
 * Which of the two cannot be told from that account alone, so another
 * account's note is what says the table does not describe this case
 * (rule_match.c: src_provider).  Reads through the actor index.
 */
#define OWN_NETWORK_SPAN_NS ((int64_t)600 * 1000000000LL)

static int
account_leaves_google(sqlite3_stmt *st, const struct known_net *net, const char *account, int *out)
{
	char cur[64] = "";
	int64_t first = 0, last = 0;

	*out = 0;
	sqlite3_bind_int64(st, 1, store_text_key(account));
	sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
	/* rows come by address, so one network's (/24, or the address for
	 * IPv6) rows are together and folded as they come */
	while (!*out && sqlite3_step(st) == SQLITE_ROW) {
		const char *ip = (const char *)sqlite3_column_text(st, 0), *dot;
		int64_t a = sqlite3_column_int64(st, 1), b = sqlite3_column_int64(st, 2);
		size_t n;

		if (ip == NULL || net_ranges_has(net->google, net->ngoogle, ip) || net_ip_is_private(ip))
			continue;
		dot = strrchr(ip, '.');
		n = strchr(ip, ':') == NULL && dot != NULL ? (size_t)(dot - ip) : strlen(ip);
		if (n >= sizeof(cur))
			continue;
		if (strlen(cur) != n || strncmp(cur, ip, n) != 0) {
			memcpy(cur, ip, n);
			cur[n] = '\0';
			first = a;
			last = b;
		}
		first = a < first ? a : first;
		last = b > last ? b : last;
		*out = last - first >= OWN_NETWORK_SPAN_NS;
	}
	return sqlite3_reset(st) == SQLITE_OK ? CD_OK : CD_E_DB;
}

int
google_ranges_check(sqlite3 *db, struct known_net *net)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = CD_OK;

	if (net->ngoogle == 0 || net->ngcp_fn_accounts == 0)
		return CD_OK;
	if (sqlite3_prepare_v2(db,
			       "SELECT src_ip, min(ts_ns), max(ts_ns) FROM events"
			       " WHERE actor_key = ?1 AND actor = ?2 AND source = 'gcpaudit'"
			       " AND cred_id IS NULL AND src_ip IS NOT NULL"
			       " AND json_extract(extra, '$.delegation') IS NULL"
			       " AND (user_agent LIKE '%gl-%/%' OR user_agent LIKE '%gccl/%')"
			       " GROUP BY src_ip ORDER BY src_ip",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	/* gcp_fn_accounts is sorted, and so stays google_outside */
	for (i = 0; i < net->ngcp_fn_accounts && rc == CD_OK; i++) {
		int leaves = 0;

		rc = account_leaves_google(st, net, net->gcp_fn_accounts[i], &leaves);
		if (rc == CD_OK && leaves) {
			net->google_outside = xrealloc(net->google_outside,
						       (net->ngoogle_outside + 1) * sizeof(char *));
			net->google_outside[net->ngoogle_outside++] = xstrdup(net->gcp_fn_accounts[i]);
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* Whether src_provider may judge the calls of this account (see above). */
int
google_ranges_trusted(const struct known_net *net, const char *account)
{
	return net->ngoogle_outside == 0 ||
	       (net->ngoogle_outside == 1 && account != NULL && strcmp(net->google_outside[0], account) == 0);
}
