# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for snapshot names and rotation, ISO option checks and the rescue mark (no server)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import isos, snapshots
from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import rescue, spec


def snap(name, t):
    return {"name": name, "snaptime": t}


def test_rotation_deletes_only_the_oldest_of_the_prefix():
    snaps = [snap("keepme", 1), snap("daily-a", 2), snap("daily-b", 3), snap("weekly-a", 4), snap("daily-c", 5)]
    assert snapshots.to_delete(snaps, "daily-", 2) == ["daily-a"]
    assert snapshots.to_delete(snaps, "daily-", 1) == ["daily-a", "daily-b"]
    assert snapshots.to_delete(snaps, "daily-", 5) == []


@pytest.mark.parametrize("name", ["current", "Pending", "1st", "a", "x" * 41, "with space"])
def test_bad_snapshot_names(name):
    with pytest.raises(InputError) as err:
        snapshots.check_name(name, "snapshot")
    assert err.value.option == "snapshot"


@pytest.mark.parametrize("params, option", [
    ({"state": "present"}, "snapshot"),
    ({"state": "present", "snapshot": "s1", "max_count": 2}, "max_count"),
    ({"state": "present", "prefix": "d-", "max_count": 0}, "max_count"),
    ({"state": "present", "prefix": "d-", "max_count": 2, "wait": False}, "max_count"),
    ({"state": "absent", "snapshot": "s1", "vmstate": True}, "vmstate"),
    ({"state": "present", "snapshot": "s1", "start": True}, "start"),
    ({"state": "rolled_back"}, "snapshot"),
])
def test_snapshot_options_refused(params, option):
    with pytest.raises(InputError) as err:
        snapshots.validate(params)
    assert err.value.option == option


def test_iso_options():
    assert isos.validate({"state": "present", "url": "https://x.example/path/debian.iso?x=1"}) == "debian.iso"
    assert isos.filename_from_url("https://h/a/b.iso#frag") == "b.iso"
    for params, option in (({"state": "present", "url": "https://h/"}, "url"),
                           ({"state": "present", "url": "https://h/a.iso", "filename": "a b.iso"}, "filename"),
                           ({"state": "present", "url": "https://h/a.iso", "checksum": "z" * 64}, "checksum"),
                           ({"state": "present", "url": "https://h/a.iso", "checksum": "a" * 64,
                             "checksum_algorithm": "md5"}, "checksum")):
        with pytest.raises(InputError) as err:
            isos.validate(params)
        assert err.value.option == option


def test_rescue_mark_round_trip_and_description_comparison():
    desc = rescue.with_mark("customer text", {"boot": "order=scsi0;ide2;net0", "drive": "ide3", "before": "absent"})
    assert desc == "customer text\njotun: rescue boot=order=scsi0;ide2;net0 cdrom=ide3:absent"
    assert rescue.read_mark(desc) == {"boot": "order=scsi0;ide2;net0", "drive": "ide3", "before": "absent"}
    assert rescue.without_mark(desc) == "customer text"
    assert qc.normalise_description(desc) == "customer text"
    plan = spec.ConfigPlan()
    plan.set("description", "new text", "customer text", "new text")
    rescue.keep_mark(plan, {"description": desc})
    assert rescue.read_mark(plan.updates["description"])["drive"] == "ide3"


def test_cdrom_drive_skips_cloudinit_and_refuses_a_disk_on_ide3():
    config = {"ide2": "local-lvm:vm-100-cloudinit,media=cdrom", "scsi0": "local-lvm:vm-100-disk-0,size=2G"}
    assert rescue.cdrom_drive(config) == "ide3"
    assert rescue.cdrom_drive(dict(config, ide0="none,media=cdrom")) == "ide0"
    with pytest.raises(InputError):
        rescue.cdrom_drive(dict(config, ide3="local-lvm:vm-100-disk-1,size=2G"))
    assert rescue.boot_devices({"boot": "order=scsi0;ide2;net0"}) == ["scsi0", "ide2", "net0"]
    assert rescue.boot_devices({"boot": "cdn"}) is None


@pytest.mark.parametrize("params, option", [
    ({"state": "rescued"}, "rescue_iso"),
    ({"state": "rescued", "rescue_iso": "r.iso", "boot_order": ["scsi0"]}, "boot_order"),
    ({"state": "started", "rescue_iso": "r.iso"}, "rescue_iso"),
    ({"state": "present", "boot_order": ["scsi0", "scsi0"]}, "boot_order"),
    ({"state": "present", "boot_order": []}, "boot_order"),
    ({"state": "present", "iso": "local:images/x.iso"}, "iso"),
])
def test_media_options_refused(params, option):
    with pytest.raises(InputError) as err:
        rescue.validate(params)
    assert err.value.option == option
