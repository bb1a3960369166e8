#!/bin/bash
# faults_oci.sh - the OCI control plane misbehaving while mail flows through the gateway.
#
# The whole chain (control-plane emulator -> edg-syncd -> Redis -> edg-policyd and
# edg-milter in front of a private Postfix -> the OCI SMTP emulator) carries a steady
# trickle of mail while the control emulator answers 429 with Retry-After, then 500s,
# then stalls beyond edg-syncd's timeout, then is down for longer than max_stale.
# Checked for each: decisions go on from what Redis holds (approved senders pass,
# suppressed recipients are refused), the failure is visible in `edgctl status` and the
# metrics, syncd does not hammer OCI, and a change made in OCI during the fault is in force
# soon after it ends. At the end every message is accounted for:
# submitted = delivered + refused + still queued, and nothing the client was told was
# queued is missing at OCI.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/postfix.sh
. tests/lib/e2e.sh
. tests/lib/emulator.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-faults-oci.XXXXXX)
chmod 755 "$T"
OCI_USER=ocid1.user.oc1..faults
PIDS=""
cleanup() {
	if [ "$TAP_FAILED" -gt 0 ]; then
		for f in syncd policyd milter control/control; do tail -n 20 "$T/$f.log" | sed "s|^|# $f: |"; done
		postfix_log | tail -n 30 | sed 's/^/# postfix: /'
	fi
	postfix_stop
	oci_smtp_stop
	control_stop
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	redis_stop
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"

E2E_CERTS=$T/certs
e2e_certs "$E2E_CERTS" || skip_all "openssl could not make the test CA"
REDIS_PASS="redis-canary-$$-Rc12" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"

cat >"$T/state.json" <<JSON
{"tenancy": "$EMU_TENANCY", "region": "us-ashburn-1",
 "senders": [{"emailAddress": "app@example.com"}],
 "suppressions": [{"emailAddress": "gone@example.net", "reason": "HARDBOUNCE",
                   "timeCreated": "2026-01-02T03:04:05.678Z"}]}
JSON
control_start "$T/control" "$OCI_USER" 0 --verifier builtin --state "$T/state.json" ||
	skip_all "the control-plane emulator did not start"
oci_smtp_start "$T/oci" "$E2E_CERTS" --control-url "$CONTROL" ||
	skip_all "the SMTP emulator did not start: $(cat "$T/oci/smtp.err")"

SYNCD_METRICS=$(free_port)
install -m 600 tests/data/emulator/private-key.pem "$T/key.pem"
secret_register_key "$T/key.pem"
{
	emu_oci_section "$T/key.pem" "$OCI_USER"
	cat <<CONF
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[syncd]
sender_interval = 5s
suppression_interval = 5s
suppression_overlap = 0s
audit_log = $T/audit.log
user = nobody
metrics_listen = inet:127.0.0.1:$SYNCD_METRICS
[policyd]
listen = unix:$T/policyd.sock
socket_mode = 0666
user = nobody
max_stale = 8s
[milter]
listen = unix:$T/milter.sock
socket_mode = 0666
user = nobody
max_stale = 8s
CONF
} >"$T/edg.conf"
chmod 644 "$T/edg.conf"
touch "$T/audit.log"
chown nobody "$T/audit.log"
"$B/edg-syncd" -f -c "$T/edg.conf" >>"$T/syncd.log" 2>&1 &
PIDS="$PIDS $!"
"$B/edg-policyd" -f -c "$T/edg.conf" >>"$T/policyd.log" 2>&1 &
PIDS="$PIDS $!"
"$B/edg-milter" -f -c "$T/edg.conf" >>"$T/milter.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do
	grep -q 'state: loaded generation [1-9]' "$T/policyd.log" && grep -q 'state: loaded generation [1-9]' "$T/milter.log" && break
	sleep 0.1
done
grep -q 'state: loaded generation [1-9]' "$T/policyd.log" && grep -q 'state: loaded generation [1-9]' "$T/milter.log" ||
	skip_all "syncd, policyd and milter did not come up with the state"

SMTP_PORT=$(free_port)
e2e_postfix "$T/pf" "$SMTP_PORT" "$OCI_SMTP_PORT" edg "unix:$T/policyd.sock" "unix:$T/milter.sock"
postfix_start || skip_all "Postfix did not start"
sleep 1

edgctl() { "$B/edgctl" -c "$T/edg.conf" "$@"; }
syncd_metric() {
	python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$SYNCD_METRICS/metrics', timeout=5).read().decode())" |
		awk -v m="$1" '$1 == m { print $2 }'
}
failed_cycles() { # every kind of cycle
	python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$SYNCD_METRICS/metrics', timeout=5).read().decode())" |
		awk '/^edg_syncd_cycles_total\{.*result="failed"/ { n += $2 } END { print n + 0 }'
}
more_failed_than() { [ "$(failed_cycles)" -gt "$1" ]; }
emu_requests() { # authenticated requests the emulator logged (optionally: with this fault type)
	emu GET /log | python3 -c "import json,sys; e=json.load(sys.stdin)['entries']; print(sum(1 for x in e if x['authenticated'] and ('$1' == '' or x.get('fault') == '$1')))"
}

submitted=0 refused=0 SEQ=0 wrong=""
declare -A outcome
# traffic_for S: messages one after the other for S seconds at least
traffic_for() {
	_end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$_end" ]; do
		traffic 1
		sleep 0.2
	done
}
# traffic N: N messages from an approved sender, one at a time; every third also to the
# suppressed gone@example.net, which must be refused while the other recipient passes.
traffic() {
	for _ in $(seq 1 "$1"); do
		SEQ=$((SEQ + 1))
		subject=faults-$SEQ
		rcpts=r$SEQ@example.net
		[ $((SEQ % 3)) -eq 0 ] && rcpts="$rcpts,gone@example.net"
		out=$(swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --from app@example.com --to "$rcpts" \
			--header "Subject: $subject" --body "edg faults $SEQ" 2>&1)
		submitted=$((submitted + 1))
		if printf '%s' "$out" | grep -q '^<- *250 2.0.0 Ok: queued'; then
			outcome[$subject]=queued
		else
			outcome[$subject]=refused
			refused=$((refused + 1))
			wrong="$wrong $subject(refused: $(printf '%s' "$out" | grep '^<\*\*' | head -n 1))"
		fi
		if [ $((SEQ % 3)) -eq 0 ] && ! printf '%s' "$out" | grep -q '550 5.1.1 <gone@example.net>'; then
			wrong="$wrong $subject(suppressed recipient not refused)"
		fi
	done
}
# status_problem PATTERN: edgctl status exits 1 and names the problem
status_problem() {
	st=$(edgctl status --quick 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && printf '%s' "$st" | grep -Eq "$1"
}
# until_true SECONDS COMMAND...: poll every 0.5 s
until_true() {
	_end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -lt "$_end" ]; do
		"$@" && return 0
		sleep 0.5
	done
	"$@"
}
rcpt_answer() { swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --from "$1" --to "$2" --quit-after RCPT 2>&1; }
suppressed_now() { rcpt_answer app@example.com "$1" | grep -q "550 5.1.1 <$1>"; }
sender_ok_now() { rcpt_answer "$1" x@example.net | grep -q '^<- *250 2.1.5'; }

# 0. Normal service.
traffic 3
expect_eq "baseline: mail flows, suppressed recipient refused" "" "$wrong"
check "baseline: edgctl status is healthy" edgctl status --quick

# 1. A storm of 429 with Retry-After: 3 s. syncd waits as told; nothing changes for mail.
emu POST /fault '{"type": "status", "status": 429, "retryAfter": 3}' >/dev/null
emu DELETE /log >/dev/null
storm_start=$(date +%s)
emu POST /suppressions '{"emailAddress": "storm@example.net", "reason": "COMPLAINT", "timeCreated": "2026-03-01T00:00:00.000Z"}' >/dev/null
traffic_for 12
check "429 storm: edgctl status exits 1 naming the 429" until_true 10 status_problem '429|TooManyRequests'
storm_secs=$(($(date +%s) - storm_start))
n429=$(emu_requests status)
gap=$(emu GET /log | python3 -c "
import json, sys, datetime
t = [datetime.datetime.fromisoformat(x['time'].replace('Z', '+00:00')).timestamp()
     for x in json.load(sys.stdin)['entries'] if x['authenticated'] and x.get('fault') == 'status']
print('%.1f' % min([b - a for a, b in zip(t, t[1:])] or [99]))")
echo "# 429 storm: $n429 requests answered 429 in $storm_secs s, the closest two $gap s apart (Retry-After 3 s)"
check "429 storm: no request to OCI sooner than Retry-After says (closest two: $gap s apart)" \
	python3 -c "import sys; sys.exit(float('$gap') < 2.9)"
check "429 storm: failed cycles counted in the metrics" test "$(failed_cycles)" -gt 0
expect_eq "429 storm: mail decided from Redis throughout" "" "$wrong"
emu DELETE /faults >/dev/null
check "429 storm over: the suppression added in OCI meanwhile is enforced" until_true 15 suppressed_now storm@example.net
check "429 storm over: edgctl status healthy again" until_true 10 edgctl status --quick

# 2. 500s on every call. A sender approved in OCI meanwhile passes once they end.
emu POST /fault '{"type": "status", "status": 500}' >/dev/null
failed_before=$(failed_cycles)
emu POST /senders '{"emailAddress": "late@example.com"}' >/dev/null
traffic_for 6
check "500s: edgctl status exits 1 naming the 500" until_true 10 status_problem '500|InternalServerError'
check "500s: failed cycles counted" more_failed_than "$failed_before"
if sender_ok_now late@example.com; then
	not_ok "500s: a sender approved in OCI meanwhile is not known yet"
else
	ok "500s: a sender approved in OCI meanwhile is not known yet"
fi
expect_eq "500s: mail decided from Redis throughout" "" "$wrong"
emu DELETE /faults >/dev/null
check "500s over: the sender approved in OCI meanwhile passes" until_true 15 sender_ok_now late@example.com

# 3. Answers that stall beyond syncd's timeout (5 s).
emu POST /fault '{"type": "slow", "seconds": 12}' >/dev/null
failed_before=$(failed_cycles)
traffic_for 6
check "stalls: edgctl status exits 1 naming the timeout" until_true 20 status_problem '[Tt]ime(d )?out'
check "stalls: failed cycles counted" until_true 20 more_failed_than "$failed_before"
expect_eq "stalls: mail decided from Redis throughout" "" "$wrong"
emu DELETE /faults >/dev/null
check "stalls over: edgctl status healthy again" until_true 30 edgctl status --quick

# 4. The control plane down for longer than max_stale (8 s): Redis still holds the last
# state OCI gave, so decisions go on; the staleness is visible in the status and metrics.
emu GET /state >"$T/state-now.json"
control_stop
down_start=$(date +%s)
traffic_for 11
while [ $(($(date +%s) - down_start)) -lt 11 ]; do sleep 0.5; done
check "OCI down beyond max_stale: edgctl status exits 1: no cycle succeeded within max_stale" \
	status_problem 'max_stale|stale|no (successful|cycle)'
age=$(($(date +%s) - $(syncd_metric edg_syncd_last_success_timestamp_seconds | cut -d. -f1)))
check "OCI down beyond max_stale: the metrics show the last success $age s ago (> 8 s)" test "$age" -gt 8
expect_eq "OCI down: mail decided from Redis throughout (suppressed refused, approved passes)" "" "$wrong"
control_start "$T/control" "$OCI_USER" "$CONTROL_PORT" --verifier builtin --state "$T/state-now.json" ||
	not_ok "the control emulator came back on its port"
check "OCI back: edgctl status healthy within a few cycles" until_true 30 edgctl status --quick
traffic 3
expect_eq "OCI back: mail flows" "" "$wrong"

# 5. Every message accounted for.
postfix_wait_empty 60
queued_now=$(postfix_queue_count)
delivered=0 lost=""
for s in "${!outcome[@]}"; do
	if oci_store_find "$s" >/dev/null; then
		delivered=$((delivered + 1))
	elif [ "${outcome[$s]}" = queued ]; then
		lost="$lost $s"
	fi
done
expect_eq "accounting: submitted = delivered + refused + queued ($submitted = $delivered + $refused + $queued_now)" \
	"$submitted" $((delivered + refused + queued_now))
expect_eq "every message the client was told queued reached OCI (lost: 0)" "" "$lost"
expect_eq "OCI never answered 254 to the gateway (no suppressed recipient slipped through)" 0 "$(grep -c ' 254 ' "$T/oci/smtp.log")"
echo "# $submitted submitted: $delivered delivered, $refused refused, $queued_now queued, 0 lost"
done_testing
