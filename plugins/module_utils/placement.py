# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where a new server can be cloned: the nodes a template reaches, as Proxmox VE decides it.

qemu-server's clone (``POST /nodes/{node}/qemu/{vmid}/clone``, API2/Qemu.pm ``clone_vm``) runs on the template's
node. With ``target`` set to another node it refuses, before anything starts, when any volume of the template (a
disk, the cloud-init drive, an ISO in a CD-ROM drive) is on storage that is not shared: "can't clone VM to node 'X'
(VM uses local storage)", full clones included. A target storage (``storage``) for a clone to another node must be
shared and available there: "can't clone to non-shared storage 'X'". Whether a storage is shared, and on which nodes
it is available, is storage.cfg (``GET /storage``: ``shared``, ``nodes``, ``disable``; pve-storage Storage.pm
``storage_check_enabled``).

So: a template on per-node storage builds only on its own node; one on shared storage builds on every node that
storage is available on. Operators keep templates either way - one on shared storage, or a copy of the same name on
each node - and :func:`place` picks the template and node that work.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.disks import is_disk_key, parse_drive
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.qemu_config import parse_bool


def storage_index(entries):
    """``GET /storage`` entries -> {storage: {"shared": bool, "nodes": [names] or None (all), "enabled": bool}}."""
    index = {}
    for entry in entries or []:
        nodes = entry.get("nodes")
        if isinstance(nodes, (list, tuple)):
            nodes = [str(n) for n in nodes]
        elif nodes:
            nodes = [n.strip() for n in str(nodes).split(",") if n.strip()]
        index[entry.get("storage")] = {
            "shared": bool(parse_bool(entry.get("shared") or 0)),
            "nodes": sorted(nodes) if nodes else None,
            "enabled": not parse_bool(entry.get("disable") or 0),
        }
    return index


def bridge_names(entries):
    """``GET /nodes/{node}/network?type=any_bridge`` entries -> the set of bridge names (Linux and OVS bridges, and
    from 8.x the SDN vnets the caller may use; pve-manager API2/Network.pm hides bridges a user may not use)."""
    return set(str(e.get("iface")) for e in entries or [] if e.get("iface"))


def node_bridges(client, node, deadline=None):
    """The bridge names of ``node``: ``GET /nodes/{node}/network?type=any_bridge`` through bridge_names."""
    return bridge_names(client.get(api_path("nodes", node, "network"), params={"type": "any_bridge"},
                                   deadline=deadline))


def template_storages(config):
    """The storages of every volume a clone reads: disks, the cloud-init drive and ISO images in CD-ROM drives
    (drives ``none``/``cdrom`` have none). Volumes that are not ``storage:name`` (a passed-through path) count as
    local: they are listed as ``""``."""
    storages = set()
    for key in sorted(config or {}):
        if not is_disk_key(key):
            continue
        try:
            drive = parse_drive(config[key])
        except ValueError:
            continue
        volume = drive.get("volume") or ""
        if volume in ("", "none", "cdrom"):
            continue
        storages.add(drive.get("storage") or "")
    return sorted(storages)


def _available(index, storage, node):
    info = index.get(storage)
    return bool(info and info["enabled"] and (info["nodes"] is None or node in info["nodes"]))


def reachable_nodes(template, config, index, node_names, target_storage=None):
    """The nodes (sorted) a clone of ``template`` (a /cluster/resources guest dict with ``node``) may target, and
    the storages that keep it on its own node ([] when none do).

    ``config`` is the template's config, ``index`` what :func:`storage_index` returns, ``target_storage`` the
    ``storage`` parameter of a full clone (None for the template's own storages)."""
    home = template["node"]
    local = [s for s in template_storages(config) if not (index.get(s) or {}).get("shared")]
    if target_storage and not (index.get(target_storage) or {}).get("shared"):
        local = sorted(set(local) | set([target_storage]))
    if local:
        return [home], local
    used = template_storages(config) + ([target_storage] if target_storage else [])
    nodes = [n for n in node_names if n == home or all(_available(index, s, n) for s in used)]
    return sorted(nodes), []


def _describe(template):
    return "template %r (vmid %s on %s)" % (template.get("name"), template["vmid"], template["node"])


