#!/bin/sh
# oci_sign.sh - edgctl oci-sign: the published vectors, openssl's verifier, the OCI emulator
#
# Three independent judges of our signatures: the published Authorization headers
# (tests/data/oci-signing-vectors), "openssl dgst -verify" over the signing string, and
# the control-plane emulator (tests/emulators/oci_control.py), which rebuilds the signing
# string from the HTTP request it receives and verifies it with openssl. Also: the key
# file mode, the fingerprint check, pass phrases, OCI CLI config files, usage errors.
# Runs from the repository root; $EDG_BUILD holds edgctl.
. tests/lib/tap.sh
# (check() in tap.sh sets $out and $name: this script keeps its results in $res.)
: "${EDG_BUILD:=build}"
EDGCTL=$EDG_BUILD/edgctl
V=tests/data/oci-signing-vectors
T=$(mktemp -d "${TMPDIR:-/tmp}/oci_sign.XXXXXX")
EMU_PID=
cleanup() {
	[ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
	keep_logs "$T"
	rm -rf "$T"
}
trap cleanup EXIT

TENANCY=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
USER_OCID=ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq
SDK_FP=20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34
REAL_FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
DATE='Thu, 05 Jan 2014 21:31:40 GMT'
GET_URL='https://iaas.us-phoenix-1.oraclecloud.com/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q'
POST_URL=https://iaas.us-phoenix-1.oraclecloud.com/20160918/volumeAttachments

[ -x "$EDGCTL" ] || skip_all "$EDGCTL not built"
# Git keeps the vector key 0644; edgctl rightly refuses that, so work on a private copy.
cp "$V/private-key.pem" "$T/vector.pem" && chmod 600 "$T/vector.pem"
secret_register_key "$T/vector.pem"

# sign_vector ARGS...: the SDK tests' credentials and date, fingerprint check off.
sign_vector() {
	"$EDGCTL" oci-sign --key "$T/vector.pem" --tenancy "$TENANCY" --user "$USER_OCID" \
		--fingerprint "$SDK_FP" --no-fingerprint-check --date "$DATE" "$@"
}

# signing_string FILE: the signing string from the -v output in FILE, without final newline.
signing_string() {
	awk '/^signing string:$/ { on = 1; next } on && /^$/ { exit } on' "$1" | head -c -1
}

# header_lines FILE: the header lines from the -v output in FILE.
header_lines() {
	awk '/^headers:$/ { on = 1; next } on' "$1"
}

# verifies NAME AUTHORIZATION SIGNING-STRING-FILE PUBLIC-KEY: openssl's own verdict.
verifies() {
	printf '%s' "$2" | sed 's/.*signature="\([^"]*\)".*/\1/' | base64 -d >"$T/sig.bin"
	got=$(openssl dgst -sha256 -verify "$4" -signature "$T/sig.bin" "$3" 2>&1)
	expect_eq "$1" "Verified OK" "$got"
}

# --- the published vectors -------------------------------------------------------------
res=$(sign_vector -v GET "$GET_URL" 2>"$T/get.err")
expect_eq "GET vector: the published Authorization header" "$(cat $V/get-authorization.txt)" "$res"
signing_string "$T/get.err" >"$T/get-signing-string.txt"
check "GET vector: -v prints the published signing string" \
	cmp "$T/get-signing-string.txt" "$V/get-signing-string.txt"
verifies "GET vector: openssl verifies the signature" "$res" "$V/get-signing-string.txt" \
	"$V/public-key.pem"
expect_eq "GET vector: -v prints the headers to send" \
	"date: $DATE
host: iaas.us-phoenix-1.oraclecloud.com" "$(header_lines "$T/get.err")"
expect_match "--no-fingerprint-check warns, naming both fingerprints" \
	"fingerprint is $REAL_FP but the configured fingerprint is $SDK_FP" "$(cat "$T/get.err")"
expect_eq "only the header goes to standard output" 1 "$(sign_vector GET "$GET_URL" 2>/dev/null | wc -l)"

res=$(sign_vector -v --body "$V/post-body.json" --content-type application/json POST "$POST_URL" \
	2>"$T/post.err")
expect_eq "POST vector: the published Authorization header" "$(cat $V/post-authorization.txt)" \
	"$res"
signing_string "$T/post.err" >"$T/post-signing-string.txt"
check "POST vector: -v prints the published signing string" \
	cmp "$T/post-signing-string.txt" "$V/post-signing-string.txt"
verifies "POST vector: openssl verifies the signature" "$res" "$V/post-signing-string.txt" \
	"$V/public-key.pem"
res=$(sign_vector --body - POST "$POST_URL" <"$V/post-body.json" 2>/dev/null)
expect_eq "POST vector: body from standard input" "$(cat $V/post-authorization.txt)" "$res"

# --- the daemon's rules: fingerprint, key mode -------------------------------------------
"$EDGCTL" oci-sign --key "$T/vector.pem" --tenancy "$TENANCY" --user "$USER_OCID" \
	--fingerprint "$SDK_FP" --date "$DATE" GET "$GET_URL" >"$T/out" 2>"$T/err"
expect_eq "a fingerprint that is not the key's is refused (exit 1)" 1 $?
expect_match "the refusal names both fingerprints" "$REAL_FP.*$SDK_FP" "$(cat "$T/err")"
expect_eq "nothing is printed on refusal" "" "$(cat "$T/out")"

res=$("$EDGCTL" oci-sign --key "$T/vector.pem" --tenancy "$TENANCY" --user "$USER_OCID" \
	--fingerprint "$REAL_FP" --date "$DATE" GET "$GET_URL" 2>"$T/err")
expect_eq "the key's real fingerprint is accepted" 0 $?
expect_match "same signature whatever the keyId" "keyId=\"$TENANCY/$USER_OCID/$REAL_FP\".*signature=\"GBas7grh" "$res"
expect_eq "no warning with the right fingerprint" "" "$(cat "$T/err")"

cp "$T/vector.pem" "$T/open.pem" && chmod 644 "$T/open.pem"
"$EDGCTL" oci-sign --key "$T/open.pem" --tenancy "$TENANCY" --user "$USER_OCID" \
	--fingerprint "$REAL_FP" GET "$GET_URL" >/dev/null 2>"$T/err"
expect_eq "a key file others can read is refused (exit 1)" 1 $?
expect_match "the refusal says mode 0644" "open.pem: mode 0644 .*chmod 600" "$(cat "$T/err")"

# --- a fresh 2048-bit key, encrypted PKCS#8, a pass phrase file --------------------------
secret_register 'a pass phrase: with spaces'
printf 'a pass phrase: with spaces\n' >"$T/pass"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes-256-cbc \
	-pass "file:$T/pass" -out "$T/new.pem" 2>/dev/null
chmod 600 "$T/new.pem"
secret_register_key "$T/new.pem"
openssl pkey -in "$T/new.pem" -passin "file:$T/pass" -pubout -out "$T/new.pub" 2>/dev/null
NEW_FP=$(openssl pkey -pubin -in "$T/new.pub" -outform DER | openssl md5 -c | sed 's/.*= //')
expect_match "openssl wrote an encrypted PKCS#8 key" "BEGIN ENCRYPTED PRIVATE KEY" "$(head -1 "$T/new.pem")"
new_sign() {
	"$EDGCTL" oci-sign --key "$T/new.pem" --tenancy "$TENANCY" --user "$USER_OCID" \
		--fingerprint "$NEW_FP" "$@"
}
res=$(new_sign -v --pass-phrase-file "$T/pass" PUT 'http://localhost:7000/x?t=2016-12-19T16%3A39%3A57.600Z' \
	2>"$T/err" </dev/null)
expect_eq "encrypted key with its pass phrase file: signed" 0 $?
signing_string "$T/err" >"$T/put-signing-string.txt"
verifies "2048-bit key: openssl verifies the signature" "$res" "$T/put-signing-string.txt" "$T/new.pub"
expect_match "non-default port kept in host" "^host: localhost:7000$" "$(cat "$T/put-signing-string.txt")"
expect_match "percent-encoding signed as sent" "^\(request-target\): put /x\?t=2016-12-19T16%3A39%3A57.600Z$" \
	"$(cat "$T/put-signing-string.txt")"
expect_match "empty PUT body: content-length 0" "^content-length: 0$" "$(cat "$T/put-signing-string.txt")"
expect_match "empty PUT body: the empty SHA-256" "^x-content-sha256: 47DEQpj8HBSa\+/TImW\+5JCeuQeRkm5NMpJWZG3hSuFU=$" \
	"$(cat "$T/put-signing-string.txt")"
expect_match "no date given: now, RFC 1123" "^date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$" \
	"$(cat "$T/put-signing-string.txt")"
case "$res$(cat "$T/err")" in
*"a pass phrase"*) not_ok "the pass phrase never shows" ;;
*) ok "the pass phrase never shows" ;;
esac

