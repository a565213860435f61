# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The jotun_server state machine: find, build (clone), configure, grow the disk, cloud-init, power, rebuild, delete.

Each ``ensure_*`` step looks at the state it was handed, does only what differs from the request and records what
changed (or, in check mode, what would change) in ``self.changed`` and the difference tracker. A step that starts
a task either waits for it under the run's deadline or, with ``wait: false``, ends the run there (``StepStarted``)
and reports the step reached and its UPIDs; the next run picks up from the real state.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.jotunheim.proxmox.plugins.module_utils import agent
from ansible_collections.jotunheim.proxmox.plugins.module_utils import disks
from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils import placement
from ansible_collections.jotunheim.proxmox.plugins.module_utils import pools
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import carry
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import datadisks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import firewall
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import migrate
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import nics
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import rescue
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import spec
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import FINAL, RETRYABLE, UNKNOWN, StepStarted
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, TaskFailed
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server.build import Builder, resolve_template
from ansible_collections.jotunheim.proxmox.plugins.module_utils import cluster
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import wait_named
from ansible_collections.jotunheim.proxmox.plugins.module_utils.reconcile import find_started_task, write_started
from ansible_collections.jotunheim.proxmox.plugins.module_utils.sizes import format_size
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter, started_task


ROOT_USER = "root@pam"       # the only user Proxmox VE lets use skiplock
DESTROY_SETTLE = 5.0         # seconds a destroy's task may take to show in the task list after a lost answer


class Differences(object):
    """Before/after of every key a run changed (or would change), secrets already masked by the caller."""

    def __init__(self):
        self.before = {}
        self.after = {}

    def add(self, key, before, after):
        if key not in self.before:
            self.before[key] = before
        self.after[key] = after

    def add_plan(self, plan):
        for key in plan.after:
            self.add(key, plan.before.get(key), plan.after[key])

    def result(self):
        return {"before": dict(self.before), "after": dict(self.after)}


