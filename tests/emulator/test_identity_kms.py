# SPDX-License-Identifier: MIT
"""Identity, KMS reads, paging, sorting, errors and throttling."""

import re
import time

import pytest

OCID_RE = {
    "tenancy": re.compile(r"^ocid1\.tenancy\.oc1\.\.aaaa[a-z0-9]+$"),
    "compartment": re.compile(r"^ocid1\.compartment\.oc1\.\.aaaa[a-z0-9]+$"),
    "vault": re.compile(r"^ocid1\.vault\.oc1\.iad\.[a-z0-9]+\.[a-z0-9]+$"),
    "key": re.compile(r"^ocid1\.key\.oc1\.iad\.[a-z0-9]+\.[a-z0-9]+$"),
    "keyversion": re.compile(
        r"^ocid1\.keyversion\.oc1\.iad\.[a-z0-9]+\.[a-z0-9]+$"),
}


def _err(r, status, code):
    assert r.status == status, r
    assert r.headers["content-type"] == "application/json"
    assert r.json()["code"] == code, r
    assert r.json()["message"]
    assert re.fullmatch(r"[0-9A-F]{32}", r.headers["opc-request-id"])


def test_get_tenancy(emulator, client, sample):
    r = client.get(emulator.endpoint + "/20160918/tenancies/" +
                   sample.tenancy)
    assert r.status == 200
    t = r.json()
    assert OCID_RE["tenancy"].match(t["id"])
    assert t["name"] == "acme-corp" and t["homeRegionKey"] == "IAD"
    _err(client.get(emulator.endpoint + "/20160918/tenancies/ocid1.tenancy."
                    "oc1..aaaaaaaanope"), 404, "NotAuthorizedOrNotFound")


def test_list_compartments_tree_and_filters(emulator, client, sample):
    ep = emulator.endpoint + "/20160918/compartments"
    top = client.get(ep, params={"compartmentId": sample.tenancy}).json()
    names = {c["name"] for c in top}
    assert names == {"Production", "Development", "Restricted", "Sandbox"}
    for c in top:
        assert OCID_RE["compartment"].match(c["id"])
        assert c["compartmentId"] == sample.tenancy
        assert set(c) >= {"id", "compartmentId", "name", "description",
                          "timeCreated", "lifecycleState"}
        assert "isAccessible" not in c
    # default order: timeCreated descending
    times = [c["timeCreated"] for c in top]
    assert times == sorted(times, reverse=True)
    sub = client.get(ep, params={"compartmentId": sample.tenancy,
                                 "compartmentIdInSubtree": "true"}).json()
    assert {c["name"] for c in sub} == names | {"Payments", "HR"}
    acc = client.get(ep, params={"compartmentId": sample.tenancy,
                                 "compartmentIdInSubtree": "true",
                                 "accessLevel": "ACCESSIBLE"}).json()
    assert "Restricted" not in {c["name"] for c in acc}
    assert all(c["isAccessible"] is True for c in acc)
    deleted = client.get(ep, params={"compartmentId": sample.tenancy,
                                     "lifecycleState": "deleted"}).json()
    assert [c["name"] for c in deleted] == ["Sandbox"]
    by_name = client.get(ep, params={"compartmentId": sample.tenancy,
                                     "sortBy": "NAME"}).json()
    assert [c["name"] for c in by_name] == sorted(names)
    one = client.get(ep, params={"compartmentId": sample.tenancy,
                                 "name": "Production"}).json()
    assert [c["name"] for c in one] == ["Production"]
    kids = client.get(ep, params={
        "compartmentId": sample.compartments["Production"]}).json()
    assert {c["name"] for c in kids} == {"Payments", "HR"}


