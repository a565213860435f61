# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make a backup (vzdump) of one guest on the node that holds it, find the archive it wrote, rotate older ones.

Nothing here is sent twice by accident: an unknown outcome of the vzdump call is resolved by looking for the task it
started; a task that failed because the guest was locked (nothing written) is started again while the deadline allows.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import archives
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import retention
from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.tasks import SETTLE, pause, wait_tasks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import find_guest
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, TaskFailed, TaskTimeout
from ansible_collections.jotunheim.proxmox.plugins.module_utils.reconcile import start_task_once
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter, started_task

COMPRESS = {"zstd": "zstd", "gzip": "gzip", "lzo": "lzo", "none": "0"}
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_AGE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# a vzdump task that failed on one of these wrote nothing: it is safe to start it again
# the least time worth starting another attempt with
MIN_ATTEMPT = 2.0
# vzdump's notes-template maxLength (pve-guest-common PVE/VZDump/Common.pm), counted after escape_notes
NOTES_TEMPLATE_MAX = 1024
_LOCK_ERRORS = re.compile(r"can't lock file|\bis locked\b", re.IGNORECASE)
# vzdump runs one job per node; a later job's log starts with this until the node's lock is free (PVE/VZDump.pm getlock)
WAITING_FOR_NODE = "trying to get global lock - waiting..."
GOT_NODE_LOCK = "got global lock"
# how often a backup follows its server to another node (it migrated between the look-up and the vzdump call)
MAX_MOVES = 3


class GuestElsewhere(Exception):
    """POST /nodes/{node}/vzdump answered "OK" and started no task: none of the named guests is on that node."""

    def __init__(self, node, vmid):
        super(GuestElsewhere, self).__init__("VM %s is not on node %s" % (vmid, node))
        self.node, self.vmid = node, vmid


def is_upid(value):
    """True for a task id; PVE's vzdump answers the plain string "OK" when it had nothing to back up on that node."""
    return isinstance(value, str) and value.startswith("UPID:")


def parse_max_age(value, option="max_age"):
    """"24h", "30m", "7d", "2w", "90s" or a number of seconds -> seconds (int); None stays None."""
    if value is None or value == "":
        return None
    match = _AGE.match(str(value))
    if not match:
        raise InputError("%s: %r is not an age such as 90s, 30m, 24h, 7d or 2w" % (option, value), option=option)
    seconds = int(float(match.group(1)) * _AGE_UNITS[match.group(2).lower()])
    if seconds <= 0:
        raise InputError("%s: must be longer than 0 seconds" % option, option=option)
    return seconds


def escape_notes(text):
    """vzdump's notes-template is one line: backslashes and newlines travel escaped."""
    return text.replace("\\", "\\\\").replace("\r\n", "\n").replace("\n", "\\n")


def vzdump_request(vmid, storage, mode="snapshot", compress="zstd", notes=None, protected=None):
    """The POST /nodes/{node}/vzdump body. `remove: 0`: the storage's own retention never deletes anything here;
    rotation is ours and runs only after a successful backup."""
    data = {"vmid": str(vmid), "storage": storage, "mode": mode, "compress": COMPRESS[compress], "remove": False}
    if notes:
        data["notes-template"] = escape_notes(notes)
    if protected:
        data["protected"] = True
    return data


def recent_archive(existing, max_age, now):
    """The newest archive younger than max_age seconds, or None."""
    if not max_age:
        return None
    for archive in archives.newest_first(existing):
        if archive["ctime"] is not None and archive["ctime"] >= now - max_age:
            return archive
    return None


# vzdump logs the archive it writes (pve-manager PVE/VZDump.pm: "creating $archive_txt archive '$task->{target}'"):
# a file's path for file storages, vm/<vmid>/<time> on Proxmox Backup Server
_CREATING = re.compile(r"creating .*archive '([^']+)'")


def archive_target(client, node, upid, deadline=None):
    """The archive a finished vzdump task wrote, as its log names it (file name, or PBS ``vm/100/<time>``); None
    when the log does not say. One ``GET /nodes/{node}/tasks/{upid}/log``."""
    try:
        lines = client.get(api_path("nodes", node, "tasks", upid, "log"), params={"start": 0, "limit": 200},
                           deadline=deadline) or []
    except ProxmoxError:
        return None
    for entry in lines:
        match = _CREATING.search(entry.get("t", "") if isinstance(entry, dict) else str(entry))
        if match:
            target = match.group(1)
            return target.rsplit("/", 1)[-1] if target.startswith("/") else target
    return None


