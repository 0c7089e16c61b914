# SPDX-License-Identifier: MIT
"""Bad user inputs (issue 8), table-driven: malformed `backup` writes, odd
ways of writing, file operations the tree refuses, invalid mount options
and bad config files.  Each gets an exact errno (and, for a write, an exact
`status` line) and no API call where none should happen (the emulator's
request counters before and after).  docs/reliability.md lists every row
("Fault run and bad user inputs").

Already covered elsewhere, and not repeated here: the write errnos of the
API path (test_errors.py), the grammar piece by piece (unit test
test_target.c), mkdir/rm/mv/ln/chmod/chown/touch and writes to `status`,
`id`, `key.json`, `wait` (test_readonly.py), an unknown profile, a missing
key file, a wrong fingerprint or CA and an unknown option
(test_lifecycle.py)."""

import errno
import os
import re
import stat

import pytest

from conftest import emulator_options
from fsutil import (PROD_VAULT, bash, calls_since, check_status, prod_key, q,
                    requests, run, sh)
from test_lifecycle import edited_config, start_fails

KEY = prod_key("payments-master")
FRESH = prod_key("hr-master")     # never written to before its test
REFUSED_LOG = r"^ocivaultfs: warning: backup of key '[^']+' \([^)]+\) refused: "

BUCKET_RULE = r"\(1 to 256 letters, digits, '-', '_' and '\.'; not '\.' or " \
    r"'\.\.'\)"
NS_RULE = r"\(1 to 128 letters, digits, '-' and '_'\)"
REALM = (r"is not an Object Storage host of realm oc1 \(objectstorage\."
         r"REGION\.oraclecloud\.com or NAMESPACE\.objectstorage\.REGION\."
         r"oci\.customer-oci\.com\) nor the endpoint '{host}'")
NOT_PAR = (r"not a pre-authenticated request URL: expected https://HOST/p/"
           r"TOKEN/n/NAMESPACE/b/BUCKET/o/\[OBJECT\]")
MALFORMED = (r"malformed URL \(spaces and non-ASCII characters must be "
             r"percent-encoded\)")
PCT = r"malformed percent-encoding in the object name of the URL"
OBJ = ('{"destination":"BUCKET","namespace":"ns","bucketName":"b",'
       '"objectName":"o"')
PAR = "https://{host}/p/T/n/ns/b/b/o/"

