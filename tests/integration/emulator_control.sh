#!/bin/bash
# emulator_control.sh - the OCI control-plane emulator (tests/emulators/oci_control.py):
# signature verification, JSON shapes, paging, filters, writes, control interface, faults,
# request log, TLS, generated lists. Requests are signed by tests/emulators/sign_request.py
# (openssl dgst -sha256 -sign), and by build/edgctl oci-sign when it is built.
# Run from the repository root; prints TAP.
set -u
. tests/lib/tap.sh

command -v python3 >/dev/null || skip_all "python3 not installed"
command -v openssl >/dev/null || skip_all "openssl not installed"

EMU=tests/emulators/oci_control.py
SIGN=tests/emulators/sign_request.py
CTL=tests/emulators/emuctl.py
D=tests/data/emulator
T=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
KID="$T/ocid1.user.oc1..emutest/73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7"
KID2="$T/ocid1.user.oc1..second/73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7"
W=$(mktemp -d)
secret_register_key "$D/private-key.pem" # signs every request; never logged
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	keep_logs "$W"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# start_emu NAME ARGS...: start an emulator on a free port; sets NAME_PORT and NAME_PID.
start_emu() {
	local name=$1
	shift
	rm -f "$W/$name.port"
	python3 "$EMU" --port 0 --port-file "$W/$name.port" "$@" 2>"$W/$name.err" &
	local pid=$!
	PIDS="$PIDS $pid"
	for _ in $(seq 100); do
		[ -s "$W/$name.port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	eval "${name}_PORT=\$(cat \"\$W/\$name.port\" 2>/dev/null)"
	eval "${name}_PID=$pid"
	[ -s "$W/$name.port" ]
}

# sreq URL_OR_PATH [sign_request options]: signed request to emulator A (paths are relative
# to http://127.0.0.1:$A_PORT); body in $W/body, headers in $W/hdr, status on stdout.
sreq() {
	local method=$1 url=$2
	shift 2
	case "$url" in http*) ;; *) url="http://127.0.0.1:$A_PORT$url" ;; esac
	python3 "$SIGN" --key "$D/private-key.pem" --key-id "$KID" "$method" "$url" \
		-o "$W/body" -D "$W/hdr" "$@"
}
# jget EXPR [FILE [ARG...]]: evaluate a Python expression over the JSON document d (extra
# arguments in the list a); a tuple prints space-separated.
jget() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[2],"rb")); a=sys.argv[3:]; r=eval(sys.argv[1])
print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "${2:-$W/body}" "${@:3}"
}
# hget NAME: a response header of the last sreq.
hget() { grep -i "^$1:" "$W/hdr" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
ctl() { python3 "$CTL" "http://127.0.0.1:$A_PORT" "$@"; }

API=/20170907
SUP="$API/suppressions?compartmentId=$T"

if ! start_emu A --key "$KID=$D/public-key.pem" --state "$D/state.json" \
	--generate-suppressions 2500; then
	skip_all "emulator did not start: $(cat "$W/A.err")"
fi
ok "emulator starts on a free port and writes it to --port-file ($A_PORT)"
expect_match "health answers on the control interface" '"ok": ?true' "$(ctl GET /health)"

# --- signature verification -------------------------------------------------------------
st=$(sreq GET "$API/senders?compartmentId=$T")
expect_eq "signed GET /senders is 200" 200 "$st"
expect_eq "ListSenders is a bare array of SenderSummary" \
	"list 4 ['compartmentId', 'definedTags', 'emailAddress', 'freeformTags', 'id', 'lifecycleState', 'timeCreated']" \
	"$(jget 'type(d).__name__, len(d), sorted(d[0])')"
expect_eq "opc-total-items counts the matching senders" 4 "$(hget opc-total-items)"
rid1=$(hget opc-request-id)
sreq GET "$API/senders?compartmentId=$T" >/dev/null
rid2=$(hget opc-request-id)
if [ -n "$rid1" ] && [ -n "$rid2" ] && [ "$rid1" != "$rid2" ]; then ok "every response carries a unique opc-request-id"; else not_ok "unique opc-request-id" "$rid1 / $rid2"; fi
expect_match "timeCreated is RFC 3339 with milliseconds and Z" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' "$(jget 'd[0]["timeCreated"]')"

st=$(sreq GET "$SUP&limit=5" --corrupt-signature)
expect_eq "a bad signature is 401" 401 "$st"
expect_eq "401 body is NotAuthenticated" NotAuthenticated "$(jget 'd["code"]')"
expect_match "the 401 carries an opc-request-id" '.+' "$(hget opc-request-id)"
st=$(sreq GET "$SUP&limit=5" --key-id "$T/ocid1.user.oc1..nobody/00:11")
expect_eq "an unknown keyId is 401" 401 "$st"
st=$(sreq GET "$SUP&limit=5" --send-target "$SUP&limit=6")
expect_eq "a query altered after signing is 401" 401 "$st"
st=$(sreq GET "$SUP&limit=5" --date-offset -360)
expect_eq "a date 6 minutes old is 401" 401 "$st"
expect_match "the skew is named in the message" 'off the server clock' "$(jget 'd["message"]')"
st=$(sreq GET "$SUP&limit=5" --date-offset 360)
expect_eq "a date 6 minutes ahead is 401" 401 "$st"
st=$(sreq GET "$SUP&limit=5" --date-offset -240)
expect_eq "a date 4 minutes old is accepted" 200 "$st"
st=$(sreq GET "$SUP&limit=5" --x-date)
expect_eq "x-date may replace date" 200 "$st"
st=$(sreq GET "$SUP&limit=5" --omit-header authorization)
expect_eq "no Authorization header is 401" 401 "$st"
st=$(sreq GET "$SUP&limit=5" --headers "date (request-target)")
expect_eq "host left out of the signed headers is 401" 401 "$st"
st=$(sreq GET "$SUP&limit=5" --set-header "host: evil.example")
expect_eq "a Host changed after signing is 401" 401 "$st"
body="{\"compartmentId\":\"$T\",\"emailAddress\":\"sig@test.example\"}"
st=$(sreq POST "$API/suppressions" --data "$body" --headers "date (request-target) host content-length content-type")
expect_eq "POST without x-content-sha256 in the signed list is 401" 401 "$st"
st=$(sreq POST "$API/suppressions" --data "$body" --send-data "${body/sig@/siG@}")
expect_eq "POST with a body changed after signing is 401" 401 "$st"
expect_match "... because x-content-sha256 does not match" 'x-content-sha256' "$(jget 'd["message"]')"
st=$(sreq POST "$API/suppressions" --data "$body" --set-header "x-content-sha256: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
expect_eq "POST whose x-content-sha256 header was swapped is 401" 401 "$st"

# the request target is signed byte for byte, even raw (not percent-encoded) UTF-8
raw=$(python3 - "$A_PORT" "$KID" "$D/private-key.pem" "$T" <<'PY'
import socket, sys
sys.path.insert(0, "tests/emulators")
import sign_request as sr
port, kid, key, t = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
target = "/20170907/suppressions?compartmentId=%s&emailAddress=caf\u00e9@x.example" % t
out = []
for tamper in (False, True):
    h, _ = sr.sign_headers(sr.Signer(key), kid, "GET", target, "127.0.0.1:%d" % port)
    sent = target.replace("caf\u00e9", "cafe\u0301") if tamper else target
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\n%s\r\n" % (sent, "".join(
        "%s: %s\r\n" % kv for kv in h.items()))).encode("utf-8"))
    out.append(s.recv(100).split(b" ")[1].decode())
    s.close()
