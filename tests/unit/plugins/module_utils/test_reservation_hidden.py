# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A rebuild's name reservation (``jotun-rebuild-<vmid>.<name>``, cluster.reservation_name) is no server: every
selection of servers leaves it out (jotun_server_info, jotun_server_usage, the jotun inventory), by its name alone;
jotun_server still finds it (cluster.reservations). And the inventory's node and pool filters must exist."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), *([".."] * 4 + [".tmp", "collections"])))

from ansible_collections.jotunheim.proxmox.plugins.module_utils import cluster  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils import inventory as inv  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils import usage  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import facts  # noqa: E402

NOW = 1795000000


@pytest.mark.parametrize("name", [
    cluster.reservation_name("web1", 101), cluster.reservation_name("cust-7.example.net", 999999999),
    "jotun-rebuild-100.a"])
def test_the_reservation_name_shape_is_a_reservation(name):
    assert cluster.is_reservation_name(name)


@pytest.mark.parametrize("name", [
    None, "", "web1", "jotun-rebuild-101", "jotun-rebuild-101.", "jotun-rebuild-.web1", "jotun-rebuild-x1.web1",
    "jotun-rebuild-0101.web1",          # %d never writes a leading zero
    "jotun-rebuild-99.web1",            # no vmid below 100
    "jotun-rebuild-1000000000.web1",    # nor above 999999999
    "jotun-rebuild-101.web_1",          # not a server name
    "jotun-rebuild-101.-web1", "jotun-rebuild-101.web1.", "jotun-rebuild-101.web..1",
    "jotun-rebuild-101.%s" % ("a" * 64),    # no server name is longer than 63 characters
    "xjotun-rebuild-101.web1", "Jotun-rebuild-101.web1", "jotun-rebuild-101.web1\n", "my-jotun-rebuild-101.web1"])
def test_other_names_are_not(name):
    assert not cluster.is_reservation_name(name)


def test_jotun_server_still_finds_its_reservation():
    listed = [{"vmid": 101, "name": "web1"}, {"vmid": 150, "name": cluster.reservation_name("web1", 101)},
              {"vmid": 151, "name": cluster.reservation_name("web10", 110)}]
    assert [(r["vmid"], r["reserved_vmid"]) for r in cluster.reservations(listed, "web1")] == [(150, 101)]


def resource(vmid, name=None, node="pve1", status="stopped", **extra):
    out = {"id": "qemu/%d" % vmid, "type": "qemu", "vmid": vmid, "node": node, "status": status, "maxcpu": 1,
           "maxmem": 512 * 1024 ** 2}
    if name:
        out["name"] = name
    out.update(extra)
    return out


# a placeholder as build.reserve makes it (config only: name and description), and one without its record
PLACEHOLDER = resource(150, cluster.reservation_name("web1", 101))
BARE = resource(151, cluster.reservation_name("db1", 102), node="pve2")
RESOURCES = [resource(101, "web1", status="running", tags="web"), resource(102, "db1", node="pve2"),
             PLACEHOLDER, BARE, resource(152, "jotun-rebuild-7.web1")]    # 152: not the shape (vmid 7): a server


class Fake(object):
    release = (9, 1)

    def __init__(self, configs=None, resources=None):
        self.calls = []
        self.configs = configs or {}
        self.resources = RESOURCES if resources is None else resources

    def get(self, path, params=None, deadline=None):
        self.calls.append((path, params))
        if path == "/cluster/resources":
            out = [dict(r) for r in self.resources]
            if not (params or {}).get("type"):
                out += [{"id": "node/pve1", "type": "node", "node": "pve1", "status": "online"},
                        {"id": "node/pve2", "type": "node", "node": "pve2", "status": "online"},
                        {"id": "node/pve3", "type": "node", "node": "pve3", "status": "offline"},
                        {"id": "/pool/customers", "type": "pool", "pool": "customers"},
                        {"id": "/pool/empty", "type": "pool", "pool": "empty"},
                        {"id": "storage/pve1/local", "type": "storage", "storage": "local", "node": "pve1"}]
            return out
        if path.endswith("/rrddata"):
            return []
        if path.endswith("/status/current"):
            return {"status": "stopped"}
        vmid = int(path.split("/")[4])
        if path.endswith("/pending"):
            return [{"key": k, "value": v} for k, v in self.configs.get(vmid, {}).items()]
        return dict(self.configs.get(vmid, {}))

    def server_time(self):
        return NOW


