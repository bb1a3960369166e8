#!/bin/bash
# systemd_units.sh - the shipped units under a real systemd: SIGKILL, then automatic restart.
#
# A throwaway container boots systemd 252 as its PID 1 (systemd-nspawn, private network,
# pid, mount, IPC, UTS and cgroup namespaces). Its root is an overlay: the host's root file
# system read-only below, a tmpfs above, so the container has the host's packages (Redis,
# the libraries) and nothing it writes reaches the host. No debootstrap, no image: it
# boots in about a second on a fresh machine that has run "make deps".
#
# Inside: "make install DESTDIR=<container root>" (the units with their path rewrite, in
# /usr/local/lib/systemd/system), a system user edg, /etc/edg/edg.conf with both sockets in
# /run/edg (the units' RuntimeDirectory; policyd's with socket_owner = postfix as
# docs/edg-policyd.md suggests), Redis on the container's own loopback. Then:
#   systemd-analyze verify and systemd-analyze security on the installed units;
#   edg-policyd and edg-milter started with systemctl, answering on /run/edg;
#   edg-policyd killed with "systemctl kill -s KILL" while a client sends requests, and
#   edg-milter's main process killed with kill -9: each comes back by itself
#   (Restart=on-failure) with a new MainPID, NRestarts=1, active, and answers again.
#
# The host is never touched: no systemctl against the host's manager (this machine's PID 1
# is not systemd), the overlay and its tmpfs live in a private mount namespace, and the
# container's cgroups live under edg-systemd-units.PID, removed at the end.
set -u
. tests/lib/tap.sh

B=${EDG_BUILD:-build}
[ "$(id -u)" -eq 0 ] || skip_all "needs root for namespaces and an overlay mount"
command -v systemd-nspawn >/dev/null 2>&1 || skip_all "systemd-nspawn missing (package systemd-container: make deps)"
[ -x /lib/systemd/systemd ] || skip_all "systemd missing"
[ -d /run/systemd/system ] && skip_all "the host runs systemd: this test does not create scopes in the host's manager"

# Everything below runs in a private mount namespace: the overlay and tmpfs vanish with it.
if [ -z "${EDG_SYSTEMD_UNITS_NS:-}" ]; then
	EDG_SYSTEMD_UNITS_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

T=$(mktemp -d /tmp/edg-systemd-units.XXXXXX)
R=$T/root # the container's root as seen from here
CT=/edg-test # scratch directory inside the container ($R$CT from here)
CG_NAME=edg-systemd-units.$$
CG_DIRS=""
NSPAWN_PID=""
INIT_PID=""

# Cgroup hierarchies the container's systemd uses: cgroup2 alone, or name=systemd + unified.
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	CG_DIRS=/sys/fs/cgroup/$CG_NAME
else
	for h in systemd unified; do
		[ -d "/sys/fs/cgroup/$h" ] && CG_DIRS="$CG_DIRS /sys/fs/cgroup/$h/$CG_NAME"
	done
