# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_disk_resize on 7.4 at real speed: wait=false does not sit out the blocking resize call (nor pveproxy's 596)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from harness import run_playbook
from test_disk_resize import G, M, resize_puts, size_of


def test_7x_wait_false_leaves_the_blocking_call_running(sim_factory):
    # Speed 1: pveproxy answers 596 only after 30 s and the resize takes 90 s. The module must be back long before
    # either: when it returns, the server is still holding the resize request (it is not in the request log yet).
    sim = sim_factory(pve="7.4", speed=1)
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=130, name="slow130", full=1), timeout=120)
    sim.fault(kind="task_duration", type="resize", seconds=90)
    mark = sim.mark()
    run = run_playbook(sim, [{"name": "grow", M: {"vmid": 130, "size": "9G", "wait": False}}])
    result = run.task("grow")
    assert run.status("grow") == "ok", result
    assert (result["status"], result["task"], result["size_after"], result["changed"]) == ("in_progress", None, 9 * G, True)
    assert resize_puts(sim, mark) == []
    assert size_of(sim, 130) == 2 * G
