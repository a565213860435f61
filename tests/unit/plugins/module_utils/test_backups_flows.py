# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup flows against a small in-memory stand-in for the API (no server): what they send and what they
refuse. The integration tests (tests/integration/test_backup.py) run the same paths through ansible-playbook."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), *([".."] * 4 + [".tmp", "collections"])))

from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import tasks as backup_tasks  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import run as backups  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.create import ensure_backup  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.restore import restore_backup  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import (  # noqa: E402
    InputError, ProxmoxError, TaskFailed)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline  # noqa: E402

try:
    from urllib.parse import unquote
except ImportError:  # pragma: no cover
    from urllib import unquote

QEMU_CONF = "boot: order=scsi0\nmemory: 2048\nname: web01\nscsi0: local-lvm:vm-100-disk-0,size=32G\n"


class FakePVE(object):
    """Just enough of the API for the backup flows. `vzdump_outcomes`: what each vzdump task does, in order
    ("ok", "lock", "full"); `drop_next_post`: apply the next POST, then lose its answer."""

    def __init__(self):
        self.auth_user = "root@pam!jotun"
        self.now = 1795670000
        self.guests = [{"vmid": 100, "name": "web01", "node": "pve1", "type": "qemu", "status": "stopped"},
                       {"vmid": 110, "name": "app01", "node": "pve2", "type": "qemu", "status": "running"}]
        self.archives = {}
        self.tasks = {}
        self.log = []
        self.vzdump_outcomes = []
        self.drop_next_post = False
        self.pid = 0x1000
        self.configs = {}
        self.avail = {}
        self.restore_fails = False
        self.task_logs = {}

    # -- client interface
    def server_time(self):
        return float(self.now)

    def get(self, path, params=None, deadline=None):
        return self._route("GET", path, params or {})

    def post(self, path, data=None, deadline=None, retry_locked=False):
        return self._route("POST", path, data or {})

    def put(self, path, data=None, deadline=None, retry_locked=False):
        return self._route("PUT", path, data or {})

    def delete(self, path, params=None, deadline=None, retry_locked=False):
        return self._route("DELETE", path, params or {})

    # -- helpers for tests
    def add_archive(self, vmid, node="pve1", protected=False, guest_type="qemu"):
        self.now += 60
        stamp = time.strftime("%Y_%m_%d-%H_%M_%S", time.gmtime(self.now))
        ext = "vma.zst" if guest_type == "qemu" else "tar.zst"
        volid = "local:backup/vzdump-%s-%d-%s.%s" % (guest_type, vmid, stamp, ext)
        self.archives[volid] = {"volid": volid, "vmid": vmid, "ctime": self.now, "size": 1000, "format": ext,
                                "content": "backup", "protected": 1 if protected else 0, "notes": "", "node": node}
        return volid

    def writes(self):
        return [w[:2] for w in self.log if w[0] != "GET"]

    def _task(self, node, kind, vmid, exitstatus="OK"):
        self.pid += 1
        upid = "UPID:%s:%08X:%08X:%08X:%s:%s:%s:" % (node, self.pid, 1, self.now, kind, vmid, self.auth_user)
        self.tasks[upid] = {"upid": upid, "node": node, "type": kind, "id": str(vmid), "user": self.auth_user,
                            "starttime": self.now, "status": "stopped", "exitstatus": exitstatus}
        return upid

    def _route(self, method, path, params):
        path = unquote(path)
        self.log.append((method, path, dict(params)))
        handler = None
        for pattern, meth, name in ROUTES:
            match = re.match(pattern + "$", path)
            if match and meth == method:
                handler = getattr(self, name)
                break
        assert handler, "no route for %s %s" % (method, path)
        result = handler(params, *match.groups())
        if method == "POST" and self.drop_next_post:
            self.drop_next_post = False
            raise ProxmoxError("connection dropped", kind=ProxmoxError.UNKNOWN, method=method, path=path)
        return result

    def resources(self, params):
        return [dict(g) for g in self.guests]

    def nodes(self, params):
        return [{"node": "pve1", "status": "online"}, {"node": "pve2", "status": "online"}]

    def storages(self, params, node):
        return [{"storage": "local", "content": "iso,backup", "type": "dir", "shared": 0, "active": 1}]

    def content(self, params, node, storage):
        found = [dict(a) for a in self.archives.values() if a["node"] == node]
        if params.get("vmid") is not None:
            found = [a for a in found if a["vmid"] == int(params["vmid"])]
        for entry in found:
            entry.pop("node")
        return found

    def volume(self, params, node, storage, volid):
        entry = self.archives[volid]
        return {"notes": entry["notes"], "protected": entry["protected"], "size": entry["size"], "format": entry["format"]}

    def set_volume(self, params, node, storage, volid):
        entry = self.archives[volid]
        if "protected" in params:
            entry["protected"] = 1 if params["protected"] else 0
        if "notes" in params:
            entry["notes"] = params["notes"]

    def del_volume(self, params, node, storage, volid):
        assert not self.archives[volid]["protected"], "deleted a protected archive"
        del self.archives[volid]
        return self._task(node, "imgdel", "")

    def vzdump(self, params, node):
        self.now += 5
        vmid = int(params["vmid"])
        if not [g for g in self.guests if g["vmid"] == vmid and g["node"] == node]:
            return "OK"  # PVE: none of the named guests is on this node - no task
        outcome = self.vzdump_outcomes.pop(0) if self.vzdump_outcomes else "ok"
        if outcome == "lock":
            return self._task(node, "vzdump", vmid, "can't lock file '/var/lock/qemu-server/lock-%d.conf' - got timeout" % vmid)
        if outcome == "full":
            return self._task(node, "vzdump", vmid, "vzdump failed: No space left on device")
        upid = self._task(node, "vzdump", vmid)
        volid = self.add_archive(vmid, node, protected=bool(params.get("protected")))
        self.task_logs[upid] = ["INFO: creating vzdump archive '/var/lib/vz/dump/%s'" % volid.split("/", 1)[1]]
        return upid

    def task_log(self, params, node, upid):
        return [{"n": i + 1, "t": line} for i, line in enumerate(self.task_logs.get(upid, []))]

    def task_list(self, params, node):
        return [dict(t) for t in self.tasks.values() if t["node"] == node and t["type"] == params.get("typefilter")]

    def extractconfig(self, params, node):
        if "-lxc-" in params["volume"]:
            return "arch: amd64\nrootfs: local-lvm:vm-1-disk-0\n"
        return QEMU_CONF

    def stop(self, params, node, vmid):
        for guest in self.guests:
            if guest["vmid"] == int(vmid):
                guest["status"] = "stopped"
        return self._task(node, "qmstop", vmid)

    def status_current(self, params, node, vmid):
        guest = [g for g in self.guests if g["vmid"] == int(vmid) and g["node"] == node][0]
        return dict({"vmid": guest["vmid"], "status": guest["status"]}, **({"lock": guest["lock"]} if guest.get("lock") else {}))

    def create(self, params, node):
        vmid = int(params["vmid"])
        existing = [g for g in self.guests if g["vmid"] == vmid]
        assert not existing or params.get("force"), "overwrote without force"
        assert not existing or existing[0]["status"] == "stopped", "overwrote a running guest"
        if not existing:
            self.guests.append({"vmid": vmid, "name": "restored", "node": node, "type": "qemu", "status": "stopped"})
        if self.restore_fails:
            self.configs[vmid] = {"memory": 128}
            return self._task(node, "qmrestore", vmid, "command 'vma extract' failed: exit code 133")
        self.configs[vmid] = {"name": "web01", "memory": 2048, "description": "from the archive",
                              "scsi0": "local-lvm:vm-%d-disk-0,size=32G" % vmid}
        return self._task(node, "qmrestore", vmid)

    def get_config(self, params, node, vmid):
        return dict(self.configs.get(int(vmid), {"scsi0": "local-lvm:vm-%s-disk-0,size=32G" % vmid}))

    def put_config(self, params, node, vmid):
        self.configs.setdefault(int(vmid), {}).update(params)

    def storage_status(self, params, node, storage):
        return {"avail": self.avail.get(storage, 10 ** 12), "total": 10 ** 12}


