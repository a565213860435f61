# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Find guests and nodes anywhere in the cluster, so users never have to name the node of an existing guest."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, UNKNOWN
from ansible_collections.jotunheim.proxmox.plugins.module_utils.qemu_config import parse_bool
from ansible_collections.jotunheim.proxmox.plugins.module_utils.guests import (
    read_config_or_none, read_status_or_none, wait_for, wait_unlocked)

# Locks of a guest still being made: its config may be clone_vm's temporary file (only `lock: clone`).
BUILDING_LOCKS = ("clone", "create")

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


def list_guests(client, deadline=None, resolve=True):
    """Every guest of the cluster from /cluster/resources?type=vm: vmid, name, node, type (qemu|lxc), status,
    template (bool), lock (None when unlocked), tags (list) and pool (None when in no resource pool).

    /cluster/resources takes name, status and template from pvestatd's broadcast (every ~10 s; pve-manager
    API2Tools.pm extract_vm_stats), so a guest made since is listed with status "unknown" and no name. With
    ``resolve`` (the default) those names come from the config instead: see resolve_names."""
    entries = client.get("/cluster/resources", params={"type": "vm"}, deadline=deadline) or []
    guests = [_guest(entry) for entry in entries if entry.get("vmid") is not None]
    if resolve:
        resolve_names(client, guests, deadline=deadline)
    return guests


def needs_config(guest):
    """True when /cluster/resources cannot be trusted for this qemu guest's name: not broadcast yet (no name,
    status "unknown"), still being made (``lock: clone``/``create``), or broadcast while its config had no name -
    qemu-server vmstatus then says "VM <vmid>" (a clone's temporary config, a forced restore's stub) until the next
    broadcast, seconds after the real name is back."""
    if guest.get("type") not in (None, "qemu"):
        return False
    return not guest.get("name") or guest.get("status") == "unknown" or guest.get("lock") in BUILDING_LOCKS \
        or guest.get("name") == "VM %s" % guest.get("vmid")


def resolve_names(client, guests, deadline=None):
    """Fill name and template of the guests needs_config() picks from their config (GET .../config; one request
    each). A guest whose config is clone_vm's temporary file (only ``lock: clone``) gets ``name`` None and
    ``unnamed`` True: it is being cloned and nobody can tell yet which server it becomes. A guest gone meanwhile
    (destroyed, or a finished clone moved to its target node) is marked ``vanished``. Returns ``guests``."""
    for guest in guests:
        if not needs_config(guest):
            continue
        config = read_config_or_none(client, guest["node"], guest["vmid"], deadline=deadline)
        if config is None:
            guest["vanished"] = True
            continue
        guest["name"] = config.get("name")
        guest["template"] = bool(config.get("template"))
        guest["lock"] = config.get("lock") or None
        guest["unnamed"] = not config.get("name") and guest["lock"] in BUILDING_LOCKS
    return guests


def wait_named(client, deadline=None):
    """list_guests() once no guest is clone_vm's nameless temporary config any more (the new config, name
    included, is written when the clone's first drive is copied: qemu-server API2/Qemu.pm clone_vm). Polls
    under ``deadline``; raises ProxmoxError (kind unknown) naming the vmids when it passes first."""
    state = {}

    def check():
        guests = list_guests(client, deadline=deadline)
        state["guests"] = guests
        if any(g.get("unnamed") or g.get("vanished") for g in guests):
            return None
        return guests
    found = wait_for(check, deadline)
    if found is None:
        pending = [g for g in state.get("guests") or [] if g.get("unnamed")]
        if not pending:
            return [g for g in state.get("guests") or [] if not g.get("vanished")]
        raise ProxmoxError("guest(s) %s are being cloned and have no name yet; cannot tell which server they "
                           "become before wait_timeout passed: run again once the clone has written its config"
                           % ", ".join(str(g["vmid"]) for g in pending), kind=UNKNOWN)
    return found


def locate(client, vmid, deadline=None):
    """The node guest ``vmid`` is on now (the vmlist behind /cluster/resources is current), or None when it is
    gone. A clone to another node keeps its config on the source node until it ends."""
    entries = client.get("/cluster/resources", params={"type": "vm"}, deadline=deadline) or []
    for entry in entries:
        if entry.get("vmid") is not None and int(entry["vmid"]) == int(vmid):
            return entry.get("node")
    return None


