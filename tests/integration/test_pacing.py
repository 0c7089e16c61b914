# SPDX-License-Identifier: MIT
"""Pacing and shared lookups under concurrency: the first backups of a
mount, written at once, share one GetNamespace (single flight), also when
that lookup fails; the KMS calls stay under the service's throttle."""

import subprocess

from fsutil import (DEV_PRIVATE_KEYS, PAYMENTS_KEYS, PROD_ELIGIBLE,
                    calls_since, prod_key, q, requests, run)

# Ten backup-eligible keys of the sample tenancy (docs/sample-tenancy.md),
# in three vaults.
ELIGIBLE = [prod_key(k) for k in PROD_ELIGIBLE] + [
    PAYMENTS_KEYS + "/card-data", PAYMENTS_KEYS + "/signing-ec",
    DEV_PRIVATE_KEYS + "/test-key"]

# The lookup is slow enough that every writer asks while it is in flight.
SLOW_NAMESPACE = {"op": "GetNamespace", "kind": "delay:0.5",
                  "when": "before", "count": 1}


def write_all(m, keys, text="backups"):
    """`echo TEXT > KEY/backup` for every key at once; [(rc, stderr)]."""
    procs = [subprocess.Popen(
        ["sh", "-c", "echo %s > %s" % (q(text), q(m.path(k, "backup")))],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for k in keys]
    out = []
    for p in procs:
        out.append((p.wait(timeout=120), p.stderr.read()))
        p.stderr.close()
    return out


def warm(m, keys):
    """Resolve the key directories first (without reading `backup`,
    whose help text names the namespace)."""
    for k in keys:
        assert run(["ls", m.path(k)]).rc == 0


def test_concurrent_first_backups_share_one_getnamespace(mount, emulator):
    assert len(ELIGIBLE) == 10
    m = mount()
    warm(m, ELIGIBLE)
    emulator.faults([SLOW_NAMESPACE])
    before = requests(emulator)
    results = write_all(m, ELIGIBLE)
    assert all(rc == 0 for rc, _ in results), results
    calls = calls_since(emulator, before)
    assert calls.get("GetNamespace") == 1, calls
    assert calls.get("BackupKey") == len(ELIGIBLE), calls
    # Cached from now on.
    assert run(["cat", m.path(ELIGIBLE[0], "backup")]).rc == 0
    assert requests(emulator).get("GetNamespace") == 1
    assert emulator.stats()["throttled"] == 0


def test_failed_lookup_is_shared_then_retried(mount, emulator,
                                              register_output):
    """A failing lookup fails every writer that waited for it, with one
    call; the next writer looks it up again."""
    register_output(r"ServiceUnavailable|GetNamespace|backup of key")
    m = mount("retries=1")
    warm(m, ELIGIBLE)
    emulator.faults([SLOW_NAMESPACE,
                     {"op": "GetNamespace", "kind": "503", "when": "after",
                      "count": 1}])
    before = requests(emulator)
    results = write_all(m, ELIGIBLE[:6])
    assert all(rc != 0 for rc, _ in results), results
    calls = calls_since(emulator, before)
    assert calls.get("GetNamespace") == 1, calls
    assert "BackupKey" not in calls, calls

    results = write_all(m, ELIGIBLE[6:])
    assert all(rc == 0 for rc, _ in results), results
    calls = calls_since(emulator, before)
    assert calls.get("GetNamespace") == 2, calls
    assert calls.get("BackupKey") == len(ELIGIBLE) - 6, calls
