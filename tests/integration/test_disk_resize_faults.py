# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_disk_resize when things go wrong: slow 7.x resizes, 596, dropped connections, locks, full storage."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from test_disk_resize import G, failed, make_vm, resize, resize_puts, size_of

pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def test_slow_resize_wait_true_returns_done(sim, run_playbook):
    make_vm(sim, 111)
    sim.fault(kind="task_duration", type="resize", seconds=90)
    mark = sim.mark()
    run = run_playbook([resize("grow", vmid=111, size="8G", wait_timeout=120)])
    result = run.task("grow")
    assert run.status("grow") == "ok", result
    assert (result["status"], result["size_after"], result["changed"]) == ("done", 8 * G, True)
    assert len(resize_puts(sim, mark)) == 1
    assert size_of(sim, 111) == 8 * G


def test_slow_resize_wait_false_reports_in_progress(sim, run_playbook):
    make_vm(sim, 112)
    sim.fault(kind="task_duration", type="resize", seconds=90)
    mark = sim.mark()
    run = run_playbook([resize("grow", vmid=112, size="8G", wait=False)])
    result = run.task("grow")
    assert (result["status"], result["changed"], result["size_after"]) == ("in_progress", True, 8 * G), result
    assert (result["task"] is None) == (sim.pve == "7.4")
    puts = resize_puts(sim, mark)
    assert len(puts) == 1
    if sim.pve != "7.4":
        assert puts[0]["status"] == 200


@pytest.mark.parametrize("fault", [
    {"kind": "status", "method": "PUT", "path": "/resize$", "status": 596},
    {"kind": "drop", "method": "PUT", "path": "/resize$"},
])
@pytest.mark.parametrize("args,final", [({"size": "7G"}, 7 * G), ({"increase": "+5G"}, 7 * G)])
def test_unknown_outcome_resizes_exactly_once(sim, run_playbook, fault, args, final):
    make_vm(sim, 113)
    sim.fault(**fault)
    mark = sim.mark()
    args = dict(args, vmid=113, wait_timeout=60)
    run = run_playbook([resize("grow", **args), resize("again", **args)] if "size" in args else [resize("grow", **args)])
    result = run.task("grow")
    assert run.status("grow") == "ok", result
    assert (result["changed"], result["size_after"], result["status"]) == (True, final, "done")
    if "size" in args:
        assert run.task("again")["changed"] is False
    assert size_of(sim, 113) == final
    assert len(resize_puts(sim, mark)) == 1


def test_locked_by_backup_waits_then_resizes(sim, run_playbook):
    make_vm(sim, 114)
    sim.fault(kind="task_duration", type="vzdump", seconds=40)
    backup = sim.api("POST", "/nodes/pve1/vzdump", vmid="114", storage="local", mode="snapshot", remove=0)
    mark = sim.mark()
    run = run_playbook([resize("grow", vmid=114, size="3G", wait_timeout=120)])
    result = run.task("grow")
    assert run.status("grow") == "ok", result
    assert (result["status"], result["size_after"]) == ("done", 3 * G)
    assert sim.wait_task(backup)["exitstatus"] == "OK"
    assert size_of(sim, 114) == 3 * G
    assert len([p for p in resize_puts(sim, mark) if p["status"] == 200]) == 1


def test_lock_outlasting_the_deadline_names_the_lock(sim, run_playbook):
    make_vm(sim, 115)
    sim.fault(kind="task_duration", type="vzdump", seconds=600)
    sim.api("POST", "/nodes/pve1/vzdump", vmid="115", storage="local", mode="snapshot", remove=0)
    mark = sim.mark()
    run = run_playbook([resize("grow", vmid=115, size="3G", wait_timeout=2)])
    result = run.task("grow")
    assert failed(run, "grow") and "locked (backup)" in result["msg"], result
    assert resize_puts(sim, mark) == []
    assert size_of(sim, 115) == 2 * G


def test_storage_without_room_names_size_and_storage(sim, run_playbook):
    make_vm(sim, 116)
    sim.fault(kind="storage_full", node="pve1", storage="local-lvm")
    run = run_playbook([resize("grow", vmid=116, size="50G"), resize("add", vmid=116, increase="48G")])
    result = run.task("grow")
    assert failed(run, "grow") and result["msg"].startswith("size: storage local-lvm has no room to grow scsi0 to 50G"), result
    # the option the user gave is named: increase, not size
    result = run.task("add")
    assert failed(run, "add") and result["msg"].startswith("increase: storage local-lvm has no room to grow scsi0 to 50G"), \
        result
    assert size_of(sim, 116) == 2 * G


def test_config_lock_held_by_another_worker_is_retried(sim, run_playbook):
    make_vm(sim, 117)
    sim.fault(kind="hold_lock", vmid=117, seconds=15)
    run = run_playbook([resize("grow", vmid=117, size="3G", wait_timeout=120)])
    result = run.task("grow")
    assert run.status("grow") == "ok", result
    assert result["status"] == "done" and size_of(sim, 117) == 3 * G
