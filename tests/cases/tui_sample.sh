# tui_sample.sh - `cordon tui` on the bundled sample incident, driven under
# tmux: no terminal gives the clear error; the incidents screen; drilling
# into the timeline and a raw record; expanding the blast-radius tree; the
# plan; help; search; resize to 200x60 and back to 80x24; NO_COLOR; and the
# terminal left clean after q, Ctrl-C, SIGTERM and a crash signal.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/tui/lib.sh"
"$CORDON" --db s.db ingest -q "$ROOT/examples/incident"
"$CORDON" --db s.db correlate > /dev/null || :
id=$("$CORDON" --db s.db incidents --format json | jq -r '.incidents[0].id')
[ -n "$id" ] && [ "$id" != null ] || die "the sample has no incident"

# not a terminal: exit 2 and say what to use instead
set +e; "$CORDON" --db s.db tui < /dev/null > out 2> err; rc=$?; set -e
expect_eq $rc 2 "tui without a terminal"
grep -q 'cordon incidents' err && grep -q -- '--format json' err || die "no pointer to the CLI: $(cat err)"

C="$CORDON --db s.db tui"
tui_open 80 24 "$C"
tui_wait "$id"
tui_screen > incidents.txt
grep -q "critical $id" incidents.txt || die "incident line: $(cat incidents.txt)"
# 6 signals, 6 exposed, 5 credentials, none cut off yet
grep "$id" incidents.txt | grep -Eq ' 1 +6 +6 +5 +0 ' || die "counts: $(grep "$id" incidents.txt)"
grep -q "events 22  incidents 1" incidents.txt || die "status line: $(cat incidents.txt)"
# help lists every key
tui_keys '?'
tui_wait "cordon tui: keys"
for k in "j/k" "PgUp/PgDn" "Ctrl-u/Ctrl-d" "g/G" "Enter" "Esc, q" "Tab" "n/N" "Space"; do
	tui_screen | grep -qF -- "$k" || die "help does not list $k"
done
# the rest of it at 80x24: j scrolls
tui_wait "(more: j)"
tui_keys j j j j j j j j j j j j j j j j
tui_wait "cancel the steps not started"
tui_keys x
tui_wait "Enter open"

# incident: timeline with the per-source histogram
tui_keys Enter
tui_wait "[Timeline]"
tui_screen > timeline.txt
grep -q "CRED-07" timeline.txt && grep -q "ESC-01" timeline.txt || die "timeline: $(cat timeline.txt)"
grep -Eq '^auditd +.*[▁▂▃▄▅▆▇█]+.* 3$' timeline.txt || die "no histogram: $(cat timeline.txt)"
# the first signal's raw record, its fields and the record itself at the end
tui_keys Enter
tui_wait "raw evidence record"
tui_wait "examples/incident/audit.log, line 1"
tui_keys G
tui_wait "type=SYSCALL"
tui_keys Escape
tui_wait "[Timeline]"
# search: n finds the next match
tui_keys / release_agent Enter
tui_wait "[Timeline]"

# the blast-radius tree, expanded
tui_keys Tab
tui_wait "[Blast radius]"
tui_wait "+ exposed sa-token sa-token:prod/web"
tui_wait "+ [active, used after exposure] credential aws:AKIAIOSFODNN7EXAMPLE"
tui_wait "+ [active] credential aws:AKIAEXAMPLEPERSIST01"
tui_keys Enter
tui_wait "- exposed sa-token sa-token:prod/web"
tui_wait "authenticates-as identity k8s:system:serviceaccount:prod:web"
tui_wait "member-of identity vault:policy/web-read"
tui_screen > tree.txt
# and collapsed again
tui_keys Enter
tui_wait "+ exposed sa-token sa-token:prod/web"
tui_gone "member-of identity vault:policy/web-read"

# the plan
tui_keys Tab
tui_wait "[Plan]"
tui_wait "delete-pod"
tui_screen | grep -q "manual .* rotate-kubelet-cert" || die "manual step: $(tui_screen)"

