# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Building a server for jotun_server: template and node choice, a safe vmid under parallel builds, the clone,
recovery from a clone that was interrupted or failed, and the rebuild (re-clone keeping vmid, MAC, network, pool and
cloud-init settings).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random

from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils import pools
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import list_nodes, next_vmid
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, UNKNOWN

MAX_VMID_ATTEMPTS = 30
# Settings a rebuild carries over from the old guest unless the run sets them itself.
KEEP_KEYS = ("ciuser", "sshkeys", "nameserver", "searchdomain", "citype", "onboot", "tags", "description",
             "cores", "sockets", "memory", "balloon", "agent")
KEEP_PREFIXES = ("net", "ipconfig")


def resolve_template(all_guests, template, name, required=True):
    """The template guest (dict from /cluster/resources) named or numbered ``template``."""
    if template in (None, ""):
        if not required:
            return None
        raise InputError("template: server %r does not exist yet; give the template to build it from" % name,
                         option="template")
    text = str(template).strip()
    if text.isdigit():
        found = [g for g in all_guests if int(g["vmid"]) == int(text)]
        if not found:
            raise InputError("template: there is no guest with vmid %s" % text, option="template")
        if not qc.parse_bool(found[0].get("template") or 0):
            raise InputError("template: guest %s (%s) is not a template" % (text, found[0].get("name")), option="template")
        return found[0]
    templates = [g for g in all_guests if qc.parse_bool(g.get("template") or 0)]
    found = [g for g in templates if g.get("name") == text]
    if not found:
        names = sorted(str(g.get("name")) for g in templates)
        raise InputError("template: no template named %r (templates: %s)" % (text, ", ".join(names) or "none"),
                         option="template")
    if len(found) > 1:
        raise InputError("template: %d templates are named %r (vmids %s); give the vmid"
                         % (len(found), text, ", ".join(str(g["vmid"]) for g in found)), option="template")
    return found[0]


def choose_node(nodes, wanted=None):
    """``wanted`` when it is an online node, else the online node with the most free memory."""
    online = [n for n in nodes if n.get("status") == "online"]
    if wanted:
        match = [n for n in nodes if n.get("node") == wanted]
        if not match:
            raise InputError("node: no node named %r (nodes: %s)" % (wanted, ", ".join(sorted(n["node"] for n in nodes))),
                             option="node")
        if match[0].get("status") != "online":
            raise InputError("node: %s is %s" % (wanted, match[0].get("status")), option="node")
        return wanted
    if not online:
        raise InputError("node: no node of the cluster is online", option="node")
    return max(online, key=lambda n: ((n.get("maxmem") or 0) - (n.get("mem") or 0), n["node"]))["node"]


def candidate_vmid(free, last, attempt, rng=random):
    """The vmid to try: /cluster/nextid's answer first; after a collision, a random step past it, so that builds
    that lost the same race spread out instead of colliding again on the next id."""
    base = max(free, last + 1)
    if attempt == 0:
        return base
    return base + rng.randint(0, 2 * attempt)


def kept_settings(config):
    """The settings of an old guest a rebuild re-applies (raw config values)."""
    keep = {}
    for key, value in config.items():
        prefix = key.rstrip("0123456789")
        if key in KEEP_KEYS or (prefix in KEEP_PREFIXES and prefix != key):
            keep[key] = value
    return keep


