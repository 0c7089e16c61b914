# SPDX-License-Identifier: MIT
"""Mounting the standard ways (docs/mounting.md): `mount -t
fuse.ocivaultfs PROFILE DIR`, fstab lines (through `mount --fstab FILE`
and `mount -T FILE`), the source naming the profile and the mount's
source and type, the refusal to mount over a mount, the daemon's
sd_notify messages (READY=1 once mounted, STOPPING=1), -o log_file and
the warning about an unreachable syslog, `meson install --destdir` and
`systemd-analyze verify` of the installed unit.

mount(8) runs helpers with a default PATH: the tests that go through it
run in a private mount namespace (unshare -m) where a directory holding
`ocivaultfs` (the build's) is bind-mounted over /usr/local/sbin, the
first directory of that PATH; nothing outside the namespace changes.
Daemonized daemons are reaped by this process (PR_SET_CHILD_SUBREAPER)
to check their exit status."""

import ctypes
import errno
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import (BUILD_ROOT, OCIVAULTFS, SLOW, SOURCE_ROOT, daemon_argv,
                      daemon_env, emulator_options, is_mounted)
from fsutil import Result, assert_errno, q, run, wait_until
from pylib.emulator import scratch_dir

PR_SET_CHILD_SUBREAPER = 36
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                      r"ocivaultfs\[(\d+)\] (error|warning|notice|info|debug): "
                      r"(.*)$")


def mounts_at(path):
    """(source, fstype) of every mount on `path`, bottom first."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] != path:
                continue
            rest = fields[fields.index("-") + 1:]
            out.append((rest[1], rest[0]))
    return out


def log_lines(path):
    """The parsed lines of a log_file: (pid, level, message)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        m = LOG_LINE.match(line)
        assert m, "not a log_file line: %r" % line
        out.append((int(m.group(1)), m.group(2), m.group(3)))
    return out


def daemon_pid(log):
    """The pid of the daemon that logged "mounted ..." into `log`."""
    for pid, level, msg in log_lines(log):
        if level == "info" and msg.startswith("mounted "):
            return pid
    raise AssertionError("no 'mounted' line in %s: %r" % (log,
                                                          log_lines(log)))


@pytest.fixture
def reaper():
    """Daemonized daemons become children of this process; reap(pid)
    waits for one and returns its exit status.  At the end, any daemon
    still running is stopped (SIGTERM: it unmounts itself)."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    pids = []

    def reap(pid, timeout=20):
        deadline = time.monotonic() + timeout * SLOW
        while True:
            got, status = os.waitpid(pid, os.WNOHANG)
            if got == pid:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                raise AssertionError("daemon %d did not exit" % pid)
            time.sleep(0.05)

    def watch(pid):
        pids.append(pid)
        return pid

    reap.watch = watch
    yield reap
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
            reap(pid, timeout=10)
        except (ProcessLookupError, ChildProcessError):
            pass
    libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def ns_run(script, timeout=60):
    """Run a bash script in a private mount namespace where mount(8)'s
    helpers find the build's ocivaultfs on their default PATH."""
    if not shutil.which("unshare") or \
            subprocess.run(["unshare", "-m", "true"]).returncode:
        pytest.skip("no private mount namespace (unshare -m)")
    if not os.path.isdir("/usr/local/sbin"):
        pytest.skip("/usr/local/sbin missing: no place on the helpers' PATH")
    bindir = scratch_dir("ovfs-bin-")
    os.symlink(OCIVAULTFS, os.path.join(bindir, "ocivaultfs"))
    prologue = "mount --bind %s /usr/local/sbin\n" % q(bindir)
    argv = ["unshare", "--mount", "--propagation", "private", "bash", "-euc",
            prologue + script]
    # daemon_env(): a journal of its own, no OCI_* of the caller
    t0 = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL,
                          env=dict(daemon_env(), LC_ALL="C.UTF-8"),
                          timeout=timeout * SLOW)
    return Result(argv, proc, time.monotonic() - t0)


# -- mount(8) and fstab --------------------------------------------------------

# What mount(8) and fstab carry that means nothing to the daemon.
FSTAB_WORDS = ["_netdev", "nofail", "noauto", "user", "x-systemd.automount",
               "x-systemd.mount-timeout=30", "x-gvfs-show"]


