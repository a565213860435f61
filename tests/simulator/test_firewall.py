"""The guest firewall endpoints as pve-firewall answers them (src/PVE/API2/Firewall/{VM,IPSet,Rules}.pm, the same
on 7.4 and 9.1): options with a digest, ipsets (names, cidr normalisation, duplicates, force), rules (new ones on
top, disabled without enable, positions, moveto, verify_rule's errors), and the config following clone and
destroy."""
from simsupport import pve_message

FW = "/nodes/pve1/qemu/%d/firewall"


def _clone(sim, vmid, source=9000):
    sim.wait(sim.write("POST", "/nodes/pve1/qemu/%d/clone" % source, newid=vmid, name="fw%d" % vmid))


def test_options_defaults_digest_and_delete(fresh):
    _clone(fresh, 160)
    options = fresh.get(FW % 160 + "/options")
    assert set(options) == {"digest"}              # nothing set: PVE's defaults apply (enable 0, macfilter 1)
    fresh.write("PUT", FW % 160 + "/options", enable=1, ipfilter=1, policy_in="DROP", digest=options["digest"])
    options = fresh.get(FW % 160 + "/options")
    assert (options["enable"], options["ipfilter"], options["policy_in"]) == (1, 1, "DROP")
    resp = fresh.call("PUT", FW % 160 + "/options", data={"policy_out": "REJECT", "digest": "0" * 40})
    assert resp.status_code == 500 and "detected modified configuration" in pve_message(resp)
    resp = fresh.call("PUT", FW % 160 + "/options", data={"policy_in": "ALLOW"})
    assert resp.status_code == 400 and "policy_in" in resp.json()["errors"]
    resp = fresh.call("PUT", FW % 160 + "/options", data={"delete": "bogus"})
    assert resp.status_code == 400 and resp.json()["errors"] == {"delete": "no such option 'bogus'"}
    fresh.write("PUT", FW % 160 + "/options", delete="policy_in,ipfilter")
    assert set(fresh.get(FW % 160 + "/options")) == {"enable", "digest"}


def test_ipsets_normalise_sort_and_refuse(fresh):
    _clone(fresh, 161)
    base = FW % 161 + "/ipset"
    fresh.write("POST", base, name="ipfilter-net0", comment="anti-spoofing")
    assert fresh.get(base)[0]["name"] == "ipfilter-net0" and fresh.get(base)[0]["comment"] == "anti-spoofing"
    resp = fresh.call("POST", base, data={"name": "ipfilter-net0"})
    assert resp.status_code == 400 and resp.json()["errors"] == {"name": "IPSet 'ipfilter-net0' already exists"}
    resp = fresh.call("POST", base, data={"name": "0bad"})
    assert resp.status_code == 400 and "name" in resp.json()["errors"]
    for cidr in ("203.0.113.10/32", "198.51.100.77/24", "2001:DB8::10"):
        fresh.write("POST", base + "/ipfilter-net0", cidr=cidr)
    entries = fresh.get(base + "/ipfilter-net0")
    # /32 dropped, host bits of a network cleared; an address without a prefix is kept as written; sorted as text
    assert [e["cidr"] for e in entries] == ["198.51.100.0/24", "2001:DB8::10", "203.0.113.10"]
    assert len(set(e["digest"] for e in entries)) == 1
    resp = fresh.call("POST", base + "/ipfilter-net0", data={"cidr": "203.0.113.10"})
    assert resp.status_code == 400 and resp.json()["errors"] == {"cidr": "address '203.0.113.10' already exists"}
    resp = fresh.call("POST", base + "/ipfilter-net0", data={"cidr": "10.0.0.0/0"})
    assert resp.status_code == 400 and resp.json()["errors"] == {"cidr": "a zero prefix is not allowed in ipset entries"}
    assert fresh.get(base + "/ipfilter-net0/203.0.113.10")["cidr"] == "203.0.113.10"
    resp = fresh.call("GET", base + "/ipfilter-net0/203.0.113.10%2F32")     # compared as given, not normalised
    assert resp.status_code == 400 and resp.json()["errors"] == {"cidr": "no such IP/Network"}
    fresh.write("PUT", base + "/ipfilter-net0/203.0.113.10", comment="web01")
    assert fresh.get(base + "/ipfilter-net0/203.0.113.10")["comment"] == "web01"
    resp = fresh.call("DELETE", base + "/ipfilter-net0")
    assert resp.status_code == 500 and pve_message(resp) == "IPSet 'ipfilter-net0' is not empty\n"
    fresh.write("DELETE", base + "/ipfilter-net0/198.51.100.0%2F24")
    fresh.write("DELETE", base + "/ipfilter-net0/192.0.2.1")          # not there: no error
    assert [e["cidr"] for e in fresh.get(base + "/ipfilter-net0")] == ["2001:DB8::10", "203.0.113.10"]
    fresh.write("DELETE", base + "/ipfilter-net0", force=1)
    resp = fresh.call("GET", base + "/ipfilter-net0")
    assert resp.status_code == 500 and pve_message(resp) == "no such IPSet 'ipfilter-net0'\n"
    assert fresh.get(base) == []


