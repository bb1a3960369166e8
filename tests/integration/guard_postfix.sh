#!/bin/bash
# guard_postfix.sh - edg-policyd's guards behind a real, private Postfix, driven by swaks.
#
# Two smtpd services of one Postfix ask two edg-policyd processes that share one
# Redis. Checks what swaks sees (Postfix's replies) and what reaches the smtp-sink:
# allow-listed recipients pass and others are refused; with redirect_to the
# catch-all gets the message; a per-login limit of 5/1m lets 5 recipients of one
# message through and defers the 6th with 451 4.7.1, which the client sends again
# once the sliding window has passed and which is then relayed (about a minute of
# waiting); the counters are shared (3 through one service, 2 through the other,
# the next refused); nothing accepted is lost and nothing refused is relayed.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh
. tests/lib/postfix.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-guard-postfix.XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
	[ "$TAP_FAILED" -gt 0 ] && sed 's/^/# policyd: /' "$T"/*.log
	postfix_stop
	sink_stop
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	redis_stop
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix"

SMTP_PORT=$(free_port)
SMTP_PORT2=$(free_port)
SINK_PORT=$(free_port)
REDIS_PASS="redis-canary-$$-Rc5" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
state_init
for s in app@example.com billing@example.com batch@example.com; do state_sender "$s"; done

write_conf() { # NAME [GUARD-LINE...]
	local name=$1
	shift
	{
		printf '[oci]\nregion = us-ashburn-1\n[redis]\nurl = unix://%s%s\n' "$REDIS_URL_AUTH" "$REDIS_SOCK"
		printf '[policyd]\nlisten = unix:%s/%s.sock\nsocket_mode = 0666\nuser = nobody\n' "$T" "$name"
		printf '[guard]\nallow_recipients = @example.net qa@example.com\n'
		printf 'limit = sasl:billing-app 5/1m\nlimit = sasl:batch-job 5/1m\n'
		printf '%s\n' "$@"
	} >"$T/$name.conf"
	chmod 644 "$T/$name.conf"
}
write_conf one
write_conf two
for name in one two; do
	"$B/edg-policyd" -f -c "$T/$name.conf" 2>>"$T/$name.log" &
	PIDS+=($!)
	eval "PID_$name=$!"
done

sink_start "$T/sink" "$SINK_PORT"
postfix_setup "$T/pf" "$SMTP_PORT" "$SINK_PORT"
postfix_conf "smtpd_recipient_restrictions = check_policy_service unix:$T/one.sock"
printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_recipient_restrictions=check_policy_service,unix:%s/two.sock\n' \
	"$SMTP_PORT2" "$T" >>"$T/pf/etc/master.cf"
postfix_start || skip_all "Postfix did not start"
sleep 1

send() { # PORT SWAKS-ARGS...
	local port=$1
	shift
	swaks --server "127.0.0.1:$port" --timeout 20 --body "edg guard test" "$@" 2>&1
}
accepted() { printf '%s\n' "$1" | grep -c '^<- *250 2.1.5'; }
delivered=0

out=$(send "$SMTP_PORT" --from app@example.com --to alice@example.net)
expect_match "allow-listed domain: queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))
out=$(send "$SMTP_PORT" --from app@example.com --to qa@example.com)
expect_match "allow-listed address: queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))
out=$(send "$SMTP_PORT" --from app@example.com --to customer@elsewhere.test)
expect_match "off the allow-list: 550 5.7.1 naming the guard" \
	'<\*\* +550 5.7.1 <customer@elsewhere.test>: Recipient address rejected: <customer@elsewhere.test> is not on this gateway.s recipient allow-list \(edg guard allow_recipients\)' "$out"
out=$(send "$SMTP_PORT2" --from app@example.com --to bob@example.net,stranger@elsewhere.test,qa2@example.com)
expect_eq "mixed: the allow-listed one accepted" 1 "$(accepted "$out")"
expect_eq "mixed: the two others refused" 2 "$(printf '%s\n' "$out" | grep -c '550 5.7.1 .*allow-list')"
expect_match "mixed: the message queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

# Rate limits (sliding windows: no need to start at a minute's beginning).
limited_at=$(date +%s)
rcpts=$(printf 'r%d@example.net,' 1 2 3 4 5 6)
out=$(send "$SMTP_PORT" --from billing@example.com --to "${rcpts%,}" --xclient "LOGIN=billing-app")
expect_eq "login limit 5/1m: 5 recipients accepted" 5 "$(accepted "$out")"
expect_match "the 6th deferred: swaks sees 451 4.7.1" \
	'<\*\* +451 4.7.1 <r6@example.net>: Recipient address rejected: rate limit reached: sasl:billing-app 5/1m \(edg guard\), try again later' "$out"
expect_match "the message queued for the 5" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))
out=$(send "$SMTP_PORT2" --from billing@example.com --to late@example.net --xclient "LOGIN=billing-app")
expect_match "the same login through the other service and daemon: 451 4.7.1" '451 4.7.1 .*sasl:billing-app 5/1m' "$out"
out=$(send "$SMTP_PORT2" --from app@example.com --to other@example.net --xclient "LOGIN=web-app")
expect_match "another login: queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

out=$(send "$SMTP_PORT" --from batch@example.com --to b1@example.net,b2@example.net,b3@example.net --xclient "LOGIN=batch-job")
expect_eq "shared: 3 through the first daemon" 3 "$(accepted "$out")"
delivered=$((delivered + 1))
out=$(send "$SMTP_PORT2" --from batch@example.com --to b4@example.net,b5@example.net,b6@example.net --xclient "LOGIN=batch-job")
expect_eq "shared: 2 through the second daemon" 2 "$(accepted "$out")"
expect_match "shared: the 6th refused by the second daemon" '<\*\* +451 4.7.1 <b6@example.net>: .*sasl:batch-job 5/1m' "$out"
delivered=$((delivered + 1))

# Redirect: a recipient off the list sends the whole message to the catch-all.
write_conf one 'redirect_to = catch@example.net'
kill -HUP "$PID_one"
sleep 0.5
out=$(send "$SMTP_PORT" --from app@example.com --to stranger@elsewhere.test --header "Subject: staging-redirect-$$")
expect_match "redirect_to: accepted" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

# The deferred 6th, sent again by the client once the window has passed over the 5
# (each counts 60 to 61 s): accepted and relayed.
out=$(send "$SMTP_PORT2" --from billing@example.com --to r6@example.net --xclient "LOGIN=billing-app")
expect_match "before the window passed: r6 still deferred" '<\*\* +451 4.7.1 <r6@example.net>' "$out"
wait_s=$((limited_at + 63 - $(date +%s)))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
out=$(send "$SMTP_PORT" --from billing@example.com --to r6@example.net --xclient "LOGIN=billing-app")
expect_match "after the window: the deferred r6 accepted" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

postfix_wait_empty 20
expect_eq "sink received every accepted message" "$delivered" "$(sink_count)"
expect_eq "the catch-all got the redirected message" 1 \
	"$(grep -l "staging-redirect-$$" "$T"/sink/* | xargs grep -l '^X-Rcpt-Args: <catch@example.net>' | wc -l)"
expect_eq "the stranger was never relayed to" 0 "$(sink_messages | grep -c '^X-Rcpt-Args: <stranger@elsewhere.test>')"
expect_eq "refused and deferred recipients never relayed" 0 \
	"$(sink_messages | grep -c '^X-Rcpt-Args: <\(customer@elsewhere.test\|qa2@example.com\|late@example.net\|b6@example.net\)>')"
expect_eq "the 5 of the limited message relayed" 5 "$(sink_messages | grep -c '^X-Rcpt-Args: <r[1-5]@example.net>')"
expect_eq "the deferred 6th relayed once, after the window" 1 "$(sink_messages | grep -c '^X-Rcpt-Args: <r6@example.net>')"
expect_match "Postfix logged the redirect" 'redirect: RCPT from .*<stranger@elsewhere.test>.*catch@example.net' "$(postfix_log)"
expect_eq "queue empty" 0 "$(postfix_queue_count)"
done_testing
