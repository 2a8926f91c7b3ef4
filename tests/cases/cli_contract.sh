# The CLI contract a runbook relies on, for every command: the same --format
# names (table, json, ndjson; csv for events and the incident timeline) and
# -o as their short form; a bad option is one "cordon: error:" line with the
# hint to --help, exit 2; one exit-status meaning everywhere (0 success or
# nothing found, 1 findings / failed actions / rejects, 2 usage, configuration
# or store error); times in tables and JSON are RFC 3339 UTC, fixed width.
. "$ROOT/tests/cases/lib.sh"
DB="$TMP/c.db"
C() { "$CORDON" --db "$DB" "$@"; }
C ingest -q "$ROOT/examples/incident" > /dev/null || die "ingest of the sample incident"
set +e; C correlate > /dev/null; rc=$?; set -e
expect_eq $rc 1 "correlate: a new incident is a finding"
ID=$(C incidents -o json | jq -r '.incidents[0].id')
[ -n "$ID" ] && [ "$ID" != null ] || die "no incident"

# name|arguments (split on spaces)|formats it takes|exit status on success
cat > cmds <<EOF
events|--limit 5|table json ndjson csv|0
rejects||table json ndjson|0
incidents||table json ndjson|0
incident|$ID|table json ndjson csv|0
correlate||table json ndjson|0
rules|list|table json ndjson|0
reach|AKIAIOSFODNN7EXAMPLE|table json ndjson|1
whois|AKIAIOSFODNN7EXAMPLE|table json ndjson|0
audit|list|table json ndjson|0
audit|verify|table json ndjson|0
EOF
n=0
while IFS='|' read -r cmd args fmts want; do
	for f in $fmts; do
		# shellcheck disable=SC2086
		set +e; C $cmd $args --format "$f" > out 2> err; rc=$?
		C $cmd $args -o "$f" > out2 2> /dev/null; rc2=$?; set -e
		expect_eq $rc "$want" "$cmd $args --format $f: $(cat err)"
		expect_eq $rc2 "$want" "$cmd $args -o $f"
		case $f in
		json) jq -e . out > /dev/null || die "$cmd --format json is not JSON" ;;
		ndjson) while IFS= read -r line; do
				printf '%s\n' "$line" | jq -e . > /dev/null || die "$cmd ndjson line: $line"
			done < out ;;
		csv) head -1 out | grep -q '^message,datetime,timestamp_desc,timestamp,' ||
				die "$cmd csv header: $(head -1 out)" ;;
		esac
		n=$((n + 1))
	done
	# a format the command does not take, and an unknown option
	# shellcheck disable=SC2086
	set +e; C $cmd $args --format yaml > /dev/null 2> err; rc=$?; set -e
	expect_eq $rc 2 "$cmd --format yaml"
	grep -q "^cordon: error: --format takes table, json" err || die "$cmd bad format: $(cat err)"
	# shellcheck disable=SC2086
	set +e; C $cmd $args --no-such-flag > /dev/null 2> err; rc=$?; set -e
	expect_eq $rc 2 "$cmd --no-such-flag"
	expect_eq "$(wc -l < err)" 1 "$cmd: one error line, not the usage: $(cat err)"
	grep -q "^cordon: error: .*unknown option '--no-such-flag'; see \`cordon .*--help\`" err ||
		die "$cmd unknown flag: $(cat err)"
done < cmds
echo "$n command/format pairs"
# commands with no --format (tui): a bad option is still one line
set +e; C tui --no-such-flag > /dev/null 2> err; rc=$?; set -e
expect_eq $rc 2 "tui --no-such-flag"
expect_eq "$(wc -l < err)" 1 "tui: one error line: $(cat err)"

# ingest: --input-format names the input; --format the summary
C ingest -q --input-format falco "$ROOT/examples/incident/falco.json" -o json | jq -e '.inputs[0].format == "falco"' > /dev/null ||
	die "ingest --input-format / -o json"
set +e; C ingest --format falco x 2> err; rc=$?; set -e
expect_eq $rc 2 "ingest --format NAME-OF-INPUT"
grep -q "input-format falco" err || die "ingest --format hint: $(cat err)"
set +e; C ingest --bogus 2> err; rc=$?; set -e
expect_eq $rc 2 "ingest --bogus"
expect_eq "$(wc -l < err)" 1 "ingest: one error line"
# a value missing: one line too
set +e; C events --limit 2> err; rc=$?; set -e
expect_eq $rc 2 "events --limit without a value"
grep -q "option '--limit' needs a value" err || die "missing value: $(cat err)"

# exit statuses: nothing found is 0, an id that names nothing is a usage error
set +e
C events source=nosuch > /dev/null; expect_eq $? 0 "events: nothing matched"
C whois AKIANOSUCHKEY0000000 > /dev/null 2>&1; expect_eq $? 0 "whois: nothing known"
C reach nosuch-subject > /dev/null 2>&1; expect_eq $? 0 "reach: not in the graph"
C incident INC-nosuch > /dev/null 2>&1; expect_eq $? 2 "incident: no such id"
C revoke plan --incident INC-nosuch > /dev/null 2>&1; expect_eq $? 2 "revoke plan: no such incident"
set -e

# times: RFC 3339 UTC with nine fraction digits everywhere a time is printed
C events --limit 0 -o json | jq -e '[.events[].time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$")] | all' > /dev/null ||
	die "event times are not fixed width"
C events --limit 0 | awk 'NR > 1 { print $1 }' > times
grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$' times &&
	die "events table times are not fixed width: $(grep -Ev '\.[0-9]{9}Z$' times | head -3)"
C incident "$ID" -o json | jq -e '[.signals[].ts | test("\\.[0-9]{9}Z$")] | all' > /dev/null || die "incident signal times"
# the events table: the rule column, a footer when --limit cut the listing, --raw under rows
C events --limit 3 > t
head -1 t | grep -q "RULE/ALERT" || die "events table has no rule column"
tail -1 t | grep -q "^-- 3 events shown; more match" || die "no footer when --limit cut: $(tail -1 t)"
C events --limit 0 > t
grep -q "^-- " t && die "a footer although nothing was cut"
C events --limit 1 --raw source=auditd | sed -n 3p | grep -q "^    node=" || die "--raw ignored in table mode"
C events --limit 1 -o json | jq -e '.more == true' > /dev/null || die "json: more"
