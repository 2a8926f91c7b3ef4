/*
 * test_ingest.c - unit tests for ingest/: the JSON record splitter, and the
 * batched event inserts the ingest writer makes.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../ingest/private.h"
#include "unit.h"

/* Split all of s; return "R[..]" for records and "X[..]" for rejects, joined. */
static void
split_all(const char *s, size_t max, char *out, size_t cap)
{
	struct json_splitter sp;
	struct split_out o;
	size_t pos = 0, len = strlen(s), n = 0;

	json_splitter_init(&sp, SPLIT_TOP, 1);
	out[0] = '\0';
	for (;;) {
		json_split(&sp, s, len, &pos, max, &o);
		if (o.what == SPLIT_NONE)
			break;
		n += (size_t)snprintf(out + n, cap - n, "%c%lld:%.*s|", o.what == SPLIT_RECORD ? 'R' : 'X',
				      (long long)o.line, (int)(o.end - o.start), s + o.start);
	}
	if (sp.rec_start >= 0)
		snprintf(out + n, cap - n, "PENDING");
}

static void
test_split_ndjson(void)
{
	char out[512];

	split_all("{\"a\":1}\n{\"b\":\"}\"}\n", 1000, out, sizeof(out));
	CHECK_STR(out, "R1:{\"a\":1}|R2:{\"b\":\"}\"}|");
}

static void
test_split_pretty(void)
{
	char out[512];

	split_all("{\n  \"a\": {\n    \"b\": 1\n  }\n}\n{\n \"c\": 2\n}\n", 1000, out, sizeof(out));
	CHECK_STR(out, "R1:{\n  \"a\": {\n    \"b\": 1\n  }\n}|R6:{\n \"c\": 2\n}|");
	/* an indented '{' opening an array element is not column 0 */
	split_all("{\n  \"a\": [\n    {\n      \"b\": 1\n    }\n  ]\n}\n", 1000, out, sizeof(out));
	CHECK_STR(out, "R1:{\n  \"a\": [\n    {\n      \"b\": 1\n    }\n  ]\n}|");
}

static void
test_split_wrappers(void)
{
	char out[512];

	split_all("{\"Records\": [{\"x\":1}, {\"y\":[2]}]}", 1000, out, sizeof(out));
	CHECK_STR(out, "R1:{\"x\":1}|R1:{\"y\":[2]}|");
	split_all("{\"kind\":\"EventList\",\"metadata\":{},\"items\":[{\"i\":1},\n{\"i\":2}]}", 1000, out,
		  sizeof(out));
	CHECK_STR(out, "R1:{\"i\":1}|R2:{\"i\":2}|");
	split_all("[{\"a\":1},{\"b\":2}]", 1000, out, sizeof(out));
	CHECK_STR(out, "R1:{\"a\":1}|R1:{\"b\":2}|");
	/* "items" that is not an array is an ordinary record */
	split_all("{\"items\":3}", 1000, out, sizeof(out));
	CHECK_STR(out, "R1:{\"items\":3}|");
	/* a nested "Records" key is not a wrapper */
	split_all("{\"a\":{\"Records\":[1]}}", 1000, out, sizeof(out));
	CHECK_STR(out, "R1:{\"a\":{\"Records\":[1]}}|");
}

static void
test_split_broken(void)
{
	char out[512];

	/* an unterminated record does not swallow the next line */
	split_all("{\"a\":1\n{\"b\":2}\n", 1000, out, sizeof(out));
	CHECK_STR(out, "X1:{\"a\":1\n|R2:{\"b\":2}|");
	/* an unterminated string ends at the newline */
	split_all("{\"a\":\"oops\n{\"b\":2}\n", 1000, out, sizeof(out));
	CHECK_STR(out, "X1:{\"a\":\"oops|R2:{\"b\":2}|");
	/* a line that cannot continue JSON ends an unterminated record */
	split_all("{\"a\": broken\nplain text\n{\"b\":2}\n", 1000, out, sizeof(out));
	CHECK_STR(out, "X1:{\"a\": broken\n|X2:plain text|R3:{\"b\":2}|");
	/* unindented multi-line records still split right */
	split_all("{\n\"a\": 1,\n\"b\": [\n2\n]\n}\n", 1000, out, sizeof(out));
	CHECK_STR(out, "R1:{\n\"a\": 1,\n\"b\": [\n2\n]\n}|");
	/* garbage lines are rejected one by one */
	split_all("hello\n{\"b\":2}\nworld\n", 1000, out, sizeof(out));
	CHECK_STR(out, "X1:hello|R2:{\"b\":2}|X3:world|");
	/* oversize records are rejected without keeping their bytes */
	split_all("{\"a\":\"0123456789012345678901234567890123456789\"}\n{\"b\":2}\n", 20, out,
		  sizeof(out));
	CHECK_STR(out, "X1:|R2:{\"b\":2}|");
	/* a record cut off by the end stays pending for the driver to reject */
	split_all("{\"a\":[1,2", 1000, out, sizeof(out));
	CHECK_STR(out, "PENDING");
}

