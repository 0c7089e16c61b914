# SPDX-License-Identifier: MIT
"""Process-level behaviour: command line, files written, TLS, keep-alive,
latency, persistence across restarts, synthetic tenancies, shutdown."""

import os
import ssl
import stat
import subprocess
import time

import pytest

from conftest import bucket_location, wait_for
from pylib import emulator as emumod
from pylib import ocisign


def test_files_written(emulator_session):
    emu = emulator_session
    d = emu.state_dir
    with open(os.path.join(d, "endpoint")) as f:
        assert f.read() == emu.endpoint + "\n"
    for name in ("api_key.pem", "session_key.pem", "noaccess_key.pem"):
        mode = stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode)
        assert mode == 0o600, name
    import configparser
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(emu.config)
    dflt = cp.defaults()
    assert set(dflt) == {"user", "fingerprint", "key_file", "tenancy",
                         "region"}
    assert dflt["region"] == "us-ashburn-1"
    assert os.path.isabs(dflt["key_file"])
    key = ocisign.load_private_key(dflt["key_file"])
    assert ocisign.fingerprint(key.public_key()) == dflt["fingerprint"]
    sess = cp["SESSION"]
    assert os.path.isabs(sess["security_token_file"])
    with open(sess["security_token_file"]) as f:
        assert f.read().strip().count(".") == 2  # JWT-shaped
    assert cp["NOACCESS"]["user"] != dflt["user"]


def test_tls(emulator_session):
    emu = emulator_session
    ctx = ocisign.ssl_context(emu.ca)
    import socket
    for host in ("127.0.0.1", "localhost"):
        with socket.create_connection(("127.0.0.1", emu.port)) as s:
            with ctx.wrap_socket(s, server_hostname=host) as t:
                assert t.version() in ("TLSv1.2", "TLSv1.3")
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(emu.ca)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.maximum_version = ssl.TLSVersion.TLSv1_1
        old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with socket.create_connection(("127.0.0.1", emu.port)) as s:
        with pytest.raises(ssl.SSLError):
            old.wrap_socket(s, server_hostname="127.0.0.1")
    # the system trust store does not know the emulator's CA
    sysctx = ssl.create_default_context()
    with socket.create_connection(("127.0.0.1", emu.port)) as s:
        with pytest.raises(ssl.SSLCertVerificationError):
            sysctx.wrap_socket(s, server_hostname="127.0.0.1")


def test_keep_alive_counts_one_connection(emulator, sample):
    c = emulator.client()
    emulator.reset_stats()
    for _ in range(5):
        assert c.get(emulator.endpoint + "/n").status == 200
    st = emulator.stats()
    assert st["connections"] == 1 and st["requests_total"] == 5
    # a vault port is a separate origin: one more connection
    c.get(sample.mgmt("prod-vault") + "/20180608/keys",
          params={"compartmentId": sample.compartments["Production"]})
    c.get(sample.mgmt("prod-vault") + "/20180608/keys",
          params={"compartmentId": sample.compartments["Production"]})
    assert emulator.stats()["connections"] == 2
    c.close()


def test_latency(emulator, client):
    emulator.set_config(latencyMs=300)
    t0 = time.monotonic()
    assert client.get(emulator.endpoint + "/n").status == 200
    dt = time.monotonic() - t0
    assert 0.27 <= dt < 1.5
    emulator.set_config(latencyMs=0)
    t0 = time.monotonic()
    client.get(emulator.endpoint + "/n")
    assert time.monotonic() - t0 < 0.25