def find_guest(client, vmid=None, name=None, deadline=None, current=False):
    """The guest with *vmid* (or the one named *name*, see find_named), or None.

    With only ``vmid``: the guest of that vmid; names of guests made in the last seconds come from their config
    (resolve_names), and with ``current`` its ``status`` and ``lock`` from ``GET .../status/current`` (one more
    request): /cluster/resources shows the status of pvestatd's last broadcast, up to ~10 s old. With ``name``
    (and optionally ``vmid``, which must then be that guest's) the lookup is find_named's: the name is confirmed
    by ``status/current`` (status and lock always current). InputError as find_named."""
    if vmid is None and not name:
        raise InputError("vmid or name: give one to find a guest", option="vmid")
    wanted = None
    if vmid is not None:
        try:
            wanted = int(vmid)
        except (TypeError, ValueError):
            raise InputError("vmid: not a number: %r" % (vmid,), option="vmid")
    if name:
        return find_named(client, name, vmid=wanted, deadline=deadline, templates=True)
    found = [g for g in list_guests(client, deadline=deadline, resolve=False) if g["vmid"] == wanted]
    resolve_names(client, found, deadline=deadline)
    guest = found[0] if found and not found[0].get("vanished") else None
    if guest is not None and current and guest.get("type") in (None, "qemu"):
        status = read_status_or_none(client, guest["node"], guest["vmid"], deadline=deadline)
        if status is None:
            return None
        guest["status"] = status.get("status") or guest["status"]
        guest["lock"] = status.get("lock") or None
    return guest


def pick(listed, name, vmid=None, templates=False):
    """The entry of ``listed`` (dicts with vmid, node, name, template) named ``name`` - with ``vmid``, the guest of
    that vmid, whose name must be ``name`` - or None. Templates count only with ``templates``.

    Raises InputError: without ``vmid`` when several guests have the name (naming their vmids and how to pick
    one: ``vmid``); with ``vmid`` when that guest has another name, or the name belongs to other vmids only."""
    named = [g for g in listed if g.get("name") == name and (templates or not parse_bool(g.get("template") or 0))]
    if vmid is None:
        if len(named) > 1:
            raise InputError("name: %d guests are named %r (vmids %s); give vmid to pick the one to act on"
                             % (len(named), name, ", ".join("%s on %s" % (g["vmid"], g.get("node"))
                                                            for g in named)), option="name")
        return named[0] if named else None
    same_id = [g for g in listed if int(g["vmid"]) == int(vmid)]
    if same_id and same_id[0].get("name") != name:
        raise InputError("vmid: guest %s is named %r, not %r" % (vmid, same_id[0].get("name"), name), option="vmid")
    if not same_id and named:
        raise InputError("name: %r is already used by vmid %s, not %s"
                         % (name, ", ".join(str(g["vmid"]) for g in named), vmid), option="name")
    return same_id[0] if same_id else None


def confirm(client, found, name, deadline=None):
    """``found`` (a listing entry) when ``GET .../status/current`` confirms it: the guest still exists, is not being
    destroyed (``lock: destroyed``, qemu-server destroy_vm's last config) and its current name is ``name`` (or not
    known yet). Returns a copy with ``status`` and ``lock`` from that answer, or None. Containers pass as listed."""
    if found is None:
        return None
    if found.get("type") not in (None, "qemu"):
        return dict(found)
    current = read_status_or_none(client, found["node"], found["vmid"], deadline=deadline)
    if current is None or current.get("name") not in (None, name) or current.get("lock") == "destroyed":
        return None             # destroyed since the listing, or the vmid now holds another guest
    guest = dict(found)
    guest["status"] = current.get("status") or found.get("status")
    guest["lock"] = current.get("lock") or None
    return guest


