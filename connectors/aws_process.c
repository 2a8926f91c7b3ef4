/*
 * aws_process.c - credential_process: the profile names a command that
 * prints credentials as JSON (Version 1: AccessKeyId, SecretAccessKey,
 * SessionToken, Expiration).
 *
 * The command line is split as a POSIX shell quotes words (botocore uses
 * shlex.split) and run without a shell: no expansion, no redirection.
 * stdin is /dev/null (cordon never prompts), stderr is the user's, and
 * stdout is read up to 64 KiB, for at most CORDON_HTTP_TIMEOUT seconds
 * (default 30), then the command is killed.  Its output is wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws.h"

#define PROC_MAX_ARGS 128
#define PROC_MAX_OUT ((size_t)64 << 10)
#define PROC_LINE_MAX 8192

extern char **environ;

void
aws_free_args(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int
aws_split_args(const char *line, char ***out, char **cause)
{
	char **argv = xcalloc(PROC_MAX_ARGS + 1, sizeof(*argv));
	const char *p = line;
	size_t n = 0;
	struct buf w;
	int r = CD_E_PARSE;

	*out = NULL;
	buf_init(&w, PROC_LINE_MAX);
	if (strlen(line) > PROC_LINE_MAX) {
		aws_cause(cause, "credential_process is longer than %d bytes", PROC_LINE_MAX);
		goto out;
	}
	for (;;) {
		int have = 0;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		buf_reset(&w);
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') {
			int e = CD_OK;

			have = 1;
			if (*p == '\'') {
				const char *q = strchr(p + 1, '\'');

				if (q == NULL) {
					aws_cause(cause, "credential_process: unterminated single quote");
					goto out;
				}
				e = buf_add(&w, p + 1, (size_t)(q - p - 1));
				p = q + 1;
			} else if (*p == '"') {
				for (p++; *p != '"'; p++) {
					if (*p == '\0') {
						aws_cause(cause, "credential_process: unterminated double quote");
						goto out;
					}
					/* inside double quotes a backslash escapes only these */
					if (*p == '\\' && p[1] != '\0' && strchr("\"\\$`", p[1]) != NULL)
						p++;
					if ((e = buf_addc(&w, *p)) != CD_OK)
						break;
				}
				p++;
			} else if (*p == '\\' && p[1] != '\0') {
				e = buf_addc(&w, p[1]);
				p += 2;
			} else {
				e = buf_addc(&w, *p++);
			}
			if (e != CD_OK)
				goto out; /* cannot pass the length check above */
		}
		if (have) {
			if (n >= PROC_MAX_ARGS) {
				aws_cause(cause, "credential_process has more than %d words", PROC_MAX_ARGS);
				goto out;
			}
			argv[n++] = xstrdup(w.data);
		}
	}
	if (n == 0) {
		aws_cause(cause, "credential_process is empty");
		goto out;
	}
	*out = argv;
	argv = NULL;
	r = CD_OK;
out:
	buf_release(&w);
	aws_free_args(argv);
	return r;
}

/* Read the child's stdout until EOF, the cap or the deadline. */
static int
read_chunks(int fd, struct buf *b, int64_t deadline_ns, char *chunk, size_t cap)
{
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = (deadline_ns - time_now_ns()) / 1000000;
		ssize_t k;
		int pr;

		if (left <= 0)
			return CD_E_INTERRUPTED;
		pr = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return CD_E_IO;
		if (pr == 0)
			continue;
		k = read(fd, chunk, cap);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return CD_E_IO;
		if (k == 0)
			return CD_OK;
		if (buf_add(b, chunk, (size_t)k) != CD_OK)
			return CD_E_LIMIT;
	}
}

static int
read_all(int fd, struct buf *b, int64_t deadline_ns)
{
	char chunk[4096];
	int r = read_chunks(fd, b, deadline_ns, chunk, sizeof(chunk));

	explicit_bzero(chunk, sizeof(chunk)); /* it held the secret */
	return r;
}

int
aws_cred_process(const char *cmdline, const char *profile, struct aws_creds *out, char **cause)
{
	posix_spawn_file_actions_t fa;
	char **argv = NULL, what[160];
	struct buf b;
	pid_t pid = -1;
	int fds[2] = { -1, -1 }, st = 0, r, rr;
	const char *tv = env_get("CORDON_HTTP_TIMEOUT");
	uint64_t secs = 30;

	if (tv != NULL && (span_to_u64((struct span){ tv, strlen(tv) }, &secs) != CD_OK || secs < 1 ||
			   secs > 600))
		secs = 30;
	snprintf(what, sizeof(what), "profile '%s': credential_process", profile);
	if ((r = aws_split_args(cmdline, &argv, cause)) != CD_OK) {
		char *why = *cause;

		*cause = NULL;
		aws_cause(cause, "profile '%s': %s", profile, why ? why : "unusable");
		free(why);
		return CD_E_USAGE;
	}
	buf_init(&b, PROC_MAX_OUT);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		aws_cause(cause, "%s: cannot make a pipe", what);
		r = CD_E_IO;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	rr = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	fds[1] = -1;
	if (rr != 0) {
		aws_cause(cause, "%s: cannot run %s: %s (check the command and PATH)", what, argv[0],
			  strerror(rr));
		r = CD_E_USAGE;
		pid = -1;
		goto out;
	}
	r = read_all(fds[0], &b, time_now_ns() + (int64_t)secs * 1000000000LL);
	if (r != CD_OK)
		kill(pid, SIGKILL); /* our own child: it overran or printed too much */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (r == CD_E_INTERRUPTED) {
		aws_cause(cause, "%s: %s did not finish within %llu s (CORDON_HTTP_TIMEOUT)", what, argv[0],
			  (unsigned long long)secs);
		goto out;
	}
	if (r != CD_OK) {
		aws_cause(cause, "%s: %s printed more than %zu bytes, or its output could not be read", what,
			  argv[0], PROC_MAX_OUT);
		goto out;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		aws_cause(cause, "%s: %s failed (%s %d; its messages, if any, are above)", what, argv[0],
			  WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		r = CD_E_USAGE;
		goto out;
	}
	r = aws_creds_from_json(b.data, b.len, "SessionToken", 1, what, out, cause);
	if (r == CD_OK)
		snprintf(out->source, sizeof(out->source), "profile '%s' (credential_process %s)", profile,
			 argv[0]);
	else
		r = CD_E_USAGE;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	freezero(b.data, b.alloc);
	aws_free_args(argv);
	return r;
}
