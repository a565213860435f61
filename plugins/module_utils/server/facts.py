# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The view ``jotun_server_info`` returns: which guests match, and what each one looks like.

Pure functions build one server's view from what Proxmox VE answered (a ``/cluster/resources`` entry,
``status/current``, ``pending`` and, when it answers, the guest agent's ``network-get-interfaces``);
``gather_servers`` does the reading. Secrets never leave: ``cipassword`` is shown masked, in the
config view and in pending changes alike.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

from ansible_collections.jotunheim.proxmox.plugins.module_utils import agent as guest_agent
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import is_reservation_name, resolve_names
from ansible_collections.jotunheim.proxmox.plugins.module_utils.disks import boot_disk, is_disk_key, parse_drive
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.guests import read_config_or_none
from ansible_collections.jotunheim.proxmox.plugins.module_utils import validate as checks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.pools import pool_ids
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import firewall as guest_firewall

MASK = qc.CIPASSWORD_MASK


# --- selecting guests ---------------------------------------------------------------------------------------------

def select_guests(guests, vmids=None, names=None, tags=None, nodes=None, pools=None):
    """The QEMU guests of ``/cluster/resources`` matching every filter given, sorted by vmid.

    ``vmids``/``names``/``nodes``/``pools``: any of them matches; ``tags``: the guest carries all of them. A rebuild's
    name reservation (cluster.is_reservation_name) is no server and never selected, not even by its vmid or name;
    one the listing shows without a name yet (made since pvestatd's last broadcast) is left out by the callers once
    its config names it (gather_servers, without_reservations).
    """
    vmids = set(int(v) for v in vmids or [])
    names = set(names or [])
    nodes = set(nodes or [])
    pools = set(pools or [])
    want_tags = set(qc.parse_tags(tags or [], option="tags"))
    found = []
    for guest in guests:
        if guest.get("type", "qemu") != "qemu" or is_reservation_name(guest.get("name")):
            continue
        if vmids and int(guest["vmid"]) not in vmids:
            continue
        if names and guest.get("name") not in names:
            continue
        if nodes and guest.get("node") not in nodes:
            continue
        if pools and guest.get("pool") not in pools:
            continue
        if want_tags and not want_tags.issubset(_guest_tags(guest.get("tags"))):
            continue
        found.append(guest)
    return sorted(found, key=lambda g: int(g["vmid"]))


def _guest_tags(value):
    try:
        return set(qc.parse_tags(value))
    except InputError:
        # a tag written by another tool that we would refuse as input is still a tag to match on
        return set(part for part in str(value).replace(",", ";").replace(" ", ";").split(";") if part)


# --- config and pending ----------------------------------------------------------------------------------------------

def split_pending(entries):
    """``GET .../pending`` entries -> (current config dict, pending changes list).

    Each pending change: {key, value, pending, delete}, values as strings; ``cipassword`` values masked.
    """
    config = {}
    pending = []
    for entry in entries or []:
        key = entry.get("key")
        if key is None:
            continue
        if "value" in entry:
            config[key] = entry["value"]
        if "pending" in entry or entry.get("delete"):
            change = {
                "key": key,
                "value": _text(entry.get("value")),
                "pending": _text(entry.get("pending")),
                "delete": bool(entry.get("delete")),
            }
            if key in qc.SECRET_KEYS:
                change["value"] = MASK if change["value"] not in (None, "") else None
                change["pending"] = MASK if change["pending"] not in (None, "") else None
            pending.append(change)
    return config, sorted(pending, key=lambda p: p["key"])


def _text(value):
    """Pending values as the API schema types them: strings (7.x sends numbers as numbers)."""
    return None if value is None else str(value)


# --- disks ----------------------------------------------------------------------------------------------------------