ROUTES = [
    (r"/cluster/resources", "GET", "resources"),
    (r"/nodes", "GET", "nodes"),
    (r"/nodes/([^/]+)/storage", "GET", "storages"),
    (r"/nodes/([^/]+)/storage/([^/]+)/content", "GET", "content"),
    (r"/nodes/([^/]+)/storage/([^/]+)/content/(.+)", "GET", "volume"),
    (r"/nodes/([^/]+)/storage/([^/]+)/content/(.+)", "PUT", "set_volume"),
    (r"/nodes/([^/]+)/storage/([^/]+)/content/(.+)", "DELETE", "del_volume"),
    (r"/nodes/([^/]+)/vzdump", "POST", "vzdump"),
    (r"/nodes/([^/]+)/vzdump/extractconfig", "GET", "extractconfig"),
    (r"/nodes/([^/]+)/tasks", "GET", "task_list"),
    (r"/nodes/([^/]+)/tasks/([^/]+)/log", "GET", "task_log"),
    (r"/nodes/([^/]+)/qemu/(\d+)/status/stop", "POST", "stop"),
    (r"/nodes/([^/]+)/qemu/(\d+)/status/current", "GET", "status_current"),
    (r"/nodes/([^/]+)/qemu", "POST", "create"),
    (r"/nodes/([^/]+)/qemu/(\d+)/config", "GET", "get_config"),
    (r"/nodes/([^/]+)/qemu/(\d+)/config", "PUT", "put_config"),
    (r"/nodes/([^/]+)/storage/([^/]+)/status", "GET", "storage_status"),
]


