# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The jotun inventory's pure parts: listing entries, filters, host names, ansible_host, and one failing guest."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), *([".."] * 4 + [".tmp", "collections"])))

from ansible_collections.jotunheim.proxmox.plugins.module_utils import inventory as inv  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import ProxmoxError  # noqa: E402


def entry(vmid, name=None, node="pve1", status="running", **extra):
    out = {"vmid": vmid, "type": "qemu", "node": node, "status": status, "maxcpu": 2, "maxmem": 2 * 1024 ** 3}
    if name:
        out["name"] = name
    out.update(extra)
    return out


def test_base_vars_reads_the_listing():
    gvars = inv.base_vars(entry(101, "web1", tags="web;prod", pool="customers", template=0, maxdisk=10))
    assert gvars["tags"] == ["prod", "web"] and gvars["pool"] == "customers" and gvars["memory"] == 2048
    assert inv.base_vars(entry(102, "VM 102"))["name"] is None                # nameless, as vmstatus shows it
    assert inv.base_vars({"vmid": 103, "node": "pve2", "status": "unknown"})["status"] == "unknown"


def vmids(found):
    return [g["vmid"] for g in found]


def test_select_filters():
    guests = [inv.base_vars(e) for e in (
        entry(1, "web-1", tags="web;prod", pool="customers"), entry(2, "web-2", tags="web", node="pve2"),
        entry(3, "db-1", tags="db;prod", status="stopped"), entry(4, "tpl", template=1),
        {"vmid": 5, "node": "pve1", "status": "unknown"})]
    assert vmids(inv.select(guests)) == [1, 2, 3, 5]
    assert vmids(inv.select(guests, include_templates=True)) == [1, 2, 3, 4, 5]
    assert vmids(inv.select(guests, tags=["web", "prod"])) == [1]
    assert vmids(inv.select(guests, nodes=["pve2"], status=["running"])) == [2]
    assert vmids(inv.select(guests, names=["web-*"], exclude_names=["*-2"])) == [1, 5]    # 5 is not broadcast yet
    assert vmids(inv.select(guests, pools=["customers"])) == [1]


def test_host_names_shared_and_missing():
    guests = [{"vmid": 1, "name": "a"}, {"vmid": 2, "name": "a"}, {"vmid": 3, "name": None}, {"vmid": 4, "name": "b"}]
    names, duplicates = inv.host_names(guests[1:], everyone=guests)
    assert names == {2: "a-2", 3: "3", 4: "b"} and duplicates == {"a": [1, 2]}


def test_ansible_host_choices():
    gvars = {"name": "web1", "ip_addresses": [
        {"address": "10.0.0.9", "family": "ipv4", "source": "agent"},
        {"address": "192.0.2.5", "family": "ipv4", "source": "ipconfig"},
        {"address": "2001:db8::5", "family": "ipv6", "source": "ipconfig"}]}
    assert inv.ansible_host_for(gvars, "ipv4") == "192.0.2.5"
    assert inv.ansible_host_for(gvars, "ipv6") == "2001:db8::5"
    assert inv.ansible_host_for(gvars, "agent") == "10.0.0.9"
    assert inv.ansible_host_for(gvars, "name") == "web1"
    assert inv.ansible_host_for({"ip_addresses": []}, "ipv4") is None


class FailingClient(object):
    def get(self, path, params=None):
        raise ProxmoxError("VM is locked (backup) [HTTP 500, GET %s]" % path, status=500)


def test_a_failing_guest_keeps_the_listing_and_warns():
    gvars = inv.base_vars(entry(7, "web7"))
    out, warning = inv.read_details(FailingClient(), gvars)
    assert out["cores"] == 2 and "disks" not in out and "VM is locked" in out["error"]
    assert warning.startswith("guest 7 (web7 on pve1): details not read")


def test_needs_config():
    assert inv.needs_config(details=False, ansible_host="name", agent=False) is False
    assert inv.needs_config(details=False, ansible_host="ipv4", agent=False) is True
    assert inv.needs_config(details=False, ansible_host="name", agent=True) is True


def test_disk_size_is_the_boot_disk_from_the_listing_and_from_the_config():
    """Proxmox's maxdisk is the boot disk's size (qemu-server Drive.pm bootdisk_size), not the sum: the config path
    gives the same figure for a guest with two disks."""
    config = {"name": "db1", "boot": "order=scsi1;net0", "memory": "2048", "cores": 2,
              "scsi0": "local-lvm:vm-101-disk-0,size=10G", "scsi1": "local-lvm:vm-101-disk-1,size=32G",
              "ide2": "local-lvm:vm-101-cloudinit,media=cdrom,size=4M", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0"}
    listed = inv.base_vars(entry(101, "db1", maxdisk=32 * 1024 ** 3))
    detailed = inv.apply_config(dict(listed), config)
    assert listed["disk_size"] == detailed["disk_size"] == 32 * 1024 ** 3
    assert sorted(d["size"] for d in detailed["disks"]) == [10 * 1024 ** 3, 32 * 1024 ** 3]
