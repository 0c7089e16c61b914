# SPDX-License-Identifier: MIT
"""BackupKey/BackupVault, work requests, retry tokens and restores."""

import base64
import hashlib
import time

import pytest

from conftest import bucket_location, par_location, wait_for


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def backup(client, sample, key_name, body, vault="prod-vault", **kw):
    kid = sample.key(vault, key_name)
    return client.post(sample.mgmt(vault) + "/20180608/keys/%s/actions/backup"
                       % kid, json=body, **kw)


def wr_of(emulator, wid):
    for w in emulator.workrequests():
        if w["id"] == wid:
            return w
    raise KeyError(wid)


def wait_wr(emulator, wid, timeout=15):
    return wait_for(lambda: (lambda w: w if w["status"] in
                             ("SUCCEEDED", "FAILED") else None)(
        wr_of(emulator, wid)), timeout)


def get_key(client, sample, key_name, vault="prod-vault"):
    return client.get(sample.mgmt(vault) + "/20180608/keys/" +
                      sample.key(vault, key_name)).json()


def test_backup_lifecycle(emulator, client, sample):
    emulator.set_config(backupSeconds=1.5)
    r = backup(client, sample, "payments-master",
               bucket_location(sample.namespace, "pm.backup"))
    assert r.status == 200, r
    key = r.json()
    assert key["lifecycleState"] == "BACKUP_IN_PROGRESS"
    assert r.headers["etag"] and r.headers["opc-request-id"]
    wid = r.headers["opc-work-request-id"]
    assert wid.startswith("ocid1.kmsworkrequest.oc1.iad.")
    url = emulator.endpoint + "/20160918/workRequests/" + wid
    seen = []
    while True:
        w = client.get(url)
        assert w.status == 200, w
        w = w.json()
        seen.append((w["status"], w["percentComplete"]))
        if w["status"] in ("SUCCEEDED", "FAILED"):
            break
        # meanwhile the key shows the backup
        assert get_key(client, sample, "payments-master")[
            "lifecycleState"] == "BACKUP_IN_PROGRESS"
        time.sleep(0.05)
    states = [s for s, _ in seen]
    assert states[0] == "ACCEPTED" and states[-1] == "SUCCEEDED"
    assert "IN_PROGRESS" in states
    assert states.index("IN_PROGRESS") > states.index("ACCEPTED")
    pcts = [p for s, p in seen if s == "IN_PROGRESS"]
    assert pcts == sorted(pcts) and pcts[-1] > pcts[0]
    assert seen[-1][1] == 100.0
    assert w["operationType"] == "BACKUP_KEY"
    assert w["compartmentId"] == sample.compartments["Production"]
    assert w["timeAccepted"] <= w["timeStarted"] <= w["timeFinished"]
    res = w["resources"]
    assert res == [{"entityType": "key", "actionType": "RELATED",
                    "identifier": key["id"],
                    "entityUri": "/20180608/keys/" + key["id"]}]
    # the object, its MD5, and the key back to its previous state
    objs = [o for o in emulator.objects() if o["name"] == "pm.backup"]
    assert len(objs) == 1 and objs[0]["key_id"] == key["id"]
    obj_url = emulator.endpoint + "/n/%s/b/backups/o/pm.backup" % \
        sample.namespace
    data = client.get(obj_url)
    assert data.status == 200 and len(data.body) == objs[0]["size"]
    assert md5_b64(data.body) == objs[0]["md5"] == \
        data.headers["content-md5"]
    h = client.head(obj_url)
    assert h.status == 200 and h.headers["content-md5"] == objs[0]["md5"]
    assert int(h.headers["content-length"]) == objs[0]["size"]
    assert h.headers["etag"] and h.headers["last-modified"]
    assert data.body.startswith(b"OCIEMU-KMS-BACKUP/2\ntenancy:" +
                                sample.tenancy.encode() + b"\n")
    assert get_key(client, sample, "payments-master")[
        "lifecycleState"] == "ENABLED"
    st = emulator.stats()["backups"]
    assert st["started"] == 1 and st["succeeded"] == 1 and st["failed"] == 0
    assert st["per_key"] == {key["id"]: 1}
    logs = client.get(url + "/logs").json()
    assert any("Wrote backup object" in e["message"] for e in logs)
    assert client.get(url + "/errors").json() == []


