#!/usr/bin/env python3
"""oci_control.py - emulator of the OCI Email Delivery control plane (API 20170907).

Serves the documented JSON shapes with paging under /20170907, verifies every API request's
HTTP signature (version 1, rsa-sha256) with the `openssl` command (or a small built-in
RSA PKCS#1 v1.5 verifier), and is driven by tests through an unsigned control interface
under /_emu/ (loopback only): state changes, a request log, faults on demand, generated
suppression lists of any size that are computed per page and never held in memory.

Python 3.11 standard library only. See docs/emulators.md.
"""

import argparse
import base64
import bisect
import calendar
import collections
import copy
import email.utils
import fnmatch
import hashlib
import heapq
import hmac
import http.server
import itertools
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

API_PREFIX = "/20170907"
REASONS = ["UNKNOWN", "HARDBOUNCE", "COMPLAINT", "MANUAL", "SOFTBOUNCE", "UNSUBSCRIBE"]
SENDER_STATES = ["CREATING", "ACTIVE", "NEEDS_ATTENTION", "INACTIVE", "FAILED", "DELETING",
                 "DELETED", "UPDATING"]
MAX_BODY = 1 << 20
DEFAULT_TENANCY = "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq"
DEFAULT_REGION = "us-ashburn-1"
DEFAULT_GEN_START = "2020-01-01T00:00:00.000Z"
GEN_ID_PREFIX = "ocid1.emailsuppression.oc1..emugen"
BAD_UTF8_MARK = "__EMU_BAD_UTF8__"
SHA256_DIGESTINFO = bytes.fromhex("3031300d060960864801650304020105000420")


# ---------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------
_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})$")


_day_prefix = {}


def fmt_time(ms):
    """RFC 3339 with milliseconds and Z (the date part cached per day: this is hot)."""
    s, r = divmod(int(ms), 1000)
    day, sod = divmod(s, 86400)
    p = _day_prefix.get(day)
    if p is None:
        if len(_day_prefix) > 4096:
            _day_prefix.clear()
        p = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
        _day_prefix[day] = p
    h, rem = divmod(sod, 3600)
    m, sec = divmod(rem, 60)
    return "%s%02d:%02d:%02d.%03dZ" % (p, h, m, sec, r)


def parse_time_ms(text):
    """RFC 3339 -> milliseconds since the epoch, rounded up to the next millisecond.

    Rounding up is exact for both list filters on millisecond times: t >= x and t < x
    (t integral) hold exactly when t >= ceil(x) and t < ceil(x)."""
    m = _TIME_RE.match(text or "")
    if not m:
        raise ValueError("not an RFC 3339 time: %r" % (text,))
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(hh), int(mi), int(ss), 0, 0, 0))
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        secs -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    ns = int((frac or "0").ljust(9, "0"))
    ms, rem = divmod(ns, 1_000_000)
    return secs * 1000 + ms + (1 if rem else 0)


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def missing(name):
    return ApiError(400, "MissingParameter", "missing required parameter %s" % name)


def invalid(message):
    return ApiError(400, "InvalidParameter", message)


def not_found(what):
    return ApiError(404, "NotAuthorizedOrNotFound",
                    "%s not found or not authorized" % what)


STATUS_CODES = {400: "InvalidParameter", 401: "NotAuthenticated", 403: "NotAllowed",
                404: "NotAuthorizedOrNotFound", 405: "MethodNotAllowed", 409: "Conflict",
                412: "NoEtagMatch", 413: "RequestEntityTooLarge", 429: "TooManyRequests",
                500: "InternalServerError", 501: "MethodNotImplemented", 502: "BadGateway",
                503: "ServiceUnavailable", 504: "GatewayTimeout"}


# ---------------------------------------------------------------------------------------
# Keys and signature verification
# ---------------------------------------------------------------------------------------
class PublicKey:
    """One public key: its PEM file (for openssl) and its modulus/exponent (built-in)."""

    def __init__(self, key_id, path):
        self.key_id = key_id
        self.path = path
        out = subprocess.run(["openssl", "rsa", "-pubin", "-in", path, "-noout", "-text",
                              "-modulus"], capture_output=True, text=True)
        if out.returncode != 0:
            raise ValueError("%s: not an RSA public key: %s" % (path, out.stderr.strip()))
        mod = re.search(r"^Modulus=([0-9A-Fa-f]+)$", out.stdout, re.M)
        exp = re.search(r"Exponent: (\d+)", out.stdout)
        if not mod or not exp:
            raise ValueError("%s: cannot read modulus/exponent" % path)
        self.n = int(mod.group(1), 16)
        self.e = int(exp.group(1))
        self.k = (self.n.bit_length() + 7) // 8


def verify_openssl(key, data, sig, tmpdir):
    """openssl dgst -sha256 -verify; temp files removed, nothing cached."""
    fd, sigpath = tempfile.mkstemp(dir=tmpdir, suffix=".sig")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(sig)
        out = subprocess.run(["openssl", "dgst", "-sha256", "-verify", key.path,
                              "-signature", sigpath], input=data, capture_output=True)
        return out.returncode == 0 and b"Verified OK" in out.stdout
    finally:
        os.unlink(sigpath)


