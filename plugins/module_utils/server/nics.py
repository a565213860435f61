# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""jotun_server's extra network devices: the ``networks`` option (``net1`` .. ``net31``, each with its own
``ipconfigN``) and ``remove_unlisted_networks``.

``net0`` stays driven by the ``bridge``/``vlan``/``rate_limit``/``mac``/``firewall`` options (server/spec.py).
``validate()`` checks the entries without the cluster; ``check_build()`` and ``check_bridges()`` check them against
the node's bridges (``GET /nodes/{node}/network?type=any_bridge``) before any write; ``plan()`` adds the differences
to spec.py's ConfigPlan. A NIC's MAC and model are never changed unless given (Proxmox VE generates the MAC of a new
NIC: qemu-server ``parse_net``, ``random_ether_addr``). No API write here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils import validate as checks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path

OPTION = "networks"
REMOVE_OPTION = "remove_unlisted_networks"
# qemu-server $MAX_NETS (PVE/QemuServer.pm): net0 .. net31 on every release 7.4 .. 9.1; net0 is not ours
MAX_NETS = 32
# qemu-server $nic_model_list (PVE/QemuServer.pm on 7.x, PVE/QemuServer/Network.pm on 9.x): the same on every release
MODELS = qc.NET_MODELS
_FIELDS = ("bridge", "vlan", "rate_limit", "firewall", "model", "mac", "ipconfig")


def argument_spec():
    """``networks`` (list of dicts) and ``remove_unlisted_networks`` for the module's argument spec."""
    return {
        OPTION: {"type": "list", "elements": "dict", "options": {
            "index": {"type": "int"},
            "bridge": {"type": "str"},
            "vlan": {"type": "int"},
            "rate_limit": {"type": "float"},
            "firewall": {"type": "bool"},
            "model": {"type": "str"},
            "mac": {"type": "str"},
            "ipconfig": {"type": "raw"},
        }},
        REMOVE_OPTION: {"type": "bool", "default": False},
    }


def _fail(where, text):
    raise InputError("%s: %s" % (where, text), option=OPTION)


def validate(params, ipconfig=None, bridge_ok=None, mac0=None):
    """Check ``networks`` (and ``remove_unlisted_networks``) without the cluster; InputError naming ``networks``.

    ``bridge_ok(name)``: the ``bridge`` option's name rule (server/spec.py). ``ipconfig``: the normalised
    ``ipconfig`` list (spec.validate's), which sets ipconfig0, ipconfig1, ... by position: a NIC's ``ipconfig``
    given both there and in its ``networks`` entry is refused. ``mac0``: the normalised ``mac`` option (net0's),
    which no entry may repeat. Returns None when ``networks`` is not given, else a list of entries {"index" (N of
    netN), "where" (``networks[i]``), "bridge", "tag" (int, 0 = no tag), "rate" (float MB/s, 0 = no limit),
    "firewall" (bool), "model", "macaddr" (upper case), "ipconfig" (the normalised dict)} with None for what was
    not given.
    """
    networks = params.get(OPTION)
    if networks is None:
        if params.get(REMOVE_OPTION):
            raise InputError("%s: give networks with it (the NICs to keep besides net0; an empty list removes "
                             "every NIC but net0)" % REMOVE_OPTION, option=REMOVE_OPTION)
        return None
    entries, seen, macs = [], {}, {mac0: "mac (net0)"} if mac0 else {}
    for position, item in enumerate(networks):
        where = "%s[%d]" % (OPTION, position)
        if not isinstance(item, dict):
            _fail(where, "expected a dict (bridge, vlan, rate_limit, firewall, model, mac, ipconfig)")
        index = item.get("index")
        index = position + 1 if index is None else index
        if index < 1 or index >= MAX_NETS:
            _fail(where + ".index", "%s is out of range: extra NICs are net1 .. net%d (net0 is set by bridge, vlan, "
                  "rate_limit, mac and firewall)" % (index, MAX_NETS - 1))
        if index in seen:
            _fail(where + ".index", "net%d is listed twice (also %s); an entry without index is net<position + 1>"
                  % (index, seen[index]))
        seen[index] = where
        entry = {"index": index, "where": where}
        for field in _FIELDS:
            entry[field] = item.get(field)
        if entry["bridge"] is not None:
            if bridge_ok is not None and not bridge_ok(entry["bridge"]):
                _fail(where + ".bridge", "%r is not a bridge name (letters, digits, '-', '_' and '.', at most 15 "
                      "characters, like vmbr1)" % entry["bridge"])
        if entry["vlan"] is not None and not 0 <= entry["vlan"] <= 4094:
            _fail(where + ".vlan", "must be between 1 and 4094 (0 removes the tag), got %s" % entry["vlan"])
        if entry["rate_limit"] is not None and not math.isfinite(entry["rate_limit"]):
            _fail(where + ".rate_limit", "must be a finite number of MB/s, got %s" % entry["rate_limit"])
        if entry["rate_limit"] is not None and entry["rate_limit"] < 0:
            _fail(where + ".rate_limit", "must be at least 0 MB/s (0 removes the limit), got %s" % entry["rate_limit"])
        if entry["model"] is not None and entry["model"] not in MODELS:
            _fail(where + ".model", "%r is not a NIC model Proxmox VE knows (%s)"
                  % (entry["model"], ", ".join(sorted(MODELS))))
        if entry["mac"] is not None:
            try:
                checks.check_plain(entry["mac"], where + ".mac", "a MAC address")
                entry["mac"] = qc.normalise_mac(entry["mac"], option=where + ".mac")
            except InputError as err:
                raise InputError(err.message, option=OPTION)
            if entry["mac"] in macs:
                _fail(where + ".mac", "%s is also the MAC of %s" % (entry["mac"], macs[entry["mac"]]))
            macs[entry["mac"]] = where
        if entry["ipconfig"] is not None:
            try:
                entry["ipconfig"] = qc.ipconfig_from_option(entry["ipconfig"], index=0, option=where + ".ipconfig")
            except InputError as err:
                raise InputError(err.message, option=OPTION)
            if ipconfig is not None and index < len(ipconfig):
                _fail(where + ".ipconfig", "ipconfig%d (of net%d) is also given as ipconfig[%d]; give each NIC's "
                      "ipconfig in one place - in its networks entry, or by position in ipconfig"
                      % (index, index, index))
        entries.append(_api_entry(entry))
    return entries


