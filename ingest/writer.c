/*
 * writer.c - the store writer: SQLite inserts on their own thread.
 *
 * Parsing and normalizing (the driver and ingesters) run on one thread and
 * hand finished events, rejects and checkpoints to this queue; a second
 * thread applies them to the store in exactly the order they were queued,
 * so the crash-safety argument of driver.c is unchanged: a checkpoint op
 * commits the events queued before it, and nothing after.  The queue is
 * bounded in bytes (the producer waits when it is full).  Ops (an event's
 * fields and raw bytes in one piece) are carved out of 256 KiB chunks that
 * are reference-counted, so neither thread calls malloc or free per event.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define QUEUE_MAX_BYTES ((size_t)32 << 20)
#define BATCH_OPS       1024
#define CHUNK_BYTES     ((size_t)256 << 10)
#define WRITER_WAIT_NS  ((int64_t)600 * 1000000000LL) /* for another writer to finish */
/*
 * Group commit.  The driver asks for a COMMIT every 0.4 s of its own
 * (parsing) time or 25,000 events; when the writer is behind, those
 * requests pile up in the queue.  A COMMIT with more queued behind it waits
 * until the transaction holds TXN_EVENTS_DEFAULT events or is TXN_NS old;
 * one with nothing behind it (the writer caught up, a stream gone quiet)
 * commits at once, so nothing stays uncommitted while nothing is being
 * written.  The checkpoint rows ride in the transaction either way, so a
 * crash still loses only what a rerun reads again.
 *
 * How large a group.  Each COMMIT writes every page its transaction
 * dirtied.  Before schema 8 that was a leaf per identity per index
 * whatever the transaction's size, and groups of 400,000 events cut what
 * 200,000 events into a 10M-event store wrote from 3.9 GB to 0.64 GB.
 * Since schemas 10 and 11 (core/stream.c) a transaction dirties the runs
 * it appends to, and a large group costs at the end instead: the WAL can
 * be copied back only once committed, so the last group's copy and its
 * syncs came after the last insert, with nothing to overlap (0.2 s of a
 * 1.0 s ingest into an empty store).  Groups of 50,000 events let the
 * checkpoint thread copy each while the next is written: 200,000
 * CloudTrail events, alternating, 0.93-0.98 s against 1.01-1.08 s into an
 * empty store, 1.10-1.20 s against 1.27 s into a 10M-event store, 261
 * against 208 MiB written (docs/ingest-scale.md, "The last checkpoint");
 * and readers (a follower's correlate, the TUI) see new events every
 * 50,000, not every 400,000.
 *
 * A writer waiting for the store ends the group at the first COMMIT asked
 * for after TXN_WAITED_NS (store_writers_waiting, docs/writers.md), so
 * another writer waits about a second, not TXN_NS; TXN_NS still bounds a
 * transaction when the waiter is not one of cordon's.  Readers are not
 * blocked at all (WAL).
 */
#define TXN_EVENTS_DEFAULT 50000
#define TXN_NS             ((int64_t)5 * 1000000000LL)
/*
 * While another writer waits, a group ends at the first COMMIT asked for
 * once it is this old.  Not at once: in the soak (three followers, each
 * always waiting for another) committing every batch while anyone waited
 * took the group commit away altogether, every COMMIT wrote its leaves
 * again, and the followers fell behind (lag p50 3.7 s, p99 13.5 s, against
 * 0.4 s and 4.2 s with 5 s groups); a second still bounds the wait.
 */
#define TXN_WAITED_NS      ((int64_t)1000000000LL)
/*
 * The writer's page cache (the store opens with 64 MiB).  Schema 8 and 9
 * wanted 128 MiB: a transaction dirtied a leaf per identity in each of the
 * actor, credential and address indexes, and when those leaves did not
 * fit each was written out and read back within the transaction (200,000
 * events into a 1M-event store: 783 MB written at 64 MiB, 331 MB at 128).
 * Since schema 10 (core/stream.c) a pass dirties the runs it appends to,
 * and a cache larger than those costs more than it saves: every page of
 * it is first-touch memory (a page fault per 4 KiB, in the writer, the
 * pipeline's bottleneck).  200,000 CloudTrail events, three runs each
 * (docs/ingest-scale.md): into an empty store 2.15-2.34 s at 128 MiB,
 * 1.69-1.79 s at 32 MiB; into a 10M-event store 2.78-3.60 s and 2.06-2.49
 * s; the same bytes written; peak RSS 169-193 MiB against 85 MiB.
 */
