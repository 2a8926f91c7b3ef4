/*
 * inv_awsauthz.c - `aws iam get-account-authorization-details` output:
 * users, groups, roles (trust policies, instance profiles, last use),
 * managed policies (the default version only) and inline policies.
 *
 * Nodes and the edges the file states itself (member-of, instance profile
 * -> role) are written directly; every policy statement is stored as a
 * graph_rules row and what it is attached to as graph_attach, and the
 * can-assume / can-access edges are derived from them once all inventory
 * is in (correlate/graph_aws.c), because a trust policy in one file can
 * name a user in another.
 *
 * Policy documents come decoded (the CLI's output) or as URL-encoded JSON
 * strings (the raw API, some exporters); dates come as ISO 8601
 * ("2019-12-18T19:10:08Z", the CLI) or "2019-12-18 19:10:08+00:00" (boto3
 * and tools built on it, e.g. cloudsplaining); both are stored as RFC 3339.
 */
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "inv.h"

/* Implements inventory::probe */
static int
awsauthz_probe(const char *head, size_t len)
{
	if (!inv_head_starts(head, len, '{'))
		return 0;
	if (memmem(head, len, "\"UserDetailList\"", 16) || memmem(head, len, "\"RoleDetailList\"", 16) ||
	    memmem(head, len, "\"GroupDetailList\"", 17))
		return 97;
	return 0;
}

/* A policy document: an object, or a (URL-encoded) JSON string. */
struct pdoc {
	struct json_doc d;
	struct json_tokens t;
	char *text;
	int root;
};

static int
pdoc_open(struct inv_ctx *c, const struct json_doc *d, int tok, struct pdoc *p)
{
	struct span sp;
	const char *why;
	char *dec;
	size_t n;
	jsmn_parser jp;
	int cnt;

	memset(p, 0, sizeof(*p));
	if (json_type(d, tok) == JSON_OBJECT) {
		p->d = *d;
		p->root = tok;
		return CD_OK;
	}
	if (json_type(d, tok) != JSON_STRING)
		return inv_fail(c, inv_off(d, tok), "policy document is neither an object nor a string");
	if ((dec = inv_str(d, tok)) == NULL)
		return inv_fail(c, inv_off(d, tok), "policy document string does not decode");
	sp.p = dec;
	sp.n = strlen(dec);
	p->text = xmalloc(sp.n + 1);
	n = strchr(dec, '%') != NULL ? ingest_cloud_url_decode(dec, sp.n, p->text, sp.n + 1)
				     : (memcpy(p->text, dec, sp.n + 1), sp.n);
	free(dec);
	jsmn_init(&jp);
	cnt = jsmn_parse(&jp, p->text, n, NULL, 0);
	if (cnt <= 0)
		return inv_fail(c, inv_off(d, tok), "policy document string is not JSON");
	json_tokens_init(&p->t, cnt + 1);
	if (json_parse(&p->d, p->text, n, &p->t, &why) != CD_OK ||
	    json_type(&p->d, 0) != JSON_OBJECT)
		return inv_fail(c, inv_off(d, tok), "policy document string is not a JSON object");
	p->root = 0;
	return CD_OK;
}

