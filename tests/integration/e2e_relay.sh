#!/bin/bash
# e2e_relay.sh - what edg changes, end to end: Postfix relaying to the OCI SMTP emulator
# over verified STARTTLS with SASL, once without edg and once with edg-policyd in front.
#
# Both Postfix instances get the shipped conf/postfix snippets. The emulator and Redis
# hold the same state (approved senders, one suppressed address). Checked: what the
# client is told, what Postfix logs, what "OCI" stores; OCI's 455 (deferred, retried,
# delivered); a certificate Postfix cannot verify (no AUTH, nothing delivered, kept
# queued); every message submitted through edg accounted for.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh
. tests/lib/postfix.sh
. tests/lib/e2e.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-e2e-relay.XXXXXX)
chmod 755 "$T"
PD_PID=
cleanup() {
	if [ "$TAP_FAILED" -gt 0 ]; then
		sed 's/^/# policyd: /' "$T/policyd.log" | tail -n 20
		for d in plain edg; do PF_DIR=$T/pf-$d postfix_log | sed "s/^/# postfix-$d: /" | tail -n 40; done
		tail -n 40 "$T/oci/smtp.log" | sed 's/^/# oci-smtp: /'
	fi
	for d in plain edg; do PF_DIR=$T/pf-$d postfix_stop; done
	oci_smtp_stop
	[ -n "$PD_PID" ] && kill "$PD_PID" 2>/dev/null && wait "$PD_PID" 2>/dev/null
	redis_stop
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"

E2E_CERTS=$T/certs
e2e_certs "$E2E_CERTS" || skip_all "openssl could not make the test CA"
secret_register_key "$E2E_CERTS/rogue.key" "$E2E_CERTS/wrongname.key" # the emulator serves them too

# One truth, two copies: the emulator's state file and Redis (as edg-syncd would write it).
cat >"$T/state.json" <<'JSON'
{"senders": [{"emailAddress": "app@example.com"}, {"emailAddress": "@example.org"},
             {"emailAddress": "old@example.com", "lifecycleState": "INACTIVE"}],
 "suppressions": [{"emailAddress": "gone@example.net", "reason": "HARDBOUNCE",
                   "timeCreated": "2026-01-02T03:04:05.678Z"}]}
JSON
REDIS_PASS="redis-canary-$$-Rc2" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
state_init
state_sender app@example.com
state_sender @example.org
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z

oci_smtp_start "$T/oci" "$E2E_CERTS" --state "$T/state.json" --throttle-file "$T/throttle" ||
	skip_all "the SMTP emulator did not start: $(cat "$T/oci/smtp.err")"

cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[policyd]
listen = unix:$T/policyd.sock
socket_mode = 0666
user = nobody
CONF
chmod 644 "$T/edg.conf"
"$B/edg-policyd" -f -c "$T/edg.conf" 2>>"$T/policyd.log" &
PD_PID=$!

PLAIN_PORT=$(free_port)
EDG_PORT=$(free_port)
e2e_postfix "$T/pf-plain" "$PLAIN_PORT" "$OCI_SMTP_PORT" plain
postfix_start || skip_all "Postfix (plain) did not start"
e2e_postfix "$T/pf-edg" "$EDG_PORT" "$OCI_SMTP_PORT" edg "unix:$T/policyd.sock"
postfix_start || skip_all "Postfix (edg) did not start"
for _ in $(seq 1 50); do [ -S "$T/policyd.sock" ] && break; sleep 0.1; done
sleep 1

use() { PF_DIR=$T/pf-$1; }
send() { # PORT SUBJECT ARGS...
	_port=$1 _subject=$2
	shift 2
	swaks --server "127.0.0.1:$_port" --timeout 20 --header "Subject: $_subject" --body "edg e2e" "$@" 2>&1
}
queued() { printf '%s' "$1" | grep -q '^<- *250 2.0.0 Ok: queued'; }
oci_log_count() { grep -c -- "$1" "$T/oci/smtp.log"; }

# Accounting for every message submitted through the edg instance.
submitted=0 refused=0
edg_send() { # SUBJECT ARGS...: send through edg, count it; the transcript in $out
	out=$(send "$EDG_PORT" "$@")
	submitted=$((submitted + 1))
	queued "$out" || refused=$((refused + 1))
}

# 1. The value itself: a suppressed recipient.
use plain
out=$(send "$PLAIN_PORT" plain-suppressed --from app@example.com --to alice@example.net,gone@example.net \
	--header "From: App <app@example.com>")
expect_match "without edg: the client is told queued, for both recipients" '250 2.0.0 Ok: queued' "$out"
postfix_wait_empty 20
expect_match "without edg: OCI answered 254 at RCPT" '254 4.7.1 Suppression for user ocid1.user.oc1..emu to gone@example.net' \
	"$(cat "$T/oci/smtp.log")"
expect_match "without edg: Postfix logs status=sent for the suppressed recipient" \
	'to=<gone@example.net>, relay=localhost\[127.0.0.1\]:[0-9]+, .*status=sent' "$(postfix_log)"
j=$(oci_store_find plain-suppressed)
expect_match "without edg: OCI delivered to alice only" '"rcpts": \[\s*"alice@example.net"\s*\]' "$(tr -d '\n' <"$j")"
expect_eq "without edg: nobody is told (no bounce, no delay notice)" 0 \
	"$(postfix_log | grep -c 'sender non-delivery notification\|status=bounced\|status=deferred')"

use edg
edg_send edg-suppressed --from app@example.com --to alice@example.net,gone@example.net \
	--header "From: App <app@example.com>"
expect_match "with edg: 550 5.1.1 for the suppressed recipient, with the reason" \
	'<\*\* +550 5.1.1 <gone@example.net>: Recipient address rejected: <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\)' "$out"
expect_match "with edg: the other recipient accepted and queued" '250 2.0.0 Ok: queued' "$out"
postfix_wait_empty 20
j=$(oci_store_find edg-suppressed)
expect_match "with edg: OCI got alice" '"rcpts": \[\s*"alice@example.net"\s*\]' "$(tr -d '\n' <"$j" 2>/dev/null)"
expect_eq "with edg: OCI never saw the suppressed recipient again (one 254 in all)" 1 "$(oci_log_count ' 254 ')"

# 2. An unapproved sender.
use plain
out=$(send "$PLAIN_PORT" plain-unapproved --from cron@host.local --to alice@example.net \
	--header "From: cron@host.local")
expect_match "without edg: unapproved sender queued" '250 2.0.0 Ok: queued' "$out"
postfix_wait_empty 30
expect_match "without edg: OCI answered 535 Authorization failed" \
	'535 Authorization failed: address cron@host.local not authorized' "$(cat "$T/oci/smtp.log")"
expect_match "without edg: Postfix bounced it after queueing" \
	'to=<alice@example.net>, relay=localhost.*status=bounced \(host localhost\[127.0.0.1\] said: 535 Authorization failed' "$(postfix_log)"

use edg
mail_before=$(oci_log_count 'C: MAIL FROM:<cron@host.local>')
edg_send edg-unapproved --from cron@host.local --to alice@example.net --header "From: cron@host.local"
expect_match "with edg: refused at RCPT with 550 5.7.1 naming sender and region" \
	'<\*\* +550 5.7.1 <alice@example.net>: Recipient address rejected: <cron@host.local> is not an approved sender in OCI Email Delivery \(region us-ashburn-1\)' "$out"
expect_eq "with edg: OCI never asked (no new MAIL from it)" "$mail_before" "$(oci_log_count 'C: MAIL FROM:<cron@host.local>')"
edg_send edg-inactive --from old@example.com --to alice@example.net --header "From: old@example.com"
expect_match "with edg: an INACTIVE sender refused too" '550 5.7.1 .*<old@example.com> is not an approved sender' "$out"

# 3. Over the size limit: refused by Postfix's message_size_limit, never sent to OCI.
head -c 2100000 /dev/zero | tr '\0' 'a' | fold -w 76 >"$T/big.txt"
edg_send edg-big --from app@example.com --to alice@example.net --header "From: app@example.com" \
	--body "@$T/big.txt" --suppress-data
expect_match "with edg: 2.1 MB refused by message_size_limit" '<\*\* +552 5.3.4 ' "$out"

# 4. OCI's 455: Postfix defers, retries, delivers; nothing is lost.
stored_before=$(oci_store_count)
echo 10 >"$T/throttle"
for i in 1 2 3; do
	edg_send "edg-throttled-$i" --from app@example.com --to "user$i@example.net" --header "From: app@example.com"
done
deferred455() { # distinct recipients deferred with OCI's 455 (a retry may add lines)
	postfix_log | grep 'status=deferred.*455 Maximum messages sent per minute reached : limit is 10' |
		grep -o 'to=<user[0-9]@example.net>' | sort -u | wc -l
}
for _ in $(seq 1 100); do
	[ "$(deferred455)" -ge 3 ] && break
	sleep 0.1
done
expect_eq "455: all three deferred by Postfix" 3 "$(deferred455)"
expect_eq "455: still queued, nothing stored" "3 $stored_before" "$(postfix_queue_count) $(oci_store_count)"
rm -f "$T/throttle"
postfix_flush
postfix_wait_empty 30
expect_eq "455: after the limit lifts, all three delivered" $((stored_before + 3)) "$(oci_store_count)"

# 5. A certificate Postfix cannot verify (self-signed: a man in the middle; or signed by
# the CA for another name): no password sent, nothing delivered, the message kept queued.
impostor() { # CERT-NAME QUEUED-AFTER
	oci_smtp_stop
	cat "$T/oci/smtp.log" >>"$T/oci/smtp.log.all"
	: >"$T/oci/smtp.log"
	python3 tests/emulators/oci_smtp.py --port "$OCI_SMTP_PORT" --tls-cert "$E2E_CERTS/$1.pem" \
		--tls-key "$E2E_CERTS/$1.key" --user "$E2E_SMTP_USER" --password "$E2E_SMTP_PASSWORD" \
		--state "$T/state.json" --store "$T/$1-store" --log "$T/oci/smtp.log" 2>>"$T/oci/smtp.err" &
	OCI_SMTP_PID=$!
	for _ in $(seq 1 50); do grep -q listening "$T/oci/smtp.log" 2>/dev/null && break; sleep 0.1; done
	: >"$PF_DIR/maillog"
	edg_send "edg-$1" --from app@example.com --to alice@example.net --header "From: app@example.com"
	for _ in $(seq 1 100); do
		postfix_log | grep -q 'to=<alice@example.net>.*status=deferred' && break
		sleep 0.1
	done
	expect_match "$1 certificate: Postfix defers: Server certificate not verified" \
		'to=<alice@example.net>.*dsn=4.7.5, status=deferred \(Server certificate not verified\)' "$(postfix_log)"
	expect_eq "$1 certificate: the emulator saw no AUTH (no password sent)" 0 "$(grep -c 'C: AUTH' "$T/oci/smtp.log")"
	expect_eq "$1 certificate: nothing stored by the impostor" 0 "$(find "$T/$1-store" -name '*.json' 2>/dev/null | wc -l)"
	expect_eq "$1 certificate: the message stays queued ($2 in the queue)" "$2" "$(postfix_queue_count)"
}
stored_before=$(oci_store_count)
impostor rogue 1
stored_before=$(oci_store_count)
impostor wrongname 2 # the first one, retried against this impostor too, is still there

# The real endpoint is back: the deferred message goes out.
oci_smtp_stop
python3 tests/emulators/oci_smtp.py --port "$OCI_SMTP_PORT" --tls-cert "$E2E_CERTS/server.pem" \
	--tls-key "$E2E_CERTS/server.key" --user "$E2E_SMTP_USER" --password "$E2E_SMTP_PASSWORD" \
	--state "$T/state.json" --store "$OCI_STORE" --log "$T/oci/smtp.log.good" 2>>"$T/oci/smtp.err" &
OCI_SMTP_PID=$!
sleep 0.5
postfix_flush
postfix_wait_empty 30
expect_eq "real endpoint back: the deferred messages delivered" $((stored_before + 2)) "$(oci_store_count)"

# 6. Repeated 535s trip OCI's per-IP throttle (421), which stops the whole relay.
restart_oci() { # OPTIONS...
	oci_smtp_stop
	python3 tests/emulators/oci_smtp.py --port "$OCI_SMTP_PORT" --tls-cert "$E2E_CERTS/server.pem" \
		--tls-key "$E2E_CERTS/server.key" --user "$E2E_SMTP_USER" --password "$E2E_SMTP_PASSWORD" \
		--state "$T/state.json" --store "$OCI_STORE" --log "$T/oci/smtp.log.throttle" "$@" 2>>"$T/oci/smtp.err" &
	OCI_SMTP_PID=$!
	sleep 0.5
}
restart_oci --auth-failure-limit 3 --auth-failure-window 120
use edg
stored_before=$(oci_store_count)
for i in 1 2 3; do
	edg_send "edg-noise-$i" --from cron@host.local --to alice@example.net --header "From: cron@host.local"
done
edg_send edg-after-noise --from app@example.com --to alice@example.net --header "From: app@example.com"
postfix_wait_empty 20
expect_eq "with edg: three unapproved senders never reach OCI, the next message is delivered" \
	$((stored_before + 1)) "$(oci_store_count)"
use plain
for i in 1 2; do
	send "$PLAIN_PORT" "plain-noise-$i" --from cron@host.local --to alice@example.net --header "From: cron@host.local" >/dev/null
done
for _ in $(seq 1 200); do [ "$(grep -c ' S: 535 ' "$T/oci/smtp.log.throttle")" -ge 3 ] && break; sleep 0.1; done
send "$PLAIN_PORT" plain-victim --from app@example.com --to alice@example.net --header "From: app@example.com" >/dev/null
for _ in $(seq 1 200); do grep -q ' S: 421 ' "$T/oci/smtp.log.throttle" && break; sleep 0.1; done
expect_match "without edg: OCI throttles the relay after repeated 535s" '421 Too many auth failures, try again later' \
	"$(cat "$T/oci/smtp.log.throttle")"
use edg
edg_send edg-victim --from app@example.com --to alice@example.net --header "From: app@example.com"
for _ in $(seq 1 100); do postfix_log | grep -q 'to=<alice@example.net>.*status=deferred.*421 Too many auth failures' && break; sleep 0.1; done
expect_match "... and then even an approved sender's mail through edg is deferred (same relay address)" \
	'status=deferred .*421 Too many auth failures, try again later' "$(postfix_log)"
use plain
expect_match "... and through the plain instance too" 'plain-victim|status=deferred .*421 Too many auth failures' \
	"$(postfix_log | grep 'status=deferred.*421 Too many auth failures')"
# The throttle lifts: everything waiting goes out.
restart_oci
for d in plain edg; do use "$d"; postfix_flush; done
for d in plain edg; do use "$d"; postfix_wait_empty 30; done
use edg
check "throttle lifted: the deferred message reached OCI" oci_store_find edg-victim

# 6. Every message submitted through edg: submitted = delivered + refused + still queued.
delivered=$(for f in "$OCI_STORE"/*.eml; do tr -d '\r' <"$f" | grep -m1 '^Subject: edg-'; done | sort -u | wc -l)
queued_now=$(postfix_queue_count)
expect_eq "accounting: submitted = delivered + refused + queued ($submitted = $delivered + $refused + $queued_now)" \
	"$submitted" $((delivered + refused + queued_now))
expect_eq "accounting: 8 delivered, 6 refused, 0 queued" "8 6 0" "$delivered $refused $queued_now"
expect_eq "the edg instance bounced nothing after queueing" 0 "$(postfix_log | grep -c 'status=bounced')"
done_testing
