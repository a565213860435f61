# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Operations on one QEMU guest: read config and pending values, apply a change guarded by ``digest``, clone,
wait for a lock to clear, power actions, destroy, regenerate the cloud-init drive.

Every function takes the client, the node and the vmid, sends one kind of request and returns what the API
answered (a config dict, a UPID, ...). They never wait for tasks (tasks.TaskWaiter does that) and never fail the
module: errors are the client's ProxmoxError.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import time

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import ProxmoxError, FINAL
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import exit_status_of, is_running

POWER_ACTIONS = ("start", "stop", "shutdown", "reboot", "reset", "suspend", "resume")
_EXISTS_RE = re.compile(r"already exists", re.IGNORECASE)
_MISSING_RE = re.compile(r"does not exist|no such VM|not found", re.IGNORECASE)
# A stale ``digest``: qemu-server's update_vm_api says "checksum missmatch (file change by other user?)" up to 8.2.4 and
# "checksum mismatch (...)" from 8.2.5; pve-common's assert_if_modified (other config files) "detected modified
# configuration - file changed by other user? Try again."
_LOCKED_RE = re.compile(r"\bVM is locked\b", re.IGNORECASE)
_DIGEST_RE = re.compile(r"checksum mis+match|file changed? by other user|modified configuration|digest",
                        re.IGNORECASE)


class VmidTaken(ProxmoxError):
    """A clone or create refused because the new vmid exists already: nothing started, pick another id."""


def qemu_path(node, vmid, *rest):
    parts = ["/nodes", str(node), "qemu", str(vmid)] + [str(part) for part in rest]
    return "/".join(parts)


def is_missing(err):
    """True when an error says the guest does not exist (500 "Configuration file ... does not exist")."""
    return isinstance(err, ProxmoxError) and err.status in (404, 500) and bool(_MISSING_RE.search(err.message or ""))


def is_digest_mismatch(err):
    """True when a write was refused because the config changed since it was read (stale ``digest``): nothing was
    written; read the config again and re-plan."""
    return isinstance(err, ProxmoxError) and err.kind == FINAL and bool(_DIGEST_RE.search(err.message or ""))


# --- reading ----------------------------------------------------------------------------------------------------

def read_config(client, node, vmid, deadline=None):
    """The config with pending values applied (what the guest will run with), including ``digest``."""
    return client.get(qemu_path(node, vmid, "config"), deadline=deadline) or {}


def _none_when_missing(read, client, node, vmid, deadline):
    """``read(...)``, or None when the guest does not exist (any more)."""
    try:
        return read(client, node, vmid, deadline=deadline)
    except ProxmoxError as err:
        if is_missing(err):
            return None
        raise


def read_config_or_none(client, node, vmid, deadline=None):
    return _none_when_missing(read_config, client, node, vmid, deadline)


def read_pending(client, node, vmid, deadline=None):
    """Only the keys that wait for a restart: {key: {"value": current, "pending": new, "delete": bool}}."""
    entries = client.get(qemu_path(node, vmid, "pending"), deadline=deadline) or []
    return pending_from_entries(entries)


def pending_from_entries(entries):
    pending = {}
    for entry in entries:
        if "pending" not in entry and not entry.get("delete"):
            continue
        pending[entry["key"]] = {"value": entry.get("value"), "pending": entry.get("pending"),
                                 "delete": bool(entry.get("delete"))}
    return pending


def with_pending(config, pending):
    """``config`` with the pending values applied and pending deletions removed (what the guest will run with).

    Real Proxmox VE already returns that from ``GET .../config``; applying it again from ``GET .../pending``
    changes nothing there and keeps the comparison right wherever the config shows current values only.
    """
    merged = dict(config)
    for key, entry in pending.items():
        if entry.get("delete"):
            merged.pop(key, None)
        elif entry.get("pending") is not None:
            merged[key] = entry["pending"]
    return merged


