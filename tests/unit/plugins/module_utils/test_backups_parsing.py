# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure helpers of the backup flows: volume ids, archive dicts, ages, vzdump bodies, picking the new archive,
telling a QEMU config from a container config."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), *([".."] * 4 + [".tmp", "collections"])))

from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import archives as a  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import create as c  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import restore as rs  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError  # noqa: E402

VOLID = "local:backup/vzdump-qemu-101-2026_11_26-05_33_08.vma.zst"


def test_parse_vzdump_volid():
    info = a.parse_volid(VOLID)
    assert info == {"volid": VOLID, "storage": "local", "name": "vzdump-qemu-101-2026_11_26-05_33_08.vma.zst",
                    "type": "qemu", "vmid": 101, "standard": True}


def test_parse_lxc_and_pbs_volids():
    assert a.parse_volid("nfs-b:backup/vzdump-lxc-200-2025_01_02-03_04_05.tar.gz")["type"] == "lxc"
    pbs = a.parse_volid("pbs1:backup/vm/105/2026-11-26T05:33:08Z")
    assert (pbs["type"], pbs["vmid"], pbs["standard"]) == ("qemu", 105, True)


def test_parse_renamed_archive_is_not_standard():
    info = a.parse_volid("local:backup/my-copy-of-101.vma.zst")
    assert info["standard"] is False and info["vmid"] is None and info["type"] is None


@pytest.mark.parametrize("bad", ["", "vzdump-qemu-101.vma", "local:", ":backup/x", "local:images/vm-100-disk-0.raw",
                                 "lo cal:backup/x"])
def test_parse_volid_rejects_with_option_name(bad):
    with pytest.raises(InputError) as err:
        a.parse_volid(bad, option="volid")
    assert err.value.option == "volid" and "volid:" in err.value.message


def test_normalise_archive_and_iso_time():
    entry = {"volid": VOLID, "vmid": 101, "ctime": 1795670000, "size": 12345, "format": "vma.zst",
             "content": "backup", "protected": 1, "notes": "first line"}
    arc = a.normalise_archive(entry, "pve1", "local")
    assert arc["ctime_iso"] == "2026-11-26T05:13:20Z"
    assert arc["protected"] is True and arc["type"] == "qemu" and arc["node"] == "pve1" and arc["size"] == 12345
    assert a.normalise_archive(dict(entry, protected=None, notes=None), "pve1", "local")["protected"] is False
    assert a.iso_time(None) is None


def test_newest_first_breaks_ties_by_volid():
    arcs = [{"volid": "s:backup/a", "ctime": 5}, {"volid": "s:backup/b", "ctime": 5}, {"volid": "s:backup/c", "ctime": 9}]
    assert [x["volid"] for x in a.newest_first(arcs)] == ["s:backup/c", "s:backup/b", "s:backup/a"]


@pytest.mark.parametrize("text,seconds", [("24h", 86400), ("30m", 1800), ("7d", 604800), ("2w", 1209600),
                                          ("90s", 90), ("3600", 3600), ("1.5h", 5400), (" 12H ", 43200)])
def test_parse_max_age(text, seconds):
    assert c.parse_max_age(text) == seconds


@pytest.mark.parametrize("bad", ["yesterday", "-1h", "0", "5y", "h"])
def test_parse_max_age_rejects(bad):
    with pytest.raises(InputError) as err:
        c.parse_max_age(bad)
    assert err.value.option == "max_age"


def test_vzdump_request_never_lets_the_storage_prune():
    body = c.vzdump_request(101, "local", "stop", "none", "{{guestname}}\nline2 \\ x", True)
    assert body == {"vmid": "101", "storage": "local", "mode": "stop", "compress": "0", "remove": False,
                    "notes-template": "{{guestname}}\\nline2 \\\\ x", "protected": True}
    assert "protected" not in c.vzdump_request(101, "local")


def test_recent_archive_respects_max_age():
    arcs = [{"volid": "s:backup/a", "ctime": 1000}, {"volid": "s:backup/b", "ctime": 5000}]
    assert c.recent_archive(arcs, 3600, 6000)["volid"] == "s:backup/b"
    assert c.recent_archive(arcs, 600, 6000) is None
    assert c.recent_archive(arcs, None, 6000) is None


