/*
 * timepage.c - pages in time order without an index whose key is the time.
 *
 * Since schema 10 the events' time is indexed within each stream (the
 * dedup key (stream, ts_ns, dedup), core/stream.c), not across them: a
 * time range is a seek per stream, but "the newest 100 events" has no
 * index that hands them over in order, and ORDER BY over the whole store
 * would sort every row.  So a page is read ring by ring: a ring is a range
 * of time next to the last (older, or newer), the page's query runs on it
 * (SQLite sorts what it finds there), its rows come out, and the next ring
 * follows until the page is full or the store's end is reached.  Rings are
 * sized by the rows they hold, whatever they match: a count of the dedup
 * index alone (no table row read, capped) halves a ring that holds more
 * than ring_rows, and an empty ring lets the next grow fourfold; so a page
 * reads about the rows it shows where the events are dense, and a filter
 * that matches little reads each event once, as the walk of the time index
 * it replaces did.
 *
 * A page by credential or actor goes hour by hour instead (TP_HOURS): the
 * identity indexes hold each stream's hours in turn, the identity's uses
 * within each (schema 11), so a ring of one hour with the hour as an
 * equality is a seek per stream to exactly those uses.  The newest page of
 * a key used all day reads its newest hours, not every use of it to sort
 * them; a key used once a month costs a seek per stream per empty hour, as
 * the skip-scan of the hour-major indexes before it did.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

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
	tp->s = s;
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

#define HOUR_NS ((int64_t)3600000000000) /* STORE_HOUR_SQL's divisor */

int
timepage_sql(struct buf *sql, enum timepage_mode mode)
{
	int rc = CD_OK;

	if (mode != TP_ONE)
		rc = buf_addstr(sql, " AND e.ts_ns BETWEEN ? AND ?");
	/* the index's expression, written as it is there, so SQLite seeks by it */
	if (rc == CD_OK && mode == TP_HOURS)
		rc = buf_addstr(sql, " AND " STORE_HOUR_SQL("e.ts_ns") " = ?");
	return rc;
}

/* The times whose hour (SQLite's integer division, which truncates toward
 * zero, as C's does) is the hour of t. */
static void
hour_bounds(int64_t t, int64_t *lo, int64_t *hi)
{
	int64_t h = t / HOUR_NS;

	if (h > 0) {
		*lo = h * HOUR_NS;
		*hi = *lo + (HOUR_NS - 1);
	} else if (h < 0) {
		*hi = h * HOUR_NS;
		*lo = *hi - (HOUR_NS - 1);
	} else {
		*lo = -(HOUR_NS - 1);
		*hi = HOUR_NS - 1;
	}
}

#define RING_ROWS_MIN 4096
#define RING_ROWS_MAX ((int64_t)1 << 15)
#define RING_NS_MIN   1000000 /* a ring is never narrower than a millisecond */

int
timepage_iter_start(struct timepage_iter *it, const struct timepage *tp, sqlite3_stmt *st,
		    enum timepage_mode mode, int lo_param, int desc, int64_t pos, int64_t limit)
{
	memset(it, 0, sizeof(*it));
	it->tp = tp;
	it->st = st;
	it->mode = mode;
	it->lo_param = lo_param;
	it->desc = desc;
	it->left = limit > 0 ? limit : -1;
	it->done = tp->empty;
	if (desc && pos > tp->last)
		pos = tp->last;
	if (!desc && pos < tp->first)
		pos = tp->first;
	if (desc ? pos < tp->first : pos > tp->last)
		it->done = 1;
	it->pos = pos;
	it->ring_rows = limit > 0 && 2 * limit > RING_ROWS_MIN ? 2 * limit : RING_ROWS_MIN;
	if (it->ring_rows > RING_ROWS_MAX)
		it->ring_rows = RING_ROWS_MAX;
	it->width = tp->ns_per_row > INT64_MAX / 4 / it->ring_rows ? INT64_MAX / 4
								   : tp->ns_per_row * it->ring_rows;
	if (it->width < RING_NS_MIN)
		it->width = RING_NS_MIN;
	if (mode != TP_RINGS)
		return CD_OK; /* one query, or hours: nothing to count */
	if (sqlite3_prepare_v2(store_db(tp->s),
			       "SELECT count(*) FROM (SELECT 1 FROM events WHERE ts_ns BETWEEN ?1 AND ?2"
			       " LIMIT ?3)",
			       -1, &it->count, NULL) != SQLITE_OK)
		return CD_E_DB;
	return CD_OK;
}