def watch_daemon(reaper, log, res):
    """The pid of the daemon of a namespace script `res` (stopped at the
    end of the test whatever happens), once the script succeeded."""
    try:
        pid = reaper.watch(daemon_pid(log))
    except AssertionError:
        pid = None
    assert res.rc == 0, res
    assert pid, "no daemon pid in %s" % log
    return pid


def check_standard_mount(res, mnt, log, profile, reaper, output_checker):
    """The namespace script mounted, printed findmnt's SOURCE FSTYPE,
    df's first column and `ls`, then unmounted with umount(8)."""
    output_checker.logs.append(log)
    pid = watch_daemon(reaper, log, res)
    out = res.out.splitlines()
    assert out[0].split() == [profile, "fuse.ocivaultfs"], res
    assert out[1] == profile, res  # df's Filesystem column
    assert "compartments" in out[2:] and "vaults" in out[2:], res
    # umount(8) in the script took it away; the daemon ended on its own
    assert reaper(pid) == 0
    assert not is_mounted(mnt)
    msgs = [m for _, _, m in log_lines(log)]
    assert msgs[0].startswith("mounted ") and \
        msgs[-1] == "unmounting " + mnt, msgs
    output_checker.check()


SHOW = """findmnt -n -o SOURCE,FSTYPE {mnt}
df --output=source {mnt} | tail -n 1
ls {mnt}
umount {mnt}
"""


def test_mount_t_fuse_ocivaultfs(emulator, reaper, output_checker):
    """mount -t fuse.ocivaultfs PROFILE DIR -o ...: mount.fuse3 runs
    `ocivaultfs PROFILE DIR -o ...`; the source names the profile and is
    what findmnt and df show; fstab's words are ignored."""
    mnt = scratch_dir("ovfs-mnt-")
    log = mnt + ".log"
    opts = emulator_options(emulator) + ["log_file=" + log] + FSTAB_WORDS
    res = ns_run("mount -t fuse.ocivaultfs DEFAULT {mnt} -o {o}\n".format(
        mnt=q(mnt), o=q(",".join(opts))) + SHOW.format(mnt=q(mnt)))
    check_standard_mount(res, mnt, log, "DEFAULT", reaper, output_checker)


def test_mount_source_is_the_profile(emulator, reaper, output_checker):
    """The source picks the profile: NOACCESS may not list anything."""
    mnt = scratch_dir("ovfs-mnt-")
    log = mnt + ".log"
    opts = emulator_options(emulator) + ["log_file=" + log]
    res = ns_run("""mount -t fuse.ocivaultfs NOACCESS {mnt} -o {o}
findmnt -n -o SOURCE,FSTYPE {mnt}
ls {mnt}/vaults || echo "ls: $?"
umount {mnt}
""".format(mnt=q(mnt), o=q(",".join(opts))))
    output_checker.register(r"cannot list the contents of .*"
                            r"NotAuthorizedOrNotFound")
    output_checker.logs.append(log)
    pid = watch_daemon(reaper, log, res)
    assert res.out.splitlines() == ["NOACCESS fuse.ocivaultfs", "ls: 2"], res
    assert os.strerror(errno.EACCES) in res.err, res
    assert reaper(pid) == 0
    output_checker.check()


@pytest.mark.parametrize("how", ["--fstab", "-T"])
def test_fstab_line(emulator, reaper, output_checker, how):
    """An fstab line with noauto,user,_netdev,nofail,x-systemd.*: `mount
    --fstab FILE DIR` (and -T) mounts it as the line says."""
    mnt = scratch_dir("ovfs-mnt-")
    log = mnt + ".log"
    fstab = mnt + ".fstab"
    opts = FSTAB_WORDS + emulator_options(emulator) + ["log_file=" + log]
    with open(fstab, "w") as f:
        f.write("# ocivaultfs, docs/mounting.md\n")
        f.write("SESSION %s fuse.ocivaultfs %s 0 0\n" % (mnt,
                                                         ",".join(opts)))
    res = ns_run("mount {how} {fstab} {mnt}\n".format(
        how=how, fstab=q(fstab), mnt=q(mnt)) + SHOW.format(mnt=q(mnt)))
    check_standard_mount(res, mnt, log, "SESSION", reaper, output_checker)
    os.unlink(fstab)


