# correlate_generated.sh - the correlator on twenty randomized cases of
# tests/gen (seeds 1000-1019: every family S1-S10 and benign-only clusters,
# replicas sharing service accounts, DaemonSet agents using IMDS, 2 h to
# 14 d of history, no $CORDON_EGRESS).  Holds the issue's targets on these
# seeds: every escaped workload found, at least 95% of the exposed
# credentials with under 5% extra, every reachable identity, no incident
# on a benign-only cluster and none for a workload that did not escape.
# Fresh seeds are `make bench` (tests/gen/run.sh); these fixed ones guard
# against regressions.
. "$ROOT/tests/cases/lib.sh"
command -v python3 >/dev/null 2>&1 || die "python3 is required"
G="$ROOT/tests/gen"
for s in $(seq 1000 1019); do
	python3 "$G/cases.py" "$s" "c$s" > /dev/null || die "seed $s: generator failed"
done
python3 "$G/score.py" --cordon "$CORDON" --format json --keep c1* > score.json || die "scorer failed"
t() { jq -r ".totals.$1" score.json; }
echo "escaped $(t escaped_found)/$(t escaped) creds $(t creds_found)/$(t creds) extra $(t creds_extra)" \
	"reach $(t reach_found)/$(t reach) extra $(t reach_extra) benign $(t benign_incidents) false $(t false_incidents)"
[ "$(t escaped)" -ge 10 ] || die "too few attack cases: $(t escaped)"
expect_eq "$(t escaped_found)" "$(t escaped)" "escaped workloads found"
[ $(( $(t creds_found) * 100 )) -ge $(( $(t creds) * 95 )) ] || die "exposed credentials found under 95%"
[ $(( $(t creds_extra) * 100 )) -lt $(( ($(t creds_found) + $(t creds_extra)) * 5 )) ] \
	|| die "extra credentials at 5% or more"
expect_eq "$(t reach_found)" "$(t reach)" "reachable identities found"
expect_eq "$(t benign_incidents)" 0 "incidents on benign-only clusters"
expect_eq "$(t false_incidents)" 0 "incidents for workloads that did not escape"
# every credential learned from the logs carries its confidence and evidence,
# and some were learned (the network joins and key files of these seeds)
learned=0
for c in c1*; do
	[ -f "$c/report.json" ] || die "$c: no report kept"
	bad=$(jq '[.incidents[].credentials[] | select(.learned != null)
		| select(((.learned.confidence | IN("high", "medium", "low"))
			and (.learned.evidence | length) >= 2) | not)] | length' "$c/report.json")
	expect_eq "$bad" 0 "$c: learned credentials without confidence or evidence"
	learned=$((learned + $(jq '[.incidents[].credentials[] | select(.learned != null)] | length' "$c/report.json")))
done
[ "$learned" -ge 1 ] || die "no credential was learned from the logs on these seeds"
# seed 2212819 (S8, an AI agent's pod): its harvested access key has no
# history in the case, so its first use from outside is no USE-01; it reads
# secrets fanned out (USE-05) within the hour after the pod's environment
# and key files were read: the key joins the incident, which it opens
python3 "$G/cases.py" 2212819 s8 > /dev/null || die "seed 2212819: generator failed"
python3 "$G/score.py" --cordon "$CORDON" --format json s8 > s8.json || die "scorer failed on seed 2212819"
expect_eq "$(jq -r '"\(.totals.escaped_found)/\(.totals.escaped) \(.totals.creds_found)/\(.totals.creds)"' s8.json)" \
	"1/1 1/1" "seed 2212819: the agent's pod and its harvested key"
echo "generated cases ok"
