# e2e.sh - the OCI SMTP emulator and a private Postfix set up by conf/postfix (sourced).
#
#   e2e_certs DIR                      test CA and certificates (tests/emulators/smtp_certs.sh)
#   oci_smtp_start DIR CERTDIR STATE-ARGS... [OPTIONS...]
#                                      the SMTP emulator, its store in DIR/store, log in
#                                      DIR/smtp.log; sets OCI_SMTP_PORT, OCI_SMTP_PID,
#                                      OCI_STORE; STATE-ARGS: --state FILE or --control-url URL
#   oci_smtp_stop
#   oci_store_count                    messages the emulator accepted
#   oci_store_rcpts                    recipients it delivered to, one a line, sorted
#   oci_store_find SUBJECT             the .json envelope of the message with that Subject:
#   e2e_postfix DIR SMTP_PORT OCI_PORT [edg|plain] [POLICYD] [MILTER]
#                                      a private Postfix (tests/lib/postfix.sh) whose main.cf
#                                      and master.cf get the shipped conf/postfix snippets,
#                                      then only what a test machine needs changed: relayhost
#                                      [localhost]:OCI_PORT, the test CA, a sasl_passwd, the
#                                      daemons' sockets. "plain": no policyd, no milter.
#   E2E_SMTP_USER, E2E_SMTP_PASSWORD   the SMTP credentials both sides use (the password
#                                      registered with secret_register, as is the private
#                                      key e2e_certs makes for the emulator)
#   E2E_CERTS                          set by the caller: the directory e2e_certs filled
#
# Needs tap.sh, redis.sh and postfix.sh sourced first. Postfix verifies the emulator's
# certificate: smtp_tls_security_level = secure, nexthop "localhost" against the SAN.
E2E_SMTP_USER="ocid1.user.oc1..aaaaaaaaemu@ocid1.tenancy.oc1..aaaaaaaaemu.ab.com"
E2E_SMTP_PASSWORD='S3cret-(pa55):w0rd;'
secret_register "$E2E_SMTP_PASSWORD"
OCI_SMTP_PID=

e2e_certs() { sh tests/emulators/smtp_certs.sh "$1" && secret_register_key "$1/server.key"; }

oci_smtp_start() {
	_dir=$1 _certs=$2
	shift 2
	mkdir -p "$_dir"
	OCI_STORE=$_dir/store
	rm -f "$_dir/smtp.port"
	python3 tests/emulators/oci_smtp.py --port 0 --port-file "$_dir/smtp.port" \
		--tls-cert "$_certs/server.pem" --tls-key "$_certs/server.key" \
		--user "$E2E_SMTP_USER" --password "$E2E_SMTP_PASSWORD" \
		--store "$OCI_STORE" --log "$_dir/smtp.log" "$@" 2>>"$_dir/smtp.err" &
	OCI_SMTP_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$_dir/smtp.port" ] && break
		sleep 0.1
	done
	OCI_SMTP_PORT=$(cat "$_dir/smtp.port" 2>/dev/null)
	[ -n "$OCI_SMTP_PORT" ]
}
oci_smtp_stop() {
	[ -n "$OCI_SMTP_PID" ] && kill "$OCI_SMTP_PID" 2>/dev/null && wait "$OCI_SMTP_PID" 2>/dev/null
	OCI_SMTP_PID=
}
oci_store_count() { find "$OCI_STORE" -name '*.json' 2>/dev/null | wc -l; }
oci_store_rcpts() {
	find "$OCI_STORE" -name '*.json' -print0 2>/dev/null | xargs -0 -r python3 -c '
import json, sys
for f in sys.argv[1:]:
    for r in json.load(open(f))["rcpts"]:
        print(r)' | sort
}
oci_store_find() {
	for _eml in "$OCI_STORE"/*.eml; do
		[ -f "$_eml" ] || continue
		if tr -d '\r' <"$_eml" | grep -qxF "Subject: $1"; then
			echo "${_eml%.eml}.json"
			return 0
		fi
	done
	return 1
}

# The key = value lines of a shipped snippet, one a line (comments and blanks dropped).
e2e_snippet_settings() { grep -Ev '^[[:space:]]*(#|$)' "$1"; }

e2e_postfix() {
	_pf=$1 _smtp_port=$2 _oci_port=$3 _mode=${4:-edg} _policyd=${5:-} _milter=${6:-}
	postfix_setup "$_pf" "$_smtp_port" "$_oci_port"
	e2e_snippet_settings conf/postfix/main.cf | while IFS= read -r _line; do
		postconf -c "$_pf/etc" -e "$_line"
	done
	cat conf/postfix/master.cf >>"$_pf/etc/master.cf"
	# Tests run Postfix without chroot (postfix.sh does the same for the stock services).
	sed -i -E 's/^(oci[[:space:]]+unix[[:space:]]+[-ny][[:space:]]+[-ny][[:space:]]+)y/\1n/' "$_pf/etc/master.cf"
	printf '[localhost]:%s %s:%s\n' "$_oci_port" "$E2E_SMTP_USER" "$E2E_SMTP_PASSWORD" >"$_pf/etc/sasl_passwd"
	chmod 600 "$_pf/etc/sasl_passwd"
	postfix_conf "relayhost = [localhost]:$_oci_port" \
		"smtp_host_lookup = native" \
		"smtp_tls_CAfile = $E2E_CERTS/ca.pem" \
		"smtp_sasl_password_maps = texthash:$_pf/etc/sasl_passwd" \
		"inet_interfaces = 127.0.0.1"
	if [ "$_mode" = plain ]; then
		postfix_conf "smtpd_recipient_restrictions =" \
			"smtpd_milters =" "non_smtpd_milters ="
	else
		postfix_conf "smtpd_recipient_restrictions = check_policy_service $_policyd"
		if [ -n "$_milter" ]; then
			postfix_conf "smtpd_milters = $_milter" "non_smtpd_milters = $_milter"
		else
			postfix_conf "smtpd_milters =" "non_smtpd_milters ="
		fi
	fi
}
