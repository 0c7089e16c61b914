# SPDX-License-Identifier: MIT
"""The C client against the emulator: every call it implements, errors,
paging, retries through injected faults, rate limiting, connection reuse."""

import base64
import hashlib
import math
import time

import pytest

from conftest import vault

PAYMENTS_MASTER = ("ocid1.key.oc1.iad.lqpltivzvaaeug.abuwcljstxq646ylq2z7pdkv"
                   "mrs3sb3oey5liwqifipxawpbocmdlcfhpcxz")
HR_MASTER = ("ocid1.key.oc1.iad.lqpltivzvaaeug.abuwcljs7t3vprfg5qcs57egzfqbk"
             "zl73tkadxdiyfmq6lbzi3itswfgs4i7")
LEGACY_KEY = ("ocid1.key.oc1.iad.lqpltivzvaaeug.abuwcljsybd4q2u5bs3tr5cqwdvx"
              "jork6gpxwcjonjetwdhz3j22yqfsg5l4")
SOFT_KEY = ("ocid1.key.oc1.iad.lqpltivzvaaeug.abuwcljslafhhf4lgmn625klfi65cd"
            "qxabo3bf5tukjopu7sprw47boe2f3f")
PRODUCTION = ("ocid1.compartment.oc1..aaaaaaaahb2yhd7ueiyo37j6wwgxsklop5nckzi"
              "4p2ahe2jxj75ukrtc42vt")
RESTRICTED = ("ocid1.compartment.oc1..aaaaaaaaitsrnfbrdsy6nhyt5b6nzjyatc4dh2g"
              "mf3ccol5l7e4c7kfcdllu")
SANDBOX_DELETED = ("ocid1.compartment.oc1..aaaaaaaafdo6krzix3dqtkrt6ha77gnhz"
                   "zpxzui36dqe5lr6av62dgtl5euc")


def ok(r):
    assert r.rc == 0, r
    return r.out


def fails(r, errname, status=None):
    assert r.rc == 1, r
    e = r.error
    assert e is not None, r
    assert e["errname"] == errname or e["errno"] == errname, r
    if status is not None:
        assert e["status"] == status, r
    return e


def wait_work_request(call, wr, timeout=15):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        out = ok(call("get-work-request", wr))
        seen.append(out["status"])
        if out["status"] in ("SUCCEEDED", "FAILED", "CANCELED"):
            return out, seen
        time.sleep(0.2)
    raise AssertionError("work request did not finish: %s" % seen)


# -- Identity ----------------------------------------------------------------

def test_get_tenancy(call, info):
    out = ok(call("get-tenancy"))
    assert out["id"] == info["tenancyId"]
    assert out["name"] == "acme-corp"
    assert out["homeRegionKey"] == "IAD"


def test_list_compartments_levels_and_access(call, info):
    top = ok(call("list-compartments", info["tenancyId"]))
    names = {c["name"] for c in top["items"]}
    assert {"Production", "Development", "Restricted"} <= names
    assert "Payments" not in names  # first level only
    sub = ok(call("list-compartments", info["tenancyId"], "--subtree"))
    assert {"Payments", "HR"} <= {c["name"] for c in sub["items"]}
    acc = ok(call("list-compartments", info["tenancyId"], "--subtree",
                  "--access", "ACCESSIBLE"))
    assert "Restricted" not in {c["name"] for c in acc["items"]}
    deleted = [c for c in sub["items"] if c["id"] == SANDBOX_DELETED]
    assert deleted and deleted[0]["lifecycleState"] == "DELETED"


def test_get_compartment(call):
    out = ok(call("get-compartment", PRODUCTION))
    assert out["name"] == "Production"
    assert out["lifecycleState"] == "ACTIVE"
    fails(call("get-compartment", RESTRICTED), "ENOENT", 404)


