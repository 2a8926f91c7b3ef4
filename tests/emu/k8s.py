#!/usr/bin/python3
"""k8s.py - loopback emulator of the Kubernetes API server (core/v1 subset).

TLS with a self-signed CA (always), bearer-token or client-certificate auth,
pods / secrets / serviceaccounts / nodes, networking.k8s.io/v1 NetworkPolicies,
apps/v1 Deployments / StatefulSets / ReplicaSets with their scale subresource,
TokenReview, and Status error bodies as the API server returns them
(connectors.md section 6).  The state says, by NetworkPolicy semantics computed
here, which pods are isolated (selected by a policy of both types with no
rules).  See README.md.
"""

import copy
import hmac
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_common as ec  # noqa: E402

KINDS = {'pods': 'Pod', 'secrets': 'Secret', 'serviceaccounts': 'ServiceAccount', 'nodes': 'Node',
         'networkpolicies': 'NetworkPolicy', 'deployments': 'Deployment', 'statefulsets': 'StatefulSet',
         'replicasets': 'ReplicaSet', 'certificates': 'Certificate'}
NAMESPACED = ('pods', 'secrets', 'serviceaccounts', 'networkpolicies', 'deployments', 'statefulsets',
              'replicasets', 'certificates')
GROUP = {'networkpolicies': 'networking.k8s.io/v1', 'deployments': 'apps/v1', 'statefulsets': 'apps/v1',
         'replicasets': 'apps/v1', 'certificates': 'cert-manager.io/v1'}
VERBS = {'pods': ('get', 'list', 'delete', 'patch'), 'secrets': ('get', 'list', 'delete'),
         'serviceaccounts': ('get', 'list', 'delete', 'create'), 'nodes': ('get', 'list', 'patch'),
         'networkpolicies': ('get', 'list', 'create', 'delete', 'patch'),
         'deployments': ('get', 'list', 'patch'), 'statefulsets': ('get', 'list', 'patch'),
         'replicasets': ('get', 'list', 'patch'), 'certificates': ('get', 'list', 'patch')}


def api_version(r):
    return GROUP.get(r, 'v1')


def selects(selector, labels):
    """A LabelSelector's matchLabels / matchExpressions against labels."""
    selector = selector or {}
    for k, v in (selector.get('matchLabels') or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get('matchExpressions') or []:
        op, vals, have = e.get('operator'), e.get('values') or [], e.get('key') in labels
        v = labels.get(e.get('key'))
        if (op == 'In' and v not in vals) or (op == 'NotIn' and have and v in vals) or \
                (op == 'Exists' and not have) or (op == 'DoesNotExist' and have):
            return False
    return True
SA_TOKEN_TYPE = 'kubernetes.io/service-account-token'
SA_NAME_ANN = 'kubernetes.io/service-account.name'
SA_UID_ANN = 'kubernetes.io/service-account.uid'


def status(code, reason, message, details=None, extra_headers=None):
    body = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure',
            'message': message, 'reason': reason}
    if details is not None:
        body['details'] = details
    body['code'] = code
    return ec.json_response(code, body, extra_headers)


