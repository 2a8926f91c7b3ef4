# revoke spire-*: the SPIRE server's admin gRPC API over its Unix socket
# (HTTP/2, prior knowledge), against tests/emu/spire.py (python3-grpcio,
# messages decoded by python3-protobuf): delete a registration entry, evict
# and ban agents (undo lifts the ban), NOT_FOUND before acting is a failure
# until this trail proves the removal, UNAVAILABLE is retried, the dry run
# sends nothing.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
/usr/bin/python3 -c "import grpc" 2> /dev/null || die "python3-grpcio not installed (scripts/deps.sh)"
SOCK=$TMP/spire-api.sock
cat > seed.json <<JSON
{"socket":"$SOCK",
 "entries":[{"id":"5f2e9a1c-web","spiffe_id":"spiffe://acme.internal/ns/prod/sa/web",
             "parent_id":"spiffe://acme.internal/spire/agent/k8s_psat/prod/node-1","selectors":["k8s:ns:prod","k8s:sa:web"]},
            {"id":"7a0b-api","spiffe_id":"spiffe://acme.internal/ns/prod/sa/api",
             "parent_id":"spiffe://acme.internal/spire/agent/k8s_psat/prod/node-1","selectors":["k8s:sa:api"]}],
 "agents":[{"spiffe_id":"spiffe://acme.internal/spire/agent/k8s_psat/prod/node-1"},
           {"spiffe_id":"spiffe://acme.internal/spire/agent/k8s_psat/prod/node-2"}]}
JSON
emu_start spire "$TMP/emu" --seed seed.json
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$SOCK" ] || die "the gRPC socket did not appear"
export CORDON_SPIRE_SOCKET=$SOCK CORDON_HTTP_BACKOFF_MS=50
DB="$TMP/sp.db"
C() { "$CORDON" --db "$DB" "$@"; }
st() { emu_ctl spire GET /state; }
AG1=spiffe://acme.internal/spire/agent/k8s_psat/prod/node-1
AG2=spiffe://acme.internal/spire/agent/k8s_psat/prod/node-2

C revoke spire-entry 5f2e9a1c-web --dry-run > d || die "dry run: $(cat d)"
grep -q 'BatchDeleteEntryRequest {ids: \["5f2e9a1c-web"\]}' d || die "dry run: $(cat d)"
emu_ctl spire GET /requests | jq -e 'length == 0' > /dev/null || die "dry run sent"

C revoke spire-entry 5f2e9a1c-web --format json > o || die "delete entry: $(cat o)"
jq -e '.results[0].result == "done" and (.results[0].verified | test("spiffe://acme.internal/ns/prod/sa/web"))' o > /dev/null || die "entry: $(cat o)"
st | jq -e '(.entries | has("5f2e9a1c-web") | not) and (.entries | has("7a0b-api"))' > /dev/null || die "state: $(st)"
# what the server decoded (python3-protobuf) is what we meant
emu_ctl spire GET /requests | jq -e 'any(.[]; .action == "BatchDeleteEntry" and (.request | test("ids: \"5f2e9a1c-web\"")))' > /dev/null ||
	die "server saw: $(emu_ctl spire GET /requests | jq -c '[.[] | {action, request}]')"
C revoke spire-entry 5f2e9a1c-web > o2 || die "twice: $(cat o2)"
grep -q "^already .*removed by action" o2 || die "twice: $(cat o2)"
set +e; C revoke spire-entry no-such-entry > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "unknown entry"
grep -q "not found (NOT_FOUND).*cannot prove" o3 || die "unknown entry: $(cat o3)"

# UNAVAILABLE once: retried
emu_ctl spire POST /seed '{"fail_next":["UNAVAILABLE"]}' > /dev/null
C revoke spire-agent "$AG2" --ban --format json > o || die "ban: $(cat o)"
jq -e '.results[0].result == "done"' o > /dev/null || die "ban: $(cat o)"
st | jq -e --arg a "$AG2" '.agents[$a].banned == true' > /dev/null || die "not banned: $(st)"
emu_ctl spire GET /requests | jq -e 'any(.[]; .status == 14)' > /dev/null || die "no UNAVAILABLE answered"
C revoke spire-agent "$AG2" --ban > o2 || die "ban twice: $(cat o2)"
grep -q "^already .*banned" o2 || die "ban twice: $(cat o2)"
C revoke undo "$(jq -r '.results[0].action_id' o)" > u || die "undo ban: $(cat u)"
st | jq -e --arg a "$AG2" '.agents | has($a) | not' > /dev/null || die "ban not lifted: $(st)"

C revoke spire-agent "$AG1" --evict > o || die "evict: $(cat o)"
grep -q "^done .*evicted" o || die "evict: $(cat o)"
st | jq -e --arg a "$AG1" '.agents | has($a) | not' > /dev/null || die "not evicted"
set +e; C revoke spire-agent spiffe://acme.internal/spire/agent/x/none --evict > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "unknown agent"
set +e; C revoke spire-agent not-a-spiffe-id --evict > o3 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || die "bad SPIFFE ID accepted"
grep -q "is not a SPIFFE ID" o3 || die "bad id: $(cat o3)"
# no server: a clear failure
set +e; CORDON_SPIRE_SOCKET=$TMP/none.sock C revoke spire-entry 7a0b-api > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "no server"
grep -q "admin socket" o3 || die "no server: $(cat o3)"
C audit verify > /dev/null || die "audit verify"
