# SPDX-License-Identifier: MIT
"""The backup journal and `history` (issue 8, point 1; docs/ocivaultfs.md,
"Journal and history"): every backup is recorded on disk before the write
returns, `history` shows each attempt, and after `kill -9` with backups in
flight a remount resumes them: each key's `status` is `in_progress` with
its work request again, then `succeeded` (object verified), exactly one
object per key, never a second backup."""

import concurrent.futures
import errno
import glob
import os
import re
import stat
import subprocess
import time

import pytest

from pylib.emulator import scratch_dir
from fsutil import (KEYS, RFC3339, TENANCY, assert_errno, bash, calls_since,
                    check_status, prod_key, q, requests, run, wait_until)

TORN_LOG = r"journal '[^']+': 1 of \d+ lines skipped \(torn or damaged" \
           r"(, the last one included)?\)"
REFUSED_LOG = r"^ocivaultfs: warning: backup of key '[^']+' \([^)]+\) refused: "
HISTORY_LINE = re.compile(
    r"^(%s)\t(\w+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t(%s|-)\t([A-Z]+|-)\t"
    r"(\S+|-)\t(key-backup|vault-backup|key-restore|vault-restore)$"
    % (RFC3339, RFC3339))


def status(m, key):
    with open(m.path(key, "status"), encoding="utf-8") as f:
        return check_status(f.read())


def history(m, key=None):
    """Lines of KEY/history, or of .ocivaultfs/history, parsed."""
    path = m.path(key, "history") if key else \
        m.path(".ocivaultfs", "history")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = []
    for line in text.splitlines():
        mo = HISTORY_LINE.match(line)
        assert mo, "not a history line: %r" % line
        out.append(dict(zip(("submitted", "state", "path", "object",
                             "work_request", "finished", "errno", "code",
                             "kind"),
                            mo.groups())))
    return out


def journal_file(state_dir):
    (path,) = glob.glob(os.path.join(state_dir, "*.journal"))
    return path


def eligible_keys(m):
    r = run(["find", m.mnt, "-path", "*/keys/*/status"])
    assert r.rc == 0, r
    out = []
    for path in sorted(r.out.split("\n")):
        if path:
            with open(path, encoding="utf-8") as f:
                if "\neligible: yes\n" in f.read():
                    out.append(os.path.relpath(os.path.dirname(path), m.mnt))
    return out


def key_id(m, key):
    with open(m.path(key, "id"), encoding="utf-8") as f:
        return f.read().strip()


def test_history_and_journal_file(mount, emulator, namespace,
                                  register_output):
    register_output(REFUSED_LOG)
    state = os.path.join(scratch_dir("ovfs-jtest-"), "state")
    m = mount("state_dir=" + state)
    key = prod_key("payments-master")
    assert history(m, key) == [] and history(m) == []
    r = bash("echo backups > %s && cat %s" % (q(m.path(key, "backup")),
                                               q(m.path(key, "wait"))))
    assert r.rc == 0, r
    st = status(m, key)
    assert st["state"] == "succeeded", st
    (h,) = history(m, key)
    assert h["state"] == "succeeded" and h["path"] == key, h
    assert h["object"] == st["object"], (h, st)
    assert h["work_request"] == st["work_request"], (h, st)
    assert h["finished"] != "-" and h["errno"] == "-", h
    (obj,) = emulator.objects()
    assert st["object"] == "%s/backups/%s" % (namespace, obj["name"])
    assert history(m) == [h]

    # The journal: 0700 directory, 0600 file, the acceptance on disk.
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    path = journal_file(state)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="utf-8") as f:
        text = f.read()
    assert "\tkey=%s\t" % key_id(m, key) in text, text
    assert "\twr=%s\t" % st["work_request"] in text, text
    assert "\tstate=succeeded\t" in text, text
    assert all(re.search(r"\t#[0-9a-f]{8}$", line)
               for line in text.splitlines()), text

    # A refusal is an attempt too, recorded with its errno and code.
    r = bash("echo 'oci://a@b@c' > " + q(m.path(key, "backup")))
    assert_errno(r, errno.EINVAL)
    hs = history(m, key)
    assert len(hs) == 2 and hs[0] == h, hs
    assert (hs[1]["state"], hs[1]["errno"], hs[1]["code"]) == \
        ("failed", "EINVAL", "InvalidTarget"), hs
    # Other keys have none; the mount-wide list of .ocivaultfs/backups
    # has both attempts too, the refusal with its errno.
    assert history(m, prod_key("hr-master")) == []
    with open(m.path(".ocivaultfs", "backups"), encoding="utf-8") as f:
        lines = [ln.split("\t") for ln in f.read().splitlines()]
    assert [(ln[0], ln[8]) for ln in lines] == \
        [("succeeded", "-"), ("failed", "EINVAL")], lines
    assert run(["ls", m.path(key)]).out.split() == \
        ["backup", "history", "id", "key.json", "status", "status.json"]
    # Read-only, like status.
    r = bash("echo x > " + q(m.path(key, "history")))
    assert r.rc != 0, r


