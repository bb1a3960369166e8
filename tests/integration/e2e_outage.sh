#!/bin/bash
# e2e_outage.sh - the whole chain, and Redis stopped in the middle of it.
#
# The OCI control-plane emulator holds the truth; edg-syncd copies it into Redis;
# edg-policyd and edg-milter enforce it in front of a private Postfix (the shipped
# conf/postfix snippets); Postfix relays over verified STARTTLS with SASL to the OCI SMTP
# emulator, which reads the same truth from the control emulator (--control-url), so both
# sides agree. Checked: a suppression added in "OCI" reaches the gateway; the milter's
# From: rewrite is what OCI accepts; Redis stopped mid-run loses nothing (each message is
# delivered, or refused with 4xx to the client) and service is normal when Redis returns;
# every message submitted is accounted for at every stage.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/postfix.sh
. tests/lib/e2e.sh
. tests/lib/emulator.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-e2e-outage.XXXXXX)
chmod 755 "$T"
OCI_USER=ocid1.user.oc1..e2e
PIDS=""
cleanup() {
	if [ "$TAP_FAILED" -gt 0 ]; then
		for f in syncd policyd milter control/control; do tail -n 15 "$T/$f.log" | sed "s/^/# $f: /"; done
		postfix_log | tail -n 40 | sed 's/^/# postfix: /'
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
REDIS_PASS="redis-canary-$$-Rc1" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"

# The truth, in "OCI".
cat >"$T/state.json" <<JSON
{"tenancy": "$EMU_TENANCY", "region": "us-ashburn-1",
 "senders": [{"emailAddress": "app@example.com"}, {"emailAddress": "noreply@example.com"}],
 "suppressions": [{"emailAddress": "gone@example.net", "reason": "HARDBOUNCE",
                   "timeCreated": "2026-01-02T03:04:05.678Z"}]}
JSON
control_start "$T/control" "$OCI_USER" 0 --verifier builtin --state "$T/state.json" ||
	skip_all "the control-plane emulator did not start"
oci_smtp_start "$T/oci" "$E2E_CERTS" --control-url "$CONTROL" ||
	skip_all "the SMTP emulator did not start: $(cat "$T/oci/smtp.err")"

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
[policyd]
listen = unix:$T/policyd.sock
socket_mode = 0666
user = nobody
max_stale = 4s
[milter]
listen = unix:$T/milter.sock
socket_mode = 0666
user = nobody
max_stale = 4s
[rewrite]
rule = header @corp.example noreply@example.com
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
ok "syncd filled Redis, policyd and milter loaded it"

SMTP_PORT=$(free_port)
e2e_postfix "$T/pf" "$SMTP_PORT" "$OCI_SMTP_PORT" edg "unix:$T/policyd.sock" "unix:$T/milter.sock"
postfix_start || skip_all "Postfix did not start"
sleep 1

submitted=0 refused_5xx=0 refused_4xx=0 SEQ=0
declare -A outcome
# send FROM RCPTS [HEADER-FROM]: one message, Subject e2e-N; its outcome recorded.
send() {
	SEQ=$((SEQ + 1))
	subject=e2e-$SEQ
	out=$(swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --from "$1" --to "$2" \
		--header "Subject: $subject" --header "From: ${3:-$1}" --body "edg e2e $SEQ" 2>&1)
	submitted=$((submitted + 1))
	if printf '%s' "$out" | grep -q '^<- *250 2.0.0 Ok: queued'; then
		outcome[$subject]=queued
	elif printf '%s' "$out" | grep -q '^<\*\* *4[0-9][0-9] '; then
		outcome[$subject]=4xx
		refused_4xx=$((refused_4xx + 1))
	else
		outcome[$subject]=5xx
		refused_5xx=$((refused_5xx + 1))
	fi
}

# 1. Normal service through the whole chain.
send app@example.com alice@example.net
expect_eq "approved sender: queued" queued "${outcome[$subject]}"
send app@example.com alice@example.net,gone@example.net
expect_match "suppressed recipient (synced from OCI): 550 5.1.1 with the reason" \
	'550 5.1.1 <gone@example.net>: Recipient address rejected: <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\)' "$out"
send app@example.com alice@example.net "Alice <alice@corp.example>"
rewritten=$subject
expect_eq "unapproved From: with a rule: queued (the milter rewrites it)" queued "${outcome[$subject]}"
send cron@host.local alice@example.net
expect_eq "unapproved envelope sender: refused" 5xx "${outcome[$subject]}"

# A suppression added in OCI reaches the gateway through edg-syncd.
emu POST /suppressions \
	'{"emailAddress": "left@example.net", "reason": "UNSUBSCRIBE", "timeCreated": "2026-02-03T00:00:00.000Z"}' >/dev/null
for _ in $(seq 1 150); do
	out=$(swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --from app@example.com --to left@example.net --quit-after RCPT 2>&1)
	printf '%s' "$out" | grep -q '550 5.1.1' && break
	sleep 0.1
done
expect_match "a suppression added in OCI is enforced within a sync interval" \
	'550 5.1.1 .*<left@example.net> is suppressed by OCI Email Delivery \(UNSUBSCRIBE since 2026-02-03\)' "$out"

out=$(swaks --server "localhost:$OCI_SMTP_PORT" --timeout 20 -tls --tls-verify --tls-ca-path "$E2E_CERTS/ca.pem" \
	--auth PLAIN --auth-user "$E2E_SMTP_USER" --auth-password "$E2E_SMTP_PASSWORD" \
	--from app@example.com --to left@example.net --quit-after RCPT 2>&1)
expect_match "the SMTP emulator agrees: 254 for it straight from the control emulator's state" \
	'254 4.7.1 Suppression for user ocid1.user.oc1..emu to left@example.net' "$out"

postfix_wait_empty 20
j=$(oci_store_find "$rewritten")
check "OCI accepted the rewritten message" test -n "$j"
expect_match "OCI got the approved From: and envelope sender" '"header_from": \[\s*"noreply@example.com"\s*\],.*"mail_from": "noreply@example.com"' \
	"$(tr -d '\n' <"$j" 2>/dev/null)"

# 2. Redis stopped mid-run: within max_stale the last-known-good view decides; beyond it,
# 451 to the client (it keeps the message). Nothing accepted is lost.
redis_stop
t0=$(date +%s)
while [ $(($(date +%s) - t0)) -lt 8 ]; do
	send app@example.com "bob$SEQ@example.net"
	sleep 0.5
done
expect_match "Redis down: some messages accepted from the last-known-good view" 'queued' "${outcome[*]}"
expect_match "Redis down beyond max_stale: 4xx to the client" '451 4.3.0 .*try again later' "$out"
check "Redis down: no 5xx to the client (only the unapproved sender, before)" \
	test "$refused_5xx" -eq 1

REDIS_SOCK_PERM=777 redis_start "$T/redis"
recovered=""
for _ in $(seq 1 60); do
	send app@example.com "carol$SEQ@example.net"
	[ "${outcome[$subject]}" = queued ] && recovered=1 && break
	sleep 0.5
done
[ -n "$recovered" ] && ok "Redis back: normal service (syncd refilled it)" || not_ok "Redis back: normal service (syncd refilled it)" "$out"
send app@example.com alice@example.net,gone@example.net
expect_match "Redis back: suppression enforced again" '550 5.1.1 <gone@example.net>' "$out"
send cron@host.local alice@example.net
expect_eq "Redis back: unapproved sender refused again" 5xx "${outcome[$subject]}"

# 3. Every message accounted for.
postfix_wait_empty 30
queued_now=$(postfix_queue_count)
delivered=0 lost=""
for s in "${!outcome[@]}"; do
	if oci_store_find "$s" >/dev/null; then
		delivered=$((delivered + 1))
		[ "${outcome[$s]}" = queued ] || lost="$lost $s(refused but delivered)"
	elif [ "${outcome[$s]}" = queued ]; then
		lost="$lost $s"
	fi
done
expect_eq "accounting: submitted = delivered + refused 5xx + refused 4xx + queued ($submitted = $delivered + $refused_5xx + $refused_4xx + $queued_now)" \
	"$submitted" $((delivered + refused_5xx + refused_4xx + queued_now))
expect_eq "every message the client was told queued reached OCI" "" "$lost"
expect_eq "nothing bounced after queueing" 0 "$(postfix_log | grep -c 'status=bounced')"
expect_eq "OCI never answered 254 or 535 to the gateway (only to the direct probe above)" 1 "$(grep -c ' 254 \| 535 ' "$T/oci/smtp.log")"
echo "# $submitted submitted: $delivered delivered, $refused_5xx refused 5xx, $refused_4xx refused 4xx, $queued_now queued"
done_testing
