#!/bin/bash
# milter_postfix.sh - edg-milter behind a real, private Postfix, driven by swaks.
#
# Postfix (smtpd_milters, milter_default_action = tempfail) relays everything to an
# smtp-sink that stores each message with its envelope. Checks the SMTP replies the
# client gets, what reaches the sink (the From: header, Reply-To:, X-Original-From:,
# and the envelope sender in X-Mail-Args:), and that nothing accepted is lost when the
# milter is stopped and started again.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh
. tests/lib/postfix.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-milter-postfix.XXXXXX)
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
REDIS_PASS="redis-canary-$$-Rc7" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
state_init
for s in app@example.com noreply@example.com billing@example.com relay@example.com @example.org; do state_sender "$s"; done
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z

cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[milter]
listen = unix:$T/milter.sock
socket_mode = 0666
user = nobody
[rewrite]
rule = header @corp.example noreply@example.com
rule = envelope @host.local noreply@example.com
rule = client 192.0.2.0/24 relay@example.com
[bindings]
enforce = yes
bind = sasl:billing-app billing@example.com
CONF
chmod 644 "$T/edg.conf"

milter_start() {
	"$B/edg-milter" -f -c "$T/edg.conf" 2>>"$T/milter.log" &
	MILTER_PID=$!
	for _ in $(seq 1 50); do
		[ -S "$T/milter.sock" ] && grep -q 'state: loaded' "$T/milter.log" && return 0
		sleep 0.1
	done
}
milter_start

sink_start "$T/sink" "$SINK_PORT"
postfix_setup "$T/pf" "$SMTP_PORT" "$SINK_PORT"
postfix_conf "smtpd_milters = unix:$T/milter.sock" "non_smtpd_milters = unix:$T/milter.sock" \
	"milter_default_action = tempfail" "milter_protocol = 6" "mynetworks = 127.0.0.0/8 192.0.2.0/24"
postfix_start || skip_all "Postfix did not start"
sleep 1

send() { swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --body "edg test" "$@" 2>&1; }
# The stored transaction whose message has Subject: $1.
sink_message() { grep -l -- "^Subject: $1\$" "$SINK_DIR"/* 2>/dev/null | head -1 | xargs -r cat; }
delivered=0

out=$(send --from app@example.com --to alice@example.net --header "Subject: rewrite" \
	--header "From: Alice Smith <alice@corp.example>")
expect_match "unapproved From with a rule: queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

out=$(send --from cron@host.local --to alice@example.net --header "Subject: envelope" \
	--header "From: App <app@example.com>")
expect_match "approved From, envelope sender by rule: queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

out=$(send --from app@example.com --to alice@example.net,gone@example.net,bob@example.org \
	--header "Subject: suppressed" --header "From: App <app@example.com>")
expect_match "suppressed recipient: 550 5.1.1 at RCPT, naming reason and date" \
	'<\*\* +550 5.1.1 <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\)' "$out"
expect_eq "the two others accepted" 2 "$(printf '%s\n' "$out" | grep -c '^<- *250 2.1.5')"
expect_match "and the message queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

out=$(send --from cron@elsewhere.test --to alice@example.net)
expect_match "unapproved envelope sender, no rule: 550 5.7.1 at MAIL" \
	'<\*\* +550 5.7.1 <cron@elsewhere.test> is not an approved sender in OCI Email Delivery \(region us-ashburn-1\)' "$out"

out=$(send --from 'a%b@elsewhere.test' --to alice@example.net)
expect_match "a '%' in the reply reaches the client once (libmilter wants it doubled)" \
	'<\*\* +550 5.7.1 <a%b@elsewhere.test> is not an approved sender' "$out"

out=$(send --from app@example.com --to alice@example.net --header "From: stranger@elsewhere.test")
expect_match "unapproved From, no rule: 550 5.7.1 after DATA" \
	'<\*\* +550 5.7.1 From: <stranger@elsewhere.test> is not an approved sender' "$out"

out=$(send --from app@example.com --to alice@example.net \
	--header "From: $(head -c 70000 /dev/zero | tr '\0' x) <a@corp.example>")
expect_match "70 kB From: refused 550 5.7.1, not a crash" '<\*\* +550 5.7.1 From: header cannot be parsed' "$out"

printf 'Subject: two-from\r\nFrom: Alice <alice@corp.example>\r\nTo: alice@example.net\r\nFrom: bob@corp.example\r\n\r\nedg test\r\n' >"$T/two.eml"
out=$(send --from app@example.com --to alice@example.net --data "@$T/two.eml")
expect_match "two From headers: queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

# The SASL login and client address reach the milter (XCLIENT, like a real AUTH).
out=$(send --from billing@example.com --to alice@example.net --xclient "LOGIN=web-app")
expect_match "binding: other SASL login refused at MAIL" \
	'<\*\* +550 5.7.1 <billing@example.com> is an approved sender, but not for this SASL login' "$out"
out=$(send --from billing@example.com --to alice@example.net --xclient "LOGIN=billing-app" \
	--header "Subject: bound" --header "From: Billing <billing@example.com>")
expect_match "binding: bound SASL login queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))
out=$(send --from app@example.com --to alice@example.net --xclient "ADDR=192.0.2.7" \
	--header "Subject: client-rule" --header "From: Printer <scan@elsewhere.test>")
expect_match "client rule: queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

postfix_wait_empty 20
expect_eq "sink received every accepted message" "$delivered" "$(sink_count)"
m=$(sink_message client-rule)
expect_match "client rule: From rewritten to the network's sender" '^From: Printer <relay@example.com>$' "$m"
expect_match "client rule: envelope too" '^X-Mail-Args: <relay@example.com>' "$m"
m=$(sink_message rewrite)
expect_match "rewritten: envelope sender = new From (X-Mail-Args)" '^X-Mail-Args: <noreply@example.com>' "$m"
expect_match "rewritten: From keeps the name" '^From: Alice Smith <noreply@example.com>$' "$m"
expect_match "rewritten: Reply-To is the original" '^Reply-To: Alice Smith <alice@corp.example>$' "$m"
expect_match "rewritten: X-Original-From is the original" '^X-Original-From: Alice Smith <alice@corp.example>$' "$m"
expect_eq "rewritten: one From" 1 "$(printf '%s\n' "$m" | grep -c '^From:')"
m=$(sink_message envelope)
expect_match "approved From: envelope sender set to it" '^X-Mail-Args: <app@example.com>' "$m"
expect_match "approved From: header untouched" '^From: App <app@example.com>$' "$m"
expect_eq "approved From: nothing added" 0 "$(printf '%s\n' "$m" | grep -c '^\(Reply-To\|X-Original-From\):')"
m=$(sink_message suppressed)
expect_eq "suppressed: alice and bob relayed" 2 "$(printf '%s\n' "$m" | grep -c '^X-Rcpt-Args: <\(alice@example.net\|bob@example.org\)>')"
expect_eq "suppressed: never the suppressed one" 0 "$(sink_messages | grep -c '^X-Rcpt-Args: <gone@example.net>')"
m=$(sink_message two-from)
expect_eq "two From headers: one left" 1 "$(printf '%s\n' "$m" | grep -c '^From:')"
expect_match "two From headers: it is the approved sender" '^From: Alice <noreply@example.com>$' "$m"
expect_match "two From headers: both originals kept" '^X-Original-From: Alice <alice@corp.example>,$' "$m"
expect_eq "Postfix saw no milter protocol trouble" "" "$(postfix_log | grep -i 'warning:.*milter')"

# Local submission through sendmail(1) against the private instance (non_smtpd_milters).
printf 'Subject: local\nFrom: Cron Daemon <cron@corp.example>\n\nedg test\n' >"$T/local.eml"
if MAIL_CONFIG="$T/pf/etc" sendmail -C "$T/pf/etc" -f app@example.com alice@example.net <"$T/local.eml" 2>"$T/sendmail.err"; then
	ok "sendmail(1) -C: submitted to the private instance"
	delivered=$((delivered + 1))
	postfix_wait_empty 20
	m=$(sink_message local)
	expect_match "sendmail(1): From rewritten by non_smtpd_milters" '^From: Cron Daemon <noreply@example.com>$' "$m"
	expect_match "sendmail(1): envelope sender = From" '^X-Mail-Args: <noreply@example.com>' "$m"
else
	not_ok "sendmail(1) -C: submitted to the private instance" "$(cat "$T/sendmail.err")"
fi

# sendmail(1) to a suppressed recipient: Postfix cannot refuse one recipient of a local
# submission, so the milter refuses the message at its end and Postfix bounces it to
# the sender naming recipient and reason (nothing stuck in the maildrop queue).
printf 'Subject: local-suppressed\nFrom: App <app@example.com>\n\nedg test\n' >"$T/local2.eml"
sendmail -C "$T/pf/etc" -f app@example.com alice@example.net gone@example.net <"$T/local2.eml"
postfix_wait_empty 20
delivered=$((delivered + 1)) # the bounce, relayed to the sink
m=$(sink_message 'Undelivered Mail Returned to Sender')
expect_match "sendmail(1), suppressed recipient: bounce to the sender" '^X-Rcpt-Args: <app@example.com>' "$m"
expect_match "sendmail(1), suppressed recipient: bounce names recipient and reason" \
	'<gone@example.net>: <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\)' \
	"$(printf '%s\n' "$m" | tr -s ' \n' '  ')"
expect_eq "sendmail(1), suppressed recipient: never relayed" 0 "$(sink_messages | grep -c '^X-Rcpt-Args: <gone@example.net>')"
expect_eq "sendmail(1): nothing left in maildrop" 0 "$(find "$T/pf/queue/maildrop" -type f | wc -l)"

# Milter stopped: Postfix tempfails (milter_default_action = tempfail); nothing is lost.
kill "$MILTER_PID"
wait "$MILTER_PID"
MILTER_PID=
out=$(send --from app@example.com --to alice@example.net --header "Subject: stopped")
expect_match "milter stopped: 4xx, the client keeps the message" '<\*\* +4[0-9][0-9] 4\.[0-9.]+ ' "$out"
expect_eq "milter stopped: nothing queued" 0 "$(printf '%s\n' "$out" | grep -c 'Ok: queued')"
milter_start
out=$(send --from app@example.com --to alice@example.net --header "Subject: restarted" \
	--header "From: App <app@example.com>")
expect_match "milter back: the retry is queued" '250 2.0.0 Ok: queued' "$out"
delivered=$((delivered + 1))

postfix_wait_empty 20
expect_eq "nothing accepted was lost: sink count = accepted" "$delivered" "$(sink_count)"
expect_eq "queue empty" 0 "$(postfix_queue_count)"
expect_eq "no sanitizer report from the milter (SANITIZE builds)" "" "$(grep -E 'Sanitizer|runtime error' "$T/milter.log")"
done_testing
