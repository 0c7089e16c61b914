# SPDX-License-Identifier: MIT
"""The `backup` control file: every target form, the name template, the
writers users use, the states up to `succeeded` with the object in the
emulator, failures reported by the work request, the key-state fallback,
the retry token, and concurrent writers."""

import calendar
import concurrent.futures
import errno
import json
import os
import re
import subprocess
import time

import pytest

from fsutil import (DEV_PRIVATE_KEYS, KEYS, PAYMENTS_KEYS, PROD_KEYS,
                    REQUEST_ID, RFC3339, SHARED1, SHARED2, assert_errno,
                    bash, calls_since, check_status, prod_key, q, requests,
                    run, sh, wait_until)

REFUSED_LOG = r"^ocivaultfs: warning: backup of key '[^']+' \([^)]+\) refused: "


def write(m, key, text, shell=bash):
    """echo TEXT > KEY/backup, with bash (its message names the errno)."""
    return shell("echo %s > %s" % (q(text), q(m.path(key, "backup"))))


def cat(m, key, name):
    return run(["cat", m.path(key, name)], timeout=60)


def status(m, key):
    r = cat(m, key, "status")
    assert r.rc == 0, r
    return check_status(r.out)


def objects_by_key(emu):
    out = {}
    for o in emu.objects():
        out.setdefault(o["key_id"], []).append(o)
    return out


def utc(stamp):
    """YYYYmmddTHHMMSSZ -> seconds since the epoch."""
    return calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))


def check_succeeded(d, ns, bucket, obj, size, started=True):
    assert d["state"] == "succeeded", d
    assert d["origin"] == "this mount"
    assert d["progress"] == "100"
    assert d["object"] == "%s/%s/%s" % (ns, bucket, obj), d
    assert d["size"] == str(size), d
    assert re.fullmatch(r"ocid1\.kmsworkrequest\.oc1\.iad\.[a-z0-9.]+",
                        d["work_request"]), d
    assert re.fullmatch(REQUEST_ID, d["request_id"]), d
    for t in ("submitted", "started", "finished"):
        if t != "started" or started:
            assert re.fullmatch(RFC3339, d[t]), d
    assert d["submitted"] <= d["finished"]
    assert "tracking" not in d and "error" not in d and "errno" not in d
    assert d["eligible"] == "yes"


