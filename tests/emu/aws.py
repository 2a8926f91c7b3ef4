#!/usr/bin/python3
"""aws.py - loopback emulator of the AWS IAM and STS Query APIs (and Lambda's
REST-JSON containment calls: aws_lambda.py).

Every request's SigV4 signature is recomputed with Debian's python3-botocore
(botocore.auth.SigV4Auth) over the request as received.  Shapes follow
../shared/reference/connectors.md section 1.  See README.md for the seed and
state shapes.  Secrets stay in memory: never logged, never in /__emu/state.
"""

import base64
import hmac
import json
import os
import re
import secrets
import sys
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote
from xml.sax.saxutils import escape

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_common as ec  # noqa: E402
from aws_lambda import LAMBDA_REGIONS, LambdaError, LambdaMixin  # noqa: E402
import aws_trust  # noqa: E402
# signs exactly the headers the client said it signed (shared with s3proxy)
from sigv4check import Received as ReceivedRequestSigner  # noqa: E402

from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/'
STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/'
VERSIONS = {'iam': '2010-05-08', 'sts': '2011-06-15'}
REGIONS = {'iam': ('us-east-1',), 'sts': ('us-east-1',)}
SECRET_PARAMS = ('Password', 'NewPassword', 'OldPassword', 'WebIdentityToken')
KEY_RE = re.compile(r'^[\w]+$')
AUTH_RE = re.compile(r'^AWS4-HMAC-SHA256 (.*)$')
MAX_SKEW = 15 * 60


class AwsError(Exception):
    def __init__(self, status, code, message, sender=True):
        super().__init__(code)
        self.status, self.code, self.message, self.sender = status, code, message, sender


def no_such(msg):
    return AwsError(404, 'NoSuchEntity', msg)


def validation(msg):
    return AwsError(400, 'ValidationError', msg)


def account_from_key_id(key_id):
    """The account a key id encodes (AKIA/ASIA keys made since 2019)."""
    try:
        raw = base64.b32decode(key_id[4:20])
    except (ValueError, base64.binascii.Error):
        return None
    z = int.from_bytes(raw[0:6], 'big')
    return '%012d' % ((z & 0x7fffffffff80) >> 7)


def make_key_id(account, prefix='AKIA'):
    z = (int(account) << 7) | secrets.randbelow(128)
    raw = z.to_bytes(6, 'big') + secrets.token_bytes(4)
    return prefix + base64.b32encode(raw).decode()


def make_id(prefix):
    alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
    return prefix + ''.join(secrets.choice(alphabet) for _ in range(17))


def make_secret():
    return base64.b64encode(secrets.token_bytes(30)).decode().replace('+', 'x').replace('/', 'y')


def x(v):
    return escape(str(v))


def iso(ts):
    return ec.utcnow_iso(ts)


def parse_iso(s):
    if not s:
        return time.time()
    s = s.replace('Z', '+00:00')
    return datetime.fromisoformat(s).timestamp()


