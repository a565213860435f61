# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server's CD-ROM drive (``iso``), boot order (``boot_order``) and rescue mode (``state: rescued``).

The CD-ROM drive is the server's first CD-ROM drive that is not its cloud-init drive, else ``ide3``: the templates
this collection clones keep their cloud-init drive on ``ide2`` (Proxmox's usual CD-ROM slot), and ``ide0``/``ide1``
stay free for disks. ``iso: none`` ejects (``none,media=cdrom``).

Rescue: ``state: rescued`` puts ``rescue_iso`` in that drive, boots it first (the disks stay attached and follow
in the old order) and writes what it replaced into a last description line,
``jotun: rescue boot=<old boot value> cdrom=<drive>:<old volume or "absent">``; the server is started, or rebooted
when it was running. Any later run with another state (``started`` is the documented way back) finds that line,
puts the boot order back, ejects the ISO (removes the drive when rescue mode added it), drops the line and, with
``started``, reboots a running server into its own system. The line is left out of description comparisons
(qemu_config.normalise_description), and kept when ``description`` is changed meanwhile.

Config writes: ``PUT /nodes/{node}/qemu/{vmid}/config`` with the digest (qemu-server update_vm_api); on a running
guest ``boot`` and a new drive are pending until the next start, so a reboot (``POST .../status/reboot``, which
applies pending changes) follows.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.disks import is_disk_key, parse_drive
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, UNKNOWN
from ansible_collections.jotunheim.proxmox.plugins.module_utils.isos import check_filename, find_iso

CDROM_DRIVE = "ide3"
EJECTED = "none,media=cdrom"
_DEVICE_RE = re.compile(r"^(ide[0-3]|sata[0-5]|scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|net([0-9]|[1-9][0-9]))$")
_RETURN_STATES = ("present", "started", "stopped", "restarted")


def validate(params):
    """Check iso, boot_order, rescue_iso against the state; InputError naming the option. No request is made."""
    state = params.get("state")
    iso, order, rescue = params.get("iso"), params.get("boot_order"), params.get("rescue_iso")
    if iso not in (None, "none"):
        _check_iso_value(iso, "iso")
    if rescue is not None:
        if state != "rescued":
            raise InputError("rescue_iso: only used with state: rescued", option="rescue_iso")
        _check_iso_value(rescue, "rescue_iso")
    if state == "rescued":
        if not rescue:
            raise InputError("rescue_iso: state rescued needs the rescue ISO (a volid or a file name in the library)",
                             option="rescue_iso")
        for option in ("iso", "boot_order"):
            if params.get(option) is not None:
                raise InputError("%s: cannot be combined with state: rescued (rescue mode sets the drive and the boot "
                                 "order, and puts them back afterwards)" % option, option=option)
    if order is not None:
        if not order:
            raise InputError("boot_order: give at least one device (like scsi0, ide3, net0)", option="boot_order")
        for device in order:
            if not isinstance(device, str) or not _DEVICE_RE.match(device):
                raise InputError("boot_order: %r is not a boot device (ideN, sataN, scsiN, virtioN, netN)" % (device,),
                                 option="boot_order")
        if len(set(order)) != len(order):
            raise InputError("boot_order: a device is listed twice", option="boot_order")


def _check_iso_value(value, option):
    if ":" in value:
        storage, _sep, path = value.partition(":")
        if not storage or not path.startswith("iso/"):
            raise InputError("%s: %r is not an ISO volid (storage:iso/file.iso)" % (option, value), option=option)
        check_filename(path[4:], option)
    else:
        check_filename(value, option)


# --- reading the config -------------------------------------------------------------------------------------------

def boot_devices(config):
    """The devices of ``boot: order=a;b;c`` as a list; None for the legacy or an absent boot setting."""
    value = str(config.get("boot") or "")
    for part in value.split(","):
        key, sep, val = part.partition("=")
        if sep and key.strip() == "order":
            return [d for d in val.split(";") if d]
    return None


def cdrom_drive(config, option="iso"):
    """The key of the drive ISOs go into (see the module docstring); InputError naming ``option`` when ide3 is a disk."""
    for key in sorted(config):
        if not is_disk_key(key):
            continue
        drive = parse_drive(str(config[key]))
        if drive["media"] == "cdrom" and "cloudinit" not in (drive["volume"] or ""):
            return key
    if CDROM_DRIVE in config:
        raise InputError("%s: the server has no CD-ROM drive and %s holds a disk" % (option, CDROM_DRIVE), option=option)
    return CDROM_DRIVE


def mounted(config, drive):
    """The volid in ``drive``, or None when it is empty or absent."""
    if drive not in config:
        return None
    volume = parse_drive(str(config[drive]))["volume"]
    return None if volume in (None, "none", "cdrom") else volume


def read_mark(description):
    """The rescue mark of a description: {"boot": old boot value ("" for none), "drive", "before": old volume or
    "absent"/"none"}, or None."""
    for line in str(description or "").splitlines():
        if line.startswith(qc.RESCUE_MARK):
            fields = dict(part.partition("=")[::2] for part in line[len(qc.RESCUE_MARK):].split(" ") if "=" in part)
            drive, _sep, before = fields.get("cdrom", CDROM_DRIVE + ":absent").partition(":")
            return {"boot": fields.get("boot", ""), "drive": drive, "before": before or "absent"}
    return None


def with_mark(description, mark):
    text = without_mark(description)
    line = "%sboot=%s cdrom=%s:%s" % (qc.RESCUE_MARK, mark["boot"], mark["drive"], mark["before"])
    return (text + "\n" if text else "") + line


def without_mark(description):
    return "\n".join(line for line in str(description or "").splitlines() if not line.startswith(qc.RESCUE_MARK))


def keep_mark(plan, config):
    """A ConfigPlan changing ``description`` keeps the rescue mark the config carries (server/run.py ``plan``)."""
    mark = read_mark(config.get("description"))
    if mark is None:
        return
    if "description" in plan.updates:
        plan.updates["description"] = with_mark(plan.updates["description"], mark)
    elif "description" in plan.delete:
        plan.delete.remove("description")
        plan.updates["description"] = with_mark("", mark)


# --- planning -----------------------------------------------------------------------------------------------------

def plan_media(client, guest, config, params, deadline=None):
    """What to write: ``(updates, deletes, diff)`` with API values; diff maps option names to (before, after)."""
    state = params["state"]
    updates, deletes, diff = {}, [], {}
    mark = read_mark(config.get("description"))
    node = guest["node"]

    def set_drive(drive, volid):
        want = EJECTED if volid is None else "%s,media=cdrom" % volid
        have = mounted(config, drive)
        if have == volid and (drive in config or volid is None):
            return
        updates[drive] = want
        diff["iso"] = (have or "none", volid or "none")

    def set_boot(devices):
        known = set(k for k in config if is_disk_key(k) or re.match(r"^net\d+$", k)) | set(updates)
        missing = [d for d in devices if d not in known]
        if missing:
            raise InputError("boot_order: the server has no %s" % ", ".join(missing), option="boot_order")
        if boot_devices(config) != devices:
            updates["boot"] = "order=" + ";".join(devices)
            diff["boot_order"] = (boot_devices(config) or config.get("boot"), devices)

    if state == "rescued":
        rescue = find_iso(client, node, params["rescue_iso"], option="rescue_iso", deadline=deadline)
        drive = mark["drive"] if mark else cdrom_drive(config, option="rescue_iso")
        set_drive(drive, rescue)
        old = boot_devices(config) or []
        set_boot([drive] + [d for d in old if d != drive])
        if mark is None:
            before = "absent" if drive not in config else (mounted(config, drive) or "none")
            new_mark = {"boot": str(config.get("boot") or ""), "drive": drive, "before": before}
            updates["description"] = with_mark(config.get("description"), new_mark)
            diff["rescue"] = (False, True)
        return updates, deletes, diff
    if mark is not None and state in _RETURN_STATES:
        drive = mark["drive"]
        if mark["before"] == "absent":
            if drive in config:
                deletes.append(drive)
                diff["iso"] = (mounted(config, drive) or "none", "none")
        else:
            set_drive(drive, None)
        if mark["boot"]:
            updates["boot"] = mark["boot"]
            diff["boot_order"] = (boot_devices(config), boot_devices({"boot": mark["boot"]}) or mark["boot"])
        elif "boot" in config:
            deletes.append("boot")
            diff["boot_order"] = (boot_devices(config), None)
        text = without_mark(config.get("description"))
        if text:
            updates["description"] = text
        else:
            deletes.append("description")
        diff["rescue"] = (True, False)
        # what the config reads once this is written: iso / boot_order given as well apply on top of it
        config = dict(config)
        for key in deletes:
            config.pop(key, None)
        config.update(updates)
    if params.get("iso") is not None:
        want = None if params["iso"] == "none" else find_iso(client, node, params["iso"], deadline=deadline)
        if want is not None or any(mounted(config, k) for k in [cdrom_drive(config)]):
            set_drive(cdrom_drive(config), want)
    if params.get("boot_order") is not None:
        set_boot(list(params["boot_order"]))
    return updates, deletes, diff


def ensure_media(run):
    """The iso / boot_order / rescue step of a ServerRun (after its config step, before power). Sets
    ``run.media_reboot`` when a running server must restart to boot what was written."""
    run.media_reboot = False
    params = run.params
    state = params["state"]
    if state in ("absent", "rebuilt") or run.guest is None:
        return
    if params.get("iso") is None and params.get("boot_order") is None and state != "rescued" and \
            read_mark(run.config.get("description")) is None:
        return
    rescue_flow = False
    for attempt in range(3):
        updates, deletes, diff = plan_media(run.client, run.guest, run.config, params, deadline=run.deadline)
        if not updates and not deletes:
            break
        run.changed = True
        for option, (before, after) in diff.items():
            run.diff.add(option, before, after)
        if run.check_mode:
            return
        run.step = "media"
        if run.config.get("lock"):
            run.wait_unlocked()
            continue
        data = dict(updates)
        if deletes:
            data["delete"] = ",".join(sorted(deletes))
        data["digest"] = run.config.get("digest")
        try:
            guests.update_config(run.client, run.guest["node"], run.guest["vmid"], data, deadline=run.deadline)
        except ProxmoxError as err:
            if attempt == 2 or not (guests.is_locked_failure(err) or guests.is_digest_mismatch(err)
                                    or err.kind == UNKNOWN):
                raise
        run.read_config()
        rescue_flow = rescue_flow or "rescue" in diff
    if (state == "rescued" or rescue_flow) and run.read_power_state() == "running":
        pending = guests.read_pending(run.client, run.guest["node"], run.guest["vmid"], deadline=run.deadline)
        run.media_reboot = any(key == "boot" or is_disk_key(key) for key in pending)


def ensure_media_applied(run):
    """Reboot a server that was already running when rescue mode or its way back changed what it boots (pending
    until a restart; only with state rescued or started). A server the power step started booted it already."""
    if not getattr(run, "media_reboot", False) or run.check_mode:
        return
    if run.params["state"] not in ("rescued", "started") or run.guest.get("status") != "running":
        return
    run.diff.add("status", "running", "running (rebooted)")
    run.power("reboot", "running")
