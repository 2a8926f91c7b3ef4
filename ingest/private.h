/*
 * private.h - what the ingesters and the driver share inside ingest/.
 *
 * An ingester is a const vtable in the static table of registry.c, chosen
 * by probing the head of each input (or by --format).  Two shapes:
 *
 *  ING_JSON   the driver splits the stream into JSON values (NDJSON,
 *             concatenated pretty objects, top-level arrays, and the
 *             {"Records":[...]} / {"items":[...]} wrappers), tokenizes each
 *             with jsmn and calls json_record() once per value.
 *  ING_LINES  the driver splits into lines and calls line(); the ingester
 *             keeps its own state (auditd joins records into events).
 *
 * Ingesters report through ingest_emit() and ingest_reject(); they never
 * touch the store.
 */
#ifndef CORDON_INGEST_PRIVATE_H
#define CORDON_INGEST_PRIVATE_H

#include "ingest.h"

#define ING_JSON  0x1
#define ING_LINES 0x2
/* Its events come from the hosts themselves, one log often many hosts' (a
 * central Falco or syslog): one stream for the source (core/stream.c). */
#define ING_HOST  0x4

struct ingest_ctx;

/* One record as the splitter found it: bytes and where they came from. */
struct ingest_record {
	const char *p;
	size_t n;
	int64_t offset; /* byte offset in the (decompressed) input */
	int64_t line;   /* 1-based line number of the first byte */
};

struct ingester {
	/** MUST: format name, used by --format and stored as events.source */
	const char *name;
	/** MUST: one line for --help */
	const char *summary;
	/** MUST: ING_JSON or ING_LINES */
	unsigned flags;
	/**
	 * MUST: how sure this ingester is that head (the first bytes of the
	 * input, decompressed) is its format.
	 * @retval 0..100  0 = not mine; the highest score wins
	 */
	int (*probe)(const char *head, size_t len);
	/**
	 * ING_JSON MUST: normalize one JSON value.  Emit with ingest_emit();
	 * on bad content return CD_E_PARSE with ingest_set_why() (the driver
	 * records the reject).
	 */
	int (*json_record)(struct ingest_ctx *ctx, const struct json_doc *d,
			   const struct ingest_record *rec);
	/** ING_LINES MUST: set up per-input state. */
	int (*open)(struct ingest_ctx *ctx, void **state);
	/** ING_LINES MUST: one line, without its newline. */
	int (*line)(void *state, struct ingest_ctx *ctx, const struct ingest_record *rec);
	/** ING_LINES MUST: input ended (or paused under --follow): emit what is pending. */
	int (*flush)(void *state, struct ingest_ctx *ctx);
	/**
	 * ING_LINES MAY: lowest input offset a pending (not yet emitted) event
	 * still needs, or -1 when nothing is pending.  The checkpoint never
	 * passes it, so a crash re-reads exactly what was not stored.
	 */
	int64_t (*pending_offset)(void *state, int64_t *line);
	/** ING_LINES MUST: free state and set *state to NULL. */
	void (*close)(void **state);
};

extern const struct ingester *const ingesters[];
const struct ingester *ingester_find(const char *name);

/* The event under construction: reset, filled, emitted. */
struct event *ingest_event(struct ingest_ctx *ctx);
struct ev_arena *ingest_arena(struct ingest_ctx *ctx);
const char *ingest_path(const struct ingest_ctx *ctx);

/*
 * Store the event built in ingest_event() with its evidence (raw bytes,
 * offset, line).  Returns CD_OK, or CD_E_LIMIT if its fields overflowed
 * the arena (the caller rejects the record).
 */
int ingest_emit(struct ingest_ctx *ctx, const char *raw, size_t rawlen, int64_t offset,
		int64_t line);
/* Record a rejected record: reason is copied. */
int ingest_reject(struct ingest_ctx *ctx, const char *raw, size_t rawlen, int64_t offset,
		  int64_t line, const char *reason);
/* For json_record(): why the record is bad (a static string). */
void ingest_set_why(struct ingest_ctx *ctx, const char *why);

/*
 * The event's "extra" field: a small JSON object of source fields that have
 * no column.  Begin, add, end (end stores it in the event).  Values NULL
 * are skipped.
 */
void ingest_extra_begin(struct ingest_ctx *ctx);
struct buf *ingest_extra_buf(struct ingest_ctx *ctx); /* owned by the driver */
void ingest_extra_str(struct ingest_ctx *ctx, const char *key, const char *val);
void ingest_extra_int(struct ingest_ctx *ctx, const char *key, int64_t val);
/* A JSON value copied as-is (the token's exact text). */
/* A JSON value, whitespace removed; a value jsmn let through that is not
 * strict JSON ("tru", "01") is stored as a string instead. */
