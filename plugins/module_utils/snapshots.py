# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU snapshots: the tree, create (with RAM), roll back, delete, rotate by name prefix (jotun_snapshot and
jotun_snapshot_info).

Endpoints (qemu-server PVE/API2/Qemu.pm): ``GET/POST /nodes/{node}/qemu/{vmid}/snapshot``,
``DELETE .../snapshot/{snapname}``, ``POST .../snapshot/{snapname}/rollback`` (tasks qmsnapshot, qmdelsnapshot,
qmrollback) and ``GET/PUT .../snapshot/{snapname}/config``. Proxmox checks the guest's lock inside the worker
(pve-guest-common PVE/AbstractConfig.pm ``snapshot_prepare``, ``snapshot_delete``, ``snapshot_rollback``): a task
that ends "VM is locked (...)" did nothing, so the guest is watched until the lock clears and the call is sent again,
all under ``wait_timeout``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import time

from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import find_guest
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, RETRYABLE
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import TaskFailed, UNKNOWN
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter, started_task

# pve-snapshot-name: a pve-configid ([a-z][a-z0-9_-]+, any case), at most 40 characters
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]+$")
NAME_MAX = 40
RESERVED = ("current", "pending")
STAMP_FORMAT = "%Y%m%d%H%M%S"           # what a prefix is followed by in a generated name (UTC)
# config keys a snapshot section holds beside the guest's own (PVE::QemuConfig snapshot sections)
SNAPSHOT_META = ("snaptime", "vmstate", "runningmachine", "runningcpu", "description", "parent", "digest", "lock",
                 "snapstate")
_MAX_LOCK_ROUNDS = 5


def check_name(value, option):
    """``value`` as a snapshot name Proxmox takes; InputError naming ``option`` otherwise."""
    if not isinstance(value, str) or not _NAME_RE.match(value) or len(value) > NAME_MAX:
        raise InputError("%s: %r is not a snapshot name (a letter, then letters, digits, '-' or '_'; 2 to %d "
                         "characters)" % (option, value, NAME_MAX), option=option)
    if value.lower() in RESERVED:
        raise InputError("%s: %r is a reserved name in Proxmox VE" % (option, value), option=option)
    return value


def validate(params):
    """Check jotun_snapshot's options before anything is read or written; raises InputError naming the option."""
    state = params.get("state") or "present"
    if params.get("snapshot"):
        check_name(params["snapshot"], "snapshot")
    if params.get("prefix"):
        if not _NAME_RE.match(params["prefix"] + "x") or len(params["prefix"]) > NAME_MAX - len("20261129120000"):
            raise InputError("prefix: %r cannot start a snapshot name (a letter, then letters, digits, '-' or '_'; at "
                             "most %d characters, the time stamp follows)" % (params["prefix"], NAME_MAX - 14),
                             option="prefix")
        if params.get("snapshot") and not params["snapshot"].startswith(params["prefix"]):
            raise InputError("snapshot: %r does not start with prefix %r, so rotation would never count it"
                             % (params["snapshot"], params["prefix"]), option="snapshot")
    if params.get("max_count") is not None:
        if params["max_count"] < 1:
            raise InputError("max_count: must be at least 1, got %s" % params["max_count"], option="max_count")
        if not params.get("prefix"):
            raise InputError("max_count: needs prefix (only snapshots whose names start with it are rotated)",
                             option="max_count")
        if state != "present":
            raise InputError("max_count: only used with state: present", option="max_count")
        if not params.get("wait", True):
            raise InputError("max_count: rotation runs after the new snapshot exists, so it needs wait: true",
                             option="max_count")
    if state in ("rolled_back", "absent") and not params.get("snapshot"):
        raise InputError("snapshot: name the snapshot to %s" % ("roll back to" if state == "rolled_back" else "delete"),
                         option="snapshot")
    if state == "present" and not params.get("snapshot") and not params.get("prefix"):
        raise InputError("snapshot: name the snapshot, or give prefix to name it prefix + UTC time", option="snapshot")
    for option in ("vmstate", "description"):
        if params.get(option) and state != "present":
            raise InputError("%s: only used with state: present" % option, option=option)
    for option in ("start", "force"):
        if params.get(option) and state != "rolled_back":
            raise InputError("%s: only used with state: rolled_back" % option, option=option)


