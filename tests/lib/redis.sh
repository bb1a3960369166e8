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
