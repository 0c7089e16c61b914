# SPDX-License-Identifier: MIT
"""The tree against the sample tenancy: nesting, names (unicode, slash,
duplicates), hidden deleted resources, the inaccessible compartment,
ineligible keys, `id`, key.json/vault.json, modes."""

import errno
import json
import os
import re
import stat

from fsutil import (COMPARTMENTS, DEFAULT_KEYS, DEV_DEFAULT, DEV_PRIVATE,
                    KEYS, PAYMENTS_KEYS, PROD, PROD_FILES, PROD_KEYS,
                    PROD_VAULT, SHARED1, TENANCY, VAULTS, assert_errno,
                    bash, check_status, prod_key, run, sh)

RESTRICTED_LOG = (r"^ocivaultfs: info: 'compartments/Restricted/(vaults|"
                  r"compartments)' is not accessible to this user "
                  r"\(NotAuthorizedOrNotFound \(HTTP 404\)")


def ls(m, rel, *flags):
    r = run(["ls", "-1", *flags, m.path(rel)])
    assert r.rc == 0, r
    return r.out.splitlines()


# A compartment's entries (ls order): vault restores are made there.  The
# wait files are found by name but not listed (docs/ocivaultfs.md).
COMP_ENTRIES = ["compartments", "id", "restore-vault", "restore-vault-status",
                "restore-vault.d", "vaults"]


def cat(m, rel):
    r = run(["cat", m.path(rel)])
    assert r.rc == 0, r
    return r.out


def test_root(mnt):
    assert ls(mnt, "", "-a") == [".", "..", ".ocivaultfs"] + COMP_ENTRIES
    assert cat(mnt, "id") == TENANCY + "\n"
    # Sandbox is DELETED: hidden.
    assert ls(mnt, "compartments") == ["Development", "Production",
                                       "Restricted"]
    assert ls(mnt, "vaults") == []
    assert ls(mnt, ".ocivaultfs") == ["backups", "history", "stats"]


def test_nesting_and_ids(mnt):
    assert ls(mnt, PROD) == COMP_ENTRIES
    assert cat(mnt, PROD + "/id") == COMPARTMENTS["Production"] + "\n"
    assert ls(mnt, PROD + "/compartments") == ["HR", "Payments"]
    pay = PROD + "/compartments/Payments"
    assert cat(mnt, pay + "/id") == COMPARTMENTS["Payments"] + "\n"
    assert ls(mnt, pay + "/vaults") == ["payments-vault"]
    assert cat(mnt, pay + "/vaults/payments-vault/id") == \
        VAULTS["payments-vault"] + "\n"
    assert ls(mnt, PAYMENTS_KEYS) == ["card-data", "signing-ec"]
    assert cat(mnt, PAYMENTS_KEYS + "/card-data/id") == \
        KEYS["card-data"] + "\n"
    # HR: an empty compartment, recursively the same shape.
    hr = PROD + "/compartments/HR"
    assert ls(mnt, hr) == COMP_ENTRIES
    assert ls(mnt, hr + "/vaults") == []
    assert ls(mnt, hr + "/compartments") == []
    assert ls(mnt, PROD + "/vaults") == ["prod-default", "prod-vault"]
    assert ls(mnt, PROD_VAULT) == ["backup", "id", "keys", "restore",
                                   "restore-status", "restore.d", "status",
                                   "status.json", "vault.json"]
    assert cat(mnt, PROD_VAULT + "/id") == VAULTS["prod-vault"] + "\n"


def test_key_names(mnt):
    # Unicode and a space kept, '/' as U+FF0F, duplicates with the OCID's
    # last six characters; retired-key (DELETED) hidden; tokenization lives
    # in another compartment than its vault and is not a key of this one.
    names = ls(mnt, PROD_KEYS)
    assert sorted(names) == sorted(PROD_FILES)
    assert "ops\uff0fkeys" in names and "Équipe données" in names
    for name, ocid in PROD_FILES.items():
        assert cat(mnt, prod_key(name) + "/id") == ocid + "\n", name
        assert ls(mnt, prod_key(name)) == ["backup", "history", "id",
                                           "key.json", "status",
                                           "status.json"]
    # find sees the same names through readdir as ls does.
    r = run(["find", mnt.path(PROD_KEYS), "-mindepth", "1", "-maxdepth",
             "1", "-printf", "%f\n"])
    assert r.rc == 0 and sorted(r.out.splitlines()) == sorted(PROD_FILES), r


