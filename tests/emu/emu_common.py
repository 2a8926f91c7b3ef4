"""emu_common.py - shared plumbing of the loopback provider emulators.

An emulator subclasses Emulator and implements handle(req) (and, for faults,
throttle/error/vanish).  run(EmulatorClass) parses the launch arguments, binds
127.0.0.1:0 (optionally TLS), writes the port file atomically and serves the
provider API plus the /__emu/ control plane until SIGTERM.  See README.md.
"""

import argparse
import copy
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

MAX_BODY = 8 * 1024 * 1024
MAX_LOG = 10000


def utcnow_iso(ts=None, millis=False):
    t = datetime.fromtimestamp(time.time() if ts is None else ts, timezone.utc)
    if millis:
        return t.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (t.microsecond // 1000)
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


def new_uuid():
    return str(uuid.uuid4())


class Request:
    """A received request, as the emulator sees it."""

    def __init__(self, handler, method, body):
        self.handler = handler
        self.method = method
        self.raw_path = handler.path
        parts = urlsplit(handler.path)
        self.path = parts.path
        self.query_string = parts.query
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.headers = handler.headers
        self.body = body
        self.peer_cert = None
        sock = handler.connection
        if isinstance(sock, ssl.SSLSocket):
            try:
                self.peer_cert = sock.getpeercert()
            except (ValueError, ssl.SSLError):
                self.peer_cert = None
        self.action = '%s %s' % (method, self.path)
        self.log = {}        # extra request-log fields set by the emulator
        self.fault = None

    def header(self, name, default=None):
        vals = self.headers.get_all(name)
        if not vals:
            return default
        return ','.join(vals)

    def q(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    def json(self):
        """Body parsed as JSON; raises ValueError."""
        if not self.body:
            return None
        return json.loads(self.body.decode('utf-8'))

    def peer_cn(self):
        if not self.peer_cert:
            return None, []
        cn, orgs = None, []
        for rdn in self.peer_cert.get('subject', ()):
            for k, v in rdn:
                if k == 'commonName':
                    cn = v
                elif k == 'organizationName':
                    orgs.append(v)
        return cn, orgs


class Response:
    def __init__(self, status=200, body=b'', ctype='application/json', headers=None):
        self.status = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.body = body
        self.headers = list(headers or [])
        if ctype and status != 204:
            self.headers.insert(0, ('Content-Type', ctype))

    def add(self, name, value):
        self.headers.append((name, str(value)))
        return self


def json_response(status, obj, headers=None):
    return Response(status, json.dumps(obj, indent=None).encode(), 'application/json', headers)


class Fault:
    KINDS = ('throttle', '5xx', 'slow', 'gone', 'error')

    def __init__(self, fid, spec):
        if not isinstance(spec, dict):
            raise ValueError('a fault is a JSON object')
        self.id = fid
        self.spec = dict(spec)
        self.match = spec.get('match', '*')
        self.kind = spec.get('kind')
        if self.kind not in self.KINDS:
            raise ValueError('kind must be one of %s' % ', '.join(self.KINDS))
        if not isinstance(self.match, str):
            raise ValueError('match must be a string')
        self.regex = None if self.match == '*' else re.compile(self.match)
        self.method = spec.get('method')
        self.count = int(spec.get('count', 1))
        self.delay = float(spec.get('delay', 2 if self.kind == 'slow' else 0))
        self.retry_after = spec.get('retry_after')
        self.status = spec.get('status')
        self.code = spec.get('code')
        self.message = spec.get('message')
        self.hold_until = spec.get('hold_until')
        if self.hold_until is not None and not isinstance(self.hold_until, str):
            raise ValueError('hold_until must be a file path')
        if self.kind == 'error' and (not isinstance(self.status, int) or not self.code):
            raise ValueError('an error fault needs "status" (a number) and "code"')
        self.fired = 0

    def matches(self, req):
        if self.method and self.method.upper() != req.method:
            return False
        if self.regex is None:
            return True
        return bool(self.regex.search(req.action) or self.regex.search(req.path))

    def describe(self):
        d = dict(self.spec)
        d.update(id=self.id, remaining=self.count, fired=self.fired)
        return d


class Emulator:
    """Base class: state under self.lock, control plane, faults, request log."""

    name = 'emu'
    default_tls = False

    def __init__(self, initial_seed=None):
        self.lock = threading.RLock()
        self.initial_seed = copy.deepcopy(initial_seed)
        self.faults = []
        self.fault_seq = 0
        self.log = []
        self.log_seq = 0
        self.tls_dir = None
        self.ca_file = None
        self.reset()

    # ---- to implement ---------------------------------------------------
    def clear_state(self):
        raise NotImplementedError

    def apply_seed(self, seed):
        raise NotImplementedError

    def public_state(self):
        raise NotImplementedError

    def classify(self, req):
        """Set req.action (used by logs and fault matching) before faults."""

    def handle(self, req):
        raise NotImplementedError

    def throttle_response(self, req, fault):
        ra = fault.retry_after if fault.retry_after is not None else 1
        return json_response(fault.status or 429, {'error': fault.message or 'rate limited'},
                             [('Retry-After', str(ra))])

    def error_response(self, req, fault):
        return json_response(fault.status or 500, {'error': fault.message or 'internal error'})

    def vanish(self, req, fault):
        """Delete the request's target from the state ("already gone").
        Return None to handle the request normally afterwards, or a Response."""
        return None

    # ---- common ---------------------------------------------------------
    def reset(self):
        with self.lock:
            self.clear_state()
            self.faults = []
            self.log = []
            if self.initial_seed:
                self.apply_seed(copy.deepcopy(self.initial_seed))

    def add_faults(self, spec):
        specs = spec if isinstance(spec, list) else [spec]
        made = []
        for s in specs:
            self.fault_seq += 1
            made.append(Fault(self.fault_seq, s))
        with self.lock:
            self.faults.extend(made)
        return [f.id for f in made]

    def take_fault(self, req):
        with self.lock:
            for f in self.faults:
                if f.count != 0 and f.matches(req):
                    if f.count > 0:
                        f.count -= 1
                    f.fired += 1
                    if f.count == 0:
                        self.faults.remove(f)
                    return f
        return None

    def record(self, req, resp, t0):
        entry = {
            'seq': 0, 'ts': round(t0, 6), 'method': req.method, 'path': req.path,
            'action': req.action, 'status': resp.status, 'fault': req.fault,
            'ua': req.header('User-Agent'), 'ms': int((time.time() - t0) * 1000),
        }
        entry.update(req.log)
        with self.lock:
            self.log_seq += 1
            entry['seq'] = self.log_seq
            self.log.append(entry)
            if len(self.log) > MAX_LOG:
                del self.log[:len(self.log) - MAX_LOG]
        err = entry.get('error')
        err = ' '.join(str(err).split())[:120] if err else err
        act = ' ' + req.action if req.action.split(' ', 1)[-1] != req.path else ''
        sys.stderr.write('%s %s %s%s %d%s%s\n' % (
            time.strftime('%H:%M:%S'), req.method, req.path, act, resp.status,
            ' ' + err if err else '', ' fault=' + req.fault if req.fault else ''))
        sys.stderr.flush()

    def control(self, req):
        sub = req.path[len('/__emu'):].rstrip('/') or '/'
        m = req.method
        try:
            if sub == '/health' and m == 'GET':
                return json_response(200, {'ok': True, 'name': self.name})
            if sub == '/state' and m == 'GET':
                with self.lock:
                    return json_response(200, self.public_state())
            if sub == '/requests' and m == 'GET':
                since = int(req.q('since', '0') or 0)
                with self.lock:
                    return json_response(200, [e for e in self.log if e['seq'] > since])
            if sub == '/requests' and m == 'DELETE':
                with self.lock:
                    self.log = []
                return json_response(200, {'ok': True})
            if sub == '/seed' and m in ('POST', 'PUT'):
                seed = req.json()
                if not isinstance(seed, dict):
                    raise ValueError('seed must be a JSON object')
                with self.lock:
                    self.apply_seed(seed)
                return json_response(200, {'ok': True})
            if sub == '/fault' and m in ('POST', 'PUT'):
                ids = self.add_faults(req.json())
                return json_response(200, {'ok': True, 'ids': ids})
            if sub == '/faults' and m == 'GET':
                with self.lock:
                    return json_response(200, [f.describe() for f in self.faults])
            if sub == '/faults' and m == 'DELETE':
                with self.lock:
                    self.faults = []
                return json_response(200, {'ok': True})
            if sub == '/reset' and m == 'POST':
                self.reset()
                return json_response(200, {'ok': True})
        except (ValueError, KeyError, TypeError, re.error) as e:
            return json_response(400, {'error': '%s: %s' % (type(e).__name__, e)})
        return json_response(404, {'error': 'no control endpoint %s %s' % (m, req.path)})

    def dispatch(self, req):
        if req.path == '/__emu' or req.path.startswith('/__emu/'):
            return self.control(req)
        t0 = time.time()
        try:
            self.classify(req)
        except Exception as e:  # noqa: BLE001 - never let a bad request kill the server
            sys.stderr.write('classify error: %s\n' % type(e).__name__)
        fault = self.take_fault(req)
        resp = None
        if fault:
            req.fault = fault.kind
            if fault.delay > 0:
                time.sleep(fault.delay)
            if fault.hold_until:
                # held until the test says so (bounded), so that it can do
                # something at a known point of the client's work
                end = time.time() + 120
                while not os.path.exists(fault.hold_until) and time.time() < end:
                    time.sleep(0.02)
            if fault.kind == 'throttle':
                resp = self.throttle_response(req, fault)
            elif fault.kind in ('5xx', 'error'):
                resp = self.error_response(req, fault)
            elif fault.kind == 'gone':
                with self.lock:
                    resp = self.vanish(req, fault)
        if resp is None:
            try:
                resp = self.handle(req)
            except Exception as e:  # noqa: BLE001
                import traceback
                traceback.print_exc()
                resp = self.internal_error(req, e)
        self.record(req, resp, t0)
        return resp

    def internal_error(self, req, exc):
        return json_response(500, {'error': 'emulator bug: %s' % type(exc).__name__})


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'cordon-emu'
    sys_version = ''
    timeout = 60

    def setup(self):
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.settimeout(self.timeout)
            self.connection.do_handshake()

    def log_message(self, fmt, *args):  # the emulator logs requests itself
        pass

    def log_error(self, fmt, *args):
        pass

    def read_body(self):
        te = (self.headers.get('Transfer-Encoding') or '').lower()
        if 'chunked' in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b';', 1)[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                        pass
                    break
                out += self.rfile.read(size)
                self.rfile.readline(8)
                if len(out) > MAX_BODY:
                    raise ValueError('body too large')
            return bytes(out)
        n = int(self.headers.get('Content-Length') or 0)
        if n > MAX_BODY:
            raise ValueError('body too large')
        return self.rfile.read(n) if n > 0 else b''

    def _do(self):
        if self.headers.get('Expect', '').lower() == '100-continue':
            pass  # BaseHTTPRequestHandler already sent 100 Continue
        try:
            body = self.read_body()
        except ValueError:
            self.send_error(413)
            return
        req = Request(self, self.command, body)
        resp = self.server.emu.dispatch(req)
        self.send_response(resp.status)
        for k, v in resp.headers:
            self.send_header(k, v)
        if resp.status not in (204, 304) and self.command != 'HEAD':
            self.send_header('Content-Length', str(len(resp.body)))
        elif self.command == 'HEAD':
            self.send_header('Content-Length', str(len(resp.body)))
        self.end_headers()
        if resp.body and resp.status not in (204, 304) and self.command != 'HEAD':
            self.wfile.write(resp.body)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _do

    def do_LIST(self):  # Vault's LIST verb
        self._do()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, emu, ssl_ctx):
        self.emu = emu
        self.ssl_ctx = ssl_ctx
        super().__init__(('127.0.0.1', 0), Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_ctx:
            sock = self.ssl_ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError, OSError)):
            sys.stderr.write('connection error: %s\n' % type(exc).__name__)
            return
        super().handle_error(request, client_address)


