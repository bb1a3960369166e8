#!/bin/sh
# run-suites.sh - run test programs and scripts that speak TAP, print one summary line.
#
# Usage: run-suites.sh PROGRAM...
# Each argument is a cmocka program (run with CMOCKA_MESSAGE_OUTPUT=TAP) or a shell script
# (tests/integration/*.sh, which print TAP through tests/lib/tap.sh). Every "ok"
# counts as passed, every "not ok" as failed; a program that exits non-zero without
# reporting a failure (a crash, a sanitizer report) counts one failure more.
# The last line is "N passed, N failed"; the exit status is 1 when anything failed.
# It starts by emptying test-logs/secrets.list and test-logs/kept/ (what the scripts
# register and keep for tests/secrets_scan.sh), so that a scan sees this run only, and
# writes test-logs/suites.list: the arguments, one a line (the scan's idea of this run).
set -u
: "${EDG_BUILD:=build}"
export EDG_BUILD
export CMOCKA_MESSAGE_OUTPUT=TAP
log_dir="$EDG_BUILD/test-logs"
mkdir -p "$log_dir"
rm -rf "$log_dir/secrets.list" "$log_dir/kept"
printf '%s\n' "$@" >"$log_dir/suites.list"
passed=0
failed=0
for t in "$@"; do
	name=$(basename "$t" .sh)
	log="$log_dir/$name.log"
	case "$t" in
	*.sh) timeout 1200 bash "$t" >"$log" 2>&1 ;;
	*) timeout 600 "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -eq 0 ]; then
		printf '%-32s %4d passed\n' "$name" "$p"
	else
		printf '%-32s %4d passed, %d FAILED (see %s)\n' "$name" "$p" "$f" "$log"
		grep '^not ok ' "$log" | head -n 20 | sed 's/^/    /'
		tail -n 30 "$log" | grep -v '^ok ' | sed 's/^/    | /'
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
