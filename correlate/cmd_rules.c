/*
 * cmd_rules.c - `cordon rules list` and `cordon rules test`: see which rules
 * are in force, and run each rule's own examples like unit tests.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

static const char usage[] =
	"usage: cordon rules list [--rules DIR] [-o table|json|ndjson]\n"
	"       cordon rules test [--rules DIR] [FILE|DIR ...]\n"
	"\n"
	"list   the rules in force: the built-in defaults, then every *.rules file\n"
	"       of --rules DIR or $CORDON_RULES (colon-separated); a rule with the\n"
	"       id of an earlier one replaces it.\n"
	"test   load FILEs (or the rules in force when none is given), report any\n"
	"       error with file and line, and run every rule's `example` lines.\n"
	"\n"
	"options:\n"
	"  --rules DIR     user rule directory or file (default $CORDON_RULES)\n"
	"  -o, --format FMT  table (default), json or ndjson (list)\n"
	"  -h, --help      this help\n"
	"\n"
	"exit status: 0 all rules load and every example passes; 1 an example\n"
	"failed; 2 a rule file has an error, or usage error.\n";

static void
list_json(const struct ruleset *rs)
{
	struct buf b;
	size_t i, k;
	int rc = CD_OK;

	buf_init(&b, (size_t)64 << 20);
	rc |= buf_addstr(&b, "{\"rules\":[");
	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];

		rc |= buf_addstr(&b, i ? ",{\"id\":" : "{\"id\":");
		rc |= json_put_str(&b, r->id);
		rc |= buf_addstr(&b, ",\"title\":");
		rc |= json_put_str(&b, r->title);
		rc |= buf_printf(&b, ",\"severity\":\"%s\",\"class\":\"%s\",\"attack\":[",
				 rule_sev_name(r->sev), rule_class_name(r->cls));
		for (k = 0; k < r->nattack; k++) {
			rc |= buf_addstr(&b, k ? "," : "");
			rc |= json_put_str(&b, r->attack[k]);
		}
		rc |= buf_addstr(&b, "],\"file\":");
		rc |= json_put_str(&b, r->file);
		rc |= buf_printf(&b, ",\"line\":%d,\"examples\":%zu}", r->line, r->nex);
	}
	rc |= buf_addstr(&b, "]}\n");
	if (rc != CD_OK)
		out_err("rule list too large to print");
	else
		fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
}

static void
list_table(const struct ruleset *rs)
{
	size_t i, k;

	printf("%-10s %-9s %-17s %-16s %s\n", "ID", "SEVERITY", "CLASS", "ATT&CK", "TITLE");
	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		char attack[64] = "";
		size_t used = 0;

		for (k = 0; k < r->nattack && used < sizeof(attack) - 1; k++)
			used += (size_t)snprintf(attack + used, sizeof(attack) - used, "%s%s",
						 k ? "," : "", r->attack[k]);
		printf("%-10s %-9s %-17s %-16s %s\n", r->id, rule_sev_name(r->sev),
		       rule_class_name(r->cls), attack, r->title);
	}
}

static int
run_tests(const struct ruleset *rs)
{
	size_t i, examples = 0;
	int failed = 0;

	for (i = 0; i < rs->n; i++) {
		examples += rs->r[i].nex;
		failed += rule_run_examples(&rs->r[i], stdout);
	}
	printf("%zu rules, %zu examples, %d failed\n", rs->n, examples, failed);
	return failed ? EXIT_FINDINGS : EXIT_OK;
}

/* One getopt pass; returns an exit status to stop with, or -1 to go on. */
static int
parse_opts(struct cmd_ctx *cc, const char *shortopts, const char **dir, enum out_format *fmt)
{
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = cmd_getopt(cc->argc, cc->argv, "rules", shortopts, longopts)) != -1) {
		switch (c) {
		case 'r': *dir = optarg; break;
		case 'F':
			if (out_format_arg(optarg, OUT_F(OUT_TABLE) | OUT_F(OUT_JSON), fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	return -1;
}

static int
cmd_rules(struct cmd_ctx *cc)
{
	enum out_format fmt = OUT_TABLE;
	const char *dir = NULL, *sub;
	struct ruleset rs;
	char *cause = NULL;
	int c, i, rc, status;

	optind = 1;
	/* options may come before and after the subcommand */
	if ((c = parse_opts(cc, "+h", &dir, &fmt)) >= 0)
		return c;
	if (optind >= cc->argc) {
		fputs(usage, stderr);
		return EXIT_ERROR;
	}
	sub = cc->argv[optind++];
	if ((c = parse_opts(cc, "h", &dir, &fmt)) >= 0)
		return c;
	ruleset_init(&rs);
	if (strcmp(sub, "test") == 0 && optind < cc->argc) {
		rc = CD_OK;
		for (i = optind; i < cc->argc && rc == CD_OK; i++)
			rc = ruleset_load_path(&rs, cc->argv[i], &cause);
	} else if (strcmp(sub, "list") == 0 || strcmp(sub, "test") == 0) {
		if (optind < cc->argc) {
			out_err("`rules list` takes no file; use --rules DIR");
			ruleset_release(&rs);
			return EXIT_ERROR;
		}
		rc = ruleset_load_default(&rs, dir, &cause);
	} else {
		out_err("unknown subcommand 'rules %s' (list, test)", sub);
		ruleset_release(&rs);
		return EXIT_ERROR;
	}
	if (rc != CD_OK) {
		out_err("%s; fix the rule file and run `cordon rules test FILE` again", cause);
		free(cause);
		ruleset_release(&rs);
		return EXIT_ERROR;
	}
	if (strcmp(sub, "list") == 0) {
		if (fmt == OUT_JSON)
			list_json(&rs);
		else
			list_table(&rs);
		status = EXIT_OK;
	} else {
		status = run_tests(&rs);
	}
	ruleset_release(&rs);
	return status;
}

const struct cmd_entry cmd_rules_entry = {
	.name = "rules",
	.summary = "list the detection rules in force, or test rule files",
	.usage = usage,
	.exec = cmd_rules,
};
