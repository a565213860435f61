# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every request the integration tests' modules sent must conform to the official Proxmox VE API schema.

Run after tests/integration (scripts/test.sh does): each simulator there wrote its request log to
tests/output/request-logs/pve-<release>--<test module>--....jsonl; here each log is checked with
validate.py (see tests/pve_schema.py) against the schema of the release that simulator played.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os

import pytest

from pve_schema import MISSING, REPO, VALIDATE, validate

LOGS = sorted(glob.glob(os.path.join(REPO, "tests", "output", "request-logs", "pve-*.jsonl")))


def _release(path):
    return os.path.basename(path).split("--", 1)[0][len("pve-"):]


@pytest.mark.skipif(not os.path.exists(VALIDATE), reason=MISSING)
@pytest.mark.parametrize("log", LOGS or [None], ids=[os.path.basename(p) for p in LOGS] or ["no-logs"])
def test_request_log_conforms_to_schema(log, tmp_path):
    if log is None:
        pytest.skip("no request logs: run tests/integration first")
    # Requests the simulator refused with 400 were sent on purpose by tests of that refusal (its own parameter
    # checks mirror pveproxy's); every request it accepted must conform.
    accepted = tmp_path / "accepted.jsonl"
    with open(log) as source:
        accepted.write_text("".join(line for line in source if line.strip() and json.loads(line).get("status") != 400))
    returncode, output = validate(_release(log), accepted)
    assert returncode == 0, output[-5000:]
    assert " 0 not conforming" in output
