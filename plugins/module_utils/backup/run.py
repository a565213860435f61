# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The jotun_backup and jotun_backup_info entry points: check the options, pick the flow for the state, and the two
small flows that live here (change an archive's notes/protection; delete an archive).

The other flows: create (vzdump + rotation), restore, archives (listing), retention, in this package.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import archives
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import create
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.create import ensure_backup
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.orphans import existing_vmids, mark_orphans
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.orphans import prune_orphans
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.restore import restore_backup
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.retention import KEEP_OPTIONS
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.tasks import wait_tasks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import started_task
from ansible_collections.jotunheim.proxmox.plugins.module_utils import validate as checks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import find_guest
from ansible_collections.jotunheim.proxmox.plugins.module_utils.placement import check_storage_content
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError

# options that only make sense when a new backup is made
_NEW_BACKUP_OPTIONS = ("vmid", "name", "max_age") + KEEP_OPTIONS
ATTRIBUTES = ("notes", "protected")


def public(archive):
    """An archive dict as the modules return it."""
    if archive is None:
        return None
    return dict((k, v) for k, v in archive.items() if k != "standard")


def _public_result(result):
    result = dict(result)
    result["archive"] = public(result.get("archive"))
    return result


def _guest(client, params, purpose):
    if params.get("vmid") is None and not params.get("name"):
        raise InputError("vmid: give vmid or name of the server %s" % purpose, option="vmid")
    guest = find_guest(client, vmid=params.get("vmid"), name=params.get("name"))
    if guest is None:
        what = "vmid %s" % params["vmid"] if params.get("vmid") is not None else "name %r" % params["name"]
        raise InputError("%s: no guest with %s in this cluster" % ("vmid" if params.get("vmid") is not None else "name", what),
                         option="vmid" if params.get("vmid") is not None else "name")
    if guest.get("type", "qemu") != "qemu":
        raise InputError("vmid: guest %s is a container; jotun_backup handles QEMU servers" % guest["vmid"], option="vmid")
    checks.check_guest_match(guest, params.get("vmid"), params.get("name"))
    return guest


def check_params(params):
    """The options of jotun_backup / jotun_backup_info that need no cluster: ranges and plain values."""
    checks.check_vmid(params.get("vmid"))
    if params.get("name") is not None:
        checks.check_plain(params["name"], "name", "a server name")
    if params.get("volid") is not None:
        _check_volid(params["volid"])
    if params.get("storage") is not None:
        checks.check_storage(params["storage"])
    if params.get("node") is not None:
        checks.check_node(params["node"])
    notes = params.get("notes")
    if notes and not params.get("volid"):
        # a new backup's notes go to vzdump as notes-template: one line, escaped, at most 1024 characters
        # (pve-guest-common PVE/VZDump/Common.pm); an archive's notes (with volid) have no limit
        length = len(create.escape_notes(notes))
        if length > create.NOTES_TEMPLATE_MAX:
            raise InputError("notes: %d characters as vzdump's notes-template (newlines and backslashes count twice), "
                             "Proxmox VE takes at most %d" % (length, create.NOTES_TEMPLATE_MAX), option="notes")


def _check_volid(volid):
    if not volid or volid != volid.strip() or any(c.isspace() or c in ",;=" for c in volid):
        raise InputError("volid: %r is not a volume id (storage:backup/vzdump-qemu-...)" % (volid,), option="volid")


def check_cluster(client, params, deadline):
    """References jotun_backup's restore makes to the cluster: the node exists, the storage takes disk images."""
    if params.get("state") != "restored":
        return
    if params.get("node"):
        checks.check_nodes_exist(client, [params["node"]], deadline=deadline)
    if params.get("storage"):
        check_storage_content(client, params["storage"], "images", node=params.get("node"), deadline=deadline)


def _notes(value):
    return (value or "").rstrip("\n")


def ensure_attributes(client, params, deadline, check_mode=False):
    """state=present with volid: the archive's notes and protection as given. Returns result with diff."""
    for option in _NEW_BACKUP_OPTIONS:
        if params.get(option) not in (None, "", 0):
            raise InputError("%s: not used with volid in state present (volid selects an existing archive whose notes "
                             "and protection are set)" % option, option=option)
    archive = archives.find_archive(client, params["volid"], deadline=deadline)
    if archive is None:
        raise InputError("volid: archive %s does not exist on any node" % params["volid"], option="volid")
    current = archives.archive_attributes(client, archive, deadline=deadline)
    wanted = {}
    if params.get("notes") is not None:
        wanted["notes"] = _notes(params["notes"])
    if params.get("protected") is not None:
        wanted["protected"] = bool(params["protected"])
    before = {"notes": _notes(current["notes"]), "protected": current["protected"]}
    changes = dict((k, v) for k, v in wanted.items() if before[k] != v)
    after = dict(before, **changes)
    if changes and not check_mode:
        archives.set_attributes(client, archive, changes, deadline=deadline)
    archive = dict(archive, notes=after["notes"], protected=after["protected"])
    return {"changed": bool(changes), "volid": archive["volid"], "vmid": archive["vmid"], "node": archive["node"],
            "storage": archive["storage"], "size": archive["size"], "ctime": archive["ctime"],
            "ctime_iso": archive["ctime_iso"], "archive": archive, "tasks": [], "pruned": [],
            "diff": {"before": before, "after": after}}


def ensure_absent(client, params, deadline, check_mode=False):
    """state=absent: the archive is gone. A protected one only goes with unprotect: true."""
    volid = params["volid"]
    archives.parse_volid(volid)
    archive = archives.find_archive(client, volid, deadline=deadline)
    result = {"changed": False, "volid": volid, "archive": None, "tasks": [], "pruned": []}
    if archive is None:
        return result
    result["archive"] = archive
    if archive["protected"] and not params.get("unprotect"):
        raise InputError("unprotect: archive %s is protected; set unprotect: true to remove its protection and delete it"
                         % volid, option="unprotect")
    result.update(changed=True, diff={"before": {"volid": volid, "protected": archive["protected"]}, "after": {}})
    if check_mode:
        return result
    if archive["protected"]:
        archives.set_attributes(client, archive, {"protected": False}, deadline=deadline)
    try:
        upid = archives.delete_archive(client, archive, deadline=deadline)
        if upid:
            result["tasks"] = wait_tasks(client, [upid], deadline) if params.get("wait", True) else [started_task(upid)]
    except ProxmoxError:
        if archive["protected"]:
            _reprotect(client, archive, deadline)
        raise
    return result


def _reprotect(client, archive, deadline):
    """Best effort: a delete that failed leaves the archive protected as it was (if it is still there)."""
    try:
        if archives.still_listed(client, archive, deadline=deadline):
            archives.set_attributes(client, archive, {"protected": True}, deadline=deadline)
    except ProxmoxError:
        pass


def run_backup(module):
    """jotun_backup: the result dict for module.run()."""
    params = module.params
    check_params(params)
    client = module.client
    deadline = module.deadline()
    state = params.get("state") or "present"
    check_cluster(client, params, deadline)
    if state == "restored":
        result = restore_backup(client, params, deadline, check_mode=module.check_mode)
    elif state == "absent":
        result = ensure_absent(client, params, deadline, check_mode=module.check_mode)
    elif state == "pruned_orphans":
        result = prune_orphans(client, params, deadline, check_mode=module.check_mode)
        result.update(orphans=[public(a) for a in result["pruned"]], kept=[public(a) for a in result["kept"]],
                      pruned=[a["volid"] for a in result["pruned"]])
    elif params.get("volid"):
        result = ensure_attributes(client, params, deadline, check_mode=module.check_mode)
    else:
        guest = _guest(client, params, "to back up (or volid of an archive to change)")
        if not params.get("storage"):
            raise InputError("storage: name the storage the backup goes to (one with content 'backup')", option="storage")
        result = ensure_backup(client, guest, params, deadline, check_mode=module.check_mode)
    if not getattr(module, "_diff", False):
        result.pop("diff", None)
    return _public_result(result)


def run_backup_info(module):
    """jotun_backup_info: archives by server (vmid/name), node and/or storage, newest first."""
    params = module.params
    client = module.client
    deadline = module.deadline() if hasattr(module, "deadline") else None
    check_params(params)
    if params.get("node") is not None:
        checks.check_nodes_exist(client, [params["node"]], deadline=deadline)
    if params.get("storage") is not None:
        check_storage_content(client, params["storage"], "backup", node=params.get("node"), deadline=deadline)
    vmid = params.get("vmid")
    if params.get("name"):
        guest = find_guest(client, name=params["name"])
        if guest is None:
            raise InputError("name: no guest is named %r (archives of a deleted server are listed by vmid)" % params["name"],
                             option="name")
        if vmid is not None and int(vmid) != int(guest["vmid"]):
            raise InputError("name: %r is VM %s, not vmid %s" % (params["name"], guest["vmid"], vmid), option="name")
        vmid = int(guest["vmid"])
    found, offline = archives.list_archives(client, vmid=vmid, node=params.get("node"), storage=params.get("storage"),
                                            deadline=deadline)
    found = mark_orphans(found, existing_vmids(client, deadline=deadline)) if found else found
    if params.get("orphan") is not None:
        found = [a for a in found if a["orphan"] == params["orphan"]]
    return {"changed": False, "archives": [public(a) for a in found], "offline_nodes": offline}
