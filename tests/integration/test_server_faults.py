# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server under faults: half-built servers, failing clones, 596, dropped connections, lock contention,
parallel builds, and bad input."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import tempfile

import pytest
import yaml

from harness import run_playbook as _run_playbook

M = "jotunheim.proxmox.jotun_server"


def run_one(run_playbook, sim, options, check=False):
    mark = sim.mark()
    run = run_playbook([{"name": "s", M: options}], check=check)
    return run, run.task("s"), sim.writes(mark)


def guests_named(sim, name):
    """The guests named `name` as they are now (the simulator's state: /cluster/resources names a new guest only
    after pvestatd's next broadcast, and its status lags too)."""
    return [{"vmid": g["vmid"], "node": g["node"], "name": name, "status": g["status"], "lock": g["lock"]}
            for g in sim.state()["guests"] if g["config"].get("name") == name]


def test_half_built_clone_done_config_not(sim, run_playbook):
    sim.reset()
    sim.fault(kind="status", method="PUT", path=r"/qemu/\d+/config$", status=500, count=1, message="injected failure")
    wanted = {"name": "half1", "template": "debian-12", "cores": 3, "memory": 1024, "state": "started"}
    run, result, unused = run_one(run_playbook, sim, wanted)
    assert not run.ok and "injected failure" in result["msg"]
    assert result["step"] == "configure" and result.get("vmid")
    run, result, writes = run_one(run_playbook, sim, wanted)
    assert run.ok, run
    assert result["changed"] is True and result["status"] == "running"
    assert not any(w["path"].endswith("/clone") for w in writes), "a half-built server must not be cloned again"
    assert int(sim.guest(result["vmid"])["cores"]) == 3
    run, again, writes = run_one(run_playbook, sim, wanted)
    assert run.ok and again["changed"] is False and writes == []


def test_failed_clone_fails_with_log_then_converges(sim, run_playbook):
    sim.reset()
    sim.fault(kind="task_fail", type="qmclone", message="clone failed: injected storage error", count=1)
    wanted = {"name": "cf1", "template": "debian-12", "cores": 2}
    run, result, unused = run_one(run_playbook, sim, wanted)
    assert not run.ok
    assert "injected storage error" in result["msg"] + " ".join(result.get("log_tail") or [])
    assert result["step"] == "clone"
    run, result, writes = run_one(run_playbook, sim, wanted)
    assert run.ok, run
    assert result["changed"] is True and int(sim.guest(result["vmid"])["cores"]) == 2
    assert len(guests_named(sim, "cf1")) == 1


@pytest.mark.parametrize("state", ["rebuilt", "absent", "present"])
def test_failed_clone_partial_guest_can_be_rebuilt_deleted_or_converged(sim, run_playbook, state):
    """A clone that died without cleaning up leaves a guest with lock: clone and no task: made here by hand."""
    sim.reset()
    run, built, unused = run_one(run_playbook, sim, {"name": "cf2", "template": "debian-12", "cores": 2})
    assert run.ok, run
    sim.api("PUT", "/nodes/%s/qemu/%s/config" % (built["node"], built["vmid"]), lock="clone")
    # Only root@pam may skiplock (an API token's user is "root@pam!name"): with a token the run refuses before any
    # write and says how to unlock it.
    run, result, writes = run_one(run_playbook, sim, {"name": "cf2", "template": "debian-12", "state": state,
                                                      "cores": 2})
    assert not run.ok and writes == [] and result["changed"] is False
    assert "skiplock" in result["msg"] and "qm unlock %s" % built["vmid"] in result["msg"]
    mark = sim.mark()
    run = _run_playbook(sim, [{"name": "s", M: {"name": "cf2", "template": "debian-12", "state": state, "cores": 2}}],
                        auth="password")
    result, writes = run.task("s"), sim.writes(mark)
    assert run.ok, run
    assert result["changed"] is True
    assert any(w["method"] == "DELETE" and "skiplock" in w["params"] for w in writes)
    left = guests_named(sim, "cf2")
    if state == "absent":
        assert left == [] and result["status"] == "absent"
    else:
        assert len(left) == 1 and not left[0].get("lock") and left[0]["vmid"] == built["vmid"]
        assert int(sim.guest(built["vmid"])["cores"]) == 2


