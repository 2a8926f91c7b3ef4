# keymat_kinds.sh - key material and exchanged tokens (issue 20): one
# incident per credential kind, from tests/workloads/mkkeymat.py's cases (a
# host sandbox escapes with nsenter, then a shell reads the key):
#   x509     a Vault PKI client certificate's key (cert-manager's Certificate
#            billing-client writes its Secret: re-issued, then revoked); the map spells its serial
#            in colon-hex, Vault's cert auth logs it in decimal: one
#            credential, used after exposure from 203.0.113.66, and the
#            token that login minted joins (exchanged for the certificate);
#            the billing agent's routine cert logins before the read do not
#   ssh      an SSH private key (revoke-ssh-key by fingerprint); sshd logs
#            its owner's routine logins from 10.0.4.17 (before and after the
#            read: they do not count as use), then the stolen key's from
#            203.0.113.66 (USE-12, used after exposure) to root@bastion-1
#            and on to deploy@db-1 (reach continues to what it opened)
#   spiffe   the SPIRE agent's socket (delete-entry of the mapped entry)
#   spire    the same socket, the map naming only the SPIFFE ID: the SPIRE
#            inventory (entry show, agent list) gives its entries; the one
#            under agent-host-3's agent is deleted, not the one under
#            node-9's, and that agent is evicted first (containment: it
#            mints SVIDs for every entry parented to it)
#   signing  a cosign key (a manual rotation)
#   k8scert  a client certificate's key; the map names its serial, a
#            certificate inventory (PEM) its SHA-256, CN and O; Kubernetes
#            audit names it X509SHA256=... (user.extra credential-id): one
#            credential, used after exposure from 203.0.113.66 (its routine
#            reads from home, after the read too, are not), its reach
#            through RBAC from its groups, its secret reads rotated
#   token    a Vault agent's sink file on the host: its token is the newest
#            one the host's certificate logged in for, used from outside
# The key's own service reading it all day, and a renewer writing it, open
# nothing; neither does the benign history alone.  Golden JSON in
# tests/workloads/keymat/KIND/expect/ (UPDATE_GOLDEN=1 rewrites: review).
. "$ROOT/tests/cases/lib.sh"
SERIAL=X509SERIAL=3a33141fabadb0c5da55f851852b92e0718d13ff
golden() { # golden KIND NAME
	sed "s|$ROOT/||g" | python3 -m json.tool --sort-keys > "$1-$2.out"
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		mkdir -p "$ROOT/tests/workloads/keymat/$1/expect"
		cp "$1-$2.out" "$ROOT/tests/workloads/keymat/$1/expect/$2.json"
		return 0
	fi
	diff -u "$ROOT/tests/workloads/keymat/$1/expect/$2.json" "$1-$2.out" || die "$1 $2: differs from expect/$2.json"
}
plan_has() { # plan_has KIND PROVIDER ACTION TARGET
	python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
want = tuple(sys.argv[2:5])
sys.exit(0 if any((s["provider"], s["action"], s["target"]) == want for s in p["plan"]) else 1)
' "$1-incident.out" "$2" "$3" "$4" || die "$1: no step $2 $3 $4 in the plan"
}
creds() { # creds KIND: "provider id used" per credential, sorted
	python3 -c '
import json, sys
for c in sorted(json.load(open(sys.argv[1]))["credentials"], key=lambda c: (c["provider"], c["id"])):
    print(c["provider"], c["id"], "used" if c["used_after_exposure"] else "unused")
' "$1-incident.out"
}
for k in x509 ssh spiffe spire signing token k8scert; do
	F="$ROOT/tests/workloads/keymat/$k"
	"$CORDON" --db $k.db ingest -q "$F/inventory" "$F/logs" || die "$k: ingest"
	rc=0; "$CORDON" --db $k.db correlate > /dev/null || rc=$?
	expect_eq "$rc" 1 "$k: correlate exit"
	expect_eq "$(sqlite3 $k.db "SELECT count(*) FROM incidents")" 1 "$k: incidents"
	expect_eq "$(sqlite3 $k.db "SELECT count(*) FROM findings WHERE rule = 'CRED-08'")" \
		"$([ $k = token ] && echo 0 || echo 1)" "$k: CRED-08 findings (the shell's read only)"
	id=$(sqlite3 $k.db "SELECT id FROM incidents")
	"$CORDON" --db $k.db incident "$id" -o json | golden $k incident
	"$CORDON" --db $k.db revoke plan --incident "$id" --format json | golden $k plan
	# the benign history alone: the service's own reads, the renewer, routine logins
	mkdir -p benign-$k
	grep -v 'pid=4123[0-9]\|pid=4124[0-9]\|pid=4125[0-9]' "$F/logs/auditd.log" > benign-$k/auditd.log
	[ -f "$F/logs/vault-audit.log" ] && grep -v '203\.0\.113\.66' "$F/logs/vault-audit.log" > benign-$k/vault-audit.log
	[ -f "$F/logs/k8s-audit.jsonl" ] && grep -v '203\.0\.113\.66' "$F/logs/k8s-audit.jsonl" > benign-$k/k8s-audit.jsonl
	[ -f "$F/logs/auth.log" ] && grep -v '203\.0\.113\.66' "$F/logs/auth.log" > benign-$k/auth.log
	"$CORDON" --db benign-$k.db ingest -q "$F/inventory" benign-$k
	"$CORDON" --db benign-$k.db correlate > /dev/null || die "$k: an incident on the benign history"
