# SPDX-License-Identifier: MIT
"""Helpers for the filesystem's integration tests: running the tools users
use (sh, bash, cat, ls, ...) against a mount, reading `status`, counting the
emulator's API requests, and the sample tenancy's names and OCIDs
(docs/sample-tenancy.md)."""

import errno
import os
import subprocess
import time

# -- the sample tenancy ----------------------------------------------------

TENANCY = ("ocid1.tenancy.oc1..aaaaaaaazujxn7fywvg23iompescewidmmlokwdisvmef"
           "6d3ybytgl5j2h5m")
COMPARTMENTS = {
    "Production": "ocid1.compartment.oc1..aaaaaaaahb2yhd7ueiyo37j6wwgxsklop5"
                  "nckzi4p2ahe2jxj75ukrtc42vt",
    "Payments": "ocid1.compartment.oc1..aaaaaaaazrbtvstdtbdcf2wzfdsf74fkup3u"
                "m732o44ky6ksc36y2jihtuc4",
    "HR": "ocid1.compartment.oc1..aaaaaaaatnwcw3jzzegnaznmo4tn562glxfn73rgoo"
          "qyjz25q7ha4v2hnnij",
    "Development": "ocid1.compartment.oc1..aaaaaaaa5qz6eh4vljiftxjv2bq5o6ahp"
                   "htf2a4277ydglxvbyu2y7sioxso",
    "Restricted": "ocid1.compartment.oc1..aaaaaaaaitsrnfbrdsy6nhyt5b6nzjyatc"
                  "4dh2gmf3ccol5l7e4c7kfcdllu",
    "Sandbox": "ocid1.compartment.oc1..aaaaaaaafdo6krzix3dqtkrt6ha77gnhzzpxzu"
               "i36dqe5lr6av62dgtl5euc",
}
VAULTS = {
    "prod-vault": "ocid1.vault.oc1.iad.lqpltivzvaaeug.abuwcljrvmf3hx3xlvh4gq"
                  "egpcyq3jg3cfm5cc4dlfdpf77n2iuik3sxeogk",
    "prod-default": "ocid1.vault.oc1.iad.zugpdev7aaaeug.abuwcljrx6njwxkdc2n6"
                    "5w3wua25lsjrraaknmqymy5c3ixleo657jleqpu3",
    "payments-vault": "ocid1.vault.oc1.iad.gj73hmkrcaaeug.abuwcljr4artg6gwa7"
                      "ihuukvx345sxlrsa7wuefdusitropp252hdy4a4u3o",
    "dev-vault/default": "ocid1.vault.oc1.iad.rmbxt4zwsaaeug.abuwcljrgaewd4v"
                         "vvedttnmvkbt3qsuwp5kslsiymmbg7p6ezv4wfbp74nmt",
    "dev-vault/private": "ocid1.vault.oc1.iad.cyrqak6xxaaeug.abuwcljr5r2k5i7"
                         "7smef7ipumsf6d3cofbkxihn6bc3b67k2icdw3ewqb46o",
    "old-vault": "ocid1.vault.oc1.iad.spkxqivnsaaeug.abuwcljrwgatrxwinm3xasw"
                 "oaywgbjx6aooprh65c75z5kbaunqbujoz62r3",
}
_K = "ocid1.key.oc1.iad."
KEYS = {
    "payments-master": _K + "lqpltivzvaaeug.abuwcljstxq646ylq2z7pdkvmrs3sb3o"
                            "ey5liwqifipxawpbocmdlcfhpcxz",
    "hr-master": _K + "lqpltivzvaaeug.abuwcljs7t3vprfg5qcs57egzfqbkzl73tkadx"
                      "diyfmq6lbzi3itswfgs4i7",
    "legacy-key": _K + "lqpltivzvaaeug.abuwcljsybd4q2u5bs3tr5cqwdvxjork6gpxw"
                       "cjonjetwdhz3j22yqfsg5l4",
    "app signing": _K + "lqpltivzvaaeug.abuwcljs4fgvdsrbqfzdaipsnim6hpgp5jjy"
                        "xk72sswffnh6apr5fbsvymao",
    "Équipe données": _K + "lqpltivzvaaeug.abuwcljs6m2n5sex6w7mpzdxgcdmsvtj4"
                           "j6erxyyxaee4are26ssguv7frb7",
    "ops/keys": _K + "lqpltivzvaaeug.abuwcljszy72rery7qepbdqmzu72uknpg6mulrj"
                     "dkynnquunipwkhighzpam",
    "soft-key": _K + "lqpltivzvaaeug.abuwcljslafhhf4lgmn625klfi65cdqxabo3bf5"
                     "tukjopu7sprw47boe2f3f",
    "retired-key": _K + "lqpltivzvaaeug.abuwcljsjr4xn7lhnsth4m756crm76alm32ij"
                        "kh4czn3n3woe2ibyojdtble",
    "shared/1": _K + "lqpltivzvaaeug.abuwcljsxy4ibir6hpzypgtg6hdznlvr3aetflm"
                     "ykrfcgi2e6jhemltl4xw3",
    "shared/2": _K + "lqpltivzvaaeug.abuwcljsi4h5kqll4pu4td5753x5ay73t3k3zgw"
                     "6gk4egkwtvdefbzmrcjhe",
    "tokenization": _K + "lqpltivzvaaeug.abuwcljsujgpbbl2lltubqtclotvtpk65tjb"
                         "4kewq45hbxot4s26dhz4ghdk",
    "default-hsm": _K + "zugpdev7aaaeug.abuwcljs2zvdgz73ehbyuz4s4nocse72mfwe4"
                        "rokzk2v6pzqt5pr6dgulmq5",
    "default-soft": _K + "zugpdev7aaaeug.abuwcljsvcioci52367oi3n6jstd7mwq5fl6"
                         "kttvso6bliltw2w7m3uqxaok",
    "card-data": _K + "gj73hmkrcaaeug.abuwcljs2jynphuktwkzofirig2p4ffjzf2v2ut"
                      "hf5o7bn4ddnnk5qotnpw5",
    "signing-ec": _K + "gj73hmkrcaaeug.abuwcljstuq7bpp3xf7m4plch5pmpekbz7b6xh"
                       "v2ugfsu6tju6fv3zppnhrz",
    "test-key/default": _K + "rmbxt4zwsaaeug.abuwcljsuhcc2ghexjzqqwe32pet6ktv"
                             "mqmgufn4kdmbcmtdhjjqccrw72yk",
    "test-key/private": _K + "cyrqak6xxaaeug.abuwcljsbetmexkobigahjcdknnwguhd"
                             "aac27i7uiuixi57zwnphaptownza",
}

