/*
 * cmd_correlate.c - `cordon correlate`: the batch correlator for cron and
 * runbooks.  Incremental (only events since the last run are matched),
 * idempotent (a rerun adds nothing), exit 1 when an incident was opened or
 * changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <sys/file.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

static const char usage[] =
	"usage: cordon correlate [options]\n"
	"\n"
	"Match the events that arrived since the last run against the detection\n"
	"rules, update baselines, and open or update incidents: one per root\n"
	"workload, with what it exposed, the credentials behind that, their use\n"
	"after exposure, the identities they reach and a revocation plan.\n"
	"\n"
	"options:\n"
	"  --db PATH          evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  --since WHEN       only report incidents active since WHEN (RFC 3339 or\n"
	"                     a duration ago: 90m, 6h, 7d)\n"
	"  --rules DIR        extra rule files (default $CORDON_RULES)\n"
	"  --learn DURATION   learning window for first-seen rules (default 14d)\n"
	"  --all              print every incident, not only those opened or changed\n"
	"  -o, --format FMT   table (default), json or ndjson\n"
	"  -h, --help         this help\n"
	"\n"
	"JSON: {\"incidents\":[{\"id\",\"severity\",\"first_seen\",\"last_seen\",\"workload\":{...},\n"
	"\"signals\":[...],\"exposed\":[...],\"credentials\":[...],\"reachable\":[...],\"plan\":[...]}]}\n"
	"(see README.md, \"The incident report\").\n"
	"\n"
	"Environment: CORDON_EGRESS (the cluster's NAT addresses, USE-10),\n"
	"CORDON_GOOGLE_RANGES (a newer goog.json, cloud.json or CIDR list in place of\n"
	"the built-in Google ranges, FN-04), CORDON_RULES (a rules directory).\n"
	"\n"
	"One run at a time: a run that finds another running on the store says so\n"
	"and exits 0 at once (that run covers the new events; cron loses nothing).\n"
	"Events are read and matched with no lock held; what is found is written in\n"
	"short write transactions (the longest is reported and kept in the meta\n"
	"table as correlate.longest_write_us).\n"
	"\n"
	"exit status: 0 nothing new; 1 an incident was opened or changed;\n"
	"2 usage, rule or store error.\n";

/*
 * One correlate at a time per store: an flock(2) on the store file itself,
 * non-blocking.  It is not SQLite's lock (SQLite takes POSIX fcntl locks,
 * which flock does not touch on Linux), and it dies with the process.  The
 * descriptor is closed only after the store is: closing any descriptor of
 * a file drops every fcntl lock the process holds on it.
 */
static int
correlate_lock(const char *path, int *fd)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (*fd < 0)
		return CD_OK; /* the store's own checks will say what is wrong */
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return CD_OK;
	if (errno == EWOULDBLOCK)
		return CD_E_BUSY;
	return CD_OK;
}

