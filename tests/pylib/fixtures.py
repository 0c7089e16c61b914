# SPDX-License-Identifier: MIT
"""pytest fixtures around the OCI emulator, for every suite.

Import them into a conftest.py with `from pylib.fixtures import *`.

emulator_session  one emulator for the whole test session (sample tenancy,
                  --backup-seconds from $OVFS_EMU_BACKUP_SECONDS, default
                  1); its state lives under $OVFS_TEST_TMP when set.
emulator          the session emulator, reset (tenancy, objects, work
                  requests, stats, faults, retry tokens, configuration)
                  before the test.
emulator_factory  start extra emulators with their own arguments; they
                  are stopped at the end of the test.
"""

import os

import pytest

from .emulator import Emulator

__all__ = ["emulator_session", "emulator", "emulator_factory"]


@pytest.fixture(scope="session")
def emulator_session():
    secs = float(os.environ.get("OVFS_EMU_BACKUP_SECONDS", "1"))
    emu = Emulator(backup_seconds=secs)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def emulator(emulator_session):
    emulator_session.reset()
    return emulator_session


@pytest.fixture
def emulator_factory():
    started = []

    def make(**kw):
        emu = Emulator(**kw)
        emu.start()
        started.append(emu)
        return emu
    yield make
    for emu in started:
        emu.stop()
