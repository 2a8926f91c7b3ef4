# inventory_sshkeys.sh - the ssh-keys inventory (issue 20): SSH public keys
# and OpenSSH certificates that ssh-keygen makes here, at run time.  Each
# fingerprint the inventory computes from the public half is the one
# `ssh-keygen -lf` prints (a certificate's: its key's); a certificate's
# serial, key id, principals and CA are the ones `ssh-keygen -Lf` prints.
# Then an escape: the SSH case of tests/workloads/keymat (a host shell
# reads /root/.ssh/id_ed25519) with no credential map, only this inventory
# (the key's certificate, as `grep -H` prints it, after its host), and
# sshd's logins by that certificate ("ED25519-CERT SHA256:... ID ...
# (serial N) CA ..."): the read is tied to the fingerprint sshd logs, the
# plan revokes the key and the certificate's serial (under its CA, whose
# key comes from CORDON_SSH_CA_KEYS) in a KRL, ssh-keygen -Q finds the
# certificate revoked by each alone, and undo keeps what ssh-keygen -k -u
# added meanwhile.  Bad lines are rejected with the file and line.
. "$ROOT/tests/cases/lib.sh"
command -v ssh-keygen > /dev/null || die "ssh-keygen not installed (openssh-client: scripts/deps.sh)"
mkdir keys
for t in ed25519 "rsa -b 2048" "ecdsa -b 256" "ecdsa -b 384" "ecdsa -b 521"; do
	n=$(echo "$t" | tr -d ' -')
	ssh-keygen -q -t $t -N '' -C "$n@laptop" -f keys/id_$n
done
ssh-keygen -q -t ed25519 -N '' -C ca -f keys/ca
ssh-keygen -q -s keys/ca -I 'deploy-key@ci' -n deploy,root -z 4242 keys/id_ed25519.pub
ssh-keygen -q -s keys/ca -I 'rsa id' -n alice -z 18446744073709551615 keys/id_rsab2048.pub
ssh-keygen -q -s keys/id_rsab2048 -I host-id -h -z 7 keys/id_ecdsab256.pub
# as grep -H prints them, after the host they came from
for f in keys/*.pub; do grep -H '' "$PWD/$f" | sed 's/^/laptop-1:/'; done > inv.txt
"$CORDON" --db k.db ingest -q --json inv.txt > sum.json || die "ingest: $(cat sum.json)"
expect_eq "$(jq -r '.inputs[0].format' sum.json)" ssh-keys "format by content"
for f in keys/*.pub; do
	fp=$(ssh-keygen -lf "$f" | cut -d' ' -f2)
	expect_eq "$(sqlite3 k.db "SELECT count(*) FROM graph_nodes WHERE kind = 'credential' AND key = 'ssh:$fp'")" 1 \
		"$f: ssh-keygen's fingerprint $fp"
	priv=$PWD/${f%.pub}; priv=${priv%-cert}
	expect_eq "$(sqlite3 k.db "SELECT d.key FROM graph_edges e JOIN graph_nodes s ON s.id = e.src
		JOIN graph_nodes d ON d.id = e.dst WHERE s.key = 'file:laptop-1:$priv' AND e.type = 'exposes'")" \
		"ssh:$fp" "$f: the private key's path exposes its fingerprint"
done
expect_eq "$(sqlite3 k.db "SELECT count(*) FROM graph_nodes WHERE kind = 'credential' AND key LIKE 'ssh:%'")" \
	"$(ls keys/*.pub | grep -vc -- -cert)" "one credential per key (a certificate is its key's)"
# certificates: what ssh-keygen -Lf says
for c in keys/*-cert.pub; do
	fp=$(ssh-keygen -lf "$c" | cut -d' ' -f2)
	ssh-keygen -Lf "$c" > L.txt
	got=$(sqlite3 k.db "SELECT json_extract(attrs, '\$.cert_serial') || '|' || json_extract(attrs, '\$.cert_key_id') || '|' ||
		json_extract(attrs, '\$.cert_ca') || '|' || replace(json_extract(attrs, '\$.cert_principals'), char(10), ',')
		FROM graph_nodes WHERE key = 'ssh:$fp'")
	want=$(awk '/^ *Serial:/ { s = $2 } /^ *Key ID:/ { sub(/^ *Key ID: "/, ""); sub(/"$/, ""); id = $0 }
		/^ *Signing CA:/ { ca = $4 } p && /^ *(Critical|Extensions)/ { p = 0 } p { sub(/^ */, ""); pr = pr (pr ? "," : "") $0 }
		/^ *Principals:/ { p = 1; if ($2 == "(none)") p = 0 }
		END { print s "|" id "|" ca "|" pr }' L.txt)
	expect_eq "$got" "$want" "$c: serial, key id, CA, principals"
