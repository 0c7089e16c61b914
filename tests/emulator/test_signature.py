# SPDX-License-Identifier: MIT
"""Request signatures: OCI's published vectors, live requests signed with
the published test key, and every kind of tampering."""

import datetime
import time

import pytest
from cryptography.hazmat.primitives import serialization

from conftest import TEST_KEY_PEM, TEST_PUBLIC_PEM
from ociemu import auth
from pylib import ocisign

VEC_TENANCY = ("ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32"
               "uzr4h25vqstifsfdsq")
VEC_USER = ("ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaq"
            "edqw3rynjq")
VEC_FP = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
VEC_KEYID = "%s/%s/%s" % (VEC_TENANCY, VEC_USER, VEC_FP)
VEC_DATE = "Thu, 05 Jan 2014 21:31:40 GMT"
VEC_NOW = datetime.datetime(2014, 1, 5, 21, 31, 40,
                            tzinfo=datetime.timezone.utc).timestamp()
VEC_A_TARGET = (
    "/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId="
    "ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25"
    "gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.aby"
    "hqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q")
VEC_A_SIG = (
    "GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtL"
    "Bj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOK"
    "HYPtrLJIJQHJjNvxFWeHQjMaR7M=")
VEC_B_BODY = (
    '{\n    "compartmentId": "ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2i'
    'dnccdflvjsnog7mlr6rtdb25gilchfeyjxa",\n    "instanceId": "ocid1.instanc'
    'e.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a",'
    '\n    "volumeId": "ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs'
    '3s66izvxf2h4lgvyndsdsnoiwr5q"\n}').encode()
VEC_B_SHA = "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0="
VEC_B_SIG = (
    "Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0q"
    "IdazWaBy/Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ie"
    "VadHUfqBedWH0itrtPJBgKmrWso=")
HOST = "iaas.us-phoenix-1.oraclecloud.com"


def _lookup(key_id):
    if key_id == VEC_KEYID:
        pk = serialization.load_pem_public_key(TEST_PUBLIC_PEM.encode())
        return pk, {"tenancy": VEC_TENANCY, "user": VEC_USER}
    return None


def vec_a_headers(sig=VEC_A_SIG, **over):
    h = {"date": VEC_DATE, "host": HOST,
         "authorization": 'Signature version="1",headers="date '
         '(request-target) host",keyId="%s",algorithm="rsa-sha256",'
         'signature="%s"' % (VEC_KEYID, sig)}
    h.update(over)
    return h


def vec_b_headers(**over):
    h = {"date": VEC_DATE, "host": HOST, "content-type": "application/json",
         "content-length": "316", "x-content-sha256": VEC_B_SHA,
         "authorization": 'Signature version="1",headers="date '
         '(request-target) host content-length content-type '
         'x-content-sha256",keyId="%s",algorithm="rsa-sha256",'
         'signature="%s"' % (VEC_KEYID, VEC_B_SIG)}
    h.update(over)
    return h


def test_vector_a_verifies():
    p = auth.verify_request("GET", VEC_A_TARGET, vec_a_headers(), b"",
                            VEC_NOW, _lookup)
    assert p["user"] == VEC_USER


def test_vector_b_verifies():
    assert len(VEC_B_BODY) == 316
    p = auth.verify_request("POST", "/20160918/volumeAttachments",
                            vec_b_headers(), VEC_B_BODY, VEC_NOW, _lookup)
    assert p["tenancy"] == VEC_TENANCY


def test_our_signer_reproduces_the_vectors():
    s = ocisign.Signer(VEC_KEYID, TEST_KEY_PEM)
    # The vector's date is a literal string (5 Jan 2014 was a Sunday).
    h = s.sign("GET", VEC_A_TARGET, HOST, headers={"date": VEC_DATE})
    assert h["authorization"].endswith('signature="%s"' % VEC_A_SIG)
    h = s.sign("POST", "/20160918/volumeAttachments", HOST, VEC_B_BODY,
               headers={"date": VEC_DATE})
    assert h["x-content-sha256"] == VEC_B_SHA
    assert h["authorization"].endswith('signature="%s"' % VEC_B_SIG)


