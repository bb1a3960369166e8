#!/bin/bash
# e2e_config.sh - the shipped configuration: conf/postfix, conf/systemd, conf/redis-acl.conf.
#
# conf/postfix is edgctl postfix-config's output (one text, not two copies); Postfix 3.7
# accepts every setting; the port-465 variant relays over implicit TLS to the SMTP
# emulator; the systemd units pass systemd-analyze verify; the Redis ACL file loads, its
# reader cannot write the state (its EVAL and writes reach the rate counters only), and
# edg-syncd (writer), edg-policyd (reader, applying a limit) and edg-milter (reader) work
# with exactly the commands it grants.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/postfix.sh
. tests/lib/e2e.sh

B=${EDG_BUILD:-build}
EDGCTL=${EDGCTL:-$B/edgctl}
T=$(mktemp -d /tmp/edg-e2e-config.XXXXXX)
chmod 755 "$T"
PIDS=""
cleanup() {
	postfix_stop
	oci_smtp_stop
	[ -n "${ACL_PID:-}" ] && kill "$ACL_PID" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$TAP_FAILED" -gt 0 ]; then
		for f in "$T"/*.log; do [ -f "$f" ] && tail -n 15 "$f" | sed "s|^|# $(basename "$f"): |"; done
	fi
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# 1. conf/postfix is the program's output, not a second copy.
expect_eq "conf/postfix/main.cf = edgctl postfix-config --region us-ashburn-1 --main" \
	"$(cat conf/postfix/main.cf)" "$("$EDGCTL" postfix-config --region us-ashburn-1 --main)"
expect_eq "conf/postfix/master.cf = edgctl postfix-config --region us-ashburn-1 --master" \
	"$(cat conf/postfix/master.cf)" "$("$EDGCTL" postfix-config --region us-ashburn-1 --master)"
out=$("$EDGCTL" postfix-config --region eu-frankfurt-1 --port 465)
expect_match "465: relayhost in the region, port 465" '^relayhost = \[smtp.email.eu-frankfurt-1.oci.oraclecloud.com\]:465$' "$(printf '%s\n' "$out" | grep '^relayhost')"
expect_match "465: implicit TLS" 'smtp_tls_wrappermode = yes' "$out"
expect_eq "587: no wrapper mode" 0 "$(grep -c wrappermode conf/postfix/main.cf)"
out=$("$EDGCTL" postfix-config --region us-phoenix-1 --per-minute 10 --main)
expect_match "--per-minute 10: one delivery every 6 s" 'oci_destination_rate_delay = 6s' "$out"
expect_match "--per-minute 10: one at a time" 'oci_destination_concurrency_limit = 1' "$out"
expect_match "both files printed by default" 'oci +unix .* smtp' "$("$EDGCTL" postfix-config --region us-ashburn-1)"
for bad in "--region" "--region US_EAST" "--region us-ashburn-1 --port 2525" \
	"--region us-ashburn-1 --policyd tcp:1" "--region us-ashburn-1 --main --master" \
	"--region us-ashburn-1 --per-minute 0"; do
	# shellcheck disable=SC2086
	"$EDGCTL" postfix-config $bad >/dev/null 2>"$T/err"
	expect_eq "usage error (exit 2): postfix-config $bad" 2 "$?"
done
expect_match "postfix-config is in edgctl's command list" '^ +postfix-config ' "$("$EDGCTL" -h)"

# 2. Postfix 3.7 knows every setting of the snippet.
expect_match "this Postfix has smtpd_forbid_bare_newline" '^smtpd_forbid_bare_newline = ' "$(postconf -d smtpd_forbid_bare_newline 2>&1)"
if [ "$(id -u)" -ne 0 ]; then
	not_ok "Postfix checks need root"
else
	E2E_CERTS=$T/certs
	e2e_certs "$E2E_CERTS" || not_ok "test CA"
	printf '{"senders": [{"emailAddress": "app@example.com"}], "suppressions": []}\n' >"$T/state.json"
	oci_smtp_start "$T/oci465" "$E2E_CERTS" --state "$T/state.json" --implicit-tls ||
		not_ok "SMTP emulator (implicit TLS) did not start"
	SMTP_PORT=$(free_port)
	e2e_postfix "$T/pf" "$SMTP_PORT" "$OCI_SMTP_PORT" plain
	expect_eq "postconf: no unknown or unused parameter in the snippets" "" \
		"$(postconf -c "$T/pf/etc" -n 2>&1 >/dev/null)"
	expect_eq "postfix check: silent" "" "$(postfix -c "$T/pf/etc" check 2>&1)"
	for kv in "smtp_tls_security_level = secure" "smtp_sasl_security_options = noanonymous" \
		"smtp_tls_mandatory_protocols = >=TLSv1.2" "milter_default_action = tempfail" \
		"message_size_limit = 2000000" "smtpd_forbid_bare_newline = normalize"; do
		expect_eq "effective: $kv" "$kv" "$(postconf -c "$T/pf/etc" "${kv%% =*}")"
	done
	# The 465 variant: what postfix-config --port 465 adds, against --implicit-tls.
	"$EDGCTL" postfix-config --region us-ashburn-1 --port 465 --main >"$T/main465.cf"
	grep -q '^smtp_tls_wrappermode = yes$' "$T/main465.cf" && postfix_conf "smtp_tls_wrappermode = yes"
	postfix_start || not_ok "Postfix did not start"
	sleep 1
	out=$(swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --from app@example.com --to alice@example.net \
		--header "Subject: implicit-tls" --header "From: app@example.com" 2>&1)
	expect_match "465 variant: queued" '250 2.0.0 Ok: queued' "$out"
	postfix_wait_empty 20
	expect_eq "465 variant: delivered over implicit TLS, authenticated" 1 "$(oci_store_count)"
	expect_match "465 variant: Postfix verified the certificate" 'Verified TLS connection established to localhost' "$(postfix_log)"
	expect_eq "465 variant: no STARTTLS on the wire" 0 "$(grep -c 'C: STARTTLS' "$T/oci465/smtp.log")"
	expect_match "465 variant: AUTH after TLS" 'TLS established.*' "$(grep -B100 'C: AUTH' "$T/oci465/smtp.log" | head -5)"
	postfix_stop
	oci_smtp_stop
fi

# 3. systemd units.
units="edg-syncd edg-policyd edg-milter"
mkdir -p "$T/units"
for u in $units; do
	f=conf/systemd/$u.service
	check "$u.service exists" test -f "$f"
	for d in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
		RuntimeDirectory=edg Restart=on-failure; do
		check "$u.service: $d" grep -qx "$d" "$f"
	done
	expect_eq "$u.service: no User= (the daemon drops root itself)" 0 "$(grep -c '^User=' "$f")"
	expect_match "$u.service: starts build's binary in the foreground" "^ExecStart=/usr/local/sbin/$u -f -c /etc/edg/edg.conf\$" "$(grep '^ExecStart=' "$f")"
	sed "s|/usr/local/sbin/|$(cd "$B" && pwd)/|" "$f" >"$T/units/$u.service"
done
expect_match "edg-milter.service reloads with SIGUSR1 (SIGHUP stops libmilter)" 'kill -USR1' "$(cat conf/systemd/edg-milter.service)"
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(cd "$T/units" && systemd-analyze verify ./*.service 2>&1)
	expect_eq "systemd-analyze verify: no complaint" "" "$out"
else
	ok "systemd-analyze verify # SKIP systemd-analyze not installed"
fi

# 4. The Redis ACL file: loaded as shipped plus passwords (as an operator adds them).
ACL_PORT=$(free_port)
READER_PASS="reader-canary-$$-Rd4"
WRITER_PASS="writer-canary-$$-Wr4"
secret_register "$READER_PASS" "$WRITER_PASS"
sed -e "s/^user edg-reader .*/& >$READER_PASS/" -e "s/^user edg-writer .*/& >$WRITER_PASS/" \
	conf/redis-acl.conf >"$T/acl.conf"
mkdir -p "$T/redis"
redis-server --port "$ACL_PORT" --bind 127.0.0.1 --unixsocket "$T/redis/redis.sock" --unixsocketperm 777 \
	--aclfile "$T/acl.conf" --dir "$T/redis" --save '' \
	--appendonly no --daemonize no >"$T/redis.log" 2>&1 &
ACL_PID=$!
for _ in $(seq 1 50); do redis-cli -p "$ACL_PORT" --no-auth-warning ping 2>&1 | grep -q 'NOAUTH\|PONG' && break; sleep 0.1; done
as_reader() { redis-cli -p "$ACL_PORT" --no-auth-warning --user edg-reader --pass "$READER_PASS" "$@" 2>&1; }
as_writer() { redis-cli -p "$ACL_PORT" --no-auth-warning --user edg-writer --pass "$WRITER_PASS" "$@" 2>&1; }
expect_match "the ACL file loads: default user off (NOAUTH)" 'NOAUTH|WRONGPASS|NOPERM' "$(redis-cli -p "$ACL_PORT" ping 2>&1)"
expect_eq "writer: SET edg:v1:test" OK "$(as_writer SET edg:v1:test 1)"
expect_eq "writer: HSET edg:v1:1:sup" 1 "$(as_writer HSET edg:v1:1:sup a@b.example x)"
expect_match "writer: no key outside edg:*" NOPERM "$(as_writer SET other 1)"
expect_match "writer: no FLUSHALL" NOPERM "$(as_writer FLUSHALL)"
expect_match "writer: no CONFIG" NOPERM "$(as_writer CONFIG GET dir)"
expect_eq "reader: GET" 1 "$(as_reader GET edg:v1:test)"
expect_eq "reader: HGET" x "$(as_reader HGET edg:v1:1:sup a@b.example)"
for cmd in "SET edg:v1:test 2" "HSET edg:v1:1:sup c@d.example y" "HDEL edg:v1:1:sup a@b.example" \
	"DEL edg:v1:test" "UNLINK edg:v1:test" "XADD edg:v1:log * op x" "FLUSHALL" \
	"CONFIG SET dir /tmp" "GET other" "SET edg:v1:rate:x 1" "HSET other:v1:rate:x a 1" \
	"EVAL return 1 1 edg:v1:test" "EVAL return 1 1 other" "EVAL return 1 2 edg:v1:rate:x edg:v1:1:sup"; do
	set -f # the * of XADD
	# shellcheck disable=SC2086
	expect_match "reader cannot: $cmd" NOPERM "$(as_reader $cmd)"
	set +f
done
# The limiter's grant: EVAL, and writes, on the rate counters only; a script naming
# only rate keys still cannot touch the state (each command is checked).
expect_eq "reader: EVAL on a rate key (the limiter)" 1 \
	"$(as_reader EVAL "return redis.call('HINCRBY', KEYS[1], '1', 1)" 1 edg:v1:rate:x)"
expect_match "reader: a script declaring a rate key cannot write the state" "NOPERM|can.t (access|run)" \
	"$(as_reader EVAL "return redis.call('HSET', 'edg:v1:1:sup', 'c@d.example', 'y')" 1 edg:v1:rate:x)"
expect_match "reader: a script without keys cannot write the state" "NOPERM|can.t (access|run)" \
	"$(as_reader EVAL "return redis.call('SET', 'edg:v1:test', '2')" 0)"
expect_match "reader: a script without keys cannot delete" "NOPERM|can.t (access|run)" \
	"$(as_reader EVAL "return redis.call('DEL', 'edg:v1:test')" 0)"
expect_eq "reader wrote nothing" "1 x" "$(as_writer GET edg:v1:test) $(as_writer HGET edg:v1:1:sup a@b.example)"
as_writer DEL edg:v1:rate:x >/dev/null
as_writer DEL edg:v1:test edg:v1:1:sup >/dev/null

# The daemons with exactly these grants: syncd writes as edg-writer, the readers read.
TENANCY=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
python3 tests/emulators/oci_control.py --port 0 --port-file "$T/control.port" --verifier builtin \
	--key "$TENANCY/ocid1.user.oc1..acl/$FP=tests/data/emulator/public-key.pem" \
	--state tests/data/emulator/state.json >"$T/control.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do [ -s "$T/control.port" ] && break; sleep 0.1; done
install -m 600 tests/data/emulator/private-key.pem "$T/key.pem"
secret_register_key "$T/key.pem"
conf() { # REDIS-URL
	cat <<CONF
[oci]
region = us-ashburn-1
tenancy = $TENANCY
user = ocid1.user.oc1..acl
fingerprint = $FP
key_file = $T/key.pem
endpoint = http://127.0.0.1:$(cat "$T/control.port")
retries = 1
timeout = 5s
connect_timeout = 2s
[redis]
url = $1
[syncd]
audit_log = $T/audit.log
user = nobody
[policyd]
listen = unix:$T/policyd.sock
socket_mode = 0666
user = nobody
[milter]
listen = unix:$T/milter.sock
socket_mode = 0666
user = nobody
[guard]
limit = sasl:acl-app 2/1m
CONF
}
chmod 755 "$T" "$T/redis"
# syncd over TCP, the readers over the unix socket: both URL forms carry the ACL user.
conf "redis://edg-writer:$WRITER_PASS@127.0.0.1:$ACL_PORT" >"$T/writer.conf"
conf "unix://edg-reader:$READER_PASS@$T/redis/redis.sock" >"$T/reader.conf"
chmod 644 "$T/writer.conf" "$T/reader.conf"
touch "$T/audit.log"
chown nobody "$T/audit.log"
check "edg-syncd --once as edg-writer" sh -c "'$B/edg-syncd' -c '$T/writer.conf' --once >'$T/syncd.log' 2>&1"
expect_match "syncd published a generation" '^[1-9]' "$(as_writer GET edg:v1:gen)"
"$B/edg-policyd" -f -c "$T/reader.conf" >"$T/policyd.log" 2>&1 &
PIDS="$PIDS $!"
"$B/edg-milter" -f -c "$T/reader.conf" >"$T/milter.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do
	grep -q 'state: loaded' "$T/policyd.log" && grep -q 'state: loaded' "$T/milter.log" && break
	sleep 0.1
done
expect_match "edg-policyd as edg-reader (unix socket) loads the state" 'state: loaded generation [1-9]: [0-9]+ senders, 2 suppressions' "$(cat "$T/policyd.log")"
expect_match "edg-milter as edg-reader (unix socket) loads the state" 'state: loaded generation [1-9]: [0-9]+ senders, 2 suppressions' "$(cat "$T/milter.log")"
printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nsender=noreply@example.com\nrecipient=bounced@customer.example\nclient_address=127.0.0.1\n\n' >"$T/req"
expect_match "edg-policyd as edg-reader decides (suppressed: 550 5.1.1)" 'action=550 5.1.1 <bounced@customer.example> is suppressed' \
	"$(python3 tests/lib/policy_client.py "unix:$T/policyd.sock" "$T/req" 2>&1)"
printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nsender=noreply@example.com\nrecipient=x@customer.example\nsasl_username=acl-app\nclient_address=127.0.0.1\n\n' >"$T/req"
got=""
for _ in 1 2 3; do got="$got$(python3 tests/lib/policy_client.py "unix:$T/policyd.sock" "$T/req" 2>&1 | head -n 1)|"; done
expect_eq "edg-policyd as edg-reader applies a limit (sasl:acl-app 2/1m: 2 pass, the 3rd 451)" \
	"action=DUNNO|action=DUNNO|action=451 4.7.1 rate limit reached: sasl:acl-app 2/1m (edg guard), try again later|" "$got"
expect_match "edgctl status as edg-reader shows the usage" '^  sasl:acl-app 2/1m: 2/2 REFUSING' \
	"$("$B/edgctl" -c "$T/reader.conf" status --quick 2>&1)"
expect_eq "no NOPERM in any daemon's log" "" "$(grep -h NOPERM "$T/policyd.log" "$T/milter.log" 2>/dev/null)"
done_testing