def test_par_token_never_recorded(mount, emulator):
    state = os.path.join(scratch_dir("ovfs-jtest-"), "state")
    m = mount("state_dir=" + state)
    par = emulator.create_par("backups", "par-j.bak")["fullUrl"]
    token = par.split("/p/")[1].split("/")[0]
    assert len(token) > 10
    key = prod_key("hr-master")
    r = bash("echo %s > %s && cat %s" % (q(par), q(m.path(key, "backup")),
                                          q(m.path(key, "wait"))))
    assert r.rc == 0, r
    (h,) = history(m, key)
    assert h["state"] == "succeeded", h
    for path in glob.glob(os.path.join(state, "*")):
        with open(path, encoding="utf-8", errors="replace") as f:
            assert token not in f.read(), path
    for p in (m.path(key, "history"), m.path(".ocivaultfs", "history")):
        with open(p, encoding="utf-8") as f:
            assert token not in f.read()


def test_kill9_with_backups_in_flight_then_remount(mount, emulator_factory,
                                                   register_output):
    register_output(TORN_LOG)
    register_output(REFUSED_LOG)
    emu = emulator_factory(tenancy="synthetic:4,2,10", rate_limit=0,
                           backup_seconds=25)
    state = os.path.join(scratch_dir("ovfs-jtest-"), "state")
    m = mount("state_dir=" + state, "rate=0", emu=emu)
    keys = eligible_keys(m)
    assert len(keys) >= 30, keys
    keys = keys[:30]

    def one(key):
        return bash("echo backups > " + q(m.path(key, "backup")))
    with concurrent.futures.ThreadPoolExecutor(30) as ex:
        res = dict(zip(keys, ex.map(one, keys)))
    assert all(r.rc == 0 for r in res.values()), res
    # Past the work requests' ACCEPTED phase: all IN_PROGRESS at OCI.
    wait_until(lambda: [wr["status"] for wr in emu.workrequests()] ==
               ["IN_PROGRESS"] * 30, 20, interval=0.2,
               what="30 work requests in progress")
    before = {k: status(m, k) for k in keys}
    ids = {k: key_id(m, k) for k in keys}
    for k, st in before.items():
        assert st["state"] in ("accepted", "in_progress"), (k, st)
        assert st["work_request"].startswith("ocid1.kmsworkrequest"), st
    assert requests(emu)["BackupKey"] == 30

    # kill -9: nothing is written at exit; the journal has it all.
    m.proc.kill()
    m.proc.wait()
    subprocess.run(["fusermount3", "-u", "-z", m.mnt], capture_output=True,
                   timeout=30)
    path = journal_file(state)
    with open(path, "a", encoding="utf-8") as f:
        f.write("r=set\tid=3\tstate=succ")  # a torn last record
    assert any(not wr.get("timeFinished") for wr in emu.workrequests())

    t0 = time.monotonic()
    m2 = mount("state_dir=" + state, "rate=0", emu=emu)
    assert re.search(TORN_LOG.replace("?", ""), m2.output()), m2.output()
    after = {k: status(m2, k) for k in keys}
    t_resumed = time.monotonic() - t0
    for k, st in after.items():
        b = before[k]
        if st["state"] == "succeeded":  # a slow machine: it ended already
            continue
        assert st["state"] == "in_progress", (k, st)
        assert st["origin"] == "this mount", (k, st)
        for f in ("target", "object", "work_request", "submitted"):
            assert st[f] == b[f], (k, f, st, b)
        assert st["tracking"] == "work_request", st
    assert sum(st["state"] == "in_progress" for st in after.values()) >= 25

    # Never a second backup while the outcome is unknown.
    k0 = keys[0]
    if after[k0]["state"] == "in_progress":
        r = bash("echo backups > " + q(m2.path(k0, "backup")))
        assert_errno(r, errno.EBUSY)
    hs = history(m2, k0)
    assert len(hs) in (1, 2) and hs[0]["work_request"] == \
        before[k0]["work_request"], hs

    # Then every outcome, verified against the emulator's objects.
    for k in keys:
        r = run(["cat", m2.path(k, "wait")], timeout=120)
        assert r.rc == 0, (k, r)
    t_done = time.monotonic() - t0
    print("\nremount: %d of 30 shown in_progress with their work request "
          "%.1f s after the remount started; all 30 ended %.1f s after it" %
          (sum(st["state"] == "in_progress" for st in after.values()),
           t_resumed, t_done))
    objs = emu.objects()
    by_key = {}
    for o in objs:
        by_key.setdefault(o["key_id"], []).append(o)
    assert len(objs) == 30, len(objs)
    for k in keys:
        st = status(m2, k)
        assert st["state"] == "succeeded", (k, st)
        (o,) = by_key[ids[k]]
        assert st["object"].endswith("/backups/" + o["name"]), (k, st, o)
        assert int(st["size"]) == o["size"] > 0, (k, st)
        hs = [h for h in history(m2, k) if h["state"] != "rejected"]
        assert len(hs) == 1 and hs[0]["state"] == "succeeded", (k, hs)
        assert hs[0]["work_request"] == before[k]["work_request"], hs
    assert requests(emu)["BackupKey"] == 30
    allh = [h for h in history(m2) if h["state"] != "rejected"]
    assert sorted(h["path"] for h in allh) == sorted(keys), allh

    # History survives one more restart (this time a clean one).
    m2.umount()
    m3 = mount("state_dir=" + state, emu=emu)
    wait_until(lambda: len([h for h in history(m3)
                            if h["state"] == "succeeded"]) == 30,
               10, what="30 succeeded lines in history")


