# SPDX-License-Identifier: MIT
"""Vault backups (BackupVault) through a vault directory's `backup`,
`status` and `wait`: with and without the vault's keys (proved by opening
the emulator's backup object), eligibility, existing objects, missing
buckets, a vault backup while one of its keys is backed up, and the
kind column of .ocivaultfs/backups."""

import errno
import json
import os
import sys
import time

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
    assert lines and all(len(f) == 8 for f in lines), r.out
    assert all(f[7] == "vault-backup" and f[2] == PROD_VAULT
               for f in lines), r.out
    assert calls_since(emulator, before).get("BackupVault") == 4


def test_refusals(mount, emulator, namespace, register_output):
    register_output(r"^ocivaultfs: warning: backup of (vault|key) '[^']+' "
                    r"refused: ")
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