def test_every_target_form(mount, emulator, namespace):
    ns = namespace
    m = mount()
    obj_par = emulator.create_par("backups", "par-obj.bak")["fullUrl"]
    bucket_par = emulator.create_par("backups",
                                     access_type="AnyObjectWrite")["fullUrl"]
    bucket_par2 = emulator.create_par("archive",
                                      access_type="AnyObjectWrite")["fullUrl"]
    assert bucket_par.endswith("/o/")
    T = r"(\d{8}T\d{6}Z)"

    def default_name(key_name, key_id):
        # The default template: {time}-{key}-{key_short}.backup
        return r"%s-%s-%s\.backup" % (T, re.escape(key_name),
                                       re.escape(key_id[-12:]))
    # key dir -> (what is written, bucket, object regex, `target:`, PAR)
    forms = {
        prod_key("payments-master"): (
            "# the bucket form, with comments and blanks\n\n  backups  \r",
            "backups", default_name("payments-master", KEYS["payments-master"]), "backups", False),
        prod_key("hr-master"): (
            "backups/db/master.bak", "backups", r"db/master\.bak",
            "backups/db/master.bak", False),
        prod_key("app signing"): (
            "oci://archive@%s/x/app signing.bak" % ns, "archive",
            r"x/app signing\.bak", "oci://archive@%s/x/app signing.bak" % ns,
            False),
        prod_key("Équipe données"): (
            "OCI://backups@%s/" % ns, "backups",
            default_name("Équipe données", KEYS["Équipe données"]), "OCI://backups@%s/" % ns,
            False),
        prod_key(SHARED1): (
            obj_par, "backups", r"par-obj\.bak",
            re.sub(r"/p/[^/]+/", "/p/***/", obj_par), True),
        prod_key("ops／keys"): (
            bucket_par, "backups", default_name("ops_keys", KEYS["ops/keys"]),
            None, True),
        prod_key(SHARED2): (
            json.dumps({"destination": "BUCKET", "namespace": ns,
                        "bucketName": "backups",
                        "objectName": "json/loc.bak"}),
            "backups", r"json/loc\.bak", None, False),
        PAYMENTS_KEYS + "/card-data": (
            json.dumps({"backupLocation": {
                "destination": "PRE_AUTHENTICATED_REQUEST_URI",
                "uri": bucket_par2}}),
            "archive", default_name("card-data", KEYS["card-data"]), None, True),
        PAYMENTS_KEYS + "/signing-ec": (
            "# BackupKeyDetails over several lines\n" + json.dumps(
                {"backupLocation": {"destination": "BUCKET",
                                    "namespace": ns,
                                    "bucketName": "backups",
                                    "objectName": "json/ec.bak"}},
                indent=2),
            "backups", r"json/ec\.bak", None, False),
    }
    key_ids = {
        prod_key("payments-master"): KEYS["payments-master"],
        prod_key("hr-master"): KEYS["hr-master"],
        prod_key("app signing"): KEYS["app signing"],
        prod_key("Équipe données"): KEYS["Équipe données"],
        prod_key(SHARED1): KEYS["shared/1"],
        prod_key("ops／keys"): KEYS["ops/keys"],
        prod_key(SHARED2): KEYS["shared/2"],
        PAYMENTS_KEYS + "/card-data": KEYS["card-data"],
        PAYMENTS_KEYS + "/signing-ec": KEYS["signing-ec"],
    }
    assert run(["ls", m.path(PAYMENTS_KEYS), m.path(PROD_KEYS)]).rc == 0

    def one(key):
        text = forms[key][0]
        t0 = int(time.time())
        # printf: the text exactly, several lines included.
        w = sh("printf '%%s\\n' %s > %s" % (q(text),
                                            q(m.path(key, "backup"))))
        t1 = int(time.time())
        r = cat(m, key, "wait")
        return w, r, t0, t1

    with concurrent.futures.ThreadPoolExecutor(len(forms)) as ex:
        results = dict(zip(forms, ex.map(one, forms)))

    objs = objects_by_key(emulator)
    assert len(emulator.objects()) == len(forms)
    for key, (text, bucket, rx, target, is_par) in forms.items():
        w, r, t0, t1 = results[key]
        assert w.rc == 0, (key, w)
        assert r.rc == 0, (key, r)
        (o,) = objs[key_ids[key]]
        assert o["bucket"] == bucket, (key, o)
        mt = re.fullmatch(rx, o["name"])
        assert mt, (key, rx, o)
        if mt.groups():
            assert t0 - 1 <= utc(mt.group(1)) <= t1 + 1, (key, o)
        d = check_status(r.out)
        # PAR targets too: the user may read the bucket, so HeadObject
        # confirms the object.
        check_succeeded(d, ns, bucket, o["name"], o["size"])
        if is_par:
            assert "/p/***/" in d["target"], d
        if target is not None:
            assert d["target"] == target, (key, d)
        # `wait` and `status` agree once it is over (but for key_state,
        # which one ListKeys of the vault brings shortly after the end).
        def no_key_state(x):
            return {k: v for k, v in x.items() if k != "key_state"}
        assert no_key_state(status(m, key)) == no_key_state(d)
    # hr-master was DISABLED and is again.  Its state comes from one
    # ListKeys of its vault a few seconds after the end (gathered with the
    # other keys of that vault, never with keys of another vault that
    # share its bucket); until then status shows none, and never the
    # BACKUP_IN_PROGRESS that BackupKey's answer left.
    deadline = time.monotonic() + 30
    while True:
        d = status(m, prod_key("hr-master"))
        assert d.get("key_state", "DISABLED") == "DISABLED", d
        if "key_state" in d or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert d.get("key_state") == "DISABLED", d
    # PAR tokens are secrets: not in any status, the list or the log.
    tokens = [re.search(r"/p/([^/]+)/", u).group(1)
              for u in (obj_par, bucket_par, bucket_par2)]
    seen = m.output() + cat(m, ".ocivaultfs", "backups").out
    for key in forms:
        seen += cat(m, key, "status").out
    for tok in tokens:
        assert tok not in seen


