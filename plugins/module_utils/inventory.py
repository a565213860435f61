# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The data behind the ``jotunheim.proxmox.jotun`` inventory plugin: which guests are hosts, what is known of each,
and what that costs in requests.

Cost: one ``GET /cluster/resources?type=vm`` (without ``type`` when ``filters`` name nodes or pools: the same request
then lists the nodes and pools too, and a node or pool that does not exist fails the inventory naming the filter);
filters are applied to it (a rebuild's name reservation, cluster.is_reservation_name, is never a host); then, only
for the guests left and only when the options need it (``details``, an address-based ``ansible_host``, ``agent``),
one ``GET .../config`` each, run by up to ``workers`` threads on the one client; with ``agent`` one
``GET .../agent/network-get-interfaces`` for each running guest whose config enables the agent. A guest whose details fail keeps what ``/cluster/resources``
said and gets ``error`` plus a warning: one guest never fails the inventory.

Records are plain JSON-able dicts (they go into Ansible's inventory cache):
``{"host": inventory host name, "vars": {vmid, name, node, status, ...}, "ansible_host": str|None}``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.jotunheim.proxmox.plugins.module_utils import agent as guest_agent
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import is_reservation_name, split_tags
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import facts

ANSIBLE_HOST_CHOICES = ("ipv4", "ipv6", "agent", "name")
MIB = 1024 * 1024
DEFAULT_WORKERS = 8
MAX_WORKERS = 32


def needs_config(details=True, ansible_host="ipv4", agent=False):
    """True when the options need each guest's config: its details, a static address for ``ansible_host``, or
    whether the agent is enabled (asked only of guests whose config enables it)."""
    return bool(details or agent or ansible_host in ("ipv4", "ipv6"))


# --- /cluster/resources ------------------------------------------------------------------------------------------

def base_vars(entry):
    """What one ``/cluster/resources`` entry tells of a qemu guest (pve-manager API2/Cluster.pm resources).

    ``name``/``status``/``template``/``maxcpu``/``maxmem``/``maxdisk`` come from pvestatd's last broadcast (~10 s):
    a guest made since has no name and status ``unknown`` (``name`` None then). A nameless guest is broadcast as
    ``VM <vmid>`` (qemu-server vmstatus), which is no valid guest name: ``name`` None as well. ``tags``, ``lock``,
    ``pool`` and ``node`` are current. Sizes: ``memory`` MiB, ``memory_bytes``/``disk_size`` bytes; ``maxdisk`` (so
    ``disk_size``) is the boot disk's size, not the sum of the disks (qemu-server vmstatus, Drive.pm bootdisk_size)."""
    vmid = int(entry["vmid"])
    name = entry.get("name") or None
    if name == "VM %d" % vmid:
        name = None
    maxmem = entry.get("maxmem")
    return {
        "vmid": vmid,
        "name": name,
        "node": entry.get("node"),
        "status": entry.get("status") or "unknown",
        "lock": entry.get("lock") or None,
        "template": bool(qc.parse_bool(entry.get("template") or 0)),
        "tags": sorted(set(split_tags(entry.get("tags")))),
        "pool": entry.get("pool") or None,
        "cores": entry.get("maxcpu"),
        "memory": int(maxmem) // MIB if maxmem else None,
        "memory_bytes": int(maxmem) if maxmem else None,
        "disk_size": int(entry["maxdisk"]) if entry.get("maxdisk") else None,
    }


def broadcast_known(gvars):
    """False for a guest not broadcast yet (status ``unknown``): its name and template flag need the config."""
    return gvars["status"] != "unknown"


def select(guests, include_templates=False, nodes=None, pools=None, tags=None, status=None, names=None,
           exclude_names=None):
    """The guests (base_vars dicts) passing every filter given, sorted by vmid.

    ``nodes``/``pools``/``status``: any of them; ``tags``: the guest carries all of them; ``names``/
    ``exclude_names``: shell patterns (``web-*``), any of them. A guest whose name or template flag is not known
    yet (not broadcast) passes the name and template filters here and is checked again by ``reselect`` once its
    config is read."""
    want_tags = set(tags or [])
    found = []
    for gvars in guests:
        if nodes and gvars["node"] not in nodes:
            continue
        if pools and gvars["pool"] not in pools:
            continue
        if status and gvars["status"] not in status:
            continue
        if want_tags and not want_tags.issubset(gvars["tags"]):
            continue
        if broadcast_known(gvars) and not _name_and_template_pass(gvars, include_templates, names, exclude_names):
            continue
        found.append(gvars)
    return sorted(found, key=lambda g: g["vmid"])


def _name_and_template_pass(gvars, include_templates, names, exclude_names):
    if gvars["template"] and not include_templates:
        return False
    if is_reservation_name(gvars["name"]):
        return False            # a rebuild's name reservation (cluster.reservation_name) is no server: never a host
    label = gvars["name"] if gvars["name"] is not None else str(gvars["vmid"])
    if names and not any(fnmatch.fnmatchcase(label, pattern) for pattern in names):
        return False
    if exclude_names and any(fnmatch.fnmatchcase(label, pattern) for pattern in exclude_names):
        return False
    return True


# --- per-guest details -------------------------------------------------------------------------------------------

def apply_config(gvars, config):
    """Add what a guest's config says (qemu-server ``GET .../config``): name, tags, lock, template, cores, sockets,
    vcpus, memory (MiB) / memory_bytes, disks (bytes), disk_size (the boot disk's), nets, macs, cloud-init
    ``ipconfigN`` addresses, agent (enabled). Parsing reuses qemu_config / server.facts (the views ``jotun_server_info`` returns)."""
    gvars["name"] = config.get("name") or None
    gvars["template"] = bool(qc.parse_bool(config.get("template", 0)))
    gvars["lock"] = config.get("lock") or gvars["lock"]
    gvars["tags"] = sorted(set(split_tags(config.get("tags"))))
    resources = facts.resources_view(config)
    for key in ("cores", "sockets", "vcpus", "memory", "memory_bytes"):
        gvars[key] = resources[key]
    gvars["disks"] = facts.disks_view(config)[0]
    # the boot disk's size, as the listing's maxdisk (qemu-server Drive.pm bootdisk_size), never the sum of the disks
    gvars["disk_size"] = next((disk["size"] for disk in gvars["disks"] if disk["boot"]), None) or None
    gvars["nets"] = facts.nets_view(config)
    gvars["macs"] = [net["mac"] for net in gvars["nets"] if net.get("mac")]
    gvars["ip_addresses"] = facts.ipconfig_addresses(facts.cloud_init_view(config))
    gvars["agent"] = qc.parse_agent(config.get("agent"))
    _address_lists(gvars)
    return gvars


def apply_agent(gvars, result):
    """Put the guest agent's addresses (``network-get-interfaces``; loopback and link-local left out) first."""
    found = facts.agent_addresses(result, gvars.get("nets") or [])
    gvars["ip_addresses"] = found + [a for a in gvars.get("ip_addresses") or [] if a["source"] != "agent"]
    _address_lists(gvars)
    return gvars


def _address_lists(gvars):
    addresses = gvars.get("ip_addresses") or []
    gvars["ipv4"] = _unique(a["address"] for a in addresses if a["family"] == "ipv4")
    gvars["ipv6"] = _unique(a["address"] for a in addresses if a["family"] == "ipv6")


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def read_details(client, gvars, config=True, agent=False):
    """Read one guest's config (and agent addresses): returns (gvars, warning or None); never raises a
    ProxmoxError or a parse error: what could not be read is left as /cluster/resources said, with ``error``."""
    base = api_path("nodes", gvars["node"], "qemu", str(gvars["vmid"]))
    try:
        if config:
            apply_config(gvars, client.get(base + "/config") or {})
        if agent and gvars.get("agent") and gvars["status"] == "running":
            apply_agent(gvars, guest_agent.network_interfaces(client, gvars["node"], gvars["vmid"]))
    except (ProxmoxError, InputError, ValueError, KeyError, TypeError) as err:
        gvars["error"] = str(err)
        return gvars, "guest %d (%s on %s): details not read, keeping what /cluster/resources says: %s" % (
            gvars["vmid"], gvars.get("name") or "no name", gvars["node"], err)
    return gvars, None


def read_all_details(client, guests, config=True, agent=False, workers=DEFAULT_WORKERS):
    """read_details for every guest, up to ``workers`` at once (threads sharing ``client``, logged in already).
    Returns the warnings, in vmid order."""
    if not guests or not (config or agent):
        return []
    workers = max(1, min(int(workers or 1), MAX_WORKERS, len(guests)))
    if workers == 1:
        results = [read_details(client, gvars, config, agent) for gvars in guests]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda g: read_details(client, g, config, agent), guests))
    return [warning for dummy, warning in results if warning]  # the dicts in ``guests`` were updated in place


