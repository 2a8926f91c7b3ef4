#!/bin/sh
# tests/bench/correlate.sh - the correlator on a large store (part of
# `make bench`; not a test, never fails on timing).
#
# A store of N events (default 10,000,000): CloudTrail traffic of 2,000
# identities from their usual addresses, Kubernetes audit traffic of 500
# service accounts, Tetragon execs of 1,000 containers, and a few escapes
# (IMDS credential theft replayed from outside).  Prints: one SQLite scan
# of the events table (the anchor), the full correlation (time, peak RSS,
# ratio to the scan), then an incremental run over 100,000 new events
# (target < 2 s).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORDON=${CORDON:-$ROOT/cordon}
W=$ROOT/build/bench/corr
N=${CORDON_BENCH_CORR_EVENTS:-10000000}
mkdir -p "$W"
TIME=/usr/bin/time

gen() { # gen COUNT FIRST_ID SEED: NDJSON lines, a mix of three sources
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
}

echo "== correlate: a store of $N events"
# the cached store is reused only when made for this N by this schema
rm -f "$W/probe.db"* && : > "$W/empty" && "$CORDON" --db "$W/probe.db" ingest -q "$W/empty" || true
want="$N schema $(sqlite3 "$W/probe.db" 'PRAGMA user_version')"
rm -f "$W/probe.db"*
if [ ! -f "$W/store.pristine.db" ] || [ "$(cat "$W/n" 2>/dev/null)" != "$want" ]; then
	rm -f "$W"/store.db*
	gen "$N" 0 1 > "$W/base.jsonl"
	# one source per file so probing picks the right ingester
	grep '^{"eventVersion"' "$W/base.jsonl" > "$W/base-ct.jsonl"
	grep '^{"kind":"Event"' "$W/base.jsonl" > "$W/base-k8s.jsonl"
	grep '^{"process_exec"' "$W/base.jsonl" > "$W/base-tg.jsonl"
	grep '^{"output"' "$W/base.jsonl" > "$W/base-falco.jsonl"
	rm "$W/base.jsonl"
	$TIME -f '%e %M' -o "$W/t" "$CORDON" --db "$W/store.db" ingest --quiet \
		"$W/base-ct.jsonl" "$W/base-k8s.jsonl" "$W/base-tg.jsonl" "$W/base-falco.jsonl" >/dev/null || true
	read -r secs kib < "$W/t"
	printf "  ingest       %s s, %s events/s, peak RSS %s MiB\n" "$secs" \
		"$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')" "$((kib / 1024))"
	echo "$want" > "$W/n"
	cp "$W/store.db" "$W/store.pristine.db"
else
	cp "$W/store.pristine.db" "$W/store.db"
	rm -f "$W/store.db-wal" "$W/store.db-shm"
fi
ev=$(sqlite3 "$W/store.db" 'SELECT count(*) FROM events')
$TIME -f '%e' -o "$W/t" sqlite3 "$W/store.db" \
	"SELECT count(*), sum(length(actor)), sum(length(action)), sum(length(src_ip)) FROM events" >/dev/null
scan=$(cat "$W/t")
printf "  events       %s\n" "$ev"
printf "  anchor       one SQLite scan of the events table: %s s\n" "$scan"
$TIME -f '%e %M' -o "$W/t" "$CORDON" --db "$W/store.db" correlate --format text > "$W/out" || true
read -r full rss <<EOF2
$(tail -n 1 "$W/t")
EOF2
printf "  full run     %s s, peak RSS %s MiB (%s x one scan)\n" "$full" "$((rss / 1024))" \
	"$(awk -v a="$full" -v b="$scan" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
