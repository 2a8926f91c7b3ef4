/*
 * graph.h - what the identity-graph files share inside correlate/ (not
 * public: the interface is correlate.h).
 *
 *   graph_store.c   graph_tx: nodes, edges, rules, attachments; column copies
 *   graph_map.c     string -> integer hash map (node ids, dedup sets)
 *   graph_match.c   IAM-style wildcards, pattern coverage
 *   graph_derive.c  recompute derived edges: aws, k8s, escape expansion
 *   graph_aws.c     IAM policy and trust evaluation
 *   graph_k8s.c     RBAC and the Node authorizer
 *   graph_escape.c  escape expansion, node exposure, secret for a path
 *   graph_learn.c   lineage from events
 *   graph_reach.c   subject resolution and the traversal
 */
#ifndef CORDON_CORRELATE_GRAPH_H
#define CORDON_CORRELATE_GRAPH_H

#include "correlate.h"

#define GRAPH_META_DIRTY   "graph_dirty"
#define GRAPH_META_LEARNED "graph_learned_event"
#define GRAPH_DETAIL_MAX   1024 /* bytes of an edge's detail text */

/* ---- graph_map.c ---------------------------------------------------------- */

/* Open addressing; keys are copied; values are int64.  Grows by doubling. */
struct gmap {
	char **keys;
	int64_t *vals;
	size_t n, cap;
};

void gmap_init(struct gmap *m);
void gmap_release(struct gmap *m);
/* Returns 1 and sets *val when key is present. */
int gmap_get(const struct gmap *m, const char *key, int64_t *val);
/* Insert or replace. */
void gmap_put(struct gmap *m, const char *key, int64_t val);
/* Insert when absent; returns 1 when it was added. */
int gmap_add(struct gmap *m, const char *key, int64_t val);
/* a + sep + b as a new string. */
char *gjoin(const char *a, const char *sep, const char *b);

/* ---- graph_match.c -------------------------------------------------------- */

/* IAM wildcard match: '*' any run, '?' one character; nocase for actions. */
int gmatch(const char *pat, const char *s, int nocase);
/* Whether pattern outer matches everything pattern inner matches (approximated:
 * outer matches inner read literally, so "s3:*" covers "s3:Get*"). */
int gcovers(const char *outer, const char *inner, int nocase);
/* Newline-separated list helpers: whether any item matches s. */
int glist_match(const char *list, const char *s, int nocase);
int glist_covers(const char *list, const char *inner, int nocase);
/* Shell glob for credential-map paths (fnmatch without FNM_PATHNAME). */
int gpath_match(const char *glob, const char *path);

/* ---- graph_store.c -------------------------------------------------------- */

struct graph_tx {
	struct store *s;
	int64_t input_id;   /* 0: none */
	int64_t event_id;   /* 0: none */
	int derived;        /* edges written are derived */
	char *origin;
	const char *edge_origin; /* per-edge origin override (derive) */
	int err;            /* sticky */
	int64_t added;      /* edges actually inserted */
	int savepoint;      /* inside SAVEPOINT graph_tx */
	struct gmap ids;    /* "kind\x1fkey" -> id */
	struct sqlite3_stmt *node, *node_set, *edge, *rule, *attach, *find;
};

/* For derive and learn: a writer without input deletion, in an open txn. */
int graph_tx_open(struct store *s, struct graph_tx *t);
void graph_tx_close(struct graph_tx *t);
/* Id of an existing node, or 0. */
int64_t graph_node_id(struct graph_tx *t, const char *kind, const char *key);

/* A text column as a new string, NULL when the column is NULL. */
char *graph_col_dup(struct sqlite3_stmt *st, int i);

/* Run SQL with no result; CD_OK or CD_E_DB (message printed). */
int graph_exec(struct store *s, const char *sql);

/* ---- graph_derive.c and its parts ----------------------------------------- */

int graph_derive_aws(struct graph_tx *t);
int graph_derive_k8s(struct graph_tx *t);
int graph_derive_escape(struct graph_tx *t);

/* ---- graph_reach.c -------------------------------------------------------- */

/* Edge-type filter for a traversal: NULL = the reach rules. */
struct graph_walk {
	const char *const *types; /* only these edge types (NULL-terminated), or NULL */
	int max_depth;
	const char *provider;
};
int graph_walk_from(struct store *s, int64_t start, const struct graph_walk *w,
		    struct graph_result *out);
/* Resolve a subject to a node id (see graph_reach). */
int graph_resolve(struct store *s, const char *subject, int64_t *id, char **why);
/* ---- graph_runby.c --------------------------------------------------------- */

/* The workloads with a runs-as edge to node id, appended to b as JSON
 * objects {kind, key, label, detail} (comma-separated, no brackets), or
 * (json 0, b unused) printed under "  workloads running as it:"; *count
 * says how many. */
int graph_run_by(struct store *s, int64_t id, int json, struct buf *b, int *count);

/* Append one hit (copies). */
void graph_result_add(struct graph_result *r, const char *kind, const char *key,
		      const char *provider, const char *label, int depth, int conditional,
		      char **path, char **edges, int npath);

#endif
