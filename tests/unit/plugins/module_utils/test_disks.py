# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for disks: drive strings, boot disk, disk sizes, resize targets (no server)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import disks
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, TaskFailed, TaskTimeout
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline

G, M = 1024 ** 3, 1024 ** 2

CONFIG = {
    "boot": "order=scsi0;ide2;net0",
    "scsi0": "local-lvm:vm-100-disk-0,discard=on,size=32G",
    "scsi1": "local-lvm:vm-100-disk-1,size=10G",
    "ide2": "local-lvm:vm-100-cloudinit,media=cdrom",
    "efidisk0": "local-lvm:vm-100-disk-2,efitype=4m,size=4M",
    "net0": "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0",
}


def test_parse_drive_full():
    drive = disks.parse_drive("local-lvm:vm-100-disk-0,size=32G,discard=on")
    assert drive == {"volume": "local-lvm:vm-100-disk-0", "storage": "local-lvm", "size": 32 * G,
                     "options": {"discard": "on"}, "media": "disk"}


def test_parse_drive_file_key_and_cdrom():
    assert disks.parse_drive("file=local:iso/debian.iso,media=cdrom")["volume"] == "local:iso/debian.iso"
    assert disks.parse_drive("none,media=cdrom")["media"] == "cdrom"
    assert disks.parse_drive("local-lvm:vm-9002-cloudinit,media=cdrom")["size"] is None
    assert disks.parse_drive("local-lvm:vm-9002-cloudinit")["media"] == "cdrom"


def test_parse_drive_bytes_size():
    assert disks.parse_drive("local:100/vm-100-disk-0.qcow2,size=1073741824")["size"] == G


@pytest.mark.parametrize("key,ok", [
    ("scsi0", True), ("scsi30", True), ("scsi31", False), ("virtio15", True), ("virtio16", False), ("sata5", True),
    ("sata6", False), ("ide3", True), ("ide4", False), ("efidisk0", True), ("tpmstate0", True), ("net0", False),
    ("scsi01", False), ("unused0", False), ("", False), (None, False),
])
def test_is_disk_key(key, ok):
    assert disks.is_disk_key(key) is ok


def test_boot_disk_from_order():
    assert disks.boot_disk(CONFIG) == "scsi0"
    assert disks.boot_disk(dict(CONFIG, boot="order=ide2;scsi1;net0")) == "scsi1"


def test_boot_disk_legacy_and_fallback():
    config = {"boot": "cdn", "bootdisk": "virtio0", "virtio0": "local-lvm:vm-1-disk-0,size=8G",
              "scsi0": "local-lvm:vm-1-disk-1,size=8G"}
    assert disks.boot_disk(config) == "virtio0"
    config = {"ide0": "local:1/a.raw,size=1G", "sata1": "local:1/b.raw,size=1G", "virtio2": "local:1/c.raw,size=1G",
              "ide2": "none,media=cdrom"}
    assert disks.boot_disk(config) == "virtio2"
    assert disks.boot_disk({"boot": "order=net0", "scsi3": "x:y,size=1G", "scsi10": "x:z,size=1G"}) == "scsi3"


def test_boot_disk_none():
    with pytest.raises(InputError) as err:
        disks.boot_disk({"ide2": "none,media=cdrom", "net0": "virtio,bridge=vmbr0"})
    assert err.value.option == "disk"


def test_disk_size():
    assert disks.disk_size(CONFIG, "scsi0") == 32 * G
    assert disks.disk_size(CONFIG, "efidisk0") == 4 * M


@pytest.mark.parametrize("disk,words", [("scsi5", "no disk scsi5"), ("ide2", "CD-ROM"), ("net0", "not a disk"),
                                        ("virtio99", "not a disk")])
def test_disk_size_refuses(disk, words):
    with pytest.raises(InputError) as err:
        disks.disk_size(CONFIG, disk)
    assert err.value.option == "disk"
    assert words in str(err.value)
    assert str(err.value).startswith("disk: ")


def test_disks_of():
    assert disks.disks_of(CONFIG) == ["scsi0", "scsi1", "efidisk0"]


def test_target_size_absolute():
    assert disks.target_size(32 * G, size=40 * G) == 40 * G
    assert disks.target_size(32 * G, size=32 * G) == 32 * G
    # storage rounding (LVM extents) may leave the disk slightly above the target: that is the target reached
    assert disks.target_size(32 * G + 2 * M, size=32 * G) == 32 * G + 2 * M


def test_target_size_refuses_shrink():
    with pytest.raises(InputError) as err:
        disks.target_size(32 * G, size=20 * G, option="disk_size")
    assert err.value.option == "disk_size"
    assert "shrink" in str(err.value) and "32G" in str(err.value) and "20G" in str(err.value)


