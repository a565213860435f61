# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""backup.yml and restore.yml, and the backup_policy role, against the simulator."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from playbook_helpers import archives_of, failure_message, guest_named, playbook, task_named


@pytest.fixture(scope="module")
def db(sim):
    """db7, a running server to back up."""
    from harness import run_playbook
    sim.reset()
    run = run_playbook(sim, [{"name": "build", "jotunheim.proxmox.jotun_server": {
        "name": "db7", "template": "debian-12", "memory": 1024, "description": "original", "state": "started"}}])
    assert run.ok, run
    return guest_named(sim, "db7")


def test_backup_makes_an_archive_and_reports_it(sim, run_playbook, db):
    mark = sim.mark()
    run = run_playbook(playbook("backup"), extra_vars={"server": "db7", "notes": "nightly"})
    assert run.ok, run
    result = task_named(run, "Back up the server")["result"]
    archives = archives_of(sim, db["vmid"])
    assert [a["volid"] for a in archives] == [result["volid"]]
    assert archives[0]["notes"] == "nightly"
    vzdump = [w for w in sim.writes(mark) if w["path"].endswith("/vzdump")]
    assert len(vzdump) == 1 and vzdump[0]["path"].startswith("/api2/json/nodes/%s/" % db["node"])
    assert "backup %s" % result["volid"] in run.stdout


def test_backup_max_age_makes_no_second_one(sim, run_playbook, db):
    mark = sim.mark()
    run = run_playbook(playbook("backup"), extra_vars={"server": "db7", "max_age": "1h"})
    assert run.ok, run
    assert task_named(run, "Back up the server")["result"]["changed"] is False
    assert sim.writes(mark) == []
    assert "recent enough - no new one" in run.stdout


def test_backup_rotation_keeps_the_newest(sim, run_playbook, db):
    for unused in range(2):
        run = run_playbook(playbook("backup"), extra_vars={"server": "db7"})
        assert run.ok, run
    assert len(archives_of(sim, db["vmid"])) == 3
    run = run_playbook(playbook("backup"), extra_vars={"server": "db7", "keep_last": 2})
    assert run.ok, run
    result = task_named(run, "Back up the server")["result"]
    left = archives_of(sim, db["vmid"])
    assert len(left) == 2 and left[-1]["volid"] == result["volid"]
    assert len(result["pruned"]) == 2


def test_backup_refuses_rotation_without_waiting(sim, run_playbook, db):
    mark = sim.mark()
    run = run_playbook(playbook("backup"), extra_vars={"server": "db7", "keep_last": 2, "wait": False})
    assert not run.ok
    assert "keep_last: rotation runs after the backup succeeded, so it needs wait=true" in failure_message(run)
    assert sim.writes(mark) == []


def test_restore_needs_overwrite_confirmed(sim, run_playbook, db):
    mark = sim.mark()
    run = run_playbook(playbook("restore"), extra_vars={"server": "db7"})
    assert not run.ok
    assert "overwrite: restoring over db7 replaces its disks and config; confirm with overwrite=true" in \
        failure_message(run)
    assert sim.writes(mark) == []


def test_restore_newest_archive_over_the_server(sim, run_playbook, db):
    newest = archives_of(sim, db["vmid"])[-1]["volid"]
    broken = run_playbook([{"name": "break", "jotunheim.proxmox.jotun_server": {
        "name": "db7", "memory": 256, "description": "", "state": "stopped", "force_stop": True}}])
    assert broken.ok, broken
    mark = sim.mark()
    run = run_playbook(playbook("restore"), extra_vars={"server": "db7", "overwrite": True})
    assert run.ok, run
    restores = [w for w in sim.writes(mark) if w["method"] == "POST" and w["path"].endswith("/qemu")]
    assert len(restores) == 1 and restores[0]["params"]["archive"] == newest
    guest = guest_named(sim, "db7")
    assert guest["vmid"] == db["vmid"] and str(guest["config"]["memory"]) == "1024"
    # the archive's description, plus the restore mark that makes a retried restore a no-op
    assert guest["config"]["description"].splitlines() == ["original", "jotun: restored from " + newest]
    assert guest["status"] == "running"
    # the job run again (an AWX retry) picks the same archive, not the safety backup, and restores nothing
    mark = sim.mark()
    again = run_playbook(playbook("restore"), extra_vars={"server": "db7", "overwrite": True})
    assert again.ok, again
    assert sim.writes(mark) == []
    assert "already restored" in again.task("Report the restore")["msg"]


def test_restore_brings_back_a_deleted_server(sim, run_playbook, db):
    volid = archives_of(sim, db["vmid"])[0]["volid"]
    gone = run_playbook([{"name": "delete", "jotunheim.proxmox.jotun_server": {
        "name": "db7", "state": "absent", "force_stop": True}}])
    assert gone.ok, gone
    assert guest_named(sim, "db7") is None
    refused = run_playbook(playbook("restore"), extra_vars={"server": "db7"})
    assert not refused.ok
    assert "volid: there is no server named db7; name the archive to bring it back from" in failure_message(refused)
    mark = sim.mark()
    run = run_playbook(playbook("restore"), extra_vars={"server": "db7", "volid": volid, "start": False})
    assert run.ok, run
    restores = [w for w in sim.writes(mark) if w["method"] == "POST" and w["path"].endswith("/qemu")]
    assert len(restores) == 1 and restores[0]["params"]["archive"] == volid and "force" not in restores[0]["params"]
    guest = guest_named(sim, "db7")
    assert guest["vmid"] == db["vmid"] and guest["status"] == "stopped"


