/*
 * cmd_events.c - `cordon events`: query the evidence store.
 *
 * Filters become one parameterised SQL statement (field names come only
 * from fields.def, values are bound); `field~regex` uses a PCRE2 function
 * registered with SQLite that compiles each pattern once per statement.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <getopt.h>
#include <pcre2.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static const char usage[] =
	"usage: cordon events [options] [FILTER...]\n"
	"\n"
	"List normalized events from the evidence store, newest first.\n"
	"\n"
	"filters (all must hold):\n"
	"  FIELD=VALUE         exact match          e.g. source=auditd  action=sts:AssumeRole\n"
	"  FIELD!=VALUE        not equal (or absent)\n"
	"  FIELD~REGEX         PCRE2 match          e.g. object~'\\.aws/credentials$'\n"
	"  FIELD=              field is absent\n"
	"\n"
	"options:\n"
	"  --db PATH           evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  --since TIME        RFC 3339 time or a duration ago: 90s, 15m, 2h, 7d, 1w\n"
	"  --until TIME        same forms\n"
	"  --source NAME       only this format (same as source=NAME)\n"
	"  -o, --format FMT    table (default), json, ndjson, or csv (Timesketch's\n"
	"                      columns first: message, datetime, timestamp_desc)\n"
	"  --oldest            oldest first\n"
	"  --limit N           at most N events (default 100; 0 = all)\n"
	"  --raw               include each event's original record (tables: under\n"
	"                      its row)\n"
	"  --show-secrets      print values that look like secrets (hidden by default)\n"
	"  --fields            list the field names and exit\n"
	"  -h, --help          this help\n"
	"\n"
	"exit status: 0 events listed (or none matched); 2 usage or store error, or a\n"
	"regex that hit a PCRE2 limit on some event (its answer is unknown).\n";

/*
 * SQL function regexp(pattern, value, field, id): PCRE2, pattern compiled
 * once.  A match that hits a limit fails the query: the row's answer is
 * unknown, and leaving it out would hide it (a logged string chosen to
 * make the pattern backtrack must not make its event disappear).
 */
static void
sql_regexp_free(void *p)
{
	pcre2_code_free(p);
}

static void
sql_regexp(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	pcre2_code *re = sqlite3_get_auxdata(c, 0);
	const unsigned char *s;
	int rc;

	(void)argc;
	if (re == NULL) {
		int err;
		PCRE2_SIZE off;

		re = pcre2_compile(sqlite3_value_text(argv[0]), PCRE2_ZERO_TERMINATED, 0, &err, &off,
				   NULL);
		if (re == NULL) {
			sqlite3_result_error(c, "invalid regular expression", -1);
			return;
		}
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		sqlite3_set_auxdata(c, 0, re, sql_regexp_free);
		re = sqlite3_get_auxdata(c, 0);
		if (re == NULL) {
			sqlite3_result_error_nomem(c);
			return;
		}
	}
	s = sqlite3_value_text(argv[1]);
	if (s == NULL) {
		sqlite3_result_int(c, 0);
		return;
	}
	rc = regex_match(re, (const char *)s, (size_t)sqlite3_value_bytes(argv[1]));
	if (rc < 0) {
		char why[200], *msg;

		msg = sqlite3_mprintf(
			"%s~'%s' %s on event %lld (a %d-byte value), so whether that event matches is"
			" unknown; the query stops rather than leave it out. Rewrite the pattern without"
			" nested repeats (e.g. 'a+$' for '(a+)+$'), or narrow the query first"
			" (FIELD=VALUE, --since, --source)",
			(const char *)sqlite3_value_text(argv[2]), (const char *)sqlite3_value_text(argv[0]),
			regex_strerror(rc, why, sizeof(why)), (long long)sqlite3_value_int64(argv[3]),
			sqlite3_value_bytes(argv[1]));
		if (msg == NULL) {
			sqlite3_result_error_nomem(c);
			return;
		}
		sqlite3_result_error(c, msg, -1);
		sqlite3_free(msg);
		return;
	}
	sqlite3_result_int(c, rc);
}

