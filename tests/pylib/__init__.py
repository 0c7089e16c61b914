# SPDX-License-Identifier: MIT
"""Shared helpers for the project's pytest suites.

- pylib.emulator: start/stop/drive the OCI emulator (Emulator class).
- pylib.ocisign: OCI request signer and a small signed HTTPS client.
- pylib.fixtures: pytest fixtures; a suite's conftest.py does

      import os, sys
      sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
      from pylib.fixtures import *  # noqa: F401,F403

  and gets `emulator_session` (one emulator per test session, sample
  tenancy, 1-second backups) and `emulator` (the same, reset before
  each test).
"""