void ingest_extra_json(struct ingest_ctx *ctx, const char *key, const struct json_doc *d, int tok);
/* Whether token tok is strict JSON (RFC 8259), not just what jsmn accepts. */
int ingest_json_strict(const struct json_doc *d, int tok);
/*
 * JSON text t as the runs of bytes between its whitespace outside strings,
 * so that a pretty and a compact copy of one value give the same bytes
 * (dedup keys, the extra field, inventory conditions).  emit gets each run
 * in order; its first non-zero return stops the walk and is returned.
 */
int ingest_json_runs(struct span t, int (*emit)(void *arg, const char *p, size_t n), void *arg);
/* A list of strings as a JSON array (NULL items as ""). */
void ingest_extra_strv(struct ingest_ctx *ctx, const char *key, const char *const *v, size_t n);
void ingest_extra_end(struct ingest_ctx *ctx);

/* A value that is only an id if it looks like one (not "****", not empty). */
int ingest_plausible_id(const char *s);

/*
 * The store writer (writer.c): store operations queued in order and applied
 * on a second thread.  writer_sync() waits until all are applied; call it
 * before any direct store access.  Returns the first store error, sticky.
 */
struct writer;
int writer_new(struct store *s, int threaded, const struct ingest_observer *obs,
	       struct writer **out);
/* Fault injection (driver.c): the writer stored an event. */
void ingest_test_stored(void);
/* COMMIT, the observer first; only when the writer thread is idle or gone. */
int writer_commit(struct writer *w);
void writer_free(struct writer **w);
/* An event of stream (store_stream_of) with its evidence and dedup key. */
int writer_event(struct writer *w, const struct event *ev, int64_t stream,
		 const struct store_evidence *evd, const unsigned char key[16],
		 struct ingest_input_summary *sum);
/* A reject; counted into sum (may be NULL) once it is stored. */
int writer_reject(struct writer *w, struct ingest_input_summary *sum, int64_t input_id,
		  const char *path, int64_t offset, int64_t line, const char *format,
		  const char *reason, const char *raw, size_t raw_len);
/* Write the input row; with commit, COMMIT and BEGIN: everything queued
 * before is then durable. */
int writer_checkpoint(struct writer *w, const struct store_input *in, int commit);
int writer_sync(struct writer *w);
/* A COMMIT asked for while more is queued waits until the transaction
 * holds n events (default 400,000) or is 5 s old (group commit, writer.c). */
void writer_txn_events(struct writer *w, int64_t n);
/* ...or, while another writer waits for the store, ns old (default 1 s;
 * tests set 0: every COMMIT asked for is taken while someone waits). */
void writer_txn_waited(struct writer *w, int64_t ns);
/* Whether anything was queued since the last COMMIT was queued. */
int writer_dirty(const struct writer *w);
/*
 * Queue a COMMIT if anything is uncommitted: before a wait that can be
 * long (a stream's next bytes, a --follow tick, a file to appear), so the
 * store's write lock is never held while nothing is being written.
 */
int writer_commit_queued(struct writer *w);
/* For direct store writes on the caller's thread (inventories): wait for the
 * writer thread to go idle and make sure a transaction is open. */
int writer_begin(struct writer *w);
/* The first store failure was SQLITE_FULL (disk or store full). */
int writer_full(const struct writer *w);

/*
 * Live receivers (listen.c): one body that arrived whole, as format, into
 * the writer; rejects name path; counted into sum once applied.  The feed
 * keeps its buffers for the next body (up to max_body bytes).
 */
struct ingest_feed;
struct ingest_feed *ingest_feed_new(struct store *s, struct writer *w, const struct ingest_opts *o,
				    int64_t input_id, size_t max_body);
int ingest_feed(struct ingest_feed *f, const char *format, const char *path,
		struct ingest_input_summary *sum, const char *data, size_t len);
void ingest_feed_free(struct ingest_feed **f);

/* The input row the next ingest_feed() names (pulls: one row per object). */
void ingest_feed_input(struct ingest_feed *f, int64_t input_id);

/*
 * Pulls (pull_s3.c, pull_cwlogs.c): `cordon ingest s3://BUCKET/PREFIX` and
 * `cwlogs://LOG_GROUP`.  Each reads what the options select into the store
 * and fills sum with one row for the URL.
 */
