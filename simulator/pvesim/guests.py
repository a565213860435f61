"""QEMU guest endpoints: list, config GET/PUT/POST, pending, cloud-init, status, destroy, template, create."""
import functools
import re

from . import firewall
from . import guestconfig as gc
from .errors import ApiError, TaskError, fail, param_error
from .model import GIB
from .snapshots import snapshot_config
from .state import LOCK_TIMEOUT

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


VALID_DRIVE = re.compile(r"^(ide[0-3]|sata[0-5]|scsi([12]?[0-9]|30)|virtio([0-9]|1[0-5])|efidisk0|tpmstate0)$")


def boot_disks(config):
    """qemu-server Drive.pm get_bootdisks: the drive keys of `boot: order=...`; with a legacy `boot` (e.g. "cdn") or
    none, only the legacy `bootdisk` key, else nothing."""
    boot = str(config.get("boot") or "")
    order = None
    for part in boot.split(","):
        key, sep, value = part.partition("=")
        if sep and key == "order":
            order = value
    if order is None:
        return [str(config["bootdisk"])] if config.get("bootdisk") else []
    return [key for key in order.split(";") if VALID_DRIVE.match(key)]


def _boot_disk_size(guest):
    config = guest.config
    for key in boot_disks(config):
        value = config.get(key)
        if not isinstance(value, str) or "media=cdrom" in value or not gc.split_drive(value)[0]:
            continue
        return gc.disk_size(value)
    return 0


def boot_disk_size(guest):
    """`maxdisk` as qemu-server vmstatus reports it (status/current, the node's guest list, pvestatd's broadcast,
    rrd): the `size=` of the first non-CD-ROM drive of the boot order (Drive.pm bootdisk_size), 0 without one; never
    the sum of the disks."""
    return guest.cached(_boot_disk_size)


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
                "maxmem": guest.memory_mb() * 1024 * 1024, "maxdisk": boot_disk_size(guest),
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
    return [{"subdir": s} for s in ("config", "pending", "status", "clone", "resize", "template", "cloudinit",
                                    "migrate", "rrddata")]


def get_config(call):
    current = str(call.params.get("current", "0")).lower() in ("1", "true")
    if call.params.get("snapshot"):
        # qemu-server vm_config: `snapshot` and `current` exclude each other; the snapshot's section is returned
        if current:
            raise param_error({"snapshot": "cannot use 'snapshot' parameter with 'current'",
                               "current": "cannot use 'snapshot' parameter with 'current'"})
        return snapshot_config(call, call.params["snapshot"])
    return gc.config_view(call.guest(), current)


def get_pending(call):
    return gc.pending_view(call.guest())


ROOT = "root@pam"


def check_skiplock(call):
    """qemu-server refuses `skiplock` to anyone but root@pam before anything else - API tokens included, whose user
    is the token id "root@pam!name" (pve-manager HTTPServer.pm: the token id is the authenticated user)."""
    if call.params.get("skiplock") and call.user != ROOT:
        raise param_error({"skiplock": "Only root may use this option."})


def put_config(call):
    """PUT .../config: synchronous. 7.4/8.x check digest and lock inside the config-file lock; 9.x checks them once
    before taking it (qemu-server 9.1.19 "api: update vm: fork before locking") and again inside."""
    check_skiplock(call)
    gc.check_cpu(call.params, call.state.release)
    guest = call.guest()
    if call.state.release >= (9, 0):
        gc.check_writable(guest, call.params, call.state.release)
    call.state.config_lock(guest.vmid)
    gc.update(call.state, guest, call.params)
    return None


def task_of(call, upid):
    return call.sim.tasks.tasks[upid]


def lock_wait(state, vmid):
    """Simulated seconds a worker waits for vmid's config-file lock (flock, 10 s timeout), or None when it would
    time out: the worker then dies "can't lock file '/var/lock/qemu-server/lock-N.conf' - got timeout"."""
    now = state.clock.mono()
    until = state.lock_free_at(vmid, "exclusive")     # synchronous holders, hold_lock, clone workers' task locks
    if until <= now:
        return 0.0
    wait = (until - now) * state.clock.speed
    return wait if wait <= LOCK_TIMEOUT else None


def lock_timeout_message(vmid):
    return "can't lock file '/var/lock/qemu-server/lock-%d.conf' - got timeout" % vmid


def fail_task_at(call, upid, seconds, message):
    """Make a started task die with `message` after `seconds` simulated seconds (its log stops there)."""
    task = task_of(call, upid)
    task.fail_message, task.fail_at = message, seconds
    task.duration = max(task.duration, seconds)
    return task


def delay_task(call, upid, seconds):
    """A worker that first waited `seconds` for a lock: its work (and log lines) start that much later."""
    if seconds <= 0:
        return
    task = task_of(call, upid)
    task.duration += seconds
    task.lines = [(offset + seconds, text) for offset, text in task.lines]
    if task.fail_at is not None:
        task.fail_at += seconds


def at_task_offset(call, upid, seconds, stage):
    """Run stage() (state lock held) once the running task has spent `seconds` simulated seconds, e.g. a config
    change visible while a worker still runs (a task event: never run past the point where the task fails)."""
    task = task_of(call, upid)
    task.events.append((seconds, stage))


