# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a rebuild (jotun_server ``state: rebuilt``) carries over from the old guest to the new clone.

A rebuild gives the server fresh disks from the template and keeps everything else. ``capture()`` reads the old
guest's config (pending values applied, as ``GET /nodes/{node}/qemu/{vmid}/config`` returns it) before anything is
deleted; ``reapply()`` compares the new clone's config with it and returns the raw values to write back in one
``PUT .../config`` (the run's own options still win over them); ``boot_size()`` gives the size the new boot disk is
grown to. Pure functions: no API calls.

The rules (docs/server.md "Rebuild"):

- carried as they were: every config key not listed below - name, description (without a restore mark), tags,
  cores, sockets, memory, balloon, cpu and its limits, onboot, protection, agent, every ``netN`` (model, MAC,
  bridge, VLAN tag, rate, firewall, mtu, ...), cloud-init settings (``ciuser``, ``sshkeys``, ``ipconfigN``,
  ``nameserver``, ``searchdomain``, ``citype``, ``cicustom``, ...), ``smbios1`` (the system UUID), ``startup``,
  ``hookscript``, ... - plus vmid, node and pool (build.py keeps those).
- the boot disk: the template's disk (fresh contents) with the old disk's options (``discard``, ``iothread``,
  IO limits, ``backup``, ...), grown to the old size, or to a larger ``disk_size``; never smaller.
- extra disks (every other disk key): recreated EMPTY at the same key, storage, size and options. Their contents are
  disk contents: a rebuild erases them like the boot disk (back up first; the rebuild role does).
- CD-ROM drives and a cloud-init drive the template lacks: carried (the drive, not any contents).
- from the template, by nature (``NEW_KEYS``, never warned about): ``digest``, ``vmgenid`` (a new generation id, as
  for a restored disk), ``meta`` (the clone's creation time), the volumes' names.
- from the template, because the new disk's system needs them (``TEMPLATE_KEYS``): ``bios``, ``machine``,
  ``ostype``, ``scsihw``, ``boot``, ``bootdisk``, ``efidisk0``, ``tpmstate0``; a differing old value is named in
  the run's ``warnings``.
- the guest's own firewall (options, IP sets, rules) is not a config key: server/firewall.py ``capture()`` reads it
  before the destroy (which deletes it) and ``ensure()`` writes it back to the new clone.
- lost, named in ``warnings`` when the old guest had them: ``cipassword`` (Proxmox VE never shows it back; pass
  ``cipassword`` to the rebuild), ``unusedN`` volumes and snapshots (Proxmox VE deletes them with the guest), the
  options of a boot disk on another key than the template's.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import math
import zlib

from ansible_collections.jotunheim.proxmox.plugins.module_utils import disks
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import FINAL, InputError, ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.sizes import format_size

GIB = 1024 ** 3
# always the new guest's own, never compared
NEW_KEYS = frozenset(["digest", "vmgenid", "meta", "lock", "template", "parent", "pending"])
# the template's: the system on the new boot disk needs them; a differing old value is warned about
TEMPLATE_KEYS = ("bios", "machine", "ostype", "scsihw", "boot", "bootdisk", "efidisk0", "tpmstate0")
# what a test may find different between the config before and after a rebuild (besides the disks' volumes and
# the boot disk's size grown by disk_size): tests/integration/test_server_rebuild.py checks exactly this
DOCUMENTED_DIFFERENCES = ("digest", "vmgenid", "meta", "cipassword")


def _drive(value):
    try:
        return disks.parse_drive(value)
    except (ValueError, InputError):
        return None


def _is_cloudinit(value):
    return "cloudinit" in str(value).split(",", 1)[0]


def capture(config):
    """What a rebuild keeps of the old guest ``config`` (dict from the API, pending applied).

    Returns a dict: ``settings`` (key -> raw value carried as it is), ``boot`` (old boot disk key or None),
    ``boot_size`` (bytes or None), ``boot_storage`` (its storage: the new clone's disks go there),
    ``boot_options`` (its drive options, size excluded), ``extra`` (key -> {"storage", "size" (bytes), "options"}),
    ``drives`` (CD-ROM / cloud-init drive key -> raw value), ``template_keys`` (key -> old raw value), ``protected``
    (bool), ``lost`` (warning texts known before the
    rebuild).
    """
    config = dict(config or {})
    boot = None
    try:
        boot = disks.boot_disk(config, option="disk_size")
    except InputError:
        boot = None     # a guest without disks (a failed restore's stub): nothing to size from
    carried = {"settings": {}, "boot": boot, "boot_size": None, "boot_storage": None, "boot_options": {},
               "extra": {}, "drives": {},
               "template_keys": {}, "protected": qc.parse_bool(config.get("protection") or 0), "lost": []}
    for key in sorted(config):
        value = config[key]
        if key in NEW_KEYS:
            continue
        if key in TEMPLATE_KEYS:
            carried["template_keys"][key] = value
            continue
        if key.startswith("unused") and key[len("unused"):].isdigit():
            carried["lost"].append("%s: the unused volume %s is deleted with the old server" % (key, value))
            continue
        if key == "cipassword":
            if value:
                carried["lost"].append("cipassword: Proxmox VE never shows the old password back, so it cannot be "
                                       "carried over; the rebuilt server has the template's (give cipassword)")
            continue
        if key == "description":
            text = qc.split_restore_mark(value)[0]
            if text:
                carried["settings"][key] = text
            continue
        if disks.is_disk_key(key) and key not in ("efidisk0", "tpmstate0"):
            drive = _drive(value)
            if drive is None or drive["media"] == "cdrom":
                carried["drives"][key] = value
            elif key == boot:
                carried["boot_size"] = drive["size"]
                carried["boot_storage"] = drive["storage"]
                carried["boot_options"] = dict(drive["options"])
            else:
                carried["extra"][key] = {"storage": drive["storage"], "size": drive["size"] or GIB,
                                         "options": dict(drive["options"])}
            continue
        carried["settings"][key] = value
    if config.get("parent"):
        carried["lost"].append("snapshots: the old server's snapshots (current: %s) are deleted with it"
                               % config["parent"])
    return carried


def boot_size(carried, requested=None):
    """Bytes the new boot disk must have: the old boot disk's size, or ``requested`` when that is larger."""
    sizes = [s for s in (carried.get("boot_size"), requested) if s]
    return max(sizes) if sizes else None


def allocation(storage, size, options):
    """A drive value that makes Proxmox VE allocate a new, empty volume: ``<storage>:<GiB>`` plus the options.

    qemu-server's ``$NEW_DISK_RE`` (QemuServer/Drive.pm: ``^(([^/:\\s]+):)?(\\d+(\\.\\d+)?)$``) takes the size in
    GiB, fractions allowed; it is rounded up to the millionth GiB (about 1 KiB) so that the disk is never smaller."""
    if size % GIB == 0:
        amount = str(size // GIB)
    else:
        amount = ("%.6f" % (math.ceil(size * 1e6 / GIB) / 1e6)).rstrip("0").rstrip(".")
    return _join("%s:%s" % (storage, amount), options)


def _with_options(value, options):
    """The drive ``value`` (its volume and size) with ``options`` instead of its own."""
    drive = _drive(value)
    options = dict(options)
    if drive["size"] is not None:
        options["size"] = format_size(drive["size"])
    return _join(drive["volume"], options)


def _join(volume, options):
    """``volume,key=value,...`` (options sorted), as Proxmox VE writes drive strings."""
    return ",".join([volume] + ["%s=%s" % (key, options[key]) for key in sorted(options)])


def reapply(carried, config):
    """What to write into the new clone's ``config`` to give back what ``carried`` holds.

    Returns (values, warnings): ``values`` maps config keys to raw API values (only those that differ; a disk key
    the clone already has is never allocated again, so a re-plan after an unknown outcome sends nothing twice);
    ``warnings`` names what differs from the old server and why.
    """
    values, warnings = {}, list(carried.get("lost") or [])
    for key, value in carried["settings"].items():
        if config.get(key) is None or qc.normalise(key, config.get(key)) != qc.normalise(key, value):
            values[key] = value
    new_boot = None
    try:
        new_boot = disks.boot_disk(config, option="disk_size")
    except InputError:
        new_boot = None
    if carried.get("boot") and new_boot and carried["boot"] != new_boot:
        warnings.append("boot disk: the template boots from %s, the old server from %s; %s's options (%s) were not "
                        "carried over" % (new_boot, carried["boot"], carried["boot"],
                                          _options_text(carried["boot_options"]) or "none"))
    elif new_boot and carried.get("boot"):
        drive = _drive(config[new_boot])
        if drive is not None and drive["options"] != carried["boot_options"]:
            values[new_boot] = _with_options(config[new_boot], carried["boot_options"])
    for key, disk in sorted(carried["extra"].items()):
        if key in config:
            if _drive(config[key]) and _drive(config[key])["media"] == "disk":
                continue                            # recreated already (a re-plan after an unknown outcome)
            warnings.append("%s: the template uses %s for %s; the old server's %s disk on %s was not recreated"
                            % (key, key, config[key], format_size(disk["size"]), disk["storage"]))
            continue
        values[key] = allocation(disk["storage"], disk["size"], disk["options"])
    has_cloudinit = qc.cloudinit_drive(config) is not None
    for key, value in sorted(carried["drives"].items()):
        if _is_cloudinit(value) and has_cloudinit:
            continue                                # the template brought its own cloud-init drive
        if key in config:
            if str(config[key]) != str(value) and not _is_cloudinit(value):
                warnings.append("%s: the template's drive %s stays; the old server had %s there" % (key, config[key], value))
            continue
        if _is_cloudinit(value):
            values[key] = "%s:cloudinit" % _drive(value)["storage"]
        else:
            values[key] = value
    for key, value in sorted(carried["template_keys"].items()):
        if key in ("boot", "bootdisk", "efidisk0", "tpmstate0"):
            same = _same_device(key, config.get(key), value)
        else:
            same = str(config.get(key)) == str(value)
        if not same:
            warnings.append("%s: the template's %s replaces the old server's %s" % (key, config.get(key), value))
    return values, warnings


def _same_device(key, new, old):
    if key in ("efidisk0", "tpmstate0"):
        if new is None or old is None:
            return new is None and old is None
        new_drive, old_drive = _drive(new), _drive(old)
        return bool(new_drive and old_drive) and new_drive["options"] == old_drive["options"]
    return str(new) == str(old)


def _options_text(options):
    return ",".join("%s=%s" % item for item in sorted(options.items()))


def is_satisfied(key, config, value):
    """True when ``config`` already gives back the carried ``value`` of ``key`` (used by ServerRun.plan): a disk
    key holding a disk, a cloud-init drive, or an equal normalised value."""
    have = config.get(key)
    if have is None:
        return False
    if disks.is_disk_key(key):
        drive, wanted = _drive(have), _drive(value)
        if drive is None or wanted is None:
            return str(have) == str(value)
        if _is_cloudinit(value):
            return _is_cloudinit(have)
        if drive["media"] == "cdrom" or wanted["media"] == "cdrom":
            return str(have) == str(value)
        if ":" in (wanted["volume"] or "") and wanted["volume"].split(":", 1)[1].replace(".", "").isdigit():
            return True                                     # an allocation: the disk exists now
        return drive["options"] == wanted["options"]
    return qc.normalise(key, have) == qc.normalise(key, value)


# --- the record a rebuild keeps in its name reservation ----------------------------------------------------------------

RECORD_MARK = "jotun-carry-v1:"
RECORD_VERSION = 1
# qemu-server's description property: maxLength 8 KiB (PVE/QemuServer.pm $confdesc, the same on 7.4, 8.x and 9.x)
DESCRIPTION_MAX = 8 * 1024


def pack(header, record):
    """The reservation's ``description``: ``header`` (text for a human), a line ``RECORD_MARK`` and ``record`` (a
    JSON-able dict: what a rebuild carries, see Builder.record) as zlib-compressed base64 lines of 76 characters.

    Raises ProxmoxError (final; raised before any write) when it does not fit in the 8 KiB Proxmox VE allows a
    description (a very long description or firewall of the old server)."""
    data = base64.b64encode(zlib.compress(json.dumps(dict(record, v=RECORD_VERSION), sort_keys=True,
                                                     separators=(",", ":")).encode("utf-8"), 9)).decode("ascii")
    lines = [data[i:i + 76] for i in range(0, len(data), 76)]
    text = "%s\n%s\n%s" % (header, RECORD_MARK, "\n".join(lines))
    if len(text) > DESCRIPTION_MAX:
        raise ProxmoxError("the settings the rebuild must keep take %d characters, more than the %d Proxmox VE allows "
                           "in the description of the name reservation that keeps them until the new clone has them; "
                           "nothing was changed - shorten the server's description (or firewall) and run again"
                           % (len(text), DESCRIPTION_MAX), kind=FINAL)
    return text


def unpack(description):
    """The record ``pack()`` put in ``description`` (a dict), or None when there is none or it cannot be read."""
    text = str(description or "")
    if RECORD_MARK not in text:
        return None
    data = "".join(text.split(RECORD_MARK, 1)[1].split())
    try:
        record = json.loads(zlib.decompress(base64.b64decode(data)).decode("utf-8"))
    except (ValueError, TypeError, zlib.error):
        return None
    if not isinstance(record, dict) or record.get("v") != RECORD_VERSION or "vmid" not in record:
        return None
    if record.get("carried") is not None and not isinstance(record["carried"], dict):
        return None
    return record