/* Bind the ring [lo, hi] to the page's query and start it. */
static void
ring_bind(struct timepage_iter *it, int64_t lo, int64_t hi)
{
	it->ring_lo = lo;
	it->ring_hi = hi;
	it->ring_got = 0;
	sqlite3_reset(it->st);
	sqlite3_bind_int64(it->st, it->lo_param, lo);
	sqlite3_bind_int64(it->st, it->lo_param + 1, hi);
	if (it->mode == TP_HOURS)
		sqlite3_bind_int64(it->st, it->lo_param + 2, lo / HOUR_NS);
	it->in_ring = 1;
}

/* The next ring from it->pos: as wide as it->width allows while it holds at
 * most ring_rows events (of any kind), or the rest of pos's hour (TP_HOURS);
 * binds it to the page's query. */
static int
ring_next(struct timepage_iter *it)
{
	const struct timepage *tp = it->tp;
	int64_t lo, hi, n;
	int rc;

	if (it->mode == TP_HOURS) {
		hour_bounds(it->pos, &lo, &hi);
		if (it->desc) {
			hi = it->pos;
			lo = lo < tp->first ? tp->first : lo;
		} else {
			lo = it->pos;
			hi = hi > tp->last ? tp->last : hi;
		}
		ring_bind(it, lo, hi);
		return SQLITE_OK;
	}
	for (;;) {
		if (it->desc) {
			hi = it->pos;
			lo = hi - tp->first <= it->width ? tp->first : hi - it->width;
		} else {
			lo = it->pos;
			hi = tp->last - lo <= it->width ? tp->last : lo + it->width;
		}
		sqlite3_bind_int64(it->count, 1, lo);
		sqlite3_bind_int64(it->count, 2, hi);
		sqlite3_bind_int64(it->count, 3, it->ring_rows + 1);
		rc = sqlite3_step(it->count);
		n = rc == SQLITE_ROW ? sqlite3_column_int64(it->count, 0) : 0;
		sqlite3_reset(it->count);
		if (rc != SQLITE_ROW)
			return rc;
		if (n <= it->ring_rows || it->width <= RING_NS_MIN)
			break;
		it->width /= 4; /* denser than the ring allows: narrower */
		if (it->width < RING_NS_MIN)
			it->width = RING_NS_MIN;
	}
	it->ring_n = n;
	ring_bind(it, lo, hi);
	return SQLITE_OK;
}

int
timepage_iter_step(struct timepage_iter *it)
{
	const struct timepage *tp = it->tp;
	int rc;

	for (;;) {
		if (it->done || it->left == 0)
			return SQLITE_DONE;
		if (it->mode == TP_ONE && !it->in_ring) {
			/* one query over the whole range: its index finds the rows */
			sqlite3_reset(it->st);
			it->in_ring = 1;
			it->ring_lo = tp->first;
			it->ring_hi = tp->last;
		}
		if (!it->in_ring && (rc = ring_next(it)) != SQLITE_OK)
			return rc;
		rc = sqlite3_step(it->st);
		if (rc == SQLITE_ROW) {
			it->ring_got++;
			if (it->left > 0)
				it->left--;
			return rc;
		}
		if (rc != SQLITE_DONE)
			return rc;
		/* the ring is spent: on to the next, or the end */
		it->in_ring = 0;
		if (it->mode == TP_ONE ||
		    (it->desc ? it->ring_lo <= tp->first : it->ring_hi >= tp->last)) {
			it->done = 1;
			continue;
		}
		it->pos = it->desc ? it->ring_lo - 1 : it->ring_hi + 1;
		if (it->mode == TP_HOURS)
			continue;
		/* nothing matched here: the next ring may hold more events */
		if (it->ring_got == 0 && it->ring_rows < RING_ROWS_MAX)
			it->ring_rows *= 2;
		/* as wide as this ring's density says ring_rows take, at most 4x */
		if (it->ring_n < it->ring_rows / 4)
			it->width = it->width <= INT64_MAX / 8 ? it->width * 4 : it->width;
		else
			it->width = (int64_t)((double)it->width * (double)it->ring_rows /
					      (double)it->ring_n);
		if (it->width < RING_NS_MIN)
			it->width = RING_NS_MIN;
	}
}

void
timepage_iter_end(struct timepage_iter *it)
{
	sqlite3_finalize(it->count);
	it->count = NULL;
}