printf 'not the pass phrase\n' >"$T/wrong"
new_sign --pass-phrase-file "$T/wrong" GET http://localhost:7000/ >/dev/null 2>"$T/err"
expect_eq "wrong pass phrase: exit 1" 1 $?
expect_match "wrong pass phrase: said so" "wrong pass phrase" "$(cat "$T/err")"
new_sign GET http://localhost:7000/ >/dev/null 2>"$T/err"
expect_match "no pass phrase for an encrypted key: said so" "encrypted and no pass phrase" "$(cat "$T/err")"

# --- credentials from an OCI CLI config file and from edg.conf ----------------------------
cat >"$T/oci-config" <<EOF
[DEFAULT]
tenancy = $TENANCY
user = ocid1.user.oc1..someoneelse
fingerprint = $REAL_FP
region = us-ashburn-1

[EDG]
user=$USER_OCID
key_file = $T/vector.pem
EOF
want=$("$EDGCTL" oci-sign --key "$T/vector.pem" --tenancy "$TENANCY" --user "$USER_OCID" \
	--fingerprint "$REAL_FP" --date "$DATE" GET "$GET_URL" 2>&1)
res=$("$EDGCTL" oci-sign --oci-config "$T/oci-config" --profile EDG --date "$DATE" GET "$GET_URL" 2>&1)
expect_eq "OCI CLI config: the profile over DEFAULT signs like the flags" "$want" "$res"
res=$("$EDGCTL" oci-sign --oci-config "$T/oci-config" --profile NOPE GET "$GET_URL" 2>&1)
expect_match "OCI CLI config: a missing profile is named" "profile \[NOPE\] not found" "$res"