# (what, bytes written in one write(2), the reason after "InvalidTarget: ")
# `{host}` is the emulator's host:port (the endpoint= host, accepted for
# PAR URLs).  Each is refused with EINVAL before any API call.
TARGETS = [
    # the data as a whole
    ("two targets", b"backups\nother\n",
     r"more than one target \(lines 1 and 2\): write one target per write"),
    ("two targets among comments", b"# a\nbackups\n\n# b\nother\n",
     r"more than one target \(lines 2 and 5\): write one target per write"),
    ("a NUL byte", b"back\0ups\n", r"the data contains a NUL byte"),
    ("only a NUL byte", b"\0", r"the data contains a NUL byte"),
    ("binary bytes", b"\x01\x02\xff\xfe",
     r"invalid bucket name '\?\?\?\?' " + BUCKET_RULE),
    ("a BOM, then a bad bucket", b"\xef\xbb\xbfbad bucket\n",
     r"invalid bucket name 'bad bucket' " + BUCKET_RULE),
    # bucket names
    ("a space in a bucket", b"my bucket",
     r"invalid bucket name 'my bucket' " + BUCKET_RULE),
    ("non-ASCII bucket", "bück".encode(),
     r"invalid bucket name 'bück' " + BUCKET_RULE),
    ("':' in a bucket", b"a:b", r"invalid bucket name 'a:b' " + BUCKET_RULE),
    ("bucket '.'", b".", r"invalid bucket name '\.' " + BUCKET_RULE),
    ("bucket '..'", b"..", r"invalid bucket name '\.\.' " + BUCKET_RULE),
    ("257-character bucket", b"x" * 257,
     r"invalid bucket name 'x{64}\.\.\.' " + BUCKET_RULE),
    ("a JSON array", b"[1,2]",
     r"invalid bucket name '\[1,2\]' " + BUCKET_RULE),
    # object names (BUCKET/OBJECT)
    ("empty object", b"backups/",
     r"empty object name after 'BUCKET/' \(write just the bucket name to "
     r"use the name template\)"),
    ("object starting with '/'", b"backups//x",
     r"invalid object name '/x': it starts with '/'"),
    ("object '.'", b"backups/.", r"invalid object name '\.': it is '\.' or "
     r"'\.\.'"),
    ("object '..'", b"backups/..", r"invalid object name '\.\.': it is '\.' "
     r"or '\.\.'"),
    ("a tab in an object", b"backups/a\tb",
     r"invalid object name 'a\?b': it contains a control character"),
    ("a C1 control in an object", b"backups/\xc2\x85",
     r"invalid object name '\?': it contains a control character"),
    ("1025-byte object", b"backups/" + b"o" * 1025,
     r"invalid object name 'o{64}\.\.\.': it is longer than 1024 bytes"),
    ("a stray byte in an object", b"backups/\xff",
     r"invalid object name '\?': it is not valid UTF-8"),
    ("overlong UTF-8 in an object", b"backups/\xc0\xaf",
     r"invalid object name '\?\?': it is not valid UTF-8"),
    ("a surrogate in an object", b"backups/\xed\xa0\x80",
     r"invalid object name '\?\?\?': it is not valid UTF-8"),
    # oci://
    ("oci:// without '@'", b"oci://backups",
     r"an oci:// target needs '@' between bucket and namespace: "
     r"oci://BUCKET@NAMESPACE/OBJECT"),
    ("oci:// without '/'", b"oci://backups@ns",
     r"an oci:// target needs '/' after the namespace: oci://BUCKET@"
     r"NAMESPACE/OBJECT, or oci://BUCKET@NAMESPACE/ for the name template"),
    ("oci:// namespace with '.'", b"oci://backups@my.ns/",
     r"invalid namespace 'my\.ns' " + NS_RULE),
    ("oci:// empty namespace", b"oci://backups@/x",
     r"invalid namespace '' " + NS_RULE),
    ("oci:// two '@'", b"oci://b@d@ns/", r"invalid namespace 'd@ns' " +
     NS_RULE),
    ("oci:// 129-character namespace", b"oci://b@" + b"n" * 129 + b"/",
     r"invalid namespace 'n{64}\.\.\.' " + NS_RULE),
    ("oci:// empty bucket", b"oci://@ns/", r"invalid bucket name '' " +
     BUCKET_RULE),
    ("oci:// bad object", b"oci://backups@ns//x",
     r"invalid object name '/x': it starts with '/'"),
    # schemes
    ("ftp://", b"ftp://x/y", r"unsupported URL scheme 'ftp' \(use a bucket "
     r"name, oci:// or https://\)"),
    ("s3://", b"s3://b/o", r"unsupported URL scheme 's3' \(use a bucket "
     r"name, oci:// or https://\)"),
    ("http:// PAR", b"http://{host}/p/T/n/ns/b/b/o/x",
     r"http:// is refused: use the https:// URL of the pre-authenticated "
     r"request"),
    ("PAR without https://",
     b"objectstorage.us-ashburn-1.oraclecloud.com/p/T/n/ns/b/b/o/x",
     r"this looks like a pre-authenticated request URL without "
     r"'https://'; write the whole URL"),
    # PAR hosts
    ("PAR of a foreign host", b"HTTPS://evil.example.com/p/T/n/ns/b/b/o/x",
     r"host 'evil\.example\.com' " + REALM),
    ("PAR of another realm",
     b"https://objectstorage.us-ashburn-1.oraclegovcloud.com/p/T/n/ns/b/b/"
     b"o/x", r"host 'objectstorage\.us-ashburn-1\.oraclegovcloud\.com' " +
     REALM),
    ("PAR of the endpoint host, another port",
     b"https://127.0.0.1:1/p/T/n/ns/b/b/o/x", r"host '127\.0\.0\.1:1' " +
     REALM),
    ("PAR with an IDN host",
     "https://objectstörage.us-ashburn-1.oraclecloud.com/p/T/n/ns/b/b/o/x"
     .encode(), MALFORMED),
    ("PAR with a punycode host",
     b"https://xn--objectstrage-xeb.us-ashburn-1.oraclecloud.com/p/T/n/ns/b/"
     b"b/o/x", r"host 'xn--objectstrage-xeb\.us-ashburn-1\.oraclecloud\.com' "
     + REALM),
    ("dedicated host of another namespace",
     b"https://other.objectstorage.us-ashburn-1.oci.customer-oci.com/p/T/n/"
     b"ns/b/b/o/x", r"the namespace in the host name \('other'\) differs "
     r"from the one in the path \('ns'\)"),
    # PAR URL parts
    ("PAR with user information", b"https://u:p@{host}/p/T/n/ns/b/b/o/x",
     r"user information \('user@'\) is not allowed in a pre-authenticated "
     r"request URL"),
    ("PAR with a query", PAR.encode() + b"x?a=1",
     r"a query string \('\?\.\.\.'\) is not allowed in a pre-authenticated "
     r"request URL"),
    ("PAR with an empty query", PAR.encode() + b"x?",
     r"a query string \('\?\.\.\.'\) is not allowed in a pre-authenticated "
     r"request URL"),
    ("PAR with a fragment", PAR.encode() + b"x#f",
     r"a fragment \('#\.\.\.'\) is not allowed in a pre-authenticated "
     r"request URL"),
    ("PAR without a token", b"https://{host}/p//n/ns/b/b/o/x",
     r"the pre-authenticated request token is empty"),
    ("PAR token with '+'", b"https://{host}/p/a+b/n/ns/b/b/o/x",
     r"the pre-authenticated request token contains characters a token "
     r"cannot have"),
    ("PAR path without /p/", b"https://{host}/n/ns/b/b/o/x", NOT_PAR),
    ("PAR path without /o/", b"https://{host}/p/T/n/ns/b/b", NOT_PAR),
    ("PAR object '%zz'", PAR.encode() + b"%zz", PCT),
    ("PAR object '%2'", PAR.encode() + b"%2", PCT),
    ("PAR object '%00'", PAR.encode() + b"%00", PCT),
    ("PAR object '%2Fx'", PAR.encode() + b"%2Fx",
     r"invalid object name '/x' in the URL: it starts with '/'"),
    ("PAR with a raw space", PAR.encode() + b"a b", MALFORMED),
    ("PAR with raw non-ASCII", PAR.encode() + "ü".encode(), MALFORMED),
    ("PAR namespace with '.'", b"https://{host}/p/T/n/my.ns/b/b/o/x",
     r"invalid namespace 'my\.ns' in the URL " + NS_RULE),
    ("PAR bucket percent-encoded", b"https://{host}/p/T/n/ns/b/my%20b/o/x",
     r"invalid bucket name 'my%20b' in the URL " + BUCKET_RULE),
    # JSON
    ("JSON cut short", b"{", r"invalid JSON target: invalid JSON at offset "
     r"1: expected a member name"),
    ("JSON missing fields", b'{"destination":"BUCKET"}',
     r"invalid JSON target: namespace: missing"),
    ("JSON without objectName",
     b'{"destination":"BUCKET","namespace":"ns","bucketName":"b"}',
     r"invalid JSON target: objectName: missing"),
    ("JSON wrong type",
     b'{"destination":"BUCKET","namespace":1,"bucketName":"b",'
     b'"objectName":"o"}', r"invalid JSON target: namespace: not a string"),
    ("JSON null destination", b'{"destination":null}',
     r"invalid JSON target: destination: missing"),
    ("JSON empty object", b"{}", r"invalid JSON target: destination: "
     r"missing"),
    ("JSON unknown destination",
     b'{"destination":"S3","namespace":"ns","bucketName":"b",'
     b'"objectName":"o"}', r'invalid JSON target: destination: must be '
     r'"BUCKET" or "PRE_AUTHENTICATED_REQUEST_URI"'),
    ("JSON empty bucket",
     b'{"destination":"BUCKET","namespace":"ns","bucketName":"",'
     b'"objectName":"o"}', r"invalid JSON target: bucketName: empty"),
    ("JSON destination and backupLocation",
     OBJ.encode() + b',"backupLocation":{}}',
     r'invalid JSON target: both "destination" and "backupLocation": give '
     r'a BackupLocation or a BackupKeyDetails object'),
    ("JSON backupLocation not an object", b'{"backupLocation":"x"}',
     r"invalid JSON target: backupLocation: not an object"),
    ("JSON backupLocation, bad namespace",
     b'{"backupLocation":{"destination":"BUCKET","namespace":"n s",'
     b'"bucketName":"b","objectName":"o"}}',
     r"invalid namespace 'n s' " + NS_RULE),
    ("JSON trailing garbage", OBJ.encode() + b"} x",
     r"invalid JSON target: invalid JSON at offset 76: trailing garbage"),
    ("JSON \\u0000 in a string", OBJ.replace('"o"', '"a\\u0000b"').encode()
     + b"}", r"invalid JSON target: invalid JSON at offset 73: \\u0000 in "
     r"string"),
    ("JSON unpaired surrogate", OBJ.replace('"o"', '"\\ud800"').encode() +
     b"}", r"invalid JSON target: invalid JSON at offset 72: unpaired "
     r"surrogate in string"),
    ("JSON nested 2000 deep", OBJ.encode() + b',"x":' + b"[" * 2000 +
     b"]" * 2000 + b"}", r"invalid JSON target: invalid JSON at offset 142: "
     r"nesting deeper than 64 levels"),
    ("JSON PAR uri http://",
     b'{"destination":"PRE_AUTHENTICATED_REQUEST_URI",'
     b'"uri":"http://h/p/T/n/ns/b/b/o/x"}',
     r"http:// is refused: use the https:// URL of the pre-authenticated "
     r"request"),
    ("JSON PAR uri ftp://",
     b'{"destination":"PRE_AUTHENTICATED_REQUEST_URI",'
     b'"uri":"ftp://h/p/T/n/ns/b/b/o/x"}',
     r"a pre-authenticated request URL must start with https://"),
    ("JSON PAR without uri", b'{"destination":'
     b'"PRE_AUTHENTICATED_REQUEST_URI"}', r"invalid JSON target: uri: "
     r"missing"),
    ("JSON PAR uri with a query",
     b'{"destination":"PRE_AUTHENTICATED_REQUEST_URI","uri":"' +
     PAR.encode() + b'x?a"}', r"a query string \('\?\.\.\.'\) is not "
     r"allowed in a pre-authenticated request URL"),
]

