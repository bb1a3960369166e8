#!/bin/bash
# policyd_golden.sh - edg-policyd: request files in, exact reply lines out.
#
# A throwaway Redis holds the state below; edg-policyd listens on a unix socket; each
# tests/golden/policyd/NAME.request is sent over one connection and the reply must be
# NAME.reply byte for byte. Then the same daemon in monitor mode, a reload, and the
# state changing under a running daemon.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh

B=${EDG_BUILD:-build}
EDG_VALGRIND=${EDG_VALGRIND:-}
T=$(mktemp -d /tmp/edg-policyd-golden.XXXXXX)
cleanup() {
	[ -n "${PD_PID:-}" ] && kill "$PD_PID" 2>/dev/null && wait "$PD_PID" 2>/dev/null
	redis_stop
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# The daemon drops root to "nobody": it must reach the socket and read the file.
chmod 755 "$T"
REDIS_PASS="redis-canary-$$-Kp2" # must never reach a log
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
METRICS_PORT=$(free_port)
scrape() { python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$METRICS_PORT/metrics', timeout=5).read().decode())"; }
metric() { scrape | awk -v m="$1" '$1 == m { print $2 }'; }
state_init
for s in app@example.com noreply@example.com billing@example.com @example.org; do state_sender "$s"; done
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z
state_suppress angry@example.net COMPLAINT 2026-03-04T00:00:00.000Z

write_conf() { # MODE [MORE [policyd] LINES]
	cat >"$T/edg.conf" <<CONF
[log]
level = debug
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[policyd]
listen = unix:$T/policyd.sock
user = nobody
mode = $1
metrics_listen = inet:127.0.0.1:$METRICS_PORT
${2:-}
[rewrite]
rule = envelope @internal.test noreply@example.com
rule = client 10.20.0.0/16 app@example.com
[bindings]
enforce = yes
bind = sasl:billing-app billing@example.com
CONF
	chmod 644 "$T/edg.conf"
}

start_policyd() {
	# EDG_VALGRIND (make leakcheck) runs the daemon under valgrind: an error or a leak
	# makes its exit status 99, which the SIGTERM check below reports.
	$EDG_VALGRIND "$B/edg-policyd" -f -c "$T/edg.conf" 2>>"$T/policyd.log" &
	PD_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$T/policyd.sock" ] && break
		sleep 0.05
	done
	# Ready when the state is loaded: an approved sender gets DUNNO, not 451.
	for _ in $(seq 1 100); do
		python3 tests/lib/policy_client.py "unix:$T/policyd.sock" tests/golden/policyd/approved.request 2>/dev/null | grep -q DUNNO && return 0
		sleep 0.05
	done
}

ask() { python3 tests/lib/policy_client.py "unix:$T/policyd.sock" "$@"; }

write_conf enforce
start_policyd
before_reject=$(metric 'edg_policyd_replies_total{action="reject"}')
before_suppressed=$(metric 'edg_policyd_decisions_total{reason="recipient-suppressed"}')
for req in tests/golden/policyd/*.request; do
	name=$(basename "$req" .request)
	want=$(cat "tests/golden/policyd/$name.reply"; echo .)
	got=$(ask "$req"; echo .)
	expect_eq "golden: $name" "$want" "$got"
done

# Metrics moved as the golden requests say: 4 suppressed replies, 9 refusals in all.
expect_eq "metrics: suppressed recipients counted" "$((before_suppressed + 4))" \
	"$(metric 'edg_policyd_decisions_total{reason="recipient-suppressed"}')"
expect_eq "metrics: refusals counted" "$((before_reject + 9))" "$(metric 'edg_policyd_replies_total{action="reject"}')"
expect_match "metrics: state gauges" '^edg_state_suppressions 2$' "$(scrape)"
expect_match "metrics: Prometheus text format" '# TYPE edg_policyd_requests_total counter' "$(scrape)"

# Hostile clients while a well-behaved one keeps getting its exact answers.
EDG_VALGRIND=$EDG_VALGRIND python3 tests/lib/policy_hostile.py "unix:$T/policyd.sock" tests/golden/policyd/suppressed.request \
	tests/golden/policyd/suppressed.reply "$PD_PID" >"$T/hostile.out" 2>&1
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "hostile: ${line#ok - }" ;;
	"not ok - "*) not_ok "hostile: ${line#not ok - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$T/hostile.out"
kill -0 "$PD_PID" && ok "hostile: the daemon is still up" || not_ok "hostile: the daemon is still up"

# A refusal is logged once, with the queue id slot, client, sender, recipient and reason.
expect_match "refusal logged with reason" \
	'reject: RCPT from app.example.test\[192.0.2.10\]: sender=<app@example.com> rcpt=<gone@example.net> sasl=- reason=recipient-suppressed' \
	"$(cat "$T/policyd.log")"

# Changes published in Redis take effect without a restart, within 5 seconds.
state_suppress alice@example.net SOFTBOUNCE 2026-05-06T07:08:09.000Z
ok_seen=""
for _ in $(seq 1 50); do
	if ask tests/golden/policyd/approved.request | grep -q '550 5.1.1 <alice@example.net>.*SOFTBOUNCE since 2026-05-06'; then ok_seen=1; break; fi
	sleep 0.1
done
[ -n "$ok_seen" ] && ok "new suppression in force within 5 s" || not_ok "new suppression in force within 5 s"
state_unsuppress alice@example.net
state_unsender app@example.com
sleep 1.5
expect_match "removed sender refused" '^action=550 5.7.1 <app@example.com> is not an approved sender' \
	"$(ask tests/golden/policyd/approved.request)"
state_sender app@example.com

# SIGHUP: a broken file keeps the running configuration; a good one switches to monitor.
echo "[policyd]" >>"$T/edg.conf"
echo "bogus_key = 1" >>"$T/edg.conf"
kill -HUP "$PD_PID"
sleep 0.5
expect_match "bad reload refused, old configuration kept" 'keeping the running configuration' "$(cat "$T/policyd.log")"
expect_match "still enforcing after a bad reload" '^action=550 5.7.1' "$(ask tests/golden/policyd/unapproved.request)"
write_conf monitor
kill -HUP "$PD_PID"
sleep 0.5
expect_eq "monitor mode: WARN instead of a refusal" \
	"action=WARN 550 5.7.1 <cron@host.local> is not an approved sender in OCI Email Delivery (region us-ashburn-1)" \
	"$(ask tests/golden/policyd/unapproved.request | head -n 1)"
expect_match "monitor mode: suppressed recipient WARN" '^action=WARN 550 5.1.1 <gone@example.net>' \
	"$(ask tests/golden/policyd/suppressed.request)"
expect_match "monitor refusal logged" 'would reject \(monitor\)' "$(cat "$T/policyd.log")"

# suppressed_reply: a reason of its own gets its own reply (4xx: the client retries).
write_conf enforce "suppressed_reply = HARDBOUNCE 450 4.2.1
suppressed_reply = * 550 5.1.1"
kill -HUP "$PD_PID"
sleep 0.5
expect_eq "suppressed_reply: HARDBOUNCE answered 450 4.2.1" \
	"action=450 4.2.1 <gone@example.net> is suppressed by OCI Email Delivery (HARDBOUNCE since 2026-01-02); mail to it would be dropped without a bounce" \
	"$(ask tests/golden/policyd/suppressed.request | head -n 1)"
expect_match "suppressed_reply: other reasons keep 550 5.1.1" '^action=550 5.1.1 <angry@example.net>.*COMPLAINT' \
	"$(ask tests/golden/policyd/rewrite-rule-suppressed.request)"

# Redis gone: max_stale (1h) keeps the last-known-good view answering.
redis_stop
sleep 0.5
write_conf enforce
kill -HUP "$PD_PID"
sleep 0.5
expect_match "Redis down: last-known-good view still refuses" '^action=550 5.1.1 <gone@example.net>' \
	"$(ask tests/golden/policyd/suppressed.request)"
expect_eq "Redis down: last-known-good view still passes" "action=DUNNO" \
	"$(ask tests/golden/policyd/approved.request | head -n 1)"

kill "$PD_PID"
wait "$PD_PID"
expect_eq "SIGTERM: clean exit" 0 $?
expect_match "Redis errors were logged" 'state: (Redis|connect)' "$(cat "$T/policyd.log")"
expect_eq "the Redis password never reached the log" 0 "$(grep -c -e "$REDIS_PASS" "$T/policyd.log")"
PD_PID=
done_testing
