#!/bin/sh
# tests/bench/inventory.sh - the identity graph part of `make bench`: ingest
# of a generated get-account-authorization-details file with 5,000 roles and
# 200,000 policy statements (parse, store, derive every can-assume and
# can-access edge), then `cordon reach` from a user who may assume 100 of
# the roles.  Targets: ingest < 10 s, reach < 1 s.  Not a test: prints only.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORDON=${CORDON:-$ROOT/cordon}
W=$ROOT/build/bench
mkdir -p "$W"
echo
echo "== identity graph: 5,000 roles, 200,000 policy statements"
[ -f "$W/inv5k.json" ] || python3 "$ROOT/tests/bench/gen_inventory.py" 5000 200000 "$W/inv5k.json"
rm -f "$W/inv.db"*
/usr/bin/time -f %e -o "$W/t" "$CORDON" --db "$W/inv.db" ingest -q "$W/inv5k.json"
t_in=$(tail -n 1 "$W/t")
/usr/bin/time -f %e -o "$W/t" "$CORDON" --db "$W/inv.db" reach arn:aws:iam::111122223333:user/bench-user > "$W/reach.txt" || true
t_r=$(tail -n 1 "$W/t")
printf "  input        %s MiB, %s statements stored, %s edges derived\n" \
	"$(awk -v b=$(stat -c %s "$W/inv5k.json") 'BEGIN { printf "%.1f", b / 1048576 }')" \
	"$(sqlite3 "$W/inv.db" 'SELECT count(*) FROM graph_rules')" \
	"$(sqlite3 "$W/inv.db" 'SELECT count(*) FROM graph_edges')"
printf "  ingest       %6.2fs (target < 10 s)\n" "$t_in"
printf "  reach        %6.2fs, %s (target < 1 s)\n" "$t_r" "$(tail -n 1 "$W/reach.txt")"
rm -f "$W/inv.db"*
