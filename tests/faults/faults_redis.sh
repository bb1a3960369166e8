#!/bin/bash
# faults_redis.sh - Redis misbehaving under a running edg-policyd (and edg-syncd's writer).
#
# The reader must keep answering correctly from its last-known-good view and recover by
# itself: Redis restarted with a large dataset (LOADING for seconds), every client
# connection killed at once, Redis turned into a read-only replica. Throughout, mail
# flows through a private Postfix (check_policy_service) to a sink, each message to an
# ordinary and to a suppressed recipient, and at the end every message is counted:
# submitted = delivered + refused + still queued, the suppressed recipient never relayed.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh
. tests/lib/postfix.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-faults-redis.XXXXXX)
chmod 755 "$T"
cleanup() {
	[ -n "${MAILER:-}" ] && kill "$MAILER" 2>/dev/null
	postfix_stop
	sink_stop
	[ -n "${PD_PID:-}" ] && kill "$PD_PID" 2>/dev/null && wait "$PD_PID" 2>/dev/null
	redis_stop
	[ "$TAP_FAILED" -gt 0 ] && sed 's/^/# policyd: /' "$T/policyd.log" | tail -n 40
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"

# A dataset large enough that a restart spends seconds LOADING it.
REDIS_PASS="redis-canary-$$-Rc13" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_EXTRA_ARGS="--enable-debug-command yes --dbfilename dump.rdb" REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
state_init
state_sender app@example.com
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z
redis_cli DEBUG POPULATE 4000000 filler 64 >/dev/null
redis_cli SAVE >/dev/null

cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
connect_timeout = 500ms
command_timeout = 500ms
[policyd]
listen = unix:$T/policyd.sock
socket_mode = 0666
user = nobody
max_stale = 1h
CONF
chmod 644 "$T/edg.conf"
"$B/edg-policyd" -f -c "$T/edg.conf" 2>>"$T/policyd.log" &
PD_PID=$!
ask() { python3 tests/lib/policy_client.py "unix:$T/policyd.sock" "$1" 2>/dev/null | head -n 1; }
SUP=tests/golden/policyd/suppressed.request
OK=tests/golden/policyd/approved.request
for _ in $(seq 1 100); do [ "$(ask $OK)" = "action=DUNNO" ] && break; sleep 0.05; done
expect_eq "ready" "action=DUNNO" "$(ask $OK)"

SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
sink_start "$T/sink" "$SINK_PORT"
postfix_setup "$T/pf" "$SMTP_PORT" "$SINK_PORT"
postfix_conf "smtpd_recipient_restrictions = check_policy_service unix:$T/policyd.sock"
postfix_start || skip_all "Postfix did not start"

# mail_for SECONDS: one message after the other, each to r<N>@example.net and to the
# suppressed gone@example.net; the outcome of each in $T/mail.out ("N queued|refused").
SEQ_FILE=$T/mail.seq
echo 0 >"$SEQ_FILE"
mail_for() {
	end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		n=$(($(cat "$SEQ_FILE") + 1))
		echo "$n" >"$SEQ_FILE"
		out=$(swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --from app@example.com \
			--to "r$n@example.net,gone@example.net" --header "Subject: fault-$n" --body "edg $n" 2>&1)
		if printf '%s' "$out" | grep -q '^<- *250 2.0.0 Ok: queued'; then
			printf '%s' "$out" | grep -q '550 5.1.1 <gone@example.net>' &&
				echo "$n queued" || echo "$n queued-but-suppressed-accepted"
		else
			echo "$n refused"
		fi >>"$T/mail.out"
	done
}

# Answers must stay right at every moment of a fault: sample them while it lasts.
watch_answers() { # SECONDS -> prints the distinct (approved, suppressed) answer pairs
	end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		printf '%s | %s\n' "$(ask $OK)" "$(ask $SUP | cut -c1-20)"
		sleep 0.1
	done | sort -u
}
RIGHT="action=DUNNO | action=550 5.1.1 <go"

# 1. Restart with the large dataset: the follower meets LOADING, retries, reloads.
kill "$REDIS_PID"
for _ in $(seq 1 100); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.05; done
REDIS_EXTRA_ARGS="--enable-debug-command yes --dbfilename dump.rdb" REDIS_SOCK_PERM=777 redis_start "$T/redis" &
STARTER=$!
mail_for 6 &
MAILER=$!
seen=$(watch_answers 6)
wait "$MAILER"
wait "$STARTER"
REDIS_PID=$(cat "$T/redis/redis.pid")
expect_eq "Redis LOADING a large dataset: every answer still right" "$RIGHT" "$seen"
expect_match "Redis answered LOADING meanwhile" 'LOADING|loading' "$(cat "$T/policyd.log")"
state_suppress late@example.net COMPLAINT 2026-04-05T00:00:00.000Z
sed 's/gone@example.net/late@example.net/' $SUP >"$T/late.request"
ok_late=""
for _ in $(seq 1 100); do ask "$T/late.request" | grep -q '550 5.1.1' && { ok_late=1; break; }; sleep 0.1; done
[ -n "$ok_late" ] && ok "after LOADING: new changes followed again" || not_ok "after LOADING: new changes followed again"

# 2. Every client connection killed at once, repeatedly.
(for _ in $(seq 1 20); do redis_cli CLIENT KILL TYPE normal >/dev/null; sleep 0.2; done) &
KILLER=$!
mail_for 4 &
MAILER=$!
seen=$(watch_answers 4)
wait "$MAILER"
wait "$KILLER"
expect_eq "CLIENT KILL of every connection, 20 times: every answer still right" "$RIGHT" "$seen"

# 3. Redis turned into a read-only replica (of nothing reachable): readers keep reading.
redis_cli CONFIG SET replica-read-only yes >/dev/null
redis_cli REPLICAOF 127.0.0.1 1 >/dev/null
mail_for 2 &
MAILER=$!
seen=$(watch_answers 2)
wait "$MAILER"
MAILER=
expect_eq "read-only replica: every answer still right" "$RIGHT" "$seen"
# ... and the operator's tool still reads it.
printf '[oci]\nregion = us-ashburn-1\n[redis]\nurl = unix://%s%s\n' "$REDIS_URL_AUTH" "$REDIS_SOCK" >"$T/w.conf"
out=$("$B/edgctl" -c "$T/w.conf" status --quick 2>&1)
expect_match "edgctl status still reads a read-only Redis" 'generation|Redis' "$out"
redis_cli REPLICAOF NO ONE >/dev/null

# Every message accounted for.
postfix_wait_empty 30
submitted=$(wc -l <"$T/mail.out")
queued=$(grep -c ' queued$' "$T/mail.out")
refused=$(grep -c ' refused$' "$T/mail.out")
delivered=0 lost=""
for n in $(awk '$2 == "queued" { print $1 }' "$T/mail.out"); do
	if sink_messages | grep -q "^Subject: fault-$n[[:space:]]*\$"; then
		delivered=$((delivered + 1))
	else
		lost="$lost fault-$n"
	fi
done
check "mail flowed during the faults ($submitted messages)" test "$submitted" -ge 10
expect_eq "every message's suppressed recipient refused at RCPT, the message kept for the other" \
	0 "$(grep -c 'queued-but-suppressed-accepted' "$T/mail.out")"
expect_eq "accounting: submitted = delivered + refused + queued ($submitted = $delivered + $refused + $(postfix_queue_count))" \
	"$submitted" $((delivered + refused + $(postfix_queue_count)))
expect_eq "every message the client was told queued reached the sink (lost: 0)" "" "$lost"
expect_eq "the suppressed recipient never relayed" 0 "$(sink_messages | grep -c '^X-Rcpt-Args: <gone@example.net>')"
echo "# $submitted submitted: $delivered delivered, $refused refused (4xx or 5xx), $(postfix_queue_count) queued, ${lost:-0} lost"

kill -0 "$PD_PID" && ok "edg-policyd survived it all" || not_ok "edg-policyd survived it all"
kill "$PD_PID"
wait "$PD_PID"
expect_eq "and stops cleanly" 0 $?
PD_PID=
done_testing