# Written in one write(2), accepted, and nothing happens (no call, status
# untouched).
NOOPS = [
    ("only spaces and tabs", b"  \t \n"),
    ("only blank lines", b"\n\n\r\n"),
    ("only comments", b"# a comment\n  # another\n"),
    ("only a byte order mark", b"\xef\xbb\xbf\n"),
    ("16384 bytes of comment", b"#" + b"x" * 16382 + b"\n"),
    ("4096 bytes of comment, no newline (waits for more; acted on at "
     "close: nothing to do)", b"#" * 4096),
]


def write_once(path, data, flags=os.O_WRONLY | os.O_TRUNC, offset=None):
    """One open, one write(2) (or pwrite), close: None or the errno (of
    the write, else of the close: an unclosed JSON target waits for more
    and is acted on at close)."""
    fd = os.open(path, flags)
    err = None
    try:
        n = os.write(fd, data) if offset is None else \
            os.pwrite(fd, data, offset)
        assert n == len(data), (n, len(data))
    except OSError as e:
        err = e.errno
    try:
        os.close(fd)
    except OSError as e:
        err = err or e.errno
    return err


def status(m, key):
    with open(m.path(key, "status"), encoding="utf-8") as f:
        return check_status(f.read())


@pytest.fixture
def warm(mnt):
    """A mount whose listings down to the prod-vault keys are cached."""
    assert run(["ls", mnt.path(KEY)]).rc == 0
    assert run(["ls", mnt.path(PROD_VAULT)]).rc == 0
    return mnt


