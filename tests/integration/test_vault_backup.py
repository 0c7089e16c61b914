# SPDX-License-Identifier: MIT
"""Vault backups (BackupVault) through a vault directory's `backup`,
`status` and `wait`: with and without the vault's keys (proved by opening
the emulator's backup object), eligibility, existing objects, missing
buckets, a vault backup while one of its keys is backed up, the kind
column of .ocivaultfs/backups, tracking by the vault's state without the
Work Requests API, and the resume of a vault backup after kill -9."""

import errno
import glob
import json
import os
import re
import subprocess
import sys

from pylib.emulator import scratch_dir
from fsutil import (PROD, PROD_VAULT, VAULTS, assert_errno, bash,
                    calls_since, check_status, prod_key, q, requests, run,
                    wait_until)

sys.path.insert(0, os.path.join(os.environ["OVFS_SOURCE_ROOT"], "scripts"))
from ociemu import backupfmt  # noqa: E402

DEFAULT_VAULT = PROD + "/vaults/prod-default"


def write(m, vault, text):
    return bash("echo %s > %s" % (q(text), q(m.path(vault, "backup"))))


def status(m, vault):
    r = run(["cat", m.path(vault, "status")], timeout=60)
    assert r.rc == 0, r
    return check_status(r.out)


def wait(m, vault):
    return run(["cat", m.path(vault, "wait")], timeout=120)


def payload(emulator, ns, bucket, name):
    """The emulator's backup object, opened with its secret."""
    secret = wait_until(lambda: _secret(emulator), what="state.json")
    c = emulator.client()
    try:
        r = c.get("%s/n/%s/b/%s/o/%s" % (emulator.endpoint, ns, bucket,
                                         name))
        assert r.status == 200, r
        return backupfmt.unseal(secret, backupfmt.tenancy_of(r.body),
                                r.body)
    finally:
        c.close()


def _secret(emulator):
    try:
        with open(os.path.join(emulator.state_dir, "state.json")) as f:
            return json.load(f)["secret"]
    except (OSError, ValueError, KeyError):
        return None


def vault_objects(emulator):
    return [o for o in emulator.objects() if o["name"].endswith(".backup")
            and "-vault-" in o["name"]]


def test_with_and_without_keys(mount, emulator, namespace):
    m = mount()
    before = requests(emulator)
    r = write(m, PROD_VAULT, "backups")  # default: with the keys
    assert r.rc == 0, r
    r = wait(m, PROD_VAULT)
    assert r.rc == 0, r
    d = check_status(r.out)
    assert d["state"] == "succeeded" and d["include_keys"] == "yes", r.out
    assert d["eligible"] == "yes", r.out
    assert d.get("vault_state", "ACTIVE") == "ACTIVE", r.out
    assert "key_state" not in d
    ns, bucket, name = d["object"].split("/", 2)
    assert (ns, bucket) == (namespace, "backups")
    assert name.startswith("20") and "-vault-prod-vault-" in name, name
    assert name.endswith(VAULTS["prod-vault"][-12:] + ".backup"), name
    objs = {o["name"]: o for o in emulator.objects()}
    assert name in objs and str(objs[name]["size"]) == d["size"]
    p = payload(emulator, ns, bucket, name)
    assert p["kind"] == "vault" and p["vault"]["id"] == VAULTS["prod-vault"]
    assert p.get("keys"), p.keys()
    assert all(k["vaultId"] == VAULTS["prod-vault"] for k in p["keys"])
    calls = calls_since(emulator, before)
    assert calls.get("BackupVault") == 1, calls
    assert "BackupKey" not in calls, calls

    # Without the keys: the leading word.
    r = write(m, PROD_VAULT, "keys=no backups/v-nokeys.bak")
    assert r.rc == 0, r
    r = wait(m, PROD_VAULT)
    assert r.rc == 0, r
    d = check_status(r.out)
    assert d["include_keys"] == "no" and d["state"] == "succeeded", r.out
    p = payload(emulator, namespace, "backups", "v-nokeys.bak")
    assert p["kind"] == "vault" and "keys" not in p, p.keys()

    # JSON BackupVaultDetails with isIncludeKeys.
    tgt = json.dumps({"backupLocation": {
        "destination": "BUCKET", "namespace": namespace,
        "bucketName": "backups", "objectName": "v-json.bak"},
        "isIncludeKeys": False})
    r = write(m, PROD_VAULT, tgt)
    assert r.rc == 0, r
    assert wait(m, PROD_VAULT).rc == 0
    assert "keys" not in payload(emulator, namespace, "backups", "v-json.bak")
    # A bare BackupLocation with the member.
    tgt = json.dumps({"destination": "BUCKET", "namespace": namespace,
                      "bucketName": "backups", "objectName": "v-json2.bak",
                      "isIncludeKeys": True})
    r = write(m, PROD_VAULT, tgt)
    assert r.rc == 0, r
    assert wait(m, PROD_VAULT).rc == 0
    assert payload(emulator, namespace, "backups", "v-json2.bak").get("keys")

    # .ocivaultfs/backups: the kind column, the vault's path.
    r = run(["cat", m.path(".ocivaultfs", "backups")])
    lines = [line.split("\t") for line in r.out.splitlines()]
    assert lines and all(len(f) == 9 for f in lines), r.out
    assert all(f[7] == "vault-backup" and f[2] == PROD_VAULT
               for f in lines), r.out
    assert calls_since(emulator, before).get("BackupVault") == 4