# Duplicate names get "~" and the last six characters of the OCID.
SHARED1 = "shared~" + KEYS["shared/1"][-6:]
SHARED2 = "shared~" + KEYS["shared/2"][-6:]
DEV_DEFAULT = "dev-vault~" + VAULTS["dev-vault/default"][-6:]
DEV_PRIVATE = "dev-vault~" + VAULTS["dev-vault/private"][-6:]

# Paths relative to the mount point.
PROD = "compartments/Production"
PROD_VAULT = PROD + "/vaults/prod-vault"
PROD_KEYS = PROD_VAULT + "/keys"
PAYMENTS_KEYS = (PROD + "/compartments/Payments/vaults/payments-vault/keys")
DEFAULT_KEYS = PROD + "/vaults/prod-default/keys"
DEV_PRIVATE_KEYS = "compartments/Development/vaults/%s/keys" % DEV_PRIVATE

# prod-vault keys that can be backed up, by file name.
PROD_ELIGIBLE = ["payments-master", "hr-master", "app signing",
                 "Équipe données", "ops／keys", SHARED1, SHARED2]

# The file name of each key of prod-vault -> its OCID.
PROD_FILES = {
    "payments-master": KEYS["payments-master"],
    "hr-master": KEYS["hr-master"],
    "legacy-key": KEYS["legacy-key"],
    "app signing": KEYS["app signing"],
    "Équipe données": KEYS["Équipe données"],
    "ops／keys": KEYS["ops/keys"],
    "soft-key": KEYS["soft-key"],
    SHARED1: KEYS["shared/1"],
    SHARED2: KEYS["shared/2"],
}


