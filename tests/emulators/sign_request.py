#!/usr/bin/env python3
"""sign_request.py - send one OCI-signed HTTP request (signature version 1, rsa-sha256).

An independent signer for the tests: the signature is made by `openssl dgst -sha256 -sign`
(or, with --signer builtin, by Python big-integer RSA from the key's numbers as printed by
`openssl rsa -text`), never by the project's C code.

Prints the HTTP status on stdout ("000" when no complete answer came), the body to -o FILE,
the response headers to -D FILE. Exit status 0 when a complete HTTP answer came, 3 on a
truncated answer, 2 on any other transport error.

Tampering options exist for negative tests: --send-target (sign one request-target, send
another), --corrupt-signature, --omit-header, --headers (the signed list), --date-offset.

Importable: sign_headers(), Signer, and request() are used by bench_pull.py.
"""

import argparse
import base64
import email.utils
import hashlib
import http.client
import re
import ssl
import subprocess
import sys
import time
import urllib.parse

SHA256_DIGESTINFO = bytes.fromhex("3031300d060960864801650304020105000420")


class Signer:
    """RSA-SHA256 PKCS#1 v1.5 signatures with a private key file."""

    def __init__(self, key_file, mode="openssl"):
        self.key_file = key_file
        self.mode = mode
        if mode == "builtin":
            out = subprocess.run(["openssl", "rsa", "-in", key_file, "-noout", "-text"],
                                 capture_output=True, text=True, check=True).stdout

            def num(name):
                m = re.search(r"^%s:\s*\n((?:\s+[0-9a-f:]+\n)+)" % name, out, re.M)
                return int(re.sub(r"[\s:]", "", m.group(1)), 16)
            self.n = num("modulus")
            self.p, self.q = num("prime1"), num("prime2")
            self.dp, self.dq = num("exponent1"), num("exponent2")
            self.qinv = num("coefficient")
            self.k = (self.n.bit_length() + 7) // 8

    def sign(self, data):
        if self.mode == "builtin":
            t = SHA256_DIGESTINFO + hashlib.sha256(data).digest()
            em = b"\x00\x01" + b"\xff" * (self.k - len(t) - 3) + b"\x00" + t
            m = int.from_bytes(em, "big")
            m1, m2 = pow(m, self.dp, self.p), pow(m, self.dq, self.q)   # CRT
            h = (self.qinv * (m1 - m2)) % self.p
            return (m2 + h * self.q).to_bytes(self.k, "big")
        out = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key_file],
                             input=data, capture_output=True, check=True)
        return out.stdout


def http_date(offset=0.0):
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def sign_headers(signer, key_id, method, target, host, body=None, date=None,
                 content_type="application/json", names=None, use_x_date=False):
    """Return (headers dict to send, signing string). target = path?query as sent."""
    method = method.upper()
    hdrs = {"host": host, ("x-date" if use_x_date else "date"): date or http_date()}
    with_body = method in ("POST", "PUT", "PATCH")
    if with_body:
        body = body or b""
        hdrs["content-type"] = content_type
        hdrs["content-length"] = str(len(body))
        hdrs["x-content-sha256"] = base64.b64encode(hashlib.sha256(body).digest()).decode()
    if names is None:
        names = [("x-date" if use_x_date else "date"), "(request-target)", "host"]
        if with_body:
            names += ["content-length", "content-type", "x-content-sha256"]
    lines = []
    for n in names:
        if n == "(request-target)":
            lines.append("(request-target): %s %s" % (method.lower(), target))
        else:
            lines.append("%s: %s" % (n, hdrs.get(n, "")))
    sstr = "\n".join(lines)
    sig = base64.b64encode(signer.sign(sstr.encode())).decode()
    hdrs["authorization"] = ('Signature version="1",headers="%s",keyId="%s",'
                             'algorithm="rsa-sha256",signature="%s"'
                             % (" ".join(names), key_id, sig))
    return hdrs, sstr


