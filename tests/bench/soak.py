#!/usr/bin/python3
"""soak.py CORDON WORKDIR [SECONDS] - the live-incident soak (`make bench-soak`).

One case store shared the way a responder's team shares it during an
incident, for SECONDS (default 240, at least 240 unless CORDON_SOAK_SHORT):

  writers    three logs (CloudTrail NDJSON, Falco JSON, auditd) written at
             3,000 events/s in all, in 100 ms batches, each event stamped
             with the wall-clock time it was written; the CloudTrail log is
             rotated by rename at 1/3 of the run, the Falco log is
             copytruncated at 1/2 and the auditd log at 2/3
  followers  one `cordon ingest --follow --json` per log
  correlate  `cordon correlate` every 20 s
  queries    a loop of `whois KEY`, `reach KEY`, `events cred_id=KEY`
  revoke     every 30 s `revoke aws-key KEY --disable` against the loopback
             AWS emulator (tests/emu/aws.py), then `revoke undo` of it

and prints what was written / stored / lost / duplicated, follower lag
(now minus the write time of the newest stored event of each log, sampled
twice a second) p50 and p99, the WAL's maximum, each correlate run's time
beside the store's size, p99 of each query under load and idle, the peak RSS
of any cordon process, and the audit check (every change the emulator
answered 200 has its actions row; `cordon audit verify`).  Never fails on
timing: it prints the figures beside their targets.

copytruncate loses whatever is written between the copy and the truncation
unless the follower has read it; as logrotate's own documentation says, so
the writer of that log pauses until the follower has stored what it wrote
(at most 10 s) before the truncation, as a logrotate `prerotate` would.
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

CORDON = os.path.abspath(sys.argv[1])
W = os.path.abspath(sys.argv[2])
SECS = float(sys.argv[3]) if len(sys.argv) > 3 else 240.0
if SECS < 240 and not os.environ.get('CORDON_SOAK_SHORT'):
    SECS = 240.0
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RATE = 3000          # events/s over the three logs
TICK = 0.1
DB = os.path.join(W, 'soak.db')
KEYS = 2000
VICTIM = 'AKIASOAKVICTIM000001'
CALLER_SECRET = 'SoakCallerSecret000000000000000000000001'

# CORDON_SOAK_STORE: start from a copy of this store (the 10M-event bench
# store: queries and correlate at that size under the same load);
# CORDON_SOAK_KEY / CORDON_SOAK_KEY2: the keys whois/reach and events ask for
BASE = os.environ.get('CORDON_SOAK_STORE')
shutil.rmtree(W, ignore_errors=True)
os.makedirs(W)
if BASE:
    shutil.copyfile(BASE, DB)
stop = threading.Event()
lock = threading.Lock()


def run(args, timeout=120, env=None):
    """Run cordon ARGS; (seconds, returncode, stdout)."""
    t0 = time.monotonic()
    p = subprocess.Popen([CORDON, '--db', DB] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    out, err = p.communicate(timeout=timeout)
    secs = time.monotonic() - t0
    return secs, p.returncode, out.decode(errors='replace'), err.decode(errors='replace')


def correlate_run():
    """One correlate run: (wall seconds, CPU seconds, returncode, summary line, stderr)."""
    t0 = time.monotonic()
    p = subprocess.Popen([CORDON, '--db', DB, 'correlate', '--format', 'text'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read().decode(errors='replace')
    err = p.stderr.read().decode(errors='replace')
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return (time.monotonic() - t0, ru.ru_utime + ru.ru_stime, p.returncode,
            out.splitlines()[0] if out else '', err)


def run_cpu(args):
    """Run cordon ARGS; (wall seconds, CPU seconds, returncode, stderr)."""
    t0 = time.monotonic()
    p = subprocess.Popen([CORDON, '--db', DB] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime, p.returncode, err.decode(errors='replace')


def pct(v, p):
    if not v:
        return float('nan')
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))]


def iso(ts):
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ts)) + '.%03dZ' % int((ts % 1) * 1000)


# ---- the logs ----------------------------------------------------------------

class Log:
    def __init__(self, name, source):
        self.path = os.path.join(W, name)
        self.source = source
        self.written = 0
        self.f = open(self.path, 'a')
        self.pause = threading.Event()


def ct_line(i, ts):
    u = i % KEYS
    key = VICTIM if u == 0 else 'AKIASOAK%012d' % u
    ip = '198.51.100.%d' % (i % 250) if i % 997 == 5 else '52.1.%d.%d' % (u % 200, 3 + u % 50)
    return ('{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::'
            '111122223333:user/svc%d","accessKeyId":"%s","userName":"svc%d"},"eventTime":"%s",'
            '"eventSource":"s3.amazonaws.com","eventName":"%s","awsRegion":"us-east-1",'
            '"sourceIPAddress":"%s","userAgent":"aws-sdk-go/1.44","eventID":"soak-%019d"}\n'
            % (u, key, u, iso(ts), 'GetObject' if i % 3 else 'PutObject', ip, i))


def falco_line(i, ts):
    c = i % 300
    if i % 4000 == 6:
        rule, fd, exe, ev, pr = ('Contact cloud metadata service from container',
                                 '10.0.1.87:51514->169.254.169.254:80', '/usr/bin/curl', 'connect',
                                 'Notice')
    else:
        rule, fd, exe, ev, pr = ('Terminal shell in container', '/dev/pts/0', '/bin/bash', 'execve',
                                 'Notice')
    return ('{"output":"alert","priority":"%s","rule":"%s","time":"%s","hostname":"node%d",'
            '"uuid":"soak-%019d","output_fields":{"container.id":"%012x","fd.name":"%s",'
            '"proc.exepath":"%s","proc.pid":%d,"evt.type":"%s"}}\n'
            % (pr, rule, iso(ts), c % 50, i, c + 1, fd, exe, 1000 + i % 30000, ev))


def audit_lines(i, ts):
    node = i % 50
    name = ('/var/run/secrets/kubernetes.io/serviceaccount/token' if i % 3000 == 8
            else '/var/lib/app/data%d.db' % (i % 97))
    stamp = '%d.%03d:%d' % (int(ts), int((ts % 1) * 1000), i + 1)
    return ('node=node%d type=SYSCALL msg=audit(%s): arch=c000003e syscall=257 success=yes exit=3'
            ' a0=ffffff9c a1=7ffd a2=0 a3=0 items=1 ppid=1 pid=%d auid=4294967295 uid=0 gid=0'
            ' euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="cat"'
            ' exe="/bin/cat" key="files"\n'
            'node=node%d type=PATH msg=audit(%s): item=0 name="%s" inode=7001 dev=00:1c'
            ' mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n'
            'node=node%d type=EOE msg=audit(%s): \n'
            % (node, stamp, 2000 + i % 30000, node, stamp, name, node, stamp))


LOGS = [Log('ct.jsonl', 'cloudtrail'), Log('falco.json', 'falco'), Log('audit.log', 'auditd')]
MAKERS = [ct_line, falco_line, audit_lines]


def stored(source):
    """Events of SOURCE in the store (a short read of its own)."""
    p = subprocess.run(['sqlite3', '-readonly', DB,
                        "SELECT count(*) FROM events WHERE source = '%s' AND id > %d" % (source, BASE_MAX)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        return int(p.stdout.decode().strip() or 0)
    except ValueError:
        return -1


def writer(start):
    per = RATE // 3
    n = [0, 0, 0]
    rotated = [False, False, False]
    k = 0
    while not stop.is_set():
        due = start + k * TICK
        now = time.time()
        if due > now:
            time.sleep(due - now)
        k += 1
        el = time.time() - start
        for li, lg in enumerate(LOGS):
            if not rotated[li] and el >= SECS * (1 / 3.0, 1 / 2.0, 2 / 3.0)[li]:
                rotated[li] = True
                lg.f.flush()
                if li == 0:   # rename rotation
                    lg.f.close()
                    os.rename(lg.path, lg.path + '.1')
                    lg.f = open(lg.path, 'a')
                    events['rotation'] = 'rename of %s at %.0f s' % (os.path.basename(lg.path), el)
                else:         # copytruncate once the follower has what was written
                    t0 = time.time()
                    while stored(lg.source) < lg.written and time.time() - t0 < 10:
                        time.sleep(0.2)
                    shutil.copyfile(lg.path, lg.path + '.1')
                    os.truncate(lg.path, 0)
                    events.setdefault('truncations', []).append(
                        'copytruncate of %s at %.0f s (writer paused %.1f s)'
                        % (os.path.basename(lg.path), el, time.time() - t0))
            ts = time.time()
            lines = []
            for _ in range(int(per * TICK)):
                lines.append(MAKERS[li](n[li], ts))
                n[li] += 1
            lg.f.write(''.join(lines))
            lg.f.flush()
            lg.written = n[li]


events = {}

# ---- the emulator ------------------------------------------------------------

seed = {'account': '111122223333',
        'callers': [{'id': 'AKIASOAKCALLER000001', 'secret': CALLER_SECRET, 'user': 'responder'}],
        'users': {'svc0': {'keys': [{'id': VICTIM, 'secret': 'x' * 40, 'status': 'Active'}]}}}
with open(os.path.join(W, 'seed.json'), 'w') as f:
    json.dump(seed, f)
pf = os.path.join(W, 'aws.port')
emu = subprocess.Popen(['/usr/bin/python3', os.path.join(ROOT, 'tests/emu/aws.py'), '--port-file', pf,
                        '--watch-pid', str(os.getpid()), '--seed', os.path.join(W, 'seed.json')],
                       stdout=subprocess.DEVNULL, stderr=open(os.path.join(W, 'aws.log'), 'w'))
for _ in range(200):
    if os.path.exists(pf) and os.path.getsize(pf) > 0:
        break
    time.sleep(0.05)
URL = 'http://127.0.0.1:%s' % open(pf).read().strip()
ENV = dict(os.environ, AWS_ACCESS_KEY_ID='AKIASOAKCALLER000001', AWS_SECRET_ACCESS_KEY=CALLER_SECRET,
           AWS_ENDPOINT_URL=URL, AWS_CONFIG_FILE='/nonexistent',
           AWS_SHARED_CREDENTIALS_FILE='/nonexistent')
for k in ('AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION'):
    ENV.pop(k, None)

# ---- start ----------------------------------------------------------------------

for li, lg in enumerate(LOGS):  # a first batch, so the store and the formats exist
    lg.f.write(''.join(MAKERS[li](i, time.time()) for i in range(10)))
    lg.f.flush()
BASE_MAX = 0
if BASE:
    BASE_MAX = int(subprocess.run(['sqlite3', '-readonly', DB, 'SELECT coalesce(max(id), 0) FROM events'],
                                  stdout=subprocess.PIPE).stdout.decode().strip() or 0)
    print('  base store   %s: %d events' % (BASE, BASE_MAX))
run(['ingest', '-q', LOGS[0].path])
followers = []
for lg in LOGS:
    out = open(lg.path + '.follow.json', 'w')
    err = open(lg.path + '.follow.err', 'w')
    followers.append(subprocess.Popen([CORDON, '--db', DB, 'ingest', '--follow', '--json', lg.path],
                                      stdout=out, stderr=err))
hwm = {}


def vm_hwm(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


T0 = time.time()
lag = {lg.source: [] for lg in LOGS}
wal_max = [0]
corr_runs = []
queries = {k: [] for k in ('whois', 'reach', 'events', 'whois.cpu', 'reach.cpu', 'events.cpu')}
failures = []
revokes = [0, 0]


def sampler():
    import sqlite3
    while not stop.is_set():
        try:
            s = os.path.getsize(DB + '-wal')
            wal_max[0] = max(wal_max[0], s)
        except OSError:
            pass
        for p in followers:
            hwm[p.pid] = max(hwm.get(p.pid, 0), vm_hwm(p.pid))
        if time.time() - T0 > 5:
            try:
                c = sqlite3.connect('file:%s?mode=ro' % DB, uri=True, timeout=5)
                now = time.time()
                for lg in LOGS:
                    r = c.execute('SELECT max(ts_ns) FROM events WHERE source = ? AND ts_ns >= ?',
                                  (lg.source, int((now - 120) * 1e9))).fetchone()
                    if r and r[0]:
                        lag[lg.source].append(max(0.0, now - r[0] / 1e9))
                c.close()
            except sqlite3.Error:
                pass
        time.sleep(0.5)


def correlator():
    nxt = T0 + 20
    while not stop.is_set():
        if time.time() < nxt:
            time.sleep(0.2)
            continue
        nxt += 20
        secs, cpu, rc, first, err = correlate_run()
        if rc not in (0, 1):
            failures.append('correlate exit %d: %s' % (rc, err.strip()[:200]))
        n = subprocess.run(['sqlite3', '-readonly', DB, 'SELECT max(id) FROM events'],
                           stdout=subprocess.PIPE).stdout.decode().strip()
        corr_runs.append((time.time() - T0, secs, cpu, n, first))


KEY = os.environ.get('CORDON_SOAK_KEY', 'AKIASOAK000000000007')
KEY2 = os.environ.get('CORDON_SOAK_KEY2', 'AKIASOAK000000000042')
QUERIES = (('whois', ['whois', KEY]), ('reach', ['reach', os.environ.get('CORDON_SOAK_KEY', VICTIM)]),
           ('events', ['events', 'cred_id=' + KEY2, '--limit', '100']))


def querier(bucket):
    while not stop.is_set():
        for name, args in QUERIES:
            secs, cpu, rc, err = run_cpu(args)
            if rc not in (0, 1):
                failures.append('%s exit %d: %s' % (name, rc, err.strip()[:200]))
            bucket[name].append(secs)
            bucket[name + '.cpu'].append(cpu)
            if stop.is_set():
                break


def revoker():
    nxt = T0 + 15
    while not stop.is_set():
        if time.time() < nxt:
            time.sleep(0.2)
            continue
        nxt += 30
        secs, rc, out, err = run(['revoke', 'aws-key', VICTIM, '--disable', '--format', 'json'],
                                 env=ENV)
        try:
            aid = json.loads(out)['results'][0]['action_id']
        except (ValueError, KeyError, IndexError):
            failures.append('revoke exit %d: %s' % (rc, err.strip()[:200]))
            continue
        revokes[0] += 1
        secs, rc, out, err = run(['revoke', 'undo', str(aid), '--yes'], env=ENV)
        if rc != 0:
            failures.append('undo exit %d: %s' % (rc, err.strip()[:200]))
        else:
            revokes[1] += 1


threads = [threading.Thread(target=writer, args=(T0,)), threading.Thread(target=sampler),
           threading.Thread(target=correlator), threading.Thread(target=querier, args=(queries,)),
           threading.Thread(target=revoker)]
for t in threads:
    t.start()
time.sleep(SECS)
stop.set()
for t in threads:
    t.join()
# drain: the followers store the rest, then stop
for lg in LOGS:
    lg.f.close()
t0 = time.time()
while time.time() - t0 < 120 and any(stored(lg.source) < lg.written + 10 for lg in LOGS):
    time.sleep(0.5)
drain = time.time() - t0
for p in followers:
    hwm[p.pid] = max(hwm.get(p.pid, 0), vm_hwm(p.pid))
    p.send_signal(signal.SIGTERM)
for p in followers:
    p.wait(timeout=60)
secs, cpu, rc, first, err = correlate_run()
corr_runs.append((time.time() - T0, secs, cpu, subprocess.run(
    ['sqlite3', '-readonly', DB, 'SELECT max(id) FROM events'],
    stdout=subprocess.PIPE).stdout.decode().strip(), 'after the drain: ' + first))
idle = {k: [] for k in ('whois', 'reach', 'events', 'whois.cpu', 'reach.cpu', 'events.cpu')}
for _ in range(20):
    for name, args in QUERIES:
        secs, cpu, rc, err = run_cpu(args)
        idle[name].append(secs)
        idle[name + '.cpu'].append(cpu)
peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

# ---- the report -------------------------------------------------------------------
print('  duration     %.0f s of load, %d events/s over three logs; drain %.1f s' % (SECS, RATE, drain))
print('  rotation     %s; %s' % (events.get('rotation', 'none'), '; '.join(events.get('truncations', []))))
tot_w = tot_s = tot_l = tot_d = 0
for li, lg in enumerate(LOGS):
    w = lg.written + 10   # the first batch
    s = stored(lg.source)
    p = subprocess.run(['sqlite3', '-readonly', DB,
                        "SELECT count(*) - count(DISTINCT ts_ns || coalesce(ref, '') || coalesce(object, '')"
                        " || coalesce(pid, '') || coalesce(cred_id, '') || coalesce(container_id, '')"
                        " || coalesce(host, '')) FROM events WHERE source = '%s' AND id > %d" % (lg.source, BASE_MAX)],
                       stdout=subprocess.PIPE)
    d = int(p.stdout.decode().strip() or 0)
    fo = {}
    try:
        with open(lg.path + '.follow.json') as f:
            fo = json.load(f)
    except (OSError, ValueError):
        pass
    print('  %-10s   written %7d, stored %7d, lost %d, duplicated %d (follower: rejects %s,'
          ' re-read duplicates %s, exit %s)'
          % (lg.source, w, s, max(0, w - s), d, fo.get('rejects', '?'), fo.get('duplicates', '?'),
             followers[li].returncode))
    tot_w += w; tot_s += s; tot_l += max(0, w - s); tot_d += d
print('  total        written %d, stored %d, lost %d, duplicated %d (target: 0 lost, 0 duplicated)'
      % (tot_w, tot_s, tot_l, tot_d))
alll = [x for v in lag.values() for x in v]
print('  follower lag p50 %.2f s, p99 %.2f s, max %.2f s over %d samples (target p99 < 2 s)'
      % (pct(alll, 50), pct(alll, 99), max(alll) if alll else float('nan'), len(alll)))
fw = []
for lg in LOGS:
    try:
        with open(lg.path + '.follow.json') as f:
            fw.append(int(json.load(f).get('wal_max_bytes', 0)))
    except (OSError, ValueError):
        pass
print('  WAL max      %.1f MiB sampled, %.1f MiB seen by the followers (target < 256 MiB)'
      % (wal_max[0] / 1048576.0, max(fw or [0]) / 1048576.0))
# the store's own timing, per follower: the longest it waited for the write
# lock and the longest write transaction it held (docs/writers.md)
lw = []
for lg in LOGS:
    try:
        with open(lg.path + '.follow.json') as f:
            fo = json.load(f)
        lw.append('%s %s/%s' % (lg.source, fo.get('lock_wait_max_ms', '?'), fo.get('write_max_ms', '?')))
    except (OSError, ValueError):
        lw.append('%s ?' % lg.source)
print('  lock         followers\' longest wait for the write lock / longest write, ms: %s'
      % ', '.join(lw))
print('  correlate    (seconds into the run, wall time, CPU time, store size in events, its summary)')
for at, secs, cpu, n, first in corr_runs:
    print('    at %4.0f s  %6.2f s  %5.2f s CPU  %9s events  %s' % (at, secs, cpu, n, first))
if len(corr_runs) >= 3:
    a, b = corr_runs[0], corr_runs[-2]
    print('  correlate    last under load / first: %.2fx wall, %.2fx CPU (target <= 2x)'
          % (b[1] / a[1] if a[1] > 0 else 0, b[2] / a[2] if a[2] > 0 else 0))
for name in ('whois', 'reach', 'events'):
    print('  %-6s       p99 under load %4.0f ms (p50 %4.0f, %d runs), idle %4.0f ms (p50 %4.0f)%s'
          % (name, pct(queries[name], 99) * 1000, pct(queries[name], 50) * 1000, len(queries[name]),
             pct(idle[name], 99) * 1000, pct(idle[name], 50) * 1000,
             ' (target p99 < 200 ms)' if name == 'whois' else ''))
    print('  %-6s       its CPU time (user + system, what the query itself cost): p99 under load'
          ' %4.0f ms, idle %4.0f ms' % ('', pct(queries[name + '.cpu'], 99) * 1000,
                                          pct(idle[name + '.cpu'], 99) * 1000))
print('  peak RSS     %.0f MiB (largest of any cordon process; followers %.0f MiB)'
      % (peak_child / 1024.0, max(hwm.values() or [0]) / 1024.0))
# audit: every change the provider answered has its actions row, and the chain verifies
req = subprocess.run(['curl', '-sS', URL + '/__emu/requests'], stdout=subprocess.PIPE).stdout
changes = [r for r in json.loads(req or b'[]')
           if r.get('status') == 200 and r.get('action') == 'UpdateAccessKey']
import sqlite3  # noqa: E402
con = sqlite3.connect('file:%s?mode=ro' % DB, uri=True)
acts = con.execute("SELECT i.ts_ns, (SELECT o.result FROM actions o WHERE o.id = (SELECT min(n.id)"
                   " FROM actions n WHERE n.id > i.id AND n.target = i.target AND n.action = i.action))"
                   " FROM actions i WHERE i.result = 'intent' AND i.target = ? ORDER BY i.id",
                   (VICTIM,)).fetchall()
con.close()
recorded = 0
used = 0
for ch in sorted(changes, key=lambda r: r.get('ts', 0)):
    # the next intent row, written before the request reached the provider, done
    while used < len(acts) and not (acts[used][0] / 1e9 <= ch.get('ts', 0) + 1e-3
                                    and acts[used][1] in ('done', 'already')):
        used += 1
    if used < len(acts):
        recorded += 1
        used += 1
vrc = subprocess.run([CORDON, '--db', DB, 'audit', 'verify'], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
print('  revoke       %d disables, %d undos; provider changes %d, with an intent row before the'
      ' request and a done outcome %d; audit verify exit %d (%s)'
      % (revokes[0], revokes[1], len(changes), recorded, vrc.returncode,
                         (vrc.stdout.decode().strip().splitlines() or [''])[-1][:200]))
print('  failures     %d%s' % (len(failures), ''.join('\n    ' + f for f in failures[:10])))
emu.terminate()
emu.wait()
