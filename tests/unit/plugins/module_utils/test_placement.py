# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for placement.py: which nodes a template can be cloned to (qemu-server clone_vm's rules)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import placement
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server.build import choose_node

INDEX = placement.storage_index([
    {"storage": "local", "type": "dir", "content": "iso,backup"},
    {"storage": "local-lvm", "type": "lvmthin", "content": "images,rootdir"},
    {"storage": "ceph-vm", "type": "rbd", "content": "images", "shared": 1},
    {"storage": "nfs-ab", "type": "nfs", "content": "images", "shared": 1, "nodes": "pve1,pve2"},
])
NODES = [{"node": "pve1", "status": "online", "mem": 8, "maxmem": 10},
         {"node": "pve2", "status": "online", "mem": 2, "maxmem": 10},
         {"node": "pve3", "status": "online", "mem": 1, "maxmem": 10}]
LOCAL = {"scsi0": "local-lvm:base-9000-disk-0,size=2G", "ide2": "local-lvm:vm-9000-cloudinit,media=cdrom",
         "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0"}
CEPH = {"scsi0": "ceph-vm:base-9003-disk-0,size=2G", "ide2": "ceph-vm:vm-9003-cloudinit,media=cdrom",
        "ide0": "none,media=cdrom"}
T_LOCAL = {"vmid": 9000, "name": "debian-12", "node": "pve1"}
T_CEPH = {"vmid": 9003, "name": "debian-12", "node": "pve2"}


def test_template_storages_count_cloudinit_and_iso():
    config = dict(LOCAL, ide0="local:iso/debian.iso,media=cdrom", ide1="cdrom,media=cdrom")
    assert placement.template_storages(config) == ["local", "local-lvm"]


def test_reachable_nodes():
    assert placement.reachable_nodes(T_LOCAL, LOCAL, INDEX, ["pve1", "pve2", "pve3"]) == (["pve1"], ["local-lvm"])
    assert placement.reachable_nodes(T_CEPH, CEPH, INDEX, ["pve1", "pve2", "pve3"]) == (["pve1", "pve2", "pve3"], [])
    nfs = {"scsi0": "nfs-ab:9004/base-9004-disk-0.qcow2,size=2G"}
    assert placement.reachable_nodes(T_CEPH, nfs, INDEX, ["pve1", "pve2", "pve3"])[0] == ["pve1", "pve2"]
    assert placement.reachable_nodes(T_CEPH, CEPH, INDEX, ["pve1", "pve2"], "local-lvm") == (["pve2"], ["local-lvm"])
    iso = dict(CEPH, ide0="local:iso/debian.iso,media=cdrom")
    assert placement.reachable_nodes(T_CEPH, iso, INDEX, ["pve1", "pve2"]) == (["pve2"], ["local"])


def test_place_without_node_picks_free_memory_among_reachable():
    assert placement.place([T_LOCAL], {9000: LOCAL}, INDEX, NODES, choose=choose_node) == (T_LOCAL, "pve1")
    assert placement.place([T_CEPH], {9003: CEPH}, INDEX, NODES, choose=choose_node) == (T_CEPH, "pve3")


def test_place_with_node_uses_the_copy_on_that_node_or_refuses():
    both = [T_LOCAL, dict(T_LOCAL, vmid=9010, node="pve2")]
    configs = {9000: LOCAL, 9010: LOCAL}
    assert placement.place(both, configs, INDEX, NODES, wanted="pve2", choose=choose_node)[0]["vmid"] == 9010
    with pytest.raises(InputError) as err:
        placement.place([T_LOCAL], {9000: LOCAL}, INDEX, NODES, wanted="pve2", choose=choose_node)
    assert err.value.option == "node"
    assert "cannot build on pve2" in str(err.value) and "'local-lvm' is not shared" in str(err.value)
    with pytest.raises(InputError) as err:
        placement.place([T_LOCAL], {9000: LOCAL}, INDEX, NODES, wanted="pve9", choose=choose_node)
    assert "no node named 'pve9'" in str(err.value)


def test_place_offline_reachable_node():
    nodes = [dict(NODES[0], status="offline"), NODES[1]]
    with pytest.raises(InputError) as err:
        placement.place([T_LOCAL], {9000: LOCAL}, INDEX, nodes, choose=choose_node)
    assert err.value.option == "node" and "online" in str(err.value)


def test_place_checks_the_bridge_on_the_node():
    bridges = {"pve1": {"vmbr0", "vmbr1"}, "pve2": {"vmbr0"}, "pve3": {"vmbr0"}}
    asked = []

    def bridges_of(node):
        asked.append(node)
        return bridges[node]

    args = ([T_CEPH], {9003: CEPH}, INDEX, NODES)
    assert placement.place(*args, choose=choose_node, bridge="vmbr1", bridges_of=bridges_of) == (T_CEPH, "pve1")
    assert placement.place(*args, wanted="pve2", choose=choose_node, bridge="vmbr0", bridges_of=bridges_of)[1] == "pve2"
    with pytest.raises(InputError) as err:
        placement.place(*args, wanted="pve2", choose=choose_node, bridge="vmbr1", bridges_of=bridges_of)
    assert err.value.option == "bridge" and "'vmbr1' is not a bridge of pve2 (pve2 has vmbr0)" in str(err.value)
    with pytest.raises(InputError) as err:
        placement.place([T_LOCAL], {9000: LOCAL}, INDEX, NODES, choose=choose_node, bridge="vmbr9",
                        bridges_of=bridges_of)
    assert err.value.option == "bridge" and "pve1" in str(err.value)
    assert placement.bridge_names([{"iface": "vmbr0", "type": "bridge"}]) == {"vmbr0"}