def test_info_leaves_placeholders_out_of_every_selection():
    assert [g["vmid"] for g in facts.select_guests(RESOURCES)] == [101, 102, 152]
    assert [g["vmid"] for g in facts.select_guests(RESOURCES, nodes=["pve2"])] == [102]
    # named outright it is still no server: jotun_server_info says nothing of it
    assert facts.select_guests(RESOURCES, names=[PLACEHOLDER["name"]]) == []
    assert facts.select_guests(RESOURCES, vmids=[150]) == []


def test_info_details_leave_out_a_placeholder_not_broadcast_yet():
    """A placeholder made since pvestatd's last broadcast has no name in the listing: its config names it."""
    client = Fake({101: {"name": "web1"}, 160: {"name": cluster.reservation_name("web1", 101)}},
                  resources=[resource(101, "web1"), resource(160, status="unknown")])
    assert [s["vmid"] for s in facts.gather_servers(client, agent=False)] == [101]


def test_usage_leaves_placeholders_out():
    client = Fake()
    result = usage.gather_usage(client, period="day")
    assert [s["vmid"] for s in result["servers"]] == [101, 102, 152]
    assert not [p for p, dummy in client.calls if "/150/" in p or "/151/" in p]


def test_inventory_leaves_placeholders_out_also_when_read_from_the_config():
    configs = {101: {"name": "web1"}, 102: {"name": "db1"}, 152: {"name": "jotun-rebuild-7.web1"},
               160: {"name": cluster.reservation_name("web1", 101)}}
    resources = RESOURCES + [resource(160, status="unknown")]      # made since the broadcast: named by its config
    client = Fake(configs, resources)
    records, warnings = inv.gather(client, details=False, ansible_host="name")
    assert [r["vars"]["vmid"] for r in records] == [101, 102, 152] and warnings == []
    assert [p for p, dummy in client.calls] == ["/cluster/resources", "/nodes/pve1/qemu/160/config"]
    records, warnings = inv.gather(Fake(configs, resources), workers=1)
    assert [r["host"] for r in records] == ["web1", "db1", "jotun-rebuild-7.web1"]


def test_inventory_node_and_pool_filters_must_exist():
    client = Fake()
    with pytest.raises(InputError) as caught:
        inv.gather(client, filters={"pools": ["customers", "custmers"]}, details=False, ansible_host="name")
    assert str(caught.value).startswith("filters.pools: pool 'custmers' does not exist")
    assert caught.value.option == "filters"
    with pytest.raises(InputError) as caught:
        inv.gather(client, filters={"nodes": ["pve9"]}, details=False, ansible_host="name")
    assert str(caught.value).startswith("filters.nodes: node 'pve9' does not exist")
    # a pool or node without guests (or offline) exists: an empty inventory then is the truth
    client = Fake()
    records, dummy = inv.gather(client, filters={"pools": ["empty"], "nodes": ["pve3"]}, details=False,
                                ansible_host="name")
    assert records == []
    # one request all the same: the listing without ``type`` also lists the nodes and pools
    assert client.calls == [("/cluster/resources", {})]


def test_inventory_without_node_or_pool_filters_lists_only_guests():
    client = Fake()
    inv.gather(client, filters={"tags": ["web"]}, details=False, ansible_host="name")
    assert client.calls == [("/cluster/resources", {"type": "vm"})]
