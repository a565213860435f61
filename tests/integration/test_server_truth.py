# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server results that tell the truth (issue 13): a failed step that provably changed nothing says
``changed: false``; ``step`` names the step that failed; ``status`` is the server's power status and the HTTP status
of the failed call is ``http_status``."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

M = "jotunheim.proxmox.jotun_server"


def step(task, **options):
    return {"name": task, M: options, "ignore_errors": True}


def test_failed_steps_that_changed_nothing_say_so(sim, run_playbook):
    sim.reset()
    run = run_playbook([{"name": "build", M: {"name": "truth1", "template": "debian-12"}}])
    assert run.ok, run
    vmid = run.task("build")["vmid"]
    sim.fault(kind="status", method="POST", path=r"/qemu/\d+/status/start$", status=500, count=1,
              message="injected start failure")
    sim.fault(kind="status", method="PUT", path=r"/qemu/\d+/config$", status=500, count=1,
              message="injected config failure")
    sim.fault(kind="status", method="POST", path=r"/qemu/\d+/clone$", status=500, count=1,
              message="injected clone failure")
    sim.fault(kind="status", method="DELETE", path=r"/qemu/%d$" % vmid, status=500, count=1,
              message="injected destroy failure")
    mark = sim.mark()
    run = run_playbook([
        step("start", name="truth1", state="started"),
        step("config", name="truth1", cores=3),
        step("clone", name="truth2", template="debian-12"),
        step("destroy", name="truth1", state="absent"),
    ])
    expected = {"start": ("start", "injected start failure"), "config": ("configure", "injected config failure"),
                "clone": ("clone", "injected clone failure"), "destroy": ("destroy", "injected destroy failure")}
    for name, (failed_step, message) in expected.items():
        result = run.task(name)
        assert run.status(name) == "ignored", (name, result)
        assert result["changed"] is False and result["step"] == failed_step and message in result["msg"], (name, result)
        assert result["http_status"] == 500, (name, result)
    assert run.task("start")["status"] == "stopped"      # the power status, not the HTTP status
    guest = sim.guest(vmid)
    assert guest is not None and guest["_status"] == "stopped" and int(guest.get("cores") or 1) != 3
    assert [g for g in sim.state()["guests"] if g["config"].get("name") == "truth2"] == []
    # the only writes that reached the simulator were the four refused ones
    assert len(sim.writes(mark)) == 4


def test_a_failed_start_task_and_a_lock_that_never_clears_change_nothing(sim, run_playbook):
    sim.reset()
    run = run_playbook([{"name": "build", M: {"name": "truth3", "template": "debian-12"}}])
    assert run.ok, run
    vmid = run.task("build")["vmid"]
    sim.fault(kind="task_fail", type="qmstart", message="start failed: injected", count=1)
    run = run_playbook([step("start", name="truth3", state="started")])
    result = run.task("start")
    assert run.status("start") == "ignored" and result["changed"] is False and result["step"] == "start", result
    assert result["status"] == "stopped" and sim.guest(vmid)["_status"] == "stopped"
    # a backup holds lock 'backup' for hours: the change waits for it, then gives up having written nothing
    sim.fault(kind="task_duration", type="vzdump", seconds=36000, count=1)
    sim.api("POST", "/nodes/pve1/vzdump", vmid=vmid, storage="local", remove=0)
    mark = sim.mark()
    run = run_playbook([step("config", name="truth3", cores=3, wait_timeout=2)])
    result = run.task("config")
    assert run.status("config") == "ignored" and result["changed"] is False, result
    assert "nothing was changed" in result["msg"] and result["step"] == "wait_unlocked", result
    assert sim.writes(mark) == []