done

# ---- the escape: a read of the key, sshd's certificate logins -----------------
F=$ROOT/tests/workloads/keymat/ssh
mkdir -p case/inv case/logs
ssh-keygen -q -t ed25519 -N '' -C root@agent-host-3 -f key
ssh-keygen -q -s keys/ca -I 'root@agent-host-3 deploy' -n root,deploy -z 9007 key.pub
FP=$(ssh-keygen -lf key-cert.pub | cut -d' ' -f2)
CAFP=$(ssh-keygen -lf keys/ca.pub | cut -d' ' -f2)
printf 'agent-host-3:/root/.ssh/id_ed25519-cert.pub:%s\n' "$(cat key-cert.pub)" > case/inv/ssh-keys.txt
cp "$F/logs/auditd.log" case/logs/
sed "s|ED25519 SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s|ED25519-CERT $FP ID root@agent-host-3 deploy (serial 9007) CA ED25519 $CAFP|" \
	"$F/logs/auth.log" > case/logs/auth.log
grep -q "ED25519-CERT $FP ID" case/logs/auth.log || die "the fixture lost its sshd logins"
"$CORDON" --db c.db ingest -q case/inv case/logs || die "ingest of the case"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM events WHERE cred_id = '$FP' AND json_extract(extra, '\$.cert_serial') = '9007'")" \
	"$(grep -c "$FP" case/logs/auth.log)" "sshd's certificate logins under the key's fingerprint"
"$CORDON" --db c.db correlate > /dev/null || :
id=$(sqlite3 c.db "SELECT id FROM incidents")
[ -n "$id" ] || die "no incident"
"$CORDON" --db c.db incident "$id" -o json > inc.json
expect_eq "$(jq -r '[.credentials[] | .provider + " " + .id + " " + (.used_after_exposure | tostring)] | join(",")' inc.json)" \
	"ssh $FP true" "the read key is the certificate sshd logged, used from outside"
"$CORDON" --db c.db revoke plan --incident "$id" --out plan.json > plan.txt
expect_eq "$(jq -r '[.steps[] | select(.provider == "ssh") | .action + " " + .target] | join(",")' plan.json)" \
	"revoke-ssh-key $FP,revoke-ssh-cert $CAFP/9007" "the plan revokes the key and the certificate's serial"
jq -r '.steps[] | select(.action == "revoke-ssh-key") | .note' plan.json | grep -q "serial 9007.*$CAFP" ||
	die "the plan's note does not name the certificate: $(jq -r '.steps[].note' plan.json)"
# the CA's public key for the serial's section: sshd's TrustedUserCAKeys file
cp keys/id_rsab2048.pub user_ca_keys && cat keys/ca.pub >> user_ca_keys
export CORDON_SSH_KRL=$PWD/revoked.krl CORDON_SSH_CA_KEYS=$PWD/user_ca_keys
"$CORDON" --db c.db revoke apply plan.json --yes --format json < /dev/null > res.json || die "apply: $(cat res.json)"
# sshd's check refuses a certificate whose key the list revokes, and one
# whose serial it lists under its CA; ssh-keygen reads both back
rc=0; ssh-keygen -Q -f revoked.krl key-cert.pub > q.txt 2>&1 || rc=$?
grep -q "REVOKED" q.txt || die "ssh-keygen does not find the certificate revoked (rc $rc): $(cat q.txt)"
ssh-keygen -Q -l -f revoked.krl > krl.txt
grep -q "^# CA key ssh-ed25519 $CAFP" krl.txt && grep -qx "serial: 9007" krl.txt ||
	die "the KRL lacks the serial under its CA: $(cat krl.txt)"
