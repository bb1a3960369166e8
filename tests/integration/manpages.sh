#!/bin/bash
# manpages.sh - every docs/*.8 renders without a warning (man and groff -ww), one per binary.
set -u
. tests/lib/tap.sh
command -v groff >/dev/null || skip_all "groff is not installed"
for bin in edg-syncd edg-policyd edg-milter edgctl; do
	[ -f "docs/$bin.8" ] && ok "docs/$bin.8 exists" || not_ok "docs/$bin.8 exists"
done
for page in docs/*.8; do
	out=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
	expect_eq "$page renders without warnings" "" "$out"
	expect_match "$page has NAME and SYNOPSIS" 'SYNOPSIS' "$(groff -man -Tascii "$page" 2>/dev/null | col -b)"
done
done_testing
