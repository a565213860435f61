"""GET/POST /nodes/{node}/qemu/{vmid}/migrate: the precondition report and the qmigrate worker.

As qemu-server does it (API2/Qemu.pm migrate_vm_precondition / migrate_vm, QemuMigrate.pm prepare, phase1, phase3):
the API checks the target node, the guest's lock, `online` for a running guest and that every storage the guest uses
(or `targetstorage` maps to) is available on the target; the worker sets `lock: migrate`, refuses live migration of
local disks without `with-local-disks` and local devices without `force`, copies local volumes to the target (same
volume name on the same storage, or on the mapped one), moves the config to the target node and removes the
source volumes and the lock. A running guest keeps running (on the target).
"""
from . import guestconfig as gc
from .errors import TaskError, fail, param_error, worker_error
from .model import GIB

COPY_RATE = 1.0 * GIB        # bytes per simulated second, disks and memory
OVERHEAD = 2.0               # simulated seconds of a migration with nothing to copy
LOCAL_RESOURCE = ("hostpci", "usb", "parallel", "serial")


def _volumes(guest):
    """[(key, volid, cdrom)] for every volume the config references (drives, cloud-init drive, unusedN)."""
    out = []
    for key, value in sorted(guest.config.items()):
        if not (gc.DISK_KEY.match(key) or key.startswith("unused")):
            continue
        volume = gc.split_drive(value)[0]
        if not volume or volume in ("none", "cdrom") or ":" not in volume:
            continue
        out.append((key, volume, gc.is_media(value)))
    return out


def _local_volumes(state, guest):
    return [(k, v, cd) for k, v, cd in _volumes(guest) if not state.volume_is_shared(guest.node, v)]


def _local_resources(guest):
    """check_local_resources: passed-through devices (hostpciN, usbN, parallelN) and serial ports on a device."""
    out = []
    for key, value in sorted(guest.config.items()):
        base = key.rstrip("0123456789")
        if base in LOCAL_RESOURCE and key != base:
            if base == "serial" and str(value) == "socket":
                continue
            out.append(key)
    return out


def _size(state, guest, volid):
    vol = state.find_volume(guest.node, volid)
    return vol.size if vol else 0


def _unavailable(state, guest, target, storagemap=None):
    """Storages the guest needs that `target` lacks (check_storage_availability / check_local_storage_availability)."""
    missing = []
    for _key, volid, _cd in _volumes(guest):
        sid = volid.split(":", 1)[0]
        if storagemap is not None and not state.volume_is_shared(guest.node, volid):
            sid = storagemap.get(sid, storagemap.get("", sid))
        if (target, sid) not in state.storages and sid not in missing:
            missing.append(sid)
    return missing


def precondition(call):
    """GET .../migrate: running, local_disks, local_resources; allowed_nodes/not_allowed_nodes only for a stopped
    guest up to 8.1 (qemu-server 8aeaad24 reports them always, 8.2 on); mapped-resources from 8.0;
    mapped-resource-info from 8.3, has-dbus-vmstate in 9.x."""
    state = call.state
    guest = call.guest()
    if guest.lock:
        raise fail("VM is locked (%s)" % guest.lock)
    running = guest.status == "running"
    res = {"running": 1 if running else 0}
    if not running or state.release >= (8, 4):
        allowed, not_allowed = [], {}
        for node in sorted(state.nodes):
            if node == guest.node:
                continue
            missing = _unavailable(state, guest, node)
            if missing:
                not_allowed[node] = {"unavailable_storages": missing}
            else:
                allowed.append(node)
        res.update(allowed_nodes=allowed, not_allowed_nodes=not_allowed)
    disks = []
    for key, volid, cdrom in _local_volumes(state, guest):
        entry = {"volid": volid, "size": _size(state, guest, volid), "referenced_in_config": 1}
        if key.startswith("unused"):
            entry["is_unused"] = 1
        else:
            entry["drivename"] = key
        if cdrom:
            entry["cdrom"] = 1
        disks.append(entry)
    res["local_disks"] = disks
    res["local_resources"] = _local_resources(guest)
    if state.release >= (8, 0):
        res["mapped-resources"] = []
    if state.release >= (8, 4):
        res["mapped-resource-info"] = {}
    if state.release >= (9, 0):
        res["has-dbus-vmstate"] = 1
    return res


def parse_storagemap(text):
    """storage-pair-list: "1" (each storage to itself), "sid" (every one to sid), "a:b,c:d" -> {source: target},
    the default under key ""; None for identity."""
    if text is None or text == "1":
        return None
    out = {}
    for part in str(text).split(","):
        src, sep, dst = part.partition(":")
        if sep:
            out[src] = dst
        elif "" in out:
            raise param_error({"targetstorage": "failed to parse storage map: default target specified more than once"})
        else:
            out[""] = src
    return out


