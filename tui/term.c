/*
 * term.c - the terminal, and the only file of cordon that includes curses:
 * entering and leaving the alternate screen (also on SIGINT, SIGTERM and
 * crash signals), reading keys, and drawing what the model built.  It
 * decides nothing: every line it draws was made (and escaped) by a view.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

/* core.h's X-macro defines and undefines ERR: curses' ERR comes after it */
#include "private.h"
#include <curses.h>

static volatile sig_atomic_t quit_sig;
static struct termios saved_tio;
static int have_tio;
static char rmcup[64];    /* leave the alternate screen, for the crash handler */
static size_t rmcup_len;
static int colors;
static SCREEN *scr;

enum { P_RED = 1, P_GREEN, P_YELLOW, P_CYAN };

static void
on_quit(int sig)
{
	quit_sig = sig;
}

/* A crash: put the terminal back as it was (async-signal-safe calls only),
 * then die of the same signal. */
static void
on_crash(int sig)
{
	static const char show[] = "\033[?25h\r\n";

	if (rmcup_len > 0 && write(STDOUT_FILENO, rmcup, rmcup_len) < 0) {
		/* nothing more can be done */
	}
	if (write(STDOUT_FILENO, show, sizeof(show) - 1) < 0) {
		/* idem */
	}
	if (have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

int
term_quit_requested(void)
{
	return quit_sig != 0;
}

int
term_start(int want_color)
{
	static const int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;
	const char *s;
	size_t i;

	if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
		have_tio = 1;
	scr = newterm(NULL, stdout, stdin);
	if (scr == NULL)
		return CD_E_USAGE;
	set_term(scr);
	s = tigetstr("rmcup");
	if (s != NULL && s != (char *)-1 && strlen(s) < sizeof(rmcup)) {
		memcpy(rmcup, s, strlen(s));
		rmcup_len = strlen(s);
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (want_color && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(P_RED, COLOR_RED, -1);
		init_pair(P_GREEN, COLOR_GREEN, -1);
		init_pair(P_YELLOW, COLOR_YELLOW, -1);
		init_pair(P_CYAN, COLOR_CYAN, -1);
		colors = 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit; /* no SA_RESTART: the key wait returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(crash) / sizeof(crash[0]); i++)
		sigaction(crash[i], &sa, NULL);
	return CD_OK;
}

void
term_stop(void)
{
	if (scr == NULL)
		return;
	curs_set(1);
	endwin();
	delscreen(scr);
	scr = NULL;
	if (have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

void
term_size(int *w, int *h)
{
	getmaxyx(stdscr, *h, *w);
}

int
term_key(int timeout_ms, int *w, int *h)
{
	int c;

	timeout(timeout_ms);
	c = getch();
	switch (c) {
	case ERR: return TK_NONE;
	case KEY_UP: return TK_UP;
	case KEY_DOWN: return TK_DOWN;
	case KEY_LEFT: return TK_LEFT;
	case KEY_RIGHT: return TK_RIGHT;
	case KEY_PPAGE: return TK_PGUP;
	case KEY_NPAGE: return TK_PGDN;
	case KEY_HOME: return TK_HOME;
	case KEY_END: return TK_END;
	case KEY_BTAB: return TK_BTAB;
	case KEY_ENTER: case '\r': case '\n': return TK_ENTER;
	case KEY_BACKSPACE: case 8: case 127: return TK_BACKSPACE;
	case KEY_RESIZE:
		getmaxyx(stdscr, *h, *w);
		return TK_RESIZE;
	}
	if (c >= 0 && c < 0x100)
		return c;
	return TK_NONE;
}

int
term_esc_pressed(void)
{
	int c, esc = 0;

	timeout(0);
	c = getch();
	if (c == 27)
		esc = 1;
	else if (c != ERR)
		ungetch(c);
	return esc || quit_sig != 0;
}

static attr_t
attr_of(int a)
{
	switch (a) {
	case TA_BOLD: return A_BOLD;
	case TA_DIM: return A_DIM;
	case TA_HEAD: return A_BOLD | A_UNDERLINE;
	case TA_RED: return colors ? COLOR_PAIR(P_RED) | A_BOLD : A_BOLD;
	case TA_GREEN: return colors ? COLOR_PAIR(P_GREEN) : A_NORMAL;
	case TA_YELLOW: return colors ? COLOR_PAIR(P_YELLOW) : A_NORMAL;
	case TA_CYAN: return colors ? COLOR_PAIR(P_CYAN) : A_NORMAL;
	}
	return A_NORMAL;
}

/* Text (already escaped) at y, x, cut at cols display columns; fill pads
 * the rest of the width with spaces (for reversed bars). */
static void
put(int y, int x, const char *s, int cols, attr_t at, int fill)
{
	mbstate_t ms;
	size_t i = 0, n = strlen(s);
	int used = 0;

	memset(&ms, 0, sizeof(ms));
	while (i < n) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s + i, n - i, &ms);
		int w;

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ms, 0, sizeof(ms));
			k = 1;
			w = 1; /* out_escape left none of these: a non-UTF-8 locale */
		} else {
			w = wcwidth(wc);
			if (w < 0)
				w = 1;
		}
		if (used + w > cols)
			break;
		used += w;
		i += k;
	}
	attrset(at);
	mvaddnstr(y, x, s, (int)i);
	if (fill)
		while (used++ < cols)
			addch(' ');
	attrset(A_NORMAL);
}

static void
draw_help(const struct tui_app *a, int w, int h)
{
	int n, i, bw = 0, bh, x0, y0, top = a->help_top;

	for (n = 0; tui_help_lines[n] != NULL; n++)
		if ((int)strlen(tui_help_lines[n]) > bw)
			bw = (int)strlen(tui_help_lines[n]);
	bw += 4;
	bh = n + 2;
	if (bw > w)
		bw = w;
	if (bh > h)
		bh = h;
	if (top > n - (bh - 2))
		top = n - (bh - 2) > 0 ? n - (bh - 2) : 0;
	x0 = (w - bw) / 2;
	y0 = (h - bh) / 2;
	for (i = 0; i < bh; i++) {
		int k = top + i - 1;
		const char *t = i == 0 || i == bh - 1 || k >= n ? "" : tui_help_lines[k];

		attrset(A_REVERSE);
		mvhline(y0 + i, x0, ' ', bw);
		put(y0 + i, x0 + 2, t, bw - 4, A_REVERSE, 0);
	}
	if (top + bh - 2 < n)
		put(y0 + bh - 1, x0 + 2, "(more: j)", bw - 4, A_REVERSE, 0);
	attrset(A_NORMAL);
}

void
term_draw(const struct tui_app *a)
{
	const struct tui_view *v = a->top;
	char status[1024], tabs[256];
	int w, h, y = 0, lh, i;
	size_t k;

	getmaxyx(stdscr, h, w);
	erase();
	/* title, tabs at the right */
	tabs[0] = '\0';
	for (i = 0; i < v->ntabs; i++) {
		size_t l = strlen(tabs);

		snprintf(tabs + l, sizeof(tabs) - l, i == v->tab ? "[%s] " : " %s  ", v->tabs[i]);
	}
	put(y++, 0, v->title, w, A_BOLD | A_REVERSE, 1);
	if (tabs[0] != '\0')
		put(y++, 0, tabs, w, A_BOLD, 0);
	if (v->header[0] != '\0')
		put(y++, 0, v->header, w, A_BOLD | A_UNDERLINE, 0);
	for (k = 0; k < v->aux.n && y < h - 2; k++)
		put(y++, 0, v->aux.v[k].text, w, attr_of(v->aux.v[k].attr), 0);
	lh = tui_app_list_height(a);
	for (k = v->list.top; k < v->list.n && lh > 0 && y < h - 2; k++, lh--) {
		const struct tui_line *ln = &v->list.v[k];
		int sel = v->list.cursor && k == v->list.cur;

		put(y++, 0, ln->text, w, attr_of(ln->attr) | (sel ? A_REVERSE : 0), sel);
	}
	tui_app_status(a, status, sizeof(status));
	put(h - 2, 0, status, w, A_REVERSE, 1);
	if (a->prompting) {
		char line[1200];
		struct buf b;

		buf_init(&b, sizeof(line) - 1);
		/* what is typed is shown escaped too */
		if (out_bprintf(&b, "%s", a->prompt_buf) != CD_OK) {
			/* cut */
		}
		snprintf(line, sizeof(line), "%s%s_", a->prompt_label, b.data);
		buf_release(&b);
		put(h - 1, 0, line, w, A_BOLD, 0);
	} else if (a->msg[0] != '\0') {
		put(h - 1, 0, a->msg, w, a->msg_err ? attr_of(TA_RED) : A_BOLD, 0);
	} else {
		put(h - 1, 0, v->hint, w, A_DIM, 0);
	}
	if (a->help)
		draw_help(a, w, h);
	refresh();
}