def _server(client, params, deadline):
    if params.get("vmid") is None and not params.get("name"):
        raise InputError("name: give name or vmid of the server", option="name")
    guest = find_guest(client, vmid=params.get("vmid"), name=params.get("name"), deadline=deadline)
    if guest is None:
        option = "vmid" if params.get("vmid") is not None else "name"
        raise InputError("%s: no server %s in this cluster" % (option, params.get(option)), option=option)
    if guest.get("type", "qemu") != "qemu":
        raise InputError("vmid: guest %s is a container; jotun_snapshot handles QEMU servers" % guest["vmid"],
                         option="vmid")
    return guest


def _iso_time(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else None


def list_snapshots(client, node, vmid, deadline=None):
    """The snapshots of a guest, oldest first, and the one it runs from.

    Returns ``(snapshots, current)``: snapshots are dicts ``{name, parent (None at the root), snaptime (epoch
    seconds), time (ISO 8601 UTC), description, vmstate (bool: RAM saved), children (names)}``; ``current`` is
    ``{"parent": name or None, "running": bool}`` (``GET .../snapshot``, the ``current`` entry)."""
    entries = client.get(api_path("nodes", node, "qemu", vmid, "snapshot"), deadline=deadline) or []
    snaps, current = [], {"parent": None, "running": False}
    for entry in entries:
        if entry.get("name") == "current":
            current = {"parent": entry.get("parent") or None, "running": bool(int(entry.get("running") or 0))}
            continue
        snaptime = int(entry.get("snaptime") or 0)
        snaps.append({"name": entry["name"], "parent": entry.get("parent") or None, "snaptime": snaptime,
                      "time": _iso_time(snaptime), "description": (entry.get("description") or "").rstrip("\n"),
                      "vmstate": bool(int(entry.get("vmstate") or 0)), "children": []})
    snaps.sort(key=lambda s: (s["snaptime"], s["name"]))
    by_name = dict((s["name"], s) for s in snaps)
    for snap in snaps:
        if snap["parent"] in by_name:
            by_name[snap["parent"]]["children"].append(snap["name"])
    return snaps, current


def snapshot_config(client, node, vmid, name, deadline=None):
    """``GET .../snapshot/{name}/config``: the guest config saved in the snapshot (with parent, snaptime, ...)."""
    return client.get(api_path("nodes", node, "qemu", vmid, "snapshot", name, "config"), deadline=deadline) or {}


def to_delete(snaps, prefix, max_count):
    """Names of the oldest snapshots whose name starts with ``prefix`` beyond the newest ``max_count`` of them; no
    other snapshot is ever chosen. ``snaps`` as list_snapshots returns them (oldest first)."""
    mine = [s for s in snaps if s["name"].startswith(prefix)]
    mine.sort(key=lambda s: (s["snaptime"], s["name"]))
    return [s["name"] for s in mine[:max(0, len(mine) - max_count)]]


class SnapshotRun(object):
    """One run of jotun_snapshot on one server."""

    def __init__(self, client, params, deadline, check_mode=False):
        self.client, self.params, self.deadline, self.check_mode = client, params, deadline, check_mode
        self.wait = params.get("wait", True)
        self.waiter = TaskWaiter(client)
        self.tasks = []
        self.changed = False
        self.deleted = []
        self.guest = None
        self.before = []
        self.before_current = None

    # --- helpers ---------------------------------------------------------------------------------------------
    def _path(self, *rest):
        return api_path("nodes", self.guest["node"], "qemu", self.guest["vmid"], *rest)

    def _snapshots(self):
        return list_snapshots(self.client, self.guest["node"], self.guest["vmid"], deadline=self.deadline)

    def _wait_unlocked(self):
        config = guests.wait_unlocked(self.client, self.guest["node"], self.guest["vmid"], self.deadline)
        if config is None:
            raise ProxmoxError("server %s (vmid %s) is still locked at the end of wait_timeout; nothing was changed - "
                               "run again once the lock is gone" % (self.guest.get("name"), self.guest["vmid"]),
                               kind=RETRYABLE, locked=True)
        if not config:
            raise ProxmoxError("server %s (vmid %s) disappeared" % (self.guest.get("name"), self.guest["vmid"]))
        return config

    def _task(self, method, path, data, settled):
        """Send a snapshot write and wait for its task. A lock (seen before, or the task failing on one) is waited
        out and the write sent again; an unknown outcome is decided by ``settled()`` (the state read back) rather
        than sending it twice. With wait: false the started task is returned at once (``None`` when finished)."""
        for _round in range(_MAX_LOCK_ROUNDS):
            config = guests.read_config(self.client, self.guest["node"], self.guest["vmid"], deadline=self.deadline)
            if config.get("lock"):
                self._wait_unlocked()
            try:
                upid = self.client.request(method, path, data=data if method != "DELETE" else None,
                                           params=data if method == "DELETE" else None, deadline=self.deadline)
            except ProxmoxError as err:
                if err.kind != UNKNOWN:
                    raise
                if guests.wait_for(lambda: True if settled() else None, self.deadline):
                    return
                raise
            if not self.wait:
                self.tasks.append(started_task(upid))
                return
            try:
                self.tasks.extend(self.waiter.wait([upid], self.deadline))
                return
            except TaskFailed as err:
                if not guests.is_locked_failure(err):
                    raise
                self.tasks.extend(err.tasks or [])
        raise ProxmoxError("server %s (vmid %s) stayed locked; nothing was changed"
                           % (self.guest.get("name"), self.guest["vmid"]), kind=RETRYABLE, locked=True)

    def _exists(self, name):
        return lambda: any(s["name"] == name for s in self._snapshots()[0])

    # --- states ----------------------------------------------------------------------------------------------
    def run(self):
        params = self.params
        state = params.get("state") or "present"
        self.guest = _server(self.client, params, self.deadline)
        if self.guest.get("template"):
            raise InputError("%s: server %s (vmid %s) is a template; Proxmox VE takes no snapshots of templates"
                             % ("vmid" if params.get("vmid") is not None else "name", self.guest.get("name"),
                                self.guest["vmid"]), option="vmid" if params.get("vmid") is not None else "name")
        snaps, current = self._snapshots()
        self.before, self.before_current = snaps, current.get("parent")
        name = params.get("snapshot")
        if state == "present":
            snaps = self.ensure_present(snaps, name)
        elif state == "absent":
            snaps = self.ensure_absent(snaps, name)
        else:
            snaps, current = self.ensure_rolled_back(snaps, current, name)
        if self.changed and not self.check_mode and self.wait:
            snaps, current = self._snapshots()
        return self.result(snaps, current, name)

    def ensure_present(self, snaps, name):
        params = self.params
        if not name:
            name = params["prefix"] + time.strftime(STAMP_FORMAT, time.gmtime(self.client.server_time()))
            params["snapshot"] = name
        found = [s for s in snaps if s["name"] == name]
        description = params.get("description")
        if found:
            if description is not None and found[0]["description"] != description.rstrip("\n"):
                self.changed = True
                if not self.check_mode:
                    self.client.put(self._path("snapshot", name, "config"), data={"description": description},
                                    deadline=self.deadline)
                found[0]["description"] = description.rstrip("\n")
        else:
            self.changed = True
            status = guests.read_status(self.client, self.guest["node"], self.guest["vmid"], deadline=self.deadline)
            with_ram = bool(params.get("vmstate")) and status.get("status") == "running"
            if params.get("vmstate") and not with_ram:
                params["vmstate_note"] = "server is not running: no RAM to save"
            if self.check_mode:
                snaps = snaps + [{"name": name, "parent": None, "snaptime": int(self.client.server_time()),
                                  "time": None, "description": (description or "").rstrip("\n"),
                                  "vmstate": with_ram, "children": []}]
            else:
                data = {"snapname": name}
                if description:
                    data["description"] = description
                if with_ram:
                    data["vmstate"] = True
                self._task("POST", self._path("snapshot"), data, self._exists(name))
                if self.wait:
                    snaps = self._snapshots()[0]
        if params.get("max_count") and (self.wait or self.check_mode):
            for old in to_delete(snaps, params["prefix"], params["max_count"]):
                if old == name:
                    continue
                self.changed = True
                self.deleted.append(old)
                if not self.check_mode:
                    self._task("DELETE", self._path("snapshot", old), {}, lambda o=old: not self._exists(o)())
            snaps = [s for s in snaps if s["name"] not in self.deleted]
        return snaps

    def ensure_absent(self, snaps, name):
        if not any(s["name"] == name for s in snaps):
            return snaps
        self.changed = True
        self.deleted.append(name)
        if not self.check_mode:
            self._task("DELETE", self._path("snapshot", name), {}, lambda: not self._exists(name)())
        return [s for s in snaps if s["name"] != name]

    def rolled_back_already(self, snap, current):
        """True when the guest runs from ``snap`` and its config equals the snapshot's: a rollback would change
        nothing Proxmox records (disk contents are not compared; ``force`` rolls back anyway)."""
        if current.get("parent") != snap["name"]:
            return False
        config = guests.read_config(self.client, self.guest["node"], self.guest["vmid"], deadline=self.deadline)
        saved = snapshot_config(self.client, self.guest["node"], self.guest["vmid"], snap["name"], self.deadline)

        def plain(conf):
            return dict((k, str(v)) for k, v in conf.items() if k not in SNAPSHOT_META)
        return plain(config) == plain(saved)

    def ensure_rolled_back(self, snaps, current, name):
        params = self.params
        found = [s for s in snaps if s["name"] == name]
        if not found:
            raise InputError("snapshot: server %s (vmid %s) has no snapshot %r (it has: %s)"
                             % (self.guest.get("name"), self.guest["vmid"], name,
                                ", ".join(s["name"] for s in snaps) or "none"), option="snapshot")
        snap = found[0]
        if not params.get("force") and self.rolled_back_already(snap, current):
            if params.get("start") and not current.get("running"):
                self.changed = True
                if not self.check_mode:
                    upid = guests.power(self.client, self.guest["node"], self.guest["vmid"], "start",
                                        deadline=self.deadline)
                    self.tasks.append(started_task(upid) if not self.wait else
                                      self.waiter.wait([upid], self.deadline)[0])
                current = dict(current, running=True)
            return snaps, current
        self.changed = True
        running = bool(snap["vmstate"] or params.get("start"))
        if not self.check_mode:
            data = {"start": True} if params.get("start") else {}
            self._task("POST", self._path("snapshot", name, "rollback"), data,
                       lambda: self._snapshots()[1].get("parent") == name)
        return snaps, dict(current, parent=name, running=running)

    def result(self, snaps, current, name):
        names_before = [s["name"] for s in self.before]
        names_after = [s["name"] for s in snaps]
        result = {
            "changed": self.changed,
            "vmid": self.guest["vmid"],
            "node": self.guest["node"],
            "snapshot": self.params.get("snapshot") or name,
            "snapshots": snaps,
            "current": current,
            "deleted": self.deleted,
            "tasks": self.tasks,
            "diff": {"before": {"snapshots": names_before, "current": self.before_current},
                     "after": {"snapshots": names_after, "current": current.get("parent")}},
        }
        if self.params.get("state") == "rolled_back":
            result["diff"]["after"]["rolled_back_to"] = name if self.changed else None
        if self.params.get("vmstate_note"):
            result["warnings_text"] = self.params["vmstate_note"]
        return result


def run_snapshot(module):
    """jotun_snapshot: the result dict for module.run()."""
    params = dict(module.params)
    validate(params)
    result = SnapshotRun(module.client, params, module.deadline(), check_mode=module.check_mode).run()
    note = result.pop("warnings_text", None)
    if note:
        module.warn(note)
    if not getattr(module, "_diff", False):
        result.pop("diff", None)
    return result


def run_snapshot_info(module):
    """jotun_snapshot_info: the snapshot tree of one server."""
    params = module.params
    deadline = module.deadline() if hasattr(module, "deadline") else None
    guest = _server(module.client, params, deadline)
    if guest.get("template"):
        return {"changed": False, "vmid": guest["vmid"], "node": guest["node"], "snapshots": [],
                "current": {"parent": None, "running": False}}
    snaps, current = list_snapshots(module.client, guest["node"], guest["vmid"], deadline=deadline)
    return {"changed": False, "vmid": guest["vmid"], "node": guest["node"], "snapshots": snaps, "current": current}
