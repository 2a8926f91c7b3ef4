# Progress on a terminal counts what the file sizes count: for a compressed
# input its compressed bytes, so the percentage never passes 100% and the
# ETA is real; it shows a byte rate and an event rate.  Off the terminal
# (stderr piped) there is no progress line at all.  Directory walks read
# only what a format recognises with confidence: a README, a Makefile and
# notes beside the logs are noted, not rejected.
. "$ROOT/tests/cases/lib.sh"
ct_lines 60000 0 > big.jsonl
gzip -c big.jsonl > big.jsonl.gz
script -qec "\"$CORDON\" --db t.db ingest big.jsonl.gz" /dev/null > tty.out 2>&1 || die "ingest under a pty: $(tail -c 400 tty.out)"
tr '\r' '\n' < tty.out | grep 'MiB (' > lines || die "no progress line: $(tail -c 400 tty.out)"
grep -q 'MiB/s, [0-9]* events/s' lines || die "no rates: $(tail -3 lines)"
pct=$(sed -n 's/.*MiB (\([0-9]*\)%).*/\1/p' lines | sort -n | tail -1)
[ -n "$pct" ] && [ "$pct" -le 100 ] || die "progress passes 100% on compressed input: $pct% ($(tail -2 lines))"
total=$(sed -n 's/.* \/ \([0-9.]*\) MiB (.*/\1/p' lines | tail -1)
size=$(awk -v b="$(stat -c %s big.jsonl.gz)" 'BEGIN { printf "%.1f", b / 1048576 }')
expect_eq "$total" "$size" "progress total is the compressed file's size"
"$CORDON" --db t2.db ingest -q big.jsonl.gz 2> piped.err
[ -s piped.err ] && die "progress or noise with stderr piped: $(head -c 200 piped.err)"

# a directory of logs with a README, a Makefile and notes beside them
mkdir -p case/logs
cp "$ROOT/examples/incident/falco.json" case/logs/
cp "$ROOT/README.md" "$ROOT/Makefile" case/logs/
printf 'path "secret/*" is mentioned here, and capabilities too\nhello\n' > case/logs/notes.txt
set +e; "$CORDON" --db d.db ingest -o json case > d.json 2> d.err; rc=$?; set -e
expect_eq $rc 0 "README and notes beside the logs are not rejects"
jq -e '.rejects == 0 and ([.inputs[] | select(.unknown_format)] | length) == 3 and ([.inputs[] | select(.format == "falco")] | length) == 1' d.json > /dev/null ||
	die "directory walk: $(cat d.json)"
"$CORDON" --db d.db ingest case/logs/README.md > /dev/null 2>&1 && die "a file named on the command line in no known format must fail"
"$CORDON" --db d.db ingest case > d.txt
grep -q "README.md (skipped: not a log or inventory of a known format)" d.txt || die "table note: $(cat d.txt)"
