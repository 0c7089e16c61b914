# SPDX-License-Identifier: MIT
"""Object Storage: GetNamespace, ListBuckets, ListObjects, HeadObject,
GetObject, PutObject, and pre-authenticated requests (PARs)."""

import re
import secrets
from urllib.parse import quote, unquote, urlsplit

from .core import Resp, can_access, json_resp, paginate
from .state import public
from .util import (ApiError, http_date, invalid, md5_b64, missing,
                   not_found, parse_rfc3339, rfc3339)
from . import util

ACCESS_TYPES = ("ObjectRead", "ObjectWrite", "ObjectReadWrite",
                "AnyObjectWrite", "AnyObjectRead", "AnyObjectReadWrite")
OBJECT_ACCESS = ("ObjectRead", "ObjectWrite", "ObjectReadWrite")
READ_ACCESS = ("ObjectRead", "ObjectReadWrite", "AnyObjectRead",
               "AnyObjectReadWrite")
WRITE_ACCESS = ("ObjectWrite", "ObjectReadWrite", "AnyObjectWrite",
                "AnyObjectReadWrite")
BUCKET_RE = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
PAR_PATH_RE = re.compile(r"^/p/([^/]+)/n/([^/]+)/b/([^/]+)/o/(.*)$")


class LocationFailure(Exception):
    """A backup target that cannot be used; code/message as OCI's."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def api(self):
        return ApiError(self.status, self.code, self.message)


def bucket_not_found(ns, name):
    return LocationFailure(
        404, "BucketNotFound",
        "Either the bucket named '%s' does not exist in the namespace '%s' "
        "or you are not authorized to access it" % (name, ns))


def namespace_not_found(ns):
    return LocationFailure(
        404, "NamespaceNotFound",
        "You do not have authorization to perform this request, or the "
        "requested resource could not be found (namespace '%s')." % ns)


def par_not_found():
    return LocationFailure(
        404, "NotFound",
        "The pre-authenticated request does not exist or has expired.")


def par_not_allowed(what):
    return LocationFailure(
        403, "NotAllowed",
        "The access type of this pre-authenticated request does not allow "
        "%s." % what)


def find_bucket(d, principal, ns, name):
    """The bucket record if `principal` may use it; LocationFailure."""
    if ns != d["namespace"]:
        raise namespace_not_found(ns)
    b = d["buckets"].get(name)
    if b is None or not can_access(d, principal, b["compartmentId"]):
        raise bucket_not_found(ns, name)
    return b


def par_target(d, token, ns, bucket, obj, write, now):
    """Resolve a PAR use to (bucket, object name); LocationFailure."""
    par = d["pars"].get(token)
    if par is None or par["_expires"] <= now or ns != par["namespace"] or \
            bucket != par["bucketName"]:
        raise par_not_found()
    if par["objectName"] is not None:
        if obj != par["objectName"]:
            raise par_not_found()
    elif not obj:
        raise par_not_found()
    if write and par["accessType"] not in WRITE_ACCESS:
        raise par_not_allowed("writing")
    if not write and par["accessType"] not in READ_ACCESS:
        raise par_not_allowed("reading")
    if bucket not in d["buckets"] or ns != d["namespace"]:
        raise bucket_not_found(ns, bucket)
    return bucket, obj


def parse_par_uri(uri):
    """(token, ns, bucket, object-or-'') from a PAR URL; ApiError 400."""
    bad = invalid("The backup location uri is not a valid pre-authenticated "
                  "request URL.")
    if not isinstance(uri, str) or not uri:
        raise bad
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise bad from None
    if parts.scheme != "https" or not parts.netloc or parts.fragment or \
            parts.query:
        raise bad
    m = PAR_PATH_RE.match(parts.path)
    if not m:
        raise bad
    token, ns, bucket, obj = (unquote(x) for x in m.groups())
    if not token or not ns or not BUCKET_RE.match(bucket):
        raise bad
    return token, ns, bucket, obj


def create_par(d, bucket, obj, access, expires, now):
    """Admin: create a PAR; returns the record and the access URI."""
    token = secrets.token_urlsafe(48)
    par = {
        "id": util.b64(secrets.token_bytes(30)) + ":" + (obj or ""),
        "name": "par-%s" % secrets.token_hex(4),
        "namespace": d["namespace"],
        "bucketName": bucket,
        "objectName": obj,
        "accessType": access,
        "timeCreated": rfc3339(now),
        "timeExpires": rfc3339(expires),
        "_expires": expires,
    }
    d["pars"][token] = par
    uri = "/p/%s/n/%s/b/%s/o/%s" % (token, d["namespace"], bucket,
                                    quote(obj, safe="") if obj else "")
    return par, uri


# --------------------------------------------------------------------------
# signed API

def _bucket(ctx, ns, name):
    try:
        return find_bucket(ctx.state.d, ctx.principal, unquote(ns),
                           unquote(name))
    except LocationFailure as e:
        err = e.api()
        if ctx.method == "HEAD":
            err.body = False
        raise err from None


def object_headers(obj):
    return [("etag", obj["etag"]), ("content-md5", obj["md5"]),
            ("last-modified", http_date(obj["_mtime"])),
            ("Content-Type", obj["contentType"]),
            ("storage-tier", "Standard"), ("accept-ranges", "bytes")]


def get_namespace(ctx):
    d = ctx.state.d
    comp = ctx.q("compartmentId")
    if comp is not None and comp != d["tenancy"]["id"] and \
            comp not in d["compartments"]:
        raise not_found()
    return json_resp(d["namespace"])


def list_buckets(ctx, ns):
    d = ctx.state.d
    ns = unquote(ns)
    if ns != d["namespace"]:
        raise namespace_not_found(ns).api()
    comp = ctx.q("compartmentId", required=True)
    ctx.need_access(comp)
    fields = ctx.q("fields")
    if fields is not None and fields not in ("", "tags"):
        raise invalid("The only supported value of 'fields' is 'tags'.")
    out = []
    for b in sorted(d["buckets"].values(), key=lambda b: b["name"]):
        if b["compartmentId"] != comp:
            continue
        rec = {"namespace": d["namespace"], "name": b["name"],
               "compartmentId": b["compartmentId"],
               "createdBy": b.get("createdBy") or
               util.default_user_ocid(d["tenancySpec"]),
               "timeCreated": b["timeCreated"], "etag": b["etag"]}
        if fields == "tags":
            rec["freeformTags"] = {}
            rec["definedTags"] = {}
        out.append(rec)
    page, headers = paginate(ctx, out, default=25, maximum=1000, clamp=False)
    return json_resp(page, headers=headers)


def list_objects(ctx, ns, bucket):
    b = _bucket(ctx, ns, bucket)
    d = ctx.state.d
    prefix = ctx.q("prefix") or ""
    start = ctx.q("start")
    end = ctx.q("end")
    delim = ctx.q("delimiter")
    if delim is not None and delim != "/":
        raise invalid("The only supported delimiter is '/'.")
    raw = ctx.q("limit")
    limit = 1000
    if raw:
        try:
            limit = int(raw)
        except ValueError:
            raise invalid("Invalid limit %r." % raw) from None
        if not 1 <= limit <= 1000:
            raise invalid("The limit must be within 1..1000.")
    fields = [f for f in (ctx.q("fields") or "name").split(",") if f]
    for f in fields:
        if f not in ("name", "size", "etag", "timeCreated", "md5",
                     "timeModified", "storageTier", "archivalState"):
            raise invalid("Invalid field %r." % f)
    names = sorted(o["name"] for o in d["objects"].values()
                   if o["bucket"] == b["name"] and
                   o["name"].startswith(prefix))
    objects, prefixes, nxt = [], [], None
    for n in names:
        if start is not None and n < start:
            continue
        if end is not None and n >= end:
            break
        if delim:
            cut = n.find(delim, len(prefix))
            if cut >= 0:
                p = n[:cut + 1]
                if p not in prefixes:
                    prefixes.append(p)
                continue
        if len(objects) == limit:
            nxt = n
            break
        o = d["objects"][ctx.state.object_key(b["name"], n)]
        rec = {"name": n}
        for f in fields:
            if f == "size":
                rec["size"] = o["size"]
            elif f == "etag":
                rec["etag"] = o["etag"]
            elif f == "md5":
                rec["md5"] = o["md5"]
            elif f == "timeCreated":
                rec["timeCreated"] = o["timeCreated"]
            elif f == "timeModified":
                rec["timeModified"] = rfc3339(o["_mtime"])
            elif f == "storageTier":
                rec["storageTier"] = "Standard"
        objects.append(rec)
    body = {"objects": objects}
    if delim:
        body["prefixes"] = prefixes
    if nxt is not None:
        body["nextStartWith"] = nxt
    return json_resp(body)


def _conditional(ctx, obj):
    inm = ctx.headers.get("if-none-match")
    if inm is not None and obj is not None and inm.strip() in ("*",
                                                                obj["etag"]):
        r = Resp(304)
        r.headers = [("etag", obj["etag"])]
        return r
    im = ctx.headers.get("if-match")
    if im is not None and (obj is None or im.strip() != obj["etag"]):
        raise ApiError(412, "IfMatchFailed",
                       "The If-Match header does not match the object's "
                       "ETag.", body=ctx.method != "HEAD")
    return None


def _object_resp(ctx, b, name):
    st = ctx.state
    obj = st.get_object(b["name"], name)
    if obj is None:
        raise ApiError(404, "ObjectNotFound",
                       "The object '%s' was not found in the bucket '%s'"
                       % (name, b["name"]), body=ctx.method != "HEAD")
    r = _conditional(ctx, obj)
    if r is not None:
        return r
    r = Resp(200, b"", object_headers(obj))
    if ctx.method == "HEAD":
        r.head_length = obj["size"]
    else:
        r.body = st.read_object(obj)
    return r


def head_object(ctx, ns, bucket, name):
    return _object_resp(ctx, _bucket(ctx, ns, bucket), unquote(name))


get_object = head_object


def _check_md5(ctx):
    want = ctx.headers.get("content-md5")
    got = md5_b64(ctx.body)
    if want is not None and want.strip() != got:
        raise ApiError(400, "UnmatchedContentMD5",
                       "The computed MD5 of the request body (%s) does not "
                       "match the Content-MD5 header (%s)." % (got,
                                                               want.strip()))
    return got


def _store(ctx, bucket, name):
    if not name or len(name.encode()) > 1024:
        raise invalid("Invalid object name.")
    got = _check_md5(ctx)
    st = ctx.state
    old = st.get_object(bucket, name)
    inm = ctx.headers.get("if-none-match")
    if inm is not None and inm.strip() == "*" and old is not None:
        raise ApiError(412, "IfNoneMatchFailed",
                       "The object already exists.")
    im = ctx.headers.get("if-match")
    if im is not None and (old is None or old["etag"] != im.strip()):
        raise ApiError(412, "IfMatchFailed",
                       "The If-Match header does not match the object's "
                       "ETag.")
    obj = st.put_object(bucket, name, ctx.body,
                        ctx.headers.get("content-type"))
    return Resp(200, b"", [("etag", obj["etag"]), ("opc-content-md5", got),
                           ("last-modified", http_date(obj["_mtime"]))])


def put_object(ctx, ns, bucket, name):
    b = _bucket(ctx, ns, bucket)
    return _store(ctx, b["name"], unquote(name))


# --------------------------------------------------------------------------
# PARs (unsigned)

def _par(ctx, token, ns, bucket, name, write):
    try:
        return par_target(ctx.state.d, token, unquote(ns), unquote(bucket),
                          unquote(name), write, util.now())
    except LocationFailure as e:
        err = e.api()
        if ctx.method == "HEAD":
            err.body = False
        raise err from None


def par_get(ctx, token, ns, bucket, name):
    bucket, name = _par(ctx, token, ns, bucket, name, False)
    return _object_resp(ctx, ctx.state.d["buckets"][bucket], name)


def par_put(ctx, token, ns, bucket, name):
    bucket, name = _par(ctx, token, ns, bucket, name, True)
    return _store(ctx, bucket, name)


def par_json(par, uri, endpoint):
    rec = public(par)
    rec["accessUri"] = uri
    rec["fullUrl"] = endpoint + uri
    return rec


def par_expiry(body, now):
    if "timeExpires" in body:
        try:
            return parse_rfc3339(str(body["timeExpires"]))
        except ValueError:
            raise invalid("Invalid timeExpires.") from None
    if "expiresInSeconds" in body:
        try:
            return now + float(body["expiresInSeconds"])
        except (TypeError, ValueError):
            raise invalid("Invalid expiresInSeconds.") from None
    raise missing("timeExpires or expiresInSeconds is required.")


def register(router):
    router.add("main", r"^/n/?$", {"GET": ("GetNamespace", get_namespace)})
    router.add("main", r"^/n/([^/]+)/b/?$",
               {"GET": ("ListBuckets", list_buckets)})
    router.add("main", r"^/n/([^/]+)/b/([^/]+)/o/?$",
               {"GET": ("ListObjects", list_objects)})
    router.add("main", r"^/n/([^/]+)/b/([^/]+)/o/(.+)$",
               {"HEAD": ("HeadObject", head_object),
                "GET": ("GetObject", get_object),
                "PUT": ("PutObject", put_object)})
    router.add("main", r"^/p/([^/]+)/n/([^/]+)/b/([^/]+)/o/(.+)$",
               {"GET": ("ParGet", par_get), "HEAD": ("ParGet", par_get),
                "PUT": ("ParPut", par_put)})
