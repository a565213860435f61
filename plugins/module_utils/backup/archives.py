# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backup archives: parse volume ids, list archives on every node's backup storages, find one, change its
notes/protection, delete it. No module logic here; shared code raises typed errors."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import time

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import list_nodes
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.reconcile import find_started_task, write_started

# vzdump-qemu-101-2026_11_26-05_33_08.vma.zst (file storages)
_VZDUMP_NAME = re.compile(
    r"^vzdump-(?P<type>qemu|lxc|openvz)-(?P<vmid>\d+)-"
    r"(?P<Y>\d{4})_(?P<m>\d\d)_(?P<d>\d\d)-(?P<H>\d\d)_(?P<M>\d\d)_(?P<S>\d\d)"
    r"\.(?P<ext>vma|tar|tgz)(?:\.(?:gz|lzo|zst))?$")
# vm/101/2026-11-26T05:33:08Z (Proxmox Backup Server)
_PBS_NAME = re.compile(r"^(?P<type>vm|ct)/(?P<vmid>\d+)/(?P<Y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)T(?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)Z$")
_STORAGE_ID = re.compile(r"^[a-z][a-z0-9\-_.]*[a-z0-9]$", re.IGNORECASE)
_GUEST_TYPES = {"qemu": "qemu", "vm": "qemu", "lxc": "lxc", "ct": "lxc", "openvz": "openvz"}


def iso_time(epoch):
    """Seconds since the epoch -> ISO 8601 in UTC ("2026-11-26T05:33:08Z"); None stays None."""
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def parse_volid(volid, option="volid"):
    """"local:backup/vzdump-qemu-101-2026_11_26-05_33_08.vma.zst" -> {storage, name, type, vmid, standard}.

    type is qemu, lxc, openvz or None (a name outside the vzdump scheme: `standard` False, vmid None).
    InputError naming `option` when the text is not a storage volume id of backup content.
    """
    text = (volid or "").strip()
    storage, sep, rest = text.partition(":")
    if not sep or not _STORAGE_ID.match(storage) or not rest:
        raise InputError("%s: %r is not a backup volume id such as 'local:backup/vzdump-qemu-100-2026_01_31-22_00_00.vma.zst'"
                         % (option, volid), option=option)
    name = rest[len("backup/"):] if rest.startswith("backup/") else rest
    match = _VZDUMP_NAME.match(name) or _PBS_NAME.match(name)
    info = {"volid": text, "storage": storage, "name": name, "type": None, "vmid": None, "standard": False}
    if match:
        info.update(type=_GUEST_TYPES[match.group("type")], vmid=int(match.group("vmid")), standard=True)
    elif not rest.startswith("backup/"):
        raise InputError("%s: %r is not a backup volume id (expected '<storage>:backup/<file>')" % (option, volid),
                         option=option)
    return info


def _to_bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def normalise_archive(entry, node, storage, shared=False):
    """A storage content entry (GET .../content) -> the archive dict the modules return."""
    volid = entry["volid"]
    parsed = parse_volid(volid)
    vmid = entry.get("vmid", parsed["vmid"])
    ctime = entry.get("ctime")
    return {
        "volid": volid,
        "vmid": int(vmid) if vmid is not None else None,
        "type": entry.get("subtype") or parsed["type"],
        "node": node,
        "storage": storage,
        "shared": bool(shared),
        "ctime": int(ctime) if ctime is not None else None,
        "ctime_iso": iso_time(ctime),
        "size": int(entry["size"]) if entry.get("size") is not None else None,
        "format": entry.get("format"),
        "notes": entry.get("notes") or "",
        "protected": _to_bool(entry.get("protected", False)),
        "standard": parsed["standard"],
    }


def newest_first(archives):
    return sorted(archives, key=lambda a: (a["ctime"] or 0, a["volid"]), reverse=True)


def online_nodes(client, deadline=None):
    """Names of the nodes that answer, sorted; and the names of those that do not."""
    online, offline = [], []
    for node in list_nodes(client, deadline=deadline):
        (online if node.get("status", "online") == "online" else offline).append(node["node"])
    return sorted(online), sorted(offline)


def backup_storages(client, node, deadline=None):
    """The enabled storages of `node` that hold backups: [{storage, type, shared, active}]."""
    storages = client.get(api_path("nodes", node, "storage"), params={"content": "backup", "enabled": 1}, deadline=deadline)
    result = []
    for entry in storages or []:
        content = (entry.get("content") or "backup").split(",")
        if "backup" not in content:
            continue
        if "active" in entry and not _to_bool(entry["active"]):
            continue
        result.append({"storage": entry["storage"], "type": entry.get("type"), "shared": _to_bool(entry.get("shared", 0))})
    return sorted(result, key=lambda s: s["storage"])


def storage_on_node(client, node, storage, deadline=None):
    """The backup storage `storage` as `node` sees it; InputError naming `storage` when it cannot hold backups there."""
    for entry in backup_storages(client, node, deadline=deadline):
        if entry["storage"] == storage:
            return entry
    raise InputError("storage: %r is not an active storage for backups on node %s" % (storage, node), option="storage")


