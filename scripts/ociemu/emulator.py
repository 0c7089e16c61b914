# SPDX-License-Identifier: MIT
"""The Emulator: request dispatch (routing, faults, authentication,
throttling, latency), users and sessions, the work-request ticker."""

import logging
import random
import threading
import time
import traceback

from . import (admin, auth, faults, identity, kms, objectstorage, pki,
               util, workrequests)
from .core import Ctx, MethodNotAllowed, Router, Stats, error_resp
from .throttle import Throttle
from .util import ApiError

log = logging.getLogger("ociemu")

OS_OPS = {"GetNamespace", "ListBuckets", "ListObjects", "HeadObject",
          "GetObject", "PutObject", "ParGet", "ParPut"}
UNSIGNED_OPS = {"ParGet", "ParPut"}
BODY_EXEMPT_OPS = {"PutObject"}
# Operations with work to do before they take the state lock.
PREPARE_OPS = {"GetKeyVersion", "BackupKey", "BackupVault"}

FAULT_ERRORS = {
    "429": (429, "TooManyRequests", "Too many requests for the tenancy."),
    "500": (500, "InternalServerError", "Internal server error."),
    "503": (503, "ServiceUnavailable",
            "The service is currently unavailable."),
}


class Emulator:
    def __init__(self, state, config, rules=None):
        self.state = state
        self.initial_config = dict(config)
        self.config = dict(config)
        self.throttle = Throttle(config["rateLimit"])
        self.faults = faults.Faults(rules)
        self.stats = Stats()
        self.router = Router()
        for mod in (identity, kms, workrequests, objectstorage):
            mod.register(self.router)
        self.endpoint = None
        self.network = None
        self._pubkeys = {}
        self._stop = threading.Event()
        self._ticker = None
        self._rng = random.Random()

    # ------------------------------------------------------------------
    # lifecycle

    def start_ticker(self):
        self._ticker = threading.Thread(target=self._tick, name="ticker",
                                        daemon=True)
        self._ticker.start()

    def stop(self):
        self._stop.set()
        if self._ticker:
            self._ticker.join(timeout=5)

    def _tick(self):
        while not self._stop.wait(0.1):
            try:
                self.advance()
            except Exception:
                log.exception("ticker")

    def advance(self):
        with self.state.lock:
            workrequests.advance(self)

    def ensure_vault_listener(self, v):
        """Bind the vault's port (its recorded one when possible)."""
        if self.network is None:
            return
        port = self.network.bind_vault(v["id"], v.get("_port") or 0)
        if port != v.get("_port"):
            v["_port"] = port
            self.state.mark()

    def set_config(self, changes):
        """Validate and apply runtime configuration changes."""
        new = dict(self.config)
        for k, v in changes.items():
            if k in ("backupSeconds", "latencyMs", "rateLimit"):
                if isinstance(v, bool) or not isinstance(v, (int, float)) \
                        or v < 0:
                    raise ApiError(400, "InvalidParameter",
                                   "%s must be a non-negative number." % k)
                new[k] = v
            elif k == "workRequests":
                if not isinstance(v, bool):
                    raise ApiError(400, "InvalidParameter",
                                   "workRequests must be a boolean.")
                new[k] = v
            else:
                raise ApiError(400, "InvalidParameter",
                               "Unknown configuration key %r." % k)
        if new["rateLimit"] != self.config["rateLimit"]:
            self.throttle.set_rate(new["rateLimit"])
        self.config = new
        return dict(new)

    def reset(self):
        self.state.reset()
        self.stats.reset()
        self.faults.clear()
        self.config = dict(self.initial_config)
        self.throttle.set_rate(self.config["rateLimit"])
        with self.state.lock:
            for v in self.state.d["vaults"].values():
                self.ensure_vault_listener(v)

    # ------------------------------------------------------------------
    # authentication

    def lookup(self, key_id):
        d = self.state.d
        with self.state.lock:
            if key_id.startswith("ST$"):
                rec = d["sessions"].get(key_id[3:])
                if rec is None or rec["exp"] < util.now():
                    return None
            else:
                rec = d["users"].get(key_id)
                if rec is None:
                    return None
            pem = rec["publicKey"]
            principal = {"tenancy": rec["tenancy"], "user": rec["user"],
                         "access": rec["access"]}
        pk = self._pubkeys.get(pem)
        if pk is None:
            pk = pki.load_public_pem(pem)
            self._pubkeys[pem] = pk
        return pk, principal

    def add_user(self, tenancy, user, public_pem, access, fingerprint=None,
                 name=None):
        pk = pki.load_public_pem(public_pem)
        fp = fingerprint or pki.fingerprint(pk)
        key_id = "%s/%s/%s" % (tenancy, user, fp)
        with self.state.lock:
            self.state.d["users"][key_id] = {
                "tenancy": tenancy, "user": user, "fingerprint": fp,
                "publicKey": pki.public_pem(pk), "access": access,
                "name": name}
            self.state.mark()
        return key_id, fp

    # ------------------------------------------------------------------
    # dispatch

    def handle(self, listener, conn, method, target, headers, body):
        """Serve one request; returns (Resp or None, transport fault or
        None) where the fault is 'reset' or 'truncate'."""
        path = target.partition("?")[0]
        if listener.kind == "main" and (path == "/_emulator" or
                                        path.startswith("/_emulator/")):
            return admin.handle(self, method, target, headers, body), None
        if not conn.counted:
            conn.counted = True
            self.stats.add("connections")
        ctx = Ctx(self, listener, method, target, headers, body)
        client_rid = headers.get("opc-request-id")
        rid = util.request_id()
        if client_rid:
            rid = "%s/%s" % (client_rid.strip(), rid)
        resp, tfault = self._serve(ctx, method, path)
        lat = self.config["latencyMs"]
        if lat:
            time.sleep(lat / 1000.0 * self._rng.uniform(0.9, 1.1))
        if resp is not None:
            resp.headers.append(("opc-request-id", rid))
            if ctx.op in OS_OPS:
                crid = headers.get("opc-client-request-id")
                if crid:
                    resp.headers.append(("opc-client-request-id", crid))
        self.stats.note(method, ctx.op, redact(path),
                        target.partition("?")[2])
        log.debug("%s %s -> %s %s", method, redact(path), ctx.op,
                  resp.status if resp else tfault)
        return resp, tfault

    def _serve(self, ctx, method, path):
        try:
            op, fn, groups = self.router.match(ctx.listener.kind, method,
                                               path)
        except MethodNotAllowed as e:
            # OCI checks the signature before the method: a request signed
            # for GET but sent as HEAD is 401, not 405.
            self.stats.request(None)
            err = e
            if not all(o in UNSIGNED_OPS for o in e.ops):
                try:
                    self._authenticate(ctx)
                except ApiError as a:
                    err = a
            if method == "HEAD":
                err.body = False
            return error_resp(err), None
        except ApiError as e:
            self.stats.request(None)
            return error_resp(e), None
        ctx.op = op
        self.stats.request(op)
        rule = self.faults.pick(op, "before")
        if rule is not None:
            self.stats.add("faults_injected")
            if rule.delay is not None:
                time.sleep(rule.delay)
            elif rule.kind == "corrupt":
                ctx.corrupt = True
            else:
                return self._fault(rule.kind, None)
        resp = self._execute(ctx, fn, groups)
        rule = self.faults.pick(op, "after")
        if rule is not None:
            self.stats.add("faults_injected")
            if rule.delay is not None:
                time.sleep(rule.delay)
            else:
                return self._fault(rule.kind, resp)
        return resp, None

    def _fault(self, kind, resp):
        if kind == "reset":
            return None, "reset"
        if kind == "truncate":
            if resp is None or not resp.body:
                status, code, msg = FAULT_ERRORS["503"]
                resp = error_resp(ApiError(status, code, msg))
            return resp, "truncate"
        status, code, msg = FAULT_ERRORS[kind]
        return error_resp(ApiError(status, code, msg)), None

    def _authenticate(self, ctx):
        """Verify the request's signature; sets ctx.principal, ApiError
        401 NotAuthenticated."""
        try:
            ctx.principal = auth.verify_request(
                ctx.method, ctx.target, ctx.headers, ctx.body, util.now(),
                self.lookup, body_exempt=ctx.op in BODY_EXEMPT_OPS)
        except auth.AuthError as e:
            self.stats.add("unauthorized")
            raise ApiError(401, "NotAuthenticated", str(e)) from None

    def _execute(self, ctx, fn, groups):
        try:
            if ctx.op not in UNSIGNED_OPS:
                self._authenticate(ctx)
                if getattr(ctx, "corrupt", False) and ctx.body:
                    ctx.body = ctx.body[:-1] + bytes([ctx.body[-1] ^ 1])
                if not self.throttle.allow(ctx.principal["tenancy"],
                                           ctx.op):
                    self.stats.add("throttled")
                    raise ApiError(429, "TooManyRequests",
                                   "Too many requests for the tenancy.")
            if ctx.op in PREPARE_OPS:
                kms.prepare(ctx, groups)
            with self.state.lock:
                return fn(ctx, *groups)
        except ApiError as e:
            if ctx.method == "HEAD":
                e.body = False
            return error_resp(e)
        except Exception:
            log.error("internal error in %s:\n%s", ctx.op,
                      traceback.format_exc())
            return error_resp(ApiError(500, "InternalServerError",
                                       "Internal server error."))


def redact(path):
    """A path safe to log: PAR tokens are secrets."""
    if path.startswith("/p/"):
        rest = path[3:].partition("/")[2]
        return "/p/***/" + rest
    return path

