#!/bin/bash
# soak.sh - edg under a steady load for SOAK_SECONDS: RSS, open fds and Redis connections
# of each daemon must stay flat while syncs run and Redis restarts (make soak).
#
# A private Postfix (tests/lib/postfix.sh) with edg-policyd and edg-milter relays to an
# smtp-sink. edg-syncd syncs from the OCI control-plane emulator into Redis (TCP on
# loopback, so every daemon's Redis connections can be counted with ss -p), with a short
# suppression_interval while a churn loop adds and deletes suppressions at the emulator.
# tests/soak/loadgen.py submits a fixed mix (approved, rewritten, refused sender, refused
# From:, suppressed, half suppressed, churning addresses) at SOAK_RATE messages a second.
# Redis is restarted every SOAK_REDIS_RESTART seconds: alternately with its data saved
# and reloaded, and empty (syncd publishes a new generation, readers follow).
#
# Every SOAK_SAMPLE seconds, per daemon: VmRSS, open fds, established connections to
# Redis; one CSV row each in build/soak/soak-TIME.csv (also build/soak/latest.csv).
# Verdict (tests/soak/flatness.py): after a warm-up (the first twelfth), the last quarter
# against the first quarter: RSS growth within SOAK_RSS_SLACK_KB, fds and Redis
# connections no higher. At the end the mail accounting:
#   submitted = delivered + refused (5xx and 4xx) + queued, nothing lost.
#
#   SOAK_SECONDS=3600 SOAK_RATE=5 SOAK_REDIS_RESTART=600 SOAK_SAMPLE=30 SOAK_CHURN=20
# TAP on stdout. Not part of make check.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/postfix.sh