def not_found(resource, name):
    return status(404, 'NotFound', '%s "%s" not found' % (resource, name), {'name': name, 'kind': resource})


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = [p.replace('~1', '/').replace('~0', '~') for p in op['path'].split('/')[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent.setdefault(p, {})
        last = parts[-1]
        kind = op['op']
        if kind in ('add', 'replace'):
            if isinstance(parent, list):
                parent.insert(len(parent) if last == '-' else int(last), op['value'])
            else:
                if kind == 'replace' and last not in parent:
                    raise KeyError(op['path'])
                parent[last] = op['value']
        elif kind == 'remove':
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                del parent[last]
        elif kind == 'test':
            if parent.get(last) != op.get('value'):
                raise ValueError('test failed')
        else:
            raise ValueError('unsupported op %s' % kind)
    return doc


class K8sEmulator(ec.Emulator):
    name = 'k8s'
    default_tls = True

    def clear_state(self):
        self.objs = {r: {} for r in KINDS}   # resource -> {(ns, name): obj}
        self.tokens = []                     # {id, token, user, groups, sa, sa_uid, bound, bound_uid, readonly}
        self.rv = 1000

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def mk(self, resource, ns, name, partial):
        obj = copy.deepcopy(partial or {})
        md = obj.setdefault('metadata', {})
        md['name'] = name
        if resource in NAMESPACED:
            md['namespace'] = ns
        md.setdefault('uid', ec.new_uuid())
        md['resourceVersion'] = self.next_rv()
        md.setdefault('creationTimestamp', ec.utcnow_iso())
        out = {'kind': KINDS[resource], 'apiVersion': api_version(resource), 'metadata': md}
        for k, v in obj.items():
            if k not in ('kind', 'apiVersion', 'metadata'):
                out[k] = v
        if resource == 'pods':
            out.setdefault('spec', {}).setdefault('serviceAccountName', 'default')
            out['spec'].setdefault('containers', [{'name': 'main', 'image': 'busybox'}])
            out.setdefault('status', {'phase': 'Running'})
        elif resource == 'secrets':
            out.setdefault('type', 'Opaque')
            out.setdefault('data', {})
        elif resource == 'nodes':
            out.setdefault('spec', {})
            out.setdefault('status', {'conditions': [{'type': 'Ready', 'status': 'True'}]})
        elif resource in ('deployments', 'statefulsets', 'replicasets'):
            out.setdefault('spec', {}).setdefault('replicas', 1)
            out['spec'].setdefault('selector', {'matchLabels': {'app': name}})
        elif resource == 'certificates':
            out.setdefault('spec', {}).setdefault('secretName', name)
            st = out.setdefault('status', {})
            st.setdefault('revision', 1)
            st.setdefault('conditions', [{'type': 'Ready', 'status': 'True', 'reason': 'Ready',
                                          'message': 'Certificate is up to date and has not expired',
                                          'lastTransitionTime': ec.utcnow_iso()}])
            out['_key'] = 1   # which private key the current certificate certifies
        return out

    def link_secret(self, obj):
        if obj.get('type') == SA_TOKEN_TYPE:
            ann = obj['metadata'].setdefault('annotations', {})
            sa = self.objs['serviceaccounts'].get((obj['metadata']['namespace'], ann.get(SA_NAME_ANN)))
            if sa and SA_UID_ANN not in ann:
                ann[SA_UID_ANN] = sa['metadata']['uid']

    def apply_seed(self, seed):
        for ns, res in (seed.get('namespaces') or {}).items():
            for r in ('serviceaccounts', 'secrets', 'pods', 'networkpolicies', 'deployments', 'statefulsets',
                      'replicasets', 'certificates'):
                for name, partial in (res.get(r) or {}).items():
                    obj = self.mk(r, ns, name, partial)
                    if r == 'secrets':
                        self.link_secret(obj)
                    self.objs[r][(ns, name)] = obj
        for name, partial in (seed.get('nodes') or {}).items():
            self.objs['nodes'][(None, name)] = self.mk('nodes', None, name, partial)
        for i, t in enumerate(seed.get('tokens') or []):
            tok = {'id': t.get('id') or 'token-%d' % (len(self.tokens) + 1), 'token': t['token'],
                   'user': t.get('user'), 'groups': t.get('groups', ['system:authenticated']),
                   'sa': t.get('sa'), 'sa_uid': None, 'bound': t.get('bound'), 'bound_uid': None,
                   'readonly': bool(t.get('readonly')), 'only_ns': t.get('namespaces')}
            if tok['sa']:
                ns, sa = tok['sa'].split('/', 1)
                tok['user'] = 'system:serviceaccount:%s:%s' % (ns, sa)
                tok['groups'] = ['system:serviceaccounts', 'system:serviceaccounts:' + ns, 'system:authenticated']
                o = self.objs['serviceaccounts'].get((ns, sa))
                tok['sa_uid'] = o['metadata']['uid'] if o else None
                if tok['bound']:
                    res = {'Pod': 'pods', 'Secret': 'secrets'}[tok['bound']['kind']]
                    bo = self.objs[res].get((ns, tok['bound']['name']))
                    tok['bound_uid'] = bo['metadata']['uid'] if bo else None
            self.tokens = [o for o in self.tokens if o['id'] != tok['id']]
            self.tokens.append(tok)

    def token_alive(self, t):
        if not t['sa']:
            return True
        ns, sa = t['sa'].split('/', 1)
        o = self.objs['serviceaccounts'].get((ns, sa))
        if not o or (t['sa_uid'] and o['metadata']['uid'] != t['sa_uid']):
            return False
        if t['bound']:
            res = {'Pod': 'pods', 'Secret': 'secrets'}[t['bound']['kind']]
            bo = self.objs[res].get((ns, t['bound']['name']))
            if not bo or (t['bound_uid'] and bo['metadata']['uid'] != t['bound_uid']):
                return False
        return True

    def isolated(self, ns, pod):
        """NetworkPolicy semantics: a pod is isolated in a direction once a
        policy of that type selects it; its traffic is denied when no
        selecting policy has a rule for that direction."""
        if pod['spec'].get('hostNetwork'):
            return False
        labels = pod['metadata'].get('labels') or {}
        typed = {'Ingress': False, 'Egress': False}
        for (pns, _), p in self.objs['networkpolicies'].items():
            spec = p.get('spec') or {}
            if pns != ns or not selects(spec.get('podSelector'), labels):
                continue
            for t in spec.get('policyTypes') or ['Ingress']:
                if spec.get(t.lower()):
                    return False
                typed[t] = True
        return typed['Ingress'] and typed['Egress']

    def public_state(self):
        nss = {}
        for r in NAMESPACED:
            for (ns, name), o in self.objs[r].items():
                d = nss.setdefault(ns, {k: {} for k in NAMESPACED})
                v = {'uid': o['metadata']['uid']}
                if r == 'pods':
                    v.update(nodeName=o['spec'].get('nodeName'), serviceAccountName=o['spec'].get('serviceAccountName'),
                             deletionTimestamp=o['metadata'].get('deletionTimestamp'),
                             labels=o['metadata'].get('labels') or {}, isolated=self.isolated(ns, o))
                elif r == 'networkpolicies':
                    v.update(spec=o.get('spec'), labels=o['metadata'].get('labels') or {})
                elif r in ('deployments', 'statefulsets', 'replicasets'):
                    v.update(replicas=o['spec'].get('replicas', 1))
                elif r == 'certificates':
                    v.update(revision=o['status'].get('revision', 0), key=o['_key'],
                             rotationPolicy=(o['spec'].get('privateKey') or {}).get('rotationPolicy'),
                             issuing=any(c.get('type') == 'Issuing' and c.get('status') == 'True'
                                         for c in o['status'].get('conditions') or []))
                elif r == 'secrets':
                    v.update(type=o.get('type'), sa=(o['metadata'].get('annotations') or {}).get(SA_NAME_ANN))
                d[r][name] = v
        nodes = {n: {'uid': o['metadata']['uid'], 'unschedulable': bool(o['spec'].get('unschedulable', False))}
                 for (_, n), o in self.objs['nodes'].items()}
        toks = {t['id']: {'user': t['user'], 'alive': self.token_alive(t)} for t in self.tokens}
        return {'namespaces': nss, 'nodes': nodes, 'tokens': toks}

    # ---- faults ---------------------------------------------------------------
    def throttle_response(self, req, fault):
        ra = fault.retry_after if fault.retry_after is not None else 1
        return status(fault.status or 429, 'TooManyRequests',
                      fault.message or 'Too many requests, please try again later.',
                      {'retryAfterSeconds': int(ra)}, [('Retry-After', str(ra))])

    def error_response(self, req, fault):
        st = fault.status or 500
        if st == 503:
            return status(503, 'ServiceUnavailable', fault.message or 'the server is currently unable to handle the request')
        if st == 504:
            return status(504, 'Timeout', fault.message or 'the server was unable to return a response in the time allotted')
        return status(st, 'InternalError', fault.message or 'Internal error occurred: emulated failure',
                      {'causes': [{'message': 'emulated failure'}]})

    def vanish(self, req, fault):
        route = self.route(req.path)
        if route and route[2]:
            r, ns, name = route
            o = self.objs[r].get((ns, name))
            if o:
                self.remove(r, ns, name)
        return None

    # ---- routing ----------------------------------------------------------------
    def route(self, path):
        m = re.match(r'^/apis/(networking\.k8s\.io|apps|cert-manager\.io)/v1/namespaces/([^/]+)/'
                     r'(networkpolicies|deployments|statefulsets|replicasets|certificates)(?:/([^/]+))?/?$', path)
        if m:
            if GROUP[m.group(3)].split('/')[0] != m.group(1):
                return None
            return m.group(3), m.group(2), m.group(4)
        m = re.match(r'^/api/v1/namespaces/([^/]+)/(pods|secrets|serviceaccounts)(?:/([^/]+))?/?$', path)
        if m:
            return m.group(2), m.group(1), m.group(3)
        m = re.match(r'^/api/v1/(nodes|pods|secrets|serviceaccounts)(?:/([^/]+))?/?$', path)
        if m:
            if m.group(1) != 'nodes' and m.group(2):
                return None
            return m.group(1), None, m.group(2)
        return None

    def authenticate(self, req):
        auth = req.header('Authorization') or ''
        if auth.lower().startswith('bearer '):
            given = auth[7:].strip().encode()
            for t in self.tokens:
                if hmac.compare_digest(given, t['token'].encode()):
                    if not self.token_alive(t):
                        return None
                    req.log['user'] = t['user']
                    req.log['token_id'] = t['id']
                    return t
            return None
        cn, orgs = req.peer_cn()
        if cn:
            req.log['user'] = cn
            return {'id': 'x509:' + cn, 'user': cn, 'groups': orgs + ['system:authenticated'], 'readonly': False}
        return None

    def handle(self, req):
        with self.lock:
            who = self.authenticate(req)
            if who is None:
                return status(401, 'Unauthorized', 'Unauthorized')
            p = req.path
            if p in ('/version', '/version/'):
                return ec.json_response(200, {'major': '1', 'minor': '32', 'gitVersion': 'v1.32.4-cordon-emu',
                                              'platform': 'linux/amd64'})
            if p == '/api':
                return ec.json_response(200, {'kind': 'APIVersions', 'versions': ['v1'], 'serverAddressByClientCIDRs': [
                    {'clientCIDR': '0.0.0.0/0', 'serverAddress': '127.0.0.1'}]})
            if p == '/apis':
                return ec.json_response(200, {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': [
                    {'name': g, 'versions': [{'groupVersion': g + '/v1', 'version': 'v1'}],
                     'preferredVersion': {'groupVersion': g + '/v1', 'version': 'v1'}}
                    for g in ('authentication.k8s.io', 'networking.k8s.io', 'apps', 'cert-manager.io')]})
            for g in ('networking.k8s.io', 'apps', 'cert-manager.io'):
                if p == '/apis/%s/v1' % g:
                    return ec.json_response(200, self.discovery(g + '/v1'))
            m = re.match(r'^/apis/apps/v1/namespaces/([^/]+)/(deployments|statefulsets|replicasets)/([^/]+)/scale/?$', p)
            if m:
                return self.scale(req, who, m.group(2), m.group(1), m.group(3))
            m = re.match(r'^/apis/cert-manager\.io/v1/namespaces/([^/]+)/certificates/([^/]+)/status/?$', p)
            if m:
                return self.cert_status(req, who, m.group(1), m.group(2))
            if p == '/api/v1':
                return ec.json_response(200, self.discovery())
            if p == '/apis/authentication.k8s.io/v1':
                return ec.json_response(200, {'kind': 'APIResourceList', 'apiVersion': 'v1',
                                              'groupVersion': 'authentication.k8s.io/v1', 'resources': [
                                                  {'name': 'tokenreviews', 'singularName': 'tokenreview',
                                                   'namespaced': False, 'kind': 'TokenReview', 'verbs': ['create']}]})
            if p == '/apis/authentication.k8s.io/v1/tokenreviews' and req.method == 'POST':
                return self.token_review(req)
            m = re.match(r'^/api/v1/namespaces/([^/]+)/?$', p)
            if m and req.method == 'GET':
                return ec.json_response(200, {'kind': 'Namespace', 'apiVersion': 'v1',
                                              'metadata': {'name': m.group(1)}, 'status': {'phase': 'Active'}})
            route = self.route(p)
            if route is None:
                return status(404, 'NotFound', 'the server could not find the requested resource', {})
            r, ns, name = route
            verb = {'GET': 'get' if name else 'list', 'DELETE': 'delete', 'PATCH': 'patch', 'POST': 'create',
                    'PUT': 'update'}.get(req.method, req.method.lower())
            allowed = {('get',), ('list',)}
            ok = VERBS[r]
            if verb not in ok or (verb == 'create' and name) or (verb in ('delete', 'patch') and not name):
                return status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})
            denied = self.forbidden(who, verb, r, ns, name)
            if denied:
                return denied
            if verb == 'list':
                return self.list(req, r, ns)
            if verb == 'create':
                return self.create(req, r, ns)
            o = self.objs[r].get((ns, name))
            if o is None:
                return not_found(r, name)
            if r == 'certificates':
                self.cert_manager(o)
            if verb == 'get':
                return ec.json_response(200, self.public_obj(o))
            if verb == 'delete':
                return self.delete(req, r, ns, name, o)
            return self.patch(req, r, ns, name, o)

    def forbidden(self, who, verb, r, ns, name):
        group = GROUP.get(r, '/').split('/')[0]
        if who.get('only_ns') is not None and ns is not None and ns not in who['only_ns']:
            # RBAC bound in some namespaces only: anything elsewhere is
            # forbidden, whether the object exists or not
            msg = '%s%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" in the namespace "%s"' % (
                r, ' "%s"' % name if name else '', who['user'], verb, r, group, ns)
            return status(403, 'Forbidden', msg, {'name': name, 'kind': r} if name else {'kind': r})
        if who.get('readonly') and verb not in ('get', 'list'):
            where = ' in the namespace "%s"' % ns if ns else ' at the cluster scope'
            msg = '%s%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s"%s' % (
                r, ' "%s"' % name if name else '', who['user'], verb, r, group, where)
            return status(403, 'Forbidden', msg, {'name': name, 'kind': r} if name else {'kind': r})
        return None

    def discovery(self, gv='v1'):
        res = []
        for r, k in KINDS.items():
            if api_version(r) != gv:
                continue
            res.append({'name': r, 'singularName': k.lower(), 'namespaced': r in NAMESPACED, 'kind': k,
                        'verbs': sorted(VERBS[r]), 'shortNames': {'pods': ['po'], 'serviceaccounts': ['sa'],
                                                                  'nodes': ['no'], 'networkpolicies': ['netpol'],
                                                                  'deployments': ['deploy'], 'statefulsets': ['sts'],
                                                                  'replicasets': ['rs']}.get(r, [])})
            if gv == 'apps/v1':
                res.append({'name': r + '/scale', 'singularName': '', 'namespaced': True, 'group': 'autoscaling',
                            'version': 'v1', 'kind': 'Scale', 'verbs': ['get', 'patch', 'update']})
        if gv == 'v1':
            res.append({'name': 'namespaces', 'singularName': 'namespace', 'namespaced': False, 'kind': 'Namespace',
                        'verbs': ['get'], 'shortNames': ['ns']})
        return {'kind': 'APIResourceList', 'apiVersion': 'v1', 'groupVersion': gv, 'resources': res}

    def scale_doc(self, r, o):
        sel = ','.join('%s=%s' % kv for kv in sorted(((o['spec'].get('selector') or {}).get('matchLabels') or {}).items()))
        n = o['spec'].get('replicas', 1)
        return {'kind': 'Scale', 'apiVersion': 'autoscaling/v1',
                'metadata': {'name': o['metadata']['name'], 'namespace': o['metadata']['namespace'],
                             'uid': o['metadata']['uid'], 'resourceVersion': o['metadata']['resourceVersion'],
                             'creationTimestamp': o['metadata']['creationTimestamp']},
                'spec': {'replicas': n} if n else {}, 'status': {'replicas': n, 'selector': sel}}

    def scale(self, req, who, r, ns, name):
        verb = {'GET': 'get', 'PATCH': 'patch', 'PUT': 'update'}.get(req.method)
        if verb is None:
            return status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})
        denied = self.forbidden(who, verb, r + '/scale', ns, name)
        if denied:
            return denied
        o = self.objs[r].get((ns, name))
        if o is None:
            return not_found('%s.apps' % r, name)
        if verb == 'get':
            return ec.json_response(200, self.scale_doc(r, o))
        try:
            body = req.json()
            if verb == 'patch':
                ctype = (req.header('Content-Type') or '').split(';')[0].strip().lower()
                if ctype == 'application/json-patch+json':
                    body = json_patch(self.scale_doc(r, o), body)
                else:
                    body = merge_patch(self.scale_doc(r, o), body)
            n = (body.get('spec') or {}).get('replicas', 0)
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise ValueError('replicas')
        except (ValueError, KeyError, TypeError, AttributeError):
            return status(422, 'Invalid', 'Scale.autoscaling "%s" is invalid: spec.replicas: Invalid value' % name,
                          {'name': name, 'group': 'autoscaling', 'kind': 'Scale'})
        o['spec']['replicas'] = n
        o['metadata']['resourceVersion'] = self.next_rv()
        return ec.json_response(200, self.scale_doc(r, o))

    def list(self, req, r, ns):
        items = [o for (ons, _), o in sorted(self.objs[r].items(), key=lambda kv: (kv[0][0] or '', kv[0][1]))
                 if ns is None or ons == ns]
        for sel in (req.q('fieldSelector') or '').split(','):
            if not sel:
                continue
            neg = '!=' in sel
            k, v = re.split(r'!?==?', sel, 1)

            def field(o, k=k):
                cur = o
                for part in k.split('.'):
                    cur = cur.get(part) if isinstance(cur, dict) else None
                return '' if cur is None else str(cur)
            items = [o for o in items if (field(o) == v) != neg]
        for sel in (req.q('labelSelector') or '').split(','):
            if not sel:
                continue
            if '=' in sel:
                neg = '!=' in sel
                k, v = re.split(r'!?==?', sel, 1)
                items = [o for o in items if ((o['metadata'].get('labels') or {}).get(k) == v) != neg]
            else:
                items = [o for o in items if sel in (o['metadata'].get('labels') or {})]
        out = []
        for o in items:
            o = self.public_obj(o)
            o.pop('kind', None)
            o.pop('apiVersion', None)
            out.append(o)
        return ec.json_response(200, {'kind': KINDS[r] + 'List', 'apiVersion': api_version(r),
                                      'metadata': {'resourceVersion': str(self.rv)}, 'items': out})

    def delete_options(self, req):
        try:
            opts = req.json() or {}
        except ValueError:
            opts = {}
        return opts if isinstance(opts, dict) else {}

    def remove(self, r, ns, name):
        o = self.objs[r].pop((ns, name))
        if r == 'serviceaccounts':
            # the token controller deletes the SA's legacy token secrets
            for (sns, sname), s in list(self.objs['secrets'].items()):
                ann = s['metadata'].get('annotations') or {}
                if sns == ns and s.get('type') == SA_TOKEN_TYPE and ann.get(SA_NAME_ANN) == name and \
                        ann.get(SA_UID_ANN) in (None, o['metadata']['uid']):
                    del self.objs['secrets'][(sns, sname)]
        return o

    def delete(self, req, r, ns, name, o):
        opts = self.delete_options(req)
        pre = (opts.get('preconditions') or {})
        if pre.get('uid') and pre['uid'] != o['metadata']['uid']:
            return status(409, 'Conflict', 'Operation cannot be fulfilled on %s "%s": Precondition failed: UID in '
                          'precondition: %s, UID in object meta: %s' % (r, name, pre['uid'], o['metadata']['uid']),
                          {'name': name, 'kind': r})
        if pre.get('resourceVersion') and pre['resourceVersion'] != o['metadata']['resourceVersion']:
            return status(409, 'Conflict', 'Operation cannot be fulfilled on %s "%s": Precondition failed: '
                          'ResourceVersion in precondition: %s, ResourceVersion in object meta: %s'
                          % (r, name, pre['resourceVersion'], o['metadata']['resourceVersion']), {'name': name, 'kind': r})
        self.remove(r, ns, name)
        if r in ('secrets', 'networkpolicies'):
            return ec.json_response(200, {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success',
                                          'details': {'name': name, 'group': GROUP.get(r, '/').split('/')[0],
                                                      'kind': r, 'uid': o['metadata']['uid']}})
        o = copy.deepcopy(o)
        if r == 'pods':
            grace = req.q('gracePeriodSeconds') or opts.get('gracePeriodSeconds')
            grace = 30 if grace is None else int(grace)
            o['metadata']['deletionTimestamp'] = ec.utcnow_iso(time.time() + grace)
            o['metadata']['deletionGracePeriodSeconds'] = grace
            o['metadata']['resourceVersion'] = self.next_rv()
        return ec.json_response(200, o)

    def create(self, req, r, ns):
        ctype = (req.header('Content-Type') or 'application/json').split(';')[0].strip().lower()
        if ctype not in ('application/json', '*/*'):
            return status(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - '
                          'accepted media types include: application/json, application/yaml')
        try:
            body = req.json()
        except ValueError as e:
            return status(400, 'BadRequest', 'the object provided is unrecognized: %s' % e)
        if not isinstance(body, dict):
            return status(400, 'BadRequest', 'the object provided is unrecognized')
        md = body.get('metadata') or {}
        name = md.get('name')
        if not name and md.get('generateName'):
            name = md['generateName'] + ec.new_uuid()[:5]
        if not name:
            return status(422, 'Invalid', 'ServiceAccount "" is invalid: metadata.name: Required value: name or '
                          'generateName is required', {'kind': 'ServiceAccount', 'causes': [
                              {'reason': 'FieldValueRequired', 'message': 'Required value: name or generateName is required',
                               'field': 'metadata.name'}]})
        if md.get('namespace') and md['namespace'] != ns:
            return status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace '
                          'sent on the request')
        if (ns, name) in self.objs[r]:
            return status(409, 'AlreadyExists', '%s "%s" already exists' % (r, name), {'name': name, 'kind': r})
        if r == 'networkpolicies':
            spec = body.get('spec')
            bad = not isinstance(spec, dict) or not isinstance(spec.get('podSelector'), dict) or \
                any(t not in ('Ingress', 'Egress') for t in spec.get('policyTypes') or [])
            if bad:
                return status(422, 'Invalid', 'NetworkPolicy.networking.k8s.io "%s" is invalid: spec: Invalid value'
                              % name, {'name': name, 'group': 'networking.k8s.io', 'kind': 'NetworkPolicy'})
        body = copy.deepcopy(body)
        body['metadata'] = {k: v for k, v in md.items() if k not in ('uid', 'resourceVersion', 'creationTimestamp')}
        o = self.mk(r, ns, name, body)
        self.objs[r][(ns, name)] = o
        return ec.json_response(201, o)

    def patch(self, req, r, ns, name, o):
        ctype = (req.header('Content-Type') or '').split(';')[0].strip().lower()
        if ctype not in ('application/merge-patch+json', 'application/strategic-merge-patch+json',
                         'application/json-patch+json'):
            return status(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - '
                          'accepted media types include: application/json-patch+json, application/merge-patch+json, '
                          'application/apply-patch+yaml, application/strategic-merge-patch+json')
        try:
            patch = req.json()
            if ctype == 'application/json-patch+json':
                if not isinstance(patch, list):
                    raise ValueError('json patch must be a list')
                new = json_patch(o, patch)
            else:
                if not isinstance(patch, dict):
                    raise ValueError('patch must be an object')
                new = merge_patch(o, patch)
        except (ValueError, KeyError, IndexError, TypeError) as e:
            return status(422, 'Invalid', 'the server rejected our request due to an error in our request: %s'
                          % type(e).__name__, {})
        uns = (new.get('spec') or {}).get('unschedulable')
        if uns is not None and not isinstance(uns, bool):
            return status(422, 'Invalid', 'Node "%s" is invalid: spec.unschedulable: Invalid value' % name,
                          {'name': name, 'kind': 'Node'})
        new['metadata']['uid'] = o['metadata']['uid']
        new['metadata']['name'] = name
        new['metadata']['resourceVersion'] = self.next_rv()
        new['kind'], new['apiVersion'] = KINDS[r], api_version(r)
        self.objs[r][(ns, name)] = new
        return ec.json_response(200, self.public_obj(new))

    @staticmethod
    def public_obj(o):
        return {k: v for k, v in o.items() if not k.startswith('_')}

    def cert_manager(self, o):
        """The controller, one step per read: an Issuing=True certificate is
        issued (a new revision; a new private key only with rotationPolicy
        Always), unless the seed said cert-manager is stuck."""
        st = o['status']
        conds = st.get('conditions') or []
        if o.get('_stuck') or not any(c.get('type') == 'Issuing' and c.get('status') == 'True' for c in conds):
            return
        st['revision'] = st.get('revision', 0) + 1
        if (o['spec'].get('privateKey') or {}).get('rotationPolicy') == 'Always':
            o['_key'] += 1
        st['conditions'] = [c for c in conds if c.get('type') not in ('Issuing', 'Ready')] + [
            {'type': 'Ready', 'status': 'True', 'reason': 'Ready', 'lastTransitionTime': ec.utcnow_iso(),
             'message': 'Certificate is up to date and has not expired'}]
        o['metadata']['resourceVersion'] = self.next_rv()

    def cert_status(self, req, who, ns, name):
        if req.method not in ('PATCH', 'PUT'):
            return status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})
        denied = self.forbidden(who, 'patch', 'certificates/status', ns, name)
        if denied:
            return denied
        o = self.objs['certificates'].get((ns, name))
        if o is None:
            return not_found('certificates.cert-manager.io', name)
        try:
            body = req.json()
            if not isinstance(body, dict):
                raise ValueError('not an object')
        except ValueError:
            return status(400, 'BadRequest', 'the body of the request is not a JSON object', {})
        want_rv = (body.get('metadata') or {}).get('resourceVersion')
        if want_rv is not None and want_rv != o['metadata']['resourceVersion']:
            return status(409, 'Conflict', 'Operation cannot be fulfilled on certificates.cert-manager.io "%s": '
                          'the object has been modified; please apply your changes to the latest version and '
                          'try again' % name, {'name': name, 'group': 'cert-manager.io', 'kind': 'certificates'})
        # the status subresource changes status only; a merge patch
        # replaces lists whole
        o['status'] = merge_patch(o['status'], body.get('status') or {})
        o['metadata']['resourceVersion'] = self.next_rv()
        return ec.json_response(200, self.public_obj(o))

    def token_review(self, req):
        try:
            body = req.json() or {}
            tok = ((body.get('spec') or {}).get('token') or '')
        except (ValueError, AttributeError):
            return status(400, 'BadRequest', 'the object provided is unrecognized')
        st = {'authenticated': False, 'error': '[invalid bearer token, token lookup failed]'}
        for t in self.tokens:
            if hmac.compare_digest(tok.encode(), t['token'].encode()):
                if self.token_alive(t):
                    user = {'username': t['user'], 'uid': t.get('sa_uid') or ec.new_uuid(), 'groups': t['groups']}
                    if t['bound'] and t['bound']['kind'] == 'Pod':
                        user['extra'] = {'authentication.kubernetes.io/pod-name': [t['bound']['name']],
                                         'authentication.kubernetes.io/pod-uid': [t['bound_uid'] or '']}
                    st = {'authenticated': True, 'user': user, 'audiences': ['https://kubernetes.default.svc']}
                break
        return ec.json_response(201, {'kind': 'TokenReview', 'apiVersion': 'authentication.k8s.io/v1',
                                      'metadata': {'creationTimestamp': None},
                                      'spec': {'token': '(redacted)'}, 'status': st})

    def internal_error(self, req, exc):
        return status(500, 'InternalError', 'Internal error occurred: emulator failure %s' % type(exc).__name__, {})


if __name__ == '__main__':
    ec.run(K8sEmulator)
