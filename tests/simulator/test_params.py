"""Parameter verification like pveproxy: names, types, enums, ranges, patterns, property strings, booleans."""


def errors_of(resp):
    assert resp.status_code == 400, (resp.status_code, resp.text)
    assert resp.reason == "Parameter verification failed."
    return resp.json()["errors"]


def test_unknown_missing_and_typed(sim):
    errs = errors_of(sim.call("POST", "/nodes/pve1/qemu/9000/clone", data={"bogus": "1", "full": "yes"}))
    assert set(errs) == {"bogus", "newid", "full"}
    assert "not defined in schema" in errs["bogus"] and "not optional" in errs["newid"]
    errs = errors_of(sim.call("PUT", "/nodes/pve1/qemu/9000/config", data={"cores": "0", "ostype": "dos",
                                                                           "name": "bad_name!"}))
    assert errs["cores"] == "value must have a minimum value of 1"
    assert "enumeration" in errs["ostype"] and "DNS name" in errs["name"]


def test_property_strings(sim):
    errs = errors_of(sim.call("PUT", "/nodes/pve1/qemu/9000/config",
                              data={"net1": "virtio,bridge=vmbr0,speed=9", "scsi1": "local-lvm:4,cache=fast",
                                    "ipconfig0": "ip=10.0.0.300/24"}))
    assert set(errs) == {"net1", "scsi1", "ipconfig0"}


def test_resize_size_pattern_and_disk_enum(sim):
    errs = errors_of(sim.call("PUT", "/nodes/pve1/qemu/9000/resize", data={"disk": "scsi99", "size": "10GB"}))
    assert set(errs) == {"disk", "size"}


def test_booleans_form_true_refused(any_sim):
    any_sim.reset()
    errs = errors_of(any_sim.call("POST", "/nodes/pve1/qemu/9000/clone", data={"newid": 140, "full": "True"}))
    assert errs == {"full": "type check ('boolean') failed - got 'True'"}


def test_json_booleans_per_release(any_sim):
    any_sim.reset()
    resp = any_sim.call("POST", "/nodes/pve1/qemu/9000/clone", json_body={"newid": 141, "full": True})
    if any_sim.release == "7.4":
        assert errors_of(resp) == {"full": "type check ('boolean') failed - got 'true'"}
    else:
        assert resp.status_code == 200
        any_sim.wait(resp.json()["data"])
    ok = any_sim.call("POST", "/nodes/pve1/qemu/9000/clone", json_body={"newid": 142, "full": 1})
    assert ok.status_code == 200


def test_vmid_range_per_release(any_sim):
    resp = any_sim.call("GET", "/cluster/nextid", params={"vmid": 50})
    if any_sim.release == "7.4":
        assert resp.status_code == 200 and resp.json()["data"] == "50"
    else:
        assert errors_of(resp) == {"vmid": "value must have a minimum value of 100"}


def test_nextid_taken(sim):
    assert errors_of(sim.call("GET", "/cluster/nextid", params={"vmid": 9000})) == {"vmid": "VM 9000 already exists"}


def test_unknown_path_501(sim):
    resp = sim.call("GET", "/nodes/pve1/nothing")
    assert resp.status_code == 501
