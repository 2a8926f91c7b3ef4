/*
 * graph_reach.c - what a subject reaches: subject resolution and a
 * breadth-first walk over the stored edges.
 *
 * Two passes keep the answer honest about conditions: the first walks only
 * unconditional edges, the second continues from everything the first
 * found over all edges, so a node is marked conditional only when every
 * path to it crosses a conditional edge.  Each node is visited once per
 * pass, so cycles (A can assume B, B can assume A) end, and a wildcard that
 * fans out to every role costs one visit per role.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

struct visit {
	int64_t id;
	int parent;     /* index in the visit list, -1 for the start */
	char *edge;     /* edge type from the parent */
	int depth, cond;
	char *kind, *key, *provider, *label;
};

struct walk {
	struct visit *v;
	size_t n, cap;
	struct gmap seen; /* node id -> index */
};

static int
add_visit(struct walk *w, int64_t id, int parent, const char *edge, int depth, int cond,
	  sqlite3_stmt *st, int c0)
{
	char k[32];
	struct visit *v;

	snprintf(k, sizeof(k), "%lld", (long long)id);
	if (!gmap_add(&w->seen, k, (int64_t)w->n))
		return 0;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	v = &w->v[w->n++];
	v->id = id;
	v->parent = parent;
	v->edge = edge ? xstrdup(edge) : NULL;
	v->depth = depth;
	v->cond = cond;
	v->kind = graph_col_dup(st, c0);
	v->key = graph_col_dup(st, c0 + 1);
	v->provider = graph_col_dup(st, c0 + 2);
	v->label = graph_col_dup(st, c0 + 3);
	return 1;
}

static int
type_ok(const struct graph_walk *gw, const char *type, const char *dkind)
{
	size_t i;

	if (gw->types == NULL) {
		/* a workload does not reach its node without an escape */
		return !(strcmp(type, "runs-on") == 0 && strcmp(dkind, "node") == 0);
	}
	for (i = 0; gw->types[i] != NULL; i++)
		if (strcmp(gw->types[i], type) == 0)
			return 1;
	return 0;
}

/* Expand v[from..] breadth-first; with all = 0 only unconditional edges. */
static int
expand(struct walk *w, sqlite3_stmt *st, const struct graph_walk *gw, size_t from, int all)
{
	size_t i;

	for (i = from; i < w->n; i++) {
		int64_t id = w->v[i].id;
		int depth = w->v[i].depth, cond = w->v[i].cond;

		if (gw->max_depth > 0 && depth >= gw->max_depth)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *type = (const char *)sqlite3_column_text(st, 1);
			int ec = sqlite3_column_int(st, 2);

			if (!all && ec)
				continue;
			if (!type_ok(gw, type, (const char *)sqlite3_column_text(st, 3)))
				continue;
			add_visit(w, sqlite3_column_int64(st, 0), (int)i, type, depth + 1, cond || ec, st, 3);
		}
	}
	sqlite3_reset(st);
	return CD_OK;
}

void
graph_result_add(struct graph_result *r, const char *kind, const char *key, const char *provider,
		 const char *label, int depth, int conditional, char **path, char **edges, int npath)
{
	struct graph_hit *h;
	int i;

	r->hits = xrealloc(r->hits, (r->n + 1) * sizeof(*r->hits));
	h = &r->hits[r->n++];
	h->kind = xstrdup(kind ? kind : "");
	h->key = xstrdup(key ? key : "");
	h->provider = provider ? xstrdup(provider) : NULL;
	h->label = label ? xstrdup(label) : NULL;
	h->depth = depth;
	h->conditional = conditional;
	h->npath = npath;
	h->parent = -1;
	h->path = xcalloc((size_t)(npath > 0 ? npath : 1), sizeof(char *));
	h->edges = xcalloc((size_t)(npath > 1 ? npath - 1 : 1), sizeof(char *));
	for (i = 0; i < npath; i++)
		h->path[i] = xstrdup(path[i] ? path[i] : "");
	for (i = 0; i + 1 < npath; i++)
		h->edges[i] = xstrdup(edges[i] ? edges[i] : "");
}

void
graph_result_release(struct graph_result *r)
{
	size_t i;
	int j;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		struct graph_hit *h = &r->hits[i];

		for (j = 0; j < h->npath; j++)
			free(h->path[j]);
		for (j = 0; j + 1 < h->npath; j++)
			free(h->edges[j]);
		free(h->path);
		free(h->edges);
		free(h->kind);
		free(h->key);
		free(h->provider);
		free(h->label);
	}
	free(r->hits);
	r->hits = NULL;
	r->n = 0;
}

