"""POST /nodes/{node}/qemu: create a guest, or restore one from a vzdump archive (archive, force, unique, storage)."""
from . import guestconfig as gc
from .errors import ApiError, fail
from .model import GIB, Guest, format_size
from .params import prop_for
from .progress import restore_lines
from .specs import guest_options

RESTORE_RATE = 1.0 * GIB
CREATE_KEYS_SKIPPED = ("archive", "storage", "force", "unique", "start", "pool", "bwlimit", "live-restore",
                       "ha-managed", "import-working-storage")


def _parse_archive_config(text, release):
    """The archive's qemu-server.conf: typed values (as the API returns them) and the #qmdump#map storages."""
    props = guest_options(release)
    config, maps = {}, {}
    for line in text.splitlines():
        if line.startswith("#qmdump#map:"):
            parts = line.split(":")
            maps[parts[1]] = parts[3]
        elif ": " in line:
            key, value = line.split(": ", 1)
            kind = (prop_for(props, key) or {}).get("type")
            config[key] = int(value) if kind in ("integer", "boolean") else float(value) if kind == "number" else value
    return config, maps


def _check_target(call, vmid, node):
    existing = call.state.guests.get(vmid)
    if existing is None:
        return None
    if existing.node != node:
        raise fail("unable to restore VM %d - VM %d already exists on node '%s'" % (vmid, vmid, existing.node))
    if not call.params.get("force"):
        raise fail("unable to restore VM %d - config file already exists" % vmid)
    if existing.status == "running":
        raise fail("unable to restore VM %d - VM is running" % vmid)
    if existing.lock:
        raise fail("VM is locked (%s)" % existing.lock)
    return existing


def _restore_disks(call, guest, config, maps, made):
    """Allocate new volumes for the archive's disks, appending (key, size, volid) to made."""
    for key, value in sorted(config.items()):
        if not gc.DISK_KEY.match(key):
            continue
        volume, opts = gc.split_drive(value)
        if "cloudinit" in volume:
            storage = call.params.get("storage") or volume.split(":", 1)[0]
            vol = call.state.add_volume(guest.node, storage, "vm-%d-cloudinit" % guest.vmid, 4 * 1024 ** 2, guest.vmid)
            config[key] = gc.join_drive(vol.volid, {"media": "cdrom"})
            made.append((key, 0, vol.volid))
        elif not gc.is_media(value):
            storage = call.params.get("storage") or maps.get(key) or volume.split(":", 1)[0]
            size = gc.disk_size(value)
            vol = gc.allocate(call.state, guest, storage, size)
            config[key] = gc.join_drive(vol.volid, dict(opts, size=format_size(size)))
            made.append((key, size, vol.volid))


def _restore_script(archive, made):
    def script(duration):
        lines = [(0, "restore vma archive: zstd -q -d -c /var/lib/vz/dump/%s | vma extract -v -r "
                     "/var/tmp/vzdumptmp.fifo - /var/tmp/vzdumptmp" % archive.split("/")[-1])]
        for key, size, volid in made:
            lines.append((0.2, "DEV: dev_id=%d size: %d devname: drive-%s" % (len(lines), size, key)))
            lines.append((0.3, "new volume ID is '%s'" % volid))
        total = sum(s for _k, s, _v in made)
        lines += restore_lines(total, 0.5, duration - 1.0)
        lines.append((duration - 0.3, "total bytes read %d, sparse bytes 0 (0%%)" % total))
        lines.append((duration - 0.2, "rescan volumes..."))
        return lines
    return script


def restore(call):
    state, node, vmid = call.state, call.params["node"], call.params["vmid"]
    state.check_node(node)
    archive = state.find_volume(node, call.params["archive"]) if ":" in call.params["archive"] else None
    if archive is None or archive.content != "backup":
        raise fail("volume '%s' does not exist" % call.params["archive"])
    existing = _check_target(call, vmid, node)
    state.check_pool(call.params.get("pool"))
    state.config_lock(vmid)
    config, maps = _parse_archive_config(archive.config, call.sim.release)
    guest = existing or Guest(vmid, node, {"lock": "create"})
    scratch = Guest(vmid, node, {})
    made = []
    try:
        _restore_disks(call, scratch, config, maps, made)
    except ApiError:
        for _key, _size, volid in made:
            state.free_volume(node, volid)
        raise
    if call.params.get("unique"):
        for key in [k for k in config if k.startswith("net")]:
            config[key] = gc.regenerate_mac(state, config[key])
        config["vmgenid"] = state.new_uuid()
    old_volumes = _volumes_of(existing) if existing else []
    guest.config["lock"] = "create"
    state.guests[vmid] = guest

    def on_ok():
        for volid in old_volumes:
            state.free_volume(node, volid)
        guest.config, guest.pending, guest.pending_delete = config, {}, []
        if call.params.get("pool"):
            guest.pool = call.params["pool"]
        if call.params.get("start"):
            guest.status, guest.qmpstatus, guest.started = "running", "running", call.clock.now()

    def on_fail(_msg):
        for _key, _size, volid in made:
            state.free_volume(node, volid)
        if existing:
            existing.config.pop("lock", None)
        elif state.guests.get(vmid) is guest:
            state.guests.pop(vmid)

    duration = 1.0 + sum(s for _k, s, _v in made) / RESTORE_RATE
    return call.start_task("qmrestore", vmid, duration, _restore_script(archive.volid, made), on_ok=on_ok, on_fail=on_fail)


def _volumes_of(guest):
    from .guests import guest_volumes
    return guest_volumes(guest)


def create(call):
    state, node, vmid = call.state, call.params["node"], call.params["vmid"]
    state.check_node(node)
    if vmid in state.guests:
        raise fail("unable to create VM %d - config file already exists" % vmid)
    state.check_pool(call.params.get("pool"))
    state.config_lock(vmid)
    guest = Guest(vmid, node, {})
    params = {k: v for k, v in call.params.items() if k not in CREATE_KEYS_SKIPPED}
    try:
        gc.update(state, guest, params)
    except ApiError:
        for volid in _volumes_of(guest):
            state.free_volume(node, volid)
        raise
    guest.config.setdefault("smbios1", "uuid=%s" % state.new_uuid())
    guest.config.setdefault("vmgenid", state.new_uuid())
    guest.config["meta"] = "creation-qemu=9.0.2,ctime=%d" % int(call.clock.now())
    guest.config["lock"] = "create"
    state.guests[vmid] = guest

    def on_ok():
        guest.config.pop("lock", None)
        guest.pool = call.params.get("pool")
        if call.params.get("start"):
            guest.status, guest.qmpstatus, guest.started = "running", "running", call.clock.now()

    def on_fail(_msg):
        for volid in _volumes_of(guest):
            state.free_volume(node, volid)
        if state.guests.get(vmid) is guest:
            state.guests.pop(vmid)

    return call.start_task("qmcreate", vmid, 1.0, None, on_ok=on_ok, on_fail=on_fail)
