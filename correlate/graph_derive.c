/*
 * graph_derive.c - recompute every derived edge from the stored facts.
 *
 * Derived edges (IAM evaluation, RBAC, escape expansion) are a function of
 * the rules, attachments, nodes and direct edges; recomputing them all in
 * one transaction is simpler to trust than patching them, and fast enough
 * (README Performance).  It runs only when something changed: inventory
 * loads and event learning set the meta flag graph_dirty.
 */
#include <sqlite3.h>
#include <string.h>

#include "graph.h"

int
graph_derive(struct store *s, int force)
{
	struct graph_tx t;
	int64_t dirty = 0;
	int rc;

	if (!force && (store_meta_get_int(s, GRAPH_META_DIRTY, &dirty) != CD_OK || dirty == 0))
		return CD_OK;
	if (graph_exec(s, "BEGIN IMMEDIATE") != CD_OK)
		return CD_E_DB;
	rc = graph_exec(s, "DELETE FROM graph_edges WHERE derived = 1");
	if (rc == CD_OK && (rc = graph_tx_open(s, &t)) == CD_OK) {
		t.derived = 1;
		if ((rc = graph_derive_aws(&t)) == CD_OK && (rc = graph_derive_k8s(&t)) == CD_OK)
			rc = graph_derive_escape(&t);
		if (rc == CD_OK && t.err != CD_OK)
			rc = t.err;
		graph_tx_close(&t);
	}
	if (rc == CD_OK)
		rc = store_meta_set_int(s, GRAPH_META_DIRTY, 0);
	if (rc == CD_OK)
		return graph_exec(s, "COMMIT");
	graph_exec(s, "ROLLBACK");
	return rc;
}
