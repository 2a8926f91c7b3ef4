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
#include <limits.h>
#include <signal.h>
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
	int64_t tx_start_ns;      /* when this connection's write transaction began, or 0 */
	int64_t tx_longest_ns;    /* the longest write transaction it held */
	int64_t wait_longest_ns;  /* the longest store_begin_wait waited for the lock */
	int turn_fd;              /* the writers' queue (store_turn.c), -1: none, -2: not yet open */
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

	/*
	 * 5: `whois` answers from the credential index alone.  It reads every
	 * use of a key (its count, first and last time, and the addresses,
	 * agents and sources it was used from, with the latest action of
	 * each); through the old index on cred_id alone each use was a row of
	 * its own page (5,000 uses of a key on a 10M-event store: 5,000 page
	 * reads, most of a second).  This index holds those columns (a covering
	 * index) and keeps cred_id first, so every query on cred_id uses it.
	 */
	"CREATE INDEX events_cred_use ON events(cred_id, ts_ns, src_ip, source, user_agent, action)"
	" WHERE cred_id IS NOT NULL;"
	"DROP INDEX events_cred;",

	/*
	 * 6: "anything from the attacker's address, in any source" is the
	 * first question of an incident (`events src_ip=`, the TUI's pivot):
	 * without an index an address that is rare or absent was a scan of
	 * the whole store (8.6 s on 10M events).  Time second, so the newest
	 * page of an address is read in index order, not sorted.
	 */
	"CREATE INDEX IF NOT EXISTS events_src ON events(src_ip, ts_ns) WHERE src_ip IS NOT NULL;",

	/*
	 * 7: attribution's lookups cost the same on a store of any size.  A
	 * process is placed by (host, pid) at a time: through (host, pid)
	 * alone every earlier process that had the pid was read (pids are
	 * reused, so that grew with the store); with the time third the
	 * lookup lands on the nearest one.  A container's pod is found from
	 * any event that names both: through the container index alone every
	 * event of a container whose logs never name the pod (Falco without
	 * Kubernetes metadata) was read, each run; a partial index of the
	 * events that name a pod answers at once.  Both ran per new finding
	 * (a 60,000-event correlate run spent a third of its time there on a
	 * 2M-event store).
	 */
	"CREATE INDEX IF NOT EXISTS events_host_pid_ts ON events(host, pid, ts_ns) WHERE pid IS NOT NULL;"
	"DROP INDEX IF EXISTS events_host_pid;"
	"CREATE INDEX IF NOT EXISTS events_container_pod ON events(container_id)"
	" WHERE container_id IS NOT NULL AND pod_name IS NOT NULL;"
	/*
	 * The incident pass reads every finding with five columns of its
	 * event each run: one random row of a large events table each (7,000
	 * on a 10M-event store, a fifth of a run).  Kept beside the finding
	 * when it is written (events never change), they are read with it.
	 */
	"CREATE TABLE IF NOT EXISTS finding_events(finding_id INTEGER PRIMARY KEY, source TEXT,"
	" host TEXT, object TEXT, action TEXT, dst TEXT);"
	"INSERT OR IGNORE INTO finding_events SELECT f.id, e.source, e.host, e.object, e.action, e.dst"
	" FROM findings f JOIN events e ON e.id = f.event_id;",

	/*
	 * 8: ingest keeps its rate as the store grows (docs/ingest-scale.md).
	 * The identity indexes were identity-first: every transaction of new
	 * events dirtied the leaf at the end of each active identity's run, a
	 * leaf per identity per index however few events it brought (6,000
	 * leaves, 96 MiB, per transaction once a store holds a few hundred
	 * thousand events of 2,000 identities).  With the hour first, new
	 * events land in their own hour's runs, which share leaves until an
	 * identity has a leaf's worth of events in one hour: a later pass
	 * writes what a pass into an empty store writes.  A lookup by identity
	 * seeks once per hour instead of once (SQLite's skip-scan); it needs
	 * the planner to know an hour holds many rows, which only ANALYZE
	 * tells it, so the rows are written here, as a large store's (cordon
	 * never runs ANALYZE; on a small store the extra seeks are cheap).
	 */
	"DROP INDEX IF EXISTS events_cred_use;"
	"CREATE INDEX events_cred_use ON events(" STORE_HOUR_SQL("ts_ns") ", cred_id, ts_ns, src_ip, source,"
	" user_agent, action) WHERE cred_id IS NOT NULL;"
	"DROP INDEX IF EXISTS events_actor;"
	"CREATE INDEX events_actor ON events(" STORE_HOUR_SQL("ts_ns") ", actor_key)"
	" WHERE actor_key IS NOT NULL;"
	"ANALYZE sqlite_schema;"
	"DELETE FROM sqlite_stat1 WHERE tbl = 'events' AND idx IN ('events_cred_use', 'events_actor');"
	"INSERT INTO sqlite_stat1 VALUES('events', 'events_cred_use', '10000000 72000 36 1 1 1 1 1'),"
	" ('events', 'events_actor', '10000000 72000 36');",

	/*
	 * 9: an incident's attacker addresses include where its containers
	 * connected to since its first signal.  Through the container index
	 * that read every event of each container (a shell alert a minute for
	 * a day: 1,460 rows, each a random page of the table, 0.2-0.35 s of
	 * every correlate run on a 1.4M-event store, growing with the store).
	 * The events that name a destination are few (365 of 1.4M there: the
	 * connects); indexed by container and time, the lookup reads those.
	 */
	"CREATE INDEX IF NOT EXISTS events_dst ON events(container_id, ts_ns) WHERE dst IS NOT NULL;",

	/*
	 * 10: a pass of another account or region for the same days
	 * costs what a pass into an empty store costs (docs/ingest-scale.md).
	 * Every index whose key began with the time (the dedup key) or the
	 * hour (the identity indexes) took such a pass at every point of the
	 * stored range: 200,000 events of another account into a 10M-event
	 * store dirtied every leaf of all three, 2.2 GB written against 0.2 GB
	 * into an empty store.  Keyed by the event's stream (core/stream.c)
	 * first, the dedup key grows at the end of each stream's run, and a new
	 * stream's pass makes a run of its own; the identity indexes take the
	 * stream after the hour, so a pass lands in a run of its own in each
	 * hour.  The dedup key stays unique: a record has one time and one
	 * stream.  A time range is read by a seek per stream (SQLite's
	 * skip-scan, which the sqlite_stat1 rows below ask for), and a page in
	 * time order over all streams ring by ring of time (core/timepage.c).
	 * Rows stored before this have stream 0 and keep it (no rewrite of the
	 * table); new rows get 1..32767, so a record stored before is looked
	 * for under stream 0 too, over the time range the meta rows give
	 * (event_insert.c).
	 */
	"ALTER TABLE events ADD COLUMN stream INTEGER NOT NULL DEFAULT 0;"
	"INSERT OR REPLACE INTO meta(key, value) SELECT 'stream0_first_ns', min(ts_ns) FROM events"
	" HAVING min(ts_ns) IS NOT NULL;"
	"INSERT OR REPLACE INTO meta(key, value) SELECT 'stream0_last_ns', max(ts_ns) FROM events"
	" HAVING max(ts_ns) IS NOT NULL;"
	"DROP INDEX IF EXISTS events_dedup;"
	"CREATE UNIQUE INDEX events_dedup ON events(stream, ts_ns, dedup);"
	"DROP INDEX IF EXISTS events_cred_use;"
	"CREATE INDEX events_cred_use ON events(" STORE_HOUR_SQL("ts_ns") ", stream, cred_id, ts_ns,"
	" src_ip, source, user_agent, action) WHERE cred_id IS NOT NULL;"
	"DROP INDEX IF EXISTS events_actor;"
	"CREATE INDEX events_actor ON events(" STORE_HOUR_SQL("ts_ns") ", stream, actor_key)"
	" WHERE actor_key IS NOT NULL;"
	"DELETE FROM sqlite_stat1 WHERE tbl = 'events'"
	" AND idx IN ('events_dedup', 'events_cred_use', 'events_actor');"
	"INSERT INTO sqlite_stat1 VALUES('events', 'events_dedup', '10000000 1000000 1 1'),"
	" ('events', 'events_cred_use', '10000000 72000 9000 36 1 1 1 1 1 1'),"
	" ('events', 'events_actor', '10000000 72000 9000 36');",

	/*
	 * 11: the identity indexes lead with the stream, then the hour.  Hour
	 * first (schema 10), a pass of another account landed in a run of its
	 * own in each hour, but each run started inside the stored tree: the
	 * leaf there split with its neighbours and the interior pages above
	 * took a new divider, in every hour the pass covered.  200,000 events
	 * of another account into a 10M-event store wrote 310 MiB against 213
	 * MiB into an empty store; stream first, the pass is one run in each
	 * index, as in the dedup key, and wrote 216 MiB (docs/ingest-scale.md).
	 * A later pass of a stream grows the end of that stream's run.  A
	 * lookup by identity seeks once per (stream, hour), as many seeks as
	 * (hour, stream) took; what is lost is the hour order across streams,
	 * which no reader needs (a page by identity sorts what the seeks
	 * find).  The sqlite_stat1 rows keep the skip-scan over both.
	 */
	"DROP INDEX IF EXISTS events_cred_use;"
	"CREATE INDEX events_cred_use ON events(stream, " STORE_HOUR_SQL("ts_ns") ", cred_id, ts_ns,"
	" src_ip, source, user_agent, action) WHERE cred_id IS NOT NULL;"
	"DROP INDEX IF EXISTS events_actor;"
	"CREATE INDEX events_actor ON events(stream, " STORE_HOUR_SQL("ts_ns") ", actor_key)"
	" WHERE actor_key IS NOT NULL;"
	"DELETE FROM sqlite_stat1 WHERE tbl = 'events' AND idx IN ('events_cred_use', 'events_actor');"
	"INSERT INTO sqlite_stat1 VALUES('events', 'events_cred_use', '10000000 1000000 9000 36 1 1 1 1 1 1'),"
	" ('events', 'events_actor', '10000000 1000000 9000 36');",
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
	       "STORE_SCHEMA_VERSION is the number of migrations");

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

