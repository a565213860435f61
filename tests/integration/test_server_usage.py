# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server_usage through ansible-playbook: the sums equal the simulator's synthetic traffic, to the byte.

The simulator's formula (simulator/pvesim/rrd.py): for guest vmid and minute m, k = vmid % 50 + 1,
w = 1 + m % 5; a running guest's rates are netin 1000*k*w, netout 2000*k*w, diskread 500*k*w, diskwrite 3000*k*w
bytes/s; a step of 30 min or more averages w to 3. A stopped guest's rates are 0.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pytest

pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)

BASE = {"netin": 1000, "netout": 2000, "diskread": 500, "diskwrite": 3000}


def expected(vmid, since, until, step, running=True):
    """Bytes per counter over [since, until) read at `step`, from the formula (rows aligned to the step)."""
    out = dict((name, 0) for name in BASE)
    if not running:
        return out
    k = vmid % 50 + 1
    start = step * (since // step)
    while start < until:
        overlap = min(start + step, until) - max(start, since)
        if overlap > 0:
            weight = 1 + (start // 60) % 5 if step == 60 else 3
            for name, base in BASE.items():
                out[name] += base * k * weight * overlap
        start += step
    return out


@pytest.fixture(scope="module")
def fleet(sim):
    """150 (pve1, running, pool customers), 151 (pve2, running, tag billing), 152 (pve1, stopped)."""
    sim.reset()
    for node, template, newid in (("pve1", 9000, 150), ("pve2", 9002, 151), ("pve1", 9001, 152)):
        extra = {"pool": "customers"} if newid == 150 else {}
        sim.wait_task(sim.api("POST", "/nodes/%s/qemu/%d/clone" % (node, template), newid=newid, name="u%d" % newid,
                              **extra))
    sim.api("PUT", "/nodes/pve2/qemu/151/config", tags="billing")
    for node, vmid in (("pve1", 150), ("pve2", 151)):
        sim.wait_task(sim.api("POST", "/nodes/%s/qemu/%d/status/start" % (node, vmid)))
    sim.control("POST", "/broadcast")
    return sim


def usage(title, **options):
    return {"name": title, "jotunheim.proxmox.jotun_server_usage": options}


def test_usage_sums_are_exact(fleet, run_playbook):
    mark = fleet.mark()
    until = 1800 * int(time.time() // 1800) - 1800      # a window of whole steps, over before the last row
    since = until - 7200
    run = run_playbook([
        usage("all hour", period="hour"),
        usage("pool day", pool=["customers"], period="day"),
        usage("tag week", tags=["billing"], period="week", cf="MAX"),
        usage("window", vmid=[150, 151], since=str(since), until="%d" % until),
        usage("running only", period="hour", include_stopped=False),
    ])
    assert run.ok, run
    hour = run.task("all hour")
    assert hour["changed"] is False and hour["timeframe"] == "hour" and hour["step"] == 60
    assert hour["until"] - hour["since"] == 3600 and hour["complete"] is True
    by_vmid = dict((s["vmid"], s) for s in hour["servers"])
    assert sorted(by_vmid) == [150, 151, 152]
    for vmid, running in ((150, True), (151, True), (152, False)):
        want = expected(vmid, hour["since"], hour["until"], 60, running)
        assert dict((k, by_vmid[vmid][k]) for k in BASE) == want, vmid
        assert by_vmid[vmid]["seconds"] == 3600
    assert hour["totals"]["netout"] == sum(s["netout"] for s in hour["servers"])
    assert by_vmid[150]["cpu_seconds"] > 0 and by_vmid[152]["cpu_seconds"] == 0

    day = run.task("pool day")
    assert [s["vmid"] for s in day["servers"]] == [150]
    want_step = 1800           # 7.x: the day rows; 9.x: the week rows (336 of 30 min) rather than 1440 of 1 min
    assert day["step"] == want_step and day["until"] - day["since"] == 86400
    assert day["servers"][0]["netin"] == expected(150, day["since"], day["until"], want_step)["netin"]

    week = run.task("tag week")
    assert [s["vmid"] for s in week["servers"]] == [151] and week["cf"] == "MAX"
    k = 151 % 50 + 1
    assert week["servers"][0]["netin"] == 1000 * k * 5 * 7 * 86400       # the peak rate of every step

    window = run.task("window")
    assert (window["since"], window["until"]) == (since, until)
    for server in window["servers"]:
        want = expected(server["vmid"], window["since"], window["until"], window["step"])
        assert server["diskwrite"] == want["diskwrite"] and server["seconds"] == 7200, (server, window["step"])

    assert [s["vmid"] for s in run.task("running only")["servers"]] == [150, 151]
    rrd = fleet.requests(mark, method="GET", path="/rrddata")
    assert len(rrd) == 3 + 1 + 1 + 2 + 2          # one request per server read, never more
    assert fleet.writes(mark) == []


def test_usage_input_errors(fleet, run_playbook):
    mark = fleet.mark()
    run = run_playbook([
        dict(usage("no period"), ignore_errors=True),
        dict(usage("bad since", since="last tuesday"), ignore_errors=True),
        dict(usage("both", period="day", since="1d"), ignore_errors=True),
        dict(usage("backwards", since="1h", until="2h"), ignore_errors=True),
        # a typo in a filter must not give an empty bill
        dict(usage("unknown node", period="day", node=["pve9"]), ignore_errors=True),
        dict(usage("unknown pool", period="day", pool=["customres"]), ignore_errors=True),
        dict(usage("vmid 99", period="day", vmid=[99]), ignore_errors=True),
        dict(usage("tag with comma", period="day", tags=["web,db"]), ignore_errors=True),
        dict(usage("concurrency 0", period="day", concurrency=0), ignore_errors=True),
    ])
    for title, option in (("unknown node", "node"), ("unknown pool", "pool"), ("vmid 99", "vmid"),
                          ("tag with comma", "tags"), ("concurrency 0", "concurrency")):
        result = run.task(title)
        assert run.status(title) in ("failed", "ignored") and str(result.get("msg")).startswith(option + ": "), \
            (title, result)
    assert "period" in run.task("no period")["msg"] and "since" in run.task("no period")["msg"]
    assert run.task("bad since")["msg"].startswith("since: ")
    assert "period" in run.task("both")["msg"]
    assert run.task("backwards")["msg"].startswith("until: ")
    assert fleet.requests(mark, path="/rrddata") == []