def test_vaults(call, info):
    out = ok(call("list-vaults", PRODUCTION))
    by_name = {v["displayName"]: v for v in out["items"]}
    assert by_name["prod-vault"]["vaultType"] == "VIRTUAL_PRIVATE"
    assert by_name["prod-default"]["vaultType"] == "DEFAULT"
    pv = vault(info, "prod-vault")
    assert by_name["prod-vault"]["managementEndpoint"] == \
        pv["managementEndpoint"]
    got = ok(call("get-vault", pv["id"]))
    assert got["id"] == pv["id"] and got["lifecycleState"] == "ACTIVE"
    fails(call("list-vaults", RESTRICTED), "ENOENT", 404)


def test_keys_and_versions(call, info):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    keys = ok(call("list-keys", mgmt, PRODUCTION))
    names = {k["displayName"] for k in keys["items"]}
    assert {"payments-master", "hr-master", "ops/keys",
            "Équipe données", "app signing"} <= names
    got = ok(call("get-key", mgmt, PAYMENTS_MASTER))
    assert got["key"]["lifecycleState"] == "ENABLED"
    assert got["key"]["currentKeyVersion"].startswith("ocid1.keyversion.")
    assert got["etag"]
    versions = ok(call("list-key-versions", mgmt, PAYMENTS_MASTER))
    assert versions["count"] == 3
    assert all(v["keyId"] == PAYMENTS_MASTER for v in versions["items"])


def test_key_of_another_vault_is_not_found(call, info):
    other = vault(info, "payments-vault")["managementEndpoint"]
    e = fails(call("get-key", other, PAYMENTS_MASTER), "ENOENT", 404)
    assert e["code"] == "NotAuthorizedOrNotFound"
    assert e["request_id"]


def test_paging_follows_next_page(call, info, emulator):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    full = ok(call("list-keys", mgmt, PRODUCTION))
    emulator.reset_stats()
    r = call("list-keys", mgmt, PRODUCTION, opts=["--page-limit", "2"])
    paged = ok(r)
    assert paged["count"] == full["count"] > 4
    assert [k["id"] for k in paged["items"]] == \
        [k["id"] for k in full["items"]]
    pages = math.ceil(full["count"] / 2)
    assert r.stats["calls"]["ListKeys"] == [1, pages, 0]
    assert emulator.stats()["requests"]["ListKeys"] == pages


def test_namespace_and_buckets(call, info):
    ns = ok(call("get-namespace"))["namespace"]
    assert ns == info["namespace"]
    buckets = ok(call("list-buckets", ns, info["tenancyId"]))
    assert "backups" in {b["name"] for b in buckets["items"]}
    assert all(b["namespace"] == ns for b in buckets["items"])
    prod = ok(call("list-buckets", ns, PRODUCTION))
    assert [b["name"] for b in prod["items"]] == ["archive"]


# -- Backups, work requests, objects, restores ------------------------------

def test_backup_key_to_bucket(call, info, emulator):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    ns = info["namespace"]
    out = ok(call("backup-key", mgmt, PAYMENTS_MASTER,
                  "%s/backups/pm.backup" % ns))
    assert out["key"]["lifecycleState"] == "BACKUP_IN_PROGRESS"
    assert out["workRequestId"].startswith("ocid1.")
    assert out["etag"] and out["requestId"]
    wr, seen = wait_work_request(call, out["workRequestId"])
    assert wr["status"] == "SUCCEEDED" and wr["percentComplete"] == 100.0
    assert wr["resources"] >= 1
    head = ok(call("head-object", ns, "backups", "pm.backup"))
    obj = [o for o in emulator.objects() if o["name"] == "pm.backup"][0]
    assert head["contentLength"] == obj["size"] > 0
    assert obj["key_id"] == PAYMENTS_MASTER
    key = ok(call("get-key", mgmt, PAYMENTS_MASTER))["key"]
    assert key["lifecycleState"] == "ENABLED"


