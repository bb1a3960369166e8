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
#   bench_now                    seconds since the epoch, to the nanosecond
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

bench_now() { date +%s.%N; }

bench_median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
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
	PD_PID= MILTER_PID= NOOP_PID= NOOP_POLICY_PID=
}

# lmdb, not cdb: postmap cdb of 10 million keys ran for over 4 minutes and had written
# about a third of the file when it was stopped (not investigated further); lmdb takes
# about 90 s for 10 million keys given in order, as state_fill writes them.
# ---- Postfix: one instance, one smtpd per configuration (a..f), one queue, one sink.
#
#   bench_postfix_up DIR N       postmap the lmdb tables of N suppressions, start smtp-sink
#                                and a private Postfix with smtpd on ports PF_PORT_a..f
#   bench_postfix_down
#   bench_postfix_send CONF MSGS seconds from the first connection to an empty queue for
#                                MSGS messages through configuration CONF's smtpd
#
#   a  plain Postfix                  d  check_policy_service edg-policyd
#   b  lmdb: access tables, same data e  smtpd_milters edg-milter
#   c  smtpd_milters noop_milter      f  edg-policyd and edg-milter
#   g  check_policy_service noop_policy (the floor of a policy hop)
BENCH_CONFS=${BENCH_CONFS:-"a b c d e f g"}
BENCH_SESSIONS=${BENCH_SESSIONS:-20}
BENCH_MSG_BYTES=${BENCH_MSG_BYTES:-2000}

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
		"smtpd_recipient_restrictions =" "smtpd_milters =" "alias_maps ="
	postconf -c "$d/pf/etc" -M# "127.0.0.1:$PF_PORT_a/inet"
	for conf in $BENCH_CONFS; do
		case $conf in
		a) restrictions= milters= ;;
		b) restrictions='$bench_native' milters= ;;
		c) restrictions= milters='$bench_noop' ;;
		d) restrictions='$bench_policyd' milters= ;;
		e) restrictions= milters='$bench_edg' ;;
		f) restrictions='$bench_policyd' milters='$bench_edg' ;;
		g) restrictions='$bench_noop_policy' milters= ;;
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

bench_postfix_send() { # CONF MSGS
	local port t0 t1
	eval "port=\$PF_PORT_$1"
	t0=$(bench_now)
	smtp-source -s "$BENCH_SESSIONS" -m "$2" -l "$BENCH_MSG_BYTES" -f app@example.com \
		-t rcpt@example.net "127.0.0.1:$port" || return 1
	postfix_wait_empty 120 || return 1
	t1=$(bench_now)
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}
