/*
 * event_insert.c - event rows into the store, many to a statement.
 *
 * The writer thread sets the pace of ingest, and most of its time is
 * SQLite's.  A one-row INSERT pays per row for what a statement costs:
 * starting the program, opening a cursor on the table and on each of its
 * eight indexes, closing them, halting.  One INSERT of STORE_EVENT_BATCH rows
 * pays that once; measured with callgrind on 20,000 CloudTrail rows, the
 * statement's instructions per row fell by a third.
 *
 * What a batch cannot do as simply is say which rows were duplicates.
 * INSERT OR IGNORE gives rows it inserted consecutive ids in VALUES order,
 * ending at last_insert_rowid(); when all were inserted the ids follow.
 * When some were not, each row's id is looked up by its unique key, and
 * the rows whose ids continue the run are the new ones.  A duplicate's raw
 * bytes were already appended to the evidence segment; one-row inserts
 * give them back, a batch cannot (they are not the last bytes), so after
 * a batch with a duplicate the next rows go one at a time until
 * SINGLE_AFTER_DUP pass without one.  A file of records already stored
 * thus leaves at most one batch of unreferenced bytes in a segment.
 *
 * Parameters keep their values across executions (sqlite3_reset does not
 * clear them), and most of an event's 45 fields are NULL for any one
 * source, so a NULL is bound only where the last row had a value.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define NCOLS            (EV_NFIELDS + 9) /* the fields, then dedup..actor_key, stream */
#define SINGLE_AFTER_DUP 1024

struct evins_stmt {
	sqlite3_stmt *st;
	size_t rows;
	unsigned char *set; /* per parameter: the last execution bound a value */
};

struct evins {
	sqlite3 *db;
	struct evw *evw;
	struct evins_stmt one, many;
	sqlite3_stmt *find;   /* id by unique key */
	sqlite3_stmt *old;    /* a key under stream 0 (rows stored before schema 10) */
	int64_t old_first, old_last; /* their time range; old_last < old_first: none */
	int64_t single_left; /* rows to insert one at a time */
};

static int
stmt_init(struct evins *x, struct evins_stmt *s, size_t rows, char **cause)
{
	struct buf sql;
	size_t i, r;
	int rc;

	buf_init(&sql, (size_t)1 << 20);
	rc = buf_addstr(&sql, "INSERT OR IGNORE INTO events(");
	for (i = 0; i < ev_nfields && rc == CD_OK; i++)
		rc = buf_printf(&sql, "%s, ", ev_fields[i].name);
	if (rc == CD_OK)
		rc = buf_addstr(&sql, "dedup, input_id, offset, line, raw_len, seg_id, seg_off, actor_key,"
				      " stream) VALUES");
	for (r = 0; r < rows && rc == CD_OK; r++) {
		rc = buf_addstr(&sql, r ? ",(" : "(");
		for (i = 0; i < NCOLS && rc == CD_OK; i++)
			rc = buf_addstr(&sql, i ? ",?" : "?");
		if (rc == CD_OK)
			rc = buf_addc(&sql, ')');
	}
	CD_BUG_ON(rc != CD_OK);
	if (sqlite3_prepare_v3(x->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL) !=
	    SQLITE_OK) {
		if (cause != NULL)
			*cause = xstrdup(sqlite3_errmsg(x->db));
		buf_release(&sql);
		return CD_E_DB;
	}
	buf_release(&sql);
	s->rows = rows;
	s->set = xcalloc(rows * NCOLS, 1);
	return CD_OK;
}

/* The unique key (stream, ts_ns, dedup): ts_ns ?1, dedup ?2. */
#define KEY_SQL(stream) "stream = " stream " AND ts_ns = ?1 AND dedup = ?2"

/*
 * Rows stored before schema 10 are all under stream 0, so a record read
 * again after the upgrade would not meet its old row under its own stream.
 * Within their time range (meta rows written by the migration) each new
 * row is looked for there first: a read of the index in time order, where
 * the insert would have written.
 */
