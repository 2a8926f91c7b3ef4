#!/usr/bin/python3
"""github.py - loopback emulator of the GitHub REST API pieces cordon uses:
POST /credentials/revoke (unauthenticated, batched), deploy keys, DELETE
/installation/token, GET /user; rate-limit headers on every response
(connectors.md section 4a).  Tokens never appear in the state or logs.
"""

import hmac
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_common as ec  # noqa: E402

DOCS = 'https://docs.github.com/rest'
UA_MSG = ('Request forbidden by administrative rules. Please make sure your request has a User-Agent header '
          '(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). '
          'Check https://developer.github.com for other possible causes.\n')


def kind_of(tok):
    for pre, kind in (('ghp_', 'pat'), ('github_pat_', 'pat'), ('gho_', 'oauth'), ('ghu_', 'user-to-server'),
                      ('ghr_', 'refresh'), ('ghs_', 'installation')):
        if tok.startswith(pre):
            return kind
    return 'unknown'


class GhError(Exception):
    def __init__(self, status, message, doc=DOCS, errors=None, headers=None):
        super().__init__(message)
        self.status, self.message, self.doc, self.errors, self.headers = status, message, doc, errors, headers or []


class GithubEmulator(ec.Emulator):
    name = 'github'

    def clear_state(self):
        self.tokens = []        # {id, token, user, kind, alive, installation}
        self.repos = {}         # "o/r" -> {"keys": {id: {...}}, "workflows": {id: ..}, "runners": {id: ..}}
        self.orgs = {}          # org -> {"runners": {id: ...}}
        self.revoke_calls = 0
        self.revoke_limit = 60
        self.revoked_unknown = 0
        self.used = 0
        self.next_key = 1000

    def apply_seed(self, seed):
        for t in seed.get('tokens') or []:
            self._tok(t, t.get('kind') or kind_of(t['token']))
        for t in seed.get('installation_tokens') or []:
            self._tok(t, 'installation')
        for full, repo in (seed.get('repos') or {}).items():
            r = self.repos.setdefault(full, {'keys': {}, 'workflows': {}, 'runners': {}})
            for w in repo.get('workflows') or []:
                r['workflows'][int(w['id'])] = {'id': int(w['id']), 'name': w.get('name', w['path']),
                                                'path': '.github/workflows/' + w['path'],
                                                'state': w.get('state', 'active')}
            for rn in repo.get('runners') or []:
                r['runners'][int(rn['id'])] = self._runner(rn)
            for k in repo.get('keys') or []:
                kid = int(k.get('id') or self.next_key)
                self.next_key = max(self.next_key, kid + 1)
                r['keys'][kid] = {'id': kid, 'key': k.get('key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmu%d' % kid),
                                  'title': k.get('title', 'deploy key %d' % kid), 'read_only': bool(k.get('read_only', True)),
                                  'verified': True, 'created_at': k.get('created_at', ec.utcnow_iso()),
                                  'added_by': k.get('added_by', 'octocat'), 'last_used': k.get('last_used'),
                                  'enabled': bool(k.get('enabled', True))}
        for org, o in (seed.get('orgs') or {}).items():
            d = self.orgs.setdefault(org, {'runners': {}})
            for rn in o.get('runners') or []:
                d['runners'][int(rn['id'])] = self._runner(rn)
        if 'revoke_limit' in seed:
            self.revoke_limit = int(seed['revoke_limit'])

    @staticmethod
    def _runner(rn):
        return {'id': int(rn['id']), 'name': rn.get('name', 'runner-%s' % rn['id']), 'os': rn.get('os', 'linux'),
                'status': rn.get('status', 'online'), 'busy': bool(rn.get('busy', False)),
                'labels': [{'id': i + 1, 'name': n, 'type': 'read-only'}
                           for i, n in enumerate(rn.get('labels', ['self-hosted', 'linux', 'x64']))]}

    def _tok(self, t, kind):
        tid = t.get('id') or 'token-%d' % (len(self.tokens) + 1)
        self.tokens = [o for o in self.tokens if o['id'] != tid]
        self.tokens.append({'id': tid, 'token': t['token'], 'user': t.get('user', 'octocat'), 'kind': kind,
                            'alive': True, 'installation': t.get('installation'),
                            'scopes': t.get('scopes', 'repo, admin:repo_hook')})

    def public_state(self):
        return {'tokens': {t['id']: {'user': t['user'], 'alive': t['alive'], 'kind': t['kind']} for t in self.tokens},
                'repos': {n: {'keys': [{'id': k['id'], 'title': k['title'], 'read_only': k['read_only']}
                                       for _, k in sorted(r['keys'].items())],
                              'workflows': {w['path'].rsplit('/', 1)[-1]: w['state'] for w in r['workflows'].values()},
                              'runners': sorted(r['runners'])} for n, r in self.repos.items()},
                'orgs': {n: {'runners': sorted(o['runners'])} for n, o in self.orgs.items()},
                'revoke_calls': self.revoke_calls, 'revoked_unknown': self.revoked_unknown}

    # ---- wire -------------------------------------------------------------------
    def rl_headers(self, authed, remaining=None, reset=None, resource='core'):
        limit = self.revoke_limit if resource == 'credentials_revoke' else 5000 if authed else 60
        if remaining is None:
            remaining = max(0, limit - self.used)
        return [('x-ratelimit-limit', str(limit)), ('x-ratelimit-remaining', str(remaining)),
                ('x-ratelimit-used', str(limit - remaining)),
                ('x-ratelimit-reset', str(int(reset or time.time() + 3600))), ('x-ratelimit-resource', resource),
                ('x-github-request-id', ec.new_uuid().upper()[:23]),
                ('x-github-media-type', 'github.v3; format=json'),
                ('x-github-api-version-selected', '2022-11-28')]

    def gh_json(self, status, obj, req, extra=None):
        authed = bool(req.header('Authorization'))
        return ec.json_response(status, obj, self.rl_headers(authed) + list(extra or []))

    def err(self, req, e):
        body = {'message': e.message, 'documentation_url': e.doc}
        if e.errors is not None:
            body['errors'] = e.errors
        body['status'] = str(e.status)
        req.log['error'] = e.message
        return self.gh_json(e.status, body, req, e.headers)

    def throttle_response(self, req, fault):
        reset_in = fault.spec.get('reset_in', fault.retry_after if fault.retry_after is not None else 1)
        reset = time.time() + float(reset_in)
        extra = []
        if fault.retry_after is not None:
            extra.append(('retry-after', str(int(fault.retry_after))))
            msg = ('You have exceeded a secondary rate limit. Please wait a few minutes before you try again. '
                   'If you reach out to GitHub Support for help, please include the request ID.')
            doc = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits'
        else:
            msg = 'API rate limit exceeded for user ID 1.'
            doc = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'
        st = fault.status or 403
        body = {'message': fault.message or msg, 'documentation_url': doc, 'status': str(st)}
        hdrs = self.rl_headers(bool(req.header('Authorization')), remaining=0, reset=reset) + extra
        return ec.json_response(st, body, hdrs)

    def error_response(self, req, fault):
        st = fault.status or 500
        return self.gh_json(st, {'message': fault.message or 'Server Error', 'documentation_url': DOCS,
                                 'status': str(st)}, req)

    def internal_error(self, req, exc):
        return self.gh_json(500, {'message': 'Server Error', 'documentation_url': DOCS, 'status': '500'}, req)

    def vanish(self, req, fault):
        m = re.match(r'^/repos/([^/]+/[^/]+)/keys/(\d+)$', req.path)
        if m and m.group(1) in self.repos:
            self.repos[m.group(1)]['keys'].pop(int(m.group(2)), None)
        elif req.path == '/installation/token':
            t = self.find_token(req)
            if t:
                t['alive'] = False
        return None

    def bearer(self, req):
        auth = req.header('Authorization') or ''
        parts = auth.split(None, 1)
        if len(parts) == 2 and parts[0].lower() in ('bearer', 'token'):
            return parts[1].strip()
        return None

    def find_token(self, req):
        given = self.bearer(req)
        if not given:
            return None
        for t in self.tokens:
            if hmac.compare_digest(given.encode(), t['token'].encode()):
                return t
        return None

    def authed(self, req):
        if not req.header('Authorization'):
            raise GhError(401, 'Requires authentication')
        t = self.find_token(req)
        if not t or not t['alive']:
            raise GhError(401, 'Bad credentials')
        req.log['token_id'] = t['id']
        return t

    def handle(self, req):
        if not req.header('User-Agent'):
            req.log['error'] = 'no User-Agent'
            return ec.Response(403, UA_MSG, 'text/plain; charset=utf-8')
        try:
            with self.lock:
                self.used += 1
                return self.route(req)
        except GhError as e:
            return self.err(req, e)

    def route(self, req):
        p, m = req.path.rstrip('/') or '/', req.method
        if p == '/credentials/revoke':
            if m != 'POST':
                raise GhError(404, 'Not Found')
            return self.revoke(req)
        if p == '/installation/token' and m == 'DELETE':
            t = self.authed(req)
            if t['kind'] != 'installation':
                raise GhError(403, 'Resource not accessible by personal access token')
            t['alive'] = False
            return ec.Response(204, b'', None, self.rl_headers(True))
        if p == '/user' and m == 'GET':
            t = self.authed(req)
            if t['kind'] == 'installation':
                raise GhError(403, 'Resource not accessible by integration')
            extra = [('x-oauth-scopes', t['scopes'])] if t['kind'] == 'pat' else []
            return self.gh_json(200, {'login': t['user'], 'id': abs(hash(t['user'])) % 10 ** 8, 'type': 'User'},
                                req, extra)
        mw = re.match(r'^/repos/([^/]+/[^/]+)/actions/workflows/([^/]+)(?:/(enable|disable))?$', p)
        if mw:
            return self.workflow(req, mw.group(1), mw.group(2), mw.group(3))
        mr = re.match(r'^/(repos|orgs)/([^/]+(?:/[^/]+)?)/actions/runners/([^/]+)$', p)
        if mr and (mr.group(1) == 'repos') == ('/' in mr.group(2)):
            return self.runner(req, mr.group(1), mr.group(2), mr.group(3))
        mk = re.match(r'^/repos/([^/]+/[^/]+)/keys(?:/([^/]+))?$', p)
        if mk:
            self.authed(req)
            repo = self.repos.get(mk.group(1))
            if repo is None:
                raise GhError(404, 'Not Found', 'https://docs.github.com/rest/deploy-keys/deploy-keys')
            kid = mk.group(2)
            if kid is None:
                if m != 'GET':
                    raise GhError(404, 'Not Found')
                base = 'https://api.github.com/repos/%s/keys/' % mk.group(1)
                return self.gh_json(200, [dict(k, url=base + str(k['id'])) for _, k in sorted(repo['keys'].items())], req)
            if not kid.isdigit() or int(kid) not in repo['keys']:
                raise GhError(404, 'Not Found', 'https://docs.github.com/rest/deploy-keys/deploy-keys#delete-a-deploy-key'
                              if m == 'DELETE' else 'https://docs.github.com/rest/deploy-keys/deploy-keys#get-a-deploy-key')
            req.log['target'] = '%s/keys/%s' % (mk.group(1), kid)
            if m == 'GET':
                k = repo['keys'][int(kid)]
                return self.gh_json(200, dict(k, url='https://api.github.com/repos/%s/keys/%s' % (mk.group(1), kid)), req)
            if m == 'DELETE':
                del repo['keys'][int(kid)]
                return ec.Response(204, b'', None, self.rl_headers(True))
        raise GhError(404, 'Not Found')

    def workflow(self, req, full, wid, op):
        self.authed(req)
        repo = self.repos.get(full)
        w = None
        for cand in (repo or {}).get('workflows', {}).values():
            if str(cand['id']) == wid or cand['path'].rsplit('/', 1)[-1] == wid:
                w = cand
        if w is None:
            raise GhError(404, 'Not Found', 'https://docs.github.com/rest/actions/workflows#get-a-workflow')
        req.log['target'] = '%s/%s' % (full, wid)
        if op is None and req.method == 'GET':
            return self.gh_json(200, dict(w, node_id='W_%d' % w['id'],
                                          url='https://api.github.com/repos/%s/actions/workflows/%d' % (full, w['id'])),
                                req)
        if op is not None and req.method == 'PUT':
            w['state'] = 'disabled_manually' if op == 'disable' else 'active'
            return ec.Response(204, b'', None, self.rl_headers(True))
        raise GhError(404, 'Not Found')

    def runner(self, req, kind, scope, rid):
        self.authed(req)
        owner = (self.repos if kind == 'repos' else self.orgs).get(scope)
        if owner is None or not rid.isdigit() or int(rid) not in owner['runners']:
            raise GhError(404, 'Not Found', 'https://docs.github.com/rest/actions/self-hosted-runners')
        req.log['target'] = '%s/%s' % (scope, rid)
        if req.method == 'GET':
            return self.gh_json(200, owner['runners'][int(rid)], req)
        if req.method == 'DELETE':
            del owner['runners'][int(rid)]
            return ec.Response(204, b'', None, self.rl_headers(True))
        raise GhError(404, 'Not Found')

    def revoke(self, req):
        doc = 'https://docs.github.com/rest/credentials/revoke#revoke-a-list-of-credentials'
        if req.header('Authorization'):
            raise GhError(403, 'Forbidden', doc)
        if self.revoke_calls >= self.revoke_limit:
            req.log['error'] = 'revoke rate limit'
            return ec.json_response(403, {'message': 'API rate limit exceeded for 127.0.0.1.',
                                          'documentation_url': doc, 'status': '403'},
                                    self.rl_headers(False, remaining=0, reset=time.time() + 3600,
                                                    resource='credentials_revoke'))
        self.revoke_calls += 1
        try:
            body = req.json()
        except ValueError:
            raise GhError(400, 'Problems parsing JSON', doc)
        creds = body.get('credentials') if isinstance(body, dict) else None
        if not isinstance(creds, list) or not 1 <= len(creds) <= 1000 or \
                not all(isinstance(c, str) and c for c in creds):
            raise GhError(422, 'Invalid request.\n\nFor \'properties/credentials\', the value is not a list of '
                          '1 to 1000 non-empty strings.', doc,
                          errors=[{'resource': 'Credentials', 'field': 'credentials', 'code': 'invalid'}])
        n = 0
        for c in creds:
            hit = False
            for t in self.tokens:
                if hmac.compare_digest(c.encode(), t['token'].encode()):
                    hit = True
                    if t['alive']:
                        t['alive'] = False
                        n += 1
            if not hit:
                self.revoked_unknown += 1
        req.log['credentials'] = len(creds)
        req.log['revoked'] = n
        left = max(0, self.revoke_limit - self.revoke_calls)
        return ec.json_response(202, {}, self.rl_headers(False, remaining=left, resource='credentials_revoke'))


if __name__ == '__main__':
    ec.run(GithubEmulator)