struct ingest_pull_opts {
	const char *url;
	int64_t since_ns, until_ns;      /* TIME_NONE: open */
	const char *const *accounts;     /* S3: only these account ids (NULL: all) */
	size_t naccounts;
	const char *const *regions;      /* S3: only these regions; cwlogs: the region */
	size_t nregions;
	const char *profile, *endpoint;  /* AWS profile, S3-compatible or emulator endpoint */
	const char *stream_prefix;       /* cwlogs: --log-stream-prefix */
	int jobs;                        /* S3: parallel GETs */
	int dry_run;                     /* S3: print the plan, fetch nothing */
};
void ingest_catch_signals(void);
int ingest_interrupted(void);
int ingest_pull_s3(struct store *s, const struct ingest_opts *o, const struct ingest_pull_opts *po,
		   struct ingest_summary *sum);
int ingest_pull_cwlogs(struct store *s, const struct ingest_opts *o,
		       const struct ingest_pull_opts *po, struct ingest_summary *sum);

/* byte sources: source.c */
struct source;
int source_open(const char *path, struct source **out, char **cause);
void source_close(struct source **src);
/* Read up to cap decompressed bytes; 0 at (current) end. -1 on error. */
ssize_t source_read(struct source *src, char *buf, size_t cap);
int source_is_compressed(const struct source *src);
/* 1 when a read would not wait, after waiting up to timeout_ms */
int source_wait(const struct source *src, int timeout_ms);
int source_truncated(const struct source *src);
/* why a compressed stream broke off when it was corrupt, not just cut; or NULL */
const char *source_error(const struct source *src);
int64_t source_size(const struct source *src);   /* file size or -1 */
int64_t source_compressed_pos(const struct source *src);
int source_fd(const struct source *src);
/* Skip n decompressed bytes (resume from a checkpoint). */
int source_skip(struct source *src, int64_t n);
/* --follow: what changed on disk: another file at the path (ROTATED), or
 * this one emptied, smaller than consumed or no longer starting with the
 * *head_len bytes that hash to head_sha (TRUNCATED; *head_len 0: nothing to
 * compare).  On SAME the fingerprint is extended to what was consumed, up
 * to head_max bytes. */
enum source_change { SRC_SAME, SRC_ROTATED, SRC_TRUNCATED };
enum source_change source_check(struct source *src, int64_t consumed, int64_t *head_len,
				unsigned char head_sha[32], size_t head_max);
int source_reopen(struct source *src, char **cause);
int source_rewind(struct source *src);

/* splitters: split.c */
struct json_splitter {
	int depth;
	int in_str, esc;
	int mode;             /* SPLIT_TOP, SPLIT_IN_WRAPPER, SPLIT_IN_ARRAY */
	int64_t rec_start;    /* window offset of the current record, or -1 */
	int wrapped;          /* the current top object held a wrapper array */
	int oversize;         /* skipping a record that passed max */
	int64_t over_off, over_line;
	int key_state;        /* wrapper-key detection at depth 1 */
	int64_t key_start;
	int is_wrapper_key;
	int garbage;          /* skipping a non-JSON line at top level */
	int64_t garbage_start;
	int col0;             /* last byte was a newline */
	int64_t line;         /* line number at the scan position */
	int64_t rec_line;
	int64_t base;         /* input offset of window byte 0 */
};

#define SPLIT_TOP        0
#define SPLIT_IN_WRAPPER 1
#define SPLIT_IN_ARRAY   2

enum split_event { SPLIT_NONE, SPLIT_RECORD, SPLIT_REJECT };

struct split_out {
	enum split_event what;
	size_t start, end;  /* window offsets of the record or rejected bytes */
	int64_t line;
	int64_t abs_off;    /* input offset of the record's first byte */
	const char *why;
};

void json_splitter_init(struct json_splitter *sp, int resume_mode, int64_t line);
/*
 * Scan win[*pos..len); stop at the first complete record or reject.
 * Offsets in out are window offsets.  *pos advances.  max bounds a record.
 */
void json_split(struct json_splitter *sp, const char *win, size_t len, size_t *pos, size_t max,
		struct split_out *out);
/* The window offset before which nothing is needed any more. */
size_t json_split_keep_from(const struct json_splitter *sp, size_t pos);
/* Shift internal window offsets after the window dropped n bytes. */
void json_split_shift(struct json_splitter *sp, size_t n);
/* Whether the scan position is between records (a safe checkpoint). */
int json_split_at_boundary(const struct json_splitter *sp);
/* NDJSON: offer the next line as one record (1), or decline (0). */
int json_split_line(struct json_splitter *sp, const char *win, size_t len, size_t *pos, size_t max,
		    struct split_out *out);
/* Whether a parsed line is a wrapper of records, for the scan to unwrap. */
int json_is_wrapper(const struct json_doc *d);
/* Accept the offered line: the scan goes on after it. */
void json_split_line_take(struct json_splitter *sp, size_t *pos, const struct split_out *out);

#endif
