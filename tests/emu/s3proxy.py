#!/usr/bin/python3
"""s3proxy.py - a SigV4-checking front for s3rver (tests/s3/s3rver.js).

s3rver is a real S3-compatible server, but it does not check V4
signatures.  Every request to this proxy is checked with botocore
(sigv4check.py: service s3, region S3PROXY_REGION, default us-east-1, key
S3PROXY_AKID / S3PROXY_SECRET) and then passed, as it came, to the s3rver
at S3PROXY_UPSTREAM (http://127.0.0.1:PORT); its answer is returned as it
is.  A bad signature is answered the way S3 does (XML error), and s3rver
never sees the request.  Control plane, request log and faults: as every
emulator (README.md); the request log's action is "METHOD /path".
"""

import http.client
import os
import sys
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_common as ec  # noqa: E402
from sigv4check import SigError, verify  # noqa: E402

HOP = ('connection', 'keep-alive', 'transfer-encoding', 'content-length', 'authorization',
       'host', 'x-amz-security-token')


class S3Proxy(ec.Emulator):
    name = 's3proxy'

    def clear_state(self):
        self.upstream = urlsplit(os.environ['S3PROXY_UPSTREAM'])
        self.region = os.environ.get('S3PROXY_REGION', 'us-east-1')
        self.secrets = {os.environ.get('S3PROXY_AKID', 'AKIAS3PROXYTEST00001'):
                        os.environ.get('S3PROXY_SECRET', 's3proxy-test-secret')}

    def apply_seed(self, seed):
        pass

    def public_state(self):
        return {'upstream': self.upstream.netloc, 'region': self.region}

    def error(self, status, code, message):
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
                '<RequestId>0</RequestId></Error>' % (escape(code), escape(message)))
        return ec.Response(status, body, 'application/xml')

    def classify(self, req):
        # listings are told apart from object GETs in the log and in faults
        if req.method == 'GET' and req.q('list-type') == '2':
            req.action = 'LIST %s' % req.path
            req.log['prefix'] = req.q('prefix', '')
            req.log['delimiter'] = req.q('delimiter', '')
            req.log['continued'] = req.q('continuation-token') is not None

    def handle(self, req):
        try:
            req.log['access_key'] = verify(req, self.secrets, 's3', self.region)
        except SigError as e:
            req.log['error'] = e.code
            return self.error(e.status, e.code, e.message)
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        headers = {k: v for k, v in req.headers.items() if k.lower() not in HOP}
        conn.request(req.method, req.raw_path, body=req.body or None, headers=headers)
        r = conn.getresponse()
        body = r.read()
        conn.close()
        resp = ec.Response(r.status, body, None)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != 'date':
                resp.add(k, v)
        return resp


if __name__ == '__main__':
    ec.run(S3Proxy)