class ServerRun(object):
    """One run of jotun_server against one server name."""

    def __init__(self, client, params, check_mode=False, deadline=None):
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.deadline = deadline
        self.wait = params.get("wait", True)
        self.extras = spec.validate(params)
        self.waiter = TaskWaiter(client)
        self.diff = Differences()
        self.changed = False
        self.step = None
        self.tasks = []
        self.guest = None       # {"vmid", "node", "status", "lock", "name"}
        self.config = None      # pending values applied, with digest
        self.pending = None
        self.created = False
        self.carried = None     # a rebuild: what it keeps of the old guest (server/carry.py capture())
        self.warnings = []      # what the run could not do as asked, or not carry over (the result's warnings)
        self.kept_pool = None   # the pool a rebuilt (or re-built half-built) server goes back into
        self.was_running = False
        self.old_vmgenid = None     # a rebuild: the old guest's vmgenid (Builder.is_old_guest)
        self.reservation = None     # the listing entry of a reservation of the name (cluster.reservations), if any
        self.reserved = None        # {vmid, node} of the name reservation this run holds (server/build.py reserve/claim)
        self.all_guests = None
        self.status_current = False     # guest["status"]/["lock"] were read from status/current since the last wait
        self.agent_password = False     # password_via: agent and the run sets cipassword: also set it in the guest
        self.firewall = None            # the guest firewall after the run (server/firewall.py view()), when managed

    # --- entry -------------------------------------------------------------------------------------------------
    def run(self):
        try:
            self._converge()
            self.step = "done"
        except StepStarted:
            pass
        return self.result()

    def _converge(self):
        state = self.params["state"]
        if self.params.get("cpu_type") is not None or self.params.get("cpu_units") is not None:
            spec.validate_release(self.params, self.client.release)     # before anything is written
        builder = Builder(self)
        self.locate(builder)
        try:
            self._converge_found(builder, state)
        except Exception as err:
            if self.reserved is not None and not self.check_mode:
                builder.hand_over()     # an unfinished rebuild: the next run finishes it from the reservation
                if isinstance(err, (ProxmoxError, InputError)) and not isinstance(err, StepStarted):
                    err.message = ("%s; the rebuild of server %r is unfinished: guest %s (%s) keeps its settings - "
                                   "run the task again to finish it" % (err.message, self.params["name"],
                                                                        self.reserved["vmid"], cluster.reservation_name(
                                                                            self.params["name"], builder.record["vmid"])))
                    err.args = (err.message,)
            raise

    def locate(self, builder):
        """Find the server and check the request (preflight, reads only); when a reservation of the name exists
        (an unfinished rebuild), wait for the run that owns it or take it over (Builder.claim)."""
        skipped = set()
        for attempt in range(10):
            self.guest = self.find(skip=skipped)
            self.preflight()
            if self.reservation is None:
                return
            if builder.claim(self.reservation):
                return
            skipped.add(int(self.reservation["vmid"]))      # gone meanwhile (its owner finished): look again
            self.all_guests = None
        raise ProxmoxError("server %r: reservations of its name kept coming and going; run again"
                           % self.params["name"], kind=RETRYABLE)

    def _converge_found(self, builder, state):
        if state == "absent":
            self.ensure_absent()
            builder.release_reserved()
            return
        if self.reserved is not None:
            builder.resume()                # an unfinished rebuild, taken over: finish it
        elif self.guest is not None and state == "rebuilt":
            builder.rebuild()
        elif self.guest is None:
            was_changed = self.changed
            try:
                builder.create()
            except (ProxmoxError, InputError):
                self.after_failed_build(was_changed)
                raise
            if builder.yield_to_twin():     # a parallel run cloned the same name first: go on with its server
                builder.finish_clone()
        else:
            builder.finish_clone()
            migrate.ensure_node(self)       # node names another node: move it (allow_migrate), else fail
        if self.guest is None:      # check mode: nothing to configure against
            return
        self.ensure_config()
        firewall.ensure(self)           # firewall dict / a rebuild's old firewall, before the server starts
        self.ensure_pool()
        self.ensure_disk()
        datadisks.ensure(self)
        rescue.ensure_media(self)
        try:
            self.ensure_power()
        except StepStarted:
            builder.release_reserved()      # the start runs: everything the rebuild carries is on the server
            raise
        builder.release_reserved()
        self.ensure_agent_password()
        rescue.ensure_media_applied(self)
        self.refresh()

    # --- checks before any write ---------------------------------------------------------------------------------
    def preflight(self):
        """The request against the cluster as it is, before anything is written (reads only): a template's name is
        no server's name, ``pool`` exists, and on an existing server ``disk_size`` is not below its disk (a new
        server's is checked against the template's disk in Builder.place). InputError naming the option."""
        state = self.params["state"]
        if self.guest is None:
            templates = [g for g in self.list_guests() if g.get("name") == self.params["name"]
                         and qc.parse_bool(g.get("template") or 0)]
            if templates:
                raise InputError("name: %r is the name of template %s, not of a server; give the server a name of its "
                                 "own (and the template as template)" % (self.params["name"], templates[0]["vmid"]),
                                 option="name")
        if state == "absent":
            return
        if self.params.get("pool"):
            pools.check_pool_exists(self.client, self.params["pool"], deadline=self.deadline)
        guest = self.guest
        building = guest is None or state == "rebuilt"
        if building and self.params.get("storage") and self.params.get("full_clone", True):
            placement.check_storage_content(self.client, self.params["storage"], "images",
                                            node=(guest or {}).get("node") or self.params.get("node"),
                                            deadline=self.deadline)
        if (guest is not None and state != "rebuilt" and self.extras.get("disk_size") is not None
                and guest.get("lock") not in ("clone", "create")):
            self.check_disk_size(self.read_config())
        datadisks.preflight(self)
        firewall.preflight(self)

    def check_disk_size(self, config):
        """InputError naming ``disk_size`` when it is below the boot disk of ``config`` (Proxmox VE cannot shrink)."""
        size = self.extras.get("disk_size")
        if size is None:
            return
        disk = disks.boot_disk(config, option="disk_size")
        disks.target_size(disks.disk_size(config, disk, option="disk_size"), size=size, option="disk_size")

    def after_failed_build(self, was_changed):
        """A build that failed: ``changed`` stays as it was when no guest was left behind (a refused clone, a clone
        task that failed and was cleaned up by Proxmox VE); a guest that exists is reported as it is."""
        if self.guest is None or self.check_mode:
            self.changed = was_changed
            return
        try:
            left = self.read_config_or_none()
        except ProxmoxError:
            return
        if left is None:
            self.changed = was_changed
            self.guest = None

    def unchanged_on_failure(self, was_changed, action):
        """Run ``action`` (a power action or destroy); when it fails and provably changed nothing (refused by an HTTP
        answer, a lock that never cleared, a task that failed with the guest as it was) ``changed`` goes back to
        ``was_changed``."""
        status_before = self.guest.get("status")
        try:
            action()
        except TaskFailed:
            try:
                current = guests.read_status_or_none(self.client, self.guest["node"], self.guest["vmid"],
                                                     deadline=self.deadline)
            except ProxmoxError:
                current = None
            if current is not None and current.get("status") == status_before:
                self.changed = was_changed
            raise
        except ProxmoxError as err:
            if err.kind == RETRYABLE or (err.kind == FINAL and err.status is not None):
                self.changed = was_changed
            raise

    # --- finding -----------------------------------------------------------------------------------------------
    def list_guests(self):
        """Every guest, names of new ones read from their config; waits (under the deadline) while a clone's
        config is still the nameless temporary file, so a clone in flight is never missed (cluster.wait_named)."""
        if self.all_guests is None:
            self.all_guests = wait_named(self.client, deadline=self.deadline)
        return self.all_guests

    def find(self, skip=()):
        """The guest named ``name`` anywhere in the cluster (never needs ``node``); None when there is none.

        With ``vmid`` the guest with that vmid (its name must be ``name``), even when other guests share the name.
        The lookup is cluster.find_named's: a name found in /cluster/resources is confirmed by ``status/current``
        (read anyway: status and lock must be current too), else the per-node lists decide. Also sets
        ``self.reservation``: the reservation of the name (cluster.reservations, lowest vmid; those in ``skip``
        left out) of an unfinished rebuild, which locate() waits for or takes over."""
        listed = self.list_guests()
        reserved = [r for r in cluster.reservations(listed, self.params["name"]) if int(r["vmid"]) not in skip]
        self.reservation = min(reserved, key=lambda r: int(r["vmid"])) if reserved else None
        return self._adopt(cluster.find_named(self.client, self.params["name"], vmid=self.params.get("vmid"),
                                              listed=listed, deadline=self.deadline))

    def confirmed(self, found):
        """``found`` (a listing entry) as the run's guest dict, status and lock from ``status/current``
        (cluster.confirm); None when there is none, it is gone or being destroyed, or its current name is not
        ``name`` (the listing was stale)."""
        return self._adopt(cluster.confirm(self.client, found, self.params["name"], deadline=self.deadline))

    def _adopt(self, guest):
        """A confirmed guest (status and lock read from ``status/current``) as the run's guest dict, or None."""
        if guest is None:
            return None
        self.status_current = True
        return {"vmid": int(guest["vmid"]), "node": guest["node"], "status": guest.get("status"),
                "lock": guest.get("lock") or None, "name": self.params["name"], "pool": guest.get("pool")}

    # --- tasks -------------------------------------------------------------------------------------------------
    def start_step(self, step, upids):
        """Record the step and its tasks; wait for them, or end the run here when wait is false."""
        self.step = step
        upids = [upid for upid in upids if upid]
        if not upids:
            return []
        if not self.wait:
            self.tasks.extend(started_task(upid) for upid in upids)
            raise StepStarted(step)
        done = self.waiter.wait(upids, self.deadline)
        self.tasks.extend(done)
        self.status_current = False     # time passed: another run may have powered the guest meanwhile
        return done

    # --- absent ------------------------------------------------------------------------------------------------
    def ensure_absent(self):
        guest = self.guest
        if guest is None:
            return
        self.read_power_state()
        running = guest.get("status") == "running"
        if running and not self.params.get("force_stop"):
            raise InputError("force_stop: server %r (vmid %s) is running; set force_stop: true to stop it and delete it"
                             % (guest["name"], guest["vmid"]), option="force_stop")
        skiplock = guest.get("lock") == "clone" and not self.clone_tasks()
        if skiplock:
            self.check_may_skiplock()
        was_changed = self.changed
        self.changed = True
        self.diff.add("state", guest.get("status"), "absent")
        if self.check_mode:
            return
        if running:
            self.unchanged_on_failure(was_changed, lambda: self.power("stop", "stopped"))
            was_changed = True          # stopped: the destroy's failure cannot undo that
        self.unchanged_on_failure(was_changed, lambda: self.destroy(skiplock=skiplock))

    def check_may_skiplock(self):
        """A guest left locked by a clone that died can only be removed with ``skiplock``, which Proxmox VE allows to
        root@pam alone: an API token's user is its token id (``root@pam!name``) and gets 400 "Only root may use this
        option." (qemu-server API2/Qemu.pm). Raises ProxmoxError (final, nothing written) for anyone else."""
        user = getattr(self.client, "auth_user", ROOT_USER)
        if user == ROOT_USER:
            return
        guest = self.guest
        raise ProxmoxError("server %r (vmid %s on %s) carries lock %r from a clone that did not finish; removing it "
                           "needs skiplock, which Proxmox VE allows only to root@pam logged in with a password "
                           "(api_user/api_password), not to %s. Run 'qm unlock %s' on node %s, or run this task as "
                           "root@pam, then run it again" % (guest.get("name"), guest["vmid"], guest["node"],
                                                            guest.get("lock") or "clone", user, guest["vmid"],
                                                            guest["node"]), kind=FINAL)

    def destroy(self, skiplock=False, purge=None):
        """DELETE the guest and wait for the qmdestroy task. Proxmox checks the guest's lock inside the task: a
        locked guest (backup, snapshot...) is waited for first, under the run's deadline. ``purge``: None follows
        the ``purge`` option."""
        guest = self.guest
        self.step = "destroy"
        if guest.get("lock") and not skiplock:
            self.wait_unlocked()
        if purge is None:
            purge = self.params.get("purge", True)
        since = write_started(self.client)
        try:
            upid = guests.destroy(self.client, guest["node"], guest["vmid"], purge=purge,
                                  skiplock=skiplock, deadline=self.deadline)
        except ProxmoxError as err:
            if err.kind != UNKNOWN:
                raise
            # the answer was lost (596, dropped connection): never sent again; the qmdestroy task it started is
            # looked up and waited for; with none, the guest being gone means done
            self.step = "destroy"
            upid = find_started_task(self.client, guest["node"], "qmdestroy", since, vmid=guest["vmid"],
                                     deadline=self.deadline, settle=DESTROY_SETTLE)
            if not upid and self.read_config_or_none() is not None:
                raise ProxmoxError("deleting server %r (vmid %s) got no answer (%s), no qmdestroy task for it "
                                   "appeared on %s and it still exists; not sending it again - run again to retry"
                                   % (guest.get("name"), guest["vmid"], err.message, guest["node"]), kind=UNKNOWN,
                                   method="DELETE", path=err.path)
        self.start_step("destroy", [upid])

    def clone_tasks(self):
        """UPIDs of the qmclone tasks running where this guest's clone could run (a qmclone task is named after its
        source, so every node holding guests is looked at: the guest's own and any template's)."""
        nodes = set([self.guest["node"]])
        nodes.update(g["node"] for g in self.list_guests() if g.get("node"))
        upids = []
        for node in sorted(nodes):
            upids.extend(guests.running_tasks(self.client, node, typefilter="qmclone", deadline=self.deadline))
        return upids

    def find_template(self, required=True):
        return resolve_template(self.list_guests(), self.params.get("template"), self.params["name"], required)

    # --- config ------------------------------------------------------------------------------------------------
    def read_config(self):
        """The config (``digest`` included) with pending values applied; pending read too when the guest runs."""
        node, vmid = self.guest["node"], self.guest["vmid"]
        config = guests.read_config(self.client, node, vmid, deadline=self.deadline)
        self.pending = None
        if self.guest.get("status") == "running":
            self.pending = guests.read_pending(self.client, node, vmid, deadline=self.deadline)
            config = guests.with_pending(config, self.pending)
        self.config = config
        return config

    def read_config_or_none(self):
        return guests.read_config_or_none(self.client, self.guest["node"], self.guest["vmid"], deadline=self.deadline)

    def warn(self, text):
        if text not in self.warnings:
            self.warnings.append(text)

    def kept(self, config):
        """A rebuild's carried values the new clone's ``config`` does not have yet (carry.reapply); {} otherwise."""
        if self.carried is None or not self.created:
            if self.carried is not None:
                for text in self.carried.get("lost") or []:
                    self.warn(text)         # check mode: what the rebuild would lose
            return {}
        values, warnings = carry.reapply(self.carried, config)
        for text in warnings:
            if not (text.startswith("cipassword:") and self.params.get("cipassword")):
                self.warn(text)
        return values

    def plan(self):
        config = self.config
        keep = self.kept(config)
        base = dict(config)
        base.update(keep)
        spec.check_balloon(base, self.params)       # Proxmox VE would refuse the write
        plan = spec.plan_config(base, self.params, self.extras, creating=self.created)
        rescue.keep_mark(plan, config)
        for key in sorted(keep):
            if key in plan.updates or key in plan.delete or carry.is_satisfied(key, config, keep[key]):
                continue
            plan.set(key, keep[key], _display(key, config.get(key)), _display(key, keep[key]),
                     cloudinit=qc.is_cloudinit_key(key))
        if spec.password_kept(config, self.params, self.created):
            self.warn("cipassword: server %r already has a cloud-init password and password_update is on_create, "
                      "so the cipassword given was not set (Proxmox VE never shows the password back: whether it "
                      "differs cannot be told); use password_update: always to set it" % self.params["name"])
        return plan

    def ensure_config(self):
        if self.config is None:
            self.read_config()
        plan = self.plan()
        if not plan:
            return
        if not self.created and self.params.get("bridge") and "net0" in plan.updates:
            self.check_bridge()
        if not self.created:
            nics.check_bridges(self.client, self.guest["node"], self.extras.get("networks"), plan, deadline=self.deadline)
        if self.params.get("password_via") == "agent" and "cipassword" in plan.updates and not self.created:
            self.check_agent_password()     # before any write
        was_changed = self.changed
        self.changed = True
        self.diff.add_plan(plan)
        if self.check_mode:
            self.config = spec.apply_plan(self.config, plan)
            return
        self.step = "configure"
        written = []
        try:
            plan = self._write_config(plan, written)
        except (ProxmoxError, InputError) as err:
            if not written and not getattr(err, "unknown", False):
                self.changed = was_changed      # refused, or a lock that never cleared: nothing was written
            raise
        if plan.cloudinit and qc.cloudinit_drive(self.config):
            self.step = "cloudinit"
            guests.regenerate_cloudinit(self.client, self.guest["node"], self.guest["vmid"], deadline=self.deadline)
        # what the config now reads (disks untouched); refresh() reads it back at the end of the run
        self.config = spec.apply_plan(self.config, plan)
        # on a running guest the write may have left values pending: ensure_pending_applied reads them again
        self.pending = None

    def _write_config(self, plan, written):
        """Send ``plan`` until the config reads as planned; appends to ``written`` once a write may have landed.
        Returns the last plan."""
        stale = 0
        while True:
            if self.config.get("lock"):
                # lock: backup, snapshot, ...: every write would be refused; watch the guest until it clears
                self.wait_unlocked()
            else:
                try:
                    guests.update_config(self.client, self.guest["node"], self.guest["vmid"],
                                         plan.api_params(self.config.get("digest")), deadline=self.deadline)
                    written.append(True)
                    break
                except ProxmoxError as err:
                    if guests.is_locked_failure(err):
                        pass                    # nothing written; the config read below shows the lock
                    elif err.kind == UNKNOWN or guests.is_digest_mismatch(err):
                        if err.kind == UNKNOWN:
                            written.append(True)
                        stale += 1
                        if stale >= 3:
                            raise
                    else:
                        raise                   # refused at once (500/400): nothing was written by this write
            self.read_config()
            plan = self.plan()
            if not plan or (set(plan.updates) == set(["cipassword"]) and not plan.delete):
                break
        return plan

    # --- password through the guest agent ------------------------------------------------------------------------
    def agent_user(self):
        return self.params.get("ciuser") or (self.config or {}).get("ciuser") or "root"

    def check_agent_password(self):
        """``password_via: agent`` on an existing server whose password this run sets: the agent must be enabled,
        the server running after the run, and (when it runs now) its agent answering within ``wait_timeout``.
        InputError naming ``password_via`` otherwise, before anything is written."""
        name = self.params["name"]
        if not qc.parse_agent(self.config.get("agent")):
            raise InputError("password_via: agent needs the QEMU guest agent, which is disabled on server %r (its "
                             "agent config is off); enable it (agent: true, then a restart) or use password_via: "
                             "cloudinit" % name, option="password_via")
        status = self.read_power_state()
        state = self.params["state"]
        if status != "running" and state not in ("started", "restarted", "rescued"):
            raise InputError("password_via: agent sets the password in the running guest, and server %r is %s "
                             "(state: %s); use state: started, or password_via: cloudinit to set it at the next "
                             "boot" % (name, status, state), option="password_via")
        self.agent_password = True
        self.diff.add("agent_password", None, "%s (set for user %s through the guest agent)"
                      % (qc.CIPASSWORD_MASK, self.agent_user()))
        if status == "running" and not self.check_mode:
            agent.wait_agent(self.client, self.guest["node"], self.guest["vmid"], self.deadline,
                             option="password_via")

    def ensure_agent_password(self):
        """Set the password in the running guest (``POST .../agent/set-user-password``) after the power step, once
        the agent answers (a server just started: under ``wait_timeout``). The password is never in a message."""
        if not self.agent_password or self.check_mode:
            return
        node, vmid = self.guest["node"], self.guest["vmid"]
        self.step = "agent_password"
        agent.wait_agent(self.client, node, vmid, self.deadline, option="password_via")
        user = self.agent_user()
        try:
            agent.set_user_password(self.client, node, vmid, user, self.params["cipassword"], deadline=self.deadline)
        except ProxmoxError as err:
            raise InputError("password_via: setting the password of user %r through the guest agent of server %r "
                             "failed (the cloud-init cipassword is stored and applies at the next boot): %s"
                             % (user, self.params["name"], err), option="password_via")

    def check_bridge(self):
        """``bridge`` for an existing server's NIC must exist on its node: Proxmox VE takes the change and fails only
        at the next start ("bridge 'X' does not exist"). InputError naming ``bridge`` before any write."""
        node = self.guest["node"]
        names = placement.node_bridges(self.client, node, deadline=self.deadline)
        if self.params["bridge"] not in names:
            raise InputError("bridge: %r is not a bridge of %s (%s has %s), where server %r is"
                             % (self.params["bridge"], node, node, ", ".join(sorted(names)) or "none",
                                self.params["name"]), option="bridge")

    # --- pool --------------------------------------------------------------------------------------------------
    def ensure_pool(self):
        """``pool`` on an existing server: move it into that pool (an empty string: out of any pool)."""
        wanted = self.params.get("pool")
        if wanted is None or self.created:
            return
        wanted = wanted or None
        before = self.guest.get("pool")
        if before == wanted:
            return
        self.changed = True
        self.diff.add("pool", before or "", wanted or "")
        if self.check_mode:
            return
        self.step = "pool"
        pools.set_pool(self.client, self.guest["vmid"], before, wanted, deadline=self.deadline)
        self.guest["pool"] = wanted

    # --- disk --------------------------------------------------------------------------------------------------
    def ensure_disk(self):
        size = self.extras.get("disk_size")
        if self.carried is not None:
            # a rebuild grows the template's disk back to the old size, or to a larger disk_size; never smaller
            old = self.carried.get("boot_size")
            if size is not None and old and size < old:
                self.warn("disk_size: %s is smaller than the old boot disk (%s); the rebuilt server's disk has %s "
                          "(a rebuild never shrinks it)" % (format_size(size), format_size(old), format_size(old)))
            if self.created:
                size = carry.boot_size(self.carried, size)
            elif size is not None and old:
                size = max(size, old)       # check mode: the old guest, which has that size already
        if size is None:
            return
        disk = disks.boot_disk(self.config, option="disk_size")
        before = disks.disk_size(self.config, disk, option="disk_size")
        if self.carried is not None and self.created and before >= size:
            return      # the new template's disk is larger than the old one already: never shrunk
        target = disks.target_size(before, size=size, option="disk_size")
        if target == before:
            return
        self.changed = True
        self.diff.add("disk_size", format_size(before), format_size(target))
        if self.check_mode:
            return
        self.step = "resize"
        outcome = disks.resize(self.client, self.guest["node"], self.guest["vmid"], disk, size=size, wait=self.wait,
                               deadline=self.deadline, option="disk_size", disk_option="disk_size")
        self.tasks.extend(outcome.get("tasks") or [])
        if outcome.get("status") == "in_progress":
            raise StepStarted("resize")

    # --- power -------------------------------------------------------------------------------------------------
    def current_status(self):
        status = self.guest.get("status")
        if status is None or self.created:
            status = "stopped" if self.created else status
        return status

    def ensure_power(self):
        state = self.params["state"]
        status = self.current_status()
        wanted = {"started": "running", "stopped": "stopped", "rescued": "running"}.get(state)
        if self.was_running and self.carried is not None and self.created and wanted is None:
            wanted = "running"      # a rebuild (or the run finishing it) starts a server that was running
        if not self.created and (state == "restarted" or wanted):
            status = self.read_power_state()
        was_changed = self.changed
        if state == "restarted":
            self.changed = True
            self.diff.add("status", status, "running (restarted)")
            if self.check_mode:
                self.guest["status"] = "running"
            else:
                action = "reboot" if status == "running" else "start"
                self.unchanged_on_failure(was_changed, lambda: self.power(action, "running"))
            return
        if wanted and wanted != status:
            self.changed = True
            self.diff.add("status", status, wanted)
            if self.check_mode:
                self.guest["status"] = wanted
            else:
                action = "start" if wanted == "running" else "shutdown"
                self.unchanged_on_failure(was_changed, lambda: self.power(action, wanted))
            return
        if status == "running":
            self.ensure_pending_applied()

    def ensure_pending_applied(self):
        if self.check_mode and self.changed:
            return
        if self.pending is None:
            self.pending = guests.read_pending(self.client, self.guest["node"], self.guest["vmid"], deadline=self.deadline)
        if not self.pending or self.params.get("apply_pending") != "reboot":
            return
        self.changed = True
        self.diff.add("pending", sorted(self.pending), [])
        if not self.check_mode:
            self.power("reboot", "running")
            self.pending = None

    def read_power_state(self, fresh=False):
        """The guest's status and lock from ``status/current`` (current, unlike /cluster/resources, whose status
        lags up to ~10 s behind a power action): a stopped server is not shut down again. Not read again when
        find() read it this run and the run has not waited on anything since."""
        if self.status_current and not fresh:
            return self.guest.get("status")
        current = guests.read_status(self.client, self.guest["node"], self.guest["vmid"], deadline=self.deadline)
        if current.get("status"):
            self.guest["status"] = current["status"]
        self.guest["lock"] = current.get("lock")
        self.status_current = True
        return self.guest.get("status")

    def power(self, action, wanted):
        """Run a power action and wait for its task. Proxmox checks locks inside the task, so a guest under a lock
        (backup, snapshot...) is waited for first, and once more if a lock came in between; stop and shutdown of a
        guest that is already stopped end OK with nothing done."""
        guest = self.guest
        params = {}
        if action == "shutdown":
            params = {"timeout": self.params.get("shutdown_timeout", 120), "forceStop": bool(self.params.get("force_stop"))}
        elif action == "reboot":
            # vm_reboot shuts the guest down (waiting up to timeout), then starts it; it has no forceStop
            params = {"timeout": self.params.get("shutdown_timeout", 120)}
        locked = bool(guest.get("lock"))
        self.step = action
        for attempt in range(3):
            if locked:
                self.wait_unlocked()
            try:
                upid = guests.power(self.client, guest["node"], guest["vmid"], action, deadline=self.deadline, **params)
            except ProxmoxError as err:
                if err.kind != UNKNOWN:
                    raise
                self.step = action
                if not guests.wait_status(self.client, guest["node"], guest["vmid"], wanted, self.deadline):
                    raise
                upid = None
            try:
                self.start_step(action, [upid])
            except TaskFailed as err:
                if action == "start" and guests.is_already_running(err) and self.read_power_state(fresh=True) == wanted:
                    break           # a parallel run started it first: converged
                if action == "reboot" and self.params.get("force_stop") and guests.is_shutdown_timeout(err):
                    # the guest ignored the reboot's shutdown and still runs: hard stop, then start (force_stop)
                    self.power("stop", "stopped")
                    self.power("start", wanted)
                    return
                if attempt == 2 or not guests.is_locked_failure(err):
                    raise
                locked = True
                continue
            break
        guest["status"] = wanted
        self.pending = None

    def wait_unlocked(self):
        """Watch the guest (its config's ``lock``) until the lock clears, under the run's deadline, instead of sending
        writes Proxmox refuses with "VM is locked"; a guest that moves meanwhile (a clone to another node ends) is
        followed to its node (``guest["node"]`` changes). Re-reads the config afterwards. Raises ProxmoxError (kind
        retryable: nothing was changed by this step) when the deadline passes first, or when the guest vanished."""
        guest = self.guest
        step = self.step
        lock = guest.get("lock") or (self.config or {}).get("lock") or "a lock"
        self.step = "wait_unlocked"
        self.status_current = False     # whatever held the lock may have changed the power state
        # a guest being cloned to another node moves there when its clone ends: followed (cluster.locate)
        config = cluster.wait_unlocked_following(self.client, guest, self.deadline)
        if config is None:
            raise ProxmoxError("server %r (vmid %s) is still locked (%s) at the end of wait_timeout; nothing was "
                               "changed by this step - run again once the lock is gone"
                               % (guest.get("name"), guest["vmid"], lock),
                               kind=RETRYABLE, locked=True)
        if not config:
            raise ProxmoxError("server %r (vmid %s) disappeared while waiting for its lock to clear"
                               % (guest.get("name"), guest["vmid"]), kind=FINAL)
        guest["lock"] = None
        self.step = step
        if self.config is not None:
            self.read_config()
        return config

    # --- result ------------------------------------------------------------------------------------------------
    def refresh(self):
        """Read what the run left behind, only when it wrote something."""
        if not self.changed or self.check_mode:
            return
        self.read_config()

    def result(self):
        guest = self.guest
        result = {
            "changed": self.changed,
            "vmid": guest["vmid"] if guest else None,
            "node": guest["node"] if guest else None,
            "pool": guest.get("pool") if guest else None,
            "status": _status_of(guest, self.params["state"], self.check_mode),
            "config": qc.mask_config(self.config) or {},
            "pending": _mask_pending(self.pending or {}),
            "tasks": self.tasks,
            "step": self.step,
            "diff": self.diff.result(),
        }
        if self.firewall is not None:
            result["firewall"] = self.firewall
        if self.warnings:
            result["warnings"] = list(self.warnings)
        return result


