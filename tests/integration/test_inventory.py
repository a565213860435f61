# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The jotunheim.proxmox.jotun inventory plugin through real ``ansible-inventory --list`` against a simulator holding
a fleet of 200 customer servers (--seed-guests 200: two nodes, stopped ones, tags, pools, guests without agent; the
mix is in simulator/pvesim/fleet.py). Asserts groups, host variables and the requests the plugin sent."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import subprocess

import pytest

from harness import VENV_BIN, ansible_env
from inventory_helpers import FLEET, FLEET_START, run_inventory, write_source

# broadcasts only when forced: the seeded fleet is broadcast at start, guests seeded later are not (yet)
pytestmark = pytest.mark.parametrize("sim", [{"pve": "9.1", "speed": 20, "args": [
    "--seed-guests", str(FLEET), "--broadcast-interval", "100000"]}], indirect=True)

INDEXES = range(FLEET)


def vmids(pred):
    return [FLEET_START + i for i in INDEXES if pred(i)]


def host_of(i):
    """The inventory host name of the fleet guest at index i (0 and 1 share a name, 2 has none)."""
    vmid = FLEET_START + i
    if i in (0, 1):
        return "cust-1000-%d" % vmid
    return str(vmid) if i == 2 else "cust-%d" % vmid


def hosts(pred):
    return sorted(host_of(i) for i in INDEXES if pred(i))


def counted(sim, mark):
    """(cluster/resources requests, config requests, agent requests, everything else) since mark."""
    entries = sim.requests(mark)
    resources = [e for e in entries if e["path"].endswith("/cluster/resources")]
    configs = [e for e in entries if e["path"].endswith("/config")]
    agent = [e for e in entries if "/agent/" in e["path"]]
    rest = [e for e in entries if e not in resources + configs + agent]
    return len(resources), len(configs), len(agent), rest


def test_fleet_hosts_groups_vars_and_cost(sim, tmp_path):
    source = write_source(tmp_path, {})
    mark = sim.mark()
    listing = run_inventory(sim, source)
    assert listing.rc == 0, listing.stderr
    assert sorted(listing.hostvars) == hosts(lambda i: True)              # 200 servers, no template
    assert "share the name 'cust-1000'" in listing.warnings
    assert listing.members("jotun_node_pve1") == hosts(lambda i: i % 2 == 0)
    assert listing.members("jotun_node_pve2") == hosts(lambda i: i % 2 == 1)
    assert listing.members("jotun_status_stopped") == hosts(lambda i: i % 5 == 4)
    assert listing.members("jotun_status_running") == hosts(lambda i: i % 5 != 4)
    assert listing.members("jotun_pool_customers") == hosts(lambda i: i % 6 in (0, 1, 3, 4))
    assert listing.members("jotun_pool_internal") == hosts(lambda i: i % 6 == 2)
    assert listing.members("jotun_tag_web") == hosts(lambda i: i % 3 == 0 and i % 10 != 9)
    assert listing.members("jotun_tag_staging") == hosts(lambda i: i % 4 == 0 and i % 10 != 9)

    name, hv = listing.by_vmid(1005)           # index 5: pve2, running, dhcp, no ip6, tags mail;prod
    assert name == "cust-1005" and "ansible_host" not in hv
    assert hv["jotun_node"] == "pve2" and hv["jotun_status"] == "running" and hv["jotun_pool"] is None
    assert hv["jotun_tags"] == ["mail", "prod"] and hv["jotun_agent"] is True
    assert hv["jotun_cores"] == 4 and hv["jotun_memory"] == 2048 and hv["jotun_memory_bytes"] == 2048 * 1024 ** 2
    assert [(d["key"], d["size"], d["boot"]) for d in hv["jotun_disks"]] == [("scsi0", 32 * 1024 ** 3, True)]
    assert hv["jotun_disk_size"] == 32 * 1024 ** 3 and len(hv["jotun_macs"]) == 1 and hv["jotun_ipv4"] == []
    name, hv = listing.by_vmid(1001)           # index 1: static IPv4 and IPv6, shared name
    assert name == "cust-1000-1001" and hv["jotun_name"] == "cust-1000"
    assert hv["ansible_host"] == "10.20.0.3" and hv["jotun_ipv6"] == ["2001:db8::3e9"]
    assert listing.by_vmid(1002)[0] == "1002" and listing.hostvars["1002"]["jotun_name"] is None
    name, hv = listing.by_vmid(1017)           # index 17: a second NIC on vmbr1 with VLAN 117
    assert [(n["key"], n["bridge"], n["vlan"]) for n in hv["jotun_nets"]] == [
        ("net0", "vmbr0", None), ("net1", "vmbr1", 117)]
    assert not [k for v in listing.hostvars.values() for k in v if k.startswith("jotun_") and k == "jotun_error"]

    resources, configs, agent, rest = counted(sim, mark)
    assert (resources, configs, agent, rest) == (1, FLEET, 0, [])      # 1 + one config per guest, nothing else


