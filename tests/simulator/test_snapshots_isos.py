"""Snapshots (list/create/delete/rollback/config, vmstate, locks in the worker) and the ISO library (download-url,
iso content, ISO drives), on 7.4 and 9.1 (`fresh`)."""
import hashlib

from simsupport import pve_message

ISO_HOST = "https://iso.pvesim.test"


def _checksum(url, algorithm="sha256"):
    return hashlib.new(algorithm, ("pvesim-iso:" + url).encode()).hexdigest()


def _clone(sim, vmid):
    assert sim.wait(sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=vmid))["exitstatus"] == "OK"


def test_snapshot_tree_vmstate_config_and_rollback(fresh):
    _clone(fresh, 260)
    base = "/nodes/pve1/qemu/260"
    assert fresh.wait(fresh.write("POST", base + "/snapshot", snapname="first", description="one"))["exitstatus"] == "OK"
    assert fresh.wait(fresh.write("POST", base + "/status/start"))["exitstatus"] == "OK"
    upid = fresh.write("POST", base + "/snapshot", snapname="ram", vmstate=1)
    assert fresh.wait(upid)["exitstatus"] == "OK"
    assert any("saving VM state" in line for line in fresh.task_log(upid))
    snaps = {s["name"]: s for s in fresh.get(base + "/snapshot")}
    assert snaps["first"]["vmstate"] == 0 and snaps["first"]["description"] == "one" and "parent" not in snaps["first"]
    assert snaps["ram"]["vmstate"] == 1 and snaps["ram"]["parent"] == "first"
    assert snaps["current"]["parent"] == "ram" and snaps["current"]["running"] == 1
    conf = fresh.get(base + "/snapshot/ram/config")
    assert conf["parent"] == "first" and conf["vmstate"] == "local-lvm:vm-260-state-ram" and conf["snaptime"] > 0
    assert fresh.get(base + "/config", snapshot="ram") == conf
    assert "local-lvm:vm-260-state-ram" in [v["volid"] for v in fresh.get("/nodes/pve1/storage/local-lvm/content")]
    fresh.write("PUT", base + "/snapshot/ram/config", description="with RAM")
    assert fresh.get(base + "/snapshot/ram/config")["description"] == "with RAM"
    # reserved names are refused before any worker; a name in use fails the worker
    resp = fresh.call("POST", base + "/snapshot", data={"snapname": "current"})
    assert resp.status_code == 500 and pve_message(resp) == "unable to use snapshot name 'current' (reserved name)\n"
    assert fresh.wait(fresh.write("POST", base + "/snapshot", snapname="first"))["exitstatus"] == \
        "snapshot name 'first' already used"
    # a lock is checked inside the worker: the task fails
    fresh.fault(kind="task_duration", type="qmsnapshot", seconds=30)
    slow = fresh.write("POST", base + "/snapshot", snapname="slow")
    fresh.wait_lock(260, "snapshot")
    assert fresh.wait(fresh.write("POST", base + "/snapshot/first/rollback"))["exitstatus"] == "VM is locked (snapshot)"
    fresh.wait(slow)
    # rollback to a snapshot without RAM stops the guest; `start` starts it again; with RAM it runs
    assert fresh.wait(fresh.write("POST", base + "/snapshot/first/rollback"))["exitstatus"] == "OK"
    assert fresh.get(base + "/status/current")["status"] == "stopped"
    assert fresh.wait(fresh.write("POST", base + "/snapshot/first/rollback", start=1))["exitstatus"] == "OK"
    assert fresh.get(base + "/status/current")["status"] == "running"
    fresh.wait(fresh.write("POST", base + "/status/stop"))
    assert fresh.wait(fresh.write("POST", base + "/snapshot/ram/rollback"))["exitstatus"] == "OK"
    assert fresh.get(base + "/status/current")["status"] == "running"
    # deleting re-links the children and frees the state volume
    assert fresh.wait(fresh.write("DELETE", base + "/snapshot/ram"))["exitstatus"] == "OK"
    snaps = {s["name"]: s for s in fresh.get(base + "/snapshot")}
    assert snaps["slow"]["parent"] == "first" and "ram" not in snaps
    assert "local-lvm:vm-260-state-ram" not in [v["volid"] for v in fresh.get("/nodes/pve1/storage/local-lvm/content")]
    assert fresh.wait(fresh.write("DELETE", base + "/snapshot/nope"))["exitstatus"] == "snapshot 'nope' does not exist"


