#!/bin/bash
# syncd.sh - edg-syncd against the OCI control-plane emulator and a real Redis.
#
# First sync, changes picked up, a sender leaving ACTIVE, removals at reconcile, a
# reconcile with no change writing no state, faults leaving the previous state intact
# and visible in the status, the audit trail, a reader (edg-policyd) seeing it all, and
# two edg-syncd sharing one Redis: one pulls, the other takes over when it dies.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh

B=${EDG_BUILD:-build}
EDG_VALGRIND=${EDG_VALGRIND:-} # make leakcheck: the daemons under valgrind (errors exit 99)
T=$(mktemp -d /tmp/edg-syncd.XXXXXX)
chmod 755 "$T"
TENANCY=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
USER_A=ocid1.user.oc1..syncda
USER_B=ocid1.user.oc1..syncdb
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	redis_stop
	[ "$TAP_FAILED" -gt 0 ] && for f in "$T"/*.log; do sed "s|^|# $(basename "$f"): |" "$f" | tail -n 30; done
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# Secrets the daemons hold: none may reach a log, the audit trail or the status.
REDIS_PASS="redis-canary-$$-Zq8"
KEY_PASS="key-canary-$$-Wx3"
secret_register "$REDIS_PASS" "$KEY_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
P=edg:v1

python3 tests/emulators/oci_control.py --port 0 --port-file "$T/emu.port" \
	--key "$TENANCY/$USER_A/$FP=tests/data/emulator/public-key.pem" \
	--key "$TENANCY/$USER_B/$FP=tests/data/emulator/public-key.pem" \
	--state tests/data/emulator/state.json >"$T/emulator.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do [ -s "$T/emu.port" ] && break; sleep 0.1; done
EMU="http://127.0.0.1:$(cat "$T/emu.port")"
emu() { python3 tests/emulators/emuctl.py "$EMU" "$@"; }

openssl pkcs8 -topk8 -v2 aes-256-cbc -in tests/data/emulator/private-key.pem -out "$T/key.pem" \
	-passout "pass:$KEY_PASS"
chmod 600 "$T/key.pem"
secret_register_key tests/data/emulator/private-key.pem "$T/key.pem"
write_conf() { # FILE USER METRICS_PORT
	cat >"$1" <<CONF
[oci]
region = us-ashburn-1
tenancy = $TENANCY
user = $2
fingerprint = $FP
key_file = $T/key.pem
pass_phrase = $KEY_PASS
endpoint = $EMU
retries = 1
retry_max_delay = 1s
timeout = 5s
connect_timeout = 2s
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[syncd]
sender_interval = 5s
suppression_interval = 5s
suppression_overlap = 0s
lock_ttl = 5s
audit_log = $T/audit.log
user = nobody
metrics_listen = inet:127.0.0.1:$3
CONF
	chmod 644 "$1"
}
PORT_A=$(free_port)
PORT_B=$(free_port)
write_conf "$T/a.conf" "$USER_A" "$PORT_A"
write_conf "$T/b.conf" "$USER_B" "$PORT_B"
metric() { # PORT NAME
	python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$1/metrics', timeout=5).read().decode())" |
		awk -v m="$2" '$1 == m { print $2 }'
}
touch "$T/audit.log"
chown nobody "$T/audit.log" 2>/dev/null

once() { $EDG_VALGRIND "$B/edg-syncd" -c "$T/a.conf" --once >>"$T/once.log" 2>&1; }
hget() { redis_cli HGET "$P:$(redis_cli GET $P:gen):$1" "$2"; }
hexists() { redis_cli HEXISTS "$P:$(redis_cli GET $P:gen):$1" "$2"; }

# 1. First sync: a whole generation.
check "first sync (--once) succeeds" once
expect_eq "generation 1 published" 1 "$(redis_cli GET $P:gen)"
expect_eq "ACTIVE sender approved" 1 "$(hexists senders noreply@example.com)"
expect_eq "@domain sender approved" 1 "$(hexists senders @example.com)"
expect_eq "INACTIVE sender not approved" 0 "$(hexists senders old@example.org)"
expect_eq "sender of another compartment not listed by default" 0 "$(hexists senders ops@ops.example.net)"
expect_match "suppression record: reason, time, id" \
	'^HARDBOUNCE 2024-03-01T10:00:00.000Z ocid1.emailsuppression.oc1..bounced$' \
	"$(hget sup bounced@customer.example)"
expect_match "domain with its DKIM" '^ocid1.emaildomain.oc1..example ACTIVE ocid1.emaildkim.oc1..sel2024$' \
	"$(hget domains example.com)"
expect_match "audit: one line per addition" '"op":"added","address":"bounced@customer.example","reason":"HARDBOUNCE"' \
	"$(cat "$T/audit.log")"
expect_match "status: last success" '.' "$(redis_cli HGET $P:status full_sync_last_success)"

# 2. A reconcile that finds nothing changed writes no state.
seq_before=$(redis_cli GET $P:seq)
check "no-change cycle succeeds" once
expect_eq "no-change reconcile: no change logged" "$seq_before" "$(redis_cli GET $P:seq)"
expect_eq "no-change reconcile: generation kept" 1 "$(redis_cli GET $P:gen)"

# 3. Changes in OCI: added, removed, a sender leaving ACTIVE.
emu POST /suppressions '{"emailAddress":"NEW@Customer.Example","reason":"COMPLAINT","timeCreated":"2025-06-01T00:00:00.000Z","id":"ocid1.emailsuppression.oc1..new"}' >/dev/null
emu DELETE /suppressions/ocid1.emailsuppression.oc1..complained >/dev/null
emu PATCH /senders/ocid1.emailsender.oc1..billing '{"lifecycleState":"DELETING"}' >/dev/null
check "cycle with changes succeeds" once
expect_eq "added suppression present (canonical)" 1 "$(hexists sup new@customer.example)"
expect_eq "removed suppression gone at reconcile" 0 "$(hexists sup angry@customer.example)"
expect_eq "sender ACTIVE -> DELETING no longer approved" 0 "$(hexists senders billing@example.com)"
expect_match "audit: removal" '"op":"removed","address":"angry@customer.example"' "$(cat "$T/audit.log")"
expect_eq "changes streamed, not a new generation" 1 "$(redis_cli GET $P:gen)"

# An entry whose address edg cannot use is left out, logged; it does not stop the sync.
emu POST /suppressions '{"emailAddress":"not an address","reason":"HARDBOUNCE","timeCreated":"2025-07-01T00:00:00.000Z","id":"ocid1.emailsuppression.oc1..odd"}' >/dev/null
check "an unusable address does not stop the sync" once
expect_match "and is logged as left out" 'entries left out: their address is not usable' "$(cat "$T/once.log")"
emu DELETE /suppressions/ocid1.emailsuppression.oc1..odd >/dev/null

# The audit log's disk is full (/dev/full: every write fails with ENOSPC): the change
# is still published, the loss is logged and counted in the status, nothing is hidden.
sed "s|^audit_log = .*|audit_log = /dev/full|" "$T/a.conf" >"$T/full.conf"
emu POST /suppressions '{"emailAddress":"diskfull@customer.example","reason":"MANUAL","timeCreated":"2025-08-01T00:00:00.000Z","id":"ocid1.emailsuppression.oc1..full"}' >/dev/null
if "$B/edg-syncd" -c "$T/full.conf" --once >"$T/full.log" 2>&1; then ok "audit disk full: the sync still succeeds"; else not_ok "audit disk full: the sync still succeeds" "$(cat "$T/full.log")"; fi
expect_eq "audit disk full: the change is published" 1 "$(hexists sup diskfull@customer.example)"
expect_match "audit disk full: the loss is logged" 'audit: 1 of 1 lines could not be written to /dev/full: No space left' "$(cat "$T/full.log")"
expect_eq "audit disk full: the loss is in the status" 1 "$(redis_cli HGET $P:status audit_lines_lost)"
check "audit log back: the next cycle succeeds" once
expect_eq "audit log back: the status says no line lost" 0 "$(redis_cli HGET $P:status audit_lines_lost)"

# 4. Faults leave the previous state intact and show in the status.
for fault in '{"type":"status","status":500,"times":10}' \
	'{"type":"status","status":401,"times":10}' \
	'{"type":"truncate","times":10}' \
	'{"type":"wrong_type","times":10}' \
	'{"type":"bad_utf8","times":10}' \
	'{"type":"page_loop","times":10}'; do
	name=$(printf '%s' "$fault" | sed 's/.*"type":"\([a-z_]*\)".*"status":\{0,1\}\([0-9]*\).*/\1 \2/')
	emu DELETE /faults >/dev/null
	emu POST /fault "$fault" >/dev/null || { not_ok "inject $name"; continue; }
	seq_before=$(redis_cli GET $P:seq)
	if once; then not_ok "fault $name: --once reports failure"; else ok "fault $name: --once reports failure"; fi
	expect_eq "fault $name: state untouched" "$seq_before 1" "$(redis_cli GET $P:seq) $(redis_cli GET $P:gen)"
	expect_match "fault $name: visible in status" '.' "$(redis_cli HGET $P:status last_error)"
	case "$name" in status*) expect_match "fault $name: status names opc-request-id" \
		'HTTP [0-9]+ .*opc-request-id [0-9A-F]+' "$(redis_cli HGET $P:status last_error)" ;;
	esac
