"""The control API outside /api2: faults, reset, request log, state dump (no auth, JSON)."""
import json
import time
from urllib.parse import parse_qsl, urlsplit

from . import agent
from .app import Response
from .errors import ApiError
from .faults import check_fault
from .fleet import seed_guests
from .guestconfig import pending_view
from .model import Volume
from . import firewall
from .state import guest_digest


def apply_fault(sim, fault):
    """Faults acting on state at once (hold_lock, storage_full); others are queued."""
    fault = check_fault(fault)
    with sim.state.lock:
        if fault["kind"] == "hold_lock":
            sim.state.hold_config_lock(int(fault["vmid"]), float(fault["seconds"]))
        elif fault["kind"] == "storage_full":
            sim.state.storage(fault["node"], fault["storage"]).full = True
        elif fault["kind"] == "storage_unavailable":     # storage.cfg `nodes` leaves that node out
            key = (fault["node"], fault["storage"])
            sim.state.storage(*key)
            sim.state.unavailable[key] = sim.state.storages.pop(key)
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
        sim.state.storages.update(sim.state.unavailable)
        sim.state.unavailable.clear()
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
                   "pending": pending_view(g) if g.pending or g.pending_delete else [],
                   "agent_password_changes": list(getattr(g, "agent_password_changes", []))}
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
                "firewall": firewall.state_view(state),
                "config_locks": sorted(v for v, until in state.lock_until.items() if until > sim.clock.mono())}


def seed_archive(sim, data):
    """POST /_sim/archive {"node", "storage", "vmid", "age" (seconds before now), "protected", "size"}: an archive
    as vzdump leaves it, made ``age`` seconds ago (the guest need not exist: archives of deleted servers). Returns its
    volid."""
    with sim.state.lock:
        st = sim.state.storage(data.get("node", "pve1"), data.get("storage", "local"))
        vmid = int(data["vmid"])
        ctime = int(sim.clock.now() - float(data.get("age", 0)))
        while True:
            name = "vzdump-qemu-%d-%s.vma.zst" % (vmid, time.strftime("%Y_%m_%d-%H_%M_%S", time.localtime(ctime)))
            if "%s:backup/%s" % (st.name, name) not in st.volumes:
                break
            ctime -= 1
        vol = Volume("%s:backup/%s" % (st.name, name), int(data.get("size", 64 * 1024 ** 2)), vmid, "backup",
                     "vma.zst", ctime)
        vol.config = "memory: 2048\nname: seeded-%d\n" % vmid
        vol.protected = bool(data.get("protected"))
        st.volumes[vol.volid] = vol
        return vol.volid


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
    if (method, path) == ("POST", "/seed"):        # a customer fleet (fleet.py); shown after the next broadcast
        with sim.state.lock:
            vmids = seed_guests(sim.state, data.get("guests", 0), data.get("start_vmid", 1000))
            sim.state.cond.notify_all()
        return {"vmids": vmids}
    if (method, path) == ("POST", "/archive"):
        return seed_archive(sim, data)
    if (method, path) == ("POST", "/broadcast"):     # pvestatd's status broadcast now (tests of the lag)
        with sim.state.lock:
            sim.broadcast.run_now()
        return None
    raise ApiError(404, "no such control endpoint: %s /_sim%s" % (method, path))


def _error(exc):
    return Response(exc.status, exc.message, exc.body())
