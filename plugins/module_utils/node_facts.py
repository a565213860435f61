# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The view ``jotun_node_info`` returns: nodes, their load, their storages, and where a new server fits.

Reading costs ``2 + one per online node`` requests: ``GET /nodes``, ``GET /cluster/resources?type=vm`` (what the
guests on each node were given) and ``GET /nodes/{node}/storage`` for each online node. Offline nodes are
reported without storages rather than failing the whole read.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.qemu_config import parse_bool


def content_list(value):
    """``images,rootdir`` -> ["images", "rootdir"]."""
    if isinstance(value, (list, tuple)):
        return sorted(set(value))
    return sorted(set(part.strip() for part in str(value or "").split(",") if part.strip()))


def storage_view(entry):
    """One ``/nodes/{node}/storage`` entry with sizes in bytes and what it can hold."""
    content = content_list(entry.get("content"))
    total = int(entry.get("total") or 0)
    used = int(entry.get("used") or 0)
    avail = entry.get("avail")
    avail = int(avail) if avail is not None else max(total - used, 0)
    active = _flag(entry.get("active"), True)
    enabled = _flag(entry.get("enabled"), True)
    return {
        "storage": entry.get("storage"),
        "type": entry.get("type"),
        "content": content,
        "shared": _flag(entry.get("shared"), False),
        "active": active,
        "enabled": enabled,
        "total": total,
        "used": used,
        "avail": avail,
        "used_fraction": round(float(used) / total, 4) if total else 0.0,
        "images": "images" in content and active and enabled,
        "backups": "backup" in content and active and enabled,
    }


def _flag(value, default):
    if value is None:
        return default
    return bool(parse_bool(value, option="storage flag"))


def guest_totals(guests):
    """Per node: guests (all/running/templates) and the CPUs and memory given to non-template guests."""
    totals = {}
    for guest in guests:
        if guest.get("type", "qemu") not in ("qemu", "lxc") or not guest.get("node"):
            continue
        node = totals.setdefault(guest["node"], {"total": 0, "running": 0, "templates": 0,
                                                 "cpus_allocated": 0, "memory_allocated": 0})
        node["total"] += 1
        if parse_bool(guest.get("template") or 0):
            node["templates"] += 1
            continue
        if guest.get("status") == "running":
            node["running"] += 1
        node["cpus_allocated"] += int(guest.get("maxcpu") or 0)
        node["memory_allocated"] += int(guest.get("maxmem") or 0)
    return totals


def node_view(entry, storages, totals):
    """One node: status, CPU, memory, guests, storages and the names of the storages for images and backups."""
    maxmem = int(entry.get("maxmem") or 0)
    mem = int(entry.get("mem") or 0)
    views = sorted((storage_view(s) for s in storages), key=lambda s: s["storage"] or "")
    guests = totals.get(entry["node"], {"total": 0, "running": 0, "templates": 0,
                                        "cpus_allocated": 0, "memory_allocated": 0})
    return {
        "node": entry["node"],
        "status": entry.get("status", "unknown"),
        "online": entry.get("status") == "online",
        "uptime": int(entry.get("uptime") or 0),
        "cpu": {
            "count": int(entry.get("maxcpu") or 0),
            "usage": round(float(entry.get("cpu") or 0.0), 4),
            "allocated": guests["cpus_allocated"],
        },
        "memory": {
            "total": maxmem,
            "used": mem,
            "free": max(maxmem - mem, 0),
            "allocated": guests["memory_allocated"],
        },
        "guests": {"total": guests["total"], "running": guests["running"], "templates": guests["templates"]},
        "storages": views,
        "image_storages": [s["storage"] for s in views if s["images"]],
        "backup_storages": [s["storage"] for s in views if s["backups"]],
    }


def gather_nodes(client, names=None, deadline=None):
    """Every node (or the ones named), sorted by name."""
    entries = client.get("/nodes", deadline=deadline) or []
    if names:
        known = sorted(e["node"] for e in entries)
        missing = [name for name in names if name not in known]
        if missing:
            raise InputError("node: %s is not a node of this cluster (nodes: %s)"
                             % (", ".join(missing), ", ".join(known)), option="node")
        entries = [e for e in entries if e["node"] in set(names)]
    guests = client.get("/cluster/resources", params={"type": "vm"}, deadline=deadline) or []
    totals = guest_totals(guests)
    nodes = []
    for entry in sorted(entries, key=lambda e: e["node"]):
        storages = []
        if entry.get("status") == "online":
            storages = client.get(api_path("nodes", entry["node"], "storage"), deadline=deadline) or []
        nodes.append(node_view(entry, storages, totals))
    return nodes
