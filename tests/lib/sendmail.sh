# sendmail.sh - a private Sendmail 8.17 for one test, from Debian's packages, never installed
# (sourced, not run).
#
# Debian's sendmail packages conflict with postfix (both provide mail-transport-agent), so
# the packages are fetched with `apt-get download` and unpacked with `dpkg -x` into a
# private root; nothing is installed, nothing is written to /etc/mail or /var/spool.
#
#   sendmail_fetch                 make SENDMAIL_ROOT hold a runnable sendmail: downloads
#                                  sendmail-bin, sendmail-base, sendmail-cf and every library
#                                  sendmail-bin depends on that is not installed into
#                                  SENDMAIL_CACHE, unpacks them, checks `ldd`. Idempotent and
#                                  cached (a second call costs a stat), safe when two tests
#                                  run it at once (flock). Returns 1 with SENDMAIL_WHY set.
#   sendmail_setup DIR SMTP_PORT RELAY_PORT MILTER_SOCKET
#                                  DIR/sendmail.mc (sendmail_mc) through m4 with the
#                                  unpacked cf macros into DIR/sendmail.cf; the daemon on
#                                  127.0.0.1:SMTP_PORT, everything relayed to
#                                  [127.0.0.1]:RELAY_PORT, the milter edg on MILTER_SOCKET
#                                  (unix:PATH) with F=T; queue, pid, status and host status
#                                  under DIR. SENDMAIL_MC_EXTRA: more .mc lines.
#   sendmail_submit_setup DIR      DIR/submit.cf: a mail submission program (FEATURE(msp))
#                                  relaying to the daemon of sendmail_setup, queue DIR/clientmqueue
#   sendmail_run ARGS...           the private sendmail, in its namespace (see below);
#                                  the same as the executable DIR/sendmail (swaks --pipe)
#   sendmail_start / sendmail_stop the daemon (-bD, in the foreground, SENDMAIL_PID)
#   sendmail_queue_count [QDIR]    files in the queue (default the daemon's)
#   sendmail_wait_empty [SECONDS] [QDIR]
#
# Sendmail's run-time needs, found by trying:
# - At start (before it reads the .cf) it qualifies the host name; an unqualified one
#   ("vm", "runsc") costs a DNS query and then "My unqualified host name unknown; sleeping
#   for retry", 60 s. So every sendmail runs in its own mount and UTS namespace
#   (unshare -mu) with the host name edg-test.localdomain and private /etc/hosts,
#   /etc/nsswitch.conf (hosts: files) and /etc/resolv.conf (nameserver 127.0.0.1) bound
#   over the real ones: no DNS query leaves loopback, and the real files are untouched.
# - It refuses a milter socket whose directory path has a world-writable directory
#   ("local socket name ... unsafe: World writable directory"), such as /tmp; there is no
#   DontBlameSendmail flag for that. The socket's directory (under /tmp) is also bound on
#   /mnt inside the namespace and the .cf names the socket /mnt/NAME, a path of root-owned
#   0755 directories. A real installation uses /run/edg/, which is fine as it is.
# - The binary is set-group-ID mail; run by root that makes the loader ignore
#   LD_LIBRARY_PATH, which finds the unpacked libraries (libwrap0 is not installed here).
#   The unpacked copy loses its set-group-ID bit.
# - Root runs it: the daemon and -bs need no smmsp user. The MSP refuses to run as root
#   and smmsp exists only after sendmail-base's postinst, so the test's submit.cf runs it
#   as Debian's mail user (DIR/clientmqueue is mail's). Every path written is under DIR.
# - The root keeps sendmail-bin's binary, the libraries and sendmail-cf's macros;
#   sendmail-base (postinst scripts, /etc/mail) is fetched with them and not used.
# - It logs only to syslog (no /dev/log here, so nowhere); -X DIR/trace.log records
#   every SMTP exchange of the daemon and its mailers instead.
: "${SENDMAIL_CACHE:=build/sendmail-debs}"
: "${SENDMAIL_ROOT:=build/sendmail-root}"
SENDMAIL_PKGS="sendmail-bin sendmail-base sendmail-cf"
SENDMAIL_WHY=
SENDMAIL_DIR=
SENDMAIL_MILTER_DIR=
SENDMAIL_PID=

