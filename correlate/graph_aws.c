/*
 * graph_aws.c - IAM policy evaluation into graph edges.
 *
 * For every user, group and role: the statements that apply (inline and
 * attached managed policies, and for a user those of its groups), the
 * permissions boundary if one is attached, then:
 *
 *   can-access  identity -> resource "aws:PATTERN" for each Resource of an
 *               Allow, with the actions left after explicit denies and the
 *               boundary; denies and boundaries are compared as patterns
 *               (s3:* on any resource covers s3:GetObject on an object ARN)
 *   can-assume  principal -> role when the role's trust policy names the
 *               principal (its ARN, its account's root or id, "*") for
 *               sts:AssumeRole and the principal's own policies allow
 *               sts:AssumeRole on the role (same-account trust naming the
 *               principal's ARN needs no identity allow); an explicit deny
 *               on either side stops it; a Condition makes it conditional;
 *   can-assume-as-session  ROLE -> role whose trust names a session of
 *               ROLE (assumed-role/ROLE/SESSION); conditional, the detail
 *               names the session (incidents follow it only from that one)
 *   can-assume  aws:service:HOST / aws:federated:ARN -> role, and for an
 *               EKS OIDC provider the service accounts its :sub condition
 *               names (IRSA)
 *   authenticates-as  access key -> user (list-access-keys owners)
 *
 * Cost: can-assume is driven by trust policies: a role trusting an
 * account root is checked against the principals that have some
 * sts:AssumeRole allow at all, not against every principal.  SCPs are not
 * in any of these inputs and are not evaluated (README limits).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#define ADMIN_POLICY "arn:aws:iam::aws:policy/AdministratorAccess"

struct ivec {
	int *v;
	size_t n, cap;
};

static void
ivec_push(struct ivec *a, int x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = x;
}

struct arule {
	char *kind, *owner, *effect, *actions, *resources, *principals, *cond, *origin;
	int not_action, not_resource, conditional, allow;
	int64_t input;
};

struct aprin {
	char *key;        /* "aws:arn:..." */
	const char *arn;
	char acct[16];
	char type[8];     /* user, role, group */
	struct ivec rules;   /* applicable statements */
	struct ivec brules;  /* boundary statements */
	struct ivec arules;  /* applicable statements whose action covers sts:AssumeRole */
	struct ivec abrules; /* the same of the boundary */
	char *boundary;      /* boundary policy ARN, or NULL */
	int assume;          /* some Allow could match sts:AssumeRole */
	struct ivec owners;  /* attached policy owners (rule group indices) */
};

struct aws {
	struct graph_tx *t;
	struct arule *r;
	size_t nr;
	struct aprin *p;
	size_t np;
	struct gmap prin;      /* key -> index in p */
	struct gmap owner;     /* policy owner -> index in groups */
	struct ivec *groups;   /* rules per owner */
	size_t ngroups;
	struct gmap edges;     /* "src\x1fdst" -> index in acc */
	struct access *acc;
	size_t nacc, capacc;
};

/* An aggregated can-access edge being built. */
struct access {
	int prin;
	char *res;
	struct buf actions;
	int cond;       /* every contributing allow is conditional */
	int64_t input;
	char *origin;
};

static void
acct_of(const char *arn, char out[16])
{
	const char *a = strstr(arn, "::"), *b;

	out[0] = '\0';
	if (a == NULL)
		return;
	a += 2;
	b = strchr(a, ':');
	if (b != NULL && b - a < 16) {
		memcpy(out, a, (size_t)(b - a));
		out[b - a] = '\0';
	}
}

static int
owner_group(struct aws *w, const char *owner)
{
	int64_t g;

	if (gmap_get(&w->owner, owner, &g))
		return (int)g;
	w->groups = xrealloc(w->groups, (w->ngroups + 1) * sizeof(*w->groups));
	memset(&w->groups[w->ngroups], 0, sizeof(*w->groups));
	gmap_put(&w->owner, owner, (int64_t)w->ngroups);
	return (int)w->ngroups++;
}

