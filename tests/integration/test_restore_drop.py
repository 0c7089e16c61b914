# SPDX-License-Identifier: MIT
"""Drop directories (issue 10): the FUSE mechanics of `restore.d/` and
`restore-vault.d/` (docs/restore.md, "Drop directories").  These tests
cover what the drop directory itself does: what may be created where
and by whom, when a file is submitted, the size bound, that a refused
file leaves nothing, and that each tool's copy of a real backup restores
the key (test_restore.py has the rest of the round trip)."""

import errno
import os
import shutil

import pytest

from fsutil import KEYS, PROD, PROD_KEYS, PROD_VAULT, prod_key, run

DROP = PROD_VAULT + "/restore.d"
VDROP = PROD + "/restore-vault.d"
NOBODY = 65534


@pytest.fixture(autouse=True)
def _refusals_are_logged(register_output):
    register_output(r"warning: (key|vault)-restore into .* failed \(E[A-Z]+\)")


def err_of(fn):
    try:
        fn()
    except OSError as e:
        return e.errno
    return 0


def write_file(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


def test_create_elsewhere_still_refused(mount):
    m = mount()
    for d in (PROD_VAULT, PROD_VAULT + "/keys", PROD):
        assert err_of(lambda: write_file(m.path(d, "x"), b"a")) == \
            errno.EACCES, d
    assert os.listdir(m.path(DROP)) == []
    assert os.listdir(m.path(VDROP)) == []


def test_empty_entry_stays_and_is_not_submitted(mount):
    m = mount()
    p = m.path(DROP, "later.backup")
    open(p, "wb").close()  # touch: create, close empty
    assert os.listdir(m.path(DROP)) == ["later.backup"]
    st = os.stat(p)
    assert st.st_size == 0 and (st.st_mode & 0o777) == 0o600
    os.chmod(p, 0o644)  # accepted, ignored (cp -p, install)
    os.utime(p, (1, 1))
    os.unlink(p)
    assert os.listdir(m.path(DROP)) == []


def test_hidden_file_waits_for_rename_and_refusal_leaves_nothing(mount):
    m = mount()
    tmp = m.path(DROP, ".goutputstream-ABC123")
    with open(tmp, "wb") as f:
        f.write(b"\0" * 5000)
        f.seek(10000)
        f.write(b"not a backup")  # a hole in between
    assert os.stat(tmp).st_size == 10012  # not submitted at close
    assert os.listdir(m.path(DROP)) == [".goutputstream-ABC123"]
    e = err_of(lambda: os.rename(tmp, m.path(DROP, "x.backup")))
    assert e == errno.EINVAL, e  # refused by OCI: not a backup
    assert os.listdir(m.path(DROP)) == []


def test_visible_file_submitted_at_close(mount):
    m = mount()
    p = m.path(DROP, "junk.backup")
    e = err_of(lambda: write_file(p, os.urandom(3000)))
    assert e == errno.EINVAL, e
    assert os.listdir(m.path(DROP)) == []
    # dd in several writes, the same
    src = os.path.join(m.tmp if hasattr(m, "tmp") else "/tmp",
                       "drop-src-%d" % os.getpid())
    write_file(src, os.urandom(4321))
    try:
        r = run(["dd", "if=" + src, "of=" + m.path(VDROP, "v.backup"),
                 "bs=1000"])
        assert r.rc != 0
        assert os.listdir(m.path(VDROP)) == []
    finally:
        os.unlink(src)


def test_written_then_emptied_is_einval(mount):
    m = mount()
    p = m.path(DROP, "e.backup")

    def go():
        with open(p, "wb") as f:
            f.write(b"abc")
            f.flush()
            f.truncate(0)
    assert err_of(go) == errno.EINVAL
    assert os.listdir(m.path(DROP)) == []


def test_size_bound_efbig(mount):
    m = mount("max_restore_mb=1")
    p = m.path(DROP, "big.backup")
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        total, e = 0, 0
        chunk = b"x" * 65536
        while total <= (1 << 20):
            try:
                total += os.write(fd, chunk)
            except OSError as ex:
                e = ex.errno
                break
        assert e == errno.EFBIG and total == 1 << 20, (e, total)
        assert err_of(lambda: os.truncate(p, (1 << 20) + 1)) == errno.EFBIG
        os.ftruncate(fd, 0)
    finally:
        # written, then empty: refused at close, and gone
        assert err_of(lambda: os.close(fd)) == errno.EINVAL
    assert os.listdir(m.path(DROP)) == []


def test_bad_names(mount):
    m = mount()
    assert err_of(lambda: open(m.path(DROP, "n" * 256), "wb")) in \
        (errno.ENAMETOOLONG,)
    open(m.path(DROP, ".a"), "wb").close()
    assert err_of(lambda: os.rename(m.path(DROP, ".a"),
                                    m.path(PROD_VAULT, "a"))) == errno.EXDEV
    os.unlink(m.path(DROP, ".a"))


@pytest.mark.skipif(os.getuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root (allow_other), setpriv")
def test_other_user_cannot_drop(mount):
    m = mount("allow_other")
    r = run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
             "--clear-groups", "sh", "-c",
             "echo x > '%s/y' 2>&1; ls '%s'" % (DROP, DROP)], cwd=m.mnt)
    assert "Permission denied" in r.out + r.err
    assert os.listdir(m.path(DROP)) == []


