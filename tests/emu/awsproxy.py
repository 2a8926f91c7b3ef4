#!/usr/bin/python3
"""awsproxy.py - a loopback HTTPS proxy that lets the real AWS CLI's own
credential providers reach tests/emu/aws.py.

AWS CLI 2.9 sends the STS and SSO calls of its credential providers
(AssumeRole for source_profile, AssumeRoleWithWebIdentity, SSO
GetRoleCredentials) to the real AWS hosts: --endpoint-url applies to the
command's client only, and AWS_ENDPOINT_URL_STS/_SSO came in 2.13.  With
HTTPS_PROXY pointing here and AWS_CA_BUNDLE at --ca-out, each CONNECT to an
*.amazonaws.com host on 443 is answered with TLS for that host (a
certificate from a throw-away CA) and the decrypted bytes are piped, as
they are, to the emulator on --upstream.  The emulator sees the Host the
CLI signed, so botocore's signature check still holds.  Anything else is
refused with 403.  Nothing leaves 127.0.0.1; nothing is logged but the
CONNECT targets.
"""

import argparse
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HOSTS = re.compile(r'^[a-z0-9.-]+\.amazonaws\.com:443$')


def openssl(*args):
    subprocess.run(['openssl'] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_certs(d, names):
    """A CA and one server certificate naming every host in names."""
    p = lambda n: os.path.join(d, n)  # noqa: E731
    ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    with open(p('ext.cnf'), 'w') as f:
        f.write('[srv]\nsubjectAltName=%s\nbasicConstraints=critical,CA:FALSE\n'
                'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'
                % ','.join('DNS:' + n for n in names))
    openssl('req', '-x509', *ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2',
            '-subj', '/CN=cordon awsproxy CA', '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    openssl('req', '-new', *ec, '-keyout', p('srv.key'), '-out', p('srv.csr'), '-subj', '/CN=' + names[0])
    openssl('x509', '-req', '-in', p('srv.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
            '-CAcreateserial', '-days', '2', '-extfile', p('ext.cnf'), '-extensions', 'srv', '-out', p('srv.crt'))
    return p('ca.crt'), p('srv.crt'), p('srv.key')


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn, ctx, upstream):
    try:
        head = b''
        while b'\r\n\r\n' not in head and len(head) < 8192:
            chunk = conn.recv(1024)
            if not chunk:
                return
            head += chunk
        line = head.split(b'\r\n', 1)[0].decode('latin-1')
        m = re.match(r'^CONNECT (\S+) HTTP/1\.[01]$', line)
        if not m or not HOSTS.match(m.group(1)):
            conn.sendall(b'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n')
            sys.stderr.write('refused %s\n' % line[:100])
            return
        sys.stderr.write('%s CONNECT %s\n' % (time.strftime('%H:%M:%S'), m.group(1)))
        conn.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
        tls = ctx.wrap_socket(conn, server_side=True)
        up = socket.create_connection(upstream, timeout=30)
        t = threading.Thread(target=pipe, args=(up, tls), daemon=True)
        t.start()
        pipe(tls, up)
        t.join(30)
    except (OSError, ssl.SSLError) as e:
        sys.stderr.write('connection error: %s\n' % type(e).__name__)
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(prog='awsproxy.py')
    ap.add_argument('--port-file', required=True)
    ap.add_argument('--watch-pid', type=int, default=0)
    ap.add_argument('--upstream', required=True, help='HOST:PORT of aws.py (plain http)')
    ap.add_argument('--ca-file', required=True, help='where to write the CA certificate')
    ap.add_argument('--hosts', default='sts.amazonaws.com,sts.us-east-1.amazonaws.com,'
                    'portal.sso.us-east-1.amazonaws.com')
    args = ap.parse_args()
    host, _, port = args.upstream.rpartition(':')
    if host not in ('127.0.0.1', 'localhost'):
        sys.exit('awsproxy: the upstream must be on loopback')
    d = tempfile.mkdtemp(prefix='cordon-awsproxy.')
    ca, crt, key = make_certs(d, args.hosts.split(','))
    with open(ca, 'rb') as f, open(args.ca_file + '.tmp', 'wb') as g:
        g.write(f.read())
    os.replace(args.ca_file + '.tmp', args.ca_file)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    for n in os.listdir(d):
        os.unlink(os.path.join(d, n))
    os.rmdir(d)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', 0))
    srv.listen(32)
    srv.settimeout(1.0)
    with open(args.port_file + '.tmp', 'w') as f:
        f.write('%d\n' % srv.getsockname()[1])
    os.replace(args.port_file + '.tmp', args.port_file)
    sys.stderr.write('awsproxy listening on 127.0.0.1:%d -> %s\n' % (srv.getsockname()[1], args.upstream))
    sys.stderr.flush()
    deadline = time.time() + 1800
    while time.time() < deadline:
        if args.watch_pid:
            try:
                os.kill(args.watch_pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn, ctx, (host, int(port))), daemon=True).start()
    srv.close()


if __name__ == '__main__':
    main()
