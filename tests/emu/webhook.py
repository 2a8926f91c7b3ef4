#!/usr/bin/python3
"""webhook.py - loopback Slack-compatible incoming webhook: POST {"text":...}
answers "ok" (text/plain) and records what it received, for assertions
(connectors.md section 7).
"""

import hashlib
import hmac
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_common as ec  # noqa: E402

KEEP_HEADERS = ('content-type', 'user-agent', 'idempotency-key', 'x-idempotency-key')


class WebhookEmulator(ec.Emulator):
    name = 'webhook'

    def clear_state(self):
        self.paths = []
        self.hmac_secret = None
        self.received = []

    def apply_seed(self, seed):
        for p in seed.get('paths') or []:
            if p not in self.paths:
                self.paths.append(p)
        if 'hmac_secret' in seed:
            self.hmac_secret = seed['hmac_secret']

    def public_state(self):
        return {'received': self.received, 'paths': self.paths}

    def text(self, status, body, req, extra=None):
        if status >= 400:
            req.log['error'] = body
        return ec.Response(status, body, 'text/plain; charset=utf-8', extra)

    def throttle_response(self, req, fault):
        ra = fault.retry_after if fault.retry_after is not None else 1
        return self.text(fault.status or 429, fault.message or 'rate_limited', req, [('Retry-After', str(ra))])

    def error_response(self, req, fault):
        return self.text(fault.status or 500, fault.message or 'internal_error', req)

    def internal_error(self, req, exc):
        return self.text(500, 'internal_error', req)

    def vanish(self, req, fault):
        return self.text(404, 'no_service', req)

    def signature_valid(self, req):
        sig = None
        ts = None
        for name, value in req.headers.items():
            ln = name.lower()
            if value.startswith('sha256=') and 'signature' in ln:
                sig = value[len('sha256='):].strip().lower()
            elif ln.endswith('-timestamp') or ln == 'x-timestamp':
                ts = value.strip()
        if sig is None or self.hmac_secret is None:
            return None
        key = self.hmac_secret.encode()
        cands = [hmac.new(key, req.body, hashlib.sha256).hexdigest()]
        if ts:
            cands.append(hmac.new(key, ts.encode() + b'.' + req.body, hashlib.sha256).hexdigest())
        return any(hmac.compare_digest(sig, c) for c in cands)

    def handle(self, req):
        with self.lock:
            if req.method != 'POST':
                return self.text(405, 'invalid_method', req)
            if self.paths and req.path not in self.paths:
                return self.text(404, 'no_service', req)
            try:
                body = json.loads(req.body.decode('utf-8'))
            except (ValueError, UnicodeDecodeError):
                return self.text(400, 'invalid_payload', req)
            if not isinstance(body, dict):
                return self.text(400, 'invalid_payload', req)
            if not (body.get('text') or body.get('blocks') or body.get('attachments')):
                return self.text(400, 'no_text', req)
            hdrs = {k.lower(): v for k, v in req.headers.items()
                    if k.lower() in KEEP_HEADERS or k.lower().endswith('-timestamp') or 'signature' in k.lower()}
            self.received.append({'path': req.path, 'body': body, 'headers': hdrs,
                                  'signature_valid': self.signature_valid(req), 'ts': ec.utcnow_iso()})
            return self.text(200, 'ok', req)


if __name__ == '__main__':
    ec.run(WebhookEmulator)
