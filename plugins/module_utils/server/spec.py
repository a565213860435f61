# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The jotun_server option table: argument spec, input validation and config comparison from one place.

Each ``ConfigOption`` says which config key a module option drives, how to normalise the wanted value and the
value Proxmox returns, how to format it for the API, and whether it is a cloud-init setting (the drive is
regenerated after such a change). ``plan_config()`` compares a guest config (pending values applied) with the
module parameters and returns only the differences, with before/after for ``--diff``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import math
import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils import agent as guest_agent
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import nics
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import datadisks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import firewall
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import rescue
from ansible_collections.jotunheim.proxmox.plugins.module_utils.sizes import parse_size
from ansible_collections.jotunheim.proxmox.plugins.module_utils import validate as checks

STATES = ["present", "started", "stopped", "restarted", "absent", "rebuilt", "rescued"]
_NAME_RE = re.compile(r"^(?=.{1,63}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*\Z")


class ConfigOption(object):
    """One module option driving one config key."""

    def __init__(self, name, key, kind, normalise, fmt, cloudinit=False, empty_deletes=False, spec=None, default=None,
                 merge=None):
        self.name = name
        self.merge = merge              # (current API value, comparable value) -> API value keeping other properties
        self.default = default          # what an absent key means (Proxmox's own default)
        self.key = key
        self.kind = kind
        self.normalise = normalise      # value (module or API spelling) -> comparable value
        self.format = fmt               # comparable value -> API value
        self.cloudinit = cloudinit
        self.empty_deletes = empty_deletes
        self.spec = spec or {"type": kind}


def _int(value):
    return int(value)


def _text(value):
    return "" if value is None else str(value)


def _float(value):
    return float(value)


def _format_float(value):
    """``1.0`` -> ``"1"``, ``0.5`` -> ``"0.5"`` (Proxmox's ``number`` type takes both)."""
    return "%g" % float(value)


# the built-in x86_64 CPU models (qemu-server PVE/QemuServer/CPUConfig.pm $cpu_vendor_list and, from 8.0,
# $builtin_models: x86-64-v2 ... x86-64-v4); ``custom-NAME`` names a cluster-wide custom model
CPU_MODELS = frozenset((
    "486 pentium pentium2 pentium3 coreduo core2duo Conroe Penryn Nehalem Nehalem-IBRS Westmere Westmere-IBRS "
    "SandyBridge SandyBridge-IBRS IvyBridge IvyBridge-IBRS Haswell Haswell-IBRS Haswell-noTSX Haswell-noTSX-IBRS "
    "Broadwell Broadwell-IBRS Broadwell-noTSX Broadwell-noTSX-IBRS Skylake-Client Skylake-Client-IBRS "
    "Skylake-Client-noTSX-IBRS Skylake-Client-v4 Skylake-Server Skylake-Server-IBRS Skylake-Server-noTSX-IBRS "
    "Skylake-Server-v4 Skylake-Server-v5 Cascadelake-Server Cascadelake-Server-v2 Cascadelake-Server-noTSX "
    "Cascadelake-Server-v4 Cascadelake-Server-v5 Cooperlake Cooperlake-v2 KnightsMill Icelake-Client "
    "Icelake-Client-noTSX Icelake-Server Icelake-Server-noTSX Icelake-Server-v3 Icelake-Server-v4 Icelake-Server-v5 "
    "Icelake-Server-v6 Icelake-Server-v7 SapphireRapids SapphireRapids-v2 SapphireRapids-v3 SapphireRapids-v4 "
    "GraniteRapids GraniteRapids-v2 GraniteRapids-v3 SierraForest SierraForest-v2 SierraForest-v3 ClearwaterForest "
    "athlon phenom Opteron_G1 Opteron_G2 Opteron_G3 Opteron_G4 Opteron_G5 EPYC EPYC-IBPB EPYC-v3 EPYC-v4 EPYC-v5 "
    "EPYC-Rome EPYC-Rome-v2 EPYC-Rome-v3 EPYC-Rome-v4 EPYC-Rome-v5 EPYC-Milan EPYC-Milan-v2 EPYC-Milan-v3 "
    "EPYC-Genoa EPYC-Genoa-v2 EPYC-Turin host kvm32 kvm64 qemu32 qemu64 max "
    "x86-64-v2 x86-64-v2-AES x86-64-v3 x86-64-v4").split())