def verify_builtin(key, data, sig):
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 8.2.2): re-encode and compare whole blocks."""
    if len(sig) != key.k:
        return False
    s = int.from_bytes(sig, "big")
    if s >= key.n:
        return False
    em = pow(s, key.e, key.n).to_bytes(key.k, "big")
    t = SHA256_DIGESTINFO + hashlib.sha256(data).digest()
    if key.k < len(t) + 11:
        return False
    want = b"\x00\x01" + b"\xff" * (key.k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(em, want)


_AUTH_PARAM_RE = re.compile(r'\s*([A-Za-z]+)="([^"]*)"\s*(,|$)')


def parse_authorization(value):
    if value is None:
        raise ApiError(401, "NotAuthenticated", "missing Authorization header")
    if not value.startswith("Signature "):
        raise ApiError(401, "NotAuthenticated", "Authorization scheme is not Signature")
    rest = value[len("Signature "):]
    params = {}
    pos = 0
    while pos < len(rest):
        m = _AUTH_PARAM_RE.match(rest, pos)
        if not m or m.end() == pos:
            raise ApiError(401, "NotAuthenticated", "malformed Authorization header")
        if m.group(1) in params:
            raise ApiError(401, "NotAuthenticated",
                           "duplicate %s in Authorization header" % m.group(1))
        params[m.group(1)] = m.group(2)
        pos = m.end()
        if m.group(3) == "" and pos < len(rest):
            raise ApiError(401, "NotAuthenticated", "malformed Authorization header")
    for p in ("version", "headers", "keyId", "algorithm", "signature"):
        if p not in params:
            raise ApiError(401, "NotAuthenticated", "Authorization header lacks %s" % p)
    if params["version"] != "1":
        raise ApiError(401, "NotAuthenticated", "unsupported signature version")
    if params["algorithm"] != "rsa-sha256":
        raise ApiError(401, "NotAuthenticated", "unsupported algorithm")
    return params


# ---------------------------------------------------------------------------------------
# Generated suppressions: entry i is a pure function of i, nothing is stored.
# ---------------------------------------------------------------------------------------
class Generated:
    def __init__(self, count=0, start=DEFAULT_GEN_START, step_ms=1000, group=1, width=None):
        self.count = int(count)
        self.start_text = start
        self.start_ms = parse_time_ms(start)
        self.step_ms = int(step_ms)
        self.group = max(1, int(group))
        self.width = int(width) if width else max(8, len(str(max(self.count - 1, 0))))
        if self.count < 0 or self.step_ms < 0:
            raise ValueError("generate: count and stepMs must be >= 0")
        self._email_re = re.compile(r"^user(\d{%d})@gen(\d+)\.example$" % self.width)
        self._id_re = re.compile(r"^%s(\d{%d})$" % (re.escape(GEN_ID_PREFIX), self.width))

    def describe(self):
        return {"count": self.count, "start": self.start_text, "stepMs": self.step_ms,
                "group": self.group, "width": self.width}

    def time_ms(self, i):
        return self.start_ms + (i // self.group) * self.step_ms

    def email(self, i):
        return "user%0*d@gen%d.example" % (self.width, i, i % 97)

    def id(self, i):
        return "%s%0*d" % (GEN_ID_PREFIX, self.width, i)

    def index_of_id(self, sid):
        m = self._id_re.match(sid)
        if m:
            i = int(m.group(1))
            if i < self.count:
                return i
        return None

    def index_of_email(self, addr):
        m = self._email_re.match(addr)
        if m:
            i = int(m.group(1))
            if i < self.count and int(m.group(2)) == i % 97 and m.group(2) == str(i % 97):
                return i
        return None

    def summary_json(self, i, tenancy_json):
        """summary(i) as JSON text, without building a dict (hot path of big listings)."""
        return ('{"id":"%s%0*d","compartmentId":%s,"emailAddress":"user%0*d@gen%d.example",'
                '"reason":"%s","timeCreated":"%s"}' % (
                    GEN_ID_PREFIX, self.width, i, tenancy_json, self.width, i, i % 97,
                    REASONS[i % len(REASONS)], fmt_time(self.time_ms(i))))

    def summary(self, i, tenancy):
        return {"id": self.id(i), "compartmentId": tenancy, "emailAddress": self.email(i),
                "reason": REASONS[i % len(REASONS)], "timeCreated": fmt_time(self.time_ms(i))}

    def full(self, i, tenancy):
        d = self.summary(i, tenancy)
        d["timeLastSuppressed"] = d["timeCreated"]
        d["messageId"] = "gen%d@emu.example" % i
        d["errorDetail"] = "550 5.1.1 user unknown (generated %d)" % i
        d["errorSource"] = "mx.gen%d.example" % (i % 97)
        return d


# ---------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------
def _lower(s):
    return s.lower() if isinstance(s, str) else s


class State:
    """Everything the API serves. All access goes through Emulator.lock."""

    def __init__(self, raw=None, generate_count=None):
        raw = copy.deepcopy(raw or {})
        self.seq = 0
        self.tenancy = raw.get("tenancy", DEFAULT_TENANCY)
        self.region = raw.get("region", DEFAULT_REGION)
        conf = raw.get("configuration") or {}
        self.configuration = {
            "smtpSubmitEndpoint": conf.get("smtpSubmitEndpoint",
                                           "smtp.email.%s.oci.oraclecloud.com" % self.region),
            "httpSubmitEndpoint": conf.get(
                "httpSubmitEndpoint", "https://cell0.submit.email.%s.oci.oraclecloud.com"
                % self.region)}
        self.senders = {}
        self.domains = {}
        self.dkims = {}
        self.suppressions = {}        # explicit entries by id
        self.deleted_generated = set()
        gen = dict(raw.get("generate") or {})
        if generate_count is not None:
            gen["count"] = generate_count
        self.gen = Generated(gen.get("count", 0), gen.get("start", DEFAULT_GEN_START),
                             gen.get("stepMs", 1000), gen.get("group", 1), gen.get("width"))
        for s in raw.get("senders", []):
            self.add_sender(s)
        for d in raw.get("domains", []):
            self.add_domain(d)
        for k in raw.get("dkims", []):
            self.add_dkim(k)
        for s in raw.get("suppressions", []):
            self.add_suppression(s)
        for i in raw.get("deletedGenerated", []):
            self.deleted_generated.add(int(i))

    def new_id(self, kind):
        self.seq += 1
        return "ocid1.%s.oc1..emu%06d" % (kind, self.seq)

    def now_default(self, item, now_ms):
        if "timeCreated" not in item:
            item["timeCreated"] = fmt_time(now_ms if now_ms is not None else time.time() * 1000)
        else:
            parse_time_ms(item["timeCreated"])

    def add_sender(self, s, now_ms=None):
        s = dict(s)
        if not isinstance(s.get("emailAddress"), str):
            raise ValueError("sender needs an emailAddress")
        s.setdefault("id", self.new_id("emailsender"))
        s.setdefault("compartmentId", self.tenancy)
        s.setdefault("lifecycleState", "ACTIVE")
        s.setdefault("isSpf", False)
        s.setdefault("freeformTags", {})
        s.setdefault("definedTags", {})
        self.now_default(s, now_ms)
        self.senders[s["id"]] = s
        return s

    def add_domain(self, d, now_ms=None):
        d = dict(d)
        if not isinstance(d.get("name"), str):
            raise ValueError("domain needs a name")
        d.setdefault("id", self.new_id("emaildomain"))
        d.setdefault("compartmentId", self.tenancy)
        d.setdefault("lifecycleState", "ACTIVE")
        d.setdefault("isSpf", False)
        d.setdefault("freeformTags", {})
        d.setdefault("definedTags", {})
        self.now_default(d, now_ms)
        nested = d.pop("dkims", [])
        self.domains[d["id"]] = d
        for k in nested:
            k = dict(k)
            k["emailDomainId"] = d["id"]
            k = self.add_dkim(k, now_ms)
            if "activeDkimId" not in d and k["lifecycleState"] == "ACTIVE":
                d["activeDkimId"] = k["id"]
        d.setdefault("activeDkimId", None)
        return d

    def add_dkim(self, k, now_ms=None):
        k = dict(k)
        if not isinstance(k.get("name"), str) or not isinstance(k.get("emailDomainId"), str):
            raise ValueError("dkim needs a name and an emailDomainId")
        k.setdefault("id", self.new_id("emaildkim"))
        k.setdefault("lifecycleState", "ACTIVE")
        k.setdefault("freeformTags", {})
        k.setdefault("definedTags", {})
        self.now_default(k, now_ms)
        self.dkims[k["id"]] = k
        return k

    def add_suppression(self, s, now_ms=None):
        s = dict(s)
        if not isinstance(s.get("emailAddress"), str):
            raise ValueError("suppression needs an emailAddress")
        s.setdefault("id", self.new_id("emailsuppression"))
        if s["id"].startswith(GEN_ID_PREFIX):
            raise ValueError("ids starting with %s are reserved for generated entries"
                             % GEN_ID_PREFIX)
        s.setdefault("compartmentId", self.tenancy)
        s.setdefault("reason", "MANUAL")
        self.now_default(s, now_ms)
        s.setdefault("timeLastSuppressed", s["timeCreated"])
        s.setdefault("messageId", None)
        s.setdefault("errorDetail", None)
        s.setdefault("errorSource", None)
        self.suppressions[s["id"]] = s
        return s

    # --- suppression lookups across generated + explicit ---
    def get_suppression(self, sid):
        if sid in self.suppressions:
            return self.suppressions[sid]
        i = self.gen.index_of_id(sid)
        if i is not None and i not in self.deleted_generated:
            return self.gen.full(i, self.tenancy)
        return None

    def find_suppression_by_email(self, addr):
        for s in self.suppressions.values():
            if s["emailAddress"] == addr:
                return s
        i = self.gen.index_of_email(addr)
        if i is not None and i not in self.deleted_generated:
            return self.gen.full(i, self.tenancy)
        return None

    def delete_suppression(self, sid):
        if sid in self.suppressions:
            del self.suppressions[sid]
            return True
        i = self.gen.index_of_id(sid)
        if i is not None and i not in self.deleted_generated:
            self.deleted_generated.add(i)
            return True
        return False

    def suppression_count(self):
        return self.gen.count - len(self.deleted_generated) + len(self.suppressions)

    def dump(self):
        return {"tenancy": self.tenancy, "region": self.region,
                "configuration": self.configuration,
                "senders": list(self.senders.values()),
                "domains": list(self.domains.values()),
                "dkims": list(self.dkims.values()),
                "suppressions": list(self.suppressions.values()),
                "generate": self.gen.describe(),
                "deletedGenerated": sorted(self.deleted_generated),
                "counts": {"senders": len(self.senders), "domains": len(self.domains),
                           "dkims": len(self.dkims),
                           "suppressions": self.suppression_count()}}


# ---------------------------------------------------------------------------------------
# Paging: keyset tokens (the sort key of the last item returned), checked against the query
# ---------------------------------------------------------------------------------------
def encode_token(doc):
    raw = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(tok):
    try:
        raw = base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4))
        doc = json.loads(raw)
        if not isinstance(doc, dict) or doc.get("v") != 1:
            raise ValueError
        if doc.get("k") is not None:
            doc["k"] = tuple(doc["k"])
        return doc
    except Exception:
        raise invalid("invalid page token")


class ListQuery:
    """limit, page, sortBy, sortOrder and the filters of one list call."""

    def __init__(self, resource, q, filters, sorts, default_sort, default_limit):
        self.resource = resource
        lim = q.get("limit")
        if lim is None:
            self.limit = default_limit
        else:
            if not re.fullmatch(r"[0-9]{1,9}", lim):
                raise invalid("limit must be an integer between 1 and 1000")
            self.limit = int(lim)
            if not 1 <= self.limit <= 1000:
                raise invalid("limit must be between 1 and 1000")
        self.sort_by = q.get("sortBy", default_sort)
        if self.sort_by not in sorts:
            raise invalid("sortBy must be one of %s" % ", ".join(sorts))
        self.sort_order = q.get("sortOrder", "DESC" if self.sort_by == "TIMECREATED" else "ASC")
        if self.sort_order not in ("ASC", "DESC"):
            raise invalid("sortOrder must be ASC or DESC")
        self.desc = self.sort_order == "DESC"
        self.fp = hashlib.sha256(json.dumps(
            [resource, self.sort_by, self.sort_order, sorted(filters.items())]).encode()
        ).hexdigest()[:16]
        self.cursor = None
        self.gen = 0
        if q.get("page") is not None:
            doc = decode_token(q["page"])
            if doc.get("fp") != self.fp:
                raise invalid("page token does not belong to this query")
            self.cursor = doc.get("k")
            self.gen = int(doc.get("g", 0))

    def token(self, cursor, gen=None):
        return encode_token({"v": 1, "fp": self.fp, "k": list(cursor) if cursor else None,
                             "g": self.gen if gen is None else gen})


def page_merge(lq, explicit, gen_seq=None, gen_key=None, deleted=frozenset()):
    """One page from explicit (key, item) pairs merged with generated indexes.

    gen_seq is a sequence of generated indexes in ascending key order (a range, or a short
    list) and gen_key(i) their sort key. Returns (items, next_cursor or None); an item is
    the explicit object or the generated index (int)."""
    cursor = lq.cursor
    explicit.sort(key=lambda t: t[0])
    if cursor is not None:
        explicit = [t for t in explicit if (t[0] < cursor if lq.desc else t[0] > cursor)]
    if lq.desc:
        explicit.reverse()
    want = lq.limit + 1
    gen_idx = None
    if gen_seq is not None and len(gen_seq):
        n = len(gen_seq)
        if lq.desc:
            p = n if cursor is None else bisect.bisect_left(gen_seq, cursor, key=gen_key)
            rng = range(p - 1, -1, -1)
        else:
            p = 0 if cursor is None else bisect.bisect_right(gen_seq, cursor, key=gen_key)
            rng = range(p, n)

        def gen_indexes():
            for j in rng:
                i = gen_seq[j]
                if i not in deleted:
                    yield i
        gen_idx = gen_indexes()
    if gen_idx is None:
        got = explicit[:want]
    elif not explicit:
        # fast path: no explicit entry left to interleave, keys are needed for the cursor only
        got = [(None, i) for i in itertools.islice(gen_idx, want)]
    else:
        merged = heapq.merge(explicit, ((gen_key(i), i) for i in gen_idx),
                             key=lambda t: t[0], reverse=lq.desc)
        got = list(itertools.islice(merged, want))
    more = len(got) > lq.limit
    got = got[:lq.limit]
    nxt = None
    if more and got:
        k, it = got[-1]
        nxt = k if k is not None else gen_key(it)
    return [it for _, it in got], nxt


# ---------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------
FAULT_TYPES = {"status", "slow", "truncate", "bad_utf8", "wrong_type", "page_loop", "endless",
               "drop"}


class Fault:
    def __init__(self, fid, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        self.id = fid
        self.spec = dict(spec)
        self.type = spec.get("type")
        if self.type not in FAULT_TYPES:
            raise ValueError("fault type must be one of %s" % ", ".join(sorted(FAULT_TYPES)))
        self.path = spec.get("path", "*")
        self.method = spec.get("method")
        self.skip = int(spec.get("skip", 0))
        times = spec.get("times")
        if "nth" in spec:
            self.skip = int(spec["nth"]) - 1
            if times is None:
                times = 1
        self.times = None if times is None else int(times)
        if self.skip < 0 or (self.times is not None and self.times < 0):
            raise ValueError("nth must be >= 1, skip and times >= 0")
        if self.type == "status":
            st = int(spec.get("status", 500))
            if not 400 <= st <= 599:
                raise ValueError("fault status must be 4xx or 5xx")
        if self.type == "slow" and float(spec.get("seconds", 1)) < 0:
            raise ValueError("seconds must be >= 0")
        self.seen = 0
        self.fired = 0

    def matches(self, method, path):
        if self.method and self.method.upper() != method:
            return False
        short = path[len(API_PREFIX):] if path.startswith(API_PREFIX + "/") else path
        return fnmatch.fnmatchcase(path, self.path) or fnmatch.fnmatchcase(short, self.path)

    def active(self):
        return self.times is None or self.fired < self.times

    def describe(self):
        d = dict(self.spec)
        d.update({"id": self.id, "seen": self.seen, "fired": self.fired,
                  "active": self.active()})
        return d


# ---------------------------------------------------------------------------------------
# The emulator (state + keys + faults + log), shared by all handler threads
# ---------------------------------------------------------------------------------------
class Emulator:
    def __init__(self, args):
        self.lock = threading.RLock()
        self.args = args
        self.initial_raw = {}
        if args.state:
            with open(args.state, encoding="utf-8") as f:
                self.initial_raw = json.load(f)
        self.keys = {}
        self.initial_keys = []
        for spec in args.key or []:
            if "=" not in spec:
                raise SystemExit("--key wants KEYID=PUBLIC.pem, got %r" % spec)
            kid, path = spec.rsplit("=", 1)
            self.initial_keys.append((kid, path))
        for d in args.key_dir or []:
            for name in sorted(os.listdir(d)):
                if name.endswith(".pem"):
                    kfile = os.path.join(d, name[:-4] + ".keyid")
                    if os.path.exists(kfile):
                        with open(kfile, encoding="utf-8") as f:
                            self.initial_keys.append((f.read().strip(), os.path.join(d, name)))
        self.request_counter = itertools.count(1)
        self.tmpdir = tempfile.mkdtemp(prefix="oci-emu-")
        try:
            self.reset()
        except BaseException:
            self.cleanup()
            raise

    def cleanup(self):
        for name in os.listdir(self.tmpdir):
            os.unlink(os.path.join(self.tmpdir, name))
        os.rmdir(self.tmpdir)

    def reset(self):
        with self.lock:
            self.state = State(self.initial_raw, self.args.generate_suppressions)
            self.keys = {kid: PublicKey(kid, path) for kid, path in self.initial_keys}
            self.faults = []
            self.fault_seq = 0
            self.log = collections.deque(maxlen=self.args.log_max)
            self.log_seq = 0
            self.clock_offset_ms = 0
            self.settings = {"duplicateSuppression": self.args.duplicate_suppression,
                             "maxSkewSeconds": self.args.max_skew,
                             "verifier": self.args.verifier,
                             "defaultLimit": self.args.default_limit}

    def now_ms(self):
        return int(time.time() * 1000) + self.clock_offset_ms

    def request_id(self):
        return "%s/%08d" % (uuid.uuid4().hex.upper(), next(self.request_counter))

    def add_key(self, kid, path=None, pem=None):
        if pem is not None:
            fd, path = tempfile.mkstemp(dir=self.tmpdir, suffix=".pem")
            with os.fdopen(fd, "w") as f:
                f.write(pem)
        key = PublicKey(kid, path)
        with self.lock:
            self.keys[kid] = key

    def pick_fault(self, method, path):
        with self.lock:
            chosen = None
            for f in self.faults:
                if not f.matches(method, path):
                    continue
                f.seen += 1
                if chosen is None and f.seen > f.skip and f.active():
                    f.fired += 1
                    chosen = f
            return chosen

    def add_log(self, entry):
        with self.lock:
            self.log_seq += 1
            entry["seq"] = self.log_seq
            self.log.append(entry)


# ---------------------------------------------------------------------------------------
# API operations (called with the emulator lock held)
# ---------------------------------------------------------------------------------------
class Result:
    def __init__(self, status, obj=None, headers=None, lq=None, next_cursor=None, count=None):
        self.status = status
        self.obj = obj
        self.headers = headers or {}
        self.lq = lq
        self.next_cursor = next_cursor
        self.count = count
        self.raw = None         # the body already encoded (obj is None then)


def _key_time_email(item):
    return (parse_time_ms(item["timeCreated"]), item.get("emailAddress") or "", item["id"])


def _key_email_time(item):
    return (item.get("emailAddress") or "", parse_time_ms(item["timeCreated"]), item["id"])


def _key_name_time(item):
    return (item.get("name") or "", parse_time_ms(item["timeCreated"]), item["id"])


def _key_id(item):
    return (item["id"], 0, "")


def _paged(lq, pairs, wrap_items=False, total=False):
    n = len(pairs)
    items, nxt = page_merge(lq, pairs)
    hdrs = {}
    if nxt is not None:
        hdrs["opc-next-page"] = lq.token(nxt)
    if total:
        hdrs["opc-total-items"] = str(n)
    return Result(200, {"items": items} if wrap_items else items, hdrs, lq, nxt, len(items))


SENDER_SUMMARY = ("id", "compartmentId", "emailAddress", "lifecycleState", "timeCreated",
                  "emailIpPoolId", "freeformTags", "definedTags")
DOMAIN_SUMMARY = ("id", "name", "compartmentId", "lifecycleState", "activeDkimId",
                  "timeCreated", "freeformTags", "definedTags")
DKIM_SUMMARY = ("id", "name", "emailDomainId", "lifecycleState", "timeCreated",
                "freeformTags", "definedTags")


def _pick(item, fields):
    return {f: item[f] for f in fields if f in item}


def op_list_senders(emu, q):
    st = emu.state
    comp = q.get("compartmentId")
    if comp is None:
        raise missing("compartmentId")
    filters = {k: q[k] for k in ("compartmentId", "lifecycleState", "emailAddress", "domain")
               if k in q}
    lq = ListQuery("senders", q, filters, ("TIMECREATED", "EMAILADDRESS"), "TIMECREATED",
                   emu.settings["defaultLimit"])
    if "lifecycleState" in q and q["lifecycleState"] not in SENDER_STATES:
        raise invalid("unknown lifecycleState %s" % q["lifecycleState"])
    keyf = _key_time_email if lq.sort_by == "TIMECREATED" else _key_email_time
    pairs = []
    for s in st.senders.values():
        if s["compartmentId"] != comp:
            continue
        if "lifecycleState" in q and s["lifecycleState"] != q["lifecycleState"]:
            continue
        addr = s["emailAddress"].lower()
        if "emailAddress" in q and addr != q["emailAddress"].lower():
            continue
        if "domain" in q and addr.rpartition("@")[2] != q["domain"].lower():
            continue
        pairs.append((keyf(s), _pick(s, SENDER_SUMMARY)))
    return _paged(lq, pairs, total=True)


def op_get_sender(emu, sid):
    s = emu.state.senders.get(sid)
    if s is None:
        raise not_found("sender %s" % sid)
    return Result(200, dict(s), {"etag": hashlib.md5(json.dumps(s, sort_keys=True).encode())
                                 .hexdigest()})


def op_list_suppressions(emu, q):
    st = emu.state
    comp = q.get("compartmentId")
    if comp is None:
        raise missing("compartmentId")
    if comp != st.tenancy:
        raise invalid("compartmentId must be the tenancy OCID")
    filters = {k: q[k] for k in ("compartmentId", "emailAddress",
                                 "timeCreatedGreaterThanOrEqualTo", "timeCreatedLessThan")
               if k in q}
    lq = ListQuery("suppressions", q, filters, ("TIMECREATED", "EMAILADDRESS"), "TIMECREATED",
                   emu.settings["defaultLimit"])
    ge = lt = None
    try:
        if "timeCreatedGreaterThanOrEqualTo" in q:
            ge = parse_time_ms(q["timeCreatedGreaterThanOrEqualTo"])
        if "timeCreatedLessThan" in q:
            lt = parse_time_ms(q["timeCreatedLessThan"])
    except ValueError as e:
        raise invalid(str(e))
    addr = q["emailAddress"].lower() if "emailAddress" in q else None
    by_time = lq.sort_by == "TIMECREATED"
    keyf = _key_time_email if by_time else _key_email_time

    def wanted(ms, email):
        return ((ge is None or ms >= ge) and (lt is None or ms < lt)
                and (addr is None or email == addr))

    pairs = []
    for s in st.suppressions.values():
        if s["compartmentId"] == comp and wanted(parse_time_ms(s["timeCreated"]),
                                                 s["emailAddress"]):
            pairs.append((keyf(s), s))
    g = st.gen
    # Generated entries: time is non-decreasing and the (zero-padded) address increasing
    # in the index, so both sort keys are monotonic in the index and the time filters are
    # an index range found by binary search.
    full = range(g.count)
    lo = 0 if ge is None else bisect.bisect_left(full, ge, key=g.time_ms)
    hi = g.count if lt is None else bisect.bisect_left(full, lt, key=g.time_ms)
    if addr is not None:
        i = g.index_of_email(addr)
        gen_seq = [i] if i is not None and lo <= i < max(lo, hi) else []
    else:
        gen_seq = range(lo, max(lo, hi))
    if by_time:
        def gen_key(i):
            return (g.time_ms(i), g.email(i), g.id(i))
    else:
        def gen_key(i):
            return (g.email(i), g.time_ms(i), g.id(i))
    got, nxt = page_merge(lq, pairs, gen_seq, gen_key, st.deleted_generated)
    tj = json.dumps(st.tenancy)
    frags = []
    for it in got:
        if isinstance(it, int):
            frags.append(g.summary_json(it, tj))
        else:
            frags.append(jbytes({f: it[f] for f in ("id", "compartmentId", "emailAddress",
                                                    "reason", "timeCreated")}).decode())
    hdrs = {}
    if nxt is not None:
        hdrs["opc-next-page"] = lq.token(nxt)
    res = Result(200, None, hdrs, lq, nxt, len(frags))
    res.raw = ("[" + ",".join(frags) + "]").encode("utf-8")
    return res


def op_get_suppression(emu, sid):
    s = emu.state.get_suppression(sid)
    if s is None:
        raise not_found("suppression %s" % sid)
    return Result(200, dict(s))


def op_create_suppression(emu, body):
    st = emu.state
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "CannotParseRequest", "request body is not valid JSON")
    if not isinstance(doc, dict):
        raise ApiError(400, "CannotParseRequest", "request body must be a JSON object")
    comp = doc.get("compartmentId")
    addr = doc.get("emailAddress")
    if comp is None:
        raise missing("compartmentId")
    if addr is None:
        raise missing("emailAddress")
    if not isinstance(comp, str) or comp != st.tenancy:
        raise invalid("compartmentId must be the tenancy OCID")
    if (not isinstance(addr, str) or len(addr) > 254 or addr.count("@") < 1
            or addr.startswith("@") or addr.endswith("@") or any(c in addr for c in " \r\n\t<>")):
        raise invalid("emailAddress is not a valid email address")
    addr = addr.lower()
    old = st.find_suppression_by_email(addr)
    if old is not None:
        if emu.settings["duplicateSuppression"] == "conflict":
            raise ApiError(409, "Conflict", "%s is already suppressed" % addr)
        return Result(200, dict(old))
    s = st.add_suppression({"compartmentId": comp, "emailAddress": addr, "reason": "MANUAL"},
                           emu.now_ms())
    return Result(200, dict(s))


def op_delete_suppression(emu, sid):
    if not emu.state.delete_suppression(sid):
        raise not_found("suppression %s" % sid)
    return Result(204)


def op_list_domains(emu, q):
    comp = q.get("compartmentId")
    if comp is None:
        raise missing("compartmentId")
    filters = {k: q[k] for k in ("compartmentId", "name", "lifecycleState", "id") if k in q}
    lq = ListQuery("emailDomains", q, filters, ("TIMECREATED", "NAME", "ID"), "TIMECREATED",
                   emu.settings["defaultLimit"])
    keyf = {"TIMECREATED": _key_time_email, "NAME": _key_name_time, "ID": _key_id}[lq.sort_by]
    pairs = []
    for d in emu.state.domains.values():
        if d["compartmentId"] != comp:
            continue
        if "name" in q and d["name"].lower() != q["name"].lower():
            continue
        if "lifecycleState" in q and d["lifecycleState"] != q["lifecycleState"]:
            continue
        if "id" in q and d["id"] != q["id"]:
            continue
        pairs.append((keyf(d), _pick(d, DOMAIN_SUMMARY)))
    return _paged(lq, pairs, wrap_items=True)


def op_get_domain(emu, did):
    d = emu.state.domains.get(did)
    if d is None:
        raise not_found("email domain %s" % did)
    return Result(200, dict(d))


def op_list_dkims(emu, q):
    did = q.get("emailDomainId")
    if did is None:
        raise missing("emailDomainId")
    filters = {k: q[k] for k in ("emailDomainId", "name", "lifecycleState", "id") if k in q}
    lq = ListQuery("dkims", q, filters, ("TIMECREATED", "NAME", "ID"), "TIMECREATED",
                   emu.settings["defaultLimit"])
    keyf = {"TIMECREATED": _key_time_email, "NAME": _key_name_time, "ID": _key_id}[lq.sort_by]
    pairs = []
    for k in emu.state.dkims.values():
        if k["emailDomainId"] != did:
            continue
        if "name" in q and k["name"] != q["name"]:
            continue
        if "lifecycleState" in q and k["lifecycleState"] != q["lifecycleState"]:
            continue
        if "id" in q and k["id"] != q["id"]:
            continue
        pairs.append((keyf(k), _pick(k, DKIM_SUMMARY)))
    return _paged(lq, pairs, wrap_items=True)


def op_get_dkim(emu, kid):
    k = emu.state.dkims.get(kid)
    if k is None:
        raise not_found("dkim %s" % kid)
    return Result(200, dict(k))


def op_configuration(emu, q):
    comp = q.get("compartmentId")
    if comp is None:
        raise missing("compartmentId")
    d = {"compartmentId": comp}
    d.update(emu.state.configuration)
    return Result(200, d)


ROUTES = [
    ("GET", re.compile(r"^/senders$"), lambda e, m, q, b: op_list_senders(e, q)),
    ("GET", re.compile(r"^/senders/([^/]+)$"), lambda e, m, q, b: op_get_sender(e, m[0])),
    ("GET", re.compile(r"^/suppressions$"), lambda e, m, q, b: op_list_suppressions(e, q)),
    ("POST", re.compile(r"^/suppressions$"), lambda e, m, q, b: op_create_suppression(e, b)),
    ("GET", re.compile(r"^/suppressions/([^/]+)$"),
     lambda e, m, q, b: op_get_suppression(e, m[0])),
    ("DELETE", re.compile(r"^/suppressions/([^/]+)$"),
     lambda e, m, q, b: op_delete_suppression(e, m[0])),
    ("GET", re.compile(r"^/emailDomains$"), lambda e, m, q, b: op_list_domains(e, q)),
    ("GET", re.compile(r"^/emailDomains/([^/]+)$"), lambda e, m, q, b: op_get_domain(e, m[0])),
    ("GET", re.compile(r"^/dkims$"), lambda e, m, q, b: op_list_dkims(e, q)),
    ("GET", re.compile(r"^/dkims/([^/]+)$"), lambda e, m, q, b: op_get_dkim(e, m[0])),
    ("GET", re.compile(r"^/configuration$"), lambda e, m, q, b: op_configuration(e, q)),
]


def parse_query(query):
    q = {}
    try:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=False,
                                       errors="strict")
    except UnicodeDecodeError:
        raise invalid("query is not UTF-8")
    for k, v in pairs:
        if k in q:
            raise invalid("parameter %s given more than once" % k)
        q[k] = v
    return q


def route(emu, method, path, query, body):
    if not path.startswith(API_PREFIX + "/"):
        raise not_found("path %s" % path)
    sub = path[len(API_PREFIX):]
    allowed = False
    for m, rx, fn in ROUTES:
        mm = rx.match(sub)
        if not mm:
            continue
        allowed = True
        if m != method:
            continue
        args = [urllib.parse.unquote(x) for x in mm.groups()]
        q = parse_query(query)
        with emu.lock:
            return fn(emu, args, q, body)
    if allowed:
        raise ApiError(405, "MethodNotAllowed", "%s not allowed on %s" % (method, path))
    raise not_found("path %s" % path)


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------
def jbytes(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oci-control-emulator/1"
    timeout = 120

    def setup(self):
        ctx = self.server.ssl_ctx
        if ctx is not None:
            self.request.settimeout(30)
            try:
                self.request = ctx.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError):
                self.request = None
                raise
        super().setup()

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            pass

    def send_error(self, code, message=None, explain=None):
        """http.server's own errors (bad request line, unknown method...) as OCI JSON."""
        if not hasattr(self, "rid"):
            self.rid = self.server.emu.request_id()
        self.close_connection = True
        try:
            self.send_json(code, {"code": STATUS_CODES.get(code, "Error"),
                                  "message": message or self.responses.get(code, ("",))[0]})
        except OSError:
            pass

    def log_message(self, fmt, *args):
        if self.server.emu.args.verbose:
            sys.stderr.write("oci-emu: %s %s\n" % (self.address_string(), fmt % args))

    # --- plumbing ---
    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def read_body(self):
        te = self.headers.get("Transfer-Encoding")
        if te:
            raise ApiError(411, "LengthRequired", "chunked request bodies are not supported")
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        if not re.fullmatch(r"[0-9]{1,10}", cl.strip()):
            raise ApiError(400, "InvalidParameter", "bad Content-Length")
        n = int(cl)
        if n > MAX_BODY:
            raise ApiError(413, "RequestEntityTooLarge", "request body over %d bytes" % MAX_BODY)
        data = self.rfile.read(n)
        if len(data) != n:
            raise ConnectionError("short body")
        return data

    def mark_prepared(self):
        """Log the time spent before the first byte of the answer is written."""
        e = getattr(self, "cur_entry", None)
        if e is not None and "prepMs" not in e:
            e["prepMs"] = round((time.monotonic() - self.t0) * 1000, 3)

    def send_raw(self, status, body, headers=(), content_type="application/json",
                 content_length=None):
        self.mark_prepared()
        self.send_response(status)
        self.send_header("opc-request-id", self.rid)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length",
                             str(len(body) if content_length is None else content_length))
        for k, v in headers:
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and status != 204:
            self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, status, obj, headers=()):
        self.send_raw(status, jbytes(obj), headers)

    def send_error_json(self, err):
        hdrs = list(err.headers.items())
        self.send_json(err.status, {"code": err.code, "message": err.message}, hdrs)

    # --- authentication ---
    def authenticate(self, emu, method, body, entry):
        params = parse_authorization(self.headers.get("Authorization"))
        key_id = params["keyId"]
        entry["keyId"] = key_id
        names = params["headers"].split()
        lower = [n.lower() for n in names]
        if lower != names:
            raise ApiError(401, "NotAuthenticated", "signed header names must be lowercase")
        if len(set(names)) != len(names):
            raise ApiError(401, "NotAuthenticated", "a signed header is listed twice")
        required = ["(request-target)", "host"]
        if "x-date" not in names:
            required.append("date")
        if method in ("POST", "PUT", "PATCH"):
            required += ["content-length", "content-type", "x-content-sha256"]
        for r in required:
            if r not in names:
                raise ApiError(401, "NotAuthenticated", "header %s must be signed" % r)
        lines = []
        for n in names:
            if n == "(request-target)":
                lines.append("(request-target): %s %s" % (method.lower(), self.path))
                continue
            vals = self.headers.get_all(n)
            if not vals:
                raise ApiError(401, "NotAuthenticated", "signed header %s is missing" % n)
            if len(vals) > 1:
                raise ApiError(401, "NotAuthenticated", "signed header %s appears twice" % n)
            lines.append("%s: %s" % (n, vals[0]))
        date_name = "x-date" if "x-date" in names else "date"
        try:
            dt = email.utils.parsedate_to_datetime(self.headers.get(date_name))
        except (TypeError, ValueError, IndexError):
            raise ApiError(401, "NotAuthenticated", "cannot parse %s header" % date_name)
        if dt.tzinfo is None:
            skew = abs(calendar.timegm(dt.timetuple()) * 1000 - emu.now_ms()) / 1000
        else:
            skew = abs(dt.timestamp() * 1000 - emu.now_ms()) / 1000
        max_skew = emu.settings["maxSkewSeconds"]
        if skew > max_skew:
            raise ApiError(401, "NotAuthenticated",
                           "date is %.0f s off the server clock (max %d s)" % (skew, max_skew))
        if "x-content-sha256" in names:
            want = base64.b64encode(hashlib.sha256(body).digest()).decode()
            if self.headers.get("x-content-sha256") != want:
                raise ApiError(401, "NotAuthenticated", "x-content-sha256 does not match body")
        if "content-length" in names and self.headers.get("content-length").strip() != str(
                len(body)):
            raise ApiError(401, "NotAuthenticated", "content-length does not match body")
        with emu.lock:
            key = emu.keys.get(key_id)
            verifier = emu.settings["verifier"]
        if key is None:
            raise ApiError(401, "NotAuthenticated", "unknown keyId")
        try:
            sig = base64.b64decode(params["signature"], validate=True)
        except ValueError:
            raise ApiError(401, "NotAuthenticated", "signature is not base64")
        # http.server decoded the request line and headers as latin-1: this gives back the
        # bytes exactly as they came on the wire
        data = "\n".join(lines).encode("latin-1", "replace")
        if verifier == "builtin":
            good = verify_builtin(key, data, sig)
        else:
            good = verify_openssl(key, data, sig, emu.tmpdir)
        if not good:
            raise ApiError(401, "NotAuthenticated", "signature verification failed")
        entry["authenticated"] = True
        return key_id

    # --- main dispatch ---
    def dispatch(self):
        emu = self.server.emu
        self.rid = emu.request_id()
        self.cur_entry = None
        self.t0 = t0 = time.monotonic()
        method = self.command
        parts = urllib.parse.urlsplit(self.path)
        path, query = parts.path, parts.query
        if path == "/_emu" or path.startswith("/_emu/"):
            return self.control(emu, method, path, query)
        entry = {"time": fmt_time(emu.now_ms()), "method": method, "path": path,
                 "query": query, "status": None, "keyId": None, "authenticated": False,
                 "requestId": self.rid, "fault": None, "items": None}
        self.cur_entry = entry
        try:
            try:
                body = self.read_body()
            except ApiError:
                self.close_connection = True
                raise
            self.authenticate(emu, method, body, entry)
            fault = emu.pick_fault(method, path)
            if fault is not None:
                entry["fault"] = fault.type
                if self.pre_fault(fault, entry):
                    return
            res = route(emu, method, path, query, body)
            entry["items"] = res.count
            self.respond(emu, res, fault, entry)
        except ApiError as e:
            entry["status"] = e.status
            entry["error"] = e.message
            self.send_error_json(e)
        except (ConnectionError, socket.timeout, ssl.SSLError, BrokenPipeError):
            self.close_connection = True
            entry["status"] = entry["status"] or 0
        except Exception as e:  # never die on a request
            entry["status"] = 500
            entry["error"] = "internal error: %r" % (e,)
            self.close_connection = True
            try:
                self.send_json(500, {"code": "InternalServerError", "message": repr(e)})
            except OSError:
                pass
        finally:
            entry["ms"] = round((time.monotonic() - t0) * 1000, 3)
            emu.add_log(entry)

    def pre_fault(self, fault, entry):
        """Faults that answer instead of the operation. True when the answer is sent."""
        sp = fault.spec
        if fault.type == "status":
            st = int(sp.get("status", 500))
            hdrs = []
            if "retryAfter" in sp:
                hdrs.append(("Retry-After", str(sp["retryAfter"])))
            entry["status"] = st
            self.send_json(st, {"code": sp.get("code", STATUS_CODES.get(st, "Error")),
                                "message": sp.get("message", "injected fault")}, hdrs)
            return True
        if fault.type == "drop":
            entry["status"] = 0
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.type == "slow":
            time.sleep(float(sp.get("seconds", 1)))
        return False

    def respond(self, emu, res, fault, entry):
        hdrs = dict(res.headers)
        obj = res.obj
        if res.raw is not None and fault is not None and fault.type in ("wrong_type",
                                                                         "bad_utf8"):
            obj = json.loads(res.raw)
        if fault is not None and res.status == 200:
            sp = fault.spec
            if fault.type == "page_loop" and res.lq is not None:
                # points back to the first page of the same query
                hdrs["opc-next-page"] = res.lq.token(None)
            elif fault.type == "endless" and res.lq is not None:
                # always a new token: continue after this page, or wrap to the start
                hdrs["opc-next-page"] = res.lq.token(res.next_cursor, res.lq.gen + 1)
            elif fault.type in ("wrong_type", "bad_utf8"):
                obj = copy.deepcopy(obj)
                target = obj
                if isinstance(obj, dict) and isinstance(obj.get("items"), list):
                    target = obj["items"]
                if isinstance(target, list):
                    target = target[0] if target else None
                if isinstance(target, dict):
                    field = sp.get("field", "emailAddress")
                    if fault.type == "wrong_type":
                        target[field] = sp.get("value", 12345)
                    else:
                        target[field] = BAD_UTF8_MARK
        if res.status == 204:
            entry["status"] = 204
            self.send_raw(204, b"", list(hdrs.items()))
            return
        body = res.raw if obj is None and res.raw is not None else jbytes(obj)
        if fault is not None and fault.type == "bad_utf8":
            body = body.replace(BAD_UTF8_MARK.encode(), b"bad\xff\xfe\xc3(@x.example", 1)
        if fault is not None and fault.type == "truncate":
            keep = fault.spec.get("keep")
            keep = len(body) // 2 if keep is None else int(keep)
            keep = max(0, min(keep, len(body) - 1))
            entry["status"] = res.status
            if fault.spec.get("mode", "honest") == "close":
                self.close_connection = True
                self.mark_prepared()
                self.send_response(res.status)
                self.send_header("opc-request-id", self.rid)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in hdrs.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body[:keep])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self.send_raw(res.status, body[:keep], list(hdrs.items()))
            return
        entry["status"] = res.status
        self.send_raw(res.status, body, list(hdrs.items()))

    # --- control interface ---
    def control(self, emu, method, path, query):
        if self.client_address[0] not in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
            self.close_connection = True
            return self.send_json(403, {"code": "NotAllowed", "message": "loopback only"})
        try:
            body = self.read_body()
            doc = json.loads(body.decode("utf-8")) if body.strip() else None
        except ApiError as e:
            self.close_connection = True
            return self.send_error_json(e)
        except (UnicodeDecodeError, ValueError):
            return self.send_json(400, {"code": "CannotParseRequest",
                                        "message": "control body is not JSON"})
        q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        try:
            st, obj = control_op(emu, method, path[len("/_emu"):].rstrip("/") or "/", q, doc)
        except ApiError as e:
            return self.send_error_json(e)
        except (ValueError, TypeError, KeyError) as e:
            return self.send_json(400, {"code": "InvalidParameter", "message": str(e)})
        self.send_json(st, obj)


