# lib.sh - helpers for behaviour cases (sourced; not a case itself).
# Each case runs in its own empty directory ($TMP) with $CORDON and $ROOT set.
set -eu
die() { echo "FAIL: $*" >&2; exit 1; }
count() { # count DB [FILTER...]: number of events
	db=$1; shift
	"$CORDON" --db "$db" events --limit 0 --format ndjson "$@" | wc -l | tr -d ' '
}
expect_eq() { [ "$1" = "$2" ] || die "$3: expected $2, got $1"; }
# ct_lines N START: N CloudTrail events, one per line, eventIDs START..START+N-1
ct_lines() {
	awk -v n="$1" -v s="$2" 'BEGIN { for (i = s; i < s + n; i++)
		printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/u%d\",\"accessKeyId\":\"AKIAEXAMPLE%09d\"},\"eventTime\":\"2025-06-03T10:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.%d\",\"eventID\":\"00000000-0000-4000-8000-%012d\"}\n", i % 7, i, (i / 60) % 60, i % 60, i % 250, i }'
}
