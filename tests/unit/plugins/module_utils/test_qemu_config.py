# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for qemu_config: parse/normalise/format of QEMU config values."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError


@pytest.mark.parametrize("value,expected", [
    (1, True), (0, False), ("1", True), ("0", False), ("on", True), ("off", False),
    ("yes", True), ("no", False), ("true", True), ("False", False), (True, True),
])
def test_parse_bool(value, expected):
    assert qc.parse_bool(value) is expected


def test_parse_bool_rejects_garbage():
    with pytest.raises(InputError) as err:
        qc.parse_bool("maybe", option="onboot")
    assert "onboot" in str(err.value)


def test_parse_net_full():
    net = qc.parse_net("virtio=bc:24:11:aa:bb:cc,bridge=vmbr0,firewall=1,rate=12.5,tag=20")
    assert net == {"model": "virtio", "macaddr": "BC:24:11:AA:BB:CC", "bridge": "vmbr0", "firewall": True,
                   "rate": 12.5, "tag": 20}


def test_parse_net_model_without_mac():
    net = qc.parse_net("model=e1000,bridge=vmbr1")
    assert net["model"] == "e1000" and net["macaddr"] is None and net["bridge"] == "vmbr1"


def test_format_net_round_trip_and_order():
    text = qc.format_net({"model": "virtio", "macaddr": "BC:24:11:AA:BB:CC", "bridge": "vmbr0", "tag": 20,
                          "rate": 10.0, "firewall": True, "link_down": False})
    assert text == "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,firewall=1,rate=10,tag=20"
    assert qc.parse_net(text)["rate"] == 10.0


def test_net_equal_ignores_generated_mac_and_unasked_keys():
    current = "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,firewall=1,tag=20"
    assert qc.net_equal(current, {"model": "virtio", "macaddr": None, "bridge": "vmbr0", "tag": 20})
    assert not qc.net_equal(current, {"model": "virtio", "macaddr": None, "bridge": "vmbr1"})
    assert not qc.net_equal(current, {"model": "virtio", "macaddr": "BC:24:11:AA:BB:CD"})
    assert not qc.net_equal(current, {"model": "virtio", "firewall": False})
    assert qc.net_equal("virtio=BC:24:11:AA:BB:CC,bridge=vmbr0", {"firewall": False})


@pytest.mark.parametrize("mac", ["bc-24-11-aa-bb-cc", "BC:24:11:AA:BB:CC", "bc:24:11:aa:bb:cc"])
def test_normalise_mac(mac):
    assert qc.normalise_mac(mac) == "BC:24:11:AA:BB:CC"


@pytest.mark.parametrize("mac", ["BC:24:11:AA:BB", "zz:24:11:aa:bb:cc", "01:00:5E:00:00:01"])
def test_normalise_mac_rejects(mac):
    with pytest.raises(InputError) as err:
        qc.normalise_mac(mac)
    assert err.value.option == "mac"


def test_ipconfig_from_option_static_and_dhcp():
    assert qc.ipconfig_from_option({"ip": "10.0.0.5/24", "gw": "10.0.0.1"}) == {"ip": "10.0.0.5/24", "gw": "10.0.0.1"}
    assert qc.ipconfig_from_option("dhcp") == {"ip": "dhcp"}
    assert qc.ipconfig_from_option({"ip6": "auto"}) == {"ip6": "auto"}
    assert qc.ipconfig_from_option({"ip6": "2001:db8::5/64", "gw6": "2001:DB8::1"}) == {"ip6": "2001:db8::5/64", "gw6": "2001:db8::1"}


@pytest.mark.parametrize("item,fragment", [
    ({"ip": "10.0.0.5"}, "ipconfig[1].ip"),
    ({"ip": "300.0.0.5/24"}, "ipconfig[1].ip"),
    ({"ip": "dhcp", "gw": "10.0.0.1"}, "ipconfig[1].gw"),
    ({"ip": "10.0.0.5/24", "gw": "2001:db8::1"}, "ipconfig[1].gw"),
    ({"address": "10.0.0.5/24"}, "unknown key"),
    ({}, "ipconfig[1]"),
])
def test_ipconfig_from_option_rejects(item, fragment):
    with pytest.raises(InputError) as err:
        qc.ipconfig_from_option(item, index=1)
    assert fragment in str(err.value)
    assert err.value.option == "ipconfig"


