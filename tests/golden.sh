#!/bin/sh
# tests/golden.sh FILE - ingest one fixture into a fresh store and compare the
# normalized events and rejects with FILE.ref (diff -u).  The format is
# probed, not forced, so probing is tested too.  UPDATE_GOLDEN=1 rewrites the
# .ref: review every changed line by hand before committing it.
set -u
f=$1
ref="${f%.*}.ref"
case "$f" in *.gz) ref="${f%.*.*}.ref" ;; esac
db="$TMPROOT/golden-$$.db"
out="$TMPROOT/golden-$$.out"
rm -f "$db"*
"$CORDON" --db "$db" ingest -q "$f"
rc=$?
{
	echo "# ingest exit $rc"
	"$CORDON" --db "$db" events --oldest --limit 0 --format ndjson --show-secrets
	"$CORDON" --db "$db" rejects --limit 0 --format ndjson
} | sed "s|$ROOT/||g; s|\"id\":[0-9]*,||" > "$out"
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
	cp "$out" "$ref"
	exit 0
fi
if [ ! -f "$ref" ]; then
	echo "golden: no $ref (generate with UPDATE_GOLDEN=1, then check it by hand)"
	exit 1
fi
diff -u "$ref" "$out"