def test_list_compartments_errors(emulator, client, sample):
    ep = emulator.endpoint + "/20160918/compartments"
    _err(client.get(ep), 400, "MissingParameter")
    _err(client.get(ep, params={"compartmentId": sample.compartments[
        "Production"], "compartmentIdInSubtree": "true"}),
        400, "InvalidParameter")
    _err(client.get(ep, params={"compartmentId": sample.tenancy,
                                "accessLevel": "SOME"}),
         400, "InvalidParameter")
    _err(client.get(ep, params={"compartmentId": sample.tenancy,
                                "lifecycleState": "GONE"}),
         400, "InvalidParameter")
    _err(client.get(ep, params={"compartmentId": sample.compartments[
        "Restricted"]}), 404, "NotAuthorizedOrNotFound")


def test_paging_tokens_and_limits(emulator, client, sample):
    ep = emulator.endpoint + "/20160918/compartments"
    base = {"compartmentId": sample.tenancy, "compartmentIdInSubtree": "true"}
    full = client.get(ep, params=base).json()
    got, page, pages = [], None, 0
    while True:
        p = dict(base, limit=2)
        if page:
            p["page"] = page
        r = client.get(ep, params=p)
        assert r.status == 200
        assert len(r.json()) <= 2
        got += r.json()
        pages += 1
        page = r.headers.get("opc-next-page")
        if not page:
            break
    assert pages == 3 and [c["id"] for c in got] == [c["id"] for c in full]
    _err(client.get(ep, params=dict(base, page="bm90YXRva2Vu")), 400,
         "InvalidParameter")
    _err(client.get(ep, params=dict(base, page="!!")), 400,
         "InvalidParameter")
    _err(client.get(ep, params=dict(base, limit=0)), 400, "InvalidParameter")
    _err(client.get(ep, params=dict(base, limit="ten")), 400,
         "InvalidParameter")
    # larger than the maximum: clamped
    assert len(client.get(ep, params=dict(base, limit=5000)).json()) == 6


def test_get_compartment(emulator, client, sample):
    ep = emulator.endpoint + "/20160918/compartments/"
    r = client.get(ep + sample.compartments["Payments"])
    assert r.status == 200 and r.json()["name"] == "Payments"
    assert r.json()["compartmentId"] == sample.compartments["Production"]
    assert r.headers["etag"]
    assert client.get(ep + sample.tenancy).json()["name"] == "acme-corp"
    _err(client.get(ep + sample.compartments["Restricted"]), 404,
         "NotAuthorizedOrNotFound")
    _err(client.get(ep + "ocid1.compartment.oc1..aaaaaaaanothere"), 404,
         "NotAuthorizedOrNotFound")
    assert client.get(ep + sample.compartments["Sandbox"]).json()[
        "lifecycleState"] == "DELETED"


def test_unknown_path_and_method(emulator, client, sample):
    _err(client.get(emulator.endpoint + "/20160918/nothing"), 404,
         "NotFound")
    _err(client.post(emulator.endpoint + "/20160918/compartments",
                     json={}), 405, "MethodNotAllowed")
    _err(client.request("DELETE", emulator.endpoint + "/20160918/tenancies/"
                        + sample.tenancy), 405, "MethodNotAllowed")
    r = client.request("TRACE", emulator.endpoint + "/n")
    assert r.status == 501 and r.json()["code"] == "MethodNotImplemented"
    # key operations only on vault ports
    _err(client.get(emulator.endpoint + "/20180608/keys",
                    params={"compartmentId": sample.tenancy}), 404,
         "NotFound")
    _err(client.get(sample.mgmt("prod-vault") + "/20180608/vaults",
                    params={"compartmentId": sample.tenancy}), 404,
         "NotFound")


def test_request_id_echo(emulator, client, sample):
    r = client.get(emulator.endpoint + "/20160918/tenancies/" +
                   sample.tenancy, headers={"opc-request-id": "my-id-1"})
    assert re.fullmatch(r"my-id-1/[0-9A-F]{32}", r.headers["opc-request-id"])


