# SPDX-License-Identifier: MIT
"""KMS: the vault control plane (main port) and the key management
endpoints (one port per vault), including backups and restores."""

import base64
import copy
import hashlib
import time
from urllib.parse import unquote

from . import backupfmt, objectstorage, pki, util, workrequests
from .core import Resp, can_access, json_resp, paginate, sort_items
from .objectstorage import BUCKET_RE, LocationFailure
from .state import public
from .util import ApiError, etag_of, invalid, missing, not_found, rfc3339

KEY_STATES_BACKUP = ("ENABLED", "DISABLED")
ASYMMETRIC = ("RSA", "ECDSA")
VAULT_SUMMARY = ("compartmentId", "cryptoEndpoint", "displayName", "id",
                 "lifecycleState", "managementEndpoint", "timeCreated",
                 "vaultType", "definedTags", "freeformTags")
KEY_SUMMARY = ("compartmentId", "displayName", "id", "lifecycleState",
               "timeCreated", "vaultId", "definedTags", "freeformTags",
               "protectionMode", "algorithm", "isAutoRotationEnabled")
VERSION_SUMMARY = ("compartmentId", "id", "keyId", "origin", "timeCreated",
                   "vaultId", "lifecycleState", "timeOfDeletion",
                   "isAutoRotated")
RETRY_TTL = 24 * 3600


# --------------------------------------------------------------------------
# rendering

def vault_json(v):
    rec = public(v)
    ep = "https://127.0.0.1:%d" % v["_port"]
    rec["managementEndpoint"] = ep
    rec["cryptoEndpoint"] = ep
    return rec


def vault_summary(v):
    full = vault_json(v)
    return {k: full[k] for k in VAULT_SUMMARY if k in full}


def key_json(k):
    return public(k)


def key_summary(k):
    full = public(k)
    full["algorithm"] = k["keyShape"]["algorithm"]
    return {f: full[f] for f in KEY_SUMMARY if f in full}


def no_etag_match():
    return ApiError(412, "NoEtagMatch",
                    "The resource's etag does not match the if-match "
                    "header.")


def check_if_match(ctx, current):
    want = ctx.headers.get("if-match")
    if want is not None and want.strip() != current:
        raise no_etag_match()


# --------------------------------------------------------------------------
# lookups

def _vault(ctx, vid):
    v = ctx.state.d["vaults"].get(unquote(vid))
    if v is None or not ctx.can_access(v["compartmentId"]):
        raise not_found()
    return v


def _port_vault(ctx):
    """The vault whose endpoint received the request."""
    v = ctx.state.d["vaults"].get(ctx.vault_id)
    if v is None or v["lifecycleState"] == "DELETED":
        raise not_found()
    return v


def _key(ctx, kid):
    _port_vault(ctx)
    k = ctx.state.d["keys"].get(unquote(kid))
    if k is None or k["vaultId"] != ctx.vault_id or \
            not ctx.can_access(k["compartmentId"]):
        raise not_found()
    return k


# --------------------------------------------------------------------------
# backup locations

def validate_location(loc):
    """A normalised BackupLocation; ApiError 400 on anything malformed."""
    if loc is None:
        raise missing("backupLocation is required.")
    if not isinstance(loc, dict):
        raise invalid("backupLocation must be an object.")
    dest = loc.get("destination")
    if dest is None:
        raise missing("backupLocation.destination is required.")
    if dest == "BUCKET":
        out = {"destination": dest}
        for f in ("namespace", "bucketName", "objectName"):
            v = loc.get(f)
            if v is None:
                raise missing("backupLocation.%s is required." % f)
            if not isinstance(v, str) or not v:
                raise invalid("backupLocation.%s must be a non-empty "
                              "string." % f)
            out[f] = v
        if not BUCKET_RE.match(out["bucketName"]):
            raise invalid("backupLocation.bucketName is not a valid bucket "
                          "name.")
        if len(out["objectName"].encode()) > 1024 or \
                "\0" in out["objectName"]:
            raise invalid("backupLocation.objectName is not a valid object "
                          "name.")
        if not out["namespace"].isalnum() or len(out["namespace"]) > 64:
            raise invalid("backupLocation.namespace is not a valid "
                          "namespace.")
        return out
    if dest == "PRE_AUTHENTICATED_REQUEST_URI":
        uri = loc.get("uri")
        if uri is None:
            raise missing("backupLocation.uri is required.")
        objectstorage.parse_par_uri(uri)
        return {"destination": dest, "uri": uri}
    raise invalid("backupLocation.destination must be BUCKET or "
                  "PRE_AUTHENTICATED_REQUEST_URI.")


