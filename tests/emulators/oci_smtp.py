#!/usr/bin/env python3
"""oci_smtp.py - an emulator of the OCI Email Delivery SMTP endpoint, for tests and the demo.

SYNOPSIS
    oci_smtp.py --port 0 --port-file F --tls-cert CERT --tls-key KEY --user U --password P
                (--control-url http://127.0.0.1:PORT | --state FILE) --store DIR
                [--implicit-tls] [--max-size BYTES] [--rate-limit N] [--throttle-file F]
                [--auth-failure-limit N [--auth-failure-window S]]
                [--log FILE] [--pid-file F] [--hostname NAME] [--bind ADDR]

DESCRIPTION
    Speaks SMTP the way smtp.email.<region>.oci.oraclecloud.com does, as far as edg cares
    (shared/reference/oci-email-delivery.md section 3):

    - STARTTLS (TLS 1.2 or later) is offered before authentication; --implicit-tls starts
      TLS at connect instead (the port-465 style).
    - AUTH PLAIN only, and only after TLS: before it "530 5.7.0 Must issue a STARTTLS
      command first"; bad credentials "535 Authentication credentials invalid"; MAIL
      without AUTH "530 5.7.0 Authentication required".
    - Approved senders and suppressions come from the state the control-plane emulator
      serves: fetched from --control-url (GET /_emu/state) at each MAIL, or read from
      --state FILE (the same JSON format) at each MAIL. A sender is approved when an ACTIVE
      sender's emailAddress is the address or "@" + its domain (compared lowercased).
    - The envelope sender and every address of every header From: must be approved, else
      "535 Authorization failed: address <addr> not authorized" (at MAIL for the envelope,
      at the end of DATA for the header).
    - A suppressed recipient gets "254 4.7.1 Suppression for user <ocid> to <rcpt>" at
      RCPT: a 2xx, so the client counts it as delivered, but it is not.
    - A message over --max-size bytes (default 2 MB, as received: encoding and headers
      included), or a SIZE= over it, gets "552 Exceeds byte limit".
    - No header block, or one over 256 KB: "554 Message parse error".
    - "455 Maximum messages sent per minute reached : limit is N" at MAIL when N messages
      were accepted in the last 60 s (--rate-limit N), or while --throttle-file exists
      (its first line, if a number, is the N named in the reply; default 10).
    - With --auth-failure-limit N, a client address that got N "535" replies (bad
      credentials or an unapproved sender) within --auth-failure-window seconds (default
      300) is greeted "421 Too many auth failures, try again later" and disconnected
      until the window has passed: OCI's per-IP throttle, which hits the whole relay.
    - Each accepted message is stored in --store DIR as NNNNNN.eml (the raw content, dot
      unstuffed) and NNNNNN.json (envelope: mail_from, rcpts delivered to, suppressed
      recipients, size, auth user, TLS version, header From addresses); the .json is
      written last and atomically, so a reader that counts .json files sees whole ones.
    - Every command and reply goes to --log (default stderr) with a connection number;
      the AUTH argument is never logged, only "AUTH PLAIN <hidden>".

    Stops on SIGTERM or SIGINT. One thread per connection.

DIAGNOSTICS
    Exit 0 on a signal, 2 on bad options or when the socket cannot be opened.
"""
import argparse
import base64
import email.parser
import email.policy
import email.utils
import json
import os
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.request

MAX_LINE = 4096               # commands (RFC 5321: 512); be generous, then refuse
MAX_DATA_LINE = 1024 * 1024   # message lines (RFC 5322: 998); a longer one ends the session
MAX_HEADER_BLOCK = 256 * 1024
IDLE_TIMEOUT = 120
USER_OCID = "ocid1.user.oc1..emu"
GEN_RE = re.compile(r"^user([0-9]+)@gen([0-9]+)\.example$")
ADDR_RE = re.compile(r"^[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+$")


class LineTooLong(Exception):
    pass


class Closed(Exception):
    pass


