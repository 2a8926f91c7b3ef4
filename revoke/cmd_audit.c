/*
 * cmd_audit.c - `cordon audit verify` and `cordon audit list`: the trail
 * of every revocation attempted, and the check that nobody edited it.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static const char usage[] =
	"usage: cordon audit verify [--db PATH] [--format table|json]\n"
	"       cordon audit list [--db PATH] [--format table|json] [--limit N]\n"
	"\n"
	"The audit trail of revocation actions: one row per attempted action (who,\n"
	"when, target, request summary, HTTP status, provider request id, result,\n"
	"what was read back, how to undo it), each row hash-chained to the one\n"
	"before (SHA-256).\n"
	"\n"
	"verify  walk the chain; report the first row that was edited, deleted or\n"
	"        reordered, or rows cut off the end\n"
	"list    the rows, oldest first (--limit N: the last N)\n"
	"\n"
	"exit status: 0 intact (verify) or listed; 1 the chain is broken; 2 usage or\n"
	"store error.\n";

static int
audit_list(struct store *s, enum out_format fmt, int64_t limit)
{
	sqlite3_stmt *st;
	struct buf b;
	int rc, n = 0;

	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT * FROM (SELECT id, ts_ns, who, plan, provider, action, target,"
			       " http_status, request_id, result, verified, undo_of, undo, detail, request"
			       " FROM actions ORDER BY id DESC LIMIT ?) ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK) {
		out_err("query failed: %s", store_errmsg(s));
		return EXIT_ERROR;
	}
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	buf_init(&b, (size_t)1 << 20);
	if (fmt == OUT_JSON)
		fputs("{\"actions\":[", stdout);
	else
		out_printf(stdout, "%-5s  %-20s  %-7s  %-8s  %-22s  %-30s  %-5s  %s\n", "ID",
			   "TIME", "RESULT", "PROVIDER", "ACTION", "TARGET", "HTTP", "WHO");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char t[40];
		const char *txt[15];
		int i, r = CD_OK;
		static const char *const names[] = { "id", "time", "who", "plan", "provider", "action",
						     "target", "http_status", "request_id", "result",
						     "verified", "undo_of", "undo", "detail", "request" };

		for (i = 0; i < 15; i++)
			txt[i] = (const char *)sqlite3_column_text(st, i);
		time_format(sqlite3_column_int64(st, 1) / 1000000000LL * 1000000000LL, t, sizeof(t));
		if (fmt != OUT_JSON) {
			out_printf(stdout, "%-5lld  %-20s  %-7s  %-8s  %-22s  %-30s  %-5s  %s\n",
				   (long long)sqlite3_column_int64(st, 0), t, txt[9] ? txt[9] : "?",
				   txt[4] ? txt[4] : "?", txt[5] ? txt[5] : "?",
				   txt[6] ? txt[6] : "?", txt[7] ? txt[7] : "-",
				   txt[2] ? txt[2] : "?");
			if (txt[13] != NULL)
				out_printf(stdout, "       %s\n", txt[13]);
			continue;
		}
		buf_reset(&b);
		r = buf_addc(&b, '{');
		for (i = 0; i < 15 && r == CD_OK; i++) {
			r = buf_printf(&b, "%s\"%s\":", i ? "," : "", names[i]);
			if (r != CD_OK)
				break;
			if (i == 1)
				r = json_put_str(&b, t);
			else if ((i == 0 || i == 7 || i == 11) && txt[i] != NULL)
				r = buf_addstr(&b, txt[i]);
			else
				r = json_put_str(&b, txt[i]);
		}
		r = r ? r : buf_addc(&b, '}');
		if (r == CD_OK)
			printf("%s%s", n ? "," : "", b.data);
		n++;
	}
	if (fmt == OUT_JSON)
		fputs("]}\n", stdout);
	buf_release(&b);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? EXIT_OK : EXIT_ERROR;
}

static int
cmd_audit(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ "limit", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format fmt = OUT_TABLE;
	struct store *s = NULL;
	const char *sub;
	char *why = NULL;
	int64_t limit = 0, rows, bad;
	int c, status = EXIT_ERROR, r;

	if (cc->argc < 2) {
		fputs(usage, stderr);
		return EXIT_ERROR;
	}
	sub = cc->argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "verify") != 0 && strcmp(sub, "list") != 0) {
		out_err("unknown audit subcommand '%s' (verify or list)", sub);
		return EXIT_ERROR;
	}
	optind = 1;
	while ((c = getopt_long(cc->argc - 1, cc->argv + 1, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D': cc->db_path = optarg; break;
		case 'F':
			if (run_parse_format(optarg, &fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'l':
			if (out_parse_count(optarg, "--limit", &limit) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: fputs(usage, stderr); return EXIT_ERROR;
		}
	}
	if (optind != cc->argc - 1) {
		out_err("audit %s takes no arguments", sub);
		return EXIT_ERROR;
	}
	if (cmd_open_store(cc, 1, &s) != CD_OK)
		return EXIT_ERROR;
	if (strcmp(sub, "list") == 0) {
		status = audit_list(s, fmt, limit);
		store_close(&s);
		return status;
	}
	r = audit_verify(s, &rows, &bad, &why);
	if (r == CD_OK) {
		if (fmt == OUT_JSON)
			printf("{\"intact\":true,\"rows\":%lld}\n", (long long)rows);
		else
			out_printf(stdout, "audit trail intact: %lld rows, hash chain verified\n",
				   (long long)rows);
		status = EXIT_OK;
	} else if (r == CD_E_PARSE) {
		if (fmt == OUT_JSON) {
			struct buf b;

			buf_init(&b, 4096);
			if (json_put_str(&b, why) == CD_OK)
				printf("{\"intact\":false,\"rows_ok\":%lld,\"first_bad_row\":%lld,\"why\":%s}\n",
				       (long long)rows, (long long)bad, b.data);
			buf_release(&b);
		} else {
			out_printf(stdout, "audit trail BROKEN at row %lld: %s\n", (long long)bad,
				   why);
		}
		status = EXIT_FINDINGS;
	} else {
		out_err("cannot read the audit trail: %s", why ? why : "?");
	}
	free(why);
	store_close(&s);
	return status;
}

const struct cmd_entry cmd_audit_entry = {
	.name = "audit",
	.summary = "verify or list the hash-chained trail of revocation actions",
	.usage = usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_audit,
};
