"""Resource pools: clone/create into a pool, the pool in /cluster/resources and /pools, unknown pools refused,
membership gone with the guest, members added, moved and removed."""
from simsupport import pve_message


def _resource(sim, vmid):
    return next(r for r in sim.get("/cluster/resources", type="vm") if r["vmid"] == vmid)


def _clone(sim, newid, name, **extra):
    return sim.wait(sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=newid, name=name, **extra))


def test_clone_into_pool_shows_everywhere(fresh):
    assert fresh.get("/pools") == [{"poolid": "customers", "comment": "Customer servers"},
                                   {"poolid": "internal", "comment": "Our own infrastructure"}]
    assert _clone(fresh, 120, "shop", pool="customers")["exitstatus"] == "OK"
    assert _clone(fresh, 121, "intranet")["exitstatus"] == "OK"
    assert _resource(fresh, 120)["pool"] == "customers"
    assert "pool" not in _resource(fresh, 121)
    members = fresh.get("/pools/customers")["members"]
    assert [(m["vmid"], m["type"], m["node"], m["id"]) for m in members] == [(120, "qemu", "pve1", "qemu/120")]
    assert fresh.get("/pools/internal")["members"] == []
    assert fresh.get("/pools/customers", type="storage")["members"] == []
    pool_entries = [r for r in fresh.get("/cluster/resources") if r["type"] == "pool"]
    assert [(r["id"], r["pool"]) for r in pool_entries] == [("/pool/customers", "customers"), ("/pool/internal", "internal")]
    assert fresh.guest(120)["pool"] == "customers" and fresh.guest(121)["pool"] is None


def test_create_into_pool(fresh):
    upid = fresh.write("POST", "/nodes/pve2/qemu", vmid=130, name="vpn", pool="internal", memory=1024,
                       scsi0="local-lvm:4")
    assert fresh.wait(upid)["exitstatus"] == "OK"
    assert _resource(fresh, 130)["pool"] == "internal"
    assert [m["vmid"] for m in fresh.get("/pools/internal")["members"]] == [130]


def test_unknown_pool_is_refused_before_anything_happens(fresh):
    resp = fresh.call("POST", "/nodes/pve1/qemu/9000/clone", data={"newid": 122, "name": "x", "pool": "nope"})
    assert resp.status_code == 500 and pve_message(resp) == "pool 'nope' does not exist\n"
    resp = fresh.call("POST", "/nodes/pve1/qemu", data={"vmid": 131, "pool": "nope"})
    assert resp.status_code == 500 and pve_message(resp) == "pool 'nope' does not exist\n"
    assert fresh.guest(122) is None and fresh.guest(131) is None
    resp = fresh.call("GET", "/pools/nope")
    assert resp.status_code == 500 and pve_message(resp) == "pool 'nope' does not exist\n"
    resp = fresh.call("POST", "/nodes/pve1/qemu/9000/clone", data={"newid": 122, "name": "x", "pool": "bad pool"})
    assert resp.status_code == 400 and "invalid pool ID" in resp.json()["errors"]["pool"]


def test_destroy_leaves_the_pool(fresh):
    assert _clone(fresh, 120, "shop", pool="customers")["exitstatus"] == "OK"
    assert fresh.wait(fresh.write("DELETE", "/nodes/pve1/qemu/120"))["exitstatus"] == "OK"
    assert fresh.get("/pools/customers")["members"] == []
    assert _clone(fresh, 120, "shop-again")["exitstatus"] == "OK"
    assert "pool" not in _resource(fresh, 120)


def test_pool_query_only_from_8_4(fresh):
    """GET /pools?poolid= exists from PVE 8.1 (8.4 schema); before, /pools takes no parameters."""
    _clone(fresh, 120, "shop", pool="customers")
    resp = fresh.call("GET", "/pools", params={"poolid": "customers"})
    if fresh.release == "7.4":
        assert resp.status_code == 400 and "poolid" in resp.json()["errors"]
        return
    data = resp.json()["data"]
    assert [(p["poolid"], [m["vmid"] for m in p["members"]]) for p in data] == [("customers", [120])]
    resp = fresh.call("GET", "/pools", params={"type": "qemu"})
    assert resp.status_code == 400 and "poolid" in resp.json()["errors"]


def _members(sim, poolid):
    return [m["vmid"] for m in sim.get("/pools/" + poolid)["members"]]


def test_add_move_and_remove_members(fresh):
    _clone(fresh, 120, "shop", pool="customers")
    _clone(fresh, 121, "intranet")
    assert fresh.write("PUT", "/pools/internal", vms="121") is None
    assert _members(fresh, "internal") == [121] and _resource(fresh, 121)["pool"] == "internal"
    # a guest in another pool does not move unless asked to (allow-move from 8.1), and nothing changes
    resp = fresh.call("PUT", "/pools/internal", data={"vms": "121,120"})
    assert resp.status_code == 500 and "VM 121 is already a pool member" in pve_message(resp)
    resp = fresh.call("PUT", "/pools/internal", data={"vms": "120"})
    assert resp.status_code == 500 and "VM 120 belongs already to pool 'customers'" in pve_message(resp)
    assert _members(fresh, "customers") == [120]
    if fresh.release == "7.4":
        resp = fresh.call("PUT", "/pools/internal", data={"vms": "120", "allow-move": 1})
        assert resp.status_code == 400 and "allow-move" in resp.json()["errors"]
        fresh.write("PUT", "/pools/customers", vms="120", delete=1)
        fresh.write("PUT", "/pools/internal", vms="120")
    else:
        fresh.write("PUT", "/pools", poolid="internal", vms="120", **{"allow-move": 1})
    assert _members(fresh, "customers") == [] and _members(fresh, "internal") == [120, 121]
    fresh.write("PUT", "/pools/internal", vms="120", delete=1)
    assert _members(fresh, "internal") == [121] and "pool" not in _resource(fresh, 120)
    resp = fresh.call("PUT", "/pools/internal", data={"vms": "120", "delete": 1})
    assert resp.status_code == 500 and "VM 120 is not a pool member" in pve_message(resp)
    resp = fresh.call("PUT", "/pools/internal", data={"vms": "999"})
    assert resp.status_code == 500 and "VM 999 does not exist" in pve_message(resp)
    resp = fresh.call("PUT", "/pools/nope", data={"vms": "120"})
    assert resp.status_code == 500 and pve_message(resp) == "pool 'nope' does not exist\n"


def test_put_pools_without_path_only_from_8_4(fresh):
    _clone(fresh, 121, "intranet")
    resp = fresh.call("PUT", "/pools", data={"poolid": "internal", "vms": "121"})
    if fresh.release == "7.4":
        assert resp.status_code == 501
        assert fresh.guest(121)["pool"] is None
        return
    assert resp.status_code == 200 and fresh.guest(121)["pool"] == "internal"


def test_pool_update_needs_write_rights(fresh):
    _clone(fresh, 121, "intranet")
    audit = {"Authorization": "PVEAPIToken=%s=%s" % (fresh.info["audit_token_id"], fresh.info["audit_token_secret"])}
    resp = fresh.call("PUT", "/pools/internal", data={"vms": "121"}, headers=audit, token=False)
    assert resp.status_code == 403 and "Pool.Allocate" in pve_message(resp)
    assert fresh.guest(121)["pool"] is None
