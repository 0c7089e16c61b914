# SPDX-License-Identifier: MIT
"""The backup side of outages (issue 8, point 2): a write to `backup`
during an outage fails within its budget (`write_timeout=`) with the
errno of the outage, or EINTR on a signal; a backup in flight survives an
outage of any length and is never started twice; `status` shows a
failing poll at once (`trouble:`) and publishes the outcome promptly once
the back end answers; and two mounts of one tenancy writing one key make
one object, the losing mount following the other's backup as
`origin: elsewhere` instead of reporting a failure.

Each test runs its own emulator (emulator_factory), since it stops,
freezes or restarts it.  Figures (elapsed times) are printed, not
asserted, except for generous bounds."""

import errno
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import SLOW
from fsutil import (KEYS, RFC3339, assert_errno, bash, check_status,
                    prod_key, q, run, wait_until)

KEY = prod_key("payments-master")
KEY2 = prod_key("hr-master")
REFUSED_LOG = r"^ocivaultfs: warning: backup of key '[^']+' refused: "
RETRY_LOG = r"^ocivaultfs: info: .*retrying in"


def write(m, key, text, timeout=120):
    return bash("echo %s > %s" % (q(text), q(m.path(key, "backup"))),
                timeout=timeout)


def status(m, key):
    r = run(["cat", m.path(key, "status")], timeout=10)
    assert r.rc == 0, r
    return check_status(r.out)


def warm(m, *keys):
    for k in keys or (KEY,):
        assert run(["ls", m.path(k)]).rc == 0


def objects(emu, bucket="backups"):
    return [o for o in emu.objects()
            if o.get("bucket", o.get("bucketName")) == bucket]


def object_names(emu, bucket="backups"):
    return sorted(o.get("name", o.get("object")) for o in objects(emu, bucket))


def freeze(emu):
    emu.proc.send_signal(signal.SIGSTOP)


def thaw(emu):
    emu.proc.send_signal(signal.SIGCONT)


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(backup_seconds=1)


def allow_outage_logs(register_output):
    register_output(REFUSED_LOG)
    register_output(r"^ocivaultfs: (warning|info|error): ")


# -- writes during an outage -----------------------------------------------

def test_write_while_down_is_econnrefused_within_budget(
        emu, mount, register_output):
    """Nothing listens: the write fails with ECONNREFUSED once its next
    retry would pass write_timeout (30 s): after about 15 s of retries."""
    allow_outage_logs(register_output)
    m = mount("write_timeout=30", emu=emu)
    warm(m)
    ns = emu.info()["namespace"]
    emu.stop(remove=False)
    try:
        r = write(m, KEY, "oci://backups@%s/down.bak" % ns)
        print("write while the back end is down: %.1f s" % r.elapsed)
        assert_errno(r, errno.ECONNREFUSED)
        assert r.elapsed < 45 * SLOW, r
        d = status(m, KEY)
        assert d["state"] == "failed", d
        assert d["errno"] == "ECONNREFUSED", d
        assert d["error"].startswith("connection refused: "), d
        # status answers at once during the outage
        t0 = time.monotonic()
        status(m, KEY)
        assert time.monotonic() - t0 < 5
    finally:
        emu.start()
    # Back up again: the same key can be backed up at once.
    r = write(m, KEY, "oci://backups@%s/up.bak" % ns)
    assert r.rc == 0, r
    r = run(["cat", m.path(KEY, "wait")], timeout=60)
    assert r.rc == 0, r
    assert object_names(emu) == ["up.bak"]


