# tui_live.sh - the screens follow the store without a keypress: with the
# TUI open, another process ingests an escape and correlates, and the new
# incident appears (PRAGMA data_version); then `cordon tui --follow` runs
# the follow-ingest and the periodic correlate itself, evidence of the
# escape is appended to the followed files, and the incident appears.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/tui/lib.sh"
S="$ROOT/tests/scenarios/S1"

# 1. another process writes
"$CORDON" --db a.db ingest -q "$S/inventory" "$S/benign"
"$CORDON" --db a.db correlate > /dev/null
expect_eq "$("$CORDON" --db a.db incidents --format json | jq '.incidents | length')" 0 "incidents before"
tui_open 80 24 "$CORDON --db a.db tui"
tui_wait "no incidents yet"
tui_wait "incidents 0"
"$CORDON" --db a.db ingest -q "$S/attack"
"$CORDON" --db a.db correlate > /dev/null || :
id=$("$CORDON" --db a.db incidents --format json | jq -r '.incidents[0].id')
tui_wait "critical $id"
tui_wait "incidents 1"
tui_gone "no incidents yet"
tui_keys q
tui_wait "TUI-EXIT=0"

# 2. cordon tui --follow: the TUI runs the writers itself
"$CORDON" --db f.db ingest -q "$S/inventory" "$S/benign"
: > ct.jsonl; : > audit.log; : > falco.jsonl; : > tetragon.jsonl
tui_open 80 24 "$CORDON --db f.db tui --follow ct.jsonl audit.log falco.jsonl tetragon.jsonl"
tui_wait "follow: ingesting"
tui_wait "no incidents yet"
jq -c '.Records[]' "$S/attack/cloudtrail.json" >> ct.jsonl
cat "$S/attack/auditd.log" >> audit.log
cat "$S/attack/falco.jsonl" >> falco.jsonl
cat "$S/attack/tetragon.jsonl" >> tetragon.jsonl
tui_wait "critical INC-" 600
tui_screen
# the children are gone with the TUI
kids=$(ps -o pid= --ppid "$(tui_pid)" | tr -d ' ')
[ -n "$kids" ] || die "no follower process"
tui_keys q
tui_wait "TUI-EXIT=0"
for k in $kids; do
	if kill -0 "$k" 2> /dev/null && ! grep -q '^State:.*Z' "/proc/$k/status" 2> /dev/null; then
		die "child $k outlived the TUI"
	fi
done
echo "live: ok"