def prod_key(name):
    """Path of a prod-vault key directory, relative to the mount."""
    return PROD_KEYS + "/" + name


# -- running the tools -----------------------------------------------------

class Result:
    def __init__(self, argv, proc, elapsed):
        self.argv = argv
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.elapsed = elapsed

    def __repr__(self):
        return "Result(%r: rc=%s, %.2fs, out=%r, err=%r)" % (
            self.argv, self.rc, self.elapsed, self.out[-2000:],
            self.err[-2000:])


def run(argv, cwd=None, timeout=60, input=None, env=None):
    """Run a command (a list) and capture its output as text."""
    full_env = dict(os.environ, LC_ALL="C.UTF-8")
    if env:
        full_env.update(env)
    t0 = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, timeout=timeout, input=input,
                          capture_output=True, text=True, env=full_env,
                          stdin=None if input is not None
                          else subprocess.DEVNULL)
    return Result(argv, proc, time.monotonic() - t0)


def sh(script, cwd=None, **kw):
    """POSIX sh (dash on Debian): what scripts use."""
    return run(["sh", "-c", script], cwd=cwd, **kw)


def bash(script, cwd=None, **kw):
    """bash: its builtins name the errno of a failed write."""
    return run(["bash", "-c", script], cwd=cwd, **kw)


def q(s):
    """Quote for sh."""
    return "'" + s.replace("'", "'\\''") + "'"


def strerror(code):
    return os.strerror(code)


def assert_errno(res, code):
    """A failed command whose message names errno `code`."""
    assert res.rc != 0, res
    assert strerror(code) in res.err, (errno.errorcode[code], res)


def wait_until(pred, timeout=20.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("%s not met within %.1f s" % (what, timeout))
        time.sleep(interval)


# -- status ---------------------------------------------------------------

def parse_status(text):
    """`name: value` lines -> (dict, list of names in order)."""
    d = {}
    names = []
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        assert sep, "not a 'name: value' line: %r in %r" % (line, text)
        assert name not in d, "duplicate line %r in %r" % (name, text)
        d[name] = value
        names.append(name)
    return d, names


STATUS_ORDER = ["state", "origin", "progress", "target", "object", "size",
                "work_request", "request_id", "submitted", "started",
                "finished", "key_state", "vault_state", "include_keys",
                "tracking", "trouble", "error",
                "errno",
                "eligible", "rejected", "note", "last_success",
                "last_success_object", "last_success_size",
                "last_success_work_request"]


def check_status(text):
    """Parse a status text and check the documented shape; returns dict."""
    d, names = parse_status(text)
    assert names and names[0] == "state", text
    assert d["state"] in ("none", "submitting", "accepted", "in_progress",
                          "succeeded", "failed"), text
    for n in names:
        assert n in STATUS_ORDER, "undocumented line %r in %r" % (n, text)
    assert names == sorted(names, key=STATUS_ORDER.index), text
    assert text.endswith("\n"), text
    return d


RFC3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
REQUEST_ID = r"[0-9A-Z]{32}(/[0-9A-Z]{32})?"


# -- the emulator's counters ------------------------------------------------

def requests(emu):
    """Requests the emulator routed to each operation so far."""
    return dict(emu.stats()["requests"])


def calls_since(emu, before):
    """Operations (with counts) requested since `before` = requests()."""
    now = requests(emu)
    return {op: n - before.get(op, 0) for op, n in now.items()
            if n != before.get(op, 0)}
