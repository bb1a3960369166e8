# lib.sh - the pieces bench/run.sh puts together (sourced, not run).
#
#   bench_tools                  build bench/*.c into $BB (build/bench)
#   bench_state_up DIR N         throwaway Redis in DIR/redis holding N suppressions and
#                                100 approved senders (bench/state_fill.c)
#   bench_state_down
#   bench_policyd_up DIR         edg-policyd on DIR/policyd.sock; waits for its view
#   bench_milter_up DIR          edg-milter on DIR/milter.sock; waits for its view
#   bench_noop_up DIR            tests/tools/noop_milter on DIR/noop.sock and
#                                bench/noop_policy.c on DIR/noop_policy.sock
#   bench_daemons_down
#   bench_rss PID                "VmRSS_kB VmHWM_kB"
#   bench_median                 the median of the numbers on stdin (one a line)
#   bench_spread                 "median lowest highest" of the numbers on stdin
#   bench_now                    seconds since the epoch, to the microsecond
#
# Needs tests/lib/redis.sh sourced first. Daemons run as nobody, logs in DIR/*.log.
B=${EDG_BUILD:-build}
BB=${BENCH_BUILD:-build/bench}

bench_tools() {
	mkdir -p "$BB"
	for t in state_fill policy_load noop_policy; do
		if [ ! -x "$BB/$t" ] || [ "bench/$t.c" -nt "$BB/$t" ]; then
			cc -std=c11 -O2 -g -Wall -Wextra -Werror -o "$BB/$t" "bench/$t.c" || return 1
		fi
	done
}