def disks_view(config):
    """Attached disks (not CD-ROMs, not the cloud-init drive) with sizes in bytes, and unused volumes."""
    try:
        boot = boot_disk(config)
    except InputError:
        boot = None
    found = []
    for key in sorted(config, key=_disk_sort_key):
        drive = _drive(config, key)
        if drive is None or drive["media"] != "disk":
            continue
        found.append({
            "key": key,
            "volume": drive["volume"],
            "storage": drive["storage"],
            "size": drive["size"],
            "format": drive["options"].get("format"),
            "boot": key == boot,
        })
    unused = [str(config[key]) for dummy, key in qc.indexed_keys(config, "unused")]
    return found, unused


def cdroms_view(config):
    """CD-ROM drives: {key, volume} (``none`` when empty); the cloud-init drive is reported under cloud_init."""
    found = []
    for key in sorted(config, key=_disk_sort_key):
        drive = _drive(config, key)
        if drive is not None and drive["media"] == "cdrom" and "cloudinit" not in (drive["volume"] or ""):
            found.append({"key": key, "volume": drive["volume"]})
    return found


def _drive(config, key):
    if not is_disk_key(key):
        return None
    try:
        return parse_drive(config[key])
    except (InputError, ValueError):
        return None


def _disk_sort_key(key):
    prefix = key.rstrip("0123456789")
    number = key[len(prefix):]
    return (prefix, int(number) if number else -1)


# --- network -------------------------------------------------------------------------------------------------------

def nets_view(config):
    """Network devices: {key, model, mac, bridge, rate (MB/s or None), vlan, firewall, link_down, mtu}."""
    nets = []
    for dummy, key in qc.indexed_keys(config, "net"):
        net = qc.parse_net(config[key])
        nets.append({
            "key": key,
            "model": net.get("model"),
            "mac": net.get("macaddr"),
            "bridge": net.get("bridge"),
            "rate": net.get("rate"),
            "vlan": net.get("tag"),
            "firewall": bool(net.get("firewall")),
            "link_down": bool(net.get("link_down")),
            "mtu": net.get("mtu"),
        })
    return nets


# --- cloud-init ------------------------------------------------------------------------------------------------------

def cloud_init_view(config):
    """Cloud-init settings; the password is never shown, only masked when set."""
    ipconfigs = []
    for index, key in qc.indexed_keys(config, "ipconfig"):
        item = qc.parse_ipconfig(config[key])
        item["key"] = key
        item["net"] = "net%d" % index
        ipconfigs.append(item)
    return {
        "drive": qc.cloudinit_drive(config),
        "user": config.get("ciuser"),
        "password": MASK if config.get("cipassword") not in (None, "") else None,
        "sshkeys": qc.decode_sshkeys(config.get("sshkeys")),
        "nameservers": qc.parse_nameservers(config.get("nameserver")),
        "searchdomain": config.get("searchdomain"),
        "ipconfig": ipconfigs,
    }


# --- IP addresses ----------------------------------------------------------------------------------------------------

def ipconfig_addresses(cloud_init):
    """Static addresses configured through cloud-init ``ipconfigN`` (dhcp/auto say nothing about the address)."""
    found = []
    for item in cloud_init["ipconfig"]:
        for field in ("ip", "ip6"):
            address = _address(item.get(field), source="ipconfig")
            if address:
                address["net"] = item["net"]
                address["interface"] = None
                found.append(address)
    return found


def agent_addresses(result, nets):
    """Addresses the guest agent reports, loopback and link-local left out, tied to netN by MAC when possible."""
    by_mac = dict((n["mac"].upper(), n["key"]) for n in nets if n.get("mac"))
    found = []
    interfaces = result.get("result", result) if isinstance(result, dict) else result
    for iface in interfaces or []:
        if not isinstance(iface, dict):
            continue
        mac = (iface.get("hardware-address") or "").upper()
        for item in iface.get("ip-addresses") or []:
            text = "%s/%s" % (item.get("ip-address"), item.get("prefix")) if item.get("prefix") is not None \
                else item.get("ip-address")
            address = _address(text, source="agent")
            if not address:
                continue
            address["net"] = by_mac.get(mac)
            address["interface"] = iface.get("name")
            found.append(address)
    return found


