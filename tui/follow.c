/*
 * follow.c - `cordon tui --follow PATH...`: the live incident in one
 * command.  The same binary does the writing in child processes: one
 * `ingest --follow` for the life of the TUI, and a `correlate` every few
 * seconds, never two at once (SQLite's write lock orders the two writers;
 * the TUI's own connection only reads).  Children's output goes to
 * /dev/null: the screen is the TUI's.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tui.h"

struct tui_follow {
	char *self, *db;
	char **paths;
	int npaths;
	int period_s;
	pid_t ingest, correlate;
	int64_t last_correlate_ns;
	int ingest_died;
};

static pid_t
spawn(struct tui_follow *f, const char *cmd, int with_paths, int follow)
{
	char **argv = xcalloc((size_t)f->npaths + 8, sizeof(*argv));
	int i, k = 0;
	pid_t pid;

	argv[k++] = f->self;
	argv[k++] = "--db";
	argv[k++] = f->db;
	argv[k++] = (char *)cmd;
	if (follow)
		argv[k++] = "--follow";
	if (with_paths) {
		argv[k++] = "-q";
		for (i = 0; i < f->npaths; i++)
			argv[k++] = f->paths[i];
	}
	argv[k] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		/* not our SIGINT: the TUI stops its children itself */
		setpgid(0, 0);
		execv(f->self, argv);
		_exit(127);
	}
	free(argv);
	return pid;
}

static void
run_sync(struct tui_follow *f, const char *cmd, int with_paths)
{
	pid_t pid = spawn(f, cmd, with_paths, 0);
	int st;

	if (pid > 0)
		waitpid(pid, &st, 0);
}

int
tui_follow_start(const char *self_exe, const char *db_path, char **paths, int npaths,
		 int period_s, struct tui_follow **out)
{
	struct tui_follow *f = xcalloc(1, sizeof(*f));

	f->self = xstrdup(self_exe);
	f->db = xstrdup(db_path);
	f->paths = paths;
	f->npaths = npaths;
	f->period_s = period_s;
	/* what is there now, before the first screen (this creates the store) */
	run_sync(f, "ingest", 1);
	run_sync(f, "correlate", 0);
	f->last_correlate_ns = time_now_ns();
	f->ingest = spawn(f, "ingest", 1, 1);
	if (f->ingest < 0) {
		tui_follow_stop(&f);
		return CD_E_INTERNAL;
	}
	*out = f;
	return CD_OK;
}

const char *
tui_follow_tick(struct tui_follow *f)
{
	int st;

	if (f->correlate > 0 && waitpid(f->correlate, &st, WNOHANG) == f->correlate)
		f->correlate = 0;
	if (f->ingest > 0 && waitpid(f->ingest, &st, WNOHANG) == f->ingest) {
		f->ingest = 0;
		f->ingest_died = 1;
	}
	if (f->correlate == 0 &&
	    time_now_ns() - f->last_correlate_ns >= (int64_t)f->period_s * 1000000000LL) {
		f->correlate = spawn(f, "correlate", 0, 0);
		f->last_correlate_ns = time_now_ns();
	}
	if (f->ingest_died)
		return "ingest stopped";
	return f->correlate > 0 ? "ingesting, correlating" : "ingesting";
}

static void
stop_child(pid_t *pid)
{
	int st;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	waitpid(*pid, &st, 0);
	*pid = 0;
}

void
tui_follow_stop(struct tui_follow **fp)
{
	struct tui_follow *f = *fp;

	if (f == NULL)
		return;
	stop_child(&f->ingest);
	stop_child(&f->correlate);
	free(f->self);
	free(f->db);
	free(f);
	*fp = NULL;
}
