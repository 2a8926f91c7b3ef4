# The store's disk fills up mid-ingest: the summary counts only the events
# that are stored (before, it counted what was inserted, including the
# batch the failed transaction lost), the message says how to resume, and
# running the same command again after space is freed stores exactly the
# rest.  On a 2 MiB tmpfs when this machine allows a mount namespace;
# otherwise the store is capped by CORDON_TEST_MAX_PAGES (SQLITE_FULL too).
. "$ROOT/tests/cases/lib.sh"
ct_lines 3 100000 > first.jsonl
ct_lines 20000 0 > big.jsonl
mkdir mnt
cat > inner.sh <<'IN'
. "$ROOT/tests/cases/lib.sh"
if [ "$1" = tmpfs ]; then
	mount -t tmpfs -o size=2m tmpfs mnt || exit 3
fi
"$CORDON" --db mnt/t.db ingest -q first.jsonl
set +e
CORDON_TEST_BATCH=1000 CORDON_TEST_MAX_PAGES=${MAXPAGES:-} "$CORDON" --db mnt/t.db ingest --json big.jsonl \
	> sum.json 2> err
rc=$?
set -e
expect_eq $rc 2 "exit when the disk is full"
grep -q 'the store is full' err || die "message: $(cat err)"
grep -q 'run the same command again' err || die "how to resume: $(cat err)"
stored=$(sqlite3 mnt/t.db "SELECT count(*) FROM events WHERE input_id = (SELECT id FROM inputs WHERE path LIKE '%/big.jsonl')")
[ "$stored" -gt 0 ] && [ "$stored" -lt 20000 ] || die "expected a partial ingest, stored $stored"
expect_eq "$(jq .inputs[0].events sum.json)" "$stored" "events in the summary = events stored"
expect_eq "$(jq .events sum.json)" "$stored" "total in the summary"
# space again: the same command continues and stores exactly the rest
if [ "$1" = tmpfs ]; then
	mount -o remount,size=64m mnt
fi
"$CORDON" --db mnt/t.db ingest --json big.jsonl > sum2.json
expect_eq "$(count mnt/t.db)" 20003 "after the rerun"
expect_eq "$(jq .events sum2.json)" $((20000 - stored)) "the rerun stores the rest"
echo "disk full ok ($1, $stored stored before the stop)"
IN
if [ "$(id -u)" = 0 ] && unshare -m sh -c 'mount -t tmpfs -o size=1m tmpfs mnt' 2>/dev/null; then
	unshare -m sh inner.sh tmpfs
else
	echo "note: no mount namespace here; the full disk is simulated only"
fi
rm -f mnt/t.db*
MAXPAGES=120 sh inner.sh pages
