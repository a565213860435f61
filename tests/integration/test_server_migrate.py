# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server moving an existing server to another node (node + allow_migrate) through ansible-playbook."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

M = "jotunheim.proxmox.jotun_server"
pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def task(title, **options):
    return {"name": title, M: options, "ignore_errors": True}


@pytest.fixture(scope="module")
def servers(sim):
    """mv-stopped (160) and mv-running (161, started) on pve1, disks on local-lvm."""
    sim.reset()
    for vmid, name in ((160, "mv-stopped"), (161, "mv-running")):
        sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=vmid, name=name, full=1))
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/161/status/start"))
    return sim


def test_node_without_allow_migrate_fails_before_any_write(servers, run_playbook):
    mark = servers.mark()
    run = run_playbook([task("typo", name="mv-stopped", node="pve2")])
    result = run.task("typo")
    assert run.status("typo") == "ignored" and result["msg"].startswith("node: ") and "allow_migrate" in result["msg"]
    assert servers.writes(mark) == [] and servers.guest(160)["_node"] == "pve1"


def test_refused_targets_change_nothing(servers, run_playbook):
    servers.fault(kind="storage_unavailable", node="pve2", storage="local-lvm")
    mark = servers.mark()
    run = run_playbook([
        task("no storage", name="mv-stopped", node="pve2", allow_migrate=True),
        task("bad storage", name="mv-stopped", node="pve2", allow_migrate=True, migrate_storage="nope"),
        task("no node", name="mv-stopped", node="pve9", allow_migrate=True),
    ])
    servers.clear_faults()
    no_storage = run.task("no storage")
    assert run.status("no storage") == "ignored" and no_storage["msg"].startswith("node: storage 'local-lvm'")
    assert run.task("bad storage")["msg"].startswith("migrate_storage: storage 'nope'")
    assert run.task("no node")["msg"].startswith("node: 'pve9' is not a node")
    # not enough memory: a running server bigger than pve2's free memory
    servers.api("PUT", "/nodes/pve1/qemu/161/config", memory="65536")
    run = run_playbook([task("memory", name="mv-running", node="pve2", allow_migrate=True)])
    servers.api("PUT", "/nodes/pve1/qemu/161/config", memory="2048")
    assert run.task("memory")["msg"].startswith("node: pve2 has ") and "memory" in run.task("memory")["msg"]
    assert [w for w in servers.writes(mark) if w["path"].endswith("/migrate")] == []
    assert servers.guest(160)["_node"] == "pve1" and servers.guest(161)["_node"] == "pve1"


@pytest.mark.slow
def test_migrate_stopped_and_running_then_rerun(servers, run_playbook):
    check = run_playbook([task("check", name="mv-stopped", node="pve2", allow_migrate=True)], check=True, diff=True)
    assert check.task("check")["changed"] is True and check.task("check")["diff"]["after"]["node"] == "pve2"
    assert servers.guest(160)["_node"] == "pve1"
    mark = servers.mark()
    moves = [task("stopped", name="mv-stopped", node="pve2", allow_migrate=True),
             task("running", name="mv-running", node="pve2", allow_migrate=True, state="started")]
    run = run_playbook(moves)
    assert run.ok and not run.failed(), run
    for title, vmid, status in (("stopped", 160, "stopped"), ("running", 161, "running")):
        result = run.task(title)
        assert result["changed"] is True and result["node"] == "pve2" and result["status"] == status, result
        assert [t["type"] for t in result["tasks"]] == ["qmigrate"]
        guest = servers.guest(vmid)
        assert guest["_node"] == "pve2" and guest["_status"] == status and "lock" not in guest
        assert guest["scsi0"].startswith("local-lvm:vm-%d-disk-0," % vmid)
    posts = dict((w["path"].split("/")[-2], w["params"]) for w in servers.writes(mark) if w["path"].endswith("/migrate"))
    assert posts["160"]["target"] == "pve2" and "online" not in posts["160"]
    assert posts["161"]["online"] in (1, "1", True) and posts["161"]["with-local-disks"] in (1, "1", True)
    volumes = dict((v["volid"], v["node"]) for v in servers.state()["volumes"] if v["vmid"] in (160, 161))
    assert set(volumes.values()) == {"pve2"}
    mark = servers.mark()
    again = run_playbook(moves)
    assert again.ok and [again.task(t)["changed"] for t in ("stopped", "running")] == [False, False]
    assert servers.writes(mark) == []


def test_no_wait_returns_the_task_and_the_next_run_waits_for_it(servers, run_playbook):
    """mv-stopped to the other node with wait: false; a run without node waits for that migration."""
    target = "pve1" if servers.guest(160)["_node"] == "pve2" else "pve2"
    servers.fault(kind="task_duration", type="qmigrate", seconds=120)      # 6 s real: still running at the next run
    started = run_playbook([task("back", name="mv-stopped", node=target, allow_migrate=True, wait=False)])
    result = started.task("back")
    assert result["changed"] is True and result["step"] == "migrate"
    assert [(t["type"], t["status"]) for t in result["tasks"]] == [("qmigrate", "running")]
    mark = servers.mark()
    after = run_playbook([task("after", name="mv-stopped", cores=2)])
    assert after.ok and after.task("after")["node"] == target, after.task("after")
    assert [t["type"] for t in after.task("after")["tasks"]][:1] == ["qmigrate"]      # waited for, not started
    assert [w for w in servers.writes(mark) if w["path"].endswith("/migrate")] == []
    assert servers.guest(160)["_node"] == target
