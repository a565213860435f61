"""Error bodies per release (libpve-http-server), logins with non-ASCII passwords, faults on the login, and
GET /access/permissions for root@pam and the tokens."""
import pytest
import requests
from simsupport import Sim

MISSING = "Configuration file 'nodes/pve1/qemu-server/123.conf' does not exist"


@pytest.fixture(params=["7.4", "8.0", "8.4", "9.1"])
def each_release(request, sim74, sim80, sim84, sim91):
    sim = {"7.4": sim74, "8.0": sim80, "8.4": sim84, "9.1": sim91}[request.param]
    sim.reset()
    return sim


def test_error_body_carries_message_only_from_8_4(each_release):
    with_message = each_release.release in ("8.4", "9.1")
    resp = each_release.call("GET", "/nodes/pve1/qemu/123/config")
    assert resp.status_code == 500 and resp.reason == MISSING
    assert resp.json() == ({"data": None, "message": MISSING + "\n"} if with_message else {"data": None})
    bad = each_release.call("PUT", "/nodes/pve1/qemu/9000/config", data={"cores": "many"})
    assert bad.status_code == 400 and bad.reason == "Parameter verification failed."
    expected = {"data": None, "errors": {"cores": "type check ('integer') failed - got 'many'"}}
    if with_message:
        expected["message"] = "Parameter verification failed.\n"
    assert bad.json() == expected


def test_reason_phrase_is_the_first_line_only(each_release):
    each_release.fault(kind="status", method="GET", path="^/version$", status=500, message="first line\nsecond line")
    resp = each_release.call("GET", "/version")
    assert resp.status_code == 500 and resp.reason == "first line"
    if each_release.release in ("8.4", "9.1"):
        assert resp.json()["message"] == "first line\nsecond line\n"
    else:
        assert "message" not in resp.json()


@pytest.fixture(scope="module")
def umlaut_sim(sim_logs):
    sim = Sim("9.1", sim_logs, extra=["--password", "Grüße-Ærø-密码"])
    yield sim
    sim.stop()


def test_non_ascii_password_logs_in(umlaut_sim):
    password = umlaut_sim.info["password"]
    assert password == "Grüße-Ærø-密码"
    form = umlaut_sim.call("POST", "/access/ticket", data={"username": "root@pam", "password": password}, token=False)
    assert form.status_code == 200 and form.json()["data"]["ticket"].startswith("PVE:root@pam:")
    as_json = umlaut_sim.call("POST", "/access/ticket", json_body={"username": "root@pam", "password": password},
                              token=False)
    assert as_json.status_code == 200
    wrong = umlaut_sim.call("POST", "/access/ticket", data={"username": "root@pam", "password": "Grüße"}, token=False)
    assert wrong.status_code == 401
    assert "Grüße" not in open(umlaut_sim.log_path, encoding="utf-8").read()


def test_faults_reach_the_login(sim):
    creds = {"username": "root@pam", "password": sim.info["password"]}
    sim.fault(kind="status", method="POST", path="^/access/ticket$", status=503)
    resp = sim.call("POST", "/access/ticket", data=creds, token=False)
    assert resp.status_code == 503 and "ticket" not in str(resp.json())
    sim.fault(kind="status", method="POST", path="^/access/ticket$", status=596)
    assert sim.call("POST", "/access/ticket", data=creds, token=False).status_code == 596
    sim.fault(kind="drop", method="POST", path="^/access/ticket$")
    with pytest.raises(requests.exceptions.ConnectionError):
        sim.call("POST", "/access/ticket", data=creds, token=False)
    assert sim.call("POST", "/access/ticket", data=creds, token=False).status_code == 200
    logged = [e["status"] for e in sim.requests()["requests"] if e["path"].endswith("/access/ticket")]
    assert logged == [503, 596, 0, 200]


def _headers(sim, kind):
    if kind == "ticket":
        data = sim.call("POST", "/access/ticket", data={"username": "root@pam", "password": sim.info["password"]},
                        token=False).json()["data"]
        return {"Cookie": "PVEAuthCookie=" + data["ticket"]}
    token_id, secret = {"token": ("token_id", "token_secret"), "audit": ("audit_token_id", "audit_token_secret")}[kind]
    return {"Authorization": "PVEAPIToken=%s=%s" % (sim.info[token_id], sim.info[secret])}


def _permissions(sim, kind, **params):
    resp = sim.call("GET", "/access/permissions", params=params, headers=_headers(sim, kind), token=False)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def test_permissions_of_root_and_the_tokens(fresh):
    defaults = {"/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms"}
    root = _permissions(fresh, "ticket")
    assert set(root) == defaults
    assert root["/vms"]["VM.Allocate"] == 1 and root["/"]["Sys.Modify"] == 1
    assert ("VM.Monitor" in root["/"]) == (fresh.release == "7.4")
    assert ("VM.GuestAgent.Unrestricted" in root["/"]) == (fresh.release == "9.1")
    assert _permissions(fresh, "token") == root                       # no privilege separation
    audit = _permissions(fresh, "audit")
    assert set(audit) == defaults
    assert "Sys.Audit" in audit["/"] and "VM.Audit" in audit["/vms"]
    assert not [priv for priv in audit["/"] if not priv.endswith(".Audit")]
    assert _permissions(fresh, "audit", path="/vms/9000") == {"/vms/9000": audit["/vms"]}
    assert _permissions(fresh, "ticket", userid=fresh.info["audit_token_id"]) == audit
    assert _permissions(fresh, "ticket", userid="nobody@pve") == {}


def test_pool_members_are_permission_paths(fresh):
    upid = fresh.write("POST", "/nodes/pve1/qemu/9000/clone", newid=145, name="pooled", pool="customers")
    fresh.wait(upid)
    assert "/vms/145" in _permissions(fresh, "audit")
