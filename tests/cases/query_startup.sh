# A query process never loads libcurl (connectors/curl_dl.c): linked, its
# 27 libraries cost every cordon process 16 ms of CPU before main(), and
# whois, reach and events run in loops during an incident.  The dynamic
# loader's own record says which libraries a process opened.  A network
# command still gets the real libcurl (its version is cordon --version's,
# and the revoke_* cases send through it).
. "$ROOT/tests/cases/lib.sh"
ct_lines 20 0 > a.jsonl
"$CORDON" --db t.db ingest -q a.jsonl
K=AKIAEXAMPLE000000003
for q in "whois $K" "reach $K" "events cred_id=$K" "--help"; do
	# shellcheck disable=SC2086
	rc=0; LD_DEBUG=files "$CORDON" --db t.db $q > out 2> ld.log || rc=$?
	[ $rc -le 1 ] || die "$q failed ($rc): $(grep -v '^ *[0-9]*:' ld.log | tail -3)"
	grep -q "file=libsqlite3" ld.log || die "LD_DEBUG recorded nothing for $q"
	! grep -q "file=libcurl" ld.log || die "$q loaded libcurl"
done
LD_DEBUG=files "$CORDON" --version > v.out 2> ld.log
grep -q "^  libcurl/" v.out || die "--version names no libcurl: $(cat v.out)"
grep -q "file=libcurl" ld.log || die "--version did not load libcurl"
echo "query startup ok"
