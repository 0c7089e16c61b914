# SPDX-License-Identifier: MIT
"""OCI request signing for tests, written from the specification
(docs/internals/OCI-API.md §9), plus a tiny signed HTTPS client.

    signer = Signer.from_config(path, "DEFAULT")
    client = OciClient(signer, ca_file)
    r = client.get(endpoint + "/20160918/tenancies/" + signer.tenancy)
    r.status, r.headers["opc-request-id"], r.json()
"""

import base64
import configparser
import datetime
import hashlib
import http.client
import json as jsonlib
import os
import ssl
import threading
from urllib.parse import quote, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

GENERIC = ["date", "(request-target)", "host"]
BODY = ["content-length", "content-type", "x-content-sha256"]

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec"]


def http_date(when=None):
    """RFC 7231 date of `when` (datetime or epoch seconds; default now)."""
    if when is None:
        d = datetime.datetime.now(datetime.timezone.utc)
    elif isinstance(when, (int, float)):
        d = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    else:
        d = when
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _DAYS[d.weekday()], d.day, _MONTHS[d.month - 1], d.year, d.hour,
        d.minute, d.second)


def sha256_b64(body):
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def load_private_key(pem_or_path, passphrase=None):
    data = pem_or_path
    if isinstance(data, str) and not data.lstrip().startswith("-----"):
        with open(os.path.expanduser(data), "rb") as f:
            data = f.read()
    if isinstance(data, str):
        data = data.encode()
    pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
    return serialization.load_pem_private_key(data, pw)


def fingerprint(public_key):
    der = public_key.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    h = hashlib.md5(der).hexdigest()
    return ":".join(h[i:i + 2] for i in range(0, 32, 2))


class Signer:
    """Signs requests as OCI API keys (keyId tenancy/user/fingerprint) or
    sessions (keyId ST$token) do."""

    def __init__(self, key_id, private_key, tenancy=None):
        self.key_id = key_id
        self.private_key = (load_private_key(private_key)
                            if isinstance(private_key, (str, bytes))
                            else private_key)
        self.tenancy = tenancy or key_id.split("/")[0]

    @classmethod
    def api_key(cls, tenancy, user, private_key, fingerprint_=None):
        pk = (load_private_key(private_key)
              if isinstance(private_key, (str, bytes)) else private_key)
        fp = fingerprint_ or fingerprint(pk.public_key())
        return cls("%s/%s/%s" % (tenancy, user, fp), pk, tenancy)

    @classmethod
    def from_config(cls, path, profile="DEFAULT"):
        """Load a profile of an OCI config file (DEFAULT inheritance as in
        the Python SDK); session profiles sign with ST$<token>."""
        cp = configparser.ConfigParser(interpolation=None)
        with open(path) as f:
            cp.read_file(f)
        sec = cp[profile] if profile != "DEFAULT" else cp.defaults()
        key = load_private_key(sec["key_file"], sec.get("pass_phrase"))
        tok_file = sec.get("security_token_file")
        if tok_file and profile != "DEFAULT":
            with open(os.path.expanduser(tok_file)) as f:
                token = f.read().strip()
            return cls("ST$" + token, key, sec["tenancy"])
        return cls("%s/%s/%s" % (sec["tenancy"], sec["user"],
                                 sec["fingerprint"]), key, sec["tenancy"])

    def signing_string(self, method, target, headers, names):
        lines = []
        for n in names:
            if n == "(request-target)":
                lines.append("(request-target): %s %s" % (method.lower(),
                                                          target))
            else:
                lines.append("%s: %s" % (n, headers[n]))
        return "\n".join(lines)

    def sign_string(self, s):
        sig = self.private_key.sign(s.encode("utf-8"), padding.PKCS1v15(),
                                    hashes.SHA256())
        return base64.b64encode(sig).decode()

    def sign(self, method, target, host, body=b"", headers=None,
             names=None, body_exempt=False, date=None):
        """Return the headers to send (lower-case names), including
        authorization.  `target` is the path plus query as sent; `names`
        overrides the list of signed headers."""
        h = {k.lower(): v for k, v in (headers or {}).items()}
        h.setdefault("date", http_date(date))
        h["host"] = host
        m = method.upper()
        has_body = m in ("POST", "PUT", "PATCH")
        if has_body:
            h.setdefault("content-type", "application/json")
            h["content-length"] = str(len(body))
            if not body_exempt:
                h["x-content-sha256"] = sha256_b64(body)
        if names is None:
            names = list(GENERIC)
            if has_body and not body_exempt:
                names += BODY
        sig = self.sign_string(self.signing_string(m, target, h, names))
        h["authorization"] = (
            'Signature version="1",headers="%s",keyId="%s",'
            'algorithm="rsa-sha256",signature="%s"'
            % (" ".join(names), self.key_id, sig))
        return h


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict, lower-case names
        self.body = body

    def json(self):
        return jsonlib.loads(self.body.decode("utf-8"))

    @property
    def code(self):
        try:
            return self.json().get("code")
        except ValueError:
            return None

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:200])


