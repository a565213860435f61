"""Faults on demand: status answers, latency, dropped connections, task outcomes, invisible tasks, full storage."""
import json
import time

import pytest
import requests


def test_status_500_does_no_work(sim):
    sim.fault(kind="status", method="POST", path=r"/qemu/9000/clone$", status=500, message="boom")
    resp = sim.call("POST", "/nodes/pve1/qemu/9000/clone", data={"newid": 170})
    assert resp.status_code == 500 and resp.reason == "boom"
    assert sim.guest(170) is None
    assert sim.call("POST", "/nodes/pve1/qemu/9000/clone", data={"newid": 170}).status_code == 200


def test_status_596_does_the_work(sim):
    sim.fault(kind="status", method="PUT", path=r"/config$", status=596)
    resp = sim.call("PUT", "/nodes/pve1/qemu/9000/config", data={"description": "done anyway"})
    assert resp.status_code == 596
    assert sim.guest(9000)["config"]["description"] == "done anyway"


def test_drop_applies_write_then_closes(sim):
    sim.fault(kind="drop", method="POST", path=r"/clone$")
    sim.fault(kind="task_duration", type="qmclone", seconds=50)
    with pytest.raises(requests.exceptions.ConnectionError):
        sim.call("POST", "/nodes/pve1/qemu/9000/clone", data={"newid": 171})
    assert sim.guest(171)["lock"] == "clone"
    tasks = sim.get("/nodes/pve1/tasks", source="all", typefilter="qmclone", vmid=9000)
    assert len(tasks) == 1


def test_latency(sim):
    sim.fault(kind="latency", path=r"^/version$", seconds=0.3, count=1)
    started = time.time()
    sim.get("/version")
    assert time.time() - started >= 0.3


def test_task_fail_rolls_back(sim):
    sim.fault(kind="task_fail", type="qmclone", message="clone failed: disk gone")
    upid = sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=172, full=1)
    status = sim.wait(upid)
    assert status["exitstatus"] == "clone failed: disk gone"
    assert sim.task_log(upid)[-1] == "TASK ERROR: clone failed: disk gone"
    assert sim.guest(172) is None
    assert not [v for v in sim.state()["volumes"] if v["vmid"] == 172]


def test_task_warn(sim):
    sim.fault(kind="task_warn", type="vzdump", warnings=2)
    upid = sim.write("POST", "/nodes/pve1/vzdump", vmid="9000", storage="local")
    assert sim.wait(upid)["exitstatus"] == "WARNINGS: 2"
    log = sim.task_log(upid)
    assert len([line for line in log if line.startswith("WARN: ")]) == 2 and log[-1] == "TASK WARNINGS: 2"


def test_task_invisible_for_a_while(sim):
    sim.fault(kind="task_invisible", type="qmclone", seconds=30)
    upid = sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=173)
    resp = sim.call("GET", "/nodes/pve1/tasks/%s/status" % upid)
    assert resp.status_code == 400 and resp.json()["errors"] == {"upid": "no such task"}
    assert sim.wait(upid)["exitstatus"] == "OK"


def test_task_duration_and_progress_log(sim):
    # long enough to be running whatever the machine's load; stopped once looked at
    sim.fault(kind="task_duration", type="qmclone", seconds=36000)
    upid = sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=174, full=1)
    end = time.monotonic() + 30
    while not any("%)" in line for line in sim.task_log(upid)):     # the first progress line, whenever it comes
        assert time.monotonic() < end, sim.task_log(upid)
        time.sleep(0.05)
    running = sim.get("/nodes/pve1/tasks/%s/status" % upid)
    assert running["status"] == "running"
    assert upid in [t["upid"] for t in sim.get("/nodes/pve1/tasks", source="active")]
    assert upid not in [t["upid"] for t in sim.get("/nodes/pve1/tasks")]
    # a template's disk is copied with qemu-img convert, logged as qemu-server's qemu_img_convert prints it
    assert "transferred 0.0 B of 2.0 GiB (0.00%)" in sim.task_log(upid)
    assert sim.call("DELETE", "/nodes/pve1/tasks/%s" % upid).status_code == 200
    sim.wait(upid)


def test_stop_task(sim):
    sim.fault(kind="task_duration", type="qmclone", seconds=100)
    upid = sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=175, full=1)
    assert sim.call("DELETE", "/nodes/pve1/tasks/%s" % upid).status_code == 200
    assert sim.wait(upid)["exitstatus"] != "OK"
    assert sim.guest(175) is None


def test_storage_full_fails_backup_cleanly(sim):
    sim.fault(kind="storage_full", node="pve1", storage="local")
    assert sim.get("/nodes/pve1/storage/local/status")["avail"] == 0
    upid = sim.write("POST", "/nodes/pve1/vzdump", vmid="9000", storage="local")
    assert sim.wait(upid)["exitstatus"] == "job errors"
    assert any("No space left on device" in line for line in sim.task_log(upid))
    assert sim.guest(9000)["lock"] is None and not sim.state()["archives"]


def test_fault_from_command_line(sim_logs):
    from simsupport import Sim
    fault = json.dumps({"kind": "status", "method": "GET", "path": "^/version$", "status": 599, "count": 1})
    sim = Sim("9.1", sim_logs, extra=["--fault", fault])
    try:
        assert sim.call("GET", "/version").status_code == 599
        assert sim.call("GET", "/version").status_code == 200
    finally:
        sim.stop()


def test_bad_fault_refused(sim):
    resp = sim.http.post(sim.info["control_url"] + "/fault", json={"kind": "nope"}, verify=sim.info["ca_cert"])
    assert resp.status_code == 400
