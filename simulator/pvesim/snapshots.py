"""Snapshots: list, create (lock: snapshot), delete (lock: snapshot-delete), rollback (lock: rollback)."""
from .errors import fail
from .guestconfig import check_writable

DURATIONS = {"snapshot": 1.0, "snapshot-delete": 1.0, "rollback": 1.5}      # keyed by the lock they hold


def snapshot_list(call):
    guest = call.guest()
    out = []
    for name, snap in guest.snapshots.items():
        item = {"name": name, "description": snap["description"], "snaptime": snap["snaptime"]}
        if snap.get("parent"):
            item["parent"] = snap["parent"]
        if snap.get("vmstate"):
            item["vmstate"] = 1
        out.append(item)
    current = {"name": "current", "description": "You are here!", "running": 1 if guest.status == "running" else 0}
    if guest.config.get("parent"):
        current["parent"] = guest.config["parent"]
    return out + [current]


def snapshot_index(call):
    _snapshot(call.guest(), call.params["snapname"])
    return [{"cmd": "rollback"}, {"cmd": "config"}]


def _snapshot(guest, name):
    if name not in guest.snapshots:
        raise fail("snapshot '%s' does not exist" % name)
    return guest.snapshots[name]


def _locked_task(call, guest, kind, lock, error, apply):
    """Run a snapshot worker holding `lock` on the guest; apply() runs at the end when nothing failed."""
    if error is None:
        guest.config["lock"] = lock

    def unlock(*_args):
        if guest.config.get("lock") == lock:
            guest.config.pop("lock")

    def on_ok():
        unlock()
        apply()

    return call.start_task(kind, guest.vmid, DURATIONS[lock], None, on_ok=on_ok, on_fail=unlock, error=error)


def snapshot_create(call):
    guest, name = call.guest(), call.params["snapname"]
    if name == "current":
        raise fail("invalid snapshot name 'current'")
    check_writable(guest, call.params)
    call.state.config_lock(guest.vmid)
    error = "snapshot name '%s' already used" % name if name in guest.snapshots else None
    if guest.template and error is None:
        error = "you can't take a snapshot if it's a template"
    saved = {k: v for k, v in guest.config.items() if k != "lock"}

    def apply():
        guest.snapshots[name] = {"config": saved, "snaptime": int(call.clock.now()), "parent": saved.get("parent"),
                                 "description": call.params.get("description", ""),
                                 "vmstate": bool(call.params.get("vmstate")) and guest.status == "running"}
        guest.config["parent"] = name

    return _locked_task(call, guest, "qmsnapshot", "snapshot", error, apply)


def snapshot_delete(call):
    guest, name = call.guest(), call.params["snapname"]
    if not call.params.get("force"):
        check_writable(guest, call.params)
    call.state.config_lock(guest.vmid)
    error = None if name in guest.snapshots else "snapshot '%s' does not exist" % name

    def apply():
        snap = guest.snapshots.pop(name, None) or {}
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
    check_writable(guest, call.params)
    call.state.config_lock(guest.vmid)
    snap = guest.snapshots.get(name)
    error = None if snap else "snapshot '%s' does not exist" % name

    def apply():
        guest.config = dict(snap["config"], parent=name)
        guest.pending, guest.pending_delete = {}, []
        running = snap.get("vmstate") or call.params.get("start")
        guest.status = guest.qmpstatus = "running" if running else "stopped"
        guest.started = call.clock.now() if running else None

    return _locked_task(call, guest, "qmrollback", "rollback", error, apply)
