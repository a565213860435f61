# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for task_report: jotun_task's inputs, counts and messages (the waiting is TaskWaiter's)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import task_report as tr
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError

U1 = "UPID:pve1:0000A1B2:00F00D12:65A1B2C3:vzdump:101:root@pam:"
U2 = "UPID:pve2:0000A1B3:00F00D13:65A1B2C4:qmclone:9002:root@pam!jotun:"
GIB = 1024 ** 3


def test_collect_upids_strings_dicts_and_duplicates():
    found = tr.collect_upids(U1, [U2, {"upid": U1}])
    assert [(label, u.node) for label, u in found] == [("upid", "pve1"), ("upids[0]", "pve2")]
    assert tr.collect_upids(upids=[]) == []


@pytest.mark.parametrize("upid, upids, option", [
    ("", None, "upid"), (" ", None, "upid"), (None, [None], "upids"), (None, [""], "upids"),
    (None, [{"upid": None}], "upids"), (None, [{"id": 1}], "upids"), (None, [123], "upids"),
])
def test_collect_upids_refuses_blank_and_garbage_entries(upid, upids, option):
    with pytest.raises(InputError) as err:
        tr.collect_upids(upid, upids)
    assert err.value.option == option


def test_collect_upids_malformed_names_the_option():
    with pytest.raises(InputError) as err:
        tr.collect_upids(upids=[U1, "UPID:broken"])
    assert err.value.option == "upids" and "upids[1]" in str(err.value)


def test_collect_upids_wrong_type():
    with pytest.raises(InputError) as err:
        tr.collect_upids(upids=[{"upid": 5}])
    assert "upids[0]" in str(err.value)


def test_collect_resizes_from_registered_results():
    registered = {"results": [
        {"changed": True, "disk": "scsi0", "status": "in_progress", "task": None, "tasks": [], "vmid": 101,
         "node": "pve1", "size_after": 40 * GIB},
        {"changed": True, "disk": "scsi0", "status": "in_progress", "task": U2, "tasks": [{"upid": U2}], "vmid": 102},
        {"changed": False, "disk": "scsi0", "status": "done", "tasks": [], "vmid": 103},
        {"skipped": True},
    ]}
    upids, checks = tr.collect_resizes(registered)
    assert upids == [U2]
    assert checks == [{"label": "resize[0]", "vmid": 101, "name": None, "node": "pve1", "disk": "scsi0",
                       "size": 40 * GIB}]


def test_collect_resizes_plain_dicts():
    upids, checks = tr.collect_resizes([{"name": "web1", "disk": "scsi1", "size": "1.5T"}])
    assert upids == [] and checks[0]["size"] == 1536 * GIB and checks[0]["vmid"] is None


@pytest.mark.parametrize("item,word", [
    ({"disk": "scsi0", "size": "40G"}, "vmid or name"),
    ({"vmid": 101, "size": "40G"}, "disk"),
    ({"vmid": 101, "disk": "scsi0"}, "size"),
    ({"vmid": 101, "disk": "scsi0", "size": "forty"}, "forty"),
    ("scsi0", "expected a dict"),
])
def test_collect_resizes_bad_input(item, word):
    with pytest.raises(InputError) as err:
        tr.collect_resizes(item)
    assert err.value.option == "resize" and word in str(err.value)


def task(upid, status="stopped", exitstatus="OK"):
    return {"upid": upid, "node": upid.split(":")[1], "type": upid.split(":")[5], "id": upid.split(":")[6],
            "status": status, "exitstatus": exitstatus if status == "stopped" else None}


def test_counts_and_message():
    tasks = [task(U1), task(U2, exitstatus="clone failed: no space"), task(U1 + "x", exitstatus="WARNINGS: 2"),
             task(U2 + "y", status="running")]
    counts = tr.count(tasks, [{"status": "done"}, {"status": "in_progress"}])
    assert counts == {"ok": 2, "warnings": 1, "failed": 1, "running": 2, "unknown": 0}
    msg = tr.failure_message(tasks, [{"status": "in_progress", "vmid": 101, "disk": "scsi0", "current_size": 1,
                                      "size": 2}], counts, True)
    assert "1 of 4 tasks failed" in msg and "clone failed: no space" in msg and U2 in msg
    assert "still running at the deadline: %sy" % U2 in msg and "101 scsi0" in msg and "left running" in msg


class FakeClient(object):
    def __init__(self, nodes=("pve1", "pve2")):
        self.nodes = nodes
        self.calls = []

    def get(self, path, params=None, deadline=None):
        self.calls.append(path)
        if path == "/nodes":
            return [{"node": n, "status": "online"} for n in self.nodes]
        raise AssertionError(path)


def test_unknown_node_is_an_input_error_before_any_waiting():
    client = FakeClient()
    with pytest.raises(InputError) as err:
        tr.report(client, upids=[U1, U1.replace("pve1", "pve9")])
    assert err.value.option == "upids"
    assert "'pve9'" in str(err.value) and "pve1, pve2" in str(err.value)
    assert client.calls == ["/nodes"]


