# gzip and zstd inputs: found by magic bytes, not by name; read exactly like
# the plain file; members or frames one after another are one stream; a
# stream cut short keeps every complete record before the break and
# records the break.  Then what only one of them has: a zstd stream
# corrupt in the middle says why, and a zstd frame that asks for an
# oversized window is refused with what to do instead.
. "$ROOT/tests/cases/lib.sh"
ct_lines 2000 0 > plain.jsonl
"$CORDON" --db p.db ingest -q plain.jsonl
cols='SELECT ts_ns, actor, action, ref, offset, line, raw_len FROM events ORDER BY id'
plain_rows=$(sqlite3 p.db "$cols" | sha256sum)

for z in gzip zstd; do
	"$z" -q -c plain.jsonl > "$z-looks-plain.log"
	"$CORDON" --db "$z.db" ingest -q "$z-looks-plain.log"
	expect_eq "$(count "$z.db")" 2000 "$z by magic"
	expect_eq "$(sqlite3 "$z.db" "$cols" | sha256sum)" "$plain_rows" \
		"$z: the same rows, offsets and lines as the plain file"
	"$CORDON" --db p.db ingest --json "$z-looks-plain.log" > "$z-dup.json"
	expect_eq "$(jq '.inputs[0].events, .inputs[0].duplicates' "$z-dup.json" | tr '\n' ' ')" \
		"0 2000 " "$z: a compressed copy of stored records adds nothing"

	ct_lines 5 9000 | "$z" -q -c > "$z-multi"
	ct_lines 5 9100 | "$z" -q -c >> "$z-multi"
	"$CORDON" --db "$z-multi.db" ingest -q "$z-multi"
	expect_eq "$(count "$z-multi.db")" 10 "$z: two members or frames read as one stream"

	# cut two thirds of the way: as many records as the tool itself
	# recovers as whole lines
	size=$(wc -c < "$z-looks-plain.log")
	head -c $((size * 2 / 3)) "$z-looks-plain.log" > "$z-cut"
	set +e
	"$CORDON" --db "$z-cut.db" ingest -q "$z-cut"; rc=$?
	set -e
	expect_eq $rc 1 "$z: truncated stream exit"
	got=$(count "$z-cut.db")
	want=$("$z" -d -c < "$z-cut" 2>/dev/null | grep -c '}$' || true)
	expect_eq "$got" "$want" "$z: records kept before the break"
	[ "$got" -gt 500 ] || die "$z: too few kept: $got"
	"$CORDON" --db "$z-cut.db" rejects | grep -q "breaks off" || die "$z: truncation not recorded"
done

# zstd corrupt in the middle (no checksum, so the decoder itself finds the
# damage): records before it are kept, and the reason is the decoder's
ct_lines 20000 0 | zstd -q --no-check -c > whole.zst
size=$(wc -c < whole.zst)
head -c $((size / 2)) whole.zst > bad.zst
head -c 64 /dev/zero >> bad.zst
tail -c +$((size / 2 + 65)) whole.zst >> bad.zst
set +e
"$CORDON" --db bad.db ingest -q bad.zst; rc=$?
set -e
expect_eq $rc 1 "corrupt zstd exit"
[ "$(count bad.db)" -gt 1000 ] || die "records before the damage lost: $(count bad.db)"
[ "$(count bad.db)" -lt 20000 ] || die "damage not noticed"
"$CORDON" --db bad.db rejects | grep -q 'breaks off at compressed byte [0-9]* (' ||
	die "no decoder reason for the corrupt frame"

# a window over 128 MiB is refused before any memory is taken for it
ct_lines 100 0 | zstd -q --long=28 -c > wide.zst
set +e
"$CORDON" --db wide.db ingest -q wide.zst; rc=$?
set -e
expect_eq $rc 1 "oversized window exit"
expect_eq "$(count wide.db)" 0 "nothing from the refused frame"
"$CORDON" --db wide.db rejects | grep -q -- '--long=31' || die "no advice for the wide frame"

# an empty frame is an empty input, not a broken one
printf '' | zstd -q -c > empty.zst
"$CORDON" --db empty.db ingest --json empty.zst > empty.json
expect_eq "$(jq -r '.inputs[0].format, .inputs[0].rejects' empty.json | tr '\n' ' ')" "empty 0 " \
	"empty zstd frame"
