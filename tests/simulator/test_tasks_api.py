"""Task list, status and log shapes as pve-manager's API2/Tasks.pm and pve-common's RESTEnvironment give them."""
import re

import pytest

UNKNOWN_UPID = "UPID:pve1:0001ABCD:0042F00D:6740A000:qmstart:555:root@pam:"
NO_LOG_FILE = "unable to open file - No such file or directory"


def _config_tasks(sim, count):
    upids = [sim.write("POST", "/nodes/pve1/qemu/9000/config", description="run %d" % i) for i in range(count)]
    for upid in upids:
        sim.wait(upid)
    return upids


def _long_clone(sim, newid):
    sim.fault(kind="task_duration", type="qmclone", seconds=500)
    return sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=newid)


def test_running_entries_carry_status_RUNNING(fresh):
    done = _config_tasks(fresh, 1)[0]
    running = _long_clone(fresh, 140)
    for source in ("active", "all"):
        entries = {t["upid"]: t for t in fresh.get("/nodes/pve1/tasks", source=source)}
        assert entries[running]["status"] == "RUNNING" and "endtime" not in entries[running]
    stopped = {t["upid"]: t for t in fresh.get("/nodes/pve1/tasks", source="all")}[done]
    assert stopped["status"] == "OK" and stopped["endtime"] >= stopped["starttime"]
    assert fresh.call("DELETE", "/nodes/pve1/tasks/%s" % running).status_code == 200


def test_task_list_total_start_and_limit_zero(fresh):
    _config_tasks(fresh, 3)
    body = fresh.call("GET", "/nodes/pve1/tasks", params={"typefilter": "qmconfig", "limit": 1}).json()
    assert len(body["data"]) == 1 and body["total"] == 3
    body = fresh.call("GET", "/nodes/pve1/tasks", params={"typefilter": "qmconfig", "limit": 0}).json()
    assert body == {"data": [], "total": 3}
    body = fresh.call("GET", "/nodes/pve1/tasks", params={"typefilter": "qmconfig", "start": 2}).json()
    assert len(body["data"]) == 1 and body["total"] == 3
    # pve-http-server leaves a total of 0 out
    assert fresh.call("GET", "/nodes/pve1/tasks", params={"typefilter": "vzdump"}).json() == {"data": []}


def test_errors_filter_keeps_running_tasks(fresh):
    _config_tasks(fresh, 1)
    fresh.fault(kind="task_fail", type="qmconfig", message="broken")
    failed = fresh.write("POST", "/nodes/pve1/qemu/9000/config", description="x")
    fresh.wait(failed)
    running = _long_clone(fresh, 141)
    listed = [t["upid"] for t in fresh.get("/nodes/pve1/tasks", source="all", errors=1)]
    assert sorted(listed) == sorted([failed, running])
    assert fresh.call("DELETE", "/nodes/pve1/tasks/%s" % running).status_code == 200


def test_task_log_total_start_limit(fresh):
    upid = fresh.write("POST", "/nodes/pve1/qemu/9000/clone", newid=142, full=1)
    fresh.wait(upid)
    path = "/nodes/pve1/tasks/%s/log" % upid
    whole = fresh.call("GET", path, params={"limit": 0}).json()
    count = len(whole["data"])
    assert count > 2 and whole["total"] == count and whole["data"][-1]["t"] == "TASK OK"
    page = fresh.call("GET", path, params={"start": 1, "limit": 1}).json()
    assert page == {"data": [{"n": 2, "t": whole["data"][1]["t"]}], "total": count}
    assert fresh.call("GET", path, params={"start": count + 5}).json() == {"data": [], "total": count}


