/*
 * graph_k8s.c - Kubernetes RBAC and the Node authorizer into graph edges.
 *
 * Each (Cluster)RoleBinding gives its subjects the rules of its role, in
 * the binding's namespace (RoleBinding) or everywhere (ClusterRoleBinding):
 *
 *   get/list/watch secrets         can-read-secret -> each known secret in
 *                                  scope (resourceNames respected), plus
 *                                  can-access -> k8s:secrets/NS (all: NS = *)
 *   create pods                    can-create-pod -> k8s:pods/NS, which
 *                                  includes NS's secrets and SA tokens
 *   create (or get) pods/exec      can-exec -> each known pod in scope
 *   impersonate users/groups/SAs   can-impersonate
 *   create serviceaccounts/token   can-create-token -> each SA in scope
 *
 * Matching follows the RBAC authorizer: apiGroup "" (core) or "*";
 * resource exact, "*", or "*" + "/SUB" for a subresource; verb exact or "*".
 * Service accounts are members of system:serviceaccounts,
 * system:serviceaccounts:NS and system:authenticated when a binding names
 * those groups.  A node's identity system:node:NAME may read the secrets
 * of pods bound to it and create tokens for their service accounts (the
 * Node authorizer), nothing else.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

struct krule {
	char *owner, *verbs, *res, *names;
};

struct kbind {
	char *subject, *owner, *scope, *origin;
	int64_t input;
};

struct kstr {
	char **v;
	size_t n, cap;
};

static void
kstr_push(struct kstr *a, const char *s)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(s);
}

static void
kstr_release(struct kstr *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static int
load_keys(struct store *s, const char *sql, struct kstr *out)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW)
		kstr_push(out, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return CD_OK;
}

/* The namespace of "k8s-secret:NS/NAME", "NS/POD", "...serviceaccount:NS:SA". */
static int
ns_is(const char *key, const char *ns)
{
	const char *p = strchr(key, ':');
	size_t n = strlen(ns);

	if (strncmp(key, "k8s:system:serviceaccount:", 26) == 0)
		return strncmp(key + 26, ns, n) == 0 && key[26 + n] == ':';
	p = p && strncmp(key, "k8s-secret:", 11) == 0 ? p + 1 : key;
	return strncmp(p, ns, n) == 0 && p[n] == '/';
}

/* The name part (after the namespace) of such a key. */
static const char *
name_of(const char *key)
{
	const char *p = strrchr(key, strncmp(key, "k8s:", 4) == 0 ? ':' : '/');

	return p ? p + 1 : key;
}

static int
has_verb(const char *verbs, const char *v)
{
	return glist_match(verbs, v, 0);
}

/* group/resource list against the core-group resource res ("pods/exec"). */
static int
has_res(const char *pairs, const char *res)
{
	const char *p = pairs, *sub = strchr(res, '/');

	while (p && *p) {
		size_t n = strcspn(p, "\n");
		const char *slash = memchr(p, '/', n);

		if (slash != NULL) {
			size_t gn = (size_t)(slash - p), rn = n - gn - 1;
			const char *r = slash + 1;
			int group = (gn == 4 && memcmp(p, "core", 4) == 0) || (gn == 1 && *p == '*');

			if (group && ((rn == 1 && *r == '*') || (rn == strlen(res) && memcmp(r, res, rn) == 0) ||
				      (sub && rn == strlen(sub) + 1 && *r == '*' && memcmp(r + 1, sub, rn - 1) == 0)))
				return 1;
		}
		p += n + (p[n] == '\n');
	}
	return 0;
}

static int
name_ok(const char *names, const char *name)
{
	return names == NULL || *names == '\0' || glist_match(names, name, 0);
}

struct k8s {
	struct graph_tx *t;
	struct krule *r;
	size_t nr;
	struct kbind *b;
	size_t nb;
	struct kstr secrets, pods, sas, nss;
	struct gmap scopes; /* pod-creation scopes used */
};