done

# x509: one credential for the colon-hex of the map and the decimal of Vault's log
expect_eq "$(creds x509)" "vault acc-e64ba38a4b958c72bc0d used
x509 $SERIAL used" "x509: credentials"
plan_has x509 vault revoke-cert pki/3a:33:14:1f:ab:ad:b0:c5:da:55:f8:51:85:2b:92:e0:71:8d:13:ff
# cert-manager's Certificate billing-client writes the Secret the map names
# (the inventory's cert-manager.json): re-issued before the PKI revoke
plan_has x509 k8s reissue-cert billing/billing-client
expect_eq "$(jq -r '[.steps[] | select(.action == "reissue-cert" or .action == "revoke-cert") | .action] | join(",")' x509-plan.out)" \
	"reissue-cert,revoke-cert" "x509: the re-issue before the Vault PKI revoke"
"$CORDON" --db x509-nocm.db ingest -q "$ROOT/tests/workloads/keymat/x509/inventory/credentials.map" \
	"$ROOT/tests/workloads/keymat/x509/logs"
"$CORDON" --db x509-nocm.db correlate > /dev/null || true
"$CORDON" --db x509-nocm.db revoke plan --incident "$(sqlite3 x509-nocm.db "SELECT id FROM incidents")" --format json |
	jq -r '.steps[] | select(.action == "reissue-cert") | .target' | grep -qx billing/billing-client-tls ||
	die "x509 without cert-manager objects: the Certificate is no longer taken to be named as its Secret"
plan_has x509 vault revoke-accessor acc-e64ba38a4b958c72bc0d
expect_eq "$(sqlite3 x509.db "SELECT count(*) FROM events WHERE cred_id = '$SERIAL'")" 14 \
	"x509: cert logins carry the certificate's id"
# whois and reach from the certificate: the Vault cert role and its policies,
# the Kubernetes user the map says it authenticates as
"$CORDON" --db x509.db whois "$SERIAL" --format json | golden x509 whois
"$CORDON" --db x509.db reach "$SERIAL" --format json | golden x509 reach
"$CORDON" --db x509.db reach "$SERIAL" | grep -q 'vault:policy/billing-read' || die "x509: reach misses the cert role's policy"
"$CORDON" --db x509.db reach "$SERIAL" | grep -q 'k8s:billing-client' || die "x509: reach misses the k8s user"

plan_has ssh ssh revoke-ssh-key SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s
# ssh: the stolen key's sshd logins join (USE-12 on its first from
# outside), reach goes on to the accounts it opened; the owner's routine
# logins alone, after the read as before, are no use of the exposed key
expect_eq "$(creds ssh)" "ssh SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s used" "ssh: credentials"
grep -q '"rule": "USE-12"' ssh-incident.out || die "ssh: the stolen key's login is not in the timeline"
grep -q '"identity": "deploy@db-1"' ssh-incident.out || die "ssh: reach misses the account the key opened"
mkdir -p routine-ssh
cp "$ROOT/tests/workloads/keymat/ssh/logs/auditd.log" routine-ssh/
grep -v '203\.0\.113\.66' "$ROOT/tests/workloads/keymat/ssh/logs/auth.log" > routine-ssh/auth.log
grep -q 'T10:25:00.*10\.0\.4\.17' routine-ssh/auth.log || die "ssh: the fixture lost its routine login after the read"
"$CORDON" --db routine-ssh.db ingest -q "$ROOT/tests/workloads/keymat/ssh/inventory" routine-ssh
"$CORDON" --db routine-ssh.db correlate > /dev/null || true
"$CORDON" --db routine-ssh.db incident "$(sqlite3 routine-ssh.db "SELECT id FROM incidents")" -o json > routine-ssh-incident.out
expect_eq "$(creds routine-ssh)" "ssh SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s unused" \
	"ssh: the owner's routine login after the read counted as use"