def _sync_checks(call, guest, target):
    state, params = call.state, call.params
    if target == guest.node:
        raise param_error({"target": "target is local node."})
    if target not in state.nodes:
        raise fail("no such cluster node '%s'" % target)
    if params.get("force") and call.user != "root@pam":
        raise param_error({"force": "Only root may use this option."})
    if guest.lock:
        raise fail("VM is locked (%s)" % guest.lock)
    if guest.status == "running" and not params.get("online"):
        raise fail("can't migrate running VM without --online")
    storagemap = parse_storagemap(params.get("targetstorage"))
    if storagemap is not None:
        for sid in sorted(set(storagemap.values())):
            st = state.storages.get((target, sid))
            if st is None:
                raise fail("storage '%s' is not available on node '%s'" % (sid, target))
            if "images" not in st.content:
                raise fail("storage '%s' does not support content-type 'images'" % sid)
    for sid in _unavailable(state, guest, target, storagemap):
        raise fail("storage '%s' is not available on node '%s'" % (sid, target))
    return storagemap


def _worker_problem(call, guest, local):
    """What prepare()/scan_local_volumes die with, as (log lines, message), or None."""
    running = guest.status == "running"
    resources = _local_resources(guest)
    if resources and not call.params.get("force"):
        return [], "can't migrate VM which uses local devices: %s" % ", ".join(resources)
    if running and not call.params.get("with-local-disks"):
        disks = [v for k, v, cdrom in local if not cdrom and not k.startswith("unused")]
        if disks:
            lines = ["can't migrate local disk '%s': can't live migrate attached local disks without "
                     "with-local-disks option" % v for v in disks]
            return lines, "can't migrate VM - check log"
    return None


def migrate(call):
    """POST .../migrate: synchronous checks, then a qmigrate worker (UPID)."""
    state = call.state
    guest = call.guest()
    target = call.params["target"]
    storagemap = _sync_checks(call, guest, target)
    source, running = guest.node, guest.status == "running"
    local = _local_volumes(state, guest)
    plan = []                                    # (key, volid, target storage, size)
    for key, volid, _cdrom in local:
        sid = volid.split(":", 1)[0]
        if storagemap is not None:
            sid = storagemap.get(sid, storagemap.get("", sid))
        plan.append((key, volid, sid, _size(state, guest, volid)))
    copy_bytes = sum(size for _k, _v, _s, size in plan)
    if running:
        copy_bytes += guest.memory_mb() * 1024 * 1024
    duration = OVERHEAD + copy_bytes / COPY_RATE
    problem = _worker_problem(call, guest, local)
    lines = [(0.0, "starting migration of VM %d to node '%s' (%s)" % (guest.vmid, target, state.nodes[target].ip))]
    lines += [(0.1, "found local disk '%s' (in current VM config)" % v) for _k, v, _s, _z in plan]
    if problem:
        printed, message = problem
        upid = call.start_task("qmigrate", guest.vmid, 0.5, lambda d: lines, error=worker_error(printed, message))
        return upid
    if plan:
        lines.append((0.2, "copying local disk images" if not running else "starting storage migration"))
    if running:
        lines.append((duration * 0.6, "starting online/live migration on unix:/run/qemu-server/%d.migrate"
                      % guest.vmid))
    lines.append((duration * 0.98, "migration finished successfully"))
    guest.config["lock"] = "migrate"

    def on_ok():
        if guest.config.get("lock") != "migrate":
            raise TaskError("migration aborted: config lock changed")
        new_volids = {}
        for key, volid, sid, size in plan:
            st = state.storage(target, sid)
            if st.full or st.avail() < size:
                raise TaskError("storage migration for '%s' to storage '%s' failed - no space left" % (volid, sid))
            name = volid.split(":", 1)[1]
            if (target, sid) in state.storages and state.find_volume(target, "%s:%s" % (sid, name)):
                name = gc.next_disk_name(state, guest, sid)
            vol = state.add_volume(target, sid, name, size, guest.vmid)
            new_volids[volid] = vol.volid
        for key, value in list(guest.config.items()):
            volume, opts = gc.split_drive(value) if isinstance(value, str) else ("", {})
            if volume in new_volids:
                guest.config[key] = gc.join_drive(new_volids[volume], opts)
        for volid in new_volids:
            state.free_volume(source, volid)
        guest.node = target
        guest.config.pop("lock", None)

    def on_fail(_msg):
        if guest.config.get("lock") == "migrate":
            guest.config.pop("lock", None)

    return call.start_task("qmigrate", guest.vmid, duration, lambda d: lines, on_ok=on_ok, on_fail=on_fail)
