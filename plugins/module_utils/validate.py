# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The input checks every module shares, run before anything is sent (let alone written).

Each check raises InputError naming the option, with a message a hosting panel can show its customer. The formats
follow Proxmox VE's own (pve-common ``PVE/JSONSchema.pm``: ``pve-vmid`` 100-999999999, ``pve-node``,
``pve-storage-id``; pve-access-control: ``pve-poolid``, ``pve-userid`` user@realm, token names), so a value these
checks pass is one Proxmox VE takes as it is, never one it would split into several properties.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError

VMID_MIN = 100
VMID_MAX = 999999999
PORT_MIN = 1
PORT_MAX = 65535

# pve-common PVE/JSONSchema.pm pve_verify_node_name
NODE_RE = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$")
# pve-storage PVE/JSONSchema.pm parse_storage_id
STORAGE_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$")
# pve-access-control PVE/AccessControl.pm pve_verify_poolid
POOL_RE = re.compile(r"^[A-Za-z0-9.\-_]+$")
# pve-access-control userid: name@realm; realm: [A-Za-z][A-Za-z0-9.\-_]+; token name: the same
_REALM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.\-_]+$")
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9\-.]*[A-Za-z0-9])?$")
# characters that end or split a property string value ("key=value,key=value"), or a config line
_SPLITTERS = (",", "=", ";")


def _show(value):
    return repr(value)


def check_int_range(value, option, low, high=None, unit=""):
    """*value* as an int within [low, high]; InputError naming *option* for anything else (None passes)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError("%s: expected a whole number, got %r" % (option, value), option=option)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InputError("%s: expected a whole number, got %s" % (option, _show(value)), option=option)
    if number < low or (high is not None and number > high):
        bound = "at least %s%s" % (low, unit) if high is None else "between %s and %s%s" % (low, high, unit)
        raise InputError("%s: must be %s, got %s" % (option, bound, number), option=option)
    return number


def check_vmid(value, option="vmid"):
    """A Proxmox VE guest id (100-999999999, pve-common pve_verify_vmid) as int; None passes."""
    return check_int_range(value, option, VMID_MIN, VMID_MAX)


def check_port(value, option="api_port"):
    """A TCP port (1-65535) as int; None passes."""
    return check_int_range(value, option, PORT_MIN, PORT_MAX)


MAX_SECONDS = 10 ** 9       # about 31 years: the longest timeout any run is given


def check_positive(value, option, unit=" seconds"):
    """A number greater than zero and at most MAX_SECONDS (a timeout, in seconds) as float; None passes."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError("%s: expected a number of seconds, got %s" % (option, _show(value)), option=option)
    if math.isnan(number) or math.isinf(number) or number <= 0:
        raise InputError("%s: must be greater than 0%s, got %s" % (option, unit, value), option=option)
    if number > MAX_SECONDS:
        # the socket layer cannot wait that long ("timestamp out of range for platform time_t")
        raise InputError("%s: must be at most %d%s, got %s" % (option, MAX_SECONDS, unit, value), option=option)
    return number


def check_plain(value, option, what="a value"):
    """A value Proxmox VE splices into a property string or config line: never empty, no ``,`` ``=`` ``;``, no
    white space or control characters. Returns it; InputError naming *option*."""
    text = "" if value is None else str(value)
    if not text:
        raise InputError("%s: must not be empty (%s)" % (option, what), option=option)
    bad = [c for c in _SPLITTERS if c in text]
    if bad:
        raise InputError("%s: %s must not contain %s: %s" % (option, what, " ".join(repr(c) for c in bad), _show(text)),
                         option=option)
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise InputError("%s: %s must not contain white space, newlines or control characters: %s"
                         % (option, what, _show(text)), option=option)
    return text


def check_format(value, option, regex, what, example):
    """*value* matching *regex* (after check_plain); InputError naming *option* with an example."""
    text = check_plain(value, option, what)
    if not regex.match(text):
        raise InputError("%s: %s is not %s (e.g. %s)" % (option, _show(text), what, example), option=option)
    return text


def check_node(value, option="node"):
    return check_format(value, option, NODE_RE, "a node name", "pve1")


def check_storage(value, option="storage"):
    return check_format(value, option, STORAGE_RE, "a storage id", "local-lvm")


def check_pool(value, option="pool"):
    return check_format(value, option, POOL_RE, "a pool id (letters, digits, '.', '-', '_')", "customers")


def check_secret(value, option):
    """A password or token secret: no surrounding white space and no control characters (a copy-and-paste
    mistake the server would only answer with 401). The value is never shown."""
    if value is None or value == "":
        return value
    text = str(value)
    if text != text.strip():
        raise InputError("%s: the value starts or ends with white space (a newline from a file?); remove it"
                         % option, option=option)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InputError("%s: the value holds a control character (tab, newline...); remove it" % option,
                         option=option)
    return text


def check_userid(value, option="api_user"):
    """user@realm as Proxmox VE spells user ids; a user without realm gets a hint (root -> root@pam)."""
    if value is None:
        return None
    text = str(value)
    if not text or text != text.strip() or any(c.isspace() for c in text):
        raise InputError("%s: %s is not a user id; use user@realm, e.g. root@pam" % (option, _show(text)),
                         option=option)
    if "@" not in text:
        raise InputError("%s: %r has no realm; use user@realm, e.g. %s@pam (Linux users) or %s@pve"
                         % (option, text, text, text), option=option)
    user, realm = text.rsplit("@", 1)
    if not user or ":" in user or "/" in user or not _REALM_RE.match(realm):
        raise InputError("%s: %r is not a user id; use user@realm, e.g. root@pam" % (option, text), option=option)
    return text


