/*
 * fuzz_checked.h - fuzz_common.h (the real driver into an in-memory store)
 * and then a check of what was stored: every text column of the new events
 * must be valid UTF-8 and extra valid JSON, whatever bytes the input held.
 * For ingesters of raw text logs: define FUZZ_FORMAT and include this.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/core.h"
#include "../../ingest/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
utf8_valid(const unsigned char *s, int n)
{
	int i = 0;

	while (i < n) {
		unsigned char c = s[i];
		int len, k;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		else
			return 0;
		if (i + len > n)
			return 0;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

/* Every text column of events stored after row `after` is clean. */
static void
check_events(struct store *s, sqlite3_int64 after)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT *, json_valid(coalesce(extra, '{}')) FROM events WHERE id > ?",
			       -1, &st, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_int64(st, 1, after);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int i, n = sqlite3_column_count(st);

		for (i = 0; i < n - 1; i++) {
			const char *name = sqlite3_column_name(st, i);

			if (sqlite3_column_type(st, i) != SQLITE_TEXT || strcmp(name, "dedup") == 0)
				continue;
			if (!utf8_valid(sqlite3_column_text(st, i), sqlite3_column_bytes(st, i)))
				abort(); /* a column that is not UTF-8 */
		}
		if (sqlite3_column_int(st, n - 1) != 1)
			abort(); /* extra that is not JSON */
	}
	sqlite3_finalize(st);
}

static sqlite3_int64
max_id(struct store *s)
{
	sqlite3_stmt *st;
	sqlite3_int64 v = 0;

	if (sqlite3_prepare_v2(store_db(s), "SELECT coalesce(max(id), 0) FROM events", -1, &st,
			       NULL) != SQLITE_OK)
		abort();
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *s;
	static unsigned runs;
	char *cause = NULL;
	sqlite3_int64 before;

	if (size > (1 << 20))
		return 0;
	if (s == NULL && store_open(":memory:", 0, &s, &cause) != CD_OK)
		abort();
	before = max_id(s);
	ingest_buffer(s, FUZZ_FORMAT, (const char *)data, size);
	check_events(s, before);
	/* emptied for real, or the run stops: a mistyped table would let the
	 * store grow without bound */
	if (++runs % 256 == 0 &&
	    sqlite3_exec(store_db(s),
			 "DELETE FROM events; DELETE FROM evidence_segments; DELETE FROM rejects;", NULL,
			 NULL, NULL) != SQLITE_OK)
		abort();
	return 0;
}
