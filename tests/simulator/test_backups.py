"""Archives: listing, notes and protection, deletion, prune dry run and removal, retention, restore rules."""
from urllib.parse import quote


def backup(sim, vmid=9000, **extra):
    params = dict(vmid=str(vmid), storage="local", compress="zstd")
    params.update(extra)
    upid = sim.write("POST", "/nodes/pve1/vzdump", **params)
    assert sim.wait(upid)["exitstatus"] == "OK", sim.task_log(upid)
    return upid


def archives(sim, vmid=9000):
    return sorted(sim.get("/nodes/pve1/storage/local/content", content="backup", vmid=vmid), key=lambda a: a["ctime"])


def content_path(volid):
    return "/nodes/pve1/storage/local/content/" + quote(volid, safe="")


def test_notes_protection_and_delete(sim):
    backup(sim, **{"notes-template": "{{guestname}} on {{node}}", "protected": 1})
    arch = archives(sim)[0]
    assert arch["notes"] == "debian-12 on pve1" and arch["protected"] == 1 and arch["format"] == "vma.zst"
    upid = sim.write("DELETE", content_path(arch["volid"]))
    status = sim.wait(upid)
    assert "protected" in status["exitstatus"] and archives(sim)
    sim.write("PUT", content_path(arch["volid"]), protected=0, notes="old")
    assert archives(sim)[0]["notes"] == "old" and "protected" not in archives(sim)[0]
    assert sim.wait(sim.write("DELETE", content_path(arch["volid"])))["exitstatus"] == "OK"
    assert archives(sim) == []


def test_names_never_collide_and_prune(sim):
    for unused in range(4):
        backup(sim, remove=0)
    names = [a["volid"] for a in archives(sim)]
    assert len(set(names)) == 4
    marks = sim.get("/nodes/pve1/storage/local/prunebackups", **{"prune-backups": "keep-last=2", "vmid": 9000})
    assert [m["mark"] for m in sorted(marks, key=lambda m: -m["ctime"])] == ["keep", "keep", "remove", "remove"]
    sim.write("PUT", content_path(names[0]), protected=1)
    upid = sim.write("DELETE", "/nodes/pve1/storage/local/prunebackups", **{"prune-backups": "keep-last=2", "vmid": 9000})
    sim.wait(upid)
    assert [a["volid"] for a in archives(sim)] == [names[0]] + names[2:]


def test_retention_applied_after_backup(sim):
    for unused in range(3):
        backup(sim, **{"prune-backups": "keep-last=2"})
    assert len(archives(sim)) == 2


def test_restore_rules(sim):
    backup(sim, vmid=9001)
    volid = archives(sim, 9001)[0]["volid"]
    assert "#qmdump#map:scsi0:drive-scsi0:local-lvm:raw:" in sim.get("/nodes/pve1/vzdump/extractconfig", volume=volid)
    resp = sim.call("POST", "/nodes/pve1/qemu", data={"vmid": 9000, "archive": volid})
    assert resp.status_code == 500 and "already exists" in resp.reason
    resp = sim.call("POST", "/nodes/pve1/qemu", data={"vmid": 9002, "archive": volid, "force": 1})
    assert resp.status_code == 500 and "pve2" in resp.reason
    sim.fault(kind="task_duration", type="qmrestore", seconds=50)
    upid = sim.write("POST", "/nodes/pve1/qemu", vmid=9000, archive=volid, force=1, storage="local-lvm")
    # "create" until the worker replaces the old config by the stub "memory: 128" (no lock)
    assert sim.guest(9000)["lock"] in ("create", None)
    assert sim.wait(upid)["exitstatus"] == "OK"
    assert any(line.startswith("progress 50%") for line in sim.task_log(upid))
    assert sim.get("/nodes/pve1/qemu/9000/config")["name"] == "ubuntu-24.04"
    assert not [v for v in sim.state()["volumes"] if v["volid"] == "local-lvm:base-9000-disk-0"]


def test_external_guest_skipped(sim):
    # only guests of other nodes: vzdump answers "OK" and starts no task (pve-manager API2/VZDump.pm)
    assert sim.write("POST", "/nodes/pve1/vzdump", vmid="9002", storage="local") == "OK"
    assert archives(sim, 9002) == []


def test_create_guest(sim):
    upid = sim.write("POST", "/nodes/pve2/qemu", vmid=300, name="blank", memory="1024", scsi0="local-lvm:8",
                     net0="virtio,bridge=vmbr0", ide2="local-lvm:cloudinit")
    assert sim.wait(upid)["exitstatus"] == "OK"
    config = sim.get("/nodes/pve2/qemu/300/config")
    assert config["scsi0"] == "local-lvm:vm-300-disk-0,size=8G" and config["net0"].startswith("virtio=BC:24:11:")
