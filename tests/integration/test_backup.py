# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_backup / jotun_backup_info through ansible-playbook against the simulator: results and the request log."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time

import pytest

from pve_schema import validate

B = "jotunheim.proxmox.jotun_backup"
INFO = "jotunheim.proxmox.jotun_backup_info"


# -- helpers: set up guests and archives straight through the API (not through the modules under test) -------------
def make_guest(sim, vmid, template=9000, node="pve1", name=None, start=False):
    upid = sim.api("POST", "/nodes/%s/qemu/%d/clone" % (node, template), newid=vmid, name=name or "srv%d" % vmid, full=1)
    sim.wait_task(upid)
    if start:
        sim.wait_task(sim.api("POST", "/nodes/%s/qemu/%d/status/start" % (node, vmid)))
    return vmid


def api_backup(sim, vmid, node="pve1", storage="local", protected=False):
    params = {"vmid": str(vmid), "storage": storage, "mode": "snapshot", "compress": "zstd", "remove": 0}
    if protected:
        params["protected"] = 1
    status = sim.wait_task(sim.api("POST", "/nodes/%s/vzdump" % node, **params))
    assert status.get("exitstatus") == "OK", status
    return archives(sim, vmid, node, storage)[0]["volid"]


def archives(sim, vmid=None, node="pve1", storage="local"):
    params = {"content": "backup"}
    if vmid is not None:
        params["vmid"] = vmid
    found = sim.api("GET", "/nodes/%s/storage/%s/content" % (node, storage), **params)
    return sorted(found, key=lambda a: (a.get("ctime", 0), a["volid"]), reverse=True)


def volids(sim, vmid=None, node="pve1", storage="local"):
    return set(a["volid"] for a in archives(sim, vmid, node, storage))


def task(module, title="t", **args):
    return {"name": title, module: args, "register": "out", "ignore_errors": True}


def outcome(run, title="t"):
    """The task's result, with `failed` set from the callback's status (ignored failures included)."""
    res = dict(run.task(title))
    res["failed"] = run.status(title) in ("failed", "ignored")
    return res


def writes(sim, since):
    return [(e["method"], e["path"], e["params"]) for e in sim.writes(since)]


def posts(sim, since, fragment):
    return [e for e in sim.requests(since, method="POST") if e["path"].endswith(fragment)]


@pytest.fixture
def web(fresh):
    """A fresh simulator with server 100 (web01, stopped) on pve1."""
    make_guest(fresh, 100, name="web01")
    return fresh


@pytest.fixture
def app(web):
    """web, plus server 110 (app01, stopped) on pve2."""
    make_guest(web, 110, template=9002, node="pve2", name="app01")
    return web


# -- making backups --------------------------------------------------------------------------------------------------
def test_backup_waits_and_reports_the_archive_read_from_storage(web, run_playbook):
    mark = web.mark()
    run = run_playbook([task(B, vmid=100, storage="local", notes="{{ '{{guestname}}' }} nightly")])
    res = outcome(run, "t")
    assert not res.get("failed"), res
    assert res["changed"] is True
    assert res["volid"].startswith("local:backup/vzdump-qemu-100-")
    assert res["volid"] in volids(web, 100)
    assert res["node"] == "pve1" and res["storage"] == "local"
    assert res["size"] > 0 and res["ctime"] > 0 and res["ctime_iso"].endswith("Z")
    assert [t["type"] for t in res["tasks"]] == ["vzdump"] and res["tasks"][0]["exitstatus"] == "OK"
    assert res["pruned"] == []
    sent = posts(web, mark, "/vzdump")
    assert len(sent) == 1
    assert sent[0]["path"] == "/api2/json/nodes/pve1/vzdump"
    params = sent[0]["params"]
    assert str(params["vmid"]) == "100" and params["storage"] == "local" and str(params["remove"]) == "0"
    assert params["compress"] == "zstd" and params["mode"] == "snapshot"
    assert params["notes-template"] == "{{guestname}} nightly"
    # no other write than the backup itself
    assert [w[:2] for w in writes(web, mark)] == [("POST", "/api2/json/nodes/pve1/vzdump")]


