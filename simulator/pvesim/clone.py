"""POST /nodes/{node}/qemu/{vmid}/clone: full and linked clones, lock: clone, shared storage and target nodes,
the worker's config locks (shared on a stopped source) and their contention."""
from . import firewall
from . import guestconfig as gc
from .errors import ApiError, fail, worker_error
from .model import GIB, Guest, format_size
from .progress import convert_lines, transfer_lines

CLONE_RATE = 1.0 * GIB        # bytes per simulated second for full clones
LOCK_WAIT = 1.0               # the worker waits this long for each config lock (lock_config_{shared,full}(.., 1, ..))
SKIP_KEYS = ("template", "lock", "meta", "vmgenid", "smbios1")


def _volumes(config):
    """[(key, volid, is cdrom)] of every drive with a volume (disks, cloud-init drive, ISO), sorted by key."""
    out = []
    for key, value in sorted(config.items()):
        if not gc.DISK_KEY.match(key):
            continue
        volume = gc.split_drive(value)[0]
        if not volume or volume in ("none", "cdrom"):
            continue
        out.append((key, volume, gc.is_media(value) and "cloudinit" not in volume))
    return out


def _checks(call, src, newid, full, target):
    """The checks qemu-server's clone_vm runs before forking (load_and_check), in its order."""
    state, local = call.state, src.node
    state.check_pool(call.params.get("pool"))
    if target and target not in state.nodes:
        raise fail("no such cluster node '%s'" % target)
    storage = call.params.get("storage")
    if storage:
        state.storage(local, storage)
        if target and not state.storage(target, storage).shared:
            raise fail("can't clone to non-shared storage '%s'" % storage)
    if src.lock:
        raise fail("VM is locked (%s)" % src.lock)
    if storage and not full:
        raise fail("parameter 'storage' not allowed for linked clones")
    if call.params.get("format") and not full:
        raise fail("parameter 'format' not allowed for linked clones")
    volumes = _volumes(src.config)
    if target and not all(state.volume_is_shared(local, volid) for _k, volid, _cd in volumes):
        raise fail("can't clone VM to node '%s' (VM uses local storage)" % target)
    existing = state.guests.get(newid)
    if existing is not None and existing.node == local:     # only the local node's config directory is looked at
        raise fail("unable to create VM %d: config file already exists" % newid)
    if not full:
        for key, volid, cdrom in volumes:
            if not cdrom and "cloudinit" not in volid and not volid.split(":", 1)[1].startswith("base-"):
                raise fail("Linked clone feature is not supported for '%s' (%s)" % (volid, key))


def _worker_error(call, src, newid):
    """What ends the worker before it copies anything, or None: the config locks (source shared when stopped,
    exclusive when running; new vmid exclusive; 1 s each), then the temporary config, which pmxcfs refuses when
    the vmid is a guest of another node."""
    state = call.state
    budget = call.clock.deadline(LOCK_WAIT)
    mode = "exclusive" if src.status == "running" else "shared"
    for vmid, wanted in ((src.vmid, mode), (newid, "exclusive")):
        if state.lock_free_at(vmid, wanted) > budget:
            return "can't lock file '/var/lock/qemu-server/lock-%d.conf' - got timeout" % vmid
    if newid in state.guests:
        return worker_error(["creating a clone of VM %d with ID %d" % (src.vmid, newid)],
                            "close (rename) atomic file '/etc/pve/nodes/%s/qemu-server/%d.conf' failed: File exists"
                            % (src.node, newid))
    return None


def _plan_disks(call, src, full, target):
    """[(key, source volume, opts, target storage, size)] for every real disk and the cloud-init drive."""
    plan = []
    for key, value in sorted(src.config.items()):
        if not gc.DISK_KEY.match(key):
            continue
        volume, opts = gc.split_drive(value)
        if gc.is_media(value) and "cloudinit" not in volume:
            continue
        storage = call.params.get("storage") if full and call.params.get("storage") else volume.split(":", 1)[0]
        st = call.state.storage(target or src.node, storage)
        if "images" not in st.content:
            raise fail("storage '%s' does not support content-type 'images'" % storage)
        plan.append((key, volume, opts, storage, gc.disk_size(value) if "cloudinit" not in volume else 4 * 1024 ** 2))
    return plan


