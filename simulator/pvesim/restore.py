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
    """create_and_lock_config(vmid, force) (pve-guest-common AbstractConfig.pm, pve-cluster check_vmid_unused).

    Without force any existing vmid is refused, wherever it lives; a locked config is refused. The guest returned
    (existing or new) carries `lock: create`. Whether it runs is checked later, inside the task.
    """
    existing = call.state.guests.get(vmid)
    if existing is None:
        return None
    if existing.node != node or not call.params.get("force"):
        raise fail("unable to restore VM %d - VM %d already exists on node '%s'" % (vmid, vmid, existing.node))
    if existing.lock:
        raise fail("unable to restore VM %d - VM is locked (%s)" % (vmid, existing.lock))
    return existing


def _owned(volid, vmid):
    name = volid.split(":", 1)[-1].split("/")[-1]
    return name.startswith("vm-%d-" % vmid) or name.startswith("base-%d-" % vmid)


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


def _restore_keys(config):
    """The drive keys the archive restores (vma devices and the cloud-init drive)."""
    return [k for k, v in config.items() if gc.DISK_KEY.match(k) and (not gc.is_media(v) or "cloudinit" in str(v))]


def _restore_script(archive, total):
    def script(duration):
        lines = [(0, "restore vma archive: zstd -q -d -c /var/lib/vz/dump/%s | vma extract -v -r "
                     "/var/tmp/vzdumptmp.fifo - /var/tmp/vzdumptmp" % archive.split("/")[-1])]
        lines += restore_lines(total, 0.5, duration - 1.0)
        lines.append((duration - 0.3, "total bytes read %d, sparse bytes 0 (0%%)" % total))
        lines.append((duration - 0.2, "rescan volumes..."))
        return lines
    return script


def _new_ids(state, config, unique):
    """restore_update_config_line: vmgenid always new (unless 0); smbios1 uuid and MACs only with unique."""
    if config.get("vmgenid") not in (None, "0", 0):
        config["vmgenid"] = state.new_uuid()
    if unique:
        for key in [k for k in config if k.startswith("net")]:
            config[key] = gc.regenerate_mac(state, config[key])
        if "smbios1" in config:
            parts = [p for p in str(config["smbios1"]).split(",") if p and not p.startswith("uuid=")]
            config["smbios1"] = ",".join(["uuid=%s" % state.new_uuid()] + parts)


