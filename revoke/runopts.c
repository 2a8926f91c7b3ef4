/*
 * runopts.c - the options every acting revoke command shares (apply, undo
 * and the runbook one-liners): one table and one parser, so a flag means
 * the same everywhere and an error reads the same.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

size_t
run_longopts(struct option *lo, const char *secret_flag)
{
	const struct option common[] = {
		{ "db", required_argument, NULL, RUN_O_DB },
		{ "format", required_argument, NULL, RUN_O_FORMAT },
		{ "jobs", required_argument, NULL, RUN_O_JOBS },
		{ "who", required_argument, NULL, RUN_O_WHO },
		{ secret_flag, required_argument, NULL, RUN_O_SECRET },
		{ "show-secret", no_argument, NULL, RUN_O_SHOW },
		{ "debug", no_argument, NULL, RUN_O_DEBUG },
		{ "dry-run", no_argument, NULL, RUN_O_DRY },
		{ "witness", required_argument, NULL, RUN_O_WITNESS },
		{ "profile", required_argument, NULL, RUN_O_PROFILE },
		{ "kubeconfig", required_argument, NULL, RUN_O_KUBECONFIG },
		{ "context", required_argument, NULL, RUN_O_CONTEXT },
		{ "help", no_argument, NULL, 'h' },
	};

	memcpy(lo, common, sizeof(common));
	return sizeof(common) / sizeof(common[0]);
}

int
run_parse_format(const char *arg, enum out_format *f)
{
	return out_format_arg(arg, OUT_F(OUT_TABLE) | OUT_F(OUT_JSON), f);
}

static int
parse_jobs(const char *arg, int *jobs)
{
	struct span s = { arg, strlen(arg) };
	uint64_t v;

	if (span_to_u64(s, &v) != CD_OK || v < 1 || v > 64) {
		out_err("--jobs takes a number from 1 to 64, not '%s'", arg);
		return CD_E_USAGE;
	}
	*jobs = (int)v;
	return CD_OK;
}

int
run_opt(struct cmd_ctx *cc, struct run_cfg *rc, const char **secret_file, int c, const char *arg)
{
	switch (c) {
	case RUN_O_DB: cc->db_path = arg; break;
	case RUN_O_FORMAT: return run_parse_format(arg, &rc->fmt) == CD_OK ? 1 : -1;
	case RUN_O_JOBS: return parse_jobs(arg, &rc->jobs) == CD_OK ? 1 : -1;
	case RUN_O_WHO: rc->who = arg; break;
	case RUN_O_SECRET: *secret_file = arg; break;
	case RUN_O_SHOW: rc->show_secret = 1; break;
	case RUN_O_DEBUG: rc->debug = 1; break;
	case RUN_O_DRY: rc->dry_run = 1; break;
	case RUN_O_WITNESS: rc->witness = arg; break;
	case RUN_O_PROFILE: rc->aws_profile = arg; break;
	case RUN_O_KUBECONFIG: rc->kubeconfig = arg; break;
	case RUN_O_CONTEXT: rc->kube_context = arg; break;
	default: return 0;
	}
	return 1;
}

int
run_read_secret(const char *path, char **tok, size_t *len)
{
	char *cause = NULL;

	if (path == NULL)
		return CD_OK;
	if (conn_read_secret(path, tok, len, &cause) != CD_OK) {
		out_err("%s: %s", path, cause ? cause : "unreadable");
		free(cause);
		return CD_E_USAGE;
	}
	return CD_OK;
}
