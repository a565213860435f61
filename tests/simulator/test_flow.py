"""The whole life of a guest over proxmoxer, on 7.4 and 9.1: clone, configure, resize, start, backup, restore, destroy."""
import re
import time

from proxmoxer import ProxmoxAPI
from simsupport import pve_message

UPID_RX = re.compile(r"^UPID:(pve\d):[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:(\w+):(\d*):([^:]+):$")


def api(sim, token=True):
    info = sim.info
    if token:
        return ProxmoxAPI(info["host"], port=info["port"], user="root@pam", token_name="jotun",
                          token_value=info["token_secret"], verify_ssl=info["ca_cert"])
    return ProxmoxAPI(info["host"], port=info["port"], user=info["user"], password=info["password"],
                      verify_ssl=info["ca_cert"])


def wait(prox, upid, timeout=30):
    node = UPID_RX.match(upid).group(1)
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = prox.nodes(node).tasks(upid).status.get()
        if status["status"] == "stopped":
            return status
        time.sleep(0.02)
    raise AssertionError("task did not finish: " + upid)


def test_lifecycle(fresh):
    prox = api(fresh, token=fresh.release == "9.1")
    node = prox.nodes("pve1")
    assert prox.version.get()["release"] == fresh.release
    fresh.fault(kind="task_duration", type="qmclone", seconds=25)     # long enough to see the lock
    upid = node.qemu(9000).clone.post(newid=120, name="web1", full=1)
    m = UPID_RX.match(upid)
    assert m and m.group(2) == "qmclone" and m.group(3) == "9000"
    assert node.qemu(120).config.get()["lock"] == "clone"
    assert wait(prox, upid)["exitstatus"] == "OK"
    log = [line["t"] for line in node.tasks(upid).log.get()]
    assert any("(50.00%)" in line for line in log) and log[-1] == "TASK OK"

    config = node.qemu(120).config.get()
    assert "lock" not in config and config["scsi0"].startswith("local-lvm:vm-120-disk-0")
    template_mac = fresh.guest(9000)["config"]["net0"].split(",")[0]
    assert config["net0"].split(",")[0] != template_mac
    node.qemu(120).config.put(cores=4, ciuser="ops", cipassword="s3cret", ipconfig0="ip=10.0.0.5/24,gw=10.0.0.1",
                              sshkeys="ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAA%20ops%40example", digest=config["digest"])
    config = node.qemu(120).config.get()
    assert config["cores"] == 4 and config["cipassword"] == "**********"

    resized = node.qemu(120).resize.put(disk="scsi0", size="+2G")
    if fresh.release == "7.4":
        assert resized is None
    else:
        assert wait(prox, resized)["exitstatus"] == "OK"
    assert "size=4G" in node.qemu(120).config.get()["scsi0"]

    assert wait(prox, node.qemu(120).status.start.post())["exitstatus"] == "OK"
    assert node.qemu(120).status.current.get()["qmpstatus"] == "running"

    assert wait(prox, node.vzdump.post(vmid="120", storage="local", mode="snapshot", compress="zstd"))["exitstatus"] == "OK"
    archives = node.storage("local").content.get(content="backup", vmid=120)
    assert len(archives) == 1 and re.match(r"^local:backup/vzdump-qemu-120-\d{4}_\d\d_\d\d-\d\d_\d\d_\d\d\.vma\.zst$",
                                           archives[0]["volid"])
    assert "cores: 4" in node.vzdump.extractconfig.get(volume=archives[0]["volid"])

    assert wait(prox, node.qemu.post(vmid=121, archive=archives[0]["volid"], storage="local-lvm", unique=1))["exitstatus"] == "OK"
    restored = node.qemu(121).config.get()
    assert restored["cores"] == 4 and restored["scsi0"].startswith("local-lvm:vm-121-disk-0")

    assert wait(prox, node.qemu(120).status.stop.post())["exitstatus"] == "OK"
    assert wait(prox, node.qemu(120).delete(purge=1))["exitstatus"] == "OK"
    assert fresh.guest(120) is None
    assert not [v for v in fresh.state()["volumes"] if v["vmid"] == 120 and v["content"] == "images"]

    paths = [(r["method"], r["path"]) for r in fresh.requests()["requests"]]
    assert ("POST", "/api2/json/nodes/pve1/qemu/9000/clone") in paths
    assert ("DELETE", "/api2/json/nodes/pve1/qemu/120") in paths


def test_clone_to_other_node_needs_shared_storage(fresh):
    """qemu-server clone_vm: `target` needs every volume of the source on shared storage, full clones too."""
    for data in ({"newid": 130, "target": "pve2"}, {"newid": 130, "target": "pve2", "full": 1},
                 {"newid": 130, "target": "pve2", "full": 1, "storage": "ceph-vm"}):
        resp = fresh.call("POST", "/nodes/pve1/qemu/9000/clone", data=data)
        assert resp.status_code == 500 and resp.reason == "can't clone VM to node 'pve2' (VM uses local storage)"
    resp = fresh.call("POST", "/nodes/pve1/qemu/9000/clone", data={"newid": 130, "target": "pve2", "full": 1,
                                                                   "storage": "local-lvm"})
    assert resp.status_code == 500 and resp.reason == "can't clone to non-shared storage 'local-lvm'"
    upid = fresh.write("POST", "/nodes/pve2/qemu/9003/clone", newid=130, target="pve1", full=1)
    assert upid.startswith("UPID:pve2:")
    assert fresh.wait(upid)["exitstatus"] == "OK"
    assert fresh.guest(130)["node"] == "pve1"
    assert fresh.get("/nodes/pve1/qemu/130/config")["name"] == "Copy-of-VM-debian-12-ceph"


def test_clone_existing_newid_refused(fresh):
    resp = fresh.call("POST", "/nodes/pve1/qemu/9000/clone", data={"newid": 9001})
    assert resp.status_code == 500
    assert pve_message(resp) == "unable to create VM 9001: config file already exists\n"


def test_cluster_views(fresh):
    vms = fresh.get("/cluster/resources", type="vm")
    assert {(v["vmid"], v["node"], v["template"]) for v in vms} == {(9000, "pve1", 1), (9001, "pve1", 1), (9002, "pve2", 1),
                                                                    (9003, "pve2", 1)}
    assert fresh.get("/cluster/nextid") == "100"
    assert [n["node"] for n in fresh.get("/nodes")] == ["pve1", "pve2"]
    assert fresh.get("/nodes/pve2/status")["memory"]["total"] > 0
    assert len([e for e in fresh.get("/cluster/status") if e["type"] == "node"]) == 2
    stores = {s["storage"]: s for s in fresh.get("/nodes/pve1/storage")}
    assert set(stores) == {"local", "local-lvm", "ceph-vm"} and stores["local-lvm"]["avail"] < stores["local-lvm"]["total"]
    resp = fresh.call("GET", "/nodes/pve1/qemu/123/config")
    assert resp.status_code == 500
    assert pve_message(resp) == "Configuration file 'nodes/pve1/qemu-server/123.conf' does not exist\n"
