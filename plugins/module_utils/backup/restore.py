# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore a vzdump archive into a QEMU guest (a new id or over an existing guest), checking everything first.

Order: the archive exists and holds a QEMU guest (extractconfig) -> the target is decided -> a target that already
carries this archive's restore mark is left alone (changed: false; safe to retry) -> the overwrite is allowed
(force, force_stop) and the target storages have room -> only then is anything changed: stop, a safety backup of
the server being replaced (unless backup_before: false), POST /nodes/{node}/qemu with archive, and the restore mark
written into the restored guest's description.

Why the safety backup: real PVE (qemu-server QemuServer.pm restore_vma_archive) replaces the old config by a stub
(`memory: 128`) and frees the old disks *before* it extracts; a restore task that then fails leaves that stub
("VM N state is NOT cleaned up") - the old server is gone.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import archives
from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.create import (
    archive_made_by, run_vzdump, vzdump_request)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.tasks import SETTLE, wait_tasks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import find_guest
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import RETRYABLE, InputError, ProxmoxError, TaskFailed
from ansible_collections.jotunheim.proxmox.plugins.module_utils.sizes import format_size, parse_size
from ansible_collections.jotunheim.proxmox.plugins.module_utils.reconcile import start_task_once
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import started_task

_LXC_KEYS = re.compile(r"^(rootfs|arch|mp\d+|lxc\.[\w.]+|unprivileged|hostname):", re.MULTILINE)
_QEMU_KEYS = re.compile(r"^(boot|bootdisk|smbios1|vmgenid|scsihw|machine|sockets|bios|kvm|vga|agent|numa|efidisk0|"
                        r"tpmstate0|(scsi|virtio|ide|sata)\d+):", re.MULTILINE)
_NAME = re.compile(r"^name:\s*(\S+)", re.MULTILINE)
_DISK_KEY = re.compile(r"^((?:ide|sata|scsi|virtio)\d+|efidisk0|tpmstate0)$")
_MAP = re.compile(r"^#qmdump#map:([^:]+):[^:]*:([^:]*):", re.MULTILINE)


def config_guest_type(text):
    """The guest type a vzdump config (extractconfig's text) describes: "qemu", "lxc" or None when unclear."""
    body = (text or "").split("\n[", 1)[0]  # ignore snapshot sections
    if _LXC_KEYS.search(body):
        return "lxc"
    if _QEMU_KEYS.search(body):
        return "qemu"
    return None


def check_archive(client, volid, deadline=None):
    """The archive (dict) when it exists and holds a QEMU guest; InputError naming volid otherwise."""
    parsed = archives.parse_volid(volid)
    if parsed["type"] in ("lxc", "openvz"):
        raise InputError("volid: %s is a container backup; jotun_backup restores QEMU guests only" % volid, option="volid")
    archive = archives.find_archive(client, volid, deadline=deadline)
    if archive is None:
        raise InputError("volid: archive %s does not exist on any node" % volid, option="volid")
    try:
        config = client.get(api_path("nodes", archive["node"], "vzdump", "extractconfig"),
                            params={"volume": archive["volid"]}, deadline=deadline)
    except ProxmoxError as err:
        raise InputError("volid: cannot read the guest configuration inside %s: %s" % (volid, err.message), option="volid")
    kind = config_guest_type(config if isinstance(config, str) else "")
    if kind != "qemu":
        raise InputError("volid: %s does not hold a QEMU guest configuration (found: %s)" % (volid, kind or "nothing usable"),
                         option="volid")
    match = _NAME.search(config)
    archive = dict(archive, guest_name=match.group(1) if match else None)
    archive_configs[archive["volid"]] = config
    return archive


# extractconfig's text of the archives check_archive read (kept out of the archive dict the module returns)
archive_configs = {}


def _drives(config):
    """{key: (volume, options)} of the disks in a config (dict from the API, or the archive's text); no CD-ROMs."""
    if isinstance(config, dict):
        items = config.items()
    else:
        body = (config or "").split("\n[", 1)[0]
        items = [line.split(": ", 1) for line in body.splitlines() if ": " in line and not line.startswith("#")]
    out = {}
    for key, value in items:
        if not _DISK_KEY.match(key):
            continue
        parts = str(value).split(",")
        opts = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if opts.get("media") == "cdrom" or parts[0] in ("none", "cdrom") or "cloudinit" in parts[0]:
            continue
        out[key] = (parts[0], opts)
    return out


