# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 14, restore and backup parts, on 7.4 and 9.1: a retried restore changes nothing, a forced restore that fails
names what is left and the safety backup that brings the server back, two backups on one node queue up."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
import yaml

from test_backup import B, api_backup, check_log, make_guest, outcome, task, volids, writes

RELEASES = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


@pytest.fixture
def web(fresh):
    make_guest(fresh, 100, name="web01")
    return fresh


@RELEASES
def test_restore_run_twice_restores_once(web, run_playbook):
    volid = api_backup(web, 100)
    run = run_playbook([task(B, "new", state="restored", volid=volid, vmid=300),
                        task(B, "again", state="restored", volid=volid, vmid=300),
                        task(B, "over", state="restored", volid=volid, vmid=100, force=True, backup_before=False)])
    assert outcome(run, "new")["changed"] is True and not outcome(run, "new")["failed"], outcome(run, "new")
    again = outcome(run, "again")
    assert not again["failed"] and again["changed"] is False and again["already_restored"] is True, again
    assert outcome(run, "over")["changed"] is True, outcome(run, "over")
    mark = web.mark()
    res = outcome(run_playbook([task(B, state="restored", volid=volid, vmid=100, force=True)]))
    assert not res["failed"] and res["changed"] is False and res["safety_backup"] is None, res
    assert writes(web, mark) == []


@RELEASES
def test_failed_forced_restore_names_the_safety_backup_that_brings_the_server_back(web, run_playbook):
    old = api_backup(web, 100)
    web.api("PUT", "/nodes/pve1/qemu/100/config", cores=4, description="customer data since the backup")
    web.fault(kind="task_fail", type="qmrestore", message="command 'vma extract' failed: exit code 133")
    res = outcome(run_playbook([task(B, state="restored", volid=old, vmid=100, force=True)]))
    assert res["failed"] is True
    safety = [v for v in volids(web, 100) if v != old]
    assert len(safety) == 1 and safety[0] in res["msg"], res["msg"]
    assert res["safety_backup"] == safety[0], res                      # a result key, not only in the message
    # it changed something before it failed, and says what (issue 13: a failed run that did change something)
    assert res["changed"] is True and res["changes"][-2:] == ["made the safety backup %s" % safety[0], res["changes"][-1]]
    assert res["changes"][-1].startswith("ran the restore task UPID:") and res["changes"][-1].endswith("which failed")
    back_from = res["safety_backup"]
    assert res["left"]["exists"] is True and res["left"]["stub"] is True and res["left"]["disks"] == [], res["left"]
    assert res["vmid"] == 100 and res["node"] == "pve1"
    assert "empty stub" in res["msg"] and "VM 100" in res["msg"], res["msg"]
    stub = web.guest(100)
    assert "name" not in stub and not [k for k in stub if k.startswith("scsi")]        # real PVE: the old server is gone
    # a routine backup with rotation now would archive the stub and prune the real archives: refused, nothing written
    kept = sorted(volids(web, 100))
    res = outcome(run_playbook([task(B, vmid=100, storage="local", keep_last=1)]))
    assert res["failed"] is True and res.get("option") == "vmid" and "failed restore" in res["msg"], res
    assert sorted(volids(web, 100)) == kept
    res = outcome(run_playbook([task(B, state="restored", volid=back_from, vmid=100, force=True,
                                     backup_before=False)]))
    assert not res["failed"] and res["changed"] is True, res
    back = web.guest(100)
    assert back["name"] == "web01" and int(back["cores"]) == 4
    assert back["description"].startswith("customer data since the backup")


@RELEASES
def test_restore_retried_after_a_failed_one_replaces_the_leftover(web, run_playbook):
    volid = api_backup(web, 100)
    web.fault(kind="task_fail", type="qmrestore")
    run = run_playbook([task(B, "fails", state="restored", volid=volid, vmid=310),
                        task(B, "retry", state="restored", volid=volid, vmid=310)])
    fails = outcome(run, "fails")
    assert fails["failed"] is True and fails["safety_backup"] is None and fails["left"]["stub"] is True, fails
    retry = outcome(run, "retry")
    assert not retry["failed"] and retry["changed"] and retry["replaced_leftover"] is True, retry
    assert retry["safety_backup"] is None and web.guest(310)["name"] == "web01"


def _grow(sim, vmid, size):
    upid = sim.api("PUT", "/nodes/pve1/qemu/%d/resize" % vmid, disk="scsi0", size=size)
    if upid:
        sim.wait_task(upid)


def test_forced_restore_refused_when_the_storage_lacks_room(web, run_playbook):
    # local-lvm on pve1 holds 200G: a 60G archive of 100 does not fit over 102 (2G) once 101 takes 120G
    _grow(web, 100, "60G")
    big = api_backup(web, 100)
    make_guest(web, 101, name="web02")
    _grow(web, 101, "120G")
    make_guest(web, 102, name="small")
    mark = web.mark()
    res = outcome(run_playbook([task(B, state="restored", volid=big, vmid=102, force=True)]))
    assert res["failed"] is True and res.get("option") == "storage" and "local-lvm" in res["msg"], res
    assert writes(web, mark) == [] and web.guest(102)["name"] == "small"


