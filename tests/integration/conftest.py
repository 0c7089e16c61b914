# SPDX-License-Identifier: MIT
"""Integration tests of the filesystem: real FUSE mounts of ocivaultfs
against the OCI emulator, driven with the tools users use (sh, echo, cat,
ls, find, stat, cp, tee, dd, gio save).  See docs/TESTING.md.

Fixtures, in the style of sshfs's and libfuse's test suites:

mount            factory: mount(*options, ...) starts `ocivaultfs -f` on a
                 fresh mount point under $OVFS_TEST_TMP, waits for the
                 mount and returns a Mount; at the end of the test every
                 mount is unmounted with `fusermount3 -u` and its daemon
                 must exit with status 0.
register_output  allowlist a regular expression for lines of the daemon's
                 output that would otherwise fail the test (any line with
                 "error" or "warning"); sanitizer and crash reports always
                 fail it.

The whole suite is skipped when /dev/fuse or fusermount3 is missing.
$OVFS_VALGRIND=1 runs every daemon under valgrind (memcheck, full leak
check, tests/valgrind.supp): any valgrind report, a leak at unmount
included, fails the test (its lines start with "==PID==").
$OVFS_DAEMON_WRAP="CMD ARGS" runs every daemon as `CMD ARGS ocivaultfs ...`
(split like a shell would), for any other tool; it replaces the valgrind
command of $OVFS_VALGRIND.  scripts/test.sh --valgrind runs a subset this
way (docs/TESTING.md).
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
SOURCE_ROOT = os.environ.get("OVFS_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(HERE))

from pylib.emulator import scratch_dir  # noqa: E402
from pylib.fixtures import *  # noqa: E402,F401,F403

BUILD_ROOT = os.environ.get("OVFS_BUILD_ROOT") or \
    os.path.join(SOURCE_ROOT, "build")
OCIVAULTFS = os.path.join(BUILD_ROOT, "ocivaultfs")
VALGRIND = bool(os.environ.get("OVFS_VALGRIND"))
DAEMON_WRAP = shlex.split(os.environ.get("OVFS_DAEMON_WRAP", ""))
if VALGRIND and not DAEMON_WRAP:
    DAEMON_WRAP = ["valgrind", "-q", "--error-exitcode=99",
                   "--leak-check=full",
                   "--errors-for-leak-kinds=definite,indirect",
                   "--show-leak-kinds=definite,indirect",
                   "--suppressions=" + os.path.join(SOURCE_ROOT, "tests",
                                                    "valgrind.supp")]
# Everything waits longer under valgrind (or another wrapper).
SLOW = 10 if VALGRIND or DAEMON_WRAP else 1


def fuse_missing():
    """Why FUSE tests cannot run here, or None (sshfs's fuse_test_marker)."""
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse"
    fm = shutil.which("fusermount3")
    if fm is None:
        return "fusermount3 is not installed"
    if os.getuid() != 0 and not os.stat(fm).st_mode & 0o4000:
        return "fusermount3 is not setuid root"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def pytest_collection_modifyitems(config, items):
    why = fuse_missing()
    if why:
        skip = pytest.mark.skip(reason="FUSE unavailable: " + why)
        for item in items:
            item.add_marker(skip)


# -- daemon output ------------------------------------------------------------

# Never acceptable, whatever a test registers.
FATAL = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer"
                   r"|ThreadSanitizer|runtime error|Segmentation|double free"
                   r"|heap-use-after-free|stack-buffer|[Aa]ssertion"
                   r"|uninitiali[sz]ed|Invalid (read|write)|definitely lost"
                   r"|^==\d+==|Traceback|\bcore dumped\b")
# Acceptable only where a test says it expects it.
SUSPICIOUS = re.compile(r"\b(error|warning|fatal|critical|alert|emerg)\b",
                        re.IGNORECASE)


class OutputChecker:
    def __init__(self):
        self.allowed = []
        self.logs = []

    def register(self, pattern):
        self.allowed.append(re.compile(pattern))

    def check(self):
        bad = []
        for path in self.logs:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if FATAL.search(line):
                        bad.append(line)
                    elif SUSPICIOUS.search(line) and \
                            not any(p.search(line) for p in self.allowed):
                        bad.append(line)
        if bad:
            pytest.fail("unexpected daemon output:\n" + "\n".join(bad[:50]),
                        pytrace=False)


@pytest.fixture
def output_checker():
    return OutputChecker()


@pytest.fixture
def register_output(output_checker):
    return output_checker.register


# -- mounting ----------------------------------------------------------------