def test_duplicate_vaults_and_pending_deletion_vault(mnt):
    dev = "compartments/Development/vaults"
    assert ls(mnt, dev) == [DEV_DEFAULT, DEV_PRIVATE, "old-vault"]
    assert cat(mnt, dev + "/" + DEV_DEFAULT + "/id") == \
        VAULTS["dev-vault/default"] + "\n"
    assert cat(mnt, dev + "/" + DEV_PRIVATE + "/id") == \
        VAULTS["dev-vault/private"] + "\n"
    for v, key in ((DEV_DEFAULT, "test-key/default"),
                   (DEV_PRIVATE, "test-key/private")):
        keys = dev + "/" + v + "/keys"
        assert ls(mnt, keys) == ["test-key"]
        assert cat(mnt, keys + "/test-key/id") == KEYS[key] + "\n"
    assert ls(mnt, dev + "/old-vault/keys") == []


def test_deleting_and_deleted_are_hidden(mnt, emulator):
    # The API lists DELETING resources and DELETED compartments; the
    # filesystem hides them.
    emulator.admin("POST", "/_emulator/keys/" + KEYS["shared/1"],
                   {"lifecycleState": "DELETING"})
    emulator.admin("POST", "/_emulator/vaults/" + VAULTS["prod-default"],
                   {"lifecycleState": "DELETING"})
    emulator.admin("POST", "/_emulator/compartments/" + COMPARTMENTS["HR"],
                   {"lifecycleState": "DELETED"})
    names = ls(mnt, PROD_KEYS)
    assert "shared" in names and SHARED1 not in names
    assert "retired-key" not in names
    assert ls(mnt, PROD + "/vaults") == ["prod-vault"]
    assert ls(mnt, PROD + "/compartments") == ["Payments"]
    assert ls(mnt, "compartments") == ["Development", "Production",
                                       "Restricted"]
    r = run(["stat", mnt.path(PROD + "/compartments/HR")])
    assert_errno(r, errno.ENOENT)


def test_inaccessible_compartment(mnt, register_output):
    register_output(RESTRICTED_LOG)
    restricted = "compartments/Restricted"
    assert ls(mnt, restricted) == COMP_ENTRIES
    assert cat(mnt, restricted + "/id") == COMPARTMENTS["Restricted"] + "\n"
    for sub in ("vaults", "compartments"):
        r = run(["ls", mnt.path(restricted, sub)])
        assert_errno(r, errno.EACCES)
        r = run(["ls", mnt.path(restricted, sub, "restricted-vault")])
        assert_errno(r, errno.EACCES)
    # The rest of the tree is unaffected.
    assert ls(mnt, PROD + "/vaults") == ["prod-default", "prod-vault"]
    # Told once per listing, at info: not an error of every walk.
    # (a listing never fetched is asked again by each ls)
    for sub in ("vaults", "compartments"):
        assert_errno(run(["ls", mnt.path(restricted, sub)]), errno.EACCES)
    told = [ln for ln in mnt.output().splitlines()
            if re.search(RESTRICTED_LOG, ln)]
    assert len(told) == 2, mnt.output()
    assert "error" not in mnt.output(), mnt.output()