#define WRITER_CACHE_SQL   "PRAGMA cache_size=-32768"

/* A block ops are carved from; recycled when its last op is applied. */
struct wchunk {
	int refs;            /* the producer's (while current) + one per op */
	size_t used, cap;
	struct writer *w;
	struct wchunk *next_free;
	char mem[] __attribute__((aligned(16)));
};

/*
 * Chunks of the standard size go back to a free list instead of to
 * malloc: a fresh 256 KiB block is a fresh mapping whose every page
 * faults on first touch, which cost the producer about a fifth of its
 * time.  The list holds at most what the queue can hold.
 */
#define POOL_MAX (QUEUE_MAX_BYTES / CHUNK_BYTES + 4)

/*
 * An input's counts when the open transaction first touched it: if that
 * transaction is lost (the disk filled, a COMMIT failed), the counts go
 * back, so the summary reports only what the store holds.
 */
struct wtouch {
	struct ingest_input_summary *sum;
	int64_t events, duplicates, rejects;
};

enum wop_type { W_EVENT, W_REJECT, W_CKPT };

struct wop {
	enum wop_type type;
	struct wop *next;
	struct wchunk *chunk;
	size_t size;
	struct ingest_input_summary *sum; /* W_EVENT, W_REJECT: counted when applied */
	struct event ev;
	struct store_evidence evd;
	unsigned char key[16];
	uint32_t lens[EV_NFIELDS]; /* W_EVENT: string field lengths */
	int64_t actor_key;         /* W_EVENT: store_text_key(actor), hashed here */
	int64_t stream;            /* W_EVENT: store_stream_of(ev), likewise */
	int unwanted;              /* W_EVENT: the observer's wants() said 0 */
	struct store_input in;  /* W_CKPT: the input row to write before COMMIT */
	int commit;             /* W_CKPT: COMMIT and BEGIN after the row */
	int64_t input_id, offset, line;
	const char *path, *format, *reason, *raw; /* W_REJECT */
	size_t raw_len;
	char data[];
};

struct writer {
	struct store *store;
	const struct ingest_observer *obs; /* or NULL */
	struct store_ckpt *ckpt;           /* checkpoints off this thread */
	int threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wop *head, *tail;         /* shared queue */
	struct wop *bhead, *btail;       /* producer's batch, not yet shared */
	struct wchunk *cur;              /* producer's chunk */
	int nbatch;
	size_t queued_bytes;
	int busy;                        /* the consumer is applying ops */
	int stop;
	int err;                         /* first failure; sticky */
	int full;                        /* that failure was SQLITE_FULL */
	int dirty;                       /* producer: queued since the last COMMIT */
	int64_t txn_events;              /* consumer: events in the open transaction */
	int64_t txn_start_ns;            /* consumer: when it began */
	int64_t txn_max;                 /* consumer: events after which a COMMIT is not deferred */
	int64_t txn_waited_ns;           /* consumer: age after which it is not, while a writer waits */
	int owed;                        /* consumer: a COMMIT was deferred */
	struct wtouch *touch;            /* consumer: inputs the open transaction counted */
	size_t ntouch, captouch;
	pthread_mutex_t pool_mu;
	struct wchunk *pool;             /* free standard-size chunks */
	size_t npool;
};

/* The open transaction is about to count into sum: remember sum's counts. */
static void
writer_touch(struct writer *w, struct ingest_input_summary *sum)
{
	/* ops of one input come in runs: only a change of input adds an entry
	 * (a repeat is harmless, the oldest snapshot is restored last) */
	if (w->ntouch > 0 && w->touch[w->ntouch - 1].sum == sum)
		return;
	if (w->ntouch == w->captouch) {
		w->captouch = w->captouch ? w->captouch * 2 : 64;
		w->touch = xrealloc(w->touch, w->captouch * sizeof(*w->touch));
	}
	w->touch[w->ntouch].sum = sum;
	w->touch[w->ntouch].events = __atomic_load_n(&sum->events, __ATOMIC_RELAXED);
	w->touch[w->ntouch].duplicates = __atomic_load_n(&sum->duplicates, __ATOMIC_RELAXED);
	w->touch[w->ntouch].rejects = __atomic_load_n(&sum->rejects, __ATOMIC_RELAXED);
	w->ntouch++;
}

