# SPDX-License-Identifier: MIT
"""OCI request-signature verification (draft-cavage-http-signatures-08 as
OCI uses it, docs/internals/OCI-API.md §9).

verify_request() is a pure function: everything it needs (the clock, the
key lookup) is passed in, so the published vectors can be checked with
now = 2014-01-05.
"""

import base64
import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .util import parse_http_date

MAX_SKEW = 300  # seconds (OCI: 5 minutes)

GENERIC = ("(request-target)", "host")
BODY = ("content-length", "content-type", "x-content-sha256")

_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


class AuthError(Exception):
    """Authentication failed; the message is safe to return (no secrets)."""


def parse_authorization(value):
    """Parse 'Signature k="v",...' (any parameter order, any case of the
    scheme and parameter names) into a dict with lower-case keys."""
    if value is None:
        raise AuthError("The required information to complete "
                        "authentication was not provided.")
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() != "signature" or not rest.strip():
        raise AuthError("Authorization header does not use the Signature "
                        "scheme.")
    params = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if not m:
            raise AuthError("Malformed Authorization header.")
        name = m.group(1).lower()
        if name in params:
            raise AuthError("Duplicate Authorization parameter '%s'." % name)
        params[name] = m.group(2)
        pos = m.end()
    for need in ("keyid", "signature"):
        if need not in params:
            raise AuthError("Authorization header is missing '%s'." % need)
    return params


def required_headers(method, body_exempt=False):
    """Header names that must be signed for `method` ('date' stands for
    date or x-date)."""
    method = method.upper()
    req = ["date", "(request-target)", "host"]
    if method in ("POST", "PUT", "PATCH") and not body_exempt:
        req += list(BODY)
    return req


def verify_request(method, target, headers, body, now, lookup,
                   body_exempt=False):
    """Verify a signed request.

    method: as received ('GET', ...); target: the raw request target (path
    and query exactly as received); headers: dict of lower-case name ->
    value; body: bytes; now: seconds since the epoch; lookup(key_id) ->
    (public_key, principal) or None; body_exempt: the operation only needs
    the generic signed headers (Object Storage PutObject).

    Returns the principal; raises AuthError.
    """
    params = parse_authorization(headers.get("authorization"))
    algorithm = params.get("algorithm")
    if algorithm is None or algorithm.lower() != "rsa-sha256":
        raise AuthError("Unsupported signature algorithm.")
    version = params.get("version")
    if version is not None and version != "1":
        raise AuthError("Unsupported signature version.")
    signed = params.get("headers", "date").lower().split()
    if not signed:
        raise AuthError("No headers were signed.")
    if len(set(signed)) != len(signed):
        raise AuthError("A header is listed twice in the signed headers.")

    for name in required_headers(method, body_exempt):
        if name == "date":
            if "date" not in signed and "x-date" not in signed:
                raise AuthError("The date header must be signed.")
        elif name not in signed:
            raise AuthError("The %s header must be signed." % name)

    lines = []
    for name in signed:
        if name == "(request-target)":
            value = "%s %s" % (method.lower(), target)
        else:
            value = headers.get(name)
            if value is None:
                raise AuthError("Signed header '%s' is missing from the "
                                "request." % name)
        lines.append("%s: %s" % (name, value))
    signing_string = "\n".join(lines).encode("utf-8")

    # Oracle uses x-date when both are present.
    date_name = "x-date" if "x-date" in headers else "date"
    if date_name not in signed:
        raise AuthError("The %s header must be signed." % date_name)
    when = parse_http_date(headers.get(date_name, ""))
    if when is None:
        raise AuthError("The %s header is not a valid HTTP date." % date_name)
    if abs(now - when) > MAX_SKEW:
        raise AuthError("The request date is more than 5 minutes away from "
                        "the server time.")

    if "content-length" in headers or "content-length" in signed:
        try:
            length = int(headers.get("content-length", ""))
        except ValueError:
            raise AuthError("Invalid content-length header.") from None
        if length != len(body):
            raise AuthError("The content-length header does not match the "
                            "body.")
    if "x-content-sha256" in signed:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if headers.get("x-content-sha256", "").strip() != digest:
            raise AuthError("The x-content-sha256 header does not match the "
                            "body.")

    found = lookup(params["keyid"])
    if found is None:
        raise AuthError("The key id is not known.")
    public_key, principal = found
    try:
        sig = base64.b64decode(params["signature"], validate=True)
    except ValueError:
        raise AuthError("The signature is not valid base64.") from None
    try:
        public_key.verify(sig, signing_string, padding.PKCS1v15(),
                          hashes.SHA256())
    except InvalidSignature:
        raise AuthError("The required information to complete "
                        "authentication was not provided or was "
                        "incorrect.") from None
    return principal