def test_disabled_key_returns_to_disabled_without_polling(emulator, client,
                                                          sample):
    emulator.set_config(backupSeconds=0.3)
    r = backup(client, sample, "hr-master",
               bucket_location(sample.namespace, "hr.backup"))
    assert r.status == 200 and r.json()["lifecycleState"] == \
        "BACKUP_IN_PROGRESS"
    # nobody polls: the background ticker finishes the work request
    wait_for(lambda: any(o["name"] == "hr.backup"
                         for o in emulator.objects()), 5)
    assert get_key(client, sample, "hr-master")["lifecycleState"] == \
        "DISABLED"


@pytest.mark.parametrize("body,code", [
    ({}, "MissingParameter"),
    ({"backupLocation": {}}, "MissingParameter"),
    ({"backupLocation": {"destination": "BUCKET", "namespace": "ns",
                         "bucketName": "b"}}, "MissingParameter"),
    ({"backupLocation": {"destination": "BUCKET", "namespace": "ns",
                         "bucketName": 3, "objectName": "o"}},
     "InvalidParameter"),
    ({"backupLocation": {"destination": "BUCKET", "namespace": "ns",
                         "bucketName": "a b", "objectName": "o"}},
     "InvalidParameter"),
    ({"backupLocation": {"destination": "FTP", "uri": "x"}},
     "InvalidParameter"),
    ({"backupLocation": "BUCKET"}, "InvalidParameter"),
    ({"backupLocation": {"destination": "PRE_AUTHENTICATED_REQUEST_URI"}},
     "MissingParameter"),
    ({"backupLocation": {"destination": "PRE_AUTHENTICATED_REQUEST_URI",
                         "uri": "http://h/p/t/n/ns/b/b/o/o"}},
     "InvalidParameter"),
    ({"backupLocation": {"destination": "PRE_AUTHENTICATED_REQUEST_URI",
                         "uri": "https://h/n/ns/b/b/o/o"}},
     "InvalidParameter"),
])
def test_backup_location_validation(emulator, client, sample, body, code):
    r = backup(client, sample, "payments-master", body)
    assert r.status == 400 and r.json()["code"] == code, r
    assert emulator.stats()["backups"]["started"] == 0


def test_malformed_json(emulator, client, sample):
    kid = sample.key("prod-vault", "payments-master")
    r = client.post(sample.mgmt("prod-vault") +
                    "/20180608/keys/%s/actions/backup" % kid,
                    body=b'{"backupLocation": ')
    assert r.status == 400 and r.json()["code"] == "CannotParseRequest"


@pytest.mark.parametrize("vault,key,status,code", [
    ("prod-vault", "soft-key", 400, "InvalidParameter"),
    ("prod-default", "default-hsm", 400, "InvalidParameter"),
    ("dev-vault", "test-key", 400, "InvalidParameter"),
    ("prod-vault", "legacy-key", 409, "IncorrectState"),
])
def test_backup_eligibility(emulator, client, sample, vault, key, status,
                            code):
    if vault == "dev-vault":  # the DEFAULT one of the two
        assert sample.vaults["dev-vault"]["vaultType"] == "DEFAULT"
    r = backup(client, sample, key, bucket_location(sample.namespace, "x"),
               vault=vault)
    assert r.status == status and r.json()["code"] == code, r
    if code == "InvalidParameter":
        assert "HSM" in r.json()["message"]
    assert "opc-work-request-id" not in r.headers


def test_backup_while_in_progress_is_incorrect_state(emulator, client,
                                                     sample):
    emulator.set_config(backupSeconds=5)
    loc = bucket_location(sample.namespace, "a")
    assert backup(client, sample, "payments-master", loc).status == 200
    r = backup(client, sample, "payments-master", loc)
    assert r.status == 409 and r.json()["code"] == "IncorrectState"


def test_if_match(emulator, client, sample):
    etag = client.get(sample.mgmt("prod-vault") + "/20180608/keys/" +
                      sample.key("prod-vault", "payments-master")
                      ).headers["etag"]
    loc = bucket_location(sample.namespace, "im")
    r = backup(client, sample, "payments-master", loc,
               headers={"if-match": "0" * 32})
    assert r.status == 412 and r.json()["code"] == "NoEtagMatch"
    r = backup(client, sample, "payments-master", loc,
               headers={"if-match": etag})
    assert r.status == 200