/* The transaction is lost: what it counted was never stored. */
static void
writer_untouch(struct writer *w)
{
	while (w->ntouch > 0) {
		const struct wtouch *t = &w->touch[--w->ntouch];

		__atomic_store_n(&t->sum->events, t->events, __ATOMIC_RELAXED);
		__atomic_store_n(&t->sum->duplicates, t->duplicates, __ATOMIC_RELAXED);
		__atomic_store_n(&t->sum->rejects, t->rejects, __ATOMIC_RELAXED);
	}
}

static void
writer_note_full(struct writer *w)
{
	if ((sqlite3_errcode(store_db(w->store)) & 0xff) == SQLITE_FULL)
		w->full = 1;
}

int
writer_commit(struct writer *w)
{
	int rc = CD_OK;

	if (w->obs != NULL && store_in_transaction(w->store))
		rc = w->obs->commit(w->obs->arg);
	if (rc == CD_OK && store_commit(w->store) != CD_OK)
		rc = CD_E_DB;
	w->owed = 0;
	w->txn_events = 0;
	if (rc == CD_OK) {
		w->ntouch = 0; /* durable now */
	} else {
		writer_note_full(w);
		writer_untouch(w);
	}
	return rc;
}

int
writer_full(const struct writer *w)
{
	return w->full;
}

/* Open a transaction when there is something to write; 0 once failed. */
static int
writer_ready(struct writer *w)
{
	/*
	 * Begin only when there is something to write: between batches a
	 * follower holds no lock, so `cordon correlate` and other writers can
	 * run beside it (WAL lets readers in at any time).
	 */
	if (w->err == CD_OK && !store_in_transaction(w->store)) {
		if (store_begin_wait(w->store, WRITER_WAIT_NS) != CD_OK) {
			out_err("cannot write to the store: %s", store_errmsg(w->store));
			w->err = CD_E_DB;
		}
		w->txn_start_ns = time_now_ns();
		w->txn_events = 0;
	}
	return w->err == CD_OK; /* after a failure nothing more is written */
}

static void
writer_failed(struct writer *w, int rc)
{
	out_err("cannot write to the store: %s", store_errmsg(w->store));
	writer_note_full(w);
	/* nothing after this is written and the driver rolls back */
	writer_untouch(w);
	w->err = rc;
}

/* n consecutive W_EVENT ops, at most STORE_EVENT_BATCH, in one statement. */
static void
wop_apply_events(struct writer *w, struct wop *const *ops, size_t n)
{
	struct store_event_in in[STORE_EVENT_BATCH];
	size_t i;
	int rc;

	if (!writer_ready(w))
		return;
	for (i = 0; i < n; i++) {
		in[i].ev = &ops[i]->ev;
		in[i].lens = ops[i]->lens;
		in[i].evd = &ops[i]->evd;
		in[i].key = ops[i]->key;
		in[i].actor_key = ops[i]->actor_key;
		in[i].stream = ops[i]->stream;
		in[i].id = 0;
	}
	if ((rc = store_events_add(w->store, in, n)) != CD_OK) {
		writer_failed(w, rc);
		return;
	}
	w->txn_events += (int64_t)n;
	for (i = 0; i < n; i++) {
		writer_touch(w, ops[i]->sum);
		__atomic_add_fetch(in[i].id ? &ops[i]->sum->events : &ops[i]->sum->duplicates, 1,
				   __ATOMIC_RELAXED);
		if (in[i].id && w->obs != NULL &&
		    (rc = w->obs->event(w->obs->arg, ops[i]->unwanted ? NULL : in[i].ev, in[i].id)) !=
			    CD_OK) {
			writer_failed(w, rc);
			return;
		}
		ingest_test_stored();
	}
}

/* A COMMIT requested by op may wait: more is queued behind it, the
 * transaction is neither full nor old (see TXN_EVENTS_DEFAULT), and, if
 * another writer waits for the store (a follower, correlate, a
 * revocation's audit row), younger than TXN_WAITED_NS. */
