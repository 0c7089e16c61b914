# SPDX-License-Identifier: MIT
"""Identity: GetTenancy, ListCompartments, GetCompartment."""

from urllib.parse import unquote

from .core import json_resp, paginate, sort_items
from .state import public
from .util import invalid, not_found

COMPARTMENT_STATES = ("CREATING", "ACTIVE", "INACTIVE", "DELETING",
                      "DELETED")


def get_tenancy(ctx, tid):
    tid = unquote(tid)
    d = ctx.state.d
    p = ctx.principal
    # Any authenticated user of the tenancy may read it (NOACCESS too).
    if tid != d["tenancy"]["id"] or p["tenancy"] != tid:
        raise not_found()
    return json_resp(public(d["tenancy"]))


def _root_compartment(d):
    t = d["tenancy"]
    return {
        "id": t["id"],
        "compartmentId": t["id"],
        "name": t["name"],
        "description": t["description"],
        "timeCreated": "2024-03-01T09:00:00.000Z",
        "lifecycleState": "ACTIVE",
        "freeformTags": {},
        "definedTags": {},
    }


def list_compartments(ctx):
    d = ctx.state.d
    parent = ctx.q("compartmentId", required=True)
    subtree = ctx.q_bool("compartmentIdInSubtree")
    level = ctx.q_enum("accessLevel", ("ANY", "ACCESSIBLE"), ci=True) or "ANY"
    state = ctx.q_enum("lifecycleState", COMPARTMENT_STATES, ci=True)
    name = ctx.q("name")
    root = d["tenancy"]["id"]
    if subtree and parent != root:
        raise invalid("compartmentIdInSubtree can only be true when "
                      "compartmentId is the tenancy (root compartment).")
    ctx.need_access(parent)
    comps = d["compartments"]
    if subtree:
        cands = list(comps.values())
    else:
        cands = [c for c in comps.values() if c["compartmentId"] == parent]
    out = []
    for c in cands:
        if state and c["lifecycleState"] != state:
            continue
        if name is not None and c["name"] != name:
            continue
        rec = public(c)
        if level == "ACCESSIBLE":
            if not ctx.can_access(c["id"]):
                continue
            rec["isAccessible"] = True
        out.append(rec)
    out = sort_items(ctx, out, "name", "NAME")
    page, headers = paginate(ctx, out)
    return json_resp(page, headers=headers)


def get_compartment(ctx, cid):
    cid = unquote(cid)
    d = ctx.state.d
    if cid == d["tenancy"]["id"]:
        ctx.need_access(cid)
        rec = _root_compartment(d)
    else:
        c = d["compartments"].get(cid)
        if c is None:
            raise not_found()
        ctx.need_access(cid)
        rec = public(c)
    from .util import etag_of
    return json_resp(rec, headers=[("etag", etag_of(rec))])


def register(router):
    router.add("main", r"^/20160918/tenancies/([^/]+)$",
               {"GET": ("GetTenancy", get_tenancy)})
    router.add("main", r"^/20160918/compartments$",
               {"GET": ("ListCompartments", list_compartments)})
    router.add("main", r"^/20160918/compartments/([^/]+)$",
               {"GET": ("GetCompartment", get_compartment)})
