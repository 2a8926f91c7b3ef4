/*
 * v_events.c - the whole store, a page at a time: the `cordon events`
 * filter language (ev_filter_*: the same SQL), newest first.  The screen
 * holds one page: a position (the first row's time and id) and a keyset
 * query with LIMIT the pane's height, on the time index, so no key ever
 * loads more rows than it shows.  Jump to a time, follow new events (F),
 * open a raw record, pivot to the same credential, actor, source IP or
 * workload.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct evrow {
	int64_t id, ts;
	char *cred, *actor, *src_ip, *ctr, *pod;
};

struct events {
	char filter[1024];          /* as typed */
	char *fcopy;                /* filter split into NUL-terminated words */
	struct ev_filter *f;
	int nf;
	int anchored;               /* else: the newest page */
	int64_t a_ts, a_id;         /* the first row shown (rows at or before it) */
	int follow;
	struct evrow *rows;
	size_t nrows;
};

static void
rows_free(struct events *e)
{
	size_t i;

	for (i = 0; i < e->nrows; i++) {
		free(e->rows[i].cred);
		free(e->rows[i].actor);
		free(e->rows[i].src_ip);
		free(e->rows[i].ctr);
		free(e->rows[i].pod);
	}
	free(e->rows);
	e->rows = NULL;
	e->nrows = 0;
}

/* Parse the filter text: words separated by spaces, each a FILTER. */
static int
set_filter(struct tui_app *a, struct events *e, const char *text)
{
	struct ev_filter *f;
	char *copy = xstrdup(text), *p = copy, *w;
	int n = 0, cap = 16;

	f = xcalloc((size_t)cap, sizeof(*f));
	while (*p != '\0') {
		char *why = NULL;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p == ' ')
			*p++ = '\0';
		if (n == cap) {
			tui_app_message(a, 1, "%s", "at most 16 filters");
			goto bad;
		}
		if (ev_filter_parse(w, &f[n], &why) != CD_OK) {
			/* why is escaped already */
			snprintf(a->msg, sizeof(a->msg), "%s", why ? why : "bad filter");
			a->msg_err = 1;
			free(why);
			goto bad;
		}
		n++;
	}
	free(e->fcopy);
	free(e->f);
	e->fcopy = copy;
	e->f = f;
	e->nf = n;
	snprintf(e->filter, sizeof(e->filter), "%s", text);
	e->anchored = 0;
	return CD_OK;
bad:
	free(copy);
	free(f);
	return CD_E_USAGE;
}

/* Bind a query's filters and keyset position, from *bind on. */
static int
bind_position(struct tui_app *a, struct events *e, sqlite3_stmt *st, int *bind, int have_pos,
	      int64_t ts, int64_t id)
{
	char *cause = NULL;

	if (ev_filter_bind(st, bind, e->f, e->nf, &cause) != CD_OK) {
		snprintf(a->msg, sizeof(a->msg), "%s", cause ? cause : "bad filter");
		a->msg_err = 1;
		free(cause);
		return CD_E_USAGE;
	}
	if (have_pos) {
		sqlite3_bind_int64(st, (*bind)++, ts);
		sqlite3_bind_int64(st, (*bind)++, ts);
		sqlite3_bind_int64(st, (*bind)++, id);
	}
	return CD_OK;
}

/* One keyset query: rows after (dir -1: older, at or before the position)
 * or newer than the position (dir 1, oldest first), at most limit; read
 * ring by ring of time (core/timepage.c) through *it: the caller steps
 * it, then ends it with query_end. */
