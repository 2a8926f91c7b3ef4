/*
 * store.c - the SQLite evidence store: one file per case.
 *
 * WAL mode so the TUI and `cordon events` read while ingest writes; the
 * file is created 0600 before SQLite touches it (it copies the mode to its
 * -wal and -shm files).  The schema is versioned with PRAGMA user_version
 * and only ever migrated forward, one step per version, each in its own
 * write-locked transaction.  A store is trusted only when it is a regular
 * file (not a symlink) of ours that nobody else can write, and cordon's by
 * its PRAGMA application_id; anything else is refused before it is changed.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

struct store {
	sqlite3 *db;
	char *path;
	struct evins *evins;      /* event rows (writers only) */
	struct evw *evw;          /* raw-record segments (writers only) */
	struct buf seg_cache;     /* last segment read back */
	int64_t seg_cache_id;
	sqlite3_stmt *ins_reject;
	sqlite3_stmt *get_input;
	sqlite3_stmt *put_input;
	sqlite3_stmt *upd_input;
};

/* Version N's migration is migrations[N - 1]; never edit a shipped step. */
static const char *const migrations[] = {
	/* 1: the evidence store */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE inputs(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, format TEXT,"
	" dev INTEGER, ino INTEGER, head_len INTEGER, head_sha BLOB,"
	" offset INTEGER NOT NULL DEFAULT 0, line INTEGER NOT NULL DEFAULT 0,"
	" resume INTEGER NOT NULL DEFAULT 0, size_seen INTEGER, updated_ns INTEGER);"
	"CREATE TABLE events(id INTEGER PRIMARY KEY"
#define EV_STR(n, d) ", " #n " TEXT"
#define EV_INT(n, d) ", " #n " INTEGER"
#include "fields.def"
#undef EV_STR
#undef EV_INT
	", dedup BLOB NOT NULL UNIQUE, input_id INTEGER, offset INTEGER, line INTEGER,"
	" raw_len INTEGER, seg_id INTEGER, seg_off INTEGER, actor_key INTEGER);"
	"CREATE TABLE evidence_segments(id INTEGER PRIMARY KEY, codec INTEGER NOT NULL,"
	" raw_len INTEGER NOT NULL, data BLOB NOT NULL);"
	"CREATE TABLE rejects(id INTEGER PRIMARY KEY, input_id INTEGER, path TEXT,"
	" offset INTEGER, line INTEGER, format TEXT, reason TEXT NOT NULL, snippet BLOB,"
	" ts_ns INTEGER);"
	"CREATE INDEX events_ts ON events(ts_ns);"
	"CREATE INDEX events_host_pid ON events(host, pid) WHERE pid IS NOT NULL;"
	"CREATE INDEX events_container ON events(container_id) WHERE container_id IS NOT NULL;"
	"CREATE INDEX events_pod ON events(pod_uid) WHERE pod_uid IS NOT NULL;"
	"CREATE INDEX events_actor ON events(actor_key) WHERE actor_key IS NOT NULL;"
	"CREATE INDEX events_cred ON events(cred_id) WHERE cred_id IS NOT NULL;"
	"CREATE INDEX events_issued ON events(issued_cred) WHERE issued_cred IS NOT NULL;",

	/* 2: the identity graph, the correlator and the revocation trail */
	/* -- identity graph (correlate/graph*.c): typed nodes, typed edges with
	 *    provenance; kinds and edge types are listed in correlate/correlate.h */
	"CREATE TABLE graph_nodes(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,"
	" provider TEXT, label TEXT, attrs TEXT, UNIQUE(kind, key));"
	"CREATE TABLE graph_edges(id INTEGER PRIMARY KEY, src INTEGER NOT NULL, dst INTEGER NOT NULL,"
	" type TEXT NOT NULL, conditional INTEGER NOT NULL DEFAULT 0, origin_input INTEGER,"
	" origin_event INTEGER, origin TEXT, detail TEXT, derived INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE(src, dst, type));"
	"CREATE INDEX graph_edges_dst ON graph_edges(dst, type);"
	"CREATE INDEX graph_edges_input ON graph_edges(origin_input) WHERE origin_input IS NOT NULL;"
	"CREATE INDEX graph_edges_derived ON graph_edges(derived) WHERE derived = 1;"
	/*    policy statements, trust policies, RBAC rules and Vault policy paths
	 *    as read (graph_rules), and what they are attached to (graph_attach):
	 *    the edges derived from them are recomputed when inventory changes */
	"CREATE TABLE graph_rules(id INTEGER PRIMARY KEY, provider TEXT NOT NULL, kind TEXT NOT NULL,"
	" owner TEXT NOT NULL, effect TEXT, actions TEXT, not_action INTEGER NOT NULL DEFAULT 0,"
	" resources TEXT, not_resource INTEGER NOT NULL DEFAULT 0, principals TEXT, names TEXT,"
	" conditional INTEGER NOT NULL DEFAULT 0, cond TEXT, origin_input INTEGER, origin TEXT);"
	"CREATE INDEX graph_rules_input ON graph_rules(origin_input);"
	"CREATE TABLE graph_attach(id INTEGER PRIMARY KEY, provider TEXT NOT NULL, kind TEXT NOT NULL,"
	" subject TEXT NOT NULL, owner TEXT NOT NULL, scope TEXT, origin_input INTEGER, origin TEXT);"
	"CREATE INDEX graph_attach_input ON graph_attach(origin_input);"
	/* -- correlator (correlate/): findings per event and rule, incidents */
	"CREATE TABLE findings(id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, rule TEXT NOT NULL,"
	" class TEXT NOT NULL, severity TEXT NOT NULL, ts_ns INTEGER, workload TEXT, identity TEXT,"
	" cred_id TEXT, summary TEXT, UNIQUE(event_id, rule));"
	"CREATE INDEX findings_ts ON findings(ts_ns);"
	"CREATE TABLE incidents(id TEXT PRIMARY KEY, root TEXT NOT NULL UNIQUE, severity TEXT,"
	" first_ns INTEGER, last_ns INTEGER, opened_ns INTEGER, updated_ns INTEGER,"
	" revision INTEGER NOT NULL DEFAULT 1, digest BLOB, report TEXT NOT NULL);"
	"CREATE TABLE baselines(rule TEXT NOT NULL, entity TEXT NOT NULL, value TEXT NOT NULL,"
	" first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL, n INTEGER NOT NULL,"
	" PRIMARY KEY(rule, entity, value)) WITHOUT ROWID;"
	"CREATE TABLE window_state(rule TEXT NOT NULL, event_id INTEGER NOT NULL,"
	" entity INTEGER NOT NULL, value INTEGER NOT NULL, ts_ns INTEGER NOT NULL,"
	" PRIMARY KEY(rule, event_id)) WITHOUT ROWID;"
	"CREATE INDEX events_created_pods ON events(object) WHERE action = 'create pods';"
	/* -- revocation (revoke/): the hash-chained audit trail of actions */
	"CREATE TABLE actions(id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, who TEXT,"
	" plan TEXT, provider TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,"
	" request TEXT, http_status INTEGER, request_id TEXT, result TEXT NOT NULL,"
	" verified TEXT, undo_of INTEGER, undo TEXT, detail TEXT, prev_hash BLOB, hash BLOB NOT NULL);",

	/*
	 * 3: the dedup key is unique together with the time, (ts_ns, dedup),
	 * instead of alone.  Logs arrive roughly in time order, so the unique
	 * index now grows at its right edge like the table instead of taking
	 * a random 16-byte key per insert (the largest single cost of ingest,
	 * and the one that grew with the store), and it serves time-range
	 * queries, so events_ts goes.  Duplicates are the same: one record
	 * has one time.  SQLite cannot drop a column constraint, so the table
	 * is rebuilt once; rows keep their ids.
	 */
	"CREATE TABLE events_v3(id INTEGER PRIMARY KEY"
#define EV_STR(n, d) ", " #n " TEXT"
#define EV_INT(n, d) ", " #n " INTEGER"
#include "fields.def"
#undef EV_STR
#undef EV_INT
	", dedup BLOB NOT NULL, input_id INTEGER, offset INTEGER, line INTEGER,"
	" raw_len INTEGER, seg_id INTEGER, seg_off INTEGER, actor_key INTEGER);"
	"INSERT INTO events_v3 SELECT * FROM events ORDER BY id;"
	"DROP TABLE events;"
	"ALTER TABLE events_v3 RENAME TO events;"
	"CREATE UNIQUE INDEX events_dedup ON events(ts_ns, dedup);"
	"CREATE INDEX events_host_pid ON events(host, pid) WHERE pid IS NOT NULL;"
	"CREATE INDEX events_container ON events(container_id) WHERE container_id IS NOT NULL;"
	"CREATE INDEX events_pod ON events(pod_uid) WHERE pod_uid IS NOT NULL;"
	"CREATE INDEX events_actor ON events(actor_key) WHERE actor_key IS NOT NULL;"
	"CREATE INDEX events_cred ON events(cred_id) WHERE cred_id IS NOT NULL;"
	"CREATE INDEX events_issued ON events(issued_cred) WHERE issued_cred IS NOT NULL;"
	"CREATE INDEX events_created_pods ON events(object) WHERE action = 'create pods';",

	/*
	 * 4: new evidence segments are zstd frames (codec 3).  Nothing in the
	 * tables changes; the version step is what makes a cordon that only
	 * knows raw deflate refuse the store ("written by a newer cordon")
	 * instead of failing on the first evidence it reads.
	 */
	"INSERT OR REPLACE INTO meta(key, value) VALUES('evidence_codecs', 'stored deflate zstd');",
};

const char *
store_default_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL && *explicit_path)
		return explicit_path;
	env = getenv("CORDON_DB");
	if (env != NULL && *env)
		return env;
	return "cordon.db";
}

