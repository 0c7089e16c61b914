# SPDX-License-Identifier: MIT
"""The round trip (issue 10, docs/restore.md): a key or vault backed up
through the mount, deleted in the emulator, restored through `restore`,
`restore-vault`, an object PAR or a drop directory, and found again with
the same OCID and key versions.  Every failure path with its errno, its
`restore-status` text and no stray state; `restore-wait`; concurrent
restores; a restore while a backup of the same key is in flight.
Success is checked in the emulator's state, not only in our output."""

import errno
import os
import re
import subprocess

import pytest
from pylib.emulator import scratch_dir

from fsutil import (KEYS, PROD, PROD_KEYS, PROD_VAULT, VAULTS,
                    assert_errno, bash, calls_since, check_status, prod_key,
                    q, requests, run, wait_until)

PAYMENTS = PROD + "/compartments/Payments"
PAY_VAULT = PAYMENTS + "/vaults/payments-vault"
DEFAULT_VAULT = PROD + "/vaults/prod-default"

# restore-status: one block per restore, in this order.
ORDER = ["state", "kind", "progress", "source", "object", "key", "vault",
         "name", "key_state", "vault_state", "work_request", "request_id",
         "submitted", "finished", "tracking", "trouble", "error", "errno",
         "note"]


@pytest.fixture(autouse=True)
def _refusals_are_logged(register_output):
    """Every failed restore is logged at warning level (the tests below
    check each outcome in restore-status)."""
    register_output(r"warning: (key|vault)-restore into .* failed \(E[A-Z]+\)")


def blocks(text):
    """restore-status -> list of dicts, checked against the contract."""
    assert text.endswith("\n"), text
    out = []
    for chunk in text.rstrip("\n").split("\n\n"):
        d, names = {}, []
        for line in chunk.splitlines():
            name, sep, value = line.partition(": ")
            assert sep and name in ORDER, (line, text)
            assert name not in d, text
            d[name] = value
            names.append(name)
        assert names[0] == "state", text
        assert names == sorted(names, key=ORDER.index), text
        out.append(d)
    return out


def write(m, rel, text):
    return bash("echo %s > %s" % (q(text), q(m.path(rel))), timeout=120)


def restore_status(m, where, vault=False):
    name = "restore-vault-status" if vault else "restore-status"
    r = run(["cat", m.path(where, name)])
    assert r.rc == 0, r
    return blocks(r.out)


def restore_wait(m, where, vault=False):
    name = "restore-vault-wait" if vault else "restore-wait"
    return run(["cat", m.path(where, name)], timeout=120)


def backup_key(m, name, obj):
    r = write(m, prod_key(name) + "/backup", "backups/" + obj)
    assert r.rc == 0, r
    r = run(["cat", m.path(prod_key(name), "wait")], timeout=120)
    assert r.rc == 0, r
    assert check_status(r.out)["state"] == "succeeded", r.out


def backup_vault(m, vault, obj):
    r = write(m, vault + "/backup", "backups/" + obj)
    assert r.rc == 0, r
    r = run(["cat", m.path(vault, "wait")], timeout=120)
    assert r.rc == 0, r


def versions(emulator, key_id):
    return sorted(v["id"] for v in emulator.get_key(key_id)["versions"])


def gone(emulator, key_id):
    try:
        emulator.get_key(key_id)
    except Exception:  # AdminError 404
        return True
    return False


def succeeded_key(d, key_id, state="ENABLED"):
    assert d["state"] == "succeeded", d
    assert d["kind"] == "key-restore", d
    assert d["key"] == key_id, d
    assert d["key_state"] == state, d
    assert d["progress"] == "100", d


# -- the key round trip -------------------------------------------------------

