# SPDX-License-Identifier: MIT
"""The admin API (main port, unsigned, under /_emulator/): statistics,
objects, PARs, faults, reset, runtime configuration and the mutations
tests need.  See docs/emulator.md."""

import base64
import binascii
import json
import re
import secrets
from urllib.parse import unquote

from . import faults, kms, objectstorage, pki, util
from .core import error_resp, json_resp
from .state import public
from .util import ApiError, invalid, missing, not_found, rfc3339

KEY_STATES = ("CREATING", "ENABLING", "ENABLED", "DISABLING", "DISABLED",
              "DELETING", "DELETED", "PENDING_DELETION",
              "SCHEDULING_DELETION", "CANCELLING_DELETION", "UPDATING",
              "BACKUP_IN_PROGRESS", "RESTORING")
VAULT_STATES = ("CREATING", "ACTIVE", "DELETING", "DELETED",
                "PENDING_DELETION", "SCHEDULING_DELETION",
                "CANCELLING_DELETION", "UPDATING", "BACKUP_IN_PROGRESS",
                "RESTORING")
COMPARTMENT_STATES = ("CREATING", "ACTIVE", "INACTIVE", "DELETING",
                      "DELETED")
KEY_LENGTHS = {"AES": (16, 24, 32), "RSA": (256, 384, 512),
               "ECDSA": (32, 48, 66)}


def handle(emu, method, target, headers, body):
    path = target.partition("?")[0]
    try:
        data = None
        if method in ("POST", "PUT") and body:
            try:
                data = json.loads(body.decode("utf-8"))
            except ValueError:
                raise ApiError(400, "CannotParseRequest",
                               "Unable to parse the request body as JSON.") \
                    from None
        for rx, methods in ROUTES:
            m = rx.match(path)
            if not m:
                continue
            fn = methods.get(method)
            if fn is None:
                raise ApiError(405, "MethodNotAllowed",
                               "Method %s is not allowed here." % method)
            out = fn(emu, data, *(unquote(g) for g in m.groups()))
            return json_resp(out)
        raise ApiError(404, "NotFound", "Unknown admin path.")
    except ApiError as e:
        return error_resp(e)


def _obj(data):
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise invalid("The body must be a JSON object.")
    return data


def _str(data, name, required=True, default=None):
    v = data.get(name)
    if v is None:
        if required:
            raise missing("'%s' is required." % name)
        return default
    if not isinstance(v, str) or not v:
        raise invalid("'%s' must be a non-empty string." % name)
    return v


def _enum(data, name, allowed, default=None):
    v = data.get(name, default)
    if v is not None and v not in allowed:
        raise invalid("'%s' must be one of %s." % (name, ", ".join(allowed)))
    return v


# -- statistics, objects, work requests --------------------------------------

def get_stats(emu, data):
    return emu.stats.snapshot()


def get_requests(emu, data):
    return {"requests": emu.stats.request_log()}


def reset_stats(emu, data):
    emu.stats.reset()
    return emu.stats.snapshot()


def get_objects(emu, data):
    with emu.state.lock:
        objs = sorted(emu.state.d["objects"].values(),
                      key=lambda o: (o["bucket"], o["name"]))
        return [{"namespace": o["namespace"], "bucket": o["bucket"],
                 "name": o["name"], "size": o["size"], "md5": o["md5"],
                 "etag": o["etag"], "key_id": o.get("keyId")}
                for o in objs]


def _object(emu, bucket, name):
    o = emu.state.get_object(bucket, name)
    if o is None:
        raise ApiError(404, "ObjectNotFound",
                       "The object '%s' was not found in the bucket '%s'"
                       % (name, bucket))
    return o


def _object_json(o):
    return {"namespace": o["namespace"], "bucket": o["bucket"],
            "name": o["name"], "size": o["size"], "md5": o["md5"],
            "etag": o["etag"], "contentType": o["contentType"],
            "key_id": o.get("keyId")}


def get_object(emu, data, bucket, name):
    """An object's metadata and its bytes (base64 in `content`)."""
    with emu.state.lock:
        o = _object(emu, bucket, name)
        rec = _object_json(o)
        rec["content"] = base64.b64encode(
            emu.state.read_object(o)).decode("ascii")
        return rec