def test_malformed_targets(warm, emulator, register_output):
    register_output(REFUSED_LOG)
    host = emulator.endpoint[len("https://"):]
    before = requests(emulator)
    wrong = []
    for what, data, reason in TARGETS:
        data = data.replace(b"{host}", host.encode())
        code = write_once(warm.path(KEY, "backup"), data)
        d = status(warm, KEY)
        rx = "InvalidTarget: " + reason.replace("{host}", re.escape(host))
        if code != errno.EINVAL or d["state"] != "failed" or \
                d.get("errno") != "EINVAL" or \
                not re.fullmatch(rx, d.get("error", "")):
            wrong.append((what, code and errno.errorcode[code], d))
    assert not wrong, "\n".join(map(repr, wrong))
    assert calls_since(emulator, before) == {}
    assert len(TARGETS) >= 70
    # No PAR token of these reached the log.
    assert "/p/T/" not in warm.output() and "/p/a+b/" not in warm.output()


def test_writes_that_do_nothing(warm, emulator):
    before = requests(emulator)
    for what, data in NOOPS:
        assert write_once(warm.path(FRESH, "backup"), data) is None, what
        assert status(warm, FRESH)["state"] == "none", what
    # The empty write of `: > backup` and write(2) of 0 bytes.
    assert sh(": > " + q(warm.path(FRESH, "backup"))).rc == 0
    assert write_once(warm.path(FRESH, "backup"), b"") is None
    assert status(warm, FRESH)["state"] == "none"
    assert calls_since(emulator, before) == {}


def test_sizes_and_offsets(warm, emulator, register_output):
    """Refused by the file itself: no status line, no call."""
    register_output(REFUSED_LOG)
    path = warm.path(FRESH, "backup")
    before = requests(emulator)
    assert write_once(path, b"#" * 16385) == errno.EFBIG
    assert write_once(path, b"#" * (1 << 20)) == errno.EFBIG
    # A hole before the data: pwrite at 100 on a fresh open.
    assert write_once(path, b"bad bucket\n", offset=100) == errno.EINVAL
    # O_RDWR: reading the help moves the offset past what was written.
    fd = os.open(path, os.O_RDWR)
    try:
        assert os.read(fd, 10).startswith(b";")
        with pytest.raises(OSError) as e:
            os.write(fd, b"bad bucket\n")
        assert e.value.errno == errno.EINVAL
        # ...and after seeking back, the write is a target again.
        os.lseek(fd, 0, os.SEEK_SET)
        with pytest.raises(OSError) as e:
            os.write(fd, b"bad bucket\n")
        assert e.value.errno == errno.EINVAL
    finally:
        os.close(fd)
    d = status(warm, FRESH)
    assert d["error"].startswith("InvalidTarget: invalid bucket name 'bad "
                                 "bucket'"), d
    # Truncating the control file to any size does nothing.
    assert run(["truncate", "-s", "100", path]).rc == 0
    assert run(["truncate", "-s", "0", path]).rc == 0
    # Only the help text read above names the namespace.
    assert calls_since(emulator, before) == {"GetNamespace": 1}


