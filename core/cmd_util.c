/*
 * cmd_util.c - what every command does the same way: take --format from
 * the formats it supports, and open the store named by --db / $CORDON_DB,
 * each with the one error message users learn.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core.h"

static const char *const format_names[] = { "table", "json", "ndjson", "csv" };

int
out_format_arg(const char *arg, unsigned allowed, enum out_format *f)
{
	enum out_format got;
	struct buf b;
	size_t i, n = 0, k = 0;
	unsigned native = allowed;

	if (allowed & OUT_F(OUT_JSON))
		allowed |= OUT_F(OUT_NDJSON);
	if (out_format_parse(arg, &got) == 0 && (allowed & OUT_F(got)))
		/* one document, already printed on one line, is ndjson too */
		*f = got == OUT_NDJSON && !(native & OUT_F(OUT_NDJSON)) ? OUT_JSON : got;
	else {
		for (i = 0; i < 4; i++)
			n += (allowed & OUT_F(i)) != 0;
		buf_init(&b, 256);
		for (i = 0; i < 4; i++) {
			if (!(allowed & OUT_F(i)))
				continue;
			k++;
			if (buf_printf(&b, "%s%s", k == 1 ? "" : k == n ? " or " : ", ",
				       format_names[i]) != CD_OK)
				break;
		}
		out_err("--format takes %s, not '%s'", b.data, arg);
		buf_release(&b);
		return CD_E_USAGE;
	}
	return CD_OK;
}

int
cmd_getopt(int argc, char **argv, const char *cmd, const char *shortopts,
	   const struct option *longopts)
{
	const struct option *o;
	char so[64];
	int c, li = -1, fmt = 0;
	const char *bad;

	for (o = longopts; o->name != NULL; o++)
		if (strcmp(o->name, "format") == 0)
			fmt = o->val;
	/* ':' first (after a '+' or '-' mode): a missing value is ':' */
	if (*shortopts == '+' || *shortopts == '-')
		snprintf(so, sizeof(so), "%c:%s%s", *shortopts, shortopts + 1, fmt ? "o:" : "");
	else
		snprintf(so, sizeof(so), ":%s%s", shortopts, fmt ? "o:" : "");
	opterr = 0;
	c = getopt_long(argc, argv, so, longopts, &li);
	if (c == 'o' && li < 0 && fmt)
		return fmt;
	if (c != '?' && c != ':')
		return c;
	bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	if (c == ':')
		out_err("%s: option '%s' needs a value; see `cordon %s --help`", cmd, bad, cmd);
	else if (optopt != 0 && strncmp(bad, "--", 2) == 0)
		out_err("%s: option '%s' takes no value; see `cordon %s --help`", cmd, bad, cmd);
	else if (optopt != 0)
		out_err("%s: unknown option '-%c'; see `cordon %s --help`", cmd, optopt, cmd);
	else
		out_err("%s: unknown option '%s'; see `cordon %s --help`", cmd, bad, cmd);
	return CMD_OPT_BAD;
}

int
cmd_open_store(struct cmd_ctx *cc, int readonly, struct store **s)
{
	char *cause = NULL;
	int r;

	cc->db_path = store_default_path(cc->db_path);
	if ((r = store_open(cc->db_path, readonly, s, &cause)) != CD_OK) {
		/* these causes name the file themselves */
		if (r == CD_E_NOTSTORE || r == CD_E_DAMAGED || r == CD_E_UNSAFE)
			out_err("%s", cause);
		else
			out_err("%s: %s", cc->db_path, cause);
		free(cause);
		return CD_E_DB;
	}
	return CD_OK;
}

int
store_meta_get_int(struct store *s, const char *key, int64_t *val)
{
	sqlite3_stmt *st;
	int rc = CD_E_NOTFOUND;

	if (sqlite3_prepare_v2(store_db(s), "SELECT value FROM meta WHERE key = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*val = sqlite3_column_int64(st, 0);
		rc = CD_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_meta_set_int(struct store *s, const char *key, int64_t val)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, val);
	rc = sqlite3_step(st) == SQLITE_DONE ? CD_OK : CD_E_DB;
	sqlite3_finalize(st);
	return rc;
}