print(" ".join(out))
PY
)
expect_eq "raw UTF-8 in the request target is verified byte-exactly (same text, other bytes: 401)" "200 401" "$raw"
st=$(python3 -c '
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1])); c.request("OPTIONS", "/20170907/senders")
r = c.getresponse(); b = r.read()
print(r.status, r.getheader("Content-Type"), bool(r.getheader("opc-request-id")), r.getheader("Content-Length") == str(len(b)))' "$A_PORT")
expect_eq "an unknown method is a JSON 501 with opc-request-id and Content-Length" "501 application/json True True" "$st"

# --- parameters ---------------------------------------------------------------------------
st=$(sreq GET "$API/senders")
expect_eq "ListSenders without compartmentId is 400" "400 MissingParameter" "$st $(jget 'd["code"]')"
st=$(sreq GET "$API/suppressions")
expect_eq "ListSuppressions without compartmentId is 400" "400 MissingParameter" "$st $(jget 'd["code"]')"
st=$(sreq GET "$API/suppressions?compartmentId=ocid1.compartment.oc1..other")
expect_eq "ListSuppressions outside the tenancy is 400" "400 InvalidParameter" "$st $(jget 'd["code"]')"
expect_eq "limit=0 is 400" 400 "$(sreq GET "$SUP&limit=0")"
expect_eq "limit=1001 is 400" 400 "$(sreq GET "$SUP&limit=1001")"
expect_eq "limit=abc is 400" 400 "$(sreq GET "$SUP&limit=abc")"
expect_eq "limit=1000 is 200" 200 "$(sreq GET "$SUP&limit=1000")"
expect_eq "default limit is 100" 100 "$(sreq GET "$SUP" >/dev/null; jget 'len(d)')"
expect_eq "sortBy=NAME is 400 on suppressions" 400 "$(sreq GET "$SUP&sortBy=NAME")"
expect_eq "a forged page token is 400" 400 "$(sreq GET "$SUP&page=bm90LWEtdG9rZW4")"
expect_eq "unknown path is 404" "404 NotAuthorizedOrNotFound" "$(sreq GET "$API/nothing") $(jget 'd["code"]')"
expect_eq "wrong method is 405" 405 "$(sreq DELETE "$API/senders")"

# --- senders, domains, dkims, configuration -----------------------------------------------
sreq GET "$API/senders?compartmentId=$T&lifecycleState=ACTIVE&sortBy=EMAILADDRESS&sortOrder=ASC" >/dev/null
expect_eq "lifecycleState filter and EMAILADDRESS sort" "['@example.com', 'billing@example.com', 'noreply@example.com']" "$(jget '[s["emailAddress"] for s in d]')"
sreq GET "$API/senders?compartmentId=$T&domain=example.org" >/dev/null
expect_eq "domain filter" "['old@example.org']" "$(jget '[s["emailAddress"] for s in d]')"
sreq GET "$API/senders?compartmentId=$T&emailAddress=NoReply%40Example.com" >/dev/null
expect_eq "emailAddress filter (percent-encoded, any case)" "['ocid1.emailsender.oc1..noreply']" "$(jget '[s["id"] for s in d]')"
sreq GET "$API/senders?compartmentId=ocid1.compartment.oc1..ops" >/dev/null
expect_eq "senders are listed per compartment" "['ops@ops.example.net']" "$(jget '[s["emailAddress"] for s in d]')"
sreq GET "$API/senders?compartmentId=$T&limit=2" >/dev/null
p1=$(jget '[s["id"] for s in d]')
tok=$(hget opc-next-page)
sreq GET "$API/senders?compartmentId=$T&limit=2&page=$tok" >/dev/null
expect_eq "senders page at limit=2, default TIMECREATED DESC" \
	"['ocid1.emailsender.oc1..wildcard', 'ocid1.emailsender.oc1..billing'] ['ocid1.emailsender.oc1..noreply', 'ocid1.emailsender.oc1..old'] " \
	"$p1 $(jget '[s["id"] for s in d]') $(hget opc-next-page)"
