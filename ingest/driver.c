/*
 * driver.c - run ingesters over inputs and into the store.
 *
 * Per input: open the byte source, probe the format on its head, check the
 * stored checkpoint (same file generation? then resume where it stopped),
 * stream records through a bounded window, emit events with their raw
 * bytes, and commit in batches.  The checkpoint is written in the same
 * transaction as the events it covers, so a kill -9 at any point followed
 * by a rerun stores exactly what an uninterrupted run would: what was
 * committed is skipped, what was not is read again, and the dedup key
 * makes any overlap harmless.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "private.h"
#include "inv.h"

#define HEAD_BYTES   4096           /* identity of a file generation */
#define PROBE_BYTES  (64 * 1024)
#define CHUNK        (1024 * 1024)
/*
 * A COMMIT every 0.4 s of work or BATCH_EVENTS events.  Each COMMIT
 * writes every page the batch dirtied (before schema 8 a leaf per identity
 * per index: at 20,000 events a commit, 1M records of 2,000 identities
 * wrote 13.8 GB for a 387 MB store).  When the writer is behind it joins
 * the requests into groups of 50,000 events (writer.c); requests every
 * 25,000 let a group end near that size, and the WAL be checkpointed while
 * the next is written.
 */
#define BATCH_EVENTS 25000
#define BATCH_NS     400000000LL
#define QUIET_MS     100            /* a piped stream this long silent is between bursts */
#define SHOW_REJECTS 10             /* per input, on stderr; all go to the store */
#define MAX_DEPTH    32             /* directory recursion */
#define WRITE_WAIT_NS ((int64_t)600 * 1000000000LL) /* for another writer to finish */

struct ingest_ctx {
	struct store *store;
	struct writer *w;     /* every store write goes through here, in order */
	const struct ingest_opts *opts;
	const struct ingester *ing;
	struct store_input input;
	const char *path;
	struct event ev;
	struct ev_arena arena;
	struct json_tokens tok;
	const char *why;
	struct ingest_input_summary *sum;
	int64_t shown_rejects;
	struct buf extra;     /* the event's "extra" JSON object being built */
};

/* One input being read: a context, its source, window and splitter. */
struct run {
	struct ingest_ctx ctx;
	struct source *src;
	struct buf win;
	int64_t win_base;      /* input offset of win.data[0] */
	int64_t win_line;      /* line number at win.data[0] (line ingesters) */
	size_t scan;           /* JSON: splitter position in the window */
	struct json_splitter sp;
	int ndjson;            /* records have been whole lines: try the fast path */
	void *state;           /* line ingester state */
	int64_t ckpt_off, ckpt_line, ckpt_resume;
	const char *arg;       /* the path as given (opened again while waiting) */
	int eof;
	int done;
	int waiting;           /* --follow: missing, empty or no whole line yet; tried every tick */
	int told;              /* said once that it waits */
};

static volatile sig_atomic_t interrupted;

/*
 * Fault injection for the crash tests (like Suricata's nallocinc): with
 * CORDON_TEST_KILL_AT=N the process SIGKILLs itself when the writer has
 * stored its Nth event, in the middle of whatever transaction is open;
 * CORDON_TEST_BATCH=N commits every N events; CORDON_TEST_MAX_PAGES=N
 * lets the store grow to N pages only (PRAGMA max_page_count: SQLITE_FULL,
 * as a full disk gives).  Unset, none costs anything.
 */
static int64_t test_kill_at, test_stored;
static uint64_t test_max_pages;
static int64_t batch_events = BATCH_EVENTS;

/* --follow: the largest the store's WAL file was seen (the follow summary) */
static int64_t wal_max_seen;

static void
wal_watch(struct store *s)
{
	int64_t n = store_wal_size(s);

	if (n > wal_max_seen)
		wal_max_seen = n;
}

/* Events since the last COMMIT, across inputs: many small files share batches. */
static int64_t batch_count, batch_start_ns;

/*
 * Called by the writer after it stores each event: the kill lands where
 * the store is, in the middle of a transaction with more queued behind
 * it, whatever the speed of the threads (counted on the parsing side, it
 * could come before the writer had committed anything).
 */
void
ingest_test_stored(void)
{
	if (test_kill_at && ++test_stored == test_kill_at)
		raise(SIGKILL);
}

