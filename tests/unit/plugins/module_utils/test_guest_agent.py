# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the guest agent helpers (module_utils/agent.py) and password_via validation (no server)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import agent
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import spec


class FakeClient(object):
    """Answers each post with the next of ``errors`` (None: success, a message: a 500 ProxmoxError)."""

    def __init__(self, errors):
        self.errors = list(errors)
        self.calls = []

    def post(self, path, data=None, deadline=None):
        self.calls.append((path, data))
        message = self.errors.pop(0) if self.errors else None
        if message is not None:
            raise ProxmoxError(message, status=500)
        return {}


def params(**kwargs):
    base = dict((name, None) for name in spec.argument_spec())
    base.update({"name": "web01", "state": "present", "password_update": "on_create", "password_via": "cloudinit"})
    base.update(kwargs)
    return base


def test_wait_agent_retries_until_the_agent_answers():
    client = FakeClient(["QEMU guest agent is not running", None])
    agent.wait_agent(client, "pve1", 100, Deadline(10), option="password_via")
    assert [c[0] for c in client.calls] == ["/nodes/pve1/qemu/100/agent/ping"] * 2


def test_wait_agent_fails_at_once_without_an_agent_configured():
    client = FakeClient(["No QEMU guest agent configured"])
    with pytest.raises(InputError) as err:
        agent.wait_agent(client, "pve1", 100, Deadline(10), option="password_via")
    assert err.value.option == "password_via" and "No QEMU guest agent configured" in str(err.value)
    assert len(client.calls) == 1


def test_wait_agent_gives_up_at_the_deadline():
    client = FakeClient(["QEMU guest agent is not running"] * 50)
    with pytest.raises(InputError) as err:
        agent.wait_agent(client, "pve1", 100, Deadline(0.5), option="password_via")
    assert "did not answer within wait_timeout" in str(err.value)


def test_set_user_password_sends_crypted_only_for_hashes():
    client = FakeClient([None, None])
    agent.set_user_password(client, "pve1", 100, "ops", "plain-secret")
    agent.set_user_password(client, "pve1", 100, "ops", "$6$salt$abcdefghijklmnop")
    assert client.calls[0] == ("/nodes/pve1/qemu/100/agent/set-user-password",
                               {"username": "ops", "password": "plain-secret", "crypted": 0})
    assert client.calls[1][1]["crypted"] == 1


@pytest.mark.parametrize("kwargs,option", [
    ({"password_via": "agent"}, "password_via"),
    ({"password_via": "agent", "cipassword": "abc"}, "cipassword"),
    ({"password_via": "agent", "cipassword": "long-enough", "wait": False}, "password_via"),
])
def test_password_via_agent_validation(kwargs, option):
    with pytest.raises(InputError) as err:
        spec.validate(params(**kwargs))
    assert err.value.option == option
    assert "abc" not in str(err.value) and "long-enough" not in str(err.value)


def test_password_via_agent_accepts_a_password():
    spec.validate(params(password_via="agent", cipassword="long-enough", wait=True))