# -- the source, fsname and subtype (ocivaultfs -f) ------------------------------

def test_default_source_is_the_profile(mount):
    """Without a source the mount shows the profile, type fuse.ocivaultfs."""
    m = mount()
    assert mounts_at(m.mnt) == [("DEFAULT", "fuse.ocivaultfs")]


def test_source_argument(mount, register_output):
    """`ocivaultfs PROFILE DIR`: the profile and the mount's source."""
    register_output(r"cannot list the contents of .*NotAuthorizedOrNotFound")
    m = mount(args=["NOACCESS"])
    assert mounts_at(m.mnt) == [("NOACCESS", "fuse.ocivaultfs")]
    assert_errno(run(["ls", m.path("vaults")]), errno.EACCES)


def test_profile_option_wins_over_source(mount):
    """-o profile= names the profile; the source stays the fsname."""
    m = mount("profile=DEFAULT", args=["NOACCESS"])
    assert mounts_at(m.mnt) == [("NOACCESS", "fuse.ocivaultfs")]
    res = run(["ls", m.path("compartments")])
    assert res.rc == 0 and res.out.split(), res


def test_fstab_words_given_directly(mount):
    """mount(8) keeps x-* to itself, other callers may not: the daemon
    drops them (and the others) itself."""
    m = mount(*(FSTAB_WORDS + ["defaults", "comment=x", "X-mount.mkdir"]))
    assert mounts_at(m.mnt) == [("DEFAULT", "fuse.ocivaultfs")]


def test_fsname_and_subtype_given_are_kept(mount):
    m = mount("fsname=myvault", "subtype=vaultfs", args=["SESSION"])
    assert mounts_at(m.mnt) == [("myvault", "fuse.vaultfs")]


def test_source_with_a_comma(mount):
    """The source reaches libfuse's option parser escaped."""
    m = mount("profile=DEFAULT", args=["my,vault"])
    assert mounts_at(m.mnt) == [("my,vault", "fuse.ocivaultfs")]


def test_too_many_arguments(emulator):
    mnt = scratch_dir("ovfs-mnt-")
    res = run(daemon_argv(emulator_options(emulator), ["DEFAULT", mnt],
                          "extra"), env=daemon_env())
    assert res.rc == 1, res
    assert res.err == "ocivaultfs: too many arguments: 'extra'\n", res
    assert not is_mounted(mnt)


# -- overmount -------------------------------------------------------------------

def test_refuses_to_mount_over_a_mount(mount, emulator):
    """A mount point already mounted: one line, exit 1, the mount below
    untouched and no API call made."""
    m = mount()
    before = emulator.stats()["requests"]
    res = run(daemon_argv(emulator_options(emulator), (), m.mnt),
              env=daemon_env(), timeout=30 * SLOW)
    assert res.rc == 1, res
    assert res.err == ("ocivaultfs: '%s' is already a mount point "
                       "(unmount it first, or -o overmount)\n" % m.mnt), res
    assert mounts_at(m.mnt) == [("DEFAULT", "fuse.ocivaultfs")]
    assert emulator.stats()["requests"] == before
    assert os.listdir(m.mnt)


def test_refuses_a_dead_mount(mount, emulator):
    """A FUSE mount whose daemon died (ENOTCONN): say how to clear it."""
    m = mount()
    m.proc.kill()
    m.proc.wait()
    try:
        res = run(daemon_argv(emulator_options(emulator), (), m.mnt),
                  env=daemon_env(), timeout=30 * SLOW)
        assert res.rc == 1, res
        assert res.err == ("ocivaultfs: '%s' is a mount whose daemon has "
                           "ended: `fusermount3 -u %s' first\n" %
                           (m.mnt, m.mnt)), res
        assert len(mounts_at(m.mnt)) == 1
    finally:
        subprocess.run(["fusermount3", "-u", "-z", m.mnt])