def test_shell_forms(warm, emulator, register_output):
    """O_APPEND and several writes on one open file: each write is a
    target; `dd bs=1` sends one byte at a time, so the first byte is the
    target (the bucket `b`, which does not exist)."""
    register_output(REFUSED_LOG)
    p = q(warm.path(KEY, "backup"))
    before = requests(emulator)
    r = bash("echo 'bad x' >> " + p)
    assert r.rc != 0 and "Invalid argument" in r.err, r
    assert status(warm, KEY)["error"].startswith(
        "InvalidTarget: invalid bucket name 'bad x'")
    r = bash("{ echo '# c'; echo 'bad y'; } >> " + p)
    assert r.rc != 0 and "Invalid argument" in r.err, r
    assert status(warm, KEY)["error"].startswith(
        "InvalidTarget: invalid bucket name 'bad y'")
    r = bash("exec 3>%s; echo '# ok' >&3; echo 'bad z' >&3" % p)
    assert r.rc != 0 and "Invalid argument" in r.err, r
    assert calls_since(emulator, before) == {}
    r = sh("printf 'backups\\n' | dd of=%s bs=1 status=none" % p)
    assert r.rc != 0 and "No such file or directory" in r.err, r
    d = status(warm, KEY)
    assert d["errno"] == "ENOENT" and d["error"].startswith(
        "BucketNotFound (HTTP 404): bucket 'b' does not exist"), d
    # The namespace and the bucket check; never a BackupKey.
    assert calls_since(emulator, before) == {"GetNamespace": 1,
                                             "ListObjects": 1}
    assert emulator.objects() == []


def test_valid_names_that_do_not_exist(warm, emulator, namespace,
                                       register_output):
    """Well-formed, so they reach Object Storage's bucket check and stop
    there: ENOENT, one ListObjects, no BackupKey."""
    register_output(REFUSED_LOG)
    cases = [
        ("256-character bucket", b"x" * 256, "BucketNotFound", "x" * 256,
         namespace),
        ("bucket '-'", b"-", "BucketNotFound", "-", namespace),
        # A member given twice: the first one counts (and is what is sent).
        ("JSON namespace given twice", OBJ.encode() +
         b',"namespace":"x y"}', "NamespaceNotFound", "b", "ns"),
    ]
    for what, data, code, bucket, ns in cases:
        before = requests(emulator)
        assert write_once(warm.path(KEY, "backup"), data) == errno.ENOENT, \
            what
        d = status(warm, KEY)
        assert d["error"].startswith(
            "%s (HTTP 404): bucket '%s' does not exist in namespace '%s'"
            % (code, bucket, ns)), (what, d)
        c = calls_since(emulator, before)
        c.pop("GetNamespace", None)
        assert c == {"ListObjects": 1}, (what, c)
    assert emulator.objects() == []


def test_object_par_used_as_bucket_par(warm, emulator, register_output):
    """An object PAR cut to `/o/` reads as a bucket PAR: the write cannot
    know, OCI accepts the backup and fails it (the PAR is for one
    object); `wait` says EIO, no object is written.  The bucket PAR with
    an object appended works."""
    register_output(r"^ocivaultfs: warning: backup of key '[^']+' failed: ")
    par = emulator.create_par("backups", "only.bak")["fullUrl"]
    cut = par[:par.rindex("/o/") + 3]
    assert write_once(warm.path(KEY, "backup"), cut.encode() + b"\n") is None
    r = run(["cat", warm.path(KEY, "wait")], timeout=60)
    assert r.rc != 0 and "Input/output error" in r.err, r
    d = status(warm, KEY)
    assert d["state"] == "failed" and d["errno"] == "EIO", d
    assert d["error"].startswith("NotFound: "), d
    assert emulator.objects() == []
    bpar = emulator.create_par("backups", access_type="AnyObjectWrite")
    url = bpar["fullUrl"] + "any.bak"
    assert write_once(warm.path(KEY, "backup"), url.encode()) is None
    r = run(["cat", warm.path(KEY, "wait")], timeout=60)
    assert r.rc == 0, r
    (o,) = emulator.objects()
    assert o["name"] == "any.bak" and o["key_id"] == \
        run(["cat", warm.path(KEY, "id")]).out.strip()


