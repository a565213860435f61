# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What ``jotun_task`` does: read its inputs, look at or wait for the tasks, and sum up how they ended.

The waiting itself is ``tasks.TaskWaiter`` (per-node polling, one deadline). This file turns the module's
options into UPIDs and resize checks, checks that every UPID names a node of the cluster, and builds the
result: the task dicts, the resizes, and the counts ``ok``, ``warnings``, ``failed``, ``running``.
Tasks still running at the deadline are reported, never stopped.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.jotunheim.proxmox.plugins.module_utils import disks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import find_guest
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import (
    InputError, ProxmoxError, TaskFailed, TaskTimeout,
)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.sizes import parse_size
from ansible_collections.jotunheim.proxmox.plugins.module_utils.validate import check_vmid
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import (
    UNKNOWN_GRACE, TaskWaiter, exit_status_of, is_running, is_unknown, outcome, parse_upid)


# --- inputs ---------------------------------------------------------------------------------------------------------

def collect_upids(upid=None, upids=None):
    """``upid`` and ``upids`` -> [(option label, Upid)] without duplicates, in the order given.

    An element of ``upids`` is a UPID string or a task dict (anything with an ``upid`` key, as modules return
    in ``tasks``); an empty element is skipped (a module that started nothing in check mode returns none).
    """
    found = []
    seen = set()
    items = ([("upid", upid)] if upid is not None else []) + [("upids[%d]" % i, item) for i, item in enumerate(upids or [])]
    for label, item in items:
        if isinstance(item, dict) and "upid" not in item:
            raise InputError("%s: a task dict without 'upid' (keys: %s)" % (label, ", ".join(sorted(map(str, item)))),
                             option=label.split("[")[0])
        text = item.get("upid") if isinstance(item, dict) else item
        if text in (None, "") or (isinstance(text, str) and not text.strip()):
            raise InputError("%s: empty; give a UPID (UPID:node:...) or a task dict from a module's 'tasks' (a run "
                             "that started nothing returns no tasks: pass its 'tasks' list, not its elements)" % label,
                             option=label.split("[")[0])
        if not isinstance(text, str):
            raise InputError("%s: expected a UPID string or a task dict with 'upid', got %r" % (label, text),
                             option=label.split("[")[0])
        try:
            parsed = parse_upid(text.strip())
        except ValueError as err:
            raise InputError("%s: %s" % (label, err), option=label.split("[")[0])
        if parsed.raw not in seen:
            seen.add(parsed.raw)
            found.append((label, parsed))
    return found


def collect_resizes(value):
    """``resize`` -> (UPIDs to wait for, size checks).

    ``value`` is a dict or a list of dicts; each dict is either ``{vmid|name, disk, size, node?}`` or a result
    registered from ``jotun_disk_resize`` (also a looped one, with ``results``). A result that carries a task
    (8.0+) is waited on as a UPID; one ``in_progress`` without a task (7.x) becomes a size check; one that is
    ``done`` needs nothing.
    """
    upids = []
    checks = []
    for index, item in enumerate(_flatten_results(value)):
        label = "resize[%d]" % index
        if not isinstance(item, dict):
            raise InputError("%s: expected a dict {vmid or name, disk, size} or a jotun_disk_resize result" % label,
                             option="resize")
        if item.get("skipped") or item.get("failed"):
            continue
        task_upids = _result_upids(item)
        if task_upids:
            upids.extend(task_upids)
        elif item.get("status") != "done":
            checks.append(_size_check(item, label))
    return upids, checks


def _flatten_results(value):
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    flat = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("results"), list):
            flat.extend(_flatten_results(item["results"]))
        else:
            flat.append(item)
    return flat


def _result_upids(item):
    found = [t.get("upid") for t in item.get("tasks") or [] if isinstance(t, dict) and t.get("upid")]
    if not found and isinstance(item.get("task"), str) and item["task"].startswith("UPID:"):
        found = [item["task"]]
    return found


