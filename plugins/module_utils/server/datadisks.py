# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A server's data disks (jotun_server ``disks`` and ``remove_unlisted_disks``): added, grown, never shrunk, options
changed in place, and - only when asked - detached and deleted.

A data disk is any ``scsiN``/``virtioN``/``sataN``/``ideN`` drive holding a disk that is not the boot disk
(disks.boot_disk); CD-ROM and cloud-init drives, ``efidisk0`` and ``tpmstate0`` are never data disks and never
touched here. What Proxmox VE does, and what this module relies on (qemu-server ``API2/Qemu.pm`` update_vm_api,
``QemuServer.pm`` vmconfig_hotplug_pending / vmconfig_delete_or_detach_drive / try_deallocate_drive,
``QemuServer/Drive.pm`` ``$NEW_DISK_RE``, the same in 7.4, 8.x and 9.x):

- ``PUT /nodes/{node}/qemu/{vmid}/config`` with ``scsi1: STORAGE:SIZE`` (SIZE in GiB, fractions allowed) allocates a
  new, empty volume on STORAGE and attaches it; on a running guest whose ``hotplug`` includes ``disk`` (the default
  ``network,disk,usb``) a new scsi/virtio disk is plugged in at once, anything else waits for the next start.
- growing goes through ``PUT .../resize`` (disks.resize: the 596/timeout-safe path); Proxmox VE never shrinks.
- ``delete=scsi1`` does NOT delete the volume: the drive is detached and its volume kept as ``unusedN``; only
  ``delete=unusedN`` deletes the volume (try_deallocate_drive). On a running guest a scsi/virtio disk is unplugged at
  once when hotplug has ``disk``; otherwise the detach is pending until the guest restarts.

Pure planning (``validate``, ``plan``) is separate from the writes (``ensure``) so that every refusal comes before
anything is written.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils import disks as disk_utils
from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils import placement
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils import validate as checks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, StepStarted, UNKNOWN
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import rescue
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server.carry import allocation
from ansible_collections.jotunheim.proxmox.plugins.module_utils.sizes import format_size, parse_size

# the drive keys a data disk may use (qemu-server Drive.pm MAX_SCSI_DISKS 31, MAX_VIRTIO_DISKS 16, MAX_SATA_DISKS 6,
# MAX_IDE_DISKS 4)
BUS_LIMITS = {"scsi": 30, "virtio": 15, "sata": 5, "ide": 3}
SLOT_RE = re.compile(r"^(scsi|virtio|sata|ide)(\d+)\Z")
CACHE_MODES = ["none", "writethrough", "writeback", "unsafe", "directsync"]
# option -> (drive property, value when absent from the drive string); qemu-server Drive.pm: ``discard=on|ignore``,
# ``ssd``/``iothread``/``backup`` booleans (backup defaults to on), ``cache`` defaults to none ("No cache")
DRIVE_OPTIONS = (("discard", False), ("ssd", False), ("iothread", False), ("backup", True), ("cache", "none"))
# qemu-server Drive.pm: ``ssd`` exists for scsi, sata and ide drives only, ``iothread`` for scsi and virtio only
_NOT_ON_BUS = {"ssd": ("virtio",), "iothread": ("sata", "ide")}
UNUSED_RE = re.compile(r"^unused\d+\Z")
# the default of a guest's ``hotplug`` (qemu-server QemuServer.pm $confdesc hotplug)
DEFAULT_HOTPLUG = "network,disk,usb"
LOST = "DATA LOST"
_NO_ROOM_RE = re.compile(r"no space|not enough (?:free )?space|insufficient free space|storage (?:is )?full|"
                         r"out of space", re.IGNORECASE)
WRITE_ATTEMPTS = 3
# the smallest data disk: a new disk is asked for in GiB (fractions to the millionth, about 1 KiB), and Proxmox VE
# records a volume below 1 MiB as a bare byte count that no size option could ask for again
MIN_SIZE = 1024 ** 2


