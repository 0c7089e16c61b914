# SPDX-License-Identifier: MIT
"""Per-tenancy, per-category token buckets (OCI's KMS throttling)."""

import threading
import time

# Same categories as the C client's include/ratelimit.h.
CATEGORIES = {
    "GetKey": "management-read",
    "ListKeys": "management-read",
    "ListKeyVersions": "management-read",
    "GetKeyVersion": "management-read",
    "BackupKey": "management-write",
    "RestoreKeyFromObjectStore": "management-write",
    "RestoreKeyFromFile": "management-write",
    "GetVault": "provisioning-read",
    "ListVaults": "provisioning-read",
    "BackupVault": "provisioning-write",
    "RestoreVaultFromObjectStore": "provisioning-write",
    "RestoreVaultFromFile": "provisioning-write",
}


class Throttle:
    """Capacity = rate tokens, continuous refill at `rate` per second.
    A rate of 0 means unlimited."""

    def __init__(self, rate, clock=time.monotonic):
        self._lock = threading.Lock()
        self._rate = float(rate)
        self._clock = clock
        self._buckets = {}  # (tenancy, category) -> [tokens, last]

    @property
    def rate(self):
        return self._rate

    def set_rate(self, rate):
        with self._lock:
            self._rate = float(rate)
            self._buckets.clear()

    def reset(self):
        with self._lock:
            self._buckets.clear()

    def allow(self, tenancy, op):
        """True if the call may proceed (a token was taken)."""
        cat = CATEGORIES.get(op)
        if cat is None:
            return True
        with self._lock:
            rate = self._rate
            if rate <= 0:
                return True
            t = self._clock()
            b = self._buckets.get((tenancy, cat))
            if b is None:
                b = [rate, t]
                self._buckets[(tenancy, cat)] = b
            b[0] = min(rate, b[0] + (t - b[1]) * rate)
            b[1] = t
            if b[0] >= 1.0:
                b[0] -= 1.0
                return True
            return False