def test_template_too_long_for_a_key(mount, emulator, register_output):
    """The template is valid, but this key's name makes the object name
    longer than 1024 bytes: refused per write, no BackupKey."""
    register_output(REFUSED_LOG)
    vault = [v for v in emulator.info()["vaults"]
             if v["displayName"] == "prod-vault"][0]
    emulator.admin("POST", "/_emulator/keys", {
        "vaultId": vault["id"], "displayName": "k" * 1000,
        "protectionMode": "HSM"})
    m = mount()
    keys = m.path(prod_key(""))
    (name,) = [n for n in os.listdir(keys) if n.startswith("kkk")]
    assert len(name.encode()) == 255
    key = prod_key(name)
    before = requests(emulator)
    assert write_once(m.path(key, "backup"), b"backups") == errno.EINVAL
    d = status(m, key)
    assert d["error"] == ("InvalidTarget: backup_name: the template gives an "
                          "object name longer than 1024 bytes"), d
    c = calls_since(emulator, before)
    c.pop("GetNamespace", None)
    assert c == {}, c


# -- file operations ----------------------------------------------------------

def refused(fn):
    try:
        fn()
    except OSError as e:
        return e.errno
    return None


def test_file_operations(warm, emulator):
    """Beyond test_readonly.py: the other files and odd opens."""
    k, v = warm.path(KEY), warm.path(PROD_VAULT)
    tmp = os.path.join(os.path.dirname(warm.mnt), "outside")
    ops = [
        ("write .ocivaultfs/backups", lambda: os.open(
            warm.path(".ocivaultfs", "backups"), os.O_WRONLY), errno.EACCES),
        ("write vault.json", lambda: os.open(v + "/vault.json",
                                             os.O_WRONLY), errno.EACCES),
        ("write a vault's id", lambda: os.open(v + "/id", os.O_RDWR),
         errno.EACCES),
        ("open a directory for writing", lambda: os.open(v + "/keys",
                                                         os.O_WRONLY),
         errno.EISDIR),
        ("O_CREAT|O_EXCL of backup", lambda: os.open(
            k + "/backup", os.O_WRONLY | os.O_CREAT | os.O_EXCL),
         errno.EEXIST),
        ("O_DIRECTORY of backup", lambda: os.open(
            k + "/backup", os.O_RDONLY | os.O_DIRECTORY), errno.ENOTDIR),
        ("open an unknown name", lambda: os.open(k + "/nonexistent",
                                                 os.O_RDONLY), errno.ENOENT),
        ("create a file", lambda: os.open(k + "/new", os.O_WRONLY |
                                          os.O_CREAT, 0o600), errno.EACCES),
        ("a 300-byte name", lambda: os.stat(k + "/" + "x" * 300),
         errno.ENAMETOOLONG),
        ("getxattr", lambda: os.getxattr(k + "/id", "user.x"),
         errno.EOPNOTSUPP),
        ("listxattr", lambda: os.listxattr(k + "/id"), errno.EOPNOTSUPP),
        ("setxattr trusted.*", lambda: os.setxattr(k + "/id", "trusted.x",
                                                   b"1"), errno.EPERM),
        ("setxattr on a directory", lambda: os.setxattr(v, "user.x", b"1"),
         errno.EPERM),
        ("utime of status", lambda: os.utime(k + "/status", (1, 1)),
         errno.EPERM),
        ("mkdir in .ocivaultfs", lambda: os.mkdir(
            warm.path(".ocivaultfs", "x")), errno.EACCES),
        ("rmdir .ocivaultfs", lambda: os.rmdir(warm.path(".ocivaultfs")),
         errno.EACCES),
        ("rename backup over status", lambda: os.rename(
            k + "/backup", k + "/status"), errno.EACCES),
        ("symlink at the root", lambda: os.symlink("x", warm.path("link")),
         errno.EACCES),
        ("hard link into a key", lambda: os.link(tmp, k + "/x"),
         errno.EXDEV),
    ]
    with open(tmp, "w") as f:
        f.write("backups\n")
    before = requests(emulator)
    try:
        got = [(what, refused(fn)) for what, fn, _ in ops]
        # The tools: cp onto status, mv into the tree, fallocate.
        tools = [
            ("cp onto status", ["cp", tmp, k + "/status"],
             "Permission denied"),
            ("mv into a key", ["mv", tmp, k + "/"], "Permission denied"),
            ("fallocate backup", ["fallocate", "-l", "10", k + "/backup"],
             "Operation not supported"),
        ]
        tool_res = [(what, run(argv), msg) for what, argv, msg in tools]
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    assert got == [(what, code) for what, _, code in ops]
    for what, r, msg in tool_res:
        assert r.rc != 0 and msg in r.err, (what, r)
    assert run(["ls", k]).out.split() == [
        "backup", "history", "id", "key.json", "status", "status.json"]
    # fallocate(1) opens `backup` read-write, which prepares its help, and
    # the help names the namespace (looked up once); the permission check
    # of the write to vault.json stats it, whose size is that of the
    # vault's JSON (one GetVault); nothing else.
    assert calls_since(emulator, before) == {"GetNamespace": 1,
                                             "GetVault": 1}


