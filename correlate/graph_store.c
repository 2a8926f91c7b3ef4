/*
 * graph_store.c - writing the identity graph: nodes (upserted, shared by
 * every source), edges with provenance, and the rules and attachments the
 * derived edges are computed from.  One inventory file is one SAVEPOINT:
 * it lands whole or not at all, and an earlier load of the same file is
 * replaced, never added to.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

int
graph_exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
		out_err("evidence store: %s", msg ? msg : store_errmsg(s));
		sqlite3_free(msg);
		return CD_E_DB;
	}
	/* the store's own timing of write transactions */
	if (strncmp(sql, "BEGIN", 5) == 0)
		store_tx_mark(s, 1);
	else if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
		store_tx_mark(s, 0);
	return CD_OK;
}

char *
graph_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? xstrdup((const char *)v) : NULL;
}

void
graph_provider_of(const char *key, char *out, size_t cap)
{
	const char *c = strchr(key, ':');
	size_t n = c ? (size_t)(c - key) : 0;

	if (n >= cap)
		n = 0;
	memcpy(out, key, n);
	out[n] = '\0';
}

static int
prep(struct graph_tx *t, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(store_db(t->s), sql, -1, st, NULL) != SQLITE_OK) {
		out_err("evidence store: %s", store_errmsg(t->s));
		return CD_E_DB;
	}
	return CD_OK;
}

int
graph_tx_open(struct store *s, struct graph_tx *t)
{
	memset(t, 0, sizeof(*t));
	t->s = s;
	gmap_init(&t->ids);
	/*
	 * A node is found, then inserted or updated: two single-row
	 * statements.  SQLite kept a statement journal for each run of the
	 * one-statement upsert (ON CONFLICT DO UPDATE ... RETURNING), and
	 * past its 64 KiB spill that journal is a temporary file every later
	 * statement of the transaction writes to (52 MiB a 200,000-event
	 * pass into a 1M-event store; none now: docs/ingest-scale.md).
	 * The UPDATE leaves a row that would not change alone: rewriting
	 * it dirtied its page for nothing.
	 */
	if (prep(t, &t->node,
		 "INSERT INTO graph_nodes(kind, key, provider, label, attrs) VALUES(?1,?2,?3,?4,?5)") ||
	    prep(t, &t->node_set,
		 "UPDATE graph_nodes SET provider = coalesce(?2, provider), label = coalesce(?3, label),"
		 " attrs = coalesce(?4, attrs) WHERE id = ?1 AND (provider IS NOT coalesce(?2, provider)"
		 " OR label IS NOT coalesce(?3, label) OR attrs IS NOT coalesce(?4, attrs))") ||
	    prep(t, &t->edge,
		 "INSERT OR IGNORE INTO graph_edges(src, dst, type, conditional, origin_input,"
		 " origin_event, origin, detail, derived) VALUES(?,?,?,?,?,?,?,?,?)") ||
	    prep(t, &t->rule,
		 "INSERT INTO graph_rules(provider, kind, owner, effect, actions, not_action, resources,"
		 " not_resource, principals, names, conditional, cond, origin_input, origin)"
		 " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)") ||
	    prep(t, &t->attach,
		 "INSERT INTO graph_attach(provider, kind, subject, owner, scope, origin_input, origin)"
		 " VALUES(?,?,?,?,?,?,?)") ||
	    prep(t, &t->find, "SELECT id FROM graph_nodes WHERE kind = ? AND key = ?")) {
		graph_tx_close(t);
		return CD_E_DB;
	}
	return CD_OK;
}

void
graph_tx_close(struct graph_tx *t)
{
	sqlite3_finalize(t->node);
	sqlite3_finalize(t->node_set);
	sqlite3_finalize(t->edge);
	sqlite3_finalize(t->rule);
	sqlite3_finalize(t->attach);
	sqlite3_finalize(t->find);
	t->node = t->node_set = t->edge = t->rule = t->attach = t->find = NULL;
	gmap_release(&t->ids);
	free(t->origin);
	t->origin = NULL;
}

int
graph_tx_begin(struct store *s, int64_t input_id, const char *origin, struct graph_tx **out)
{
	struct graph_tx *t = xcalloc(1, sizeof(*t));
	char sql[256];

	*out = NULL;
	if (graph_tx_open(s, t) != CD_OK) {
		free(t);
		return CD_E_DB;
	}
	t->input_id = input_id;
	t->origin = origin ? xstrdup(origin) : NULL;
	if (graph_exec(s, "SAVEPOINT graph_tx") != CD_OK) {
		graph_tx_close(t);
		free(t);
		return CD_E_DB;
	}
	t->savepoint = 1;
	if (input_id > 0) {
		snprintf(sql, sizeof(sql),
			 "DELETE FROM graph_edges WHERE origin_input = %lld AND derived = 0;"
			 "DELETE FROM graph_rules WHERE origin_input = %lld;"
			 "DELETE FROM graph_attach WHERE origin_input = %lld;",
			 (long long)input_id, (long long)input_id, (long long)input_id);
		if (graph_exec(s, sql) != CD_OK)
			t->err = CD_E_DB;
	}
	*out = t;
	return CD_OK;
}