# $EPOCHREALTIME (bash 5) instead of date(1): no fork; its decimal mark follows the locale.
bench_now() { local us=${EPOCHREALTIME//[!0-9]/}; echo "${us:0:-6}.${us: -6}"; }

bench_median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_spread() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan nan nan"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}

bench_rss() {
	awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r + 0, h + 0 }' "/proc/$1/status"
}

bench_state_up() {
	REDIS_SOCK_PERM=777 redis_start "$1/redis"
	chmod 755 "$1/redis"
	redis_cli CONFIG SET save '' >/dev/null
	"$BB/state_fill" redis "$2" | redis-cli -s "$REDIS_SOCK" --pipe >"$1/fill.log" 2>&1 || {
		cat "$1/fill.log"
		return 1
	}
	grep -q 'errors: 0' "$1/fill.log"
}
bench_state_down() { redis_stop; }

bench_conf() { # DIR
	cat >"$1/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_SOCK
[policyd]
listen = unix:$1/policyd.sock
socket_mode = 0666
user = nobody
[milter]
listen = unix:$1/milter.sock
socket_mode = 0666
user = nobody
CONF
	chmod 644 "$1/edg.conf"
}

# Wait (up to 600 s: 10 million suppressions take a while) for "state: loaded".
bench_wait_loaded() { # LOG PID
	for _ in $(seq 1 6000); do
		grep -q 'state: loaded' "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

bench_policyd_up() {
	bench_conf "$1"
	: >"$1/policyd.log" # a "state: loaded" of an earlier size must not count
	"$B/edg-policyd" -f -c "$1/edg.conf" 2>>"$1/policyd.log" &
	PD_PID=$!
	bench_wait_loaded "$1/policyd.log" "$PD_PID"
}

bench_milter_up() {
	bench_conf "$1"
	: >"$1/milter.log"
	"$B/edg-milter" -f -c "$1/edg.conf" 2>>"$1/milter.log" &
	MILTER_PID=$!
	bench_wait_loaded "$1/milter.log" "$MILTER_PID"
}

bench_noop_up() {
	"$BB/noop_policy" "$1/noop_policy.sock" 2>>"$1/noop.log" &
	NOOP_POLICY_PID=$!
	"$B/tests/noop_milter" "unix:$1/noop.sock" 2>>"$1/noop.log" &
	NOOP_PID=$!
	for _ in $(seq 1 50); do
		[ -S "$1/noop.sock" ] && [ -S "$1/noop_policy.sock" ] && chmod 666 "$1/noop.sock" && return 0
		sleep 0.1
	done
	return 1
}

# CPU seconds (user + system) a process has used so far.
bench_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"
}

# ---- CPU time of the gateway, from /proc (cgroup CPU accounting stays 0 on this VM).
# Results in variables, not on stdout: these run next to the measurements' timestamps and
# must not fork. Microseconds.
#
#   bench_task_us PID          BENCH_US: CPU time of the thread PID (/proc/PID/schedstat,
#                              nanoseconds): a single-threaded process's whole time
#   bench_stat_us PID          BENCH_OWN_US: utime + stime of process PID, every thread,
#                              live or exited; BENCH_REAPED_US: cutime + cstime, the
#                              children it has waited for (/proc/PID/stat, clock ticks)
#   bench_postfix_us           BENCH_US: the private Postfix ($PF_DIR): master, its reaped
#                              children and every live child (smtpd, cleanup, qmgr, smtp,
#                              trivial-rewrite, postlogd, anvil, scache ...)
#   bench_gateway_us           BENCH_GW_POSTFIX, BENCH_GW_DAEMONS (edg-policyd, edg-milter,
#                              noop_milter, noop_policy), BENCH_GW_SINK (smtp-sink)
#   bench_stat_ticks           BENCH_STAT_BUSY, BENCH_STAT_ALL: /proc/stat, every CPU,
#                              jiffies not idle (steal counts as busy) and all of them
#
# Each of 50 or so Postfix processes would be off by up to two clock ticks (10 ms each)
# in /proc/PID/stat, where utime and stime are rounded down apart; Postfix's processes
# have one thread, so their schedstat is their whole time, to the nanosecond. The
# daemons have threads that come and go (libmilter: one a connection): /proc/PID/stat.
# Both count the same time (tick accounting scales utime + stime to the run time).
BENCH_HZ=$(getconf CLK_TCK)

bench_task_us() { # PID
	local ns
	BENCH_US=0
	[ -n "$1" ] || return 0
	{ read -r ns _ <"/proc/$1/schedstat"; } 2>/dev/null || return 0
	BENCH_US=$((ns / 1000))
}

bench_stat_us() { # PID
	local stat field
	BENCH_OWN_US=0 BENCH_REAPED_US=0
	[ -n "$1" ] || return 0
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
	# After "pid (comm) ": state ppid ... utime (12th) stime cutime cstime.
	read -r -a field <<<"${stat##*) }"
	BENCH_OWN_US=$(((field[11] + field[12]) * 1000000 / BENCH_HZ))
	BENCH_REAPED_US=$(((field[13] + field[14]) * 1000000 / BENCH_HZ))
}

# Children first, then the master: a child reaped in between would count twice (live and
# in cutime), so the master is read before and after and the children read again if its
# reaped figure moved. Called when the queue is empty, when hardly anything exits.
bench_postfix_us() {
	local master children child live before
	BENCH_US=0
	{ read -r master <"$PF_DIR/queue/pid/master.pid"; } 2>/dev/null || return 1
	for _ in 1 2 3 4 5; do
		bench_stat_us "$master"
		before=$BENCH_REAPED_US
		children=()
		{ read -r -a children <"/proc/$master/task/$master/children"; } 2>/dev/null
		live=0
		for child in "${children[@]}"; do
			bench_task_us "$child"
			live=$((live + BENCH_US))
		done
		bench_stat_us "$master"
		[ "$BENCH_REAPED_US" -eq "$before" ] && break
	done
	bench_task_us "$master"
	BENCH_US=$((BENCH_US + BENCH_REAPED_US + live))
}

bench_gateway_us() {
	local pid
	bench_postfix_us
	BENCH_GW_POSTFIX=$BENCH_US
	BENCH_GW_DAEMONS=0
	for pid in "${PD_PID:-}" "${MILTER_PID:-}" "${NOOP_PID:-}" "${NOOP_POLICY_PID:-}"; do
		bench_stat_us "$pid"
		BENCH_GW_DAEMONS=$((BENCH_GW_DAEMONS + BENCH_OWN_US))
	done
	bench_task_us "${SINK_PID:-}"
	BENCH_GW_SINK=$BENCH_US
}

bench_stat_ticks() {
	local user nice system idle iowait irq softirq steal
	read -r _ user nice system idle iowait irq softirq steal _ </proc/stat
	BENCH_STAT_BUSY=$((user + nice + system + irq + softirq + steal))
	BENCH_STAT_ALL=$((BENCH_STAT_BUSY + idle + iowait))
}

# BENCH_CHILD_MS: CPU milliseconds (user + system) of this shell's reaped children, from
# the builtin times (getrusage; to the millisecond) written to a file: $(times) would run
# in a new subshell, whose children have used nothing.
bench_child_ms() {
	local user sys
	times >"$PF_DIR/times"
	{ read -r _; read -r user sys; } <"$PF_DIR/times"
	bench_ms "$user"
	BENCH_CHILD_MS=$BENCH_MS
	bench_ms "$sys"
	BENCH_CHILD_MS=$((BENCH_CHILD_MS + BENCH_MS))
}
bench_ms() { # 1m2.345s -> BENCH_MS=62345
	local t=${1%s} sec
	sec=${t#*m}
	BENCH_MS=$((10#${t%%m*} * 60000 + 10#${sec%%[!0-9]*} * 1000 + 10#${sec##*[!0-9]}))
}

bench_stop_pid() {
	[ -n "${1:-}" ] || return 0
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

bench_daemons_down() {
	bench_stop_pid "${PD_PID:-}"
	bench_stop_pid "${MILTER_PID:-}"
	bench_stop_pid "${NOOP_PID:-}"
	bench_stop_pid "${NOOP_POLICY_PID:-}"
	PD_PID='' MILTER_PID='' NOOP_PID='' NOOP_POLICY_PID=''
}

# lmdb, not cdb: postmap cdb of 10 million keys ran for over 4 minutes and had written
# about a third of the file when it was stopped (not investigated further); lmdb takes
# about 90 s for 10 million keys given in order, as state_fill writes them.
# ---- Postfix: one instance, one smtpd per configuration (a..g), one queue, one sink.
#
#   bench_postfix_up DIR N       postmap the lmdb tables of N suppressions, start smtp-sink
#                                and a private Postfix with smtpd on ports PF_PORT_a..g
#   bench_postfix_down
#   bench_postfix_send CONF MSGS MSGS messages through configuration CONF's smtpd; prints
#                                "seconds gateway_cpu postfix_cpu daemons_cpu sink_cpu
#                                source_cpu busy source_seconds": seconds from the first
#                                connection to an empty queue, the CPU seconds used
#                                meanwhile (gateway = Postfix + daemons; sink: smtp-sink;
#                                source: smtp-source), the share of all CPUs busy
#                                (/proc/stat), and the seconds smtp-source ran
#   bench_wait_empty SECONDS     until the queue is empty; BENCH_EMPTY_US: when it was seen
#
#   a  plain Postfix                  d  check_policy_service edg-policyd
#   b  lmdb: access tables, same data e  smtpd_milters edg-milter
#   c  smtpd_milters noop_milter      f  edg-policyd and edg-milter
#   g  check_policy_service noop_policy (the floor of a policy hop)
BENCH_CONFS=${BENCH_CONFS:-"a b c d e f g"}
BENCH_SESSIONS=${BENCH_SESSIONS:-20}
BENCH_MSG_BYTES=${BENCH_MSG_BYTES:-2000}
# Postfix's inflow control (in_flow_delay, default 1s): when messages arrive faster than
# the queue manager delivers them, cleanup waits up to a second for a token from qmgr. The
# bench's load always outruns delivery in bursts, so some measurements got one or more
# such waits and some none: 0.4 s against 1.3 s for the same 500 messages, the CPUs idle
# half of the time. 0 switches it off; 1s measures as Postfix ships.
BENCH_IN_FLOW_DELAY=${BENCH_IN_FLOW_DELAY:-0}

bench_postfix_tables() { # DIR N
	"$BB/state_fill" postmap-senders >"$1/senders"
	"$BB/state_fill" postmap-sup "$2" >"$1/sup"
	postmap -c "$1/pf/etc" lmdb:"$1/senders" && postmap -c "$1/pf/etc" lmdb:"$1/sup" && rm -f "$1/sup"
}

bench_postfix_up() { # DIR N
	local d=$1 conf port restrictions milters
	SINK_PORT=$(free_port)
	smtp-sink -u postfix "127.0.0.1:$SINK_PORT" 256 >"$d/sink.log" 2>&1 &
	SINK_PID=$!
	PF_PORT_a=$(free_port)
	postfix_setup "$d/pf" "$PF_PORT_a" "$SINK_PORT"
	bench_postfix_tables "$d" "$2" || return 1
	postfix_conf "milter_protocol = 6" "milter_default_action = tempfail" \
		"bench_native = check_recipient_access lmdb:$d/sup, check_sender_access lmdb:$d/senders, reject" \
		"bench_policyd = check_policy_service unix:$d/policyd.sock" \
		"bench_noop = unix:$d/noop.sock" "bench_edg = unix:$d/milter.sock" \
		"bench_noop_policy = check_policy_service unix:$d/noop_policy.sock" \
		"smtpd_recipient_restrictions =" "smtpd_milters =" "alias_maps =" \
		"in_flow_delay = $BENCH_IN_FLOW_DELAY"
	postconf -c "$d/pf/etc" -M# "127.0.0.1:$PF_PORT_a/inet"
	for conf in $BENCH_CONFS; do
		# shellcheck disable=SC2016 # $bench_*: main.cf parameters, expanded by Postfix
		case $conf in
		a) restrictions='' milters='' ;;
		b) restrictions='$bench_native' milters='' ;;
		c) restrictions='' milters='$bench_noop' ;;
		d) restrictions='$bench_policyd' milters='' ;;
		e) restrictions='' milters='$bench_edg' ;;
		f) restrictions='$bench_policyd' milters='$bench_edg' ;;
		g) restrictions='$bench_noop_policy' milters='' ;;
		esac
		[ "$conf" = a ] && port=$PF_PORT_a || port=$(free_port)
		eval "PF_PORT_$conf=$port"
		postconf -c "$d/pf/etc" -M "127.0.0.1:$port/inet=127.0.0.1:$port inet n - n - - smtpd -o smtpd_recipient_restrictions=$restrictions -o smtpd_milters=$milters"
	done
	postfix_start
}

