/*
 * app.c - the application model: the stack of views, the keys every view
 * shares, the prompt line, the help overlay, and noticing that another
 * process wrote the store (PRAGMA data_version: one integer, no query of
 * the data itself).  No curses here.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

const char *const tui_help_lines[] = {
	"cordon tui: keys (j/k scroll this help; any other key closes it)",
	"",
	"  Up/Down, j/k      move one line",
	"  PgUp/PgDn         move one page",
	"  Ctrl-u/Ctrl-d     move half a page",
	"  g/G, Home/End     first / last line",
	"  Enter             open: incident, raw record; expand a tree node",
	"  Esc, q            back; q on the incidents screen quits",
	"  Tab, Shift-Tab    next / previous pane (timeline, tree, plan)",
	"  /                 search this screen; n/N next / previous match",
	"  Space, Right/Left expand / collapse a tree node",
	"  E                 events: the whole store, a page at a time",
	"  R                 reach of a credential, identity, pod or node",
	"  ?                 this help",
	"  Ctrl-l            redraw",
	"",
	"  plan pane:",
	"  Space             select / unselect a step",
	"  a                 select every automatic step (again: none)",
	"  r                 revoke: preview the selected steps' requests",
	"  u                 undo the step's reversible action",
	"",
	"  events screen:",
	"  f                 filter: field=value field!=value field~regex",
	"  t                 jump to a time (RFC 3339, or 2h: two hours ago)",
	"  F                 follow the newest events as they arrive",
	"  c / A / i / w     same credential / actor / source IP / workload",
	"  Esc (querying)    stop a long query; what matched so far stays",
	"",
	"  revoke screen:",
	"  y                 confirm: type the incident id, then Enter",
	"  Esc               before the run: back (nothing is sent);",
	"                    during it: cancel the steps not started",
	NULL,
};

struct tui_view *
tui_view_new(const struct tui_view_ops *ops, void *data)
{
	struct tui_view *v = xcalloc(1, sizeof(*v));

	v->ops = ops;
	v->data = data;
	tui_list_init(&v->list, 1);
	tui_list_init(&v->aux, 0);
	tui_list_init(&v->keys, 0);
	return v;
}

static void
view_free(struct tui_view *v)
{
	if (v->ops->free != NULL)
		v->ops->free(v);
	tui_list_release(&v->list);
	tui_list_release(&v->aux);
	tui_list_release(&v->keys);
	free(v);
}

void
tui_app_init(struct tui_app *a, struct store *s, const char *db_path, int readonly)
{
	memset(a, 0, sizeof(*a));
	a->s = s;
	a->db_path = db_path;
	a->readonly = readonly;
	a->width = 80;
	a->height = 24;
	a->data_version = -1;
	if (s != NULL)
		ev_filter_register(s); /* field~regex on the events screen */
}

void
tui_app_release(struct tui_app *a)
{
	while (a->top != NULL) {
		struct tui_view *v = a->top;

		a->top = v->prev;
		view_free(v);
	}
}

void
tui_app_push(struct tui_app *a, struct tui_view *v)
{
	v->prev = a->top;
	a->top = v;
	a->msg[0] = '\0';
	v->ops->recalc(a, v);
	tui_list_fix(&v->list, tui_app_list_height(a));
}

void
tui_app_pop(struct tui_app *a)
{
	struct tui_view *v = a->top;

	if (v == NULL || v->prev == NULL)
		return;
	a->top = v->prev;
	a->msg[0] = '\0';
	view_free(v);
	/* what was underneath may be stale (a revoke changed the actions) */
	tui_app_recalc(a);
}

int
tui_app_list_height(const struct tui_app *a)
{
	int h = a->height - 3; /* title, status, message */

	if (a->top != NULL) {
		h -= a->top->header[0] != '\0';
		h -= a->top->ntabs > 0;
		h -= (int)a->top->aux.n;
	}
	return h > 1 ? h : 1;
}