static int
exec_sql(sqlite3 *db, const char *sql, char **cause)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (cause)
			*cause = xstrdup(msg ? msg : "unknown SQLite error");
		sqlite3_free(msg);
		return CD_E_DB;
	}
	return CD_OK;
}

/*
 * What a database holds, as far as trusting it goes: whose it is (the
 * application id), its schema version, and whether it has tables at all
 * and cordon's.
 */
struct store_kind {
	uint32_t app_id;
	int version;
	int tables;        /* tables in its schema */
	int cordon_tables; /* how many of the five that schema 1 made */
	int64_t pages;     /* page_count and page_size: what the file should hold */
	int64_t page_size;
};

enum { KIND_NEW, KIND_CORDON, KIND_LEGACY, KIND_FOREIGN };

static int
store_read_kind(sqlite3 *db, struct store_kind *k)
{
	sqlite3_stmt *st;
	int rc;

	memset(k, 0, sizeof(*k));
	rc = sqlite3_prepare_v2(db,
				"SELECT (SELECT application_id FROM pragma_application_id),"
				" (SELECT user_version FROM pragma_user_version),"
				" (SELECT count(*) FROM sqlite_master WHERE type = 'table'),"
				" (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
				"  ('meta', 'inputs', 'events', 'evidence_segments', 'rejects')),"
				" (SELECT page_count FROM pragma_page_count),"
				" (SELECT page_size FROM pragma_page_size)",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		k->app_id = (uint32_t)sqlite3_column_int64(st, 0);
		k->version = sqlite3_column_int(st, 1);
		k->tables = sqlite3_column_int(st, 2);
		k->cordon_tables = sqlite3_column_int(st, 3);
		k->pages = sqlite3_column_int64(st, 4);
		k->page_size = sqlite3_column_int64(st, 5);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
store_classify(const struct store_kind *k)
{
	if (k->app_id == STORE_APPLICATION_ID)
		return KIND_CORDON;
	if (k->app_id != 0)
		return KIND_FOREIGN;
	if (k->tables == 0 && k->version == 0)
		return KIND_NEW;
	/* before application_id: schema 1 made these five with user_version 1 */
	if (k->version >= 1 && k->cordon_tables == 5)
		return KIND_LEGACY;
	return KIND_FOREIGN;
}

static void
cause_foreign(const char *path, const struct store_kind *k, char **cause)
{
	struct buf b;

	buf_init(&b, 1024);
	if (buf_printf(&b, "not a cordon store: %s (application_id 0x%08x", path,
		       (unsigned)k->app_id) != CD_OK ||
	    (k->app_id == 0 && buf_printf(&b, ", user_version %d, %d tables, no cordon schema",
					  k->version, k->tables) != CD_OK) ||
	    buf_printf(&b, "; cordon's is 0x%08x); it was left as it is: pass --db with"
			   " a new path for a new store",
		       (unsigned)STORE_APPLICATION_ID) != CD_OK)
		buf_reset(&b);
	*cause = buf_detach(&b, NULL);
}

static void
cause_damaged(const char *path, const char *what, char **cause)
{
	struct buf b;

	buf_init(&b, 1024);
	if (buf_printf(&b, "store %s is damaged or truncated: %s; restore it from a copy", path,
		       what) != CD_OK)
		buf_reset(&b);
	*cause = buf_detach(&b, NULL);
}

/*
 * SQLite's "not a database" is either a foreign file or a store whose
 * first page is gone: the SQLite magic at the start tells which.
 */
static int
store_sqlite_failed(sqlite3 *db, const char *path, char **cause)
{
	static const char magic[16] = "SQLite format 3";
	int rc = sqlite3_errcode(db) & 0xff;
	char head[16];
	ssize_t n = 0;
	int fd;

	if (rc == SQLITE_CORRUPT) {
		cause_damaged(path, sqlite3_errmsg(db), cause);
		return CD_E_DAMAGED;
	}
	if (rc != SQLITE_NOTADB) {
		*cause = xstrdup(sqlite3_errmsg(db));
		return CD_E_DB;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) >= 0) {
		n = pread(fd, head, sizeof(head), 0);
		close(fd);
	}
	if (n > 0 && memcmp(head, magic, (size_t)n) == 0) {
		cause_damaged(path, "its first page is cut short or overwritten", cause);
		return CD_E_DAMAGED;
	}
	{
		struct buf b;

		buf_init(&b, 1024);
		if (buf_printf(&b, "not a cordon store: %s (not an SQLite database); it was left as"
				   " it is: pass --db with a new path for a new store", path) != CD_OK)
			buf_reset(&b);
		*cause = buf_detach(&b, NULL);
	}
	return CD_E_NOTSTORE;
}

static int store_wal_exists(const char *path);

/*
 * Classify the database on db and say why it is refused.  With
 * check_size, a store whose header counts more pages than the file holds
 * was cut short.  The header and the size are read inside one read
 * transaction (no commit can grow the file in between), and only with no
 * -wal file, where the file alone is the whole store.
 */
static int
store_check_kind(sqlite3 *db, const char *path, int check_size, int *kind, struct store_kind *k,
		 char **cause)
{
	char what[160];
	struct stat st;
	int rc, r = CD_OK;

	if (check_size && exec_sql(db, "BEGIN", cause) != CD_OK)
		return CD_E_DB;
	rc = store_read_kind(db, k);
	if (rc == SQLITE_OK && check_size && k->pages > 0 && k->page_size > 0 &&
	    !store_wal_exists(path) && stat(path, &st) == 0 &&
	    k->pages * k->page_size > (int64_t)st.st_size) {
		snprintf(what, sizeof(what), "%lld bytes on disk, its header says %lld",
			 (long long)st.st_size, (long long)(k->pages * k->page_size));
		cause_damaged(path, what, cause);
		r = CD_E_DAMAGED;
	}
	if (rc != SQLITE_OK)
		r = store_sqlite_failed(db, path, cause);
	if (check_size)
		exec_sql(db, "COMMIT", NULL);
	if (r != CD_OK)
		return r;
	*kind = store_classify(k);
	if (*kind == KIND_FOREIGN) {
		cause_foreign(path, k, cause);
		return CD_E_NOTSTORE;
	}
	return CD_OK;
}

static int
store_set_app_id(sqlite3 *db, char **cause)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d", (int)STORE_APPLICATION_ID);
	return exec_sql(db, sql, cause);
}