def connect(url, cacert=None, timeout=30):
    u = urllib.parse.urlsplit(url)
    port = u.port or (443 if u.scheme == "https" else 80)
    if u.scheme == "https":
        ctx = ssl.create_default_context(cafile=cacert)
        conn = http.client.HTTPSConnection(u.hostname, port, context=ctx, timeout=timeout)
    else:
        conn = http.client.HTTPConnection(u.hostname, port, timeout=timeout)
    host = u.hostname if u.port is None else "%s:%d" % (u.hostname, u.port)
    return conn, host


def request(conn, method, target, headers, body=None):
    """Send; return (status, list of header pairs, body bytes)."""
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders(body if body else None)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, resp.getheaders(), data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("method")
    ap.add_argument("url", help="scheme://host:port/path?query (sent as written)")
    ap.add_argument("--key", required=True, help="private key PEM")
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--signer", choices=("openssl", "builtin"), default="openssl")
    ap.add_argument("--date", help="the Date value to sign and send (default: now)")
    ap.add_argument("--date-offset", type=float, default=0.0, help="seconds added to now")
    ap.add_argument("--x-date", action="store_true", help="use x-date instead of date")
    ap.add_argument("--host", help="Host value to sign and send (default: from the URL)")
    ap.add_argument("--data", help="request body")
    ap.add_argument("--data-file", help="request body from a file")
    ap.add_argument("--content-type", default="application/json")
    ap.add_argument("--headers", help="signed header list (space separated)")
    ap.add_argument("--send-target", help="send this path?query instead of the signed one")
    ap.add_argument("--send-data", help="send this body instead of the signed one")
    ap.add_argument("--corrupt-signature", action="store_true")
    ap.add_argument("--omit-header", action="append", default=[])
    ap.add_argument("--set-header", action="append", default=[],
                    help="'Name: value' sent after signing (overrides a signed value)")
    ap.add_argument("--cacert", help="CA bundle for https")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("-o", "--output", help="write the body here (default: stdout after status)")
    ap.add_argument("-D", "--dump-header", help="write response headers here")
    ap.add_argument("--signing-string", action="store_true",
                    help="print the signing string and the Authorization header; send nothing")
    a = ap.parse_args(argv)

    u = urllib.parse.urlsplit(a.url)
    target = u.path + ("?" + u.query if u.query else "")
    body = None
    if a.data is not None:
        body = a.data.encode()
    elif a.data_file:
        with open(a.data_file, "rb") as f:
            body = f.read()
    signer = Signer(a.key, a.signer)
    host = a.host or (u.hostname if u.port is None else "%s:%d" % (u.hostname, u.port))
    hdrs, sstr = sign_headers(signer, a.key_id, a.method, target, host, body,
                              a.date or http_date(a.date_offset), a.content_type,
                              a.headers.split() if a.headers else None, a.x_date)
    if a.signing_string:
        print(sstr)
        print("authorization: " + hdrs["authorization"])
        return 0
    if a.corrupt_signature:
        m = re.search(r'signature="([^"]+)"', hdrs["authorization"])
        raw = bytearray(base64.b64decode(m.group(1)))
        raw[len(raw) // 2] ^= 0x01
        hdrs["authorization"] = hdrs["authorization"].replace(
            m.group(1), base64.b64encode(bytes(raw)).decode())
    for h in a.omit_header:
        hdrs.pop(h.lower(), None)
    for h in a.set_header:
        k, _, v = h.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    conn, _ = connect(a.url, a.cacert, a.timeout)
    try:
        if a.send_data is not None:
            body = a.send_data.encode()
        status, rh, data = request(conn, a.method.upper(), a.send_target or target, hdrs, body)
    except http.client.IncompleteRead as e:
        print("000")
        sys.stderr.write("sign_request: incomplete read: %d bytes, %s more expected\n"
                         % (len(e.partial), e.expected))
        return 3
    except (OSError, http.client.HTTPException) as e:
        print("000")
        sys.stderr.write("sign_request: %s: %s\n" % (type(e).__name__, e))
        return 2
    finally:
        conn.close()
    if a.dump_header:
        with open(a.dump_header, "w") as f:
            for k, v in rh:
                f.write("%s: %s\n" % (k, v))
    if a.output:
        with open(a.output, "wb") as f:
            f.write(data)
        print(status)
    else:
        print(status)
        sys.stdout.flush()
        sys.stdout.buffer.write(data + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
