#!/usr/bin/python3
"""lockhold.py - hold a SQLite store's write lock, as another cordon writer would.

    lockhold.py DB READY RELEASE [--reads]

Takes BEGIN IMMEDIATE on DB (waiting up to 60 s for it), writes one row of
its own (meta key lockhold, so the transaction really is a writer), creates
the file READY, and keeps the lock until the file RELEASE exists (at most
120 s), then commits.  With --reads it only reads, in a loop, until RELEASE
exists (a reader never blocks a WAL writer; it is there to contend).
Exit 0 when it did what it was asked.
"""
import os
import sqlite3
import sys
import time


def main():
    db, ready, release = sys.argv[1:4]
    reads = '--reads' in sys.argv[4:]
    con = sqlite3.connect(db, timeout=60, isolation_level=None)
    end = time.time() + 120
    if reads:
        open(ready, 'w').close()
        n = 0
        while not os.path.exists(release) and time.time() < end:
            con.execute('SELECT count(*) FROM actions').fetchone()
            n += 1
            time.sleep(0.005)
        print('reads %d' % n)
        return 0
    con.execute('BEGIN IMMEDIATE')
    con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('lockhold', ?)", (str(os.getpid()),))
    open(ready, 'w').close()
    while not os.path.exists(release) and time.time() < end:
        time.sleep(0.02)
    con.execute('COMMIT')
    return 0


if __name__ == '__main__':
    sys.exit(main())