/*
 * Create and migrate under the write lock, one step per transaction.  The
 * version is read again inside each transaction: two commands started
 * together on a new store both find version 0 before either has the lock,
 * and only the first may create the tables.  The kind is checked again
 * there too, so nothing is ever written to a database that is not cordon's.
 */
static int
store_migrate(struct store *s, char **cause)
{
	struct store_kind k;
	int target = (int)(sizeof(migrations) / sizeof(migrations[0]));
	int kind = KIND_FOREIGN;
	char sql[64];

	/* the common case, an up-to-date store, takes no write lock */
	if (store_read_kind(s->db, &k) == SQLITE_OK && store_classify(&k) == KIND_CORDON &&
	    k.version == target)
		return CD_OK;
	for (;;) {
		if (exec_sql(s->db, "BEGIN IMMEDIATE", cause) != CD_OK)
			return CD_E_DB;
		if (store_check_kind(s->db, s->path, 0, &kind, &k, cause) != CD_OK) {
			int r = kind == KIND_FOREIGN ? CD_E_NOTSTORE : CD_E_DB;

			exec_sql(s->db, "ROLLBACK", NULL);
			return r;
		}
		if (k.version > target) {
			exec_sql(s->db, "ROLLBACK", NULL);
			*cause = xstrdup(
				"the store was written by a newer cordon; upgrade cordon to read it");
			return CD_E_SCHEMA;
		}
		if (k.version == target && kind == KIND_CORDON) {
			exec_sql(s->db, "ROLLBACK", NULL); /* another writer did it */
			return CD_OK;
		}
		if (kind != KIND_CORDON && store_set_app_id(s->db, cause) != CD_OK) {
			exec_sql(s->db, "ROLLBACK", NULL);
			return CD_E_DB;
		}
		if (k.version < target) {
			if (exec_sql(s->db, migrations[k.version], cause) != CD_OK) {
				exec_sql(s->db, "ROLLBACK", NULL);
				return CD_E_DB;
			}
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", k.version + 1);
			if (exec_sql(s->db, sql, cause) != CD_OK) {
				exec_sql(s->db, "ROLLBACK", NULL);
				return CD_E_DB;
			}
		}
		if (exec_sql(s->db, "COMMIT", cause) != CD_OK) {
			exec_sql(s->db, "ROLLBACK", NULL);
			return CD_E_DB;
		}
	}
}