static int
old_rows_init(struct evins *x)
{
	sqlite3_stmt *st;

	x->old_first = 1;
	x->old_last = 0;
	if (sqlite3_prepare_v2(x->db, "SELECT (SELECT value FROM meta WHERE key = 'stream0_first_ns'),"
				      " (SELECT value FROM meta WHERE key = 'stream0_last_ns')",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    sqlite3_column_type(st, 1) != SQLITE_NULL) {
		x->old_first = sqlite3_column_int64(st, 0);
		x->old_last = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (x->old_last < x->old_first)
		return CD_OK;
	if (sqlite3_prepare_v3(x->db, "SELECT 1 FROM events WHERE " KEY_SQL("0"), -1,
			       SQLITE_PREPARE_PERSISTENT, &x->old, NULL) != SQLITE_OK)
		return CD_E_DB;
	return CD_OK;
}

/* *found: e's key is stored under stream 0 (see old_rows_init). */
static int
stored_before(struct evins *x, const struct store_event_in *e, int *found)
{
	int rc;

	*found = 0;
	if (x->old == NULL || e->ev->ts_ns < x->old_first || e->ev->ts_ns > x->old_last)
		return CD_OK;
	sqlite3_bind_int64(x->old, 1, e->ev->ts_ns);
	sqlite3_bind_blob(x->old, 2, e->key, 16, SQLITE_STATIC);
	rc = sqlite3_step(x->old);
	sqlite3_reset(x->old);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return CD_E_DB;
	*found = rc == SQLITE_ROW;
	return CD_OK;
}

int
evins_init(struct evins **out, sqlite3 *db, struct evw *evw, char **cause)
{
	struct evins *x = xcalloc(1, sizeof(*x));

	*out = NULL;
	x->db = db;
	x->evw = evw;
	if (stmt_init(x, &x->one, 1, cause) != CD_OK ||
	    sqlite3_prepare_v3(db, "SELECT id FROM events WHERE " KEY_SQL("?3"), -1,
			       SQLITE_PREPARE_PERSISTENT, &x->find, NULL) != SQLITE_OK ||
	    old_rows_init(x) != CD_OK) {
		if (x->one.st != NULL && cause != NULL)
			*cause = xstrdup(sqlite3_errmsg(db));
		evins_free(&x);
		return CD_E_DB;
	}
	/* a build whose parameter limit is too low for a batch inserts one at a time */
	if (stmt_init(x, &x->many, STORE_EVENT_BATCH, NULL) != CD_OK)
		x->many.rows = 0;
	*out = x;
	return CD_OK;
}

void
evins_free(struct evins **xp)
{
	struct evins *x = *xp;

	if (x == NULL)
		return;
	sqlite3_finalize(x->one.st);
	sqlite3_finalize(x->many.st);
	sqlite3_finalize(x->find);
	sqlite3_finalize(x->old);
	free(x->one.set);
	free(x->many.set);
	free(x);
	*xp = NULL;
}

static void
bind_null_if_set(struct evins_stmt *s, int p)
{
	if (s->set[p - 1]) {
		sqlite3_bind_null(s->st, p);
		s->set[p - 1] = 0;
	}
}

static void
bind_i64(struct evins_stmt *s, int p, int64_t v)
{
	if (v == EV_NULL) {
		bind_null_if_set(s, p);
		return;
	}
	sqlite3_bind_int64(s->st, p, v);
	s->set[p - 1] = 1;
}

/* Bind row r of statement s; the record's bytes go to the evidence first. */
static int
bind_row(struct evins *x, struct evins_stmt *s, size_t r, const struct store_event_in *e)
{
	const struct event *ev = e->ev;
	const struct store_evidence *evd = e->evd;
	int64_t seg = 0, off = 0;
	int p = (int)(r * NCOLS) + 1;
	size_t i;

	if (evw_append(x->evw, evd->raw, evd->raw_len, &seg, &off) != CD_OK)
		return CD_E_DB;
	for (i = 0; i < ev_nfields; i++, p++) {
		const char *base = (const char *)ev + ev_fields[i].offset;

		if (ev_fields[i].type == EV_T_INT) {
			bind_i64(s, p, *(const int64_t *)(const void *)base);
		} else {
			const char *v = *(const char *const *)(const void *)base;

			if (v == NULL) {
				bind_null_if_set(s, p);
				continue;
			}
			sqlite3_bind_text(s->st, p, v, e->lens != NULL ? (int)e->lens[i] : -1,
					  SQLITE_STATIC);
			s->set[p - 1] = 1;
		}
	}
	sqlite3_bind_blob(s->st, p++, e->key, 16, SQLITE_STATIC);
	bind_i64(s, p++, evd->input_id > 0 ? evd->input_id : EV_NULL);
	sqlite3_bind_int64(s->st, p++, evd->offset);
	sqlite3_bind_int64(s->st, p++, evd->line);
	sqlite3_bind_int64(s->st, p++, (int64_t)evd->raw_len);
	sqlite3_bind_int64(s->st, p++, seg);
	sqlite3_bind_int64(s->st, p++, off);
	bind_i64(s, p++, e->actor_key);
	sqlite3_bind_int64(s->st, p, e->stream);
	return CD_OK;
}

static int
insert_one(struct evins *x, struct store_event_in *e)
{
	int rc;

	e->id = 0;
	if (bind_row(x, &x->one, 0, e) != CD_OK)
		return CD_E_DB;
	rc = sqlite3_step(x->one.st);
	sqlite3_reset(x->one.st);
	if (rc != SQLITE_DONE)
		return CD_E_DB;
	if (sqlite3_changes(x->db) == 0) {
		evw_unappend(x->evw, e->evd->raw_len);
		x->single_left = SINGLE_AFTER_DUP;
		return CD_OK;
	}
	e->id = sqlite3_last_insert_rowid(x->db);
	return CD_OK;
}

/* After a batch that inserted fewer rows than it had: which rows are new. */
static int
sort_out_duplicates(struct evins *x, struct store_event_in *in, size_t n, int64_t changes)
{
	int64_t next = sqlite3_last_insert_rowid(x->db) - changes + 1;
	size_t i;

	x->single_left = SINGLE_AFTER_DUP;
	for (i = 0; i < n; i++)
		in[i].id = 0;
	/* with nothing inserted, last_insert_rowid() is an older statement's */
	for (i = 0; i < n && changes > 0; i++) {
		int64_t id = 0;
		int rc;

		sqlite3_bind_int64(x->find, 1, in[i].ev->ts_ns);
		sqlite3_bind_blob(x->find, 2, in[i].key, 16, SQLITE_STATIC);
		sqlite3_bind_int64(x->find, 3, in[i].stream);
		rc = sqlite3_step(x->find);
		if (rc == SQLITE_ROW)
			id = sqlite3_column_int64(x->find, 0);
		sqlite3_reset(x->find);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return CD_E_DB;
		/* a key twice in one batch: only its first row continues the run */
		if (id == next) {
			in[i].id = id;
			next++;
			changes--;
		}
	}
	return CD_OK;
}

static int
insert_many(struct evins *x, struct store_event_in *in)
{
	size_t i, n = x->many.rows;
	int64_t changes, last;
	int rc;

	for (i = 0; i < n; i++)
		if (bind_row(x, &x->many, i, &in[i]) != CD_OK)
			return CD_E_DB;
	rc = sqlite3_step(x->many.st);
	sqlite3_reset(x->many.st);
	if (rc != SQLITE_DONE)
		return CD_E_DB;
	changes = sqlite3_changes(x->db);
	if (changes != (int64_t)n)
		return sort_out_duplicates(x, in, n, changes);
	last = sqlite3_last_insert_rowid(x->db);
	for (i = 0; i < n; i++)
		in[i].id = last - (int64_t)n + 1 + (int64_t)i;
	return CD_OK;
}

int
evins_add(struct evins *x, struct store_event_in *in, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j;
		int found = 0;

		if (x->single_left == 0 && x->many.rows > 0 && n - i >= x->many.rows) {
			for (j = 0; j < x->many.rows && !found; j++)
				if (stored_before(x, in + i + j, &found) != CD_OK)
					return CD_E_DB;
			if (!found) {
				if (insert_many(x, in + i) != CD_OK)
					return CD_E_DB;
				i += x->many.rows;
				continue;
			}
			x->single_left = SINGLE_AFTER_DUP;
		}
		if (stored_before(x, in + i, &found) != CD_OK)
			return CD_E_DB;
		if (found) {
			in[i].id = 0;
			i++;
			continue;
		}
		if (insert_one(x, in + i) != CD_OK)
			return CD_E_DB;
		if (x->single_left > 0 && in[i].id != 0)
			x->single_left--;
		i++;
	}
	return CD_OK;
}
