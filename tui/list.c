/*
 * list.c - the one list widget every screen uses (tmux's mode-tree idea):
 * lines of escaped text, a cursor, the first visible line, search.  It
 * knows nothing of the terminal: term.c draws it, height is given.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

void
tui_list_init(struct tui_list *l, int cursor)
{
	memset(l, 0, sizeof(*l));
	l->cursor = cursor;
}

void
tui_list_clear(struct tui_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].text);
	l->n = 0;
}

void
tui_list_release(struct tui_list *l)
{
	tui_list_clear(l);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
	l->cur = l->top = 0;
}

struct tui_line *
tui_list_add_raw(struct tui_list *l, int attr, int kind, int64_t ref, const char *text)
{
	struct tui_line *ln;

	if (l->n >= TUI_LIST_MAX)
		return NULL;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	ln = &l->v[l->n++];
	memset(ln, 0, sizeof(*ln));
	ln->text = xstrdup(text);
	ln->attr = (unsigned char)attr;
	ln->kind = kind;
	ln->ref = ref;
	return ln;
}

struct tui_line *
tui_list_add(struct tui_list *l, int attr, int kind, int64_t ref, const char *fmt, ...)
{
	struct tui_line *ln;
	struct buf b;
	va_list ap;

	buf_init(&b, 64 * 1024);
	va_start(ap, fmt);
	if (out_vbprintf(&b, fmt, ap) != CD_OK) {
		/* longer than a screen line can ever show: keep what fitted */
	}
	va_end(ap);
	ln = tui_list_add_raw(l, attr, kind, ref, b.data);
	buf_release(&b);
	return ln;
}

void
tui_list_fix(struct tui_list *l, int height)
{
	size_t h = height > 0 ? (size_t)height : 1;

	if (!l->cursor) {
		/* a page: top is the position; the last page ends the text */
		if (l->n <= h)
			l->top = 0;
		else if (l->top > l->n - h)
			l->top = l->n - h;
		l->cur = l->top;
		return;
	}
	if (l->n == 0) {
		l->cur = l->top = 0;
		return;
	}
	if (l->cur >= l->n)
		l->cur = l->n - 1;
	if (l->top > l->cur)
		l->top = l->cur;
	if (l->cur >= l->top + h)
		l->top = l->cur - h + 1;
	if (l->top + h > l->n)
		l->top = l->n > h ? l->n - h : 0;
}

static void
move_by(struct tui_list *l, long d)
{
	size_t *p = l->cursor ? &l->cur : &l->top;

	if (d < 0)
		*p = (size_t)-d > *p ? 0 : *p - (size_t)-d;
	else
		*p += (size_t)d;
}

int
tui_list_key(struct tui_list *l, int key, int height)
{
	long h = height > 1 ? height : 1;

	switch (key) {
	case TK_UP: case 'k': move_by(l, -1); break;
	case TK_DOWN: case 'j': move_by(l, 1); break;
	case TK_PGUP:
		move_by(l, -h);
		if (l->cursor) /* the page turns with the cursor */
			l->top = l->top > (size_t)h ? l->top - (size_t)h : 0;
		break;
	case TK_PGDN:
		move_by(l, h);
		if (l->cursor)
			l->top += (size_t)h;
		break;
	case TK_CTRL_U: move_by(l, -(h / 2 > 0 ? h / 2 : 1)); break;
	case TK_CTRL_D: move_by(l, h / 2 > 0 ? h / 2 : 1); break;
	case 'g': case TK_HOME: l->cur = l->top = 0; break;
	case 'G': case TK_END:
		if (l->n > 0) {
			l->cur = l->n - 1;
			l->top = l->n;
		}
		break;
	default: return 0;
	}
	tui_list_fix(l, height);
	return TR_HANDLED | TR_REDRAW;
}

int
tui_list_search(struct tui_list *l, const char *pat, int dir, int height)
{
	size_t i, k;

	if (pat == NULL || *pat == '\0' || l->n == 0)
		return -1;
	for (k = 1; k <= l->n; k++) {
		i = dir > 0 ? (l->cur + k) % l->n : (l->cur + l->n - k % l->n) % l->n;
		if (strcasestr(l->v[i].text, pat) != NULL) {
			if (l->cursor) {
				l->cur = i;
			} else {
				l->top = i;
			}
			tui_list_fix(l, height);
			return 0;
		}
	}
	return -1;
}

const struct tui_line *
tui_list_current(const struct tui_list *l)
{
	return l->cursor && l->cur < l->n ? &l->v[l->cur] : NULL;
}
