# SPDX-License-Identifier: MIT
"""Workstation conventions (issue 11, points 1 and 2): files report their
real size, so the tools that trust st_size (gio copy, shutil, tar,
sendfile) copy the content; df shows the mount; editors (vim with Debian's
defaults, nano, gio save) start exactly one backup by adding one target
line; recursive readers (grep -r, cp -r, tar, rsync -a, find -exec cat)
finish promptly without errors while backups are in flight or failed,
because the `wait` files are not listed (and an O_NONBLOCK read of one
returns at once)."""

import errno
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import time

import pytest

from pylib.emulator import scratch_dir

from fsutil import (KEYS, PROD_KEYS, PROD_VAULT, REQUEST_ID, assert_errno,
                    bash, calls_since, check_status, prod_key, q, requests,
                    run, sh, wait_until)

KEY = prod_key("payments-master")
# The files of a key directory and what their size is.
KEY_FILES = ["id", "key.json", "backup", "status", "status.json", "history"]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def same(a, b):
    """Equal but for the help text's example object name, which holds the
    time of the read."""
    def strip(x):
        return re.sub(rb"\(now: [^)]*\)", b"", x)
    return strip(a) == strip(b) and len(a) == len(b)


def sizes_match(m, rel, names):
    for name in names:
        path = m.path(rel, name)
        size = os.stat(path).st_size
        data = read(path)
        assert data or name == "history", path
        assert size == len(data), (path, size, len(data))


def test_every_file_reports_the_size_of_its_content(mnt, emulator):
    # The first stat of key.json fetches it (a read would); the others are
    # rendered from memory.
    sizes_match(mnt, KEY, KEY_FILES)
    sizes_match(mnt, PROD_VAULT, ["id", "vault.json", "backup", "status",
                                  "status.json", "restore", "restore-status"])
    sizes_match(mnt, "", ["id", "restore-vault", "restore-vault-status"])
    sizes_match(mnt, ".ocivaultfs", ["stats", "history"])
    # The wait files' content exists when the wait ends: size 0.
    assert os.stat(mnt.path(KEY, "wait")).st_size == 0
    # An open file reports its own snapshot (fstat).
    with open(mnt.path(KEY, "status"), "rb") as f:
        assert os.fstat(f.fileno()).st_size == len(f.read())


def test_a_size_follows_the_content(mnt, emulator):
    # status grows when a backup starts: the next stat says so at once
    # (no attribute caching of changing files).
    path = mnt.path(KEY, "status")
    before = os.stat(path).st_size
    emulator.set_config(backupSeconds=1)
    r = sh("echo backups/size.bak > %s && cat %s >/dev/null" % (
        q(mnt.path(KEY, "backup")), q(mnt.path(KEY, "wait"))))
    assert r.rc == 0, r
    after = os.stat(path).st_size
    assert after > before
    assert after == len(read(path))
    backups = mnt.path(".ocivaultfs", "backups")
    assert os.stat(backups).st_size == len(read(backups)) > 0


def test_key_json_stat_then_read_is_one_fetch(mnt, emulator):
    path = mnt.path(prod_key("hr-master"), "key.json")
    assert run(["ls", mnt.path(prod_key("hr-master"))]).rc == 0
    before = requests(emulator).get("GetKey", 0)
    size = os.stat(path).st_size  # fetches: never read before
    assert requests(emulator).get("GetKey", 0) == before + 1
    os.stat(path)  # within cache_ttl: no new call
    assert requests(emulator).get("GetKey", 0) == before + 1
    data = read(path)  # right after the stat: served by its GetKey
    assert len(data) == size
    assert requests(emulator).get("GetKey", 0) == before + 1
    time.sleep(2.5)  # older than 2 s: a read fetches afresh
    assert len(read(path)) == size
    assert requests(emulator).get("GetKey", 0) == before + 2