@pytest.mark.parametrize("fault", [
    {"kind": "status", "method": "POST", "path": r"/clone$", "status": 596, "count": 1},
    {"kind": "drop", "method": "POST", "path": r"/clone$", "count": 1},
    {"kind": "status", "method": "PUT", "path": r"/qemu/\d+/config$", "status": 596, "count": 1},
    {"kind": "drop", "method": "PUT", "path": r"/qemu/\d+/config$", "count": 1},
    {"kind": "status", "method": "POST", "path": r"/status/start$", "status": 596, "count": 1},
    {"kind": "drop", "method": "POST", "path": r"/status/start$", "count": 1},
])
def test_unknown_outcomes_end_correct(sim, run_playbook, fault):
    sim.reset()
    sim.fault(**fault)
    wanted = {"name": "unk1", "template": "debian-12", "cores": 2, "state": "started"}
    run, result, writes = run_one(run_playbook, sim, wanted)
    assert run.ok, run                      # every one of these is reconciled by reading the real state
    assert result["status"] == "running" and int(sim.guest(result["vmid"])["cores"]) == 2
    assert len([w for w in writes if w["path"].endswith("/clone")]) == 1, "clone re-sent after an unknown outcome"
    run, result, writes = run_one(run_playbook, sim, wanted)
    assert run.ok and result["changed"] is False and writes == [], run
    assert len(guests_named(sim, "unk1")) == 1 and result["status"] == "running"


@pytest.mark.parametrize("fault", [
    {"kind": "status", "method": "DELETE", "path": r"/qemu/\d+$", "status": 596, "count": 1},
    {"kind": "drop", "method": "DELETE", "path": r"/qemu/\d+$", "count": 1},
    {"kind": "drop", "method": "POST", "path": r"/status/stop$", "count": 1},
])
def test_unknown_outcomes_of_delete(sim, run_playbook, fault):
    sim.reset()
    run, built, unused = run_one(run_playbook, sim, {"name": "del1", "template": "debian-12", "state": "started"})
    assert run.ok, run
    sim.fault(**fault)
    run, result, writes = run_one(run_playbook, sim, {"name": "del1", "state": "absent", "force_stop": True})
    assert run.ok, run
    assert result["status"] == "absent" and guests_named(sim, "del1") == []
    assert len([w for w in writes if w["method"] == "DELETE"]) == 1
    # the lost answer's qmdestroy task was looked up and waited for, not guessed from the guest's absence
    assert [t["exitstatus"] for t in result["tasks"] if t["type"] == "qmdestroy"] == ["OK"], result["tasks"]


def test_config_lock_held_is_waited_out(sim, run_playbook):
    sim.reset()
    run, built, unused = run_one(run_playbook, sim, {"name": "lock1", "template": "debian-12"})
    assert run.ok, run
    sim.fault(kind="hold_lock", vmid=built["vmid"], seconds=15)
    run, result, unused = run_one(run_playbook, sim, {"name": "lock1", "cores": 4})
    assert run.ok, run
    assert result["changed"] is True and int(sim.guest(built["vmid"])["cores"]) == 4