def _new_config(call, src, newid):
    config = {k: v for k, v in src.config.items() if k not in SKIP_KEYS and not k.startswith("unused")
              and (not gc.DISK_KEY.match(k) or (gc.is_media(v) and "cloudinit" not in v))}  # ISO/empty CD: as is
    config["name"] = call.params.get("name") or "Copy-of-VM-%s" % (src.config.get("name") or src.vmid)
    if call.params.get("description") is not None:
        config["description"] = call.params["description"]
    for key in [k for k in config if k.startswith("net")]:
        config[key] = gc.regenerate_mac(call.state, config[key])
    config["smbios1"] = "uuid=%s" % call.state.new_uuid()
    config["vmgenid"] = call.state.new_uuid()
    config["meta"] = "creation-qemu=9.0.2,ctime=%d" % int(call.clock.now())
    config["lock"] = "clone"
    return config


def _allocate(call, guest, plan, full):
    """Create the new volumes; returns (volumes, lines-script data) or raises when space runs out."""
    created, copies = [], []
    for key, volume, opts, storage, size in plan:
        if "cloudinit" in volume:
            vol = call.state.add_volume(guest.node, storage, "vm-%d-cloudinit" % guest.vmid, size, guest.vmid)
            guest.config[key] = gc.join_drive(vol.volid, {"media": "cdrom"})
        elif full:
            vol = gc.allocate(call.state, guest, storage, size)
            guest.config[key] = gc.join_drive(vol.volid, dict(opts, size=format_size(size)))
            copies.append((key, volume, size))
        else:
            name = "%s/%s" % (volume.split(":", 1)[1], gc.next_disk_name(call.state, guest, storage))
            vol = call.state.add_volume(guest.node, storage, name, size, guest.vmid)
            guest.config[key] = gc.join_drive(vol.volid, dict(opts, size=format_size(size)))
        created.append(vol.volid)
    return created, copies


def _script(copies, full, overhead, plan=(), stages=None, running=False):
    """The task's log lines; fills `stages` with the simulated offset each drive of `plan` is done at (key order,
    as clone_vm copies them: a cloud-init drive at once, a full copy when its transfer ends).

    A full copy of a running guest's drive is a QEMU drive mirror (PVE::QemuServer qemu_drive_mirror_monitor:
    "drive-scsi0: transferred 1.0 GiB of 2.0 GiB (50.00%) in 1s", then "all 'mirror' jobs are ready"); of a stopped
    guest or a template, qemu-img convert (qemu_img_convert's parser: "transferred 1.0 GiB of 2.0 GiB (50.00%)",
    no drive, no time), the same in 7.4, 8.x and 9.x."""
    def script(duration):
        if stages is not None:
            stages[:] = _drive_offsets(plan, copies, full, overhead, duration)
        if not full:
            return [(0.1, "create linked clone of drive %s (%s)" % (k, v)) for k, v, _s in copies]
        lines, start = [], overhead / 2.0
        total = sum(s for _k, _v, s in copies) or 1
        for key, volume, size in copies:
            span = (duration - overhead) * size / total
            lines.append((start, "create full clone of drive %s (%s)" % (key, volume)))
            if running:
                lines += transfer_lines("drive-%s: " % key, size, start, span, ", ready")
            else:
                lines += convert_lines(size, start, span)
            start += span
        if running:
            lines.append((duration - overhead / 4.0, "all 'mirror' jobs are ready"))
        return lines
    return script


def _drive_offsets(plan, copies, full, overhead, duration):
    """[(offset, drive key)]: when each drive's copy ends (full copies share the transfer time by size)."""
    sizes = {k: s for k, _v, s in copies}
    total = sum(sizes.values()) or 1
    out, at = [], min(overhead / 2.0, duration / 4.0)
    for key, volume, _opts, _storage, _size in plan:
        if full and key in sizes and "cloudinit" not in volume:
            at += (duration - overhead) * sizes[key] / total
        else:
            at += min(0.1, duration / (4.0 * max(1, len(plan))))
        out.append((min(at, duration * 0.99), key))
    return out


