#!/bin/bash
# oci_api.sh - the OCI API client (lib/oci_api.c, oci_http.c, oci_json.c) end to end through
# tests/tools/oci_pull against the control-plane emulator: HTTPS with certificate
# verification (a test CA made here with openssl), the client built from edg.conf
# (oci_api_from_config: key mode, fingerprint, endpoint), and the measured pull of 1,000,000
# generated suppressions into a counting callback (time, pages, connections, peak RSS,
# printed as TAP comments). Run from the repository root; prints TAP.
set -u
. tests/lib/tap.sh

: "${EDG_BUILD:=build}"
PULL="$EDG_BUILD/tests/oci_pull"
EMU=tests/emulators/oci_control.py
D=tests/data/emulator
T=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
U=ocid1.user.oc1..emutest
FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
KID="$T/$U/$FP"
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
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

[ -x "$PULL" ] || skip_all "$PULL not built"
command -v python3 >/dev/null || skip_all "python3 not installed"
command -v openssl >/dev/null || skip_all "openssl not installed"

# start_emu NAME ARGS...: an emulator on a free port; sets NAME_PORT.
start_emu() {
	local name=$1
	shift
	python3 "$EMU" --port 0 --port-file "$W/$name.port" --key "$KID=$D/public-key.pem" \
		--verifier builtin "$@" 2>"$W/$name.err" &
	PIDS="$PIDS $!"
	for _ in $(seq 200); do
		[ -s "$W/$name.port" ] && break
		sleep 0.05
	done
	eval "${name}_PORT=\$(cat \"\$W/\$name.port\" 2>/dev/null)"
	[ -s "$W/$name.port" ]
}
field() { printf '%s\n' "$2" | tr ' ' '\n' | grep -A1 -x "$1" | tail -n 1; }

# --- HTTPS: verified against the configured CA, refused without it ---------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=edg test CA" \
	-keyout "$W/ca.key" -out "$W/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$W/srv.key" \
	-out "$W/srv.csr" >/dev/null 2>&1
secret_register_key "$W/srv.key"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$W/san.ext"
openssl x509 -req -in "$W/srv.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
	-days 2 -extfile "$W/san.ext" -out "$W/srv.pem" >/dev/null 2>&1
start_emu S --tls-cert "$W/srv.pem" --tls-key "$W/srv.key" --state "$D/state.json" \
	--generate-suppressions 2500 || skip_all "HTTPS emulator did not start: $(cat "$W/S.err")"
HTTPS="https://127.0.0.1:$S_PORT"
out=$("$PULL" -e "$HTTPS" -t "$T" -k "$KID" -p "$D/private-key.pem" -a "$W/ca.pem" 2>&1)
expect_match "HTTPS verified against [oci] ca_file: 2,502 suppressions in 3 pages, one connection" \
	'^items 2502 pages 3 requests 3 connections 1 .* order ok$' "$out"
out=$("$PULL" -e "$HTTPS" -t "$T" -k "$KID" -p "$D/private-key.pem" -r 3 2>&1)
expect_eq "HTTPS without the test CA fails" 1 "$?"
expect_match "... on certificate verification, and is not retried" \
	'ListSuppressions: .*(certificate|SSL).*\(1 attempt\)' "$out"
out=$("$PULL" -e "https://localhost:$S_PORT" -t "$T" -k "$KID" -p "$D/private-key.pem" -a "$W/ca.pem" -s - 2>&1)
expect_match "the host name is checked too (localhost is in the certificate): 4 senders" '^items 4 ' "$out"
openssl req -newkey rsa:2048 -nodes -subj "/CN=other" -keyout "$W/o.key" -out "$W/o.csr" >/dev/null 2>&1
secret_register_key "$W/o.key"
printf 'subjectAltName=DNS:other.example\n' >"$W/o.ext"
openssl x509 -req -in "$W/o.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
	-extfile "$W/o.ext" -out "$W/o.pem" >/dev/null 2>&1
if start_emu O --tls-cert "$W/o.pem" --tls-key "$W/o.key" --state "$D/state.json"; then
	out=$("$PULL" -e "https://127.0.0.1:$O_PORT" -t "$T" -k "$KID" -p "$D/private-key.pem" -a "$W/ca.pem" -s - 2>&1)
	expect_match "a trusted certificate for another host name is refused" \
		'(certificate|SSL|subject|match).*\(1 attempt\)' "$out"
else
	not_ok "emulator with a certificate for another name starts" "$(cat "$W/O.err")"
fi

# --- the client from edg.conf ---------------------------------------------------------------
cp "$D/private-key.pem" "$W/key.pem"
chmod 600 "$W/key.pem"
conf() {
	cat >"$W/edg.conf" <<EOC
[oci]
tenancy = $T
user = $U
fingerprint = $1
key_file = $W/key.pem
endpoint = $HTTPS
ca_file = $W/ca.pem
timeout = 20s
connect_timeout = 2s
retries = 1
retry_max_delay = 1s
EOC
	chmod 600 "$W/edg.conf"
}
conf "$FP"
out=$("$PULL" -c "$W/edg.conf" -s - 2>&1)
expect_match "oci_api_from_config: senders of the tenancy over HTTPS" '^items 4 pages 1 ' "$out"
out=$("$PULL" -c "$W/edg.conf" -f 2020-01-01T00:01:40Z -b 2020-01-01T00:03:20Z 2>&1)
expect_match "... suppressions in [start+100 s, start+200 s): 100" '^items 100 pages 1 .* order ok$' "$out"
conf "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"
out=$("$PULL" -c "$W/edg.conf" -s - 2>&1)
expect_match "a fingerprint that does not match the key is refused before any request" \
	"fingerprint is $FP but the configured fingerprint is 00:11" "$out"
conf "$FP"
chmod 644 "$W/key.pem"
out=$("$PULL" -c "$W/edg.conf" -s - 2>&1)
expect_match "a key file others may read is refused" 'key.pem.*(mode|group|others|read)' "$out"
chmod 600 "$W/key.pem"

# --- 1,000,000 suppressions through the client ---------------------------------------------
[ -n "${OCI_API_QUICK:-}" ] && done_testing
start_emu M --generate-suppressions 1000000 || skip_all "emulator did not start: $(cat "$W/M.err")"
if command -v /usr/bin/time >/dev/null; then TIMEV="/usr/bin/time -v"; else TIMEV=""; fi
out=$($TIMEV "$PULL" -e "http://127.0.0.1:$M_PORT" -t "$T" -k "$KID" -p "$D/private-key.pem" 2>"$W/time.txt")
line=$(printf '%s\n' "$out" | grep '^items')
expect_match "1,000,000 generated suppressions: every one once, in order, 1000 pages, one connection" \
	'^items 1000000 pages 1000 requests 1000 connections 1 .* order ok$' "$line"
rss=$(field maxrss_kb "$line")
case "$EDG_BUILD" in
*san*) echo "# peak RSS not checked: a sanitizer build's shadow memory and quarantine dominate it" ;;
*)
	if [ -n "$rss" ] && [ "$rss" -lt 65536 ]; then
		ok "... client peak RSS ${rss} kB < 64 MB"
	else
		not_ok "client peak RSS < 64 MB" "$line"
	fi
	;;
esac
echo "# oci_pull 1M: $line"
[ -n "$TIMEV" ] && grep -E 'User time|System time|Elapsed|Maximum resident' "$W/time.txt" | sed 's/^\s*/# /'
done_testing