static void
test_split_resume(void)
{
	struct json_splitter sp;
	struct split_out o;
	const char *rest = ", {\"z\":1}]}";
	size_t pos = 0;

	/* resuming inside a Records array, as a checkpoint records it */
	json_splitter_init(&sp, SPLIT_IN_WRAPPER, 7);
	json_split(&sp, rest, strlen(rest), &pos, 1000, &o);
	CHECK(o.what == SPLIT_RECORD && o.end - o.start == 7 && o.line == 7);
	json_split(&sp, rest, strlen(rest), &pos, 1000, &o);
	CHECK(o.what == SPLIT_NONE && json_split_at_boundary(&sp));
}

/*
 * Stop bytes (quote, backslash, raw newline) at every offset around the
 * 16-byte steps of the string scan: each record splits whole, escaped
 * quotes and braces inside strings do not end it, a raw newline does.
 */
static void
test_split_long_strings(void)
{
	char rec[256], in[600], want[600], out[1200];
	int k;

	for (k = 0; k < 48; k++) {
		/* k bytes, an escaped quote, a brace, k more bytes, an escaped backslash */
		snprintf(rec, sizeof(rec), "{\"a\":\"%.*s\\\"}%.*s\\\\\",\"b\":%d}", k,
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", k,
			 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", k);
		snprintf(in, sizeof(in), "%s\n%s\n", rec, rec);
		snprintf(want, sizeof(want), "R1:%s|R2:%s|", rec, rec);
		split_all(in, 1000, out, sizeof(out));
		CHECK_STR(out, want);
		/* a raw newline k bytes into a string breaks that record only */
		snprintf(in, sizeof(in), "{\"a\":\"%.*s\n\"}\n{\"c\":1}\n", k,
			 "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
		split_all(in, 1000, out, sizeof(out));
		CHECK(strncmp(out, "X1:", 3) == 0 && strstr(out, "R3:{\"c\":1}|") != NULL);
	}
}

/* n events at seconds ts[i], keyed by ts[i], each with its own raw bytes */
static int
add_events(struct store *s, const int *ts, size_t n, struct store_event_in *in)
{
	static struct event ev[64];
	static struct store_evidence evd[64];
	static unsigned char key[64][16];
	static char raw[64][32];
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&ev[i], 0, sizeof(ev[i]));
		ev[i].pid = ev[i].ppid = ev[i].uid = ev[i].auid = ev[i].ses = EV_NULL;
		ev[i].ts_ns = (int64_t)ts[i] * 1000000000;
		ev[i].source = "unit";
		memset(key[i], 0, 16);
		memcpy(key[i], &ts[i], sizeof(ts[i]));
		snprintf(raw[i], sizeof(raw[i]), "record %d", ts[i]);
		memset(&evd[i], 0, sizeof(evd[i]));
		evd[i].raw = raw[i];
		evd[i].raw_len = strlen(raw[i]);
		in[i].ev = &ev[i];
		in[i].lens = NULL;
		in[i].evd = &evd[i];
		in[i].key = key[i];
		in[i].actor_key = EV_NULL;
		in[i].stream = store_stream_of(in[i].ev, 0);
		in[i].id = -1;
	}
	return store_events_add(s, in, n);
}

/*
 * The id contract of batched inserts: new rows get consecutive ids in
 * order, rows already stored and a second copy within the batch get 0,
 * whatever their positions in a full batch.
 */
