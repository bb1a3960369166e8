#!/bin/bash
# faults_daemons.sh - edg-policyd and edg-milter killed with SIGKILL while mail flows.
#
# A private Postfix with both daemons relays to an smtp-sink. Messages are submitted one
# after another while first edg-policyd and then edg-milter are killed (kill -9) and, a
# few messages later, started again (as systemd's Restart= would). Postfix must answer
# 4xx while a daemon is gone (smtpd_policy_service_default_action, milter_default_action
# = tempfail), and at the end every message is accounted for:
#   submitted = delivered + refused to the client with 4xx + still queued, nothing lost.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh
. tests/lib/postfix.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-faults-daemons.XXXXXX)
chmod 755 "$T"
cleanup() {
	postfix_stop
	sink_stop
	kill "${PD_PID:-}" "${MI_PID:-}" 2>/dev/null
	wait 2>/dev/null
	redis_stop
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"

SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
REDIS_PASS="redis-canary-$$-Rc11" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
state_init
state_sender app@example.com
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z
cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[policyd]
listen = unix:$T/policyd.sock
socket_mode = 0666
user = nobody
[milter]
listen = unix:$T/milter.sock
socket_mode = 0666
user = nobody
CONF
chmod 644 "$T/edg.conf"

start_policyd() {
	"$B/edg-policyd" -f -c "$T/edg.conf" 2>>"$T/policyd.log" &
	PD_PID=$!
	for _ in $(seq 1 100); do [ -S "$T/policyd.sock" ] && break; sleep 0.05; done
}
start_milter() {
	rm -f "$T/milter.sock"
	"$B/edg-milter" -f -c "$T/edg.conf" 2>>"$T/milter.log" &
	MI_PID=$!
	for _ in $(seq 1 100); do [ -S "$T/milter.sock" ] && break; sleep 0.05; done
}
start_policyd
start_milter
sleep 0.5

sink_start "$T/sink" "$SINK_PORT"
postfix_setup "$T/pf" "$SMTP_PORT" "$SINK_PORT"
postfix_conf "smtpd_recipient_restrictions = check_policy_service unix:$T/policyd.sock" \
	"smtpd_policy_service_timeout = 5s" \
	"smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable, try again later" \
	"smtpd_milters = unix:$T/milter.sock" "milter_default_action = tempfail" \
	"milter_connect_timeout = 5s"
postfix_start || skip_all "Postfix did not start"
sleep 1

submitted=0 accepted=0 tempfailed=0 other=0
send() {
	out=$(swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --from app@example.com \
		--to "user$1@example.org" --header "Subject: fault $1" --body "message $1" 2>&1)
	submitted=$((submitted + 1))
	if printf '%s' "$out" | grep -q '^<- *250 2.0.0 Ok: queued'; then
		accepted=$((accepted + 1))
	elif printf '%s' "$out" | grep -qE '^<\*\* *4[0-9][0-9] '; then
		tempfailed=$((tempfailed + 1))
		printf '%s\n' "$out" | grep -E '^<\*\* *4' | head -n 1 >>"$T/tempfails"
	else
		other=$((other + 1))
		printf '%s\n' "$out" >>"$T/others"
	fi
}

for i in $(seq 1 30); do
	case $i in
	6) kill -9 "$PD_PID"; wait "$PD_PID" 2>/dev/null ;;
	11) start_policyd ;;
	16) kill -9 "$MI_PID"; wait "$MI_PID" 2>/dev/null ;;
	21) start_milter ;;
	esac
	send "$i"
done

expect_eq "no answer other than 250 or 4xx" 0 "$other"
[ "$tempfailed" -ge 6 ] && ok "daemons gone: clients got 4xx ($tempfailed of $submitted)" ||
	not_ok "daemons gone: clients got 4xx" "$tempfailed 4xx; $(cat "$T/others" 2>/dev/null)"
expect_match "policyd gone: Postfix's default action" '451 4.3.5' "$(cat "$T/tempfails" 2>/dev/null)"
expect_match "milter gone: tempfail" '4[0-9][0-9] 4\.[0-9]\.[0-9]' "$(cat "$T/tempfails" 2>/dev/null)"
[ "$accepted" -ge 15 ] && ok "service came back after the restarts ($accepted accepted)" ||
	not_ok "service came back after the restarts" "$accepted accepted"
postfix_wait_empty 30
queued=$(postfix_queue_count)
delivered=$(sink_count)
expect_eq "every message accounted for: submitted = delivered + 4xx + queued" \
	"$submitted" "$((delivered + tempfailed + queued))"
expect_eq "nothing accepted was lost" "$accepted" "$((delivered + queued))"
done_testing
