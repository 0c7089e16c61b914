# SPDX-License-Identifier: MIT
"""Nothing can be created, removed, renamed or re-permissioned; writes to
anything but `backup` fail.  Each refusal is EACCES or EPERM as documented,
fast, and costs no API call.  statfs answers."""

import errno
import os

import pytest

from fsutil import (PROD, PROD_KEYS, PROD_VAULT, assert_errno, bash,
                    calls_since, prod_key, requests, run)

KEY = prod_key("payments-master")

# (description, argv relative to the mount, errno)
REFUSED = [
    ("mkdir in a keys dir", ["mkdir", PROD_KEYS + "/new"], errno.EACCES),
    ("mkdir in a key dir", ["mkdir", KEY + "/d"], errno.EACCES),
    ("mkdir at the root", ["mkdir", "x"], errno.EACCES),
    ("rmdir a key", ["rmdir", KEY], errno.EACCES),
    ("rmdir a compartment", ["rmdir", PROD + "/compartments/HR"],
     errno.EACCES),
    ("rm id", ["rm", "-f", KEY + "/id"], errno.EACCES),
    ("rm backup", ["rm", "-f", KEY + "/backup"], errno.EACCES),
    ("rm -r a vault", ["rm", "-rf", PROD_VAULT], errno.EACCES),
    ("mv a key", ["mv", KEY, PROD_KEYS + "/renamed"], errno.EACCES),
    ("mv a file", ["mv", KEY + "/status", KEY + "/status2"], errno.EACCES),
    ("touch a new file", ["touch", KEY + "/new"], errno.EACCES),
    ("touch a new file at the root", ["touch", "new"], errno.EACCES),
    ("ln", ["ln", KEY + "/id", KEY + "/id2"], errno.EACCES),
    ("ln -s", ["ln", "-s", "id", KEY + "/link"], errno.EACCES),
    ("mknod", ["mkfifo", KEY + "/fifo"], errno.EACCES),
    ("chmod a file", ["chmod", "644", KEY + "/status"], errno.EPERM),
    ("chmod backup", ["chmod", "666", KEY + "/backup"], errno.EPERM),
    ("chmod a dir", ["chmod", "777", PROD_KEYS], errno.EPERM),
    ("chown", ["chown", "%d:%d" % (os.getuid(), os.getgid()), KEY + "/id"],
     errno.EPERM),
    # touch opens for writing first (EACCES), touch -c only sets times.
    ("touch an existing file", ["touch", KEY + "/status"], errno.EACCES),
    ("touch -c an existing file", ["touch", "-c", KEY + "/status"],
     errno.EPERM),
    ("touch -c a directory", ["touch", "-c", PROD_KEYS], errno.EPERM),
    ("truncate status", ["truncate", "-s", "0", KEY + "/status"],
     errno.EACCES),
]

WRITES = ["status", "status.json", "id", "key.json", "wait"]


def mpath(m, argv):
    """Make the paths of argv absolute in the mount."""
    out = [argv[0]]
    for a in argv[1:]:
        out.append(a if a.startswith("-") or ":" in a or a.isdigit() or
                   a == "id" else m.path(a))
    return out


@pytest.fixture
def warm(mnt):
    """A mount whose listings down to KEY are cached."""
    assert run(["ls", mnt.path(KEY)]).rc == 0
    assert run(["ls", mnt.path(PROD + "/compartments")]).rc == 0
    return mnt


def test_refused_operations(warm, emulator):
    before = requests(emulator)
    for what, argv, code in REFUSED:
        r = run(mpath(warm, argv), timeout=10)
        assert_errno(r, code)
        assert r.elapsed < 5, (what, r)
    # Everything is still there.
    assert run(["ls", warm.path(KEY)]).out.split() == [
        "backup", "history", "id", "key.json", "status", "status.json"]
    assert calls_since(emulator, before) == {}


def test_writes_to_read_only_files(warm, emulator):
    before = requests(emulator)
    for name in WRITES:
        path = warm.path(KEY, name)
        for script in ("echo x > %s", "echo x >> %s", "printf x | tee %s",
                       "printf x | dd of=%s status=none conv=notrunc"):
            r = bash(script % ("'" + path + "'"), timeout=10)
            assert_errno(r, errno.EACCES)
    # Directories and the control directory are no better.
    r = bash("echo x > " + warm.path(".ocivaultfs", "stats"))
    assert_errno(r, errno.EACCES)
    r = bash("echo x > " + warm.path(KEY))
    assert_errno(r, errno.EISDIR)
    # The kernel's permission check stats key.json, whose size is that of
    # the key's JSON: one GetKey (then cached for cache_ttl), no other call.
    assert calls_since(emulator, before) == {"GetKey": 1}


def test_xattrs_refused(warm, emulator):
    before = requests(emulator)
    for name in ("id", "backup", "status"):
        path = warm.path(KEY, name)
        with pytest.raises(OSError) as e:
            os.setxattr(path, "user.comment", b"x")
        assert e.value.errno == errno.EPERM
        with pytest.raises(OSError) as e:
            os.removexattr(path, "user.comment")
        assert e.value.errno == errno.EPERM
    assert calls_since(emulator, before) == {}


def test_touch_backup_is_harmless(warm, emulator):
    before = requests(emulator)
    r = run(["touch", warm.path(KEY, "backup")])
    assert r.rc == 0, r
    r = bash(": > " + warm.path(KEY, "backup"))
    assert r.rc == 0, r
    assert calls_since(emulator, before) == {}
    assert run(["cat", warm.path(KEY, "status")]).out.startswith(
        "state: none\n")


def test_statfs(mnt, emulator):
    before = requests(emulator)
    r = run(["stat", "-f", "-c", "%S %l %c", mnt.mnt])
    assert r.rc == 0, r
    bsize, namemax, files = r.out.split()
    assert int(bsize) == 4096 and int(namemax) == 255 and int(files) >= 1
    r = run(["df", mnt.mnt])
    assert r.rc == 0 and mnt.mnt in r.out, r
    r = run(["df", "-i", mnt.path(".ocivaultfs")])
    assert r.rc == 0, r
    assert calls_since(emulator, before) == {}