st=$(sreq GET "$API/senders/ocid1.emailsender.oc1..billing")
expect_eq "GetSender" "200 billing@example.com ACTIVE" "$st $(jget 'd["emailAddress"], d["lifecycleState"]')"
expect_eq "GetSender unknown id is 404" "404 NotAuthorizedOrNotFound" "$(sreq GET "$API/senders/ocid1.emailsender.oc1..none") $(jget 'd["code"]')"
ctl POST /senders/ocid1.emailsender.oc1..billing '{"lifecycleState":"DELETING"}' >/dev/null
sreq GET "$API/senders?compartmentId=$T&lifecycleState=ACTIVE" >/dev/null
expect_eq "control: a sender moved ACTIVE -> DELETING leaves the ACTIVE listing" "['@example.com', 'noreply@example.com']" "$(jget 'sorted(s["emailAddress"] for s in d)')"
ctl POST /senders '{"emailAddress":"new@example.com","id":"ocid1.emailsender.oc1..new"}' >/dev/null
sreq GET "$API/senders?compartmentId=$T&lifecycleState=ACTIVE" >/dev/null
expect_eq "control: an added sender is listed" "['@example.com', 'new@example.com', 'noreply@example.com']" "$(jget 'sorted(s["emailAddress"] for s in d)')"
ctl DELETE /senders/ocid1.emailsender.oc1..new >/dev/null
expect_eq "control: a removed sender is gone" 404 "$(sreq GET "$API/senders/ocid1.emailsender.oc1..new")"

st=$(sreq GET "$API/emailDomains?compartmentId=$T")
expect_eq "ListEmailDomains is {items:[...]}" "200 ['items'] 2" "$st $(jget 'sorted(d), len(d["items"])')"
expect_eq "EmailDomainSummary fields and the active DKIM" \
	"['activeDkimId', 'compartmentId', 'definedTags', 'freeformTags', 'id', 'lifecycleState', 'name', 'timeCreated'] ocid1.emaildkim.oc1..sel2024" \
	"$(sreq GET "$API/emailDomains?compartmentId=$T&name=example.com" >/dev/null; jget 'sorted(d["items"][0])') $(jget 'd["items"][0]["activeDkimId"]')"
st=$(sreq GET "$API/dkims?emailDomainId=ocid1.emaildomain.oc1..example&sortBy=NAME&sortOrder=ASC")
expect_eq "ListDkims is {items:[...]} with the domain's DKIMs" "200 ['sel2023', 'sel2024']" "$st $(jget '[k["name"] for k in d["items"]]')"
expect_eq "DkimSummary fields" "['definedTags', 'emailDomainId', 'freeformTags', 'id', 'lifecycleState', 'name', 'timeCreated']" "$(jget 'sorted(d["items"][0])')"
expect_eq "ListDkims without emailDomainId is 400" 400 "$(sreq GET "$API/dkims")"
st=$(sreq GET "$API/configuration?compartmentId=$T")
expect_eq "GetEmailConfiguration" "200 smtp.email.us-ashburn-1.oci.oraclecloud.com https://cell0.submit.email.us-ashburn-1.oci.oraclecloud.com" "$st $(jget 'd["smtpSubmitEndpoint"], d["httpSubmitEndpoint"]')"

# --- suppressions: shape, paging, sort, filters ---------------------------------------------
sreq GET "$SUP&limit=1" >/dev/null
expect_eq "SuppressionSummary fields" "['compartmentId', 'emailAddress', 'id', 'reason', 'timeCreated']" "$(jget 'sorted(d[0])')"
expect_eq "default order is TIMECREATED DESC (the newest explicit entry first)" "angry@customer.example" "$(jget 'd[0]["emailAddress"]')"
# only the generated entries (all in 2020) at limit 1000: 2500 -> 3 pages
pages=0
tok=""
: >"$W/ids"
: >"$W/times"
: >"$W/sizes"
while :; do
	q="$SUP&limit=1000&timeCreatedLessThan=2021-01-01T00%3A00%3A00.000Z"
	[ -n "$tok" ] && q="$q&page=$tok"
	st=$(sreq GET "$q")
	[ "$st" = 200 ] || break
	pages=$((pages + 1))
	jget 'len(d)' >>"$W/sizes"
	jget '"\n".join(s["id"] for s in d)' >>"$W/ids"
	jget '"\n".join(s["timeCreated"] for s in d)' >>"$W/times"
	tok=$(hget opc-next-page)
	[ -z "$tok" ] && break
	[ $pages -ge 10 ] && break
done
expect_eq "2,500 generated suppressions at limit=1000: 3 pages of 1000, 1000, 500" "3 1000 1000 500" "$pages $(tr '\n' ' ' <"$W/sizes" | sed 's/ $//')"
expect_eq "... all 2,500 distinct" 2500 "$(sort -u "$W/ids" | wc -l)"
expect_eq "... no opc-next-page on the last page" "" "$tok"
if sort -r -c "$W/times" 2>/dev/null; then ok "... timeCreated descending across pages"; else not_ok "timeCreated descending across pages"; fi
sreq GET "$SUP&limit=3&sortOrder=ASC" >/dev/null
expect_eq "sortOrder=ASC starts at the oldest generated entry" "['user00000000@gen0.example', 'user00000001@gen1.example', 'user00000002@gen2.example']" "$(jget '[s["emailAddress"] for s in d]')"
expect_eq "generated reasons cycle through the enum" "['UNKNOWN', 'HARDBOUNCE', 'COMPLAINT']" "$(jget '[s["reason"] for s in d]')"
sreq GET "$SUP&limit=1000&sortBy=EMAILADDRESS&sortOrder=ASC" >/dev/null
expect_eq "sortBy=EMAILADDRESS ASC is ordered by address" "True angry@customer.example" "$(jget '[s["emailAddress"] for s in d] == sorted(s["emailAddress"] for s in d)') $(jget 'd[0]["emailAddress"]')"
# time filters: generated i has timeCreated 2020-01-01T00:00:00Z + i s
sreq GET "$SUP&limit=1000&sortOrder=ASC&timeCreatedGreaterThanOrEqualTo=2020-01-01T00%3A10%3A00.000Z&timeCreatedLessThan=2020-01-01T00%3A20%3A00.000Z" >/dev/null
expect_eq "timeCreatedGreaterThanOrEqualTo is inclusive, timeCreatedLessThan exclusive" \
	"600 2020-01-01T00:10:00.000Z 2020-01-01T00:19:59.000Z" \
	"$(jget 'len(d), d[0]["timeCreated"], d[-1]["timeCreated"]')"
