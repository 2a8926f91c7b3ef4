/*
 * checkpoint.c - WAL checkpoints off the writer's thread during a long write.
 *
 * SQLite checkpoints (copying the WAL back into the database file and
 * syncing both) run in whichever connection commits when the WAL passes
 * wal_autocheckpoint pages.  During an ingest that is the writer thread,
 * the pipeline's bottleneck: on 200,000 CloudTrail records the checkpoints
 * and their fsyncs were a fifth of the ingest's wall time.  While a long
 * write runs, a second connection on its own thread does them instead,
 * PASSIVE (it never blocks the writer or a reader), woken by the writing
 * connection's WAL hook, and sooner (CKPT_PAGES), so little is left for
 * the end, which nothing overlaps.
 *
 * The WAL starts over only when a write transaction begins after a
 * checkpoint copied all of it; the writer begins its next transaction
 * right after each commit, before a background checkpoint can finish, so
 * on its own the WAL would grow for the whole ingest (it reached 13 GB on
 * 10 million events).  So a commit now and then finishes the checkpoint
 * itself (the frames the background has not copied yet), after which the
 * next transaction starts the WAL over.  That copy is the writer's time,
 * and what is left to copy is at least the transaction just committed: a
 * follower's few pages, but a bulk ingest's 50,000 events (about 40 MiB).
 * So past RESTART_PAGES the commit finishes it only when little is left
 * (RESTART_REST), and past RESTART_MAX whatever is left.  200,000
 * CloudTrail events into an empty store (medians of four runs): 1.03 s
 * finishing it at every commit past 64 MiB, 0.98 s past 128 MiB
 * (docs/ingest-scale.md, "The last checkpoint").
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define CKPT_PAGES    512  /* 8 MiB of WAL at 16 KiB pages: a background checkpoint */
#define RESTART_PAGES 4096 /* 64 MiB: the commit completes one if little is left */
#define RESTART_REST  1024 /* little: 16 MiB not copied yet */
#define RESTART_MAX   8192 /* 128 MiB: the commit completes one; the WAL restarts */
#define RESTART_WAIT_MS 200 /* how long a RESTART waits for readers to move on */
/* past 3x RESTART_PAGES (192 MiB) the bound matters more than the writer's
 * pace: RESTART waits longer for readers (a query's read transaction lasts
 * well under this), and is tried four times a second */
#define RESTART_LATE_WAIT_MS 600
#define RESTART_LATE_EVERY_NS 250000000LL

struct store_ckpt {
	struct store *s;
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending;
	int stop;
	pthread_mutex_t run_mu; /* held while a checkpoint runs */
	int64_t restart_ns;     /* when the writer last tried a RESTART */
	int copied;             /* WAL frames the background's last run had copied */
	int finished_at;        /* the WAL's frames when the commit last finished one */
};

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store_ckpt *c = arg;
	int copied = __atomic_load_n(&c->copied, __ATOMIC_RELAXED);
	/* a count above pages is the WAL's before it started over: nothing
	 * is known copied (a stale count below pages can only make the
	 * commit's copy longer than it expected, never skip one) */
	int rest = copied <= pages ? pages - copied : pages;
	/* it grew on after the commit had copied all of it: readers keep
	 * it from starting over; smaller: it did start over */
	int pinned = c->finished_at > 0 && pages > c->finished_at;

	if (pages < c->finished_at)
		c->finished_at = 0;
	if (pages >= 2 * RESTART_PAGES && (pinned || pages >= 2 * RESTART_MAX)) {
		/*
		 * Readers kept the WAL from starting over (each read
		 * transaction pins the frames it may need; with readers always
		 * present a passive checkpoint never frees them all): RESTART
		 * copies everything, then waits (the busy handler, bounded)
		 * until readers read from the database file only, so the next
		 * transaction starts the WAL over and journal_size_limit cuts
		 * the file back.
		 */
		int64_t now = time_now_ns();
		int late = pages >= 3 * RESTART_PAGES;

		/* a reader that stays (output piped to a pager) must not stall
		 * every commit: wait RESTART_WAIT_MS at most, once a second */
		if (now - c->restart_ns >= (late ? RESTART_LATE_EVERY_NS : 1000000000LL)) {
			c->restart_ns = now;
			pthread_mutex_lock(&c->run_mu);
			sqlite3_busy_timeout(db, late ? RESTART_LATE_WAIT_MS : RESTART_WAIT_MS);
			(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
			sqlite3_busy_timeout(db, STORE_BUSY_MS);
			pthread_mutex_unlock(&c->run_mu);
			c->finished_at = pages;
		}
	} else if (pages >= RESTART_MAX || (pages >= RESTART_PAGES && rest <= RESTART_REST)) {
		/* after the background one, if running: the rest is short */
		pthread_mutex_lock(&c->run_mu);
		(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_unlock(&c->run_mu);
		c->finished_at = pages;
	} else if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&c->mu);
		c->pending = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

static void *
ckpt_main(void *arg)
{
	struct store_ckpt *c = arg;
	int copied;

	pthread_setname_np(pthread_self(), "cordon-ckpt");
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->pending && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->pending = 0;
		pthread_mutex_unlock(&c->mu);
		/* busy or partial is fine: the next hook tries again */
		pthread_mutex_lock(&c->run_mu);
		if (sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, &copied) !=
			    SQLITE_OK ||
		    copied < 0)
			copied = 0;
		pthread_mutex_unlock(&c->run_mu);
		__atomic_store_n(&c->copied, copied, __ATOMIC_RELAXED);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
store_ckpt_start(struct store *s, struct store_ckpt **out)
{
	struct store_ckpt *c;

	*out = NULL;
	if (s == NULL || sqlite3_db_readonly(store_db(s), "main") != 0 ||
	    strcmp(store_path(s), ":memory:") == 0)
		return CD_OK;
	c = xcalloc(1, sizeof(*c));
	c->s = s;
	if (sqlite3_open_v2(store_path(s), &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		/* no second connection: checkpoints stay with the writer */
		sqlite3_close(c->db);
		free(c);
		return CD_OK;
	}
	sqlite3_busy_timeout(c->db, 1000);
	/* a connection knows the file is in WAL mode once it has read it */
	if (sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(c->db);
		free(c);
		return CD_OK;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->run_mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_mutex_destroy(&c->run_mu);
		pthread_cond_destroy(&c->cv);
		sqlite3_close(c->db);
		free(c);
		return CD_OK;
	}
	/* replaces the connection's automatic checkpoints */
	sqlite3_wal_hook(store_db(s), wal_hook, c);
	*out = c;
	return CD_OK;
}

void
store_ckpt_stop(struct store_ckpt **cp)
{
	struct store_ckpt *c = *cp;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	/* automatic checkpoints again, as the store opened */
	sqlite3_wal_autocheckpoint(store_db(c->s), STORE_AUTOCHECKPOINT);
	sqlite3_close(c->db);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->run_mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	*cp = NULL;
}
