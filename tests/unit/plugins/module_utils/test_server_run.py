# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the jotun_server state machine against a small in-memory fake of the API (no server)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import run as server_mod
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import spec
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, UNKNOWN
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline

TEMPLATE = {"name": "debian-12", "template": 1, "cores": 1, "memory": "512", "scsi0": "local-lvm:base-9000-disk-0,size=8G",
            "ide2": "local-lvm:vm-9000-cloudinit,media=cdrom", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0",
            "boot": "order=scsi0"}


class FakePve(object):
    """Just enough of the API for the state machine: guests, config with digest, clone, power, destroy."""

    def __init__(self):
        self.guests = {9000: {"node": "pve1", "status": "stopped", "config": dict(TEMPLATE)}}
        self.log = []
        self.faults = []
        self.serial = 0
        self.release = (9, 1)

    @staticmethod
    def server_time():
        return 1732600000

    def _upid(self, node, kind, vmid):
        self.serial += 1
        return "UPID:%s:%08X:00000001:6745A1B2:%s:%s:root@pam:" % (node, self.serial, kind, vmid)

    def _fault(self, method, path):
        for fault in list(self.faults):
            if fault[0] == method and re.search(fault[1], path):
                self.faults.remove(fault)
                return fault[2]
        return None

    def get(self, path, params=None, deadline=None):
        self.log.append(("GET", path, params))
        if path == "/cluster/resources":
            return [{"vmid": vmid, "name": g["config"].get("name"), "node": g["node"], "status": g["status"],
                     "template": bool(g["config"].get("template")), "lock": g["config"].get("lock")}
                    for vmid, g in self.guests.items()]
        if path == "/nodes":
            return [{"node": "pve1", "status": "online", "mem": 8, "maxmem": 10},
                    {"node": "pve2", "status": "online", "mem": 2, "maxmem": 10}]
        if path == "/storage":
            return [{"storage": "local-lvm", "type": "lvmthin", "content": "images,rootdir"},
                    {"storage": "ceph-vm", "type": "rbd", "content": "images", "shared": 1}]
        if path == "/cluster/nextid":
            return str(max(100, max(v for v in self.guests if v < 9000) + 1 if len(self.guests) > 1 else 100))
        match = re.match(r"/nodes/(\w+)/qemu$", path)
        if match:
            return [{"vmid": vmid, "name": g["config"].get("name") or "VM %d" % vmid, "status": g["status"],
                     "template": 1 if g["config"].get("template") else 0}
                    for vmid, g in self.guests.items() if g["node"] == match.group(1)]
        match = re.match(r"/nodes/(\w+)/qemu/(\d+)/(config|pending|status/current)$", path)
        if match:
            guest = self.guests.get(int(match.group(2)))
            if guest is None:
                raise ProxmoxError("Configuration file 'nodes/x/qemu-server/%s.conf' does not exist" % match.group(2),
                                   status=500)
            if match.group(3) == "config":
                return dict(guest["config"], digest="d%d" % len(self.log))
            if match.group(3) == "pending":
                return [{"key": k, "value": v} for k, v in guest["config"].items()]
            return {"status": guest["status"], "name": guest["config"].get("name") or "VM %s" % match.group(2)}
        if path.endswith("/tasks"):
            return []
        if path.endswith("/network"):
            return [{"iface": "vmbr0", "type": "bridge"}]
        if "/firewall/" in path:        # a guest without a firewall file (a rebuild reads it before the destroy)
            return {"digest": "0" * 40} if path.endswith("/options") else []
        raise AssertionError("unexpected GET %s" % path)

    def post(self, path, data=None, deadline=None, retry_locked=False):
        self.log.append(("POST", path, data))
        fault = self._fault("POST", path)
        created = re.match(r"/nodes/(\w+)/qemu$", path)
        if created:
            vmid = int(data["vmid"])
            if vmid in self.guests:
                raise ProxmoxError("unable to create VM %d - VM %d already exists on node 'pve1'" % (vmid, vmid),
                                   status=500)
            config = dict((k, v) for k, v in data.items() if k != "vmid")
            self.guests[vmid] = {"node": created.group(1), "status": "stopped", "config": config}
            return self._upid(created.group(1), "qmcreate", vmid)
        match = re.match(r"/nodes/(\w+)/qemu/(\d+)/(clone|status/\w+)$", path)
        vmid = int(match.group(2))
        if match.group(3) == "clone":
            newid = int(data["newid"])
            if newid in self.guests:
                raise ProxmoxError("unable to create VM %d: config file already exists" % newid, status=500)
            config = dict(self.guests[vmid]["config"], name=data["name"])
            config.pop("template")
            config["net0"] = "virtio=BC:24:11:00:00:%02X,bridge=vmbr0" % (newid % 256)
            self.guests[newid] = {"node": data.get("target") or match.group(1), "status": "stopped", "config": config}
            upid = self._upid(match.group(1), "qmclone", vmid)
        else:
            action = match.group(3).split("/")[1]
            self.guests[vmid]["status"] = "stopped" if action in ("stop", "shutdown") else "running"
            upid = self._upid(match.group(1), "qm" + action, vmid)
        if fault:
            raise ProxmoxError("injected", status=fault, kind=UNKNOWN)
        return upid

    def put(self, path, data=None, deadline=None, retry_locked=False):
        self.log.append(("PUT", path, data))
        match = re.match(r"/nodes/(\w+)/qemu/(\d+)/(config|cloudinit)$", path)
        guest = self.guests[int(match.group(2))]
        if match.group(3) == "config":
            data = dict(data)
            data.pop("digest", None)
            for key in (data.pop("delete", "") or "").split(","):
                guest["config"].pop(key, None)
            guest["config"].update(data)
            if "cipassword" in data:
                guest["config"]["cipassword"] = "**********"
        fault = self._fault("PUT", path)
        if fault:
            raise ProxmoxError("injected", status=fault, kind=UNKNOWN)

    def delete(self, path, params=None, deadline=None, retry_locked=False):
        self.log.append(("DELETE", path, params))
        match = re.match(r"/nodes/(\w+)/qemu/(\d+)$", path)
        del self.guests[int(match.group(2))]
        return self._upid(match.group(1), "qmdestroy", match.group(2))

    def writes(self):
        return [entry for entry in self.log if entry[0] != "GET"]


