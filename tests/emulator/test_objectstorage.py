# SPDX-License-Identifier: MIT
"""Object Storage: namespace, buckets, objects, PARs."""

import base64
import hashlib
import re

import pytest


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_get_namespace(emulator, client, sample):
    for path in ("/n", "/n/"):
        r = client.get(emulator.endpoint + path)
        assert r.status == 200 and r.headers["content-type"] == \
            "application/json"
        assert r.body == ('"%s"' % sample.namespace).encode()
    assert re.fullmatch(r"[a-z0-9]{12}", sample.namespace)
    r = client.get(emulator.endpoint + "/n", params={
        "compartmentId": sample.compartments["Production"]})
    assert r.json() == sample.namespace
    r = client.get(emulator.endpoint + "/n",
                   headers={"opc-client-request-id": "abc"})
    assert r.headers["opc-client-request-id"] == "abc"


def test_list_buckets(emulator, client, sample):
    ep = emulator.endpoint + "/n/%s/b" % sample.namespace
    r = client.get(ep, params={"compartmentId": sample.tenancy})
    assert r.status == 200
    b = r.json()
    assert [x["name"] for x in b] == ["backups"]
    assert set(b[0]) == {"namespace", "name", "compartmentId", "createdBy",
                         "timeCreated", "etag"}
    prod = client.get(ep, params={"compartmentId": sample.compartments[
        "Production"], "fields": "tags"}).json()
    assert [x["name"] for x in prod] == ["archive"]
    assert prod[0]["freeformTags"] == {}
    for i in range(3):
        emulator.admin("POST", "/_emulator/buckets", {"name": "b%d" % i})
    p1 = client.get(ep, params={"compartmentId": sample.tenancy, "limit": 3})
    assert len(p1.json()) == 3 and p1.headers["opc-next-page"]
    p2 = client.get(ep, params={"compartmentId": sample.tenancy, "limit": 3,
                                "page": p1.headers["opc-next-page"]})
    assert [x["name"] for x in p1.json() + p2.json()] == \
        ["b0", "b1", "b2", "backups"]
    r = client.get(ep)
    assert r.status == 400 and r.json()["code"] == "MissingParameter"
    r = client.get(emulator.endpoint + "/n/nonamespace/b",
                   params={"compartmentId": sample.tenancy})
    assert r.status == 404 and r.json()["code"] == "NamespaceNotFound"
    r = client.get(ep, params={"compartmentId":
                               sample.compartments["Restricted"]})
    assert r.status == 404


def test_objects_put_head_get_list(emulator, client, sample):
    base = emulator.endpoint + "/n/%s/b/backups/o/" % sample.namespace
    data = b"some bytes" * 100
    r = client.put(base + "dir/a%20file.bin", body=data, body_exempt=True,
                   headers={"content-type": "application/x-test",
                            "content-md5": md5_b64(data)})
    assert r.status == 200, r
    assert r.headers["opc-content-md5"] == md5_b64(data)
    etag = r.headers["etag"]
    h = client.head(base + "dir/a%20file.bin")
    assert h.status == 200 and h.body == b""
    assert h.headers["etag"] == etag
    assert h.headers["content-length"] == str(len(data))
    assert h.headers["content-md5"] == md5_b64(data)
    assert h.headers["content-type"] == "application/x-test"
    assert h.headers["last-modified"].endswith(" GMT")
    g = client.get(base + "dir%2Fa%20file.bin")
    assert g.status == 200 and g.body == data
    nm = client.head(base + "dir/a%20file.bin",
                     headers={"if-none-match": etag})
    assert nm.status == 304
    # missing object: HEAD 404 without body, GET 404 with JSON
    h = client.head(base + "nothing")
    assert h.status == 404 and h.body == b""
    assert h.headers["opc-request-id"]
    g = client.get(base + "nothing")
    assert g.status == 404 and g.json()["code"] == "ObjectNotFound"
    h = client.head(emulator.endpoint + "/n/%s/b/nob/o/x" % sample.namespace)
    assert h.status == 404 and h.body == b""
    # md5 mismatch
    r = client.put(base + "x", body=b"abc", body_exempt=True,
                   headers={"content-md5": md5_b64(b"abd")})
    assert r.status == 400 and r.json()["code"] == "UnmatchedContentMD5"
    client.put(base + "dir/b", body=b"b", body_exempt=True)
    client.put(base + "top", body=b"t", body_exempt=True)
    r = client.get(base[:-1], params={"fields": "name,size,md5"})
    assert r.json()["objects"] == [
        {"name": "dir/a file.bin", "size": len(data), "md5": md5_b64(data)},
        {"name": "dir/b", "size": 1, "md5": md5_b64(b"b")},
        {"name": "top", "size": 1, "md5": md5_b64(b"t")}]
    r = client.get(base[:-1], params={"prefix": "dir/", "limit": 1})
    assert r.json() == {"objects": [{"name": "dir/a file.bin"}],
                        "nextStartWith": "dir/b"}
    r = client.get(base[:-1], params={"delimiter": "/"})
    assert r.json() == {"objects": [{"name": "top"}], "prefixes": ["dir/"]}
    objs = {o["name"]: o for o in emulator.objects()}
    assert objs["top"]["key_id"] is None and objs["top"]["size"] == 1


