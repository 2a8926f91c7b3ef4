#!/bin/sh
# gen_mixed.sh DIR COUNT FIRST SEED - interleaved sources for the correlator:
# DIR/ct.jsonl (CloudTrail: 2,000 identities from their usual addresses,
# 1 in 500 calls from a new one), DIR/falco.json (Falco alerts of 1,000
# containers, among them IMDS connects and release_agent writes: escapes),
# DIR/audit.log (auditd openat/execve of 200 nodes, a token read now and
# then).  Event ids are FIRST..FIRST+COUNT-1 (distinct across calls); the
# shares are 60% CloudTrail, 20% Falco, 20% auditd.
set -eu
D=$1 N=$2 F=$3 SEED=$4
mkdir -p "$D"
awk -v n="$N" -v first="$F" -v seed="$SEED" -v d="$D" 'BEGIN {
	srand(seed); t0 = 1748000000
	ct = d "/ct.jsonl"; fa = d "/falco.json"; au = d "/audit.log"
	for (i = first; i < first + n; i++) {
		t = t0 + int(i / 20); s = t % 60; m = int(t / 60) % 60; h = int(t / 3600) % 24
		dd = 1 + int((t - t0) / 86400) % 28
		ts = sprintf("2025-06-%02dT%02d:%02d:%02dZ", dd, h, m, s)
		r = i % 10
		if (r < 6) {
			u = i % 2000
			ip = (i % 500 == 7) ? sprintf("198.51.%d.%d", int(rand() * 250), int(rand() * 250)) : sprintf("52.1.%d.%d", u % 200, 3 + u % 50)
			printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/svc%d\",\"accessKeyId\":\"AKIAMIXED%011d\",\"userName\":\"svc%d\"},\"eventTime\":\"%s\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"%s\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"%s\",\"userAgent\":\"aws-sdk-go/1.44 (go1.20; linux; amd64)\",\"eventID\":\"m%019d\"}\n", u, u, u, ts, (i % 3 ? "GetObject" : "PutObject"), ip, i > ct
		} else if (r < 8) {
			c = i % 1000
			if (i % 4000 == 6) {
				rule = "Contact cloud metadata service from container"; fd = "10.0.1.87:51514->169.254.169.254:80"; exe = "/usr/bin/curl"; ev = "connect"; pr = "Notice"
			} else if (i % 9000 == 16) {
				rule = "Detect release_agent File Container Escapes"; fd = "/tmp/cgrp/release_agent"; exe = "/bin/sh"; ev = "openat"; pr = "Critical"
			} else {
				rule = "Terminal shell in container"; fd = "/dev/pts/0"; exe = "/bin/bash"; ev = "execve"; pr = "Notice"
			}
			printf "{\"output\":\"alert\",\"priority\":\"%s\",\"rule\":\"%s\",\"time\":\"%s\",\"hostname\":\"node%d\",\"uuid\":\"f%019d\",\"output_fields\":{\"container.id\":\"%012x\",\"fd.name\":\"%s\",\"proc.exepath\":\"%s\",\"proc.pid\":%d,\"evt.type\":\"%s\"}}\n", pr, rule, ts, c % 200, i, c + 1, fd, exe, 1000 + i % 30000, ev > fa
		} else {
			node = i % 200
			name = (i % 3000 == 8) ? "/var/run/secrets/kubernetes.io/serviceaccount/token" : sprintf("/var/lib/app/data%d.db", i % 97)
			printf "node=node%d type=SYSCALL msg=audit(%d.%03d:%d): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=0 a3=0 items=1 ppid=1 pid=%d auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"cat\" exe=\"/bin/cat\" key=\"files\"\n", node, t, i % 1000, i, 2000 + i % 30000 > au
			printf "node=node%d type=PATH msg=audit(%d.%03d:%d): item=0 name=\"%s\" inode=7001 dev=00:1c mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n", node, t, i % 1000, i, name > au
			printf "node=node%d type=EOE msg=audit(%d.%03d:%d): \n", node, t, i % 1000, i > au
		}
	}
}'