def test_admin_config_and_reset(emulator, client, sample):
    cfg = emulator.get_config()
    assert set(cfg) == {"backupSeconds", "latencyMs", "rateLimit",
                        "workRequests"}
    emulator.admin("POST", "/_emulator/config", {"rateLimit": "x"},
                   expect=(400,))
    emulator.admin("POST", "/_emulator/config", {"bogus": 1}, expect=(400,))
    kid = sample.key("prod-vault", "payments-master")
    emulator.admin("DELETE", "/_emulator/keys/" + kid)
    emulator.faults([{"op": "GetTenancy", "kind": "500"}])
    client.put(emulator.endpoint + "/n/%s/b/backups/o/z" % sample.namespace,
               body=b"z", body_exempt=True)
    emulator.reset()
    assert emulator.objects() == [] and emulator.list_faults() == []
    assert emulator.stats()["requests_total"] == 0
    # the sample fixture had set rateLimit 0: back to the command line's
    assert cfg["rateLimit"] == 0
    assert emulator.get_config() == dict(cfg, rateLimit=10.0)
    r = client.get(sample.mgmt("prod-vault") + "/20180608/keys/" + kid)
    assert r.status == 200
    emulator.admin("GET", "/_emulator/nothing", expect=(404,))


def test_persistence_across_restart(emulator_factory):
    emu = emulator_factory(backup_seconds=2.5)
    info = emu.info()
    c = emu.client()
    ns = info["namespace"]
    ports = {v["id"]: v["port"] for v in info["vaults"]}
    with open(emu.ca, "rb") as f:
        ca = f.read()
    pv = [v for v in info["vaults"] if v["displayName"] == "prod-vault"][0]
    prod = pv["compartmentId"]
    keys = c.get(pv["managementEndpoint"] + "/20180608/keys",
                 params={"compartmentId": prod}).json()
    kid = [k for k in keys if k["displayName"] == "payments-master"][0]["id"]
    url = pv["managementEndpoint"] + "/20180608/keys/%s/actions/backup" % kid
    h = {"opc-retry-token": "persist-1"}
    r = c.post(url, json=bucket_location(ns, "p.bk"), headers=h)
    assert r.status == 200
    wid = r.headers["opc-work-request-id"]
    par = emu.create_par("backups", "par.txt", "ObjectReadWrite")
    emu.admin("POST", "/_emulator/keys/" + kid, {"displayName": "pm2"})
    c.close()
    t_stop = time.monotonic()
    assert emu.stop(remove=False) == 0
    emu.start()
    assert time.monotonic() - t_stop < 2.5  # restarted while in flight
    assert "resuming" in emu.stderr_tail
    info2 = emu.info()
    assert info2["endpoint"] == info["endpoint"]  # old port reused
    assert info2["namespace"] == ns
    assert {v["id"]: v["port"] for v in info2["vaults"]} == ports
    with open(emu.ca, "rb") as f:
        assert f.read() == ca
    c = emu.client()
    k = c.get(pv["managementEndpoint"] + "/20180608/keys/" + kid).json()
    assert k["displayName"] == "pm2"
    w = c.get(emu.endpoint + "/20160918/workRequests/" + wid).json()
    assert w["status"] in ("ACCEPTED", "IN_PROGRESS")
    assert k["lifecycleState"] == "BACKUP_IN_PROGRESS"
    # the retry token survived too
    r2 = c.post(url, json=bucket_location(ns, "p.bk"), headers=h)
    assert r2.status == 200 and r2.headers["opc-work-request-id"] == wid
    wait_for(lambda: c.get(emu.endpoint + "/20160918/workRequests/" +
                           wid).json()["status"] == "SUCCEEDED", 10)
    assert [o["name"] for o in emu.objects()] == ["p.bk"]
    raw = ocisign.OciClient(None, emu.ca)
    assert raw.put(par["fullUrl"], body=b"x", sign=False).status == 200
    c.close()


def test_cli_options(emulator_factory):
    emu = emulator_factory(
        no_work_requests=True, rate_limit=2, latency_ms=50,
        backup_seconds=0.2, faults="op=GetNamespace,kind=500,count=1")
    assert emu.get_config() == {"backupSeconds": 0.2, "latencyMs": 50.0,
                                "rateLimit": 2.0, "workRequests": False}
    c = emu.client()
    assert c.get(emu.endpoint + "/n").status == 500
    assert c.get(emu.endpoint + "/n").status == 200
    info = emu.info()
    tid = info["tenancyId"]
    codes = [c.get(emu.endpoint + "/20180608/vaults",
                   params={"compartmentId": tid}).status for _ in range(4)]
    assert codes.count(429) >= 1
    c.close()


