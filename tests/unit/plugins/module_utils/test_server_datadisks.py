# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for jotun_server's data disks plan (server/datadisks.py; no server)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import datadisks

GIB = 1024 ** 3
CONFIG = {
    "name": "web01", "boot": "order=scsi0;ide2;net0", "scsi0": "local-lvm:vm-101-disk-0,size=40G",
    "ide2": "local-lvm:vm-101-cloudinit,media=cdrom", "efidisk0": "local-lvm:vm-101-disk-9,size=4M",
    "scsi1": "ceph:vm-101-disk-1,discard=on,size=10G", "virtio2": "local-lvm:vm-101-disk-2,backup=0,size=5G",
    "unused0": "local-lvm:vm-101-disk-3", "digest": "abc",
}


def wanted(*items, **params):
    params.setdefault("name", "web01")
    params["disks"] = list(items)
    return datadisks.validate(params), params


def plan(*items, **params):
    disks, params = wanted(*items, **params)
    return datadisks.plan(CONFIG, disks, params, "scsi0")


def test_a_listed_disk_is_added_on_the_boot_disks_storage_with_its_options():
    result = plan({"slot": "scsi3", "size": "1.5G", "ssd": True, "discard": True, "backup": True})
    assert result.add == {"scsi3": "local-lvm:1.5,discard=on,ssd=1"}
    assert not (result.update or result.grow or result.detach or result.unused)
    assert plan({"slot": "scsi3", "size": "8G"}, storage="fast").add == {"scsi3": "fast:8"}
    assert plan({"slot": "scsi3", "size": "8G", "storage": "ceph"}, storage="fast").add == {"scsi3": "ceph:8"}


def test_an_existing_disk_is_grown_never_shrunk_and_its_options_changed_in_place():
    result = plan({"slot": "scsi1", "size": "20G", "discard": False, "cache": "writeback"})
    assert result.grow[0][:3] == ("scsi1", 10 * GIB, 20 * GIB)
    assert result.update == {"scsi1": "ceph:vm-101-disk-1,cache=writeback,size=10G"}
    assert result.after["scsi1"] == "ceph:vm-101-disk-1,cache=writeback,size=20G"
    assert not plan({"slot": "scsi1", "size": "10G", "discard": True})       # as it is: nothing to do
    assert not plan({"slot": "virtio2", "size": "5G", "backup": False})
    with pytest.raises(InputError) as err:
        plan({"slot": "scsi1", "size": "5G"})
    assert err.value.option == "disks[0].size" and "cannot shrink" in str(err.value)


def test_unlisted_disks_are_kept_unless_removal_is_asked_and_then_said_plainly():
    assert not plan({"slot": "scsi1", "size": "10G"})
    result = plan({"slot": "scsi1", "size": "10G"}, remove_unlisted_disks=True)
    assert result.detach == [("virtio2", "local-lvm:vm-101-disk-2", 5 * GIB)]
    assert result.unused == [("unused0", "local-lvm:vm-101-disk-3")]
    assert result.after["virtio2"].startswith("DATA LOST") and result.after["unused0"].startswith("DATA LOST")
    assert len([w for w in result.warnings if "data is lost" in w]) == 2
    # the boot disk, the cloud-init drive and the EFI disk are never data disks
    everything = plan(remove_unlisted_disks=True)
    assert sorted(s for s, v, z in everything.detach) == ["scsi1", "virtio2"]


@pytest.mark.parametrize("item, option", [
    ({"slot": "scsi0", "size": "50G"}, "disks[0].slot"),        # the boot disk
    ({"slot": "ide2", "size": "50G"}, "disks[0].slot"),         # the cloud-init drive
])
def test_slots_that_are_no_data_disk_are_refused(item, option):
    with pytest.raises(InputError) as err:
        plan(item)
    assert err.value.option == option


@pytest.mark.parametrize("items, params, option", [
    ([{"slot": "scsi31", "size": "1G"}], {}, "disks[0].slot"),
    ([{"slot": "virtio16", "size": "1G"}], {}, "disks[0].slot"),
    ([{"slot": "sata6", "size": "1G"}], {}, "disks[0].slot"),
    ([{"slot": "ide4", "size": "1G"}], {}, "disks[0].slot"),
    ([{"slot": "efidisk0", "size": "1G"}], {}, "disks[0].slot"),
    ([{"slot": "scsi1", "size": "1G"}, {"slot": "scsi1", "size": "1G"}], {}, "disks[1].slot"),
    ([{"slot": "scsi1", "size": "-1G"}], {}, "disks[0].size"),
    ([{"slot": "virtio1", "size": "1G", "ssd": True}], {}, "disks[0].ssd"),
    ([{"slot": "ide1", "size": "1G", "iothread": True}], {}, "disks[0].iothread"),
    ([{"slot": "scsi1", "size": "1G", "storage": "a b"}], {}, "disks[0].storage"),
])
def test_bad_items_are_refused_naming_the_option(items, params, option):
    with pytest.raises(InputError) as err:
        datadisks.validate(dict(params, name="web01", disks=items))
    assert err.value.option == option


