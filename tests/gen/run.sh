#!/bin/sh
# tests/gen/run.sh [N [BASESEED]] - generate N randomized cases (default 50)
# from BASESEED (default 1000) in a temporary directory, run cordon on each
# and print the figures (tests/gen/score.py).  Measures; never asserts.
# Environment: CORDON (binary; default ./cordon of this tree), GEN_KEEP=DIR
# keeps the cases (with each report.json) in DIR instead of a temp dir,
# GEN_FORMAT=json prints the scorer's JSON, GEN_KIND=pod|function|sandbox|agent|all the
# workload kinds generated (see below).
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
# sandboxes), agent (ag_cases.py, agent runtimes reaching internal
# endpoints) or all (N of each)
: > "$W/cases.txt"
case ${GEN_KIND:-pod} in
pod|all) python3 "$ROOT/tests/gen/cases.py" -n "$N" "$BASE" "$W" >> "$W/cases.txt" ;;
esac
case ${GEN_KIND:-pod} in
function|all) python3 "$ROOT/tests/gen/fn_cases.py" -n "$N" "$BASE" "$W" >> "$W/cases.txt" ;;
esac
case ${GEN_KIND:-pod} in
sandbox|all) python3 "$ROOT/tests/gen/sb_cases.py" -n "$N" "$BASE" "$W" >> "$W/cases.txt" ;;
esac
case ${GEN_KIND:-pod} in
agent|all) python3 "$ROOT/tests/gen/ag_cases.py" -n "$N" "$BASE" "$W" >> "$W/cases.txt" ;;
esac
python3 "$ROOT/tests/gen/score.py" --cordon "$CORDON" --format "${GEN_FORMAT:-text}" $keep \
	$(ls -d "$W"/case-* "$W"/fn-* "$W"/sb-* "$W"/ag-* 2>/dev/null)