def place(templates, configs, index, nodes, wanted=None, target_storage=None, choose=None, bridge=None,
          bridges_of=None):
    """Pick (template, node) for a new clone.

    ``templates``: the candidate templates (/cluster/resources dicts with vmid, name, node), usually one, or the
    copies of one name kept on several nodes; ``configs``: {vmid: config}; ``index``: :func:`storage_index`;
    ``nodes``: /nodes entries (node, status, mem, maxmem); ``wanted``: the ``node`` option or None;
    ``choose(nodes, wanted)``: picks among online nodes (by free memory) and checks ``wanted`` exists and is online.

    With ``wanted``: the template on that node, else one that reaches it; raises InputError (option ``node``)
    naming the node and the storage that keeps the template on its own node when none does. Without: the node with
    the most free memory among those some template reaches; InputError when none of them is online.
    ``bridge`` (the ``bridge`` option) with ``bridges_of(node)`` (the node's bridge names): only nodes that have the
    bridge; InputError (option ``bridge``) when the node (or every candidate) lacks it - Proxmox VE itself would
    accept the clone and config and fail only when the server starts ("bridge 'X' does not exist").
    """
    names = [n.get("node") for n in nodes]
    reach = []
    for template in templates:
        reachable, local = reachable_nodes(template, configs.get(template["vmid"]) or {}, index, names,
                                           target_storage)
        reach.append((template, reachable, local))
    if wanted:
        choose(nodes, wanted)
        on_node = [t for t, r, _l in reach if t["node"] == wanted] or [t for t, r, _l in reach if wanted in r]
        if not on_node:
            raise InputError(_unreachable(reach, wanted, target_storage), option="node")
        _check_bridge(bridge, bridges_of, [wanted])
        return on_node[0], wanted
    candidates = sorted(set(n for _t, r, _l in reach for n in r))
    if bridge and bridges_of:
        online = [n["node"] for n in nodes if n.get("node") in candidates and n.get("status") == "online"]
        with_bridge = [n for n in online if bridge in bridges_of(n)]
        if online and not with_bridge:
            _check_bridge(bridge, bridges_of, online)
        candidates = with_bridge or candidates
    usable = [n for n in nodes if n.get("node") in candidates]
    if not [n for n in usable if n.get("status") == "online"]:
        raise InputError("node: no node %s can be cloned to is online (%s)" % (
            " or ".join(_describe(t) for t, _r, _l in reach), ", ".join(candidates)), option="node")
    node = choose(usable, None)
    on_node = [t for t, r, _l in reach if t["node"] == node]
    return (on_node or [t for t, r, _l in reach if node in r])[0], node


def _check_bridge(bridge, bridges_of, node_names):
    if not bridge or not bridges_of:
        return
    missing = [n for n in node_names if bridge not in bridges_of(n)]
    if missing:
        raise InputError("bridge: %r is not a bridge of %s (%s). Proxmox VE would build the server and fail to "
                         "start it" % (bridge, " or ".join(missing), "; ".join(
                             "%s has %s" % (n, ", ".join(sorted(bridges_of(n))) or "none") for n in missing)),
                         option="bridge")


def _unreachable(reach, wanted, target_storage):
    parts = []
    for template, reachable, local in reach:
        if local:
            why = "its storage %s is not shared" % ", ".join(repr(s) for s in local if s) if any(local) else \
                "it has a volume outside any storage"
            if target_storage in local:
                why = "the target storage %r is not shared" % target_storage
        else:
            why = "its storage is not available on %s" % wanted
        parts.append("%s can only be cloned to %s: %s" % (_describe(template), ", ".join(reachable), why))
    return ("node: cannot build on %s: %s. Proxmox VE clones a template to another node only when all its volumes "
            "are on shared storage; build on a node listed, or keep a template of the same name on %s"
            % (wanted, "; ".join(parts), wanted))


def check_storage_content(client, storage, content, node=None, option="storage", deadline=None):
    """InputError naming *option* unless *storage* is defined in ``GET /storage`` (storage.cfg), enabled, takes
    *content* (``images``, ``backup``...) and, with *node*, is available on that node (its ``nodes`` list). Reads
    only; pve-storage PVE/API2/Storage/Config.pm. Returns the storage's entry."""
    entries = [e for e in client.get("/storage", deadline=deadline) or [] if isinstance(e, dict)]
    found = [e for e in entries if e.get("storage") == storage]
    if not found:
        raise InputError("%s: there is no storage %r (storages: %s)" % (
            option, storage, ", ".join(sorted(str(e.get("storage")) for e in entries)) or "none"), option=option)
    entry = found[0]
    contents = [c.strip() for c in str(entry.get("content") or "").split(",") if c.strip()]
    takes = sorted(str(e.get("storage")) for e in entries if content in str(e.get("content") or "").split(","))
    if content not in contents:
        raise InputError("%s: storage %r does not take content %r (it takes %s; storages that do: %s)" % (
            option, storage, content, ", ".join(contents) or "nothing", ", ".join(takes) or "none"), option=option)
    index = storage_index([entry])
    if not index[storage]["enabled"]:
        raise InputError("%s: storage %r is disabled" % (option, storage), option=option)
    if node and not _available(index, storage, node):
        raise InputError("%s: storage %r is not available on node %s (only on %s)" % (
            option, storage, node, ", ".join(index[storage]["nodes"] or [])), option=option)
    return entry