CPU_MODELS_SINCE_8 = frozenset(("x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4"))
# cpuunits Proxmox keeps as written (PVE::CGroup::clamp_cpu_shares clamps the rest on create/update, so a value out
# of these would change on every run): 7.x nodes run cgroup v2 by default (values from 10000 up become 10000) or the
# legacy v1 (values below 2 become 2), so 2..10000 holds on either; 8.0+ is cgroup v2 only: 1..10000. The schema's
# own range is 1..262144 on every release.
CPU_UNITS_RANGE = {(7, 0): (2, 10000), (8, 0): (1, 10000)}


def parse_cputype(value):
    """``host`` or ``cputype=host,flags=+aes`` -> ``host``; absent -> None (Proxmox's default kvm64 applies)."""
    if value in (None, ""):
        return None
    return qc.parse_property_string(value, default_key="cputype").get("cputype")


def merge_cputype(current, cputype):
    """The ``cpu`` value with its type set to ``cputype`` and its other properties (``flags``, ``hidden``, ...)
    kept."""
    items = qc.parse_property_string(current, default_key="cputype")
    items.pop("cputype", None)
    if not items:
        return cputype
    return "%s,%s" % (cputype, qc.format_property_string(items))


def _list_spec(elements="str"):
    return {"type": "list", "elements": elements}


CONFIG_OPTIONS = [
    ConfigOption("cores", "cores", "int", _int, str, default=1),
    ConfigOption("sockets", "sockets", "int", _int, str, default=1),
    ConfigOption("memory", "memory", "int", qc.parse_memory, str, default=512),
    ConfigOption("balloon", "balloon", "int", _int, str),
    ConfigOption("cpu_type", "cpu", "str", parse_cputype, str, default="kvm64", merge=merge_cputype),
    ConfigOption("numa", "numa", "bool", qc.parse_bool, qc.format_bool, default=False),
    ConfigOption("cpu_limit", "cpulimit", "float", _float, _format_float, default=0.0),
    ConfigOption("cpu_units", "cpuunits", "int", _int, str),
    ConfigOption("onboot", "onboot", "bool", qc.parse_bool, qc.format_bool, default=False),
    ConfigOption("agent", "agent", "bool", qc.parse_agent, qc.format_bool, default=False),
    ConfigOption("tags", "tags", "list", qc.parse_tags, qc.format_tags, empty_deletes=True, spec=_list_spec()),
    ConfigOption("description", "description", "str", qc.normalise_description, _text, empty_deletes=True),
    ConfigOption("ciuser", "ciuser", "str", _text, _text, cloudinit=True, empty_deletes=True),
    ConfigOption("searchdomain", "searchdomain", "str", _text, _text, cloudinit=True, empty_deletes=True),
    ConfigOption("nameservers", "nameserver", "list", qc.parse_nameservers, qc.format_nameservers,
                 cloudinit=True, empty_deletes=True, spec=_list_spec()),
    ConfigOption("sshkeys", "sshkeys", "list", qc.normalise_sshkeys, qc.encode_sshkeys,
                 cloudinit=True, empty_deletes=True, spec={"type": "list", "elements": "str", "no_log": False}),
]
_CURRENT_NORMALISERS = {"sshkeys": qc.decode_sshkeys}

NET_OPTIONS = {"bridge": "bridge", "vlan": "tag", "rate_limit": "rate", "mac": "macaddr", "firewall": "firewall"}


def argument_spec():
    """The module's own options (connection and wait options are added by ProxmoxModule)."""
    spec = {
        "name": {"type": "str", "required": True},
        "vmid": {"type": "int"},
        "node": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": STATES},
        "template": {"type": "str"},
        "full_clone": {"type": "bool", "default": True},
        "storage": {"type": "str"},
        "pool": {"type": "str"},
        "disk_size": {"type": "str"},
        "bridge": {"type": "str"},
        "vlan": {"type": "int"},
        "rate_limit": {"type": "float"},
        "mac": {"type": "str"},
        "firewall": {"type": "raw"},       # a bool (net0's flag) or a dict (server/firewall.py validate)
        "ipconfig": {"type": "list", "elements": "raw"},
        "cipassword": {"type": "str", "no_log": True},
        "password_update": {"type": "str", "default": "on_create", "choices": ["always", "on_create"], "no_log": False},
        "password_via": {"type": "str", "default": "cloudinit", "choices": ["cloudinit", "agent"], "no_log": False},
        "apply_pending": {"type": "str", "default": "none", "choices": ["none", "reboot"]},
        "shutdown_timeout": {"type": "int", "default": 120},
        "force_stop": {"type": "bool", "default": False},
        "purge": {"type": "bool", "default": True},
        "iso": {"type": "str"},
        "boot_order": {"type": "list", "elements": "str"},
        "rescue_iso": {"type": "str"},
    }
    for option in CONFIG_OPTIONS:
        spec[option.name] = dict(option.spec)
    spec.update(nics.argument_spec())
    spec.update(datadisks.argument_spec())
    return spec


