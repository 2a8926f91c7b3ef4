/*
 * audit.c - the actions table: every attempted revocation, hash-chained.
 *
 * Each row's hash is SHA-256 over the previous row's hash and a canonical
 * encoding of the row (every column, length-prefixed, including its id), so
 * editing a row breaks its own hash, deleting one breaks the next row's
 * prev_hash and the id sequence, reordering breaks both.  The chain head
 * (last id and hash) is also kept in meta, so cutting rows off the end is
 * detected too.  Rows are written by one thread only (exec.c queues results
 * to the main thread), each in its own transaction, so the chain cannot
 * fork.  Nothing secret is ever passed in: connectors never put secrets in
 * result text.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define HEAD_KEY "audit_head"

static void
canon_str(struct sha256 *c, const char *name, const char *v)
{
	char len[32];

	sha256_update(c, name, strlen(name));
	if (v == NULL) {
		sha256_update(c, "=-\n", 3);
		return;
	}
	snprintf(len, sizeof(len), "=%zu:", strlen(v));
	sha256_update(c, len, strlen(len));
	sha256_update(c, v, strlen(v));
	sha256_update(c, "\n", 1);
}

static void
canon_int(struct sha256 *c, const char *name, int64_t v, int null)
{
	char num[32];

	if (null) {
		canon_str(c, name, NULL);
		return;
	}
	snprintf(num, sizeof(num), "%lld", (long long)v);
	canon_str(c, name, num);
}

/* The hash of a row given its predecessor's hash. */
static void
row_hash(const unsigned char prev[32], const struct audit_row *r, unsigned char out[32])
{
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, "cordon-audit-v1\n", 16);
	sha256_update(&c, prev, 32);
	canon_int(&c, "id", r->id, 0);
	canon_int(&c, "ts_ns", r->ts_ns, 0);
	canon_str(&c, "who", r->who);
	canon_str(&c, "plan", r->plan);
	canon_str(&c, "provider", r->provider);
	canon_str(&c, "action", r->action);
	canon_str(&c, "target", r->target);
	canon_str(&c, "request", r->request);
	canon_int(&c, "http_status", r->http_status, r->http_status == EV_NULL);
	canon_str(&c, "request_id", r->request_id);
	canon_str(&c, "result", r->result);
	canon_str(&c, "verified", r->verified);
	canon_int(&c, "undo_of", r->undo_of, r->undo_of == EV_NULL);
	canon_str(&c, "undo", r->undo);
	canon_str(&c, "detail", r->detail);
	sha256_final(&c, out);
}

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_int_or_null(sqlite3_stmt *st, int i, int64_t v)
{
	if (v != EV_NULL)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

int
audit_append(struct store *s, struct audit_row *row, char **cause)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	unsigned char prev[32] = { 0 }, hash[32];
	char head[128], hex[65];
	int64_t last = 0;
	int rc;

	*cause = NULL;
	if (store_begin_wait(s, (int64_t)60 * 1000000000LL) != CD_OK) {
		*cause = xstrdup(store_errmsg(s));
		return CD_E_DB;
	}
	if (sqlite3_prepare_v2(db, "SELECT id, hash FROM actions ORDER BY id DESC LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		goto dberr;
	if (sqlite3_step(st) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(prev, sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	st = NULL;
	row->id = last + 1;
	row_hash(prev, row, hash);
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO actions(id, ts_ns, who, plan, provider, action, target, request,"
			       " http_status, request_id, result, verified, undo_of, undo, detail,"
			       " prev_hash, hash) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, row->id);
	sqlite3_bind_int64(st, 2, row->ts_ns);
	bind_text_or_null(st, 3, row->who);
	bind_text_or_null(st, 4, row->plan);
	bind_text_or_null(st, 5, row->provider);
	bind_text_or_null(st, 6, row->action);
	bind_text_or_null(st, 7, row->target);
	bind_text_or_null(st, 8, row->request);
	bind_int_or_null(st, 9, row->http_status);
	bind_text_or_null(st, 10, row->request_id);
	bind_text_or_null(st, 11, row->result);
	bind_text_or_null(st, 12, row->verified);
	bind_int_or_null(st, 13, row->undo_of);
	bind_text_or_null(st, 14, row->undo);
	bind_text_or_null(st, 15, row->detail);
	if (last > 0)
		sqlite3_bind_blob(st, 16, prev, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 16);
	sqlite3_bind_blob(st, 17, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto dberr;
	hex_encode(hash, 32, hex);
	snprintf(head, sizeof(head), "%lld:%s", (long long)row->id, hex);
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('" HEAD_KEY "', ?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, head, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE || store_commit(s) != CD_OK)
		goto dberr;
	return CD_OK;
dberr:
	*cause = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	store_rollback(s);
	return CD_E_DB;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int64_t
col_int(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? EV_NULL : sqlite3_column_int64(st, i);
}

static char *fmt_why(const char *fmt, ...) CD_PRINTF(1, 2);

static char *
fmt_why(const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	return xstrdup(tmp);
}

int
audit_verify(struct store *s, int64_t *rows, int64_t *bad_id, char **why)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	unsigned char prev[32] = { 0 };
	int64_t expect = 1, n = 0;
	int rc, r = CD_OK;

	*rows = 0;
	*bad_id = 0;
	*why = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT id, ts_ns, who, plan, provider, action, target, request, http_status,"
			       " request_id, result, verified, undo_of, undo, detail, prev_hash, hash"
			       " FROM actions ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK) {
		*why = xstrdup(sqlite3_errmsg(db));
		return CD_E_DB;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct audit_row row;
		unsigned char h[32];
		int has_prev = sqlite3_column_type(st, 15) != SQLITE_NULL;

		row.id = sqlite3_column_int64(st, 0);
		row.ts_ns = sqlite3_column_int64(st, 1);
		row.who = col_text(st, 2);
		row.plan = col_text(st, 3);
		row.provider = col_text(st, 4);
		row.action = col_text(st, 5);
		row.target = col_text(st, 6);
		row.request = col_text(st, 7);
		row.http_status = col_int(st, 8);
		row.request_id = col_text(st, 9);
		row.result = col_text(st, 10);
		row.verified = col_text(st, 11);
		row.undo_of = col_int(st, 12);
		row.undo = col_text(st, 13);
		row.detail = col_text(st, 14);
		*bad_id = row.id;
		if (row.id != expect) {
			*why = row.id > expect
				       ? fmt_why("expected row %lld next, found row %lld: rows were deleted",
						 (long long)expect, (long long)row.id)
				       : fmt_why("expected row %lld next, found row %lld: rows were reordered",
						 (long long)expect, (long long)row.id);
			r = CD_E_PARSE;
			break;
		}
		if (expect == 1 ? has_prev
				: (!has_prev || sqlite3_column_bytes(st, 15) != 32 ||
				   memcmp(sqlite3_column_blob(st, 15), prev, 32) != 0)) {
			*why = fmt_why("row %lld does not follow row %lld in the chain: a row was deleted, "
				       "replaced or reordered",
				       (long long)row.id, (long long)row.id - 1);
			r = CD_E_PARSE;
			break;
		}
		row_hash(prev, &row, h);
		if (sqlite3_column_bytes(st, 16) != 32 || memcmp(sqlite3_column_blob(st, 16), h, 32) != 0) {
			*why = fmt_why("row %lld was modified: its content does not match its hash "
				       "(chain position %lld)",
				       (long long)row.id, (long long)expect);
			r = CD_E_PARSE;
			break;
		}
		memcpy(prev, h, 32);
		expect++;
		n++;
	}
	sqlite3_finalize(st);
	*rows = n;
	if (r == CD_OK && rc != SQLITE_DONE) {
		*why = xstrdup(sqlite3_errmsg(db));
		return CD_E_DB;
	}
	if (r != CD_OK)
		return r;
	/* the head in meta: were rows cut off the end? */
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = '" HEAD_KEY "'", -1, &st,
			       NULL) != SQLITE_OK) {
		*why = xstrdup(sqlite3_errmsg(db));
		return CD_E_DB;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *head = col_text(st, 0);
		char want[128], hex[65];

		hex_encode(prev, 32, hex);
		snprintf(want, sizeof(want), "%lld:%s", (long long)n, hex);
		if (head == NULL || strcmp(head, want) != 0) {
			*bad_id = n + 1;
			*why = fmt_why("the chain ends at row %lld but the recorded head is later or "
				       "different: rows after %lld were deleted or the last row replaced",
				       (long long)n, (long long)n);
			r = CD_E_PARSE;
		}
	} else if (n > 0) {
		*bad_id = 0;
		*why = xstrdup("the chain head record is missing");
		r = CD_E_PARSE;
	}
	sqlite3_finalize(st);
	return r;
}

void
audit_who(const char *given, char *out, size_t cap)
{
	const char *user = getenv("USER");
	char host[256] = "";

	if (given != NULL && *given) {
		snprintf(out, cap, "%s", given);
		return;
	}
	if (user == NULL || !*user)
		user = getenv("LOGNAME");
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	snprintf(out, cap, "%s@%s", user && *user ? user : "unknown", host[0] ? host : "localhost");
}