def test_backup_goes_to_the_node_holding_the_server(app, run_playbook):
    mark = app.mark()
    run = run_playbook([task(B, "t", name="app01", storage="local")])
    res = outcome(run, "t")
    assert not res.get("failed"), res
    assert res["node"] == "pve2" and res["vmid"] == 110
    assert res["volid"] in volids(app, 110, node="pve2")
    assert [e["path"] for e in posts(app, mark, "/vzdump")] == ["/api2/json/nodes/pve2/vzdump"]


def test_backup_without_waiting_returns_the_upid_at_once(web, run_playbook):
    before = volids(web, 100)
    run = run_playbook([task(B, vmid=100, storage="local", wait=False)])
    res = outcome(run, "t")
    assert not res.get("failed"), res
    assert res["changed"] is True and res["volid"] is None
    assert len(res["tasks"]) == 1 and res["tasks"][0]["upid"].startswith("UPID:pve1:")
    assert res["tasks"][0]["type"] == "vzdump" and res["tasks"][0]["status"] == "running"
    assert web.wait_task(res["tasks"][0]["upid"])["exitstatus"] == "OK"
    assert len(volids(web, 100) - before) == 1


def test_rotation_needs_waiting(web, run_playbook):
    mark = web.mark()
    res = outcome(run_playbook([task(B, vmid=100, storage="local", wait=False, keep_last=2)]))
    assert res["failed"] and "keep_last" in res["msg"] and "wait" in res["msg"]
    assert writes(web, mark) == []


def test_max_age_makes_the_second_run_unchanged(web, run_playbook):
    mark = web.mark()
    run = run_playbook([task(B, "first", vmid=100, storage="local", max_age="1h"),
                        task(B, "second", vmid=100, storage="local", max_age="1h")])
    first, second = outcome(run, "first"), outcome(run, "second")
    assert first["changed"] is True and not first.get("failed"), first
    assert second["changed"] is False and not second.get("failed"), second
    assert second["volid"] == first["volid"]
    assert len(posts(web, mark, "/vzdump")) == 1


def test_check_mode_changes_nothing(web, run_playbook):
    api_backup(web, 100)
    mark = web.mark()
    run = run_playbook([task(B, vmid=100, storage="local", keep_last=1)], check=True)
    res = outcome(run, "t")
    assert res["changed"] is True and not res.get("failed"), res
    # the existing archive is what rotation would remove once the new one exists
    assert res["pruned"] == sorted(volids(web, 100))
    assert writes(web, mark) == []


def test_unknown_server_and_storage_are_clear_errors(web, run_playbook):
    mark = web.mark()
    run = run_playbook([task(B, "nosrv", vmid=4242, storage="local"),
                        task(B, "nostore", vmid=100, storage="local-lvm"),
                        task(B, "nostorage", vmid=100)])
    assert "vmid" in outcome(run, "nosrv")["msg"] and "4242" in outcome(run, "nosrv")["msg"]
    assert "storage" in outcome(run, "nostore")["msg"] and "local-lvm" in outcome(run, "nostore")["msg"]
    assert outcome(run, "nostorage")["msg"].startswith("storage:")
    assert writes(web, mark) == []


# -- rotation ----------------------------------------------------------------------------------------------------
def test_keep_last_two_over_five_keeps_newest_two_plus_protected(app, run_playbook):
    other = api_backup(app, 110, node="pve2")
    old = [api_backup(app, 100, protected=(i == 1)) for i in range(4)]  # oldest first; old[1] protected
    mark = app.mark()
    run = run_playbook([task(B, vmid=100, storage="local", keep_last=2)])
    res = outcome(run, "t")
    assert not res.get("failed"), res
    new = res["volid"]
    assert new not in old
    assert volids(app, 100) == {new, old[3], old[1]}
    assert sorted(res["pruned"]) == sorted([old[0], old[2]])
    deleted = [w[1] for w in writes(app, mark) if w[0] == "DELETE"]
    assert len(deleted) == 2 and all("/nodes/pve1/storage/local/content/" in p for p in deleted)
    assert volids(app, 110, node="pve2") == {other}