void
tui_app_message(struct tui_app *a, int err, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, sizeof(a->msg) - 1);
	va_start(ap, fmt);
	if (out_vbprintf(&b, fmt, ap) != CD_OK) {
		/* cut at the line's size */
	}
	va_end(ap);
	snprintf(a->msg, sizeof(a->msg), "%s", b.data);
	a->msg_err = err;
	buf_release(&b);
}

void
tui_app_prompt(struct tui_app *a, const char *label, tui_prompt_fn done)
{
	a->prompting = 1;
	snprintf(a->prompt_label, sizeof(a->prompt_label), "%s", label);
	a->prompt_len = 0;
	a->prompt_buf[0] = '\0';
	a->prompt_done = done;
}

static void
counts(struct tui_app *a)
{
	sqlite3_stmt *st;

	a->nevents = a->nincidents = 0;
	/* the largest id, not count(*): O(1) on any store (ids are never reused) */
	if (sqlite3_prepare_v2(store_db(a->s),
			       "SELECT (SELECT max(id) FROM events), (SELECT count(*) FROM incidents)",
			       -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			a->nevents = sqlite3_column_int64(st, 0);
			a->nincidents = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
}

void
tui_app_recalc(struct tui_app *a)
{
	struct tui_view *v = a->top;

	if (a->reopen) {
		struct store *s = NULL;
		char *cause = NULL;

		a->reopen = 0;
		if (store_open(a->db_path, 1, &s, &cause) == CD_OK) {
			store_close(&a->s);
			a->s = s;
			ev_filter_register(s);
			a->data_version = -1;
			tui_app_poll(a);
		} else {
			tui_app_message(a, 1, "%s: %s", a->db_path, cause ? cause : "cannot reopen");
			free(cause);
		}
	}
	counts(a);
	if (v == NULL)
		return;
	tui_list_clear(&v->list);
	tui_list_clear(&v->aux);
	tui_list_clear(&v->keys);
	v->ops->recalc(a, v);
	tui_list_fix(&v->list, tui_app_list_height(a));
}

int
tui_app_poll(struct tui_app *a)
{
	sqlite3_stmt *st;
	int64_t dv = -1;

	if (sqlite3_prepare_v2(store_db(a->s), "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		dv = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (dv == a->data_version)
		return 0;
	if (a->data_version != -1)
		a->last_change_ns = time_now_ns();
	a->data_version = dv;
	return TR_RECALC | TR_REDRAW;
}

void
tui_app_status(const struct tui_app *a, char *out, size_t cap)
{
	struct buf b;
	const char *writing = "idle";
	int64_t ago;

	if (a->last_change_ns != 0) {
		ago = (time_now_ns() - a->last_change_ns) / 1000000000;
		/* another process committed lately: a follower or a correlate */
		writing = ago < 10 ? "being written" : "idle";
	}
	buf_init(&b, cap > 0 ? cap - 1 : 0);
	if (out_bprintf(&b, " %s  events %lld  incidents %lld  store %s%s%s%s", a->db_path,
			(long long)a->nevents, (long long)a->nincidents, writing,
			a->follow_state ? "  follow: " : "", a->follow_state ? a->follow_state : "",
			a->readonly ? "  READ-ONLY" : "") != CD_OK) {
		/* cut at the width */
	}
	snprintf(out, cap, "%s", b.data);
	buf_release(&b);
}

static int
progress(void *arg)
{
	struct tui_app *a = arg;

	if (a->esc_pressed != NULL && a->esc_pressed()) {
		a->interrupted = 1;
		return 1;
	}
	return 0;
}

void
tui_app_query_begin(struct tui_app *a)
{
	a->interrupted = 0;
	/* about every millisecond of a scan */
	sqlite3_progress_handler(store_db(a->s), 20000, progress, a);
}

int
tui_app_query_end(struct tui_app *a)
{
	sqlite3_progress_handler(store_db(a->s), 0, NULL, NULL);
	return a->interrupted;
}

static void
search_done(struct tui_app *a, struct tui_view *v, const char *text)
{
	snprintf(a->search, sizeof(a->search), "%s", text);
	if (tui_list_search(&v->list, a->search, 1, tui_app_list_height(a)) != 0)
		tui_app_message(a, 1, "not found: %s", a->search);
}

static void
reach_done(struct tui_app *a, struct tui_view *v, const char *text)
{
	(void)v;
	if (*text != '\0')
		tui_app_push(a, tui_reach_view(text));
}

static int
prompt_key(struct tui_app *a, int key)
{
	if (key == TK_ESC) {
		a->prompting = 0;
		return TR_REDRAW;
	}
	if (key == TK_ENTER || key == '\r') {
		char text[sizeof(a->prompt_buf)];

		a->prompting = 0;
		memcpy(text, a->prompt_buf, sizeof(text));
		if (a->prompt_done != NULL)
			a->prompt_done(a, a->top, text);
		return TR_REDRAW;
	}
	if (key == TK_BACKSPACE || key == 8) {
		/* one UTF-8 character back */
		while (a->prompt_len > 0 && (a->prompt_buf[--a->prompt_len] & 0xc0) == 0x80)
			;
		a->prompt_buf[a->prompt_len] = '\0';
		return TR_REDRAW;
	}
	if (key >= 0x20 && key < 0x100 && key != 0x7f &&
	    a->prompt_len + 1 < sizeof(a->prompt_buf)) {
		a->prompt_buf[a->prompt_len++] = (char)key;
		a->prompt_buf[a->prompt_len] = '\0';
		return TR_REDRAW;
	}
	return TR_HANDLED;
}

int
tui_app_key(struct tui_app *a, int key)
{
	struct tui_view *v = a->top;
	int h = tui_app_list_height(a), r;

	if (key == TK_RESIZE)
		return TR_RECALC | TR_REDRAW;
	if (a->prompting)
		return prompt_key(a, key);
	if (a->help) {
		int n = 0;

		while (tui_help_lines[n] != NULL)
			n++;
		if ((key == 'j' || key == TK_DOWN || key == TK_PGDN) && a->help_top + 1 < n)
			a->help_top += key == TK_PGDN ? 10 : 1;
		else if ((key == 'k' || key == TK_UP || key == TK_PGUP) && a->help_top > 0)
			a->help_top -= key == TK_PGUP ? (a->help_top < 10 ? a->help_top : 10) : 1;
		else if (key != 'j' && key != 'k' && key != TK_DOWN && key != TK_UP &&
			 key != TK_PGDN && key != TK_PGUP)
			a->help = 0;
		if (a->help_top >= n)
			a->help_top = n - 1;
		return TR_REDRAW;
	}
	if (v->ops->key != NULL && (r = v->ops->key(a, v, key)) != 0)
		return r;
	if ((r = tui_list_key(&v->list, key, h)) != 0)
		return r;
	switch (key) {
	case '?':
		a->help = 1;
		a->help_top = 0;
		return TR_REDRAW;
	case 'q':
		if (v->prev == NULL) {
			a->quit = 1;
			return TR_QUIT;
		}
		tui_app_pop(a);
		return TR_REDRAW;
	case TK_ESC:
		tui_app_pop(a);
		return TR_REDRAW;
	case '/':
		tui_app_prompt(a, "search: ", search_done);
		return TR_REDRAW;
	case 'n':
	case 'N':
		if (a->search[0] == '\0')
			tui_app_message(a, 0, "no search yet: / to search");
		else if (tui_list_search(&v->list, a->search, key == 'n' ? 1 : -1, h) != 0)
			tui_app_message(a, 1, "not found: %s", a->search);
		return TR_REDRAW;
	case TK_TAB:
	case TK_BTAB:
		if (v->ntabs > 1) {
			v->tab = (v->tab + (key == TK_TAB ? 1 : v->ntabs - 1)) % v->ntabs;
			v->list.cur = v->list.top = 0;
			return TR_RECALC | TR_REDRAW;
		}
		return TR_HANDLED;
	case 'R':
		tui_app_prompt(a, "reach (credential, identity, pod ns/name, node): ", reach_done);
		return TR_REDRAW;
	case 'E':
		tui_app_push(a, tui_events_view(NULL));
		return TR_REDRAW;
	case 12: /* Ctrl-l */
		return TR_RECALC | TR_REDRAW;
	}
	return TR_HANDLED;
}