class FakeWaiter(object):
    def __init__(self, client):
        self.client = client

    def wait(self, upids, deadline, fail_on_error=True):
        return [{"upid": upid, "type": upid.split(":")[5], "status": "stopped", "exitstatus": "OK"} for upid in upids]


@pytest.fixture(autouse=True)
def fake_waiter(monkeypatch):
    monkeypatch.setattr(server_mod, "TaskWaiter", FakeWaiter)


def params(**kwargs):
    base = dict((name, option.get("default")) for name, option in spec.argument_spec().items())
    base.update({"wait": True, "name": "web01"})
    base.update(kwargs)
    return base


def run(pve, check_mode=False, **kwargs):
    return server_mod.ServerRun(pve, params(**kwargs), check_mode=check_mode, deadline=Deadline(30)).run()


def test_build_then_converged_costs_few_requests_and_no_write():
    pve = FakePve()
    pve.guests[9000]["config"].update(scsi0="ceph-vm:base-9000-disk-0,size=8G", ide2="ceph-vm:vm-9000-cloudinit,media=cdrom")
    result = run(pve, template="debian-12", state="started", cores=2, memory=1024, tags=["b", "a"],
                 ipconfig=["dhcp"], sshkeys=["ssh-ed25519 AAAA x"], cipassword="pw", disk_size="8G")
    assert result["changed"] and result["status"] == "running" and result["step"] == "done"
    assert result["node"] == "pve2"            # most free memory (the template is on shared storage)
    assert result["config"]["cipassword"] == "**********"
    paths = [entry[1] for entry in pve.writes()]
    assert paths[0] == "/nodes/pve1/qemu/9000/clone" and paths[-1].endswith("/status/start")
    assert any(p.endswith("/cloudinit") for p in paths)
    config_put = [entry[2] for entry in pve.writes() if entry[1].endswith("/config")][0]
    assert config_put["digest"] and config_put["tags"] == "a;b" and config_put["ipconfig0"] == "ip=dhcp"
    pve.log = []
    again = run(pve, template="debian-12", state="started", cores=2, memory=1024, tags=["a", "b"],
                ipconfig=["dhcp"], sshkeys=["ssh-ed25519 AAAA x"], cipassword="pw", disk_size="8G")
    assert again["changed"] is False, again["diff"]
    assert pve.writes() == [] and len(pve.log) <= 4


