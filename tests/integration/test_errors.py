# SPDX-License-Identifier: MIT
"""Every errno of the write path (docs/ocivaultfs.md, "What a write
returns"), visible in the writing command's exit status and message and in
`status` with the OCI code, message, opc-request-id and the errno name."""

import errno
import os
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fsutil import (DEFAULT_KEYS, KEYS, REQUEST_ID, RFC3339, TENANCY,
                    assert_errno, bash, calls_since, check_status, prod_key,
                    q, requests, run, wait_until)

REFUSED_LOG = r"^ocivaultfs: warning: backup of key '[^']+' \(%s\) refused: "
KEY = prod_key("payments-master")


def write(m, key, text):
    return bash("echo %s > %s" % (q(text), q(m.path(key, "backup"))),
                timeout=60)


def status(m, key):
    r = run(["cat", m.path(key, "status")])
    assert r.rc == 0, r
    return check_status(r.out)


def failed_status(m, key, errname, error_rx):
    d = status(m, key)
    assert d["state"] == "failed", d
    assert d["origin"] == "this mount"
    assert re.fullmatch(error_rx, d["error"]), (error_rx, d)
    assert d["errno"] == errname, d
    assert re.fullmatch(RFC3339, d["submitted"]), d
    assert re.fullmatch(RFC3339, d["finished"]), d
    return d


def warm(m, key=KEY):
    assert run(["ls", m.path(key)]).rc == 0


def test_einval_malformed_target_makes_no_call(mnt, emulator,
                                               register_output):
    register_output(REFUSED_LOG % KEYS["payments-master"])
    warm(mnt)
    bad = {
        "my bucket": r"invalid bucket name 'my bucket' \(.+\)",
        "http://127.0.0.1/p/T/n/ns/b/b/o/x":
            r"http:// is refused: use the https:// URL of the "
            r"pre-authenticated request",
        "backups/": r"empty object name after 'BUCKET/' .+",
        "a\nb": r"more than one target \(lines 1 and 2\): .+",
        "oci://backups": r"an oci:// target needs '@' .+",
        '{"destination": "BUCKET"}': r"invalid JSON target: .+",
        "https://evil.example.com/p/T/n/ns/b/b/o/x":
            r"host 'evil\.example\.com' is not an Object Storage host .+",
    }
    before = requests(emulator)
    for text, why in bad.items():
        if "\n" in text:
            # bash's echo writes line by line; dd writes it all at once.
            r = bash("printf %%s %s | dd of=%s status=none" % (
                q(text), q(mnt.path(KEY, "backup"))))
        else:
            r = write(mnt, KEY, text)
        assert_errno(r, errno.EINVAL)
        failed_status(mnt, KEY, "EINVAL", r"InvalidTarget: " + why)
    assert calls_since(emulator, before) == {}
    # Nothing reached the log with a secret (the token of the PAR URLs).
    assert "/p/T/" not in mnt.output()


def test_ebusy_backup_in_flight(mnt, emulator, register_output):
    register_output(REFUSED_LOG % KEYS["payments-master"])
    emulator.set_config(backupSeconds=20)
    warm(mnt)
    r = write(mnt, KEY, "backups/first.bak")
    assert r.rc == 0, r
    first = status(mnt, KEY)
    before = requests(emulator)
    r = write(mnt, KEY, "backups/second.bak")
    assert_errno(r, errno.EBUSY)
    # The backup in flight keeps its status; the refusal is noted.
    d = status(mnt, KEY)
    assert d["state"] in ("accepted", "in_progress"), d
    assert d["target"] == "backups/first.bak"
    assert d["work_request"] == first["work_request"]
    assert re.fullmatch(RFC3339 + " EBUSY: a backup of this key is already "
                        "in flight", d["rejected"]), d
    assert "error" not in d and "errno" not in d
    # A malformed target meanwhile: EINVAL, also only noted.
    r = write(mnt, KEY, "bad bucket")
    assert_errno(r, errno.EINVAL)
    d = status(mnt, KEY)
    assert re.fullmatch(RFC3339 + r" EINVAL: invalid bucket name .+",
                        d["rejected"]), d
    assert d["target"] == "backups/first.bak"
    assert "BackupKey" not in calls_since(emulator, before)


