#!/usr/bin/python3
"""spire.py - loopback emulator of the SPIRE server's admin gRPC API
(spire.api.server.entry.v1.Entry and agent.v1.Agent: GetEntry,
BatchDeleteEntry, ListEntries, GetAgent, DeleteAgent, BanAgent) on a Unix
socket, served by Debian's python3-grpcio.

Messages are decoded and encoded by python3-protobuf from descriptors built
here with SPIRE's field numbers (spire-api-sdk proto/spire/api), so what
cordon's own encoder sends is checked by a real protobuf implementation.
The seed gives the socket path ("socket"), entries and agents; the HTTP
control plane (/__emu/state, /requests, /seed) is as for every emulator.
"""

import os
import sys
import time
from concurrent import futures

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_common as ec  # noqa: E402

import grpc  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402

T = descriptor_pb2.FieldDescriptorProto
MESSAGES = {
    'SPIFFEID': [('trust_domain', 1, T.TYPE_STRING, 0), ('path', 2, T.TYPE_STRING, 0)],
    'Selector': [('type', 1, T.TYPE_STRING, 0), ('value', 2, T.TYPE_STRING, 0)],
    'Status': [('code', 1, T.TYPE_INT32, 0), ('message', 2, T.TYPE_STRING, 0)],
    'Entry': [('id', 1, T.TYPE_STRING, 0), ('spiffe_id', 2, 'SPIFFEID', 0), ('parent_id', 3, 'SPIFFEID', 0),
              ('selectors', 4, 'Selector', 1), ('x509_svid_ttl', 5, T.TYPE_INT32, 0),
              ('federates_with', 6, T.TYPE_STRING, 1), ('admin', 7, T.TYPE_BOOL, 0),
              ('downstream', 8, T.TYPE_BOOL, 0), ('expires_at', 9, T.TYPE_INT64, 0),
              ('dns_names', 10, T.TYPE_STRING, 1), ('revision_number', 11, T.TYPE_INT64, 0)],
    'Agent': [('id', 1, 'SPIFFEID', 0), ('attestation_type', 2, T.TYPE_STRING, 0),
              ('x509svid_serial_number', 3, T.TYPE_STRING, 0), ('x509svid_expires_at', 4, T.TYPE_INT64, 0),
              ('selectors', 5, 'Selector', 1), ('banned', 6, T.TYPE_BOOL, 0), ('can_re_attest', 7, T.TYPE_BOOL, 0)],
    'GetEntryRequest': [('id', 1, T.TYPE_STRING, 0)],
    'BatchDeleteEntryRequest': [('ids', 1, T.TYPE_STRING, 1)],
    'DeleteResult': [('status', 1, 'Status', 0), ('id', 2, T.TYPE_STRING, 0)],
    'BatchDeleteEntryResponse': [('results', 1, 'DeleteResult', 1)],
    'ListEntriesResponse': [('entries', 1, 'Entry', 1), ('next_page_token', 2, T.TYPE_STRING, 0)],
    'AgentIdRequest': [('id', 1, 'SPIFFEID', 0)],
    'Empty': [],
}


def build_classes():
    fd = descriptor_pb2.FileDescriptorProto(name='cordon_spire_emu.proto', package='emu', syntax='proto3')
    for name, fields in MESSAGES.items():
        m = fd.message_type.add(name=name)
        for fname, num, ftype, repeated in fields:
            f = m.field.add(name=fname, number=num,
                            label=T.LABEL_REPEATED if repeated else T.LABEL_OPTIONAL)
            if isinstance(ftype, str):
                f.type = T.TYPE_MESSAGE
                f.type_name = '.emu.' + ftype
            else:
                f.type = ftype
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    out = {}
    for name in MESSAGES:
        desc = pool.FindMessageTypeByName('emu.' + name)
        get = getattr(message_factory, 'GetMessageClass', None)
        out[name] = get(desc) if get else message_factory.MessageFactory(pool).GetPrototype(desc)
    return out


PB = build_classes()
NOT_FOUND = 5


def spiffe(s):
    rest = s[len('spiffe://'):]
    td, _, path = rest.partition('/')
    return PB['SPIFFEID'](trust_domain=td, path='/' + path)


def spiffe_str(m):
    return 'spiffe://%s%s' % (m.trust_domain, m.path)