def test_failed_backup_rotates_nothing_storage_full(web, run_playbook):
    old = [api_backup(web, 100) for _i in range(3)]
    web.fault(kind="storage_full", node="pve1", storage="local")
    mark = web.mark()
    res = outcome(run_playbook([task(B, vmid=100, storage="local", keep_last=1)]))
    assert res["failed"] is True
    assert res.get("tasks") and res["tasks"][-1]["type"] == "vzdump"
    assert res["tasks"][-1]["exitstatus"] != "OK"
    assert "space" in res["msg"].lower() or "full" in res["msg"].lower(), res["msg"]
    assert [w[0] for w in writes(web, mark) if w[0] == "DELETE"] == []
    assert volids(web, 100) == set(old)


# -- locks and lost answers ------------------------------------------------------------------------------------------
def test_backup_during_a_resize_is_retried_until_the_lock_is_free(sim_factory):
    """PVE 7.x resizes synchronously and holds the guest's config lock the whole time: vzdump fails with
    "can't lock file ... got timeout" until it ends; the module starts it again within wait_timeout."""
    from harness import run_playbook as play
    sim = sim_factory(pve="7.4", speed=20)
    make_guest(sim, 100, name="web01")
    sim.fault(kind="task_duration", type="resize", seconds=200)  # the lock is held about 10 s
    resize = threading.Thread(target=_quietly, args=(sim.api, "PUT", "/nodes/pve1/qemu/100/resize"),
                              kwargs={"disk": "scsi0", "size": "+1G"})
    resize.start()
    try:
        # the backup must meet the lock: wait until the resize runs (a condition, not a guess at how long it takes)
        end = time.monotonic() + 60
        while 100 not in sim.state()["config_locks"]:
            assert time.monotonic() < end, "the resize never started"
            time.sleep(0.05)
        mark = sim.mark()
        res = outcome(play(sim, [task(B, vmid=100, storage="local", wait_timeout=120)]))
    finally:
        resize.join(60)
    assert not res["failed"], res
    assert res["volid"] in volids(sim, 100) and len(volids(sim, 100)) == 1
    assert len(posts(sim, mark, "/vzdump")) >= 2
    locked = [t for t in res["tasks"] if t["exitstatus"] != "OK"]
    assert locked and all(t["type"] == "vzdump" for t in locked)
    assert res["tasks"][-1]["exitstatus"] == "OK"