SOAK_SECONDS=${SOAK_SECONDS:-3600}
SOAK_RATE=${SOAK_RATE:-5}
SOAK_REDIS_RESTART=${SOAK_REDIS_RESTART:-600}
SOAK_SAMPLE=${SOAK_SAMPLE:-30}
SOAK_CHURN=${SOAK_CHURN:-20}
SOAK_RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-1024}
OUT=${SOAK_OUT:-build/soak}
mkdir -p "$OUT"
STAMP=$(date +%Y%m%d-%H%M%S)
CSV=$OUT/soak-$STAMP.csv
T=$(mktemp -d /tmp/edg-soak.XXXXXX)
chmod 755 "$T"
TENANCY=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
OCI_USER=ocid1.user.oc1..soak
PIDS=""
cleanup() {
	[ -n "${CHURN_PID:-}" ] && kill "$CHURN_PID" 2>/dev/null
	[ -n "${LOAD_PID:-}" ] && kill "$LOAD_PID" 2>/dev/null
	postfix_stop
	sink_stop
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	redis_stop
	# The daemons' logs stay beside the CSV for a look afterwards.
	for f in policyd milter syncd loadgen churn; do
		[ -f "$T/$f.log" ] && tail -n 2000 "$T/$f.log" >"$OUT/soak-$STAMP.$f.log"
	done
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"

# The binaries as they are now: a rebuild in the tree during the hour changes nothing here.
B=$T/bin
mkdir -p "$B"
cp "${EDG_BUILD:-build}"/edg-syncd "${EDG_BUILD:-build}"/edg-policyd "${EDG_BUILD:-build}"/edg-milter "$B/" ||
	skip_all "no binaries in ${EDG_BUILD:-build} (make first)"
chmod 755 "$B"

# OCI: the emulator with a small state; the churn addresses come and go during the run.
cat >"$T/state.json" <<JSON
{"tenancy": "$TENANCY", "region": "us-ashburn-1",
 "senders": [{"id": "ocid1.emailsender.oc1..app", "emailAddress": "app@example.com", "lifecycleState": "ACTIVE"},
             {"id": "ocid1.emailsender.oc1..noreply", "emailAddress": "noreply@example.com", "lifecycleState": "ACTIVE"}],
 "domains": [{"id": "ocid1.emaildomain.oc1..example", "name": "example.com", "lifecycleState": "ACTIVE"}],
 "suppressions": [{"id": "ocid1.emailsuppression.oc1..gone", "emailAddress": "gone@example.net",
                   "reason": "HARDBOUNCE", "timeCreated": "2026-01-02T03:04:05.678Z"}]}
JSON
python3 tests/emulators/oci_control.py --port 0 --port-file "$T/emu.port" \
	--key "$TENANCY/$OCI_USER/$FP=tests/data/emulator/public-key.pem" \
	--state "$T/state.json" >"$T/emulator.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do [ -s "$T/emu.port" ] && break; sleep 0.1; done
EMU="http://127.0.0.1:$(cat "$T/emu.port" 2>/dev/null)"
emu() { python3 tests/emulators/emuctl.py "$EMU" "$@"; }
emu GET /health >/dev/null 2>&1 || skip_all "the OCI emulator did not start"

REDIS_PORT=$(free_port)
REDIS_ARGS="--dbfilename dump.rdb"
REDIS_EXTRA_ARGS=$REDIS_ARGS REDIS_SOCK_PERM=777 redis_start "$T/redis" "$REDIS_PORT"
chmod 755 "$T/redis"
install -m 600 tests/data/emulator/private-key.pem "$T/key.pem"
mkdir -p "$T/audit"
chown nobody "$T/audit"
METRICS_PORT=$(free_port)
cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
tenancy = $TENANCY
user = $OCI_USER
fingerprint = $FP
key_file = $T/key.pem
endpoint = $EMU
retries = 1
retry_max_delay = 1s
timeout = 10s
connect_timeout = 2s
[redis]
url = redis://127.0.0.1:$REDIS_PORT
connect_timeout = 500ms
command_timeout = 1s
[syncd]
sender_interval = 30s
suppression_interval = 5s
suppression_overlap = 0s
reconcile_interval = 5m
lock_ttl = 15s
audit_log = $T/audit/audit.log
user = nobody
metrics_listen = inet:127.0.0.1:$METRICS_PORT
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

"$B/edg-syncd" -f -c "$T/edg.conf" >"$T/syncd.log" 2>&1 &
SYNCD_PID=$!
PIDS="$PIDS $SYNCD_PID"
for _ in $(seq 1 100); do [ -n "$(redis_cli GET edg:v1:gen)" ] && break; sleep 0.1; done
expect_eq "edg-syncd published the first generation" 1 "$(redis_cli GET edg:v1:gen)"
"$B/edg-policyd" -f -c "$T/edg.conf" >"$T/policyd.log" 2>&1 &
POLICYD_PID=$!
PIDS="$PIDS $POLICYD_PID"
"$B/edg-milter" -f -c "$T/edg.conf" >"$T/milter.log" 2>&1 &
MILTER_PID=$!
PIDS="$PIDS $MILTER_PID"
for _ in $(seq 1 100); do
	[ -S "$T/policyd.sock" ] && [ -S "$T/milter.sock" ] && grep -q 'state: loaded' "$T/milter.log" && break
	sleep 0.1
done

SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
sink_start "$T/sink" "$SINK_PORT"
postfix_setup "$T/pf" "$SMTP_PORT" "$SINK_PORT"
postfix_conf "smtpd_recipient_restrictions = check_policy_service unix:$T/policyd.sock" \
	"smtpd_policy_service_timeout = 10s" \
	"smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable, try again later" \
	"smtpd_milters = unix:$T/milter.sock" "milter_default_action = tempfail" "milter_protocol = 6"
postfix_start || skip_all "Postfix did not start"
sleep 1

# The churn: every 15 s one churn address is suppressed at the emulator and, three turns
# later, deleted again (gone from Redis at the next reconcile). The emulator's request log
# is cleared now and then so the emulator itself stays small.
churn_loop() {
	n=0
	while :; do
		k=$((n % SOAK_CHURN))
		emu POST /suppressions "{\"emailAddress\":\"churn$k@customer.example\",\"reason\":\"HARDBOUNCE\",\"id\":\"ocid1.emailsuppression.oc1..churn$n\"}" >/dev/null ||
			echo "churn: POST $n failed"
		[ "$n" -ge 3 ] && { emu DELETE "/suppressions/ocid1.emailsuppression.oc1..churn$((n - 3))" >/dev/null ||
			echo "churn: DELETE $((n - 3)) failed"; }
		[ $((n % 20)) -eq 0 ] && emu DELETE /log >/dev/null
		n=$((n + 1))
		echo "$n" >"$T/churn.count"
		sleep 15
	done
}
churn_loop >"$T/churn.log" 2>&1 &
CHURN_PID=$!

python3 tests/soak/loadgen.py --port "$SMTP_PORT" --rate "$SOAK_RATE" --seconds "$SOAK_SECONDS" \
	--threads 4 --churn "$SOAK_CHURN" --counts "$T/counts.json" >"$T/loadgen.out" 2>"$T/loadgen.log" &
LOAD_PID=$!

# One row per daemon and sample; "redis" is the server itself (its connected clients).
echo "elapsed_s,daemon,pid,rss_kb,fds,redis_conns,submitted" >"$CSV"
ln -sf "$(basename "$CSV")" "$OUT/latest.csv"
redis_conns_of() { ss -tnpH state established "( dport = :$REDIS_PORT )" 2>/dev/null | grep -c "pid=$1,"; }
submitted_so_far() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["submitted"])' "$T/counts.json" 2>/dev/null || echo 0; }
sample() { # ELAPSED
	sub=$(submitted_so_far)
	for d in policyd:$POLICYD_PID milter:$MILTER_PID syncd:$SYNCD_PID; do
		name=${d%%:*} pid=${d#*:}
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
		echo "$1,$name,$pid,${rss:-0},$fds,$(redis_conns_of "$pid"),$sub" >>"$CSV"
	done
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$REDIS_PID/status" 2>/dev/null)
	clients=$(redis_cli INFO clients | tr -d '\r' | awk -F: '$1 == "connected_clients" { print $2 - 1 }')
	echo "$1,redis,$REDIS_PID,${rss:-0},$(ls "/proc/$REDIS_PID/fd" 2>/dev/null | wc -l),${clients:-0},$sub" >>"$CSV"
}
restarts=0
restart_redis() {
	restarts=$((restarts + 1))
	if [ $((restarts % 2)) -eq 1 ]; then
		how="saved and reloaded"
		redis_cli SHUTDOWN SAVE >/dev/null 2>&1
	else
		how="empty"
		redis_cli SHUTDOWN NOSAVE >/dev/null 2>&1
		rm -f "$T/redis/dump.rdb"
	fi
	for _ in $(seq 1 100); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.05; done
	sleep 1
	REDIS_EXTRA_ARGS=$REDIS_ARGS REDIS_SOCK_PERM=777 redis_start "$T/redis" "$REDIS_PORT"
	echo "# $(date +%T) Redis restart $restarts ($how), keys: $(redis_cli DBSIZE)"
}

start=$SECONDS
next_sample=$((SOAK_SAMPLE / 2))
next_restart=$SOAK_REDIS_RESTART
echo "# soak: $SOAK_SECONDS s at $SOAK_RATE msg/s, Redis restart every $SOAK_REDIS_RESTART s, CSV $CSV"
while kill -0 "$LOAD_PID" 2>/dev/null; do
	now=$((SECONDS - start))
	if [ "$now" -ge "$next_sample" ]; then
		sample "$now"
		next_sample=$((next_sample + SOAK_SAMPLE))
	fi
	if [ "$now" -ge "$next_restart" ] && [ "$now" -lt $((SOAK_SECONDS - SOAK_SAMPLE)) ]; then
		restart_redis
		next_restart=$((next_restart + SOAK_REDIS_RESTART))
	fi
	sleep 1
done
wait "$LOAD_PID"
load_rc=$?
LOAD_PID=
sample $((SECONDS - start))
kill "$CHURN_PID" 2>/dev/null
wait "$CHURN_PID" 2>/dev/null
CHURN_PID=

cat "$T/loadgen.out" | sed 's/^/# loadgen: /'
expect_eq "load generator: no session broke, no wrong answer" 0 "$load_rc"
[ -s "$T/loadgen.log" ] && head -n 20 "$T/loadgen.log" | sed 's/^/# /'
for d in policyd milter syncd; do
	eval "pid=\$$(echo "$d" | tr a-z A-Z)_PID"
	kill -0 "$pid" 2>/dev/null && ok "edg-$d ran the whole soak" || not_ok "edg-$d ran the whole soak"
done

# The last churn additions reach Redis (syncd kept up through the restarts).
sleep 12
missing=$(emu GET /state | python3 -c '
import json, subprocess, sys
emu = {s["emailAddress"].lower() for s in json.load(sys.stdin)["suppressions"]}
print(" ".join(sorted(emu)))' | tr ' ' '\n' | while read -r a; do
	gen=$(redis_cli GET edg:v1:gen)
	[ "$(redis_cli HEXISTS "edg:v1:$gen:sup" "$a")" = 1 ] || echo "$a"
done)
expect_eq "every suppression the emulator lists is in Redis at the end" "" "$missing"
echo "# Redis restarts: $restarts; churn turns: $(cat "$T/churn.count" 2>/dev/null)"
echo "# syncd cycles: $(grep -c 'full_sync:' "$T/syncd.log") full syncs (new generations), $(grep -c 'reconcile:' "$T/syncd.log") reconciles, $(grep -c ' suppressions:' "$T/syncd.log") incremental, $(grep -c ' senders:' "$T/syncd.log") senders; $(grep -c 'warning\|error' "$T/syncd.log") warning lines; $(wc -l <"$T/audit/audit.log") audit lines"

# Flatness.
python3 tests/soak/flatness.py --slack-rss-kb "$SOAK_RSS_SLACK_KB" "$CSV" >"$T/flat.out"
while IFS='	' read -r verdict name detail; do
	case $verdict in
	PASS) ok "$name ($detail)" ;;
	FAIL) not_ok "$name" "$detail" ;;
	*) echo "# $verdict $name $detail" ;;
	esac