def _status_of(guest, state, check_mode):
    if guest is None:
        return "absent"
    if state == "absent" and not check_mode:
        return "absent"
    return guest.get("status") or "unknown"


def _mask_pending(pending):
    masked = {}
    for key, entry in pending.items():
        entry = dict(entry)
        if key in qc.SECRET_KEYS:
            for field in ("value", "pending"):
                if entry.get(field):
                    entry[field] = qc.CIPASSWORD_MASK
        masked[key] = entry
    return masked


def _display(key, value):
    if value is None:
        return None
    if key in qc.SECRET_KEYS:
        return qc.CIPASSWORD_MASK
    return qc.normalise(key, value)


def run_module(module):
    """Entry point for jotun_server's main(): one run, its result, or a failure with the partial result; ``diff``
    only in diff mode."""
    params = dict(module.params)
    run = None
    in_diff_mode = bool(getattr(module, "_diff", False))
    try:
        run = ServerRun(module.client, params, check_mode=module.check_mode, deadline=module.deadline())
        result = run.run()
        if not in_diff_mode:
            result.pop("diff", None)    # returned in diff mode only, as the module documents
        return result
    except (ProxmoxError, InputError) as err:
        partial = run.result() if run is not None else {}
        partial.pop("changed", None)
        if not in_diff_mode:
            partial.pop("diff", None)
        _explain(err, run)
        module.fail_from_error(err, changed=bool(run and run.changed), **partial)
    return None


def _explain(err, run):
    """Add the failed task's last log lines (and what to do after a refused shutdown) to the message."""
    if not isinstance(err, TaskFailed):
        return
    extra = []
    if err.log_tail:
        extra.append("last log lines: %s" % " | ".join(line for line in err.log_tail[-5:] if line))
    if run is not None and run.step in ("shutdown", "reboot") and not run.params.get("force_stop") \
            and guests.is_shutdown_timeout(err):
        extra.append("the guest did not shut down within shutdown_timeout; set force_stop: true to stop it hard"
                     + (" and start it again" if run.step == "reboot" else ""))
    if extra:
        err.message = "%s (step %s); %s" % (err.message, run.step if run else "-", "; ".join(extra))
        err.args = (err.message,)
