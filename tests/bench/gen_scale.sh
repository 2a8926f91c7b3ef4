#!/bin/sh
# tests/bench/gen_scale.sh - CloudTrail NDJSON for the ingest-scale bench
# (tests/bench/scale.sh): gen_scale.sh MODE COUNT FIRST SPAN SEED
#
#   later        the stored account of tests/bench/gen_corr.sh (111122223333,
#                us-east-1, its 2,000 identities, keys and usual addresses)
#                continuing after SPAN seconds, i.e. after everything a store
#                of SPAN * 20 of its events holds
#   interleaved  another account and region (444455556666, eu-west-1, its own
#                2,000 identities, keys and addresses) over the same SPAN
#                seconds the store covers, in time order
#
# FIRST numbers the event ids (distinct runs give distinct records).
set -eu
mode=$1 n=$2 first=$3 span=$4 seed=$5
awk -v mode="$mode" -v n="$n" -v first="$first" -v span="$span" -v seed="$seed" 'BEGIN {
	srand(seed); t0 = 1748000000
	for (i = 0; i < n; i++) {
		if (mode == "later")
			t = t0 + span + int(i / 20)
		else
			t = t0 + int(i * span / n)
		s = t % 60; m = int(t / 60) % 60; h = int(t / 3600) % 24
		d = 1 + int((t - t0) / 86400) % 28
		ts = sprintf("2025-06-%02dT%02d:%02d:%02dZ", d, h, m, s)
		k = first + i
		if (mode == "later") {
			u = k % 2000
			acct = "111122223333"; who = "svc"; key = sprintf("AKIABENCH%011d", u)
			ip = sprintf("52.1.%d.%d", u % 200, 3 + u % 50); region = "us-east-1"
		} else {
			u = int(rand() * 2000)
			acct = "444455556666"; who = "ops"; key = sprintf("AKIAOTHER%011d", u)
			ip = sprintf("34.%d.%d.%d", 10 + u % 40, u % 200, 7 + u % 90); region = "eu-west-1"
		}
		printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::%s:user/%s%d\",\"accessKeyId\":\"%s\",\"userName\":\"%s%d\"},\"eventTime\":\"%s\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"%s\",\"awsRegion\":\"%s\",\"sourceIPAddress\":\"%s\",\"userAgent\":\"aws-sdk-go/1.44 (go1.20; linux; amd64)\",\"eventID\":\"%s%019d\"}\n", acct, who, u, key, who, u, ts, (k % 3 ? "GetObject" : "PutObject"), region, ip, substr(mode, 1, 1), k
	}
}'
