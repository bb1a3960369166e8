#!/bin/bash
# milter_miltertest.sh - edg-milter driven by miltertest (tests/milter/*.lua).
#
# A throwaway Redis with published state, edg-milter on a unix socket as user nobody.
# Each Lua script prints "TAP ok NAME" / "TAP not ok NAME: WHY" per check; this script
# turns them into TAP lines, and checks what only the daemon's side shows: socket
# permissions, descriptors, the log (one line per decision, with the queue id and the
# exact reply), SIGUSR1 reload (monitor mode, a bad file), a Redis outage within and
# beyond max_stale, and a clean stop.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-milter-mt.XXXXXX)
chmod 755 "$T"
MILTER_PID=
cleanup() {
	[ "$TAP_FAILED" -gt 0 ] && sed 's/^/# milter: /' "$T/milter.log"
	[ -n "$MILTER_PID" ] && kill "$MILTER_PID" 2>/dev/null && wait "$MILTER_PID" 2>/dev/null
	redis_stop
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT
command -v miltertest >/dev/null || skip_all "miltertest is not installed"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (the milter drops to nobody)"

REDIS_PASS="redis-canary-$$-Rc6" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
METRICS_PORT=$(free_port)
metric() {
	python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$METRICS_PORT/metrics', timeout=5).read().decode())" |
		awk -v m="$1" '$1 == m { print $2 }'
}
state_init
for s in app@example.com billing@example.com @example.org noreply@example.com; do state_sender "$s"; done
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z

write_conf() { # MODE MAX_STALE [ON_STATE_ERROR [HEADER_RULE_TARGET]]
	cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[log]
level = debug
[milter]
listen = unix:$T/milter.sock
socket_mode = 0666
user = nobody
mode = $1
max_stale = $2
on_state_error = ${3:-tempfail}
timeout = 10s
metrics_listen = inet:127.0.0.1:$METRICS_PORT
[rewrite]
rule = header @corp.example ${4:-noreply@example.com}
rule = envelope @host.local noreply@example.com
rule = sasl webapp app@example.com
[bindings]
enforce = yes
bind = sasl:billing-app billing@example.com
CONF
	chmod 644 "$T/edg.conf"
}

# Run one Lua script; its checks become TAP lines. Extra args: -D NAME=VALUE.
run_lua() {
	script=$1
	shift
	out=$(miltertest -D socket="$T/milter.sock" "$@" -s "tests/milter/$script" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"TAP ok "*) ok "$script: ${line#TAP ok }" ;;
		"TAP not ok "*) not_ok "$script: ${line#TAP not ok }" ;;
		esac
	done <<<"$out"
	[ $rc -eq 0 ] && ok "$script: ran to the end" || not_ok "$script: ran to the end" "$out"
}

wait_log() { # REGEX: until the milter's log shows it (5 s)
	for _ in $(seq 1 50); do
		grep -Eq -- "$1" "$T/milter.log" && return 0
		sleep 0.1
	done
	return 1
}

write_conf enforce 1h
# Started with stdin and stdout closed: the socket must not become descriptor 0 or 1.
"$B/edg-milter" -f -c "$T/edg.conf" <&- >&- 2>>"$T/milter.log" &
MILTER_PID=$!
wait_log 'state: loaded generation' || not_ok "milter started and loaded state" "$(cat "$T/milter.log")"

expect_eq "socket mode 0666, owner nobody and its group" "666 nobody $(id -gn nobody)" \
	"$(stat -c '%a %U %G' "$T/milter.sock")"
expect_eq "runs as nobody" "nobody" "$(ps -o user= -p "$MILTER_PID" | tr -d ' ')"
for fd in 0 1; do
	expect_eq "descriptor $fd is /dev/null, not the milter socket" /dev/null "$(readlink "/proc/$MILTER_PID/fd/$fd")"
done

run_lua envelope.lua
run_lua from_rewrite.lua
run_lua from_refuse.lua

log=$(cat "$T/milter.log")
expect_match "log: MAIL refusal with queue id and exact reply" \
	'ENV2: MAIL: reject from client.example\[192.0.2.10\]: sender=<cron@elsewhere.test> sasl=- reason=sender-not-approved: 550 5.7.1 <cron@elsewhere.test> is not an approved sender in OCI Email Delivery \(region us-ashburn-1\)' "$log"
expect_match "log: RCPT refusal names reason and date" \
	'ENV1: RCPT: reject .* rcpt=<gone@example.net> .*reason=recipient-suppressed: 550 5.1.1 <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\)' "$log"