def test_retry_token_idempotency(emulator, client, sample):
    emulator.set_config(backupSeconds=0.5)
    emulator.faults([{"op": "BackupKey", "kind": "503", "count": 1,
                      "when": "after"}])
    loc = bucket_location(sample.namespace, "retry.backup")
    h = {"opc-retry-token": "token-0001"}
    r1 = backup(client, sample, "payments-master", loc, headers=h)
    assert r1.status == 503 and r1.json()["code"] == "ServiceUnavailable"
    # ...but the backup did start
    assert emulator.stats()["backups"]["started"] == 1
    r2 = backup(client, sample, "payments-master", loc, headers=h)
    assert r2.status == 200, r2
    r3 = backup(client, sample, "payments-master", loc, headers=h)
    assert r3.status == 200
    assert r2.headers["opc-work-request-id"] == \
        r3.headers["opc-work-request-id"]
    assert r2.body == r3.body
    assert r2.headers["opc-request-id"] != r3.headers["opc-request-id"]
    wait_wr(emulator, r2.headers["opc-work-request-id"])
    st = emulator.stats()["backups"]
    assert st["started"] == 1 and st["succeeded"] == 1
    assert len([o for o in emulator.objects()
                if o["name"] == "retry.backup"]) == 1
    assert len(emulator.workrequests()) == 1
    # the same token with another request
    r4 = backup(client, sample, "payments-master",
                bucket_location(sample.namespace, "other"), headers=h)
    assert r4.status == 409 and r4.json()["code"] == "InvalidatedRetryToken"
    # the same token after the key finished: still the first response
    r5 = backup(client, sample, "payments-master", loc, headers=h)
    assert r5.status == 200 and r5.headers["opc-work-request-id"] == \
        r2.headers["opc-work-request-id"]
    # a new token starts a new backup
    r6 = backup(client, sample, "payments-master", loc,
                headers={"opc-retry-token": "token-0002"})
    assert r6.status == 200
    assert r6.headers["opc-work-request-id"] != \
        r2.headers["opc-work-request-id"]


def _failed(emulator, client, r, obj_name, code):
    assert r.status == 200, r
    w = wait_wr(emulator, r.headers["opc-work-request-id"])
    assert w["status"] == "FAILED"
    assert [e["code"] for e in w["errors"]] == [code]
    assert w["errors"][0]["message"] and w["errors"][0]["timestamp"]
    errs = client.get(emulator.endpoint + "/20160918/workRequests/%s/errors"
                      % w["id"]).json()
    assert [e["code"] for e in errs] == [code]
    assert not [o for o in emulator.objects() if o["name"] == obj_name]
    assert emulator.stats()["backups"]["failed"] >= 1


def test_backup_to_missing_bucket_fails(emulator, client, sample):
    emulator.set_config(backupSeconds=0.3)
    r = backup(client, sample, "payments-master",
               bucket_location(sample.namespace, "m", bucket="nobucket"))
    _failed(emulator, client, r, "m", "BucketNotFound")
    assert get_key(client, sample, "payments-master")["lifecycleState"] == \
        "ENABLED"


def test_backup_to_inaccessible_bucket_and_wrong_namespace(emulator, client,
                                                           sample):
    emulator.set_config(backupSeconds=0.3)
    r = backup(client, sample, "payments-master",
               bucket_location(sample.namespace, "r",
                               bucket="restricted-backups"))
    _failed(emulator, client, r, "r", "BucketNotFound")
    r = backup(client, sample, "card-data",
               bucket_location("othernamespace", "n"),
               vault="payments-vault")
    _failed(emulator, client, r, "n", "NamespaceNotFound")


def test_backup_bucket_deleted_meanwhile(emulator, client, sample):
    emulator.set_config(backupSeconds=1)
    emulator.admin("POST", "/_emulator/buckets", {"name": "tmpb"})
    r = backup(client, sample, "payments-master",
               bucket_location(sample.namespace, "t", bucket="tmpb"))
    emulator.admin("DELETE", "/_emulator/buckets/tmpb")
    _failed(emulator, client, r, "t", "BucketNotFound")


def test_backup_through_object_par(emulator, client, sample):
    emulator.set_config(backupSeconds=0.3)
    par = emulator.create_par("backups", "via-par.backup", "ObjectWrite")
    assert par["fullUrl"] == emulator.endpoint + par["accessUri"]
    r = backup(client, sample, "payments-master",
               par_location(par["fullUrl"]))
    w = wait_wr(emulator, r.headers["opc-work-request-id"])
    assert w["status"] == "SUCCEEDED", w
    assert [o["name"] for o in emulator.objects()] == ["via-par.backup"]