static int
query(struct tui_app *a, struct events *e, int dir, int inclusive, int64_t ts, int64_t id,
      int have_pos, int limit, struct timepage *tp, struct timepage_iter *it, sqlite3_stmt **out)
{
	struct buf sql;
	sqlite3_stmt *st = NULL;
	int rc, bind = 1;
	enum timepage_mode paging;

	*out = NULL;
	memset(it, 0, sizeof(*it));
	if (timepage_init(tp, a->s, EV_NULL, EV_NULL) != CD_OK) {
		tui_app_message(a, 1, "query failed: %s", store_errmsg(a->s));
		return CD_E_DB;
	}
	buf_init(&sql, 16384);
	rc = buf_addstr(&sql,
			"SELECT e.id, e.ts_ns, e.source, e.host, coalesce(e.pod_ns || '/' || e.pod_name,"
			" substr(e.container_id, 1, 12)), coalesce(e.actor, e.exe), e.action, e.object,"
			" e.outcome, e.cred_id, e.actor, e.src_ip, e.container_id, e.pod_name"
			" FROM events e WHERE 1");
	rc = rc ? rc : ev_filter_sql(&sql, e->f, e->nf);
	/* the first term bounds the time; the second breaks ties by id */
	if (have_pos && dir < 0)
		rc = rc ? rc : buf_printf(&sql, " AND e.ts_ns <= ? AND (e.ts_ns < ? OR e.id %s ?)",
					 inclusive ? "<=" : "<");
	else if (have_pos)
		rc = rc ? rc : buf_addstr(&sql, " AND e.ts_ns >= ? AND (e.ts_ns > ? OR e.id > ?)");
	paging = ev_filter_paging(e->f, e->nf);
	rc = rc ? rc : timepage_sql(&sql, paging);
	rc = rc ? rc : ev_filter_order(&sql, dir < 0 ? "DESC" : "ASC");
	rc = rc ? rc : buf_printf(&sql, " LIMIT %d", limit);
	CD_BUG_ON(rc != CD_OK);
	if (sqlite3_prepare_v2(store_db(a->s), sql.data, -1, &st, NULL) != SQLITE_OK) {
		tui_app_message(a, 1, "query failed: %s", store_errmsg(a->s));
		buf_release(&sql);
		return CD_E_DB;
	}
	buf_release(&sql);
	if (bind_position(a, e, st, &bind, have_pos, ts, id) != CD_OK) {
		sqlite3_finalize(st);
		return CD_E_USAGE;
	}
	if (timepage_iter_start(it, tp, st, paging, bind, dir < 0,
				have_pos ? ts : (dir < 0 ? tp->last : tp->first), limit) != CD_OK) {
		tui_app_message(a, 1, "query failed: %s", store_errmsg(a->s));
		timepage_iter_end(it);
		sqlite3_finalize(st);
		return CD_E_DB;
	}
	*out = st;
	return CD_OK;
}

/* After a query's rows: what query() made. */
static void
query_end(struct timepage_iter *it, sqlite3_stmt *st)
{
	timepage_iter_end(it);
	sqlite3_finalize(st);
}

static char *
col_dup(sqlite3_stmt *st, int c)
{
	const char *t = (const char *)sqlite3_column_text(st, c);

	return t ? xstrdup(t) : NULL;
}

static const char *
col(sqlite3_stmt *st, int c)
{
	const char *t = (const char *)sqlite3_column_text(st, c);

	return t ? t : "-";
}

static void
recalc(struct tui_app *a, struct tui_view *v)
{
	struct events *e = v->data;
	struct timepage tp;
	struct timepage_iter it;
	sqlite3_stmt *st;
	int h = tui_app_list_height(a), rc;
	int64_t t0;
	struct buf b;

	buf_init(&b, sizeof(v->title) - 1);
	if (out_bprintf(&b, "Events%s%s%s", e->filter[0] ? ": " : " (all)", e->filter,
			e->follow ? "  [FOLLOW]" : "") != CD_OK) {
		/* cut */
	}
	snprintf(v->title, sizeof(v->title), "%s", b.data);
	buf_release(&b);
	snprintf(v->header, sizeof(v->header), "%-14s %-10s %-12s %-18s %-20s %s", "TIME", "SOURCE",
		 "WORKLOAD", "ACTOR/PROCESS", "ACTION", "OBJECT");
	snprintf(v->hint, sizeof(v->hint), "%s",
		 "f filter  t time  F follow  Enter raw  c/A/i/w same cred/actor/ip/workload  Esc back");
	rows_free(e);
	if (e->follow)
		e->anchored = 0;
	if (query(a, e, -1, 1, e->a_ts, e->a_id, e->anchored, h, &tp, &it, &st) != CD_OK)
		return;
	e->rows = xcalloc((size_t)h + 1, sizeof(*e->rows));
	/* a regex over the whole store may scan for long: what matched shows
	 * as it comes, and Esc stops the scan */
	t0 = time_now_ns();
	tui_app_query_begin(a);
	while ((rc = timepage_iter_step(&it)) == SQLITE_ROW && e->nrows < (size_t)h) {
		struct evrow *r = &e->rows[e->nrows++];
		char ts[48];

		r->id = sqlite3_column_int64(st, 0);
		r->ts = sqlite3_column_int64(st, 1);
		r->cred = col_dup(st, 9);
		r->actor = col_dup(st, 10);
		r->src_ip = col_dup(st, 11);
		r->ctr = col_dup(st, 12);
		r->pod = col_dup(st, 13);
		time_format(r->ts, ts, sizeof(ts));
		if (strlen(ts) > 19)
			ts[19] = '\0';
		/* "06-03 10:02:00": the year is the store's, the columns are for 80 */
		ts[10] = ' ';
		tui_list_add(&v->list, TA_NORMAL, 1, r->id, "%-14s %-10.10s %-12.12s %-18.18s %-20.20s %s",
			     strlen(ts) >= 19 ? ts + 5 : ts, col(st, 2), col(st, 4), col(st, 5),
			     col(st, 6), col(st, 7));
		if (a->draw != NULL && time_now_ns() - t0 > 100000000LL)
			a->draw(a);
	}
	if (tui_app_query_end(a))
		tui_app_message(a, 0, "%s", "stopped (Esc): the rows found so far are shown");
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		tui_app_message(a, 1, "query failed: %s", store_errmsg(a->s));
	query_end(&it, st);
	if (e->nrows == 0)
		tui_list_add(&v->list, TA_DIM, 0, 0, "%s", "no events match");
	else if (!e->anchored) {
		e->a_ts = e->rows[0].ts;
		e->a_id = e->rows[0].id;
	}
}

