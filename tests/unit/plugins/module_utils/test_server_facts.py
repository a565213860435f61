# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for server_facts: selecting guests and building the jotun_server_info view."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import facts as sf
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError

GIB = 1024 ** 3

RESOURCES = [
    {"type": "qemu", "vmid": 9000, "name": "debian-12", "node": "pve1", "status": "stopped", "template": 1},
    {"type": "qemu", "vmid": 101, "name": "web1", "node": "pve1", "status": "running", "tags": "prod;web",
     "uptime": 50, "maxcpu": 2, "maxmem": 2 * GIB},
    {"type": "qemu", "vmid": 102, "name": "web2", "node": "pve2", "status": "stopped", "tags": "web"},
    {"type": "qemu", "vmid": 103, "name": "web1", "node": "pve2", "status": "stopped", "tags": "staging,web"},
    {"type": "lxc", "vmid": 200, "name": "ct", "node": "pve1", "status": "running"},
]

PENDING = [
    {"key": "name", "value": "web1"},
    {"key": "cores", "value": 2},
    {"key": "balloon", "value": 0, "pending": 1024},
    {"key": "sockets", "value": 1},
    {"key": "memory", "value": "2048", "pending": "4096"},
    {"key": "agent", "value": "1"},
    {"key": "boot", "value": "order=scsi0;ide2;net0"},
    {"key": "scsi0", "value": "local-lvm:vm-101-disk-0,discard=on,size=32G"},
    {"key": "scsi1", "value": "local-lvm:vm-101-disk-1,size=512M"},
    {"key": "ide2", "value": "local-lvm:vm-101-cloudinit,media=cdrom"},
    {"key": "ide0", "value": "none,media=cdrom"},
    {"key": "unused0", "value": "local-lvm:vm-101-disk-9"},
    {"key": "net0", "value": "virtio=BC:24:11:AA:BB:01,bridge=vmbr0,firewall=1,rate=12.5"},
    {"key": "net1", "value": "virtio=bc:24:11:aa:bb:02,bridge=vmbr1,tag=20"},
    {"key": "ipconfig0", "value": "ip=203.0.113.10/24,gw=203.0.113.1"},
    {"key": "ipconfig1", "value": "ip=dhcp,ip6=2001:db8::10/64"},
    {"key": "ciuser", "value": "admin"},
    {"key": "cipassword", "value": "**********", "pending": "s3cret-new"},
    {"key": "sshkeys", "value": "ssh-ed25519%20AAAAC3Nza%20ops%40jotun%0A"},
    {"key": "nameserver", "value": "1.1.1.1 9.9.9.9"},
    {"key": "tags", "value": "web;prod"},
    {"key": "onboot", "value": 1},
    {"key": "serial0", "delete": 1, "value": "socket"},
    {"key": "digest", "value": "abc"},
]

STATUS = {"status": "running", "qmpstatus": "running", "uptime": 1234, "agent": 1}

