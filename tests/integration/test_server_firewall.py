# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 18, per-server firewall, on 7.4 and 9.1 through ansible-playbook: the ipfilter set holds the server's
addresses and follows an IP change, policies and rules as listed, a second run writes nothing, check mode writes
nothing, ``firewall: true`` stays net0's flag alone, a rebuild keeps the whole firewall (unmanaged parts too), and
the request log conforms to the official schema."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from test_backup import check_log

M = "jotunheim.proxmox.jotun_server"
RELEASES = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
RULES = [{"action": "ACCEPT", "proto": "tcp", "dport": "22", "source": "198.51.100.0/24", "comment": "ssh"},
         {"action": "accept", "proto": "tcp", "dport": "80,443"},
         {"action": "DROP", "direction": "out", "proto": "tcp", "dport": "25", "enabled": False}]
FIREWALL = {"ipfilter": True, "policy_in": "DROP", "policy_out": "ACCEPT", "macfilter": True, "rules": RULES}


def ipconfig(ip):
    return [{"ip": "%s/24" % ip, "gw": "203.0.113.1", "ip6": "2001:DB8::%s/64" % ip.rsplit(".", 1)[1]}]


def server(ip, firewall=None, **extra):
    options = {"name": "fw01", "template": "debian-12", "state": "started", "memory": 1024, "ipconfig": ipconfig(ip),
               "firewall": FIREWALL if firewall is None else firewall}
    options.update(extra)
    return options


def fw_state(sim, vmid):
    return sim.state()["firewall"].get(str(vmid))


def fw_writes(writes):
    return [w for w in writes if "/firewall/" in w["path"]]


@RELEASES
def test_firewall_ipfilter_rules_idempotent_check_mode_and_rebuild(sim, run_playbook):
    sim.reset()
    mark = sim.mark()
    run = run_playbook([{"name": "plan", M: server("203.0.113.10"), "check_mode": True, "diff": True},
                        {"name": "build", M: server("203.0.113.10")}])
    assert run.ok, run
    plan, built = run.task("plan"), run.task("build")
    # check mode on a server not built yet: the firewall it would get, nothing read of a guest that is not there
    assert plan["changed"] is True
    assert plan["diff"]["after"]["firewall"]["ipsets"] == {"ipfilter-net0": ["2001:db8::10", "203.0.113.10"]}
    assert plan["firewall"]["rules"][0]["dport"] == "22"
    writes = sim.writes(mark)
    mark = sim.mark()
    run = run_playbook([
        {"name": "again", M: server("203.0.113.10")},
        {"name": "preview", M: server("203.0.113.20"), "check_mode": True, "diff": True},
    ])
    assert run.ok, run
    again, preview = run.task("again"), run.task("preview")
    vmid = built["vmid"]
    state = fw_state(sim, vmid)
    assert state["ipsets"] == {"ipfilter-net0": ["2001:db8::10", "203.0.113.10"]}     # addresses, no gateways
    assert state["options"] == {"enable": 1, "ipfilter": 1, "macfilter": 1, "policy_in": "DROP", "policy_out": "ACCEPT"}
    rules = [(r["type"], r["action"], r.get("dport"), r.get("source"), r["enable"]) for r in state["rules"]]
    assert rules == [("in", "ACCEPT", "22", "198.51.100.0/24", 1), ("in", "ACCEPT", "80,443", None, 1),
                     ("out", "DROP", "25", None, 0)]
    assert "firewall=1" in sim.guest(vmid)["net0"]
    assert built["firewall"]["ipsets"]["ipfilter-net0"] == ["2001:db8::10", "203.0.113.10"]
    assert [r["dport"] for r in built["firewall"]["rules"]] == ["22", "80,443", "25"]
    # the firewall is in place before the server starts
    first_start = min(i for i, w in enumerate(writes) if w["path"].endswith("/status/start"))
    assert max(i for i, w in enumerate(writes) if "/firewall/" in w["path"]) < first_start
    # a second run: changed false, nothing written at all; check mode: the diff, nothing written
    assert again["changed"] is False and again["firewall"] == built["firewall"]
    assert preview["changed"] is True
    diff = preview["diff"]
    assert diff["before"]["firewall"]["ipsets"]["ipfilter-net0"] == ["2001:db8::10", "203.0.113.10"]
    assert diff["after"]["firewall"]["ipsets"]["ipfilter-net0"] == ["2001:db8::20", "203.0.113.20"]
    assert sim.writes(mark) == []

    # the IP changes: the set follows (old address gone, new one present); rules reordered and one dropped
    mark = sim.mark()
    new_rules = [RULES[1], RULES[0]]
    run = run_playbook([{"name": "move", M: server("203.0.113.20", firewall=dict(FIREWALL, rules=new_rules))},
                        {"name": "bool", M: {"name": "fw02", "template": "debian-12", "firewall": True}},
                        {"name": "info", M + "_info": {"name": ["fw01"], "firewall": True}}])
    assert run.ok, run
    state = fw_state(sim, vmid)
    assert state["ipsets"] == {"ipfilter-net0": ["2001:db8::20", "203.0.113.20"]}
    assert [r.get("dport") for r in state["rules"]] == ["80,443", "22"]
    shown = run.task("info")["servers"][0]["firewall"]
    assert shown["ipsets"] == {"ipfilter-net0": ["2001:db8::20", "203.0.113.20"]} and shown["policy_in"] == "DROP"
    assert [(r["pos"], r["dport"], r["enabled"]) for r in shown["rules"]] == [(0, "80,443", True), (1, "22", True)]
    moved = [w for w in fw_writes(sim.writes(mark)) if "/ipset/" in w["path"]]
    assert [w["method"] for w in moved] == ["POST", "POST", "DELETE", "DELETE"]      # new ones first
    # firewall: true is net0's flag alone, as before: no guest firewall written
    fw02 = run.task("bool")
    assert "firewall=1" in sim.guest(fw02["vmid"])["net0"] and "firewall" not in fw02
    assert fw_state(sim, fw02["vmid"]) is None

    # a rebuild keeps the whole firewall, also what the module does not manage (a hand-made set and rule)
    base = "/nodes/%s/qemu/%s/firewall" % (built["node"], vmid)
    sim.api("POST", base + "/ipset", name="office", comment="by hand")
    sim.api("POST", base + "/ipset/office", cidr="192.0.2.0/24", comment="hq")
    sim.api("PUT", base + "/options", log_level_in="info")
    before = fw_state(sim, vmid)
    run = run_playbook([{"name": "rebuild", M: {"name": "fw01", "template": "debian-12", "state": "rebuilt"}},
                        {"name": "after", M: server("203.0.113.20", firewall=dict(FIREWALL, rules=new_rules))}])
    assert run.ok, run
    rebuilt = run.task("rebuild")
    assert rebuilt["vmid"] == vmid and rebuilt["changed"] is True
    assert fw_state(sim, vmid) == before
    entry = sim.api("GET", base + "/ipset/office")[0]
    assert (entry["cidr"], entry["comment"]) == ("192.0.2.0/24", "hq")
    assert rebuilt["firewall"]["ipsets"]["office"] == ["192.0.2.0/24"]
    assert run.task("after")["changed"] is False
    check_log(sim)