def test_object_names_with_slashes_and_spaces(call, info):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    ns = info["namespace"]
    name = "daily/2026 11/pm é.backup"
    out = ok(call("backup-key", mgmt, HR_MASTER, "%s/backups/%s" % (ns, name)))
    wr, _ = wait_work_request(call, out["workRequestId"])
    assert wr["status"] == "SUCCEEDED"
    head = ok(call("head-object", ns, "backups", name))
    assert head["contentLength"] > 0
    fails(call("head-object", ns, "backups", "missing/object"), "ENOENT", 404)


def test_backup_through_par(call, info, emulator):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    par = emulator.create_par("backups", "via-par.backup", "ObjectWrite")
    out = ok(call("backup-key", mgmt, HR_MASTER, par["fullUrl"]))
    wr, _ = wait_work_request(call, out["workRequestId"])
    assert wr["status"] == "SUCCEEDED"
    assert any(o["name"] == "via-par.backup" for o in emulator.objects())


def test_failed_backup_has_work_request_errors(call, info, emulator):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    out = ok(call("backup-key", mgmt, HR_MASTER,
                  "%s/no-such-bucket/x.backup" % info["namespace"]))
    wr, _ = wait_work_request(call, out["workRequestId"])
    assert wr["status"] == "FAILED"
    errs = ok(call("list-wr-errors", out["workRequestId"]))
    assert errs["count"] >= 1 and errs["items"][0]["code"]
    assert not any(o["name"] == "x.backup" for o in emulator.objects())


def test_list_work_requests_of_a_key(call, info):
    """How a mount learns the outcome of a backup it did not start."""
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    out = ok(call("backup-key", mgmt, HR_MASTER,
                  "%s/backups/listed.backup" % info["namespace"]))
    wait_work_request(call, out["workRequestId"])
    got = ok(call("list-work-requests", PRODUCTION, HR_MASTER))
    assert [w["id"] for w in got["items"]] == [out["workRequestId"]], got
    assert got["items"][0]["status"] == "SUCCEEDED"
    assert got["items"][0]["operationType"] == "BACKUP_KEY"
    assert ok(call("list-work-requests", PRODUCTION,
                   PAYMENTS_MASTER))["count"] == 0
    fails(call("list-work-requests", "not-an-ocid", ""), "EINVAL")


def test_backup_refusals_map_to_errno(call, info):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    ns = info["namespace"]
    e = fails(call("backup-key", mgmt, LEGACY_KEY, "%s/backups/l" % ns),
              "EBUSY", 409)
    assert e["code"] == "IncorrectState"
    # A 409 on a POST action reflects a state that lasts: not retried.
    assert e["attempts"] == 1
    fails(call("backup-key", mgmt, SOFT_KEY, "%s/backups/s" % ns),
          "EINVAL", 400)
    fails(call("backup-key", mgmt, PAYMENTS_MASTER, "%s/backups/e" % ns,
               opts=["--if-match", "not-the-etag"]), "ESTALE", 412)


def test_retry_token_idempotent(call, info, emulator):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    ns = info["namespace"]
    a = ok(call("backup-key", mgmt, PAYMENTS_MASTER, "%s/backups/t1" % ns,
                opts=["--token", "TOKENABC123"]))
    b = ok(call("backup-key", mgmt, PAYMENTS_MASTER, "%s/backups/t1" % ns,
                opts=["--token", "TOKENABC123"]))
    assert a["workRequestId"] == b["workRequestId"]
    assert emulator.stats()["backups"]["started"] == 1


def test_post_retried_after_503_starts_one_backup(call, info, emulator):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    emulator.faults([{"op": "BackupKey", "kind": "503", "count": 1,
                      "when": "after"}])
    r = call("backup-key", mgmt, PAYMENTS_MASTER,
             "%s/backups/once.backup" % info["namespace"])
    out = ok(r)
    assert r.stats["retries"] == 1
    assert r.stats["calls"]["BackupKey"] == [1, 2, 0]
    stats = emulator.stats()
    assert stats["backups"]["started"] == 1
    assert stats["requests"]["BackupKey"] == 2
    wr, _ = wait_work_request(call, out["workRequestId"])
    assert wr["status"] == "SUCCEEDED"
    assert sum(o["name"] == "once.backup" for o in emulator.objects()) == 1


