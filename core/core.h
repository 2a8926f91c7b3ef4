/*
 * core.h - the public interface of core/: what every other folder shares.
 *
 *   err.c       one error enum (err.def) and cd_strerror()
 *   xmalloc.c   allocation that aborts on exhaustion (never on bad input)
 *   buf.c       bounded, always NUL-terminated byte buffer
 *   strparse.c  cursor parsers for untrusted text (no sscanf/atoi/strtok)
 *   credid.c    one spelling per key-material credential id (certificate serials)
 *   json.c      jsmn token navigation and string decoding
 *   timeutil.c  RFC 3339 / epoch / relative time parsing and formatting
 *   sha256.c    SHA-256 for dedup keys and the audit chain
 *   fields.def  the normalized event fields: one list for struct, SQL, output
 *   event.c     struct event and its bounded per-record arena
 *   store.c     the SQLite evidence store: schema, migrations, inserts
 *   store_trust.c  whether the file at a store path may be trusted
 *   redact.c    hides secret-looking values on output
 *   output.c    JSON/table writers, colour and NO_COLOR
 *   cmd_util.c  what commands share: --format, opening the store, meta rows
 *   main.c      command table and dispatch
 */
#ifndef CORDON_CORE_H
#define CORDON_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* jsmn (Debian libjsmn-dev): declarations only here; json.c holds the code. */
#ifndef JSMN_H
/* parent links make closing a value O(depth), not O(tokens so far):
 * without them a large flat object tokenizes in quadratic time */
#define JSMN_PARENT_LINKS
#define JSMN_HEADER
#include <jsmn.h>
#undef JSMN_HEADER
#endif

#define CORDON_VERSION "0.1.0"

#if defined(__GNUC__)
#define CD_WUR __attribute__((warn_unused_result))
#define CD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CD_NORETURN __attribute__((noreturn))
#else
#define CD_WUR
#define CD_PRINTF(f, a)
#define CD_NORETURN
#endif

/* ---- err.c ------------------------------------------------------------ */

enum cd_err {
#define ERR(name, text) name,
#include "err.def"
#undef ERR
	CD_E__COUNT
};

const char *cd_strerror(int code);

/* Exit statuses shared by every command (documented in README). */
#define EXIT_OK       0 /* done; nothing to report */
#define EXIT_FINDINGS 1 /* done, with something to report: rejects, incidents, failures */
#define EXIT_ERROR    2 /* usage, configuration or store error: nothing trustworthy done */