# -- mount options and config files ------------------------------------------

# (option, the one line on stderr).  None of them makes an API call.
OPTIONS = [
    ("retries=0", "retries must be 1..20"),
    ("retries=21", "retries must be 1..20"),
    ("retries=-1", "retries must be 1..20"),
    ("retries=0x5", "retries must be 1..20"),
    ("timeout=0", "timeout must be 1..3600 seconds"),
    ("timeout=3601", "timeout must be 1..3600 seconds"),
    ("cache_ttl=86401", "cache_ttl must be 1..86400 seconds"),
    ("cache_ttl=-1", "cache_ttl must be 1..86400 seconds"),
    ("rate=-1", "rate must be 0..1000 requests/s (0 = unlimited)"),
    ("rate=1001", "rate must be 0..1000 requests/s (0 = unlimited)"),
    ("rate=nan", "rate must be 0..1000 requests/s (0 = unlimited)"),
    ("rate=inf", "rate must be 0..1000 requests/s (0 = unlimited)"),
    ("rate=abc", "error: fuse: invalid parameter in option `rate=abc'"),
    # Numbers are parsed whole: no suffix, space, sign or wrap-around.
    ("cache_ttl=abc", "cache_ttl must be 1..86400 seconds"),
    ("timeout=1x", "timeout must be 1..3600 seconds"),
    ("timeout= 5", "timeout must be 1..3600 seconds"),
    ("timeout=", "timeout must be 1..3600 seconds"),
    ("cache_ttl=4294967297", "cache_ttl must be 1..86400 seconds"),
    ("retries=4294967297", "retries must be 1..20"),
    ("listing_timeout=2s", "listing_timeout must be 1..3600 seconds"),
    ("max_pages=+5", "max_pages must be 1..100000"),
    ("compartment=not-an-ocid",
     "compartment must be an OCID, not 'not-an-ocid'"),
    ("endpoint=http://127.0.0.1:1", "endpoint must be an https:// URL"),
    ("endpoint=ftp://x", "endpoint must be an https:// URL"),
    ("region=us ashburn", "invalid region 'us ashburn'"),
    ("backup_name={key}", "invalid backup_name '{key}': the template does "
     "not name the key by its OCID: add {key_short} or {key_id}, so that "
     "keys of the same name in different vaults never share an object"),
    ("backup_name={key_short", "invalid backup_name '{key_short': '{' "
     "without '}' in the template (write '{{' for a literal brace)"),
    ("backup_name=}{key_short}", "invalid backup_name '}{key_short}': a "
     "single '}' in the template (write '}}' for a literal brace)"),
    ("backup_name={}{key_short}", "invalid backup_name '{}{key_short}': "
     "unknown placeholder '{}' in the template (known: {key} {key_id} "
     "{key_short} {vault} {vault_id} {vault_short} {compartment} {time} "
     "{date}, and {{ }} for braces)"),
    ("backup_name=/{key_short}", "invalid backup_name '/{key_short}': the "
     "template gives the object name '/.iad.example', which starts with "
     "'/'"),
    ("backup_name=", "invalid backup_name '': the template gives the object "
     "name '', which is empty"),
    ("backup_name=" + "a" * 1100 + "{key_short}", "invalid backup_name '" +
     "a" * 1100 + "{key_short}': the template gives an object name longer "
     "than 1024 bytes"),
    ("config=/nonexistent", "cannot read config file '/nonexistent': No "
     "such file or directory"),
]


def test_invalid_mount_options(emulator):
    wrong = []
    for opt, line in OPTIONS:
        lines, _ = start_fails(emulator_options(emulator) + [opt])
        if lines != ["ocivaultfs: " + line]:
            wrong.append((opt, lines))
    assert not wrong, "\n".join(map(repr, wrong))
    assert emulator.stats()["requests"] == {}


def profile_without(emulator, tmp_path, name):
    out = []
    with open(emulator.config) as f:
        for line in f:
            if line.startswith("[") and "[DEFAULT]\n" in out:
                break
            if not line.startswith(name + "="):
                out.append(line)
    path = tmp_path / ("no-" + name)
    path.write_text("".join(out))
    return str(path)


def config_with(emulator, tmp_path, name, **changes):
    """The emulator's config with changes to [DEFAULT], as tmp_path/NAME."""
    path = os.path.join(str(tmp_path), name)
    os.rename(edited_config(emulator, tmp_path, **changes), path)
    return path


