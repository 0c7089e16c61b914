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
REFUSED_LOG = r"^ocivaultfs: warning: backup of key '[^']+' \([^)]+\) refused: "
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
        # ... and the help of `backup` (what an editor opens before it
        # writes) with one attempt at the namespace, not a retry chain
        r = run(["cat", m.path(KEY, "backup")], timeout=60)
        print("help of backup while down: %.1f s" % r.elapsed)
        assert r.rc == 0, r
        assert "; Namespace: (unknown: looked up on first use)" in r.out
        assert r.elapsed < 10 * SLOW, r
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


def test_signal_ends_a_write_waiting_for_another_namespace_lookup(
        emu, mount, register_output):
    """Two writes need the namespace; the second waits for the first's
    GetNamespace (single flight) instead of sending its own.  A signal
    ends that wait as promptly as it ends a call of its own."""
    allow_outage_logs(register_output)
    m = mount("write_timeout=120", emu=emu)
    warm(m)
    emu.faults([{"op": "GetNamespace", "kind": "delay:40", "count": 1}])
    procs = []
    try:
        for key in (KEY, KEY2):
            procs.append(subprocess.Popen(
                ["bash", "-c", "echo backups > %s" % q(m.path(key,
                                                             "backup"))],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE))
            # `status` says none until the target is parsed, which
            # needs the namespace: wait for the writer to be inside.
            time.sleep(1)
            assert procs[-1].poll() is None
        wait_until(lambda: emu.stats()["requests"].get("GetNamespace", 0)
                   >= 1, what="the first write's GetNamespace")
        t0 = time.monotonic()
        procs[1].send_signal(signal.SIGINT)
        rc = procs[1].wait(timeout=60)
        elapsed = time.monotonic() - t0
        print("SIGINT to a write waiting for the namespace: gone after "
              "%.2f s" % elapsed)
        assert rc != 0
        assert elapsed < 10 * SLOW, elapsed
        # The second write never sent a GetNamespace of its own.
        assert emu.stats()["requests"].get("GetNamespace", 0) == 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
            p.wait(timeout=60)


def test_unanswered_backupkey_is_never_doubled(emu, mount, register_output):
    """BackupKey reaches the service but its answer does not come back in
    time (the service executes it 25 s later): the write fails with
    ETIMEDOUT at write_timeout, later writes are EBUSY (it may have been
    accepted), and once its work request shows up (ListWorkRequests) the
    backup is tracked as this mount's: succeeded, one object."""
    allow_outage_logs(register_output)
    m = mount("write_timeout=8", emu=emu)
    warm(m)
    emu.faults([{"op": "BackupKey", "kind": "delay:25", "count": 1}])
    r = write(m, KEY, "backups/late.bak")
    print("BackupKey answered late (write_timeout=8): %.1f s" % r.elapsed)
    assert_errno(r, errno.ETIMEDOUT)
    d = status(m, KEY)
    assert d["state"] == "failed" and d["errno"] == "ETIMEDOUT", d
    assert "may have accepted it" in d["note"], d
    r = write(m, KEY, "backups/second.bak")
    assert_errno(r, errno.EBUSY)
    # `wait` blocks while it may be running, then for the backup itself
    r = run(["cat", m.path(KEY, "wait")], timeout=120)
    assert r.rc == 0, r
    d = check_status(r.out)
    assert d["state"] == "succeeded", d
    assert d["origin"] == "this mount", d
    assert d["work_request"].startswith("ocid1.kmsworkrequest."), d
    assert d["object"].endswith("/backups/late.bak"), d
    assert "accepted it" in d["note"], d
    assert object_names(emu) == ["late.bak"]


