# SPDX-License-Identifier: MIT
"""The mount-wide control directory: .ocivaultfs/stats and
.ocivaultfs/backups."""

import re

from fsutil import (PAYMENTS_KEYS, PROD_KEYS, RFC3339, SHARED1, bash,
                    parse_status, prod_key, q, requests, run)

OPS = ["GetTenancy", "ListCompartments", "GetCompartment", "ListVaults",
       "GetVault", "ListKeys", "GetKey", "ListKeyVersions", "BackupKey",
       "BackupVault", "RestoreKeyFromObjectStore", "RestoreKeyFromFile",
       "RestoreVaultFromObjectStore", "RestoreVaultFromFile",
       "GetWorkRequest", "ListWorkRequestErrors", "GetNamespace",
       "ListBuckets", "HeadObject", "ListObjects", "ListWorkRequests"]
COUNTERS = ["retries", "throttled", "connections", "rate_limit_waits",
            "cache_hits", "cache_misses", "probes", "nodes",
            "listings_fetched", "listing_failures", "cache_bytes",
            "backups_in_flight",
            "backups_started", "backups_succeeded", "backups_failed",
            "backups_rejected", "backup_polls"]


def stats(m):
    r = run(["cat", m.path(".ocivaultfs", "stats")])
    assert r.rc == 0, r
    d, names = parse_status(r.out)
    assert names == (["calls." + op for op in OPS] +
                     ["requests." + op for op in OPS] +
                     ["failures." + op for op in OPS] + COUNTERS), names
    return {k: int(v) for k, v in d.items()}


def test_stats(mnt, emulator):
    s = stats(mnt)
    assert s["calls.GetTenancy"] == 1 and s["backups_started"] == 0
    assert run(["ls", "-l", mnt.path(PROD_KEYS)]).rc == 0
    assert run(["ls", mnt.path(PROD_KEYS, ".git")]).rc != 0
    key = prod_key("payments-master")
    r = bash("echo backups > %s && cat %s" % (q(mnt.path(key, "backup")),
                                                q(mnt.path(key, "wait"))))
    assert r.rc == 0, r
    r = bash("echo 'bad name' > " + q(mnt.path(prod_key(SHARED1),
                                                  "backup")))
    assert r.rc != 0, r
    s = stats(mnt)
    # The daemon's counts are the emulator's.
    for op, n in requests(emulator).items():
        assert s["requests." + op] == n, op
        assert s["calls." + op] == n, op  # no paging, no retries here
    # ListObjects: the check before (no such object yet) and after.
    assert s["calls.BackupKey"] == 1 and s["calls.ListObjects"] == 2
    assert s["backups_started"] == 1 and s["backups_succeeded"] == 1
    assert s["backups_failed"] == 0 and s["backups_in_flight"] == 0
    assert s["backups_rejected"] == 1
    assert s["backup_polls"] >= 1 and s["probes"] >= 1
    # Listings fetched: compartments, vaults of Production, keys.
    assert s["cache_misses"] == 3 and s["cache_hits"] >= 1
    assert s["retries"] == 0 and s["throttled"] == 0
    assert s["nodes"] >= 1 + 3 + 2 + 9  # root, compartments, vaults, keys
    assert s["listings_fetched"] == 3 and s["listing_failures"] == 0
    assert s["cache_bytes"] > 0
    assert all(s["failures." + op] == 0 for op in OPS)


def test_stats_count_retries_and_throttling(mount, emulator):
    m = mount("retries=3")
    emulator.faults([{"op": "ListKeys", "kind": "429", "count": 1}])
    assert run(["ls", m.path(PROD_KEYS)]).rc == 0
    s = stats(m)
    assert s["retries"] == 1 and s["throttled"] == 1
    assert s["requests.ListKeys"] == 2 and s["calls.ListKeys"] == 1
    assert s["failures.ListKeys"] == 0


def test_backups_list(mnt, emulator, namespace):
    assert run(["cat", mnt.path(".ocivaultfs", "backups")]).out == ""
    emulator.set_config(backupSeconds=20)
    k1 = prod_key("hr-master")
    k2 = PAYMENTS_KEYS + "/card-data"
    r = bash("echo backups/one.bak > %s" % q(mnt.path(k2, "backup")))
    assert r.rc == 0, r
    url = emulator.create_par("backups", "two.bak", expires_in=-60)["fullUrl"]
    r = bash("echo %s > %s" % (q(url), q(mnt.path(k1, "backup"))))
    assert r.rc == 0, r
    r = run(["cat", mnt.path(".ocivaultfs", "backups")])
    assert r.rc == 0, r
    lines = [line.split("\t") for line in r.out.splitlines()]
    assert len(lines) == 2 and all(len(f) == 9 for f in lines), r.out
    # Oldest first: state, progress, key path, object, submitted,
    # finished, work request, kind, errno.
    (s1, p1, path1, obj1, sub1, fin1, wr1, kind1, e1), \
        (s2, p2, path2, obj2, sub2, fin2, wr2, kind2, e2) = lines
    assert kind1 == kind2 == "key-backup" and e1 == e2 == "-"
    assert path1 == k2 and path2 == k1
    assert obj1 == namespace + "/backups/one.bak"
    assert obj2 == namespace + "/backups/two.bak"
    for s, p, sub, fin, wr in ((s1, p1, sub1, fin1, wr1),
                               (s2, p2, sub2, fin2, wr2)):
        assert s in ("accepted", "in_progress")
        assert re.fullmatch(r"\d+%", p)
        assert re.fullmatch(RFC3339, sub) and fin == "-"
        assert wr.startswith("ocid1.kmsworkrequest.")
    wrs = {w["id"] for w in emulator.workrequests()}
    assert {wr1, wr2} == wrs
    st = run(["cat", mnt.path(k2, "status")]).out
    assert "work_request: %s\n" % wr1 in st