AGENT = {"result": [
    {"name": "lo", "hardware-address": "00:00:00:00:00:00",
     "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}]},
    {"name": "eth0", "hardware-address": "bc:24:11:aa:bb:01",
     "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "203.0.113.10", "prefix": 24},
                      {"ip-address-type": "ipv6", "ip-address": "fe80::1", "prefix": 64}]},
    {"name": "eth1", "hardware-address": "bc:24:11:aa:bb:02",
     "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "10.20.0.7", "prefix": 16}]},
]}


@pytest.mark.parametrize("filters,expected", [
    ({}, [101, 102, 103, 9000]),
    ({"vmids": [102]}, [102]),
    ({"names": ["web1"]}, [101, 103]),
    ({"tags": ["web"]}, [101, 102, 103]),
    ({"tags": ["web", "prod"]}, [101]),
    ({"tags": "staging"}, [103]),
    ({"nodes": ["pve2"]}, [102, 103]),
    ({"names": ["web1"], "nodes": ["pve2"]}, [103]),
    ({"vmids": [555]}, []),
])
def test_select_guests(filters, expected):
    assert [g["vmid"] for g in sf.select_guests(RESOURCES, **filters)] == expected


def test_select_guests_by_pool_and_pool_in_summary():
    guests = [dict(RESOURCES[1], pool="customers"), dict(RESOURCES[2], pool="internal"), RESOURCES[3]]
    assert [g["vmid"] for g in sf.select_guests(guests, pools=["customers"])] == [101]
    assert [g["vmid"] for g in sf.select_guests(guests, pools=["customers", "internal"], nodes=["pve2"])] == [102]
    assert [sf.summary_view(g)["pool"] for g in guests] == ["customers", "internal", None]


def test_select_guests_rejects_bad_tag():
    with pytest.raises(InputError) as err:
        sf.select_guests(RESOURCES, tags=["-bad"])
    assert "tags" in str(err.value)


def test_split_pending_masks_password_and_lists_changes():
    config, pending = sf.split_pending(PENDING)
    assert config["memory"] == "2048"
    assert config["cipassword"] == "**********"
    keys = [p["key"] for p in pending]
    assert keys == ["balloon", "cipassword", "memory", "serial0"]
    cipw = pending[1]
    assert cipw["pending"] == "**********" and "s3cret" not in repr(pending)
    assert pending[3]["delete"] is True
    assert pending[0] == {"key": "balloon", "value": "0", "pending": "1024", "delete": False}


def view():
    return sf.server_view(RESOURCES[1], STATUS, PENDING, AGENT)


def test_server_view_basics():
    v = view()
    assert v["vmid"] == 101 and v["node"] == "pve1" and v["name"] == "web1"
    assert v["status"] == "running" and v["qmpstatus"] == "running" and v["uptime"] == 1234
    assert v["tags"] == ["prod", "web"]
    assert v["cores"] == 2 and v["vcpus"] == 2 and v["memory"] == 2048 and v["memory_bytes"] == 2 * GIB
    assert v["onboot"] is True and v["template"] is False and v["lock"] is None


def test_server_view_disks_in_bytes():
    v = view()
    assert [d["key"] for d in v["disks"]] == ["scsi0", "scsi1"]
    assert v["disks"][0] == {"key": "scsi0", "volume": "local-lvm:vm-101-disk-0", "storage": "local-lvm",
                             "size": 32 * GIB, "format": None, "boot": True}
    assert v["disks"][1]["size"] == 512 * 1024 * 1024 and v["disks"][1]["boot"] is False
    assert v["cdroms"] == [{"key": "ide0", "volume": "none"}]
    assert v["unused_disks"] == ["local-lvm:vm-101-disk-9"]


def test_server_view_nets():
    nets = view()["nets"]
    assert nets[0]["mac"] == "BC:24:11:AA:BB:01" and nets[0]["bridge"] == "vmbr0" and nets[0]["rate"] == 12.5
    assert nets[0]["firewall"] is True and nets[0]["vlan"] is None
    assert nets[1]["mac"] == "BC:24:11:AA:BB:02" and nets[1]["vlan"] == 20 and nets[1]["rate"] is None


def test_server_view_cloud_init_masks_password():
    ci = view()["cloud_init"]
    assert ci["drive"] == "ide2" and ci["user"] == "admin" and ci["password"] == "**********"
    assert ci["sshkeys"] == ["ssh-ed25519 AAAAC3Nza ops@jotun"]
    assert ci["nameservers"] == ["1.1.1.1", "9.9.9.9"]
    assert ci["ipconfig"][0] == {"key": "ipconfig0", "net": "net0", "ip": "203.0.113.10/24", "gw": "203.0.113.1"}
    assert "s3cret" not in repr(view())


def test_ip_addresses_from_agent_and_ipconfig():
    v = view()
    agent = [(a["address"], a["net"], a["interface"]) for a in v["ip_addresses"] if a["source"] == "agent"]
    assert agent == [("203.0.113.10", "net0", "eth0"), ("10.20.0.7", "net1", "eth1")]
    configured = [(a["address"], a["prefix"], a["family"]) for a in v["ip_addresses"] if a["source"] == "ipconfig"]
    assert configured == [("203.0.113.10", 24, "ipv4"), ("2001:db8::10", 64, "ipv6")]
    assert v["ip_address"] == "203.0.113.10"
    assert v["agent"] == {"enabled": True, "answered": True}


def test_ip_addresses_without_agent():
    v = sf.server_view(RESOURCES[1], STATUS, PENDING, None)
    assert all(a["source"] == "ipconfig" for a in v["ip_addresses"])
    assert v["agent"]["answered"] is False
    assert v["ip_address"] == "203.0.113.10"


def test_pending_in_view():
    pending = dict((p["key"], p) for p in view()["pending"])
    assert pending["memory"] == {"key": "memory", "value": "2048", "pending": "4096", "delete": False}


def test_summary_view_from_resources_only():
    v = sf.summary_view(RESOURCES[0])
    assert v["template"] is True and v["tags"] == [] and v["vmid"] == 9000


def test_memory_property_string_of_newer_releases():
    entries = [{"key": "memory", "value": "current=4096"}, {"key": "cores", "value": "4"}, {"key": "sockets", "value": "2"}]
    v = sf.server_view(RESOURCES[2], {"status": "stopped"}, entries)
    assert v["memory"] == 4096 and v["vcpus"] == 8 and v["disks"] == [] and v["ip_address"] is None


class FakeClient(object):
    def __init__(self, answers, failing=()):
        self.answers = answers
        self.failing = failing
        self.calls = []

    def get(self, path, params=None, deadline=None):
        self.calls.append(path)
        if path in self.failing:
            raise ProxmoxError("QEMU guest agent is not running", status=500)
        return self.answers[path]


def answers():
    return {
        "/cluster/resources": RESOURCES,
        "/nodes/pve1/qemu/101/status/current": STATUS,
        "/nodes/pve1/qemu/101/pending": PENDING,
        "/nodes/pve1/qemu/101/agent/network-get-interfaces": AGENT,
        "/nodes/pve2/qemu/103/status/current": {"status": "stopped"},
        "/nodes/pve2/qemu/103/pending": [{"key": "name", "value": "web1"}, {"key": "agent", "value": "1"}],
    }


def test_gather_servers_reads_status_pending_and_agent_only_when_running():
    client = FakeClient(answers())
    servers = sf.gather_servers(client, names=["web1"])
    assert [s["vmid"] for s in servers] == [101, 103]
    assert client.calls.count("/nodes/pve1/qemu/101/agent/network-get-interfaces") == 1
    assert not [c for c in client.calls if "103/agent" in c]
    assert len(client.calls) == 1 + 3 + 2


def test_gather_servers_tolerates_a_silent_agent():
    client = FakeClient(answers(), failing=("/nodes/pve1/qemu/101/agent/network-get-interfaces",))
    servers = sf.gather_servers(client, vmids=[101])
    assert servers[0]["agent"] == {"enabled": True, "answered": False}


def test_gather_servers_without_details_is_one_request():
    client = FakeClient(answers())
    servers = sf.gather_servers(client, tags=["web"], details=False)
    assert [s["vmid"] for s in servers] == [101, 102, 103] and client.calls == ["/cluster/resources"]


def test_gather_servers_by_name_finds_a_guest_not_broadcast_yet():
    """A guest restored, cloned or made since pvestatd's last broadcast is listed without its name
    (/cluster/resources); selected by name, its config names it (one GET .../config, only for such guests)."""
    state = answers()
    state["/cluster/resources"] = RESOURCES + [{"vmid": 104, "node": "pve1", "type": "qemu", "status": "unknown"}]
    state["/nodes/pve1/qemu/104/config"] = {"name": "web9", "memory": "2048"}
    client = FakeClient(state)
    servers = sf.gather_servers(client, names=["web9"], details=False)
    assert [s["vmid"] for s in servers] == [104]
    assert client.calls == ["/cluster/resources", "/nodes/pve1/qemu/104/config"]
    client = FakeClient(state)
    assert sf.gather_servers(client, tags=["web"], details=False) and client.calls[0] == "/cluster/resources"


def test_gather_servers_by_name_finds_a_guest_broadcast_as_vm_vmid():
    """A forced restore's stub config has no name: pvestatd broadcasts it as "VM <vmid>" (qemu-server vmstatus)
    and /cluster/resources says so until the next broadcast, after the restore wrote the real name back."""
    state = answers()
    state["/cluster/resources"] = RESOURCES + [{"vmid": 104, "node": "pve1", "type": "qemu", "status": "stopped",
                                                "name": "VM 104"}]
    state["/nodes/pve1/qemu/104/config"] = {"name": "web9", "memory": "2048"}
    client = FakeClient(state)
    assert [s["vmid"] for s in sf.gather_servers(client, names=["web9"], details=False)] == [104]