def test_check_mode_writes_nothing():
    pve = FakePve()
    result = run(pve, check_mode=True, template="debian-12", state="started", cores=4)
    assert result["changed"] and result["vmid"] is None and result["diff"]["after"]["cores"] == 4
    assert pve.writes() == []


def test_vmid_collision_takes_the_next_id():
    pve = FakePve()
    real_get = pve.get
    pve.get = lambda path, params=None, deadline=None: "100" if path == "/cluster/nextid" else real_get(path, params, deadline)
    assert run(pve, template="debian-12", name="a")["vmid"] == 100
    assert 101 <= run(pve, template="debian-12", name="b")["vmid"] <= 103
    assert len([e for e in pve.writes() if e[1].endswith("/clone")]) == 3


def test_unknown_clone_outcome_is_reconciled_not_resent():
    pve = FakePve()
    pve.faults.append(("POST", r"/clone$", 596))
    result = run(pve, template="debian-12", cores=2)
    assert result["changed"] and result["step"] == "done"
    assert len([e for e in pve.writes() if e[1].endswith("/clone")]) == 1
    assert pve.guests[result["vmid"]]["config"]["cores"] == "2"


def test_unknown_config_outcome_reread_not_resent_when_applied():
    pve = FakePve()
    run(pve, template="debian-12")
    pve.log = []
    pve.faults.append(("PUT", r"/config$", 596))
    result = run(pve, cores=3)
    assert result["changed"] and len([e for e in pve.writes() if e[1].endswith("/config")]) == 1


def test_rebuild_keeps_mac_and_cloudinit():
    pve = FakePve()
    built = run(pve, template="debian-12", state="started", ciuser="ops", ipconfig=[{"ip": "10.0.0.5/24", "gw": "10.0.0.1"}])
    before = dict(pve.guests[built["vmid"]]["config"])
    pve.guests[built["vmid"]]["config"]["net0"] = "virtio=BC:24:11:AB:CD:EF,bridge=vmbr0"
    result = run(pve, template="debian-12", state="rebuilt")
    after = pve.guests[built["vmid"]]["config"]
    assert result["vmid"] == built["vmid"] and result["status"] == "running"
    assert after["net0"] == "virtio=BC:24:11:AB:CD:EF,bridge=vmbr0"
    assert after["ciuser"] == "ops" and after["ipconfig0"] == before["ipconfig0"]
    # the name and the carried settings were reserved before the first change (the stop) until the settings were
    # written back and the server started, then the reservation removed
    writes = [(e[0], e[1]) for e in pve.writes()]
    destroy = writes.index(("DELETE", "/nodes/pve1/qemu/%d" % built["vmid"]))
    reserve = writes.index(("POST", "/nodes/pve1/qemu"))
    assert reserve < writes.index(("POST", "/nodes/pve1/qemu/%d/status/stop" % built["vmid"])) < destroy
    assert writes[destroy + 1] == ("POST", "/nodes/pve1/qemu/9000/clone")
    assert writes[-1][0] == "DELETE" and writes[-2][1].endswith("/status/start")
    assert sorted(pve.guests) == [built["vmid"], 9000]


def test_a_reserved_name_is_waited_for_never_built_again(monkeypatch):
    pve = FakePve()
    pve.guests[150] = {"node": "pve1", "status": "stopped", "config": {"name": "jotun-rebuild-120.web01"}}
    monkeypatch.setattr(server_mod.guests.time, "sleep", lambda s: pve.guests.pop(150, None))   # the rebuild ends
    result = run(pve, template="debian-12")
    assert result["changed"] and [e for e in pve.log if e[1] == "/cluster/resources"][1:]   # looked again
    pve.guests[151] = {"node": "pve1", "status": "stopped", "config": {"name": "jotun-rebuild-120.web02"}}
    monkeypatch.setattr(server_mod.guests.time, "sleep", lambda s: None)
    with pytest.raises(ProxmoxError) as err:
        server_mod.ServerRun(pve, params(name="web02", template="debian-12"), deadline=Deadline(0.5)).run()
    assert "rebuilt into vmid 120" in str(err.value) and "delete guest 151" in str(err.value)
    assert not [e for e in pve.writes() if e[1].endswith("/clone") and e[2]["name"] == "web02"]


