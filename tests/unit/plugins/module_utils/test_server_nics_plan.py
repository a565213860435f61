# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for jotun_server's extra NICs (server/nics.py): validation, planning, bridge checks (no server)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import nics
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import spec

MAC0 = "BC:24:11:2A:3B:4C"
MAC1 = "BC:24:11:00:00:01"
CONFIG = {"name": "web01", "net0": "virtio=%s,bridge=vmbr0" % MAC0,
          "net1": "virtio=%s,bridge=vmbr1,tag=100" % MAC1, "ipconfig0": "ip=dhcp",
          "ipconfig1": "ip=10.1.0.5/24", "digest": "abc"}
BRIDGES = [
    {"iface": "vmbr0", "type": "bridge", "bridge_ports": "eno1"},
    {"iface": "vmbr1", "type": "bridge", "bridge_ports": "eno2", "bridge_vlan_aware": 1},
    {"iface": "vmbr9", "type": "bridge", "bridge_ports": "none"},
    {"iface": "ovs0", "type": "OVSBridge"},
]


def params(**kwargs):
    base = dict((name, None) for name in spec.argument_spec())
    base.update({"name": "web01", "state": "present", "full_clone": True, "password_update": "on_create",
                 "apply_pending": "none", "shutdown_timeout": 120, "force_stop": False, "purge": True,
                 "remove_unlisted_networks": False})
    base.update(kwargs)
    return base


def planned(config=None, **kwargs):
    p = params(**kwargs)
    return spec.plan_config(dict(config or CONFIG), p, spec.validate(p))


class Client(object):
    def __init__(self):
        self.calls = []

    def get(self, path, params=None, deadline=None):
        self.calls.append((path, params))
        return BRIDGES


def refused(**kwargs):
    with pytest.raises(InputError) as err:
        spec.validate(params(**kwargs))
    assert err.value.option in ("networks", "remove_unlisted_networks")
    return err.value.message


@pytest.mark.parametrize("networks, text", [
    ([{"index": 0, "bridge": "vmbr1"}], "networks[0].index: 0 is out of range"),
    ([{"index": 32, "bridge": "vmbr1"}], "net1 .. net31"),
    ([{"bridge": "vmbr1"}, {"index": 1, "bridge": "vmbr1"}], "net1 is listed twice"),
    ([{"bridge": "vmbr1,tag=5"}], "networks[0].bridge"),
    ([{"bridge": "vmbr1", "vlan": 4095}], "networks[0].vlan: must be between 1 and 4094"),
    ([{"bridge": "vmbr1", "rate_limit": -1}], "networks[0].rate_limit"),
    ([{"bridge": "vmbr1", "rate_limit": float("nan")}], "networks[0].rate_limit: must be a finite number"),
    ([{"bridge": "vmbr1", "rate_limit": float("inf")}], "networks[0].rate_limit: must be a finite number"),
    ([{"bridge": "vmbr1", "model": "virtio-net"}], "networks[0].model: 'virtio-net' is not a NIC model"),
    ([{"bridge": "vmbr1", "mac": "zz"}], "networks[0].mac"),
    ([{"bridge": "vmbr1", "mac": MAC1}, {"bridge": "vmbr1", "mac": MAC1.lower()}], "networks[1].mac"),
    ([{"bridge": "vmbr1", "ipconfig": {"ip": "banana"}}], "networks[0].ipconfig"),
    (["vmbr1"], "networks[0]: expected a dict"),
])
def test_bad_entries_refused(networks, text):
    assert text in refused(networks=networks)


def test_net0_mac_not_repeated():
    assert "is also the MAC of mac (net0)" in refused(mac=MAC1, networks=[{"bridge": "vmbr1", "mac": MAC1}])


def test_ipconfig_given_both_ways_refused_and_remove_needs_networks():
    text = refused(networks=[{"bridge": "vmbr1", "ipconfig": "dhcp"}], ipconfig=["dhcp", "dhcp"])
    assert "ipconfig1 (of net1) is also given as ipconfig[1]" in text
    spec.validate(params(networks=[{"bridge": "vmbr1", "ipconfig": "dhcp"}], ipconfig=["dhcp"]))     # net0 only
    assert "give networks with it" in refused(remove_unlisted_networks=True)


def test_new_nic_added_without_mac_and_its_ipconfig():
    new = {"bridge": "vmbr1", "vlan": 200, "model": "e1000", "ipconfig": {"ip": "10.2.0.5/24"}}
    plan = planned(networks=[{"bridge": "vmbr1", "vlan": 100}, new])
    assert plan.updates == {"net2": "e1000,bridge=vmbr1,tag=200", "ipconfig2": "ip=10.2.0.5/24"}
    assert plan.before["net2"] is None and plan.cloudinit