def ssl_context(ca_file):
    """A client context trusting exactly `ca_file` (never the environment's
    CA bundle variables)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=ca_file)
    return ctx


class OciClient:
    """Keep-alive HTTPS client: one connection per origin per thread."""

    def __init__(self, signer=None, ca_file=None, timeout=30,
                 ssl_ctx=None):
        self.signer = signer
        self.ctx = ssl_ctx or ssl_context(ca_file)
        self.timeout = timeout
        self._local = threading.local()

    def _conn(self, netloc):
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        c = conns.get(netloc)
        if c is None:
            host, _, port = netloc.partition(":")
            c = http.client.HTTPSConnection(host, int(port or 443),
                                            context=self.ctx,
                                            timeout=self.timeout)
            conns[netloc] = c
        return c

    def close(self):
        for c in getattr(self._local, "conns", {}).values():
            c.close()
        self._local.conns = {}

    def request(self, method, url, body=None, json=None, headers=None,
                params=None, sign=True, names=None, body_exempt=False,
                tamper=None, date=None, signer=None):
        """Send a (signed) request and return a Response.

        tamper(headers) may modify the signed headers before sending
        (tests of refusals)."""
        if json is not None:
            body = jsonlib.dumps(json).encode()
        if isinstance(body, str):
            body = body.encode()
        if body is None:
            body = b""
        parts = urlsplit(url)
        target = parts.path or "/"
        query = parts.query
        if params:
            extra = urlencode([(k, v) for k, v in params.items()
                               if v is not None], quote_via=quote)
            query = query + "&" + extra if query else extra
        if query:
            target += "?" + query
        signer = signer or self.signer
        if sign and signer is not None:
            h = signer.sign(method, target, parts.netloc, body, headers,
                            names=names, body_exempt=body_exempt, date=date)
        else:
            h = {k.lower(): v for k, v in (headers or {}).items()}
            if method.upper() in ("POST", "PUT"):
                h["content-length"] = str(len(body))
        if tamper:
            tamper(h)
        c = self._conn(parts.netloc)
        try:
            c.putrequest(method, target, skip_host=True,
                         skip_accept_encoding=True)
            if "host" not in h:
                c.putheader("Host", parts.netloc)
            for k, v in h.items():
                c.putheader(k, v)
            c.endheaders(body if body else None)
            r = c.getresponse()
            data = r.read()
        except BaseException:
            # No silent retry: tests of injected faults must see them.
            c.close()
            self._local.conns.pop(parts.netloc, None)
            raise
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if r.will_close:
            c.close()
            self._local.conns.pop(parts.netloc, None)
        return Response(r.status, hdrs, data)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def head(self, url, **kw):
        return self.request("HEAD", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)

    def put(self, url, **kw):
        return self.request("PUT", url, **kw)