def test_absent_and_errors():
    pve = FakePve()
    built = run(pve, template="debian-12", state="started")
    with pytest.raises(InputError) as err:
        run(pve, state="absent")
    assert err.value.option == "force_stop"
    result = run(pve, state="absent", force_stop=True)
    assert result["status"] == "absent" and built["vmid"] not in pve.guests
    assert run(pve, state="absent")["changed"] is False
    with pytest.raises(InputError) as err:
        run(pve, template="nope")
    assert err.value.option == "template"


def test_wait_false_stops_at_clone():
    pve = FakePve()
    result = run(pve, template="debian-12", wait=False, state="started")
    assert result["step"] == "clone" and result["tasks"][0]["type"] == "qmclone"
    assert [e[1].rsplit("/", 1)[-1] for e in pve.writes()] == ["clone"]


def test_per_node_template_builds_on_its_node_and_refuses_another_before_any_write():
    pve = FakePve()
    assert run(pve, template="debian-12", name="a")["node"] == "pve1"      # pve2 has more free memory
    pve.log = []
    with pytest.raises(InputError) as err:
        run(pve, template="debian-12", name="b", node="pve2")
    assert err.value.option == "node" and "'local-lvm'" in str(err.value) and "pve2" in str(err.value)
    assert pve.writes() == []


def test_vmid_taken_inside_the_clone_task_builds_again_with_another_vmid(monkeypatch):
    from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import TaskFailed
    failures = ["close (rename) atomic file '/etc/pve/nodes/pve1/qemu-server/100.conf' failed: File exists"]

    class FailingWaiter(FakeWaiter):
        def wait(self, upids, deadline, fail_on_error=True):
            if failures and ":qmclone:" in upids[0]:
                text = failures.pop()
                self.client.guests.pop(100)          # the failed worker left nothing behind
                raise TaskFailed("task failed: " + text, tasks=[{"upid": upids[0], "exitstatus": text}])
            return FakeWaiter.wait(self, upids, deadline, fail_on_error)

    monkeypatch.setattr(server_mod, "TaskWaiter", FailingWaiter)
    pve = FakePve()
    result = run(pve, template="debian-12", name="a")
    assert result["vmid"] > 100
    assert [e[2]["newid"] for e in pve.writes() if e[1].endswith("/clone")][0] == 100


def test_template_lock_timeout_in_the_clone_task_is_tried_again_a_few_times(monkeypatch):
    from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import TaskFailed
    text = "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout"
    failures = [4]

    class LockedWaiter(FakeWaiter):
        def wait(self, upids, deadline, fail_on_error=True):
            if failures[0] and ":qmclone:" in upids[0]:
                failures[0] -= 1
                for vmid in [v for v in self.client.guests if v != 9000]:
                    self.client.guests.pop(vmid)
                raise TaskFailed("task failed: " + text, tasks=[{"upid": upids[0], "exitstatus": text}])
            return FakeWaiter.wait(self, upids, deadline, fail_on_error)

    monkeypatch.setattr(server_mod, "TaskWaiter", LockedWaiter)
    pve = FakePve()
    with pytest.raises(ProxmoxError) as err:
        run(pve, template="debian-12", name="a")
    assert "lock-9000.conf" in str(err.value)
    assert len([e for e in pve.writes() if e[1].endswith("/clone")]) == 4      # the first and 3 more
    failures[0] = 1
    pve = FakePve()
    assert run(pve, template="debian-12", name="a")["vmid"] >= 100


# --- real PVE wording and lock semantics (issue 12) -------------------------------------------------------------

@pytest.mark.parametrize("message", ["checksum missmatch (file change by other user?)",
                                     "checksum mismatch (file change by other user?)",
                                     "detected modified configuration - file changed by other user? Try again."])
def test_stale_digest_in_every_wording_is_reread_and_replanned(message):
    from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
    assert guests.is_digest_mismatch(ProxmoxError(message, status=500))
    pve = FakePve()
    run(pve, template="debian-12", state="stopped")
    real_put = pve.put
    refused = []

    def put(path, data=None, deadline=None, retry_locked=False):
        if path.endswith("/config") and not refused:
            refused.append(data)
            pve.log.append(("PUT", path, data))
            raise ProxmoxError(message, status=500)
        return real_put(path, data, deadline, retry_locked)
    pve.put = put
    result = run(pve, state="stopped", cores=4)
    assert result["changed"] and result["step"] == "done"
    config_puts = [e for e in pve.writes() if e[1].endswith("/config")]
    assert len(config_puts) == 2 and pve.guests[100]["config"]["cores"] == "4"    # refused, then re-planned