static void
test_store_batch_ids(void)
{
	struct store_event_in in[64];
	struct store *s = NULL;
	char *cause = NULL;
	int ts[64];
	size_t i;
	int64_t next;

	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	CHECK(store_begin(s) == CD_OK);
	/* a batch of new rows: ids 1..32 */
	for (i = 0; i < STORE_EVENT_BATCH; i++)
		ts[i] = 1000 + 2 * (int)i; /* even seconds */
	CHECK(add_events(s, ts, STORE_EVENT_BATCH, in) == CD_OK);
	for (i = 0; i < STORE_EVENT_BATCH; i++)
		CHECK(in[i].id == (int64_t)i + 1);
	/* old rows at even positions, new rows at odd ones, and the new row of
	 * position 1 again at the end: only the new rows' first copies count */
	for (i = 0; i < STORE_EVENT_BATCH; i++)
		ts[i] = i % 2 ? 1001 + 2 * (int)i : 1000 + 2 * (int)i;
	ts[STORE_EVENT_BATCH - 1] = ts[1];
	CHECK(add_events(s, ts, STORE_EVENT_BATCH, in) == CD_OK);
	next = STORE_EVENT_BATCH + 1;
	for (i = 0; i < STORE_EVENT_BATCH; i++) {
		int fresh = i % 2 == 1 && i != STORE_EVENT_BATCH - 1;

		CHECK(in[i].id == (fresh ? next : 0));
		if (fresh)
			next++;
	}
	CHECK(store_commit(s) == CD_OK);
	store_close(&s);
}

static int
count_commit(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_RELAXED);
	return 0; /* let it commit */
}

/* Three batches of ten events, each with a COMMIT, queued while another
 * connection holds the write lock; then the lock is let go. */
