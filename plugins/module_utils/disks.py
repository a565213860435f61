# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU drive strings, the boot disk, and growing a disk safely on Proxmox VE 7.x (synchronous) and 8.0+ (task)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import time

from ansible_collections.jotunheim.proxmox.plugins.module_utils import validate as checks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import find_guest
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import (
    InputError, ProxmoxError, TaskFailed, TaskTimeout, classify_response)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.reconcile import find_started_task, write_started
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline, jittered
from ansible_collections.jotunheim.proxmox.plugins.module_utils.sizes import api_size, format_size, parse_increase, parse_size
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter, started_task

# Drives the resize API accepts (schema enum of PUT /nodes/{node}/qemu/{vmid}/resize, 7.4 to 9.1).
_BUS_LIMITS = (("scsi", 30), ("virtio", 15), ("sata", 5), ("ide", 3))
_SPECIAL_DISKS = ("efidisk0", "tpmstate0")
_DISK_RE = re.compile(r"^(scsi|virtio|sata|ide)(\d+)$")
# A disk whose storage rounds sizes up (LVM extents) may end up this much above an absolute target.
ALLOCATION_SLACK = 4 * 1024 * 1024
# Without a deadline from the caller, a resize (and waiting for it) may take this long.
DEFAULT_TIMEOUT = 600
# 7.x with wait=false: how long the blocking PUT may hold the module before the resize counts as "in progress".
BLOCKING_NO_WAIT_READ_TIMEOUT = 2.0
_NO_ROOM_RE = re.compile(r"no space|not enough (?:free )?space|insufficient free space|storage (?:is )?full|out of space",
                         re.IGNORECASE)


def is_disk_key(key):
    """True for the config keys PVE can resize: scsi0-30, virtio0-15, sata0-5, ide0-3, efidisk0, tpmstate0."""
    if key in _SPECIAL_DISKS:
        return True
    match = _DISK_RE.match(key or "")
    if not match:
        return False
    return int(match.group(2)) <= dict(_BUS_LIMITS)[match.group(1)] and str(int(match.group(2))) == match.group(2)


def parse_drive(value):
    """Split a drive property string.

    "local-lvm:vm-100-disk-0,size=32G,discard=on" ->
    {"volume": "local-lvm:vm-100-disk-0", "storage": "local-lvm", "size": 34359738368,
     "options": {"discard": "on"}, "media": "disk"}
    `size` is None when the string carries none; `media` is "cdrom" for CD-ROM and cloud-init drives.
    """
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    volume = None
    options = {}
    for index, part in enumerate(parts):
        key, sep, val = part.partition("=")
        if not sep:
            if index == 0:
                volume = part
                continue
            raise ValueError("drive string %r: %r is not key=value" % (value, part))
        options[key.strip()] = val.strip()
    if volume is None:
        volume = options.pop("file", options.pop("volume", None))
    size_text = options.pop("size", None)
    size = parse_size(size_text, option="size") if size_text else None
    storage = volume.split(":", 1)[0] if volume and ":" in volume else None
    cdrom = options.get("media") == "cdrom" or (volume or "") in ("cdrom", "none") or "cloudinit" in (volume or "")
    return {"volume": volume, "storage": storage, "size": size, "options": options, "media": "cdrom" if cdrom else "disk"}


def _is_data_disk(config, key):
    if not is_disk_key(key) or key not in config:
        return False
    try:
        return parse_drive(config[key])["media"] == "disk"
    except (ValueError, InputError):
        return False


def _bus_order(key):
    match = _DISK_RE.match(key)
    if not match:
        return (len(_BUS_LIMITS), 0)
    return ([bus for bus, dummy in _BUS_LIMITS].index(match.group(1)), int(match.group(2)))


def boot_disk(config, option="disk"):
    """The disk the guest boots from: first disk of "boot: order=scsi0;ide2;net0", else the legacy `bootdisk`,
    else the first scsiN/virtioN/sataN/ideN disk (CD-ROM and cloud-init drives never count).

    Raises InputError naming *option* when the guest has no disk at all.
    """
    boot = str(config.get("boot") or "")
    order = ""
    for item in boot.split(","):
        key, sep, val = item.partition("=")
        if sep and key.strip() == "order":
            order = val
    for key in [k.strip() for k in order.split(";")] + [str(config.get("bootdisk") or "")]:
        if _is_data_disk(config, key):
            return key
    candidates = sorted((k for k in config if _DISK_RE.match(k) and _is_data_disk(config, k)), key=_bus_order)
    if not candidates:
        raise InputError("%s: the guest has no disk (scsiN, virtioN, sataN or ideN) to pick as boot disk" % option,
                         option=option)
    return candidates[0]


