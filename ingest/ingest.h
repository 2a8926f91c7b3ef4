/*
 * ingest.h - the public interface of ingest/: turning log files into
 * normalized events in the evidence store.
 *
 *   driver.c        inputs, probing, checkpoints, rejects, progress, --follow
 *   source.c        byte source over a file, stdin, gzip or zstd stream
 *   split.c         record splitters: lines and streamed JSON values
 *   registry.c      the static table of ingesters
 *   cmd_ingest.c    `cordon ingest`
 *   ing_*.c         one ingester per log format (see private.h)
 */
#ifndef CORDON_INGEST_H
#define CORDON_INGEST_H

#include "../core/core.h"

#define INGEST_MAX_RECORD_DEFAULT ((size_t)4 << 20) /* 4 MiB per record */

/*
 * Told of each event the store took (not of duplicates), with its row id,
 * in id order, right after the statement that stored it and inside the
 * same transaction, on the writer's thread (the identity graph learns
 * lineage this way); commit runs before each COMMIT.  Either fails the
 * ingest by returning an error.  wants (optional) runs first, on the
 * parsing thread as the event is queued: when it returns 0, event gets
 * ev NULL (the id alone), so the writer's thread, the pipeline's slowest,
 * spends nothing on an event the observer has nothing to learn from.
 */
struct ingest_observer {
	void *arg;
	int (*wants)(void *arg, const struct event *ev);
	int (*event)(void *arg, const struct event *ev, int64_t id);
	int (*commit)(void *arg);
};

struct ingest_opts {
	const char *format;   /* force this ingester; NULL = probe each input */
	const struct ingest_observer *observer; /* or NULL */
	int follow;           /* keep reading as files grow (tail -F) */
	int progress;         /* progress line on stderr */
	size_t max_record;    /* bytes; a longer record is rejected */
	int quiet;
};

struct ingest_input_summary {
	char *path;
	const char *format;
	int64_t events;       /* new events stored */
	int64_t duplicates;   /* records already in the store */
	int64_t rejects;
	int64_t bytes;        /* bytes read this run */
	int skipped;          /* unchanged since the last run */
	int waiting;          /* --follow: missing or empty when it stopped; nothing to read */
	int walked;           /* found by walking a directory, not named */
	int unknown;          /* walked, and not a log or inventory of a known format: skipped */
	char *error;          /* the input could not be read at all */
	int inventory;        /* an inventory: it stores graph nodes and edges, never events */
	int64_t nodes;        /* inventory: graph nodes it wrote (new or updated) */
	int64_t edges;        /* inventory: graph edges it stored */
};

struct ingest_summary {
	struct ingest_input_summary *inputs;
	size_t ninputs;
	int64_t events, duplicates, rejects, bytes;
	double seconds;
	int full;             /* stopped because the store's disk (or the store) is full */
	int64_t wal_max;      /* --follow: the largest the store's WAL file was seen, bytes; -1 not followed */
	int64_t wait_max_ns;  /* --follow: the longest wait for the write lock (the store's timing) */
	int64_t write_max_ns; /* --follow: the longest write transaction it held */
};

/* Ingest every path (file, directory, or "-" for stdin) into the store. */
int ingest_run(struct store *s, const struct ingest_opts *o, char *const *paths, int npaths,
	       struct ingest_summary *sum);
void ingest_summary_release(struct ingest_summary *sum);

/*
 * `cordon ingest --listen`: receive events pushed over HTTP (Falco
 * http_output, the Kubernetes audit webhook) and raw newline-delimited
 * JSON streams (Vault's socket audit device) until SIGTERM (listen.c).
 */
struct ingest_listen_opts {
	const char *addr;        /* ADDR[:PORT]; loopback unless a token is given */
	const char *token_file;  /* bearer token; required off loopback */
	size_t max_body;         /* bytes; 413 beyond */
	int max_conns;           /* 503 beyond */
};
int ingest_listen(struct store *s, const struct ingest_opts *o, const struct ingest_listen_opts *lo,
		  struct ingest_summary *sum);

/* Names of the known formats, NULL-terminated, for --help and --format. */
const char *ingest_format_name(size_t i);
const char *ingest_format_summary(size_t i);
/* Probe a buffer: the best format's name, or NULL. */
const char *ingest_probe(const char *head, size_t len);
/* The same, only when the best probe scores at least min_score (out of
 * 100): a file found in a directory walk is read only with confidence. */
const char *ingest_probe_scored(const char *head, size_t len, int min_score);
#define INGEST_PROBE_CONFIDENT 50

extern const struct cmd_entry cmd_ingest_entry;

/*
 * Fuzzing entry: run one format's ingester over a buffer into an
 * in-memory store.  Returns the number of events stored.
 */
int64_t ingest_buffer(struct store *s, const char *format, const char *data, size_t len);

#endif