static int
writer_defer_commit(struct writer *w, const struct wop *op)
{
	int behind;

	int64_t age = time_now_ns() - w->txn_start_ns;

	if (!w->threaded || w->txn_events >= w->txn_max || age >= TXN_NS ||
	    (age >= w->txn_waited_ns && store_writers_waiting(w->store)))
		return 0;
	if (op->next != NULL)
		return 1;
	pthread_mutex_lock(&w->mu);
	behind = w->head != NULL;
	pthread_mutex_unlock(&w->mu);
	return behind;
}

static void
wop_apply(struct writer *w, struct wop *op)
{
	int rc = CD_OK;

	/* a COMMIT alone, with nothing open, must not take the lock to commit nothing */
	if (op->type == W_CKPT && op->in.id == 0 && w->err == CD_OK &&
	    !store_in_transaction(w->store))
		return;
	if (!writer_ready(w))
		return;
	switch (op->type) {
	case W_EVENT:
		CD_BUG_ON(1); /* events go through wop_apply_events */
		break;
	case W_REJECT:
		rc = store_reject_add(w->store, op->input_id, op->path, op->offset, op->line,
				      op->format, op->reason, op->raw, op->raw_len);
		if (rc == CD_OK && op->sum != NULL) {
			writer_touch(w, op->sum);
			__atomic_add_fetch(&op->sum->rejects, 1, __ATOMIC_RELAXED);
		}
		break;
	case W_CKPT:
		if (op->in.id != 0)
			rc = store_input_put(w->store, &op->in);
		if (rc == CD_OK && op->commit) {
			if (writer_defer_commit(w, op))
				w->owed = 1;
			else
				rc = writer_commit(w);
		}
		break;
	}
	if (rc != CD_OK)
		writer_failed(w, rc);
}

/*
 * Apply a list in order; runs of events go STORE_EVENT_BATCH to a
 * statement.  A run never crosses a reject or checkpoint, so a checkpoint
 * still commits exactly the events queued before it.
 */
static size_t
wop_apply_list(struct writer *w, struct wop *list)
{
	struct wop *run[STORE_EVENT_BATCH];
	size_t n = 0, bytes = 0;
	struct wop *op;

	for (op = list; op != NULL; op = op->next) {
		bytes += op->size;
		if (op->type == W_EVENT) {
			run[n++] = op;
			if (n == STORE_EVENT_BATCH) {
				wop_apply_events(w, run, n);
				n = 0;
			}
			continue;
		}
		if (n > 0) {
			wop_apply_events(w, run, n);
			n = 0;
		}
		wop_apply(w, op);
	}
	if (n > 0)
		wop_apply_events(w, run, n);
	return bytes; /* what the list held of the queue */
}

static void
chunk_release(struct wchunk *c)
{
	struct writer *w;

	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	w = c->w;
	if (c->cap == CHUNK_BYTES) {
		pthread_mutex_lock(&w->pool_mu);
		if (w->npool < POOL_MAX) {
			c->next_free = w->pool;
			w->pool = c;
			w->npool++;
			c = NULL;
		}
		pthread_mutex_unlock(&w->pool_mu);
	}
	free(c);
}

static struct wchunk *
chunk_get(struct writer *w, size_t cap)
{
	struct wchunk *c = NULL;

	if (cap == CHUNK_BYTES) {
		pthread_mutex_lock(&w->pool_mu);
		if ((c = w->pool) != NULL) {
			w->pool = c->next_free;
			w->npool--;
		}
		pthread_mutex_unlock(&w->pool_mu);
	}
	if (c == NULL)
		c = xmalloc(sizeof(*c) + cap);
	c->refs = 1;
	c->used = 0;
	c->cap = cap;
	c->w = w;
	return c;
}

/* A zeroed op of size bytes from the producer's chunk. */
static struct wop *
op_alloc(struct writer *w, size_t size)
{
	struct wop *op;

	size = (size + 15) & ~(size_t)15;
	if (w->cur == NULL || w->cur->cap - w->cur->used < size) {
		struct wchunk *c = chunk_get(w, size > CHUNK_BYTES ? size : CHUNK_BYTES);

		chunk_release(w->cur);
		w->cur = c;
	}
	op = (struct wop *)(void *)(w->cur->mem + w->cur->used);
	w->cur->used += size;
	__atomic_add_fetch(&w->cur->refs, 1, __ATOMIC_RELAXED);
	memset(op, 0, sizeof(*op));
	op->chunk = w->cur;
	op->size = size;
	return op;
}

