# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared connection options through real ansible-playbook runs (jotun_node_info is the thinnest module):
environment variables, both token id forms, module_defaults with the action group, TLS errors, no secret leaks."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

NODE_INFO = "jotunheim.proxmox.jotun_node_info"


def node_info(args=None, name="nodes"):
    return {"name": name, NODE_INFO: dict(args or {}), "ignore_errors": True}


def failed(run, name="nodes"):
    return run.status(name) in ("failed", "ignored")


def test_token_from_environment(sim, run_playbook):
    mark = sim.mark()
    run = run_playbook([node_info()], auth="token")
    result = run.task("nodes")
    assert not failed(run), run
    assert sorted(n["node"] for n in result["nodes"]) == ["pve1", "pve2"]
    seen = sim.requests(mark)
    assert seen and {e["auth"] for e in seen} == {"token"}
    assert sim.info["token_secret"] not in run.stdout


def test_password_from_environment_logs_in_once(sim, run_playbook):
    mark = sim.mark()
    run = run_playbook([node_info()], auth="password")
    assert not failed(run), run
    seen = sim.requests(mark)
    assert len(sim.requests(mark, method="POST", path="/access/ticket")) == 1
    assert {e["auth"] for e in seen if "/access/ticket" not in e["path"]} == {"ticket"}
    assert sim.info["password"] not in run.stdout


def test_token_name_with_api_user_in_module_defaults(sim, run_playbook):
    user, name = sim.info["token_id"].split("!")
    play = [{
        "name": "group defaults",
        "module_defaults": {"group/jotunheim.proxmox.proxmox": {
            "api_host": sim.info["host"], "api_port": sim.info["port"], "api_user": user, "api_token_id": name,
            "api_token_secret": sim.info["token_secret"], "ca_path": sim.ca_cert}},
        "block": [node_info()],
    }]
    mark = sim.mark()
    run = run_playbook(play, auth=None)
    assert not failed(run), run
    assert {e["auth"] for e in sim.requests(mark)} == {"token"}


def test_token_name_without_api_user_fails_clearly(sim, run_playbook):
    name = sim.info["token_id"].split("!")[1]
    mark = sim.mark()
    run = run_playbook([node_info({"api_host": sim.info["host"], "api_port": sim.info["port"], "api_token_id": name,
                                   "api_token_secret": sim.info["token_secret"], "ca_path": sim.ca_cert})], auth=None)
    result = run.task("nodes")
    assert failed(run) and "api_user" in result["msg"] and "Traceback" not in json.dumps(result)
    assert sim.requests(mark) == []
    assert sim.info["token_secret"] not in run.stdout


def test_password_and_token_together_are_refused(sim, run_playbook):
    run = run_playbook([node_info({"api_user": sim.info["user"], "api_password": sim.info["password"],
                                   "api_token_id": sim.info["token_id"],
                                   "api_token_secret": sim.info["token_secret"]})], auth=None,
                       env={"PROXMOX_HOST": sim.info["host"], "PROXMOX_PORT": str(sim.info["port"])})
    result = run.task("nodes")
    assert failed(run) and "mutually exclusive" in result["msg"]
    assert sim.info["password"] not in run.stdout and sim.info["token_secret"] not in run.stdout


def test_self_signed_certificate_without_ca_path(sim, run_playbook):
    mark = sim.mark()
    run = run_playbook([node_info({"ca_path": None})], auth="token", env={"PROXMOX_CA_PATH": ""})
    result = run.task("nodes")
    assert failed(run) and "certificate" in result["msg"] and "ca_path" in result["msg"]
    assert sim.requests(mark) == []


def test_validate_certs_false_from_environment(sim, run_playbook):
    run = run_playbook([node_info()], auth="token", env={"PROXMOX_CA_PATH": "", "PROXMOX_VALIDATE_CERTS": "false"})
    assert not failed(run), run


def test_empty_credential_fields_count_as_unset(sim, run_playbook):
    """An AWX credential injects every field of its type; empty ones (port, CA path, user) arrive as "". The port
    then comes from api_host (or the default), the CA path and user are simply not set."""
    env = {"PROXMOX_HOST": "%s:%s" % (sim.info["host"], sim.info["port"]), "PROXMOX_PORT": "", "PROXMOX_USER": "",
           "PROXMOX_CA_PATH": "", "PROXMOX_VALIDATE_CERTS": "False", "PROXMOX_API_TIMEOUT": ""}
    mark = sim.mark()
    run = run_playbook([node_info()], auth="token", env=env)
    assert not failed(run), run
    assert sorted(n["node"] for n in run.task("nodes")["nodes"]) == ["pve1", "pve2"]
    assert {e["auth"] for e in sim.requests(mark)} == {"token"}

    run = run_playbook([node_info()], auth="token", env=dict(env, PROXMOX_VALIDATE_CERTS="True"))
    result = run.task("nodes")
    assert failed(run) and "ca_path" in result["msg"] and "is not a file" not in result["msg"], result