@pytest.mark.parametrize("change", [
    ("now", VEC_NOW + 301),
    ("now", VEC_NOW - 301),
    ("target", VEC_A_TARGET.replace("TeamX", "TeamY")),
    ("target", VEC_A_TARGET.split("?")[0]),
    ("method", "DELETE"),
    ("header", {"host": "iaas.us-ashburn-1.oraclecloud.com"}),
    ("header", {"date": "Thu, 05 Jan 2014 21:31:41 GMT"}),
    ("header", {"authorization": vec_a_headers()["authorization"].replace(
        "rsa-sha256", "rsa-sha1")}),
    ("header", {"authorization": vec_a_headers()["authorization"].replace(
        VEC_FP, "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:35")}),
    ("header", {"authorization": vec_a_headers()["authorization"].replace(
        'headers="date (request-target) host"',
        'headers="date (request-target)"')}),
    ("header", {"authorization": vec_a_headers()["authorization"].replace(
        "GBas", "GBat")}),
    ("header", {"authorization": None}),
])
def test_vector_a_tampered_is_refused(change):
    kind, val = change
    now, target, method = VEC_NOW, VEC_A_TARGET, "GET"
    headers = vec_a_headers()
    if kind == "now":
        now = val
    elif kind == "target":
        target = val
    elif kind == "method":
        method = val
    else:
        for k, v in val.items():
            if v is None:
                headers.pop(k)
            else:
                headers[k] = v
    with pytest.raises(auth.AuthError):
        auth.verify_request(method, target, headers, b"", now, _lookup)


@pytest.mark.parametrize("change", [
    {"body": VEC_B_BODY.replace(b"phx", b"iad")},
    {"headers": {"content-length": "317"}},
    {"headers": {"x-content-sha256":
                 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}},
    {"headers": {"content-type": "text/plain"}},
])
def test_vector_b_tampered_is_refused(change):
    body = change.get("body", VEC_B_BODY)
    headers = vec_b_headers(**change.get("headers", {}))
    with pytest.raises(auth.AuthError):
        auth.verify_request("POST", "/20160918/volumeAttachments", headers,
                            body, VEC_NOW, _lookup)


def test_post_needs_body_headers_signed():
    s = ocisign.Signer(VEC_KEYID, TEST_KEY_PEM)
    h = s.sign("POST", "/x", HOST, b"{}", headers={"date": VEC_DATE},
               names=["date", "(request-target)", "host"])
    with pytest.raises(auth.AuthError, match="content-length"):
        auth.verify_request("POST", "/x", h, b"{}", VEC_NOW, _lookup)
    # ...but not for PutObject (body_exempt)
    auth.verify_request("POST", "/x", h, b"{}", VEC_NOW, _lookup,
                        body_exempt=True)


def test_parameter_order_and_case_are_free():
    params = ['version="1"', 'headers="date (request-target) host"',
              'keyId="%s"' % VEC_KEYID, 'algorithm="rsa-sha256"',
              'signature="%s"' % VEC_A_SIG]
    value = "signature " + ",".join(reversed(params)).replace("keyId",
                                                              "KEYID")
    auth.verify_request("GET", VEC_A_TARGET,
                        vec_a_headers(authorization=value), b"", VEC_NOW,
                        _lookup)


def test_x_date_is_used_when_present():
    s = ocisign.Signer(VEC_KEYID, TEST_KEY_PEM)
    h = {"x-date": VEC_DATE, "date": "Mon, 01 Jan 2001 00:00:00 GMT"}
    h = s.sign("GET", "/api", "localhost:7000", headers=h,
               names=["x-date", "(request-target)", "host"])
    auth.verify_request("GET", "/api", h, b"", VEC_NOW, _lookup)


# -- live requests -----------------------------------------------------------

@pytest.fixture
def test_key_client(emulator):
    reg = emulator.register_user(TEST_PUBLIC_PEM)
    assert reg["fingerprint"] == \
        "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7"
    signer = ocisign.Signer(reg["keyId"], TEST_KEY_PEM)
    c = ocisign.OciClient(signer, emulator.ca)
    yield c, reg
    c.close()


def test_live_request_with_published_key(emulator, test_key_client):
    c, reg = test_key_client
    r = c.get(emulator.endpoint + "/20160918/tenancies/" + reg["tenancy"])
    assert r.status == 200, r
    assert r.json()["name"] == "acme-corp"
    assert len(r.headers["opc-request-id"]) == 32