def test_backup_through_bucket_par(emulator, client, sample):
    emulator.set_config(backupSeconds=0.3)
    par = emulator.create_par("backups", None, "AnyObjectWrite")
    assert par["accessUri"].endswith("/o/")
    r = backup(client, sample, "payments-master",
               par_location(par["fullUrl"] + "named%20by%20me.backup"))
    assert wait_wr(emulator, r.headers["opc-work-request-id"])[
        "status"] == "SUCCEEDED"
    # a bucket PAR without object name: the service picks one
    r = backup(client, sample, "card-data", par_location(par["fullUrl"]),
               vault="payments-vault")
    assert wait_wr(emulator, r.headers["opc-work-request-id"])[
        "status"] == "SUCCEEDED"
    names = sorted(o["name"] for o in emulator.objects())
    assert len(names) == 2 and "named by me.backup" in names
    picked = [n for n in names if n != "named by me.backup"][0]
    assert picked.startswith(sample.key("payments-vault", "card-data"))
    assert picked.endswith(".backup")


def test_backup_par_failures(emulator, client, sample):
    emulator.set_config(backupSeconds=0.6)
    expiring = emulator.create_par("backups", "e.backup", "ObjectWrite",
                                   expires_in=0.3)
    ro = emulator.create_par("backups", "ro.backup", "ObjectRead")
    wrong_obj = emulator.create_par("backups", "other.backup", "ObjectWrite")
    r1 = backup(client, sample, "payments-master",
                par_location(expiring["fullUrl"]))
    r2 = backup(client, sample, "hr-master", par_location(ro["fullUrl"]))
    r3 = backup(client, sample, "Équipe données",
                par_location(wrong_obj["fullUrl"].replace(
                    "other.backup", "mine.backup")))
    bogus = emulator.endpoint + "/p/notatoken/n/%s/b/backups/o/u.backup" % \
        sample.namespace
    r4 = backup(client, sample, "ops/keys", par_location(bogus))
    _failed(emulator, client, r1, "e.backup", "NotFound")
    _failed(emulator, client, r2, "ro.backup", "NotAllowed")
    _failed(emulator, client, r3, "mine.backup", "NotFound")
    _failed(emulator, client, r4, "u.backup", "NotFound")
    assert emulator.objects() == []
    assert emulator.stats()["backups"]["failed"] == 4


def test_list_work_requests(emulator, client, sample):
    emulator.set_config(backupSeconds=0.2)
    prod = sample.compartments["Production"]
    ids = []
    for name in ("payments-master", "hr-master", "shared"):
        r = backup(client, sample, name,
                   bucket_location(sample.namespace, name + ".b"))
        ids.append(r.headers["opc-work-request-id"])
    ep = emulator.endpoint + "/20160918/workRequests"
    r = client.get(ep, params={"compartmentId": prod})
    assert r.status == 200
    assert sorted(w["id"] for w in r.json()) == sorted(ids)
    assert all("resources" not in w for w in r.json())
    one = client.get(ep, params={"compartmentId": prod, "resourceId":
                                 sample.key("prod-vault", "hr-master")})
    assert [w["id"] for w in one.json()] == [ids[1]]
    p1 = client.get(ep, params={"compartmentId": prod, "limit": 2})
    p2 = client.get(ep, params={"compartmentId": prod, "limit": 2,
                                "page": p1.headers["opc-next-page"]})
    assert len(p1.json()) == 2 and len(p2.json()) == 1
    assert client.get(ep).json()["code"] == "MissingParameter"
    assert client.get(ep + "/ocid1.kmsworkrequest.oc1.iad.x.y").status == 404


def test_work_requests_disabled(emulator, client, sample):
    emulator.set_config(backupSeconds=0.5, workRequests=False)
    r = backup(client, sample, "payments-master",
               bucket_location(sample.namespace, "nowr"))
    assert r.status == 200
    wid = r.headers["opc-work-request-id"]
    w = client.get(emulator.endpoint + "/20160918/workRequests/" + wid)
    assert w.status == 404 and w.json()["code"] == "NotAuthorizedOrNotFound"
    assert client.get(emulator.endpoint + "/20160918/workRequests/%s/errors"
                      % wid).status == 404
    lst = client.get(emulator.endpoint + "/20160918/workRequests",
                     params={"compartmentId":
                             sample.compartments["Production"]})
    assert lst.status == 200 and lst.json() == []
    # the fallback: poll the key's lifecycle state
    wait_for(lambda: get_key(client, sample, "payments-master")[
        "lifecycleState"] == "ENABLED", 5)
    assert [o["name"] for o in emulator.objects()] == ["nowr"]
    emulator.set_config(workRequests=True)
    assert client.get(emulator.endpoint + "/20160918/workRequests/" +
                      wid).json()["status"] == "SUCCEEDED"


