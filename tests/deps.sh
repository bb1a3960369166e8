#!/bin/sh
# deps.sh - install the Debian packages edg needs to build, run and test, and nothing else.
#
# Idempotent: when every package is present it prints nothing and installs nothing.
# Needs root (or sudo) only when something is missing.
set -eu

# m4 builds sendmail.cf for tests/integration/milter_sendmail.sh; Sendmail itself conflicts
# with postfix and is fetched with apt-get download, never installed (tests/lib/sendmail.sh).
PKGS="build-essential pkg-config clang libclang-rt-14-dev valgrind
libmilter-dev libhiredis-dev libcurl4-openssl-dev libssl-dev openssl libjansson-dev
libidn2-dev libmicrohttpd-dev libcmocka-dev
redis-server redis-tools postfix postfix-lmdb libsasl2-modules swaks miltertest python3 ca-certificates iproute2 procps systemd-container
gnuplot-nox groff-base bsdextrautils
m4"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure or start the system instance: tests run private ones.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
