# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jotun_server_info through ansible-playbook against the simulator."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote

pytestmark = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)

SECRET = "S3cret-Pass-xyz!"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJotun ops@jotun"
GIB = 1024 ** 3
SIZE_UNITS = {"K": 1024, "M": 1024 ** 2, "G": GIB, "T": 1024 ** 4}


def size_of(drive):
    """Bytes of the size= option of a drive string (the test's own reading, not the collection's)."""
    for part in drive.split(","):
        if part.startswith("size="):
            text = part[5:]
            if text[-1] in SIZE_UNITS:
                return int(float(text[:-1]) * SIZE_UNITS[text[-1]])
            return int(text)
    raise AssertionError(drive)


def clone(sim, node, template, newid, name):
    sim.wait_task(sim.api("POST", "/nodes/%s/qemu/%d/clone" % (node, template), newid=newid, name=name))


@pytest.fixture(scope="module")
def fleet(sim):
    """web1 (150, pve1, running, cloud-init set, a pending memory change) and web2 (151, pve2, stopped)."""
    sim.reset()
    clone(sim, "pve1", 9000, 150, "web1")
    clone(sim, "pve2", 9002, 151, "web2")
    net0 = sim.guest(150)["net0"]
    sim.api("PUT", "/nodes/pve1/qemu/150/config", ciuser="admin", cipassword=SECRET,
            sshkeys=quote(KEY + "\n", safe=""), ipconfig0="ip=203.0.113.10/24,gw=203.0.113.1", tags="prod;web",
            net0=net0 + ",rate=12.5")
    sim.api("PUT", "/nodes/pve2/qemu/151/config", tags="web")
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/150/status/start"))
    sim.api("PUT", "/nodes/pve1/qemu/150/config", memory="4096")
    return sim


def info(title, **options):
    return {"name": title, "jotunheim.proxmox.jotun_server_info": options}


def vmids(run, name):
    return [s["vmid"] for s in run.task(name)["servers"]]


def test_find_by_name_vmid_tags_node_and_all(fleet, run_playbook):
    mark = fleet.mark()
    run = run_playbook([
        info("name", name="web1"),
        info("vmid", vmid=151),
        info("tag web", tags=["web"]),
        info("tags prod+web", tags="prod,web"),
        info("node pve2", node="pve2"),
        info("all"),
        info("none", name="no-such-server"),
    ])
    assert run.ok, run
    assert vmids(run, "name") == [150]
    assert vmids(run, "vmid") == [151]
    assert vmids(run, "tag web") == [150, 151]
    assert vmids(run, "tags prod+web") == [150]
    assert vmids(run, "node pve2") == [151, 9002, 9003]
    assert vmids(run, "all") == [150, 151, 9000, 9001, 9002, 9003]
    assert run.task("none")["servers"] == [] and run.task("none")["changed"] is False
    assert not fleet.writes(mark)


def test_details_of_a_running_server(fleet, run_playbook):
    run = run_playbook([info("web1", name="web1")])
    assert run.ok, run
    server = run.task("web1")["servers"][0]
    config = fleet.guest(150, current=True)  # the running values; the pending ones are under "pending"
    assert server["node"] == "pve1" and server["status"] == "running" and server["qmpstatus"] == "running"
    assert server["template"] is False and server["tags"] == ["prod", "web"] and server["uptime"] >= 0
    assert server["cores"] == int(config["cores"]) and server["memory"] == int(str(config["memory"]).rsplit("=", 1)[-1])
    # disks in bytes, as the config says
    scsi0 = [d for d in server["disks"] if d["key"] == "scsi0"][0]
    assert scsi0["size"] == size_of(config["scsi0"]) and scsi0["boot"] is True and scsi0["storage"] == "local-lvm"
    assert [d["key"] for d in server["disks"]] == ["scsi0"]
    # network devices
    net0 = server["nets"][0]
    assert net0["key"] == "net0" and net0["bridge"] == "vmbr0" and net0["rate"] == 12.5 and net0["model"] == "virtio"
    assert net0["mac"] == config["net0"].split(",")[0].split("=")[1].upper()
    # cloud-init, password masked and never shown
    cloud = server["cloud_init"]
    assert cloud["user"] == "admin" and cloud["password"] == "**********" and cloud["sshkeys"] == [KEY]
    assert cloud["drive"] == "ide2"
    assert cloud["ipconfig"][0]["ip"] == "203.0.113.10/24" and cloud["ipconfig"][0]["gw"] == "203.0.113.1"
    assert SECRET not in run.stdout and SECRET not in json.dumps(run.results)
    # addresses from ipconfig (and from the agent when the simulator's agent answers)
    configured = [a for a in server["ip_addresses"] if a["source"] == "ipconfig"]
    assert configured == [{"address": "203.0.113.10", "prefix": 24, "family": "ipv4", "source": "ipconfig",
                           "net": "net0", "interface": None}]
    assert server["ip_address"] == "203.0.113.10"
    assert server["agent"]["enabled"] is True
    # the memory change waits for a restart
    pending = dict((p["key"], p) for p in server["pending"])
    assert pending["memory"]["pending"] == "4096" and pending["memory"]["delete"] is False


