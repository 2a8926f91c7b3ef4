#!/bin/sh
# tests/bench/gen_corr.sh COUNT FIRST_ID SEED - the correlate bench's case
# (tests/bench/correlate.sh; also the stored case of tests/bench/scale.sh):
# NDJSON lines, a mix of three sources: CloudTrail traffic of 2,000
# identities of account 111122223333 from their usual addresses (6 in 10),
# Kubernetes audit of 500 service accounts (2 in 10), Tetragon execs of
# 1,000 containers (2 in 10), 20 events a second from 2025-06-01, then a few
# escapes (IMDS credential theft replayed from outside).
set -eu
awk -v n="$1" -v first="$2" -v seed="$3" 'BEGIN {
	srand(seed); t0 = 1748000000
	for (i = first; i < first + n; i++) {
		t = t0 + int(i / 20); s = t % 60; m = int(t / 60) % 60; h = int(t / 3600) % 24
		d = 1 + int((t - t0) / 86400) % 28
		ts = sprintf("2025-06-%02dT%02d:%02d:%02dZ", d, h, m, s)
		r = i % 10
		if (r < 6) {
			u = i % 2000
			printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/svc%d\",\"accessKeyId\":\"AKIABENCH%011d\",\"userName\":\"svc%d\"},\"eventTime\":\"%s\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"%s\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"52.1.%d.%d\",\"userAgent\":\"aws-sdk-go/1.44 (go1.20; linux; amd64)\",\"eventID\":\"b%019d\"}\n", u, u, u, ts, (i % 3 ? "GetObject" : "PutObject"), u % 200, 3 + u % 50, i
		} else if (r < 8) {
			a = i % 500
			printf "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"k%019d\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/ns%d/configmaps\",\"verb\":\"list\",\"user\":{\"username\":\"system:serviceaccount:ns%d:app%d\",\"groups\":[\"system:serviceaccounts\"]},\"sourceIPs\":[\"10.0.%d.%d\"],\"userAgent\":\"app/1.0 client-go\",\"objectRef\":{\"resource\":\"configmaps\",\"namespace\":\"ns%d\",\"apiVersion\":\"v1\"},\"responseStatus\":{\"code\":200},\"requestReceivedTimestamp\":\"%s\",\"stageTimestamp\":\"%s\"}\n", i, a, a, a, 2 + a % 200, 10 + a % 200, a, ts, ts
		} else {
			c = i % 1000
			printf "{\"process_exec\":{\"process\":{\"exec_id\":\"e%d\",\"pid\":%d,\"uid\":1000,\"cwd\":\"/app\",\"binary\":\"/usr/bin/worker\",\"arguments\":\"--job %d\",\"start_time\":\"%s\",\"pod\":{\"namespace\":\"ns%d\",\"name\":\"w%d\",\"container\":{\"id\":\"containerd://%064x\",\"name\":\"w\",\"image\":{\"name\":\"registry/worker:1\"}}}},\"parent\":{\"binary\":\"/bin/sh\"}},\"node_name\":\"node%d\",\"time\":\"%s\"}\n", i, 1000 + i % 30000, i, ts, c % 500, c, c + 1, c % 50, ts
		}
	}
	# escapes: an IMDS connect and a release_agent write from a container,
	# then a key used from outside
	for (e = 0; e < 5; e++) {
		ts = sprintf("2025-06-20T1%d:00:00Z", e); ts2 = sprintf("2025-06-20T1%d:00:40Z", e)
		printf "{\"output\":\"imds\",\"priority\":\"Notice\",\"rule\":\"Contact cloud metadata service from container\",\"time\":\"%s\",\"hostname\":\"node%d\",\"output_fields\":{\"container.id\":\"%012x\",\"fd.name\":\"10.0.1.87:51514->169.254.169.254:80\",\"proc.exepath\":\"/usr/bin/curl\",\"proc.pid\":%d,\"evt.type\":\"connect\"}}\n", ts, e, e + 1 + seed * 10, 40000 + e
		printf "{\"output\":\"release_agent\",\"priority\":\"Critical\",\"rule\":\"Detect release_agent File Container Escapes\",\"time\":\"%s\",\"hostname\":\"node%d\",\"output_fields\":{\"container.id\":\"%012x\",\"fd.name\":\"/tmp/cgrp/release_agent\",\"proc.exepath\":\"/bin/sh\",\"proc.pid\":%d,\"evt.type\":\"openat\"}}\n", ts, e, e + 1 + seed * 10, 40100 + e
		printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/svc%d\",\"accessKeyId\":\"AKIABENCH%011d\",\"userName\":\"svc%d\"},\"eventTime\":\"%s\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"GetCallerIdentity\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.66\",\"userAgent\":\"aws-cli/2.17.0\",\"eventID\":\"x%d%018d\"}\n", e, e, e, ts2, seed, e
	}
}'
