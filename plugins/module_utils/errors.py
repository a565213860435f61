# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The errors shared code raises; only ProxmoxModule turns them into fail_json.

Every failure of the API carries a *kind* that says what the caller may do next:

* ``retryable``: nothing started on the server (connection refused, config lock timeout, no worker, VM locked);
  sending the same request again is safe.
* ``unknown``: the request reached the server and may have taken effect (read timeout, 596, 597, connection
  dropped after sending); a write must not be re-sent, the caller reads the real state instead (reconcile.py).
* ``final``: the server refused (400, 401, 403, most 500s); sending it again gives the same answer.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

RETRYABLE = "retryable"
UNKNOWN = "unknown"
FINAL = "final"

# Statuses after which the outcome of a request cannot be known from the answer alone.
# 596: pveproxy gave up waiting for pvedaemon (the work goes on); 597/599: proxy-side connection failures.
UNKNOWN_STATUSES = (596, 597, 599)
# Statuses a GET may simply be repeated after (gateway and availability errors in front of pveproxy).
TRANSIENT_STATUSES = (502, 503, 504) + UNKNOWN_STATUSES

_LOCK_TIMEOUT_RE = re.compile(r"can't lock file .* got timeout", re.IGNORECASE)
_NO_WORKER_RE = re.compile(r"got no worker upid", re.IGNORECASE)
_VM_LOCKED_RE = re.compile(r"\b(?:VM|CT) is locked\b", re.IGNORECASE)


class ProxmoxError(Exception):
    """A failed API call (or a failed wait): status, PVE's message, its per-parameter errors and a kind."""

    RETRYABLE = RETRYABLE
    UNKNOWN = UNKNOWN
    FINAL = FINAL

    def __init__(self, message, status=None, errors=None, kind=FINAL, method=None, path=None, locked=False,
                 pve_message=None):
        super(ProxmoxError, self).__init__(message)
        self.message = message
        # PVE's own message, without the HTTP status and path the client adds to ``message``.
        self.pve_message = message if pve_message is None else pve_message
        self.status = status
        self.errors = dict(errors or {})
        self.kind = kind
        self.method = method
        self.path = path
        # True when the error is "VM is locked": retryable only where the caller opted in (retry_locked=True).
        self.locked = locked
        # result keys a flow adds to its failure (a failed restore: safety_backup, left); never secrets
        self.extra = {}

    def __str__(self):
        return self.message

    @property
    def retryable(self):
        return self.kind == RETRYABLE

    @property
    def unknown(self):
        return self.kind == UNKNOWN

    def to_result(self):
        """The keys fail_json gets: message, HTTP status, PVE's per-parameter errors and the kind."""
        result = {"msg": self.message, "status": self.status, "errors": dict(self.errors), "error_kind": self.kind}
        result.update(getattr(self, "extra", None) or {})
        return result


class TaskFailed(ProxmoxError):
    """One or more tasks ended with an exit status other than OK / WARNINGS."""

    def __init__(self, message, tasks=None, log_tail=None):
        super(TaskFailed, self).__init__(message, kind=FINAL)
        self.tasks = list(tasks or [])
        self.log_tail = list(log_tail or [])

    def to_result(self):
        result = super(TaskFailed, self).to_result()
        result.update({"tasks": self.tasks, "log_tail": self.log_tail})
        return result


class TaskTimeout(ProxmoxError):
    """The deadline passed while tasks were still running; they were left running, never stopped."""

    def __init__(self, message, tasks=None, running=None):
        super(TaskTimeout, self).__init__(message, kind=UNKNOWN)
        self.tasks = list(tasks or [])
        self.running = list(running or [])

    def to_result(self):
        result = super(TaskTimeout, self).to_result()
        result.update({"tasks": self.tasks, "running": self.running})
        return result


class InputError(Exception):
    """Bad input from the user: the message names the option (``option``) so the user can fix it."""

    def __init__(self, message, option=None):
        super(InputError, self).__init__(message)
        self.message = message
        self.option = option

    def __str__(self):
        return self.message

    def to_result(self):
        result = {"msg": self.message}
        if self.option:
            result["option"] = self.option
        return result


def classify_response(status, message):
    """Return (kind, locked) for an HTTP error answer *status* with PVE's *message*."""
    text = message or ""
    if status in UNKNOWN_STATUSES:
        return UNKNOWN, False
    if _LOCK_TIMEOUT_RE.search(text) or _NO_WORKER_RE.search(text):
        return RETRYABLE, False
    if _VM_LOCKED_RE.search(text):
        return RETRYABLE, True
    if status in (502, 503):
        # The proxy in front could not reach pveproxy: the request never got to PVE.
        return RETRYABLE, False
    if status == 504:
        return UNKNOWN, False
    return FINAL, False


def is_transient(err):
    """True when a read (GET) that failed with *err* may simply be sent again."""
    if err.kind == RETRYABLE:
        return True
    if err.kind == UNKNOWN:
        return True
    return err.status in TRANSIENT_STATUSES


def scrub(text, secrets):
    """Replace every secret (passwords, token secrets, tickets) found in *text* by ``********``."""
    if not text:
        return text
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "********")
    return text
