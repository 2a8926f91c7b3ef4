/*
 * evrow.c - reading events rows into struct event.  String fields point
 * into SQLite's row memory: valid until the statement steps again.
 */
#include "engine.h"

int
evrow_columns(struct buf *b)
{
	size_t i;
	int rc = buf_addstr(b, "id");

	for (i = 0; i < ev_nfields; i++)
		rc |= buf_printf(b, ", %s", ev_fields[i].name);
	return rc;
}

void
evrow_fill(sqlite3_stmt *st, int first_col, struct event *ev)
{
	size_t i;

	for (i = 0; i < ev_nfields; i++) {
		int col = first_col + (int)i;
		char *slot = (char *)ev + ev_fields[i].offset;

		if (ev_fields[i].type == EV_T_INT)
			*(int64_t *)slot = sqlite3_column_type(st, col) == SQLITE_NULL
				? EV_NULL : sqlite3_column_int64(st, col);
		else
			*(const char **)slot = (const char *)sqlite3_column_text(st, col);
	}
	ev->dedup = NULL;
}

int
sql_exists_text(sqlite3 *db, const char *sql, const char *arg, int on_error)
{
	sqlite3_stmt *st;
	int yes;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return on_error;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}