def test_refused_config_write_reports_changed_false():
    pve = FakePve()
    run(pve, template="debian-12", state="stopped")

    def put(path, data=None, deadline=None, retry_locked=False):
        pve.log.append(("PUT", path, data))
        raise ProxmoxError("unable to parse value of 'cores'", status=500)
    pve.put = put
    runner = server_mod.ServerRun(pve, params(state="stopped", cores=4), deadline=Deadline(30))
    with pytest.raises(ProxmoxError):
        runner.run()
    assert runner.changed is False


def test_change_during_backup_waits_for_the_lock(monkeypatch):
    from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
    monkeypatch.setattr(guests.time, "sleep", lambda seconds: None)
    pve = FakePve()
    run(pve, template="debian-12", state="stopped")
    pve.guests[100]["config"]["lock"] = "backup"
    real_get = pve.get
    reads = []

    def get(path, params=None, deadline=None):
        if path.endswith("/100/config"):
            reads.append(path)
            if len(reads) == 4:
                pve.guests[100]["config"].pop("lock")
        return real_get(path, params, deadline)
    pve.get = get
    real_put = pve.put

    def put(path, data=None, deadline=None, retry_locked=False):
        if pve.guests[100]["config"].get("lock"):
            pve.log.append(("PUT", path, data))
            raise ProxmoxError("VM is locked (backup)", status=500, locked=True)
        return real_put(path, data, deadline, retry_locked)
    pve.put = put
    pve.log = []
    result = run(pve, state="stopped", cores=4)
    assert result["changed"] and pve.guests[100]["config"]["cores"] == "4"
    assert len([e for e in pve.writes() if e[1].endswith("/config")]) == 1       # no refused write at all


def test_tags_compared_as_pve_stores_them():
    pve = FakePve()
    run(pve, template="debian-12", state="stopped", tags=["Web", "db", "web"])
    assert pve.guests[100]["config"]["tags"] == "db;web"
    pve.log = []
    assert run(pve, state="stopped", tags=["Web", "db"])["changed"] is False
    assert pve.writes() == []


def test_shutdown_of_a_stopped_server_is_no_change():
    pve = FakePve()
    run(pve, template="debian-12", state="started")
    pve.guests[100]["status"] = "stopped"            # stopped meanwhile; /cluster/resources still says running
    real_get = pve.get
    pve.get = lambda path, params=None, deadline=None: (
        [dict(g, status="running") if g["vmid"] == 100 else g for g in real_get(path, params, deadline)]
        if path == "/cluster/resources" else real_get(path, params, deadline))
    pve.log = []
    result = run(pve, state="stopped")
    assert result["changed"] is False and result["status"] == "stopped" and pve.writes() == []


def test_power_decided_on_status_current_not_the_lagging_cluster_view():
    pve = FakePve()
    run(pve, template="debian-12", state="stopped")
    pve.guests[100]["status"] = "running"            # started meanwhile; /cluster/resources still says stopped
    real_get = pve.get
    pve.get = lambda path, params=None, deadline=None: (
        [dict(g, status="stopped") if g["vmid"] == 100 else g for g in real_get(path, params, deadline)]
        if path == "/cluster/resources" else real_get(path, params, deadline))
    pve.log = []
    result = run(pve, state="started")
    assert result["changed"] is False and result["status"] == "running" and pve.writes() == []


def unfinished_rebuild(pve, vmid, until=0, running=True):
    """A rebuild of ``vmid`` that ended after making its reservation (record as Builder.reserve writes it)."""
    from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import carry
    carried = carry.capture(pve.guests[vmid]["config"])
    carried["firewall"] = {"options": {}, "digest": "0" * 40, "ipsets": {}, "rules": []}
    record = {"vmid": vmid, "node": "pve1", "template": 9000, "pool": None, "running": running, "carried": carried,
              "vmgenid": None, "until": until}
    pve.guests[150] = {"node": "pve1", "status": "stopped",
                       "config": {"name": "jotun-rebuild-%s.web01" % vmid, "description": carry.pack("x", record)}}