static int
cmd_correlate(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "since", required_argument, NULL, 's' },
		{ "rules", required_argument, NULL, 'r' },
		{ "learn", required_argument, NULL, 'L' },
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format fmt = OUT_TABLE;
	struct corr_opts o = { 0 };
	struct corr_stats stats = { 0 };
	struct incident_change ch = { 0 };
	struct ruleset rs;
	struct known_net net;
	struct store *s = NULL;
	char *cause = NULL;
	int64_t since = TIME_NONE, run_start, longest_us;
	int c, all = 0, rc, lockfd = -1;
	struct timespec t0, t1, t2;

	optind = 1;
	while ((c = cmd_getopt(cc->argc, cc->argv, "correlate", "h", longopts)) != -1) {
		switch (c) {
		case 'D': cc->db_path = optarg; break;
		case 's':
			if (time_parse_arg(optarg, time_now_ns(), &since) != CD_OK) {
				out_err("--since: '%s' is neither RFC 3339 nor a duration like 6h", optarg);
				return EXIT_ERROR;
			}
			break;
		case 'r': o.rules_dir = optarg; break;
		case 'L':
			if (time_parse_duration(optarg, &o.learn_ns) != CD_OK || o.learn_ns <= 0) {
				out_err("--learn: '%s' is not a duration (14d, 36h)", optarg);
				return EXIT_ERROR;
			}
			break;
		case 'a': all = 1; break;
		case 'F':
			if (out_format_arg(optarg, OUT_F(OUT_TABLE) | OUT_F(OUT_JSON) | OUT_F(OUT_NDJSON),
					   &fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	if (optind < cc->argc) {
		out_err("unexpected argument '%s'", cc->argv[optind]);
		return EXIT_ERROR;
	}
	ruleset_init(&rs);
	if (ruleset_load_default(&rs, o.rules_dir, &cause) != CD_OK) {
		out_err("%s; check it with `cordon rules test FILE`", cause);
		free(cause);
		ruleset_release(&rs);
		return EXIT_ERROR;
	}
	if (correlate_lock(cc->db_path, &lockfd) == CD_E_BUSY) {
		/* not an error: the run in progress covers the new events */
		out_warn("%s: another `cordon correlate` is running on this store; this run does"
			 " nothing: that one (or the next) picks up the new events", cc->db_path);
		close(lockfd);
		ruleset_release(&rs);
		return EXIT_OK;
	}
	if (cmd_open_store(cc, 0, &s) != CD_OK) {
		if (lockfd >= 0)
			close(lockfd);
		ruleset_release(&rs);
		return EXIT_ERROR;
	}
	o.progress = isatty(STDERR_FILENO);
	run_start = time_now_ns();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = graph_learn_events(s);
	if (rc == CD_OK)
		rc = known_net_load(store_db(s), &net, &cause);
	else
		memset(&net, 0, sizeof(net));
	/* no transaction here: each step takes the write lock for its writes only */
	if (rc == CD_OK) {
		rc = findings_run(s, &rs, &net, &o, &stats, &cause);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc == CD_OK)
			rc = incidents_build(s, &rs, since, &ch, &cause);
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	known_net_release(&net);
	/* the store's own timing: the longest write transaction of this run */
	longest_us = store_tx_longest_ns(s) / 1000;
	if (rc == CD_OK)
		store_meta_set_int(s, "correlate.longest_write_us", longest_us);
	if (rc != CD_OK) {
		out_err("%s: correlation failed: %s; what earlier steps wrote is kept, and the next"
			" run continues from there", cc->db_path, cause ? cause : store_errmsg(s));
		free(cause);
		store_close(&s);
		if (lockfd >= 0)
			close(lockfd);
		ruleset_release(&rs);
		return EXIT_ERROR;
	}
	if (fmt == OUT_TABLE) {
		if (stats.rule_errors > 0)
			printf("%lld rule evaluations failed (a regex hit a PCRE2 limit); see `cordon"
			       " rejects`\n", (long long)stats.rule_errors);
		printf("%lld new events, %lld new findings; incidents: %lld opened, %lld changed,"
		       " %lld unchanged (%.2fs rules, %.2fs incidents, longest write %.0f ms,"
		       " longest wait %.0f ms)\n",
		       (long long)stats.events, (long long)stats.findings, (long long)ch.opened,
		       (long long)ch.changed, (long long)ch.unchanged,
		       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		       (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9,
		       (double)longest_us / 1000.0, (double)store_wait_longest_ns(s) / 1e6);
	}
	/* text: the table of what this run opened or changed */
	if (incidents_list(s, fmt == OUT_TABLE ? OUT_TABLE : fmt, all ? INT64_MIN : run_start) !=
	    CD_OK)
		out_err("%s: %s", cc->db_path, store_errmsg(s));
	store_close(&s);
	if (lockfd >= 0)
		close(lockfd);
	ruleset_release(&rs);
	/* a rule left unanswered on an event is a finding of its own: cron alerts */
	return ch.opened || ch.changed || stats.rule_errors > 0 ? EXIT_FINDINGS : EXIT_OK;
}

const struct cmd_entry cmd_correlate_entry = {
	.name = "correlate",
	.summary = "match new events against the rules and open or update incidents",
	.usage = usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_correlate,
};
