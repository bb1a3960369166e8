#!/bin/bash
# run.sh - edg's side-by-side benchmarks (make bench; BENCH_QUICK=1 for a ~5-minute run)
#
# Usage (from the repository root, as root: it runs a private Postfix):
#   bash bench/run.sh                 sizes 0, 1,000, 1 million, 10 million; 7 rounds
#   BENCH_QUICK=1 bash bench/run.sh   sizes 0, 1,000, 1 million; 5 rounds, fewer messages
#   BENCH_SIZES="1000" BENCH_ROUNDS=5 BENCH_ONLY="postfix policyd" ...  a part of it
#   BENCH_KEYSPACE_FACTOR=20 ...      policyd part: recipients drawn from 20 N addresses, so
#                                     1 in 20 is suppressed (default 2: one in two)
#   BENCH_IN_FLOW_DELAY=1s ...        Postfix part: Postfix's inflow control as shipped
#                                     (default 0: off; lib.sh says why)
#
# Per size N (a throwaway Redis holding N suppressions and 100 approved senders):
#   memory   VmRSS and VmHWM of edg-policyd and edg-milter once their view is loaded
#   policyd  edg-policyd alone, 50 persistent connections (bench/policy_load.c), beside
#            redis-benchmark -c 50 HEXISTS on the same suppression hash of the same Redis,
#            interleaved, BENCH_ROUNDS rounds; half of the addresses are suppressed
#   postfix  a private Postfix relaying to smtp-sink, loaded by smtp-source (20 sessions,
#            one recipient, 2,000-byte body), through seven smtpd services, one per
#            configuration (lib.sh), interleaved, BENCH_ROUNDS rounds, each round starting
#            one configuration further on (a b c ... g, b c ... g a, ...); queue on tmpfs;
#            per measurement the wall time and the gateway's CPU time (the private
#            Postfix and the daemons, /proc/PID/stat), hence the capacity ratios; CPU
#            time each daemon used per message over all rounds
# and once (at 1,000 suppressions):
#   callgrind  instructions per decision of edg-policyd and per message of edg-milter and
#              of the no-op milter: two runs of K1 and K2 requests, (I2 - I1) / (K2 - K1)
#
# Sizes 0 and 1 million (full run) are measured for memory only. Every figure is a
# median; ratios are medians of the per-round ratios (each round runs the
# configurations back to back). Results: $BENCH_OUT (default build/bench/results),
# one file per question, and summary.txt; the chart: $BENCH_OUT/ratios.png.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/redis.sh
. tests/lib/postfix.sh
. bench/lib.sh

if [ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ]; then
	: "${BENCH_SIZES:=0 1000 1000000}" "${BENCH_ROUNDS:=5}" "${BENCH_MSGS:=1000}"
	: "${BENCH_REQUESTS:=100000}" "${BENCH_RATE_SIZES:=1000 1000000}"
	: "${BENCH_CG_K1:=2000}" "${BENCH_CG_K2:=6000}" "${BENCH_CG_M1:=100}" "${BENCH_CG_M2:=300}"
else
	: "${BENCH_SIZES:=0 1000 1000000 10000000}" "${BENCH_ROUNDS:=7}" "${BENCH_MSGS:=2500}"
	: "${BENCH_REQUESTS:=300000}" "${BENCH_RATE_SIZES:=1000 10000000}"
	: "${BENCH_CG_K1:=5000}" "${BENCH_CG_K2:=25000}" "${BENCH_CG_M1:=200}" "${BENCH_CG_M2:=1000}"
fi
: "${BENCH_ONLY:=memory policyd postfix callgrind}"
: "${BENCH_OUT:=build/bench/results}"
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (a private Postfix)" >&2; exit 1; }
for p in smtp-source smtp-sink redis-benchmark valgrind gnuplot postmap; do
	command -v "$p" >/dev/null || { echo "bench: $p missing (make deps)" >&2; exit 1; }
done
[ -e /usr/lib/postfix/postfix-lmdb.so ] ||
	{ echo "bench: Postfix has no lmdb tables (postfix-lmdb; make deps)" >&2; exit 1; }