# ---------------------------------------------------------------------------------------
# State: approved senders and suppressions, from the control-plane emulator or a file
# ---------------------------------------------------------------------------------------
class Rules:
    """One snapshot of the state: approved(addr) and suppressed(addr)."""

    def __init__(self, doc):
        self.senders = set()
        for s in doc.get("senders", []):
            if s.get("lifecycleState", "ACTIVE") == "ACTIVE" and s.get("emailAddress"):
                self.senders.add(s["emailAddress"].lower())
        self.suppressions = {}
        for s in doc.get("suppressions", []):
            if s.get("emailAddress"):
                self.suppressions[s["emailAddress"].lower()] = s.get("reason", "MANUAL")
        gen = doc.get("generate") or {}
        self.gen_count = int(gen.get("count", 0) or 0)
        self.gen_width = int(gen.get("width") or max(8, len(str(max(self.gen_count - 1, 0)))))
        self.gen_deleted = set(doc.get("deletedGenerated", []))

    def approved(self, addr):
        addr = addr.lower()
        if addr in self.senders:
            return True
        at = addr.rfind("@")
        return at > 0 and addr[at:] in self.senders

    def suppressed(self, addr):
        addr = addr.lower()
        if addr in self.suppressions:
            return True
        m = GEN_RE.match(addr)
        if not m or len(m.group(1)) != self.gen_width:
            return False
        i = int(m.group(1))
        return (i < self.gen_count and m.group(2) == str(i % 97)
                and i not in self.gen_deleted)


def load_rules(opts):
    """The current state; raises OSError/ValueError when it cannot be had."""
    if opts.control_url:
        with urllib.request.urlopen(opts.control_url.rstrip("/") + "/_emu/state",
                                    timeout=5) as resp:
            return Rules(json.load(resp))
    with open(opts.state, encoding="utf-8") as f:
        return Rules(json.load(f))


# ---------------------------------------------------------------------------------------
# Shared server state: the store, the log, the rate window
# ---------------------------------------------------------------------------------------
class Emulator:
    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.conn_seq = 0
        self.msg_seq = 0
        self.accepted_times = []
        self.auth_failures = {}   # client address -> monotonic times of its 535 replies
        self.log_file = open(opts.log, "a", buffering=1) if opts.log else sys.stderr
        if opts.store:
            os.makedirs(opts.store, exist_ok=True)
            for name in os.listdir(opts.store):
                m = re.match(r"^([0-9]+)\.json$", name)
                if m:
                    self.msg_seq = max(self.msg_seq, int(m.group(1)))

    def log(self, conn, text):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        with self.lock:
            self.log_file.write("%s [%d] %s\n" % (stamp, conn, text))

    def next_conn(self):
        with self.lock:
            self.conn_seq += 1
            return self.conn_seq

    def throttled(self):
        """The limit N when MAIL must get 455 now, else None."""
        opts = self.opts
        if opts.throttle_file and os.path.exists(opts.throttle_file):
            try:
                with open(opts.throttle_file, encoding="utf-8") as f:
                    first = f.readline().strip()
                return int(first) if first.isdigit() else 10
            except OSError:
                return 10
        if opts.rate_limit:
            now = time.monotonic()
            with self.lock:
                self.accepted_times = [t for t in self.accepted_times if now - t < 60]
                if len(self.accepted_times) >= opts.rate_limit:
                    return opts.rate_limit
        return None

    def auth_failed(self, addr):
        with self.lock:
            self.auth_failures.setdefault(addr, []).append(time.monotonic())

    def auth_throttled(self, addr):
        """Whether addr is past --auth-failure-limit within the window."""
        limit = self.opts.auth_failure_limit
        if not limit:
            return False
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.auth_failures.get(addr, [])
                      if now - t < self.opts.auth_failure_window]
            self.auth_failures[addr] = recent
            return len(recent) >= limit

    def store(self, envelope, content):
        with self.lock:
            self.msg_seq += 1
            seq = self.msg_seq
            self.accepted_times.append(time.monotonic())
        envelope["id"] = "emu%06d" % seq
        if not self.opts.store:
            return envelope["id"]
        base = os.path.join(self.opts.store, "%06d" % seq)
        with open(base + ".eml", "wb") as f:
            f.write(content)
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(envelope, f, indent=1, sort_keys=True)
            f.write("\n")
        os.rename(base + ".json.tmp", base + ".json")
        return envelope["id"]


