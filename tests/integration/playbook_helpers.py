# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small helpers for the tests that run the job playbooks (playbooks/*.yml) against the simulator."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from harness import REPO

PLAYBOOKS = os.path.join(REPO, "playbooks")


def playbook(name):
    return os.path.join(PLAYBOOKS, name + ".yml")


def guest_named(sim, name):
    """The simulator's view of the guest called `name` (state dict with config), or None."""
    found = [g for g in sim.state()["guests"] if g["config"].get("name") == name]
    assert len(found) <= 1, found
    return found[0] if found else None


def archives_of(sim, vmid):
    return sorted((a for a in sim.state()["archives"] if int(a["vmid"]) == int(vmid)), key=lambda a: a["ctime"])


def task_named(run, suffix):
    """The result of the last task whose name ends with `suffix` (role tasks carry a 'role : ' prefix)."""
    found = [r for r in run.results if r["task"].endswith(suffix)]
    assert found, "no task ending %r; tasks: %s\n%s" % (suffix, [r["task"] for r in run.results], run.stdout[-3000:])
    return found[-1]


def failure_message(run):
    """The message of the first failed task, as a panel would show it."""
    failed = run.failed()
    assert failed, "nothing failed:\n%s" % run.stdout[-3000:]
    return failed[0]["result"].get("msg", "")