def test_target_size_increase():
    assert disks.target_size(32 * G, increase=10 * G) == 42 * G


def test_plan_resize():
    plan = disks.plan_resize(CONFIG, size="40G")
    assert (plan["disk"], plan["size_before"], plan["target"], plan["send"]) == ("scsi0", 32 * G, 40 * G, "40G")
    assert disks.plan_resize(CONFIG, disk="scsi1", increase="+1.5G")["send"] == "+1536M"
    assert disks.plan_resize(CONFIG, size=32 * G)["send"] is None
    with pytest.raises(InputError) as err:
        disks.plan_resize(CONFIG, disk="scsi9", size="40G")
    assert err.value.option == "disk"
    with pytest.raises(InputError) as err:
        disks.plan_resize(CONFIG, size="forty", option="disk_size")
    assert err.value.option == "disk_size"


def test_next_poll_delay_grows_and_caps():
    assert 0.17 <= disks.next_poll_delay(0) <= 0.23
    assert 0.9 <= disks.next_poll_delay(10) <= 1.1
    assert disks.next_poll_delay(1000) <= 2.2


# --- resize() against a scripted client ------------------------------------------------------------------------------

UPID = "UPID:pve1:00001234:00ABCDEF:6763A1B2:resize:100:root@pam:"


class FakeClient(object):
    """Answers GET .../config from `configs` (the last one repeats) and PUT .../resize with `put_effects`."""

    auth_user = "root@pam"

    def __init__(self, release, configs, put_effects=()):
        self.release = release
        self.read_timeout = 30.0
        self.configs = list(configs)
        self.put_effects = list(put_effects)
        self.puts = []
        self.config_reads = 0

    def server_time(self):
        return 1700000000.0

    def get(self, path, params=None, deadline=None):
        assert path == "/nodes/pve1/qemu/100/config", path
        self.config_reads += 1
        return dict(self.configs.pop(0) if len(self.configs) > 1 else self.configs[0])

    def put(self, path, data=None, deadline=None, retry_locked=False):
        assert path == "/nodes/pve1/qemu/100/resize" and retry_locked
        self.puts.append({"data": dict(data), "read_timeout": self.read_timeout})
        effect = self.put_effects.pop(0)
        if isinstance(effect, Exception):
            raise effect
        return effect


def vm(size, lock=None):
    config = {"boot": "order=scsi0;net0", "scsi0": "local-lvm:vm-100-disk-0,size=%s" % size}
    if lock:
        config["lock"] = lock
    return config


def unknown():
    return ProxmoxError("no answer within the read timeout", kind=ProxmoxError.UNKNOWN)


class FakeWaiter(object):
    outcomes = []
    waited = []

    def __init__(self, client):
        self.client = client

    def wait(self, upids, deadline, fail_on_error=True):
        FakeWaiter.waited.append(list(upids))
        outcome = FakeWaiter.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return [{"upid": upids[0], "status": "stopped", "exitstatus": outcome}]


@pytest.fixture
def waiter(monkeypatch):
    FakeWaiter.outcomes = []
    FakeWaiter.waited = []
    monkeypatch.setattr(disks, "TaskWaiter", FakeWaiter)
    monkeypatch.setattr(disks.time, "sleep", lambda seconds: None)
    return FakeWaiter


def test_noop_and_check_mode_send_nothing(waiter):
    client = FakeClient((9, 1), [vm("32G")])
    assert disks.resize(client, "pve1", 100, size="32G", deadline=Deadline(5))["changed"] is False
    result = disks.resize(client, "pve1", 100, size="40G", deadline=Deadline(5), check_mode=True)
    assert (result["changed"], result["size_after"], result["size_after_human"]) == (True, 40 * G, "40G")
    assert client.puts == []


def test_7x_blocking_done(waiter):
    client = FakeClient((7, 4), [vm("32G"), vm("40G")], [None])
    result = disks.resize(client, "pve1", 100, size="40G", deadline=Deadline(60))
    assert (result["status"], result["size_after"], result["task"], result["changed"]) == ("done", 40 * G, None, True)
    assert client.puts == [{"data": {"disk": "scsi0", "size": "40G"}, "read_timeout": 30.0}]


def test_7x_no_wait_returns_in_progress_with_short_read_timeout(waiter):
    client = FakeClient((7, 4), [vm("32G")], [unknown()])
    result = disks.resize(client, "pve1", 100, size="40G", wait=False, deadline=Deadline(60))
    assert (result["status"], result["task"], result["size_after"]) == ("in_progress", None, 40 * G)
    assert client.puts[0]["read_timeout"] == disks.BLOCKING_NO_WAIT_READ_TIMEOUT
    assert client.read_timeout == 30.0


