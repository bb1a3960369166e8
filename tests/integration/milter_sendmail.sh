#!/bin/bash
# milter_sendmail.sh - edg-milter behind a real, private Sendmail 8.17, without policyd.
#
# Sendmail cannot be installed beside Postfix (both are mail-transport-agent), so
# tests/lib/sendmail.sh fetches Debian's packages with apt-get download, unpacks them into
# build/sendmail-root and runs them from there with private paths (never /etc/mail or
# /var/spool). The MTA (INPUT_MAIL_FILTER with F=T) relays everything to an smtp-sink that
# stores each message with its envelope. Checks the SMTP replies swaks gets, what reaches
# the sink (From:, Reply-To:, X-Original-From:, the envelope sender in X-Mail-Args:),
# "sendmail -bs", local submission through the MSP (submit.cf, -t and -f) with the DSN for
# a suppressed recipient, and that nothing accepted is lost while the milter is stopped.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/state.sh
. tests/lib/postfix.sh
. tests/lib/sendmail.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-milter-sendmail.XXXXXX)
chmod 755 "$T"
MILTER_PID=
cleanup() {
	if [ "$TAP_FAILED" -gt 0 ]; then
		sed 's/^/# milter: /' "$T/milter.log" 2>/dev/null
		[ -n "$SENDMAIL_DIR" ] && tail -n 60 "$SENDMAIL_DIR/trace.log" 2>/dev/null | sed 's/^/# sendmail -X: /'
		[ -n "$SENDMAIL_DIR" ] && sed 's/^/# sendmail: /' "$SENDMAIL_DIR/daemon.out" 2>/dev/null
	fi
	sendmail_stop
	sink_stop
	[ -n "$MILTER_PID" ] && kill "$MILTER_PID" 2>/dev/null && wait "$MILTER_PID" 2>/dev/null
	redis_stop
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Sendmail (namespaces, mail user)"
unshare -mu --propagation private true 2>/dev/null ||
	skip_all "unshare -mu not permitted: sendmail needs a private qualified host name"
sendmail_fetch || skip_all "no Sendmail: $SENDMAIL_WHY"

SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
state_init
for s in app@example.com noreply@example.com billing@example.com @example.org; do state_sender "$s"; done
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z

# The last rule covers the DSNs Sendmail's MSP sends through the MTA (From:
# MAILER-DAEMON@edg-test.localdomain, the test MTA's $j): docs/edg-milter.md, "Sendmail".
mkdir -p "$T/milter"
chmod 755 "$T/milter"
cat >"$T/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = unix://$REDIS_SOCK
[milter]
listen = unix:$T/milter/milter.sock
socket_mode = 0666
user = nobody
[rewrite]
rule = header @corp.example noreply@example.com
rule = envelope @host.local noreply@example.com
rule = header @edg-test.localdomain noreply@example.com
CONF
chmod 644 "$T/edg.conf"

milter_start() {
	"$B/edg-milter" -f -c "$T/edg.conf" 2>>"$T/milter.log" &
	MILTER_PID=$!
	for _ in $(seq 1 50); do
		[ -S "$T/milter/milter.sock" ] && grep -q 'state: loaded' "$T/milter.log" && return 0
		sleep 0.1
	done
}
milter_start

sink_start "$T/sink" "$SINK_PORT"
sendmail_setup "$T/sm" "$SMTP_PORT" "$SINK_PORT" "unix:$T/milter/milter.sock" ||
	skip_all "m4 could not build sendmail.cf"
sendmail_submit_setup "$T/sm" || skip_all "m4 could not build submit.cf"
sendmail_start || skip_all "Sendmail did not start: $(cat "$T/sm/daemon.out")"
CLIENTMQUEUE=$T/sm/clientmqueue

send() { swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --body "edg test" "$@" 2>&1; }
# The stored transaction whose message has Subject: $1.
sink_message() { grep -l -- "^Subject: $1\$" "$SINK_DIR"/* 2>/dev/null | head -1 | xargs -r cat; }
# The one with Subject: $1 relayed to $2 (a DSN quotes the original's headers).
sink_message_to() {
	grep -l -- "^X-Rcpt-Args: <$2>" "$SINK_DIR"/* 2>/dev/null | xargs -r grep -l -- "^Subject: $1\$" |
		head -1 | xargs -r cat
}
accepted_smtp='<- +250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery'
delivered=0

out=$(send --from app@example.com --to alice@example.net --header "Subject: rewrite" \
	--header "From: Alice Smith <alice@corp.example>")
expect_match "unapproved From with a rule: accepted" "$accepted_smtp" "$out"
delivered=$((delivered + 1))

out=$(send --from cron@host.local --to alice@example.net --header "Subject: envelope" \
	--header "From: App <app@example.com>")
expect_match "approved From, envelope sender by rule: accepted" "$accepted_smtp" "$out"
delivered=$((delivered + 1))

out=$(send --from app@example.com --to alice@example.net --header "Subject: approved" \
	--header "From: App <app@example.com>")
expect_match "approved From and sender: accepted" "$accepted_smtp" "$out"
delivered=$((delivered + 1))

# Sendmail puts the address and "... " before a milter's text at MAIL and RCPT.
out=$(send --from app@example.com --to alice@example.net,gone@example.net,bob@example.org \
	--header "Subject: suppressed" --header "From: App <app@example.com>")
expect_match "suppressed recipient: 550 5.1.1 at RCPT, naming reason and date" \
	'<\*\* +550 5.1.1 <gone@example.net>\.\.\. <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\)' "$out"
expect_eq "the two others accepted" 2 "$(printf '%s\n' "$out" | grep -c '^<- *250 2.1.5')"
expect_match "and the message accepted" "$accepted_smtp" "$out"
delivered=$((delivered + 1))

out=$(send --from cron@elsewhere.test --to alice@example.net)
expect_match "unapproved envelope sender, no rule: 550 5.7.1 at MAIL" \
	'<\*\* +550 5.7.1 <cron@elsewhere.test>\.\.\. <cron@elsewhere.test> is not an approved sender in OCI Email Delivery \(region us-ashburn-1\)' "$out"

out=$(send --from 'a%b@elsewhere.test' --to alice@example.net)
expect_match "a '%' in the reply reaches the client once" \
	'<\*\* +550 5.7.1 <a%b@elsewhere.test>\.\.\. <a%b@elsewhere.test> is not an approved sender' "$out"

out=$(send --from app@example.com --to alice@example.net --header "From: stranger@elsewhere.test")
expect_match "unapproved From, no rule: 550 5.7.1 after DATA" \
	'<\*\* +550 5.7.1 From: <stranger@elsewhere.test> is not an approved sender' "$out"

# Sendmail refuses headers over MaxHeadersLength (32 KB) itself; under it, the milter
# gets the whole value.
out=$(send --from app@example.com --to alice@example.net \
	--header "From: $(head -c 70000 /dev/zero | tr '\0' x) <a@corp.example>" | grep '^<')
expect_match "70 kB From: Sendmail refuses it (552 5.6.0, MaxHeadersLength)" '<\*\* +552 5.6.0 Headers too large' "$out"
out=$(send --from app@example.com --to alice@example.net --header "Subject: long" \
	--header "From: $(head -c 30000 /dev/zero | tr '\0' x) <a@corp.example>" | grep '^<')
expect_match "30 kB From: reaches the milter, rewritten" "$accepted_smtp" "$out"
delivered=$((delivered + 1))

printf 'Subject: two-from\r\nFrom: Alice <alice@corp.example>\r\nTo: alice@example.net\r\nFrom: bob@corp.example\r\n\r\nedg test\r\n' >"$T/two.eml"
out=$(send --from app@example.com --to alice@example.net --data "@$T/two.eml")
expect_match "two From headers: accepted" "$accepted_smtp" "$out"
delivered=$((delivered + 1))

# "sendmail -bs": SMTP on a pipe, no client address (SMFIA_UNKNOWN); a recipient is
# refused alone there too.
out=$(swaks --pipe "$T/sm/sendmail -C $T/sm/sendmail.cf -bs" --timeout 20 --body "edg test" \
	--from app@example.com --to alice@example.net,gone@example.net \
	--header "Subject: bs" --header "From: Cron <cron@corp.example>" 2>&1)
expect_match "sendmail -bs: suppressed recipient refused at RCPT" \
	'<\*\* +550 5.1.1 <gone@example.net>\.\.\. <gone@example.net> is suppressed' "$out"
expect_match "sendmail -bs: the other accepted" "$accepted_smtp" "$out"
delivered=$((delivered + 1))

sendmail_wait_empty 20
expect_eq "sink received every accepted message" "$delivered" "$(sink_count)"
m=$(sink_message rewrite)
expect_match "rewritten: envelope sender = new From (smfi_chgfrom)" '^X-Mail-Args: <noreply@example.com>' "$m"
expect_match "rewritten: From keeps the name" '^From: Alice Smith <noreply@example.com>$' "$m"
expect_match "rewritten: Reply-To is the original" '^Reply-To: Alice Smith <alice@corp.example>$' "$m"
expect_match "rewritten: X-Original-From is the original" '^X-Original-From: Alice Smith <alice@corp.example>$' "$m"
expect_eq "rewritten: one From" 1 "$(printf '%s\n' "$m" | grep -c '^From:')"
m=$(sink_message envelope)
expect_match "envelope rule: envelope sender set to the From" '^X-Mail-Args: <app@example.com>' "$m"
expect_match "envelope rule: header untouched" '^From: App <app@example.com>$' "$m"
m=$(sink_message approved)
expect_match "approved: envelope sender untouched" '^X-Mail-Args: <app@example.com>' "$m"
expect_match "approved: From untouched" '^From: App <app@example.com>$' "$m"
expect_eq "approved: nothing added" 0 "$(printf '%s\n' "$m" | grep -c '^\(Reply-To\|X-Original-From\):')"
m=$(sink_message suppressed)
expect_eq "suppressed: alice and bob relayed" 2 "$(printf '%s\n' "$m" | grep -c '^X-Rcpt-Args: <\(alice@example.net\|bob@example.org\)>')"
m=$(sink_message two-from)
expect_eq "two From headers: one left" 1 "$(printf '%s\n' "$m" | grep -c '^From:')"
expect_match "two From headers: it is the approved sender" '^From: Alice <noreply@example.com>$' "$m"
m=$(sink_message long)
from=$(printf '%s\n' "$m" | awk '/^From:/ { f = 1; printf "%s", $0; next } f && /^[ \t]/ { printf "%s", $0; next } { f = 0 }')
expect_match "30 kB From: rewritten (the header's end)" ' <noreply@example.com>$' "${from: -40}"
expect_match "30 kB From: envelope sender = From" '^X-Mail-Args: <noreply@example.com>' "$m"
m=$(sink_message bs)
expect_match "sendmail -bs: From rewritten" '^From: Cron <noreply@example.com>$' "$m"
expect_match "sendmail -bs: envelope sender = From" '^X-Mail-Args: <noreply@example.com>' "$m"
expect_eq "never the suppressed recipient" 0 "$(sink_messages | grep -c '^X-Rcpt-Args: <gone@example.net>')"

# Local submission: the MSP (submit.cf, what /usr/sbin/sendmail runs by default) relays
# to the MTA over SMTP from 127.0.0.1, so the milter sees it like any client. A refused
# recipient makes the MSP send a DSN to the sender, again through the MTA and the milter.
printf 'Subject: msp-t\nFrom: Cron Daemon <cron@corp.example>\nTo: alice@example.net, gone@example.net\n\nedg test\n' >"$T/local.eml"
sendmail_run -C "$T/sm/submit.cf" -t -f app@example.com <"$T/local.eml" >"$T/msp.out" 2>&1
msp_status=$?
expect_eq "MSP -t: exit status 67 (EX_NOUSER: a recipient refused)" 67 "$msp_status"
delivered=$((delivered + 2)) # the message to alice, the DSN to app
sendmail_wait_empty 20
sendmail_wait_empty 20 "$CLIENTMQUEUE"
m=$(sink_message_to msp-t alice@example.net)
expect_match "MSP -t: alice gets it, From rewritten" '^From: Cron Daemon <noreply@example.com>$' "$m"
expect_match "MSP -t: envelope sender = From" '^X-Mail-Args: <noreply@example.com>' "$m"
expect_eq "MSP -t: only alice" "X-Rcpt-Args: <alice@example.net>" "$(printf '%s\n' "$m" | grep '^X-Rcpt-Args:')"
m=$(grep -l '^X-Rcpt-Args: <app@example.com>' "$SINK_DIR"/* 2>/dev/null | xargs -r cat)
expect_match "MSP -t: DSN to the sender" '^Subject: Returned mail: see transcript for details' "$m"
expect_match "MSP -t: DSN names recipient and reason" \
	'<gone@example.net>\.\.\. <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\)' "$m"
expect_match "MSP -t: DSN status 5.1.1" '^Status: 5\.1\.1' "$m"
expect_eq "MSP: nothing in dead.letter" "" "$(cat "$CLIENTMQUEUE/dead.letter" 2>/dev/null)"

printf 'Subject: msp-f\nFrom: App <app@example.com>\n\nedg test\n' >"$T/local2.eml"
check "MSP -f with recipients as arguments: submitted" sendmail_run -C "$T/sm/submit.cf" -f app@example.com alice@example.net <"$T/local2.eml"
delivered=$((delivered + 1))
sendmail_wait_empty 20
m=$(sink_message msp-f)
expect_match "MSP -f: envelope sender and From untouched" '^X-Mail-Args: <app@example.com>' "$m"

# The MTA's own command-line mode (-Am, or -C sendmail.cf) runs no milter at all: a
# Sendmail property, documented; local mail must go through the MSP.
printf 'Subject: mta-mode\nFrom: Stranger <stranger@elsewhere.test>\n\nedg test\n' >"$T/local3.eml"
sendmail_run -C "$T/sm/sendmail.cf" -f app@example.com alice@example.net <"$T/local3.eml"
delivered=$((delivered + 1))
sendmail_wait_empty 20
m=$(sink_message mta-mode)
expect_match "MTA mode (no MSP): Sendmail runs no milter, From unchanged (documented)" \
	'^From: Stranger <stranger@elsewhere.test>$' "$m"

# Milter stopped: F=T makes Sendmail tempfail; the SMTP client and the MSP keep the mail.
kill "$MILTER_PID"
wait "$MILTER_PID"
MILTER_PID=
out=$(send --from app@example.com --to alice@example.net --header "Subject: stopped")
expect_match "milter stopped: 451 4.3.2, the client keeps the message" '<\*\* +451 4\.3\.2 ' "$out"
expect_eq "milter stopped: nothing accepted" 0 "$(printf '%s\n' "$out" | grep -c 'Message accepted')"
printf 'Subject: msp-stopped\nFrom: App <app@example.com>\n\nedg test\n' >"$T/local4.eml"
check "milter stopped: the MSP accepts the submission" sendmail_run -C "$T/sm/submit.cf" -f app@example.com alice@example.net <"$T/local4.eml"
expect_eq "milter stopped: the MSP keeps it in its queue" 1 "$(sendmail_queue_count "$CLIENTMQUEUE")"
milter_start
out=$(send --from app@example.com --to alice@example.net --header "Subject: restarted" \
	--header "From: App <app@example.com>")
expect_match "milter back: the retry is accepted" "$accepted_smtp" "$out"
delivered=$((delivered + 1))
sendmail_run -C "$T/sm/submit.cf" -q
delivered=$((delivered + 1))
sendmail_wait_empty 20 "$CLIENTMQUEUE"
expect_eq "milter back: the MSP's queue run delivers it" 0 "$(sendmail_queue_count "$CLIENTMQUEUE")"

sendmail_wait_empty 20
m=$(sink_message msp-stopped)
expect_match "milter back: the MSP's message arrived" '^X-Mail-Args: <app@example.com>' "$m"
expect_eq "nothing accepted was lost: sink count = accepted" "$delivered" "$(sink_count)"
expect_eq "MTA queue empty" 0 "$(sendmail_queue_count)"
expect_eq "edg-milter accepted Sendmail's negotiation" "" "$(grep 'does not offer the milter actions' "$T/milter.log")"
expect_eq "no sanitizer report from the milter (SANITIZE builds)" "" "$(grep -E 'Sanitizer|runtime error' "$T/milter.log")"
done_testing
