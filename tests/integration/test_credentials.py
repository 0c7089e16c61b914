# SPDX-License-Identifier: MIT
"""Credentials (issue 11, point 6; docs/configuration.md "Credentials"):

* `ocivaultfs --check` without a mount point: what the profile can see,
  compared with the emulator's own view; exit 0, or 1 with one line on
  stderr (bad key, 401, unreachable), 2 when a listing fails; no mount;
* `-o pass_phrase_command=CMD` and `-o pass_phrase_stdin` for an
  encrypted key: the pass phrase never in an argv or a child's
  environment, nor in the daemon's memory after start-up (root only);
* session tokens: a changed token file (and key file) is read again
  before the next request; a session the service ended (401) and a token
  whose JWT exp is past give "session expired: run `oci session
  authenticate`" in KEY/status and the log."""

import hashlib
import os
import re
import secrets
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import OCIVAULTFS, daemon_env, emulator_options, is_mounted
from fsutil import (COMPARTMENTS, KEYS, TENANCY, bash, check_status,
                    prod_key, q, run, wait_until)

KEY = prod_key("payments-master")
EXPIRED = "session expired: run `oci session authenticate`"
EXPIRED_LOG = r"^ocivaultfs: notice: \w+: session expired: run "
REFUSED_LOG = r"^ocivaultfs: warning: backup of key '[^']+' \(%s\) refused: " % \
    KEYS["payments-master"]


def check(emu, *options, config=None, profile=None, input=None, env=None):
    """`ocivaultfs --check -o ...` -> CompletedProcess (text)."""
    opts = emulator_options(emu, config, profile) + list(options)
    full_env = daemon_env()
    if env:
        full_env.update(env)
    r = subprocess.run([OCIVAULTFS, "--check", "-o", ",".join(opts)],
                       input=input, capture_output=True, text=True,
                       env=full_env, timeout=60,
                       stdin=None if input is not None
                       else subprocess.DEVNULL)
    # a sanitizer build: reports (leaks at exit included) fail the test
    assert not re.search(r"Sanitizer|runtime error:", r.stderr), r.stderr
    return r


def report(out):
    """The `name: value` lines of a --check report."""
    d = {}
    for line in out.splitlines():
        name, sep, value = line.partition(": ")
        assert sep, "not a 'name: value' line: %r" % line
        assert name not in d, line
        d[name] = value
    return d


def one_line(r):
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ocivaultfs: "), r.stderr
    return lines[0]


# -- --check ---------------------------------------------------------------

def test_check_reports_what_the_key_sees(emulator, tmp_path):
    r = check(emulator)
    assert r.returncode == 0, r
    d = report(r.stdout)
    info = emulator.info()
    assert d["tenancy"].startswith(info["tenancyId"] + " (")
    assert d["region"] == "us-ashburn-1"
    assert d["user"].startswith("ocid1.user.")
    assert d["endpoint"].startswith("identity " + emulator.endpoint)
    assert d["auth"].startswith("API key ")
    assert d["check"] == "ok"
    # the compartments the emulator lets this user see
    m = re.fullmatch(r"(\d+): (.*)", d["compartments"])
    assert m, d
    names = m.group(2).split(", ")
    assert int(m.group(1)) == len(names)
    assert "Production" in names and "Payments" in names
    assert "Restricted" not in names  # not accessible to DEFAULT
    m = re.fullmatch(r"(\d+) in (\d+) compartments: (.*)", d["vaults"])
    assert m, d
    vnames = [re.sub(r" \(\w+\)$", "", v) for v in m.group(3).split(", ")]
    assert int(m.group(1)) == len(vnames)
    assert int(m.group(2)) == len(names) + 1
    assert "prod-vault" in vnames and "payments-vault" in vnames
    # a mount point given anyway is not mounted
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    opts = emulator_options(emulator)
    r2 = subprocess.run([OCIVAULTFS, "--check", "-o", ",".join(opts),
                         str(mnt)], capture_output=True, text=True,
                        env=daemon_env(), timeout=60,
                        stdin=subprocess.DEVNULL)
    assert r2.returncode == 0, r2
    assert report(r2.stdout) == d
    assert not is_mounted(str(mnt))


