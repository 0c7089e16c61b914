# SPDX-License-Identifier: MIT
"""The fault run (issue 8), at a small scale: every eligible key of a
synthetic tenancy is backed up with `echo` while the emulator injects the
faults of a bad day (503s, 429s, connection resets, stalls past the
daemon's timeout, truncated bodies, and answers lost after OCI accepted
the request).  Nothing may be lost or done twice: each key ends with
exactly one object, its own (the emulator tells which key an object
holds), every `status` says `succeeded`, OCI started exactly one backup
per key, and the daemon is alive and unmounts cleanly.

`scripts/faultrun` does the same at 500 keys and prints the figures
(docs/reliability.md, "Fault run and bad user inputs")."""

import collections

from fsutil import check_status, run
from test_scale import backup_all, eligible_keys, key_id

# The mix, for every operation (docs/emulator.md, "Faults").  `before`
# answers without executing the call; `after` executes it (a BackupKey
# really starts a backup) and then replaces or breaks the answer.  A
# stall is longer than the mount's timeout= below.
TIMEOUT = 2
MIX = [
    {"op": "*", "kind": "503", "prob": 0.05},
    {"op": "*", "kind": "429", "prob": 0.03},
    {"op": "*", "kind": "reset", "prob": 0.01},
    {"op": "*", "kind": "delay:%d" % (TIMEOUT + 1), "prob": 0.01},
    {"op": "*", "kind": "truncate", "prob": 0.01, "when": "after"},
    {"op": "*", "kind": "reset", "prob": 0.01, "when": "after"},
]


def spec(rules):
    """The --faults grammar of a list of rules."""
    return ";".join(",".join("%s=%s" % kv for kv in r.items())
                    for r in rules)


# Once the tree is walked, each kind surely hits the backup path at least
# once, whatever the dice say: these fire on the next matching calls.
SURE = [
    # BackupKey accepted, its answer lost: the retry must not start a
    # second backup (the opc-retry-token makes OCI answer the first one).
    {"op": "BackupKey", "kind": "503", "count": 2, "when": "after"},
    {"op": "BackupKey", "kind": "reset", "count": 1, "when": "after"},
    {"op": "BackupKey", "kind": "truncate", "count": 1, "when": "after"},
    {"op": "BackupKey", "kind": "delay:%d" % (TIMEOUT + 1), "count": 1},
    {"op": "BackupKey", "kind": "429", "count": 2},
    {"op": "GetWorkRequest", "kind": "503", "count": 2},
    {"op": "GetWorkRequest", "kind": "truncate", "count": 1,
     "when": "after"},
    {"op": "GetWorkRequest", "kind": "reset", "count": 1},
    {"op": "ListObjects", "kind": "503", "count": 2},
    {"op": "ListObjects", "kind": "truncate", "count": 1, "when": "after"},
    {"op": "GetNamespace", "kind": "reset", "count": 1},
]

# What a daemon under faults may say: that it retries a call.  Anything
# else with "error" or "warning" fails the test.
ALLOWED = [
    r"^ocivaultfs: info: \w+: .+; retrying in \d+ ms "
    r"\(attempt \d+ of \d+\)$",
]

def test_fault_run(mount, emulator_factory, register_output):
    for rx in ALLOWED:
        register_output(rx)
    # 2 compartments, 2 vaults each (1 VIRTUAL_PRIVATE), 25 keys a vault:
    # 46 eligible keys.
    emu = emulator_factory(tenancy="synthetic:2,2,25", backup_seconds=1,
                           faults=spec(MIX))
    m = mount("timeout=%d" % TIMEOUT, emu=emu)
    keys = eligible_keys(m)
    assert 30 <= len(keys) <= 60, len(keys)
    ids = {k: key_id(m, k) for k in keys}
    assert len(set(ids.values())) == len(keys)
    emu.faults(SURE, replace=False)
    st0 = emu.stats()

    res = backup_all(m, keys, parallel=16)
    failed = {k: r for k, r in res.items() if r.rc}
    assert not failed, failed
    waits = {}
    for k in keys:
        waits[k] = run(["cat", m.path(k, "wait")], timeout=180)
    bad = {k: r for k, r in waits.items() if r.rc}
    assert not bad, bad
    assert m.running, m.output()

    # Every deterministic fault fired (a used-up rule is removed), and
    # the random mix fired too.
    left = emu.list_faults()
    assert [(r["op"], r["kind"]) for r in left] == \
        [(r["op"], r["kind"]) for r in MIX], left
    st1 = emu.stats()
    injected = st1["faults_injected"] - st0["faults_injected"]
    assert injected >= sum(r["count"] for r in SURE), (injected, left)

    # Exactly one backup started per key, one object per key, its own.
    per_key = st1["backups"]["per_key"]
    assert {kid: per_key.get(kid, 0) for kid in ids.values()} == \
        {kid: 1 for kid in ids.values()}, per_key
    assert st1["backups"]["started"] == len(keys), st1["backups"]
    wrs = collections.Counter(
        r["identifier"] for w in emu.workrequests()
        if w["operationType"] == "BACKUP_KEY" for r in w["resources"])
    assert wrs == collections.Counter(ids.values()), wrs
    objs = emu.objects()
    holding = collections.defaultdict(list)
    for o in objs:
        holding[o["key_id"]].append(o)
    assert len(objs) == len(keys), (len(objs), len(keys))
    for k in keys:
        (o,) = holding[ids[k]]
        assert o["size"] > 0 and ids[k][-12:] in o["name"], (k, o)
        with open(m.path(k, "status"), encoding="utf-8") as f:
            d = check_status(f.read())
        assert d["state"] == "succeeded", (k, d)
        assert d["object"].endswith("/backups/" + o["name"]), (k, d, o)
        assert int(d["size"]) == o["size"], (k, d, o)
        assert waits[k].out.startswith("state: succeeded\n"), waits[k]
    # The mount-wide list agrees, and the counters too.
    with open(m.path(".ocivaultfs", "backups"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == \
        ["succeeded"] * len(keys), lines
    with open(m.path(".ocivaultfs", "stats"), encoding="utf-8") as f:
        stats = dict(line.split(": ", 1) for line in f.read().splitlines())
    assert int(stats["backups_succeeded"]) == len(keys), stats
    assert int(stats["backups_failed"]) == 0, stats
    assert int(stats["retries"]) > 0, stats
    print("\n%d backups under faults: %d faults injected, daemon retries %s"
          % (len(keys), injected, stats["retries"].strip()))