def check_token_id(value, option="api_token_id"):
    """'user@realm!name' or 'name' (with api_user): no white space, a realm when a user is given."""
    if value is None:
        return None
    text = str(value)
    if not text.strip():
        raise InputError("%s: empty token id" % option, option=option)
    if "!" in text:
        user, name = text.rsplit("!", 1)
        if "@" not in user:
            raise InputError("%s: %r is not of the form user@realm!name (e.g. root@pam!%s)" % (option, text, name or "ci"),
                             option=option)
        check_userid(user, option)
    else:
        name = text
    if not _REALM_RE.match(name):
        raise InputError("%s: token name %r: letters, digits, '.', '-' and '_', starting with a letter"
                         % (option, name), option=option)
    return text


def split_host(api_host, api_port, port_given, port_from_env=False):
    """(host, port) from ``api_host`` (a name, an IPv4/IPv6 address, optionally ``https://`` and ``:port``) and
    ``api_port``. A port in both places is refused (which one was meant?), as is anything else after the host - except
    a ``PROXMOX_PORT`` from the environment (``port_from_env``: an AWX credential injects it for every task) equal to
    the port in ``api_host``."""
    raw = "" if api_host is None else str(api_host)
    text = raw.strip()
    if not text:
        raise InputError("api_host: required: the name or address of a Proxmox VE node (or set PROXMOX_HOST)",
                         option="api_host")
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
    text = text[:-1] if text.endswith("/") else text
    host, port_text = text, None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise InputError("api_host: %r: unclosed '[' of an IPv6 address" % raw, option="api_host")
        host, rest = text[:end + 1], text[end + 1:]
        if rest:
            if not rest.startswith(":"):
                raise InputError("api_host: %r: only a port may follow the address" % raw, option="api_host")
            port_text = rest[1:]
        inner = host[1:-1]
        if not inner or not all(c in "0123456789abcdefABCDEF:." for c in inner):
            raise InputError("api_host: %r is not an IPv6 address" % raw, option="api_host")
    elif text.count(":") > 1:
        if not all(c in "0123456789abcdefABCDEF:." for c in text):
            raise InputError("api_host: %r is not a host name or address" % raw, option="api_host")
        host = "[%s]" % text
    else:
        if ":" in text:
            host, port_text = text.split(":", 1)
        if not _HOST_RE.match(host):
            raise InputError("api_host: %r is not a host name or address (give only the host, e.g. pve1.example.com "
                             "or 192.0.2.10; no path, no spaces)" % raw, option="api_host")
    if port_text is not None:
        if not port_text.isdigit():
            raise InputError("api_host: %r: %r after the host is not a port number" % (raw, port_text),
                             option="api_host")
        if port_given and not (port_from_env and str(api_port).strip() == port_text):
            raise InputError("api_port: a port is given both in api_host (%s) and as api_port (or PROXMOX_PORT: %s); "
                             "give it in one place" % (port_text, api_port), option="api_port")
        return host, check_int_range(port_text, "api_host", PORT_MIN, PORT_MAX)
    return host, check_port(api_port if api_port is not None else 8006)


def check_connection(params, port_given=True, port_from_env=False):
    """The connection options of doc fragment jotunheim.proxmox.connection (and wait_timeout), before any call.
    Returns the (host, port) to connect to."""
    check_positive(params.get("api_timeout"), "api_timeout")
    check_positive(params.get("api_connect_timeout"), "api_connect_timeout")
    if "wait_timeout" in params:
        check_positive(params.get("wait_timeout"), "wait_timeout")
    for option in ("api_password", "api_token_secret", "api_otp"):
        check_secret(params.get(option), option)
    if params.get("api_user") is not None:
        check_userid(params["api_user"])
    if params.get("api_token_id") is not None:
        check_token_id(params["api_token_id"])
    return split_host(params.get("api_host"), params.get("api_port"), port_given, port_from_env)


def check_list(values, option, check):
    """Apply *check(value, option)* to every element of the list option *values* (None passes)."""
    for value in values or []:
        check(value, option)
    return values


def check_nodes_exist(client, names, option="node", deadline=None):
    """InputError naming *option* for a name in *names* that is no node of the cluster (``GET /nodes``)."""
    if not names:
        return
    known = sorted(str(entry.get("node")) for entry in client.get("/nodes", deadline=deadline) or []
                   if isinstance(entry, dict))
    for name in names:
        if name not in known:
            raise InputError("%s: %r is not a node of this cluster (nodes: %s)" % (option, name, ", ".join(known)),
                             option=option)


def check_guest_match(guest, vmid, name, what="server"):
    """The guest found by vmid (or name) must carry the other one given too, and must not be a template: InputError
    naming the option that disagrees. *guest* is a cluster.find_guest dict (``template`` may be absent)."""
    if guest is None:
        return
    if vmid is not None and name and guest.get("name") != name:
        raise InputError("name: guest %s is named %r, not %r; give only one of vmid and name, or both of one guest"
                         % (guest["vmid"], guest.get("name"), name), option="name")
    if str(guest.get("template") or 0) not in ("0", "False", "false", ""):
        option = "vmid" if vmid is not None else "name"
        raise InputError("%s: guest %s (%s) is a template, not a %s" % (option, guest["vmid"], guest.get("name"), what),
                         option=option)
