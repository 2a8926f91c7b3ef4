# Lineage learned by the ingest writer, as events are stored, is the same
# graph the catch-up pass learns by reading the events back: for every
# scenario, the event-learned edges (with the event each cites) of a store
# ingested normally equal those of the same store after its learned edges
# and mark are wiped and `cordon correlate` relearns them.  The mark also
# has to have moved: a normal ingest leaves the catch-up pass nothing.  The
# same for a GitHub job's GCP impersonation (tests/workloads/ci/gcp).
. "$ROOT/tests/cases/lib.sh"
S="$ROOT/tests/scenarios"
for sc in "$S"/S*; do
	n=$(basename "$sc")
	db=$n.db
	set +e
	"$CORDON" --db "$db" ingest -q "$sc/inventory" "$sc/benign" "$sc/attack"
	set -e
	learned_as_caught_up "$db" "$n"
done
# a GitHub job's federated principal impersonating a GCP service account
# (GenerateAccessToken: principal -> assumed -> account), learned both ways
W="$ROOT/tests/workloads/ci/gcp"
"$CORDON" --db wif.db ingest -q "$W/inventory" "$W/logs"
learned_as_caught_up wif.db wif
expect_eq "$(grep -c '|assumed|identity:gcp:deployer@' wif.ingest)" 1 "wif: the principal's impersonation learned"
# the comparison compared something
[ "$learned_total" -gt 20 ] || die "only $learned_total event-learned edges across the scenarios"
echo "event-learned edges compared: $learned_total"