static int
edge_to_matching(struct k8s *k, const char *subj, const char *type, const struct kstr *set,
		 const char *dkind, const char *scope, const char *names, const char *detail)
{
	size_t i;
	int rc = CD_OK;

	for (i = 0; i < set->n && rc == CD_OK; i++)
		if ((scope == NULL || ns_is(set->v[i], scope)) && name_ok(names, name_of(set->v[i])))
			rc = graph_link(k->t, "identity", subj, type, dkind, set->v[i], 0, detail);
	return rc;
}

static int
apply(struct k8s *k, const struct kbind *b, const struct krule *r)
{
	const char *ns = b->scope && *b->scope ? b->scope : NULL, *subj = b->subject;
	char detail[GRAPH_DETAIL_MAX];
	int rc = CD_OK;

	snprintf(detail, sizeof(detail), "%s%s%s", b->owner, ns ? " in " : " cluster-wide",
		 ns ? ns : "");
	k->t->edge_origin = b->origin;
	k->t->input_id = b->input;
	if (has_res(r->res, "secrets") &&
	    (has_verb(r->verbs, "get") || has_verb(r->verbs, "list") || has_verb(r->verbs, "watch"))) {
		rc = edge_to_matching(k, subj, "can-read-secret", &k->secrets, "secret", ns, r->names, detail);
		if (rc == CD_OK && (r->names == NULL || *r->names == '\0')) {
			char *res = gjoin("k8s:secrets", "/", ns ? ns : "*");

			rc = graph_link(k->t, "identity", subj, "can-access", "resource", res, 0, detail);
			free(res);
		}
	}
	if (rc == CD_OK && has_res(r->res, "pods") && has_verb(r->verbs, "create")) {
		char *res = gjoin("k8s:pods", "/", ns ? ns : "*");

		gmap_add(&k->scopes, res, 0);
		rc = graph_link(k->t, "identity", subj, "can-create-pod", "resource", res, 0, detail);
		free(res);
	}
	if (rc == CD_OK && has_res(r->res, "pods/exec") &&
	    (has_verb(r->verbs, "create") || has_verb(r->verbs, "get")))
		rc = edge_to_matching(k, subj, "can-exec", &k->pods, "pod", ns, r->names, detail);
	if (rc == CD_OK && has_verb(r->verbs, "impersonate")) {
		if (has_res(r->res, "serviceaccounts"))
			rc = edge_to_matching(k, subj, "can-impersonate", &k->sas, "identity", ns, r->names,
					      detail);
		if (rc == CD_OK && (has_res(r->res, "users") || has_res(r->res, "groups"))) {
			if (r->names == NULL || *r->names == '\0') {
				rc = graph_link(k->t, "identity", subj, "can-impersonate", "identity", "k8s:*", 0,
						detail);
			} else {
				const char *p = r->names;

				while (*p && rc == CD_OK) {
					size_t n = strcspn(p, "\n");
					char *nm = xstrndup(p, n), *id = gjoin(has_res(r->res, "users") ? "k8s" : "k8s:group", ":", nm);

					rc = graph_link(k->t, "identity", subj, "can-impersonate", "identity", id, 0,
							detail);
					free(nm);
					free(id);
					p += n + (p[n] == '\n');
				}
			}
		}
	}
	if (rc == CD_OK && has_res(r->res, "serviceaccounts/token") && has_verb(r->verbs, "create"))
		rc = edge_to_matching(k, subj, "can-create-token", &k->sas, "identity", ns, r->names, detail);
	k->t->edge_origin = NULL;
	k->t->input_id = 0;
	return rc;
}

