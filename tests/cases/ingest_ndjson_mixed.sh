# NDJSON lines go to the parser whole (no byte-by-byte split) once records
# have been whole lines; anything else falls back to the splitter.  Every
# shape that can follow such lines keeps its records, places and bytes:
# a CRLF line, two records on one line, a one-line {"Records":[...]}
# wrapper, blank lines, a pretty-printed record, a broken line.
. "$ROOT/tests/cases/lib.sh"
command -v jq >/dev/null 2>&1 || die "jq is required"
ct_lines 2 0 > m.jsonl                                   # lines 1-2: ids 0, 1
ct_lines 1 2 | sed 's/$/\r/' >> m.jsonl                  # line 3: CRLF
printf '%s%s\n' "$(ct_lines 1 3)" "$(ct_lines 1 4)" >> m.jsonl   # line 4: two records
printf '{"Records":[%s,%s]}\n' "$(ct_lines 1 5)" "$(ct_lines 1 6)" >> m.jsonl  # line 5
printf '\n\n' >> m.jsonl                                 # lines 6-7: blank
ct_lines 1 7 | jq . >> m.jsonl                           # line 8 on: pretty
ct_lines 1 8 >> m.jsonl
echo '{"eventTime":"2025-06-03T10:00:00Z","eventSource":' >> m.jsonl  # broken
ct_lines 1 9 >> m.jsonl
set +e
"$CORDON" --db t.db ingest -q m.jsonl; rc=$?
set -e
expect_eq $rc 1 "exit status: one reject"
"$CORDON" --db t.db events --format ndjson --oldest --limit 0 --raw --show-secrets > ev
expect_eq "$(jq -r .ref ev | sed 's/.*-0*//; s/^$/0/' | sort -n | tr '\n' ' ')" "0 1 2 3 4 5 6 7 8 9 " "every record stored once"
line_of() { jq -r "select(.ref | endswith(\"$1\")) | .evidence.line" ev; }
raw_of() { jq -r "select(.ref | endswith(\"$1\")) | .raw" ev; }
expect_eq "$(line_of 000000000002)" 3 "CRLF line"
expect_eq "$(line_of 000000000004)" 4 "second record on line 4"
expect_eq "$(line_of 000000000006)" 5 "wrapped record"
expect_eq "$(line_of 000000000007)" 8 "pretty record starts on line 8"
pretty_end=$((8 + $(ct_lines 1 7 | jq . | wc -l)))
expect_eq "$(line_of 000000000008)" $pretty_end "NDJSON after the pretty record"
# the stored bytes are the record's own: no CR, no neighbour, no wrapper
expect_eq "$(raw_of 000000000002)" "$(ct_lines 1 2)" "CRLF record bytes"
expect_eq "$(raw_of 000000000003)" "$(ct_lines 1 3)" "first of two on a line"
expect_eq "$(raw_of 000000000005)" "$(ct_lines 1 5)" "wrapped record bytes"
"$CORDON" --db t.db rejects --format ndjson > rj
expect_eq "$(wc -l < rj | tr -d ' ')" 1 "one reject"
expect_eq "$(jq -r .line rj)" $((pretty_end + 1)) "reject line"