def pick_new_archive(before, after, started, target=None):
    """The archive the backup task wrote: the one its log names (``target``, see archive_target); without it, the
    oldest one not there before created at or after the task started (another run's backup of the same guest,
    queued behind ours on the node, can only be newer)."""
    known = set(a["volid"] for a in before)
    fresh = [a for a in after if a["volid"] not in known and (a["ctime"] is None or a["ctime"] >= started)]
    if target:
        named = [a for a in fresh if a["volid"].split(":", 1)[-1] in (target, "backup/" + target)]
        if named:
            return named[0]
    fresh = archives.newest_first(fresh)
    return fresh[-1] if fresh else None


def archive_made_by(client, node, storage, vmid, entry, before, task, deadline=None):
    """The archive the finished vzdump ``task`` (task dict) wrote for VM vmid on ``storage`` of ``node``: the
    storage listed again (``entry``: its storage_on_node dict) and compared with ``before`` (the listing taken before
    the task), see pick_new_archive. Returns (archive dict or None when no new archive of it is there, the new
    listing)."""
    after = archives.list_storage_archives(client, node, storage, vmid=vmid, guest_type="qemu",
                                           shared=entry["shared"], deadline=deadline)
    return pick_new_archive(before, after, task.get("starttime") or 0,
                            archive_target(client, node, task["upid"], deadline=deadline)), after


def _start_vzdump(client, node, vmid, data, deadline):
    """POST vzdump once; after an unknown outcome the vzdump task is looked up, never sent again."""
    try:
        return start_task_once(client, api_path("nodes", node, "vzdump"), node, "vzdump", vmid, data=data,
                               deadline=deadline, retry_locked=True, settle=SETTLE)
    except ProxmoxError as err:
        if err.kind == ProxmoxError.RETRYABLE:
            err.message = "backup of VM %s could not start within wait_timeout: %s" % (vmid, err.message)
        raise


def _error_lines(err):
    """The ERROR lines of the failed tasks' logs: vzdump ends with the bare "job errors", the reason is in the log."""
    lines = list(err.log_tail or [])
    for task in err.tasks or []:
        lines.extend(task.get("log_tail") or [])
    found = []
    for line in lines:
        text = line.get("t", "") if isinstance(line, dict) else str(line)
        if "ERROR" in text and text not in found:
            found.append(text)
    return found


def _is_lock_failure(err):
    texts = [err.message] + [t.get("exitstatus") or "" for t in (err.tasks or [])] + _error_lines(err)
    return any(_LOCK_ERRORS.search(text or "") for text in texts)


def _explain(err, vmid, attempt):
    """Put the log's reason into the message; say so when the guest stayed locked."""
    reasons = [line for line in _error_lines(err) if line not in err.message]
    if reasons:
        err.message = "%s: %s" % (err.message, "; ".join(reasons))
    if _is_lock_failure(err):
        err.message = ("backup of VM %s could not start: the guest stayed locked by another operation for %d attempt(s) "
                       "within wait_timeout: %s" % (vmid, attempt, err.message))
    return err


def run_vzdump(client, node, vmid, data, deadline, wait=True):
    """Start vzdump and (wait) see it through. Returns the list of task dicts; the last one is the backup that ran.

    A task that failed because the guest's config was locked (a resize, another backup) is started again with a
    growing pause while the deadline allows; then the error says what held the lock.
    """
    tasks = []
    attempt = 0
    while True:
        attempt += 1
        upid = _start_vzdump(client, node, vmid, data, deadline)
        if not is_upid(upid):
            raise GuestElsewhere(node, vmid)
        if not wait:
            return tasks + [started_task(upid)]
        try:
            done = wait_tasks(client, [upid], deadline)
            return tasks + done
        except TaskTimeout as err:
            raise _explain_queue(client, node, upid, vmid, err, deadline)
        except TaskFailed as err:
            delay = min(2.0 * attempt, 10.0)
            if not _is_lock_failure(err) or not deadline.allows(delay + MIN_ATTEMPT):
                raise _explain(err, vmid, attempt)
            tasks.extend(err.tasks or [])
            pause(deadline, delay)