def test_nothing_to_do_costs_nothing():
    client = FakeClient()
    result = tr.report(client, upids=[], wait=True)
    assert result["counts"] == {"ok": 0, "warnings": 0, "failed": 0, "running": 0, "unknown": 0}
    assert result["changed"] is False and client.calls == []


class FakeWaiter(object):
    """Stands in for TaskWaiter: answers from a table, or times out."""

    table = {}
    timeout = False

    def __init__(self, client):
        self.client = client

    def poll(self, upids):
        return [FakeWaiter.table[u] for u in reversed(upids)]

    def wait(self, upids, deadline, fail_on_error=True):
        assert fail_on_error is False
        tasks = [FakeWaiter.table[u] for u in reversed(upids)]
        if FakeWaiter.timeout:
            raise tr.TaskTimeout("late", tasks=tasks, running=[t["upid"] for t in tasks if t["status"] == "running"])
        return tasks


@pytest.fixture
def waiter(monkeypatch):
    monkeypatch.setattr(tr, "TaskWaiter", FakeWaiter)
    FakeWaiter.timeout = False
    FakeWaiter.table = {U1: task(U1), U2: task(U2, exitstatus="WARNINGS: 1")}
    return FakeWaiter


def test_report_keeps_the_order_given_and_counts(waiter):
    result = tr.report(FakeClient(), upids=[U1, U2])
    assert not set(result) & set(["failed", "warnings", "ok", "running"])  # keys Ansible reads as its own
    assert [t["upid"] for t in result["tasks"]] == [U1, U2]
    assert result["counts"] == {"ok": 1, "warnings": 1, "failed": 0, "running": 0, "unknown": 0} and result["timed_out"] is False


def test_report_failed_task_raises_with_the_whole_report(waiter):
    waiter.table[U2] = task(U2, exitstatus="clone failed")
    with pytest.raises(tr.TaskReportError) as err:
        tr.report(FakeClient(), upids=[U1, U2])
    result = err.value.to_result()
    assert result["counts"]["failed"] == 1 and len(result["tasks"]) == 2 and U2 in result["msg"]
    assert result["error_kind"] == "final"
    assert tr.report(FakeClient(), upids=[U1, U2], fail_on_error=False)["counts"]["failed"] == 1


def test_report_deadline_names_running_tasks_never_stops_them(waiter):
    waiter.timeout = True
    waiter.table[U2] = task(U2, status="running")
    client = FakeClient()
    with pytest.raises(tr.TaskReportError) as err:
        tr.report(client, upids=[U1, U2])
    result = err.value.to_result()
    assert result["counts"]["running"] == 1 and result["timed_out"] is True and U2 in result["msg"] and U1 not in result["msg"]
    assert result["error_kind"] == "unknown"
    lenient = tr.report(client, upids=[U1, U2], fail_on_error=False)
    assert lenient["counts"]["running"] == 1 and lenient["timed_out"] is True
    assert client.calls == ["/nodes", "/nodes"]  # nothing but reads; the waiter itself is faked here


def test_report_without_waiting_reports_running_without_failing(waiter):
    waiter.table[U2] = task(U2, status="running")
    result = tr.report(FakeClient(), upids=[U1, U2], wait=False)
    assert result["counts"]["running"] == 1 and result["timed_out"] is False


def test_report_waits_for_sizes_of_7x_resizes(monkeypatch):
    sizes = {"now": 32 * GIB}
    waited = []

    def wait_for_size(client, node, vmid, disk, size_bytes, deadline):
        waited.append((node, vmid, disk, size_bytes))
        if size_bytes > 64 * GIB:
            raise tr.TaskTimeout("late")
        sizes["now"] = size_bytes
        return size_bytes

    monkeypatch.setattr(tr.disks, "read_disk_size", lambda client, node, vmid, disk, deadline=None: sizes["now"])
    monkeypatch.setattr(tr.disks, "wait_for_size", wait_for_size)
    monkeypatch.setattr(tr, "find_guest", lambda client, vmid=None, name=None: {"vmid": 101, "node": "pve2"})
    result = tr.report(FakeClient(), resize=[{"name": "web1", "disk": "scsi0", "size": "40G"}])
    assert result["resizes"] == [{"vmid": 101, "node": "pve2", "disk": "scsi0", "size": 40 * GIB,
                                  "current_size": 40 * GIB, "status": "done"}]
    assert waited == [("pve2", 101, "scsi0", 40 * GIB)] and result["counts"]["ok"] == 1
    with pytest.raises(tr.TaskReportError) as err:
        tr.report(FakeClient(), resize={"vmid": 101, "node": "pve2", "disk": "scsi0", "size": "80G"})
    assert "not yet at their size" in str(err.value) and err.value.result["counts"]["running"] == 1
