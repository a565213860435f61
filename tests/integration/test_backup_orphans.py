# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Orphaned backups: jotun_backup_info marks them, jotun_backup state=pruned_orphans deletes the old unprotected
ones (check mode lists them), through ansible-playbook against the simulator."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

B = "jotunheim.proxmox.jotun_backup"
INFO = "jotunheim.proxmox.jotun_backup_info"
DAY = 86400
pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def task(module, title, **args):
    return {"name": title, module: args, "ignore_errors": True}


def test_orphans_marked_and_pruned(sim, run_playbook):
    sim.reset()
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=170, name="alive", full=1))

    def seed(vmid, age, node="pve1", protected=False):
        return sim.control("POST", "/archive", body={"node": node, "storage": "local", "vmid": vmid, "age": age,
                                                     "protected": protected})
    alive_old = seed(170, 40 * DAY)
    old = seed(4242, 40 * DAY)
    old_pve2 = seed(4244, 31 * DAY, node="pve2")
    protected = seed(4242, 50 * DAY, protected=True)
    young = seed(4243, 2 * DAY)

    mark = sim.mark()
    run = run_playbook([
        task(INFO, "info"),
        task(INFO, "only orphans", orphan=True),
        task(B, "missing age", state="pruned_orphans"),
        task(B, "with vmid", state="pruned_orphans", older_than="30d", vmid=170),
    ])
    marks = dict((a["volid"], a["orphan"]) for a in run.task("info")["archives"])
    assert marks == {alive_old: False, old: True, old_pve2: True, protected: True, young: True}
    assert sorted(a["volid"] for a in run.task("only orphans")["archives"]) == sorted([old, old_pve2, protected, young])
    assert "older_than" in run.task("missing age")["msg"]
    assert run.task("with vmid")["msg"].startswith("vmid: ")
    assert sim.writes(mark) == []

    check = run_playbook([task(B, "prune", state="pruned_orphans", older_than="30d")], check=True)
    result = check.task("prune")
    assert result["changed"] is True and sorted(result["pruned"]) == sorted([old, old_pve2])
    assert sorted((a["volid"], a["reason"]) for a in result["kept"]) == sorted([(protected, "protected"),
                                                                                (young, "young")])
    assert sim.writes(mark) == []

    run = run_playbook([task(B, "prune", state="pruned_orphans", older_than="30d")])
    result = run.task("prune")
    assert result["changed"] is True and sorted(result["pruned"]) == sorted([old, old_pve2])
    assert [t["type"] for t in result["tasks"]] == ["imgdel", "imgdel"]
    left = set(a["volid"] for a in sim.state()["archives"])
    assert left == {alive_old, protected, young}
    deletes = [w for w in sim.writes(mark) if w["method"] == "DELETE"]
    assert len(deletes) == 2

    mark = sim.mark()
    again = run_playbook([task(B, "prune", state="pruned_orphans", older_than="30d")])
    assert again.task("prune")["changed"] is False and sim.writes(mark) == []
