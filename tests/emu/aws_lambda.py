"""aws_lambda.py - the Lambda part of the AWS emulator (aws.py): functions
with their reserved concurrency, over Lambda's REST-JSON protocol
(GetFunction, GetFunctionConfiguration, Get/Put/DeleteFunctionConcurrency,
ListFunctions).  Requests are SigV4-checked by aws.py's authenticate (service
"lambda", any of LAMBDA_REGIONS).  Errors are JSON with x-amzn-ErrorType, as
Lambda answers them.
"""

import json
import re
from urllib.parse import unquote

import emu_common as ec

LAMBDA_REGIONS = ('us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2')
PATH_RE = re.compile(r'^/(2015-03-31|2017-10-31|2019-09-30)/functions(?:/([^/]+))?(/concurrency|/configuration)?/?$')


class LambdaError(Exception):
    def __init__(self, status, code, message):
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


class LambdaMixin:
    def lambda_clear(self):
        self.functions = {}   # name -> {role, runtime, reserved (None: unreserved), region}

    def lambda_seed(self, seed):
        for name, f in (seed.get('functions') or {}).items():
            self.functions[name] = {'role': f.get('role', 'arn:aws:iam::%s:role/%s-role' % (self.account, name)),
                                    'runtime': f.get('runtime', 'python3.12'),
                                    'reserved': f.get('reserved'), 'region': f.get('region', 'us-east-1')}

    def lambda_state(self):
        return {n: {'reserved': f['reserved'], 'region': f['region']} for n, f in self.functions.items()}

    @staticmethod
    def is_lambda_path(path):
        return PATH_RE.match(path) is not None

    def fn_arn(self, name, f):
        return 'arn:aws:lambda:%s:%s:function:%s' % (f['region'], self.account, name)

    def fn_config(self, name, f):
        return {'FunctionName': name, 'FunctionArn': self.fn_arn(name, f), 'Runtime': f['runtime'],
                'Role': f['role'], 'Handler': 'app.handler', 'CodeSize': 1024, 'Timeout': 30, 'MemorySize': 128,
                'LastModified': '2026-11-30T10:00:00.000+0000', 'Version': '$LATEST', 'State': 'Active',
                'PackageType': 'Zip', 'Architectures': ['x86_64']}

    def lambda_handle(self, req, region):
        try:
            return self.lambda_route(req, region)
        except LambdaError as e:
            return self.lambda_error(req, e)

    def lambda_error(self, req, e):
        req.log['error'] = e.code
        rid = ec.new_uuid()
        return ec.Response(e.status, json.dumps({'Type': 'User', 'Message': e.message}).encode(),
                           'application/json', [('x-amzn-RequestId', rid), ('x-amzn-ErrorType', e.code)])

    def lambda_route(self, req, region):
        m = PATH_RE.match(req.path)
        ver, raw, sub = m.group(1), m.group(2), m.group(3) or ''
        if raw is None:
            if req.method != 'GET' or ver != '2015-03-31':
                raise LambdaError(404, 'UnknownOperationException', 'Unknown operation')
            fns = [self.fn_config(n, f) for n, f in sorted(self.functions.items()) if f['region'] == region]
            return self.lambda_ok({'Functions': fns})
        name = unquote(raw)
        if name.startswith('arn:'):
            name = name.split(':function:', 1)[-1]
        req.log['target'] = name
        f = self.functions.get(name)
        if f is None or f['region'] != region:
            raise LambdaError(404, 'ResourceNotFoundException', 'Function not found: arn:aws:lambda:%s:%s:function:%s'
                              % (region, self.account, name))
        op = (req.method, ver, sub)
        if op == ('GET', '2019-09-30', '/concurrency'):
            return self.lambda_ok({} if f['reserved'] is None else {'ReservedConcurrentExecutions': f['reserved']})
        if op == ('PUT', '2017-10-31', '/concurrency'):
            try:
                n = json.loads(req.body or b'{}').get('ReservedConcurrentExecutions')
            except (ValueError, AttributeError):
                n = None
            if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > 1000:
                raise LambdaError(400, 'InvalidParameterValueException',
                                  'ReservedConcurrentExecutions must be an integer from 0 to 1000')
            f['reserved'] = n
            return self.lambda_ok({'ReservedConcurrentExecutions': n})
        if op == ('DELETE', '2017-10-31', '/concurrency'):
            f['reserved'] = None
            return ec.Response(204, b'', None, [('x-amzn-RequestId', ec.new_uuid())])
        if op == ('GET', '2015-03-31', '/configuration'):
            return self.lambda_ok(self.fn_config(name, f))
        if op == ('GET', '2015-03-31', ''):
            out = {'Configuration': self.fn_config(name, f), 'Code': {'RepositoryType': 'S3'}}
            if f['reserved'] is not None:
                out['Concurrency'] = {'ReservedConcurrentExecutions': f['reserved']}
            return self.lambda_ok(out)
        raise LambdaError(404, 'UnknownOperationException', 'Unknown operation %s %s' % (req.method, req.path))

    def lambda_ok(self, obj):
        return ec.Response(200, json.dumps(obj).encode(), 'application/json', [('x-amzn-RequestId', ec.new_uuid())])
