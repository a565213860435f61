"""What a new guest looks like while it is made, and the lag of /cluster/resources behind pvestatd's broadcast.

qemu-server API2/Qemu.pm clone_vm writes a temporary config holding only `lock: clone`, then the whole new config
after each drive (key order), the lock going last; pve-manager API2/Cluster.pm resources takes `lock`/`tags` from the
config but name, status, template and the usage figures from the last status broadcast (API2Tools.pm
extract_vm_stats, pvestatd every 10 s): a guest not broadcast yet is `status: unknown` without a name.
"""
import time

import pytest
from simsupport import Sim

SLOW = 5        # speed for the stage test: the temporary config lasts ~0.1 s real, long enough to be read


@pytest.fixture(scope="module", params=["7.4", "9.1"])
def slow_sim(request, sim_logs):
    sim = Sim(request.param, sim_logs, speed=SLOW)
    yield sim
    sim.stop()


@pytest.fixture(scope="module", params=["7.4", "9.1"])
def live_sim(request, sim_logs):
    sim = Sim(request.param, sim_logs, extra=["--broadcast-interval", "0"])
    yield sim
    sim.stop()


@pytest.fixture(scope="module", params=["7.4", "9.1"])
def lag_sim(request, sim_logs):
    """A broadcast every 600 simulated seconds (12 s real at the tests' speed): no broadcast falls between a change
    and the read that shows its lag, however slow the machine; the tests broadcast by hand (POST /_sim/broadcast)."""
    sim = Sim(request.param, sim_logs, extra=["--broadcast-interval", "600"])
    yield sim
    sim.stop()


@pytest.fixture
def lagging(lag_sim):
    lag_sim.reset()                     # a reset broadcasts and schedules the next one 600 s later
    return lag_sim


def entry(sim, vmid, kind="vm"):
    params = {"type": kind} if kind else {}
    return next((r for r in sim.get("/cluster/resources", **params) if r.get("vmid") == vmid), None)


def broadcast(sim):
    sim.control("POST", "/broadcast")


def poll(check, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def named_config(sim, vmid):
    """The guest's config once it has a name (the clone's first full write), else None."""
    config = sim.get("/nodes/pve1/qemu/%d/config" % vmid)
    return config if "name" in config else None


def test_clone_config_stages(slow_sim):
    sim = slow_sim
    sim.reset()
    sim.fault(kind="task_duration", type="qmclone", seconds=10)
    upid = sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=130, name="stage1", full=1)
    first = sim.get("/nodes/pve1/qemu/130/config")
    assert set(first) == {"lock", "digest"} and first["lock"] == "clone"          # the temporary file
    assert sim.get("/nodes/pve1/qemu/130/status/current")["name"] == "VM 130"
    listed = entry(sim, 130)
    assert listed["status"] == "unknown" and "name" not in listed and listed["lock"] == "clone"
    # ide2 (the cloud-init drive) comes before scsi0: the whole config but scsi0, still locked
    second = poll(lambda: named_config(sim, 130))
    assert second["name"] == "stage1" and second["lock"] == "clone"
    assert "ide2" in second and "scsi0" not in second and second["net0"] and second["cores"] == 2
    assert sim.wait(upid, timeout=60)["exitstatus"] == "OK"
    final = sim.get("/nodes/pve1/qemu/130/config")
    assert "lock" not in final and final["scsi0"].startswith("local-lvm:vm-130-disk-0")
    assert final["ide2"].startswith("local-lvm:vm-130-cloudinit")


def test_failed_clone_never_gets_past_its_drive(sim):
    sim.fault(kind="task_fail", type="qmclone")
    upid = sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=131, name="doomed", full=1)
    assert sim.wait(upid)["exitstatus"] != "OK"
    assert sim.guest(131) is None
    assert sim.call("GET", "/nodes/pve1/qemu/131/config").status_code == 500


def test_new_guest_unknown_until_broadcast(lagging):
    upid = lagging.write("POST", "/nodes/pve1/qemu/9000/clone", newid=140, name="lagging1", full=0)
    lagging.wait(upid)
    assert lagging.get("/nodes/pve1/qemu/140/config")["name"] == "lagging1"
    listed = entry(lagging, 140)
    assert listed == {"id": "qemu/140", "type": "qemu", "vmid": 140, "node": "pve1", "status": "unknown"}
    assert entry(lagging, 140, kind=None) == listed              # no type: the same entry
    broadcast(lagging)
    listed = entry(lagging, 140)
    assert listed["name"] == "lagging1" and listed["status"] == "stopped" and listed["template"] == 0
    assert listed["maxdisk"] > 0 and listed["uptime"] == 0 and "lock" not in listed
    assert ("memhost" in listed) == (lagging.release == "9.1")    # pve-vm-9.0 stats from 9.0 on


