"""Clone placement as real PVE has it: shared storage, `target`, the clone worker's config locks, node networks.

qemu-server API2/Qemu.pm clone_vm, PVE/QemuConfig (lock_config_shared / lock_config_full), pve-storage Storage.pm
(storage_config shared, storage_check_enabled), pve-manager API2/Network.pm, pve-common PVE::Network.
"""


def _post(sim, path, **data):
    return sim.call("POST", path, data=data)


def test_shared_storage_is_one_pool_seen_by_every_node(fresh):
    index = {s["storage"]: s for s in fresh.get("/storage")}
    assert index["ceph-vm"]["type"] == "rbd" and index["ceph-vm"]["shared"] == 1
    assert "shared" not in index["local-lvm"]
    views = {n: {s["storage"]: s for s in fresh.get("/nodes/%s/storage" % n)} for n in ("pve1", "pve2")}
    assert views["pve1"]["ceph-vm"]["shared"] == views["pve2"]["ceph-vm"]["shared"] == 1
    assert views["pve1"]["local-lvm"]["shared"] == 0
    resources = [r for r in fresh.get("/cluster/resources", type="storage") if r["storage"] == "ceph-vm"]
    assert sorted(r["node"] for r in resources) == ["pve1", "pve2"] and {r["shared"] for r in resources} == {1}
    before = views["pve1"]["ceph-vm"]["used"]
    assert before == views["pve2"]["ceph-vm"]["used"]
    vols = [v["volid"] for v in fresh.get("/nodes/pve1/storage/ceph-vm/content")]
    assert "ceph-vm:base-9003-disk-0" in vols            # the template's disk, its config lives on pve2
    assert fresh.wait(fresh.write("POST", "/nodes/pve2/qemu/9003/clone", newid=140, target="pve1", full=1))[
        "exitstatus"] == "OK"
    for node in ("pve1", "pve2"):
        status = fresh.get("/nodes/%s/storage/ceph-vm/status" % node)
        assert status["used"] == before + 2 * 1024 ** 3 + 4 * 1024 ** 2 and status["shared"] == 1
    assert "ceph-vm:vm-140-disk-0" in [v["volid"] for v in fresh.get("/nodes/pve2/storage/ceph-vm/content")]


def test_linked_clone_of_shared_template_to_any_node(fresh):
    upid = fresh.write("POST", "/nodes/pve2/qemu/9003/clone", newid=141, name="web1", target="pve1")
    assert fresh.wait(upid)["exitstatus"] == "OK"
    config = fresh.get("/nodes/pve1/qemu/141/config")
    assert config["scsi0"].startswith("ceph-vm:base-9003-disk-0/vm-141-disk-0,")
    assert config["ide2"].startswith("ceph-vm:vm-141-cloudinit,")


def test_any_local_volume_keeps_the_clone_on_its_node(fresh):
    """An ISO on local storage (a cdrom) is enough: 'can't clone VM to node' (check_storage_access_clone)."""
    fresh.write("PUT", "/nodes/pve2/qemu/9003/config", ide0="local:iso/debian-12.iso,media=cdrom")
    for full in (0, 1):
        resp = _post(fresh, "/nodes/pve2/qemu/9003/clone", newid=142, target="pve1", full=full)
        assert resp.status_code == 500 and resp.reason == "can't clone VM to node 'pve1' (VM uses local storage)"
    assert fresh.wait(fresh.write("POST", "/nodes/pve2/qemu/9003/clone", newid=142))["exitstatus"] == "OK"
    resp = _post(fresh, "/nodes/pve1/qemu/9000/clone", newid=143, target="pve9")
    assert resp.status_code == 500 and resp.reason == "no such cluster node 'pve9'"


def test_linked_clone_of_a_plain_vm_refused(fresh):
    fresh.wait(fresh.write("POST", "/nodes/pve1/qemu/9000/clone", newid=144, full=1))
    resp = _post(fresh, "/nodes/pve1/qemu/144/clone", newid=145, full=0)
    assert resp.status_code == 500
    assert resp.reason == "Linked clone feature is not supported for 'local-lvm:vm-144-disk-0' (scsi0)"
    resp = _post(fresh, "/nodes/pve1/qemu/9000/clone", newid=145, full=0, storage="local-lvm")
    assert resp.status_code == 500 and resp.reason == "parameter 'storage' not allowed for linked clones"


def test_newid_on_another_node_fails_the_task(fresh):
    """The synchronous check looks at the local node's config only; pmxcfs refuses the temporary config."""
    since = fresh.requests()["next"]
    upid = fresh.write("POST", "/nodes/pve1/qemu/9000/clone", newid=9002, full=1)
    status = fresh.wait(upid)
    assert status["exitstatus"] == ("close (rename) atomic file '/etc/pve/nodes/pve1/qemu-server/9002.conf' "
                                    "failed: File exists")
    assert fresh.task_log(upid)[0] == "creating a clone of VM 9000 with ID 9002"
    assert fresh.guest(9002)["node"] == "pve2" and fresh.guest(9002)["template"]
    assert [r["status"] for r in fresh.requests(since)["requests"] if r["method"] == "POST"] == [200]
    resp = _post(fresh, "/nodes/pve1/qemu/9000/clone", newid=9001)          # on the local node: at once
    assert resp.status_code == 500 and resp.reason == "unable to create VM 9001: config file already exists"