def _explain_queue(client, node, upid, vmid, err, deadline):
    """A backup still waiting for the node's vzdump lock when wait_timeout ran out: say so (it stays queued)."""
    try:
        body = client.get(api_path("nodes", node, "tasks", upid, "log"), params={"start": 0, "limit": 50},
                          deadline=Deadline(10.0)) or []
    except ProxmoxError:
        return err
    lines = [entry.get("t", "") for entry in body if isinstance(entry, dict)]
    if any(WAITING_FOR_NODE in line for line in lines) and not any(GOT_NODE_LOCK in line for line in lines):
        err.message = ("backup of VM %s did not start within wait_timeout: another backup job runs on node %s and "
                       "vzdump runs one job per node; the task %s waits for it (up to vzdump's lockwait) and was left "
                       "queued, not stopped - stop it with jotun_task or let it run" % (vmid, node, upid))
    return err


def backup_on_guest_node(client, node, vmid, storage, data, deadline, wait=True, entry=None, before=None):
    """run_vzdump on `node`, following the guest when vzdump answers "OK" there (it migrated meanwhile).

    entry/before: the storage entry and the guest's archives already read on `node`. Returns (tasks, node, storage
    entry, archives of the guest on that storage before the backup), for the node the backup ran on.
    """
    for unused_move in range(MAX_MOVES + 1):
        if entry is None:
            entry = archives.storage_on_node(client, node, storage, deadline=deadline)
            before = archives.list_storage_archives(client, node, storage, vmid=vmid, guest_type="qemu",
                                                    shared=entry["shared"], deadline=deadline)
        try:
            return run_vzdump(client, node, vmid, data, deadline, wait=wait), node, entry, before
        except GuestElsewhere:
            where = find_guest(client, vmid=vmid, deadline=deadline)
            if where is None:
                raise ProxmoxError("VM %s is no longer in the cluster: node %s answered its backup with \"OK\" "
                                   "(nothing of it to back up there)" % (vmid, node))
            if where["node"] == node:
                # the cluster's resource list still shows the old node: give it a moment
                if not deadline.allows(2.0 + MIN_ATTEMPT):
                    break
                pause(deadline, 2.0)
            node, entry = where["node"], None
    raise ProxmoxError("VM %s was not found on the node the cluster lists for it (%s) within wait_timeout after %d "
                       "attempt(s); it may be migrating - try again" % (vmid, node, MAX_MOVES + 1),
                       kind=ProxmoxError.RETRYABLE)


def predict_rotation(current, policy, now):
    """Check mode: the volids `policy` would remove once a new backup (made `now`) joins `current`."""
    planned = {"volid": "(new backup)", "ctime": int(now) + 1, "protected": False, "standard": True}
    return [a["volid"] for a in retention.archives_to_remove(current + [planned], policy, planned["volid"])]


def rotate(client, current, policy, new_volid, deadline, before=None):
    """Delete the archives among `current` (one guest, one storage, listed after the backup) that `policy` does not
    keep: never new_volid, never a protected one, never one that appeared during this run's backup (not in
    `before`: a parallel run's). Returns (pruned volids, tasks)."""
    fresh = [a["volid"] for a in current if a["volid"] not in set(b["volid"] for b in before)] \
        if before is not None else ()
    doomed = retention.archives_to_remove(current, policy, new_volid, fresh)
    upids, pruned = [], []
    try:
        for archive in doomed:
            upid = archives.delete_archive(client, archive, deadline=deadline)
            pruned.append(archive["volid"])
            if upid:
                upids.append(upid)
        tasks = wait_tasks(client, upids, deadline) if upids else []
    except ProxmoxError as err:
        err.message = "%s (deleted before the error: %s)" % (err.message, ", ".join(pruned) or "none")
        raise
    return pruned, tasks


def archive_result(archive):
    return {"volid": archive["volid"], "size": archive["size"], "ctime": archive["ctime"],
            "ctime_iso": archive["ctime_iso"], "archive": archive}