cat >"$T/edg.conf" <<EOF
[oci]
region = us-ashburn-1
tenancy = $TENANCY
user = $USER_OCID
fingerprint = $REAL_FP
key_file = $T/vector.pem
EOF
chmod 600 "$T/edg.conf"
res=$("$EDGCTL" -c "$T/edg.conf" oci-sign --date "$DATE" GET "$GET_URL" 2>&1)
expect_eq "edg.conf [oci]: signs like the flags" "$want" "$res"
res=$("$EDGCTL" -c "$T/edg.conf" oci-sign --key "$T/new.pem" --fingerprint "$NEW_FP" \
	--pass-phrase-file "$T/pass" --date "$DATE" GET "$GET_URL" 2>&1)
expect_match "flags win over edg.conf" "keyId=\"$TENANCY/$USER_OCID/$NEW_FP\"" "$res"
printf '[oci]\noci_config = %s\nprofile = EDG\n' "$T/oci-config" >"$T/edg-oci.conf"
chmod 600 "$T/edg-oci.conf"
res=$("$EDGCTL" -c "$T/edg-oci.conf" oci-sign --date "$DATE" GET "$GET_URL" 2>&1)
expect_eq "edg.conf oci_config + profile: signs like the flags" "$want" "$res"
res=$("$EDGCTL" -c "$T/missing.conf" oci-sign GET "$GET_URL" 2>&1)
expect_eq "no credentials anywhere: exit 1" 1 $?
expect_match "no credentials anywhere: the file and the flags are named" \
	"missing.conf: unusable \(give --key" "$res"

