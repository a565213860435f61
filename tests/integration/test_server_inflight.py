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
    # the other modules that find a server by name share the lookup (cluster.find_named)
    from harness import run_playbook
    mark = sim.mark()
    backup = "jotunheim.proxmox.jotun_backup"
    resize = "jotunheim.proxmox.jotun_disk_resize"
    run = run_playbook(sim, [
        {"name": "b", backup: {"name": "twin", "storage": "local"}, "ignore_errors": True},
        {"name": "r", resize: {"name": "twin", "disk": "scsi0", "increase": "1G"}, "ignore_errors": True},
        {"name": "r151", resize: {"name": "twin", "vmid": 151, "disk": "scsi0", "increase": "1G"}},
        {"name": "b151", backup: {"vmid": 151, "storage": "local"}, "check_mode": True},     # vmid alone there
    ])
    assert run.ok, [r["result"].get("msg") for r in run.results if r["status"] == "failed"]
    for task in ("b", "r"):
        assert run.status(task) == "ignored"
        assert "give vmid" in run.task(task)["msg"] and "150" in run.task(task)["msg"], run.task(task)
    assert run.task("r151")["vmid"] == 151 and run.task("r151")["changed"] is True
    assert run.task("b151")["vmid"] == 151
    assert [w["path"] for w in sim.writes(mark)] == ["/api2/json/nodes/pve1/qemu/151/resize"]


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
    # backups by name share the confirmed lookup: 'ra' is not the guest now holding its old vmid
    from harness import run_playbook
    info = "jotunheim.proxmox.jotun_backup_info"
    run = run_playbook(sim, [{"name": "ra", info: {"name": "ra"}, "ignore_errors": True},
                             {"name": "rb", info: {"name": "rb", "vmid": vmid}}])
    assert run.status("ra") == "ignored" and "no guest is named 'ra'" in run.task("ra")["msg"], run
    assert run.status("rb") == "ok", run


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


def test_a_run_during_a_rebuild_waits_for_it(sim_factory):
    """A run arriving between a rebuild's destroy and its clone finds no guest of the name: the rebuild keeps the
    name reserved (a config-only guest) meanwhile, so the run waits for it and goes on with the rebuilt server."""
    sim = sim_factory(pve="9.1", speed=5, args=LAG)
    results = {}
    options = {"name": "rbd1", "template": "debian-12"}
    run_server(sim, options, results, "built")
    assert results["built"][0].ok, results["built"][0]
    vmid = results["built"][1]["vmid"]
    mark = sim.mark()
    # the rebuild's clone request is answered 8 s late: the old guest is gone and no new one exists meanwhile
    sim.fault(kind="latency", method="POST", path=r"/qemu/\d+/clone$", seconds=8, count=1)
    rebuild = threading.Thread(target=run_server, args=(sim, dict(options, state="rebuilt"), results, "rebuild"))
    rebuild.start()
    deadline = time.monotonic() + 60
    while not [e for e in sim.requests(mark, method="DELETE") if e["path"].endswith("/qemu/%d" % vmid)] \
            or vmid in [g["vmid"] for g in sim.state()["guests"]]:
        assert time.monotonic() < deadline, "the rebuild never destroyed the server"
        time.sleep(0.05)
    run_server(sim, dict(options, cores=2), results, "second")
    rebuild.join()
    for key in ("rebuild", "second"):
        run, result = results[key]
        assert run.ok, run
        assert result["vmid"] == vmid
    requests = sim.requests(mark)
    writes = [(e["method"], e["path"].split("/api2/json")[-1]) for e in requests if e["method"] != "GET"
              and "/access/ticket" not in e["path"]]
    destroy = writes.index(("DELETE", "/nodes/pve1/qemu/%d" % vmid))
    assert writes[destroy - 1] == ("POST", "/nodes/pve1/qemu")        # the reservation, before the destroy
    assert len([w for w in writes[destroy:] if w[1].endswith("/clone")]) == 1
    assert [g["vmid"] for g in servers_named(sim, "rbd1")] == [vmid]
    assert not [g for g in sim.state()["guests"] if (g["config"].get("name") or "").startswith("jotun-rebuild-")]
    assert int(sim.guest(vmid)["cores"]) == 2


def test_absent_follows_a_clone_to_its_target_node(sim_factory):
    """A server being cloned to another node has its config on the template's node until the clone ends, then on
    the target: state=absent waits for the clone there and destroys the server where it ends up."""
    sim = sim_factory(pve="9.1", speed=5, args=LAG)
    sim.fault(kind="task_duration", type="qmclone", seconds=20, count=1)
    results = {}
    run_server(sim, {"name": "mv1", "template": "debian-12-ceph", "node": "pve1", "wait": False}, results, "first")
    run, first = results["first"]
    assert run.ok and first["step"] == "clone", run
    vmid = first["vmid"]
    mark = sim.mark()
    run_server(sim, {"name": "mv1", "state": "absent"}, results, "absent")
    run, result = results["absent"]
    assert run.ok, run
    assert result["changed"] is True and result["status"] == "absent"
    assert vmid not in [g["vmid"] for g in sim.state()["guests"]]
    deletes = [e for e in sim.requests(mark, method="DELETE") if e["path"].endswith("/qemu/%d" % vmid)]
    assert [(e["path"].split("/api2/json")[-1], e["status"]) for e in deletes] == [
        ("/nodes/pve1/qemu/%d" % vmid, 200)]