static int
load(struct k8s *k)
{
	sqlite3 *db = store_db(k->t->s);
	sqlite3_stmt *st;
	size_t cap = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT owner, actions, resources, names FROM graph_rules"
			       " WHERE provider = 'k8s' AND kind = 'rbac' ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct krule *r;

		if (k->nr == cap) {
			cap = cap ? cap * 2 : 256;
			k->r = xrealloc(k->r, cap * sizeof(*k->r));
		}
		r = &k->r[k->nr++];
		/* names may stay NULL (no resourceNames: every name); the rest are matched */
		if ((r->owner = graph_col_dup(st, 0)) == NULL)
			r->owner = xstrdup("");
		if ((r->verbs = graph_col_dup(st, 1)) == NULL)
			r->verbs = xstrdup("");
		if ((r->res = graph_col_dup(st, 2)) == NULL)
			r->res = xstrdup("");
		r->names = graph_col_dup(st, 3);
	}
	sqlite3_finalize(st);
	cap = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT subject, owner, scope, origin, origin_input FROM graph_attach"
			       " WHERE provider = 'k8s' AND kind = 'binding' ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct kbind *b;

		if (k->nb == cap) {
			cap = cap ? cap * 2 : 256;
			k->b = xrealloc(k->b, cap * sizeof(*k->b));
		}
		b = &k->b[k->nb++];
		b->subject = xstrdup((const char *)sqlite3_column_text(st, 0));
		b->owner = xstrdup((const char *)sqlite3_column_text(st, 1));
		b->scope = graph_col_dup(st, 2);
		b->origin = graph_col_dup(st, 3);
		b->input = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (load_keys(k->t->s,
		      "SELECT key FROM graph_nodes WHERE kind = 'secret' AND key LIKE 'k8s-secret:%'"
		      " AND instr(substr(key, instr(key, '/') + 1), '/') = 0",
		      &k->secrets) != CD_OK ||
	    load_keys(k->t->s, "SELECT key FROM graph_nodes WHERE kind = 'pod'", &k->pods) != CD_OK ||
	    load_keys(k->t->s,
		      "SELECT key FROM graph_nodes WHERE kind = 'identity'"
		      " AND key LIKE 'k8s:system:serviceaccount:%'",
		      &k->sas) != CD_OK)
		return CD_E_DB;
	return CD_OK;
}

static void
release(struct k8s *k)
{
	size_t i;

	for (i = 0; i < k->nr; i++) {
		free(k->r[i].owner);
		free(k->r[i].verbs);
		free(k->r[i].res);
		free(k->r[i].names);
	}
	free(k->r);
	for (i = 0; i < k->nb; i++) {
		free(k->b[i].subject);
		free(k->b[i].owner);
		free(k->b[i].scope);
		free(k->b[i].origin);
	}
	free(k->b);
	kstr_release(&k->secrets);
	kstr_release(&k->pods);
	kstr_release(&k->sas);
	kstr_release(&k->nss);
	gmap_release(&k->scopes);
}

/* Service accounts in the groups that bindings name. */
static int
sa_groups(struct k8s *k)
{
	struct gmap named;
	size_t i;
	int rc = CD_OK;

	gmap_init(&named);
	for (i = 0; i < k->nb; i++)
		if (strncmp(k->b[i].subject, "k8s:group:", 10) == 0)
			gmap_add(&named, k->b[i].subject + 10, 0);
	for (i = 0; i < k->sas.n && rc == CD_OK; i++) {
		const char *sa = k->sas.v[i], *ns = sa + 26, *colon = strchr(ns, ':');
		char grp[600];

		if (colon == NULL)
			continue;
		if (gmap_get(&named, "system:serviceaccounts", NULL))
			rc = graph_link(k->t, "identity", sa, "member-of", "identity",
					"k8s:group:system:serviceaccounts", 0, NULL);
		if (gmap_get(&named, "system:authenticated", NULL))
			rc = rc ? rc : graph_link(k->t, "identity", sa, "member-of", "identity",
						  "k8s:group:system:authenticated", 0, NULL);
		snprintf(grp, sizeof(grp), "system:serviceaccounts:%.*s", (int)(colon - ns), ns);
		if (rc == CD_OK && gmap_get(&named, grp, NULL)) {
			char *g = gjoin("k8s:group", ":", grp);

			rc = graph_link(k->t, "identity", sa, "member-of", "identity", g, 0, NULL);
			free(g);
		}
	}
	gmap_release(&named);
	return rc;
}