def test_vaults(emulator, client, sample):
    prod = sample.compartments["Production"]
    r = client.get(emulator.endpoint + "/20180608/vaults",
                   params={"compartmentId": prod})
    assert r.status == 200
    vs = {v["displayName"]: v for v in r.json()}
    assert set(vs) == {"prod-vault", "prod-default"}
    v = vs["prod-vault"]
    assert OCID_RE["vault"].match(v["id"])
    assert v["vaultType"] == "VIRTUAL_PRIVATE"
    assert vs["prod-default"]["vaultType"] == "DEFAULT"
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", v["managementEndpoint"])
    assert v["cryptoEndpoint"] == v["managementEndpoint"]
    assert "wrappingkeyId" not in v  # summary only
    r = client.get(emulator.endpoint + "/20180608/vaults/" + v["id"])
    full = r.json()
    assert r.status == 200 and r.headers["etag"]
    assert full["wrappingkeyId"].startswith("ocid1.key.")
    assert full["isVaultReplicable"] is True and full["isPrimary"] is True
    assert full["lifecycleState"] == "ACTIVE"
    # nested compartment vault, duplicates, pending deletion
    dev = client.get(emulator.endpoint + "/20180608/vaults",
                     params={"compartmentId": sample.compartments[
                         "Development"], "sortBy": "DISPLAYNAME"}).json()
    assert [x["displayName"] for x in dev] == ["dev-vault", "dev-vault",
                                               "old-vault"]
    assert dev[2]["lifecycleState"] == "PENDING_DELETION"
    pay = client.get(emulator.endpoint + "/20180608/vaults",
                     params={"compartmentId": sample.compartments[
                         "Payments"]}).json()
    assert [x["displayName"] for x in pay] == ["payments-vault"]
    r = client.get(emulator.endpoint + "/20180608/vaults/" +
                   sample.vaults["restricted-vault"]["id"])
    assert r.status == 404
    r = client.get(emulator.endpoint + "/20180608/vaults")
    assert r.status == 400 and r.json()["code"] == "MissingParameter"


def test_keys_list_get_versions(emulator, client, sample):
    prod = sample.compartments["Production"]
    mg = sample.mgmt("prod-vault")
    r = client.get(mg + "/20180608/keys", params={"compartmentId": prod})
    assert r.status == 200
    ks = r.json()
    names = sorted(k["displayName"] for k in ks)
    assert names == sorted(["payments-master", "hr-master", "legacy-key",
                            "app signing", "Équipe données", "ops/keys",
                            "soft-key", "shared", "shared"])
    assert "retired-key" not in names  # DELETED keys are hidden
    states = {k["displayName"]: k["lifecycleState"] for k in ks}
    assert states["hr-master"] == "DISABLED"
    assert states["legacy-key"] == "PENDING_DELETION"
    for k in ks:
        assert OCID_RE["key"].match(k["id"])
        assert set(k) >= {"compartmentId", "displayName", "id",
                          "lifecycleState", "timeCreated", "vaultId",
                          "protectionMode", "algorithm"}
    # keys of the vault in another compartment
    pay = client.get(mg + "/20180608/keys", params={
        "compartmentId": sample.compartments["Payments"]}).json()
    assert [k["displayName"] for k in pay] == ["tokenization"]
    soft = client.get(mg + "/20180608/keys", params={
        "compartmentId": prod, "protectionMode": "SOFTWARE"}).json()
    assert [k["displayName"] for k in soft] == ["soft-key"]
    rsa = client.get(mg + "/20180608/keys", params={
        "compartmentId": prod, "algorithm": "RSA"}).json()
    assert [k["displayName"] for k in rsa] == ["app signing"]
    r = client.get(mg + "/20180608/keys", params={
        "compartmentId": prod, "protectionMode": "NOPE"})
    assert r.status == 400 and r.json()["code"] == "InvalidParameter"
    by_name = client.get(mg + "/20180608/keys", params={
        "compartmentId": prod, "sortBy": "DISPLAYNAME",
        "sortOrder": "DESC"}).json()
    assert [k["displayName"] for k in by_name] == sorted(names, reverse=True)

    kid = sample.key("prod-vault", "payments-master")
    r = client.get(mg + "/20180608/keys/" + kid)
    k = r.json()
    assert r.status == 200 and r.headers["etag"]
    assert k["keyShape"] == {"algorithm": "AES", "length": 32}
    assert k["protectionMode"] == "HSM" and k["vaultId"] == \
        sample.vaults["prod-vault"]["id"]
    assert OCID_RE["keyversion"].match(k["currentKeyVersion"])
    r = client.get(mg + "/20180608/keys/%s/keyVersions" % kid,
                   params={"limit": 2})
    vers = r.json()
    assert len(vers) == 2 and r.headers.get("opc-next-page")
    r2 = client.get(mg + "/20180608/keys/%s/keyVersions" % kid,
                    params={"limit": 2, "page": r.headers["opc-next-page"]})
    allv = vers + r2.json()
    assert len(allv) == 3 and "opc-next-page" not in r2.headers
    assert allv[0]["id"] == k["currentKeyVersion"]  # newest first
    assert all(v["keyId"] == kid and v["origin"] == "INTERNAL" for v in allv)
    r = client.get(mg + "/20180608/keys/%s/keyVersions/%s" % (kid,
                                                              allv[1]["id"]))
    assert r.status == 200 and r.json()["id"] == allv[1]["id"]


