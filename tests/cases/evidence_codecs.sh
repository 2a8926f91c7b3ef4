# Evidence segments: new ones are zstd (codec 3); raw-deflate segments
# (codec 2) written by cordon before schema 4 still read back byte for byte.
. "$ROOT/tests/cases/lib.sh"
ct_lines 3000 0 > a.jsonl
"$CORDON" --db t.db ingest -q a.jsonl
expect_eq "$(sqlite3 t.db 'SELECT group_concat(DISTINCT codec) FROM evidence_segments')" 3 "new segments are zstd"
[ "$(sqlite3 t.db 'SELECT count(*) FROM evidence_segments')" -ge 1 ] || die "no segments"
# every record comes back exactly as the file holds it
"$CORDON" --db t.db events --raw --limit 0 --oldest --format ndjson | jq -r .raw > back.jsonl
cmp back.jsonl a.jsonl || die "zstd evidence differs from the input"
# the same store with its segments rewritten as raw deflate, the way an
# older cordon wrote them: the segment bytes are the records in seg_off
# order, taken from the input file by each event's pointer
cp t.db old.db
python3 - old.db a.jsonl <<'EOF'
import sqlite3, sys, zlib
db = sqlite3.connect(sys.argv[1])
data = open(sys.argv[2], 'rb').read()
for (seg,) in db.execute('SELECT id FROM evidence_segments').fetchall():
    raw = b''
    for off, n, seg_off in db.execute(
            'SELECT offset, raw_len, seg_off FROM events WHERE seg_id = ? ORDER BY seg_off', (seg,)):
        assert seg_off == len(raw), 'records are contiguous in a segment'
        raw += data[off:off + n]
    z = zlib.compressobj(1, zlib.DEFLATED, -15)
    blob = z.compress(raw) + z.flush()
    db.execute('UPDATE evidence_segments SET codec = 2, raw_len = ?, data = ? WHERE id = ?',
               (len(raw), blob, seg))
db.commit()
EOF
expect_eq "$(sqlite3 old.db 'SELECT group_concat(DISTINCT codec) FROM evidence_segments')" 2 "rewritten as deflate"
"$CORDON" --db old.db events --raw --limit 0 --oldest --format ndjson | jq -r .raw > old.jsonl
cmp old.jsonl a.jsonl || die "deflate evidence differs from the input"
# a damaged frame costs that record's raw bytes (null), not a crash or wrong bytes
sqlite3 t.db "UPDATE evidence_segments SET data = substr(data, 1, length(data) / 2)"
"$CORDON" --db t.db events --raw --limit 1 --format ndjson > bad.out
expect_eq "$(jq -c .raw bad.out)" null "raw bytes of a truncated frame"
