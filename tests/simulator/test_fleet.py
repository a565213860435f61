"""The seeded customer fleet (POST /_sim/seed, --seed-guests): a mix of nodes, states, tags, pools and agents that
still appears through pvestatd's broadcast lag like any other guest (pve-manager API2/Cluster.pm resources)."""
import pytest
from simsupport import Sim


@pytest.fixture(scope="module")
def fleet_sim(sim_logs):
    sim = Sim("9.1", sim_logs, extra=["--seed-guests", "40"])
    yield sim
    sim.stop()


def fleet_entries(sim):
    return [r for r in sim.get("/cluster/resources", type="vm") if 1000 <= r["vmid"] < 2000]


def test_seeded_at_start_and_after_reset(fleet_sim):
    sim = fleet_sim
    for attempt in range(2):
        entries = fleet_entries(sim)
        assert [r["vmid"] for r in entries] == list(range(1000, 1040)), attempt
        assert set(r["node"] for r in entries) == {"pve1", "pve2"}
        status = dict((r["vmid"], r["status"]) for r in entries)
        assert status[1004] == "stopped" and status[1000] == "running"
        assert sum(1 for s in status.values() if s == "stopped") == 8
        assert dict((r["vmid"], r.get("pool")) for r in entries)[1002] == "internal"
        assert "tags" not in next(r for r in entries if r["vmid"] == 1009)
        assert next(r for r in entries if r["vmid"] == 1000)["tags"] == "staging;web"
        sim.reset()


def test_names_agent_and_addresses(fleet_sim):
    sim = fleet_sim
    names = dict((r["vmid"], r["name"]) for r in fleet_entries(sim))
    assert names[1000] == names[1001] == "cust-1000"       # a reused name
    assert names[1002] == "VM 1002"                         # no name in the config
    assert "name" not in sim.get("/nodes/pve1/qemu/1002/config")
    config = sim.get("/nodes/pve2/qemu/1001/config")
    assert config["ipconfig0"] == "ip=10.20.0.3/16,gw=10.20.0.1,ip6=2001:db8::3e9/64"
    assert config["scsi0"].startswith("local-lvm:base-9002-disk-0/vm-1001-disk-0,")
    ifaces = sim.get("/nodes/pve1/qemu/1000/agent/network-get-interfaces")["result"]
    assert any(a["ip-address"] == "10.20.0.2" for i in ifaces for a in i["ip-addresses"])
    resp = sim.call("GET", "/nodes/pve2/qemu/1003/agent/network-get-interfaces")   # index 3: no agent configured
    assert resp.status_code == 500 and "No QEMU guest agent configured" in resp.reason


def test_seed_endpoint_waits_for_the_broadcast(fleet_sim):
    sim = fleet_sim
    vmids = sim.control("POST", "/seed", {"guests": 3, "start_vmid": 2000})["vmids"]
    assert vmids == [2000, 2001, 2002]
    fresh = [r for r in sim.get("/cluster/resources", type="vm") if 2000 <= r["vmid"] < 3000]
    assert [r["status"] for r in fresh] == ["unknown"] * 3 and all("name" not in r for r in fresh)
    assert fresh[0]["tags"] == "staging;web"                 # tags are read from the config, always current
    sim.control("POST", "/broadcast")
    fresh = [r for r in sim.get("/cluster/resources", type="vm") if 2000 <= r["vmid"] < 3000]
    assert [r["name"] for r in fresh] == ["cust-2000", "cust-2000", "VM 2002"]
    resp = sim.http.post(sim.info["control_url"] + "/seed", json={"guests": 1, "start_vmid": 2001},
                         verify=sim.info["ca_cert"], timeout=10)
    assert resp.status_code == 400 and "2001" in resp.text
    sim.reset()
    assert not [r for r in sim.get("/cluster/resources", type="vm") if 2000 <= r["vmid"] < 3000]
