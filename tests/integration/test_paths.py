# SPDX-License-Identifier: MIT
"""Paths as sent (issue 8, point 4): object names travel percent-encoded
as the Python SDK encodes them (`quote(name, safe='/')`: everything but
`A-Z a-z 0-9 - . _ ~` and `/`) and exactly as built: libcurl resolves no
dot segments.  The HeadObject and ListObjects of a backup name the very
object its BackupKey wrote (the emulator's request log and objects), and
names with a '.' or '..' segment, which a server could resolve into
another object, are refused before any call."""

import errno
import json
import os
import re
import subprocess
from urllib.parse import quote, unquote

import pytest

from fsutil import (KEYS, assert_errno, bash, calls_since, check_status,
                    prod_key, q, requests, run, wait_until)

REFUSED_LOG = r"^ocivaultfs: warning: backup of key '[^']+' \(%s\) refused: "
BUILD_ROOT = os.environ.get("OVFS_BUILD_ROOT") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "build")


def write(m, key, text):
    return bash("printf '%%s\\n' %s > %s" % (q(text), q(m.path(key,
                                                                "backup"))),
                timeout=60)


def status(m, key):
    r = run(["cat", m.path(key, "status")])
    assert r.rc == 0, r
    return check_status(r.out)


def named_objects(emu, ns, bucket):
    """Object names that each Object Storage request of the log named:
    HeadObject by its path, ListObjects by its prefix (the check before
    BackupKey) and start (the range listing that verifies the end),
    decoded, with the raw path or query value for the encoding check.
    (HeadObject is only used when a range listing does not reach the
    object: test_daemon_head_names_the_backupkey_object makes it so.)"""
    base = "/n/%s/b/%s/o" % (ns, bucket)
    out = []
    for r in emu.requests():
        if r["op"] == "HeadObject" and r["path"].startswith(base + "/"):
            raw = r["path"][len(base) + 1:]
            out.append(("HeadObject", unquote(raw), raw))
        elif r["op"] == "ListObjects" and r["path"] == base:
            for part in r["query"].split("&"):
                name, _, value = part.partition("=")
                if name in ("prefix", "start"):
                    out.append(("ListObjects " + name, unquote(value),
                                value))
    return out


# Names that must arrive as written: '%', spaces, non-ASCII, dots that are
# not whole segments, an empty segment, a trailing slash.
NAMES = {
    "payments-master": "a b/100%/ü €/x.bak",
    "hr-master": "...x/a..b/.c./d%2F..%2Fe",
    "app signing": "a//b/",
}


def test_head_and_backup_name_the_same_object(mount, emulator, namespace):
    m = mount()
    for key in NAMES:
        assert run(["ls", m.path(prod_key(key))]).rc == 0
    emulator.reset_stats()
    for key, name in NAMES.items():
        r = write(m, prod_key(key), "backups/" + name)
        assert r.rc == 0, r
    for key, name in NAMES.items():
        wait_until(lambda: status(m, prod_key(key))["state"] == "succeeded",
                   what="backup of %s succeeded" % key)
        d = status(m, prod_key(key))
        assert d["object"] == "%s/backups/%s" % (namespace, name), d
    objs = {o["name"]: o for o in emulator.objects()
            if o["bucket"] == "backups"}
    for key, name in NAMES.items():
        assert name in objs, (name, sorted(objs))
        assert objs[name]["key_id"] == KEYS[key], objs[name]
    named = named_objects(emulator, namespace, "backups")
    by_name = {}
    for op, name, raw in named:
        # Encoded as the SDK does (a path keeps '/', a query value does
        # not), and never anything but the name.
        assert raw == quote(name, safe="/" if op == "HeadObject" else ""), \
            (op, raw, name)
        by_name.setdefault(name, set()).add(op)
    for name in NAMES.values():
        assert "ListObjects prefix" in by_name.get(name, ()), (name, named)
    assert any("ListObjects start" in ops for ops in by_name.values()), \
        named
    assert set(by_name) == set(NAMES.values()), named
    # Every BackupKey wrote one of these names: nothing was written that
    # the checks did not ask for.
    assert emulator.stats()["requests"]["BackupKey"] == len(NAMES)


def par_with_object(emulator, obj_path):
    """A bucket PAR URL with `obj_path` appended as written."""
    url = emulator.create_par("backups", access_type="AnyObjectWrite")[
        "fullUrl"]
    assert url.endswith("/o/")
    return url + obj_path


SEG = "has a '.' or '..' segment"
PAR_SEG = ("the URL path has '.' or '..' segments; write the URL as the "
           "pre-authenticated request gave it")