def fork_play(prefix, count, options):
    """(inventory path, playbook path, host names): `count` local hosts running one jotun_server task (name "s")
    with `options` at once, as forks of one ansible-playbook."""
    workdir = tempfile.mkdtemp(prefix=prefix + "-")
    inventory = os.path.join(workdir, "hosts.yml")
    hosts = ["%s%02d" % (prefix, i) for i in range(count)]
    with open(inventory, "w") as handle:
        yaml.safe_dump({"all": {"hosts": dict((h, {"ansible_connection": "local"}) for h in hosts)}}, handle)
    playbook = os.path.join(workdir, "play.yml")
    with open(playbook, "w") as handle:
        yaml.safe_dump([{"hosts": "all", "gather_facts": False,
                         "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                         "tasks": [{"name": "s", M: options}]}], handle)
    return inventory, playbook, hosts


def test_parallel_builds_all_succeed(sim):
    sim.reset()
    inventory, playbook, hosts = fork_play("par", 10, {"name": "{{ inventory_hostname }}", "template": "debian-12",
                                                       "cores": 2, "state": "started"})
    run = _run_playbook(sim, playbook, inventory=inventory, forks=10)
    assert run.ok, run
    results = [run.task("s", host=h) for h in hosts]
    assert len(set(r["vmid"] for r in results)) == 10
    for host in hosts:
        found = guests_named(sim, host)
        assert len(found) == 1 and found[0]["status"] == "running"
    again = _run_playbook(sim, playbook, inventory=inventory, forks=10)
    assert again.ok and not any(again.task("s", host=h)["changed"] for h in hosts)


def test_parallel_runs_of_one_name_end_on_one_server(sim):
    """Forks that build the same name together all look before any has cloned, so several clone; each run that
    finds, after its clone, an older server of that name removes its own copy and goes on with that one."""
    sim.reset()
    for round_ in range(2):
        name = "twin%d" % round_
        options = {"name": name, "template": "debian-12", "cores": 2, "state": "started"}
        inventory, playbook, hosts = fork_play("fork", 3, options)
        # each clone request is held 1.5 s before Proxmox sees it: every fork looks while none has cloned yet
        sim.fault(kind="latency", method="POST", path="/clone$", seconds=1.5, count=3)
        mark = sim.mark()
        run = _run_playbook(sim, playbook, inventory=inventory, forks=3)
        assert run.ok, run
        results = [run.task("s", host=h) for h in hosts]
        assert len(sim.requests(mark, method="POST", path="/clone")) >= 2          # the race did happen
        found = guests_named(sim, name)
        assert len(found) == 1 and found[0]["status"] == "running", found
        assert set(r["vmid"] for r in results) == {found[0]["vmid"]}


@pytest.mark.parametrize("options,option", [
    ({"name": "bad1", "template": "centos-5"}, "template"),
    ({"name": "bad1"}, "template"),
    ({"name": "bad1", "template": "debian-12", "memory": 0}, "memory"),
    ({"name": "bad1", "template": "debian-12", "ipconfig": [{"ip": "10.0.0.5", "gw": "10.0.0.1"}]}, "ipconfig"),
    ({"name": "bad1", "template": "debian-12", "ipconfig": [{"ip": "dhcp", "gw": "10.0.0.1"}]}, "ipconfig"),
    ({"name": "bad1", "template": "debian-12", "mac": "01:02"}, "mac"),
])
def test_bad_input_names_the_option(sim, run_playbook, options, option):
    sim.reset()
    run, result, writes = run_one(run_playbook, sim, options)
    assert not run.ok
    assert result["msg"].startswith(option), result["msg"]
    assert writes == []


def test_shrink_and_duplicate_name(sim, run_playbook):
    sim.reset()
    run, built, unused = run_one(run_playbook, sim, {"name": "dup1", "template": "debian-12", "disk_size": "20G"})
    assert run.ok, run
    run, result, writes = run_one(run_playbook, sim, {"name": "dup1", "disk_size": "10G"})
    assert not run.ok and result["msg"].startswith("disk_size:") and "shrink" in result["msg"] and writes == []
    # a second guest with the same name, made behind the module's back
    upid = sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=built["vmid"] + 50, name="dup1", full=1)
    sim.wait_task(upid)
    run, result, writes = run_one(run_playbook, sim, {"name": "dup1", "cores": 2})
    assert not run.ok and result["msg"].startswith("name:") and writes == []
