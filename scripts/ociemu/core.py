# SPDX-License-Identifier: MIT
"""Request plumbing shared by the services: context, responses, routing,
paging, sorting, access checks and statistics."""

import base64
import collections
import hashlib
import hmac
import json
import re
import threading
from urllib.parse import unquote_plus

from .util import ApiError, invalid, json_bytes, missing, not_found


class Resp:
    def __init__(self, status=200, body=b"", headers=None, ctype=None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        if ctype:
            self.headers.append(("Content-Type", ctype))
        self.head_length = None  # HEAD: Content-Length to announce

    def header(self, name, value):
        self.headers.append((name, value))
        return self


def json_resp(obj, status=200, headers=None):
    return Resp(status, json_bytes(obj), headers, "application/json")


def error_resp(err):
    r = Resp(err.status, b"", err.headers)
    if err.body:
        r.body = json_bytes({"code": err.code, "message": err.message})
        r.headers.append(("Content-Type", "application/json"))
    return r


class Ctx:
    """One request as the services see it."""

    def __init__(self, emu, listener, method, target, headers, body):
        self.emu = emu
        self.state = emu.state
        self.listener = listener
        self.method = method
        self.target = target
        path, _, qs = target.partition("?")
        self.path = path
        self.qs = qs
        self.query = {}
        for part in qs.split("&") if qs else []:
            name, _, value = part.partition("=")
            self.query.setdefault(unquote_plus(name), unquote_plus(value))
        self.headers = headers
        self.body = body
        self.op = None
        self.params = ()
        self.principal = None
        self.vault_id = listener.vault_id

    # -- parameters -----------------------------------------------------

    def q(self, name, required=False):
        v = self.query.get(name)
        if required and (v is None or v == ""):
            raise missing("Missing parameter '%s'." % name)
        return v

    def q_bool(self, name, default=False):
        v = self.query.get(name)
        if v is None:
            return default
        if v.lower() in ("true", "false"):
            return v.lower() == "true"
        raise invalid("Invalid value for parameter '%s': %r." % (name, v))

    def q_enum(self, name, allowed, ci=False):
        v = self.query.get(name)
        if v is None:
            return None
        cand = v.upper() if ci else v
        if cand not in allowed:
            raise invalid("Invalid value for parameter '%s'; allowed: %s."
                          % (name, ", ".join(allowed)))
        return cand

    def json_body(self):
        try:
            obj = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "CannotParseRequest",
                           "Unable to parse the request body as JSON.") \
                from None
        if not isinstance(obj, dict):
            raise ApiError(400, "CannotParseRequest",
                           "The request body must be a JSON object.")
        return obj

    # -- access ---------------------------------------------------------

    @property
    def tenancy_id(self):
        return self.state.d["tenancy"]["id"]

    def can_access(self, compartment_id):
        """Whether the caller may see resources of this compartment."""
        return can_access(self.state.d, self.principal, compartment_id)

    def need_access(self, compartment_id):
        if not self.can_access(compartment_id):
            raise not_found()


def can_access(d, p, compartment_id):
    """Whether principal `p` may see resources of the compartment: same
    tenancy; access 'all', 'none', or 'default' (everything but the
    subtrees of the tenancy's restricted compartments)."""
    if p is None or p["tenancy"] != d["tenancy"]["id"]:
        return False
    if p["access"] == "none":
        return False
    if compartment_id != d["tenancy"]["id"] and \
            compartment_id not in d["compartments"]:
        return False
    if p["access"] == "all":
        return True
    denied = set(d["restricted"])
    c = compartment_id
    while c in d["compartments"]:
        if c in denied:
            return False
        c = d["compartments"][c]["compartmentId"]
    return True


# --------------------------------------------------------------------------
# routing

class MethodNotAllowed(ApiError):
    """A known path without this method; `ops` are the operations the
    path has (the caller authenticates before answering 405, as OCI)."""

    def __init__(self, method, methods):
        super().__init__(405, "MethodNotAllowed",
                         "Method %s is not allowed on this resource."
                         % method,
                         headers=[("Allow", ", ".join(sorted(methods)))])
        self.ops = sorted({entry[0] for entry in methods.values()})


