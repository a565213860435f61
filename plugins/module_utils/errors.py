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

import json
import re

try:
    from urllib.parse import quote, quote_plus
except ImportError:  # pragma: no cover - Python 2 never runs this code
    from urllib import quote, quote_plus  # type: ignore

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
        # True when no connection could be made at all (refused, unreachable, connect timeout)
        self.unreachable = False

    def __str__(self):
        return self.message

    @property
    def retryable(self):
        return self.kind == RETRYABLE

    @property
    def unknown(self):
        return self.kind == UNKNOWN

    def to_result(self):
        """The keys fail_json gets: message, HTTP status (``http_status``: ``status`` is a server's power status in
        jotun_server's results), PVE's per-parameter errors and the kind."""
        result = {"msg": self.message, "http_status": self.status, "errors": dict(self.errors), "error_kind": self.kind}
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


MASK = "********"


def secret_forms(secret):
    """*secret* and the ways a message may carry it: escaped (repr, JSON), quoted, URL-encoded (quote, quote_plus,
    and quote with nothing safe, as form bodies and cookies carry it); longest first."""
    text = str(secret)
    forms = set([text, repr(text)[1:-1], json.dumps(text)[1:-1], quote(text), quote(text, safe=""), quote_plus(text),
                 text.encode("unicode_escape").decode("ascii")])
    return sorted((f for f in forms if f), key=len, reverse=True)


def scrub(text, secrets):
    """Replace every secret (passwords, token secrets, tickets, CSRF tokens) found in *text*, raw or transformed
    (secret_forms), by ``********``."""
    if not text:
        return text
    for secret in secrets:
        if secret and len(str(secret)) >= 4:
            for form in secret_forms(secret):
                text = text.replace(form, MASK)
    return text


def scrub_all(value, secrets):
    """*value* (a result: dicts, lists, strings) with scrub() applied to every string in it, keys included."""
    secrets = [s for s in secrets if s and len(str(s)) >= 4]
    if not secrets:
        return value
    if isinstance(value, dict):
        return dict((scrub_all(k, secrets), scrub_all(v, secrets)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(scrub_all(v, secrets) for v in value)
    if isinstance(value, str):
        return scrub(value, secrets)
    return value


class StepStarted(Exception):
    """Not an error: with ``wait: false`` a step's task was started (or found running), so the run ends at this step
    and reports the task (jotun_server: server/run.py catches it)."""
