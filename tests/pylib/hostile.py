# SPDX-License-Identifier: MIT
"""A hostile OCI server for tests: endless pages, huge or slow bodies, bad
entries among good ones, hostile names (issue 8, "bounded against any
server").

    with Hostile() as h:                  # HTTPS on 127.0.0.1, own CA
        h.keys = h.endless(h.key)         # ListKeys: 1000 keys a page, forever
        mount(emu=h)                      # h.config, h.endpoint, h.ca
        h.requests["ListKeys"]            # pages served

It answers only what a mount needs: GetTenancy, ListCompartments,
ListVaults (one VIRTUAL_PRIVATE vault whose endpoints are this server by
default) and ListKeys, on one port; anything else is 404.  Signatures are
not checked (the emulator does that); the client under test signs as
usual with a key made here.

Each of `compartments`, `vaults` and `keys` is a *lister*: a function
(query, page) -> Page, where `page` is the opc-next-page token sent ("" on
the first request).  Helpers build the usual ones:

    h.static([item, ...])          one page
    h.pages([[...], [...]])        these pages in turn
    h.endless(make, per_page)      page n holds make(n * per_page + i)
    h.raw(b"...")                  this exact body (not JSON, huge, ...)

Items are dicts (sent with json.dumps, so "\\u0000" and lone surrogates in
a str go out as those escapes) or bytes (sent verbatim: raw control
characters, invalid UTF-8).  `Page(body, next, drip)` may also be made by
hand; `drip` sends the body in 1-byte writes that far apart (seconds).
"""

import http.server
import json
import os
import shutil
import socket
import ssl
import sys
import threading

from .emulator import SOURCE_ROOT, scratch_dir

sys.path.insert(0, os.path.join(SOURCE_ROOT, "scripts"))
from ociemu import pki  # noqa: E402

TENANCY = "ocid1.tenancy.oc1..aaaaaaaahostile"
VAULT = "ocid1.vault.oc1.iad.hostile.aaaaaaaavault"
TIME = "2026-01-01T00:00:00.000Z"


class Page:
    def __init__(self, body, next=None, drip=None, status=200):
        self.body = body
        self.next = next
        self.drip = drip
        self.status = status


def _encode(item):
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    return json.dumps(item).encode()


def array(items):
    return b"[" + b",".join(_encode(i) for i in items) + b"]"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        h = self.server.hostile
        path, _, query = self.path.partition("?")
        q = {}
        for part in query.split("&"):
            k, _, v = part.partition("=")
            if k:
                q[k] = v
        page = q.get("page", "")
        if path.startswith("/20160918/tenancies/"):
            op, result = "GetTenancy", Page(json.dumps(
                {"id": TENANCY, "name": "hostile", "description": "",
                 "homeRegionKey": "IAD"}).encode())
        elif path == "/20160918/compartments":
            op, result = "ListCompartments", h.compartments(q, page)
        elif path == "/20180608/vaults":
            op, result = "ListVaults", h.vaults(q, page)
        elif path == "/20180608/keys":
            op, result = "ListKeys", h.keys(q, page)
        else:
            op, result = "Unknown", Page(json.dumps(
                {"code": "NotAuthorizedOrNotFound",
                 "message": "not here"}).encode(), status=404)
        with h.lock:
            h.requests[op] = h.requests.get(op, 0) + 1
        self._send(result)

    def _send(self, r):
        body = r.body
        try:
            self.send_response(r.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("opc-request-id", "HOSTILE%025d" %
                             self.server.hostile.count())
            if r.next:
                self.send_header("opc-next-page", r.next)
            self.end_headers()
            if r.drip:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    if self.server.hostile.stopping.wait(r.drip):
                        return
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError,
                socket.timeout, OSError):
            self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True), addr


class Hostile:
    def __init__(self, state_dir=None):
        self._own = state_dir is None
        self.state_dir = state_dir or scratch_dir("ovfs-hostile-")
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.requests = {}
        self._n = 0
        self.endpoint = None  # set by start()
        self.compartments = self.static([])
        self.vaults = self.static([])
        self.keys = self.static([])
        self._server = None
        self._thread = None

    # -- items ------------------------------------------------------------

    def key(self, i, name=None):
        return {"compartmentId": TENANCY,
                "displayName": "key-%06d" % i if name is None else name,
                "id": "ocid1.key.oc1.iad.hostile.k%09d" % i,
                "lifecycleState": "ENABLED", "timeCreated": TIME,
                "vaultId": VAULT, "protectionMode": "HSM",
                "algorithm": "AES"}

    def vault(self, i=0, name=None):
        return {"compartmentId": TENANCY, "cryptoEndpoint": self.endpoint,
                "displayName": "vault" if name is None else name,
                "id": VAULT if not i else
                "ocid1.vault.oc1.iad.hostile.v%09d" % i,
                "lifecycleState": "ACTIVE",
                "managementEndpoint": self.endpoint, "timeCreated": TIME,
                "vaultType": "VIRTUAL_PRIVATE"}

    def compartment(self, i, name=None):
        return {"compartmentId": TENANCY,
                "id": "ocid1.compartment.oc1..hostile%09d" % i,
                "name": "c%06d" % i if name is None else name,
                "description": "", "timeCreated": TIME,
                "lifecycleState": "ACTIVE"}

    # -- listers ----------------------------------------------------------

    @staticmethod
    def static(items):
        body = array(items)
        return lambda q, page: Page(body)

    @staticmethod
    def pages(pages):
        bodies = [array(p) for p in pages]

        def lister(q, page):
            n = int(page or 0)
            return Page(bodies[n],
                        str(n + 1) if n + 1 < len(bodies) else None)
        return lister

    @staticmethod
    def endless(make, per_page=1000):
        def lister(q, page):
            n = int(page or 0)
            return Page(array(make(n * per_page + i)
                              for i in range(per_page)), str(n + 1))
        return lister

    @staticmethod
    def raw(body, drip=None, next=None):
        return lambda q, page: Page(body, next, drip)

    # -- process ----------------------------------------------------------

    def count(self):
        with self.lock:
            self._n += 1
            return self._n

    def start(self):
        ca_cert, ca_key = pki.load_or_create_ca(self.state_dir)
        cert, key = pki.make_server_cert(self.state_dir, ca_cert, ca_key)
        self.ca = os.path.join(self.state_dir, "ca.pem")
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.ctx = pki.server_context(cert, key)
        self._server.hostile = self
        self.endpoint = "https://127.0.0.1:%d" % self._server.server_port
        self.vaults = self.static([self.vault()])
        api_key = pki.new_rsa_key()
        key_path = os.path.join(self.state_dir, "api_key.pem")
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pki.private_pem(api_key))
        self.config = os.path.join(self.state_dir, "config")
        with open(self.config, "w") as f:
            f.write("[DEFAULT]\nuser=ocid1.user.oc1..aaaaaaaahostile\n"
                    "fingerprint=%s\nkey_file=%s\ntenancy=%s\n"
                    "region=us-ashburn-1\n" % (
                        pki.fingerprint(api_key.public_key()), key_path,
                        TENANCY))
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._own:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


__all__ = ["Hostile", "Page", "array", "TENANCY", "VAULT"]
