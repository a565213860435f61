# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server through ansible-playbook against the simulator: every state, idempotence, check mode, diff."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

M = "jotunheim.proxmox.jotun_server"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm8J+example+key/a= ops@example"
SECRET = "Sup3r-s3cret-pw"


def server_task(options):
    return {"name": "s", M: options}


def full_build(**extra):
    options = {
        "name": "web01", "template": "debian-12", "cores": 2, "memory": 2048, "disk_size": "12G",
        "bridge": "vmbr0", "vlan": 20, "rate_limit": 12.5, "firewall": True, "onboot": True, "agent": True,
        "tags": ["web", "customer-42"], "description": "customer 42 web server", "ciuser": "ops",
        "cipassword": SECRET, "sshkeys": [KEY], "ipconfig": [{"ip": "203.0.113.10/24", "gw": "203.0.113.1"}],
        "nameservers": ["1.1.1.1", "9.9.9.9"], "searchdomain": "example.net",
    }
    options.update(extra)
    return options


def run_one(run_playbook, sim, options, check=False, diff=False):
    mark = sim.mark()
    run = run_playbook([server_task(options)], check=check, diff=diff)
    return run, run.task("s"), sim.requests(mark), sim.writes(mark)


def assert_no_secret(run, result):
    assert SECRET not in run.stdout
    assert SECRET not in str(result)


@pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
def test_build_started_then_idempotent(sim, run_playbook):
    sim.reset()
    run, result, unused, writes = run_one(run_playbook, sim, full_build(state="started"))
    assert run.ok, run
    assert result["changed"] is True and result["status"] == "running" and result["step"] == "done"
    vmid, node = result["vmid"], result["node"]
    assert {t["type"] for t in result["tasks"]} >= {"qmclone", "qmstart"}
    guest = sim.guest(vmid)
    assert guest["name"] == "web01" and int(guest["cores"]) == 2 and guest["_status"] == "running"
    assert "tag=20" in guest["net0"] and "rate=12.5" in guest["net0"] and "firewall=1" in guest["net0"]
    assert "%20" in guest["sshkeys"] and guest["ipconfig0"] == "ip=203.0.113.10/24,gw=203.0.113.1"
    assert result["config"]["cipassword"] == "**********"
    assert any(w["path"].endswith("/cloudinit") for w in writes), "cloud-init drive not regenerated"
    assert any(w["path"].endswith("/resize") for w in writes)
    config_writes = [w for w in writes if w["path"].endswith("/config")]
    assert config_writes and all("digest" in w["params"] for w in config_writes)
    assert_no_secret(run, result)

    run2, again, requests, writes2 = run_one(run_playbook, sim, full_build(state="started"))
    assert run2.ok, run2
    assert again["changed"] is False, again
    # the cipassword given again is not set (password_update: on_create): a warning, through module.warn (passing
    # warnings to exit_json is deprecated in ansible-core 2.19 and printed a DEPRECATION WARNING on every such run)
    assert [w for w in again.get("warnings") or [] if w.startswith("cipassword:")], again
    assert "DEPRECATION" not in run2.stdout, run2.stdout
    assert "diff" not in again      # returned in diff mode only
    assert again["vmid"] == vmid and again["node"] == node
    assert writes2 == []
    assert len([r for r in requests if "/access/" not in r["path"]]) <= 4, [r["path"] for r in requests]


def test_check_mode_sends_no_write_and_predicts(sim, run_playbook):
    sim.reset()
    run, result, unused, writes = run_one(run_playbook, sim, full_build(state="started", cores=3), check=True, diff=True)
    assert run.ok, run
    assert result["changed"] is True and writes == []
    assert result["diff"]["after"]["state"] == "present" and result["diff"]["after"]["status"] == "running"
    assert result["diff"]["after"]["cores"] == 3 and result["diff"]["after"]["disk_size"] == "12G"
    assert result["config"]["cores"] == "3" and result["status"] == "running" and result["vmid"] is None
    assert not [g for g in sim.state()["guests"] if g.get("name") == "web01"]
    assert_no_secret(run, result)

    run, built, unused_requests, unused_writes = run_one(run_playbook, sim, full_build(state="present"))
    assert run.ok, run
    run, checked, unused, writes = run_one(run_playbook, sim, full_build(state="stopped", cores=4, memory=4096),
                                           check=True, diff=True)
    assert run.ok, run
    assert checked["changed"] is True and writes == []
    assert checked["diff"]["before"]["cores"] == 2 and checked["diff"]["after"]["cores"] == 4
    assert int(sim.guest(built["vmid"])["cores"]) == 2


