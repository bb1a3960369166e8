#!/bin/bash
# edgctl_ops.sh - edgctl's operator commands against the OCI control-plane emulator and a
# real Redis, with state from a first "edg-syncd --once".
#
# status (fresh, failed sync, Redis stopped), senders, explain (policyd and milter:
# suppressed recipient, unapproved sender, header From rewritten or refused), suppress
# add/remove/show/list (OCI, Redis and the audit log at once; edg-syncd's next pull
# writes nothing for it; OCI failures change nothing), sync --now; -h, --json and the
# exit codes of each.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh

B=${EDG_BUILD:-build}
T=$(mktemp -d /tmp/edg-edgctl.XXXXXX)
chmod 755 "$T"
TENANCY=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
USER=ocid1.user.oc1..edgctl
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	redis_stop
	[ "$TAP_FAILED" -gt 0 ] && for f in "$T"/*.log; do sed "s|^|# $(basename "$f"): |" "$f" | tail -n 30; done
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT

REDIS_PASS="redis-canary-$$-Rc3" # the daemons get it in their URL; no log may show it
secret_register "$REDIS_PASS"
REDIS_SOCK_PERM=777 redis_start "$T/redis"
chmod 755 "$T/redis"
P=edg:v1

python3 tests/emulators/oci_control.py --port 0 --port-file "$T/emu.port" \
	--key "$TENANCY/$USER/$FP=tests/data/emulator/public-key.pem" \
	--state tests/data/emulator/state.json >"$T/emulator.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do [ -s "$T/emu.port" ] && break; sleep 0.1; done
[ -s "$T/emu.port" ] || skip_all "the emulator did not start"
EMU="http://127.0.0.1:$(cat "$T/emu.port")"
emu() { python3 tests/emulators/emuctl.py "$EMU" "$@"; }

install -m 600 tests/data/emulator/private-key.pem "$T/key.pem"
secret_register_key "$T/key.pem"
write_conf() { # FILE [EXTRA LINES for [milter]] [[policyd] LINES instead of max_stale = 10m]
	cat >"$1" <<CONF
[oci]
region = us-ashburn-1
tenancy = $TENANCY
user = $USER
fingerprint = $FP
key_file = $T/key.pem
endpoint = $EMU
retries = 1
retry_max_delay = 1s
timeout = 5s
connect_timeout = 2s
[redis]
url = unix://$REDIS_URL_AUTH$REDIS_SOCK
[syncd]
suppression_overlap = 0s
audit_log = $T/audit.log
user = nobody
[policyd]
${3:-max_stale = 10m}
[milter]
${2:-}
CONF
	chmod 644 "$1"
}
write_conf "$T/edg.conf"
write_conf "$T/rewrite.conf" "default_sender = noreply@example.com"
write_conf "$T/monitor.conf" "mode = monitor" "mode = monitor
max_stale = 10m"
write_conf "$T/bindings.conf" "[bindings]
enforce = yes
bind = sasl:alice billing@example.com
bind = client:10.0.0.0/8 noreply@example.com"
write_conf "$T/stale.conf" "" "max_stale = 1s"
touch "$T/audit.log"
chown nobody "$T/audit.log" 2>/dev/null

ctl() { "$B/edgctl" -c "$T/edg.conf" "$@"; }
# run NAME WANT_EXIT CMD...: stdout in $out, stderr in $err; one check of the exit code
run() {
	name=$1 want=$2
	shift 2
	out=$("$@" 2>"$T/stderr")
	expect_eq "$name: exit $want" "$want" "$?"
	err=$(cat "$T/stderr")
}
# jq-like: json EXPR (Python expression on d) < JSON
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
hget() { redis_cli HGET "$P:$(redis_cli GET $P:gen):$1" "$2"; }
hexists() { redis_cli HEXISTS "$P:$(redis_cli GET $P:gen):$1" "$2"; }

"$B/edg-syncd" -c "$T/edg.conf" --once >"$T/syncd.log" 2>&1 || skip_all "edg-syncd --once failed"

# 1. -h on each command, usage errors.
for c in status explain suppress senders sync; do
	run "$c -h" 0 ctl "$c" -h
	expect_match "$c -h: usage on stdout" "^usage: edgctl .*$c" "$out"
done
run "status with an operand: usage" 2 ctl status extra
run "explain without --rcpt: usage" 2 ctl explain --from a@example.com
run "explain with a bad address" 2 ctl explain --from noreply@example.com --rcpt 'not an address'
run "suppress without action: usage" 2 ctl suppress
run "suppress frobnicate: usage" 2 ctl suppress frobnicate x@example.com
run "sync without --now: usage" 2 ctl sync

# 2. status after the first sync.
run "status: fresh" 0 ctl status
expect_match "status: region" '^region: us-ashburn-1' "$out"
expect_match "status: Redis reachable" '^redis: reachable' "$out"
expect_match "status: the full sync with its age" 'last success +20[0-9-]+T[0-9:.]+Z \([0-9]+(ms|s) ago\)' "$out"
expect_match "status: counts" 'suppressions +2' "$out"
expect_match "status: by reason" 'HARDBOUNCE +1' "$out"
expect_match "status: readers' view" "readers' view: generation 1, sequence [0-9]+, 3 senders, 2 suppressions" "$out"
run "status --json" 0 ctl status --json
expect_eq "status --json: ok, counts, reasons, reader" \
	"True 1 3 2 2 1 True 1" \
	"$(printf '%s' "$out" | json 'd["ok"], d["published"]["generation"], d["published"]["senders"], d["published"]["domains"], d["published"]["suppressions"], d["published"]["suppressions_by_reason"]["COMPLAINT"], d["reader"]["loaded"], d["reader"]["generation"]' | tr -d '(),')"
expect_match "status --json: full_sync success has an age" '^[0-9]+$' \
	"$(printf '%s' "$out" | json 'd["cycles"]["full_sync"]["last_success"]["age_seconds"]')"

# 3. senders.
run "senders" 0 ctl senders
expect_match "senders: exact address with DKIM" 'noreply@example.com +DKIM active' "$out"
expect_match "senders: @domain entry" '^  @example.com ' "$out"
expect_match "senders: domain without DKIM" 'example.org +ACTIVE +DKIM none' "$out"
run "senders --json" 0 ctl senders --json
expect_eq "senders --json: addresses and DKIM" \
	"['@example.com', 'billing@example.com', 'noreply@example.com'] ocid1.emaildkim.oc1..sel2024" \
	"$(printf '%s' "$out" | json '" ".join([str([s["address"] for s in d["senders"]]), [x["active_dkim"] for x in d["domains"] if x["domain"]=="example.com"][0]])')"

# 4. explain: the daemons' own decisions.
run "explain: approved sender, suppressed recipient" 0 \
	ctl explain --from noreply@example.com --rcpt Bounced@Customer.Example
expect_match "explain: policyd's reply" \
	'policy reply: action=550 5.1.1 <bounced@customer.example> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2024-03-01\)' "$out"
expect_match "explain: the line Postfix sends" \
	'Postfix: +550 5.1.1 <bounced@customer.example>: Recipient address rejected: <bounced@customer.example> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2024-03-01\)' "$out"
expect_match "explain: the exact record (STATE_DETAIL)" \
	'suppression: HARDBOUNCE since 2024-03-01T10:00:00.000Z, OCI id ocid1.emailsuppression.oc1..bounced' "$out"
expect_match "explain: milter refuses that RCPT" 'reply: +550 5.1.1 <bounced@customer.example> is suppressed' "$out"
expect_match "explain: no message when every recipient is refused" 'no message: every recipient refused' "$out"
run "explain --json, two recipients" 0 \
	ctl explain --from noreply@example.com --rcpt bounced@customer.example --rcpt ok@customer.example --json
expect_eq "explain --json: policyd per recipient" \
	"recipient-suppressed none ocid1.emailsuppression.oc1..bounced action=DUNNO" \
	"$(printf '%s' "$out" | json '" ".join([d["policyd"][0]["reason"], d["policyd"][1]["reason"], d["policyd"][0]["suppression"]["id"], d["policyd"][1]["policy_reply"]])')"
expect_eq "explain --json: milter MAIL, RCPTs, end of message" "pass reject pass pass" \
	"$(printf '%s' "$out" | json '" ".join([d["milter"]["mail_from"]["action"]] + [r["action"] for r in d["milter"]["recipients"]] + [d["milter"]["end_of_message"]["action"]])')"
run "explain: unapproved envelope sender" 0 ctl explain --from cron@host.local --rcpt ok@customer.example
expect_match "explain: policyd 550 5.7.1 naming the region" \
	'Postfix: +550 5.7.1 <ok@customer.example>: Recipient address rejected: <cron@host.local> is not an approved sender in OCI Email Delivery \(region us-ashburn-1\)' "$out"
expect_match "explain: milter refuses at MAIL FROM" 'no message: refused at MAIL FROM' "$out"
run "explain: header From not approved, no rewrite rule" 0 \
	ctl explain --from noreply@example.com --rcpt ok@customer.example --header-from 'Eve <eve@evil.example>'
expect_match "explain: header From refused" 'reply: +550 5.7.1 From: <eve@evil.example> is not an approved sender' "$out"
run "explain: header From rewritten (default_sender)" 0 "$B/edgctl" -c "$T/rewrite.conf" explain \
	--from app@host.local --rcpt ok@customer.example --header-from '"App" <app@host.local>' --json
expect_eq "explain: rewrite target and envelope sender" "rewrite noreply@example.com noreply@example.com pass" \
	"$(printf '%s' "$out" | json '" ".join([d["milter"]["end_of_message"]["action"], d["milter"]["end_of_message"]["rewrite_to"], d["milter"]["end_of_message"]["envelope_sender"], d["milter"]["mail_from"]["action"]])')"

run "explain: monitor mode" 0 "$B/edgctl" explain -c "$T/monitor.conf" \
	--from noreply@example.com --rcpt bounced@customer.example
expect_match "explain: monitor: policyd answers WARN" 'policy reply: action=WARN 550 5.1.1 <bounced@customer.example> is suppressed' "$out"
expect_match "explain: monitor: Postfix accepts" 'Postfix: +\(monitor mode: Postfix logs a warning and accepts\)' "$out"
expect_match "explain: monitor: the milter would refuse, mail passes" \
	'would_refuse: recipient-suppressed.*reply: +550 5.1.1 .*\(monitor mode: logged, mail passes\)' "$(printf '%s' "$out" | tr '\n' ' ')"

run "explain: bound sender, its SASL login" 0 "$B/edgctl" -c "$T/bindings.conf" explain \
	--from billing@example.com --sasl alice --rcpt ok@customer.example --json
expect_eq "explain: binding kept: policyd and milter pass" "action=DUNNO pass" \
	"$(printf '%s' "$out" | json 'd["policyd"][0]["policy_reply"] + " " + d["milter"]["mail_from"]["action"]')"
run "explain: bound sender, another SASL login" 0 "$B/edgctl" -c "$T/bindings.conf" explain \
	--from billing@example.com --sasl bob --rcpt ok@customer.example
expect_match "explain: binding broken: 550 5.7.1 naming the login" \
	'Postfix: +550 5.7.1 <ok@customer.example>: Recipient address rejected: <billing@example.com> is an approved sender, but not for this SASL login' "$out"
run "explain: client binding, inside the network" 0 "$B/edgctl" -c "$T/bindings.conf" explain \
	--from noreply@example.com --client 10.1.2.3 --rcpt ok@customer.example --json
expect_eq "explain: client binding kept" "pass" "$(printf '%s' "$out" | json 'd["milter"]["mail_from"]["action"]')"
run "explain: client binding, outside" 0 "$B/edgctl" -c "$T/bindings.conf" explain \
	--from noreply@example.com --client 192.0.2.1 --rcpt ok@customer.example --json
expect_eq "explain: client binding broken" "reject sender-not-bound" \
	"$(printf '%s' "$out" | json 'd["milter"]["mail_from"]["action"] + " " + d["milter"]["mail_from"]["reason"]')"
run "explain: --client not an IP address" 2 ctl explain --from noreply@example.com --client 10.1 --rcpt ok@customer.example
run "explain: null sender" 0 ctl explain --from '<>' --rcpt ok@customer.example --json
expect_eq "explain: null sender passes (bounces must be accepted)" "null-sender action=DUNNO" \
	"$(printf '%s' "$out" | json 'd["milter"]["mail_from"]["reason"] + " " + d["policyd"][0]["policy_reply"]')"

# 5. suppress show and list.
run "suppress show" 0 ctl suppress show '<BOUNCED@customer.example>'
expect_eq "suppress show: the record" \
	"bounced@customer.example HARDBOUNCE 2024-03-01T10:00:00.000Z ocid1.emailsuppression.oc1..bounced" "$out"
run "suppress show --oci" 0 ctl suppress show bounced@customer.example --oci --json
expect_eq "suppress show --oci: GetSuppression's detail" \
	"550 5.1.1 user unknown|mx.customer.example|abc123@example.com" \
	"$(printf '%s' "$out" | json '"|".join([d["oci"]["error_detail"], d["oci"]["error_source"], d["oci"]["message_id"]])')"
run "suppress show: not suppressed" 1 ctl suppress show nobody@customer.example
expect_match "suppress show: says so" 'nobody@customer.example: not suppressed' "$out"

# 6. suppress add: OCI, Redis and the audit log at once.
seq_before=$(redis_cli GET $P:seq)
run "suppress add" 0 ctl suppress add New.Person@Customer.Example --reason "ticket 42"
expect_match "suppress add: reports the record" '^suppressed: new.person@customer.example MANUAL 20[0-9-]+T[0-9:.]+Z ocid1\.' "$out"
emu_rec=$(emu GET /state | json '[(s["reason"], s["timeCreated"], s["id"]) for s in d["suppressions"] if s["emailAddress"]=="new.person@customer.example"][0]' | tr -d "()',")
expect_match "suppress add: in the emulator (MANUAL)" '^MANUAL ' "$emu_rec"
expect_eq "suppress add: in Redis at once, OCI's record" "$emu_rec" "$(hget sup new.person@customer.example)"
expect_eq "suppress add: one committed change" "$((seq_before + 2))" "$(redis_cli GET $P:seq)"
expect_match "suppress add: audit line" \
	'"kind":"suppression","op":"added","address":"new.person@customer.example","reason":"MANUAL: ticket 42","id":"ocid1\.' "$(cat "$T/audit.log")"
run "suppress add: readers see it" 0 ctl explain --from noreply@example.com --rcpt new.person@customer.example
expect_match "suppress add: explain refuses with MANUAL" '550 5.1.1 <new.person@customer.example> is suppressed by OCI Email Delivery \(MANUAL since' "$out"
seq_before=$(redis_cli GET $P:seq)
run "suppress add again" 0 ctl suppress add new.person@customer.example
expect_match "suppress add again: already suppressed" '^already suppressed: new.person@customer.example MANUAL' "$out"
expect_eq "suppress add again: nothing written" "$seq_before" "$(redis_cli GET $P:seq)"
"$B/edg-syncd" -c "$T/edg.conf" --once >>"$T/syncd.log" 2>&1
expect_eq "edg-syncd's next pull: compares equal, writes nothing" "$seq_before" "$(redis_cli GET $P:seq)"
expect_eq "edg-syncd's next pull: no second audit line" 1 "$(grep -c '"address":"new.person@customer.example"' "$T/audit.log")"

# 7. suppress list.
run "suppress list" 0 ctl suppress list
expect_eq "suppress list: every suppression" 3 "$(printf '%s\n' "$out" | grep -c ' ocid1\.')"
expect_match "suppress list: count on stderr" '3 suppressions' "$err"
run "suppress list --reason manual" 0 ctl suppress list --reason manual
expect_match "suppress list --reason: only MANUAL" '^new.person@customer.example MANUAL' "$out"
expect_eq "suppress list --reason: one" 1 "$(printf '%s\n' "$out" | grep -c ' ocid1\.')"
run "suppress list --since --json" 0 ctl suppress list --since 2024-03-02 --json
expect_eq "suppress list --since: created on or after the day" \
	"['angry@customer.example', 'new.person@customer.example']" \
	"$(printf '%s' "$out" | json 'sorted(x["address"] for x in d)')"
run "suppress list --since: a bad date is a usage error" 2 ctl suppress list --since yesterday

# 8. suppress remove.
seq_before=$(redis_cli GET $P:seq)
run "suppress remove" 0 ctl suppress remove new.person@customer.example --json
expect_eq "suppress remove --json: result" "removed new.person@customer.example" \
	"$(printf '%s' "$out" | json 'd["result"] + " " + d["address"]')"
expect_eq "suppress remove: gone from the emulator" 0 \
	"$(emu GET /state | json 'sum(1 for s in d["suppressions"] if s["emailAddress"]=="new.person@customer.example")')"
expect_eq "suppress remove: gone from Redis at once" 0 "$(hexists sup new.person@customer.example)"
expect_eq "suppress remove: one committed change" "$((seq_before + 2))" "$(redis_cli GET $P:seq)"
expect_match "suppress remove: audit line with the OCI id" '"op":"removed","address":"new.person@customer.example","reason":"MANUAL","id":"ocid1\.' "$(cat "$T/audit.log")"
run "suppress remove again: not suppressed" 1 ctl suppress remove new.person@customer.example
emu DELETE /suppressions/ocid1.emailsuppression.oc1..complained >/dev/null
run "suppress remove: OCI already forgot it" 0 ctl suppress remove angry@customer.example
expect_match "suppress remove: says OCI no longer has it" 'OCI no longer has angry@customer.example' "$err"
expect_eq "suppress remove: removed from Redis anyway" 0 "$(hexists sup angry@customer.example)"

# 9. OCI refuses: nothing changes.
emu POST /fault '{"type":"status","status":500,"times":10}' >/dev/null
seq_before=$(redis_cli GET $P:seq)
lines_before=$(wc -l <"$T/audit.log")
run "suppress add, OCI failing" 1 ctl suppress add later@customer.example
expect_match "suppress add, OCI failing: names the request id" 'CreateSuppression: .*HTTP 500.*opc-request-id' "$err"
expect_eq "suppress add, OCI failing: Redis and audit untouched" "$seq_before $lines_before 0" \
	"$(redis_cli GET $P:seq) $(wc -l <"$T/audit.log") $(hexists sup later@customer.example)"

# 10. status after a failed sync: exit 1, the error with its opc-request-id.
"$B/edg-syncd" -c "$T/edg.conf" --once >>"$T/syncd.log" 2>&1
run "status: last sync failed" 1 ctl status --json
expect_match "status: the problem named" 'latest attempt of a sync cycle failed' \
	"$(printf '%s' "$out" | json 'd["problems"]')"
expect_match "status: opc-request-id of the last error" '^[0-9A-F]+/[0-9]+$' \
	"$(printf '%s' "$out" | json 'd["last_error"]["opc_request_id"]')"
emu DELETE /faults >/dev/null
"$B/edg-syncd" -c "$T/edg.conf" --once >>"$T/syncd.log" 2>&1
run "status: recovered" 0 ctl status --quick

sleep 1.2
run "status: no sync within max_stale" 1 "$B/edgctl" -c "$T/stale.conf" status --quick
expect_match "status: says the state is stale" 'PROBLEM: no successful sync within max_stale' "$out"

# 11. sync --now: the request in the status hash; --wait until edg-syncd serves it.
run "sync --now" 0 ctl sync --now
expect_match "sync --now: requested" '^sync requested at 20' "$out"
expect_match "sync --now: the field" '^[0-9]{13}$' "$(redis_cli HGET $P:status sync_requested)"
run "sync --now --wait: not served" 1 ctl sync --now --wait 1
expect_match "sync --now --wait: says it was not served" 'not served within 1s' "$out"
old=$(redis_cli HGET $P:status sync_requested)
( # stands in for edg-syncd's side: serve the next request
	for _ in $(seq 1 50); do
		new=$(redis_cli HGET $P:status sync_requested)
		[ "$new" != "$old" ] && { sleep 0.3; redis_cli HSET $P:status sync_served "$new" >/dev/null; break; }
		sleep 0.1
	done
) &
run "sync --now --wait: served" 0 ctl sync --now --wait 5 --json
expect_eq "sync --now --wait --json: served, not failed" "True False" \
	"$(printf '%s' "$out" | json 'd["served"], d["failed"]' | tr -d '(),')"
wait $!

# 12. Redis stopped: exit 3 everywhere.
redis_stop
run "status: Redis stopped" 3 ctl status
expect_match "status: says unreachable" '^redis: UNREACHABLE' "$out"
run "status --json: Redis stopped" 3 ctl status --json
expect_eq "status --json: reachable false" "False" "$(printf '%s' "$out" | json 'd["redis"]["reachable"]')"
run "explain: Redis stopped" 3 ctl explain --from noreply@example.com --rcpt ok@customer.example
expect_match "explain: the daemons would tempfail" 'action=451 4.3.0' "$out"
run "suppress show: Redis stopped" 3 ctl suppress show bounced@customer.example
run "suppress add: Redis stopped, OCI untouched" 3 ctl suppress add never@customer.example
expect_eq "suppress add: Redis stopped: not created in OCI" 0 \
	"$(emu GET /state | json 'sum(1 for s in d["suppressions"] if s["emailAddress"]=="never@customer.example")')"
run "senders: Redis stopped" 3 ctl senders
run "sync --now: Redis stopped" 3 ctl sync --now
done_testing
