# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Resource pool membership of a guest: move it into a pool, between pools, or out of its pool.

PVE 8.1 and later take ``PUT /pools`` with ``poolid`` and move a guest out of another pool in the same call
(``allow-move``); before, ``PUT /pools/{poolid}`` only adds guests that are in no pool, so a move is a removal from
the old pool and an addition to the new one. Both calls are synchronous. Neither is sent again after an unknown
outcome: the guest's pool is read back instead.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import find_guest
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError

MOVE_RELEASE = (8, 1)


def pool_error(err, poolid, option="pool"):
    """*err* as an InputError naming *option* when it says the pool does not exist; else *err* itself."""
    if poolid and "pool '%s' does not exist" % poolid in (err.message or ""):
        return InputError("%s: there is no resource pool %r" % (option, poolid), option=option)
    return err


def current_pool(client, vmid, deadline=None):
    """The pool guest *vmid* belongs to now (None: in no pool), from /cluster/resources."""
    guest = find_guest(client, vmid=vmid, deadline=deadline)
    if guest is None:
        raise ProxmoxError("guest %s is gone" % vmid)
    return guest["pool"]


def set_pool(client, vmid, before, after, deadline=None):
    """Move guest *vmid* from pool *before* (None: no pool) to *after* (None: out of its pool)."""
    if before == after:
        return
    for path, data, expected in _steps(client, int(vmid), before, after):
        try:
            client.put(path, data, deadline=deadline)
        except ProxmoxError as err:
            if err.kind != ProxmoxError.UNKNOWN:
                raise pool_error(err, after)
            # the answer was lost: the guest's pool says whether the change happened; it is not sent again
            now = current_pool(client, vmid, deadline=deadline)
            if now != expected:
                raise ProxmoxError("moving VM %s to pool %r got no answer (%s) and the guest is in pool %r; not "
                                   "sending it again" % (vmid, after, err.message, now), kind=ProxmoxError.UNKNOWN)


def _steps(client, vmid, before, after):
    """The writes (path, data, the guest's pool after it) that move *vmid* from *before* to *after*."""
    vms = str(vmid)
    if client.release >= MOVE_RELEASE:
        if after is None:
            return [("/pools", {"poolid": before, "vms": vms, "delete": True}, None)]
        data = {"poolid": after, "vms": vms}
        if before is not None:
            data["allow-move"] = True
        return [("/pools", data, after)]
    steps = []
    if before is not None:
        steps.append((api_path("pools", before), {"vms": vms, "delete": True}, None))
    if after is not None:
        steps.append((api_path("pools", after), {"vms": vms}, after))
    return steps


def pool_ids(client, deadline=None):
    """The ids of the cluster's resource pools (``GET /pools``, pve-access-control PVE/API2/Pool.pm)."""
    return sorted(str(entry.get("poolid")) for entry in client.get("/pools", deadline=deadline) or []
                  if isinstance(entry, dict) and entry.get("poolid"))


def check_pool_exists(client, poolid, option="pool", deadline=None):
    """InputError naming *option* when the cluster has no pool *poolid* (read before anything is written)."""
    known = pool_ids(client, deadline=deadline)
    if poolid not in known:
        raise InputError("%s: there is no resource pool %r (pools: %s)" % (option, poolid, ", ".join(known) or "none"),
                         option=option)