def test_overmount(mount, emulator, output_checker):
    """-o overmount stacks a second mount; unmounting it uncovers the
    first, which still works."""
    m = mount()
    top_log = m.mnt + ".top.log"
    output_checker.logs.append(top_log)
    argv = daemon_argv(emulator_options(emulator) + ["overmount",
                                                     "fsname=top"], (), m.mnt)
    with open(top_log, "wb") as logf:
        top = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                               stderr=subprocess.STDOUT, env=daemon_env())
    try:
        wait_until(lambda: len(mounts_at(m.mnt)) == 2 or
                   top.poll() is not None, timeout=30 * SLOW,
                   what="the second mount")
        assert mounts_at(m.mnt) == [("DEFAULT", "fuse.ocivaultfs"),
                                    ("top", "fuse.ocivaultfs")]
        assert "vaults" in os.listdir(m.mnt)
        res = run(["fusermount3", "-u", m.mnt])
        assert res.rc == 0, res
        assert top.wait(timeout=20 * SLOW) == 0
        assert mounts_at(m.mnt) == [("DEFAULT", "fuse.ocivaultfs")]
        assert "vaults" in os.listdir(m.mnt)
    finally:
        if top.poll() is None:
            top.terminate()
            top.wait()


# -- systemd: sd_notify ----------------------------------------------------------

@pytest.mark.parametrize("stop", ["fusermount3", "SIGTERM"])
def test_notify_ready_after_mount(emulator, output_checker, stop):
    """With $NOTIFY_SOCKET (Type=notify), READY=1 arrives once the mount
    is in /proc/mounts, STOPPING=1 when it is unmounted (by fusermount3,
    or by systemd's SIGTERM), and the daemon exits 0, unmounted."""
    mnt = scratch_dir("ovfs-mnt-")
    log = mnt + ".log"
    sock_path = mnt + ".notify"
    output_checker.logs.append(log)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    env = dict(daemon_env(), NOTIFY_SOCKET=sock_path)
    argv = daemon_argv(emulator_options(emulator), (), mnt)
    with open(log, "wb") as logf:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, env=env)
    try:
        sock.settimeout(30 * SLOW)
        msg = sock.recv(4096).decode()
        with open("/proc/mounts") as f:
            in_table = any(line.split()[1] == mnt for line in f)
        assert in_table, "READY before the mount: %r" % msg
        assert msg.split("\n") == ["READY=1", "STATUS=mounted on " + mnt]
        assert proc.poll() is None
        if stop == "SIGTERM":
            proc.send_signal(signal.SIGTERM)
        else:
            res = run(["fusermount3", "-u", mnt])
            assert res.rc == 0, res
        assert sock.recv(4096).decode() == "STOPPING=1"
        assert proc.wait(timeout=20 * SLOW) == 0
        assert not is_mounted(mnt)
        output_checker.check()
    finally:
        sock.close()
        os.unlink(sock_path)
        if proc.poll() is None:
            subprocess.run(["fusermount3", "-u", "-z", "-q", mnt])
            proc.terminate()
            proc.wait()


# -- logging -----------------------------------------------------------------------

def syslog_reachable():
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_UNIX, kind)
        try:
            s.connect("/dev/log")
            return True
        except OSError:
            pass
        finally:
            s.close()
    return False


SYSLOG_WARNING = re.compile(r"^ocivaultfs: warning: syslog is not reachable "
                            r"\(/dev/log: [^)]+\): the daemon's messages "
                            r"are lost; use -o log_file=PATH or -f$")


def our_daemons():
    """Pids of the ocivaultfs processes that are children of this one
    (daemonized ones, reparented to their subreaper)."""
    me = os.getpid()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if comm == "ocivaultfs" and ppid == me:
            out.append(int(d))
    return out


def daemonize(emulator, options, mnt, env=None):
    """`ocivaultfs -o ... MNT` without -f: the parent returns once mounted."""
    argv = [OCIVAULTFS, "-o", ",".join(emulator_options(emulator) + options),
            mnt]
    return subprocess.run(argv, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL,
                          env=dict(daemon_env(), **(env or {})),
                          timeout=60 * SLOW)


