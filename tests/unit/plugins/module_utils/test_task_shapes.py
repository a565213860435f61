# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real PVE shapes: task-list entries vs status answers, "no such task", reason phrases, refused logins."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from proxmoxer.core import AuthenticationError

from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import ProxmoxClient, reason_phrase
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import FINAL, RETRYABLE, ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.task_report import task_outcome
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import exit_status_of, is_running, no_such_task

U1 = "UPID:pve1:0000A1B2:00F00D12:65A1B2C3:qmclone:9000:root@pam:"


@pytest.mark.parametrize("task, running, exitstatus, outcome", [
    ({"status": "RUNNING"}, True, None, "running"),                       # GET /nodes/{n}/tasks, running
    ({"status": "running"}, True, None, "running"),                       # .../status, running
    ({}, True, None, "running"),
    ({"status": "OK", "endtime": 1}, False, "OK", "ok"),                  # list entry, stopped
    ({"status": "WARNINGS: 2", "endtime": 1}, False, "WARNINGS: 2", "warnings"),
    ({"status": "clone failed: disk gone", "endtime": 1}, False, "clone failed: disk gone", "failed"),
    ({"status": "stopped", "exitstatus": "OK"}, False, "OK", "ok"),       # .../status, stopped
    ({"status": "stopped", "exitstatus": "VM is locked (backup)"}, False, "VM is locked (backup)", "failed"),
])
def test_task_shapes(task, running, exitstatus, outcome):
    assert is_running(task) is running
    assert exit_status_of(task) == exitstatus
    assert task_outcome(task) == outcome


class _Listing(object):
    def __init__(self, entries):
        self.entries = entries

    def get(self, path, params=None, deadline=None):
        return self.entries


def test_running_tasks_reads_real_list_entries():
    entries = [{"upid": U1, "status": "RUNNING"}, {"upid": U1.replace("A1B2", "A1B3"), "status": "OK"},
               {"upid": U1.replace("A1B2", "A1B4"), "status": "unexpected status"}]
    assert guests.running_tasks(_Listing(entries), "pve1", typefilter="qmclone") == [U1]


@pytest.mark.parametrize("err, expected", [
    (ProxmoxError("Parameter verification failed.", status=400, errors={"upid": "no such task"}), True),
    (ProxmoxError("no such task", status=500), True),
    (ProxmoxError("Parameter verification failed.", status=400, errors={"upid": "unable to parse worker upid"}),
     False),
    (ProxmoxError("Permission check failed", status=403), False),
])
def test_no_such_task(err, expected):
    assert no_such_task(err) is expected


class _Resp(object):
    def __init__(self, reason):
        self.reason = reason


def test_reason_phrase_utf8_and_latin1():
    assert reason_phrase(_Resp("Grüße".encode("utf-8").decode("latin-1"))) == "Grüße"
    assert reason_phrase(_Resp("Gr\xfc\xdfe")) == "Grüße"
    assert reason_phrase(_Resp(None)) == ""


def _client(**kwargs):
    return ProxmoxClient("pve.example", user="root@pam", password="hunter2-secret", **kwargs)


LOGIN_CODES = [(401, 401, FINAL), (503, 503, RETRYABLE), (596, 596, RETRYABLE), (500, 500, RETRYABLE),
               (400, 400, FINAL)]


@pytest.mark.parametrize("code, status, kind", LOGIN_CODES)
def test_login_errors_keep_their_status(code, status, kind):
    exc = AuthenticationError("Couldn't authenticate user: root@pam to https://pve.example:8006/api2/json/access/"
                              "ticket code: %d" % code)
    err = _client()._login_error(exc)
    assert err.status == status and err.kind == kind
    assert ("api_password" in str(err)) == (code == 401)
    assert "hunter2-secret" not in str(err)