def test_existing_nic_changed_in_place_keeps_mac_and_model():
    plan = planned(config=dict(CONFIG, net1="e1000=%s,bridge=vmbr1,tag=100,mtu=1400" % MAC1),
                   networks=[{"bridge": "vmbr0", "vlan": 0, "firewall": True, "rate_limit": 12.5}])
    assert plan.updates == {"net1": "e1000=%s,bridge=vmbr0,firewall=1,mtu=1400,rate=12.5" % MAC1}
    assert not planned(networks=[{"vlan": 100, "ipconfig": "ip=10.1.0.5/24"}])     # as it is: nothing
    assert planned(networks=[{"mac": "bc-24-11-00-00-02"}]).updates == {
        "net1": "virtio=BC:24:11:00:00:02,bridge=vmbr1,tag=100"}


def test_new_nic_without_bridge_refused_at_plan():
    with pytest.raises(InputError) as err:
        planned(networks=[{"index": 3, "vlan": 5}])
    assert err.value.option == "networks" and "net3 does not exist yet" in err.value.message


def test_unlisted_left_alone_unless_remove_flag():
    config = dict(CONFIG, net2="virtio=BC:24:11:00:00:02,bridge=vmbr0", ipconfig2="ip=dhcp")
    assert not planned(config=config, networks=[{"bridge": "vmbr1"}])
    plan = planned(config=config, networks=[{"bridge": "vmbr1"}], remove_unlisted_networks=True)
    assert sorted(plan.delete) == ["ipconfig2", "net2"] and not plan.updates
    plan = planned(config=config, networks=[], remove_unlisted_networks=True)
    assert sorted(plan.delete) == ["ipconfig1", "ipconfig2", "net1", "net2"]
    # the ipconfig list keeps what it sets
    plan = planned(config=config, networks=[], remove_unlisted_networks=True, ipconfig=["dhcp", "ip=10.1.0.5/24"])
    assert sorted(plan.delete) == ["ipconfig2", "net1", "net2"]


def test_ipconfig_list_leaves_extra_nics_ipconfig_alone_with_networks():
    plan = planned(ipconfig=["dhcp"], networks=[{"ipconfig": "ip=10.1.0.6/24"}])
    assert plan.updates == {"ipconfig1": "ip=10.1.0.6/24"} and not plan.delete
    assert not planned(ipconfig=["dhcp"], networks=[])       # net1 unlisted: left alone with its ipconfig1
    assert planned(ipconfig=["dhcp"]).delete == ["ipconfig1"]       # as before: entries beyond the list go


def test_bridge_checks():
    entries = spec.validate(params(networks=[{"bridge": "vmbr1", "vlan": 100}, {"bridge": "vmbr0", "vlan": 5},
                                             {"bridge": "ovs0", "vlan": 7}]))["networks"]
    client = Client()
    nics.check_build(client, "pve1", entries, {"net0": "virtio,bridge=vmbr0"})
    assert client.calls == [("/nodes/pve1/network", {"type": "any_bridge"})]
    for bad, text in (({"bridge": "vmbr7"}, "'vmbr7' is not a bridge of pve1"),
                      ({"bridge": "vmbr9", "vlan": 3}, "networks[0].vlan: bridge vmbr9 on pve1 is not VLAN-aware")):
        with pytest.raises(InputError) as err:
            nics.check_build(Client(), "pve1", spec.validate(params(networks=[bad]))["networks"], {})
        assert text in err.value.message and err.value.option == "networks"
    with pytest.raises(InputError):      # a new NIC without bridge: the template has no net2
        nics.check_build(Client(), "pve1", spec.validate(params(networks=[{"index": 2}]))["networks"], CONFIG)
    nics.check_build(Client(), "pve1", spec.validate(params(networks=[{"index": 2}]))["networks"], CONFIG,
                     carried={"settings": {"net2": "virtio,bridge=vmbr0"}})
    # an existing server: only the NICs that change are checked, with their bridge from the plan
    p = params(networks=[{"vlan": 3}])
    extras = spec.validate(p)
    plan = spec.plan_config(dict(CONFIG, net1="virtio=%s,bridge=vmbr9" % MAC1), p, extras)
    with pytest.raises(InputError):
        nics.check_bridges(Client(), "pve1", extras["networks"], plan)
    client = Client()
    nics.check_bridges(client, "pve1", extras["networks"], spec.ConfigPlan())
    assert client.calls == []


def test_mac_of_another_nic_of_the_server_refused():
    """Proxmox VE takes two NICs with one MAC; the guest's network does not."""
    with pytest.raises(InputError) as err:
        planned(networks=[{"index": 2, "bridge": "vmbr1", "mac": MAC0.lower()}])
    assert err.value.option == "networks" and "networks[0].mac" in err.value.message and "net0" in err.value.message
    with pytest.raises(InputError) as err:
        planned(networks=[{"index": 2, "bridge": "vmbr1", "mac": MAC1}])
    assert "net1" in err.value.message
    # the MAC moves: net1 is deleted, or net0 gets another MAC, or net1's own entry
    assert planned(networks=[{"index": 2, "bridge": "vmbr1", "mac": MAC1}], remove_unlisted_networks=True)
    assert planned(mac="BC:24:11:00:00:09", networks=[{"index": 2, "bridge": "vmbr1", "mac": MAC0}])
    assert not planned(networks=[{"index": 1, "mac": MAC1}])
