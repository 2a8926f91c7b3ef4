/*
 * cmd_tui.c - `cordon tui`: the incident cockpit.  Checks that there is a
 * terminal, opens the store read-only for the screens (writes happen only
 * in the revoke job's own connection and in --follow's child processes),
 * and runs the loop: key or timeout -> model -> recalc -> draw.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

static const char usage[] =
	"usage: cordon tui [--db PATH] [--read-only] [--follow PATH...]\n"
	"\n"
	"The incident cockpit: incidents (updating live as other processes write\n"
	"the store), each incident's timeline with raw evidence, its blast-radius\n"
	"tree and plan, revocation with a preview of the exact requests, and the\n"
	"reach of any credential, identity, pod or node.  `?` lists the keys.\n"
	"\n"
	"options:\n"
	"  --db PATH         evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  --read-only       never write the store: revoke and --follow are refused\n"
	"  --follow PATH...  also ingest PATHs as they grow (cordon ingest --follow) and\n"
	"                    correlate every 5 s, as child processes (the rest of the\n"
	"                    arguments are the paths)\n"
	"  -h, --help        this help\n"
	"\n"
	"Needs a terminal.  Without one use `cordon incidents`, `cordon incident ID`\n"
	"(both take --format json) and `cordon revoke`.\n"
	"\n"
	"exit status: 0 quit; 2 usage or store error, or no terminal.\n";

/* stderr goes to a pipe while curses owns the terminal: a library warning
 * becomes the message line instead of garbage over the screen. */
struct errpipe {
	int rd, saved;
};

static void
errpipe_start(struct errpipe *e)
{
	int fd[2];

	e->rd = e->saved = -1;
	if (pipe(fd) != 0)
		return;
	e->saved = dup(STDERR_FILENO);
	if (e->saved < 0 || dup2(fd[1], STDERR_FILENO) < 0) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	close(fd[1]);
	fcntl(fd[0], F_SETFL, O_NONBLOCK);
	e->rd = fd[0];
}

