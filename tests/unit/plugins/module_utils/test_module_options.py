# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for module.py: the argument specs match their doc fragments; credentials from the environment."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
import yaml

from ansible_collections.jotunheim.proxmox.plugins.doc_fragments import connection, wait
from ansible_collections.jotunheim.proxmox.plugins.module_utils import client as client_mod
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import (
    connection_argument_spec, credentials_from_env, wait_argument_spec)


@pytest.mark.parametrize("fragment,spec", [
    (connection.ModuleDocFragment.DOCUMENTATION, connection_argument_spec()),
    (wait.ModuleDocFragment.DOCUMENTATION, wait_argument_spec()),
])
def test_spec_matches_doc_fragment(fragment, spec):
    documented = yaml.safe_load(fragment)["options"]
    assert sorted(documented) == sorted(spec)
    for name, doc in documented.items():
        assert doc["type"] == spec[name]["type"], name
        assert doc.get("default") == spec[name].get("default"), name
        assert bool(doc.get("required")) == bool(spec[name].get("required")), name


def test_secrets_are_no_log_and_env_names_documented():
    spec = connection_argument_spec()
    assert [name for name, opt in spec.items() if opt.get("no_log")] == ["api_password", "api_otp", "api_token_secret"]
    documented = connection.ModuleDocFragment.DOCUMENTATION
    for var in ("PROXMOX_HOST", "PROXMOX_PORT", "PROXMOX_USER", "PROXMOX_PASSWORD", "PROXMOX_TOKEN_ID",
                "PROXMOX_TOKEN_SECRET", "PROXMOX_VERIFY_SSL", "PROXMOX_VALIDATE_CERTS", "PROXMOX_CA_PATH",
                "PROXMOX_API_TIMEOUT", "PROXMOX_CONNECT_TIMEOUT"):
        assert "E(%s)" % var in documented, var
    fallbacks = dict((name, opt["fallback"][1]) for name, opt in spec.items() if "fallback" in opt)
    assert fallbacks["validate_certs"] == ["PROXMOX_VERIFY_SSL", "PROXMOX_VALIDATE_CERTS"]
    assert fallbacks["api_timeout"] == ["PROXMOX_API_TIMEOUT"]


def test_defaults():
    spec = connection_argument_spec()
    # api_port has no default in the spec: a port inside api_host and an api_port given too are refused (8006 is the
    # client's default when neither gives one)
    assert "default" not in spec["api_port"] and client_mod.DEFAULT_PORT == 8006
    assert (spec["api_timeout"]["default"], spec["api_connect_timeout"]["default"]) == (30.0, 5.0)
    assert spec["validate_certs"]["default"] is True
    assert wait_argument_spec()["wait"]["default"] is True


ENV_TOKEN = {"PROXMOX_TOKEN_ID": "root@pam!jotun", "PROXMOX_TOKEN_SECRET": "tsecret"}


@pytest.mark.parametrize("params,environ,expected", [
    ({}, ENV_TOKEN, {"api_token_id": "root@pam!jotun", "api_token_secret": "tsecret"}),
    ({}, {"PROXMOX_PASSWORD": "pw"}, {"api_password": "pw"}),
    ({"api_password": "task-pw"}, ENV_TOKEN, {}),
    ({"api_token_id": "other"}, dict(ENV_TOKEN, PROXMOX_PASSWORD="pw"), {"api_token_secret": "tsecret"}),
    ({"api_token_id": "a", "api_token_secret": "b"}, ENV_TOKEN, {}),
    ({}, {}, {}),
])
def test_credentials_from_env(params, environ, expected):
    assert credentials_from_env(params, environ) == expected


def test_both_kinds_in_env_is_an_error_not_a_guess():
    with pytest.raises(InputError) as err:
        credentials_from_env({}, dict(ENV_TOKEN, PROXMOX_PASSWORD="pw"))
    assert "PROXMOX_PASSWORD" in str(err.value) and "pw" not in str(err.value).replace("PROXMOX_PASSWORD", "")