def test_key_round_trip_bucket_par_and_drop(mount, emulator, namespace,
                                            tmp_path):
    m = mount()
    kid = KEYS["payments-master"]
    backup_key(m, "payments-master", "pm.backup")
    vers = versions(emulator, kid)
    assert len(vers) == 3
    assert "payments-master" in os.listdir(m.path(PROD_KEYS))

    # 1. From the bucket.
    emulator.delete_key(kid)
    before = requests(emulator)
    r = write(m, PROD_VAULT + "/restore", "backups/pm.backup")
    assert r.rc == 0, r
    r = restore_wait(m, PROD_VAULT)
    assert r.rc == 0, r
    d = blocks(r.out)[0]
    succeeded_key(d, kid)
    assert d["object"] == "%s/backups/pm.backup" % namespace
    assert d["source"] == "backups/pm.backup"
    assert d["name"] == "payments-master"
    assert re.match(r"ocid1\.\w*workrequest\.", d["work_request"]), d
    # In the emulator: the same key, ENABLED, the same versions.
    k = emulator.get_key(kid)
    assert k["lifecycleState"] == "ENABLED" and k["vaultId"] == \
        VAULTS["prod-vault"]
    assert versions(emulator, kid) == vers
    # In the mount at once (no cache_ttl wait): listed, same id.
    assert "payments-master" in os.listdir(m.path(PROD_KEYS))
    r = run(["cat", m.path(prod_key("payments-master"), "id")])
    assert r.out == kid + "\n"
    calls = calls_since(emulator, before)
    assert calls.get("RestoreKeyFromObjectStore") == 1, calls
    assert calls.get("HeadObject") == 1, calls

    # 2. Through an object PAR (read access).
    emulator.delete_key(kid)
    par = emulator.create_par("backups", "pm.backup",
                              access_type="ObjectRead")["fullUrl"]
    r = write(m, PROD_VAULT + "/restore", par)
    assert r.rc == 0, r
    r = restore_wait(m, PROD_VAULT)
    assert r.rc == 0, r
    d = blocks(r.out)[0]
    succeeded_key(d, kid)
    token = par.split("/p/")[1].split("/")[0]
    assert token not in r.out and "/p/***/" in d["source"], r.out
    assert versions(emulator, kid) == vers

    # 3. Through the drop directory with cp.
    emulator.delete_key(kid)
    data = emulator.get_object("backups", "pm.backup")
    # Binary (nonce and ciphertext): any changed byte fails its tag, so a
    # success proves the bytes were carried exactly.
    assert any(b >= 0x80 for b in data)
    f = tmp_path / "pm.backup"
    f.write_bytes(data)
    before = requests(emulator)
    r = run(["cp", str(f), m.path(PROD_VAULT, "restore.d") + "/"])
    assert r.rc == 0, r
    r = restore_wait(m, PROD_VAULT)
    assert r.rc == 0, r
    d = blocks(r.out)[0]
    succeeded_key(d, kid)
    assert d["source"] == "file pm.backup (%d bytes)" % len(data), d
    assert "object" not in d
    assert versions(emulator, kid) == vers
    assert calls_since(emulator, before).get("RestoreKeyFromFile") == 1

    # restore-status keeps them all, newest first.
    ds = restore_status(m, PROD_VAULT)
    assert [x["state"] for x in ds] == ["succeeded"] * 3
    assert ds[0]["source"].startswith("file ")
    # The mount-wide list: one line per operation, with its kind.
    r = run(["cat", m.path(".ocivaultfs", "backups")])
    lines = [ln.split("\t") for ln in r.out.splitlines()]
    kinds = [ln[7] for ln in lines]
    assert kinds.count("key-restore") == 3 and "key-backup" in kinds, r.out
    for ln in lines:
        if ln[7] == "key-restore":
            assert ln[0] == "succeeded" and ln[2] == PROD_VAULT, ln
    # And the journal's history.
    r = run(["cat", m.path(".ocivaultfs", "history")])
    hist = [ln.split("\t") for ln in r.out.splitlines()]
    assert [h[1] for h in hist if h[8] == "key-restore"] == \
        ["succeeded"] * 3, r.out


