#!/usr/bin/env python3
# tests/bench/tui_keys.py - keystroke-to-redraw latency of `cordon tui`
# through a real pty (part of `make bench`; not a test, never fails on
# timing).  For each action a scripted key sequence is typed, one key at a
# time; the time of a key is from its write to the last byte of the redraw
# it caused (output then silent for QUIET seconds).  Prints p50 and p99.
#
#   tui_keys.py CORDON STORE [REPEATS]
import os
import pty
import select
import struct
import sys
import termios
import fcntl
import time

QUIET = 0.04


def spawn(cordon, store):
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ, TERM='xterm', LANG='C.UTF-8')
        env.pop('NO_COLOR', None)
        os.execve(cordon, [cordon, '--db', store, 'tui'], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    return pid, fd


def drain(fd, quiet=QUIET, limit=30.0):
    """Read until the output is silent for quiet s; the time of the last byte."""
    last = time.monotonic()
    start = last
    buf = b''
    while True:
        r, _, _ = select.select([fd], [], [], quiet)
        if not r:
            return last, buf
        try:
            data = os.read(fd, 65536)
        except OSError:
            return last, buf
        if not data:
            return last, buf
        buf += data
        last = time.monotonic()
        if last - start > limit:
            return last, buf


def key(fd, k):
    t0 = time.monotonic()
    os.write(fd, k)
    t1, out = drain(fd)
    return (t1 - t0) * 1000.0, out


def pct(v, p):
    v = sorted(v)
    if not v:
        return float('nan')
    i = min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))
    return v[i]


def report(name, ms):
    print('  %-34s p50 %7.1f ms   p99 %7.1f ms   (%d keys)' % (name, pct(ms, 50), pct(ms, 99), len(ms)))


def main():
    cordon, store = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    pid, fd = spawn(cordon, store)
    drain(fd, quiet=1.0)
    # the incidents screen: open the first incident and come back
    ms = []
    for _ in range(n):
        t, _ = key(fd, b'\r')
        ms.append(t)
        key(fd, b'\x1b')
    report('open an incident (Enter)', ms)
    # the blast-radius tree: expand and collapse the first node
    key(fd, b'\r')
    key(fd, b'\t')
    ms = []
    for _ in range(n):
        t, _ = key(fd, b'\r')
        ms.append(t)
    report('expand/collapse the reach tree', ms)
    key(fd, b'\x1b')
    # the events screen
    key(fd, b'E')
    drain(fd, quiet=0.5)
    for _ in range(25):  # to the bottom of the page: then each j moves the page
        key(fd, b'j')
    ms = [key(fd, b'j')[0] for _ in range(n)]
    report('events: one line (page moves)', ms)
    ms = [key(fd, b'\x1b[6~')[0] for _ in range(n)]
    report('events: one page (PgDn)', ms)
    ms = []
    for _ in range(max(1, n // 3)):
        ms.append(key(fd, b'G')[0])
        ms.append(key(fd, b'g')[0])
    report('events: jump to the end / start (G, g)', ms)
    for name, flt in (('filter cred_id= (indexed)', b'cred_id=AKIABENCH00000000007'),
                      ('filter src_ip= (indexed)', b'src_ip=52.1.7.10')):
        ms = []
        for _ in range(max(1, n // 3)):
            key(fd, b'f')
            os.write(fd, flt)
            drain(fd)
            ms.append(key(fd, b'\r')[0])
        report('events: ' + name, ms)
    os.write(fd, b'q')
    os.write(fd, b'q')
    os.write(fd, b'q')
    drain(fd, quiet=0.5)
    try:
        os.kill(pid, 15)
    except OSError:
        pass
    os.waitpid(pid, 0)


if __name__ == '__main__':
    main()