static void
test_hooks_init(void)
{
	const char *k = getenv("CORDON_TEST_KILL_AT"), *b = getenv("CORDON_TEST_BATCH");
	const char *m = getenv("CORDON_TEST_MAX_PAGES");
	struct span sp;
	uint64_t v;

	if (k != NULL) {
		sp.p = k;
		sp.n = strlen(k);
		if (span_to_u64(sp, &v) == CD_OK && v > 0 && v < INT64_MAX)
			test_kill_at = (int64_t)v;
	}
	if (b != NULL) {
		sp.p = b;
		sp.n = strlen(b);
		if (span_to_u64(sp, &v) == CD_OK && v > 0 && v < INT64_MAX)
			batch_events = (int64_t)v;
	}
	if (m != NULL) {
		sp.p = m;
		sp.n = strlen(m);
		if (span_to_u64(sp, &v) != CD_OK)
			v = 0;
		test_max_pages = v;
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Pulls (pull_*.c) stop between objects on SIGINT or SIGTERM, as files do. */
void
ingest_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	interrupted = 0;
}

int
ingest_interrupted(void)
{
	return interrupted != 0;
}

struct event *
ingest_event(struct ingest_ctx *ctx)
{
	return &ctx->ev;
}

struct ev_arena *
ingest_arena(struct ingest_ctx *ctx)
{
	return &ctx->arena;
}

const char *
ingest_path(const struct ingest_ctx *ctx)
{
	return ctx->path;
}

struct buf *
ingest_extra_buf(struct ingest_ctx *ctx)
{
	return &ctx->extra;
}

void
ingest_set_why(struct ingest_ctx *ctx, const char *why)
{
	ctx->why = why;
}

static int
hash_run(void *arg, const char *p, size_t n)
{
	sha256_update(arg, p, n);
	return 0;
}

/*
 * The dedup key: SHA-256 over the format and the record's natural id when
 * the format has one, else over the record with JSON whitespace outside
 * strings removed (so a pretty and a compact copy of one record match).
 */
static void
dedup_key(const struct ingest_ctx *ctx, const char *raw, size_t n, unsigned char key[16])
{
	struct sha256 c;
	unsigned char full[32];

	sha256_init(&c);
	sha256_update(&c, ctx->ing->name, strlen(ctx->ing->name) + 1);
	if (ctx->ev.dedup != NULL) {
		sha256_update(&c, "id:", 3);
		sha256_update(&c, ctx->ev.dedup, strlen(ctx->ev.dedup));
	} else if (ctx->ing->flags & ING_JSON) {
		struct span t = { raw, n };

		sha256_update(&c, "raw:", 4);
		(void)ingest_json_runs(t, hash_run, &c);
	} else {
		sha256_update(&c, "raw:", 4);
		sha256_update(&c, raw, n);
	}
	sha256_final(&c, full);
	memcpy(key, full, 16);
}

int
ingest_emit(struct ingest_ctx *ctx, const char *raw, size_t rawlen, int64_t offset, int64_t line)
{
	struct store_evidence evd;
	unsigned char key[16];

	if (ev_arena_full(&ctx->arena))
		return CD_E_LIMIT;
	if (ctx->ev.source == NULL)
		ctx->ev.source = ctx->ing->name;
	/* every ingester rejects a record without a time; the store's unique
	 * key is (time, dedup), which a NULL time would not hold */
	if (ctx->ev.ts_ns == EV_NULL)
		return ingest_reject(ctx, raw, rawlen, offset, line, "record without a time");
	dedup_key(ctx, raw, rawlen, key);
	evd.input_id = ctx->input.id;
	evd.offset = offset;
	evd.line = line;
	evd.raw = raw;
	evd.raw_len = rawlen;
	return writer_event(ctx->w, &ctx->ev,
			    store_stream_of(&ctx->ev, (ctx->ing->flags & ING_HOST) != 0), &evd, key,
			    ctx->sum) == CD_OK
		       ? CD_OK
		       : CD_E_DB;
}

int
ingest_reject(struct ingest_ctx *ctx, const char *raw, size_t rawlen, int64_t offset, int64_t line,
	      const char *reason)
{
	if (!ctx->opts->quiet) {
		if (ctx->shown_rejects < SHOW_REJECTS)
			out_warn("%s:%lld (byte %lld): %s record rejected: %s", ctx->path,
				 (long long)line, (long long)offset,
				 ctx->ing ? ctx->ing->name : "input", reason);
		else if (ctx->shown_rejects == SHOW_REJECTS)
			out_warn("%s: more rejected records; list them all with `cordon rejects`",
				 ctx->path);
		ctx->shown_rejects++;
	}
	/* counted in the summary once it is stored */
	if (writer_reject(ctx->w, ctx->sum, ctx->input.id, ctx->path, offset, line,
			  ctx->ing ? ctx->ing->name : NULL, reason, raw, rawlen) != CD_OK)
		return CD_E_DB;
	return CD_OK;
}

/* ---- one record ------------------------------------------------------ */

/* A record parsed (rc CD_OK, d) or not (rc and why): normalize or reject it. */
static int
run_parsed_record(struct run *r, int rc, const struct json_doc *d, const char *why, const char *p,
		  size_t n, int64_t off, int64_t line)
{
	struct ingest_ctx *ctx = &r->ctx;
	struct ingest_record rec = { p, n, off, line };
	int unparsed = rc != CD_OK;

	ev_reset(&ctx->ev, &ctx->arena);
	ctx->why = NULL;
	if (rc == CD_OK) {
		rc = ctx->ing->json_record(ctx, d, &rec);
		why = ctx->why;
	}
	if (rc == CD_E_DB)
		return rc;
	if (rc == CD_E_LIMIT && why == NULL)
		why = "record fields exceed the per-record limit";
	if (rc != CD_OK && unparsed) {
		/* the parser stops at a NUL and would call the record cut off */
		const char *nul = memchr(p, '\0', n);

		if (nul != NULL) {
			char buf[200];
			size_t k = (size_t)(nul - p);

			snprintf(buf, sizeof(buf),
				 "NUL byte at offset %zu in the record at line %lld (input byte %lld);"
				 " JSON text cannot hold one, so the record was not read",
				 k, (long long)line, (long long)(off + (int64_t)k));
			return ingest_reject(ctx, p, n, off, line, buf);
		}
	}
	if (rc != CD_OK)
		return ingest_reject(ctx, p, n, off, line, why ? why : cd_strerror(rc));
	return CD_OK;
}

static int
run_line(struct run *r, const char *p, size_t n, int64_t off, int64_t line)
{
	struct ingest_ctx *ctx = &r->ctx;
	struct ingest_record rec = { p, n, off, line };
	int rc;

	if (n > 0 && p[n - 1] == '\r')
		rec.n--;
	ctx->why = NULL;
	rc = ctx->ing->line(r->state, ctx, &rec);
	if (rc == CD_E_DB)
		return rc;
	if (rc != CD_OK)
		return ingest_reject(ctx, p, n, off, line, ctx->why ? ctx->why : cd_strerror(rc));
	return CD_OK;
}

/* ---- checkpoints and batches ---------------------------------------- */

/*
 * Queue the checkpoint (the input row, in order with the events it covers)
 * and, with commit, a COMMIT.  Without commit the row rides in the current
 * transaction: it becomes durable together with its events, whenever that
 * is, so crash safety holds either way.
 */
static int
run_checkpoint(struct run *r, int at_eof, int commit)
{
	struct ingest_ctx *ctx = &r->ctx;

	ctx->input.offset = r->ckpt_off;
	ctx->input.line = r->ckpt_line;
	ctx->input.resume = r->ckpt_resume;
	ctx->input.size_seen = at_eof && !source_truncated(r->src) ? source_size(r->src) : -1;
	if (writer_checkpoint(ctx->w, &ctx->input, commit) != CD_OK)
		return CD_E_DB;
	if (commit && ctx->opts->follow)
		wal_watch(ctx->store);
	if (commit) {
		batch_count = 0;
		batch_start_ns = time_now_ns();
	}
	return CD_OK;
}

static int
run_commit(struct run *r, int at_eof)
{
	return run_checkpoint(r, at_eof, 1);
}

static int
run_maybe_commit(struct run *r)
{
	if (++batch_count < batch_events && (batch_count & 255) != 0)
		return CD_OK;
	if (batch_count >= batch_events || time_now_ns() - batch_start_ns > BATCH_NS)
		return run_commit(r, 0);
	return CD_OK;
}

/* Line ingesters: the checkpoint may not pass an event still pending. */
static void
run_line_checkpoint(struct run *r, int64_t end_off, int64_t next_line)
{
	int64_t pl = 0, po = -1;

	if (r->ctx.ing->pending_offset != NULL)
		po = r->ctx.ing->pending_offset(r->state, &pl);
	if (po >= 0 && po < end_off) {
		r->ckpt_off = po;
		r->ckpt_line = pl;
	} else {
		r->ckpt_off = end_off;
		r->ckpt_line = next_line;
	}
	r->ckpt_resume = 0;
}

/* ---- pumping bytes --------------------------------------------------- */

static int
run_process_lines(struct run *r, int final)
{
	size_t pos = 0, max = r->ctx.opts->max_record;
	int rc;

	while (pos < r->win.len) {
		char *nl = memchr(r->win.data + pos, '\n', r->win.len - pos);
		size_t end;
		int64_t off = r->win_base + (int64_t)pos;

		if (nl == NULL) {
			if (!final && r->win.len - pos <= max)
				break;
			end = r->win.len; /* last line without newline, or overlong */
		} else {
			end = (size_t)(nl - r->win.data);
		}
		if (end - pos > max) {
			rc = ingest_reject(&r->ctx, r->win.data + pos, end - pos, off, r->win_line,
					   "line exceeds the size limit");
			if (nl == NULL) {
				/* keep skipping until its newline shows up */
				r->win_base += (int64_t)r->win.len;
				buf_reset(&r->win);
				r->ckpt_off = r->win_base;
				return rc;
			}
		} else {
			rc = run_line(r, r->win.data + pos, end - pos, off, r->win_line);
		}
		if (rc != CD_OK)
			return rc;
		pos = nl ? end + 1 : end;
		r->win_line++;
		run_line_checkpoint(r, r->win_base + (int64_t)pos, r->win_line);
		if ((rc = run_maybe_commit(r)) != CD_OK)
			return rc;
	}
	buf_consume(&r->win, pos);
	r->win_base += (int64_t)pos;
	return CD_OK;
}

/* Only blank space, then a newline, at win[i..]: a record ended its line. */
static int
is_line_end(const char *win, size_t len, size_t i)
{
	while (i < len && (win[i] == ' ' || win[i] == '\t' || win[i] == '\r'))
		i++;
	return i < len && win[i] == '\n';
}

/* Where (and, if the decoder said, why) a compressed input broke off. */
static void
stream_break(const struct source *src, char *why, size_t cap)
{
	const char *cause = source_error(src);

	snprintf(why, cap,
		 "compressed stream breaks off at compressed byte %lld%s%s%s; everything before it was kept",
		 (long long)source_compressed_pos(src), cause ? " (" : "", cause ? cause : "",
		 cause ? ")" : "");
}

static int
run_process_json(struct run *r, int final)
{
	struct split_out out;
	size_t keep;
	int rc;

	for (;;) {
		struct json_doc d;
		const char *why;

		if (r->ndjson && json_split_line(&r->sp, r->win.data, r->win.len, &r->scan,
						 r->ctx.opts->max_record, &out)) {
			const char *p = r->win.data + out.start;
			size_t n = out.end - out.start;

			/* one parse both checks the line and reads it; a wrapper
			 * ({"Records":[...]} on one line) is unwrapped by the scan */
			if (json_parse(&d, p, n, &r->ctx.tok, &why) == CD_OK && !json_is_wrapper(&d)) {
				json_split_line_take(&r->sp, &r->scan, &out);
				if ((rc = run_parsed_record(r, CD_OK, &d, NULL, p, n, out.abs_off, out.line)) != CD_OK)
					return rc;
				goto next;
			}
			r->ndjson = 0; /* the scan takes this one; a whole-line record re-arms */
		}
		json_split(&r->sp, r->win.data, r->win.len, &r->scan, r->ctx.opts->max_record, &out);
		if (out.what == SPLIT_NONE)
			break;
		if (out.what == SPLIT_RECORD) {
			const char *p = r->win.data + out.start;
			size_t n = out.end - out.start;

			rc = json_parse(&d, p, n, &r->ctx.tok, &why);
			rc = run_parsed_record(r, rc, &d, why, p, n, out.abs_off, out.line);
			r->ndjson = r->sp.mode == SPLIT_TOP && r->sp.depth == 0 && memchr(p, '\n', n) == NULL &&
				    is_line_end(r->win.data, r->win.len, r->scan);
		} else
			rc = ingest_reject(&r->ctx, r->win.data + out.start, out.end - out.start,
					   out.abs_off, out.line, out.why);
		if (rc != CD_OK)
			return rc;
next:
		if (json_split_at_boundary(&r->sp)) {
			r->ckpt_off = r->win_base + (int64_t)r->scan;
			r->ckpt_line = r->sp.line;
			r->ckpt_resume = r->sp.mode;
		}
		if ((rc = run_maybe_commit(r)) != CD_OK)
			return rc;
	}
	if (final) {
		/* a record cut off by the end of input */
		if (r->sp.rec_start >= 0) {
			size_t start = (size_t)(r->sp.rec_start - r->win_base);

			rc = ingest_reject(&r->ctx, r->win.data + start, r->win.len - start,
					   r->sp.rec_start, r->sp.rec_line,
					   "JSON record cut off at end of input");
			if (rc != CD_OK)
				return rc;
		} else if (r->sp.oversize) {
			rc = ingest_reject(&r->ctx, NULL, 0, r->sp.over_off, r->sp.over_line,
					   "record exceeds the size limit (and is cut off)");
			if (rc != CD_OK)
				return rc;
		} else if (r->sp.garbage) {
			size_t start = (size_t)(r->sp.garbage_start - r->win_base);

			rc = ingest_reject(&r->ctx, r->win.data + start, r->win.len - start,
					   r->sp.garbage_start, r->sp.rec_line, "not a JSON record");
			if (rc != CD_OK)
				return rc;
		}
		json_splitter_init(&r->sp, SPLIT_TOP, r->sp.line);
		r->sp.base = r->win_base + (int64_t)r->win.len;
		r->ckpt_off = r->sp.base;
		r->ckpt_line = r->sp.line;
		r->ckpt_resume = SPLIT_TOP;
		keep = r->win.len;
	} else {
		keep = json_split_keep_from(&r->sp, r->scan);
	}
	buf_consume(&r->win, keep);
	r->win_base += (int64_t)keep;
	r->scan -= keep;
	json_split_shift(&r->sp, keep);
	return CD_OK;
}

static int
run_process(struct run *r, int final)
{
	return (r->ctx.ing->flags & ING_JSON) ? run_process_json(r, final) : run_process_lines(r, final);
}

/* ---- progress --------------------------------------------------------- */

struct progress {
	int on;
	int64_t total, done_before, start_ns, last_ns, events_before;
	const struct ingest_summary *sum;
};

static struct progress progress;

/* Bytes of the input file read so far: compressed ones when it is. */
static int64_t
input_bytes_read(const struct run *r)
{
	if (r->src != NULL && source_is_compressed(r->src))
		return source_compressed_pos(r->src);
	return r->ctx.sum != NULL ? r->ctx.sum->bytes : 0;
}

static void
progress_show(const struct run *r, int force)
{
	int64_t now = time_now_ns(), done, events;
	double secs, rate, mib;

	if (!progress.on || (!force && now - progress.last_ns < 250000000LL))
		return;
	progress.last_ns = now;
	/* what the file sizes count: compressed bytes for a compressed input */
	done = progress.done_before + input_bytes_read(r);
	events = progress.events_before + __atomic_load_n(&r->ctx.sum->events, __ATOMIC_RELAXED);
	secs = (double)(now - progress.start_ns) / 1e9;
	rate = secs > 0 ? (double)events / secs : 0;
	mib = (double)done / 1048576.0;
	out_printf(stderr, "\r\033[K%s: %.1f MiB", r->ctx.path, mib);
	if (progress.total > 0) {
		double frac = (double)done / (double)progress.total;

		fprintf(stderr, " / %.1f MiB (%.0f%%)", (double)progress.total / 1048576.0,
			frac * 100);
		if (frac > 0.01 && frac < 1 && secs > 0.5)
			fprintf(stderr, ", ETA %.0fs", secs / frac - secs);
	}
	fprintf(stderr, ", %.1f MiB/s, %.0f events/s", secs > 0 ? mib / secs : 0.0, rate);
}

static void
progress_clear(void)
{
	if (progress.on)
		fputs("\r\033[K", stderr);
}

/* Read what is available; process it.  Returns CD_OK at EOF or stall. */
static int
run_pump(struct run *r)
{
	int rc;

	for (;;) {
		ssize_t n;

		if (interrupted)
			return CD_E_INTERRUPTED;
		if (r->win.len + CHUNK > r->win.max) {
			/* the window is full of one record: process forces progress */
			if ((rc = run_process(r, 0)) != CD_OK)
				return rc;
			if (r->win.len + CHUNK > r->win.max)
				return CD_E_INTERNAL;
		}
		if (r->win.alloc < r->win.len + CHUNK + 1) {
			r->win.data = xrealloc(r->win.data, r->win.len + CHUNK + 1);
			r->win.alloc = r->win.len + CHUNK + 1;
		}
		/* a stream gone quiet: commit before waiting on it, so its events
		 * so far can be queried during the lull and no other writer waits
		 * on our lock (a producer that is only slower than us, not idle,
		 * does not cost a COMMIT per chunk) */
		if (writer_dirty(r->ctx.w) && !source_wait(r->src, QUIET_MS) &&
		    (rc = run_commit(r, 0)) != CD_OK)
			return rc;
		n = source_read(r->src, r->win.data + r->win.len, CHUNK);
		if (n < 0) {
			out_err("%s: read error: %s", r->ctx.path, strerror(errno));
			return CD_E_IO;
		}
		if (n == 0) {
			r->eof = 1;
			return CD_OK;
		}
		r->win.len += (size_t)n;
		r->win.data[r->win.len] = '\0';
		r->ctx.sum->bytes += n;
		if ((rc = run_process(r, 0)) != CD_OK)
			return rc;
		progress_show(r, 0);
	}
}

/* End of input (or a pause under --follow): flush and checkpoint. */
static int
run_settle(struct run *r, int final)
{
	int rc;

	if (final) {
		if ((rc = run_process(r, 1)) != CD_OK)
			return rc;
		if (r->ctx.ing->flags & ING_LINES) {
			if ((rc = r->ctx.ing->flush(r->state, &r->ctx)) != CD_OK)
				return rc;
			run_line_checkpoint(r, r->win_base, r->win_line);
		}
		if (source_truncated(r->src)) {
			char why[256];

			stream_break(r->src, why, sizeof(why));
			/* the place: the end of what was read, as line ingesters or the splitter count it */
			if ((rc = ingest_reject(&r->ctx, NULL, 0, r->win_base,
						(r->ctx.ing->flags & ING_LINES) ? r->win_line : r->sp.line,
						why)) != CD_OK)
				return rc;
		}
		/* the end of one input needs no COMMIT of its own */
		return run_checkpoint(r, 1, 0);
	}
	return run_commit(r, 0);
}

/* ---- opening an input ------------------------------------------------ */

static void
run_release(struct run *r)
{
	if (r->state != NULL && r->ctx.ing != NULL && r->ctx.ing->close != NULL)
		r->ctx.ing->close(&r->state);
	source_close(&r->src);
	buf_release(&r->win);
	ev_arena_release(&r->ctx.arena);
	buf_release(&r->ctx.extra);
	json_tokens_release(&r->ctx.tok);
	store_input_release(&r->ctx.input);
}

/*
 * Fill the window with the head of the stream (for probing and identity).
 * A live stream may not send `want` bytes for a long time: once it goes
 * quiet with a whole line in hand, that is the head (files always fill it).
 */
static int
run_read_head(struct run *r, size_t want)
{
	int have_line = 0;

	while (r->win.len < want) {
		ssize_t n;

		if (r->win.alloc < want + 1) {
			r->win.data = xrealloc(r->win.data, want + 1);
			r->win.alloc = want + 1;
		}
		n = source_read(r->src, r->win.data + r->win.len, want - r->win.len);
		if (n < 0)
			return CD_E_IO;
		if (n == 0)
			break;
		have_line = have_line || memchr(r->win.data + r->win.len, '\n', (size_t)n) != NULL;
		r->win.len += (size_t)n;
		r->ctx.sum->bytes += n;
		if (have_line && !source_wait(r->src, QUIET_MS))
			break;
	}
	r->win.data[r->win.len] = '\0';
	return CD_OK;
}

static int
run_start_ingester(struct run *r)
{
	if (r->ctx.ing->flags & ING_LINES)
		return r->ctx.ing->open(&r->ctx, &r->state);
	return CD_OK;
}

/* --follow: nothing to read yet; the follow loop opens the input again. */
static int
run_wait(struct run *r)
{
	source_close(&r->src);
	if (r->win.data != NULL)
		buf_reset(&r->win);
	r->ctx.sum->bytes = 0; /* read again from the start when it is tried again */
	r->ctx.sum->format = NULL;
	r->ctx.sum->waiting = 1;
	r->waiting = 1;
	return CD_OK;
}

/*
 * Open one input.  Returns CD_OK (r->done set when there is nothing to
 * do), or an error already reported into the summary.
 */
static int
run_open(struct run *r, struct store *s, struct writer *w, const struct ingest_opts *o,
	 const char *path, struct store_input *known, struct ingest_input_summary *sum)
{
	struct ingest_ctx *ctx = &r->ctx;
	const struct inventory *inv;
	char *cause = NULL;
	const char *fmt;
	unsigned char head_sha[32];
	size_t head_len;
	int is_stdin = strcmp(path, "-") == 0, same_gen = 0, told = r->told;
	struct stat pst;

	memset(r, 0, sizeof(*r));
	r->arg = path;
	r->told = told;
	ctx->store = s;
	ctx->w = w;
	ctx->opts = o;
	ctx->sum = sum;
	/* the input's row, loaded (or created) before the writer started */
	ctx->input = *known;
	memset(known, 0, sizeof(*known));
	free(sum->path);
	sum->path = xstrdup(ctx->input.path);
	sum->waiting = 0;
	ctx->path = sum->path;
	if (o->follow && !is_stdin && stat(path, &pst) != 0 && errno == ENOENT) {
		/* like tail -F: a file that is not there yet is waited for (and
		 * nothing is allocated for it meanwhile) */
		if (!r->told && !o->quiet)
			out_warn("%s: does not exist yet; following it as soon as it appears", path);
		r->told = 1;
		return run_wait(r);
	}
	buf_init(&r->win, o->max_record + 2 * CHUNK);
	buf_init(&ctx->extra, 65536);
	ev_arena_init(&ctx->arena, o->max_record + 65536);
	if (source_open(path, &r->src, &cause) != CD_OK) {
		sum->error = cause;
		return CD_E_IO;
	}
	if (run_read_head(r, PROBE_BYTES) != CD_OK) {
		sum->error = xstrdup(strerror(errno));
		return CD_E_IO;
	}
	/* an inventory (IAM, kubectl, Vault, GCP, credential map) is read whole */
	if ((inv = inventory_choose(o->format, r->win.data, r->win.len)) != NULL) {
		r->done = 1;
		return inventory_run(inv, s, w, r->src, &r->win, &ctx->input, sum);
	}
	fmt = o->format	 ? o->format
	      : sum->walked ? ingest_probe_scored(r->win.data, r->win.len, INGEST_PROBE_CONFIDENT)
			    : ingest_probe(r->win.data, r->win.len);
	/*
	 * --follow on a file with nothing to judge yet (empty: logrotate just
	 * recreated it; or not one whole line) waits for its first bytes: the
	 * format is probed when they come, not fixed as "empty" now.
	 */
	if (o->follow && !is_stdin && !source_is_compressed(r->src) && !source_truncated(r->src) &&
	    (r->win.len == 0 ||
	     (fmt == NULL && memchr(r->win.data, '\n', r->win.len) == NULL && r->win.len < PROBE_BYTES)))
		return run_wait(r);
	if (r->win.len == 0) {
		r->done = 1;
		if (source_truncated(r->src)) {
			/* a compressed input that gave nothing is broken, not empty */
			char why[256];

			stream_break(r->src, why, sizeof(why));
			sum->error = xstrdup(why);
			return CD_E_FORMAT;
		}
		sum->format = "empty";
		return CD_OK;
	}
	if (fmt == NULL && sum->walked && !is_stdin) {
		/* a README or a Makefile beside the logs: noted, not a reject */
		r->done = 1;
		sum->unknown = 1;
		return CD_OK;
	}
	if (fmt == NULL || (ctx->ing = ingester_find(fmt)) == NULL) {
		sum->error = xstrdup(o->format ? "unknown --format; see `cordon ingest --help`"
					       : "format not recognised; pass --format (see `cordon ingest --help`)");
		return CD_E_FORMAT;
	}
	sum->format = ctx->ing->name;
	if (ctx->ing->flags & ING_JSON)
		json_tokens_init(&ctx->tok, JSON_MAX_TOKENS);

	/* identity of this file generation: the hash of its first bytes */
	head_len = r->win.len < HEAD_BYTES ? r->win.len : HEAD_BYTES;
	sha256(r->win.data, head_len, head_sha);
	if (!is_stdin && ctx->input.head_len > 0 &&
	    (size_t)ctx->input.head_len <= r->win.len) {
		unsigned char old[32];

		sha256(r->win.data, (size_t)ctx->input.head_len, old);
		same_gen = memcmp(old, ctx->input.head_sha, 32) == 0 &&
			   (ctx->input.format == NULL || strcmp(ctx->input.format, ctx->ing->name) == 0);
	}
	/* unchanged since it was read; under --follow it is still followed from there */
	if (same_gen && ctx->input.size_seen >= 0 && ctx->input.size_seen == source_size(r->src) &&
	    !o->follow) {
		sum->skipped = 1;
		r->done = 1;
		return CD_OK;
	}
	free(ctx->input.format);
	ctx->input.format = xstrdup(ctx->ing->name);
	{
		struct stat st;

		if (fstat(source_fd(r->src), &st) == 0) {
			ctx->input.dev = (int64_t)st.st_dev;
			ctx->input.ino = (int64_t)st.st_ino;
		}
	}
	if (!same_gen || ctx->input.head_len < (int64_t)head_len) {
		ctx->input.head_len = (int64_t)head_len;
		memcpy(ctx->input.head_sha, head_sha, 32);
	}
	if (!same_gen) {
		ctx->input.offset = 0;
		ctx->input.line = 1;
		ctx->input.resume = 0;
	}
	ctx->input.size_seen = -1; /* written with the first checkpoint */

	r->win_base = 0;
	r->win_line = 1;
	if (same_gen && ctx->input.offset > 0) {
		/* resume: reopen and skip what the checkpoint covers */
		source_close(&r->src);
		buf_reset(&r->win);
		sum->bytes = 0;
		if (source_open(path, &r->src, &cause) != CD_OK ||
		    source_skip(r->src, ctx->input.offset) != CD_OK) {
			sum->error = cause ? cause : xstrdup("cannot seek to the checkpoint");
			return CD_E_IO;
		}
		r->win_base = ctx->input.offset;
		r->win_line = ctx->input.line > 0 ? ctx->input.line : 1;
	}
	json_splitter_init(&r->sp, same_gen ? (int)ctx->input.resume : SPLIT_TOP, r->win_line);
	r->sp.base = r->win_base;
	r->ckpt_off = r->win_base;
	r->ckpt_line = r->win_line;
	r->ckpt_resume = r->sp.mode;
	return run_start_ingester(r);
}

/*
 * Open an input and read what it has now.  An input that cannot be used
 * at all is recorded as a reject and is done; store errors and an
 * interruption are returned.
 */
static int
run_begin(struct run *r, struct store *s, struct writer *w, const struct ingest_opts *o,
	  const char *path, struct store_input *known, struct ingest_input_summary *sum)
{
	int rc = run_open(r, s, w, o, path, known, sum);

	if (rc == CD_E_DB)
		return rc;
	if (rc != CD_OK) {
		/* the input as a whole is unusable: record it, go on */
		r->ctx.ing = NULL;
		r->done = 1;
		if (!o->quiet)
			out_err("%s: %s", sum->path, sum->error);
		return writer_reject(w, sum, r->ctx.input.id, sum->path, 0, 0, NULL, sum->error, NULL,
				     0) == CD_OK ? CD_OK : CD_E_DB;
	}
	if (r->done || r->waiting)
		return CD_OK;
	if ((rc = run_process(r, 0)) == CD_OK && (rc = run_pump(r)) == CD_OK)
		rc = run_settle(r, !o->follow || source_is_compressed(r->src));
	return rc;
}

/* ---- --follow ----------------------------------------------------------- */

/* A waiting input, tried again: it may have appeared, or had its first bytes. */
static int
run_retry(struct run *r)
{
	struct store_input in = r->ctx.input;
	struct ingest_input_summary *sum = r->ctx.sum;
	struct store *s = r->ctx.store;
	struct writer *w = r->ctx.w;
	const struct ingest_opts *o = r->ctx.opts;
	const char *arg = r->arg;
	int rc;

	memset(&r->ctx.input, 0, sizeof(r->ctx.input));
	run_release(r);
	rc = run_begin(r, s, w, o, arg, &in, sum);
	if (rc == CD_OK && !r->waiting && !r->done) {
		if (!o->quiet && r->told)
			out_warn("%s has appeared; following it", arg);
		if (source_is_compressed(r->src))
			r->done = 1; /* read to its end once, not followed */
	}
	return rc;
}

static int
run_follow_check(struct run *r)
{
	char *cause = NULL;
	int rc;

	switch (source_check(r->src, r->win_base + (int64_t)r->win.len, &r->ctx.input.head_len,
			     r->ctx.input.head_sha, HEAD_BYTES)) {
	case SRC_SAME:
		return CD_OK;
	case SRC_ROTATED:
		/* drain the old file, then start on the new one from byte 0 */
		if ((rc = run_pump(r)) != CD_OK)
			return rc;
		if ((rc = run_settle(r, 1)) != CD_OK)
			return rc;
		if (source_reopen(r->src, &cause) != CD_OK) {
			free(cause);
			return CD_OK; /* not there yet: try again next tick */
		}
		break;
	case SRC_TRUNCATED:
		if ((rc = run_settle(r, 1)) != CD_OK)
			return rc;
		if (source_rewind(r->src) != CD_OK)
			return CD_E_IO;
		break;
	}
	buf_reset(&r->win);
	r->win_base = 0;
	r->win_line = 1;
	r->scan = 0;
	json_splitter_init(&r->sp, SPLIT_TOP, 1);
	r->ckpt_off = 0;
	r->ckpt_line = 1;
	r->ckpt_resume = 0;
	/* a new generation: forget the old identity */
	r->ctx.input.head_len = 0;
	memset(r->ctx.input.head_sha, 0, 32);
	return CD_OK;
}

/* Update the identity hash once the new generation has enough bytes. */
static void
run_follow_identity(struct run *r)
{
	if (r->ctx.input.head_len == 0 && r->win_base == 0 && r->win.len > 0) {
		size_t n = r->win.len < HEAD_BYTES ? r->win.len : HEAD_BYTES;

		r->ctx.input.head_len = (int64_t)n;
		sha256(r->win.data, n, r->ctx.input.head_sha);
	}
}

/*
 * --follow stopped (SIGTERM, Ctrl-C): the records in hand that are whole
 * are stored; a record still being written (no newline yet, a JSON object
 * not closed) is no reject: the checkpoint stays before it, so the next
 * run reads it whole.
 */
static int
run_stop(struct run *r)
{
	int rc;

	if ((rc = run_process(r, 0)) != CD_OK)
		return rc;
	if (r->ctx.ing->flags & ING_LINES) {
		if ((rc = r->ctx.ing->flush(r->state, &r->ctx)) != CD_OK)
			return rc;
		run_line_checkpoint(r, r->win_base, r->win_line);
	}
	return run_checkpoint(r, 0, 0);
}

static int
follow_loop(struct run *runs, size_t nruns, struct store *s, struct writer *w)
{
	struct timespec tick = { 0, 250000000L };
	size_t i;
	int rc;

	while (!interrupted) {
		for (i = 0; i < nruns; i++) {
			struct run *r = &runs[i];

			int64_t before, pl;

			if (r->waiting && !r->done) {
				if ((rc = run_retry(r)) != CD_OK)
					return rc == CD_E_INTERRUPTED ? CD_OK : rc;
				continue;
			}
			if (r->done || r->src == NULL)
				continue;
			if ((rc = run_follow_check(r)) != CD_OK)
				return rc;
			run_follow_identity(r);
			before = r->ctx.sum->bytes;
			if ((rc = run_pump(r)) != CD_OK)
				return rc == CD_E_INTERRUPTED ? CD_OK : rc;
			run_follow_identity(r);
			if (r->ctx.sum->bytes != before) {
				if ((rc = run_process(r, 0)) != CD_OK || (rc = run_commit(r, 0)) != CD_OK)
					return rc;
			} else if ((r->ctx.ing->flags & ING_LINES) && r->ctx.ing->pending_offset != NULL &&
				   r->ctx.ing->pending_offset(r->state, &pl) >= 0) {
				/* a quiet tick: what is still pending is complete by now */
				if ((rc = r->ctx.ing->flush(r->state, &r->ctx)) != CD_OK)
					return rc;
				run_line_checkpoint(r, r->win_base, r->win_line);
				if ((rc = run_commit(r, 0)) != CD_OK)
					return rc;
			}
		}
		/* nothing is written while we sleep: nothing may hold the lock */
		if (writer_commit_queued(w) != CD_OK)
			return CD_E_DB;
		wal_watch(s);
		nanosleep(&tick, NULL);
	}
	return CD_OK;
}

/* ---- collecting inputs ---------------------------------------------- */

struct pathlist {
	char **v;
	size_t n, cap;
};

static void
pathlist_add(struct pathlist *l, const char *p)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(p);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is this file the store itself (or its -wal/-shm, -writers)?  Never ingest those. */
static int
is_store_file(struct store *s, const char *path)
{
	const char *sp = store_path(s);
	size_t n = strlen(sp);
	char a[PATH_MAX], b[PATH_MAX];

	if (realpath(path, a) == NULL || realpath(sp, b) == NULL)
		return 0;
	n = strlen(b);
	return strncmp(a, b, n) == 0 &&
	       (a[n] == '\0' || strcmp(a + n, "-wal") == 0 || strcmp(a + n, "-shm") == 0 ||
		strcmp(a + n, "-journal") == 0 || strcmp(a + n, "-writers") == 0);
}

/* A path a directory walk did not read, and why: reported, never silent. */
struct skiplist {
	char **path, **why;
	size_t n, cap;
};

static void
skip_add(struct skiplist *l, const char *path, const char *fmt, ...) CD_PRINTF(3, 4);

static void
skip_add(struct skiplist *l, const char *path, const char *fmt, ...)
{
	char why[PATH_MAX + 256];
	va_list ap;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->path = xrealloc(l->path, l->cap * sizeof(*l->path));
		l->why = xrealloc(l->why, l->cap * sizeof(*l->why));
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	l->path[l->n] = xstrdup(path);
	l->why[l->n++] = xstrdup(why);
}

static void
skip_release(struct skiplist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->path[i]);
		free(l->why[i]);
	}
	free(l->path);
	free(l->why);
}