def put_object(emu, data, bucket, name):
    """Store arbitrary bytes (`content`, base64) as an object, e.g. a
    damaged backup; replaces an existing object."""
    data = _obj(data)
    raw = data.get("content")
    if not isinstance(raw, str):
        raise missing("'content' (base64) is required.")
    try:
        content = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("'content' is not valid base64.") from None
    ctype = _str(data, "contentType", False, "application/octet-stream")
    if not name or len(name.encode()) > 1024:
        raise invalid("Invalid object name.")
    with emu.state.lock:
        if bucket not in emu.state.d["buckets"]:
            raise ApiError(404, "BucketNotFound",
                           "The bucket '%s' does not exist." % bucket)
        o = emu.state.put_object(bucket, name, content, ctype)
        return _object_json(o)


def delete_object(emu, data, bucket, name):
    with emu.state.lock:
        _object(emu, bucket, name)
        emu.state.delete_object(bucket, name)
        return {"deleted": name, "bucket": bucket}


def get_workrequests(emu, data):
    emu.advance()
    with emu.state.lock:
        out = []
        for wr in sorted(emu.state.d["workRequests"].values(),
                         key=lambda w: w["_start"]):
            rec = public(wr)
            rec["errors"] = list(wr["_errors"])
            rec["logs"] = list(wr["_logs"])
            out.append(rec)
        return out


def get_info(emu, data):
    with emu.state.lock:
        d = emu.state.d
        return {
            "tenancyId": d["tenancy"]["id"],
            "tenancyName": d["tenancy"]["name"],
            "tenancySpec": d["tenancySpec"],
            "namespace": d["namespace"],
            "region": util.REGION,
            "endpoint": emu.endpoint,
            "vaults": [{"id": v["id"], "displayName": v["displayName"],
                        "compartmentId": v["compartmentId"],
                        "vaultType": v["vaultType"],
                        "lifecycleState": v["lifecycleState"],
                        "port": v["_port"],
                        "managementEndpoint": "https://127.0.0.1:%d"
                        % v["_port"]}
                       for v in d["vaults"].values()],
            "users": [{"keyId": k, "access": u["access"],
                       "name": u.get("name")}
                      for k, u in d["users"].items()],
        }


KEY_SUMMARY = ("id", "displayName", "vaultId", "compartmentId",
               "protectionMode", "lifecycleState")


def list_compartments(emu, data):
    """Every compartment (any state, none hidden by access rules): the
    tenancy's shape for tools that compare a client's calls with it."""
    with emu.state.lock:
        d = emu.state.d
        denied = set(d["restricted"])
        return [{"id": c["id"], "compartmentId": c["compartmentId"],
                 "name": c["name"], "lifecycleState": c["lifecycleState"],
                 "restricted": c["id"] in denied}
                for c in d["compartments"].values()]


def list_keys(emu, data):
    """Every key (any state, DELETED included), as a short summary."""
    with emu.state.lock:
        return [{f: k.get(f) for f in KEY_SUMMARY}
                for k in emu.state.d["keys"].values()]


# -- PARs ----------------------------------------------------------------

def create_par(emu, data):
    data = _obj(data)
    bucket = _str(data, "bucket")
    obj = _str(data, "object", required=False)
    access = _enum(data, "accessType", objectstorage.ACCESS_TYPES)
    if access is None:
        raise missing("'accessType' is required.")
    if obj is not None and access not in objectstorage.OBJECT_ACCESS:
        raise invalid("An object PAR needs ObjectRead, ObjectWrite or "
                      "ObjectReadWrite.")
    if obj is None and access in objectstorage.OBJECT_ACCESS:
        raise invalid("A bucket PAR needs AnyObjectRead, AnyObjectWrite or "
                      "AnyObjectReadWrite.")
    now = util.now()
    expires = objectstorage.par_expiry(data, now)
    with emu.state.lock:
        d = emu.state.d
        ns = data.get("namespace", d["namespace"])
        if ns != d["namespace"] or bucket not in d["buckets"]:
            raise ApiError(404, "BucketNotFound",
                           "The bucket '%s' does not exist." % bucket)
        par, uri = objectstorage.create_par(d, bucket, obj, access, expires,
                                            now)
        emu.state.mark()
        return objectstorage.par_json(par, uri, emu.endpoint)