def _address(text, source):
    if not text or text in ("dhcp", "auto"):
        return None
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        return None
    if iface.ip.is_loopback or iface.ip.is_link_local:
        return None
    prefix = iface.network.prefixlen if "/" in text else None
    return {"address": str(iface.ip), "prefix": prefix, "family": "ipv%d" % iface.version, "source": source}


def primary_ip(addresses):
    """The address a panel shows first: an IPv4 the agent sees, else a configured IPv4, else any IPv6."""
    for source, family in (("agent", "ipv4"), ("ipconfig", "ipv4"), ("agent", "ipv6"), ("ipconfig", "ipv6")):
        for address in addresses:
            if address["source"] == source and address["family"] == family:
                return address["address"]
    return None


# --- one server -----------------------------------------------------------------------------------------------------

def summary_view(resource):
    """What ``/cluster/resources`` alone tells about a guest (``details: false``)."""
    return {
        "vmid": int(resource["vmid"]),
        "name": resource.get("name"),
        "node": resource.get("node"),
        "status": resource.get("status"),
        "lock": resource.get("lock") or None,
        "template": bool(qc.parse_bool(resource.get("template") or 0)),
        "tags": sorted(_guest_tags(resource.get("tags") or "")),
        "pool": resource.get("pool") or None,
        "uptime": int(resource.get("uptime") or 0),
        "cpus": resource.get("maxcpu"),
        "memory_bytes": resource.get("maxmem"),
    }


def _description(value):
    """The description as the customer wrote it: None stays None, jotun_backup's restore mark is left out."""
    return None if value is None else qc.split_restore_mark(value)[0]


def server_view(resource, status, pending_entries, agent_result=None):
    """The full view of one guest; ``agent_result`` is None when the agent was not asked or did not answer."""
    config, pending = split_pending(pending_entries)
    view = summary_view(resource)
    status = status or {}
    view.update({
        "status": status.get("status", view["status"]),
        "qmpstatus": status.get("qmpstatus"),
        "lock": status.get("lock") or config.get("lock") or view["lock"],
        "uptime": int(status.get("uptime", view["uptime"]) or 0),
        "name": config.get("name", view["name"]),
        "template": bool(qc.parse_bool(config.get("template", view["template"]))),
        "tags": sorted(_guest_tags(config.get("tags") or "")),
        "description": _description(config.get("description")),
        "restored_from": qc.split_restore_mark(config.get("description"))[1],
        "onboot": bool(qc.parse_bool(config.get("onboot", 0))),
        "protection": bool(qc.parse_bool(config.get("protection", 0))),
        "ostype": config.get("ostype"),
    })
    view.update(resources_view(config))
    view["disks"], view["unused_disks"] = disks_view(config)
    view["cdroms"] = cdroms_view(config)
    view["nets"] = nets_view(config)
    view["cloud_init"] = cloud_init_view(config)
    addresses = ipconfig_addresses(view["cloud_init"])
    if agent_result is not None:
        addresses = agent_addresses(agent_result, view["nets"]) + addresses
    view["ip_addresses"] = addresses
    view["ip_address"] = primary_ip(addresses)
    view["agent"] = {"enabled": qc.parse_agent(config.get("agent")), "answered": agent_result is not None}
    view["pending"] = pending
    return view


def resources_view(config):
    cores = int(config.get("cores", 1))
    sockets = int(config.get("sockets", 1))
    memory = qc.parse_memory(config.get("memory")) or 512
    balloon = config.get("balloon")
    return {
        "cores": cores,
        "sockets": sockets,
        "vcpus": int(config.get("vcpus", cores * sockets)),
        "cpu": config.get("cpu"),
        "memory": memory,
        "memory_bytes": memory * 1024 * 1024,
        "balloon": int(balloon) if balloon not in (None, "") else None,
    }


# --- reading ---------------------------------------------------------------------------------------------------------

