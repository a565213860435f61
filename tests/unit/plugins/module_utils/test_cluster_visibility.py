# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cluster.py against /cluster/resources as real PVE answers it: no name for a guest not broadcast yet, clone_vm's
nameless temporary config, a lagging status (pve-manager API2Tools.pm extract_vm_stats)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import cluster
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, UNKNOWN
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline


class Fake(object):
    def __init__(self, resources, configs, statuses=None):
        self.resources, self.configs, self.statuses = resources, configs, statuses or {}
        self.calls = []

    def get(self, path, params=None, deadline=None):
        self.calls.append(path)
        if path == "/cluster/resources":
            return [dict(r) for r in self.resources]
        if path == "/nodes":
            return [{"node": "pve1", "status": "online"}]
        if path == "/nodes/pve1/qemu":          # the nodes' current lists: names from the configs
            return [{"vmid": r["vmid"], "name": self._config(r["vmid"]).get("name") or r.get("name"),
                     "status": r.get("status")} for r in self.resources]
        parts = path.strip("/").split("/")
        vmid = int(parts[3])
        if path.endswith("/status/current"):
            if vmid in self.statuses:
                return self.statuses[vmid]
            listed = [r for r in self.resources if r["vmid"] == vmid][0]
            return {"status": "stopped", "name": self._config(vmid).get("name") or listed.get("name")}
        if vmid not in self.configs:
            raise ProxmoxError("Configuration file 'nodes/%s/qemu-server/%d.conf' does not exist" % (parts[1], vmid),
                               status=500)
        return self._config(vmid)

    def _config(self, vmid):
        config = self.configs.get(vmid, {})
        return config() if callable(config) else dict(config)


BROADCAST = {"id": "qemu/9000", "type": "qemu", "vmid": 9000, "node": "pve1", "status": "stopped",
             "name": "debian-12", "template": 1}
NEW = {"id": "qemu/101", "type": "qemu", "vmid": 101, "node": "pve1", "status": "unknown"}


def test_unbroadcast_guest_named_from_its_config():
    client = Fake([BROADCAST, NEW], {101: {"name": "web1", "digest": "x"}})
    found = cluster.find_guest(client, name="web1")
    assert found["vmid"] == 101 and found["name"] == "web1"
    assert client.calls == ["/cluster/resources", "/nodes/pve1/qemu/101/config",      # only the unnamed one
                            "/nodes/pve1/qemu/101/status/current"]                 # confirms the name


def test_temporary_clone_config_is_unnamed_and_waited_for():
    states = iter([{"lock": "clone"}, {"lock": "clone"}, {"lock": "clone", "name": "web1"}])
    client = Fake([BROADCAST, dict(NEW, lock="clone")], {101: lambda: next(states)})
    listed = cluster.list_guests(client)
    assert [g for g in listed if g["vmid"] == 101][0]["unnamed"] is True
    named = cluster.wait_named(client, Deadline(30))
    assert [g["name"] for g in named if g["vmid"] == 101] == ["web1"]


def test_unnamed_clone_past_the_deadline_fails_naming_it():
    client = Fake([dict(NEW, lock="clone")], {101: {"lock": "clone"}})
    with pytest.raises(ProxmoxError) as err:
        cluster.wait_named(client, Deadline(0))
    assert err.value.kind == UNKNOWN and "101" in str(err.value)


def test_broadcast_name_of_a_locked_clone_is_not_trusted():
    client = Fake([dict(NEW, status="stopped", name="VM 101", lock="clone")], {101: {"lock": "clone", "name": "web1"}})
    assert cluster.find_guest(client, name="web1")["vmid"] == 101


def test_current_status_from_status_current():
    client = Fake([dict(NEW, status="stopped", name="web1")], {}, {101: {"status": "running"}})
    assert cluster.find_guest(client, vmid=101)["status"] == "stopped"
    assert cluster.find_guest(client, vmid=101, current=True)["status"] == "running"
    assert cluster.find_guest(client, name="web1")["status"] == "running"      # a name is always confirmed


def test_a_reused_vmid_under_its_old_broadcast_name_is_not_taken_for_it():
    """The broadcast still names vmid 101 'web1', but it was destroyed and made again as 'db1' since."""
    client = Fake([dict(NEW, status="stopped", name="web1")], {101: {"name": "db1"}},
                  {101: {"status": "running", "name": "db1"}})
    assert cluster.find_guest(client, name="web1") is None
    assert cluster.find_guest(client, name="db1")["vmid"] == 101
    with pytest.raises(InputError) as err:
        cluster.find_guest(client, name="web1", vmid=101)
    assert err.value.option == "vmid" and "db1" in str(err.value)


def test_a_guest_being_destroyed_is_not_found_by_name():
    client = Fake([dict(NEW, status="stopped", name="web1", lock="destroyed")], {101: {"lock": "destroyed"}},
                  {101: {"status": "stopped", "lock": "destroyed"}})
    assert cluster.find_guest(client, name="web1") is None


def test_duplicate_names_ask_for_vmid():
    twins = [dict(NEW, status="stopped", name="web1"),
             dict(NEW, vmid=102, id="qemu/102", status="stopped", name="web1")]
    client = Fake(twins, {})
    with pytest.raises(InputError) as err:
        cluster.find_guest(client, name="web1")
    assert "give vmid" in str(err.value) and err.value.option == "name"