def post_config(call):
    """POST .../config: a qmconfig worker. A stale digest, a guest lock and (7.4/8.x) a config-lock timeout answer
    500 at once with no task: 7.4/8.x check inside lock_config before forking, 9.x has early checks before forking and
    takes the config lock inside the worker (qemu-server API2/Qemu.pm update_vm_api). `background_delay` N waits up
    to N s for the worker: null when it ended OK, 500 "failed to update VM N: <status>" when it failed, else the
    UPID."""
    check_skiplock(call)
    gc.check_cpu(call.params, call.state.release)
    gc.check_sshkeys(call.params)
    guest = call.guest()
    state, params = call.state, call.params
    wait = 0.0
    if state.release >= (9, 0):
        gc.check_writable(guest, params, state.release)
        wait = lock_wait(state, guest.vmid)
    else:
        state.config_lock(guest.vmid)
        gc.check_writable(guest, params, state.release)
    error, on_ok = None, None
    if wait == 0.0:
        try:
            gc.update(state, guest, params)
        except ApiError as exc:                        # inside the worker: a die() becomes the task status
            if exc.status == 400:
                raise
            error = exc.message
    elif wait is not None:
        def on_ok():
            try:
                gc.update(state, guest, params)
            except ApiError as exc:
                raise TaskError(exc.message)
    lines = lambda d: [(0, "update VM %d: %s" % (guest.vmid, _summary(params)))]
    upid = call.start_task("qmconfig", guest.vmid, CONFIG_TASK_SECONDS, lines, on_ok=on_ok, error=error)
    if wait is None:
        fail_task_at(call, upid, LOCK_TIMEOUT, lock_timeout_message(guest.vmid))
        task_of(call, upid).lines = []
    else:
        delay_task(call, upid, wait)
    if params.get("background_delay"):
        return _background_wait(call, guest, upid, int(params["background_delay"]))
    return upid


def _background_wait(call, guest, upid, seconds):
    """update_vm_api's background_delay: wait up to `seconds` for the worker (state lock released meanwhile)."""
    task = task_of(call, upid)
    state = call.state
    deadline = call.clock.deadline(seconds)
    while task.status == "running":
        now = call.clock.mono()
        if now >= deadline:
            return upid
        call.sim.tasks.tick()
        if task.status != "running":
            break
        state.cond.wait(min(deadline - now, 0.05))
    status = task.exitstatus or ""
    if status == "OK" or status.startswith("WARNINGS"):
        return None
    raise fail("failed to update VM %d: %s" % (guest.vmid, status))


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
           "maxdisk": boot_disk_size(guest), "disk": 0, "uptime": guest.uptime(call.clock),
           "cpu": 0.013 if running else 0,
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
    """DELETE /nodes/{node}/qemu/{vmid}: a qmdestroy worker (qemu-server API2/Qemu.pm destroy_vm, QemuServer.pm
    destroy_vm). Synchronous early checks: protection first, then "VM N is running - destroy failed". The worker
    takes the config-file lock (10 s), repeats them, checks the guest's lock (unless skiplock) and whether a
    template's base volume still backs linked clones, frees the disks, writes a config holding only
    `lock: destroyed`, and removes that last."""
    check_skiplock(call)
    guest = call.guest()
    if guest.config.get("protection"):
        raise fail("can't remove VM %d - protection mode enabled" % guest.vmid)
    if guest.status == "running":
        raise fail("VM %d is running - destroy failed" % guest.vmid)
    state = call.state
    wait = lock_wait(state, guest.vmid)
    volumes = guest_volumes(guest)
    clones = [v.volid for st in state.storages.values() for v in st.volumes.values()
              for base in volumes if v.volid.startswith(base + "/")]
    error = None
    if guest.lock and not call.params.get("skiplock") and guest.lock != "suspended":
        error = "VM is locked (%s)" % guest.lock
    elif clones:
        error = "base volume '%s' is still in use by linked cloned" % clones[0].split("/")[0]

    def script(duration):
        if error:
            return []
        return [(duration * 0.8 * (i + 1) / (len(volumes) + 1.0), '  Logical volume "%s" successfully removed.'
                 % v.split(":", 1)[1]) for i, v in enumerate(volumes)]

    def free_disks():
        if state.guests.get(guest.vmid) is not guest:
            return
        for volume in volumes:
            state.free_volume(guest.node, volume)
        guest.pending, guest.pending_delete = {}, []
        guest.config = {"lock": "destroyed"}

    def on_ok():
        free_disks()
        if state.guests.get(guest.vmid) is guest:
            state.guests.pop(guest.vmid, None)
            firewall.remove_config(state, guest.vmid)   # remove_vmfw_conf, with or without purge
        guest.pool = None                  # PVE drops the vmid from its pool with the rest of its access config

    size = sum(v.size for v in (state.find_volume(guest.node, x) for x in volumes) if v)
    duration = 1.0 + size / (50.0 * GIB)
    upid = call.start_task("qmdestroy", guest.vmid, duration, script, on_ok=on_ok, error=error)
    if wait is None:
        fail_task_at(call, upid, LOCK_TIMEOUT, lock_timeout_message(guest.vmid))
        return upid
    delay_task(call, upid, wait)
    if not error:
        at_task_offset(call, upid, wait + duration * 0.8, free_disks)
    return upid


def template(call):
    guest = call.guest()
    gc.check_writable(guest, call.params, call.state.release)
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