def test_backup_vault(call, info):
    pv = vault(info, "prod-vault")
    out = ok(call("backup-vault", pv["id"],
                  "%s/backups/vault.backup" % info["namespace"],
                  "--include-keys"))
    assert out["vault"]["id"] == pv["id"]
    assert out["workRequestId"]
    wr, _ = wait_work_request(call, out["workRequestId"])
    assert wr["status"] == "SUCCEEDED"


def _backup_bytes(call, info, emulator, key, name):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    out = ok(call("backup-key", mgmt, key,
                  "%s/backups/%s" % (info["namespace"], name)))
    wait_work_request(call, out["workRequestId"])
    c = emulator.client()
    r = c.get("%s/n/%s/b/backups/o/%s" % (emulator.endpoint,
                                          info["namespace"], name))
    c.close()
    assert r.status == 200
    return r.body


def test_restore_key_from_object_store_and_file(call, info, emulator,
                                                tmp_path):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    data = _backup_bytes(call, info, emulator, HR_MASTER, "hr.backup")
    # The key exists: a restore conflicts.
    fails(call("restore-key-os", mgmt,
               "%s/backups/hr.backup" % info["namespace"]), "EEXIST", 409)
    emulator.admin("DELETE", "/_emulator/keys/" + HR_MASTER)
    out = ok(call("restore-key-os", mgmt,
                  "%s/backups/hr.backup" % info["namespace"]))
    assert out["key"]["id"] == HR_MASTER
    assert out["key"]["lifecycleState"] == "RESTORING"
    wait_work_request(call, out["workRequestId"])
    # hr-master was DISABLED when backed up: a restore keeps that state.
    assert ok(call("get-key", mgmt, HR_MASTER))["key"]["lifecycleState"] \
        == "DISABLED"

    # From a file: content-md5 is sent and echoed back.
    emulator.admin("DELETE", "/_emulator/keys/" + HR_MASTER)
    f = tmp_path / "hr.backup"
    f.write_bytes(data)
    out = ok(call("restore-key-file", mgmt, str(f)))
    assert out["contentMd5"] == \
        base64.b64encode(hashlib.md5(data).digest()).decode()
    assert out["key"]["id"] == HR_MASTER
    # Corrupt input is refused.
    emulator.admin("DELETE", "/_emulator/keys/" + HR_MASTER)
    bad = tmp_path / "bad.backup"
    bad.write_bytes(data[:40] + bytes([data[40] ^ 0xff]) + data[41:])
    fails(call("restore-key-file", mgmt, str(bad)), "EINVAL", 400)


# -- Authentication -----------------------------------------------------------

def test_session_token_profile(call, info):
    out = ok(call("get-tenancy", profile="SESSION"))
    assert out["id"] == info["tenancyId"]


def test_noaccess_user_sees_nothing(call, info):
    fails(call("list-vaults", PRODUCTION, profile="NOACCESS"), "ENOENT", 404)


def test_wrong_key_is_401(call, emulator, tmp_path):
    cfg = open(emulator.config).read().replace(
        "fingerprint=", "fingerprint=00:11:22:33:44:55:66:77:88:99:aa:bb:"
        "cc:dd:ee:ff\n#", 1)
    p = tmp_path / "config"
    p.write_text(cfg)
    from conftest import Caller
    c = Caller(emulator)
    c.emu = type("E", (), {"config": str(p), "endpoint": emulator.endpoint,
                           "ca": emulator.ca})()
    e = fails(c("get-tenancy"), "EACCES", 401)
    assert e["code"] == "NotAuthenticated"
    assert e["attempts"] == 1


def test_tls_without_the_ca_fails(call):
    e = fails(call("get-tenancy", cacert=False), "EIO")
    assert e["net"] == "TLS failure"
    assert e["attempts"] == 1  # TLS failures are not retried


# -- Retries through faults ---------------------------------------------------