bench_postfix_down() {
	postfix_stop
	bench_stop_pid "${SINK_PID:-}"
	SINK_PID=
}

# Every 2 ms, without forking (a glob; read -t on a FIFO nobody writes to), so that the end
# of a measurement is known to 2 ms: postfix_wait_empty (the tests') runs find and sleeps
# 0.1 s. The default queue layout: only deferred/ (and defer/) hashed, one level.
bench_wait_empty() { # SECONDS
	local q=$PF_DIR/queue deadline now tick files rc=1 nullglob=
	[ -p "$PF_DIR/tick" ] || mkfifo "$PF_DIR/tick" || return 1
	exec {tick}<>"$PF_DIR/tick"
	shopt -q nullglob && nullglob=1
	shopt -s nullglob
	deadline=$((${EPOCHREALTIME//[!0-9]/} + $1 * 1000000))
	while :; do
		now=${EPOCHREALTIME//[!0-9]/}
		files=("$q"/incoming/* "$q"/active/* "$q"/deferred/*/* "$q"/maildrop/*)
		[ "${#files[@]}" -eq 0 ] && { BENCH_EMPTY_US=$now; rc=0; break; }
		[ "$now" -lt "$deadline" ] || break
		read -r -t 0.002 -u "$tick" _
	done
	[ -n "$nullglob" ] || shopt -u nullglob
	exec {tick}<&-
	return $rc
}

bench_postfix_send() { # CONF MSGS
	local port t0 t_src pf0 dm0 sink0 busy0 all0 src0 src_ms
	eval "port=\$PF_PORT_$1"
	bench_gateway_us
	pf0=$BENCH_GW_POSTFIX dm0=$BENCH_GW_DAEMONS sink0=$BENCH_GW_SINK
	bench_child_ms
	src0=$BENCH_CHILD_MS
	bench_stat_ticks
	busy0=$BENCH_STAT_BUSY all0=$BENCH_STAT_ALL
	t0=${EPOCHREALTIME//[!0-9]/}
	smtp-source -s "$BENCH_SESSIONS" -m "$2" -l "$BENCH_MSG_BYTES" -f app@example.com \
		-t rcpt@example.net "127.0.0.1:$port" || return 1
	t_src=${EPOCHREALTIME//[!0-9]/}
	bench_child_ms
	src_ms=$((BENCH_CHILD_MS - src0))
	bench_wait_empty 120 || return 1
	bench_stat_ticks
	bench_gateway_us
	awk -v us=$((BENCH_EMPTY_US - t0)) -v src_ms="$src_ms" \
		-v pf=$((BENCH_GW_POSTFIX - pf0)) -v dm=$((BENCH_GW_DAEMONS - dm0)) \
		-v sink=$((BENCH_GW_SINK - sink0)) -v busy=$((BENCH_STAT_BUSY - busy0)) \
		-v all=$((BENCH_STAT_ALL - all0)) -v src_us=$((t_src - t0)) 'BEGIN {
		printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", us / 1e6, (pf + dm) / 1e6, pf / 1e6,
			dm / 1e6, sink / 1e6, src_ms / 1000, (all > 0 ? busy / all : 0), src_us / 1e6 }'
}
