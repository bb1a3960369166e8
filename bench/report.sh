#!/bin/bash
# report.sh - turn bench/run.sh's result files into Markdown tables and the ratio chart
#
# Usage: bash bench/report.sh DIR     (DIR: BENCH_OUT of run.sh, default build/bench/results)
# Prints the tables on stdout; writes DIR/ratios.png (gnuplot) and DIR/ratios.dat.
set -u
D=${1:-build/bench/results}
AWK_FMT_N='function fmt_n(n) { if (n >= 1000000) return sprintf("%g million", n / 1000000); if (n >= 1000) return sprintf("%g,000", n / 1000); return n }
'
fmt_n() { awk -v n="$1" "$AWK_FMT_N"'BEGIN { print fmt_n(n) }'; }

sed 's/^/    /' "$D/machine.txt"
echo

if [ -s "$D/postfix.txt" ]; then
	echo "### Message rate through Postfix (messages/s relayed to smtp-sink, median)"
	echo
	echo "| suppressions | a plain | b lmdb tables | c no-op milter | d policyd | e edg-milter | f policyd + milter | g no-op policy server |"
	echo "|---|---|---|---|---|---|---|---|"
	for n in $(awk '$2 == "rate" { print $1 }' "$D/postfix.txt" | uniq); do
		printf '| %s |' "$(fmt_n "$n")"
		for c in a b c d e f g; do
			printf ' %s |' "$(awk -v n="$n" -v c="$c" '$1 == n && $2 == "rate" && $3 == c { printf "%.0f", $4 }' "$D/postfix.txt")"
		done
		echo
	done
	echo
	echo "### Ratios (median of the per-round ratios; target: d/a >= 0.95, f/c >= 0.90)"
	echo
	echo "| suppressions | d/a | e/c | f/c | f/a | f/b | b/a | c/a | g/a | d/g | delivered | refused |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for n in $(awk '$2 == "rate" { print $1 }' "$D/postfix.txt" | uniq); do
		printf '| %s |' "$(fmt_n "$n")"
		for p in d/a e/c f/c f/a f/b b/a c/a g/a d/g; do
			printf ' %s |' "$(awk -v n="$n" -v p="$p" '$1 == n && $2 == "ratio" && $3 == p { printf "%.3f", $4 }' "$D/postfix.txt")"
		done
		awk -v n="$n" '$1 == n && $2 == "delivered" { printf " %s | %s |\n", $3, $5 }' "$D/postfix.txt"
	done
	echo
	if grep -q '^raw postfix' "$D/raw.txt" 2>/dev/null; then
		echo "Spread of the per-round ratios (lowest .. highest of the rounds): the noise of a shared machine."
		echo
		echo "| suppressions | d/a | e/c | f/c | f/a | f/b | c/a | g/a | d/g |"
		echo "|---|---|---|---|---|---|---|---|---|"
		awk "$AWK_FMT_N"'$2 == "postfix" { split($3, kv, "="); n = kv[2]; t[n, $5, $7] = $11; if (!(n in seen)) { seen[n] = 1; ns[++k] = n } if ($5 > maxr[n]) maxr[n] = $5 }
		     END { np = split("d/a e/c f/c f/a f/b c/a g/a d/g", ps, " ")
		           for (i = 1; i <= k; i++) { n = ns[i]; printf "| %s |", fmt_n(n)
		             for (j = 1; j <= np; j++) { split(ps[j], q, "/"); lo = 1e9; hi = 0
		               for (r = 1; r <= maxr[n]; r++) if ((n, r, q[1]) in t && (n, r, q[2]) in t) { x = t[n, r, q[2]] / t[n, r, q[1]]; if (x < lo) lo = x; if (x > hi) hi = x }
		               if (hi > 0) printf " %.2f .. %.2f |", lo, hi; else printf " |" }
		             print "" } }' "$D/raw.txt"
		echo
	fi
	if grep -q cpu_us_per_message "$D/postfix.txt"; then
		echo "CPU time (user + system) each daemon used per message it saw during these runs:"
		echo
		echo "| suppressions | edg-policyd | edg-milter | no-op milter | no-op policy server |"
		echo "|---|---|---|---|---|"
		awk "$AWK_FMT_N"'$2 == "cpu_us_per_message" { printf "| %s | %s us | %s us | %s us | %s us |\n", fmt_n($1), $4, $6, $8, $10 }' "$D/postfix.txt"
		echo
	fi
	if grep -q ' capacity ' "$D/postfix.txt"; then
		echo "### Gateway CPU per message and capacity ratios"
		echo
		echo "CPU time (user + system) the gateway used per message: the private Postfix (master, the"
		echo "children it reaped, its live children) and the daemons (edg-policyd, edg-milter, no-op"
		echo "milter, no-op policy server); median of the rounds (lowest .. highest). The load apart:"
		echo "smtp-sink (standing for OCI) and smtp-source."
		echo
		echo "| suppressions | a plain | b lmdb tables | c no-op milter | d policyd | e edg-milter | f policyd + milter | g no-op policy server | smtp-sink | smtp-source |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		for n in $(awk '$2 == "capacity" { print $1 }' "$D/postfix.txt" | uniq); do
			printf '| %s |' "$(fmt_n "$n")"
			for c in a b c d e f g; do
				printf ' %s |' "$(awk -v n="$n" -v c="$c" '$1 == n && $2 == "gateway_cpu_us" && $3 == c { printf "%.0f us (%.0f .. %.0f)", $4, $5, $6 }' "$D/postfix.txt")"
			done
			awk -v n="$n" '$1 == n && $2 == "load_cpu_us" { printf " %.0f us | %.0f us |\n", $4, $6 }' "$D/postfix.txt"
		done
		echo
		echo "Capacity ratio x/y = CPU per message of y / CPU per message of x: the rate x reaches"
		echo "relative to y when the CPU is the limit; median of the per-round ratios (lowest .. highest)."
		echo "CPU busy: the share of all CPUs not idle during the measurements (/proc/stat), median"
		echo "(lowest .. highest); near 1 the machine was CPU-bound, and the rates follow the CPU. The"
		echo "gateway's share: its CPU over all CPUs' time."
		echo
		echo "| suppressions | d/a | e/c | f/c | f/a | f/b | b/a | c/a | g/a | d/g | CPU busy | gateway's share |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
		for n in $(awk '$2 == "capacity" { print $1 }' "$D/postfix.txt" | uniq); do
			printf '| %s |' "$(fmt_n "$n")"
			for p in d/a e/c f/c f/a f/b b/a c/a g/a d/g; do
				printf ' %s |' "$(awk -v n="$n" -v p="$p" '$1 == n && $2 == "capacity" && $3 == p { printf "%.3f (%.2f .. %.2f)", $4, $5, $6 }' "$D/postfix.txt")"
			done
			awk -v n="$n" '$1 == n && $2 == "cpu_busy" { printf " %.2f (%.2f .. %.2f) | %.2f |\n", $3, $4, $5, $7 }' "$D/postfix.txt"
		done
		echo
	fi
	# The chart: one group of bars per pair; per size, the rate ratio (and, when measured,
	# the capacity ratio), each the median with the rounds' lowest and highest.
	cols=$(awk '$2 == "ratio" { print $1 }' "$D/postfix.txt" | uniq | tr '\n' ' ')
	grep -q ' capacity ' "$D/postfix.txt" && capacity=1 || capacity=0
	awk 'FNR == NR { if ($2 == "ratio") med[$1, $3] = $4; if ($2 == "capacity") cap[$1, $3] = $4 " " $5 " " $6; next }
	     $2 == "postfix" { split($3, kv, "="); n = kv[2]; t[n, $5, $7] = $11; if ($5 > maxr[n]) maxr[n] = $5 }
	     END { np = split("d/a e/c f/c f/a f/b c/a g/a", ps, " "); k = split(cols, ns, " ")
	           for (j = 1; j <= np; j++) { printf "%s", ps[j]; split(ps[j], q, "/")
	             for (i = 1; i <= k; i++) { n = ns[i]; lo = 1e9; hi = 0
	               for (r = 1; r <= maxr[n]; r++) if ((n, r, q[1]) in t && (n, r, q[2]) in t) { x = t[n, r, q[2]] / t[n, r, q[1]]; if (x < lo) lo = x; if (x > hi) hi = x }
	               if ((n, ps[j]) in med && hi > 0) printf " %s %.4f %.4f", med[n, ps[j]], lo, hi; else printf " NaN NaN NaN"
	               if (capacity) printf " %s", ((n, ps[j]) in cap) ? cap[n, ps[j]] : "NaN NaN NaN" }
	             print "" } }' cols="$cols" capacity="$capacity" "$D/postfix.txt" "$D/raw.txt" >"$D/ratios.dat"
	{
		echo "set terminal pngcairo size 1000,560 font 'sans,10'"
		echo "set output '$D/ratios.png'"
		if [ "$capacity" = 1 ]; then
			# shellcheck disable=SC2028 # \n: for gnuplot, in its double-quoted string
			echo 'set title "edg: ratios through Postfix, of message rates (solid) and of CPU capacity (hatched)\n(bar: median of interleaved rounds; whisker: lowest and highest round)"'
		else
			echo "set title 'edg: message-rate ratios through Postfix (bar: median of interleaved rounds; whisker: lowest and highest round)'"
		fi
		echo "set style data histogram; set style histogram errorbars gap 1 lw 1; set style fill solid 0.7 border -1"
		echo "set yrange [0:1.9]; set ylabel 'ratio'; set grid ytics; set ytics 0.1 format '%.1f'"
		echo "set key top left"
		echo "set arrow from graph 0, first 0.95 to graph 1, first 0.95 nohead dt 2 lc rgb 'red'"
		echo "set arrow from graph 0, first 0.90 to graph 1, first 0.90 nohead dt 3 lc rgb 'orange'"
		# shellcheck disable=SC2028
		echo 'set xlabel "a plain, b lmdb tables, c no-op milter, d edg-policyd, e edg-milter, f both, g no-op policy server\n(dashed red line: target d/a 0.95; dotted orange line: target f/c 0.90)"'
		i=2
		printf 'plot '
		for n in $cols; do
			[ "$i" -gt 2 ] && printf ', '
			printf "'%s' using %d:%d:%d:xtic(1) title '%s suppressions%s'" "$D/ratios.dat" "$i" "$((i + 1))" "$((i + 2))" \
				"$(fmt_n "$n")" "$([ "$capacity" = 1 ] && echo ': rate')"
			i=$((i + 3))
			if [ "$capacity" = 1 ]; then
				printf ", '%s' using %d:%d:%d fill pattern 4 title '%s suppressions: CPU capacity'" "$D/ratios.dat" "$i" "$((i + 1))" "$((i + 2))" "$(fmt_n "$n")"
				i=$((i + 3))
			fi
		done
		echo
	} >"$D/ratios.gp"
	gnuplot "$D/ratios.gp" 2>"$D/gnuplot.log" || echo "(gnuplot failed: $(cat "$D/gnuplot.log"))"