# -- restores ---------------------------------------------------------------

def _backup_done(emulator, client, sample, key, obj, vault="prod-vault"):
    emulator.set_config(backupSeconds=0.2)
    r = backup(client, sample, key, bucket_location(sample.namespace, obj),
               vault=vault)
    assert r.status == 200, r
    assert wait_wr(emulator, r.headers["opc-work-request-id"])[
        "status"] == "SUCCEEDED"
    return r.json()


def test_restore_from_object_store(emulator, client, sample):
    before = _backup_done(emulator, client, sample, "payments-master", "r1")
    mg = sample.mgmt("prod-vault")
    kid = before["id"]
    versions = client.get(mg + "/20180608/keys/%s/keyVersions" % kid).json()
    url = mg + "/20180608/keys/actions/restoreFromObjectStore"
    body = bucket_location(sample.namespace, "r1")
    # the key exists: conflict
    r = client.post(url, json=body)
    assert r.status == 409 and r.json()["code"] == "Conflict"
    emulator.admin("DELETE", "/_emulator/keys/" + kid)
    assert client.get(mg + "/20180608/keys/" + kid).status == 404
    r = client.post(url, json=body)
    assert r.status == 200, r
    k = r.json()
    assert k["id"] == kid and k["lifecycleState"] == "RESTORING"
    assert k["restoredFromKeyId"] == kid
    w = wait_wr(emulator, r.headers["opc-work-request-id"])
    assert w["status"] == "SUCCEEDED" and w["operationType"] == "RESTORE_KEY"
    k = client.get(mg + "/20180608/keys/" + kid).json()
    assert k["lifecycleState"] == "ENABLED"
    assert k["currentKeyVersion"] == before["currentKeyVersion"]
    again = client.get(mg + "/20180608/keys/%s/keyVersions" % kid).json()
    assert [v["id"] for v in again] == [v["id"] for v in versions]


def test_restore_deleted_key_through_par(emulator, client, sample):
    _backup_done(emulator, client, sample, "hr-master", "r2")
    kid = sample.key("prod-vault", "hr-master")
    emulator.admin("POST", "/_emulator/keys/" + kid,
                   {"lifecycleState": "DELETED"})
    par = emulator.create_par("backups", "r2", "ObjectRead")
    r = client.post(sample.mgmt("prod-vault") +
                    "/20180608/keys/actions/restoreFromObjectStore",
                    json=par_location(par["fullUrl"]))
    assert r.status == 200 and r.json()["lifecycleState"] == "RESTORING"
    wait_wr(emulator, r.headers["opc-work-request-id"])
    # a restored key ends in the state it was saved in (DISABLED here)
    assert get_key(client, sample, "hr-master")["lifecycleState"] == \
        "DISABLED"


def test_restore_refusals(emulator, client, sample):
    _backup_done(emulator, client, sample, "payments-master", "r3")
    mg = sample.mgmt("prod-vault")
    ns = sample.namespace
    url = "/20180608/keys/actions/restoreFromObjectStore"
    # corrupt input
    raw = client.get(emulator.endpoint + "/n/%s/b/backups/o/r3" % ns).body
    bad = raw[:-5] + bytes(b ^ 1 for b in raw[-5:])
    client.put(emulator.endpoint + "/n/%s/b/backups/o/bad" % ns, body=bad,
               body_exempt=True)
    client.put(emulator.endpoint + "/n/%s/b/backups/o/junk" % ns,
               body=b"hello", body_exempt=True)
    for name in ("bad", "junk"):
        r = client.post(mg + url, json=bucket_location(ns, name))
        assert r.status == 400 and r.json()["code"] == "InvalidParameter", r
    # missing object / bucket
    r = client.post(mg + url, json=bucket_location(ns, "absent"))
    assert r.status == 404 and r.json()["code"] == "ObjectNotFound"
    r = client.post(mg + url, json=bucket_location(ns, "r3", bucket="nob"))
    assert r.status == 404 and r.json()["code"] == "BucketNotFound"
    # another vault's endpoint
    emulator.admin("DELETE", "/_emulator/keys/" +
                   sample.key("prod-vault", "payments-master"))
    r = client.post(sample.mgmt("payments-vault") + url,
                    json=bucket_location(ns, "r3"))
    assert r.status == 400 and r.json()["code"] == "InvalidParameter"
    assert "vault" in r.json()["message"]
    r = client.post(mg + url, json={})
    assert r.status == 400 and r.json()["code"] == "MissingParameter"


