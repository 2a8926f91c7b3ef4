/*
 * evidence.c - the raw bytes of every record, compressed in segments.
 *
 * Records are appended to a 1 MiB segment; a full segment is compressed
 * (zstd level 1, codec 3) on a worker thread while the main thread goes on parsing,
 * and the writer's thread alone writes finished segments to SQLite.  Each event
 * row points into its segment (seg_id, seg_off, raw_len).  Compressed
 * segments cut the bytes the store writes (and WAL writes twice) by about
 * ten times on JSON logs, which is what keeps ingest I/O-light.  Segments
 * are written in the same transaction as the events that point into them:
 * evw_flush() runs before every COMMIT.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "private.h"

#define SEG_TARGET ((size_t)1 << 20)
#define NJOBS      4

enum job_state { JOB_FREE, JOB_FILLING, JOB_QUEUED, JOB_DONE };

struct job {
	enum job_state state;
	int64_t id;
	unsigned char *raw;
	size_t raw_len, raw_cap;
	unsigned char *out;
	size_t out_len, out_cap;
	int codec; /* 0 stored, 2 raw deflate (stores before schema 4), 3 zstd */
};

struct evw {
	sqlite3 *db;
	sqlite3_stmt *ins;
	struct job jobs[NJOBS];
	struct job *cur;        /* the segment being filled */
	int64_t next_id;
	pthread_t thread;
	int started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/*
 * zstd level 1, one frame per segment, context reused.  Measured on 242 MB
 * of CloudTrail in 1 MiB segments (README "Evidence compression"): zlib
 * level 1 took 0.89 s for a ratio of 12.8, zstd level 1 0.11 s for 32; the
 * compressor had been a fifth of all ingest CPU on two cores.  Segments
 * written by older versions (raw deflate, codec 2) are still read.
 */
static void
seg_compress(ZSTD_CCtx **zc, struct job *j)
{
	size_t bound, n;

	j->codec = 0; /* stored, unless compression works and helps */
	if (*zc == NULL && (*zc = ZSTD_createCCtx()) == NULL)
		return;
	bound = ZSTD_compressBound(j->raw_len);
	if (j->out_cap < bound) {
		free(j->out);
		j->out = xmalloc(bound);
		j->out_cap = bound;
	}
	n = ZSTD_compressCCtx(*zc, j->out, bound, j->raw, j->raw_len, 1);
	if (!ZSTD_isError(n) && n < j->raw_len) {
		j->out_len = n;
		j->codec = 3;
	}
}

static void *
evw_worker(void *arg)
{
	struct evw *w = arg;
	ZSTD_CCtx *zc = NULL;

	pthread_setname_np(pthread_self(), "cordon-compress");

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct job *j = NULL;
		int i;

		for (i = 0; i < NJOBS; i++)
			if (w->jobs[i].state == JOB_QUEUED && (j == NULL || w->jobs[i].id < j->id))
				j = &w->jobs[i];
		if (j == NULL) {
			if (w->stop)
				break;
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		pthread_mutex_unlock(&w->mu);
		seg_compress(&zc, j);
		pthread_mutex_lock(&w->mu);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	ZSTD_freeCCtx(zc);
	return NULL;
}

int
evw_init(struct evw **out, sqlite3 *db, char **cause)
{
	struct evw *w = xcalloc(1, sizeof(*w));

	*out = NULL;
	w->db = db;
	if (sqlite3_prepare_v3(db,
			       "INSERT INTO evidence_segments(id, codec, raw_len, data) VALUES(?,?,?,?)",
			       -1, SQLITE_PREPARE_PERSISTENT, &w->ins, NULL) != SQLITE_OK) {
		*cause = xstrdup(sqlite3_errmsg(db));
		free(w);
		return CD_E_DB;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	*out = w;
	return CD_OK;
}

void
evw_free(struct evw **wp)
{
	struct evw *w = *wp;
	int i;

	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	for (i = 0; i < NJOBS; i++) {
		free(w->jobs[i].raw);
		free(w->jobs[i].out);
	}
	sqlite3_finalize(w->ins);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	*wp = NULL;
}

/* Write one finished segment (main thread only). */
static int
evw_write(struct evw *w, struct job *j)
{
	int rc;

	sqlite3_bind_int64(w->ins, 1, j->id);
	sqlite3_bind_int(w->ins, 2, j->codec);
	sqlite3_bind_int64(w->ins, 3, (int64_t)j->raw_len);
	if (j->codec != 0)
		sqlite3_bind_blob(w->ins, 4, j->out, (int)j->out_len, SQLITE_STATIC);
	else
		sqlite3_bind_blob(w->ins, 4, j->raw, (int)j->raw_len, SQLITE_STATIC);
	rc = sqlite3_step(w->ins);
	sqlite3_reset(w->ins);
	sqlite3_clear_bindings(w->ins);
	pthread_mutex_lock(&w->mu); /* states change under the lock only */
	j->state = JOB_FREE;
	pthread_mutex_unlock(&w->mu);
	return rc == SQLITE_DONE ? CD_OK : CD_E_DB;
}

/* Write every finished segment; with wait, also wait for queued ones. */
static int
evw_drain(struct evw *w, int wait)
{
	int i, rc = CD_OK;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		int queued = 0, wrote = 0;

		for (i = 0; i < NJOBS; i++) {
			if (w->jobs[i].state == JOB_DONE) {
				pthread_mutex_unlock(&w->mu);
				if (evw_write(w, &w->jobs[i]) != CD_OK)
					rc = CD_E_DB;
				pthread_mutex_lock(&w->mu);
				wrote = 1;
			}
			if (w->jobs[i].state == JOB_QUEUED)
				queued = 1;
		}
		if (!wait || !queued)
			break;
		/*
		 * While the lock was dropped to write, the worker may have
		 * finished a job seen queued earlier in this pass and broadcast
		 * then: waiting now would miss that wake-up for good.  Only a
		 * pass made entirely under the lock may wait.
		 */
		if (wrote)
			continue;
		pthread_cond_wait(&w->cv, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static int
evw_submit(struct evw *w)
{
	struct job *j = w->cur;

	w->cur = NULL;
	if (j == NULL || j->raw_len == 0) {
		if (j != NULL)
			j->state = JOB_FREE;
		return CD_OK;
	}
	if (!w->started) {
		if (pthread_create(&w->thread, NULL, evw_worker, w) != 0) {
			/* no thread: compress here */
			j->state = JOB_QUEUED;
			w->stop = 1;
			evw_worker(w);
			w->stop = 0;
			return evw_drain(w, 0);
		}
		w->started = 1;
	}
	pthread_mutex_lock(&w->mu);
	j->state = JOB_QUEUED;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return evw_drain(w, 0);
}

/* A free job to fill, waiting for the worker if all are busy. */
static struct job *
evw_take(struct evw *w)
{
	int i;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		for (i = 0; i < NJOBS; i++) {
			if (w->jobs[i].state == JOB_FREE) {
				w->jobs[i].state = JOB_FILLING;
				pthread_mutex_unlock(&w->mu);
				return &w->jobs[i];
			}
		}
		pthread_mutex_unlock(&w->mu);
		if (evw_drain(w, 1) != CD_OK)
			return NULL;
	}
}

int
evw_append(struct evw *w, const void *raw, size_t n, int64_t *seg, int64_t *off)
{
	struct job *j;

	if (w->cur != NULL && w->cur->raw_len > 0 && w->cur->raw_len + n > SEG_TARGET) {
		if (evw_submit(w) != CD_OK)
			return CD_E_DB;
	}
	if (w->cur == NULL) {
		if ((j = evw_take(w)) == NULL)
			return CD_E_DB;
		j->id = w->next_id++;
		j->raw_len = 0;
		j->codec = 0;
		w->cur = j;
	}
	j = w->cur;
	if (j->raw_cap < j->raw_len + n) {
		size_t cap = j->raw_len + n > SEG_TARGET ? j->raw_len + n : SEG_TARGET;

		j->raw = xrealloc(j->raw, cap);
		j->raw_cap = cap;
	}
	if (n)
		memcpy(j->raw + j->raw_len, raw, n);
	*seg = j->id;
	*off = (int64_t)j->raw_len;
	j->raw_len += n;
	return CD_OK;
}

void
evw_unappend(struct evw *w, size_t n)
{
	CD_BUG_ON(w->cur == NULL || w->cur->raw_len < n);
	w->cur->raw_len -= n;
}

int
evw_flush(struct evw *w)
{
	if (evw_submit(w) != CD_OK)
		return CD_E_DB;
	return evw_drain(w, 1);
}

void
evw_begin(struct evw *w)
{
	sqlite3_stmt *st;

	/* forget anything from a rolled-back transaction */
	evw_drain(w, 1);
	if (w->cur != NULL) {
		w->cur->state = JOB_FREE;
		w->cur = NULL;
	}
	w->next_id = 1;
	if (sqlite3_prepare_v2(w->db, "SELECT coalesce(max(id), 0) + 1 FROM evidence_segments", -1,
			       &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			w->next_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
}

void
evw_abandon(struct evw *w)
{
	int i;

	/* a rollback: wait for the worker, then drop every segment unwritten */
	pthread_mutex_lock(&w->mu);
	for (;;) {
		int busy = 0;

		for (i = 0; i < NJOBS; i++)
			if (w->jobs[i].state == JOB_QUEUED)
				busy = 1;
		if (!busy)
			break;
		pthread_cond_wait(&w->cv, &w->mu);
	}
	for (i = 0; i < NJOBS; i++)
		w->jobs[i].state = JOB_FREE;
	pthread_mutex_unlock(&w->mu);
	w->cur = NULL;
}

/* ---- reading back ------------------------------------------------------ */

int
evidence_read_segment(sqlite3 *db, int64_t id, struct buf *out)
{
	sqlite3_stmt *st;
	int rc = CD_E_NOTFOUND;

	buf_reset(out);
	if (sqlite3_prepare_v2(db, "SELECT codec, raw_len, data FROM evidence_segments WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int codec = sqlite3_column_int(st, 0);
		int64_t raw_len = sqlite3_column_int64(st, 1);
		const void *data = sqlite3_column_blob(st, 2);
		int n = sqlite3_column_bytes(st, 2);

		rc = CD_E_PARSE;
		if (raw_len >= 0 && (uint64_t)raw_len <= out->max) {
			if (out->alloc < (size_t)raw_len + 1) {
				out->data = xrealloc(out->data, (size_t)raw_len + 1);
				out->alloc = (size_t)raw_len + 1;
			}
			if (codec == 0 && n == raw_len) {
				memcpy(out->data, data, (size_t)n);
				rc = CD_OK;
			} else if (codec == 2) {
				z_stream z;

				memset(&z, 0, sizeof(z));
				if (inflateInit2(&z, -15) == Z_OK) {
					z.next_in = (unsigned char *)(uintptr_t)data;
					z.avail_in = (uInt)n;
					z.next_out = (unsigned char *)out->data;
					z.avail_out = (uInt)raw_len;
					if (inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out == (uLong)raw_len)
						rc = CD_OK;
					inflateEnd(&z);
				}
			} else if (codec == 3) {
				size_t got = ZSTD_decompress(out->data, (size_t)raw_len, data, (size_t)n);

				if (!ZSTD_isError(got) && got == (size_t)raw_len)
					rc = CD_OK;
			}
			if (rc == CD_OK) {
				out->len = (size_t)raw_len;
				out->data[out->len] = '\0';
			}
		}
	}
	sqlite3_finalize(st);
	return rc;
}