def _write_target(emu, loc, principal, default_name):
    d = emu.state.d
    if loc["destination"] == "BUCKET":
        b = objectstorage.find_bucket(d, principal, loc["namespace"],
                                      loc["bucketName"])
        return b["name"], loc["objectName"]
    token, ns, bucket, obj = objectstorage.parse_par_uri(loc["uri"])
    return objectstorage.par_target(d, token, ns, bucket,
                                    obj or default_name, True, util.now())


def _read_location(ctx, loc):
    d = ctx.state.d
    try:
        if loc["destination"] == "BUCKET":
            b = objectstorage.find_bucket(d, ctx.principal, loc["namespace"],
                                          loc["bucketName"])
            bucket, name = b["name"], loc["objectName"]
        else:
            token, ns, bucket, obj = objectstorage.parse_par_uri(loc["uri"])
            if not obj:
                raise invalid("A restore needs the URL of an object.")
            bucket, name = objectstorage.par_target(d, token, ns, bucket, obj,
                                                    False, util.now())
    except LocationFailure as e:
        raise e.api() from None
    obj = ctx.state.get_object(bucket, name)
    if obj is None:
        raise ApiError(404, "ObjectNotFound",
                       "The object '%s' was not found in the bucket '%s'"
                       % (name, bucket))
    return ctx.state.read_object(obj)


# --------------------------------------------------------------------------
# retry tokens

def idempotent(ctx, fn):
    """Run an action once per opc-retry-token (24 h): a repeat of the same
    request replays the first response; another request with the same
    token is refused."""
    tok = ctx.headers.get("opc-retry-token")
    if tok is None:
        return fn()
    if not 1 <= len(tok) <= 64:
        raise invalid("opc-retry-token must be 1 to 64 characters.")
    d = ctx.state.d
    now = util.now()
    key = "%s|%s" % (ctx.principal["user"], tok)
    h = hashlib.sha256()
    for part in (ctx.op, ctx.method, ctx.target, ctx.vault_id or "",
                 ctx.headers.get("if-match") or ""):
        h.update(part.encode() + b"\0")
    h.update(ctx.body)
    fp = h.hexdigest()
    rec = d["retryTokens"].get(key)
    if rec is not None and now - rec["time"] < RETRY_TTL:
        if rec["fp"] != fp:
            raise ApiError(409, "InvalidatedRetryToken",
                           "The retry token was already used for a "
                           "different request.")
        r = Resp(rec["status"], base64.b64decode(rec["body"]),
                 [tuple(h) for h in rec["headers"]])
        return r
    resp = fn()
    if 200 <= resp.status < 300:
        for k in [k for k, r in d["retryTokens"].items()
                  if now - r["time"] >= RETRY_TTL]:
            del d["retryTokens"][k]
        d["retryTokens"][key] = {
            "fp": fp, "time": now, "status": resp.status,
            "body": base64.b64encode(resp.body).decode(),
            "headers": [list(h) for h in resp.headers],
        }
        ctx.state.mark()
    return resp


def _md5_header(ctx):
    got = util.md5_b64(ctx.body)
    want = ctx.headers.get("content-md5")
    if want is not None and want.strip() != got:
        raise invalid("The computed MD5 of the request body (%s) does not "
                      "match the Content-MD5 header (%s)." % (got,
                                                              want.strip()))
    return got


def _unseal(ctx, data, kind):
    d = ctx.state.d
    try:
        payload = backupfmt.unseal(d["secret"], d["tenancy"]["id"], data)
    except backupfmt.ForeignBackup:
        raise invalid("The backup was made in another tenancy; a backup "
                      "can only be restored in the tenancy it was made "
                      "in.") from None
    except backupfmt.CorruptBackup as e:
        raise invalid(str(e)) from None
    if payload["kind"] != kind:
        raise invalid("The backup file is a %s backup, not a %s backup."
                      % (payload["kind"], kind))
    return payload


