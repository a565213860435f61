# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Docs that run: every ```yaml snippet of README.md and docs/*.md (new pages included, found by glob) runs against
the simulator through ansible-playbook.

A snippet is a list of tasks (run in a play on localhost, the connection from the PROXMOX_* environment) or a list of
plays (run as written). An HTML comment on the line before the fence says what a snippet needs (docs/testing.md):

    <!-- snippet: needs servers, vault_pw -->      placeholders this test fills (PLACEHOLDERS below): variables,
                                                   and the servers or archives they name, made first
    <!-- snippet: skip - AWX credential type -->   not a playbook (configuration for another tool); the reason is
                                                   required

A snippet without a comment must run as it is. All snippets run in one ansible-playbook run, one play each, in file
order (README.md, then docs/ alphabetically), each play named after its file and line."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re

import pytest
import yaml

from harness import REPO

FENCE = re.compile(r"^```yaml\s*$")
MARK = re.compile(r"^<!--\s*snippet:\s*(?P<what>needs|skip)\b\s*(?P<rest>.*?)\s*-->\s*$")
SNIPPET_PASSWORD = "Snippet-pass-8142"


def doc_files():
    return [os.path.join(REPO, "README.md")] + sorted(glob.glob(os.path.join(REPO, "docs", "*.md")))


def snippets():
    """[(file relative to the repo, line of the fence, YAML text, mark: None | ("needs", [names]) | ("skip", why))]"""
    found = []
    for path in doc_files():
        with open(path) as handle:
            lines = handle.read().splitlines()
        index = 0
        while index < len(lines):
            if not FENCE.match(lines[index]):
                index += 1
                continue
            end = index + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            mark = None
            before = lines[index - 1] if index else ""
            match = MARK.match(before.strip())
            if match and match.group("what") == "needs":
                mark = ("needs", [n.strip() for n in match.group("rest").split(",") if n.strip()])
            elif match:
                mark = ("skip", match.group("rest").lstrip("-: ").strip())
            found.append((os.path.relpath(path, REPO), index + 1, "\n".join(lines[index + 1:end]), mark))
            index = end + 1
    return found


def _server(name, vmid=None, template="debian-12"):
    options = {"name": name, "template": template, "state": "present"}
    if vmid is not None:
        options["vmid"] = vmid
    return {"name": "snippet setup: server %s" % name, "jotunheim.proxmox.jotun_server": options}


SERVERS = ["snippet-a", "snippet-b"]


def placeholders(sim):
    """name -> (setup tasks run first in the snippet's play, variables). Add a name here when a doc needs one."""
    # vmid 101 stays free for backup.md; the disks on the big shared storage, where the snippets grow them to 80G
    servers = [_server(n, vmid, "debian-12-ceph") for n, vmid in zip(SERVERS, (300, 301))]
    return {
        "servers": (servers, {"servers": SERVERS}),
        "fleet": (servers + [{"name": "snippet setup: the servers' vmids", "jotunheim.proxmox.jotun_server_info": {
            "name": SERVERS, "details": False}, "register": "snippet_fleet"}],
            {"fleet": "{{ snippet_fleet.servers | map(attribute='vmid') | list }}"}),
        "resized": ([servers[0]], {"resized": [{"name": SERVERS[0], "disk": "scsi0", "size": "1G"}]}),
        "web01": ([_server("web01")], {}),
        "backups": ([_server("snippet-101", vmid=101),
                     {"name": "snippet setup: a backup of 101", "jotunheim.proxmox.jotun_backup": {
                         "vmid": 101, "storage": "local", "max_age": "1d"}},
                     {"name": "snippet setup: its archives", "jotunheim.proxmox.jotun_backup_info": {"vmid": 101},
                      "register": "backups"}], {}),
        "vault_pw": ([], {"vault_pw": SNIPPET_PASSWORD}),
        "proxmox_host": ([], {"proxmox_host": "%s:%s" % (sim.info["host"], sim.info["port"])}),
        "proxmox_token_id": ([], {"proxmox_token_id": sim.info["token_id"]}),
        "vault_proxmox_token_secret": ([], {"vault_proxmox_token_secret": sim.info["token_secret"]}),
        "proxmox_ca_path": ([], {"proxmox_ca_path": sim.ca_cert}),
    }


_NO_SIM = type("NoSim", (), {"info": {"host": "", "port": 0, "token_id": "", "token_secret": ""}, "ca_cert": ""})
KNOWN = set(placeholders(_NO_SIM()))


def test_every_snippet_parses_and_declares_what_it_needs():
    found = snippets()
    assert len(found) >= 10, "the docs' snippets were not found"
    for source, line, text, mark in found:
        where = "%s:%d" % (source, line)
        if mark and mark[0] == "skip":
            assert mark[1], "%s: say why the snippet does not run (<!-- snippet: skip - reason -->)" % where
            continue
        data = yaml.safe_load(text)
        assert isinstance(data, list) and data and all(isinstance(item, dict) for item in data), \
            "%s: a runnable snippet is a list of tasks or plays; mark others <!-- snippet: skip - reason -->" % where
        unknown = [n for n in (mark[1] if mark else []) if n not in KNOWN]
        assert not unknown, "%s needs %s: add them to placeholders() in %s" % (where, unknown, __file__)


def build_playbook(sim):
    table = placeholders(sim)
    # the venv's Python for the modules, as on a controller that runs them with its own
    plays, extra_vars = [], {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    for source, line, text, mark in snippets():
        if mark and mark[0] == "skip":
            continue
        data = yaml.safe_load(text)
        setup, play_vars, seen = [], {}, set()
        for name in (mark[1] if mark else []):
            tasks, variables = table[name]
            for task in tasks:
                if task["name"] not in seen:
                    seen.add(task["name"])
                    setup.append(task)
            play_vars.update(variables)
        title = "snippet %s:%d" % (source, line)
        if all("hosts" in item for item in data):
            for play in data:
                play = dict(play)
                play["name"] = "%s - %s" % (title, play.get("name", "play"))
                play["tasks"] = setup + list(play.get("tasks") or [])
                plays.append(play)
            extra_vars.update(play_vars)    # a play's own vars would hide its snippet's
        else:
            plays.append({"name": title, "hosts": "localhost", "connection": "local", "gather_facts": False,
                          "vars": dict(play_vars, ansible_python_interpreter="{{ ansible_playbook_python }}"),
                          "tasks": setup + data})
    return plays, extra_vars


@pytest.mark.slow
@pytest.mark.parametrize("sim", [{"pve": "9.1", "speed": 50}], indirect=True)
def test_every_snippet_runs_against_the_simulator(sim, run_playbook, tmp_path):
    sim.reset()
    plays, extra_vars = build_playbook(sim)
    path = tmp_path / "snippets.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    run = run_playbook(str(path), extra_vars=extra_vars)
    ran = set(re.findall(r"^PLAY \[(snippet [^\]]+?)(?: - [^\]]*)?\]", run.stdout, re.M))
    assert run.ok, "a snippet failed (the last PLAY line names it):\n%s" % run.stdout[-4000:]
    assert len(ran) == len(plays) or len(ran) == len(set(p["name"].split(" - ")[0] for p in plays)), ran
    assert SNIPPET_PASSWORD not in run.stdout