def argument_spec():
    """The options this file adds to jotun_server's argument spec."""
    return {
        "disks": {"type": "list", "elements": "dict", "options": {
            "slot": {"type": "str", "required": True},
            "size": {"type": "str", "required": True},
            "storage": {"type": "str"},
            "discard": {"type": "bool"},
            "ssd": {"type": "bool"},
            "iothread": {"type": "bool"},
            "backup": {"type": "bool"},
            "cache": {"type": "str", "choices": CACHE_MODES},
        }},
        "remove_unlisted_disks": {"type": "bool", "default": False},
    }


# --- validation (no API calls) -----------------------------------------------------------------------------------

def check_slot(slot, option):
    """``scsi1`` -> ("scsi", 1); InputError naming *option* for anything but scsi0-30, virtio0-15, sata0-5, ide0-3."""
    text = "" if slot is None else str(slot).strip()
    match = SLOT_RE.match(text)
    if not match or str(int(match.group(2))) != match.group(2):
        raise InputError("%s: %r is not a disk slot; write the bus and its number as Proxmox VE names the drive: "
                         "scsi0-30, virtio0-15, sata0-5 or ide0-3 (e.g. scsi1)" % (option, text), option=option)
    bus, number = match.group(1), int(match.group(2))
    if number > BUS_LIMITS[bus]:
        limit = BUS_LIMITS[bus]
        raise InputError("%s: %s is out of range: the %s bus has %s0 to %s%d" % (option, text, bus, bus, bus, limit),
                         option=option)
    return bus, number


def validate(params):
    """Check ``disks`` and ``remove_unlisted_disks``; InputError naming the option (``disks[N].size``, ...).

    Returns None when ``disks`` is not given, else a list of {"slot", "bus", "size" (bytes), "storage" (or None),
    "options" {option: wanted value, only those given}, "option" ("disks[N]")}.
    """
    items = params.get("disks")
    if items is None:
        if params.get("remove_unlisted_disks"):
            raise InputError("remove_unlisted_disks: give disks too (the data disks to keep; an empty list deletes "
                             "every data disk of the server)", option="remove_unlisted_disks")
        return None
    wanted, seen = [], {}
    for index, item in enumerate(items):
        option = "disks[%d]" % index
        if not isinstance(item, dict):
            raise InputError("%s: expected a dict with slot and size, got %r" % (option, item), option=option)
        bus = check_slot(item.get("slot"), option + ".slot")[0]
        slot = str(item["slot"]).strip()
        if slot in seen:
            raise InputError("%s.slot: %s is listed twice (%s and %s)" % (option, slot, seen[slot], option),
                             option=option + ".slot")
        seen[slot] = option
        size = parse_size(item.get("size"), option=option + ".size")
        if size < MIN_SIZE:
            raise InputError("%s.size: %r is below %s: no data disk is that small (sizes are binary: 1G = 1024M)"
                             % (option, item.get("size"), format_size(MIN_SIZE)), option=option + ".size")
        storage = item.get("storage")
        if storage is not None:
            checks.check_storage(storage, option + ".storage")
        options = {}
        for name, dummy in DRIVE_OPTIONS:
            if item.get(name) is None:
                continue
            if item[name] is True and bus in _NOT_ON_BUS.get(name, ()):
                raise InputError("%s.%s: %s disks have no %s option in Proxmox VE (%s has it on %s disks)"
                                 % (option, name, bus, name, name, ", ".join(b for b in sorted(BUS_LIMITS)
                                                                             if b not in _NOT_ON_BUS[name])),
                                 option="%s.%s" % (option, name))
            if name == "cache" and item[name] not in CACHE_MODES:
                raise InputError("%s.cache: must be one of %s, got %r" % (option, ", ".join(CACHE_MODES), item[name]),
                                 option=option + ".cache")
            options[name] = item[name]
        wanted.append({"slot": slot, "bus": bus, "size": size, "storage": storage, "options": options,
                       "option": option})
    return wanted


# --- planning (no API calls) ------------------------------------------------------------------------------------