/* A bug, not bad input: print and abort.  Never used for data problems. */
#define CD_BUG_ON(cond)                                                      \
	do {                                                                   \
		if (cond)                                                      \
			cd_bug(__FILE__, __LINE__, #cond);                     \
	} while (0)
CD_NORETURN void cd_bug(const char *file, int line, const char *what);
CD_NORETURN void cd_fatal(const char *fmt, ...) CD_PRINTF(1, 2);

/* ---- xmalloc.c -------------------------------------------------------- */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* printf into a new string (messages, causes); the caller frees it. */
char *xstrdupf(const char *fmt, ...) CD_PRINTF(1, 2);
char *xstrndup(const char *s, size_t n);
/* Wipe then free: for anything that held a secret. */
void freezero(void *p, size_t n);

/* ---- buf.c ------------------------------------------------------------ */

/*
 * A bounded byte buffer.  Invariants: data is never NULL after buf_init;
 * data[len] == '\0'; len < alloc; len never exceeds max.  An append that
 * would pass max fails with CD_E_LIMIT and leaves the buffer unchanged.
 */
struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
int buf_add(struct buf *b, const void *p, size_t n) CD_WUR;
int buf_addc(struct buf *b, char c) CD_WUR;
int buf_addstr(struct buf *b, const char *s) CD_WUR;
int buf_printf(struct buf *b, const char *fmt, ...) CD_PRINTF(2, 3) CD_WUR;
/* Take ownership of the bytes; the buffer is re-initialised empty. */
char *buf_detach(struct buf *b, size_t *len);
/* Drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);

/* ---- strparse.c ------------------------------------------------------- */

/*
 * A span of bytes that is not NUL-terminated (pointers into a record).
 */
struct span {
	const char *p;
	size_t n;
};

/*
 * Cursor parsers: each takes (const char **cur, const char *end, ...),
 * returns 0 on success and advances *cur, or non-zero and leaves *cur.
 * They chain with ||.
 */
int str_uint64(const char **cur, const char *end, uint64_t *out, uint64_t max);
int str_int64(const char **cur, const char *end, int64_t *out);
int str_char(const char **cur, const char *end, char c);
int str_lit(const char **cur, const char *end, const char *lit);
/* Whole-span conversions (the span must be only the number). */
int span_to_u64(struct span s, uint64_t *out);
int span_to_i64(struct span s, int64_t *out);
int span_eq(struct span s, const char *lit);
int span_prefix(struct span s, const char *lit);
int hexval(int c);
/* Decode hex pairs into out (capacity cap); fails on odd length/non-hex. */
int hex_decode(struct span s, char *out, size_t cap, size_t *outlen);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* ---- credid.c -------------------------------------------------------- */

/*
 * A certificate serial in any spelling (decimal as Vault cert auth and
 * sshd log it, colon-hex as Vault PKI prints it, 0x or plain hex with a
 * letter, or already "X509SERIAL=HEX") as "X509SERIAL=" + lowercase hex of
 * its bytes.  Digits alone are decimal.  CD_E_PARSE for anything else,
 * CD_E_LIMIT past 32 bytes or when cap is short (76 bytes is always enough).
 */
int credid_x509_serial(const char *in, size_t n, char *out, size_t cap);
#define CREDID_MAX 80
/* The key-material kind of a credential id: "x509" (X509SERIAL=, X509SHA256=),
 * "ssh" (SHA256: fingerprints), "spiffe" (spiffe:// ids), else NULL. */
const char *credid_kind(const char *id);

/* ---- json.c ----------------------------------------------------------- */

#define JSON_MAX_TOKENS 131072 /* per record; more is a rejected record */

struct json_doc {
	const char *js; /* the record bytes (not NUL-terminated) */
	size_t len;
	jsmntok_t *tok;
	const int *next; /* next[i]: the token after i's subtree (O(1) skips) */
	int ntok;
};

/* Token storage for json_parse, reused across records. */
struct json_tokens {
	jsmntok_t *tok;
	int *next;
	int cap;
};

enum json_type { JSON_NONE = 0, JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_PRIMITIVE };

/*
 * Tokenize one JSON value.  tok must hold cap tokens.  Returns CD_OK,
 * CD_E_PARSE (with *why set) or CD_E_LIMIT (too many tokens).
 */
int json_parse(struct json_doc *d, const char *js, size_t len, struct json_tokens *t,
	       const char **why);
void json_tokens_init(struct json_tokens *t, int cap);
void json_tokens_release(struct json_tokens *t);
enum json_type json_type(const struct json_doc *d, int i);
/* Index of the token after the whole subtree rooted at i. */
int json_skip(const struct json_doc *d, int i);
/* Value of key in object i, or -1. */
int json_get(const struct json_doc *d, int obj, const char *key);
/* Dotted path: "userIdentity.sessionContext.sessionIssuer.arn"; -1 if absent. */
int json_path(const struct json_doc *d, int obj, const char *path);
/* i-th element of array, or -1. */
int json_at(const struct json_doc *d, int arr, int n);
/* Number of children of an object (keys) or array (elements). */
int json_count(const struct json_doc *d, int i);
/* Raw bytes of a token (strings: without quotes, still escaped). */
struct span json_raw(const struct json_doc *d, int i);
/* Raw bytes of a token including quotes for strings: the exact JSON text. */
struct span json_text(const struct json_doc *d, int i);
int json_is_null(const struct json_doc *d, int i);
/* Decode a string token (escapes, \u incl. surrogates) into out; NUL-terminated. */
int json_str(const struct json_doc *d, int i, char *out, size_t cap, size_t *outlen);
/* Integer value of a primitive or of a string holding an integer. */
int json_i64(const struct json_doc *d, int i, int64_t *out);
/* Key token of an object member pair: iterate with for (k = json_first(d,obj); k > 0; k = json_next(d,obj,k)) */
int json_first(const struct json_doc *d, int obj);
int json_next(const struct json_doc *d, int obj, int key);
int json_key_eq(const struct json_doc *d, int key, const char *lit);
/* Append s as a JSON string literal (with quotes): control characters, DEL
 * and C1 as \u escapes, bytes of no UTF-8 character as \ufffd; the result
 * always parses (RFC 8259) and is valid UTF-8. */
int json_put_str(struct buf *b, const char *s) CD_WUR;
int json_put_strn(struct buf *b, const char *s, size_t n) CD_WUR;
/* Length (1..4) of the valid UTF-8 character at p, with its code point;
 * 0 for a byte that starts none (overlong, surrogate, cut short, > U+10FFFF). */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);