# --- hosts -------------------------------------------------------------------------------------------------------

def ansible_host_for(gvars, choice):
    """The address Ansible connects to: ``ipv4`` the first static IPv4 of ``ipconfigN`` (then the agent's),
    ``ipv6`` the same for IPv6, ``agent`` the agent's first IPv4 (then its IPv6, then a static IPv4), ``name`` the
    guest name. None when nothing fits (Ansible then uses the inventory host name)."""
    if choice == "name":
        return gvars.get("name")
    addresses = gvars.get("ip_addresses") or []
    if choice == "agent":
        order = (("agent", "ipv4"), ("agent", "ipv6"), ("ipconfig", "ipv4"))
    else:
        family = "ipv6" if choice == "ipv6" else "ipv4"
        order = (("ipconfig", family), ("agent", family))
    for source, family in order:
        for address in addresses:
            if address["source"] == source and address["family"] == family:
                return address["address"]
    return None


def host_names(guests, everyone=None):
    """{vmid: inventory host name} for ``guests``: the guest name; ``<name>-<vmid>`` for every guest of a name
    several guests of the cluster (``everyone``, default ``guests``: the filters never change a host's name) share,
    none of them taking the bare name; the vmid (as a string) for a guest without a name. Returns (names,
    duplicates) where duplicates maps each shared name to its vmids."""
    by_name = {}
    for gvars in everyone if everyone is not None else guests:
        if gvars.get("name"):
            by_name.setdefault(gvars["name"], []).append(gvars["vmid"])
    names = {}
    for gvars in guests:
        name = gvars.get("name")
        if not name:
            names[gvars["vmid"]] = str(gvars["vmid"])
        elif len(by_name[name]) > 1:
            names[gvars["vmid"]] = "%s-%d" % (name, gvars["vmid"])
        else:
            names[gvars["vmid"]] = name
    duplicates = dict((name, vmids) for name, vmids in by_name.items() if len(vmids) > 1)
    return names, duplicates