def disks_of(config):
    """Every resizable disk of a guest config, sorted by bus: ["scsi0", "scsi1", "efidisk0", ...]."""
    return sorted((k for k in config if _is_data_disk(config, k)), key=_bus_order)


def disk_size(config, disk, option="disk"):
    """Size in bytes of *disk* in a guest config; InputError naming *option* when there is no such disk."""
    if not is_disk_key(disk):
        raise InputError("%s: %r is not a disk Proxmox VE can resize; use one of scsi0-30, virtio0-15, sata0-5, ide0-3, "
                         "efidisk0, tpmstate0" % (option, disk), option=option)
    if disk not in config:
        raise InputError("%s: the guest has no disk %s (it has: %s)" % (option, disk, ", ".join(disks_of(config)) or "none"),
                         option=option)
    drive = parse_drive(config[disk])
    if drive["media"] != "disk":
        raise InputError("%s: %s is a CD-ROM or cloud-init drive, not a disk" % (option, disk), option=option)
    if drive["size"] is None:
        raise InputError("%s: the guest config shows no size for %s (%s)" % (option, disk, config[disk]), option=option)
    return drive["size"]


def target_size(before, size=None, increase=None, option="size"):
    """The size a resize aims at, or InputError naming the option: shrinking is refused by Proxmox VE.

    An absolute *size* the disk already has (or exceeds only by the storage's rounding, ALLOCATION_SLACK) is the target
    reached; an *increase* always grows.
    """
    if (size is None) == (increase is None):
        raise InputError("%s: give exactly one of size and increase" % option, option=option)
    if increase is not None:
        return before + increase
    if size >= before:
        return size
    if before - size < ALLOCATION_SLACK:
        return before
    raise InputError("%s: cannot shrink the disk from %s to %s; Proxmox VE only grows disks"
                     % (option, format_size(before), format_size(size)), option=option)


def plan_resize(config, disk=None, size=None, increase=None, option="size", disk_option="disk"):
    """What a resize of *disk* (default: the boot disk) in *config* does: {disk, storage, size_before, target, send}.

    `send` is the API's `size` value ("40G", "+10G"), None when the disk is already at the target.
    """
    disk = disk or boot_disk(config, option=disk_option)
    before = disk_size(config, disk, option=disk_option)
    absolute = parse_size(size, option=option) if size is not None else None
    growth = parse_increase(increase, option="increase") if increase is not None else None
    target = target_size(before, absolute, growth, option=option)
    if target == before:
        send = None
    elif growth is not None:
        send = "+" + api_size(growth)
    else:
        send = api_size(target)
    return {"disk": disk, "storage": parse_drive(config[disk])["storage"], "size_before": before, "target": target,
            "send": send, "relative": growth is not None}


def next_poll_delay(elapsed, first=0.2, cap=2.0, share=0.1):
    """Seconds before the next look: 0.2 s at first, then a tenth of the time spent so far, at most 2 s (+/- 10 %)."""
    return jittered(min(cap, max(first, elapsed * share)))


def _sleep_within(deadline, seconds):
    time.sleep(max(0.0, deadline.cap(seconds)))


def _guest_path(node, vmid, leaf):
    return "/nodes/%s/qemu/%s/%s" % (node, vmid, leaf)


def read_config(client, node, vmid, deadline=None):
    """The guest's config (GET .../config)."""
    return client.get(_guest_path(node, vmid, "config"), deadline=deadline) or {}


def read_disk_size(client, node, vmid, disk, deadline=None):
    return disk_size(read_config(client, node, vmid, deadline), disk)


