# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Building a server for jotun_server: template and node choice, a safe vmid under parallel builds, the clone,
recovery from a clone that was interrupted or failed, and the rebuild (re-clone keeping vmid, node, pool and - through
server/carry.py - everything of the old config but the disks' contents).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random
import re
import time

from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils import placement
from ansible_collections.jotunheim.proxmox.plugins.module_utils import pools
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import carry
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import nics
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import firewall
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import spec
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import (
    BUILDING_LOCKS, current_guests, list_nodes, next_vmid, reservation_name, wait_unlocked_following)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import (
    FINAL, RETRYABLE, InputError, ProxmoxError, TaskFailed, UNKNOWN)

MAX_VMID_ATTEMPTS = 30
OWNER_MARGIN = 60.0            # seconds past a rebuilding run's deadline after which its reservation is taken over
TEMPLATE_LOCK_RETRIES = 3      # clone tasks started again after failing on the template's config lock


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


def resolve_templates(all_guests, template, name):
    """The templates ``template`` names: the one with that vmid, or every template of that name (operators may keep
    a copy on each node). InputError (option ``template``) as :func:`resolve_template`."""
    text = str(template or "").strip()
    if text and not text.isdigit():
        found = [g for g in all_guests if qc.parse_bool(g.get("template") or 0) and g.get("name") == text]
        if len(found) > 1:
            return sorted(found, key=lambda g: int(g["vmid"]))
    return [resolve_template(all_guests, template, name)]


def vmid_taken_in_task(err, newid):
    """True when a failed qmclone task (TaskFailed ``err``) failed because ``newid`` was taken meanwhile: the
    worker re-checks the vmid inside its locks (qemu-server clone_vm): "unable to create VM N: config file already
    exists", its lock "can't lock file '/var/lock/qemu-server/lock-N.conf' - got timeout" held by another clone,
    or pmxcfs refusing the temporary config of a vmid that is a guest of another node ("close (rename) atomic file
    '.../N.conf' failed: File exists"). Nothing was created then: building again with another vmid is safe."""
    texts = [str(t.get("exitstatus") or "") for t in getattr(err, "tasks", [])] or [str(err)]
    for text in texts:
        if re.search(r"unable to create VM %d\b.*already exists" % newid, text):
            return True
        if re.search(r"lock-%d\.conf' - got timeout" % newid, text):
            return True
        if re.search(r"/%d\.conf' failed: File exists" % newid, text):
            return True
    return False


def lock_timeout_in_task(err, vmid):
    """True when a failed task (TaskFailed ``err``) could not get ``vmid``'s config lock: the clone worker waits 1 s
    for the template's lock (shared when stopped), which someone else held exclusively; nothing was created."""
    texts = [str(t.get("exitstatus") or "") for t in getattr(err, "tasks", [])] or [str(err)]
    return any(re.search(r"lock-%d\.conf' - got timeout" % int(vmid), text) for text in texts)


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


class Builder(object):
    """The build steps of one ServerRun (``run``): create, finish an interrupted clone, rebuild."""

    def __init__(self, run):
        self.run = run
        self.client = run.client
        self.params = run.params
        self.template_config = None
        self.record = None      # what the rebuild carries, as kept in its name reservation (reserve, claim)

    # --- create ------------------------------------------------------------------------------------------------
    def place(self, node=None):
        """(template, node) for a new clone: the template named by ``template`` (or its copy on the node) and a node
        Proxmox VE can clone it to (placement.py). ``node``: the node it must go to (a rebuild keeps its node), else
        the ``node`` option, else the node with the most free memory among those the template reaches.
        Reads ``/nodes``, ``/storage`` and each candidate template's config, and with ``bridge`` the bridges of the
        candidate nodes (``GET /nodes/{node}/network?type=any_bridge``); writes nothing.
        Raises InputError naming ``node`` when the template cannot reach the node, ``bridge`` when it lacks the
        bridge."""
        run = self.run
        templates = resolve_templates(run.list_guests(), self.params.get("template"), self.params["name"])
        configs = {}
        for template in templates:
            configs[template["vmid"]] = guests.read_config(self.client, template["node"], template["vmid"],
                                                           deadline=run.deadline)
        index = placement.storage_index(self.client.get("/storage", deadline=run.deadline))
        storage = self.storage() if self.params.get("full_clone", True) else None
        bridges = {}

        def bridges_of(name):
            if name not in bridges:
                bridges[name] = placement.node_bridges(self.client, name, deadline=run.deadline)
            return bridges[name]

        template, node = placement.place(templates, configs, index, list_nodes(self.client, deadline=run.deadline),
                                         wanted=node or self.params.get("node"), target_storage=storage,
                                         choose=choose_node, bridge=self.params.get("bridge"),
                                         bridges_of=bridges_of)
        self.template_config = configs[template["vmid"]]
        run.check_disk_size(self.template_config)       # disk_size below the template's: refused before the clone
        nics.check_build(self.client, node, run.extras.get("networks"), self.template_config, run.carried,
                         deadline=run.deadline)
        # balloon above the memory the new config will have (the template's, or a rebuild's carried values)
        base = dict(self.template_config)
        base.update((key, value) for key, value in ((run.carried or {}).get("settings") or {}).items()
                    if key in ("memory", "balloon"))
        spec.check_balloon(base, self.params)
        return template, node

    def create(self, vmid=None, node=None, placed=None):
        run = self.run
        template, node = placed or self.place(node)
        run.changed = True
        run.created = True
        run.diff.add("state", "absent", "present")
        if run.check_mode:
            run.guest = {"vmid": vmid or self.params.get("vmid"), "node": node, "status": "stopped",
                         "name": self.params["name"], "pool": self.pool()}
            run.config = dict(self.template_config)
            run.config.pop("template", None)
            run.config["name"] = self.params["name"]
            return
        pool = self.pool()
        run.step = "clone"
        fixed, last, lock_waits = vmid or self.params.get("vmid"), 0, 0
        for attempt in range(MAX_VMID_ATTEMPTS):
            upid, newid = self.clone(template, node, fixed, pool, last=last, first_attempt=attempt)
            run.guest = {"vmid": newid, "node": node, "status": "stopped", "name": self.params["name"],
                         "lock": "clone", "pool": pool}
            try:
                run.start_step("clone", [upid])
            except TaskFailed as err:
                if not fixed and vmid_taken_in_task(err, newid):
                    last = newid      # another build took the vmid after our request was checked: next one
                    continue
                if lock_waits < TEMPLATE_LOCK_RETRIES and lock_timeout_in_task(err, template["vmid"]):
                    lock_waits += 1   # the template's config lock was held (1 s wait in the worker): again
                    continue
                raise
            self.wait_clone_done()
            return
        raise InputError("vmid: no free vmid found after %d attempts" % MAX_VMID_ATTEMPTS, option="vmid")

    def yield_to_twin(self):
        """After its clone: True when this run lost a race it could not see coming and has given way.

        Two runs that look for a name before either has sent its clone both clone (nothing in Proxmox VE tells
        them apart earlier). Once its clone is done, a run reads the current names (``GET /nodes/{node}/qemu``):
        when a server of the same name with a lower vmid exists, the run destroys its own copy (fresh, never
        started) and goes on with that one, so parallel runs end on one server. Not with a fixed ``vmid``."""
        run = self.run
        if run.check_mode or self.params.get("vmid") is not None:
            return False
        ours = int(run.guest["vmid"])
        twins = sorted((g for g in current_guests(self.client, deadline=run.deadline)
                        if g.get("name") == self.params["name"] and not g.get("template") and g["vmid"] < ours),
                       key=lambda g: g["vmid"])
        if not twins:
            return False
        run.step = "destroy"
        run.destroy()
        winner = run.confirmed(twins[0])
        if winner is None:
            raise ProxmoxError("server %r: another run built it as vmid %s at the same time, this run removed its "
                               "own copy (vmid %s), and vmid %s is gone now; run again"
                               % (self.params["name"], twins[0]["vmid"], ours, twins[0]["vmid"]), kind=UNKNOWN)
        run.guest, run.config, run.created = winner, None, False
        run.diff.add("vmid", ours, winner["vmid"])
        return True

    def pool(self):
        """The pool a new server joins: ``pool`` ("": none); without it, the pool of the server it replaces."""
        wanted = self.params.get("pool")
        return (wanted or None) if wanted is not None else self.run.kept_pool

    def storage(self):
        """The storage a full clone's disks go to: ``storage``; without it, a rebuild's old boot disk storage (the
        server's disk stays where it was), else the template's (None)."""
        if self.params.get("storage"):
            return self.params["storage"]
        return (self.run.carried or {}).get("boot_storage")

    def clone(self, template, node, fixed_vmid, pool=None, last=0, first_attempt=0):
        """Start the clone into a free vmid; returns (upid or None after an unknown outcome, vmid)."""
        for attempt in range(first_attempt, first_attempt + MAX_VMID_ATTEMPTS):
            newid = fixed_vmid or candidate_vmid(next_vmid(self.client), last, attempt)
            try:
                upid = guests.clone(self.client, template["node"], template["vmid"], newid, self.params["name"],
                                    target=node, full=self.params.get("full_clone", True),
                                    storage=self.storage(), pool=pool,
                                    deadline=self.run.deadline)
                return upid, newid
            except guests.VmidTaken:
                if fixed_vmid:
                    raise InputError("vmid: %s is already in use" % fixed_vmid, option="vmid")
                last = newid
            except ProxmoxError as err:
                if err.kind != UNKNOWN:
                    raise pools.pool_error(err, pool)
                return self.reconcile_clone(err, [template["node"], node], newid), newid
        raise InputError("vmid: no free vmid found after %d attempts" % MAX_VMID_ATTEMPTS, option="vmid")

    def reconcile_clone(self, err, nodes, newid):
        """The clone request's answer was lost: did the new guest appear? If so, the clone runs; else re-raise.
        The clone's config is on the template's node until it ends (then on the target node), and is first a
        temporary file holding only ``lock: clone``: a fresh vmid showing that is our clone."""
        config = None
        for node in [n for i, n in enumerate(nodes) if n and n not in nodes[:i]]:
            config = guests.read_config_or_none(self.client, node, newid, deadline=self.run.deadline)
            if config is not None:
                break
        if config is None:
            raise err
        ours = config.get("name") == self.params["name"] or (
            not config.get("name") and config.get("lock") in BUILDING_LOCKS)
        if not ours:
            raise err
        return None

    def wait_clone_done(self):
        """After the clone task: the lock must clear; a vanished guest means the clone failed and was cleaned up."""
        run = self.run
        # a clone to another node keeps its config on the source node and moves it to the target at the end
        config = wait_unlocked_following(self.client, run.guest, run.deadline, locks=BUILDING_LOCKS)
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
        run.carried = carry.capture(config)
        firewall.capture(run)           # the destroy deletes the guest firewall: read it first
        run.was_running = run.guest.get("status") == "running"
        run.old_vmgenid = config.get("vmgenid")
        run.diff.add("state", "present", "rebuilt")
        self.replace(skiplock=bool(config.get("lock") in ("clone", "create")))

    def lift_protection(self):
        """A protected server cannot be destroyed (PVE: "can't remove VM N - protection mode enabled"): a rebuild
        takes the protection off just before the destroy; carry.reapply sets it again on the new clone."""
        run = self.run
        if not run.carried.get("protected"):
            return
        run.step = "protection"
        for attempt in range(2):
            try:
                guests.update_config(self.client, run.guest["node"], run.guest["vmid"], {"delete": "protection"},
                                     deadline=run.deadline)
                return
            except ProxmoxError as err:
                # the answer was lost: read whether it took effect (the change is absolute, sending it again is safe)
                if err.kind != UNKNOWN or attempt:
                    raise
                config = run.read_config_or_none() or {}
                if not qc.parse_bool(config.get("protection") or 0):
                    return

    def replace(self, skiplock=False):
        """Destroy the guest and clone the template into its vmid on its node. Before the first write the name
        reservation is made (reserve) holding what the rebuild carries; it stays until the run has written that to
        the new clone (ServerRun releases it after the power step). The stop and the destroy are waited for even with
        ``wait: false`` (the run ends at the clone at the earliest). A run that ends or fails before the end hands the
        reservation over (hand_over): a later run finishes the rebuild from it (resume)."""
        run = self.run
        if skiplock:
            run.check_may_skiplock()
        guest = dict(run.guest)
        if run.reserved is None:
            run.kept_pool = guest.get("pool")  # PVE drops a destroyed guest from its pool: the new one goes back in
        # before anything is deleted: the template must be there and reach the server's node to build it again
        placed = self.place(guest["node"])
        run.changed = True
        if run.check_mode:
            run.config = run.read_config_or_none() or {}
            return
        fresh = run.reserved is None
        if fresh:
            self.reserve(guest, placed)
        touched = False
        waiting, run.wait = run.wait, True
        try:
            if guest.get("status") == "running":
                touched = True
                run.power("stop", "stopped")
            if run.carried is not None and run.carried.get("protected"):
                touched = True
                self.lift_protection()
            # a rebuild keeps the server in its backup jobs, replication and HA: no purge (PVE refuses to destroy an
            # HA-managed guest without purge, before any change: the run fails naming it)
            try:
                run.destroy(skiplock=skiplock, purge=False if run.carried is not None else None)
            except ProxmoxError as err:
                if isinstance(err, TaskFailed) or err.kind == UNKNOWN or err.status is None:
                    touched = True
                raise
            touched = True
        except Exception:
            run.wait = waiting
            if fresh and not touched:
                self.release(run.reserved, quiet=True)      # refused before anything changed: nothing to keep
                run.reserved = None
            raise
        run.wait = waiting
        run.config = None
        self.create(vmid=guest["vmid"], placed=placed)

    # --- the name reservation and its record ---------------------------------------------------------------------
    def reserve(self, guest, placed):
        """Keep the server's name reserved, and what the rebuild carries, while it is rebuilt: a config-only guest
        named cluster.reservation_name(name, vmid) on the server's node (``POST /nodes/{node}/qemu``, its qmcreate
        task waited for), made before anything of the old guest changes. Its ``description`` holds the record
        (carry.pack; see record()). A run that finds it waits while the rebuilding run may still be working, then
        finishes the rebuild (ServerRun.locate, resume). Sets ``run.reserved`` ({vmid, node}) and ``self.record``."""
        run = self.run
        name = self.params["name"]
        self.record = {"vmid": int(guest["vmid"]), "node": guest["node"], "template": int(placed[0]["vmid"]),
                       "pool": run.kept_pool, "running": bool(run.was_running), "carried": run.carried,
                       "vmgenid": getattr(run, "old_vmgenid", None), "until": self.until()}
        data = {"name": reservation_name(name, guest["vmid"]), "description": carry.pack(self.header(), self.record)}
        last = 0
        for attempt in range(MAX_VMID_ATTEMPTS):
            newid = candidate_vmid(next_vmid(self.client, deadline=run.deadline), last, attempt)
            try:
                upid = guests.create(self.client, guest["node"], newid, data, deadline=run.deadline)
            except guests.VmidTaken:
                last = newid
                continue
            run.step = "reserve"
            run.waiter.wait([upid], run.deadline)
            run.reserved = {"vmid": newid, "node": guest["node"]}
            return run.reserved
        raise InputError("vmid: no free vmid found for the rebuild's name reservation after %d attempts"
                         % MAX_VMID_ATTEMPTS, option="vmid")

    def header(self):
        return ("jotun: server %s (vmid %s) is being rebuilt (jotun_server state=rebuilt); this guest keeps its name "
                "and the settings the rebuild carries over until the new clone has them. Run the jotun_server task "
                "again to finish the rebuild; do not delete this guest unless you give up the old settings"
                % (self.params["name"], self.record["vmid"]))

    def until(self):
        """Epoch seconds at which this run's wait_timeout ends: after it (and OWNER_MARGIN) the run is surely over."""
        remaining = self.run.deadline.remaining() if self.run.deadline is not None else float("inf")
        return int(time.time() + min(remaining, 86400.0)) + 1

    def hand_over(self):
        """The run ends (``wait: false``, an error, wait_timeout) with the rebuild unfinished: mark the record as
        free to take over at once (``until`` 0; ``PUT .../config`` of the reservation, sent even after the
        deadline). Quiet: a failure here only makes the next run wait OWNER_MARGIN past this run's deadline."""
        run = self.run
        if run.reserved is None or run.check_mode or self.record is None:
            return
        try:
            guests.update_config(self.client, run.reserved["node"], run.reserved["vmid"],
                                 {"description": carry.pack(self.header(), dict(self.record, until=0))})
        except ProxmoxError:
            pass

    def claim(self, entry):
        """A reservation of the name exists (``entry``: a listing entry with ``reserved_vmid``): wait while the run
        that made or took it may still work (its ``until`` plus OWNER_MARGIN; polling under wait_timeout), then take
        it over: ``PUT .../config`` of the reservation with its digest and this run's ``until``, so that of two runs
        only one finishes the rebuild. Returns True once taken (``run.reserved``, ``run.carried``... set), False
        when the reservation went away meanwhile (look for the server again). A reservation without a record this
        module can read (an older version's) is only waited for. Raises ProxmoxError (retryable) when wait_timeout
        passes first. Check mode takes nothing."""
        run = self.run
        reserved = {"vmid": int(entry["vmid"]), "node": entry["node"]}
        state = {}

        def check():
            config = guests.read_config_or_none(self.client, reserved["node"], reserved["vmid"], deadline=run.deadline)
            if config is None:
                return {}
            record = carry.unpack(config.get("description"))
            state["record"] = record
            if record is None or int(record.get("vmid") or -1) != int(entry["reserved_vmid"]):
                state["record"] = None
                return None     # no record (an older version's reservation): waited for until it goes
            if run.check_mode or float(record.get("until") or 0) + OWNER_MARGIN < time.time():
                return config
            return None

        for attempt in range(5):
            config = guests.wait_for(check, run.deadline)
            if config is None and state.get("record") is None:
                raise ProxmoxError("server %r is being rebuilt into vmid %s (guest %s %r keeps its name reserved "
                                   "meanwhile, without a record this module can read) and was not done within "
                                   "wait_timeout; nothing was changed - run again later. If no rebuild runs any more "
                                   "(it was interrupted), delete guest %s and run again"
                                   % (self.params["name"], entry["reserved_vmid"], reserved["vmid"], entry.get("name"),
                                      reserved["vmid"]), kind=RETRYABLE)
            if config is None:
                raise ProxmoxError("server %r is being rebuilt into vmid %s by another run (guest %s %r keeps its name "
                                   "and settings meanwhile) that was not done within wait_timeout; nothing was "
                                   "changed - run again later" % (self.params["name"], entry["reserved_vmid"],
                                                                  reserved["vmid"], entry.get("name")), kind=RETRYABLE)
            if not config:
                return False
            record = state["record"]
            if not run.check_mode:
                mine = dict(record, until=self.until())
                try:
                    guests.update_config(self.client, reserved["node"], reserved["vmid"],
                                         {"description": carry.pack(self.header_for(record), mine),
                                          "digest": config.get("digest")}, deadline=run.deadline)
                except ProxmoxError as err:
                    if guests.is_digest_mismatch(err):
                        continue            # another run took it first: it is that run's now
                    if err.kind != UNKNOWN:
                        raise
                    now = guests.read_config_or_none(self.client, reserved["node"], reserved["vmid"],
                                                     deadline=run.deadline) or {}
                    if (carry.unpack(now.get("description")) or {}).get("until") != mine["until"]:
                        continue
                record = mine
            self.record = record
            run.reserved = reserved
            run.carried = record.get("carried")
            run.kept_pool = record.get("pool")
            run.was_running = bool(record.get("running"))
            run.old_vmgenid = record.get("vmgenid")
            if not self.params.get("template"):
                self.params["template"] = str(record.get("template"))
            return True
        raise ProxmoxError("server %r: the reservation of its unfinished rebuild (guest %s) kept changing; run again"
                           % (self.params["name"], reserved["vmid"]), kind=RETRYABLE)

    def header_for(self, record):
        self.record = record
        return self.header()

    def resume(self):
        """Finish a rebuild taken over from its reservation (claim): the vmid absent (destroyed, no clone or a
        failed one): clone again; a clone running: wait for it (``wait: false``: the run ends there); a clone that
        died: build again; the old guest still there (the rebuild ended before its destroy): ``state: rebuilt``
        goes on with the rebuild, any other state writes the record back to it (giving back the protection and power
        the rebuild had taken, nothing else differs). Afterwards the run writes the carried settings to the clone (``run.created``) and releases
        the reservation after the power step."""
        run = self.run
        vmid = self.record["vmid"]
        guest = run.guest
        if guest is not None and int(guest["vmid"]) != vmid:
            raise ProxmoxError("server %r is vmid %s, but an unfinished rebuild of it into vmid %s keeps its name "
                               "(guest %s); nothing was changed - delete one of them" % (
                                   self.params["name"], guest["vmid"], vmid, run.reserved["vmid"]), kind=FINAL)
        run.diff.add("state", "rebuilding (unfinished)", "rebuilt")
        if guest is None:
            self.create(vmid=vmid, node=self.record["node"])
            return
        if guest.get("lock") in ("clone", "create"):
            self.finish_clone()
            run.created = True
            return
        config = run.read_config()
        if run.carried is not None and self.is_old_guest(config) and self.params["state"] == "rebuilt":
            self.replace()
            return
        # a finished clone, or (any other state) the old guest: writing the record back to it gives back what the
        # rebuild had changed (protection, power) and changes nothing else
        run.created = True

    def is_old_guest(self, config):
        """True when ``config`` is the old guest's, not a clone's: a clone always gets a new smbios1 uuid (and a new
        vmgenid when it has one; qemu-server clone_vm) until the carried values are written back."""
        old = (self.run.carried or {}).get("settings") or {}
        return (config.get("smbios1") == old.get("smbios1")
                and config.get("vmgenid") == getattr(self.run, "old_vmgenid", None))

    def release_reserved(self):
        """The carried settings are on the new clone (or there is nothing to finish): delete the reservation."""
        run = self.run
        if run.reserved is None or run.check_mode:
            return
        run.changed = True
        self.release(run.reserved)
        run.reserved = None

    def release(self, reserved, quiet=False):
        """Delete the name reservation (and wait for its qmdestroy task); gone already is fine. ``quiet``: while
        another error is being raised, a failure here is not raised over it."""
        run = self.run
        try:
            upid = guests.destroy(self.client, reserved["node"], reserved["vmid"], purge=True, deadline=run.deadline)
            run.waiter.wait([upid], run.deadline)
        except ProxmoxError as err:
            if not (quiet or guests.is_missing(err)):
                raise
