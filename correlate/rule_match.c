/*
 * rule_match.c - matching one event against a rule's when/unless blocks,
 * and running a rule's own examples.
 *
 * Conditions inside a block were sorted by cost when the rule was loaded,
 * so the cheap literal tests reject most events before any regex runs.
 */
#include <stdlib.h>
#include <string.h>

#include "rules.h"

void
match_ev_init(struct match_ev *m, const struct event *ev, struct json_tokens *toks)
{
	m->ev = ev;
	m->net = NULL;
	m->vf_done = 0;
	m->extra_state = 0;
	m->toks = toks;
	m->re_err = 0;
	m->re_cond = NULL;
	m->re_in_unless = 0;
}

static const char *
ev_str(const struct event *ev, size_t field)
{
	const struct ev_field *f = &ev_fields[field];

	return *(const char *const *)((const char *)ev + f->offset);
}

static int64_t
ev_int(const struct event *ev, size_t field)
{
	return *(const int64_t *)((const char *)ev + ev_fields[field].offset);
}

/* dst is "ip:port", "[v6]:port" or a unix socket path. */
static void
split_dst(const char *dst, char *ip, size_t ipcap, char *port, size_t portcap)
{
	const char *colon;
	size_t n;

	ip[0] = port[0] = '\0';
	if (dst == NULL || dst[0] == '/' || dst[0] == '@')
		return;
	if (dst[0] == '[') {
		const char *rb = strchr(dst, ']');

		if (rb == NULL)
			return;
		n = (size_t)(rb - dst - 1);
		if (n < ipcap) {
			memcpy(ip, dst + 1, n);
			ip[n] = '\0';
		}
		if (rb[1] == ':')
			snprintf(port, portcap, "%s", rb + 2);
		return;
	}
	colon = strrchr(dst, ':');
	if (colon == NULL || strchr(dst, ':') != colon) {
		snprintf(ip, ipcap, "%s", dst);
		return;
	}
	n = (size_t)(colon - dst);
	if (n < ipcap) {
		memcpy(ip, dst, n);
		ip[n] = '\0';
	}
	snprintf(port, portcap, "%s", colon + 1);
}