def test_requests_per_server(fleet, run_playbook):
    mark = fleet.mark()
    run = run_playbook([info("web2", vmid=151, agent=False)])
    assert run.ok, run
    paths = sorted(e["path"].replace("/api2/json", "") for e in fleet.requests(mark))
    assert paths == ["/cluster/resources", "/nodes/pve2/qemu/151/pending", "/nodes/pve2/qemu/151/status/current"]
    server = run.task("web2")["servers"][0]
    assert server["status"] == "stopped" and server["agent"]["answered"] is False and server["uptime"] == 0


def test_running_server_asks_the_agent_once(fleet, run_playbook):
    mark = fleet.mark()
    run = run_playbook([info("web1", vmid=150)])
    assert run.ok, run
    agent = [e for e in fleet.requests(mark) if "/agent/" in e["path"]]
    assert [e["path"] for e in agent] == ["/api2/json/nodes/pve1/qemu/150/agent/network-get-interfaces"]
    server = run.task("web1")["servers"][0]
    if agent[0]["status"] == 200:
        assert server["agent"]["answered"] is True
        assert [a for a in server["ip_addresses"] if a["source"] == "agent"]
    else:
        assert server["agent"]["answered"] is False


def test_summary_only_is_one_request_and_check_mode(fleet, run_playbook):
    mark = fleet.mark()
    run = run_playbook([info("fleet", details=False)], check=True)
    assert run.ok, run
    servers = run.task("fleet")["servers"]
    assert [s["vmid"] for s in servers] == [150, 151, 9000, 9001, 9002, 9003]
    web1 = servers[0]
    assert web1["name"] == "web1" and web1["node"] == "pve1" and web1["status"] == "running"
    assert web1["tags"] == ["prod", "web"] and web1["memory_bytes"] > 0 and "disks" not in web1
    assert [e["path"] for e in fleet.requests(mark)] == ["/api2/json/cluster/resources"]


def test_bad_tag_fails_naming_the_option(fleet, run_playbook):
    run = run_playbook([info("bad", tags=["-nope"])])
    assert not run.ok
    assert "tags" in run.task("bad")["msg"] and "Traceback" not in run.stdout


def test_pool_of_servers_cloned_into_pools(fleet, run_playbook):
    """jotun_server's pool option puts new servers in a pool; jotun_server_info shows and filters on it."""
    build = [{"name": "build %s" % name, "jotunheim.proxmox.jotun_server": {
        "name": name, "vmid": vmid, "template": "debian-12", "node": "pve1", "pool": pool}}
        for name, vmid, pool in (("shop1", 160, "customers"), ("shop2", 161, "customers"), ("vpn1", 162, "internal"))]
    mark = fleet.mark()
    try:
        run = run_playbook(build + [info("customers", pool=["customers"], details=False),
                                    info("both", pool=["customers", "internal"]),
                                    info("customers on pve2", pool="customers", node="pve2"),
                                    info("shop1", name="shop1", details=False)])
        assert run.ok, run
        clones = [e for e in fleet.requests(mark, method="POST") if e["path"].endswith("/clone")]
        assert [(str(e["params"]["newid"]), e["params"]["pool"]) for e in clones] == [
            ("160", "customers"), ("161", "customers"), ("162", "internal")]
        resources = dict((r["vmid"], r.get("pool")) for r in fleet.api("GET", "/cluster/resources", type="vm"))
        assert [resources[v] for v in (160, 161, 162, 150)] == ["customers", "customers", "internal", None]
        assert vmids(run, "customers") == [160, 161]
        assert vmids(run, "both") == [160, 161, 162]
        assert [s["pool"] for s in run.task("both")["servers"]] == ["customers", "customers", "internal"]
        assert vmids(run, "customers on pve2") == []
        assert run.task("shop1")["servers"][0]["pool"] == "customers"
    finally:
        for vmid in (160, 161, 162):
            if fleet.guest(vmid) is not None:
                fleet.wait_task(fleet.api("DELETE", "/nodes/pve1/qemu/%d" % vmid))