def test_removal_needs_the_list_and_is_refused_on_protected_or_snapshotted_servers():
    with pytest.raises(InputError) as err:
        datadisks.validate({"name": "web01", "remove_unlisted_disks": True})
    assert err.value.option == "remove_unlisted_disks"
    disks, params = wanted(remove_unlisted_disks=True)
    for extra in ({"protection": 1}, {"parent": "before-upgrade"}):
        config = dict(CONFIG, **extra)
        with pytest.raises(InputError) as err:
            datadisks._check_removable(config, datadisks.plan(config, disks, params, "scsi0"), params)
        assert err.value.option == "remove_unlisted_disks"


def test_check_mode_prediction_and_allocation_strings():
    result = plan({"slot": "scsi1", "size": "20G"}, {"slot": "scsi4", "size": "2G"}, remove_unlisted_disks=True)
    after = datadisks.predicted(CONFIG, result)
    assert "size=20G" in after["scsi1"] and after["scsi4"] == "local-lvm:2"
    assert "virtio2" not in after and "unused0" not in after
    # a predicted config's allocation reads as its size in GiB: the same list asks nothing more of it
    disks, params = wanted({"slot": "scsi1", "size": "20G"}, {"slot": "scsi4", "size": "2G"})
    assert not datadisks.plan(after, disks, params, "scsi0")


class _Run(object):
    def __init__(self, pending):
        self.pending = pending
        self.params = {"name": "web01"}


def test_a_disk_pending_on_a_running_server_is_not_grown_before_its_start():
    result = plan({"slot": "virtio2", "size": "8G"})
    with pytest.raises(InputError) as err:
        datadisks._check_growable(_Run({"virtio2": {"value": None, "pending": CONFIG["virtio2"]}}), result)
    assert err.value.option == "disks[0].size" and "next start" in str(err.value)
    datadisks._check_growable(_Run({"virtio2": {"value": CONFIG["virtio2"], "pending": "x"}}), result)
    datadisks._check_growable(_Run({}), result)


@pytest.mark.parametrize("size", ["1.5K", "512K", "1048575"])
def test_disk_below_one_mib_refused(size):
    """Proxmox VE records such a volume as a bare byte count (size=2147) that reads as no size at all."""
    with pytest.raises(InputError) as err:
        datadisks.validate({"disks": [{"slot": "scsi1", "size": size}]})
    assert err.value.option == "disks[0].size"


def test_pending_value_with_an_outdated_size_is_grown_from_the_current_size_and_rewritten():
    """qemu-server resize_vm changes the current value only; the pending one (ssd=1 waiting) keeps size=1G."""
    config = {"scsi0": "local-lvm:vm-100-disk-0,size=2G", "scsi1": "local-lvm:vm-100-disk-1,size=1G,ssd=1"}
    pending = {"scsi1": {"value": "local-lvm:vm-100-disk-1,size=3G",
                         "pending": "local-lvm:vm-100-disk-1,size=1G,ssd=1"}}
    wanted = datadisks.validate({"disks": [{"slot": "scsi1", "size": "3G", "ssd": True}]})
    disk_plan = datadisks.plan(config, wanted, {"name": "s"}, "scsi0", pending)
    assert disk_plan.grow == []
    assert disk_plan.update == {"scsi1": "local-lvm:vm-100-disk-1,size=3G,ssd=1"}
    assert datadisks.plan(config, wanted, {"name": "s"}, "scsi0").grow[0][:3] == ("scsi1", 1024 ** 3, 3 * 1024 ** 3)


def test_disk_on_the_drive_the_rescue_iso_goes_into_refused():
    wanted = datadisks.validate({"disks": [{"slot": "ide3", "size": "1G"}]})
    config = {"scsi0": "local-lvm:vm-100-disk-0,size=2G", "ide2": "local-lvm:vm-100-cloudinit,media=cdrom"}
    with pytest.raises(InputError) as err:
        datadisks.check_media_slot(config, wanted, {"state": "rescued"})
    assert err.value.option == "disks[0].slot"
    datadisks.check_media_slot(config, wanted, {"state": "started"})
    with_cdrom = dict(config, ide0="none,media=cdrom")      # the ISO goes into ide0
    datadisks.check_media_slot(with_cdrom, wanted, {"state": "rescued"})
