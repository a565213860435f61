# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_task through ansible-playbook against the simulator: many tasks, failures, warnings, deadlines."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
import time

import pytest

TEMPLATES = {"pve1": 9000, "pve2": 9002}
FAIL_MESSAGE = "clone failed: simulated storage error"


def start_clones(sim, count, first_vmid=300, faults=(), seconds=None):
    """`count` clones started at once (what `count` jotun_server runs with wait=false leave behind), alternating
    between the two nodes; `faults` are added just before the clone of the same index; `seconds` (low, high)
    spreads their simulated durations. Returns the UPIDs."""
    by_index = dict(faults)
    upids = []
    for index in range(count):
        if seconds:
            low, high = seconds
            sim.fault(kind="task_duration", type="qmclone", seconds=low + (high - low) * index / max(1, count - 1))
        if index in by_index:
            sim.fault(**by_index[index])
        node = "pve1" if index % 2 == 0 else "pve2"
        upids.append(start_clone(sim, node, first_vmid + index))
    return upids


def start_clone(sim, node, vmid, attempts=5):
    """POST clone; parallel clones of one template may meet its config lock, which is safe to retry."""
    for attempt in range(attempts):
        try:
            return sim.api("POST", "/nodes/%s/qemu/%d/clone" % (node, TEMPLATES[node]), newid=vmid,
                           name="fleet-%d" % vmid)
        except RuntimeError as err:
            if "got timeout" not in str(err) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def task_step(name="wait", **options):
    return {"name": name, "jotunheim.proxmox.jotun_task": options, "ignore_errors": True}


def failed(run, name):
    """The task failed (with ignore_errors it shows as "ignored")."""
    return run.status(name) in ("failed", "ignored")


def task_requests(sim, since):
    """What the module sent about tasks: counts of listings, status and log reads, per UPID status reads."""
    entries = sim.requests(since)
    kinds = collections.Counter()
    status_per_task = collections.Counter()
    for entry in entries:
        path = entry["path"]
        if path.endswith("/tasks"):
            kinds["active"] += 1
            assert entry["params"].get("source") == "active", entry
        elif path.endswith("/status") and "/tasks/" in path:
            kinds["status"] += 1
            status_per_task[path] += 1
        elif path.endswith("/log"):
            kinds["log"] += 1
        else:
            kinds["other"] += 1
    return kinds, status_per_task, entries


@pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
def test_wait_for_50_tasks_one_failing_one_warning(sim, run_playbook):
    sim.reset()
    faults = [(7, {"kind": "task_fail", "type": "qmclone", "message": FAIL_MESSAGE, "count": 1}),
              (12, {"kind": "task_warn", "type": "qmclone", "warnings": 2, "count": 1})]
    upids = start_clones(sim, 50, faults=faults, seconds=(60, 200))  # 3 to 10 s at the tests' speed
    assert len(set(upids)) == 50 and set(u.split(":")[1] for u in upids) == {"pve1", "pve2"}
    mark = sim.mark()
    run = run_playbook([task_step(upids=upids, fail_on_error=False, wait_timeout=300)])
    assert run.ok, run
    result = run.task("wait")
    assert result["changed"] is False and result["timed_out"] is False
    assert result["counts"] == {"ok": 48, "warnings": 1, "failed": 1, "running": 0, "unknown": 0}
    assert "failed" not in result and "warnings" not in result  # the counts never look like Ansible's own keys
    tasks = result["tasks"]
    assert [t["upid"] for t in tasks] == upids
    assert all(t["status"] == "stopped" and t["endtime"] for t in tasks)
    assert all(t["type"] == "qmclone" and t["user"] == sim.info["token_id"] for t in tasks)
    failed = tasks[7]
    assert failed["exitstatus"] == FAIL_MESSAGE and failed["log_tail"][-1] == "TASK ERROR: " + FAIL_MESSAGE
    warned = tasks[12]
    assert warned["exitstatus"] == "WARNINGS: 2" and len(warned["warnings"]) == 2 and warned["log_tail"]
    assert all(t["exitstatus"] == "OK" for i, t in enumerate(tasks) if i not in (7, 12))
    # what reached the server: reads only; per-node listings, a status read for each task once it ended
    kinds, status_per_task, entries = task_requests(sim, mark)
    assert all(e["method"] == "GET" for e in entries)
    assert [e["path"] for e in entries if not e["path"].split("?")[0].rsplit("/", 1)[-1] in ("tasks", "status", "log")] \
        == ["/api2/json/nodes"]  # the one look at the cluster's nodes, to check every UPID's node
    assert kinds["active"] >= 1, kinds
    print("requests to wait for 50 tasks: %s" % dict(kinds))
    assert kinds["log"] <= 10, kinds  # logs only of the tasks that failed or warned (on nodes with several tasks)
    assert len(status_per_task) == 50  # every task's end was read once it left its node's active list
    assert max(status_per_task.values()) <= 3, status_per_task.most_common(3)
    # the module's own view agrees with the server's
    server_tasks = dict((t["upid"], t) for t in sim.state()["tasks"]) if isinstance(sim.state().get("tasks"), list) \
        else sim.state()["tasks"]
    for task in tasks:
        assert server_tasks[task["upid"]]["exitstatus"] == task["exitstatus"]


