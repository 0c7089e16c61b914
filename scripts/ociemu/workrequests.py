# SPDX-License-Identifier: MIT
"""Work requests: the engine that moves KMS work requests through
ACCEPTED -> IN_PROGRESS -> SUCCEEDED/FAILED on the wall clock (so that
they keep their timing across a restart), and the Work Requests API."""

import logging
from urllib.parse import unquote

from .core import json_resp, paginate
from .state import public
from .util import not_found, rfc3339
from . import util

log = logging.getLogger("ociemu")

ACCEPTED_SHARE = 0.1  # first 10% of the duration: ACCEPTED


def create(emu, op_type, compartment, resources, action, principal,
           vault_prefix):
    """A new work request (caller holds the state lock)."""
    d = emu.state.d
    t = util.now()
    wid = util.workrequest_ocid(vault_prefix)
    wr = {
        "id": wid,
        "operationType": op_type,
        "status": "ACCEPTED",
        "compartmentId": compartment,
        "resources": resources,
        "percentComplete": 0.0,
        "timeAccepted": rfc3339(t),
        "timeStarted": None,
        "timeFinished": None,
        "_start": t,
        "_duration": float(emu.config["backupSeconds"]),
        "_action": action,
        "_errors": [],
        "_logs": [{"message": "%s accepted." % op_type,
                   "timestamp": rfc3339(t)}],
        "_principal": principal,
        "_done": False,
    }
    d["workRequests"][wid] = wr
    emu.state.mark()
    return wr


def advance(emu, now=None):
    """Move every unfinished work request to where its clock says
    (caller holds the state lock)."""
    from . import kms
    d = emu.state.d
    t = util.now() if now is None else now
    for wr in list(d["workRequests"].values()):
        if wr["_done"]:
            continue
        elapsed = t - wr["_start"]
        dur = wr["_duration"]
        if elapsed >= dur:
            if wr["timeStarted"] is None:
                wr["timeStarted"] = rfc3339(wr["_start"] +
                                            dur * ACCEPTED_SHARE)
            try:
                failure = kms.complete(emu, wr)
            except Exception:  # never let one request kill the ticker
                log.exception("work request %s failed", wr["id"])
                failure = ("InternalServerError", "Internal error.")
            fin = rfc3339(t)
            wr["timeFinished"] = fin
            wr["_done"] = True
            if failure is None:
                wr["status"] = "SUCCEEDED"
                wr["percentComplete"] = 100.0
                wr["_logs"].append({"message": "%s succeeded." %
                                    wr["operationType"], "timestamp": fin})
            else:
                wr["status"] = "FAILED"
                wr["_errors"].append({"code": failure[0],
                                      "message": failure[1],
                                      "timestamp": fin})
                wr["_logs"].append({"message": "%s failed: %s" %
                                    (wr["operationType"], failure[1]),
                                    "timestamp": fin})
            emu.state.mark()
        elif elapsed >= dur * ACCEPTED_SHARE:
            if wr["status"] == "ACCEPTED":
                wr["status"] = "IN_PROGRESS"
                wr["timeStarted"] = rfc3339(wr["_start"] +
                                            dur * ACCEPTED_SHARE)
                wr["_logs"].append({"message": "%s started." %
                                    wr["operationType"],
                                    "timestamp": wr["timeStarted"]})
                emu.state.mark()
            wr["percentComplete"] = round(min(99.0, 100.0 * elapsed / dur), 1)


def _get(ctx, wid):
    if not ctx.emu.config["workRequests"]:
        raise not_found()
    wr = ctx.state.d["workRequests"].get(unquote(wid))
    if wr is None or not ctx.can_access(wr["compartmentId"]):
        raise not_found()
    return wr


def summary(wr):
    rec = public(wr)
    rec.pop("resources", None)
    return rec


def get_work_request(ctx, wid):
    ctx.emu.advance()
    return json_resp(public(_get(ctx, wid)))


def list_work_requests(ctx):
    ctx.emu.advance()
    comp = ctx.q("compartmentId", required=True)
    ctx.need_access(comp)
    res = ctx.q("resourceId")
    out = []
    if ctx.emu.config["workRequests"]:
        for wr in ctx.state.d["workRequests"].values():
            if wr["compartmentId"] != comp:
                continue
            if res and not any(r["identifier"] == res
                               for r in wr["resources"]):
                continue
            out.append(wr)
    out.sort(key=lambda w: (w["_start"], w["id"]), reverse=True)
    page, headers = paginate(ctx, [summary(w) for w in out])
    return json_resp(page, headers=headers)


def _entries(ctx, wid, field):
    ctx.emu.advance()
    wr = _get(ctx, wid)
    order = ctx.q_enum("sortOrder", ("ASC", "DESC")) or "ASC"
    items = list(wr[field])
    if order == "DESC":
        items.reverse()
    page, headers = paginate(ctx, items)
    return json_resp(page, headers=headers)


def list_errors(ctx, wid):
    return _entries(ctx, wid, "_errors")


def list_logs(ctx, wid):
    return _entries(ctx, wid, "_logs")


def register(router):
    router.add("main", r"^/20160918/workRequests$",
               {"GET": ("ListWorkRequests", list_work_requests)})
    router.add("main", r"^/20160918/workRequests/([^/]+)$",
               {"GET": ("GetWorkRequest", get_work_request)})
    router.add("main", r"^/20160918/workRequests/([^/]+)/errors$",
               {"GET": ("ListWorkRequestErrors", list_errors)})
    router.add("main", r"^/20160918/workRequests/([^/]+)/logs$",
               {"GET": ("ListWorkRequestLogs", list_logs)})
