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
	"usage: cordon audit verify [--db PATH] [-o table|json|ndjson] [--witness FILE]\n"
	"       cordon audit list [--db PATH] [-o table|json|ndjson] [--limit N]\n"
	"\n"
	"The audit trail of revocation actions: one row per attempted action (who,\n"
	"when, target, request summary, HTTP status, provider request id, result,\n"
	"what was read back, how to undo it), each row hash-chained to the one\n"
	"before (HMAC-SHA256 under the key in STORE.key; plain SHA-256 for rows an\n"
	"older cordon wrote).  An action is an intent row, committed before any\n"
	"request is sent, and an outcome row after; an intent without its outcome\n"
	"is listed as \"outcome unknown\" (the action may have been sent).\n"
	"\n"
	"verify  walk the chain; report the first row that was edited, deleted,\n"
	"        reordered or re-forged without the key, rows cut off the end, and\n"
	"        every head the witness file recorded that the chain no longer holds\n"
	"        (--witness FILE; default STORE.witness when it exists)\n"
	"list    the rows, oldest first (--limit N: the last N)\n"
	"\n"
	"exit status: 0 intact (verify) or listed; 1 the chain is broken or\n"
	"truncated; 2 usage or store error, or the key or witness file unreadable.\n";

static int
audit_list(struct store *s, enum out_format fmt, int64_t limit)
{
	sqlite3_stmt *st;
	struct buf b;
	int rc, n = 0;

	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT * FROM (SELECT a.id, a.ts_ns, a.who, a.plan, a.provider, a.action,"
			       " a.target, a.http_status, a.request_id, a.result, a.verified, a.undo_of,"
			       " a.undo, a.detail, a.request,"
			       " CASE WHEN a.result <> '" AUDIT_INTENT "' THEN NULL"
			       " WHEN o.result IS NULL OR o.result = '" AUDIT_INTENT "' THEN 'unknown'"
			       " ELSE o.id END"
			       " FROM actions a LEFT JOIN actions o ON o.id = " AUDIT_NEXT("a")
			       " ORDER BY a.id DESC LIMIT ?) ORDER BY 1",
			       -1, &st, NULL) != SQLITE_OK) {
		out_err("query failed: %s", store_errmsg(s));
		return EXIT_ERROR;
	}
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	buf_init(&b, (size_t)1 << 20);
	if (fmt == OUT_JSON)
		fputs("{\"actions\":[", stdout);
	else
		out_printf(stdout, "%-5s  %-30s  %-7s  %-8s  %-22s  %-30s  %-5s  %s\n", "ID",
			   "TIME", "RESULT", "PROVIDER", "ACTION", "TARGET", "HTTP", "WHO");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char t[40];
		const char *txt[16];
		int i, r = CD_OK;
		static const char *const names[] = { "id", "time", "who", "plan", "provider", "action",
						     "target", "http_status", "request_id", "result",
						     "verified", "undo_of", "undo", "detail", "request",
						     "outcome" };

		for (i = 0; i < 16; i++)
			txt[i] = (const char *)sqlite3_column_text(st, i);
		time_format(sqlite3_column_int64(st, 1), t, sizeof(t));
		if (fmt != OUT_JSON) {
			out_printf(stdout, "%-5lld  %-30s  %-7s  %-8s  %-22s  %-30s  %-5s  %s\n",
				   (long long)sqlite3_column_int64(st, 0), t, txt[9] ? txt[9] : "?",
				   txt[4] ? txt[4] : "?", txt[5] ? txt[5] : "?",
				   txt[6] ? txt[6] : "?", txt[7] ? txt[7] : "-",
				   txt[2] ? txt[2] : "?");
			if (txt[13] != NULL)
				out_printf(stdout, "       %s\n", txt[13]);
			if (txt[15] != NULL && strcmp(txt[15], "unknown") == 0)
				out_printf(stdout, "       outcome unknown: no outcome row was written; the"
					   " action may have been sent (check the provider)\n");
			else if (txt[15] != NULL)
				out_printf(stdout, "       outcome: row %s\n", txt[15]);
			continue;
		}
		buf_reset(&b);
		r = buf_addc(&b, '{');
		for (i = 0; i < 16 && r == CD_OK; i++) {
			r = buf_printf(&b, "%s\"%s\":", i ? "," : "", names[i]);
			if (r != CD_OK)
				break;
			if (i == 1)
				r = json_put_str(&b, t);
			else if (txt[i] != NULL &&
				 (i == 0 || i == 7 || i == 11 || (i == 15 && strcmp(txt[i], "unknown") != 0)))
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

/* verify's answer, as a table line or one JSON object. */
static int
report(const struct audit_check *ck, int r, enum out_format fmt)
{
	char keyed[160] = "unkeyed SHA-256 (no key file)";
	struct buf b;
	int status = EXIT_ERROR;

	if (r != CD_OK && r != CD_E_PARSE) {
		out_err("cannot check the audit trail: %s", ck->why ? ck->why : "?");
		return EXIT_ERROR;
	}
	if (ck->keyed_from == 1)
		snprintf(keyed, sizeof(keyed), "keyed HMAC-SHA256");
	else if (ck->keyed_from > 1)
		snprintf(keyed, sizeof(keyed),
			 "keyed HMAC-SHA256 from row %lld; rows before it unkeyed SHA-256 (older cordon)",
			 (long long)ck->keyed_from);
	buf_init(&b, 1 << 20);
	if (fmt == OUT_JSON) {
		int e = buf_printf(&b, "{\"intact\":%s,\"rows\":%lld,\"keyed_from\":%lld",
				   r == CD_OK ? "true" : "false", (long long)ck->rows,
				   (long long)ck->keyed_from);

		if (r != CD_OK) {
			e = e ? e : buf_printf(&b, ",\"rows_ok\":%lld,\"first_bad_row\":%lld,\"why\":",
					       (long long)ck->rows, (long long)ck->bad_id);
			e = e ? e : json_put_str(&b, ck->why);
		}
		e = e ? e : buf_printf(&b, ",\"witness_heads\":%lld,\"outcome_unknown\":%lld}\n",
				       (long long)ck->nwitness, (long long)ck->nunknown);
		if (e == CD_OK)
			fputs(b.data, stdout);
	} else if (r == CD_OK) {
		out_printf(stdout, "audit trail intact: %lld rows, hash chain verified (%s)\n",
			   (long long)ck->rows, keyed);
		if (ck->witness_missing)
			out_printf(stdout, "no witness file (%s): rows cut off the end cannot be ruled out\n",
				   ck->witness);
		else if (ck->nwitness > 0)
			out_printf(stdout, "witness %s: %lld heads, the latest row %lld is in the chain\n",
				   ck->witness, (long long)ck->nwitness, (long long)ck->witness_id);
		if (ck->nunknown > 0)
			out_printf(stdout, "outcome unknown: %lld intent(s) without an outcome row, the action"
				   " may have been sent: %s\n", (long long)ck->nunknown, ck->unknown.data);
	} else {
		out_printf(stdout, "audit trail BROKEN at row %lld: %s\n", (long long)ck->bad_id,
			   ck->why);
	}
	buf_release(&b);
	status = r == CD_OK ? EXIT_OK : EXIT_FINDINGS;
	return status;
}

static int
cmd_audit(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ "limit", required_argument, NULL, 'l' },
		{ "witness", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format fmt = OUT_TABLE;
	struct store *s = NULL;
	const char *sub, *witness = NULL;
	struct audit_check ck;
	char wpath[4200];
	int64_t limit = 0;
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
	while ((c = cmd_getopt(cc->argc - 1, cc->argv + 1, "audit", "h", longopts)) != -1) {
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
		case 'W': witness = optarg; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
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
	memset(&ck, 0, sizeof(ck));
	if (witness != NULL) {
		ck.witness = witness;
		ck.witness_required = 1;
	} else {
		audit_side_path(store_path(s), ".witness", wpath, sizeof(wpath));
		ck.witness = wpath;
	}
	r = audit_verify(s, &ck);
	status = report(&ck, r, fmt);
	audit_check_release(&ck);
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
