# SPDX-License-Identifier: MIT
"""Secrets wiped (issue 8, point 6): after a session with an encrypted key
and its pass phrase, PAR backups of every PAR form (object PAR, bucket
PAR, JSON target with a PAR), some refused PAR targets and one that the
service fails (expired), the daemon's
memory (/proc/PID/mem, every writable or anonymous mapping, read as root)
holds none of: the pass phrase, a PAR token, a line of the key's PEM
text, a piece of its DER encodings, an Authorization header; and no log
(`-d -o debug_http`), `status`, `history`, `.ocivaultfs/backups`, argv or
output of the test's commands shows a pass phrase or token.

What may stay in memory: the key in use (OpenSSL's own structures, not
its PEM or DER), and the redacted forms ("/p/***/")."""

import os
import re
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fsutil import (KEYS, PAYMENTS_KEYS, SHARED1, TENANCY, bash, prod_key, q,
                    run, wait_until)

pytestmark = pytest.mark.skipif(
    os.getuid() != 0, reason="reading another process's memory needs root")

AUTH_MARK = b'algorithm="rsa-sha256",signature="'


CHUNK = 8 << 20
# A sanitizer build reserves terabytes of shadow memory (rw-p, mostly not
# backed); such mappings hold no data of the program and are skipped.
HUGE = 16 << 30


def regions(pid):
    """(lo, hi, perms, path, rss_kb) of each mapping (/proc/PID/smaps)."""
    out = []
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5:
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                out.append([lo, hi, head[1],
                            head[5] if len(head) > 5 else "", 0])
            elif head[0] == "Rss:":
                out[-1][4] = int(head[1])
    return out


def scan_memory(pid, needles):
    """{name: [where]} of every needle found in the process's writable or
    anonymous mappings, read through /proc/PID/mem in chunks."""
    found = {}
    overlap = max(len(n) for n in needles.values())
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        for lo, hi, perms, path, rss in regions(pid):
            if path in ("[vvar]", "[vsyscall]") or "r" not in perms:
                continue
            if "w" not in perms and path and not path.startswith("["):
                continue  # file text and read-only data of libraries
            if not rss or hi - lo > HUGE:
                continue
            pos = lo
            while pos < hi:
                n = min(CHUNK + overlap, hi - pos)
                try:
                    mem.seek(pos)
                    data = mem.read(n)
                except OSError:
                    data = b""
                for name, needle in needles.items():
                    i = data.find(needle)
                    while i >= 0:
                        ctx = data[max(0, i - 48):i + len(needle) + 48]
                        ctx = ctx.replace(needle,
                                          b"<" + name.encode() + b">")
                        where = "%#x %s %s: %r" % (pos + i, perms,
                                                   path or "[anon]", ctx)
                        if where not in found.get(name, []):
                            found.setdefault(name, []).append(where)
                        i = data.find(needle, i + 1)
                pos += CHUNK
    return found


def der_pieces(der, name, size=24, step=97):
    """Pieces of the private part of a DER encoding (the private exponent,
    primes and CRT values, after the public exponent 65537), spread over
    it; the modulus is public."""
    first = der.index(b"\x02\x03\x01\x00\x01") + 5
    return {"%s@%d" % (name, i): der[i:i + size]
            for i in range(first, len(der) - size, step)}


