"""sigv4check.py - SigV4 of a received request, recomputed with Debian's
python3-botocore, for s3proxy.py and cwlogs.py.

verify(req, secrets, service, region) returns the access key id, or raises
SigError(status, code, message) with the AWS error the service would send.
S3 signs the path as sent and the payload hash from x-amz-content-sha256
(botocore's S3SigV4Auth); other services the usual way (SigV4Auth).
"""

import hmac
import re
import time
from datetime import datetime, timezone

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

AUTH_RE = re.compile(r'^AWS4-HMAC-SHA256 (.*)$')
MAX_SKEW = 15 * 60


class SigError(Exception):
    def __init__(self, status, code, message):
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


def _signer(base):
    class Received(base):
        """Signs exactly the headers the client said it signed."""

        def __init__(self, creds, service, region, signed, headers):
            super().__init__(creds, service, region)
            self._signed = signed
            self._headers = headers

        def headers_to_sign(self, request):
            hm = HTTPHeaders()
            for name in self._signed:
                vals = self._headers.get_all(name) or ['']
                hm[name] = ','.join(' '.join(v.split()) for v in vals)
            return hm
    return Received


S3Received = _signer(S3SigV4Auth)
Received = _signer(SigV4Auth)


def verify(req, secrets, service, region):
    auth = req.header('Authorization')
    if not auth:
        raise SigError(403, 'AccessDenied', 'Anonymous access is not allowed: no Authorization header')
    m = AUTH_RE.match(auth.strip())
    if not m:
        raise SigError(400, 'IncompleteSignature', 'Authorization is not AWS4-HMAC-SHA256')
    fields = {}
    for part in m.group(1).split(','):
        k, _, v = part.strip().partition('=')
        fields[k.strip()] = v.strip()
    cred = fields.get('Credential', '').split('/')
    if len(cred) != 5 or cred[4] != 'aws4_request' or not fields.get('SignedHeaders') or not fields.get('Signature'):
        raise SigError(400, 'IncompleteSignature', 'Credential, SignedHeaders and Signature are required')
    akid, date, c_region, c_service = cred[0], cred[1], cred[2], cred[3]
    secret = secrets.get(akid)
    if secret is None:
        raise SigError(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.')
    if c_service != service:
        raise SigError(403, 'SignatureDoesNotMatch', "Credential should be scoped to correct service: '%s'." % service)
    if c_region != region:
        raise SigError(400, 'AuthorizationHeaderMalformed',
                       "the region '%s' is wrong; expecting '%s'" % (c_region, region))
    signed = [h.strip().lower() for h in fields['SignedHeaders'].split(';') if h.strip()]
    if 'host' not in signed:
        raise SigError(400, 'IncompleteSignature', "'Host' must be a SignedHeader")
    ts = req.header('X-Amz-Date') or ''
    try:
        t = datetime.strptime(ts, '%Y%m%dT%H%M%SZ').replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise SigError(400, 'IncompleteSignature', 'X-Amz-Date is missing or malformed')
    if abs(time.time() - t) > MAX_SKEW:
        raise SigError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.')
    if date != ts[:8]:
        raise SigError(403, 'SignatureDoesNotMatch', 'Date in Credential scope does not match X-Amz-Date')
    if service == 's3':
        if 'x-amz-content-sha256' not in signed:
            raise SigError(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256')
        cls = S3Received
    else:
        cls = Received
    url = 'http://%s%s' % (req.header('Host') or '', req.raw_path)
    areq = AWSRequest(method=req.method, url=url, data=req.body)
    areq.context['timestamp'] = ts
    if service == 's3':
        areq.headers['X-Amz-Content-SHA256'] = req.header('X-Amz-Content-SHA256')
    signer = cls(Credentials(akid, secret, req.header('X-Amz-Security-Token')), service, region,
                 signed, req.headers)
    creq = signer.canonical_request(areq)
    expected = signer.signature(signer.string_to_sign(areq, creq), areq)
    if not hmac.compare_digest(expected, fields['Signature']):
        raise SigError(403, 'SignatureDoesNotMatch',
                       'The request signature we calculated does not match the signature you provided.')
    return akid