def _staged_writes(guest, plan):
    """clone_vm's config writes: the temporary file holding only `lock: clone` now; after each drive (key order)
    the whole new config with the drives so far and the lock (qemu-server API2/Qemu.pm clone_vm). Returns
    {drive key: function writing the config as it is once that drive is copied}."""
    final = dict(guest.config)
    drive_keys = [key for key, _v, _o, _st, _s in plan]
    base = {k: v for k, v in final.items() if k not in drive_keys}
    guest.config = {"lock": "clone"}
    writes = {}
    for i, key in enumerate(drive_keys):
        written = dict(base, **{k: final[k] for k in drive_keys[:i + 1]})
        written["lock"] = "clone"

        def write(config=written):
            guest.config = config
        writes[key] = write
    return writes


def clone(call):
    """POST /nodes/{node}/qemu/{vmid}/clone (qemu-server API2/Qemu.pm clone_vm): synchronous checks, then a qmclone
    worker that takes the config locks itself, so lock contention ends the task, never the request."""
    state = call.state
    src = call.guest()
    newid, target = call.params["newid"], call.params.get("target")
    if target == src.node:
        target = None
    full = call.params.get("full", 0 if src.template else 1)
    _checks(call, src, newid, full, target)
    error = _worker_error(call, src, newid)
    if error:
        upid = call.start_task("qmclone", src.vmid, LOCK_WAIT, None, error=error)
        state_task = call.sim.tasks.tasks[upid]
        state_task.fail_at = LOCK_WAIT if "got timeout" in error else 0.1
        return upid
    target = target or src.node
    plan = _plan_disks(call, src, full, target)
    guest = Guest(newid, target, _new_config(call, src, newid))
    state.guests[newid] = guest
    firewall.copy_config(state, src.vmid, newid)    # clone_vmfw_conf
    try:
        created, copies = _allocate(call, guest, plan, full)
    except ApiError:
        for volume in [gc.split_drive(v)[0] for k, v in guest.config.items() if gc.DISK_KEY.match(k)]:
            state.free_volume(target, volume)
        state.guests.pop(newid, None)
        firewall.remove_config(state, newid)
        raise
    if not full:
        copies = [(k, v, s) for k, v, _o, _st, s in plan if "cloudinit" not in v]
    overhead = 1.0
    duration = overhead + (sum(s for _k, _v, s in copies) / CLONE_RATE if full else 0.5)
    holder = object()               # the worker's config locks: the source's and the new vmid's
    writes = _staged_writes(guest, plan)
    guest.node = src.node           # the temporary config lives on the node the clone runs on until the end

    def on_ok():                    # the task engine has run every staged write by now
        state.release_task_locks(holder)
        guest.config.pop("lock", None)
        guest.node = target         # rename()d into the target node's directory last
        if call.params.get("pool"):
            guest.pool = call.params["pool"]

    def on_fail(_msg):
        state.release_task_locks(holder)
        for volume in created:
            state.free_volume(target, volume)
        if state.guests.get(newid) is guest:
            state.guests.pop(newid)
            firewall.remove_config(state, newid)    # remove_vmfw_conf($newid) when the clone fails

    stages = []
    upid = call.start_task("qmclone", src.vmid, duration, _script(copies, full, overhead, plan, stages,
                                                                     running=src.status == "running"),
                           on_ok=on_ok, on_fail=on_fail)
    task = call.sim.tasks.tasks[upid]
    task.events = [(offset, writes.pop(key)) for offset, key in stages]
    held = task.duration                # a task_duration fault may have changed it
    state.take_task_lock(src.vmid, "exclusive" if src.status == "running" else "shared", holder, held)
    state.take_task_lock(newid, "exclusive", holder, held)
    return upid
