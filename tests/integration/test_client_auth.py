# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ProxmoxClient against the simulator over HTTPS: ticket and token logins, TLS, the cached /version, bodies."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import ProxmoxClient, api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import FINAL, InputError, ProxmoxError


def token_client(sim, **kwargs):
    args = dict(host=sim.info["host"], port=sim.info["port"], token_id=sim.info["token_id"],
                token_secret=sim.info["token_secret"], ca_path=sim.ca_cert)
    args.update(kwargs)
    return ProxmoxClient(**args)


def password_client(sim, **kwargs):
    args = dict(host=sim.info["host"], port=sim.info["port"], user=sim.info["user"], password=sim.info["password"],
                ca_path=sim.ca_cert)
    args.update(kwargs)
    return ProxmoxClient(**args)


def test_token_auth_full_id(sim):
    mark = sim.mark()
    client = token_client(sim)
    assert client.release == tuple(int(x) for x in sim.info["pve_version"].split(".")[:2])
    nodes = client.get("/nodes")
    assert sorted(n["node"] for n in nodes) == ["pve1", "pve2"]
    seen = sim.requests(mark)
    assert [(e["method"], e["path"], e["auth"], e["status"]) for e in seen] == [
        ("GET", "/api2/json/version", "token", 200), ("GET", "/api2/json/nodes", "token", 200)]
    assert client.request_count == 2 and client.login_count == 0


def test_token_name_with_api_user(sim):
    user, name = sim.info["token_id"].split("!")
    mark = sim.mark()
    client = token_client(sim, user=user, token_id=name)
    assert client.auth_user == sim.info["token_id"]
    assert client.get("/version")["release"]
    assert [e["auth"] for e in sim.requests(mark)] == ["token"]


def test_token_name_without_api_user_never_guesses(sim):
    name = sim.info["token_id"].split("!")[1]
    mark = sim.mark()
    with pytest.raises(InputError) as err:
        token_client(sim, token_id=name)
    assert err.value.option == "api_user"
    assert sim.requests(mark) == []


def test_ticket_auth_logs_in_once_and_sends_csrf_on_writes(sim):
    sim.reset()
    mark = sim.mark()
    client = password_client(sim)
    client.get("/nodes")
    client.put(api_path("nodes", "pve1", "qemu", 9000, "config"), {"description": "ticket write"})
    client.get(api_path("nodes", "pve1", "qemu", 9000, "config"))
    seen = sim.requests(mark)
    assert [(e["method"], e["path"].split("/api2/json")[1], e["auth"]) for e in seen] == [
        ("POST", "/access/ticket", "none"),
        ("GET", "/nodes", "ticket"),
        ("GET", "/version", "ticket"),           # the PUT needs the release to pick JSON or form
        ("PUT", "/nodes/pve1/qemu/9000/config", "ticket"),
        ("GET", "/nodes/pve1/qemu/9000/config", "ticket"),
    ]
    assert all(e["status"] == 200 for e in seen)
    assert seen[0]["params"]["password"] == "********"
    assert client.login_count == 1 and client.request_count == 4
    assert sim.info["password"] not in json.dumps(seen)


def test_wrong_password_is_final_and_secret_free(sim):
    client = password_client(sim, password="wrong-password-123")
    with pytest.raises(ProxmoxError) as err:
        client.get("/nodes")
    assert err.value.status == 401 and err.value.kind == FINAL
    assert "wrong-password-123" not in str(err.value) and "api_password" in str(err.value)