static void
wop_free_list(struct wop *op)
{
	while (op != NULL) {
		struct wop *next = op->next; /* before the chunk may go */

		chunk_release(op->chunk);
		op = next;
	}
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_setname_np(pthread_self(), "cordon-writer");

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct wop *list;
		size_t bytes = 0;

		while (w->head == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->head == NULL && w->stop)
			break;
		list = w->head;
		w->head = w->tail = NULL;
		w->busy = 1;
		pthread_mutex_unlock(&w->mu);
		bytes = wop_apply_list(w, list);
		wop_free_list(list);
		pthread_mutex_lock(&w->mu);
		if (w->owed && w->head == NULL) {
			/* caught up: the deferred COMMIT waits for nothing more */
			pthread_mutex_unlock(&w->mu);
			if (w->err == CD_OK && writer_commit(w) != CD_OK)
				writer_failed(w, CD_E_DB);
			pthread_mutex_lock(&w->mu);
		}
		w->queued_bytes -= bytes;
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
writer_new(struct store *s, int threaded, const struct ingest_observer *obs, struct writer **out)
{
	struct writer *w = xcalloc(1, sizeof(*w));

	w->store = s;
	w->obs = obs;
	w->txn_max = TXN_EVENTS_DEFAULT;
	w->txn_waited_ns = TXN_WAITED_NS;
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->pool_mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (threaded) {
		(void)sqlite3_exec(store_db(s), WRITER_CACHE_SQL, NULL, NULL, NULL); /* a hint */
		store_ckpt_start(s, &w->ckpt);
		if (pthread_create(&w->thread, NULL, writer_main, w) == 0)
			w->threaded = 1;
		else
			store_ckpt_stop(&w->ckpt);
	}
	*out = w;
	return CD_OK;
}

/* Hand the producer's batch to the consumer (or apply it, unthreaded). */
static void
writer_flush_batch(struct writer *w)
{
	struct wop *op;

	if (w->bhead == NULL)
		return;
	if (!w->threaded) {
		wop_apply_list(w, w->bhead);
		wop_free_list(w->bhead);
	} else {
		size_t bytes = 0;

		for (op = w->bhead; op != NULL; op = op->next)
			bytes += op->size;
		pthread_mutex_lock(&w->mu);
		while (w->queued_bytes > QUEUE_MAX_BYTES)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->tail != NULL)
			w->tail->next = w->bhead;
		else
			w->head = w->bhead;
		w->tail = w->btail;
		w->queued_bytes += bytes;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	w->bhead = w->btail = NULL;
	w->nbatch = 0;
}

static int
writer_push(struct writer *w, struct wop *op)
{
	op->next = NULL;
	if (w->btail != NULL)
		w->btail->next = op;
	else
		w->bhead = op;
	w->btail = op;
	w->dirty = !(op->type == W_CKPT && op->commit);
	if (++w->nbatch >= BATCH_OPS || op->type == W_CKPT)
		writer_flush_batch(w);
	return __atomic_load_n(&w->err, __ATOMIC_RELAXED);
}

void
writer_txn_events(struct writer *w, int64_t n)
{
	w->txn_max = n;
}

void
writer_txn_waited(struct writer *w, int64_t ns)
{
	w->txn_waited_ns = ns;
}

int
writer_dirty(const struct writer *w)
{
	return w->dirty;
}

int
writer_commit_queued(struct writer *w)
{
	struct store_input none;

	if (!w->dirty)
		return __atomic_load_n(&w->err, __ATOMIC_RELAXED);
	memset(&none, 0, sizeof(none));
	return writer_checkpoint(w, &none, 1);
}

int
writer_begin(struct writer *w)
{
	if (writer_sync(w) != CD_OK)
		return w->err;
	/* the writer thread is idle: the transaction it would open, opened here */
	w->dirty = 1;
	return writer_ready(w) ? CD_OK : w->err;
}

int
writer_sync(struct writer *w)
{
	writer_flush_batch(w);
	if (w->threaded) {
		pthread_mutex_lock(&w->mu);
		while (w->head != NULL || w->busy)
			pthread_cond_wait(&w->cv, &w->mu);
		pthread_mutex_unlock(&w->mu);
	}
	return w->err;
}

void
writer_free(struct writer **wp)
{
	struct writer *w = *wp;

	if (w == NULL)
		return;
	writer_sync(w);
	if (w->threaded) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		store_ckpt_stop(&w->ckpt);
	}
	chunk_release(w->cur);
	while (w->pool != NULL) {
		struct wchunk *c = w->pool;

		w->pool = c->next_free;
		free(c);
	}
	free(w->touch);
	pthread_mutex_destroy(&w->pool_mu);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	*wp = NULL;
}

