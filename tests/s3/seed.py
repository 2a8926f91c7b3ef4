#!/usr/bin/python3
"""seed.py - put CloudTrail log objects into s3rver, in the delivery layout.

  seed.py PORT BUCKET ACCOUNTS REGIONS DAYS PER_DAY EVENTS [KEY=FILE...]

ACCOUNTS and REGIONS are comma lists, DAYS a comma list of YYYY-MM-DD.
For each account, region and day, PER_DAY objects
AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_
YYYYMMDDTHHMMZ_N.json.gz, each a gzip of {"Records":[...]} with EVENTS
records whose eventIDs are unique across the whole seed.  KEY=FILE pairs
put FILE's bytes as they are under KEY (a non-gzip or truncated object).
Unsigned PUTs straight to s3rver (it serves anonymous requests); prints
the number of objects and of events put.
"""

import gzip
import http.client
import json
import sys

port, bucket, accounts, regions, days, per_day, events = sys.argv[1:8]
extra = sys.argv[8:]
per_day, events = int(per_day), int(events)
conn = http.client.HTTPConnection('127.0.0.1', int(port), timeout=60)


def put(key, data):
    conn.request('PUT', '/%s/%s' % (bucket, key), body=data,
                 headers={'Content-Type': 'application/octet-stream'})
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        sys.exit('PUT %s: HTTP %d' % (key, r.status))


nobj = nev = 0
for acct in accounts.split(','):
    for reg in regions.split(','):
        for day in days.split(','):
            y, m, d = day.split('-')
            for n in range(per_day):
                hh, mm = (n // 60) % 24, n % 60
                recs = []
                for k in range(events):
                    nev += 1
                    recs.append({
                        'eventVersion': '1.08',
                        'userIdentity': {'type': 'IAMUser', 'accountId': acct,
                                         'arn': 'arn:aws:iam::%s:user/u%d' % (acct, k % 5),
                                         'accessKeyId': 'AKIAEXAMPLE%09d' % (nev % 1000)},
                        'eventTime': '%s-%s-%sT%02d:%02d:%02dZ' % (y, m, d, hh, mm, k % 60),
                        'eventSource': 's3.amazonaws.com', 'eventName': 'GetObject',
                        'awsRegion': reg, 'sourceIPAddress': '203.0.113.%d' % (k % 250),
                        'eventID': '%08d-0000-4000-8000-%012d' % (nobj, nev),
                    })
                key = 'AWSLogs/%s/CloudTrail/%s/%s/%s/%s/%s_CloudTrail_%s_%s%s%sT%02d%02dZ_%04d.json.gz' % (
                    acct, reg, y, m, d, acct, reg, y, m, d, hh, mm, n)
                put(key, gzip.compress(json.dumps({'Records': recs}).encode(), 6))
                nobj += 1
for kv in extra:
    key, _, path = kv.partition('=')
    with open(path, 'rb') as f:
        put(key, f.read())
    nobj += 1
print(nobj, nev)
