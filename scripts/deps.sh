#!/bin/sh
# scripts/deps.sh - install the Debian packages cordon builds, tests and
# benchmarks with, when any is missing.  Needs root (or sudo) and apt-get.
set -eu
BUILD="gcc make libsqlite3-dev libpcre2-dev zlib1g-dev libzstd-dev libjsmn-dev libcurl4-openssl-dev libssl-dev libyaml-dev libncurses-dev"
TEST="clang libclang-rt-14-dev jq sqlite3 gzip zstd procps tmux python3 python3-botocore awscli openssl ca-certificates curl kubectl python3-cryptography openssh-client python3-grpcio"
BENCH="auditd python3 time libcjson-dev libjansson-dev"
want="$BUILD $TEST ${CORDON_BENCH_DEPS:+$BENCH}"
[ "${1:-}" = bench ] && want="$want $BENCH"
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "cordon: installing:$missing"
if ! command -v apt-get > /dev/null; then
	echo "cordon: apt-get not found; install these packages by hand:$missing" >&2
	exit 1
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing > /dev/null