@pytest.mark.parametrize("size,increase", [("40G", None), (None, "+8G")])
def test_7x_unknown_outcome_is_confirmed_by_size_never_resent(waiter, size, increase):
    client = FakeClient((7, 4), [vm("32G"), vm("32G"), vm("32G"), vm("40G")], [unknown()])
    result = disks.resize(client, "pve1", 100, size=size, increase=increase, deadline=Deadline(60))
    assert (result["status"], result["size_after"], result["changed"]) == ("done", 40 * G, True)
    assert len(client.puts) == 1
    assert client.puts[0]["data"]["size"] == (size or "+8G")


def test_7x_unknown_outcome_times_out_without_resending(waiter):
    client = FakeClient((7, 4), [vm("32G")], [unknown()])
    with pytest.raises(TaskTimeout) as err:
        disks.resize(client, "pve1", 100, increase="+8G", deadline=Deadline(0.05))
    assert "still be running" in str(err.value)
    assert len(client.puts) == 1


def test_8x_no_wait_returns_the_task(waiter):
    client = FakeClient((9, 1), [vm("32G")], [UPID])
    result = disks.resize(client, "pve1", 100, size="40G", wait=False, deadline=Deadline(60))
    assert (result["status"], result["task"]) == ("in_progress", UPID)
    assert result["tasks"][0]["upid"] == UPID and result["tasks"][0]["type"] == "resize"
    assert waiter.waited == []


def test_8x_waits_for_the_task(waiter):
    waiter.outcomes = ["OK"]
    client = FakeClient((9, 1), [vm("32G"), vm("40G")], [UPID])
    result = disks.resize(client, "pve1", 100, size="40G", deadline=Deadline(60))
    assert (result["status"], result["task"], result["size_after"]) == ("done", UPID, 40 * G)
    assert result["tasks"] == [{"upid": UPID, "status": "stopped", "exitstatus": "OK"}]


def test_8x_unknown_outcome_finds_the_task_never_resends(waiter, monkeypatch):
    found = []
    monkeypatch.setattr(disks, "find_started_task", lambda *a, **k: found.append(a) or UPID)
    waiter.outcomes = ["OK"]
    client = FakeClient((9, 1), [vm("32G"), vm("32G"), vm("40G")], [unknown()])
    result = disks.resize(client, "pve1", 100, increase="+8G", deadline=Deadline(60))
    assert (result["status"], result["task"], result["size_after"]) == ("done", UPID, 40 * G)
    assert len(client.puts) == 1 and found[0][2] == "resize"


def test_8x_task_failed_on_lock_is_sent_again(waiter):
    waiter.outcomes = [TaskFailed("task failed: VM is locked (backup)", tasks=[{"exitstatus": "VM is locked (backup)"}]), "OK"]
    client = FakeClient((9, 1), [vm("32G"), vm("32G", lock="backup"), vm("32G"), vm("40G")], [UPID, UPID])
    result = disks.resize(client, "pve1", 100, increase="+8G", deadline=Deadline(60))
    assert result["status"] == "done" and len(client.puts) == 2


def test_8x_task_failure_is_raised_and_storage_named(waiter):
    waiter.outcomes = [TaskFailed("resize failed: lvextend: Insufficient free space: 2048 extents needed")]
    client = FakeClient((9, 1), [vm("32G")], [UPID])
    with pytest.raises(TaskFailed) as err:
        disks.resize(client, "pve1", 100, size="40G", deadline=Deadline(60), option="disk_size")
    assert str(err.value).startswith("disk_size: storage local-lvm has no room to grow scsi0 to 40G")
    assert len(client.puts) == 1


def test_locked_guest_fails_naming_the_lock_without_writing(waiter):
    client = FakeClient((7, 4), [vm("32G", lock="backup")])
    with pytest.raises(ProxmoxError) as err:
        disks.resize(client, "pve1", 100, size="40G", deadline=Deadline(0.05))
    assert "locked (backup)" in str(err.value)
    assert client.puts == []


def test_locked_guest_is_waited_for(waiter):
    client = FakeClient((7, 4), [vm("32G", lock="backup"), vm("32G", lock="backup"), vm("32G"), vm("40G")], [None])
    assert disks.resize(client, "pve1", 100, size="40G", deadline=Deadline(60))["status"] == "done"
    assert len(client.puts) == 1


def test_wait_for_size_returns_when_reached(waiter):
    client = FakeClient((7, 4), [vm("32G"), vm("36G"), vm("40964M")])
    assert disks.wait_for_size(client, "pve1", 100, "scsi0", 40 * G, Deadline(60)) == 40 * G + 4 * M
    assert client.config_reads == 3
