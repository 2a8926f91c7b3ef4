/*
 * fuzz_common.h - one libFuzzer target per ingester: define FUZZ_FORMAT and
 * include this.  The input runs through the real driver (splitter, jsmn,
 * the ingester, the store) into an in-memory store that is emptied every
 * few hundred runs so memory stays flat.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../core/core.h"
#include "../../ingest/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *s;
	static unsigned runs;
	char *cause = NULL;

	if (size > (1 << 20))
		return 0;
	if (s == NULL && store_open(":memory:", 0, &s, &cause) != CD_OK)
		abort();
	ingest_buffer(s, FUZZ_FORMAT, (const char *)data, size);
	/* emptied for real, or the run stops: a mistyped table would let the
	 * store grow without bound */
	if (++runs % 256 == 0 &&
	    sqlite3_exec(store_db(s),
			 "DELETE FROM events; DELETE FROM evidence_segments; DELETE FROM rejects;", NULL,
			 NULL, NULL) != SQLITE_OK)
		abort();
	return 0;
}