def test_status_of_fresh_keys_and_eligibility(mnt):
    assert cat(mnt, prod_key("payments-master") + "/status") == \
        "state: none\nkey_state: ENABLED\neligible: yes\n"
    assert cat(mnt, prod_key("hr-master") + "/status") == \
        "state: none\nkey_state: DISABLED\neligible: yes\n"
    cases = {
        prod_key("soft-key"): ("ENABLED", "SOFTWARE-protected keys cannot "
                               "be backed up (only HSM keys)"),
        prod_key("legacy-key"): ("PENDING_DELETION", "the key is "
                                 "PENDING_DELETION (only ENABLED or "
                                 "DISABLED keys can be backed up)"),
        DEFAULT_KEYS + "/default-hsm": ("ENABLED", "keys in DEFAULT vaults "
                                        "cannot be backed up (only keys in "
                                        "VIRTUAL_PRIVATE vaults)"),
        DEFAULT_KEYS + "/default-soft": ("ENABLED", "keys in DEFAULT vaults "
                                         "cannot be backed up (only keys in "
                                         "VIRTUAL_PRIVATE vaults)"),
    }
    for rel, (state, why) in cases.items():
        text = cat(mnt, rel + "/status")
        assert text == "state: none\nkey_state: %s\neligible: no, %s\n" % (
            state, why), rel
        check_status(text)


def test_key_json_and_vault_json_are_the_api_json(mnt, emulator):
    client = emulator.client()
    try:
        for name, ocid in (("payments-master", KEYS["payments-master"]),
                           ("ops／keys", KEYS["ops/keys"])):
            r = client.get("https://127.0.0.1:%d/20180608/keys/%s" % (
                [v for v in emulator.info()["vaults"]
                 if v["id"] == VAULTS["prod-vault"]][0]["port"], ocid))
            assert r.status == 200, r
            got = json.loads(cat(mnt, prod_key(name) + "/key.json"))
            assert got == r.json()
        r = client.get(emulator.endpoint + "/20180608/vaults/" +
                       VAULTS["prod-vault"])
        assert r.status == 200, r
        assert json.loads(cat(mnt, PROD_VAULT + "/vault.json")) == r.json()
    finally:
        client.close()
    # Reading key.json fetches the key afresh: exactly one GetKey.
    before = emulator.stats()["requests"].get("GetKey", 0)
    cat(mnt, prod_key("hr-master") + "/key.json")
    assert emulator.stats()["requests"].get("GetKey", 0) == before + 1


def test_modes_sizes_and_owner(mnt):
    def st(rel):
        return os.stat(mnt.path(rel))
    for rel in ("", "compartments", PROD, PROD_KEYS, prod_key(SHARED1),
                ".ocivaultfs"):
        s = st(rel)
        assert stat.S_ISDIR(s.st_mode) and stat.S_IMODE(s.st_mode) == 0o555
    key = prod_key("payments-master")
    for name, mode in (("backup", 0o600), ("status", 0o444),
                       ("wait", 0o444), ("key.json", 0o444),
                       ("id", 0o444)):
        s = st(key + "/" + name)
        assert stat.S_ISREG(s.st_mode), name
        assert stat.S_IMODE(s.st_mode) == mode, name
        assert s.st_uid == os.getuid() and s.st_gid == os.getgid()
    # Every file has the size of its content (wait: none until it ends).
    assert st(key + "/id").st_size == len(KEYS["payments-master"]) + 1
    assert st(key + "/status").st_size == len(cat(mnt, key + "/status"))
    assert st(key + "/wait").st_size == 0
    # stat(1) shows the same, and a directory cannot be read as a file.
    r = sh("stat -c '%a %s %F' backup id", cwd=mnt.path(key))
    assert r.out.splitlines() == ["600 %d regular file" % len(
        cat(mnt, key + "/backup").encode()), "444 %d regular file"
                                  % (len(KEYS["payments-master"]) + 1)], r
    r = bash("cat " + mnt.path(key))
    assert_errno(r, errno.EISDIR)


def test_backup_reads_as_help(mnt, namespace):
    text = cat(mnt, prod_key("payments-master") + "/backup")
    lines = text.splitlines()
    # ';' comments: vim does not take them for a conf file (whose `o`
    # would continue the comment).
    assert lines and all(line.startswith(";") for line in lines), text
    # (padded: the length does not depend on the namespace being known)
    assert "; Namespace: %-33s" % namespace in lines
    assert any(line.startswith("; Object name template: {time}-{key}-{key_short}.backup")
               for line in lines), text
    assert KEYS["payments-master"] in text
