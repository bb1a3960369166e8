#!/bin/bash
# leak_postfix.sh - LEAK_MESSAGES (default 10,000) messages through a private Postfix with
# edg-policyd and edg-milter under valgrind memcheck (make leakcheck).
#
# Postfix (tests/lib/postfix.sh) asks edg-policyd at RCPT and edg-milter for the message,
# and relays to an smtp-sink. tests/soak/loadgen.py submits the mix of approved,
# rewritten, refused (sender, From:), suppressed and half-suppressed messages, and
# messages to addresses whose suppression is added and removed in Redis meanwhile (the
# readers follow the change stream); every connection to Redis is killed every 10 s
# (the readers reconnect). Then both daemons get SIGTERM and must exit 0 (not 99, the
# valgrind error status) with valgrind's summary saying 0 errors and 0 bytes definitely
# or indirectly lost. And the mail adds up: submitted = delivered + refused + queued.
#
#   LEAK_MESSAGES=10000 LEAK_THREADS=4
#   LEAK_VALGRIND: the valgrind command (default memcheck, --leak-check=full, definite
#   and indirect leaks are errors, --error-exitcode=99); each daemon's report is kept
#   in build/leakcheck/ (EDG_BUILD's).
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh
. tests/lib/postfix.sh

B=${EDG_BUILD:-build}
LEAK_MESSAGES=${LEAK_MESSAGES:-10000}
LEAK_THREADS=${LEAK_THREADS:-4}
: "${LEAK_VALGRIND:=valgrind --vgdb=no --leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30}"
REPORTS=$B/leakcheck
T=$(mktemp -d /tmp/edg-leak-postfix.XXXXXX)
chmod 755 "$T"
PD_PID= MI_PID= CHURN_PID= KILLER_PID=
cleanup() {
	for p in $CHURN_PID $KILLER_PID; do kill "$p" 2>/dev/null; done
	postfix_stop
	sink_stop
	for p in $PD_PID $MI_PID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	redis_stop
	mkdir -p "$REPORTS"
	for f in "$T"/vg-*.log "$T"/policyd.log "$T"/milter.log "$T"/loadgen.log; do
		[ -f "$f" ] && cp "$f" "$REPORTS/"
	done
	if [ "$TAP_FAILED" -gt 0 ]; then
		for f in "$T"/vg-*.log; do sed "s|^|# $(basename "$f"): |" "$f" | tail -n 60; done
		postfix_log | grep -i 'warning\|error' | tail -n 20 | sed 's/^/# postfix: /'
	fi
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"
command -v valgrind >/dev/null || skip_all "valgrind is not installed"

rm -f "$REPORTS"/vg-*.log
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
state_init
for s in app@example.com noreply@example.com; do state_sender "$s"; done
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z

cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_SOCK
[policyd]
listen = unix:$T/policyd.sock
socket_mode = 0666
user = nobody
[milter]
listen = unix:$T/milter.sock
socket_mode = 0666
user = nobody
[rewrite]
rule = header @corp.example noreply@example.com
CONF
chmod 644 "$T/edg.conf"

start=$SECONDS
$LEAK_VALGRIND --log-file="$T/vg-policyd.%p.log" "$B/edg-policyd" -f -c "$T/edg.conf" >"$T/policyd.log" 2>&1 &
PD_PID=$!
$LEAK_VALGRIND --log-file="$T/vg-milter.%p.log" "$B/edg-milter" -f -c "$T/edg.conf" >"$T/milter.log" 2>&1 &
MI_PID=$!
for _ in $(seq 1 600); do
	[ -S "$T/policyd.sock" ] && [ -S "$T/milter.sock" ] && grep -q 'state: loaded' "$T/milter.log" && break
	sleep 0.1
done
[ -S "$T/policyd.sock" ] && [ -S "$T/milter.sock" ] || skip_all "the daemons did not start under valgrind"

SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
sink_start "$T/sink" "$SINK_PORT"
postfix_setup "$T/pf" "$SMTP_PORT" "$SINK_PORT"
# valgrind slows the daemons ten- to fifty-fold: generous timeouts, so that every answer
# is edg's own and not Postfix's default action.
postfix_conf "smtpd_recipient_restrictions = check_policy_service unix:$T/policyd.sock" \
	"smtpd_policy_service_timeout = 60s" \
	"smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable, try again later" \
	"smtpd_milters = unix:$T/milter.sock" "milter_default_action = tempfail" "milter_protocol = 6" \
	"milter_connect_timeout = 60s" "milter_command_timeout = 60s" "milter_content_timeout = 120s"
postfix_start || skip_all "Postfix did not start"
sleep 1

# Suppressions come and go while the mail flows; every Redis connection is killed now and then.
churn_loop() {
	n=0
	while :; do
		k=$((n % 10))
		state_suppress "churn$k@customer.example" HARDBOUNCE 2026-02-03T04:05:06.000Z
		[ "$n" -ge 3 ] && state_unsuppress "churn$(((n - 3) % 10))@customer.example"
		n=$((n + 1))
		sleep 2
	done
}
churn_loop >/dev/null 2>&1 &
CHURN_PID=$!
(while :; do sleep 10; redis_cli CLIENT KILL TYPE normal >/dev/null; done) &
KILLER_PID=$!

python3 tests/soak/loadgen.py --port "$SMTP_PORT" --rate 0 --count "$LEAK_MESSAGES" \
	--threads "$LEAK_THREADS" --counts "$T/counts.json" >"$T/loadgen.out" 2>"$T/loadgen.log"
load_rc=$?
load_time=$((SECONDS - start))
kill "$CHURN_PID" "$KILLER_PID" 2>/dev/null
wait "$CHURN_PID" "$KILLER_PID" 2>/dev/null
CHURN_PID= KILLER_PID=
sed 's/^/# loadgen: /' "$T/loadgen.out"
expect_eq "every session ended in an answer, none of them wrong" 0 "$load_rc"
[ -s "$T/loadgen.log" ] && head -n 20 "$T/loadgen.log" | sed 's/^/# /'

postfix_flush
postfix_wait_empty 120
read -r submitted accepted refused5 tempfail4 errors <<EOF
$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["submitted"], c["accepted"], c["refused5"], c["tempfail4"], c["error"])' "$T/counts.json")
EOF
delivered=$(sink_count)
queued=$(postfix_queue_count)
echo "# submitted $submitted: delivered $delivered, refused 5xx $refused5, refused 4xx $tempfail4, queued $queued, session errors $errors ($load_time s)"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); [print("#   %-17s %s" % (k, v)) for k, v in sorted(c["kinds"].items())]' "$T/counts.json"
expect_eq "every message submitted" "$LEAK_MESSAGES" "$submitted"
expect_eq "submitted = delivered + refused + queued" "$submitted" "$((delivered + refused5 + tempfail4 + queued))"
expect_eq "lost: 0 (accepted = delivered + queued)" "$accepted" "$((delivered + queued))"
expect_eq "no 4xx: every answer was edg's own" 0 "$tempfail4"
rewritten=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kinds"].get("rewritten", {}).get("accepted", 0))' "$T/counts.json")
expect_eq "every rewritten message reached the relay rewritten" "$rewritten" \
	"$(grep -l '^X-Original-From: Alice Smith <alice@corp.example>' "$SINK_DIR"/* 2>/dev/null | wc -l)"