def tools(src, dst_dir):
    """The ways a file reaches a drop directory (docs/restore.md)."""
    x = os.path.join(dst_dir, "x.backup")
    return {
        "cp": ["cp", src, dst_dir + "/"],
        "cat": ["sh", "-c", "cat '%s' > '%s'" % (src, x)],
        "dd": ["dd", "if=" + src, "of=" + x, "bs=1000"],
        "gio copy": ["gio", "copy", src, dst_dir + "/"],
        "gio save": ["sh", "-c", "gio save '%s' < '%s'" % (x, src)],
        "install": ["install", "-m", "0600", src, dst_dir + "/"],
    }


@pytest.mark.parametrize("tool", ["cp", "cat", "dd", "gio copy", "gio save",
                                  "install"])
def test_tools_report_the_refusal(mount, tool, tmp_path):
    """Each tool sees the submission's result at close (here a refusal:
    the bytes are not a backup) and nothing stays behind."""
    m = mount()
    src = str(tmp_path / "junk.backup")
    write_file(src, bytes(range(256)) * 20)
    r = run(tools(src, m.path(DROP))[tool])
    assert r.rc != 0, (tool, r.out, r.err)
    assert "Invalid argument" in r.err, r.err  # EINVAL: not a backup
    assert os.listdir(m.path(DROP)) == []


@pytest.mark.parametrize("tool", ["cp", "cat", "dd", "gio copy", "gio save",
                                  "install", "shutil"])
def test_tools_restore_a_key(mount, emulator, tool, tmp_path):
    """A real backup reaches RestoreKeyFromFile byte for byte through each
    tool, and the key is back in the emulator and under keys/."""
    m = mount()
    key = prod_key("payments-master")
    kid = KEYS["payments-master"]
    r = run(["sh", "-c", "echo backups/t.backup > '%s/backup' && "
             "cat '%s/wait'" % (m.path(key), m.path(key))], timeout=120)
    assert r.rc == 0, r
    src = str(tmp_path / "t.backup")
    write_file(src, emulator.get_object("backups", "t.backup"))
    emulator.delete_key(kid)
    if tool == "shutil":
        shutil.copy(src, m.path(DROP))
    else:
        r = run(tools(src, m.path(DROP))[tool], timeout=120)
        assert r.rc == 0, (tool, r)
    r = run(["cat", m.path(PROD_VAULT, "restore-wait")], timeout=120)
    assert r.rc == 0, (tool, r)
    assert r.out.startswith("state: succeeded\nkind: key-restore\n"), r.out
    assert emulator.get_key(kid)["lifecycleState"] == "ENABLED"
    assert "payments-master" in os.listdir(m.path(PROD_KEYS))
    # Accepted entries linger read-only, then go.
    for name in os.listdir(m.path(DROP)):
        assert os.stat(m.path(DROP, name)).st_mode & 0o777 == 0o400


def test_gio_save_over_placeholder_renames(mount, tmp_path):
    """gio save onto an existing entry writes .goutputstream-XXXXXX and
    renames it: the rename submits, its error reaches gio."""
    m = mount()
    src = str(tmp_path / "junk.backup")
    write_file(src, b"\1" * 3000)
    x = m.path(DROP, "x.backup")
    open(x, "wb").close()
    r = run(["sh", "-c", "gio save '%s' < '%s'" % (x, src)])
    assert r.rc != 0, (r.out, r.err)
    assert [n for n in os.listdir(m.path(DROP))
            if n.startswith(".goutputstream")] == []


def test_shutil_copy_reports(mount, tmp_path):
    m = mount()
    src = str(tmp_path / "junk.backup")
    write_file(src, b"\0\1\2" * 1000)
    e = err_of(lambda: shutil.copy(src, m.path(DROP)))
    assert e == errno.EINVAL, e
    assert os.listdir(m.path(DROP)) == []
