#!/usr/bin/python3
"""readhold.py - readers always present on a SQLite store, as a query loop is.

    readhold.py DB STOP

Two readers, staggered, each in a loop: BEGIN, read the newest events, hold
the read transaction 0.4 s, COMMIT.  At every moment one of them holds a
snapshot, so a passive checkpoint can never free the whole WAL.  Runs until
the file STOP exists (at most 600 s).  Exit 0.
"""
import os
import sqlite3
import sys
import threading
import time


def reader(db, stop, delay, end):
    time.sleep(delay)
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    while not os.path.exists(stop) and time.time() < end:
        try:
            con.execute('BEGIN')
            con.execute('SELECT count(*) FROM events WHERE id > (SELECT max(id) - 100 FROM events)').fetchall()
            time.sleep(0.4)
            con.execute('COMMIT')
        except sqlite3.Error:
            try:
                con.execute('ROLLBACK')
            except sqlite3.Error:
                pass
            time.sleep(0.05)
    con.close()


def main():
    db, stop = sys.argv[1:3]
    end = time.time() + 600
    ts = [threading.Thread(target=reader, args=(db, stop, d, end)) for d in (0, 0.2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return 0


if __name__ == '__main__':
    sys.exit(main())