def _quietly(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except RuntimeError:  # 596 from the simulated proxy timeout: the resize goes on
        pass


def test_backup_under_a_lock_that_stays_fails_clearly(web, run_playbook):
    web.fault(kind="hold_lock", vmid=100, seconds=100000)
    before = volids(web, 100)
    mark = web.mark()
    res = outcome(run_playbook([task(B, vmid=100, storage="local", wait_timeout=6, keep_last=1)]))
    assert res["failed"] is True
    assert "stayed locked" in res["msg"] and "VM 100" in res["msg"] and "can't lock file" in res["msg"], res["msg"]
    assert volids(web, 100) == before
    assert [w for w in writes(web, mark) if w[0] != "POST"] == []


def test_backup_waits_for_a_running_backup_of_the_same_server(web, run_playbook):
    web.fault(kind="task_duration", type="vzdump", seconds=300, count=1)  # about 15 s at speed 20
    before = volids(web, 100)
    first = web.api("POST", "/nodes/pve1/vzdump", vmid="100", storage="local", remove=0)
    mark = web.mark()
    res = outcome(run_playbook([task(B, vmid=100, storage="local", wait_timeout=120)]))
    assert not res["failed"], res
    assert web.wait_task(first)["exitstatus"] == "OK"
    made = volids(web, 100) - before
    assert len(made) == 2 and res["volid"] in made
    assert res["volid"] == archives(web, 100)[0]["volid"]  # ours is the newer one
    # PVE runs one vzdump job per node: ours was queued behind the first (one POST), not refused and retried
    assert len(posts(web, mark, "/vzdump")) == 1
    assert res["tasks"][-1]["exitstatus"] == "OK"
    log = [line["t"] for line in web.api("GET", "/nodes/pve1/tasks/%s/log" % res["tasks"][-1]["upid"], limit=50)]
    assert log[0] == "INFO: trying to get global lock - waiting..." and "INFO: got global lock" in log


def test_max_age_waits_for_a_running_backup_instead_of_making_a_second(web, run_playbook):
    """A backup of the server is running (a run that was stopped, a parallel run): with max_age the run waits for it
    and, when it leaves an archive young enough on the storage, makes no second backup (changed: false)."""
    web.fault(kind="task_duration", type="vzdump", seconds=100, count=1)     # about 5 s at speed 20
    before = volids(web, 100)
    first = web.api("POST", "/nodes/pve1/vzdump", vmid="100", storage="local", remove=0)
    mark = web.mark()
    res = outcome(run_playbook([task(B, vmid=100, storage="local", max_age="1h", wait_timeout=120)]))
    assert not res["failed"] and res["changed"] is False, res
    made = volids(web, 100) - before
    assert web.wait_task(first)["exitstatus"] == "OK" and made == {res["volid"]}, (made, res)
    assert posts(web, mark, "/vzdump") == []


def test_backup_behind_a_backup_that_never_ends_fails_clearly(web, run_playbook):
    web.fault(kind="task_duration", type="vzdump", seconds=100000, count=1)
    web.api("POST", "/nodes/pve1/vzdump", vmid="100", storage="local", remove=0)
    before = volids(web, 100)
    res = outcome(run_playbook([task(B, vmid=100, storage="local", wait_timeout=4, keep_last=1)]))
    assert res["failed"] is True
    assert "another backup job runs on node pve1" in res["msg"] and "VM 100" in res["msg"], res["msg"]
    assert "left queued" in res["msg"] and res["running"], res
    assert volids(web, 100) == before


def test_dropped_answer_to_vzdump_does_not_start_a_second_backup(web, run_playbook):
    web.fault(kind="drop", method="POST", path="/vzdump$", count=1)
    before = volids(web, 100)
    mark = web.mark()
    res = outcome(run_playbook([task(B, vmid=100, storage="local")]))
    assert not res.get("failed"), res
    assert len(posts(web, mark, "/vzdump")) == 1
    assert volids(web, 100) - before == {res["volid"]}
    assert [e for e in web.requests(mark, method="GET") if "/nodes/pve1/tasks" in e["path"] and "typefilter" in e["params"]]


# -- info --------------------------------------------------------------------------------------------------------
def test_info_lists_across_nodes_newest_first(app, run_playbook):
    a1 = api_backup(app, 100)
    b1 = api_backup(app, 110, node="pve2")
    a2 = api_backup(app, 100)
    run = run_playbook([task(INFO, "all"), task(INFO, "byname", name="web01"), task(INFO, "bynode", node="pve2"),
                        task(INFO, "byvmid", vmid=110), task(INFO, "bystorage", storage="local", vmid=100)])
    listed = outcome(run, "all")["archives"]
    assert [x["volid"] for x in listed][:3] == [a2, b1, a1]
    first = listed[0]
    for key in ("volid", "vmid", "node", "storage", "ctime", "ctime_iso", "size", "format", "notes", "protected"):
        assert key in first, key
    assert first["vmid"] == 100 and first["node"] == "pve1" and first["storage"] == "local"
    assert isinstance(first["ctime"], int) and first["ctime_iso"].endswith("Z") and first["protected"] is False
    assert [x["volid"] for x in outcome(run, "byname")["archives"]] == [a2, a1]
    assert [x["volid"] for x in outcome(run, "bynode")["archives"]] == [b1]
    assert [x["node"] for x in outcome(run, "byvmid")["archives"]] == ["pve2"]
    assert [x["volid"] for x in outcome(run, "bystorage")["archives"]] == [a2, a1]
    assert all(r["changed"] is False for r in [outcome(run, "all"), outcome(run, "byname")])


# -- protect, notes, delete --------------------------------------------------------------------------------------
def test_protect_and_notes_with_diff_then_refused_delete_then_unprotect(web, run_playbook):
    volid = api_backup(web, 100)
    run = run_playbook([task(B, "protect", volid=volid, protected=True, notes="ticket 4711"),
                        task(B, "again", volid=volid, protected=True, notes="ticket 4711")], diff=True)
    protect, again = outcome(run, "protect"), outcome(run, "again")
    assert protect["changed"] is True and not protect.get("failed"), protect
    assert protect["diff"]["before"] == {"notes": "", "protected": False}
    assert protect["diff"]["after"] == {"notes": "ticket 4711", "protected": True}
    assert again["changed"] is False
    listed = [a for a in archives(web, 100) if a["volid"] == volid][0]
    assert listed.get("protected") in (1, True) and listed.get("notes") == "ticket 4711"

    mark = web.mark()
    refused = outcome(run_playbook([task(B, volid=volid, state="absent")]))
    assert refused["failed"] is True and "unprotect" in refused["msg"]
    assert writes(web, mark) == [] and volid in volids(web, 100)

    run = run_playbook([task(B, "delete", volid=volid, state="absent", unprotect=True),
                        task(B, "gone", volid=volid, state="absent")])
    assert outcome(run, "delete")["changed"] is True and not outcome(run, "delete").get("failed"), outcome(run, "delete")
    assert outcome(run, "gone")["changed"] is False and not outcome(run, "gone").get("failed")
    assert volid not in volids(web, 100)
    methods = [w[0] for w in writes(web, mark)]
    assert methods == ["PUT", "DELETE"]


def test_attributes_check_mode_and_missing_archive(web, run_playbook):
    volid = api_backup(web, 100)
    mark = web.mark()
    res = outcome(run_playbook([task(B, volid=volid, protected=True)], check=True, diff=True))
    assert res["changed"] is True and res["diff"]["after"]["protected"] is True
    assert writes(web, mark) == []
    missing = volid.replace("vzdump-qemu-100-", "vzdump-qemu-100-1")
    res = outcome(run_playbook([task(B, volid=missing, protected=True)]))
    assert res["failed"] and res["msg"].startswith("volid:")


# -- restore -----------------------------------------------------------------------------------------------------
def test_restore_into_a_new_vmid(web, run_playbook):
    volid = api_backup(web, 100)
    mark = web.mark()
    res = outcome(run_playbook([task(B, state="restored", volid=volid, vmid=300, unique=True)]))
    assert not res.get("failed"), res
    assert res["changed"] is True and res["vmid"] == 300 and res["node"] == "pve1" and res["overwritten"] is False
    assert [t["type"] for t in res["tasks"]] == ["qmrestore"]
    assert web.guest(300) is not None
    sent = writes(web, mark)
    assert [w[:2] for w in sent] == [("POST", "/api2/json/nodes/pve1/qemu"), ("PUT", "/api2/json/nodes/pve1/qemu/300/config")]
    assert web.guest(300)["description"].endswith("jotun: restored from " + volid)
    params = sent[0][2]
    assert str(params["vmid"]) == "300" and params["archive"] == volid and str(params["unique"]) == "1"
    assert "force" not in params
    # the archive was checked before anything was written
    assert [e for e in web.requests(mark, method="GET") if "/vzdump/extractconfig" in e["path"]]


def test_restore_over_an_existing_server_needs_force_and_force_stop(web, run_playbook):
    volid = api_backup(web, 100)
    web.wait_task(web.api("POST", "/nodes/pve1/qemu/100/status/start"))
    mark = web.mark()
    run = run_playbook([task(B, "noforce", state="restored", volid=volid, vmid=100),
                        task(B, "nostop", state="restored", volid=volid, vmid=100, force=True)])
    assert outcome(run, "noforce")["failed"] and "force" in outcome(run, "noforce")["msg"]
    assert outcome(run, "nostop")["failed"] and "force_stop" in outcome(run, "nostop")["msg"]
    assert writes(web, mark) == []
    assert web.guest(100)["_status"] == "running"

    res = outcome(run_playbook([task(B, state="restored", volid=volid, vmid=100, force=True, force_stop=True)]))
    assert not res.get("failed"), res
    assert res["overwritten"] is True and res["stopped"] is True
    assert [t["type"] for t in res["tasks"]] == ["qmstop", "vzdump", "qmrestore"]
    assert res["safety_backup"] in volids(web, 100) and res["safety_backup"] != volid
    sent = writes(web, mark)
    assert [w[:2] for w in sent] == [("POST", "/api2/json/nodes/pve1/qemu/100/status/stop"),
                                     ("POST", "/api2/json/nodes/pve1/vzdump"),
                                     ("POST", "/api2/json/nodes/pve1/qemu"),
                                     ("PUT", "/api2/json/nodes/pve1/qemu/100/config")]
    assert str(sent[2][2]["force"]) == "1"


def test_restore_checks_the_archive_before_touching_anything(web, run_playbook):
    volid = api_backup(web, 100)
    missing = volid.replace("vzdump-qemu-100-", "vzdump-qemu-100-1")
    mark = web.mark()
    run = run_playbook([task(B, "missing", state="restored", volid=missing, vmid=100, force=True, force_stop=True),
                        task(B, "ct", state="restored", volid="local:backup/vzdump-lxc-100-2026_01_01-00_00_00.tar.zst",
                             vmid=301)])
    assert outcome(run, "missing")["failed"] and "does not exist" in outcome(run, "missing")["msg"]
    assert outcome(run, "ct")["failed"] and "QEMU" in outcome(run, "ct")["msg"]
    assert writes(web, mark) == []


def test_restore_check_mode_and_no_wait(web, run_playbook):
    volid = api_backup(web, 100)
    mark = web.mark()
    res = outcome(run_playbook([task(B, state="restored", volid=volid, vmid=302)], check=True))
    assert res["changed"] is True and not res.get("failed"), res
    assert writes(web, mark) == [] and web.guest(302) is None
    res = outcome(run_playbook([task(B, state="restored", volid=volid, vmid=302, wait=False)]))
    assert not res.get("failed"), res
    assert res["tasks"][0]["type"] == "qmrestore" and res["tasks"][0]["status"] == "running"
    assert web.wait_task(res["tasks"][0]["upid"])["exitstatus"] == "OK"
    assert web.guest(302) is not None


# -- on the oldest supported release too -------------------------------------------------------------------------
def test_life_cycle_on_7_4(sim_factory):
    from harness import run_playbook as play
    sim = sim_factory(pve="7.4", speed=20)
    make_guest(sim, 100, name="web01")
    run = play(sim, [task(B, "make", vmid=100, storage="local", keep_last=1),
                     {"name": "restore", B: {"state": "restored", "volid": "{{ out.volid }}", "vmid": 300}, "register": "r"},
                     task(INFO, "list", vmid=100)])
    assert outcome(run, "make").get("volid") and not outcome(run, "make").get("failed"), outcome(run, "make")
    assert not outcome(run, "restore").get("failed"), outcome(run, "restore")
    assert [a["volid"] for a in outcome(run, "list")["archives"]] == [outcome(run, "make")["volid"]]
    assert sim.guest(300) is not None
    check_log(sim)


def check_log(sim):
    returncode, output = validate(sim.pve, sim.request_log)
    assert returncode == 0, output[-3000:]


def test_zz_request_log_is_valid(sim):
    check_log(sim)
