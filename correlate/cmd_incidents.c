/*
 * cmd_incidents.c - `cordon incidents` (the list) and `cordon incident ID`
 * (the whole story: timeline with links to raw evidence, lineage, reach
 * and the plan), both read from the stored reports.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static const char list_usage[] =
	"usage: cordon incidents [-o table|json|ndjson]\n"
	"\n"
	"List incidents: id, severity, first and last activity, root workload,\n"
	"revision, and counts of signals, exposed secrets and credentials.\n"
	"\n"
	"options:\n"
	"  --db PATH       evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  -o, --format FMT  table (default), json (the full reports) or ndjson\n"
	"  -h, --help      this help\n"
	"\n"
	"exit status: 0 listed (even none); 2 usage or store error.\n";

static const char show_usage[] =
	"usage: cordon incident ID [-o table|json|ndjson|csv]\n"
	"\n"
	"Show one incident: the root workload and the workloads attached to it,\n"
	"the cross-source timeline of signals (each with the event id; see the raw\n"
	"record with `cordon events id=N --raw`), what was exposed, the credentials\n"
	"behind it and their use after exposure, the identities they reach (with\n"
	"the path to each) and the revocation plan (`cordon revoke plan --incident ID`).\n"
	"\n"
	"options:\n"
	"  --db PATH       evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  -o, --format FMT  table (default), json, ndjson, or csv (the timeline, with\n"
	"                   Timesketch's columns first)\n"
	"  -h, --help      this help\n"
	"\n"
	"exit status: 0 shown; 2 usage or store error, or no incident ID.\n";

static int
count_of(const struct json_doc *d, const char *key)
{
	int t = json_get(d, 0, key);

	return t >= 0 ? json_count(d, t) : 0;
}

static const char *
str_at(const struct json_doc *d, int obj, const char *path, char *buf, size_t cap)
{
	int t = json_path(d, obj, path);

	if (t < 0 || json_is_null(d, t) || json_str(d, t, buf, cap, NULL) != CD_OK)
		return "-";
	return buf;
}

static int
parse_report(const char *js, size_t len, struct json_doc *d, struct json_tokens *t)
{
	const char *why;
	int cap = (int)(len / 2 + 64);

	json_tokens_init(t, cap);
	return json_parse(d, js, len, t, &why);
}

/*
 * The incidents updated since `since` (INT64_MIN: all), as a table or as
 * their reports: shared by `cordon incidents` and `cordon correlate`.
 */
int
incidents_list(struct store *s, enum out_format fmt, int64_t since)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT id, severity, first_ns, last_ns, root, revision, report FROM incidents"
			       " WHERE updated_ns >= ?1 ORDER BY first_ns, id",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_int64(st, 1, since);
	if (fmt == OUT_JSON)
		fputs("{\"incidents\":[", stdout);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *report = (const char *)sqlite3_column_text(st, 6);

		if (fmt == OUT_JSON) {
			fputs(n ? "," : "", stdout);
			fputs(report, stdout);
		} else if (fmt == OUT_NDJSON) {
			puts(report);
		} else {
			struct json_doc d;
			struct json_tokens t;
			char first[48], last[48];

			if (n == 0)
				out_printf(stdout,
					   "%-14s %-8s %-24s %-24s %-4s %-5s %-5s %-5s %s\n", "ID",
					   "SEVERITY", "FIRST", "LAST", "REV", "SIGS", "EXPO",
					   "CREDS", "ROOT");
			time_format(sqlite3_column_int64(st, 2), first, sizeof(first));
			time_format(sqlite3_column_int64(st, 3), last, sizeof(last));
			/* milliseconds keep the row in 80 columns; still fixed width */
			memcpy(first + 23, "Z", 2);
			memcpy(last + 23, "Z", 2);
			if (parse_report(report, strlen(report), &d, &t) == CD_OK)
				out_printf(stdout,
					   "%-14s %-8s %-24s %-24s %-4d %-5d %-5d %-5d %s\n",
					   (const char *)sqlite3_column_text(st, 0),
					   (const char *)sqlite3_column_text(st, 1), first, last,
					   sqlite3_column_int(st, 5), count_of(&d, "signals"),
					   count_of(&d, "exposed"), count_of(&d, "credentials"),
					   (const char *)sqlite3_column_text(st, 4));
			json_tokens_release(&t);
		}
		n++;
	}
	sqlite3_finalize(st);
	if (fmt == OUT_JSON)
		fputs("]}\n", stdout);
	return CD_OK;
}

