# SPDX-License-Identifier: MIT
"""Integration tests of the C OCI client (tests/client/oci-call) against
the emulator: every call, paging, retries through faults, rate limiting."""

import json
import os
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from pylib.fixtures import *  # noqa: E402,F401,F403

BUILD_ROOT = os.environ.get("OVFS_BUILD_ROOT") or os.path.join(
    os.path.dirname(os.path.dirname(HERE)), "build")
OCI_CALL = os.path.join(BUILD_ROOT, "tests", "client", "oci-call")


class Result:
    def __init__(self, proc, elapsed):
        self.rc = proc.returncode
        self.stderr = proc.stderr
        self.elapsed = elapsed
        self.lines = [json.loads(line) for line in proc.stdout.splitlines()
                      if line.strip()]

    @property
    def out(self):
        return self.lines[0]

    @property
    def error(self):
        for line in self.lines:
            if "error" in line:
                return line["error"]
        return None

    @property
    def stats(self):
        for line in self.lines:
            if "stats" in line:
                return line["stats"]
        return None

    def __repr__(self):
        return "Result(rc=%d, lines=%r, stderr=%r)" % (
            self.rc, self.lines, self.stderr[-2000:])


class Caller:
    """Runs oci-call against one emulator with fast retry settings."""

    def __init__(self, emu):
        self.emu = emu

    def __call__(self, *args, profile=None, cacert=True, fast=True,
                 opts=(), timeout=120):
        argv = [OCI_CALL, "--config", self.emu.config,
                "--endpoint", self.emu.endpoint, "--stats"]
        if cacert:
            argv += ["--cacert", self.emu.ca]
        if profile:
            argv += ["--profile", profile]
        if fast:
            argv += ["--base-ms", "50", "--cap-ms", "200",
                     "--jitter-ms", "20"]
        argv += list(opts) + [str(a) for a in args]
        env = {k: v for k, v in os.environ.items()
               if k not in ("OCI_CLI_PROFILE", "OCI_CLI_CONFIG_FILE",
                            "OCI_CONFIG_FILE")}
        t0 = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True,
                              timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
        return Result(proc, time.monotonic() - t0)


@pytest.fixture
def call(emulator):
    emulator.set_config(rateLimit=0)
    return Caller(emulator)


@pytest.fixture
def info(emulator):
    return emulator.info()


def vault(info, name):
    return next(v for v in info["vaults"] if v["displayName"] == name)