# --- validation --------------------------------------------------------------------------------------------------

def _check_range(params, option, low, high=None, unit=""):
    value = params.get(option)
    if value is None:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError("%s: must be a finite number, got %s" % (option, value), option=option)
    if value < low or (high is not None and value > high):
        bound = "at least %s%s" % (low, unit) if high is None else "between %s and %s%s" % (low, high, unit)
        raise InputError("%s: must be %s, got %s" % (option, bound, value), option=option)


# a Linux interface name as PVE's pve-bridge-id format takes it: never empty, nothing a property string would split on
MAX_NETS = 32               # qemu-server PVE/QemuServer.pm $MAX_NETS: net0..net31, ipconfig0..ipconfig31
DESCRIPTION_MAX = 8192       # qemu-server: description maxLength 1024 * 8
_BRIDGE_RE = re.compile(r"^[A-Za-z0-9][-_.A-Za-z0-9]{0,14}\Z")
_CUSTOM_CPU_RE = re.compile(r"^custom-[A-Za-z0-9][-_.A-Za-z0-9]*\Z")


def validate_release(params, release):
    """Checks that need the cluster's Proxmox VE release ((major, minor), client.release); InputError naming the
    option. ``cpu_type`` x86-64-v2 .. x86-64-v4 exist from 8.0; ``cpu_units`` within CPU_UNITS_RANGE."""
    release = tuple(release)
    cputype = params.get("cpu_type")
    if cputype in CPU_MODELS_SINCE_8 and release < (8, 0):
        raise InputError("cpu_type: %s needs Proxmox VE 8.0 or later (this cluster runs %s.%s); use host, kvm64 or "
                         "a named model such as Skylake-Server" % ((cputype,) + release[:2]), option="cpu_type")
    units = params.get("cpu_units")
    if units is not None:
        low, high = CPU_UNITS_RANGE[(8, 0) if release >= (8, 0) else (7, 0)]
        if units < low or units > high:
            raise InputError("cpu_units: must be between %s and %s on Proxmox VE %s.%s, got %s"
                             % ((low, high) + release[:2] + (units,)), option="cpu_units")


