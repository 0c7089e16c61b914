# SPDX-License-Identifier: MIT
"""Tests of the OCI emulator itself (scripts/oci-emulator)."""

import os
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
SOURCE_ROOT = os.environ.get("OVFS_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "scripts"))

from pylib.fixtures import *  # noqa: E402,F401,F403

# OCI's published test key (docs/internals/OCI-API.md §9): test data only.
TEST_KEY_PEM = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
"""

TEST_PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""


class Sample:
    """Names -> OCIDs of the sample tenancy, looked up through the API."""

    def __init__(self, emu, client):
        self.emu = emu
        info = emu.info()
        self.tenancy = info["tenancyId"]
        self.namespace = info["namespace"]
        self.vaults = {}
        for v in info["vaults"]:
            self.vaults.setdefault(v["displayName"], v)
        r = client.get(emu.endpoint + "/20160918/compartments",
                       params={"compartmentId": self.tenancy,
                               "compartmentIdInSubtree": "true"})
        assert r.status == 200, r
        self.compartments = {c["name"]: c["id"] for c in r.json()}
        self._client = client
        self._keys = {}

    def mgmt(self, vault_name):
        return self.vaults[vault_name]["managementEndpoint"]

    def keys(self, vault_name):
        """display name -> [key summary] (including duplicates)."""
        if vault_name not in self._keys:
            v = self.vaults[vault_name]
            out = {}
            comps = [v["compartmentId"]] + list(self.compartments.values())
            for comp in dict.fromkeys(comps):
                r = self._client.get(self.mgmt(vault_name) +
                                     "/20180608/keys",
                                     params={"compartmentId": comp})
                if r.status != 200:
                    continue
                for k in r.json():
                    out.setdefault(k["displayName"], []).append(k)
            self._keys[vault_name] = out
        return self._keys[vault_name]

    def key(self, vault_name, key_name):
        return self.keys(vault_name)[key_name][0]["id"]


@pytest.fixture
def client(emulator):
    c = emulator.client()
    yield c
    c.close()


@pytest.fixture
def sample(emulator, client):
    # No throttling in tests that use the sample lookups (they make many
    # calls); tests of throttling set their own rate.
    emulator.set_config(rateLimit=0)
    s = Sample(emulator, client)
    emulator.reset_stats()
    return s


def wait_for(pred, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %.1f s" % timeout)
        time.sleep(interval)


def bucket_location(ns, obj, bucket="backups"):
    return {"backupLocation": {"destination": "BUCKET", "namespace": ns,
                               "bucketName": bucket, "objectName": obj}}


def par_location(uri):
    return {"backupLocation": {"destination": "PRE_AUTHENTICATED_REQUEST_URI",
                               "uri": uri}}
