# SPDX-License-Identifier: MIT
"""Issue 10: session token file, createdBy, key-version public keys, 401
before 405, and strict restores."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import bucket_location, wait_for


def test_session_token_has_no_newline(emulator):
    import configparser
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(emulator.config)
    with open(cp["SESSION"]["security_token_file"], "rb") as f:
        raw = f.read()
    assert raw == raw.strip() and raw.count(b".") == 2
    assert emulator.client("SESSION").get(
        emulator.endpoint + "/n").status == 200


def test_bucket_created_by(emulator, client, sample):
    r = client.get(emulator.endpoint + "/n/%s/b" % sample.namespace,
                   params={"compartmentId": sample.tenancy})
    assert r.status == 200
    for b in r.json():
        assert b["createdBy"].startswith("ocid1.user.oc1..")


def _version(client, sample, vault, key):
    kid = sample.key(vault, key)
    mg = sample.mgmt(vault)
    vid = client.get(mg + "/20180608/keys/" + kid).json()["currentKeyVersion"]
    r = client.get(mg + "/20180608/keys/%s/keyVersions/%s" % (kid, vid))
    assert r.status == 200, r
    return kid, r.json()


def test_public_keys(emulator, client, sample):
    _, v = _version(client, sample, "prod-vault", "app signing")
    pk = serialization.load_pem_public_key(v["publicKey"].encode())
    assert isinstance(pk, rsa.RSAPublicKey) and pk.key_size == 2048
    assert _version(client, sample, "prod-vault", "app signing")[1][
        "publicKey"] == v["publicKey"]
    _, v = _version(client, sample, "payments-vault", "signing-ec")
    pk = serialization.load_pem_public_key(v["publicKey"].encode())
    assert isinstance(pk, ec.EllipticCurvePublicKey)
    assert pk.curve.name == "secp256r1"
    _, v = _version(client, sample, "prod-vault", "payments-master")
    assert "publicKey" not in v


def test_public_key_survives_restore(emulator, client, sample):
    emulator.set_config(backupSeconds=0.2)
    kid, v = _version(client, sample, "prod-vault", "app signing")
    mg = sample.mgmt("prod-vault")
    r = client.post(mg + "/20180608/keys/%s/actions/backup" % kid,
                    json=bucket_location(sample.namespace, "rsa.bk"))
    assert r.status == 200, r
    wait_for(lambda: any(o["name"] == "rsa.bk" for o in emulator.objects()))
    emulator.delete_key(kid)
    r = client.post(mg + "/20180608/keys/actions/restoreFromObjectStore",
                    json=bucket_location(sample.namespace, "rsa.bk"))
    assert r.status == 200 and r.json()["lifecycleState"] == "RESTORING"
    assert _version(client, sample, "prod-vault", "app signing")[1][
        "publicKey"] == v["publicKey"]


def test_head_signed_as_get_is_401(emulator, client, sample):
    mg = sample.mgmt("prod-vault")
    kid = sample.key("prod-vault", "payments-master")
    path = "/20180608/keys/" + kid
    h = client.signer.sign("GET", path, mg[8:])
    r = client.head(mg + path, sign=False, headers=h)
    assert r.status == 401
    r = client.head(mg + path)  # correctly signed HEAD: no such method
    assert r.status == 405


def _refused(r, status=400, code="InvalidParameter"):
    assert r.status == status and r.json()["code"] == code, r


def test_restore_strictness(emulator, emulator_factory, client, sample):
    emulator.set_config(backupSeconds=0.2)
    ns = sample.namespace
    mg = sample.mgmt("prod-vault")
    kid = sample.key("prod-vault", "payments-master")
    r = client.post(mg + "/20180608/keys/%s/actions/backup" % kid,
                    json=bucket_location(ns, "pm.bk"))
    assert r.status == 200
    wait_for(lambda: any(o["name"] == "pm.bk" for o in emulator.objects()))
    raw = emulator.get_object("backups", "pm.bk")
    emulator.delete_key(kid)
    url = mg + "/20180608/keys/actions/restoreFromFile"
    ct = {"content-type": "application/octet-stream"}
    for bad in (raw[:-1], raw[:30], raw[:len(raw) // 2],
                raw[:-3] + bytes([raw[-3] ^ 1]) + raw[-2:],
                raw[:140] + bytes([raw[140] ^ 0x80]) + raw[141:],
                raw + b"x"):
        _refused(client.post(url, body=bad, headers=ct))
        emulator.put_object("backups", "bad.bk", bad)
        _refused(client.post(
            mg + "/20180608/keys/actions/restoreFromObjectStore",
            json=bucket_location(ns, "bad.bk")))
    # into a DEFAULT vault
    _refused(client.post(sample.mgmt("prod-default") +
                         "/20180608/keys/actions/restoreFromFile",
                         body=raw, headers=ct))
    # a backup of another tenancy
    other = emulator_factory(tenancy="synthetic:1,1,1", rate_limit=0,
                             backup_seconds=0.2)
    oc = other.client()
    ov = [v for v in other.info()["vaults"]
          if v["vaultType"] == "VIRTUAL_PRIVATE"][0]
    ks = oc.get(ov["managementEndpoint"] + "/20180608/keys",
                params={"compartmentId": ov["compartmentId"]}).json()
    okid = [k for k in ks if k["protectionMode"] == "HSM"][0]["id"]
    r = oc.post(ov["managementEndpoint"] +
                "/20180608/keys/%s/actions/backup" % okid,
                json=bucket_location(other.info()["namespace"], "o.bk"))
    assert r.status == 200, r
    wait_for(lambda: any(o["name"] == "o.bk" for o in other.objects()))
    foreign = other.get_object("backups", "o.bk")
    oc.close()
    r = client.post(url, body=foreign, headers=ct)
    _refused(r)
    assert "another tenancy" in r.json()["message"]
    # intact: accepted
    r = client.post(url, body=raw, headers=ct)
    assert r.status == 200, r


def test_delete_vault_and_restore_with_keys(emulator, client, sample):
    emulator.set_config(backupSeconds=0.2)
    ep = emulator.endpoint + "/20180608/vaults/"
    pv = sample.vaults["prod-vault"]["id"]
    r = client.post(ep + pv + "/actions/backup",
                    json=dict(bucket_location(sample.namespace, "v.bk"),
                              isIncludeKeys=True))
    assert r.status == 200
    wait_for(lambda: client.get(ep + pv).json()["lifecycleState"] ==
             "ACTIVE" and any(o["name"] == "v.bk"
                              for o in emulator.objects()))
    hr = sample.key("prod-vault", "hr-master")
    out = emulator.delete_vault(pv)
    assert hr in out["keys"]
    assert emulator.get_key(hr)["lifecycleState"] == "DELETED"
    assert client.get(ep + pv).json()["lifecycleState"] == "DELETED"
    r = client.post(ep + "actions/restoreFromObjectStore",
                    params={"compartmentId":
                            sample.compartments["Production"]},
                    json=bucket_location(sample.namespace, "v.bk"))
    assert r.status == 200 and r.json()["lifecycleState"] == "RESTORING"
    wait_for(lambda: client.get(ep + pv).json()["lifecycleState"] ==
             "ACTIVE")
    wait_for(lambda: emulator.get_key(hr)["lifecycleState"] == "DISABLED")
    r = client.post(ep + "actions/restoreFromObjectStore",
                    params={"compartmentId":
                            sample.compartments["Production"]},
                    json=bucket_location(sample.namespace, "v.bk"))
    _refused(r, 409, "Conflict")
