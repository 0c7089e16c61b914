# SPDX-License-Identifier: MIT
"""Command line entry point of the emulator (scripts/oci-emulator)."""

import argparse
import logging
import os
import signal
import sys
import threading

from . import faults, pki, server, tenancy, util
from .emulator import Emulator
from .state import State

log = logging.getLogger("ociemu")

SESSION_TTL = 365 * 86400


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="oci-emulator",
        description="Local emulator of OCI Identity, KMS, Work Requests and "
                    "Object Storage (see docs/emulator.md).")
    p.add_argument("--state-dir", required=True, metavar="DIR",
                   help="state directory (created if needed; an existing "
                        "state is resumed)")
    p.add_argument("--port", type=int, default=0,
                   help="main port on 127.0.0.1 (0: any free port)")
    p.add_argument("--tenancy", default="sample",
                   help="sample or synthetic:C,V,K (only for a new state)")
    p.add_argument("--latency-ms", type=float, default=0.0, metavar="MS",
                   help="delay added to every response (+-10%% jitter)")
    p.add_argument("--rate-limit", type=float, default=10.0, metavar="RPS",
                   help="KMS requests per second per tenancy and category "
                        "(0: unlimited)")
    p.add_argument("--backup-seconds", type=float, default=5.0,
                   metavar="S", help="duration of backup/restore work "
                                     "requests")
    p.add_argument("--faults", default="", metavar="SPEC",
                   help="fault rules, e.g. 'op=BackupKey,kind=503,count=1,"
                        "when=after;op=*,kind=delay:2,prob=0.05'")
    p.add_argument("--no-work-requests", action="store_true",
                   help="KMS work requests are not readable through the "
                        "Work Requests API (404)")
    a = p.parse_args(argv)
    if not 0 <= a.port <= 65535:
        p.error("--port out of range")
    for name in ("latency_ms", "rate_limit", "backup_seconds"):
        if getattr(a, name) < 0:
            p.error("--%s must not be negative" % name.replace("_", "-"))
    if a.tenancy != "sample":
        try:
            if tenancy.parse_synthetic(a.tenancy) is None:
                p.error("--tenancy must be sample or synthetic:C,V,K")
        except ValueError as e:
            p.error(str(e))
    try:
        a.rules = faults.parse_spec(a.faults)
    except faults.FaultError as e:
        p.error("--faults: %s" % e)
    return a


def setup_logging(state_dir):
    log.setLevel(logging.DEBUG if os.environ.get("OCIEMU_DEBUG")
                 else logging.INFO)
    fh = logging.FileHandler(os.path.join(state_dir, "emulator.log"))
    fh.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(threadName)s %(message)s"))
    log.addHandler(fh)
    sh = logging.StreamHandler(sys.stderr)
    sh.setLevel(logging.WARNING)
    sh.setFormatter(logging.Formatter("oci-emulator: %(message)s"))
    log.addHandler(sh)