class AwsEmulator(LambdaMixin, ec.Emulator):
    name = 'aws'

    # ---- state ------------------------------------------------------------
    def clear_state(self):
        self.account = '123456789012'
        self.users = {}       # name -> {user_id, create, keys: [key...], login_profile, policies}
        self.roles = {}       # name -> {role_id, create, service_linked, policies}
        self.lambda_clear()
        self.keys = {}        # id -> key dict {id, secret, status, create, user, last_used}
        self.sessions = {}    # id -> {id, secret, token, role, session}
        self.deleted_keys = []
        self.foreign = {}
        # credential sources (see README.md "credential sources")
        self.session_ttl = None     # seconds; None: the DurationSeconds asked (default 3600)
        self.web_identity_token = None
        self.sso = None             # {token, account, roles: [names]}
        self.container = None       # {token (Authorization value, or None), role}
        self.imds = None            # {role}
        self.imds_tokens = set()
        self.issued = []            # [{id, via, role, session}]: sessions this emulator issued

    def _user(self, name, create=None):
        u = self.users.get(name)
        if u is None:
            u = {'name': name, 'user_id': make_id('AIDA'), 'create': create or time.time(),
                 'keys': [], 'login_profile': None, 'policies': {}}
            self.users[name] = u
        return u

    def _add_key(self, user, k):
        kid = k['id']
        if not KEY_RE.match(kid) or not 16 <= len(kid) <= 128:
            raise ValueError('bad access key id %r' % kid)
        old = self.keys.get(kid)
        if old:
            owner = self.users.get(old['user'])
            if owner:
                owner['keys'] = [o for o in owner['keys'] if o['id'] != kid]
        lu = k.get('last_used')
        key = {'id': kid, 'secret': k['secret'], 'status': k.get('status', 'Active'),
               'create': parse_iso(k.get('create_date')), 'user': user['name'],
               'last_used': None}
        if lu:
            key['last_used'] = {'date': parse_iso(lu.get('date')), 'service': lu.get('service', 'N/A'),
                                'region': lu.get('region', 'N/A')}
        user['keys'].append(key)
        self.keys[kid] = key
        if kid in self.deleted_keys:
            self.deleted_keys.remove(kid)

    def apply_seed(self, seed):
        if 'account' in seed:
            self.account = '%012d' % int(seed['account'])
        self.lambda_seed(seed)
        for name, u in (seed.get('users') or {}).items():
            user = self._user(name, parse_iso(u.get('create_date')) if u.get('create_date') else None)
            for k in u.get('keys') or []:
                self._add_key(user, k)
            lp = u.get('login_profile')
            if lp:
                user['login_profile'] = {'create': time.time(),
                                         'reset': bool(lp.get('password_reset_required')) if isinstance(lp, dict) else False}
            elif lp is False:
                user['login_profile'] = None
            for pn, doc in (u.get('policies') or {}).items():
                user['policies'][pn] = doc if isinstance(doc, str) else json.dumps(doc)
        for c in seed.get('callers') or []:
            user = self._user(c.get('user', 'emu-admin'))
            self._add_key(user, c)
        for name, r in (seed.get('roles') or {}).items():
            role = self.roles.get(name) or {'name': name, 'role_id': make_id('AROA'), 'create': time.time(),
                                            'policies': {}, 'service_linked': False}
            role['service_linked'] = bool(r.get('service_linked', role['service_linked']))
            if 'external_id' in r:
                role['external_id'] = r['external_id']
            if 'trust' in r:
                role['trust'] = r['trust'] if isinstance(r['trust'], str) else json.dumps(r['trust'])
            for pn, doc in (r.get('policies') or {}).items():
                role['policies'][pn] = doc if isinstance(doc, str) else json.dumps(doc)
            self.roles[name] = role
        for s in seed.get('sessions') or []:
            self.sessions[s['id']] = {'id': s['id'], 'secret': s['secret'], 'token': s['token'],
                                      'role': s.get('role', 'emu-role'), 'session': s.get('session', 'emu-session')}
            if s.get('role', 'emu-role') not in self.roles:
                self.roles[s.get('role', 'emu-role')] = {'name': s.get('role', 'emu-role'), 'role_id': make_id('AROA'),
                                                         'create': time.time(), 'policies': {}, 'service_linked': False}
        for kid, acct in (seed.get('foreign_keys') or {}).items():
            self.foreign[kid] = '%012d' % int(acct)
        if 'session_ttl' in seed:
            self.session_ttl = seed['session_ttl']
        if 'web_identity_token' in seed:
            self.web_identity_token = seed['web_identity_token']
        for k in ('sso', 'container', 'imds'):
            if k in seed:
                setattr(self, k, seed[k])

    def _policy_view(self, doc):
        try:
            return json.loads(doc)
        except ValueError:
            return doc

    def public_state(self):
        users = {}
        for n, u in self.users.items():
            users[n] = {
                'user_id': u['user_id'], 'arn': self.user_arn(n), 'create_date': iso(u['create']),
                'keys': [{'id': k['id'], 'status': k['status'], 'create_date': iso(k['create']),
                          'last_used': None if not k['last_used'] else
                          {'date': iso(k['last_used']['date']), 'service': k['last_used']['service'],
                           'region': k['last_used']['region']}} for k in u['keys']],
                'login_profile': None if not u['login_profile'] else
                {'create_date': iso(u['login_profile']['create']),
                 'password_reset_required': u['login_profile']['reset']},
                'policies': {pn: self._policy_view(d) for pn, d in u['policies'].items()},
            }
        roles = {n: {'role_id': r['role_id'], 'arn': self.role_arn(n), 'service_linked': r['service_linked'],
                     'policies': {pn: self._policy_view(d) for pn, d in r['policies'].items()},
                     'trust': self._policy_view(r.get('trust') or aws_trust.DEFAULT_TRUST)}
                 for n, r in self.roles.items()}
        return {'account': self.account, 'users': users, 'roles': roles,
                'deleted_keys': list(self.deleted_keys), 'sessions': sorted(self.sessions),
                'issued': list(self.issued), 'functions': self.lambda_state()}

    def user_arn(self, name):
        return 'arn:aws:iam::%s:user/%s' % (self.account, name)

    def role_arn(self, name):
        return 'arn:aws:iam::%s:role/%s' % (self.account, name)

    # ---- wire -------------------------------------------------------------
    def params_of(self, req):
        params = {}
        for k, v in parse_qsl(req.query_string, keep_blank_values=True):
            params[k] = v
        ctype = (req.header('Content-Type') or '').lower()
        if req.method == 'POST' and req.body and ('x-www-form-urlencoded' in ctype or not ctype):
            try:
                for k, v in parse_qsl(req.body.decode('utf-8'), keep_blank_values=True):
                    params[k] = v
            except UnicodeDecodeError:
                pass
        return params

    def scope_service(self, req):
        m = re.search(r'Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/', req.header('Authorization') or '')
        return m.group(1) if m else None

    def classify(self, req):
        req.params = self.params_of(req)
        req.aws_action = req.params.get('Action', '')
        req.action = req.aws_action or '%s %s' % (req.method, req.path)
        svc = self.scope_service(req)
        req.service = svc if svc in VERSIONS else ('sts' if req.params.get('Version') == VERSIONS['sts'] else 'iam')
        req.log['params'] = {k: ('(redacted)' if k in SECRET_PARAMS else v) for k, v in req.params.items()}

    def xml(self, req, status, action, result_xml, ns=None):
        rid = ec.new_uuid()
        ns = ns or (STS_NS if req.service == 'sts' else IAM_NS)
        body = '<%sResponse xmlns="%s">\n' % (action, ns)
        if result_xml is not None:
            body += '  <%sResult>\n%s  </%sResult>\n' % (action, result_xml, action)
        body += '  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n</%sResponse>\n' % (
            rid, action)
        return ec.Response(status, body, 'text/xml', [('x-amzn-RequestId', rid)])

    def error(self, req, e):
        rid = ec.new_uuid()
        ns = STS_NS if getattr(req, 'service', 'iam') == 'sts' else IAM_NS
        body = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n'
                '    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n') % (
            ns, 'Sender' if e.sender else 'Receiver', x(e.code), x(e.message), rid)
        req.log['error'] = e.code
        return ec.Response(e.status, body, 'text/xml', [('x-amzn-RequestId', rid)])

    def throttle_response(self, req, fault):
        if self.is_lambda_path(req.path):
            r = self.lambda_error(req, LambdaError(fault.status or 429, fault.code or 'TooManyRequestsException',
                                                   fault.message or 'Rate exceeded'))
        else:
            r = self.error(req, AwsError(fault.status or 400, fault.code or 'Throttling', fault.message or 'Rate exceeded'))
        if fault.retry_after is not None:
            r.add('Retry-After', fault.retry_after)
        return r

    def error_response(self, req, fault):
        st = fault.status or 500
        code, msg = {
            503: ('ServiceUnavailable', 'Service is unable to handle request.'),
        }.get(st, ('InternalFailure', 'The request processing has failed because of an unknown error, '
                                      'exception or failure.'))
        return self.error(req, AwsError(st, fault.code or code, fault.message or msg, sender=st < 500))

    def internal_error(self, req, exc):
        return self.error(req, AwsError(500, 'ServiceFailure', 'emulator failure: %s' % type(exc).__name__,
                                        sender=False))

    def vanish(self, req, fault):
        p = req.params
        kid = p.get('AccessKeyId')
        if kid and kid in self.keys:
            self._delete_key(self.keys[kid])
        elif p.get('PolicyName') and p.get('RoleName') in self.roles:
            self.roles[p['RoleName']]['policies'].pop(p['PolicyName'], None)
        elif p.get('PolicyName') and p.get('UserName') in self.users:
            self.users[p['UserName']]['policies'].pop(p['PolicyName'], None)
        elif 'LoginProfile' in req.aws_action and p.get('UserName') in self.users:
            self.users[p['UserName']]['login_profile'] = None
        elif p.get('RoleName') in self.roles:
            del self.roles[p['RoleName']]
        elif p.get('UserName') in self.users:
            for k in list(self.users[p['UserName']]['keys']):
                self._delete_key(k)
            del self.users[p['UserName']]
        return None

    # ---- authentication -----------------------------------------------------
    def authenticate(self, req):
        auth = req.header('Authorization')
        if not auth:
            if 'X-Amz-Signature' in req.query:
                raise AwsError(403, 'AccessDenied', 'Presigned requests are not supported by this emulator.')
            raise AwsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token')
        m = AUTH_RE.match(auth.strip())
        if not m:
            raise AwsError(400, 'IncompleteSignature',
                           "Authorization header requires 'Credential' parameter. Authorization header requires "
                           "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
                           "Authorization=%s" % auth.split(' ', 1)[0])
        fields = {}
        for part in m.group(1).split(','):
            k, _, v = part.strip().partition('=')
            fields[k.strip()] = v.strip()
        missing = [n for n in ('Credential', 'SignedHeaders', 'Signature') if not fields.get(n)]
        if missing:
            raise AwsError(400, 'IncompleteSignature',
                           ' '.join("Authorization header requires '%s' parameter." % n for n in missing))
        cred = fields['Credential'].split('/')
        if len(cred) != 5 or cred[4] != 'aws4_request':
            raise AwsError(400, 'IncompleteSignature',
                           "Credential should be scoped to a valid region, not '%s'. " % (cred[2] if len(cred) > 2 else ''))
        akid, date, region, service = cred[0], cred[1], cred[2], cred[3]
        signed = [h.strip().lower() for h in fields['SignedHeaders'].split(';') if h.strip()]
        req.log.update(access_key=akid, region=region, service=service, signed_headers=signed,
                       token=bool(req.header('X-Amz-Security-Token')))
        ts = req.header('X-Amz-Date')
        if not ts:
            raise AwsError(400, 'IncompleteSignature',
                           "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                           "Authorization=AWS4-HMAC-SHA256")

        # who signs?
        principal = None
        key = self.keys.get(akid)
        sess = self.sessions.get(akid)
        token = req.header('X-Amz-Security-Token')
        if key and key['status'] == 'Active':
            principal = {'kind': 'user', 'user': key['user'], 'key': key, 'secret': key['secret']}
        elif sess and token and hmac.compare_digest(token.encode(), sess['token'].encode()):
            if sess.get('expires') and sess['expires'] <= time.time():
                raise AwsError(400, 'ExpiredToken', 'The security token included in the request is expired')
            principal = {'kind': 'session', 'session': sess, 'secret': sess['secret']}
        if principal is None:
            raise AwsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.')

        want = 'lambda' if self.is_lambda_path(req.path) else None
        if (want or service) != service or (want is None and service not in VERSIONS):
            raise AwsError(403, 'SignatureDoesNotMatch',
                           "Credential should be scoped to correct service: '%s'. " % (want or req.service))
        req.region = region
        if region not in REGIONS.get(service, LAMBDA_REGIONS):
            raise AwsError(403, 'SignatureDoesNotMatch',
                           "Credential should be scoped to a valid region, not '%s'. " % region)
        if 'host' not in signed:
            raise AwsError(400, 'IncompleteSignature',
                           "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        try:
            t = datetime.strptime(ts, '%Y%m%dT%H%M%SZ').replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            t = None
        if t is not None and abs(time.time() - t) > MAX_SKEW:
            raise AwsError(400, 'RequestExpired', 'Request has expired.')
        if date != ts[:8]:
            raise AwsError(403, 'SignatureDoesNotMatch',
                           "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                           "HTTP: '%s' != '%s', from ISO-8601 string: '%s'." % (date, ts[:8], ts))

        # recompute with botocore over the request as received
        host = req.header('Host') or ''
        url = 'http://%s%s' % (host, req.raw_path)
        areq = AWSRequest(method=req.method, url=url, data=req.body)
        areq.context['timestamp'] = ts
        signer = ReceivedRequestSigner(Credentials(akid, principal['secret'], token), service, region,
                                       signed, req.headers)
        creq = signer.canonical_request(areq)
        sts = signer.string_to_sign(areq, creq)
        expected = signer.signature(sts, areq)
        if not hmac.compare_digest(expected, fields['Signature']):
            raise AwsError(403, 'SignatureDoesNotMatch',
                           'The request signature we calculated does not match the signature you provided. '
                           'Check your AWS Secret Access Key and signing method. Consult the service '
                           'documentation for details.')
        # a use of the key
        if principal['kind'] == 'user':
            principal['key']['last_used'] = {'date': time.time(), 'service': service, 'region': 'us-east-1'}
        return principal

    # ---- dispatch -------------------------------------------------------------
    def handle(self, req):
        try:
            with self.lock:
                if req.path.startswith('/latest/'):
                    return self.imds_handle(req)
                if req.path.startswith('/container/'):
                    return self.container_handle(req)
                if req.path == '/federation/credentials':
                    return self.sso_handle(req)
                if self.is_lambda_path(req.path):
                    self.authenticate(req)
                    return self.lambda_handle(req, req.region)
                if req.path != '/':
                    raise AwsError(404, 'UnknownOperationException', 'Unknown path %s' % req.path)
                p = req.params
                if req.aws_action == 'AssumeRoleWithWebIdentity' and not req.header('Authorization'):
                    # unsigned: the web identity token is the proof
                    req.service = 'sts'
                    result = op_assume_role_with_web_identity(self, req, None, p)
                    return self.xml(req, 200, req.aws_action, result)
                principal = self.authenticate(req)
                action = req.aws_action
                if not action:
                    raise AwsError(400, 'MissingAction', 'Missing Action')
                ver = p.get('Version')
                if ver is None:
                    raise AwsError(400, 'MissingParameter', 'The request must contain the parameter Version')
                ops = STS_OPS if req.service == 'sts' else IAM_OPS
                fn = ops.get(action)
                if ver != VERSIONS[req.service] or fn is None:
                    raise AwsError(400, 'InvalidAction',
                                   'Could not find operation %s for version %s' % (action, ver))
                result = fn(self, req, principal, p)
                return self.xml(req, 200, action, result)
        except AwsError as e:
            return self.error(req, e)

    # ---- temporary credentials ------------------------------------------------------
    def issue_session(self, role_name, session_name, via, duration=3600):
        """A new ASIA key for ROLE, valid for session_ttl (if seeded) or duration."""
        ttl = self.session_ttl if self.session_ttl is not None else duration
        s = {'id': make_key_id(self.account, 'ASIA'), 'secret': make_secret(),
             'token': 'IQoJb3JpZ2luX2VjE' + make_secret() + make_secret(), 'role': role_name,
             'session': session_name, 'expires': time.time() + ttl}
        self.sessions[s['id']] = s
        self.issued.append({'id': s['id'], 'via': via, 'role': role_name, 'session': session_name})
        return s

    def role_by_arn(self, arn):
        m = re.match(r'^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$', arn or '')
        if not m:
            raise validation("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy "
                             "constraint: Member must satisfy regular expression pattern" % arn)
        r = self.roles.get(m.group(2))
        if r is None or m.group(1) != self.account:
            raise AwsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRole on %s' % arn)
        return r

    def credentials_xml(self, s):
        return ('    <Credentials>\n      <AccessKeyId>%s</AccessKeyId>\n'
                '      <SecretAccessKey>%s</SecretAccessKey>\n      <SessionToken>%s</SessionToken>\n'
                '      <Expiration>%s</Expiration>\n    </Credentials>\n'
                '    <AssumedRoleUser>\n      <AssumedRoleId>%s:%s</AssumedRoleId>\n'
                '      <Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>\n    </AssumedRoleUser>\n') % (
            s['id'], s['secret'], s['token'], iso(s['expires']), self.roles[s['role']]['role_id'],
            x(s['session']), self.account, x(s['role']), x(s['session']))

    def creds_json(self, s, token_key='Token'):
        return {'AccessKeyId': s['id'], 'SecretAccessKey': s['secret'], token_key: s['token'],
                'Expiration': iso(s['expires']), 'RoleArn': self.role_arn(s['role'])}

    def _role_named(self, name):
        if name not in self.roles:
            self.roles[name] = {'name': name, 'role_id': make_id('AROA'), 'create': time.time(),
                                'policies': {}, 'service_linked': False}
        return name

    def imds_handle(self, req):
        """IMDSv2: PUT /latest/api/token, then GETs carrying the token."""
        if not self.imds:
            return ec.Response(404, 'Not Found', 'text/plain')
        if req.path == '/latest/api/token':
            if req.method != 'PUT':
                return ec.Response(405, 'Method Not Allowed', 'text/plain')
            ttl = req.header('X-aws-ec2-metadata-token-ttl-seconds')
            if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return ec.Response(400, 'Bad Request', 'text/plain')
            tok = 'AQAEA' + secrets.token_urlsafe(40)
            self.imds_tokens.add(tok)
            return ec.Response(200, tok, 'text/plain', [('X-aws-ec2-metadata-token-ttl-seconds', ttl)])
        tok = req.header('X-aws-ec2-metadata-token')
        if req.method != 'GET':
            return ec.Response(405, 'Method Not Allowed', 'text/plain')
        if not tok or tok not in self.imds_tokens:
            req.log['error'] = 'no IMDSv2 token'
            return ec.Response(401, 'Unauthorized', 'text/plain')
        base = '/latest/meta-data/iam/security-credentials/'
        role = self._role_named(self.imds['role'])
        if req.path == base:
            return ec.Response(200, role, 'text/plain')
        if req.path == base + role:
            s = self.issue_session(role, 'i-0emu0000000000001', 'imds', 21600)
            body = dict(Code='Success', LastUpdated=iso(time.time()), Type='AWS-HMAC', **self.creds_json(s))
            body.pop('RoleArn')
            return ec.json_response(200, body)
        return ec.Response(404, 'Not Found', 'text/plain')

    def container_handle(self, req):
        """The ECS / EKS Pod Identity credentials endpoint."""
        if not self.container or req.method != 'GET':
            return ec.json_response(404, {'message': 'not found'})
        want = self.container.get('token')
        got = req.header('Authorization')
        if want is not None and (not got or not hmac.compare_digest(got.encode(), want.encode())):
            req.log['error'] = 'bad authorization token'
            return ec.json_response(401, {'code': 'AccessDeniedException', 'message': 'invalid token'})
        s = self.issue_session(self._role_named(self.container['role']), 'ecs-task', 'container', 21600)
        return ec.json_response(200, self.creds_json(s))

    def sso_handle(self, req):
        """SSO portal GetRoleCredentials."""
        if not self.sso or req.method != 'GET':
            return ec.json_response(404, {'message': 'not found'})
        tok = req.header('x-amz-sso_bearer_token')
        if not tok or not hmac.compare_digest(tok.encode(), self.sso['token'].encode()):
            req.log['error'] = 'UnauthorizedException'
            return ec.json_response(401, {'message': 'Session token not found or invalid'},
                                    [('x-amzn-ErrorType', 'UnauthorizedException')])
        acct, role = req.q('account_id'), req.q('role_name')
        req.log['params'] = {'account_id': acct, 'role_name': role}
        if acct != self.sso.get('account', self.account) or role not in self.sso.get('roles', []):
            req.log['error'] = 'ForbiddenException'
            return ec.json_response(403, {'message': 'No access'}, [('x-amzn-ErrorType', 'ForbiddenException')])
        s = self.issue_session(self._role_named(role), 'sso-user', 'sso', 3600)
        return ec.json_response(200, {'roleCredentials': {
            'accessKeyId': s['id'], 'secretAccessKey': s['secret'], 'sessionToken': s['token'],
            'expiration': int(s['expires'] * 1000)}})

    # ---- helpers ----------------------------------------------------------------
    def req_param(self, p, name, field=None, lo=1, hi=None):
        v = p.get(name)
        field = field or (name[0].lower() + name[1:])
        if v is None:
            raise validation("1 validation error detected: Value null at '%s' failed to satisfy constraint: "
                             "Member must not be null" % field)
        if len(v) < lo:
            raise validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "
                             "Member must have length greater than or equal to %d" % (v, field, lo))
        if hi and len(v) > hi:
            raise validation("1 validation error detected: Value at '%s' failed to satisfy constraint: "
                             "Member must have length less than or equal to %d" % (field, hi))
        return v

    def key_id_param(self, p):
        kid = self.req_param(p, 'AccessKeyId', 'accessKeyId', 16, 128)
        if not KEY_RE.match(kid):
            raise validation("1 validation error detected: Value '%s' at 'accessKeyId' failed to satisfy "
                             "constraint: Member must satisfy regular expression pattern: [\\w]+" % kid)
        return kid

    def target_user(self, principal, p):
        name = p.get('UserName')
        if name is None:
            if principal['kind'] != 'user':
                raise validation('Must specify userName when calling with non-User credentials')
            name = principal['user']
        u = self.users.get(name)
        if u is None:
            raise no_such('The user with name %s cannot be found.' % name)
        return u

    def find_key(self, user, kid):
        for k in user['keys']:
            if k['id'] == kid:
                return k
        raise no_such('The Access Key with id %s cannot be found.' % kid)

    def _delete_key(self, k):
        u = self.users.get(k['user'])
        if u:
            u['keys'] = [o for o in u['keys'] if o['id'] != k['id']]
        self.keys.pop(k['id'], None)
        self.deleted_keys.append(k['id'])

    def user_xml(self, u, indent='      '):
        return ('%s<Path>/</Path>\n%s<UserName>%s</UserName>\n%s<UserId>%s</UserId>\n'
                '%s<Arn>%s</Arn>\n%s<CreateDate>%s</CreateDate>\n') % (
            indent, indent, x(u['name']), indent, u['user_id'], indent, x(self.user_arn(u['name'])),
            indent, iso(u['create']))

    def key_meta_xml(self, k, indent):
        return ('%s<UserName>%s</UserName>\n%s<AccessKeyId>%s</AccessKeyId>\n%s<Status>%s</Status>\n'
                '%s<CreateDate>%s</CreateDate>\n') % (indent, x(k['user']), indent, k['id'], indent,
                                                     k['status'], indent, iso(k['create']))

    def role_for(self, p):
        name = self.req_param(p, 'RoleName', 'roleName', 1, 64)
        r = self.roles.get(name)
        if r is None:
            raise no_such('The role with name %s cannot be found.' % name)
        return r

    def check_policy_doc(self, doc):
        if len(doc) > 131072:
            raise AwsError(409, 'LimitExceeded', 'Maximum policy size of 10240 bytes exceeded for role.')
        try:
            d = json.loads(doc)
        except ValueError:
            raise AwsError(400, 'MalformedPolicyDocument', 'Syntax errors in policy.')
        if not isinstance(d, dict) or 'Statement' not in d:
            raise AwsError(400, 'MalformedPolicyDocument', 'Policy document must contain a Statement.')


# ---- IAM operations -----------------------------------------------------------
def op_create_user(emu, req, pr, p):
    name = emu.req_param(p, 'UserName', 'userName', 1, 64)
    if name in emu.users:
        raise AwsError(409, 'EntityAlreadyExists', 'User with name %s already exists.' % name)
    u = emu._user(name)
    return '    <User>\n%s    </User>\n' % emu.user_xml(u)


def op_get_user(emu, req, pr, p):
    if p.get('UserName') is None and pr['kind'] != 'user':
        raise validation('Must specify userName when calling with non-User credentials')
    u = emu.target_user(pr, p)
    return '    <User>\n%s    </User>\n' % emu.user_xml(u)


def op_list_users(emu, req, pr, p):
    items = ''.join('      <member>\n%s      </member>\n' % emu.user_xml(u, '        ')
                    for _, u in sorted(emu.users.items()))
    return '    <Users>\n%s    </Users>\n    <IsTruncated>false</IsTruncated>\n' % items


def op_create_access_key(emu, req, pr, p):
    u = emu.target_user(pr, p)
    if len(u['keys']) >= 2:
        raise AwsError(409, 'LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2')
    kid = make_key_id(emu.account)
    k = {'id': kid, 'secret': make_secret(), 'status': 'Active', 'create': time.time(),
         'user': u['name'], 'last_used': None}
    u['keys'].append(k)
    emu.keys[kid] = k
    return ('    <AccessKey>\n      <UserName>%s</UserName>\n      <AccessKeyId>%s</AccessKeyId>\n'
            '      <Status>Active</Status>\n      <SecretAccessKey>%s</SecretAccessKey>\n'
            '      <CreateDate>%s</CreateDate>\n    </AccessKey>\n') % (x(u['name']), kid, k['secret'],
                                                                          iso(k['create']))


def op_update_access_key(emu, req, pr, p):
    kid = emu.key_id_param(p)
    status = emu.req_param(p, 'Status', 'status')
    if status not in ('Active', 'Inactive'):
        raise validation("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: "
                         "Member must satisfy enum value set: [Active, Inactive]" % status)
    u = emu.target_user(pr, p)
    k = emu.find_key(u, kid)
    k['status'] = status
    return None


def op_delete_access_key(emu, req, pr, p):
    kid = emu.key_id_param(p)
    u = emu.target_user(pr, p)
    k = emu.find_key(u, kid)
    emu._delete_key(k)
    return None


def op_list_access_keys(emu, req, pr, p):
    u = emu.target_user(pr, p)
    keys = u['keys']
    start = int(p.get('Marker') or 0) if (p.get('Marker') or '0').isdigit() else 0
    maxi = int(p.get('MaxItems') or 100)
    if not 1 <= maxi <= 1000:
        raise validation("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: "
                         "Member must have value less than or equal to 1000" % maxi)
    page = keys[start:start + maxi]
    trunc = start + maxi < len(keys)
    items = ''.join('      <member>\n%s      </member>\n' % emu.key_meta_xml(k, '        ') for k in page)
    out = '    <UserName>%s</UserName>\n    <AccessKeyMetadata>\n%s    </AccessKeyMetadata>\n' % (
        x(u['name']), items)
    out += '    <IsTruncated>%s</IsTruncated>\n' % ('true' if trunc else 'false')
    if trunc:
        out += '    <Marker>%d</Marker>\n' % (start + maxi)
    return out


def op_get_access_key_last_used(emu, req, pr, p):
    kid = emu.key_id_param(p)
    if kid in emu.foreign:
        # another account's key: IAM will not say who owns it
        who = emu.user_arn(pr['user']) if pr['kind'] == 'user' else 'arn:aws:sts::%s:assumed-role/%s/%s' % (
            emu.account, pr['session']['role'], pr['session']['session'])
        raise AwsError(403, 'AccessDenied', 'User: %s is not authorized to perform: iam:GetAccessKeyLastUsed '
                       'on resource: access key %s' % (who, kid))
    k = emu.keys.get(kid)
    if k is None:
        raise no_such('The Access Key with id %s cannot be found.' % kid)
    lu = k['last_used']
    inner = ''
    if lu:
        inner += '      <LastUsedDate>%s</LastUsedDate>\n' % iso(lu['date'])
        inner += '      <ServiceName>%s</ServiceName>\n      <Region>%s</Region>\n' % (x(lu['service']),
                                                                                          x(lu['region']))
    else:
        inner += '      <ServiceName>N/A</ServiceName>\n      <Region>N/A</Region>\n'
    return '    <UserName>%s</UserName>\n    <AccessKeyLastUsed>\n%s    </AccessKeyLastUsed>\n' % (
        x(k['user']), inner)


def _check_modifiable(r):
    """Service-linked roles refuse inline policy changes."""
    if r['service_linked']:
        raise AwsError(400, 'UnmodifiableEntity',
                       "Cannot perform the operation on the protected role '%s' - this role is only "
                       "modifiable by AWS" % r['name'])


def op_put_role_policy(emu, req, pr, p):
    r = emu.role_for(p)
    pn = emu.req_param(p, 'PolicyName', 'policyName', 1, 128)
    doc = emu.req_param(p, 'PolicyDocument', 'policyDocument', 1, 131072)
    _check_modifiable(r)
    emu.check_policy_doc(doc)
    r['policies'][pn] = doc
    return None


def _inline_policy(emu, p, holder, kind, before=None):
    """The PolicyName of a Get/Delete{Role,User}Policy call, which must exist
    (before(holder) runs between the two checks, as IAM orders them)."""
    pn = emu.req_param(p, 'PolicyName', 'policyName', 1, 128)
    if before is not None:
        before(holder)
    if pn not in holder['policies']:
        raise no_such('The %s policy with name %s cannot be found.' % (kind, pn))
    return pn


def _inline_policy_xml(tag, holder, pn):
    """Get{Role,User}Policy's answer: the document URL-encoded, as IAM sends it."""
    return ('    <%s>%s</%s>\n    <PolicyName>%s</PolicyName>\n'
            '    <PolicyDocument>%s</PolicyDocument>\n') % (tag, x(holder['name']), tag, x(pn),
                                                           x(quote(holder['policies'][pn], safe='')))


def op_get_role_policy(emu, req, pr, p):
    r = emu.role_for(p)
    return _inline_policy_xml('RoleName', r, _inline_policy(emu, p, r, 'role'))


def op_delete_role_policy(emu, req, pr, p):
    r = emu.role_for(p)
    pn = emu.req_param(p, 'PolicyName', 'policyName', 1, 128)
    del r['policies'][_inline_policy(emu, p, r, 'role', before=_check_modifiable)]
    return None


def op_list_role_policies(emu, req, pr, p):
    r = emu.role_for(p)
    items = ''.join('      <member>%s</member>\n' % x(n) for n in sorted(r['policies']))
    return '    <PolicyNames>\n%s    </PolicyNames>\n    <IsTruncated>false</IsTruncated>\n' % items


def op_get_role(emu, req, pr, p):
    r = emu.role_for(p)
    trust = quote(r.get('trust') or aws_trust.DEFAULT_TRUST, safe='')
    return ('    <Role>\n      <Path>/</Path>\n      <RoleName>%s</RoleName>\n      <RoleId>%s</RoleId>\n'
            '      <Arn>%s</Arn>\n      <CreateDate>%s</CreateDate>\n'
            '      <AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument>\n'
            '      <MaxSessionDuration>3600</MaxSessionDuration>\n    </Role>\n') % (
        x(r['name']), r['role_id'], x(emu.role_arn(r['name'])), iso(r['create']), trust)


def op_update_assume_role_policy(emu, req, pr, p):
    r = emu.role_for(p)
    doc = emu.req_param(p, 'PolicyDocument', 'policyDocument', 1, 131072)
    emu.check_policy_doc(doc)
    if len(doc) > aws_trust.TRUST_QUOTA:
        raise AwsError(409, 'LimitExceeded', 'Cannot exceed quota for ACLSizePerRole: %d' % aws_trust.TRUST_QUOTA)
    r['trust'] = doc
    req.log['target'] = r['name']
    return ''


def _user_named(emu, p):
    """The user a *UserPolicy call names (required, unlike key calls)."""
    name = emu.req_param(p, 'UserName', 'userName', 1, 128)
    u = emu.users.get(name)
    if u is None:
        raise no_such('The user with name %s cannot be found.' % name)
    return u


def op_put_user_policy(emu, req, pr, p):
    u = _user_named(emu, p)
    pn = emu.req_param(p, 'PolicyName', 'policyName', 1, 128)
    doc = emu.req_param(p, 'PolicyDocument', 'policyDocument', 1, 131072)
    emu.check_policy_doc(doc)
    u['policies'][pn] = doc
    return None


def op_get_user_policy(emu, req, pr, p):
    u = _user_named(emu, p)
    return _inline_policy_xml('UserName', u, _inline_policy(emu, p, u, 'user'))


def op_delete_user_policy(emu, req, pr, p):
    u = _user_named(emu, p)
    del u['policies'][_inline_policy(emu, p, u, 'user')]
    return None


def _login_xml(u):
    lp = u['login_profile']
    return ('    <LoginProfile>\n      <UserName>%s</UserName>\n      <CreateDate>%s</CreateDate>\n'
            '      <PasswordResetRequired>%s</PasswordResetRequired>\n    </LoginProfile>\n') % (
        x(u['name']), iso(lp['create']), 'true' if lp['reset'] else 'false')


def op_create_login_profile(emu, req, pr, p):
    u = _user_named(emu, p)
    emu.req_param(p, 'Password', 'password', 1, 128)
    if u['login_profile']:
        raise AwsError(409, 'EntityAlreadyExists', 'Login Profile for user %s already exists.' % u['name'])
    u['login_profile'] = {'create': time.time(), 'reset': p.get('PasswordResetRequired') == 'true'}
    return _login_xml(u)


def op_get_login_profile(emu, req, pr, p):
    u = emu.target_user(pr, p)
    if not u['login_profile']:
        raise no_such('Login Profile for User %s cannot be found.' % u['name'])
    return _login_xml(u)


def op_delete_login_profile(emu, req, pr, p):
    u = emu.target_user(pr, p)
    if not u['login_profile']:
        raise no_such('Login Profile for User %s cannot be found.' % u['name'])
    u['login_profile'] = None
    return None


# ---- STS operations -------------------------------------------------------------
def op_get_caller_identity(emu, req, pr, p):
    if pr['kind'] == 'user':
        u = emu.users[pr['user']]
        arn, uid = emu.user_arn(u['name']), u['user_id']
    else:
        s = pr['session']
        role = emu.roles.get(s['role'])
        arn = 'arn:aws:sts::%s:assumed-role/%s/%s' % (emu.account, s['role'], s['session'])
        uid = '%s:%s' % (role['role_id'] if role else 'AROAEMU', s['session'])
    return '    <Arn>%s</Arn>\n    <UserId>%s</UserId>\n    <Account>%s</Account>\n' % (x(arn), x(uid),
                                                                                       emu.account)


def op_get_access_key_info(emu, req, pr, p):
    kid = emu.key_id_param(p)
    if kid in emu.foreign:
        acct = emu.foreign[kid]
    elif kid in emu.keys or kid in emu.deleted_keys or kid in emu.sessions:
        acct = emu.account
    else:
        acct = account_from_key_id(kid) if kid[:4] in ('AKIA', 'ASIA') and len(kid) >= 20 else None
        if acct is None:
            raise AwsError(400, 'InvalidParameterValue', 'Invalid AccessKeyId')
    return '    <Account>%s</Account>\n' % acct


IAM_OPS = {
    'CreateUser': op_create_user, 'GetUser': op_get_user, 'ListUsers': op_list_users,
    'CreateAccessKey': op_create_access_key, 'UpdateAccessKey': op_update_access_key,
    'DeleteAccessKey': op_delete_access_key, 'ListAccessKeys': op_list_access_keys,
    'GetAccessKeyLastUsed': op_get_access_key_last_used,
    'PutRolePolicy': op_put_role_policy, 'GetRolePolicy': op_get_role_policy,
    'DeleteRolePolicy': op_delete_role_policy, 'ListRolePolicies': op_list_role_policies,
    'GetRole': op_get_role, 'UpdateAssumeRolePolicy': op_update_assume_role_policy,
    'PutUserPolicy': op_put_user_policy, 'GetUserPolicy': op_get_user_policy,
    'DeleteUserPolicy': op_delete_user_policy,
    'CreateLoginProfile': op_create_login_profile, 'GetLoginProfile': op_get_login_profile,
    'DeleteLoginProfile': op_delete_login_profile,
}
def _session_params(emu, p):
    name = emu.req_param(p, 'RoleSessionName', 'roleSessionName', 2, 64)
    if not re.match(r'^[\w+=,.@-]*$', name):
        raise validation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy "
                         "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*" % name)
    dur = p.get('DurationSeconds') or '3600'
    if not dur.isdigit() or not 900 <= int(dur) <= 43200:
        raise validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy "
                         "constraint: Member must have value between 900 and 43200" % dur)
    return name, int(dur)