def test_filters_before_any_guest_request(sim, tmp_path):
    filters = {"pools": ["customers"], "status": ["running"], "tags": ["web", "prod"], "nodes": ["pve1", "pve2"]}
    wanted = hosts(lambda i: i % 6 in (0, 1, 3, 4) and i % 5 != 4 and i % 3 == 0 and i % 4 and i % 10 != 9)
    mark = sim.mark()               # with a password: one login, shared by the worker threads
    listing = run_inventory(sim, write_source(tmp_path, {"filters": filters}), auth="password")
    assert listing.rc == 0, listing.stderr
    assert sorted(listing.hostvars) == wanted and len(wanted) > 10
    resources, configs, agent, rest = counted(sim, mark)
    assert (resources, configs, agent) == (1, len(wanted), 0)
    assert [(e["method"], e["path"]) for e in rest] == [("POST", "/api2/json/access/ticket")]
    assert all(e["auth"] == "ticket" for e in sim.requests(mark)[1:])

    mark = sim.mark()           # names only: the cluster listing is all it costs
    listing = run_inventory(sim, write_source(tmp_path, {
        "details": False, "ansible_host": "name", "filters": {"names": ["cust-10[0-4]?"], "exclude_names": ["*7"]}}))
    assert listing.rc == 0, listing.stderr
    wanted = sorted(set(hosts(lambda i: i < 50 and i % 10 != 7)) - {"1002"})
    assert sorted(listing.hostvars) == wanted
    assert listing.hostvars["cust-1040"]["ansible_host"] == "cust-1040"
    assert listing.hostvars["cust-1040"]["jotun_cores"] == 2 and "jotun_disks" not in listing.hostvars["cust-1040"]
    assert counted(sim, mark) == (1, 0, 0, [])


def test_agent_addresses_and_failing_guests_only_warn(sim, tmp_path):
    sim.clear_faults()
    sim.fault(kind="agent_off", vmid=1012)                        # index 12: running, agent configured, silent
    sim.fault(kind="status", method="GET", path="/nodes/pve2/qemu/1021/config$", status=500, count=1,
              message="Configuration file 'nodes/pve2/qemu-server/1021.conf' does not exist")   # destroyed meanwhile
    mark = sim.mark()
    listing = run_inventory(sim, write_source(tmp_path, {"agent": True, "ansible_host": "agent",
                                                         "filters": {"names": ["cust-10[1-3]?"]}}))
    assert listing.rc == 0, listing.stderr
    assert sorted(listing.hostvars) == hosts(lambda i: 10 <= i < 40)
    assert "guest 1012" in listing.warnings and "QEMU guest agent is not running" in listing.warnings
    assert "guest 1021" in listing.warnings and "1021.conf' does not exist" in listing.warnings
    hv = listing.hostvars["cust-1012"]
    assert hv["jotun_error"] and hv["ansible_host"] == "10.20.0.14"      # agent silent: the configured address
    hv = listing.hostvars["cust-1021"]
    assert "jotun_error" in hv and hv["jotun_cores"] == 1 and "jotun_disks" not in hv   # what the listing said
    hv = listing.hostvars["cust-1013"]                                  # index 13: dhcp: only the agent knows
    assert hv["ansible_host"].startswith("10.100.") and hv["jotun_ip_addresses"][0]["source"] == "agent"
    asked = [i for i in range(10, 40) if i % 5 != 4 and i % 7 != 3 and i != 21]     # running, agent, config read
    resources, configs, agent, rest = counted(sim, mark)
    assert (resources, configs, agent, rest) == (1, 30, len(asked), [])
    sim.clear_faults()


