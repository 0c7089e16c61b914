# SPDX-License-Identifier: MIT
"""One open file, many threads: libfuse's multi-threaded loop does not
serialise requests on one handle, so the daemon locks each handle's state
(issue 9.3).  These tests hammer a single fd from several threads; under
the ASan build (`scripts/test.sh --sanitize`) a race on the handle's buffers
is a crash, and in both builds every answer must be consistent."""

import errno
import os
import threading

from fsutil import check_status, prod_key, run

KEY = prod_key("payments-master")
THREADS = 8


def hammer(n, fn):
    """Run fn(i) in n threads started together; return their results (an
    exception is returned in place of a result)."""
    start = threading.Barrier(n)
    out = [None] * n

    def body(i):
        start.wait()
        try:
            out[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out[i] = e

    ts = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in ts), "a thread hung"
    return out


def test_concurrent_preads_of_one_fd(mnt):
    """Reads at scattered offsets of one key.json fd all see one snapshot."""
    path = mnt.path(KEY, "key.json")
    whole = open(path, "rb").read()
    assert len(whole) > 200
    fd = os.open(path, os.O_RDONLY)
    try:
        def reads(i):
            bad = []
            for k in range(300):
                off = (i * 37 + k * 11) % (len(whole) + 16)
                size = 1 + (k * 7 + i) % 64
                got = os.pread(fd, size, off)
                if got != whole[off:off + size]:
                    bad.append((off, size, got))
            return bad
        results = hammer(THREADS, reads)
    finally:
        os.close(fd)
    for r in results:
        assert r == [], r


def test_concurrent_status_reads_of_one_fd(mnt):
    """`status` is a snapshot taken at open: every thread reads it whole."""
    fd = os.open(mnt.path(KEY, "status"), os.O_RDONLY)
    try:
        first = os.pread(fd, 65536, 0)
        results = hammer(THREADS, lambda i: [os.pread(fd, 65536, 0)
                                             for _ in range(200)])
    finally:
        os.close(fd)
    check_status(first.decode())
    for r in results:
        assert not isinstance(r, Exception), r
        assert set(r) == {first}


def test_concurrent_writes_to_one_backup_fd(mnt, emulator):
    """Eight threads write the same target line at offset 0 of one handle
    (the kernel serialises writes to one inode; the handle's lock covers
    truncates and reads too): each write is acted upon once, whole, so one
    backup starts and every other write is refused as in flight (EBUSY)
    or as an object that exists or is being written (EEXIST)."""
    emulator.set_config(backupSeconds=3)
    before = emulator.stats()["requests"].get("BackupKey", 0)
    line = b"backups/hammer.bak\n"
    fd = os.open(mnt.path(KEY, "backup"), os.O_WRONLY)
    try:
        def write(i):
            try:
                return os.pwrite(fd, line, 0)
            except OSError as e:
                return e.errno
        results = hammer(THREADS, write)
    finally:
        os.close(fd)
    ok = [r for r in results if r == len(line)]
    refused = [r for r in results if r != len(line)]
    assert len(ok) == 1, results
    assert set(refused) <= {errno.EBUSY, errno.EEXIST}, results
    r = run(["cat", mnt.path(KEY, "wait")])
    assert r.rc == 0, r
    assert check_status(r.out)["state"] == "succeeded"
    # The emulator saw exactly one BackupKey and holds exactly one object.
    assert emulator.stats()["requests"].get("BackupKey", 0) == before + 1
    names = [o["name"] for o in emulator.objects()
             if o["name"] == "hammer.bak"]
    assert len(names) == 1, names


def test_concurrent_reads_of_one_wait_fd(mnt, emulator):
    """Reads of one `wait` handle race to fill it when the backup ends:
    all of them block, then all see the same final status, whole."""
    emulator.set_config(backupSeconds=2)
    r = run(["sh", "-c", "echo backups/hammer-wait.bak > '%s'"
             % mnt.path(KEY, "backup")])
    assert r.rc == 0, r
    fd = os.open(mnt.path(KEY, "wait"), os.O_RDONLY)
    try:
        results = hammer(THREADS, lambda i: [os.pread(fd, 65536, 0)
                                             for _ in range(20)])
    finally:
        os.close(fd)
    first = results[0]
    assert not isinstance(first, Exception), first
    assert check_status(first[0].decode())["state"] == "succeeded"
    for r in results:
        assert r == first, r
    assert [o["name"] for o in emulator.objects()
            if o["name"] == "hammer-wait.bak"] == ["hammer-wait.bak"]