# -- faults --------------------------------------------------------------

def get_faults(emu, data):
    return {"rules": emu.faults.list()}


def post_faults(emu, data):
    data = _obj(data)
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise invalid("'rules' must be a list.")
    try:
        parsed = [faults.Rule.from_json(r) for r in rules]
    except faults.FaultError as e:
        raise invalid(str(e)) from None
    replace = data.get("replace", True)
    if not isinstance(replace, bool):
        raise invalid("'replace' must be a boolean.")
    emu.faults.set(parsed, replace)
    return {"rules": emu.faults.list()}


def delete_faults(emu, data):
    emu.faults.clear()
    return {"rules": []}


# -- reset and configuration -----------------------------------------------

def post_reset(emu, data):
    emu.reset()
    return {"reset": True}


def get_config(emu, data):
    return dict(emu.config)


def post_config(emu, data):
    return emu.set_config(_obj(data))


# -- users -----------------------------------------------------------------

def post_users(emu, data):
    data = _obj(data)
    pem = _str(data, "publicKey")
    d = emu.state.d
    tenancy = _str(data, "tenancy", False, d["tenancy"]["id"])
    user = _str(data, "user", False,
                "ocid1.user.oc1..aaaaaaaa" + util.random_lower(52))
    access = _enum(data, "access", ("default", "all", "none"), "default")
    fp = _str(data, "fingerprint", required=False)
    try:
        key_id, fp = emu.add_user(tenancy, user, pem, access, fp,
                                  data.get("name"))
    except ValueError as e:
        raise invalid("Invalid publicKey: %s" % e) from None
    return {"keyId": key_id, "tenancy": tenancy, "user": user,
            "fingerprint": fp, "access": access}


# -- sessions --------------------------------------------------------------

def post_sessions(emu, data):
    """A new session token, as `oci session authenticate` or `oci session
    refresh` would get: {"ttl": seconds (may be negative: born expired),
    "publicKey": PEM (default: the built-in session's key), "user",
    "access"} -> {"token", "exp"}; the JWT's "exp" is the session's."""
    data = _obj(data)
    d = emu.state.d
    ttl = data.get("ttl", 3600)
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise invalid("ttl must be a number of seconds")
    pem = _str(data, "publicKey", required=False)
    access = _enum(data, "access", ("default", "all", "none"), "default")
    with emu.state.lock:
        if pem is None:
            builtin = [r for r in d["sessions"].values()
                       if r.get("builtin", True)]
            if not builtin:
                raise missing("publicKey")
            pem = builtin[0]["publicKey"]
        user = _str(data, "user", False,
                    util.default_user_ocid(d["tenancySpec"]))
        try:
            pki.load_public_pem(pem)
        except ValueError as e:
            raise invalid("Invalid publicKey: %s" % e) from None
        exp = int(util.now() + ttl)
        token = util.make_session_token(d["tenancy"]["id"], user, exp)
        d["sessions"][token] = {
            "tenancy": d["tenancy"]["id"], "user": user, "access": access,
            "publicKey": pem, "exp": exp, "builtin": False}
        emu.state.mark()
    return {"token": token, "exp": exp}


def expire_session(emu, data):
    """The service ends a session before its JWT says (revoked, or the
    clocks disagree): {"token"} -> every later request signed with it is
    401 NotAuthenticated."""
    data = _obj(data)
    token = _str(data, "token")
    with emu.state.lock:
        rec = emu.state.d["sessions"].get(token)
        if rec is None:
            raise not_found("No such session.")
        rec["exp"] = util.now() - 1
        emu.state.mark()
    return {"expired": True}


# -- mutations -------------------------------------------------------------