def test_unknown_upid(fresh):
    for method, suffix in (("GET", "/status"), ("DELETE", "")):
        resp = fresh.call(method, "/nodes/pve1/tasks/%s%s" % (UNKNOWN_UPID, suffix))
        assert resp.status_code == 400 and resp.reason == "Parameter verification failed."
        assert resp.json()["errors"] == {"upid": "no such task"}
    # the log reads a file that is not there: 200 with dump_logfile's line; a bare object before pve-common 9.0.6
    body = fresh.call("GET", "/nodes/pve1/tasks/%s/log" % UNKNOWN_UPID).json()
    line = {"n": 1, "t": NO_LOG_FILE}
    assert body == {"data": [line] if fresh.release == "9.1" else line, "total": 1}
    # a task of pve1 asked on pve2: that node has no such task file
    upid = _config_tasks(fresh, 1)[0]
    assert fresh.call("GET", "/nodes/pve2/tasks/%s/status" % upid).json()["errors"] == {"upid": "no such task"}


def test_unknown_upid_log_is_a_bare_object_on_8x(sim8):
    """8.0 and 8.4 ship libpve-common-perl 8.x: dump_logfile's "unable to open file" line is still a bare object."""
    body = sim8.call("GET", "/nodes/pve1/tasks/%s/log" % UNKNOWN_UPID).json()
    assert body == {"data": {"n": 1, "t": NO_LOG_FILE}, "total": 1}
    resp = sim8.call("GET", "/nodes/pve1/tasks/%s/status" % UNKNOWN_UPID)
    assert resp.status_code == 400 and resp.json()["errors"] == {"upid": "no such task"}


def test_malformed_upid(fresh):
    resp = fresh.call("GET", "/nodes/pve1/tasks/UPID:nonsense/status")
    assert resp.status_code == 400 and resp.json()["errors"] == {"upid": "unable to parse worker upid"}


def test_invisible_task_answers_like_an_unknown_upid(fresh):
    fresh.fault(kind="task_invisible", type="qmclone", seconds=30)
    upid = fresh.write("POST", "/nodes/pve1/qemu/9000/clone", newid=143)
    resp = fresh.call("GET", "/nodes/pve1/tasks/%s/status" % upid)
    assert resp.status_code == 400 and resp.json()["errors"] == {"upid": "no such task"}
    assert fresh.wait(upid)["exitstatus"] == "OK"
    statuses = [e["status"] for e in fresh.requests()["requests"] if upid in e["path"]]
    assert statuses[0] == 400 and statuses[-1] == 200


@pytest.mark.parametrize("message", ["first line\nsecond line\n", "first line\nsecond line"])
def test_multi_line_worker_error_becomes_one_line(sim, message):
    sim.fault(kind="task_fail", type="qmclone", message=message)
    upid = sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=144)
    status = sim.wait(upid)
    assert status["exitstatus"] == "first line second line"
    log = sim.task_log(upid)
    assert log[-1] == "TASK ERROR: first line second line"
    assert not [line for line in log if re.match(r"^(first|second) line$", line)]
    listed = {t["upid"]: t for t in sim.get("/nodes/pve1/tasks", typefilter="qmclone")}[upid]
    assert listed["status"] == "first line second line"


def test_token_tasks_listed_as_user_and_tokenid_once_finished(fresh):
    """pve-manager Tasks.pm: archived tasks go through $convert_token_task (user 'root@pam', tokenid 'jotun') before
    userfilter (a case-insensitive substring match); active (running) ones are filtered and shown with the UPID's
    whole 'root@pam!jotun'; the status of a task is always converted."""
    token_id = fresh.info["token_id"]
    user, token = token_id.split("!")
    done = _config_tasks(fresh, 1)[0]
    running = _long_clone(fresh, 145)
    listed = {t["upid"]: t for t in fresh.get("/nodes/pve1/tasks", source="all")}
    assert (listed[done]["user"], listed[done]["tokenid"]) == (user, token)
    assert listed[running]["user"] == token_id and "tokenid" not in listed[running]
    status = fresh.get("/nodes/pve1/tasks/%s/status" % done)
    assert (status["user"], status["tokenid"]) == (user, token)

    def matched(userfilter):
        return sorted(t["upid"] for t in fresh.get("/nodes/pve1/tasks", source="all", userfilter=userfilter))

    assert matched(user.upper()) == sorted([done, running])
    assert matched(token_id) == [running]               # the whole token id misses the finished task
    assert fresh.call("DELETE", "/nodes/pve1/tasks/%s" % running).status_code == 200
