# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_iso and jotun_server's iso / boot_order / state rescued through ansible-playbook on 7.4 and 9.1: bad inputs
refused before any write, downloads with good and bad checksums and an unreachable URL, mount/eject, boot order,
delete refused while in use, rescue and back, second runs unchanged."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

import pytest

ISO = "jotunheim.proxmox.jotun_iso"
SRV = "jotunheim.proxmox.jotun_server"
URL = "https://iso.pvesim.test/alpine-3.20.iso?size=300M"
RESCUE = "systemrescue-11.02-amd64.iso"


def sha256(url):
    # the simulator's documented file contents for URLs under pvesim.test (simulator/pvesim/isos.py)
    return hashlib.sha256(("pvesim-iso:" + url).encode()).hexdigest()


def task(title, module, **args):
    extra = {}
    for key in ("check_mode", "diff"):
        if key in args:
            extra[key] = args.pop(key)
    return dict({"name": title, module: args, "ignore_errors": True}, **extra)


def srv(title, **args):
    args.setdefault("name", "web01")
    return task(title, SRV, **args)


def res(run, title):
    out = dict(run.task(title))
    out["failed"] = run.status(title) in ("failed", "ignored")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
def test_iso_library_mount_boot_order_and_rescue(fresh, run_playbook):
    sim = fresh
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=100, name="web01", full=1))

    mark = sim.mark()
    bad = run_playbook([
        task("badurl", ISO, url="ftp://example.org/x.iso"),
        task("badfile", ISO, url="https://iso.pvesim.test/x.iso", filename="my file.iso"),
        task("badsum", ISO, url="https://iso.pvesim.test/x.iso", checksum="abc"),
        task("badstorage", ISO, url="https://iso.pvesim.test/x.iso", storage="local-lvm", node="pve1"),
        srv("badiso", iso="nothere.iso"),
        srv("badboot", boot_order=["scsi0", "floppy"]),
        srv("missingdev", boot_order=["scsi0", "virtio3"]),
        srv("norescue", state="rescued"),
        srv("rescuemix", state="rescued", rescue_iso=RESCUE, iso="none"),
        srv("rescuestate", state="started", rescue_iso=RESCUE),
    ])
    for title, option in (("badurl", "url"), ("badfile", "filename"), ("badsum", "checksum"),
                          ("badstorage", "storage"), ("badiso", "iso"), ("badboot", "boot_order"),
                          ("missingdev", "boot_order"), ("norescue", "rescue_iso"), ("rescuemix", "iso"),
                          ("rescuestate", "rescue_iso")):
        out = res(bad, title)
        assert out["failed"] and out["msg"].startswith(option + ":"), (title, out)
    assert sim.writes(mark) == []

    run = run_playbook([
        task("download", ISO, url=URL, checksum=sha256(URL), diff=True),
        task("download2", ISO, url=URL, checksum=sha256(URL)),
        task("badchecksum", ISO, url="https://iso.pvesim.test/other.iso", node="pve1", checksum="0" * 64),
        task("unreachable", ISO, url="https://mirror.example.org/x.iso", node="pve2"),
        task("list", ISO + "_info", filename="alpine-3.20.iso"),
        srv("mount", iso="alpine-3.20.iso", diff=True),
        srv("mount2", iso="local:iso/alpine-3.20.iso"),
        srv("boot", boot_order=["ide3", "scsi0", "net0"], diff=True),
        srv("boot2", boot_order=["ide3", "scsi0", "net0"]),
        task("inuse", ISO, filename="alpine-3.20.iso", state="absent"),
        srv("eject", iso="none", boot_order=["scsi0", "net0"]),
        srv("eject2", iso="none", boot_order=["scsi0", "net0"]),
        task("delete", ISO, filename="alpine-3.20.iso", state="absent"),
        task("delete2", ISO, filename="alpine-3.20.iso", state="absent"),
        srv("start", state="started"),
        srv("rescuecheck", state="rescued", rescue_iso=RESCUE, check_mode=True, diff=True),
        srv("rescue", state="rescued", rescue_iso=RESCUE, diff=True),
        srv("rescue2", state="rescued", rescue_iso=RESCUE),
        srv("back", state="started", diff=True),
        srv("back2", state="started"),
    ], timeout=900)
    dl = res(run, "download")
    assert not dl["failed"], dl
    assert dl["changed"] and dl["downloaded"] == ["pve1", "pve2"] and dl["volid"] == "local:iso/alpine-3.20.iso"
    assert [t["type"] for t in dl["tasks"]] == ["download", "download"]
    assert all(t["exitstatus"] == "OK" for t in dl["tasks"])
    assert "local:iso/alpine-3.20.iso@pve2" in dl["diff"]["after"]["isos"]
    dl2 = res(run, "download2")
    assert not dl2["changed"] and dl2["verified"] == ["pve1", "pve2"], dl2
    badsum = res(run, "badchecksum")
    assert badsum["failed"] and "checksum mismatch" in badsum["msg"] and badsum["tasks"][0]["type"] == "download"
    gone = res(run, "unreachable")
    assert gone["failed"] and "unable to resolve host address 'mirror.example.org'" in gone["msg"], gone
    listed = res(run, "list")
    assert sorted(i["node"] for i in listed["isos"]) == ["pve1", "pve2"]
    assert listed["isos"][0]["size"] == 300 * 1024 ** 2 and not listed["changed"]

    mount = res(run, "mount")
    assert mount["changed"] and mount["config"]["ide3"] == "local:iso/alpine-3.20.iso,media=cdrom", mount
    assert mount["diff"]["after"]["iso"] == "local:iso/alpine-3.20.iso"
    assert mount["config"]["ide2"].endswith("cloudinit,media=cdrom")        # cloud-init drive untouched
    assert not res(run, "mount2")["changed"]
    boot = res(run, "boot")
    assert boot["changed"] and boot["config"]["boot"] == "order=ide3;scsi0;net0"
    assert boot["diff"]["after"]["boot_order"] == ["ide3", "scsi0", "net0"]
    assert not res(run, "boot2")["changed"]
    inuse = res(run, "inuse")
    assert inuse["failed"] and inuse["msg"].startswith("filename:") and "web01 (vmid 100 on pve1, ide3)" in inuse["msg"]
    eject = res(run, "eject")
    assert eject["changed"] and eject["config"]["ide3"] == "none,media=cdrom"
    assert eject["config"]["boot"] == "order=scsi0;net0"
    assert not res(run, "eject2")["changed"]
    assert res(run, "delete")["deleted"] == ["pve1", "pve2"] and not res(run, "delete2")["changed"]

    check = res(run, "rescuecheck")
    assert check["changed"] and check["diff"]["after"]["boot_order"] == ["ide3", "scsi0", "net0"], check
    assert check["diff"]["after"]["iso"] == "local:iso/%s" % RESCUE and not check["tasks"]
    rescue = res(run, "rescue")
    assert not rescue["failed"], rescue
    assert rescue["changed"] and rescue["status"] == "running"
    assert rescue["config"]["ide3"] == "local:iso/%s,media=cdrom" % RESCUE
    assert rescue["config"]["boot"] == "order=ide3;scsi0;net0"
    assert "jotun: rescue boot=order=scsi0;net0 cdrom=ide3:none" in rescue["config"]["description"]
    assert "qmreboot" in [t["type"] for t in rescue["tasks"]]
    assert rescue["diff"]["after"]["rescue"] is True
    assert rescue["diff"]["before"]["boot_order"] == ["scsi0", "net0"]        # check mode wrote nothing
    assert not res(run, "rescue2")["changed"], res(run, "rescue2")
    back = res(run, "back")
    assert back["changed"] and back["config"]["boot"] == "order=scsi0;net0"
    assert back["config"]["ide3"] == "none,media=cdrom" and "description" not in back["config"]
    assert "qmreboot" in [t["type"] for t in back["tasks"]]
    assert not res(run, "back2")["changed"], res(run, "back2")
    final = sim.guest(100, current=True)
    assert final["boot"] == "order=scsi0;net0" and final["_status"] == "running"


