# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Proxmox VE tasks: parse UPIDs, and wait for one or many tasks under one deadline.

How TaskWaiter polls:

* Every task has its own schedule: the first look after ~0.2 s, then intervals growing x1.7 up to a cap (4 s),
  with jitter. When the task log prints progress (``transferred 1.0 GiB of 2.0 GiB (50.00%)``, ``INFO:  50% (...)``,
  ``progress 50% (...)``), the waiter estimates the end from its own readings and aims the next look at it
  (looking once or twice on the way when the end is far), reading only new log lines (``start=``).
* A round looks only at the nodes that have a task due. A node with one pending task gets a status request; a node
  with several gets one ``GET /nodes/{node}/tasks?source=active`` and a status request only for the tasks that
  left that list (ended, or not visible yet): per round at most one request per node plus one per task that ended
  (plus the log of a task that failed or warned). Progress is read from the log only on nodes with one pending task.
* A UPID whose node does not know it yet (status: 400 with ``errors.upid`` "no such task", 500 "no such task" on
  old simulators; log: 200 with the single line "unable to open file - ...", a bare object before PVE 9) is not
  visible yet: it is looked at again, also by ``poll``, and transient errors are retried until the deadline; at
  the deadline TaskTimeout names the tasks still running. Tasks are never stopped.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
import random
import re
import time

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import (
    RETRYABLE, InputError, ProxmoxError, TaskFailed, TaskTimeout)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline

Upid = collections.namedtuple("Upid", "raw node pid pstart starttime type id user")

_UPID_RE = re.compile(r"^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9.\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):"
                      r"([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$")
_PROGRESS_RES = (
    re.compile(r"transferred .*\((\d{1,3}(?:\.\d+)?)\s?%\)"),      # qemu drive mirror / clone / move disk
    re.compile(r"^INFO:\s+(\d{1,3}(?:\.\d+)?)%\s"),                 # vzdump
    re.compile(r"\bprogress (\d{1,3}(?:\.\d+)?)%"),                 # qmrestore (vma), storage copies
    re.compile(r"\((\d{1,3}(?:\.\d+)?)/100%\)"),                     # qemu-img convert
    re.compile(r"^\s*\d+K(?: [.,]{1,8})+\s+(\d{1,3})%\s"),              # wget --progress=dot:giga (download-url)
)
# The byte counts the same lines print: PVE::Format render_bytes ("1.0 GiB", precision 1) for clone, move and vzdump
# (qemu-server qemu_img_convert / qemu_drive_mirror_monitor, VZDump/QemuServer.pm), plain bytes for vma restores.
_BYTES_RES = (
    re.compile(r"transferred (\d+(?:\.\d+)?) ([KMGTP]?i?B) of (\d+(?:\.\d+)?) ([KMGTP]?i?B) \("),
    re.compile(r"^INFO:\s+\d{1,3}% \((\d+(?:\.\d+)?) ([KMGTP]?i?B) of (\d+(?:\.\d+)?) ([KMGTP]?i?B)\)"),
)
_READ_BYTES_RE = re.compile(r"\bprogress \d{1,3}(?:\.\d+)?% \(read (\d+) bytes")
_BYTE_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "TiB": 1024 ** 4, "PiB": 1024 ** 5}
_ELAPSED_RES = (re.compile(r"\bin (\d+)s\b"), re.compile(r"\bduration (\d+) sec\b"))
_FINAL_LINE_RE = re.compile(r"^TASK (?:OK|WARNINGS: \d+|ERROR: .*)$")
_WARNING_RE = re.compile(r"\bWARN(?:ING)?:\s")
_WARNINGS_STATUS_RE = re.compile(r"^WARNINGS:\s*\d+")

# Task types that print progress percentages: their log is read from the first look on.
PROGRESS_TYPES = frozenset(["qmclone", "vzdump", "qmrestore", "qmmove", "imgcopy", "qmigrate", "move_volume",
                            "vzrestore", "vzclone", "download"])