def test_failure_names_the_failed_task_and_still_reports(sim, run_playbook):
    sim.reset()
    upids = start_clones(sim, 4, faults=[(1, {"kind": "task_fail", "type": "qmclone", "message": FAIL_MESSAGE})])
    run = run_playbook([task_step(upids=upids), task_step("look", upids=upids, wait=False, fail_on_error=False)])
    result = run.task("wait")
    assert failed(run, "wait") and upids[1] in result["msg"] and FAIL_MESSAGE in result["msg"]
    assert result["counts"] == {"ok": 3, "warnings": 0, "failed": 1, "running": 0, "unknown": 0}
    assert len(result["tasks"]) == 4
    look = run.task("look")
    assert run.status("look") == "ok" and look["counts"]["failed"] == 1 and look["changed"] is False


def test_task_dicts_and_single_upid(sim, run_playbook):
    sim.reset()
    upids = start_clones(sim, 2)
    run = run_playbook([task_step(upids=[{"upid": upids[0], "node": "pve1"}, upids[0]]),
                        task_step("one", upid=upids[1])])
    assert run.ok, run
    assert [t["upid"] for t in run.task("wait")["tasks"]] == [upids[0]]
    assert run.task("one")["counts"]["ok"] == 1


def test_unknown_node_is_a_clear_error(sim, run_playbook):
    sim.reset()
    good = start_clones(sim, 1)[0]
    parts = good.split(":")
    parts[1] = "pve9"
    stray = ":".join(parts)
    mark = sim.mark()
    run = run_playbook([task_step(upids=[good, stray])])
    result = run.task("wait")
    assert failed(run, "wait")
    assert "upids[1]" in result["msg"] and "'pve9'" in result["msg"] and "pve1, pve2" in result["msg"]
    assert "Traceback" not in run.stdout
    assert [e["path"] for e in sim.requests(mark)] == ["/api2/json/nodes"]


def test_a_upid_its_node_does_not_know_is_unknown_at_once(sim, run_playbook):
    """A UPID of a real node that answers "no such task" well past the start time the UPID holds: reported as
    unknown, counted apart, not waited for to the deadline; wait: true and wait: false agree."""
    sim.reset()
    good = start_clones(sim, 1)[0]
    parts = good.split(":")
    parts[2] = "%08X" % 4242                                 # another pid ...
    parts[4] = "%08X" % (int(parts[4], 16) - 3600)           # ... started an hour ago: no task of this node
    stray = ":".join(parts)
    run = run_playbook([task_step("waited", upids=[good, stray], wait_timeout=600, fail_on_error=False),
                        task_step("looked", upids=[good, stray], wait=False, fail_on_error=False),
                        task_step("strict", upid=stray, wait_timeout=600)])
    for name in ("waited", "looked"):
        result = run.task(name)
        assert run.status(name) == "ok", run
        assert result["counts"] == {"ok": 1, "warnings": 0, "failed": 0, "running": 0, "unknown": 1}, result
        assert [t["status"] for t in result["tasks"]] == ["stopped", "unknown"] and result["timed_out"] is False
    strict = run.task("strict")
    assert failed(run, "strict") and "unknown to their node" in strict["msg"] and stray in strict["msg"]
    assert strict["timed_out"] is False and strict["changed"] is False