class SpireEmulator(ec.Emulator):
    name = 'spire'

    def clear_state(self):
        self.entries = {}    # id -> Entry message
        self.agents = {}     # spiffe id -> Agent message
        self.fail_next = []  # gRPC status names to answer the next calls with
        if not hasattr(self, 'grpc_server'):
            self.grpc_server = None

    def apply_seed(self, seed):
        for e in seed.get('entries') or []:
            m = PB['Entry'](id=e['id'], spiffe_id=spiffe(e['spiffe_id']), parent_id=spiffe(e['parent_id']),
                            revision_number=1)
            for sel in e.get('selectors') or []:
                t, _, v = sel.partition(':')
                m.selectors.add(type=t, value=v)
            self.entries[e['id']] = m
        for a in seed.get('agents') or []:
            self.agents[a['spiffe_id']] = PB['Agent'](id=spiffe(a['spiffe_id']), attestation_type='k8s_psat',
                                                      banned=bool(a.get('banned')), can_re_attest=True)
        self.fail_next.extend(seed.get('fail_next') or [])
        if seed.get('socket') and self.grpc_server is None:
            self.start_grpc(seed['socket'])

    def public_state(self):
        return {'entries': {i: {'spiffe_id': spiffe_str(e.spiffe_id), 'parent_id': spiffe_str(e.parent_id),
                                'selectors': ['%s:%s' % (s.type, s.value) for s in e.selectors]}
                            for i, e in self.entries.items()},
                'agents': {i: {'banned': a.banned} for i, a in self.agents.items()}}

    def handle(self, req):
        return ec.json_response(404, {'error': 'the SPIRE API is gRPC on the Unix socket'})

    # ---- gRPC -------------------------------------------------------------
    def start_grpc(self, path):
        if os.path.exists(path):
            os.unlink(path)
        self.grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handlers = {}
        for svc, meth, req_cls, resp_cls, fn in (
                ('spire.api.server.entry.v1.Entry', 'GetEntry', 'GetEntryRequest', 'Entry', self.get_entry),
                ('spire.api.server.entry.v1.Entry', 'BatchDeleteEntry', 'BatchDeleteEntryRequest',
                 'BatchDeleteEntryResponse', self.batch_delete),
                ('spire.api.server.agent.v1.Agent', 'GetAgent', 'AgentIdRequest', 'Agent', self.get_agent),
                ('spire.api.server.agent.v1.Agent', 'DeleteAgent', 'AgentIdRequest', 'Empty', self.delete_agent),
                ('spire.api.server.agent.v1.Agent', 'BanAgent', 'AgentIdRequest', 'Empty', self.ban_agent)):
            handlers.setdefault(svc, {})[meth] = grpc.unary_unary_rpc_method_handler(
                self.wrap(svc, meth, fn), request_deserializer=PB[req_cls].FromString,
                response_serializer=PB[resp_cls].SerializeToString)
        self.grpc_server.add_generic_rpc_handlers(
            tuple(grpc.method_handlers_generic_handler(s, h) for s, h in handlers.items()))
        self.grpc_server.add_insecure_port('unix:' + path)
        self.grpc_server.start()

    def wrap(self, svc, meth, fn):
        def call(request, context):
            t0 = time.time()
            entry = {'method': 'GRPC', 'path': '/%s/%s' % (svc, meth), 'action': meth, 'fault': None,
                     'ua': dict(context.invocation_metadata()).get('user-agent'),
                     'request': str(request).replace('\n', ' ').strip()}
            code, msg, resp = 0, '', None
            with self.lock:
                if self.fail_next:
                    code, msg = getattr(grpc.StatusCode, self.fail_next.pop(0)).value[0], 'emulated failure'
                else:
                    try:
                        resp = fn(request)
                    except GrpcError as e:
                        code, msg = e.code, e.msg
                entry.update(ts=round(t0, 6), status=code, ms=int((time.time() - t0) * 1000), seq=0)
                self.log_seq += 1
                entry['seq'] = self.log_seq
                self.log.append(entry)
            sys.stderr.write('%s GRPC %s %d\n' % (time.strftime('%H:%M:%S'), meth, code))
            if code:
                context.abort(next(c for c in grpc.StatusCode if c.value[0] == code), msg)
            return resp
        return call

    def get_entry(self, r):
        e = self.entries.get(r.id)
        if e is None:
            raise GrpcError(NOT_FOUND, 'entry not found')
        return e

    def batch_delete(self, r):
        out = PB['BatchDeleteEntryResponse']()
        for i in r.ids:
            res = out.results.add(id=i)
            if self.entries.pop(i, None) is None:
                res.status.code, res.status.message = NOT_FOUND, 'entry not found'
            else:
                res.status.message = 'OK'
        return out

    def agent(self, r):
        a = self.agents.get(spiffe_str(r.id))
        if a is None:
            raise GrpcError(NOT_FOUND, 'agent not found')
        return a

    def get_agent(self, r):
        return self.agent(r)

    def delete_agent(self, r):
        self.agent(r)
        del self.agents[spiffe_str(r.id)]
        return PB['Empty']()

    def ban_agent(self, r):
        self.agent(r).banned = True
        return PB['Empty']()


class GrpcError(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code, self.msg = code, msg


if __name__ == '__main__':
    ec.run(SpireEmulator)
