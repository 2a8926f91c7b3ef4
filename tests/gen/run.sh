#!/bin/sh
# tests/gen/run.sh [N [BASESEED]] - generate N randomized cases (default 50)
# from BASESEED (default 1000) in a temporary directory, run cordon on each
# and print the figures (tests/gen/score.py).  Measures; never asserts.
# Environment: CORDON (binary; default ./cordon of this tree), GEN_KEEP=DIR
# keeps the cases (with each report.json) in DIR instead of a temp dir,
# GEN_FORMAT=json prints the scorer's JSON, GEN_KIND=KIND|all the workload
# kinds generated (see below).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-50}
BASE=${2:-1000}
CORDON=${CORDON:-$ROOT/cordon}
if [ -n "${GEN_KEEP:-}" ]; then
	W=$GEN_KEEP
	mkdir -p "$W"
	keep=--keep
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/cordon-gen.XXXXXX")
	trap 'rm -rf "$W"' EXIT INT TERM
	keep=
fi
unset CORDON_EGRESS CORDON_RULES CORDON_DB
# GEN_KIND: pod (default: cases.py, Kubernetes workloads), function
# (fn_cases.py, Lambda functions), sandbox (sb_cases.py, host process
# sandboxes), keymat (km_cases.py, certificates, SSH keys and exchanged
# Vault tokens reached by a sandbox escape), gcpfunction (gcpfn_cases.py,
# Cloud Run services and Cloud Functions), ci (ci_cases.py, GitHub Actions
# jobs with OIDC sessions), agent (ag_cases.py, agent runtimes reaching
# internal endpoints) or all (N of each)
: > "$W/cases.txt"
gen() { # KIND GENERATOR: N cases of KIND into $W, one directory each
	case ${GEN_KIND:-pod} in
	"$1"|all) python3 "$ROOT/tests/gen/$2" -n "$N" "$BASE" "$W" >> "$W/cases.txt" ;;
	esac
}
gen pod cases.py
gen function fn_cases.py
gen sandbox sb_cases.py
gen keymat km_cases.py
gen gcpfunction gcpfn_cases.py
gen ci ci_cases.py
gen agent ag_cases.py
python3 "$ROOT/tests/gen/score.py" --cordon "$CORDON" --format "${GEN_FORMAT:-text}" $keep \
	$(find "$W" -mindepth 1 -maxdepth 1 -type d | sort)