TAIL_LINES = 20
# Lines read from the end of a running task's log to find its progress when only reporting (poll).
PROGRESS_TAIL = 50
NO_CONTENT = "no content"
NO_LOG_FILE = "unable to open file - "
LOG_PAGE = 500
MAX_LOG_PAGES = 20
# A task watched through its log still gets every STATUS_EVERY-th look as a status request (a log without its
# final 'TASK ...' line must not keep the waiter looking until the deadline).
STATUS_EVERY = 12
# Seconds after the start time a UPID holds during which "no such task" means "not visible yet"; later, the node
# does not know the task at all (a made-up or mistyped UPID, a task of another cluster, a node reinstalled): the
# task is reported as UNKNOWN and not waited for. PVE writes the task's file before it returns the UPID
# (PVE::RESTEnvironment fork_worker), so a real task is visible on its own node at once.
UNKNOWN_GRACE = 15.0
UNKNOWN = "unknown"
# Looks at the log of a task without known progress type before giving up on finding percentages.
DISCOVERY_LOOKS = (2, 4)


def is_running(task):
    """True while a task runs, for each shape Proxmox VE gives a task in.

    ``GET /nodes/{node}/tasks/{upid}/status``: ``status`` is "running" or "stopped" (then ``exitstatus``).
    ``GET /nodes/{node}/tasks`` entries: ``status`` is "RUNNING" while running (pve-manager API2/Tasks.pm), else
    the exit status ("OK", "WARNINGS: 2", the error text); an entry without ``status`` counts as running.
    """
    status = task.get("status")
    return status in (None, "") or (isinstance(status, str) and status.lower() == "running")


def is_unknown(task):
    """True for a task dict of a UPID its node does not know (TaskWaiter: "no such task" past UNKNOWN_GRACE)."""
    return task.get("status") == UNKNOWN


def exit_status_of(task):
    """The exit status of a stopped task ("OK", "WARNINGS: n", error text) from either shape; None while running."""
    if is_running(task):
        return None
    if task.get("status") == "stopped":
        return task.get("exitstatus")
    return task.get("status")


def no_such_task(err):
    """True when a ProxmoxError says the node has no task file for the UPID (yet): 400 "Parameter verification
    failed." with ``errors: {upid: "no such task"}`` (pve-manager API2/Tasks.pm raise_param_exc), or the 500
    "no such task" older simulators gave."""
    if err.status == 400 and (err.errors or {}).get("upid") == "no such task":
        return True
    return err.status == 500 and (getattr(err, "pve_message", None) or err.message or "").startswith("no such task")


def parse_upid(text):
    """Upid(raw, node, pid, pstart, starttime, type, id, user) from 'UPID:pve1:...:'; ValueError when malformed."""
    raw = text.strip() if isinstance(text, str) else text
    match = _UPID_RE.match(raw) if isinstance(raw, str) else None
    if not match:
        raise ValueError("not a Proxmox VE task id (UPID): %r; expected UPID:node:pid:pstart:starttime:type:id:user:"
                         % (text,))
    node, pid, pstart, starttime, task_type, task_id, user = match.groups()
    return Upid(raw, node, int(pid, 16), int(pstart, 16), int(starttime, 16), task_type, task_id, user)


def progress_of(line):
    """The percentage a task log line reports (0-100), or None."""
    for regex in _PROGRESS_RES:
        match = regex.search(line)
        if match:
            value = float(match.group(1))
            if 0.0 <= value <= 100.0:
                return value
    return None


def _bytes(number, unit):
    return int(float(number) * _BYTE_UNITS.get(unit, 1))


def no_progress():
    """The ``progress`` of a task whose log printed no progress (yet), or was not read."""
    return {"percent": None, "bytes_done": None, "bytes_total": None, "line": None}


