# SPDX-License-Identifier: MIT
"""Start and drive the OCI emulator (scripts/oci-emulator) from tests.

    with Emulator(backup_seconds=1) as emu:
        emu.endpoint, emu.state_dir, emu.ca, emu.config
        emu.admin("GET", "/_emulator/stats")
        c = emu.client()            # signed client, DEFAULT profile
        c.get(emu.endpoint + "/n")

The state directory is a fresh temporary one under $OVFS_TEST_TMP (or
the system temporary directory) unless `state_dir` is given; it is
removed by stop() only when it was created here and `keep` is false.
"""

import base64
import collections
import http.client
import json as jsonlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from urllib.parse import quote

from . import ocisign

SOURCE_ROOT = os.environ.get("OVFS_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
EMULATOR = os.path.join(SOURCE_ROOT, "scripts", "oci-emulator")
PYTHON = "/usr/bin/python3"


class EmulatorError(RuntimeError):
    pass


class AdminError(RuntimeError):
    def __init__(self, status, body):
        super().__init__("admin call failed: %d %s" % (status, body[:500]))
        self.status = status
        self.body = body


def scratch_dir(prefix="ovfs-emu-"):
    base = os.environ.get("OVFS_TEST_TMP") or None
    if base:
        os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=base)


class Emulator:
    """One emulator process.  Keyword arguments map onto the command line:
    port, tenancy, latency_ms, rate_limit, backup_seconds, faults,
    no_work_requests; `args` adds raw arguments."""

    def __init__(self, state_dir=None, port=0, tenancy=None, latency_ms=None,
                 rate_limit=None, backup_seconds=None, faults=None,
                 no_work_requests=False, args=(), start_timeout=60.0,
                 keep=False):
        self._own_dir = state_dir is None
        self.state_dir = os.path.abspath(state_dir or scratch_dir())
        self.keep = keep
        self.start_timeout = start_timeout
        argv = ["--state-dir", self.state_dir, "--port", str(port)]
        if tenancy is not None:
            argv += ["--tenancy", tenancy]
        if latency_ms is not None:
            argv += ["--latency-ms", str(latency_ms)]
        if rate_limit is not None:
            argv += ["--rate-limit", str(rate_limit)]
        if backup_seconds is not None:
            argv += ["--backup-seconds", str(backup_seconds)]
        if faults is not None:
            argv += ["--faults", faults]
        if no_work_requests:
            argv.append("--no-work-requests")
        self.argv = argv + list(args)
        self.proc = None
        self.endpoint = None
        self.startup_seconds = None
        self._stderr = collections.deque(maxlen=200)
        self._stderr_thread = None
        self._admin_conn = None
        self._admin_lock = threading.Lock()
        self._ssl = None

    # -- process -------------------------------------------------------

    def start(self):
        if self.proc is not None:
            raise EmulatorError("already started")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [PYTHON, EMULATOR] + self.argv, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        self._stderr_thread = threading.Thread(target=self._drain,
                                               daemon=True)
        self._stderr_thread.start()
        line = self._read_ready(t0 + self.start_timeout)
        if not line.startswith("ready https://"):
            self._fail("unexpected first line %r" % line)
        self.endpoint = line.split()[1]
        self.startup_seconds = time.monotonic() - t0
        self._ssl = ocisign.ssl_context(self.ca)
        return self

    def _drain(self):
        for raw in self.proc.stderr:
            self._stderr.append(raw.decode("utf-8", "replace").rstrip())

    def _read_ready(self, deadline):
        out = []

        def reader():
            out.append(self.proc.stdout.readline().decode().strip())
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(max(0.0, deadline - time.monotonic()))
        if not out:
            self.proc.kill()
            self._fail("no ready line within %.0f s" % self.start_timeout)
        if not out[0]:
            self.proc.wait(timeout=10)
            self._fail("exited with status %s" % self.proc.returncode)
        return out[0]

    def _fail(self, why):
        time.sleep(0.2)
        tail = "\n".join(list(self._stderr)[-30:])
        raise EmulatorError("oci-emulator %s; stderr tail:\n%s" % (why, tail))

    @property
    def stderr_tail(self):
        return "\n".join(self._stderr)

    def stop(self, remove=None):
        """SIGTERM and wait; returns the exit status."""
        rc = None
        if self._admin_conn is not None:
            self._admin_conn.close()
            self._admin_conn = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            rc = self.proc.returncode
            self.proc.stdout.close()
            self.proc = None
        if remove is None:
            remove = self._own_dir and not self.keep
        if remove:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        return rc

    def restart(self):
        """Stop (keeping the state) and start again on the same state."""
        self.stop(remove=False)
        return self.start()

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- files -----------------------------------------------------------

    @property
    def ca(self):
        return os.path.join(self.state_dir, "ca.pem")

    @property
    def config(self):
        return os.path.join(self.state_dir, "config")

    @property
    def port(self):
        return int(self.endpoint.rsplit(":", 1)[1])

    # -- admin API -------------------------------------------------------

    def admin(self, method, path, json=None, expect=(200,)):
        """Call the admin API; returns the decoded JSON.  Raises AdminError
        when the status is not in `expect` (None: accept any)."""
        body = jsonlib.dumps(json).encode() if json is not None else None
        with self._admin_lock:
            for attempt in (0, 1):
                if self._admin_conn is None:
                    host, port = self.endpoint[8:].split(":")
                    self._admin_conn = http.client.HTTPSConnection(
                        host, int(port), context=self._ssl, timeout=60)
                c = self._admin_conn
                try:
                    hdrs = {"Content-Type": "application/json"} if body \
                        else {}
                    c.request(method, path, body=body, headers=hdrs)
                    r = c.getresponse()
                    data = r.read()
                    break
                except (http.client.HTTPException, OSError):
                    c.close()
                    self._admin_conn = None
                    if attempt:
                        raise
        if expect is not None and r.status not in expect:
            raise AdminError(r.status, data.decode("utf-8", "replace"))
        return jsonlib.loads(data.decode()) if data else None

    def stats(self):
        return self.admin("GET", "/_emulator/stats")

    def reset_stats(self):
        return self.admin("POST", "/_emulator/stats/reset")

    def requests(self):
        """The last requests (at most 2000), oldest first: dicts of
        method, op, path (raw, PAR tokens redacted) and query (raw)."""
        return self.admin("GET", "/_emulator/requests")["requests"]

    def objects(self):
        return self.admin("GET", "/_emulator/objects")

    def workrequests(self):
        return self.admin("GET", "/_emulator/workrequests")

    def info(self):
        return self.admin("GET", "/_emulator/info")

    def create_par(self, bucket, obj=None, access_type="ObjectWrite",
                   expires_in=3600.0, time_expires=None):
        body = {"bucket": bucket, "accessType": access_type}
        if obj is not None:
            body["object"] = obj
        if time_expires is not None:
            body["timeExpires"] = time_expires
        else:
            body["expiresInSeconds"] = expires_in
        return self.admin("POST", "/_emulator/pars", body)

    def faults(self, rules, replace=True):
        """rules: list of dicts (op, kind, prob, count, when)."""
        return self.admin("POST", "/_emulator/faults",
                          {"rules": rules, "replace": replace})

    def list_faults(self):
        return self.admin("GET", "/_emulator/faults")["rules"]

    def clear_faults(self):
        return self.admin("DELETE", "/_emulator/faults")

    def reset(self):
        return self.admin("POST", "/_emulator/reset")

    def get_config(self):
        return self.admin("GET", "/_emulator/config")

    def set_config(self, **changes):
        """backupSeconds, latencyMs, rateLimit, workRequests."""
        return self.admin("POST", "/_emulator/config", changes)

    # -- mutations (admin API) ---------------------------------------------

    def get_key(self, key_id):
        """A key in any state, with `versions` (publicKey once made)."""
        return self.admin("GET", "/_emulator/keys/" + quote(key_id, safe=""))

    def update_key(self, key_id, **fields):
        """displayName, lifecycleState."""
        return self.admin("POST", "/_emulator/keys/" +
                          quote(key_id, safe=""), fields)

    def delete_key(self, key_id):
        """Remove a key entirely (GetKey then 404): ready to be restored."""
        return self.admin("DELETE", "/_emulator/keys/" +
                          quote(key_id, safe=""))

    def update_vault(self, vault_id, **fields):
        """displayName, lifecycleState (the keys are left alone)."""
        return self.admin("POST", "/_emulator/vaults/" +
                          quote(vault_id, safe=""), fields)

    def delete_vault(self, vault_id):
        """The vault and all its keys become DELETED (as OCI at the end of
        a vault deletion): ready to be restored.  Returns {"deleted",
        "keys": [key OCIDs]}."""
        return self.admin("DELETE", "/_emulator/vaults/" +
                          quote(vault_id, safe=""))

    def _object_path(self, bucket, name):
        return "/_emulator/objects/%s/%s" % (quote(bucket, safe=""),
                                             quote(name, safe=""))

    def get_object(self, bucket, name):
        """The bytes of an object (AdminError 404 if absent)."""
        rec = self.admin("GET", self._object_path(bucket, name))
        return base64.b64decode(rec["content"])

    def put_object(self, bucket, name, data,
                   content_type="application/octet-stream"):
        """Store arbitrary bytes as an object (e.g. a damaged backup);
        returns its record (namespace, bucket, name, size, md5, etag)."""
        return self.admin("PUT", self._object_path(bucket, name),
                          {"content": base64.b64encode(data).decode(),
                           "contentType": content_type})

    def delete_object(self, bucket, name):
        return self.admin("DELETE", self._object_path(bucket, name))

    def register_user(self, public_pem, **kw):
        body = {"publicKey": public_pem}
        body.update(kw)
        return self.admin("POST", "/_emulator/users", body)

    def new_session(self, **kw):
        """POST /_emulator/sessions: {"token", "exp"} of a new session
        (ttl=, publicKey=, user=, access=; docs/emulator.md)."""
        return self.admin("POST", "/_emulator/sessions", kw)

    def expire_session(self, token):
        """The service ends the session of `token` (its JWT unchanged)."""
        return self.admin("POST", "/_emulator/sessions/expire",
                          {"token": token})

    # -- signed clients ----------------------------------------------------

    def signer(self, profile="DEFAULT"):
        return ocisign.Signer.from_config(self.config, profile)

    def client(self, profile="DEFAULT"):
        return ocisign.OciClient(self.signer(profile), ssl_ctx=self._ssl)

    def vault_endpoint(self, vault_id):
        for v in self.info()["vaults"]:
            if v["id"] == vault_id:
                return v["managementEndpoint"]
        raise KeyError(vault_id)
