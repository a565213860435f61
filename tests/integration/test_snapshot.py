# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_snapshot / jotun_snapshot_info through ansible-playbook on 7.4 and 9.1: bad inputs refused before any
write, create (with RAM on a running server), idempotence, check and diff mode, lock waiting, rotation by prefix,
rollback with start, delete."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

S = "jotunheim.proxmox.jotun_snapshot"
INFO = "jotunheim.proxmox.jotun_snapshot_info"


def task(title, module=S, **args):
    extra = {}
    for key in ("check_mode", "diff"):
        if key in args:
            extra[key] = args.pop(key)
    return dict({"name": title, module: args, "ignore_errors": True}, **extra)


def res(run, title):
    out = dict(run.task(title))
    out["failed"] = run.status(title) in ("failed", "ignored")
    return out


def names(result):
    return [s["name"] for s in result["snapshots"]]


@pytest.mark.slow
@pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
def test_snapshot_lifecycle(fresh, run_playbook):
    sim = fresh
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=100, name="web01", full=1))

    # --- bad inputs: refused, naming the option, before any write ---
    mark = sim.mark()
    bad = run_playbook([
        task("reserved", name="web01", snapshot="current"),
        task("badname", name="web01", snapshot="1st"),
        task("nocount", name="web01", snapshot="a1", max_count=2),
        task("badprefix", name="web01", prefix="daily-", snapshot="weekly-1", max_count=2),
        task("template", name="debian-12", snapshot="x1"),
        task("nosnap", name="web01", state="rolled_back"),
        task("missing", name="web01", snapshot="nope", state="rolled_back"),
        task("nobody", name="nobody", snapshot="x1"),
        task("forcetake", name="web01", snapshot="x1", force=True),    # force is for rolled_back, as start is
    ])
    for title, option in (("reserved", "snapshot"), ("badname", "snapshot"), ("nocount", "max_count"),
                          ("badprefix", "snapshot"), ("template", "name"), ("nosnap", "snapshot"),
                          ("missing", "snapshot"), ("nobody", "name"), ("forcetake", "force")):
        out = res(bad, title)
        assert out["failed"] and out["msg"].startswith(option + ":"), (title, out)
    assert "template" in res(bad, "template")["msg"]
    assert sim.writes(mark) == []

    # a snapshot worker holds the lock when the module starts: it waits, then takes its own
    sim.fault(kind="task_duration", type="qmsnapshot", seconds=200, count=1)   # 10 s at speed 20
    locker = sim.api("POST", "/nodes/pve1/qemu/100/snapshot", snapname="locker")
    run = run_playbook([
        task("timeout", name="web01", snapshot="s0", wait_timeout=0.5),
        task("create", name="web01", snapshot="s1", description="first"),
        task("again", name="web01", snapshot="s1", description="first"),
        task("check", name="web01", snapshot="s2", check_mode=True, diff=True),
        {"name": "start", "jotunheim.proxmox.jotun_server": {"name": "web01", "state": "started"}},
        task("ram", name="web01", snapshot="s2", vmstate=True, diff=True),
        task("rot1", name="web01", prefix="daily-", snapshot="daily-a", max_count=2),
        task("rot2", name="web01", prefix="daily-", snapshot="daily-b", max_count=2),
        task("rot3check", name="web01", prefix="daily-", snapshot="daily-c", max_count=2, check_mode=True),
        task("rot3", name="web01", prefix="daily-", snapshot="daily-c", max_count=2),
        task("rotgen", name="web01", prefix="weekly-", max_count=1),
        task("info", INFO, name="web01"),
        task("back", name="web01", snapshot="s1", state="rolled_back", start=True),
        task("backagain", name="web01", snapshot="s1", state="rolled_back", start=True),
        task("backram", name="web01", snapshot="s2", state="rolled_back"),
        task("delete", name="web01", snapshot="daily-b", state="absent"),
        task("deleteagain", name="web01", snapshot="daily-b", state="absent"),
    ], timeout=900)
    assert sim.wait_task(locker)["exitstatus"] == "OK"
    timeout = res(run, "timeout")
    assert timeout["failed"] and "still locked" in timeout["msg"] and "nothing was changed" in timeout["msg"], timeout
    create = res(run, "create")
    assert not create["failed"], create
    assert create["changed"] and "s1" in names(create) and [t["type"] for t in create["tasks"]] == ["qmsnapshot"]
    assert not res(run, "again")["changed"] and res(run, "again")["tasks"] == []
    check = res(run, "check")
    assert check["changed"] and check["diff"]["after"]["snapshots"][-1] == "s2"
    ram = res(run, "ram")
    assert ram["changed"] and [s for s in ram["snapshots"] if s["name"] == "s2"][0]["vmstate"] is True
    assert ram["diff"]["before"]["snapshots"] == ["locker", "s1"] and "s0" not in names(ram)
    assert ram["diff"]["before"]["snapshots"] == ["locker", "s1"] and ram["current"]["parent"] == "s2"
    assert res(run, "rot2")["deleted"] == []
    assert res(run, "rot3check")["deleted"] == ["daily-a"] and res(run, "rot3check")["changed"]
    rot3 = res(run, "rot3")
    assert rot3["deleted"] == ["daily-a"], rot3
    assert names(rot3) == ["locker", "s1", "s2", "daily-b", "daily-c"]
    gen = res(run, "rotgen")
    assert gen["snapshot"].startswith("weekly-") and len(gen["snapshot"]) == len("weekly-") + 14
    info = res(run, "info")
    tree = dict((s["name"], s) for s in info["snapshots"])
    assert tree["s1"]["parent"] == "locker" and tree["s1"]["description"] == "first"
    assert tree["s2"]["parent"] == "s1" and tree["s1"]["children"] == ["s2"]
    assert tree["daily-c"]["parent"] == "daily-b" and info["current"]["parent"] == gen["snapshot"]
    assert tree["s2"]["vmstate"] and not tree["s1"]["vmstate"] and tree["s1"]["time"].endswith("Z")
    back = res(run, "back")
    assert back["changed"] and back["current"] == {"parent": "s1", "running": True}, back
    assert [t["type"] for t in back["tasks"]] == ["qmrollback"]
    assert not res(run, "backagain")["changed"], res(run, "backagain")
    assert res(run, "backram")["changed"]
    assert sim.guest(100)["_status"] == "running"
    assert res(run, "delete")["changed"] and res(run, "delete")["deleted"] == ["daily-b"]
    assert not res(run, "deleteagain")["changed"]
    rollbacks = [e for e in sim.requests(mark, method="POST") if e["path"].endswith("/rollback")]
    assert len(rollbacks) == 2 and str(rollbacks[0]["params"].get("start")) in ("1", "True", "true")