/* C1 controls and the bidi and line-separator controls: escaped on output. */
int utf8_hidden(uint32_t cp);

/* ---- timeutil.c ------------------------------------------------------- */

#define TIME_NONE INT64_MIN

/* RFC 3339 / ISO 8601 ("2025-06-03T10:00:00.123Z", "+02:00", " " separator,
 * "+0000"); returns CD_OK and UTC nanoseconds. */
int time_parse_rfc3339(struct span s, int64_t *ns);
/* "1748944800.123" seconds with fraction. */
int time_parse_epoch(struct span s, int64_t *ns);
/* A command-line time: RFC 3339, or a duration ago ("90s", "15m", "2h", "7d"). */
int time_parse_arg(const char *s, int64_t now_ns, int64_t *ns);
/* A duration: "90s", "15m", "2h", "14d", "1w" -> nanoseconds. */
int time_parse_duration(const char *s, int64_t *ns);
int64_t time_now_ns(void);
/* RFC 3339 UTC with all nine fraction digits, so every time printed has
 * one width ("2025-06-03T10:00:20.500000000Z"); out needs 40 bytes. */
void time_format(int64_t ns, char *out, size_t cap);
/* To the second, no fraction ("2025-06-03T10:00:20Z"): for provider APIs
 * and files that want that form. */
void time_format_sec(int64_t ns, char *out, size_t cap);

/* ---- sha256.c --------------------------------------------------------- */

/* A running SHA-256 (libcrypto): sha256_final ends it and frees it. */
struct sha256 {
	struct evp_md_ctx_st *ctx;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[32]);
void sha256(const void *p, size_t n, unsigned char out[32]);

/* ---- event.c ---------------------------------------------------------- */

#define EV_NULL INT64_MIN /* an absent integer field */

/* The normalized event.  String fields point into the event's arena. */
struct event {
#define EV_STR(name, doc) const char *name;
#define EV_INT(name, doc) int64_t name;
#include "fields.def"
#undef EV_STR
#undef EV_INT
	/* dedup key material: the record's natural id, or NULL for a content hash */
	const char *dedup;
};

enum ev_field_type { EV_T_STR, EV_T_INT };

/* ev_fields[] indexes; EV_NFIELDS sizes per-field arrays (string lengths) */
enum {
#define EV_STR(name, doc) EV_F_##name,
#define EV_INT(name, doc) EV_F_##name,
#include "fields.def"
#undef EV_STR
#undef EV_INT
	EV_NFIELDS
};

struct ev_field {
	const char *name;
	enum ev_field_type type;
	size_t offset;
	const char *doc;
};

extern const struct ev_field ev_fields[];
extern const size_t ev_nfields;
const struct ev_field *ev_field_find(const char *name);

/*
 * Per-record arena for field values.  Fixed capacity chosen at init: a
 * record whose fields do not fit is rejected (CD_E_LIMIT), never grown.
 */
struct ev_arena {
	char *mem;
	size_t used;
	size_t cap;
};

