#!/usr/bin/env python3
"""bench_pull.py - page through every suppression of the control-plane emulator.

One keep-alive connection, one signed GET per page, like a simple sync client. Prints one
JSON line: pages, items, distinct ids, seconds, time spent signing, and (with --pid) the
emulator's RSS before and after, and the emulator's own time (the sum of the request log's
per-request times). Exit status 1 when the pull is not a clean, duplicate-free
listing of --expect items (when given).

  bench_pull.py --url http://127.0.0.1:PORT --key KEY.pem --key-id ID --tenancy OCID \
      [--limit 1000] [--signer openssl|builtin] [--pid PID] [--expect N] [--query EXTRA]
"""

import argparse
import http.client
import json
import ssl
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sign_request  # noqa: E402


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def emu_log(url, since):
    """Entries of the emulator's request log after seq `since` (control interface)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=60,
                                           context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    conn.request("GET", "/_emu/log?since=%d" % since)
    doc = json.loads(conn.getresponse().read())
    conn.close()
    return doc


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--tenancy", required=True)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--signer", choices=("openssl", "builtin"), default="openssl")
    ap.add_argument("--pid", type=int)
    ap.add_argument("--expect", type=int)
    ap.add_argument("--query", default="", help="extra query, e.g. sortOrder=ASC")
    ap.add_argument("--cacert")
    ap.add_argument("--max-pages", type=int, default=1_000_000)
    a = ap.parse_args(argv)

    signer = sign_request.Signer(a.key, a.signer)
    conn, host = sign_request.connect(a.url, a.cacert, 60)
    base = urllib.parse.urlsplit(a.url).path.rstrip("/") + "/20170907/suppressions"
    q0 = "compartmentId=%s&limit=%d" % (urllib.parse.quote(a.tenancy, safe=""), a.limit)
    if a.query:
        q0 += "&" + a.query
    seen = set()
    socks = set()
    items = pages = 0
    sign_s = 0.0
    rss0 = rss_kb(a.pid) if a.pid else None
    seq0 = emu_log(a.url, 1 << 62)["next"]
    page = None
    t0 = time.monotonic()
    while pages < a.max_pages:
        target = base + "?" + q0 + ("&page=" + urllib.parse.quote(page, safe="") if page else "")
        ts = time.monotonic()
        hdrs, _ = sign_request.sign_headers(signer, a.key_id, "GET", target, host)
        sign_s += time.monotonic() - ts
        status, rh, body = sign_request.request(conn, "GET", target, hdrs)
        if conn.sock is not None:
            socks.add(conn.sock.getsockname())   # http.client reconnects silently
        if status != 200:
            print(json.dumps({"error": "HTTP %d" % status, "body": body[:200].decode()}))
            return 1
        doc = json.loads(body)
        pages += 1
        items += len(doc)
        for it in doc:
            seen.add(it["id"])
        page = dict((k.lower(), v) for k, v in rh).get("opc-next-page")
        if not page:
            break
    secs = time.monotonic() - t0
    rss1 = rss_kb(a.pid) if a.pid else None
    # the emulator's own time: from reading the request line to the last byte written
    entries = emu_log(a.url, seq0)["entries"]
    emu_ms = sum(e["ms"] for e in entries)
    # ... of which before the first byte of each answer (verify, compute, encode)
    prep_ms = sum(e.get("prepMs", 0) for e in entries)
    out = {"pages": pages, "items": items, "distinct": len(seen), "connections": len(socks),
           "seconds": round(secs, 2),
           "sign_seconds": round(sign_s, 2),
           "emulator_seconds": round(emu_ms / 1000, 2),
           "emulator_prep_seconds": round(prep_ms / 1000, 2), "items_per_s": round(items / secs),
           "emulator_rss_kb_before": rss0, "emulator_rss_kb_after": rss1}
    print(json.dumps(out))
    ok = items == len(seen) and (a.expect is None or items == a.expect)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