done
emu DELETE /faults >/dev/null
expect_match "401 error names the hint" 'check the clock' "$(cat "$T/once.log")"
check "next good cycle recovers" once
expect_eq "still the same suppressions" 1 "$(hexists sup new@customer.example)"

# 5. The daemon: changes appear within one interval; two daemons, one puller.
emu DELETE /log >/dev/null
$EDG_VALGRIND "$B/edg-syncd" -f -c "$T/a.conf" >"$T/syncd-a.log" 2>&1 &
PID_A=$!
PIDS="$PIDS $PID_A"
sleep 1
$EDG_VALGRIND "$B/edg-syncd" -f -c "$T/b.conf" >"$T/syncd-b.log" 2>&1 &
PID_B=$!
PIDS="$PIDS $PID_B"
emu POST /suppressions '{"emailAddress":"later@customer.example","reason":"HARDBOUNCE","timeCreated":"2030-01-01T00:00:00.000Z","id":"ocid1.emailsuppression.oc1..later"}' >/dev/null
seen=""
for _ in $(seq 1 80); do
	[ "$(hexists sup later@customer.example)" = 1 ] && { seen=1; break; }
	sleep 0.1
done
[ -n "$seen" ] && ok "daemon: new suppression in Redis within one interval" || not_ok "daemon: new suppression in Redis within one interval"
sleep 6
pullers=$(emu GET /log | python3 -c 'import json,sys; print(" ".join(sorted({e["keyId"].split("/")[1] for e in json.load(sys.stdin)["entries"] if e.get("authenticated")})))')
expect_eq "two daemons: only one pulled from OCI" "$USER_A" "$pullers"
expect_match "the other stands by" 'standing by' "$(cat "$T/syncd-b.log")"
expect_eq "metrics: the puller says leader" 1 "$(metric "$PORT_A" edg_syncd_leader)"
expect_eq "metrics: the other says not" 0 "$(metric "$PORT_B" edg_syncd_leader)"
n=$(metric "$PORT_A" 'edg_syncd_cycles_total{cycle="suppressions",result="ok"}')
[ "${n:-0}" -ge 1 ] && ok "metrics: incremental cycles counted ($n)" || not_ok "metrics: incremental cycles counted" "$n"
expect_match "metrics: the new suppression counted as added" '^[1-9]' "$(metric "$PORT_A" 'edg_syncd_changes_total{op="added"}')"
expect_match "metrics: its audit line counted as written" '^[1-9]' "$(metric "$PORT_A" 'edg_syncd_audit_lines_total{result="written"}')"
expect_eq "metrics: no audit line lost" 0 "$(metric "$PORT_A" 'edg_syncd_audit_lines_total{result="lost"}')"