# qemu-server Drive.pm $NEW_DISK_RE: a drive value asking Proxmox VE to allocate SIZE GiB on a storage
_NEW_DISK_RE = re.compile(r"^(?:[^/:\s]+:)?(\d+(?:\.\d+)?)\Z")
GIB = 1024 ** 3


def _drive(value):
    """disks.parse_drive, None for a value it cannot read; an allocation (``local-lvm:2``, as a predicted config
    holds it) gets its size from the number of GiB."""
    try:
        drive = disk_utils.parse_drive(value)
    except (ValueError, InputError):
        return None
    match = _NEW_DISK_RE.match(drive["volume"] or "")
    if drive["size"] is None and match:
        drive["size"] = int(float(match.group(1)) * GIB)
    return drive


def _have(options, name, default):
    """The comparable value of drive option *name* in a parsed drive's ``options``."""
    raw = options.get(name)
    if raw is None:
        return default
    if name == "discard":
        return raw == "on"
    if name == "cache":
        return raw
    return qc.parse_bool(raw)


def _api_value(name, value):
    if name == "discard":
        return "on" if value else "ignore"
    if name == "cache":
        return value
    return "1" if value else "0"


def _merged_options(current, wanted):
    """The drive's options with the wanted ones set; an option set to Proxmox VE's default is dropped."""
    merged = dict(current)
    for name, default in DRIVE_OPTIONS:
        if name not in wanted:
            continue
        if wanted[name] == default:
            merged.pop(name, None)
        else:
            merged[name] = _api_value(name, wanted[name])
    return merged


def _join(volume, options, size_text=None):
    items = dict(options)
    if size_text:
        items["size"] = size_text
    return ",".join([volume] + ["%s=%s" % (key, items[key]) for key in sorted(items)])


def _raw_size(value):
    """The ``size=`` text of a drive string as Proxmox VE wrote it (kept as is when the options change)."""
    for part in str(value).split(",")[1:]:
        key, sep, val = part.partition("=")
        if sep and key.strip() == "size":
            return val.strip()
    return None


def data_disks(config, boot):
    """The data disk keys of ``config``: disks on scsi/virtio/sata/ide slots other than the boot disk ``boot``."""
    return [key for key in disk_utils.disks_of(config) if SLOT_RE.match(key) and key != boot]


def unused_volumes(config):
    """``[(key, volid)]`` for every ``unusedN`` (detached volumes Proxmox VE keeps), sorted by N."""
    return [(key, str(config[key]).split(",", 1)[0]) for dummy, key in qc.indexed_keys(config, "unused")]


def default_storage(params, config, boot):
    """Where a new data disk goes without its own ``storage``: the ``storage`` option, else the boot disk's."""
    if params.get("storage"):
        return params["storage"]
    drive = _drive(config.get(boot)) if boot else None
    return drive["storage"] if drive else None


def _show(value):
    drive = _drive(value)
    if drive is None:
        return str(value)
    size = format_size(drive["size"]) if drive["size"] else "?"
    return _join(drive["volume"], drive["options"], size)


class DiskPlan(object):
    """What ``disks`` asks of one guest config: ``add`` {slot: API value}, ``update`` {slot: API value},
    ``grow`` [(slot, before bytes, target bytes, item)], ``detach`` [(slot, volid, bytes)], ``unused``
    [(unusedN, volid)], ``before``/``after`` for the diff, ``warnings``."""

    def __init__(self):
        self.add = {}
        self.update = {}
        self.grow = []
        self.detach = []
        self.unused = []
        self.before = {}
        self.after = {}
        self.warnings = []

    def __bool__(self):
        return bool(self.add or self.update or self.grow or self.detach or self.unused)

    __nonzero__ = __bool__


