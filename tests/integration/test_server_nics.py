# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server's extra NICs (``networks``, ``remove_unlisted_networks``) through ansible-playbook against the
simulator on 7.4 and 9.1: a second NIC on the VLAN-aware vmbr1 with its own ipconfig, its MAC kept across changes
and a rebuild, idempotent second runs without writes, check mode without writes, removal only with the flag,
pending on a running server whose hotplug lacks network, and the request log against the API schema."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from pve_schema import validate

M = "jotunheim.proxmox.jotun_server"

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)]


def task(name, options, **keywords):
    item = {"name": name, M: options}
    item.update(keywords)
    return item


def writes_by_task(writes, results):
    """{task name: [writes]}: a write belongs to the first task whose result came after it."""
    found = {}
    for write in writes:
        for result in sorted(results, key=lambda r: r["time"]):
            if result["time"] >= write["time"]:
                found.setdefault(result["task"], []).append(write)
                break
    return found


def mac_of(value):
    return value.split(",")[0].split("=")[1]


def test_second_nic_added_changed_kept_and_removed(sim, run_playbook):
    sim.reset()
    base = {"name": "nic1", "state": "started", "memory": 1024, "ipconfig": ["dhcp"]}
    second = {"bridge": "vmbr1", "vlan": 100, "ipconfig": {"ip": "10.100.0.5/24", "gw": "10.100.0.1"}}
    changed = dict(second, vlan=200, firewall=True, rate_limit=12.5)
    third = {"bridge": "vmbr0", "model": "e1000", "ipconfig": "dhcp"}
    mark = sim.mark()
    run = run_playbook([
        task("build", dict(base, template="debian-12", networks=[second])),
        task("again", dict(base, networks=[second])),
        task("preview", dict(base, networks=[changed, third]), check_mode=True, diff=True),
        task("change", dict(base, networks=[changed, third])),
        task("again 2", dict(base, networks=[changed, third])),
        task("unlisted kept", dict(base, networks=[changed])),
        task("preview removal", dict(base, networks=[changed], remove_unlisted_networks=True), check_mode=True,
             diff=True),
        task("remove", dict(base, networks=[changed], remove_unlisted_networks=True)),
        task("bad bridge", dict(base, networks=[changed, {"bridge": "vmbr7"}]), ignore_errors=True),
    ])
    assert run.status("bad bridge") == "ignored", run
    writes = writes_by_task(sim.writes(mark), run.results)
    built = run.task("build")
    vmid = built["vmid"]
    assert built["changed"] is True and built["status"] == "running"
    net1 = built["config"]["net1"]
    assert net1 == "virtio=%s,bridge=vmbr1,tag=100" % mac_of(net1)
    assert built["config"]["ipconfig1"] == "ip=10.100.0.5/24,gw=10.100.0.1" and built["config"]["ipconfig0"] == "ip=dhcp"
    # idempotent: changed false, not one write
    for name in ("again", "again 2", "unlisted kept"):
        assert run.task(name)["changed"] is False and not writes.get(name), (name, writes.get(name))
    # check mode: the diff names both NICs, nothing written
    preview = run.task("preview")
    assert preview["changed"] is True and not writes.get("preview")
    assert preview["diff"]["before"]["net1"] == net1 and preview["diff"]["before"]["net2"] is None
    assert preview["diff"]["after"]["net2"] == "e1000,bridge=vmbr0"
    # the change: net1 in place with its MAC, net2 added (hot-plugged: the default hotplug has network)
    change = run.task("change")
    config = change["config"]
    assert config["net1"] == "virtio=%s,bridge=vmbr1,firewall=1,rate=12.5,tag=200" % mac_of(net1)
    assert config["net2"].startswith("e1000=") and config["ipconfig2"] == "ip=dhcp"
    assert change["pending"].get("net1", {}).get("pending") is None and "net2" not in change["pending"]
    put = [w["params"] for w in writes["change"] if w["path"].endswith("/config")]
    assert len(put) == 1 and put[0]["net2"] == "e1000,bridge=vmbr0" and "delete" not in put[0]
    # removal only with the flag; check mode shows it first
    removal = run.task("preview removal")
    assert removal["changed"] is True and not writes.get("preview removal")
    assert removal["diff"]["after"]["net2"] is None and removal["diff"]["after"]["ipconfig2"] is None
    assert [w["params"]["delete"] for w in writes["remove"] if w["path"].endswith("/config")] == ["ipconfig2,net2"]
    guest = sim.guest(vmid)
    assert "net2" not in guest and "ipconfig2" not in guest and mac_of(guest["net1"]) == mac_of(net1)
    bad = run.task("bad bridge")
    assert bad["option"] == "networks" and "networks[1].bridge: 'vmbr7' is not a bridge of" in bad["msg"]
    assert not writes.get("bad bridge")

    # a running server whose hotplug lacks network: a new NIC is pending, surfaced; a rebuild keeps net1's MAC
    sim.api("PUT", "/nodes/%s/qemu/%s/config" % (guest["_node"], vmid), hotplug="disk,usb")
    mark = sim.mark()
    more = dict(base, networks=[changed, {"bridge": "vmbr1", "vlan": 300}])
    run = run_playbook([
        task("pending", more),
        task("pending again", more),
        task("rebuild", dict(more, template="debian-12", state="rebuilt")),
        task("after rebuild", more),
    ])
    assert run.ok, run
    writes = writes_by_task(sim.writes(mark), run.results)
    pending = run.task("pending")
    assert pending["changed"] is True and pending["pending"]["net2"]["pending"].startswith("virtio=")
    assert pending["pending"]["net2"]["value"] is None       # not plugged yet: no current value
    again = run.task("pending again")
    assert again["changed"] is False and "net2" in again["pending"] and not writes.get("pending again")
    rebuilt = run.task("rebuild")["config"]
    assert mac_of(rebuilt["net1"]) == mac_of(net1) and rebuilt["ipconfig1"] == "ip=10.100.0.5/24,gw=10.100.0.1"
    assert rebuilt["net2"] == pending["config"]["net2"]        # the pending NIC, carried with its MAC
    assert run.task("after rebuild")["changed"] is False and not writes.get("after rebuild")

    returncode, output = validate(sim.pve, sim.request_log)
    assert returncode == 0, output