def check_filters(client, params, deadline=None):
    """jotun_server_info's filters before anything is read: vmids in range, names, tags and pools without property
    string separators, nodes and pools that exist. InputError naming the option."""
    for vmid in params.get("vmid") or []:
        checks.check_vmid(vmid)
    checks.check_list(params.get("name"), "name", lambda v, o: checks.check_plain(v, o, "a server name"))
    checks.check_list(params.get("tags"), "tags", lambda v, o: checks.check_plain(v, o, "a tag"))
    checks.check_list(params.get("node"), "node", checks.check_node)
    checks.check_list(params.get("pool"), "pool", checks.check_pool)
    checks.check_nodes_exist(client, params.get("node"), deadline=deadline)
    if params.get("pool"):
        known = pool_ids(client, deadline=deadline)
        for pool in params["pool"]:
            if pool not in known:
                raise InputError("pool: there is no resource pool %r (pools: %s)" % (pool, ", ".join(known) or "none"),
                                 option="pool")


def gather_servers(client, vmids=None, names=None, tags=None, nodes=None, pools=None, details=True, agent=True,
                   deadline=None, firewall=False):
    """Every matching guest's view: one cluster listing, then per guest status + pending (+ agent when running)
    (+ with ``firewall`` its own firewall, server/firewall.py read()/view(): options, IP sets, rules). With
    ``names``, guests the listing shows without a name (not broadcast yet) are named by their config first."""
    guests = client.get("/cluster/resources", params={"type": "vm"}, deadline=deadline) or []
    if names:
        # selected by name: a guest the listing shows without its name (made, cloned or restored since pvestatd's
        # last broadcast, every ~10 s) is named by its config (cluster.resolve_names: one GET .../config each)
        guests = [guest for guest in resolve_names(client, guests, deadline=deadline) if not guest.get("vanished")]
    selected = select_guests(guests, vmids=vmids, names=names, tags=tags, nodes=nodes, pools=pools)
    if not details:
        return [summary_view(guest) for guest in without_reservations(client, selected, deadline=deadline)]
    views = [read_server(client, guest, agent=agent, deadline=deadline) for guest in selected]
    # a guest listed without a name yet is named by its config now: a reservation is left out here
    kept = [index for index, shown in enumerate(views) if not is_reservation_name(shown.get("name"))]
    selected, views = [selected[i] for i in kept], [views[i] for i in kept]
    if firewall:
        for guest, shown in zip(selected, views):
            shown["firewall"] = guest_firewall.view(guest_firewall.read(client, guest, deadline=deadline))
    return views


def without_reservations(client, selected, deadline=None):
    """``selected`` (listing entries) without the rebuild reservations among those the listing shows without a name
    (made since pvestatd's last broadcast): their config names them (``GET .../config``, one request each such
    guest; none when every guest is named). A guest gone meanwhile is left out too."""
    kept = []
    for guest in selected:
        if not guest.get("name") and guest.get("type", "qemu") == "qemu":
            config = read_config_or_none(client, guest["node"], guest["vmid"], deadline=deadline)
            if config is None or is_reservation_name(config.get("name")):
                continue
        kept.append(guest)
    return kept


def read_server(client, resource, agent=True, deadline=None):
    base = api_path("nodes", resource["node"], "qemu", str(resource["vmid"]))
    status = client.get(base + "/status/current", deadline=deadline)
    entries = client.get(base + "/pending", deadline=deadline)
    agent_result = None
    config = split_pending(entries)[0]
    if agent and (status or {}).get("status") == "running" and qc.parse_agent(config.get("agent")):
        agent_result = read_agent_interfaces(client, resource["node"], resource["vmid"])
    return server_view(resource, status, entries, agent_result)


def read_agent_interfaces(client, node, vmid):
    """The agent's interfaces, or None when it does not answer (not installed, not started, timed out)."""
    return guest_agent.network_interfaces_or_none(client, node, vmid)
