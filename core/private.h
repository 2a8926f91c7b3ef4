/*
 * private.h - what store.c, evidence.c and checkpoint.c share inside core/.
 */
#ifndef CORDON_CORE_PRIVATE_H
#define CORDON_CORE_PRIVATE_H

#include "core.h"

struct sqlite3;
struct evw;
struct evins;

/* WAL pages after which a commit checkpoints (when no checkpointer runs) */
#define STORE_AUTOCHECKPOINT 2000

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

#endif