sreq GET "$SUP&timeCreatedGreaterThanOrEqualTo=2024-03-02T11%3A30%3A00.250Z" >/dev/null
expect_eq "a millisecond-exact lower bound includes the entry" "['angry@customer.example']" "$(jget '[s["emailAddress"] for s in d]')"
sreq GET "$SUP&timeCreatedGreaterThanOrEqualTo=2024-03-02T11%3A30%3A00.251Z" >/dev/null
expect_eq "one millisecond later excludes it" "[]" "$(jget '[s["emailAddress"] for s in d]')"
expect_eq "a bad time value is 400" 400 "$(sreq GET "$SUP&timeCreatedLessThan=yesterday")"
sreq GET "$SUP&emailAddress=user00001234%40gen70.example" >/dev/null
expect_eq "emailAddress filter finds one generated entry" "['ocid1.emailsuppression.oc1..emugen00001234']" "$(jget '[s["id"] for s in d]')"
sreq GET "$SUP&emailAddress=BOUNCED%40customer.example" >/dev/null
expect_eq "emailAddress filter finds an explicit entry" "['ocid1.emailsuppression.oc1..bounced']" "$(jget '[s["id"] for s in d]')"
st=$(sreq GET "$API/suppressions/ocid1.emailsuppression.oc1..bounced")
expect_eq "GetSuppression returns the full Suppression" "200 550 5.1.1 user unknown|mx.customer.example|abc123@example.com" "$st $(jget '"|".join([d["errorDetail"], d["errorSource"], d["messageId"]])')"
st=$(sreq GET "$API/suppressions/ocid1.emailsuppression.oc1..emugen00000007")
expect_eq "GetSuppression of a generated entry" "200 user00000007@gen7.example HARDBOUNCE" "$st $(jget 'd["emailAddress"], d["reason"]')"