class FakeWaiter(object):
    def __init__(self, client):
        self.client = client

    def wait(self, upids, deadline):
        tasks = [dict(self.client.tasks[u], warnings=[]) for u in upids]
        failed = [t for t in tasks if t["exitstatus"] != "OK"]
        if failed:
            raise TaskFailed("task %s failed: %s" % (failed[0]["upid"], failed[0]["exitstatus"]), tasks=tasks)
        return tasks


@pytest.fixture
def pve(monkeypatch):
    monkeypatch.setattr(backup_tasks, "TaskWaiter", FakeWaiter)
    monkeypatch.setattr(backup_tasks.time, "sleep", lambda s: None)
    return FakePVE()


def params(**kw):
    base = {"vmid": None, "name": None, "volid": None, "storage": "local", "mode": "snapshot", "compress": "zstd",
            "notes": None, "protected": None, "max_age": None, "wait": True, "unprotect": False, "force": False,
            "force_stop": False, "unique": False, "start": False, "node": None}
    base.update(kw)
    return base


def guest(pve, vmid=100):
    return [g for g in pve.guests if g["vmid"] == vmid][0]


def test_backup_sends_one_vzdump_to_the_guest_node_and_reads_the_volid(pve):
    result = ensure_backup(pve, guest(pve, 110), params(vmid=110), Deadline(30))
    assert result["changed"] and result["node"] == "pve2" and result["volid"] in pve.archives
    assert pve.writes() == [("POST", "/nodes/pve2/vzdump")]
    body = [w[2] for w in pve.log if w[0] == "POST"][0]
    assert body["remove"] is False and body["vmid"] == "110"


def test_rotation_keeps_newest_two_and_protected(pve):
    old = [pve.add_archive(100, protected=(i == 1)) for i in range(4)]
    other = pve.add_archive(110, node="pve2")
    result = ensure_backup(pve, guest(pve), params(vmid=100, keep_last=2), Deadline(30))
    assert sorted(result["pruned"]) == sorted([old[0], old[2]])
    assert set(pve.archives) == {result["volid"], old[3], old[1], other}


def test_failed_backup_deletes_nothing(pve):
    old = [pve.add_archive(100) for _i in range(3)]
    pve.vzdump_outcomes = ["full"]
    with pytest.raises(TaskFailed) as err:
        ensure_backup(pve, guest(pve), params(vmid=100, keep_last=1), Deadline(30))
    assert "No space left" in err.value.message
    assert set(pve.archives) == set(old)
    assert [w[0] for w in pve.writes()] == ["POST"]