/* *cause: a message as out_err prints it (its %s escaped for a terminal) */
static char *
cause_of(const char *fmt, ...) CD_PRINTF(1, 2);

static char *
cause_of(const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char *r;

	buf_init(&b, 8192);
	va_start(ap, fmt);
	if (out_vbprintf(&b, fmt, ap) != CD_OK) {
		/* cut at the cap */
	}
	va_end(ap);
	r = buf_detach(&b, NULL);
	buf_release(&b);
	return r;
}

static int
check_regex(const char *pattern, char **cause)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off,
				       NULL);
	PCRE2_UCHAR msg[256];

	if (re != NULL) {
		pcre2_code_free(re);
		return CD_OK;
	}
	pcre2_get_error_message(err, msg, sizeof(msg));
	*cause = cause_of("bad regular expression '%s' at offset %zu: %s", pattern, (size_t)off,
			  (char *)msg);
	return CD_E_REGEX;
}

int
ev_filter_parse(const char *arg, struct ev_filter *out, char **cause)
{
	const char *op = strpbrk(arg, "=~!");
	char name[64];
	size_t n;

	*cause = NULL;
	if (op == NULL || op == arg || (size_t)(op - arg) >= sizeof(name)) {
		*cause = cause_of("bad filter '%s': use FIELD=VALUE, FIELD!=VALUE or FIELD~REGEX", arg);
		return CD_E_USAGE;
	}
	n = (size_t)(op - arg);
	memcpy(name, arg, n);
	name[n] = '\0';
	/* the row id is filterable too: reports link evidence as "event N" */
	static const struct ev_field id_field = { "id", EV_T_INT, 0, "event id" };

	out->f = strcmp(name, "id") == 0 ? &id_field : ev_field_find(name);
	if (out->f == NULL) {
		*cause = cause_of("unknown field '%s'; `cordon events --fields` lists them", name);
		return CD_E_USAGE;
	}
	if (op[0] == '!' && op[1] == '=') {
		out->op = '!';
		out->value = op + 2;
	} else if (op[0] == '=' || op[0] == '~') {
		out->op = op[0];
		out->value = op + 1;
	} else {
		*cause = cause_of("bad filter '%s': use FIELD=VALUE, FIELD!=VALUE or FIELD~REGEX", arg);
		return CD_E_USAGE;
	}
	if (out->op == '~')
		return check_regex(out->value, cause);
	return CD_OK;
}

void
ev_filter_register(struct store *s)
{
	sqlite3_create_function(store_db(s), "regexp", 4, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				sql_regexp, NULL, NULL);
}

int
ev_filter_sql(struct buf *sql, const struct ev_filter *f, int n)
{
	int i, rc = CD_OK;

	for (i = 0; i < n && rc == CD_OK; i++) {
		const char *name = f[i].f->name;

		if (f[i].op == '=' && *f[i].value == '\0')
			rc = buf_printf(sql, " AND e.%s IS NULL", name);
		else if (f[i].op == '=' && strcmp(name, "actor") == 0)
			rc = buf_addstr(sql, " AND e.actor_key = ? AND e.actor = ?"); /* indexed */
		else if (f[i].op == '=')
			rc = buf_printf(sql, " AND e.%s = ?", name);
		else if (f[i].op == '!')
			rc = buf_printf(sql, " AND e.%s IS NOT ?", name);
		else
			rc = buf_printf(sql, " AND regexp(?, e.%s, '%s', e.id)", name, name);
	}
	return rc;
}