def test_wrong_token_secret(sim):
    client = token_client(sim, token_secret="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ProxmoxError) as err:
        client.get("/nodes")
    assert err.value.status == 401
    assert "00000000-0000-0000-0000-000000000000" not in str(err.value)


def test_tls_with_ca_path_works_and_without_it_fails_clearly(sim):
    assert token_client(sim).get("/version")
    mark = sim.mark()
    client = token_client(sim, ca_path=None)
    with pytest.raises(ProxmoxError) as err:
        client.get("/version")
    message = str(err.value)
    assert "certificate" in message and "ca_path" in message and err.value.kind == FINAL
    assert sim.requests(mark) == []  # the handshake failed: nothing reached the API
    assert client.request_count == 1  # and it was not retried


def test_validate_certs_false_skips_verification(sim):
    assert token_client(sim, ca_path=None, validate_certs=False).get("/version")


def test_ticket_login_with_bad_tls_is_clear(sim):
    with pytest.raises(ProxmoxError) as err:
        password_client(sim, ca_path=None).get("/version")
    assert "certificate" in str(err.value) and sim.info["password"] not in str(err.value)


def test_version_read_once(sim):
    mark = sim.mark()
    client = token_client(sim)
    for dummy in range(3):
        assert client.release
        assert client.version
    assert len(sim.requests(mark, path="/version")) == 1


def test_pve_errors_carry_status_message_and_parameter_errors(sim):
    client = token_client(sim)
    with pytest.raises(ProxmoxError) as err:
        client.put(api_path("nodes", "pve1", "qemu", 9000, "resize"), {"disk": "scsi0", "size": "huge"})
    assert err.value.status == 400 and err.value.kind == FINAL
    assert "size" in err.value.errors and "size" in str(err.value)
    with pytest.raises(ProxmoxError) as err:
        client.get(api_path("nodes", "pve1", "qemu", 4242, "config"))
    assert err.value.status == 500 and "does not exist" in err.value.pve_message and err.value.kind == FINAL


@pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)
def test_booleans_go_out_as_numbers_in_either_encoding(sim):
    """Form bodies before 8.0 (values arrive as strings), JSON from 8.0 (numbers); booleans are 1/0 in both."""
    sim.reset()
    client = token_client(sim)
    mark = sim.mark()
    client.put(api_path("nodes", "pve1", "qemu", 9000, "config"), {"onboot": True, "protection": False})
    put = sim.requests(mark, method="PUT")[0]
    assert put["status"] == 200
    if client.release >= (8, 0):
        assert (put["params"]["onboot"], put["params"]["protection"]) == (1, 0)
    else:
        assert (put["params"]["onboot"], put["params"]["protection"]) == ("1", "0")
    config = client.get(api_path("nodes", "pve1", "qemu", 9000, "config"))
    assert int(config["onboot"]) == 1


def test_volume_ids_are_percent_encoded(sim):
    client = token_client(sim)
    volid = "local:backup/vzdump-qemu-9999-2026_01_01-00_00_00.vma.zst"
    mark = sim.mark()
    with pytest.raises(ProxmoxError):
        client.get(api_path("nodes", "pve1", "storage", "local", "content", volid))
    assert sim.requests(mark)[0]["path"].endswith("/content/local%3Abackup%2Fvzdump-qemu-9999-2026_01_01-00_00_00.vma.zst")


@pytest.mark.parametrize("sim", ["7.4"], indirect=True)
def test_messages_from_the_reason_phrase_before_8_4(sim):
    """7.4 and 8.0 send no ``message`` in error bodies: the client reads the reason phrase and keeps ``errors``."""
    client = token_client(sim)
    with pytest.raises(ProxmoxError) as err:
        client.get(api_path("nodes", "pve1", "qemu", 4242, "config"))
    assert err.value.status == 500
    assert err.value.pve_message == "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist"
    with pytest.raises(ProxmoxError) as err:
        client.put(api_path("nodes", "pve1", "qemu", 9000, "resize"), {"disk": "scsi0", "size": "huge"})
    assert err.value.status == 400 and err.value.pve_message == "Parameter verification failed."
    assert list(err.value.errors) == ["size"] and "size: value does not match the regex pattern" in str(err.value)


def test_non_ascii_password_logs_in(sim_factory):
    sim = sim_factory(args=["--password", "Grüße-Ærø-密码"])
    client = password_client(sim)
    assert client.get("/version")["release"]
    assert client.login_count == 1
    wrong = password_client(sim, password="Grüße")
    with pytest.raises(ProxmoxError) as err:
        wrong.get("/version")
    assert err.value.status == 401 and "Grüße" not in str(err.value)


def test_tls_host_name_mismatch_prints_the_name_it_expected(sim):
    """127.1 reaches the simulator (127.0.0.1) but its certificate is made out to 127.0.0.1 and localhost."""
    client = token_client(sim, host="127.1")
    with pytest.raises(ProxmoxError) as err:
        client.get("/version")
    message = str(err.value)
    assert "host-name mismatch" in message and "127.1" in message and "api_host" in message, message
    assert sim.info["token_secret"] not in message
