# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for what a rebuild carries over (server/carry.py): capture the old config, re-apply it to the clone."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import carry

OLD = {
    "name": "web01", "cores": 4, "memory": "8192", "onboot": 1, "protection": 1, "tags": "customer-42;web",
    "description": "customer 42\njotun: restored from local:backup/vzdump-qemu-101-2026_01_01-00_00_00.vma.zst",
    "net0": "virtio=BC:24:11:2A:3B:4C,bridge=vmbr1,firewall=1,rate=12.5,tag=20", "ciuser": "ops",
    "ipconfig0": "ip=203.0.113.10/24,gw=203.0.113.1", "cipassword": "**********", "smbios1": "uuid=old",
    "scsi0": "local-lvm:vm-101-disk-0,discard=on,iops_rd=500,size=40G", "boot": "order=scsi0;ide2;net0",
    "scsi1": "ceph-vm:vm-101-disk-1,backup=0,size=10G", "ide2": "local-lvm:vm-101-cloudinit,media=cdrom",
    "unused0": "local-lvm:vm-101-disk-7", "vmgenid": "old-gen", "meta": "creation-qemu=9.0.2,ctime=1",
    "digest": "d1", "ostype": "l26", "scsihw": "virtio-scsi-pci",
}
CLONE = {
    "name": "web01", "cores": 2, "memory": "2048", "boot": "order=scsi0;ide2;net0",
    "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0", "ipconfig0": "ip=dhcp", "smbios1": "uuid=new",
    "scsi0": "local-lvm:vm-101-disk-0,discard=on,size=2G", "ide2": "local-lvm:vm-101-cloudinit,media=cdrom",
    "vmgenid": "new-gen", "meta": "creation-qemu=9.0.2,ctime=2", "digest": "d2", "ostype": "l26",
    "scsihw": "virtio-scsi-pci",
}


def test_capture_splits_settings_disks_and_losses():
    kept = carry.capture(OLD)
    assert kept["boot"] == "scsi0" and kept["boot_size"] == 40 * 1024 ** 3 and kept["boot_storage"] == "local-lvm"
    assert kept["boot_options"] == {"discard": "on", "iops_rd": "500"}
    assert kept["extra"] == {"scsi1": {"storage": "ceph-vm", "size": 10 * 1024 ** 3, "options": {"backup": "0"}}}
    assert kept["protected"] is True and kept["settings"]["description"] == "customer 42"
    for key in ("digest", "vmgenid", "meta", "cipassword", "unused0", "scsi0", "scsi1", "boot"):
        assert key not in kept["settings"], key
    assert any(text.startswith("unused0:") for text in kept["lost"])
    assert any(text.startswith("cipassword:") for text in kept["lost"])


def test_reapply_gives_back_everything_but_the_disk_contents():
    values, warnings = carry.reapply(carry.capture(OLD), CLONE)
    assert values["net0"] == OLD["net0"] and values["cores"] == 4 and values["smbios1"] == "uuid=old"
    assert values["protection"] == 1 and values["tags"] == OLD["tags"] and values["onboot"] == 1
    assert values["scsi0"] == "local-lvm:vm-101-disk-0,discard=on,iops_rd=500,size=2G"    # options; resize grows it
    assert values["scsi1"] == "ceph-vm:10,backup=0"                                       # recreated empty
    assert "ide2" not in values and "name" not in values and "ostype" not in values
    assert not [w for w in warnings if w.startswith(("ostype", "boot", "scsihw"))], warnings
    assert carry.boot_size(carry.capture(OLD), 20 * 1024 ** 3) == 40 * 1024 ** 3
    assert carry.boot_size(carry.capture(OLD), 50 * 1024 ** 3) == 50 * 1024 ** 3


def test_reapply_after_the_write_sends_nothing_again():
    kept = carry.capture(OLD)
    values, unused = carry.reapply(kept, CLONE)
    after = dict(CLONE, **values)
    after["scsi1"] = "ceph-vm:vm-101-disk-1,backup=0,size=10G"
    again, unused = carry.reapply(kept, after)
    assert again == {}, again
    assert carry.is_satisfied("scsi1", after, values["scsi1"])


def test_template_keys_that_differ_are_warned_about():
    clone = dict(CLONE, ostype="win11", scsi0=None)
    clone.pop("scsi0")
    clone["virtio0"] = "local-lvm:vm-101-disk-0,size=2G"
    clone["boot"] = "order=virtio0"
    unused, warnings = carry.reapply(carry.capture(OLD), clone)
    assert any(w.startswith("ostype:") for w in warnings) and any(w.startswith("boot disk:") for w in warnings)


def test_allocation_never_smaller():
    assert carry.allocation("local-lvm", 10 * 1024 ** 3, {}) == "local-lvm:10"
    text = carry.allocation("local-lvm", 1536 * 1024 ** 2 + 1, {"discard": "on"})
    amount = float(text.split(":")[1].split(",")[0])
    assert amount * 1024 ** 3 >= 1536 * 1024 ** 2 + 1 and text.endswith(",discard=on")


def test_cpu_and_memory_details_are_carried():
    old = dict(OLD, cpu="cputype=host,flags=+aes", sockets=2, numa=1, balloon=1024, cpulimit="1.5", cpuunits=200)
    values, unused = carry.reapply(carry.capture(old), CLONE)
    for key in ("cpu", "sockets", "numa", "balloon", "cpulimit", "cpuunits"):
        assert values[key] == old[key], key


def test_the_record_survives_a_description_and_refuses_what_does_not_fit():
    import os
    import pytest
    from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import ProxmoxError
    config = {"name": "web01", "net0": "virtio=BC:24:11:AB:CD:EF,bridge=vmbr0", "description": "customer 7\nplan L",
              "scsi0": "local-lvm:vm-100-disk-0,size=40G", "scsi1": "local-lvm:vm-100-disk-1,backup=0,size=5G",
              "smbios1": "uuid=5f4e...", "protection": 1}
    record = {"vmid": 100, "node": "pve1", "template": 9000, "pool": "customers", "running": True,
              "carried": carry.capture(config), "vmgenid": None, "until": 0}
    record["carried"]["firewall"] = {"options": {"enable": 1}, "ipsets": {}, "rules": [{"pos": 0, "action": "ACCEPT"}]}
    text = carry.pack("jotun: keeps web01", record)
    assert text.startswith("jotun: keeps web01\n" + carry.RECORD_MARK + "\n") and len(text) <= carry.DESCRIPTION_MAX
    assert all(len(line) <= 76 for line in text.splitlines()[2:])
    back = carry.unpack(text + "\n")       # Proxmox VE may add or drop a trailing newline
    assert back["carried"] == record["carried"] and back["vmid"] == 100 and back["running"] is True
    assert carry.unpack("jotun: keeps the name web01 reserved") is None
    assert carry.unpack("x\n" + carry.RECORD_MARK + "\nnot base64!") is None
    record["carried"]["settings"]["description"] = os.urandom(6000).hex()      # random text does not compress
    with pytest.raises(ProxmoxError) as err:
        carry.pack("jotun", record)
    assert err.value.kind == "final" and "8192" in str(err.value)
