# SPDX-License-Identifier: MIT
"""API economy: attributes come from list calls, listings are cached, and
names that cannot exist cost no API call (checked through the emulator's
request counters)."""

import errno

from fsutil import (PAYMENTS_KEYS, PROD, PROD_KEYS, PROD_VAULT, SHARED1,
                    assert_errno, calls_since, prod_key, requests, run, sh)

PROBES = [".hidden", ".Trash-1000", ".Trash", "desktop.ini", "autorun.inf",
          ".git", ".goutputstream-X1Y2Z3", ".directory", "Thumbs.db",
          "folder.jpg", ".xdg-volume-info"]


def test_cold_ls_l_of_keys_dir_is_one_list_keys(mnt, emulator):
    # Reach the vault (its own listings), then count only the keys dir.
    assert run(["ls", mnt.path(PROD + "/vaults")]).rc == 0
    before = requests(emulator)
    r = run(["ls", "-l", mnt.path(PROD_KEYS)])
    assert r.rc == 0, r
    assert len(r.out.splitlines()) == 1 + 9, r  # "total 0" + the keys
    assert calls_since(emulator, before) == {"ListKeys": 1}
    # Warm: ls -l, find, stat of every entry, and status reads: no call
    # but what the size of key.json needs (docs/ocivaultfs.md, "Sizes"):
    # one GetKey per key (its JSON), then cached for cache_ttl.
    before = requests(emulator)
    argvs = (["ls", "-l", mnt.path(PROD_KEYS)],
             ["ls", "-lR", mnt.path(PROD_KEYS)],
             ["find", mnt.path(PROD_KEYS), "-ls"],
             ["stat", mnt.path(prod_key(SHARED1), "backup"),
              mnt.path(prod_key("ops／keys"), "status")],
             ["cat", mnt.path(prod_key("payments-master"), "status"),
              mnt.path(prod_key("payments-master"), "id")])
    for argv in argvs:
        r = run(argv)
        assert r.rc == 0, r
    assert calls_since(emulator, before) == {"GetKey": 9}
    before = requests(emulator)
    for argv in argvs:
        assert run(argv).rc == 0
    assert calls_since(emulator, before) == {}


def test_warm_tree_walk_makes_no_call(mnt, emulator):
    # `find` over the whole tree fills every listing (Restricted: EACCES).
    r = run(["find", mnt.path(PROD)])
    assert r.rc == 0, r
    before = requests(emulator)
    r2 = run(["find", mnt.path(PROD)])
    assert r2.rc == 0 and r2.out == r.out, r2
    assert calls_since(emulator, before) == {}
    # ls -l stats the files: key.json and vault.json have the size of the
    # API's JSON (one Get each, then cached for cache_ttl).
    keys = [p for p in r.out.splitlines() if p.endswith("/key.json")]
    vaults = [p for p in r.out.splitlines() if p.endswith("/vault.json")]
    r = run(["ls", "-lR", mnt.path(PROD)])
    assert r.rc == 0, r
    assert calls_since(emulator, before) == {
        "GetKey": len(keys), "GetVault": len(vaults)}
    before = requests(emulator)
    r = run(["ls", "-lR", mnt.path(PROD)])
    assert r.rc == 0, r
    assert calls_since(emulator, before) == {}


def test_probe_names_cost_nothing(mnt, emulator):
    dirs = ["", "compartments", "vaults", PROD, PROD + "/vaults", PROD_VAULT,
            PROD_KEYS, prod_key("payments-master"), PAYMENTS_KEYS,
            ".ocivaultfs"]
    # Fresh listings first: a name absent from them is answered locally.
    for d in dirs:
        assert run(["ls", mnt.path(d)]).rc == 0
    before = requests(emulator)
    for d in dirs:
        for name in PROBES:
            r = run(["stat", mnt.path(d, name)])
            assert_errno(r, errno.ENOENT)
        # What shells and file managers do: test -e, ls of the name.
        r = sh("test -e .hidden || test -d .git || ls desktop.ini",
               cwd=mnt.path(d))
        assert r.rc != 0, r
    assert calls_since(emulator, before) == {}
    stats = run(["cat", mnt.path(".ocivaultfs", "stats")]).out
    probes = int([line.split(": ")[1] for line in stats.splitlines()
                  if line.startswith("probes: ")][0])
    assert probes >= len(dirs) * len(PROBES)