def current_sizes(config, pending):
    """``config`` (pending values applied) with each pending drive value's ``size`` replaced by the current value's,
    and the set of drive keys where they differed. A drive option changed on a running guest waits as a pending
    value that keeps the size it was written with, while a resize changes the current value only (qemu-server
    ``resize_vm`` writes ``$conf->{$disk}``, not the pending one): without this, such a disk would be grown again on
    every run, and at the next start Proxmox VE would apply the pending value with the old size."""
    stale = set()
    if not pending:
        return config, stale
    config = dict(config)
    for key, entry in pending.items():
        if not SLOT_RE.match(key) or entry.get("pending") is None or entry.get("value") is None:
            continue
        now, then = _drive(entry["value"]), _drive(entry["pending"])
        if now is None or then is None or now["size"] is None or now["volume"] != then["volume"]:
            continue
        if then["size"] != now["size"]:
            config[key] = _join(then["volume"], then["options"], _raw_size(entry["value"]))
            stale.add(key)
    return config, stale


def plan(config, wanted, params, boot, pending=None):
    """Compare ``config`` (pending values applied) with the ``wanted`` disks (validate()) and return a DiskPlan.
    ``pending``: the guest's pending entries (guests.read_pending) when it runs - a listed disk whose pending value
    carries an outdated size is grown from its current size and its pending value rewritten with that size
    (current_sizes()).

    InputError (nothing written yet) naming ``disks[N].slot`` for the boot disk's slot or a slot holding a CD-ROM or
    cloud-init drive, ``disks[N].size`` for a size below the disk's (Proxmox VE never shrinks a disk), ``disks[N]
    .storage`` when no storage can be told for a new disk.
    """
    result = DiskPlan()
    listed = set()
    config, stale = current_sizes(config, pending)
    fallback = default_storage(params, config, boot)
    for item in wanted:
        slot, option = item["slot"], item["option"]
        listed.add(slot)
        if slot == boot:
            raise InputError("%s.slot: %s is the boot disk of server %r; disks manages data disks only (grow the boot "
                             "disk with disk_size)" % (option, slot, params.get("name")), option=option + ".slot")
        value = config.get(slot)
        if value is None:
            storage = item["storage"] or fallback
            if not storage:
                raise InputError("%s.storage: server %r has no storage to put %s on; give storage"
                                 % (option, params.get("name"), slot), option=option + ".storage")
            api = allocation(storage, item["size"], _merged_options({}, item["options"]))
            result.add[slot] = api
            result.before[slot] = None
            options = sorted(_merged_options({}, item["options"]).items())
            result.after[slot] = "new empty %s disk on %s%s" % (format_size(item["size"]), storage,
                                                                "".join(",%s=%s" % kv for kv in options))
            continue
        drive = _drive(value)
        if drive is None or drive["media"] != "disk":
            raise InputError("%s.slot: %s of server %r holds a CD-ROM or cloud-init drive (%s), not a data disk; pick "
                             "a free slot" % (option, slot, params.get("name"), value), option=option + ".slot")
        if drive["size"] is None:
            raise InputError("%s.slot: the config of server %r shows no size for %s (%s)"
                             % (option, params.get("name"), slot, value), option=option + ".slot")
        target = disk_utils.target_size(drive["size"], size=item["size"], option=option + ".size")
        if target != drive["size"]:
            result.grow.append((slot, drive["size"], target, item))
        if item["storage"] and drive["storage"] and item["storage"] != drive["storage"]:
            result.warnings.append("%s.storage: %s of server %r is on %s, not %s; jotun_server does not move disks "
                                   "(move it with the Proxmox VE disk move action)"
                                   % (option, slot, params.get("name"), drive["storage"], item["storage"]))
        merged = _merged_options(drive["options"], item["options"])
        if merged != drive["options"] or slot in stale:
            result.update[slot] = _join(drive["volume"], merged, _raw_size(value))
        if target != drive["size"] or merged != drive["options"]:
            result.before[slot] = _show(value)
            result.after[slot] = _join(drive["volume"], merged, format_size(target))
        elif slot in stale:     # the pending value's size is brought to the disk's
            result.before[slot] = _show(pending[slot]["pending"])
            result.after[slot] = _join(drive["volume"], merged, format_size(target))
    if params.get("remove_unlisted_disks"):
        for slot in data_disks(config, boot):
            if slot in listed:
                continue
            drive = _drive(config[slot])
            result.detach.append((slot, drive["volume"], drive["size"]))
            result.before[slot] = _show(config[slot])
            result.after[slot] = "%s: detached and its volume %s deleted" % (LOST, drive["volume"])
            result.warnings.append("%s: remove_unlisted_disks deletes data disk %s of server %r (volume %s, %s): its "
                                   "data is lost" % (slot, slot, params.get("name"), drive["volume"],
                                                     format_size(drive["size"]) if drive["size"] else "size unknown"))
        for key, volid in unused_volumes(config):
            result.unused.append((key, volid))
            result.before[key] = volid
            result.after[key] = "%s: volume deleted" % LOST
            result.warnings.append("%s: remove_unlisted_disks deletes the detached volume %s of server %r: its data "
                                   "is lost" % (key, volid, params.get("name")))
    return result