def _size_check(item, label):
    size = item.get("size_after", item.get("size"))
    if item.get("vmid") in (None, "") and not item.get("name"):
        raise InputError("%s: give vmid or name of the server" % label, option="resize")
    if not item.get("disk"):
        raise InputError("%s: give the disk (e.g. scsi0)" % label, option="resize")
    if size in (None, ""):
        raise InputError("%s: give the size the disk should reach (e.g. 40G)" % label, option="resize")
    try:
        size_bytes = parse_size(size, option="%s.size" % label)
    except InputError as err:
        raise InputError(str(err), option="resize")
    vmid = item.get("vmid")
    if vmid not in (None, ""):
        try:
            vmid = check_vmid(vmid, option="%s.vmid" % label)
        except InputError as err:
            raise InputError(str(err), option="resize")
    return {
        "label": label,
        "vmid": vmid if vmid not in (None, "") else None,
        "name": item.get("name"),
        "node": item.get("node"),
        "disk": str(item["disk"]),
        "size": size_bytes,
    }


def check_nodes(client, parsed, deadline=None):
    """InputError naming the option when a UPID names a node the cluster does not have."""
    if not parsed:
        return
    known = sorted(n["node"] for n in client.get("/nodes", deadline=deadline) or [])
    for label, upid in parsed:
        if upid.node not in known:
            raise InputError("%s: %s was started on node '%s', which is not a node of this cluster (nodes: %s)"
                             % (label, upid.raw, upid.node, ", ".join(known)), option=label.split("[")[0])


# --- counting -------------------------------------------------------------------------------------------------------

def task_outcome(task):
    """ok, warnings, failed or running for one task dict (a waiter's task dict, a status answer or a task-list
    entry: see tasks.is_running)."""
    if is_unknown(task):
        return "unknown"
    if is_running(task):
        return "running"
    return outcome(exit_status_of(task) or "") or "failed"


def count(tasks, resizes=()):
    counts = {"ok": 0, "warnings": 0, "failed": 0, "running": 0, "unknown": 0}
    for task in tasks:
        counts[task_outcome(task)] += 1
    for resize in resizes:
        counts["ok" if resize["status"] == "done" else "running"] += 1
    return counts


def failure_message(tasks, resizes, counts, timed_out):
    """One line naming the failed tasks, then those still running, then disks not yet at their size."""
    parts = []
    failed = [t for t in tasks if task_outcome(t) == "failed"]
    if failed:
        parts.append("%d of %d tasks failed: %s" % (len(failed), len(tasks), "; ".join(
            "%s (%s %s on %s): %s" % (t["upid"], t.get("type"), t.get("id") or "-", t.get("node"), t.get("exitstatus"))
            for t in failed)))
    unknown = [t["upid"] for t in tasks if task_outcome(t) == "unknown"]
    if unknown:
        parts.append("%d unknown to their node (no such task %ds after their start time): %s"
                     % (len(unknown), UNKNOWN_GRACE, ", ".join(unknown)))
    running = [t["upid"] for t in tasks if task_outcome(t) == "running"]
    if running:
        parts.append("%d still running%s: %s" % (len(running), " at the deadline" if timed_out else "", ", ".join(running)))
    short = [r for r in resizes if r["status"] != "done"]
    if short:
        parts.append("%d disk(s) not yet at their size at the deadline: %s" % (len(short), ", ".join(
            "%s %s (%d of %d bytes)" % (r["vmid"], r["disk"], r["current_size"] or 0, r["size"]) for r in short)))
    if not parts:
        return "%d tasks ended" % sum(counts.values())
    return "; ".join(parts) + ". Running tasks were left running."


# --- running --------------------------------------------------------------------------------------------------------

class TaskReportError(ProxmoxError):
    """Raised when fail_on_error is set and a task failed or the deadline came first; ``result`` is the report.

    Its kind is ``final`` when a task failed and ``unknown`` when tasks were merely still running.
    """

    def __init__(self, message, result):
        kind = ProxmoxError.FINAL if result["counts"]["failed"] or result["counts"].get("unknown") else ProxmoxError.UNKNOWN
        super(TaskReportError, self).__init__(message, kind=kind)
        self.result = result

    def to_result(self):
        result = dict(self.result)
        result.update(super(TaskReportError, self).to_result())
        return result