def restore_needs(archive_config, storage=None):
    """Bytes the archive's disks take per target storage: {storage: bytes}.

    The target of a disk is `storage` when given, else the storage its #qmdump#map line names, else its volume's.
    """
    maps = dict(_MAP.findall(archive_config or ""))
    needs = {}
    for key, (volume, opts) in _drives(archive_config).items():
        target = storage or maps.get(key) or volume.split(":", 1)[0]
        size = parse_size(opts["size"]) if opts.get("size") else 0
        needs[target] = needs.get(target, 0) + size
    return needs


def freed_by_restore(current_config, archive_config, vmid):
    """Bytes per storage PVE frees before extracting: the guest's own disks on the drive keys the archive restores."""
    restored = set(_drives(archive_config))
    freed = {}
    for key, (volume, opts) in _drives(current_config).items():
        name = volume.split(":", 1)[-1].split("/")[-1]
        if key not in restored or not re.match(r"^(vm|base)-%d-" % int(vmid), name):
            continue
        target = volume.split(":", 1)[0]
        freed[target] = freed.get(target, 0) + (parse_size(opts["size"]) if opts.get("size") else 0)
    return freed


def check_room(client, node, needs, freed, deadline=None):
    """InputError naming `storage` when a target storage on `node` lacks room for the restored disks."""
    for storage, needed in sorted(needs.items()):
        try:
            status = client.get(api_path("nodes", node, "storage", storage, "status"), deadline=deadline) or {}
        except ProxmoxError as err:
            raise InputError("storage: cannot read storage %s on node %s to check it has room for the restore: %s"
                             % (storage, node, err.message), option="storage")
        avail = int(status.get("avail") or 0) + freed.get(storage, 0)
        if avail < needed:
            message = ("storage: %s on node %s has %s free (counting the disks the restore replaces); the archive's "
                       "disks need %s - nothing was changed" % (storage, node, format_size(avail), format_size(needed)))
            raise InputError(message, option="storage")


def restore_mark(description):
    """The volid the guest's description says was restored into it last, or None."""
    return qc.split_restore_mark(description)[1]


def restore_target(client, params, archive):
    """(vmid, existing guest dict or None) for the restore: vmid, else name of an existing guest, else the archive's own id."""
    if params.get("vmid") is not None:
        return int(params["vmid"]), find_guest(client, vmid=int(params["vmid"]), current=True)
    if params.get("name"):
        guest = find_guest(client, name=params["name"], current=True)
        if guest is None:
            raise InputError("name: no guest is named %r; give vmid to restore into a new server" % params["name"],
                             option="name")
        return int(guest["vmid"]), guest
    if archive.get("vmid") is None:
        raise InputError("vmid: the archive's name carries no guest id; give vmid", option="vmid")
    return int(archive["vmid"]), find_guest(client, vmid=int(archive["vmid"]), current=True)


def restore_node(params, archive, existing):
    """The node the restore runs on: the existing guest's, else `node`, else the archive's; it must see the archive."""
    node = existing["node"] if existing else (params.get("node") or archive["node"])
    if existing and params.get("node") and params["node"] != existing["node"]:
        raise InputError("node: VM %s lives on %s, not on %s" % (existing["vmid"], existing["node"], params["node"]),
                         option="node")
    if node != archive["node"] and not archive["shared"]:
        raise InputError("volid: %s lies on storage %s of node %s, which %s cannot read; restore on %s"
                         % (archive["volid"], archive["storage"], archive["node"], node, archive["node"]), option="volid")
    return node


def check_overwrite(params, vmid, existing):
    """Refuse to touch an existing guest unless force (and force_stop when it runs). Returns True when it must stop."""
    if existing is None:
        return False
    label = "VM %s%s" % (vmid, " (%s)" % existing["name"] if existing.get("name") else "")
    if not params.get("force"):
        raise InputError("force: %s exists; restoring over it replaces its disks and config - set force: true to do that"
                         % label, option="force")
    if existing.get("lock"):
        raise ProxmoxError("%s is locked (%s); not restoring over it" % (label, existing["lock"]), kind=ProxmoxError.RETRYABLE)
    if existing.get("status") == "running":
        if not params.get("force_stop"):
            raise InputError("force_stop: %s is running; set force_stop: true to stop it (hard) before the restore" % label,
                             option="force_stop")
        return True
    return False