def _resource(kind, rid, action):
    base = "/20180608/keys/" if kind == "key" else "/20180608/vaults/"
    return {"entityType": kind, "actionType": action, "identifier": rid,
            "entityUri": base + rid}


# --------------------------------------------------------------------------
# public keys of RSA and ECDSA key versions
#
# Generated on first need (GetKeyVersion, or a backup that must carry
# them) and kept in the version record, so that they persist and travel
# in backups.  prepare_public_keys() generates outside the state lock
# (RSA 4096 takes about a second); ensure_public_keys() is the fallback
# under the lock.

def _needs_public_key(k, ver):
    return k["keyShape"]["algorithm"] in ASYMMETRIC and \
        not ver.get("publicKey")


def ensure_public_keys(k, version_id=None):
    """Give the key's versions (or only `version_id`) their public key
    (caller holds the state lock); True if one was added."""
    added = False
    for ver in k["_versions"]:
        if (version_id is None or ver["id"] == version_id) and \
                _needs_public_key(k, ver):
            ver["publicKey"] = pki.key_version_public_pem(k["keyShape"])
            added = True
    return added


def prepare_public_keys(emu, principal, wanted):
    """Generate the missing public keys of `wanted` ([(key id, version id
    or None for all)]) without holding the state lock, then store those
    still missing.  Only keys the principal may see are considered."""
    st = emu.state
    todo = []
    with st.lock:
        d = st.d
        for kid, version_id in wanted:
            k = d["keys"].get(kid)
            if k is None or not can_access(d, principal,
                                           k["compartmentId"]):
                continue
            for ver in k["_versions"]:
                if (version_id is None or ver["id"] == version_id) and \
                        _needs_public_key(k, ver):
                    todo.append((kid, ver["id"], dict(k["keyShape"])))
    if not todo:
        return
    made = [(kid, vid, shape, pki.key_version_public_pem(shape))
            for kid, vid, shape in todo]
    with st.lock:
        for kid, vid, shape, pem in made:
            k = st.d["keys"].get(kid)
            if k is None or k["keyShape"] != shape:
                continue
            for ver in k["_versions"]:
                if ver["id"] == vid and not ver.get("publicKey"):
                    ver["publicKey"] = pem
        st.mark()


def prepare(ctx, groups):
    """Work to do before an operation takes the state lock (called after
    authentication): the public keys GetKeyVersion shows and backups
    carry."""
    op = ctx.op
    if op == "GetKeyVersion":
        wanted = [(unquote(groups[0]), unquote(groups[1]))]
    elif op == "BackupKey":
        wanted = [(unquote(groups[0]), None)]
    elif op == "BackupVault":
        vid = unquote(groups[0])
        with ctx.state.lock:
            wanted = [(k["id"], None) for k in ctx.state.d["keys"].values()
                      if k["vaultId"] == vid and
                      k["keyShape"]["algorithm"] in ASYMMETRIC and
                      k["lifecycleState"] != "DELETED"]
    else:
        return
    if op != "BackupVault":
        with ctx.state.lock:
            k = ctx.state.d["keys"].get(wanted[0][0])
            if k is None or k["vaultId"] != ctx.vault_id:
                return
    prepare_public_keys(ctx.emu, ctx.principal, wanted)


# --------------------------------------------------------------------------
# vault control plane

def list_vaults(ctx):
    d = ctx.state.d
    comp = ctx.q("compartmentId", required=True)
    ctx.need_access(comp)
    items = [vault_summary(v) for v in d["vaults"].values()
             if v["compartmentId"] == comp and
             v["lifecycleState"] != "DELETED"]
    items = sort_items(ctx, items, "displayName")
    page, headers = paginate(ctx, items)
    return json_resp(page, headers=headers)


def get_vault(ctx, vid):
    rec = vault_json(_vault(ctx, vid))
    return json_resp(rec, headers=[("etag", etag_of(rec))])


def backup_vault(ctx, vid):
    return idempotent(ctx, lambda: _backup_vault(ctx, vid))