"$CORDON" --db c.db audit verify > /dev/null || die "audit verify"
# undo the key's entry: the serial alone still refuses the certificate,
# not the key's other certificates (serial 4242 of the same CA)
aid=$(jq -r '.results[] | select(.action == "revoke-ssh-key") | .action_id' res.json)
"$CORDON" --db c.db revoke undo "$aid" > undo.txt 2>&1 || die "undo of the key: $(cat undo.txt)"
ssh-keygen -Q -f revoked.krl key-cert.pub | grep -q REVOKED || die "the serial alone does not refuse the certificate"
ssh-keygen -Q -f revoked.krl keys/id_ed25519-cert.pub | grep -q ": ok" || die "another serial of the CA refused"
# a list ssh-keygen changes meanwhile (a range and a key id under the CA)
printf 'serial: 100-200\nid: lost-laptop\n' > spec && ssh-keygen -q -k -u -f revoked.krl -s keys/ca.pub spec
aid=$(jq -r '.results[] | select(.action == "revoke-ssh-cert") | .action_id' res.json)
"$CORDON" --db c.db revoke undo "$aid" > undo.txt 2>&1 || die "undo of the serial: $(cat undo.txt)"
ssh-keygen -Q -f revoked.krl key-cert.pub | grep -q ": ok" || die "undo left the certificate revoked"
ssh-keygen -Q -l -f revoked.krl > krl2.txt
grep -qx "serial: 100-200" krl2.txt && grep -qx "id: lost-laptop" krl2.txt && ! grep -q "serial: 9007" krl2.txt ||
	die "the undo lost what ssh-keygen added, or kept the serial: $(cat krl2.txt)"
"$CORDON" --db c.db audit verify > /dev/null || die "audit verify after the undos"

# ---- bad lines: the file and line, nothing stored --------------------------------
before=$(sqlite3 k.db "SELECT count(*) FROM graph_nodes")
ED=$(cut -d' ' -f2 keys/id_ed25519.pub); RSA=$(cut -d' ' -f2 keys/id_rsab2048.pub)
CERT=$(cut -d' ' -f2 keys/id_ed25519-cert.pub)
bad() { # bad NAME TEXT WANT
	printf '%s\n' "$2" > "$1"
	rc=0; "$CORDON" --db k.db ingest -q "$1" 2> err || rc=$?
	expect_eq "$rc" 1 "$1: exit status"
	"$CORDON" --db k.db rejects | grep -q "$1.*$3" || die "$1: reject lacks '$3': $(cat err)"
}
bad type.pub "ssh-ed25519 $ED ok
ssh-ed25519 $RSA liar" "line 2: the key's blob names another type than the line"
bad b64.pub "ssh-ed25519 AAAA\$\$\$\$ x" "line 1: the key is not base64"
bad quote.keys "command=\"oops ssh-ed25519 $ED" "unclosed quote"
bad cut-cert.pub "ssh-ed25519-cert-v01@openssh.com ${CERT%????????????????????????????????????????} x" "line 1: the certificate"
bad nokey.keys "# a comment
ssh-ed25519 $ED ok
restrict,pty ssh-foo $ED" "line 3: no SSH key type"
bad host.keys "laptop-1:/a path/x.pub:ssh-ed25519 $ED" "line 1: HOST:PATH: before the key is malformed"
expect_eq "$(sqlite3 k.db "SELECT count(*) FROM graph_nodes")" "$before" "nodes after the rejected files"
echo "ssh-keys inventory ok"