void ev_arena_init(struct ev_arena *a, size_t cap);
void ev_arena_release(struct ev_arena *a);
void ev_reset(struct event *ev, struct ev_arena *a);
/* Copy n bytes as a NUL-terminated string; returns NULL when the arena is full. */
const char *ev_strdup(struct ev_arena *a, const char *p, size_t n);
/* printf into the arena. */
const char *ev_printf(struct ev_arena *a, const char *fmt, ...) CD_PRINTF(2, 3);
/* Copy a decoded JSON string (NULL when absent, null, or arena full). */
const char *ev_json_str(struct ev_arena *a, const struct json_doc *d, int i);
/* Decoded JSON value at a dotted path: strings decoded, other scalars as text. */
const char *ev_json_path(struct ev_arena *a, const struct json_doc *d, int obj, const char *path);
/* Integer at a dotted path, EV_NULL when absent. */
int64_t ev_json_int(const struct json_doc *d, int obj, const char *path);
/* True once any ev_* copy failed for lack of space. */
int ev_arena_full(const struct ev_arena *a);

/*
 * Normalize a container id: strip docker://, containerd://, cri-o://,
 * cri-containerd-, crio-, docker- and a .scope suffix; lowercase; keep only
 * if the remainder is hex.  Returns NULL for "" / "host" / non-hex.
 */
const char *ev_container_id(struct ev_arena *a, const char *s, size_t n);
/* Extract pod uid and container id from a cgroup path (v1 or v2, systemd or cgroupfs). */
void ev_from_cgroup(struct event *ev, struct ev_arena *a, const char *path, size_t n);

/* ---- store.c ---------------------------------------------------------- */

struct store; /* opaque */
struct sqlite3;
struct sqlite3_stmt;

#define STORE_SCHEMA_VERSION 11
/* The hour of an event as the identity indexes key it (schemas 8 and 11);
 * a query that seeks by it must spell it so, over the alias it names. */
#define STORE_HOUR_SQL(ts) ts " / 3600000000000"
/*
 * PRAGMA application_id of every cordon store ("CORD"): a database without
 * it is not cordon's, except a store from before it (recognised by its
 * tables), which gets it on its next write-locked open.
 */
#define STORE_APPLICATION_ID 0x434f5244

/* Resolve the store path: explicit, else $CORDON_DB, else ./cordon.db. */
const char *store_default_path(const char *explicit_path);
/* Open (creating 0600 and migrating as needed). *cause gets a message. */
int store_open(const char *path, int readonly, struct store **out, char **cause);
void store_close(struct store **s);
struct sqlite3 *store_db(struct store *s);
const char *store_path(const struct store *s);
/* CORDON_SQL_TRACE=FILE: log each statement's time, scans, sorts (sqltrace.c). */
void store_trace_attach(struct sqlite3 *db);
/* Size of the store's WAL file in bytes (0: none). */
int64_t store_wal_size(const struct store *s);

/*
 * While a long write runs (an ingest), WAL checkpoints happen on a thread
 * of their own, off the writing thread (checkpoint.c).  Stop before the
 * store closes.  A store that cannot have one just checkpoints inline.
 */
struct store_ckpt;
int store_ckpt_start(struct store *s, struct store_ckpt **out);
void store_ckpt_stop(struct store_ckpt **c);
int store_begin(struct store *s);
int store_in_transaction(struct store *s);
/* store_begin, retrying while another writer holds the store (max_ns),
 * in turn with the other waiting writers (core/store_turn.c). */
int store_begin_wait(struct store *s, int64_t max_ns);
/* Another writer is waiting for the store this connection holds: a long
 * writer ends its transaction at its next commit point. */
int store_writers_waiting(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);
/* The store's own timing of write transactions (BEGIN IMMEDIATE to COMMIT
 * or ROLLBACK): store_begin/commit/rollback mark them; code that runs them
 * by SQL marks them itself (begin 1 once the lock is held, 0 at the end). */
void store_tx_mark(struct store *s, int begin);
/* The longest write transaction this connection held, in ns. */
int64_t store_tx_longest_ns(const struct store *s);
/* The longest this connection waited in store_begin_wait for the lock, ns. */
int64_t store_wait_longest_ns(const struct store *s);
const char *store_errmsg(struct store *s);

/* An input source known to the store (one row per path). */
struct store_input {
	int64_t id;
	char *path;
	char *format;
	int64_t dev, ino;
	int64_t head_len;
	unsigned char head_sha[32];
	int64_t offset;      /* bytes of the (decompressed) stream consumed */
	int64_t line;        /* lines consumed at offset */
	int64_t resume;      /* ingester-specific resume state at offset */
	int64_t size_seen;
};

