# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One server per name at every moment (issue 12): runs started while another run's clone is in flight, or right
after it while /cluster/resources does not name the new guest yet, find that clone and never clone again.

The simulators here broadcast guest stats every 600 simulated seconds, so every run of a test sees the new guest
the way a real cluster shows it in the ~10 s after a clone: no name, status "unknown".
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time

import pytest

M = "jotunheim.proxmox.jotun_server"
LAG = ["--broadcast-interval", "600"]
RELEASES = ["7.4", "9.1"]


def server_task(options):
    return {"name": "s", M: options}


def run_server(sim, options, results, key):
    from harness import run_playbook
    run = run_playbook(sim, [server_task(options)])
    results[key] = (run, run.task("s"))


def clone_posts(sim):
    return [e for e in sim.requests(method="POST") if e["path"].endswith("/clone") and e["status"] == 200]


def servers_named(sim, name):
    state = sim.state()
    return [g for g in state["guests"] if g["config"].get("name") == name and not g["template"]]


def bare_template(sim):
    """Template 9100 'bare-12' without a cloud-init drive: a clone of it is clone_vm's nameless temporary config
    until its only disk is copied, that is for the whole clone."""
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=9100, name="bare-12", full=1))
    sim.api("PUT", "/nodes/pve1/qemu/9100/config", delete="ide2")
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9100/template"))


@pytest.mark.parametrize("pve", RELEASES)
def test_runs_during_and_right_after_a_clone_make_one_server(sim_factory, pve):
    sim = sim_factory(pve=pve, speed=5, args=LAG)
    sim.fault(kind="task_duration", type="qmclone", seconds=60, count=1)
    options = {"name": "one1", "template": "debian-12", "cores": 2}
    results = {}
    run_server(sim, dict(options, wait=False), results, "first")
    run, first = results["first"]
    assert run.ok, run
    assert first["step"] == "clone" and first["changed"] is True
    listed = [r for r in sim.api("GET", "/cluster/resources", type="vm") if r["vmid"] == first["vmid"]]
    assert listed and "name" not in listed[0] and listed[0]["status"] == "unknown"      # the broadcast lags
    threads = [threading.Thread(target=run_server, args=(sim, options, results, key)) for key in ("second", "third")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for key in ("second", "third"):
        run, result = results[key]
        assert run.ok, run
        assert result["vmid"] == first["vmid"] and result["step"] == "done"
    run_server(sim, options, results, "after")             # right after: still not broadcast
    run, after = results["after"]
    assert run.ok, run
    assert after["vmid"] == first["vmid"] and after["changed"] is False
    assert len(clone_posts(sim)) == 1
    assert [g["vmid"] for g in servers_named(sim, "one1")] == [first["vmid"]]


@pytest.mark.parametrize("pve", RELEASES)
def test_a_run_waits_for_a_nameless_clone(sim_factory, pve):
    sim = sim_factory(pve=pve, speed=5, args=LAG)
    bare_template(sim)
    sim.fault(kind="task_duration", type="qmclone", seconds=40, count=1)
    options = {"name": "bare1", "template": "bare-12", "cores": 2}
    results = {}
    run_server(sim, dict(options, wait=False), results, "first")
    run, first = results["first"]
    assert run.ok, run
    vmid = first["vmid"]
    assert set(sim.api("GET", "/nodes/pve1/qemu/%d/config" % vmid)) == {"lock", "digest"}   # still nameless
    run_server(sim, options, results, "second")
    run, second = results["second"]
    assert run.ok, run
    assert second["vmid"] == vmid and second["step"] == "done"
    assert len(clone_posts(sim)) == 2                       # the template's own clone and the first run's
    assert [g["vmid"] for g in servers_named(sim, "bare1")] == [vmid]


@pytest.mark.parametrize("pve", RELEASES)
def test_power_decision_reads_the_current_status(sim_factory, pve):
    """A server started a moment ago still shows status "stopped" in /cluster/resources: state=stopped must stop it."""
    sim = sim_factory(pve=pve, speed=20, args=LAG)
    results = {}
    run_server(sim, {"name": "pw2", "template": "debian-12", "state": "started"}, results, "built")
    run, built = results["built"]
    assert run.ok, run
    listed = [r for r in sim.api("GET", "/cluster/resources", type="vm") if r["vmid"] == built["vmid"]][0]
    assert listed.get("status") != "running"
    run_server(sim, {"name": "pw2", "state": "stopped", "force_stop": True}, results, "stopped")
    run, stopped = results["stopped"]
    assert run.ok, run
    assert stopped["changed"] is True and stopped["status"] == "stopped"
    assert sim.guest(built["vmid"])["_status"] == "stopped"


@pytest.mark.parametrize("pve", RELEASES)
def test_same_named_guests_need_vmid(sim_factory, pve):
    sim = sim_factory(pve=pve, speed=20)
    for newid in (150, 151):
        sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=newid, name="twin", full=0))
    results = {}
    run_server(sim, {"name": "twin", "cores": 3}, results, "no_vmid")
    run, result = results["no_vmid"]
    assert not run.ok
    assert "give vmid" in result["msg"] and "150" in result["msg"] and "151" in result["msg"]
    mark = sim.mark()
    run_server(sim, {"name": "twin", "vmid": 151, "cores": 3}, results, "vmid")
    run, result = results["vmid"]
    assert run.ok, run
    assert result["vmid"] == 151 and result["changed"] is True
    assert int(sim.guest(151)["cores"]) == 3 and int(sim.guest(150)["cores"]) == 2
    assert all("/151/" in w["path"] for w in sim.writes(mark))
    run_server(sim, {"name": "other", "vmid": 151}, results, "mismatch")
    run, result = results["mismatch"]
    assert not run.ok and "vmid" in result["msg"] and "twin" in result["msg"]


