/*
 * audit.c - the actions table: every attempted revocation, hash-chained.
 *
 * An action is two rows: its intent (result "intent": who, what, target,
 * the requests it is about to send), committed before anything is sent,
 * and its outcome (done/already/failed, what was read back) after.  An
 * intent whose outcome row never came is "outcome unknown": the action may
 * have been sent.  The pairing is by order: an intent's outcome is the next
 * row with the same who, plan, provider, action and target (AUDIT_NEXT).
 *
 * Each row's hash covers the previous row's hash and a canonical encoding
 * of the row (every column, length-prefixed, including its id), so editing
 * a row breaks its own hash, deleting one breaks the next row's prev_hash
 * and the id sequence, reordering breaks both.  Rows from the key file's
 * first keyed row on are HMAC-SHA256 under that key (auditkey.c), so they
 * cannot be recomputed by someone holding only the database; rows an older
 * cordon wrote before the key existed stay plain SHA-256 and verifiable.
 * The chain head (last id and hash) is kept in meta, and after each run in
 * the witness file outside the store, so cutting rows off the end is
 * detected too.  Rows are written by one thread only (exec.c queues
 * results to the main thread), each batch in its own transaction, so the
 * chain cannot fork.  Nothing secret is ever passed in: connectors never
 * put secrets in result text.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define HEAD_KEY "audit_head"
#define CANON_MAX ((size_t)1 << 20)

static int
canon_str(struct buf *b, const char *name, const char *v)
{
	if (v == NULL)
		return buf_printf(b, "%s=-\n", name);
	if (buf_printf(b, "%s=%zu:", name, strlen(v)) != CD_OK || buf_addstr(b, v) != CD_OK)
		return CD_E_LIMIT;
	return buf_addc(b, '\n');
}

static int
canon_int(struct buf *b, const char *name, int64_t v, int null)
{
	char num[32];

	if (null)
		return canon_str(b, name, NULL);
	snprintf(num, sizeof(num), "%lld", (long long)v);
	return canon_str(b, name, num);
}

/* The canonical encoding of a row (the bytes its hash covers after the
 * version tag and the previous hash). */
static int
row_canon(const struct audit_row *r, struct buf *b)
{
	return canon_int(b, "id", r->id, 0) || canon_int(b, "ts_ns", r->ts_ns, 0) ||
	       canon_str(b, "who", r->who) || canon_str(b, "plan", r->plan) ||
	       canon_str(b, "provider", r->provider) || canon_str(b, "action", r->action) ||
	       canon_str(b, "target", r->target) || canon_str(b, "request", r->request) ||
	       canon_int(b, "http_status", r->http_status, r->http_status == EV_NULL) ||
	       canon_str(b, "request_id", r->request_id) || canon_str(b, "result", r->result) ||
	       canon_str(b, "verified", r->verified) ||
	       canon_int(b, "undo_of", r->undo_of, r->undo_of == EV_NULL) ||
	       canon_str(b, "undo", r->undo) || canon_str(b, "detail", r->detail);
}

/* Whether row id is keyed under k. */
static int
row_keyed(const struct audit_key *k, int64_t id)
{
	return k != NULL && k->present && id >= k->from;
}

/*
 * The hash of a row given its predecessor's hash: v1 (plain SHA-256) for
 * rows before the key's first row, v2 (HMAC-SHA256 under the key) from it
 * on.  CD_E_LIMIT when the row is too large to encode (never written).
 */