static int
load(struct aws *w)
{
	sqlite3 *db = store_db(w->t->s);
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = CD_OK;

	/* principals */
	if (sqlite3_prepare_v2(db,
			       "SELECT key, label FROM graph_nodes WHERE kind = 'identity' AND provider = 'aws'"
			       " AND label IN ('user', 'role', 'group') ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct aprin *p;

		if (w->np == cap) {
			cap = cap ? cap * 2 : 256;
			w->p = xrealloc(w->p, cap * sizeof(*w->p));
		}
		p = &w->p[w->np];
		memset(p, 0, sizeof(*p));
		p->key = graph_col_dup(st, 0);
		p->arn = p->key + 4;
		acct_of(p->arn, p->acct);
		snprintf(p->type, sizeof(p->type), "%s", (const char *)sqlite3_column_text(st, 1));
		gmap_put(&w->prin, p->key, (int64_t)w->np);
		w->np++;
	}
	sqlite3_finalize(st);

	/* rules */
	cap = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT kind, owner, effect, actions, not_action, resources, not_resource,"
			       " principals, conditional, cond, origin_input, origin FROM graph_rules"
			       " WHERE provider = 'aws' ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct arule *r;
		int g;

		if (w->nr == cap) {
			cap = cap ? cap * 2 : 1024;
			w->r = xrealloc(w->r, cap * sizeof(*w->r));
		}
		r = &w->r[w->nr];
		r->kind = graph_col_dup(st, 0);
		r->owner = graph_col_dup(st, 1);
		r->effect = graph_col_dup(st, 2);
		r->actions = graph_col_dup(st, 3);
		r->not_action = sqlite3_column_int(st, 4);
		r->resources = graph_col_dup(st, 5);
		r->not_resource = sqlite3_column_int(st, 6);
		r->principals = graph_col_dup(st, 7);
		r->conditional = sqlite3_column_int(st, 8);
		r->cond = graph_col_dup(st, 9);
		r->input = sqlite3_column_int64(st, 10);
		r->origin = graph_col_dup(st, 11);
		r->allow = r->effect != NULL && strcmp(r->effect, "Allow") == 0;
		g = owner_group(w, r->owner ? r->owner : "");
		ivec_push(&w->groups[g], (int)w->nr);
		w->nr++;
	}
	sqlite3_finalize(st);
	return rc;
}

static void
release(struct aws *w)
{
	size_t i;

	for (i = 0; i < w->nr; i++) {
		free(w->r[i].kind);
		free(w->r[i].owner);
		free(w->r[i].effect);
		free(w->r[i].actions);
		free(w->r[i].resources);
		free(w->r[i].principals);
		free(w->r[i].cond);
		free(w->r[i].origin);
	}
	free(w->r);
	for (i = 0; i < w->np; i++) {
		free(w->p[i].key);
		free(w->p[i].rules.v);
		free(w->p[i].brules.v);
		free(w->p[i].arules.v);
		free(w->p[i].abrules.v);
		free(w->p[i].owners.v);
		free(w->p[i].boundary);
	}
	free(w->p);
	for (i = 0; i < w->ngroups; i++)
		free(w->groups[i].v);
	free(w->groups);
	for (i = 0; i < w->nacc; i++) {
		free(w->acc[i].res);
		buf_release(&w->acc[i].actions);
		free(w->acc[i].origin);
	}
	free(w->acc);
	gmap_release(&w->prin);
	gmap_release(&w->owner);
	gmap_release(&w->edges);
}

/* Whether an Allow rule could grant action at all (ignoring resources). */
static int
rule_action(const struct arule *r, const char *action)
{
	int m = glist_match(r->actions, action, 1);

	return r->not_action ? !m : m;
}