int
graph_walk_from(struct store *s, int64_t start, const struct graph_walk *gw, struct graph_result *out)
{
	sqlite3_stmt *st = NULL, *one = NULL;
	struct walk w;
	size_t i;
	int *hitof = NULL, rc = CD_E_DB;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	gmap_init(&w.seen);
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT e.dst, e.type, e.conditional, n.kind, n.key, n.provider, n.label"
			       " FROM graph_edges e JOIN graph_nodes n ON n.id = e.dst WHERE e.src = ?"
			       " ORDER BY e.type, n.key",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(store_db(s), "SELECT kind, key, provider, label FROM graph_nodes WHERE id = ?",
			       -1, &one, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(one, 1, start);
	if (sqlite3_step(one) != SQLITE_ROW) {
		rc = CD_E_NOTFOUND;
		goto out;
	}
	add_visit(&w, start, -1, NULL, 0, 0, one, 0);
	expand(&w, st, gw, 0, 0);
	expand(&w, st, gw, 0, 1);
	hitof = xcalloc(w.n ? w.n : 1, sizeof(int));
	for (i = 0; i < w.n; i++) {
		const struct visit *v = &w.v[i];
		char **path, **edges;
		int n = v->depth + 1, j, p;

		hitof[i] = -1;
		if (i > 0 && gw->provider != NULL && (v->provider == NULL || strcmp(v->provider, gw->provider) != 0))
			continue;
		hitof[i] = (int)out->n;
		path = xcalloc((size_t)n, sizeof(char *));
		edges = xcalloc((size_t)n, sizeof(char *));
		for (j = n - 1, p = (int)i; j >= 0 && p >= 0; j--, p = w.v[p].parent) {
			path[j] = w.v[p].key;
			if (j > 0)
				edges[j - 1] = w.v[p].edge;
		}
		graph_result_add(out, v->kind, v->key, v->provider, v->label, v->depth, v->cond, path, edges, n);
		out->hits[out->n - 1].parent = v->parent >= 0 ? hitof[v->parent] : -1;
		free(path);
		free(edges);
	}
	rc = CD_OK;
out:
	if (rc == CD_E_DB)
		out_err("evidence store: %s", store_errmsg(s));
	sqlite3_finalize(st);
	sqlite3_finalize(one);
	for (i = 0; i < w.n; i++) {
		free(w.v[i].edge);
		free(w.v[i].kind);
		free(w.v[i].key);
		free(w.v[i].provider);
		free(w.v[i].label);
	}
	free(w.v);
	free(hitof);
	gmap_release(&w.seen);
	return rc;
}

/* ---- subjects ----------------------------------------------------------------- */

static const char *const kinds[] = { "identity", "credential", "node", "pod", "container", "secret",
				     "resource", "function", NULL };

/* One id from a query with one text parameter; 0 none, -2 ambiguous. */
static int64_t
one_id(struct store *s, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	int n = 0;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b != NULL)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && n < 2) {
		if (n == 0)
			id = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_finalize(st);
	return n > 1 ? -2 : id;
}

static int
is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