def test_copies_by_tools_that_trust_the_size_are_complete(mnt, tmp_path):
    want = {name: read(mnt.path(KEY, name)) for name in KEY_FILES}
    # gio copy (what Nautilus does), shutil.copy (sendfile), tar.
    for name in KEY_FILES:
        dst = tmp_path / ("gio-" + name)
        r = run(["gio", "copy", mnt.path(KEY, name), str(dst)])
        assert r.rc == 0, r
        assert same(dst.read_bytes(), want[name]) or name.startswith("status"), name
        dst = tmp_path / ("shutil-" + name)
        shutil.copy(mnt.path(KEY, name), dst)
        assert same(dst.read_bytes(), want[name]) or name.startswith("status"), name
        assert dst.stat().st_size == len(want[name]) or name.startswith("status")
    tar = tmp_path / "key.tar"
    r = run(["tar", "-cf", str(tar), "-C", mnt.path(PROD_KEYS),
             "payments-master"])
    assert r.rc == 0, r
    with tarfile.open(tar) as t:
        got = {os.path.basename(i.name): t.extractfile(i).read()
               for i in t.getmembers() if i.isfile()}
    assert sorted(got) == sorted(KEY_FILES)  # no `wait`
    for name in ("id", "key.json", "backup", "history"):
        assert same(got[name], want[name]), name
    # sendfile(2) itself, as cp and Python use it.
    src = os.open(mnt.path(KEY, "key.json"), os.O_RDONLY)
    dst = os.open(str(tmp_path / "sendfile"), os.O_WRONLY | os.O_CREAT)
    try:
        n = os.sendfile(dst, src, None, 1 << 20)
    finally:
        os.close(src)
        os.close(dst)
    assert n == len(want["key.json"]) > 200


def test_df_shows_the_mount(mnt):
    r = run(["df", "-P", mnt.mnt])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert len(lines) == 2 and lines[1].split()[-1] == mnt.mnt, r
    fields = lines[1].split()
    assert int(fields[1]) > 0, r  # blocks: df hides 0-block file systems
    r = run(["df", "-i", "-P", mnt.mnt])
    assert r.rc == 0, r
    fields = r.out.splitlines()[1].split()
    inodes, used, free, pct = int(fields[1]), int(fields[2]), \
        int(fields[3]), fields[4]
    assert inodes > used > 0 and free > 0 and pct != "100%", r
    # Without a path, df lists it too.
    r = run(["df", "-P"])
    assert mnt.mnt in r.out, r


# ---- wait files and recursive readers ----------------------------------------

def start_in_flight_and_failed(mnt, emulator):
    """A backup in flight (60 s) on payments-master, a failed one on
    hr-master."""
    emulator.set_config(backupSeconds=1)
    url = emulator.create_par("backups", "late.bak", expires_in=-60)["fullUrl"]
    r = bash("echo %s > %s; cat %s" % (q(url), q(mnt.path(
        prod_key("hr-master"), "backup")), q(mnt.path(prod_key("hr-master"),
                                                      "wait"))))
    assert_errno(r, errno.EIO)
    emulator.set_config(backupSeconds=60)
    r = sh("echo backups/long.bak > %s" % q(mnt.path(KEY, "backup")))
    assert r.rc == 0, r
    assert check_status(read(mnt.path(KEY, "status")).decode())["state"] in (
        "accepted", "in_progress")


RECURSIVE = {
    "grep -r": "grep -r zzz-not-there {d}; test $? = 1",
    "cp -r": "cp -r {d} {tmp}/cp",
    "tar": "tar -cf {tmp}/t.tar -C {d} .",
    "rsync -a": "rsync -a {d}/ {tmp}/rsync/",
    "find -exec cat": "find {d} -type f -exec cat {{}} + >/dev/null",
    "find -exec cat (no -type)": "find {d} -exec cat {{}} + >/dev/null "
                                 "2>{tmp}/find.err; "
                                 "! grep -v 'Is a directory' {tmp}/find.err",
    "ls -lR": "ls -lR {d} >/dev/null",
}