@RELEASES
def test_firewall_bad_input_refused_before_any_write(sim, run_playbook):
    sim.reset()
    bad = [({"policy_in": "ALLOW"}, "firewall.policy_in"), ({"enable": True}, "firewall.enable"),
           ({"rules": [{"action": "ALLOW"}]}, "firewall.rules[0].action"),
           ({"rules": [{"action": "ACCEPT", "proto": "tcp", "dport": "70000"}]}, "firewall.rules[0].dport"),
           ({"rules": [{"action": "ACCEPT", "proto": "bogus"}]}, "firewall.rules[0].proto"),
           ({"rules": [{"action": "ACCEPT", "source": "+nosuch"}]}, "firewall.rules[0].source"),
           ({"rules": [{"action": "ACCEPT", "dest": "dc/nosuchalias"}]}, "firewall.rules[0].dest"),
           ({"ipfilter": True}, "firewall.ipfilter")]           # a new server without ipconfig: no address known
    tasks = [{"name": "bad %d" % index, M: {"name": "fw09", "template": "debian-12", "firewall": value},
              "ignore_errors": True} for index, (value, _option) in enumerate(bad)]
    mark = sim.mark()
    run = run_playbook(tasks)
    assert sim.writes(mark) == []
    for index, (_value, option) in enumerate(bad):
        result = run.task("bad %d" % index)
        assert run.status("bad %d" % index) == "ignored" and result["msg"].startswith(option), result
        assert "Traceback" not in str(result)
    # a set the cluster has is found (pve-firewall looks in the guest's sets, then the cluster's)
    sim.api("POST", "/cluster/firewall/ipset", name="office")
    run = run_playbook([{"name": "good", M: {"name": "fw09", "template": "debian-12",
                                             "firewall": {"rules": [{"action": "ACCEPT", "source": "+office"}]}}}])
    assert run.ok, run
    assert fw_state(sim, run.task("good")["vmid"])["rules"][0]["source"] == "+office"