int store_input_get(struct store *s, const char *path, struct store_input *in);
int store_input_put(struct store *s, struct store_input *in);
void store_input_release(struct store_input *in);

struct store_evidence {
	int64_t input_id;
	int64_t offset;
	int64_t line;
	const char *raw;
	size_t raw_len;
};

/* One event row to store (see store_events_add). */
struct store_event_in {
	const struct event *ev;
	const uint32_t *lens;             /* string lengths by ev_fields[] index, or NULL */
	const struct store_evidence *evd; /* where it came from, and its raw bytes */
	const unsigned char *key;         /* the 16-byte dedup key */
	int64_t actor_key;                /* store_text_key(ev->actor), EV_NULL without one */
	int64_t stream;                   /* store_stream_of(ev, ...) */
	int64_t id;                       /* out: its row id, 0 when the key was stored before */
};

/* Rows to a statement: give store_events_add this many at a time. */
#define STORE_EVENT_BATCH 32

/*
 * Insert n events (in the open transaction), each under its dedup key; a
 * key already stored (the same record seen before) inserts nothing and
 * leaves id 0.  Ids follow the order of in[].  lens saves the writer's
 * thread, the ingest bottleneck, from measuring strings a second time.
 */
int store_events_add(struct store *s, struct store_event_in *in, size_t n);
/* The indexed key of a text value (events.actor_key = store_text_key(actor)). */
int64_t store_text_key(const char *s);
/* The stream an event belongs to (events.stream, stream.c): 1..32767;
 * host_level: its source's events come from the hosts themselves (auditd,
 * Falco, ...: the ingester's ING_HOST), one stream for the source. */
int64_t store_stream_of(const struct event *ev, int host_level);
/* The raw bytes of an event, from its (seg_id, seg_off, raw_len) columns. */
int store_evidence_get(struct store *s, int64_t seg_id, int64_t seg_off, int64_t len,
		       struct buf *out);
int store_reject_add(struct store *s, int64_t input_id, const char *path, int64_t offset,
		     int64_t line, const char *format, const char *reason, const char *raw,
		     size_t raw_len);
int64_t store_count(struct store *s, const char *table);
/*
 * The first and last event time: (NULL, NULL) on a store without events.
 * Every stream by seeks (SELECT DISTINCT would read the whole index), then
 * each stream's bounds by one more seek each; min(ts_ns) over the table
 * has no time-first index to read one end of since schema 10.
 */
#define STORE_TIME_BOUNDS_SQL                                                                    \
	"WITH RECURSIVE s(v) AS (SELECT (SELECT min(stream) FROM events)"                          \
	" UNION ALL SELECT (SELECT stream FROM events WHERE stream > s.v ORDER BY stream LIMIT 1)" \
	" FROM s WHERE s.v IS NOT NULL)"                                                           \
	" SELECT min((SELECT min(ts_ns) FROM events WHERE stream = s.v)),"                         \
	" max((SELECT max(ts_ns) FROM events WHERE stream = s.v)) FROM s WHERE s.v IS NOT NULL"
/* The first and last event time over every stream (timepage.c);
 * CD_E_NOTFOUND on a store without events. */
int store_time_bounds(struct store *s, int64_t *first, int64_t *last);

/* Pages in time order, ring by ring of time (timepage.c). */
struct timepage {
	struct store *s;
	int64_t first, last; /* the events' time bounds, within --since/--until */
	int64_t ns_per_row;  /* the store's mean spacing: the first ring's width */
	int empty;           /* no event within the bounds */
};
int timepage_init(struct timepage *tp, struct store *s, int64_t since, int64_t until);
/* How a page's query is read. */
enum timepage_mode {
	TP_ONE,   /* an equality on an indexed field finds the rows: one query */
	TP_HOURS, /* a credential or actor: hour by hour, as the identity
		   * indexes hold them (schema 11: stream, hour, identity) */
	TP_RINGS, /* rings of time sized by the events they hold */
};
/* The mode's terms, appended to a page's WHERE: TP_RINGS " AND e.ts_ns
 * BETWEEN ? AND ?", TP_HOURS that and the hour's equality (a third ?). */