bench_tools || exit 1
mkdir -p "$BENCH_OUT"
# Everything, the Postfix queue included, on tmpfs: the disk's fsync latency (shared with
# other work on this machine) would otherwise dominate every configuration alike.
T=$(mktemp -d "${BENCH_TMP:-/dev/shm}/edg-bench.XXXXXX")
chmod 755 "$T"
cleanup() {
	bench_postfix_down
	bench_daemons_down
	bench_state_down
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wants() { case " $BENCH_ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
rate_size() { case " $BENCH_RATE_SIZES " in *" $1 "*) return 0 ;; esac; return 1; }
say() { echo "bench: $(date -u +%H:%M:%S) $*" >&2; }

# ---- memory: one line per size and daemon
memory() { # N
	local pd_rss pd_hwm mi_rss mi_hwm
	read -r pd_rss pd_hwm <<<"$(bench_rss "$PD_PID")"
	read -r mi_rss mi_hwm <<<"$(bench_rss "$MILTER_PID")"
	echo "$1 policyd $pd_rss $pd_hwm $PD_LOAD_S" >>"$BENCH_OUT/memory.txt"
	echo "$1 milter $mi_rss $mi_hwm $MI_LOAD_S" >>"$BENCH_OUT/memory.txt"
	say "memory N=$1: policyd RSS ${pd_rss} kB (peak $pd_hwm), milter RSS ${mi_rss} kB (peak $mi_hwm)"
}

# ---- policyd alone beside redis-benchmark
policyd_rate() { # N
	local n=$1 keyspace=$(($1 * ${BENCH_KEYSPACE_FACTOR:-2})) r out
	[ "$keyspace" -gt 0 ] || keyspace=1
	: >"$T/pol.txt"
	: >"$T/rb.txt"
	for r in $(seq 1 "$BENCH_ROUNDS"); do
		out=$("$BB/policy_load" -s "$T/policyd.sock" -c 50 -n "$BENCH_REQUESTS" -r "$keyspace") || return 1
		echo "$out" >>"$T/pol.txt"
		redis-benchmark -s "$REDIS_SOCK" -c 50 -n "$BENCH_REQUESTS" -r "$keyspace" --csv \
			HEXISTS edg:v1:1:sup u__rand_int__@suppressed.example | tail -1 >>"$T/rb.txt"
		say "policyd N=$n round $r: $(awk '{ print $6 "/s p50 " $8 " us p99 " $10 " us" }' <<<"$out"); redis $(tail -1 "$T/rb.txt")"
	done
	{
		printf '%s policyd rate %s p50_us %s p99_us %s p999_us %s reject_share %s\n' "$n" \
			"$(awk '{ print $6 }' "$T/pol.txt" | bench_median)" \
			"$(awk '{ print $8 }' "$T/pol.txt" | bench_median)" \
			"$(awk '{ print $10 }' "$T/pol.txt" | bench_median)" \
			"$(awk '{ print $12 }' "$T/pol.txt" | bench_median)" \
			"$(awk '{ printf "%.3f\n", $18 / $2 }' "$T/pol.txt" | bench_median)"
		printf '%s redis rate %s p50_us %s p99_us %s\n' "$n" \
			"$(tr -d '"' <"$T/rb.txt" | awk -F, '{ print $2 }' | bench_median)" \
			"$(tr -d '"' <"$T/rb.txt" | awk -F, '{ print $5 * 1000 }' | bench_median)" \
			"$(tr -d '"' <"$T/rb.txt" | awk -F, '{ print $7 * 1000 }' | bench_median)"
		tr -d '"' <"$T/rb.txt" | awk -F, '{ print $2 }' | paste -d' ' "$T/pol.txt" - |
			awk '{ printf "%.3f\n", $6 / $NF }' | bench_median | sed "s/^/$n ratio_policyd_over_redis /"
	} >>"$BENCH_OUT/policyd.txt"
	# Service time without queueing: one connection, one request at a time.
	out=$("$BB/policy_load" -s "$T/policyd.sock" -c 1 -n 20000 -r "$keyspace") || return 1
	echo "$n single $out" >>"$BENCH_OUT/policyd.txt"
	redis-benchmark -s "$REDIS_SOCK" -c 1 -n 20000 -r "$keyspace" --csv HEXISTS edg:v1:1:sup \
		u__rand_int__@suppressed.example | tail -1 | tr -d '"' |
		awk -F, -v n="$n" '{ printf "%s single_redis rate %s p50_us %.0f p99_us %.0f\n", n, $2, $5 * 1000, $7 * 1000 }' >>"$BENCH_OUT/policyd.txt"
	sed 's/^/raw policyd_load N='"$n"' /' "$T/pol.txt" >>"$BENCH_OUT/raw.txt"
	sed 's/^/raw redis_benchmark N='"$n"' /' "$T/rb.txt" >>"$BENCH_OUT/raw.txt"
}

# ---- Postfix a..g, interleaved
# $T/pf.txt, one line per measurement: round conf seconds gateway_cpu postfix_cpu
# daemons_cpu sink_cpu source_cpu busy source_seconds (bench_postfix_send).
#
# Per round, the ratio VALUE(den) / VALUE(num) of column COL: with COL 3 (seconds) the
# rate of num over the rate of den; with COL 4 (gateway CPU) the rate num reaches over
# den's when the CPU is the limit (capacity).
round_ratios() { # COL NUM DEN
	awk -v col="$1" -v num="$2" -v den="$3" '
		$2 == num { t[$1, "n"] = $col } $2 == den { t[$1, "d"] = $col }
		END { for (r = 1; (r, "n") in t; r++) if ((r, "d") in t && t[r, "n"] > 0) printf "%.4f\n", t[r, "d"] / t[r, "n"] }' "$T/pf.txt"
}
PAIRS="d/a e/c f/c f/a f/b b/a c/a g/a d/g"

postfix_summary() { # N
	local n=$1 c pair
	for c in $BENCH_CONFS; do
		printf '%s rate %s %s\n' "$n" "$c" \
			"$(awk -v c="$c" -v m="$BENCH_MSGS" '$2 == c { printf "%.1f\n", m / $3 }' "$T/pf.txt" | bench_median)"
	done
	for pair in $PAIRS; do
		printf '%s ratio %s %s\n' "$n" "$pair" "$(round_ratios 3 "${pair%/*}" "${pair#*/}" | bench_median)"
	done
	# The gateway's CPU microseconds per message (median, lowest, highest of the rounds),
	# and the capacity ratios.
	for c in $BENCH_CONFS; do
		printf '%s gateway_cpu_us %s %s\n' "$n" "$c" \
			"$(awk -v c="$c" -v m="$BENCH_MSGS" '$2 == c { printf "%.1f\n", $4 * 1e6 / m }' "$T/pf.txt" | bench_spread)"
	done
	for pair in $PAIRS; do
		printf '%s capacity %s %s\n' "$n" "$pair" "$(round_ratios 4 "${pair%/*}" "${pair#*/}" | bench_spread)"
	done
	# The load's CPU per message (smtp-sink standing for OCI, smtp-source), and whether
	# the machine was CPU-bound: the share of both CPUs busy, and the gateway's share.
	printf '%s load_cpu_us sink %s source %s\n' "$n" \
		"$(awk -v m="$BENCH_MSGS" '{ printf "%.1f\n", $7 * 1e6 / m }' "$T/pf.txt" | bench_median)" \
		"$(awk -v m="$BENCH_MSGS" '{ printf "%.1f\n", $8 * 1e6 / m }' "$T/pf.txt" | bench_median)"
	printf '%s cpu_busy %s gateway_share %s\n' "$n" "$(awk '{ print $9 }' "$T/pf.txt" | bench_spread)" \
		"$(awk -v cpus="$(nproc)" '{ printf "%.3f\n", $4 / ($3 * cpus) }' "$T/pf.txt" | bench_median)"
}

postfix_rate() { # N
	local n=$1 r c i out confs cpu0 cpu1 sent refused
	read -r -a confs <<<"$BENCH_CONFS"
	bench_postfix_up "$T" "$n" || { say "Postfix did not start"; return 1; }
	sleep 1
	for c in $BENCH_CONFS; do bench_postfix_send "$c" 100 >/dev/null || { say "warm-up $c failed"; return 1; }; done
	: >"$T/pf.txt"
	cpu0="$(bench_cpu "$PD_PID") $(bench_cpu "$MILTER_PID") $(bench_cpu "$NOOP_PID") $(bench_cpu "$NOOP_POLICY_PID")"
	for r in $(seq 1 "$BENCH_ROUNDS"); do
		# Each round starts one configuration further on: a b c d e f g, b c d e f g a, ...
		for ((i = 0; i < ${#confs[@]}; i++)); do
			c=${confs[(r - 1 + i) % ${#confs[@]}]}
			out=$(bench_postfix_send "$c" "$BENCH_MSGS") || { say "round $r conf $c failed"; return 1; }
			echo "$r $c $out" >>"$T/pf.txt"
			awk -v n="$n" -v r="$r" -v c="$c" -v m="$BENCH_MSGS" '{
				printf "raw postfix N=%s round %s conf %s msgs %s seconds %s gateway_cpu_s %s postfix_cpu_s %s daemons_cpu_s %s sink_cpu_s %s source_cpu_s %s busy %s source_seconds %s\n",
					n, r, c, m, $1, $2, $3, $4, $5, $6, $7, $8 }' <<<"$out" >>"$BENCH_OUT/raw.txt"
		done
		say "postfix N=$n round $r: $(awk -v r="$r" -v m="$BENCH_MSGS" '$1 == r { printf "%s %.0f/s %.0f us  ", $2, m / $3, $4 * 1e6 / m }' "$T/pf.txt")busy $(awk -v r="$r" '$1 == r { s += $9; k++ } END { printf "%.2f", s / k }' "$T/pf.txt")"
	done
	# CPU each daemon used per message it saw: policyd in d and f, edg-milter in e and f,
	# noop_milter in c, noop_policy in g.
	cpu1="$(bench_cpu "$PD_PID") $(bench_cpu "$MILTER_PID") $(bench_cpu "$NOOP_PID") $(bench_cpu "$NOOP_POLICY_PID")"
	# (each divided by the messages of the configurations it served in this run).
	echo "$cpu0 $cpu1" | awk -v n="$n" -v m="$((BENCH_ROUNDS * BENCH_MSGS))" -v confs=" $BENCH_CONFS " '
		function served(a, b) { return (index(confs, " " a " ") > 0) + (b != "" && index(confs, " " b " ") > 0) }
		function per(d, k) { return k > 0 ? d * 1e6 / (k * m) : 0 }
		{ printf "%s cpu_us_per_message policyd %.1f milter %.1f noop_milter %.1f noop_policy %.1f\n", n,
			per($5 - $1, served("d", "f")), per($6 - $2, served("e", "f")), per($7 - $3, served("c", "")),
			per($8 - $4, served("g", "")) }' >>"$BENCH_OUT/postfix.txt"
	postfix_summary "$n" >>"$BENCH_OUT/postfix.txt"
	sent=$(grep -c 'status=sent' "$T/pf/maillog")
	refused=$(grep -cE 'reject:|milter-reject' "$T/pf/maillog")
	echo "$n delivered $sent refused $refused" >>"$BENCH_OUT/postfix.txt"
	bench_postfix_down
}

# ---- callgrind: instructions per decision / per message
cg_total() { awk '/^summary:/ { print $2 }' "$1"; }
# callgrind opens its output at start (as root) and again at exit (as the daemon's user).
cg_out() { install -o nobody -m 666 /dev/null "$1"; }
CG="valgrind --tool=callgrind --vgdb=no"
cg_policyd() { # K -> instructions
	local out=$T/cg/policyd-$1.out
	bench_conf "$T"
	cg_out "$out"
	$CG --callgrind-out-file="$out" "$B/edg-policyd" -f -c "$T/edg.conf" \
		2>"$T/cg-policyd.log" &
	PD_PID=$!
	bench_wait_loaded "$T/cg-policyd.log" "$PD_PID" || return 1
	"$BB/policy_load" -s "$T/policyd.sock" -c 10 -n "$1" -w 0 -r 2000 >/dev/null || return 1
	bench_stop_pid "$PD_PID"
	PD_PID=
	cg_total "$out"
}
cg_milter() { # WHICH K -> instructions
	local which=$1 k=$2 out=$T/cg/$1-$2.out conf
	if [ "$which" = milter ]; then
		bench_conf "$T"
		cg_out "$out"
		$CG --callgrind-out-file="$out" "$B/edg-milter" -f -c "$T/edg.conf" \
			2>"$T/cg-milter.log" &
		MILTER_PID=$!
		bench_wait_loaded "$T/cg-milter.log" "$MILTER_PID" || return 1
		conf=e
	else
		rm -f "$T/noop.sock"
		$CG --callgrind-out-file="$out" "$B/tests/noop_milter" "unix:$T/noop.sock" \
			2>"$T/cg-noop.log" &
		NOOP_PID=$!
		for _ in $(seq 1 100); do [ -S "$T/noop.sock" ] && break; sleep 0.1; done
		chmod 666 "$T/noop.sock"
		conf=c
	fi
	bench_postfix_send "$conf" "$k" >/dev/null || return 1
	sleep 1 # Postfix closes its milter connections when its smtpd processes go idle
	bench_daemons_down
	cg_total "$out"
}
callgrind() {
	local i1 i2
	mkdir -p "$T/cg"
	chmod 777 "$T/cg"
	if ! i1=$(cg_policyd "$BENCH_CG_K1") || ! i2=$(cg_policyd "$BENCH_CG_K2"); then
		say "callgrind policyd failed"
		return 1
	fi
	echo "policyd requests $BENCH_CG_K1 $BENCH_CG_K2 instructions $i1 $i2 per_decision $(((i2 - i1) / (BENCH_CG_K2 - BENCH_CG_K1)))" >>"$BENCH_OUT/callgrind.txt"
	callgrind_annotate "$T/cg/policyd-$BENCH_CG_K2.out" 2>/dev/null | head -40 >"$BENCH_OUT/callgrind-policyd.txt"
	bench_postfix_up "$T" 1000 || return 1
	sleep 1
	for which in noop milter; do
		if ! i1=$(cg_milter "$which" "$BENCH_CG_M1") || ! i2=$(cg_milter "$which" "$BENCH_CG_M2"); then
			say "callgrind $which failed"
			return 1
		fi
		echo "$which messages $BENCH_CG_M1 $BENCH_CG_M2 instructions $i1 $i2 per_message $(((i2 - i1) / (BENCH_CG_M2 - BENCH_CG_M1)))" >>"$BENCH_OUT/callgrind.txt"
		callgrind_annotate "$T/cg/$which-$BENCH_CG_M2.out" 2>/dev/null | head -40 >"$BENCH_OUT/callgrind-$which.txt"
	done
	bench_postfix_down
}

# ---- the run
{
	echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host $(uname -srm); $(nproc) cores; $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "memory $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo); load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "versions postfix $(postconf -d -h mail_version 2>/dev/null); $(redis-server --version | awk '{ print $1, $3 }'); $(valgrind --version)"
	echo "git $(git rev-parse --short HEAD 2>/dev/null)"
	echo "settings sizes=[$BENCH_SIZES] rate_sizes=[$BENCH_RATE_SIZES] rounds=$BENCH_ROUNDS msgs=$BENCH_MSGS requests=$BENCH_REQUESTS sessions=$BENCH_SESSIONS in_flow_delay=$BENCH_IN_FLOW_DELAY"
} >"$BENCH_OUT/machine.txt"
rm -f "$BENCH_OUT"/{memory,policyd,postfix,callgrind,raw}.txt
for n in $BENCH_SIZES; do
	if ! rate_size "$n" && ! wants memory; then continue; fi
	say "N=$n: filling Redis"
	bench_state_up "$T" "$n" || { say "Redis fill failed"; exit 1; }
	t0=$(bench_now)
	bench_policyd_up "$T" || { say "edg-policyd did not load"; exit 1; }
	PD_LOAD_S=$(awk -v a="$t0" -v b="$(bench_now)" 'BEGIN { printf "%.1f", b - a }')
	t0=$(bench_now)
	bench_milter_up "$T" || { say "edg-milter did not load"; exit 1; }
	MI_LOAD_S=$(awk -v a="$t0" -v b="$(bench_now)" 'BEGIN { printf "%.1f", b - a }')
	bench_noop_up "$T" || { say "noop_milter did not start"; exit 1; }
	wants memory && memory "$n"
	if rate_size "$n"; then
		wants policyd && { policyd_rate "$n" || say "policyd N=$n failed"; }
		wants postfix && { postfix_rate "$n" || say "postfix N=$n failed"; }
	fi
	bench_daemons_down
	bench_state_down
done
if wants callgrind; then
	say "callgrind at 1,000 suppressions"
	bench_state_up "$T" 1000 && callgrind
	bench_daemons_down
	bench_state_down
fi
bash bench/report.sh "$BENCH_OUT" | tee "$BENCH_OUT/summary.txt"