def create_key(emu, data):
    data = _obj(data)
    vid = _str(data, "vaultId")
    with emu.state.lock:
        d = emu.state.d
        v = d["vaults"].get(vid)
        if v is None:
            raise not_found("No such vault.")
        comp = _str(data, "compartmentId", False, v["compartmentId"])
        if comp != d["tenancy"]["id"] and comp not in d["compartments"]:
            raise not_found("No such compartment.")
        name = _str(data, "displayName", False, "key-" +
                    secrets.token_hex(3))
        prot = _enum(data, "protectionMode", ("HSM", "SOFTWARE"), "HSM")
        state = _enum(data, "lifecycleState", KEY_STATES, "ENABLED")
        alg = _enum(data, "algorithm", tuple(KEY_LENGTHS), "AES")
        length = data.get("length", KEY_LENGTHS[alg][-1 if alg == "AES"
                                                      else 0])
        if length not in KEY_LENGTHS[alg]:
            raise invalid("Invalid length for %s." % alg)
        versions = data.get("versions", 1)
        if not isinstance(versions, int) or not 1 <= versions <= 100:
            raise invalid("'versions' must be 1..100.")
        seed = secrets.token_hex(16)
        kid = util.key_ocid(v["_prefix"], seed)
        t = util.now()
        vers = []
        for i in range(versions):
            vers.append({
                "compartmentId": comp,
                "id": util.keyversion_ocid(v["_prefix"], "%s#%d" % (seed, i)),
                "keyId": kid, "timeCreated": rfc3339(t + i * 0.001),
                "vaultId": vid, "lifecycleState": "ENABLED",
                "origin": "INTERNAL", "isPrimary": True,
                "isAutoRotated": False,
            })
        shape = {"algorithm": alg, "length": length}
        if alg == "ECDSA":
            shape["curveId"] = {32: "NIST_P256", 48: "NIST_P384",
                                66: "NIST_P521"}[length]
        k = {
            "compartmentId": comp, "currentKeyVersion": vers[-1]["id"],
            "displayName": name, "id": kid, "keyShape": shape,
            "lifecycleState": state, "timeCreated": rfc3339(t),
            "vaultId": vid, "definedTags": {}, "freeformTags": {},
            "protectionMode": prot,
            "timeOfDeletion": rfc3339(t + 7 * 86400)
            if state in ("PENDING_DELETION", "DELETED") else None,
            "isPrimary": True, "isAutoRotationEnabled": False,
            "_versions": vers,
        }
        d["keys"][kid] = k
        emu.state.mark()
        return public(k)


def get_key(emu, data, kid):
    with emu.state.lock:
        k = emu.state.d["keys"].get(kid)
        if k is None:
            raise not_found("No such key.")
        rec = public(k)
        rec["versions"] = [public(v) for v in k["_versions"]]
        return rec


def update_key(emu, data, kid):
    data = _obj(data)
    with emu.state.lock:
        k = emu.state.d["keys"].get(kid)
        if k is None:
            raise not_found("No such key.")
        name = _str(data, "displayName", required=False)
        state = _enum(data, "lifecycleState", KEY_STATES)
        if name is not None:
            k["displayName"] = name
        if state is not None:
            k["lifecycleState"] = state
            k.pop("_prevState", None)
            if state in ("PENDING_DELETION", "DELETED"):
                k["timeOfDeletion"] = k.get("timeOfDeletion") or \
                    rfc3339(util.now() + 7 * 86400)
            else:
                k["timeOfDeletion"] = None
        emu.state.mark()
        return public(k)


def delete_key(emu, data, kid):
    with emu.state.lock:
        if emu.state.d["keys"].pop(kid, None) is None:
            raise not_found("No such key.")
        emu.state.mark()
        return {"deleted": kid}


def update_vault(emu, data, vid):
    data = _obj(data)
    with emu.state.lock:
        v = emu.state.d["vaults"].get(vid)
        if v is None:
            raise not_found("No such vault.")
        name = _str(data, "displayName", required=False)
        state = _enum(data, "lifecycleState", VAULT_STATES)
        if name is not None:
            v["displayName"] = name
        if state is not None:
            v["lifecycleState"] = state
            v["timeOfDeletion"] = rfc3339(util.now() + 30 * 86400) \
                if state in ("PENDING_DELETION", "DELETED") else None
        emu.state.mark()
        return kms.vault_json(v)


def delete_vault(emu, data, vid):
    """Delete a vault as OCI does at the end of its deletion: the vault is
    DELETED (GetVault still answers, ListVaults hides it, its endpoint
    serves nothing) and so is every key in it."""
    with emu.state.lock:
        d = emu.state.d
        v = d["vaults"].get(vid)
        if v is None:
            raise not_found("No such vault.")
        when = rfc3339(util.now())
        v["lifecycleState"] = "DELETED"
        v["timeOfDeletion"] = when
        keys = []
        for k in d["keys"].values():
            if k["vaultId"] != vid:
                continue
            k.pop("_prevState", None)
            k.pop("_restoreState", None)
            if k["lifecycleState"] != "DELETED":
                k["lifecycleState"] = "DELETED"
                k["timeOfDeletion"] = when
            keys.append(k["id"])
        emu.state.mark()
        return {"deleted": vid, "keys": sorted(keys)}