def test_refusals(mount, emulator, namespace, register_output):
    register_output(r"^ocivaultfs: warning: backup of (vault|key) '[^']+' "
                    r"\([^)]+\) refused: ")
    m = mount()
    status(m, PROD_VAULT)  # listed
    before = requests(emulator)
    # DEFAULT vault: EOPNOTSUPP before any call.
    r = write(m, DEFAULT_VAULT, "backups")
    assert_errno(r, errno.EOPNOTSUPP)
    d = status(m, DEFAULT_VAULT)
    assert d["state"] == "failed" and d["eligible"].startswith("no, "), d
    assert "VIRTUAL_PRIVATE" in d["eligible"], d
    assert "BackupVault" not in calls_since(emulator, before)
    # Bad keys word; a key's backup refuses the choice.
    assert_errno(write(m, PROD_VAULT, "keys=maybe backups"), errno.EINVAL)
    assert_errno(write(m, prod_key("payments-master"), "keys=no backups"),
                 errno.EINVAL)
    tgt = json.dumps({"destination": "BUCKET", "namespace": namespace,
                      "bucketName": "backups", "objectName": "k.bak",
                      "isIncludeKeys": True})
    assert_errno(write(m, prod_key("payments-master"), tgt), errno.EINVAL)
    assert "isIncludeKeys" in status(m, prod_key("payments-master"))["error"]
    # Missing bucket, existing object.
    assert_errno(write(m, PROD_VAULT, "no-such-bucket"), errno.ENOENT)
    assert write(m, PROD_VAULT, "backups/v-exists.bak").rc == 0
    assert wait(m, PROD_VAULT).rc == 0
    assert_errno(write(m, PROD_VAULT, "backups/v-exists.bak"), errno.EEXIST)
    calls = calls_since(emulator, before)
    assert calls.get("BackupVault") == 1, calls
    assert calls.get("BackupKey") is None, calls
    # A vault made non-ACTIVE (admin API): EOPNOTSUPP, the reason shown.
    emulator.admin("POST", "/_emulator/vaults/%s" % VAULTS["prod-vault"],
                   json={"lifecycleState": "UPDATING"})
    before = requests(emulator)
    m2 = mount()
    assert_errno(write(m2, PROD_VAULT, "backups"), errno.EOPNOTSUPP)
    assert "UPDATING" in status(m2, PROD_VAULT)["eligible"]
    assert "BackupVault" not in calls_since(emulator, before)


def test_failure_and_key_backup_alongside(mount, emulator, namespace,
                                          register_output):
    emulator.set_config(backupSeconds=2)
    m = mount()
    key = prod_key("payments-master")
    r = bash("echo backups/k-along.bak > %s && echo backups/v-along.bak > %s"
             % (q(m.path(key, "backup")), q(m.path(PROD_VAULT, "backup"))))
    assert r.rc == 0, r
    rk = run(["cat", m.path(key, "wait")], timeout=120)
    rv = wait(m, PROD_VAULT)
    assert rk.rc == 0 and rv.rc == 0, (rk, rv)
    names = {o["name"] for o in emulator.objects()}
    assert {"k-along.bak", "v-along.bak"} <= names
    # The work request fails (an expired PAR): wait is EIO.
    url = emulator.create_par("backups", "v-late.bak",
                              expires_in=-60)["fullUrl"]
    assert write(m, PROD_VAULT, url).rc == 0
    r = wait(m, PROD_VAULT)
    assert_errno(r, errno.EIO)
    d = status(m, PROD_VAULT)
    assert d["state"] == "failed" and d["errno"] == "EIO", d
    assert "/p/***/" in d["target"], d


