#!/bin/bash
# policyd_postfix.sh - edg-policyd behind a real, private Postfix, driven by swaks.
#
# Postfix relays everything to an smtp-sink; smtpd_recipient_restrictions asks
# edg-policyd (after reject_unauth_destination in smtpd_relay_restrictions). Checks
# the SMTP replies the client gets and what reaches the sink.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh
. tests/lib/postfix.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-policyd-postfix.XXXXXX)
chmod 755 "$T"
cleanup() {
	[ "$TAP_FAILED" -gt 0 ] && sed 's/^/# policyd: /' "$T/policyd.log"
	postfix_stop
	sink_stop
	[ -n "${PD_PID:-}" ] && kill "$PD_PID" 2>/dev/null && wait "$PD_PID" 2>/dev/null
	redis_stop
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"

SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
REDIS_PASS="redis-canary-$$-Rc9" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
state_init
for s in app@example.com billing@example.com @example.org; do state_sender "$s"; done
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z

write_conf() { # MODE MAX_STALE
	cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[syncd]
sender_interval = 5s
suppression_interval = 5s
[policyd]
listen = unix:$T/policyd.sock
socket_mode = 0666
user = nobody
mode = $1
max_stale = $2
[bindings]
enforce = yes
bind = sasl:billing-app billing@example.com
CONF
	chmod 644 "$T/edg.conf"
}
write_conf enforce 1h
"$B/edg-policyd" -f -c "$T/edg.conf" 2>>"$T/policyd.log" &
PD_PID=$!

sink_start "$T/sink" "$SINK_PORT"
postfix_setup "$T/pf" "$SMTP_PORT" "$SINK_PORT"
postfix_conf "smtpd_recipient_restrictions = check_policy_service unix:$T/policyd.sock"
postfix_start || skip_all "Postfix did not start"
sleep 1

send() { swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --body "edg test" "$@" 2>&1; }
delivered=0

out=$(send --from app@example.com --to alice@example.net)
expect_match "approved sender: queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

out=$(send --from cron@host.local --to alice@example.net)
expect_match "unapproved sender: 550 5.7.1 at RCPT" \
	'<\*\* +550 5.7.1 <alice@example.net>: Recipient address rejected: <cron@host.local> is not an approved sender in OCI Email Delivery \(region us-ashburn-1\)' "$out"

out=$(send --from app@example.com --to alice@example.net,gone@example.net,bob@example.org)
expect_match "suppressed recipient: 550 5.1.1 naming reason and date" \
	'<\*\* +550 5.1.1 <gone@example.net>: Recipient address rejected: <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\)' "$out"
expect_eq "the two others accepted" 2 "$(printf '%s\n' "$out" | grep -c '^<- *250 2.1.5')"
expect_match "and the message queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

out=$(send --from billing@example.com --to alice@example.net --xclient "LOGIN=billing-app")
expect_match "binding: right SASL login passes" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))
out=$(send --from billing@example.com --to alice@example.net --xclient "LOGIN=web-app")
expect_match "binding: other SASL login refused" '550 5.7.1 .*not for this SASL login' "$out"

postfix_wait_empty 20
expect_eq "sink received every accepted message" "$delivered" "$(sink_count)"
rcpts=$(sink_messages | grep -c '^X-Rcpt-Args: <\(alice@example.net\|bob@example.org\)>')
expect_eq "sink got alice and bob, never the suppressed one" 4 "$rcpts"
expect_eq "suppressed recipient never relayed" 0 "$(sink_messages | grep -c '^X-Rcpt-Args: <gone@example.net>')"

# Monitor mode: everything passes, Postfix logs the would-be refusal.
write_conf monitor 1h
kill -HUP "$PD_PID"
sleep 0.5
out=$(send --from cron@host.local --to gone@example.net)
expect_match "monitor: unapproved sender to a suppressed recipient passes" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))
sleep 0.5
expect_match "monitor: Postfix logged the WARN" 'warn: RCPT from .*550 5.7.1 <cron@host.local> is not an approved sender' "$(postfix_log)"

# Redis stopped: last-known-good view for max_stale, then 451 4.3.0; back: normal.
write_conf enforce 3s
kill -HUP "$PD_PID"
sleep 0.5
redis_stop
out=$(send --from app@example.com --to alice@example.net)
expect_match "Redis down, within max_stale: still accepted" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))
out=$(send --from app@example.com --to gone@example.net)
expect_match "Redis down, within max_stale: suppression still enforced" '550 5.1.1' "$out"
sleep 4
out=$(send --from app@example.com --to alice@example.net)
expect_match "Redis down beyond max_stale: 451 4.3.0" '451 4.3.0 .*try again later' "$out"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
STATE_SEQ=0
state_init
for s in app@example.com billing@example.com @example.org; do state_sender "$s"; done
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z
recovered=""
for _ in $(seq 1 50); do
	out=$(send --from app@example.com --to alice@example.net)
	if printf '%s' "$out" | grep -q '250 2.0.0 Ok: queued'; then recovered=1; break; fi
	sleep 0.1
done
[ -n "$recovered" ] && ok "Redis back: normal service within 5 s" || not_ok "Redis back: normal service within 5 s" "$out"
delivered=$((delivered + 1))

postfix_wait_empty 20
expect_eq "nothing accepted was lost: sink count = accepted" "$delivered" "$(sink_count)"
expect_eq "queue empty" 0 "$(postfix_queue_count)"
done_testing
