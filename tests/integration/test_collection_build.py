# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The built collection artifact installs, carries only the collection, documents every module, and its modules run."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import subprocess
import tarfile

import pytest

from harness import REPO, VENV_BIN, ansible_env, localhost_play, run_playbook

MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "plugins", "modules", "jotun_*.py")))


def _run(cmd, env=None, cwd=None):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          env=env, cwd=cwd, check=False)
    assert proc.returncode == 0, "%s\n%s" % (" ".join(cmd), proc.stdout[-3000:])
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    build = tmp_path_factory.mktemp("build")
    _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", REPO, "--output-path", str(build)])
    artifact = glob.glob(str(build / "jotunheim-proxmox-*.tar.gz"))
    assert len(artifact) == 1
    target = tmp_path_factory.mktemp("installed")
    _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(target), artifact[0]])
    return {"artifact": artifact[0], "path": str(target)}


def test_artifact_holds_only_the_collection(installed):
    with tarfile.open(installed["artifact"]) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names  # replaced by MANIFEST.json in a built collection
    assert "MANIFEST.json" in names and "meta/runtime.yml" in names
    for module in MODULES:
        assert "plugins/modules/%s.py" % module in names
    unwanted = [n for n in names if n.split("/")[0] in (".venv", ".tmp", "simulator", "bench", "scripts", ".ci", ".git")]
    assert unwanted == []


def test_every_module_documents_itself(installed):
    env = ansible_env({"ANSIBLE_COLLECTIONS_PATH": installed["path"]})
    out = _run([os.path.join(VENV_BIN, "ansible-doc"), "--json"] + ["jotunheim.proxmox." + m for m in MODULES], env=env)
    docs = json.loads(out)
    assert sorted(docs) == sorted("jotunheim.proxmox." + m for m in MODULES)
    for name, doc in docs.items():
        assert doc["doc"]["short_description"], name
        assert doc["examples"], name
        assert doc["return"], name


def test_inventory_plugin_documents_itself(installed):
    """The plugin's docs include the connection options generated from the modules' doc fragment, env included."""
    env = ansible_env({"ANSIBLE_COLLECTIONS_PATH": installed["path"]})
    out = _run([os.path.join(VENV_BIN, "ansible-doc"), "--json", "-t", "inventory", "jotunheim.proxmox.jotun"], env=env)
    doc = json.loads(out)["jotunheim.proxmox.jotun"]["doc"]
    assert doc["options"]["api_host"]["env"] == [{"name": "PROXMOX_HOST"}]
    assert "env" not in doc["options"]["api_token_secret"]       # credentials: the modules' environment rule
    assert {"keyed_groups", "compose", "cache", "filters", "ansible_host"} <= set(doc["options"])


@pytest.mark.skipif("jotun_node_info" not in MODULES, reason="jotun_node_info not written yet")
def test_installed_module_runs_against_the_simulator(installed, sim, tmp_path):
    playbook = tmp_path / "play.yml"
    import yaml
    playbook.write_text(yaml.safe_dump(localhost_play([
        {"name": "nodes", "jotunheim.proxmox.jotun_node_info": {}, "register": "nodes"},
    ])))
    run = run_playbook(sim, str(playbook), env={"ANSIBLE_COLLECTIONS_PATH": installed["path"]})
    assert run.ok, run
    nodes = run.task("nodes")["nodes"]
    assert sorted(n["node"] for n in nodes) == ["pve1", "pve2"]
