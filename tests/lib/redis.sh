# redis.sh - a throwaway redis-server for one test script (sourced, not run).
#
#   redis_start DIR [PORT]   start on a unix socket DIR/redis.sock (and on 127.0.0.1:PORT
#                            when given); sets REDIS_SOCK, REDIS_PID, REDIS_DIR
#   redis_stop               SHUTDOWN NOSAVE and wait for the process to go
#   redis_cli ARGS...        redis-cli on the test server
#   REDIS_EXTRA_ARGS         more redis-server options (e.g. an RDB file to load)
#   REDIS_PASS               when set before redis_start: the server requires it (and
#                            redis_cli sends it); REDIS_URL_AUTH is then ":PASS@" for URLs
#   free_port                print a free TCP port on 127.0.0.1
#
# Nothing touches the system's Redis. The server saves nothing to disk.
redis_start() {
	REDIS_DIR=$1
	REDIS_PORT=${2:-0}
	REDIS_SOCK=$REDIS_DIR/redis.sock
	mkdir -p "$REDIS_DIR"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --unixsocket "$REDIS_SOCK" \
		--unixsocketperm "${REDIS_SOCK_PERM:-700}" --dir "$REDIS_DIR" --save '' --appendonly no \
		--daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
		--lazyfree-lazy-user-del yes --latency-monitor-threshold 1 \
		${REDIS_PASS:+--requirepass "$REDIS_PASS"} ${REDIS_EXTRA_ARGS:-} >/dev/null
	REDIS_URL_AUTH=${REDIS_PASS:+:$REDIS_PASS@}
	for _ in $(seq 1 100); do
		[ -S "$REDIS_SOCK" ] && redis_cli ping 2>/dev/null | grep -q PONG && break
		sleep 0.05
	done
	REDIS_PID=$(cat "$REDIS_DIR/redis.pid")
}
redis_cli() { redis-cli -s "$REDIS_SOCK" ${REDIS_PASS:+-a "$REDIS_PASS" --no-auth-warning} "$@"; }
redis_stop() {
	[ -n "${REDIS_PID:-}" ] || return 0
	redis_cli shutdown nosave >/dev/null 2>&1 || kill "$REDIS_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$REDIS_PID" 2>/dev/null || break
		sleep 0.05
	done
	REDIS_PID=
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Redis Sentinel on loopback (for redis+sentinel:// URLs): data nodes on TCP only, and
# sentinels watching them. Every process is daemonized with its pid file in its DIR.
#
#   redis_node_start DIR PORT [PRIMARY_PORT]   a data node on 127.0.0.1:PORT, a replica of
#                                              127.0.0.1:PRIMARY_PORT when given; with
#                                              REDIS_PASS it requires it and uses it upstream
#   redis_node_cli PORT ARGS...                redis-cli on a data node
#   redis_node_role PORT                       "master", "slave" or "" (no answer)
#   sentinel_start DIR PORT PRIMARY_PORT       a sentinel watching 127.0.0.1:PRIMARY_PORT as
#                                              $SENTINEL_NAME (default edgmaster), quorum 2,
#                                              down after 1 s, failover timeout 5 s; with
#                                              SENTINEL_PASS it requires it (and uses it
#                                              with its peers)
#   sentinel_cli PORT ARGS...                  redis-cli on a sentinel
#   sentinel_master_port PORT                  the master's port that sentinel names
#   sentinel_wait_ready PORT SENTINELS REPLICAS [SECONDS]
#                                              until that sentinel knows that many other
#                                              sentinels and replicas
#   pid_stop DIR [SIGNAL]                      end the process of DIR/*.pid and wait for it
: "${SENTINEL_NAME:=edgmaster}"
redis_node_start() {
	mkdir -p "$1"
	redis-server --port "$2" --bind 127.0.0.1 --dir "$1" --save '' --appendonly no \
		--daemonize yes --pidfile "$1/redis.pid" --logfile "$1/redis.log" \
		${REDIS_PASS:+--requirepass "$REDIS_PASS" --masterauth "$REDIS_PASS"} \
		${3:+--replicaof 127.0.0.1 "$3"} ${REDIS_EXTRA_ARGS:-} >/dev/null
	for _ in $(seq 1 100); do
		redis_node_cli "$2" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	return 1
}
redis_node_cli() {
	_port=$1
	shift
	redis-cli -h 127.0.0.1 -p "$_port" ${REDIS_PASS:+-a "$REDIS_PASS" --no-auth-warning} "$@"
}
redis_node_role() { redis_node_cli "$1" ROLE 2>/dev/null | head -n 1; }
sentinel_start() {
	mkdir -p "$1"
	# Sentinel rewrites its configuration file: each gets its own.
	cat >"$1/sentinel.conf" <<SENTINEL
port $2
bind 127.0.0.1
daemonize yes
pidfile $1/sentinel.pid
logfile $1/sentinel.log
dir $1
sentinel monitor $SENTINEL_NAME 127.0.0.1 $3 2
sentinel down-after-milliseconds $SENTINEL_NAME 1000
sentinel failover-timeout $SENTINEL_NAME 5000
sentinel parallel-syncs $SENTINEL_NAME 1
SENTINEL
	[ -n "${REDIS_PASS:-}" ] && echo "sentinel auth-pass $SENTINEL_NAME $REDIS_PASS" >>"$1/sentinel.conf"
	[ -n "${SENTINEL_PASS:-}" ] && printf 'requirepass %s\nsentinel sentinel-pass %s\n' \
		"$SENTINEL_PASS" "$SENTINEL_PASS" >>"$1/sentinel.conf"
	redis-server "$1/sentinel.conf" --sentinel >/dev/null
	for _ in $(seq 1 100); do
		sentinel_cli "$2" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	return 1
}
sentinel_cli() {
	_port=$1
	shift
	redis-cli -h 127.0.0.1 -p "$_port" ${SENTINEL_PASS:+-a "$SENTINEL_PASS" --no-auth-warning} "$@"
}
sentinel_master_port() {
	sentinel_cli "$1" SENTINEL get-master-addr-by-name "$SENTINEL_NAME" 2>/dev/null | sed -n 2p
}
sentinel_wait_ready() {
	for _ in $(seq 1 $((${4:-20} * 10))); do
		_s=$(sentinel_cli "$1" SENTINEL master "$SENTINEL_NAME" 2>/dev/null |
			awk 'prev == "num-other-sentinels" { s = $0 } prev == "num-slaves" { r = $0 } { prev = $0 } END { print s + 0, r + 0 }')
		[ "$_s" = "$2 $3" ] && return 0
		sleep 0.1
	done
	return 1
}
pid_stop() {
	for _pidfile in "$1"/*.pid; do
		[ -f "$_pidfile" ] || continue
		_pid=$(cat "$_pidfile")
		kill "-${2:-TERM}" "$_pid" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$_pid" 2>/dev/null || break
			sleep 0.05
		done
		rm -f "$_pidfile"
	done
}