# events: the whole store a page at a time, filters, raw record, pivot
tui_keys Escape
tui_wait "Enter open"
tui_keys E
tui_wait "Events (all)"
tui_wait "10:02:00 auditd"
# the page moves past its last line: the newest row leaves the screen
# (22 events, a page of 20: it can move by two)
tui_wait_line 3 "10:02:00 auditd"
tui_keys j j j j j j j j j j j j j j j j j j j j j j j j
tui_wait_line 3 "10:01:31 vault"
tui_gone "10:02:00 auditd"
tui_keys g
tui_wait_line 3 "10:02:00 auditd"
tui_keys G
tui_wait_line 3 "10:01:31 vault"
tui_wait "10:00:05 vault"
tui_keys f cred_id=AKIAIOSFODNN7EXAMPLE Enter
tui_wait "Events: cred_id=AKIAIOSFODNN7EXAMPLE"
tui_wait "iam:CreateAccessKey"
tui_gone "auditd"
tui_keys f 'action~^sts:' Enter
tui_wait "Events: action~^sts:"
tui_gone "iam:CreateAccessKey"
tui_keys f nosuchfield=1 Enter
tui_wait "unknown field 'nosuchfield'"
tui_keys f cred_id=AKIAIOSFODNN7EXAMPLE Enter
tui_wait "iam:CreateAccessKey"
tui_keys Enter
tui_wait "raw evidence record"
tui_wait "cred_id         AKIAIOSFODNN7EXAMPLE"
tui_keys Escape
tui_wait "Events: cred_id=AKIAIOSFODNN7EXAMPLE"
# pivot: everything from the same source address
tui_keys i
tui_wait "Events: src_ip=203.0.113.66"
tui_wait "k8saudit"
tui_keys t 2025-06-03T10:00:50Z Enter
tui_wait_line 3 "10:00:50 cloudtrail"
tui_gone "10:01:00 k8saudit"
tui_keys Escape Escape
tui_wait "Enter open"

# 200x60: the node column shows; back to 80x24
# (tmux keeps old lines on a resize until the redraw: wait for the new ones)
$TUI_T resize-window -x 200 -y 60
tui_wait_re "critical $id .* ctr:4b5e57f6eb2f +ip-10-0-1-23.ec2.internal$"
tui_wait_re "^SEVERITY .* ROOT +NODE$"
[ "$(tui_screen | wc -l)" -ge 59 ] || die "not 60 lines"
tui_screen | sed -n 59p | grep -q "incidents 1" || die "status line not at line 59 of 60: $(tui_screen)"
$TUI_T resize-window -x 80 -y 24
tui_wait_re "critical $id .* ctr:4b5e57f$"
tui_wait_re "^ s.db  events 22"
tui_gone "ip-10-0-1-23.ec2.internal"

# colour by default, none with NO_COLOR (capture-pane -e shows the SGRs)
tui_screen -e | grep -q "$(printf '\033')\[[0-9;]*3[1-7]m" || die "no colour without NO_COLOR"
# q: out of the alternate screen, echo back on
[ "$(tui_alt)" = 1 ] || die "not in the alternate screen"
tui_keys q
tui_wait "TUI-EXIT=0"
[ "$(tui_alt)" = 0 ] || die "still in the alternate screen after q"
tui_wait "echo"
tui_gone "-echo"

tui_open 80 24 "NO_COLOR=1 $C"
tui_wait "$id"
tui_keys Enter
tui_wait "[Timeline]"
tui_screen -e > nocolor.txt
if grep -q "$(printf '\033')\[[0-9;]*3[0-7]m" nocolor.txt; then die "colour under NO_COLOR"; fi
# Ctrl-C
tui_keys C-c
tui_wait "TUI-EXIT=0"
[ "$(tui_alt)" = 0 ] || die "still in the alternate screen after Ctrl-C"
tui_gone "-echo"

# SIGTERM
tui_open 80 24 "$C"
tui_wait "$id"
kill -TERM "$(tui_pid)"
tui_wait "TUI-EXIT=0"
[ "$(tui_alt)" = 0 ] || die "still in the alternate screen after SIGTERM"
tui_gone "-echo"

# a crash signal: the terminal is restored, then the process dies of it
tui_open 80 24 "$C"
tui_wait "$id"
kill -SEGV "$(tui_pid)"
tui_wait "TUI-EXIT=139"
[ "$(tui_alt)" = 0 ] || die "still in the alternate screen after SIGSEGV"
tui_gone "-echo"
# the README shows this screen: keep it with the case's output
cat tree.txt
echo "tui on the sample incident $id: ok"