def test_log_file_daemonized(emulator, reaper, output_checker):
    """Daemonized with log_file: nothing on stderr (no syslog warning),
    one timestamped line per message in the file, appended."""
    mnt = scratch_dir("ovfs-mnt-")
    log = mnt + ".log"
    output_checker.logs.append(log)
    with open(log, "w") as f:
        f.write("2026-01-01T00:00:00.000Z ocivaultfs[1] info: earlier\n")
    proc = daemonize(emulator, ["log_file=" + log], mnt)
    assert proc.returncode == 0 and proc.stderr == "", proc
    assert is_mounted(mnt)
    pid = reaper.watch(daemon_pid(log))
    assert "vaults" in os.listdir(mnt)
    res = run(["fusermount3", "-u", mnt])
    assert res.rc == 0, res
    assert reaper(pid) == 0
    lines = log_lines(log)
    assert lines[0] == (1, "info", "earlier")
    assert [(p, lvl) for p, lvl, _ in lines[1:]] == [(pid, "info")] * 2
    assert lines[1][2].startswith("mounted ") and \
        lines[1][2].endswith(" on " + mnt)
    assert lines[2][2] == "unmounting " + mnt
    output_checker.check()


def test_log_file_start_up_warnings_on_stderr_too(emulator, reaper,
                                                  output_checker):
    """A warning before the mount is made also reaches stderr (it may
    explain a failure said there); after it, only the file."""
    mnt = scratch_dir("ovfs-mnt-")
    log = mnt + ".log"
    output_checker.logs.append(log)
    output_checker.register(r"cannot open the journal")
    # the journal's directory cannot be made: a warning, the mount works
    proc = daemonize(emulator, ["log_file=" + log], mnt,
                     env={"XDG_STATE_HOME": "/dev/null/state"})
    assert proc.returncode == 0, proc
    pid = reaper.watch(daemon_pid(log))
    warning = [m for _, lvl, m in log_lines(log) if lvl == "warning"]
    assert len(warning) == 1 and \
        warning[0].startswith("cannot open the journal"), log_lines(log)
    assert proc.stderr == "ocivaultfs: warning: %s\n" % warning[0], proc
    assert run(["fusermount3", "-u", mnt]).rc == 0
    assert reaper(pid) == 0
    output_checker.check()


def test_log_file_foreground(mount):
    """log_file wins over stderr in the foreground too."""
    path = scratch_dir("ovfs-log-") + "/ovfs.log"
    m = mount("log_file=" + path)
    wait_until(lambda: log_lines(path), what="the log line")
    assert log_lines(path)[0][2].startswith("mounted ")
    assert "mounted" not in m.output()


def test_log_file_cannot_be_opened(emulator):
    mnt = scratch_dir("ovfs-mnt-")
    res = run(daemon_argv(emulator_options(emulator) +
                          ["log_file=/nonexistent/dir/x.log"], (), mnt),
              env=daemon_env())
    assert res.rc == 1, res
    assert res.err == ("ocivaultfs: cannot open log file "
                       "'/nonexistent/dir/x.log': No such file or "
                       "directory\n"), res
    assert not is_mounted(mnt)


def test_syslog_warning(emulator, reaper):
    """Daemonized without log_file: a warning on stderr before detaching
    exactly when syslog (/dev/log) cannot be reached."""
    mnt = scratch_dir("ovfs-mnt-")
    proc = daemonize(emulator, [], mnt)
    pids = [reaper.watch(pid) for pid in our_daemons()]
    try:
        assert proc.returncode == 0, proc
        assert is_mounted(mnt)
        lines = proc.stderr.splitlines()
        if syslog_reachable():
            assert lines == [], proc
        else:
            assert len(lines) == 1 and SYSLOG_WARNING.match(lines[0]), proc
    finally:
        subprocess.run(["fusermount3", "-u", mnt])
    # the daemon (orphaned, so ours to reap) ends once unmounted
    assert [reaper(pid) for pid in pids] == [0]
    assert not is_mounted(mnt)


# -- --help ----------------------------------------------------------------------

