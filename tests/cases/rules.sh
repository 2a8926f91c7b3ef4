# rules.sh - the rule loader and `cordon rules`: the shipped rules load and
# pass their own examples; broken rule files fail with file:line and reason.
. "$ROOT/tests/cases/lib.sh"

# the defaults: every example passes
out=$("$CORDON" rules test) || die "default rules fail their examples: $out"
echo "$out" | grep -q ', 0 failed$' || die "unexpected summary: $out"
n=$("$CORDON" rules list --format json | jq '.rules | length')
[ "$n" -ge 28 ] || die "expected the 21 catalog rules and 7 more, got $n"
for id in ESC-01 ESC-09 CRED-01 CRED-06 USE-01 USE-06; do
	"$CORDON" rules list --format json | jq -e --arg id "$id" '.rules[] | select(.id == $id)' >/dev/null \
		|| die "rule $id missing"
done

check_err() { # FILE EXPECTED-TEXT
	set +e; msg=$("$CORDON" rules test "$1" 2>&1); rc=$?; set -e
	[ $rc = 2 ] || die "$1: expected exit 2, got $rc ($msg)"
	echo "$msg" | grep -qF -- "$2" || die "$1: expected '$2' in: $msg"
}
printf 'rule A-1\n  title t\n  when\n    nosuchfield = x\n' > unknown.rules
check_err unknown.rules "unknown.rules:4: unknown field 'nosuchfield'"
printf 'rule A-1\n  title t\n  when\n    exe ~ (a|b\n' > badre.rules
check_err badre.rules "badre.rules:4: bad regular expression"
printf 'rule A-1\n  title t\n  when\n    exe frobs x\n' > badop.rules
check_err badop.rules "badop.rules:4: unknown operator 'frobs'"
printf 'rule A-1\n  title t\n  when\n    exe = a\nrule A-1\n  title u\n  when\n    exe = b\n' > dup.rules
check_err dup.rules "dup.rules:5: rule A-1 defined twice"
printf 'rule A-1\n  within  jail\n  when\n    action = setns\n' > within.rules
check_err within.rules "within.rules:2: 'jail' is not a workload kind"
printf 'rule A-1\n  target  inside\n  when\n    action = ptrace\n' > target.rules
check_err target.rules "target.rules:2: expected 'target outside'"
printf 'rule A-1\n  title t\n' > nowhen.rules
check_err nowhen.rules "has no 'when' block"
printf 'rule A-1\n  title t\n  severity urgent\n' > sev.rules
check_err sev.rules "sev.rules:3: unknown severity 'urgent'"
printf 'rule A-1\n  title t\n  when\n    exe = a\n  distinct src_ip per cred_id >= 0 within 10m\n' > thr.rules
check_err thr.rules "thr.rules:5: threshold must be"
printf '\0\0\0' > nul.rules
check_err nul.rules "nul.rules:1: NUL byte"

# examples that do not hold fail with exit 1, naming the line
cat > ex.rules <<'R'
rule T-1
  title test
  when
    exe    suffix  /curl
    dst_ip = 169.254.169.254
  unless
    pod_ns = kube-system
  example match    exe=/usr/bin/curl dst=169.254.169.254:80
  example nomatch  exe=/usr/bin/curl dst=169.254.169.254:80 pod_ns=kube-system
  example match    exe=/usr/bin/wget dst=169.254.169.254:80
R
set +e; out=$("$CORDON" rules test ex.rules); rc=$?; set -e
[ $rc = 1 ] || die "a failing example must exit 1, got $rc"
echo "$out" | grep -q 'ex.rules:10: rule T-1: example should match but does not' || die "$out"
echo "$out" | grep -q '1 rules, 3 examples, 1 failed' || die "$out"

# a user directory overrides a default rule by id
mkdir -p user
printf 'rule CRED-03\n  title my metadata rule\n  severity low\n  when\n    dst_ip = 169.254.169.254\n' > user/mine.rules
t=$("$CORDON" rules list --rules user --format json | jq -r '.rules[] | select(.id=="CRED-03") | .title')
[ "$t" = "my metadata rule" ] || die "override not applied: $t"
t=$(CORDON_RULES=user "$CORDON" rules list --format json | jq -r '.rules[] | select(.id=="CRED-03") | .severity')
[ "$t" = low ] || die "\$CORDON_RULES override not applied: $t"
# a broken user rule stops correlate with a clear error, before touching the store
printf 'rule X\n  title t\n  when\n    exe ~ (\n' > user/broken.rules
set +e; msg=$("$CORDON" --db c.db correlate --rules user 2>&1); rc=$?; set -e
[ $rc = 2 ] || die "correlate with a broken rule: expected 2, got $rc"
echo "$msg" | grep -q 'broken.rules:4' || die "$msg"
[ ! -e c.db ] || die "correlate created the store despite a rule error"
echo "rules ok"
