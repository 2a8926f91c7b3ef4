/*
 * cmd_rejects.c - `cordon rejects`: the records ingest could not use, with
 * the file, place and reason for each.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static const char usage[] =
	"usage: cordon rejects [options]\n"
	"\n"
	"List rejected records: file, line, byte offset, format and reason.\n"
	"\n"
	"options:\n"
	"  --db PATH       evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  -o, --format FMT  table (default), json or ndjson\n"
	"  --limit N       at most N (default 100; 0 = all)\n"
	"  --snippet       include the first bytes of each rejected record\n"
	"  --show-secrets  do not hide secret-looking values in snippets\n"
	"  -h, --help      this help\n"
	"\n"
	"exit status: 0 listed; 2 usage or store error.\n";

static int
cmd_rejects(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ "limit", required_argument, NULL, 'l' },
		{ "snippet", no_argument, NULL, 'S' },
		{ "show-secrets", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format fmt = OUT_TABLE;
	struct store *s = NULL;
	sqlite3_stmt *st = NULL;
	int64_t limit = 100, n = 0;
	int c, snippet = 0, show = 0, status = EXIT_ERROR, rc;
	struct buf b;

	optind = 1;
	while ((c = cmd_getopt(cc->argc, cc->argv, "rejects", "h", longopts)) != -1) {
		switch (c) {
		case 'D': cc->db_path = optarg; break;
		case 'F':
			if (out_format_arg(optarg, OUT_F(OUT_TABLE) | OUT_F(OUT_JSON) | OUT_F(OUT_NDJSON),
					   &fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'l':
			if (out_parse_count(optarg, "--limit", &limit) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'S': snippet = 1; break;
		case 'X': show = 1; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	if (cmd_open_store(cc, 1, &s) != CD_OK)
		return EXIT_ERROR;
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT path, line, offset, format, reason, snippet FROM rejects"
			       " ORDER BY id LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK) {
		out_err("query failed: %s", store_errmsg(s));
		goto out;
	}
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	buf_init(&b, (size_t)16 << 20);
	if (fmt == OUT_JSON)
		fputs("{\"rejects\":[", stdout);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 0);
		const char *format = (const char *)sqlite3_column_text(st, 3);
		const char *reason = (const char *)sqlite3_column_text(st, 4);
		struct buf snip;
		int r = CD_OK;

		buf_init(&snip, (size_t)1 << 20);
		if (snippet && sqlite3_column_type(st, 5) != SQLITE_NULL) {
			struct buf rawb;

			buf_init(&rawb, 4096);
			r = buf_add(&rawb, sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5));
			r = r ? r : show ? buf_add(&snip, rawb.data, rawb.len) : redact(rawb.data, &snip);
			buf_release(&rawb);
		}
		if (fmt == OUT_TABLE) {
			out_printf(stdout, "%s:%lld (byte %lld) %s: %s\n", path ? path : "?",
				   (long long)sqlite3_column_int64(st, 1),
				   (long long)sqlite3_column_int64(st, 2), format ? format : "input",
				   reason ? reason : "?");
			if (snippet && snip.len) {
				struct buf e;

				/* the record as read: any byte, NULs too, escaped */
				buf_init(&e, 4096);
				if (buf_addstr(&e, "    ") == CD_OK &&
				    out_escape(&e, snip.data, snip.len > 200 ? 200 : snip.len) == CD_OK &&
				    buf_addc(&e, '\n') == CD_OK)
					fwrite(e.data, 1, e.len, stdout);
				buf_release(&e);
			}
		} else {
			buf_reset(&b);
			r = r ? r : buf_addstr(&b, "{\"file\":");
			r = r ? r : json_put_str(&b, path);
			r = r ? r : buf_printf(&b, ",\"line\":%lld,\"offset\":%lld,\"format\":",
					       (long long)sqlite3_column_int64(st, 1),
					       (long long)sqlite3_column_int64(st, 2));
			r = r ? r : json_put_str(&b, format);
			r = r ? r : buf_addstr(&b, ",\"reason\":");
			r = r ? r : json_put_str(&b, reason);
			if (snippet) {
				r = r ? r : buf_addstr(&b, ",\"snippet\":");
				r = r ? r : json_put_strn(&b, snip.data, snip.len);
			}
			r = r ? r : buf_addc(&b, '}');
			if (r == CD_OK) {
				if (fmt == OUT_JSON && n > 0)
					fputc(',', stdout);
				fwrite(b.data, 1, b.len, stdout);
				if (fmt == OUT_NDJSON)
					fputc('\n', stdout);
			}
		}
		buf_release(&snip);
		n++;
	}
	if (fmt == OUT_JSON)
		fputs("]}\n", stdout);
	buf_release(&b);
	status = rc == SQLITE_DONE ? EXIT_OK : EXIT_ERROR;
out:
	sqlite3_finalize(st);
	store_close(&s);
	redact_release();
	return status;
}

const struct cmd_entry cmd_rejects_entry = {
	.name = "rejects",
	.summary = "list records ingest rejected, with file, place and reason",
	.usage = usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_rejects,
};
