# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_task finishing jotun_disk_resize runs started with wait=false: a task on 8.0+, only a size on 7.x."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

GIB = 1024 ** 3
VMID = 400


def prepare(sim, seconds):
    """A clone of the debian template, and resizes made to last `seconds` simulated seconds."""
    sim.reset()
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=VMID, name="grow-me"))
    sim.fault(kind="task_duration", type="resize", seconds=seconds, count=1)


def resize_steps(size="40G"):
    return [{"name": "start", "register": "started",
             "jotunheim.proxmox.jotun_disk_resize": {"vmid": VMID, "disk": "scsi0", "size": size, "wait": False}}]


def scsi0_size(sim):
    for part in sim.guest(VMID)["scsi0"].split(","):
        if part.startswith("size="):
            text = part[5:]
            return int(float(text[:-1]) * {"G": GIB, "M": 1024 ** 2, "T": 1024 ** 4}[text[-1]])
    raise AssertionError("no size")


@pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
def test_waits_for_a_resize_started_without_waiting(sim, run_playbook):
    prepare(sim, 60)
    run = run_playbook(resize_steps() + [
        {"name": "finish", "jotunheim.proxmox.jotun_task": {"resize": "{{ started }}", "wait_timeout": 120}}])
    assert run.ok, run
    started = run.task("start")
    assert started["status"] == "in_progress"
    result = run.task("finish")
    assert result["changed"] is False and result["counts"] == {"ok": 1, "warnings": 0, "failed": 0, "running": 0, "unknown": 0}
    if sim.pve.startswith("7."):
        assert started["task"] is None
        assert result["tasks"] == []
        assert result["resizes"] == [{"vmid": VMID, "node": "pve1", "disk": "scsi0", "size": 40 * GIB,
                                      "current_size": 40 * GIB, "status": "done"}]
    else:
        assert [t["upid"] for t in result["tasks"]] == [started["task"]]
        assert result["tasks"][0]["type"] == "resize" and result["tasks"][0]["exitstatus"] == "OK"
        assert result["resizes"] == []
    assert scsi0_size(sim) == 40 * GIB


@pytest.mark.parametrize("sim", ["7.4"], indirect=True)
def test_plain_resize_dict_by_name_and_deadline(sim, run_playbook):
    prepare(sim, 3600)
    mark = sim.mark()
    run = run_playbook(resize_steps("50G") + [
        {"name": "finish", "ignore_errors": True,
         "jotunheim.proxmox.jotun_task": {"resize": [{"name": "grow-me", "disk": "scsi0", "size": "50G"}],
                                          "wait_timeout": 3}},
        {"name": "lenient", "jotunheim.proxmox.jotun_task": {
            "resize": {"name": "grow-me", "disk": "scsi0", "size": "50G"}, "wait": False, "fail_on_error": False}},
    ])
    result = run.task("finish")
    assert run.status("finish") == "ignored" and result["timed_out"] is True
    assert "not yet at their size" in result["msg"] and "%d scsi0" % VMID in result["msg"]
    assert result["resizes"][0]["status"] == "in_progress" and result["resizes"][0]["size"] == 50 * GIB
    assert result["counts"]["running"] == 1
    lenient = run.task("lenient")
    assert run.status("lenient") == "ok" and lenient["resizes"][0]["status"] == "in_progress"
    # jotun_task only read: the one write is the resize the first step sent
    writes = sim.writes(mark)
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in writes] == [("PUT", "resize")]


@pytest.mark.parametrize("sim", ["7.4"], indirect=True)
def test_bad_resize_input_names_the_option(sim, run_playbook):
    run = run_playbook([{"name": "bad", "ignore_errors": True,
                         "jotunheim.proxmox.jotun_task": {"resize": [{"vmid": 9000, "size": "40G"}]}}])
    result = run.task("bad")
    assert run.status("bad") == "ignored" and "resize[0]" in result["msg"] and "disk" in result["msg"]