def progress_detail(line):
    """``{"percent", "bytes_done", "bytes_total", "line"}`` from one progress line of a task log, or None.

    percent is 0-100 (float); the byte counts are ints, None where the line prints none: clone and move disk
    (``transferred 1.0 GiB of 2.0 GiB (50.00%)``, ``drive-scsi0: ... in 5s``) and vzdump
    (``INFO:  50% (1.0 GiB of 2.0 GiB) in 2s, read: ...``) print both, rounded as PVE renders them to 0.1 of the
    unit; a vma restore (``progress 50% (read 1073741824 bytes, duration 1 sec)``) prints the bytes read only."""
    percent = progress_of(line)
    if percent is None:
        return None
    result = dict(no_progress(), percent=percent, line=line)
    for regex in _BYTES_RES:
        match = regex.search(line)
        if match:
            result["bytes_done"] = _bytes(match.group(1), match.group(2))
            result["bytes_total"] = _bytes(match.group(3), match.group(4))
            return result
    match = _READ_BYTES_RE.search(line)
    if match:
        result["bytes_done"] = int(match.group(1))
    return result


def is_warning(line):
    return bool(_WARNING_RE.search(line)) and not line.startswith("TASK ")


def outcome(exitstatus):
    """'ok', 'warnings' or 'failed' for a stopped task's exit status (None while running)."""
    if exitstatus is None:
        return None
    if exitstatus == "OK":
        return "ok"
    if _WARNINGS_STATUS_RE.match(exitstatus):
        return "warnings"
    return "failed"


def elapsed_of(line):
    """The seconds since the start of its phase a progress line prints ('... in 5s', 'duration 5 sec'), or None."""
    for regex in _ELAPSED_RES:
        match = regex.search(line)
        if match:
            return int(match.group(1))
    return None


def estimate_end(samples):
    """When the task should reach 100 % (same clock as the samples), from [(time, percent), ...] or None.

    Needs two readings at least 0.1 s apart that show progress.
    """
    if len(samples) < 2:
        return None
    (t0, p0), (t1, p1) = samples[0], samples[-1]
    if t1 - t0 < 0.1 or p1 <= p0:
        return None
    rate = (p1 - p0) / (t1 - t0)
    return t1 + (100.0 - p1) / rate


class Progress(object):
    """The progress lines of one task and the end they predict, on the waiter's clock.

    Lines that print their elapsed time N ('in 6s') give the rate on the server's own clock; when the waiter saw
    such a line appear between two reads of the log (sent at *after*, answered by *by*), the phase started
    between after - N - 1 and by - N on the waiter's clock. Intersecting those bounds over all lines pins the
    start; the end is aimed a little early inside them.

    The elapsed seconds are trusted once two lines seen appearing show the server's seconds pass no faster than
    the waiter's (a simulator at --speed N prints N seconds per real one: then the read times alone are used).
    Until then the estimate reaches no further ahead than the waiter has watched the task (the look-ahead
    doubles). Whole seconds say little about a phase shorter than MIN_SPAN, and some lines print no elapsed time:
    then the middle of the read window in which each percentage appeared stands for its time (early reads are
    close together, so this suits short tasks). A drop in the percentage (the next disk of a clone) starts a new
    phase.
    """

    MIN_SPAN = 2
    MIN_LOOKAHEAD = 2.0

    def __init__(self):
        self.points = []
        self.windows = []
        self.samples = []
        self.low = None
        self.high = None
        self.last = None
        self.first_by = None
        self.last_by = None
        self.capped = False  # the last expected_end() was cut to the look-ahead: look right there

    def add(self, percent, elapsed, after, by):
        if self.last is not None and percent < self.last:
            self.__init__()
        self.last = percent
        self.first_by = by if self.first_by is None else self.first_by
        self.last_by = by
        if after is not None:  # in a first read, a line may be of any age: its time says nothing
            self.samples.append(((after + by) / 2.0, percent))
        if elapsed is None:
            return
        self.points.append((elapsed, percent))
        self.high = by - elapsed if self.high is None else min(self.high, by - elapsed)
        if after is not None:
            self.low = after - elapsed - 1.0 if self.low is None else max(self.low, after - elapsed - 1.0)
            self.windows.append((elapsed, after, by))

    def server_runs_faster(self):
        """True/False once two lines were seen appearing; None before."""
        if len(self.windows) < 2:
            return None
        (n0, after0, _by0), (n1, _after1, by1) = self.windows[0], self.windows[-1]
        return (n1 - n0 - 1) > 1.5 * (by1 - after0)

    def expected_end(self):
        if not self.points:
            return estimate_end(self.samples)
        points = self.points if len(self.points) > 1 else [(0, 0.0)] + self.points
        (n0, p0), (n1, p1) = points[0], points[-1]
        if n1 - n0 < self.MIN_SPAN or p1 <= p0:
            return estimate_end(self.samples)
        faster = self.server_runs_faster()
        if faster:
            return estimate_end(self.samples)
        # 'in 5s' means 5 <= elapsed < 6: the middle serves the rate best (a 0 % line is printed at the very start)
        n0 += 0.5 if p0 > 0 else 0.0
        n1 += 0.5
        span = n1 + (100.0 - p1) * (n1 - n0) / (p1 - p0)
        margin = 0.5 if self.low is None else min(0.5, max(0.0, (self.high - self.low) / 2.0))
        end = self.high - margin + span
        self.capped = False
        if faster is None:
            reach = self.last_by + max(self.MIN_LOOKAHEAD, self.last_by - self.first_by)
            self.capped = reach < end
            end = min(end, reach)
        return end