@pytest.mark.parametrize("kind", ["503", "500", "429", "reset", "truncate"])
def test_get_retried_through_fault(call, info, emulator, kind):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    emulator.faults([{"op": "GetKey", "kind": kind, "count": 2}])
    r = call("get-key", mgmt, PAYMENTS_MASTER)
    assert ok(r)["key"]["id"] == PAYMENTS_MASTER
    assert r.stats["retries"] == 2
    assert r.stats["calls"]["GetKey"] == [1, 3, 0]
    assert emulator.stats()["faults_injected"] == 2


def test_retries_give_up_after_max_attempts(call, info, emulator):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    emulator.faults([{"op": "GetKey", "kind": "503", "count": 10}])
    r = call("get-key", mgmt, PAYMENTS_MASTER, opts=["--attempts", "3"])
    e = fails(r, "EIO", 503)
    assert e["attempts"] == 3
    assert r.stats["calls"]["GetKey"] == [1, 3, 1]


def test_throttled_to_eagain_after_retries(call, info, emulator):
    emulator.faults([{"op": "GetNamespace", "kind": "429", "count": 10}])
    r = call("get-namespace", opts=["--attempts", "2"])
    fails(r, "EAGAIN", 429)
    assert r.stats["throttled"] == 2


def test_delay_fault_hits_the_timeout(call, emulator):
    emulator.faults([{"op": "GetTenancy", "kind": "delay:3", "count": 1}])
    r = call("get-tenancy", opts=["--timeout-ms", "1000", "--attempts", "1"])
    e = fails(r, "ETIMEDOUT")
    assert e["net"] == "timeout"
    assert r.elapsed < 3


def test_connection_refused(call, emulator):
    from conftest import Caller
    c = Caller(emulator)
    c.emu = type("E", (), {"config": emulator.config, "ca": emulator.ca,
                           "endpoint": "https://127.0.0.1:1"})()
    e = fails(c("get-tenancy", opts=["--attempts", "2"]), "ECONNREFUSED")
    assert e["attempts"] == 2


def test_response_cap(call, info):
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    e = fails(call("list-keys", mgmt, PRODUCTION,
                   opts=["--max-response", "200"]), "EMSGSIZE")
    assert e["net"] == "response too large"


# -- Connection reuse and rate limiting -------------------------------------

def test_keep_alive_reuses_one_connection(call, emulator):
    emulator.reset_stats()
    r = call("get-tenancy", opts=["--repeat", "20"])
    assert r.rc == 0, r
    assert r.stats["connections"] == 1
    assert emulator.stats()["connections"] == 1


def test_client_paces_under_the_service_limit(call, info, emulator):
    """At the service's 10 req/s the default client limiter never causes a
    429, and 40 reads take at least (40 - burst) / 10 seconds."""
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    emulator.set_config(rateLimit=10)
    time.sleep(1.0)  # let the service bucket refill
    emulator.reset_stats()
    r = call("get-key", mgmt, PAYMENTS_MASTER,
             opts=["--repeat", "40", "--threads", "4"])
    assert r.rc == 0, r
    assert r.stats["throttled"] == 0
    assert emulator.stats()["throttled"] == 0
    assert r.elapsed >= (40 - 5) / 10.0 - 0.2


def test_unpaced_client_gets_429_and_recovers(call, info, emulator):
    """Without the client limiter the service throttles; retries and the
    429 feedback still get every call through."""
    mgmt = vault(info, "prod-vault")["managementEndpoint"]
    emulator.set_config(rateLimit=10)
    time.sleep(1.0)
    emulator.reset_stats()
    r = call("get-key", mgmt, PAYMENTS_MASTER, fast=False,
             opts=["--repeat", "40", "--threads", "4", "--rate", "0",
                   "--base-ms", "250", "--cap-ms", "2000",
                   "--jitter-ms", "500"])
    assert r.rc == 0, r
    assert emulator.stats()["throttled"] > 0
    assert r.stats["throttled"] == emulator.stats()["throttled"]