def test_malformed_upid_names_the_option(sim, run_playbook):
    run = run_playbook([task_step(upids=["UPID:pve1:nonsense"])])
    result = run.task("wait")
    assert failed(run, "wait") and "upids[0]" in result["msg"] and "Traceback" not in run.stdout


def test_deadline_reports_running_tasks_and_leaves_them_running(sim, run_playbook):
    sim.reset()
    for dummy in range(2):
        sim.fault(kind="task_duration", type="qmclone", seconds=36000, count=1)
    upids = start_clones(sim, 3)  # two that run for hours, one quick
    sim.wait_task(upids[2])
    mark = sim.mark()
    run = run_playbook([task_step(upids=upids, wait_timeout=2),
                        task_step("lenient", upids=upids, wait_timeout=1, fail_on_error=False)])
    result = run.task("wait")
    assert failed(run, "wait") and result["timed_out"] is True
    assert upids[0] in result["msg"] and upids[1] in result["msg"] and upids[2] not in result["msg"]
    assert result["counts"] == {"ok": 1, "warnings": 0, "failed": 0, "running": 2, "unknown": 0}
    assert [t["status"] for t in result["tasks"]] == ["running", "running", "stopped"]
    lenient = run.task("lenient")
    assert run.status("lenient") == "ok" and lenient["counts"]["running"] == 2 and lenient["timed_out"] is True
    # never stopped: the server still runs them, and nothing but reads reached it
    assert not sim.writes(mark)
    state = sim.api("GET", "/nodes/pve1/tasks/%s/status" % upids[0])
    assert state["status"] == "running"
    assert sim.api("GET", "/nodes/pve2/tasks/%s/status" % upids[1])["status"] == "running"


def test_wait_false_and_check_mode_only_look(sim, run_playbook):
    sim.reset()
    sim.fault(kind="task_duration", type="qmclone", seconds=36000, count=1)
    upids = start_clones(sim, 1)
    run = run_playbook([task_step(upids=upids, wait=False)])
    assert run.ok, run
    assert run.task("wait")["counts"] == {"ok": 0, "warnings": 0, "failed": 0, "running": 1, "unknown": 0}
    check = run_playbook([task_step(upids=upids, wait_timeout=600)], check=True)
    assert check.ok, check
    # neither run waited: a wait would have ended in a timeout (timed_out true), the task runs for hours
    assert check.task("wait")["counts"]["running"] == 1 and check.task("wait")["timed_out"] is False


def wait_for_log_line(sim, upid, text, timeout=120):
    """Until the task's log holds a line containing `text` (a condition, not a sleep)."""
    node = upid.split(":")[1]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        lines = [e.get("t", "") for e in sim.api("GET", "/nodes/%s/tasks/%s/log" % (node, upid), limit=500)]
        if any(text in line for line in lines):
            return lines
        time.sleep(0.1)
    raise AssertionError("no %r in the log of %s after %ss" % (text, upid, timeout))


def test_progress_of_a_running_clone_and_of_finished_tasks(sim, run_playbook):
    """jotun_task reports a clone's progress - percent and bytes - as its log prints it (a template's disk is copied
    with qemu-img convert: "transferred 204.8 MiB of 2.0 GiB (10.00%)"); a task that ended OK is at 100 %, its log
    not read."""
    sim.reset()
    # 10 % after ~6 s at the tests' speed (20), the end a minute later: the clone still runs when jotun_task looks
    sim.fault(kind="task_duration", type="qmclone", seconds=1200, count=1)
    running, done = [sim.api("POST", "/nodes/pve1/qemu/%d/clone" % TEMPLATES["pve1"], newid=vmid, full=1,
                             name="progress-%d" % vmid) for vmid in (360, 361)]
    sim.wait_task(done)
    lines = wait_for_log_line(sim, running, "(10.00%)")
    assert not [line for line in lines if "mirror" in line or "drive-scsi0: transferred" in line]
    run = run_playbook([task_step(upids=[running, done], wait=False)])
    assert run.ok, run
    first, second = run.task("wait")["tasks"]
    progress = first["progress"]
    assert first["status"] == "running" and progress["percent"] >= 10.0, first
    assert 0 < progress["bytes_done"] < progress["bytes_total"] and progress["line"].startswith("transferred ")
    assert second["progress"]["percent"] == 100.0     # its log is not read: it ended OK
    assert "1 ok, 0 warnings, 0 failed, 1 running: qmclone" in run.task("wait")["msg"]