fi

if [ -s "$D/policyd.txt" ]; then
	echo "### edg-policyd alone, 50 persistent connections, beside redis-benchmark -c 50 HEXISTS"
	echo
	echo "| suppressions | edg-policyd decisions/s | p50 | p99 | p99.9 | redis-benchmark HEXISTS/s | p50 | p99 | policyd/redis |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for n in $(awk '$2 == "policyd" { print $1 }' "$D/policyd.txt"); do
		awk -v n="$n" -v f="$(fmt_n "$n")" '
			$1 == n && $2 == "policyd" { pr = $4; p50 = $6; p99 = $8; p999 = $10 }
			$1 == n && $2 == "redis" { rr = $4; r50 = $6; r99 = $8 }
			$1 == n && $2 == "ratio_policyd_over_redis" { q = $3 }
			END { printf "| %s | %.0f | %.0f us | %.0f us | %.0f us | %.0f | %.0f us | %.0f us | %.2f |\n", f, pr, p50, p99, p999, rr, r50, r99, q }' "$D/policyd.txt"
	done
	echo
	echo "One connection, one request at a time (service time, no queueing; one run):"
	echo
	echo "| suppressions | edg-policyd decisions/s | p50 | p99 | redis-benchmark -c 1 HEXISTS/s | p50 | p99 |"
	echo "|---|---|---|---|---|---|---|"
	for n in $(awk '$2 == "policyd" { print $1 }' "$D/policyd.txt"); do
		awk -v n="$n" -v f="$(fmt_n "$n")" '
			$1 == n && $2 == "single" { pr = $8; p50 = $10; p99 = $12 }
			$1 == n && $2 == "single_redis" { rr = $4; r50 = $6; r99 = $8 }
			END { printf "| %s | %.0f | %.0f us | %.0f us | %.0f | %.0f us | %.0f us |\n", f, pr, p50, p99, rr, r50, r99 }' "$D/policyd.txt"
	done
	echo