def test_backup_name_template(mount, emulator, namespace):
    m = mount("backup_name={vault}/{compartment}/{key}-{key_short}-{date}.{{bak}}")
    key = prod_key("ops／keys")
    r = bash("echo backups > %s && cat %s" % (q(m.path(key, "backup")),
                                                q(m.path(key, "wait"))))
    assert r.rc == 0, r
    (o,) = emulator.objects()
    assert re.fullmatch(r"prod-vault/Production/ops_keys-%s-\d{8}\.\{bak\}"
                        % re.escape(KEYS["ops/keys"][-12:]), o["name"]), o
    assert check_status(r.out)["object"] == "%s/backups/%s" % (namespace,
                                                               o["name"])
    # {key_id} and a key in another vault and compartment.
    m2 = mount("backup_name=kms/{key_id}")
    key = DEV_PRIVATE_KEYS + "/test-key"
    r = bash("echo archive > %s && cat %s" % (q(m2.path(key, "backup")),
                                                q(m2.path(key, "wait"))))
    assert r.rc == 0, r
    names = sorted(o["name"] for o in emulator.objects())
    assert "kms/" + KEYS["test-key/private"] in names, names


def test_states_move_to_succeeded(mnt, emulator, namespace):
    emulator.set_config(backupSeconds=3)
    key = prod_key("payments-master")
    r = write(mnt, key, "backups")
    assert r.rc == 0, r
    seen = []
    progress = []
    while True:
        d = status(mnt, key)
        if not seen or seen[-1] != d["state"]:
            seen.append(d["state"])
        if d["state"] in ("accepted", "in_progress"):
            assert d["tracking"] == "work_request", d
            assert d["key_state"] == "BACKUP_IN_PROGRESS", d
            assert "finished" not in d and "size" not in d
            progress.append(int(d["progress"]))
        if d["state"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert seen[0] == "accepted" and seen[-1] == "succeeded", seen
    assert "in_progress" in seen, seen
    assert seen == [s for s in ("accepted", "in_progress", "succeeded")
                    if s in seen], seen
    assert progress == sorted(progress) and 0 < progress[-1] < 100
    (o,) = emulator.objects()
    check_succeeded(d, namespace, "backups", o["name"], o["size"])
    assert o["key_id"] == KEYS["payments-master"] and o["size"] > 0
    # The key's state comes from one ListKeys of its vault after the end.
    wait_until(lambda: status(mnt, key).get("key_state") == "ENABLED", 10)
    # One BackupKey; no GetKey per poll (GetWorkRequest); ListObjects
    # before (no such object yet) and after (the object is there).
    n = requests(emulator)
    assert n["BackupKey"] == 1 and n["ListObjects"] == 2, n
    assert "HeadObject" not in n and "GetKey" not in n, n
    assert n["GetWorkRequest"] >= 2


WRITERS = {
    "echo": "echo {t} > {f}",
    "printf": "printf %s {t} > {f}",
    "tee": "echo {t} | tee {f} > /dev/null",
    "cp": "echo {t} > {tmp} && cp {tmp} {f}",
    "dd": "echo {t} | dd of={f} status=none",
    "gio": "printf %s {t} | gio save {f}",
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_writers(writer, mount, emulator, tmp_path, register_output):
    register_output(REFUSED_LOG)
    m = mount()
    key = prod_key("payments-master")
    f = q(m.path(key, "backup"))
    tmp = q(str(tmp_path / "target.txt"))
    assert run(["ls", m.path(key)]).rc == 0
    # A refused target: the command fails and says why (EINVAL) ...
    before = requests(emulator)
    r = sh(WRITERS[writer].format(t=q("my bucket"), f=f, tmp=tmp))
    assert r.rc != 0, r
    if writer in ("tee", "cp", "dd", "gio"):
        assert os.strerror(errno.EINVAL) in r.err, r
    assert calls_since(emulator, before) == {}
    d = status(m, key)
    assert d["state"] == "failed" and d["errno"] == "EINVAL", d
    # ... and a good one starts exactly one backup.
    r = sh(WRITERS[writer].format(t=q("backups/" + writer), f=f, tmp=tmp))
    assert r.rc == 0, r
    r = cat(m, key, "wait")
    assert r.rc == 0, r
    d = check_status(r.out)
    assert d["state"] == "succeeded" and d["target"] == "backups/" + writer
    assert [o["name"] for o in emulator.objects()] == [writer]
    assert requests(emulator)["BackupKey"] == 1


def test_gio_save_falls_back_to_writing_in_place(mnt, emulator):
    key = prod_key("hr-master")
    # GLib tries a temporary file first; it must fail fast with EACCES.
    r = run(["touch", mnt.path(key, ".goutputstream-ABC123")])
    assert_errno(r, errno.EACCES)
    r = sh("printf 'backups/gio.bak\\n' | gio save %s && cat %s" % (
        q(mnt.path(key, "backup")), q(mnt.path(key, "wait"))))
    assert r.rc == 0, r
    assert r.elapsed < 20, r
    assert [o["name"] for o in emulator.objects()] == ["gio.bak"]


def test_shell_truncation_alone_does_nothing(mnt, emulator):
    key = prod_key("payments-master")
    assert run(["ls", mnt.path(key)]).rc == 0
    before = requests(emulator)
    for script in (": > {f}", "> {f}", "printf '' > {f}", "true >> {f}",
                   "truncate -s 0 {f}", "cat /dev/null > {f}",
                   "printf '# just a comment\\n\\n' > {f}"):
        r = sh(script.format(f=q(mnt.path(key, "backup"))))
        assert r.rc == 0, (script, r)
    assert calls_since(emulator, before) == {}
    assert status(mnt, key)["state"] == "none"
    assert emulator.objects() == []


def test_missing_bucket_fails(mnt, emulator, namespace, register_output):
    # The bucket is checked before BackupKey: the write itself fails.
    register_output(REFUSED_LOG)
    key = prod_key("app signing")
    before = emulator.stats()
    r = write(mnt, key, "no-such-bucket")
    assert_errno(r, errno.ENOENT)
    d = status(mnt, key)
    assert d["state"] == "failed", d
    assert d["object"].startswith(namespace + "/no-such-bucket/")
    assert re.fullmatch(r"BucketNotFound \(HTTP 404\): bucket 'no-such-bucket' does not "
                        r"exist in namespace '%s' .+ \[opc-request-id: %s\]"
                        % (namespace, REQUEST_ID), d["error"]), d
    assert d["errno"] == "ENOENT"
    assert re.fullmatch(RFC3339, d["finished"])
    assert "size" not in d and "work_request" not in d
    c = calls_since(emulator, before)
    assert c["ListObjects"] == 1 and "BackupKey" not in c, c
    assert emulator.objects() == []
    r = cat(mnt, key, "wait")
    assert_errno(r, errno.EIO)


def test_expired_par_fails(mnt, emulator):
    url = emulator.create_par("backups", "late.bak",
                              expires_in=-60)["fullUrl"]
    key = prod_key(SHARED2)
    r = write(mnt, key, url)
    assert r.rc == 0, r
    r = cat(mnt, key, "wait")
    assert_errno(r, errno.EIO)
    d = status(mnt, key)
    assert d["state"] == "failed", d
    assert re.fullmatch(r"NotFound: .+ \[opc-request-id: %s\]" % REQUEST_ID,
                        d["error"]), d
    assert d["errno"] == "EIO"
    assert "/p/***/" in d["target"] and "size" not in d
    assert emulator.objects() == []


def test_key_state_fallback_without_work_requests(mnt, emulator, namespace):
    emulator.set_config(workRequests=False, backupSeconds=2)
    key = prod_key("payments-master")
    r = write(mnt, key, "backups/fallback.bak")
    assert r.rc == 0, r
    d = wait_until(lambda: (lambda s: s if s.get("tracking") == "key_state"
                            else None)(status(mnt, key)), timeout=10,
                   what="tracking: key_state")
    assert d["state"] in ("accepted", "in_progress"), d
    assert d["key_state"] == "BACKUP_IN_PROGRESS", d
    r = cat(mnt, key, "wait")
    assert r.rc == 0, r
    d = check_status(r.out)
    (o,) = emulator.objects()
    # No work request: when it started is not known.
    check_succeeded(d, namespace, "backups", "fallback.bak", o["size"],
                    started=False)
    assert d["key_state"] == "ENABLED"
    n = requests(emulator)
    assert n["ListKeys"] >= 2 and n["BackupKey"] == 1


def test_key_state_tracking_of_two_vaults_one_bucket(mnt, emulator,
                                                     namespace):
    """Key states are fetched with one ListKeys per vault: two backups of
    keys of different vaults into one bucket are never batched together
    (the second key would be missing from the first vault's listing)."""
    emulator.set_config(workRequests=False, backupSeconds=2)
    keys = {prod_key("payments-master"): "two-a.bak",
            PAYMENTS_KEYS + "/card-data": "two-b.bak"}
    for key in keys:
        assert run(["ls", mnt.path(key)]).rc == 0
    r = bash(" & ".join("echo backups/%s > %s" % (name, q(mnt.path(key,
                                                                "backup")))
                        for key, name in keys.items()) + "; wait")
    assert r.rc == 0, r
    for key, name in keys.items():
        r = cat(mnt, key, "wait")
        assert r.rc == 0, (key, r)
        d = check_status(r.out)
        assert d["state"] == "succeeded", (key, d)
        assert d["key_state"] == "ENABLED", (key, d)
    assert sorted(o["name"] for o in emulator.objects()) == sorted(
        keys.values())


def test_one_backup_despite_503_after_acceptance(mnt, emulator):
    key = prod_key("payments-master")
    assert run(["ls", mnt.path(key)]).rc == 0
    emulator.faults([{"op": "BackupKey", "kind": "503", "count": 1,
                      "when": "after"}])
    r = write(mnt, key, "backups/once.bak")
    assert r.rc == 0, r
    r = cat(mnt, key, "wait")
    assert r.rc == 0, r
    assert check_status(r.out)["state"] == "succeeded"
    st = emulator.stats()
    assert st["requests"]["BackupKey"] == 2  # the 503, then the retry
    assert st["faults_injected"] == 1
    assert st["backups"]["started"] == 1
    assert [o["name"] for o in emulator.objects()] == ["once.bak"]
    assert len(emulator.workrequests()) == 1


def test_concurrent_writers_one_wins(mnt, emulator, register_output):
    register_output(REFUSED_LOG)
    emulator.set_config(backupSeconds=5)
    key = prod_key("payments-master")
    assert run(["ls", mnt.path(key)]).rc == 0
    f = q(mnt.path(key, "backup"))
    procs = [subprocess.Popen(
        ["bash", "-c", "echo backups/c%d.bak > %s" % (i, f)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(8)]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    winners = [r for r in results if r[0] == 0]
    losers = [r for r in results if r[0] != 0]
    assert len(winners) == 1, results
    for rc, err in losers:
        assert os.strerror(errno.EBUSY) in err, results
    assert requests(emulator)["BackupKey"] == 1
    d = status(mnt, key)
    assert d["state"] in ("accepted", "in_progress"), d
    assert re.fullmatch(RFC3339 + " EBUSY: a backup of this key is already "
                        "in flight", d["rejected"]), d
    assert re.fullmatch(r"backups/c\d\.bak", d["target"])


def test_multiline_json_from_a_file(mnt, emulator, namespace, tmp_path):
    target = tmp_path / "target.json"
    for key, obj, how in ((prod_key("payments-master"), "f/cat.bak",
                           "cat {t} > {f}"),
                          (prod_key("hr-master"), "f/cp.bak", "cp {t} {f}")):
        target.write_text(
            "# made by a script\n" + json.dumps(
                {"backupLocation": {"destination": "BUCKET",
                                    "namespace": namespace,
                                    "bucketName": "backups",
                                    "objectName": obj}}, indent=4) + "\n")
        r = sh(how.format(t=q(str(target)), f=q(mnt.path(key, "backup"))))
        assert r.rc == 0, r
    for key in (prod_key("payments-master"), prod_key("hr-master")):
        r = cat(mnt, key, "wait")
        assert r.rc == 0, r
    assert sorted(o["name"] for o in emulator.objects()) == ["f/cat.bak",
                                                             "f/cp.bak"]
