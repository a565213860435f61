# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server's data disks (``disks``, ``remove_unlisted_disks``) through ansible-playbook against the simulator
on 7.4 and 9.1: a disk added to a running server (hot-plugged; a sata disk pending), grown with one resize request, a
second run without writes, a smaller size refused before any write, an unlisted disk left alone, then deleted with
remove_unlisted_disks (check mode first: diff and warnings, no write); the request log passes the API schema."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from pve_schema import validate

M = "jotunheim.proxmox.jotun_server"
GIB = 1024 ** 3

pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def task(name, options, **keywords):
    item = {"name": name, M: options}
    item.update(keywords)
    return item


def volumes(sim, vmid):
    return sorted(v["volid"] for v in sim.api("GET", "/nodes/pve1/storage/local-lvm/content")
                  if int(v.get("vmid") or 0) == vmid)


def test_data_disk_added_grown_kept_and_removed(sim, run_playbook):
    sim.reset()
    base = {"name": "dd1", "state": "started"}
    small = dict(base, disks=[{"slot": "scsi1", "size": "1G", "discard": True}])
    # sata1 cannot be hot-plugged (Proxmox VE plugs scsi and virtio disks only): pending until the next start
    grown = dict(base, disks=[{"slot": "scsi1", "size": "2G", "discard": True}, {"slot": "sata1", "size": "1G"}])
    mark = sim.mark()
    run = run_playbook([
        task("plan", dict(small, template="debian-12"), check_mode=True, diff=True),
        task("build", dict(small, template="debian-12")),
        task("grow", grown),
        task("again", grown),
        task("shrink", dict(base, disks=[{"slot": "scsi1", "size": "1536M"}]), ignore_errors=True),
    ])
    build, grow, again, shrink = [run.task(name) for name in ("build", "grow", "again", "shrink")]
    preview = run.task("plan")      # check mode on a server not built yet: the disk it would get, nothing written
    assert preview["changed"] is True
    assert preview["diff"]["after"]["scsi1"] == "new empty 1G disk on local-lvm,discard=on", preview["diff"]
    assert build["changed"] is True and build["status"] == "running", build
    vmid = build["vmid"]
    writes = sim.writes(mark)
    added = [w["params"] for w in writes if w["path"].endswith("/qemu/%s/config" % vmid) and "scsi1" in w["params"]]
    assert [p["scsi1"] for p in added] == ["local-lvm:1,discard=on"]
    assert [w["params"]["sata1"] for w in writes if "sata1" in w["params"]] == ["local-lvm:1"]
    # grown once, through the resize API; afterwards nothing is written (the refused shrink included)
    resizes = [w for w in writes if w["path"].endswith("/resize")]
    assert [(w["params"]["disk"], w["params"]["size"]) for w in resizes] == [("scsi1", "2G")]
    assert writes[-1] is not None and writes[-1]["path"].endswith("/resize")
    assert grow["changed"] is True and again["changed"] is False
    assert run.status("shrink") == "ignored" and shrink["option"] == "disks[0].size", shrink
    assert shrink["msg"].startswith("disks[0].size: cannot shrink"), shrink["msg"]
    guest = sim.guest(vmid, current=True)          # hot-plugged and grown on the running server: nothing pending
    assert "size=2G" in guest["scsi1"] and "discard=on" in guest["scsi1"] and guest["_status"] == "running"
    assert "sata1" not in guest and set(grow["pending"]) == set(again["pending"]) == {"sata1"}, again["pending"]

    # a disk added behind the module's back: left alone unless remove_unlisted_disks
    sim.api("PUT", "/nodes/pve1/qemu/%s/config" % vmid, scsi2="local-lvm:1")
    scsi2 = sim.guest(vmid)["scsi2"].split(",")[0]
    mark = sim.mark()
    run = run_playbook([
        task("keep", grown),
        task("preview", dict(grown, remove_unlisted_disks=True), check_mode=True, diff=True),
    ])
    keep, preview = run.task("keep"), run.task("preview")
    assert sim.writes(mark) == []
    assert keep["changed"] is False and "scsi2" in keep["config"]
    assert preview["changed"] is True and preview["diff"]["after"]["scsi2"].startswith("DATA LOST")
    assert any(scsi2 in text and "data is lost" in text for text in preview["warnings"]), preview["warnings"]
    assert "scsi2" not in preview["config"]

    mark = sim.mark()
    run = run_playbook([
        task("remove", dict(grown, remove_unlisted_disks=True)),
        task("after", dict(grown, remove_unlisted_disks=True)),
        task("rebuild", dict(base, template="debian-12", state="rebuilt",
                             disks=[{"slot": "scsi1", "size": "3G", "discard": True}])),
    ])
    remove, after, rebuild = run.task("remove"), run.task("after"), run.task("rebuild")
    assert remove["changed"] is True and after["changed"] is False, (remove, after)
    # detached (the volume becomes unused0), then the unused volume deleted: two config writes; the next writes are
    # the rebuild's first (its name reservation, then stopping the server): the run after the removal wrote nothing
    writes = sim.writes(mark)
    assert [w["params"].get("delete") for w in writes[:2]] == ["scsi2", "unused0"]
    assert writes[2]["path"].endswith("/nodes/pve1/qemu") and writes[3]["path"].endswith("/status/stop"), writes[2:4]
    assert scsi2 not in volumes(sim, vmid)
    # the rebuild recreates scsi1 empty at its old size and options, then disks grows it
    assert rebuild["changed"] is True and rebuild["vmid"] == vmid and rebuild["status"] == "running", rebuild
    resizes = [w["params"] for w in writes if w["path"].endswith("/resize")]
    assert [(p["disk"], p["size"]) for p in resizes] == [("scsi1", "3G")], resizes
    recreated = [w["params"]["scsi1"] for w in writes if w["path"].endswith("/config") and "scsi1" in w["params"]]
    assert recreated == ["local-lvm:2,discard=on"], recreated
    config = sim.guest(vmid)
    assert "size=3G" in config["scsi1"] and "discard=on" in config["scsi1"]
    assert "scsi2" not in config and not [k for k in config if k.startswith("unused")]
    assert config["scsi1"].split(",")[0] in volumes(sim, vmid)
    returncode, output = validate(sim.pve, sim.request_log)
    assert returncode == 0, output[-3000:]