int
graph_resolve(struct store *s, const char *subject, int64_t *id, char **why)
{
	const char *colon = strchr(subject, ':');
	int64_t r = 0;
	size_t i;

	*id = 0;
	*why = NULL;
	/* KIND:KEY */
	for (i = 0; colon != NULL && kinds[i] != NULL; i++) {
		if (strlen(kinds[i]) == (size_t)(colon - subject) &&
		    strncmp(subject, kinds[i], (size_t)(colon - subject)) == 0) {
			r = one_id(s, "SELECT id FROM graph_nodes WHERE kind = ?2 AND key = ?1", colon + 1,
				   kinds[i]);
			break;
		}
	}
	/* an exact key, most useful kind first */
	if (r == 0)
		r = one_id(s,
			   "SELECT id FROM graph_nodes WHERE key = ?1 ORDER BY CASE kind"
			   " WHEN 'identity' THEN 0 WHEN 'credential' THEN 1 WHEN 'node' THEN 2"
			   " WHEN 'pod' THEN 3 WHEN 'container' THEN 4 WHEN 'secret' THEN 5 ELSE 6 END LIMIT 1",
			   subject, NULL);
	/* an id or name without its provider */
	if (r == 0)
		r = one_id(s,
			   "SELECT id FROM graph_nodes WHERE kind IN ('credential', 'identity') AND key IN"
			   " ('aws:' || ?1, 'k8s:' || ?1, 'vault:' || ?1, 'gcp:' || ?1, 'github:' || ?1,"
			   " 'x509:' || ?1, 'ssh:' || ?1, 'spiffe:' || ?1, 'signing:' || ?1)",
			   subject, NULL);
	/* a certificate serial in any spelling (decimal, colon-hex, 0x-hex) */
	if (r == 0) {
		char sid[CREDID_MAX + 8];

		memcpy(sid, "x509:", 5);
		if (credid_x509_serial(subject, strlen(subject), sid + 5, sizeof(sid) - 5) == CD_OK)
			r = one_id(s, "SELECT id FROM graph_nodes WHERE kind = 'credential' AND key = ?1", sid,
				   NULL);
	}
	if (r == -2) {
		*why = xstrdup("names more than one identity or credential (in several providers); "
			       "give it with its provider prefix, e.g. k8s:NAME or aws:ID");
		return CD_E_NOTFOUND;
	}
	/* an assumed-role session: its role */
	if (r == 0 && strncmp(subject, "arn:aws:sts::", 13) == 0 && strstr(subject, ":assumed-role/")) {
		const char *acct = subject + 13, *ar = strstr(subject, ":assumed-role/") + 14;
		const char *sl = strchr(ar, '/');
		char *pat, *exact, *like, *a = xstrndup(acct, (size_t)(strchr(acct, ':') - acct));
		char *role = sl ? xstrndup(ar, (size_t)(sl - ar)) : xstrdup(ar);

		pat = gjoin(a, ":role/", role);
		exact = gjoin("aws:arn:aws:iam:", ":", pat);
		free(pat);
		pat = gjoin(a, ":role/%/", role);
		like = gjoin("aws:arn:aws:iam:", ":", pat);
		r = one_id(s, "SELECT id FROM graph_nodes WHERE kind = 'identity' AND (key = ?1 OR key LIKE ?2)",
			   exact, like);
		free(exact);
		free(like);
		if (r == -1 || r == -2)
			r = 0;
		free(pat);
		free(a);
		free(role);
	}
	/* a container id prefix */
	if (r == 0 && strlen(subject) >= 12 && is_hex(subject)) {
		char *hi = gjoin(subject, "", "~");

		r = one_id(s, "SELECT id FROM graph_nodes WHERE kind = 'container' AND key >= ?1 AND key < ?2",
			   subject, hi);
		free(hi);
		if (r == -2) {
			*why = xstrdup("container id prefix is not unique; give more digits");
			return CD_E_NOTFOUND;
		}
	}
	/* a function: "fn:ARN" (an incident's root) or its name */
	if (r == 0 && strncmp(subject, "fn:", 3) == 0)
		r = one_id(s, "SELECT id FROM graph_nodes WHERE kind = 'function' AND key = ?1", subject + 3,
			   NULL);
	if (r == 0) {
		r = one_id(s,
			   "SELECT id FROM graph_nodes WHERE kind = 'function' AND json_valid(attrs)"
			   " AND json_extract(attrs, '$.name') = ?1",
			   subject, NULL);
		if (r == -2) {
			*why = xstrdup("names functions in several regions or accounts; give its ARN");
			return CD_E_NOTFOUND;
		}
	}
	/* a node by its instance id */
	if (r == 0)
		r = one_id(s,
			   "SELECT id FROM graph_nodes WHERE kind = 'node' AND json_valid(attrs)"
			   " AND json_extract(attrs, '$.instance_id') = ?1",
			   subject, NULL);
	if (r == -1)
		return CD_E_DB;
	if (r <= 0) {
		*why = xstrdup("not in the identity graph; ingest an inventory that names it "
			       "(cordon ingest FILE), or the logs that show it");
		return CD_E_NOTFOUND;
	}
	*id = r;
	return CD_OK;
}

int
graph_reach(struct store *s, const char *subject, int max_depth, const char *provider,
	    struct graph_result *out)
{
	struct graph_walk w = { NULL, max_depth, provider };
	char *why = NULL;
	int64_t id;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = graph_resolve(s, subject, &id, &why);
	free(why);
	if (rc != CD_OK)
		return rc;
	return graph_walk_from(s, id, &w, out);
}
