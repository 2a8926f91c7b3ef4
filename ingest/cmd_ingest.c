/*
 * cmd_ingest.c - `cordon ingest`: files, directories and stdin into the store.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"
#include "inv.h"
#include "../connectors/connectors.h"

static const char usage[] =
	"usage: cordon ingest [options] PATH...\n"
	"       cordon ingest [options] --listen ADDR[:PORT]\n"
	"       cordon ingest [pull options] s3://BUCKET[/PREFIX] | cwlogs://LOG_GROUP\n"
	"\n"
	"Read log files, directories (recursively) or - (stdin) into the evidence store.\n"
	"Each input's format is recognised from its content; gzip and zstd are detected\n"
	"by their magic bytes. Ingest is idempotent: a file already read adds nothing, a\n"
	"file that grew adds only its new part, a record seen in two files is stored once.\n"
	"\n"
	"options:\n"
	"  --db PATH           evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  --input-format NAME skip probing and read every input as NAME (below)\n"
	"  -f, --follow        keep reading as files grow (tail -F: survives rotation\n"
	"                      and truncation); stop with Ctrl-C or SIGTERM\n"
	"  -o, --format FMT    the summary as table (default), json or ndjson (--json:\n"
	"                      the same as --format json)\n"
	"  --max-record BYTES  reject records longer than this (default 4194304)\n"
	"  --listen ADDR[:PORT] instead of files, receive events pushed to ADDR (port\n"
	"                      8765 unless given): HTTP POSTs (Falco http_output, the\n"
	"                      Kubernetes audit webhook) and raw NDJSON streams (Vault's\n"
	"                      socket audit device); answered 200 once stored; SIGTERM\n"
	"                      stops; loopback only unless --listen-token is given\n"
	"  --listen-token FILE require 'Authorization: Bearer TOKEN' (TOKEN: the file's\n"
	"                      first line)\n"
	"  --listen-max-body BYTES  larger requests are answered 413 (default 16777216)\n"
	"  --listen-max-conns N     more connections are answered 503 (default 64)\n"
	"  -q, --quiet         no per-record warnings, no progress line\n"
	"\n"
	"pull options (s3:// CloudTrail buckets, cwlogs:// CloudWatch Logs groups):\n"
	"  --since TIME, --until TIME  RFC 3339 or a duration ago (2h, 7d); s3:// lists\n"
	"                      only those days' folders\n"
	"  --account ID        s3://: only this account (repeat, or a comma list)\n"
	"  --region NAME       s3://: only this region (repeat, or a comma list);\n"
	"                      cwlogs://: the log group's region\n"
	"  --profile NAME      AWS profile (else the AWS CLI's credential chain)\n"
	"  --endpoint URL      an S3-compatible store or other endpoint (path-style;\n"
	"                      also AWS_ENDPOINT_URL)\n"
	"  --jobs N            s3://: parallel GETs (default 4, at most 64)\n"
	"  --dry-run           s3://: print the plan (objects, bytes); fetch nothing\n"
	"  --log-stream-prefix P  cwlogs://: only streams whose names start with P\n"
	"  -h, --help          this help\n"
	"\n"
	"formats:\n"
	"%s"
	"\n"
	"exit status: 0 all records stored; 1 some records or inputs rejected (see\n"
	"`cordon rejects`), everything else stored; 2 usage or store error.\n";

/* The FORMAT column: as wide as the longest log format or inventory name,
 * so that a row never pushes the numbers after it out of line. */
static int
format_width(void)
{
	size_t i, w = strlen("FORMAT");

	for (i = 0; ingest_format_name(i) != NULL; i++)
		if (strlen(ingest_format_name(i)) > w)
			w = strlen(ingest_format_name(i));
	for (i = 0; inventories[i] != NULL; i++)
		if (strlen(inventories[i]->name) > w)
			w = strlen(inventories[i]->name);
	return (int)w;
}

