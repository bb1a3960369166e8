# postfix.sh - a private Postfix instance and an SMTP sink for one test (sourced).
#
#   postfix_setup DIR SMTP_PORT RELAY_PORT   write DIR/etc/{main,master}.cf: smtpd on
#                                            127.0.0.1:SMTP_PORT, everything relayed to
#                                            [127.0.0.1]:RELAY_PORT, chroot off, own queue
#   postfix_conf NAME=VALUE...               postconf -e on the private instance
#   postfix_start / postfix_stop / postfix_flush
#   postfix_log                              the instance's log (maillog_file)
#   postfix_wait_empty [SECONDS]             until the queue is empty
#   sink_start DIR PORT                      smtp-sink storing each message in DIR
#   sink_stop
#   sink_count                               messages stored
#
# Nothing touches /etc/postfix or the system's queue: every command names -c DIR/etc.
PF_DIR=
postfix_setup() {
	PF_DIR=$1
	mkdir -p "$PF_DIR/etc" "$PF_DIR/queue" "$PF_DIR/data"
	chown postfix "$PF_DIR/data"
	chmod 755 "$PF_DIR" "$(dirname "$PF_DIR")"
	cp /etc/postfix/master.cf "$PF_DIR/etc/master.cf"
	cat >"$PF_DIR/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = edg-test.localdomain
mydomain = localdomain
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_transport = error:local delivery is disabled
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$3
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_authorized_xclient_hosts = 127.0.0.0/8
maillog_file_prefixes = $PF_DIR
maillog_file = $PF_DIR/maillog
biff = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
delay_warning_time = 0
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
smtp_connect_timeout = 5s
CF
	# Our own smtpd port, no chroot anywhere, postlog for maillog_file.
	postconf -c "$PF_DIR/etc" -M# smtp/inet
	postconf -c "$PF_DIR/etc" -M "127.0.0.1:$2/inet=127.0.0.1:$2 inet n - n - - smtpd"
	sed -i -E 's/^([a-z0-9.:]+[[:space:]]+(inet|unix|unix-dgram|fifo|pass)[[:space:]]+[-ny][[:space:]]+[-ny][[:space:]]+)[-y]/\1n/' \
		"$PF_DIR/etc/master.cf"
	postconf -c "$PF_DIR/etc" -M postlog/unix-dgram >/dev/null 2>&1 ||
		postconf -c "$PF_DIR/etc" -M "postlog/unix-dgram=postlog unix-dgram n - n - 1 postlogd"
}
postfix_conf() { postconf -c "$PF_DIR/etc" -e "$@"; }
postfix_start() {
	postfix -c "$PF_DIR/etc" check >/dev/null 2>&1
	script -qc "postfix -c $PF_DIR/etc start" /dev/null >"$PF_DIR/start.log" 2>&1 || { cat "$PF_DIR/start.log"; return 1; }
}
postfix_stop() { [ -n "$PF_DIR" ] && postfix -c "$PF_DIR/etc" stop >/dev/null 2>&1; }
postfix_flush() { postqueue -c "$PF_DIR/etc" -f >/dev/null 2>&1; }
postfix_reload() { postfix -c "$PF_DIR/etc" reload >/dev/null 2>&1; }
postfix_log() { cat "$PF_DIR/maillog" 2>/dev/null; }
postfix_queue_count() { find "$PF_DIR/queue/incoming" "$PF_DIR/queue/active" "$PF_DIR/queue/deferred" "$PF_DIR/queue/maildrop" -type f 2>/dev/null | wc -l; }
postfix_wait_empty() {
	for _ in $(seq 1 $((${1:-20} * 10))); do
		[ "$(postfix_queue_count)" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}
SINK_PID=
sink_start() {
	SINK_DIR=$1
	mkdir -p "$SINK_DIR"
	chown postfix "$SINK_DIR"
	# -d: one file per transaction (envelope and message), in the sink's directory.
	(cd "$SINK_DIR" && exec smtp-sink -u postfix -d "%H%M%S." "127.0.0.1:$2" 100) &
	SINK_PID=$!
	for _ in $(seq 1 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $2), 1)" 2>/dev/null && return 0
		sleep 0.1
	done
}
sink_stop() { [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null; SINK_PID=; }
sink_count() { find "$SINK_DIR" -type f | wc -l; }
sink_messages() { find "$SINK_DIR" -type f -print0 | xargs -0 -r cat; }
