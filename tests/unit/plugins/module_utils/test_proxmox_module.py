# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for ProxmoxModule: options from the task and the environment, errors to fail_json without secrets.

No server is involved: these runs fail or exit before any request."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import ProxmoxError, TaskTimeout
from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule

testing = pytest.importorskip("ansible.module_utils.testing")

BASE = {"api_host": "pve.example.com", "api_user": "root@pam", "api_password": "hunter2-secret"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ("PROXMOX_HOST", "PROXMOX_PORT", "PROXMOX_USER", "PROXMOX_PASSWORD", "PROXMOX_TOKEN_ID",
                "PROXMOX_TOKEN_SECRET", "PROXMOX_VERIFY_SSL", "PROXMOX_VALIDATE_CERTS", "PROXMOX_CA_PATH",
                "PROXMOX_API_TIMEOUT", "PROXMOX_CONNECT_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)


def run_module(args, capsys, body=None, **module_kwargs):
    """Run a tiny module built on ProxmoxModule; return (exit code, result dict)."""
    with testing.patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module = ProxmoxModule(argument_spec={"name": {"type": "str"}}, supports_check_mode=True, **module_kwargs)
            module.run(body or (lambda m: {"changed": False, "port": m.params["api_port"]}))
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_defaults_and_wait_options(capsys):
    def body(module):
        client = module.client
        return {"changed": False, "wait": module.params["wait"], "wait_timeout": module.params["wait_timeout"],
                "timeouts": [client.connect_timeout, client.read_timeout], "verify": client.verify,
                "requests": client.request_count, "deadline": module.deadline() is module.deadline()}
    code, result = run_module(BASE, capsys, body)
    assert code == 0
    assert (result["wait"], result["wait_timeout"], result["timeouts"]) == (True, 600, [5, 30])
    assert result["verify"] is True and result["requests"] == 0 and result["deadline"] is True


def test_environment_fallbacks(capsys, monkeypatch, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    monkeypatch.setenv("PROXMOX_HOST", "10.0.0.2")
    monkeypatch.setenv("PROXMOX_PORT", "8443")
    monkeypatch.setenv("PROXMOX_TOKEN_ID", "root@pam!jotun")
    monkeypatch.setenv("PROXMOX_TOKEN_SECRET", "env-token-secret")
    monkeypatch.setenv("PROXMOX_VERIFY_SSL", "false")
    monkeypatch.setenv("PROXMOX_CA_PATH", str(ca))
    monkeypatch.setenv("PROXMOX_API_TIMEOUT", "45")

    def body(module):
        client = module.client
        return {"changed": False, "base": client.base_url, "user": client.auth_user, "verify": client.verify,
                "read": client.read_timeout, "secret": module.params["api_token_secret"]}
    code, result = run_module({}, capsys, body)
    assert code == 0
    assert result["base"] == "https://10.0.0.2:8443/api2/json" and result["user"] == "root@pam!jotun"
    assert result["verify"] is False and result["read"] == 45
    # masked although it came from the environment (by Ansible's no_log, or by the module's own scrub first)
    assert result["secret"] in ("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "********")


def test_validate_certs_env_alias(capsys, monkeypatch):
    monkeypatch.setenv("PROXMOX_VALIDATE_CERTS", "no")
    code, result = run_module(BASE, capsys, lambda m: {"verify": m.client.verify})
    assert code == 0 and result["verify"] is False


def test_token_name_without_user_fails_naming_api_user(capsys):
    code, result = run_module({"api_host": "h", "api_token_id": "jotun", "api_token_secret": "tok-secret-1"}, capsys,
                              lambda m: {"base": m.client.base_url})
    assert code == 1 and result["failed"]
    assert "api_user" in result["msg"] and result["option"] == "api_user"
    assert "tok-secret-1" not in json.dumps(result)


def test_password_and_token_are_exclusive(capsys):
    args = dict(BASE, api_token_id="root@pam!jotun", api_token_secret="tok-secret-2")
    code, result = run_module(args, capsys, lambda m: {"base": m.client.base_url})
    assert code == 1 and "mutually exclusive" in result["msg"]
    assert "hunter2-secret" not in json.dumps(result) and "tok-secret-2" not in json.dumps(result)


def test_fail_from_error_keeps_pve_details_and_hides_secrets(capsys):
    def body(module):
        raise ProxmoxError("bad thing with hunter2-secret inside", status=400, errors={"size": "bad"})
    code, result = run_module(BASE, capsys, body)
    assert code == 1
    assert result["http_status"] == 400 and result["errors"] == {"size": "bad"} and result["error_kind"] == "final"
    assert "hunter2-secret" not in result["msg"]


def test_timeout_result_lists_running_tasks(capsys):
    def body(module):
        raise TaskTimeout("still running", tasks=[{"upid": "U1"}], running=["U1"])
    code, result = run_module(BASE, capsys, body)
    assert code == 1 and result["running"] == ["U1"] and result["tasks"] == [{"upid": "U1"}]


def test_without_wait_options(capsys):
    code, result = run_module(dict(BASE, wait=False), capsys, wait=False)
    assert code == 1 and "wait" in result["msg"]  # not an option of a module that starts no task