/* Whether the resolved path p lies inside the resolved directory root. */
static int
path_within(const char *p, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(p, root, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

/*
 * A symbolic link inside a walked directory is not followed (no loops, no
 * escape from the tree).  One whose target lies inside the tree is read
 * under the target's own name; any other is reported as not read.
 */
static void
skip_symlink(const char *p, const char *root, struct skiplist *skipped)
{
	char target[PATH_MAX];

	if (realpath(p, target) == NULL)
		skip_add(skipped, p, "not read: a symbolic link whose target cannot be resolved (%s)",
			 strerror(errno));
	else if (root == NULL || !path_within(target, root))
		skip_add(skipped, p,
			 "not read: a symbolic link to %s, outside the directory given (links inside"
			 " directories are not followed; ingest the target by name)",
			 target);
}

static const char *
kind_name(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device"
		: S_ISBLK(m) ? "a block device" : "not a regular file";
}

/*
 * Every regular file under dir, sorted, into out.  What is not read (a
 * directory that cannot be opened or is nested too deep, a FIFO, a link
 * that leaves the tree) goes to skipped with the reason; only the store's
 * own files are left out silently.
 */
static void
collect_dir(struct store *s, const char *root, const char *dir, int depth, struct pathlist *out,
	    struct skiplist *skipped)
{
	struct pathlist here = { 0 };
	struct dirent *de;
	DIR *d;
	size_t i;

	if (depth > MAX_DEPTH) {
		skip_add(skipped, dir,
			 "directory not read: nested more than %d levels below the directory given;"
			 " ingest it by name to read what is under it",
			 MAX_DEPTH);
		return;
	}
	if ((d = opendir(dir)) == NULL) {
		skip_add(skipped, dir, "directory not read: %s; nothing under it was ingested",
			 strerror(errno));
		return;
	}
	for (;;) {
		char p[PATH_MAX];
		struct stat st;

		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				skip_add(skipped, dir, "directory read only in part: %s",
					 strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= sizeof(p)) {
			skip_add(skipped, p, "not read: the path is longer than %d bytes", PATH_MAX);
			continue;
		}
		if (lstat(p, &st) != 0) {
			skip_add(skipped, p, "not read: %s", strerror(errno));
			continue;
		}
		if (S_ISLNK(st.st_mode))
			skip_symlink(p, root, skipped);
		else if (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && !is_store_file(s, p)))
			pathlist_add(&here, p);
		else if (!S_ISREG(st.st_mode))
			skip_add(skipped, p,
				 "not read: %s, not a regular file (give it by name to read it as a stream)",
				 kind_name(st.st_mode));
	}
	closedir(d);
	qsort(here.v, here.n, sizeof(*here.v), cmp_str);
	for (i = 0; i < here.n; i++) {
		struct stat st;

		if (lstat(here.v[i], &st) == 0 && S_ISDIR(st.st_mode))
			collect_dir(s, root, here.v[i], depth + 1, out, skipped);
		else
			pathlist_add(out, here.v[i]);
		free(here.v[i]);
	}
	free(here.v);
}

/* ---- the entry point ------------------------------------------------- */

/* stdin, a FIFO, a socket or a terminal: its reads may wait for a long time */
static int
is_stream(const char *path)
{
	struct stat st;

	return strcmp(path, "-") == 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode));
}