def daemon_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    env.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(
        SOURCE_ROOT, "tests", "lsan_suppress.txt"))
    for k in ("OCI_CLI_PROFILE", "OCI_CLI_CONFIG_FILE", "OCI_CONFIG_FILE",
              "OCI_REGION"):
        env.pop(k, None)
    # Each daemon its own backup journal (unless a test passes state_dir=):
    # one test's unfinished backups must not be resumed by the next.
    env["XDG_STATE_HOME"] = scratch_dir("ovfs-state-")
    return env


def daemon_argv(options, args, mountpoint):
    argv = list(DAEMON_WRAP)
    argv += [OCIVAULTFS, "-f"]
    if options:
        argv += ["-o", ",".join(options)]
    return argv + list(args) + [mountpoint]


def emulator_options(emu, config=None, profile=None, cacert=True):
    opts = ["config=" + (config or emu.config), "endpoint=" + emu.endpoint]
    if cacert is True:
        opts.append("cacert=" + emu.ca)
    elif cacert:
        opts.append("cacert=" + cacert)
    if profile:
        opts.append("profile=" + profile)
    return opts


def is_mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


class Mount:
    """A running ocivaultfs daemon and its mount point."""

    def __init__(self, mnt, argv, log):
        self.mnt = mnt
        self.argv = argv
        self.log = log
        self.proc = None
        self.rc = None

    def path(self, *rel):
        return os.path.join(self.mnt, *rel)

    def output(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def start(self, timeout=30):
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=logf,
                stderr=subprocess.STDOUT, env=daemon_env())
        deadline = time.monotonic() + timeout * SLOW
        while not os.path.ismount(self.mnt):
            if self.proc.poll() is not None:
                pytest.fail("ocivaultfs exited with status %s before "
                            "mounting:\n%s" % (self.proc.returncode,
                                               self.output()), pytrace=False)
            if time.monotonic() > deadline:
                self.cleanup()
                pytest.fail("ocivaultfs did not mount within %d s:\n%s" %
                            (timeout * SLOW, self.output()), pytrace=False)
            time.sleep(0.02)
        return self

    def wait_exit(self, timeout=20):
        """The daemon's exit status (it must end within `timeout`)."""
        try:
            self.rc = self.proc.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.cleanup()
            pytest.fail("ocivaultfs did not exit within %d s:\n%s" %
                        (timeout * SLOW, self.output()), pytrace=False)
        return self.rc

    def umount(self, timeout=20):
        """fusermount3 -u; the daemon must then exit 0 (sshfs's umount)."""
        r = subprocess.run(["fusermount3", "-u", self.mnt],
                           capture_output=True, text=True, timeout=30)
        if r.returncode:
            self.cleanup()
            pytest.fail("fusermount3 -u failed: %s" % r.stderr,
                        pytrace=False)
        rc = self.wait_exit(timeout)
        assert rc == 0, "ocivaultfs exited with %s:\n%s" % (rc,
                                                           self.output())
        assert not is_mounted(self.mnt)

    def cleanup(self):
        """After a failure: lazy unmount, then stop the daemon."""
        subprocess.run(["fusermount3", "-u", "-z", "-q", self.mnt],
                       capture_output=True, timeout=30)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture
def mount(emulator, output_checker, request):
    """mount(*options, emu=, config=, profile=, cacert=, args=) -> Mount.

    `options` are extra `-o` options (e.g. "retries=1"); config, endpoint
    and cacert come from the emulator unless given."""
    mounts = []

    def make(*options, emu=None, config=None, profile=None, cacert=True,
             args=()):
        emu = emu or emulator
        mnt = scratch_dir("ovfs-mnt-")
        opts = emulator_options(emu, config, profile, cacert) + list(options)
        m = Mount(mnt, daemon_argv(opts, args, mnt), mnt + ".log")
        output_checker.logs.append(m.log)
        mounts.append(m)
        return m.start()

    yield make
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        # Shown with the failure report: how to run it again, what it said.
        for m in mounts:
            print("daemon: %s\n%s" % (" ".join(m.argv), m.output()))
    failed = []
    for m in mounts:
        try:
            if m.running and os.path.ismount(m.mnt):
                m.umount()
            elif m.running:
                m.cleanup()
        except BaseException as e:  # keep tearing the others down
            failed.append(e)
            m.cleanup()
    for m in mounts:
        try:
            os.rmdir(m.mnt)
        except OSError:
            pass
    if failed:
        raise failed[0]
    output_checker.check()
    for m in mounts:  # kept when something failed, for a look
        os.unlink(m.log)


@pytest.fixture
def namespace(emulator):
    return emulator.info()["namespace"]


@pytest.fixture
def mnt(mount):
    """A mount of the session emulator with the default options."""
    return mount()