_sendmail_abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }

# The library packages sendmail-bin depends on that are not installed.
_sendmail_missing_libs() {
	dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/^ *//; s/[ (|].*//' | grep '^lib' |
		while read -r p; do
			dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
		done
}

# apt-get download PACKAGE into the cache, unless it is there; a scratch directory so that
# an interrupted download leaves nothing that looks complete.
_sendmail_download() {
	ls "$SENDMAIL_CACHE/${1}"_*.deb >/dev/null 2>&1 && return 0
	rm -rf "$SENDMAIL_CACHE/tmp.$$"
	mkdir -p "$SENDMAIL_CACHE/tmp.$$"
	if (cd "$SENDMAIL_CACHE/tmp.$$" && apt-get download "$1") >>"$SENDMAIL_CACHE/download.log" 2>&1; then
		mv "$SENDMAIL_CACHE/tmp.$$"/*.deb "$SENDMAIL_CACHE/"
		rm -rf "$SENDMAIL_CACHE/tmp.$$"
		return 0
	fi
	rm -rf "$SENDMAIL_CACHE/tmp.$$"
	SENDMAIL_WHY="apt-get download $1 failed (no network, or no package lists: apt-get update): $(grep -E '^(E|Err):' "$SENDMAIL_CACHE/download.log" | tail -n 2 | tr '\n' ' ')"
	return 1
}

_sendmail_fetch_locked() {
	[ -x "$SENDMAIL_ROOT/sendmail" ] && return 0
	mkdir -p "$SENDMAIL_CACHE"
	: >"$SENDMAIL_CACHE/download.log"
	for p in $SENDMAIL_PKGS; do
		_sendmail_download "$p" || return 1
	done
	for p in $(_sendmail_missing_libs "$(ls "$SENDMAIL_CACHE"/sendmail-bin_*.deb | head -n 1)"); do
		_sendmail_download "$p" || return 1
	done
	# Unpacked in a scratch directory; the root keeps only what the tests use: the
	# binary, the shared libraries and the cf macros (no etc/ with its *.d directories).
	tmp="$SENDMAIL_ROOT.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp/x" "$tmp/root/lib"
	for deb in "$SENDMAIL_CACHE"/*.deb; do
		dpkg -x "$deb" "$tmp/x" || { SENDMAIL_WHY="dpkg -x $deb failed"; rm -rf "$tmp"; return 1; }
	done
	find "$tmp/x" -name '*.so*' \( -type f -o -type l \) -exec cp -P {} "$tmp/root/lib/" \;
	mv "$tmp/x/usr/share/sendmail/cf" "$tmp/root/cf"
	cp "$tmp/x/usr/libexec/sendmail/sendmail" "$tmp/root/sendmail.tmp"
	chmod 0755 "$tmp/root/sendmail.tmp" # not set-group-ID: see above
	missing=$(LD_LIBRARY_PATH="$tmp/root/lib" ldd "$tmp/root/sendmail.tmp" | grep 'not found')
	[ -z "$missing" ] || { SENDMAIL_WHY="sendmail still lacks: $missing"; rm -rf "$tmp"; return 1; }
	mv "$tmp/root/sendmail.tmp" "$tmp/root/sendmail" # last: its presence means "complete"
	rm -rf "$SENDMAIL_ROOT"
	mv "$tmp/root" "$SENDMAIL_ROOT"
	rm -rf "$tmp"
}

sendmail_fetch() {
	SENDMAIL_CACHE=$(_sendmail_abs "$SENDMAIL_CACHE")
	SENDMAIL_ROOT=$(_sendmail_abs "$SENDMAIL_ROOT")
	[ -x "$SENDMAIL_ROOT/sendmail" ] && return 0
	for tool in apt-get dpkg-deb m4 unshare; do
		command -v "$tool" >/dev/null 2>&1 || { SENDMAIL_WHY="no $tool"; return 1; }
	done
	mkdir -p "$(dirname "$SENDMAIL_ROOT")" "$SENDMAIL_CACHE"
	exec 9>"$SENDMAIL_CACHE/.lock"
	flock 9
	_sendmail_fetch_locked
	rc=$?
	flock -u 9
	exec 9>&-
	return $rc
}

# The .mc of the test's MTA; $1 DIR, $2 SMTP port, $3 relay port, $4 milter socket as the
# namespace sees it.
sendmail_mc() {
	cat <<MC
divert(-1)
# edg test MTA: private paths, no DNS, everything to the sink, edg-milter as input filter.
divert(0)dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`edg-test.localdomain')dnl
define(\`confSERVICE_SWITCH_FILE', \`$1/service.switch')dnl
define(\`confHOSTS_FILE', \`$1/hosts')dnl
define(\`QUEUE_DIR', \`$1/mqueue')dnl
define(\`STATUS_FILE', \`$1/sendmail.st')dnl
define(\`confHOST_STATUS_DIRECTORY', \`$1/hoststat')dnl
define(\`confPID_FILE', \`$1/sendmail.pid')dnl
define(\`confDEAD_LETTER_DROP', \`$1/dead.letter')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confCW_FILE', \`-o $1/local-host-names')dnl
define(\`confCR_FILE', \`-o $1/relay-domains')dnl
define(\`confFORWARD_PATH', \`')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confDEF_USER_ID', \`mail:mail')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confTO_CONNECT', \`5s')dnl
define(\`confTO_ICONNECT', \`5s')dnl
define(\`confMIN_QUEUE_AGE', \`0s')dnl
define(\`confTO_HOSTSTATUS', \`0s')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $3')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Name=MTA, Addr=127.0.0.1, Port=$2')dnl
INPUT_MAIL_FILTER(\`edg', \`S=unix:$4, F=T, T=C:5s;S:10s;R:10s;E:1m')dnl
${SENDMAIL_MC_EXTRA:-}
MAILER(\`smtp')dnl
MC
}

_sendmail_m4() {
	m4 -D_CF_DIR_="$SENDMAIL_ROOT/cf/" "$SENDMAIL_ROOT/cf/m4/cf.m4" "$1" >"$2"
}

sendmail_setup() {
	SENDMAIL_DIR=$1
	SENDMAIL_PORT=$2
	mkdir -p "$SENDMAIL_DIR/mqueue" "$SENDMAIL_DIR/hoststat"
	chmod 0700 "$SENDMAIL_DIR/mqueue"
	chmod 0755 "$SENDMAIL_DIR"
	printf '127.0.0.1 edg-test.localdomain edg-test localhost\n' >"$SENDMAIL_DIR/hosts"
	printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$SENDMAIL_DIR/nsswitch.conf"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$SENDMAIL_DIR/resolv.conf"
	printf 'hosts files\naliases files\n' >"$SENDMAIL_DIR/service.switch"
	# The milter socket as the namespace sees it: its directory is bound on /mnt there.
	sock=${4#unix:}
	SENDMAIL_MILTER_DIR=$(dirname "$sock")
	sendmail_mc "$SENDMAIL_DIR" "$2" "$3" "/mnt/$(basename "$sock")" >"$SENDMAIL_DIR/sendmail.mc"
	_sendmail_m4 "$SENDMAIL_DIR/sendmail.mc" "$SENDMAIL_DIR/sendmail.cf" &&
		_sendmail_wrapper
}

sendmail_submit_setup() {
	mkdir -p "$1/clientmqueue"
	chown mail:mail "$1/clientmqueue"
	chmod 0770 "$1/clientmqueue"
	# The MSP refuses to run as root ("must have RunAsUser set to non root user") and the
	# smmsp user exists only once sendmail-base's postinst ran: Debian's mail user it is.
	cat >"$1/submit.mc" <<MC
divert(0)dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`edg-test.localdomain')dnl
define(\`confSERVICE_SWITCH_FILE', \`$1/service.switch')dnl
define(\`confHOSTS_FILE', \`$1/hosts')dnl
define(\`confRUN_AS_USER', \`mail:mail')dnl
define(\`MSP_QUEUE_DIR', \`$1/clientmqueue')dnl
define(\`confDEAD_LETTER_DROP', \`$1/clientmqueue/dead.letter')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confTO_CONNECT', \`5s')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SENDMAIL_PORT')dnl
FEATURE(\`msp', \`[127.0.0.1]')dnl
MC
	_sendmail_m4 "$1/submit.mc" "$1/submit.cf"
}

# DIR/sendmail: the private sendmail in its own mount and UTS namespace, with a qualified
# host name, private name service files and the milter socket's directory on /mnt. exec
# all the way down keeps the pid.
_sendmail_wrapper() {
	cat >"$SENDMAIL_DIR/sendmail" <<WRAPPER
#!/bin/sh
# sendmail 8.17 from $SENDMAIL_ROOT for the test in $SENDMAIL_DIR (tests/lib/sendmail.sh)
export LD_LIBRARY_PATH='$SENDMAIL_ROOT/lib'
exec unshare -mu --propagation private sh -c '
	mount --bind "$SENDMAIL_DIR/hosts" /etc/hosts &&
		mount --bind "$SENDMAIL_DIR/nsswitch.conf" /etc/nsswitch.conf &&
		mount --bind "$SENDMAIL_DIR/resolv.conf" /etc/resolv.conf &&
		mount --bind "$SENDMAIL_MILTER_DIR" /mnt &&
		hostname edg-test.localdomain &&
		exec "$SENDMAIL_ROOT/sendmail" "\$@"' sh "\$@"
WRAPPER
	chmod 0755 "$SENDMAIL_DIR/sendmail"
}
sendmail_run() { "$SENDMAIL_DIR/sendmail" "$@"; }

sendmail_start() {
	# The wrapper itself, not the shell function: exec all the way makes $! the daemon.
	"$SENDMAIL_DIR/sendmail" -C "$SENDMAIL_DIR/sendmail.cf" -bD -X "$SENDMAIL_DIR/trace.log" \
		>"$SENDMAIL_DIR/daemon.out" 2>&1 &
	SENDMAIL_PID=$!
	for _ in $(seq 1 100); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $SENDMAIL_PORT), 1)" 2>/dev/null && return 0
		kill -0 "$SENDMAIL_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$SENDMAIL_DIR/daemon.out"
	return 1
}

# The daemon, then any sendmail of this test still running (a delivery, an SMTP session,
# an MSP queue run): each works in a queue directory under DIR.
sendmail_stop() {
	if [ -n "$SENDMAIL_PID" ]; then
		kill "$SENDMAIL_PID" 2>/dev/null
		wait "$SENDMAIL_PID" 2>/dev/null
		SENDMAIL_PID=
	fi
	[ -n "$SENDMAIL_DIR" ] || return 0
	for proc in /proc/[0-9]*; do
		case $(readlink "$proc/cwd" 2>/dev/null) in
		"$SENDMAIL_DIR"/*) kill "${proc#/proc/}" 2>/dev/null ;;
		esac
	done
}

# Queue files (qf*: one per message) in QDIR, the daemon's queue by default.
sendmail_queue_count() { find "${1:-$SENDMAIL_DIR/mqueue}" -type f -name 'qf*' 2>/dev/null | wc -l; }
sendmail_wait_empty() {
	for _ in $(seq 1 $((${1:-20} * 10))); do
		[ "$(sendmail_queue_count "${2:-}")" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}