int
store_exec_sql(sqlite3 *db, const char *sql, char **cause)
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

static int
store_set_app_id(sqlite3 *db, char **cause)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d", (int)STORE_APPLICATION_ID);
	return store_exec_sql(db, sql, cause);
}

/* CORDON_TEST_KILL_IN_MIGRATION=N: SIGKILL before migration N commits
 * (tests of a crash while a store is created; 0 when unset). */
static int
test_kill_in_migration(void)
{
	const char *v = getenv("CORDON_TEST_KILL_IN_MIGRATION");
	uint64_t n = 0;

	if (v != NULL && span_to_u64((struct span){ v, strlen(v) }, &n) != CD_OK)
		n = 0;
	return (int)n;
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
		if (store_exec_sql(s->db, "BEGIN IMMEDIATE", cause) != CD_OK)
			return CD_E_DB;
		if (store_check_kind(s->db, s->path, 0, &kind, &k, cause) != CD_OK) {
			int r = kind == KIND_FOREIGN ? CD_E_NOTSTORE : CD_E_DB;

			store_exec_sql(s->db, "ROLLBACK", NULL);
			return r;
		}
		if (k.version > target) {
			store_exec_sql(s->db, "ROLLBACK", NULL);
			*cause = xstrdup(
				"the store was written by a newer cordon; upgrade cordon to read it");
			return CD_E_SCHEMA;
		}
		if (k.version == target && kind == KIND_CORDON) {
			store_exec_sql(s->db, "ROLLBACK", NULL); /* another writer did it */
			return CD_OK;
		}
		if (kind != KIND_CORDON && store_set_app_id(s->db, cause) != CD_OK) {
			store_exec_sql(s->db, "ROLLBACK", NULL);
			return CD_E_DB;
		}
		if (k.version < target) {
			if (store_exec_sql(s->db, migrations[k.version], cause) != CD_OK) {
				store_exec_sql(s->db, "ROLLBACK", NULL);
				return CD_E_DB;
			}
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", k.version + 1);
			if (store_exec_sql(s->db, sql, cause) != CD_OK) {
				store_exec_sql(s->db, "ROLLBACK", NULL);
				return CD_E_DB;
			}
		}
		if (k.version + 1 == test_kill_in_migration())
			raise(SIGKILL); /* tests: a crash inside a migration */
		if (store_exec_sql(s->db, "COMMIT", cause) != CD_OK) {
			store_exec_sql(s->db, "ROLLBACK", NULL);
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

int
store_open(const char *path, int readonly, struct store **out, char **cause)
{
	struct store *s;
	struct stat st;
	struct sqlite3 *probed = NULL;
	int flags, r, mem = strcmp(path, ":memory:") == 0;

	*out = NULL;
	*cause = NULL;
	if (!mem && ((r = store_check_file(path, readonly, &st, cause)) != CD_OK ||
		     (r = store_probe(path, &st, readonly ? &probed : NULL, cause)) != CD_OK))
		return r;
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	/* opened when first needed: by then the file is known to be cordon's,
	 * and a refused one never gets a companion */
	s->turn_fd = readonly || mem ? -1 : -2;
	buf_init(&s->seg_cache, (size_t)1 << 30);
	/* no SQLITE_OPEN_CREATE: the file exists, made by us above */
	flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (mem)
		flags |= SQLITE_OPEN_CREATE;
	if (probed != NULL)
		s->db = probed; /* a reader goes on with the probe's connection */
	else if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
				 NULL) != SQLITE_OK) {
		r = s->db ? store_sqlite_failed(s->db, path, cause) : CD_E_NOMEM;
		store_close(&s);
		return r;
	}
	if (!mem && (r = store_same_file(path, &st, cause)) != CD_OK) {
		store_close(&s);
		return r;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 1);
	store_trace_attach(s->db);
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
		if ((r = store_exec_sql(s->db,
				  "PRAGMA page_size=16384; PRAGMA synchronous=NORMAL;"
				  " PRAGMA cache_size=-65536; PRAGMA journal_size_limit=" STORE_WAL_LIMIT_STR ";",
				  cause)) != CD_OK ||
		    (r = store_migrate(s, cause)) != CD_OK ||
		    (r = store_exec_sql(s->db, "PRAGMA journal_mode=WAL", cause)) != CD_OK ||
		    (r = sqlite3_wal_autocheckpoint(s->db, STORE_AUTOCHECKPOINT) == SQLITE_OK ? CD_OK
												: CD_E_DB) != CD_OK ||
		    (r = store_prepare(s, cause)) != CD_OK) {
			store_close(&s);
			return r;
		}
	} else {
		store_exec_sql(s->db, "PRAGMA cache_size=-32768", NULL);
		if (!mem && (r = store_reader_check(s->db, path, &st, cause)) != CD_OK) {
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
	/*
	 * A writer leaving: copy the WAL back and truncate it, so a store
	 * with readers always present does not keep a large WAL between
	 * writers.  It waits for readers briefly only (it holds the write
	 * lock meanwhile); when they stay, the next writer tries again.
	 */
	if (s->db != NULL && !sqlite3_db_readonly(s->db, "main") && strcmp(s->path, ":memory:") != 0 &&
	    sqlite3_get_autocommit(s->db)) {
		sqlite3_busy_timeout(s->db, STORE_CLOSE_CKPT_MS);
		(void)sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	evins_free(&s->evins);
	evw_free(&s->evw);
	buf_release(&s->seg_cache);
	sqlite3_finalize(s->ins_reject);
	sqlite3_finalize(s->get_input);
	sqlite3_finalize(s->put_input);
	sqlite3_finalize(s->upd_input);
	sqlite3_close(s->db);
	if (s->turn_fd >= 0)
		close(s->turn_fd);
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

int64_t
store_wal_size(const struct store *s)
{
	char wal[PATH_MAX];
	struct stat st;

	if (snprintf(wal, sizeof(wal), "%s-wal", s->path) >= (int)sizeof(wal) || stat(wal, &st) != 0)
		return 0;
	return (int64_t)st.st_size;
}

const char *
store_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

/*
 * The store's own timing of its write transactions: from the moment the
 * write lock is ours to COMMIT or ROLLBACK.  Every other writer waits that
 * long at most for this one, so the longest is what a run reports (the
 * writer protocol bounds it; docs/writers.md).
 */
void
store_tx_mark(struct store *s, int begin)
{
	int64_t now = time_now_ns();

	if (begin) {
		s->tx_start_ns = now;
		return;
	}
	if (s->tx_start_ns != 0 && now - s->tx_start_ns > s->tx_longest_ns)
		s->tx_longest_ns = now - s->tx_start_ns;
	s->tx_start_ns = 0;
}

int64_t
store_tx_longest_ns(const struct store *s)
{
	return s->tx_longest_ns;
}

int
store_begin(struct store *s)
{
	int r = store_exec_sql(s->db, "BEGIN IMMEDIATE", NULL);

	if (r == CD_OK)
		store_tx_mark(s, 1);
	if (r == CD_OK && s->evw != NULL)
		evw_begin(s->evw);
	return r;
}

/*
 * BEGIN IMMEDIATE, waiting as long as another writer (a correlate run, a
 * second ingest) holds the store: a follower must outlast a long
 * correlation rather than stop.  The wait is announced and taken in turn
 * (store_turn.c): only the writer whose turn it is asks SQLite, every few
 * milliseconds (SQLite's own busy handler would sleep up to 100 ms a try
 * and lose the lock to the writer that just committed).  Says so once
 * when the wait gets long.
 */
static int
store_turn_fd(struct store *s)
{
	if (s->turn_fd == -2)
		s->turn_fd = turn_open(s->path);
	return s->turn_fd;
}

int
store_begin_wait(struct store *s, int64_t max_ns)
{
	int64_t start = time_now_ns();
	int told = 0, turn = 0, rc = CD_E_DB;

	(void)store_turn_fd(s);

	if (s->turn_fd < 0 || !turn_others_wait(s->turn_fd)) {
		/* nobody waits: take it at once if it is free */
		if ((turn = turn_take(s->turn_fd)) != 0) {
			sqlite3_busy_timeout(s->db, 0);
			rc = store_begin(s);
			sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
			if (rc == CD_OK || (sqlite3_errcode(s->db) & 0xff) != SQLITE_BUSY) {
				turn_done(s->turn_fd);
				return rc;
			}
		}
	}
	turn_wait_start(s->turn_fd);
	sqlite3_busy_timeout(s->db, 0);
	for (;;) {
		int64_t waited;

		if (turn || (turn = turn_take(s->turn_fd)) != 0) {
			rc = store_begin(s);
			if (rc == CD_OK || (sqlite3_errcode(s->db) & 0xff) != SQLITE_BUSY)
				break;
		}
		waited = time_now_ns() - start;
		if (waited >= max_ns) {
			if (!turn)
				rc = store_begin(s); /* once, for SQLite's own message */
			break;
		}
		if (!told && waited > (int64_t)5 * 1000000000LL) {
			out_warn("%s: waiting for another writer to finish (cordon correlate?)",
				 s->path);
			told = 1;
		}
		usleep(turn ? 5000 : 10000);
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	turn_done(s->turn_fd);
	if (time_now_ns() - start > s->wait_longest_ns)
		s->wait_longest_ns = time_now_ns() - start;
	return rc;
}

int64_t
store_wait_longest_ns(const struct store *s)
{
	return s->wait_longest_ns;
}

int
store_writers_waiting(struct store *s)
{
	return turn_others_wait(store_turn_fd(s));
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
	if (store_exec_sql(s->db, "COMMIT", NULL) != CD_OK)
		return CD_E_DB;
	store_tx_mark(s, 0);
	return CD_OK;
}

int
store_rollback(struct store *s)
{
	if (s->evw != NULL)
		evw_abandon(s->evw);
	if (sqlite3_get_autocommit(s->db))
		return CD_OK;
	store_tx_mark(s, 0);
	return store_exec_sql(s->db, "ROLLBACK", NULL);
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
	return (int64_t)(fnv1a_add(FNV1A_OFFSET, s, strlen(s)) >> 1);
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
