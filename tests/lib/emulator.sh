# emulator.sh - the OCI control-plane emulator for one test script (sourced, not run).
#
#   control_start DIR USER [PORT] [OPTIONS...]
#                        tests/emulators/oci_control.py on 127.0.0.1:PORT (0 or absent: a
#                        free one), accepting the test key for USER of EMU_TENANCY, log in
#                        DIR/control.log; sets CONTROL (its URL), CONTROL_PORT, CONTROL_PID.
#                        OPTIONS go to the emulator (--state FILE, --verifier builtin, ...).
#   control_stop         stop it (a later control_start on CONTROL_PORT brings it back)
#   emu METHOD PATH [JSON]
#                        tests/emulators/emuctl.py on CONTROL's /_emu/ interface
#   emu_oci_section KEYFILE USER
#                        the [oci] lines of an edg.conf talking to CONTROL with the test key
#                        (short retries and timeouts, so faults show within seconds)
#   EMU_TENANCY, EMU_FP  the tenancy and the fingerprint of tests/data/emulator/*-key.pem
#
# The emulator is the one of docs/emulators.md; nothing leaves loopback.
EMU_TENANCY=ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq
EMU_FP=73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7
CONTROL_PID=

control_start() {
	_cdir=$1 _cuser=$2 _cport=${3:-0}
	shift 2
	[ $# -gt 0 ] && shift
	mkdir -p "$_cdir"
	rm -f "$_cdir/control.port"
	python3 tests/emulators/oci_control.py --port "$_cport" --port-file "$_cdir/control.port" \
		--key "$EMU_TENANCY/$_cuser/$EMU_FP=tests/data/emulator/public-key.pem" \
		"$@" >>"$_cdir/control.log" 2>&1 &
	CONTROL_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$_cdir/control.port" ] && break
		sleep 0.1
	done
	CONTROL_PORT=$(cat "$_cdir/control.port" 2>/dev/null)
	CONTROL="http://127.0.0.1:$CONTROL_PORT"
	[ -n "$CONTROL_PORT" ]
}

control_stop() {
	[ -n "$CONTROL_PID" ] && kill "$CONTROL_PID" 2>/dev/null && wait "$CONTROL_PID" 2>/dev/null
	CONTROL_PID=
}

emu() { python3 tests/emulators/emuctl.py "$CONTROL" "$@"; }

emu_oci_section() {
	cat <<CONF
[oci]
region = us-ashburn-1
tenancy = $EMU_TENANCY
user = $2
fingerprint = $EMU_FP
key_file = $1
endpoint = $CONTROL
retries = 1
retry_max_delay = 1s
timeout = 5s
connect_timeout = 2s
CONF
}