def test_ebusy_backup_started_elsewhere(mount, emulator, register_output):
    """A backup started by someone else after the key was listed: OCI
    answers 409 IncorrectState."""
    register_output(REFUSED_LOG % KEYS["payments-master"])
    emulator.set_config(backupSeconds=20)
    m = mount("retries=1")
    warm(m)
    c = emulator.client()
    try:
        port = [v["port"] for v in emulator.info()["vaults"]
                if v["displayName"] == "prod-vault"][0]
        r = c.post("https://127.0.0.1:%d/20180608/keys/%s/actions/backup"
                   % (port, KEYS["payments-master"]),
                   json={"backupLocation": {
                       "destination": "BUCKET",
                       "namespace": emulator.info()["namespace"],
                       "bucketName": "backups", "objectName": "other.bak"}})
        assert r.status == 200, r
    finally:
        c.close()
    r = write(m, KEY, "backups/mine.bak")
    assert_errno(r, errno.EBUSY)
    # Not our failure: the other backup is followed (issue 8), the
    # refusal is noted.
    d = status(m, KEY)
    assert d["state"] == "in_progress" and d["origin"] == "elsewhere", d
    assert "error" not in d, d
    assert re.fullmatch(RFC3339 + r" EBUSY: the key is being backed up "
                        r"elsewhere: IncorrectState \(HTTP 409\): .+ "
                        r"\[opc-request-id: %s\]" % REQUEST_ID,
                        d["rejected"]), d
    assert requests(emulator)["BackupKey"] == 2


@pytest.mark.parametrize("key,why", [
    (prod_key("soft-key"), "SOFTWARE-protected keys cannot be backed up "
     "(only HSM keys)"),
    (DEFAULT_KEYS + "/default-hsm", "keys in DEFAULT vaults cannot be "
     "backed up (only keys in VIRTUAL_PRIVATE vaults)"),
    (prod_key("legacy-key"), "the key is PENDING_DELETION (only ENABLED or "
     "DISABLED keys can be backed up)"),
])
def test_eopnotsupp_ineligible_keys(key, why, mnt, emulator,
                                    register_output):
    register_output(REFUSED_LOG % r"[^']+")
    warm(mnt, key)
    before = requests(emulator)
    r = write(mnt, key, "backups")
    assert_errno(r, errno.EOPNOTSUPP)
    d = failed_status(mnt, key, "EOPNOTSUPP",
                      r"NotEligible: " + re.escape(why))
    assert d["eligible"] == "no, " + why
    assert d["target"] == "backups"
    # Known from the listing: no BackupKey call.
    assert "BackupKey" not in calls_since(emulator, before)


def test_eopnotsupp_when_oci_refuses(mount, emulator, register_output):
    """The key was scheduled for deletion after it was listed: BackupKey
    answers 409 and a fresh look at the key says why."""
    register_output(REFUSED_LOG % KEYS["payments-master"])
    m = mount("retries=1")
    warm(m)
    emulator.admin("POST", "/_emulator/keys/" + KEYS["payments-master"],
                   {"lifecycleState": "PENDING_DELETION"})
    r = write(m, KEY, "backups")
    assert_errno(r, errno.EOPNOTSUPP)
    why = ("the key is PENDING_DELETION (only ENABLED or DISABLED keys can "
           "be backed up)")
    d = failed_status(m, KEY, "EOPNOTSUPP", r"NotEligible \(HTTP 409\): " +
                      re.escape(why) + r" \[opc-request-id: %s\]" % REQUEST_ID)
    assert d["eligible"] == "no, " + why
    assert d["key_state"] == "PENDING_DELETION"


def test_enoent_key_deleted_after_listing(mnt, emulator, register_output):
    register_output(REFUSED_LOG % KEYS["payments-master"])
    warm(mnt)
    emulator.admin("DELETE", "/_emulator/keys/" + KEYS["payments-master"])
    before = requests(emulator)
    r = write(mnt, KEY, "backups/x.bak")
    assert_errno(r, errno.ENOENT)
    failed_status(mnt, KEY, "ENOENT", r"NotAuthorizedOrNotFound \(HTTP 404\)"
                  r": .+ \[opc-request-id: %s\]" % REQUEST_ID)
    # The object check, BackupKey, then one ListKeys to tell "gone" from
    # "not authorized".
    assert calls_since(emulator, before) == {"GetNamespace": 1,
                                             "ListObjects": 1,
                                             "BackupKey": 1, "ListKeys": 1}