/* k8s:pods/NS includes NS's secrets and SA tokens (NS = *: every namespace's). */
static int
scope_edges(struct k8s *k)
{
	size_t i, j;
	int rc = CD_OK;

	for (i = 0; i < k->scopes.cap && rc == CD_OK; i++) {
		const char *sc = k->scopes.keys[i], *ns;

		if (sc == NULL)
			continue;
		ns = sc + 9;
		for (j = 0; j < k->secrets.n && rc == CD_OK; j++)
			if (strcmp(ns, "*") == 0 || ns_is(k->secrets.v[j], ns))
				rc = graph_link(k->t, "resource", sc, "includes", "secret", k->secrets.v[j], 0,
						"a new pod may mount it");
		for (j = 0; j < k->sas.n && rc == CD_OK; j++) {
			const char *sa = k->sas.v[j] + 26, *colon = strchr(sa, ':');
			char loc[600];

			if (colon == NULL || (strcmp(ns, "*") != 0 && !ns_is(k->sas.v[j], ns)))
				continue;
			snprintf(loc, sizeof(loc), "sa-token:%.*s/%s", (int)(colon - sa), sa, colon + 1);
			rc = graph_link(k->t, "resource", sc, "includes", "secret", loc, 0,
					"a new pod may run as it");
			rc = rc ? rc : graph_link(k->t, "secret", loc, "authenticates-as", "identity", k->sas.v[j], 0,
						  NULL);
		}
	}
	return rc;
}

/* The Node authorizer: system:node:N and the pods bound to N. */
static int
node_authorizer(struct k8s *k)
{
	sqlite3_stmt *st;
	int rc = CD_OK;

	if (sqlite3_prepare_v2(store_db(k->t->s),
			       "SELECT n.key, s.key FROM graph_edges r"
			       " JOIN graph_nodes p ON p.id = r.src AND p.kind = 'pod'"
			       " JOIN graph_nodes n ON n.id = r.dst AND n.kind = 'node'"
			       " JOIN graph_edges m ON m.src = p.id AND m.type = 'mounts'"
			       " JOIN graph_nodes s ON s.id = m.dst AND s.kind = 'secret'"
			       " WHERE r.type = 'runs-on'",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	k->t->edge_origin = "Kubernetes Node authorizer";
	while (rc == CD_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *node = (const char *)sqlite3_column_text(st, 0);
		const char *sec = (const char *)sqlite3_column_text(st, 1);
		char *who = gjoin("k8s:system:node", ":", node);

		if (strncmp(sec, "k8s-secret:", 11) == 0) {
			rc = graph_link(k->t, "identity", who, "can-read-secret", "secret", sec, 0,
					"a pod bound to this node uses it");
		} else if (strncmp(sec, "sa-token:", 9) == 0) {
			char *ns = xstrdup(sec + 9), *sa = strchr(ns, '/'), *id, *full;

			if (sa != NULL) {
				*sa++ = '\0';
				id = gjoin("k8s:system:serviceaccount", ":", ns);
				full = gjoin(id, ":", sa);
				rc = graph_link(k->t, "identity", who, "can-create-token", "identity", full, 0,
						"a pod bound to this node runs as it");
				free(id);
				free(full);
			}
			free(ns);
		}
		free(who);
	}
	k->t->edge_origin = NULL;
	sqlite3_finalize(st);
	return rc;
}

int
graph_derive_k8s(struct graph_tx *t)
{
	struct k8s k;
	size_t i, j;
	int rc;

	memset(&k, 0, sizeof(k));
	k.t = t;
	gmap_init(&k.scopes);
	if ((rc = load(&k)) != CD_OK)
		goto out;
	for (i = 0; i < k.nb && rc == CD_OK; i++)
		for (j = 0; j < k.nr && rc == CD_OK; j++)
			if (strcmp(k.r[j].owner, k.b[i].owner) == 0)
				rc = apply(&k, &k.b[i], &k.r[j]);
	if (rc == CD_OK)
		rc = sa_groups(&k);
	if (rc == CD_OK)
		rc = scope_edges(&k);
	if (rc == CD_OK)
		rc = node_authorizer(&k);
out:
	release(&k);
	return rc;
}