sed 's/^/               /' "$W/out" | head -3
gen 100000 "$N" 2 > "$W/new.jsonl"
grep '^{"eventVersion"' "$W/new.jsonl" > "$W/new-ct.jsonl"
grep '^{"kind":"Event"' "$W/new.jsonl" > "$W/new-k8s.jsonl"
grep '^{"process_exec"' "$W/new.jsonl" > "$W/new-tg.jsonl"
grep '^{"output"' "$W/new.jsonl" > "$W/new-falco.jsonl"
$TIME -f '%e' -o "$W/t" "$CORDON" --db "$W/store.db" ingest --quiet "$W"/new-*.jsonl >/dev/null || true
printf "  ingest       100,000 new events into the full store: %s s\n" "$(tail -n 1 "$W/t")"
$TIME -f '%e' -o "$W/t" "$CORDON" --db "$W/store.db" correlate --format text > "$W/out" || true
printf "  incremental  100,000 new events: %s s (target < 2 s)\n" "$(tail -n 1 "$W/t")"
sed 's/^/               /' "$W/out" | head -3

# ---- interleaved sources: CloudTrail, Falco, auditd (tests/bench/gen_mixed.sh) ----
# The same 60,000 new events on a store of 100,000 and on one of N: a run's
# cost should follow the new events, not the store (target: within 1.5x);
# each run's longest write transaction is the store's own timing.
NM=${CORDON_BENCH_MIXED_EVENTS:-$N}
GEN="$ROOT/tests/bench/gen_mixed.sh"
echo "== correlate: interleaved sources (CloudTrail, Falco, auditd), $NM events"
wantm="$NM mixed schema $(sqlite3 "$W/store.db" 'PRAGMA user_version')"
if [ ! -f "$W/mixed.pristine.db" ] || [ "$(cat "$W/nm" 2>/dev/null)" != "$wantm" ]; then
	rm -f "$W"/mixed.db* "$W/mixed.pristine.db"
	sh "$GEN" "$W/mixed-base" "$NM" 0 1
	"$CORDON" --db "$W/mixed.db" ingest --quiet "$W/mixed-base/ct.jsonl" "$W/mixed-base/falco.json" \
		"$W/mixed-base/audit.log" >/dev/null || true
	rm -rf "$W/mixed-base"
	cp "$W/mixed.db" "$W/mixed.pristine.db"
	echo "$wantm" > "$W/nm"
else
	cp "$W/mixed.pristine.db" "$W/mixed.db"
	rm -f "$W/mixed.db-wal" "$W/mixed.db-shm"
fi
mixed_run() { # mixed_run DB LABEL: one correlate run, its time and longest write
	$TIME -f '%e %M' -o "$W/t" "$CORDON" --db "$1" correlate --format text > "$W/out" || true
	read -r secs kib < "$W/t"
	printf "  %-44s %s s, peak RSS %s MiB, longest write %s ms\n" "$2" "$secs" "$((kib / 1024))" \
		"$(sqlite3 "$1" "SELECT value / 1000 FROM meta WHERE key = 'correlate.longest_write_us'")"
}
mixed_add() { # mixed_add DB COUNT FIRST SEED
	rm -rf "$W/mixed-new"
	sh "$GEN" "$W/mixed-new" "$2" "$3" "$4"
	"$CORDON" --db "$1" ingest --quiet "$W/mixed-new/ct.jsonl" "$W/mixed-new/falco.json" \
		"$W/mixed-new/audit.log" >/dev/null || true
}
mixed_run "$W/mixed.db" "full run, $NM events"
mixed_add "$W/mixed.db" 100000 "$NM" 2
mixed_run "$W/mixed.db" "incremental: 100,000 new events"
mixed_add "$W/mixed.db" 60000 $((NM + 100000)) 3
mixed_run "$W/mixed.db" "incremental: 60,000 new on the large store"
rm -f "$W"/small.db*
mixed_add "$W/small.db" 100000 0 1
"$CORDON" --db "$W/small.db" correlate > /dev/null 2>&1 || true
mixed_add "$W/small.db" 60000 100000 3
mixed_run "$W/small.db" "incremental: 60,000 new on a 100,000 store"
rm -rf "$W/mixed-new" "$W"/small.db*