@pytest.mark.parametrize("pve", RELEASES)
def test_a_reused_vmid_under_its_old_broadcast_name_is_not_a_second_server(sim_factory, pve):
    """/cluster/resources still names a destroyed guest's vmid after the old guest until the next broadcast: a run
    for the new guest's name finds it through the current names and clones nothing; a run for the old name does
    not act on the new guest."""
    sim = sim_factory(pve=pve, speed=20, args=LAG)
    results = {}
    run_server(sim, {"name": "ra", "template": "debian-12"}, results, "ra")
    assert results["ra"][0].ok, results["ra"][0]
    sim.control("POST", "/broadcast")                      # 'ra' is now in the broadcast under its vmid
    vmid = results["ra"][1]["vmid"]
    run_server(sim, {"name": "ra", "state": "absent"}, results, "gone")
    run_server(sim, {"name": "rb", "template": "debian-12", "vmid": vmid}, results, "rb")
    assert results["rb"][0].ok, results["rb"][0]
    listed = [r for r in sim.api("GET", "/cluster/resources", type="vm") if r["vmid"] == vmid]
    assert listed[0].get("name") == "ra"                    # the listing lags: the precondition of this test
    mark = sim.mark()
    run_server(sim, {"name": "rb", "template": "debian-12"}, results, "again")
    run, again = results["again"]
    assert run.ok, run
    assert again["changed"] is False and again["vmid"] == vmid
    assert len(servers_named(sim, "rb")) == 1 and sim.writes(mark) == []
    run_server(sim, {"name": "ra", "state": "absent"}, results, "old_name")
    run, old = results["old_name"]
    assert run.ok and old["changed"] is False, run
    assert len(servers_named(sim, "rb")) == 1 and sim.writes(mark) == []


def test_parallel_starts_of_one_server_all_succeed(sim_factory):
    """Runs that start one server together each send a start; Proxmox runs the first and ends the others "VM N
    already running" in their tasks: those runs read the status and report the server running, not a failure."""
    sim = sim_factory(pve="9.1", speed=1, args=LAG)
    results = {}
    run_server(sim, {"name": "par1", "template": "debian-12", "state": "stopped"}, results, "built")
    assert results["built"][0].ok, results["built"][0]
    vmid = results["built"][1]["vmid"]
    sim.fault(kind="task_duration", type="qmstart", seconds=9, count=1)     # the first start holds the lock 9 s
    first = threading.Thread(target=run_server, args=(sim, {"name": "par1", "state": "started"}, results, "a"))
    first.start()
    deadline = time.monotonic() + 30
    while not [t for t in sim.state()["tasks"] if t["type"] == "qmstart"]:
        assert time.monotonic() < deadline, "the first run never started the server"
        time.sleep(0.05)
    keys = ("b", "c")                      # they see it stopped, send their own start, and wait for the lock
    threads = [threading.Thread(target=run_server, args=(sim, {"name": "par1", "state": "started"}, results, key))
               for key in keys]
    for thread in threads:
        thread.start()
    for thread in [first] + threads:
        thread.join()
    for key in ("a",) + keys:
        run, result = results[key]
        assert run.ok, run
        assert result["vmid"] == vmid and result["status"] == "running"
    starts = [t for t in sim.state()["tasks"] if t["type"] == "qmstart"]
    assert len([t for t in starts if t["exitstatus"] == "OK"]) == 1
    assert len([t for t in starts if t["exitstatus"] == "VM %d already running" % vmid]) == 2, starts