kill -9 "$PID_A"
emu DELETE /log >/dev/null
emu POST /suppressions '{"emailAddress":"handover@customer.example","reason":"MANUAL","timeCreated":"2030-02-01T00:00:00.000Z","id":"ocid1.emailsuppression.oc1..handover"}' >/dev/null
seen=""
for _ in $(seq 1 150); do
	[ "$(hexists sup handover@customer.example)" = 1 ] && { seen=1; break; }
	sleep 0.1
done
[ -n "$seen" ] && ok "leader killed: the other takes over within the lease" || not_ok "leader killed: the other takes over within the lease"
pullers=$(emu GET /log | python3 -c 'import json,sys; print(" ".join(sorted({e["keyId"].split("/")[1] for e in json.load(sys.stdin)["entries"] if e.get("authenticated")})))')
expect_eq "after the handover only the new leader pulls" "$USER_B" "$pullers"

# edgctl sync --now: the leader runs a full cycle at once instead of waiting.
before=$(grep -c 'reconcile:' "$T/syncd-b.log")
if out=$("$B/edgctl" -c "$T/b.conf" sync --now --wait 10 2>&1); then ok "sync --now: served by the leader"; else not_ok "sync --now: served by the leader" "$out"; fi
expect_eq "sync --now: a reconcile ran" "$((before + 1))" "$(grep -c 'reconcile:' "$T/syncd-b.log")"

