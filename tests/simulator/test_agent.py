"""The QEMU guest agent endpoints: real PVE's refusals, the agent coming up after a start, the agent_off fault,
interfaces from the cloud-init ipconfig, set-user-password (never logged) and exec."""
import time

from simsupport import Sim

AGENT_START_SECONDS = 3.0      # pvesim/agent.py: simulated seconds from a start until the agent answers

AGENT = "/nodes/pve1/qemu/%d/agent/%s"


def _clone(sim, vmid, **config):
    sim.wait(sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=vmid, name="agent%d" % vmid))
    if config:
        sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, **config)


def _power(sim, vmid, action):
    assert sim.wait(sim.write("POST", "/nodes/pve1/qemu/%d/status/%s" % (vmid, action)))["exitstatus"] == "OK"


def _ping(sim, vmid):
    return sim.call("POST", AGENT % (vmid, "ping"))


def _agent_up(sim, vmid, timeout=10.0):
    """Ping until the agent answers (it comes up a few simulated seconds after the start)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        resp = _ping(sim, vmid)
        if resp.status_code == 200:
            return resp.json()
        assert resp.reason == "QEMU guest agent is not running", resp.reason
        time.sleep(0.02)
    raise AssertionError("agent of %d never came up" % vmid)


def test_refusals_in_pve_order(fresh):
    _clone(fresh, 150)
    resp = _ping(fresh, 150)
    assert resp.status_code == 500 and resp.reason == "VM 150 is not running"
    fresh.write("PUT", "/nodes/pve1/qemu/150/config", delete="agent")
    resp = _ping(fresh, 150)
    assert resp.status_code == 500 and resp.reason == "No QEMU guest agent configured"
    resp = _ping(fresh, 999)
    assert resp.status_code == 500 and resp.reason == "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist"


def test_agent_disabled_in_config_never_answers(fresh):
    _clone(fresh, 151, agent="0")
    _power(fresh, 151, "start")
    resp = _ping(fresh, 151)
    assert resp.status_code == 500 and resp.reason == "QEMU guest agent is not running"


def test_agent_comes_up_after_start_and_goes_with_stop_and_fault(fresh):
    _clone(fresh, 152)
    _power(fresh, 152, "start")
    assert _agent_up(fresh, 152) == {"data": {"result": {}}}
    fresh.fault(kind="agent_off", vmid=152)
    assert _ping(fresh, 152).reason == "QEMU guest agent is not running"
    _power(fresh, 152, "stop")
    assert _ping(fresh, 152).reason == "VM 152 is not running"
    _power(fresh, 152, "start")
    _agent_up(fresh, 152)
    fresh.fault(kind="agent_off", vmid=152)
    assert _ping(fresh, 152).reason == "QEMU guest agent is not running"
    fresh.control("DELETE", "/fault")              # clearing the faults brings it back
    assert _ping(fresh, 152).status_code == 200


def test_agent_answers_only_some_seconds_after_the_start(sim_logs):
    """Right after the start task ends the agent is not up yet ("QEMU guest agent is not running"); it answers once
    the guest has run AGENT_START_SECONDS (3 simulated s). A slow clock (speed 2: the start task takes 1 s, the
    agent 1.5 s) leaves half a real second to see it down; the check is skipped only if the machine was slower."""
    sim = Sim("9.1", sim_logs, speed=2)
    try:
        _clone(sim, 156)
        started = time.time()
        _power(sim, 156, "start")
        resp = _ping(sim, 156)
        if (time.time() - started) * 2 < AGENT_START_SECONDS - 0.2:
            assert resp.status_code == 500 and resp.reason == "QEMU guest agent is not running"
        assert _agent_up(sim, 156) == {"data": {"result": {}}}
        assert (time.time() - started) * 2 >= AGENT_START_SECONDS * 0.9
    finally:
        sim.stop()


def test_interfaces_from_ipconfig(fresh):
    _clone(fresh, 153, ipconfig0="ip=10.20.30.40/24,gw=10.20.30.1", net1="virtio,bridge=vmbr0", ipconfig1="ip=dhcp")
    _power(fresh, 153, "start")
    _agent_up(fresh, 153)
    result = fresh.get(AGENT % (153, "network-get-interfaces"))["result"]
    assert [i["name"] for i in result] == ["lo", "ens18", "ens19"]
    ens18 = result[1]
    assert {"ip-address-type": "ipv4", "ip-address": "10.20.30.40", "prefix": 24} in ens18["ip-addresses"]
    mac = fresh.guest(153)["config"]["net0"].split(",")[0].split("=")[1]
    assert ens18["hardware-address"] == mac.lower()
    assert any(a["ip-address"].startswith("fe80::") for a in ens18["ip-addresses"])
    dhcp = [a for a in result[2]["ip-addresses"] if a["ip-address-type"] == "ipv4"]
    assert len(dhcp) == 1 and dhcp[0]["ip-address"].startswith("10.")
    assert fresh.get(AGENT % (153, "network-get-interfaces"))["result"] == result      # deterministic


def test_set_user_password(fresh):
    _clone(fresh, 154)
    _power(fresh, 154, "start")
    _agent_up(fresh, 154)
    secret = "s3cret-Pässword"
    ok = fresh.call("POST", AGENT % (154, "set-user-password"), data={"username": "debian", "password": secret})
    assert ok.status_code == 200 and ok.json() == {"data": {"result": {}}}
    short = fresh.call("POST", AGENT % (154, "set-user-password"), data={"username": "debian", "password": "abc"})
    assert short.status_code == 400 and list(short.json()["errors"]) == ["password"]
    audit = {"Authorization": "PVEAPIToken=%s=%s" % (fresh.info["audit_token_id"], fresh.info["audit_token_secret"])}
    denied = fresh.call("POST", AGENT % (154, "set-user-password"), headers=audit, token=False,
                        data={"username": "debian", "password": secret})
    assert denied.status_code == 403
    assert secret not in open(fresh.log_path, encoding="utf-8").read()
    assert secret not in str(fresh.state())


def test_exec_and_status(fresh):
    _clone(fresh, 155)
    _power(fresh, 155, "start")
    _agent_up(fresh, 155)
    if fresh.release == "7.4":
        resp = fresh.call("POST", AGENT % (155, "exec"), data={"command": "uname,-a"})
    else:
        resp = fresh.call("POST", AGENT % (155, "exec"), json_body={"command": ["uname", "-a"]})
        assert resp.status_code == 200, resp.text
        # as a form (proxmoxer), an array is the key repeated
        resp = fresh.call("POST", AGENT % (155, "exec"), data=[("command", "uname"), ("command", "-a")])
        assert fresh.requests()["requests"][-1]["params"]["command"] == ["uname", "-a"]
    assert resp.status_code == 200, resp.text
    pid = resp.json()["data"]["pid"]
    status = fresh.get(AGENT % (155, "exec-status"), pid=pid)
    assert status["exited"] is True and status["exitcode"] == 0
    assert fresh.call("GET", AGENT % (155, "exec-status"), params={"pid": pid + 100}).status_code == 500