def test_disabled_key_returns_disabled_and_help(mount, emulator):
    m = mount()
    kid = KEYS["hr-master"]
    backup_key(m, "hr-master", "hr.backup")
    emulator.delete_key(kid)
    r = run(["cat", m.path(PROD_VAULT, "restore")])
    assert r.rc == 0 and r.out.startswith("; ") and "restore.d" in r.out
    # Writing the help back (an editor's save) with one target added.
    r = bash("{ cat %s; echo backups/hr.backup; } > /tmp/ovfs-rt.$$ && "
             "cat /tmp/ovfs-rt.$$ > %s; rc=$?; rm -f /tmp/ovfs-rt.$$; "
             "exit $rc" % (q(m.path(PROD_VAULT, "restore")),
                           q(m.path(PROD_VAULT, "restore"))))
    assert r.rc == 0, r
    r = restore_wait(m, PROD_VAULT)
    assert r.rc == 0, r
    succeeded_key(blocks(r.out)[0], kid, "DISABLED")
    assert emulator.get_key(kid)["lifecycleState"] == "DISABLED"


# -- vaults ------------------------------------------------------------------

def test_vault_round_trip_restore_vault_and_drop(mount, emulator, tmp_path):
    m = mount()
    vid = VAULTS["payments-vault"]
    pay_keys = sorted(os.listdir(m.path(PAY_VAULT, "keys")))
    assert pay_keys == ["card-data", "signing-ec"]
    backup_vault(m, PAY_VAULT, "pv.backup")
    key_vers = {k: versions(emulator, KEYS[k]) for k in pay_keys}

    for how in ("restore-vault", "restore-vault.d"):
        out = emulator.delete_vault(vid)
        assert sorted(out["keys"]) == sorted(KEYS[k] for k in pay_keys)
        if how == "restore-vault":
            r = write(m, PAYMENTS + "/restore-vault", "backups/pv.backup")
        else:
            f = tmp_path / "pv.backup"
            f.write_bytes(emulator.get_object("backups", "pv.backup"))
            r = run(["cp", str(f), m.path(PAYMENTS, "restore-vault.d")])
        assert r.rc == 0, (how, r)
        r = restore_wait(m, PAYMENTS, vault=True)
        assert r.rc == 0, (how, r)
        d = blocks(r.out)[0]
        assert d["state"] == "succeeded" and d["kind"] == "vault-restore", d
        assert d["vault"] == vid and d["vault_state"] == "ACTIVE", d
        # Listed at once, with its keys; the emulator agrees.
        assert "payments-vault" in os.listdir(m.path(PAYMENTS, "vaults"))
        assert sorted(os.listdir(m.path(PAY_VAULT, "keys"))) == pay_keys
        for k in pay_keys:
            rec = emulator.get_key(KEYS[k])
            assert rec["lifecycleState"] == "ENABLED", (k, rec)
            assert versions(emulator, KEYS[k]) == key_vers[k]
    ds = restore_status(m, PAYMENTS, vault=True)
    assert [x["state"] for x in ds] == ["succeeded", "succeeded"]
    r = run(["cat", m.path(".ocivaultfs", "backups")])
    assert r.out.count("\tvault-restore\t") == 2, r.out


# -- failures ----------------------------------------------------------------

def failed(m, where, err, code=None, vault=False):
    d = restore_status(m, where, vault)[0]
    assert d["state"] == "failed", d
    # strerrorname_np() names errno 95 EOPNOTSUPP (errorcode: ENOTSUP)
    name = "EOPNOTSUPP" if err == errno.EOPNOTSUPP else errno.errorcode[err]
    assert d["errno"] == name, d
    if code:
        assert code in d["error"], d
    r = restore_wait(m, where, vault)
    assert r.rc != 0 and "Input/output error" in r.err, r
    return d