enum timepage_mode
ev_filter_paging(const struct ev_filter *f, int n)
{
	static const char *const indexed[] = {
		"src_ip", "container_id", "pod_uid", "issued_cred", "id",
	};
	enum timepage_mode mode = TP_RINGS;
	size_t k;
	int i;

	for (i = 0; i < n; i++) {
		if (f[i].op != '=' || *f[i].value == '\0')
			continue;
		/* a key used all day every day: its newest page reads its newest
		 * hours, not every use to sort them */
		if (strcmp(f[i].f->name, "cred_id") == 0 || strcmp(f[i].f->name, "actor") == 0)
			return TP_HOURS;
		for (k = 0; k < sizeof(indexed) / sizeof(indexed[0]); k++)
			if (strcmp(f[i].f->name, indexed[k]) == 0)
				mode = TP_ONE;
	}
	return mode;
}

int
ev_filter_order(struct buf *sql, const char *dir)
{
	return buf_printf(sql, " ORDER BY e.ts_ns %s, e.id %s", dir, dir);
}

int
ev_filter_bind(struct sqlite3_stmt *st, int *bind, const struct ev_filter *f, int n, char **cause)
{
	int i;

	*cause = NULL;
	for (i = 0; i < n; i++) {
		if (f[i].op == '=' && *f[i].value == '\0')
			continue;
		if (f[i].f->type == EV_T_INT && f[i].op != '~') {
			struct span sp = { f[i].value, strlen(f[i].value) };
			int64_t v;

			if (span_to_i64(sp, &v) != CD_OK) {
				*cause = cause_of("field %s is a number; '%s' is not", f[i].f->name,
						  f[i].value);
				return CD_E_USAGE;
			}
			sqlite3_bind_int64(st, (*bind)++, v);
		} else {
			if (f[i].op == '=' && strcmp(f[i].f->name, "actor") == 0)
				sqlite3_bind_int64(st, (*bind)++, store_text_key(f[i].value));
			sqlite3_bind_text(st, (*bind)++, f[i].value, -1, SQLITE_STATIC);
		}
	}
	return CD_OK;
}

/* Append s (redacted unless show) as a JSON string. */
static int
put_value(struct buf *b, const char *s, int show)
{
	struct buf r;
	int rc;

	if (show || s == NULL)
		return json_put_str(b, s);
	buf_init(&r, (size_t)64 << 20);
	rc = redact(s, &r);
	if (rc == CD_OK)
		rc = json_put_strn(b, r.data, r.len);
	buf_release(&r);
	return rc;
}

static int
row_json(struct store *s, sqlite3_stmt *st, struct buf *b, int raw, int show)
{
	size_t i;
	int rc = buf_printf(b, "{\"id\":%lld", (long long)sqlite3_column_int64(st, 0));
	char t[48];

	for (i = 0; i < ev_nfields && rc == CD_OK; i++) {
		int col = (int)i + 1;

		if (sqlite3_column_type(st, col) == SQLITE_NULL)
			continue;
		if (ev_fields[i].type == EV_T_INT) {
			rc = buf_printf(b, ",\"%s\":%lld", ev_fields[i].name,
					(long long)sqlite3_column_int64(st, col));
			if (rc == CD_OK && strcmp(ev_fields[i].name, "ts_ns") == 0) {
				time_format(sqlite3_column_int64(st, col), t, sizeof(t));
				rc = buf_printf(b, ",\"time\":\"%s\"", t);
			}
		} else if (strcmp(ev_fields[i].name, "extra") == 0) {
			/* already a JSON object; redact inside it as text */
			struct buf r;

			buf_init(&r, (size_t)64 << 20);
			rc = show ? buf_addstr(&r, (const char *)sqlite3_column_text(st, col))
				  : redact((const char *)sqlite3_column_text(st, col), &r);
			if (rc == CD_OK)
				rc = buf_printf(b, ",\"extra\":%s", r.data);
			buf_release(&r);
		} else {
			rc = buf_printf(b, ",\"%s\":", ev_fields[i].name);
			if (rc == CD_OK)
				rc = put_value(b, (const char *)sqlite3_column_text(st, col), show);
		}
	}
	if (rc == CD_OK) {
		int c = (int)ev_nfields + 1;

		rc = buf_addstr(b, ",\"evidence\":{\"file\":");
		rc = rc ? rc : json_put_str(b, (const char *)sqlite3_column_text(st, c));
		rc = rc ? rc : buf_printf(b, ",\"offset\":%lld,\"line\":%lld,\"bytes\":%lld}",
					  (long long)sqlite3_column_int64(st, c + 1),
					  (long long)sqlite3_column_int64(st, c + 2),
					  (long long)sqlite3_column_int64(st, c + 3));
		if (rc == CD_OK && raw) {
			struct buf r;

			buf_init(&r, (size_t)256 << 20);
			if (store_evidence_get(s, sqlite3_column_int64(st, c + 4),
					       sqlite3_column_int64(st, c + 5),
					       sqlite3_column_int64(st, c + 3), &r) == CD_OK) {
				rc = buf_addstr(b, ",\"raw\":");
				rc = rc ? rc : put_value(b, r.data, show);
			} else {
				rc = buf_addstr(b, ",\"raw\":null");
			}
			buf_release(&r);
		}
	}
	return rc ? rc : buf_addc(b, '}');
}