def test_bad_command_lines():
    for args in (["--tenancy", "huge"], ["--tenancy", "synthetic:1,2"],
                 ["--faults", "op=Nope,kind=500"], ["--port", "70000"],
                 ["--rate-limit", "-1"], []):
        argv = [emumod.PYTHON, emumod.EMULATOR] + (
            ["--state-dir", "/nonexistent/never"] if args else []) + args
        p = subprocess.run(argv, capture_output=True, timeout=30)
        assert p.returncode == 2, (args, p.stderr)
        assert p.stdout == b""


def test_synthetic_tenancy(emulator_factory):
    emu = emulator_factory(tenancy="synthetic:20,5,50", rate_limit=0)
    assert emu.startup_seconds < 15, emu.startup_seconds
    info = emu.info()
    assert len(info["vaults"]) == 100
    assert len({v["port"] for v in info["vaults"]}) == 100
    types = {v["vaultType"] for v in info["vaults"]}
    assert types == {"VIRTUAL_PRIVATE", "DEFAULT"}
    c = emu.client()
    comps = c.get(emu.endpoint + "/20160918/compartments",
                  params={"compartmentId": info["tenancyId"],
                          "compartmentIdInSubtree": "true"}).json()
    assert len(comps) == 20
    assert len({x["compartmentId"] for x in comps}) > 1  # two levels
    v = info["vaults"][0]
    keys, page = [], None
    while True:
        p = {"compartmentId": v["compartmentId"], "limit": 20}
        if page:
            p["page"] = page
        r = c.get(v["managementEndpoint"] + "/20180608/keys", params=p)
        keys += r.json()
        page = r.headers.get("opc-next-page")
        if not page:
            break
    assert len(keys) == 50
    assert {k["protectionMode"] for k in keys} == {"HSM", "SOFTWARE"}
    assert {k["lifecycleState"] for k in keys} == {"ENABLED", "DISABLED"}
    ns = info["namespace"]
    assert [b["name"] for b in c.get(
        emu.endpoint + "/n/%s/b" % ns,
        params={"compartmentId": info["tenancyId"]}).json()] == ["backups"]
    c.close()
    # deterministic: a second synthetic tenancy has the same OCIDs
    emu2 = emulator_factory(tenancy="synthetic:20,5,50")
    assert sorted(v["id"] for v in emu2.info()["vaults"]) == \
        sorted(v["id"] for v in info["vaults"])


def test_request_log(emulator, client, sample):
    """GET /_emulator/requests: the requests as received, in order, with
    the path still encoded and dot segments kept, PAR tokens redacted."""
    emulator.reset_stats()
    base = emulator.endpoint + "/n/%s/b/backups/o/" % sample.namespace
    client.head(base + "x/../a%20b")
    client.get(emulator.endpoint + "/n/%s/b/backups/o" % sample.namespace,
               params={"prefix": "a b/c", "limit": "1"})
    url = emulator.create_par("backups", "t.bak")["fullUrl"]
    tok = url.split("/p/")[1].split("/")[0]
    client.get(url, sign=False)
    log = emulator.requests()
    assert [(r["method"], r["op"]) for r in log] == [
        ("HEAD", "HeadObject"), ("GET", "ListObjects"), ("GET", "ParGet")]
    assert log[0]["path"] == "/n/%s/b/backups/o/x/../a%%20b" % \
        sample.namespace
    assert "prefix=a%20b%2Fc" in log[1]["query"] or \
        "prefix=a+b%2Fc" in log[1]["query"], log[1]
    assert log[2]["path"].startswith("/p/***/n/") and tok not in str(log)
    emulator.reset_stats()
    assert emulator.requests() == []