def validate(params):
    """Check the module parameters; raise InputError naming the option. Returns normalised extras."""
    name = params.get("name")
    if not name or not _NAME_RE.match(name):
        raise InputError("name: %r is not a valid server name (a DNS name: letters, digits, '-' and '.')" % name,
                         option="name")
    checks.check_vmid(params.get("vmid"))
    for option, check in (("node", checks.check_node), ("storage", checks.check_storage)):
        if params.get(option) is not None:
            check(params[option], option)
    if params.get("pool"):      # "" takes the server out of its pool
        checks.check_pool(params["pool"])
    if params.get("template") is not None:
        checks.check_plain(params["template"], "template", "a template name or vmid")
    if params.get("ciuser"):    # "" removes it
        checks.check_plain(params["ciuser"], "ciuser", "a user name")
    if params.get("searchdomain"):
        checks.check_plain(params["searchdomain"], "searchdomain", "a DNS domain")
    for server in qc.parse_nameservers(params.get("nameservers")):
        # qemu-server's nameserver is format 'address-list' (pve-common JSONSchema pve_verify_address_list)
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise InputError("nameservers: %r is not an IP address (one DNS server address per list item)" % server,
                             option="nameservers")
    description = params.get("description")
    if description is not None and len(description) > DESCRIPTION_MAX:
        # qemu-server PVE/QemuServer.pm: description maxLength 8 KiB (characters), on every release
        raise InputError("description: %d characters, Proxmox VE keeps at most %d" % (len(description), DESCRIPTION_MAX),
                         option="description")
    _check_range(params, "cores", 1, 1024)
    _check_range(params, "sockets", 1, 64)
    _check_range(params, "memory", 16, unit=" MiB")
    _check_range(params, "balloon", 0, unit=" MiB")
    _check_range(params, "cpu_limit", 0, 128)
    _check_range(params, "cpu_units", 1, 262144)
    cputype = params.get("cpu_type")
    if cputype is not None and cputype not in CPU_MODELS and not _CUSTOM_CPU_RE.match(cputype):
        raise InputError("cpu_type: %r is not a CPU type Proxmox VE knows (host, x86-64-v2-AES, kvm64, EPYC-Rome, ... "
                         "or custom-NAME for a custom model)" % cputype, option="cpu_type")
    _check_range(params, "vlan", 0, 4094)
    _check_range(params, "rate_limit", 0)
    _check_range(params, "shutdown_timeout", 0)
    if params.get("balloon") and params.get("memory") and params["balloon"] > params["memory"]:
        raise InputError("balloon: %s MiB is more than memory (%s MiB)" % (params["balloon"], params["memory"]),
                         option="balloon")
    extras = {"disk_size": None, "mac": None, "ipconfig": None}
    if params.get("disk_size") not in (None, ""):
        extras["disk_size"] = parse_size(params["disk_size"], option="disk_size")
    if params.get("mac") is not None:
        checks.check_plain(params["mac"], "mac", "a MAC address")
        extras["mac"] = qc.normalise_mac(params["mac"], option="mac")
    if params.get("ipconfig") is not None:
        if len(params["ipconfig"]) > MAX_NETS:
            raise InputError("ipconfig: %d entries, Proxmox VE has ipconfig0 to ipconfig%d (one per NIC)"
                             % (len(params["ipconfig"]), MAX_NETS - 1), option="ipconfig")
        extras["ipconfig"] = [qc.ipconfig_from_option(item, index) for index, item in enumerate(params["ipconfig"])]
    if params.get("bridge") is not None and not _BRIDGE_RE.match(params["bridge"]):
        raise InputError("bridge: %r is not a bridge name (letters, digits, '-', '_' and '.', at most 15 characters, "
                         "like vmbr0)" % params["bridge"], option="bridge")
    extras["networks"] = nics.validate(params, extras["ipconfig"], _BRIDGE_RE.match, extras["mac"])
    if params.get("tags"):
        for tag in params["tags"]:
            checks.check_plain(tag, "tags", "a tag (one per list item)")
        qc.parse_tags(params["tags"], option="tags")
    if params.get("sshkeys"):
        qc.check_sshkeys(params["sshkeys"], option="sshkeys")
    if params.get("password_via") == "agent":
        if not params.get("cipassword"):
            raise InputError("password_via: agent sets cipassword in the running guest; give cipassword",
                             option="password_via")
        if params.get("wait") is False:
            raise InputError("password_via: agent needs wait: true (the password is set once the server runs and "
                             "its agent answers)", option="password_via")
        guest_agent.check_password(params["cipassword"], option="cipassword")
    extras["firewall"] = firewall.validate(params.get("firewall"), extras["ipconfig"])
    rescue.validate(params)
    extras["disks"] = datadisks.validate(params)
    return extras


def check_balloon(config, params):
    """The ``balloon`` and ``memory`` the config will have, as qemu-server API2/Qemu.pm update_vm_api checks them
    (7.x to 9.x: "balloon value too large (must be smaller than assigned memory)"): the values given, else those of
    ``config`` (the server's, pending applied, or for a new server its template's), else Proxmox's 512 MiB. InputError
    naming ``balloon`` (or ``memory`` when only memory was given), before any write."""
    if params.get("memory") is None and params.get("balloon") is None:
        return
    memory = params.get("memory") or qc.parse_memory(config.get("memory")) or 512
    balloon = params.get("balloon")
    if balloon is None and config.get("balloon") not in (None, ""):
        balloon = int(config["balloon"])
    if not balloon or balloon <= memory:
        return
    if params.get("balloon") is not None:
        raise InputError("balloon: %s MiB is more than the server's memory (%s MiB); give memory too, or a smaller "
                         "balloon" % (balloon, memory), option="balloon")
    raise InputError("memory: %s MiB is less than the server's balloon (%s MiB); give a balloon up to memory too"
                     % (memory, balloon), option="memory")


# --- comparison --------------------------------------------------------------------------------------------------

class ConfigPlan(object):
    """What to send: ``updates`` (key -> API value), ``delete`` (keys), and before/after for the diff."""

    def __init__(self):
        self.updates = {}
        self.delete = []
        self.before = {}
        self.after = {}
        self.cloudinit = False

    def __bool__(self):
        return bool(self.updates or self.delete)

    __nonzero__ = __bool__

    def set(self, key, api_value, before, after, cloudinit=False):
        self.updates[key] = api_value
        self._track(key, before, after, cloudinit)

    def remove(self, key, before, cloudinit=False):
        self.delete.append(key)
        self._track(key, before, None, cloudinit)

    def _track(self, key, before, after, cloudinit):
        self.before[key] = before
        self.after[key] = after
        self.cloudinit = self.cloudinit or cloudinit

    def api_params(self, digest=None):
        data = dict(self.updates)
        if self.delete:
            data["delete"] = ",".join(sorted(self.delete))
        if digest:
            data["digest"] = digest
        return data