def test_a_rebuild_ended_before_its_destroy_is_given_back_or_rebuilt_from_its_record():
    pve = FakePve()
    built = run(pve, template="debian-12", state="started", ciuser="ops")
    vmid = built["vmid"]
    pve.guests[vmid]["config"]["protection"] = 1
    unfinished_rebuild(pve, vmid)
    # the run had stopped the server and lifted its protection when it was killed
    pve.guests[vmid]["config"].pop("protection")
    pve.guests[vmid]["status"] = "stopped"
    pve.log = []
    result = run(pve)
    assert result["changed"] and result["step"] == "done" and 150 not in pve.guests
    assert pve.guests[vmid]["config"]["protection"] == 1 and pve.guests[vmid]["status"] == "running"
    assert not [w for w in pve.writes() if w[1].endswith("/clone") or w[1] == "/nodes/pve1/qemu/%s" % vmid]
    # state rebuilt goes on with that rebuild from its record, without a second reservation
    pve.guests[vmid]["config"]["net0"] = "virtio=BC:24:11:AB:CD:EF,bridge=vmbr0"
    unfinished_rebuild(pve, vmid)
    pve.guests[vmid]["config"]["cores"] = 8             # changed after the record: the record wins
    pve.log = []
    result = run(pve, template="debian-12", state="rebuilt")
    writes = [(w[0], w[1]) for w in pve.writes()]
    assert ("DELETE", "/nodes/pve1/qemu/%s" % vmid) in writes and ("POST", "/nodes/pve1/qemu") not in writes
    assert pve.guests[vmid]["config"]["net0"] == "virtio=BC:24:11:AB:CD:EF,bridge=vmbr0" and 150 not in pve.guests
    assert pve.guests[vmid]["config"]["ciuser"] == "ops"


def test_a_destroyed_server_is_cloned_again_from_its_record_and_a_live_rebuild_waited_for(monkeypatch):
    pve = FakePve()
    built = run(pve, template="debian-12", ciuser="ops", cores=2)
    vmid = built["vmid"]
    pve.guests[vmid]["config"]["net0"] = "virtio=BC:24:11:AB:CD:EF,bridge=vmbr0"
    unfinished_rebuild(pve, vmid, until=4102444800, running=False)       # its run may still work
    del pve.guests[vmid]
    monkeypatch.setattr(server_mod.guests.time, "sleep", lambda s: None)
    pve.log = []
    with pytest.raises(ProxmoxError) as err:
        server_mod.ServerRun(pve, params(), deadline=Deadline(0.3)).run()
    assert "by another run" in str(err.value) and pve.writes() == []
    del pve.guests[150]
    config = dict(TEMPLATE, name="web01", cores=2, ciuser="ops")
    pve.guests[vmid] = {"node": "pve1", "status": "stopped", "config": config}
    pve.guests[vmid]["config"].pop("template")
    pve.guests[vmid]["config"]["net0"] = "virtio=BC:24:11:AB:CD:EF,bridge=vmbr0"
    unfinished_rebuild(pve, vmid, until=0, running=False)                # handed over
    del pve.guests[vmid]
    pve.log = []
    result = run(pve)                                   # no template given: the record's
    assert result["changed"] and result["vmid"] == vmid and 150 not in pve.guests
    config = pve.guests[vmid]["config"]
    assert config["net0"] == "virtio=BC:24:11:AB:CD:EF,bridge=vmbr0" and config["ciuser"] == "ops"
    assert str(config["cores"]) == "2"
    puts = [w for w in pve.writes() if w[0] == "PUT" and w[1] == "/nodes/pve1/qemu/150/config"]
    assert len(puts) == 1 and puts[0][2].get("digest")      # taken over with the reservation's digest


def test_check_mode_on_an_unfinished_rebuild_writes_nothing():
    pve = FakePve()
    built = run(pve, template="debian-12", ciuser="ops")
    vmid = built["vmid"]
    unfinished_rebuild(pve, vmid, running=False)
    pve.guests[vmid]["config"]["ciuser"] = "template-user"         # a finished clone without the carried settings
    pve.guests[vmid]["config"]["smbios1"] = "uuid=new"
    pve.log = []
    result = run(pve, check_mode=True)
    assert result["changed"] is True and pve.writes() == [] and 150 in pve.guests
    result = run(pve)
    assert result["changed"] is True and pve.guests[vmid]["config"]["ciuser"] == "ops" and 150 not in pve.guests
    assert not [w for w in pve.writes() if w[1].endswith("/clone")]
    pve.log = []
    assert run(pve)["changed"] is False and pve.writes() == []