static int
row_hash(const struct audit_key *k, const unsigned char prev[32], const struct audit_row *r,
	 unsigned char out[32])
{
	static const char v1[] = "cordon-audit-v1\n", v2[] = "cordon-audit-v2\n";
	int keyed = row_keyed(k, r->id);
	struct buf b;
	int ok;

	buf_init(&b, CANON_MAX);
	ok = buf_addstr(&b, keyed ? v2 : v1) == CD_OK && buf_add(&b, prev, 32) == CD_OK &&
	     row_canon(r, &b) == CD_OK;
	if (ok && keyed) {
		unsigned int n = 32;

		ok = HMAC(EVP_sha256(), k->key, 32, (const unsigned char *)b.data, b.len, out, &n) != NULL &&
		     n == 32;
	} else if (ok) {
		struct sha256 c;

		sha256_init(&c);
		sha256_update(&c, b.data, b.len);
		sha256_final(&c, out);
	}
	buf_release(&b);
	return ok ? CD_OK : CD_E_LIMIT;
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

/* A store in memory (tests) has no place beside it for a key. */
static int
has_side_files(struct store *s)
{
	return strcmp(store_path(s), ":memory:") != 0;
}

int64_t
audit_wait_ns(void)
{
	const char *e = getenv("CORDON_AUDIT_WAIT");
	uint64_t v;

	if (e != NULL && *e) {
		struct span sp = { e, strlen(e) };

		if (span_to_u64(sp, &v) == CD_OK && v <= 3600)
			return (int64_t)v * 1000000000LL;
	}
	return (int64_t)60 * 1000000000LL;
}

/* Insert one row; prev/hash set. */
static int
insert_row(sqlite3 *db, const struct audit_row *row, const unsigned char prev[32], int has_prev,
	   const unsigned char hash[32])
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db,
			       "INSERT INTO actions(id, ts_ns, who, plan, provider, action, target, request,"
			       " http_status, request_id, result, verified, undo_of, undo, detail,"
			       " prev_hash, hash) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
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
	if (has_prev)
		sqlite3_bind_blob(st, 16, prev, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 16);
	sqlite3_bind_blob(st, 17, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CD_OK : CD_E_DB;
}

/* Whether the store's witness recorded a head after row last: then the
 * trail was cut short, and new rows must not bury that. */
static int
witness_ahead(const char *store, int64_t last, char **cause)
{
	struct audit_witness w;
	char path[4200], tmp[4600];
	int64_t max = 0;
	size_t i;
	int r;

	audit_side_path(store, ".witness", path, sizeof(path));
	r = audit_witness_load(path, &w, cause);
	if (r == CD_E_NOTFOUND)
		return 0;
	if (r != CD_OK)
		return 1;
	for (i = 0; i < w.n; i++)
		if (w.e[i].id > max)
			max = w.e[i].id;
	audit_witness_release(&w);
	if (max <= last)
		return 0;
	snprintf(tmp, sizeof(tmp),
		 "the witness %s recorded the trail's head at row %lld, but the trail has %lld rows: it "
		 "was cut short (see `cordon audit verify`); nothing is added to it",
		 path, (long long)max, (long long)last);
	*cause = xstrdup(tmp);
	return 1;
}

int
audit_append_rows(struct store *s, struct audit_row *rows, size_t n, char **cause)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	struct audit_key key;
	unsigned char prev[32] = { 0 }, hash[32];
	char head[128], hex[65], kpath[4200];
	int64_t last = 0, wait = audit_wait_ns();
	size_t i;
	int rc;

	*cause = NULL;
	memset(&key, 0, sizeof(key));
	if (n == 0)
		return CD_OK;
	/* wait for another writer at most `wait`, in steps SQLite can take */
	sqlite3_busy_timeout(db, wait < 10000000000LL ? (int)(wait / 1000000) : 10000);
	if (store_begin_wait(s, wait) != CD_OK) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s (another process holds the store's write lock; waited %lld s)",
			 store_errmsg(s), (long long)(wait / 1000000000LL));
		*cause = xstrdup(tmp);
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
	/* the key is made inside the write transaction: its first keyed row
	 * is the one about to be written, whoever writes it */
	audit_key_path(store_path(s), kpath, sizeof(kpath));
	if (has_side_files(s) && audit_key_ensure(kpath, last + 1, &key, cause) != CD_OK) {
		store_rollback(s);
		return CD_E_IO;
	}
	if (has_side_files(s) && witness_ahead(store_path(s), last, cause)) {
		store_rollback(s);
		audit_key_release(&key);
		return CD_E_IO;
	}
	if (key.present && key.from > last + 1) {
		/* appending would bury a truncation under new rows */
		char tmp[4600];

		snprintf(tmp, sizeof(tmp),
			 "the audit key %s was made when the trail had %lld rows, but it has %lld: the "
			 "trail was cut short, or the key belongs to another store (move it away to start "
			 "a new trail)",
			 kpath, (long long)key.from - 1, (long long)last);
		*cause = xstrdup(tmp);
		store_rollback(s);
		audit_key_release(&key);
		return CD_E_IO;
	}
	for (i = 0; i < n; i++) {
		rows[i].id = last + 1;
		if (row_hash(&key, prev, &rows[i], hash) != CD_OK) {
			*cause = xstrdup("an audit row is too large to encode");
			store_rollback(s);
			audit_key_release(&key);
			return CD_E_LIMIT;
		}
		if (insert_row(db, &rows[i], prev, last > 0, hash) != CD_OK)
			goto dberr;
		memcpy(prev, hash, 32);
		last = rows[i].id;
	}
	hex_encode(prev, 32, hex);
	snprintf(head, sizeof(head), "%lld:%s", (long long)last, hex);
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('" HEAD_KEY "', ?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, head, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE || store_commit(s) != CD_OK)
		goto dberr;
	audit_key_release(&key);
	return CD_OK;
dberr:
	*cause = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	store_rollback(s);
	audit_key_release(&key);
	for (i = 0; i < n; i++)
		rows[i].id = 0;
	return CD_E_DB;
}