def test_bad_config_files(emulator, tmp_path):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key\n")
    os.chmod(garbage, 0o600)
    cases = []
    for field in ("user", "fingerprint", "key_file", "tenancy"):
        path = profile_without(emulator, tmp_path, field)
        cases.append((path, "'%s': profile 'DEFAULT' has no '%s'"
                      % (path, field)))
    path = profile_without(emulator, tmp_path, "region")
    cases.append((path, "'%s': profile 'DEFAULT' has no 'region' and "
                  "$OCI_REGION is not set" % path))
    path = config_with(emulator, tmp_path, "ten", tenancy="not-an-ocid")
    cases.append((path, "'%s' line 6: key 'tenancy': not an OCID: "
                  "'not-an-ocid'" % path))
    path = config_with(emulator, tmp_path, "reg", region="us ashburn")
    cases.append((path, "'%s' line 7: key 'region': not a region identifier "
                  "or short code: 'us ashburn'" % path))
    path = config_with(emulator, tmp_path, "fp", fingerprint="zz")
    cases.append((path, "'%s' line 4: key 'fingerprint': not a fingerprint "
                  "(16 lower-case hex pairs joined by ':'): 'zz'" % path))
    path = config_with(emulator, tmp_path, "garbage", key_file=str(garbage))
    cases.append((path, "key file '%s' is not a PEM private key" % garbage))
    for name, text in (("notini", "this is not ini\n"),
                       ("badsection", "[DEFAULT\nuser=x\n")):
        p = tmp_path / name
        p.write_text(text)
        cases.append((str(p), "'%s' line 1: expected '[profile]' or 'key = "
                      "value'" % p))
    empty = tmp_path / "empty"
    empty.write_text("")
    cases.append((str(empty), "profile 'DEFAULT' not found in '%s'" % empty))
    wrong = []
    for config, line in cases:
        lines, _ = start_fails(emulator_options(emulator, config=config))
        if lines != ["ocivaultfs: " + line]:
            wrong.append((config, lines, line))
    assert not wrong, "\n".join(map(repr, wrong))
    assert emulator.stats()["requests"] == {}


def test_key_file_readable_by_others_warns(mount, emulator, tmp_path,
                                           register_output):
    """A private key readable by group or others: the mount works (as the
    OCI CLI's does) and says how to fix it."""
    register_output(r"^ocivaultfs: warning: key file '.+' is accessible by "
                    r"group or others")
    key = tmp_path / "key.pem"
    with open(os.path.join(emulator.state_dir, "api_key.pem"), "rb") as f:
        key.write_bytes(f.read())
    os.chmod(key, 0o644)
    m = mount(config=edited_config(emulator, tmp_path, key_file=str(key)))
    assert ("ocivaultfs: warning: key file '%s' is accessible by group or "
            "others (mode 0644); it should be readable by its owner only: "
            "chmod 600 '%s'" % (key, key)) in m.output().splitlines()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o644
    assert run(["ls", m.mnt]).rc == 0


def test_json_one_line_per_write_and_chunked_target(warm, emulator,
                                                     namespace):
    """A JSON target written one line per write(2) (printf in a loop, a
    heredoc through cat) is one target, acted on once complete; a target
    whose writes fill whole 4096-byte chunks without a newline is acted on
    at close, and close(2) reports the outcome."""
    path = warm.path(FRESH, "backup")
    lines = [b"{\n", b'  "destination": "BUCKET",\n',
             b'  "namespace": "%s",\n' % namespace.encode(),
             b'  "bucketName": "backups",\n',
             b'  "objectName": "json-lines.backup"\n', b"}\n"]
    before = requests(emulator)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        for ln in lines:
            assert os.write(fd, ln) == len(ln)
    finally:
        os.close(fd)
    assert calls_since(emulator, before).get("BackupKey") == 1
    r = run(["cat", warm.path(FRESH, "wait")], timeout=120)
    assert r.rc == 0, r
    assert check_status(r.out)["object"] == \
        "%s/backups/json-lines.backup" % namespace
    assert [o for o in emulator.objects()
            if o["name"] == "json-lines.backup"]
    # An unclosed JSON target: nothing until close, then EINVAL at close.
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b'{"destination": "BUCKET",\n')
    with pytest.raises(OSError) as e:
        os.close(fd)
    assert e.value.errno == errno.EINVAL
    # 4096 bytes without a newline: a target padded with spaces.
    target = b"backups/chunked.backup"
    data = target + b" " * (4096 - len(target))
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        assert os.write(fd, data) == 4096
    finally:
        os.close(fd)
    r = run(["cat", warm.path(FRESH, "wait")], timeout=120)
    assert r.rc == 0 and check_status(r.out)["object"].endswith(
        "/backups/chunked.backup"), r
