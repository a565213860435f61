# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node jobs: usage.yml (JSON and CSV reports), migrate.yml and prune_orphans.yml (check mode, then for real)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import csv
import json
import os

from playbook_helpers import playbook, task_named


def test_usage_migrate_prune_jobs(sim, run_playbook, tmp_path):
    sim.reset()
    for vmid, name in ((180, "job-a"), (181, "job-b")):
        sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=vmid, name=name, full=1))
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/180/status/start"))
    report_json, report_csv = str(tmp_path / "usage.json"), str(tmp_path / "usage.csv")
    mark = sim.mark()
    run = run_playbook(playbook("usage"), extra_vars={"period": "hour", "servers": "job-a,job-b",
                                                      "report": report_json})
    assert run.ok, run
    with open(report_json) as handle:
        report = json.load(handle)
    assert [s["vmid"] for s in report["servers"]] == [180, 181] and report["until"] - report["since"] == 3600
    assert report["servers"][0]["netin"] > 0 and report["servers"][1]["netin"] == 0
    run = run_playbook(playbook("usage"), extra_vars={"period": "day", "report": report_csv})
    assert run.ok, run
    with open(report_csv) as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == ["job-a", "job-b"] and int(rows[0]["netout_bytes"]) > 0
    assert sim.writes(mark) == []

    run = run_playbook(playbook("migrate"), extra_vars={"server": "job-a", "node": "pve2"})
    assert run.ok, run
    assert task_named(run, "Move the server")["result"]["node"] == "pve2"
    assert sim.guest(180)["_node"] == "pve2" and sim.guest(180)["_status"] == "running"

    sim.api("DELETE", "/nodes/pve1/qemu/181")
    old = sim.control("POST", "/archive", body={"vmid": 181, "age": 40 * 86400})
    young = sim.control("POST", "/archive", body={"vmid": 181, "age": 3600})
    mark = sim.mark()
    check = run_playbook(playbook("prune_orphans"), extra_vars={"older_than": "30d"}, check=True)
    assert check.ok, check
    assert task_named(check, "Delete the orphaned archives")["result"]["pruned"] == [old]
    assert sim.writes(mark) == []
    run = run_playbook(playbook("prune_orphans"), extra_vars={"older_than": "30d"})
    assert run.ok, run
    assert set(a["volid"] for a in sim.state()["archives"]) == {young}
    assert os.path.exists(report_json)