def test_ipconfig_parse_format():
    cfg = qc.parse_ipconfig("gw=10.0.0.1,ip=10.0.0.5/24")
    assert cfg == {"ip": "10.0.0.5/24", "gw": "10.0.0.1"}
    assert qc.format_ipconfig(cfg) == "ip=10.0.0.5/24,gw=10.0.0.1"


def test_sshkeys_encoding_uses_percent20():
    keys = ["ssh-ed25519 AAAAC3Nza+/= alice@example", "ssh-rsa AAAAB3 bob"]
    encoded = qc.encode_sshkeys(keys)
    assert "+" not in encoded and " " not in encoded
    assert "%20" in encoded and "%2B" in encoded and "%0A" in encoded
    assert qc.decode_sshkeys(encoded) == keys


def test_sshkeys_decode_tolerates_spacing_and_blank_lines():
    stored = "ssh-ed25519%20%20AAAA%20alice%0A%0Assh-rsa%20BBBB%20bob%0A"
    assert qc.decode_sshkeys(stored) == ["ssh-ed25519 AAAA alice", "ssh-rsa BBBB bob"]
    assert qc.normalise("sshkeys", stored) == qc.normalise("sshkeys", qc.encode_sshkeys(["ssh-ed25519 AAAA alice", "ssh-rsa BBBB bob"]))


def test_tags_sorted_unique_any_separator():
    assert qc.parse_tags("web;db,web prod") == ["db", "prod", "web"]
    assert qc.format_tags(["web", "db"]) == "db;web"
    with pytest.raises(InputError) as err:
        qc.parse_tags(["ok", "-bad"])
    assert "tags" in str(err.value)


def test_memory_and_agent():
    assert qc.parse_memory("2048") == 2048
    assert qc.parse_memory("current=4096") == 4096
    assert qc.parse_agent("1") is True
    assert qc.parse_agent("enabled=0,fstrim_cloned_disks=1") is False
    assert qc.parse_agent(None) is False


def test_mask_config_hides_cipassword():
    masked = qc.mask_config({"cipassword": "s3cret", "ciuser": "ops"})
    assert masked == {"cipassword": qc.CIPASSWORD_MASK, "ciuser": "ops"}


def test_cloudinit_helpers():
    config = {"ide2": "local-lvm:vm-100-cloudinit,media=cdrom", "scsi0": "local-lvm:vm-100-disk-0,size=8G"}
    assert qc.cloudinit_drive(config) == "ide2"
    assert qc.cloudinit_drive({"scsi0": "local-lvm:vm-100-disk-0"}) is None
    assert qc.is_cloudinit_key("ipconfig0") and qc.is_cloudinit_key("sshkeys")
    assert not qc.is_cloudinit_key("net0")


def test_normalise_dispatch():
    assert qc.normalise("onboot", "1") is True
    assert qc.normalise("cores", "2") == 2
    assert qc.normalise("nameserver", "1.1.1.1,8.8.8.8") == ["1.1.1.1", "8.8.8.8"]
    assert qc.normalise("description", "hello  \n") == "hello"
    assert qc.normalise("net0", "virtio=BC:24:11:AA:BB:CC")["macaddr"] == "BC:24:11:AA:BB:CC"
    assert qc.normalise("name", "web1") == "web1"


def test_check_sshkeys_refuses_what_ssh_keygen_would():
    qc.check_sshkeys(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB+x/y= ops@example", "ecdsa-sha2-nistp256 AAAAE2Vj= x",
                      'from="10.0.0.0/8" ssh-rsa AAAAB3NzaC1yc2E= bob'])
    for keys, entry in ((["# ops keys", "ssh-ed25519 AAAA x"], "entry 1 is a comment"),
                        (["ssh-ed25519 AAAA x", "ops@example"], "entry 2 is not an OpenSSH public key"),
                        ("ssh-ed25519", "entry 1 is not")):
        with pytest.raises(InputError) as err:
            qc.check_sshkeys(keys)
        assert err.value.option == "sshkeys" and entry in err.value.message


def test_ipconfig_string_with_a_key_twice_refused():
    """Proxmox VE refuses it ("duplicate key in comma-separated list property"); the last one must not silently win."""
    with pytest.raises(InputError) as err:
        qc.ipconfig_from_option("ip=10.0.0.5/24,ip=dhcp", 1, option="ipconfig")
    assert err.value.option == "ipconfig" and "ip given twice" in err.value.message
