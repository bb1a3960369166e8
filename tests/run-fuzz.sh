#!/bin/sh
# run-fuzz.sh - run each libFuzzer target for SECONDS on its committed seeds.
#
# Usage: run-fuzz.sh SECONDS TARGET...
# Seeds: tests/fuzz/seeds/<target>/ (committed). New inputs go to build/fuzz/corpus/<target>/
# (not committed); findings (crash-*, leak-*, timeout-*) to build/fuzz/findings/.
set -u
secs=$1
shift
status=0
mkdir -p build/fuzz/findings
for t in "$@"; do
	name=$(basename "$t")
	corpus="build/fuzz/corpus/$name"
	seeds="tests/fuzz/seeds/$name"
	mkdir -p "$corpus"
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	echo "fuzz: $name for ${secs}s"
	# shellcheck disable=SC2086
	if ! "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=1100000 \
		-artifact_prefix=build/fuzz/findings/"$name"- $dict "$corpus" "$seeds" \
		>"build/fuzz/$name.log" 2>&1; then
		echo "fuzz: $name FOUND A PROBLEM (build/fuzz/$name.log)"
		tail -n 40 "build/fuzz/$name.log"
		status=1
	else
		grep -E '^Done|#[0-9]+.*DONE' "build/fuzz/$name.log" | tail -n 1
	fi
done
exit $status
