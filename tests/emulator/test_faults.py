# SPDX-License-Identifier: MIT
"""Fault injection: every kind, before/after, count, probability, the CLI
grammar and the admin API."""

import http.client
import time

import pytest

from conftest import bucket_location
from ociemu import faults as faultmod


def ns_url(emulator):
    return emulator.endpoint + "/n"


@pytest.mark.parametrize("kind,status,code", [
    ("429", 429, "TooManyRequests"),
    ("500", 500, "InternalServerError"),
    ("503", 503, "ServiceUnavailable"),
])
def test_error_kinds(emulator, client, kind, status, code):
    emulator.faults([{"op": "GetNamespace", "kind": kind, "count": 1}])
    r = client.get(ns_url(emulator))
    assert r.status == status and r.json()["code"] == code
    assert r.headers["opc-request-id"]
    assert client.get(ns_url(emulator)).status == 200
    st = emulator.stats()
    assert st["faults_injected"] == 1 and st["requests"]["GetNamespace"] == 2


def test_reset_kind(emulator, client):
    emulator.faults([{"op": "GetNamespace", "kind": "reset", "count": 1}])
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected,
                        ConnectionAbortedError, BrokenPipeError)):
        client.get(ns_url(emulator))
    assert client.get(ns_url(emulator)).status == 200


def test_truncate_kind(emulator, client, sample):
    emulator.faults([{"op": "ListBuckets", "kind": "truncate", "count": 1,
                      "when": "after"}])
    url = emulator.endpoint + "/n/%s/b" % sample.namespace
    with pytest.raises(http.client.IncompleteRead):
        client.get(url, params={"compartmentId": sample.tenancy})
    r = client.get(url, params={"compartmentId": sample.tenancy})
    assert r.status == 200 and r.json()[0]["name"] == "backups"


def test_delay_kind(emulator, client):
    emulator.faults([{"op": "GetNamespace", "kind": "delay:0.6",
                      "count": 1}])
    t0 = time.monotonic()
    assert client.get(ns_url(emulator)).status == 200
    assert time.monotonic() - t0 >= 0.6
    t0 = time.monotonic()
    assert client.get(ns_url(emulator)).status == 200
    assert time.monotonic() - t0 < 0.5


def test_after_reset_still_executes(emulator, client, sample):
    emulator.set_config(backupSeconds=0.2)
    emulator.faults([{"op": "BackupKey", "kind": "reset", "count": 1,
                      "when": "after"}])
    kid = sample.key("prod-vault", "payments-master")
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected,
                        ConnectionAbortedError, BrokenPipeError)):
        client.post(sample.mgmt("prod-vault") +
                    "/20180608/keys/%s/actions/backup" % kid,
                    json=bucket_location(sample.namespace, "ar"))
    assert emulator.stats()["backups"]["started"] == 1


def test_before_does_not_execute(emulator, client, sample):
    emulator.faults([{"op": "BackupKey", "kind": "503", "count": 1}])
    kid = sample.key("prod-vault", "payments-master")
    r = client.post(sample.mgmt("prod-vault") +
                    "/20180608/keys/%s/actions/backup" % kid,
                    json=bucket_location(sample.namespace, "b"))
    assert r.status == 503
    assert emulator.stats()["backups"]["started"] == 0
    assert emulator.workrequests() == []


def test_count_prob_star_and_listing(emulator, client):
    emulator.faults([{"op": "*", "kind": "500", "count": 2}])
    rules = emulator.list_faults()
    assert rules[0]["count"] == 2 and rules[0]["when"] == "before"
    assert [client.get(ns_url(emulator)).status for _ in range(3)] == \
        [500, 500, 200]
    assert emulator.list_faults() == []
    emulator.faults([{"op": "GetNamespace", "kind": "503", "prob": 0.5}])
    codes = [client.get(ns_url(emulator)).status for _ in range(200)]
    assert 40 <= codes.count(503) <= 160 and codes.count(200) >= 40
    emulator.faults([{"op": "GetNamespace", "kind": "503", "prob": 0}])
    assert all(client.get(ns_url(emulator)).status == 200
               for _ in range(20))
    # replace=false appends; DELETE clears
    emulator.faults([{"op": "GetTenancy", "kind": "429"}], replace=False)
    assert len(emulator.list_faults()) == 2
    emulator.clear_faults()
    assert emulator.list_faults() == []


def test_admin_fault_validation(emulator):
    for rule in ({"op": "Nope", "kind": "500"},
                 {"op": "GetKey", "kind": "404"},
                 {"op": "GetKey", "kind": "delay:x"},
                 {"op": "GetKey", "kind": "500", "prob": 2},
                 {"op": "GetKey", "kind": "500", "count": 0},
                 {"op": "GetKey", "kind": "500", "when": "during"},
                 {"op": "GetKey"}):
        emulator.admin("POST", "/_emulator/faults", {"rules": [rule]},
                       expect=(400,))


def test_cli_grammar():
    rules = faultmod.parse_spec(
        "op=BackupKey,kind=503,count=1,when=after; op=*,kind=delay:2,"
        "prob=0.05;")
    assert [r.to_json() for r in rules] == [
        {"op": "BackupKey", "kind": "503", "prob": 1.0, "count": 1,
         "when": "after", "fired": 0},
        {"op": "*", "kind": "delay:2", "prob": 0.05, "count": None,
         "when": "before", "fired": 0}]
    for bad in ("op=GetKey", "kind=500", "op=GetKey,kind=500,x=1",
                "op=GetKey;kind=500", "op=GetKey,kind=500,count=-1",
                "op=GetKey,kind,500"):
        with pytest.raises(faultmod.FaultError):
            faultmod.parse_spec(bad)
