#!/bin/bash
# milter_transport.sh - edg-milter's transport_maps socketmap ([milter] transport_listen).
#
# The protocol through Postfix's own client (postmap -q) and raw (python), then a
# private Postfix with transport_maps = socketmap:...:transport and non_smtpd_milters:
# a sendmail(1) submission to one suppressed and one other recipient delivers to the
# other and bounces the suppressed one alone, naming the reason.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh
. tests/lib/postfix.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-milter-transport.XXXXXX)
chmod 755 "$T"
MILTER_PID=
cleanup() {
	[ "$TAP_FAILED" -gt 0 ] && sed 's/^/# milter: /' "$T/milter.log" && postfix_log | sed 's/^/# postfix: /'
	postfix_stop
	sink_stop
	[ -n "$MILTER_PID" ] && kill "$MILTER_PID" 2>/dev/null && wait "$MILTER_PID" 2>/dev/null
	redis_stop
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"

SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
REDIS_PASS="redis-canary-$$-Rc8" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
state_init
for s in app@example.com noreply@example.com; do state_sender "$s"; done
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z
state_suppress left@example.net UNSUBSCRIBE 2026-02-03T00:00:00.000Z

write_conf() { # MODE MAX_STALE [MORE [milter] LINES]
	cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[milter]
listen = unix:$T/milter.sock
transport_listen = unix:$T/transport.sock
socket_mode = 0666
user = nobody
mode = $1
max_stale = $2
${3:-}
CONF
	chmod 644 "$T/edg.conf"
}
write_conf enforce 1h
"$B/edg-milter" -f -c "$T/edg.conf" 2>>"$T/milter.log" &
MILTER_PID=$!
for _ in $(seq 1 50); do
	[ -S "$T/transport.sock" ] && grep -q 'state: loaded' "$T/milter.log" && break
	sleep 0.1
done
expect_eq "transport socket: mode 0666, owner nobody" "666 nobody" "$(stat -c '%a %U' "$T/transport.sock")"

sink_start "$T/sink" "$SINK_PORT"
postfix_setup "$T/pf" "$SMTP_PORT" "$SINK_PORT"
postfix_conf "transport_maps = socketmap:unix:$T/transport.sock:transport" \
	"non_smtpd_milters = unix:$T/milter.sock" "milter_default_action = tempfail"
MAP="socketmap:unix:$T/transport.sock:transport"
q() { postmap -c "$T/pf/etc" -q "$1" "$MAP" 2>&1; }

expect_eq "postmap: suppressed address -> error transport with reason" \
	"error:5.1.1 <gone@example.net> is suppressed by OCI Email Delivery (HARDBOUNCE since 2026-01-02); mail to it would be dropped without a bounce" \
	"$(q gone@example.net)"
expect_match "postmap: upper case finds it too" '^error:5.1.1 <gone@example.net>' "$(q Gone@EXAMPLE.net)"
expect_eq "postmap: other address -> not found" "" "$(q alice@example.net)"
expect_eq "postmap: a domain -> not found" "" "$(q example.net)"

raw() { # send raw bytes, print what comes back within 1 s
	python3 - "$T/transport.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(1)
s.sendall(sys.argv[2].encode().decode('unicode_escape').encode('latin-1'))
out = b""
try:
    while True:
        b = s.recv(4096)
        if not b: out += b"<closed>"; break
        out += b
except socket.timeout:
    pass
print(out.decode('latin-1'))
PY
}
expect_eq "raw: two pipelined requests answered in order" \
	"9:NOTFOUND ,9:NOTFOUND ," "$(raw '21:transport example.net,25:transport bob@example.org,')"
expect_eq "raw: another map name -> PERM" \
	"44:PERM edg answers only the map name transport," "$(raw '13:aliases a@b.c,')"
expect_eq "raw: malformed netstring closes the connection" "<closed>" "$(raw '2:xy!')"
expect_eq "raw: oversized request closes the connection" "<closed>" "$(raw '99999:')"
expect_eq "raw: NUL closes the connection" "<closed>" "$(raw '13:transport a\x00b,')"

postfix_start || skip_all "Postfix did not start"
sleep 1
printf 'Subject: local-two\nFrom: App <app@example.com>\n\nedg test\n' >"$T/l.eml"
sendmail -C "$T/pf/etc" -f app@example.com alice@example.net gone@example.net <"$T/l.eml"
postfix_wait_empty 20
expect_eq "sendmail(1): the other recipient delivered" 1 "$(sink_messages | grep -c '^X-Rcpt-Args: <alice@example.net>')"
expect_eq "sendmail(1): the suppressed one never relayed" 0 "$(sink_messages | grep -c '^X-Rcpt-Args: <gone@example.net>')"
bounce=$(grep -l '^Subject: Undelivered Mail Returned to Sender' "$SINK_DIR"/* 2>/dev/null | head -1 | xargs -r cat)
expect_match "bounce goes to the sender" '^X-Rcpt-Args: <app@example.com>' "$bounce"
expect_match "bounce names the suppressed recipient, status 5.1.1" '^Final-Recipient: rfc822; gone@example.net' "$bounce"
expect_eq "bounce names only it" 1 "$(printf '%s\n' "$bounce" | grep -c '^Final-Recipient:')"
expect_match "bounce gives the OCI reason and date" \
	'Diagnostic-Code: X-Postfix; <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\)' \
	"$(printf '%s\n' "$bounce" | tr -s ' \n' '  ')"
expect_match "milter log: left to transport_maps" 'RCPT \(local, bounced by transport_maps\)' "$(cat "$T/milter.log")"
expect_match "milter log: the bounce" 'transport: bounce rcpt=<gone@example.net> reason=recipient-suppressed' "$(cat "$T/milter.log")"

# Monitor mode: nothing bounced, logged.
write_conf monitor 1h
kill -USR1 "$MILTER_PID"
sleep 0.5
expect_eq "monitor: suppressed address not found" "" "$(q left@example.net)"
expect_match "monitor: would bounce logged" 'transport: would bounce \(monitor\) rcpt=<left@example.net>' "$(cat "$T/milter.log")"

# suppressed_reply: its DSN in the error transport; a 4xx reply is a TEMP (Postfix defers).
write_conf enforce 1h "suppressed_reply = UNSUBSCRIBE 550 5.7.1
suppressed_reply = HARDBOUNCE 450 4.2.1"
kill -USR1 "$MILTER_PID"
sleep 0.5
expect_match "suppressed_reply: UNSUBSCRIBE -> error:5.7.1" '^error:5.7.1 <left@example.net> is suppressed.*UNSUBSCRIBE' "$(q left@example.net)"
expect_match "suppressed_reply: HARDBOUNCE 450 -> TEMP" '^[0-9]+:TEMP <gone@example.net> is suppressed.*HARDBOUNCE' \
	"$(raw '26:transport gone@example.net,')"

# Redis away beyond max_stale: TEMP, Postfix defers the recipient.
write_conf enforce 2s
kill -USR1 "$MILTER_PID"
sleep 0.5
redis_stop
sleep 3
expect_match "Redis down beyond max_stale: TEMP" '^[0-9]+:TEMP sender and recipient checks temporarily unavailable' \
	"$(raw '27:transport alice@example.net,')"
expect_eq "still serving after all of it" 0 "$(kill -0 "$MILTER_PID" 2>/dev/null; echo $?)"
expect_eq "no sanitizer report from the milter (SANITIZE builds)" "" "$(grep -E 'Sanitizer|runtime error' "$T/milter.log")"
done_testing
