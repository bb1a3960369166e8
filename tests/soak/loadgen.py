#!/usr/bin/env python3
"""loadgen.py - submit a steady mix of messages to an SMTP server and count every outcome.

Usage: loadgen.py --port PORT [--rate MSG_PER_S] [--count N | --seconds S]
                  [--threads N] [--counts FILE] [--churn N]

One SMTP session per message, from a few worker threads. Message i is of the kind
KINDS[i % len(KINDS)]; what each kind is and what edg must answer:

  approved          app@example.com to one recipient, From: app@example.com   250 queued
  rewritten         app@example.com, From: alice@corp.example (a header rule)  250 queued
  refused_sender    cron@elsewhere.test (not approved, no rule)                5xx
  refused_from      app@example.com, From: stranger@elsewhere.test             5xx after DATA
  suppressed        to gone@example.net only                                   5xx at RCPT
  suppressed_mixed  to alice@example.net and gone@example.net                  250 (alice only)
  churn             to churnN@customer.example, whose suppression the caller   either
                    adds and removes while the load runs

--rate 0: as fast as the threads go. Every outcome is one of accepted (250 after DATA),
refused5 (a 5xx ended the message), tempfail4 (a 4xx ended it) or error (the session
broke: the message's fate is unknown). A "wrong" outcome is one that contradicts the
table (an approved message refused, a suppressed one accepted). The counts are written
as JSON to --counts every 5 s and at the end; wrong answers go to stderr.
Exit status 0 when no message ended in error or a wrong outcome.
"""
import argparse
import json
import os
import smtplib
import sys
import threading
import time

KINDS = ["approved", "rewritten", "approved", "refused_sender", "suppressed",
         "approved", "rewritten", "refused_from", "suppressed_mixed", "churn"]
MUST_ACCEPT = {"approved", "rewritten", "suppressed_mixed"}
MUST_REFUSE = {"refused_sender", "refused_from", "suppressed"}


def envelope(kind, i, churn):
    """(MAIL FROM, [RCPT TO], From: header) of message i."""
    rcpt = "user%d@example.net" % (i % 1000)
    if kind == "approved":
        return "app@example.com", [rcpt], "App <app@example.com>"
    if kind == "rewritten":
        return "app@example.com", [rcpt], "Alice Smith <alice@corp.example>"
    if kind == "refused_sender":
        return "cron@elsewhere.test", [rcpt], "Cron <cron@elsewhere.test>"
    if kind == "refused_from":
        return "app@example.com", [rcpt], "stranger@elsewhere.test"
    if kind == "suppressed":
        return "app@example.com", ["gone@example.net"], "App <app@example.com>"
    if kind == "suppressed_mixed":
        return "app@example.com", ["alice@example.net", "gone@example.net"], "App <app@example.com>"
    return "app@example.com", ["churn%d@customer.example" % (i % churn)], "App <app@example.com>"


def outcome_of(code):
    if 200 <= code < 300:
        return "accepted"
    return "tempfail4" if 400 <= code < 500 else "refused5"


def send_one(port, i, churn):
    """Submit message i; return (kind, outcome, last reply)."""
    kind = KINDS[i % len(KINDS)]
    mail_from, rcpts, from_hdr = envelope(kind, i, churn)
    body = ("From: %s\r\nTo: %s\r\nSubject: soak %d %s\r\nMessage-ID: <soak.%d@loadgen.test>\r\n"
            "\r\nedg soak message %d\r\n" % (from_hdr, ", ".join(rcpts), i, kind, i, i))
    smtp = smtplib.SMTP(timeout=120)
    try:
        code, reply = smtp.connect("127.0.0.1", port)
        if code != 220:
            return kind, outcome_of(code), reply
        code, reply = smtp.ehlo("loadgen.test")
        if code != 250:
            return kind, outcome_of(code), reply
        code, reply = smtp.mail(mail_from)
        if code != 250:
            return kind, outcome_of(code), reply
        accepted_rcpts = 0
        for rcpt in rcpts:
            rc, rr = smtp.rcpt(rcpt)
            if rc in (250, 251):
                accepted_rcpts += 1
            else:
                code, reply = rc, rr
        if accepted_rcpts == 0:
            return kind, outcome_of(code), reply
        code, reply = smtp.data(body.encode())
        return kind, outcome_of(code), reply
    except smtplib.SMTPResponseException as e:
        return kind, outcome_of(e.smtp_code), e.smtp_error
    except (smtplib.SMTPException, OSError) as e:
        return kind, "error", str(e).encode()
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.total = {"submitted": 0, "accepted": 0, "refused5": 0, "tempfail4": 0,
                      "error": 0, "wrong": 0}
        self.kinds = {}

    def add(self, i, kind, outcome, reply):
        wrong = ((kind in MUST_ACCEPT and outcome == "refused5") or
                 (kind in MUST_REFUSE and outcome == "accepted"))
        with self.lock:
            self.total["submitted"] += 1
            self.total[outcome] += 1
            per = self.kinds.setdefault(kind, {})
            per[outcome] = per.get(outcome, 0) + 1
            if wrong:
                self.total["wrong"] += 1
        if wrong or outcome == "error":
            text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
            sys.stderr.write("message %d (%s): %s: %s\n" % (i, kind, outcome, text))

    def write(self, path):
        if not path:
            return
        with self.lock:
            doc = dict(self.total, kinds=self.kinds)
        with open(path + ".tmp", "w") as f:
            json.dump(doc, f, sort_keys=True)
        os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rate", type=float, default=5.0)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--counts", default="")
    ap.add_argument("--churn", type=int, default=10)
    args = ap.parse_args()
    if not args.count and not args.seconds:
        ap.error("--count or --seconds")

    counts = Counts()
    start = time.monotonic()
    next_index = [0]
    index_lock = threading.Lock()

    def take():
        """The next message index and when it is due, or None when the run is over."""
        with index_lock:
            i = next_index[0]
            if args.count and i >= args.count:
                return None
            due = start + i / args.rate if args.rate > 0 else time.monotonic()
            if args.seconds and due - start >= args.seconds:
                return None
            next_index[0] += 1
            return i, due

    def worker():
        while True:
            job = take()
            if job is None:
                return
            i, due = job
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            kind, outcome, reply = send_one(args.port, i, args.churn)
            counts.add(i, kind, outcome, reply)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.threads)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=5)
            if t.is_alive():
                break
        counts.write(args.counts)
    counts.write(args.counts)
    elapsed = time.monotonic() - start
    t = counts.total
    print("submitted %d accepted %d refused5 %d tempfail4 %d error %d wrong %d in %.1f s" %
          (t["submitted"], t["accepted"], t["refused5"], t["tempfail4"], t["error"], t["wrong"],
           elapsed))
    return 0 if t["error"] == 0 and t["wrong"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
