#!/usr/bin/env python3
# tests/bench/tui_keys.py - keystroke-to-redraw latency of `cordon tui`
# through a real pty (part of `make bench`; not a test, never fails on
# timing).  A scripted key sequence is typed one key at a time; a key's
# time runs from its write to the pty until the TUI has drawn after reading
# it: with CORDON_TUI_BENCH_FD set, the TUI writes the number of keys it
# has read after each finished draw (refresh() returned) to that pipe.
# Prints p50 and p99 per action.
#
#   tui_keys.py CORDON STORE [REPEATS]
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


class Tui:
    def __init__(self, cordon, store):
        r, w = os.pipe()
        os.set_inheritable(w, True)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.close(r)
            env = dict(os.environ, TERM='xterm', LANG='C.UTF-8', CORDON_TUI_BENCH_FD=str(w))
            env.pop('NO_COLOR', None)
            os.execve(cordon, [cordon, '--db', store, 'tui'], env)
        os.close(w)
        self.marks = r
        self.buf = b''
        self.sent = 0
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
        self.wait_for(0, 120.0)

    def pump(self, timeout):
        """Read the screen (discarded) and the marks; return the last mark seen."""
        last = None
        r, _, _ = select.select([self.fd, self.marks], [], [], timeout)
        if self.fd in r:
            try:
                os.read(self.fd, 1 << 16)
            except OSError:
                pass
        if self.marks in r:
            self.buf += os.read(self.marks, 4096)
            while b'\n' in self.buf:
                line, self.buf = self.buf.split(b'\n', 1)
                last = int(line)
        return last

    def wait_for(self, n, limit=60.0):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            m = self.pump(0.5)
            if m is not None and m >= n:
                return time.monotonic()
        raise SystemExit('tui bench: no redraw after key %d' % n)

    def key(self, k):
        """Type k (one key); milliseconds until its redraw finished."""
        t0 = time.monotonic()
        os.write(self.fd, k)
        self.sent += 1
        return (self.wait_for(self.sent) - t0) * 1000.0

    def text(self, s):
        for c in s:
            self.key(bytes([c]))

    def close(self):
        try:
            os.write(self.fd, b'qqqq')
            time.sleep(0.5)
            os.kill(self.pid, 15)
        except OSError:
            pass
        os.waitpid(self.pid, 0)


def pct(v, p):
    v = sorted(v)
    i = min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))
    return v[i]


def report(name, ms):
    print('  %-40s p50 %7.1f ms   p99 %7.1f ms   (%d keys)' % (name, pct(ms, 50), pct(ms, 99), len(ms)))


def main():
    cordon, store = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    t = Tui(cordon, store)
    ms = []
    for _ in range(n):
        ms.append(t.key(b'\r'))     # open the first incident
        t.key(b'\x1b')
    report('open an incident (Enter)', ms)
    t.key(b'\r')
    t.key(b'\t')
    ms = [t.key(b'\r') for _ in range(n)]  # expand / collapse the first node
    report('expand/collapse the blast-radius tree', ms)
    t.key(b'\x1b')
    ms = [t.key(b'E')]
    for _ in range(25):              # to the page's last line: then j moves the page
        t.key(b'j')
    ms = [t.key(b'j') for _ in range(n)]
    report('events: one line (the page moves)', ms)
    ms = [t.key(b'\x1b[6~') for _ in range(n)]
    report('events: one page (PgDn)', ms)
    ms = []
    for _ in range(max(1, n // 2)):
        ms.append(t.key(b'G'))
        ms.append(t.key(b'g'))
    report('events: jump to the end and back (G, g)', ms)
    for name, flt in (('events: filter cred_id= (indexed)', b'cred_id=AKIABENCH00000000002'),
                      ('events: filter src_ip=', b'src_ip=52.1.2.5')):
        ms = []
        for _ in range(max(1, n // 3)):
            t.key(b'f')
            t.text(flt)
            ms.append(t.key(b'\r'))
        report(name, ms)
    t.close()


if __name__ == '__main__':
    main()