static int
cmd_incidents(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format fmt = OUT_TABLE;
	struct store *s = NULL;
	int c, rc;

	optind = 1;
	while ((c = cmd_getopt(cc->argc, cc->argv, "incidents", "h", longopts)) != -1) {
		switch (c) {
		case 'D': cc->db_path = optarg; break;
		case 'F':
			if (out_format_arg(optarg, OUT_F(OUT_TABLE) | OUT_F(OUT_JSON) | OUT_F(OUT_NDJSON),
					   &fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'h': fputs(list_usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	if (cmd_open_store(cc, 1, &s) != CD_OK)
		return EXIT_ERROR;
	rc = incidents_list(s, fmt, INT64_MIN);
	if (rc != CD_OK)
		out_err("%s: %s", cc->db_path, store_errmsg(s));
	store_close(&s);
	return rc == CD_OK ? EXIT_OK : EXIT_ERROR;
}

static void
print_story(const struct json_doc *d, int color)
{
	char a[1024], b[1024], c2[1024], e[256], t[1024];
	int arr, el, k;
	const char *bold = color ? out_sgr_bold : "", *off = color ? out_sgr_off : "";

	out_printf(stdout, "%s%s%s  severity %s  %s .. %s\n", bold,
		   str_at(d, 0, "id", a, sizeof(a)), off, str_at(d, 0, "severity", b, sizeof(b)),
		   str_at(d, 0, "first_seen", c2, sizeof(c2)),
		   str_at(d, 0, "last_seen", e, sizeof(e)));
	{
		int64_t hs = -1;

		if (json_i64(d, json_get(d, 0, "history_s"), &hs) == CD_OK && hs >= 0)
			printf("baselines learned from %lld h %02lld min of history before the first signal\n",
			       (long long)(hs / 3600), (long long)(hs % 3600 / 60));
	}
	if (strcmp(str_at(d, 0, "workload.kind", e, sizeof(e)), "function") == 0) {
		out_printf(stdout, "root workload: function %s in %s\n",
			   str_at(d, 0, "workload.function", a, sizeof(a)),
			   str_at(d, 0, "workload.where", b, sizeof(b)));
		out_printf(stdout, "  %s  runtime %s  runs as %s  (attributed by %s)\n",
			   str_at(d, 0, "workload.id", a, sizeof(a)),
			   str_at(d, 0, "workload.runtime", b, sizeof(b)),
			   json_get(d, json_get(d, 0, "workload"), "service_account") >= 0
			   ? str_at(d, 0, "workload.service_account", c2, sizeof(c2))
			   : str_at(d, 0, "workload.execution_role", c2, sizeof(c2)),
			   str_at(d, 0, "workload.attributed_by", e, sizeof(e)));
	} else if (strcmp(e, "ci-job") == 0) {
		out_printf(stdout, "root workload: ci-job %s on %s\n", str_at(d, 0, "workload.id", a, sizeof(a)),
			   str_at(d, 0, "workload.where", b, sizeof(b)));
		out_printf(stdout, "  %s  as %s  (attributed by %s)\n",
			   str_at(d, 0, "workload.oidc_subject", a, sizeof(a)),
			   str_at(d, 0, "workload.role", b, sizeof(b)),
			   str_at(d, 0, "workload.attributed_by", c2, sizeof(c2)));
	} else if (strcmp(e, "sandbox") == 0) {
		out_printf(stdout, "root workload: sandbox %s on %s\n", str_at(d, 0, "workload.id", a, sizeof(a)),
			   str_at(d, 0, "workload.where", b, sizeof(b)));
		out_printf(stdout, "  %s  (attributed by %s)\n", str_at(d, 0, "workload.sandbox", a, sizeof(a)),
			   str_at(d, 0, "workload.attributed_by", c2, sizeof(c2)));
	} else {
		out_printf(stdout, "root workload: %s on %s\n", str_at(d, 0, "root", a, sizeof(a)),
			   str_at(d, 0, "workload.host", b, sizeof(b)));
		out_printf(stdout, "  pod %s  image %s  (attributed by %s)\n",
			   str_at(d, 0, "workload.pod", a, sizeof(a)),
			   str_at(d, 0, "workload.image", b, sizeof(b)),
			   str_at(d, 0, "workload.attributed_by", c2, sizeof(c2)));
	}
	arr = json_get(d, 0, "workloads");
	for (k = 0; (el = json_at(d, arr, k)) >= 0; k++)
		out_printf(stdout, "  + %s: %s\n", str_at(d, el, "key", a, sizeof(a)),
			   str_at(d, el, "why", b, sizeof(b)));

	out_printf(stdout, "\n%stimeline%s (raw record: cordon events id=EVENT --raw)\n", bold,
		   off);
	arr = json_get(d, 0, "signals");
	for (k = 0; (el = json_at(d, arr, k)) >= 0; k++) {
		int64_t id = -1;

		json_i64(d, json_get(d, el, "event_id"), &id);
		out_printf(stdout, "  %-30s %-8s %-9s %-10s event %-6lld %s\n",
			   str_at(d, el, "ts", a, sizeof(a)), str_at(d, el, "rule", b, sizeof(b)),
			   str_at(d, el, "source", c2, sizeof(c2)),
			   str_at(d, el, "severity", e, sizeof(e)), (long long)id,
			   str_at(d, el, "title", t, sizeof(t)));
		out_printf(stdout, "  %-30s %s\n", "", str_at(d, el, "summary", a, sizeof(a)));
	}
	out_printf(stdout, "\n%sexposed%s\n", bold, off);
	arr = json_get(d, 0, "exposed");
	for (k = 0; (el = json_at(d, arr, k)) >= 0; k++)
		out_printf(stdout, "  %-13s %s  (at %s by %s)\n",
			   str_at(d, el, "kind", a, sizeof(a)),
			   str_at(d, el, "locator", b, sizeof(b)),
			   str_at(d, el, "ts", c2, sizeof(c2)), str_at(d, el, "via", e, sizeof(e)));
	out_printf(stdout, "\n%scredentials%s\n", bold, off);
	arr = json_get(d, 0, "credentials");
	for (k = 0; (el = json_at(d, arr, k)) >= 0; k++) {
		int an = json_get(d, el, "anomalies"), x, i;
		int used = json_raw(d, json_get(d, el, "used_after_exposure")).p[0] == 't';

		out_printf(stdout, "  %-6s %s -> %s  %s", str_at(d, el, "provider", a, sizeof(a)),
			   str_at(d, el, "id", b, sizeof(b)),
			   str_at(d, el, "identity", c2, sizeof(c2)),
			   used ? "USED AFTER EXPOSURE" : "not seen used");
		for (i = 0; (x = json_at(d, an, i)) >= 0; i++)
			out_printf(stdout, "%s%s", i ? "," : " anomalies: ",
				   json_str(d, x, a, sizeof(a), NULL) == CD_OK ? a : "?");
		putchar('\n');
		an = json_get(d, el, "learned");
		if (an >= 0) {
			int ev = json_get(d, an, "evidence");

			out_printf(stdout, "         learned from the logs, confidence %s:\n",
				   str_at(d, an, "confidence", a, sizeof(a)));
			for (i = 0; (x = json_at(d, ev, i)) >= 0; i++)
				out_printf(stdout, "           - %s\n",
					   json_str(d, x, a, sizeof(a), NULL) == CD_OK ? a : "?");
		}
	}
	out_printf(stdout, "\n%sreachable identities%s\n", bold, off);
	arr = json_get(d, 0, "reachable");
	for (k = 0; (el = json_at(d, arr, k)) >= 0; k++) {
		int p = json_get(d, el, "path"), x, i;

		out_printf(stdout, "  %-6s %s\n         via ",
			   str_at(d, el, "provider", a, sizeof(a)),
			   str_at(d, el, "identity", b, sizeof(b)));
		for (i = 0; (x = json_at(d, p, i)) >= 0; i++)
			out_printf(stdout, "%s%s", i ? " -> " : "",
				   json_str(d, x, a, sizeof(a), NULL) == CD_OK ? a : "?");
		putchar('\n');
	}
	out_printf(stdout, "\n%splan%s (cordon revoke plan --incident %s)\n", bold, off,
		   str_at(d, 0, "id", e, sizeof(e)));
	arr = json_get(d, 0, "plan");
	for (k = 0; (el = json_at(d, arr, k)) >= 0; k++)
		out_printf(stdout, "  %2d. %-6s %-22s %s\n      %s\n", k + 1,
			   str_at(d, el, "provider", a, sizeof(a)),
			   str_at(d, el, "action", b, sizeof(b)),
			   str_at(d, el, "target", c2, sizeof(c2)),
			   str_at(d, el, "why", t, sizeof(t)));
}

/* The timeline as CSV (Timesketch's columns first), one row per signal. */
static void
print_timeline_csv(const struct json_doc *d)
{
	static const char *const cols[] = { "rule", "severity", "source", "workload", "summary" };
	int sig = json_get(d, 0, "signals"), n = sig >= 0 ? json_count(d, sig) : 0, k;
	struct buf b;
	size_t c;

	buf_init(&b, (size_t)1 << 20);
	fputs(OUT_CSV_TIMELINE_HEAD ",event_id,rule,severity,source,workload,summary\r\n", stdout);
	for (k = 0; k < n; k++) {
		int e = json_at(d, sig, k), rc;
		char ts[64] = "", msg[1024], title[512] = "", rule[64] = "";
		int64_t ns = 0, id = 0;

		(void)json_str(d, json_get(d, e, "ts"), ts, sizeof(ts), NULL);
		(void)json_str(d, json_get(d, e, "title"), title, sizeof(title), NULL);
		(void)json_str(d, json_get(d, e, "rule"), rule, sizeof(rule), NULL);
		(void)json_i64(d, json_get(d, e, "event_id"), &id);
		if (time_parse_rfc3339((struct span){ ts, strlen(ts) }, &ns) != CD_OK)
			ns = 0;
		snprintf(msg, sizeof(msg), "%s %s", rule, title);
		buf_reset(&b);
		rc = out_csv_cell(&b, msg, strlen(msg));
		rc = rc ? rc : buf_printf(&b, ",%s,signal,%lld,%lld", ts, (long long)(ns / 1000),
					  (long long)id);
		for (c = 0; c < sizeof(cols) / sizeof(cols[0]) && rc == CD_OK; c++) {
			char v[2048] = "";

			rc = buf_addc(&b, ',');
			if (rc == CD_OK && json_str(d, json_get(d, e, cols[c]), v, sizeof(v), NULL) == CD_OK)
				rc = out_csv_cell(&b, v, strlen(v));
		}
		rc = rc ? rc : buf_addstr(&b, "\r\n");
		if (rc == CD_OK)
			fwrite(b.data, 1, b.len, stdout);
	}
	buf_release(&b);
}

static int
cmd_incident(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format fmt = OUT_TABLE;
	struct store *s = NULL;
	sqlite3_stmt *st;
	int c, status = EXIT_ERROR;

	optind = 1;
	while ((c = cmd_getopt(cc->argc, cc->argv, "incident", "h", longopts)) != -1) {
		switch (c) {
		case 'D': cc->db_path = optarg; break;
		case 'F':
			if (out_format_arg(optarg, OUT_F(OUT_TABLE) | OUT_F(OUT_JSON) | OUT_F(OUT_CSV),
					   &fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'h': fputs(show_usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	if (optind + 1 != cc->argc) {
		out_err("give one incident id; `cordon incidents` lists them");
		return EXIT_ERROR;
	}
	if (cmd_open_store(cc, 1, &s) != CD_OK)
		return EXIT_ERROR;
	if (sqlite3_prepare_v2(store_db(s), "SELECT report FROM incidents WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK) {
		out_err("%s: %s", cc->db_path, store_errmsg(s));
		store_close(&s);
		return EXIT_ERROR;
	}
	sqlite3_bind_text(st, 1, cc->argv[optind], -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *report = (const char *)sqlite3_column_text(st, 0);

		if (fmt == OUT_JSON) {
			puts(report);
		} else {
			struct json_doc d;
			struct json_tokens t;

			if (parse_report(report, strlen(report), &d, &t) == CD_OK) {
				if (fmt == OUT_CSV)
					print_timeline_csv(&d);
				else
					print_story(&d, out_color_enabled(stdout));
			}
			json_tokens_release(&t);
		}
		status = EXIT_OK;
	} else {
		out_err("no incident '%s'; `cordon incidents` lists them", cc->argv[optind]);
	}
	sqlite3_finalize(st);
	store_close(&s);
	return status;
}

const struct cmd_entry cmd_incidents_entry = {
	.name = "incidents",
	.summary = "list incidents",
	.usage = list_usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_incidents,
};

const struct cmd_entry cmd_incident_entry = {
	.name = "incident",
	.summary = "show one incident: timeline, exposure, credentials, reach, plan",
	.usage = show_usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_incident,
};
