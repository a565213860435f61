# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for validate.py (the checks every module runs before its first call) and the secret scrub."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import validate as v
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, scrub, scrub_all

try:
    from urllib.parse import quote, quote_plus
except ImportError:  # pragma: no cover
    from urllib import quote, quote_plus  # type: ignore


def _refused(option, fn, *args, **kwargs):
    with pytest.raises(InputError) as err:
        fn(*args, **kwargs)
    assert err.value.option == option and option in str(err.value)
    return str(err.value)


@pytest.mark.parametrize("value", [99, 0, -1, 1000000000, "abc", True])
def test_vmid_range(value):
    _refused("vmid", v.check_vmid, value)


@pytest.mark.parametrize("value, expected", [(100, 100), ("999999999", 999999999), (None, None)])
def test_vmid_ok(value, expected):
    assert v.check_vmid(value) == expected


@pytest.mark.parametrize("value", [0, -1, 65536, 70000])
def test_port_range(value):
    _refused("api_port", v.check_port, value)


@pytest.mark.parametrize("value", [0, -1, -0.5, "soon", float("nan"), float("inf")])
def test_timeouts_must_be_positive(value):
    _refused("wait_timeout", v.check_positive, value, "wait_timeout")


@pytest.mark.parametrize("value", ["", "a,b", "a=b", "a;b", "a\nb", "a b", "a\tb", "\x00"])
def test_property_values_are_plain(value):
    _refused("bridge", v.check_plain, value, "bridge")


@pytest.mark.parametrize("host, port, given, expected", [
    ("pve1", None, False, ("pve1", 8006)), ("pve1:8443", None, False, ("pve1", 8443)),
    ("https://pve1.example.com/", 8443, True, ("pve1.example.com", 8443)), ("[::1]:8006", None, False, ("[::1]", 8006)),
    ("fe80::1", None, False, ("[fe80::1]", 8006)), ("192.0.2.10", 8006, True, ("192.0.2.10", 8006)),
])
def test_split_host(host, port, given, expected):
    assert v.split_host(host, port, given) == expected


@pytest.mark.parametrize("host, port, given, option", [
    ("pve1:8006", 8006, True, "api_port"), ("", None, False, "api_host"), ("pve 1", None, False, "api_host"),
    ("https://pve1/api2/json", None, False, "api_host"), ("pve1:http", None, False, "api_host"),
    ("pve1:70000", None, False, "api_host"), ("pve1", 70000, True, "api_port"), ("[::1", None, False, "api_host"),
])
def test_split_host_refuses(host, port, given, option):
    _refused(option, v.split_host, host, port, given)


@pytest.mark.parametrize("value", [" secret", "secret ", "secret\n", "sec\tret", "sec\x7fret"])
def test_secrets_with_white_space_or_control_characters(value):
    message = _refused("api_password", v.check_secret, value, "api_password")
    assert value.strip() not in message


def test_user_without_realm_gets_a_hint():
    message = _refused("api_user", v.check_userid, "root")
    assert "root@pam" in message
    _refused("api_user", v.check_userid, "@pam")
    _refused("api_user", v.check_userid, "root@")
    assert v.check_userid("automation@pve") == "automation@pve"


@pytest.mark.parametrize("value", ["root!jotun", "root@pam!a b", "root@pam!", ""])
def test_token_ids(value):
    _refused("api_token_id", v.check_token_id, value)


def test_check_connection_covers_every_option():
    base = {"api_host": "pve1", "api_port": None, "api_timeout": 30.0, "api_connect_timeout": 5.0, "wait_timeout": 60}
    assert v.check_connection(base, port_given=False) == ("pve1", 8006)
    for key, value in (("api_timeout", -1), ("api_connect_timeout", 0), ("wait_timeout", -1),
                       ("api_token_secret", " x-secret "), ("api_user", "root"), ("api_token_id", "x y")):
        _refused(key, v.check_connection, dict(base, **{key: value}), False)


def test_guest_match():
    guest = {"vmid": 150, "name": "srv1", "template": 0}
    v.check_guest_match(guest, 150, "srv1")
    _refused("name", v.check_guest_match, guest, 150, "other")
    _refused("vmid", v.check_guest_match, dict(guest, template=1), 150, None)
    _refused("name", v.check_guest_match, dict(guest, template=True), None, "srv1")


SECRET = "p@ss w/rd&x=\"1'\\"


@pytest.mark.parametrize("form", [SECRET, repr(SECRET), json.dumps(SECRET), quote(SECRET), quote(SECRET, safe=""),
                                  quote_plus(SECRET), SECRET.encode("unicode_escape").decode()])
def test_scrub_hides_transformed_secrets(form):
    text = "login failed: body=password=%s&username=root@pam" % form
    assert "p@ss" not in scrub(text, [SECRET]).replace("p@ssword", "")
    assert "w/rd" not in scrub(text, [SECRET]) and "w%2Frd" not in scrub(text, [SECRET])


def test_scrub_all_walks_results():
    result = {"msg": "x %s" % quote(SECRET), "errors": {"password": [SECRET]}, SECRET: 1, "n": 5}
    text = json.dumps(scrub_all(result, [SECRET]))
    assert "w/rd" not in text and "w%2Frd" not in text and "5" in text
