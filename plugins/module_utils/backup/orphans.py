# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Orphaned backups: archives whose guest no longer exists, and deleting the old ones.

An archive is an orphan when no guest (QEMU or container) with its vmid is in ``/cluster/resources`` now (the
vmlist pmxcfs keeps, current cluster-wide). An archive whose name does not tell its vmid is never an orphan.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import archives
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.create import parse_max_age
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.tasks import wait_tasks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import started_task

# options of jotun_backup that select or make one archive: not used with state pruned_orphans
_NOT_WITH_PRUNE = ("vmid", "name", "volid", "notes", "protected", "max_age", "keep_last", "keep_hourly", "keep_daily",
                   "keep_weekly", "keep_monthly", "keep_yearly")


def existing_vmids(client, deadline=None):
    """The vmids of every guest of the cluster now (set of int)."""
    entries = client.get("/cluster/resources", params={"type": "vm"}, deadline=deadline) or []
    return set(int(e["vmid"]) for e in entries if e.get("vmid") is not None)


def mark_orphans(found, vmids):
    """The archive dicts with ``orphan`` (bool) added: True when their vmid is known and not in ``vmids``."""
    return [dict(a, orphan=a.get("vmid") is not None and int(a["vmid"]) not in vmids) for a in found]


def select_prunable(found, older_than, now):
    """(to delete, kept) among orphan-marked archives: orphans created more than ``older_than`` seconds before
    ``now`` and not protected go; kept lists the other orphans with ``reason`` ("protected" or "young")."""
    delete, kept = [], []
    for archive in found:
        if not archive.get("orphan"):
            continue
        if archive.get("protected"):
            kept.append(dict(archive, reason="protected"))
        elif archive.get("ctime") is None or archive["ctime"] > now - older_than:
            kept.append(dict(archive, reason="young"))
        else:
            delete.append(archive)
    return delete, kept


def prune_orphans(client, params, deadline, check_mode=False):
    """jotun_backup state=pruned_orphans: delete orphaned archives older than ``older_than`` (never protected ones)
    on every node, or on ``node``/``storage``. Returns {changed, pruned: [archive], kept: [archive + reason], tasks,
    offline_nodes}; in check mode ``pruned`` lists what would go and nothing is deleted. InputError naming the option
    for a missing/invalid older_than or an option that selects one archive."""
    for option in _NOT_WITH_PRUNE:
        if params.get(option) not in (None, "", 0):
            raise InputError("%s: not used with state pruned_orphans (it prunes the archives of every guest that no "
                             "longer exists; narrow it with node or storage)" % option, option=option)
    if params.get("older_than") in (None, ""):
        raise InputError("older_than: required with state pruned_orphans, an age such as 30d", option="older_than")
    older_than = parse_max_age(params["older_than"], option="older_than")
    found, offline = archives.list_archives(client, node=params.get("node"), storage=params.get("storage"),
                                            deadline=deadline)
    marked = mark_orphans(found, existing_vmids(client, deadline=deadline))
    delete, kept = select_prunable(marked, older_than, client.server_time())
    result = {"changed": bool(delete), "pruned": delete, "kept": kept, "tasks": [], "offline_nodes": offline,
              "archive": None}
    if check_mode or not delete:
        return result
    upids = [upid for upid in (archives.delete_archive(client, a, deadline=deadline) for a in delete) if upid]
    if upids:
        result["tasks"] = wait_tasks(client, upids, deadline) if params.get("wait", True) else \
            [started_task(upid) for upid in upids]
    return result
