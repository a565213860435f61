# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad job inputs fail before anything reaches Proxmox VE, with a message a panel can show."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os

import pytest
import yaml

from harness import REPO
from playbook_helpers import failure_message, playbook

CASES = [
    ("build", {"template": "debian-12"}, "missing required arguments: server"),
    ("build", {"server": "x1", "power": "sleeping"}, "power must be one of: started, stopped, present"),
    ("build", {"server": "x1", "memory": "lots"}, "memory"),
    ("build", {"server": "x1", "gateway": "192.0.2.1"}, "ip: give the address (or dhcp) together with gateway"),
    ("rebuild", {"server": "x1"}, "missing required arguments: template"),
    ("resize", {"server": "x1"}, "give at least one of cores, sockets, memory and disk_size"),
    ("password", {"server": "x1", "password": "short"}, "password: at least 8 characters"),
    ("password", {"server": "nosuch", "password": "long-enough-1"}, "server: there is no server named nosuch"),
    ("power", {"server": "x1", "power": "off"}, "power must be one of: started, stopped, restarted"),
    ("power", {"server": "nosuch", "power": "started"}, "server: there is no server named nosuch"),
    ("backup", {"server": "x1", "keep_last": 0}, "keep_last: at least 1"),
    ("restore", {"server": "x1"}, "volid: there is no server named x1; name the archive to bring it back from"),
    ("destroy", {"server": "x1"}, "missing required arguments: confirm"),
    ("fleet_resize", {"disk_size": "10G"}, "servers or server_tags: say which servers to resize"),
    ("wait", {}, "upids or resize: say which tasks to wait for"),
    ("usage", {}, "period: give period (hour, day, week, month, year) or since (and end)"),
    ("usage", {"period": "fortnight"}, "period must be one of: hour, day, week, month, year"),
    ("usage", {"period": "day", "since": "7d"}, "period: give period or since/end, not both"),
    ("migrate", {"server": "x1"}, "missing required arguments: node"),
    ("migrate", {"server": "nosuch", "node": "pve2"}, "server: there is no server named nosuch"),
    ("prune_orphans", {}, "missing required arguments: older_than"),
    ("prune_orphans", {"older_than": "a month"}, "older_than: a month is not an age"),
    ("snapshot", {"server": "x1", "action": "rollback"}, "snapshot: name the snapshot"),
    ("snapshot", {"server": "x1", "prefix": "d-", "max_count": 0}, "max_count: at least 1, together with prefix"),
    ("snapshot", {"server": "nosuch", "snapshot": "s1"}, "server: there is no server named nosuch"),
    ("iso", {"action": "download"}, "url: give the URL to download"),
    ("iso", {"action": "delete"}, "filename: name the ISO to delete"),
    ("iso", {"url": "https://iso.pvesim.test/a.iso", "checksum": "xyz"}, "checksum: not a sha256 checksum"),
    ("rescue", {"server": "x1"}, "missing required arguments: rescue"),
    ("rescue", {"server": "nosuch", "rescue": True}, "server: there is no server named nosuch"),
    ("build", {"server": "x1", "template": "debian-12", "memroy": 4096},
     "memroy: not an input of this job; it takes agent, bridge, ciuser, cores, description, disk_size, gateway"),
    ("password", {"server": "x1", "password": "long-enough-1", "pasword": "x", "restart": True},
     "pasword: not an input of this job; it takes ciuser, password, restart, server"),
    ("destroy", {"server": "x1", "confirm": "x1", "delete_backup": True, "forse": 1},
     "delete_backup, forse: not inputs of this job; it takes confirm, delete_backups, server"),
]


@pytest.mark.parametrize("name, extra_vars, message", CASES, ids=["%s-%d" % (c[0], i) for i, c in enumerate(CASES)])
def test_bad_input_is_refused_before_any_write(sim, run_playbook, name, extra_vars, message):
    mark = sim.mark()
    run = run_playbook(playbook(name), extra_vars=extra_vars)
    assert run.rc != 0
    assert message in failure_message(run)
    assert sim.writes(mark) == []


def test_awx_variables_and_workflow_artifacts_are_accepted(sim, run_playbook):
    """AWX adds awx_*/tower_* variables to every job and hands a workflow's set_stats on as `jotun`: the unknown-input
    check lets them through (here wait.yml goes on to its own check, which fails for want of tasks)."""
    run = run_playbook(playbook("wait"), extra_vars={"awx_job_id": 7, "tower_job_id": 7, "awx_workflow_job_id": 3,
                                                     "jotun": {"server": "x1", "upids": []}})
    assert failure_message(run) == "upids or resize: say which tasks to wait for"
    # in a workflow node the survey's answers for the other nodes pass too, typos still do not
    run = run_playbook(playbook("wait"), extra_vars={"awx_workflow_job_id": 3, "server": "x1", "memory": 1024})
    assert failure_message(run) == "upids or resize: say which tasks to wait for"
    run = run_playbook(playbook("wait"), extra_vars={"awx_workflow_job_id": 3, "server": "x1", "memroy": 1024})
    assert failure_message(run).startswith("memroy: not an input of this job; it takes jotun, resize, upids, wait")


NOT_JOBS = ("demo.yml",)     # playbooks that take no inputs


def test_workflow_inputs_list_every_job_input():
    """Every job playbook checks its inputs with the shared tasks/inputs.yml (which refuses unknown ones), and
    tasks/inputs.yml lets a workflow node through the inputs of its sibling jobs: it must list them all."""
    declared = set()
    for path in glob.glob(os.path.join(REPO, "playbooks", "*.yml")):
        if os.path.basename(path) in NOT_JOBS:
            continue
        with open(path) as handle:
            checks = [task for play in yaml.safe_load(handle) or [] for task in play.get("tasks") or []
                      if task.get("ansible.builtin.import_tasks") == "tasks/inputs.yml"]
        assert checks, "%s: start with `ansible.builtin.import_tasks: tasks/inputs.yml` (see that file)" % path
        for task in checks:
            declared.update(task["vars"]["job_inputs"])
    with open(os.path.join(REPO, "playbooks", "tasks", "inputs.yml")) as handle:
        check = yaml.safe_load(handle)[0]
    listed = set(check["vars"]["job_workflow_inputs"])
    assert sorted(declared - {"jotun"} - listed) == [], "add these to job_workflow_inputs in playbooks/tasks/inputs.yml"


def test_module_errors_name_the_option(sim, run_playbook):
    sim.reset()
    mark = sim.mark()
    run = run_playbook(playbook("build"), extra_vars={"server": "x2", "template": "no-such-template"})
    assert not run.ok
    assert "template" in failure_message(run)
    assert sim.writes(mark) == []
