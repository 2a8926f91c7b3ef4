#!/usr/bin/python3
"""vault.py - loopback emulator of HashiCorp Vault: token store (accessors,
token families), leases, KV v2 at secret/ (connectors.md section 5), and PKI
mounts (a real CA made with python3-cryptography: certificates by serial,
revoke, the signed DER CRL, ca/pem; unauthenticated ca and crl reads as in
Vault).
Token ids and KV data never appear in the state, the request log or stderr.
"""

import datetime
import hmac
import os
import secrets
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_common as ec  # noqa: E402

KV = 'secret'


class VaultError(Exception):
    def __init__(self, status, *errors):
        super().__init__(status)
        self.status = status
        self.errors = list(errors)


def denied():
    return VaultError(403, 'permission denied')


def iso(ts):
    return ec.utcnow_iso(ts, millis=False) if ts else None


def iso_ns(ts):
    # Vault prints RFC 3339 with nanoseconds
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ts)) + '.%09dZ' % int((ts % 1) * 1e9)


class VaultEmulator(ec.Emulator):
    name = 'vault'

    def clear_state(self):
        self.tokens = {}    # accessor -> token record
        self.by_id = {}     # token id -> accessor
        self.leases = {}    # lease id -> {id, token (accessor), issue, ttl, alive}
        self.kv = {}        # path -> {versions: {n: {...}}, current, created, updated}
        self.pki = {}       # mount -> {key, ca, certs: {serial int: {cn, pem, revoked}}}

    def add_token(self, t, parent=None):
        acc = t.get('accessor') or secrets.token_urlsafe(18)
        tid = t.get('id') or 'hvs.' + secrets.token_urlsafe(24)
        now = time.time()
        rec = {'accessor': acc, 'id': tid, 'parent': t.get('parent', parent), 'orphan': bool(t.get('orphan')),
               'policies': list(t.get('policies') or ['default']), 'display_name': t.get('display_name', 'token'),
               'ttl': int(t.get('ttl', 0)), 'created': now, 'alive': True, 'meta': t.get('meta'),
               'renewable': bool(t.get('ttl', 0)), 'num_uses': int(t.get('num_uses', 0)),
               'path': t.get('path', 'auth/token/create'), 'entity_id': t.get('entity_id', ''),
               # Vault Enterprise namespaces: a token is valid only in its own
               # namespace (X-Vault-Namespace); '' is the root namespace
               'namespace': (t.get('namespace') or '').strip('/')}
        if rec['orphan']:
            rec['parent_link'] = None
        old = self.tokens.get(acc)
        if old:
            self.by_id.pop(old['id'], None)
        self.tokens[acc] = rec
        self.by_id[tid] = acc
        return rec

    def apply_seed(self, seed):
        for t in seed.get('tokens') or []:
            self.add_token(t)
        for lease in seed.get('leases') or []:
            if isinstance(lease, str):
                lease = {'id': lease}
            self.leases[lease['id']] = {'id': lease['id'], 'token': lease.get('token'), 'issue': time.time(),
                                        'ttl': int(lease.get('ttl', 3600)), 'alive': True,
                                        'renewable': bool(lease.get('renewable', True))}
        for mount, spec in (seed.get('pki') or {}).items():
            self.pki_seed(mount.strip('/'), spec or {})
        for path, entry in (seed.get('kv') or {}).items():
            path = path.strip('/')
            self.kv.pop(path, None)
            for v in entry.get('versions') or []:
                self.kv_write(path, v.get('data') or {})
                if v.get('destroyed'):
                    self.kv[path]['versions'][self.kv[path]['current']].update(destroyed=True, data=None)
                elif v.get('deleted'):
                    self.kv[path]['versions'][self.kv[path]['current']]['deletion'] = time.time()

    def token_live(self, rec):
        if not rec or not rec['alive']:
            return False
        if rec['ttl'] and time.time() > rec['created'] + rec['ttl']:
            return False
        return True

    def public_state(self):
        return {
            'tokens': {a: {'alive': self.token_live(t), 'parent': t['parent'], 'orphan': t['orphan'],
                           'policies': t['policies'], 'display_name': t['display_name']}
                       for a, t in self.tokens.items()},
            'leases': {i: {'alive': lease['alive'], 'token': lease['token']} for i, lease in self.leases.items()},
            'kv': {p: {'current_version': e['current'],
                       'versions': {str(n): {'created_time': iso_ns(v['created']),
                                             'deletion_time': iso_ns(v['deletion']) if v['deletion'] else '',
                                             'destroyed': v['destroyed']} for n, v in e['versions'].items()}}
                   for p, e in self.kv.items()},
            'pki': {m: {pki_serial(n): {'cn': c['cn'], 'revoked': c['revoked'] is not None}
                        for n, c in e['certs'].items()} for m, e in self.pki.items()},
        }

    # ---- PKI ----------------------------------------------------------------------
    def pki_seed(self, mount, spec):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec as pk
        from cryptography.x509.oid import NameOID
        e = self.pki.get(mount)
        now = datetime.datetime.now(datetime.timezone.utc)
        if e is None:
            key = pk.generate_private_key(pk.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec.get('ca_cn', 'emu %s CA' % mount))])
            ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                  .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                  .not_valid_after(now + datetime.timedelta(days=365))
                  .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                  .sign(key, hashes.SHA256()))
            e = self.pki[mount] = {'key': key, 'ca': ca, 'certs': {}}
        for c in spec.get('certs') or []:
            leaf = pk.generate_private_key(pk.SECP256R1())
            serial = int(c['serial']) if c.get('serial') else x509.random_serial_number()
            cert = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, c['cn'])]))
                    .issuer_name(e['ca'].subject).public_key(leaf.public_key()).serial_number(serial)
                    .not_valid_before(now - datetime.timedelta(hours=1))
                    .not_valid_after(now + datetime.timedelta(days=30)).sign(e['key'], hashes.SHA256()))
            e['certs'][serial] = {'cn': c['cn'], 'pem': cert.public_bytes(ser_pem()).decode(),
                                  'revoked': time.time() if c.get('revoked') else None}

    def pki_crl(self, e):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        now = datetime.datetime.now(datetime.timezone.utc)
        b = (x509.CertificateRevocationListBuilder().issuer_name(e['ca'].subject).last_update(now)
             .next_update(now + datetime.timedelta(hours=72)))
        for n, c in sorted(e['certs'].items()):
            if c['revoked'] is not None:
                b = b.add_revoked_certificate(
                    x509.RevokedCertificateBuilder().serial_number(n)
                    .revocation_date(datetime.datetime.fromtimestamp(int(c['revoked']), datetime.timezone.utc)).build())
        return b.sign(e['key'], hashes.SHA256())

    def pki_open(self, req, mount, op, m):
        """ca/pem and crl need no token (as in Vault); the rest do."""
        from cryptography.hazmat.primitives.serialization import Encoding
        e = self.pki[mount]
        if op in ('ca/pem', 'cert/ca') and m == 'GET':
            return ec.Response(200, e['ca'].public_bytes(Encoding.PEM), 'application/pem-certificate-chain')
        if op == 'crl' and m == 'GET':
            return ec.Response(200, self.pki_crl(e).public_bytes(Encoding.DER), 'application/pkix-crl')
        if op == 'crl/pem' and m == 'GET':
            return ec.Response(200, self.pki_crl(e).public_bytes(Encoding.PEM), 'application/x-pem-file')
        return None

    def pki_api(self, req, mount, op, m):
        e = self.pki[mount]
        if op.startswith('cert/') and m == 'GET':
            n = parse_serial(op[len('cert/'):])
            c = e['certs'].get(n) if n is not None else None
            if c is None:
                raise VaultError(404)
            rt = int(c['revoked']) if c['revoked'] else 0
            return self.wrap({'certificate': c['pem'], 'revocation_time': rt,
                              'revocation_time_rfc3339': iso(c['revoked']) if c['revoked'] else ''})
        if op == 'revoke' and m == 'POST':
            raw = self.body(req).get('serial_number')
            if not raw:
                raise VaultError(400, 'the serial number must be provided')
            n = parse_serial(raw)
            req.log['target'] = '%s/%s' % (mount, raw)
            c = e['certs'].get(n) if n is not None else None
            if c is None:
                raise VaultError(400, 'certificate with serial %s not found.' % raw)
            if c['revoked'] is None:
                c['revoked'] = time.time()
            return self.wrap({'revocation_time': int(c['revoked']), 'revocation_time_rfc3339': iso(c['revoked']),
                              'state': 'revoked'})
        raise VaultError(405, 'unsupported operation')

    # ---- token families ---------------------------------------------------------
    def revoke(self, acc, orphan_children=False):
        rec = self.tokens.get(acc)
        if not rec:
            return
        rec['alive'] = False
        for lease in self.leases.values():
            if lease['token'] == acc:
                lease['alive'] = False
        for child in list(self.tokens.values()):
            if child['parent'] == acc and child['alive']:
                if orphan_children or child['orphan']:
                    child['parent'] = None
                    child['orphan'] = True
                else:
                    self.revoke(child['accessor'])

    # ---- wire -------------------------------------------------------------------
    def wrap(self, data=None, auth=None, status=200, warnings=None):
        return ec.json_response(status, {'request_id': ec.new_uuid(), 'lease_id': '', 'renewable': False,
                                          'lease_duration': 0, 'data': data, 'wrap_info': None,
                                          'warnings': warnings, 'auth': auth})

    def no_content(self):
        return ec.Response(204, b'', None)

    def err(self, req, e):
        req.log['error'] = '; '.join(e.errors) if e.errors else 'empty'
        return ec.json_response(e.status, {'errors': e.errors})

    def throttle_response(self, req, fault):
        rel = req.path[len('/v1/'):] if req.path.startswith('/v1/') else req.path
        r = ec.json_response(fault.status or 429, {'errors': [
            fault.message or 'request path "%s": rate limit quota exceeded' % rel]})
        if fault.retry_after is not None:
            ra = int(fault.retry_after)
            r.add('Retry-After', ra).add('X-Ratelimit-Limit', 10).add('X-Ratelimit-Remaining', 0)
            r.add('X-Ratelimit-Reset', ra)
        return r

    def error_response(self, req, fault):
        st = fault.status or 500
        msg = fault.message or ('Vault is sealed' if st == 503 else 'internal error')
        return ec.json_response(st, {'errors': [msg]})

    def internal_error(self, req, exc):
        return ec.json_response(500, {'errors': ['1 error occurred:\n\t* emulator failure: %s\n\n'
                                                 % type(exc).__name__]})

    def body(self, req):
        try:
            b = req.json()
        except ValueError:
            raise VaultError(400, 'failed to parse JSON input: invalid character')
        if b is None:
            return {}
        if not isinstance(b, dict):
            raise VaultError(400, 'failed to parse JSON input: not an object')
        return b

    def vanish(self, req, fault):
        try:
            b = self.body(req)
        except VaultError:
            b = {}
        rel = req.path[len('/v1/'):]
        if b.get('accessor') in self.tokens:
            self.revoke(b['accessor'])
        elif b.get('token') in self.by_id:
            self.revoke(self.by_id[b['token']])
        elif b.get('lease_id') in self.leases:
            self.leases[b['lease_id']]['alive'] = False
        elif rel.startswith('sys/leases/'):
            prefix = rel.split('/', 3)[3] if rel.count('/') >= 3 else ''
            for lease in self.leases.values():
                if lease['id'].startswith(prefix):
                    lease['alive'] = False
        else:
            for sub in ('data/', 'metadata/', 'destroy/', 'delete/', 'undelete/'):
                if rel.startswith(KV + '/' + sub):
                    self.kv.pop(rel[len(KV) + 1 + len(sub):].strip('/'), None)
        return None

    def caller(self, req):
        tok = req.header('X-Vault-Token')
        if not tok:
            auth = req.header('Authorization') or ''
            if auth.lower().startswith('bearer '):
                tok = auth[7:].strip()
        if not tok:
            raise denied()
        for tid, acc in self.by_id.items():
            if hmac.compare_digest(tid.encode(), tok.encode()):
                rec = self.tokens[acc]
                if not self.token_live(rec):
                    raise denied()
                # a namespaced token used without its namespace header (or
                # in another namespace) is unknown there: permission denied
                ns = (req.header('X-Vault-Namespace') or '').strip('/')
                req.log['namespace'] = ns
                if rec.get('namespace', '') != ns:
                    raise denied()
                req.log['accessor'] = acc
                return rec
        raise denied()

    def handle(self, req):
        try:
            with self.lock:
                return self.route(req)
        except VaultError as e:
            return self.err(req, e)

    def route(self, req):
        p = req.path
        if not p.startswith('/v1/'):
            raise VaultError(404)
        rel = p[len('/v1/'):]
        m = req.method
        if m == 'PUT':
            m = 'POST'
        if m == 'GET' and req.q('list') == 'true':
            m = 'LIST'
        mount = rel.split('/', 1)[0]
        if mount in self.pki:
            r = self.pki_open(req, mount, rel[len(mount) + 1:], m)
            if r is not None:
                return r
        if rel == 'sys/health':
            return ec.json_response(200, {'initialized': True, 'sealed': False, 'standby': False,
                                          'version': '1.15.0-cordon-emu', 'cluster_name': 'emu'})
        me = self.caller(req)
        deny = 'deny' in me['policies']
        root = 'root' in me['policies'] or 'sudo' in me['policies']
        if rel == 'auth/token/lookup-self' and m == 'GET':
            return self.wrap(self.token_data(me, with_id=True))
        if deny:
            raise denied()
        if rel.startswith('auth/token/'):
            return self.token_api(req, rel[len('auth/token/'):], m, me, root)
        if rel.startswith('sys/leases/'):
            return self.lease_api(req, rel[len('sys/leases/'):], m, root)
        if rel.startswith(KV + '/'):
            return self.kv_api(req, rel[len(KV) + 1:], m)
        if mount in self.pki:
            return self.pki_api(req, mount, rel[len(mount) + 1:], m)
        raise VaultError(404, 'no handler for route "%s". route entry not found.' % rel)

    # ---- auth/token ----------------------------------------------------------------
    def token_data(self, t, with_id=False):
        exp = t['created'] + t['ttl'] if t['ttl'] else None
        return {'accessor': t['accessor'], 'creation_time': int(t['created']), 'creation_ttl': t['ttl'],
                'display_name': t['display_name'], 'entity_id': t['entity_id'], 'expire_time': iso_ns(exp) if exp else None,
                'explicit_max_ttl': 0, 'id': t['id'] if with_id else '', 'identity_policies': None,
                'issue_time': iso_ns(t['created']), 'meta': t['meta'], 'num_uses': t['num_uses'],
                'orphan': t['orphan'] or t['parent'] is None, 'path': t['path'], 'policies': t['policies'],
                'renewable': t['renewable'], 'ttl': max(0, int(exp - time.time())) if exp else 0, 'type': 'service'}

    def token_api(self, req, op, m, me, root):
        if m != 'POST' and op not in ('accessors',):
            raise VaultError(405, 'unsupported operation')
        if op in ('lookup-accessor', 'revoke-accessor'):
            acc = self.body(req).get('accessor')
            if not acc:
                raise VaultError(400, 'missing accessor')
            req.log['target'] = acc
            rec = self.tokens.get(acc)
            if not self.token_live(rec):
                raise VaultError(400, 'invalid accessor')
            if op == 'lookup-accessor':
                return self.wrap(self.token_data(rec))
            self.revoke(acc)
            return self.no_content()
        if op in ('lookup', 'revoke', 'revoke-orphan'):
            tok = self.body(req).get('token')
            if not tok:
                raise VaultError(400, 'missing token')
            acc = self.by_id.get(tok)
            rec = self.tokens.get(acc)
            if op == 'lookup':
                if not self.token_live(rec):
                    raise VaultError(403, 'bad token')
                return self.wrap(self.token_data(rec, with_id=True))
            if op == 'revoke-orphan' and not root:
                raise denied()
            if rec:
                req.log['target'] = acc
                self.revoke(acc, orphan_children=(op == 'revoke-orphan'))
            return self.no_content()
        if op == 'revoke-self':
            self.revoke(me['accessor'])
            return self.no_content()
        if op in ('create', 'create-orphan'):
            b = self.body(req)
            rec = self.add_token({'policies': b.get('policies') or me['policies'],
                                  'display_name': 'token-' + (b.get('display_name') or ''),
                                  'ttl': _dur(b.get('ttl', 0)), 'meta': b.get('meta'),
                                  'orphan': op == 'create-orphan' or bool(b.get('no_parent'))},
                                 parent=me['accessor'])
            if rec['orphan']:
                rec['parent'] = None
            req.log['target'] = rec['accessor']
            return self.wrap(None, auth={'client_token': rec['id'], 'accessor': rec['accessor'],
                                         'policies': rec['policies'], 'token_policies': rec['policies'],
                                         'metadata': rec['meta'], 'lease_duration': rec['ttl'],
                                         'renewable': rec['renewable'], 'entity_id': '', 'token_type': 'service',
                                         'orphan': rec['orphan'], 'num_uses': 0})
        raise VaultError(404, 'no handler for route "auth/token/%s". route entry not found.' % op)

    # ---- sys/leases -------------------------------------------------------------------
    def lease_api(self, req, op, m, root):
        if op.startswith('lookup') and m == 'LIST':
            prefix = op[len('lookup'):].strip('/')
            keys = set()
            for lid, lease in self.leases.items():
                if lease['alive'] and lid.startswith(prefix + '/' if prefix else ''):
                    rest = lid[len(prefix) + 1 if prefix else 0:]
                    keys.add(rest.split('/', 1)[0] + ('/' if '/' in rest else ''))
            if not keys:
                raise VaultError(404)
            return self.wrap({'keys': sorted(keys)})
        if m != 'POST':
            raise VaultError(405, 'unsupported operation')
        if op == 'lookup':
            lid = self.body(req).get('lease_id')
            lease = self.leases.get(lid)
            if not lid:
                raise VaultError(400, 'missing lease id')
            if not lease or not lease['alive']:
                raise VaultError(400, 'invalid lease')
            exp = lease['issue'] + lease['ttl']
            return self.wrap({'id': lid, 'issue_time': iso_ns(lease['issue']), 'expire_time': iso_ns(exp),
                              'last_renewal_time': None, 'renewable': lease['renewable'],
                              'ttl': max(0, int(exp - time.time()))})
        if op == 'revoke' or op.startswith('revoke/'):
            lid = op[len('revoke/'):] if op.startswith('revoke/') else self.body(req).get('lease_id')
            if not lid:
                raise VaultError(400, 'lease_id is required')
            req.log['target'] = lid
            if lid in self.leases:
                self.leases[lid]['alive'] = False
            return self.no_content()
        for kind in ('revoke-prefix/', 'revoke-force/'):
            if op.startswith(kind):
                if not root:
                    raise denied()
                prefix = op[len(kind):]
                req.log['target'] = prefix
                n = 0
                for lease in self.leases.values():
                    if lease['id'].startswith(prefix) and lease['alive']:
                        lease['alive'] = False
                        n += 1
                req.log['revoked'] = n
                return self.no_content()
        raise VaultError(404, 'no handler for route "sys/leases/%s". route entry not found.' % op)

    # ---- KV v2 -------------------------------------------------------------------------
    def kv_write(self, path, data):
        now = time.time()
        e = self.kv.setdefault(path, {'versions': {}, 'current': 0, 'created': now, 'updated': now})
        e['current'] += 1
        e['updated'] = now
        e['versions'][e['current']] = {'data': data, 'created': now, 'deletion': None, 'destroyed': False}
        return e

    def vmeta(self, n, v):
        return {'created_time': iso_ns(v['created']), 'custom_metadata': None,
                'deletion_time': iso_ns(v['deletion']) if v['deletion'] else '', 'destroyed': v['destroyed'],
                'version': n}

    def versions_arg(self, req):
        vs = self.body(req).get('versions')
        if not vs:
            raise VaultError(400, 'no version number provided')
        try:
            return [int(v) for v in (vs if isinstance(vs, list) else str(vs).split(','))]
        except ValueError:
            raise VaultError(400, 'invalid version')

    def kv_api(self, req, rel, m):
        sub, _, path = rel.partition('/')
        path = path.strip('/')
        req.log['target'] = '%s/%s' % (KV, path)
        e = self.kv.get(path)
        if sub == 'data':
            if m == 'GET':
                if not e:
                    raise VaultError(404)
                n = int(req.q('version') or 0) or e['current']
                v = e['versions'].get(n)
                if not v:
                    raise VaultError(404)
                if v['destroyed'] or v['deletion']:
                    return ec.json_response(404, {'request_id': ec.new_uuid(), 'lease_id': '', 'renewable': False,
                                                  'lease_duration': 0,
                                                  'data': {'data': None, 'metadata': self.vmeta(n, v)},
                                                  'wrap_info': None, 'warnings': None, 'auth': None})
                return self.wrap({'data': v['data'], 'metadata': self.vmeta(n, v)})
            if m == 'POST':
                b = self.body(req)
                if not isinstance(b.get('data'), dict):
                    raise VaultError(400, 'no data provided')
                cas = (b.get('options') or {}).get('cas')
                if cas is not None and int(cas) != (e['current'] if e else 0):
                    raise VaultError(400, 'check-and-set parameter did not match the current version')
                e = self.kv_write(path, b['data'])
                return self.wrap(self.vmeta(e['current'], e['versions'][e['current']]))
            if m == 'DELETE':
                if e and e['current'] in e['versions'] and not e['versions'][e['current']]['deletion']:
                    e['versions'][e['current']]['deletion'] = time.time()
                return self.no_content()
        elif sub in ('destroy', 'delete', 'undelete') and m == 'POST':
            vs = self.versions_arg(req)
            for n in vs:
                v = e['versions'].get(n) if e else None
                if not v:
                    continue
                if sub == 'destroy':
                    v['destroyed'] = True
                    v['data'] = None
                elif sub == 'delete':
                    v['deletion'] = v['deletion'] or time.time()
                elif not v['destroyed']:
                    v['deletion'] = None
            return self.no_content()
        elif sub == 'metadata':
            if m == 'LIST':
                prefix = path + '/' if path else ''
                keys = sorted({p[len(prefix):].split('/', 1)[0] + ('/' if '/' in p[len(prefix):] else '')
                               for p in self.kv if p.startswith(prefix)})
                if not keys:
                    raise VaultError(404)
                return self.wrap({'keys': keys})
            if m == 'GET':
                if not e:
                    raise VaultError(404)
                return self.wrap({'cas_required': False, 'created_time': iso_ns(e['created']),
                                  'current_version': e['current'], 'custom_metadata': None,
                                  'delete_version_after': '0s', 'max_versions': 0,
                                  'oldest_version': min(e['versions']) if e['versions'] else 0,
                                  'updated_time': iso_ns(e['updated']),
                                  'versions': {str(n): {k: v2 for k, v2 in self.vmeta(n, v).items()
                                                        if k not in ('version', 'custom_metadata')}
                                               for n, v in e['versions'].items()}})
            if m == 'DELETE':
                self.kv.pop(path, None)
                return self.no_content()
        raise VaultError(405, 'unsupported operation')


def ser_pem():
    from cryptography.hazmat.primitives.serialization import Encoding
    return Encoding.PEM


def pki_serial(n):
    h = '%x' % n
    h = ('0' if len(h) % 2 else '') + h
    return ':'.join(h[i:i + 2] for i in range(0, len(h), 2))


def parse_serial(s):
    """Vault takes colon- or hyphen-separated hex."""
    try:
        return int(s.replace(':', '').replace('-', ''), 16)
    except ValueError:
        return None


def _dur(v):
    if isinstance(v, (int, float)):
        return int(v)
    s = str(v)
    mult = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}
    if s and s[-1] in mult:
        return int(float(s[:-1]) * mult[s[-1]])
    return int(s or 0)


if __name__ == '__main__':
    ec.run(VaultEmulator)
