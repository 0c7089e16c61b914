# SPDX-License-Identifier: MIT
"""The emulator's state and its persistence.

Everything lives in one dict (`State.d`) guarded by `State.lock`; it is
written to DIR/state.json atomically (temp + rename), debounced by a
background thread and once more on shutdown.  Object contents live in
DIR/objects/<file>, written when the object is.

Resource records hold the public JSON fields of the resource plus
internal fields whose names start with '_' (never sent).
"""

import json
import logging
import os
import secrets
import threading
import time

from . import tenancy, util

FORMAT = 1
log = logging.getLogger("ociemu")


def public(rec):
    """The API view of a record: no internal fields, no nulls."""
    return {k: v for k, v in rec.items()
            if not k.startswith("_") and v is not None}


class State:
    def __init__(self, state_dir):
        self.dir = os.path.abspath(state_dir)
        self.path = os.path.join(self.dir, "state.json")
        self.objdir = os.path.join(self.dir, "objects")
        self.lock = threading.RLock()
        self.d = None
        self._dirty = False
        self._cond = threading.Condition()
        self._stop = False
        self._thread = None

    # ------------------------------------------------------------------
    # lifecycle

    def exists(self):
        return os.path.exists(self.path)

    def load(self):
        with open(self.path, "rb") as f:
            d = json.loads(f.read().decode("utf-8"))
        if d.get("format") != FORMAT:
            raise ValueError("%s: unsupported state format" % self.path)
        self.d = d

    def create(self, spec):
        os.makedirs(self.objdir, exist_ok=True)
        d = {
            "format": FORMAT,
            "namespace": util.random_lower(12),
            "secret": secrets.token_hex(32),
            "users": {},
            "sessions": {},
        }
        d.update(self._fresh(spec))
        self.d = d
        self.save()

    @staticmethod
    def _fresh(spec):
        t = tenancy.build(spec)
        t.update({"objects": {}, "pars": {}, "workRequests": {},
                  "retryTokens": {}})
        return t

    def reset(self):
        """Back to the initial tenancy; keeps namespace, secret, users and
        the vault ports."""
        with self.lock:
            ports = {vid: v["_port"] for vid, v in self.d["vaults"].items()}
            for obj in self.d["objects"].values():
                self._unlink(obj.get("_file"))
            fresh = self._fresh(self.d["tenancySpec"])
            for vid, v in fresh["vaults"].items():
                v["_port"] = ports.get(vid, 0)
            self.d.update(fresh)
            self.mark()

    def start(self):
        os.makedirs(self.objdir, exist_ok=True)
        self._thread = threading.Thread(target=self._persister,
                                        name="persist", daemon=True)
        self._thread.start()

    def stop(self):
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout=10)
        self.save()

    # ------------------------------------------------------------------
    # persistence

    def mark(self):
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    def save(self):
        with self.lock:
            with self._cond:
                self._dirty = False
            raw = json.dumps(self.d, ensure_ascii=False,
                             separators=(",", ":")).encode("utf-8")
        util.atomic_write(self.path, raw, 0o600)

    def _persister(self):
        while True:
            with self._cond:
                while not self._dirty and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
            # Debounce: coalesce bursts of changes into one write.
            time.sleep(0.3)
            try:
                self.save()
            except OSError as e:
                log.error("cannot save state: %s", e)
                time.sleep(1)

    # ------------------------------------------------------------------
    # objects

    def _unlink(self, name):
        if name:
            try:
                os.unlink(os.path.join(self.objdir, name))
            except FileNotFoundError:
                pass

    @staticmethod
    def object_key(bucket, name):
        return bucket + "/" + name

    def get_object(self, bucket, name):
        return self.d["objects"].get(self.object_key(bucket, name))

    def read_object(self, obj):
        with open(os.path.join(self.objdir, obj["_file"]), "rb") as f:
            return f.read()

    def put_object(self, bucket, name, data, content_type=None,
                   key_id=None):
        """Store an object (caller holds the lock); returns its record."""
        import hashlib
        fname = secrets.token_hex(16)
        util.atomic_write(os.path.join(self.objdir, fname), data, 0o600)
        k = self.object_key(bucket, name)
        old = self.d["objects"].get(k)
        t = util.now()
        rec = {
            "namespace": self.d["namespace"],
            "bucket": bucket,
            "name": name,
            "size": len(data),
            "md5": util.b64(hashlib.md5(data).digest()),
            "etag": "%s-%s-%s-%s-%s" % tuple(
                secrets.token_hex(n) for n in (4, 2, 2, 2, 6)),
            "timeCreated": old["timeCreated"] if old else util.rfc3339(t),
            "_mtime": t,
            "contentType": content_type or "application/octet-stream",
            "keyId": key_id,
            "_file": fname,
        }
        self.d["objects"][k] = rec
        if old:
            self._unlink(old.get("_file"))
        self.mark()
        return rec

    def delete_object(self, bucket, name):
        """Remove an object (caller holds the lock); False if absent."""
        obj = self.d["objects"].pop(self.object_key(bucket, name), None)
        if obj is None:
            return False
        self._unlink(obj.get("_file"))
        self.mark()
        return True

    def delete_bucket_objects(self, bucket):
        for k in [k for k, o in self.d["objects"].items()
                  if o["bucket"] == bucket]:
            self._unlink(self.d["objects"][k].get("_file"))
            del self.d["objects"][k]
        self.mark()