static void
print_usage(FILE *f)
{
	struct buf b;
	size_t i;
	int r = CD_OK, w = format_width();

	buf_init(&b, 8192);
	for (i = 0; ingest_format_name(i) != NULL && r == CD_OK; i++)
		r = buf_printf(&b, "  %-*s %s\n", w, ingest_format_name(i), ingest_format_summary(i));
	for (i = 0; inventories[i] != NULL && r == CD_OK; i++)
		r = buf_printf(&b, "  %-*s %s\n", w, inventories[i]->name, inventories[i]->summary);
	fprintf(f, usage, b.data);
	buf_release(&b);
}

static void
print_summary_json(const struct ingest_summary *sum)
{
	struct buf b;
	size_t i;
	int r;

	buf_init(&b, (size_t)64 << 20);
	r = buf_addstr(&b, "{\"inputs\":[");
	for (i = 0; i < sum->ninputs && r == CD_OK; i++) {
		const struct ingest_input_summary *in = &sum->inputs[i];

		r = buf_addstr(&b, i ? ",{\"path\":" : "{\"path\":");
		r = r ? r : json_put_str(&b, in->path);
		r = r ? r : buf_addstr(&b, ",\"format\":");
		r = r ? r : json_put_str(&b, in->format);
		r = r ? r : buf_printf(&b,
				       ",\"events\":%lld,\"duplicates\":%lld,\"rejects\":%lld,"
				       "\"bytes\":%lld,\"skipped\":%s,\"error\":",
				       (long long)in->events, (long long)in->duplicates,
				       (long long)in->rejects, (long long)in->bytes,
				       in->skipped ? "true" : "false");
		r = r ? r : json_put_str(&b, in->error);
		if (in->waiting)
			r = r ? r : buf_addstr(&b, ",\"waiting\":true");
		if (in->unknown)
			r = r ? r : buf_addstr(&b, ",\"unknown_format\":true");
		if (in->inventory)
			r = r ? r : buf_printf(&b, ",\"nodes\":%lld,\"edges\":%lld", (long long)in->nodes,
					       (long long)in->edges);
		r = r ? r : buf_addc(&b, '}');
	}
	r = r ? r : buf_printf(&b,
			       "],\"events\":%lld,\"duplicates\":%lld,\"rejects\":%lld,"
			       "\"bytes\":%lld,\"seconds\":%.3f",
			       (long long)sum->events, (long long)sum->duplicates,
			       (long long)sum->rejects, (long long)sum->bytes, sum->seconds);
	if (sum->wal_max >= 0)
		r = r ? r : buf_printf(&b,
				       ",\"wal_max_bytes\":%lld,\"lock_wait_max_ms\":%lld,"
				       "\"write_max_ms\":%lld",
				       (long long)sum->wal_max, (long long)(sum->wait_max_ns / 1000000),
				       (long long)(sum->write_max_ns / 1000000));
	r = r ? r : buf_addstr(&b, "}\n");
	if (r == CD_OK)
		fputs(b.data, stdout);
	buf_release(&b);
}

/*
 * One row per input.  An inventory stores graph nodes and edges, not
 * events: its EVENTS and DUPLICATE cells are "-" (a 0 there would read as
 * "nothing stored"), and what it stored follows its path.
 */