int
graph_tx_end(struct graph_tx **tp, int commit)
{
	struct graph_tx *t = *tp;
	int rc = CD_OK;

	if (t == NULL)
		return CD_OK;
	if (t->err != CD_OK)
		commit = 0;
	if (t->savepoint) {
		if (commit && store_meta_set_int(t->s, GRAPH_META_DIRTY, 1) != CD_OK)
			commit = 0;
		if (!commit)
			graph_exec(t->s, "ROLLBACK TO graph_tx");
		if (graph_exec(t->s, "RELEASE graph_tx") != CD_OK)
			rc = CD_E_DB;
	}
	if (rc == CD_OK)
		rc = t->err != CD_OK ? t->err : commit ? CD_OK : CD_E_PARSE;
	graph_tx_close(t);
	free(t);
	*tp = NULL;
	return rc;
}

void
graph_tx_counts(const struct graph_tx *t, int64_t *nodes, int64_t *edges)
{
	*nodes = (int64_t)t->ids.n;
	*edges = t->added;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* A new node's id, or -1 (t->err set). */
static int64_t
node_insert(struct graph_tx *t, const char *kind, const char *key, const char *provider,
	    const char *label, const char *attrs)
{
	int64_t id = -1;

	sqlite3_reset(t->node);
	sqlite3_bind_text(t->node, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(t->node, 2, key, -1, SQLITE_TRANSIENT);
	bind_opt(t->node, 3, provider);
	bind_opt(t->node, 4, label);
	bind_opt(t->node, 5, attrs);
	if (sqlite3_step(t->node) == SQLITE_DONE) {
		id = sqlite3_last_insert_rowid(store_db(t->s));
	} else {
		out_err("evidence store: %s", store_errmsg(t->s));
		t->err = CD_E_DB;
	}
	sqlite3_reset(t->node);
	return id;
}

/* What is known now of a stored node fills in or replaces what was. */
static void
node_update(struct graph_tx *t, int64_t id, const char *provider, const char *label,
	    const char *attrs)
{
	if (provider == NULL && label == NULL && attrs == NULL)
		return;
	sqlite3_reset(t->node_set);
	sqlite3_bind_int64(t->node_set, 1, id);
	bind_opt(t->node_set, 2, provider);
	bind_opt(t->node_set, 3, label);
	bind_opt(t->node_set, 4, attrs);
	if (sqlite3_step(t->node_set) != SQLITE_DONE) {
		out_err("evidence store: %s", store_errmsg(t->s));
		t->err = CD_E_DB;
	}
	sqlite3_reset(t->node_set);
}

int64_t
graph_tx_node(struct graph_tx *t, const char *kind, const char *key, const char *provider,
	      const char *label, const char *attrs)
{
	struct buf mk;
	int64_t id = -1;
	char prov[32];
	int cached;

	if (t->err != CD_OK || key == NULL || *key == '\0')
		return -1;
	buf_init(&mk, 64 * 1024);
	if (buf_printf(&mk, "%s\x1f%s", kind, key) != CD_OK) {
		buf_release(&mk);
		return -1;
	}
	cached = gmap_get(&t->ids, mk.data, &id);
	if (cached && provider == NULL && label == NULL && attrs == NULL) {
		buf_release(&mk);
		return id;
	}
	if (provider == NULL) {
		graph_provider_of(key, prov, sizeof(prov));
		/* a function's key is its ARN: its provider is the ARN's partition's */
		if (strcmp(kind, "function") == 0 && strncmp(key, "arn:aws", 7) == 0)
			snprintf(prov, sizeof(prov), "aws");
		if (strcmp(kind, "secret") != 0 && strcmp(kind, "node") != 0 &&
		    strcmp(kind, "pod") != 0 && strcmp(kind, "container") != 0 && prov[0])
			provider = prov;
	}
	if (!cached)
		id = graph_node_id(t, kind, key);
	if (id > 0)
		node_update(t, id, provider, label, attrs);
	else
		id = node_insert(t, kind, key, provider, label, attrs);
	if (id > 0 && !cached)
		gmap_put(&t->ids, mk.data, id);
	buf_release(&mk);
	return id;
}

int64_t
graph_node_id(struct graph_tx *t, const char *kind, const char *key)
{
	int64_t id = 0;

	sqlite3_reset(t->find);
	sqlite3_bind_text(t->find, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(t->find, 2, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(t->find) == SQLITE_ROW)
		id = sqlite3_column_int64(t->find, 0);
	sqlite3_reset(t->find);
	return id;
}

int
graph_tx_edge(struct graph_tx *t, int64_t src, int64_t dst, const char *type, int conditional,
	      const char *detail)
{
	char trimmed[GRAPH_DETAIL_MAX];

	if (t->err != CD_OK)
		return t->err;
	if (src <= 0 || dst <= 0)
		return CD_OK;
	if (detail != NULL && strlen(detail) >= sizeof(trimmed)) {
		/* a long action list is cut, visibly */
		memcpy(trimmed, detail, sizeof(trimmed) - 5);
		memcpy(trimmed + sizeof(trimmed) - 5, " ...", 5);
		detail = trimmed;
	}
	sqlite3_reset(t->edge);
	sqlite3_bind_int64(t->edge, 1, src);
	sqlite3_bind_int64(t->edge, 2, dst);
	sqlite3_bind_text(t->edge, 3, type, -1, SQLITE_STATIC);
	sqlite3_bind_int(t->edge, 4, conditional ? 1 : 0);
	if (t->input_id > 0)
		sqlite3_bind_int64(t->edge, 5, t->input_id);
	else
		sqlite3_bind_null(t->edge, 5);
	if (t->event_id > 0)
		sqlite3_bind_int64(t->edge, 6, t->event_id);
	else
		sqlite3_bind_null(t->edge, 6);
	bind_opt(t->edge, 7, t->edge_origin ? t->edge_origin : t->origin);
	bind_opt(t->edge, 8, detail);
	sqlite3_bind_int(t->edge, 9, t->derived);
	if (sqlite3_step(t->edge) != SQLITE_DONE) {
		out_err("evidence store: %s", store_errmsg(t->s));
		t->err = CD_E_DB;
	} else if (sqlite3_changes(store_db(t->s)) > 0) {
		t->added++;
	}
	sqlite3_reset(t->edge);
	return t->err;
}

int
graph_link(struct graph_tx *t, const char *skind, const char *skey, const char *type,
	   const char *dkind, const char *dkey, int conditional, const char *detail)
{
	int64_t a, b;

	if (skey == NULL || dkey == NULL || *skey == '\0' || *dkey == '\0')
		return t->err;
	a = graph_tx_node(t, skind, skey, NULL, NULL, NULL);
	b = graph_tx_node(t, dkind, dkey, NULL, NULL, NULL);
	if (a == b)
		return t->err; /* self-trust and the like: no loops in the graph */
	return graph_tx_edge(t, a, b, type, conditional, detail);
}

int
graph_tx_rule(struct graph_tx *t, const struct graph_rule *r)
{
	sqlite3_stmt *st = t->rule;

	if (t->err != CD_OK)
		return t->err;
	sqlite3_reset(st);
	bind_opt(st, 1, r->provider);
	bind_opt(st, 2, r->kind);
	bind_opt(st, 3, r->owner ? r->owner : "");
	bind_opt(st, 4, r->effect);
	bind_opt(st, 5, r->actions);
	sqlite3_bind_int(st, 6, r->not_action);
	bind_opt(st, 7, r->resources);
	sqlite3_bind_int(st, 8, r->not_resource);
	bind_opt(st, 9, r->principals);
	bind_opt(st, 10, r->names);
	sqlite3_bind_int(st, 11, r->conditional);
	bind_opt(st, 12, r->cond);
	if (t->input_id > 0)
		sqlite3_bind_int64(st, 13, t->input_id);
	else
		sqlite3_bind_null(st, 13);
	bind_opt(st, 14, t->origin);
	if (sqlite3_step(st) != SQLITE_DONE) {
		out_err("evidence store: %s", store_errmsg(t->s));
		t->err = CD_E_DB;
	}
	sqlite3_reset(st);
	return t->err;
}

int
graph_tx_attach(struct graph_tx *t, const char *provider, const char *kind, const char *subject,
		const char *owner, const char *scope)
{
	sqlite3_stmt *st = t->attach;

	if (t->err != CD_OK)
		return t->err;
	if (subject == NULL || owner == NULL)
		return CD_OK;
	sqlite3_reset(st);
	bind_opt(st, 1, provider);
	bind_opt(st, 2, kind);
	bind_opt(st, 3, subject);
	bind_opt(st, 4, owner);
	bind_opt(st, 5, scope);
	if (t->input_id > 0)
		sqlite3_bind_int64(st, 6, t->input_id);
	else
		sqlite3_bind_null(st, 6);
	bind_opt(st, 7, t->origin);
	if (sqlite3_step(st) != SQLITE_DONE) {
		out_err("evidence store: %s", store_errmsg(t->s));
		t->err = CD_E_DB;
	}
	sqlite3_reset(st);
	return t->err;
}