@RELEASES
def test_two_backups_on_one_node_run_one_after_the_other(web, run_playbook):
    make_guest(web, 101, name="web02")
    web.fault(kind="task_duration", type="vzdump", seconds=200, count=1)
    first = web.api("POST", "/nodes/pve1/vzdump", vmid="100", storage="local", remove=0)
    res = outcome(run_playbook([task(B, vmid=101, storage="local", wait_timeout=120)]))
    assert not res["failed"] and res["volid"] in volids(web, 101), res
    assert web.wait_task(first)["exitstatus"] == "OK"
    log = [line["t"] for line in web.api("GET", "/nodes/pve1/tasks/%s/log" % res["tasks"][-1]["upid"], limit=50)]
    assert log[0] == "INFO: trying to get global lock - waiting..."


@RELEASES
def test_zz_request_log_is_valid(sim):
    check_log(sim)


def test_zz_request_log_is_valid_default(sim):
    check_log(sim)


def test_second_restore_while_the_first_runs_is_refused(web, run_playbook):
    """A restore of the vmid is under way (its stub is unlocked): a second one is refused before any write, not
    started over it as if the stub were a failed restore's leftover."""
    volid = api_backup(web, 100)
    web.fault(kind="task_duration", type="qmrestore", seconds=200, count=1)
    first = outcome(run_playbook([task(B, state="restored", volid=volid, vmid=320, wait=False)]))
    assert not first["failed"] and first["changed"] is True, first
    mark = web.mark()
    second = outcome(run_playbook([task(B, state="restored", volid=volid, vmid=320, force=True, wait=False)]))
    assert second["failed"] is True and "being restored" in second["msg"], second
    assert writes(web, mark) == []


@RELEASES
@pytest.mark.parametrize("fault", [{"kind": "status", "status": 596}, {"kind": "drop"}], ids=["596", "drop"])
def test_archive_delete_with_a_lost_answer_finds_its_task(web, run_playbook, fault):
    """The DELETE of an archive answered 596 or cut off: the imgdel task it started is found and waited for, the
    archive is gone, the run succeeds; the DELETE is sent once."""
    volid = api_backup(web, 100)
    web.fault(method="DELETE", path="/storage/local/content/", count=1, **fault)
    mark = web.mark()
    res = outcome(run_playbook([task(B, state="absent", volid=volid)]))
    assert not res["failed"] and res["changed"] is True, res
    assert volid not in volids(web, 100)
    assert [t["type"] for t in res["tasks"]] == ["imgdel"] and res["tasks"][0]["exitstatus"] == "OK", res
    assert [w[0] for w in writes(web, mark)] == ["DELETE"]


@RELEASES
def test_backups_at_once_on_one_node_queue_and_rotate_only_their_own(web, run_playbook, tmp_path):
    """Three jotun_backup runs at once on pve1 (forks): two of server 100, one of 101, each with keep_last: 1. vzdump
    runs one job per node, so they queue (within wait_timeout) and all succeed; no rotation removes an archive
    another run just made, nor the protected one."""
    make_guest(web, 101, name="web02")
    protected = api_backup(web, 100, protected=True)
    # the first job to get the node's lock runs ~10 s (speed 20): the others' POSTs come while it runs
    web.fault(kind="task_duration", type="vzdump", seconds=200, count=1)
    hosts = {"b1": 100, "b2": 100, "b3": 101}
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": dict(
        (h, {"ansible_connection": "local", "vmid": v}) for h, v in hosts.items())}}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False,
                                         "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                                         "tasks": [{"name": "t", B: {"vmid": "{{ vmid }}", "storage": "local",
                                                                     "keep_last": 1, "wait_timeout": 300}}]}]))
    run = run_playbook(str(playbook), inventory=str(inventory), forks=3)
    assert run.ok, run.stdout
    results = dict((h, run.task("t", host=h)) for h in hosts)
    made = dict((h, r["volid"]) for h, r in results.items())
    assert len(set(made.values())) == 3, made
    waited = [h for h, r in results.items() if "INFO: trying to get global lock - waiting..." in [
        line["t"] for line in web.api("GET", "/nodes/pve1/tasks/%s/log" % r["tasks"][-1]["upid"], limit=5)]]
    assert len(waited) >= 2, ("the backups did not run at the same time", results)
    # each run reports the archive its own task wrote (from the task's log), and neither run's rotation removed
    # the other's: an archive that appeared while a run's backup ran is left to later rotations
    for host in ("b1", "b2"):
        log = [line["t"] for line in web.api("GET", "/nodes/pve1/tasks/%s/log" % results[host]["tasks"][-1]["upid"],
                                             limit=50)]
        assert [line for line in log if made[host].split("/")[-1] in line and "creating" in line], (host, log)
        assert results[host]["pruned"] == [], results[host]
    assert volids(web, 100) == {protected, made["b1"], made["b2"]}
    assert made["b3"] in volids(web, 101)
    # the next backup's rotation applies keep_last: 1 to all of them but the protected one
    res = outcome(run_playbook([task(B, vmid=100, storage="local", keep_last=1)]))
    assert not res["failed"] and sorted(res["pruned"]) == sorted([made["b1"], made["b2"]]), res
    assert volids(web, 100) == {protected, res["volid"]}