def test_help_tells_the_thread_defaults():
    res = run([OCIVAULTFS, "--help"])
    assert res.rc == 0, res
    text = res.out
    assert re.search(r"-o max_threads=N .*\n\s+allowed \(default 64\)", text)
    assert re.search(r"-o max_idle_threads=N .*\n\s+allowed \(default 4\)",
                     text)
    assert "(default: 10)" not in text and "(default: -1)" not in text
    for word in ("log_file=PATH", "overmount", "fsname=NAME",
                 "[PROFILE] MOUNTPOINT"):
        assert word in text, word


# -- meson install, systemd-analyze verify ---------------------------------------

def build_prefix():
    res = run(["meson", "introspect", "--buildoptions", BUILD_ROOT])
    assert res.rc == 0, res
    opts = {o["name"]: o["value"] for o in json.loads(res.out)}
    return opts["prefix"], opts["bindir"], opts["mandir"], \
        opts["systemduserunitdir"]


@pytest.fixture(scope="module")
def installed():
    """`meson install --destdir D` of the build: (D, prefix, paths)."""
    if not shutil.which("meson"):
        pytest.skip("meson is not installed")
    destdir = scratch_dir("ovfs-destdir-")
    res = run(["meson", "install", "-C", BUILD_ROOT, "--no-rebuild",
               "--quiet", "--destdir", destdir], timeout=120)
    assert res.rc == 0, res
    prefix, bindir, mandir, unitdir = build_prefix()
    unitdir = unitdir or os.path.join(prefix, "lib", "systemd", "user")

    def at(*parts):
        return destdir + os.path.join(prefix, *parts)

    paths = {
        "bin": at(bindir, "ocivaultfs"),
        "man": at(mandir, "man1", "ocivaultfs.1"),
        "unit": destdir + os.path.join(prefix, unitdir,
                                       "ocivaultfs@.service"),
        "bindir": os.path.join(prefix, bindir),
        "mandir": at(mandir),
        "tools": [at(bindir, "ocivault-backup"),
                  at(bindir, "ocivaultfs-backup-kdialog"),
                  at("share", "kio", "servicemenus",
                     "ocivaultfs-backup.desktop"),
                  at("share", "ocivaultfs", "nautilus-scripts",
                     "Back up key…")],
        "completion": at("share", "bash-completion", "completions",
                         "ocivaultfs"),
    }
    yield destdir, paths
    shutil.rmtree(destdir, ignore_errors=True)


def test_meson_install_destdir(installed):
    destdir, p = installed
    assert os.access(p["bin"], os.X_OK)
    res = run([p["bin"], "--version"])
    assert res.rc == 0 and res.out.startswith("ocivaultfs "), res
    with open(p["man"]) as f, \
            open(os.path.join(SOURCE_ROOT, "docs", "ocivaultfs.1")) as g:
        assert f.read() == g.read()
    with open(p["unit"]) as f:
        unit = f.read()
    assert "@BINDIR@" not in unit
    start = [line for line in unit.splitlines()
             if line.startswith("ExecStart=")]
    assert start == ["ExecStart=%s/ocivaultfs -f $OCIVAULTFS_OPTS %%I "
                     "%%h/oci/%%I" % p["bindir"]], start
    assert "Type=notify" in unit.splitlines()
    # The workstation tools (docs/workstation.md), executable, and the
    # completion (with its link for ocivault-backup).
    for path in p["tools"]:
        assert os.access(path, os.X_OK), path
    with open(p["completion"]) as f, open(os.path.join(
            SOURCE_ROOT, "scripts", "completion", "ocivaultfs.bash")) as g:
        assert f.read() == g.read()
    link = os.path.join(os.path.dirname(p["completion"]), "ocivault-backup")
    assert os.readlink(link) == "ocivaultfs"
    res = run([p["tools"][0], "--help"])
    assert res.rc == 0 and "ocivault-backup" in res.out, res