fi

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
in_ct() { nsenter -t "$INIT_PID" -m -u -i -n -p -C -r -w "$@"; }
cleanup() {
	# The container's whole journal, for tests/secrets_scan.sh (kept before the tmpfs goes).
	if [ -n "$INIT_PID" ]; then
		mkdir -p "$T/logs"
		in_ct journalctl --no-pager -o short-monotonic >"$T/logs/journal.log" 2>&1
		keep_logs "$T/logs"
	fi
	if [ -n "$INIT_PID" ] && [ "$TAP_FAILED" -gt 0 ]; then
		in_ct journalctl --no-pager -o short-monotonic -u edg-policyd -u edg-milter -u edg-test-redis 2>&1 |
			tail -n 40 | sed 's/^/# journal: /'
	fi
	if [ -n "$NSPAWN_PID" ]; then
		kill -TERM "$NSPAWN_PID" 2>/dev/null # nspawn asks the container's systemd to power off
		for _ in $(seq 1 100); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$NSPAWN_PID" 2>/dev/null
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	# An init that outlived its nspawn: SIGKILL to a pid namespace's init ends the namespace.
	[ -n "$INIT_PID" ] && [ "$(cat "/proc/$INIT_PID/comm" 2>/dev/null)" = systemd ] &&
		kill -KILL "$INIT_PID" 2>/dev/null
	for d in $CG_DIRS; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	umount -R "$T" 2>/dev/null
	mountpoint -q "$T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# 1. The container's root: host root below, tmpfs above; edg installed into it.
mount -t tmpfs -o mode=0755 edg-systemd-units "$T" || skip_all "cannot mount a tmpfs"
mkdir "$T/upper" "$T/work" "$R"
mount -t overlay edg-systemd-units -o "lowerdir=/,upperdir=$T/upper,workdir=$T/work" "$R" ||
	skip_all "cannot mount an overlay of /"
systemd-id128 new >"$R/etc/machine-id"
# Boot to basic.target only: none of the host's enabled services (Postfix, Redis...) start.
ln -sfn /lib/systemd/system/basic.target "$R/etc/systemd/system/default.target"
check "make install DESTDIR=<container root>" \
	make --no-print-directory -s -o all install DESTDIR="$R" B="$B"
# A sanitizer build (make check SANITIZE=...): LeakSanitizer's exit-time scan ptraces the
# process, which SystemCallFilter=@system-service forbids, and the stop then hangs until
# TimeoutStopSec; leaks are make leakcheck's business, so a test-only drop-in turns it off.
if grep -qa __asan_init "$B/edg-policyd"; then
	for u in edg-syncd edg-policyd edg-milter; do
		mkdir -p "$R/etc/systemd/system/$u.service.d"
		printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' \
			>"$R/etc/systemd/system/$u.service.d/sanitizer.conf"
	done
fi
chroot "$R" getent passwd edg >/dev/null ||
	useradd --root "$R" --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin edg
mkdir -p "$R/etc/edg" "$R$CT"
# Redis wants a password (in a file: systemd-run names a unit after its command line).
REDIS_PASS="redis-canary-$$-Su1"
secret_register "$REDIS_PASS"
printf 'requirepass %s\n' "$REDIS_PASS" >"$R$CT/redis.conf"
cat >"$R/etc/edg/edg.conf" <<CONF
[oci]
region = us-ashburn-1
[redis]
url = redis://:$REDIS_PASS@127.0.0.1:6379
[policyd]
listen = unix:/run/edg/policyd.sock
socket_owner = postfix
[milter]
listen = unix:/run/edg/milter.sock
CONF
chmod 0640 "$R/etc/edg/edg.conf"
cp tests/lib/policy_client.py tests/golden/policyd/approved.request \
	tests/golden/policyd/suppressed.request "$R$CT/"
# One connection per request, for SECONDS: counts answers and refusals, and whether the
# last request was answered.
cat >"$R$CT/policy_load.py" <<'PY'
import socket, sys, time
path, request, seconds = sys.argv[1], open(sys.argv[2], "rb").read(), float(sys.argv[3])
answered = refused = 0
last = "none"
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(path)
        s.sendall(request)
        reply = b""
        while not reply.endswith(b"\n\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        s.close()
        if not reply.startswith(b"action="):
            raise OSError("no action")
        answered += 1
        last = "answered"
    except OSError:
        refused += 1
        last = "refused"
        time.sleep(0.05)
print(f"answered={answered} refused={refused} last={last}")
PY
# A milter negotiation (SMFIC_OPTNEG, version 6): prints the reply's command letter.
cat >"$R$CT/milter_optneg.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
body = b"O" + struct.pack("!III", 6, 0x1FF, 0x1FFFFF)
s.sendall(struct.pack("!I", len(body)) + body)
head = s.recv(5)
print(head[4:5].decode() if len(head) == 5 else "none")
PY

# 2. Boot. nspawn starts in a cgroup of its own (CG_DIRS), so the container's systemd creates
# its cgroups below that one and not in the host's root.
boot_start=$(date +%s.%N)
(
	for d in $CG_DIRS; do mkdir -p "$d" && echo "$BASHPID" >"$d/cgroup.procs"; done
	exec setsid systemd-nspawn -q -D "$R" --register=no --keep-unit --private-network \
		--console=pipe -b </dev/null >"$T/console.log" 2>&1
) &
NSPAWN_PID=$!
for _ in $(seq 1 100); do
	INIT_PID=$(ps -o pid= --ppid "$NSPAWN_PID" | tr -d ' ' | head -n 1)
	[ -n "$INIT_PID" ] && [ "$(cat "/proc/$INIT_PID/comm" 2>/dev/null)" = systemd ] && break
	INIT_PID=""
	sleep 0.1
done
[ -n "$INIT_PID" ] || skip_all "the container did not start: $(tail -n 5 "$T/console.log")"
state=""
for _ in $(seq 1 60); do
	state=$(in_ct timeout 30 systemctl is-system-running --wait 2>/dev/null) && break
	[ "$state" = degraded ] && break
	sleep 0.5
done
boot_end=$(date +%s.%N)
expect_eq "the container's systemd boots (is-system-running)" running "$state"
echo "# boot: $(elapsed "$boot_start" "$boot_end") s to running; $(in_ct systemctl --version | head -n 1)"

# 3. Static checks on the installed units, with the container's systemd.
UNITS="edg-syncd edg-policyd edg-milter"
U=/usr/local/lib/systemd/system
expect_eq "systemd-analyze verify: no complaint on the installed units" "" \
	"$(in_ct systemd-analyze verify "$U/edg-syncd.service" "$U/edg-policyd.service" "$U/edg-milter.service" 2>&1)"
for u in $UNITS; do
	out=$(in_ct systemd-analyze security --no-pager "$u.service" 2>&1)
	score=$(printf '%s\n' "$out" | sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s + 0 <= 2.5) }'; then
		ok "$u: systemd-analyze security: exposure $score (at most 2.5)"
	else
		not_ok "$u: systemd-analyze security: exposure at most 2.5" "$(printf '%s\n' "$out" | tail -n 3)"
	fi
done

# 4. Redis and state, then the daemons through systemctl.
check "Redis starts in the container" in_ct systemd-run -q --unit=edg-test-redis --property=Type=notify \
	redis-server "$CT/redis.conf" --port 6379 --bind 127.0.0.1 --save '' --appendonly no --supervised systemd
redis_cli() { in_ct redis-cli -h 127.0.0.1 -p 6379 -a "$REDIS_PASS" --no-auth-warning "$@"; }
. tests/lib/state.sh
state_init
state_sender app@example.com
state_suppress gone@example.net HARDBOUNCE 2026-01-02T03:04:05.678Z

check "systemctl start edg-policyd edg-milter" in_ct systemctl start edg-policyd edg-milter
prop() { in_ct systemctl show -P "$2" "$1"; }
wait_socket() {
	for _ in $(seq 1 50); do in_ct test -S "$1" && return 0; sleep 0.1; done
	return 1
}
policy() { in_ct python3 "$CT/policy_client.py" unix:/run/edg/policyd.sock "$CT/$1" 2>&1; }
optneg() { in_ct python3 "$CT/milter_optneg.py" /run/edg/milter.sock 2>&1; }
for u in edg-policyd edg-milter; do
	expect_eq "$u active" active "$(prop "$u" ActiveState)"
done
wait_socket /run/edg/policyd.sock && wait_socket /run/edg/milter.sock
expect_eq "policyd answers: approved sender" "action=DUNNO" "$(policy approved.request | head -n 1)"
expect_match "policyd answers: suppressed recipient refused" '^action=550 5\.1\.1' "$(policy suppressed.request)"
expect_eq "milter answers the negotiation" O "$(optneg)"
expect_eq "sockets: policyd's owned by socket_owner, milter's by its user, both group edg (empty socket_group), 0660" \
	"postfix:edg 660 edg:edg 660" "$(in_ct stat -c '%U:%G %a' /run/edg/policyd.sock /run/edg/milter.sock | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the daemons run as edg" "edg edg" \
	"$(in_ct ps -o user= -p "$(prop edg-policyd MainPID)" -p "$(prop edg-milter MainPID)" | tr -s ' \n' ' ' | sed 's/ $//')"

# 5. SIGKILL: systemd restarts each one (RestartSec=5s), the socket answers again.
wait_restart() { # UNIT OLD_PID: new MainPID, active
	for _ in $(seq 1 200); do
		pid=$(prop "$1" MainPID)
		[ "$(prop "$1" ActiveState)" = active ] && [ "$pid" != 0 ] && [ "$pid" != "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

old=$(prop edg-policyd MainPID)
in_ct python3 "$CT/policy_load.py" /run/edg/policyd.sock "$CT/approved.request" 12 >"$T/load.out" 2>&1 &
LOAD_PID=$!
sleep 1
killed=$(date +%s.%N)
check "systemctl kill -s KILL edg-policyd" in_ct systemctl kill -s KILL edg-policyd
check "edg-policyd restarted by systemd with a new MainPID" wait_restart edg-policyd "$old"
wait_socket /run/edg/policyd.sock
for _ in $(seq 1 50); do [ "$(policy approved.request | head -n 1)" = "action=DUNNO" ] && break; sleep 0.1; done
back=$(date +%s.%N)
expect_eq "edg-policyd: NRestarts" 1 "$(prop edg-policyd NRestarts)"
expect_match "edg-policyd answers again after the restart" '^action=550 5\.1\.1' "$(policy suppressed.request)"
echo "# edg-policyd: SIGKILL to answering again: $(elapsed "$killed" "$back") s"
wait "$LOAD_PID"
load=$(cat "$T/load.out")
expect_match "requests during the kill: refused while down, answered before and after" \
	'^answered=[1-9][0-9]* refused=[1-9][0-9]* last=answered$' "$load"
echo "# policy requests during the kill: $load"

old=$(prop edg-milter MainPID)
killed=$(date +%s.%N)
# Never "kill -9 0": the process group of nsenter is this script's.
if [ "${old:-0}" -gt 1 ]; then
	check "kill -9 edg-milter's main process" in_ct kill -9 "$old"
else
	not_ok "kill -9 edg-milter's main process" "no MainPID: $old"
fi
check "edg-milter restarted by systemd with a new MainPID" wait_restart edg-milter "$old"
wait_socket /run/edg/milter.sock
for _ in $(seq 1 50); do [ "$(optneg)" = O ] && break; sleep 0.1; done
back=$(date +%s.%N)
expect_eq "edg-milter: NRestarts" 1 "$(prop edg-milter NRestarts)"
expect_eq "edg-milter answers the negotiation again" O "$(optneg)"
echo "# edg-milter: SIGKILL to answering again: $(elapsed "$killed" "$back") s"

# 6. A clean stop is not a failure: no restart, inactive.
check "systemctl stop edg-policyd edg-milter" in_ct systemctl stop edg-policyd edg-milter
for u in edg-policyd edg-milter; do
	expect_eq "$u: stopped cleanly (inactive, not failed)" inactive "$(prop "$u" ActiveState)"
done
done_testing
