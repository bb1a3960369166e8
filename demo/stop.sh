#!/bin/bash
# stop.sh - stop what demo/demo.sh started (everything is recorded under DEMO_DIR).
#
#   bash demo/stop.sh
#
# Stops the private Postfix instance, the processes listed in DEMO_DIR/pids (emulators,
# edg daemons, the application's mailbox sink) and the demo's Redis, then removes
# DEMO_DIR. Only what the demo recorded is stopped; nothing is looked up by name.
set -u
D=${DEMO_DIR:-/tmp/edg-demo}
if [ ! -d "$D" ]; then
	echo "No demo running (no $D)."
	exit 0
fi
master=
if [ -s "$D/postfix-dir" ] && [ -f "$(cat "$D/postfix-dir")/etc/main.cf" ]; then
	master=$(tr -d ' ' <"$(cat "$D/postfix-dir")/queue/pid/master.pid" 2>/dev/null)
	postfix -c "$(cat "$D/postfix-dir")/etc" stop >/dev/null 2>&1
fi
[ -n "$master" ] && echo "$master" >>"$D/pids" # waited for below, like the others
if [ -f "$D/pids" ]; then
	while read -r pid; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done <"$D/pids"
fi
if [ -s "$D/redis-sock" ]; then
	redis-cli -s "$(cat "$D/redis-sock")" shutdown nosave >/dev/null 2>&1
fi
if [ -f "$D/pids" ]; then
	for _ in $(seq 1 50); do
		alive=0
		while read -r pid; do
			case "$(ps -o stat= -p "$pid" 2>/dev/null)" in "" | Z*) ;; *) alive=1 ;; esac
		done <"$D/pids"
		[ "$alive" -eq 0 ] && break
		sleep 0.1
	done
fi
rm -rf "$D"
echo "Demo stopped."