def update_compartment(emu, data, cid):
    data = _obj(data)
    with emu.state.lock:
        c = emu.state.d["compartments"].get(cid)
        if c is None:
            raise not_found("No such compartment.")
        name = data.get("name", data.get("displayName"))
        if name is not None:
            if not isinstance(name, str) or not name:
                raise invalid("'name' must be a non-empty string.")
            c["name"] = name
        state = _enum(data, "lifecycleState", COMPARTMENT_STATES)
        if state is not None:
            c["lifecycleState"] = state
        emu.state.mark()
        return public(c)


def create_bucket(emu, data):
    data = _obj(data)
    name = _str(data, "name")
    if not objectstorage.BUCKET_RE.match(name):
        raise invalid("Invalid bucket name.")
    with emu.state.lock:
        d = emu.state.d
        comp = _str(data, "compartmentId", False, d["tenancy"]["id"])
        if comp != d["tenancy"]["id"] and comp not in d["compartments"]:
            raise not_found("No such compartment.")
        creator = _str(data, "createdBy", False,
                       util.default_user_ocid(d["tenancySpec"]))
        if not creator.startswith("ocid1."):
            raise invalid("'createdBy' must be an OCID.")
        if name in d["buckets"]:
            raise ApiError(409, "BucketAlreadyExists",
                           "Bucket '%s' already exists." % name)
        d["buckets"][name] = {
            "name": name, "compartmentId": comp, "createdBy": creator,
            "timeCreated": rfc3339(util.now()),
            "etag": secrets.token_hex(16)}
        emu.state.mark()
        rec = dict(d["buckets"][name])
        rec["namespace"] = d["namespace"]
        return rec


def delete_bucket(emu, data, name):
    with emu.state.lock:
        d = emu.state.d
        if d["buckets"].pop(name, None) is None:
            raise not_found("No such bucket.")
        emu.state.delete_bucket_objects(name)
        return {"deleted": name}


ROUTES = [(re.compile(p), m) for p, m in [
    (r"^/_emulator/stats$", {"GET": get_stats}),
    (r"^/_emulator/stats/reset$", {"POST": reset_stats}),
    (r"^/_emulator/requests$", {"GET": get_requests}),
    (r"^/_emulator/objects$", {"GET": get_objects}),
    (r"^/_emulator/objects/([^/]+)/(.+)$", {"GET": get_object,
                                            "PUT": put_object,
                                            "DELETE": delete_object}),
    (r"^/_emulator/workrequests$", {"GET": get_workrequests}),
    (r"^/_emulator/info$", {"GET": get_info}),
    (r"^/_emulator/pars$", {"POST": create_par}),
    (r"^/_emulator/faults$", {"GET": get_faults, "POST": post_faults,
                              "DELETE": delete_faults}),
    (r"^/_emulator/reset$", {"POST": post_reset}),
    (r"^/_emulator/config$", {"GET": get_config, "POST": post_config}),
    (r"^/_emulator/users$", {"POST": post_users}),
    (r"^/_emulator/sessions$", {"POST": post_sessions}),
    (r"^/_emulator/sessions/expire$", {"POST": expire_session}),
    (r"^/_emulator/compartments$", {"GET": list_compartments}),
    (r"^/_emulator/keys$", {"GET": list_keys, "POST": create_key}),
    (r"^/_emulator/keys/([^/]+)$", {"GET": get_key, "POST": update_key,
                                    "DELETE": delete_key}),
    (r"^/_emulator/vaults/([^/]+)$", {"POST": update_vault,
                                      "DELETE": delete_vault}),
    (r"^/_emulator/compartments/([^/]+)$", {"POST": update_compartment}),
    (r"^/_emulator/buckets$", {"POST": create_bucket}),
    (r"^/_emulator/buckets/([^/]+)$", {"DELETE": delete_bucket}),
]]
