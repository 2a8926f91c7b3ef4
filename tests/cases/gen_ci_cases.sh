# gen_ci_cases.sh - the CI-job case generator (tests/gen/ci_cases.py) is a
# valid instrument: a seed generates the same bytes twice; every file ingests
# with zero rejects (the GitHub audit log and jobs API probed as github);
# an attack case's truth names a job of its own audit log (or, without one,
# the subject of an exchange) and a key its CloudTrail issued to that
# subject (a GCP job: its account's token, its subject in an ExchangeToken);
# jobs of one subject at once have an id_alt (their run) only when the logs
# cannot tell them apart; the scorer gives 0% on an empty report and 100% on one made from
# the truth, and counts a job of the wrong id as a miss and a false incident.
. "$ROOT/tests/cases/lib.sh"
G="$ROOT/tests/gen"
command -v python3 >/dev/null 2>&1 || die "python3 is required"
for s in 31 32 35; do
	python3 "$G/ci_cases.py" "$s" "c$s" || die "seed $s: generator failed"
	python3 "$G/ci_cases.py" "$s" "again$s" || die "seed $s: generator failed"
	diff -r "c$s" "again$s" > /dev/null || die "seed $s: two runs differ"
	"$CORDON" --db "c$s.db" ingest -q --json "c$s/inventory" "c$s/logs" > "c$s.json" || die "seed $s: ingest failed"
	expect_eq "$("$CORDON" --db "c$s.db" rejects --limit 0 --format json | jq '.rejects | length')" 0 \
		"seed $s: rejects"
	jq -e '[.inputs[] | select(.path | test("github")) | select(.format != "github")] | length == 0' "c$s.json" \
		> /dev/null || die "seed $s: a GitHub file not read as github: $(cat "c$s.json")"
done
python3 - "$G" "$PWD" <<'PY' || die "truth or scorer checks failed"
import json, os, sys
sys.path.insert(0, sys.argv[1])
import score
root = sys.argv[2]
for case, benign in (("c31", False), ("c32", False), ("c35", True)):
    t = json.load(open(os.path.join(root, case, "truth.json")))
    assert t["benign_only"] is benign and t["kind"] == "ci-job", (case, t["benign_only"])
    if benign:
        assert not t["escaped"] and not t["credentials"], case
        r = score.score_case(t, {"incidents": []})
        assert r["benign_incidents"] == 0, r
        continue
    logs = os.path.join(root, case, "logs")
    ct = "".join(open(os.path.join(logs, f)).read() for f in ("cloudtrail.json", "gcp-audit.jsonl")
                 if os.path.exists(os.path.join(logs, f)))
    (e,) = t["escaped"]
    (c,) = t["credentials"]
    assert c["id"] in ct or c["id"].startswith("token:") and c["id"][6:] in ct, (case, c["id"])
    gh = os.path.join(root, case, "logs", "github-audit.jsonl")
    if t["variant"]["audit_log"]:
        repo, run = e["id"].split("/runs/")[0], e["id"].split("/runs/")[1].split("/")[0]
        assert '"workflow_run_id":%s' % run in open(gh).read(), (case, run)
    else:
        assert e["id"].split("@")[0] in ct, (case, e["id"])
    inc = [{"root": "ci:" + e["id"], "workload": {"kind": "ci-job", "id": e["id"]},
            "credentials": t["credentials"], "reachable": t["reachable"]}]
    r = score.score_case(t, {"incidents": inc})
    assert r["escaped"] == (1, 1) and r["creds"] == (1, 1) and r["reach"] == (1, 1), r
    assert not r["creds_extra"] and r["false_incidents"] == 0, r
    r = score.score_case(t, {"incidents": []})
    assert r["escaped"] == (0, 1) and r["creds"] == (0, 1), r
    inc[0]["workload"]["id"] += "x"
    r = score.score_case(t, {"incidents": inc})
    assert r["escaped"] == (0, 1) and r["false_incidents"] == 1, r
print("ci scorer ok")
PY
# two jobs of one subject at once: seed 31022 runs two runs of a workflow on
# runners behind other NATs, their addresses decide (no id_alt); seed 31012's
# matrix runs on runners the logs cannot tell apart (no jobs API, whose steps
# would place each job's credentials step): id_alt names the run,
# which the scorer takes (counted apart), and a job of the run still misses.
# Seed 31021's victim deploys to GCP through workload identity federation:
# its account's token is the credential, its exchange names its subject.
for s in 31022 31012 31021; do python3 "$G/ci_cases.py" "$s" "c$s" || die "seed $s: generator failed"; done
python3 - "$G" "$PWD" <<'PY' || die "shared-subject truth checks failed"
import json, os, sys
sys.path.insert(0, sys.argv[1])
import score
root = sys.argv[2]
t = json.load(open(os.path.join(root, "c31022", "truth.json")))
assert t["variant"].get("shared_subject_runs") and not t["variant"].get("join_undecidable"), t["variant"]
(e,) = t["escaped"]
assert "id_alt" not in e, e
t = json.load(open(os.path.join(root, "c31012", "truth.json")))
(e,) = t["escaped"]
assert t["variant"].get("join_undecidable") and e["id_alt"] == e["id"].rsplit("/", 1)[0], e
inc = [{"root": "ci:" + e["id_alt"], "workload": {"kind": "ci-job", "id": e["id_alt"]},
        "credentials": t["credentials"], "reachable": t["reachable"]}]
r = score.score_case(t, {"incidents": inc})
assert r["escaped"] == (1, 1) and r["escaped_alt"] == 1 and r["false_incidents"] == 0, r
inc[0]["workload"]["id"] = e["id"]
r = score.score_case(t, {"incidents": inc})
assert r["escaped"] == (1, 1) and r["escaped_alt"] == 0, r
inc[0]["workload"]["id"] = e["id"].rsplit("/", 1)[0] + "/other (1)"
r = score.score_case(t, {"incidents": inc})
assert r["escaped"] == (0, 1) and r["false_incidents"] == 1, r
t = json.load(open(os.path.join(root, "c31021", "truth.json")))
(e,) = t["escaped"]
(c,) = t["credentials"]
assert t["variant"]["victim_cloud"] == "gcp" and c["provider"] == "gcp" and c["id"].startswith("token:gha-"), c
assert t["reachable"] == [{"provider": "gcp", "identity": c["id"][6:]}], t["reachable"]
sub = "repo:" + e["id"].split("/runs/")[0] + ":"
ga = open(os.path.join(root, "c31021", "logs", "gcp-audit.jsonl")).read()
assert "SecurityTokenService.ExchangeToken" in ga and "/subject/" + sub in ga, sub
print("shared-subject and gcp truth ok")
PY
# two jobs of one run that the logs cannot tell apart, once a job of another
# run of the subject was ruled out (seed 2212719): the undecided join names
# their run; the ruled-out job must not decide that they share none (it
# named the subject and time instead, and the scorer counted a false
# incident)
python3 "$G/ci_cases.py" 2212719 c2212719 || die "seed 2212719: generator failed"
"$CORDON" --db u.db ingest -q c2212719/inventory c2212719/logs
"$CORDON" --db u.db correlate > /dev/null 2>&1 || true
expect_eq "$(sqlite3 u.db "SELECT root FROM incidents")" "ci:$(jq -r '.escaped[0].id_alt' c2212719/truth.json)" \
	"seed 2212719: the undecided join names the run"
echo "gen_ci_cases: ok"