static int
prepare(struct store *s, sqlite3_stmt **st, const char *sql, char **cause)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		*cause = xstrdup(sqlite3_errmsg(s->db));
		return CD_E_DB;
	}
	return CD_OK;
}

static int
store_prepare(struct store *s, char **cause)
{
	if (evw_init(&s->evw, s->db, cause) != CD_OK ||
	    evins_init(&s->evins, s->db, s->evw, cause) != CD_OK ||
	    prepare(s, &s->ins_reject,
		    "INSERT INTO rejects(input_id, path, offset, line, format, reason, snippet, ts_ns)"
		    " VALUES(?,?,?,?,?,?,?,?)",
		    cause) ||
	    prepare(s, &s->get_input,
		    "SELECT id, format, dev, ino, head_len, head_sha, offset, line, resume, size_seen"
		    " FROM inputs WHERE path = ?",
		    cause) ||
	    prepare(s, &s->put_input,
		    "INSERT INTO inputs(path, format, dev, ino, head_len, head_sha, offset, line,"
		    " resume, size_seen, updated_ns) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
		    cause) ||
	    prepare(s, &s->upd_input,
		    "UPDATE inputs SET format=?, dev=?, ino=?, head_len=?, head_sha=?, offset=?,"
		    " line=?, resume=?, size_seen=?, updated_ns=? WHERE id=?",
		    cause))
		return CD_E_DB;
	return CD_OK;
}

