#!/bin/bash
# e2e_demo.sh - demo/demo.sh runs, prints the decisions it promises, and demo/stop.sh
# leaves nothing behind.
set -u
. tests/lib/tap.sh

T=$(mktemp -d /tmp/edg-e2e-demo.XXXXXX)
rmdir "$T"
export DEMO_DIR=$T
# demo.sh registers its SMTP password and certificate key (tests/lib/e2e.sh); stop.sh
# removes $T, so its logs are kept before it runs.
secret_register_key tests/data/emulator/private-key.pem
keep_demo_logs() { [ -f "$T.out" ] && [ -d "$T" ] && cp "$T.out" "$T/demo.out"; keep_logs "$T"; }
cleanup() {
	keep_demo_logs
	bash demo/stop.sh >/dev/null 2>&1
	rm -rf "$T" "$T.out"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || skip_all "the demo needs root (private Postfix)"

start=$(date +%s)
KEEP=1 bash demo/demo.sh >"$T.out" 2>&1
rc=$?
took=$(($(date +%s) - start))
demo_out=$(cat "$T.out")
expect_eq "demo.sh exits 0" 0 "$rc"
check "demo.sh takes under 5 minutes ($took s)" test "$took" -lt 300
row() { grep "^$1	" "$T/results.tsv" 2>/dev/null | tr '\t' '|'; }
expect_match "1: approved sender delivered" '^1\|SMTP from app@example.com .*\|250 2.0.0 Ok: queued\|to alice@example.net; envelope from app@example.com, From: app@example.com$' "$(row 1)"
expect_match "2: From rewritten to the approved sender" '^2\|.*alice@corp.example.*\|250 2.0.0 Ok: queued\|to alice@example.net; envelope from noreply@example.com, From: noreply@example.com$' "$(row 2)"
expect_match "3: unapproved sender refused, nothing reached OCI" '^3\|SMTP from cron@host.local.*\|550 5.7.1 <cron@host.local> is not an approved sender in OCI Email Delivery \(region us-ashburn-1\)\|nothing$' "$(row 3)"
expect_match "4: suppressed recipient refused at RCPT, the others delivered" '^4\|.*\|550 5.1.1 <gone@example.net>: <gone@example.net> is suppressed by OCI Email Delivery \(HARDBOUNCE since 2026-01-02\) ; 250 2.0.0 Ok: queued\|to alice@example.net, bob@example.org; envelope from app@example.com, From: app@example.com$' "$(row 4)"
expect_match "5: local submission bounced with the reason" '^5\|sendmail\(1\).*\|.*bounce \(Status: 5.1.1\).*<angry@example.net> is suppressed by OCI Email Delivery \(COMPLAINT since 2026-02-03\)\|nothing$' "$(row 5)"
expect_match "the table is printed" '#  +What the application sent  +What the application was told  +What reached OCI' "$demo_out"
expect_match "OCI never had to answer 254 or 535" 'OCI answered 254 \(silent drop\) 0 times and 535 \(unapproved\) 0 times' "$demo_out"
expect_match "KEEP=1: left running, says how to stop" 'Stop with: bash demo/stop.sh' "$demo_out"
pids=$(cat "$T/pids" 2>/dev/null)
check "KEEP=1: its processes are running" test -n "$pids"
pf_pid=$(cat "$T/pf/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
keep_demo_logs
bash demo/stop.sh >/dev/null 2>&1
sleep 0.5
alive=""
for p in $pids $pf_pid; do # a zombie (exited, parent gone, not yet reaped by init) is gone
	case "$(ps -o stat= -p "$p" 2>/dev/null)" in "" | Z*) ;; *) alive="$alive $p" ;; esac
done
expect_eq "stop.sh: every process it started is gone (Postfix too)" "" "$([ -n "$alive" ] && ps -o pid=,args= -p "${alive# }" | tr -s " ")"
check "stop.sh: its directory removed" test ! -e "$T"
done_testing