def _backup_vault(ctx, vid):
    emu = ctx.emu
    v = _vault(ctx, vid)
    body = ctx.json_body()
    loc = validate_location(body.get("backupLocation"))
    inc = body.get("isIncludeKeys", False)
    if not isinstance(inc, bool):
        raise invalid("isIncludeKeys must be a boolean.")
    check_if_match(ctx, etag_of(vault_json(v)))
    if v["vaultType"] != "VIRTUAL_PRIVATE":
        raise invalid("Backups are only supported for virtual private "
                      "vaults.")
    if v["lifecycleState"] != "ACTIVE":
        raise ApiError(409, "IncorrectState",
                       "The vault is in lifecycle state %s; it must be "
                       "ACTIVE to be backed up." % v["lifecycleState"])
    v["lifecycleState"] = "BACKUP_IN_PROGRESS"
    wr = workrequests.create(
        emu, "BACKUP_VAULT", v["compartmentId"],
        [_resource("vault", v["id"], "IN_PROGRESS")],
        {"type": "backup_vault", "vaultId": v["id"], "location": loc,
         "includeKeys": inc}, ctx.principal, v["_prefix"])
    rec = vault_json(v)
    return json_resp(rec, headers=[("etag", etag_of(rec)),
                                   ("opc-work-request-id", wr["id"])])


def restore_vault_from_object_store(ctx):
    return idempotent(ctx, lambda: _restore_vault(ctx, None))


def restore_vault_from_file(ctx):
    return idempotent(ctx, lambda: _restore_vault(ctx, _md5_header(ctx)))


def _restored_state(src):
    """The state a restored key ends in: the one it had when it was backed
    up if ENABLED or DISABLED, else ENABLED."""
    st = src.get("lifecycleState")
    return st if st in KEY_STATES_BACKUP else "ENABLED"


def _restore_vault(ctx, md5):
    emu = ctx.emu
    d = ctx.state.d
    comp = ctx.q("compartmentId", required=True)
    ctx.need_access(comp)
    if md5 is None:
        loc = validate_location(ctx.json_body().get("backupLocation"))
        data = _read_location(ctx, loc)
    else:
        data = ctx.body
    payload = _unseal(ctx, data, "vault")
    src = payload["vault"]
    old = d["vaults"].get(src["id"])
    if old is not None and old["lifecycleState"] != "DELETED":
        raise ApiError(409, "Conflict",
                       "A vault with the OCID of the backup already exists.")
    if old is not None:
        check_if_match(ctx, etag_of(vault_json(old)))
    elif ctx.headers.get("if-match") is not None:
        raise no_etag_match()
    v = copy.deepcopy(src)
    v["compartmentId"] = comp
    v["lifecycleState"] = "RESTORING"
    v["restoredFromVaultId"] = src["id"]
    v["timeOfDeletion"] = None
    v["_port"] = old["_port"] if old else src.get("_port", 0)
    d["vaults"][v["id"]] = v
    if not old:
        emu.ensure_vault_listener(v)
    restored = []
    for k in payload.get("keys", []):
        cur = d["keys"].get(k["id"])
        if cur is not None and cur["lifecycleState"] != "DELETED":
            continue
        nk = copy.deepcopy(k)
        nk["lifecycleState"] = "RESTORING"
        nk["_restoreState"] = _restored_state(k)
        nk["restoredFromKeyId"] = k["id"]
        nk["timeOfDeletion"] = None
        for ver in nk["_versions"]:
            ver["restoredFromKeyVersionId"] = ver["id"]
        d["keys"][nk["id"]] = nk
        restored.append(nk["id"])
    wr = workrequests.create(
        emu, "RESTORE_VAULT", comp,
        [_resource("vault", v["id"], "IN_PROGRESS")],
        {"type": "restore_vault", "vaultId": v["id"], "keys": restored},
        ctx.principal, v["_prefix"])
    rec = vault_json(v)
    headers = [("etag", etag_of(rec)), ("opc-work-request-id", wr["id"])]
    if md5 is not None:
        headers.append(("opc-content-md5", md5))
    return json_resp(rec, headers=headers)


# --------------------------------------------------------------------------
# key management (vault ports)