class Schedule(object):
    """When to look at one task next.

    Without an expected end: intervals growing from *first* by *growth* up to *cap*, with jitter. With one: a
    look on the way while it is far (refining the estimate), then a look at it, then *close_looks* looks from
    *first* seconds apart, each a little further (the work after the last percentage is short), then growing again.
    """

    ON_THE_WAY = 0.75
    CLOSE_GROWTH = 1.15

    def __init__(self, first=0.2, growth=1.7, cap=4.0, jitter=0.1, rng=None, close_looks=6):
        self.first = first
        self.growth = growth
        self.cap = cap
        self.jitter = jitter
        self.rng = rng or random.Random()
        self.close_looks = close_looks
        self.interval = first
        self.after_end = None

    def _jittered(self, seconds):
        return seconds * (1.0 + self.jitter * (2.0 * self.rng.random() - 1.0))

    def next_delay(self, now, expected_end=None, direct=False):
        """Seconds from *now* to the next look (*direct*: look at expected_end itself, no look on the way)."""
        if expected_end is not None:
            if self.after_end is None:
                self.after_end = 0
            remaining = expected_end - now
            if remaining > self.first:
                self.interval = self.first
                self.after_end = 0
                if remaining > 2 * self.cap and not direct:
                    return remaining * self.ON_THE_WAY  # far off: a look on the way refines the estimate
                return remaining
            if self.after_end < self.close_looks:
                # close looks: from *first*, a little further apart each time (the estimate errs by about a second)
                delay = self.first * self.CLOSE_GROWTH ** self.after_end
                self.after_end += 1
                return self._jittered(delay)
        delay = self.interval
        self.interval = min(self.cap, self.interval * self.growth)
        return self._jittered(delay)


class _Tracked(object):
    """What the waiter knows about one task."""

    def __init__(self, upid, schedule, now):
        self.upid = upid
        self.schedule = schedule
        self.status = {}
        self.visible = False
        self.done = False
        self.looks = 0
        self.due = now + schedule.next_delay(now)
        self.log_start = 0
        self.tail = collections.deque(maxlen=TAIL_LINES)
        self.warnings = []
        self.progress = Progress()
        self.last_progress = None      # progress_detail() of the newest progress line read
        self.last_read = None
        self.log_ended = False
        self.follow_log = upid.type in PROGRESS_TYPES
        self.last_error = None
        self.log_tail = None
        self.unknown = False

    def absorb(self, lines, sent=None, received=None):
        """Take new log lines (read between *sent* and *received*): tail, warnings and progress readings."""
        for line in lines:
            self.tail.append(line)
            if is_warning(line):
                self.warnings.append(line)
            if _FINAL_LINE_RE.match(line):
                self.log_ended = True
            detail = progress_detail(line)
            if detail is None:
                continue
            self.last_progress = detail
            if received is not None:
                self.follow_log = True
                self.progress.add(detail["percent"], elapsed_of(line), self.last_read, received)
        self.log_start += len(lines)
        if sent is not None:
            self.last_read = sent

    def plan(self, now):
        expected = self.progress.expected_end()
        self.due = now + self.schedule.next_delay(now, expected, direct=self.progress.capped)

    def wants_log(self):
        return self.follow_log or self.looks in DISCOVERY_LOOKS

    def progress_report(self):
        """The newest progress read from the log; a task that ended OK or with warnings is at 100 %."""
        found = dict(self.last_progress or no_progress())
        if self.done and outcome(self.status.get("exitstatus")) in ("ok", "warnings"):
            found["percent"] = 100.0
            if found["bytes_total"] is not None:
                found["bytes_done"] = found["bytes_total"]
        return found

    def as_dict(self):
        status = self.status
        if self.unknown:
            status = {"status": UNKNOWN, "exitstatus": None}
        result = {
            "upid": self.upid.raw, "node": self.upid.node, "type": self.upid.type, "id": self.upid.id,
            "user": self.upid.user, "status": status.get("status") or "running", "exitstatus": status.get("exitstatus"),
            "warnings": list(self.warnings) if self.done else [],
            "starttime": status.get("starttime", self.upid.starttime), "endtime": status.get("endtime"),
            "progress": self.progress_report(),
        }
        if self.log_tail is not None:
            result["log_tail"] = list(self.log_tail)
        return result