/*
 * A file that does not exist yet (--follow waits for it) is named as
 * realpath will name it once it does: its resolved directory and its name.
 */
static int
parent_realpath(const char *path, char out[PATH_MAX])
{
	char dir[PATH_MAX], rdir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (slash == path)
		n = 1; /* "/name" */
	if (n >= sizeof(dir) || *base == '\0')
		return 0;
	if (slash == NULL)
		memcpy(dir, ".", 2);
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if (realpath(dir, rdir) == NULL)
		return 0;
	return (size_t)snprintf(out, PATH_MAX, "%s/%s", strcmp(rdir, "/") == 0 ? "" : rdir, base) <
	       PATH_MAX;
}

/*
 * The store row of an input, created if new: loaded for every input before
 * the writer thread starts, so opening an input never waits for the writer.
 */
static int
input_row(struct store *s, const char *path, struct store_input *in)
{
	char resolved[PATH_MAX];
	const char *name = path;
	int rc;

	if (strcmp(path, "-") == 0)
		name = "<stdin>";
	else if (realpath(path, resolved) != NULL || parent_realpath(path, resolved))
		name = resolved;
	rc = store_input_get(s, name, in);
	if (rc != CD_E_NOTFOUND)
		return rc;
	memset(in, 0, sizeof(*in));
	in->path = xstrdup(name);
	in->line = 1;
	in->size_seen = -1;
	return store_input_put(s, in);
}