static char *msgf(const char *fmt, ...) CD_PRINTF(1, 2);

/* A cause message of its own (the store's causes name the file). */
static char *
msgf(const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	return xstrdup(tmp);
}

/*
 * Before SQLite sees the path: it names a regular file of ours that only
 * we can write, not a symlink.  A writer creates a missing store 0600
 * itself (SQLite copies the mode to -wal and -shm).  The file is opened
 * O_NOFOLLOW, so the last path component cannot be a symlink; directories
 * above it may be (they are the user's choice of where the case lives).
 * The descriptor is closed before SQLite opens the file: closing a second
 * descriptor later would drop SQLite's POSIX locks on it.
 */
static int
store_check_file(const char *path, int readonly, struct stat *out, char **cause)
{
	int fd = -1;

	if (!readonly) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 && fchmod(fd, 0600) != 0) {
			*cause = xstrdup(strerror(errno));
			close(fd);
			return CD_E_IO;
		}
	}
	if (fd < 0 && (readonly || errno == EEXIST))
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP) {
			*cause = msgf("store %s is a symlink; cordon opens no store through one"
				      " (a link could point it at any file): pass the real path"
				      " with --db", path);
			return CD_E_UNSAFE;
		}
		if (errno == ENOENT && readonly) {
			*cause = xstrdup("no such store; run `cordon ingest` first or pass --db");
			return CD_E_NOTFOUND;
		}
		*cause = xstrdup(strerror(errno));
		return CD_E_IO;
	}
	if (fstat(fd, out) != 0) {
		*cause = xstrdup(strerror(errno));
		close(fd);
		return CD_E_IO;
	}
	close(fd);
	if (!S_ISREG(out->st_mode)) {
		*cause = msgf("store %s is not a regular file", path);
		return CD_E_UNSAFE;
	}
	/* root too: a store another user owns is one that user can rewrite */
	if (out->st_uid != geteuid()) {
		*cause = msgf("store %s belongs to uid %lld, not to you (uid %lld): its owner"
			      " can change the evidence; use a copy of your own (cp %s mine.db)",
			      path, (long long)out->st_uid, (long long)geteuid(), path);
		return CD_E_UNSAFE;
	}
	if (out->st_mode & (S_IWGRP | S_IWOTH)) {
		*cause = msgf("store %s is writable by group or others (mode %04o): anyone"
			      " could have changed the evidence; check it, then chmod 600 %s",
			      path, (unsigned)(out->st_mode & 07777), path);
		return CD_E_UNSAFE;
	}
	return CD_OK;
}

/* The path names the same file that was checked (not swapped since). */
static int
store_same_file(const char *path, const struct stat *checked, char **cause)
{
	struct stat now;

	if (lstat(path, &now) != 0 || now.st_dev != checked->st_dev ||
	    now.st_ino != checked->st_ino) {
		*cause = msgf("store %s was replaced while cordon opened it; check who else"
			      " writes to its directory, then try again", path);
		return CD_E_UNSAFE;
	}
	return CD_OK;
}

static int
store_wal_exists(const char *path)
{
	struct buf b;
	int r;

	buf_init(&b, 8192);
	r = buf_printf(&b, "%s-wal", path) == CD_OK && access(b.data, F_OK) == 0;
	buf_release(&b);
	return r;
}

/*
 * The path as a read-only, immutable SQLite URI: percent-encoded, so a
 * file name with ? or # stays one name.
 */