# k8scert: the serial of the map and the hash of Kubernetes audit are one
# credential; RBAC through the certificate's O; the secret it got rotated
CSERIAL=X509SERIAL=3a33141fabadb0c5da55f851852b92e0718d13ff
expect_eq "$(creds k8scert)" "x509 $CSERIAL used" "k8scert: credentials"
plan_has k8scert k8s rotate-secret billing/billing-db
"$CORDON" --db k8scert.db reach "$CSERIAL" > k8scert-reach.txt || true
grep -q 'identity k8s:group:billing-readers' k8scert-reach.txt || die "k8scert: reach misses the O group"
grep -q 'resource k8s:secrets/billing' k8scert-reach.txt || die "k8scert: reach misses RBAC from the group"
mkdir -p routine-k8scert
cp "$ROOT/tests/workloads/keymat/k8scert/logs/auditd.log" routine-k8scert/
grep -v '203\.0\.113\.66' "$ROOT/tests/workloads/keymat/k8scert/logs/k8s-audit.jsonl" > routine-k8scert/k8s-audit.jsonl
"$CORDON" --db routine-k8scert.db ingest -q "$ROOT/tests/workloads/keymat/k8scert/inventory" routine-k8scert
"$CORDON" --db routine-k8scert.db correlate > /dev/null || true
"$CORDON" --db routine-k8scert.db incident "$(sqlite3 routine-k8scert.db "SELECT id FROM incidents")" -o json > routine-k8scert-incident.out
expect_eq "$(creds routine-k8scert)" "x509 $CSERIAL unused" \
	"k8scert: the owner's routine reads after the read counted as use"
plan_has spiffe spire delete-entry 0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c
plan_has signing signing rotate-signing-key cosign:release-2025
# spire: the entry under the escaped host's agent, the agent evicted before
A3=spiffe://example.org/spire/agent/x509pop/5b1e0c9d2f4a6e8b7c3d1f0a9e8d7c6b5a4f3e2d
plan_has spire spire delete-entry 0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c
plan_has spire spire evict-agent $A3
expect_eq "$(jq -r '[.steps[] | select(.provider == "spire") | .phase + " " + .action + " " + .target] | join(",")' spire-plan.out)" \
	"quarantine evict-agent $A3,revoke delete-entry 0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c" \
	"spire: the agent evicted before the entry is deleted, node-9's entry kept"
# no agent list: the entries are found, the agents are not placed
mkdir -p spire-noagents && cp "$ROOT/tests/workloads/keymat/spire/inventory/credentials.map" \
	"$ROOT/tests/workloads/keymat/spire/inventory/spire-entries.json" spire-noagents/
"$CORDON" --db spire-noagents.db ingest -q spire-noagents "$ROOT/tests/workloads/keymat/spire/logs"
"$CORDON" --db spire-noagents.db correlate > /dev/null || true
"$CORDON" --db spire-noagents.db revoke plan --incident "$(sqlite3 spire-noagents.db "SELECT id FROM incidents")" \
	--format json > spire-noagents-plan.out
expect_eq "$(jq -r '[.steps[] | select(.provider == "spire") | .action + " " + .target + " " + (.manual | tostring)] | sort | join(",")' spire-noagents-plan.out)" \
	"delete-entry 0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c false,delete-entry 7d2a9c4e-1b3f-4a6d-8e0c-5f9b2d1a3c7e false,evict-agent-on-host agent-host-3 true" \
	"spire without the agent list: every entry of the SPIFFE ID; which agent to evict is the responder's"