def test_diff_masks_secrets_and_shows_changes(sim, run_playbook):
    sim.reset()
    run, built, unused_requests, unused_writes = run_one(run_playbook, sim, full_build())
    assert run.ok, run
    run, result, unused, writes = run_one(run_playbook, sim, full_build(memory=3072, tags=["web"], cipassword="n3w-" + SECRET,
                                          password_update="always"), diff=True)
    assert run.ok, run
    assert result["changed"] is True
    assert result["diff"]["before"]["memory"] == 2048 and result["diff"]["after"]["memory"] == 3072
    assert result["diff"]["after"]["tags"] == ["web"]
    assert "cipassword" in result["diff"]["after"]
    assert "n3w-" + SECRET not in run.stdout and SECRET not in str(result["diff"])
    assert any("cipassword" in w["params"] for w in writes)
    # password_update: on_create leaves the (unknowable) password alone on an existing server
    run, result, unused, writes = run_one(run_playbook, sim, full_build(memory=3072, tags=["web"]))
    assert run.ok and result["changed"] is False and writes == []


def test_stop_start_restart_present(sim, run_playbook):
    sim.reset()
    run, built, unused_requests, unused_writes = run_one(run_playbook, sim, {"name": "pw1", "template": "ubuntu-24.04", "state": "started"})
    assert run.ok, run
    for state, status in (("stopped", "stopped"), ("started", "running")):
        run, result, unused, writes = run_one(run_playbook, sim, {"name": "pw1", "state": state})
        assert run.ok, run
        assert result["changed"] is True and result["status"] == status
        assert writes and all("/status/" in w["path"] for w in writes)
        assert sim.guest(built["vmid"])["_status"] == status
        run, again, unused, writes = run_one(run_playbook, sim, {"name": "pw1", "state": state})
        assert run.ok and again["changed"] is False and writes == []
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "pw1", "state": "restarted"})
    assert run.ok and result["changed"] is True
    assert [w["path"].rsplit("/", 1)[-1] for w in writes] == ["reboot"]
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "pw1", "state": "present", "cores": 3})
    assert run.ok and result["changed"] is True and result["status"] == "running"


def test_pending_reported_then_applied_with_reboot(sim, run_playbook):
    sim.reset()
    run, built, unused_requests, unused_writes = run_one(run_playbook, sim, {"name": "pend1", "template": "debian-12", "state": "started"})
    assert run.ok, run
    run, result, unused_requests, unused_writes = run_one(run_playbook, sim, {"name": "pend1", "state": "started", "memory": 3072})
    assert run.ok and result["changed"] is True
    pending = result["pending"]
    if not pending:
        pytest.skip("the simulator applied the memory change live")
    assert "memory" in pending
    run, again, unused, writes = run_one(run_playbook, sim, {"name": "pend1", "state": "started", "memory": 3072})
    assert run.ok and again["changed"] is False and writes == [] and "memory" in again["pending"]
    run, applied, unused, writes = run_one(run_playbook, sim, {"name": "pend1", "state": "started", "memory": 3072,
                                           "apply_pending": "reboot"})
    assert run.ok and applied["changed"] is True and applied["pending"] == {}
    assert [w["path"].rsplit("/", 1)[-1] for w in writes] == ["reboot"]


def test_absent_stops_only_with_force_stop(sim, run_playbook):
    sim.reset()
    run, built, unused_requests, unused_writes = run_one(run_playbook, sim, {"name": "gone1", "template": "debian-12", "state": "started"})
    assert run.ok, run
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "gone1", "state": "absent"})
    assert not run.ok and "force_stop" in result["msg"] and writes == []
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "gone1", "state": "absent", "force_stop": True})
    assert run.ok and result["changed"] is True and result["status"] == "absent"
    assert [w["method"] for w in writes] == ["POST", "DELETE"]
    assert sim.guest(built["vmid"]) is None
    run, again, unused, writes = run_one(run_playbook, sim, {"name": "gone1", "state": "absent"})
    assert run.ok and again["changed"] is False and writes == []