def test_rules_positions_enable_and_errors(fresh):
    _clone(fresh, 162)
    base = FW % 162 + "/rules"
    fresh.write("POST", base, type="in", action="ACCEPT", proto="tcp", dport="22", enable=1, pos=5)
    fresh.write("POST", base, type="in", action="ACCEPT", proto="tcp", dport="443")
    rules = fresh.get(base)
    # a new rule goes on top whatever pos says; without enable it is disabled
    assert [(r["pos"], r["dport"], r["enable"]) for r in rules] == [(0, "443", 0), (1, "22", 1)]
    fresh.write("PUT", base + "/0", enable=1, source="198.51.100.0/24", comment="web", digest=rules[0]["digest"])
    rule = fresh.get(base + "/0")
    assert (rule["source"], rule["comment"], rule["enable"], rule["ipversion"]) == ("198.51.100.0/24", "web", 1, 4)
    fresh.write("PUT", base + "/0", delete="source,comment")
    assert "source" not in fresh.get(base + "/0") and "comment" not in fresh.get(base + "/0")
    fresh.write("PUT", base + "/0", moveto=2)
    assert [r["dport"] for r in fresh.get(base)] == ["22", "443"]
    for data, errors in (({"type": "in", "action": "ALLOW"}, {"action": "unknown action 'ALLOW'"}),
                         ({"type": "in", "action": "ACCEPT", "dport": "22"},
                          {"proto": "missing property - 'dport' requires this property"}),
                         ({"type": "forward", "action": "ACCEPT"}, None),
                         ({"type": "in", "action": "ACCEPT", "proto": "gre", "dport": "22"},
                          {"dport": "protocol 'gre' does not support ports"}),
                         ({"type": "in", "action": "ACCEPT", "source": "+nosuchset"},
                          {"source": "no such ipset 'nosuchset'"})):
        resp = fresh.call("POST", base, data=data)
        assert resp.status_code == 400, (data, resp.text)
        if errors:
            assert resp.json()["errors"] == errors
    fresh.write("POST", "/cluster/firewall/ipset", name="office")       # rules look in the cluster's sets too
    fresh.write("POST", base, type="in", action="ACCEPT", source="+office")
    fresh.write("POST", base, type="in", action="ACCEPT", source="+dc/office")
    resp = fresh.call("POST", base, data={"type": "in", "action": "ACCEPT", "source": "+guest/office"})
    assert resp.status_code == 400 and resp.json()["errors"] == {"source": "no such ipset 'office'"}
    resp = fresh.call("POST", base, data={"type": "in", "action": "ACCEPT", "dest": "nosuchalias"})
    assert resp.status_code == 400 and resp.json()["errors"] == {"dest": "no such alias 'nosuchalias'"}
    assert [s["name"] for s in fresh.get("/cluster/firewall/ipset")] == ["office"]
    assert fresh.get("/cluster/firewall/aliases") == [] and fresh.get(FW % 162 + "/aliases") == []
    fresh.write("DELETE", base + "/0")
    fresh.write("DELETE", base + "/0")
    resp = fresh.call("POST", base, data={"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "70000"})
    assert resp.status_code == 400 and resp.json()["errors"]["dport"].startswith("invalid format - invalid port")
    resp = fresh.call("GET", base + "/7")
    assert resp.status_code == 500 and pve_message(resp) == "no rule at position 7\n"
    resp = fresh.call("DELETE", base + "/0", data={"digest": "0" * 40})
    assert resp.status_code == 500
    fresh.write("DELETE", base + "/0")
    assert [r["dport"] for r in fresh.get(base)] == ["443"]


def test_config_follows_clone_and_goes_with_destroy(fresh):
    _clone(fresh, 163)
    fresh.write("PUT", FW % 163 + "/options", enable=1)
    fresh.write("POST", FW % 163 + "/rules", type="in", action="DROP", enable=1)
    fresh.wait(fresh.write("POST", "/nodes/pve1/qemu/163/template"))
    _clone(fresh, 164, source=163)                                   # clone_vmfw_conf
    assert fresh.get(FW % 164 + "/options")["enable"] == 1
    assert fresh.state()["firewall"]["164"]["rules"][0]["action"] == "DROP"
    fresh.wait(fresh.write("DELETE", "/nodes/pve1/qemu/164"))      # no purge: the file goes all the same
    assert "164" not in fresh.state()["firewall"]
    assert set(fresh.get(FW % 164 + "/options")) == {"digest"}