static const char *
col_text(sqlite3_stmt *st, const char *field)
{
	size_t i;

	for (i = 0; i < ev_nfields; i++)
		if (strcmp(ev_fields[i].name, field) == 0)
			return (const char *)sqlite3_column_text(st, (int)i + 1);
	return NULL;
}

/*
 * One table cell: redacted, escaped (out_escape: a log field is the
 * attacker's text), then cut to width characters, never inside one.  A
 * cell cut at the end shows "~" last; a path (mid) keeps its tail, the
 * file name, and shows "~" where the middle was taken out.
 */
static void
cell_cut(struct buf *line, const char *s, int width, int show, int mid)
{
	struct buf r, e;
	const char *p, *end;
	size_t k = 0, *at = NULL;
	int n = 0, total = 0, rc;

	buf_init(&r, (size_t)1 << 20);
	buf_init(&e, (size_t)4 << 20);
	if (s == NULL)
		s = "-";
	rc = show ? buf_addstr(&r, s) : redact(s, &r);
	if (rc != CD_OK)
		buf_reset(&r);
	if (out_escape(&e, r.data, r.len) != CD_OK)
		buf_reset(&e);
	/* offsets of every character: cutting counts characters, not bytes */
	at = xcalloc(e.len + 2, sizeof(*at));
	for (p = e.data, end = e.data + e.len; p < end; p += k) {
		uint32_t cp;

		if ((k = utf8_decode((const unsigned char *)p, (size_t)(end - p), &cp)) == 0)
			k = 1;
		at[total++] = (size_t)(p - e.data);
	}
	at[total] = e.len;
	if (total <= width) {
		rc = buf_add(line, e.data, e.len);
		n = total;
	} else if (mid && width >= 8) {
		int tail = width / 2, head = width - 1 - tail;
		const char *slash = memrchr(e.data, '/', e.len);

		/* keep the whole file name when it fits in most of the cell */
		if (slash != NULL) {
			int fn = 0;

			while (fn < total && at[total - fn - 1] > (size_t)(slash - e.data))
				fn++;
			if (fn + 1 > tail && fn + 1 <= width - 4) {
				tail = fn + 1;
				head = width - 1 - tail;
			}
		}
		rc = buf_add(line, e.data, at[head]);
		rc = rc ? rc : buf_addc(line, '~');
		rc = rc ? rc : buf_add(line, e.data + at[total - tail], e.len - at[total - tail]);
		n = width;
	} else if (width > 0) {
		rc = buf_add(line, e.data, at[width - 1]);
		rc = rc ? rc : buf_addc(line, '~');
		n = width;
	}
	while (n++ < width)
		rc = buf_addc(line, ' ');
	rc = buf_addc(line, ' ');
	(void)rc;
	free(at);
	buf_release(&e);
	buf_release(&r);
}