def report(client, upid=None, upids=None, resize=None, wait=True, deadline=None, fail_on_error=True):
    """Look at (``wait`` false) or wait for the tasks and disk sizes; return the result dict.

    Raises InputError for bad input and TaskReportError (carrying the whole result) when ``fail_on_error``
    and a task failed or did not end before the deadline.
    """
    if upid is None and upids is None and resize is None:
        raise InputError("upid: say which tasks to look at: upid, upids (UPIDs or a module's 'tasks') or resize",
                         option="upid")
    parsed = collect_upids(upid, upids)
    extra, checks = collect_resizes(resize)
    parsed += [item for item in collect_upids(upids=extra) if item[1].raw not in set(p.raw for dummy, p in parsed)]
    check_nodes(client, parsed, deadline)
    raws = [u.raw for dummy, u in parsed]
    tasks, timed_out = _look(client, raws, wait, deadline)
    resizes = [_check_size(client, check, wait, deadline) for check in checks]
    counts = count(tasks, resizes)
    # the counts stay under "counts": "failed" and "warnings" at the top level mean something else to Ansible
    result = {"changed": False, "tasks": tasks, "resizes": resizes, "counts": counts,
              "timed_out": bool(timed_out or (wait and counts["running"]))}
    if fail_on_error and (counts["failed"] or counts["unknown"] or (wait and counts["running"])):
        raise TaskReportError(failure_message(tasks, resizes, counts, result["timed_out"]), result)
    result["msg"] = summary(tasks, resizes, counts)
    return result


def _human(nbytes):
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return "%.1f %s" % (value, unit)
        value /= 1024.0
    return "%.1f TiB" % value


def summary(tasks, resizes, counts):
    """One line for a job's output: the counts, then each running task's progress (type, id, node, percent,
    bytes) and each disk not yet at its size."""
    head = "%(ok)d ok, %(warnings)d warnings, %(failed)d failed, %(running)d running" % counts
    parts = []
    for task in tasks:
        if task_outcome(task) != "running":
            continue
        progress = task.get("progress") or {}
        text = "%s %s on %s" % (task.get("type"), task.get("id") or "-", task.get("node"))
        if progress.get("percent") is not None:
            text += " %.1f%%" % progress["percent"]
            if progress.get("bytes_done") is not None and progress.get("bytes_total"):
                text += " (%s of %s)" % (_human(progress["bytes_done"]), _human(progress["bytes_total"]))
            elif progress.get("bytes_done") is not None:
                text += " (%s read)" % _human(progress["bytes_done"])
        parts.append(text)
    for resize in resizes:
        if resize["status"] != "done":
            parts.append("disk %s of %s at %s of %s" % (
                resize["disk"], resize["vmid"], _human(resize["current_size"] or 0), _human(resize["size"])))
    return head + (": " + "; ".join(parts) if parts else "")


def _look(client, raws, wait, deadline):
    """(task dicts in the order given, whether the deadline came first)."""
    if not raws:
        return [], False
    waiter = TaskWaiter(client)
    if not wait:
        return _ordered(waiter.poll(raws), raws), False
    try:
        return _ordered(waiter.wait(raws, deadline, fail_on_error=False), raws), False
    except TaskTimeout as err:
        return _ordered(err.tasks, raws), True
    except TaskFailed as err:  # a waiter that raises despite fail_on_error=False still gave us every task
        return _ordered(err.tasks, raws), False


def _ordered(tasks, raws):
    by_upid = dict((t["upid"], t) for t in tasks or [])
    return [by_upid[raw] for raw in raws if raw in by_upid]


def _check_size(client, check, wait, deadline):
    """{vmid, node, disk, size, current_size, status}: ``done`` once the disk reached its size."""
    node, vmid = check["node"], check["vmid"]
    if node is None or vmid is None:
        guest = find_guest(client, vmid=vmid, name=check["name"])
        if guest is None:
            raise InputError("%s: no server %s" % (check["label"], vmid if vmid is not None else check["name"]),
                             option="resize")
        node, vmid = guest["node"], int(guest["vmid"])
    try:
        current = disks.read_disk_size(client, node, vmid, check["disk"], deadline)
    except InputError as err:
        raise InputError("%s: %s" % (check["label"], err), option="resize")
    if wait and current < check["size"]:
        try:
            current = disks.wait_for_size(client, node, vmid, check["disk"], check["size"], deadline)
        except TaskTimeout:
            current = disks.read_disk_size(client, node, vmid, check["disk"])
    return {"vmid": vmid, "node": node, "disk": check["disk"], "size": check["size"], "current_size": current,
            "status": "done" if current >= check["size"] else "in_progress"}
