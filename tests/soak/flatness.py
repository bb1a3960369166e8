#!/usr/bin/env python3
"""flatness.py - did each daemon's RSS, open fds and Redis connections stay flat?

Usage: flatness.py [--slack-rss-kb KB] [--slack-fds N] SOAK.csv

Reads the CSV of tests/soak/soak.sh (elapsed_s,daemon,pid,rss_kb,fds,redis_conns,...).
The first twelfth of the run is warm-up and ignored; of the rest, the first quarter is
compared with the last quarter, per daemon:
  RSS          max(last) - max(first) <= slack (KB, default 1024)
  open fds     min(last) <= min(first) (the floor, what a leak raises) and
               max(last) <= max(first) + slack-fds (default 2: sessions in flight)
  Redis conns  max(last) <= max(first)
A single sample is noisy (a session in flight holds an fd), so a window's max and min
are compared, not single samples. The Redis server's own row is reported, not judged.
Prints one line per check: PASS|FAIL|INFO, TAB, name, TAB, figures.
"""
import argparse
import csv
import sys


def windows(rows):
    times = sorted({r["t"] for r in rows})
    if not times:
        return [], []
    end = times[-1]
    warm = end / 12.0
    span = end - warm
    first = [r for r in rows if warm <= r["t"] <= warm + span / 4]
    last = [r for r in rows if r["t"] >= end - span / 4]
    return first, last


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--slack-rss-kb", type=int, default=1024)
    ap.add_argument("--slack-fds", type=int, default=2)
    ap.add_argument("csv")
    args = ap.parse_args()
    by_daemon = {}
    with open(args.csv) as f:
        for r in csv.DictReader(f):
            row = {"t": int(r["elapsed_s"]), "rss": int(r["rss_kb"]), "fds": int(r["fds"]),
                   "conns": int(r["redis_conns"])}
            by_daemon.setdefault(r["daemon"], []).append(row)
    ok = True
    for daemon, rows in sorted(by_daemon.items()):
        first, last = windows(rows)
        if not first or not last:
            print("FAIL\t%s: enough samples\t%d samples" % (daemon, len(rows)))
            ok = False
            continue

        def stat(win, key):
            vals = [r[key] for r in win]
            return min(vals), max(vals)

        rss_f, rss_l = stat(first, "rss"), stat(last, "rss")
        fds_f, fds_l = stat(first, "fds"), stat(last, "fds")
        con_f, con_l = stat(first, "conns"), stat(last, "conns")
        figures = ("RSS KB first %d-%d last %d-%d; fds first %d-%d last %d-%d; "
                   "Redis conns first %d-%d last %d-%d; %d+%d samples" %
                   (rss_f + rss_l + fds_f + fds_l + con_f + con_l + (len(first), len(last))))
        if daemon == "redis":
            print("INFO\tredis server\t%s" % figures)
            continue
        checks = [
            ("RSS flat", rss_l[1] - rss_f[1] <= args.slack_rss_kb,
             "max %d -> %d KB, growth %+d KB, bound %d" %
             (rss_f[1], rss_l[1], rss_l[1] - rss_f[1], args.slack_rss_kb)),
            ("open fds flat", fds_l[1] <= fds_f[1] + args.slack_fds and fds_l[0] <= fds_f[0],
             "first %d-%d, last %d-%d" % (fds_f + fds_l)),
            ("Redis connections flat", con_l[1] <= con_f[1],
             "first %d-%d, last %d-%d" % (con_f + con_l)),
        ]
        for name, passed, detail in checks:
            print("%s\tedg-%s: %s\t%s" % ("PASS" if passed else "FAIL", daemon, name, detail))
            ok = ok and passed
        print("INFO\tedg-%s\t%s" % (daemon, figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