def list_keys(ctx):
    _port_vault(ctx)
    d = ctx.state.d
    comp = ctx.q("compartmentId", required=True)
    ctx.need_access(comp)
    prot = ctx.q_enum("protectionMode", ("HSM", "SOFTWARE", "EXTERNAL"))
    alg = ctx.q_enum("algorithm", ("AES", "RSA", "ECDSA"))
    curve = ctx.q_enum("curveId", ("NIST_P256", "NIST_P384", "NIST_P521"))
    length = ctx.q("length")
    if length is not None:
        try:
            length = int(length)
        except ValueError:
            raise invalid("Invalid length %r." % length) from None
    items = []
    for k in d["keys"].values():
        if k["vaultId"] != ctx.vault_id or k["compartmentId"] != comp or \
                k["lifecycleState"] == "DELETED":
            continue
        shape = k["keyShape"]
        if prot and k["protectionMode"] != prot:
            continue
        if alg and shape["algorithm"] != alg:
            continue
        if length is not None and shape["length"] != length:
            continue
        if curve and shape.get("curveId") != curve:
            continue
        items.append(key_summary(k))
    items = sort_items(ctx, items, "displayName")
    page, headers = paginate(ctx, items)
    return json_resp(page, headers=headers)


def get_key(ctx, kid):
    rec = key_json(_key(ctx, kid))
    return json_resp(rec, headers=[("etag", etag_of(rec))])


def list_key_versions(ctx, kid):
    k = _key(ctx, kid)
    items = [{f: v[f] for f in VERSION_SUMMARY if v.get(f) is not None}
             for v in k["_versions"]]
    by = ctx.q_enum("sortBy", ("TIMECREATED", "DISPLAYNAME")) or "TIMECREATED"
    order = ctx.q_enum("sortOrder", ("ASC", "DESC"))
    if by == "TIMECREATED":
        desc = order != "ASC"
        items.sort(key=lambda r: (r["timeCreated"], r["id"]), reverse=desc)
    else:  # versions have no name: OCI orders them by id
        items.sort(key=lambda r: r["id"], reverse=order == "DESC")
    page, headers = paginate(ctx, items)
    return json_resp(page, headers=headers)


def get_key_version(ctx, kid, vid):
    k = _key(ctx, kid)
    vid = unquote(vid)
    for v in k["_versions"]:
        if v["id"] == vid:
            if ensure_public_keys(k, vid):
                ctx.state.mark()
            rec = public(v)
            return json_resp(rec, headers=[("etag", etag_of(rec))])
    raise not_found()


def backup_key(ctx, kid):
    return idempotent(ctx, lambda: _backup_key(ctx, kid))


def _backup_key(ctx, kid):
    emu = ctx.emu
    k = _key(ctx, kid)
    v = ctx.state.d["vaults"][k["vaultId"]]
    body = ctx.json_body()
    loc = validate_location(body.get("backupLocation"))
    check_if_match(ctx, etag_of(key_json(k)))
    if v["vaultType"] != "VIRTUAL_PRIVATE" or k["protectionMode"] != "HSM":
        raise invalid("Key backups are only supported for HSM-protected keys "
                      "in virtual private vaults (this key is %s in a %s "
                      "vault)." % (k["protectionMode"], v["vaultType"]))
    if k["lifecycleState"] not in KEY_STATES_BACKUP:
        raise ApiError(409, "IncorrectState",
                       "The key is in lifecycle state %s; it must be ENABLED "
                       "or DISABLED to be backed up." % k["lifecycleState"])
    k["_prevState"] = k["lifecycleState"]
    k["lifecycleState"] = "BACKUP_IN_PROGRESS"
    wr = workrequests.create(
        emu, "BACKUP_KEY", k["compartmentId"],
        [_resource("key", k["id"], "IN_PROGRESS")],
        {"type": "backup_key", "keyId": k["id"], "location": loc},
        ctx.principal, v["_prefix"])
    emu.stats.backup_started(k["id"])
    rec = key_json(k)
    return json_resp(rec, headers=[("etag", etag_of(rec)),
                                   ("opc-work-request-id", wr["id"])])


def restore_key_from_object_store(ctx):
    return idempotent(ctx, lambda: _restore_key(ctx, None))


def restore_key_from_file(ctx):
    return idempotent(ctx, lambda: _restore_key(ctx, _md5_header(ctx)))


