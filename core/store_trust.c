/*
 * store_trust.c - whether the file at a store path may be trusted, decided
 * before anything is written to it.
 *
 * A store holds evidence, so the file must be ours alone: a regular file,
 * not reached through a symlink, owned by the effective uid, writable by
 * nobody else, and cordon's by its PRAGMA application_id (or a store from
 * before the id, recognised by its tables).  Everything here only reads: a
 * file that is refused is left byte for byte as it was, without -wal,
 * -shm or journal files beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

int
store_read_kind(sqlite3 *db, struct store_kind *k)
{
	sqlite3_stmt *st;
	int rc;

	memset(k, 0, sizeof(*k));
	rc = sqlite3_prepare_v2(db,
				"SELECT (SELECT application_id FROM pragma_application_id),"
				" (SELECT user_version FROM pragma_user_version),"
				" (SELECT count(*) FROM sqlite_master WHERE type = 'table'),"
				" (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
				"  ('meta', 'inputs', 'events', 'evidence_segments', 'rejects')),"
				" (SELECT page_count FROM pragma_page_count),"
				" (SELECT page_size FROM pragma_page_size)",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		k->app_id = (uint32_t)sqlite3_column_int64(st, 0);
		k->version = sqlite3_column_int(st, 1);
		k->tables = sqlite3_column_int(st, 2);
		k->cordon_tables = sqlite3_column_int(st, 3);
		k->pages = sqlite3_column_int64(st, 4);
		k->page_size = sqlite3_column_int64(st, 5);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_classify(const struct store_kind *k)
{
	if (k->app_id == STORE_APPLICATION_ID)
		return KIND_CORDON;
	if (k->app_id != 0)
		return KIND_FOREIGN;
	if (k->tables == 0 && k->version == 0)
		return KIND_NEW;
	/* before application_id: schema 1 made these five with user_version 1 */
	if (k->version >= 1 && k->cordon_tables == 5)
		return KIND_LEGACY;
	return KIND_FOREIGN;
}

static void
cause_foreign(const char *path, const struct store_kind *k, char **cause)
{
	struct buf b;

	buf_init(&b, 65536);
	if (buf_printf(&b, "not a cordon store: %s (application_id 0x%08x", path,
		       (unsigned)k->app_id) != CD_OK ||
	    (k->app_id == 0 && buf_printf(&b, ", user_version %d, %d tables, no cordon schema",
					  k->version, k->tables) != CD_OK) ||
	    buf_printf(&b, "; cordon's is 0x%08x); it was left as it is: pass --db with"
			   " a new path for a new store",
		       (unsigned)STORE_APPLICATION_ID) != CD_OK)
		buf_reset(&b);
	*cause = buf_detach(&b, NULL);
	buf_release(&b); /* detach leaves it initialised */
}

static void
cause_damaged(const char *path, const char *what, char **cause)
{
	struct buf b;

	buf_init(&b, 65536);
	if (buf_printf(&b, "store %s is damaged or truncated: %s; restore it from a copy", path,
		       what) != CD_OK)
		buf_reset(&b);
	*cause = buf_detach(&b, NULL);
	buf_release(&b); /* detach leaves it initialised */
}

/*
 * SQLite's "not a database" is either a foreign file or a store whose
 * first page is gone: the SQLite magic at the start tells which.
 */
int
store_sqlite_failed(sqlite3 *db, const char *path, char **cause)
{
	static const char magic[16] = "SQLite format 3";
	int rc = sqlite3_errcode(db) & 0xff;
	char head[16];
	ssize_t n = 0;
	int fd;

	if (rc == SQLITE_CORRUPT) {
		cause_damaged(path, sqlite3_errmsg(db), cause);
		return CD_E_DAMAGED;
	}
	if (rc != SQLITE_NOTADB) {
		*cause = xstrdup(sqlite3_errmsg(db));
		return CD_E_DB;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) >= 0) {
		n = pread(fd, head, sizeof(head), 0);
		close(fd);
	}
	if (n > 0 && memcmp(head, magic, (size_t)n) == 0) {
		cause_damaged(path, "its first page is cut short or overwritten", cause);
		return CD_E_DAMAGED;
	}
	{
		struct buf b;

		buf_init(&b, 65536);
		if (buf_printf(&b, "not a cordon store: %s (not an SQLite database); it was left as"
				   " it is: pass --db with a new path for a new store", path) != CD_OK)
			buf_reset(&b);
		*cause = buf_detach(&b, NULL);
		buf_release(&b); /* detach leaves it initialised */
	}
	return CD_E_NOTSTORE;
}

