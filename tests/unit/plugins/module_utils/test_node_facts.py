# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for node_facts: the jotun_node_info view."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import node_facts as nf
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError

GIB = 1024 ** 3

NODES = [
    {"node": "pve2", "status": "online", "cpu": 0.25, "maxcpu": 16, "mem": 8 * GIB, "maxmem": 64 * GIB, "uptime": 99},
    {"node": "pve1", "status": "online", "cpu": 0.5, "maxcpu": 8, "mem": 16 * GIB, "maxmem": 32 * GIB, "uptime": 100},
    {"node": "pve3", "status": "offline"},
]
GUESTS = [
    {"type": "qemu", "vmid": 9000, "node": "pve1", "status": "stopped", "template": 1, "maxcpu": 2, "maxmem": GIB},
    {"type": "qemu", "vmid": 101, "node": "pve1", "status": "running", "maxcpu": 4, "maxmem": 4 * GIB},
    {"type": "qemu", "vmid": 102, "node": "pve1", "status": "stopped", "maxcpu": 2, "maxmem": 2 * GIB},
    {"type": "lxc", "vmid": 200, "node": "pve2", "status": "running", "maxcpu": 1, "maxmem": GIB},
]
STORAGES = [
    {"storage": "local-lvm", "type": "lvmthin", "content": "rootdir,images", "active": 1, "enabled": 1, "shared": 0,
     "total": 100 * GIB, "used": 25 * GIB, "avail": 75 * GIB},
    {"storage": "local", "type": "dir", "content": "iso,vztmpl,backup,snippets", "active": 1, "enabled": 1,
     "shared": 0, "total": 50 * GIB, "used": 10 * GIB, "avail": 40 * GIB},
    {"storage": "nfs-off", "type": "nfs", "content": "images,backup", "active": 0, "enabled": 1, "shared": 1},
]


class FakeClient(object):
    def __init__(self):
        self.calls = []

    def get(self, path, params=None, deadline=None):
        self.calls.append((path, params))
        if path == "/nodes":
            return NODES
        if path == "/cluster/resources":
            return GUESTS
        if path.startswith("/nodes/") and path.endswith("/storage"):
            return STORAGES
        raise AssertionError(path)


def test_storage_view():
    view = nf.storage_view(STORAGES[0])
    assert view["content"] == ["images", "rootdir"] and view["images"] is True and view["backups"] is False
    assert view["total"] == 100 * GIB and view["avail"] == 75 * GIB and view["used_fraction"] == 0.25
    off = nf.storage_view(STORAGES[2])
    assert off["active"] is False and off["images"] is False and off["backups"] is False and off["total"] == 0


def test_gather_nodes_sorted_with_storage_and_allocation():
    client = FakeClient()
    nodes = nf.gather_nodes(client)
    assert [n["node"] for n in nodes] == ["pve1", "pve2", "pve3"]
    pve1 = nodes[0]
    assert pve1["online"] is True and pve1["cpu"] == {"count": 8, "usage": 0.5, "allocated": 6}
    assert pve1["memory"] == {"total": 32 * GIB, "used": 16 * GIB, "free": 16 * GIB, "allocated": 6 * GIB}
    assert pve1["guests"] == {"total": 3, "running": 1, "templates": 1}
    assert pve1["image_storages"] == ["local-lvm"] and pve1["backup_storages"] == ["local"]
    assert [s["storage"] for s in pve1["storages"]] == ["local", "local-lvm", "nfs-off"]
    pve3 = nodes[2]
    assert pve3["online"] is False and pve3["storages"] == [] and pve3["memory"]["total"] == 0
    storage_calls = [c for c in client.calls if c[0].endswith("/storage")]
    assert [c[0] for c in storage_calls] == ["/nodes/pve1/storage", "/nodes/pve2/storage"]


def test_gather_named_node():
    client = FakeClient()
    nodes = nf.gather_nodes(client, names=["pve2"])
    assert [n["node"] for n in nodes] == ["pve2"]
    assert nodes[0]["guests"] == {"total": 1, "running": 1, "templates": 0}


def test_unknown_node_names_the_option():
    with pytest.raises(InputError) as err:
        nf.gather_nodes(FakeClient(), names=["pve9"])
    assert err.value.option == "node" and "pve9" in str(err.value) and "pve1, pve2, pve3" in str(err.value)
