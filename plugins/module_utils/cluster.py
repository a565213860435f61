# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Find guests and nodes anywhere in the cluster, so users never have to name the node of an existing guest."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError

_TAG_SPLIT_RE = re.compile(r"[;, ]+")


def split_tags(value):
    """PVE's tag string ('web;prod') as a list (['web', 'prod']); lists pass through."""
    if isinstance(value, (list, tuple)):
        return [str(tag) for tag in value if str(tag)]
    return [tag for tag in _TAG_SPLIT_RE.split(value or "") if tag]


def _guest(entry):
    return {
        "vmid": int(entry.get("vmid")),
        "name": entry.get("name"),
        "node": entry.get("node"),
        "type": entry.get("type"),
        "status": entry.get("status"),
        "template": bool(int(entry.get("template") or 0)),
        "lock": entry.get("lock") or None,
        "tags": split_tags(entry.get("tags")),
        "pool": entry.get("pool") or None,
    }


def list_guests(client, deadline=None):
    """Every guest of the cluster from /cluster/resources?type=vm: vmid, name, node, type (qemu|lxc), status,
    template (bool), lock (None when unlocked), tags (list) and pool (None when in no resource pool)."""
    entries = client.get("/cluster/resources", params={"type": "vm"}, deadline=deadline) or []
    return [_guest(entry) for entry in entries if entry.get("vmid") is not None]


def find_guest(client, vmid=None, name=None, deadline=None):
    """The guest with *vmid* (or the one named *name*), or None; InputError when a name matches several guests."""
    if vmid is None and not name:
        raise InputError("vmid or name: give one to find a guest", option="vmid")
    guests = list_guests(client, deadline=deadline)
    if vmid is not None:
        try:
            wanted = int(vmid)
        except (TypeError, ValueError):
            raise InputError("vmid: not a number: %r" % (vmid,), option="vmid")
        found = [g for g in guests if g["vmid"] == wanted]
        return found[0] if found else None
    found = [g for g in guests if g["name"] == name]
    if len(found) > 1:
        raise InputError("name: %d guests are named %r (%s); give vmid to pick one" % (
            len(found), name, ", ".join("%d on %s" % (g["vmid"], g["node"]) for g in found)), option="name")
    return found[0] if found else None


def list_nodes(client, deadline=None):
    """The cluster's nodes from /nodes: node, status, cpu, maxcpu, mem, maxmem."""
    entries = client.get("/nodes", deadline=deadline) or []
    keys = ("node", "status", "cpu", "maxcpu", "mem", "maxmem")
    return sorted((dict((key, entry.get(key)) for key in keys) for entry in entries), key=lambda n: n["node"] or "")


def next_vmid(client, deadline=None):
    """The next free VMID (/cluster/nextid). Two runs can get the same answer: creating with it may still collide."""
    value = client.get("/cluster/nextid", deadline=deadline)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ProxmoxError("unexpected answer from /cluster/nextid: %r" % (value,))
