"""aws_trust.py - role trust policies for the AWS emulator (aws.py):
GetRole's AssumeRolePolicyDocument as stored, UpdateAssumeRolePolicy (IAM's
2,048-character quota), and the evaluation of an AssumeRoleWithWebIdentity
by a GitHub Actions OIDC token against it: an explicit Deny whose conditions
match wins, else an Allow whose conditions match, else AccessDenied.  Only
the condition operators GitHub trust policies use are implemented
(StringEquals, StringLike, with IAM's * and ? wildcards); the token's
signature is not checked (the emulator has no JWKS), its claims are.
"""

import base64
import fnmatch
import json
import time

GITHUB_ISS = 'https://token.actions.githubusercontent.com'
GITHUB_HOST = 'token.actions.githubusercontent.com'
TRUST_QUOTA = 2048
DEFAULT_TRUST = json.dumps({'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Principal': {'Service': 'ec2.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]})


def jwt_claims(tok):
    parts = tok.split('.')
    if len(parts) != 3:
        return None
    try:
        pad = parts[1] + '=' * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(pad.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def _as_list(v):
    return v if isinstance(v, list) else [v]


def _cond_ok(cond, claims):
    for op, kv in (cond or {}).items():
        for key, want in kv.items():
            if not key.startswith(GITHUB_HOST + ':'):
                return False
            have = str(claims.get(key.split(':', 1)[1], ''))
            wants = _as_list(want)
            if op == 'StringEquals' and have not in wants:
                return False
            if op == 'StringLike' and not any(fnmatch.fnmatchcase(have, w) for w in wants):
                return False
            if op not in ('StringEquals', 'StringLike'):
                return False
    return True


def web_identity_decision(trust_doc, claims, account):
    """'Allow', 'Deny' or None (no statement allows)."""
    provider = 'arn:aws:iam::%s:oidc-provider/%s' % (account, GITHUB_HOST)
    allowed = False
    for st in _as_list(json.loads(trust_doc).get('Statement') or []):
        fed = _as_list((st.get('Principal') or {}).get('Federated') or [])
        acts = _as_list(st.get('Action') or [])
        if provider not in fed or not any(a in ('sts:AssumeRoleWithWebIdentity', 'sts:*', '*') for a in acts):
            continue
        if not _cond_ok(st.get('Condition'), claims):
            continue
        if st.get('Effect') == 'Deny':
            return 'Deny'
        allowed = allowed or st.get('Effect') == 'Allow'
    return 'Allow' if allowed else None


def github_claims_ok(claims):
    return claims.get('iss') == GITHUB_ISS and float(claims.get('exp', 0)) > time.time()
