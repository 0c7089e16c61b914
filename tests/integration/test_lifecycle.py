# SPDX-License-Identifier: MIT
"""Start-up failures (one line, exit 1, nothing mounted), unmounting with
fusermount3 and signals (exit 0, also with a backup in flight), and a slow
API call that does not block the rest of the filesystem."""

import datetime
import os
import re
import signal
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import (OCIVAULTFS, SLOW, daemon_argv, daemon_env,
                      emulator_options, is_mounted)
from fsutil import (PAYMENTS_KEYS, PROD, prod_key, q, run, wait_until)
from pylib.emulator import scratch_dir


def start_fails(opts, timeout=30):
    """Run the daemon expecting a start-up failure; returns stderr lines."""
    mnt = scratch_dir("ovfs-mnt-")
    try:
        t0 = time.monotonic()
        proc = subprocess.run(daemon_argv(opts, (), mnt),
                              capture_output=True, text=True,
                              timeout=timeout * SLOW, env=daemon_env(),
                              stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - t0
        assert proc.returncode == 1, proc
        assert proc.stdout == "", proc
        assert not is_mounted(mnt) and os.listdir(mnt) == []
        return proc.stderr.splitlines(), elapsed
    finally:
        subprocess.run(["fusermount3", "-u", "-z", "-q", mnt],
                       capture_output=True)
        os.rmdir(mnt)


def edited_config(emulator, tmp_path, **changes):
    out = []
    section = None
    with open(emulator.config) as f:
        for line in f:
            if line.startswith("["):
                section = line.strip()
            name = line.split("=", 1)[0].strip()
            if section == "[DEFAULT]" and name in changes:
                line = "%s=%s\n" % (name, changes[name])
            out.append(line)
    path = tmp_path / "config"
    path.write_text("".join(out))
    return str(path)


def other_ca(tmp_path):
    """A CA certificate that did not sign the emulator's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    path = tmp_path / "other-ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def test_unknown_profile(emulator):
    lines, _ = start_fails(emulator_options(emulator, profile="NOPE"))
    assert lines == ["ocivaultfs: profile 'NOPE' not found in '%s'"
                     % emulator.config]


def test_unreadable_key_file(emulator, tmp_path):
    missing = str(tmp_path / "missing.pem")
    config = edited_config(emulator, tmp_path, key_file=missing)
    lines, _ = start_fails(emulator_options(emulator, config=config))
    assert lines == ["ocivaultfs: cannot read key file '%s': No such file "
                     "or directory" % missing]
    # A directory where the key should be.
    config = edited_config(emulator, tmp_path, key_file=str(tmp_path))
    lines, _ = start_fails(emulator_options(emulator, config=config))
    assert len(lines) == 1 and lines[0].startswith(
        "ocivaultfs: cannot read key file '%s': " % tmp_path), lines


def test_wrong_fingerprint(emulator, tmp_path):
    fp = "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"
    config = edited_config(emulator, tmp_path, fingerprint=fp)
    lines, _ = start_fails(emulator_options(emulator, config=config))
    # The loader's warning names both fingerprints; then the one error.
    assert len(lines) == 2, lines
    assert re.fullmatch(r"ocivaultfs: warning: fingerprint '%s' of profile "
                        r"'DEFAULT' does not match key file '.+'.*" % fp,
                        lines[0]), lines
    assert re.fullmatch(r"ocivaultfs: authentication failed: "
                        r"NotAuthenticated \(HTTP 401\): .+ "
                        r"\[opc-request-id: [0-9A-Z/]+\]; check 'fingerprint' "
                        r"and 'key_file' of profile 'DEFAULT' in '%s'"
                        % re.escape(config), lines[1]), lines
    assert emulator.stats()["unauthorized"] == 1


def test_unreachable_endpoint(emulator):
    opts = emulator_options(emulator)
    opts[1] = "endpoint=https://127.0.0.1:1"
    lines, elapsed = start_fails(opts)
    assert len(lines) == 1, lines
    assert lines[0].startswith("ocivaultfs: cannot reach https://127.0.0.1:1:"
                               " connection refused: "), lines
    # Fails fast: no minute of backoff before saying so.
    assert elapsed < 15 * SLOW, elapsed


def test_wrong_ca(emulator, tmp_path):
    host = emulator.endpoint
    lines, _ = start_fails(emulator_options(emulator, cacert=False))
    assert len(lines) == 1, lines
    assert re.fullmatch(r"ocivaultfs: TLS verification of %s failed: TLS "
                        r"failure: .+ \(use -o cacert=PATH for a private CA\)"
                        % re.escape(host), lines[0]), lines
    lines, _ = start_fails(emulator_options(emulator,
                                            cacert=other_ca(tmp_path)))
    assert len(lines) == 1, lines
    assert re.fullmatch(r"ocivaultfs: TLS verification of %s failed: TLS "
                        r"failure: .+ \(check cacert=\)" % re.escape(host),
                        lines[0]), lines


def test_invalid_options(emulator):
    lines, _ = start_fails(emulator_options(emulator) +
                           ["backup_name={key}-{when}"])
    assert lines == ["ocivaultfs: invalid backup_name '{key}-{when}': "
                     "unknown placeholder '{when}' in the template (known: "
                     "{key} {key_id} {key_short} {vault} {vault_id} {vault_short} "
                     "{compartment} {time} {date}, "
                     "and {{ }} for braces)"]
    lines, _ = start_fails(emulator_options(emulator) + ["cache_ttl=0"])
    assert lines == ["ocivaultfs: cache_ttl must be 1..86400 seconds"]
    # Nothing was called for these.
    assert "GetTenancy" not in emulator.stats()["requests"]


def test_libfuse_messages_use_our_sink(emulator):
    # An option nobody knows is refused by libfuse itself: its message
    # comes through the daemon's logger (stderr here, syslog when
    # daemonized), in the same format as ours.
    lines, _ = start_fails(emulator_options(emulator) + ["no_such_opt=1"])
    assert any(re.fullmatch(r"ocivaultfs: error: fuse: unknown option.*"
                            r"no_such_opt=1.*", line) for line in lines), lines


def test_version_and_help():
    r = run([OCIVAULTFS, "--version"])
    assert r.rc == 0 and re.match(r"ocivaultfs \S+\n", r.out), r
    r = run([OCIVAULTFS, "-h"])
    assert r.rc == 0 and "-o backup_name=" in r.out, r


def test_unmount_with_backup_in_flight(mnt, emulator):
    emulator.set_config(backupSeconds=30)
    key = prod_key("payments-master")
    r = run(["bash", "-c", "echo backups > " + q(mnt.path(key, "backup"))])
    assert r.rc == 0, r
    assert "state: accepted" in run(["cat", mnt.path(key, "status")]).out
    t0 = time.monotonic()
    mnt.umount(timeout=10)
    assert time.monotonic() - t0 < 5 * SLOW
    # The backup goes on in OCI.
    assert emulator.stats()["backups"]["started"] == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_unmount_cleanly(sig, mnt, emulator):
    emulator.set_config(backupSeconds=30)
    key = prod_key("payments-master")
    r = run(["bash", "-c", "echo backups > " + q(mnt.path(key, "backup"))])
    assert r.rc == 0, r
    # Someone waits on the backup in the mount meanwhile.
    waiter = subprocess.Popen(["cat", mnt.path(key, "wait")],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    assert waiter.poll() is None
    t0 = time.monotonic()
    mnt.proc.send_signal(sig)
    assert mnt.wait_exit(timeout=10) == 0, mnt.output()
    assert time.monotonic() - t0 < 5 * SLOW
    assert not is_mounted(mnt.mnt)
    assert waiter.wait(timeout=10) != 0


def test_slow_call_does_not_block_others(mnt, emulator):
    key = prod_key("payments-master")
    assert run(["ls", mnt.path(key)]).rc == 0
    emulator.faults([{"op": "BackupKey", "kind": "delay:4", "count": 1}])
    writer = subprocess.Popen(
        ["bash", "-c", "echo backups/slow.bak > " +
         q(mnt.path(key, "backup"))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: emulator.stats()["faults_injected"] == 1,
                   timeout=10, what="BackupKey reaching the emulator")
        # The write is blocked on the network; everything else answers,
        # including a cold listing that needs API calls of its own.
        t0 = time.monotonic()
        for argv in (["ls", "-l", mnt.path(PAYMENTS_KEYS)],
                     ["ls", mnt.path(PROD + "/compartments/HR/vaults")],
                     ["cat", mnt.path(key, "status"),
                      mnt.path(".ocivaultfs", "stats")],
                     ["ls", mnt.path(key)]):
            r = run(argv, timeout=10)
            assert r.rc == 0, r
        assert time.monotonic() - t0 < 2 * SLOW
        assert writer.poll() is None, "the write was not slow"
        st = run(["cat", mnt.path(key, "status")]).out
        assert st.startswith("state: submitting\n"), st
    finally:
        out, err = writer.communicate(timeout=30)
    assert writer.returncode == 0, err
    r = run(["cat", mnt.path(key, "wait")])
    assert r.rc == 0 and "state: succeeded" in r.out, r
