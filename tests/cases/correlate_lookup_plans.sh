# Attribution's per-finding lookups cost the same on a store of any size:
# the pod behind a container id comes from an index of the events that
# name a pod (not by reading every event of the container: Falco without
# Kubernetes metadata never names it), and a process is placed by
# (host, pid) with the time in the index key (not by reading every earlier
# process that had the pid).  The query plans of the lookups, as
# correlate/attribute.c runs them (and the incident pass its
# destinations of a container since its first signal), say so on a new store and on one
# migrated from schema 6, and correlating the migrated store gives the
# same findings and incidents as the new one.
. "$ROOT/tests/cases/lib.sh"
GEN="$ROOT/tests/bench/gen_mixed.sh"
pod_plan() {
	sqlite3 "$1" "EXPLAIN QUERY PLAN SELECT pod_ns, pod_name, pod_uid, image, container_id FROM events
		WHERE container_id >= 'a' AND container_id < 'b' AND pod_name IS NOT NULL LIMIT 1"
}
pid_plan() {
	sqlite3 "$1" "EXPLAIN QUERY PLAN SELECT container_id, pod_ns, pod_name, pod_uid, image, ppid FROM events
		WHERE host IS 'node1' AND pid = 5 AND ts_ns <= 10 AND ts_ns >= 1
		ORDER BY container_id IS NULL, ts_ns DESC LIMIT 1"
}
# where an incident's containers connected to (attacker_addresses in
# correlate/incident_assemble.c): the events that name a destination, by
# container and time, not every event of the container (schema 9)
dst_plan() {
	sqlite3 "$1" "EXPLAIN QUERY PLAN SELECT dst, ts_ns FROM events WHERE container_id >= 'a' AND container_id < 'b'
		AND dst IS NOT NULL AND ts_ns >= 5 AND source IN ('auditd', 'falco', 'tetragon', 'tracee')"
}
check() { # check DB LABEL
	pod_plan "$1" | grep -q "INDEX events_container_pod" || die "$2: the pod lookup: $(pod_plan "$1")"
	pid_plan "$1" | grep -q "INDEX events_host_pid_ts (host=? AND pid=? AND ts_ns>? AND ts_ns<?)" ||
		die "$2: the pid lookup: $(pid_plan "$1")"
	dst_plan "$1" | grep -q "INDEX events_dst (container_id>? AND container_id<?)" ||
		die "$2: the destination lookup: $(dst_plan "$1")"
}
sh "$GEN" g 20000 0 1
"$CORDON" --db new.db ingest -q g/ct.jsonl g/falco.json g/audit.log || [ $? = 1 ] || die "ingest"
check new.db "a new store"
# schema 6: the container index and (host, pid) alone
cp new.db v6.db
schema10_undo v6.db
sqlite3 v6.db "DROP INDEX events_container_pod; DROP INDEX events_host_pid_ts; DROP INDEX events_dst;
	CREATE INDEX events_host_pid ON events(host, pid) WHERE pid IS NOT NULL; PRAGMA user_version=6;"
: > empty
"$CORDON" --db v6.db ingest -q empty
expect_eq "$(sqlite3 v6.db 'PRAGMA user_version')" $STORE_SCHEMA "migrated schema version"
check v6.db "a store migrated from schema 6"
expect_eq "$(sqlite3 v6.db "SELECT count(*) FROM sqlite_master WHERE name = 'events_host_pid'")" 0 "events_host_pid gone"
set +e
"$CORDON" --db new.db correlate > /dev/null 2>&1
"$CORDON" --db v6.db correlate > /dev/null 2>&1
set -e
q="SELECT group_concat(rule || ' ' || event_id || ' ' || coalesce(workload, '-'), ',') FROM (SELECT * FROM findings ORDER BY event_id, rule)"
expect_eq "$(sqlite3 v6.db "$q")" "$(sqlite3 new.db "$q")" "findings on the migrated store"
[ "$(sqlite3 new.db 'SELECT count(*) FROM findings')" -gt 0 ] || die "no findings at all"
q="SELECT group_concat(id || ' ' || severity || ' ' || hex(digest), ',') FROM (SELECT * FROM incidents ORDER BY id)"
expect_eq "$(sqlite3 v6.db "$q")" "$(sqlite3 new.db "$q")" "incidents on the migrated store"
echo "lookup plans ok"