static int store_wal_exists(const char *path);
/*
 * Classify the database on db and say why it is refused.  With
 * check_size, a store whose header counts more pages than the file holds
 * was cut short.  The header and the size are read inside one read
 * transaction (no commit can grow the file in between), and only with no
 * -wal file, where the file alone is the whole store.
 */
int
store_check_kind(sqlite3 *db, const char *path, int check_size, int *kind, struct store_kind *k,
		 char **cause)
{
	char what[160];
	struct stat st;
	int rc, r = CD_OK;

	if (check_size && store_exec_sql(db, "BEGIN", cause) != CD_OK)
		return CD_E_DB;
	rc = store_read_kind(db, k);
	if (rc == SQLITE_OK && check_size && k->pages > 0 && k->page_size > 0 &&
	    !store_wal_exists(path) && stat(path, &st) == 0 &&
	    k->pages * k->page_size > (int64_t)st.st_size) {
		snprintf(what, sizeof(what), "%lld bytes on disk, its header says %lld",
			 (long long)st.st_size, (long long)(k->pages * k->page_size));
		cause_damaged(path, what, cause);
		r = CD_E_DAMAGED;
	}
	if (rc != SQLITE_OK)
		r = store_sqlite_failed(db, path, cause);
	if (check_size)
		store_exec_sql(db, "COMMIT", NULL);
	if (r != CD_OK)
		return r;
	*kind = store_classify(k);
	if (*kind == KIND_FOREIGN) {
		cause_foreign(path, k, cause);
		return CD_E_NOTSTORE;
	}
	return CD_OK;
}

/*
 * Before SQLite sees the path: it names a regular file of ours that only
 * we can write, not a symlink.  A writer creates a missing store 0600
 * itself (SQLite copies the mode to -wal and -shm).  The file is opened
 * O_NOFOLLOW, so the last path component cannot be a symlink; directories
 * above it may be (they are the user's choice of where the case lives).
 * The descriptor is closed before SQLite opens the file: closing a second
 * descriptor later would drop SQLite's POSIX locks on it.
 */
int
store_check_file(const char *path, int readonly, struct stat *out, char **cause)
{
	int fd = -1;

	if (!readonly) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 && fchmod(fd, 0600) != 0) {
			*cause = xstrdup(strerror(errno));
			close(fd);
			return CD_E_IO;
		}
	}
	if (fd < 0 && (readonly || errno == EEXIST))
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP) {
			*cause = xstrdupf("store %s is a symlink; cordon opens no store through one"
				      " (a link could point it at any file): pass the real path"
				      " with --db", path);
			return CD_E_UNSAFE;
		}
		if (errno == ENOENT && readonly) {
			*cause = xstrdup("no such store; run `cordon ingest` first or pass --db");
			return CD_E_NOTFOUND;
		}
		*cause = xstrdup(strerror(errno));
		return CD_E_IO;
	}
	if (fstat(fd, out) != 0) {
		*cause = xstrdup(strerror(errno));
		close(fd);
		return CD_E_IO;
	}
	close(fd);
	if (!S_ISREG(out->st_mode)) {
		*cause = xstrdupf("store %s is not a regular file", path);
		return CD_E_UNSAFE;
	}
	/* root too: a store another user owns is one that user can rewrite */
	if (out->st_uid != geteuid()) {
		*cause = xstrdupf("store %s belongs to uid %lld, not to you (uid %lld): its owner"
			      " can change the evidence; use a copy of your own (cp %s mine.db)",
			      path, (long long)out->st_uid, (long long)geteuid(), path);
		return CD_E_UNSAFE;
	}
	if (out->st_mode & (S_IWGRP | S_IWOTH)) {
		*cause = xstrdupf("store %s is writable by group or others (mode %04o): anyone"
			      " could have changed the evidence; check it, then chmod 600 %s",
			      path, (unsigned)(out->st_mode & 07777), path);
		return CD_E_UNSAFE;
	}
	return CD_OK;
}

/* The path names the same file that was checked (not swapped since). */
int
store_same_file(const char *path, const struct stat *checked, char **cause)
{
	struct stat now;

	if (lstat(path, &now) != 0 || now.st_dev != checked->st_dev ||
	    now.st_ino != checked->st_ino) {
		*cause = xstrdupf("store %s was replaced while cordon opened it; check who else"
			      " writes to its directory, then try again", path);
		return CD_E_UNSAFE;
	}
	return CD_OK;
}

static int
store_wal_exists(const char *path)
{
	struct buf b;
	int r;

	buf_init(&b, 8192);
	r = buf_printf(&b, "%s-wal", path) == CD_OK && access(b.data, F_OK) == 0;
	buf_release(&b);
	return r;
}

