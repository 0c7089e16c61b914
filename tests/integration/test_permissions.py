# SPDX-License-Identifier: MIT
"""Permissions that hold (issue 8, point 5): `default_permissions` is
always on, so with `-o allow_other` another user may read what the modes
allow (directories 0555, read-only files 0444) and nothing else: it cannot
write or read `backup` (0600, the mounting user's), so it cannot start a
backup, and the emulator sees no call for its attempts.

The second user is uid/gid 65534 (nobody), through setpriv(1).  Its
commands run with the mount point as their working directory and relative
paths, so that the test's scratch directories (mode 0700) need not be
opened to it."""

import errno
import os
import shutil

import pytest

from fsutil import (KEYS, PROD_KEYS, assert_errno, bash, calls_since,
                    prod_key, q, requests, run, wait_until)

NOBODY = 65534
KEY = prod_key("payments-master")

pytestmark = pytest.mark.skipif(
    os.getuid() != 0 or not shutil.which("setpriv"),
    reason="needs root (allow_other without /etc/fuse.conf, setpriv)")


def as_nobody(m, script, timeout=60):
    """Run `script` with sh as uid/gid 65534, in the mount point."""
    return run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                "--clear-groups", "sh", "-c", script], cwd=m.mnt,
               timeout=timeout)


def mount_options(m):
    """The FUSE mount's options, as /proc/self/mountinfo shows them."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] == m.mnt:
                sep = fields.index("-")
                return set(fields[5].split(",")) | \
                    set(fields[sep + 3].split(","))
    raise AssertionError("%s is not mounted" % m.mnt)


def test_default_permissions_always_on(mount):
    m = mount()
    assert "default_permissions" in mount_options(m)
    m2 = mount("default_permissions")  # given by the user: still fine
    assert "default_permissions" in mount_options(m2)


def test_other_user_reads_but_cannot_back_up(mount, emulator,
                                            register_output):
    m = mount("allow_other")
    assert "allow_other" in mount_options(m)
    assert run(["ls", m.path(KEY)]).rc == 0  # warm the listings
    st = os.stat(m.path(KEY, "backup"))
    assert st.st_mode & 0o777 == 0o600 and st.st_uid == os.getuid()

    before = requests(emulator)
    # What the modes allow: listing, stat, reading the read-only files.
    r = as_nobody(m, "ls %s" % q(KEY))
    assert r.rc == 0, r
    assert "backup" in r.out.split() and "status" in r.out.split(), r
    r = as_nobody(m, "cat %s/status" % q(KEY))
    assert r.rc == 0 and r.out.startswith("state: none\n"), r
    r = as_nobody(m, "cat %s/id" % q(KEY))
    assert r.rc == 0 and r.out == KEYS["payments-master"] + "\n", r
    r = as_nobody(m, "stat -c %%a %s/backup" % q(KEY))
    assert r.rc == 0 and r.out == "600\n", r

    # What they do not: every way into `backup`.
    attempts = {
        "echo backups > %s/backup": errno.EACCES,
        "printf backups >> %s/backup": errno.EACCES,
        "cat %s/backup": errno.EACCES,
        "touch %s/backup": errno.EACCES,
        "truncate -s 0 %s/backup": errno.EACCES,
        "chmod 666 %s/backup": errno.EPERM,
        "echo x > %s/status": errno.EACCES,
    }
    for script, code in attempts.items():
        r = as_nobody(m, script % q(KEY))
        assert_errno(r, code)
    # Nothing reached OCI: no namespace lookup, object check or BackupKey
    # (the reads above are served from the listings already fetched).
    assert calls_since(emulator, before) == {}, calls_since(emulator, before)
    st = emulator.stats()
    assert st["requests"].get("BackupKey", 0) == 0
    assert st["backups"]["started"] == 0
    r = run(["cat", m.path(KEY, "status")])
    assert r.rc == 0 and r.out.startswith("state: none\n"), r

    # The mounting user still can: the test can tell the two apart.
    r = bash("echo backups > %s" % q(m.path(KEY, "backup")))
    assert r.rc == 0, r
    assert emulator.stats()["requests"].get("BackupKey", 0) == 1
    wait_until(lambda: run(["cat", m.path(KEY, "status")]).out
               .startswith("state: succeeded"), what="backup succeeded")
    # And the other user sees the outcome, read-only.
    r = as_nobody(m, "cat %s/status" % q(KEY))
    assert r.rc == 0 and r.out.startswith("state: succeeded\n"), r
    r = as_nobody(m, "cat .ocivaultfs/backups")
    assert r.rc == 0 and r.out.startswith("succeeded\t100%\t" + KEY + "\t"), r


def test_other_user_shut_out_without_allow_other(mount):
    m = mount()
    r = as_nobody(m, "ls %s" % q(PROD_KEYS))
    assert_errno(r, errno.EACCES)
    r = as_nobody(m, "echo backups > %s/backup" % q(KEY))
    assert_errno(r, errno.EACCES)
