# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server's pool: build into a pool, move between pools (7.x: out then in; 8.1+: one call with allow-move),
out of any pool, check mode, idempotence, rebuild keeps the pool, unknown pool named, lost answer not re-sent."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

M = "jotunheim.proxmox.jotun_server"

pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def server(run_playbook, sim, check=False, diff=False, **options):
    """One jotun_server task; returns (run, result, writes it sent)."""
    options.setdefault("name", "pooled")
    mark = sim.mark()
    run = run_playbook([{"name": "s", M: options}], check=check, diff=diff)
    return run, run.task("s"), sim.writes(mark)


def pool_writes(writes):
    return [(w["path"].split("/api2/json", 1)[-1], dict(w["params"]), w["status"]) for w in writes
            if w["path"].split("/api2/json", 1)[-1].startswith("/pools")]


def test_build_into_pool_then_move_and_leave(sim, run_playbook):
    sim.reset()
    run, built, writes = server(run_playbook, sim, template="debian-12", pool="customers")
    assert run.ok, run
    assert built["pool"] == "customers" and sim.guest(built["vmid"])["_pool"] == "customers"
    assert [w["params"].get("pool") for w in writes if w["path"].endswith("/clone")] == ["customers"]
    vmid = str(built["vmid"])

    run, again, writes = server(run_playbook, sim, template="debian-12", pool="customers")
    assert run.ok and again["changed"] is False and writes == []

    run, checked, writes = server(run_playbook, sim, pool="internal", check=True, diff=True)
    assert run.ok and checked["changed"] is True and writes == []
    assert checked["diff"]["before"]["pool"] == "customers" and checked["diff"]["after"]["pool"] == "internal"
    assert sim.guest(built["vmid"])["_pool"] == "customers"

    run, moved, writes = server(run_playbook, sim, pool="internal", diff=True)
    assert run.ok, run
    assert moved["changed"] is True and moved["pool"] == "internal" and moved["step"] == "done"
    if sim.pve == "7.4":  # no allow-move before 8.1: out of the old pool, into the new one
        assert pool_writes(writes) == [("/pools/customers", {"vms": vmid, "delete": "1"}, 200),
                                       ("/pools/internal", {"vms": vmid}, 200)]
    else:
        assert pool_writes(writes) == [("/pools", {"poolid": "internal", "vms": vmid, "allow-move": True}, 200)]
    assert len(writes) == len(pool_writes(writes)), "a pool move writes nothing else"
    assert sim.guest(built["vmid"])["_pool"] == "internal"
    assert [m["vmid"] for m in sim.api("GET", "/pools/customers")["members"]] == []

    run, again, writes = server(run_playbook, sim, pool="internal")
    assert run.ok and again["changed"] is False and writes == []

    run, left, writes = server(run_playbook, sim, pool="")
    assert run.ok and left["changed"] is True and left["pool"] is None
    assert len(pool_writes(writes)) == 1 and pool_writes(writes)[0][1].get("delete") in ("1", True)
    assert sim.guest(built["vmid"])["_pool"] is None
    run, again, writes = server(run_playbook, sim, pool="")
    assert run.ok and again["changed"] is False and writes == []


def test_rebuild_keeps_the_pool(sim, run_playbook):
    sim.reset()
    run, built, writes = server(run_playbook, sim, name="rb-pool", template="debian-12", pool="customers")
    assert run.ok, run
    run, rebuilt, writes = server(run_playbook, sim, name="rb-pool", template="debian-12", state="rebuilt")
    assert run.ok, run
    assert rebuilt["vmid"] == built["vmid"] and rebuilt["pool"] == "customers"
    assert [w["params"].get("pool") for w in writes if w["path"].endswith("/clone")] == ["customers"]
    assert sim.guest(built["vmid"])["_pool"] == "customers"


def test_unknown_pool_is_named(sim, run_playbook):
    sim.reset()
    run, result, writes = server(run_playbook, sim, name="nopool", template="debian-12", pool="nope")
    assert not run.ok
    assert "pool: there is no resource pool 'nope'" in result["msg"]
    assert not [w for w in writes if w["status"] == 200], "nothing was built"
    run, built, writes = server(run_playbook, sim, name="nopool", template="debian-12")
    assert run.ok, run
    run, result, writes = server(run_playbook, sim, name="nopool", pool="nope")
    assert not run.ok and "pool: there is no resource pool 'nope'" in result["msg"]
    assert sim.guest(built["vmid"])["_pool"] is None


def test_lost_answer_is_read_back_not_resent(sim, run_playbook):
    sim.reset()
    run, built, writes = server(run_playbook, sim, name="drop-pool", template="debian-12", pool="customers")
    assert run.ok, run
    sim.fault(kind="drop", method="PUT", path="/pools", count=1)  # applied, then the connection drops
    run, moved, writes = server(run_playbook, sim, name="drop-pool", pool="internal")
    assert run.ok, run
    assert moved["changed"] is True and sim.guest(built["vmid"])["_pool"] == "internal"
    # 7.4: the dropped write is the first of two (out of the old pool); read back, the second (into the new) goes
    assert len(pool_writes(writes)) == (2 if sim.pve == "7.4" else 1), "a write sent again after a lost answer"