/*
 * The path as a read-only, immutable SQLite URI: percent-encoded, so a
 * file name with ? or # stays one name.
 */
static char *
store_immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;
	const unsigned char *p;
	char *uri;
	int r;

	buf_init(&b, 65536);
	r = buf_addstr(&b, "file:");
	for (p = (const unsigned char *)path; *p && r == CD_OK; p++) {
		char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p) != NULL)
			r = buf_addc(&b, (char)*p);
		else
			r = buf_add(&b, esc, 3);
	}
	if (r == CD_OK)
		r = buf_addstr(&b, "?immutable=1");
	uri = r == CD_OK ? buf_detach(&b, NULL) : NULL;
	buf_release(&b); /* detach leaves it initialised */
	return uri;
}

/*
 * What the header says before SQLite looks (*refuse: a file refused on it
 * alone), and whether the probe must be immutable: a read-only connection to a WAL-mode
 * database would create -wal and -shm beside it, so a WAL-mode file that is
 * not known to be cordon's (by the application id in its header) and has no
 * -wal file is read immutable.  No WAL writer is at work on it then (one
 * always has its -wal open).  Anything else is read with locks: a file that
 * is cordon's, a rollback-mode file (nothing is created for it), a file that
 * is no database; so a probe never reads a store half-written by a writer
 * creating or migrating it.
 */
static int
store_probe_immutable(const char *path, int *refuse, char **cause)
{
	unsigned char h[100];
	ssize_t n = 0;
	uint32_t app;
	int fd;

	*refuse = CD_OK;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) >= 0) {
		n = pread(fd, h, sizeof(h), 0);
		close(fd);
	}
	if (n <= 0)
		return 0; /* SQLite says what it is */
	/* not even a whole header: decided here, SQLite might take it for WAL */
	if (memcmp(h, "SQLite format 3", (size_t)(n < 16 ? n : 16)) != 0) {
		*cause = xstrdupf("not a cordon store: %s (not an SQLite database); it was left as"
			      " it is: pass --db with a new path for a new store", path);
		*refuse = CD_E_NOTSTORE;
		return 0;
	}
	if (n < (ssize_t)sizeof(h)) {
		cause_damaged(path, "its header is cut short", cause);
		*refuse = CD_E_DAMAGED;
		return 0;
	}
	app = (uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 | (uint32_t)h[70] << 8 | h[71];
	if ((h[18] != 2 && h[19] != 2) || store_wal_exists(path))
		return 0;
	/*
	 * A WAL-mode file at rest (no -wal: nobody writes it) is the whole
	 * store, so a header counting more pages than the file holds is a cut
	 * store, told from the header alone: SQLite would create -wal and
	 * -shm to look.  The size is taken after the -wal check, so a writer
	 * that just finished a checkpoint has finished growing the file.
	 */
	{
		int64_t psize = (int64_t)h[16] << 8 | h[17];
		int64_t pages = (int64_t)h[28] << 24 | (int64_t)h[29] << 16 | (int64_t)h[30] << 8 | h[31];
		struct stat st;
		char what[160];

		if (psize == 1)
			psize = 65536;
		if (memcmp(h + 24, h + 92, 4) == 0 && pages > 0 && psize >= 512 &&
		    stat(path, &st) == 0 && (int64_t)st.st_size < pages * psize) {
			snprintf(what, sizeof(what), "%lld bytes on disk, its header says %lld",
				 (long long)st.st_size, (long long)(pages * psize));
			cause_damaged(path, what, cause);
			*refuse = CD_E_DAMAGED;
			return 0;
		}
	}
	return app != STORE_APPLICATION_ID;
}

/*
 * A hot rollback journal: a process was killed inside a transaction before
 * the store switched to WAL (creating its tables or migrating it).  A
 * read-only connection cannot roll it back ("attempt to write a readonly
 * database"), so the probe decides from the bytes: the store is ours when
 * the database held nothing when the transaction began, or when its first
 * page as it was then (in the journal, else unchanged in the file) carries
 * cordon's application_id.  The writer's own connection then rolls the
 * journal back before anything else.
 */
static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 1: a hot journal, and the store is ours; -1: a hot journal, not
 * provably ours; 0: no hot journal. */
