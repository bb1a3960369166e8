#!/bin/bash
# syncd_sync.sh - edg-syncd: a full sync of N generated suppressions from the OCI emulator
# into a throwaway Redis (time, peak RSS, Redis's worst latency), then a reconcile that
# finds nothing changed (state write commands issued: must be 0).
#
# Usage: bench/syncd_sync.sh [N]   (default 1000000; run from the repository root, as root)
set -eu
N=${1:-1000000}
B=${EDG_BUILD:-build}
. tests/lib/redis.sh
T=$(mktemp -d /tmp/edg-bench-syncd.XXXXXX)
chmod 755 "$T"
TEN=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
cleanup() { kill "$EMU_PID" 2>/dev/null; redis_stop; rm -rf "$T"; }
trap cleanup EXIT
REDIS_SOCK_PERM=777 redis_start "$T/redis"
python3 tests/emulators/oci_control.py --port 0 --port-file "$T/port" --verifier builtin \
	--key "$TEN/ocid1.user.oc1..bench/$FP=tests/data/emulator/public-key.pem" \
	--state tests/data/emulator/state.json --generate-suppressions "$N" >"$T/emu.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
install -m 600 tests/data/emulator/private-key.pem "$T/key.pem"
cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
tenancy = $TEN
user = ocid1.user.oc1..bench
fingerprint = $FP
key_file = $T/key.pem
endpoint = http://127.0.0.1:$(cat "$T/port")
[redis]
url = unix://$REDIS_SOCK
[syncd]
audit_log = $T/audit.log
user = nobody
CONF
touch "$T/audit.log"
chown nobody "$T/audit.log"
redis_cli CONFIG SET latency-monitor-threshold 1 >/dev/null
/usr/bin/time -v "$B/edg-syncd" -c "$T/edg.conf" --once 2>"$T/first.log"
stall=$(redis_cli --csv LATENCY LATEST | awk -F, '{ gsub(/"/, ""); if ($4 > m) m = $4 } END { print m + 0 }')
events=$(redis_cli --csv LATENCY LATEST | awk -F, '{ gsub(/"/, ""); printf "%s%s max %s ms", sep, $1, $4; sep = ", " }')
redis_cli CONFIG RESETSTAT >/dev/null
/usr/bin/time -v "$B/edg-syncd" -c "$T/edg.conf" --once 2>"$T/again.log"
writes=$(redis_cli INFO commandstats | awk -F'[_:=,]' '/^cmdstat_(hset|hdel|xadd|unlink|rename)/ { n += $4 } END { print n + 0 }')
status_writes=3 # the status hash: one HSET per cycle (senders, domains, reconcile)
echo "suppressions:            $N"
echo "full sync wall time:     $(awk '/Elapsed/ { print $NF }' "$T/first.log")"
echo "full sync peak RSS:      $(awk '/Maximum resident/ { print $NF }' "$T/first.log") kB"
echo "Redis longest stall:     ${stall} ms (LATENCY LATEST, threshold 1 ms: ${events:-none})"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "no-change reconcile:     $(awk '/Elapsed/ { print $NF }' "$T/again.log"), $(grep -o 'reconcile: .*' "$T/again.log")"
echo "state writes by it:      $((writes - status_writes)) (HSET/HDEL/XADD/UNLINK/RENAME minus $status_writes status HSETs)"
