# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server ``password_via: agent`` through ansible-playbook against the simulator on 7.4 and 9.1: the password
set in the running guest through the guest agent and stored for cloud-init, a second run changing nothing, clear
failures before any write with the agent off (``agent_off`` fault) or disabled, the password in no output."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

M = "jotunheim.proxmox.jotun_server"
FIRST = "First-pw-8472"
NEW = "Agent-pw-5931"

pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def task(name, options, **keywords):
    item = {"name": name, M: options}
    item.update(keywords)
    return item


def guest_state(sim, vmid):
    return [g for g in sim.state()["guests"] if g["vmid"] == vmid][0]


def assert_never_shown(run, sim, mark):
    assert NEW not in run.stdout and NEW not in json.dumps(run.results)
    assert NEW not in json.dumps(sim.requests(mark))


def test_agent_password_on_a_running_server(sim, run_playbook):
    sim.reset()
    base = {"name": "pw1", "state": "started", "ciuser": "ops", "wait_timeout": 60}
    change = dict(base, cipassword=NEW, password_via="agent", password_update="always")
    mark = sim.mark()
    run = run_playbook([
        task("build", dict(base, template="debian-12", agent=True, cipassword=FIRST)),
        task("build off", {"name": "pw2", "template": "debian-12", "state": "started", "agent": False,
                           "cipassword": FIRST}),
        task("preview", change, check_mode=True, diff=True),
        task("set", change, diff=True),
        task("again", dict(change, password_update="on_create")),
        task("disabled", {"name": "pw2", "state": "started", "cipassword": NEW, "password_via": "agent",
                          "password_update": "always"}, ignore_errors=True),
        {"name": "info", "jotunheim.proxmox.jotun_server_info": {"name": ["pw1"], "agent": True}},
        {"name": "role", "ansible.builtin.include_role": {"name": "jotunheim.proxmox.server"},
         "vars": {"server_spec": {"name": "pw1", "agent": True, "ciuser": "ops", "cipassword": NEW,
                                  "password_via": "agent"},
                  "server_wait_for": "agent", "server_wait_for_timeout": 30}},
    ], diff=True)
    assert run.ok, run
    vmid, off_vmid = run.task("build")["vmid"], run.task("build off")["vmid"]
    preview, changed, again, disabled = [run.task(n) for n in ("preview", "set", "again", "disabled")]
    writes = sim.writes(mark)
    agent_writes = [w for w in writes if w["path"].endswith("/agent/set-user-password")]
    assert preview["changed"] is True and "agent_password" in preview["diff"]["after"]
    # set in the running guest once (not in check mode, not again), for ciuser, plain text; no reboot
    assert len(agent_writes) == 1 and "/qemu/%s/" % vmid in agent_writes[0]["path"]
    assert agent_writes[0]["params"]["username"] == "ops" and str(agent_writes[0]["params"]["crypted"]) in ("0", "False")
    assert guest_state(sim, vmid)["agent_password_changes"] == [{"username": "ops", "crypted": False}]
    assert changed["changed"] is True and changed["status"] == "running"
    assert not [w for w in writes if w["path"].endswith(("/status/reboot", "/status/stop", "/status/shutdown"))]
    # also stored for cloud-init: the config write of the change carries cipassword
    ci_writes = [w for w in writes if w["path"].endswith("/qemu/%s/config" % vmid) and "cipassword" in w["params"]]
    assert len(ci_writes) == 2       # the build's and the change's
    assert again["changed"] is False
    # the agent disabled in the config: refused naming password_via, nothing written for it
    assert run.status("disabled") == "ignored" and disabled["option"] == "password_via"
    assert "agent" in disabled["msg"] and "disabled" in disabled["msg"]
    assert len([w for w in writes if w["path"].endswith("/qemu/%s/config" % off_vmid)
                and "cipassword" in w["params"]]) == 1
    # the agent's addresses (agent/network-get-interfaces through module_utils/agent.py) in jotun_server_info
    server = run.task("info")["servers"][0]
    assert server["agent"]["answered"] is True
    assert [a for a in server["ip_addresses"] if a["source"] == "agent"]
    # the server role: its wait-for-agent asks jotun_server_info until the agent answers; nothing to change
    waited = [r for r in run.results if r["task"].endswith("Wait for the QEMU guest agent to answer")]
    assert waited and waited[-1]["status"] == "ok" and waited[-1]["result"]["servers"][0]["agent"]["answered"]
    built = [r for r in run.results if r["task"].endswith("Build or update the server")][-1]["result"]
    assert built["changed"] is False
    assert len([w for w in sim.writes(mark) if w["path"].endswith("/agent/set-user-password")]) == 1
    assert_never_shown(run, sim, mark)

    # the agent stops answering: a clear failure within wait_timeout, before any write
    sim.fault(kind="agent_off", vmid=vmid)
    mark = sim.mark()
    run = run_playbook([task("silent", dict(change, wait_timeout=3), ignore_errors=True)])
    silent = run.task("silent")
    assert run.status("silent") == "ignored" and silent["option"] == "password_via", silent
    assert "did not answer within wait_timeout" in silent["msg"]
    assert sim.writes(mark) == [] or all(w["path"].endswith("/agent/ping") for w in sim.writes(mark))
    assert_never_shown(run, sim, mark)
    sim.clear_faults()
