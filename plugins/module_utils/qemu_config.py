# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure functions that parse, normalise and format QEMU guest config values.

Nothing here talks to a server. Every ``parse_*`` accepts what Proxmox VE returns
(``GET .../config``) and gives a plain Python value; every ``format_*`` gives the
string Proxmox VE accepts; ``normalise(key, value)`` maps any accepted spelling of
a config value to one comparable form (booleans as bool, MACs upper case, tag sets
sorted, ssh keys decoded to a list, ...).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

try:
    from urllib.parse import quote, unquote
except ImportError:  # pragma: no cover - Python 2 is not supported, kept for sanity tooling
    from urllib import quote, unquote  # type: ignore

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError


CIPASSWORD_MASK = "**********"
SECRET_KEYS = frozenset(["cipassword"])

NET_MODELS = frozenset([
    "e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b",
    "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3",
])
NET_BOOL_KEYS = frozenset(["firewall", "link_down"])
NET_INT_KEYS = frozenset(["tag", "mtu", "queues"])

CLOUDINIT_KEYS = frozenset(["ciuser", "cipassword", "sshkeys", "nameserver", "searchdomain", "citype", "ciupgrade"])
CLOUDINIT_INDEXED = ("ipconfig",)

BOOLEAN_KEYS = frozenset(["onboot", "protection", "template", "ciupgrade", "acpi", "tablet", "numa", "kvm", "autostart"])
INTEGER_KEYS = frozenset(["cores", "sockets", "balloon", "vcpus", "cpuunits", "shares"])

_TRUE = frozenset(["1", "on", "yes", "true"])
_FALSE = frozenset(["0", "off", "no", "false", ""])
_MAC_RE = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")
_TAG_RE = re.compile(r"^[a-z0-9_][a-z0-9_\-+.]*$", re.IGNORECASE)
_INDEXED_RE = re.compile(r"^([a-z]+)(\d+)$")
_DISK_PREFIXES = ("scsi", "virtio", "sata", "ide")


# --- generic helpers -------------------------------------------------------------------------------------------