def wait_for_size(client, node, vmid, disk, size_bytes, deadline):
    """Read the guest config until *disk* is at least *size_bytes*; return its size.

    For 7.x, where a resize has no task: raises TaskTimeout when the deadline passes first (the resize goes on).
    """
    deadline = deadline or Deadline(DEFAULT_TIMEOUT)
    while True:
        current = read_disk_size(client, node, vmid, disk, deadline)
        if current >= size_bytes:
            return current
        if deadline.expired():
            raise TaskTimeout("disk %s of VM %s is %s, not yet %s, after %.0f s; the resize may still be running in "
                              "Proxmox VE: run again later to converge"
                              % (disk, vmid, format_size(current), format_size(size_bytes), deadline.elapsed()))
        _sleep_within(deadline, next_poll_delay(deadline.elapsed()))


def _wait_unlocked(client, node, vmid, config, deadline):
    """Wait while the guest config carries a `lock` (backup, clone, ...); ProxmoxError naming the lock at the deadline."""
    while config.get("lock"):
        if deadline.expired():
            raise ProxmoxError("VM %s is locked (%s): still locked after %.0f s, nothing was resized"
                               % (vmid, config["lock"], deadline.elapsed()), kind=ProxmoxError.RETRYABLE, locked=True)
        _sleep_within(deadline, next_poll_delay(deadline.elapsed(), cap=1.0))
        config = read_config(client, node, vmid, deadline)
    return config


def _result(plan, size_after, status, changed, task=None, tasks=None):
    return {"disk": plan["disk"], "size_before": plan["size_before"], "size_after": size_after,
            "size_before_human": format_size(plan["size_before"]), "size_after_human": format_size(size_after),
            "status": status, "task": task, "tasks": list(tasks or []), "changed": changed}


def resize(client, node, vmid, disk=None, size=None, increase=None, wait=True, deadline=None, check_mode=False,
           option="size", disk_option="disk"):
    """Grow *disk* (default: the boot disk) of QEMU guest *vmid* on *node* to *size* or by *increase*.

    Returns {"disk", "size_before", "size_after", "size_before_human", "size_after_human",
    "status": "done"|"in_progress", "task": upid|None, "tasks": [...], "changed"}. A write whose outcome is unknown
    (read timeout, 596, dropped connection) is never sent again: the size is read back instead.
    """
    deadline = deadline or Deadline(DEFAULT_TIMEOUT)
    config = read_config(client, node, vmid, deadline)
    plan = plan_resize(config, disk, size, increase, option=option, disk_option=disk_option)
    if plan["send"] is None:
        return _result(plan, plan["size_before"], "done", False)
    if check_mode:
        return _result(plan, plan["target"], "done", True)
    _wait_unlocked(client, node, vmid, config, deadline)
    resizer = _resize_with_task if tuple(client.release) >= (8, 0) else _resize_blocking
    try:
        return resizer(client, node, vmid, plan, wait, deadline)
    except ProxmoxError as err:
        raise _explain(err, plan, "increase" if increase is not None else option)


def _explain(err, plan, option):
    """Name the option when the storage has no room for the new size."""
    if _NO_ROOM_RE.search(err.message or ""):
        err.message = "%s: storage %s has no room to grow %s to %s: %s" % (
            option, plan["storage"] or "(of the disk)", plan["disk"], format_size(plan["target"]), err.message)
        err.args = (err.message,)
    return err


def _resize_request(client, node, vmid, plan, deadline, read_timeout=None):
    """PUT .../resize, retried only while nothing started (locks); *read_timeout* bounds this one call."""
    data = {"disk": plan["disk"], "size": plan["send"]}
    saved = client.read_timeout
    if read_timeout is not None:
        client.read_timeout = read_timeout
    try:
        return client.put(_guest_path(node, vmid, "resize"), data=data, deadline=deadline, retry_locked=True)
    finally:
        client.read_timeout = saved


def _resize_blocking(client, node, vmid, plan, wait, deadline):
    """7.x: the PUT returns when the resize is done; a read timeout or 596 means it is still running."""
    read_timeout = BLOCKING_NO_WAIT_READ_TIMEOUT if not wait else deadline.cap(client.read_timeout)
    try:
        _resize_request(client, node, vmid, plan, deadline, read_timeout=max(read_timeout, 0.5))
    except ProxmoxError as err:
        if err.kind != ProxmoxError.UNKNOWN:
            raise
        return _after_unknown_outcome(client, node, vmid, plan, wait, deadline, task=None)
    return _result(plan, read_disk_size(client, node, vmid, plan["disk"], deadline), "done", True)


