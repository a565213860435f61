# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore a vzdump archive into a QEMU guest (a new id or over an existing guest), checking everything first.

Order: the archive exists and holds a QEMU guest (extractconfig) -> the target is decided and allowed (force,
force_stop) -> only then is anything changed (stop, then POST /nodes/{node}/qemu with archive).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils import backup_archives as archives
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup_tasks import SETTLE, wait_tasks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import find_guest
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.reconcile import start_task_once
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import started_task

_LXC_KEYS = re.compile(r"^(rootfs|arch|mp\d+|lxc\.[\w.]+|unprivileged|hostname):", re.MULTILINE)
_QEMU_KEYS = re.compile(r"^(boot|bootdisk|smbios1|vmgenid|scsihw|machine|sockets|bios|kvm|vga|agent|numa|efidisk0|"
                        r"tpmstate0|(scsi|virtio|ide|sata)\d+):", re.MULTILINE)
_NAME = re.compile(r"^name:\s*(\S+)", re.MULTILINE)


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
    return archive


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


def restore_backup(client, params, deadline, check_mode=False):
    """state=restored. Returns the module result: changed, vmid, node, volid, archive, stopped, tasks."""
    archive = check_archive(client, params["volid"], deadline=deadline)
    vmid, existing = restore_target(client, params, archive)
    node = restore_node(params, archive, existing)
    must_stop = check_overwrite(params, vmid, existing)
    result = {"changed": True, "vmid": vmid, "node": node, "volid": archive["volid"], "archive": archive,
              "overwritten": existing is not None, "stopped": must_stop, "tasks": []}
    if check_mode:
        return result
    tasks = stop_guest(client, node, vmid, deadline) if must_stop else []
    upid = start_restore(client, node, vmid, restore_request(vmid, archive["volid"], params), deadline)
    if params.get("wait", True):
        tasks += wait_tasks(client, [upid], deadline)
    else:
        tasks.append(started_task(upid))
    result["tasks"] = tasks
    return result