@pytest.fixture
def other_user(emulator, tmp_path):
    """A user of its own (so that its access can be taken away without
    disturbing the others) with a config file; returns (config, revoke)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    u = emulator.register_user(pub, access="default")
    key_file = tmp_path / "user.pem"
    key_file.write_bytes(pem)
    os.chmod(key_file, 0o600)
    config = tmp_path / "config"
    config.write_text("[DEFAULT]\nuser=%s\nfingerprint=%s\nkey_file=%s\n"
                      "tenancy=%s\nregion=us-ashburn-1\n" % (
                          u["user"], u["fingerprint"], key_file, TENANCY))

    def revoke():
        emulator.register_user(pub, user=u["user"],
                               fingerprint=u["fingerprint"], access="none")
    return str(config), revoke


def test_eacces_not_authorized(mount, emulator, other_user, register_output):
    register_output(REFUSED_LOG % KEYS["payments-master"])
    config, revoke = other_user
    m = mount("retries=1", config=config)
    warm(m)
    # A PAR target: the bucket check cannot refuse it first (it is best
    # effort for PARs), so BackupKey's own refusal is what shows.
    url = emulator.create_par("backups", "x.bak")["fullUrl"]
    revoke()
    r = write(m, KEY, url)
    assert_errno(r, errno.EACCES)
    failed_status(m, KEY, "EACCES", r"NotAuthorizedOrNotFound \(HTTP 404\)"
                  r": .+ \[opc-request-id: %s\]" % REQUEST_ID)


def test_eagain_throttled(mount, emulator, register_output):
    register_output(REFUSED_LOG % KEYS["payments-master"])
    m = mount("retries=2")
    warm(m)
    emulator.faults([{"op": "BackupKey", "kind": "429"}])
    r = write(m, KEY, "backups")
    assert_errno(r, errno.EAGAIN)
    failed_status(m, KEY, "EAGAIN", r"TooManyRequests \(HTTP 429\): .+ "
                  r"\[opc-request-id: %s\]" % REQUEST_ID)
    assert requests(emulator)["BackupKey"] == 2  # retried once
    assert emulator.stats()["backups"]["started"] == 0


def test_eio_service_error(mount, emulator, register_output):
    register_output(REFUSED_LOG % KEYS["payments-master"])
    m = mount("retries=1")
    warm(m)
    emulator.faults([{"op": "BackupKey", "kind": "500"}])
    r = write(m, KEY, "backups")
    assert_errno(r, errno.EIO)
    failed_status(m, KEY, "EIO", r"InternalServerError \(HTTP 500\): .+ "
                  r"\[opc-request-id: %s\]" % REQUEST_ID)
    assert emulator.stats()["backups"]["started"] == 0


def test_etimedout(mount, emulator, register_output):
    register_output(REFUSED_LOG % KEYS["payments-master"])
    m = mount("retries=1", "timeout=2")
    warm(m)
    emulator.faults([{"op": "BackupKey", "kind": "delay:4", "count": 1}])
    r = write(m, KEY, "backups")
    assert_errno(r, errno.ETIMEDOUT)
    assert r.elapsed < 4, r
    failed_status(m, KEY, "ETIMEDOUT", r"timeout: .+ "
                  r"\[opc-request-id: [0-9A-Z]{32}\]")
    # The delayed request still runs in the emulator: let it finish before
    # the next test resets it.
    wait_until(lambda: emulator.stats()["backups"]["started"] == 1,
               timeout=10, what="the delayed BackupKey")


def test_econnrefused(mount, emulator_factory, register_output):
    register_output(REFUSED_LOG % KEYS["payments-master"])
    emu = emulator_factory()
    m = mount("retries=1", emu=emu)
    warm(m)
    emu.stop(remove=False)
    # The namespace lookup (bucket form) and BackupKey (oci:// form).
    for target in ("backups", "oci://backups@ns/x.bak"):
        r = write(m, KEY, target)
        assert_errno(r, errno.ECONNREFUSED)
        failed_status(m, KEY, "ECONNREFUSED", r"connection refused: .+ "
                      r"\[opc-request-id: [0-9A-Z]{32}\]")
    # status and listings still answer from what is known.
    assert run(["ls", m.path(prod_key(""))]).rc == 0
