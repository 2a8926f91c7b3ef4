#!/usr/bin/python3
"""gcp.py - loopback emulator of GCP IAM service-account keys (iam v1), the
OAuth2 token endpoint (JWT-bearer grants, checked against the key's public
key when the seed gives one, as Google checks them; refresh_token grants of
seeded OAuth clients) and the GCE metadata server's token (connectors.md
section 2).  Access tokens never appear in the state or logs.
"""

import base64
import hmac
import json
import os
import re
import secrets
import sys
import time
from urllib.parse import parse_qsl, unquote

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_common as ec  # noqa: E402

MAX_KEYS = 10


class GcpError(Exception):
    def __init__(self, code, status, message, details=None):
        super().__init__(message)
        self.code, self.status, self.message, self.details = code, status, message, details


def not_found(msg):
    return GcpError(404, 'NOT_FOUND', msg)


class GcpEmulator(ec.Emulator):
    name = 'gcp'

    def clear_state(self):
        self.tokens = []        # access tokens (strings)
        self.sas = {}           # email -> {email, project, unique_id, disabled, keys: {id: key}}
        self.clients = []       # authorized_user grants: {client_id, client_secret, refresh_token}
        self.exchanges = 0      # access tokens issued (token endpoint and metadata server)

    def apply_seed(self, seed):
        for t in seed.get('tokens') or []:
            if t not in self.tokens:
                self.tokens.append(t)
        for sa in seed.get('service_accounts') or []:
            email = sa['email']
            m = re.match(r'^[^@]+@([^.]+)\.iam\.gserviceaccount\.com$', email)
            project = sa.get('project') or (m.group(1) if m else 'emu-project')
            rec = self.sas.get(email) or {'email': email, 'project': project, 'keys': {},
                                          'unique_id': sa.get('unique_id') or str(10 ** 20 + secrets.randbelow(10 ** 20)),
                                          'disabled': False}
            rec['disabled'] = bool(sa.get('disabled', rec['disabled']))
            for k in sa.get('keys') or []:
                kid = k.get('id') or secrets.token_hex(20)
                rec['keys'][kid] = {'id': kid, 'disabled': bool(k.get('disabled')), 'deleted': False,
                                    'key_type': k.get('key_type', 'USER_MANAGED'),
                                    'origin': k.get('key_origin', 'GOOGLE_PROVIDED'),
                                    'created': time.time() - 86400,
                                    'public_key_pem': k.get('public_key_pem')}
            self.sas[email] = rec
        for c in seed.get('oauth_clients') or []:
            self.clients.append(dict(c))

    def public_state(self):
        return {'service_accounts': {e: {'unique_id': s['unique_id'], 'project': s['project'], 'disabled': s['disabled'],
                                         'keys': {k: {'disabled': v['disabled'], 'deleted': v['deleted'],
                                                      'key_type': v['key_type']} for k, v in s['keys'].items()}}
                                     for e, s in self.sas.items()},
                'tokens': len(self.tokens), 'exchanges': self.exchanges}

    # ---- wire ----------------------------------------------------------------
    def err(self, req, e):
        body = {'code': e.code, 'message': e.message, 'status': e.status}
        if e.details is not None:
            body['details'] = e.details
        req.log['error'] = e.status
        return ec.json_response(e.code, {'error': body}, [('Vary', 'Origin, X-Origin, Referer')])

    def throttle_response(self, req, fault):
        r = self.err(req, GcpError(fault.status or 429, 'RESOURCE_EXHAUSTED', fault.message or
                                   "Quota exceeded for quota metric 'Service Account Key Operations' and limit "
                                   "'Service Account Key Operations per minute' of service 'iam.googleapis.com'."))
        if fault.retry_after is not None:
            r.add('Retry-After', int(fault.retry_after))
        return r

    def error_response(self, req, fault):
        st = fault.status or 500
        if st == 503:
            return self.err(req, GcpError(503, 'UNAVAILABLE', fault.message or 'The service is currently unavailable.'))
        if st == 504:
            return self.err(req, GcpError(504, 'DEADLINE_EXCEEDED', fault.message or 'Deadline exceeded.'))
        return self.err(req, GcpError(st, 'INTERNAL', fault.message or 'Internal error encountered.'))

    def internal_error(self, req, exc):
        return self.err(req, GcpError(500, 'INTERNAL', 'Internal error encountered.'))

    def vanish(self, req, fault):
        m = self.match_path(req.path)
        if m:
            try:
                sa = self.find_sa(m['project'], m['sa'])
            except GcpError:
                return None
            if m['key'] and m['key'] in sa['keys']:
                sa['keys'][m['key']]['deleted'] = True
            elif not m['key'] and not m['keys']:
                del self.sas[sa['email']]
        return None

    def match_path(self, path):
        m = re.match(r'^/v1/projects/([^/]+)/serviceAccounts/([^/:]+)(/keys(?:/([^/:]+))?)?(?::([A-Za-z]+))?$', path)
        if not m:
            return None
        return {'project': unquote(m.group(1)), 'sa': unquote(m.group(2)), 'keys': bool(m.group(3)),
                'key': unquote(m.group(4)) if m.group(4) else None, 'verb': m.group(5)}

    def find_sa(self, project, ident):
        for s in self.sas.values():
            if ident in (s['email'], s['unique_id']) and project in ('-', s['project']):
                return s
        if project == '-':
            raise GcpError(403, 'PERMISSION_DENIED', "Permission 'iam.serviceAccounts.get' denied on resource "
                           "(or it may not exist).")
        raise not_found('Unknown service account')

    def key_name(self, sa, kid):
        return 'projects/%s/serviceAccounts/%s/keys/%s' % (sa['project'], sa['email'], kid)

    def key_json(self, sa, k):
        out = {'name': self.key_name(sa, k['id']),
               'validAfterTime': ec.utcnow_iso(k['created']),
               'validBeforeTime': '9999-12-31T23:59:59Z' if k['key_type'] == 'USER_MANAGED'
               else ec.utcnow_iso(k['created'] + 14 * 86400),
               'keyAlgorithm': 'KEY_ALG_RSA_2048', 'keyOrigin': k['origin'], 'keyType': k['key_type']}
        if k['disabled']:
            out['disabled'] = True
            out['disableReason'] = 'SERVICE_ACCOUNT_KEY_DISABLE_REASON_USER_INITIATED'
        return out

    def authenticate(self, req):
        auth = req.header('Authorization') or ''
        if not auth:
            raise GcpError(401, 'UNAUTHENTICATED', 'Request is missing required authentication credential. Expected '
                           'OAuth 2 access token, login cookie or other valid authentication credential. See '
                           'https://developers.google.com/identity/sign-in/web/devconsole-project.')
        tok = auth[7:].strip() if auth.lower().startswith('bearer ') else ''
        if not any(hmac.compare_digest(tok.encode(), t.encode()) for t in self.tokens):
            raise GcpError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 '
                           'access token, login cookie or other valid authentication credential. See '
                           'https://developers.google.com/identity/sign-in/web/devconsole-project.')

    def handle(self, req):
        try:
            with self.lock:
                if req.path in ('/token', '/oauth2/v4/token') and req.method == 'POST':
                    return self.token(req)
                if req.path == '/computeMetadata/v1/instance/service-accounts/default/token':
                    return self.metadata_token(req)
                self.authenticate(req)
                return self.route(req)
        except GcpError as e:
            return self.err(req, e)

    def route(self, req):
        m = self.match_path(req.path)
        if not m:
            raise not_found('The requested URL %s was not found on this server.' % req.path)
        sa = self.find_sa(m['project'], m['sa'])
        verb, meth = m['verb'], req.method
        if not m['keys']:
            if verb in ('disable', 'enable') and meth == 'POST':
                sa['disabled'] = verb == 'disable'
                return ec.json_response(200, {})
            if verb is None and meth == 'GET':
                out = {'name': 'projects/%s/serviceAccounts/%s' % (sa['project'], sa['email']),
                       'projectId': sa['project'], 'uniqueId': sa['unique_id'], 'email': sa['email'],
                       'oauth2ClientId': sa['unique_id']}
                if sa['disabled']:
                    out['disabled'] = True
                return ec.json_response(200, out)
            raise not_found('Method not found.')
        if m['key'] is None:
            if verb is None and meth == 'GET':
                types = req.query.get('keyTypes') or []
                keys = [self.key_json(sa, k) for k in sa['keys'].values()
                        if not k['deleted'] and (not types or k['key_type'] in types)]
                return ec.json_response(200, {'keys': keys} if keys else {})
            if verb is None and meth == 'POST':
                live = [k for k in sa['keys'].values() if not k['deleted'] and k['key_type'] == 'USER_MANAGED']
                if len(live) >= MAX_KEYS:
                    raise GcpError(400, 'FAILED_PRECONDITION', 'Precondition check failed.')
                kid = secrets.token_hex(20)
                k = {'id': kid, 'disabled': False, 'deleted': False, 'key_type': 'USER_MANAGED',
                     'origin': 'GOOGLE_PROVIDED', 'created': time.time()}
                sa['keys'][kid] = k
                cred = {'type': 'service_account', 'project_id': sa['project'], 'private_key_id': kid,
                        'private_key': '-----BEGIN PRIVATE KEY-----\nEMULATED\n-----END PRIVATE KEY-----\n',
                        'client_email': sa['email'], 'client_id': sa['unique_id'],
                        'token_uri': 'https://oauth2.googleapis.com/token'}
                out = self.key_json(sa, k)
                out['privateKeyType'] = 'TYPE_GOOGLE_CREDENTIALS_FILE'
                out['privateKeyData'] = base64.b64encode(json.dumps(cred).encode()).decode()
                req.log['target'] = kid
                return ec.json_response(200, out)
            raise not_found('Method not found.')
        kid = m['key']
        req.log['target'] = kid
        k = sa['keys'].get(kid)
        if k is None:
            raise not_found('Service account key %s does not exist.' % self.key_name(sa, kid))
        if k['deleted']:
            if meth == 'DELETE':
                # observed on the real API (uc-cdis/fence#868): a second delete is 400
                raise GcpError(400, 'FAILED_PRECONDITION', 'Precondition check failed.')
            raise not_found('Service account key %s does not exist.' % self.key_name(sa, kid))
        if verb is None and meth == 'GET':
            return ec.json_response(200, self.key_json(sa, k))
        if verb is None and meth == 'DELETE':
            k['deleted'] = True
            return ec.json_response(200, {})
        if verb in ('disable', 'enable') and meth == 'POST':
            k['disabled'] = verb == 'disable'
            return ec.json_response(200, {})
        raise not_found('Method not found.')

    def issue(self):
        tok = 'ya29.emu-' + secrets.token_urlsafe(32)
        self.tokens.append(tok)
        self.exchanges += 1
        return ec.json_response(200, {'access_token': tok, 'expires_in': 3599, 'token_type': 'Bearer'})

    def metadata_token(self, req):
        # the GCE metadata server: only with the header that proves the caller
        # is not a browser or a redirected request
        if req.method != 'GET' or req.header('Metadata-Flavor') != 'Google':
            req.log['error'] = 'no Metadata-Flavor'
            return ec.Response(403, b'Missing required header: Metadata-Flavor', 'text/html')
        if req.header('X-Forwarded-For'):
            return ec.Response(403, b'forwarded', 'text/html')
        req.log['target'] = 'metadata'
        return self.issue()

    def verify_jwt(self, k, parts, claims, req):
        """None when the signature and claims hold, else why."""
        if not k.get('public_key_pem'):
            return None     # a seed without the key: the signature is not checked
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        pub = serialization.load_pem_public_key(k['public_key_pem'].encode())
        sig = base64.urlsafe_b64decode(parts[2] + '=' * (-len(parts[2]) % 4))
        try:
            pub.verify(sig, ('%s.%s' % (parts[0], parts[1])).encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return 'Invalid JWT Signature.'
        now = time.time()
        iat, exp = claims.get('iat'), claims.get('exp')
        if not isinstance(iat, int) or not isinstance(exp, int) or exp - iat > 3600 or \
                iat > now + 300 or exp < now - 300:
            return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.'
        aud = 'http://%s%s' % (req.header('Host'), req.path)
        if claims.get('aud') != aud:
            return 'Invalid JWT: audience %r is not %s' % (claims.get('aud'), aud)
        if not claims.get('scope'):
            return 'Invalid JWT: no scope'
        return None

    def token(self, req):
        def oauth_err(code, desc):
            req.log['error'] = code
            return ec.json_response(400, {'error': code, 'error_description': desc})
        form = dict(parse_qsl((req.body or b'').decode('utf-8', 'replace')))
        if form.get('grant_type') == 'refresh_token':
            for c in self.clients:
                if c.get('client_id') == form.get('client_id') and \
                        hmac.compare_digest((c.get('client_secret') or '').encode(),
                                            (form.get('client_secret') or '').encode()) and \
                        hmac.compare_digest((c.get('refresh_token') or '').encode(),
                                            (form.get('refresh_token') or '').encode()):
                    req.log['target'] = c.get('client_id')
                    return self.issue()
            return oauth_err('invalid_grant', 'Bad Request')
        if form.get('grant_type') != 'urn:ietf:params:oauth:grant-type:jwt-bearer':
            return oauth_err('unsupported_grant_type', 'Invalid grant_type: %s' % form.get('grant_type', ''))
        parts = (form.get('assertion') or '').split('.')
        try:
            if len(parts) != 3:
                raise ValueError
            dec = lambda s: json.loads(base64.urlsafe_b64decode(s + '=' * (-len(s) % 4)))  # noqa: E731
            hdr, claims = dec(parts[0]), dec(parts[1])
        except (ValueError, TypeError):
            return oauth_err('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a '
                             'reasonable timeframe. Check your iat and exp values in the JWT claim.')
        sa = self.sas.get(claims.get('iss'))
        if not sa or sa['disabled']:
            return oauth_err('invalid_grant', 'Invalid grant: account not found')
        k = sa['keys'].get(hdr.get('kid'))
        if not k or k['deleted'] or k['disabled'] or hdr.get('alg') != 'RS256':
            return oauth_err('invalid_grant', 'Invalid JWT Signature.')
        why = self.verify_jwt(k, parts, claims, req)
        if why:
            return oauth_err('invalid_grant', why)
        req.log['target'] = claims.get('iss')
        return self.issue()


if __name__ == '__main__':
    ec.run(GcpEmulator)