def test_pick_new_archive_ignores_old_and_preexisting():
    before = [{"volid": "s:backup/old", "ctime": 900}]
    after = before + [{"volid": "s:backup/other", "ctime": 950}, {"volid": "s:backup/new", "ctime": 1001},
                      {"volid": "s:backup/newer", "ctime": 1002}]
    # the task's log names its archive; without the log the oldest fresh one (a queued parallel run's is newer)
    assert c.pick_new_archive(before, after, 1000, "newer")["volid"] == "s:backup/newer"
    assert c.pick_new_archive(before, after, 1000)["volid"] == "s:backup/new"
    assert c.pick_new_archive(before, before, 1000) is None
    assert c.pick_new_archive(before, after[:2], 1000) is None


QEMU_CONF = """#web01 notes
boot: order=scsi0;ide2;net0
cores: 2
memory: 2048
name: web01
net0: virtio=BC:24:11:00:00:01,bridge=vmbr0
scsi0: local-lvm:vm-101-disk-0,size=32G
smbios1: uuid=00000000-0000-0000-0000-000000000001
"""
LXC_CONF = """arch: amd64
cores: 1
hostname: ct1
memory: 512
net0: name=eth0,bridge=vmbr0,ip=dhcp
ostype: debian
rootfs: local-lvm:vm-200-disk-0,size=8G
"""


def test_config_guest_type():
    assert rs.config_guest_type(QEMU_CONF) == "qemu"
    assert rs.config_guest_type(LXC_CONF) == "lxc"
    assert rs.config_guest_type("") is None
    assert rs.config_guest_type(QEMU_CONF + "\n[snap1]\nrootfs: x\n") == "qemu"


def test_restore_request_sends_only_what_is_asked():
    assert rs.restore_request(201, VOLID, {"storage": None, "force": False, "unique": True, "start": False}) == \
        {"vmid": 201, "archive": VOLID, "unique": True}
    assert rs.restore_request(101, VOLID, {"storage": "local-lvm", "force": True, "unique": False, "start": True}) == \
        {"vmid": 101, "archive": VOLID, "storage": "local-lvm", "force": True, "start": True}


def test_check_overwrite_rules():
    assert rs.check_overwrite({}, 300, None) is False
    existing = {"vmid": 101, "name": "web01", "status": "running"}
    with pytest.raises(InputError) as err:
        rs.check_overwrite({"force": False}, 101, existing)
    assert err.value.option == "force"
    with pytest.raises(InputError) as err:
        rs.check_overwrite({"force": True}, 101, existing)
    assert err.value.option == "force_stop"
    assert rs.check_overwrite({"force": True, "force_stop": True}, 101, existing) is True
    assert rs.check_overwrite({"force": True}, 101, dict(existing, status="stopped")) is False


def test_restore_node_rules():
    archive = {"volid": VOLID, "node": "pve1", "storage": "local", "shared": False}
    assert rs.restore_node({}, archive, None) == "pve1"
    with pytest.raises(InputError):
        rs.restore_node({"node": "pve2"}, archive, None)
    assert rs.restore_node({"node": "pve2"}, dict(archive, shared=True), None) == "pve2"
    with pytest.raises(InputError):
        rs.restore_node({}, archive, {"vmid": 101, "node": "pve2"})


def test_restore_mark_is_bookkeeping_not_description():
    from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
    marked = qc.with_restore_mark("customer 42\nweb shop\njotun: restored from local:backup/old.vma.zst", VOLID)
    assert marked == "customer 42\nweb shop\njotun: restored from " + VOLID
    assert qc.split_restore_mark(marked) == ("customer 42\nweb shop", VOLID)
    assert qc.with_restore_mark(None, VOLID) == "jotun: restored from " + VOLID
    assert qc.normalise_description(marked) == qc.normalise_description("customer 42\nweb shop")
    assert rs.restore_mark(marked) == VOLID and rs.restore_mark("plain") is None
