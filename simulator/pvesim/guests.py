"""QEMU guest endpoints: list, config GET/PUT/POST, pending, cloud-init, status, destroy, template, create."""
import functools

from . import guestconfig as gc
from .errors import ApiError, TaskError, fail
from .model import GIB

CONFIG_TASK_SECONDS = 0.5


DISK_PREFIXES = ("scsi", "virtio", "ide", "sata", "efidisk", "tpmstate")


@functools.lru_cache(maxsize=4096)
def _drive_bytes(value):
    return 0 if gc.is_media(value) else gc.disk_size(value)


def _disk_total(guest):
    return sum(_drive_bytes(v) for k, v in guest.config.items()
               if k.startswith(DISK_PREFIXES) and gc.DISK_KEY.match(k) and isinstance(v, str))


def disk_total(guest):
    """Sum of the guest's disk sizes (hot path of /cluster/resources: cached until the config changes)."""
    return guest.cached(_disk_total)


def guest_volumes(guest):
    """Every volume the guest owns: disks, cloud-init drive, unused, pending disks."""
    out = []
    for key, value in list(guest.config.items()) + list(guest.pending.items()):
        if gc.DISK_KEY.match(key) or key.startswith("unused"):
            volume = gc.split_drive(value)[0]
            if ":" in volume and ":iso/" not in volume and volume not in out:
                out.append(volume)
    return out


def list_guests(call):
    call.state.check_node(call.params["node"])
    out = []
    for guest in sorted(call.state.guests.values(), key=lambda g: g.vmid):
        if guest.node != call.params["node"]:
            continue
        item = {"vmid": guest.vmid, "name": guest.name, "status": guest.status, "cpus": guest.cpus(),
                "maxmem": guest.memory_mb() * 1024 * 1024, "maxdisk": disk_total(guest),
                "uptime": guest.uptime(call.clock), "cpu": 0, "mem": 0, "disk": 0, "netin": 0, "netout": 0,
                "diskread": 0, "diskwrite": 0}
        if guest.template:
            item["template"] = 1
        if guest.lock:
            item["lock"] = guest.lock
        if guest.config.get("tags"):
            item["tags"] = guest.config["tags"]
        out.append(item)
    return out


def guest_index(call):
    call.guest()
    return [{"subdir": s} for s in ("config", "pending", "status", "clone", "resize", "template", "cloudinit")]


def get_config(call):
    return gc.config_view(call.guest(), str(call.params.get("current", "0")).lower() in ("1", "true"))


def get_pending(call):
    return gc.pending_view(call.guest())


def put_config(call):
    guest = call.guest()
    gc.check_writable(guest, call.params)
    call.state.config_lock(guest.vmid)
    gc.update(call.state, guest, call.params)
    return None


def post_config(call):
    guest = call.guest()
    error = None
    try:
        gc.check_writable(guest, call.params)
        call.state.config_lock(guest.vmid)
        gc.update(call.state, guest, call.params)
    except ApiError as exc:                        # inside the worker: a die() becomes the task status
        if exc.status == 400:
            raise
        error = exc.message
    lines = lambda d: [(0, "update VM %d: %s" % (guest.vmid, _summary(call.params)))]
    return call.start_task("qmconfig", guest.vmid, CONFIG_TASK_SECONDS, lines, error=error)


def _summary(params):
    return " ".join("-%s %s" % (k, "<hidden>" if k == "cipassword" else v)
                    for k, v in sorted(params.items()) if k not in ("node", "vmid"))


def cloudinit_view(call):
    guest = call.guest()
    out = []
    for key in sorted(k for k in guest.config if gc.is_cloudinit_key(k)):
        item = {"key": key, "value": gc.shown(key, guest.config[key])}
        if guest.ci_generated.get(key) != guest.config[key]:
            item["pending"] = item.pop("value")
            if key in guest.ci_generated:
                item["value"] = gc.shown(key, guest.ci_generated[key])
        out.append(item)
    for key in sorted(set(guest.ci_generated) - set(guest.config)):
        out.append({"key": key, "value": gc.shown(key, guest.ci_generated[key]), "delete": 1})
    return out


def regenerate_cloudinit(guest):
    guest.ci_generated = {k: v for k, v in guest.config.items() if gc.is_cloudinit_key(k)}