def parse_bool(value, option="value"):
    """Proxmox booleans arrive as 1/0, "1"/"0", on/off, yes/no or true/false."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError("%s: %r is not a boolean" % (option, value), option=option)


def format_bool(value):
    """Booleans travel as 1/0, which every release accepts."""
    return 1 if parse_bool(value) else 0


def parse_property_string(value, default_key=None):
    """Split ``virtio=AA:..,bridge=vmbr0`` into an ordered dict of raw strings.

    A part without ``=`` is stored under ``default_key`` (``agent: 1`` -> {"enabled": "1"}).
    """
    result = {}
    if value is None:
        return result
    for part in str(value).split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            key, val = part.split("=", 1)
            result[key.strip()] = val.strip()
        elif default_key is not None:
            result[default_key] = part
        else:
            result[part] = ""
    return result


def format_property_string(items, first=None):
    """Join a dict back into ``key=value,key=value``; ``first`` (a key) leads, the rest are sorted."""
    parts = []
    if first is not None and items.get(first) not in (None, ""):
        parts.append("%s=%s" % (first, items[first]))
    for key in sorted(items):
        if key == first or items[key] is None:
            continue
        parts.append("%s=%s" % (key, _format_scalar(items[key])))
    return ",".join(parts)


def _format_scalar(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def indexed_keys(config, prefix):
    """Sorted ``[(n, key)]`` for ``prefix0``, ``prefix1``, ... present in ``config``."""
    found = []
    for key in config:
        match = _INDEXED_RE.match(key)
        if match and match.group(1) == prefix:
            found.append((int(match.group(2)), key))
    return sorted(found)


# --- MAC and network devices ------------------------------------------------------------------------------------

def normalise_mac(value, option="mac"):
    """``bc-24-11-aa-bb-cc`` / ``bc:24:11:aa:bb:cc`` -> ``BC:24:11:AA:BB:CC``; InputError when malformed."""
    text = str(value).strip().upper().replace("-", ":")
    if not _MAC_RE.match(text):
        raise InputError("%s: %r is not a MAC address (XX:XX:XX:XX:XX:XX)" % (option, value), option=option)
    if int(text[:2], 16) & 1:
        raise InputError("%s: %s is a multicast address (I/G bit set)" % (option, text), option=option)
    return text


def parse_net(value):
    """``virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,firewall=1,rate=12.5,tag=20`` -> normalised dict.

    Keys: model, macaddr (upper case or None), bridge, firewall (bool), link_down (bool), tag/mtu/queues (int),
    rate (float MB/s), trunks and anything else as strings.
    """
    raw = parse_property_string(value)
    net = {"model": None, "macaddr": None}
    for key, val in raw.items():
        if key in NET_MODELS:
            net["model"] = key
            net["macaddr"] = normalise_mac(val, option="net") if val else None
        elif key == "model":
            net["model"] = val
        elif key == "macaddr":
            net["macaddr"] = normalise_mac(val, option="net") if val else None
        elif key in NET_BOOL_KEYS:
            net[key] = parse_bool(val, option="net.%s" % key)
        elif key in NET_INT_KEYS:
            net[key] = int(val)
        elif key == "rate":
            net[key] = float(val)
        else:
            net[key] = val
    return net


def format_net(net):
    """The inverse of parse_net: ``model=MAC`` first, then the other keys sorted; False/None keys left out."""
    model = net.get("model") or "virtio"
    head = model if not net.get("macaddr") else "%s=%s" % (model, net["macaddr"])
    rest = {}
    for key, val in net.items():
        if key in ("model", "macaddr") or val is None:
            continue
        if key in NET_BOOL_KEYS and not val:
            continue
        rest[key] = val
    tail = format_property_string(rest)
    return head + ("," + tail if tail else "")


def net_equal(current, wanted):
    """Compare two net values (strings or dicts); keys absent from ``wanted`` are not compared.

    A ``macaddr`` of None in ``wanted`` means "any MAC" (Proxmox generates one).
    """
    have = parse_net(current) if not isinstance(current, dict) else current
    want = parse_net(wanted) if not isinstance(wanted, dict) else wanted
    for key, val in want.items():
        if key == "macaddr" and val is None:
            continue
        if key in NET_BOOL_KEYS:
            if bool(have.get(key)) != bool(val):
                return False
        elif have.get(key) != val:
            return False
    return True


# --- cloud-init -------------------------------------------------------------------------------------------------

def _check_ip(text, version, option, allow):
    if text in allow:
        return text
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise InputError("%s: %r is not an IPv%d address in CIDR notation (or one of %s)"
                         % (option, text, version, ", ".join(sorted(allow))), option=option.split(".")[0].split("[")[0])
    if iface.version != version or "/" not in text:
        raise InputError("%s: %r is not an IPv%d address in CIDR notation (or one of %s)"
                         % (option, text, version, ", ".join(sorted(allow))), option=option.split(".")[0].split("[")[0])
    return str(iface)


def _check_gw(text, version, option):
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        addr = None
    if addr is None or addr.version != version:
        raise InputError("%s: %r is not an IPv%d gateway address" % (option, text, version), option=option.split(".")[0].split("[")[0])
    return str(addr)


def ipconfig_from_option(item, index=0, option="ipconfig"):
    """Validate one ``ipconfig`` list item and return the normalised dict {ip, gw, ip6, gw6} (absent keys omitted).

    ``item`` is a dict ``{ip, gw, ip6, gw6}``, the string ``dhcp``, or a raw ``ip=...,gw=...`` string.
    """
    where = "%s[%d]" % (option, index)
    if item is None:
        raise InputError("%s: empty entry" % where, option=option)
    if isinstance(item, str):
        if item.strip().lower() != "dhcp":
            keys = [part.split("=", 1)[0].strip() for part in item.split(",") if part.strip()]
            twice = sorted(set(key for key in keys if keys.count(key) > 1))
            if twice:       # Proxmox VE refuses it: "duplicate key in comma-separated list property"
                raise InputError("%s: %s given twice in %r" % (where, twice[0], item), option=option)
        item = {"ip": "dhcp"} if item.strip().lower() == "dhcp" else parse_property_string(item)
    if not isinstance(item, dict):
        raise InputError("%s: expected a dict with ip, gw, ip6, gw6 or the string 'dhcp'" % where, option=option)
    unknown = sorted(set(item) - set(["ip", "gw", "ip6", "gw6"]))
    if unknown:
        raise InputError("%s: unknown key(s) %s (use ip, gw, ip6, gw6)" % (where, ", ".join(unknown)), option=option)
    result = {}
    if item.get("ip") not in (None, ""):
        result["ip"] = _check_ip(str(item["ip"]).strip(), 4, where + ".ip", ("dhcp",))
    if item.get("ip6") not in (None, ""):
        result["ip6"] = _check_ip(str(item["ip6"]).strip(), 6, where + ".ip6", ("dhcp", "auto"))
    if item.get("gw") not in (None, ""):
        if result.get("ip") in (None, "dhcp"):
            raise InputError("%s.gw: a gateway needs a static ip" % where, option=option)
        result["gw"] = _check_gw(str(item["gw"]).strip(), 4, where + ".gw")
    if item.get("gw6") not in (None, ""):
        if result.get("ip6") in (None, "dhcp", "auto"):
            raise InputError("%s.gw6: a gateway needs a static ip6" % where, option=option)
        result["gw6"] = _check_gw(str(item["gw6"]).strip(), 6, where + ".gw6")
    if not result:
        raise InputError("%s: give at least ip or ip6 (or 'dhcp')" % where, option=option)
    return result


def parse_ipconfig(value):
    """``ip=10.0.0.5/24,gw=10.0.0.1`` -> {"ip": "10.0.0.5/24", "gw": "10.0.0.1"} (no validation, lenient)."""
    raw = parse_property_string(value)
    result = {}
    for key in ("ip", "gw", "ip6", "gw6"):
        if raw.get(key):
            result[key] = _lenient_ip(raw[key])
    return result


def _lenient_ip(text):
    try:
        if "/" in text:
            return str(ipaddress.ip_interface(text))
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def format_ipconfig(cfg):
    """{ip, gw, ip6, gw6} -> ``ip=...,gw=...,ip6=...,gw6=...`` in that order."""
    return ",".join("%s=%s" % (key, cfg[key]) for key in ("ip", "gw", "ip6", "gw6") if cfg.get(key))


def encode_sshkeys(keys):
    """A list of OpenSSH public keys -> the URL-encoded string Proxmox stores (``%20`` for spaces, never ``+``)."""
    lines = normalise_sshkeys(keys)
    return quote("\n".join(lines) + ("\n" if lines else ""), safe="")


def decode_sshkeys(value):
    """The stored URL-encoded value -> a list of keys (blank lines dropped, inner whitespace collapsed)."""
    if value in (None, ""):
        return []
    return normalise_sshkeys(unquote(str(value)))


def normalise_sshkeys(keys):
    """A list or newline-separated text of keys -> a list of stripped keys with single spaces."""
    if keys is None:
        return []
    if isinstance(keys, str):
        keys = keys.splitlines()
    result = []
    for key in keys:
        for line in str(key).splitlines():
            line = " ".join(line.split())
            if line:
                result.append(line)
    return result


_SSH_KEY_RE = re.compile(r"^(?:\S+\s+)?(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp(?:256|384|521)|"
                         r"sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/]+={0,3}(?:\s.*)?$")


def check_sshkeys(keys, option="sshkeys"):
    """Refuse what Proxmox VE would refuse with 500 "SSH public key validation error" after the clone: it runs every
    non-blank line through ``ssh-keygen -l`` (pve-common Tools.pm validate_ssh_public_keys), so a ``#`` comment or a
    line that is not ``[options] <type> <base64> [comment]`` fails. Raises InputError naming ``option``."""
    for index, line in enumerate(normalise_sshkeys(keys)):
        if line.startswith("#"):
            raise InputError("%s: entry %d is a comment; Proxmox VE checks every line with ssh-keygen and refuses "
                             "comments - remove it" % (option, index + 1), option=option)
        if not _SSH_KEY_RE.match(line):
            raise InputError("%s: entry %d is not an OpenSSH public key (expected '<type> <base64> [comment]', "
                             "type ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...)" % (option, index + 1), option=option)


def parse_nameservers(value):
    """``1.1.1.1 8.8.8.8`` (space, comma or semicolon separated) or a list -> list of strings."""
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        parts = []
        for item in value:
            parts.extend(parse_nameservers(item))
        return parts
    return [part for part in re.split(r"[\s,;]+", str(value).strip()) if part]


def format_nameservers(servers):
    return " ".join(parse_nameservers(servers))


def mask_config(config):
    """A copy of a config (or pending) dict with secrets replaced by the Proxmox mask."""
    if config is None:
        return None
    masked = dict(config)
    for key in SECRET_KEYS:
        if masked.get(key) not in (None, ""):
            masked[key] = CIPASSWORD_MASK
    return masked


def is_cloudinit_key(key):
    match = _INDEXED_RE.match(key)
    return key in CLOUDINIT_KEYS or bool(match and match.group(1) in CLOUDINIT_INDEXED)


def cloudinit_drive(config):
    """The key of the cloud-init drive (``ide2``) or None."""
    for key, value in sorted(config.items()):
        match = _INDEXED_RE.match(key)
        if match and match.group(1) in _DISK_PREFIXES and "cloudinit" in str(value).split(",", 1)[0]:
            return key
    return None


# --- tags, memory, agent, description -------------------------------------------------------------------------

def parse_tags(value, option="tags"):
    """``b;a,c a`` or a list -> sorted unique list of lower-cased tags; InputError for a tag Proxmox refuses.

    This is how Proxmox VE stores them with the default tag style (pve-guest-common GuestHelpers.get_unique_tags:
    lower-cased, de-duplicated, sorted, joined with ``;``), so ``[Web, db]`` and the stored ``db;web`` compare equal.
    """
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        parts = []
        for item in value:
            parts.extend(parse_tags(item, option=option))
    else:
        parts = [part for part in re.split(r"[;,\s]+", str(value).strip()) if part]
    for part in parts:
        if not _TAG_RE.match(part):
            raise InputError("%s: %r is not a valid tag (letters, digits, _ - + . ; not starting with - + .)"
                             % (option, part), option=option)
    return sorted(set(part.lower() for part in parts))


def format_tags(tags):
    return ";".join(parse_tags(tags))


def parse_memory(value):
    """``2048`` (7.x) or ``current=2048`` / ``2048,hotplug...`` (8.x+) -> 2048 (MiB)."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    raw = parse_property_string(value, default_key="current")
    return int(raw["current"]) if raw.get("current") else None