def predicted(config, disk_plan):
    """The config as it reads after ``disk_plan`` (check mode): sizes grown, disks added (volume names unknown yet),
    removed keys gone."""
    config = dict(config)
    for slot, value in disk_plan.add.items():
        config[slot] = value
    for slot, value in disk_plan.update.items():
        config[slot] = value
    for slot, before, target, dummy in disk_plan.grow:
        drive = _drive(config[slot])
        config[slot] = _join(drive["volume"], drive["options"], format_size(target))
    for slot, dummy, dummy2 in disk_plan.detach:
        config.pop(slot, None)
    for key, dummy in disk_plan.unused:
        config.pop(key, None)
    return config


# --- checks that read the cluster (before any write) ------------------------------------------------------------

def check_storages(client, wanted, params, config, boot, node, deadline=None):
    """Every storage a new data disk would go to exists, is enabled, takes ``images`` and is on ``node`` (when
    known); InputError naming ``disks[N].storage`` (or ``storage`` when it came from there). Reads ``GET /storage``.
    A disk that exists already is not checked: it is never moved."""
    fallback = default_storage(params, config or {}, boot)
    for item in wanted:
        if config is not None and item["slot"] in config:
            continue
        storage = item["storage"] or fallback
        if not storage:
            continue
        option = item["option"] + ".storage" if item["storage"] else (
            "storage" if params.get("storage") else item["option"] + ".storage")
        placement.check_storage_content(client, storage, "images", node=node, option=option, deadline=deadline)


def preflight(run):
    """jotun_server's checks of ``disks`` against an existing server (run.preflight; reads only): the whole plan is
    made, so a refused slot, a smaller size or a missing storage fails before anything is written."""
    wanted = run.extras.get("disks")
    if wanted is None or run.guest is None:
        if wanted:
            check_media_slot({}, wanted, run.params)
            check_storages(run.client, wanted, run.params, None, None, run.params.get("node"),
                           deadline=run.deadline)
        return
    if run.guest.get("lock") in ("clone", "create"):
        return
    # a rebuild recreates the data disks as they are (server/carry.py): the old config tells what disks asks of them
    config = run.config if run.config is not None else run.read_config()
    boot = disk_utils.boot_disk(config, option="disks")
    disk_plan = plan(config, wanted, run.params, boot, run.pending)
    check_media_slot(config, wanted, run.params)
    check_storages(run.client, wanted, run.params, config, boot, run.guest["node"], deadline=run.deadline)
    _check_removable(config, disk_plan, run.params)
    _check_growable(run, disk_plan)


def check_media_slot(config, wanted, params):
    """A new data disk must not take the drive the run puts an ISO into (``state: rescued`` or ``iso``): the
    server's CD-ROM drive, else ``ide3`` (server/rescue.py cdrom_drive) - the disk would be allocated, and the run
    then fail. InputError naming ``disks[N].slot``, before any write. ``config``: the server's ({} for a new one)."""
    if params.get("state") != "rescued" and params.get("iso") is None:
        return
    mark = rescue.read_mark(config.get("description"))
    try:
        drive = mark["drive"] if mark else rescue.cdrom_drive(config)
    except InputError:
        return      # ide3 already holds a disk: the rescue/iso step names that itself
    for item in wanted:
        if item["slot"] == drive and config.get(drive) is None:
            raise InputError("%s.slot: %s is the drive %s puts its ISO into (the server has no other CD-ROM drive); "
                             "pick another slot" % (item["option"], drive, "state=rescued" if params.get("state") ==
                                                    "rescued" else "iso"), option=item["option"] + ".slot")