/* Copy a string into the op's data area. */
static const char *
put(char **cur, const char *s)
{
	size_t n;
	char *d = *cur;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	memcpy(d, s, n);
	*cur += n;
	return d;
}

int
writer_event(struct writer *w, const struct event *ev, int64_t stream,
	     const struct store_evidence *evd, const unsigned char key[16],
	     struct ingest_input_summary *sum)
{
	size_t need = evd->raw_len, i;
	uint32_t lens[EV_NFIELDS];
	struct wop *op;
	char *cur;

	for (i = 0; i < ev_nfields; i++) {
		const char *s = *(const char *const *)(const void *)((const char *)ev +
								      ev_fields[i].offset);

		lens[i] = 0;
		if (ev_fields[i].type == EV_T_STR && s != NULL) {
			/* arena strings: bounded by the record's arena, far below 4 GiB */
			lens[i] = (uint32_t)strlen(s);
			need += lens[i] + 1;
		}
	}
	op = op_alloc(w, sizeof(*op) + need);
	op->type = W_EVENT;
	op->sum = sum;
	op->ev = *ev;
	op->ev.dedup = NULL;
	memcpy(op->lens, lens, sizeof(lens));
	op->actor_key = ev->actor != NULL ? store_text_key(ev->actor) : EV_NULL;
	op->stream = stream;
	op->unwanted = w->obs != NULL && w->obs->wants != NULL && !w->obs->wants(w->obs->arg, ev);
	cur = op->data;
	for (i = 0; i < ev_nfields; i++)
		if (ev_fields[i].type == EV_T_STR) {
			const char **dst = (const char **)(void *)((char *)&op->ev + ev_fields[i].offset);

			if (*dst != NULL) {
				memcpy(cur, *dst, lens[i] + 1);
				*dst = cur;
				cur += lens[i] + 1;
			}
		}
	op->evd = *evd;
	if (evd->raw_len)
		memcpy(cur, evd->raw, evd->raw_len);
	op->evd.raw = cur;
	memcpy(op->key, key, 16);
	return writer_push(w, op);
}

int
writer_reject(struct writer *w, struct ingest_input_summary *sum, int64_t input_id,
	      const char *path, int64_t offset, int64_t line, const char *format,
	      const char *reason, const char *raw, size_t raw_len)
{
	size_t need, keep = raw_len > 512 ? 512 : raw_len; /* the store keeps 512 bytes */
	struct wop *op;
	char *cur;

	need = (path ? strlen(path) + 1 : 0) + (format ? strlen(format) + 1 : 0) +
	       (reason ? strlen(reason) + 1 : 0) + keep;
	op = op_alloc(w, sizeof(*op) + need);
	op->type = W_REJECT;
	op->sum = sum;
	op->input_id = input_id;
	op->offset = offset;
	op->line = line;
	cur = op->data;
	op->path = put(&cur, path);
	op->format = put(&cur, format);
	op->reason = put(&cur, reason);
	if (raw != NULL) {
		memcpy(cur, raw, keep);
		op->raw = cur;
		op->raw_len = keep;
	}
	return writer_push(w, op);
}

int
writer_checkpoint(struct writer *w, const struct store_input *in, int commit)
{
	size_t need = (in->path ? strlen(in->path) + 1 : 0) + (in->format ? strlen(in->format) + 1 : 0);
	struct wop *op = op_alloc(w, sizeof(*op) + need);
	char *cur = op->data;

	op->type = W_CKPT;
	op->commit = commit;
	op->in = *in;
	op->in.path = (char *)put(&cur, in->path);
	op->in.format = (char *)put(&cur, in->format);
	return writer_push(w, op);
}
