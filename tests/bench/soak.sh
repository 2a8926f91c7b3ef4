#!/bin/sh
# tests/bench/soak.sh - the live-incident soak (`make bench-soak`, and the
# last part of `make bench`; never part of `make test`).  Three logs at
# 3,000 events/s with a rename rotation and two copytruncates, a follower
# on each, `correlate` every 20 s, a query loop (whois, reach, events) and
# revoke/undo every 30 s against the loopback AWS emulator, for
# CORDON_SOAK_SECONDS (default and least 240).  tests/bench/soak.py says
# what it prints; the figures stand beside their targets, never asserted.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORDON=${CORDON:-$ROOT/cordon}
W=$ROOT/build/bench/soak
echo "== live-incident soak: ${CORDON_SOAK_SECONDS:-240} s, 3,000 events/s over three logs"
/usr/bin/python3 "$ROOT/tests/bench/soak.py" "$CORDON" "$W" "${CORDON_SOAK_SECONDS:-240}"
