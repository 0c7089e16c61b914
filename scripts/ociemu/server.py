# SPDX-License-Identifier: MIT
"""The network side: one listening socket for the main port and one per
vault, a single accept loop over all of them, and one thread per TLS
connection (the handshake happens there, not in the accept loop) serving
HTTP/1.1 with keep-alive."""

import http.server
import json
import logging
import selectors
import socket
import ssl
import struct
import threading

from .util import request_id

log = logging.getLogger("ociemu")

MAX_BODY = 64 * 1024 * 1024
IDLE_TIMEOUT = 120


class Listener:
    def __init__(self, sock, kind, vault_id=None):
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.kind = kind  # 'main' or 'vault'
        self.vault_id = vault_id


class ConnState:
    def __init__(self):
        self.counted = False


class _Shim:
    """What BaseHTTPRequestHandler expects of a server."""

    def __init__(self, net, listener):
        self.net = net
        self.listener = listener


def _bind(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        s.listen(256)
    except OSError:
        s.close()
        raise
    s.setblocking(False)
    return s


class Network:
    def __init__(self, emu, ssl_ctx):
        self.emu = emu
        self.ctx = ssl_ctx
        self.sel = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.by_vault = {}
        self.listeners = []
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._stop = False
        self._thread = None

    def bind_main(self, port):
        lst = Listener(_bind(port), "main")
        self._add(lst)
        return lst.port

    def bind_vault(self, vault_id, port):
        """Listen for a vault, on `port` if possible (else a free one)."""
        with self.lock:
            cur = self.by_vault.get(vault_id)
            if cur is not None:
                return cur.port
        sock = None
        if port:
            try:
                sock = _bind(port)
            except OSError as e:
                log.warning("vault %s: cannot re-bind port %d (%s); using "
                            "a new port", vault_id, port, e)
        if sock is None:
            sock = _bind(0)
        lst = Listener(sock, "vault", vault_id)
        self._add(lst)
        return lst.port

    def _add(self, lst):
        with self.lock:
            self.listeners.append(lst)
            if lst.vault_id:
                self.by_vault[lst.vault_id] = lst
            self.sel.register(lst.sock, selectors.EVENT_READ, lst)
        self._wake_w.send(b"x")

    def start(self):
        self._thread = threading.Thread(target=self._accept_loop,
                                        name="accept", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop = True
        self._wake_w.send(b"x")
        if self._thread:
            self._thread.join(timeout=5)
        for lst in self.listeners:
            lst.sock.close()

    def _accept_loop(self):
        while not self._stop:
            for key, _ in self.sel.select(timeout=1.0):
                lst = key.data
                if lst is None:
                    try:
                        self._wake_r.recv(4096)
                    except BlockingIOError:
                        pass
                    continue
                while True:
                    try:
                        conn, addr = lst.sock.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as e:
                        log.warning("accept: %s", e)
                        break
                    conn.setblocking(True)
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    threading.Thread(target=self._serve_conn,
                                     args=(conn, addr, lst),
                                     daemon=True).start()

    def _serve_conn(self, conn, addr, lst):
        conn.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True,
                                       do_handshake_on_connect=False)
            tls.do_handshake()
        except (OSError, ssl.SSLError) as e:
            log.debug("TLS handshake from %s failed: %s", addr, e)
            conn.close()
            return
        try:
            Handler(tls, addr, _Shim(self, lst))
        except Exception as e:  # a dying client must not spam tracebacks
            log.debug("connection from %s: %s", addr, e)
        finally:
            try:
                tls.close()
            except OSError:
                pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ociemu"
    sys_version = ""
    timeout = IDLE_TIMEOUT

    def setup(self):
        super().setup()
        self.conn_state = ConnState()

    def log_message(self, fmt, *args):
        # The base class logs request lines, which may carry PAR tokens
        # (secrets); requests are logged by the emulator, redacted.
        pass

    def send_error(self, code, message=None, explain=None):
        """Malformed HTTP (bad request line, unsupported method, ...):
        the same JSON error shape as every other error."""
        codes = {400: "CannotParseRequest", 404: "NotFound",
                 405: "MethodNotAllowed", 501: "MethodNotImplemented"}
        self.close_connection = True
        body = json.dumps({"code": codes.get(code, "InvalidParameter"),
                           "message": message or
                           self.responses.get(code, ("Error",))[0]}).encode()
        if not hasattr(self, "command") or self.command is None:
            self.command = ""
        self._send_raw(code, [("Content-Type", "application/json"),
                              ("opc-request-id", request_id())], body)

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding")
        if te and te.lower() == "chunked":
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n",
                                                            b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        n = int(cl)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad content length")
        data = self.rfile.read(n)
        if len(data) != n:
            raise ConnectionError("short body")
        return data

    def _dispatch(self):
        try:
            body = self._read_body()
        except (ValueError, ConnectionError):
            self.close_connection = True
            self._send_raw(400, [("Content-Type", "application/json")],
                           b'{"code":"InvalidParameter","message":'
                           b'"Invalid request body framing."}')
            return
        headers = {}
        for k, v in self.headers.items():
            headers.setdefault(k.lower(), v)
        emu = self.server.net.emu
        resp, fault = emu.handle(self.server.listener, self.conn_state,
                                 self.command, self.path, headers, body)
        if fault == "reset":
            self._reset()
            return
        hdrs = list(resp.headers)
        if fault == "truncate":
            self.close_connection = True
            self._send_raw(resp.status, hdrs, resp.body, truncate=True)
            return
        self._send_raw(resp.status, hdrs, resp.body,
                       head_length=resp.head_length)

    def _reset(self):
        """Abortive close: RST, no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _send_raw(self, status, headers, body, head_length=None,
                  truncate=False):
        reason = self.responses.get(status, ("",))[0]
        out = ["HTTP/1.1 %d %s" % (status, reason),
               "Date: %s" % self.date_time_string()]
        for k, v in headers:
            out.append("%s: %s" % (k, v))
        if self.command == "HEAD":
            length = head_length if head_length is not None else 0
            payload = b""
        elif status in (204, 304):
            length = None
            payload = b""
        else:
            length = len(body)
            payload = body
        if length is not None:
            out.append("Content-Length: %d" % length)
        if self.close_connection:
            out.append("Connection: close")
        data = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1",
                                                      "replace")
        if truncate:
            payload = payload[:max(0, len(payload) // 2)]
        try:
            self.wfile.write(data + payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = \
        do_OPTIONS = _dispatch