def test_lock_failure_is_retried_then_gives_up_clearly(pve):
    pve.vzdump_outcomes = ["lock", "lock", "ok"]
    result = ensure_backup(pve, guest(pve), params(vmid=100), Deadline(30))
    assert result["volid"] in pve.archives and len(result["tasks"]) == 3
    pve.vzdump_outcomes = ["lock"] * 100
    with pytest.raises(TaskFailed) as err:
        ensure_backup(pve, guest(pve), params(vmid=100), Deadline(0))
    assert "locked" in err.value.message and "VM 100" in err.value.message


def test_lost_answer_is_reconciled_not_resent(pve):
    pve.drop_next_post = True
    result = ensure_backup(pve, guest(pve), params(vmid=100), Deadline(30))
    assert result["volid"] in pve.archives and len(pve.archives) == 1
    assert [w[0] for w in pve.writes()] == ["POST"]
    assert any(w[1].endswith("/tasks") for w in pve.log if w[0] == "GET")


def test_max_age_and_check_mode_send_nothing(pve):
    volid = pve.add_archive(100)
    result = ensure_backup(pve, guest(pve), params(vmid=100, max_age="1h"), Deadline(30))
    assert result["changed"] is False and result["volid"] == volid
    result = ensure_backup(pve, guest(pve), params(vmid=100, keep_last=1), Deadline(30), check_mode=True)
    assert result["changed"] is True and result["pruned"] == [volid]
    assert pve.writes() == []


def test_absent_refuses_protected_then_unprotects(pve):
    volid = pve.add_archive(100, protected=True)
    with pytest.raises(InputError) as err:
        backups.ensure_absent(pve, params(volid=volid), Deadline(30))
    assert err.value.option == "unprotect" and pve.writes() == []
    result = backups.ensure_absent(pve, params(volid=volid, unprotect=True), Deadline(30))
    assert result["changed"] and volid not in pve.archives
    assert [w[0] for w in pve.writes()] == ["PUT", "DELETE"]
    assert backups.ensure_absent(pve, params(volid=volid), Deadline(30))["changed"] is False


def test_attributes_diff(pve):
    volid = pve.add_archive(100)
    result = backups.ensure_attributes(pve, params(volid=volid, protected=True, notes="pin"), Deadline(30))
    assert result["diff"] == {"before": {"notes": "", "protected": False}, "after": {"notes": "pin", "protected": True}}
    again = backups.ensure_attributes(pve, params(volid=volid, protected=True, notes="pin"), Deadline(30))
    assert again["changed"] is False and [w[0] for w in pve.writes()] == ["PUT"]
    with pytest.raises(InputError):
        backups.ensure_attributes(pve, params(volid=volid, vmid=100, protected=True), Deadline(30))


def test_restore_refusals_touch_nothing(pve):
    volid = pve.add_archive(110, node="pve2")
    guest(pve, 110)["status"] = "running"
    for kw, option in ((dict(vmid=110), "force"), (dict(vmid=110, force=True), "force_stop"),
                       (dict(vmid=120, node="pve1"), "volid")):
        with pytest.raises(InputError) as err:
            restore_backup(pve, params(volid=volid, **kw), Deadline(30))
        assert err.value.option == option
    ct = pve.add_archive(130, guest_type="lxc")
    with pytest.raises(InputError):
        restore_backup(pve, params(volid=ct), Deadline(30))
    assert pve.writes() == []


def test_restore_over_running_guest_stops_then_restores(pve):
    volid = pve.add_archive(110, node="pve2")
    guest(pve, 110)["status"] = "running"
    result = restore_backup(pve, params(volid=volid, force=True, force_stop=True), Deadline(30))
    assert result["vmid"] == 110 and result["stopped"] and result["overwritten"]
    assert pve.writes() == [("POST", "/nodes/pve2/qemu/110/status/stop"), ("POST", "/nodes/pve2/vzdump"),
                            ("POST", "/nodes/pve2/qemu"), ("PUT", "/nodes/pve2/qemu/110/config")]
    assert [t["type"] for t in result["tasks"]] == ["qmstop", "vzdump", "qmrestore"]
    assert result["safety_backup"] in pve.archives and result["safety_backup"] != volid
    assert pve.configs[110]["description"] == "from the archive\njotun: restored from " + volid