def find_named(client, name, vmid=None, listed=None, deadline=None, templates=False):
    """The guest named ``name`` (with ``vmid``: that guest, whose name must be ``name``), confirmed; None when there
    is none. The one lookup by name of every module (jotun_server, jotun_backup, jotun_disk_resize, ...).

    /cluster/resources takes names from pvestatd's broadcast (~10 s): a vmid destroyed and reused since, or a guest
    renamed, still shows its old name there. So the entry picked from ``listed`` (default: list_guests) is confirmed
    by ``status/current`` (confirm), and where it is not found or not confirmed the nodes' current lists decide
    (current_guests: ``GET /nodes`` and ``GET /nodes/{node}/qemu`` per node). Returns the listing dict with current
    ``status`` and ``lock``. InputError as pick (ambiguous name without vmid, vmid and name disagreeing)."""
    if listed is None:
        listed = list_guests(client, deadline=deadline)
    try:
        found = pick(listed, name, vmid, templates)
    except InputError:
        found = None                # perhaps only the lagging names disagree: the current ones decide
    guest = confirm(client, found, name, deadline=deadline)
    if guest is None:
        guest = confirm(client, pick(current_guests(client, deadline=deadline), name, vmid, templates), name,
                        deadline=deadline)
    return guest


# A jotun_server rebuild keeps its server's name reserved, and what it carries over (server/carry.py pack), from
# before its first change until the new clone has it: a config-only guest named RESERVATION_FORMAT % (vmid, name).
RESERVATION_FORMAT = "jotun-rebuild-%d.%s"
# exactly what RESERVATION_FORMAT makes of a vmid (100-999999999, no leading zero) and a server name (a DNS name of
# at most 63 characters, server/spec.py validate)
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_RESERVATION_RE = re.compile(r"^jotun-rebuild-([1-9][0-9]{2,8})\.(%s(?:\.%s)*)\Z" % (_LABEL, _LABEL))


def reservation_name(name, vmid):
    """The name of the guest that reserves ``name`` while vmid ``vmid`` is rebuilt under it."""
    return RESERVATION_FORMAT % (int(vmid), name)


def _reserved(guest_name):
    """(vmid being rebuilt, server name) when ``guest_name`` is a reservation's name, else None."""
    match = _RESERVATION_RE.match(guest_name or "") if isinstance(guest_name, str) else None
    if match is None or len(match.group(2)) > 63:
        return None
    return int(match.group(1)), match.group(2)


def is_reservation_name(guest_name):
    """True when ``guest_name`` (a guest's name, None when unknown) is the shape reservation_name makes: the guest
    is a rebuild's config-only placeholder, not a server, whether or not its description still holds a record.
    Every selection of servers leaves such guests out (server/facts.py select_guests and gather_servers, usage.py,
    inventory.py); jotun_server itself finds them (reservations)."""
    return _reserved(guest_name) is not None


def reservations(listed, name):
    """The entries of ``listed`` that reserve ``name``, each with ``reserved_vmid`` (the vmid being rebuilt)."""
    out = []
    for guest in listed or []:
        reserved = _reserved(guest.get("name"))
        if reserved and reserved[1] == name:
            out.append(dict(guest, reserved_vmid=reserved[0]))
    return out


def wait_unlocked_following(client, guest, deadline, locks=None):
    """guests.wait_unlocked on ``guest`` ({vmid, node, ...}), following it when it moves: a clone to another node
    keeps its config on the source node until it ends, then it is renamed into the target node's directory
    (qemu-server clone_vm), so a config that vanished is looked for in the current vmlist (locate) and waited for
    there. Updates ``guest["node"]``. Returns the config, ``{}`` when the guest is gone, None at the deadline."""
    config = None
    for _move in range(4):
        config = wait_unlocked(client, guest["node"], guest["vmid"], deadline, locks=locks)
        if config != {}:
            return config
        node = locate(client, guest["vmid"], deadline=deadline)
        if not node or node == guest["node"]:
            return config
        guest["node"] = node
    return config


def current_guests(client, deadline=None):
    """Every qemu guest as the nodes list it now: ``GET /nodes/{node}/qemu`` of each online node (qemu-server
    vmstatus reads each config, so names, template flags and locks are current, unlike /cluster/resources').
    Returns [{vmid, node, name, status, template (bool), lock}]; a nameless guest is listed as "VM <vmid>"."""
    out = []
    for node in list_nodes(client, deadline=deadline):
        if node.get("status") not in (None, "online"):
            continue
        for entry in client.get(api_path("nodes", node["node"], "qemu"), deadline=deadline) or []:
            out.append({"vmid": int(entry["vmid"]), "node": node["node"], "name": entry.get("name"),
                        "status": entry.get("status"), "template": bool(entry.get("template")),
                        "lock": entry.get("lock") or None})
    return out


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
