# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_node_info through ansible-playbook against the simulator."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest


def node_info(options=None, name="nodes"):
    return {"name": name, "jotunheim.proxmox.jotun_node_info": dict(options or {})}


@pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
def test_nodes_storages_and_placement_facts(sim, run_playbook):
    sim.reset()
    mark = sim.mark()
    run = run_playbook([node_info()])
    assert run.ok, run
    nodes = run.task("nodes")["nodes"]
    assert run.task("nodes")["changed"] is False
    # what reached the server: reads only, 2 + one storage listing per node
    reads = [e for e in sim.requests(mark) if "/access/ticket" not in e["path"]]
    assert all(e["method"] == "GET" for e in reads)
    paths = sorted(e["path"].replace("/api2/json", "") for e in reads if e["path"] != "/api2/json/version")
    assert paths == ["/cluster/resources", "/nodes", "/nodes/pve1/storage", "/nodes/pve2/storage"]
    assert [n["node"] for n in nodes] == ["pve1", "pve2"]
    api_nodes = dict((n["node"], n) for n in sim.api("GET", "/nodes"))
    for node in nodes:
        api = api_nodes[node["node"]]
        assert node["online"] is True and node["status"] == "online"
        assert node["cpu"]["count"] == api["maxcpu"] and node["memory"]["total"] == api["maxmem"]
        assert node["memory"]["used"] + node["memory"]["free"] == node["memory"]["total"]
        assert node["image_storages"] == ["ceph-vm", "local-lvm"] and node["backup_storages"] == ["local"]
        by_name = dict((s["storage"], s) for s in node["storages"])
        api_storages = dict((s["storage"], s) for s in sim.api("GET", "/nodes/%s/storage" % node["node"]))
        assert set(by_name) == set(api_storages)
        for storage, view in by_name.items():
            assert view["total"] == api_storages[storage]["total"] > 0
            assert view["used"] == api_storages[storage]["used"] and 0 <= view["used_fraction"] <= 1
        assert by_name["local-lvm"]["images"] is True and by_name["local-lvm"]["backups"] is False
        assert "backup" in by_name["local"]["content"] and by_name["local"]["images"] is False
        assert by_name["ceph-vm"]["shared"] is True and by_name["local-lvm"]["shared"] is False
    templates = dict((n["node"], n["guests"]["templates"]) for n in nodes)
    assert templates == {"pve1": 2, "pve2": 2}         # 9003 (on shared ceph-vm) has its config on pve2


def test_one_node_and_check_mode(sim, run_playbook):
    sim.reset()
    run = run_playbook([node_info({"node": "pve2"}, name="one")], check=True)
    assert run.ok, run
    nodes = run.task("one")["nodes"]
    assert [n["node"] for n in nodes] == ["pve2"] and nodes[0]["guests"]["templates"] == 2


def test_unknown_node_fails_naming_the_option(sim, run_playbook):
    mark = sim.mark()
    run = run_playbook([node_info({"node": ["pve1", "pve9"]}, name="bad")])
    assert not run.ok
    result = run.task("bad")
    assert run.status("bad") == "failed" and "node" in result["msg"] and "pve9" in result["msg"] and "pve1, pve2" in result["msg"]
    assert "Traceback" not in run.stdout
    assert not [e for e in sim.requests(mark) if "/storage" in e["path"]]