def _resize_with_task(client, node, vmid, plan, wait, deadline):
    """8.0+: the PUT returns a `resize` UPID. A task that failed on a lock did nothing: it is sent again."""
    while True:
        since = write_started(client)
        try:
            upid = _resize_request(client, node, vmid, plan, deadline)
        except ProxmoxError as err:
            if err.kind != ProxmoxError.UNKNOWN:
                raise
            task = find_started_task(client, node, "resize", since, vmid=vmid, deadline=deadline)
            return _after_unknown_outcome(client, node, vmid, plan, wait, deadline, task=task)
        if not wait:
            return _result(plan, plan["target"], "in_progress", True, task=upid, tasks=[started_task(upid)])
        try:
            tasks = TaskWaiter(client).wait([upid], deadline)
        except TaskFailed as err:
            if not _failed_on_lock(err) or deadline.expired():
                raise
            config = _wait_unlocked(client, node, vmid, read_config(client, node, vmid, deadline), deadline)
            current = disk_size(config, plan["disk"])
            if current >= plan["target"]:
                return _result(plan, current, "done", True)
            if current != plan["size_before"]:
                raise
            continue
        return _result(plan, read_disk_size(client, node, vmid, plan["disk"], deadline), "done", True, task=upid, tasks=tasks)


def _failed_on_lock(err):
    """True when a task failed because the guest or its config file was locked: the resize never started."""
    texts = [err.message or ""] + [str(t.get("exitstatus") or "") for t in err.tasks]
    return any(classify_response(500, text)[0] == ProxmoxError.RETRYABLE for text in texts)


def _after_unknown_outcome(client, node, vmid, plan, wait, deadline, task=None):
    """The resize request may or may not have taken effect: read, never re-send."""
    current = read_disk_size(client, node, vmid, plan["disk"], deadline)
    if current >= plan["target"]:
        return _result(plan, current, "done", True, task=task)
    if not wait:
        return _result(plan, plan["target"], "in_progress", True, task=task, tasks=[started_task(task)] if task else [])
    if task:
        tasks = TaskWaiter(client).wait([task], deadline)
        return _result(plan, read_disk_size(client, node, vmid, plan["disk"], deadline), "done", True, task=task, tasks=tasks)
    return _result(plan, wait_for_size(client, node, vmid, plan["disk"], plan["target"], deadline), "done", True)


def run_disk_resize(module):
    """The jotun_disk_resize module: find the guest anywhere in the cluster, resize, add the diff."""
    params = module.params
    checks.check_vmid(params["vmid"])
    if params["name"] is not None:
        checks.check_plain(params["name"], "name", "a server name")
    if params["disk"] is not None:
        checks.check_plain(params["disk"], "disk", "a disk key such as scsi0")
    for option, parse in (("size", parse_size), ("increase", parse_increase)):
        if params[option] is not None:
            parse(params[option], option=option)
    client = module.client
    deadline = module.deadline()
    guest = find_guest(client, vmid=params["vmid"], name=None if params["vmid"] is not None else params["name"])
    if not guest:
        option = "vmid" if params["vmid"] is not None else "name"
        raise InputError("%s: no virtual machine %s in the cluster" % (option, params[option]), option=option)
    checks.check_guest_match(guest, params["vmid"], params["name"], what="server: its disks are the base of its "
                             "clones and cannot be resized")
    if guest.get("type") not in (None, "qemu"):
        raise InputError("vmid: guest %s is a container (%s); jotun_disk_resize grows virtual machine disks"
                         % (guest["vmid"], guest.get("type")), option="vmid")
    result = resize(client, guest["node"], guest["vmid"], disk=params["disk"], size=params["size"],
                    increase=params["increase"], wait=params["wait"], deadline=deadline, check_mode=module.check_mode)
    result.update({"vmid": int(guest["vmid"]), "name": guest.get("name"), "node": guest["node"]})
    if module._diff:
        result["diff"] = {
            "before": {"disk": result["disk"], "size": result["size_before_human"]},
            "after": {"disk": result["disk"], "size": result["size_after_human"]},
        }
    return result