# ---- TLS material ------------------------------------------------------------
def _openssl(*args):
    subprocess.run(['openssl'] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def ensure_tls(dirpath):
    """CA, server cert (127.0.0.1) and client cert in dirpath; returns paths."""
    os.makedirs(dirpath, exist_ok=True)
    p = lambda n: os.path.join(dirpath, n)  # noqa: E731
    if all(os.path.exists(p(n)) for n in ('ca.crt', 'server.crt', 'server.key')):
        return p('ca.crt'), p('server.crt'), p('server.key')
    old = os.umask(0o077)
    try:
        ext = p('ext.cnf')
        with open(ext, 'w') as f:
            f.write('[srv]\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n'
                    'basicConstraints=critical,CA:FALSE\n'
                    'keyUsage=critical,digitalSignature,keyEncipherment\n'
                    'extendedKeyUsage=serverAuth\n'
                    '[cli]\nbasicConstraints=critical,CA:FALSE\n'
                    'keyUsage=critical,digitalSignature,keyEncipherment\n'
                    'extendedKeyUsage=clientAuth\n')
        ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
        _openssl('req', '-x509', *ec, '-keyout', p('ca.key'), '-out', p('ca.crt'),
                 '-days', '3', '-subj', '/CN=cordon-emu CA',
                 '-addext', 'basicConstraints=critical,CA:TRUE',
                 '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
        _openssl('req', '-new', *ec, '-keyout', p('server.key'), '-out', p('server.csr'),
                 '-subj', '/CN=127.0.0.1')
        _openssl('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
                 '-CAcreateserial', '-days', '3', '-extfile', ext, '-extensions', 'srv',
                 '-out', p('server.crt'))
        _openssl('req', '-new', *ec, '-keyout', p('client.key'), '-out', p('client.csr'),
                 '-subj', '/O=system:masters/CN=cordon-client')
        _openssl('x509', '-req', '-in', p('client.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
                 '-CAcreateserial', '-days', '3', '-extfile', ext, '-extensions', 'cli',
                 '-out', p('client.crt'))
        for n in ('server.csr', 'client.csr', 'ext.cnf'):
            try:
                os.unlink(p(n))
            except OSError:
                pass
        os.chmod(p('ca.crt'), 0o644)
    finally:
        os.umask(old)
    return p('ca.crt'), p('server.crt'), p('server.key')


def write_atomic(path, data):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.emu-', dir=d)
    with os.fdopen(fd, 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def run(emu_class):
    ap = argparse.ArgumentParser(prog=emu_class.name + '.py',
                                 description='loopback %s emulator (see tests/emu/README.md)' % emu_class.name)
    ap.add_argument('--port-file', required=True)
    ap.add_argument('--seed')
    ap.add_argument('--tls-dir')
    ap.add_argument('--ca-out')
    ap.add_argument('--require-client-cert', action='store_true',
                    help='TLS handshakes without a client certificate of the CA fail '
                         '(Vault: tls_require_and_verify_client_cert)')
    ap.add_argument('--ttl', type=float, default=1800)
    ap.add_argument('--watch-pid', type=int, default=0,
                    help='exit when this process is gone (default: when the parent process changes)')
    args = ap.parse_args()

    seed = None
    if args.seed:
        with open(args.seed) as f:
            seed = json.load(f)
    emu = emu_class(seed)

    ssl_ctx = None
    tmp_tls = None
    tls_dir = args.tls_dir
    if not tls_dir and emu_class.default_tls:
        tmp_tls = tls_dir = tempfile.mkdtemp(prefix='cordon-emu-tls.')
    if tls_dir:
        ca, crt, key = ensure_tls(tls_dir)
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ssl_ctx.load_cert_chain(crt, key)
        ssl_ctx.load_verify_locations(ca)
        ssl_ctx.verify_mode = ssl.CERT_REQUIRED if args.require_client_cert else ssl.CERT_OPTIONAL
        emu.tls_dir = tls_dir
        emu.ca_file = ca
        if args.ca_out:
            with open(ca, 'rb') as f:
                write_atomic(args.ca_out, f.read())

    server = Server(emu, ssl_ctx)
    port = server.server_address[1]
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    parent = os.getppid()
    deadline = time.time() + args.ttl

    def gone():
        if args.watch_pid:
            try:
                os.kill(args.watch_pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                pass
            return False
        return os.getppid() != parent

    def watchdog():
        while not stop.wait(1.0):
            if gone() or time.time() > deadline:
                sys.stderr.write('%s emulator: parent gone or ttl reached, exiting\n' % emu.name)
                stop.set()
                server.shutdown()
                return

    threading.Thread(target=watchdog, daemon=True).start()
    write_atomic(args.port_file, '%d\n' % port)
    sys.stderr.write('%s emulator listening on %s://127.0.0.1:%d\n'
                     % (emu.name, 'https' if ssl_ctx else 'http', port))
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        try:
            os.unlink(args.port_file)
        except OSError:
            pass
        if tmp_tls:
            shutil.rmtree(tmp_tls, ignore_errors=True)