def test_rebuilt_keeps_identity(sim, run_playbook):
    sim.reset()
    run, built, unused_requests, unused_writes = run_one(run_playbook, sim, full_build(state="started"))
    assert run.ok, run
    before = sim.guest(built["vmid"])
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "web01", "template": "debian-12", "state": "rebuilt",
                                          "cipassword": SECRET})
    assert run.ok, run
    assert result["changed"] is True and result["vmid"] == built["vmid"] and result["node"] == built["node"]
    assert any(w["method"] == "DELETE" for w in writes) and any(w["path"].endswith("/clone") for w in writes)
    after = sim.guest(built["vmid"])
    for key in ("net0", "ipconfig0", "sshkeys", "ciuser", "nameserver", "searchdomain", "tags", "cores", "memory"):
        assert after.get(key) == before.get(key), key
    assert after["_status"] == "running"
    # present afterwards is a no-op: a rebuild happens only when asked for
    run, again, unused, writes = run_one(run_playbook, sim, {"name": "web01", "template": "debian-12", "state": "started"})
    assert run.ok and again["changed"] is False and writes == []


@pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
def test_build_placement_per_node_and_shared_storage(sim, run_playbook):
    """A template on per-node storage builds on its own node only; one on shared storage (9003 on ceph-vm, config
    on pve2) anywhere. A node the template cannot reach is refused before any write."""
    sim.reset()
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "rocky1", "template": "rocky-9", "node": "pve1"})
    assert not run.ok and writes == []
    assert result["msg"].startswith("node: cannot build on pve1") and "'local-lvm' is not shared" in result["msg"]
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "rocky1", "template": "rocky-9"})
    assert run.ok, run
    clone = [w for w in writes if w["path"].endswith("/clone")][0]
    assert "/nodes/pve2/qemu/9002/clone" in clone["path"] and "target" not in clone["params"]
    assert result["node"] == "pve2" and sim.guest(result["vmid"])["_node"] == "pve2"
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "deb1", "template": "debian-12-ceph",
                                                              "node": "pve1", "state": "started"})
    assert run.ok, run
    clone = [w for w in writes if w["path"].endswith("/clone")][0]
    assert "/nodes/pve2/qemu/9003/clone" in clone["path"] and clone["params"]["target"] == "pve1"
    assert result["node"] == "pve1" and sim.guest(result["vmid"])["_node"] == "pve1"
    run, again, unused, writes = run_one(run_playbook, sim, {"name": "deb1", "template": "debian-12-ceph",
                                                             "state": "started"})
    assert run.ok and again["changed"] is False and writes == []
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "deb2", "template": "debian-12-ceph"})
    assert run.ok, run
    assert result["node"] in ("pve1", "pve2") and sim.guest(result["vmid"])["_node"] == result["node"]


def test_same_named_template_copy_on_the_wanted_node_is_used(sim, run_playbook):
    """Operators keep a copy of a per-node template on each node under one name: `node` picks the copy there."""
    sim.reset()
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=9010, name="rocky-9", full=1))
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9010/template"))
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "rocky2", "template": "rocky-9", "node": "pve1"})
    assert run.ok, run
    clone = [w for w in writes if w["path"].endswith("/clone")][0]
    assert "/nodes/pve1/qemu/9010/clone" in clone["path"] and "target" not in clone["params"]
    assert result["node"] == "pve1"
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "rocky3", "template": "rocky-9", "node": "pve2"})
    assert run.ok, run
    assert "/nodes/pve2/qemu/9002/clone" in [w for w in writes if w["path"].endswith("/clone")][0]["path"]


def test_bridge_missing_on_the_node_refused_before_any_write(sim, run_playbook):
    """PVE accepts a netN on a bridge the node lacks and fails only at start; jotun_server checks the node's
    bridges (GET /nodes/{node}/network?type=any_bridge) first."""
    sim.reset()
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "br1", "template": "debian-12",
                                                              "bridge": "vmbr9"})
    assert not run.ok and writes == []
    assert result["msg"].startswith("bridge: 'vmbr9' is not a bridge of pve1 (pve1 has vmbr0, vmbr1)")
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "br1", "template": "debian-12",
                                                              "bridge": "vmbr1", "vlan": 30, "state": "started"})
    assert run.ok, run
    assert "bridge=vmbr1" in sim.guest(result["vmid"])["net0"] and result["status"] == "running"
    # an existing server: the same check before the config write (PVE would take it and fail at the next start)
    run, refused, unused, writes = run_one(run_playbook, sim, {"name": "br1", "bridge": "vmbr9"})
    assert not run.ok and writes == [] and refused.get("changed") is False
    assert refused["msg"].startswith("bridge: 'vmbr9' is not a bridge of pve1"), refused["msg"]
    run, refused, unused, writes = run_one(run_playbook, sim, {"name": "br1", "bridge": ""})
    assert not run.ok and writes == [] and refused["msg"].startswith("bridge: '' is not a bridge name"), refused


