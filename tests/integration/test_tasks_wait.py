# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TaskWaiter against the simulator: success, failure with the log tail, warnings, late UPIDs, the deadline, and
many tasks with one active-task list per node per round (counted in the simulator's request log)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import ProxmoxClient, api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, TaskFailed, TaskTimeout
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter

TASK_KEYS = {"upid", "node", "type", "id", "user", "status", "exitstatus", "warnings", "starttime", "endtime", "progress"}


def token_client(sim):
    return ProxmoxClient(sim.info["host"], port=sim.info["port"], token_id=sim.info["token_id"],
                         token_secret=sim.info["token_secret"], ca_path=sim.ca_cert)


@pytest.fixture
def fresh(sim):
    sim.reset()
    yield sim
    sim.clear_faults()


def clone(client, newid, template=9000, node="pve1"):
    return client.post(api_path("nodes", node, "qemu", template, "clone"),
                       {"newid": newid, "name": "t%d" % newid, "full": True}, deadline=Deadline(30))


def backup(client, vmid=9000, node="pve1"):
    return client.post(api_path("nodes", node, "vzdump"), {"vmid": vmid, "storage": "local", "mode": "snapshot"},
                       deadline=Deadline(30))


def status_requests(sim, mark, upid):
    return [e for e in sim.requests(mark, method="GET") if _decoded(e["path"]).endswith("/tasks/%s/status" % upid)]


def _decoded(path):
    try:
        from urllib.parse import unquote
    except ImportError:  # pragma: no cover
        from urllib import unquote
    return unquote(path)


def test_one_task_ok(fresh):
    client = token_client(fresh)
    upid = clone(client, 201)
    mark = fresh.mark()
    tasks = TaskWaiter(client).wait([upid], Deadline(60))
    assert len(tasks) == 1
    task = tasks[0]
    assert set(task) == TASK_KEYS
    assert (task["upid"], task["node"], task["type"], task["id"]) == (upid, "pve1", "qmclone", "9000")
    assert (task["status"], task["exitstatus"], task["warnings"]) == ("stopped", "OK", [])
    assert task["endtime"] >= task["starttime"]
    assert len(status_requests(fresh, mark, upid)) >= 1
    assert fresh.guest(201) is not None


def test_failing_task_raises_with_the_last_log_lines(fresh):
    client = token_client(fresh)
    fresh.fault(kind="task_fail", type="qmclone", message="clone failed: no space left on device", count=1)
    upid = clone(client, 202)
    with pytest.raises(TaskFailed) as err:
        TaskWaiter(client).wait([upid], Deadline(60))
    failed = err.value
    assert "clone failed: no space left on device" in str(failed) and upid in str(failed)
    assert failed.log_tail and len(failed.log_tail) <= 20
    assert failed.log_tail[-1] == "TASK ERROR: clone failed: no space left on device"
    assert failed.tasks[0]["exitstatus"] == "clone failed: no space left on device"
    assert failed.tasks[0]["log_tail"] == failed.log_tail


def test_failing_task_without_fail_on_error_returns_it(fresh):
    client = token_client(fresh)
    fresh.fault(kind="task_fail", type="qmclone", message="clone failed: boom", count=1)
    upid = clone(client, 203)
    tasks = TaskWaiter(client).wait(upid, Deadline(60), fail_on_error=False)
    assert tasks[0]["exitstatus"] == "clone failed: boom" and tasks[0]["log_tail"][-1].startswith("TASK ERROR")


def test_warnings_are_success_with_the_warn_lines(fresh):
    client = token_client(fresh)
    fresh.fault(kind="task_warn", type="vzdump", warnings=2, count=1)
    upid = backup(client)
    tasks = TaskWaiter(client).wait([upid], Deadline(60))
    assert tasks[0]["exitstatus"] == "WARNINGS: 2"
    assert len(tasks[0]["warnings"]) == 2 and all("WARN" in line for line in tasks[0]["warnings"])
    assert tasks[0]["log_tail"][-1] == "TASK WARNINGS: 2"


def test_upid_not_visible_yet_is_retried(fresh):
    client = token_client(fresh)
    fresh.fault(kind="task_invisible", type="qmclone", seconds=10.0, count=1)  # 0.5 s real at speed 20
    mark = fresh.mark()
    upid = clone(client, 204)
    tasks = TaskWaiter(client).wait([upid], Deadline(60))
    assert tasks[0]["exitstatus"] == "OK"
    looks = [(e["status"], _decoded(e["path"]).rsplit("/", 1)[-1])
             for e in fresh.requests(mark, method="GET") if upid in _decoded(e["path"])]
    # a clone is followed through its log: while invisible, PVE answers the log with 200 and the single line
    # "unable to open file - ..." (and a status request with 400 errors.upid "no such task")
    assert looks[0] in ((200, "log"), (400, "status")) and len(looks) > 2 and looks[-1][0] == 200


@pytest.mark.parametrize("pve", ["7.4", "9.1"])
def test_invisible_task_log_is_not_a_log_line(sim_factory, pve):
    """The missing log file's line (a bare object before PVE 9) never becomes part of the task's log."""
    sim = sim_factory(pve=pve)
    client = token_client(sim)
    sim.fault(kind="task_invisible", type="qmclone", seconds=10.0, count=1)
    sim.fault(kind="task_fail", type="qmclone", message="clone failed: disk gone", count=1)
    upid = clone(client, 207)
    with pytest.raises(TaskFailed) as err:
        TaskWaiter(client).wait([upid], Deadline(60))
    tail = err.value.log_tail
    assert tail[-1] == "TASK ERROR: clone failed: disk gone"
    assert not [line for line in tail if "unable to open file" in line]
    assert tail == [line["t"] for line in sim.api("GET", "/nodes/pve1/tasks/%s/log" % upid, limit=0)][-len(tail):]


def test_poll_of_an_invisible_task_is_running_not_an_error(fresh):
    client = token_client(fresh)
    fresh.fault(kind="task_invisible", type="qmclone", seconds=200.0, count=1)
    upid = clone(client, 208)
    tasks = TaskWaiter(client).poll([upid])
    assert tasks[0]["status"] == "running" and tasks[0]["exitstatus"] is None


def test_deadline_names_running_tasks_and_leaves_them_running(fresh):
    client = token_client(fresh)
    fresh.fault(kind="task_duration", type="qmclone", seconds=600, count=1)  # 30 s real
    upid = clone(client, 205)
    mark = fresh.mark()
    with pytest.raises(TaskTimeout) as err:
        TaskWaiter(client).wait([upid], Deadline(1.0))
    assert err.value.running == [upid] and upid in str(err.value)
    assert err.value.tasks[0]["status"] == "running" and err.value.tasks[0]["exitstatus"] is None
    assert [e for e in fresh.requests(mark) if e["method"] != "GET"] == []  # nothing was stopped
    assert client.get(api_path("nodes", "pve1", "tasks", upid, "status"))["status"] == "running"


def test_malformed_upid_is_an_input_error(fresh):
    with pytest.raises(InputError) as err:
        TaskWaiter(token_client(fresh)).wait(["UPID:nonsense"], Deadline(5))
    assert err.value.option == "upid"


def test_poll_is_one_look(fresh):
    client = token_client(fresh)
    fresh.fault(kind="task_duration", type="qmclone", seconds=200, count=1)
    upid = clone(client, 206)
    mark = fresh.mark()
    tasks = TaskWaiter(client).poll([upid])
    assert tasks[0]["status"] == "running"
    # one look at the status, and one read of the log's tail for the progress a running clone prints
    sent = fresh.requests(mark)
    assert len(sent) == 2 and sent[1]["path"].endswith("/log") and sent[1]["params"]["limit"] == "50"
    assert set(tasks[0]["progress"]) == {"percent", "bytes_done", "bytes_total", "line"}


def test_many_tasks_one_active_list_per_node_per_round(fresh):
    """Four clones on pve1 and one on pve2: pve1 is watched through its active-task list, and each of its tasks
    gets exactly one status request, after it left that list (the last one, once alone, is watched directly)."""
    client = token_client(fresh)
    for seconds in (20, 40, 60, 80):
        fresh.fault(kind="task_duration", type="qmclone", seconds=seconds, count=1)
    upids = [clone(client, 210 + i) for i in range(4)]
    upids.append(clone(client, 220, template=9002, node="pve2"))
    mark = fresh.mark()
    waiter = TaskWaiter(client)
    tasks = waiter.wait(upids, Deadline(120))
    assert [t["exitstatus"] for t in tasks] == ["OK"] * 5
    seen = fresh.requests(mark)
    by_kind = collections.Counter()
    for entry in seen:
        path = _decoded(entry["path"])
        if path.endswith("/nodes/pve1/tasks"):
            assert entry["params"]["source"] == "active"
            by_kind["pve1 active"] += 1
        elif path.endswith("/status"):
            by_kind["status " + path.split("/nodes/")[1].split("/")[0]] += 1
        elif path.endswith("/log"):
            by_kind["log " + path.split("/nodes/")[1].split("/")[0]] += 1
        else:
            by_kind["other " + path] += 1
    for upid in upids[:3]:
        assert len(status_requests(fresh, mark, upid)) == 1, upid
    assert by_kind["pve1 active"] >= 3
    assert not [k for k in by_kind if k.startswith("other")]
    assert len(seen) == sum(waiter.stats.values())


def test_following_the_log_reads_each_line_once(fresh):
    """A clone prints progress: the waiter reads only new lines (start=), and PVE's 'no content' answer for a
    read past the end moves nothing (it is not a line)."""
    client = token_client(fresh)
    fresh.fault(kind="task_duration", type="qmclone", seconds=40, count=1)  # 2 s real: more than one read
    upid = clone(client, 207)
    mark = fresh.mark()
    waiter = TaskWaiter(client)
    tasks = waiter.wait([upid], Deadline(60))
    assert tasks[0]["exitstatus"] == "OK"
    reads = [e for e in fresh.requests(mark, method="GET") if _decoded(e["path"]).endswith(upid + "/log")]
    starts = [int(e["params"].get("start", 0)) for e in reads]
    assert len(reads) >= 2 and starts == sorted(starts)
    log = client.get(api_path("nodes", "pve1", "tasks", upid, "log"), params={"start": 0, "limit": 1000})
    assert starts[-1] < len(log) and log[-1]["t"] == "TASK OK"
    assert waiter.stats["status"] == 1  # the status is read once, after the log's last line said TASK OK