static void
print_summary_table(const struct ingest_summary *sum)
{
	int w = format_width();
	size_t i;

	printf("%-*s %10s %10s %8s %12s  %s\n", w, "FORMAT", "EVENTS", "DUPLICATE", "REJECTS", "BYTES",
	       "INPUT");
	for (i = 0; i < sum->ninputs; i++) {
		const struct ingest_input_summary *in = &sum->inputs[i];
		char events[24] = "-", dups[24] = "-";

		if (!in->inventory) {
			snprintf(events, sizeof(events), "%lld", (long long)in->events);
			snprintf(dups, sizeof(dups), "%lld", (long long)in->duplicates);
		}
		out_printf(stdout, "%-*s %10s %10s %8lld %12lld  %s", w, in->format ? in->format : "-",
			   events, dups, (long long)in->rejects, (long long)in->bytes, in->path);
		if (in->skipped)
			printf(" (unchanged)");
		else if (in->unknown)
			printf(" (skipped: not a log or inventory of a known format)");
		else if (in->waiting)
			printf(" (followed; nothing to read yet)");
		else if (in->inventory && in->error == NULL)
			printf(" (graph: %lld nodes, %lld edges)", (long long)in->nodes,
			       (long long)in->edges);
		printf("\n");
	}
	printf("%-*s %10lld %10lld %8lld %12lld  %.2fs, %.0f events/s", w, "total",
	       (long long)sum->events, (long long)sum->duplicates, (long long)sum->rejects,
	       (long long)sum->bytes, sum->seconds,
	       sum->seconds > 0 ? (double)sum->events / sum->seconds : 0.0);
	/* a follower runs for hours beside readers: how large its WAL got */
	if (sum->wal_max >= 0)
		printf(", WAL max %.1f MiB", (double)sum->wal_max / 1048576.0);
	printf("\n");
}

/* --account and --region: repeated, or comma lists */
#define NAMES_MAX 64
struct name_list {
	const char *v[NAMES_MAX];
	size_t n;
};

/* Split in place (argv is ours to write): nothing to free on any return. */
static int
names_add(struct name_list *l, char *arg)
{
	char *p = arg;

	while (*p) {
		char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p), i;

		if (n == 0 || n > 64 || l->n >= NAMES_MAX)
			return CD_E_USAGE;
		for (i = 0; i < n; i++)
			if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
			      (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
				return CD_E_USAGE;
		l->v[l->n++] = p;
		if (e == NULL)
			break;
		*e = '\0';
		p = e + 1;
	}
	return CD_OK;
}

/* "s3" or "cwlogs" for a pull URL, else NULL */
static const char *
pull_url(const char *arg)
{
	if (strncmp(arg, "s3://", 5) == 0)
		return "s3";
	if (strncmp(arg, "cwlogs://", 9) == 0)
		return "cwlogs";
	return NULL;
}

static int
learn_wants(void *arg, const struct event *ev)
{
	return graph_learner_wants(arg, ev);
}

static int
learn_event(void *arg, const struct event *ev, int64_t id)
{
	return graph_learner_event(arg, ev, id);
}

static int
learn_commit(void *arg)
{
	return graph_learner_commit(arg);
}