def stop_guest(client, node, vmid, deadline):
    """Hard stop before an overwrite; always waited for, since the restore needs the guest stopped."""
    upid = client.post(api_path("nodes", node, "qemu", vmid, "status", "stop"), data={}, deadline=deadline)
    return wait_tasks(client, [upid], deadline)


def restore_request(vmid, volid, params):
    data = {"vmid": vmid, "archive": volid}
    if params.get("storage"):
        data["storage"] = params["storage"]
    for flag in ("force", "unique", "start"):
        if params.get(flag):
            data[flag] = True
    return data


def start_restore(client, node, vmid, data, deadline):
    """POST the restore once; after an unknown outcome the qmrestore task is looked up, never sent again."""
    return start_task_once(client, api_path("nodes", node, "qemu"), node, "qmrestore", vmid, data=data,
                           deadline=deadline, settle=SETTLE)


def safety_backup(client, node, vmid, archive, params, deadline):
    """vzdump of the server about to be replaced, onto the storage of the archive being restored.

    Returns (archive dict of the new backup, tasks). The storage must be readable from `node` (restore_node made sure).
    """
    storage = archive["storage"]
    entry = archives.storage_on_node(client, node, storage, deadline=deadline)
    before = archives.list_storage_archives(client, node, storage, vmid=vmid, guest_type="qemu",
                                            shared=entry["shared"], deadline=deadline)
    data = vzdump_request(vmid, storage, "stop" if params.get("force_stop") else "snapshot", "zstd",
                          notes="safety backup before restoring %s" % archive["volid"])
    tasks = run_vzdump(client, node, vmid, data, deadline)
    new = archive_made_by(client, node, storage, vmid, entry, before, tasks[-1], deadline=deadline)[0]
    if new is None:
        raise TaskFailed("the safety backup of VM %s (task %s) ended OK but no new archive of it is on %s; not "
                         "restoring over it" % (vmid, tasks[-1]["upid"], storage), tasks=tasks)
    return new, tasks


def _explain_failed_restore(client, node, vmid, err, safety, deadline, existing=True):
    """A failed restore: say what is left of VM vmid and which archive brings it back, in the message and as the
    failure's result keys ``vmid``, ``node``, ``safety_backup`` (volid or None) and ``left`` ({"exists", "stub",
    "disks" (drive keys), "config" (secrets masked)})."""
    try:
        left = guests.read_config_or_none(client, node, vmid, deadline=None)
    except ProxmoxError:
        left = False                            # could not be read: unknown
    disks = _drives(left) if left else {}
    stub = left is not None and left is not False and (qc.is_restore_leftover(left) or not disks)
    if left is None:
        state = "VM %s is gone" % vmid
    elif stub:
        why = ": PVE replaced its config and freed its old disks before extracting the archive" if existing else ""
        state = "VM %s is left as an empty stub without disks%s" % (vmid, why)
    else:
        state = "VM %s may be left incomplete (PVE frees the old disks before extracting)" % vmid
    if safety:
        back = "restore the safety backup %s (state: restored, force: true, backup_before: false) to bring it back" \
            % safety["volid"]
    elif existing:
        back = "no safety backup was made (backup_before: false)"
    else:
        back = "nothing was there before; run the restore again to replace the stub"
    err.message = "%s; %s; %s" % (err.message, state, back)
    err.args = (err.message,)
    shown = dict((k, v) for k, v in qc.mask_config(left).items() if k != "digest") if left else None
    err.extra.update({"vmid": vmid, "node": node, "safety_backup": safety["volid"] if safety else None,
                      "left": {"exists": left is not None and left is not False, "stub": stub,
                               "disks": sorted(disks), "config": shown}})
    return err


def _with_changes(err, done):
    """A restore that failed after it changed something says so: the failure's result gets ``changed: true`` and
    ``changes`` (what was done, in order); with nothing done it stays ``changed: false``."""
    if done:
        err.extra.update({"changed": True, "changes": list(done)})
    return err


