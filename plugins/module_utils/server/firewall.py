# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A server's own firewall: jotun_server ``firewall`` as a dict, jotun_server_info ``firewall``, and what a rebuild
carries of it.

Proxmox VE keeps a guest's firewall in ``/etc/pve/firewall/<vmid>.fw`` (pve-firewall src/PVE/Firewall.pm,
API in src/PVE/API2/Firewall/{VM,IPSet,Rules}.pm, the same on 7.4, 8.x and 9.x), reached through
``/nodes/{node}/qemu/{vmid}/firewall/``:

- ``options`` (GET/PUT, with a digest): ``enable`` (default 0), ``ipfilter`` (0), ``macfilter`` (1), ``policy_in``
  (DROP), ``policy_out`` (ACCEPT), log levels, dhcp/ndp/radv. Absent keys take those defaults.
- IP sets (``ipset``, ``ipset/{name}``, ``ipset/{name}/{cidr}``): ``ipfilter-net0`` is the anti-spoofing set of
  net0: when it exists, whatever the ``ipfilter`` option says, net0 may only send from its addresses (Firewall.pm:
  ``if $options->{ipfilter} || $vmfw_conf->{ipset}->{$ipfilter_name}``). Entries are stored normalised (``/32``
  and ``/128`` dropped, a network's host bits cleared); a non-empty set is deleted only with ``force``.
- ``rules`` (GET, POST, ``rules/{pos}`` GET/PUT/DELETE): an ordered list; POST always puts the new rule at
  position 0 (``pos`` is ignored) and a rule without ``enable`` is created disabled.

The module owns, when ``firewall`` is a dict: the options it names, the set ``ipfilter-net0`` (with ``ipfilter``)
and, with ``rules``, the whole rule list (rules not listed are deleted; the order is the list's). Everything else
(other IP sets, aliases, options not named) is left as it is. A destroy removes the file (qemu-server destroy, with
or without purge), a clone copies the template's: ``capture``/``restore`` give a rebuilt server its old firewall.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError

IPFILTER_SET = "ipfilter-net0"
IPFILTER_COMMENT = "jotun: the addresses of net0 (ipconfig0)"
POLICIES = ("ACCEPT", "REJECT", "DROP")
ACTIONS = ("ACCEPT", "REJECT", "DROP")
DIRECTIONS = ("in", "out")
KEYS = ("enabled", "ipfilter", "macfilter", "policy_in", "policy_out", "rules")
RULE_KEYS = ("action", "direction", "type", "proto", "dport", "sport", "source", "dest", "comment", "enabled")
MAX_RULES = 100
# Proxmox VE's defaults for an absent option (pve-firewall $vm_option_properties and the chain it builds)
DEFAULTS = {"enable": 0, "ipfilter": 0, "macfilter": 1, "policy_in": "DROP", "policy_out": "ACCEPT"}
# the rule properties the API takes (pve-firewall $rule_properties, pos aside)
API_RULE_KEYS = ("type", "action", "macro", "iface", "source", "dest", "proto", "enable", "sport", "dport", "comment",
                 "log", "icmp-type")
# protocols whose rules may name ports ($PROTOCOLS_WITH_PORTS)
PORT_PROTOCOLS = frozenset(["tcp", "udp", "udplite", "dccp", "sctp", "6", "17", "33", "132", "136"])
# /etc/protocols names a rule may use (numbers 0-255 too)
PROTOCOLS = frozenset(["tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "sctp", "udplite", "dccp", "gre", "esp", "ah",
                       "igmp", "ipip", "ipv6", "ospf", "vrrp", "pim", "l2tp", "etherip", "ipencap"])
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9\-_]+\Z")
_IPSET_REF = re.compile(r"^\+(guest/|dc/|sdn/)?([A-Za-z][A-Za-z0-9\-_]+)\Z")
_ALIAS_REF = re.compile(r"^(guest/|dc/)?([A-Za-z][A-Za-z0-9\-_]+)\Z")
_PORT_ITEM = re.compile(r"^(\d+)(?::(\d+))?\Z")


# --- validation (before any request) --------------------------------------------------------------------------------

def is_dict(value):
    return isinstance(value, dict)


def net_flag(value):
    """The ``firewall`` flag of net0 for the ``firewall`` option: None (not given), its bool, or for a dict its
    ``enabled`` (default true): a guest firewall switched off takes net0 off the firewall bridge as well."""
    if value is None:
        return None
    if is_dict(value):
        enabled = value.get("enabled")
        return True if enabled is None else bool(qc.parse_bool(enabled, "firewall.enabled"))
    return bool(qc.parse_bool(value, "firewall"))


def _bool(spec, key):
    if spec.get(key) is None:
        return None
    return bool(qc.parse_bool(spec[key], "firewall.%s" % key))


def validate(value, ipconfig=None):
    """``firewall`` checked and normalised. Returns None (not given), a bool (the net0 flag alone, as before) or a
    dict ``{enabled: bool, ipfilter: bool|None, macfilter: bool|None, policy_in/out: str|None, rules: list|None}``
    whose rules are API rule dicts (``type``, ``action``, ``enable`` and the properties given).

    ``ipconfig``: the normalised ``ipconfig`` option (list of {ip, gw, ip6, gw6}) when given: ``ipfilter`` needs
    static addresses on net0. InputError naming ``firewall.<key>`` (``firewall.rules[N].<key>``)."""
    if value is None:
        return None
    if not is_dict(value):
        try:
            return bool(qc.parse_bool(value, "firewall"))
        except InputError:
            raise InputError("firewall: must be true, false or a dict with %s; got %r" % (", ".join(KEYS), value),
                             option="firewall")
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise InputError("firewall.%s: unknown key (firewall takes %s)" % (unknown[0], ", ".join(KEYS)),
                         option="firewall.%s" % unknown[0])
    spec = {"enabled": net_flag(value)}
    for key in ("ipfilter", "macfilter"):
        spec[key] = _bool(value, key)
    for key in ("policy_in", "policy_out"):
        policy = value.get(key)
        if policy is not None:
            policy = str(policy).upper()
            if policy not in POLICIES:
                raise InputError("firewall.%s: must be one of %s, got %r" % (key, ", ".join(POLICIES), value[key]),
                                 option="firewall.%s" % key)
        spec[key] = policy
    rules = value.get("rules")
    if rules is not None:
        if not isinstance(rules, list):
            raise InputError("firewall.rules: must be a list of rules (dicts with action, direction, proto, dport, "
                             "source, ...), got %r" % (rules,), option="firewall.rules")
        if len(rules) > MAX_RULES:
            raise InputError("firewall.rules: at most %d rules, got %d" % (MAX_RULES, len(rules)),
                             option="firewall.rules")
        rules = [_rule(item, index) for index, item in enumerate(rules)]
    spec["rules"] = rules
    if spec["ipfilter"] and ipconfig:
        static_addresses(ipconfig[0], "firewall.ipfilter")
    return spec


def _rule(item, index):
    where = "firewall.rules[%d]" % index
    if not is_dict(item):
        raise InputError("%s: must be a dict (action, direction, proto, dport, sport, source, dest, comment, "
                         "enabled), got %r" % (where, item), option="firewall.rules")
    unknown = sorted(set(item) - set(RULE_KEYS))
    if unknown:
        known = ", ".join(k for k in RULE_KEYS if k != "type")
        raise InputError("%s: unknown key(s) %s (use %s)" % (where, ", ".join(str(k) for k in unknown), known),
                         option="firewall.rules")
    action = str(item.get("action") or "").upper()
    if action not in ACTIONS:
        raise InputError("%s.action: must be one of %s, got %r" % (where, ", ".join(ACTIONS), item.get("action")),
                         option="firewall.rules")
    direction = item.get("direction", item.get("type"))
    if item.get("direction") is not None and item.get("type") is not None and item["direction"] != item["type"]:
        raise InputError("%s: direction and type are the same thing; give one" % where, option="firewall.rules")
    direction = "in" if direction is None else str(direction).lower()
    if direction not in DIRECTIONS:
        raise InputError("%s.direction: must be in or out, got %r" % (where, item.get("direction", item.get("type"))),
                         option="firewall.rules")
    rule = {"type": direction, "action": action,
            "enable": 1 if qc.parse_bool(True if item.get("enabled") is None else item["enabled"],
                                         where + ".enabled") else 0}
    proto = item.get("proto")
    if proto not in (None, ""):
        proto = str(proto).lower()
        if proto not in PROTOCOLS and not (proto.isdigit() and int(proto) <= 255):
            raise InputError("%s.proto: %r is not a protocol Proxmox VE knows (tcp, udp, icmp, icmpv6, sctp, gre, esp, "
                             "... or a number 0-255)" % (where, item["proto"]), option="firewall.rules")
        rule["proto"] = proto
    for key in ("dport", "sport"):
        if item.get(key) in (None, ""):
            continue
        rule[key] = _ports(item[key], "%s.%s" % (where, key))
        if rule.get("proto") not in PORT_PROTOCOLS:
            raise InputError("%s.%s: ports need proto tcp, udp, udplite, dccp or sctp (proto is %s)"
                             % (where, key, rule.get("proto") or "not given"), option="firewall.rules")
    families = set()
    for key in ("source", "dest"):
        if item.get(key) in (None, ""):
            continue
        rule[key], family = _addresses(item[key], "%s.%s" % (where, key))
        if family:
            families.add(family)
    if len(families) > 1:
        raise InputError("%s: source and dest mix IPv4 and IPv6" % where, option="firewall.rules")
    if str(item.get("comment") or "").strip():
        comment = str(item["comment"]).strip()      # the .fw file keeps it trimmed (Firewall.pm parse_fw_rule)
        if "\n" in comment or "#" in comment:
            raise InputError("%s.comment: must be one line without '#'" % where, option="firewall.rules")
        rule["comment"] = comment
    return rule


def _ports(value, where):
    """``22``, ``80,443``, ``8000:8100``: numbers 0-65535, ranges low:high (pve-firewall
    parse_port_name_number_or_range; service names are left out: they depend on the node's /etc/services)."""
    text = str(value).replace(" ", "")
    items = text.split(",")
    for part in items:
        match = _PORT_ITEM.match(part)
        if not match:
            raise InputError("%s: %r is not a port list (numbers and ranges like 22, 80,443 or 8000:8100)"
                             % (where, value), option="firewall.rules")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if high > 65535 or low > 65535:
            raise InputError("%s: port %s is above 65535" % (where, max(low, high)), option="firewall.rules")
        if low > high:
            raise InputError("%s: the range %s is backwards (write %d:%d)" % (where, part, high, low),
                             option="firewall.rules")
    return text


def _addresses(value, where):
    """An address, CIDR, range ``a-b`` or comma list of one family, ``+ipset`` or an alias name (pve-firewall
    parse_address_list). Returns (text, family or None). That a named set or alias exists: check_references()."""
    text = str(value).replace(" ", "")
    if text.startswith("+"):
        if not _IPSET_REF.match(text):
            raise InputError("%s: %r is no IP set reference (+name, +dc/name, +guest/name)" % (where, value),
                             option="firewall.rules")
        return text, None
    if _ALIAS_REF.match(text):
        return text, None       # an alias (name, dc/name, guest/name)
    items = text.split(",")
    families = set()
    for part in items:
        ends = part.split("-") if "-" in part else [part]
        if len(ends) > 2 or ("-" in part and len(items) > 1):
            raise InputError("%s: %r: a range (a-b) stands alone" % (where, value), option="firewall.rules")
        for end in ends:
            try:
                families.add(ipaddress.ip_network(end, strict=False).version)
            except ValueError:
                raise InputError("%s: %r is not an address, network (CIDR), range or +ipset" % (where, value),
                                 option="firewall.rules")
    if len(families) > 1:
        raise InputError("%s: %r mixes IPv4 and IPv6" % (where, value), option="firewall.rules")
    return text, families.pop()


def static_addresses(ipconfig, option):
    """The host addresses of one normalised ipconfig ({ip, ip6, ...}) as IP set entries (``203.0.113.10``,
    ``2001:db8::10``: the form Proxmox VE stores). InputError naming ``option`` when a family is dhcp or auto (its
    address is unknown: ipfilter would drop the guest's traffic) or there is no address at all."""
    entries = []
    for key in ("ip", "ip6"):
        value = (ipconfig or {}).get(key)
        if value in (None, ""):
            continue
        if value in ("dhcp", "auto"):
            raise InputError("%s: ipconfig0 has %s=%s, whose address Proxmox VE cannot know; ipfilter would drop "
                             "the server's traffic from it. Give static addresses in ipconfig (or ipfilter: false)"
                             % (option, key, value), option=option)
        entries.append(ipaddress.ip_interface(value).ip.compressed)
    if not entries:
        raise InputError("%s: net0 has no static address in ipconfig0 to allow; give ipconfig" % option, option=option)
    return sorted(entries)


# --- reading ---------------------------------------------------------------------------------------------------------

def _base(guest):
    return api_path("nodes", guest["node"], "qemu", str(guest["vmid"]), "firewall")


def _plain(item, drop=("digest", "pos", "ipversion")):
    return dict((key, value) for key, value in item.items() if key not in drop)


def read(client, guest, deadline=None):
    """The guest's firewall: {"options": {key: value} (set keys only, digest aside), "digest": options digest,
    "ipsets": {name: {"comment": str|None, "entries": [{cidr, nomatch?, comment?}]}}, "rules": [API rule dicts]}.
    2 + (number of IP sets) + 1 GETs."""
    base = _base(guest)
    options = client.get(base + "/options", deadline=deadline) or {}
    ipsets = {}
    for item in client.get(base + "/ipset", deadline=deadline) or []:
        entries = client.get(base + "/ipset/" + api_path(item["name"])[1:], deadline=deadline) or []
        ipsets[item["name"]] = {"comment": item.get("comment"), "entries": [_plain(e) for e in entries]}
    rules = [_plain(rule) for rule in client.get(base + "/rules", deadline=deadline) or []]
    return {"options": _plain(options), "digest": options.get("digest"), "ipsets": ipsets, "rules": rules}


def empty_state():
    """A firewall with nothing set, shaped like read(): what a server not built yet is previewed with in check mode
    (a clone copies its template's firewall, which templates rarely have)."""
    return {"options": {}, "digest": None, "ipsets": {}, "rules": []}


def effective_options(options):
    """Options with Proxmox VE's defaults for those not set; booleans as bool."""
    merged = dict(DEFAULTS)
    merged.update(options or {})
    for key in ("enable", "ipfilter", "macfilter"):
        merged[key] = bool(qc.parse_bool(merged[key]))
    return merged


def view(state):
    """What jotun_server and jotun_server_info report: {enabled, ipfilter, macfilter, policy_in, policy_out,
    options (as set, raw), ipsets {name: [cidr, ...]}, rules [{pos, direction, action, enabled, proto, dport, sport,
    source, dest, comment, ...}]}."""
    options = effective_options(state["options"])
    rules = []
    for pos, rule in enumerate(state["rules"]):
        shown = {"pos": pos, "direction": rule.get("type"), "action": rule.get("action"),
                 "enabled": bool(int(rule.get("enable") or 0))}
        for key in API_RULE_KEYS:
            if key not in ("type", "action", "enable") and rule.get(key) not in (None, ""):
                shown[key.replace("-", "_")] = rule[key]
        rules.append(shown)
    return {"enabled": options["enable"], "ipfilter": options["ipfilter"], "macfilter": options["macfilter"],
            "policy_in": options["policy_in"], "policy_out": options["policy_out"], "options": dict(state["options"]),
            "ipsets": dict((name, [_entry_text(e) for e in ipset["entries"]]) for name, ipset in state["ipsets"].items()),
            "rules": rules}


def _entry_text(entry):
    return ("!" if entry.get("nomatch") else "") + entry["cidr"]


# --- planning and writing ------------------------------------------------------------------------------------------

class Writer(object):
    """Sends (or, in check mode, only counts) the firewall writes of one guest; ``changed`` once one is planned."""

    def __init__(self, client, guest, check_mode, deadline):
        self.client = client
        self.base = _base(guest)
        self.check_mode = check_mode
        self.deadline = deadline
        self.changed = False
        self.written = 0        # writes that may have taken effect (sent without a refusal)

    def send(self, method, path, data=None):
        self.changed = True
        if self.check_mode:
            return
        call = {"POST": self.client.post, "PUT": self.client.put, "DELETE": self.client.delete}[method]
        try:
            if method == "DELETE":
                call(self.base + path, params=data, deadline=self.deadline)
            else:
                call(self.base + path, data=data or {}, deadline=self.deadline)
        except ProxmoxError as err:
            if err.unknown:
                self.written += 1
            raise
        self.written += 1


def _ipset_path(name, cidr=None):
    return api_path(*(["ipset", name] + ([cidr] if cidr is not None else [])))


def _option_value(key, value):
    if key in ("enable", "ipfilter", "macfilter", "dhcp", "ndp", "radv"):
        return 1 if qc.parse_bool(value) else 0
    return str(value)


def sync_options(writer, current, wanted, exact=False):
    """PUT the options ``wanted`` (API names, as they should be set) has and ``current`` (as set) has not, or has
    otherwise: an option the run names is written even when it equals Proxmox VE's default (defaults have changed
    between releases: ndp). With ``exact`` the options ``wanted`` leaves out are deleted (a rebuild's restore)."""
    data = {}
    for key, value in sorted(wanted.items()):
        if key not in current or _option_value(key, current[key]) != _option_value(key, value):
            data[key] = _option_value(key, value) if key != "policy_in" and key != "policy_out" else value
    if exact:
        gone = sorted(key for key in current if key not in wanted)
        if gone:
            data["delete"] = ",".join(gone)
    if data:
        writer.send("PUT", "/options", data)
    return data


def _entry_key(entry):
    return (entry["cidr"], bool(entry.get("nomatch")))


def sync_ipset(writer, name, current, wanted, comment=None, with_comments=False):
    """Make IP set ``name`` hold exactly ``wanted`` ([{cidr, nomatch?, comment?}]): create it when missing, add what
    is missing first, then remove what is extra (the set is never empty on the way). ``current``: its entries or
    None when it does not exist."""
    if current is None:
        data = {"name": name}
        if comment:
            data["comment"] = comment
        writer.send("POST", "/ipset", data)
        current = []
    have = dict((_entry_key(e), e) for e in current)
    want = dict((_entry_key(e), e) for e in wanted)
    for key in sorted(set(want) - set(have)):
        entry = want[key]
        data = {"cidr": entry["cidr"]}
        if entry.get("nomatch"):
            data["nomatch"] = 1
        if with_comments and entry.get("comment"):
            data["comment"] = entry["comment"]
        writer.send("POST", _ipset_path(name), data)
    for key in sorted(set(have) - set(want)):
        writer.send("DELETE", _ipset_path(name, have[key]["cidr"]))


def _comparable(rule):
    return dict((key, str(rule[key])) for key in API_RULE_KEYS if rule.get(key) not in (None, ""))


def sync_rules(writer, current, wanted):
    """Make the rule list exactly ``wanted`` (API rule dicts, in order). Extra rules are deleted from the end;
    missing ones are POSTed (each lands at position 0, so they are sent last first); then every position that
    still differs is PUT with the wanted properties and ``delete`` for the others."""
    current = [_comparable(rule) for rule in current]
    wanted = [_comparable(rule) for rule in wanted]
    if current == wanted:
        return
    while len(current) > len(wanted):
        writer.send("DELETE", "/rules/%d" % (len(current) - 1))
        current.pop()
    missing = len(wanted) - len(current)
    for index in range(missing - 1, -1, -1):
        writer.send("POST", "/rules", dict(wanted[index]))
        current.insert(0, wanted[index])
    for pos, (have, want) in enumerate(zip(current, wanted)):
        if have == want:
            continue
        data = dict(want)
        gone = sorted(key for key in have if key not in want)
        if gone:
            data["delete"] = ",".join(gone)
        writer.send("PUT", "/rules/%d" % pos, data)


def plan_state(state, spec, ipconfig):
    """The firewall state ``spec`` (validate()'s dict) asks for, from ``state`` (read()): a copy with the options,
    the ipfilter set and the rules it names replaced. ``ipconfig``: the server's ipconfig0 as configured."""
    wanted = {"options": dict(state["options"]), "ipsets": dict(state["ipsets"]), "rules": list(state["rules"])}
    options = wanted["options"]
    options["enable"] = 1 if spec["enabled"] else 0
    for key in ("ipfilter", "macfilter"):
        if spec.get(key) is not None:
            options[key] = 1 if spec[key] else 0
    for key in ("policy_in", "policy_out"):
        if spec.get(key) is not None:
            options[key] = spec[key]
    if spec.get("ipfilter"):
        entries = [{"cidr": cidr} for cidr in static_addresses(ipconfig, "firewall.ipfilter")]
        old = state["ipsets"].get(IPFILTER_SET) or {}
        wanted["ipsets"][IPFILTER_SET] = {"comment": old.get("comment") or IPFILTER_COMMENT, "entries": entries}
    elif spec.get("ipfilter") is False:
        wanted["ipsets"].pop(IPFILTER_SET, None)
    if spec.get("rules") is not None:
        wanted["rules"] = [dict(rule) for rule in spec["rules"]]
    return wanted


def apply_state(writer, state, wanted, exact=False):
    """Write what differs between ``state`` and ``wanted`` (both shaped like read()). Order: IP sets created and
    filled first (a rule or the ipfilter option may name them), options, rules, then IP sets deleted. ``exact``:
    every option, set and entry comment as ``wanted`` has them (a rebuild's restore); else only the options
    ``wanted`` sets, the ipfilter set and the rules."""
    names = sorted(set(wanted["ipsets"]) | set(state["ipsets"]))
    for name in names:
        if name not in wanted["ipsets"]:
            continue
        have = state["ipsets"].get(name)
        want = wanted["ipsets"][name]
        if have is not None and sorted(map(_entry_key, have["entries"])) == sorted(map(_entry_key, want["entries"])):
            continue
        sync_ipset(writer, name, None if have is None else have["entries"], want["entries"], comment=want.get("comment"),
                   with_comments=exact)
    sync_options(writer, state["options"], wanted["options"], exact=exact)
    sync_rules(writer, state["rules"], wanted["rules"])
    for name in names:
        if name in state["ipsets"] and name not in wanted["ipsets"]:
            writer.send("DELETE", _ipset_path(name), {"force": 1})


def diff_view(state):
    """The part of a firewall state a diff shows: options as set, IP sets as texts, rules one line each."""
    shown = view(state)
    return {"options": dict((k, v) for k, v in effective_options(state["options"]).items()),
            "ipsets": shown["ipsets"], "rules": [_rule_line(rule) for rule in state["rules"]]}


def _rule_line(rule):
    """``IN ACCEPT -p tcp -dport 22 -source 198.51.100.0/24 # ssh`` as in the .fw file (``|`` when disabled)."""
    text = ("" if int(rule.get("enable") or 0) else "|") + str(rule.get("type", "")).upper() + " "
    text += ("%s(%s)" % (rule["macro"], rule.get("action")) if rule.get("macro") else str(rule.get("action")))
    for key, flag in (("iface", "-i"), ("source", "-source"), ("dest", "-dest"), ("proto", "-p"), ("dport", "-dport"),
                      ("sport", "-sport"), ("log", "-log"), ("icmp-type", "-icmp-type")):
        if rule.get(key) not in (None, ""):
            text += " %s %s" % (flag, rule[key])
    if rule.get("comment"):
        text += " # %s" % rule["comment"]
    return text


# --- jotun_server hooks ------------------------------------------------------------------------------------------------

def preflight(run):
    """Before any write: the IP sets and aliases the rules name exist (check_references), and
    ``firewall.ipfilter`` needs static addresses in net0's ipconfig0 - the ``ipconfig`` given
    (checked by validate()), else the server's (read here; the config read is reused by the run), else for a new
    server InputError asking for ``ipconfig``."""
    spec = run.extras.get("firewall")
    if not is_dict(spec) or run.params["state"] == "absent":
        return
    guest = run.guest
    check_references(run.client, guest, spec, deadline=run.deadline)
    if not spec.get("ipfilter"):
        return
    existing = guest is not None and guest.get("lock") not in ("clone", "create")
    config = None
    if existing:
        config = run.config if run.config is not None else run.read_config()
    check_extra_nics(config, run.extras.get("networks"), run.params)
    if run.extras.get("ipconfig"):
        return
    if guest is None:
        raise InputError("firewall.ipfilter: a new server needs ipconfig with its static addresses (ipfilter allows "
                         "net0 to send from them only)", option="firewall.ipfilter")
    if config is not None:
        static_addresses(_ipconfig0(config), "firewall.ipfilter")


def check_extra_nics(config, networks, params):
    """``ipfilter`` and NICs besides net0 on the firewall: with the ``ipfilter`` option on, pve-firewall gives every
    NIC with ``firewall=1`` that has no ``ipfilter-netN`` set an implicit one holding only its link-local address
    (Firewall.pm ``$implicit_sets``), so netN could send no IPv4 at all; this module fills ``ipfilter-net0`` alone.
    InputError naming ``firewall.ipfilter`` when a NIC the run leaves (``config``: the server's, None for a new one)
    or sets up (``networks``: nics.validate()'s entries) would be such a NIC."""
    listed = dict((entry["index"], entry) for entry in networks or [])
    indexes = set(listed)
    if config is not None:
        for index, key in qc.indexed_keys(config, "net"):
            if index >= 1 and not (params.get("remove_unlisted_networks") and networks is not None
                                   and index not in listed):
                indexes.add(index)
    for index in sorted(indexes):
        entry = listed.get(index) or {}
        flag = entry.get("firewall")
        if flag is None and config is not None and config.get("net%d" % index):
            flag = qc.parse_net(config["net%d" % index]).get("firewall")
        if flag and qc.parse_bool(flag):
            raise InputError("firewall.ipfilter: net%d is on the firewall (firewall=1); with ipfilter on, Proxmox VE "
                             "lets it send only from its own set ipfilter-net%d, which jotun_server does not fill (only "
                             "ipfilter-net0), so net%d would lose its IPv4 traffic. Set firewall: false on net%d (%s) "
                             "or ipfilter: false" % (index, index, index, index,
                                                     entry.get("where") or "networks entry with index %d" % index),
                             option="firewall.ipfilter")


def _references(spec):
    """[(where, kind "ipset"|"alias", scope "guest/"|"dc/"|"sdn/"|"", name)] the rules of ``spec`` name."""
    found = []
    for index, rule in enumerate(spec.get("rules") or []):
        for key in ("source", "dest"):
            value = rule.get(key) or ""
            ipset, alias = _IPSET_REF.match(value), _ALIAS_REF.match(value)
            if ipset:
                found.append(("firewall.rules[%d].%s" % (index, key), "ipset", ipset.group(1) or "", ipset.group(2)))
            elif alias:
                found.append(("firewall.rules[%d].%s" % (index, key), "alias", alias.group(1) or "", alias.group(2)))
    return found


def check_references(client, guest, spec, deadline=None):
    """The IP sets and aliases the rules name exist (pve-firewall verify_rule looks in the guest's firewall, then the
    cluster's; ``+dc/``/``dc/`` only the cluster's, ``+guest/``/``guest/`` only the guest's; alias names are case
    insensitive), before anything is written: ``GET /cluster/firewall/ipset`` and ``/aliases``, and the guest's
    ``firewall/ipset`` and ``firewall/aliases`` (``guest`` None: a server not built yet has none but
    ``ipfilter-net0`` when ``ipfilter`` makes it). InputError naming the rule's key. ``sdn/`` sets are not checked."""
    wanted = _references(spec)
    if not wanted:
        return
    names = {"ipset": {"dc/": set(), "guest/": set()}, "alias": {"dc/": set(), "guest/": set()}}
    for kind in ("ipset", "alias"):
        path = "/cluster/firewall/" + ("ipset" if kind == "ipset" else "aliases")
        names[kind]["dc/"] = set(item["name"].lower() if kind == "alias" else item["name"]
                                 for item in client.get(path, deadline=deadline) or [])
        if guest is not None:
            items = client.get(_base(guest) + "/" + ("ipset" if kind == "ipset" else "aliases"), deadline=deadline)
            names[kind]["guest/"] = set(item["name"].lower() if kind == "alias" else item["name"] for item in items or [])
    if spec.get("ipfilter"):
        names["ipset"]["guest/"].add(IPFILTER_SET)
    elif spec.get("ipfilter") is False:
        names["ipset"]["guest/"].discard(IPFILTER_SET)      # the run deletes it (pve-firewall checks no rule then)
    for where, kind, scope, name in wanted:
        if scope == "sdn/":
            continue
        key = name.lower() if kind == "alias" else name
        scopes = [scope] if scope else ["guest/", "dc/"]
        if not any(key in names[kind][each] for each in scopes):
            known = sorted(names[kind]["guest/"] | names[kind]["dc/"])
            raise InputError("%s: there is no %s %r %s (known: %s)"
                             % (where, "IP set" if kind == "ipset" else "alias", name,
                                {"dc/": "in the cluster's firewall", "guest/": "in the server's firewall"}.get(
                                    scope, "in the server's or the cluster's firewall"), ", ".join(known) or "none"),
                             option="firewall.rules")


def _ipconfig0(config):
    return qc.parse_ipconfig(config["ipconfig0"]) if (config or {}).get("ipconfig0") else {}


def capture(run):
    """A rebuild, before the destroy (which deletes the firewall file): the old guest's whole firewall, kept in
    ``run.carried["firewall"]``."""
    run.carried["firewall"] = read(run.client, run.guest, deadline=run.deadline)


def ensure(run):
    """jotun_server's firewall step (after the config, before power): a rebuilt server gets its old firewall back
    exactly (the template's, which the clone copied, replaced), then the ``firewall`` dict is applied. Records
    ``changed``, the diff (``firewall``: options, ipsets, rules before/after) and ``run.firewall`` (view())."""
    spec = run.extras.get("firewall")
    carried = (run.carried or {}).get("firewall") if run.created else None
    if not is_dict(spec) and carried is None:
        return
    run.step = "firewall"
    writer = Writer(run.client, run.guest, run.check_mode, run.deadline)
    if run.check_mode and run.created:
        state = empty_state()       # check mode, a server not built yet: no vmid, no firewall to read
    else:
        state = read(run.client, run.guest, deadline=run.deadline)
    before = state if carried is None else carried      # a rebuilt server's is the old server's
    try:
        if carried is not None:
            apply_state(writer, state, carried, exact=True)
            state = carried
        wanted = state
        if is_dict(spec):
            wanted = plan_state(state, spec, _ipconfig0(run.config))
            apply_state(writer, state, wanted)
    except ProxmoxError:
        if writer.written:
            run.changed = True          # part of the firewall was written before the failure
        raise
    if writer.changed:
        run.changed = True
        if diff_view(before) != diff_view(wanted):
            run.diff.add("firewall", diff_view(before), diff_view(wanted))
        if not run.check_mode:
            try:
                wanted = read(run.client, run.guest, deadline=run.deadline)
            except ProxmoxError:
                pass
    run.firewall = view(wanted)