def after_running_backup(client, node, vmid, storage, entry, max_age, before, deadline):
    """With max_age: a vzdump task of VM ``vmid`` already running on ``node`` (a run that was stopped, a parallel
    run, a job started by hand; ``GET /nodes/{node}/tasks?source=active&typefilter=vzdump&vmid=``) is waited for
    (its failure is not ours), then the guest's archives on ``storage`` are listed again. Returns (the archive
    younger than max_age or None, the archives as now listed); nothing running: (None, ``before``)."""
    upids = guests.running_tasks(client, node, vmid=vmid, typefilter="vzdump", deadline=deadline)
    if not upids:
        return None, before
    TaskWaiter(client).wait(upids, deadline, fail_on_error=False)
    after = archives.list_storage_archives(client, node, storage, vmid=vmid, guest_type="qemu",
                                           shared=entry["shared"], deadline=deadline)
    return recent_archive(after, max_age, client.server_time()), after


def ensure_backup(client, guest, params, deadline, check_mode=False):
    """state=present without volid: a backup of `guest` younger than max_age exists afterwards.

    Returns the module result: changed, vmid, node, storage, volid, size, ctime, archive, tasks, pruned.
    """
    vmid, node, storage = int(guest["vmid"]), guest["node"], params["storage"]
    # a server that migrated is followed: vzdump answers "OK" on a node that does not hold it (backup_on_guest_node)
    for option in retention.KEEP_OPTIONS:
        if (params.get(option) or 0) < 0:
            raise InputError("%s: must be 0 or more, not %s" % (option, params[option]), option=option)
    policy = retention.policy_from_params(params)
    max_age = parse_max_age(params.get("max_age"))
    if policy and not params.get("wait", True):
        raise InputError("keep_last: rotation runs only after the backup succeeded, so it needs wait: true",
                         option="keep_last")
    config = guests.read_config(client, node, vmid, deadline=deadline)
    if qc.is_restore_leftover(config):
        raise InputError("vmid: %s holds only what a failed restore left (an empty config or the stub 'memory: 128'), "
                         "not a server: no backup of it is made, so no rotation can prune the real archives; restore "
                         "the server first (from the safety backup the failed restore named)" % vmid, option="vmid")
    entry = archives.storage_on_node(client, node, storage, deadline=deadline)
    before = archives.list_storage_archives(client, node, storage, vmid=vmid, guest_type="qemu",
                                            shared=entry["shared"], deadline=deadline)
    result = {"changed": False, "vmid": vmid, "node": node, "storage": storage, "volid": None, "size": None,
              "ctime": None, "ctime_iso": None, "archive": None, "tasks": [], "pruned": []}
    recent = recent_archive(before, max_age, client.server_time())
    if recent is None and max_age and params.get("wait", True) and not check_mode:
        recent, before = after_running_backup(client, node, vmid, storage, entry, max_age, before, deadline)
    if recent is not None:
        result.update(archive_result(recent))
        return result
    result["changed"] = True
    if check_mode:
        result["pruned"] = predict_rotation(before, policy, client.server_time()) if policy else []
        return result
    data = vzdump_request(vmid, storage, params.get("mode") or "snapshot", params.get("compress") or "zstd",
                          params.get("notes"), params.get("protected"))
    tasks, node, entry, before = backup_on_guest_node(client, node, vmid, storage, data, deadline,
                                                      wait=params.get("wait", True), entry=entry, before=before)
    result.update(node=node, tasks=tasks)
    if not params.get("wait", True):
        return result
    new, after = archive_made_by(client, node, storage, vmid, entry, before, tasks[-1], deadline=deadline)
    if new is None:
        raise TaskFailed("the backup task %s of VM %s ended OK but no new archive of it is on storage %s of node %s"
                         % (tasks[-1]["upid"], vmid, storage, node), tasks=tasks)
    result.update(archive_result(new))
    if policy:
        try:
            pruned, prune_tasks = rotate(client, after, policy, new["volid"], deadline, before=before)
        except ProxmoxError as err:
            err.message = "backup %s was made, but rotating older archives failed: %s" % (new["volid"], err.message)
            raise
        result["pruned"] = pruned
        result["tasks"] = tasks + prune_tasks
    return result
