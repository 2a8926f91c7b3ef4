# gzip is found by magic bytes, not by name; a truncated gzip keeps all
# complete records before the break and records the break.
. "$ROOT/tests/cases/lib.sh"
ct_lines 2000 0 > plain.jsonl
gzip -c plain.jsonl > looks-plain.log
"$CORDON" --db t.db ingest -q looks-plain.log
expect_eq "$(count t.db)" 2000 "gzip by magic"
size=$(wc -c < looks-plain.log)
head -c $((size * 2 / 3)) looks-plain.log > cut.gz
set +e
"$CORDON" --db u.db ingest -q cut.gz; rc=$?
set -e
expect_eq $rc 1 "truncated gzip exit"
got=$(count u.db)
# everything before the break: as many records as zcat recovers whole lines
want=$(zcat cut.gz 2>/dev/null | grep -c '}$' || true)
expect_eq "$got" "$want" "records kept before the break"
[ "$got" -gt 500 ] || die "too few kept: $got"
"$CORDON" --db u.db rejects | grep -q "breaks off" || die "truncation not recorded"
# concatenated gzip members read as one stream
ct_lines 5 9000 | gzip -c > multi.gz
ct_lines 5 9100 | gzip -c >> multi.gz
"$CORDON" --db v.db ingest -q multi.gz
expect_eq "$(count v.db)" 10 "multi-member gzip"