def test_check_compartment_root(emulator):
    r = check(emulator, "compartment=" + COMPARTMENTS["Production"])
    assert r.returncode == 0, r
    d = report(r.stdout)
    assert d["root"] == COMPARTMENTS["Production"] + " (Production)", d
    assert d["tenancy"] == TENANCY, d
    # the root's children only: Payments and HR are below Production
    m = re.fullmatch(r"(\d+) \(children of the root\): (.*)",
                     d["compartments"])
    assert m, d
    assert sorted(m.group(2).split(", ")) == ["HR", "Payments"], d
    assert "prod-vault" in d["vaults"] and "dev-vault" not in d["vaults"]


def test_check_session_profile(emulator):
    r = check(emulator, profile="SESSION")
    assert r.returncode == 0, r
    d = report(r.stdout)
    assert re.match(r"session token .+, key .+, expires "
                    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", d["auth"]), d


def test_check_failures_are_one_line(emulator, tmp_path):
    # a key the service does not know: 401
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "other.pem"
    key_file.write_bytes(k.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    os.chmod(key_file, 0o600)
    cfg = tmp_path / "config"
    text = open(emulator.config).read()
    der = k.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    fp = ":".join("%02x" % b for b in hashlib.md5(der).digest())
    text = re.sub(r"(\[DEFAULT\][^\[]*?key_file=)[^\n]*",
                  lambda m: m.group(1) + str(key_file), text)
    text = re.sub(r"(\[DEFAULT\][^\[]*?fingerprint=)[^\n]*",
                  lambda m: m.group(1) + fp, text)
    cfg.write_text(text)
    os.chmod(cfg, 0o600)
    r = check(emulator, config=str(cfg))
    assert r.returncode == 1, r
    assert "authentication failed" in one_line(r), r.stderr
    assert r.stdout == ""
    # unreachable
    opts = ["config=" + emulator.config, "endpoint=https://127.0.0.1:1",
            "cacert=" + emulator.ca, "retries=1"]
    r = subprocess.run([OCIVAULTFS, "--check", "-o", ",".join(opts)],
                       capture_output=True, text=True, env=daemon_env(),
                       timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 1, r
    assert "cannot reach https://127.0.0.1:1" in one_line(r)
    # no key file
    cfg.write_text(text.replace(str(key_file), str(tmp_path / "none.pem")))
    r = check(emulator, config=str(cfg))
    assert r.returncode == 1, r
    assert "none.pem" in one_line(r)
    # a listing refused after the signed call worked: 2
    r = check(emulator, profile="NOACCESS")
    assert r.returncode == 2, r
    assert "cannot list compartments" in one_line(r)
    assert "compartments: cannot list: NotAuthorizedOrNotFound" in r.stdout


def test_mount_point_still_required_without_check(emulator):
    opts = emulator_options(emulator)
    r = subprocess.run([OCIVAULTFS, "-o", ",".join(opts)],
                       capture_output=True, text=True, env=daemon_env(),
                       timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "no mountpoint" in r.stderr, r


# -- pass phrases ----------------------------------------------------------

@pytest.fixture
def encrypted(emulator, tmp_path):
    """(config without pass_phrase, pass phrase) of a registered user with
    an encrypted key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    phrase = "pp-" + secrets.token_urlsafe(18)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
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
                      "tenancy=%s\nregion=us-ashburn-1\n" % (
                          u["user"], u["fingerprint"], key_file, TENANCY))
    os.chmod(config, 0o600)
    return str(config), phrase


def test_pass_phrase_command(emulator, encrypted, tmp_path):
    config, phrase = encrypted
    secret = tmp_path / "phrase"
    secret.write_text(phrase + "\n")
    os.chmod(secret, 0o600)
    envdump = tmp_path / "env"
    argdump = tmp_path / "args"
    # the command sees no pass phrase in its argv nor its environment
    cmd = "cat /proc/$$/environ > %s; cat /proc/$$/cmdline > %s; cat %s" % (
        envdump, argdump, secret)
    r = check(emulator, "pass_phrase_command=" + cmd.replace(",", "\\,"),
              config=config)
    assert r.returncode == 0, r
    assert report(r.stdout)["check"] == "ok"
    for f in (envdump, argdump):
        data = f.read_bytes()
        assert data and phrase.encode() not in data, f
    # without it: encrypted, no pass phrase, no terminal
    r = check(emulator, config=config)
    assert r.returncode == 1 and "is encrypted" in one_line(r), r
    # failures: exit status, wrong phrase, too long, nothing printed
    r = check(emulator, "pass_phrase_command=echo %s; exit 3" % phrase,
              config=config)
    assert r.returncode == 1, r
    assert "is encrypted and pass_phrase_command: exited with status 3" \
        in one_line(r)
    assert phrase not in r.stderr + r.stdout
    r = check(emulator, "pass_phrase_command=echo wrong", config=config)
    assert r.returncode == 1 and "wrong pass phrase" in one_line(r), r
    r = check(emulator, "pass_phrase_command=head -c 5000 /dev/zero",
              config=config)
    assert r.returncode == 1 and "longer than 1023 bytes" in one_line(r), r
    r = check(emulator, "pass_phrase_command=true", config=config)
    assert r.returncode == 1 and "printed no pass phrase" in one_line(r), r
    r = check(emulator, "pass_phrase_command=cat %s" % secret,
              "pass_phrase_stdin", config=config)
    assert r.returncode == 1 and "exclude each other" in one_line(r), r


def test_pass_phrase_command_wins_over_config(emulator, encrypted,
                                              tmp_path):
    config, phrase = encrypted
    with open(config, "a") as f:
        f.write("pass_phrase=not-the-phrase\n")
    r = check(emulator, config=config)
    assert r.returncode == 1 and "wrong pass phrase" in r.stderr, r
    r = check(emulator, "pass_phrase_command=printf %s" % q(phrase),
              config=config)
    assert r.returncode == 0, r


def test_pass_phrase_stdin(emulator, encrypted):
    config, phrase = encrypted
    r = check(emulator, "pass_phrase_stdin", config=config,
              input=phrase + "\n")
    assert r.returncode == 0, r
    r = check(emulator, "pass_phrase_stdin", config=config,
              input=phrase + "\r\nmore lines\n")
    assert r.returncode == 0, r
    r = check(emulator, "pass_phrase_stdin", config=config, input="")
    assert r.returncode == 1, r
    assert "no pass phrase on standard input" in one_line(r)
    r = check(emulator, "pass_phrase_stdin", config=config,
              input="wrong\n")
    assert r.returncode == 1 and "wrong pass phrase" in r.stderr, r


def test_mount_with_pass_phrase_command(mount, emulator, encrypted,
                                        tmp_path):
    """A real mount: the pass phrase is read once, then not in the
    daemon's argv, environment or (as root) memory."""
    config, phrase = encrypted
    secret = tmp_path / "phrase"
    secret.write_text(phrase)
    os.chmod(secret, 0o600)
    m = mount("pass_phrase_command=cat " + str(secret), config=config)
    assert run(["ls", m.path(KEY)]).rc == 0
    pid = m.proc.pid
    for f in ("cmdline", "environ"):
        with open("/proc/%d/%s" % (pid, f), "rb") as fh:
            assert phrase.encode() not in fh.read()
    if os.getuid() == 0:
        from test_secrets import scan_memory
        found = scan_memory(pid, {"pass phrase": phrase.encode()})
        assert not found, found


# -- session tokens --------------------------------------------------------

@pytest.fixture
def session(emulator, tmp_path):
    """A copy of the emulator's SESSION profile with its own token and key
    files: (config, token file, key file)."""
    text = open(emulator.config).read()
    sect = re.search(r"\[SESSION\]\n(.*?)(?:\n\n|\Z)", text, re.S).group(1)
    kv = dict(line.split("=", 1) for line in sect.splitlines())
    token_file = tmp_path / "token"
    key_file = tmp_path / "key.pem"
    shutil.copy(kv["key_file"], key_file)
    os.chmod(key_file, 0o600)
    token_file.write_text(emulator.new_session(ttl=3600)["token"])
    config = tmp_path / "config"
    config.write_text("[DEFAULT]\nkey_file=%s\ntenancy=%s\nregion=%s\n"
                      "security_token_file=%s\n" % (
                          key_file, kv["tenancy"], kv["region"], token_file))
    os.chmod(config, 0o600)
    return str(config), token_file, key_file


def replace_file(path, data):
    """As the OCI CLI does: a new file renamed over the old one."""
    tmp = str(path) + ".new"
    with open(tmp, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)


def backup_status(m):
    r = run(["cat", m.path(KEY, "status")])
    assert r.rc == 0, r
    return check_status(r.out)


def test_session_refresh_and_expiry(mount, emulator, session,
                                    register_output):
    register_output(REFUSED_LOG)
    config, token_file, key_file = session
    m = mount("cache_ttl=1", config=config)
    assert run(["ls", m.path(KEY)]).rc == 0
    first = token_file.read_text()

    # the service ends the session: 401 -> "session expired" in status
    emulator.expire_session(first)
    r = bash("echo backups > %s" % q(m.path(KEY, "backup")))
    assert r.rc != 0, r
    d = backup_status(m)
    assert d["state"] == "failed", d
    assert EXPIRED in d["error"], d
    assert re.search(EXPIRED_LOG, m.output(), re.M), m.output()

    # `oci session refresh`: a new token in the same file, read before the
    # next request without a remount
    emulator.reset_stats()
    replace_file(token_file, emulator.new_session(ttl=3600)["token"])
    r = bash("echo backups > %s" % q(m.path(KEY, "backup")))
    assert r.rc == 0, r
    d = wait_until(lambda: (lambda s: s if s["state"] in ("succeeded",
                                                          "failed")
                            else None)(backup_status(m)),
                   timeout=60, what="backup finished")
    assert d["state"] == "succeeded", d
    assert "read the changed security token file" in m.output()
    objs = [o for o in emulator.objects()
            if o["bucket"] == "backups" and
            KEYS["payments-master"][-12:] in o["name"]]
    assert objs, emulator.objects()

    # `oci session authenticate`: a new key pair and a new token
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = k.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    replace_file(key_file, k.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    replace_file(token_file, emulator.new_session(publicKey=pub)["token"])
    assert run(["ls", m.path("compartments")]).rc == 0
    wait_until(lambda: run(["cat", m.path(KEY, "key.json")]).rc == 0,
               what="a signed read with the new key")
    assert "loaded the changed key file" in m.output()


def test_session_jwt_expired(mount, emulator, session, register_output):
    """A token whose JWT exp is past is not sent: the error says why."""
    register_output(REFUSED_LOG)
    config, token_file, key_file = session
    # at start-up: --check and mount fail in one line, no request sent
    replace_file(token_file, emulator.new_session(ttl=-60)["token"])
    emulator.reset_stats()
    r = check(emulator, config=config)
    assert r.returncode == 1, r
    assert EXPIRED in one_line(r), r.stderr
    assert sum(emulator.stats()["requests"].values()) == 0
    # while mounted: the token file changes to an expired token
    replace_file(token_file, emulator.new_session(ttl=3600)["token"])
    m = mount("cache_ttl=1", config=config)
    assert run(["ls", m.path(KEY)]).rc == 0
    replace_file(token_file, emulator.new_session(ttl=-60)["token"])
    emulator.reset_stats()
    r = bash("echo backups > %s" % q(m.path(KEY, "backup")))
    assert r.rc != 0, r
    d = backup_status(m)
    assert d["state"] == "failed", d
    assert d["error"].startswith(EXPIRED), d
    assert d["errno"] == "EKEYEXPIRED", d
    assert emulator.stats()["requests"].get("BackupKey", 0) == 0
    assert re.search(EXPIRED_LOG, m.output(), re.M), m.output()
    assert is_mounted(m.mnt)