int
ingest_run(struct store *s, const struct ingest_opts *o, char *const *paths, int npaths,
	   struct ingest_summary *sum)
{
	struct pathlist files = { 0 };
	struct skiplist skips = { 0 };
	unsigned char *walked = NULL;
	struct store_input *known = NULL;
	struct writer *w = NULL;
	struct run *runs;
	struct sigaction sa;
	int64_t t0 = time_now_ns();
	size_t i;
	int i2, rc = CD_OK;

	memset(sum, 0, sizeof(*sum));
	sum->wal_max = o->follow ? 0 : -1;
	wal_max_seen = 0;
	test_hooks_init();
	if (test_max_pages > 0) {
		/* a disk that fills up: the store stops growing at this many pages */
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%llu", (unsigned long long)test_max_pages);
		sqlite3_exec(store_db(s), sql, NULL, NULL, NULL);
	}
	for (i2 = 0; i2 < npaths; i2++) {
		struct stat st;

		if (strcmp(paths[i2], "-") != 0 && stat(paths[i2], &st) == 0 && S_ISDIR(st.st_mode)) {
			char root[PATH_MAX];
			size_t before = files.n;

			collect_dir(s, realpath(paths[i2], root) ? root : NULL, paths[i2], 0, &files,
				    &skips);
			walked = xrealloc(walked, files.n + 1);
			memset(walked + before, 1, files.n - before);
		} else {
			pathlist_add(&files, paths[i2]);
			walked = xrealloc(walked, files.n + 1);
			walked[files.n - 1] = 0;
		}
	}
	/* the inputs, then the paths the walk did not read */
	sum->ninputs = files.n + skips.n;
	sum->inputs = xcalloc(sum->ninputs ? sum->ninputs : 1, sizeof(*sum->inputs));
	for (i = 0; i < files.n; i++) {
		sum->inputs[i].path = xstrdup(files.v[i]); /* named even if the store fails first */
		sum->inputs[i].walked = walked[i];
	}
	free(walked);
	walked = NULL;
	for (i = 0; i < skips.n; i++) {
		sum->inputs[files.n + i].path = skips.path[i];
		sum->inputs[files.n + i].error = skips.why[i];
		skips.path[i] = skips.why[i] = NULL;
	}
	runs = xcalloc(files.n ? files.n : 1, sizeof(*runs));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	interrupted = 0;

