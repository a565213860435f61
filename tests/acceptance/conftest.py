# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The `acceptance` fixture of the opt-in acceptance run (docs/acceptance.md).

Skips every test with a message naming the missing PROXMOX_ACCEPTANCE_* variables when they are not set. Before the
first test it removes leftovers of an interrupted run, after the last one (also after failures) everything the
run made: only guests in the vmid range whose name carries the prefix, and the run's own backup archives.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from acceptance_support import (  # noqa: E402  pylint: disable=wrong-import-position
    ENV, Acceptance, AcceptanceConfig, Cluster, cleanup, skip_reason)


@pytest.fixture(scope="session")
def acceptance():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    link = os.path.join(repo, ".tmp", "collections", "ansible_collections", "jotunheim", "proxmox")
    if not os.path.isdir(link):
        pytest.fail("%s is missing: run ./scripts/bootstrap.sh first (it links this checkout as the collection)"
                    % link, pytrace=False)
    try:
        config = AcceptanceConfig()
    except ValueError as exc:
        pytest.fail(str(exc), pytrace=False)
    cluster = Cluster(config)
    problems = cleanup(cluster, config, timeout=config.wait_timeout)
    if problems:
        pytest.fail("leftovers of an earlier run could not be removed: %s" % "; ".join(problems), pytrace=False)
    run = Acceptance(config, cluster)
    if len(run.vmids) < 2:
        pytest.fail("%sVMIDS: fewer than 2 free vmids in %d-%d" % (ENV, config.first, config.last), pytrace=False)
    yield run
    problems = cleanup(cluster, config, run.volids, timeout=config.wait_timeout)
    assert not problems, "the acceptance run could not remove everything it made: %s" % "; ".join(problems)
