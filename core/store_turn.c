/*
 * store_turn.c - the writers' queue beside SQLite's write lock.
 *
 * SQLite's busy handler is not fair: a waiting writer sleeps (up to 100 ms
 * a try once it has waited a while), while the writer that just committed
 * asks again at once and wins.  A follower that is behind commits and
 * begins back to back, so the others (followers, a correlate run, a
 * revocation's audit row) could wait through many of its transactions: in
 * the soak one correlate run waited 14 s with under 1 s of CPU, and the
 * followers' lag p99 followed it.
 *
 * So writers that wait say so, in the lock file STORE-writers, with Linux
 * open-file-description locks (F_OFD_*: they belong to the descriptor, not
 * the process, so two connections of one process are two writers, and
 * closing this file never drops SQLite's own POSIX locks on the store,
 * which a descriptor on the store file itself would).  Two bytes:
 *   - WAITING (byte 0): every writer waiting for the lock holds a shared
 *     lock on it; the writer holding the store asks whether anyone does
 *     (F_OFD_GETLK) and, if so, ends a group commit at its next commit
 *     point instead of growing it (ingest/writer.c);
 *   - TURN (byte 1): exclusive; only its holder asks SQLite for the lock
 *     and lets it go once it has the store.  The writer that just
 *     committed must take TURN like everyone else, so it queues behind
 *     a writer already waiting instead of barging past it.
 * Writers that do not take part (an older cordon, the sqlite3 shell) are
 * still kept out by SQLite's lock; they only lose the ordering.  Where the
 * lock file cannot be made (a read-only directory), a writer waits as
 * before, without the queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define TURN_WAITING 0
#define TURN_TURN    1

int
turn_open(const char *store_path)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s-writers", store_path) >= (int)sizeof(p))
		return -1;
	return open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

static int
turn_lock(int fd, short type, off_t byte, int cmd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	if (fcntl(fd, cmd, &fl) != 0)
		return -1;
	return cmd == F_OFD_GETLK ? fl.l_type != F_UNLCK : 0;
}

void
turn_wait_start(int fd)
{
	if (fd >= 0)
		(void)turn_lock(fd, F_RDLCK, TURN_WAITING, F_OFD_SETLK);
}

int
turn_take(int fd)
{
	if (fd < 0)
		return 1; /* no queue: ask SQLite directly */
	return turn_lock(fd, F_WRLCK, TURN_TURN, F_OFD_SETLK) == 0;
}

void
turn_done(int fd)
{
	if (fd < 0)
		return;
	(void)turn_lock(fd, F_UNLCK, TURN_TURN, F_OFD_SETLK);
	(void)turn_lock(fd, F_UNLCK, TURN_WAITING, F_OFD_SETLK);
}

int
turn_others_wait(int fd)
{
	/* a lock of this descriptor never conflicts with itself: only others count */
	return fd >= 0 && turn_lock(fd, F_WRLCK, TURN_WAITING, F_OFD_GETLK) == 1;
}