def test_failure_paths(mount, emulator, tmp_path):
    m = mount()
    kid = KEYS["payments-master"]
    backup_key(m, "payments-master", "pm.backup")
    keys_before = emulator.admin("GET", "/_emulator/keys")
    before = requests(emulator)

    # Object missing: HeadObject says so, no restore call.
    r = write(m, PROD_VAULT + "/restore", "backups/nope.backup")
    assert_errno(r, errno.ENOENT)
    d = failed(m, PROD_VAULT, errno.ENOENT, "ObjectNotFound")
    assert "nope.backup" in d["error"]
    assert "RestoreKeyFromObjectStore" not in calls_since(emulator, before)

    # The key still exists: OCI's 409 Conflict is EEXIST.
    r = write(m, PROD_VAULT + "/restore", "backups/pm.backup")
    assert_errno(r, errno.EEXIST)
    d = failed(m, PROD_VAULT, errno.EEXIST, "Conflict")
    assert "already exists" in d["error"] and "request_id" in d

    # A target without an object, keys=: refused before any call.
    for text in ("backups", "keys=no backups/pm.backup", "not a target!!"):
        r = write(m, PROD_VAULT + "/restore", text)
        assert_errno(r, errno.EINVAL)
        failed(m, PROD_VAULT, errno.EINVAL, "InvalidTarget")

    # A corrupt object, and a corrupt file dropped: EINVAL, OCI's text.
    data = emulator.get_object("backups", "pm.backup")
    bad = data[:60] + bytes([data[60] ^ 0xFF]) + data[61:]
    emulator.put_object("backups", "bad.backup", bad)
    emulator.delete_key(kid)
    r = write(m, PROD_VAULT + "/restore", "backups/bad.backup")
    assert_errno(r, errno.EINVAL)
    failed(m, PROD_VAULT, errno.EINVAL, "InvalidParameter")
    f = tmp_path / "bad.backup"
    f.write_bytes(bad)
    r = run(["cp", str(f), m.path(PROD_VAULT, "restore.d")])
    assert_errno(r, errno.EINVAL)
    failed(m, PROD_VAULT, errno.EINVAL, "InvalidParameter")
    f.write_bytes(data[: len(data) // 2])  # truncated
    r = run(["cp", str(f), m.path(PROD_VAULT, "restore.d")])
    assert_errno(r, errno.EINVAL)
    failed(m, PROD_VAULT, errno.EINVAL, "InvalidParameter")

    # A wrong MD5 (the body damaged after it was signed): OCI's message.
    emulator.faults([{"op": "RestoreKeyFromFile", "kind": "corrupt",
                      "count": 1}])
    f.write_bytes(data)
    r = run(["cp", str(f), m.path(PROD_VAULT, "restore.d")])
    assert_errno(r, errno.EINVAL)
    d = failed(m, PROD_VAULT, errno.EINVAL)
    assert "does not match the Content-MD5 header" in d["error"], d
    assert gone(emulator, kid)
    assert os.listdir(m.path(PROD_VAULT, "restore.d")) == []
    # The same bytes again, without the fault: exactly what we carried.
    r = run(["cp", str(f), m.path(PROD_VAULT, "restore.d")])
    assert r.rc == 0, r
    assert restore_wait(m, PROD_VAULT).rc == 0
    assert emulator.get_key(kid)["lifecycleState"] == "ENABLED"

    # Wrong vault type: refused from the listing, no call.
    before = requests(emulator)
    r = write(m, DEFAULT_VAULT + "/restore", "backups/pm.backup")
    assert_errno(r, errno.EOPNOTSUPP)
    assert "VIRTUAL_PRIVATE" in failed(m, DEFAULT_VAULT,
                                       errno.EOPNOTSUPP)["error"]
    assert not [op for op in calls_since(emulator, before)
                if op.startswith("Restore")]

    # A key backup into another vault: OCI refuses it (EINVAL).
    emulator.delete_key(kid)
    r = write(m, PAY_VAULT + "/restore", "backups/pm.backup")
    assert_errno(r, errno.EINVAL)
    assert "belongs to vault" in failed(m, PAY_VAULT, errno.EINVAL)["error"]
    # A key backup given to restore-vault: EINVAL.
    r = write(m, PAYMENTS + "/restore-vault", "backups/pm.backup")
    assert_errno(r, errno.EINVAL)
    failed(m, PAYMENTS, errno.EINVAL, vault=True)

    # An ineligible vault (not ACTIVE): OCI's 409 IncorrectState, EBUSY.
    emulator.update_vault(VAULTS["payments-vault"],
                          lifecycleState="PENDING_DELETION")
    backup_ok = emulator.get_object("backups", "pm.backup")
    emulator.put_object("backups", "pm2.backup", backup_ok)
    r = write(m, PAY_VAULT + "/restore", "backups/pm2.backup")
    assert_errno(r, errno.EBUSY)
    failed(m, PAY_VAULT, errno.EBUSY, "IncorrectState")
    emulator.update_vault(VAULTS["payments-vault"], lifecycleState="ACTIVE")

    # A vault that no longer exists (the directory is still cached).
    assert os.listdir(m.path(PAY_VAULT, "keys"))
    emulator.delete_vault(VAULTS["payments-vault"])
    r = write(m, PAY_VAULT + "/restore", "backups/pm2.backup")
    assert_errno(r, errno.ENOENT)
    failed(m, PAY_VAULT, errno.ENOENT)

    # The vault exists: restore-vault of its backup is EEXIST.
    backup_vault(m, PROD_VAULT, "prod.backup")
    r = write(m, PROD + "/restore-vault", "backups/prod.backup")
    assert_errno(r, errno.EEXIST)
    failed(m, PROD, errno.EEXIST, "Conflict", vault=True)

    # No stray state: no key or vault was made by any of these.
    keys = emulator.admin("GET", "/_emulator/keys")
    assert {k["id"] for k in keys} <= {k["id"] for k in keys_before}
    assert not [k for k in keys if k["lifecycleState"] == "RESTORING"]
    vaults = emulator.info()["vaults"]
    assert not [v for v in vaults if v["lifecycleState"] == "RESTORING"]
    r = run(["cat", m.path(".ocivaultfs", "backups")])
    restores = [ln.split("\t") for ln in r.out.splitlines()
                if ln.split("\t")[7].endswith("-restore")]
    assert len(restores) >= 12
    assert all(x[0] in ("failed", "succeeded") for x in restores)


# -- wait, concurrency, restore during backup -------------------------------

def test_wait_concurrent_and_during_backup(mount, emulator):
    m = mount()
    r = restore_wait(m, PROD_VAULT)
    assert r.rc == 0 and r.out == "state: none\n", r
    pm, hr = KEYS["payments-master"], KEYS["hr-master"]
    backup_key(m, "payments-master", "pm.backup")
    backup_key(m, "hr-master", "hr.backup")
    emulator.delete_key(pm)
    emulator.delete_key(hr)
    emulator.set_config(backupSeconds=3)
    # Two restores into one vault at once, from two processes.
    r = bash("echo backups/pm.backup > %s & echo backups/hr.backup > %s & "
             "wait" % (q(m.path(PROD_VAULT, "restore")),
                       q(m.path(PROD_VAULT, "restore"))))
    assert r.rc == 0, r
    ds = restore_status(m, PROD_VAULT)
    assert len(ds) == 2 and all(d["state"] in ("accepted", "in_progress")
                                for d in ds), ds
    r = restore_wait(m, PROD_VAULT)  # waits for both
    assert r.rc == 0, r
    ds = blocks(r.out)
    assert sorted(d["key"] for d in ds) == sorted([pm, hr])
    assert all(d["state"] == "succeeded" for d in ds), ds
    assert emulator.get_key(hr)["lifecycleState"] == "DISABLED"
    names = os.listdir(m.path(PROD_KEYS))
    assert "payments-master" in names and "hr-master" in names

    # A restore of a key whose backup is in flight: the key exists
    # (EEXIST), and the backup goes on to succeed.
    r = write(m, prod_key("payments-master") + "/backup",
              "backups/pm-again.backup")
    assert r.rc == 0, r
    r = write(m, PROD_VAULT + "/restore", "backups/pm.backup")
    assert_errno(r, errno.EEXIST)
    r = run(["cat", m.path(prod_key("payments-master"), "wait")],
            timeout=120)
    assert r.rc == 0 and check_status(r.out)["state"] == "succeeded", r
    assert emulator.get_object("backups", "pm-again.backup")
    assert emulator.get_key(pm)["lifecycleState"] == "ENABLED"


def test_only_the_mounting_user_restores(mount):
    m = mount("allow_other")
    path = m.path(PROD_VAULT, "restore")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(m.path(PROD, "restore-vault")).st_mode & 0o777 == 0o600
    # As uid 65534, from inside the mount (the test's scratch directories
    # need not be searchable by others).
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    r = run(nobody + ["sh", "-c", "echo backups/x > %s" %
                      q(PROD_VAULT + "/restore")], cwd=m.mnt)
    assert r.rc != 0 and "Permission denied" in r.err, r
    r = run(nobody + ["cp", "/etc/hostname", PROD_VAULT + "/restore.d/"],
            cwd=m.mnt)
    assert r.rc != 0 and "Permission denied" in r.err, r
    r = run(nobody + ["cat", PROD_VAULT + "/restore-status"], cwd=m.mnt)
    assert r.rc == 0 and r.out == "state: none\n", r


def test_kill9_then_remount_follows_the_restores(mount, emulator):
    """Restores in flight when the daemon dies are resumed from the
    journal: a key restore and a vault restore end `succeeded` after the
    remount, checked in the emulator, and history has them once."""
    state = os.path.join(scratch_dir("ovfs-rtest-"), "state")
    m = mount("state_dir=" + state)
    kid, vid = KEYS["payments-master"], VAULTS["payments-vault"]
    backup_key(m, "payments-master", "pm.backup")
    backup_vault(m, PAY_VAULT, "pv.backup")
    emulator.delete_key(kid)
    emulator.delete_vault(vid)
    emulator.set_config(backupSeconds=6)
    assert write(m, PROD_VAULT + "/restore", "backups/pm.backup").rc == 0
    assert write(m, PAYMENTS + "/restore-vault", "backups/pv.backup").rc == 0
    m.proc.kill()
    m.proc.wait()
    subprocess.run(["fusermount3", "-u", "-z", m.mnt], capture_output=True,
                   timeout=30)
    m2 = mount("state_dir=" + state)
    wait_until(lambda: all(
        d["state"] == "succeeded"
        for d in restore_status(m2, PROD_VAULT) +
        restore_status(m2, PAYMENTS, vault=True)), 90, interval=0.3,
        what="both restores followed to their end")
    d = restore_status(m2, PROD_VAULT)[0]
    assert d["key"] == kid and "resumed" in d["note"], d
    d = restore_status(m2, PAYMENTS, vault=True)[0]
    assert d["vault"] == vid and d["vault_state"] == "ACTIVE", d
    assert emulator.get_key(kid)["lifecycleState"] == "ENABLED"
    assert "payments-vault" in os.listdir(m2.path(PAYMENTS, "vaults"))
    r = run(["cat", m2.path(".ocivaultfs", "history")])
    hist = [ln.split("\t") for ln in r.out.splitlines()]
    assert sorted(h[8] for h in hist if h[8].endswith("-restore")) == \
        ["key-restore", "vault-restore"], r.out
    assert all(h[1] == "succeeded" for h in hist), r.out
    # No restore was sent twice.
    assert requests(emulator).get("RestoreKeyFromObjectStore") == 1
    assert requests(emulator).get("RestoreVaultFromObjectStore") == 1