# ---------------------------------------------------------------------------------------
# One SMTP session
# ---------------------------------------------------------------------------------------
def parse_path(arg, keyword):
    """'FROM:<a@b> SIZE=1' -> ('a@b', {'SIZE': '1'}); None when malformed."""
    m = re.match(r"^%s:\s*<([^<>]*)>(.*)$" % keyword, arg, re.IGNORECASE)
    if not m:
        return None
    params = {}
    for p in m.group(2).split():
        k, _, v = p.partition("=")
        params[k.upper()] = v
    return m.group(1).strip(), params


def header_from_addresses(head_bytes):
    """Every address of every From: header, lowercased; [] when there is none."""
    msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head_bytes)
    values = [str(v) for v in (msg.get_all("From") or [])]
    return [a.lower() for _, a in email.utils.getaddresses(values)], len(values)


class Session(socketserver.BaseRequestHandler):
    def setup(self):
        self.emu = self.server.emu
        self.opts = self.emu.opts
        self.conn = self.emu.next_conn()
        self.buf = b""
        self.tls = None
        self.auth_user = None
        self.helo = None
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpts = []
        self.suppressed = []

    # I/O -------------------------------------------------------------------------------
    def sock(self):
        return self.tls or self.request

    def readline(self, limit=MAX_LINE):
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                raise LineTooLong()
            data = self.sock().recv(65536)
            if not data:
                raise Closed()
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        if len(line) > limit:
            raise LineTooLong()
        return line[:-1] if line.endswith(b"\r") else line

    def reply(self, text):
        self.emu.log(self.conn, "S: " + text.replace("\r\n", " | "))
        if text.startswith("535 "):
            self.emu.auth_failed(self.client_address[0])
        lines = text.split("\r\n")
        out = "".join("%s%s%s\r\n" % (l[:3], "-" if i < len(lines) - 1 else " ", l[4:])
                      for i, l in enumerate(lines))
        self.sock().sendall(out.encode())

    def start_tls(self):
        self.tls = self.server.tls_context.wrap_socket(self.request, server_side=True)
        self.emu.log(self.conn, "TLS established: %s %s" % (self.tls.version(),
                                                           self.tls.cipher()[0]))

    # the conversation ------------------------------------------------------------------
    def handle(self):
        peer = "%s:%d" % self.client_address[:2]
        self.emu.log(self.conn, "connect from %s" % peer)
        self.request.settimeout(IDLE_TIMEOUT)
        try:
            if self.opts.implicit_tls:
                self.start_tls()
            if self.emu.auth_throttled(self.client_address[0]):
                self.reply("421 Too many auth failures, try again later")
                self.emu.log(self.conn, "disconnect (throttled)")
                return
            self.reply("220 %s ESMTP OCI Email Delivery (emulator)" % self.opts.hostname)
            while self.command():
                pass
        except ssl.SSLError as e:
            self.emu.log(self.conn, "TLS failure: %s" % e)
        except LineTooLong:
            self.reply("500 5.5.2 Line too long")
        except (Closed, ConnectionError, socket.timeout, OSError) as e:
            self.emu.log(self.conn, "connection ended: %s" % (e.__class__.__name__))
        self.emu.log(self.conn, "disconnect")

    def command(self):
        raw = self.readline()
        line = raw.decode("utf-8", "replace")
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        self.emu.log(self.conn, "C: " + ("AUTH %s <hidden>" % arg.split(" ")[0]
                                         if verb == "AUTH" else line))
        handler = getattr(self, "cmd_" + verb, None) if verb.isalpha() else None
        if handler is None:
            self.reply("500 5.5.1 Command unrecognized")
            return True
        return handler(arg.strip())

    def cmd_EHLO(self, arg):
        self.helo = arg or "unknown"
        self.reset()
        lines = ["250 %s" % self.opts.hostname, "250 SIZE %d" % self.opts.max_size,
                 "250 PIPELINING", "250 8BITMIME", "250 ENHANCEDSTATUSCODES"]
        lines.append("250 AUTH PLAIN" if self.tls else "250 STARTTLS")
        self.reply("\r\n".join(lines))
        return True

    def cmd_HELO(self, arg):
        self.helo = arg or "unknown"
        self.reset()
        self.reply("250 %s" % self.opts.hostname)
        return True

    def cmd_STARTTLS(self, arg):
        if self.tls:
            self.reply("503 5.5.1 TLS already active")
            return True
        if self.buf:  # pipelined plaintext after STARTTLS: a command injection attempt
            self.reply("501 5.5.1 No pipelining after STARTTLS")
            return False
        self.reply("220 2.0.0 Ready to start TLS")
        self.start_tls()
        self.helo = None
        self.auth_user = None
        self.reset()
        return True

    def cmd_AUTH(self, arg):
        if not self.tls:
            self.reply("530 5.7.0 Must issue a STARTTLS command first")
            return True
        if self.auth_user:
            self.reply("503 5.5.1 Already authenticated")
            return True
        mech, _, initial = arg.partition(" ")
        if mech.upper() != "PLAIN":
            self.reply("504 5.7.4 Unrecognized authentication type")
            return True
        if not initial:
            self.reply("334 ")
            initial = self.readline().decode("ascii", "replace").strip()
            if initial == "*":
                self.reply("501 5.7.0 Authentication cancelled")
                return True
        try:
            _authz, user, password = base64.b64decode(initial, validate=True).split(b"\0")
        except ValueError:
            self.reply("501 5.5.2 Cannot decode AUTH parameter")
            return True
        if (user.decode("utf-8", "replace") == self.opts.user
                and password.decode("utf-8", "replace") == self.opts.password):
            self.auth_user = self.opts.user
            self.emu.log(self.conn, "authenticated as %s" % self.opts.user)
            self.reply("235 2.7.0 Authentication succeeded")
        else:
            self.emu.log(self.conn, "authentication failed for %r" % user.decode("utf-8", "replace"))
            self.reply("535 Authentication credentials invalid")
        return True

    def cmd_MAIL(self, arg):
        if not self.auth_user:
            self.reply("530 5.7.0 Authentication required")
            return True
        if self.mail_from is not None:
            self.reply("503 5.5.1 Sender already given")
            return True
        parsed = parse_path(arg, "FROM")
        if parsed is None:
            self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
            return True
        addr, params = parsed
        if "SIZE" in params and params["SIZE"].isdigit() and int(params["SIZE"]) > self.opts.max_size:
            self.reply("552 Exceeds byte limit")
            return True
        limit = self.emu.throttled()
        if limit is not None:
            self.reply("455 Maximum messages sent per minute reached : limit is %d" % limit)
            return True
        try:
            self.rules = load_rules(self.opts)
        except (OSError, ValueError) as e:
            self.emu.log(self.conn, "state unavailable: %s" % e)
            self.reply("451 4.3.0 Internal error, try again later")
            return True
        if addr and not ADDR_RE.match(addr):
            self.reply("553 <%s> Invalid email address" % addr)
            return True
        if addr and not self.rules.approved(addr):
            self.reply("535 Authorization failed: address %s not authorized" % addr)
            return True
        self.mail_from = addr
        self.reply("250 2.1.0 Ok")
        return True

    def cmd_RCPT(self, arg):
        if self.mail_from is None:
            self.reply("503 5.5.1 Need MAIL before RCPT")
            return True
        parsed = parse_path(arg, "TO")
        if parsed is None:
            self.reply("501 5.5.4 Syntax: RCPT TO:<address>")
            return True
        addr = parsed[0]
        if not ADDR_RE.match(addr):
            self.reply("553 <%s> Invalid email address" % addr)
            return True
        if self.rules.suppressed(addr):
            self.suppressed.append(addr)
            self.reply("254 4.7.1 Suppression for user %s to %s" % (USER_OCID, addr))
            return True
        self.rcpts.append(addr)
        self.reply("250 2.1.5 Ok")
        return True

    def read_data(self):
        """The message, dot-unstuffed, and whether it outgrew --max-size (read to the end)."""
        chunks, size, over = [], 0, False
        while True:
            line = self.readline(MAX_DATA_LINE)
            if line == b".":
                return b"".join(chunks), over
            if line.startswith(b"."):
                line = line[1:]
            size += len(line) + 2
            if size > self.opts.max_size:
                over, chunks = True, []
            elif not over:
                chunks.append(line + b"\r\n")

    def cmd_DATA(self, arg):
        if self.mail_from is None or not (self.rcpts or self.suppressed):
            self.reply("554 5.5.1 No valid recipients")
            return True
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        content, over = self.read_data()
        self.finish_message(content, over)
        self.reset()
        return True

    def finish_message(self, content, over):
        if over:
            self.reply("552 Exceeds byte limit")
            return
        end = content.find(b"\r\n\r\n")
        head = content if end < 0 else content[:end + 2]
        if end <= 0 or len(head) > MAX_HEADER_BLOCK or not re.match(rb"^[!-9;-~]+:", head):
            self.reply("554 Message parse error")
            return
        from_addrs, _ = header_from_addresses(head)
        if not from_addrs:
            self.reply("554 Message parse error")
            return
        for a in from_addrs:
            if not a or not self.rules.approved(a):
                self.reply("535 Authorization failed: address %s not authorized" % (a or "<>"))
                return
        envelope = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "mail_from": self.mail_from, "rcpts": self.rcpts,
                    "suppressed": self.suppressed, "size": len(content),
                    "header_from": from_addrs, "auth_user": self.auth_user,
                    "tls": self.tls.version() if self.tls else None, "helo": self.helo}
        msg_id = self.emu.store(envelope, content)
        for r in self.suppressed:
            self.emu.log(self.conn, "%s: dropped suppressed recipient %s" % (msg_id, r))
        self.reply("250 2.0.0 Ok: queued as %s" % msg_id)

    def cmd_RSET(self, arg):
        self.reset()
        self.reply("250 2.0.0 Ok")
        return True

    def cmd_NOOP(self, arg):
        self.reply("250 2.0.0 Ok")
        return True

    def cmd_VRFY(self, arg):
        self.reply("252 2.5.2 Cannot VRFY user")
        return True

    def cmd_QUIT(self, arg):
        self.reply("221 2.0.0 Bye")
        return False


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def tls_context(opts):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
    return ctx