def test_wait_false_returns_at_the_clone_step(sim, run_playbook):
    sim.reset()
    sim.fault(kind="task_duration", type="qmclone", seconds=60, count=1)
    run, result, unused_requests, unused_writes = run_one(run_playbook, sim, {"name": "slow1", "template": "debian-12", "wait": False, "cores": 2})
    assert run.ok, run
    assert result["changed"] is True and result["step"] == "clone"
    assert [t["type"] for t in result["tasks"]] == ["qmclone"] and result["tasks"][0]["upid"].startswith("UPID:")
    run, done, unused_requests, unused_writes = run_one(run_playbook, sim, {"name": "slow1", "template": "debian-12", "cores": 2})
    assert run.ok, run
    assert done["step"] == "done" and done["vmid"] == result["vmid"]
    assert int(sim.guest(result["vmid"])["cores"]) == 2


def test_refused_shutdown_fails_with_log_and_hint(sim, run_playbook):
    sim.reset()
    run, built, unused_requests, unused_writes = run_one(run_playbook, sim, {"name": "shut1", "template": "debian-12", "state": "started"})
    assert run.ok, run
    # a guest that ignores ACPI: the shutdown task fails after `timeout`; forceStop stops it with a warning
    sim.fault(kind="ignore_acpi", vmid=built["vmid"], count=2)
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "shut1", "state": "stopped", "shutdown_timeout": 5})
    assert not run.ok
    assert "got timeout" in result["msg"] and "force_stop" in result["msg"] and "last log lines" in result["msg"]
    assert result["step"] == "shutdown"
    assert [w["params"] for w in writes if w["path"].endswith("/shutdown")] == [{"timeout": 5, "forceStop": 0}]
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "shut1", "state": "stopped", "force_stop": True,
                                                              "shutdown_timeout": 5})
    assert run.ok and result["status"] == "stopped"
    assert [t["exitstatus"] for t in result["tasks"] if t.get("type") == "qmshutdown"] == ["WARNINGS: 1"]
    assert [w["params"].get("forceStop") for w in writes if w["path"].endswith("/shutdown")] == [1]


def test_restart_of_a_guest_ignoring_acpi_honours_shutdown_timeout_and_force_stop(sim, run_playbook):
    """state restarted: the reboot waits shutdown_timeout for the guest's shutdown (qemu-server vm_reboot's
    ``timeout``); when it does not shut down the run fails with the hint, and with force_stop it is stopped hard and
    started again."""
    sim.reset()
    build = {"name": "rb1", "template": "debian-12", "state": "started"}
    run, built, unused_requests, unused_writes = run_one(run_playbook, sim, build)
    assert run.ok, run
    sim.fault(kind="ignore_acpi", vmid=built["vmid"], count=2)
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "rb1", "state": "restarted", "shutdown_timeout": 5})
    assert not run.ok and result["step"] == "reboot", result
    assert "got timeout" in result["msg"] and "force_stop" in result["msg"], result["msg"]
    assert [w["params"] for w in writes if w["path"].endswith("/reboot")] == [{"timeout": 5}]
    run, result, unused, writes = run_one(run_playbook, sim, {"name": "rb1", "state": "restarted", "shutdown_timeout": 5,
                                                              "force_stop": True})
    assert run.ok and result["changed"] and result["status"] == "running", result
    assert [w["path"].rsplit("/", 1)[-1] for w in writes] == ["reboot", "stop", "start"]
    assert sim.guest(built["vmid"])["_status"] == "running"


def test_rebuilt_and_absent_in_check_mode_send_nothing(sim, run_playbook):
    sim.reset()
    run, built, unused_requests, unused_writes = run_one(run_playbook, sim, {"name": "chk1", "template": "debian-12", "state": "started"})
    assert run.ok, run
    for state in ("rebuilt", "absent", "restarted", "stopped"):
        run, result, unused, writes = run_one(run_playbook, sim, {"name": "chk1", "template": "debian-12", "state": state,
                                              "force_stop": True}, check=True)
        assert run.ok and result["changed"] is True and writes == [], (state, run)
    assert sim.guest(built["vmid"])["_status"] == "running"
