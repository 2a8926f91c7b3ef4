#!/bin/sh
# scripts/demo.sh - `make demo`: ingest the bundled sample incident into a
# fresh store and show what was ingested.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORDON="$ROOT/cordon"
DB="$ROOT/build/demo.db"
mkdir -p "$ROOT/build"
rm -f "$DB" "$DB-wal" "$DB-shm"
echo "== cordon ingest examples/incident  (store: build/demo.db)"
"$CORDON" --db "$DB" ingest "$ROOT/examples/incident" | sed "s|$ROOT/||"
echo
echo "== the incident, oldest first: cordon --db build/demo.db events --oldest"
"$CORDON" --db "$DB" events --oldest --limit 0
echo
echo "== one event in full, with its evidence: events --format json --raw cred_id=AKIAIOSFODNN7EXAMPLE action=iam:CreateAccessKey"
"$CORDON" --db "$DB" events --format ndjson --raw cred_id=AKIAIOSFODNN7EXAMPLE action=iam:CreateAccessKey | sed "s|$ROOT/||"
echo
echo "== correlate: escape signals -> exposed secrets -> their use -> identities reached"
"$CORDON" --db "$DB" correlate || true
echo
id=$("$CORDON" --db "$DB" incidents --format json | jq -r '.incidents[0].id')
echo "== the incident report: cordon --db build/demo.db incident $id"
"$CORDON" --db "$DB" incident "$id"
echo
echo "Next: cordon --db build/demo.db events --help   (filters: field=value, field~regex, --since 2h)"
echo "      cordon --db build/demo.db revoke plan --incident $id   (the revocation plan, reviewable)"