def _api_entry(entry):
    return {"index": entry["index"], "where": entry["where"], "bridge": entry["bridge"], "tag": entry["vlan"],
            "rate": entry["rate_limit"], "firewall": entry["firewall"], "model": entry["model"],
            "macaddr": entry["mac"], "ipconfig": entry["ipconfig"]}


def ipconfig_kept(entries):
    """The N of the ipconfigN the ``ipconfig`` list must not delete beyond its length: with ``networks`` given
    (``entries`` not None) none - extra NICs' ipconfigN are set by their entries and deleted with their NIC
    (``remove_unlisted_networks``), an unlisted NIC keeps its own; without, today's rule stands (all beyond go)."""
    return range(MAX_NETS) if entries is not None else ()


def extra_keys(config):
    """[(N, "netN")] for the NICs of ``config`` besides net0."""
    return [(n, key) for n, key in qc.indexed_keys(config or {}, "net") if n >= 1]


# --- planning ------------------------------------------------------------------------------------------------------

def wanted_net(entry, current):
    """The parse_net dict ``entry`` asks for, from ``current`` (parse_net of the NIC, or None for a new one): what
    is not given stays (MAC, model, mtu, queues, ...); ``vlan`` 0 and ``rate_limit`` 0 remove tag and rate.
    InputError naming ``networks`` when a new NIC has no bridge."""
    if current is None:
        if not entry.get("bridge"):
            _fail(entry["where"] + ".bridge", "net%d does not exist yet; a new NIC needs its bridge" % entry["index"])
        merged = {"model": "virtio", "macaddr": None}
    else:
        merged = dict(current)
    for key in ("bridge", "model", "macaddr", "tag", "rate", "firewall"):
        if entry.get(key) is not None:
            merged[key] = entry[key]
    if merged.get("tag") == 0:
        merged["tag"] = None
    if merged.get("rate") is not None:
        merged["rate"] = float(merged["rate"]) or None
    return merged


def plan(config_plan, config, params, entries):
    """Add to ``config_plan`` (spec.ConfigPlan) what ``entries`` (validate()'s) change in ``config`` (pending
    applied): netN added (Proxmox VE gives it a MAC unless ``mac``) or changed in place keeping what is not given,
    ipconfigN set, and with ``remove_unlisted_networks`` every other netN (N >= 1) and its ipconfigN deleted (the
    ipconfigN only when the ``ipconfig`` list does not set it)."""
    if entries is None:
        return
    _check_macs(config, params, entries)
    listed = set()
    for entry in entries:
        key = "net%d" % entry["index"]
        listed.add(entry["index"])
        current = qc.parse_net(config[key]) if config.get(key) else None
        merged = wanted_net(entry, current)
        if current is None or not qc.net_equal(current, merged):
            config_plan.set(key, qc.format_net(merged), qc.format_net(current) if current else None,
                            qc.format_net(merged))
        if entry.get("ipconfig") is not None:
            ipkey = "ipconfig%d" % entry["index"]
            have = qc.parse_ipconfig(config[ipkey]) if config.get(ipkey) else None
            if have != entry["ipconfig"]:
                config_plan.set(ipkey, qc.format_ipconfig(entry["ipconfig"]),
                                qc.format_ipconfig(have) if have else None, qc.format_ipconfig(entry["ipconfig"]),
                                cloudinit=True)
    if not params.get(REMOVE_OPTION):
        return
    by_list = len(params.get("ipconfig") or []) if params.get("ipconfig") is not None else 0
    for index, key in extra_keys(config):
        if index in listed:
            continue
        config_plan.remove(key, config[key])
        ipkey = "ipconfig%d" % index
        if config.get(ipkey) and index >= by_list and ipkey not in config_plan.delete:
            config_plan.remove(ipkey, config[ipkey], cloudinit=True)