# --- CreateSuppression, DeleteSuppression ----------------------------------------------
st=$(sreq POST "$API/suppressions" --data "{\"compartmentId\":\"$T\",\"emailAddress\":\"Jane.Doe+News@Example.COM\"}")
expect_eq "CreateSuppression is 200, lowercased, reason MANUAL" "200 jane.doe+news@example.com MANUAL" "$st $(jget 'd["emailAddress"], d["reason"]')"
new_id=$(jget 'd["id"]')
sreq GET "$SUP&emailAddress=jane.doe%2Bnews%40example.com" >/dev/null
expect_eq "the new suppression is listed" "['$new_id']" "$(jget '[s["id"] for s in d]')"
st=$(sreq POST "$API/suppressions" --data "{\"compartmentId\":\"$T\",\"emailAddress\":\"JANE.DOE+NEWS@example.com\"}")
expect_eq "CreateSuppression of a listed address returns the existing entry" "200 $new_id" "$st $(jget 'd["id"]')"
ctl POST /settings '{"duplicateSuppression":"conflict"}' >/dev/null
st=$(sreq POST "$API/suppressions" --data "{\"compartmentId\":\"$T\",\"emailAddress\":\"jane.doe+news@example.com\"}")
expect_eq "... or 409 Conflict when so configured" "409 Conflict" "$st $(jget 'd["code"]')"
ctl POST /settings '{"duplicateSuppression":"existing"}' >/dev/null
st=$(sreq POST "$API/suppressions" --data "{\"compartmentId\":\"ocid1.compartment.oc1..x\",\"emailAddress\":\"a@b.example\"}")
expect_eq "CreateSuppression outside the tenancy is 400" 400 "$st"
expect_eq "CreateSuppression of a non-address is 400" 400 "$(sreq POST "$API/suppressions" --data "{\"compartmentId\":\"$T\",\"emailAddress\":\"nobody\"}")"
expect_eq "CreateSuppression with a body that is not JSON is 400" "400 CannotParseRequest" "$(sreq POST "$API/suppressions" --data "{oops") $(jget 'd["code"]')"
st=$(sreq DELETE "$API/suppressions/$new_id")
expect_eq "DeleteSuppression is 204 with no body" "204 0" "$st $(wc -c <"$W/body")"
expect_eq "a deleted suppression is 404" "404 NotAuthorizedOrNotFound" "$(sreq GET "$API/suppressions/$new_id") $(jget 'd["code"]')"
expect_eq "deleting it again is 404" 404 "$(sreq DELETE "$API/suppressions/$new_id")"
expect_eq "DeleteSuppression of a generated entry is 204" 204 "$(sreq DELETE "$API/suppressions/ocid1.emailsuppression.oc1..emugen00000010")"
expect_eq "... and it is no longer listed" "[]" "$(sreq GET "$SUP&emailAddress=user00000010%40gen10.example" >/dev/null; jget 'd')"
expect_eq "... and the counts follow" 2501 "$(ctl GET /state | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["suppressions"])')"

# --- control: suppressions with explicit time and reason, reset ---------------------------
ctl POST /suppressions '{"emailAddress":"late@x.example","reason":"SOFTBOUNCE","timeCreated":"2020-01-01T00:00:05.500Z","id":"ocid1.emailsuppression.oc1..late"}' >/dev/null
sreq GET "$SUP&sortOrder=ASC&limit=8&timeCreatedLessThan=2020-01-01T00%3A00%3A07.000Z" >/dev/null
expect_eq "control: an added suppression interleaves with generated ones by timeCreated" \
	"user00000005@gen5.example late@x.example user00000006@gen6.example" \
	"$(jget '" ".join(s["emailAddress"] for s in d[5:8])')"
sreq GET "$SUP&sortOrder=ASC&limit=3&timeCreatedLessThan=2020-01-01T00%3A00%3A07.000Z" >/dev/null
tok=$(hget opc-next-page)
sreq GET "$SUP&sortOrder=ASC&limit=3&timeCreatedLessThan=2020-01-01T00%3A00%3A07.000Z&page=$tok" >/dev/null
expect_eq "... also across a page boundary" "user00000003@gen3.example user00000004@gen4.example user00000005@gen5.example" "$(jget '" ".join(s["emailAddress"] for s in d)')"
sreq GET "$SUP&sortOrder=ASC&limit=3&timeCreatedLessThan=2020-01-01T00%3A00%3A07.000Z&page=$(hget opc-next-page)" >/dev/null
expect_eq "... with its reason" "late@x.example SOFTBOUNCE" "$(jget 'd[0]["emailAddress"], d[0]["reason"]')"
ctl DELETE /suppressions/ocid1.emailsuppression.oc1..late >/dev/null
expect_eq "control: removing it" 404 "$(sreq GET "$API/suppressions/ocid1.emailsuppression.oc1..late")"
ctl POST /reset >/dev/null
expect_eq "control: reset restores the initial state" "2502 200" "$(ctl GET /state | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["suppressions"])') $(sreq GET "$API/suppressions/ocid1.emailsuppression.oc1..emugen00000010")"
expect_eq "control: reset restores sender states" ACTIVE "$(sreq GET "$API/senders/ocid1.emailsender.oc1..billing" >/dev/null; jget 'd["lifecycleState"]')"

# --- faults -------------------------------------------------------------------------------
for code in 401 404 500 502 503 504; do
	ctl POST /fault "{\"type\":\"status\",\"status\":$code,\"path\":\"/suppressions\",\"times\":1}" >/dev/null
	a=$(sreq GET "$SUP&limit=2")
	c=$(jget 'd["code"]')
	b=$(sreq GET "$SUP&limit=2")
	expect_eq "fault: status $code once, then normal" "$code $c 200" "$a $c $b"
done
ctl POST /fault '{"type":"status","status":429,"retryAfter":7,"path":"/suppressions","times":2}' >/dev/null
a=$(sreq GET "$SUP&limit=2")
ra=$(hget retry-after)
b=$(sreq GET "$SUP&limit=2")
c=$(sreq GET "$SUP&limit=2")
expect_eq "fault: 429 TooManyRequests with Retry-After: 7, twice" "429 7 429 200" "$a $ra $b $c"
expect_eq "fault: the path pattern spares other paths" 200 "$(ctl POST /fault '{"type":"status","status":500,"path":"/senders*"}' >/dev/null; sreq GET "$SUP&limit=1")"
ctl DELETE /faults >/dev/null
ctl POST /fault '{"type":"status","status":503,"nth":2}' >/dev/null
expect_eq "fault: nth=2 hits only the second request" "200 503 200" "$(sreq GET "$SUP&limit=1") $(sreq GET "$SUP&limit=1") $(sreq GET "$SUP&limit=1")"
ctl POST /fault '{"type":"slow","seconds":1.5,"times":1}' >/dev/null
t0=$(date +%s%N)
st=$(sreq GET "$SUP&limit=1")
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$st" = 200 ] && [ "$ms" -ge 1450 ]; then ok "fault: slow answer (200 after ${ms} ms)"; else not_ok "fault: slow answer" "status $st after $ms ms"; fi
ctl POST /fault '{"type":"truncate","times":1}' >/dev/null
st=$(sreq GET "$SUP&limit=10")
if [ "$st" = 200 ] && [ "$(hget content-length)" = "$(wc -c <"$W/body")" ] && ! jget 'd' >/dev/null 2>&1; then
	ok "fault: truncated JSON with an honest Content-Length"
else not_ok "fault: truncated JSON with an honest Content-Length" "$st $(hget content-length) $(wc -c <"$W/body")"; fi
ctl POST /fault '{"type":"truncate","mode":"close","keep":100,"times":1}' >/dev/null
st=$(sreq GET "$SUP&limit=10" 2>"$W/err")
rc=$?
expect_eq "fault: connection closed mid-body" "000 3" "$st $rc"
expect_match "... the client saw 100 bytes of more" 'incomplete read: 100 bytes' "$(cat "$W/err")"
ctl POST /fault '{"type":"bad_utf8","times":1}' >/dev/null
st=$(sreq GET "$SUP&limit=3")
if [ "$st" = 200 ] && ! python3 -c 'import sys; open(sys.argv[1],"rb").read().decode("utf-8")' "$W/body" 2>/dev/null; then
	ok "fault: invalid UTF-8 in a field"
else not_ok "fault: invalid UTF-8 in a field" "$st"; fi
ctl POST /fault '{"type":"wrong_type","times":1}' >/dev/null
st=$(sreq GET "$SUP&limit=3")
expect_eq "fault: emailAddress as a number" "200 int str" "$st $(jget 'type(d[0]["emailAddress"]).__name__, type(d[1]["emailAddress"]).__name__')"
ctl POST /fault '{"type":"wrong_type","field":"items","value":{"not":"a list"},"path":"/emailDomains","times":1}' >/dev/null
sreq GET "$API/emailDomains?compartmentId=$T" >/dev/null
expect_eq "fault: wrong_type on {items} lists and any field" "dict" "$(jget 'type(d["items"][0]["items"]).__name__')"
# page loop: the 2nd page's opc-next-page points back at the first page
q="$SUP&limit=1000"
sreq GET "$q" >/dev/null
first=$(jget 'd[0]["id"]')
t1=$(hget opc-next-page)
ctl POST /fault '{"type":"page_loop","times":1}' >/dev/null
sreq GET "$q&page=$t1" >/dev/null
t2=$(hget opc-next-page)
sreq GET "$q&page=$t2" >/dev/null
expect_eq "fault: page-token loop leads back to the first page" "$first" "$(jget 'd[0]["id"]')"
# endless: every answer has a new opc-next-page, even past the end
ctl POST /fault '{"type":"endless","path":"/suppressions"}' >/dev/null
tok=""
: >"$W/toks"
for _ in 1 2 3 4 5 6; do
	sreq GET "$q${tok:+&page=$tok}" >/dev/null
	tok=$(hget opc-next-page)
	echo "$tok" >>"$W/toks"
done
expect_eq "fault: endless listing (6 pages of a 3-page list, 6 distinct tokens)" 6/6 "$(grep -c . "$W/toks" | tr -d ' ')/$(sort -u "$W/toks" | grep -c .)"
ctl DELETE /faults >/dev/null
ctl POST /fault '{"type":"drop","times":1}' >/dev/null
st=$(sreq GET "$SUP&limit=1" 2>/dev/null)
expect_eq "fault: connection dropped without an answer" "000 200" "$st $(sreq GET "$SUP&limit=1")"
faults=$(ctl GET /faults)
expect_match "fault list reports what fired" '"fired": ?1' "$faults"
ctl DELETE /faults >/dev/null
expect_eq "control: bad fault spec is refused" 1 "$(ctl POST /fault '{"type":"nonsense"}' >/dev/null; echo $?)"

# --- request log ------------------------------------------------------------------------------
ctl POST /keys "{\"keyId\":\"$KID2\",\"path\":\"$D/public-key.pem\"}" >/dev/null
ctl DELETE /log >/dev/null
sreq GET "$SUP&limit=2" >/dev/null
sreq GET "$API/senders?compartmentId=$T" --key-id "$KID2" >/dev/null
sreq GET "$SUP&limit=2" --corrupt-signature >/dev/null
ctl GET /log >"$W/log"
expect_eq "request log: method, path, query, status, keyId" \
	"GET /20170907/suppressions compartmentId=$T&limit=2 200 $KID" \
	"$(jget '" ".join(str(x) for x in [d["entries"][0][k] for k in ("method","path","query","status","keyId")])' "$W/log")"
expect_eq "request log: who pulled (identities and their authenticated requests)" "1 1" "$(jget 'sum(1 for e in d["entries"] if e["keyId"]==a[0] and e["authenticated"]), sum(1 for e in d["entries"] if e["keyId"]==a[1] and e["authenticated"])' "$W/log" "$KID" "$KID2")"
expect_eq "request log: failed authentication is logged as such" "401 False" "$(jget 'd["entries"][2]["status"], d["entries"][2]["authenticated"]' "$W/log")"
expect_match "request log: each entry has time, request id, item count" '^20[0-9-]+T[0-9:.]+Z .+ 2$' "$(jget 'd["entries"][0]["time"] + " " + d["entries"][0]["requestId"] + " " + str(d["entries"][0]["items"])' "$W/log")"
ctl DELETE /log >/dev/null
expect_eq "request log: cleared" 0 "$(ctl GET /log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')"

# --- the published OCI signing vectors, verified by the emulator ---------------------------
VKID="ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq/20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
VA_TARGET='/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q'
VA_SIG='GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M='
VB_SIG='Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso='
VDATE='Thu, 05 Jan 2014 21:31:40 GMT'
ctl POST /keys "{\"keyId\":\"$VKID\",\"path\":\"$D/public-key.pem\"}" >/dev/null
ctl POST /clock '{"now":"2014-01-05T21:31:40.000Z"}' >/dev/null
for v in openssl builtin; do
	ctl POST /settings "{\"verifier\":\"$v\"}" >/dev/null
	st=$(sreq GET "http://127.0.0.1:$A_PORT$VA_TARGET" --host iaas.us-phoenix-1.oraclecloud.com --date "$VDATE" \
		--set-header "authorization: Signature version=\"1\",headers=\"date (request-target) host\",keyId=\"$VKID\",algorithm=\"rsa-sha256\",signature=\"$VA_SIG\"")
	expect_eq "vector A (published GET signature) passes authentication [$v] (404: unknown API path)" 404 "$st"
	st=$(sreq POST "http://127.0.0.1:$A_PORT/20160918/volumeAttachments" --host iaas.us-phoenix-1.oraclecloud.com --date "$VDATE" \
		--data-file "$D/vector-post-body.json" \
		--set-header "authorization: Signature version=\"1\",headers=\"date (request-target) host content-length content-type x-content-sha256\",keyId=\"$VKID\",algorithm=\"rsa-sha256\",signature=\"$VB_SIG\"")
	expect_eq "vector B (published POST signature) passes authentication [$v]" 404 "$st"
	st=$(sreq GET "http://127.0.0.1:$A_PORT${VA_TARGET/TeamX/TeamY}" --host iaas.us-phoenix-1.oraclecloud.com --date "$VDATE" \
		--set-header "authorization: Signature version=\"1\",headers=\"date (request-target) host\",keyId=\"$VKID\",algorithm=\"rsa-sha256\",signature=\"$VA_SIG\"")
	expect_eq "vector A with one query character changed is 401 [$v]" 401 "$st"
	st=$(sreq GET "$SUP&limit=1" --corrupt-signature --date "$VDATE")
	expect_eq "a corrupted signature is 401 [$v]" 401 "$st"
done
ctl POST /clock '{"offsetSeconds":0}' >/dev/null
ctl POST /settings '{"verifier":"openssl"}' >/dev/null

# --- edgctl oci-sign (the project's C signer) against the emulator ---------------------------
EDGCTL=${EDG_BUILD:-build}/edgctl
if [ -x "$EDGCTL" ] && "$EDGCTL" oci-sign -h >/dev/null 2>&1; then
	cp "$D/private-key.pem" "$W/edg-key.pem"
	chmod 600 "$W/edg-key.pem"
	: >"$W/empty.conf"
	# edg_sign METHOD URL [--body FILE]: the Authorization value edgctl makes, dated $EDATE
	edg_sign() {
		local m=$1 u=$2
		shift 2
		"$EDGCTL" -c "$W/empty.conf" oci-sign --key "$W/edg-key.pem" --tenancy "$T" \
			--user ocid1.user.oc1..emutest --fingerprint 73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7 \
			--date "$EDATE" "$@" "$m" "$u"
	}
	EDATE=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
	u="http://127.0.0.1:$A_PORT$SUP&limit=3&timeCreatedLessThan=2020-01-01T00%3A00%3A10.000Z"
	auth=$(edg_sign GET "$u")
	st=$(sreq GET "$u" --date "$EDATE" --set-header "authorization: $auth")
	expect_eq "edgctl oci-sign: a GET it signed (percent-encoded query) is accepted" "200 3" "$st $(jget 'len(d)')"
	mine=$(python3 "$SIGN" --key "$D/private-key.pem" --key-id "$KID" --date "$EDATE" --signing-string GET "$u" | sed -n 's/^authorization: //p')
	expect_eq "edgctl oci-sign and the openssl signer make the same Authorization header" "$mine" "$auth"
	printf '{"compartmentId":"%s","emailAddress":"Signed.By@EDGCTL.example"}' "$T" >"$W/edg-body.json"
	auth=$(edg_sign POST "http://127.0.0.1:$A_PORT$API/suppressions" --body "$W/edg-body.json")
	st=$(sreq POST "http://127.0.0.1:$A_PORT$API/suppressions" --data-file "$W/edg-body.json" --date "$EDATE" --set-header "authorization: $auth")
	expect_eq "edgctl oci-sign: a CreateSuppression it signed is accepted" "200 signed.by@edgctl.example" "$st $(jget 'd["emailAddress"]')"
	auth=$(edg_sign DELETE "http://127.0.0.1:$A_PORT$API/suppressions/$(jget 'd["id"]')")
	st=$(sreq DELETE "http://127.0.0.1:$A_PORT$API/suppressions/$(jget 'd["id"]')" --date "$EDATE" --set-header "authorization: $auth")
	expect_eq "edgctl oci-sign: a DeleteSuppression it signed is accepted" 204 "$st"
	st=$(sreq GET "${u/limit=3/limit=4}" --date "$EDATE" --set-header "authorization: $(edg_sign GET "$u")")
	expect_eq "edgctl oci-sign: its signature does not cover another query" 401 "$st"
else
	not_ok "edgctl oci-sign is not built ($EDGCTL): run make first"
fi

# --- concurrency, ties on timeCreated, bad startup -------------------------------------------
ctl DELETE /log >/dev/null
cpids=""
for i in 1 2 3 4; do
	python3 tests/emulators/bench_pull.py --url "http://127.0.0.1:$A_PORT" --key "$D/private-key.pem" --key-id "$KID" --tenancy "$T" --limit 1000 --expect 2502 >"$W/par$i.out" 2>&1 &
	cpids="$cpids $!"
done
for p in $cpids; do wait "$p"; done
expect_eq "4 clients paging at once each get all 2,502, and the log has their 12 requests" "0 0 0 0 12" \
	"$(for i in 1 2 3 4; do grep -c '"items": 2502, "distinct": 2502' "$W/par$i.out" | sed 's/^1$/0/'; done | tr '\n' ' ')$(ctl GET /log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')"
ctl POST /generate '{"count":2500,"group":10,"stepMs":1000}' >/dev/null
out=$(python3 tests/emulators/bench_pull.py --url "http://127.0.0.1:$A_PORT" --key "$D/private-key.pem" --key-id "$KID" --tenancy "$T" --limit 7 --signer builtin --expect 2500 --query 'sortOrder=ASC&timeCreatedLessThan=2021-01-01T00%3A00%3A00.000Z')
expect_match "runs of 10 equal timeCreated, limit=7 (pages cut inside runs): all 2,500 once" '"pages": 358, "items": 2500, "distinct": 2500' "$out"
sreq GET "$SUP&limit=1000&sortOrder=ASC&timeCreatedGreaterThanOrEqualTo=2020-01-01T00%3A00%3A05.000Z&timeCreatedLessThan=2020-01-01T00%3A00%3A07.000Z" >/dev/null
expect_eq "a time filter on a tie boundary takes whole runs" "20 user00000050@gen50.example user00000069@gen69.example" "$(jget 'len(d), d[0]["emailAddress"], d[-1]["emailAddress"]')"
ctl POST /reset >/dev/null
ctl POST /fault '{"type":"status","status":500,"method":"POST"}' >/dev/null
expect_eq "fault: the method filter spares other methods" "200 500" "$(sreq GET "$SUP&limit=1") $(sreq POST "$API/suppressions" --data "{\"compartmentId\":\"$T\",\"emailAddress\":\"m@x.example\"}")"
ctl DELETE /faults >/dev/null
printf '{"senders":[{"emailAddress":"a@b.example","timeCreated":"not a time"}]}' >"$W/bad-state.json"
python3 "$EMU" --port 0 --state "$W/bad-state.json" >/dev/null 2>"$W/bad.err"
expect_eq "a bad state file stops startup with status 2 and a message" "2 1" "$? $(grep -c 'not an RFC 3339 time' "$W/bad.err")"

# --- --key-dir, state replacement, loopback-only control ---------------------------------
mkdir -p "$W/keys"
cp "$D/public-key.pem" "$W/keys/ops.pem"
printf '%s\n' "$KID2" >"$W/keys/ops.keyid"
cp "$D/public-key.pem" "$W/keys/nokeyid.pem"
IP=$(ip -4 -o addr show scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}')
if start_emu C --key-dir "$W/keys" ${IP:+--bind "$IP"}; then
	CURL="http://${IP:-127.0.0.1}:$C_PORT"
	expect_eq "--key-dir: NAME.pem with NAME.keyid is accepted under that keyId" 200 "$(sreq GET "$CURL$SUP" --key-id "$KID2")"
	expect_eq "--key-dir: other keyIds are not" 401 "$(sreq GET "$CURL$SUP")"
	if [ -n "$IP" ]; then
		python3 "$CTL" "$CURL" GET /health >"$W/ctl.out" 2>&1
		expect_eq "control interface refuses a client that is not on loopback ($IP)" "1 NotAllowed" "$? $(jget 'd["code"]' "$W/ctl.out")"
	else
		echo "# no global IPv4 address: the non-loopback control check is not run"
	fi
	kill "$C_PID"
else
	not_ok "emulator with --key-dir starts" "$(cat "$W/C.err")"
fi
ctl POST /state "{\"tenancy\":\"$T\",\"senders\":[{\"emailAddress\":\"only@replaced.example\"}]}" >/dev/null
sreq GET "$API/senders?compartmentId=$T" >/dev/null
expect_eq "control: POST /_emu/state replaces the whole state" "['only@replaced.example'] 0" "$(jget '[s["emailAddress"] for s in d]') $(ctl GET /health | python3 -c 'import json,sys; print(json.load(sys.stdin)["suppressions"])')"
ctl POST /reset >/dev/null

# --- keep-alive, TLS, built-in verifier, generated lists of any size ------------------------
out=$(python3 tests/emulators/bench_pull.py --url "http://127.0.0.1:$A_PORT" --key "$D/private-key.pem" --key-id "$KID" --tenancy "$T" --limit 1000 --expect 2502)
expect_match "one keep-alive connection pages through all 2,502 suppressions" '"pages": 3, "items": 2502, "distinct": 2502, "connections": 1,' "$out"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=edg test CA" \
	-keyout "$W/ca.key" -out "$W/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$W/srv.key" -out "$W/srv.csr" >/dev/null 2>&1
secret_register_key "$W/srv.key"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$W/san.ext"
openssl x509 -req -in "$W/srv.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
	-extfile "$W/san.ext" -out "$W/srv.pem" >/dev/null 2>&1
if start_emu B --tls-cert "$W/srv.pem" --tls-key "$W/srv.key" --key "$KID=$D/public-key.pem" \
	--generate-suppressions 10000000 --verifier builtin; then
	ok "HTTPS emulator starts (test CA made with openssl req)"
else
	not_ok "HTTPS emulator starts" "$(cat "$W/B.err")"
fi
BURL="https://127.0.0.1:$B_PORT"
st=$(sreq GET "$BURL$SUP&limit=2" --cacert "$W/ca.pem")
expect_eq "HTTPS request verified against the test CA is 200" "200 2" "$st $(jget 'len(d)')"
st=$(sreq GET "$BURL$SUP&limit=2" 2>"$W/err")
expect_eq "HTTPS without the test CA fails certificate verification" 000 "$st"
expect_match "... with a verification error" 'CERTIFICATE_VERIFY_FAILED' "$(cat "$W/err")"
expect_eq "built-in verifier rejects a bad signature" 401 "$(sreq GET "$BURL$SUP&limit=2" --cacert "$W/ca.pem" --corrupt-signature)"
expect_eq "built-in verifier rejects an altered query" 401 "$(sreq GET "$BURL$SUP&limit=2" --cacert "$W/ca.pem" --send-target "$SUP&limit=3")"
t0=$(date +%s%N)
st=$(sreq GET "$BURL$SUP&limit=1000&sortOrder=ASC&timeCreatedGreaterThanOrEqualTo=2020-03-05T12%3A00%3A00.000Z" --cacert "$W/ca.pem")
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "10 million generated: a page from the middle by time filter" "200 1000 user05572800@gen53.example 2020-03-05T12:00:00.000Z" \
	"$st $(jget 'len(d), d[0]["emailAddress"], d[0]["timeCreated"]')"
sreq GET "$BURL$SUP&limit=1&sortOrder=ASC" --cacert "$W/ca.pem" >/dev/null
tok=$(hget opc-next-page)
expect_eq "... a page token is valid for the query that made it only" "400 200" \
	"$(sreq GET "$BURL$SUP&limit=1000&page=$tok" --cacert "$W/ca.pem") $(sreq GET "$BURL$SUP&limit=1000&sortOrder=ASC&page=$tok" --cacert "$W/ca.pem")"
sreq GET "$BURL$SUP&limit=1000" --cacert "$W/ca.pem" >/dev/null
tok=$(hget opc-next-page)
sreq GET "$BURL$SUP&limit=1000&page=$tok" --cacert "$W/ca.pem" >/dev/null
expect_eq "... paging from the newest end" "user09998999@gen45.example user09998000@gen16.example" "$(jget 'd[0]["emailAddress"], d[-1]["emailAddress"]')"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$B_PID/status")
if [ "$rss" -lt 65536 ]; then ok "10 million generated suppressions: emulator RSS ${rss} kB (< 64 MB); middle page in ${ms} ms"; else not_ok "emulator RSS under 64 MB" "$rss kB"; fi
python3 "$CTL" "$BURL" POST /generate '{"count":20000}' >/dev/null
out=$(python3 tests/emulators/bench_pull.py --url "$BURL" --cacert "$W/ca.pem" --key "$D/private-key.pem" --key-id "$KID" --tenancy "$T" --limit 1000 --expect 20000)
expect_match "HTTPS keep-alive: 20,000 suppressions in 20 pages on one connection, all distinct" '"pages": 20, "items": 20000, "distinct": 20000, "connections": 1,' "$out"
ctl POST /generate '{"count":1000000}' >/dev/null
ctl POST /settings '{"verifier":"builtin"}' >/dev/null
out=$(python3 tests/emulators/bench_pull.py --url "http://127.0.0.1:$A_PORT" --key "$D/private-key.pem" --key-id "$KID" --tenancy "$T" --limit 1000 --signer builtin --pid "$A_PID" --expect 1000002 --query 'timeCreatedGreaterThanOrEqualTo=2000-01-01T00%3A00%3A00.000Z')
rc=$?
echo "# 1,000,002 suppressions at limit=1000 (built-in verifier, built-in signer): $out"
expect_eq "1,000,000 generated (+2 explicit) suppressions pulled in 1001 pages, all distinct" "0 1001" "$rc $(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pages"])')"
ctl POST /reset >/dev/null

done_testing
