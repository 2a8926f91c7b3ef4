# Lineage learned by the ingest writer, as events are stored, is the same
# graph the catch-up pass learns by reading the events back: for every
# scenario, the event-learned edges (with the event each cites) of a store
# ingested normally equal those of the same store after its learned edges
# and mark are wiped and `cordon correlate` relearns them.  The mark also
# has to have moved: a normal ingest leaves the catch-up pass nothing.
. "$ROOT/tests/cases/lib.sh"
S="$ROOT/tests/scenarios"
edges() { # edges DB: event-learned edges, by keys, with their event
	sqlite3 "$1" "SELECT s.kind || ':' || s.key, e.type, d.kind || ':' || d.key, e.origin_event
		FROM graph_edges e JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst
		WHERE e.origin = 'event' ORDER BY 1, 2, 3"
}
total=0
for sc in "$S"/S*; do
	n=$(basename "$sc")
	db=$n.db
	set +e
	"$CORDON" --db "$db" ingest -q "$sc/inventory" "$sc/benign" "$sc/attack"
	set -e
	expect_eq "$(sqlite3 "$db" "SELECT value FROM meta WHERE key = 'graph_learned_event'")" \
		"$(sqlite3 "$db" 'SELECT max(id) FROM events')" "$n: learned mark after ingest"
	edges "$db" > "$n.ingest"
	sqlite3 "$db" "DELETE FROM graph_edges WHERE origin = 'event';
		UPDATE meta SET value = 0 WHERE key = 'graph_learned_event'"
	set +e
	"$CORDON" --db "$db" correlate > /dev/null 2>&1
	set -e
	edges "$db" > "$n.catchup"
	diff "$n.ingest" "$n.catchup" > /dev/null || die "$n: learned at ingest differs from the catch-up pass:
$(diff "$n.ingest" "$n.catchup" | head -20)"
	total=$((total + $(wc -l < "$n.ingest")))
done
# the comparison compared something
[ "$total" -gt 20 ] || die "only $total event-learned edges across the scenarios"
echo "event-learned edges compared: $total"