int
known_net_has(char *const *set, size_t n, const char *s)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(set[mid], s);

		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * The value of KEY in a sorted set of "KEY VALUE" pairs (keys hold no
 * space, so a key's pairs sort where the key itself would), or NULL.
 */
static const char *
known_net_value(char *const *set, size_t n, const char *key)
{
	size_t lo = 0, hi = n, klen = strlen(key);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(set[mid], key, klen);

		if (c == 0) {
			if (set[mid][klen] == ' ')
				return set[mid] + klen + 1;
			c = 1; /* a longer key: after ours */
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* RFC 1918 / loopback / link-local / non-IP ("AWS Internal", service names). */
static const char *
ip_kind(const struct known_net *net, const char *ip)
{
	const char *p = ip;
	uint64_t o[4];
	int i;

	if (net != NULL && known_net_has(net->node_ips, net->nnode_ips, ip))
		return "node";
	if (net != NULL && known_net_has(net->pod_ips, net->npod_ips, ip))
		return "pod";
	if (net != NULL) {
		size_t k;

		for (k = 0; k < net->negress; k++) {
			size_t n = strlen(net->egress[k]);

			/* "a.b.c." is a prefix; anything else is one exact address */
			if (n > 0 && net->egress[k][n - 1] == '.' ? strncmp(ip, net->egress[k], n) == 0
								 : strcmp(ip, net->egress[k]) == 0)
				return "egress";
		}
	}
	if (strchr(ip, ':') != NULL) {
		if (strcmp(ip, "::1") == 0)
			return "loopback";
		if ((ip[0] == 'f' || ip[0] == 'F') && (ip[1] == 'c' || ip[1] == 'd' ||
						       ip[1] == 'C' || ip[1] == 'D'))
			return "private";
		for (; *p; p++)
			if (!(hexval(*p) >= 0 || *p == ':' || *p == '.'))
				return "service";
		return "public";
	}
	for (i = 0; i < 4; i++) {
		const char *end = ip + strlen(ip);

		if (str_uint64(&p, end, &o[i], 255) != CD_OK)
			return "service";
		if (i < 3 && str_char(&p, end, '.') != CD_OK)
			return "service";
	}
	if (*p != '\0')
		return "service";
	if (o[0] == 127)
		return "loopback";
	if (o[0] == 10 || (o[0] == 172 && o[1] >= 16 && o[1] <= 31) ||
	    (o[0] == 192 && o[1] == 168) || (o[0] == 169 && o[1] == 254) ||
	    (o[0] == 100 && o[1] >= 64 && o[1] <= 127))
		return "private";
	return "public";
}

/*
 * What a connection reached: the cluster's internal services by their
 * well-known ports (a kubelet's API, Vault, the API server or etcd),
 * instance metadata by its fixed addresses, else the address's kind.
 * Whether reaching it is news is the rule's to judge against history.
 */
static const char *
dst_kind(const struct known_net *net, const char *dst)
{
	static const struct { const char *port, *kind; } svc[] = {
		{ "10250", "kubelet" }, { "10255", "kubelet" }, { "8200", "vault" },
		{ "6443", "apiserver" }, { "2379", "apiserver" },
	};
	char ip[96], port[16];
	size_t i;

	if (dst == NULL || dst[0] == '\0')
		return NULL;
	if (dst[0] == '/' || dst[0] == '@')
		return "socket";
	split_dst(dst, ip, sizeof(ip), port, sizeof(port));
	if (ip[0] == '\0')
		return NULL;
	if (strcmp(ip, "169.254.169.254") == 0 || strcmp(ip, "fd00:ec2::254") == 0 ||
	    strcmp(ip, "169.254.170.2") == 0 || strcmp(ip, "metadata.google.internal") == 0)
		return "imds";
	for (i = 0; i < sizeof(svc) / sizeof(svc[0]); i++)
		if (strcmp(port, svc[i].port) == 0)
			return svc[i].kind;
	return ip_kind(net, ip);
}

static const char *
vfield(struct match_ev *m, int vf)
{
	const struct event *ev = m->ev;
	char *out = m->vbuf[vf];
	size_t cap = sizeof(m->vbuf[vf]);

	if (m->vf_done & (1u << vf))
		return m->vf[vf];
	m->vf_done |= 1u << vf;
	m->vf[vf] = NULL;
	switch (vf) {
	case VF_DST_IP:
	case VF_DST_PORT: {
		char ip[96], port[16];

		split_dst(ev->dst, ip, sizeof(ip), port, sizeof(port));
		snprintf(m->vbuf[VF_DST_IP], cap, "%s", ip);
		snprintf(m->vbuf[VF_DST_PORT], cap, "%s", port);
		m->vf[VF_DST_IP] = ip[0] ? m->vbuf[VF_DST_IP] : NULL;
		m->vf[VF_DST_PORT] = port[0] ? m->vbuf[VF_DST_PORT] : NULL;
		m->vf_done |= (1u << VF_DST_IP) | (1u << VF_DST_PORT);
		break;
	}
	case VF_SRC_NET: {
		const char *ip = ev->src_ip, *last;

		if (ip == NULL)
			break;
		last = strrchr(ip, '.');
		if (last != NULL && strchr(ip, ':') == NULL && (size_t)(last - ip) < cap - 8) {
			memcpy(out, ip, (size_t)(last - ip));
			memcpy(out + (last - ip), ".0/24", 6);
		} else {
			/* IPv6: the /64 is the first four groups */
			size_t i, groups = 0;

			for (i = 0; ip[i] && i < cap - 5; i++) {
				if (ip[i] == ':' && ++groups == 4)
					break;
				out[i] = ip[i];
			}
			memcpy(out + i, "::/64", 6);
		}
		m->vf[vf] = out;
		break;
	}
	case VF_UA_FAMILY: {
		const char *ua = ev->user_agent;
		size_t n = 0;

		if (ua == NULL)
			break;
		while (ua[n] && ua[n] != '/' && ua[n] != ' ' && n < cap - 1)
			n++;
		memcpy(out, ua, n);
		out[n] = '\0';
		m->vf[vf] = out;
		break;
	}
	case VF_API: {
		size_t a, b;

		if (ev->action == NULL)
			break;
		a = ev->source ? strlen(ev->source) : 0;
		b = strlen(ev->action);
		if ((ev->source != NULL && strcmp(ev->source, "vault") == 0 && ev->object != NULL) ||
		    a + 1 + b >= cap) {
			if (ev->object != NULL && ev->source != NULL && strcmp(ev->source, "vault") == 0)
				snprintf(out, cap, "vault:%s %s", ev->action, ev->object);
			else
				snprintf(out, cap, "%s:%s", ev->source ? ev->source : "", ev->action);
		} else {
			/* "source:action" without printf: first-seen api runs on most events */
			memcpy(out, ev->source ? ev->source : "", a);
			out[a] = ':';
			memcpy(out + a + 1, ev->action, b);
			out[a + 1 + b] = '\0';
		}
		m->vf[vf] = out;
		break;
	}
	case VF_SRC_KIND:
		m->vf[vf] = ev->src_ip ? ip_kind(m->net, ev->src_ip) : NULL;
		break;
	case VF_EGRESS_KNOWN:
		m->vf[vf] = m->net != NULL && m->net->negress > 0 ? "yes" : NULL;
		break;
	case VF_PRINCIPAL: {
		/* "arn:PART:sts::ACCT:assumed-role/NAME/SESSION" -> "arn:PART:iam::ACCT:role/NAME" */
		const char *a = ev->actor, *sts, *role, *slash;

		if (a == NULL)
			break;
		m->vf[vf] = a;
		if (strncmp(a, "arn:", 4) != 0 || (sts = strstr(a, ":sts::")) == NULL ||
		    (role = strstr(sts, ":assumed-role/")) == NULL)
			break;
		slash = strchr(role + 14, '/');
		snprintf(out, cap, "%.*s:iam::%.*s:role/%.*s", (int)(sts - a), a, (int)(role - sts - 6), sts + 6,
			 (int)(slash ? slash - role - 14 : (long)strlen(role + 14)), role + 14);
		m->vf[vf] = out;
		break;
	}
	case VF_SRC_OWN: {
		char key[512];

		if (m->net == NULL || ev->src_ip == NULL)
			break;
		if (ev->pod_uid != NULL) {
			snprintf(key, sizeof(key), "%s %s", ev->pod_uid, ev->src_ip);
			if (known_net_has(m->net->own, m->net->nown, key))
				m->vf[vf] = "yes";
		}
		if (m->vf[vf] == NULL && ev->actor != NULL) {
			snprintf(key, sizeof(key), "%s %s", ev->actor, ev->src_ip);
			if (known_net_has(m->net->own, m->net->nown, key))
				m->vf[vf] = "yes";
		}
		break;
	}
	case VF_CRED_WORKLOAD: {
		char pr[600];

		if (m->net == NULL)
			break;
		/* a GCP service's own token: its account, no key, as the audit log names it */
		if (ev->cred_id == NULL && ev->actor != NULL && ev->source != NULL &&
		    strcmp(ev->source, "gcpaudit") == 0 &&
		    known_net_has(m->net->gcp_fn_accounts, m->net->ngcp_fn_accounts, ev->actor))
			m->vf[vf] = "gcp-function";
		/* a GitHub job's GCP calls through workload identity federation (its
		 * ExchangeToken among them: the token's use from its runner) */
		if (ev->cred_id == NULL && ci_wif_principal(ev, pr, sizeof(pr)))
			m->vf[vf] = "ci-job";
		/* a job's token exchange is its OIDC token's use: from its runner */
		if (ev->cred_id == NULL && ev->issued_cred != NULL && ev->action != NULL &&
		    strcmp(ev->action, "sts:AssumeRoleWithWebIdentity") == 0 &&
		    known_net_has(m->net->ci_sessions, m->net->nci_sessions, ev->issued_cred))
			m->vf[vf] = "ci-job";
		if (ev->cred_id == NULL)
			break;
		if (known_net_has(m->net->fn_sessions, m->net->nfn_sessions, ev->cred_id))
			m->vf[vf] = "function";
		else if (known_net_has(m->net->fn_custom, m->net->nfn_custom, ev->cred_id))
			m->vf[vf] = "function-custom";
		else if (known_net_has(m->net->ci_sessions, m->net->nci_sessions, ev->cred_id))
			m->vf[vf] = "ci-job";
		break;
	}
	case VF_DST_KIND:
		m->vf[vf] = dst_kind(m->net, ev->dst);
		break;
	case VF_CRED_VPC:
		if (m->net != NULL && ev->cred_id != NULL)
			m->vf[vf] = known_net_value(m->net->fn_vpc, m->net->nfn_vpc, ev->cred_id);
		break;
	case VF_SRC_PROVIDER:
		/* private and non-IP addresses belong to no provider */
		m->vf[vf] = ev->src_ip == NULL || strcmp(ip_kind(m->net, ev->src_ip), "public") != 0 ? NULL
			: m->net == NULL || !google_ranges_trusted(m->net, ev->actor) ? NULL
			: net_ranges_has(m->net->google, m->net->ngoogle, ev->src_ip) ? "google" : "other";
		break;
	case VF_HOST_KIND:
		m->vf[vf] = ev->host == NULL ? NULL
			: m->net != NULL && known_net_has(m->net->nodes, m->net->nnodes, ev->host)
			? "k8s-node" : "unknown";
		break;
	}
	return m->vf[vf];
}

static const char *
extra_field(struct match_ev *m, const char *path)
{
	const char *why;
	int t;

	if (m->ev->extra == NULL || m->toks == NULL)
		return NULL;
	if (m->extra_state == 0) {
		m->extra_state = json_parse(&m->extra, m->ev->extra, strlen(m->ev->extra), m->toks,
					    &why) == CD_OK ? 1 : -1;
	}
	if (m->extra_state < 0)
		return NULL;
	t = json_path(&m->extra, 0, path);
	if (t < 0 || json_is_null(&m->extra, t))
		return NULL;
	if (json_type(&m->extra, t) == JSON_STRING) {
		if (json_str(&m->extra, t, m->xbuf, sizeof(m->xbuf), NULL) != CD_OK)
			return NULL;
	} else {
		struct span s = json_text(&m->extra, t);

		if (s.n >= sizeof(m->xbuf))
			s.n = sizeof(m->xbuf) - 1;
		memcpy(m->xbuf, s.p, s.n);
		m->xbuf[s.n] = '\0';
	}
	return m->xbuf;
}

const char *
match_field(struct match_ev *m, int field, const char *extra_path)
{
	if (field < 0)
		return extra_field(m, extra_path);
	if ((size_t)field < ev_nfields) {
		if (ev_fields[field].type == EV_T_STR)
			return ev_str(m->ev, (size_t)field);
		if (ev_int(m->ev, (size_t)field) == EV_NULL)
			return NULL;
		/* integers compare as decimal text for =, in, prefix... */
		snprintf(m->xbuf, sizeof(m->xbuf), "%lld",
			 (long long)ev_int(m->ev, (size_t)field));
		return m->xbuf;
	}
	return vfield(m, field - (int)ev_nfields);
}

/* Holds (1), does not (0), or unknown (-1): the regex hit a PCRE2 limit. */
#define COND_UNKNOWN (-1)

static int
num_value(struct match_ev *m, const struct cond *c, int64_t *out)
{
	const char *s;

	if (c->field >= 0 && (size_t)c->field < ev_nfields &&
	    ev_fields[c->field].type == EV_T_INT) {
		*out = ev_int(m->ev, (size_t)c->field);
		return *out != EV_NULL;
	}
	s = match_field(m, c->field, c->extra_path);
	if (s == NULL)
		return 0;
	return span_to_i64((struct span){ s, strlen(s) }, out) == CD_OK;
}

static int
cond_holds(struct match_ev *m, const struct cond *c, int *re_err)
{
	const char *v;
	size_t n, i;
	int64_t x;

	switch (c->op) {
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		if (!num_value(m, c, &x))
			return 0;
		return c->op == OP_LT ? x < c->num : c->op == OP_LE ? x <= c->num
			: c->op == OP_GT ? x > c->num : x >= c->num;
	default:
		break;
	}
	v = match_field(m, c->field, c->extra_path);
	if (c->op == OP_PRESENT)
		return v != NULL && *v != '\0';
	if (c->op == OP_ABSENT)
		return v == NULL || *v == '\0';
	if (v == NULL)
		return c->op == OP_NE || c->op == OP_NOT_IN || c->op == OP_NOT_RE;
	n = strlen(v);
	switch (c->op) {
	case OP_EQ: return n == c->vlen && memcmp(v, c->value, n) == 0;
	case OP_NE: return !(n == c->vlen && memcmp(v, c->value, n) == 0);
	case OP_PREFIX: return n >= c->vlen && memcmp(v, c->value, c->vlen) == 0;
	case OP_SUFFIX: return n >= c->vlen && memcmp(v + n - c->vlen, c->value, c->vlen) == 0;
	case OP_CONTAINS: return memmem(v, n, c->value, c->vlen) != NULL;
	case OP_IN:
	case OP_NOT_IN:
		for (i = 0; i < c->nset; i++)
			if (strcmp(v, c->set[i]) == 0)
				return c->op == OP_IN;
		return c->op == OP_NOT_IN;
	case OP_RE:
	case OP_NOT_RE: {
		int rc = regex_match(c->re, v, n);

		if (rc < 0) {
			*re_err = rc;
			return COND_UNKNOWN;
		}
		return c->op == OP_RE ? rc : !rc;
	}
	default: return 0;
	}
}

/*
 * Every condition holds (1), one does not (0), or none fails but one is
 * unknown (COND_UNKNOWN): a later condition that fails still settles it.
 */
static int
block_holds(struct match_ev *m, const struct block *b, int in_unless)
{
	const struct cond *unknown = NULL;
	int err = 0;
	size_t i;

	for (i = 0; i < b->n; i++) {
		int h = cond_holds(m, &b->c[i], &err);

		if (h == 0)
			return 0;
		if (h == COND_UNKNOWN && unknown == NULL)
			unknown = &b->c[i];
	}
	if (unknown == NULL)
		return 1;
	if (!m->re_err) {
		m->re_err = err;
		m->re_cond = unknown;
		m->re_in_unless = in_unless;
	}
	return COND_UNKNOWN;
}

int
rule_matches(const struct rule *r, struct match_ev *m)
{
	size_t i;
	int hit = 0;

	m->re_err = 0;
	m->re_cond = NULL;
	m->re_in_unless = 0;
	for (i = 0; i < r->nwhen && hit != 1; i++) {
		int h = block_holds(m, &r->when[i], 0);

		if (h != 0)
			hit = h;
	}
	if (hit != 1) /* no block holds, or one is unknown: reported through re_err */
		return 0;
	/* a when-block held: an unknown earlier one does not matter */
	m->re_err = 0;
	m->re_cond = NULL;
	for (i = 0; i < r->nunless; i++)
		if (block_holds(m, &r->unless[i], 1) == 1)
			return 0;
	/* an unknown exception does not suppress the finding: re_err says so */
	return 1;
}

int
rule_excluded(const struct rule *r, struct match_ev *m)
{
	size_t i;

	/* an exception whose answer is unknown (a regex limit) does not apply,
	 * as in rule_matches: the finding is kept */
	for (i = 0; i < r->nunless; i++)
		if (block_holds(m, &r->unless[i], 1) == 1)
			return 1;
	return 0;
}

int
rule_learn_only(const struct rule *r, struct match_ev *m)
{
	size_t i;

	/* unknown (a regex limit) is not quiet: the finding is kept */
	for (i = 0; i < r->nquiet; i++)
		if (block_holds(m, &r->quiet[i], 1) == 1)
			return 1;
	return 0;
}

void
rule_match_error(const struct rule *r, const struct match_ev *m, char *buf, size_t cap)
{
	const struct cond *c = m->re_cond;
	char why[200];

	if (c == NULL) {
		snprintf(buf, cap, "rule %s: no regex error", r->id);
		return;
	}
	snprintf(buf, cap,
		 "rule %s: %s%s %s '%s' %s on this event's value, so %s; rewrite the pattern without"
		 " nested repeats (e.g. 'a+$' for '(a+)+$')",
		 r->id, c->field < 0 ? "extra." : "",
		 c->field < 0 ? c->extra_path : rule_field_name(c->field), c->op == OP_RE ? "~" : "!~",
		 c->value, regex_strerror(m->re_err, why, sizeof(why)),
		 m->re_in_unless ? "its unless-block could not rule the event out and the finding was kept"
				 : "the rule could not be evaluated on it and no finding was made");
}

/* ---- examples ------------------------------------------------------------- */

/*
 * An example is "field=value field=\"value with spaces\" extra.k=v".
 * Integer fields take decimal; extra.* values become a JSON object.
 */
static int
example_event(const char *text, struct event *ev, struct ev_arena *a, struct buf *extra,
	      char *why, size_t whycap)
{
	const char *p = text;

	ev_reset(ev, a);
	buf_reset(extra);
	while (*p) {
		const char *k, *eq;
		char name[128], val[1024];
		size_t vn = 0;
		const struct ev_field *f;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		k = p;
		eq = strchr(p, '=');
		if (eq == NULL || (size_t)(eq - k) >= sizeof(name)) {
			snprintf(why, whycap, "expected FIELD=VALUE at '%.40s'", k);
			return CD_E_PARSE;
		}
		memcpy(name, k, (size_t)(eq - k));
		name[eq - k] = '\0';
		p = eq + 1;
		if (*p == '"') {
			p++;
			while (*p && *p != '"' && vn < sizeof(val) - 1) {
				if (*p == '\\' && p[1])
					p++;
				val[vn++] = *p++;
			}
			if (*p != '"') {
				snprintf(why, whycap, "unterminated quote in %s", name);
				return CD_E_PARSE;
			}
			p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && vn < sizeof(val) - 1)
				val[vn++] = *p++;
		}
		val[vn] = '\0';
		if (strncmp(name, "extra.", 6) == 0) {
			if (buf_addstr(extra, extra->len ? "," : "{") != CD_OK ||
			    json_put_str(extra, name + 6) != CD_OK || buf_addc(extra, ':') != CD_OK ||
			    json_put_str(extra, val) != CD_OK) {
				snprintf(why, whycap, "example too long");
				return CD_E_LIMIT;
			}
			continue;
		}
		f = ev_field_find(name);
		if (f == NULL) {
			snprintf(why, whycap, "unknown field '%s'", name);
			return CD_E_PARSE;
		}
		if (f->type == EV_T_INT) {
			int64_t x;

			if (span_to_i64((struct span){ val, vn }, &x) != CD_OK) {
				snprintf(why, whycap, "%s takes an integer", name);
				return CD_E_PARSE;
			}
			*(int64_t *)((char *)ev + f->offset) = x;
		} else {
			*(const char **)((char *)ev + f->offset) = ev_strdup(a, val, vn);
		}
	}
	if (extra->len) {
		if (buf_addc(extra, '}') != CD_OK)
			return CD_E_LIMIT;
		ev->extra = extra->data;
	}
	return CD_OK;
}

int
rule_run_examples(const struct rule *r, FILE *f)
{
	struct ev_arena a;
	struct event ev;
	struct buf extra;
	struct json_tokens toks;
	struct match_ev m;
	size_t i;
	int failed = 0;
	char why[256];

	ev_arena_init(&a, 65536);
	buf_init(&extra, 65536);
	json_tokens_init(&toks, 1024);
	for (i = 0; i < r->nex; i++) {
		const struct example *e = &r->ex[i];
		int got;

		if (example_event(e->text, &ev, &a, &extra, why, sizeof(why)) != CD_OK) {
			fprintf(f, "%s:%d: rule %s: bad example: %s\n", r->file, e->line, r->id, why);
			failed++;
			continue;
		}
		match_ev_init(&m, &ev, &toks);
		got = rule_matches(r, &m);
		if (m.re_err) {
			rule_match_error(r, &m, why, sizeof(why));
			fprintf(f, "%s:%d: %s\n", r->file, e->line, why);
			failed++;
		} else if (got != e->expect) {
			fprintf(f, "%s:%d: rule %s: example should %s but %s\n", r->file, e->line,
				r->id, e->expect ? "match" : "not match",
				got ? "matches" : "does not");
			failed++;
		}
	}
	json_tokens_release(&toks);
	buf_release(&extra);
	ev_arena_release(&a);
	return failed;
}