int timepage_sql(struct buf *sql, enum timepage_mode mode) CD_WUR;
struct timepage_iter {
	const struct timepage *tp;
	struct sqlite3_stmt *st, *count;
	enum timepage_mode mode;
	int lo_param, desc, in_ring, done;
	int64_t pos;              /* the next ring's near end */
	int64_t width, ring_rows; /* the next ring's width; the events it may hold */
	int64_t ring_lo, ring_hi, ring_n, ring_got; /* the ring; its events; its rows */
	int64_t left;             /* rows still wanted; -1: all */
};
/*
 * Step st, a page's query ordered by time (desc: newest first) with its
 * other parameters bound and timepage_sql's terms for mode among them
 * (lo_param the index of their first ?; none for TP_ONE, read once), ring
 * by ring from pos, for at most limit rows (0: all) and at most st's own
 * LIMIT per ring.  step returns SQLITE_ROW (st's columns hold the row),
 * SQLITE_DONE or an error code; end frees what start made (st stays the
 * caller's).
 */
int timepage_iter_start(struct timepage_iter *it, const struct timepage *tp,
			struct sqlite3_stmt *st, enum timepage_mode mode, int lo_param, int desc,
			int64_t pos, int64_t limit);
int timepage_iter_step(struct timepage_iter *it);
void timepage_iter_end(struct timepage_iter *it);
/* Integer rows of the meta table (cmd_util.c); get: CD_E_NOTFOUND if absent. */
int store_meta_get_int(struct store *s, const char *key, int64_t *val);
int store_meta_set_int(struct store *s, const char *key, int64_t val);

/* ---- regex.c ---------------------------------------------------------- */

/*
 * PCRE2 over a value an attacker may have chosen, with explicit limits (a
 * JIT stack of its own, match, depth and heap limits).  re is a compiled
 * pcre2_code (8-bit).
 * @retval 1 match, 0 no match
 * @retval <0 a PCRE2 error, usually a limit: whether it matches is unknown,
 *         and the caller must say so rather than read it as "no match"
 */
struct pcre2_real_code_8;
int regex_match(const struct pcre2_real_code_8 *re, const char *s, size_t n);
/* What a regex_match() error means, as "hit the match limit ..." (buf for
 * others). */
const char *regex_strerror(int rc, char *buf, size_t cap);

/* ---- redact.c --------------------------------------------------------- */

/* Copy s into out with secret-looking values replaced by "[REDACTED]". */
int redact(const char *s, struct buf *out);
int redact_has_secret(const char *s);
void redact_release(void);

/* ---- output.c --------------------------------------------------------- */

int out_color_enabled(FILE *f);
/*
 * Text for people goes through one escaping writer.  out_escape appends s
 * with every byte a terminal could act on made visible: \n \r \t, other
 * control bytes and DEL as \xNN, bytes of no UTF-8 character as \xNN, and
 * the code points utf8_hidden names as \uXXXX.  Backslashes
 * are left as they are.
 */
int out_escape(struct buf *b, const char *s, size_t n) CD_WUR;
/*
 * printf for people: the format's own text as written, every %s and %c
 * argument through out_escape (widths pad the escaped text).  The styles
 * below, passed as %s by these very pointers, are written as they are.
 */
int out_printf(FILE *f, const char *fmt, ...) CD_PRINTF(2, 3);
int out_vprintf(FILE *f, const char *fmt, va_list ap) CD_PRINTF(2, 0);
int out_bprintf(struct buf *b, const char *fmt, ...) CD_PRINTF(2, 3) CD_WUR;
int out_vbprintf(struct buf *b, const char *fmt, va_list ap) CD_PRINTF(2, 0) CD_WUR;
/* s escaped, then a newline (puts). */
int out_puts(FILE *f, const char *s);
extern const char out_sgr_bold[], out_sgr_dim[], out_sgr_off[], out_sgr_red[], out_sgr_green[],
	out_sgr_yellow[];