def restore_backup(client, params, deadline, check_mode=False):
    """state=restored. Returns the module result: changed, vmid, node, volid, archive, overwritten, stopped,
    safety_backup (volid or None), already_restored, replaced_leftover, tasks.

    A guest whose description carries this archive's restore mark (written after a restore succeeded) is left
    alone: changed false, whatever force says. What a failed restore left (empty config or the `memory: 128` stub)
    is replaced without force and without a safety backup. Errors: InputError (options, room), TaskFailed (a stop, the safety
    backup or the restore task failed; for the restore the message says what is left and what brings it back, and the
    failure's result carries ``safety_backup`` and ``left``, see _explain_failed_restore).
    """
    archive = check_archive(client, params["volid"], deadline=deadline)
    vmid, existing = restore_target(client, params, archive)
    node = restore_node(params, archive, existing)
    current = guests.read_config(client, node, vmid, deadline=deadline) if existing else None
    result = {"changed": True, "vmid": vmid, "node": node, "volid": archive["volid"], "archive": archive,
              "overwritten": existing is not None, "stopped": False, "safety_backup": None,
              "already_restored": False, "replaced_leftover": False, "tasks": []}
    if existing and restore_mark(current.get("description")) == archive["volid"]:
        result.update(changed=False, overwritten=False, already_restored=True)
        return result
    if existing:
        running = guests.running_tasks(client, node, vmid=vmid, typefilter="qmrestore", deadline=deadline)
        if running:
            # a restore of this vmid is under way (its stub is written unlocked): neither a server to replace nor
            # a leftover of a failed restore
            raise ProxmoxError("vmid %s is being restored right now (task %s); run again once it has ended"
                               % (vmid, running[0]), kind=RETRYABLE)
    leftover = bool(existing) and qc.is_restore_leftover(current)
    # the leftover of a failed restore holds nothing: replacing it needs no force (it is sent all the same)
    must_stop = check_overwrite(dict(params, force=True) if leftover else params, vmid, existing)
    if existing and str(current.get("protection", 0)).lower() in ("1", "true"):
        raise InputError("force: VM %s is protected (protection: 1); Proxmox VE refuses to restore over it - remove "
                         "the protection first" % vmid, option="force")
    result.update(stopped=must_stop, replaced_leftover=leftover)
    if existing and not leftover:
        config_text = archive_configs.get(archive["volid"], "")
        check_room(client, node, restore_needs(config_text, params.get("storage")),
                   freed_by_restore(current, config_text, vmid), deadline=deadline)
    if check_mode:
        if existing and not leftover and params.get("backup_before", True):
            result["safety_backup"] = "(made before the restore)"
        return result
    done = []           # what this run changed before a failure, for the failure's result (changed, changes)
    try:
        tasks = stop_guest(client, node, vmid, deadline) if must_stop else []
        if must_stop:
            done.append("stopped VM %s" % vmid)
        safety = None
        if existing and not leftover and params.get("backup_before", True):
            safety, backup_tasks = safety_backup(client, node, vmid, archive, params, deadline)
            tasks += backup_tasks
            result["safety_backup"] = safety["volid"]
            done.append("made the safety backup %s" % safety["volid"])
        upid = start_restore(client, node, vmid, restore_request(vmid, archive["volid"], dict(params, force=True)
                                                                 if leftover else params), deadline)
    except ProxmoxError as err:
        raise _with_changes(err, done)
    if not params.get("wait", True):
        result["tasks"] = tasks + [started_task(upid)]
        return result
    try:
        tasks += wait_tasks(client, [upid], deadline)
    except TaskFailed as err:
        done.append("ran the restore task %s, which failed" % upid)
        raise _with_changes(_explain_failed_restore(client, node, vmid, err, safety, deadline,
                                                    existing=bool(existing)), done)
    result["tasks"] = tasks
    restored = guests.read_config(client, node, vmid, deadline=deadline)
    client.put(api_path("nodes", node, "qemu", vmid, "config"),
               data={"description": qc.with_restore_mark(restored.get("description"), archive["volid"])},
               deadline=deadline)
    return result
