#!/usr/bin/env python3
"""emuctl.py - call the control interface (/_emu/) of the OCI control-plane emulator.

  emuctl.py URL METHOD PATH [JSON]
  e.g. emuctl.py http://127.0.0.1:8123 POST /fault '{"type":"status","status":429}'

PATH is relative to /_emu. Prints the JSON answer; exit status 1 on an HTTP error status
(the answer is still printed), 2 when the emulator cannot be reached.
"""
import http.client
import sys
import urllib.parse


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    url, method, path = argv[0], argv[1].upper(), argv[2]
    body = argv[3].encode() if len(argv) == 4 else None
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":
        import ssl
        conn = http.client.HTTPSConnection(u.hostname, u.port,
                                           context=ssl._create_unverified_context(), timeout=60)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        hdrs = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, "/_emu" + path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
    except OSError as e:
        sys.stderr.write("emuctl: %s\n" % e)
        return 2
    sys.stdout.buffer.write(data + b"\n")
    return 0 if r.status < 400 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