static void
errpipe_read(struct errpipe *e, struct tui_app *a)
{
	char buf[1024], *line, *nl;
	ssize_t n;

	if (e->rd < 0)
		return;
	while ((n = read(e->rd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		/* the last complete line said */
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL && nl[1] != '\0')
			line = nl + 1;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (*line != '\0')
			tui_app_message(a, 1, "%s", line);
	}
}

static void
errpipe_stop(struct errpipe *e)
{
	if (e->saved >= 0) {
		dup2(e->saved, STDERR_FILENO);
		close(e->saved);
	}
	if (e->rd >= 0)
		close(e->rd);
}

static int
have_terminal(const char **why)
{
	const char *term = getenv("TERM");

	if (!isatty(STDOUT_FILENO))
		*why = "stdout is not a terminal";
	else if (!isatty(STDIN_FILENO))
		*why = "stdin is not a terminal";
	else if (term == NULL || *term == '\0' || strcmp(term, "dumb") == 0)
		*why = "TERM is not set (or is dumb)";
	else
		return 1;
	return 0;
}

static int
utf8_locale(void)
{
	const char *l = getenv("LC_ALL");

	if (l == NULL || *l == '\0')
		l = getenv("LC_CTYPE");
	if (l == NULL || *l == '\0')
		l = getenv("LANG");
	return l != NULL && (strcasestr(l, "UTF-8") != NULL || strcasestr(l, "utf8") != NULL);
}

static int
loop(struct tui_app *a, struct tui_follow *fol)
{
	struct errpipe ep;
	int flags = TR_RECALC | TR_REDRAW, k, w, h, bench_fd = -1;
	int64_t last_draw = 0;
	uint64_t keys = 0;
	const char *fs = NULL, *bfd = getenv("CORDON_TUI_BENCH_FD");

	/* make bench (tests/bench/tui_keys.py): after each draw, the number of
	 * keys read so far goes to this descriptor ("finished redraw") */
	if (bfd != NULL && *bfd != '\0') {
		struct span sp = { bfd, strlen(bfd) };
		uint64_t v;

		if (span_to_u64(sp, &v) == CD_OK && v > 2 && v < 1024)
			bench_fd = (int)v;
	}

	errpipe_start(&ep);
	term_size(&a->width, &a->height);
	tui_app_poll(a);
	tui_app_push(a, tui_incidents_view());
	while (!a->quit) {
		int64_t now = time_now_ns();

		if (flags & TR_RECALC)
			tui_app_recalc(a);
		/* once a second anyway: the status line's "being written" ages */
		if ((flags & (TR_REDRAW | TR_RECALC)) || now - last_draw > 1000000000LL) {
			term_draw(a);
			last_draw = now;
			if (bench_fd >= 0 && dprintf(bench_fd, "%llu\n", (unsigned long long)keys) < 0)
				bench_fd = -1;
		}
		flags = 0;
		k = term_key(200, &w, &h);
		if (term_quit_requested())
			break;
		if (k == TK_RESIZE) {
			a->width = w;
			a->height = h;
		}
		if (k != TK_NONE) {
			keys++;
			/* every key redraws when measured: the marker must follow */
			flags |= tui_app_key(a, k) | (bench_fd >= 0 ? TR_REDRAW : 0);
		}
		if (flags & TR_QUIT)
			break;
		flags |= tui_app_poll(a);
		if (a->top->ops->tick != NULL)
			flags |= a->top->ops->tick(a, a->top);
		if (fol != NULL) {
			const char *s = tui_follow_tick(fol);

			if (s != fs)
				flags |= TR_REDRAW;
			a->follow_state = fs = s;
		}
		errpipe_read(&ep, a);
	}
	errpipe_stop(&ep);
	return EXIT_OK;
}

static int
cmd_tui(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tui_follow *fol = NULL;
	struct store *s = NULL;
	struct tui_app a;
	const char *why = NULL, *path;
	char *cause = NULL, self[4096];
	int c, readonly = 0, follow = 0, status, color;
	ssize_t n;

	optind = 1;
	/* "+": options end at the first path (--follow takes the rest) */
	while ((c = cmd_getopt(cc->argc, cc->argv, "tui", "+h", longopts)) != -1) {
		switch (c) {
		case 'D': cc->db_path = optarg; break;
		case 'r': readonly = 1; break;
		case 'f': follow = 1; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	if (follow && optind >= cc->argc) {
		out_err("--follow needs at least one PATH");
		return EXIT_ERROR;
	}
	if (!follow && optind < cc->argc) {
		out_err("unexpected argument '%s'", cc->argv[optind]);
		return EXIT_ERROR;
	}
	if (follow && readonly) {
		out_err("--follow writes the store; --read-only never does: choose one");
		return EXIT_ERROR;
	}
	if (!have_terminal(&why)) {
		out_err("cordon tui needs a terminal (%s): use `cordon incidents` and "
			"`cordon incident ID` instead, with --format json for scripts",
			why);
		return EXIT_ERROR;
	}
	path = store_default_path(cc->db_path);
	if (follow) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0) {
			out_err("cannot find this program's path to run the follower");
			return EXIT_ERROR;
		}
		self[n] = '\0';
		if (tui_follow_start(self, path, cc->argv + optind, cc->argc - optind, 5, &fol) !=
		    CD_OK) {
			out_err("cannot start the follower");
			return EXIT_ERROR;
		}
	}
	/* the screens only read; revoke writes through its own connection */
	if (store_open(path, 1, &s, &cause) != CD_OK) {
		out_err("%s: %s", path, cause ? cause : "cannot open");
		free(cause);
		tui_follow_stop(&fol);
		return EXIT_ERROR;
	}
	color = getenv("NO_COLOR") == NULL || *getenv("NO_COLOR") == '\0';
	if (term_start(color) != CD_OK) {
		out_err("cannot set up the terminal (TERM=%s): use `cordon incidents` instead",
			getenv("TERM"));
		store_close(&s);
		tui_follow_stop(&fol);
		return EXIT_ERROR;
	}
	tui_app_init(&a, s, path, readonly);
	a.utf8 = utf8_locale();
	a.draw = term_draw;
	a.esc_pressed = term_esc_pressed;
	status = loop(&a, fol);
	/* a running revoke finishes the steps it recorded; say why we wait */
	tui_app_release(&a);
	term_stop();
	tui_follow_stop(&fol);
	store_close(&a.s); /* the app's: it may have reopened it */
	redact_release();
	return status;
}

const struct cmd_entry cmd_tui_entry = {
	.name = "tui",
	.summary = "the incident cockpit: incidents, timeline, blast radius, revoke (a terminal UI)",
	.usage = usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_tui,
};