def test_status_lags_lock_and_tags_do_not(lagging):
    lagging.wait(lagging.write("POST", "/nodes/pve1/qemu/9000/clone", newid=141, name="lag1", full=0))
    broadcast(lagging)
    lagging.write("PUT", "/nodes/pve1/qemu/141/config", tags="web")
    assert entry(lagging, 141)["tags"] == "web"                  # read from the config: current
    lagging.wait(lagging.write("POST", "/nodes/pve1/qemu/141/status/start"))
    assert lagging.get("/nodes/pve1/qemu/141/status/current")["status"] == "running"
    assert entry(lagging, 141)["status"] == "stopped"            # the broadcast has not seen it yet
    broadcast(lagging)
    listed = entry(lagging, 141)
    assert listed["status"] == "running" and listed["uptime"] >= 0 and listed["cpu"] > 0
    lagging.wait(lagging.write("POST", "/nodes/pve1/qemu/141/status/stop"))
    assert entry(lagging, 141)["status"] == "running"
    broadcast(lagging)
    assert entry(lagging, 141)["status"] == "stopped"


def test_template_and_maxdisk_lag_until_broadcast(lagging):
    """`template` and `maxdisk` are broadcast figures too: a resize and a convert to template show after the next
    broadcast only (pvestatd update_qemu_status -> API2Tools.pm extract_vm_stats). `maxdisk` is the boot disk's size
    (qemu-server vmstatus, Drive.pm bootdisk_size: first non-CD-ROM drive of `boot: order=`), not the sum of disks."""
    path = "/nodes/pve1/qemu/146"
    lagging.wait(lagging.write("POST", "/nodes/pve1/qemu/9000/clone", newid=146, name="lag2", full=1))
    broadcast(lagging)
    before = entry(lagging, 146)
    assert before["template"] == 0 and before["maxdisk"] == 2 * 1024 ** 3       # scsi0 only, not the cloud-init drive
    resized = lagging.call("PUT", path + "/resize", data={"disk": "scsi0", "size": "+1G"})
    assert resized.status_code == 200
    if lagging.release != "7.4":                              # a resize task from 8.0
        assert lagging.wait(resized.json()["data"])["exitstatus"] == "OK"
    lagging.write("PUT", path + "/config", scsi1="local-lvm:5")                   # a second disk: not in maxdisk
    lagging.wait(lagging.write("POST", path + "/template"))
    assert lagging.get(path + "/config")["template"] == 1
    assert lagging.get(path + "/status/current")["maxdisk"] == 3 * 1024 ** 3       # vmstatus itself is live
    stale = entry(lagging, 146)
    assert stale["template"] == 0 and stale["maxdisk"] == before["maxdisk"]
    broadcast(lagging)
    caught_up = entry(lagging, 146)
    assert caught_up["template"] == 1 and caught_up["maxdisk"] == 3 * 1024 ** 3
    lagging.write("PUT", path + "/config", boot="order=scsi1;scsi0")
    assert lagging.get(path + "/status/current")["maxdisk"] == 5 * 1024 ** 3
    assert [g["maxdisk"] for g in lagging.get("/nodes/pve1/qemu") if g["vmid"] == 146] == [5 * 1024 ** 3]


def test_lock_is_current(lagging):
    lagging.wait(lagging.write("POST", "/nodes/pve1/qemu/9000/clone", newid=142, name="lock1", full=0))
    broadcast(lagging)
    lagging.fault(kind="task_duration", type="vzdump", seconds=30)
    upid = lagging.write("POST", "/nodes/pve1/vzdump", vmid="142", storage="local", mode="snapshot")
    assert poll(lambda: entry(lagging, 142).get("lock")) == "backup"     # no broadcast in between
    lagging.wait(upid)
    assert "lock" not in entry(lagging, 142)


def test_broadcast_comes_every_interval(sim):
    """The default interval (10 simulated s, 0.2 s real at the tests' speed: scaled by --speed) - the name shows up
    without any help, well before 10 real seconds."""
    sim.wait(sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=143, name="tick1", full=0))
    assert poll(lambda: entry(sim, 143).get("name"), timeout=5) == "tick1"


def test_broadcast_interval_zero_is_live(live_sim):
    live_sim.reset()
    upid = live_sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=144, name="live1", full=0)
    live_sim.wait(upid)
    listed = entry(live_sim, 144)
    assert listed["name"] == "live1" and listed["status"] == "stopped"


def test_clone_to_another_node_stays_on_the_source_node_until_done(sim):
    """The temporary config is written on the node the clone runs on and rename()d to the target at the end."""
    sim.fault(kind="task_duration", type="qmclone", seconds=30)
    # 9003 (debian-12-ceph) keeps its volumes on the shared ceph-vm, so it may be cloned to another node
    upid = sim.write("POST", "/nodes/pve2/qemu/9003/clone", newid=145, name="away1", full=1, target="pve1")
    assert sim.get("/nodes/pve2/qemu/145/config")["lock"] == "clone"
    assert sim.call("GET", "/nodes/pve1/qemu/145/config").status_code == 500
    assert entry(sim, 145)["node"] == "pve2"
    sim.wait(upid, timeout=60)
    assert sim.get("/nodes/pve1/qemu/145/config")["name"] == "away1"
    assert entry(sim, 145)["node"] == "pve1"                    # the vmlist is current
