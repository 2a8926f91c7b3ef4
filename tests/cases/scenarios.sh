# The scenario corpus (tests/scenarios/S1..S10) scores the correlator: for each
# scenario, a fresh store with its inventory, benign history and attack must
# ingest without a reject and `cordon correlate --format json` must report the
# truth (tests/scenarios/score.sh); a second store with the inventory and the
# benign history only must open no incident.
. "$ROOT/tests/cases/lib.sh"
command -v jq >/dev/null 2>&1 || die "jq is required"
S="$ROOT/tests/scenarios"
fails=""
note() { echo "$*"; fails="$fails
  $*"; }
# ingest_all DB DIR...: ingest, then insist on no rejects
ingest_all() {
	db=$1; shift
	set +e
	"$CORDON" --db "$db" ingest -q "$@"; rc=$?
	set -e
	nrej=$("$CORDON" --db "$db" rejects --limit 0 --format json | jq '.rejects | length')
	if [ "$rc" != 0 ] || [ "$nrej" != 0 ]; then
		"$CORDON" --db "$db" rejects --limit 5 >&2 || true
		return 1
	fi
	return 0
}
correlate() { # correlate DB OUT: exit 0 (nothing new) or 1 (incidents) are both fine
	set +e
	"$CORDON" --db "$1" correlate --format json > "$2"; rc=$?
	set -e
	[ "$rc" = 0 ] || [ "$rc" = 1 ]
}
n=0
for d in "$S"/S*/; do
	s=$(basename "$d")
	[ -f "$d/truth.json" ] || continue
	n=$((n + 1))
	echo "== $s"
	rm -f "$s.db" "$s.db-wal" "$s.db-shm"
	if ! ingest_all "$s.db" "$d/inventory" "$d/benign" "$d/attack"; then
		note "$s: ingest rejected records"
		continue
	fi
	if ! correlate "$s.db" "$s.json"; then
		note "$s: correlate failed"
		continue
	fi
	sh "$S/score.sh" "$s.json" "$d/truth.json" || note "$s: truth not met (see the table above)"
	# idempotent: a second run finds nothing new and changes nothing
	set +e
	again=$("$CORDON" --db "$s.db" correlate --format json); rc=$?
	set -e
	[ "$rc" = 0 ] && [ "$(echo "$again" | jq '.incidents | length')" = 0 ] \
		|| note "$s: a second correlate run was not a no-op (exit $rc)"
	# benign only: no incident
	rm -f "$s-benign.db" "$s-benign.db-wal" "$s-benign.db-shm"
	if ! ingest_all "$s-benign.db" "$d/inventory" "$d/benign"; then
		note "$s: benign ingest rejected records"
		continue
	fi
	if ! correlate "$s-benign.db" "$s-benign.json"; then
		note "$s: correlate (benign) failed"
		continue
	fi
	sh "$S/score.sh" --benign "$s-benign.json" || note "$s: incident on benign-only data"
done
[ "$n" -ge 1 ] || die "no scenarios under $S"
[ -z "$fails" ] || die "scenarios:$fails"
echo "$n scenarios passed"