done <"$T/flat.out"

# Accounting.
postfix_flush
postfix_wait_empty 120
read -r submitted accepted refused5 tempfail4 errors <<EOF
$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["submitted"], c["accepted"], c["refused5"], c["tempfail4"], c["error"])' "$T/counts.json")
EOF
delivered=$(sink_count)
queued=$(postfix_queue_count)
echo "# submitted $submitted: delivered $delivered, refused 5xx $refused5, refused 4xx $tempfail4, queued $queued, session errors $errors"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); [print("#   %-17s %s" % (k, v)) for k, v in sorted(c["kinds"].items())]' "$T/counts.json"
expect_eq "submitted = delivered + refused + queued" "$submitted" "$((delivered + refused5 + tempfail4 + queued))"
expect_eq "lost: 0 (accepted = delivered + queued)" "$accepted" "$((delivered + queued))"
expect_eq "the suppressed address never reached the relay" 0 \
	"$(grep -l '^X-Rcpt-Args: <gone@example.net>' "$SINK_DIR"/* 2>/dev/null | wc -l)"

# A clean stop.
for d in policyd milter syncd; do
	eval "pid=\$$(echo "$d" | tr a-z A-Z)_PID"
	kill -TERM "$pid"
	wait "$pid"
	expect_eq "edg-$d stops cleanly on SIGTERM" 0 $?
done
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -v -e "^$POLICYD_PID\$" -e "^$MILTER_PID\$" -e "^$SYNCD_PID\$" | tr '\n' ' ')
echo "# CSV: $CSV"
done_testing
