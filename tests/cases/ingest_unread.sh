# Ingest says what it did not read.  In a directory: a subdirectory it
# cannot open, one nested deeper than the limit, a FIFO, a dangling link
# and a link out of the tree are each a summary row and a reject, and the
# run exits 1 (before, all were skipped silently with exit 0).  A NUL byte
# in a JSON record is reported as such, with where it is.
. "$ROOT/tests/cases/lib.sh"
mkdir -p ev/sub ev/locked outside
ct_lines 3 0 > ev/good.jsonl
ct_lines 2 10 > ev/sub/more.jsonl
ct_lines 2 20 > ev/locked/hidden.jsonl
ct_lines 2 30 > outside/target.jsonl
mkfifo ev/pipe
ln -s ../outside/target.jsonl ev/out-link
ln -s does-not-exist ev/dangling
ln -s good.jsonl ev/in-link          # inside the tree: read as good.jsonl, not reported
d=ev/deep; i=0
while [ $i -lt 33 ]; do d=$d/d$i; i=$((i + 1)); done
mkdir -p "$d"; ct_lines 1 40 > "$d/f.jsonl"   # ev/deep/d0/.../d32: too deep
ct_lines 1 41 > "${d%/d31/d32}/g.jsonl"        # ev/deep/d0/.../d30: 32 levels, read
chmod 000 ev/locked
trap 'chmod 755 ev/locked 2>/dev/null || true' EXIT

# root reads a mode-000 directory; without its DAC capabilities it cannot
NOCAP=""
if [ "$(id -u)" = 0 ]; then
	if setpriv --bounding-set=-dac_override,-dac_read_search true 2>/dev/null; then
		NOCAP="setpriv --bounding-set=-dac_override,-dac_read_search"
	else
		echo "note: cannot drop root's DAC capabilities here; the locked directory is readable"
	fi
fi
set +e; $NOCAP "$CORDON" --db t.db ingest --json ev > sum.json 2> err; rc=$?; set -e
expect_eq $rc 1 "exit status with paths not read"
expect_eq "$(count t.db)" 6 "what could be read is stored (good, sub, 32 levels deep)"
row() { jq -r --arg p "$1" '.inputs[] | select(.path | endswith($p)) | "\(.rejects) \(.error)"' sum.json; }
row ev/pipe | grep -q '^1 not read: a FIFO' || die "FIFO: $(row ev/pipe)"
row ev/out-link | grep -q '^1 not read: a symbolic link to .*outside/target.jsonl, outside' || die "link: $(row ev/out-link)"
row ev/dangling | grep -q '^1 not read: a symbolic link whose target cannot be resolved' || die "dangling: $(row ev/dangling)"
[ -z "$(row ev/in-link)" ] || die "a link inside the tree is reported: $(row ev/in-link)"
row /d31 | grep -q '^1 directory not read: nested more than 32 levels' || die "deep: $(row /d31)"
if [ -n "$NOCAP" ] || [ "$(id -u)" != 0 ]; then
	row ev/locked | grep -q '^1 directory not read: Permission denied' || die "locked: $(row ev/locked)"
	n=5
else
	n=4
fi
expect_eq "$(jq .rejects sum.json)" $n "rejects in the summary"
"$CORDON" --db t.db rejects > rej
grep -q 'ev/pipe.*not read: a FIFO' rej || die "rejects: $(cat rej)"
grep -q 'ev/deep/.*/d31.*nested more than 32 levels' rej || die "rejects: $(cat rej)"
grep -q 'ev/pipe: not read' err || die "stderr: $(cat err)"

# a NUL byte inside a JSON record: said as such, with where it is
ct_lines 1 50 > nul.jsonl
ct_lines 1 51 | sed 's/ListBuckets/List@Buckets/' | tr '@' '\000' >> nul.jsonl
ct_lines 1 52 >> nul.jsonl
set +e; "$CORDON" --db n.db ingest -q nul.jsonl; rc=$?; set -e
expect_eq $rc 1 "exit with a NUL record"
expect_eq "$(count n.db)" 2 "its neighbours are stored"
off=$(head -n 1 nul.jsonl | wc -c)
col=$(ct_lines 1 51 | awk '{ print index($0, "ListBuckets") + 3 }')
"$CORDON" --db n.db rejects > rej
grep -q "nul.jsonl:2 (byte $off) .*NUL byte at offset $col in the record at line 2 (input byte $((off + col)))" rej \
	|| die "NUL reject: $(cat rej)"
echo "unread paths ok"