def test_download_url_checksum_unreachable_and_iso_drive(fresh):
    isos = fresh.get("/nodes/pve2/storage/local/content", content="iso")
    assert {"local:iso/debian-12.iso", "local:iso/systemrescue-11.02-amd64.iso"} <= set(v["volid"] for v in isos)
    assert all(v["format"] == "iso" and v["content"] == "iso" and v["size"] > 0 for v in isos)
    url = ISO_HOST + "/alpine.iso?size=400M"
    upid = fresh.write("POST", "/nodes/pve1/storage/local/download-url", url=url, content="iso",
                       filename="alpine.iso", checksum=_checksum(url), **{"checksum-algorithm": "sha256"})
    assert ":download:alpine.iso:" in upid
    assert fresh.wait(upid)["exitstatus"] == "OK"
    log = fresh.task_log(upid)
    assert log[0] == "downloading %s to /var/lib/vz/template/iso/alpine.iso" % url
    assert any(" 50% " in line for line in log) and "calculating checksum...OK, checksum verified" in log
    vol = [v for v in fresh.get("/nodes/pve1/storage/local/content", content="iso") if v["volid"] == "local:iso/alpine.iso"]
    assert vol and vol[0]["size"] == 400 * 1024 ** 2
    # again: the existing file's checksum is compared, nothing downloaded; without a checksum it is refused
    again = fresh.write("POST", "/nodes/pve1/storage/local/download-url", url=url, content="iso",
                        filename="alpine.iso", checksum=_checksum(url), **{"checksum-algorithm": "sha256"})
    assert fresh.wait(again)["exitstatus"] == "OK"
    assert any("got correct file already" in line for line in fresh.task_log(again))
    refused = fresh.write("POST", "/nodes/pve1/storage/local/download-url", url=url, content="iso", filename="alpine.iso")
    assert fresh.wait(refused)["exitstatus"] == \
        "refusing to override existing file '/var/lib/vz/template/iso/alpine.iso'"
    # a bad checksum fails after the download and leaves no file; an unknown host fails at once
    bad = fresh.write("POST", "/nodes/pve1/storage/local/download-url", url=ISO_HOST + "/b.iso", content="iso",
                      filename="b.iso", checksum="0" * 64, **{"checksum-algorithm": "sha256"})
    assert fresh.wait(bad)["exitstatus"] == "checksum mismatch: got '%s' != expect '%s'" % (
        _checksum(ISO_HOST + "/b.iso"), "0" * 64)
    gone = fresh.write("POST", "/nodes/pve1/storage/local/download-url", url="https://nowhere.example/x.iso",
                       content="iso", filename="x.iso")
    assert fresh.wait(gone)["exitstatus"] == "download failed: wget: unable to resolve host address 'nowhere.example'"
    names = [v["volid"] for v in fresh.get("/nodes/pve1/storage/local/content", content="iso")]
    assert "local:iso/b.iso" not in names and "local:iso/x.iso" not in names
    # refused before any worker: not a file storage, wrong extension
    resp = fresh.call("POST", "/nodes/pve1/storage/local-lvm/download-url",
                      data={"url": url, "content": "iso", "filename": "a.iso"})
    assert resp.status_code == 500 and "not a file based storage" in pve_message(resp)
    resp = fresh.call("POST", "/nodes/pve1/storage/local/download-url",
                      data={"url": url, "content": "iso", "filename": "a.txt"})
    assert resp.status_code == 400 and resp.json()["errors"] == {"filename": "wrong file extension"}
    # an ISO drive needs the image on the guest's node
    _clone(fresh, 261)
    resp = fresh.call("PUT", "/nodes/pve1/qemu/261/config", data={"ide3": "local:iso/none.iso,media=cdrom"})
    assert resp.status_code == 500 and pve_message(resp) == "volume 'local:iso/none.iso' does not exist\n"
    fresh.write("PUT", "/nodes/pve1/qemu/261/config", ide3="local:iso/alpine.iso,media=cdrom", boot="order=ide3;scsi0")
    assert fresh.get("/nodes/pve1/qemu/261/config")["ide3"] == "local:iso/alpine.iso,media=cdrom"
    upid = fresh.write("DELETE", "/nodes/pve1/storage/local/content/local%3Aiso%2Fdebian-12.iso")
    assert fresh.wait(upid)["exitstatus"] == "OK"
