# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_disk_resize through ansible-playbook against the simulator (7.4 and 9.1): results and the request log."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import time

import pytest

M = "jotunheim.proxmox.jotun_disk_resize"
G = 1024 ** 3
UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": G, "T": 1024 ** 4}

pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


# -- helpers (set-up goes straight through the API, not through the module under test) --------------------------------
def make_vm(sim, vmid=101, name=None):
    sim.reset()
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=vmid, name=name or "srv%d" % vmid, full=1))
    return vmid


def size_of(sim, vmid, disk="scsi0"):
    """The disk's size in bytes as the API shows it."""
    match = re.search(r"(?:^|,)size=(\d+)([KMGT]?)(?:,|$)", sim.guest(vmid)[disk])
    return int(match.group(1)) * UNITS[match.group(2)]


def resize(task_name, **args):
    return {"name": task_name, M: args, "ignore_errors": True}


def failed(run, name):
    return run.status(name) in ("failed", "ignored")


def resize_puts(sim, since):
    return [e for e in sim.requests(since, method="PUT") if e["path"].endswith("/resize")]


# -- tests ------------------------------------------------------------------------------------------------------------
def test_grow_to_absolute_size_then_no_op(sim, run_playbook):
    make_vm(sim, 101)
    before = size_of(sim, 101)
    mark = sim.mark()
    run = run_playbook([resize("grow", vmid=101, size="4G"), resize("again", vmid=101, size="4G")])
    grow, again = run.task("grow"), run.task("again")
    assert run.status("grow") == "ok", grow
    assert (grow["changed"], grow["status"], grow["disk"], grow["node"], grow["vmid"]) == (True, "done", "scsi0", "pve1", 101)
    assert (grow["size_before"], grow["size_after"], grow["size_after_human"]) == (before, 4 * G, "4G")
    assert (again["changed"], again["status"], again["size_after"]) == (False, "done", 4 * G)
    assert size_of(sim, 101) == 4 * G
    assert [(p["params"]["disk"], p["params"]["size"]) for p in resize_puts(sim, mark)] == [("scsi0", "4G")]


def test_bytes_and_units_name_the_same_size(sim, run_playbook):
    make_vm(sim, 102)
    mark = sim.mark()
    run = run_playbook([resize("bytes", vmid=102, size=str(3 * G)), resize("mib", vmid=102, size="3072M"),
                        resize("gib", vmid=102, size="3GiB"), resize("tera", vmid=102, size="0.00390625T")])
    assert run.task("bytes")["changed"] is True and run.task("bytes")["size_after"] == 3 * G
    for name in ("mib", "gib"):
        assert run.task(name)["changed"] is False, run.task(name)
    assert run.task("tera")["changed"] is True and run.task("tera")["size_after"] == 4 * G
    assert len(resize_puts(sim, mark)) == 2
    assert size_of(sim, 102) == 4 * G


def test_shrink_unknown_disk_and_bad_size_fail_clearly_without_writing(sim, run_playbook):
    make_vm(sim, 103)
    mark = sim.mark()
    run = run_playbook([resize("shrink", vmid=103, size="1G"), resize("nodisk", vmid=103, disk="scsi7", size="8G"),
                        resize("cdrom", vmid=103, disk="ide2", size="8G"), resize("bad", vmid=103, size="forty"),
                        resize("noguest", vmid=4242, size="8G"), resize("minus", vmid=103, increase="-1G")])
    shrink = run.task("shrink")
    assert failed(run, "shrink") and shrink["msg"].startswith("size: cannot shrink") and "2G" in shrink["msg"], shrink
    assert all(failed(run, name) for name in ("nodisk", "cdrom", "bad", "noguest", "minus"))
    assert run.task("nodisk")["msg"].startswith("disk: the guest has no disk scsi7")
    assert run.task("cdrom")["msg"].startswith("disk: ide2 is a CD-ROM")
    assert run.task("bad")["msg"].startswith("size: cannot read 'forty'")
    assert run.task("noguest")["msg"].startswith("vmid: no virtual machine 4242")
    assert run.task("minus")["msg"].startswith("increase: Proxmox VE cannot shrink")
    assert "Traceback" not in run.stdout
    assert resize_puts(sim, mark) == []


def test_check_mode_and_diff(sim, run_playbook):
    make_vm(sim, 104)
    mark = sim.mark()
    run = run_playbook([resize("grow", vmid=104, size="5G")], check=True, diff=True)
    result = run.task("grow")
    assert (result["changed"], result["size_after"]) == (True, 5 * G)
    assert result["diff"] == {"before": {"disk": "scsi0", "size": "2G"}, "after": {"disk": "scsi0", "size": "5G"}}
    assert resize_puts(sim, mark) == []
    assert size_of(sim, 104) == 2 * G


def test_by_name_and_increase(sim, run_playbook):
    make_vm(sim, 105, name="web105")
    mark = sim.mark()
    run = run_playbook([resize("inc", **{"name": "web105", "increase": "+1536M"})])
    result = run.task("inc")
    assert (result["changed"], result["vmid"], result["size_after"]) == (True, 105, 2 * G + 1536 * 1024 ** 2), result
    assert [p["params"]["size"] for p in resize_puts(sim, mark)] == ["+1536M"]
    assert size_of(sim, 105) == 2 * G + 1536 * 1024 ** 2


def wait_for_size(sim, vmid, size, timeout=60):
    end = time.monotonic() + timeout
    while size_of(sim, vmid) != size and time.monotonic() < end:
        time.sleep(0.1)
    return size_of(sim, vmid)


def test_wait_false_returns_in_progress_then_a_rerun_converges(sim, run_playbook):
    make_vm(sim, 106)
    sim.fault(kind="task_duration", type="resize", seconds=90)
    mark = sim.mark()
    run = run_playbook([{"name": "start", M: {"vmid": 106, "size": "6G", "wait": False}}])
    started = run.task("start")
    assert run.status("start") == "ok", started
    assert (started["changed"], started["status"], started["size_after"]) == (True, "in_progress", 6 * G)
    if sim.pve == "7.4":
        assert started["task"] is None and started["tasks"] == []
    else:
        assert started["task"].startswith("UPID:pve1:") and ":resize:106:" in started["task"]
        assert [t["upid"] for t in started["tasks"]] == [started["task"]]
    assert wait_for_size(sim, 106, 6 * G) == 6 * G
    run = run_playbook([{"name": "again", M: {"vmid": 106, "size": "6G", "wait": False}}])
    assert (run.task("again")["changed"], run.task("again")["status"]) == (False, "done")
    assert len(resize_puts(sim, mark)) == 1
