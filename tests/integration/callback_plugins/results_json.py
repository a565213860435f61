# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: write every task result of a run as JSON to $JOTUN_RESULTS_FILE."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: results_json
type: aggregate
short_description: write task results as JSON for the integration tests
description:
  - Writes one JSON document with every task result to the file named by the environment variable E(JOTUN_RESULTS_FILE).
requirements:
  - the test harness sets E(JOTUN_RESULTS_FILE)
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "results_json"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._results = []

    def _record(self, status, result):
        data = dict(result._result)
        data.pop("_ansible_no_log", None)
        self._results.append({
            "task": result._task.get_name(),
            "action": result._task.action,
            "host": result._host.get_name(),
            "status": status,
            "result": data,
            "time": time.time(),
        })

    def v2_runner_on_ok(self, result):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._record("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("JOTUN_RESULTS_FILE")
        if not path:
            return
        with open(path, "w") as handle:
            json.dump({"results": self._results}, handle, default=str)
