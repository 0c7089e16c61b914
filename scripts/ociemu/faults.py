# SPDX-License-Identifier: MIT
"""Fault injection rules.

A rule: op (OCI operation name or '*'), kind (429, 500, 503, reset,
delay:N, truncate, corrupt: the request body's last byte is flipped once
the signature was checked, as if damaged on the service's side, so that
a content-md5 no longer matches), prob (0..1, default 1), count (fire for the next N
matching calls, default unlimited), when (before|after, default before).
CLI grammar: rules separated by ';', each a comma-separated list of
key=value, e.g. 'op=BackupKey,kind=503,count=1,when=after'.
"""

import random
import threading

OPERATIONS = {
    "GetTenancy", "ListCompartments", "GetCompartment", "ListVaults",
    "GetVault", "BackupVault", "RestoreVaultFromObjectStore",
    "RestoreVaultFromFile", "ListKeys", "GetKey", "ListKeyVersions",
    "GetKeyVersion", "BackupKey", "RestoreKeyFromObjectStore",
    "RestoreKeyFromFile", "GetWorkRequest", "ListWorkRequests",
    "ListWorkRequestErrors", "ListWorkRequestLogs", "GetNamespace",
    "ListBuckets", "HeadObject", "GetObject", "PutObject", "ListObjects",
    "ParPut", "ParGet", "*",
}


class FaultError(ValueError):
    pass


def parse_kind(kind):
    """Normalise a kind; returns (kind string, delay seconds or None)."""
    kind = str(kind).strip()
    if kind in ("429", "500", "503", "reset", "truncate", "corrupt"):
        return kind, None
    if kind.startswith("delay:"):
        try:
            secs = float(kind[6:])
        except ValueError:
            raise FaultError("bad delay in fault kind %r" % kind) from None
        if secs < 0 or secs > 3600:
            raise FaultError("delay out of range in %r" % kind)
        return kind, secs
    raise FaultError("unknown fault kind %r (429, 500, 503, reset, "
                     "delay:N, truncate, corrupt)" % kind)


class Rule:
    def __init__(self, op, kind, prob=None, count=None, when="before"):
        if op not in OPERATIONS:
            raise FaultError("unknown operation %r" % (op,))
        self.op = op
        self.kind, self.delay = parse_kind(kind)
        if prob is None:
            prob = 1.0
        try:
            self.prob = float(prob)
        except (TypeError, ValueError):
            raise FaultError("bad prob %r" % (prob,)) from None
        if not 0.0 <= self.prob <= 1.0:
            raise FaultError("prob must be within 0..1")
        if count is not None:
            if isinstance(count, bool):
                raise FaultError("bad count %r" % (count,))
            try:
                count = int(count)
            except (TypeError, ValueError):
                raise FaultError("bad count %r" % (count,)) from None
            if count < 1:
                raise FaultError("count must be >= 1")
        self.count = count
        if when not in ("before", "after"):
            raise FaultError("when must be 'before' or 'after'")
        self.when = when
        self.fired = 0

    def to_json(self):
        return {"op": self.op, "kind": self.kind, "prob": self.prob,
                "count": self.count, "when": self.when, "fired": self.fired}

    @classmethod
    def from_json(cls, d):
        if not isinstance(d, dict):
            raise FaultError("a rule must be an object")
        unknown = set(d) - {"op", "kind", "prob", "count", "when"}
        if unknown:
            raise FaultError("unknown rule keys: %s"
                             % ", ".join(sorted(unknown)))
        if "op" not in d or "kind" not in d:
            raise FaultError("a rule needs 'op' and 'kind'")
        return cls(d["op"], d["kind"], d.get("prob"), d.get("count"),
                   d.get("when") or "before")


def parse_spec(spec):
    """Parse the --faults grammar into a list of Rule."""
    rules = []
    for part in spec.split(";"):
        part = part.strip()
        if not part:
            continue
        d = {}
        for item in part.split(","):
            item = item.strip()
            if not item:
                continue
            k, sep, v = item.partition("=")
            if not sep:
                raise FaultError("expected key=value, got %r" % item)
            k = k.strip()
            if k in d:
                raise FaultError("duplicate key %r" % k)
            d[k] = v.strip()
        rules.append(Rule.from_json(d))
    return rules


class Faults:
    def __init__(self, rules=None, rng=None):
        self._lock = threading.Lock()
        self._rules = list(rules or [])
        self._rng = rng or random.Random()

    def set(self, rules, replace=True):
        with self._lock:
            if replace:
                self._rules = list(rules)
            else:
                self._rules.extend(rules)

    def clear(self):
        with self._lock:
            self._rules = []

    def list(self):
        with self._lock:
            return [r.to_json() for r in self._rules]

    def pick(self, op, when):
        """The rule that fires for this call at this point, or None.  A
        rule whose count is used up is removed."""
        with self._lock:
            for r in self._rules:
                if r.when != when or (r.op != "*" and r.op != op):
                    continue
                if r.prob < 1.0 and self._rng.random() >= r.prob:
                    continue
                r.fired += 1
                if r.count is not None:
                    r.count -= 1
                    if r.count == 0:
                        self._rules.remove(r)
                return r
        return None