def main():
    ap = argparse.ArgumentParser(description="OCI Email Delivery SMTP endpoint emulator")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--hostname", default="smtp.email.us-ashburn-1.oci.oraclecloud.com")
    ap.add_argument("--tls-cert", required=True)
    ap.add_argument("--tls-key", required=True)
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--control-url")
    src.add_argument("--state")
    ap.add_argument("--store")
    ap.add_argument("--max-size", type=int, default=2 * 1024 * 1024)
    ap.add_argument("--rate-limit", type=int, default=0)
    ap.add_argument("--throttle-file")
    ap.add_argument("--auth-failure-limit", type=int, default=0)
    ap.add_argument("--auth-failure-window", type=float, default=300)
    ap.add_argument("--log")
    ap.add_argument("--pid-file")
    opts = ap.parse_args()

    emu = Emulator(opts)
    try:
        server = Server((opts.bind, opts.port), Session)
        server.tls_context = tls_context(opts)
    except (OSError, ssl.SSLError) as e:
        print("oci_smtp: %s" % e, file=sys.stderr)
        return 2
    server.emu = emu
    port = server.server_address[1]
    if opts.pid_file:
        with open(opts.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    if opts.port_file:
        with open(opts.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(opts.port_file + ".tmp", opts.port_file)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    emu.log(0, "listening on %s:%d (%s)" % (opts.bind, port,
                                          "implicit TLS" if opts.implicit_tls else "STARTTLS"))
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
