# store_create_race.sh - two writers started together on a store that does
# not exist yet both succeed: the schema is created and migrated under the
# write lock, and the version is read again inside that transaction.
. "$ROOT/tests/cases/lib.sh"
ct_lines 5 0 > a.jsonl
i=0
while [ $i -lt 12 ]; do
	"$CORDON" --db "r$i.db" ingest -q a.jsonl > "ing$i.out" 2>&1 &
	p1=$!
	"$CORDON" --db "r$i.db" correlate > "cor$i.out" 2>&1 &
	p2=$!
	set +e; wait $p1; r1=$?; wait $p2; r2=$?; set -e
	[ $r1 = 0 ] || die "ingest on a new store beside correlate: rc $r1: $(cat ing$i.out)"
	[ $r2 = 0 ] || [ $r2 = 1 ] || die "correlate on a new store beside ingest: rc $r2: $(cat cor$i.out)"
	expect_eq "$(sqlite3 "r$i.db" 'PRAGMA user_version')" 4 "schema version of r$i.db"
	i=$((i + 1))
done
echo "store create race ok"
