# secrets.sh - what tests/secrets_scan.sh looks for, and the logs it looks in (sourced by
# tap.sh, so every test script has it).
#
#   secret_register VALUE...     append each VALUE (each line of it) to
#                                $EDG_BUILD/test-logs/secrets.list as "SCRIPT<TAB>VALUE";
#                                call it where the secret is defined, before any daemon
#                                or command sees it
#   secret_register_key FILE...  a private key PEM: register the middle line of its base64
#                                body (the first lines are the same ASN.1 header in every
#                                key of a kind, the middle is key material)
#   keep_logs DIR                copy the log files under DIR (*.log, *.log.*, maillog*, *.err,
#                                *.out, err, out, stderr) to $EDG_BUILD/test-logs/kept/SCRIPT/,
#                                flattened (pf/maillog -> pf__maillog); a file over
#                                KEEP_LOGS_MAX bytes (20 MB) keeps its first and last halves
#                                of that. Call it in cleanup, before the rm -rf.
#
# SCRIPT is the script's name without .sh. tests/run-suites.sh empties secrets.list and
# kept/ when it starts; tests/secrets_scan.sh, run last, greps every file under
# test-logs/ (the TAP logs and kept/) for every secret. Test keys and canaries are public,
# but a daemon that logs them would log a real one.
: "${KEEP_LOGS_MAX:=20971520}"
_secrets_dir() { echo "${EDG_BUILD:-build}/test-logs"; }
_secrets_script() { basename "$0" .sh; }

secret_register() {
	_sd=$(_secrets_dir)
	mkdir -p "$_sd"
	for _sv in "$@"; do
		printf '%s\n' "$_sv" | while IFS= read -r _sl; do
			[ -n "$_sl" ] && printf '%s\t%s\n' "$(_secrets_script)" "$_sl"
		done
	done | (umask 077 && cat >>"$_sd/secrets.list")
}

secret_register_key() {
	for _kf in "$@"; do
		_sk=$(grep -v -e '^-----' -e ':' -e '^[[:space:]]*$' "$_kf" 2>/dev/null)
		_sn=$(printf '%s\n' "$_sk" | grep -c .)
		if [ "$_sn" -lt 3 ]; then
			echo "# secret_register_key: $_kf is no PEM private key" >&2
			return 1
		fi
		secret_register "$(printf '%s\n' "$_sk" | sed -n "$(((_sn + 1) / 2))p")"
	done
}

keep_logs() {
	[ -d "$1" ] || return 0
	_kd=$(_secrets_dir)/kept/$(_secrets_script)
	mkdir -p "$_kd"
	find "$1" -xdev -type f \( -name '*.log' -o -name '*.log.*' -o -name 'maillog*' \
		-o -name '*.err' -o -name '*.out' -o -name err -o -name out -o -name stderr \) \
		2>/dev/null | while IFS= read -r _kf; do
		_kn=$(printf '%s' "${_kf#"$1"/}" | sed 's|/|__|g')
		_ks=$(stat -c %s "$_kf" 2>/dev/null) || continue
		if [ "$_ks" -le "$KEEP_LOGS_MAX" ]; then
			cp "$_kf" "$_kd/$_kn"
		else
			{
				head -c $((KEEP_LOGS_MAX / 2)) "$_kf"
				printf '\n[keep_logs: %d bytes left out]\n' $((_ks - KEEP_LOGS_MAX))
				tail -c $((KEEP_LOGS_MAX / 2)) "$_kf"
			} >"$_kd/$_kn"
		fi
	done
}