	memset(&progress, 0, sizeof(progress));
	progress.on = o->progress;
	progress.start_ns = t0;
	for (i = 0; i < files.n; i++) {
		struct stat st;

		if (strcmp(files.v[i], "-") != 0 && stat(files.v[i], &st) == 0)
			progress.total += (int64_t)st.st_size;
	}

	/* the input rows, committed at once: the lock is not held while an
	 * input is opened (a stream or a FIFO may wait for its first bytes) */
	if (store_begin_wait(s, WRITE_WAIT_NS) != CD_OK) {
		out_err("cannot start a transaction: %s", store_errmsg(s));
		rc = CD_E_DB;
		goto out;
	}
	known = xcalloc(files.n ? files.n : 1, sizeof(*known));
	for (i = 0; i < files.n && rc == CD_OK; i++)
		if (input_row(s, files.v[i], &known[i]) != CD_OK) {
			out_err("cannot record input %s: %s", files.v[i], store_errmsg(s));
			rc = CD_E_DB;
		}
	if (rc != CD_OK || store_commit(s) != CD_OK) {
		if (rc == CD_OK)
			out_err("cannot record the inputs: %s", store_errmsg(s));
		store_rollback(s);
		rc = CD_E_DB;
		goto out;
	}
	writer_new(s, 1, o->observer, &w);
	/* CORDON_TEST_BATCH: the crash tests' COMMITs land every N events even
	 * when the writer is behind (group commit, writer.c) */
	if (batch_events != BATCH_EVENTS)
		writer_txn_events(w, batch_events);
	for (i = files.n; i < sum->ninputs && rc == CD_OK; i++) {
		struct ingest_input_summary *in = &sum->inputs[i];

		if (!o->quiet)
			out_err("%s: %s", in->path, in->error);
		if (writer_reject(w, in, 0, in->path, 0, 0, NULL, in->error, NULL, 0) != CD_OK)
			rc = CD_E_DB;
	}
	for (i = 0; i < files.n && rc == CD_OK; i++) {
		struct run *r = &runs[i];

		/* a stream may wait for its first bytes: commit what came before */
		if (is_stream(files.v[i]) && writer_commit_queued(w) != CD_OK) {
			rc = CD_E_DB;
			break;
		}
		rc = run_begin(r, s, w, o, files.v[i], &known[i], &sum->inputs[i]);
		if (rc == CD_E_DB)
			break;
		progress.done_before += input_bytes_read(r);
		progress.events_before += __atomic_load_n(&sum->inputs[i].events, __ATOMIC_RELAXED);
		if (!r->done && !r->waiting && (!o->follow || source_is_compressed(r->src)))
			r->done = 1;
		/* its window, tokens and arena are not needed any more: with
		 * thousands of inputs, memory stays that of one */
		if (r->done && rc == CD_OK)
			run_release(r);
		if (rc == CD_E_INTERRUPTED) {
			/* keep what is complete; the checkpoint lets a rerun continue */
			run_commit(r, 0);
			break;
		}
	}
	if (rc == CD_OK && o->follow) {
		progress_clear();
		progress.on = 0;
		rc = follow_loop(runs, files.n, s, w);
		sum->wal_max = wal_max_seen;
		for (i = 0; i < files.n; i++)
			if (!runs[i].done && runs[i].src != NULL && runs[i].ctx.ing != NULL)
				run_stop(&runs[i]);
	}
	if (writer_sync(w) != CD_OK && (rc == CD_OK || rc == CD_E_INTERRUPTED))
		rc = CD_E_DB;
	sum->full = writer_full(w);
	if (rc == CD_OK || rc == CD_E_INTERRUPTED) {
		/* the writer thread is idle: the last COMMIT is made here */
		if (writer_commit(w) != CD_OK) {
			out_err("final commit failed: %s", store_errmsg(s));
			rc = CD_E_DB;
		}
	} else {
		store_rollback(s);
	}
	/* the writer is idle: the store's own timing of this run's writes */
	sum->wait_max_ns = store_wait_longest_ns(s);
	sum->write_max_ns = store_tx_longest_ns(s);
	writer_free(&w);
out:
	progress_clear();
	for (i = 0; i < files.n; i++) {
		sum->events += sum->inputs[i].events;
		sum->duplicates += sum->inputs[i].duplicates;
		sum->rejects += sum->inputs[i].rejects;
		sum->bytes += sum->inputs[i].bytes;
		run_release(&runs[i]);
		if (known != NULL)
			store_input_release(&known[i]);
		free(files.v[i]);
	}
	for (i = files.n; i < sum->ninputs; i++)
		sum->rejects += sum->inputs[i].rejects;
	skip_release(&skips);
	free(known);
	free(files.v);
	free(runs);
	sum->seconds = (double)(time_now_ns() - t0) / 1e9;
	return rc;
}