def fnv1a(data, h=2166136261):
    for c in data:
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h


def journal_name(tenancy, profile):
    """The documented file name stem (docs/ocivaultfs.md)."""
    def part(s):
        return re.sub(r"[^A-Za-z0-9._-]", "_", s[:100])
    return "%s-%s-%08x" % (part(tenancy), part(profile),
                           fnv1a(("%s\n%s" % (tenancy, profile)).encode()))


def record(**fields):
    """One sealed journal line, as documented."""
    body = "\t".join("%s=%s" % (k, v) for k, v in fields.items())
    return "%s\t#%08x\n" % (body, fnv1a(body.encode()))


def test_handwritten_journal(mount, emulator, namespace, register_output):
    # The documented format and name are the contract: a journal written
    # by hand is read, an entry that never got BackupKey's answer is
    # closed as unknown, unknown fields and record types are ignored.
    register_output(r"journal: the backup of key '[^']+' submitted at \d+ "
                    r"has no known outcome")
    state = scratch_dir("ovfs-jtest-")
    os.chmod(state, 0o700)
    pay, hr = prod_key("payments-master"), prod_key("hr-master")
    path = os.path.join(state, journal_name(TENANCY, "DEFAULT") + ".journal")
    with open(path, "w", encoding="utf-8") as f:
        f.write(record(r="begin", id=1, t=1764780000, submitted=1764780000,
                       state="submitting", key=KEYS["payments-master"],
                       path=pay, target="backups", ns=namespace,
                       bucket="backups", object="lost.bak", token="t0k"))
        f.write(record(r="begin", id=2, t=1764780001, submitted=1764780001,
                       state="accepted", key=KEYS["hr-master"], path=hr,
                       target="backups", ns=namespace, bucket="backups",
                       object="old\\tname.bak", zz="a field of the future"))
        f.write(record(r="future", id=2, state="failed"))
        f.write(record(r="set", id=2, t=1764780060, finished=1764780059,
                       state="succeeded"))
    m = mount("state_dir=" + state)
    (h,) = history(m, pay)
    assert (h["state"], h["code"], h["object"]) == \
        ("unknown", "OutcomeUnknown", namespace + "/backups/lost.bak"), h
    (h,) = history(m, hr)
    assert h["state"] == "succeeded", h
    assert h["object"] == namespace + "/backups/old\\tname.bak", h
    assert h["finished"] == "2025-12-03T16:40:59Z", h
    assert len(history(m)) == 2
    with open(path, encoding="utf-8") as f:
        assert re.search(r"^r=set\tid=1\t.*\tstate=unknown\t", f.read(),
                         re.M)
    # Unknown is an outcome: a new backup of the key is allowed.
    assert status(m, pay)["state"] == "none"
    r = bash("echo backups > %s && cat %s" % (q(m.path(pay, "backup")),
                                               q(m.path(pay, "wait"))))
    assert r.rc == 0, r
    hs = history(m, pay)
    assert [x["state"] for x in hs] == ["unknown", "succeeded"], hs
    assert requests(emulator)["BackupKey"] == 1