def test_systemd_analyze_verify(installed):
    """The installed unit passes `systemd-analyze --user verify`, with
    ExecStart pointed at the destdir's binary and man: at its man page."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    destdir, p = installed
    work = scratch_dir("ovfs-unit-")
    with open(p["unit"]) as f:
        unit = f.read().replace("ExecStart=" + p["bindir"],
                                "ExecStart=" + os.path.dirname(p["bin"]))
    unit_path = os.path.join(work, "ocivaultfs@.service")
    with open(unit_path, "w") as f:
        f.write(unit)
    runtime = os.path.join(work, "run")
    os.mkdir(runtime, 0o700)
    env = {"XDG_RUNTIME_DIR": runtime, "MANPATH": p["mandir"]}
    res = run(["systemd-analyze", "--user", "verify", unit_path], env=env)
    assert res.rc == 0 and res.err == "", res
    # and it can fail: a unit whose binary is missing
    with open(unit_path, "w") as f:
        f.write(unit.replace("ExecStart=" + os.path.dirname(p["bin"]),
                             "ExecStart=/nonexistent"))
    res = run(["systemd-analyze", "--user", "verify", unit_path], env=env)
    assert res.rc != 0 and "/nonexistent/ocivaultfs" in res.err, res
    shutil.rmtree(work, ignore_errors=True)


def doc_units():
    """The unit files that docs/mounting.md shows: {file name: text}."""
    with open(os.path.join(SOURCE_ROOT, "docs", "mounting.md")) as f:
        text = f.read()
    blocks = re.findall(r"`~/\.config/systemd/user/([^`]+)`:\n\n"
                        r"((?:    .*\n|\n)+?)(?=\S)", text)
    return {name: "\n".join(line[4:] for line in body.splitlines()).strip()
            + "\n" for name, body in blocks}


def test_doc_timer_example_verifies(installed):
    """The nightly backup timer of docs/mounting.md is valid systemd, next
    to the installed ocivaultfs@.service it requires (without it, verify
    fails: the test can fail)."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    destdir, p = installed
    units = doc_units()
    assert sorted(units) == ["ocivaultfs-backup@.service",
                             "ocivaultfs-backup@.timer"], units
    work = scratch_dir("ovfs-unit-")
    runtime = os.path.join(work, "run")
    os.mkdir(runtime, 0o700)
    for name, text in units.items():
        with open(os.path.join(work, name), "w") as f:
            f.write(text)
    argv = ["systemd-analyze", "--user", "--man=no", "verify"] + \
        [os.path.join(work, name) for name in sorted(units)]
    env = {"XDG_RUNTIME_DIR": runtime}
    res = run(argv, env=env)
    assert res.rc != 0 and "ocivaultfs@" in res.err, res
    with open(p["unit"]) as f:
        unit = f.read().replace("ExecStart=" + p["bindir"],
                                "ExecStart=" + os.path.dirname(p["bin"]))
    with open(os.path.join(work, "ocivaultfs@.service"), "w") as f:
        f.write(unit)
    res = run(argv, env=env)
    assert res.rc == 0 and res.err == "", res
    shutil.rmtree(work, ignore_errors=True)


def stop_post_argv(unit_text, mnt):
    """The unit's ExecStopPost as systemd runs it: `$$` is `$`, the mount
    point (%h/oci/%I) is `mnt`."""
    lines = [line for line in unit_text.splitlines()
             if line.startswith("ExecStopPost=")]
    assert len(lines) == 1, lines
    cmd = lines[0][len("ExecStopPost="):].lstrip("-")
    return shlex.split(cmd.replace("$$", "$").replace("%h/oci/%I", mnt))


def test_unit_stop_post_clears_only_a_dead_mount(installed, mount):
    """ExecStopPost: after a daemon killed by a signal its dead mount is
    removed (so Restart= can mount again); after a daemon that exited,
    a mount there (not its own: a start refused) stays."""
    destdir, p = installed
    with open(p["unit"]) as f:
        unit = f.read()
    live = mount()
    res = run(stop_post_argv(unit, live.mnt), env={"EXIT_CODE": "exited",
                                                   "EXIT_STATUS": "1"})
    assert res.rc == 0, res
    assert mounts_at(live.mnt) == [("DEFAULT", "fuse.ocivaultfs")]
    dead = mount()
    dead.proc.kill()
    dead.proc.wait()
    res = run(stop_post_argv(unit, dead.mnt), env={"EXIT_CODE": "killed",
                                                   "EXIT_STATUS": "KILL"})
    assert res.rc == 0, res
    assert mounts_at(dead.mnt) == []
    assert mounts_at(live.mnt) == [("DEFAULT", "fuse.ocivaultfs")]