static int
cmd_ingest(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "input-format", required_argument, NULL, 'I' },
		{ "format", required_argument, NULL, 'F' },
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "max-record", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "listen", required_argument, NULL, 'L' },
		{ "listen-token", required_argument, NULL, 'T' },
		{ "listen-max-body", required_argument, NULL, 'B' },
		{ "listen-max-conns", required_argument, NULL, 'C' },
		{ "since", required_argument, NULL, 1 },
		{ "until", required_argument, NULL, 2 },
		{ "account", required_argument, NULL, 3 },
		{ "region", required_argument, NULL, 4 },
		{ "profile", required_argument, NULL, 5 },
		{ "endpoint", required_argument, NULL, 6 },
		{ "jobs", required_argument, NULL, 7 },
		{ "dry-run", no_argument, NULL, 8 },
		{ "log-stream-prefix", required_argument, NULL, 9 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ingest_pull_opts po = { .since_ns = TIME_NONE, .until_ns = TIME_NONE, .jobs = 4 };
	struct name_list accounts = { 0 }, regions = { 0 };
	int pull_flags = 0;
	struct ingest_opts o = { .max_record = INGEST_MAX_RECORD_DEFAULT };
	struct ingest_listen_opts lo = { .max_body = (size_t)16 << 20, .max_conns = 64 };
	struct ingest_observer obs = { .wants = learn_wants, .event = learn_event, .commit = learn_commit };
	struct graph_learner *learner;
	struct ingest_summary sum;
	struct store *s = NULL;
	enum out_format fmt = OUT_TABLE;
	int c, json = 0, rc, status;

	optind = 1;
	while ((c = cmd_getopt(cc->argc, cc->argv, "ingest", "fqh", longopts)) != -1) {
		switch (c) {
		case 'D':
			cc->db_path = optarg;
			break;
		case 'F':
			if (ingester_find(optarg) != NULL || inventory_find(optarg) != NULL) {
				out_err("--format names the summary's format (table, json or ndjson); "
					"the input's is --input-format %s",
					optarg);
				return EXIT_ERROR;
			}
			if (out_format_arg(optarg, OUT_F(OUT_TABLE) | OUT_F(OUT_JSON) | OUT_F(OUT_NDJSON),
					   &fmt) != CD_OK)
				return EXIT_ERROR;
			json = fmt != OUT_TABLE;
			break;
		case 'I':
			if (ingester_find(optarg) == NULL && inventory_find(optarg) == NULL) {
				out_err("unknown format '%s'; known formats are listed by `cordon ingest --help`",
					optarg);
				return EXIT_ERROR;
			}
			o.format = optarg;
			break;
		case 'f':
			o.follow = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'M': {
			struct span sp = { optarg, strlen(optarg) };
			uint64_t v;

			if (span_to_u64(sp, &v) != CD_OK || v < 1024 || v > ((uint64_t)256 << 20)) {
				out_err("--max-record takes a byte count from 1024 to 268435456");
				return EXIT_ERROR;
			}
			o.max_record = (size_t)v;
			break;
		}
		case 'q':
			o.quiet = 1;
			break;
		case 'L':
			lo.addr = optarg;
			break;
		case 'T':
			lo.token_file = optarg;
			break;
		case 'B':
		case 'C': {
			struct span sp = { optarg, strlen(optarg) };
			uint64_t v, lim = c == 'B' ? ((uint64_t)256 << 20) : 4096;

			if (span_to_u64(sp, &v) != CD_OK || v < 1 || v > lim) {
				out_err("--listen-max-%s takes a number from 1 to %llu",
					c == 'B' ? "body" : "conns", (unsigned long long)lim);
				return EXIT_ERROR;
			}
			if (c == 'B')
				lo.max_body = (size_t)v;
			else
				lo.max_conns = (int)v;
			break;
		}
		case 1:
		case 2:
			if (time_parse_arg(optarg, time_now_ns(), c == 1 ? &po.since_ns : &po.until_ns) !=
			    CD_OK) {
				out_err("--%s takes an RFC 3339 time or a duration ago (2h, 7d)",
					c == 1 ? "since" : "until");
				return EXIT_ERROR;
			}
			pull_flags = 1;
			break;
		case 3:
		case 4:
			if (names_add(c == 3 ? &accounts : &regions, optarg) != CD_OK) {
				out_err("--%s: at most %d names of letters, digits and '-'",
					c == 3 ? "account" : "region", NAMES_MAX);
				return EXIT_ERROR;
			}
			pull_flags = 1;
			break;
		case 5:
			po.profile = optarg;
			pull_flags = 1;
			break;
		case 6:
			po.endpoint = optarg;
			pull_flags = 1;
			break;
		case 7: {
			struct span sp = { optarg, strlen(optarg) };
			uint64_t v;

			if (span_to_u64(sp, &v) != CD_OK || v < 1 || v > 64) {
				out_err("--jobs takes a number from 1 to 64");
				return EXIT_ERROR;
			}
			po.jobs = (int)v;
			pull_flags = 1;
			break;
		}
		case 8:
			po.dry_run = 1;
			pull_flags = 1;
			break;
		case 9:
			po.stream_prefix = optarg;
			pull_flags = 1;
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	if (lo.addr != NULL && optind < cc->argc) {
		out_err("--listen receives events; it takes no files (run a second ingest for those)");
		return EXIT_ERROR;
	}
	if (lo.addr == NULL && lo.token_file != NULL) {
		out_err("--listen-token needs --listen");
		return EXIT_ERROR;
	}
	if (lo.addr == NULL && optind >= cc->argc) {
		out_err("nothing to ingest: give files, directories or - for stdin");
		print_usage(stderr);
		return EXIT_ERROR;
	}
	if (optind < cc->argc && pull_url(cc->argv[optind]) != NULL) {
		if (lo.addr != NULL || o.follow || cc->argc - optind != 1) {
			out_err("%s is pulled alone: no other inputs, no --listen or --follow",
				cc->argv[optind]);
			return EXIT_ERROR;
		}
		po.url = cc->argv[optind];
		po.accounts = accounts.n ? accounts.v : NULL;
		po.naccounts = accounts.n;
		po.regions = regions.n ? regions.v : NULL;
		po.nregions = regions.n;
	} else if (pull_flags) {
		out_err("--since, --until, --account, --region, --profile, --endpoint, --jobs, --dry-run"
			" and --log-stream-prefix apply to s3:// and cwlogs:// inputs");
		return EXIT_ERROR;
	}
	if (po.since_ns != TIME_NONE && po.until_ns != TIME_NONE && po.until_ns < po.since_ns) {
		out_err("--until is before --since");
		return EXIT_ERROR;
	}
	o.progress = !o.quiet && isatty(STDERR_FILENO);
	if (cmd_open_store(cc, 0, &s) != CD_OK)
		return EXIT_ERROR;
	/* lineage is learned as events are stored; the catch-up pass after
	 * covers what was stored without (and derives edges if needed) */
	learner = graph_learner_new(s);
	obs.arg = learner;
	o.observer = &obs;
	if (lo.addr != NULL) {
		o.follow = 0;
		o.progress = 0;
		rc = ingest_listen(s, &o, &lo, &sum);
	} else if (po.url != NULL) {
		/* libcurl set up once, and the credential cache wiped after */
		if (conn_global_init() != CD_OK) {
			rc = CD_E_IO;
			memset(&sum, 0, sizeof(sum));
		} else {
			rc = strcmp(pull_url(po.url), "s3") == 0 ? ingest_pull_s3(s, &o, &po, &sum)
								 : ingest_pull_cwlogs(s, &o, &po, &sum);
			conn_global_cleanup();
		}
		if (po.dry_run) {
			graph_learner_free(&learner);
			ingest_summary_release(&sum);
			store_close(&s);
			return rc == CD_OK ? EXIT_OK : EXIT_ERROR;
		}
	} else {
		rc = ingest_run(s, &o, cc->argv + optind, cc->argc - optind, &sum);
	}
	graph_learner_free(&learner);
	if ((rc == CD_OK || rc == CD_E_INTERRUPTED) && graph_learn_events(s) != CD_OK)
		rc = CD_E_DB;
	if (json)
		print_summary_json(&sum);
	else if (!o.quiet)
		print_summary_table(&sum);
	if (rc == CD_E_INTERRUPTED)
		out_err("interrupted; what was read is stored, and a rerun continues from there");
	else if (sum.full)
		/* the summary counts only what was committed before the stop */
		out_err("ingest stopped: the store is full (no space left on its disk): the %lld events"
			" counted above are stored, nothing after the last commit is; free space (or move"
			" the store) and run the same command again: it continues from each input's last"
			" checkpoint, and records already stored are not added twice",
			(long long)sum.events);
	else if (rc != CD_OK)
		out_err("ingest stopped: %s", cd_strerror(rc));
	/* a listener's rejects were answered 400 as they came; stopping is its normal end */
	status = rc != CD_OK ? EXIT_ERROR : sum.rejects > 0 && lo.addr == NULL ? EXIT_FINDINGS : EXIT_OK;
	ingest_summary_release(&sum);
	store_close(&s);
	return status;
}

const struct cmd_entry cmd_ingest_entry = {
	.name = "ingest",
	.summary = "read logs (auditd, Falco, Tetragon, Tracee, CloudTrail, k8s, Vault, GCP) into the store",
	.usage = usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_ingest,
};