static void
cell(struct buf *line, const char *s, int width, int show)
{
	cell_cut(line, s, width, show, 0);
}

static void
row_table(sqlite3_stmt *st, int show)
{
	struct buf line;
	char t[48], wl[160];
	const char *ns = col_text(st, "pod_ns"), *pod = col_text(st, "pod_name"),
		   *cid = col_text(st, "container_id"), *who = col_text(st, "actor");
	int64_t ts = sqlite3_column_int64(st, 1);

	buf_init(&line, (size_t)1 << 20);
	if (sqlite3_column_type(st, 1) == SQLITE_NULL)
		snprintf(t, sizeof(t), "-");
	else
		time_format(ts, t, sizeof(t));
	if (pod != NULL)
		snprintf(wl, sizeof(wl), "%s/%s", ns ? ns : "?", pod);
	else if (cid != NULL)
		snprintf(wl, sizeof(wl), "%.12s", cid);
	else
		snprintf(wl, sizeof(wl), "-");
	if (who == NULL)
		who = col_text(st, "exe");
	if (who == NULL)
		who = col_text(st, "comm");
	cell(&line, t, 30, 1);
	cell(&line, col_text(st, "source"), 10, 1);
	cell(&line, col_text(st, "host"), 18, show);
	cell(&line, wl, 24, show);
	cell(&line, who, 32, show);
	cell(&line, col_text(st, "action"), 24, show);
	cell_cut(&line, col_text(st, "object") ? col_text(st, "object") : col_text(st, "dst"), 40,
		 show, 1);
	cell(&line, col_text(st, "rule"), 24, show);
	cell(&line, col_text(st, "outcome"), 7, 1);
	while (line.len > 0 && line.data[line.len - 1] == ' ')
		line.data[--line.len] = '\0';
	fwrite(line.data, 1, line.len, stdout); /* cells are escaped */
	putchar('\n');
	buf_release(&line);
}

/*
 * CSV for timeline tools: Timesketch's required columns first (message,
 * datetime, timestamp_desc; timestamp in microseconds), then ours.
 */
static const char *const csv_fields[] = { "source", "host", "pod_ns", "pod_name", "container_id",
					  "actor", "exe", "action", "object", "outcome", "rule",
					  "src_ip", "cred_id" };
#define NCSV (sizeof(csv_fields) / sizeof(csv_fields[0]))

static void
csv_header(void)
{
	size_t i;

	fputs(OUT_CSV_TIMELINE_HEAD ",event_id", stdout);
	for (i = 0; i < NCSV; i++)
		printf(",%s", csv_fields[i]);
	fputs("\r\n", stdout);
}

static void
csv_cell(struct buf *b, const char *s, int show)
{
	struct buf r;

	if (s == NULL)
		return;
	buf_init(&r, (size_t)64 << 20);
	if ((show ? buf_addstr(&r, s) : redact(s, &r)) == CD_OK)
		(void)(out_csv_cell(b, r.data, r.len) != CD_OK);
	buf_release(&r);
}

static void
row_csv(sqlite3_stmt *st, struct buf *b, int show)
{
	const char *who = col_text(st, "actor"), *obj = col_text(st, "object");
	char t[48], msg[2048];
	size_t i;
	int rc;

	if (who == NULL)
		who = col_text(st, "exe");
	if (obj == NULL)
		obj = col_text(st, "dst");
	snprintf(msg, sizeof(msg), "%s %s%s%s (%s)%s%s", who ? who : "-",
		 col_text(st, "action") ? col_text(st, "action") : "-", obj ? " " : "", obj ? obj : "",
		 col_text(st, "outcome") ? col_text(st, "outcome") : "-",
		 col_text(st, "rule") ? " rule: " : "", col_text(st, "rule") ? col_text(st, "rule") : "");
	buf_reset(b);
	csv_cell(b, msg, show);
	time_format(sqlite3_column_int64(st, 1), t, sizeof(t));
	rc = buf_printf(b, ",%s,event time,%lld,%lld", t,
			(long long)(sqlite3_column_int64(st, 1) / 1000),
			(long long)sqlite3_column_int64(st, 0));
	for (i = 0; i < NCSV && rc == CD_OK; i++) {
		rc = buf_addc(b, ',');
		csv_cell(b, col_text(st, csv_fields[i]), show);
	}
	rc = rc ? rc : buf_addstr(b, "\r\n");
	if (rc == CD_OK)
		fwrite(b->data, 1, b->len, stdout);
	else
		out_err("event %lld too large to print", (long long)sqlite3_column_int64(st, 0));
}