def test_write_into_a_black_hole_is_etimedout(emu, mount, register_output):
    """The back end accepts connections but never answers (SIGSTOP): the
    write ends with ETIMEDOUT at write_timeout, not after the retry chain
    of 60 s timeouts."""
    allow_outage_logs(register_output)
    m = mount("write_timeout=5", emu=emu)
    warm(m)
    ns = emu.info()["namespace"]
    freeze(emu)
    try:
        r = write(m, KEY, "oci://backups@%s/hole.bak" % ns)
        print("write into a black hole (write_timeout=5): %.1f s" %
              r.elapsed)
        assert_errno(r, errno.ETIMEDOUT)
        assert r.elapsed < 20 * SLOW, r
        d = status(m, KEY)
        assert d["state"] == "failed", d
        assert d["errno"] == "ETIMEDOUT", d
        assert d["error"].startswith("timeout: "), d
    finally:
        thaw(emu)
    assert object_names(emu) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_signal_ends_a_blocked_write(sig, emu, mount, register_output):
    """A signal to the writer ends the write at once (FUSE interrupt),
    also SIGKILL (the writer must not stay in D state)."""
    allow_outage_logs(register_output)
    m = mount("write_timeout=120", emu=emu)
    warm(m)
    ns = emu.info()["namespace"]
    freeze(emu)
    try:
        p = subprocess.Popen(
            ["bash", "-c", "echo %s > %s" % (
                q("oci://backups@%s/sig.bak" % ns),
                q(m.path(KEY, "backup")))],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        wait_until(lambda: status(m, KEY)["state"] == "submitting",
                   what="the write is submitting")
        t0 = time.monotonic()
        p.send_signal(sig)
        rc = p.wait(timeout=30)
        elapsed = time.monotonic() - t0
        print("%s to a blocked writer: gone after %.2f s" %
              (signal.Signals(sig).name, elapsed))
        assert rc != 0
        assert elapsed < 10 * SLOW
        d = wait_until(lambda: (lambda d: d["state"] == "failed" and d)(
            status(m, KEY)), what="the write's end recorded")
        assert d["errno"] == "EINTR", d
    finally:
        thaw(emu)
    assert object_names(emu) == []


# -- a backup in flight across an outage ------------------------------------

def test_backup_in_flight_survives_outage(emulator_factory, mount,
                                          register_output):
    """Stop the back end mid-backup for longer than a poll's whole retry
    budget, restart it: the backup ends succeeded with exactly one
    object; a second write meanwhile is EBUSY; `status` shows the trouble
    while it lasts."""
    allow_outage_logs(register_output)
    emu = emulator_factory(backup_seconds=4)
    outage = float(os.environ.get("OVFS_OUTAGE_SECONDS", "30"))
    m = mount(emu=emu)
    warm(m)
    r = write(m, KEY, "backups")
    assert r.rc == 0, r
    d = status(m, KEY)
    assert d["state"] in ("accepted", "in_progress"), d
    obj = d["object"]
    emu.stop(remove=False)
    try:
        d = wait_until(lambda: (lambda d: "trouble" in d and d)(
            status(m, KEY)), timeout=30 * SLOW, what="trouble shown")
        print("trouble during the outage: %s" % d["trouble"])
        assert re.fullmatch(r"ECONNREFUSED since %s, \d+ failed attempts?: "
                            r"(GetWorkRequest|ListObjects|HeadObject): "
                            r"connection refused: .+" % RFC3339,
                            d["trouble"]), d
        assert d["state"] in ("accepted", "in_progress"), d
        r = write(m, KEY, "backups")
        assert_errno(r, errno.EBUSY)
        assert r.elapsed < 5 * SLOW, r
        time.sleep(outage)  # the outage itself, not a wait for a condition
        d = status(m, KEY)
        assert d["state"] in ("accepted", "in_progress"), d
        assert "trouble" in d, d
        r = write(m, KEY, "backups")
        assert_errno(r, errno.EBUSY)
    finally:
        emu.start()
    t0 = time.monotonic()
    r = run(["cat", m.path(KEY, "wait")], timeout=120)
    print("outcome published %.1f s after the restart" %
          (time.monotonic() - t0))
    assert r.rc == 0, r
    d = check_status(r.out)
    assert d["state"] == "succeeded", d
    assert "trouble" not in d, d
    assert d["object"] == obj
    assert len(objects(emu)) == 1, emu.objects()
    # After the outcome, a new backup is allowed again (one more object).
    r = write(m, KEY, "backups/again.bak")
    assert r.rc == 0, r
    assert run(["cat", m.path(KEY, "wait")], timeout=60).rc == 0
    assert len(objects(emu)) == 2, emu.objects()
