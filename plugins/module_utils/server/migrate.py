# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Moving an existing server to the node named in ``node`` (jotun_server with ``allow_migrate: true``).

Follows qemu-server: ``GET /nodes/{node}/qemu/{vmid}/migrate?target=`` (migrate_vm_precondition: running,
local_disks, local_resources, not_allowed_nodes) is read first, then what the target must offer is checked before
any write: the node exists and is online, every storage the server's local disks are on (or ``migrate_storage``) is
there with content ``images`` and room for them, the storages of its other volumes are there too, and a running
server's memory fits the node's free memory. Then ``POST .../migrate`` (migrate_vm; QemuMigrate.pm): offline for a
stopped server, ``online`` for a running one, ``with-local-disks`` when a running server has local disks (a stopped
server's local volumes are always copied), ``targetstorage`` from ``migrate_storage``. The task (``qmigrate``) sets
``lock: migrate``; when it ends the config is on the target node.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import list_nodes, locate
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.reconcile import start_task_once
from ansible_collections.jotunheim.proxmox.plugins.module_utils.sizes import format_size

MIB = 1024 * 1024


def argument_spec():
    """jotun_server's options for moving a server (added to server.spec.argument_spec by the module)."""
    return {"allow_migrate": {"type": "bool", "default": False}, "migrate_storage": {"type": "str"}}


def _storage(volid):
    return str(volid).split(":", 1)[0] if ":" in str(volid) else None


def plan_migration(client, guest, target, migrate_storage=None, start_after=False, deadline=None):
    """What moving ``guest`` ({vmid, node, status, name}) to ``target`` takes, checked against the target; nothing
    is written. Returns {"data": the POST body, "local_disks": [volid], "bytes": local disk bytes to copy,
    "online": bool}. Raises InputError naming ``node`` (or ``migrate_storage``) when the target cannot take it.

    Reads: /nodes, GET .../migrate?target=, GET /nodes/{target}/storage, the server's config (memory)."""
    nodes = dict((n["node"], n) for n in list_nodes(client, deadline=deadline))
    if target not in nodes:
        raise InputError("node: %r is not a node of this cluster (nodes: %s)" % (target, ", ".join(sorted(nodes))),
                         option="node")
    if nodes[target].get("status") not in (None, "online"):
        raise InputError("node: %s is %s; a server can only move to an online node" % (target, nodes[target]["status"]),
                         option="node")
    base = guests.qemu_path(guest["node"], guest["vmid"])
    pre = client.get(base + "/migrate", params={"target": target}, deadline=deadline) or {}
    running = bool(pre.get("running"))
    what = "server %r (vmid %s)" % (guest.get("name"), guest["vmid"])
    if pre.get("local_resources"):
        raise InputError("node: %s uses local devices (%s) and cannot move to another node"
                         % (what, ", ".join(str(r) for r in pre["local_resources"])), option="node")
    blocked = (pre.get("not_allowed_nodes") or {}).get(target) or {}
    local = [d for d in pre.get("local_disks") or [] if d.get("volid") and not _is_iso(d)]
    listed = client.get(api_path("nodes", target, "storage"), params={"enabled": 1}, deadline=deadline) or []
    storages = dict((s.get("storage"), s) for s in listed)
    needed = {}
    for disk in local:
        sid = migrate_storage or _storage(disk["volid"])
        needed[sid] = needed.get(sid, 0) + int(disk.get("size") or 0)
    option = "migrate_storage" if migrate_storage else "node"
    for sid, size in sorted(needed.items()):
        info = storages.get(sid)
        if info is None or not info.get("active", 1):
            raise InputError("%s: storage %r, where %s keeps its local disks, is not available on %s; set "
                             "migrate_storage to one of %s's storages for images (%s)"
                             % (option, sid, what, target, target, ", ".join(sorted(
                                 s for s, i in storages.items() if "images" in str(i.get("content", "")))) or "none"),
                             option=option)
        if "images" not in str(info.get("content", "")).split(","):
            raise InputError("%s: storage %r on %s does not take disk images" % (option, sid, target), option=option)
        if info.get("avail") is not None and int(info["avail"]) < size:
            raise InputError("%s: storage %r on %s has %s free; %s needs %s for its disks"
                             % (option, sid, target, format_size(int(info["avail"])), what, format_size(size)),
                             option=option)
    for sid in blocked.get("unavailable_storages") or []:
        if sid not in needed and not (migrate_storage and sid in [_storage(d["volid"]) for d in local]):
            raise InputError("node: storage %r that %s uses is not available on %s" % (sid, what, target),
                             option="node")
    if running or start_after:
        config = guests.read_config(client, guest["node"], guest["vmid"], deadline=deadline)
        memory = _memory_mib(config.get("memory")) * MIB
        free = int(nodes[target].get("maxmem") or 0) - int(nodes[target].get("mem") or 0)
        if nodes[target].get("maxmem") is not None and memory > free:
            raise InputError("node: %s has %s of memory free; %s needs %s to run there"
                             % (target, format_size(max(free, 0)), what, format_size(memory)), option="node")
    data = {"target": target}
    if running:
        data["online"] = True
        if any(not d.get("cdrom") and not d.get("is_unused") for d in local):
            data["with-local-disks"] = True
    if migrate_storage:
        data["targetstorage"] = migrate_storage
    return {"data": data, "local_disks": sorted(d["volid"] for d in local), "online": running,
            "bytes": sum(needed.values())}


def _is_iso(disk):
    return ":iso/" in str(disk.get("volid"))


def _memory_mib(value):
    text = str(value if value is not None else 512).split(",", 1)[0].replace("current=", "")
    return int(text) if text.isdigit() else 512


def ensure_node(run):
    """The hook ServerRun calls for an existing server: move it when ``node`` names another node.

    Idempotent (on its node: nothing, no request); without ``allow_migrate`` InputError naming ``node`` and
    ``allow_migrate``; a migration left running by an earlier run (lock ``migrate``) is waited for. Updates
    run.guest["node"], run.changed, the diff and run.tasks; with wait false ends the run (StepStarted)."""
    params = run.params
    target = params.get("node")
    guest = run.guest
    if guest is None:
        return
    if guest.get("lock") == "migrate":         # an earlier run's migration (wait: false): its end decides the node
        upids = guests.running_tasks(run.client, guest["node"], vmid=guest["vmid"], typefilter="qmigrate",
                                     deadline=run.deadline)
        run.start_step("migrate", upids)
        guest["node"] = locate(run.client, guest["vmid"], deadline=run.deadline) or guest["node"]
        guest["lock"] = None
        run.config = None
    if not target or target == guest["node"]:
        return
    if not params.get("allow_migrate"):
        raise InputError("node: server %r is on %s, not %s; set allow_migrate: true to move it there (or leave node "
                         "out: it is only used to place a new server)" % (guest.get("name"), guest["node"], target),
                         option="node")
    if guest.get("lock"):
        run.wait_unlocked()
    plan = plan_migration(run.client, guest, target, migrate_storage=params.get("migrate_storage"),
                          start_after=params.get("state") in ("started", "restarted"), deadline=run.deadline)
    run.changed = True
    run.diff.add("node", guest["node"], target)
    if run.check_mode:
        return
    source = guest["node"]
    path = guests.qemu_path(source, guest["vmid"], "migrate")
    run.step = "migrate"
    upid = start_task_once(run.client, path, source, "qmigrate", guest["vmid"], data=plan["data"],
                           deadline=run.deadline)
    run.start_step("migrate", [upid])
    guest["node"] = target
    run.config = None
    run.pending = None
