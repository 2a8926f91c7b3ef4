/*
 * sqltrace.c - CORDON_SQL_TRACE=FILE: each statement the store runs, one
 * line as it finishes: its time, the rows it stepped through in full
 * scans, the sorts it ran, and its SQL with parameters unexpanded (so a
 * bound secret is never written).  A maintainer's tool for the question a
 * schema change raises: which query now scans or sorts what an index gave
 * it (docs/ingest-scale.md).  Off unless the variable is set.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "private.h"

static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
static FILE *trace_fp;

static void
trace_file_open(void)
{
	const char *path = getenv("CORDON_SQL_TRACE");

	if (path != NULL && *path)
		trace_fp = fopen(path, "a");
}

static int
trace_profile(unsigned type, void *arg, void *p, void *x)
{
	sqlite3_stmt *st = p;
	const char *sql;

	(void)arg;
	if (type != SQLITE_TRACE_PROFILE || (sql = sqlite3_sql(st)) == NULL)
		return 0;
	fprintf(trace_fp, "%lld\t%d\t%d\t%s\n", (long long)*(const sqlite3_int64 *)x,
		sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0),
		sqlite3_stmt_status(st, SQLITE_STMTSTATUS_SORT, 0), sql);
	return 0;
}

void
store_trace_attach(struct sqlite3 *db)
{
	pthread_once(&trace_once, trace_file_open);
	if (trace_fp != NULL)
		sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, trace_profile, NULL);
}
