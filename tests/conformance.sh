#!/bin/sh
# tests/conformance.sh CORPUS - ingest every real sample file of the shared
# corpus (logs from other projects, see its SOURCES.md), each into a fresh
# store, and check: no crash or sanitizer report, every record stored or
# rejected with a reason, and the stored/rejected counts of
# tests/conformance.expect (counted independently, by jq, grep or by hand,
# as its comments say).  A corpus file missing from the manifest fails.
set -u
corpus=$1
manifest="$ROOT/tests/conformance.expect"
fail=0
n=0
for f in $(cd "$corpus" && find . -type f ! -name SOURCES.md | sed 's|^\./||' | sort); do
	line=$(grep -v '^#' "$manifest" | awk -v f="$f" '$1 == f')
	if [ -z "$line" ]; then
		echo "conformance: $f is not in tests/conformance.expect"; fail=1; continue
	fi
	set -- $line
	want_fmt=$2 want_events=$3 want_rejects=$4
	db="$TMPROOT/conf-$n.db"; n=$((n + 1))
	"$CORDON" --db "$db" ingest -q --json "$corpus/$f" > "$db.json" 2> "$db.err"
	rc=$?
	if [ $rc -ge 2 ] || grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$db.err"; then
		echo "conformance: $f: exit $rc"; sed 's/^/    /' "$db.err" | head -20; fail=1; continue
	fi
	got_fmt=$(jq -r '.inputs[0].format // "none"' "$db.json")
	got_events=$("$CORDON" --db "$db" events --limit 0 --format ndjson | wc -l | tr -d ' ')
	got_rejects=$("$CORDON" --db "$db" rejects --limit 0 --format ndjson | wc -l | tr -d ' ')
	# every reject carries a reason
	noreason=$("$CORDON" --db "$db" rejects --limit 0 --format ndjson | jq -c 'select(.reason == null or .reason == "")' | wc -l)
	if [ "$noreason" != 0 ]; then
		echo "conformance: $f: a reject without a reason"; fail=1
	fi
	if [ "$got_fmt" != "$want_fmt" ] || [ "$got_events" != "$want_events" ] || [ "$got_rejects" != "$want_rejects" ]; then
		echo "conformance: $f: got $got_fmt $got_events events $got_rejects rejects, want $want_fmt $want_events $want_rejects"
		fail=1
	else
		echo "conformance ok   $f ($got_fmt: $got_events events, $got_rejects rejects)"
	fi
done
exit $fail