def test_key_errors(emulator, client, sample):
    mg = sample.mgmt("prod-vault")
    other = sample.mgmt("prod-default")
    kid = sample.key("prod-vault", "payments-master")
    # a key is only visible through its own vault's endpoint
    _err(client.get(other + "/20180608/keys/" + kid), 404,
         "NotAuthorizedOrNotFound")
    _err(client.get(mg + "/20180608/keys/ocid1.key.oc1.iad.x.y"), 404,
         "NotAuthorizedOrNotFound")
    _err(client.get(mg + "/20180608/keys"), 400, "MissingParameter")
    _err(client.get(mg + "/20180608/keys", params={
        "compartmentId": sample.compartments["Restricted"]}), 404,
        "NotAuthorizedOrNotFound")
    rv = sample.vaults["restricted-vault"]
    _err(client.get(rv["managementEndpoint"] + "/20180608/keys",
                    params={"compartmentId": rv["compartmentId"]}), 404,
         "NotAuthorizedOrNotFound")
    # a DELETED key still answers GetKey with its state
    info = emulator.admin("POST", "/_emulator/keys", {
        "vaultId": sample.vaults["prod-vault"]["id"],
        "displayName": "tmp", "lifecycleState": "DELETED"})
    r = client.get(mg + "/20180608/keys/" + info["id"])
    assert r.status == 200 and r.json()["lifecycleState"] == "DELETED"
    emulator.admin("DELETE", "/_emulator/keys/" + info["id"])
    _err(client.get(mg + "/20180608/keys/" + info["id"]), 404,
         "NotAuthorizedOrNotFound")


def test_admin_mutations_visible(emulator, client, sample):
    kid = sample.key("prod-vault", "payments-master")
    mg = sample.mgmt("prod-vault")
    emulator.admin("POST", "/_emulator/keys/" + kid,
                   {"displayName": "renamed", "lifecycleState": "DISABLED"})
    k = client.get(mg + "/20180608/keys/" + kid).json()
    assert (k["displayName"], k["lifecycleState"]) == ("renamed", "DISABLED")
    vid = sample.vaults["prod-default"]["id"]
    emulator.admin("POST", "/_emulator/vaults/" + vid,
                   {"displayName": "x y"})
    assert client.get(emulator.endpoint + "/20180608/vaults/" +
                      vid).json()["displayName"] == "x y"
    cid = sample.compartments["HR"]
    emulator.admin("POST", "/_emulator/compartments/" + cid,
                   {"name": "People"})
    assert client.get(emulator.endpoint + "/20160918/compartments/" +
                      cid).json()["name"] == "People"