def restore(call):
    """POST /nodes/{node}/qemu with archive (qemu-server API2/Qemu.pm create_vm, QemuServer.pm restore_vma_archive).

    Synchronous: archive, pool, vmid free (or force over a local unlocked guest). In the qmrestore task: "vm is
    running" check; then, over an existing guest, its config becomes the stub `memory: 128` (no lock) and its disks
    that the archive restores are freed; the archive's disks are allocated and extracted. A failure frees what was
    allocated and leaves the stub (or, for a new vmid, an empty config): "VM N state is NOT cleaned up".
    """
    state, node, vmid = call.state, call.params["node"], call.params["vmid"]
    state.check_node(node)
    archive = state.find_volume(node, call.params["archive"]) if ":" in call.params["archive"] else None
    if archive is None or archive.content != "backup":
        raise fail("volume '%s' does not exist" % call.params["archive"])
    state.check_pool(call.params.get("pool"))
    existing = _check_target(call, vmid, node)
    state.config_lock(vmid)
    config, maps = _parse_archive_config(archive.config, call.sim.release)
    guest = existing or Guest(vmid, node, {})
    guest.config["lock"] = "create"
    state.guests[vmid] = guest
    made, step = [], {"data": False}
    keys = _restore_keys(config)
    total = sum(gc.disk_size(config[k]) for k in keys)
    duration = 1.0 + total / RESTORE_RATE
    upid = call.start_task("qmrestore", vmid, duration, _restore_script(archive.volid, total))
    task = call.sim.tasks.tasks[upid]
    engine = call.sim.tasks

    def log(text):
        task.lines.append((engine.elapsed(task), text))

    def check_running():
        if str(guest.config.get("protection", 0)) in ("1", "true"):
            # AbstractConfig::check_protection appends " - protection mode enabled" to "unable to restore VM N -"
            task.fail_message, task.fail_at = "unable to restore VM %d - - protection mode enabled" % vmid, at_check
        elif guest.status == "running":
            task.fail_message, task.fail_at = "unable to restore VM %d - vm is running" % vmid, at_check

    def prepare():
        """What the worker does once the archive's header is read: stub, free old disks, allocate."""
        old = guest.config
        kept = []
        if existing is not None:
            guest.config = {"memory": 128 if state.release < (8, 4) else "128"}
            guest.pending, guest.pending_delete, guest.snapshots = {}, [], {}
            for key, value in sorted(old.items()):
                if not (gc.DISK_KEY.match(key) or key.startswith("unused")) or gc.is_media(value) and "cloudinit" not in str(value):
                    continue
                volid = gc.split_drive(value)[0]
                if not _owned(volid, vmid):
                    continue
                if key in keys:
                    state.free_volume(node, volid)
                else:
                    kept.append(volid)
        step["kept"] = kept
        try:
            _restore_disks(call, Guest(vmid, node, {}), config, maps, made)
        except ApiError as exc:
            task.fail_message, task.fail_at = exc.message.rstrip("\n"), at_prepare
            return
        for index, (key, size, volid) in enumerate(made):
            log("DEV: dev_id=%d size: %d devname: drive-%s" % (index + 1, size, key))
        for key, size, volid in made:
            log("new volume ID is '%s'" % volid)
            log("map 'drive-%s' to '%s' (write zeros = 0)" % (key, "/dev/pve/" + volid.split(":", 1)[1]))

    def on_ok():
        step["data"] = True
        _new_ids(state, config, call.params.get("unique"))
        index = 0
        for volid in step.get("kept", []):
            while "unused%d" % index in config:
                index += 1
            config["unused%d" % index] = volid
            index += 1
        guest.config, guest.pending, guest.pending_delete = config, {}, []
        if call.params.get("pool"):
            guest.pool = call.params["pool"]
        if call.params.get("start"):
            guest.status, guest.qmpstatus, guest.started = "running", "running", call.clock.now()

    def on_fail(_msg):
        for _key, _size, volid in made:
            state.free_volume(node, volid)
            log("temporary volume '%s' successfully removed" % volid)
        if guest.config.get("lock") == "create":
            guest.config.pop("lock")
        else:
            log("no lock found trying to remove 'create'  lock")
        if step["data"]:
            log("error after data was restored, VM disks should be OK but config may require adaptions. "
                "VM %d state is NOT cleaned up." % vmid)
        else:
            log("error before or during data restore, some or all disks were not completely restored. "
                "VM %d state is NOT cleaned up." % vmid)

    task.on_ok, task.on_fail = on_ok, on_fail
    at_check, at_prepare = min(0.05, task.duration * 0.05), min(0.3, task.duration * 0.2)
    task.events = [(at_check, check_running), (at_prepare, prepare)]
    return upid


def _volumes_of(guest):
    from .guests import guest_volumes
    return guest_volumes(guest)


def create(call):
    state, node, vmid = call.state, call.params["node"], call.params["vmid"]
    state.check_node(node)
    if vmid in state.guests:
        # create_and_lock_config without force: pve-cluster check_vmid_unused, cluster-wide
        raise fail("unable to create VM %d - VM %d already exists on node '%s'" % (vmid, vmid, state.guests[vmid].node))
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
    # create_and_lock_config writes a config holding only `lock: create` before the fork; the qmcreate worker writes
    # the whole config (no lock) when it is done (qemu-server API2/Qemu.pm create_vm, pve-guest-common AbstractConfig)
    final = guest.config
    guest.config = {"lock": "create"}
    state.guests[vmid] = guest

    def on_ok():
        guest.config = final
        guest.pool = call.params.get("pool")
        if call.params.get("start"):
            guest.status, guest.qmpstatus, guest.started = "running", "running", call.clock.now()

    def on_fail(_msg):
        for volid in _volumes_of(guest):
            state.free_volume(node, volid)
        if state.guests.get(vmid) is guest:
            state.guests.pop(vmid)

    return call.start_task("qmcreate", vmid, 1.0, None, on_ok=on_ok, on_fail=on_fail)