def _refused(r):
    assert r.status == 401, r
    assert r.headers["content-type"] == "application/json"
    assert r.json()["code"] == "NotAuthenticated"
    assert r.json()["message"]
    assert r.headers["opc-request-id"]


def _set(name, value):
    def f(h):
        h[name] = value
    return f


@pytest.mark.parametrize("how", [
    "header", "body", "date", "path", "query", "keyid", "algorithm",
    "missing-header", "unsigned", "wrong-sha",
])
def test_live_tampering_is_refused(emulator, test_key_client, how):
    c, reg = test_key_client
    ep = emulator.endpoint
    tid = reg["tenancy"]
    ns = emulator.info()["namespace"]
    emulator.reset_stats()
    if how == "header":
        r = c.get(ep + "/20160918/tenancies/" + tid,
                  tamper=_set("date", ocisign.http_date(
                      datetime.datetime.now(datetime.timezone.utc) -
                      datetime.timedelta(seconds=5))))
    elif how == "body":
        s = c.signer
        body = b'{"rules": []}'
        h = s.sign("PUT", "/n/%s/b/backups/o/x" % ns, ep[8:], body,
                   body_exempt=False)
        conn = c._conn(ep[8:])
        conn.putrequest("PUT", "/n/%s/b/backups/o/x" % ns, skip_host=True,
                        skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        conn.endheaders(b'{"rules": [1]}')
        resp = conn.getresponse()
        r = ocisign.Response(resp.status,
                             {k.lower(): v for k, v in resp.getheaders()},
                             resp.read())
    elif how == "date":
        old = datetime.datetime.now(datetime.timezone.utc) - \
            datetime.timedelta(minutes=6)
        r = c.get(ep + "/20160918/tenancies/" + tid, date=old)
    elif how == "path":
        s = c.signer
        h = s.sign("GET", "/20160918/tenancies/" + tid, ep[8:])
        r = c.get(ep + "/20160918/tenancies/" + tid + "x", sign=False,
                  headers=h)
    elif how == "query":
        s = c.signer
        target = "/20160918/compartments?compartmentId=" + tid
        h = s.sign("GET", target, ep[8:])
        r = c.get(ep + target + "&limit=1", sign=False, headers=h)
    elif how == "keyid":
        r = c.get(ep + "/20160918/tenancies/" + tid,
                  tamper=lambda h: h.__setitem__(
                      "authorization", h["authorization"].replace(
                          reg["fingerprint"], "00" + reg["fingerprint"][2:])))
    elif how == "algorithm":
        r = c.get(ep + "/20160918/tenancies/" + tid,
                  tamper=lambda h: h.__setitem__(
                      "authorization", h["authorization"].replace(
                          "rsa-sha256", "hmac-sha256")))
    elif how == "missing-header":
        r = c.get(ep + "/20160918/tenancies/" + tid,
                  names=["date", "(request-target)"])
    elif how == "unsigned":
        r = c.get(ep + "/20160918/tenancies/" + tid, sign=False)
    elif how == "wrong-sha":
        r = c.post(ep + "/20180608/vaults/actions/restoreFromObjectStore",
                   params={"compartmentId": tid}, json={},
                   tamper=_set("x-content-sha256",
                               ocisign.sha256_b64(b"other")))
    _refused(r)
    assert emulator.stats()["unauthorized"] == 1


def test_live_put_object_needs_only_generic_headers(emulator,
                                                    test_key_client):
    c, reg = test_key_client
    ns = emulator.info()["namespace"]
    url = emulator.endpoint + "/n/%s/b/backups/o/hello.txt" % ns
    r = c.put(url, body=b"hello", body_exempt=True,
              headers={"content-type": "text/plain"})
    assert r.status == 200, r
    # but other operations need the body headers signed
    r = c.post(emulator.endpoint +
               "/20180608/vaults/actions/restoreFromObjectStore",
               params={"compartmentId": reg["tenancy"]}, json={},
               body_exempt=True)
    _refused(r)


def test_unknown_key_and_foreign_tenancy(emulator):
    from cryptography.hazmat.primitives.asymmetric import rsa
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info = emulator.info()
    s = ocisign.Signer.api_key(info["tenancyId"], "ocid1.user.oc1..aaaaaaaax",
                               k)
    c = ocisign.OciClient(s, emulator.ca)
    _refused(c.get(emulator.endpoint + "/20160918/tenancies/" +
                   info["tenancyId"]))
    # A registered key of another tenancy authenticates but sees nothing.
    pem = k.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    reg = emulator.register_user(pem, tenancy=VEC_TENANCY)
    c2 = ocisign.OciClient(ocisign.Signer(reg["keyId"], k), emulator.ca)
    r = c2.get(emulator.endpoint + "/20160918/tenancies/" +
               info["tenancyId"])
    assert r.status == 404 and r.json()["code"] == "NotAuthorizedOrNotFound"


def test_session_token_profile(emulator):
    c = emulator.client("SESSION")
    assert c.signer.key_id.startswith("ST$")
    tid = emulator.info()["tenancyId"]
    r = c.get(emulator.endpoint + "/20160918/compartments",
              params={"compartmentId": tid})
    assert r.status == 200, r
    # a different token with the same key is refused
    bad = ocisign.Signer("ST$" + c.signer.key_id[3:-2] + "xx",
                         c.signer.private_key)
    r = ocisign.OciClient(bad, emulator.ca).get(
        emulator.endpoint + "/20160918/tenancies/" + tid)
    _refused(r)


def _jwt_claims(token):
    import base64
    import json
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_new_session_and_expiry(emulator):
    """POST /_emulator/sessions makes a token for the session key (as `oci
    session refresh`), whose JWT exp is the service's; an expired or
    ended session is 401, as OCI answers."""
    base = emulator.client("SESSION")
    key = base.signer.private_key
    tid = emulator.info()["tenancyId"]
    url = emulator.endpoint + "/20160918/tenancies/" + tid
    s = emulator.new_session(ttl=600)
    assert abs(_jwt_claims(s["token"])["exp"] - s["exp"]) < 1
    assert _jwt_claims(s["token"])["tenant"] == tid
    c = ocisign.OciClient(ocisign.Signer("ST$" + s["token"], key),
                          emulator.ca)
    assert c.get(url).status == 200
    # the built-in session still works: tokens are independent
    assert base.get(url).status == 200
    emulator.expire_session(s["token"])
    _refused(c.get(url))
    assert base.get(url).status == 200
    # born expired
    old = emulator.new_session(ttl=-60)
    assert _jwt_claims(old["token"])["exp"] < time.time()
    c = ocisign.OciClient(ocisign.Signer("ST$" + old["token"], key),
                          emulator.ca)
    _refused(c.get(url))
    # another key: signatures with the session key are refused
    from cryptography.hazmat.primitives.asymmetric import rsa
    k2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = k2.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    s2 = emulator.new_session(publicKey=pem)
    _refused(ocisign.OciClient(ocisign.Signer("ST$" + s2["token"], key),
                               emulator.ca).get(url))
    assert ocisign.OciClient(ocisign.Signer("ST$" + s2["token"], k2),
                             emulator.ca).get(url).status == 200
    emulator.admin("POST", "/_emulator/sessions", {"publicKey": "junk"},
                   expect=(400,))
    emulator.admin("POST", "/_emulator/sessions", {"ttl": "soon"},
                   expect=(400,))
    emulator.admin("POST", "/_emulator/sessions/expire", {"token": "nope"},
                   expect=(404,))


def test_noaccess_user(emulator):
    c = emulator.client("NOACCESS")
    info = emulator.info()
    tid = info["tenancyId"]
    r = c.get(emulator.endpoint + "/20160918/tenancies/" + tid)
    assert r.status == 200
    for url, params in [
        ("/20160918/compartments", {"compartmentId": tid}),
        ("/20180608/vaults", {"compartmentId": tid}),
        ("/20160918/workRequests", {"compartmentId": tid}),
        ("/n/%s/b" % info["namespace"], {"compartmentId": tid}),
    ]:
        r = c.get(emulator.endpoint + url, params=params)
        assert r.status == 404, (url, r)
        assert r.json()["code"] == "NotAuthorizedOrNotFound"
    v = info["vaults"][0]
    r = c.get(emulator.endpoint + "/20180608/vaults/" + v["id"])
    assert r.status == 404
    r = c.get(v["managementEndpoint"] + "/20180608/keys",
              params={"compartmentId": v["compartmentId"]})
    assert r.status == 404