def test_admin_lists_shape(emulator, client, sample):
    """GET /_emulator/compartments and /_emulator/keys list everything,
    whatever the API hides (DELETED, restricted), and agree with it."""
    comps = emulator.admin("GET", "/_emulator/compartments")
    by_name = {c["name"]: c for c in comps}
    assert set(by_name) == set(sample.compartments) | {"Sandbox"}
    assert by_name["Sandbox"]["lifecycleState"] == "DELETED"
    assert by_name["Restricted"]["restricted"] is True
    assert by_name["Payments"]["restricted"] is False
    assert by_name["Payments"]["compartmentId"] == \
        sample.compartments["Production"]
    assert by_name["Production"]["compartmentId"] == sample.tenancy
    for name, cid in sample.compartments.items():
        assert by_name[name]["id"] == cid
    keys = emulator.admin("GET", "/_emulator/keys")
    assert all(set(k) == {"id", "displayName", "vaultId", "compartmentId",
                          "protectionMode", "lifecycleState"} for k in keys)
    pv = sample.vaults["prod-vault"]["id"]
    listed = {k["id"] for k in client.get(
        sample.mgmt("prod-vault") + "/20180608/keys",
        params={"compartmentId": sample.compartments["Production"]}).json()}
    mine = [k for k in keys if k["vaultId"] == pv and
            k["compartmentId"] == sample.compartments["Production"]]
    # ListKeys leaves DELETED keys out; the admin list has them
    assert {k["id"] for k in mine if k["lifecycleState"] != "DELETED"} == \
        listed
    assert [k["displayName"] for k in mine
            if k["lifecycleState"] == "DELETED"] == ["retired-key"]
    soft = [k for k in keys if k["displayName"] == "soft-key"]
    assert len(soft) == 1 and soft[0]["protectionMode"] == "SOFTWARE"
    added = emulator.admin("POST", "/_emulator/keys",
                           {"vaultId": pv, "displayName": "added"})
    assert added["id"] in {k["id"] for k in
                           emulator.admin("GET", "/_emulator/keys")}
    # admin calls are not API requests
    assert emulator.stats()["requests_total"] == 1


def test_throttling(emulator, client, sample):
    emulator.set_config(rateLimit=5)
    mg = sample.mgmt("prod-vault")
    kid = sample.key("prod-vault", "payments-master")
    emulator.reset_stats()
    time.sleep(1.0)  # bucket full again
    codes = [client.get(mg + "/20180608/keys/" + kid).status
             for _ in range(12)]
    assert codes.count(200) >= 5 and codes.count(429) >= 5, codes
    # other categories have their own buckets
    r = client.get(emulator.endpoint + "/20180608/vaults/" +
                   sample.vaults["prod-vault"]["id"])
    assert r.status == 200
    # Identity is not throttled
    for _ in range(10):
        assert client.get(emulator.endpoint + "/20160918/tenancies/" +
                          sample.tenancy).status == 200
    r = client.get(mg + "/20180608/keys/" + kid)
    if r.status == 429:
        assert r.json()["code"] == "TooManyRequests"
    st = emulator.stats()
    assert st["throttled"] == codes.count(429) + (r.status == 429)
    assert st["requests"]["GetKey"] == 13
    time.sleep(0.5)  # refill: 2.5 tokens
    assert client.get(mg + "/20180608/keys/" + kid).status == 200
    emulator.set_config(rateLimit=0)
    assert all(client.get(mg + "/20180608/keys/" + kid).status == 200
               for _ in range(30))


@pytest.mark.parametrize("limit,status", [(0, 400), (1001, 400), (1, 200),
                                          (1000, 200)])
def test_list_buckets_limits(emulator, client, sample, limit, status):
    r = client.get(emulator.endpoint + "/n/%s/b" % sample.namespace,
                   params={"compartmentId": sample.tenancy, "limit": limit})
    assert r.status == status, r