def test_restore_is_safe_to_retry(pve):
    volid = pve.add_archive(100)
    first = restore_backup(pve, params(volid=volid, vmid=300), Deadline(30))
    assert first["changed"] and first["safety_backup"] is None
    writes = len(pve.writes())
    for kw in ({}, {"force": True}):
        again = restore_backup(pve, params(volid=volid, vmid=300, **kw), Deadline(30))
        assert again["changed"] is False and again["already_restored"] is True
    assert len(pve.writes()) == writes
    other = pve.add_archive(100)
    with pytest.raises(InputError) as err:  # a different archive over it still needs force
        restore_backup(pve, params(volid=other, vmid=300), Deadline(30))
    assert err.value.option == "force"


def test_forced_restore_checks_room_before_any_write(pve):
    volid = pve.add_archive(100)
    pve.avail["local-lvm"] = 1024 ** 3   # the archive's disk is 32G; the guest's own 32G disk is freed first
    restore_backup(pve, params(volid=volid, vmid=100, force=True, backup_before=False, storage=None), Deadline(30))
    pve.log[:] = []
    pve.configs[100] = {"scsi0": "other:vm-100-disk-0,size=32G"}
    with pytest.raises(InputError) as err:
        restore_backup(pve, params(volid=pve.add_archive(100), vmid=100, force=True, storage=None), Deadline(30))
    assert err.value.option == "storage" and "local-lvm" in err.value.message and pve.writes() == []


def test_failed_forced_restore_names_the_stub_and_the_safety_backup(pve):
    volid = pve.add_archive(100)
    pve.restore_fails = True
    with pytest.raises(TaskFailed) as err:
        restore_backup(pve, params(volid=volid, vmid=100, force=True), Deadline(30))
    safety = [v for v in pve.archives if v != volid]
    assert len(safety) == 1
    assert "empty stub" in err.value.message and safety[0] in err.value.message


def test_backup_follows_a_guest_that_moved(pve):
    stale = dict(guest(pve, 110), node="pve1")   # the look-up said pve1; it now lives on pve2
    result = ensure_backup(pve, stale, params(vmid=110), Deadline(30))
    assert result["node"] == "pve2" and result["volid"] in pve.archives
    assert pve.writes() == [("POST", "/nodes/pve1/vzdump"), ("POST", "/nodes/pve2/vzdump")]


def test_restore_new_vmid_without_waiting(pve):
    volid = pve.add_archive(100)
    result = restore_backup(pve, params(volid=volid, vmid=300, unique=True, wait=False, storage=None), Deadline(30))
    assert result["overwritten"] is False and result["tasks"][0]["status"] == "running"
    body = [w[2] for w in pve.log if w[0] == "POST"][0]
    assert body == {"vmid": 300, "archive": volid, "unique": True}


def test_failed_delete_puts_the_protection_back(pve, monkeypatch):
    volid = pve.add_archive(100, protected=True)

    def refuse(params, node, storage, vol):
        raise ProxmoxError("storage is offline", status=500)
    monkeypatch.setattr(pve, "del_volume", refuse)
    with pytest.raises(ProxmoxError):
        backups.ensure_absent(pve, params(volid=volid, unprotect=True), Deadline(30))
    assert pve.archives[volid]["protected"] == 1
    assert [w[0] for w in pve.writes()] == ["PUT", "DELETE", "PUT"]


def test_restore_over_a_protected_server_is_refused_before_any_write(pve):
    volid = pve.add_archive(100)
    pve.configs[100] = {"protection": 1, "scsi0": "local-lvm:vm-100-disk-0,size=32G"}
    with pytest.raises(InputError) as err:
        restore_backup(pve, params(volid=volid, vmid=100, force=True), Deadline(30))
    assert "protected" in err.value.message and pve.writes() == []