/* --raw in a table: the original record under its row, escaped. */
static void
raw_under_row(struct store *s, sqlite3_stmt *st, int show)
{
	int c = (int)ev_nfields + 1;
	struct buf r, red;

	buf_init(&r, (size_t)256 << 20);
	buf_init(&red, (size_t)256 << 20);
	if (store_evidence_get(s, sqlite3_column_int64(st, c + 4), sqlite3_column_int64(st, c + 5),
			       sqlite3_column_int64(st, c + 3), &r) == CD_OK) {
		while (r.len > 0 && (r.data[r.len - 1] == '\n' || r.data[r.len - 1] == '\r'))
			r.data[--r.len] = '\0';
		if (!show && redact(r.data, &red) == CD_OK)
			out_printf(stdout, "    %s\n", red.data);
		else
			out_printf(stdout, "    %s\n", r.data);
	} else {
		out_printf(stdout, "    (no raw record kept)\n");
	}
	buf_release(&red);
	buf_release(&r);
}

/* Rows per page of a listing: each page is one short read transaction,
 * its output (about 0.5 MiB of JSON) held in stdout's buffer until then. */
#define PAGE_ROWS 1000
static char out_buf[(size_t)8 << 20]; /* glibc ignores the size without a buffer */
/* ts_ns is the first event field: column 1, after e.id */
#define EV_COL_TS 0

/* One row, as a table line or JSON; rows: how many were written before. */
static int
emit_row(struct store *s, sqlite3_stmt *st, enum out_format fmt, struct buf *out, int raw, int show,
	 int64_t rows)
{
	if (fmt == OUT_TABLE) {
		row_table(st, show);
		if (raw)
			raw_under_row(s, st, show);
		return CD_OK;
	}
	if (fmt == OUT_CSV) {
		row_csv(st, out, show);
		return CD_OK;
	}
	buf_reset(out);
	if (row_json(s, st, out, raw, show) != CD_OK) {
		out_err("event %lld too large to print", (long long)sqlite3_column_int64(st, 0));
		return CD_E_LIMIT;
	}
	if (fmt == OUT_JSON && rows > 0)
		fputc(',', stdout);
	fwrite(out->data, 1, out->len, stdout);
	if (fmt == OUT_NDJSON)
		fputc('\n', stdout);
	return CD_OK;
}