static void
queue_behind_lock(struct writer *w, sqlite3 *other, struct ingest_input_summary *sum, int first)
{
	struct store_input none;
	struct store_evidence evd;
	struct event ev;
	unsigned char key[16];
	int b, i;

	memset(&none, 0, sizeof(none));
	memset(&evd, 0, sizeof(evd));
	evd.raw = "record";
	evd.raw_len = 6;
	CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
	for (b = first; b < first + 3; b++) {
		for (i = 0; i < 10; i++) {
			memset(&ev, 0, sizeof(ev));
			ev.pid = ev.ppid = ev.uid = ev.auid = ev.ses = EV_NULL;
			ev.ts_ns = (int64_t)(1000 + b * 10 + i) * 1000000000;
			ev.source = "unit";
			memset(key, 0, sizeof(key));
			key[0] = (unsigned char)b;
			key[1] = (unsigned char)i;
			CHECK(writer_event(w, &ev, store_stream_of(&ev, 0), &evd, key, sum) == CD_OK);
		}
		CHECK(writer_checkpoint(w, &none, 1) == CD_OK);
	}
	/* all three COMMITs are queued behind the lock: let the writer go */
	CHECK(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(writer_sync(w) == CD_OK);
}

static int
count_rows(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * Group commit: COMMITs the driver asked for while the writer was behind
 * (here: waiting for another connection's write lock while three batches
 * queued up) become one, taken when the writer has caught up; nothing is
 * left uncommitted, and every event is stored once.  With a limit of ten
 * events a transaction (CORDON_TEST_BATCH=10), each is taken as asked.
 */
static void
test_writer_group_commit(void)
{
	char dir[] = "/tmp/cordon-unit-XXXXXX", path[64];
	struct ingest_input_summary sum;
	struct store *s = NULL;
	struct writer *w = NULL;
	sqlite3 *other = NULL;
	char *cause = NULL;
	int commits = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	if (store_open(path, 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	sqlite3_commit_hook(store_db(s), count_commit, &commits);
	CHECK(sqlite3_open(path, &other) == SQLITE_OK);
	writer_new(s, 1, NULL, &w);
	memset(&sum, 0, sizeof(sum));
	queue_behind_lock(w, other, &sum, 0);
	CHECK(commits == 1);
	CHECK(!store_in_transaction(s));
	CHECK(sum.events == 30);
	CHECK(count_rows(other) == 30); /* committed: another connection sees them */
	writer_txn_events(w, 10);
	queue_behind_lock(w, other, &sum, 3);
	CHECK(commits == 4);
	CHECK(count_rows(other) == 60);
	writer_free(&w);
	store_close(&s);
	sqlite3_close(other);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-shm", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-writers", dir);
	unlink(path);
	rmdir(dir);
}

static void
unlink_store(char *dir, const char *path)
{
	static const char *const tails[] = { "", "-wal", "-shm", "-writers" };
	char p[96];
	size_t i;

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, tails[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Another writer says it waits, as store_begin_wait does (docs/writers.md:
 * a shared lock on byte 0 of STORE-writers); returns its descriptor. */
static int
announce_waiter(const char *path)
{
	struct flock fl;
	char p[96];
	int fd;

	snprintf(p, sizeof(p), "%s-writers", path);
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_RDLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 1;
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A writer waits: the group commit ends.  The same three batches as in
 * writer_group_commit, queued behind another connection's lock, but with
 * a writer waiting for the store meanwhile: each COMMIT the driver asked
 * for is taken (three, not one), so the waiting writer gets the store
 * after one batch instead of after the whole backlog.
 */
static void
test_writer_yields_to_waiter(void)
{
	char dir[] = "/tmp/cordon-unit-XXXXXX", path[64];
	struct ingest_input_summary sum;
	struct store *s = NULL;
	struct writer *w = NULL;
	sqlite3 *other = NULL;
	char *cause = NULL;
	int commits = 0, waiter;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	if (store_open(path, 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	CHECK(!store_writers_waiting(s));
	waiter = announce_waiter(path);
	CHECK(waiter >= 0);
	CHECK(store_writers_waiting(s));
	sqlite3_commit_hook(store_db(s), count_commit, &commits);
	CHECK(sqlite3_open(path, &other) == SQLITE_OK);
	writer_new(s, 1, NULL, &w);
	writer_txn_waited(w, 0); /* no timing in a test: a waiter ends a group at once */
	memset(&sum, 0, sizeof(sum));
	queue_behind_lock(w, other, &sum, 0);
	CHECK(commits == 3);
	CHECK(count_rows(other) == 30);
	close(waiter); /* nobody waits: the group commit is back */
	CHECK(!store_writers_waiting(s));
	queue_behind_lock(w, other, &sum, 3);
	CHECK(commits == 4);
	CHECK(count_rows(other) == 60);
	writer_free(&w);
	store_close(&s);
	sqlite3_close(other);
	unlink_store(dir, path);
}

struct turn_arg {
	const char *path;
	int granted; /* set while it holds the store */
	int rc;
};

static void *
turn_second(void *arg)
{
	struct turn_arg *a = arg;
	struct store *s = NULL;
	char *cause = NULL;

	if ((a->rc = store_open(a->path, 0, &s, &cause)) != CD_OK) {
		free(cause);
		__atomic_store_n(&a->granted, -1, __ATOMIC_RELEASE);
		return NULL;
	}
	a->rc = store_begin_wait(s, (int64_t)60 * 1000000000LL);
	if (a->rc == CD_OK) {
		__atomic_store_n(&a->granted, 1, __ATOMIC_RELEASE);
		a->rc = store_commit(s);
	}
	store_close(&s);
	return NULL;
}

/*
 * Lock grants in turn: a writer that commits and at once asks again (a
 * follower behind its input) queues behind a writer already waiting,
 * instead of winning the lock again while SQLite's busy handler has the
 * waiter asleep.  The order of grants is what is checked: when the first
 * writer has the store again, the second has had it in between.
 */
static void
test_store_writers_take_turns(void)
{
	char dir[] = "/tmp/cordon-unit-XXXXXX", path[64];
	struct turn_arg a = { path, 0, CD_OK };
	struct store *s = NULL;
	char *cause = NULL;
	pthread_t th;
	int i;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	if (store_open(path, 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	CHECK(store_begin_wait(s, 1000000000LL) == CD_OK);
	CHECK(pthread_create(&th, NULL, turn_second, &a) == 0);
	/* until the second writer says it waits (bounded: a broken queue fails) */
	for (i = 0; i < 20000 && !store_writers_waiting(s); i++)
		usleep(1000);
	CHECK(store_writers_waiting(s));
	CHECK(__atomic_load_n(&a.granted, __ATOMIC_ACQUIRE) == 0);
	CHECK(store_commit(s) == CD_OK);
	CHECK(store_begin_wait(s, (int64_t)60 * 1000000000LL) == CD_OK);
	CHECK(__atomic_load_n(&a.granted, __ATOMIC_ACQUIRE) == 1); /* it went first */
	CHECK(store_commit(s) == CD_OK);
	pthread_join(th, NULL);
	CHECK(a.rc == CD_OK);
	store_close(&s);
	unlink_store(dir, path);
}

const struct unit_test ingest_tests[] = {
	{ "writer_yields_to_waiter", test_writer_yields_to_waiter },
	{ "store_writers_take_turns", test_store_writers_take_turns },
	{ "writer_group_commit", test_writer_group_commit },
	{ "store_batch_ids", test_store_batch_ids },
	{ "split_long_strings", test_split_long_strings },
	{ "split_ndjson", test_split_ndjson },
	{ "split_pretty", test_split_pretty },
	{ "split_wrappers", test_split_wrappers },
	{ "split_broken", test_split_broken },
	{ "split_resume", test_split_resume },
	{ NULL, NULL },
};