def _normalise_current(option, value):
    if value is None:
        return option.default
    return _CURRENT_NORMALISERS.get(option.key, option.normalise)(value)


def _is_empty(value):
    return value in (None, "", [], {})


def plan_config(config, params, extras, creating=False):
    """Compare ``config`` (pending values applied) with ``params`` and return a ConfigPlan of the differences."""
    plan = ConfigPlan()
    for option in CONFIG_OPTIONS:
        wanted = params.get(option.name)
        if wanted is None:
            continue
        want = option.normalise(wanted)
        have = _normalise_current(option, config.get(option.key))
        if option.empty_deletes and _is_empty(want):
            if not _is_empty(have):
                plan.remove(option.key, have, option.cloudinit)
            continue
        if have != want:
            api_value = option.merge(config.get(option.key), want) if option.merge else option.format(want)
            plan.set(option.key, api_value, have, want, option.cloudinit)
    _plan_net(plan, config, params, extras)
    _plan_ipconfig(plan, config, extras.get("ipconfig"), keep=nics.ipconfig_kept(extras.get("networks")))
    nics.plan(plan, config, params, extras.get("networks"))
    _plan_password(plan, config, params, creating)
    return plan


def _plan_net(plan, config, params, extras):
    given = dict((key, params.get(opt)) for opt, key in NET_OPTIONS.items() if params.get(opt) is not None)
    if "firewall" in given:
        given["firewall"] = firewall.net_flag(params["firewall"])     # a dict: its enabled
    if not given:
        return
    if "macaddr" in given:
        given["macaddr"] = extras["mac"]
    for key, zero in (("tag", 0), ("rate", 0)):
        if given.get(key) == zero:
            given[key] = None
    current = qc.parse_net(config["net0"]) if config.get("net0") else {"model": "virtio", "macaddr": None}
    merged = dict(current)
    merged.update(given)
    if "rate" in merged and merged["rate"] is not None:
        merged["rate"] = float(merged["rate"])
    if config.get("net0") and qc.net_equal(current, merged):
        return
    plan.set("net0", qc.format_net(merged), qc.format_net(current) if config.get("net0") else None,
             qc.format_net(merged))


def _plan_ipconfig(plan, config, wanted, keep=()):
    """ipconfig0, ipconfig1, ... from the ``ipconfig`` list; those beyond it are deleted, except the N in ``keep``
    (all of them when ``networks`` is given: nics.ipconfig_kept)."""
    if wanted is None:
        return
    for index, item in enumerate(wanted):
        key = "ipconfig%d" % index
        have = qc.parse_ipconfig(config[key]) if config.get(key) else None
        if have != item:
            plan.set(key, qc.format_ipconfig(item), qc.format_ipconfig(have) if have else None,
                     qc.format_ipconfig(item), cloudinit=True)
    for index, key in qc.indexed_keys(config, "ipconfig"):
        if index >= len(wanted) and index not in keep:
            plan.remove(key, config[key], cloudinit=True)


def _plan_password(plan, config, params, creating):
    password = params.get("cipassword")
    if password is None:
        return
    if password == "":
        if config.get("cipassword"):
            plan.remove("cipassword", qc.CIPASSWORD_MASK, cloudinit=True)
        return
    if creating or params.get("password_update") == "always" or not config.get("cipassword"):
        before = qc.CIPASSWORD_MASK if config.get("cipassword") else None
        plan.set("cipassword", password, before, qc.CIPASSWORD_MASK + " (new)", cloudinit=True)


def password_kept(config, params, creating):
    """True when ``cipassword`` was given, ``password_update`` is on_create and the server already has a password,
    so the given one is not sent (the run says so in ``warnings``; Proxmox VE shows only ``**********``, so whether
    the two differ cannot be told)."""
    password = params.get("cipassword")
    return bool(password) and not creating and params.get("password_update", "on_create") == "on_create" \
        and bool(config.get("cipassword"))


def apply_plan(config, plan):
    """The config as it will read after the plan (for check mode predictions); secrets masked."""
    predicted = dict(config)
    for key in plan.delete:
        predicted.pop(key, None)
    predicted.update(plan.updates)
    return qc.mask_config(predicted)
