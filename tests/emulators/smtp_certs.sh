#!/bin/sh
# smtp_certs.sh - a test CA and certificates for the OCI SMTP emulator, made at test time.
#
#   sh tests/emulators/smtp_certs.sh DIR
#
# Writes into DIR (created if needed):
#   ca.pem, ca.key          a throwaway CA ("edg test CA"), valid 2 days
#   server.pem, server.key  signed by that CA; SAN DNS:localhost,
#                           DNS:smtp.email.us-ashburn-1.oci.oraclecloud.com, IP:127.0.0.1
#   rogue.pem, rogue.key    self-signed, same names: a certificate Postfix cannot verify
#                           against ca.pem (a man in the middle)
#   wrongname.pem, .key     signed by the CA, but for DNS:smtp.example.invalid only
# Nothing here is secret or reused: every run makes new keys.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
san="subjectAltName=DNS:localhost,DNS:smtp.email.us-ashburn-1.oci.oraclecloud.com,IP:127.0.0.1"
q() { "$@" >/dev/null 2>&1 || { echo "smtp_certs: failed: $*" >&2; "$@"; exit 1; }; }

q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca.key -out ca.pem \
	-subj "/CN=edg test CA" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign"

# leaf NAME CN SAN: a key and a certificate signed by the CA.
leaf() {
	q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
	printf '%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" >"$1.ext"
	q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile "$1.ext" -out "$1.pem"
	rm -f "$1.csr" "$1.ext"
}
leaf server localhost "$san"
leaf wrongname smtp.example.invalid "subjectAltName=DNS:smtp.example.invalid"
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout rogue.key -out rogue.pem \
	-subj "/CN=localhost" -addext "$san"
chmod 644 ./*.pem
chmod 600 ./*.key
