/*
 * v_text.c - pages of text: an event's raw evidence record (with its
 * normalized fields and where it came from) and any fixed text.  Values
 * that look like secrets are redacted, as `cordon events --raw` does, and
 * every byte is escaped before it reaches the terminal.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct text {
	int64_t event_id;
	char *title;
	char *text;
};

/* Add text wrapped at width columns (a character a column: a long record
 * reads as whole lines rather than cut at the edge). */
static void
add_wrapped(struct tui_list *l, int attr, const char *s, int width)
{
	size_t w = width > 10 ? (size_t)width - 2 : 8;

	while (*s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s), i = 0, chars = 0;

		while (i < n) {
			/* up to w characters of this line */
			size_t start = i;

			chars = 0;
			while (i < n && chars < w) {
				i++;
				while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
					i++;
				chars++;
			}
			tui_list_add(l, attr, 0, 0, "%.*s", (int)(i - start), s + start);
		}
		if (n == 0)
			tui_list_add_raw(l, attr, 0, 0, "");
		s += n + (nl != NULL);
	}
}

static void
record_recalc(struct tui_app *a, struct tui_view *v)
{
	struct text *t = v->data;
	struct buf sql, raw, red;
	sqlite3_stmt *st = NULL;
	size_t k;
	int rc;

	snprintf(v->title, sizeof(v->title), "Event %lld: raw evidence record", (long long)t->event_id);
	snprintf(v->hint, sizeof(v->hint), "%s", "arrows/PgUp/PgDn scroll  / search  Esc back  ? help");
	buf_init(&sql, 16384);
	rc = buf_addstr(&sql, "SELECT e.seg_id, e.seg_off, e.raw_len, i.path, e.offset, e.line");
	for (k = 0; k < ev_nfields && rc == CD_OK; k++)
		rc = buf_printf(&sql, ", e.%s", ev_fields[k].name);
	rc = rc ? rc : buf_addstr(&sql, " FROM events e LEFT JOIN inputs i ON i.id = e.input_id WHERE e.id = ?1");
	CD_BUG_ON(rc != CD_OK);
	if (sqlite3_prepare_v2(store_db(a->s), sql.data, -1, &st, NULL) != SQLITE_OK) {
		buf_release(&sql);
		tui_list_add(&v->list, TA_RED, 0, 0, "query failed: %s", store_errmsg(a->s));
		return;
	}
	buf_release(&sql);
	sqlite3_bind_int64(st, 1, t->event_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		tui_list_add(&v->list, TA_RED, 0, 0, "no event %lld in the store", (long long)t->event_id);
		sqlite3_finalize(st);
		return;
	}
	buf_init(&red, (size_t)16 << 20);
	tui_list_add(&v->list, TA_BOLD, 0, 0, "from %s, line %lld (byte %lld)",
		     sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "-",
		     (long long)sqlite3_column_int64(st, 5), (long long)sqlite3_column_int64(st, 4));
	tui_list_add_raw(&v->list, 0, 0, 0, "");
	for (k = 0; k < ev_nfields; k++) {
		int c = 6 + (int)k;

		if (sqlite3_column_type(st, c) == SQLITE_NULL)
			continue;
		buf_reset(&red);
		if (redact((const char *)sqlite3_column_text(st, c), &red) != CD_OK)
			continue;
		tui_list_add(&v->list, TA_NORMAL, 0, 0, "%-15s %s", ev_fields[k].name, red.data);
	}
	tui_list_add_raw(&v->list, 0, 0, 0, "");
	tui_list_add(&v->list, TA_BOLD, 0, 0, "%s", "raw record (secret-looking values redacted):");
	buf_init(&raw, (size_t)16 << 20);
	if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    store_evidence_get(a->s, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			       sqlite3_column_int64(st, 2), &raw) == CD_OK) {
		buf_reset(&red);
		if (redact(raw.data, &red) == CD_OK)
			add_wrapped(&v->list, TA_NORMAL, red.data, a->width);
		else
			tui_list_add(&v->list, TA_RED, 0, 0, "%s", "(record too large to show)");
	} else {
		tui_list_add(&v->list, TA_DIM, 0, 0, "%s", "(no raw record stored)");
	}
	buf_release(&raw);
	buf_release(&red);
	sqlite3_finalize(st);
}

static void
text_recalc(struct tui_app *a, struct tui_view *v)
{
	struct text *t = v->data;
	struct buf b;

	buf_init(&b, sizeof(v->title) - 1);
	if (out_bprintf(&b, "%s", t->title) != CD_OK) {
		/* cut */
	}
	snprintf(v->title, sizeof(v->title), "%s", b.data);
	buf_release(&b);
	snprintf(v->hint, sizeof(v->hint), "%s", "arrows/PgUp/PgDn scroll  / search  Esc back");
	add_wrapped(&v->list, TA_NORMAL, t->text, a->width);
}

static void
text_free(struct tui_view *v)
{
	struct text *t = v->data;

	free(t->title);
	free(t->text);
	free(t);
}

static const struct tui_view_ops record_ops = {
	.name = "record",
	.recalc = record_recalc,
	.free = text_free,
};

static const struct tui_view_ops text_ops = {
	.name = "text",
	.recalc = text_recalc,
	.free = text_free,
};

struct tui_view *
tui_record_view(int64_t event_id)
{
	struct text *t = xcalloc(1, sizeof(*t));
	struct tui_view *v;

	t->event_id = event_id;
	v = tui_view_new(&record_ops, t);
	v->list.cursor = 0;
	return v;
}

struct tui_view *
tui_text_view(const char *title, const char *text)
{
	struct text *t = xcalloc(1, sizeof(*t));
	struct tui_view *v;

	t->title = xstrdup(title);
	t->text = xstrdup(text);
	v = tui_view_new(&text_ops, t);
	v->list.cursor = 0;
	return v;
}
