# SPDX-License-Identifier: MIT
"""`wait`: blocks while a backup is in flight and returns the final status;
fails with EIO for a failed backup; returns at once when nothing is in
flight; Ctrl-C interrupts it promptly."""

import errno
import signal
import subprocess
import time

import pytest

from conftest import SLOW
from fsutil import assert_errno, bash, check_status, prod_key, q, run

KEY = prod_key("payments-master")


def test_wait_for_success(mnt, emulator):
    emulator.set_config(backupSeconds=2)
    f = q(mnt.path(KEY, "backup"))
    w = q(mnt.path(KEY, "wait"))
    t0 = time.monotonic()
    r = bash("echo backups/sync.bak > %s && cat %s" % (f, w))
    assert r.rc == 0, r
    assert time.monotonic() - t0 >= 2  # it did wait for the backup
    d = check_status(r.out)
    assert d["state"] == "succeeded", d
    # The final status, as `status` shows it now.
    assert run(["cat", mnt.path(KEY, "status")]).out == r.out
    assert [o["name"] for o in emulator.objects()] == ["sync.bak"]


def test_wait_for_failure(mnt, emulator):
    f = q(mnt.path(KEY, "backup"))
    w = q(mnt.path(KEY, "wait"))
    # Accepted, then failed by the service: an expired PAR.
    url = emulator.create_par("backups", "late.bak", expires_in=-60)["fullUrl"]
    r = bash("echo %s > %s && cat %s" % (q(url), f, w))
    assert_errno(r, errno.EIO)
    assert r.out == ""
    d = check_status(run(["cat", mnt.path(KEY, "status")]).out)
    assert d["state"] == "failed" and d["errno"] == "EIO", d
    # Opened after the failure: still EIO, at once.
    r = run(["cat", mnt.path(KEY, "wait")])
    assert_errno(r, errno.EIO)
    assert r.elapsed < 2 * SLOW
    # A refused write is a failure too.
    r = bash("echo 'bad bucket' > %s; cat %s" % (f, w))
    assert_errno(r, errno.EIO)


def test_wait_with_nothing_in_flight(mnt):
    r = run(["cat", mnt.path(KEY, "wait")])
    assert r.rc == 0, r
    assert r.out == "state: none\nkey_state: ENABLED\neligible: yes\n"
    assert r.elapsed < 2 * SLOW
    r = run(["cat", mnt.path(prod_key("soft-key"), "wait")])
    assert r.rc == 0 and "eligible: no, " in r.out, r


@pytest.mark.parametrize("reader", [
    ["cat"],
    # dd catches SIGINT and retries an interrupted read only if the
    # filesystem answered the FUSE interrupt; it ends either way.
    ["dd", "status=none", "bs=4096"],
])
def test_ctrl_c_interrupts_wait(reader, mnt, emulator):
    emulator.set_config(backupSeconds=20)
    r = bash("echo backups > " + q(mnt.path(KEY, "backup")))
    assert r.rc == 0, r
    argv = reader + ([mnt.path(KEY, "wait")] if reader[0] == "cat"
                     else ["if=" + mnt.path(KEY, "wait")])
    # Twice: an interrupted wait leaves `wait` usable.
    for _ in range(2):
        p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            assert p.poll() is None, "wait did not block"
            t0 = time.monotonic()
            p.send_signal(signal.SIGINT)
            p.wait(timeout=10 * SLOW)
            elapsed = time.monotonic() - t0
        finally:
            if p.poll() is None:
                p.kill()
            out, err = p.communicate()
        assert p.returncode != 0
        assert out == ""
        assert elapsed < 2 * SLOW, elapsed
        # The backup goes on.
        d = check_status(run(["cat", mnt.path(KEY, "status")]).out)
        assert d["state"] in ("accepted", "in_progress"), d


def test_many_waiters(mnt, emulator):
    emulator.set_config(backupSeconds=2)
    r = bash("echo backups > " + q(mnt.path(KEY, "backup")))
    assert r.rc == 0, r
    procs = [subprocess.Popen(["cat", mnt.path(KEY, "wait")],
                              stdout=subprocess.PIPE, text=True)
             for _ in range(10)]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outs)) == 1 and "state: succeeded\n" in outs[0]
