# revoke ssh-key: a key revoked in an OpenSSH KRL by the SHA-256 fingerprint
# sshd logs, judged by OpenSSH's own ssh-keygen -Q: a KRL ssh-keygen made
# (an explicit key and a CA's certificate serial) keeps its entries; a
# missing KRL is created; twice is "already"; undo lifts only that key; a
# file that is not a KRL is left untouched; the dry run writes nothing.
. "$ROOT/tests/cases/lib.sh"
command -v ssh-keygen > /dev/null || die "ssh-keygen not installed (openssh-client: scripts/deps.sh)"
for k in k1 k2 k3 ca; do ssh-keygen -q -t ed25519 -N '' -C "$k" -f $k; done
ssh-keygen -q -s ca -I web-deploy -z 42 k2.pub
fp() { ssh-keygen -lf "$1" | cut -d' ' -f2; }
revoked() { # KRL KEY: ssh-keygen -Q says REVOKED
	ssh-keygen -Q -f "$1" "$2" > q 2>&1 || :
	grep -q "REVOKED" q
}
# a KRL ssh-keygen writes: k3 explicitly, and certificate serial 42 of ca
printf 'serial: 42\n' > spec
ssh-keygen -q -k -f ref.krl k3.pub
ssh-keygen -q -k -u -f ref.krl -s ca.pub spec
revoked ref.krl k3.pub || die "setup: k3 not revoked: $(cat q)"
revoked ref.krl k2-cert.pub || die "setup: cert 42 not revoked: $(cat q)"
revoked ref.krl k1.pub && die "setup: k1 revoked"
cp ref.krl before.krl
DB="$TMP/s.db"
C() { "$CORDON" --db "$DB" "$@"; }
export CORDON_SSH_KRL=$PWD/ref.krl
F1=$(fp k1.pub)

C revoke ssh-key "$F1" --dry-run > d || die "dry run: $(cat d)"
grep -q "add $F1 to KRL" d || die "dry run: $(cat d)"
cmp -s ref.krl before.krl || die "dry run changed the KRL"

C revoke ssh-key "$F1" --format json > o || die "revoke: $(cat o)"
jq -e '.results[0].result == "done" and (.results[0].verified | test("listed in KRL"))' o > /dev/null || die "revoke: $(cat o)"
revoked ref.krl k1.pub || die "ssh-keygen does not see k1 revoked: $(cat q)"
revoked ref.krl k3.pub || die "k3 lost: $(cat q)"
revoked ref.krl k2-cert.pub || die "certificate serial 42 lost: $(cat q)"
revoked ref.krl k2.pub && die "k2 (plain) revoked: $(cat q)"
id=$(jq -r '.results[0].action_id' o)
C revoke ssh-key "$F1" > o2 || die "twice: $(cat o2)"
grep -q "^already .*listed in KRL" o2 || die "twice: $(cat o2)"
C revoke undo "$id" > u || die "undo: $(cat u)"
revoked ref.krl k1.pub && die "undo left k1 revoked"
revoked ref.krl k3.pub || die "undo lost k3"

# a new list, two keys at once (the lock serialises the pool's workers)
export CORDON_SSH_KRL=$PWD/new.krl
C revoke ssh-key "$F1" "$(fp k2.pub)" --jobs 2 > o || die "new KRL: $(cat o)"
revoked new.krl k1.pub || die "new KRL: k1"
revoked new.krl k2.pub || die "new KRL: k2"
revoked new.krl k3.pub && die "new KRL: k3"

# not a KRL: a failure naming it, the file untouched
printf 'ssh-ed25519 AAAA not a krl\n' > bad.krl
cp bad.krl bad.orig
set +e; CORDON_SSH_KRL=$PWD/bad.krl C revoke ssh-key "$F1" > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "not a KRL"
grep -q "not an OpenSSH KRL" o3 || die "bad KRL: $(cat o3)"
cmp -s bad.krl bad.orig || die "bad KRL changed"
# a truncated KRL
head -c 60 ref.krl > trunc.krl
set +e; CORDON_SSH_KRL=$PWD/trunc.krl C revoke ssh-key "$F1" > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "truncated KRL"
grep -q "truncated" o3 || die "truncated: $(cat o3)"
# not a fingerprint
set +e; C revoke ssh-key SHA256:short > o3 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || die "bad fingerprint accepted"
grep -q "is not a key's SHA-256 fingerprint" o3 || die "bad fp: $(cat o3)"
set +e; CORDON_SSH_KRL= C revoke ssh-key "$F1" > o3 2>&1; rc=$?; set -e
expect_eq $rc 2 "no KRL configured"
grep -q "CORDON_SSH_KRL is not set" o3 || die "unset: $(cat o3)"
C audit verify > /dev/null || die "audit verify"
