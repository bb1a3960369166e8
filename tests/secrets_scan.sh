#!/bin/bash
# secrets_scan.sh - no secret of the test suite in any log it produced (run last by make check).
#
# Every test script registers the secrets it hands out (secret_register: Redis, sentinel
# and SMTP passwords, key pass phrases, a line of each private key) in
# $EDG_BUILD/test-logs/secrets.list and keeps its daemons', Postfix's and the emulators'
# logs in test-logs/kept/SCRIPT/ (keep_logs; tests/lib/secrets.sh). This greps every file
# under test-logs/ (those and the TAP logs) for every secret, as fixed strings: one
# "ok"/"not ok" per secret, naming the file and line of a leak (never the line itself).
#
# Checked as well, so that a broken registration cannot pass as "nothing leaked": every
# script of this run (test-logs/suites.list, written by run-suites.sh) that calls
# secret_register or keep_logs registered something (itself or through tests/lib/), every
# one that calls keep_logs kept a log, and a
# full run registers at least SCAN_MIN_SECRETS secrets and scans SCAN_MIN_FILES files.
# Run alone, or after a partial run, it checks what that run left (nothing: skipped).
set -u
. tests/lib/tap.sh

: "${SCAN_MIN_SECRETS:=36}" # a full run of 2026-11-27: 40
: "${SCAN_MIN_FILES:=180}"   # and 200 files
SCAN_MIN_LENGTH=6
LOGS=${EDG_BUILD:-build}/test-logs
LIST=$LOGS/secrets.list
SUITES=$LOGS/suites.list
SELF=$LOGS/$(basename "$0" .sh).log

# A full run: every integration and fault script was among the suites.
full_run() {
	[ -f "$SUITES" ] || return 1
	for s in tests/integration/*.sh tests/faults/*.sh; do
		grep -qxF "$s" "$SUITES" || return 1
	done
}
if [ ! -s "$LIST" ]; then
	if full_run; then
		not_ok "a full run registered secrets" "$LIST is missing or empty"
		done_testing
	fi
	echo "1..0 # SKIP no $LIST: no suite of this run registered a secret"
	exit 0
fi

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# Each distinct secret once, with the scripts that registered it.
awk -F '\t' '{ v = substr($0, length($1) + 2) }
	!(v in who) { order[++n] = v; who[v] = $1; next }
	index(" " who[v] " ", " " $1 " ") == 0 { who[v] = who[v] " " $1 }
	END { for (i = 1; i <= n; i++) print who[order[i]] "\t" order[i] }' "$LIST" >"$W/secrets"
find "$LOGS" -type f ! -path "$LIST" ! -path "$SUITES" ! -path "$SELF" | sort >"$W/files"
n_secrets=$(wc -l <"$W/secrets")
n_files=$(wc -l <"$W/files")

# The scripts of this run that register secrets or keep logs did.
if [ -f "$SUITES" ]; then
	while IFS= read -r s; do
		case "$s" in *.sh) ;; *) continue ;; esac
		[ -f "$s" ] && ! [ "$s" -ef "$0" ] || continue
		name=$(basename "$s" .sh)
		if grep -Eq '^[^#]*(secret_register|keep_logs)' "$s"; then
			c=$(awk -F '\t' -v n="$name" '$1 == n' "$LIST" | wc -l)
			[ "$c" -gt 0 ] && ok "$name registered $c secrets" ||
				not_ok "$name registered its secrets" "it calls secret_register or keep_logs, $LIST has none of it"
		fi
		if grep -q '^[^#]*keep_logs' "$s"; then
			c=$(find "$LOGS/kept/$name" -type f 2>/dev/null | wc -l)
			[ "$c" -gt 0 ] && ok "$name kept $c log files" ||
				not_ok "$name kept its logs" "it calls keep_logs, $LOGS/kept/$name/ is empty"
		fi
	done <"$SUITES"
fi

if full_run; then
	[ "$n_secrets" -ge "$SCAN_MIN_SECRETS" ] && ok "a full run: $n_secrets distinct secrets registered (at least $SCAN_MIN_SECRETS)" ||
		not_ok "a full run registers at least $SCAN_MIN_SECRETS distinct secrets" "only $n_secrets in $LIST"
	[ "$n_files" -ge "$SCAN_MIN_FILES" ] && ok "a full run: $n_files log files scanned (at least $SCAN_MIN_FILES)" ||
		not_ok "a full run leaves at least $SCAN_MIN_FILES log files to scan" "only $n_files under $LOGS"
else
	ok "$n_secrets distinct secrets, $n_files log files # SKIP not a full run: minimums ($SCAN_MIN_SECRETS, $SCAN_MIN_FILES) not checked"
fi

# One pass for every line that holds any secret, then which secret is where. The lines
# found stay in $W (removed on exit); only file:line is reported.
cut -f 2- "$W/secrets" | awk -v m="$SCAN_MIN_LENGTH" 'length($0) >= m' >"$W/patterns"
: >"$W/hits"
[ -s "$W/patterns" ] && tr '\n' '\0' <"$W/files" | xargs -0 -r grep -aHnF -f "$W/patterns" -- >"$W/hits" 2>/dev/null
i=0
while IFS= read -r line; do
	i=$((i + 1))
	who=${line%%$'\t'*}
	secret=${line#*$'\t'}
	name="secret $i (${#secret} chars, from $who)"
	if [ "${#secret}" -lt "$SCAN_MIN_LENGTH" ]; then
		not_ok "$name: at least $SCAN_MIN_LENGTH chars to be worth scanning for" \
			"a canary this short matches by chance: register a longer one"
		continue
	fi
	where=$(grep -F -- "$secret" "$W/hits" | awk -F: '{ print $1 ":" $2 }')
	if [ -z "$where" ]; then
		ok "$name: in none of $n_files log files"
	else
		not_ok "$name: leaked in $(printf '%s\n' "$where" | wc -l) lines" \
			"$(printf '%s\n' "$where" | head -n 10)"
	fi
done <"$W/secrets"
done_testing
