"""Tickets with CSRF tokens, API tokens, wrong credentials and the read-only audit token."""


def login(sim, password=None):
    return sim.call("POST", "/access/ticket", data={"username": "root@pam", "password": password or sim.info["password"]},
                    token=False)


def test_ticket_and_csrf(sim):
    resp = login(sim)
    assert resp.status_code == 200
    data = resp.json()["data"]
    cookie = {"Cookie": "PVEAuthCookie=" + data["ticket"]}
    assert data["ticket"].startswith("PVE:root@pam:")
    assert sim.call("GET", "/nodes", headers=cookie, token=False).status_code == 200
    no_csrf = sim.call("PUT", "/nodes/pve1/qemu/9000/config", data={"description": "x"}, headers=cookie, token=False)
    assert no_csrf.status_code == 401
    headers = dict(cookie, CSRFPreventionToken=data["CSRFPreventionToken"])
    ok = sim.call("PUT", "/nodes/pve1/qemu/9000/config", data={"description": "x"}, headers=headers, token=False)
    assert ok.status_code == 200 and ok.json() == {"data": None}
    assert sim.guest(9000)["config"]["description"] == "x"


def test_wrong_credentials(sim):
    assert login(sim, "wrong").status_code == 401
    bad = sim.call("GET", "/nodes", headers={"Authorization": "PVEAPIToken=root@pam!jotun=nope"}, token=False)
    assert bad.status_code == 401
    assert sim.call("GET", "/nodes", token=False).status_code == 401


def test_audit_token_reads_but_cannot_write(sim):
    audit = {"Authorization": "PVEAPIToken=%s=%s" % (sim.info["audit_token_id"], sim.info["audit_token_secret"])}
    assert sim.call("GET", "/cluster/resources", headers=audit, token=False).status_code == 200
    resp = sim.call("POST", "/nodes/pve1/qemu/9000/clone", data={"newid": 150}, headers=audit, token=False)
    assert resp.status_code == 403
    assert resp.reason == "Permission check failed (/vms/9000, VM.Clone)"
    assert sim.guest(150) is None
    entries = sim.requests()["requests"]
    assert entries[-1]["status"] == 403 and entries[-1]["auth"] == "token"


def test_secrets_masked_in_request_log(sim):
    login(sim)
    sim.write("PUT", "/nodes/pve1/qemu/9000/config", cipassword="hunter2")
    text = open(sim.log_path).read()
    assert "hunter2" not in text and sim.info["password"] not in text
    assert '"password": "********"' in text and '"cipassword": "********"' in text
