# SPDX-License-Identifier: MIT
"""Kernel caching: entries and attributes are cached for cache_ttl, and
what the daemon learns before that reaches the kernel (invalidation);
control files are never served stale."""

import os
import time

from fsutil import KEYS, parse_status, prod_key, run


def cat(m, rel):
    r = run(["cat", m.path(rel)])
    assert r.rc == 0, r
    return r.out


def test_a_changed_key_is_not_served_from_the_kernel_cache(mnt, emulator):
    key = prod_key("hr-master")
    before = os.stat(mnt.path(key))
    before_status = os.stat(mnt.path(key, "status"))
    assert parse_status(cat(mnt, key + "/status"))[0]["key_state"] == \
        "DISABLED"
    time.sleep(1.1)  # mtime has a resolution of one second
    emulator.admin("POST", "/_emulator/keys/" + KEYS["hr-master"],
                   {"lifecycleState": "ENABLED"})
    # Within cache_ttl the kernel would keep the old attributes; reading
    # key.json fetches the key, and the change invalidates them.
    assert '"ENABLED"' in cat(mnt, key + "/key.json")
    after = os.stat(mnt.path(key))
    assert after.st_mtime > before.st_mtime
    assert os.stat(mnt.path(key, "status")).st_mtime > before_status.st_mtime
    # status is direct_io: its contents are always current.
    assert parse_status(cat(mnt, key + "/status"))[0]["key_state"] == \
        "ENABLED"


def test_unchanged_listings_keep_their_times(mount):
    m = mount("cache_ttl=1")
    key = prod_key("payments-master")
    first = os.stat(m.path(key)).st_mtime
    time.sleep(2.2)  # the listing is refetched, the key has not changed
    assert run(["ls", m.path(key + "/..")]).rc == 0
    assert os.stat(m.path(key)).st_mtime == first