def test_objects_access(emulator, client, sample):
    r = client.put(emulator.endpoint + "/n/%s/b/restricted-backups/o/x"
                   % sample.namespace, body=b"x", body_exempt=True)
    assert r.status == 404 and r.json()["code"] == "BucketNotFound"
    noacc = emulator.client("NOACCESS")
    r = noacc.get(emulator.endpoint + "/n/%s/b/backups/o/x"
                  % sample.namespace)
    assert r.status == 404


@pytest.mark.parametrize("access,read,write", [
    ("ObjectRead", True, False),
    ("ObjectWrite", False, True),
    ("ObjectReadWrite", True, True),
])
def test_object_par_access_types(emulator, sample, access, read, write):
    import pylib.ocisign as ocisign
    raw = ocisign.OciClient(None, emulator.ca)
    client = emulator.client()
    client.put(emulator.endpoint + "/n/%s/b/backups/o/p.txt"
               % sample.namespace, body=b"orig", body_exempt=True)
    par = emulator.create_par("backups", "p.txt", access)
    url = par["fullUrl"]
    assert re.search(r"/p/[A-Za-z0-9_-]+/n/%s/b/backups/o/p.txt$"
                     % sample.namespace, url)
    g = raw.get(url, sign=False)
    assert g.status == (200 if read else 403), g
    if read:
        assert g.body == b"orig"
    else:
        assert g.json()["code"] == "NotAllowed"
    p = raw.put(url, body=b"new", sign=False)
    assert p.status == (200 if write else 403), p
    # an object PAR does not open other objects
    g = raw.get(url.replace("p.txt", "other"), sign=False)
    assert g.status == 404 and g.json()["code"] == "NotFound"
    st = emulator.stats()
    assert st["requests"]["ParGet"] == 2 and st["requests"]["ParPut"] == 1


def test_bucket_par_and_expiry(emulator, sample):
    import time
    import pylib.ocisign as ocisign
    raw = ocisign.OciClient(None, emulator.ca)
    par = emulator.create_par("backups", None, "AnyObjectReadWrite",
                              expires_in=1.0)
    assert par["accessUri"].endswith("/b/backups/o/")
    assert raw.put(par["fullUrl"] + "x%2Fy.bin", body=b"1",
                   sign=False).status == 200
    assert raw.get(par["fullUrl"] + "x/y.bin", sign=False).body == b"1"
    assert "x/y.bin" in [o["name"] for o in emulator.objects()]
    time.sleep(1.1)
    r = raw.get(par["fullUrl"] + "x/y.bin", sign=False)
    assert r.status == 404 and r.json()["code"] == "NotFound"
    r = raw.put(par["fullUrl"] + "z", body=b"1", sign=False)
    assert r.status == 404
    bad = par["fullUrl"].replace("/p/", "/p/x")
    assert raw.get(bad + "x/y.bin", sign=False).status == 404
    # an already expired PAR
    gone = emulator.create_par("backups", "q", "ObjectRead",
                               time_expires="2020-01-01T00:00:00Z")
    assert raw.get(gone["fullUrl"], sign=False).status == 404


def test_par_admin_validation(emulator):
    for body in ({"bucket": "backups", "object": "o",
                  "accessType": "AnyObjectRead", "expiresInSeconds": 5},
                 {"bucket": "backups", "accessType": "ObjectRead",
                  "expiresInSeconds": 5},
                 {"bucket": "backups", "accessType": "Nope",
                  "expiresInSeconds": 5},
                 {"bucket": "backups", "accessType": "AnyObjectRead"}):
        r = emulator.admin("POST", "/_emulator/pars", body, expect=(400,))
        assert r["code"] in ("InvalidParameter", "MissingParameter")
    r = emulator.admin("POST", "/_emulator/pars", {
        "bucket": "nob", "accessType": "AnyObjectRead",
        "expiresInSeconds": 5}, expect=(404,))
    assert r["code"] == "BucketNotFound"