static void
pdoc_close(struct pdoc *p)
{
	json_tokens_release(&p->t);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* "AWS:arn\nService:ec2.amazonaws.com\n..." from a Principal value. */
static char *
principals_of(const struct json_doc *d, int pr)
{
	struct buf b;
	int k;

	if (json_type(d, pr) == JSON_STRING) {
		char *s = inv_str(d, pr), *r = xstrdupf("AWS:%s", s ? s : "");

		free(s);
		return r;
	}
	if (json_type(d, pr) != JSON_OBJECT)
		return NULL;
	buf_init(&b, (size_t)1 << 22);
	for (k = json_first(d, pr); k > 0; k = json_next(d, pr, k)) {
		struct span key = json_raw(d, k);
		char *list = inv_strlist(d, k + 1), *p = list;

		while (p != NULL && *p) {
			char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			if ((b.len && buf_addc(&b, '\n') != CD_OK) ||
			    buf_printf(&b, "%.*s:%.*s", (int)key.n, key.p, (int)n, p) != CD_OK)
				break;
			p += n + (nl != NULL);
		}
		free(list);
	}
	return inv_take(&b);
}

/* Every statement of a document as graph_rules rows. */
static int
put_statements(struct inv_ctx *c, const struct json_doc *d, int doctok, const char *kind,
	       const char *owner)
{
	struct pdoc p;
	int st, k, n, j, rc;

	if ((rc = pdoc_open(c, d, doctok, &p)) != CD_OK) {
		pdoc_close(&p);
		return rc;
	}
	st = json_get(&p.d, p.root, "Statement");
	n = json_type(&p.d, st) == JSON_ARRAY ? json_count(&p.d, st) : 1;
	if (json_type(&p.d, st) != JSON_ARRAY && json_type(&p.d, st) != JSON_OBJECT) {
		rc = inv_fail(c, inv_off(d, doctok), "policy of %s has no Statement", owner);
		goto out;
	}
	for (j = 0, k = json_type(&p.d, st) == JSON_ARRAY ? st + 1 : st; j < n && rc == CD_OK;
	     j++, k = json_skip(&p.d, k)) {
		struct graph_rule r = { .provider = "aws", .kind = kind, .owner = owner };
		char *eff = inv_path(&p.d, k, "Effect"), *act, *res, *pr = NULL, *cond = NULL;
		int a = json_get(&p.d, k, "Action"), ct = json_get(&p.d, k, "Condition");
		int rs = json_get(&p.d, k, "Resource");

		if (json_type(&p.d, k) != JSON_OBJECT || eff == NULL ||
		    (strcmp(eff, "Allow") != 0 && strcmp(eff, "Deny") != 0)) {
			free(eff);
			rc = inv_fail(c, p.text ? inv_off(d, doctok) : inv_off(&p.d, k),
				      "statement %d of %s: Effect must be Allow or Deny", j, owner);
			break;
		}
		if (a < 0) {
			a = json_get(&p.d, k, "NotAction");
			r.not_action = a >= 0;
		}
		if (rs < 0) {
			rs = json_get(&p.d, k, "NotResource");
			r.not_resource = rs >= 0;
		}
		act = inv_strlist(&p.d, a);
		res = inv_strlist(&p.d, rs);
		if (act == NULL) {
			free(eff);
			free(res);
			rc = inv_fail(c, p.text ? inv_off(d, doctok) : inv_off(&p.d, k),
				      "statement %d of %s has no Action or NotAction", j, owner);
			break;
		}
		if (strcmp(kind, "trust") == 0) {
			int pt = json_get(&p.d, k, "Principal");

			if (pt < 0) {
				/* NotPrincipal: everyone but someone; conditional at best */
				pt = json_get(&p.d, k, "NotPrincipal");
				pr = xstrdup("AWS:*");
				r.conditional = 1;
			} else {
				pr = principals_of(&p.d, pt);
			}
		}
		if (ct >= 0 && json_count(&p.d, ct) > 0) {
			r.conditional = 1;
			cond = inv_compact(&p.d, ct);
		}
		r.effect = eff;
		r.actions = act;
		r.resources = res ? res : (strcmp(kind, "trust") == 0 ? NULL : "*");
		r.principals = pr;
		r.cond = cond;
		rc = graph_tx_rule(c->tx, &r);
		free(eff);
		free(act);
		free(res);
		free(pr);
		free(cond);
	}
out:
	pdoc_close(&p);
	return rc;
}

/* "2019-12-18 19:10:08+00:00" or "...T...Z" -> RFC 3339 UTC; else as given. */
static void
attr_time(struct buf *b, const struct json_doc *d, int tok, const char *key)
{
	char *s = inv_str(d, tok), out[40];
	struct span sp;
	int64_t ns;

	if (s == NULL)
		return;
	sp.p = s;
	sp.n = strlen(s);
	if (time_parse_rfc3339(sp, &ns) == CD_OK) {
		time_format(ns, out, sizeof(out));
		(void)(buf_printf(b, "%s\"%s\":", b->len > 1 ? "," : "", key) ||
		       json_put_str(b, out));
	} else {
		(void)(buf_printf(b, "%s\"%s\":", b->len > 1 ? "," : "", key) || json_put_str(b, s));
	}
	free(s);
}

/* Attached managed policies, inline policies, boundary of one identity. */
static int
put_policies(struct inv_ctx *c, const struct json_doc *d, int obj, const char *arn,
	     const char *inline_key)
{
	int list, k, n, j, rc = CD_OK;

	list = json_get(d, obj, "AttachedManagedPolicies");
	n = json_count(d, list);
	for (j = 0, k = list + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		char *pa = inv_path(d, k, "PolicyArn");

		if (pa != NULL)
			rc = graph_tx_attach(c->tx, "aws", "identity", arn, pa, NULL);
		free(pa);
	}
	list = json_get(d, obj, inline_key);
	n = json_count(d, list);
	for (j = 0, k = list + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		char *name = inv_path(d, k, "PolicyName"), *owner;
		int doc = json_get(d, k, "PolicyDocument");

		owner = xstrdupf("inline:%s:%s", arn, name ? name : "?");
		free(name);
		if (doc < 0)
			rc = inv_fail(c, inv_off(d, k), "inline policy %s has no PolicyDocument", owner);
		else
			rc = put_statements(c, d, doc, "identity", owner);
		if (rc == CD_OK)
			rc = graph_tx_attach(c->tx, "aws", "identity", arn, owner, NULL);
		free(owner);
	}
	if (rc == CD_OK) {
		char *pb = inv_path(d, obj, "PermissionsBoundary.PermissionsBoundaryArn");

		if (pb != NULL)
			rc = graph_tx_attach(c->tx, "aws", "boundary", arn, pb, NULL);
		free(pb);
	}
	return rc;
}

/* The identity node of a user, group or role, with its dates. */
static int64_t
put_identity(struct inv_ctx *c, const struct json_doc *d, int obj, const char *arn,
	     const char *what, char **keyp)
{
	struct buf attrs;
	char *key = xstrdupf("aws:%s", arn);
	int64_t id;

	buf_init(&attrs, 4096);
	(void)(buf_addc(&attrs, '{') || buf_printf(&attrs, "\"type\":\"%s\"", what));
	attr_time(&attrs, d, json_get(d, obj, "CreateDate"), "created");
	attr_time(&attrs, d, json_path(d, obj, "RoleLastUsed.LastUsedDate"), "last_used");
	if (buf_addc(&attrs, '}') != CD_OK)
		buf_reset(&attrs); /* a truncated object would be invalid JSON */
	id = graph_tx_node(c->tx, "identity", key, "aws", what, attrs.data);
	buf_release(&attrs);
	*keyp = key;
	c->objects++;
	return id;
}

/* The ARN of the group named name in this file, or NULL. */
static char *
group_arn(const struct json_doc *d, int groups, const char *name)
{
	int k, j, n = json_count(d, groups);

	for (j = 0, k = groups + 1; j < n; j++, k = json_skip(d, k)) {
		char *g = inv_path(d, k, "GroupName");
		int same = g != NULL && strcmp(g, name) == 0;

		free(g);
		if (same)
			return inv_path(d, k, "Arn");
	}
	return NULL;
}

/* A user's groups: member-of edges, to groups of this file or by name. */
static int
user_groups(struct inv_ctx *c, const struct json_doc *d, int obj, const char *arn, const char *key,
	    int64_t uid)
{
	int groups = json_get(d, 0, "GroupDetailList"), gl = json_get(d, obj, "GroupList");
	int gn = json_count(d, gl), gk, gj, rc = CD_OK;

	(void)key;
	for (gj = 0, gk = gl + 1; gj < gn && rc == CD_OK; gj++, gk = json_skip(d, gk)) {
		char *gname = inv_str(d, gk), *garn = gname ? group_arn(d, groups, gname) : NULL;

		if (garn == NULL && gname != NULL) {
			/* not in this file: the group's ARN from the user's account and path "/" */
			const char *acct = strstr(arn, "::");
			const char *end = acct ? strchr(acct + 2, ':') : NULL;

			if (end != NULL)
				garn = xstrdupf("arn:aws:iam::%.*s:group/%s", (int)(end - acct - 2),
						  acct + 2, gname);
		}
		if (garn != NULL) {
			char *gkey = xstrdupf("aws:%s", garn);
			int64_t gid = graph_tx_node(c->tx, "identity", gkey, "aws", "group", NULL);

			rc = graph_tx_edge(c->tx, uid, gid, "member-of", 0, NULL);
			free(gkey);
		}
		free(gname);
		free(garn);
	}
	return rc;
}

/* A role's trust policy, and the instance profiles that can assume it. */
static int
role_trust(struct inv_ctx *c, const struct json_doc *d, int obj, const char *arn, const char *key,
	   int64_t rid)
{
	int trust = json_get(d, obj, "AssumeRolePolicyDocument"), pl, pk, pj, pn, rc = CD_OK;

	(void)arn;
	if (trust >= 0)
		rc = put_statements(c, d, trust, "trust", key);
	pl = json_get(d, obj, "InstanceProfileList");
	pn = json_count(d, pl);
	for (pj = 0, pk = pl + 1; pj < pn && rc == CD_OK; pj++, pk = json_skip(d, pk)) {
		char *parn = inv_path(d, pk, "Arn"), *pkey;
		int64_t pid;

		if (parn == NULL)
			continue;
		pkey = xstrdupf("aws:%s", parn);
		pid = graph_tx_node(c->tx, "identity", pkey, "aws", "instance-profile", NULL);
		rc = graph_tx_edge(c->tx, pid, rid, "can-assume", 0, "instance profile");
		free(pkey);
		free(parn);
	}
	return rc;
}

/* The three principal lists, loaded in this order: each entry is an
 * identity node, then what its kind adds (more: MAY be NULL), then its
 * policies.  One loop, so the three cannot drift apart. */
static const struct principals {
	const char *list, *what, *policies;
	int (*more)(struct inv_ctx *c, const struct json_doc *d, int obj, const char *arn,
		    const char *key, int64_t id);
} principals[] = {
	{ "GroupDetailList", "group", "GroupPolicyList", NULL },
	{ "UserDetailList", "user", "UserPolicyList", user_groups },
	{ "RoleDetailList", "role", "RolePolicyList", role_trust },
};

static int
load_principals(struct inv_ctx *c, const struct json_doc *d, const struct principals *pl)
{
	int list = json_get(d, 0, pl->list), n = json_count(d, list), k, j, rc = CD_OK;

	for (j = 0, k = list + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		char *arn = inv_path(d, k, "Arn"), *key = NULL;
		int64_t id;

		if (arn == NULL) {
			rc = inv_fail(c, inv_off(d, k), "%s without an Arn", pl->what);
			break;
		}
		id = put_identity(c, d, k, arn, pl->what, &key);
		if (pl->more != NULL)
			rc = pl->more(c, d, k, arn, key, id);
		if (rc == CD_OK)
			rc = put_policies(c, d, k, key, pl->policies);
		free(arn);
		free(key);
	}
	return rc;
}

static int
load_policies(struct inv_ctx *c, const struct json_doc *d)
{
	int list = json_get(d, 0, "Policies"), n = json_count(d, list), k, j, rc = CD_OK;

	for (j = 0, k = list + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		char *arn = inv_path(d, k, "Arn"), *def = inv_path(d, k, "DefaultVersionId");
		int vl = json_get(d, k, "PolicyVersionList"), vk, vj, vn = json_count(d, vl);
		int done = 0;

		if (arn == NULL) {
			free(def);
			rc = inv_fail(c, inv_off(d, k), "managed policy without an Arn");
			break;
		}
		for (vj = 0, vk = vl + 1; vj < vn && rc == CD_OK && !done; vj++, vk = json_skip(d, vk)) {
			char *vid = inv_path(d, vk, "VersionId");
			int isdef = span_eq(json_raw(d, json_get(d, vk, "IsDefaultVersion")), "true") ||
				    (def != NULL && vid != NULL && strcmp(def, vid) == 0);

			if (isdef) {
				int doc = json_get(d, vk, "Document");

				rc = doc >= 0 ? put_statements(c, d, doc, "identity", arn)
					      : inv_fail(c, inv_off(d, vk), "policy version without a Document");
				done = 1;
			}
			free(vid);
		}
		c->objects++;
		free(arn);
		free(def);
	}
	return rc;
}

/* Implements inventory::load */
static int
awsauthz_load(struct inv_ctx *c)
{
	struct json_doc d;
	struct json_tokens t;
	size_t i;
	int rc;

	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	if (json_type(&d, 0) != JSON_OBJECT) {
		rc = inv_fail(c, 0, "authorization details must be a JSON object");
		goto out;
	}
	for (i = 0; i < sizeof(principals) / sizeof(principals[0]) && rc == CD_OK; i++)
		rc = load_principals(c, &d, &principals[i]);
	if (rc == CD_OK)
		rc = load_policies(c, &d);
out:
	json_tokens_release(&t);
	return rc;
}

const struct inventory inv_awsauthz = {
	.name = "iam-authz",
	.summary = "inventory: aws iam get-account-authorization-details (users, groups, roles, policies)",
	.probe = awsauthz_probe,
	.load = awsauthz_load,
};
