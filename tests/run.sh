#!/bin/sh
# tests/run.sh - run every test and end with "N passed, N failed".
#
# Sections: unit tests (build/unit), golden ingest tests (tests/data/FORMAT/*
# against *.ref), behaviour cases (tests/cases/*.sh) and, when ../shared/corpus
# exists, the conformance run over real sample logs.
# Environment: CORDON (binary), UNIT (unit test binary), SANITIZED=1 under check.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORDON=${CORDON:-$ROOT/cordon}
UNIT=${UNIT:-$ROOT/build/unit}
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/cordon-test.XXXXXX")
trap 'rm -rf "$TMPROOT"' EXIT INT TERM
export ROOT CORDON TMPROOT
unset CORDON_DB NO_COLOR
# network only on loopback: no case may reach an instance metadata service
# by falling to the end of the AWS credential chain (revoke_aws_chain points
# it at the emulator when it means to)
export AWS_EC2_METADATA_DISABLED=true
pass=0
fail=0
failed=""

ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); failed="$failed $1"; echo "FAIL: $1"; }

# ---- unit ----------------------------------------------------------------
echo "== unit"
out=$("$UNIT" 2>&1); rc=$?
echo "$out" | grep -v '^ok ' | sed 's/^/  /'
up=$(echo "$out" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
uf=$(echo "$out" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$up" ]; then bad "unit (crashed, rc=$rc)"; else
	pass=$((pass + up)); fail=$((fail + uf))
	[ "$uf" = 0 ] && [ $rc = 0 ] || failed="$failed unit"
fi

# ---- golden ----------------------------------------------------------------
echo "== golden"
for f in $(find "$ROOT/tests/data" -type f ! -name '*.ref' ! -name '*.md' | sort); do
	name=${f#$ROOT/tests/data/}
	if sh "$ROOT/tests/golden.sh" "$f"; then ok; echo "ok   $name"; else bad "golden $name"; fi
done

# ---- behaviour ------------------------------------------------------------
echo "== cases"
for t in "$ROOT"/tests/cases/*.sh; do
	[ -f "$t" ] || continue
	[ "$(basename "$t")" = lib.sh ] && continue
	n=$(basename "$t" .sh)
	d="$TMPROOT/case-$n"; mkdir -p "$d"
	if (cd "$d" && TMP="$d" timeout 900 sh "$t") > "$d/log" 2>&1; then ok; echo "ok   $n"; else
		bad "case $n"; sed 's/^/    /' "$d/log" | tail -n 30
	fi
done

# ---- conformance over ../shared/corpus --------------------------------------
echo "== conformance"
if [ -d "$ROOT/../shared/corpus" ]; then
	if sh "$ROOT/tests/conformance.sh" "$ROOT/../shared/corpus"; then ok; else bad conformance; fi
else
	echo "skipped: ../shared/corpus not present (conformance runs only in the workplace)"
fi

echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