def setup_identities(emu, state_dir):
    """Create or reload the API keys, the session and the config file."""
    d = emu.state.d
    tid = d["tenancy"]["id"]
    default_user = util.default_user_ocid(d["tenancySpec"])
    noaccess_user = util.user_ocid(d["tenancySpec"] + "/noaccess")
    paths = {n: os.path.join(state_dir, n + ".pem")
             for n in ("api_key", "noaccess_key", "session_key")}
    keys = {n: pki.load_or_create_rsa(p) for n, p in paths.items()}
    for n in ("api_key", "noaccess_key", "session_key"):
        util.atomic_write(os.path.join(state_dir, n + "_public.pem"),
                          pki.public_pem(keys[n].public_key()).encode())
    with emu.state.lock:
        # Drop stale records of the built-in users (their keys may be new).
        for k in [k for k, u in d["users"].items()
                  if u.get("name") in ("DEFAULT", "NOACCESS")]:
            del d["users"][k]
    _, fp = emu.add_user(tid, default_user,
                         pki.public_pem(keys["api_key"].public_key()),
                         "default", name="DEFAULT")
    _, fp_no = emu.add_user(tid, noaccess_user,
                            pki.public_pem(keys["noaccess_key"].public_key()),
                            "none", name="NOACCESS")
    token_path = os.path.join(state_dir, "session_token")
    token = None
    if os.path.exists(token_path):
        with open(token_path) as f:
            token = f.read().strip()
    sess_pub = pki.public_pem(keys["session_key"].public_key())
    with emu.state.lock:
        rec = d["sessions"].get(token) if token else None
        if rec is None or rec["exp"] < util.now() + 86400:
            d["sessions"].clear()
            token = util.make_session_token(tid, default_user,
                                           util.now() + SESSION_TTL)
        # No trailing newline, as `oci session authenticate` writes it: the
        # OCI CLI signs with the file's content unstripped (a newline makes
        # it fail with "Invalid crypto padding").  Rewritten at every start
        # so that a state from an older emulator gets it right too.
        util.atomic_write(token_path, token.encode(), 0o600)
        d["sessions"][token] = {
            "tenancy": tid, "user": default_user, "access": "default",
            "publicKey": sess_pub, "exp": util.now() + SESSION_TTL
            if rec is None else rec["exp"]}
        emu.state.mark()
    fp_sess = pki.fingerprint(keys["session_key"].public_key())
    region = util.REGION
    cfg = (
        "# Written by the ocivaultfs OCI emulator; endpoint %s\n"
        "[DEFAULT]\nuser=%s\nfingerprint=%s\nkey_file=%s\ntenancy=%s\n"
        "region=%s\n\n"
        "[SESSION]\nfingerprint=%s\nkey_file=%s\ntenancy=%s\nregion=%s\n"
        "security_token_file=%s\n\n"
        "[NOACCESS]\nuser=%s\nfingerprint=%s\nkey_file=%s\ntenancy=%s\n"
        "region=%s\n" % (
            emu.endpoint, default_user, fp, paths["api_key"], tid, region,
            fp_sess, paths["session_key"], tid, region, token_path,
            noaccess_user, fp_no, paths["noaccess_key"], tid, region))
    util.atomic_write(os.path.join(state_dir, "config"), cfg.encode(), 0o600)


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    state_dir = os.path.abspath(a.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    setup_logging(state_dir)

    st = State(state_dir)
    if st.exists():
        st.load()
        sys.stderr.write("oci-emulator: resuming the existing state in %s "
                         "(tenancy %s); --tenancy is ignored\n"
                         % (state_dir, st.d["tenancySpec"]))
    else:
        st.create(a.tenancy)
    config = {"backupSeconds": a.backup_seconds, "latencyMs": a.latency_ms,
              "rateLimit": a.rate_limit,
              "workRequests": not a.no_work_requests}
    emu = Emulator(st, config, a.rules)

    ca_cert, ca_key = pki.load_or_create_ca(state_dir)
    cert, key = pki.make_server_cert(state_dir, ca_cert, ca_key)
    net = server.Network(emu, pki.server_context(cert, key))
    emu.network = net
    port = None
    if a.port == 0 and st.d.get("mainPort"):
        # A resumed state keeps its endpoint (and so its PAR URLs) when
        # the old port is still free.
        try:
            port = net.bind_main(st.d["mainPort"])
        except OSError:
            port = None
    if port is None:
        try:
            port = net.bind_main(a.port)
        except OSError as e:
            sys.stderr.write("oci-emulator: cannot listen on 127.0.0.1:%d: "
                             "%s\n" % (a.port, e))
            return 1
    st.d["mainPort"] = port
    emu.endpoint = "https://127.0.0.1:%d" % port
    with st.lock:
        for v in st.d["vaults"].values():
            emu.ensure_vault_listener(v)
    setup_identities(emu, state_dir)
    util.atomic_write(os.path.join(state_dir, "endpoint"),
                      (emu.endpoint + "\n").encode())
    st.save()
    st.start()
    emu.start_ticker()

    done = threading.Event()

    def on_signal(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    net.start()
    log.info("listening on %s (%d vault ports, tenancy %s)", emu.endpoint,
             len(st.d["vaults"]), st.d["tenancySpec"])
    sys.stdout.write("ready %s\n" % emu.endpoint)
    sys.stdout.flush()
    while not done.wait(1.0):
        pass
    log.info("stopping")
    net.stop()
    emu.stop()
    st.stop()
    return 0
