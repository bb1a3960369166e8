#!/usr/bin/env python3
"""policy_client.py - send Postfix policy requests, print the replies.

Usage: policy_client.py SOCKET FILE...
SOCKET is unix:PATH or inet:HOST:PORT. Each FILE holds one or more requests
(name=value lines, each request ended by an empty line), sent over one connection;
the replies are printed in order, exactly as received.
"""
import socket
import sys


def connect(spec):
    if spec.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(spec[5:])
    else:
        host, port = spec[5:].rsplit(":", 1)
        s = socket.create_connection((host.strip("[]"), int(port)))
    s.settimeout(10)
    return s


def main():
    s = connect(sys.argv[1])
    for name in sys.argv[2:]:
        data = open(name, "rb").read()
        expected = data.count(b"\n\n")
        s.sendall(data)
        buf = b""
        while buf.count(b"\n\n") < expected:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        sys.stdout.write(buf.decode("utf-8", "replace"))
    s.close()


main()
