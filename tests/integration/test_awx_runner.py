# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run job playbooks the way AWX / Automation Platform does: ansible-runner with a private data directory, the
Proxmox VE credentials only as environment variables (env/envvars, as the custom credential type of docs/awx.md
injects them), survey answers as extra variables (env/extravars). Then check that no secret - the API token secret,
the survey's passwords - appears anywhere in what the runner recorded: its stdout, its events, its artifacts."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import tempfile

import pytest

from harness import COLLECTIONS, REPO, VENV_BIN
from playbook_helpers import guest_named

ansible_runner = pytest.importorskip("ansible_runner")

FIRST_PASSWORD = "Survey-first-pw-1234"
SECOND_PASSWORD = "Survey-second-pw-5678"


def private_data_dir(sim, extravars, parent):
    """A private data directory as AWX lays it out for a job: project, inventory, env/envvars, env/extravars."""
    root = tempfile.mkdtemp(prefix="awx-job-", dir=str(parent))
    os.symlink(REPO, os.path.join(root, "project"))
    os.makedirs(os.path.join(root, "inventory"))
    with open(os.path.join(root, "inventory", "hosts"), "w") as handle:
        handle.write("localhost ansible_connection=local\n")
    os.makedirs(os.path.join(root, "env"))
    envvars = dict(sim.env("token"))
    envvars.update({"ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "ANSIBLE_NOCOLOR": "1",
                    "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", "")})
    with open(os.path.join(root, "env", "envvars"), "w") as handle:
        json.dump(envvars, handle)
    with open(os.path.join(root, "env", "extravars"), "w") as handle:
        json.dump(extravars, handle)
    return root


def run_job(sim, playbook, extravars, parent):
    root = private_data_dir(sim, extravars, parent)
    outer = dict((k, os.environ.pop(k)) for k in list(os.environ) if k.startswith("PROXMOX_"))
    try:
        # suppress_env_files as AWX runs jobs (AWX_RUNNER_OMIT_ENV_FILES, default true)
        runner = ansible_runner.run(private_data_dir=root, playbook=playbook, quiet=True, suppress_env_files=True)
    finally:
        os.environ.update(outer)
    return root, runner


def recorded_text(root, runner):
    """Everything the runner recorded for the job: stdout, events, and every artifact file.

    Except artifacts/<ident>/command: ansible-runner itself always writes there the command line and the whole
    environment it started ansible-playbook with - the credentials injected into the job, the same input as
    env/envvars - readable by the job's user only (checked here). AWX keeps that environment out of the job's
    output and shows it with secret values hidden."""
    parts = [runner.stdout.read(), json.dumps(list(runner.events), default=str)]
    for folder, _dirs, files in os.walk(os.path.join(root, "artifacts")):
        for name in files:
            path = os.path.join(folder, name)
            if name == "command" and os.path.dirname(folder) == os.path.join(root, "artifacts"):
                assert os.stat(path).st_mode & 0o077 == 0, "the runner's command file must be private"
                continue
            with open(path, errors="replace") as handle:
                parts.append(handle.read())
    return "\n".join(parts)


def assert_no_secret(sim, text, *secrets):
    for secret in (sim.info["token_secret"],) + secrets:
        assert secret not in text, "a secret reached the runner's output"


def test_build_then_password_reset_through_ansible_runner(sim, tmp_path):
    sim.reset()
    root, runner = run_job(sim, "playbooks/build.yml", {
        "server": "awx1", "template": "debian-12", "memory": 1024, "ciuser": "ops", "password": FIRST_PASSWORD}, tmp_path)
    text = recorded_text(root, runner)
    assert runner.status == "successful" and runner.rc == 0, text[-3000:]
    guest = guest_named(sim, "awx1")
    assert guest is not None and guest["status"] == "running" and guest["config"].get("cipassword")
    oks = [e for e in runner.events if e.get("event") == "runner_on_ok"]
    assert any(e["event_data"]["res"].get("vmid") == guest["vmid"] for e in oks)
    assert_no_secret(sim, text, FIRST_PASSWORD)

    mark = sim.mark()
    root, runner = run_job(sim, "playbooks/password.yml", {"server": "awx1", "password": SECOND_PASSWORD}, tmp_path)
    text = recorded_text(root, runner)
    assert runner.status == "successful", text[-3000:]
    assert [w for w in sim.writes(mark) if "cipassword" in w["params"]]
    assert all(entry["auth"] == "token" for entry in sim.requests(mark))
    assert_no_secret(sim, text, FIRST_PASSWORD, SECOND_PASSWORD)


def artifacts_of(runner):
    """What the job handed on with set_stats - AWX passes it to the next nodes of a workflow as extra vars."""
    stats = [e for e in runner.events if e.get("event") == "playbook_on_stats"]
    return stats[-1]["event_data"].get("artifact_data") or {} if stats else {}


def test_fire_and_forget_workflow_finishes_the_build(sim, tmp_path):
    """docs/awx.md's workflow "Build server (fire and forget)": node 1 build.yml with wait=false (its job template's
    own extra var) returns after starting the clone; node 2 wait.yml waits for the UPIDs node 1 handed on; node 3,
    build.yml again, only continues from the step reached (configure, disk, cloud-init, start). Every node gets the
    workflow's survey answers and AWX's own variables, as AWX passes them."""
    sim.reset()
    survey = {"server": "awx3", "template": "debian-12", "memory": 1536, "cores": 2, "disk_size": "12G",
              "ciuser": "ops", "password": FIRST_PASSWORD}
    awx = {"awx_workflow_job_id": 41, "awx_job_template_name": "Build server", "tower_workflow_job_id": 41}

    root, runner = run_job(sim, "playbooks/build.yml", dict(survey, wait=False, **awx), tmp_path)
    text = recorded_text(root, runner)
    assert runner.status == "successful", text[-3000:]
    handed = artifacts_of(runner)
    assert handed["jotun"]["step"] not in ("done", None) and handed["jotun"]["upids"], handed
    guest = guest_named(sim, "awx3")
    assert guest["status"] == "stopped"     # started only: node 1 neither configured nor started it

    root, runner = run_job(sim, "playbooks/wait.yml", dict(survey, **dict(awx, **handed)), tmp_path)
    text = recorded_text(root, runner)
    assert runner.status == "successful", text[-3000:]
    assert artifacts_of(runner) == {}       # the wait node hands nothing on: node 1's jotun reaches node 3

    root, runner = run_job(sim, "playbooks/build.yml", dict(survey, **dict(awx, **handed)), tmp_path)
    text = recorded_text(root, runner)
    assert runner.status == "successful", text[-3000:]
    assert artifacts_of(runner)["jotun"]["step"] == "done"
    guest = guest_named(sim, "awx3")
    config = guest["config"]
    assert guest["status"] == "running"
    assert str(config["memory"]) == "1536" and str(config["cores"]) == "2" and config["ciuser"] == "ops"
    assert config.get("cipassword") and "size=12G" in config["scsi0"]
    assert_no_secret(sim, text, FIRST_PASSWORD)


def test_failed_job_leaks_nothing_either(sim, tmp_path):
    sim.reset()
    root, runner = run_job(sim, "playbooks/build.yml", {
        "server": "awx2", "template": "no-such-template", "password": FIRST_PASSWORD}, tmp_path)
    text = recorded_text(root, runner)
    assert runner.status == "failed"
    failed = [e for e in runner.events if e.get("event") == "runner_on_failed"]
    assert failed and "template" in failed[0]["event_data"]["res"]["msg"]
    assert_no_secret(sim, text, FIRST_PASSWORD)
