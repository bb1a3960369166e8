# tap.sh - TAP output for integration scripts (sourced, not run).
#
#   ok NAME            record a pass
#   not_ok NAME WHY    record a failure
#   check NAME CMD...  run CMD; pass when it exits 0
#   expect_eq NAME WANT GOT
#   expect_match NAME REGEX TEXT
#   skip_all WHY       nothing can run here: one failure (a test that cannot run is not a pass)
#   done_testing       print the plan; exit 1 when anything failed
#
# tests/run-suites.sh counts "ok" and "not ok" lines. secret_register and keep_logs come
# from secrets.sh, sourced below.
TAP_N=0
TAP_FAILED=0
ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	[ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/#   /'
	return 0
}
check() {
	name=$1
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "want: $2
got:  $3"; fi
}
expect_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1" "want match: $2
got: $3"; fi
}
skip_all() { not_ok "cannot run: $1"; done_testing; }
done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ] || exit 1
	exit 0
}
. tests/lib/secrets.sh
