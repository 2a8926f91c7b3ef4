# store_create_race.sh - writers started together on stores that do not
# exist yet all succeed: the schema is created and migrated under the write
# lock, and the version is read again inside that transaction.  N pairs of
# `ingest` and `correlate`, each pair on its own new store, all at once.
. "$ROOT/tests/cases/lib.sh"
ct_lines 5 0 > a.jsonl
n=8
pids=""
i=0
while [ $i -lt $n ]; do
	"$CORDON" --db "r$i.db" ingest -q a.jsonl > "ing$i.out" 2>&1 &
	pids="$pids $!:ing$i"
	"$CORDON" --db "r$i.db" correlate > "cor$i.out" 2>&1 &
	pids="$pids $!:cor$i"
	i=$((i + 1))
done
for p in $pids; do
	set +e; wait ${p%%:*}; rc=$?; set -e
	case ${p#*:} in
	ing*) [ $rc = 0 ] || die "ingest on a new store beside correlate: rc $rc: $(cat ${p#*:}.out)" ;;
	cor*) [ $rc = 0 ] || [ $rc = 1 ] || die "correlate on a new store beside ingest: rc $rc: $(cat ${p#*:}.out)" ;;
	esac
done
i=0
while [ $i -lt $n ]; do
	expect_eq "$(sqlite3 "r$i.db" 'PRAGMA user_version')" $STORE_SCHEMA "schema version of r$i.db"
	expect_eq "$(sqlite3 "r$i.db" 'PRAGMA application_id')" 1129271876 "application_id of r$i.db"
	expect_eq "$(sqlite3 "r$i.db" 'SELECT count(*) FROM events')" 5 "events in r$i.db"
	i=$((i + 1))
done
echo "store create race ok"
