#!/bin/sh
# score.sh - score a `cordon correlate --format json` report against a scenario truth.
#
#   sh score.sh CORRELATE_JSON TRUTH_JSON
#       exit 0 when the report has an incident whose workload matches the
#       truth root (container id compared on its 12-character prefix, or the
#       pod "namespace/name") and that incident holds every truth signal rule,
#       exposed locator, credential id, reachable identity and plan entry.
#       Prints one line per truth item (found/missing) and the counts.
#   sh score.sh --benign CORRELATE_JSON
#       exit 0 only if the report has no incidents (benign-only store).
#
# Exit status: 0 pass, 1 fail, 2 usage or unreadable input.  POSIX sh + jq.
set -u

usage() {
	echo "usage: sh score.sh CORRELATE_JSON TRUTH_JSON | sh score.sh --benign CORRELATE_JSON" >&2
	exit 2
}
command -v jq >/dev/null 2>&1 || { echo "score.sh: jq is required" >&2; exit 2; }

if [ "${1:-}" = "--benign" ]; then
	[ $# -eq 2 ] || usage
	[ -s "$2" ] || { echo "score.sh: $2: empty or missing" >&2; exit 2; }
	jq -e . "$2" >/dev/null 2>&1 || { echo "score.sh: $2: not JSON" >&2; exit 2; }
	n=$(jq '[.incidents[]?] | length' "$2")
	if [ "$n" = 0 ]; then
		echo "benign: no incidents: PASS"
		exit 0
	fi
	echo "benign: $n incident(s) opened on benign-only data: FAIL"
	jq -r '.incidents[] | "  \(.id // "?")  \(.severity // "?")  \(.workload.host // "-") \(.workload.pod // "-") \(.workload.container_id // "-")  rules: \([.signals[]?.rule] | unique | join(","))"' "$2"
	exit 1
fi

[ $# -eq 2 ] || usage
for f in "$1" "$2"; do
	[ -s "$f" ] || { echo "score.sh: $f: empty or missing" >&2; exit 2; }
	jq -e . "$f" >/dev/null 2>&1 || { echo "score.sh: $f: not JSON" >&2; exit 2; }
done

# One line per item: "found|missing<TAB>what<TAB>value"; the first line is the root.
out=$(jq -r --slurpfile truth "$2" '
	def cid12: (. // "") | ascii_downcase
		| sub("^(containerd|cri-o|docker|crio)://"; "") | sub("^cri-containerd-"; "")
		| .[0:12];
	def idmatch($p; $want): . == $want or . == ($p + ":" + $want);
	$truth[0] as $t
	| ($t.root.container_id | cid12) as $tc
	| [ (.incidents // [])[]
	    | select(($tc != "" and (.workload.container_id | cid12) == $tc)
	             or ((.workload.pod // "") != "" and .workload.pod == $t.root.pod)) ] as $cands
	| def items($i):
		  [ ($t.signals[]? as $r
		     | {what: "signal", v: $r, ok: ([$i.signals[]?.rule] | index($r) != null)}),
		    ($t.exposed[]? as $e
		     | {what: "exposed", v: "\($e.kind) \($e.locator)",
		        ok: ([$i.exposed[]?.locator] | index($e.locator) != null)}),
		    ($t.credentials[]? as $c
		     | {what: "credential", v: "\($c.provider) \($c.id) (\($c.identity))",
		        ok: any($i.credentials[]?; .id == $c.id)}),
		    ($t.reachable[]? as $r
		     | {what: "reachable", v: "\($r.provider) \($r.identity)",
		        ok: any($i.reachable[]?; (.identity // "") | idmatch($r.provider; $r.identity))}),
		    ($t.plan[]? as $p
		     | {what: "plan", v: "\($p.provider) \($p.action) \($p.target)",
		        ok: any($i.plan[]?; .provider == $p.provider and .action == $p.action
		                            and .target == $p.target)}) ];
	  if ($cands | length) == 0 then
		"missing\troot\t\($t.root.host) \($t.root.pod) \($t.root.container_id)",
		(items({}) | .[] | "missing\t\(.what)\t\(.v)")
	  else
		([ $cands[] as $i | {i: $i, it: items($i)} ]
		 | max_by([.it[] | select(.ok)] | length)) as $best
		| "found\troot\t\($t.root.host) \($t.root.pod) \($t.root.container_id) (incident \($best.i.id // "?"))",
		  ($best.it[] | "\(if .ok then "found" else "missing" end)\t\(.what)\t\(.v)")
	  end
' "$1") || { echo "score.sh: jq failed" >&2; exit 2; }

scen=$(jq -r '"\(.scenario // "?"): \(.title // "")"' "$2")
echo "$scen"
printf '%s\n' "$out" | awk -F '\t' '{ printf "  %-8s %-11s %s\n", $1, $2, $3 }'
found=$(printf '%s\n' "$out" | grep -c '^found')
missing=$(printf '%s\n' "$out" | grep -c '^missing')
echo "found $found, missing $missing"
if [ "$missing" -eq 0 ] && [ "$found" -gt 0 ]; then
	echo "PASS"
	exit 0
fi
echo "FAIL"
exit 1
