# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A rebuild whose run does not see its clone end (``wait: false``, ``wait_timeout`` passing during the clone) loses
nothing: the carried settings stay in the name reservation until written to the new clone, and the next run of the
same task finishes the rebuild (docs/server.md "Rebuild"), on 7.4 and 9.1. The server then has its old config (only
server/carry.py's DOCUMENTED_DIFFERENCES differ), MACs, ipconfig, firewall, data disk (empty, same size) and pool."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from test_backup import check_log
from test_server_rebuild import SECRET, comparable, customer_server

M = "jotunheim.proxmox.jotun_server"
RELEASES = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def run_one(run_playbook, sim, options):
    mark = sim.mark()
    run = run_playbook([{"name": "s", M: options}])
    return run, run.task("s"), sim.writes(mark)


def reservations(sim, name):
    return [g for g in sim.state()["guests"] if (g["config"].get("name") or "").endswith("." + name)
            and (g["config"].get("name") or "").startswith("jotun-rebuild-")]


def with_firewall(sim, node, vmid):
    """The server's own firewall: options, the ipfilter set of net0 and two rules (one disabled)."""
    base = "/nodes/%s/qemu/%s/firewall" % (node, vmid)
    sim.api("PUT", base + "/options", enable=1, ipfilter=1, policy_in="DROP")
    sim.api("POST", base + "/ipset", name="ipfilter-net0", comment="net0")
    sim.api("POST", base + "/ipset/ipfilter-net0", cidr="198.51.100.7")
    sim.api("POST", base + "/rules", type="in", action="ACCEPT", proto="tcp", dport="22", enable=1)
    sim.api("POST", base + "/rules", type="out", action="DROP", proto="tcp", dport="25", enable=0, comment="no smtp")
    return firewall(sim, vmid)


def firewall(sim, vmid):
    state = dict(sim.state()["firewall"].get(str(vmid)) or {})
    state.pop("digest", None)
    return state


def wait_tasks(sim, result):
    for task in result.get("tasks") or []:
        sim.wait_task(task["upid"], timeout=120)


def check_finished(sim, run_playbook, name, vmid, before, fw_before):
    after = sim.guest(vmid)
    assert comparable(after) == comparable(before), (comparable(before), comparable(after))
    assert after["net0"] == before["net0"] and after["ipconfig0"] == before["ipconfig0"]
    assert after["_pool"] == "customers" and after["_status"] == "running"
    assert firewall(sim, vmid) == fw_before
    assert not reservations(sim, name)
    run, again, writes = run_one(run_playbook, sim, {"name": name, "state": "started"})
    assert run.ok and again["changed"] is False and writes == [], (again, writes)


@RELEASES
def test_rebuild_with_wait_false_is_finished_by_the_next_run(sim, run_playbook):
    sim.reset()
    vmid, node = customer_server(run_playbook, sim, "later01")
    fw_before = with_firewall(sim, node, vmid)
    before = sim.guest(vmid)
    task = {"name": "later01", "template": "debian-12", "state": "rebuilt", "cipassword": SECRET, "wait": False}
    run, result, writes = run_one(run_playbook, sim, task)
    assert run.ok, run
    assert result["changed"] is True and result["step"] == "clone" and result["vmid"] == vmid, result
    assert len(reservations(sim, "later01")) == 1
    wait_tasks(sim, result)
    # the clone ended: the server is the template's clone until a run writes the carried settings back
    assert sim.guest(vmid)["net0"] != before["net0"]
    for attempt in range(4):
        run, result, writes = run_one(run_playbook, sim, task)
        assert run.ok, run
        assert result["vmid"] == vmid and result["changed"] is True
        # the run finishes the rebuild: no second destroy, no second clone
        assert not [w for w in writes if w["path"].endswith("/clone")
                    or (w["method"] == "DELETE" and w["path"].endswith("/qemu/%d" % vmid))], writes
        wait_tasks(sim, result)
        if not reservations(sim, "later01"):
            break
    assert attempt < 3 and SECRET not in run.stdout
    check_finished(sim, run_playbook, "later01", vmid, before, fw_before)


@RELEASES
@pytest.mark.slow
def test_rebuild_whose_wait_timeout_passes_during_the_clone_is_finished_by_the_next_run(sim, run_playbook):
    sim.reset()
    vmid, node = customer_server(run_playbook, sim, "later02")
    fw_before = with_firewall(sim, node, vmid)
    before = sim.guest(vmid)
    task = {"name": "later02", "template": "debian-12", "state": "rebuilt", "cipassword": SECRET, "wait_timeout": 15}
    sim.fault(kind="task_duration", type="qmclone", seconds=600, count=1)       # 30 s at speed 20
    run, result, writes = run_one(run_playbook, sim, task)
    assert not run.ok and run.status("s") == "failed", run
    assert "unfinished" in result["msg"] and "run the task again" in result["msg"], result
    assert len(reservations(sim, "later02")) == 1
    assert len([w for w in writes if w["path"].endswith("/clone")]) == 1
    # the same task, with time for the clone: it waits for the clone and writes the carried settings
    run, result, writes = run_one(run_playbook, sim, dict(task, wait_timeout=120))
    assert run.ok, run
    assert result["changed"] is True and result["step"] == "done" and result["vmid"] == vmid
    assert not [w for w in writes if w["path"].endswith("/clone")], writes
    check_finished(sim, run_playbook, "later02", vmid, before, fw_before)


@RELEASES
def test_zz_request_log_is_valid(sim):
    check_log(sim)