def list_storage_archives(client, node, storage, vmid=None, guest_type=None, shared=False, deadline=None):
    """Archives on one storage of one node (optionally of one guest and one guest type), newest first."""
    params = {"content": "backup"}
    if vmid is not None:
        params["vmid"] = int(vmid)
    entries = client.get(api_path("nodes", node, "storage", storage, "content"), params=params, deadline=deadline)
    archives = []
    for entry in entries or []:
        if entry.get("content", "backup") != "backup" or not entry.get("volid"):
            continue
        archive = normalise_archive(entry, node, storage, shared=shared)
        if vmid is not None and archive["vmid"] != int(vmid):
            continue
        if guest_type and archive["type"] not in (guest_type, None):
            continue
        archives.append(archive)
    return newest_first(archives)


def list_archives(client, vmid=None, node=None, storage=None, guest_type=None, deadline=None):
    """Archives across the cluster (every online node, every backup storage), filtered, newest first.

    An archive on a shared storage is listed once, under the first node (by name) that sees it.
    Returns (archives, offline_nodes).
    """
    online, offline = online_nodes(client, deadline=deadline)
    if node is not None:
        if node not in online:
            raise InputError("node: %r is not an online node of this cluster (online: %s)" % (node, ", ".join(online)),
                             option="node")
        online = [node]
    seen = {}
    for node_name in online:
        for entry in backup_storages(client, node_name, deadline=deadline):
            if storage is not None and entry["storage"] != storage:
                continue
            for archive in list_storage_archives(client, node_name, entry["storage"], vmid=vmid, guest_type=guest_type,
                                                 shared=entry["shared"], deadline=deadline):
                # a shared storage shows the same archive on every node; node-local ones are distinct
                seen.setdefault(archive["volid"] if entry["shared"] else (node_name, archive["volid"]), archive)
    return newest_first(seen.values()), offline


def find_archive(client, volid, prefer_node=None, deadline=None):
    """The archive with this volume id, looked up on the nodes whose storages hold it; None when it is gone.

    Raises ProxmoxError when it was not found but a node that could hold it is offline (the answer is unknown).
    """
    parsed = parse_volid(volid)
    online, offline = online_nodes(client, deadline=deadline)
    order = sorted(online, key=lambda n: (n != prefer_node, n))
    for node in order:
        storages = dict((s["storage"], s) for s in backup_storages(client, node, deadline=deadline))
        entry = storages.get(parsed["storage"])
        if entry is None:
            continue
        for archive in list_storage_archives(client, node, entry["storage"], vmid=parsed["vmid"],
                                             shared=entry["shared"], deadline=deadline):
            if archive["volid"] == parsed["volid"]:
                return archive
        if entry["shared"]:
            return None
    if offline:
        raise ProxmoxError("archive %s was not found on the online nodes, and node(s) %s are offline: cannot tell "
                           "whether it exists" % (volid, ", ".join(offline)))
    return None


def archive_attributes(client, archive, deadline=None):
    """Full notes (the content list shows only their first line) and protection of one archive."""
    attrs = client.get(api_path("nodes", archive["node"], "storage", archive["storage"], "content", archive["volid"]),
                       deadline=deadline) or {}
    return {"notes": attrs.get("notes") or "", "protected": _to_bool(attrs.get("protected", archive["protected"]))}


def set_attributes(client, archive, changes, deadline=None):
    """PUT notes and/or protected on an archive (a synchronous call)."""
    data = {}
    if "notes" in changes:
        data["notes"] = changes["notes"]
    if "protected" in changes:
        data["protected"] = bool(changes["protected"])
    client.put(api_path("nodes", archive["node"], "storage", archive["storage"], "content", archive["volid"]),
               data=data, deadline=deadline)


def still_listed(client, archive, deadline=None):
    """True when the archive is still in its storage's content list."""
    listed = list_storage_archives(client, archive["node"], archive["storage"], vmid=archive["vmid"], deadline=deadline)
    return any(a["volid"] == archive["volid"] for a in listed)


def delete_task_id(archive):
    """The id of the ``imgdel`` task that deletes ``archive``: ``<vmid>@<storage>``, or ``<storage>`` for an archive
    of no guest (pve-storage API2/Storage/Content.pm delete)."""
    return ("%s@" % archive["vmid"] if archive.get("vmid") is not None else "") + archive["storage"]


def delete_archive(client, archive, deadline=None, settle=5.0):
    """DELETE one archive; returns the imgdel UPID, or None when it went synchronously (or is gone already).

    When the answer is lost (596, dropped connection), the write is not sent again: the node's task list is read
    for the ``imgdel`` task it started (its UPID is returned, for the caller to wait for), then the storage's
    content list: gone means done (None); still listed with no delete task is an error of kind unknown.
    """
    path = api_path("nodes", archive["node"], "storage", archive["storage"], "content", archive["volid"])
    since = write_started(client)
    try:
        upid = client.delete(path, deadline=deadline)
    except ProxmoxError as err:
        if err.kind != ProxmoxError.UNKNOWN:
            raise
        upid = find_started_task(client, archive["node"], "imgdel", since, deadline=deadline, settle=settle,
                                 task_id=delete_task_id(archive))
        if upid:
            return upid
        if not still_listed(client, archive, deadline=deadline):
            return None
        raise ProxmoxError("deleting %s got no answer (%s), no delete task for it appeared on %s and the archive is "
                           "still listed; not sending it again - run again to retry"
                           % (archive["volid"], err.message, archive["node"]),
                           kind=ProxmoxError.UNKNOWN, method="DELETE", path=path)
    return upid or None