def _need_obj(doc):
    if not isinstance(doc, dict):
        raise ValueError("body must be a JSON object")
    return doc


def _items(doc):
    if isinstance(doc, list):
        return doc
    return [_need_obj(doc)]


def control_op(emu, method, path, q, doc):
    """The /_emu/ interface. Returns (status, JSON object)."""
    with emu.lock:
        st = emu.state
        now = emu.now_ms()
        if path == "/health" and method == "GET":
            return 200, {"ok": True, "suppressions": st.suppression_count()}
        if path == "/state" and method == "GET":
            return 200, st.dump()
        if path == "/state" and method in ("POST", "PUT"):
            emu.state = State(_need_obj(doc))
            return 200, {"ok": True}
        if path == "/reset" and method == "POST":
            emu.reset()
            return 200, {"ok": True}
        if path == "/generate" and method == "POST":
            d = _need_obj(doc)
            cur = st.gen.describe()
            st.gen = Generated(d.get("count", cur["count"]), d.get("start", cur["start"]),
                               d.get("stepMs", cur["stepMs"]), d.get("group", cur["group"]),
                               d.get("width"))
            st.deleted_generated = set()
            return 200, st.gen.describe()
        if path == "/log" and method == "GET":
            since = int(q.get("since", 0))
            return 200, {"entries": [e for e in emu.log if e["seq"] > since],
                         "next": emu.log_seq}
        if (path == "/log" and method == "DELETE") or (path == "/log/clear"
                                                       and method == "POST"):
            emu.log.clear()
            return 200, {"ok": True, "next": emu.log_seq}
        if path == "/fault" and method == "POST" or path == "/faults" and method == "POST":
            added = []
            for spec in _items(doc):
                emu.fault_seq += 1
                f = Fault(emu.fault_seq, spec)
                emu.faults.append(f)
                added.append(f.describe())
            return 200, added[0] if isinstance(doc, dict) else {"faults": added}
        if path == "/faults" and method == "GET":
            return 200, {"faults": [f.describe() for f in emu.faults]}
        if path in ("/faults", "/fault") and method == "DELETE" or (
                path == "/faults/clear" and method == "POST"):
            emu.faults = []
            return 200, {"ok": True}
        m = re.match(r"^/faults?/(\d+)$", path)
        if m and method == "DELETE":
            before = len(emu.faults)
            emu.faults = [f for f in emu.faults if f.id != int(m.group(1))]
            if len(emu.faults) == before:
                raise ApiError(404, "NotFound", "no fault %s" % m.group(1))
            return 200, {"ok": True}
        if path == "/clock" and method == "POST":
            d = _need_obj(doc)
            if "now" in d:
                emu.clock_offset_ms = parse_time_ms(d["now"]) - int(time.time() * 1000)
            else:
                emu.clock_offset_ms = int(float(d.get("offsetSeconds", 0)) * 1000)
            return 200, {"offsetSeconds": emu.clock_offset_ms / 1000,
                         "now": fmt_time(emu.now_ms())}
        if path == "/settings" and method == "GET":
            return 200, dict(emu.settings)
        if path == "/settings" and method == "POST":
            d = _need_obj(doc)
            for k, v in d.items():
                if k == "duplicateSuppression" and v in ("existing", "conflict"):
                    emu.settings[k] = v
                elif k == "verifier" and v in ("openssl", "builtin"):
                    emu.settings[k] = v
                elif k in ("maxSkewSeconds", "defaultLimit") and isinstance(v, int):
                    emu.settings[k] = v
                else:
                    raise ValueError("bad setting %s=%r" % (k, v))
            return 200, dict(emu.settings)
        if path == "/keys" and method == "GET":
            return 200, {"keys": {k: v.path for k, v in emu.keys.items()}}
        if path == "/keys" and method == "POST":
            d = _need_obj(doc)
            emu.add_key(d["keyId"], d.get("path"), d.get("pem"))
            return 200, {"ok": True}
        if path == "/keys" and method == "DELETE":
            kid = q.get("keyId") or (doc or {}).get("keyId")
            if emu.keys.pop(kid, None) is None:
                raise ApiError(404, "NotFound", "no key %s" % kid)
            return 200, {"ok": True}
        # collections: senders, domains, dkims, suppressions
        m = re.match(r"^/(senders|domains|dkims|suppressions)(?:/([^/]+))?$", path)
        if m:
            coll, ident = m.group(1), m.group(2)
            ident = urllib.parse.unquote(ident) if ident else None
            table = {"senders": st.senders, "domains": st.domains, "dkims": st.dkims,
                     "suppressions": st.suppressions}[coll]
            adder = {"senders": st.add_sender, "domains": st.add_domain,
                     "dkims": st.add_dkim, "suppressions": st.add_suppression}[coll]
            if ident is None and method == "GET":
                if coll == "suppressions":
                    return 200, {"items": list(table.values()),
                                 "generated": st.gen.describe(),
                                 "deletedGenerated": sorted(st.deleted_generated),
                                 "count": st.suppression_count()}
                return 200, {"items": list(table.values())}
            if ident is None and method == "POST":
                made = [adder(it, now) for it in _items(doc)]
                return 200, made[0] if isinstance(doc, dict) else {"items": made}
            if ident is None and method == "DELETE":
                table.clear()
                if coll == "suppressions":
                    st.gen = Generated(0)
                    st.deleted_generated = set()
                return 200, {"ok": True}
            if ident is not None:
                if coll == "suppressions":
                    cur = st.get_suppression(ident)
                else:
                    cur = table.get(ident)
                if cur is None:
                    raise ApiError(404, "NotFound", "no %s %s" % (coll[:-1], ident))
                if method == "GET":
                    return 200, cur
                if method == "DELETE":
                    if coll == "suppressions":
                        st.delete_suppression(ident)
                    else:
                        del table[ident]
                    return 200, {"ok": True}
                if method in ("POST", "PATCH", "PUT"):
                    d = _need_obj(doc)
                    if "id" in d and d["id"] != ident:
                        raise ValueError("the id cannot change")
                    new = dict(cur)
                    new.update(d)
                    if "timeCreated" in d:
                        parse_time_ms(d["timeCreated"])
                    if coll == "suppressions":
                        st.delete_suppression(ident)
                        if ident.startswith(GEN_ID_PREFIX):
                            new["id"] = st.new_id("emailsuppression")
                        new = st.add_suppression(new, now)
                    else:
                        table[ident] = new
                    return 200, new
        raise ApiError(404, "NotFound", "no control operation %s %s" % (method, path))


class EmuServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if self.emu.args.verbose:
            super().handle_error(request, client_address)


def main(argv=None):
    ap = argparse.ArgumentParser(description="OCI Email Delivery control-plane emulator")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free)")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--bind", default="127.0.0.1", help="address (default 127.0.0.1)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate chain (PEM)")
    ap.add_argument("--tls-key", help="private key of --tls-cert")
    ap.add_argument("--key", action="append", metavar="KEYID=PUBLIC.pem",
                    help="accept signatures by this key under this keyId (repeatable)")
    ap.add_argument("--key-dir", action="append", metavar="DIR",
                    help="every NAME.pem with a NAME.keyid (the keyId) beside it")
    ap.add_argument("--state", help="initial state (JSON)")
    ap.add_argument("--generate-suppressions", type=int, metavar="N",
                    help="serve N generated suppressions (overrides the state file)")
    ap.add_argument("--verifier", choices=("openssl", "builtin"), default="openssl",
                    help="openssl dgst (default) or the built-in RSA verifier")
    ap.add_argument("--duplicate-suppression", choices=("existing", "conflict"),
                    default="existing",
                    help="CreateSuppression of a listed address: 200 with the existing "
                         "entry (default) or 409 Conflict")
    ap.add_argument("--max-skew", type=int, default=300, help="seconds (default 300)")
    ap.add_argument("--default-limit", type=int, default=100, help="default page size")
    ap.add_argument("--log-max", type=int, default=20000,
                    help="request log entries kept, oldest dropped (default 20000)")
    ap.add_argument("--pid-file")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    try:
        emu = Emulator(args)
    except (OSError, ValueError) as e:
        sys.stderr.write("oci-emu: %s\n" % e)
        return 2
    server = EmuServer((args.bind, args.port), Handler)
    server.emu = emu
    server.ssl_ctx = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.ssl_ctx = ctx
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sys.stderr.write("oci-emu: listening on %s://%s:%d%s, %d key(s), %d suppressions\n" % (
        "https" if args.tls_cert else "http", args.bind, port, API_PREFIX, len(emu.keys),
        emu.state.suppression_count()))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        emu.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
