#!/bin/bash
# demo.sh - edg end to end on this machine, against the embedded OCI emulators.
#
#   bash demo/demo.sh          (as root; make deps and make first)
#   KEEP=1 bash demo/demo.sh   leave everything running; bash demo/stop.sh stops it
#
# Starts, all under one temporary directory (DEMO_DIR, default /tmp/edg-demo), nothing
# system-wide: a Redis, the OCI control-plane emulator (approved senders, suppressions:
# demo/state.json), the OCI SMTP emulator (reads the same state), edg-syncd (syncs from the
# control-plane emulator into Redis), edg-policyd, edg-milter, and a private Postfix with
# its own configuration and queue (conf/postfix settings) relaying to the SMTP emulator over
# verified TLS with SASL. The system's Postfix and Redis are not touched.
#
# Then sends sample mail through SMTP (swaks) and sendmail(1), and prints, for each
# message, what the sending application was told and what reached "OCI".
set -u
cd "$(dirname "$0")/.." || exit 1
B=${EDG_BUILD:-build}
D=${DEMO_DIR:-/tmp/edg-demo}
KEEP=${KEEP:-0}

say() { printf '%s\n' "$*"; }
die() {
	say "demo: $*" >&2
	[ "$KEEP" = 1 ] || bash demo/stop.sh >/dev/null 2>&1
	exit 1
}
step() { printf '  %-58s' "$1"; }
done_ok() { say "ok"; }

[ "$(id -u)" -eq 0 ] || die "run as root (it starts a private Postfix instance): sudo make demo"
for bin in edg-syncd edg-policyd edg-milter; do
	[ -x "$B/$bin" ] || die "$B/$bin is missing: run make first"
done
for cmd in redis-server postfix swaks openssl python3 smtp-sink; do
	command -v "$cmd" >/dev/null 2>&1 || die "$cmd is missing: run make deps first"
done
if [ -e "$D/pids" ]; then
	say "A previous demo is still running; stopping it first."
	bash demo/stop.sh >/dev/null 2>&1
fi
rm -rf "$D"
mkdir -p "$D"
chmod 755 "$D"
: >"$D/pids"
started() { echo "$1" >>"$D/pids"; }
# the stop script finds everything through these files
echo "$D/pf" >"$D/postfix-dir"

. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/postfix.sh
. tests/lib/e2e.sh
wait_for() { # SECONDS COMMAND...
	_n=$(($1 * 10))
	shift
	for _ in $(seq 1 "$_n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

T0=$(date +%s)
say "edg demo: everything lives in $D"
say ""
say "Starting:"

step "Redis (throwaway, unix socket)"
REDIS_SOCK_PERM=777 redis_start "$D/redis"
chmod 755 "$D/redis"
[ -n "${REDIS_PID:-}" ] || die "Redis did not start ($D/redis/redis.log)"
echo "$REDIS_SOCK" >"$D/redis-sock"
done_ok

TENANCY=$(python3 -c 'import json; print(json.load(open("demo/state.json"))["tenancy"])')
FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
OCI_USER=ocid1.user.oc1..demo
step "OCI control-plane emulator (senders, suppressions)"
python3 tests/emulators/oci_control.py --port 0 --port-file "$D/control.port" --verifier builtin \
	--key "$TENANCY/$OCI_USER/$FP=tests/data/emulator/public-key.pem" \
	--state demo/state.json >"$D/control.log" 2>&1 &
started $!
wait_for 10 test -s "$D/control.port" || die "the control-plane emulator did not start ($D/control.log)"
CONTROL="http://127.0.0.1:$(cat "$D/control.port")"
done_ok

step "OCI SMTP emulator (STARTTLS, AUTH PLAIN, test CA)"
E2E_CERTS=$D/certs
e2e_certs "$E2E_CERTS" || die "openssl could not make the test CA"
oci_smtp_start "$D/oci" "$E2E_CERTS" --control-url "$CONTROL" || die "the SMTP emulator did not start ($D/oci/smtp.err)"
started "$OCI_SMTP_PID"
done_ok

install -m 600 tests/data/emulator/private-key.pem "$D/oci_api_key.pem"
cat >"$D/edg.conf" <<CONF
[oci]
region = us-ashburn-1
tenancy = $TENANCY
user = $OCI_USER
fingerprint = $FP
key_file = $D/oci_api_key.pem
endpoint = $CONTROL
timeout = 10s
connect_timeout = 2s
[redis]
url = unix://$REDIS_SOCK
[syncd]
sender_interval = 5s
suppression_interval = 5s
audit_log = $D/audit.log
user = nobody
[policyd]
listen = unix:$D/policyd.sock
socket_mode = 0666
user = nobody
[milter]
listen = unix:$D/milter.sock
socket_mode = 0666
user = nobody
[rewrite]
rule = header @corp.example noreply@example.com
CONF
chmod 644 "$D/edg.conf"
touch "$D/audit.log"
chown nobody "$D/audit.log"

step "edg-syncd (control plane -> Redis)"
"$B/edg-syncd" -f -c "$D/edg.conf" >>"$D/syncd.log" 2>&1 &
started $!
done_ok
step "edg-policyd (RCPT-time checks)"
"$B/edg-policyd" -f -c "$D/edg.conf" >>"$D/policyd.log" 2>&1 &
started $!
done_ok
step "edg-milter (From: rewrite, local submissions)"
"$B/edg-milter" -f -c "$D/edg.conf" >>"$D/milter.log" 2>&1 &
started $!
done_ok
step "waiting for the first sync to reach policyd and milter"
loaded() { grep -q 'state: loaded generation [1-9]' "$D/policyd.log" && grep -q 'state: loaded generation [1-9]' "$D/milter.log"; }
wait_for 30 loaded || die "the daemons did not load the state (see $D/syncd.log, policyd.log, milter.log)"
done_ok

step "private Postfix (own config and queue) -> SMTP emulator"
SMTP_PORT=$(free_port)
APP_PORT=$(free_port)
# The application's own mailbox (example.com): where bounces to app@example.com land.
sink_start "$D/app-mailbox" "$APP_PORT"
started "$SINK_PID"
e2e_postfix "$D/pf" "$SMTP_PORT" "$OCI_SMTP_PORT" edg "unix:$D/policyd.sock" "unix:$D/milter.sock"
postconf -c "$D/pf/etc" -M "appmail/unix=appmail unix - - n - - smtp -o smtp_tls_security_level=none -o smtp_sasl_auth_enable=no"
postfix_conf "transport_maps = inline:{ example.com=appmail:[127.0.0.1]:$APP_PORT }"
postfix_start || die "Postfix did not start ($D/pf/maillog)"
echo "$SMTP_PORT" >"$D/smtp.port"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 1)" ||
	die "Postfix is not listening on 127.0.0.1:$SMTP_PORT"
done_ok
say ""

# --- The sample mail ------------------------------------------------------------------
ROWS=$D/rows.tsv
: >"$ROWS"
# told TRANSCRIPT: the final verdict(s) the application got, one line
told() {
	printf '%s\n' "$1" | tr -d '\r' | sed -n \
		-e 's/^<[-~]\** *\(250 2.0.0 Ok: queued\).*/\1/p' \
		-e 's/^<[-~]*\** *\([45][0-9][0-9] [0-9.]* .*\)/\1/p' |
		sed -e 's/Recipient address rejected: //' -e 's/; mail to it would be dropped without a bounce//' |
		paste -sd '|' | sed 's/|/ ; /g'
}
smtp_send() { # SUBJECT ARGS...
	_subject=$1
	shift
	swaks --server "127.0.0.1:$SMTP_PORT" --timeout 20 --header "Subject: $_subject" --body "edg demo: $_subject" "$@" 2>&1
}
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$ROWS"; }

say "Sending sample mail:"
step "1. approved sender"
out=$(smtp_send "demo-1" --from app@example.com --to alice@example.net --header "From: App <app@example.com>")
row 1 "SMTP from app@example.com (approved) to alice@example.net" "$(told "$out")" demo-1
done_ok
step "2. From: an unapproved address with a rewrite rule"
out=$(smtp_send "demo-2" --from app@example.com --to alice@example.net --header "From: Alice Smith <alice@corp.example>")
row 2 "SMTP, From: Alice Smith <alice@corp.example> (not approved; rule -> noreply@example.com)" "$(told "$out")" demo-2
done_ok
step "3. unapproved sender"
out=$(smtp_send "demo-3" --from cron@host.local --to alice@example.net)
row 3 "SMTP from cron@host.local (not approved, no rule)" "$(told "$out")" demo-3
done_ok
step "4. one suppressed recipient among three"
out=$(smtp_send "demo-4" --from app@example.com --to alice@example.net,gone@example.net,bob@example.org \
	--header "From: App <app@example.com>")
row 4 "SMTP to alice@example.net, gone@example.net (suppressed), bob@example.org" "$(told "$out")" demo-4
done_ok
step "5. sendmail(1) to a suppressed recipient"
printf 'Subject: demo-5\nFrom: App <app@example.com>\nTo: angry@example.net\n\nedg demo: demo-5\n' |
	sendmail -C "$D/pf/etc" -f app@example.com angry@example.net 2>"$D/sendmail.err"
sendmail_rc=$?
done_ok
step "waiting for Postfix to deliver"
postfix_wait_empty 60 || say "(still queued: $(postfix_queue_count))"
wait_for 20 sh -c "ls '$D/app-mailbox' | grep -q ." || true
done_ok

# What the application was told for the local submission: the bounce in its mailbox.
bounce=$(find "$D/app-mailbox" -type f -print0 2>/dev/null | xargs -0 -r grep -l 'demo-5' | head -1)
if [ "$sendmail_rc" -ne 0 ]; then
	told5="sendmail(1) failed: $(head -c 200 "$D/sendmail.err")"
elif [ -n "$bounce" ]; then
	reason=$(tr -d '\r' <"$bounce" | awk '/^<angry@example.net>: /{p=1} p&&/^$/{exit} p' |
		tr -s ' \n' '  ' | sed -e 's/^<angry@example.net>: //' -e 's/; mail to it would.*//')
	told5="sendmail(1) accepted it; then a bounce (Status: 5.1.1) in app@example.com's mailbox: $reason"
else
	told5="accepted by sendmail(1); no bounce arrived (see $D/pf/maillog)"
fi
row 5 "sendmail(1) -f app@example.com angry@example.net (suppressed)" "$told5" demo-5

# --- The table ------------------------------------------------------------------------
say ""
python3 - "$ROWS" "$OCI_STORE" "$D/results.tsv" <<'PY'
import glob, json, os, sys, textwrap
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
store = {}
for j in sorted(glob.glob(os.path.join(sys.argv[2], "*.json"))):
    env = json.load(open(j))
    raw = open(j[:-5] + ".eml", "rb").read().decode("utf-8", "replace")
    for line in raw.splitlines():
        if line.startswith("Subject: "):
            store[line[9:].strip()] = env
            break
def reached(subject):
    env = store.get(subject)
    if not env:
        return "nothing"
    text = "to %s; envelope from %s, From: %s" % (", ".join(env["rcpts"]) or "nobody",
                                                env["mail_from"], ", ".join(env["header_from"]))
    if env["suppressed"]:
        text += "; DROPPED by OCI (254): " + ", ".join(env["suppressed"])
    return text
widths = (3, 34, 44, 44)
def emit(cells):
    cols = [textwrap.wrap(c, w) or [""] for c, w in zip(cells, widths)]
    for i in range(max(len(c) for c in cols)):
        print("  ".join((c[i] if i < len(c) else "").ljust(w) for c, w in zip(cols, widths)).rstrip())
emit(("#", "What the application sent", "What the application was told", "What reached OCI (the SMTP emulator's store)"))
print("  ".join("-" * w for w in widths))
with open(sys.argv[3], "w", encoding="utf-8") as results:   # the same, one line a row
    for num, what, told, subject in rows:
        emit((num, what, told or "(no answer)", reached(subject)))
        print()
        results.write("%s\t%s\t%s\t%s\n" % (num, what, told, reached(subject)))
PY
# What OCI itself answered, for the record: edg kept it from ever saying 254 or 535.
n254=$(grep -c ' S: 254 ' "$D/oci/smtp.log")
n535=$(grep -c ' S: 535 ' "$D/oci/smtp.log")
say "OCI answered 254 (silent drop) $n254 times and 535 (unapproved) $n535 times: edg refused those first."
say "Postfix queue now: $(postfix_queue_count) message(s). Took $(($(date +%s) - T0)) s."
say ""
if [ "$KEEP" = 1 ]; then
	say "Still running (KEEP=1). Try:"
	say "  swaks --server 127.0.0.1:$SMTP_PORT --from app@example.com --to gone@example.net"
	say "  ls $OCI_STORE            what OCI received (.eml and .json)"
	say "  cat $D/pf/maillog        Postfix's log;  $D/*.log the daemons'"
	say "Stop with: bash demo/stop.sh"
else
	bash demo/stop.sh >/dev/null 2>&1
	say "Stopped everything it started (KEEP=1 leaves it running)."
fi