def test_second_mount_reads_only(mount, emulator, register_output):
    register_output(r"journal '[^']+' is in use by another mount: this "
                    r"mount reads it and does not record its own backups")
    state = os.path.join(scratch_dir("ovfs-jtest-"), "state")
    m1 = mount("state_dir=" + state)
    a, b = prod_key("payments-master"), prod_key("hr-master")
    r = bash("echo backups > %s && cat %s" % (q(m1.path(a, "backup")),
                                               q(m1.path(a, "wait"))))
    assert r.rc == 0, r
    m2 = mount("state_dir=" + state)
    assert "is in use by another mount" in m2.output()
    assert [h["state"] for h in history(m2, a)] == ["succeeded"]
    r = bash("echo backups > %s && cat %s" % (q(m2.path(b, "backup")),
                                               q(m2.path(b, "wait"))))
    assert r.rc == 0, r
    assert history(m2, b) == [] and history(m1, b) == []
    with open(journal_file(state), encoding="utf-8") as f:
        assert KEYS["hr-master"] not in f.read()
    # The first mount's lock ends with it: the next mount writes.
    m1.umount()
    m2.umount()
    m3 = mount("state_dir=" + state)
    assert "in use by another mount" not in m3.output()
    r = bash("echo backups > " + q(m3.path(b, "backup")))
    assert r.rc == 0, r
    assert [h["path"] for h in history(m3, b)] == [b]


