# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the pure parts of client.py: paths, encoding, token ids, credentials, hosts, releases."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import client as client_mod
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import (
    ProxmoxClient, api_path, encode_params, parse_release, resolve_token_id)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError


def test_api_path_encodes_volume_ids_and_upids():
    assert api_path("nodes", "pve1", "storage", "local", "content", "local:backup/vzdump-qemu-101.vma.zst") == \
        "/nodes/pve1/storage/local/content/local%3Abackup%2Fvzdump-qemu-101.vma.zst"
    assert api_path("nodes", "pve1", "qemu", 100, "config") == "/nodes/pve1/qemu/100/config"
    assert api_path("nodes", "pve1", "tasks", "UPID:pve1:00001:00002:00003:qmclone:9000:root@pam!t:", "status") == \
        "/nodes/pve1/tasks/UPID%3Apve1%3A00001%3A00002%3A00003%3Aqmclone%3A9000%3Aroot%40pam%21t%3A/status"
    assert api_path("a b", "x?y#z") == "/a%20b/x%3Fy%23z"


def test_encode_params_booleans_as_numbers_and_no_none():
    assert encode_params({"full": True, "onboot": False, "name": "web", "cores": 2, "pool": None,
                          "list": [True, "a"]}) == {"full": 1, "onboot": 0, "name": "web", "cores": 2, "list": [1, "a"]}
    assert encode_params(None) == {}


@pytest.mark.parametrize("user,token_id,expected", [
    (None, "root@pam!jotun", ("root@pam", "jotun")),
    ("root@pam", "root@pam!jotun", ("root@pam", "jotun")),
    ("root@pam", "jotun", ("root@pam", "jotun")),
    ("ops@pve", "ci-token", ("ops@pve", "ci-token")),
])
def test_token_id_both_forms(user, token_id, expected):
    assert resolve_token_id(user, token_id) == expected


def test_token_name_without_user_names_api_user():
    with pytest.raises(InputError) as err:
        resolve_token_id(None, "jotun")
    assert err.value.option == "api_user"
    assert "api_user" in str(err.value) and "user@realm!jotun" in str(err.value)


def test_token_for_another_user_is_refused():
    with pytest.raises(InputError) as err:
        resolve_token_id("admin@pve", "root@pam!jotun")
    assert err.value.option == "api_user" and "root@pam" in str(err.value)


@pytest.mark.parametrize("token_id", ["!name", "root@pam!", "root!name"])
def test_malformed_full_token_id(token_id):
    with pytest.raises(InputError):
        resolve_token_id(None, token_id)


def test_user_without_realm():
    with pytest.raises(InputError) as err:
        resolve_token_id("root", "jotun")
    assert "realm" in str(err.value)


def _client(**kwargs):
    args = dict(host="pve.example.com", user="root@pam", password="pw")
    args.update(kwargs)
    return ProxmoxClient(**args)


@pytest.mark.parametrize("kwargs,option", [
    ({"host": None}, "api_host"),
    ({"token_id": "root@pam!t", "token_secret": "s"}, "api_password"),
    ({"password": None, "token_id": "root@pam!t"}, "api_token_secret"),
    ({"password": None, "token_secret": "s"}, "api_token_id"),
    ({"password": None}, "api_password"),
    ({"user": None}, "api_user"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path"),
    ({"port": "eighty"}, "api_port"),
])
def test_bad_connection_options_name_the_option(kwargs, option):
    with pytest.raises(InputError) as err:
        _client(**kwargs)
    assert err.value.option == option
    assert "pw" not in str(err.value).replace("api_password", "")


def test_client_builds_no_connection_and_counts_nothing():
    client = _client()
    assert client.request_count == 0 and client.base_url == "https://pve.example.com:8006/api2/json"
    assert client.auth_user == "root@pam"
    assert client.verify is True


def test_verify_and_hosts(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert _client(ca_path=str(ca)).verify == str(ca)
    assert _client(ca_path=str(ca), validate_certs=False).verify is False
    assert _client(host="https://pve:8443/").base_url == "https://pve:8443/api2/json"
    assert _client(host="fd00::1", port=8006).base_url == "https://[fd00::1]:8006/api2/json"
    assert _client(host="[fd00::1]:9000").base_url == "https://[fd00::1]:9000/api2/json"


def test_token_client_auth_user():
    client = _client(password=None, token_id="jotun", token_secret="secret")
    assert client.auth_user == "root@pam!jotun"
    assert "secret" in client.secrets()


def test_from_params_maps_option_names():
    client = ProxmoxClient.from_params({
        "api_host": "h", "api_port": 8443, "api_user": None, "api_password": None, "api_otp": None,
        "api_token_id": "root@pam!t", "api_token_secret": "s", "validate_certs": False, "ca_path": None,
        "api_timeout": 12.5, "api_connect_timeout": 2})
    assert (client.port, client.read_timeout, client.connect_timeout, client.verify) == (8443, 12.5, 2.0, False)
    assert (client.user, client.token_name) == ("root@pam", "t")


@pytest.mark.parametrize("version,release", [
    ({"release": "7.4", "version": "7.4-3", "repoid": "9002ab8a"}, (7, 4)),
    ({"version": "8.0.4", "release": "8.0"}, (8, 0)),
    ({"version": "9.1.2"}, (9, 1)),
])
def test_parse_release(version, release):
    assert parse_release(version) == release


def test_parse_release_garbage():
    with pytest.raises(ProxmoxError):
        parse_release({"version": "unknown"})


@pytest.mark.parametrize("err,reading,retry_locked,expected", [
    (ProxmoxError("lock", status=500, kind="retryable"), False, False, True),
    (ProxmoxError("locked", status=500, kind="retryable", locked=True), False, False, False),
    (ProxmoxError("locked", status=500, kind="retryable", locked=True), False, True, True),
    (ProxmoxError("596", status=596, kind="unknown"), False, True, False),
    (ProxmoxError("596", status=596, kind="unknown"), True, False, True),
    (ProxmoxError("refused", kind="retryable"), False, False, True),
    (ProxmoxError("missing", status=500, kind="final"), True, False, False),
    (ProxmoxError("auth", status=401, kind="final"), True, False, False),
])
def test_retry_policy(err, reading, retry_locked, expected):
    assert client_mod.ProxmoxClient._may_retry(err, reading, retry_locked) is expected
