#!/bin/bash
# faults_sentinel.sh - Redis Sentinel failovers under a running edg-syncd, edg-policyd and
# a private Postfix with mail flowing (issues 4 and 8).
#
# A primary, a replica and three sentinels on loopback (passwords on both); edg-syncd
# (against the OCI control-plane emulator), edg-policyd and edgctl use a
# redis+sentinel:// URL. Mail flows through Postfix and edg-policyd before, during and
# after (1) SENTINEL FAILOVER and (2) the new primary killed with SIGKILL. Checked:
# every decision stays right meanwhile (last-known-good view), policyd and syncd find
# the new primary through Sentinel by themselves, a suppression added in "OCI" after
# each failover is enforced, and every message submitted is delivered, refused or
# still queued: none lost.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/postfix.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-faults-sentinel.XXXXXX)
chmod 755 "$T"
TENANCY=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
OCI_USER=ocid1.user.oc1..sentinel
PIDS=""
cleanup() {
	[ -n "${TRAFFIC_PID:-}" ] && kill "$TRAFFIC_PID" 2>/dev/null
	if [ "$TAP_FAILED" -gt 0 ]; then
		for f in syncd policyd control; do tail -n 25 "$T/$f.log" | sed "s/^/# $f: /"; done
		tail -n 15 "$T/s1/sentinel.log" | sed 's/^/# sentinel: /'
		postfix_log | tail -n 20 | sed 's/^/# postfix: /'
	fi
	postfix_stop
	sink_stop
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for d in s1 s2 s3 a b; do pid_stop "$T/$d"; done
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"

# Secrets: neither may reach a log.
REDIS_PASS="redis-canary-$$-Sn1"
SENTINEL_PASS="sentinel-canary-$$-Sn2"
secret_register "$REDIS_PASS" "$SENTINEL_PASS"
PORT_A=$(free_port)
PORT_B=$(free_port)
redis_node_start "$T/a" "$PORT_A" || skip_all "the primary did not start"
redis_node_start "$T/b" "$PORT_B" "$PORT_A" || skip_all "the replica did not start"
SPORTS=""
for s in s1 s2 s3; do
	p=$(free_port)
	sentinel_start "$T/$s" "$p" "$PORT_A" || skip_all "sentinel $s did not start"
	SPORTS="$SPORTS $p"
done
set -- $SPORTS
S1=$1
sentinel_wait_ready "$S1" 2 1 20 || skip_all "the sentinels did not find each other and the replica"
ok "primary, replica and three sentinels up (quorum 2)"
URL="redis+sentinel://:$REDIS_PASS@127.0.0.1:$1,127.0.0.1:$2,127.0.0.1:$3/$SENTINEL_NAME?sentinel_password=$SENTINEL_PASS"

cat >"$T/state.json" <<JSON
{"tenancy": "$TENANCY", "region": "us-ashburn-1",
 "senders": [{"emailAddress": "app@example.com"}],
 "suppressions": [{"emailAddress": "gone@example.net", "reason": "HARDBOUNCE",
                   "timeCreated": "2026-01-02T03:04:05.678Z"}]}
JSON
python3 tests/emulators/oci_control.py --port 0 --port-file "$T/control.port" \
	--key "$TENANCY/$OCI_USER/$FP=tests/data/emulator/public-key.pem" --verifier builtin \
	--state "$T/state.json" >"$T/control.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do [ -s "$T/control.port" ] && break; sleep 0.1; done
CONTROL="http://127.0.0.1:$(cat "$T/control.port")"
emu() { python3 tests/emulators/emuctl.py "$CONTROL" "$@" >/dev/null; }

install -m 600 tests/data/emulator/private-key.pem "$T/key.pem"
secret_register_key "$T/key.pem"
cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
tenancy = $TENANCY
user = $OCI_USER
fingerprint = $FP
key_file = $T/key.pem
endpoint = $CONTROL
retries = 1
retry_max_delay = 1s
timeout = 5s
connect_timeout = 2s
[redis]
url = $URL
connect_timeout = 500ms
command_timeout = 1s
[syncd]
sender_interval = 30s
suppression_interval = 30s
suppression_overlap = 0s
lock_ttl = 6s
audit_log = $T/audit.log
user = nobody
[policyd]
listen = unix:$T/policyd.sock
socket_mode = 0666
user = nobody
max_stale = 1h
CONF
chmod 600 "$T/edg.conf"
touch "$T/audit.log"
chown nobody "$T/audit.log"
"$B/edg-syncd" -f -c "$T/edg.conf" >>"$T/syncd.log" 2>&1 &
PIDS="$PIDS $!"
"$B/edg-policyd" -f -c "$T/edg.conf" >>"$T/policyd.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 150); do grep -q 'state: loaded generation [1-9]' "$T/policyd.log" && break; sleep 0.1; done
grep -q 'state: loaded generation [1-9]' "$T/policyd.log" ||
	skip_all "syncd and policyd did not come up through Sentinel"
expect_match "policyd found the primary through Sentinel" \
	"Redis master \"$SENTINEL_NAME\" is 127.0.0.1:$PORT_A \(from Sentinel\)" "$(cat "$T/policyd.log")"

SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
sink_start "$T/sink" "$SINK_PORT"
postfix_setup "$T/pf" "$SMTP_PORT" "$SINK_PORT"
postfix_conf "smtpd_recipient_restrictions = check_policy_service unix:$T/policyd.sock"
postfix_start || skip_all "Postfix did not start"

# Mail in the background: one message at a time, alternately to a recipient that must
# be accepted and to one OCI suppresses; one line per message: N RCPT OUTCOME.
traffic() {
	n=0
	while [ ! -e "$T/traffic.stop" ]; do
		n=$((n + 1))
		if [ $((n % 2)) -eq 0 ]; then rcpt=gone@example.net; else rcpt="user$n@example.org"; fi
		out=$(swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --from app@example.com \
			--to "$rcpt" --header "Subject: sentinel-$n" --body "edg sentinel $n" 2>&1)
		if printf '%s' "$out" | grep -q '^<- *250 2.0.0 Ok: queued'; then
			echo "$n $rcpt queued"
		elif printf '%s' "$out" | grep -q '^<\*\* *5[0-9][0-9] 5.1.1 '; then
			echo "$n $rcpt 550"
		elif printf '%s' "$out" | grep -q '^<\*\* *4[0-9][0-9] '; then
			echo "$n $rcpt 4xx"
		else
			echo "$n $rcpt other"
		fi
	done >"$T/traffic.out"
}
ask() { python3 tests/lib/policy_client.py "unix:$T/policyd.sock" "$1" 2>/dev/null | head -n 1; }
request_for() { sed "s/gone@example.net/$1/" tests/golden/policyd/suppressed.request >"$T/$1.request"; }
# until policyd refuses ADDR (a suppression added in "OCI" reached it): seconds taken
enforced_within() {
	request_for "$1"
	t0=$(date +%s%N)
	for _ in $(seq 1 $(($2 * 10))); do
		if ask "$T/$1.request" | grep -q '550 5.1.1'; then
			echo $((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# a suppression added in "OCI", then edgctl sync --now (through Sentinel as well)
suppress_in_oci() {
	emu POST /suppressions "{\"emailAddress\": \"$1\", \"reason\": \"COMPLAINT\", \"timeCreated\": \"2026-03-04T00:00:00.000Z\"}"
	end=$((SECONDS + 25))
	while [ $SECONDS -lt $end ]; do
		"$B/edgctl" -c "$T/edg.conf" sync --now --wait 10 >>"$T/sync.out" 2>&1 && return 0
		sleep 0.25
	done
	return 1
}
new_primary() { # OLD_PORT SECONDS: wait until the sentinels name another master
	for _ in $(seq 1 $(($2 * 10))); do
		p=$(sentinel_master_port "$S1")
		[ -n "$p" ] && [ "$p" != "$1" ] && [ "$(redis_node_role "$p")" = master ] && { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}

traffic &
TRAFFIC_PID=$!
sleep 3
before=$(wc -l <"$T/traffic.out")
[ "$before" -gt 0 ] && ok "mail flowing before the failover ($before messages)" || not_ok "mail flowing before the failover"

# 1. An orderly failover: the replica is promoted, the old primary demoted (its clients
# killed by Sentinel).
t_fail=$(date +%s%N)
sentinel_cli "$S1" SENTINEL FAILOVER "$SENTINEL_NAME" >/dev/null
P1=$(new_primary "$PORT_A" 20)
expect_eq "SENTINEL FAILOVER: the replica is the primary" "$PORT_B" "$P1"
echo "# failover done in $((($(date +%s%N) - t_fail) / 1000000)) ms"
for _ in $(seq 1 100); do grep -q "is 127.0.0.1:$PORT_B (from Sentinel)" "$T/policyd.log" && break; sleep 0.1; done
expect_match "policyd followed to the new primary by itself" \
	"Redis master \"$SENTINEL_NAME\" is 127.0.0.1:$PORT_B \(from Sentinel\)" "$(cat "$T/policyd.log")"
check "after the failover: edgctl sync --now through Sentinel is served" suppress_in_oci late1@example.net
if ms=$(enforced_within late1@example.net 20); then
	ok "syncd wrote to the new primary, policyd enforces it ($ms ms after the sync)"
else
	not_ok "syncd wrote to the new primary, policyd enforces it" "$(cat "$T/sync.out")"
fi
expect_eq "the new primary holds it" 1 \
	"$(redis_node_cli "$PORT_B" HEXISTS "edg:v1:$(redis_node_cli "$PORT_B" GET edg:v1:gen):sup" late1@example.net)"
expect_match "syncd says where the master went" "master \"$SENTINEL_NAME\" is now 127.0.0.1:$PORT_B" \
	"$(cat "$T/syncd.log")"
sleep 2

# 2. The new primary killed: Sentinel agrees it is down (1 s), elects, promotes the old one.
t_fail=$(date +%s%N)
pid_stop "$T/b" KILL
P2=$(new_primary "$PORT_B" 30)
expect_eq "SIGKILL of the primary: the old primary is promoted back" "$PORT_A" "$P2"
echo "# SIGKILL to promotion in $((($(date +%s%N) - t_fail) / 1000000)) ms"
check "after SIGKILL: edgctl sync --now through Sentinel is served" suppress_in_oci late2@example.net
if ms=$(enforced_within late2@example.net 20); then
	ok "after SIGKILL: syncd wrote to the new primary, policyd enforces it ($ms ms after the sync)"
else
	not_ok "after SIGKILL: syncd wrote to the new primary, policyd enforces it" "$(cat "$T/sync.out")"
fi
request_for late1@example.net
expect_match "after SIGKILL: the change made before it is still enforced" '550 5.1.1' "$(ask "$T/late1@example.net.request")"
sleep 2
touch "$T/traffic.stop"
wait "$TRAFFIC_PID"
TRAFFIC_PID=

# 3. Every decision right, every message accounted for.
submitted=$(wc -l <"$T/traffic.out")
queued=$(grep -c ' queued$' "$T/traffic.out")
refused=$(grep -c ' 550$' "$T/traffic.out")
deferred=$(grep -c ' 4xx$' "$T/traffic.out")
wrong=$(awk '($2 == "gone@example.net") != ($3 == "550")' "$T/traffic.out" | wc -l)
echo "# submitted $submitted: queued $queued, refused 550 $refused, refused 4xx $deferred"
expect_eq "every decision right throughout (suppressed refused, others accepted, no 4xx)" 0 "$wrong"
postfix_wait_empty 30
delivered=$(sink_count)
still=$(postfix_queue_count)
echo "# delivered $delivered, still queued $still"
expect_eq "submitted = delivered + refused + still queued (0 lost)" "$submitted" \
	$((delivered + refused + deferred + still))
expect_eq "everything accepted was delivered" "$queued" "$delivered"
[ "$submitted" -ge 20 ] && ok "enough mail went through ($submitted messages)" || not_ok "enough mail went through" "$submitted"
n=$(grep -c "Redis master \"$SENTINEL_NAME\" is" "$T/policyd.log")
expect_eq "policyd connected to a master 3 times (start and two failovers)" 3 "$n"
leaks=$(grep -l -e "$REDIS_PASS" -e "$SENTINEL_PASS" "$T"/*.log "$T/sync.out" 2>/dev/null)
expect_eq "no password in any log" "" "$leaks"
done_testing