def test_full_journal_refuses_before_backupkey(mount, emulator,
                                               register_output):
    # No backup starts that the journal cannot record: with its file
    # system full, the write fails with ENOSPC and BackupKey is never sent.
    register_output(REFUSED_LOG)
    register_output(r"cannot write journal '[^']+': No space left on device")
    if os.getuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    fs = scratch_dir("ovfs-jfull-")
    r = run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs",
             fs])
    if r.rc:
        pytest.skip("cannot mount a tmpfs here: %s" % r.err.strip())
    m = None
    try:
        m = mount("state_dir=" + os.path.join(fs, "state"))
        key = prod_key("payments-master")
        fd = os.open(os.path.join(fs, "fill"), os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
        finally:
            os.close(fd)
        before = requests(emulator)
        r = bash("echo backups > " + q(m.path(key, "backup")))
        assert_errno(r, errno.ENOSPC)
        assert "BackupKey" not in calls_since(emulator, before)
        st = status(m, key)
        assert st["state"] == "failed" and st["errno"] == "ENOSPC", st
        assert st["error"].startswith("JournalError"), st
        assert emulator.objects() == []
        # Room again: the next write works and is recorded.
        os.unlink(os.path.join(fs, "fill"))
        r = bash("echo backups > %s && cat %s" % (q(m.path(key, "backup")),
                                                   q(m.path(key, "wait"))))
        assert r.rc == 0, r
        # The refused attempt is in history (from memory: not on disk).
        hs = history(m, key)
        assert [(h["state"], h["errno"], h["code"]) for h in hs] == \
            [("failed", "ENOSPC", "JournalError"), ("succeeded", "-", "-")], hs
        with open(journal_file(os.path.join(fs, "state")),
                  encoding="utf-8") as f:
            assert "JournalError" not in f.read()
    finally:
        if m is not None and m.running:
            m.umount()
        run(["umount", fs])


def test_resume_follows_backups_nobody_looks_at(mount, emulator,
                                                register_output):
    # After a crash the remount follows its backups to their outcome
    # without any access to the mount, also when the first listings fail.
    register_output(r"cannot list the contents of .*ServiceUnavailable")
    emulator.set_config(backupSeconds=8)
    state = os.path.join(scratch_dir("ovfs-jtest-"), "state")
    m = mount("state_dir=" + state)
    keys = [prod_key(n) for n in ("payments-master", "hr-master",
                                  "app signing")]
    for k in keys:
        r = bash("echo backups > " + q(m.path(k, "backup")))
        assert r.rc == 0, r
    m.proc.kill()
    m.proc.wait()
    subprocess.run(["fusermount3", "-u", "-z", m.mnt], capture_output=True,
                   timeout=30)
    emulator.faults([{"op": "ListKeys", "kind": "503", "count": 4}])
    path = journal_file(state)
    m2 = mount("state_dir=" + state, "retries=2")

    def finals():
        with open(path, encoding="utf-8") as f:
            return len(re.findall(r"^r=set\t.*\tstate=succeeded\t", f.read(),
                                  re.M))
    wait_until(lambda: finals() == 3, 90, interval=0.2,
               what="3 results in the journal")
    assert emulator.stats()["faults_injected"] == 4
    assert len(emulator.objects()) == 3
    assert requests(emulator)["BackupKey"] == 3
    for k in keys:
        st = status(m2, k)
        assert st["state"] == "succeeded" and int(st["size"]) > 0, st


def start_fails(emu, *options):
    """The daemon's stderr lines when it must fail to start (exit 1)."""
    binary = os.path.join(os.environ.get("OVFS_BUILD_ROOT") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "build"), "ocivaultfs")
    opts = ["config=" + emu.config, "endpoint=" + emu.endpoint,
            "cacert=" + emu.ca] + list(options)
    mnt = scratch_dir("ovfs-mnt-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCI_")}
    try:
        proc = subprocess.run([binary, "-f", "-o", ",".join(opts), mnt],
                              capture_output=True, text=True, timeout=60,
                              env=env, stdin=subprocess.DEVNULL)
        assert proc.returncode == 1 and not os.path.ismount(mnt), proc
        return proc.stderr.splitlines()
    finally:
        subprocess.run(["fusermount3", "-u", "-z", "-q", mnt],
                       capture_output=True)
        os.rmdir(mnt)


def test_bad_state_dir_is_a_startup_error(emulator):
    lines = start_fails(emulator, "state_dir=relative/dir")
    assert lines == ["ocivaultfs: state_dir must be an absolute path"], lines
    # A state_dir that cannot be made (a file is in the way).
    f = os.path.join(scratch_dir("ovfs-jtest-"), "file")
    open(f, "w").close()
    lines = start_fails(emulator, "state_dir=" + f + "/state")
    assert len(lines) == 1 and lines[0].startswith(
        "ocivaultfs: cannot open the journal: cannot make directory '%s/"
        "state': Not a directory" % f), lines