void
ingest_summary_release(struct ingest_summary *sum)
{
	size_t i;

	for (i = 0; i < sum->ninputs; i++) {
		free(sum->inputs[i].path);
		free(sum->inputs[i].error);
	}
	free(sum->inputs);
	memset(sum, 0, sizeof(*sum));
}

/* ---- fuzzing entry ------------------------------------------------------ */

int64_t
ingest_buffer(struct store *s, const char *format, const char *data, size_t len)
{
	struct ingest_opts o = { .format = format, .max_record = 1 << 20, .quiet = 1 };
	struct ingest_input_summary isum = { 0 };
	struct run r;
	int64_t n;

	memset(&r, 0, sizeof(r));
	r.ctx.store = s;
	writer_new(s, 0, NULL, &r.ctx.w);
	r.ctx.opts = &o;
	r.ctx.sum = &isum;
	r.ctx.path = "<buffer>";
	r.ctx.ing = ingester_find(format);
	if (r.ctx.ing == NULL) {
		writer_free(&r.ctx.w);
		return -1;
	}
	if (store_begin(s) != CD_OK) {
		writer_free(&r.ctx.w);
		return -1;
	}
	buf_init(&r.win, o.max_record + 2 * CHUNK);
	buf_init(&r.ctx.extra, 65536);
	ev_arena_init(&r.ctx.arena, o.max_record + 65536);
	if (r.ctx.ing->flags & ING_JSON)
		json_tokens_init(&r.ctx.tok, JSON_MAX_TOKENS);
	json_splitter_init(&r.sp, SPLIT_TOP, 1);
	r.win_line = 1;
	if (run_start_ingester(&r) == CD_OK && buf_add(&r.win, data, len) == CD_OK &&
	    run_process(&r, 0) == CD_OK) {
		run_process(&r, 1);
		if (r.ctx.ing->flags & ING_LINES)
			r.ctx.ing->flush(r.state, &r.ctx);
	}
	writer_free(&r.ctx.w);
	store_commit(s);
	n = isum.events;
	run_release(&r);
	return n;
}