def test_iso_url_password_never_shown(fresh, run_playbook):
    """A password in the URL's user info (https://user:password@host/...) is a secret: not in the failure message,
    the task logs, the invocation (-vvv) or the output, whether the download fails or works."""
    secret = "Url-pw-4711"
    url = "https://bob:%s@iso.pvesim.test/private.iso" % secret
    run = run_playbook([
        task("badsum", ISO, url=url, checksum="0" * 64, node="pve1"),
        task("good", ISO, url=url, node="pve1"),
    ], args=["-vvv"])
    bad, good = res(run, "badsum"), res(run, "good")
    assert bad["failed"] and "download of" in bad["msg"] and not good["failed"], run
    assert good["changed"] and good["downloaded"] == ["pve1"], good
    assert secret not in str(bad) and secret not in str(good), (bad, good)
    assert secret not in run.stdout, [line for line in run.stdout.splitlines() if secret in line]


def test_iso_download_whose_answer_is_lost_is_followed_not_sent_again(fresh, run_playbook):
    """The connection drops after download-url was sent (the download started): the run finds the download task in
    the node's task list, waits for it and says changed: true, sending the request once; the next run changes
    nothing."""
    sim = fresh
    url = "https://iso.pvesim.test/lost-answer.iso?size=100M"
    sim.fault(kind="drop", method="POST", path="/download-url$", count=1)
    mark = sim.mark()
    run = run_playbook([task("lost", ISO, url=url, node="pve1"), task("again", ISO, url=url, node="pve1")])
    lost, again = res(run, "lost"), res(run, "again")
    assert not lost["failed"] and lost["changed"] and lost["downloaded"] == ["pve1"], lost
    assert [t["exitstatus"] for t in lost["tasks"]] == ["OK"], lost
    assert not again["failed"] and not again["changed"], again
    assert [w["path"] for w in sim.writes(mark)] == ["/api2/json/nodes/pve1/storage/local/download-url"]


def test_iso_download_failing_on_one_node_says_what_it_changed(fresh, run_playbook):
    """Two nodes download, one download task fails: the run fails, but the other node has the file now - changed:
    true and downloaded names it; the next run downloads to the failed node only."""
    sim = fresh
    url = "https://iso.pvesim.test/half.iso?size=100M"
    sim.fault(kind="task_fail", type="download", message="download failed: injected by the test", count=1)
    run = run_playbook([task("half", ISO, url=url), task("rest", ISO, url=url)])
    half, rest = res(run, "half"), res(run, "rest")
    assert half["failed"] and "injected by the test" in half["msg"], half
    assert half["changed"] is True and len(half["downloaded"]) == 1, half
    assert not rest["failed"] and rest["changed"] and rest["downloaded"] != half["downloaded"], rest