static int
cmd_events(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "source", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'F' },
		{ "oldest", no_argument, NULL, 'o' },
		{ "newest", no_argument, NULL, 'n' },
		{ "limit", required_argument, NULL, 'l' },
		{ "raw", no_argument, NULL, 'r' },
		{ "show-secrets", no_argument, NULL, 'X' },
		{ "fields", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format fmt = OUT_TABLE;
	int64_t now = time_now_ns(), since = EV_NULL, until = EV_NULL, limit = 100;
	struct ev_filter *filters = NULL;
	char *cause = NULL;
	const char *source = NULL;
	struct store *s = NULL;
	sqlite3_stmt *st = NULL;
	struct buf sql, where, out;
	struct timepage tp;
	int c, oldest = 0, raw = 0, show = 0, nfilters = 0, i, bind = 1;
	enum timepage_mode paging;
	int status = EXIT_ERROR, rc;
	int more = 0;
	int64_t rows = 0, cur_ts, cur_id;
	size_t k;

	/* a page's output is buffered and written once the page's read
	 * transaction is over: a listing piped into a pager does not hold a
	 * snapshot (and the WAL frames it pins) while the pager waits.  Set
	 * before anything is written to stdout, or it has no effect. */
	setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	optind = 1;
	while ((c = cmd_getopt(cc->argc, cc->argv, "events", "h", longopts)) != -1) {
		switch (c) {
		case 'D': cc->db_path = optarg; break;
		case 's':
		case 'u':
			if (time_parse_arg(optarg, now, c == 's' ? &since : &until) != CD_OK) {
				out_err("bad time '%s': use RFC 3339 (2025-06-03T10:00:00Z) or a duration like 2h",
					optarg);
				return EXIT_ERROR;
			}
			break;
		case 'S': source = optarg; break;
		case 'F':
			if (out_format_arg(optarg,
					   OUT_F(OUT_TABLE) | OUT_F(OUT_JSON) | OUT_F(OUT_NDJSON) |
						   OUT_F(OUT_CSV),
					   &fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'o': oldest = 1; break;
		case 'n': oldest = 0; break;
		case 'l':
			if (out_parse_count(optarg, "--limit", &limit) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'r': raw = 1; break;
		case 'X': show = 1; break;
		case 'L':
			for (k = 0; k < ev_nfields; k++)
				printf("%-15s %s\n", ev_fields[k].name, ev_fields[k].doc);
			return EXIT_OK;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	filters = xcalloc((size_t)(cc->argc - optind + 1), sizeof(*filters));
	for (i = optind; i < cc->argc; i++)
		if (ev_filter_parse(cc->argv[i], &filters[nfilters++], &cause) != CD_OK) {
			out_err("%s", cause);
			goto out;
		}
	if (cmd_open_store(cc, 1, &s) != CD_OK)
		goto out;
	ev_filter_register(s);

	if (timepage_init(&tp, s, since, until) != CD_OK) {
		out_err("query failed: %s", store_errmsg(s));
		goto out;
	}
	buf_init(&where, 65536);
	rc = buf_addstr(&where, " WHERE 1");
	if (since != EV_NULL)
		rc = rc ? rc : buf_addstr(&where, " AND e.ts_ns >= ?");
	if (until != EV_NULL)
		rc = rc ? rc : buf_addstr(&where, " AND e.ts_ns <= ?");
	if (source != NULL)
		rc = rc ? rc : buf_addstr(&where, " AND e.source = ?");
	rc = rc ? rc : ev_filter_sql(&where, filters, nfilters);
	/* pages in (time, id) order, each its own short read transaction */
	rc = rc ? rc : buf_printf(&where, " AND (e.ts_ns, e.id) %s (?, ?)", oldest ? ">" : "<");
	buf_init(&sql, 65536);
	rc = rc ? rc : buf_addstr(&sql, "SELECT e.id");
	for (k = 0; k < ev_nfields && rc == CD_OK; k++)
		rc = buf_printf(&sql, ", e.%s", ev_fields[k].name);
	rc = rc ? rc : buf_addstr(&sql, ", i.path, e.offset, e.line, e.raw_len, e.seg_id, e.seg_off");
	rc = rc ? rc : buf_addstr(&sql, " FROM events e LEFT JOIN inputs i ON i.id = e.input_id");
	rc = rc ? rc : buf_add(&sql, where.data, where.len);
	/* the ring of time the page is read from (core/timepage.c), unless an
	 * indexed filter finds the rows */
	paging = ev_filter_paging(filters, nfilters);
	rc = rc ? rc : timepage_sql(&sql, paging);
	rc = rc ? rc : ev_filter_order(&sql, oldest ? "ASC" : "DESC");
	rc = rc ? rc : buf_printf(&sql, " LIMIT %d", PAGE_ROWS);
	CD_BUG_ON(rc != CD_OK);
	buf_release(&where);
	if (sqlite3_prepare_v2(store_db(s), sql.data, -1, &st, NULL) != SQLITE_OK) {
		out_err("query failed: %s", store_errmsg(s));
		buf_release(&sql);
		goto out;
	}
	buf_release(&sql);
	if (since != EV_NULL)
		sqlite3_bind_int64(st, bind++, since);
	if (until != EV_NULL)
		sqlite3_bind_int64(st, bind++, until);
	if (source != NULL)
		sqlite3_bind_text(st, bind++, source, -1, SQLITE_STATIC);
	if (ev_filter_bind(st, &bind, filters, nfilters, &cause) != CD_OK) {
		out_err("%s", cause);
		goto out;
	}

	buf_init(&out, (size_t)256 << 20);
	if (fmt == OUT_JSON)
		fputs("{\"events\":[", stdout);
	else if (fmt == OUT_TABLE)
		printf("%-30s %-10s %-18s %-24s %-32s %-24s %-40s %-24s %s\n", "TIME", "SOURCE",
		       "HOST", "WORKLOAD", "ACTOR/PROCESS", "ACTION", "OBJECT", "RULE/ALERT",
		       "OUTCOME");
	else if (fmt == OUT_CSV)
		csv_header();
	cur_ts = oldest ? INT64_MIN : INT64_MAX;
	cur_id = oldest ? INT64_MIN : INT64_MAX;
	rc = SQLITE_DONE;
	for (; !tp.empty;) {
		struct timepage_iter it;
		int64_t page = 0, want = PAGE_ROWS;

		if (limit != 0 && limit - rows + 1 < want)
			want = limit - rows + 1; /* the row past --limit says "more" */
		sqlite3_bind_int64(st, bind, cur_ts);
		sqlite3_bind_int64(st, bind + 1, cur_id);
		if (timepage_iter_start(&it, &tp, st, paging, bind + 2, !oldest,
					oldest ? (cur_ts == INT64_MIN ? tp.first : cur_ts)
					       : (cur_ts == INT64_MAX ? tp.last : cur_ts),
					want) != CD_OK) {
			timepage_iter_end(&it);
			rc = SQLITE_ERROR;
			break;
		}
		while ((rc = timepage_iter_step(&it)) == SQLITE_ROW) {
			if (limit != 0 && rows >= limit) {
				more = 1; /* one row past --limit: the listing was cut */
				break;
			}
			page++;
			cur_id = sqlite3_column_int64(st, 0);
			cur_ts = sqlite3_column_int64(st, 1 + EV_COL_TS);
			if (emit_row(s, st, fmt, &out, raw, show, rows) == CD_OK)
				rows++;
		}
		timepage_iter_end(&it);
		if (limit != 0 && rows >= limit)
			rc = SQLITE_DONE;
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			break;
		fflush(stdout);
		/* a full page at the limit: the next page's first row says "more" */
		if (page < want || more)
			break;
	}
	buf_release(&out);
	if (rc != SQLITE_DONE) {
		/* JSON is left unclosed: a partial list must not parse as a whole one */
		fflush(stdout);
		out_err("query failed: %s", store_errmsg(s));
		goto out;
	}
	if (fmt == OUT_JSON)
		printf("],\"more\":%s}\n", more ? "true" : "false");
	if (more && fmt == OUT_TABLE)
		printf("-- %lld events shown; more match (--limit N for more, --limit 0 for all, or "
		       "narrow the filters)\n",
		       (long long)rows);
	else if (more)
		out_warn("%lld events listed; more match (--limit N for more, --limit 0 for all)",
			 (long long)rows);
	status = EXIT_OK;
out:
	sqlite3_finalize(st);
	store_close(&s);
	free(filters);
	free(cause);
	redact_release();
	return status;
}

const struct cmd_entry cmd_events_entry = {
	.name = "events",
	.summary = "query normalized events: time range, source, field=value, field~regex",
	.usage = usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_events,
};