def _check_growable(run, disk_plan):
    """A disk added to a running server that waits for its next start (pending) cannot be resized yet: Proxmox VE's
    resize reads the current config only (qemu-server resize_vm: "disk 'sata1' does not exist"). InputError naming
    ``disks[N].size``, before any write."""
    for slot, dummy, target, item in disk_plan.grow:
        entry = (run.pending or {}).get(slot) or {}
        if entry.get("pending") is not None and entry.get("value") is None:
            raise InputError("%s.size: %s of server %r was added while it runs and waits for its next start; grow it "
                             "to %s after that (restart it, or apply_pending: reboot)"
                             % (item["option"], slot, run.params.get("name"), format_size(target)),
                             option=item["option"] + ".size")


def _check_removable(config, disk_plan, params):
    """Proxmox VE refuses to delete a drive or an unused volume of a protected guest (AbstractConfig
    check_protection: "can't remove drive 'scsi1' - protection mode enabled"), and a volume a snapshot still uses
    ("volume is still in use (snapshot?)"): refused here before anything is written."""
    if not (disk_plan.detach or disk_plan.unused):
        return
    names = [slot for slot, dummy, dummy2 in disk_plan.detach] + [key for key, dummy in disk_plan.unused]
    if qc.parse_bool(config.get("protection") or 0):
        raise InputError("remove_unlisted_disks: server %r is protected (protection: 1); Proxmox VE refuses to remove "
                         "%s; take the protection off first" % (params.get("name"), ", ".join(names)),
                         option="remove_unlisted_disks")
    if config.get("parent"):
        raise InputError("remove_unlisted_disks: server %r has snapshots (current: %s), which may still hold %s; "
                         "Proxmox VE does not delete a volume a snapshot uses; delete the snapshots first"
                         % (params.get("name"), config["parent"], ", ".join(names)), option="remove_unlisted_disks")


# --- writes -----------------------------------------------------------------------------------------------------

def _hotplug_disk(config):
    value = str(config.get("hotplug") if config.get("hotplug") is not None else DEFAULT_HOTPLUG)
    if value in ("1",):
        return True
    return "disk" in [item.strip() for item in value.split(",")]


def ensure(run):
    """Converge the data disks of ``run``'s guest (jotun_server ``disks``), after its config step.

    Writes, each only when needed, in this order: one ``PUT .../config`` adding the new disks and changing options;
    ``PUT .../resize`` per disk to grow (disks.resize, never sent twice after an unknown outcome); with
    ``remove_unlisted_disks``, ``PUT .../config delete=<slots>`` (detached: the volumes become ``unusedN``) and
    ``PUT .../config delete=<unusedN>`` (the volumes are deleted). Each config write carries the digest and is
    re-planned from a fresh read after a lost answer or a stale digest. Raises InputError / ProxmoxError;
    StepStarted (errors.py) when ``wait: false`` leaves a resize running.
    """
    wanted = run.extras.get("disks")
    if wanted is None or run.guest is None:
        return
    if run.config is None or (run.changed and not run.check_mode):
        run.read_config()       # after a write, run.config is the prediction (spec.apply_plan), not volumes and sizes
    boot = disk_utils.boot_disk(run.config, option="disks")
    disk_plan = plan(run.config, wanted, run.params, boot, run.pending)
    for text in disk_plan.warnings:
        run.warn(text)
    if not disk_plan:
        return
    if disk_plan.add:
        check_storages(run.client, wanted, run.params, run.config, boot, run.guest["node"], deadline=run.deadline)
    _check_removable(run.config, disk_plan, run.params)
    _check_growable(run, disk_plan)
    was_changed = run.changed
    run.changed = True
    for key in sorted(disk_plan.after):
        run.diff.add(key, disk_plan.before.get(key), disk_plan.after[key])
    if run.check_mode:
        run.config = predicted(run.config, disk_plan)
        return
    run.step = "disks"
    written = []
    try:
        _write(run, wanted, boot, lambda p: dict(p.add, **p.update), written)
        grown = plan(run.config, wanted, run.params, boot, run.pending).grow
        for slot, dummy, target, item in grown:
            _grow(run, slot, target, item, written)
        if grown and run.pending:       # an option change pending since the first write still has the old size
            _write(run, wanted, boot, lambda p: dict(p.update), written)
        if run.params.get("remove_unlisted_disks"):
            _write(run, wanted, boot, lambda p: {"delete": ",".join(s for s, d, d2 in p.detach)} if p.detach else {},
                   written)
            _write(run, wanted, boot, lambda p: {"delete": ",".join(k for k, d in p.unused)} if p.unused else {},
                   written)
            _warn_pending_detach(run)
    except (ProxmoxError, InputError) as err:
        if not written and getattr(err, "kind", None) != UNKNOWN:
            run.changed = was_changed       # refused before anything was written
        raise _explain(err, disk_plan)
    run.pending = None      # read again by the power step: a change may wait for the next start