@pytest.fixture(params=["pkcs1", "pkcs8"])
def encrypted_user(request, emulator, tmp_path):
    """A user whose key file is encrypted; (config, secrets dict)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    phrase = "pp-" + secrets.token_urlsafe(18)
    fmt = (serialization.PrivateFormat.TraditionalOpenSSL
           if request.param == "pkcs1" else serialization.PrivateFormat.PKCS8)
    pem = key.private_bytes(serialization.Encoding.PEM, fmt,
                            serialization.BestAvailableEncryption(
                                phrase.encode()))
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    u = emulator.register_user(pub, access="default")
    key_file = tmp_path / "enc.pem"
    key_file.write_bytes(pem)
    os.chmod(key_file, 0o600)
    config = tmp_path / "config"
    config.write_text("[DEFAULT]\nuser=%s\nfingerprint=%s\nkey_file=%s\n"
                      "tenancy=%s\nregion=us-ashburn-1\npass_phrase=%s\n" % (
                          u["user"], u["fingerprint"], key_file, TENANCY,
                          phrase))
    os.chmod(config, 0o600)
    needles = {"pass phrase": phrase.encode()}
    # Every base64 line of the encrypted PEM (the file's text).
    for i, line in enumerate(pem.splitlines()):
        if len(line) >= 40 and b":" not in line and b"-" not in line[:5]:
            needles["PEM line %d" % i] = line
    for f, n in ((serialization.PrivateFormat.TraditionalOpenSSL, "DER1"),
                 (serialization.PrivateFormat.PKCS8, "DER8")):
        der = key.private_bytes(serialization.Encoding.DER, f,
                                serialization.NoEncryption())
        needles.update(der_pieces(der, n))
        plain = key.private_bytes(serialization.Encoding.PEM, f,
                                  serialization.NoEncryption())
        for i, line in enumerate(plain.splitlines()[1:-1]):
            needles["%s PEM line %d" % (n, i)] = line
    return str(config), needles


def token_of(url):
    return re.search(r"/p/([^/]+)/", url).group(1)


def test_no_secret_left(mount, emulator, encrypted_user, namespace,
                        register_output):
    config, needles = encrypted_user
    register_output(r"^ocivaultfs: warning: backup of key '.*\) refused: ")
    register_output(r"^ocivaultfs: debug: ")  # -d: every FUSE request
    register_output(r"^ocivaultfs: warning: backup of key '.*' failed")
    outputs = []

    def cmd(res):
        outputs.append(res.out + res.err)
        return res

    m = mount("debug_http", config=config, args=("-d",))
    obj_par = emulator.create_par("backups", "sec-obj.bak")["fullUrl"]
    bucket_par = emulator.create_par(
        "backups", access_type="AnyObjectWrite")["fullUrl"]
    bucket_par2 = emulator.create_par(
        "archive", access_type="AnyObjectWrite")["fullUrl"]
    json_par = emulator.create_par("backups", "sec-json.bak")["fullUrl"]
    refused_par = emulator.create_par("backups", "x.bak")["fullUrl"]
    # Accepted by BackupKey, then failed by the service (expired).
    expired_par = emulator.create_par("backups", "late.bak",
                                      expires_in=-60)["fullUrl"]
    tokens = {"token %d" % i: token_of(u) for i, u in enumerate(
        (obj_par, bucket_par, bucket_par2, json_par, refused_par,
         expired_par))}
    needles.update({k: v.encode() for k, v in tokens.items()})
    writes = {
        prod_key("payments-master"): obj_par,
        prod_key("hr-master"): bucket_par,
        prod_key("app signing"): '{"destination": '
        '"PRE_AUTHENTICATED_REQUEST_URI", "uri": "%s"}' % json_par,
        PAYMENTS_KEYS + "/card-data": '{"backupLocation": {"destination": '
        '"PRE_AUTHENTICATED_REQUEST_URI", "uri": "%s"}}' % bucket_par2,
        prod_key("Équipe données"): "backups",
    }
    for key, text in writes.items():
        r = cmd(bash("printf '%%s\\n' %s > %s" % (q(text),
                                                   q(m.path(key, "backup")))))
        assert r.rc == 0, (r, run(["cat", m.path(key, "status")]).out)
    # Refused PAR targets: their reasons must not quote the token either.
    bad = [refused_par.replace("https://", "http://"),
           refused_par + "?x=1", refused_par.replace("/o/", "/o/a/../"),
           refused_par.replace("/n/", "/n/bad.ns/")]
    for text in bad:
        r = cmd(bash("printf '%%s\\n' %s > %s" % (
            q(text), q(m.path(prod_key("legacy-key"), "backup")))))
        assert r.rc != 0, r
    r = cmd(bash("printf '%%s\n' %s > %s" % (
        q(expired_par), q(m.path(prod_key(SHARED1), "backup")))))
    for key in writes:
        wait_until(lambda: cmd(run(["cat", m.path(key, "status")])).out
                   .startswith("state: succeeded"), timeout=60,
                   what="backup of %s succeeded" % key)
    wait_until(lambda: cmd(run(["cat", m.path(prod_key(SHARED1), "status")]))
               .out.startswith("state: failed"), timeout=60,
               what="backup to an expired PAR failed")
    cmd(run(["cat", m.path(prod_key(SHARED1), "wait")]))
    for key in list(writes) + [prod_key("legacy-key"), prod_key(SHARED1)]:
        for f in ("status", "history"):
            if os.path.exists(m.path(key, f)):
                cmd(run(["cat", m.path(key, f)]))
    for f in ("backups", "history", "stats"):
        if os.path.exists(m.path(".ocivaultfs", f)):
            r = cmd(run(["cat", m.path(".ocivaultfs", f)]))
            assert r.rc == 0, r
    assert "/p/***/" in "".join(outputs)  # the redacted forms are there
    assert len([o for o in emulator.objects()
                if o["key_id"] in (KEYS["payments-master"],
                                   KEYS["hr-master"], KEYS["app signing"],
                                   KEYS["card-data"])]) == 4

    pid = m.proc.pid
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        cmdline = f.read()
    found = scan_memory(pid, dict(needles, **{"Authorization": AUTH_MARK}))
    m.umount()
    with open(m.log, "rb") as f:
        log = f.read()
    assert b"GET https://" in log or b"HEAD https://" in log  # debug_http
    texts = {"daemon log": log, "argv": cmdline,
             "command output": "".join(outputs).encode()}
    text_secrets = {k: v for k, v in needles.items()
                    if k == "pass phrase" or k.startswith("token") or
                    "PEM line" in k}
    text_secrets["Authorization"] = AUTH_MARK
    leaks = ["%s in %s" % (k, where) for where, t in texts.items()
             for k, v in text_secrets.items() if v in t]
    assert not leaks, leaks
    assert not found, "secrets in the daemon's memory: %s" % {
        k: v[:3] for k, v in found.items()}
