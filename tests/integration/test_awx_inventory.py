# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The jotun inventory as an AWX inventory source and a sliced fleet job, the way AWX runs them (docs/awx.md):
the inventory file lives in the project, the credential injects only PROXMOX_* variables, and job slicing gives
each slice job its share of the hosts (AWX: every slice_count-th host of the inventory, as ``--limit``), all slices
running at once under ansible-runner. Every server must be changed by exactly one slice; a second run changes
nothing."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import tempfile

import pytest

from harness import COLLECTIONS, REPO, VENV_BIN
from inventory_helpers import FLEET, run_inventory

ansible_runner = pytest.importorskip("ansible_runner")

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("sim", [{"pve": "9.1", "speed": 20, "args": [
    "--seed-guests", str(FLEET)]}], indirect=True)]

SLICES = 3
SOURCE = {"plugin": "jotunheim.proxmox.jotun", "filters": {"names": ["cust-10[0-2]?"]}}


def job_dir(sim, parent, limit, extravars):
    """An AWX job's private data directory: the project (this repository plus its inventory file), the inventory
    source file, env/envvars with only what the credential injects, env/extravars, the slice's limit."""
    root = tempfile.mkdtemp(prefix="awx-slice-", dir=str(parent))
    project = os.path.join(root, "project")
    shutil.copytree(os.path.join(REPO, "playbooks"), os.path.join(project, "playbooks"))
    os.makedirs(os.path.join(root, "inventory"))
    with open(os.path.join(root, "inventory", "servers.jotun.yml"), "w") as handle:
        json.dump(SOURCE, handle)                 # JSON is YAML
    os.makedirs(os.path.join(root, "env"))
    envvars = dict(sim.env("token"))
    envvars.update({"ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "ANSIBLE_NOCOLOR": "1",
                    "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", "")})
    with open(os.path.join(root, "env", "envvars"), "w") as handle:
        json.dump(envvars, handle)
    with open(os.path.join(root, "env", "extravars"), "w") as handle:
        json.dump(extravars, handle)
    return root


def run_sliced(sim, parent, hosts, extravars):
    """Start every slice at once (run_async), wait for all; returns the runners."""
    outer = dict((k, os.environ.pop(k)) for k in list(os.environ) if k.startswith("PROXMOX_"))
    try:
        started = []
        for number in range(SLICES):
            limit = ",".join(hosts[number::SLICES])
            root = job_dir(sim, parent, limit, extravars)
            thread, runner = ansible_runner.run_async(private_data_dir=root, playbook="playbooks/fleet_tags.yml",
                                                      limit=limit, quiet=True, suppress_env_files=True,
                                                      cmdline="--forks 5")
            started.append((thread, runner))
        for thread, dummy in started:
            thread.join(600)
        return [runner for dummy, runner in started]
    finally:
        os.environ.update(outer)


def test_sliced_fleet_job_changes_each_server_once(sim, tmp_path):
    source = os.path.join(str(tmp_path), "servers.jotun.yml")
    with open(source, "w") as handle:
        json.dump(SOURCE, handle)
    listing = run_inventory(sim, source)                 # the inventory sync AWX runs
    assert listing.rc == 0, listing.stderr
    hosts = sorted(listing.hostvars)
    vmids = dict((h, v["jotun_vmid"]) for h, v in listing.hostvars.items())
    assert len(hosts) == 29 and "cust-1000-1001" in hosts       # 1000..1029 but the nameless 1002

    mark = sim.mark()
    runners = run_sliced(sim, tmp_path, hosts, {"add_tags": "patched-2026w48"})
    for runner in runners:
        assert runner.status == "successful", runner.stdout.read()[-3000:]
    handled = {}
    for runner in runners:
        for event in runner.events:
            if event.get("event") == "runner_on_ok" and event["event_data"].get("task") == "Set the server's tags":
                assert event["event_data"]["res"]["changed"]
                handled.setdefault(event["event_data"]["host"], []).append(runner.config.limit)
    assert sorted(handled) == hosts and all(len(slices) == 1 for slices in handled.values()), handled
    puts = [e for e in sim.writes(mark) if e["method"] == "PUT"]
    changed = sorted(int(e["path"].split("/")[-2]) for e in puts if e["path"].endswith("/config"))
    assert changed == sorted(vmids.values())                    # each server's config written exactly once
    assert all("patched-2026w48" in e["params"]["tags"] for e in puts)
    assert all(e["auth"] == "token" for e in sim.requests(mark))
    state = dict((g["vmid"], g) for g in sim.state()["guests"])
    assert "patched-2026w48" in state[1000]["config"]["tags"] and "patched" not in state[1030]["config"].get("tags", "")

    mark = sim.mark()
    runners = run_sliced(sim, tmp_path, hosts, {"add_tags": "patched-2026w48"})
    assert all(runner.status == "successful" for runner in runners)
    assert sim.writes(mark) == []                               # done already: nothing to change
    text = "".join(r.stdout.read() for r in runners)
    assert sim.info["token_secret"] not in text
