"""Resource pools (read side): GET /pools, GET /pools/{poolid}; membership is each guest's `pool`."""
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
    if wanted not in state.pools:
        raise fail("pool '%s' does not exist" % wanted)
    return [dict(_entry(state, wanted), members=_members(state, wanted, call.params.get("type")))]


def pool_get(call):
    state, poolid = call.state, call.params["poolid"]
    if poolid not in state.pools:
        raise fail("pool '%s' does not exist" % poolid)
    out = {"members": _members(state, poolid, call.params.get("type"))}
    if state.pools[poolid]:
        out["comment"] = state.pools[poolid]
    return out