fi

if [ -s "$D/memory.txt" ]; then
	echo "### Memory once the view is loaded (VmRSS; VmHWM = peak)"
	echo
	echo "| suppressions | policyd RSS | peak | milter RSS | peak | policyd bytes/address over N=0 | milter bytes/address | target (32 MiB + 16 B/address) | load time policyd / milter |"
	echo "|---|---|---|---|---|---|---|---|---|"
	awk '$2 == "policyd" { pr[$1] = $3; ph[$1] = $4; pl[$1] = $5; if (!($1 in s)) { s[$1] = 1; ns[++k] = $1 } }
	     $2 == "milter" { mr[$1] = $3; mh[$1] = $4; ml[$1] = $5 }
	     END { for (i = 1; i <= k; i++) { n = ns[i]
	             bp = n > 0 && (0 in pr) ? sprintf("%.1f", (pr[n] - pr[0]) * 1024 / n) : "-"
	             bm = n > 0 && (0 in mr) ? sprintf("%.1f", (mr[n] - mr[0]) * 1024 / n) : "-"
	             printf "| %d | %.1f MB | %.1f MB | %.1f MB | %.1f MB | %s | %s | %.1f MB | %s s / %s s |\n", n, pr[n] / 1024, ph[n] / 1024, mr[n] / 1024, mh[n] / 1024, bp, bm, (32 * 1048576 + 16 * n) / 1048576, pl[n], ml[n] } }' \
		"$D/memory.txt"
	echo
fi

if [ -s "$D/callgrind.txt" ]; then
	echo "### Instructions (valgrind --tool=callgrind, every thread, user space)"
	echo
	echo "| program | unit | K1 | K2 | instructions at K1 | at K2 | per unit (I2 - I1) / (K2 - K1) |"
	echo "|---|---|---|---|---|---|---|"
	awk '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, ($1 == "policyd" ? "decision" : "message"), $3, $4, $6, $7, $9 }' "$D/callgrind.txt"
	echo
fi
