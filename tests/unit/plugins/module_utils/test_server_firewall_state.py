# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for a server's own firewall (server/firewall.py): input checks, the ipfilter addresses, and the writes
planned to reach a rule list, an IP set and options (POST puts a rule on top, so new rules go last first)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import firewall as fw


class Recorder(fw.Writer):
    def __init__(self):
        fw.Writer.__init__(self, None, {"node": "pve1", "vmid": 100}, True, None)
        self.sent = []

    def send(self, method, path, data=None):
        self.changed = True
        self.sent.append((method, path, dict(data or {})))


def rule(dport, action="ACCEPT", **extra):
    out = {"type": "in", "action": action, "enable": 1, "proto": "tcp", "dport": dport}
    out.update(extra)
    return out


def test_bool_stays_the_net_flag_and_dict_defaults_to_enabled():
    assert fw.validate(True) is True and fw.validate("no") is False and fw.validate(None) is None
    assert fw.net_flag({"policy_in": "DROP"}) is True and fw.net_flag({"enabled": False}) is False
    spec = fw.validate({"policy_out": "reject", "rules": [{"action": "drop", "direction": "OUT", "proto": "UDP",
                                                           "dport": "53", "enabled": "no"}]})
    assert spec["policy_out"] == "REJECT" and spec["ipfilter"] is None
    assert spec["rules"] == [{"type": "out", "action": "DROP", "enable": 0, "proto": "udp", "dport": "53"}]


@pytest.mark.parametrize("value, option", [
    ({"policy_in": "ALLOW"}, "firewall.policy_in"),
    ({"bogus": 1}, "firewall.bogus"),
    ({"rules": "all"}, "firewall.rules"),
    ({"rules": [{"action": "ACCEPT", "proto": "tcp", "dport": "90:80"}]}, "firewall.rules"),
    ({"rules": [{"action": "ACCEPT", "proto": "icmp", "dport": "22"}]}, "firewall.rules"),
    ({"rules": [{"action": "ACCEPT", "source": "10.0.0.1", "dest": "2001:db8::1"}]}, "firewall.rules"),
    ({"rules": [{"action": "ACCEPT", "source": "10.0.0.1-10.0.0.9,10.0.1.1"}]}, "firewall.rules"),
    ({"rules": [{"action": "ACCEPT", "comment": "a # b"}]}, "firewall.rules"),
    ({"ipfilter": True}, "firewall.ipfilter"),
])
def test_bad_values_name_the_key(value, option):
    with pytest.raises(InputError) as err:
        fw.validate(value, [{"ip": "dhcp"}])
    assert err.value.option == option and str(err.value).startswith(option.split("[")[0])


def test_ipfilter_addresses_are_the_hosts_not_networks_or_gateways():
    config = {"ip": "203.0.113.10/24", "gw": "203.0.113.1", "ip6": "2001:DB8:0::10/64", "gw6": "2001:db8::1"}
    assert fw.static_addresses(config, "firewall.ipfilter") == ["2001:db8::10", "203.0.113.10"]
    with pytest.raises(InputError):
        fw.static_addresses({"ip": "203.0.113.10/24", "ip6": "auto"}, "firewall.ipfilter")


def test_rules_appended_reordered_and_removed():
    writer = Recorder()
    fw.sync_rules(writer, [rule("22")], [rule("22"), rule("80"), rule("443")])
    # two POSTs, each landing on top, last first: [22, 80, 22 (the old one)]; then position 2 corrected
    assert [(m, p) for m, p, _d in writer.sent[:2]] == [("POST", "/rules"), ("POST", "/rules")]
    assert [d.get("dport") for _m, _p, d in writer.sent[:2]] == ["80", "22"]
    assert [(m, p, d["dport"]) for m, p, d in writer.sent[2:]] == [("PUT", "/rules/2", "443")]
    writer = Recorder()
    fw.sync_rules(writer, [rule("22", source="10.0.0.0/8"), rule("80"), rule("443")], [rule("22")])
    assert [(m, p) for m, p, _d in writer.sent] == [("DELETE", "/rules/2"), ("DELETE", "/rules/1"), ("PUT", "/rules/0")]
    assert writer.sent[2][2]["delete"] == "source"
    writer = Recorder()
    fw.sync_rules(writer, [rule("22")], [rule("22")])
    assert writer.sent == []