static char *
store_immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;
	const unsigned char *p;
	int r;

	buf_init(&b, 65536);
	r = buf_addstr(&b, "file:");
	for (p = (const unsigned char *)path; *p && r == CD_OK; p++) {
		char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p) != NULL)
			r = buf_addc(&b, (char)*p);
		else
			r = buf_add(&b, esc, 3);
	}
	if (r == CD_OK)
		r = buf_addstr(&b, "?immutable=1");
	if (r != CD_OK) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/*
 * What the header says before SQLite looks (*refuse: a file refused on it
 * alone), and whether the probe must be immutable: a read-only connection to a WAL-mode
 * database would create -wal and -shm beside it, so a WAL-mode file that is
 * not known to be cordon's (by the application id in its header) and has no
 * -wal file is read immutable.  No WAL writer is at work on it then (one
 * always has its -wal open).  Anything else is read with locks: a file that
 * is cordon's, a rollback-mode file (nothing is created for it), a file that
 * is no database; so a probe never reads a store half-written by a writer
 * creating or migrating it.
 */
static int
store_probe_immutable(const char *path, int *refuse, char **cause)
{
	unsigned char h[100];
	ssize_t n = 0;
	uint32_t app;
	int fd;

	*refuse = CD_OK;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) >= 0) {
		n = pread(fd, h, sizeof(h), 0);
		close(fd);
	}
	if (n <= 0)
		return 0; /* SQLite says what it is */
	/* not even a whole header: decided here, SQLite might take it for WAL */
	if (memcmp(h, "SQLite format 3", (size_t)(n < 16 ? n : 16)) != 0) {
		*cause = msgf("not a cordon store: %s (not an SQLite database); it was left as"
			      " it is: pass --db with a new path for a new store", path);
		*refuse = CD_E_NOTSTORE;
		return 0;
	}
	if (n < (ssize_t)sizeof(h)) {
		cause_damaged(path, "its header is cut short", cause);
		*refuse = CD_E_DAMAGED;
		return 0;
	}
	app = (uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 | (uint32_t)h[70] << 8 | h[71];
	if ((h[18] != 2 && h[19] != 2) || store_wal_exists(path))
		return 0;
	/*
	 * A WAL-mode file at rest (no -wal: nobody writes it) is the whole
	 * store, so a header counting more pages than the file holds is a cut
	 * store, told from the header alone: SQLite would create -wal and
	 * -shm to look.  The size is taken after the -wal check, so a writer
	 * that just finished a checkpoint has finished growing the file.
	 */
	{
		int64_t psize = (int64_t)h[16] << 8 | h[17];
		int64_t pages = (int64_t)h[28] << 24 | (int64_t)h[29] << 16 | (int64_t)h[30] << 8 | h[31];
		struct stat st;
		char what[160];

		if (psize == 1)
			psize = 65536;
		if (memcmp(h + 24, h + 92, 4) == 0 && pages > 0 && psize >= 512 &&
		    stat(path, &st) == 0 && (int64_t)st.st_size < pages * psize) {
			snprintf(what, sizeof(what), "%lld bytes on disk, its header says %lld",
				 (long long)st.st_size, (long long)(pages * psize));
			cause_damaged(path, what, cause);
			*refuse = CD_E_DAMAGED;
			return 0;
		}
	}
	return app != STORE_APPLICATION_ID;
}

/*
 * Look before anything is written: the database is probed through a
 * read-only connection, so a file that is refused is left exactly as it
 * was (no tables, no WAL switch, no journal, no -wal or -shm).
 */
static int
store_probe(const char *path, const struct stat *st, char **cause)
{
	sqlite3 *db = NULL;
	struct store_kind k;
	char *uri = NULL;
	int kind, r, flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;

	if (st->st_size == 0)
		return CD_OK; /* a new store */
	if (store_probe_immutable(path, &r, cause)) {
		if ((uri = store_immutable_uri(path)) == NULL) {
			*cause = xstrdup("store path too long");
			return CD_E_LIMIT;
		}
		flags |= SQLITE_OPEN_URI;
	}
	if (r != CD_OK)
		return r;
	if (sqlite3_open_v2(uri ? uri : path, &db, flags, NULL) != SQLITE_OK) {
		r = db ? store_sqlite_failed(db, path, cause) : CD_E_NOMEM;
		sqlite3_close(db);
		free(uri);
		return r;
	}
	free(uri);
	sqlite3_busy_timeout(db, 10000);
	r = store_check_kind(db, path, 1, &kind, &k, cause);
	sqlite3_close(db);
	return r;
}

