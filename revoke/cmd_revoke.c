/*
 * cmd_revoke.c - `cordon revoke`: plan, apply, undo, and the dispatch to
 * the runbook one-liners (runbook.c).
 *
 * apply is the one destructive entry point that takes a whole plan, so it
 * asks on a terminal and refuses to act without --yes when stdin is not
 * one; --dry-run prints every request (secrets redacted) and sends nothing.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

static const char usage[] =
	"usage: cordon revoke plan --incident ID [--out FILE] [-o table|json|ndjson]\n"
	"       cordon revoke apply PLAN [--yes] [--dry-run] [-o table|json|ndjson] [--jobs N]\n"
	"                         [--who NAME] [--token-file FILE] [--show-secret] [--debug]\n"
	"                         [--witness FILE] [--profile NAME] [--kubeconfig FILE]\n"
	"                         [--context NAME]\n"
	"       cordon revoke undo ACTION_ID [--yes] [--dry-run] [-o table|json|ndjson]\n"
	"       cordon revoke RUNBOOK TARGET... [options]   (one action now; see below)\n"
	"\n"
	"Cut off exposed credentials through the providers' APIs.  Every action\n"
	"checks the current state, acts, and reads the state back; \"already\n"
	"disabled/deleted\" counts as done, when proven (a target cordon cannot see\n"
	"fails).  Every attempt is recorded in the hash-chained audit trail before\n"
	"anything is sent (its intent) and after (its outcome); when the intent\n"
	"cannot be recorded nothing is sent (`cordon audit verify`).\n"
	"\n"
	"plan     build the incident's revocation plan in the safe order: quarantine\n"
	"         the workload, revoke per identity, rotate, clean up, notify.  Steps\n"
	"         no connector can do are listed as manual.  --out FILE writes JSON.\n"
	"apply    run a plan file (or an incident report JSON; - for stdin).  Phases run\n"
	"         in order; independent targets in a phase run at once (--jobs, default 4).\n"
	"         Asks on a terminal; without a terminal it refuses unless --yes.\n"
	"undo     reverse a reversible action by its audit id (re-enable a key,\n"
	"         uncordon a node).\n"
	"\n"
	"options:\n"
	"  --db PATH          evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  --dry-run          print the exact requests (secrets redacted); send nothing\n"
	"  -o, --format FMT   table (default), json or ndjson\n"
	"  --jobs N           at most N actions at once (1-64, default 4)\n"
	"  --who NAME         who acts, for the audit trail (default $USER@host)\n"
	"  --token-file FILE  the leaked GitHub token for github revoke-token steps (- = stdin)\n"
	"  --show-secret      print a rotated key's new secret once (never stored)\n"
	"  --debug            print each request (redacted) to stderr as it is sent\n"
	"  --witness FILE     append the audit chain's head to FILE (default STORE.witness)\n"
	"  --profile NAME     AWS profile (beats AWS_PROFILE and the AWS_* keys)\n"
	"  --kubeconfig FILE  Kubernetes: read only FILE (default: KUBECONFIG merged as kubectl does)\n"
	"  --context NAME     Kubernetes: use context NAME, not the current-context\n"
	"  -y, --yes          do not ask\n"
	"  -h, --help         this help; `cordon revoke RUNBOOK --help` for one-liners\n"
	"\n"
	"exit status: 0 every action done or already done; 1 some action failed;\n"
	"2 usage or configuration error, refused (no --yes without a terminal), or the\n"
	"audit trail could not be written (see the message: what was and was not sent).\n";

enum { O_INCIDENT = RUN_O_NEXT, O_OUT };

static void
on_result(struct exec_item *it, void *arg)
{
	result_out_item(arg, it);
}

/* After a run: the chain head, printed and appended to the witness file
 * outside the store (see auditkey.c). */
static void
witness_head(struct store *s, const char *witness)
{
	char *msg = NULL;

	revoke_witness_head(s, witness, &msg);
	if (msg != NULL)
		fprintf(stderr, "%s\n", msg);
	free(msg);
}