@pytest.mark.parametrize("tool", sorted(RECURSIVE))
def test_recursive_readers_finish_without_errors(mnt, emulator, tmp_path,
                                                 register_output, tool):
    register_output(r"backup of .*failed|BackupKey .*hr-master")
    start_in_flight_and_failed(mnt, emulator)
    d = mnt.path(PROD_VAULT)
    r = bash(RECURSIVE[tool].format(d=q(d), tmp=q(str(tmp_path))),
             timeout=120)
    assert r.rc == 0, r
    # Promptly: well before the 60 s backup ends (a generous bound).
    assert r.elapsed < 40, r
    assert "wait" not in r.err, r


def test_wait_is_not_listed_but_works_by_name(mnt, emulator):
    names = os.listdir(mnt.path(KEY))
    assert "wait" not in names and "status" in names, names
    assert "restore-wait" not in os.listdir(mnt.path(PROD_VAULT))
    assert "restore-vault-wait" not in os.listdir(mnt.path(""))
    emulator.set_config(backupSeconds=2)
    r = sh("echo backups/named.bak > %s && cat %s" % (
        q(mnt.path(KEY, "backup")), q(mnt.path(KEY, "wait"))))
    assert r.rc == 0, r
    assert check_status(r.out)["state"] == "succeeded"
    assert [o["name"] for o in emulator.objects()] == ["named.bak"]