def read_status(client, node, vmid, deadline=None):
    """``status/current``: status (running|stopped), qmpstatus, lock, ..."""
    return client.get(qemu_path(node, vmid, "status", "current"), deadline=deadline) or {}


def read_status_or_none(client, node, vmid, deadline=None):
    """``GET .../status/current`` of a qemu guest, or None when it does not exist (any more)."""
    return _none_when_missing(read_status, client, node, vmid, deadline)


def running_tasks(client, node, vmid=None, typefilter=None, deadline=None):
    """UPIDs of the tasks running on ``node`` (for ``vmid`` / of type ``typefilter`` when given).

    Reads ``GET /nodes/{node}/tasks?source=active``; an entry counts while tasks.is_running says so (status
    "RUNNING"): a task that just ended can still be listed there with its exit status in ``status``.
    """
    params = {"source": "active"}
    if vmid is not None:
        params["vmid"] = int(vmid)
    if typefilter:
        params["typefilter"] = typefilter
    tasks = client.get("/nodes/%s/tasks" % node, params=params, deadline=deadline) or []
    return [task["upid"] for task in tasks if isinstance(task, dict) and task.get("upid") and is_running(task)]


# --- writing ----------------------------------------------------------------------------------------------------

def update_config(client, node, vmid, data, deadline=None, background=False):
    """Send a config change (``data`` holds the values, ``delete`` and ``digest``).

    PUT applies it at once and answers null; with ``background`` the change goes by POST and the qmconfig UPID
    is returned. Either way a stale digest, a guest lock (``lock: backup``...) and, before PVE 9, a config-lock
    timeout are refused at once with a 500 and nothing written (qemu-server API2/Qemu.pm update_vm_api): the
    ProxmoxError says which (``is_digest_mismatch``, ``err.locked``). A refused "VM is locked" is not re-sent here:
    the caller waits for the lock to clear (``wait_unlocked``) instead of hammering.
    """
    path = qemu_path(node, vmid, "config")
    if background:
        return client.post(path, data=data, deadline=deadline)
    client.put(path, data=data, deadline=deadline)
    return None


def regenerate_cloudinit(client, node, vmid, deadline=None):
    """Rebuild the cloud-init drive from the current config (``PUT .../cloudinit``)."""
    client.put(qemu_path(node, vmid, "cloudinit"), data={}, deadline=deadline, retry_locked=True)


def clone(client, node, source_vmid, newid, name, target=None, full=True, storage=None, pool=None, deadline=None):
    """Start a clone of ``source_vmid`` (on ``node``) into ``newid``; returns the qmclone UPID.

    Raises VmidTaken when ``newid`` exists already (nothing started: the caller picks another id).
    """
    data = {"newid": int(newid), "name": name, "full": bool(full)}
    if target and target != node:
        data["target"] = target
    if storage and full:
        data["storage"] = storage
    if pool:
        data["pool"] = pool
    try:
        return client.post(qemu_path(node, source_vmid, "clone"), data=data, deadline=deadline)
    except ProxmoxError as err:
        if err.kind == FINAL and _EXISTS_RE.search(err.message or ""):
            raise VmidTaken(err.message, status=err.status, errors=err.errors, kind=FINAL, method=err.method,
                            path=err.path)
        raise


def create(client, node, vmid, data, deadline=None):
    """``POST /nodes/{node}/qemu``: a new guest with the config ``data`` (no archive); returns the qmcreate UPID.

    qemu-server create_vm checks the vmid is unused cluster-wide before forking ("unable to create VM N - VM N
    already exists on node 'X'") and writes the config inside the worker. Raises VmidTaken when ``vmid`` exists
    (nothing started: pick another id)."""
    payload = dict(data)
    payload["vmid"] = int(vmid)
    try:
        return client.post("/nodes/%s/qemu" % node, data=payload, deadline=deadline)
    except ProxmoxError as err:
        if err.kind == FINAL and _EXISTS_RE.search(err.message or ""):
            raise VmidTaken(err.message, status=err.status, errors=err.errors, kind=FINAL, method=err.method,
                            path=err.path)
        raise


