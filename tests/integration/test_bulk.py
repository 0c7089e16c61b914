# SPDX-License-Identifier: MIT
"""scripts/ocivault-backup and the desktop menus around it (issue 11,
point 8; docs/workstation.md).  Every success is checked in the
emulator's state: exactly one object per eligible key, holding that key
(`/_emulator/objects` gives each object's key_id), none for the others.
The menus run headless: fake zenity, kdialog and qdbus executables come
first on PATH, answer with a target and record their arguments."""

import json
import os
import pty
import re
import select
import shlex
import subprocess
import sys
import time

from fsutil import (DEFAULT_KEYS, KEYS, PROD, PROD_ELIGIBLE, PROD_FILES,
                    PROD_KEYS, PROD_VAULT, calls_since, check_status,
                    requests, run, wait_until)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("OVFS_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(SOURCE_ROOT, "scripts", "ocivault-backup")
DESKTOP = os.path.join(SOURCE_ROOT, "scripts", "desktop")
NAUTILUS = os.path.join(DESKTOP, "nautilus", "Back up key\u2026")
DOLPHIN = os.path.join(DESKTOP, "dolphin")
REFUSED_LOG = r"^ocivaultfs: warning: backup of key '[^']+' \([^)]+\) refused: "
PROD_SKIPPED = sorted(set(PROD_FILES) - set(PROD_ELIGIBLE))


def backup(*args, input=None, timeout=300, env=None):
    return run([sys.executable, TOOL] + list(args), input=input,
               timeout=timeout, env=env)


def objects_by_key(emu):
    by = {}
    for o in emu.objects():
        by.setdefault(o["key_id"], []).append(o)
    return by


def check_backed_up(emu, m, keys, others=()):
    """Each key of `keys` (paths relative to the mount) has exactly one
    object holding it and `status` says succeeded with that object; the
    keys of `others` have none."""
    by = objects_by_key(emu)
    for key in keys:
        with open(m.path(key, "id"), encoding="utf-8") as f:
            kid = f.read().strip()
        mine = by.pop(kid, [])
        assert len(mine) == 1, (key, mine)
        with open(m.path(key, "status"), encoding="utf-8") as f:
            d = check_status(f.read())
        assert d["state"] == "succeeded", (key, d)
        o = mine[0]
        assert d["object"] == "%s/%s/%s" % (o["namespace"], o["bucket"],
                                            o["name"]), (key, d, o)
    for key in others:
        with open(m.path(key, "id"), encoding="utf-8") as f:
            assert f.read().strip() not in by, key
    assert by == {}, ("objects of keys not asked for", by)


def summary(out):
    m = re.search(r"^ocivault-backup: (.*)$", out, re.M)
    assert m, out
    return m.group(1)


def prod(names):
    return [PROD_KEYS + "/" + n for n in names]


# -- the script -------------------------------------------------------------

def test_vault_eligible_keys_backed_up_others_skipped(mount, emulator):
    m = mount()
    r = backup("-j", "3", "backups", m.path(PROD_VAULT))
    assert r.rc == 0, r
    assert summary(r.out) == "%d succeeded, 0 failed, %d skipped (%d keys)" \
        % (len(PROD_ELIGIBLE), len(PROD_SKIPPED), len(PROD_FILES)), r
    check_backed_up(emulator, m, prod(PROD_ELIGIBLE), prod(PROD_SKIPPED))
    # Without a terminal: plain lines, no escape sequences; the skipped
    # keys with the reason their status gives.
    assert "\x1b" not in r.out
    assert re.search(r"^keys/soft-key: skipped: SOFTWARE-protected keys "
                     r"cannot be backed up", r.out, re.M), r
    assert re.search(r"^keys/legacy-key: skipped: the key is "
                     r"PENDING_DELETION", r.out, re.M), r
    for name in PROD_ELIGIBLE:
        assert re.search(r"^keys/%s: succeeded: [a-z0-9]+/backups/.+\.backup$"
                         % re.escape(name), r.out, re.M), (name, r)
        assert re.search(r"^keys/%s: (accepted|in_progress)" %
                         re.escape(name), r.out, re.M), (name, r)


def test_keys_given_one_by_one_and_twice(mount, emulator):
    m = mount()
    a, b = prod(["payments-master", "hr-master"])
    # The same key twice (also through its keys/ directory) is one backup.
    r = backup("backups", m.path(a), m.path(b), m.path(a),
               m.path(PROD_KEYS, "..", "keys", "hr-master"))
    assert r.rc == 0, r
    assert summary(r.out) == "2 succeeded, 0 failed, 0 skipped (2 keys)", r
    check_backed_up(emulator, m, [a, b])


RESTRICTED_LOG = r"^ocivaultfs: error: cannot list the contents of 'ocid1"

def test_dry_run_writes_nothing(mount, emulator, register_output):
    register_output(RESTRICTED_LOG)
    m = mount()
    before = requests(emulator)
    r = backup("-n", "backups", m.mnt)
    assert r.rc == 0, r
    assert emulator.objects() == []
    calls = calls_since(emulator, before)
    assert not {"BackupKey", "GetNamespace", "ListObjects",
                "GetKey"} & set(calls), calls
    for name in PROD_ELIGIBLE:
        assert re.search(r"^%s: would back up$" %
                         re.escape(PROD_KEYS + "/" + name), r.out, re.M), r
    for name in PROD_SKIPPED + ["default-hsm", "default-soft"]:
        assert re.search(r"^\S.*/%s: skipped: " % re.escape(name),
                         r.out, re.M), (name, r)
    # The compartment we may see but not read is reported, not fatal.
    assert re.search(r"Restricted/(vaults|compartments): not listed: "
                     r"Permission denied", r.err), r
    assert re.search(r"^ocivault-backup: \d+ would be backed up, \d+ skipped "
                     r"\(\d+ keys\), \d+ director(y|ies) not listed$",
                     r.out, re.M), r


def test_failures_counted_and_exit_1(mount, emulator, register_output):
    register_output(REFUSED_LOG)
    m = mount()
    r = backup("-j", "2", "no-such-bucket", m.path(PROD_VAULT))
    assert r.rc == 1, r
    assert summary(r.out) == "0 succeeded, %d failed, %d skipped (%d keys)" \
        % (len(PROD_ELIGIBLE), len(PROD_SKIPPED), len(PROD_FILES)), r
    assert emulator.objects() == []
    # Failures go to stderr with the errno and OCI's code.
    assert len(re.findall(r"^keys/\S.*: failed: No such file or directory "
                          r"\(ENOENT\): BucketNotFound", r.err, re.M)) == \
        len(PROD_ELIGIBLE), r


def test_one_failure_among_successes(mount, emulator, register_output):
    register_output(REFUSED_LOG)
    register_output(r"TooManyRequests|429")
    m = mount("retries=1")
    # The first BackupKey is throttled (and not retried): that key fails,
    # the others succeed.
    emulator.faults([{"op": "BackupKey", "kind": "429", "count": 1}])
    r = backup("-j", "1", "backups", m.path(PROD_KEYS))
    assert r.rc == 1, r
    assert summary(r.out) == "%d succeeded, 1 failed, %d skipped (%d keys)" \
        % (len(PROD_ELIGIBLE) - 1, len(PROD_SKIPPED), len(PROD_FILES)), r
    (name,) = re.findall(r"^(.*): failed: .*\(EAGAIN\)", r.err, re.M)
    failed = PROD_KEYS + "/" + name
    ok = [k for k in prod(PROD_ELIGIBLE) if k != failed]
    assert len(ok) == len(PROD_ELIGIBLE) - 1, (failed, ok)
    check_backed_up(emulator, m, ok, prod(PROD_SKIPPED) + [failed])


def test_malformed_target_tried_once(mount, emulator, register_output):
    register_output(REFUSED_LOG)
    m = mount()
    before = requests(emulator)
    # keys= is for vaults: EINVAL from the first write, before any call;
    # the other keys are not tried.
    r = backup("-j", "1", "keys=no backups", m.path(PROD_KEYS))
    assert r.rc == 1, r
    assert summary(r.out) == "0 succeeded, %d failed, %d skipped (%d keys)" \
        % (len(PROD_ELIGIBLE), len(PROD_SKIPPED), len(PROD_FILES)), r
    assert len(re.findall(r": failed: Invalid argument \(EINVAL\): "
                          r"InvalidTarget", r.err)) == 1, r
    assert len(re.findall(r": failed: not attempted: the target was "
                          r"refused: Invalid argument \(EINVAL\)",
                          r.err)) == len(PROD_ELIGIBLE) - 1, r
    states = []
    for key in prod(PROD_ELIGIBLE):
        with open(m.path(key, "status"), encoding="utf-8") as f:
            states.append(check_status(f.read())["state"])
    assert sorted(states) == ["failed"] + ["none"] * (len(states) - 1)
    assert not {"BackupKey", "ListObjects"} & \
        set(calls_since(emulator, before))
    assert emulator.objects() == []


def test_target_naming_one_object_refused_for_many_keys(mount, emulator):
    m = mount()
    m_keys = m.path(PROD_KEYS)
    for target in ("backups/x.bak", "oci://backups@ns/x.bak",
                   '{"destination": "BUCKET", "namespace": "ns", '
                   '"bucketName": "backups", "objectName": "x.bak"}'):
        before = requests(emulator)
        r = backup(target, m_keys)
        assert r.rc == 2, r
        assert "names one object" in r.err, r
        assert not {"BackupKey", "ListObjects"} & \
            set(calls_since(emulator, before))
    # For one key it is fine.
    key = prod(["hr-master"])[0]
    r = backup("backups/hr.bak", m.path(key))
    assert r.rc == 0, r
    assert [o["name"] for o in emulator.objects()] == ["hr.bak"]
    check_backed_up(emulator, m, [key])


def test_par_target_from_stdin_never_shown(mount, emulator):
    m = mount()
    url = emulator.create_par("backups",
                              access_type="AnyObjectWrite")["fullUrl"]
    token = url.split("/p/")[1].split("/")[0]
    keys = prod(["payments-master", "app signing"])
    r = backup("-", *[m.path(k) for k in keys], input=url + "\n")
    assert r.rc == 0, r
    assert token not in r.out + r.err
    check_backed_up(emulator, m, keys)


def test_usage_errors(mount, tmp_path):
    m = mount()
    for args in ([], ["backups"], ["-j", "0", "backups", m.mnt],
                 ["backups", str(tmp_path / "missing")],
                 ["backups", str(tmp_path)],   # not in a mount
                 ["backups", m.mnt, str(tmp_path)],
                 ["", m.mnt]):
        r = backup(*args)
        assert r.rc == 2, (args, r)
        assert "Traceback" not in r.err, r
    r = backup("backups", str(tmp_path))
    assert "not in an ocivaultfs mount" in r.err, r
    r = backup("--help")
    assert r.rc == 0 and "--dry-run" in r.out and "--jobs" in r.out, r


def run_on_pty(argv, timeout=300):
    """Run argv with its stdout on a terminal; (status, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the other end is closed
                break
            if not data:
                break
            out += data
        elif proc.poll() is not None:
            break
    os.close(master)
    err = proc.stderr.read()
    return proc.wait(timeout=30), out.decode("utf-8", "replace"), err


def test_live_progress_on_a_terminal(mount, emulator):
    emulator.set_config(backupSeconds=3)
    m = mount()
    keys = prod(["payments-master", "hr-master", "app signing"])
    rc, out, err = run_on_pty([sys.executable, TOOL, "-j", "3", "backups"] +
                              [m.path(k) for k in keys])
    assert rc == 0, (out, err)
    # Live lines (state, percent, key) redrawn in place, then the results.
    assert "\x1b[" in out and "\x1b[J" in out, out
    assert re.search(r"(accepted|in_progress) +\d+%  payments-master", out), \
        out
    assert re.search(r"\[\d/3 done, \d in flight\]", out), out
    assert "ocivault-backup: 3 succeeded, 0 failed, 0 skipped (3 keys)" in out
    check_backed_up(emulator, m, keys)


def test_synthetic_tenancy_at_scale(mount, emulator_factory):
    # synthetic:2,3,200: 1200 keys in 6 vaults, half of them in DEFAULT
    # vaults, every tenth SOFTWARE: about 720 backups through the
    # filesystem's pacing (rate 10/s, OCI's), 16 in flight at a time.
    emu = emulator_factory(tenancy="synthetic:2,3,200", backup_seconds=1)
    m = mount(emu=emu)
    shape = emu.admin("GET", "/_emulator/keys")
    vault_type = {v["id"]: v.get("vaultType")
                  for v in emu.info()["vaults"]}
    eligible = [k for k in shape
                if k["lifecycleState"] in ("ENABLED", "DISABLED") and
                k["protectionMode"] == "HSM" and
                vault_type.get(k["vaultId"], "VIRTUAL_PRIVATE") ==
                "VIRTUAL_PRIVATE"]
    r = backup("-q", "-j", "16", "backups", m.mnt, timeout=1500)
    assert r.rc == 0, r
    assert summary(r.out) == "%d succeeded, 0 failed, %d skipped (%d keys)" \
        % (len(eligible), len(shape) - len(eligible), len(shape)), r
    # -q: only the summary.
    assert r.out.count("\n") == 1, r.out[:2000]
    by = objects_by_key(emu)
    assert sorted(by) == sorted(k["id"] for k in eligible)
    assert all(len(v) == 1 for v in by.values())
    assert emu.stats()["backups"]["started"] == len(eligible)


# -- the desktop menus --------------------------------------------------------

FAKE = r'''#!/usr/bin/python3
# A fake %(name)s: records its arguments (and what it read) in $FAKE_LOG.
import json, os, signal, sys
rec = {"prog": %(name)r, "argv": sys.argv[1:]}
a = sys.argv[1:]
rc = 0
if "--progress" in a and os.environ.get("FAKE_CANCEL_PROGRESS"):
    # Cancel at the first line, as zenity --auto-kill does: SIGHUP to
    # the parent, exit 1.
    rec["stdin"] = sys.stdin.readline()
    with open(os.environ["FAKE_LOG"], "a") as f:
        f.write(json.dumps(rec) + "\n")
    os.kill(os.getppid(), signal.SIGHUP)
    sys.exit(1)
elif "--progress" in a:
    rec["stdin"] = sys.stdin.read()
elif "--entry" in a or "--inputbox" in a:
    if os.environ.get("FAKE_CANCEL_ENTRY"):
        rc = 1
    else:
        sys.stdout.write(os.environ["FAKE_TARGET"] + "\n")
elif "--progressbar" in a:
    sys.stdout.write("org.kde.kdialog-4242 /ProgressDialog\n")
elif %(name)r.startswith("qdbus") and a[-1:] == ["wasCancelled"]:
    sys.stdout.write(os.environ.get("FAKE_CANCELLED", "false") + "\n")
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(json.dumps(rec) + "\n")
sys.exit(rc)
'''


def fake_bin(tmp_path, names):
    d = tmp_path / "bin"
    d.mkdir(exist_ok=True)
    for name in names:
        p = d / name
        p.write_text(FAKE % {"name": name})
        p.chmod(0o755)
    # ocivault-backup itself, from the source tree, as if installed.
    link = d / "ocivault-backup"
    if not link.exists():
        link.symlink_to(TOOL)
    return str(d)


def fake_env(tmp_path, bindir, target, **extra):
    log = tmp_path / "fake.log"
    env = {"PATH": bindir + os.pathsep + DOLPHIN + os.pathsep +
           os.environ.get("PATH", "/usr/bin:/bin"),
           "FAKE_LOG": str(log), "FAKE_TARGET": target,
           "OCIVAULT_BACKUP": ""}
    env.update(extra)
    return env, log


def calls(log):
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_nautilus_script(mount, emulator, tmp_path):
    m = mount()
    bindir = fake_bin(tmp_path, ["zenity"])
    env, log = fake_env(tmp_path, bindir, "backups")
    # Nautilus runs the script in the current directory, the selection as
    # arguments: here the vault, selected in its compartment's vaults/.
    r = run([NAUTILUS, "prod-vault"], cwd=m.path(PROD, "vaults"), env=env,
            timeout=300)
    assert r.rc == 0, (r, calls(log))
    check_backed_up(emulator, m, prod(PROD_ELIGIBLE), prod(PROD_SKIPPED))
    c = calls(log)
    assert [x["argv"][0] for x in c] == ["--entry", "--progress", "--info"], c
    assert "1 selected item" in " ".join(c[0]["argv"])
    fed = c[1]["stdin"].splitlines()
    # zenity --progress got percents (ending at 100) and "# text" lines.
    pcts = [int(x) for x in fed if x.isdigit()]
    assert pcts and pcts[-1] == 100 and pcts == sorted(pcts), fed
    want = "# %d succeeded, 0 failed, %d skipped (%d keys)" % (
        len(PROD_ELIGIBLE), len(PROD_SKIPPED), len(PROD_FILES))
    assert fed[-1] == want, fed
    assert "--text=" + want[2:] in c[2]["argv"], c[2]


def test_nautilus_script_failure_and_cancel(mount, emulator, tmp_path,
                                            register_output):
    register_output(REFUSED_LOG)
    m = mount()
    bindir = fake_bin(tmp_path, ["zenity"])
    key = prod(["hr-master"])[0]
    # Cancelled at the prompt: nothing at all.
    env, log = fake_env(tmp_path, bindir, "backups", FAKE_CANCEL_ENTRY="1")
    before = requests(emulator)
    r = run([NAUTILUS, "hr-master"], cwd=m.path(PROD_KEYS), env=env)
    assert r.rc == 0, r
    assert [x["argv"][0] for x in calls(log)] == ["--entry"]
    assert "BackupKey" not in calls_since(emulator, before)
    log.unlink()
    # A bucket that does not exist: the error dialog shows why.
    env, log = fake_env(tmp_path, bindir, "no-such-bucket")
    r = run([NAUTILUS, "hr-master"], cwd=m.path(PROD_KEYS), env=env)
    assert r.rc == 1, r
    c = calls(log)
    assert [x["argv"][0] for x in c] == ["--entry", "--progress", "--error"]
    text = [a for a in c[2]["argv"] if a.startswith("--text=")][0]
    assert "0 succeeded, 1 failed, 0 skipped (1 key)" in text, text
    assert "hr-master: failed: No such file or directory (ENOENT): " \
           "BucketNotFound" in text, text
    assert emulator.objects() == []
    with open(m.path(key, "status"), encoding="utf-8") as f:
        assert check_status(f.read())["state"] == "failed"


def tool_processes(mark):
    """PIDs of ocivault-backup processes with `mark` in their arguments."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        if any(a.endswith("ocivault-backup") for a in argv) and \
                any(mark in a for a in argv):
            pids.append(int(pid))
    return pids


def test_nautilus_progress_cancelled(mount, emulator, tmp_path):
    emulator.set_config(backupSeconds=2)
    m = mount()
    bindir = fake_bin(tmp_path, ["zenity"])
    env, log = fake_env(tmp_path, bindir, "backups",
                        FAKE_CANCEL_PROGRESS="1", OCIVAULT_BACKUP_JOBS="1")
    r = run([NAUTILUS, m.path(PROD_KEYS)], env=env, timeout=300)
    assert r.rc != 0, r
    # ocivault-backup, left without a reader, stops by itself: no new
    # backups once the dialog is gone, none left half written.
    wait_until(lambda: not tool_processes(m.mnt), 120, interval=0.2,
               what="ocivault-backup gone")
    assert [x["argv"][0] for x in calls(log)] == ["--entry", "--progress"]
    # What was accepted is tracked to its end by the filesystem...
    for key in prod(PROD_ELIGIBLE):
        wait_until(lambda: check_status(open(m.path(key, "status"),
                   encoding="utf-8").read())["state"] in
                   ("none", "succeeded"), 60, interval=0.2, what=key)
    # ...and each made its object (counted once they ended: a slow build
    # may see the tool gone before the first one ends); not all keys
    # were backed up.
    n = len(emulator.objects())
    assert n == requests(emulator).get("BackupKey", 0), n
    assert 1 <= n < len(PROD_ELIGIBLE), n


def desktop_exec(path):
    """The Exec= line of the service menu's action, split like KIO does."""
    section = None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section and section.startswith("[Desktop Action") and \
                line.startswith("Exec="):
            return shlex.split(line[5:])
    raise AssertionError("no Exec= in an action of " + path)


def dolphin_argv(paths):
    desktop = os.path.join(DOLPHIN, "ocivaultfs-backup.desktop")
    argv = []
    for a in desktop_exec(desktop):
        argv += list(paths) if a == "%F" else [a]
    return argv


def test_dolphin_service_menu(mount, emulator, tmp_path):
    m = mount()
    bindir = fake_bin(tmp_path, ["kdialog", "qdbus"])
    env, log = fake_env(tmp_path, bindir, "backups")
    keys = prod(["payments-master", "Équipe données"])
    argv = dolphin_argv([m.path(k) for k in keys])
    assert argv[0] == "ocivaultfs-backup-kdialog"
    r = run(argv, env=env, timeout=300)
    assert r.rc == 0, (r, calls(log))
    check_backed_up(emulator, m, keys)
    c = calls(log)
    kd = [x["argv"] for x in c if x["prog"] == "kdialog"]
    qd = [x["argv"] for x in c if x["prog"] == "qdbus"]
    assert "--inputbox" in kd[0] and "--progressbar" in kd[1], kd
    assert "--msgbox" in kd[-1], kd
    assert kd[-1][-1] == "2 succeeded, 0 failed, 0 skipped (2 keys)", kd
    ref = ["org.kde.kdialog-4242", "/ProgressDialog"]
    values = [int(a[-1]) for a in qd if a[:4] == ref + ["Set", ""]]
    assert values and values[-1] == 100 and values == sorted(values), qd
    assert ref + ["close"] in qd, qd


def test_dolphin_service_menu_cancel(mount, emulator, tmp_path):
    emulator.set_config(backupSeconds=5)
    m = mount()
    bindir = fake_bin(tmp_path, ["kdialog", "qdbus"])
    # The progress dialog's Cancel was pressed: ocivault-backup stops
    # submitting (the backup already accepted goes on in OCI).
    env, log = fake_env(tmp_path, bindir, "backups", FAKE_CANCELLED="true")
    env["OCIVAULT_BACKUP_JOBS"] = "1"
    r = run(dolphin_argv([m.path(PROD_KEYS)]), env=env, timeout=300)
    assert r.rc == 130, (r, calls(log))
    kd = [x["argv"] for x in calls(log) if x["prog"] == "kdialog"]
    assert "--error" in kd[-1], kd
    assert "interrupted" in kd[-1][-1], kd
    assert len(emulator.objects()) < len(PROD_ELIGIBLE)


def test_dolphin_without_qdbus(mount, emulator, tmp_path):
    m = mount()
    bindir = fake_bin(tmp_path, ["kdialog"])
    env, log = fake_env(tmp_path, bindir, "backups")
    # Only our fakes and the basic tools: no qdbus anywhere on PATH.
    tools = tmp_path / "tools"
    tools.mkdir()
    for t in ("bash", "cat", "head", "mktemp", "rm", "sed", "tail", "tee",
              "sleep", "python3"):
        (tools / t).symlink_to(subprocess.check_output(
            ["bash", "-c", "command -v " + t], text=True).strip())
    env["PATH"] = bindir + os.pathsep + DOLPHIN + os.pathsep + str(tools)
    key = prod(["hr-master"])[0]
    r = run(["bash", os.path.join(DOLPHIN, "ocivaultfs-backup-kdialog"),
             m.path(key)], env=env, timeout=300)
    assert r.rc == 0, (r, calls(log))
    kd = [x["argv"] for x in calls(log)]
    assert "--inputbox" in kd[0] and "--passivepopup" in kd[1], kd
    assert kd[-1][-2:] == ["--msgbox",
                           "1 succeeded, 0 failed, 0 skipped (1 key)"], kd
    check_backed_up(emulator, m, [key])


def test_sample_has_the_keys_the_tests_expect():
    # The split the tests rely on (fsutil): two ineligible keys in
    # prod-vault, one DEFAULT vault's keys elsewhere.
    assert PROD_SKIPPED == ["legacy-key", "soft-key"]
    assert DEFAULT_KEYS.endswith("prod-default/keys")
    assert KEYS["payments-master"] in PROD_FILES.values()