/* The position of the last (oldest) full page: the h-th oldest row. */
static int
last_page(struct tui_app *a, struct events *e, int h, int64_t *ts, int64_t *id)
{
	struct timepage tp;
	struct timepage_iter it;
	sqlite3_stmt *st;
	int got = 0;

	if (query(a, e, 1, 0, 0, 0, 0, h, &tp, &it, &st) != CD_OK)
		return 0;
	while (timepage_iter_step(&it) == SQLITE_ROW) {
		*ts = sqlite3_column_int64(st, 1);
		*id = sqlite3_column_int64(st, 0);
		got = 1;
	}
	query_end(&it, st);
	return got;
}

/* Move the page's position by n rows: n > 0 older, n < 0 newer; never
 * past the last full page. */
static int
shift(struct tui_app *a, struct events *e, long n, int h)
{
	struct timepage tp;
	struct timepage_iter it;
	sqlite3_stmt *st;
	int64_t ts = e->a_ts, id = e->a_id;
	long got = 0;

	if (e->nrows == 0 || n == 0)
		return 0;
	if (query(a, e, n > 0 ? -1 : 1, 0, e->a_ts, e->a_id, 1, (int)(n > 0 ? n : -n), &tp, &it,
		  &st) != CD_OK)
		return 0;
	tui_app_query_begin(a);
	while (timepage_iter_step(&it) == SQLITE_ROW) {
		ts = sqlite3_column_int64(st, 1);
		id = sqlite3_column_int64(st, 0);
		got++;
	}
	query_end(&it, st);
	if (tui_app_query_end(a)) {
		tui_app_message(a, 0, "%s", "stopped (Esc)");
		return 0;
	}
	if (got == 0)
		return 0;
	if (n > 0) {
		int64_t lts, lid;

		if (last_page(a, e, h, &lts, &lid) &&
		    (ts < lts || (ts == lts && id < lid))) {
			ts = lts;
			id = lid;
		}
		if (ts == e->a_ts && id == e->a_id)
			return 0; /* already the last page */
	}
	e->a_ts = ts;
	e->a_id = id;
	e->anchored = 1;
	e->follow = 0;
	return 1;
}

static void
filter_done(struct tui_app *a, struct tui_view *v, const char *text)
{
	struct events *e = v->data;

	if (set_filter(a, e, text) == CD_OK) {
		v->list.cur = v->list.top = 0;
		tui_app_recalc(a);
	}
}

static void
time_done(struct tui_app *a, struct tui_view *v, const char *text)
{
	struct events *e = v->data;
	int64_t t;

	if (time_parse_arg(text, time_now_ns(), &t) != CD_OK) {
		tui_app_message(a, 1, "bad time '%s': RFC 3339 (2025-06-03T10:00:00Z) or 2h, 15m ago", text);
		return;
	}
	e->anchored = 1;
	e->follow = 0;
	e->a_ts = t;
	e->a_id = INT64_MAX;
	v->list.cur = v->list.top = 0;
	tui_app_recalc(a);
}

