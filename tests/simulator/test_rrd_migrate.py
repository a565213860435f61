"""RRD series and migration as real PVE has them.

pve-cluster src/pmxcfs/status.c (rrd_def_vm "pve2.3-vm" up to 8.x, rrd_def_vm_pve9_0 in 9.x), PVE/RRD.pm
create_rrd_data ($setup per layout); qemu-server API2/Qemu.pm rrddata, migrate_vm_precondition, migrate_vm;
QemuMigrate.pm prepare/phase1 (lock migrate, local disks, with-local-disks).
"""
from simsupport import pve_message

LAYOUT = {"7.4": {"hour": (60, 70), "day": (1800, 70), "week": (10800, 70), "month": (43200, 70),
                  "year": (604800, 70)},
          "9.1": {"hour": (60, 60), "day": (60, 1440), "week": (1800, 336), "month": (1800, 1440),
                  "year": (21600, 1440)}}
PVE9_ONLY = {"memhost", "pressurecpusome", "pressurecpufull", "pressureiosome", "pressureiofull",
             "pressurememorysome", "pressurememoryfull"}


def _server(sim, newid, start=False):
    assert sim.wait(sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=newid, name="s%d" % newid,
                              full=1))["exitstatus"] == "OK"
    if start:
        assert sim.wait(sim.write("POST", "/nodes/pve1/qemu/%d/status/start" % newid))["exitstatus"] == "OK"


def test_rrd_layout_and_synthetic_traffic(fresh):
    _server(fresh, 150, start=True)
    _server(fresh, 151)
    k = 150 % 50 + 1
    for timeframe, (reso, count) in LAYOUT[fresh.release].items():
        rows = fresh.get("/nodes/pve1/qemu/150/rrddata", timeframe=timeframe)
        assert len(rows) == count, timeframe
        times = [r["time"] for r in rows]
        assert all(t % reso == 0 for t in times) and all(b - a == reso for a, b in zip(times, times[1:]))
        fields = set(rows[-1]) - {"time"}
        assert {"netin", "netout", "diskread", "diskwrite", "cpu", "maxcpu", "mem", "maxmem", "disk",
                "maxdisk"} <= fields
        assert (fields & PVE9_ONLY == PVE9_ONLY) == (fresh.release == "9.1")
        last = rows[-1]
        weight = 1 + (last["time"] // 60) % 5 if reso == 60 else 3
        assert last["netin"] == 1000 * k * weight and last["netout"] == 2000 * k * weight
        assert last["diskread"] == 500 * k * weight and last["diskwrite"] == 3000 * k * weight
    peak = fresh.get("/nodes/pve1/qemu/150/rrddata", timeframe="week", cf="MAX")[-1]
    assert peak["netin"] == 5000 * k
    idle = fresh.get("/nodes/pve1/qemu/151/rrddata", timeframe="hour")
    assert {r["netin"] for r in idle} == {0} and {r["cpu"] for r in idle} == {0}
    resp = fresh.call("GET", "/nodes/pve1/qemu/4242/rrddata", params={"timeframe": "hour"})
    assert resp.status_code == 500 and "RRD error" in pve_message(resp)
    resp = fresh.call("GET", "/nodes/pve1/qemu/150/rrddata", params={"timeframe": "decade"})
    assert resp.status_code == 400


def test_migrate_precondition_and_offline_move(fresh):
    _server(fresh, 152)
    pre = fresh.get("/nodes/pve1/qemu/152/migrate", target="pve2")
    assert pre["running"] == 0 and pre["allowed_nodes"] == ["pve2"] and pre["local_resources"] == []
    volids = sorted(d["volid"] for d in pre["local_disks"])
    assert volids == ["local-lvm:vm-152-cloudinit", "local-lvm:vm-152-disk-0"]
    fresh.fault(kind="storage_unavailable", node="pve2", storage="local-lvm")
    pre = fresh.get("/nodes/pve1/qemu/152/migrate")
    assert pre["allowed_nodes"] == [] and pre["not_allowed_nodes"]["pve2"]["unavailable_storages"] == ["local-lvm"]
    resp = fresh.call("POST", "/nodes/pve1/qemu/152/migrate", data={"target": "pve2"})
    assert resp.status_code == 500 and "storage 'local-lvm' is not available on node 'pve2'" in pve_message(resp)
    fresh.control("DELETE", "/fault")
    resp = fresh.call("POST", "/nodes/pve1/qemu/152/migrate", data={"target": "pve1"})
    assert resp.status_code == 400 and resp.json()["errors"] == {"target": "target is local node."}
    upid = fresh.write("POST", "/nodes/pve1/qemu/152/migrate", target="pve2")
    assert ":qmigrate:152:" in upid
    fresh.wait_lock(152, "migrate")
    assert fresh.wait(upid)["exitstatus"] == "OK"
    guest = fresh.guest(152)
    assert guest["node"] == "pve2" and guest["lock"] is None
    vols = {(v["node"], v["volid"]) for v in fresh.state()["volumes"] if v["vmid"] == 152}
    assert vols == {("pve2", "local-lvm:vm-152-disk-0"), ("pve2", "local-lvm:vm-152-cloudinit")}
    assert fresh.call("GET", "/nodes/pve1/qemu/152/config").status_code == 500


def test_migrate_running_needs_online_and_local_disks(fresh):
    _server(fresh, 153, start=True)
    pre = fresh.get("/nodes/pve1/qemu/153/migrate", target="pve2")
    assert pre["running"] == 1 and ("allowed_nodes" in pre) == (fresh.release == "9.1")
    resp = fresh.call("POST", "/nodes/pve1/qemu/153/migrate", data={"target": "pve2"})
    assert resp.status_code == 500 and "can't migrate running VM without --online" in pve_message(resp)
    upid = fresh.write("POST", "/nodes/pve1/qemu/153/migrate", target="pve2", online=1)
    status = fresh.wait(upid)
    assert status["exitstatus"] == "can't migrate VM - check log"
    assert any("with-local-disks" in line for line in fresh.task_log(upid))
    assert fresh.guest(153)["node"] == "pve1" and fresh.guest(153)["lock"] is None
    upid = fresh.write("POST", "/nodes/pve1/qemu/153/migrate", target="pve2", online=1,
                       **{"with-local-disks": 1, "targetstorage": "ceph-vm"})
    assert fresh.wait(upid)["exitstatus"] == "OK"
    guest = fresh.guest(153)
    assert guest["node"] == "pve2" and guest["status"] == "running"
    assert guest["config"]["scsi0"].startswith("ceph-vm:vm-153-disk-0,")


def test_precondition_fields_within_8x(sim8x):
    """8.0 reports allowed_nodes only for a stopped guest (as 7.4); 8.4 always (qemu-server 8aeaad24); both list
    mapped-resources; the RRD layout is still pve2 (70 rows)."""
    sim8x.reset()
    _server(sim8x, 154, start=True)
    pre = sim8x.get("/nodes/pve1/qemu/154/migrate", target="pve2")
    assert pre["running"] == 1 and pre["mapped-resources"] == []
    assert ("allowed_nodes" in pre) == (sim8x.release == "8.4")
    assert len(sim8x.get("/nodes/pve1/qemu/154/rrddata", timeframe="day")) == 70