void out_err(const char *fmt, ...) CD_PRINTF(1, 2);
void out_warn(const char *fmt, ...) CD_PRINTF(1, 2);
/* --format: table (for people; "text" is its alias), json, ndjson (one
 * object per line; a command answering with one document prints it on one
 * line), csv (events and timelines).  -1 when unknown. */
enum out_format { OUT_TABLE, OUT_JSON, OUT_NDJSON, OUT_CSV };
int out_format_parse(const char *s, enum out_format *f);
/* --format among the formats a command supports (OUT_F(OUT_JSON) | ...);
 * ndjson is accepted wherever json is; prints "--format takes table, json
 * or ndjson" itself (cmd_util.c). */
#define OUT_F(x) (1u << (x))
int out_format_arg(const char *arg, unsigned allowed, enum out_format *f);
/* One CSV cell (RFC 4180 quoting) of s; a leading = + - @ gets an
 * apostrophe, so no spreadsheet runs a logged string as a formula. */
int out_csv_cell(struct buf *b, const char *s, size_t n) CD_WUR;
/* The first columns of every timeline CSV, as Timesketch imports them. */
#define OUT_CSV_TIMELINE_HEAD "message,datetime,timestamp_desc,timestamp"
/* A non-negative count option (--limit): prints the error itself. */
int out_parse_count(const char *arg, const char *option, int64_t *out);

/* ---- cmd_events.c: the `cordon events` filter language ---------------- */

/* One FILTER argument; value points into the argument. */
struct ev_filter {
	const struct ev_field *f;
	char op;            /* '=', '!' (not equal or absent), '~' (PCRE2) */
	const char *value;  /* "" with '=': the field is absent */
};

/* FIELD=VALUE, FIELD!=VALUE, FIELD~REGEX, FIELD= (and id=N); *cause gets
 * the message (escaped, for a terminal) to free. */
int ev_filter_parse(const char *arg, struct ev_filter *out, char **cause);
/* " AND ..." per filter over the events alias e; values as ? in order. */
int ev_filter_sql(struct buf *sql, const struct ev_filter *f, int n) CD_WUR;
/* " ORDER BY" the events alias e in time order then id, dir "ASC" or
 * "DESC": within a ring (timepage.c) SQLite sorts what it finds. */
int ev_filter_order(struct buf *sql, const char *dir) CD_WUR;
/* How a page with these filters is read: TP_HOURS with an equality on a
 * credential or actor, TP_ONE with one on another indexed field (src_ip,
 * container_id, pod_uid, issued_cred, id: its index finds the rows),
 * TP_RINGS otherwise. */
enum timepage_mode ev_filter_paging(const struct ev_filter *f, int n);
struct sqlite3_stmt;
/* Bind the values ev_filter_sql left as ?, from *bind on. */
int ev_filter_bind(struct sqlite3_stmt *st, int *bind, const struct ev_filter *f, int n,
		   char **cause);
/* The regexp() SQL function FIELD~REGEX needs, on this store's connection. */
void ev_filter_register(struct store *s);

/* ---- main.c: command table -------------------------------------------- */

struct cmd_ctx {
	const char *db_path;    /* resolved store path */
	int argc;               /* arguments after the command name */
	char **argv;
};

#define CMD_NEEDS_DB 0x1

/* Open the store of --db / $CORDON_DB / ./cordon.db; prints the error itself. */
int cmd_open_store(struct cmd_ctx *cc, int readonly, struct store **s);

/*
 * getopt_long the way every command parses: -o is --format (when the
 * command has one), and a bad option is one "cordon: error:" line with the
 * hint to `cordon CMD --help`, then CMD_OPT_BAD (return EXIT_ERROR).
 */
struct option;
#define CMD_OPT_BAD (-2)
int cmd_getopt(int argc, char **argv, const char *cmd, const char *shortopts,
	       const struct option *longopts);

struct cmd_entry {
	const char *name;     /* MUST: the subcommand */
	const char *summary;  /* MUST: one line for `cordon --help` */
	const char *usage;    /* MUST: full --help text */
	unsigned flags;
	int (*exec)(struct cmd_ctx *ctx); /* MUST: returns an EXIT_* status */
};


#endif