def test_dot_segments_refused_before_any_call(mount, emulator, namespace,
                                             register_output):
    key = prod_key("payments-master")
    register_output(REFUSED_LOG % KEYS["payments-master"])
    m = mount()
    assert run(["ls", m.path(key)]).rc == 0
    ns = namespace
    cases = [
        ("backups/x/../y", "invalid object name 'x/../y': it " + SEG),
        ("backups/../../etc/passwd",
         "invalid object name '../../etc/passwd': it " + SEG),
        ("backups/a/./b", "invalid object name 'a/./b': it " + SEG),
        ("backups/x/..", "invalid object name 'x/..': it " + SEG),
        ("backups/./x", "invalid object name './x': it " + SEG),
        ("oci://backups@%s/a/../b" % ns,
         "invalid object name 'a/../b': it " + SEG),
        (json.dumps({"destination": "BUCKET", "namespace": ns,
                     "bucketName": "backups", "objectName": "../k.bak"}),
         "invalid object name '../k.bak': it " + SEG),
        (par_with_object(emulator, "a/../b"), PAR_SEG),
        (par_with_object(emulator, "./b"), PAR_SEG),
        (par_with_object(emulator, "a/%2E%2E/b"),
         "invalid object name 'a/../b' in the URL: it " + SEG),
        (par_with_object(emulator, "a%2F%2e%2e%2Fb"),
         "invalid object name 'a/../b' in the URL: it " + SEG),
        (re.sub(r"/p/[^/]+/", "/p/../", par_with_object(emulator, "x")),
         PAR_SEG),
    ]
    for target, reason in cases:
        before = requests(emulator)
        r = write(m, key, target)
        assert_errno(r, errno.EINVAL)
        d = status(m, key)
        assert d["state"] == "failed" and d["errno"] == "EINVAL", d
        assert d["error"] == "InvalidTarget: " + reason, (target, d)
        assert calls_since(emulator, before) == {}, (target,
                                                     calls_since(emulator,
                                                                 before))
    assert "BackupKey" not in emulator.stats()["requests"]
    assert not [o for o in emulator.objects() if o["bucket"] == "backups"]


@pytest.mark.parametrize("template", ["{vault}/../{key_short}",
                                      "./{key_id}", "{key_short}/."])
def test_template_with_dot_segment_refused_at_mount(template, tmp_path,
                                                    emulator):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    opts = ["config=" + emulator.config, "endpoint=" + emulator.endpoint,
            "cacert=" + emulator.ca, "backup_name=" + template]
    p = subprocess.run([os.path.join(BUILD_ROOT, "ocivaultfs"), "-f", "-o",
                        ",".join(opts), str(mnt)],
                       capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    assert ("ocivaultfs: invalid backup_name '%s': the template gives the "
            "object name" % template) in p.stderr, p.stderr
    assert "which " + SEG in p.stderr, p.stderr


def oci_call(emu, *args):
    """The C client (tests/client/oci-call) once: (rc, stdout, stderr)."""
    argv = [os.path.join(BUILD_ROOT, "tests", "client", "oci-call"),
            "--config", emu.config, "--endpoint", emu.endpoint,
            "--cacert", emu.ca] + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("name", ["x/../y", "../../etc/passwd", "a/./b",
                                  "a b/%2E%2E/ü"])
def test_client_heads_the_object_backupkey_wrote(emulator, namespace, name):
    """Below the grammar, the client sends any name as built: BackupKey
    (the name in its JSON body) and HeadObject (the name in the path)
    reach the same object, also for names the grammar refuses; before,
    libcurl turned the HEAD of 'x/../y' into one of 'y' (404)."""
    info = emulator.info()
    mgmt = next(v for v in info["vaults"]
                if v["displayName"] == "prod-vault")["managementEndpoint"]
    rc, out, err = oci_call(emulator, "backup-key", mgmt,
                            KEYS["payments-master"],
                            "%s/backups/%s" % (namespace, name))
    assert rc == 0, (out, err)
    wait_until(lambda: any(o["name"] == name and
                           o["key_id"] == KEYS["payments-master"]
                           for o in emulator.objects()),
               what="object %r written" % name)
    emulator.reset_stats()
    rc, out, err = oci_call(emulator, "head-object", namespace, "backups",
                            name)
    assert rc == 0, (name, out, err)
    heads = [r for r in emulator.requests() if r["op"] == "HeadObject"]
    assert [r["path"] for r in heads] == [
        "/n/%s/b/backups/o/%s" % (namespace, quote(name, safe="/"))], heads


def test_daemon_head_names_the_backupkey_object(mount, emulator, namespace):
    """The daemon's own HeadObject: when the range listing that checks the
    backups of a bucket does not reach an object (2000 objects between
    two backups ending together), it HEADs it; the path is the object's
    name encoded as the SDK does, and finds what BackupKey wrote."""
    first, last = "a first/x.bak", "zz/ü 100%/..x/not-a-segment...bak"
    c = emulator.client()
    base = emulator.endpoint + "/n/%s/b/backups/o/" % namespace
    for i in range(2001):  # fillers sorting between the two names
        r = c.put(base + "m/%04d" % i, body=b"f", body_exempt=True)
        assert r.status == 200, r.status
    c.close()
    m = mount()
    keys = {prod_key("payments-master"): first, prod_key("hr-master"): last}
    for key in keys:
        assert run(["ls", m.path(key)]).rc == 0
    emulator.reset_stats()
    for key, name in keys.items():
        r = write(m, key, "backups/" + name)
        assert r.rc == 0, r
    for key, name in keys.items():
        wait_until(lambda: status(m, key)["state"] == "succeeded",
                   timeout=60, what="backup of %s succeeded" % key)
    heads = [r["path"] for r in emulator.requests()
             if r["op"] == "HeadObject"]
    assert heads == ["/n/%s/b/backups/o/%s" % (namespace,
                                               quote(last, safe="/"))], heads
    objs = [o for o in emulator.objects() if o["name"] == last]
    assert len(objs) == 1 and objs[0]["key_id"] == KEYS["hr-master"], objs
