# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The QEMU guest agent through the Proxmox VE API: ping, wait, network interfaces, set a user's password.

Endpoints (qemu-server PVE/API2/Qemu/Agent.pm, the same on 7.4 to 9.1): ``POST .../agent/ping``,
``GET .../agent/network-get-interfaces``, ``POST .../agent/set-user-password`` (``username``, ``password`` of 5 to
1024 characters, ``crypted``). Every one first checks PVE/QemuServer/Agent.pm ``assert_agent_available`` and fails
with a 500 whose message says why: "No QEMU guest agent configured" (no ``agent`` key), "VM N is not running",
"QEMU guest agent is not running" (no answer to guest-ping: not installed, not started yet, or ``agent`` disabled).
Only the last is worth waiting out. The interfaces' parser is ``server.facts.agent_addresses`` (shared with the
inventory plugin and ``jotun_server_info``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.guests import wait_for

NOT_RUNNING = "QEMU guest agent is not running"
NOT_CONFIGURED = "No QEMU guest agent configured"
PASSWORD_LENGTH = (5, 1024)
# a password already passed through crypt() (what cloud-init's cipassword also takes): MD5, SHA-256/512, bcrypt, yescrypt
_CRYPT_RE = re.compile(r"^\$(1|5|6|2[aby]|y)\$[^$\s]+\$[^\s]+$")


def _base(node, vmid):
    return api_path("nodes", node, "qemu", str(vmid), "agent")


def ping(client, node, vmid, deadline=None):
    """``POST .../agent/ping``: True when the agent answered, False when "QEMU guest agent is not running".
    Other failures (not configured, guest not running, API errors) raise ProxmoxError."""
    try:
        client.post(_base(node, vmid) + "/ping", deadline=deadline)
        return True
    except ProxmoxError as err:
        if NOT_RUNNING in str(err):
            return False
        raise


def wait_agent(client, node, vmid, deadline, option="agent"):
    """Ping until the agent answers or ``deadline`` (retry.Deadline) passes.

    Raises InputError naming ``option`` when the guest has no agent configured, is not running, or its agent did
    not answer before the deadline (the message says which)."""
    try:
        answered = wait_for(lambda: True if ping(client, node, vmid, deadline=deadline) else None, deadline)
    except ProxmoxError as err:
        raise InputError("%s: the QEMU guest agent of vmid %s cannot be reached: %s" % (option, vmid, err),
                         option=option)
    if not answered:
        raise InputError("%s: the QEMU guest agent of vmid %s did not answer within wait_timeout (is "
                         "qemu-guest-agent installed and running in the guest?)" % (option, vmid), option=option)


def network_interfaces(client, node, vmid, deadline=None):
    """``GET .../agent/network-get-interfaces``: the agent's ``result`` list (name, hardware-address,
    ip-addresses [{ip-address-type, ip-address, prefix}], statistics); raises ProxmoxError when it does not
    answer. Turn it into addresses with ``server.facts.agent_addresses``."""
    answer = client.get(_base(node, vmid) + "/network-get-interfaces", deadline=deadline)
    return answer


def network_interfaces_or_none(client, node, vmid, deadline=None):
    """The same, or None when the agent does not answer (not installed, not started, timed out)."""
    try:
        return network_interfaces(client, node, vmid, deadline=deadline)
    except ProxmoxError:
        return None


def is_crypted(password):
    """True for a crypt() hash (``$6$salt$...``): sent with ``crypted=1``, as cloud-init takes it too."""
    return bool(_CRYPT_RE.match(password or ""))


def check_password(password, option="cipassword"):
    """The agent takes 5 to 1024 characters (Agent.pm); InputError naming ``option`` otherwise. Never shows it."""
    low, high = PASSWORD_LENGTH
    if password is None or not low <= len(password) <= high:
        raise InputError("%s: the guest agent takes a password of %d to %d characters" % (option, low, high),
                         option=option)


def set_user_password(client, node, vmid, username, password, deadline=None):
    """``POST .../agent/set-user-password`` for ``username`` (a Linux user or a Windows account); the password is
    only in the request body (never in an error: the client's errors carry Proxmox's message, which does not
    repeat it). Raises ProxmoxError, e.g. "cannot set user password: ..." when the guest refuses."""
    data = {"username": username, "password": password, "crypted": 1 if is_crypted(password) else 0}
    client.post(_base(node, vmid) + "/set-user-password", data=data, deadline=deadline)