static int
rule_resource(const struct arule *r, const char *arn)
{
	int m = glist_match(r->resources, arn, 0);

	return r->not_resource ? !m : m;
}

/* AdministratorAccess is attached everywhere and rarely exported: known. */
static int
admin_group(struct aws *w)
{
	int g = owner_group(w, ADMIN_POLICY);

	if (w->groups[g].n == 0) {
		struct arule *r;

		w->r = xrealloc(w->r, (w->nr + 1) * sizeof(*w->r));
		r = &w->r[w->nr];
		memset(r, 0, sizeof(*r));
		r->kind = xstrdup("identity");
		r->owner = xstrdup(ADMIN_POLICY);
		r->effect = xstrdup("Allow");
		r->actions = xstrdup("*");
		r->resources = xstrdup("*");
		r->origin = xstrdup("AWS managed policy AdministratorAccess (built in)");
		r->allow = 1;
		ivec_push(&w->groups[g], (int)w->nr);
		w->nr++;
	}
	return g;
}

/* Attachments: which statements apply to whom. */
static int
attach(struct aws *w)
{
	sqlite3_stmt *st;
	size_t i, j, k;

	if (sqlite3_prepare_v2(store_db(w->t->s),
			       "SELECT kind, subject, owner FROM graph_attach WHERE provider = 'aws'"
			       " AND kind IN ('identity', 'boundary') ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *subj = (const char *)sqlite3_column_text(st, 1);
		const char *owner = (const char *)sqlite3_column_text(st, 2);
		int64_t pi;
		int g;

		if (!gmap_get(&w->prin, subj, &pi))
			continue;
		if (strcmp(owner, ADMIN_POLICY) == 0)
			admin_group(w);
		g = owner_group(w, owner);
		if (strcmp(kind, "boundary") == 0) {
			free(w->p[pi].boundary);
			w->p[pi].boundary = xstrdup(owner);
			for (k = 0; k < w->groups[g].n; k++)
				ivec_push(&w->p[pi].brules, w->groups[g].v[k]);
		} else {
			ivec_push(&w->p[pi].owners, g);
			for (k = 0; k < w->groups[g].n; k++)
				ivec_push(&w->p[pi].rules, w->groups[g].v[k]);
		}
	}
	sqlite3_finalize(st);

	/* users get their groups' statements (for evaluation; can-access edges
	 * stay on the group, reached through member-of) */
	if (sqlite3_prepare_v2(store_db(w->t->s),
			       "SELECT s.key, d.key FROM graph_edges e JOIN graph_nodes s ON s.id = e.src"
			       " JOIN graph_nodes d ON d.id = e.dst WHERE e.type = 'member-of'"
			       " AND s.provider = 'aws' AND d.provider = 'aws'",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t u, g;

		if (!gmap_get(&w->prin, (const char *)sqlite3_column_text(st, 0), &u) ||
		    !gmap_get(&w->prin, (const char *)sqlite3_column_text(st, 1), &g))
			continue;
		for (k = 0; k < w->p[g].owners.n; k++) {
			struct ivec *grp = &w->groups[w->p[g].owners.v[k]];

			for (j = 0; j < grp->n; j++)
				ivec_push(&w->p[u].rules, grp->v[j]);
		}
	}
	sqlite3_finalize(st);
	/* trust evaluation asks only about sts:AssumeRole: keep those apart */
	for (i = 0; i < w->np; i++) {
		for (k = 0; k < w->p[i].rules.n; k++) {
			const struct arule *r = &w->r[w->p[i].rules.v[k]];

			if (rule_action(r, "sts:AssumeRole")) {
				ivec_push(&w->p[i].arules, w->p[i].rules.v[k]);
				if (r->allow)
					w->p[i].assume = 1;
			}
		}
		for (k = 0; k < w->p[i].brules.n; k++)
			if (rule_action(&w->r[w->p[i].brules.v[k]], "sts:AssumeRole"))
				ivec_push(&w->p[i].abrules, w->p[i].brules.v[k]);
	}
	return CD_OK;
}

enum verdict { V_NONE, V_ALLOW, V_COND, V_DENY };

/* Identity side of action on arn for principal p (with its boundary). */
static enum verdict
evaluate(const struct aws *w, const struct aprin *p, const char *action, const char *arn,
	 const struct arule **why)
{
	enum verdict v = V_NONE;
	int cond_deny = 0;
	size_t k;

	const struct ivec *rules = strcmp(action, "sts:AssumeRole") == 0 ? &p->arules : &p->rules;
	const struct ivec *brules = rules == &p->arules ? &p->abrules : &p->brules;

	*why = NULL;
	for (k = 0; k < rules->n; k++) {
		const struct arule *r = &w->r[rules->v[k]];

		if (!rule_action(r, action) || !rule_resource(r, arn))
			continue;
		if (!r->allow) {
			if (!r->conditional)
				return V_DENY;
			cond_deny = 1;
		} else if (!r->conditional) {
			v = V_ALLOW;
			*why = r;
		} else if (v == V_NONE) {
			v = V_COND;
			*why = r;
		}
	}
	if (v != V_NONE && p->boundary != NULL) {
		enum verdict b = V_NONE;

		for (k = 0; k < brules->n; k++) {
			const struct arule *r = &w->r[brules->v[k]];

			if (!rule_action(r, action) || !rule_resource(r, arn))
				continue;
			if (!r->allow && !r->conditional)
				return V_DENY;
			if (!r->allow || r->conditional)
				b = b == V_ALLOW ? V_ALLOW : V_COND;
			else
				b = V_ALLOW;
		}
		if (p->brules.n == 0)
			b = V_COND; /* the boundary policy is not in the inventory */
		if (b == V_NONE)
			return V_NONE;
		if (b == V_COND)
			v = V_COND;
	}
	if (v == V_ALLOW && cond_deny)
		v = V_COND;
	return v;
}

static int
assume_edge(struct aws *w, const char *src, const struct aprin *role, int cond, const struct arule *trust,
	    const struct arule *idr)
{
	char origin[1024];
	int rc;

	if (strcmp(src, role->key) == 0)
		return CD_OK; /* self-trust */
	snprintf(origin, sizeof(origin), "trust policy of %s%s%s", role->arn,
		 idr ? "; allowed by " : "", idr && idr->owner ? idr->owner : "");
	w->t->edge_origin = origin;
	w->t->input_id = trust->input;
	rc = graph_link(w->t, "identity", src, "can-assume", "identity", role->key, cond,
			cond ? "sts:AssumeRole (Condition not evaluated)" : "sts:AssumeRole");
	w->t->edge_origin = NULL;
	w->t->input_id = 0;
	return rc;
}

/* Principal p (user or role) against role's trust statement tr naming it. */
static int
try_assume(struct aws *w, const struct aprin *p, const struct aprin *role, const struct arule *tr,
	   int direct)
{
	const struct arule *idr = NULL;
	enum verdict v;
	int same = strcmp(p->acct, role->acct) == 0;

	if (p == role || strcmp(p->type, "group") == 0)
		return CD_OK;
	v = evaluate(w, p, "sts:AssumeRole", role->arn, &idr);
	if (v == V_DENY)
		return CD_OK;
	if (v == V_NONE && !(direct && same))
		return CD_OK;
	return assume_edge(w, p->key, role, tr->conditional || v == V_COND, tr, idr);
}

/*
 * A trust naming a role session, "arn:aws:sts::ACCT:assumed-role/NAME/SESSION":
 * the sessions of role NAME in ACCT with that session name (any, for "*")
 * may assume the role.  The role's ARN may carry a path, the session ARN
 * never does, so NAME is compared with the last segment.  Returns the
 * role's index, or -1.
 */
static long
session_role(const struct aws *w, const char *arn)
{
	static const char pre[] = "arn:aws:sts::";
	const char *name, *end;
	char acct[16];
	size_t i, n;

	if (strncmp(arn, pre, sizeof(pre) - 1) != 0 || (name = strstr(arn, ":assumed-role/")) == NULL)
		return -1;
	acct_of(arn, acct);
	name += strlen(":assumed-role/");
	if ((end = strchr(name, '/')) == NULL || end == name)
		return -1;
	n = (size_t)(end - name);
	for (i = 0; i < w->np; i++) {
		const struct aprin *p = &w->p[i];
		const char *last;

		if (strcmp(p->type, "role") != 0 || strcmp(p->acct, acct) != 0)
			continue;
		last = strrchr(p->arn, '/');
		last = last != NULL ? last + 1 : p->arn;
		if (strlen(last) == n && memcmp(last, name, n) == 0)
			return (long)i;
	}
	return -1;
}

/*
 * Role p's sessions named `session` may assume role (a trust naming
 * "assumed-role/P/SESSION"): an edge of its own type, conditional, whose
 * detail names the session, so an incident follows it only from that
 * session ("*": any).  An explicit deny on p stops it.
 */
static int
session_edge(struct aws *w, const struct aprin *p, const struct aprin *role, const struct arule *tr,
	     const char *session)
{
	const struct arule *idr = NULL;
	char origin[1024], detail[600];
	int rc;

	if (p == role || evaluate(w, p, "sts:AssumeRole", role->arn, &idr) == V_DENY)
		return CD_OK;
	if (strcmp(p->acct, role->acct) != 0 && idr == NULL)
		return CD_OK; /* across accounts the session's own policy must allow it */
	snprintf(origin, sizeof(origin), "trust policy of %s", role->arn);
	snprintf(detail, sizeof(detail), "session %.500s", session);
	w->t->edge_origin = origin;
	w->t->input_id = tr->input;
	rc = graph_link(w->t, "identity", p->key, "can-assume-as-session", "identity", role->key, 1, detail);
	w->t->edge_origin = NULL;
	w->t->input_id = 0;
	return rc;
}

/* IRSA: "system:serviceaccount:NS:SA" values in the trust's Condition. */
static int
irsa_edges(struct aws *w, const struct aprin *role, const struct arule *tr)
{
	const char *p = tr->cond;
	int rc = CD_OK;

	while (p != NULL && (p = strstr(p, "system:serviceaccount:")) != NULL && rc == CD_OK) {
		size_t n = strcspn(p, "\"");
		char *sa;

		if (memchr(p, '*', n) == NULL && memchr(p, '?', n) == NULL) {
			sa = xmalloc(n + 5);
			memcpy(sa, "k8s:", 4);
			memcpy(sa + 4, p, n);
			sa[n + 4] = '\0';
			rc = assume_edge(w, sa, role, 0, tr, NULL);
			free(sa);
		}
		p += n;
	}
	return rc;
}

static int
trust_edges(struct aws *w)
{
	size_t i, k;
	int rc = CD_OK;

	for (i = 0; i < w->np && rc == CD_OK; i++) {
		const struct aprin *role = &w->p[i];
		int64_t g;
		struct ivec *grp;

		if (strcmp(role->type, "role") != 0 || !gmap_get(&w->owner, role->key, &g))
			continue;
		grp = &w->groups[g];
		for (k = 0; k < grp->n && rc == CD_OK; k++) {
			const struct arule *tr = &w->r[grp->v[k]];
			const char *pp = tr->principals;

			if (strcmp(tr->kind, "trust") != 0 || !tr->allow || pp == NULL ||
			    !(rule_action(tr, "sts:AssumeRole") || rule_action(tr, "sts:AssumeRoleWithWebIdentity") ||
			      rule_action(tr, "sts:AssumeRoleWithSAML")))
				continue;
			while (*pp && rc == CD_OK) {
				size_t n = strcspn(pp, "\n");
				char *one = xstrndup(pp, n), *v = strchr(one, ':');
				char acct[16];
				int64_t pi;
				size_t j;

				pp += n + (pp[n] == '\n');
				if (v == NULL) {
					free(one);
					continue;
				}
				*v++ = '\0';
				if (strcmp(one, "Service") == 0 || strcmp(one, "Federated") == 0) {
					char *src = gjoin(strcmp(one, "Service") == 0 ? "aws:service" : "aws:federated", ":", v);

					rc = assume_edge(w, src, role, tr->conditional, tr, NULL);
					if (rc == CD_OK && strcmp(one, "Federated") == 0)
						rc = irsa_edges(w, role, tr);
					free(src);
				} else if (strcmp(one, "AWS") == 0) {
					char key[2048];

					acct[0] = '\0';
					if (strcmp(v, "*") == 0) {
						acct[0] = '*';
						acct[1] = '\0';
					} else if (strlen(v) == 12 && strspn(v, "0123456789") == 12) {
						snprintf(acct, sizeof(acct), "%s", v);
					} else if (strncmp(v, "arn:", 4) == 0 && strlen(v) > 5 &&
						   strcmp(v + strlen(v) - 5, ":root") == 0) {
						acct_of(v, acct);
					}
					if (acct[0] != '\0') {
						for (j = 0; j < w->np && rc == CD_OK; j++)
							if (w->p[j].assume &&
							    (acct[0] == '*' || strcmp(w->p[j].acct, acct) == 0))
								rc = try_assume(w, &w->p[j], role, tr, 0);
					} else {
						long si;

						snprintf(key, sizeof(key), "aws:%s", v);
						if (gmap_get(&w->prin, key, &pi))
							rc = try_assume(w, &w->p[pi], role, tr, 1);
						else if ((si = session_role(w, v)) >= 0)
							rc = session_edge(w, &w->p[si], role, tr, strrchr(v, '/') + 1);
						else
							/* a principal from another inventory or account */
							rc = assume_edge(w, key, role, 1, tr, NULL);
					}
				}
				free(one);
			}
		}
	}
	return rc;
}

/* Whether deny statements of p cover (action, res); 2 when only conditionally. */
static int
denied(const struct aws *w, const struct ivec *rules, const char *action, const char *res)
{
	int cond = 0;
	size_t k;

	for (k = 0; k < rules->n; k++) {
		const struct arule *r = &w->r[rules->v[k]];
		int a, rr;

		if (r->allow)
			continue;
		a = r->not_action ? !glist_match(r->actions, action, 1) : glist_covers(r->actions, action, 1);
		rr = r->not_resource ? !glist_match(r->resources, res, 0) : glist_covers(r->resources, res, 0);
		if (a && rr) {
			if (!r->conditional)
				return 1;
			cond = 1;
		}
	}
	return cond ? 2 : 0;
}

/* Boundary lets (action, res) through: 1 yes, 2 conditionally, 0 no. */
static int
bounded(const struct aws *w, const struct aprin *p, const char *action, const char *res)
{
	int best = 0;
	size_t k;

	if (p->boundary == NULL)
		return 1;
	if (p->brules.n == 0)
		return 2;
	if (denied(w, &p->brules, action, res) == 1)
		return 0;
	for (k = 0; k < p->brules.n; k++) {
		const struct arule *r = &w->r[p->brules.v[k]];
		int a, rr;

		if (!r->allow)
			continue;
		a = r->not_action ? !glist_match(r->actions, action, 1) : glist_covers(r->actions, action, 1);
		rr = r->not_resource ? !glist_match(r->resources, res, 0) : glist_covers(r->resources, res, 0);
		if (a && rr)
			best = r->conditional ? (best ? best : 2) : 1;
	}
	return best;
}

static struct access *
access_for(struct aws *w, int prin, const char *res, const struct arule *r)
{
	struct buf k;
	int64_t idx;
	struct access *a;

	buf_init(&k, (size_t)1 << 20);
	if (buf_printf(&k, "%d\x1f%s", prin, res) != CD_OK) {
		buf_release(&k);
		return NULL;
	}
	if (gmap_get(&w->edges, k.data, &idx)) {
		buf_release(&k);
		return &w->acc[idx];
	}
	if (w->nacc == w->capacc) {
		w->capacc = w->capacc ? w->capacc * 2 : 1024;
		w->acc = xrealloc(w->acc, w->capacc * sizeof(*w->acc));
	}
	a = &w->acc[w->nacc];
	memset(a, 0, sizeof(*a));
	a->prin = prin;
	a->res = xstrdup(res);
	a->cond = 1;
	a->input = r->input;
	a->origin = r->owner ? xstrdup(r->owner) : NULL;
	buf_init(&a->actions, GRAPH_DETAIL_MAX);
	gmap_put(&w->edges, k.data, (int64_t)w->nacc++);
	buf_release(&k);
	return a;
}

static void
access_add(struct access *a, const char *action, int cond)
{
	if (!cond)
		a->cond = 0;
	if (a->actions.len + strlen(action) + 2 >= GRAPH_DETAIL_MAX - 8)
		return; /* the detail is a summary; the edge is what counts */
	if (a->actions.len && strstr(a->actions.data, action) != NULL)
		return;
	(void)((a->actions.len && buf_addstr(&a->actions, ", ")) || buf_addstr(&a->actions, action));
}

/* can-access: one edge per (identity, resource pattern). */
static int
access_edges(struct aws *w)
{
	size_t i, k;
	int rc = CD_OK;

	for (i = 0; i < w->np; i++) {
		struct aprin *p = &w->p[i];

		for (k = 0; k < p->owners.n; k++) {
			struct ivec *grp = &w->groups[p->owners.v[k]];
			size_t j;

			for (j = 0; j < grp->n; j++) {
				const struct arule *r = &w->r[grp->v[j]];
				const char *rp = r->not_resource ? "*" : r->resources ? r->resources : "*";

				if (!r->allow || strcmp(r->kind, "identity") != 0)
					continue;
				while (*rp) {
					size_t rn = strcspn(rp, "\n");
					char *res = xstrndup(rp, rn);
					const char *ap = r->actions ? r->actions : "";
					struct access *a = access_for(w, (int)i, res, r);

					rp += rn + (rp[rn] == '\n');
					if (a == NULL) {
						free(res);
						continue;
					}
					if (r->not_action || r->not_resource) {
						char *d = r->not_action ? gjoin("all actions except", " ", r->actions)
									: xstrdup(r->actions);
						char *dd = r->not_resource ? gjoin(d, " ", "(NotResource)") : xstrdup(d);

						access_add(a, dd, r->conditional || bounded(w, p, "*", res) != 1);
						free(d);
						free(dd);
						free(res);
						continue;
					}
					while (*ap) {
						size_t an = strcspn(ap, "\n");
						char *act = xstrndup(ap, an);
						int dn = denied(w, &p->rules, act, res), b = bounded(w, p, act, res);

						ap += an + (ap[an] == '\n');
						if (dn != 1 && b != 0)
							access_add(a, act, r->conditional || dn == 2 || b == 2);
						free(act);
					}
					free(res);
				}
			}
			if (grp->n == 0) {
				/* attached, but the policy is not in any inventory */
				const char *owner = NULL;
				size_t m;

				for (m = 0; m < w->owner.cap && owner == NULL; m++)
					if (w->owner.keys[m] != NULL && w->owner.vals[m] == (int64_t)p->owners.v[k])
						owner = w->owner.keys[m];
				if (owner != NULL && strncmp(owner, "arn:", 4) == 0) {
					char *rk = gjoin("aws", ":", owner);

					w->t->edge_origin = "managed policy not in the inventory: permissions unknown";
					rc = graph_link(w->t, "identity", p->key, "can-access", "resource", rk, 1,
							"policy not in the inventory");
					w->t->edge_origin = NULL;
					free(rk);
				}
			}
		}
	}
	for (i = 0; i < w->nacc && rc == CD_OK; i++) {
		struct access *a = &w->acc[i];
		char *rk;

		if (a->actions.len == 0)
			continue; /* everything it allowed is denied */
		rk = gjoin("aws", ":", a->res);
		w->t->edge_origin = a->origin;
		w->t->input_id = a->input;
		rc = graph_link(w->t, "identity", w->p[a->prin].key, "can-access", "resource", rk, a->cond,
				a->actions.data);
		w->t->edge_origin = NULL;
		w->t->input_id = 0;
		free(rk);
	}
	return rc;
}

/* The aws attachments of one kind as (subject, owner, origin_input) rows:
 * each becomes one edge, made where its input's meaning is known. */
static int
attach_rows(struct aws *w, const char *kind, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(store_db(w->t->s),
			       "SELECT subject, owner, origin_input FROM graph_attach WHERE provider = 'aws'"
			       " AND kind = ?",
			       -1, st, NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_text(*st, 1, kind, -1, SQLITE_STATIC);
	return CD_OK;
}

/* list-access-keys owners: user name -> the user's ARN. */
static int
key_owners(struct aws *w)
{
	sqlite3_stmt *st;
	int rc = CD_OK;

	if (attach_rows(w, "key-owner", &st) != CD_OK)
		return CD_E_DB;
	while (rc == CD_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *cred = (const char *)sqlite3_column_text(st, 0);
		const char *user = (const char *)sqlite3_column_text(st, 1);
		char *who = NULL;
		size_t i;

		for (i = 0; i < w->np && who == NULL; i++) {
			const char *k = w->p[i].key, *slash = strrchr(k, '/');

			if (strcmp(w->p[i].type, "user") == 0 && slash != NULL && strcmp(slash + 1, user) == 0)
				who = xstrdup(k);
		}
		if (who == NULL)
			who = gjoin("aws:user", "/", user);
		w->t->input_id = sqlite3_column_int64(st, 2);
		rc = graph_link(w->t, "credential", cred, "authenticates-as", "identity", who, 0,
				"aws iam list-access-keys");
		w->t->input_id = 0;
		free(who);
	}
	sqlite3_finalize(st);
	return rc;
}

/* IRSA annotations: conditional unless the trust policy already decided. */
static int
irsa_annotations(struct aws *w)
{
	sqlite3_stmt *st;
	int rc = CD_OK;

	if (attach_rows(w, "irsa", &st) != CD_OK)
		return CD_E_DB;
	w->t->edge_origin = "service account annotation eks.amazonaws.com/role-arn";
	while (rc == CD_OK && sqlite3_step(st) == SQLITE_ROW) {
		w->t->input_id = sqlite3_column_int64(st, 2);
		rc = graph_link(w->t, "identity", (const char *)sqlite3_column_text(st, 0), "can-assume",
				"identity", (const char *)sqlite3_column_text(st, 1), 1,
				"IRSA annotation; the role's trust policy is not in the inventory or does not name it");
	}
	w->t->edge_origin = NULL;
	w->t->input_id = 0;
	sqlite3_finalize(st);
	return rc;
}

int
graph_derive_aws(struct graph_tx *t)
{
	struct aws w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.t = t;
	gmap_init(&w.prin);
	gmap_init(&w.owner);
	gmap_init(&w.edges);
	if ((rc = load(&w)) == CD_OK && (rc = attach(&w)) == CD_OK && (rc = trust_edges(&w)) == CD_OK &&
	    (rc = access_edges(&w)) == CD_OK && (rc = irsa_annotations(&w)) == CD_OK)
		rc = key_owners(&w);
	release(&w);
	return rc;
}
