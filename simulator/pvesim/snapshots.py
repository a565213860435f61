"""Snapshots: list, create (lock: snapshot), delete (lock: snapshot-delete), rollback (lock: rollback), and a
snapshot's config (GET) and description (PUT).

Follows qemu-server PVE/API2/Qemu.pm (snapshot_list, snapshot, delsnapshot, rollback, get/update_snapshot_config)
and pve-guest-common PVE/AbstractConfig.pm (snapshot_prepare, snapshot_delete, snapshot_rollback). The same on
7.4, 8.x and 9.1. The reserved names are refused before the worker starts (HTTP 500); everything AbstractConfig
checks (template, lock, name in use, missing snapshot) is checked inside the worker: the task fails with that
message. A snapshot taken with ``vmstate`` of a running guest saves its RAM to a ``vm-{vmid}-state-{snapname}``
volume on the storage of its first disk; rolling back to it leaves the guest running.
"""
from .errors import fail
from .guestconfig import split_drive, DISK_KEY, is_media

DURATIONS = {"snapshot": 1.0, "snapshot-delete": 1.0, "rollback": 1.5}      # keyed by the lock they hold
VMSTATE_SECONDS = 2.0                          # extra worker time saving the RAM of a running guest
META_KEYS = ("parent", "snaptime", "description", "vmstate", "runningmachine", "runningcpu")


def snapshot_list(call):
    guest = call.guest()
    out = []
    for name, snap in guest.snapshots.items():
        item = {"name": name, "description": snap.get("description") or "", "snaptime": snap["snaptime"],
                "vmstate": 1 if snap.get("vmstate") else 0}
        if snap.get("parent"):
            item["parent"] = snap["parent"]
        out.append(item)
    current = {"name": "current", "description": "You are here!", "running": 1 if guest.status == "running" else 0}
    if guest.config.get("parent"):
        current["parent"] = guest.config["parent"]
    return out + [current]


def snapshot_index(call):
    return [{"cmd": "rollback"}, {"cmd": "config"}]


def _snapshot(guest, name):
    if name not in guest.snapshots:
        raise fail("snapshot '%s' does not exist" % name)
    return guest.snapshots[name]


def snapshot_config(call, name=None):
    """GET .../snapshot/{snapname}/config (and GET .../config?snapshot=NAME): the snapshot's section of the guest
    config (its keys plus parent, snaptime, description, vmstate, runningmachine)."""
    snap = _snapshot(call.guest(), name or call.params["snapname"])
    out = dict(snap["config"])
    out.pop("parent", None)
    for key in META_KEYS:
        if snap.get(key) not in (None, "", False):
            out[key] = snap[key]
    return out


def snapshot_update(call):
    """PUT .../snapshot/{snapname}/config: the description only; nothing to do without one; refused while locked."""
    guest = call.guest()
    if call.params.get("description") is None:
        return None
    call.state.config_lock(guest.vmid)
    if guest.lock:
        raise fail("VM is locked (%s)" % guest.lock)
    _snapshot(guest, call.params["snapname"])["description"] = call.params["description"]
    return None


def _locked_task(call, guest, kind, lock, error, apply, duration=None, lines=None):
    """Run a snapshot worker holding `lock` on the guest; apply() runs at the end when nothing failed."""
    if error is None:
        guest.config["lock"] = lock

    def unlock(*_args):
        if guest.config.get("lock") == lock:
            guest.config.pop("lock")

    def on_ok():
        unlock()
        apply()

    return call.start_task(kind, guest.vmid, duration or DURATIONS[lock], lines, on_ok=on_ok, on_fail=unlock,
                           error=error)


def _state_storage(guest):
    for key in sorted(guest.config):
        value = guest.config[key]
        if DISK_KEY.match(key) and not is_media(value):
            return split_drive(value)[0].split(":", 1)[0]
    return "local-lvm"


def snapshot_create(call):
    guest, name = call.guest(), call.params["snapname"]
    if name == "current":
        raise fail("unable to use snapshot name 'current' (reserved name)")
    if name.lower() == "pending":
        raise fail("unable to use snapshot name 'pending' (reserved name)")
    call.state.config_lock(guest.vmid)
    error = None
    if guest.template:
        error = "you can't take a snapshot if it's a template"
    elif guest.lock:
        error = "VM is locked (%s)" % guest.lock
    elif name in guest.snapshots:
        error = "snapshot name '%s' already used" % name
    saved = {k: v for k, v in guest.config.items() if k != "lock"}
    with_ram = bool(call.params.get("vmstate")) and guest.status == "running"
    duration = DURATIONS["snapshot"] + (VMSTATE_SECONDS if with_ram else 0)

    def lines(d):
        out = [(d * 0.1, "snapshotting 'drive-scsi0' (%s)" % (saved.get("scsi0", "").split(",")[0]))]
        if with_ram:
            out.insert(0, (d * 0.05, "saving VM state and RAM using storage '%s'" % _state_storage(guest)))
            out.append((d * 0.6, "completed saving the VM state in 2s, saved 1.01 GiB"))
        return out

    def apply():
        snap = {"config": saved, "snaptime": int(call.clock.now()), "parent": saved.get("parent"),
                "description": call.params.get("description") or ""}
        if with_ram:
            storage = _state_storage(guest)
            vol = call.state.add_volume(guest.node, storage, "vm-%d-state-%s" % (guest.vmid, name),
                                        guest.memory_mb() * 1024 * 1024 * 2 + 4096 * 1024, guest.vmid)
            snap["vmstate"] = vol.volid
            snap["runningmachine"] = "pc-i440fx-9.0+pve0" if call.state.release >= (8, 0) else "pc-i440fx-7.2+pve0"
        guest.snapshots[name] = snap
        guest.config["parent"] = name

    return _locked_task(call, guest, "qmsnapshot", "snapshot", error, apply, duration, lines)


def snapshot_delete(call):
    guest, name = call.guest(), call.params["snapname"]
    call.state.config_lock(guest.vmid)
    error = None
    if guest.lock and not call.params.get("force"):
        error = "VM is locked (%s)" % guest.lock
    elif name not in guest.snapshots:
        error = "snapshot '%s' does not exist" % name
    elif guest.template:
        error = "you can't delete a snapshot if vm is a template"

    def apply():
        snap = guest.snapshots.pop(name, None) or {}
        if snap.get("vmstate"):
            call.state.free_volume(guest.node, snap["vmstate"])
        for other in guest.snapshots.values():
            if other.get("parent") == name:
                other["parent"] = snap.get("parent")
        if guest.config.get("parent") == name:
            guest.config.pop("parent")
            if snap.get("parent"):
                guest.config["parent"] = snap["parent"]

    return _locked_task(call, guest, "qmdelsnapshot", "snapshot-delete", error, apply)


def snapshot_rollback(call):
    guest, name = call.guest(), call.params["snapname"]
    call.state.config_lock(guest.vmid)
    snap = guest.snapshots.get(name)
    error = None
    if guest.lock:
        error = "VM is locked (%s)" % guest.lock
    elif not snap:
        error = "snapshot '%s' does not exist" % name

    def apply():
        guest.config = dict(snap["config"], parent=name)
        guest.pending, guest.pending_delete = {}, []
        # a snapshot with RAM resumes running; otherwise the guest is stopped and `start` starts it after
        running = bool(snap.get("vmstate")) or bool(call.params.get("start"))
        guest.status = guest.qmpstatus = "running" if running else "stopped"
        guest.started = call.clock.now() if running else None

    return _locked_task(call, guest, "qmrollback", "rollback", error, apply)
