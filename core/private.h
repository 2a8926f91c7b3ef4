/*
 * private.h - what store.c, store_trust.c, evidence.c and checkpoint.c share
 * inside core/.
 */
#ifndef CORDON_CORE_PRIVATE_H
#define CORDON_CORE_PRIVATE_H

#include "core.h"

struct sqlite3;
struct evw;
struct evins;

/* WAL pages after which a commit checkpoints (when no checkpointer runs) */
#define STORE_AUTOCHECKPOINT 2000
/* the WAL file is cut back to this after a checkpoint restarts it (bytes) */
#define STORE_WAL_LIMIT_STR "67108864"
/* SQLite's busy timeout of a store connection (ms) */
#define STORE_BUSY_MS 10000
/* how long a closing writer waits for readers to finish its last checkpoint */
#define STORE_CLOSE_CKPT_MS 100

/* FNV-1a over n bytes of s, from h (FNV1A_OFFSET to start): the stored
 * keys of store_text_key and store_stream_of, so never to change. */
#define FNV1A_OFFSET 1469598103934665603ULL
static inline uint64_t
fnv1a_add(uint64_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int evw_init(struct evw **out, struct sqlite3 *db, char **cause);
void evw_free(struct evw **w);
/* Append a record's raw bytes; returns where they will live. */
int evw_append(struct evw *w, const void *raw, size_t n, int64_t *seg, int64_t *off);
/* Give back the n bytes just appended (the row turned out a duplicate). */
void evw_unappend(struct evw *w, size_t n);
/* Before COMMIT: write every segment of this transaction. */
int evw_flush(struct evw *w);
/* After BEGIN: number segments after what the store holds. */
void evw_begin(struct evw *w);
/* After ROLLBACK: drop unwritten segments. */
void evw_abandon(struct evw *w);
/* event_insert.c: event rows, STORE_EVENT_BATCH to a statement */
int evins_init(struct evins **out, struct sqlite3 *db, struct evw *evw, char **cause);
void evins_free(struct evins **x);
int evins_add(struct evins *x, struct store_event_in *in, size_t n);
/* Decompress one segment into out (whose max bounds it). */
int evidence_read_segment(struct sqlite3 *db, int64_t id, struct buf *out);

/*
 * store_turn.c: the writers' queue (docs/writers.md).  turn_open gives the
 * lock file's descriptor or -1 (then the others do nothing and turn_take
 * always succeeds).  A waiting writer calls turn_wait_start, then
 * turn_take until it has the turn, asks SQLite only while it has it, and
 * calls turn_done once it holds the store (or gives up).
 */
int turn_open(const char *store_path);
void turn_wait_start(int fd);
int turn_take(int fd);
void turn_done(int fd);
/* Another writer (another descriptor) is waiting for the store. */
int turn_others_wait(int fd);

/* store.c: run SQL, *cause (if given) gets SQLite's message */
int store_exec_sql(struct sqlite3 *db, const char *sql, char **cause);

/*
 * store_trust.c: what a database is, as far as trusting it goes: whose it
 * is (the application id), its schema version, whether it has tables at
 * all and cordon's, and how many pages the file should hold.
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

struct stat;

int store_read_kind(struct sqlite3 *db, struct store_kind *k); /* an SQLite code */
int store_classify(const struct store_kind *k);                  /* a KIND_ */
/* Read and classify the database on db; a foreign or (check_size) cut one
 * is refused with *cause naming path. */
int store_check_kind(struct sqlite3 *db, const char *path, int check_size, int *kind,
		     struct store_kind *k, char **cause);
/* The path names a regular file of ours nobody else can write, not a
 * symlink; a writer creates a missing one 0600.  *st: what was checked. */
int store_check_file(const char *path, int readonly, struct stat *st, char **cause);
/* SQLite failed on path: damaged, not a database, or its own message. */
int store_sqlite_failed(struct sqlite3 *db, const char *path, char **cause);
/* The file SQLite opened is the one checked (path not swapped since). */
int store_same_file(const char *path, const struct stat *checked, char **cause);
/* Before any write: the header, then a read-only look through SQLite.
 * keep (MAY be NULL): a reader's, set to the probe's own connection when
 * that one is an ordinary read-only connection (the store has a -wal: it
 * is live), so the reader opens the store once, not twice; else NULL. */
int store_probe(const char *path, const struct stat *st, struct sqlite3 **keep, char **cause);
/* A reader refuses what a writer would, a store never written, and a
 * schema version other than this cordon's. */
int store_reader_check(struct sqlite3 *db, const char *path, const struct stat *st,
		       char **cause);

#endif