def _check_macs(config, params, entries):
    """An entry's ``mac`` must not be the MAC another NIC of the server keeps (net0 unless ``mac`` changes it, a NIC
    not listed unless ``remove_unlisted_networks`` deletes it, a listed one unless its entry gives another MAC):
    Proxmox VE takes two NICs with one MAC, and the guest's network breaks. InputError naming ``networks``."""
    listed = dict((entry["index"], entry) for entry in entries)
    kept = {}
    for index, key in qc.indexed_keys(config or {}, "net"):
        if index == 0 and params.get("mac"):
            continue
        if index >= 1 and index not in listed and params.get(REMOVE_OPTION):
            continue
        if index in listed and listed[index].get("macaddr"):
            continue
        mac = qc.parse_net(config[key]).get("macaddr")
        if mac:
            kept[mac.upper()] = key
    for entry in entries:
        mac = entry.get("macaddr")
        other = kept.get((mac or "").upper())
        if other and other != "net%d" % entry["index"]:
            _fail(entry["where"] + ".mac", "%s is the MAC of %s of the server already; two NICs with one MAC break "
                  "the guest's network" % (mac, other))


# --- checks against the node ---------------------------------------------------------------------------------------

def node_bridges(client, node, deadline=None):
    """{name: entry} of ``GET /nodes/{node}/network?type=any_bridge`` (Linux and OVS bridges, SDN vnets from 8.x)."""
    entries = client.get(api_path("nodes", node, "network"), params={"type": "any_bridge"}, deadline=deadline)
    return dict((str(e["iface"]), e) for e in entries or [] if e.get("iface"))


def _check_entry_bridge(where, bridge, tag, node, bridges):
    """A NIC on ``bridge`` with VLAN ``tag`` (0/None: none) must be pluggable on ``node``.

    Proxmox VE takes any bridge name in the config and fails only when the NIC is plugged (start or hot-plug):
    "bridge 'X' does not exist". A tag on a Linux bridge that is not VLAN-aware is not an error there: pve-common
    ``PVE::Network::tap_plug`` builds a "traditional" VLAN bridge ``<bridge>v<tag>`` over the bridge's physical
    ports (``activate_bridge_vlan``), which dies "no physical interface on bridge" when it has none. So that case
    alone is refused; OVS bridges and SDN vnets take tags their own way."""
    if bridge not in bridges:
        _fail(where + ".bridge", "%r is not a bridge of %s (%s has %s)"
              % (bridge, node, node, ", ".join(sorted(bridges)) or "none"))
    if not tag:
        return
    entry = bridges[bridge]
    if entry.get("type") != "bridge" or qc.parse_bool(entry.get("bridge_vlan_aware") or 0):
        return
    ports = [p for p in str(entry.get("bridge_ports") or "").split() if p != "none"]
    if not ports:
        _fail(where + ".vlan", "bridge %s on %s is not VLAN-aware and has no physical port, so Proxmox VE cannot "
              "plug a NIC with VLAN tag %s into it ('no physical interface on bridge'); use a VLAN-aware bridge or no "
              "tag" % (bridge, node, tag))


def check_build(client, node, entries, template_config, carried=None, deadline=None):
    """Before a new server's clone (or a rebuild's destroy): every entry's bridge exists on ``node`` (with its VLAN
    tag pluggable there), and an entry without bridge names a NIC the server will have - the template's
    (``template_config``) or, for a rebuild, the old server's (``carried``, server/carry.py capture()). InputError
    naming ``networks``; reads the node's bridges once."""
    if not entries:
        return
    config = dict(template_config or {})
    config.update((carried or {}).get("settings") or {})
    for entry in entries:
        if not entry.get("bridge") and not config.get("net%d" % entry["index"]):
            _fail(entry["where"] + ".bridge", "net%d does not exist yet; a new NIC needs its bridge" % entry["index"])
    given = [e for e in entries if e.get("bridge")]
    if not given:
        return
    bridges = node_bridges(client, node, deadline=deadline)
    for entry in given:
        _check_entry_bridge(entry["where"], entry["bridge"], entry.get("tag"), node, bridges)


def check_bridges(client, node, entries, config_plan, deadline=None):
    """On an existing server, before the config write: the NICs ``config_plan`` adds or changes have their bridge
    on ``node`` (and a pluggable VLAN tag). InputError naming ``networks``; one read of the node's bridges, none
    when no netN of ``entries`` changes."""
    changing = [e for e in entries or [] if "net%d" % e["index"] in config_plan.updates]
    if not changing:
        return
    bridges = node_bridges(client, node, deadline=deadline)
    for entry in changing:
        net = qc.parse_net(config_plan.updates["net%d" % entry["index"]])
        _check_entry_bridge(entry["where"], net.get("bridge"), net.get("tag"), node, bridges)
