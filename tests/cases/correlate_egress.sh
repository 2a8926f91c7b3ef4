# correlate_egress.sh - the absolute "node-role session used from outside"
# signal (USE-10): with $CORDON_EGRESS naming the cluster's NAT address, the
# node role's own calls from it are quiet and the stolen session's calls from
# anywhere else fire at once, with no baseline; without it, the rule is off.
. "$ROOT/tests/cases/lib.sh"
S="$ROOT/tests/scenarios/S1"
use10() { sqlite3 "$1" "SELECT count(*) FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'USE-10' AND e.src_ip = '$2'"; }
# the attack alone, no history: nothing to learn a baseline from
"$CORDON" --db a.db ingest -q "$S/inventory" "$S/attack"
CORDON_EGRESS="52.1.2.3, 198.51.100.0/24" "$CORDON" --db a.db correlate > /dev/null || true
[ "$(use10 a.db 203.0.113.66)" -ge 1 ] || die "USE-10 did not fire for the stolen session"
expect_eq "$(use10 a.db 52.1.2.3)" 0 "USE-10 on the cluster's own egress"
[ "$(sqlite3 a.db "SELECT count(*) FROM findings WHERE rule = 'USE-01'")" = 0 ] \
	|| die "a first-seen rule fired without a baseline"
# the benign history with the egress set: no USE-10 at all
"$CORDON" --db b.db ingest -q "$S/inventory" "$S/benign"
CORDON_EGRESS=52.1.2.3 "$CORDON" --db b.db correlate > /dev/null || true
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM findings WHERE rule = 'USE-10'")" 0 "USE-10 on benign"
# without $CORDON_EGRESS the rule stays silent (it cannot tell NAT from outside)
"$CORDON" --db c.db ingest -q "$S/inventory" "$S/attack"
"$CORDON" --db c.db correlate > /dev/null || true
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM findings WHERE rule = 'USE-10'")" 0 "USE-10 without egress"
echo "egress ok"
