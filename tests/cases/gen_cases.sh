# gen_cases.sh - the randomized case generator (tests/gen) is a valid
# measuring instrument: three fixed seeds (an S9 kubelet-credential theft,
# an S10 chained escape, a benign-only cluster) generate the same bytes twice; every
# inventory and log file ingests with zero rejects; truth.json is well formed,
# names workloads that are in the inventory and credentials that are in the
# case's files; and the scorer gives 0% on an empty report and 100% (no
# extra) on a report made from the truth, so it can neither pass nor fail
# silently.  The correlator's figures are `make bench`, not asserted here.
. "$ROOT/tests/cases/lib.sh"
G="$ROOT/tests/gen"
command -v python3 >/dev/null 2>&1 || die "python3 is required"

for s in 22 23 25; do
	python3 "$G/cases.py" "$s" "c$s" || die "seed $s: generator failed"
	python3 "$G/cases.py" "$s" "again$s" || die "seed $s: generator failed"
	diff -r "c$s" "again$s" > /dev/null || die "seed $s: two runs differ"
	for part in inventory logs; do
		"$CORDON" --db "c$s.db" ingest -q --json "c$s/$part" > "c$s.$part.json" \
			|| die "seed $s: ingest of $part failed"
		nrej=$("$CORDON" --db "c$s.db" rejects --limit 0 --format json | jq '.rejects | length')
		expect_eq "$nrej" 0 "seed $s: rejects after $part"
		# every file was recognised and read
		jq -e '[.inputs[] | select(.error != null and .error != "")] | length == 0' "c$s.$part.json" > /dev/null \
			|| die "seed $s: an input of $part had an error: $(cat "c$s.$part.json")"
	done
	n=$("$CORDON" --db "c$s.db" events --limit 0 --format ndjson | wc -l)
	[ "$n" -gt 100 ] || die "seed $s: only $n events"
done

# truth: well formed; attack cases name an escaped workload of the inventory
# and credentials that appear in the case's own files
python3 - "$PWD" <<'EOF' || die "truth.json checks failed"
import json, os, re, sys
root = sys.argv[1]
kinds = {"c22": False, "c23": False, "c25": True}
for case, benign in kinds.items():
    t = json.load(open(os.path.join(root, case, "truth.json")))
    for k in ("benign_only", "escaped", "credentials", "credentials_may", "reachable", "reachable_may"):
        assert k in t, (case, k)
    assert t["benign_only"] is benign, (case, t["benign_only"])
    if benign:
        assert not t["escaped"] and not t["credentials"] and not t["reachable"], case
        continue
    assert t["escaped"] and t["credentials"] and t["reachable"], case
    blob = ""
    for d, _, files in os.walk(os.path.join(root, case)):
        for f in files:
            if f != "truth.json":
                blob += open(os.path.join(d, f), errors="replace").read()
    inv = json.load(open(os.path.join(root, case, "inventory", "kubectl-get-all.json")))
    pods = {"%s/%s" % (i["metadata"]["namespace"], i["metadata"]["name"]): i for i in inv["items"] if i["kind"] == "Pod"}
    for e in t["escaped"]:
        assert re.fullmatch(r"[0-9a-f]{64}", e["container_id"]), e
        assert e["pod"] in pods, (case, e["pod"])
        ids = [c["containerID"] for c in pods[e["pod"]]["status"]["containerStatuses"]]
        assert "containerd://" + e["container_id"] in ids, (case, e)
    for c in t["credentials"] + t["credentials_may"]:
        assert c["provider"] and c["id"] and c["identity"], c
    for c in t["credentials"]:
        assert c["id"] in blob, (case, "credential in no file", c)
    for r in t["reachable"] + t["reachable_may"]:
        assert r["provider"] and r["identity"], r
    must = {c["id"] for c in t["credentials"]}
    assert not must & {c["id"] for c in t["credentials_may"]}, case
print("truth ok")
EOF

# the scorer: 0% on an empty report, 100% and nothing extra on the truth itself
python3 "$G/score.py" --empty --format json c22 c23 c25 > empty.json || die "score.py --empty failed"
jq -e '.totals | .escaped > 0 and .creds > 0 and .reach > 0
	and .escaped_found == 0 and .creds_found == 0 and .reach_found == 0' empty.json > /dev/null \
	|| die "the scorer found something in an empty report: $(jq -c .totals empty.json)"
python3 - "$G" c22 c23 c25 <<'EOF' || die "a report made from the truth does not score 100%"
import json, sys
sys.path.insert(0, sys.argv[1])
import score
for case in sys.argv[2:]:
    t = json.load(open(case + "/truth.json"))
    inc = [{"root": "ctr:" + e["container_id"][:12],
            "workload": {"container_id": e["container_id"], "pod": e["pod"]},
            "credentials": t["credentials"] + t["credentials_may"],
            "reachable": [dict(r, identity=r["provider"] + ":" + r["identity"]) for r in t["reachable"]]}
           for e in t["escaped"]]
    r = score.score_case(t, {"incidents": inc})
    if t["benign_only"]:
        assert r["benign_incidents"] == 0, r
        continue
    assert r["escaped"][0] == r["escaped"][1] and r["creds"][0] == r["creds"][1], r
    assert r["reach"][0] == r["reach"][1] and not r["creds_extra"] and not r["reach_extra"], r
    assert r["false_incidents"] == 0, r
    # one credential and one identity left out, one invented: counted as such
    inc[0]["credentials"] = inc[0]["credentials"][1:] + [{"provider": "aws", "id": "AKIANOTINTHETRUTH000"}]
    inc[0]["reachable"] = inc[0]["reachable"][1:]
    inc.append({"root": "ctr:0123456789ab", "workload": {"container_id": "0123456789ab" * 5 + "0123"}})
    r = score.score_case(t, {"incidents": inc})
    assert r["creds"][0] == r["creds"][1] - 1 or len(t["credentials"]) == 0, r
    assert r["creds_extra"] == ["AKIANOTINTHETRUTH000"], r
    assert r["reach"][0] == r["reach"][1] - 1, r
    assert r["false_incidents"] == 1, r
print("scorer ok")
EOF
echo "gen_cases: ok"
