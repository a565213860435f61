# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleet_resize.yml (many resizes fire-and-forget, one wait) and wait.yml, on 7.4 (no resize task) and 9.1."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from playbook_helpers import guest_named, playbook, task_named

NAMES = ["fleet1", "fleet2", "fleet3"]


def build_fleet(run_playbook):
    run = run_playbook([{"name": "build", "jotunheim.proxmox.jotun_server": {
        "name": "{{ item }}", "template": "debian-12", "tags": ["fleet"], "state": "present"},
        "loop": NAMES}])
    assert run.ok, run


@pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
def test_fleet_resize_starts_all_then_waits_once(sim, run_playbook):
    sim.reset()
    build_fleet(run_playbook)
    mark = sim.mark()
    run = run_playbook(playbook("fleet_resize"), extra_vars={"server_tags": "fleet", "disk_size": "10G"})
    assert run.ok, run
    started = task_named(run, "Start every disk resize without waiting")["result"]["results"]
    assert [r["item"]["name"] for r in started] == NAMES
    assert all(r["changed"] and r["status"] in ("in_progress", "done") for r in started)
    waited = task_named(run, "See how the tasks ended")["result"]
    assert waited["counts"]["failed"] == 0 and waited["counts"]["running"] == 0
    resizes = [w for w in sim.writes(mark) if w["path"].endswith("/resize")]
    assert len(resizes) == 3, "each disk is resized exactly once"
    for name in NAMES:
        assert "size=10G" in guest_named(sim, name)["config"]["scsi0"]
    mark = sim.mark()
    again = run_playbook(playbook("fleet_resize"), extra_vars={"servers": NAMES, "disk_size": "10G"})
    assert again.ok, again
    assert sim.writes(mark) == []


def test_fleet_resize_names_missing_servers(sim, run_playbook):
    sim.reset()
    mark = sim.mark()
    run = run_playbook(playbook("fleet_resize"), extra_vars={"servers": "nosuch1,nosuch2", "disk_size": "10G"})
    assert not run.ok
    assert "servers: no such server: nosuch1, nosuch2" in run.failed()[0]["result"]["msg"]
    assert sim.writes(mark) == []


def test_wait_playbook_finishes_fire_and_forget_work(sim, run_playbook):
    sim.reset()
    started = run_playbook([{"name": "start", "jotunheim.proxmox.jotun_server": {
        "name": "later1", "template": "debian-12", "wait": False}, "register": "started"}])
    assert started.ok, started
    upids = [t["upid"] for t in started.task("start")["tasks"]]
    assert upids
    run = run_playbook(playbook("wait"), extra_vars={"upids": ",".join(upids)}, args=("-v",))
    assert run.ok, run
    result = task_named(run, "See how the tasks ended")["result"]
    # with -v a line per wait round: the counts and the running tasks' progress
    rounds = [r for r in run.results if r["task"].endswith("Say where the tasks are")]
    assert rounds and "wait round 1: " in run.stdout and " ok, 0 warnings, 0 failed, " in run.stdout
    assert [t["upid"] for t in result["tasks"]] == upids and all(t["status"] == "stopped" for t in result["tasks"])
    state = {t["upid"]: t for t in sim.state()["tasks"]}
    assert all(state[u]["exitstatus"] == "OK" for u in upids)