def parse_agent(value):
    """``1`` or ``enabled=1,fstrim_cloned_disks=1`` -> True."""
    if value in (None, ""):
        return False
    raw = parse_property_string(value, default_key="enabled")
    return parse_bool(raw.get("enabled", "0"), option="agent")


# jotun_backup's restore mark: the last line of a restored guest's description names the archive restored into it
# (a retried restore of that archive then changes nothing). It is bookkeeping, not the customer's text: descriptions
# are compared and shown without it.
RESTORE_MARK = "jotun: restored from "
# jotun_server state=rescued remembers the boot order and CD-ROM drive it replaced in a last description line
# (server/rescue.py); like the restore mark it is bookkeeping and left out of comparisons.
RESCUE_MARK = "jotun: rescue "


def split_restore_mark(value):
    """A description -> (its text without restore-mark lines, the volid of the last mark or None)."""
    text, volid = [], None
    for line in str(value or "").splitlines():
        if line.startswith(RESTORE_MARK):
            volid = line[len(RESTORE_MARK):].strip() or None
        else:
            text.append(line)
    return "\n".join(text), volid


def with_restore_mark(value, volid):
    """The description with one restore mark, naming volid, as its last line."""
    text = split_restore_mark(value)[0].rstrip("\n")
    return (text + "\n" if text else "") + RESTORE_MARK + volid


