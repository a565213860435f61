"""vzdump and restore as real PVE runs them: "OK" for other nodes' guests, one job per node, per-guest backup lock,
first-line notes in listings, and a forced restore that replaces the old guest before it extracts (issue 11)."""
import time
from urllib.parse import quote

from simsupport import pve_message


def _backup(sim, vmid, **extra):
    params = dict(vmid=str(vmid), storage="local", compress="zstd")
    params.update(extra)
    upid = sim.write("POST", "/nodes/pve1/vzdump", **params)
    assert sim.wait(upid)["exitstatus"] == "OK", sim.task_log(upid)
    return upid


def _archive(sim, vmid):
    found = sim.get("/nodes/pve1/storage/local/content", content="backup", vmid=vmid)
    return sorted(found, key=lambda a: a["ctime"])[-1]["volid"]


def _until(predicate, timeout=20):
    """Poll the simulator's state until predicate(state) holds; returns that state."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = predicate.sim.state()
        if predicate(state):
            return state
        time.sleep(0.01)
    raise AssertionError("condition never held")


def _guest(state, vmid):
    return next((g for g in state["guests"] if g["vmid"] == vmid), None)


def _watch(sim, check):
    check.sim = sim
    return check


def _volids(sim):
    return {v["volid"] for v in sim.state()["volumes"]}


# -- vzdump --------------------------------------------------------------------------------------------------------
def test_vzdump_of_other_nodes_guests_answers_ok(fresh):
    since = fresh.requests()["next"]
    assert fresh.write("POST", "/nodes/pve1/vzdump", vmid="9002", storage="local") == "OK"
    assert not [t for t in fresh.state()["tasks"] if t["type"] == "vzdump"]
    assert [r["status"] for r in fresh.requests(since)["requests"] if r["path"].endswith("/vzdump")] == [200]
    upid = fresh.write("POST", "/nodes/pve1/vzdump", vmid="9000,9002", storage="local")
    assert fresh.wait(upid)["exitstatus"] == "OK"
    assert "INFO: skip external VMs: 9002" in fresh.task_log(upid)


def test_vzdump_of_unknown_vmid_fails_inside_the_task(fresh):
    upid = fresh.write("POST", "/nodes/pve1/vzdump", vmid="4242", storage="local")
    assert upid.startswith("UPID:pve1:") and ":vzdump:4242:" in upid
    assert fresh.wait(upid)["exitstatus"] == "job errors"
    assert "ERROR: Backup of VM 4242 failed - unable to find VM '4242'" in fresh.task_log(upid)


def test_second_vzdump_on_a_node_waits_for_the_first(sim):
    sim.fault(kind="task_duration", type="vzdump", seconds=100)
    first = sim.write("POST", "/nodes/pve1/vzdump", vmid="9000", storage="local", compress="zstd")
    second = sim.write("POST", "/nodes/pve1/vzdump", vmid="9001", storage="local", compress="zstd")
    log = sim.task_log(second)
    assert log[0] == "INFO: trying to get global lock - waiting..."
    state = sim.state()
    if _guest(state, 9000)["lock"] == "backup":      # the first job is still on its guest
        assert _guest(state, 9001)["lock"] is None
        assert not [a for a in state["archives"] if a["vmid"] == 9001]
    assert sim.wait(first)["exitstatus"] == "OK"
    assert sim.wait(second)["exitstatus"] == "OK"
    log = sim.task_log(second)
    assert log.index("INFO: got global lock") < log.index(next(l for l in log if l.startswith("INFO: starting new")))
    assert "INFO: Finished Backup of VM 9001 (00:00:05)" in log
    assert [a["vmid"] for a in sorted(sim.state()["archives"], key=lambda a: a["ctime"])] == [9000, 9001]
    # another node's vzdump lock is its own: pve2 never waits for pve1
    sim.fault(kind="task_duration", type="vzdump", seconds=100)
    busy = sim.write("POST", "/nodes/pve1/vzdump", vmid="9000", storage="local")
    other = sim.write("POST", "/nodes/pve2/vzdump", vmid="9002", storage="local")
    assert "INFO: trying to get global lock - waiting..." not in sim.task_log(other)
    sim.wait(busy)
    sim.wait(other)


def test_waiting_vzdump_gives_up_after_lockwait(sim):
    sim.fault(kind="task_duration", type="vzdump", seconds=400)
    first = sim.write("POST", "/nodes/pve1/vzdump", vmid="9000", storage="local")
    second = sim.write("POST", "/nodes/pve1/vzdump", vmid="9001", storage="local", lockwait=1)
    status = sim.wait(second)
    assert status["exitstatus"] == "unexpected status"
    assert sim.task_log(second)[-2] == "ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout"
    sim.write("DELETE", "/nodes/pve1/tasks/%s" % first)
    assert sim.wait(first)["exitstatus"] != "OK"
    assert sim.guest(9000)["lock"] is None


def test_backup_lock_is_set_as_the_job_reaches_each_guest(sim):
    sim.fault(kind="task_duration", type="vzdump", seconds=100)
    upid = sim.write("POST", "/nodes/pve1/vzdump", vmid="9000,9001", storage="local", compress="zstd")
    state = _until(_watch(sim, lambda s: _guest(s, 9000)["lock"] == "backup" or _guest(s, 9001)["lock"]))
    assert _guest(state, 9000)["lock"] == "backup" and _guest(state, 9001)["lock"] is None
    state = _until(_watch(sim, lambda s: _guest(s, 9001)["lock"] == "backup"))
    assert _guest(state, 9000)["lock"] is None
    assert [a["vmid"] for a in state["archives"]] == [9000]
    assert sim.wait(upid)["exitstatus"] == "OK"
    assert sim.guest(9001)["lock"] is None and len(sim.state()["archives"]) == 2


def test_content_list_shows_the_first_line_of_notes(fresh):
    _backup(fresh, 9000, **{"notes-template": "{{guestname}}\\nsecond line"})
    volid = _archive(fresh, 9000)
    assert fresh.get("/nodes/pve1/storage/local/content", content="backup")[0]["notes"] == "debian-12"
    full = fresh.get("/nodes/pve1/storage/local/content/" + quote(volid, safe=""))
    assert full["notes"] == "debian-12\nsecond line"


# -- restore -------------------------------------------------------------------------------------------------------
def test_create_and_restore_onto_a_taken_vmid_name_its_node(fresh):
    resp = fresh.call("POST", "/nodes/pve1/qemu", data={"vmid": 9002, "name": "x", "memory": "512"})
    assert resp.status_code == 500
    assert pve_message(resp) == "unable to create VM 9002 - VM 9002 already exists on node 'pve2'\n"
    _backup(fresh, 9001)
    volid = _archive(fresh, 9001)
    resp = fresh.call("POST", "/nodes/pve1/qemu", data={"vmid": 9000, "archive": volid})
    assert pve_message(resp) == "unable to restore VM 9000 - VM 9000 already exists on node 'pve1'\n"
    fresh.fault(kind="task_duration", type="vzdump", seconds=100)
    busy = fresh.write("POST", "/nodes/pve1/vzdump", vmid="9000", storage="local")
    _until(_watch(fresh, lambda s: _guest(s, 9000)["lock"] == "backup"))
    resp = fresh.call("POST", "/nodes/pve1/qemu", data={"vmid": 9000, "archive": volid, "force": 1})
    assert pve_message(resp) == "unable to restore VM 9000 - VM is locked (backup)\n"
    fresh.write("DELETE", "/nodes/pve1/tasks/%s" % busy)


def test_create_config_is_only_the_lock_until_its_worker_is_done(fresh):
    fresh.fault(kind="task_duration", type="qmcreate", seconds=60)
    upid = fresh.write("POST", "/nodes/pve1/qemu", vmid=700, name="made", memory="512")
    config = fresh.get("/nodes/pve1/qemu/700/config")
    assert {k: v for k, v in config.items() if k != "digest"} == {"lock": "create"}
    assert fresh.wait(upid)["exitstatus"] == "OK"
    config = fresh.get("/nodes/pve1/qemu/700/config")
    assert config["name"] == "made" and "lock" not in config


def test_failed_forced_restore_leaves_a_stub_and_frees_the_old_disks(fresh):
    _backup(fresh, 9001)
    volid = _archive(fresh, 9001)
    assert {"local-lvm:base-9000-disk-0", "local-lvm:vm-9000-cloudinit"} <= _volids(fresh)
    fresh.fault(kind="task_fail", type="qmrestore", message="command 'vma extract' failed: exit code 133")
    upid = fresh.write("POST", "/nodes/pve1/qemu", vmid=9000, archive=volid, force=1)
    status = fresh.wait(upid)
    assert status["exitstatus"] == "command 'vma extract' failed: exit code 133"
    log = fresh.task_log(upid)
    assert "no lock found trying to remove 'create'  lock" in log
    assert log[-2] == ("error before or during data restore, some or all disks were not completely restored. "
                       "VM 9000 state is NOT cleaned up.")
    assert any(line.startswith("temporary volume 'local-lvm:vm-9000-disk-") for line in log)
    guest = fresh.guest(9000)
    assert guest["config"] == {"memory": 128 if fresh.release == "7.4" else "128"} and guest["lock"] is None
    assert not [v for v in _volids(fresh) if ":vm-9000-" in v or ":base-9000-" in v]


def test_forced_restore_writes_the_stub_and_frees_the_old_disks_before_extracting(fresh):
    """While the qmrestore task still extracts, the old guest is already the stub and its old disks are gone
    (restore_vma_archive: restore_cleanup_oldconf / restore_destroy_volumes right after the header is read)."""
    _backup(fresh, 9001)
    volid = _archive(fresh, 9001)
    fresh.fault(kind="task_duration", type="qmrestore", seconds=200)
    upid = fresh.write("POST", "/nodes/pve1/qemu", vmid=9000, archive=volid, force=1)
    stub = {"memory": 128 if fresh.release == "7.4" else "128"}
    state = _until(_watch(fresh, lambda s: _guest(s, 9000)["config"] == stub))
    assert [t["status"] for t in state["tasks"] if t["upid"] == upid] == ["running"]
    volumes = {v["volid"] for v in state["volumes"]}
    assert "local-lvm:base-9000-disk-0" not in volumes            # the old disk is freed ...
    assert "local-lvm:vm-9000-disk-0" in volumes                  # ... and the archive's allocated, extraction to come
    assert fresh.wait(upid, timeout=60)["exitstatus"] == "OK"
    assert fresh.guest(9000)["config"]["name"] == "ubuntu-24.04"


def test_failed_restore_to_a_new_vmid_keeps_an_empty_config(fresh):
    _backup(fresh, 9001)
    fresh.fault(kind="task_fail", type="qmrestore")
    upid = fresh.write("POST", "/nodes/pve1/qemu", vmid=500, archive=_archive(fresh, 9001))
    assert fresh.wait(upid)["exitstatus"] == "qmrestore failed: simulated failure"
    assert "no lock found trying to remove 'create'  lock" not in fresh.task_log(upid)
    assert fresh.guest(500)["config"] == {}
    assert not [v for v in _volids(fresh) if ":vm-500-" in v]
    resp = fresh.call("POST", "/nodes/pve1/qemu", data={"vmid": 500, "name": "again", "memory": "512"})
    assert pve_message(resp) == "unable to create VM 500 - VM 500 already exists on node 'pve1'\n"


def test_restore_onto_full_storage_fails_after_the_stub(sim7):
    _backup(sim7, 9001)
    sim7.fault(kind="storage_full", node="pve1", storage="local-lvm")
    upid = sim7.write("POST", "/nodes/pve1/qemu", vmid=9000, archive=_archive(sim7, 9001), force=1)
    status = sim7.wait(upid)
    assert "no space left on storage 'local-lvm'" in status["exitstatus"]
    assert sim7.guest(9000)["config"] == {"memory": 128}
    assert "local-lvm:base-9000-disk-0" not in _volids(sim7)


def test_running_guest_is_refused_inside_the_restore_task(fresh):
    _backup(fresh, 9001)
    volid = _archive(fresh, 9001)
    assert fresh.wait(fresh.write("POST", "/nodes/pve1/qemu", vmid=600, archive=volid, start=1))["exitstatus"] == "OK"
    assert fresh.guest(600)["status"] == "running"
    upid = fresh.write("POST", "/nodes/pve1/qemu", vmid=600, archive=volid, force=1)
    assert fresh.wait(upid)["exitstatus"] == "unable to restore VM 600 - vm is running"
    guest = fresh.guest(600)
    assert guest["lock"] is None and guest["config"]["name"] == "ubuntu-24.04"
    assert [v for v in _volids(fresh) if v.startswith("local-lvm:vm-600-disk-")]


def test_restore_regenerates_vmgenid_always_and_smbios_with_unique(fresh):
    _backup(fresh, 9001)
    volid = _archive(fresh, 9001)
    source = fresh.guest(9001)["config"]
    fresh.wait(fresh.write("POST", "/nodes/pve1/qemu", vmid=601, archive=volid))
    fresh.wait(fresh.write("POST", "/nodes/pve1/qemu", vmid=602, archive=volid, unique=1))
    plain, unique = fresh.guest(601)["config"], fresh.guest(602)["config"]
    assert plain["vmgenid"] != source["vmgenid"] and unique["vmgenid"] != source["vmgenid"]
    assert plain["smbios1"] == source["smbios1"] and plain["net0"] == source["net0"]
    assert unique["smbios1"] != source["smbios1"] and unique["smbios1"].startswith("uuid=")
    assert unique["net0"] != source["net0"]


def test_protected_guest_is_refused_inside_the_restore_task(fresh):
    _backup(fresh, 9001)
    volid = _archive(fresh, 9001)
    fresh.wait(fresh.write("POST", "/nodes/pve1/qemu", vmid=603, archive=volid))
    fresh.write("PUT", "/nodes/pve1/qemu/603/config", protection=1)
    upid = fresh.write("POST", "/nodes/pve1/qemu", vmid=603, archive=volid, force=1)
    assert fresh.wait(upid)["exitstatus"] == "unable to restore VM 603 - - protection mode enabled"
    guest = fresh.guest(603)
    assert guest["lock"] is None and guest["config"]["name"] == "ubuntu-24.04"


def test_archive_delete_is_an_imgdel_task_named_vmid_at_storage(fresh):
    """DELETE .../content/{volid} of a backup runs an `imgdel` worker whose id is `<vmid>@<storage>` (pve-storage
    API2/Storage/Content.pm delete); it is in the node's task list, where a lost answer is looked up, and the
    archive is gone when it ends OK."""
    made = _backup(fresh, 9000)
    volid = _archive(fresh, 9000)
    # vzdump names the archive it writes in its log (pve-manager PVE/VZDump.pm exec_backup_task)
    assert "INFO: creating vzdump archive '/var/lib/vz/dump/%s'" % volid.split("/", 1)[1] in fresh.task_log(made)
    upid = fresh.write("DELETE", "/nodes/pve1/storage/local/content/%s" % quote(volid, safe=""))
    assert ":imgdel:9000@local:" in upid
    listed = fresh.get("/nodes/pve1/tasks", source="all", typefilter="imgdel")
    assert upid in [t["upid"] for t in listed]
    assert fresh.wait(upid)["exitstatus"] == "OK"
    assert volid not in [a["volid"] for a in fresh.get("/nodes/pve1/storage/local/content", content="backup")]