int
audit_append(struct store *s, struct audit_row *row, char **cause)
{
	return audit_append_rows(s, row, 1, cause);
}

int
audit_head(struct store *s, int64_t *id, unsigned char hash[32])
{
	sqlite3_stmt *st = NULL;
	int r = CD_E_NOTFOUND;

	*id = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT id, hash FROM actions ORDER BY id DESC LIMIT 1", -1,
			       &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == 32) {
		*id = sqlite3_column_int64(st, 0);
		memcpy(hash, sqlite3_column_blob(st, 1), 32);
		r = CD_OK;
	}
	sqlite3_finalize(st);
	return r;
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

/* The rows of intents whose outcome row never came, oldest first. */
static int
unknown_intents(sqlite3 *db, struct audit_check *ck)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db,
			       "SELECT a.id, a.provider, a.action, a.target FROM actions a"
			       " LEFT JOIN actions o ON o.id = " AUDIT_NEXT("a")
			       " WHERE a.result = 'intent' AND (o.id IS NULL OR o.result = 'intent')"
			       " ORDER BY a.id",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ck->nunknown < 50 &&
		    buf_printf(&ck->unknown, "%sintent row %lld (%s %s %s)", ck->nunknown ? "; " : "",
			       (long long)sqlite3_column_int64(st, 0),
			       (const char *)sqlite3_column_text(st, 1),
			       (const char *)sqlite3_column_text(st, 2),
			       (const char *)sqlite3_column_text(st, 3)) != CD_OK) {
			/* the list is capped; the count is not */
		}
		ck->nunknown++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CD_OK : CD_E_DB;
}

/* Every head the witness recorded must still be in the chain, unchanged. */
static int
check_witness(sqlite3 *db, struct audit_check *ck)
{
	struct audit_witness w;
	sqlite3_stmt *st = NULL;
	size_t i;
	int r;

	if (ck->witness == NULL)
		return CD_OK;
	r = audit_witness_load(ck->witness, &w, &ck->why);
	if (r == CD_E_NOTFOUND && !ck->witness_required) {
		ck->witness_missing = 1;
		return CD_OK;
	}
	if (r == CD_E_NOTFOUND) {
		ck->why = xstrdupf("%s: no such witness file", ck->witness);
		return CD_E_IO;
	}
	if (r != CD_OK)
		return CD_E_IO;
	ck->nwitness = (int64_t)w.n;
	if (sqlite3_prepare_v2(db, "SELECT hash FROM actions WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		audit_witness_release(&w);
		ck->why = xstrdup(sqlite3_errmsg(db));
		return CD_E_DB;
	}
	/* the latest head first: everything after the chain's end is gone */
	for (i = 0; i < w.n; i++)
		if (w.e[i].id > ck->witness_id)
			ck->witness_id = w.e[i].id;
	for (i = 0; i < w.n && r == CD_OK; i++) {
		const struct audit_witness_entry *e = &w.e[i];
		char hex[65];

		hex_encode(e->hash, 32, hex);
		if (e->id == ck->witness_id && e->id > ck->rows) {
			ck->bad_id = ck->rows + 1;
			ck->why = xstrdupf("truncated: the witness recorded the head at row %lld (%.16s...) but "
					  "the chain ends at row %lld: rows after %lld were removed",
					  (long long)e->id, hex, (long long)ck->rows, (long long)ck->rows);
			r = CD_E_PARSE;
		}
	}
	for (i = 0; i < w.n && r == CD_OK; i++) {
		const struct audit_witness_entry *e = &w.e[i];
		char hex[65];

		hex_encode(e->hash, 32, hex);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, e->id);
		if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != 32 ||
		    memcmp(sqlite3_column_blob(st, 0), e->hash, 32) != 0) {
			ck->bad_id = e->id;
			ck->why = xstrdupf("rewritten: the witness recorded row %lld with hash %.16s... but the "
					  "chain holds a different row %lld",
					  (long long)e->id, hex, (long long)e->id);
			r = CD_E_PARSE;
		}
	}
	sqlite3_finalize(st);
	audit_witness_release(&w);
	return r;
}