static int
store_hot_journal_ours(const char *path)
{
	static const unsigned char magic[8] = { 0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7 };
	unsigned char h[28], rec[4], page1[100];
	char jp[PATH_MAX];
	uint32_t sector, pgsz;
	int fd, found = 0, ours = 0;
	off_t off, size;

	if ((size_t)snprintf(jp, sizeof(jp), "%s-journal", path) >= sizeof(jp) ||
	    (fd = open(jp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	size = lseek(fd, 0, SEEK_END);
	/* header: magic, records, nonce, the database's pages at the start,
	 * sector size, page size */
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, magic, 8) != 0) {
		close(fd);
		return 0; /* no header: not hot, SQLite ignores it */
	}
	if (be32(h + 16) == 0) {
		close(fd);
		return 1;
	}
	sector = be32(h + 20);
	pgsz = be32(h + 24);
	if (sector < 32 || sector > 65536 || pgsz < 512 || pgsz > 65536) {
		close(fd);
		return -1;
	}
	/* records: page number, the page as it was, a checksum */
	for (off = sector; off + 8 + (off_t)pgsz <= size && !found; off += 8 + (off_t)pgsz) {
		if (pread(fd, rec, 4, off) != 4)
			break;
		if (be32(rec) == 1)
			found = pread(fd, page1, sizeof(page1), off + 4) == (ssize_t)sizeof(page1);
	}
	close(fd);
	if (!found && (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		found = pread(fd, page1, sizeof(page1), 0) == (ssize_t)sizeof(page1);
		close(fd);
	}
	if (found)
		ours = memcmp(page1, "SQLite format 3", 16) == 0 &&
		       be32(page1 + 68) == (uint32_t)STORE_APPLICATION_ID;
	return ours ? 1 : -1;
}

/*
 * Look before anything is written: the database is probed through a
 * read-only connection, so a file that is refused is left exactly as it
 * was (no tables, no WAL switch, no journal, no -wal or -shm).
 */
int
store_probe(const char *path, const struct stat *st, struct sqlite3 **keep, char **cause)
{
	sqlite3 *db = NULL;
	struct store_kind k;
	char *uri = NULL;
	int kind, r, flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;

	if (keep != NULL)
		*keep = NULL;
	if (st->st_size == 0)
		return CD_OK; /* a new store */
	if ((r = store_hot_journal_ours(path)) > 0)
		return CD_OK; /* a crash left it mid-transaction; the writer rolls it back */
	if (r < 0) {
		*cause = xstrdupf("not a cordon store: %s has a rollback journal left by a crash"
			      " (%s-journal) and its first page is not cordon's; it was left as it"
			      " is: pass --db with a new path for a new store",
			      path, path);
		return CD_E_NOTSTORE;
	}
	if (store_probe_immutable(path, &r, cause)) {
		if ((uri = store_immutable_uri(path)) == NULL) {
			*cause = xstrdup("store path too long");
			return CD_E_LIMIT;
		}
		flags |= SQLITE_OPEN_URI;
	}
	if (r != CD_OK)
		return r;
	if (sqlite3_open_v2(uri ? uri : path, &db, flags, NULL) != SQLITE_OK) {
		r = db ? store_sqlite_failed(db, path, cause) : CD_E_NOMEM;
		sqlite3_close(db);
		free(uri);
		return r;
	}
	sqlite3_busy_timeout(db, 10000);
	r = store_check_kind(db, path, 1, &kind, &k, cause);
	/*
	 * A reader of a live store (a -wal beside it, so not opened immutable)
	 * goes on with this connection: a second open read the schema and the
	 * WAL index again, a third of a `whois` on a store being written.
	 */
	if (r == CD_OK && keep != NULL && uri == NULL && kind == KIND_CORDON) {
		*keep = db;
		return CD_OK;
	}
	free(uri);
	sqlite3_close(db);
	return r;
}

int
store_reader_check(struct sqlite3 *db, const char *path, const struct stat *st, char **cause)
{
	struct store_kind k;
	int kind, r;

	if (st->st_size == 0) {
		*cause = xstrdupf("store %s is empty: nothing was ever stored in it, or it was"
			      " truncated (then restore it from a copy)", path);
		return CD_E_DAMAGED;
	}
	if ((r = store_check_kind(db, path, 0, &kind, &k, cause)) != CD_OK)
		return r;
	if (kind == KIND_NEW) {
		*cause = xstrdupf("store %s holds no cordon schema yet; run a writing command"
			      " (cordon ingest) first", path);
		return CD_E_NOTFOUND;
	}
	if (k.version != STORE_SCHEMA_VERSION) {
		*cause = xstrdup(k.version > STORE_SCHEMA_VERSION
					 ? "the store was written by a newer cordon"
					 : "the store needs a migration; run any writing command (cordon ingest)");
		return CD_E_SCHEMA;
	}
	return CD_OK;
}
