# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for errors.py: which answers are safe to retry, which leave the outcome unknown."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import errors
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import (
    InputError, ProxmoxError, TaskFailed, TaskTimeout, classify_response, is_transient, scrub)


@pytest.mark.parametrize("status,message,kind,locked", [
    (500, "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout", errors.RETRYABLE, False),
    (500, "got no worker upid - start worker failed", errors.RETRYABLE, False),
    (500, "VM is locked (backup)", errors.RETRYABLE, True),
    (500, "CT is locked (snapshot)", errors.RETRYABLE, True),
    (596, "Connection timed out", errors.UNKNOWN, False),
    (597, "", errors.UNKNOWN, False),
    (599, "Too many redirections", errors.UNKNOWN, False),
    (503, "Service Unavailable", errors.RETRYABLE, False),
    (504, "Gateway Timeout", errors.UNKNOWN, False),
    (400, "Parameter verification failed.", errors.FINAL, False),
    (401, "authentication failure", errors.FINAL, False),
    (403, "Permission check failed (/vms/100, VM.Config.Disk)", errors.FINAL, False),
    (500, "Configuration file 'nodes/pve1/qemu-server/123.conf' does not exist", errors.FINAL, False),
    (500, "unable to create VM 101 - config file already exists", errors.FINAL, False),
])
def test_classify_response(status, message, kind, locked):
    assert classify_response(status, message) == (kind, locked)


def test_596_wins_over_message():
    # a 596 means pveproxy stopped waiting: the work may go on, whatever the text says
    assert classify_response(596, "can't lock file 'x' - got timeout") == (errors.UNKNOWN, False)


@pytest.mark.parametrize("err,transient", [
    (ProxmoxError("x", status=596, kind=errors.UNKNOWN), True),
    (ProxmoxError("x", status=None, kind=errors.RETRYABLE), True),
    (ProxmoxError("x", status=502, kind=errors.FINAL), True),
    (ProxmoxError("x", status=500, kind=errors.FINAL), False),
    (ProxmoxError("x", status=404, kind=errors.FINAL), False),
])
def test_is_transient(err, transient):
    assert is_transient(err) is transient


def test_to_result_has_no_extra_secret_and_right_keys():
    err = ProxmoxError("Parameter verification failed.", status=400, errors={"size": "bad"}, method="PUT", path="/x")
    assert err.to_result() == {"msg": "Parameter verification failed.", "http_status": 400, "errors": {"size": "bad"},
                               "error_kind": "final"}
    assert str(err) == "Parameter verification failed."
    assert err.pve_message == "Parameter verification failed."


def test_task_errors_carry_tasks():
    failed = TaskFailed("boom", tasks=[{"upid": "U"}], log_tail=["TASK ERROR: boom"])
    assert failed.to_result()["log_tail"] == ["TASK ERROR: boom"]
    assert failed.kind == errors.FINAL
    timeout = TaskTimeout("late", tasks=[{"upid": "U"}], running=["U"])
    assert timeout.to_result()["running"] == ["U"]
    assert timeout.kind == errors.UNKNOWN
    assert isinstance(timeout, ProxmoxError)


def test_input_error_names_option():
    err = InputError("disk_size: cannot shrink", option="disk_size")
    assert err.to_result() == {"msg": "disk_size: cannot shrink", "option": "disk_size"}


def test_scrub_hides_secrets():
    text = "login as root@pam with s3cr3t-pass failed; ticket PVE:root@pam:ABCDEF"
    assert scrub(text, ["s3cr3t-pass", "PVE:root@pam:ABCDEF", None, ""]) == \
        "login as root@pam with ******** failed; ticket ********"