expect_match "log: binding refusal at MAIL" 'ENV9: MAIL: reject .*sasl=web-app reason=sender-not-bound: 550 5.7.1' "$log"
expect_match "log: passing RCPT at debug" 'debug: ENV1: RCPT: pass .*rcpt=<alice@example.net>' "$log"
expect_match "log: rewrite at end of message" 'info: ENV[0-9]*: EOM: pass|EOM: rewrite from .*rewritten to <noreply@example.com>; envelope sender <noreply@example.com>' "$log"
expect_eq "log: one end-of-message line per message" 1 "$(grep -c 'R2: EOM:' "$T/milter.log")"
if grep -q 'Bcc: victim' "$T/milter.log" && grep 'Bcc: victim' "$T/milter.log" | grep -qv 'EOM:'; then
	not_ok "log: smuggled text only inside logged values" "$(grep 'Bcc' "$T/milter.log")"
else
	ok "log: smuggled text only inside logged values"
fi
expect_eq "no crash so far" 0 "$(kill -0 "$MILTER_PID" 2>/dev/null; echo $?)"
for m in 'edg_milter_decisions_total{stage="mail",verdict="reject"}' \
	'edg_milter_decisions_total{stage="rcpt",verdict="reject"}' \
	'edg_milter_decisions_total{stage="eom",verdict="rewrite"}' \
	'edg_milter_reasons_total{reason="recipient-suppressed"}'; do
	n=$(metric "$m")
	[ "${n:-0}" -ge 1 ] && ok "metrics: $m = $n" || not_ok "metrics: $m counted" "${n:-absent}"
done
expect_eq "metrics: the state view's gauge" 1 "$(metric edg_state_suppressions)"

# SIGUSR1 in the middle of a message: it keeps its settings, the next gets the new ones.
cat >"$T/reload.sh" <<SH
#!/bin/bash
$(declare -f write_conf)
T=$T REDIS_SOCK=$REDIS_SOCK REDIS_URL_AUTH=$REDIS_URL_AUTH METRICS_PORT=$METRICS_PORT
n=\$(grep -c 'reload: configuration' "$T/milter.log")
write_conf enforce 1h tempfail app@example.com
kill -USR1 $MILTER_PID
for _ in \$(seq 1 50); do
	[ "\$(grep -c 'reload: configuration' "$T/milter.log")" -gt "\$n" ] && exit 0
	sleep 0.1
done
exit 1
SH
chmod +x "$T/reload.sh"
run_lua reload.lua -D reload_cmd="$T/reload.sh"

# SIGUSR1: monitor mode.
write_conf monitor 1h
kill -USR1 "$MILTER_PID"
wait_log 'reload: configuration .* in force \(monitor mode\)' && ok "SIGUSR1 reloads" || not_ok "SIGUSR1 reloads"
run_lua monitor.lua
expect_match "monitor: would-be refusals logged" 'M1: MAIL: would reject \(monitor\) .*550 5.7.1' "$(cat "$T/milter.log")"
expect_match "monitor: would-be rewrite logged" 'EOM: would rewrite \(monitor\)' "$(cat "$T/milter.log")"

# A bad file keeps the running configuration.
echo "[milter]
no_such_key = 1" >"$T/edg.conf"
kill -USR1 "$MILTER_PID"
wait_log 'keeping the running configuration' && ok "bad file on reload: kept the old one" || not_ok "bad file on reload: kept the old one"
run_lua monitor.lua

# Redis outage: last-known-good for max_stale (3 s), then 451 4.3.0.
write_conf enforce 3s
kill -USR1 "$MILTER_PID"
wait_log 'reload: configuration [^ ]* in force$' || not_ok "reload to enforce"
redis_stop
run_lua state.lua -D expect=serve
sleep 4
run_lua state.lua -D expect=tempfail
expect_match "beyond max_stale: 451 4.3.0 logged" 'S2: MAIL: tempfail .*451 4.3.0' "$(cat "$T/milter.log")"
write_conf enforce 3s accept
kill -USR1 "$MILTER_PID"
sleep 0.5
run_lua state.lua -D expect=accept

kill -TERM "$MILTER_PID"
wait "$MILTER_PID"
expect_eq "SIGTERM: clean exit 0" 0 "$?"
MILTER_PID=
expect_match "stop logged" 'info: stopping$' "$(cat "$T/milter.log")"
expect_eq "no sanitizer report (SANITIZE builds)" "" "$(grep -E 'Sanitizer|runtime error' "$T/milter.log")"
done_testing