def op_assume_role(emu, req, pr, p):
    r = emu.role_by_arn(emu.req_param(p, 'RoleArn', 'roleArn', 20, 2048))
    name, dur = _session_params(emu, p)
    want = r.get('external_id')
    if want is not None and p.get('ExternalId') != want:
        raise AwsError(403, 'AccessDenied', 'User is not authorized to perform: sts:AssumeRole on resource: %s'
                       % emu.role_arn(r['name']))
    req.log['assumed_by'] = pr['user'] if pr['kind'] == 'user' else pr['session']['id']
    req.log['external_id'] = p.get('ExternalId')
    s = emu.issue_session(r['name'], name, 'assume-role', dur)
    return emu.credentials_xml(s) + '    <PackedPolicySize>6</PackedPolicySize>\n'


def op_assume_role_with_web_identity(emu, req, pr, p):
    r = emu.role_by_arn(emu.req_param(p, 'RoleArn', 'roleArn', 20, 2048))
    name, dur = _session_params(emu, p)
    tok = emu.req_param(p, 'WebIdentityToken', 'webIdentityToken', 4, 20000)
    claims = aws_trust.jwt_claims(tok)
    if claims is not None and claims.get('iss') == aws_trust.GITHUB_ISS:
        # a GitHub Actions token: judged by the role's trust policy
        if not aws_trust.github_claims_ok(claims):
            raise AwsError(400, 'ExpiredTokenException', 'Token expired: current date/time is after exp')
        verdict = aws_trust.web_identity_decision(r.get('trust') or aws_trust.DEFAULT_TRUST, claims, emu.account)
        req.log['web_identity_sub'] = claims.get('sub')
        req.log['trust_decision'] = verdict or 'implicit deny'
        if verdict != 'Allow':
            raise AwsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity')
        s = emu.issue_session(r['name'], name, 'web-identity', dur)
        return ('    <SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken>\n'
                '    <Audience>sts.amazonaws.com</Audience>\n    <Provider>%s</Provider>\n') % (
            x(claims.get('sub', '')), x('arn:aws:iam::%s:oidc-provider/%s' % (emu.account, aws_trust.GITHUB_HOST))) + \
            emu.credentials_xml(s)
    want = emu.web_identity_token
    if want is None or not hmac.compare_digest(tok.encode(), want.encode()):
        raise AwsError(400, 'InvalidIdentityToken', 'Couldn\'t retrieve verification key from your identity provider')
    s = emu.issue_session(r['name'], name, 'web-identity', dur)
    return ('    <SubjectFromWebIdentityToken>system:serviceaccount:ci:runner</SubjectFromWebIdentityToken>\n'
            '    <Audience>sts.amazonaws.com</Audience>\n    <Provider>emu</Provider>\n') + emu.credentials_xml(s)


STS_OPS = {'GetCallerIdentity': op_get_caller_identity, 'GetAccessKeyInfo': op_get_access_key_info,
           'AssumeRole': op_assume_role, 'AssumeRoleWithWebIdentity': op_assume_role_with_web_identity}

if __name__ == '__main__':
    ec.run(AwsEmulator)