kill -TERM "$PID_B"
wait "$PID_B"
expect_eq "SIGTERM: clean exit" 0 $?
expect_eq "lease released on exit" "" "$(redis_cli GET $P:lock)"

# 6. SIGTERM in the middle of a first sync (another prefix: nothing published there yet):
# the daemon stops after the page in flight and leaves no half generation behind.
sed 's/^\[redis\]$/[redis]\nprefix = edgterm/' "$T/a.conf" >"$T/term.conf"
emu POST /generate '{"count": 200000}' >/dev/null
emu POST /fault '{"type":"slow","seconds":0.3,"path":"/suppressions"}' >/dev/null
$EDG_VALGRIND "$B/edg-syncd" -f -c "$T/term.conf" >"$T/term.log" 2>&1 &
TERM_PID=$!
partial=""
for _ in $(seq 1 100); do [ -n "$(redis_cli --scan --pattern 'edgterm:v1:1:sup')" ] && { partial=1; break; }; sleep 0.1; done
[ -n "$partial" ] && ok "SIGTERM mid-pull: sent while the generation was being written" ||
	not_ok "SIGTERM mid-pull: sent while the generation was being written"
kill -TERM "$TERM_PID"
wait "$TERM_PID"
expect_eq "SIGTERM mid-pull: clean exit" 0 $?
expect_eq "SIGTERM mid-pull: nothing published" "" "$(redis_cli GET edgterm:v1:gen)"
expect_eq "SIGTERM mid-pull: no half generation left" "" "$(redis_cli --scan --pattern 'edgterm:v1:1:*')"
expect_eq "SIGTERM mid-pull: lease released" "" "$(redis_cli GET edgterm:v1:lock)"
emu DELETE /faults >/dev/null
emu POST /generate '{"count": 0}' >/dev/null

# 7. --dry-run prints the diff and writes nothing.
emu POST /suppressions '{"emailAddress":"dry@customer.example","reason":"SOFTBOUNCE","timeCreated":"2030-03-01T00:00:00.000Z"}' >/dev/null
seq_before=$(redis_cli GET $P:seq)
out=$("$B/edg-syncd" -c "$T/a.conf" --dry-run 2>/dev/null)
expect_match "dry run: shows the addition" 'added suppression dry@customer.example SOFTBOUNCE' "$out"
expect_eq "dry run: nothing written" "$seq_before 0" "$(redis_cli GET $P:seq) $(hexists sup dry@customer.example)"
# A Redis outage and a wrong pass phrase produce errors; none may carry a secret.
redis_cli HGETALL $P:status >"$T/status.log"
redis_stop
"$B/edg-syncd" -c "$T/a.conf" --once >>"$T/once.log" 2>&1
sed "s/^pass_phrase = .*/pass_phrase = wrong-$KEY_PASS-x/" "$T/a.conf" >"$T/wrong.conf"
"$B/edg-syncd" -c "$T/wrong.conf" --once >>"$T/once.log" 2>&1
expect_match "the errors were logged" 'connect|Redis' "$(cat "$T/once.log")"
leaks=$(grep -rl -e "$REDIS_PASS" -e "$KEY_PASS" "$T"/*.log "$T/audit.log" 2>/dev/null)
expect_eq "no secret in any log, the audit trail or the status" "" "$leaks"
done_testing