def test_restore_from_file(emulator, client, sample):
    _backup_done(emulator, client, sample, "card-data", "f1",
                 vault="payments-vault")
    ns = sample.namespace
    raw = client.get(emulator.endpoint + "/n/%s/b/backups/o/f1" % ns).body
    mg = sample.mgmt("payments-vault")
    url = mg + "/20180608/keys/actions/restoreFromFile"
    ct = {"content-type": "application/octet-stream"}
    r = client.post(url, body=raw, headers=dict(ct, **{
        "content-md5": md5_b64(raw)}))
    assert r.status == 409 and r.json()["code"] == "Conflict"
    kid = sample.key("payments-vault", "card-data")
    emulator.admin("DELETE", "/_emulator/keys/" + kid)
    wrong = md5_b64(b"x")
    r = client.post(url, body=raw, headers=dict(ct, **{"content-md5": wrong}))
    assert r.status == 400 and r.json()["code"] == "InvalidParameter"
    assert r.json()["message"] == (
        "The computed MD5 of the request body (%s) does not match the "
        "Content-MD5 header (%s)." % (md5_b64(raw), wrong))
    r = client.post(url, body=b"garbage", headers=ct)
    assert r.status == 400 and r.json()["code"] == "InvalidParameter"
    r = client.post(url, body=raw, headers=dict(ct, **{
        "content-md5": md5_b64(raw)}))
    assert r.status == 200, r
    assert r.headers["opc-content-md5"] == md5_b64(raw)
    assert r.json()["id"] == kid
    wait_wr(emulator, r.headers["opc-work-request-id"])
    assert get_key(client, sample, "card-data", "payments-vault")[
        "lifecycleState"] == "ENABLED"


def test_vault_backup_and_restore(emulator, client, sample):
    emulator.set_config(backupSeconds=0.3)
    ep = emulator.endpoint + "/20180608/vaults/"
    pv = sample.vaults["prod-vault"]["id"]
    r = client.post(ep + pv + "/actions/backup",
                    json=dict(bucket_location(sample.namespace, "vault.bk"),
                              isIncludeKeys=True))
    assert r.status == 200 and r.json()["lifecycleState"] == \
        "BACKUP_IN_PROGRESS"
    w = wait_wr(emulator, r.headers["opc-work-request-id"])
    assert w["status"] == "SUCCEEDED" and w["operationType"] == "BACKUP_VAULT"
    assert client.get(ep + pv).json()["lifecycleState"] == "ACTIVE"
    dv = sample.vaults["prod-default"]["id"]
    r = client.post(ep + dv + "/actions/backup",
                    json=bucket_location(sample.namespace, "d.bk"))
    assert r.status == 400 and r.json()["code"] == "InvalidParameter"
    rurl = ep + "actions/restoreFromObjectStore"
    prod = sample.compartments["Production"]
    body = bucket_location(sample.namespace, "vault.bk")
    r = client.post(rurl, params={"compartmentId": prod}, json=body)
    assert r.status == 409 and r.json()["code"] == "Conflict"
    r = client.post(rurl, json=body)
    assert r.status == 400 and r.json()["code"] == "MissingParameter"
    # delete the vault and one of its keys, then restore
    kid = sample.key("prod-vault", "payments-master")
    emulator.admin("POST", "/_emulator/vaults/" + pv,
                   {"lifecycleState": "DELETED"})
    emulator.admin("DELETE", "/_emulator/keys/" + kid)
    r = client.post(rurl, params={"compartmentId": prod}, json=body)
    assert r.status == 200, r
    v = r.json()
    assert v["id"] == pv and v["lifecycleState"] == "RESTORING"
    assert v["managementEndpoint"] == sample.mgmt("prod-vault")
    wait_wr(emulator, r.headers["opc-work-request-id"])
    assert client.get(ep + pv).json()["lifecycleState"] == "ACTIVE"
    k = get_key(client, sample, "payments-master")
    assert k["lifecycleState"] == "ENABLED" and k["id"] == kid
    # a key backup is refused by the vault restore and vice versa
    _backup_done(emulator, client, sample, "shared", "k.bk")
    r = client.post(rurl, params={"compartmentId": prod},
                    json=bucket_location(sample.namespace, "k.bk"))
    assert r.status == 400 and r.json()["code"] == "InvalidParameter"