def check_filter_targets(entries, filters):
    """InputError naming the filter for a ``filters.nodes`` node or ``filters.pools`` pool that does not exist: a
    typo would otherwise make a silently empty inventory. ``entries``: ``GET /cluster/resources`` without ``type``,
    whose ``node`` entries are every node of the cluster (online or not) and whose ``pool`` entries are the pools
    the token may audit (pve-manager PVE/API2/Cluster.pm resources; a guest's ``pool`` is shown under the same
    rule)."""
    for key, kind in (("nodes", "node"), ("pools", "pool")):
        known = sorted(set(str(e.get(kind)) for e in entries if e.get("type") == kind and e.get(kind)))
        for wanted in filters.get(key) or []:
            if wanted not in known:
                raise InputError("filters.%s: %s %r does not exist (%ss: %s)"
                                 % (key, kind, wanted, kind, ", ".join(known) or "none"), option="filters")


def gather(client, include_templates=False, filters=None, details=True, ansible_host="ipv4", agent=False,
           workers=DEFAULT_WORKERS):
    """The inventory's records and warnings: (records sorted by vmid, [warning, ...]).

    ``filters``: {nodes, pools, tags, status, names, exclude_names} (see select). Rebuild name reservations
    (cluster.is_reservation_name) are never hosts. Raises ProxmoxError only when ``/cluster/resources`` itself
    cannot be read; InputError (option ``filters``) for a node or pool filter naming none that exists
    (check_filter_targets)."""
    filters = filters or {}
    # with a node or pool filter, the listing without ``type`` (the same request) also lists the nodes and pools
    named = bool(filters.get("nodes") or filters.get("pools"))
    entries = client.get("/cluster/resources", params={} if named else {"type": "vm"}) or []
    if named:
        check_filter_targets(entries, filters)
    guests = [base_vars(entry) for entry in entries
              if entry.get("vmid") is not None and entry.get("type", "qemu") == "qemu"]
    chosen = select(guests, include_templates=include_templates, **filters)
    config = needs_config(details, ansible_host, agent)
    unknown = [g for g in chosen if not broadcast_known(g)]
    warnings = read_all_details(client, chosen if config else unknown, config=True, agent=agent, workers=workers) \
        if (config or unknown) else []
    chosen = [g for g in chosen if broadcast_known(g) or "error" in g or _name_and_template_pass(
        g, include_templates, filters.get("names"), filters.get("exclude_names"))]
    names, duplicates = host_names(chosen, guests)
    chosen_vmids = set(g["vmid"] for g in chosen)
    for name in sorted(n for n, vmids in duplicates.items() if chosen_vmids.intersection(vmids)):
        warnings.append("guests %s share the name %r: their hosts are named <name>-<vmid>" % (
            ", ".join(str(v) for v in duplicates[name]), name))
    records = [{"host": names[g["vmid"]], "vars": g, "ansible_host": ansible_host_for(g, ansible_host)}
               for g in chosen]
    return records, warnings
