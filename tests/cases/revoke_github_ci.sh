# Containing a CI job against tests/emu/github.py: disable the workflow
# (by file name and by id; twice is "already", proven by its state; undo
# enables it), remove a repository's and an organisation's self-hosted
# runner (twice: not proven, so a failure; the trail then proves it), a
# missing token or target said plainly, no token anywhere.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
ADMIN=ghp_ResponderTokenDoNotLeak0000000000002
cat > gh.json <<JSON
{"tokens":[{"token":"$ADMIN","id":"admin","user":"responder"}],
 "repos":{"acme/web":{"workflows":[{"id":161335,"path":"deploy.yml","name":"deploy"},
                                   {"id":161336,"path":"nightly.yml","name":"nightly"}],
                      "runners":[{"id":23,"name":"shared-runner-1"}]}},
 "orgs":{"acme":{"runners":[{"id":7,"name":"org-runner-7"}]}}}
JSON
emu_start github "$TMP/emu" --seed gh.json
export GITHUB_API_URL=$EMU_GITHUB_URL GITHUB_TOKEN=$ADMIN CORDON_HTTP_BACKOFF_MS=50
DB="$TMP/g.db"
C() { "$CORDON" --db "$DB" "$@"; }
st() { emu_ctl github GET /state; }

C revoke github-workflow acme/web/deploy.yml --disable --format json > o || die "disable: $(cat o)"
jq -e '.results[0].result == "done" and (.results[0].verified | test("disabled_manually"))' o > /dev/null || die "disable: $(cat o)"
st | jq -e '.repos["acme/web"].workflows["deploy.yml"] == "disabled_manually" and .repos["acme/web"].workflows["nightly.yml"] == "active"' > /dev/null || die "state: $(st | jq -c .repos)"
id=$(jq -r '.results[0].action_id' o)
C revoke github-workflow acme/web/161335 --disable > o2 || die "twice: $(cat o2)"
grep -q "^already .*disabled_manually" o2 || die "twice: $(cat o2)"
C revoke undo "$id" > u || die "undo: $(cat u)"
st | jq -e '.repos["acme/web"].workflows["deploy.yml"] == "active"' > /dev/null || die "undo: $(st | jq -c .repos)"
set +e; C revoke github-workflow acme/web/ghost.yml --disable > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "absent workflow"
grep -q "not found (404)" o3 || die "absent workflow: $(cat o3)"

C revoke github-runner acme/web/23 > o || die "repo runner: $(cat o)"
grep -q "^done .*shared-runner-1 acme/web/23 deregistered" o || die "repo runner: $(cat o)"
C revoke github-runner acme/7 > o || die "org runner: $(cat o)"
st | jq -e '.repos["acme/web"].runners == [] and .orgs.acme.runners == []' > /dev/null || die "runners: $(st | jq -c .)"
# again: GitHub's 404 alone proves nothing; this trail's removal does
C revoke github-runner acme/web/23 > o2 || die "runner twice: $(cat o2)"
grep -q "^already .*removed by action" o2 || die "runner twice: $(cat o2)"
set +e; C revoke github-runner acme/web/99 > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "runner never removed here"
grep -q "cannot prove it is removed" o3 || die "unknown runner: $(cat o3)"

# no token: a failure that says what to set, nothing sent
emu_ctl github DELETE /requests > /dev/null
set +e; GITHUB_TOKEN= C revoke github-workflow acme/web/nightly.yml --disable > o3 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || die "no token accepted"
grep -q "GITHUB_TOKEN is not set" o3 || die "no token: $(cat o3)"
emu_ctl github GET /requests | jq -e 'length == 0' > /dev/null || die "sent without a token"

C audit verify > /dev/null || die "audit verify"
for f in o o2 o3 u "$DB" "$TMP/emu/github.log"; do
	[ -f "$f" ] || continue
	if grep -qaF -- "$ADMIN" "$f"; then die "token found in $f"; fi
done