def normalise_description(value):
    if value is None:
        return ""
    value = split_restore_mark(value)[0]
    return "\n".join(line.rstrip() for line in str(value).rstrip().splitlines() if not line.startswith(RESCUE_MARK))


# --- per-key dispatch ------------------------------------------------------------------------------------------

def normalise(key, value):
    """Any accepted spelling of config ``key``'s value -> one comparable form."""
    if value is None:
        return None
    match = _INDEXED_RE.match(key)
    prefix = match.group(1) if match else key
    handler = _NORMALISERS.get(prefix)
    if handler is not None:
        return handler(value)
    if key in BOOLEAN_KEYS:
        return parse_bool(value, option=key)
    if key in INTEGER_KEYS:
        return int(value)
    return str(value)


_NORMALISERS = {
    "net": parse_net,
    "ipconfig": parse_ipconfig,
    "sshkeys": decode_sshkeys,
    "tags": parse_tags,
    "memory": parse_memory,
    "agent": parse_agent,
    "nameserver": parse_nameservers,
    "description": normalise_description,
}


def is_restore_leftover(config):
    """True for what a failed restore leaves (qemu-server QemuServer.pm restore_*_archive): an empty config (a new
    vmid) or the stub ``memory: 128`` (over an existing guest), unlocked. Nothing of a server is in it: a restore may
    replace it without force or safety backup, and a backup of it must not run (its rotation would prune the real
    archives)."""
    keys = set(config or {}) - {"digest", "lock"}
    return keys <= {"memory"} and str((config or {}).get("memory", "128")) == "128" and not (config or {}).get("lock")
