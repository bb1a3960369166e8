#!/bin/sh
# config.sh - edgctl config, black-box: the committed sample and reference match the
# key table, good files pass, each kind of mistake fails naming file, line and key,
# and "config show" never prints a secret.
. tests/lib/tap.sh

: "${EDG_BUILD:=build}"
edgctl=$EDG_BUILD/edgctl
[ -x "$edgctl" ] || skip_all "$edgctl not built"
umask 022
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- generated files match the table
"$edgctl" config sample >"$tmp/sample" 2>&1
if cmp -s "$tmp/sample" conf/edg.conf.sample; then
	ok "conf/edg.conf.sample is what the table generates"
else
	not_ok "conf/edg.conf.sample drifted from the table (run: make sample)" \
		"$(diff -u conf/edg.conf.sample "$tmp/sample" | head -n 20)"
fi
"$edgctl" config reference >"$tmp/reference" 2>&1
sed -n '/^<!-- BEGIN GENERATED/,/^<!-- END GENERATED/p' docs/configuration.md |
	sed '1d;$d' >"$tmp/reference.doc"
if cmp -s "$tmp/reference" "$tmp/reference.doc"; then
	ok "docs/configuration.md key reference is what the table generates"
else
	not_ok "docs/configuration.md key reference drifted (edgctl config reference)" \
		"$(diff -u "$tmp/reference.doc" "$tmp/reference" | head -n 20)"
fi

# --- good files
check "config check accepts the sample" "$edgctl" config check -c conf/edg.conf.sample
check "edgctl -c FILE config check accepts the sample" "$edgctl" -c conf/edg.conf.sample config check
check "config show -a of the sample loads again" sh -c \
	"'$edgctl' config show -a -c conf/edg.conf.sample >'$tmp/all' && '$edgctl' config check -c '$tmp/all'"

# expect_failure NAME FILE REGEX: config check exits 1 and stderr matches REGEX.
expect_failure() {
	out=$("$edgctl" config check -c "$2" 2>&1)
	rc=$?
	expect_eq "$1: exit 1" 1 "$rc"
	expect_match "$1: names file, line and key" "$3" "$out"
}

# one misspelt key in a copy of the sample
sed 's/^#fingerprint =.*/fingerprnt = 12:34/' conf/edg.conf.sample >"$tmp/typo.conf"
line=$(grep -n '^fingerprnt' "$tmp/typo.conf" | cut -d: -f1)
expect_failure "misspelt key" "$tmp/typo.conf" \
	"^$tmp/typo.conf:$line: \[oci\] fingerprnt: unknown key \(did you mean \"fingerprint\"\?\)"

printf '[syncd]\nlock_ttl = 30s\nuser = edg\nlock_ttl = 40s\n' >"$tmp/dup.conf"
expect_failure "duplicate key" "$tmp/dup.conf" \
	"^$tmp/dup.conf:4: \[syncd\] lock_ttl: duplicate key \(first set at line 2\)"

printf '# comment\n[oci]\ntimeout = 60 seconds\n' >"$tmp/duration.conf"
expect_failure "bad duration" "$tmp/duration.conf" \
	"^$tmp/duration.conf:3: \[oci\] timeout: \"60 seconds\": not a duration"

printf '[redis]\nprefix = edg\n\n[polcyd]\nlisten = inet:127.0.0.1:10040\n' >"$tmp/section.conf"
expect_failure "unknown section" "$tmp/section.conf" \
	"^$tmp/section.conf:5: \[polcyd\] listen: unknown section \(did you mean \[policyd\]\?\)"

printf '[milter]\ndefault_sender = no reply@example.com\n' >"$tmp/address.conf"
expect_failure "bad address" "$tmp/address.conf" \
	"^$tmp/address.conf:2: \[milter\] default_sender: \"no reply@example.com\": "

printf '[log]\nlevel = loud\nfacility = nowhere\n' >"$tmp/two.conf"
out=$("$edgctl" config check -c "$tmp/two.conf" 2>&1)
expect_eq "every error is reported, not only the first" 2 "$(printf '%s\n' "$out" | grep -c "^$tmp/two.conf:")"

cp conf/edg.conf.sample "$tmp/open.conf"
chmod 0666 "$tmp/open.conf"
expect_failure "world-writable file" "$tmp/open.conf" "^$tmp/open.conf: writable by everyone"

out=$("$edgctl" config check -c "$tmp/missing.conf" 2>&1)
expect_eq "missing file: exit 1" 1 $?
expect_match "missing file: named" "^$tmp/missing.conf: cannot open" "$out"

# --- secrets never printed (nor in the TAP log tests/secrets_scan.sh reads)
secret_register 'Correct#Horse ;Battery' ProxyPassw0rd RedisPassw0rd
cat >"$tmp/secret.conf" <<'EOF'
[oci]
region = us-ashburn-1
tenancy = ocid1.tenancy.oc1..aaaaexample
user = ocid1.user.oc1..aaaaexample
fingerprint = 12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0
key_file = /etc/edg/oci_api_key.pem
pass_phrase = Correct#Horse ;Battery
proxy = http://proxyuser:ProxyPassw0rd@proxy.example.com:3128

[redis]
url = redis://edg:RedisPassw0rd@127.0.0.1:6379/2
EOF
chmod 0600 "$tmp/secret.conf"
for flag in "" -a; do
	out=$("$edgctl" config show $flag -c "$tmp/secret.conf" 2>&1)
	expect_eq "config show $flag: exit 0" 0 $?
	if printf '%s' "$out" | grep -Eq 'Horse|Battery|RedisPassw0rd|ProxyPassw0rd'; then
		not_ok "config show $flag prints no secret" "$out"
	else
		ok "config show $flag prints no secret"
	fi
	expect_match "config show $flag masks the passphrase" '^pass_phrase = \*{5}$' "$out"
	expect_match "config show $flag masks the Redis password" \
		'^url = redis://edg:\*{5}@127\.0\.0\.1:6379/2$' "$out"
done
out=$("$edgctl" config show -c "$tmp/secret.conf" 2>&1)
expect_eq "config show prints only the keys set" 0 "$(printf '%s\n' "$out" | grep -c '^facility')"
chmod 0644 "$tmp/secret.conf"
out=$("$edgctl" config check -c "$tmp/secret.conf" 2>&1)
expect_match "a world-readable file with secrets is flagged" "warning: holds secrets" "$out"

# --- usage
"$edgctl" config >/dev/null 2>&1
expect_eq "config without an action: usage, exit 2" 2 $?
check "config -h" "$edgctl" config -h
check "config show -h" "$edgctl" config show -h

done_testing