class Router:
    def __init__(self):
        self.routes = {"main": [], "vault": []}

    def add(self, kind, pattern, methods):
        self.routes[kind].append((re.compile(pattern), methods))

    def match(self, kind, method, path):
        """(op, handler, groups); ApiError 404 NotFound / 405."""
        for rx, methods in self.routes[kind]:
            m = rx.match(path)
            if not m:
                continue
            entry = methods.get(method)
            if entry is None:
                raise MethodNotAllowed(method, methods)
            return entry[0], entry[1], m.groups()
        raise ApiError(404, "NotFound", "The requested path was not found.")


# --------------------------------------------------------------------------
# paging and sorting

def _page_mac(secret, op, offset):
    return hmac.new(bytes.fromhex(secret), ("%s:%d" % (op, offset)).encode(),
                    hashlib.sha256).hexdigest()[:16]


def paginate(ctx, items, default=100, maximum=1000, clamp=True):
    """Slice `items` by the 'limit'/'page' query parameters; returns
    (page, headers)."""
    raw = ctx.query.get("limit")
    if raw is None or raw == "":
        limit = default
    else:
        try:
            limit = int(raw)
        except ValueError:
            raise invalid("Invalid limit %r." % raw) from None
        if limit < 1:
            raise invalid("The limit must be at least 1.")
        if limit > maximum:
            if not clamp:
                raise invalid("The limit must be at most %d." % maximum)
            limit = maximum
    offset = 0
    page = ctx.query.get("page")
    if page is not None:
        offset = decode_page(ctx, page)
    out = items[offset:offset + limit]
    headers = []
    if offset + limit < len(items):
        headers.append(("opc-next-page", encode_page(ctx, offset + limit)))
    return out, headers


def encode_page(ctx, offset):
    secret = ctx.state.d["secret"]
    raw = "%d.%s" % (offset, _page_mac(secret, ctx.op, offset))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page(ctx, page):
    bad = invalid("Invalid page token.")
    try:
        pad = "=" * (-len(page) % 4)
        raw = base64.urlsafe_b64decode(page + pad).decode()
        off_s, mac = raw.split(".", 1)
        offset = int(off_s)
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    if offset < 0 or not hmac.compare_digest(
            mac, _page_mac(ctx.state.d["secret"], ctx.op, offset)):
        raise bad
    return offset


def sort_items(ctx, items, name_field, name_value="DISPLAYNAME"):
    """Sort by 'sortBy' (TIMECREATED default, descending; or the name,
    ascending by default) and 'sortOrder'."""
    by = ctx.q_enum("sortBy", ("TIMECREATED", name_value)) or "TIMECREATED"
    order = ctx.q_enum("sortOrder", ("ASC", "DESC"))
    if by == "TIMECREATED":
        keyf = (lambda r: (r["timeCreated"], r["id"]))
        desc = order != "ASC"
    else:
        keyf = (lambda r: (r[name_field], r["id"]))
        desc = order == "DESC"
    return sorted(items, key=keyf, reverse=desc)


# --------------------------------------------------------------------------
# statistics

REQUEST_LOG_MAX = 2000


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.requests = collections.Counter()
            self.requests_total = 0
            self.connections = 0
            self.unauthorized = 0
            self.throttled = 0
            self.faults_injected = 0
            self.b_started = 0
            self.b_succeeded = 0
            self.b_failed = 0
            self.per_key = collections.Counter()
            # The last requests as received (GET /_emulator/requests):
            # method, operation, raw path and query, PAR tokens redacted.
            self.log = collections.deque(maxlen=REQUEST_LOG_MAX)

    def add(self, field, n=1):
        with self._lock:
            setattr(self, field, getattr(self, field) + n)

    def request(self, op):
        with self._lock:
            self.requests_total += 1
            if op:
                self.requests[op] += 1

    def note(self, method, op, path, query):
        with self._lock:
            self.log.append({"method": method, "op": op, "path": path,
                             "query": query})

    def request_log(self):
        with self._lock:
            return list(self.log)

    def backup_started(self, key_id):
        with self._lock:
            self.b_started += 1
            self.per_key[key_id] += 1

    def snapshot(self):
        with self._lock:
            return {
                "requests": dict(self.requests),
                "requests_total": self.requests_total,
                "connections": self.connections,
                "unauthorized": self.unauthorized,
                "throttled": self.throttled,
                "faults_injected": self.faults_injected,
                "backups": {"started": self.b_started,
                            "succeeded": self.b_succeeded,
                            "failed": self.b_failed,
                            "per_key": dict(self.per_key)},
            }
