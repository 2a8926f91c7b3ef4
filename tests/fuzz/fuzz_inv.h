/*
 * fuzz_inv.h - one libFuzzer target per inventory parser: define FUZZ_FORMAT
 * (an inventory name) and include this.  The input is loaded as that
 * inventory into an in-memory store (one savepoint, as `cordon ingest` does),
 * then the graph is derived, so the policy, RBAC and escape evaluation run
 * on whatever the parser let through.  The graph tables are emptied every
 * 32 runs so memory and derivation time stay flat.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../core/core.h"
#include "../../correlate/correlate.h"
#include "../../ingest/inv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *s;
	static unsigned runs;
	char *cause = NULL, why[512];

	if (size > (1 << 20))
		return 0;
	if (s == NULL && store_open(":memory:", 0, &s, &cause) != CD_OK)
		abort();
	if (inventory_buffer(s, FUZZ_FORMAT, (const char *)data, size, why, sizeof(why)) == CD_OK)
		graph_derive(s, 1);
	if (++runs % 32 == 0 &&
	    sqlite3_exec(store_db(s),
			 "DELETE FROM graph_edges; DELETE FROM graph_nodes; DELETE FROM graph_rules;"
			 " DELETE FROM graph_attach;",
			 NULL, NULL, NULL) != SQLITE_OK)
		abort();
	return 0;
}
