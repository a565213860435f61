# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server's CPU and memory details (cpu_type, sockets, numa, balloon, cpu_limit, cpu_units) through
ansible-playbook against the simulator on 7.4 and 9.1: pending on a running server, idempotent, check mode,
bad values refused before any write."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

M = "jotunheim.proxmox.jotun_server"

pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def task(name, options, **keywords):
    item = {"name": name, M: options}
    item.update(keywords)
    return item


def test_cpu_type_change_pending_on_a_running_server(sim, run_playbook):
    sim.reset()
    units = 500
    base = {"name": "cpu1", "state": "started", "memory": 1024}
    details = dict(base, cpu_type="host", sockets=1, numa=True, balloon=512, cpu_limit=1.5, cpu_units=units)
    mark = sim.mark()
    run = run_playbook([
        task("build", dict(details, template="debian-12")),
        task("preview", dict(details, cpu_type="max", sockets=2), check_mode=True, diff=True),
        task("change", dict(details, cpu_type="max", sockets=2, balloon=768)),
        task("again", dict(details, cpu_type="max", sockets=2, balloon=768)),
    ])
    assert run.ok, run
    built, preview, change, again = [run.task(name) for name in ("build", "preview", "change", "again")]
    assert built["changed"] is True and built["status"] == "running"
    vmid = built["vmid"]
    config_writes = [w["params"] for w in sim.writes(mark) if w["path"].endswith("/qemu/%s/config" % vmid)]
    first = [p for p in config_writes if "cpu" in p][0]
    assert first["cpu"] == "host" and str(first["cpulimit"]) == "1.5" and int(first["cpuunits"]) == units
    assert int(first["balloon"]) == 512 and str(first["numa"]) in ("1", "true", "True")
    # check mode: the diff names the change, nothing written (the only cpu=max write is the real change's)
    assert preview["changed"] is True
    assert preview["diff"]["before"]["cpu"] == "host" and preview["diff"]["after"]["cpu"] == "max"
    assert [p["cpu"] for p in config_writes if "cpu" in p] == ["host", "max"]
    # the running server keeps its CPU until the next start: pending, surfaced in the result
    assert change["changed"] is True and change["status"] == "running"
    assert "cpu" in change["pending"] and "sockets" in change["pending"]
    assert "balloon" not in change["pending"] and change["config"]["balloon"] in (768, "768")   # applied at once
    assert again["changed"] is False and "cpu" in again["pending"]
    guest = sim.guest(vmid, current=True)
    assert guest["cpu"] == "host" and guest["_status"] == "running"
    assert int(guest["cpuunits"]) == units and float(guest["cpulimit"]) == 1.5   # applied live
    assert int(guest["balloon"]) == 768 and int(guest.get("sockets", 1)) == 1     # sockets: pending


def test_bad_cpu_values_refused_before_any_write(sim, run_playbook):
    sim.reset()
    bad = [("cpu_type", "pentium9"), ("cpu_limit", 200), ("cpu_units", 0), ("balloon", 4096)]
    # each release's own limits: x86-64-v* from 8.0; cpu_units 2..262144 on 7.x, 1..10000 from 8.0
    bad += [("cpu_type", "x86-64-v2-AES"), ("cpu_units", 1)] if sim.pve == "7.4" else [("cpu_units", 20000)]
    tasks = [task("bad %d" % index, {"name": "cpu2", "template": "debian-12", "memory": 1024, option: value},
                  ignore_errors=True) for index, (option, value) in enumerate(bad)]
    mark = sim.mark()
    run = run_playbook(tasks)
    assert sim.writes(mark) == []
    for index, (option, value) in enumerate(bad):
        result = run.task("bad %d" % index)
        assert run.status("bad %d" % index) == "ignored" and result["option"] == option, (option, result)
        assert result["msg"].startswith(option), result["msg"]
        assert "Traceback" not in str(result)