# --- usage --------------------------------------------------------------------------------
"$EDGCTL" oci-sign GET >/dev/null 2>&1
expect_eq "one argument: usage error (exit 2)" 2 $?
"$EDGCTL" oci-sign --bogus GET "$GET_URL" >/dev/null 2>&1
expect_eq "unknown option: usage error (exit 2)" 2 $?
"$EDGCTL" oci-sign --profile EDG GET "$GET_URL" >/dev/null 2>&1
expect_eq "--profile without --oci-config: usage error (exit 2)" 2 $?
expect_match "-h documents --no-fingerprint-check" "--no-fingerprint-check" "$("$EDGCTL" oci-sign -h)"
res=$(sign_vector GET 'https://h/a b' 2>&1)
expect_match "a URL with a raw blank is refused" "with a byte to percent-encode" "$res"
res=$(sign_vector --date "$(printf 'x\r\nX-Injected: 1')" GET https://h/ 2>&1)
expect_match "a date with CR LF is refused" "date: .*control character" "$res"

# --- the OCI control-plane emulator accepts what we sign ----------------------------------
python3 tests/emulators/oci_control.py --port 0 --port-file "$T/port" \
	--key "$TENANCY/$USER_OCID/$NEW_FP=$T/new.pub" 2>"$T/emu.log" &
EMU_PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(cat "$T/port" 2>/dev/null)

# http_send METHOD URL HEADERS-FILE BODY-FILE: send with Python's http.client exactly the
# given header lines (no Host or Accept-Encoding of its own); prints the HTTP status.
cat >"$T/send.py" <<'EOF'
import http.client, sys, urllib.parse
method, url, headers, body = sys.argv[1:5]
u = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
conn.putrequest(method, url[url.index("/", len("http://")):], skip_host=True,
                skip_accept_encoding=True)
for line in open(headers):
    name, value = line.rstrip("\n").split(": ", 1)
    conn.putheader(name, value)
conn.endheaders(open(body, "rb").read())
print(conn.getresponse().status)
EOF
http_send() { python3 "$T/send.py" "$@" 2>&1; }

# send METHOD URL [BODY-FILE]: sign with edgctl, send the headers edgctl printed.
send() {
	new_sign -v --pass-phrase-file "$T/pass" ${3:+--body "$3"} "$1" "$2" >"$T/auth" \
		2>"$T/send.err" || return 1
	{ header_lines "$T/send.err"; printf 'authorization: %s\n' "$(cat "$T/auth")"; } >"$T/headers"
	http_send "$1" "$2" "$T/headers" "${3:-/dev/null}"
}
if [ -z "$PORT" ]; then
	not_ok "the emulator starts" "$(cat "$T/emu.log")"
else
	EMU=http://127.0.0.1:$PORT/20170907
	expect_eq "emulator: signed GET ListSuppressions accepted" 200 \
		"$(send GET "$EMU/suppressions?compartmentId=$TENANCY&limit=5")"
	# The judge is real: the same headers sent for another path are refused.
	expect_eq "emulator: a signature replayed on another path is refused" 401 \
		"$(http_send GET "$EMU/senders?compartmentId=$TENANCY&limit=5" "$T/headers" /dev/null)"
	printf '{"compartmentId": "%s", "emailAddress": "bounce@example.com"}' "$TENANCY" \
		>"$T/create.json"
	expect_eq "emulator: signed POST CreateSuppression accepted" 200 \
		"$(send POST "$EMU/suppressions" "$T/create.json")"
	expect_eq "emulator: percent-encoded query accepted" 200 \
		"$(send GET "$EMU/suppressions?compartmentId=$TENANCY&timeCreatedGreaterThanOrEqualTo=2016-12-19T16%3A39%3A57.600Z")"
fi

done_testing
