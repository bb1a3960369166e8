#!/bin/bash
# e2e_oci_smtp.sh - the OCI SMTP endpoint emulator keeps OCI's contract.
#
# Driven by swaks over verified TLS: STARTTLS before AUTH, AUTH PLAIN only, credentials,
# approved senders (exact, @domain, ACTIVE only) for the envelope and every header From:,
# 254 for a suppressed recipient with the others delivered, 552 over the size limit, 554
# without headers, 455 on demand and by --rate-limit, 421 after repeated 535s, implicit
# TLS, the store, the log
# (no password), and state read live from the control-plane emulator.
set -u
. tests/lib/tap.sh
. tests/lib/redis.sh
. tests/lib/postfix.sh
. tests/lib/e2e.sh

T=$(mktemp -d /tmp/edg-e2e-oci-smtp.XXXXXX)
CONTROL_PID=
cleanup() {
	[ "$TAP_FAILED" -gt 0 ] && tail -n 40 "$T/oci/smtp.log" | sed 's/^/# oci-smtp: /'
	oci_smtp_stop
	[ -n "$CONTROL_PID" ] && kill "$CONTROL_PID" 2>/dev/null && wait "$CONTROL_PID" 2>/dev/null
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT

E2E_CERTS=$T/certs
e2e_certs "$E2E_CERTS" || skip_all "openssl could not make the test CA"
cat >"$T/state.json" <<'JSON'
{"senders": [{"emailAddress": "App@Example.com"}, {"emailAddress": "@example.org"},
             {"emailAddress": "old@example.com", "lifecycleState": "INACTIVE"}],
 "suppressions": [{"emailAddress": "Gone@Example.net", "reason": "HARDBOUNCE"}],
 "generate": {"count": 50}}
JSON
oci_smtp_start "$T/oci" "$E2E_CERTS" --state "$T/state.json" --throttle-file "$T/throttle" \
	--max-size 100000 || skip_all "the emulator did not start: $(cat "$T/oci/smtp.err")"

# smtp ARGS...: swaks against the emulator; --tls and AUTH unless told otherwise.
smtp() {
	swaks --server "localhost:$OCI_SMTP_PORT" --timeout 10 "$@" 2>&1
}
tls_auth() {
	smtp -tls --tls-verify --tls-ca-path "$E2E_CERTS/ca.pem" --auth PLAIN \
		--auth-user "$E2E_SMTP_USER" --auth-password "$E2E_SMTP_PASSWORD" "$@"
}

out=$(smtp --quit-after EHLO)
expect_match "before TLS: STARTTLS offered" '250[- ]STARTTLS' "$out"
expect_eq "before TLS: AUTH not offered" 0 "$(printf '%s\n' "$out" | grep -c 'AUTH')"
printf 'EHLO t\r\nAUTH PLAIN AHUAcA==\r\nMAIL FROM:<app@example.com>\r\nQUIT\r\n' >"$T/plain.txt"
out=$(python3 - "$OCI_SMTP_PORT" "$T/plain.txt" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(open(sys.argv[2], "rb").read())
time.sleep(0.5)
print(s.recv(65536).decode())
PY
)
expect_match "AUTH before STARTTLS: 530 5.7.0 Must issue a STARTTLS command first" '530 5.7.0 Must issue a STARTTLS command first' "$out"
expect_match "MAIL before AUTH: refused" '530 5.7.0 Authentication required' "$out"
out=$(smtp -tls --tls-verify --tls-ca-path "$E2E_CERTS/ca.pem" --quit-after EHLO)
expect_match "after STARTTLS: AUTH PLAIN offered (only PLAIN)" '250 AUTH PLAIN$' "$(printf '%s\n' "$out" | tr -d '\r')"
expect_match "the certificate verifies against the test CA for localhost" '=== TLS started with cipher' "$out"
out=$(python3 - "$OCI_SMTP_PORT" "$E2E_CERTS/ca.pem" <<'PY'
import socket, ssl, sys
s = socket.create_connection(("localhost", int(sys.argv[1])), 5)
f = s.makefile("rb")
def say(line):
    s.sendall(line + b"\r\n")
def replies():
    out = []
    while True:
        l = f.readline().decode()
        out.append(l.strip())
        if l[3:4] != "-":
            return out
replies()
say(b"EHLO t"); replies(); say(b"STARTTLS"); replies()
s = ssl.create_default_context(cafile=sys.argv[2]).wrap_socket(s, server_hostname="localhost")
f = s.makefile("rb")
say(b"EHLO t"); replies()
for cmd in (b"AUTH LOGIN", b"AUTH CRAM-MD5", b"AUTH PLAIN !!notbase64", b"MAIL FROM:<app@example.com>"):
    say(cmd); print(cmd.decode(), "->", replies()[-1])
PY
)
expect_match "AUTH LOGIN after TLS: 504 (PLAIN only)" 'AUTH LOGIN -> 504 5.7.4' "$out"
expect_match "AUTH CRAM-MD5 after TLS: 504" 'AUTH CRAM-MD5 -> 504 5.7.4' "$out"
expect_match "AUTH PLAIN garbage: 501" 'AUTH PLAIN !!notbase64 -> 501' "$out"
expect_match "MAIL after TLS without AUTH: 530" 'MAIL FROM:<app@example.com> -> 530 5.7.0 Authentication required' "$out"
out=$(smtp -tls --tls-ca-path "$E2E_CERTS/ca.pem" --auth PLAIN --auth-user "$E2E_SMTP_USER" --auth-password wrong --quit-after AUTH)
expect_match "wrong password: 535 Authentication credentials invalid" '535 Authentication credentials invalid' "$out"
out=$(smtp -tls --tls-ca-path "$E2E_CERTS/ca.pem" --auth PLAIN --auth-user other --auth-password "$E2E_SMTP_PASSWORD" --quit-after AUTH)
expect_match "wrong user: 535 Authentication credentials invalid" '535 Authentication credentials invalid' "$out"
out=$(tls_auth --quit-after AUTH)
expect_match "right credentials: 235" '235 2.7.0 Authentication succeeded' "$out"

# Senders.
out=$(tls_auth --from app@example.com --to alice@example.net --header "Subject: exact" --header "From: App <APP@example.COM>")
expect_match "approved sender (exact, any case): accepted" '250 2.0.0 Ok: queued as emu' "$out"
out=$(tls_auth --from anyone@example.org --to alice@example.net --header "Subject: domain" --header "From: anyone@example.org")
expect_match "approved @domain: accepted" '250 2.0.0 Ok: queued as emu' "$out"
out=$(tls_auth --from old@example.com --to alice@example.net)
expect_match "INACTIVE sender: 535 at MAIL" '<~?\* +535 Authorization failed: address old@example.com not authorized' "$out"
out=$(tls_auth --from x@sub.example.org --to alice@example.net)
expect_match "subdomain of an @domain: 535" '535 Authorization failed: address x@sub.example.org not authorized' "$out"
out=$(tls_auth --from app@example.com --to alice@example.net --header "From: Stranger <stranger@elsewhere.test>")
expect_match "header From: not approved: 535 at end of DATA" '~> \.[^<]*<~?\* +535 Authorization failed: address stranger@elsewhere.test' "$(printf '%s' "$out" | tr '\n' ' ')"
out=$(tls_auth --from app@example.com --to alice@example.net --header "From: app@example.com, evil@elsewhere.test")
expect_match "every address of From: must be approved" '535 Authorization failed: address evil@elsewhere.test not authorized' "$out"
printf 'Subject: two\r\nFrom: app@example.com\r\nFrom: evil2@elsewhere.test\r\n\r\nx\r\n' >"$T/two.eml"
out=$(tls_auth --from app@example.com --to alice@example.net --data "@$T/two.eml")
expect_match "every From: header must be approved" '535 Authorization failed: address evil2@elsewhere.test not authorized' "$out"
printf 'just a body line\r\n' >"$T/nohdr.eml"
out=$(tls_auth --from app@example.com --to alice@example.net --data "@$T/nohdr.eml")
expect_match "no header block: 554 Message parse error" '554 Message parse error' "$out"

# Suppressions.
stored=$(oci_store_count)
out=$(tls_auth --from app@example.com --to alice@example.net,GONE@example.net,user00000042@gen42.example,bob@example.net \
	--header "Subject: suppressed" --header "From: app@example.com")
expect_match "suppressed recipient (any case): 254 4.7.1 Suppression for user ... to ..." \
	'<~\* +254 4.7.1 Suppression for user ocid1.user.oc1..emu to GONE@example.net' "$out"
expect_match "generated suppression (control emulator's generator): 254" '254 4.7.1 Suppression for user ocid1.user.oc1..emu to user00000042@gen42.example' "$out"
expect_match "the message is accepted all the same" '250 2.0.0 Ok: queued as emu' "$out"
j=$(oci_store_find suppressed)
expect_eq "stored: delivered to the two others only" '["alice@example.net", "bob@example.net"]' \
	"$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["rcpts"]))' "$j")"
expect_eq "stored: the suppressed ones listed apart" '["GONE@example.net", "user00000042@gen42.example"]' \
	"$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["suppressed"]))' "$j")"
out=$(tls_auth --from app@example.com --to user00000043@gen42.example --quit-after RCPT)
expect_match "not a generated address (index mod 97 differs): 250" '250 2.1.5 Ok' "$out"
expect_eq "one message stored for the suppressed test" $((stored + 1)) "$(oci_store_count)"

# Size.
head -c 120000 /dev/zero | tr '\0' a | fold -w 76 >"$T/big.txt"
out=$(tls_auth --from app@example.com --to alice@example.net --body "@$T/big.txt" --suppress-data)
expect_match "over --max-size: 552 Exceeds byte limit" '<~?\* +552 Exceeds byte limit' "$out"
out=$(smtp --quit-after EHLO)
expect_match "SIZE advertised" '250[- ]SIZE 100000' "$out"

# 455 on demand.
echo 7 >"$T/throttle"
out=$(tls_auth --from app@example.com --to alice@example.net)
expect_match "throttle file: 455 Maximum messages sent per minute reached : limit is 7" \
	'<~?\* +455 Maximum messages sent per minute reached : limit is 7' "$out"
rm -f "$T/throttle"

# Store and log.
j=$(oci_store_find exact)
check "store: .eml beside each .json" test -f "${j%.json}.eml"
expect_match "store: envelope sender, auth user, TLS" '"auth_user": "ocid1.user.oc1..aaaaaaaaemu@.*"mail_from": "app@example.com".*"tls": "TLSv1\.[23]"' "$(tr -d '\n' <"$j")"
expect_match "store: the raw content" '^Subject: exact' "$(tr -d '\r' <"${j%.json}.eml")"
expect_eq "log: the password never appears" 0 "$(grep -cF -- "$E2E_SMTP_PASSWORD" "$T/oci/smtp.log")"
expect_eq "log: no base64 AUTH argument either" 0 "$(grep -c 'C: AUTH PLAIN [A-Za-z0-9+/=]\{8,\}' "$T/oci/smtp.log")"
expect_match "log: every reply" 'S: 254 4.7.1 Suppression' "$(cat "$T/oci/smtp.log")"
oci_smtp_stop

# --rate-limit: the N+1st message within a minute gets 455.
oci_smtp_start "$T/rate" "$E2E_CERTS" --state "$T/state.json" --rate-limit 2
for i in 1 2 3; do out=$(tls_auth --from app@example.com --to alice@example.net); done
expect_match "--rate-limit 2: the third message in a minute gets 455" '455 Maximum messages sent per minute reached : limit is 2' "$out"
expect_eq "--rate-limit 2: two stored" 2 "$(oci_store_count)"
oci_smtp_stop

# --auth-failure-limit: repeated 535s (credentials or senders) get the client address 421.
oci_smtp_start "$T/authfail" "$E2E_CERTS" --state "$T/state.json" --auth-failure-limit 2
smtp -tls --tls-ca-path "$E2E_CERTS/ca.pem" --auth PLAIN --auth-user "$E2E_SMTP_USER" --auth-password wrong --quit-after AUTH >/dev/null
out=$(tls_auth --from app@example.com --to alice@example.net)
expect_match "--auth-failure-limit 2: one failure, still served" '250 2.0.0 Ok: queued' "$out"
tls_auth --from stranger@elsewhere.test --to alice@example.net >/dev/null
out=$(tls_auth --from app@example.com --to alice@example.net)
expect_match "--auth-failure-limit 2: after two 535s, 421 Too many auth failures at connect" \
	'421 Too many auth failures, try again later' "$out"
expect_eq "--auth-failure-limit 2: nothing more stored" 1 "$(oci_store_count)"
oci_smtp_stop

# Implicit TLS (port-465 style): TLS from the first byte, no STARTTLS.
oci_smtp_start "$T/implicit" "$E2E_CERTS" --state "$T/state.json" --implicit-tls
out=$(swaks --server "localhost:$OCI_SMTP_PORT" --timeout 10 --tls-on-connect --tls-verify \
	--tls-ca-path "$E2E_CERTS/ca.pem" --auth PLAIN --auth-user "$E2E_SMTP_USER" \
	--auth-password "$E2E_SMTP_PASSWORD" --from app@example.com --to alice@example.net 2>&1)
expect_match "implicit TLS: delivered" '250 2.0.0 Ok: queued as emu' "$out"
expect_eq "implicit TLS: no STARTTLS offered" 0 "$(printf '%s\n' "$out" | grep -c STARTTLS)"
out=$(swaks --server "localhost:$OCI_SMTP_PORT" --timeout 3 --quit-after EHLO 2>&1)
expect_eq "implicit TLS: a plaintext client gets no greeting" 0 "$(printf '%s\n' "$out" | grep -c '^<- *2[0-9][0-9]')"
sleep 0.2
expect_match "implicit TLS: the emulator logs the failed handshake" 'TLS failure' "$(cat "$T/implicit/smtp.log")"
oci_smtp_stop

# State read live from the control-plane emulator (--control-url).
python3 tests/emulators/oci_control.py --port 0 --port-file "$T/control.port" --state "$T/state.json" \
	>"$T/control.log" 2>&1 &
CONTROL_PID=$!
for _ in $(seq 1 100); do [ -s "$T/control.port" ] && break; sleep 0.1; done
CONTROL="http://127.0.0.1:$(cat "$T/control.port")"
oci_smtp_start "$T/live" "$E2E_CERTS" --control-url "$CONTROL"
out=$(tls_auth --from new@example.net --to alice@example.net --quit-after MAIL)
expect_match "--control-url: unknown sender refused" '535 Authorization failed: address new@example.net' "$out"
python3 tests/emulators/emuctl.py "$CONTROL" POST /senders '{"emailAddress": "new@example.net"}' >/dev/null
python3 tests/emulators/emuctl.py "$CONTROL" POST /suppressions '{"emailAddress": "alice@example.net", "reason": "COMPLAINT"}' >/dev/null
out=$(tls_auth --from new@example.net --to alice@example.net --quit-after RCPT)
expect_match "--control-url: a sender added in the control emulator is approved at once" '250 2.1.0 Ok' "$out"
expect_match "--control-url: a suppression added there answers 254 at once" '254 4.7.1 Suppression for user ocid1.user.oc1..emu to alice@example.net' "$out"
kill "$CONTROL_PID" && wait "$CONTROL_PID" 2>/dev/null
CONTROL_PID=
out=$(tls_auth --from new@example.net --to bob@example.net --quit-after MAIL)
expect_match "--control-url unreachable: 451, never a guess" '451 4.3.0' "$out"
done_testing
