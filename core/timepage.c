/*
 * timepage.c - pages in time order without an index whose key is the time.
 *
 * Since schema 10 the events' time is indexed within each stream (the
 * dedup key (stream, ts_ns, dedup), core/stream.c), not across them: a
 * time range is a seek per stream, but "the newest 100 events" has no
 * index that hands them over in order, and ORDER BY over the whole store
 * would sort every row.  So a page is read from a window of time: the
 * narrowest window, from the page's position back (or forward), that holds
 * the page's rows, found by counting (a count stops at the page's size)
 * in windows that grow fourfold from a width the store's density suggests.
 * The page's query then carries the window's far edge as one more bound,
 * and SQLite sorts only the window.  A filter that matches little widens
 * the window to the whole store in a few steps (log4 of the span over the
 * first width), no worse than the walk of a time index it replaces.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "private.h"

int
store_time_bounds(struct store *s, int64_t *first, int64_t *last)
{
	sqlite3_stmt *st;
	int rc = CD_E_NOTFOUND;

	if (sqlite3_prepare_v2(store_db(s), STORE_TIME_BOUNDS_SQL, -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
			*first = sqlite3_column_int64(st, 0);
			*last = sqlite3_column_int64(st, 1);
			rc = CD_OK;
		}
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = CD_E_DB;
	}
	sqlite3_finalize(st);
	return rc;
}

int
timepage_init(struct timepage *tp, struct store *s, int64_t since, int64_t until)
{
	sqlite3_stmt *st;
	int64_t rows = 1;
	int rc;

	tp->empty = 0;
	rc = store_time_bounds(s, &tp->first, &tp->last);
	if (rc == CD_E_NOTFOUND) {
		tp->empty = 1;
		return CD_OK;
	}
	if (rc != CD_OK)
		return rc;
	if (since != EV_NULL && since > tp->first)
		tp->first = since;
	if (until != EV_NULL && until < tp->last)
		tp->last = until;
	if (tp->first > tp->last) {
		tp->empty = 1;
		return CD_OK;
	}
	/* the row ids count the rows closely enough (deleted rows are rare) */
	if (sqlite3_prepare_v2(store_db(s), "SELECT max(id) FROM events", -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
		rows = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	tp->ns_per_row = (tp->last - tp->first) / rows;
	if (tp->ns_per_row < 1)
		tp->ns_per_row = 1;
	return CD_OK;
}

/* How many rows (at most rows) the window of this width from pos holds;
 * *edge its far end, *whole whether it reaches the bound. */
static int
window_count(const struct timepage *tp, sqlite3_stmt *count, int lo_param, int desc, int64_t pos,
	     int64_t width, int64_t *n, int64_t *edge, int *whole)
{
	int64_t lo, hi;
	int rc;

	if (desc) {
		hi = pos;
		lo = pos - tp->first <= width ? tp->first : pos - width;
		*whole = lo == tp->first;
		*edge = lo;
	} else {
		lo = pos;
		hi = tp->last - pos <= width ? tp->last : pos + width;
		*whole = hi == tp->last;
		*edge = hi;
	}
	sqlite3_bind_int64(count, lo_param, lo);
	sqlite3_bind_int64(count, lo_param + 1, hi);
	*n = 0;
	rc = sqlite3_step(count);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(count, 0);
	sqlite3_reset(count);
	return rc == SQLITE_ROW ? CD_OK : CD_E_DB;
}

int
timepage_edge(const struct timepage *tp, sqlite3_stmt *count, int lo_param, int desc, int64_t pos,
	      int64_t rows, int64_t *edge)
{
	int64_t width, short_width = 0, n, e;
	int whole, i;

	if (desc && pos > tp->last)
		pos = tp->last;
	if (!desc && pos < tp->first)
		pos = tp->first;
	/* counted up to twice the page and one: "more than twice" is too wide */
	sqlite3_bind_int64(count, lo_param + 2, 2 * rows + 1);
	/* twice the page at the store's mean density, at least a second */
	width = tp->ns_per_row > INT64_MAX / 4 / (rows + 1) ? INT64_MAX / 4 : tp->ns_per_row * 2 * rows;
	if (width < 1000000000)
		width = 1000000000;
	for (;;) {
		if (window_count(tp, count, lo_param, desc, pos, width, &n, edge, &whole) != CD_OK)
			return CD_E_DB;
		if (n >= rows || whole)
			break;
		short_width = width;
		width = width > INT64_MAX / 16 ? INT64_MAX / 4 : width * 4;
	}
	/*
	 * Too wide: the rows are denser near the edge than the fourfold step
	 * assumed (a busy day after a quiet week).  Halve the step until the
	 * window holds between one and two pages, so that the page sorts
	 * about the rows it shows; each count stops at 2 * rows + 1.
	 */
	for (i = 0; i < 64 && n > 2 * rows && width - short_width > 1; i++) {
		int64_t mid = short_width + (width - short_width) / 2;
		int64_t m;

		if (window_count(tp, count, lo_param, desc, pos, mid, &m, &e, &whole) != CD_OK)
			return CD_E_DB;
		if (m >= rows) {
			width = mid;
			n = m;
			*edge = e;
		} else {
			short_width = mid;
		}
	}
	return CD_OK;
}