class Builder(object):
    """The build steps of one ServerRun (``run``): create, finish an interrupted clone, rebuild."""

    def __init__(self, run):
        self.run = run
        self.client = run.client
        self.params = run.params

    # --- create ------------------------------------------------------------------------------------------------
    def create(self, vmid=None, node=None):
        run = self.run
        template = run.find_template()
        if not self.params.get("full_clone", True):
            node = node or template["node"]
        node = node or choose_node(list_nodes(self.client), self.params.get("node"))
        run.changed = True
        run.created = True
        run.diff.add("state", "absent", "present")
        if run.check_mode:
            run.guest = {"vmid": vmid or self.params.get("vmid"), "node": node, "status": "stopped",
                         "name": self.params["name"], "pool": self.pool()}
            run.config = guests.read_config(self.client, template["node"], template["vmid"], deadline=run.deadline)
            run.config.pop("template", None)
            run.config["name"] = self.params["name"]
            return
        pool = self.pool()
        upid, newid = self.clone(template, node, vmid or self.params.get("vmid"), pool)
        run.guest = {"vmid": newid, "node": node, "status": "stopped", "name": self.params["name"], "lock": "clone",
                     "pool": pool}
        run.start_step("clone", [upid])
        self.wait_clone_done()

    def pool(self):
        """The pool a new server joins: ``pool`` ("": none); without it, the pool of the server it replaces."""
        wanted = self.params.get("pool")
        return (wanted or None) if wanted is not None else self.run.kept_pool

    def clone(self, template, node, fixed_vmid, pool=None):
        """Start the clone into a free vmid; returns (upid or None after an unknown outcome, vmid)."""
        last = 0
        for attempt in range(MAX_VMID_ATTEMPTS):
            newid = fixed_vmid or candidate_vmid(next_vmid(self.client), last, attempt)
            try:
                upid = guests.clone(self.client, template["node"], template["vmid"], newid, self.params["name"],
                                    target=node, full=self.params.get("full_clone", True),
                                    storage=self.params.get("storage"), pool=pool,
                                    deadline=self.run.deadline)
                return upid, newid
            except guests.VmidTaken:
                if fixed_vmid:
                    raise InputError("vmid: %s is already in use" % fixed_vmid, option="vmid")
                last = newid
            except ProxmoxError as err:
                if err.kind != UNKNOWN:
                    raise pools.pool_error(err, pool)
                return self.reconcile_clone(err, node, newid), newid
        raise InputError("vmid: no free vmid found after %d attempts" % MAX_VMID_ATTEMPTS, option="vmid")

    def reconcile_clone(self, err, node, newid):
        """The clone request's answer was lost: did the new guest appear? If so, the clone runs; else re-raise."""
        config = guests.read_config_or_none(self.client, node, newid, deadline=self.run.deadline)
        if config is None or config.get("name") != self.params["name"]:
            raise err
        return None

    def wait_clone_done(self):
        """After the clone task: the lock must clear; a vanished guest means the clone failed and was cleaned up."""
        run = self.run
        config = guests.wait_unlocked(self.client, run.guest["node"], run.guest["vmid"], run.deadline,
                                      locks=("clone", "create"))
        if config is None:
            raise ProxmoxError("server %r (vmid %s) still has lock %r after the clone; wait_timeout passed"
                               % (self.params["name"], run.guest["vmid"], "clone"), kind=UNKNOWN)
        if not config:
            raise ProxmoxError("the clone of server %r (vmid %s) failed: the guest is gone" % (
                self.params["name"], run.guest["vmid"]))
        run.config = config
        run.guest["lock"] = config.get("lock")

    # --- half-built ----------------------------------------------------------------------------------------------
    def finish_clone(self):
        """A guest found with ``lock: clone``: wait for its clone when one runs; rebuild it when its clone failed."""
        run = self.run
        if run.guest.get("lock") not in ("clone", "create"):
            return
        upids = run.clone_tasks()
        if upids:
            run.start_step("clone", upids)
            self.wait_clone_done()
            return
        config = run.read_config_or_none()
        if config is not None and not config.get("lock"):
            run.config = config
            return
        # The clone died and left a locked, partial guest: it never ran and holds nothing; build it again.
        run.diff.add("state", "half-built (failed clone)", "present")
        self.replace(skiplock=True)

    # --- rebuild -----------------------------------------------------------------------------------------------
    def rebuild(self):
        """state=rebuilt: destroy and clone again into the same vmid on the same node, keeping its settings."""
        run = self.run
        if run.guest.get("lock") in ("clone", "create") and run.clone_tasks():
            raise ProxmoxError("server %r (vmid %s) is still being cloned; rebuild it once the clone ends"
                               % (self.params["name"], run.guest["vmid"]))
        config = run.read_config_or_none() or {}
        run.keep = kept_settings(config)
        run.was_running = run.guest.get("status") == "running"
        run.diff.add("state", "present", "rebuilt")
        self.replace(skiplock=bool(config.get("lock") in ("clone", "create")))

    def replace(self, skiplock=False):
        run = self.run
        if skiplock:
            run.check_may_skiplock()
        guest = dict(run.guest)
        run.kept_pool = guest.get("pool")  # PVE drops a destroyed guest from its pool: the new one goes back in
        run.find_template()             # before anything is deleted: the template must be there to build again
        run.changed = True
        if run.check_mode:
            run.config = run.read_config_or_none() or {}
            return
        if guest.get("status") == "running":
            run.power("stop", "stopped")
        run.destroy(skiplock=skiplock)
        run.config = None
        self.create(vmid=guest["vmid"], node=guest["node"])
