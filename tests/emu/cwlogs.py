#!/usr/bin/python3
"""cwlogs.py - loopback emulator of CloudWatch Logs FilterLogEvents.

The documented JSON 1.1 protocol: POST / with Content-Type
application/x-amz-json-1.1 and X-Amz-Target Logs_20140328.FilterLogEvents,
a JSON body (logGroupName, startTime, endTime, logStreamNamePrefix,
nextToken, limit), an answer {"events":[{"logStreamName","timestamp",
"message","ingestionTime","eventId"}], "searchedLogStreams":[],
"nextToken"} and errors {"__type":"...","message":"..."} with 400.
SigV4 (service logs, region CWLOGS_REGION, default us-east-1, key
CWLOGS_AKID / CWLOGS_SECRET) is recomputed with botocore
(sigv4check.py).  Events are returned in time order, at most
min(limit, CWLOGS_PAGE) a page (CWLOGS_PAGE default 10000); startTime and
endTime are inclusive.  The 'throttle' fault answers ThrottlingException.

Seed: {"groups": {"NAME": [{"stream": S, "timestamp": MS, "message": M}, ...]}}
(POST /__emu/seed appends events to a group).
"""

import base64
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_common as ec  # noqa: E402
from sigv4check import SigError, verify  # noqa: E402

TARGET = 'Logs_20140328.'


def err(code, message):
    return ec.Response(400, json.dumps({'__type': code, 'message': message}),
                       'application/x-amz-json-1.1')


class CwLogs(ec.Emulator):
    name = 'cwlogs'

    def clear_state(self):
        self.region = os.environ.get('CWLOGS_REGION', 'us-east-1')
        self.secrets = {os.environ.get('CWLOGS_AKID', 'AKIACWLOGSTEST000001'):
                        os.environ.get('CWLOGS_SECRET', 'cwlogs-test-secret')}
        self.page = int(os.environ.get('CWLOGS_PAGE', '10000'))
        self.groups = {}
        self.seq = 0

    def apply_seed(self, seed):
        for name, evs in (seed.get('groups') or {}).items():
            g = self.groups.setdefault(name, [])
            for e in evs:
                self.seq += 1
                g.append({'logStreamName': e['stream'], 'timestamp': int(e['timestamp']),
                          'message': e['message'], 'ingestionTime': int(e['timestamp']) + 500,
                          'eventId': '%056d' % self.seq})
            g.sort(key=lambda e: (e['timestamp'], e['eventId']))

    def public_state(self):
        return {'groups': {n: len(g) for n, g in self.groups.items()}}

    def classify(self, req):
        t = req.header('X-Amz-Target') or ''
        if t.startswith(TARGET):
            req.action = t[len(TARGET):]

    def throttle_response(self, req, fault):
        return err('ThrottlingException', 'Rate exceeded')

    def handle(self, req):
        try:
            req.log['access_key'] = verify(req, self.secrets, 'logs', self.region)
        except SigError as e:
            req.log['error'] = e.code
            # JSON services answer a bad signature with InvalidSignatureException
            code = 'InvalidSignatureException' if e.code == 'SignatureDoesNotMatch' else e.code
            return err(code, e.message)
        if req.method != 'POST' or req.path != '/':
            return err('UnknownOperationException', 'POST / only')
        if (req.header('Content-Type') or '').split(';')[0].strip() != 'application/x-amz-json-1.1':
            return err('SerializationException', 'Content-Type must be application/x-amz-json-1.1')
        if req.action != 'FilterLogEvents':
            return err('UnknownOperationException', 'Unknown operation %s' % (req.header('X-Amz-Target') or ''))
        try:
            body = json.loads(req.body or b'{}')
        except ValueError:
            return err('SerializationException', 'body is not JSON')
        group = body.get('logGroupName')
        if not isinstance(group, str) or not group:
            return err('InvalidParameterException', 'logGroupName is required')
        limit = body.get('limit', 10000)
        if not isinstance(limit, int) or limit < 1 or limit > 10000:
            return err('InvalidParameterException', 'limit must be 1-10000')
        start, end = body.get('startTime'), body.get('endTime')
        prefix = body.get('logStreamNamePrefix')
        req.log.update(group=group, start=start, end=end, prefix=prefix,
                       token=body.get('nextToken') is not None)
        with self.lock:
            if group not in self.groups:
                return err('ResourceNotFoundException', 'The specified log group does not exist.')
            evs = [e for e in self.groups[group]
                   if (start is None or e['timestamp'] >= start) and (end is None or e['timestamp'] <= end)
                   and (prefix is None or e['logStreamName'].startswith(prefix))]
        offset = 0
        if body.get('nextToken') is not None:
            try:
                tok = json.loads(base64.b64decode(body['nextToken']))
                offset = int(tok['offset'])
                if tok['q'] != [group, start, end, prefix]:
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return err('InvalidParameterException', 'The nextToken is not valid')
        n = min(limit, self.page)
        page = evs[offset:offset + n]
        out = {'events': page, 'searchedLogStreams': []}
        if offset + n < len(evs):
            out['nextToken'] = base64.b64encode(json.dumps(
                {'offset': offset + n, 'q': [group, start, end, prefix]}).encode()).decode()
        req.log['returned'] = len(page)
        return ec.Response(200, json.dumps(out), 'application/x-amz-json-1.1')


if __name__ == '__main__':
    ec.run(CwLogs)
