"""Resource pools: GET /pools, GET /pools/{poolid}, and guest membership changes (PUT /pools/{poolid}, and PUT
/pools from 8.1 on). Membership is each guest's `pool`; storage members are not modelled."""
import re

from .cluster import guest_resource
from .errors import fail


def _members(state, poolid, kind=None):
    """The pool's guests as /cluster/resources shows them (storage members are not modelled)."""
    if kind not in (None, "qemu"):
        return []
    return [guest_resource(state, g) for g in sorted(state.guests.values(), key=lambda g: g.vmid) if g.pool == poolid]


def _entry(state, poolid):
    entry = {"poolid": poolid}
    if state.pools[poolid]:
        entry["comment"] = state.pools[poolid]
    return entry


def pool_list(call):
    """Every pool; from 8.1 on, ?poolid= narrows the list to that pool, with its members."""
    state, wanted = call.state, call.params.get("poolid")
    if wanted is None:
        return [_entry(state, p) for p in sorted(state.pools)]
    state.check_pool(wanted)
    return [dict(_entry(state, wanted), members=_members(state, wanted, call.params.get("type")))]


def pool_get(call):
    state, poolid = call.state, call.params["poolid"]
    state.check_pool(poolid)
    out = {"members": _members(state, poolid, call.params.get("type"))}
    if state.pools[poolid]:
        out["comment"] = state.pools[poolid]
    return out


def pool_update(call):
    """Add guests to a pool or (delete=1) take them out; a guest in another pool moves only with allow-move.

    Like PVE, every vmid is checked before any is changed; the call is synchronous and returns null.
    """
    state, params = call.state, call.params
    poolid = params["poolid"]
    state.check_pool(poolid)
    if params.get("storage"):
        raise fail("pvesim: storage members of pools are not modelled")
    vmids = [int(v) for v in re.split(r"[;, ]+", (params.get("vms") or "").strip()) if v]
    guests = []
    for vmid in vmids:
        guest = state.guests.get(vmid)
        if params.get("delete"):
            if guest is None or guest.pool != poolid:
                raise fail("VM %d is not a pool member" % vmid)
        else:
            if guest is None:
                raise fail("VM %d does not exist" % vmid)
            if guest.pool == poolid:
                raise fail("VM %d is already a pool member" % vmid)
            if guest.pool is not None and not params.get("allow-move"):
                hint = " and 'allow-move' is not set" if call.sim.release >= (8, 4) else ""
                raise fail("VM %d belongs already to pool '%s'%s" % (vmid, guest.pool, hint))
        guests.append(guest)
    for guest in guests:
        guest.pool = None if params.get("delete") else poolid
    if "comment" in params:
        state.pools[poolid] = params["comment"]
    return None