def test_cache_warm_costs_nothing(sim, tmp_path):
    cache = tmp_path / "cache"
    source = write_source(tmp_path, {"cache": True, "cache_plugin": "ansible.builtin.jsonfile",
                                     "cache_connection": str(cache), "cache_timeout": 600})
    mark = sim.mark()
    cold = run_inventory(sim, source)
    assert cold.rc == 0 and len(cold.hostvars) == FLEET, cold.stderr
    assert counted(sim, mark)[:2] == (1, FLEET)
    mark = sim.mark()
    warm = run_inventory(sim, source)
    assert warm.rc == 0 and warm.hostvars == cold.hostvars and warm.groups == cold.groups
    assert sim.requests(mark) == []
    shutil.rmtree(str(cache))                               # (--flush-cache does this; ansible-inventory has it
    mark = sim.mark()                                        # from ansible-core 2.19, ansible-playbook always)
    fresh = run_inventory(sim, source)
    assert fresh.rc == 0 and counted(sim, mark)[:2] == (1, FLEET)


def test_constructed_and_password_login(sim, tmp_path):
    source = write_source(tmp_path, {
        "details": False, "ansible_host": "name", "strict": True,
        "filters": {"nodes": ["pve1"], "names": ["cust-100?"]},
        "compose": {"ansible_host": "jotun_name ~ '.customers.example'", "tier": "jotun_tags | first"},
        "groups": {"big": "jotun_memory >= 4096"},
        "keyed_groups": [{"key": "jotun_pool", "prefix": "in", "default_value": "none"}]})
    mark = sim.mark()
    listing = run_inventory(sim, source, auth="password")
    assert listing.rc == 0, listing.stderr
    # cust-1001 (pve2) is filtered out, but still shares the name: host names never depend on the filters
    assert sorted(listing.hostvars) == ["cust-1000-1000", "cust-1004", "cust-1006", "cust-1008"]
    assert listing.hostvars["cust-1004"]["ansible_host"] == "cust-1004.customers.example"
    assert listing.hostvars["cust-1004"]["tier"] == "db"
    assert listing.members("big") == ["cust-1006"]                    # index 6: 4096 MiB; index 7 is on pve2
    assert listing.members("in_customers") == ["cust-1000-1000", "cust-1004", "cust-1006"]
    assert listing.members("in_internal") == ["cust-1008"] and listing.members("in_none") == []
    entries = sim.requests(mark)
    assert [e["path"] for e in entries] == ["/api2/json/access/ticket", "/api2/json/cluster/resources"]
    assert entries[1]["auth"] == "ticket"


def test_new_guests_not_broadcast_yet_are_named_from_their_config(sim, tmp_path):
    sim.control("POST", "/seed", body={"guests": 3, "start_vmid": 3000})
    try:
        mark = sim.mark()
        listing = run_inventory(sim, write_source(tmp_path, {
            "details": False, "ansible_host": "name", "filters": {"names": ["cust-3*", "300?"]}}))
        assert listing.rc == 0, listing.stderr
        assert sorted(listing.hostvars) == ["3002", "cust-3000-3000", "cust-3000-3001"]
        assert listing.hostvars["3002"]["jotun_status"] == "unknown"
        assert counted(sim, mark) == (1, 3, 0, [])
    finally:
        sim.reset()


def test_connection_in_the_file_with_a_lookup(sim, tmp_path):
    """Options in the file win over PROXMOX_*, and string options are templated (the secret from a lookup)."""
    source = write_source(tmp_path, {
        "api_host": sim.info["host"], "api_port": sim.info["port"], "ca_path": sim.ca_cert,
        "api_token_id": sim.info["token_id"], "api_token_secret": "{{ lookup('env', 'INVENTORY_TOKEN') }}",
        "details": False, "ansible_host": "name", "filters": {"names": ["cust-1003"]}})
    mark = sim.mark()
    listing = run_inventory(sim, source, auth=None, env={"INVENTORY_TOKEN": sim.info["token_secret"],
                                                         "PROXMOX_HOST": "nowhere.invalid"})
    assert listing.rc == 0, listing.stderr
    assert sorted(listing.hostvars) == ["cust-1003"]
    assert [e["auth"] for e in sim.requests(mark)] == ["token"]