def test_caught_signal_does_not_fail_a_write(emu, mount, register_output):
    """A signal the writer catches also makes the kernel send an
    interrupt: bash gets SIGCHLD when its background job ends while its
    builtin echo waits for OCI.  That write must go on and succeed."""
    allow_outage_logs(register_output)
    m = mount(emu=emu)
    warm(m)
    emu.faults([{"op": "ListObjects", "kind": "delay:3", "count": 1}])
    r = bash("sleep 0.5 & echo backups/chld.bak > %s; echo rc=$?; wait" %
             q(m.path(KEY, "backup")))
    assert r.out.strip() == "rc=0", r
    assert run(["cat", m.path(KEY, "wait")], timeout=60).rc == 0
    assert object_names(emu) == ["chld.bak"]


# -- a backup in flight across an outage ------------------------------------

@pytest.mark.parametrize("how", ["stopped", "frozen"])
def test_backup_in_flight_survives_outage(how, emulator_factory, mount,
                                          register_output):
    """Stop the back end mid-backup (or freeze it: a black hole) for
    longer than a poll's whole retry budget, bring it back: the backup
    ends succeeded with exactly one object; a second write meanwhile is
    EBUSY; `status` shows the trouble while it lasts."""
    allow_outage_logs(register_output)
    emu = emulator_factory(backup_seconds=4)
    outage = float(os.environ.get("OVFS_OUTAGE_SECONDS", "22"))
    # A black hole shows as trouble once one request times out: a short
    # timeout= keeps the test short; the outage still outlasts a poll's
    # whole retry budget (20 s).
    m = mount(*(["timeout=5"] if how == "frozen" else []), emu=emu)
    warm(m)
    r = write(m, KEY, "backups")
    assert r.rc == 0, r
    d = status(m, KEY)
    assert d["state"] in ("accepted", "in_progress"), d
    obj = d["object"]
    if how == "stopped":
        emu.stop(remove=False)
        trouble = r"ECONNREFUSED since %s, \d+ failed attempts?: " \
            r"(GetWorkRequest|ListObjects|HeadObject): " \
            r"connection refused: .+" % RFC3339
    else:
        freeze(emu)
        trouble = r"ETIMEDOUT since %s, \d+ failed attempts?: " \
            r"(GetWorkRequest|ListObjects|HeadObject): " \
            r"timeout: .+" % RFC3339
    try:
        d = wait_until(lambda: (lambda d: "trouble" in d and d)(
            status(m, KEY)), timeout=45 * SLOW, what="trouble shown")
        print("trouble during the outage: %s" % d["trouble"])
        assert re.fullmatch(trouble, d["trouble"]), d
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
        if how == "stopped":
            emu.start()
        else:
            thaw(emu)
    t0 = time.monotonic()
    r = run(["cat", m.path(KEY, "wait")], timeout=120)
    print("%s %.0f s: outcome published %.1f s after the back end came "
          "back" % (how, outage, time.monotonic() - t0))
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


# -- a poll retried: trouble shown, outcome not frozen ----------------------

def wr_finished(emu, wr_id):
    """The wall time (s) the emulator finished work request `wr_id`."""
    for w in emu.workrequests():
        if w["id"] == wr_id and w.get("timeFinished"):
            return w["timeFinished"]
    return None


@pytest.mark.parametrize("op", ["ListObjects", "GetWorkRequest"])
def test_retried_poll_shows_trouble_and_does_not_freeze(
        op, emu, mount, register_output):
    """Five 503s on the object check (or the work request): `status`
    says so while they last (`trouble:` with the errno, code and since
    when), and the outcome comes within a few seconds of the back end
    answering again, not after the client's 30 s retry chain."""
    allow_outage_logs(register_output)
    emu.set_config(backupSeconds=2)
    m = mount(emu=emu)
    warm(m)
    r = write(m, KEY, "backups/frozen.bak")
    assert r.rc == 0, r
    emu.faults([{"op": op, "kind": "503", "count": 5}])
    d = wait_until(lambda: (lambda d: "trouble" in d and d)(status(m, KEY)),
                   timeout=30 * SLOW, what="trouble shown")
    print("trouble: %s" % d["trouble"])
    assert d["state"] in ("accepted", "in_progress"), d
    assert re.fullmatch(r"EIO since %s, \d+ failed attempts?: %s: "
                        r"ServiceUnavailable \(HTTP 503\): .+" %
                        (RFC3339, op), d["trouble"]), d
    t0 = time.monotonic()
    r = run(["cat", m.path(KEY, "wait")], timeout=120)
    assert r.rc == 0, r
    d = check_status(r.out)
    assert d["state"] == "succeeded", d
    assert "trouble" not in d, d
    faults_left = emu.list_faults()
    assert faults_left == [], faults_left
    print("%s x5 503: outcome %.1f s after trouble was first seen" %
          (op, time.monotonic() - t0))
    # Five failed attempts take 3 polls at most: 1 s sleeps inside one,
    # 1 and 2 s between them.  Generous bound.
    assert time.monotonic() - t0 < 25 * SLOW
    assert object_names(emu) == ["frozen.bak"]


