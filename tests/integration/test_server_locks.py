# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server against PVE's real config/power semantics (issue 12): waiting out a guest lock instead of re-sending
refused writes, a stale digest in each release's wording, refused writes reported unchanged, tags as PVE stores
them, shutdown of a stopped server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pytest

M = "jotunheim.proxmox.jotun_server"
BOTH = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def run_one(run_playbook, sim, options):
    mark = sim.mark()
    run = run_playbook([{"name": "s", M: options}])
    return run, run.task("s"), sim.requests(mark)


def build(run_playbook, sim, name, **options):
    options.update(name=name, template="debian-12")
    run, result, unused = run_one(run_playbook, sim, options)
    assert run.ok, run
    return result


def refused_writes(requests):
    return [r for r in requests if r["method"] in ("PUT", "POST", "DELETE") and r["status"] >= 400]


@BOTH
def test_change_during_backup_waits_for_the_lock(sim, run_playbook):
    sim.reset()
    built = build(run_playbook, sim, "bk1", state="started")
    sim.fault(kind="task_duration", type="vzdump", seconds=60)          # 3 s at speed 20
    sim.api("POST", "/nodes/%s/vzdump" % built["node"], vmid=built["vmid"], storage="local", mode="snapshot")
    deadline = time.monotonic() + 10                # the job sets `lock: backup` as it reaches the guest
    while sim.guest(built["vmid"]).get("lock") != "backup":
        assert time.monotonic() < deadline, "the backup never locked the guest"
        time.sleep(0.02)
    run, result, requests = run_one(run_playbook, sim, {"name": "bk1", "cores": 4, "state": "stopped"})
    assert run.ok, run
    assert result["changed"] is True and result["status"] == "stopped"
    config = sim.guest(built["vmid"])
    assert int(config["cores"]) == 4 and "lock" not in config
    refused = refused_writes(requests)
    for entry in refused:
        same = [r for r in refused if (r["method"], r["path"]) == (entry["method"], entry["path"])]
        assert len(same) <= 2, refused
    assert [t for t in sim.state()["tasks"] if t["type"] == "qmshutdown" and t["exitstatus"] == "OK"]


@BOTH
def test_stale_digest_is_reread_and_replanned(sim, run_playbook):
    sim.reset()
    built = build(run_playbook, sim, "dg1")
    wording = "checksum missmatch" if sim.pve == "7.4" else "checksum mismatch"
    sim.fault(kind="status", method="PUT", path=r"/qemu/\d+/config$", status=500, count=1,
              message=wording + " (file change by other user?)")
    run, result, requests = run_one(run_playbook, sim, {"name": "dg1", "cores": 3})
    assert run.ok, run
    assert result["changed"] is True and int(sim.guest(built["vmid"])["cores"]) == 3
    puts = [r for r in requests if r["method"] == "PUT" and r["path"].endswith("/config")]
    assert [p["status"] for p in puts] == [500, 200]


def test_refused_config_write_is_no_change(sim, run_playbook):
    sim.reset()
    built = build(run_playbook, sim, "rf1")
    sim.fault(kind="status", method="PUT", path=r"/qemu/\d+/config$", status=500, count=1,
              message="hotplug problem - refused")
    run, result, unused = run_one(run_playbook, sim, {"name": "rf1", "cores": 3})
    assert not run.ok and "refused" in result["msg"]
    assert result["changed"] is False and int(sim.guest(built["vmid"])["cores"]) != 3


@BOTH
def test_tags_compared_as_pve_stores_them(sim, run_playbook):
    sim.reset()
    built = build(run_playbook, sim, "tg1", tags=["Web", "db"])
    assert sim.guest(built["vmid"])["tags"] == "db;web"
    run, result, requests = run_one(run_playbook, sim, {"name": "tg1", "tags": ["Web", "db"]})
    assert run.ok and result["changed"] is False
    assert [r for r in requests if r["method"] != "GET" and "/access/ticket" not in r["path"]] == []


def test_shutdown_of_a_stopped_server_is_no_change(sim, run_playbook):
    sim.reset()
    built = build(run_playbook, sim, "sd1", state="started")
    sim.wait_task(sim.api("POST", "/nodes/%s/qemu/%s/status/stop" % (built["node"], built["vmid"])))
    run, result, requests = run_one(run_playbook, sim, {"name": "sd1", "state": "stopped"})
    assert run.ok and result["changed"] is False and result["status"] == "stopped"
    assert refused_writes(requests) == [] and not [r for r in requests if r["method"] == "POST"]


def test_ssh_key_comment_refused_before_any_write(sim, run_playbook):
    sim.reset()
    run, result, requests = run_one(run_playbook, sim, {
        "name": "ssh1", "template": "debian-12",
        "sshkeys": ["# ops team", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJotun ops@jotun"]})
    assert not run.ok and result["changed"] is False
    assert "sshkeys" in result["msg"] and "comment" in result["msg"] and "Traceback" not in run.stdout
    assert [r for r in requests if r["method"] != "GET" and "/access/ticket" not in r["path"]] == []
