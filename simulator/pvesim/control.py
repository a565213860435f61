"""The control API outside /api2: faults, reset, request log, state dump (no auth, JSON)."""
import json
from urllib.parse import parse_qsl, urlsplit

from . import agent
from .app import Response
from .errors import ApiError
from .faults import check_fault
from .guestconfig import pending_view
from .state import guest_digest


def apply_fault(sim, fault):
    """Faults acting on state at once (hold_lock, storage_full); others are queued."""
    fault = check_fault(fault)
    with sim.state.lock:
        if fault["kind"] == "hold_lock":
            sim.state.hold_config_lock(int(fault["vmid"]), float(fault["seconds"]))
        elif fault["kind"] == "storage_full":
            sim.state.storage(fault["node"], fault["storage"]).full = True
        elif fault["kind"] == "agent_off":
            guest = sim.state.guests.get(int(fault["vmid"]))
            if guest is None:
                raise ApiError(400, "fault agent_off: no guest %s" % fault["vmid"])
            agent.silence(guest)
        else:
            sim.faults.add(fault)
    return fault


def clear_faults(sim):
    with sim.state.lock:
        sim.faults.clear()
        for st in sim.state.storages.values():
            st.full = False
        sim.state.lock_until.clear()
        for guest in sim.state.guests.values():       # agent_off lasts until the next start or until cleared
            guest.__dict__.pop("agent_off_boot", None)
        sim.state.cond.notify_all()


def dump_state(sim):
    with sim.state.lock:
        sim.tasks.tick()
        state = sim.state
        guests = [{"vmid": g.vmid, "node": g.node, "status": g.status, "qmpstatus": g.qmpstatus, "lock": g.lock,
                   "template": g.template, "pool": g.pool, "config": dict(g.config), "digest": guest_digest(g),
                   "pending": pending_view(g) if g.pending or g.pending_delete else []}
                  for g in sorted(state.guests.values(), key=lambda g: g.vmid)]
        volumes = [{"node": st.node, "storage": st.name, "volid": v.volid, "size": v.size, "vmid": v.vmid,
                    "content": v.content, "format": v.format, "ctime": v.ctime, "notes": v.notes,
                    "protected": v.protected} for st in state.unique_storages() for v in st.volumes.values()]
        storages = [dict(st.info(), node=node, full=st.full) for (node, _n), st in state.storage_views()]
        tasks = [dict(t.entry(), status=t.status, exitstatus=t.exitstatus) for t in sim.tasks.tasks.values()]
        return {"release": "%d.%d" % sim.release, "speed": sim.clock.speed, "guests": guests,
                "archives": [v for v in volumes if v["content"] == "backup"], "volumes": volumes,
                "storages": storages, "pools": dict(state.pools), "tasks": tasks, "faults": sim.faults.listing(),
                # vmids whose config file lock a worker holds now (e.g. a 7.x synchronous resize): tests wait on it
                "config_locks": sorted(v for v, until in state.lock_until.items() if until > sim.clock.mono())}


def handle(sim, method, raw_path, body):
    url = urlsplit(raw_path)
    path = url.path[len("/_sim"):].rstrip("/")
    try:
        data = json.loads(body.decode("utf-8")) if body else {}
    except ValueError:
        return _error(ApiError(400, "malformed JSON body"))
    try:
        return Response(body={"data": _route(sim, method, path, dict(parse_qsl(url.query)), data)})
    except ApiError as exc:
        return _error(exc)
    except (ValueError, TypeError, KeyError) as exc:
        return _error(ApiError(400, "bad control request: %s" % exc))


def _route(sim, method, path, query, data):
    if (method, path) == ("POST", "/fault"):
        return apply_fault(sim, data)
    if (method, path) == ("DELETE", "/fault"):
        clear_faults(sim)
        return None
    if (method, path) == ("GET", "/fault"):
        return sim.faults.listing()
    if (method, path) == ("POST", "/reset"):
        sim.reset()
        return None
    if (method, path) == ("GET", "/requests"):
        nxt, entries = sim.log.since(int(query.get("since", 0)))
        return {"next": nxt, "requests": entries}
    if (method, path) == ("GET", "/state"):
        return dump_state(sim)
    if (method, path) == ("POST", "/broadcast"):     # pvestatd's status broadcast now (tests of the lag)
        with sim.state.lock:
            sim.broadcast.run_now()
        return None
    raise ApiError(404, "no such control endpoint: %s /_sim%s" % (method, path))


def _error(exc):
    return Response(exc.status, exc.message, exc.body())
