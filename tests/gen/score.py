#!/usr/bin/env python3
"""score.py - run cordon on generated cases and score its report against truth.json.

    python3 score.py [--cordon PATH] [--format text|json] [--keep] [--empty] CASEDIR...

For each case: a fresh store; `cordon ingest` of inventory/ first, then of
logs/; any reject is a generator bug and stops the run (exit 2); then
`cordon correlate --format json` (CORDON_EGRESS and CORDON_RULES removed
from the environment: the cases never set an egress).  --empty scores an
empty report instead of cordon's (the scorer's own check: it must give 0%).

Per case and in total:
  escaped     escaped workloads with a matching incident (root or workload
              container id on its 12-char prefix, or pod ns/name)
  creds       truth credentials reported by the matched incidents (found /
              missing), and extra: reported there but in neither
              credentials nor credentials_may
  reach       the same for reachable identities (reachable / reachable_may)
  benign      incidents opened on benign-only cases
  false       incidents on attack cases whose root matches no escaped workload
Exit status: 0 scored (whatever the figures: this measures, never asserts),
2 usage, generator bug (reject, bad truth) or cordon failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def cid12(s):
    s = (s or "").lower()
    s = re.sub(r"^(containerd|cri-o|docker|crio)://", "", s)
    s = re.sub(r"^cri-containerd-", "", s)
    s = re.sub(r"^ctr:", "", s)
    return s[:12]


def norm_ident(provider, ident):
    ident = ident or ""
    # "spiffe:" before a SPIFFE ID is the provider's; "spiffe://" is the ID's own
    if ident.startswith(provider + ":") and not ident.startswith(provider + "://"):
        return ident[len(provider) + 1:]
    return ident


class Fail(Exception):
    pass


def run(cmd, env, ok=(0,)):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if p.returncode not in ok:
        raise Fail("%s: exit %d: %s" % (" ".join(cmd[:4]), p.returncode, p.stderr.decode(errors="replace")[-2000:]))
    return p.stdout.decode(errors="replace")


def ingest(cordon, db, paths, env):
    out = run([cordon, "--db", db, "ingest", "-q", "--json"] + paths, env, ok=(0, 1))
    rej = run([cordon, "--db", db, "rejects", "--limit", "0", "--format", "json"], env)
    n = len(json.loads(rej).get("rejects", []))
    if n:
        some = run([cordon, "--db", db, "rejects", "--limit", "5"], env)
        raise Fail("ingest rejected %d record(s) (a generator bug):\n%s" % (n, some))
    return out


def load_truth(case):
    with open(os.path.join(case, "truth.json")) as f:
        t = json.load(f)
    for k in ("benign_only", "escaped", "credentials", "credentials_may", "reachable", "reachable_may"):
        if k not in t:
            raise Fail("%s/truth.json: no %s" % (case, k))
    if not t["benign_only"] and (not t["escaped"] or not t["credentials"]):
        raise Fail("%s/truth.json: an attack case with no escaped workload or no credential" % case)
    return t


def matches(inc, esc):
    w = inc.get("workload") or {}
    if esc.get("kind") and esc["kind"] not in ("container", "pod"):
        # every kind: the incident's workload has the same kind and id (or
        # id_alt: where the case's evidence cannot single the workload out,
        # e.g. CI jobs of one OIDC subject at once, the id naming them all)
        return w.get("kind") == esc["kind"] and (w.get("id") == esc.get("id") or
                                                 bool(esc.get("id_alt")) and w.get("id") == esc.get("id_alt"))
    c = cid12(esc["container_id"])
    cands = [w.get("container_id"), inc.get("root")]
    if any(c and cid12(x) == c for x in cands if x):
        return True
    return bool(w.get("pod")) and w.get("pod") == esc["pod"]


def score_case(truth, report):
    incs = report.get("incidents") or []
    r = {"family": truth.get("family") or "benign", "benign_only": truth["benign_only"],
         "incidents": len(incs), "kind": truth.get("kind") or "pod"}
    if truth["benign_only"]:
        r["benign_incidents"] = len(incs)
        return r
    matched = []
    found_esc = 0
    for e in truth["escaped"]:
        m = [i for i in incs if matches(i, e)]
        if m:
            found_esc += 1
        matched += [i for i in m if i not in matched]
    r["escaped"] = (found_esc, len(truth["escaped"]))
    # found only under id_alt: an undecided join, shown apart in the totals
    r["escaped_alt"] = len([e for e in truth["escaped"] if e.get("id_alt") and
                            any(matches(i, e) for i in incs) and
                            not any(matches(i, dict(e, id_alt=None)) for i in incs)])
    r["false_incidents"] = len([i for i in incs if not any(matches(i, e) for e in truth["escaped"])])
    rep_c = {}
    rep_r = set()
    for i in matched:
        for c in i.get("credentials") or []:
            rep_c[c.get("id")] = c
        for x in i.get("reachable") or []:
            prov = x.get("provider") or ""
            rep_r.add((prov, norm_ident(prov, x.get("identity"))))
    must = {c["id"] for c in truth["credentials"]}
    may = {c["id"] for c in truth["credentials_may"]}
    r["creds_missing"] = sorted(must - set(rep_c))
    r["creds"] = (len(must & set(rep_c)), len(must))
    r["creds_extra"] = sorted(set(rep_c) - must - may)
    rm = {(x["provider"], x["identity"]) for x in truth["reachable"]}
    rmay = {(x["provider"], x["identity"]) for x in truth["reachable_may"]}
    # an identity reported under another provider name still counts when equal
    rep_ids = {b for (_, b) in rep_r}
    r["reach"] = (len([1 for (_, b) in rm if b in rep_ids]), len(rm))
    r["reach_missing"] = sorted(b for (_, b) in rm if b not in rep_ids)
    known = {b for (_, b) in rm | rmay}
    r["reach_extra"] = sorted(b for b in rep_ids if b not in known)
    # the plan: steps truth says it must hold ("plan") and must not ("plan_not")
    steps = {(x.get("provider"), x.get("action"), x.get("target")) for i in matched for x in i.get("plan") or []}
    want = [(x["provider"], x["action"], x["target"]) for x in truth.get("plan") or []]
    r["plan"] = (len([w for w in want if w in steps]), len(want))
    r["plan_missing"] = [" ".join(w) for w in want if w not in steps]
    r["plan_wrong"] = [" ".join(w) for w in ((x["provider"], x["action"], x["target"])
                                               for x in truth.get("plan_not") or []) if w in steps]
    return r


def cred_kind(cid):
    """A coarse kind of credential id, to group misses and extras."""
    if cid.startswith("JTI="):
        return "k8s token (JTI)"
    if cid.startswith("ASIA"):
        return "AWS session (ASIA)"
    if cid.startswith("AKIA"):
        return "AWS key (AKIA)"
    if len(cid) == 24 and cid.isalnum():
        return "Vault accessor"
    if cid.startswith("X509SERIAL=") or cid.startswith("X509SHA256="):
        return "certificate"
    if cid.startswith("SHA256:"):
        return "SSH key"
    return "other"


def pct(a, b):
    return "%5.1f%%" % (100.0 * a / b) if b else "    -"


def main(argv):
    cordon, fmt, keep, empty = None, "text", False, False
    cases = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--cordon":
            cordon = argv[i + 1]
            i += 2
            continue
        if a == "--format":
            fmt = argv[i + 1]
            i += 2
            continue
        if a == "--keep":
            keep = True
        elif a == "--empty":
            empty = True
        elif a.startswith("-"):
            sys.stderr.write(__doc__)
            return 2
        else:
            cases.append(a)
        i += 1
    if not cases or fmt not in ("text", "json"):
        sys.stderr.write(__doc__)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    cordon = cordon or os.environ.get("CORDON") or os.path.join(here, "..", "..", "cordon")
    env = dict(os.environ)
    for k in ("CORDON_EGRESS", "CORDON_RULES", "CORDON_DB"):
        env.pop(k, None)
    work = tempfile.mkdtemp(prefix="cordon-gen-score.")
    rows = []
    try:
        for case in cases:
            name = os.path.basename(os.path.normpath(case))
            truth = load_truth(case)
            if empty:
                report = {"incidents": []}
            else:
                db = os.path.join(work, name + ".db")
                ingest(cordon, db, [os.path.join(case, "inventory")], env)
                ingest(cordon, db, [os.path.join(case, "logs")], env)
                out = run([cordon, "--db", db, "correlate", "--format", "json"], env, ok=(0, 1))
                report = json.loads(out) if out.strip() else {"incidents": []}
                if keep:
                    with open(os.path.join(case, "report.json"), "w") as f:
                        json.dump(report, f, indent=1)
            r = score_case(truth, report)
            r["case"] = name
            r["seed"] = truth.get("seed")
            r["variant"] = truth.get("variant", {})
            rows.append(r)
            if fmt == "text":
                print(line(r))
                sys.stdout.flush()
    except Fail as e:
        sys.stderr.write("score.py: %s\n" % e)
        return 2
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    tot = totals(rows)
    if fmt == "json":
        json.dump({"cases": rows, "totals": tot}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(summary(tot))
    return 0


def line(r):
    if r["benign_only"]:
        return "%-9s %-7s benign-only  incidents %d" % (r["case"], r["family"], r["benign_incidents"])
    s = "%-9s %-7s escaped %d/%d  creds %d/%d extra %d  reach %d/%d extra %d  false %d" % (
        r["case"], r["family"], r["escaped"][0], r["escaped"][1], r["creds"][0], r["creds"][1],
        len(r["creds_extra"]), r["reach"][0], r["reach"][1], len(r["reach_extra"]), r["false_incidents"])
    if r["creds_missing"]:
        s += "\n    creds missing: " + " ".join(r["creds_missing"])
    if r["creds_extra"]:
        s += "\n    creds extra:   " + " ".join(r["creds_extra"])
    if r["reach_missing"]:
        s += "\n    reach missing: " + " ".join(r["reach_missing"])
    if r["reach_extra"]:
        s += "\n    reach extra:   " + " ".join(r["reach_extra"])
    if r["plan"][1] or r["plan_wrong"]:
        s += "\n    plan %d/%d wrong %d" % (r["plan"][0], r["plan"][1], len(r["plan_wrong"]))
    if r["plan_missing"]:
        s += "\n    plan missing:  " + " | ".join(r["plan_missing"])
    if r["plan_wrong"]:
        s += "\n    plan wrong:    " + " | ".join(r["plan_wrong"])
    return s


def totals(rows):
    t = {"cases": len(rows), "attack_cases": 0, "benign_cases": 0, "escaped_found": 0, "escaped": 0,
         "creds_found": 0, "creds": 0, "creds_extra": 0, "reach_found": 0, "reach": 0, "reach_extra": 0,
         "benign_incidents": 0, "benign_cases_with_incident": 0, "false_incidents": 0,
         "attack_cases_with_false_incident": 0, "per_family": {}, "missing_by_kind": {},
         "extra_by_kind": {}, "reach_missing_by_family": {}, "plan_found": 0, "plan": 0, "plan_wrong": 0,
         "plan_by_family": {}}
    t["per_kind"] = {}
    for r in rows:
        k = t["per_kind"].setdefault(r.get("kind", "pod"), {
            "cases": 0, "attack_cases": 0, "benign_cases": 0, "benign_cases_with_incident": 0,
            "escaped_found": 0, "escaped": 0, "creds_found": 0, "creds": 0, "creds_extra": 0,
            "reach_found": 0, "reach": 0, "reach_extra": 0, "false_incidents": 0})
        k["cases"] += 1
        if r["benign_only"]:
            k["benign_cases"] += 1
            k["benign_cases_with_incident"] += 1 if r["benign_incidents"] else 0
        else:
            k["attack_cases"] += 1
            for name, v in (("escaped", r["escaped"]), ("creds", r["creds"]), ("reach", r["reach"])):
                k[name + "_found"] += v[0]
                k[name] += v[1]
            k["creds_extra"] += len(r["creds_extra"])
            k["reach_extra"] += len(r["reach_extra"])
            k["false_incidents"] += r["false_incidents"]
    for r in rows:
        if r["benign_only"]:
            t["benign_cases"] += 1
            t["benign_incidents"] += r["benign_incidents"]
            t["benign_cases_with_incident"] += 1 if r["benign_incidents"] else 0
            continue
        t["attack_cases"] += 1
        for c in r["creds_missing"]:
            k = "%s %s" % (r["family"], cred_kind(c))
            t["missing_by_kind"][k] = t["missing_by_kind"].get(k, 0) + 1
        for c in r["creds_extra"]:
            k = cred_kind(c)
            t["extra_by_kind"][k] = t["extra_by_kind"].get(k, 0) + 1
        if r["reach_missing"]:
            t["reach_missing_by_family"][r["family"]] = t["reach_missing_by_family"].get(r["family"], 0) + len(r["reach_missing"])
        t["escaped_found"] += r["escaped"][0]
        t["escaped"] += r["escaped"][1]
        t["escaped_alt"] = t.get("escaped_alt", 0) + r.get("escaped_alt", 0)
        t["creds_found"] += r["creds"][0]
        t["creds"] += r["creds"][1]
        t["creds_extra"] += len(r["creds_extra"])
        t["reach_found"] += r["reach"][0]
        t["reach"] += r["reach"][1]
        t["reach_extra"] += len(r["reach_extra"])
        t["plan_found"] += r["plan"][0]
        t["plan"] += r["plan"][1]
        t["plan_wrong"] += len(r["plan_wrong"])
        if r["plan"][1] or r["plan_wrong"]:
            pf = t["plan_by_family"].setdefault(r["family"], [0, 0, 0])
            pf[0] += r["plan"][0]
            pf[1] += r["plan"][1]
            pf[2] += len(r["plan_wrong"])
        t["false_incidents"] += r["false_incidents"]
        t["attack_cases_with_false_incident"] += 1 if r["false_incidents"] else 0
        f = t["per_family"].setdefault(r["family"], {"cases": 0, "escaped_found": 0, "escaped": 0,
                                                     "creds_found": 0, "creds": 0, "creds_extra": 0,
                                                     "reach_found": 0, "reach": 0, "reach_extra": 0})
        f["cases"] += 1
        for k, v in (("escaped", r["escaped"]), ("creds", r["creds"]), ("reach", r["reach"])):
            f[k + "_found"] += v[0]
            f[k] += v[1]
        f["creds_extra"] += len(r["creds_extra"])
        f["reach_extra"] += len(r["reach_extra"])
    return t


def summary(t):
    out = ["", "cases: %d (%d attack, %d benign-only)" % (t["cases"], t["attack_cases"], t["benign_cases"]),
           "escaped workloads found:      %d/%d %s" % (t["escaped_found"], t["escaped"], pct(t["escaped_found"], t["escaped"])),
           "  of them as an undecided join (truth's id_alt): %d" % t.get("escaped_alt", 0),
           "exposed credentials found:    %d/%d %s   extra: %d" % (t["creds_found"], t["creds"], pct(t["creds_found"], t["creds"]), t["creds_extra"]),
           "reachable identities found:   %d/%d %s   extra: %d" % (t["reach_found"], t["reach"], pct(t["reach_found"], t["reach"]), t["reach_extra"]),
           "benign-only cases with an incident: %d/%d %s (%d incidents)" % (
               t["benign_cases_with_incident"], t["benign_cases"], pct(t["benign_cases_with_incident"], t["benign_cases"]),
               t["benign_incidents"]),
           "attack cases with a false incident: %d/%d %s (%d incidents)" % (
               t["attack_cases_with_false_incident"], t["attack_cases"],
               pct(t["attack_cases_with_false_incident"], t["attack_cases"]), t["false_incidents"]),
           "per family:  cases  escaped         creds (extra)          reach (extra)"]
    for fam in sorted(t["per_family"]):
        f = t["per_family"][fam]
        out.append("  %-6s %5d  %3d/%-3d %s  %3d/%-3d %s (%d)  %3d/%-3d %s (%d)" % (
            fam, f["cases"], f["escaped_found"], f["escaped"], pct(f["escaped_found"], f["escaped"]),
            f["creds_found"], f["creds"], pct(f["creds_found"], f["creds"]), f["creds_extra"],
            f["reach_found"], f["reach"], pct(f["reach_found"], f["reach"]), f["reach_extra"]))
    out.append("per workload kind: cases  escaped         creds (extra)          reach (extra)          "
               "benign with incident  false")
    for kind in sorted(t.get("per_kind", {})):
        k = t["per_kind"][kind]
        out.append("  %-9s %5d  %3d/%-3d %s  %3d/%-3d %s (%d)  %3d/%-3d %s (%d)  %3d/%-3d             %d" % (
            kind, k["cases"], k["escaped_found"], k["escaped"], pct(k["escaped_found"], k["escaped"]),
            k["creds_found"], k["creds"], pct(k["creds_found"], k["creds"]), k["creds_extra"],
            k["reach_found"], k["reach"], pct(k["reach_found"], k["reach"]), k["reach_extra"],
            k["benign_cases_with_incident"], k["benign_cases"], k["false_incidents"]))
    if t.get("plan") or t.get("plan_wrong"):
        out.append("plan steps truth requires, found: %d/%d %s   present though wrong: %d   per family: %s" % (
            t["plan_found"], t["plan"], pct(t["plan_found"], t["plan"]), t["plan_wrong"], ", ".join(
                "%s %d/%d wrong %d" % (k, v[0], v[1], v[2]) for k, v in sorted(t["plan_by_family"].items()))))
    out.append("missing credentials by family and kind: " + ", ".join(
        "%s %d" % (k, v) for k, v in sorted(t["missing_by_kind"].items())))
    out.append("extra credentials by kind: " + ", ".join(
        "%s %d" % (k, v) for k, v in sorted(t["extra_by_kind"].items())))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
