"""Guest locks, config-file lock contention, and 7.x's synchronous resize past the proxy timeout."""
import threading
import time

import requests
from simsupport import Sim, pve_message


def test_lock_clone_then_cleared(sim):
    sim.fault(kind="task_duration", type="qmclone", seconds=50)
    upid = sim.write("POST", "/nodes/pve1/qemu/9001/clone", newid=160, full=1)
    assert sim.get("/nodes/pve1/qemu/160/status/current")["lock"] == "clone"
    resp = sim.call("PUT", "/nodes/pve1/qemu/160/config", data={"cores": 2})
    assert resp.status_code == 500 and resp.reason == "VM is locked (clone)"
    sim.wait(upid)
    assert "lock" not in sim.get("/nodes/pve1/qemu/160/status/current")
    assert sim.call("PUT", "/nodes/pve1/qemu/160/config", data={"cores": 2}).status_code == 200


def test_held_config_lock_times_out_then_frees(sim):
    sim.fault(kind="hold_lock", vmid=9000, seconds=30)
    started = time.time()
    resp = sim.call("PUT", "/nodes/pve1/qemu/9000/config", data={"description": "a"})
    assert resp.status_code == 500
    assert resp.reason == "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout"
    assert time.time() - started >= 10.0 / 50 * 0.9
    sim.fault(kind="hold_lock", vmid=9001, seconds=2)
    assert sim.call("PUT", "/nodes/pve1/qemu/9001/config", data={"description": "b"}).status_code == 200


def test_parallel_clones_of_stopped_template_share_its_lock(sim_logs):
    """A stopped source is only share-locked (lock_config_shared): parallel clones never block each other; an
    exclusive holder of the template's lock ends each clone's TASK after the worker's 1 s wait."""
    sim = Sim("9.1", sim_logs, speed=10)         # slower clock: robust against a busy machine
    try:
        results = _parallel_clones(sim, 12, 200)
        assert all(r.status_code == 200 for r in results.values())
        assert [sim.wait(r.json()["data"])["exitstatus"] for r in results.values()] == ["OK"] * 12
        sim.fault(kind="hold_lock", vmid=9000, seconds=8)      # an exclusive holder (config edit, another worker)
        results = _parallel_clones(sim, 4, 300)
        assert all(r.status_code == 200 for r in results.values())      # refused in the task, not in the request
        for resp in results.values():
            status = sim.wait(resp.json()["data"])
            assert status["exitstatus"] == "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout"
        assert not [g for g in sim.state()["guests"] if 300 <= g["vmid"] < 400]
    finally:
        sim.stop()


def _parallel_clones(sim, count, first):
    results = {}
    sessions = [requests.Session() for unused in range(count)]
    for session in sessions:                                  # connect first: the clones then arrive together
        session.get(sim.url + "/version", headers={"Authorization": sim.token_header}, verify=sim.info["ca_cert"])
    barrier = threading.Barrier(count)

    def clone(i):
        barrier.wait()
        results[i] = sessions[i].post(sim.url + "/nodes/pve1/qemu/9000/clone", data={"newid": first + i, "full": 1},
                                      headers={"Authorization": sim.token_header}, verify=sim.info["ca_cert"])

    threads = [threading.Thread(target=clone, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for session in sessions:
        session.close()
    return results


def test_backup_lock_refuses_sync_calls(sim):
    sim.fault(kind="task_duration", type="vzdump", seconds=50)
    upid = sim.write("POST", "/nodes/pve1/vzdump", vmid="9000", storage="local")
    sim.wait_lock(9000, "backup")                   # set as the job reaches the guest, not at the POST
    resp = sim.call("PUT", "/nodes/pve1/qemu/9000/config", data={"description": "x"})
    assert resp.status_code == 500 and pve_message(resp) == "VM is locked (backup)\n"
    sim.wait(upid)
    assert sim.guest(9000)["lock"] is None


def test_74_resize_596_at_proxy_timeout_and_finishes(sim7):
    sim7.fault(kind="task_duration", type="resize", seconds=45)
    started = time.time()
    resp = sim7.call("PUT", "/nodes/pve1/qemu/9000/resize", data={"disk": "scsi0", "size": "20G"})
    assert resp.status_code == 596
    assert time.time() - started >= 30.0 / 50 * 0.9
    assert "size=2G" in sim7.get("/nodes/pve1/qemu/9000/config")["scsi0"]
    deadline = time.time() + 5
    while "size=20G" not in sim7.get("/nodes/pve1/qemu/9000/config")["scsi0"]:
        assert time.time() < deadline
        time.sleep(0.05)


def test_resize_rules(any_sim):
    any_sim.reset()

    def resize(size):
        resp = any_sim.call("PUT", "/nodes/pve1/qemu/9000/resize", data={"disk": "scsi0", "size": size})
        if any_sim.release == "7.4" or resp.status_code != 200:
            return resp.status_code, resp.reason
        status = any_sim.wait(resp.json()["data"])
        return 200 if status["exitstatus"] == "OK" else 500, status["exitstatus"]

    assert resize("1G") == (500, "shrinking disks is not supported")
    assert resize("+1G")[0] == 200
    assert resize(str(3 * 1024 ** 3))[0] == 200
    assert resize("3G")[0] == 200
    code, message = resize("+500G")
    assert code == 500 and "no space left" in message
    assert "size=3G" in any_sim.get("/nodes/pve1/qemu/9000/config")["scsi0"]


def test_snapshot_lock_and_rollback(sim):
    sim.wait(sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=250))
    refused = sim.wait(sim.write("POST", "/nodes/pve1/qemu/9000/snapshot", snapname="tpl"))
    assert refused["exitstatus"] == "you can't take a snapshot if it's a template"
    sim.fault(kind="task_duration", type="qmsnapshot", seconds=50)
    upid = sim.write("POST", "/nodes/pve1/qemu/250/snapshot", snapname="before", description="pre-change")
    resp = sim.call("PUT", "/nodes/pve1/qemu/250/config", data={"cores": 8})
    assert resp.status_code == 500 and resp.reason == "VM is locked (snapshot)"
    assert sim.wait(upid)["exitstatus"] == "OK"
    sim.write("PUT", "/nodes/pve1/qemu/250/config", cores=8)
    names = [s["name"] for s in sim.get("/nodes/pve1/qemu/250/snapshot")]
    assert names == ["before", "current"]
    assert sim.wait(sim.write("POST", "/nodes/pve1/qemu/250/snapshot/before/rollback"))["exitstatus"] == "OK"
    assert sim.get("/nodes/pve1/qemu/250/config")["cores"] == 2
    assert sim.wait(sim.write("DELETE", "/nodes/pve1/qemu/250/snapshot/before"))["exitstatus"] == "OK"
    status = sim.wait(sim.write("DELETE", "/nodes/pve1/qemu/250/snapshot/before"))
    assert status["exitstatus"] == "snapshot 'before' does not exist"
