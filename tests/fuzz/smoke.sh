#!/bin/sh
# tests/fuzz/smoke.sh RUNS FUZZER... - a short libFuzzer run per target over
# its seed corpus (tests/fuzz/seeds/FORMAT and tests/data/FORMAT); fails on
# any crash, sanitizer report or leak.
set -u
runs=$1; shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
for f in "$@"; do
	n=$(basename "$f"); fmt=${n#fuzz_}
	work=$(mktemp -d)
	for d in "$ROOT/tests/fuzz/seeds/$fmt" "$ROOT/tests/data/$fmt"; do
		[ -d "$d" ] && find "$d" -type f ! -name '*.ref' -exec cp {} "$work/" \;
	done
	# the shipped rules are the best seed for the rule parser
	[ "$fmt" = rules ] && cp "$ROOT/correlate/default.rules" "$work/"
	dict=""; [ -f "$ROOT/tests/fuzz/$n.dict" ] && dict="-dict=$ROOT/tests/fuzz/$n.dict"
	if "$f" -runs="$runs" -max_len=16384 -seed=1 $dict "$work" > "$work.log" 2>&1; then
		echo "fuzz ok   $n ($runs runs)"
	else
		echo "fuzz FAIL $n"; tail -n 40 "$work.log"; fail=1
	fi
	rm -rf "$work" "$work.log"
done
exit $fail