def test_nonblocking_wait_returns_at_once(mnt, emulator):
    emulator.set_config(backupSeconds=30)
    r = sh("echo backups/nb.bak > %s" % q(mnt.path(KEY, "backup")))
    assert r.rc == 0, r
    fd = os.open(mnt.path(KEY, "wait"), os.O_RDONLY | os.O_NONBLOCK)
    try:
        t0 = time.monotonic()
        with pytest.raises(BlockingIOError):
            os.read(fd, 4096)
        assert time.monotonic() - t0 < 10
        # Blocking again (fcntl): the read waits for the end.
        os.set_blocking(fd, True)
        emulator.set_config(backupSeconds=1)
    finally:
        os.close(fd)
    # Nothing in flight: O_NONBLOCK reads the final status at once.
    wait_until(lambda: check_status(read(mnt.path(KEY, "status")).decode())
               ["state"] == "succeeded", timeout=60, what="backup ends")
    fd = os.open(mnt.path(KEY, "wait"), os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert check_status(os.read(fd, 65536).decode())["state"] == \
            "succeeded"
    finally:
        os.close(fd)


# ---- editors -------------------------------------------------------------------

def tmux_edit(tmp_path, argv, keys, cwd, settle=1.5, timeout=30):
    """Run an editor in a detached tmux session, send `keys` (a list of
    (literal?, text)), wait for it to exit."""
    sock = str(tmp_path / "tmux.sock")
    env = dict(os.environ, HOME=str(tmp_path), TERM="xterm")
    env.pop("VIMINIT", None)
    done = tmp_path / "done"
    cmd = "%s; echo $? > %s" % (" ".join(q(a) for a in argv), q(str(done)))
    subprocess.run(["tmux", "-S", sock, "new-session", "-d", "-x", "100",
                    "-y", "30", "-c", cwd, cmd], check=True, env=env)
    try:
        time.sleep(settle)
        for literal, text in keys:
            subprocess.run(["tmux", "-S", sock, "send-keys", "-t", "0"] +
                           (["-l"] if literal else []) + [text], check=True)
            time.sleep(0.3)
        wait_until(done.exists, timeout=timeout, what="editor exits")
        return int(done.read_text().strip() or "1")
    finally:
        subprocess.run(["tmux", "-S", sock, "kill-server"],
                       stderr=subprocess.DEVNULL)


def one_backup(emulator, name):
    wait_until(lambda: [o["name"] for o in emulator.objects()] == [name],
               timeout=60, what="the object " + name)
    assert requests(emulator)["BackupKey"] == 1


def test_vim_with_debian_defaults_adds_one_target(mnt, emulator, tmp_path):
    """Debian's vim (defaults.vim: filetype plugins on) opens `backup`, the
    user adds a line below the first with `o` and saves: one backup.
    With '#' help lines vim picked filetype=conf and `o` continued the
    comment, so nothing started."""
    emulator.set_config(backupSeconds=1)
    rc = tmux_edit(tmp_path, ["vim", "backup"],
                   [(False, "o"), (True, "backups/vim.bak"),
                    (False, "Escape"), (True, ":set ft?"), (False, "Enter"),
                    (True, ":wq"), (False, "Enter")],
                   cwd=mnt.path(KEY))
    assert rc == 0
    one_backup(emulator, "vim.bak")
    d = check_status(read(mnt.path(KEY, "status")).decode())
    assert d["target"] == "backups/vim.bak", d


def test_nano_adds_one_target(mnt, emulator, tmp_path):
    emulator.set_config(backupSeconds=1)
    rc = tmux_edit(tmp_path, ["nano", "backup"],
                   [(True, "backups/nano.bak"), (False, "Enter"),
                    (False, "C-o"), (False, "Enter"), (False, "C-x")],
                   cwd=mnt.path(KEY))
    assert rc == 0
    one_backup(emulator, "nano.bak")


def test_gio_save_of_the_whole_buffer_starts_one_backup(mnt, emulator):
    """gedit-style: the help text as read, plus the target line."""
    emulator.set_config(backupSeconds=1)
    f = q(mnt.path(KEY, "backup"))
    r = sh("{ cat %s; echo backups/gedit.bak; } | gio save %s" % (f, f))
    assert r.rc == 0, r
    one_backup(emulator, "gedit.bak")


# ---- status keeps the truth (point 3) ------------------------------------------

REFUSED = r"^ocivaultfs: warning: backup of key '[^']+' \([^)]+\) refused: "


def backups_lines(m):
    with open(m.path(".ocivaultfs", "backups"), encoding="utf-8") as f:
        return [ln.split("\t") for ln in f.read().splitlines()]


def status_of(m, key):
    return check_status(read(m.path(key, "status")).decode())


def test_a_refused_write_keeps_the_last_success(mnt, emulator, namespace,
                                                register_output):
    register_output(REFUSED)
    emulator.set_config(backupSeconds=1)
    r = sh("echo backups/first.bak > %s && cat %s" % (
        q(mnt.path(KEY, "backup")), q(mnt.path(KEY, "wait"))))
    assert r.rc == 0, r
    ok = check_status(r.out)
    assert ok["state"] == "succeeded", ok
    (obj,) = emulator.objects()
    assert obj["name"] == "first.bak" and int(ok["size"]) == obj["size"]
    # The typo of issue 11: refused, and the success is still shown.
    r = bash("echo 'bad bucket!!' > %s" % q(mnt.path(KEY, "backup")))
    assert_errno(r, errno.EINVAL)
    d = status_of(mnt, KEY)
    assert d["state"] == "failed" and d["errno"] == "EINVAL", d
    assert "object" not in d, d
    assert d["last_success"] == ok["finished"], (d, ok)
    assert d["last_success_object"] == ok["object"] == \
        namespace + "/backups/first.bak", d
    assert d["last_success_size"] == ok["size"], d
    assert d["last_success_work_request"] == ok["work_request"], d
    # status.json: the same facts, typed.
    with open(mnt.path(KEY, "status.json"), encoding="utf-8") as f:
        j = json.load(f)
    assert list(j) == list(d), (j, d)
    assert j["state"] == "failed" and j["last_success_size"] == obj["size"]
    assert j["last_success_object"] == d["last_success_object"]
    # One line per attempt, the refusal with its errno.
    lines = [ln for ln in backups_lines(mnt) if ln[2] == KEY]
    assert [(ln[0], ln[8]) for ln in lines] == [("succeeded", "-"),
                                                ("failed", "EINVAL")], lines
    assert lines[0][3] == ok["object"] and lines[1][3] == "-", lines
    # A later success replaces the last success.
    r = sh("echo backups/second.bak > %s && cat %s" % (
        q(mnt.path(KEY, "backup")), q(mnt.path(KEY, "wait"))))
    assert r.rc == 0, r
    d = status_of(mnt, KEY)
    assert d["state"] == "succeeded" and \
        d["last_success_object"] == namespace + "/backups/second.bak", d
    assert len([ln for ln in backups_lines(mnt) if ln[2] == KEY]) == 3


def test_refusals_are_listed_with_their_errno(mnt, emulator,
                                              register_output):
    register_output(REFUSED)
    soft = prod_key("soft-key")
    assert run(["ls", mnt.path(soft)]).rc == 0
    r = bash("echo backups > %s" % q(mnt.path(soft, "backup")))
    assert_errno(r, errno.EOPNOTSUPP)
    # A write while a backup is in flight is refused (EBUSY), and listed
    # beside the backup, which it does not disturb.
    emulator.set_config(backupSeconds=30)
    r = sh("echo backups/long.bak > %s" % q(mnt.path(KEY, "backup")))
    assert r.rc == 0, r
    r = bash("echo backups/again.bak > %s" % q(mnt.path(KEY, "backup")))
    assert_errno(r, errno.EBUSY)
    lines = backups_lines(mnt)
    assert all(len(ln) == 9 for ln in lines), lines
    assert [(ln[0], ln[2], ln[8]) for ln in lines] == [
        ("failed", soft, "EOPNOTSUPP"),
        (lines[1][0], KEY, "-"),
        ("rejected", KEY, "EBUSY")], lines
    assert lines[1][0] in ("accepted", "in_progress"), lines
    assert lines[0][3] == "backups"  # the target as written
    assert requests(emulator)["BackupKey"] == 1


def test_the_last_success_survives_a_remount(mount, emulator, namespace):
    state = os.path.join(scratch_dir("ovfs-wstest-"), "state")
    emulator.set_config(backupSeconds=1)
    m = mount("state_dir=" + state)
    r = sh("echo backups/kept.bak > %s && cat %s" % (
        q(m.path(KEY, "backup")), q(m.path(KEY, "wait"))))
    assert r.rc == 0, r
    ok = check_status(r.out)
    m.umount()
    m2 = mount("state_dir=" + state)
    d = status_of(m2, KEY)
    assert d["state"] == "none", d
    assert d["last_success"] == ok["finished"], (d, ok)
    assert d["last_success_object"] == namespace + "/backups/kept.bak", d
    assert d["last_success_work_request"] == ok["work_request"], d
    # This mount's list holds this mount's attempts only.
    assert backups_lines(m2) == []


# ---- logging (point 7) ----------------------------------------------------------

def test_one_log_line_per_backup_event(mnt, emulator, namespace,
                                       register_output):
    """submitted, succeeded, failed and refused: the key by its path, the
    target redacted, the work request and opc-request-id."""
    register_output(REFUSED)
    emulator.set_config(backupSeconds=1)
    r = sh("echo backups/logged.bak > %s && cat %s" % (
        q(mnt.path(KEY, "backup")), q(mnt.path(KEY, "wait"))))
    assert r.rc == 0, r
    ok = check_status(r.out)
    hr = prod_key("hr-master")
    url = emulator.create_par("backups", "late.bak", expires_in=-60)["fullUrl"]
    r = bash("echo %s > %s; cat %s" % (q(url), q(mnt.path(hr, "backup")),
                                      q(mnt.path(hr, "wait"))))
    assert_errno(r, errno.EIO)
    bad = check_status(read(mnt.path(hr, "status")).decode())
    r = bash("echo 'bad bucket!!' > %s" % q(mnt.path(KEY, "backup")))
    assert_errno(r, errno.EINVAL)
    out = mnt.output()
    pre = r"^ocivaultfs: (info|notice|warning): backup of key '%s' \(%s\) "
    lines = {k: [ln for ln in out.splitlines()
                 if re.match(pre % (re.escape(p), re.escape(o)), ln)]
             for k, p, o in (("pay", KEY, ok["work_request"] and
                              KEYS["payments-master"]),
                             ("hr", hr, KEYS["hr-master"]))}
    pay, hrl = lines["pay"], lines["hr"]
    assert len(pay) == 3 and len(hrl) == 2, out
    assert re.search(r"info: .* to backups/logged.bak submitted: work "
                     r"request %s \[opc-request-id: %s\]$" % (
                         re.escape(ok["work_request"]), REQUEST_ID),
                     pay[0]), pay
    assert pay[1].endswith("succeeded: object %s (%s bytes), work request "
                           "%s" % (ok["object"], ok["size"],
                                   ok["work_request"])), pay
    assert "notice: " in pay[2] and \
        "refused: EINVAL: InvalidTarget: invalid bucket name" in pay[2], pay
    # The PAR is redacted; the failure is a notice, with its code.
    assert "/p/***/" in hrl[0] and url.split("/p/")[1].split("/")[0] \
        not in out, hrl
    assert re.search(r"notice: .* failed: %s, " % bad["errno"], hrl[1]), hrl
    assert bad["work_request"] in hrl[1], hrl


def test_a_shell_inside_the_mount_keeps_its_working_directory(mnt, emulator):
    """A first listing, a changed key: the kernel's entries of directories
    whose names did not change are kept (getcwd keeps working; Nautilus
    scripts and shells run inside the mount)."""
    emulator.set_config(backupSeconds=1)
    vaults = mnt.path("compartments/Production/vaults")
    r = sh("cd %s && ls . >/dev/null && pwd -P && /usr/bin/python3 -c "
           "'import os; print(os.getcwd())'" % q(vaults))
    assert r.rc == 0 and r.out.split() == [vaults, vaults], r
    key = mnt.path(KEY)
    r = sh("cd %s && echo backups/cwd.bak > backup && cat wait >/dev/null "
           "&& ls .. >/dev/null && cat status >/dev/null && /usr/bin/python3 "
           "-c 'import os; print(os.getcwd())'" % q(key))
    assert r.rc == 0 and r.out.split() == [key], r
    assert [o["name"] for o in emulator.objects()] == ["cwd.bak"]


def test_umask_only_takes_bits_away(mount):
    """umask=022 (what s3fs and rclone users write) changes nothing here:
    nothing becomes executable or writable; umask=077 hides the tree from
    the other users."""
    m = mount("umask=022")
    modes = {n: stat.S_IMODE(os.stat(m.path(KEY, n)).st_mode)
             for n in ("id", "status", "backup", "key.json")}
    assert modes == {"id": 0o444, "status": 0o444, "backup": 0o600,
                     "key.json": 0o444}, modes
    assert stat.S_IMODE(os.stat(m.path(KEY)).st_mode) == 0o555
    m2 = mount("umask=077")
    assert stat.S_IMODE(os.stat(m2.path(KEY, "status")).st_mode) == 0o400
    assert stat.S_IMODE(os.stat(m2.path(KEY)).st_mode) == 0o500
    assert stat.S_IMODE(os.stat(m2.path(KEY, "backup")).st_mode) == 0o600
    r = run([os.path.join(os.environ.get("OVFS_BUILD_ROOT", "build"),
                          "ocivaultfs"), "-o", "umask=1777", "/tmp"])
    assert r.rc != 0 and "umask must be octal" in r.err, r


def test_json_size_cached_keeps_ls_lR_call_free(mount, emulator):
    """-o json_size=cached: a stat of key.json never fetches it (0 before
    the first read, then that read's length), so ls -lR of a whole
    tenancy costs its listings only; reads still fetch and copy whole."""
    m = mount("json_size=cached")
    prod = m.path("compartments/Production")
    assert run(["find", prod]).rc == 0
    before = requests(emulator)
    r = run(["ls", "-lR", prod])
    assert r.rc == 0, r
    assert calls_since(emulator, before) == {}
    path = m.path(KEY, "key.json")
    assert os.stat(path).st_size == 0
    data = read(path)  # fetches, and the length is known from now on
    assert len(data) > 200 and os.stat(path).st_size == len(data)
    assert calls_since(emulator, before) == {"GetKey": 1}
    r = run([os.path.join(os.environ.get("OVFS_BUILD_ROOT", "build"),
                          "ocivaultfs"), "-o", "json_size=maybe", "/tmp"])
    assert r.rc != 0 and "json_size must be exact or cached" in r.err, r