/* A reader refuses what a writer would, and a store not yet written. */
static int
store_reader_check(struct store *s, const struct stat *st, char **cause)
{
	struct store_kind k;
	int kind, r;

	if (st->st_size == 0) {
		*cause = msgf("store %s is empty: nothing was ever stored in it, or it was"
			      " truncated (then restore it from a copy)", s->path);
		return CD_E_DAMAGED;
	}
	if ((r = store_check_kind(s->db, s->path, 0, &kind, &k, cause)) != CD_OK)
		return r;
	if (kind == KIND_NEW) {
		*cause = msgf("store %s holds no cordon schema yet; run a writing command"
			      " (cordon ingest) first", s->path);
		return CD_E_NOTFOUND;
	}
	if (k.version != STORE_SCHEMA_VERSION) {
		*cause = xstrdup(k.version > STORE_SCHEMA_VERSION
					 ? "the store was written by a newer cordon"
					 : "the store needs a migration; run any writing command (cordon ingest)");
		return CD_E_SCHEMA;
	}
	return CD_OK;
}

int
store_open(const char *path, int readonly, struct store **out, char **cause)
{
	struct store *s;
	struct stat st;
	int flags, r, mem = strcmp(path, ":memory:") == 0;

	*out = NULL;
	*cause = NULL;
	if (!mem && ((r = store_check_file(path, readonly, &st, cause)) != CD_OK ||
		     (r = store_probe(path, &st, cause)) != CD_OK))
		return r;
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	buf_init(&s->seg_cache, (size_t)1 << 30);
	/* no SQLITE_OPEN_CREATE: the file exists, made by us above */
	flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (mem)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		r = s->db ? store_sqlite_failed(s->db, path, cause) : CD_E_NOMEM;
		store_close(&s);
		return r;
	}
	if (!mem && (r = store_same_file(path, &st, cause)) != CD_OK) {
		store_close(&s);
		return r;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	if (!readonly) {
		/*
		 * Page size (new stores only): once each identity's run in the
		 * actor and credential indexes passes a page, every batch
		 * dirties one leaf per identity, and each dirty leaf is written
		 * whole.  3M CloudTrail records of 2,000 identities took 84 s
		 * with 32 KiB pages, 47 s with 16 KiB and 57 s with 8 KiB; 200,000
		 * records of a few identities are about as fast at 16 as at 32.
		 * A writer's cache holds those leaves: evicted, each is written
		 * again and again.  WAL comes after the migration, once the
		 * file is known to be cordon's.
		 */
		if ((r = exec_sql(s->db,
				  "PRAGMA page_size=16384; PRAGMA synchronous=NORMAL;"
				  " PRAGMA cache_size=-65536;",
				  cause)) != CD_OK ||
		    (r = store_migrate(s, cause)) != CD_OK ||
		    (r = exec_sql(s->db, "PRAGMA journal_mode=WAL", cause)) != CD_OK ||
		    (r = sqlite3_wal_autocheckpoint(s->db, STORE_AUTOCHECKPOINT) == SQLITE_OK ? CD_OK
												: CD_E_DB) != CD_OK ||
		    (r = store_prepare(s, cause)) != CD_OK) {
			store_close(&s);
			return r;
		}
	} else {
		exec_sql(s->db, "PRAGMA cache_size=-32768", NULL);
		if (!mem && (r = store_reader_check(s, &st, cause)) != CD_OK) {
			store_close(&s);
			return r;
		}
	}
	*out = s;
	return CD_OK;
}

void
store_close(struct store **sp)
{
	struct store *s = *sp;

	if (s == NULL)
		return;
	evins_free(&s->evins);
	evw_free(&s->evw);
	buf_release(&s->seg_cache);
	sqlite3_finalize(s->ins_reject);
	sqlite3_finalize(s->get_input);
	sqlite3_finalize(s->put_input);
	sqlite3_finalize(s->upd_input);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
	*sp = NULL;
}

struct sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

const char *
store_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

int
store_begin(struct store *s)
{
	int r = exec_sql(s->db, "BEGIN IMMEDIATE", NULL);

	if (r == CD_OK && s->evw != NULL)
		evw_begin(s->evw);
	return r;
}

/*
 * BEGIN IMMEDIATE, waiting as long as another writer (a correlate run, a
 * second ingest) holds the store: a follower must outlast a long
 * correlation rather than stop.  Says so once when the wait gets long.
 */
int
store_begin_wait(struct store *s, int64_t max_ns)
{
	int64_t start = time_now_ns();
	int told = 0;

	for (;;) {
		int rc = store_begin(s);
		int64_t waited;

		if (rc == CD_OK || (sqlite3_errcode(s->db) & 0xff) != SQLITE_BUSY)
			return rc;
		waited = time_now_ns() - start;
		if (waited >= max_ns)
			return rc;
		if (!told && waited > (int64_t)5 * 1000000000LL) {
			out_warn("%s: waiting for another writer to finish (cordon correlate?)",
				 s->path);
			told = 1;
		}
		usleep(50000);
	}
}