def test_ipset_adds_before_it_removes_and_options_only_what_differs():
    writer = Recorder()
    fw.sync_ipset(writer, "ipfilter-net0", [{"cidr": "203.0.113.10"}], [{"cidr": "203.0.113.20"}])
    assert writer.sent == [("POST", "/ipset/ipfilter-net0", {"cidr": "203.0.113.20"}),
                           ("DELETE", "/ipset/ipfilter-net0/203.0.113.10", {})]
    writer = Recorder()
    fw.sync_options(writer, {"enable": 1}, {"enable": True, "policy_in": "DROP"})
    assert writer.sent == [("PUT", "/options", {"policy_in": "DROP"})]
    writer = Recorder()
    fw.sync_options(writer, {"enable": 1, "log_level_in": "info"}, {"enable": 1}, exact=True)
    assert writer.sent == [("PUT", "/options", {"delete": "log_level_in"})]


def test_plan_keeps_what_the_dict_does_not_name():
    state = {"options": {"enable": 0, "log_level_in": "info"}, "digest": "x",
             "ipsets": {"office": {"comment": None, "entries": [{"cidr": "192.0.2.0/24"}]},
                        "ipfilter-net0": {"comment": None, "entries": [{"cidr": "203.0.113.9"}]}},
             "rules": [rule("22")]}
    wanted = fw.plan_state(state, fw.validate({"ipfilter": False}), {"ip": "203.0.113.10/24"})
    assert wanted["options"] == {"enable": 1, "ipfilter": 0, "log_level_in": "info"}
    assert set(wanted["ipsets"]) == {"office"} and wanted["rules"] == state["rules"]
    writer = Recorder()
    fw.apply_state(writer, state, wanted)
    assert writer.sent[-1] == ("DELETE", "/ipset/ipfilter-net0", {"force": 1})


class Lister(object):
    def __init__(self, answers):
        self.answers = answers
        self.paths = []

    def get(self, path, deadline=None):
        self.paths.append(path)
        return self.answers.get(path, [])


def test_references_looked_up_in_the_guest_then_the_cluster():
    guest = {"node": "pve1", "vmid": 100}
    client = Lister({"/cluster/firewall/ipset": [{"name": "office"}],
                     "/nodes/pve1/qemu/100/firewall/ipset": [{"name": "admins"}]})
    spec = fw.validate({"ipfilter": True, "rules": [{"action": "ACCEPT", "source": "+office"},
                                                    {"action": "ACCEPT", "source": "+guest/admins"},
                                                    {"action": "ACCEPT", "dest": "+ipfilter-net0"}]})
    fw.check_references(client, guest, spec)
    spec = fw.validate({"rules": [{"action": "ACCEPT", "source": "+guest/office"}]})
    with pytest.raises(InputError) as err:
        fw.check_references(client, guest, spec)
    assert str(err.value).startswith("firewall.rules[0].source: there is no IP set 'office' in the server's firewall")
    client = Lister({})
    fw.check_references(client, guest, fw.validate({"rules": [{"action": "DROP", "proto": "tcp", "dport": "25"}]}))
    assert client.paths == []           # nothing named: nothing read


def test_ipfilter_refused_with_a_firewalled_extra_nic():
    """pve-firewall gives every firewall=1 NIC without its own ipfilter-netN an implicit link-local-only set when the
    ipfilter option is on: net1 would lose IPv4. Listed, kept from the config, or taken off the firewall."""
    listed = [{"index": 1, "where": "networks[0]", "firewall": True}]
    with pytest.raises(InputError) as err:
        fw.check_extra_nics(None, listed, {})
    assert err.value.option == "firewall.ipfilter" and "net1" in err.value.message
    config = {"net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
              "net2": "virtio=BC:24:11:00:00:02,bridge=vmbr1,firewall=1"}
    with pytest.raises(InputError) as err:
        fw.check_extra_nics(config, None, {})
    assert "net2" in err.value.message
    fw.check_extra_nics(config, [{"index": 2, "where": "networks[0]", "firewall": False}], {})
    fw.check_extra_nics(config, [], {"remove_unlisted_networks": True})       # net2 goes
    fw.check_extra_nics({"net0": config["net0"], "net1": "virtio,bridge=vmbr1"}, None, {})


def test_rule_naming_the_ipfilter_set_that_ipfilter_false_deletes_refused():
    """ipfilter: false deletes ipfilter-net0 after the rules are written; pve-firewall deletes a set without looking
    at the rules naming it, which would then name no set (the rule is skipped with an error)."""
    guest = {"node": "pve1", "vmid": 100}
    client = Lister({"/nodes/pve1/qemu/100/firewall/ipset": [{"name": "ipfilter-net0"}]})
    spec = fw.validate({"ipfilter": False, "rules": [{"action": "ACCEPT", "source": "+ipfilter-net0"}]})
    with pytest.raises(InputError) as err:
        fw.check_references(client, guest, spec)
    assert err.value.message.startswith("firewall.rules[0].source: there is no IP set 'ipfilter-net0'")
    fw.check_references(client, guest, fw.validate({"rules": [{"action": "ACCEPT", "source": "+ipfilter-net0"}]}))