def put_cloudinit(call):
    guest = call.guest()
    gc.check_writable(guest, call.params)
    call.state.config_lock(guest.vmid)
    if not any("cloudinit" in str(v) for k, v in guest.config.items() if gc.DISK_KEY.match(k)):
        raise fail("no cloudinit disk found")
    regenerate_cloudinit(guest)
    return None


def status_current(call):
    guest = call.guest()
    running = guest.status == "running"
    maxmem = guest.memory_mb() * 1024 * 1024
    out = {"vmid": guest.vmid, "name": guest.name, "status": guest.status, "qmpstatus": guest.qmpstatus,
           "cpus": guest.cpus(), "maxmem": maxmem, "mem": maxmem * 2 // 5 if running else 0,
           "maxdisk": disk_total(guest), "disk": 0, "uptime": guest.uptime(call.clock), "cpu": 0.013 if running else 0,
           "netin": 0, "netout": 0, "diskread": 0, "diskwrite": 0, "ha": {"managed": 0}}
    if running:
        out["pid"] = 100000 + guest.vmid
        out["running-machine"] = "pc-i440fx-9.0+pve0"
        out["running-qemu"] = "9.0.2"
    if str(guest.config.get("agent", "0")).split(",")[0] in ("1", "enabled=1"):
        out["agent"] = 1
    if guest.template:
        out["template"] = 1
    if guest.lock:
        out["lock"] = guest.lock
    if guest.config.get("tags"):
        out["tags"] = guest.config["tags"]
    return out


def status_index(call):
    call.guest()
    return [{"subdir": s} for s in ("current", "start", "stop", "shutdown", "reboot", "reset", "suspend", "resume")]


def destroy(call):
    guest = call.guest()
    if guest.status == "running":
        raise fail("VM %d is running - destroy failed" % guest.vmid)
    if guest.config.get("protection"):
        raise fail("can't remove VM %d - protection mode enabled" % guest.vmid)
    gc.check_writable(guest, call.params)
    call.state.config_lock(guest.vmid)
    volumes = guest_volumes(guest)
    state = call.state
    clones = [v.volid for st in state.storages.values() for v in st.volumes.values()
              for base in volumes if v.volid.startswith(base + "/")]
    error = ("volume deletion failed: base volume '%s' is still in use by linked clones" % clones[0].split("/")[0]
             if clones else None)

    def script(duration):
        return [(duration * (i + 1) / (len(volumes) + 1.0), '  Logical volume "%s" successfully removed.'
                 % v.split(":", 1)[1]) for i, v in enumerate(volumes)]

    def on_ok():
        for volume in volumes:
            state.free_volume(guest.node, volume)
        state.guests.pop(guest.vmid, None)
        guest.pool = None                  # PVE drops the vmid from its pool with the rest of its access config

    size = sum(v.size for v in (state.find_volume(guest.node, x) for x in volumes) if v)
    return call.start_task("qmdestroy", guest.vmid, 1.0 + size / (50.0 * GIB), script, on_ok=on_ok, error=error)


def template(call):
    guest = call.guest()
    gc.check_writable(guest, call.params)
    if guest.status == "running":
        raise fail("you can't convert a running VM to a template")
    call.state.config_lock(guest.vmid)
    state = call.state

    def on_ok():
        if guest.vmid not in state.guests:
            raise TaskError("VM %d does not exist anymore" % guest.vmid)
        for key, value in list(guest.config.items()):
            if gc.DISK_KEY.match(key) and not gc.is_media(value):
                guest.config[key] = _rename_to_base(state, guest, value)
        guest.config["template"] = 1

    return call.start_task("qmtemplate", guest.vmid, 1.0, None, on_ok=on_ok)


def _rename_to_base(state, guest, value):
    volume, opts = gc.split_drive(value)
    vol = state.find_volume(guest.node, volume)
    if vol is None or "/vm-" in volume or not vol.name.startswith("vm-"):
        return value
    st = state.storage(guest.node, volume.split(":", 1)[0])
    st.volumes.pop(volume)
    vol.volid = volume.replace(":vm-", ":base-", 1)
    st.volumes[vol.volid] = vol
    return gc.join_drive(vol.volid, opts)