def test_bad_options_fail_clearly(sim, tmp_path):
    listing = run_inventory(sim, write_source(tmp_path, {"workers": 0}))
    assert "workers: 0 is not between 1 and 32" in listing.warnings and not listing.hostvars
    listing = run_inventory(sim, write_source(tmp_path, {"filters": {"tag": ["web"]}}))
    assert "filters: unknown key(s) tag" in listing.warnings
    listing = run_inventory(sim, write_source(tmp_path, {}), env={"PROXMOX_TOKEN_SECRET": "wrong-secret-123"})
    assert "401" in listing.stderr and "wrong-secret-123" not in listing.stderr + str(listing.raw)
    # connection options are checked as the modules check them, naming the option, before anything is sent
    mark = sim.mark()
    for options, wanted in (({"api_timeout": -1}, "api_timeout: must be greater than 0"),
                            ({"api_connect_timeout": 0}, "api_connect_timeout: must be greater than 0"),
                            ({"api_host": "127.0.0.1:8006", "api_port": 8006}, "api_port"),
                            ({"api_user": "root", "api_password": "a-password-1"}, "api_user")):
        listing = run_inventory(sim, write_source(tmp_path, options))
        assert wanted in listing.warnings and not listing.hostvars, (options, listing.warnings)
    assert sim.requests(mark) == []


def test_rebuild_reservations_are_no_hosts_nor_servers(sim, tmp_path, run_playbook):
    """A rebuild's name reservation (config-only, ``jotun-rebuild-<vmid>.<name>``; jotun_server keeps it while a
    rebuild is unfinished) is left out by the inventory, jotun_server_info and jotun_server_usage: 3100 broadcast and
    holding a record, 3101 made since the broadcast (no name in the listing) and without one. And filters naming a
    pool or node that does not exist fail the inventory, naming the filter, on the one listing request."""
    reservation = "jotun-rebuild-1000.cust-1000"
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu", vmid=3100, name=reservation,
                          description="rebuild of 1000 unfinished\njotun-carry-v1:{}"))
    sim.control("POST", "/broadcast")
    sim.wait_task(sim.api("POST", "/nodes/pve2/qemu", vmid=3101, name="jotun-rebuild-1001.cust-1000"))
    try:
        mark = sim.mark()
        listing = run_inventory(sim, write_source(tmp_path, {"filters": {"names": ["jotun-rebuild-*", "cust-1000"]}}))
        assert listing.rc == 0, listing.stderr
        assert sorted(listing.hostvars) == ["cust-1000-1000", "cust-1000-1001"], listing.stderr
        assert counted(sim, mark) == (1, 3, 0, [])            # 3101's name is read from its config, as any new guest's

        for filters, wanted in (({"pools": ["customers", "custmers"]}, "filters.pools: pool 'custmers' does not exist"),
                                ({"nodes": ["pve9"]}, "filters.nodes: node 'pve9' does not exist")):
            mark = sim.mark()
            listing = run_inventory(sim, write_source(tmp_path, {"filters": filters}))
            assert wanted in listing.warnings and not listing.hostvars, listing.warnings
            # the one listing, without ``type``: it lists the nodes and pools as well
            assert [(e["path"], e["params"]) for e in sim.requests(mark)] == [("/api2/json/cluster/resources", {})]

        run = run_playbook([
            {"name": "all", "jotunheim.proxmox.jotun_server_info": {"details": False}},
            {"name": "by name", "jotunheim.proxmox.jotun_server_info": {"name": [reservation]}},
            {"name": "usage", "jotunheim.proxmox.jotun_server_usage": {"vmid": [1000, 3100, 3101], "period": "day"}}])
        assert run.ok, run
        listed = [s["vmid"] for s in run.task("all")["servers"]]
        assert len(listed) > FLEET and 1000 in listed and 3100 not in listed and 3101 not in listed
        assert run.task("by name")["servers"] == []
        assert [s["vmid"] for s in run.task("usage")["servers"]] == [1000]
    finally:
        sim.reset()


def test_ansible_doc_renders(sim):
    env = ansible_env()
    out = subprocess.run([os.path.join(VENV_BIN, "ansible-doc"), "-t", "inventory", "jotunheim.proxmox.jotun"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, universal_newlines=True,
                         check=False, timeout=120)
    assert out.returncode == 0, out.stderr
    for text in ("PROXMOX_HOST", "PROXMOX_VALIDATE_CERTS", "keyed_groups", "cache_plugin", "ansible_host",
                 "exclude_names", "api_token_secret"):
        assert text in out.stdout, text
