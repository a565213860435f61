# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The day-2 job playbooks (snapshot.yml, iso.yml, rescue.yml) end to end on one server, as a panel runs them."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from playbook_helpers import playbook, task_named


@pytest.mark.slow
def test_snapshot_iso_and_rescue_jobs(sim, run_playbook):
    sim.reset()
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=100, name="web01", full=1))
    snap = run_playbook(playbook("snapshot"), extra_vars={"server": "web01", "prefix": "pre-", "max_count": 1})
    assert snap.ok, snap
    taken = task_named(snap, "Take, roll back or delete the snapshot")["result"]
    assert taken["changed"] and taken["snapshot"].startswith("pre-")
    back = run_playbook(playbook("snapshot"), extra_vars={"server": "web01", "snapshot": taken["snapshot"],
                                                          "action": "rollback", "start": True})
    assert back.ok, back
    assert sim.guest(100)["_status"] == "running"

    url = "https://iso.pvesim.test/rescue-tools.iso?size=64M"
    iso = run_playbook(playbook("iso"), extra_vars={"url": url, "filename": "rescue-tools.iso", "node": "pve1"})
    assert iso.ok, iso
    assert task_named(iso, "Download or delete")["result"]["downloaded"] == ["pve1"]
    listed = run_playbook(playbook("iso"), extra_vars={"action": "list"})
    assert listed.ok, listed
    volids = [i["volid"] + "@" + i["node"] for i in task_named(listed, "Read the library")["result"]["isos"]]
    assert "local:iso/rescue-tools.iso@pve1" in volids and "local:iso/rescue-tools.iso@pve2" not in volids

    rescue = run_playbook(playbook("rescue"), extra_vars={"server": "web01", "rescue": True,
                                                          "rescue_iso": "rescue-tools.iso"})
    assert rescue.ok, rescue
    config = sim.guest(100)
    assert config["boot"].startswith("order=ide3;") and config["ide3"].startswith("local:iso/rescue-tools.iso")
    home = run_playbook(playbook("rescue"), extra_vars={"server": "web01", "rescue": False})
    assert home.ok, home
    config = sim.guest(100)
    assert config["boot"] == "order=scsi0;ide2;net0" and "ide3" not in config and config["_status"] == "running"