def test_clone_worker_waits_one_second_for_locks(fresh):
    fresh.fault(kind="hold_lock", vmid=146, seconds=30)            # the new vmid's lock, held elsewhere
    upid = fresh.write("POST", "/nodes/pve1/qemu/9000/clone", newid=146, full=1)
    assert fresh.wait(upid)["exitstatus"] == "can't lock file '/var/lock/qemu-server/lock-146.conf' - got timeout"
    assert fresh.guest(146) is None
    fresh.control("DELETE", "/fault")
    fresh.fault(kind="hold_lock", vmid=9000, seconds=0.5)           # freed within the worker's 1 s wait
    assert fresh.wait(fresh.write("POST", "/nodes/pve1/qemu/9000/clone", newid=146, full=1))["exitstatus"] == "OK"


def test_running_source_is_locked_exclusively(sim):
    sim.wait(sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=147, full=1))
    sim.wait(sim.write("POST", "/nodes/pve1/qemu/147/status/start"))
    sim.fault(kind="task_duration", type="qmclone", seconds=200)
    first = sim.write("POST", "/nodes/pve1/qemu/147/clone", newid=148)
    second = sim.write("POST", "/nodes/pve1/qemu/147/clone", newid=149)
    assert sim.wait(second)["exitstatus"] == "can't lock file '/var/lock/qemu-server/lock-147.conf' - got timeout"
    sim.call("DELETE", "/nodes/pve1/tasks/" + first)
    sim.wait(first)
    assert sim.guest(148) is None and sim.guest(149) is None


def test_clone_share_lock_makes_template_edits_wait(sim):
    sim.fault(kind="task_duration", type="qmclone", seconds=200, count=2)
    upid = sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=150)
    second = sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=151)    # shared with the first: runs
    resp = sim.call("PUT", "/nodes/pve1/qemu/9000/config", data={"description": "x"})
    assert resp.status_code == 500 and resp.reason == "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout"
    for task in (upid, second):
        assert sim.get("/nodes/pve1/tasks/%s/status" % task)["status"] == "running"
        sim.call("DELETE", "/nodes/pve1/tasks/" + task)
        sim.wait(task)
    assert sim.call("PUT", "/nodes/pve1/qemu/9000/config", data={"description": "x"}).status_code == 200


def test_node_network(fresh):
    for node, address in (("pve1", "192.168.100.11"), ("pve2", "192.168.100.12")):
        ifaces = {i["iface"]: i for i in fresh.get("/nodes/%s/network" % node)}
        assert set(ifaces) == {"eno1", "eno2", "vmbr0", "vmbr1"}
        assert ifaces["vmbr0"]["type"] == "bridge" and ifaces["vmbr0"]["cidr"] == address + "/24"
        assert ifaces["vmbr1"]["bridge_vlan_aware"] == 1 and ifaces["vmbr1"]["bridge_ports"] == "eno2"
        assert [i["iface"] for i in fresh.get("/nodes/%s/network" % node, type="any_bridge")] == ["vmbr0", "vmbr1"]
        assert [i["iface"] for i in fresh.get("/nodes/%s/network" % node, type="eth")] == ["eno1", "eno2"]
    resp = fresh.call("GET", "/nodes/pve1/network", params={"type": "include_sdn"})
    assert resp.status_code == (400 if fresh.release == "7.4" else 200)
    resp = fresh.call("GET", "/nodes/pve1/network", params={"type": "any_local_bridge"})
    assert resp.status_code == (400 if fresh.release == "7.4" else 200)


def test_missing_bridge_accepted_in_config_fails_start(fresh):
    """No bridge check on config or clone (root@pam); pve-bridge dies when QEMU starts, the start task fails."""
    fresh.wait(fresh.write("POST", "/nodes/pve1/qemu/9000/clone", newid=152, full=1))
    fresh.write("PUT", "/nodes/pve1/qemu/152/config", net0="virtio=BC:24:11:00:00:01,bridge=vmbr1,tag=20")
    assert fresh.wait(fresh.write("POST", "/nodes/pve1/qemu/152/status/start"))["exitstatus"] == "OK"
    fresh.wait(fresh.write("POST", "/nodes/pve1/qemu/152/status/stop"))
    fresh.write("PUT", "/nodes/pve1/qemu/152/config", net1="virtio=BC:24:11:00:00:02,bridge=vmbr9")
    upid = fresh.write("POST", "/nodes/pve1/qemu/152/status/start")
    assert fresh.wait(upid)["exitstatus"] == "start failed: QEMU exited with code 1"
    log = fresh.task_log(upid)
    assert "bridge 'vmbr9' does not exist" in log
    assert any("network script /var/lib/qemu-server/pve-bridge failed with status 512" in line for line in log)
    assert fresh.get("/nodes/pve1/qemu/152/status/current")["status"] == "stopped"