expect_eq "the suppressed address never reached the relay" 0 \
	"$(grep -l '^X-Rcpt-Args: <gone@example.net>' "$SINK_DIR"/* 2>/dev/null | wc -l)"
expect_eq "Postfix saw no milter or policy trouble" "" \
	"$(postfix_log | grep -i 'warning:.*\(milter\|policy\)' | head -n 5)"

# Clean stop: valgrind's leak check runs at exit; 99 would mean an error or a leak.
postfix_stop
for d in policyd:$PD_PID milter:$MI_PID; do
	name=${d%%:*} pid=${d#*:}
	kill -TERM "$pid"
	wait "$pid"
	expect_eq "edg-$name under valgrind: SIGTERM, exit 0 (99: valgrind found something)" 0 $?
done
PD_PID= MI_PID=
for name in policyd milter; do
	logs=$(ls "$T"/vg-$name.*.log 2>/dev/null)
	[ -n "$logs" ] || { not_ok "edg-$name: valgrind report written"; continue; }
	summary=$(cat $logs | sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' | sort -u | tr '\n' ' ')
	expect_eq "edg-$name: valgrind ERROR SUMMARY 0 errors" "0 " "$summary"
	definite=$(cat $logs | sed -n 's/^==[0-9]*== *definitely lost: \([0-9,]*\) bytes.*/\1/p' | tr '\n' ' ')
	indirect=$(cat $logs | sed -n 's/^==[0-9]*== *indirectly lost: \([0-9,]*\) bytes.*/\1/p' | tr '\n' ' ')
	freed=$(grep -c 'All heap blocks were freed' $logs)
	if [ "$freed" -ge 1 ] || { [ "$definite" = "0 " ] && [ "$indirect" = "0 " ]; }; then
		ok "edg-$name: no definite or indirect leak (definitely lost ${definite:-0 }bytes, indirectly ${indirect:-0 }bytes)"
	else
		not_ok "edg-$name: no definite or indirect leak" "definitely lost: $definite; indirectly lost: $indirect"
	fi
	grep -E '(definitely|indirectly|possibly) lost:|still reachable:|in use at exit|total heap usage' $logs |
		sed "s/^==[0-9]*==/# $name:/"
done
grep -h 'stopping' "$T/policyd.log" | sed 's/^/# /'
echo "# $LEAK_MESSAGES messages in $load_time s; whole suite $((SECONDS - start)) s"
done_testing