def power(client, node, vmid, action, deadline=None, **params):
    """POST ``status/<action>``; returns the task's UPID (qmstart, qmshutdown, ...).

    Proxmox checks the guest's lock, the template flag and whether it runs inside the task (QemuServer.pm
    vm_start/vm_stop): stop and shutdown of a stopped guest are tasks ending OK, a template's start a task failing
    "you can't start a vm if it's a template", a lock a task failing "VM is locked (...)" (``is_locked_failure``).
    """
    if action not in POWER_ACTIONS:
        raise ValueError("unknown power action %r" % action)
    return client.post(qemu_path(node, vmid, "status", action), data=params or None, deadline=deadline)


def destroy(client, node, vmid, purge=True, skiplock=False, deadline=None):
    """DELETE the guest (its disks with it; ``purge`` also drops it from jobs and HA); returns the qmdestroy UPID.

    Protection and a running guest are refused at once (500); the guest's lock is checked inside the task
    (qemu-server API2/Qemu.pm destroy_vm), so wait for a lock to clear before calling this.
    """
    params = {"purge": 1 if purge else 0, "destroy-unreferenced-disks": 1}
    if skiplock:
        params["skiplock"] = 1
    return client.delete(qemu_path(node, vmid), params=params, deadline=deadline)


# --- waiting on state (not on tasks) ------------------------------------------------------------------------------

def is_locked_failure(err):
    """True when a task or a call failed because the guest carried a lock ("VM is locked (backup)"): nothing was
    done; wait for the lock to clear and try again."""
    if not isinstance(err, ProxmoxError):
        return False
    return bool(err.locked or _LOCKED_RE.search(err.message or ""))


_ALREADY_RUNNING_RE = re.compile(r"^VM \d+ already running$")
# qemu-server vm_stop (shutdown, and the shutdown of a reboot): the guest did not power down within its timeout
_SHUTDOWN_TIMEOUT_RE = re.compile(r"VM quit/powerdown failed")


def is_shutdown_timeout(err):
    """True when a shutdown or reboot task (TaskFailed ``err``) ended "VM quit/powerdown failed - got timeout"
    (qemu-server vm_stop): the guest ignored the ACPI request and still runs."""
    return any(_SHUTDOWN_TIMEOUT_RE.search(str(exit_status_of(task) or ""))
               for task in getattr(err, "tasks", None) or [])


def is_already_running(err):
    """True when a start task (TaskFailed ``err``) ended "VM N already running" (qemu-server vm_start, checked by the
    worker once it has the config lock): another start got there first; the guest runs."""
    return any(_ALREADY_RUNNING_RE.match(str(exit_status_of(task) or "").strip())
               for task in getattr(err, "tasks", None) or [])


def wait_for(check, deadline, first=0.2, cap=2.0):
    """Call ``check()`` until it returns something other than None, sleeping 0.2 s growing to ``cap``.

    Returns the value, or None when the deadline passed first.
    """
    delay = first
    while True:
        value = check()
        if value is not None:
            return value
        if deadline is None or not deadline.allows(delay):
            return None
        time.sleep(delay)
        delay = min(cap, delay * 1.5)


def wait_unlocked(client, node, vmid, deadline, locks=None):
    """Poll the config until it has no ``lock`` (or a lock outside ``locks``); returns the config,
    ``{}`` when the guest vanished, or None when the deadline passed with the lock still there."""
    def check():
        config = read_config_or_none(client, node, vmid, deadline=deadline)
        if config is None:
            return {}
        lock = config.get("lock")
        if not lock or (locks is not None and lock not in locks):
            return config
        return None
    return wait_for(check, deadline)


def wait_status(client, node, vmid, wanted, deadline):
    """Poll ``status/current`` until it shows ``wanted``; returns the status dict or None at the deadline."""
    def check():
        status = read_status(client, node, vmid, deadline=deadline)
        return status if status.get("status") == wanted else None
    return wait_for(check, deadline)
