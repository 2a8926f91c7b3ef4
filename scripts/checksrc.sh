#!/bin/sh
# scripts/checksrc.sh - the style gate: banned functions on untrusted data,
# C++ comments, and a purpose comment at the top of every source file.
set -u
cd "$(dirname "$0")/.."
fail=0
files=$(ls core/*.c core/*.h ingest/*.c ingest/*.h correlate/*.c correlate/*.h connectors/*.c connectors/*.h revoke/*.c revoke/*.h tui/*.c tui/*.h 2>/dev/null)
banned='\b(sscanf|atoi|atol|atoll|strtol|strtoul|strtoll|strtoull|strtok|strcpy|strcat|sprintf|vsprintf|gets)[[:space:]]*\('
if grep -nE "$banned" $files; then
	echo "checksrc: banned function (use the cursor parsers in core/strparse.c, buf_printf or snprintf)"
	fail=1
fi
if grep -nE '^[[:space:]]*//|;[[:space:]]*//' $files; then
	echo "checksrc: use /* */ comments"
	fail=1
fi
for f in $files; do
	head -n 1 "$f" | grep -q '^/\*' || { echo "checksrc: $f lacks a purpose comment"; fail=1; }
done
[ $fail = 0 ] && echo "checksrc: ok ($(echo $files | wc -w) files)"
exit $fail