def test_vault_state_fallback_without_work_requests(mount, emulator,
                                                    namespace):
    """Without the Work Requests API a vault backup is followed through the
    vault's state (ListVaults) and still ends `succeeded`, checked."""
    emulator.set_config(workRequests=False, backupSeconds=3)
    m = mount()
    status(m, PROD_VAULT)  # listed
    before = requests(emulator)
    r = write(m, PROD_VAULT, "keys=no backups/v-fallback.bak")
    assert r.rc == 0, r

    def fallback():
        s = status(m, PROD_VAULT)
        return s if s.get("tracking") == "vault_state" else None
    d = wait_until(fallback, timeout=30, what="tracking: vault_state")
    assert d["state"] in ("accepted", "in_progress"), d
    assert d["vault_state"] == "BACKUP_IN_PROGRESS", d
    assert d["include_keys"] == "no" and "key_state" not in d, d
    # The emulator agrees: the vault is being backed up.
    (v,) = [v for v in emulator.info()["vaults"]
            if v["id"] == VAULTS["prod-vault"]]
    assert v["lifecycleState"] == "BACKUP_IN_PROGRESS", v

    r = wait(m, PROD_VAULT)
    assert r.rc == 0, r
    d = check_status(r.out)
    assert d["state"] == "succeeded", r.out
    assert d["vault_state"] == "ACTIVE" and d["include_keys"] == "no", r.out
    assert d["object"] == "%s/backups/v-fallback.bak" % namespace, r.out
    assert "tracking" not in d and "started" not in d, r.out
    objs = {o["name"]: o for o in emulator.objects()}
    assert int(d["size"]) == objs["v-fallback.bak"]["size"] > 0, (d, objs)
    p = payload(emulator, namespace, "backups", "v-fallback.bak")
    assert p["kind"] == "vault" and "keys" not in p, p.keys()
    assert p["vault"]["id"] == VAULTS["prod-vault"], p["vault"]
    calls = calls_since(emulator, before)
    assert calls.get("BackupVault") == 1, calls
    assert calls.get("ListVaults", 0) >= 1, calls  # the state polls
    assert "BackupKey" not in calls and "ListKeys" not in calls, calls


def _journal(state):
    (path,) = glob.glob(os.path.join(state, "*.journal"))
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_vault_backup_resumed_after_kill9(mount, emulator, namespace,
                                         register_output):
    """A vault backup in flight when the daemon dies (kill -9) comes back
    after the remount as the vault's job, from the journal: in the vault's
    `status` (not a key's), its work request followed to a checked end,
    never a second BackupVault."""
    register_output(r"^ocivaultfs: warning: backup of vault '[^']+' "
                    r"\([^)]+\) refused: ")
    emulator.set_config(backupSeconds=8)
    state = os.path.join(scratch_dir("ovfs-vtest-"), "state")
    m = mount("state_dir=" + state)
    r = write(m, PROD_VAULT, "backups/v-resumed.bak")
    assert r.rc == 0, r
    # Past the work request's ACCEPTED phase: IN_PROGRESS at OCI.
    wait_until(lambda: [wr["status"] for wr in emulator.workrequests()] ==
               ["IN_PROGRESS"], 20, interval=0.2,
               what="the work request in progress")
    before = status(m, PROD_VAULT)
    assert before["state"] in ("accepted", "in_progress"), before
    assert before["work_request"].startswith("ocid1.kmsworkrequest"), \
        before
    assert re.search(r"(^|\t)kind=vault-backup(\t|$)", _journal(state),
                     re.M)
    m.proc.kill()
    m.proc.wait()
    subprocess.run(["fusermount3", "-u", "-z", m.mnt], capture_output=True,
                   timeout=30)
    assert not emulator.workrequests()[0].get("timeFinished")

    m2 = mount("state_dir=" + state)
    d = status(m2, PROD_VAULT)
    if d["state"] != "succeeded":  # a slow machine: it may have ended
        assert d["state"] == "in_progress", d
        assert d["origin"] == "this mount", d
        assert d["tracking"] == "work_request", d
        assert "resumed from the journal" in d["note"], d
        assert "vault_state" in d and "key_state" not in d, d
        # Never a second BackupVault while it runs; the refusal says vault.
        assert_errno(write(m2, PROD_VAULT, "backups/v-second.bak"),
                     errno.EBUSY)
        rej = status(m2, PROD_VAULT)["rejected"]
        assert "EBUSY: a backup of this vault is already in flight" in rej
    for f in ("target", "object", "work_request", "submitted"):
        assert d[f] == before[f], (f, d, before)
    assert "journal: resuming the backup of vault '%s'" % \
        VAULTS["prod-vault"] in m2.output(), m2.output()
    # Not a key's job: the vault's keys show no backup.
    k = status(m2, prod_key("payments-master"))
    assert k["state"] == "none", k
    r = wait(m2, PROD_VAULT)
    assert r.rc == 0, r
    d = check_status(r.out)
    assert d["state"] == "succeeded", r.out
    assert d["work_request"] == before["work_request"], r.out
    objs = {o["name"]: o for o in emulator.objects()}
    assert list(objs) == ["v-resumed.bak"], objs
    assert int(d["size"]) == objs["v-resumed.bak"]["size"] > 0
    assert payload(emulator, namespace, "backups",
                   "v-resumed.bak")["kind"] == "vault"
    assert requests(emulator).get("BackupVault") == 1
    wait_until(lambda: "\tstate=succeeded\t" in _journal(state), 10,
               what="the outcome in the journal")
    r = run(["cat", m2.path(".ocivaultfs", "backups")])
    # The resumed backup, and the write refused while it ran (EBUSY).
    line, rejected = [f.split("\t") for f in r.out.splitlines()]
    assert line[0] == "succeeded" and line[2] == PROD_VAULT, r.out
    assert line[7] == "vault-backup", r.out
    assert (rejected[0], rejected[2], rejected[8]) == \
        ("rejected", PROD_VAULT, "EBUSY"), r.out