def test_lost_answers_never_allocate_or_detach_twice(sim, run_playbook):
    """A 596 after the disk was allocated, a dropped connection after the detach: the run reads the config back and
    goes on from there, each write sent once."""
    sim.reset()
    vmid = 170
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=vmid, name="dd2", full=1))
    sim.api("PUT", "/nodes/pve1/qemu/%d/config" % vmid, scsi2="local-lvm:1")
    sim.fault(kind="status", method="PUT", path=r"/qemu/\d+/config$", status=596, count=1)
    sim.fault(kind="drop", method="PUT", path=r"/qemu/\d+/config$", count=1)
    mark = sim.mark()
    wanted = {"name": "dd2", "disks": [{"slot": "scsi1", "size": "1G"}], "remove_unlisted_disks": True}
    run = run_playbook([task("disks", wanted), task("again", wanted)])
    assert run.ok, run
    assert run.task("disks")["changed"] is True and run.task("again")["changed"] is False
    writes = [w["params"] for w in sim.writes(mark)]
    assert [(w.get("scsi1"), w.get("delete")) for w in writes] == [
        ("local-lvm:1", None), (None, "scsi2"), (None, "unused0")], writes
    config = sim.guest(vmid)
    disks = [v for v in volumes(sim, vmid) if "-disk-" in v]
    assert sorted(disks) == sorted([config["scsi0"].split(",")[0], config["scsi1"].split(",")[0]]), disks
    # a full storage refuses the new disk: nothing was written, the message names disks
    sim.fault(kind="storage_full", node="pve1", storage="local-lvm")
    more = dict(wanted, disks=[{"slot": "scsi1", "size": "1G"}, {"slot": "scsi3", "size": "1G"}])
    try:
        run = run_playbook([task("full", more, ignore_errors=True)])
    finally:
        sim.clear_faults()
    full = run.task("full")
    assert run.status("full") == "ignored" and full["changed"] is False, full
    assert full["msg"].startswith("disks: no room for scsi3"), full["msg"]
    assert "scsi3" not in sim.guest(vmid)


def test_option_pending_and_growth_in_one_run_converge(sim, run_playbook):
    """A running server: an option Proxmox VE cannot hot-plug (ssd) waits as a pending drive value that keeps the
    size it was written with, while the resize changes the current value only (qemu-server resize_vm). The run
    rewrites the pending value with the grown size, and the next run writes nothing (it used to resize again on every
    run, and the restart would have applied the old size)."""
    sim.reset()
    base = {"name": "dd3", "state": "started"}
    changed = dict(base, disks=[{"slot": "scsi1", "size": "3G", "ssd": True}])
    run = run_playbook([
        task("build", dict(base, template="debian-12", disks=[{"slot": "scsi1", "size": "1G"}])),
        task("change", changed),
    ])
    assert run.ok, run
    vmid = run.task("build")["vmid"]
    mark = sim.mark()
    run = run_playbook([task("again", changed)])
    assert run.ok, run
    assert run.task("again")["changed"] is False, run.task("again")
    assert sim.writes(mark) == []
    pending = dict((e["key"], e) for e in sim.api("GET", "/nodes/pve1/qemu/%d/pending" % vmid))
    assert "size=3G" in pending["scsi1"]["value"] and "size=3G" in pending["scsi1"]["pending"], pending["scsi1"]
    assert "ssd=1" in pending["scsi1"]["pending"]