/* ---- live receivers (listen.c) ------------------------------------------ */

/*
 * A body that arrived whole over the network, run through the same
 * splitter, ingesters and writer as a file.  One feed per listener: its
 * window, tokens and arena are allocated once and reused by every body.
 */
struct ingest_feed {
	struct run r;
};

struct ingest_feed *
ingest_feed_new(struct store *s, struct writer *w, const struct ingest_opts *o, int64_t input_id,
		size_t max_body)
{
	struct ingest_feed *f = xcalloc(1, sizeof(*f));

	test_hooks_init(); /* the crash tests kill a listener mid-transaction too */
	f->r.ctx.store = s;
	f->r.ctx.w = w;
	f->r.ctx.opts = o;
	f->r.ctx.input.id = input_id;
	f->r.ctx.input.line = 1;
	f->r.ctx.input.size_seen = -1;
	buf_init(&f->r.win, max_body + 2 * CHUNK);
	buf_init(&f->r.ctx.extra, 65536);
	ev_arena_init(&f->r.ctx.arena, o->max_record + 65536);
	json_tokens_init(&f->r.ctx.tok, JSON_MAX_TOKENS);
	return f;
}

int
ingest_feed(struct ingest_feed *f, const char *format, const char *path,
	    struct ingest_input_summary *sum, const char *data, size_t len)
{
	struct run *r = &f->r;
	int rc;

	if ((r->ctx.ing = ingester_find(format)) == NULL)
		return CD_E_FORMAT;
	r->ctx.path = path;
	r->ctx.sum = sum;
	sum->format = r->ctx.ing->name;
	buf_reset(&r->win);
	r->win_base = 0;
	r->win_line = 1;
	r->scan = 0;
	r->ndjson = 0;
	json_splitter_init(&r->sp, SPLIT_TOP, 1);
	r->sp.base = 0;
	if ((rc = run_start_ingester(r)) != CD_OK)
		return rc;
	if (buf_add(&r->win, data, len) != CD_OK)
		rc = CD_E_LIMIT;
	else if ((rc = run_process(r, 0)) == CD_OK && (rc = run_process(r, 1)) == CD_OK &&
		 (r->ctx.ing->flags & ING_LINES))
		rc = r->ctx.ing->flush(r->state, &r->ctx);
	if (r->state != NULL && r->ctx.ing->close != NULL)
		r->ctx.ing->close(&r->state);
	sum->bytes += (int64_t)len;
	return rc;
}

void
ingest_feed_input(struct ingest_feed *f, int64_t input_id)
{
	f->r.ctx.input.id = input_id;
}

void
ingest_feed_free(struct ingest_feed **fp)
{
	struct ingest_feed *f = *fp;

	if (f == NULL)
		return;
	f->r.ctx.input.id = 0;
	run_release(&f->r);
	free(f);
	*fp = NULL;
}