def test_backup_policy_role_waiting_one_by_one(sim, run_playbook, db):
    mark = sim.mark()
    run = run_playbook([{"name": "policy", "ansible.builtin.include_role": {"name": "jotunheim.proxmox.backup_policy"},
                         "vars": {"backup_policy_names": ["db7"], "backup_policy_max_age": "",
                                  "backup_policy_keep_last": 1}}])
    assert run.ok, run
    report = task_named(run, "Publish the report")["result"]["ansible_facts"]["backup_policy_report"]
    assert [(r["name"], r["new"]) for r in report] == [("db7", True)]
    assert [a["volid"] for a in archives_of(sim, db["vmid"])] == [report[0]["volid"]]
    assert len([w for w in sim.writes(mark) if w["path"].endswith("/vzdump")]) == 1


def test_backup_policy_role_names_a_missing_server(sim, run_playbook, db):
    mark = sim.mark()
    run = run_playbook([{"name": "policy", "ansible.builtin.include_role": {"name": "jotunheim.proxmox.backup_policy"},
                         "vars": {"backup_policy_names": ["db7", "nosuch"]}}])
    assert not run.ok
    assert "no such server: nosuch" in failure_message(run)
    assert sim.writes(mark) == []


def test_backup_policy_role_all_at_once_then_rotation(sim, run_playbook, db):
    run = run_playbook(playbook("backup"), extra_vars={"server": "db7"})
    assert run.ok, run
    before = [a["volid"] for a in archives_of(sim, db["vmid"])]
    assert len(before) >= 2
    mark = sim.mark()
    run = run_playbook([{"name": "policy", "ansible.builtin.include_role": {"name": "jotunheim.proxmox.backup_policy"},
                         "vars": {"backup_policy_vmids": [db["vmid"]], "backup_policy_max_age": "",
                                  "backup_policy_keep_last": 1, "backup_policy_wait": False}}])
    assert run.ok, run
    started = task_named(run, "Start every backup without waiting")["result"]["results"]
    assert started[0]["volid"] is None and started[0]["tasks"][0]["status"] == "running"
    waited = task_named(run, "Wait for all of them in one step")["result"]
    assert waited["counts"] == {"ok": 1, "warnings": 0, "failed": 0, "running": 0, "unknown": 0}
    report = task_named(run, "Publish the report")["result"]["ansible_facts"]["backup_policy_report"]
    after = [a["volid"] for a in archives_of(sim, db["vmid"])]
    assert after == [report[0]["volid"]] and after[0] not in before
    assert sorted(report[0]["pruned"]) == sorted(before)
    deletes = [w for w in sim.writes(mark) if w["method"] == "DELETE" and "/content/" in w["path"]]
    assert len(deletes) == len(before)


def test_backup_policy_role_selects_by_pool(sim, run_playbook, db):
    """Servers built into pools (jotun_server pool:); the role backs up a pool's servers plus the ones named."""
    built = run_playbook([{"name": "build %s" % name, "jotunheim.proxmox.jotun_server": {
        "name": name, "template": "debian-12", "memory": 512, "pool": pool}}
        for name, pool in (("shop1", "customers"), ("shop2", "customers"), ("vpn1", "internal"))])
    assert built.ok, built
    guests = dict((name, guest_named(sim, name)) for name in ("shop1", "shop2", "vpn1"))
    assert [guests[n]["pool"] for n in ("shop1", "shop2", "vpn1")] == ["customers", "customers", "internal"]
    assert guest_named(sim, "db7")["pool"] is None
    mark = sim.mark()
    run = run_playbook([{"name": "policy", "ansible.builtin.include_role": {"name": "jotunheim.proxmox.backup_policy"},
                         "vars": {"backup_policy_pools": ["customers"], "backup_policy_names": ["db7"],
                                  "backup_policy_max_age": ""}}])
    assert run.ok, run
    report = task_named(run, "Publish the report")["result"]["ansible_facts"]["backup_policy_report"]
    expected = sorted([guests["shop1"]["vmid"], guests["shop2"]["vmid"], db["vmid"]])
    assert [r["vmid"] for r in report] == expected and all(r["new"] for r in report)
    vzdump = [w for w in sim.writes(mark) if w["path"].endswith("/vzdump")]
    assert sorted(int(w["params"]["vmid"]) for w in vzdump) == expected
    assert archives_of(sim, guests["vpn1"]["vmid"]) == []
    for name in ("shop1", "shop2"):
        assert [a["volid"] for a in archives_of(sim, guests[name]["vmid"])] == \
            [r["volid"] for r in report if r["name"] == name]