def _restore_key(ctx, md5):
    emu = ctx.emu
    d = ctx.state.d
    v = _port_vault(ctx)
    if v["vaultType"] != "VIRTUAL_PRIVATE":
        raise invalid("Keys can only be restored into virtual private "
                      "vaults (this vault is %s)." % v["vaultType"])
    if v["lifecycleState"] != "ACTIVE":
        raise ApiError(409, "IncorrectState",
                       "The vault is in lifecycle state %s; it must be "
                       "ACTIVE to restore a key into it."
                       % v["lifecycleState"])
    if md5 is None:
        loc = validate_location(ctx.json_body().get("backupLocation"))
        data = _read_location(ctx, loc)
    else:
        data = ctx.body
    payload = _unseal(ctx, data, "key")
    src = payload["key"]
    if src["vaultId"] != v["id"]:
        raise invalid("The backup belongs to vault %s; restore it through "
                      "that vault's management endpoint." % src["vaultId"])
    if not ctx.can_access(src["compartmentId"]):
        raise not_found()
    old = d["keys"].get(src["id"])
    if old is not None and old["lifecycleState"] != "DELETED":
        raise ApiError(409, "Conflict",
                       "A key with the OCID of the backup already exists.")
    if old is not None:
        check_if_match(ctx, etag_of(key_json(old)))
    elif ctx.headers.get("if-match") is not None:
        raise no_etag_match()
    k = copy.deepcopy(src)
    k["lifecycleState"] = "RESTORING"
    k["_restoreState"] = _restored_state(src)
    k["restoredFromKeyId"] = src["id"]
    k["timeOfDeletion"] = None
    for ver in k["_versions"]:
        ver["restoredFromKeyVersionId"] = ver["id"]
    d["keys"][k["id"]] = k
    wr = workrequests.create(
        emu, "RESTORE_KEY", k["compartmentId"],
        [_resource("key", k["id"], "IN_PROGRESS")],
        {"type": "restore_key", "keyId": k["id"]}, ctx.principal,
        v["_prefix"])
    rec = key_json(k)
    headers = [("etag", etag_of(rec)), ("opc-work-request-id", wr["id"])]
    if md5 is not None:
        headers.append(("opc-content-md5", md5))
    return json_resp(rec, headers=headers)


# --------------------------------------------------------------------------
# completion of work requests (called by workrequests.advance)

def _stamp():
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def _internal(rec):
    """A record for a backup payload: public and identity fields only."""
    return {k: v for k, v in rec.items()
            if not k.startswith("_") or k in ("_versions", "_prefix",
                                              "_port")}


def complete(emu, wr):
    """Finish a work request's action; None or (code, message)."""
    d = emu.state.d
    act = wr["_action"]
    t = act["type"]
    if t == "backup_key":
        k = d["keys"].get(act["keyId"])
        res = _complete_backup_key(emu, wr, k)
        if res is None:
            emu.stats.add("b_succeeded")
        else:
            emu.stats.add("b_failed")
        for r in wr["resources"]:
            r["actionType"] = "RELATED"
        return res
    if t == "backup_vault":
        v = d["vaults"].get(act["vaultId"])
        if v is None:
            return ("NotAuthorizedOrNotFound", "The vault no longer exists.")
        if v["lifecycleState"] == "BACKUP_IN_PROGRESS":
            v["lifecycleState"] = "ACTIVE"
        for r in wr["resources"]:
            r["actionType"] = "RELATED"
        payload = {"kind": "vault", "vault": _internal(v),
                   "tenancyId": d["tenancy"]["id"],
                   "createdAt": rfc3339(util.now())}
        payload["vault"]["lifecycleState"] = "ACTIVE"
        if act["includeKeys"]:
            payload["keys"] = []
            for k in d["keys"].values():
                if k["vaultId"] == v["id"] and \
                        k["lifecycleState"] != "DELETED":
                    ensure_public_keys(k)
                    kr = _internal(k)
                    kr.pop("_prevState", None)
                    if kr["lifecycleState"] == "BACKUP_IN_PROGRESS":
                        kr["lifecycleState"] = k.get("_prevState", "ENABLED")
                    payload["keys"].append(kr)
        return _write_backup(emu, wr, payload, v["id"], None)
    if t == "restore_key":
        k = d["keys"].get(act["keyId"])
        if k is None:
            return ("NotAuthorizedOrNotFound", "The key no longer exists.")
        if k["lifecycleState"] == "RESTORING":
            k["lifecycleState"] = k.get("_restoreState", "ENABLED")
        k.pop("_restoreState", None)
        for r in wr["resources"]:
            r["actionType"] = "CREATED"
        return None
    if t == "restore_vault":
        v = d["vaults"].get(act["vaultId"])
        if v is None:
            return ("NotAuthorizedOrNotFound", "The vault no longer exists.")
        if v["lifecycleState"] == "RESTORING":
            v["lifecycleState"] = "ACTIVE"
        for kid in act["keys"]:
            k = d["keys"].get(kid)
            if k is None:
                continue
            if k["lifecycleState"] == "RESTORING":
                k["lifecycleState"] = k.get("_restoreState", "ENABLED")
            k.pop("_restoreState", None)
        for r in wr["resources"]:
            r["actionType"] = "CREATED"
        return None
    return ("InternalServerError", "Unknown work request action.")