static int
pivot(struct tui_app *a, struct tui_view *v, struct events *e, int k)
{
	const struct evrow *r;
	char text[1024];
	const char *field = NULL, *val = NULL;

	if (v->list.cur >= e->nrows)
		return TR_HANDLED;
	r = &e->rows[v->list.cur];
	switch (k) {
	case 'c': field = "cred_id"; val = r->cred; break;
	case 'A': field = "actor"; val = r->actor; break;
	case 'i': field = "src_ip"; val = r->src_ip; break;
	case 'w':
		field = r->ctr ? "container_id" : "pod_name";
		val = r->ctr ? r->ctr : r->pod;
		break;
	}
	if (val == NULL || strchr(val, ' ') != NULL) {
		tui_app_message(a, 1, "this event has no %s to pivot on", field);
		return TR_REDRAW;
	}
	snprintf(text, sizeof(text), "%s=%s", field, val);
	/* a new screen: Esc comes back to this one */
	tui_app_push(a, tui_events_view(text));
	return TR_REDRAW;
}

static int
key(struct tui_app *a, struct tui_view *v, int k)
{
	struct events *e = v->data;
	int h = tui_app_list_height(a);
	long n = 0;

	switch (k) {
	case TK_DOWN: case 'j':
		if (v->list.cur + 1 < e->nrows)
			return 0;
		n = 1;
		break;
	case TK_UP: case 'k':
		if (v->list.cur > 0)
			return 0;
		n = -1;
		break;
	case TK_PGDN: n = h - 1; break;
	case TK_PGUP: n = -(h - 1); break;
	case TK_CTRL_D: n = h / 2; break;
	case TK_CTRL_U: n = -(h / 2); break;
	case 'g': case TK_HOME:
		e->anchored = 0;
		v->list.cur = 0;
		return TR_RECALC | TR_REDRAW;
	case 'G': case TK_END:
		/* the oldest page: its newest row is the position */
		if (last_page(a, e, h, &e->a_ts, &e->a_id))
			e->anchored = 1;
		e->follow = 0;
		v->list.cur = (size_t)h;
		return TR_RECALC | TR_REDRAW;
	case TK_ENTER:
		if (v->list.cur < e->nrows)
			tui_app_push(a, tui_record_view(e->rows[v->list.cur].id));
		return TR_REDRAW;
	case 'f':
		tui_app_prompt(a, "filter (field=value field!=value field~regex ...): ", filter_done);
		return TR_REDRAW;
	case 't':
		tui_app_prompt(a, "jump to time (2025-06-03T10:00:00Z, or 2h ago as 2h): ", time_done);
		return TR_REDRAW;
	case 'F':
		e->follow = !e->follow;
		v->list.cur = 0;
		tui_app_message(a, 0, "%s", e->follow ? "following new events" : "follow off");
		return TR_RECALC | TR_REDRAW;
	case 'c': case 'A': case 'i': case 'w':
		return pivot(a, v, e, k);
	default:
		return 0;
	}
	/* a move past the page: the page moves, the cursor keeps its place */
	if (shift(a, e, n, h))
		return TR_RECALC | TR_REDRAW;
	if (n > 0 && e->nrows > 0)
		v->list.cur = e->nrows - 1; /* the end: the cursor goes to the last row */
	else if (n < 0)
		v->list.cur = 0;
	return TR_REDRAW;
}

static void
events_free(struct tui_view *v)
{
	struct events *e = v->data;

	rows_free(e);
	free(e->fcopy);
	free(e->f);
	free(e);
}

static const struct tui_view_ops events_ops = {
	.name = "events",
	.recalc = recalc,
	.key = key,
	.free = events_free,
};

struct tui_view *
tui_events_view(const char *filter)
{
	struct events *e = xcalloc(1, sizeof(*e));
	struct tui_app dummy;

	memset(&dummy, 0, sizeof(dummy));
	if (filter != NULL && set_filter(&dummy, e, filter) != CD_OK)
		e->filter[0] = '\0';
	return tui_view_new(&events_ops, e);
}