def started_task(upid):
    """The task dict of a task just started and not looked at (wait: false): status running, no exit status, no
    progress read yet (jotun_task reads it)."""
    parsed = parse_upid(upid)
    return {"upid": parsed.raw, "node": parsed.node, "type": parsed.type, "id": parsed.id, "user": parsed.user,
            "status": "running", "exitstatus": None, "warnings": [], "starttime": parsed.starttime, "endtime": None,
            "progress": no_progress()}


class TaskWaiter(object):
    """Wait for Proxmox VE tasks (see the module docstring). ``stats`` counts the requests it sent by kind."""

    def __init__(self, client, first_poll=0.2, max_interval=4.0, growth=1.7, jitter=0.1, clock=time.monotonic,
                 sleep=time.sleep, rng=None, poll_budget=5.0):
        self.client = client
        self.first_poll = first_poll
        self.max_interval = max_interval
        self.growth = growth
        self.jitter = jitter
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.poll_budget = poll_budget
        self.stats = {"status": 0, "active": 0, "log": 0}

    # -- public ---------------------------------------------------------------------------------------------------
    def poll(self, upids):
        """One look at every task, no waiting: a list of task dicts (ProxmoxError when a task cannot be read)."""
        tracked = self._track(upids)
        for node, group in self._by_node(tracked).items():
            self._look_at_node(node, group, group, Deadline(self.poll_budget), strict=True)
        for task in tracked:
            if not task.done and task.visible and task.upid.type in PROGRESS_TYPES:
                self._read_progress(task, Deadline(self.poll_budget))
        return [t.as_dict() for t in tracked]

    def _read_progress(self, task, budget):
        """The newest progress line of a running task: its log's last PROGRESS_TAIL lines (a first read learns the
        log's length; a long log costs a second read). A log that cannot be read leaves the progress unknown."""
        try:
            lines, total = self._read_log(task, 0, PROGRESS_TAIL, budget)
            if total and total > PROGRESS_TAIL:
                lines, total = self._read_log(task, total - PROGRESS_TAIL, PROGRESS_TAIL, budget)
        except ProxmoxError as err:
            if err.status in (401, 403):
                raise
            return
        task.absorb(lines)

    def wait(self, upids, deadline, fail_on_error=True):
        """Wait until every task stopped or *deadline* (a retry.Deadline or seconds) passed.

        Returns the task dicts; raises TaskFailed (fail_on_error and a task did not end OK / WARNINGS) after all
        tasks stopped, or TaskTimeout naming the tasks still running at the deadline (they are not stopped).
        """
        if not isinstance(deadline, Deadline):
            deadline = Deadline(deadline)
        tracked = self._track(upids)
        final_round = False
        while True:
            pending = [t for t in tracked if not t.done]
            if not pending:
                break
            now = self.clock()
            if deadline.expired():
                if final_round:
                    raise self._timeout(tracked, deadline)
                final_round = True
                for task in pending:
                    task.due = now
            due = [t for t in pending if t.due <= now]
            if not due:
                self.sleep(max(0.0, min(min(t.due for t in pending) - now, deadline.remaining())))
                continue
            for node, group in self._by_node(pending).items():
                node_due = [t for t in group if t in due]
                if node_due:
                    # Several tasks on one node share one listing: look at (and re-plan) them together, so their
                    # schedules stay in step and each round costs one listing, not one per task falling due.
                    self._look_at_node(node, group, group if len(group) > 1 else node_due, deadline)
        return self._result(tracked, fail_on_error)

    # -- bookkeeping ----------------------------------------------------------------------------------------------
    def _track(self, upids):
        if isinstance(upids, str):
            upids = [upids]
        now = self.clock()
        tracked, seen = [], set()
        for text in upids:
            try:
                upid = parse_upid(text)
            except ValueError as err:
                raise InputError("upid: %s" % err, option="upid")
            if upid.raw not in seen:
                seen.add(upid.raw)
                schedule = Schedule(self.first_poll, self.growth, self.max_interval, self.jitter, self.rng)
                tracked.append(_Tracked(upid, schedule, now))
        return tracked

    @staticmethod
    def _by_node(tracked):
        groups = collections.OrderedDict()
        for task in tracked:
            groups.setdefault(task.upid.node, []).append(task)
        return groups

    # -- one round on one node ------------------------------------------------------------------------------------
    def _look_at_node(self, node, group, due, deadline, strict=False):
        """Look at the *due* tasks of *node*; with several pending there, learn for free which others ended."""
        budget = deadline.sub(self.poll_budget)
        if len(group) == 1:
            task = group[0]
            task.looks += 1
            if task.wants_log() and not strict and task.looks % STATUS_EVERY:
                self._look_via_log(task, budget)
            else:
                self._check_status(task, budget, strict)
        else:
            self._look_via_active_list(node, group, due, budget, strict)
        for task in due:
            if not task.done:
                task.plan(self.clock())

    def _look_via_active_list(self, node, group, due, budget, strict):
        """One GET of the node's running tasks; a status request only for the tasks missing from it."""
        to_check = due
        try:
            self.stats["active"] += 1
            params = {"source": "active", "limit": max(50, 4 * len(group))}
            active = self.client.get(api_path("nodes", node, "tasks"), params=params, deadline=budget)
            # The active list can still hold a task that just ended: it then carries its final status.
            running = set(entry.get("upid") for entry in active or []
                          if isinstance(entry, dict) and is_running(entry))
            to_check = [t for t in group if t.upid.raw not in running]
        except ProxmoxError as err:
            if strict or err.status in (401, 403):
                raise
            running = set()
            for task in due:
                task.last_error = err.message
        for task in group:
            if task.upid.raw in running:
                task.visible = True
                task.status = dict(task.status, status="running")
            if task in due:
                task.looks += 1
        for task in to_check:
            self._check_status(task, budget, strict)

    def _look_via_log(self, task, budget):
        """Read the new log lines instead of the status: same cost, plus progress. PVE's status is the log's last
        line, so a final 'TASK ...' line means the task stopped: only then is the status read."""
        sent = self.clock()
        try:
            lines, _total = self._read_log(task, task.log_start, LOG_PAGE, budget)
        except ProxmoxError as err:
            if err.status in (401, 403):
                raise
            task.last_error = err.message  # not visible yet, or a transient failure: look again later
            if self._past_grace(task):
                self._check_status(task, budget, strict=False)     # the status says whether the node knows it
            return
        task.visible = True
        task.last_error = None
        task.absorb(lines, sent, self.clock())
        if task.log_ended:
            self._check_status(task, budget, strict=False)
        else:
            task.status = dict(task.status, status="running")

    def _check_status(self, task, budget, strict):
        path = api_path("nodes", task.upid.node, "tasks", task.upid.raw, "status")
        self.stats["status"] += 1
        try:
            status = self.client.get(path, deadline=budget)
        except ProxmoxError as err:
            if err.status in (401, 403) or (strict and not no_such_task(err)):
                raise
            # not visible yet (no such task), or a transient failure: look again later
            task.last_error = err.message
            if no_such_task(err) and self._past_grace(task):
                task.unknown = True         # its node does not know it: nothing to wait for
                task.done = True
            return
        task.visible = True
        task.last_error = None
        task.status = dict(status or {})
        if task.status.get("status") == "stopped":
            self._finish(task, budget, strict)

    def _read_log(self, task, start, limit, budget):
        path = api_path("nodes", task.upid.node, "tasks", task.upid.raw, "log")
        self.stats["log"] += 1
        body = self.client.get(path, params={"start": start, "limit": limit}, deadline=budget, full=True) or {}
        data = body.get("data")
        if isinstance(data, dict):
            data = [data]  # dump_logfile's answer for a missing file before libpve-common-perl 9.0.6
        entries = [entry for entry in data or [] if isinstance(entry, dict)]
        if (len(entries) == 1 and str(entries[0].get("t", "")).startswith(NO_LOG_FILE)
                and body.get("total") in (None, 1) and not self._log_seen(task)):
            message = "task %s is not visible on %s yet: %s" % (task.upid.raw, task.upid.node, entries[0]["t"])
            raise ProxmoxError(message, kind=RETRYABLE, method="GET", path=path)
        if len(entries) == 1 and entries[0].get("t") == NO_CONTENT:
            entries = []  # PVE's answer when there is no line past *start* (yet)
        return [entry.get("t", "") for entry in entries], body.get("total")

    def _past_grace(self, task):
        """True once the node's clock is UNKNOWN_GRACE past the start time the UPID holds."""
        server_time = getattr(self.client, "server_time", None)
        now = server_time() if callable(server_time) else time.time()
        return now - task.upid.starttime > UNKNOWN_GRACE

    @staticmethod
    def _log_seen(task):
        """True once the task's log answered with real lines (a later 'unable to open file' line is a line)."""
        return task.log_start > 0

    def _finish(self, task, budget, strict):
        """The task stopped: read the rest of its log when it failed or warned (tail and warnings)."""
        task.done = True
        result = outcome(task.status.get("exitstatus"))
        if result == "ok":
            return
        if task.log_ended:
            task.log_tail = list(task.tail)  # the whole log is already read
            return
        try:
            self._read_rest(task, budget, keep_all=(result == "warnings"))
        except ProxmoxError as err:
            if strict or err.status in (401, 403):
                raise
            task.last_error = err.message
        task.log_tail = list(task.tail)

    def _read_rest(self, task, budget, keep_all):
        start = task.log_start
        for _page in range(MAX_LOG_PAGES):
            lines, total = self._read_log(task, start, LOG_PAGE, budget)
            if not keep_all and total and total - start > LOG_PAGE and start < total - TAIL_LINES:
                start = total - TAIL_LINES  # only the tail matters: skip what lies before it
                task.log_start = start
                continue
            task.absorb(lines)
            start += len(lines)
            if len(lines) < LOG_PAGE:
                return

    # -- results --------------------------------------------------------------------------------------------------
    @staticmethod
    def _result(tracked, fail_on_error):
        tasks = [t.as_dict() for t in tracked]
        failed = [t for t in tracked if t.unknown or outcome(t.status.get("exitstatus")) == "failed"]
        if failed and fail_on_error:
            first = failed[0]
            message = "; ".join("task %s (%s %s on %s) failed: %s" % (
                t.upid.raw, t.upid.type, t.upid.id or "-", t.upid.node,
                "its node does not know it (no such task)" if t.unknown else t.status.get("exitstatus"))
                for t in failed)
            raise TaskFailed(message, tasks=tasks, log_tail=first.log_tail or [])
        return tasks

    @staticmethod
    def _timeout(tracked, deadline):
        running = [t for t in tracked if not t.done]
        parts = []
        for task in running:
            note = "" if task.visible else " (never became visible: %s)" % (task.last_error or "no answer")
            parts.append(task.upid.raw + note)
        message = "%d of %d task(s) still running after %ss (left running, not stopped): %s" % (
            len(running), len(tracked), deadline.seconds, ", ".join(parts))
        return TaskTimeout(message, tasks=[t.as_dict() for t in tracked], running=[t.upid.raw for t in running])