int
audit_verify(struct store *s, struct audit_check *ck)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	struct audit_key key;
	unsigned char prev[32] = { 0 };
	char kpath[4200];
	int64_t expect = 1, n = 0;
	int rc, r = CD_OK;

	ck->rows = ck->bad_id = ck->keyed_from = ck->nwitness = ck->witness_id = ck->nunknown = 0;
	ck->witness_missing = 0;
	ck->why = NULL;
	buf_init(&ck->unknown, 8192);
	audit_key_path(store_path(s), kpath, sizeof(kpath));
	memset(&key, 0, sizeof(key));
	if (has_side_files(s) && (r = audit_key_load(kpath, &key, &ck->why)) != CD_OK)
		return r == CD_E_PARSE ? CD_E_IO : r;
	ck->keyed_from = key.present ? key.from : 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT id, ts_ns, who, plan, provider, action, target, request, http_status,"
			       " request_id, result, verified, undo_of, undo, detail, prev_hash, hash"
			       " FROM actions ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK) {
		ck->why = xstrdup(sqlite3_errmsg(db));
		audit_key_release(&key);
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
		ck->bad_id = row.id;
		if (row.id != expect) {
			ck->why = row.id > expect
					  ? xstrdupf("expected row %lld next, found row %lld: rows were deleted",
						    (long long)expect, (long long)row.id)
					  : xstrdupf("expected row %lld next, found row %lld: rows were reordered",
						    (long long)expect, (long long)row.id);
			r = CD_E_PARSE;
			break;
		}
		if (expect == 1 ? has_prev
				: (!has_prev || sqlite3_column_bytes(st, 15) != 32 ||
				   memcmp(sqlite3_column_blob(st, 15), prev, 32) != 0)) {
			ck->why = xstrdupf("row %lld does not follow row %lld in the chain: a row was deleted, "
					  "replaced or reordered",
					  (long long)row.id, (long long)row.id - 1);
			r = CD_E_PARSE;
			break;
		}
		if (row_hash(&key, prev, &row, h) != CD_OK || sqlite3_column_bytes(st, 16) != 32 ||
		    memcmp(sqlite3_column_blob(st, 16), h, 32) != 0) {
			if (row_keyed(&key, row.id))
				ck->why = xstrdupf("row %lld was modified or re-forged: its content does not match "
						  "its keyed hash (HMAC-SHA256, key %s)",
						  (long long)row.id, kpath);
			else
				ck->why = xstrdupf("row %lld was modified: its content does not match its hash "
						  "(chain position %lld)%s",
						  (long long)row.id, (long long)expect,
						  key.present ? ""
							      : "; if this store's trail is keyed, its key file "
								"is missing");
			r = CD_E_PARSE;
			break;
		}
		memcpy(prev, h, 32);
		expect++;
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	audit_key_release(&key);
	ck->rows = n;
	if (r == CD_OK && rc != SQLITE_DONE) {
		ck->why = xstrdup(sqlite3_errmsg(db));
		return CD_E_DB;
	}
	if (r != CD_OK)
		return r;
	/* the head in meta: were rows cut off the end? */
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = '" HEAD_KEY "'", -1, &st,
			       NULL) != SQLITE_OK) {
		ck->why = xstrdup(sqlite3_errmsg(db));
		return CD_E_DB;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *head = col_text(st, 0);
		char want[128], hex[65];

		hex_encode(prev, 32, hex);
		snprintf(want, sizeof(want), "%lld:%s", (long long)n, hex);
		if (head == NULL || strcmp(head, want) != 0) {
			ck->bad_id = n + 1;
			ck->why = xstrdupf("the chain ends at row %lld but the recorded head is later or "
					  "different: rows after %lld were deleted or the last row replaced",
					  (long long)n, (long long)n);
			r = CD_E_PARSE;
		}
	} else if (n > 0) {
		ck->bad_id = 0;
		ck->why = xstrdup("the chain head record is missing");
		r = CD_E_PARSE;
	}
	sqlite3_finalize(st);
	if (r != CD_OK)
		return r;
	if (ck->keyed_from > 0 && n < ck->keyed_from - 1) {
		/* the key was made for row `from`: the rows before it existed then */
		ck->bad_id = n + 1;
		ck->why = xstrdupf("truncated: the audit key was made when the chain had %lld rows, it now "
				  "ends at row %lld",
				  (long long)ck->keyed_from - 1, (long long)n);
		return CD_E_PARSE;
	}
	if ((r = check_witness(db, ck)) != CD_OK)
		return r;
	if (unknown_intents(db, ck) != CD_OK) {
		ck->why = xstrdup(sqlite3_errmsg(db));
		return CD_E_DB;
	}
	return CD_OK;
}

void
audit_check_release(struct audit_check *ck)
{
	free(ck->why);
	ck->why = NULL;
	buf_release(&ck->unknown);
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