# -- two mounts of one tenancy ------------------------------------------------

def test_two_mounts_one_key(emulator_factory, mount, register_output):
    """Both mounts write the same key at once: one backup, one object; the
    losing write is EBUSY, and that mount follows the winner's backup as
    `origin: elsewhere` to its outcome (the work request found with
    ListWorkRequests): succeeded, and its `wait` returns 0."""
    allow_outage_logs(register_output)
    emu = emulator_factory(backup_seconds=3)
    a = mount(emu=emu)
    b = mount(emu=emu)
    warm(a)
    warm(b)
    res = {}
    go = threading.Barrier(2)

    def writer(name, m):
        go.wait()
        res[name] = write(m, KEY, "backups")

    ts = [threading.Thread(target=writer, args=(n, m))
          for n, m in (("a", a), ("b", b))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    rcs = sorted((r.rc, n) for n, r in res.items())
    assert rcs[0][0] == 0 and rcs[1][0] != 0, res
    winner = a if rcs[0][1] == "a" else b
    loser = b if winner is a else a
    assert_errno(res[rcs[1][1]], errno.EBUSY)
    d = status(loser, KEY)
    print("loser's status: %r" % d)
    assert d["state"] == "in_progress", d
    assert d["origin"] == "elsewhere", d
    assert "error" not in d and "errno" not in d, d
    assert re.fullmatch(RFC3339 + r" EBUSY: the key is .*being backed up "
                        r"elsewhere.*", d["rejected"]), d
    r = run(["cat", loser.path(KEY, "wait")], timeout=120)
    assert r.rc == 0, r
    d = check_status(r.out)
    assert d["state"] == "succeeded", d
    assert d["origin"] == "elsewhere", d
    assert d["work_request"].startswith("ocid1.kmsworkrequest."), d
    r = run(["cat", winner.path(KEY, "wait")], timeout=120)
    assert r.rc == 0, r
    assert check_status(r.out)["work_request"] == d["work_request"]
    assert len(objects(emu)) == 1, emu.objects()


def test_elsewhere_outcome_unknown_is_enodata(emulator_factory, mount,
                                              register_output):
    """Without the Work Requests API, a backup started elsewhere ends with
    an outcome this mount cannot know: `state: none` with a note, and
    `wait` fails with ENODATA (not EIO: nothing of ours failed)."""
    allow_outage_logs(register_output)
    emu = emulator_factory(backup_seconds=3, no_work_requests=True)
    a = mount(emu=emu)
    b = mount(emu=emu)
    warm(a)
    warm(b)
    assert write(a, KEY, "backups/by-a.bak").rc == 0
    r = write(b, KEY, "backups/by-b.bak")
    assert_errno(r, errno.EBUSY)
    d = status(b, KEY)
    assert d["state"] == "in_progress" and d["origin"] == "elsewhere", d
    r = run(["cat", b.path(KEY, "wait")], timeout=120)
    assert r.rc != 0
    assert os.strerror(errno.ENODATA) in r.err, r
    d = check_status(r.out) if r.out else status(b, KEY)
    d = status(b, KEY)
    assert d["state"] == "none", d
    assert "not known here" in d["note"], d
    assert run(["cat", a.path(KEY, "wait")], timeout=120).rc == 0
    assert object_names(emu) == ["by-a.bak"]
