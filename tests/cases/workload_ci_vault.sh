# workload_ci_vault.sh - a CI job's Vault tokens (issue 20, exchanged
# tokens): a GitHub Actions job that logs in to Vault's jwt method with its
# OIDC token holds the Vault token as it holds the AWS session it took with
# the same token.  Vault logs neither the JWT nor its issuer, only the
# token's name, "MOUNT-SUBJECT": the login records the subject it was
# exchanged for (oidc:SUBJECT), a GitHub subject's secret node
# (oidc:github:SUBJECT) exposes the Vault token, and the job's incident
# (tests/workloads/ci) lists the tokens its subject took while it ran, not
# an earlier job's of the same subject, nor another repository's.
. "$ROOT/tests/cases/lib.sh"
F="$ROOT/tests/workloads/ci"
python3 - > vault-audit.log <<'PY'
import json
SUB = "repo:acme/deploy-infra:environment:production"
def login(t, sub, acc, ip, mount="jwt"):
    req = {"id": "req-" + acc, "operation": "update", "mount_type": "jwt", "mount_point": "auth/%s/" % mount,
           "namespace": {"id": "root"}, "path": "auth/%s/login" % mount, "remote_address": ip, "remote_port": 41022,
           "data": {"jwt": "hmac-sha256:00", "role": "hmac-sha256:01"}}
    print(json.dumps({"time": t, "type": "request", "auth": {"token_type": "default"}, "request": req}))
    print(json.dumps({"time": t, "type": "response", "auth": {
        "client_token": "hmac-sha256:02", "accessor": acc, "display_name": "%s-%s" % (mount.replace("/", "-"), sub),
        "policies": ["default", "deploy"], "token_policies": ["default", "deploy"], "metadata": {"role": "deploy"},
        "entity_id": "e-" + acc, "token_type": "service", "token_ttl": 900}, "request": req,
        "response": {"auth": {"accessor": acc, "display_name": "%s-%s" % (mount.replace("/", "-"), sub),
                              "metadata": {"role": "deploy"}}}}))
# the attacked job's login, from its runner, a few seconds after its AWS exchange
login("2025-06-03T09:50:20.000000000Z", SUB, "hmJobVaultTokenAccessor01", "52.1.2.3", "ci/github")
# the same subject's job of the day before (another run): not this job's
login("2025-06-02T09:50:20.000000000Z", SUB, "hmOldVaultTokenAccessor02", "52.1.2.3", "ci/github")
# another repository's job at the same time
login("2025-06-03T09:51:00.000000000Z", "repo:acme/web:ref:refs/heads/main", "hmWebVaultTokenAccessor03",
      "20.64.82.31", "ci/github")
PY
"$CORDON" --db a.db ingest -q "$F/logs" vault-audit.log
expect_eq "$(sqlite3 a.db "SELECT json_extract(extra, '$.exchanged') FROM events
	WHERE issued_cred = 'hmJobVaultTokenAccessor01'")" "oidc:$(echo repo:acme/deploy-infra:environment:production)" \
	"what the jwt login was exchanged for (mount ci/github: its name ci-github-SUBJECT)"
rc=0; "$CORDON" --db a.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (an incident opened)"
id=$(sqlite3 a.db "SELECT id FROM incidents")
"$CORDON" --db a.db incident "$id" --format json > inc.json
expect_eq "$(python3 -c "
import json, sys
d = json.load(open('inc.json'))
print(' '.join(sorted(c['id'] for c in d['credentials'])))")" \
	"ASIAEXAMPLEGHAJOB001 hmJobVaultTokenAccessor01" "the job's credentials: its AWS session and its Vault token"
"$CORDON" --db a.db whois hmJobVaultTokenAccessor01 > whois.txt
grep -q 'oidc:github:repo:acme/deploy-infra:environment:production' whois.txt ||
	die "whois does not show the job's OIDC token holding the Vault token: $(cat whois.txt)"
grep -q 'exchanged for' whois.txt || die "whois has no exchanged-for section"
echo "ci vault token ok"