# the escaped host's agent attested by a join token (the list places it on
# no host), node-9's placed elsewhere: node-9's entry serves other
# workloads and is kept, the unplaced agent is the one whose socket was used
mkdir -p spire-jointoken && cp "$ROOT/tests/workloads/keymat/spire/inventory/credentials.map" spire-jointoken/
for f in spire-entries spire-agents; do
	sed 's|/spire/agent/x509pop/5b1e0c9d2f4a6e8b7c3d1f0a9e8d7c6b5a4f3e2d|/spire/agent/join_token/5b1e0c9d2f4a6e8b7c3d1f0a9e8d7c6b5a4f3e2d|g' \
		"$ROOT/tests/workloads/keymat/spire/inventory/$f.json" > "spire-jointoken/$f.json"
done
jq '.agents |= map(if .attestation_type == "x509pop" then .attestation_type = "join_token" | .selectors = [] else . end)' \
	spire-jointoken/spire-agents.json > jt.json && mv jt.json spire-jointoken/spire-agents.json
"$CORDON" --db spire-jt.db ingest -q spire-jointoken "$ROOT/tests/workloads/keymat/spire/logs"
"$CORDON" --db spire-jt.db correlate > /dev/null || true
"$CORDON" --db spire-jt.db revoke plan --incident "$(sqlite3 spire-jt.db "SELECT id FROM incidents")" \
	--format json > spire-jt-plan.out
expect_eq "$(jq -r '[.steps[] | select(.provider == "spire") | .action + " " + .target] | join(",")' spire-jt-plan.out)" \
	"evict-agent spiffe://example.org/spire/agent/join_token/5b1e0c9d2f4a6e8b7c3d1f0a9e8d7c6b5a4f3e2d,delete-entry 0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c" \
	"spire with a join-token agent: node-9's entry kept, the unplaced agent evicted"
"$CORDON" --db ssh.db whois SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s --format json | golden ssh whois

# x509: the agent's routine login after the read, from its own address, is
# no attacker's (the credentials above hold only the attacker's token)
sqlite3 x509.db "SELECT count(*) FROM events WHERE issued_cred = 'acc-$(python3 -c 'import hashlib; print(hashlib.sha256(b"routine-after").hexdigest()[:20])')'" |
	grep -qx 1 || die "x509: the fixture lost its routine login after the read"
# token: the sink's token is the newest the host's certificate logged in for
expect_eq "$(creds token)" "vault acc-835f57c5505645dd3a3b used
x509 $SERIAL unused" "token: credentials"
grep -q 'vault-token was read on agent-host-3; the newest Vault token' token-incident.out ||
	die "token: the sink's token joined without its evidence"
"$CORDON" --db token.db whois acc-835f57c5505645dd3a3b --format json | golden token whois
# token: the agent's routine renewal 40 s after the read (10:01:10), within
# the clocks' skew allowance, minted a token the reader never saw: the
# sink's token is still the newest login before the read
mkdir -p renewed && cp "$ROOT/tests/workloads/keymat/token/logs/auditd.log" renewed/
{ cat "$ROOT/tests/workloads/keymat/token/logs/vault-audit.log"
  grep '"accessor": "acc-835f57c5505645dd3a3b"' "$ROOT/tests/workloads/keymat/token/logs/vault-audit.log" |
	grep '"path": "auth/cert/login"' | grep '"type": "response"' | head -n 1 |
	sed 's/"time": "[^"]*"/"time": "2025-06-03T10:01:50.000000000Z"/; s/acc-835f57c5505645dd3a3b/acc-renewed0after0read00/g; s/hmac-sha256:92f16f/hmac-sha256:0000ff/g'
} > renewed/vault-audit.log
expect_eq "$(grep -c acc-renewed0after0read00 renewed/vault-audit.log)" 1 "token: the renewal added to the fixture"
"$CORDON" --db renewed.db ingest -q "$ROOT/tests/workloads/keymat/token/inventory" renewed || die "renewed: ingest"
rc=0; "$CORDON" --db renewed.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "renewed: correlate exit"
"$CORDON" --db renewed.db incident "$(sqlite3 renewed.db "SELECT id FROM incidents")" -o json > token-incident.out
expect_eq "$(creds token)" "vault acc-835f57c5505645dd3a3b used
x509 $SERIAL unused" "token: credentials with a renewal just after the read"
echo "key material ok"
