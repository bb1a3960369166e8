#!/bin/bash
# syncd_reload.sh - edg-syncd's SIGHUP: the configuration re-read without a restart.
#
# One edg-syncd against the OCI control-plane emulator and a real Redis. A SIGHUP with a
# changed file puts it in force at once: a shorter suppression_interval (a suppression
# added at the emulator appears within the new interval, not the old one), another list
# of compartments (their senders approved at the next senders cycle), another log level.
# A SIGHUP with a bad file is refused with a log line and the running configuration goes
# on. A SIGHUP also reopens the audit log (logrotate); the daemon runs as nobody, so the
# audit log's directory must be writable by nobody for the new file to be created.
# The process is the same from the first line to the last, and SIGTERM stops it cleanly.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-syncd-reload.XXXXXX)
chmod 755 "$T"
TENANCY=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
OCI_USER=ocid1.user.oc1..reload
PIDS=""
SYNCD_PID=
cleanup() {
	[ -n "$SYNCD_PID" ] && kill "$SYNCD_PID" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	redis_stop
	[ "$TAP_FAILED" -gt 0 ] && sed 's/^/# syncd: /' "$T/syncd.log" | tail -n 40
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT

REDIS_PASS="redis-canary-$$-Rc10" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
P=edg:v1
python3 tests/emulators/oci_control.py --port 0 --port-file "$T/emu.port" \
	--key "$TENANCY/$OCI_USER/$FP=tests/data/emulator/public-key.pem" \
	--state tests/data/emulator/state.json >"$T/emulator.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do [ -s "$T/emu.port" ] && break; sleep 0.1; done
EMU="http://127.0.0.1:$(cat "$T/emu.port")"
emu() { python3 tests/emulators/emuctl.py "$EMU" "$@"; }

install -m 600 tests/data/emulator/private-key.pem "$T/key.pem"
secret_register_key "$T/key.pem"
# As packaging and logrotate's "create" would: the file and its directory belong to the
# daemon's user (a file root created at start-up could not be reopened after the drop).
mkdir -p "$T/audit"
touch "$T/audit/audit.log"
chown nobody "$T/audit" "$T/audit/audit.log"
# write_conf SUPPRESSION_INTERVAL SENDER_INTERVAL COMPARTMENTS LEVEL [EXTRA LINE]
write_conf() {
	cat >"$T/edg.conf.new" <<CONF
[log]
level = $4
[oci]
region = us-ashburn-1
tenancy = $TENANCY
user = $OCI_USER
fingerprint = $FP
key_file = $T/key.pem
endpoint = $EMU
compartments = $3
retries = 1
retry_max_delay = 1s
timeout = 5s
connect_timeout = 2s
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[syncd]
sender_interval = $2
suppression_interval = $1
suppression_overlap = 0s
lock_ttl = 6s
audit_log = $T/audit/audit.log
user = nobody
${5:-}
CONF
	chmod 644 "$T/edg.conf.new"
	mv "$T/edg.conf.new" "$T/edg.conf"
}
hexists() { redis_cli HEXISTS "$P:$(redis_cli GET $P:gen):$1" "$2"; }
# wait_for SECONDS CMD...: until CMD succeeds; the time it took in $waited (tenths of a second)
wait_for() {
	limit=$(($1 * 10))
	shift
	waited=0
	while [ "$waited" -lt "$limit" ]; do
		"$@" && return 0
		sleep 0.1
		waited=$((waited + 1))
	done
	return 1
}
in_redis() { [ "$(hexists "$1" "$2")" = 1 ]; }
logged() { grep -q -- "$1" "$T/syncd.log"; }
add_suppression() { # ADDRESS ID
	emu POST /suppressions "{\"emailAddress\":\"$1\",\"reason\":\"MANUAL\",\"id\":\"ocid1.emailsuppression.oc1..$2\"}" >/dev/null
}
hup() { : >"$T/mark"; kill -HUP "$SYNCD_PID"; }

# Slow schedule, the tenancy's senders only.
write_conf 1h 1h "" info
"$B/edg-syncd" -f -c "$T/edg.conf" >"$T/syncd.log" 2>&1 &
SYNCD_PID=$!
wait_for 15 in_redis sup bounced@customer.example
expect_eq "first sync published" 1 "$(redis_cli GET $P:gen)"
expect_eq "another compartment's sender not approved" 0 "$(hexists senders ops@ops.example.net)"

# 1. suppression_interval 1h -> 5s, senders every 5s, two compartments: in force at once.
add_suppression hup1@customer.example hup1
sleep 2
expect_eq "with the 1h interval the new suppression waits" 0 "$(hexists sup hup1@customer.example)"
write_conf 5s 5s "$TENANCY, ocid1.compartment.oc1..ops" info
hup
if wait_for 10 in_redis sup hup1@customer.example; then
	ok "reload: the 5s suppression_interval in force (picked up after $((waited / 10)).$((waited % 10)) s)"
else
	not_ok "reload: the 5s suppression_interval in force"
fi
expect_match "reload logged" "reload: configuration $T/edg.conf in force" "$(cat "$T/syncd.log")"
if wait_for 10 in_redis senders ops@ops.example.net; then
	ok "reload: the new compartment's sender approved"
else
	not_ok "reload: the new compartment's sender approved"
fi
expect_eq "reload: the tenancy's senders still approved" 1 "$(hexists senders noreply@example.com)"

# 2. A bad file: refused, logged; the running configuration goes on.
cp "$T/edg.conf" "$T/good.conf"
write_conf 5s 5s "$TENANCY, ocid1.compartment.oc1..ops" info "suppression_intervall = 1s"
hup
wait_for 5 logged "reload: $T/edg.conf has errors; keeping the running configuration"
expect_match "bad file: refused with a log line" "has errors; keeping the running configuration" "$(cat "$T/syncd.log")"
expect_match "bad file: the error names the key" "suppression_intervall" "$(cat "$T/syncd.log")"
kill -0 "$SYNCD_PID" 2>/dev/null && ok "bad file: still running" || not_ok "bad file: still running"
add_suppression hup2@customer.example hup2
if wait_for 10 in_redis sup hup2@customer.example; then
	ok "bad file: the running 5s schedule goes on"
else
	not_ok "bad file: the running 5s schedule goes on"
fi
write_conf 1h 5s "$TENANCY" info "reconcile_interval = 10s"
hup
wait_for 5 logged "reload: $T/edg.conf has errors" && sleep 0.5
expect_eq "a value out of range (reconcile_interval = 10s) is refused too" 2 "$(grep -c 'has errors; keeping the running configuration' "$T/syncd.log")"

# 3. logrotate: the audit log moved away, SIGHUP, the next change goes to a new file.
cp "$T/good.conf" "$T/edg.conf"
mv "$T/audit/audit.log" "$T/audit/audit.log.1"
hup
wait_for 5 logged "reload: configuration" >/dev/null
add_suppression hup3@customer.example hup3
wait_for 10 in_redis sup hup3@customer.example
sleep 0.5
expect_match "audit log reopened: the next change in a new file" '"address":"hup3@customer.example"' \
	"$(cat "$T/audit/audit.log" 2>/dev/null)"
expect_eq "the rotated file keeps the earlier lines, and only them" "1 0" \
	"$(grep -c '"address":"hup2@customer.example"' "$T/audit/audit.log.1") $(grep -c hup3 "$T/audit/audit.log.1")"

# 4. Log level info -> warning: the cycles' info lines stop.
write_conf 5s 5s "$TENANCY, ocid1.compartment.oc1..ops" warning
hup
sleep 1
lines=$(wc -l <"$T/syncd.log")
add_suppression hup4@customer.example hup4
wait_for 10 in_redis sup hup4@customer.example
sleep 6
expect_eq "level = warning: no info line after the reload" "" "$(tail -n +$((lines + 1)) "$T/syncd.log" | grep 'info:')"
write_conf 5s 5s "$TENANCY, ocid1.compartment.oc1..ops" info
hup
wait_for 5 logged "suppressions: .*hup\|reload: configuration" >/dev/null
if wait_for 8 sh -c "tail -n +$((lines + 1)) '$T/syncd.log' | grep -q 'info:'"; then
	ok "level = info again: info lines back"
else
	not_ok "level = info again: info lines back"
fi

# Never restarted: the same process all along, and it stops cleanly.
kill -0 "$SYNCD_PID" 2>/dev/null && ok "the same process all along (no restart)" || not_ok "the same process all along (no restart)"
expect_eq "one start-up (one lease taken)" 1 "$(grep -c 'lease: .* pulls from OCI now' "$T/syncd.log")"
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID"
expect_eq "SIGTERM: clean exit" 0 $?
SYNCD_PID=
done_testing
