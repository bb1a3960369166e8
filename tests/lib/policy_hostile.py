#!/usr/bin/env python3
"""policy_hostile.py - hostile policy clients while a well-behaved one keeps asking.

Usage: policy_hostile.py SOCKET GOOD_REQUEST_FILE WANT_REPLY_FILE PID
Runs each attack in turn; during and after each, the good client sends its request on
its own persistent connection and must get exactly WANT_REPLY. Prints TAP lines
(without numbers: the caller's tap.sh counts) as "ok - ..." / "not ok - ...", and the
daemon's RSS (VmRSS of PID) after each attack.
"""
import os
import socket
import sys
import threading
import time

SOCK, GOOD, WANT, PID = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read(), sys.argv[4]


def connect():
    if SOCK.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(SOCK[5:])
    else:
        host, port = SOCK[5:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    return s


def rss_kb():
    for line in open(f"/proc/{PID}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def report(ok, name, detail=""):
    print(("ok - " if ok else "not ok - ") + name)
    if not ok and detail:
        print("# " + detail)
    sys.stdout.flush()


good = connect()
good.settimeout(5)


def ask_good():
    good.sendall(GOOD)
    buf = b""
    while not buf.endswith(b"\n\n"):
        chunk = good.recv(4096)
        if not chunk:
            return b"(closed)"
        buf += chunk
    return buf


def attack_long_line():
    s = connect()
    try:
        s.sendall(b"sender=" + b"a" * (1024 * 1024) + b"\n\n")
    except OSError:
        pass
    s.settimeout(5)
    try:
        return s.recv(10) == b""  # closed by the daemon, no reply
    except OSError:
        return True
    finally:
        s.close()


def attack_binary():
    s = connect()
    try:
        s.sendall(b"request=smtpd_access_policy\nsender=a\x00b\xff\xfe\n\n" + os.urandom(4096))
        s.settimeout(5)
        return s.recv(10) == b""
    except OSError:
        return True
    finally:
        s.close()


def attack_no_blank_line():
    s = connect()
    s.sendall(GOOD.rstrip(b"\n") + b"\n")  # never the empty line
    s.settimeout(2)
    try:
        data = s.recv(10)
        return data == b"" or data is None
    except socket.timeout:
        return True  # no answer to an unfinished request; the slow-loris timer closes it
    finally:
        s.close()


def attack_churn(n=10000):
    for _ in range(n):
        s = connect()
        s.close()
    return True


def attack_slowloris(seconds=12):
    s = connect()
    start = time.time()
    closed = False
    s.settimeout(0.5)
    for byte in GOOD:
        try:
            s.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        time.sleep(0.5)
        if time.time() - start > seconds:
            break
    try:
        closed = closed or s.recv(10) == b""
    except (socket.timeout, OSError):
        pass
    s.close()
    return closed


def concurrent(n=5000):
    """n connections open at once, each asking once; every one gets the right answer."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 256), hard))
    socks = [connect() for _ in range(n)]
    for s in socks:
        s.sendall(GOOD)
    right = 0
    for s in socks:
        s.settimeout(10)
        buf = b""
        while not buf.endswith(b"\n\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        right += buf == WANT
    for s in socks:
        s.close()
    return right == n


rss_start = rss_kb()
report(concurrent(), "5,000 concurrent connections, each answered correctly")
print("# rss with 5,000 connections served: %d kB" % rss_kb())
for name, attack in [("1 MB line: connection closed", attack_long_line),
                     ("binary and NUL bytes: connection closed", attack_binary),
                     ("request without its blank line: no reply", attack_no_blank_line),
                     ("10,000 connections opened and dropped", attack_churn),
                     ("slow-loris client closed within the request timeout", attack_slowloris)]:
    answers = []
    stop = False

    def keep_asking():
        while not stop:
            answers.append(ask_good())
            time.sleep(0.05)

    t = threading.Thread(target=keep_asking)
    t.start()
    result = attack()
    stop = True
    t.join()
    answers.append(ask_good())
    report(result, name)
    wrong = [a for a in answers if a != WANT]
    report(not wrong, name + ": the good client kept its exact answers (%d)" % len(answers),
           repr(wrong[:1]))
    print("# rss after '%s': %d kB" % (name, rss_kb()))
if os.environ.get("EDG_VALGRIND") or "san" in os.environ.get("EDG_BUILD", ""):
    print("# memory bound not checked under valgrind or sanitizers (their bookkeeping dominates)")
else:
    report(rss_kb() < rss_start + 20 * 1024, "memory stays bounded (%d kB -> %d kB)" % (rss_start, rss_kb()))
