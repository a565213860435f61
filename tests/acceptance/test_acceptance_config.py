# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The acceptance run's own rules, without a cluster: what is skipped, what is refused, what may be destroyed."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from acceptance_support import GIB, MIB, AcceptanceConfig, boot_disk_size, skip_reason

BASE = {
    "PROXMOX_ACCEPTANCE_HOST": "pve1.example.net",
    "PROXMOX_ACCEPTANCE_TOKEN_ID": "jotun-acc@pve!acceptance",
    "PROXMOX_ACCEPTANCE_TOKEN_SECRET": "00000000-0000-0000-0000-000000000000",
    "PROXMOX_ACCEPTANCE_TEMPLATE": "debian-12",
}


def test_skip_reason_names_the_missing_variables():
    reason = skip_reason({"PROXMOX_ACCEPTANCE_HOST": "pve1"})
    assert "PROXMOX_ACCEPTANCE_TOKEN_ID" in reason and "PROXMOX_ACCEPTANCE_TEMPLATE" in reason
    assert "PROXMOX_ACCEPTANCE_HOST," not in reason and "docs/acceptance.md" in reason
    assert skip_reason(BASE) is None


def test_defaults_and_what_may_be_destroyed():
    config = AcceptanceConfig(BASE)
    assert (config.first, config.last, config.prefix, config.port) == (900100, 900199, "jotun-acc-", 8006)
    assert config.ours(900100, "jotun-acc-srv") and config.ours(900199, "jotun-acc-x")
    assert not config.ours(900200, "jotun-acc-srv")          # outside the range
    assert not config.ours(900150, "customer-web")           # without the prefix
    assert not config.ours(900150, None)                     # no name (yet)
    assert config.module_env()["PROXMOX_VALIDATE_CERTS"] == "true"
    assert "PROXMOX_CA_PATH" not in config.module_env()


@pytest.mark.parametrize("key, value, word", [
    ("VMIDS", "900100", "VMIDS"), ("VMIDS", "900199-900100", "VMIDS"), ("VMIDS", "900100-900100", "VMIDS"),
    ("VMIDS", "50-60", "VMIDS"), ("PREFIX", "", "PREFIX"), ("PREFIX", "Acc_", "PREFIX"),
    ("TOKEN_ID", "acceptance", "TOKEN_ID"), ("PORT", "https", "PORT"),
])
def test_bad_settings_are_refused_naming_the_variable(key, value, word):
    environ = dict(BASE)
    environ["PROXMOX_ACCEPTANCE_" + key] = value
    if value == "":                  # an empty variable counts as unset: the default prefix
        assert AcceptanceConfig(environ).prefix == "jotun-acc-"
        return
    with pytest.raises(ValueError, match="PROXMOX_ACCEPTANCE_" + word):
        AcceptanceConfig(environ)


def test_boot_disk_size_follows_the_boot_order():
    config = {"boot": "order=virtio1;ide2;net0", "ide2": "local-lvm:vm-9000-cloudinit,media=cdrom",
              "scsi0": "local-lvm:base-9000-disk-0,size=2G", "virtio1": "local-lvm:base-9000-disk-1,size=3584M"}
    assert boot_disk_size(config) == ("virtio1", 3584 * MIB)
    del config["boot"]
    assert boot_disk_size(config) == ("scsi0", 2 * GIB)