def _complete_backup_key(emu, wr, k):
    d = emu.state.d
    if k is None:
        return ("NotAuthorizedOrNotFound", "The key no longer exists.")
    prev = k.pop("_prevState", "ENABLED")
    if k["lifecycleState"] == "BACKUP_IN_PROGRESS":
        k["lifecycleState"] = prev
    v = d["vaults"].get(k["vaultId"])
    ensure_public_keys(k)
    kr = _internal(k)
    kr["lifecycleState"] = prev
    payload = {"kind": "key", "key": kr,
               "vault": _internal(v) if v else None,
               "tenancyId": d["tenancy"]["id"],
               "createdAt": rfc3339(util.now())}
    return _write_backup(emu, wr, payload, k["id"], k["id"])


def _write_backup(emu, wr, payload, rid, key_id):
    st = emu.state
    try:
        bucket, name = _write_target(
            emu, wr["_action"]["location"], wr["_principal"],
            "%s-%s.backup" % (rid, _stamp()))
    except LocationFailure as e:
        return (e.code, e.message)
    except ApiError as e:
        return (e.code, e.message)
    blob = backupfmt.seal(st.d["secret"], st.d["tenancy"]["id"], payload)
    obj = st.put_object(bucket, name, blob, "application/octet-stream",
                        key_id=key_id)
    wr["_logs"].append({"message": "Wrote backup object %s/%s/%s (%d "
                        "bytes)." % (obj["namespace"], bucket, name,
                                     obj["size"]),
                        "timestamp": rfc3339(util.now())})
    return None


def register(router):
    router.add("main", r"^/20180608/vaults$",
               {"GET": ("ListVaults", list_vaults)})
    router.add("main", r"^/20180608/vaults/actions/restoreFromObjectStore$",
               {"POST": ("RestoreVaultFromObjectStore",
                         restore_vault_from_object_store)})
    router.add("main", r"^/20180608/vaults/actions/restoreFromFile$",
               {"POST": ("RestoreVaultFromFile", restore_vault_from_file)})
    router.add("main", r"^/20180608/vaults/([^/]+)$",
               {"GET": ("GetVault", get_vault)})
    router.add("main", r"^/20180608/vaults/([^/]+)/actions/backup$",
               {"POST": ("BackupVault", backup_vault)})
    router.add("vault", r"^/20180608/keys$",
               {"GET": ("ListKeys", list_keys)})
    router.add("vault", r"^/20180608/keys/actions/restoreFromObjectStore$",
               {"POST": ("RestoreKeyFromObjectStore",
                         restore_key_from_object_store)})
    router.add("vault", r"^/20180608/keys/actions/restoreFromFile$",
               {"POST": ("RestoreKeyFromFile", restore_key_from_file)})
    router.add("vault", r"^/20180608/keys/([^/]+)$",
               {"GET": ("GetKey", get_key)})
    router.add("vault", r"^/20180608/keys/([^/]+)/keyVersions$",
               {"GET": ("ListKeyVersions", list_key_versions)})
    router.add("vault", r"^/20180608/keys/([^/]+)/keyVersions/([^/]+)$",
               {"GET": ("GetKeyVersion", get_key_version)})
    router.add("vault", r"^/20180608/keys/([^/]+)/actions/backup$",
               {"POST": ("BackupKey", backup_key)})