def _explain(err, disk_plan):
    """Name ``disks`` when a storage has no room for a new disk (pve-storage's "no space left", "not enough space",
    ...); disks.resize names the option itself for a growth."""
    if disk_plan.add and isinstance(err, ProxmoxError) and _NO_ROOM_RE.search(err.message or ""):
        err.message = "disks: no room for %s: %s" % (", ".join(sorted(disk_plan.add)), err.message)
        err.args = (err.message,)
    return err


def _write(run, wanted, boot, data_of, written):
    """Send ``data_of(plan)`` as a config write until the plan made from the config read back asks nothing of it.
    A lost answer (596, timeout) or a stale digest: read and re-plan (a disk that exists now is never allocated
    again); a lock: wait for it under the deadline. At most WRITE_ATTEMPTS writes."""
    for attempt in range(WRITE_ATTEMPTS):
        data = data_of(plan(run.config, wanted, run.params, boot, run.pending))
        if not data:
            return
        if run.config.get("lock"):
            run.wait_unlocked()
            data = data_of(plan(run.config, wanted, run.params, boot, run.pending))
            if not data:
                return
        try:
            guests.update_config(run.client, run.guest["node"], run.guest["vmid"],
                                 dict(data, digest=run.config.get("digest")), deadline=run.deadline)
            written.append(True)
        except ProxmoxError as err:
            if err.kind == UNKNOWN:
                written.append(True)        # it may have landed
            recoverable = guests.is_locked_failure(err) or err.kind == UNKNOWN or guests.is_digest_mismatch(err)
            if not recoverable or attempt == WRITE_ATTEMPTS - 1:
                raise
        run.read_config()


def _grow(run, slot, target, item, written):
    outcome = disk_utils.resize(run.client, run.guest["node"], run.guest["vmid"], slot, size=target, wait=run.wait,
                                deadline=run.deadline, option=item["option"] + ".size",
                                disk_option=item["option"] + ".slot")
    written.append(True)
    run.tasks.extend(outcome.get("tasks") or [])
    if outcome.get("status") == "in_progress":
        raise StepStarted("resize")
    run.read_config()


def _warn_pending_detach(run):
    """A detach Proxmox VE could not do on the running guest (no disk hotplug, or a sata/ide disk) waits for the next
    start: the volume is still attached and is deleted by a run after that restart."""
    if run.guest.get("status") != "running":
        return
    pending = guests.read_pending(run.client, run.guest["node"], run.guest["vmid"], deadline=run.deadline)
    waiting = sorted(key for key, entry in pending.items() if entry.get("delete") and SLOT_RE.match(key))
    if waiting:
        run.warn("%s: detaching waits for the next start of server %r (Proxmox VE cannot unplug %s while it runs%s); "
                 "the volume is deleted by the first run with remove_unlisted_disks after that"
                 % (", ".join(waiting), run.params.get("name"), "it" if len(waiting) == 1 else "them",
                    "" if _hotplug_disk(run.config) else ": its hotplug has no disk"))