void
revoke_witness_head(struct store *s, const char *witness, char **msg)
{
	unsigned char hash[32];
	char hex[65], path[4200], *cause = NULL, line[4400];
	int64_t id;

	if (msg != NULL)
		*msg = NULL;
	if (audit_head(s, &id, hash) != CD_OK || strcmp(store_path(s), ":memory:") == 0)
		return;
	if (witness == NULL)
		audit_side_path(store_path(s), ".witness", path, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s", witness);
	hex_encode(hash, 32, hex);
	if (audit_witness_append(path, id, hash, &cause) != CD_OK) {
		snprintf(line, sizeof(line), "cordon: warning: audit head row %lld %s: %s",
			 (long long)id, hex, cause);
		free(cause);
	} else {
		snprintf(line, sizeof(line), "audit head: row %lld %s (appended to %s)", (long long)id,
			 hex, path);
	}
	if (msg != NULL)
		*msg = xstrdup(line);
}

int
revoke_execute(struct plan *p, const struct run_cfg *rc)
{
	struct exec_item *items = xcalloc(p->n ? p->n : 1, sizeof(*items));
	struct exec_opts eo;
	struct result_out ro;
	struct store *s = NULL;
	char *cause = NULL, who[512];
	size_t i, nauto = 0;
	int64_t t0 = time_now_ns();
	int status = EXIT_OK, config = 0, usage_err = 0, r;

	memset(&eo, 0, sizeof(eo));
	eo.co.dry_run = rc->dry_run;
	/* with --format json stdout is one JSON document: requests go to stderr */
	eo.co.dry_out = rc->dry_run && rc->fmt != OUT_JSON ? stdout : stderr;
	eo.co.debug = rc->debug || (getenv("CORDON_DEBUG_HTTP") && *getenv("CORDON_DEBUG_HTTP"));
	eo.co.input_secret = rc->secret;
	eo.co.input_secret_len = rc->secret_len;
	eo.co.aws_profile = rc->aws_profile;
	eo.co.kubeconfig = rc->kubeconfig;
	eo.co.kube_context = rc->kube_context;
	eo.jobs = rc->jobs;
	audit_who(rc->who, who, sizeof(who));
	eo.who = who;
	eo.plan_name = rc->plan_name;
	for (i = 0; i < p->n; i++) {
		items[i].step = &p->steps[i];
		conn_result_init(&items[i].res);
		items[i].undo_of = rc->undo_of;
		nauto += !p->steps[i].manual;
	}
	if (!rc->dry_run && nauto > 0) {
		const char *path = store_default_path(rc->db_path);

		if (store_open(path, 0, &s, &cause) != CD_OK) {
			out_err("%s: %s (every action is recorded there; nothing was done)", path, cause);
			free(cause);
			free(items);
			return EXIT_ERROR;
		}
	}
	eo.store = s;
	result_out_init(&ro, rc->fmt, rc->show_secret);
	eo.on_result = on_result;
	eo.arg = &ro;
	if (rc->dry_run && rc->fmt != OUT_JSON)
		printf("dry-run: the requests below would be sent; nothing is sent\n");
	if (conn_global_init() != CD_OK) {
		out_err("cannot initialise libcurl");
		status = EXIT_ERROR;
		goto out;
	}
	eo.co.shared = conn_shared_new();
	r = exec_run(&eo, items, p->n, &cause);
	conn_shared_free(eo.co.shared);
	eo.co.shared = NULL;
	conn_global_cleanup();
	redact_release();
	if (r != CD_OK) {
		out_err("%s", cause ? cause : "cannot write the audit trail");
		free(cause);
		status = EXIT_ERROR;
	}
	for (i = 0; i < p->n && s != NULL; i++)
		if (items[i].intent_id != 0) {
			witness_head(s, rc->witness); /* this run wrote rows */
			break;
		}
	for (i = 0; i < p->n; i++) {
		if (p->steps[i].manual)
			continue;
		if (items[i].res.outcome == CONN_FAILED && status == EXIT_OK)
			status = EXIT_FINDINGS;
		if (items[i].config_error && !config)
			out_err("%s", items[i].res.detail); /* once: the rest say the same */
		config |= items[i].config_error;
		usage_err |= items[i].usage_error;
	}
	for (i = 0; i < p->n && rc->fmt == OUT_JSON; i++)
		if (p->steps[i].manual)
			result_out_manual(&ro, &p->steps[i]);
	result_out_finish(&ro, (time_now_ns() - t0) / 1000000);
	for (i = 0; i < p->n && rc->fmt != OUT_JSON; i++)
		if (p->steps[i].manual)
			out_printf(stdout, "manual   %s %s %s%s%s: do this by hand\n",
				   p->steps[i].provider, p->steps[i].action, p->steps[i].target,
				   p->steps[i].note ? " - " : "",
				   p->steps[i].note ? p->steps[i].note : "");
	/* one-liners: a bad target or missing configuration is the caller's
	 * mistake (2); in a plan it is one failed step among others (1) */
	if ((usage_err || config) && rc->config_is_usage && status != EXIT_ERROR)
		status = EXIT_ERROR;
out:
	for (i = 0; i < p->n; i++)
		conn_result_release(&items[i].res);
	free(items);
	result_out_release(&ro);
	store_close(&s);
	return status;
}

static int
cmd_plan(struct cmd_ctx *cc, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, RUN_O_DB },
		{ "incident", required_argument, NULL, O_INCIDENT },
		{ "out", required_argument, NULL, O_OUT },
		{ "format", required_argument, NULL, RUN_O_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *incident = NULL, *outp = NULL;
	enum out_format fmt = OUT_TABLE;
	struct store *s = NULL;
	struct plan p;
	struct buf b;
	char *cause = NULL;
	int c, status = EXIT_ERROR;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "revoke plan", "h", longopts)) != -1) {
		switch (c) {
		case RUN_O_DB: cc->db_path = optarg; break;
		case O_INCIDENT: incident = optarg; break;
		case O_OUT: outp = optarg; break;
		case RUN_O_FORMAT:
			if (run_parse_format(optarg, &fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	if (incident == NULL || optind != argc) {
		out_err("revoke plan needs --incident ID (and nothing else)");
		return EXIT_ERROR;
	}
	if (cmd_open_store(cc, 1, &s) != CD_OK)
		return EXIT_ERROR;
	plan_init(&p);
	buf_init(&b, (size_t)64 << 20);
	if (plan_from_incident(s, incident, &p, &cause) != CD_OK) {
		out_err("incident %s: %s", incident, cause);
		free(cause);
		goto out;
	}
	if (plan_to_json(&p, &b) != CD_OK) {
		out_err("plan too large");
		goto out;
	}
	if (outp != NULL) {
		FILE *f = fopen(outp, "w");

		if (f == NULL || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
			out_err("%s: cannot write the plan", outp);
			goto out;
		}
	}
	if (fmt == OUT_JSON)
		fwrite(b.data, 1, b.len, stdout);
	else {
		plan_print_table(&p, stdout);
		if (outp != NULL)
			printf("plan written to %s; review it, then: cordon revoke apply %s\n", outp, outp);
	}
	status = EXIT_OK;
out:
	buf_release(&b);
	plan_release(&p);
	store_close(&s);
	return status;
}

/* A plan file, or - for stdin; capped. */
static int
file_read_plan(const char *path, char **text, size_t *len, char **cause)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct buf b;
	char chunk[8192];
	size_t n;

	if (f == NULL) {
		*cause = xstrdup("cannot open");
		return CD_E_IO;
	}
	buf_init(&b, (size_t)64 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) != CD_OK) {
			*cause = xstrdup("plan larger than 64 MiB");
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (*cause != NULL) {
		buf_release(&b);
		return CD_E_LIMIT;
	}
	*text = buf_detach(&b, len);
	buf_release(&b);
	return CD_OK;
}

static int
confirm(const struct plan *p, size_t nauto)
{
	char line[32];

	plan_print_table(p, stderr);
	fprintf(stderr, "apply %zu actions now? [y/N] ", nauto);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

static int
cmd_apply(struct cmd_ctx *cc, int argc, char **argv, int undo)
{
	struct option longopts[RUN_NLONGOPTS + 2];
	size_t nl = run_longopts(longopts, "token-file");
	struct run_cfg rc;
	struct plan p;
	const char *token_file = NULL;
	char *cause = NULL, *text = NULL, *tok = NULL, name[600];
	size_t len = 0, toklen = 0, i, nauto = 0;
	int c, yes = 0, status = EXIT_ERROR;

	longopts[nl++] = (struct option){ "yes", no_argument, NULL, 'y' };
	memset(&longopts[nl], 0, sizeof(longopts[nl]));
	memset(&rc, 0, sizeof(rc));
	rc.jobs = 4;
	optind = 1;
	while ((c = cmd_getopt(argc, argv, undo ? "revoke undo" : "revoke apply", "hy", longopts)) != -1) {
		switch (run_opt(cc, &rc, &token_file, c, optarg)) {
		case 1: continue;
		case -1: return EXIT_ERROR;
		}
		switch (c) {
		case 'y': yes = 1; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	rc.db_path = cc->db_path;
	if (optind + 1 != argc) {
		out_err(undo ? "revoke undo takes one ACTION_ID" : "revoke apply takes one PLAN file");
		return EXIT_ERROR;
	}
	plan_init(&p);
	if (undo) {
		if (revoke_undo_plan(cc, argv[optind], &p, &rc.undo_of) != CD_OK)
			goto out;
		snprintf(name, sizeof(name), "undo of action %s", argv[optind]);
	} else {
		if (file_read_plan(argv[optind], &text, &len, &cause) != CD_OK ||
		    plan_from_json(text, len, &p, &cause) != CD_OK) {
			out_err("%s: %s", argv[optind], cause ? cause : "unreadable");
			free(cause);
			goto out;
		}
		snprintf(name, sizeof(name), "%s%s%s", argv[optind], p.incident ? " incident " : "",
			 p.incident ? p.incident : "");
	}
	rc.plan_name = name;
	for (i = 0; i < p.n; i++)
		nauto += !p.steps[i].manual;
	for (i = 0; i < p.n && token_file == NULL && !rc.dry_run; i++)
		if (p.steps[i].act != NULL && (p.steps[i].act->flags & CONN_F_NEEDS_SECRET)) {
			out_err("step %d (%s %s) needs the leaked credential itself: pass --token-file "
				"FILE (or - for stdin); nothing was done",
				p.steps[i].id, p.steps[i].provider, p.steps[i].action);
			goto out;
		}
	/* undo names one exact action by id: like a one-liner, it does not ask */
	if (!undo && !rc.dry_run && !yes && nauto > 0) {
		if (!isatty(0)) {
			out_err("refusing to act without --yes: stdin is not a terminal "
				"(review the plan, then pass --yes; --dry-run shows the requests)");
			goto out;
		}
		if (!confirm(&p, nauto)) {
			fprintf(stderr, "nothing done\n");
			goto out;
		}
	}
	if (run_read_secret(token_file, &tok, &toklen) != CD_OK)
		goto out;
	rc.secret = tok;
	rc.secret_len = toklen;
	status = revoke_execute(&p, &rc);
out:
	if (tok != NULL)
		freezero(tok, toklen + 1);
	free(text);
	plan_release(&p);
	return status;
}

static int
cmd_revoke(struct cmd_ctx *cc)
{
	const char *sub;

	if (cc->argc < 2) {
		fputs(usage, stderr);
		revoke_runbook_usage(stderr);
		return EXIT_ERROR;
	}
	sub = cc->argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		fputs(usage, stdout);
		revoke_runbook_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "plan") == 0)
		return cmd_plan(cc, cc->argc - 1, cc->argv + 1);
	if (strcmp(sub, "apply") == 0)
		return cmd_apply(cc, cc->argc - 1, cc->argv + 1, 0);
	if (strcmp(sub, "undo") == 0)
		return cmd_apply(cc, cc->argc - 1, cc->argv + 1, 1);
	if (revoke_is_runbook(sub))
		return cmd_revoke_runbook(cc, sub);
	out_err("unknown revoke subcommand '%s'; `cordon revoke --help` lists them", sub);
	return EXIT_ERROR;
}

const struct cmd_entry cmd_revoke_entry = {
	.name = "revoke",
	.summary = "cut off exposed credentials: plan, apply, undo, runbook one-liners",
	.usage = usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_revoke,
};