int
store_in_transaction(struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int
store_commit(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return CD_OK; /* no transaction open: nothing to commit */
	if (s->evw != NULL && evw_flush(s->evw) != CD_OK)
		return CD_E_DB;
	return exec_sql(s->db, "COMMIT", NULL);
}

int
store_rollback(struct store *s)
{
	if (s->evw != NULL)
		evw_abandon(s->evw);
	if (sqlite3_get_autocommit(s->db))
		return CD_OK;
	return exec_sql(s->db, "ROLLBACK", NULL);
}

int
store_evidence_get(struct store *s, int64_t seg_id, int64_t seg_off, int64_t len, struct buf *out)
{
	int r;

	buf_reset(out);
	if (seg_id <= 0 || seg_off < 0 || len < 0)
		return CD_E_NOTFOUND;
	if (s->seg_cache_id != seg_id) {
		s->seg_cache_id = 0;
		if ((r = evidence_read_segment(s->db, seg_id, &s->seg_cache)) != CD_OK)
			return r;
		s->seg_cache_id = seg_id;
	}
	if ((uint64_t)seg_off + (uint64_t)len > s->seg_cache.len)
		return CD_E_PARSE;
	return buf_add(out, s->seg_cache.data + seg_off, (size_t)len);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	if (v != EV_NULL)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/*
 * FNV-1a, 63 bits: the index key for actor.  Identities are long ARNs and
 * usernames; an integer index is a third the size and compares in one
 * instruction.  Collisions only add candidates: queries also test actor.
 */
int64_t
store_text_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (int64_t)(h >> 1);
}

int
store_events_add(struct store *s, struct store_event_in *in, size_t n)
{
	return evins_add(s->evins, in, n);
}

int
store_reject_add(struct store *s, int64_t input_id, const char *path, int64_t offset, int64_t line,
		 const char *format, const char *reason, const char *raw, size_t raw_len)
{
	sqlite3_stmt *st = s->ins_reject;
	int rc;

	/* keep a bounded snippet: enough to find and read the record, never a dump */
	if (raw_len > 512)
		raw_len = 512;
	bind_int(st, 1, input_id > 0 ? input_id : EV_NULL);
	bind_text(st, 2, path);
	sqlite3_bind_int64(st, 3, offset);
	sqlite3_bind_int64(st, 4, line);
	bind_text(st, 5, format);
	bind_text(st, 6, reason);
	if (raw != NULL)
		sqlite3_bind_blob(st, 7, raw, (int)raw_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, time_now_ns());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? CD_OK : CD_E_DB;
}

int
store_input_get(struct store *s, const char *path, struct store_input *in)
{
	sqlite3_stmt *st = s->get_input;
	int rc, r = CD_E_NOTFOUND;

	memset(in, 0, sizeof(*in));
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *sha = sqlite3_column_blob(st, 5);

		in->id = sqlite3_column_int64(st, 0);
		in->path = xstrdup(path);
		if (sqlite3_column_text(st, 1))
			in->format = xstrdup((const char *)sqlite3_column_text(st, 1));
		in->dev = sqlite3_column_int64(st, 2);
		in->ino = sqlite3_column_int64(st, 3);
		in->head_len = sqlite3_column_int64(st, 4);
		if (sha != NULL && sqlite3_column_bytes(st, 5) == 32)
			memcpy(in->head_sha, sha, 32);
		in->offset = sqlite3_column_int64(st, 6);
		in->line = sqlite3_column_int64(st, 7);
		in->resume = sqlite3_column_int64(st, 8);
		in->size_seen = sqlite3_column_int64(st, 9);
		r = CD_OK;
	} else if (rc != SQLITE_DONE) {
		r = CD_E_DB;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

int
store_input_put(struct store *s, struct store_input *in)
{
	sqlite3_stmt *st = in->id ? s->upd_input : s->put_input;
	int rc, c = 1;

	if (!in->id)
		sqlite3_bind_text(st, c++, in->path, -1, SQLITE_STATIC);
	bind_text(st, c++, in->format);
	sqlite3_bind_int64(st, c++, in->dev);
	sqlite3_bind_int64(st, c++, in->ino);
	sqlite3_bind_int64(st, c++, in->head_len);
	sqlite3_bind_blob(st, c++, in->head_sha, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, c++, in->offset);
	sqlite3_bind_int64(st, c++, in->line);
	sqlite3_bind_int64(st, c++, in->resume);
	sqlite3_bind_int64(st, c++, in->size_seen);
	sqlite3_bind_int64(st, c++, time_now_ns());
	if (in->id)
		sqlite3_bind_int64(st, c++, in->id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return CD_E_DB;
	if (!in->id)
		in->id = sqlite3_last_insert_rowid(s->db);
	return CD_OK;
}

void
store_input_release(struct store_input *in)
{
	free(in->path);
	free(in->format);
	memset(in, 0, sizeof(*in));
}

int64_t
store_count(struct store *s, const char *table)
{
	sqlite3_stmt *st;
	char sql[128];
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
