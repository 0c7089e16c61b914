# SPDX-License-Identifier: MIT
"""Small shared helpers: API errors, time formats, identifiers."""

import base64
import datetime
import hashlib
import json
import os
import secrets
import tempfile

REGION = "us-ashburn-1"
REGION_KEY = "iad"


class ApiError(Exception):
    """An OCI error response: HTTP status plus the JSON code/message."""

    def __init__(self, status, code, message, headers=None, body=True):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.body = body  # False: no body (HEAD, Object Storage 404 HEAD)


def not_found(what="Authorization failed or requested resource not found."):
    return ApiError(404, "NotAuthorizedOrNotFound", what)


def invalid(message):
    return ApiError(400, "InvalidParameter", message)


def missing(message):
    return ApiError(400, "MissingParameter", message)


# --------------------------------------------------------------------------
# time

def now():
    return datetime.datetime.now(datetime.timezone.utc).timestamp()


def rfc3339(ts):
    """Seconds since the epoch -> '2024-01-15T10:00:00.000Z' (as OCI)."""
    d = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def parse_rfc3339(s):
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = datetime.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec"]


def http_date(ts):
    """RFC 7231 IMF-fixdate."""
    d = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _DAYS[d.weekday()], d.day, _MONTHS[d.month - 1], d.year,
        d.hour, d.minute, d.second)


def parse_http_date(s):
    """Parse an IMF-fixdate (the day name is not checked: OCI's own test
    vector signs 'Thu, 05 Jan 2014', which was a Sunday).  None if bad."""
    parts = s.strip().split()
    if len(parts) != 6 or parts[5] != "GMT" or not parts[0].endswith(","):
        return None
    try:
        day = int(parts[1])
        month = _MONTHS.index(parts[2]) + 1
        year = int(parts[3])
        hh, mm, ss = (int(x) for x in parts[4].split(":"))
        d = datetime.datetime(year, month, day, hh, mm, ss,
                              tzinfo=datetime.timezone.utc)
    except (ValueError, TypeError):
        return None
    return d.timestamp()


# --------------------------------------------------------------------------
# identifiers

def request_id():
    """32 upper-case hex characters, like the SDKs' request ids."""
    return secrets.token_hex(16).upper()


_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def b32(data, n):
    """n characters of [a-z2-7] derived from bytes (deterministic)."""
    out = []
    bits = 0
    acc = 0
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5 and len(out) < n:
            bits -= 5
            out.append(_B32[(acc >> bits) & 31])
    while len(out) < n:
        data = hashlib.sha256(data).digest()
        out.append(b32(data, n - len(out)))
    return "".join(out)[:n]


def hname(seed, n):
    return b32(hashlib.sha256(seed.encode()).digest() * 2, n)


def tenancy_ocid(seed):
    return "ocid1.tenancy.oc1..aaaaaaaa" + hname("t:" + seed, 52)


def compartment_ocid(seed):
    return "ocid1.compartment.oc1..aaaaaaaa" + hname("c:" + seed, 52)


def user_ocid(seed):
    return "ocid1.user.oc1..aaaaaaaa" + hname("u:" + seed, 52)


def default_user_ocid(tenancy_spec):
    """The OCID of the DEFAULT profile's user of a tenancy (the creator of
    the seeded buckets)."""
    return user_ocid(tenancy_spec + "/default")


def vault_prefix(seed):
    return hname("vp:" + seed, 9) + "aaeug"


def vault_ocid(prefix, seed):
    return "ocid1.vault.oc1.%s.%s.abuwcljr%s" % (
        REGION_KEY, prefix, hname("v:" + seed, 52))


def key_ocid(prefix, seed):
    return "ocid1.key.oc1.%s.%s.abuwcljs%s" % (
        REGION_KEY, prefix, hname("k:" + seed, 52))


def keyversion_ocid(prefix, seed):
    return "ocid1.keyversion.oc1.%s.%s.abuwcljt%s" % (
        REGION_KEY, prefix, hname("kv:" + seed, 52))


def wrapping_key_ocid(prefix, seed):
    return key_ocid(prefix, "wrapping:" + seed)


def workrequest_ocid(prefix):
    return "ocid1.kmsworkrequest.oc1.%s.%s.abuwcljw%s" % (
        REGION_KEY, prefix, b32(secrets.token_bytes(40), 52))


def random_lower(n):
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def b64(data):
    return base64.b64encode(data).decode("ascii")


def md5_b64(data):
    return b64(hashlib.md5(data).digest())


def sha256_b64(data):
    return b64(hashlib.sha256(data).digest())


def etag_of(obj):
    """A stable etag for a resource: changes whenever its JSON does."""
    raw = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.md5(raw).hexdigest()


def json_bytes(obj):
    return json.dumps(obj, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def atomic_write(path, data, mode=0o644):
    """Write bytes to `path` atomically (temp file in the same directory,
    fsync, rename)."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------
# session tokens

def _b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_session_token(tenancy_id, user_id, exp):
    """A JWT-shaped session token (as `oci session authenticate` writes
    it) whose "exp" claim is `exp`; the signature part is random: nobody
    but this emulator checks it, by value."""
    iat = int(now())
    header = {"kid": "asw", "alg": "RS256", "typ": "JWT"}
    claims = {"sub": user_id, "tenant": tenancy_id, "iss": "authService",
              "ptype": "user", "sess_exp": int(exp), "aud": "oci",
              "iat": iat, "exp": int(exp), "jti": secrets.token_hex(16)}
    return "%s.%s.%s" % (_b64url(json.dumps(header).encode()),
                         _b64url(json.dumps(claims).encode()),
                         _b64url(secrets.token_bytes(64)))
