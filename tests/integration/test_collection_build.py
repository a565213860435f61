# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The built collection artifact installs, carries only the collection (with its licence and changelog, without the
tests that need the simulator), documents every module, its modules run, and it builds into an execution
environment: `ansible-builder create` on ee/execution-environment.yml, the collection installed from that build
context as the image's galaxy stage does, and `ansible-builder introspect` finding proxmoxer and requests."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import shutil
import subprocess
import tarfile
import tempfile

import pytest
import yaml

from harness import REPO, VENV_BIN, ansible_env, localhost_play, run_playbook

MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "plugins", "modules", "jotun_*.py")))


def _run(cmd, env=None, cwd=None):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          env=env, cwd=cwd, check=False)
    assert proc.returncode == 0, "%s\n%s" % (" ".join(cmd), proc.stdout[-3000:])
    return proc.stdout


def _scratch(prefix):
    """A private directory under the checkout's .tmp (never ~/.ansible), removed by the caller."""
    parent = os.path.join(REPO, ".tmp")
    if not os.path.isdir(parent):
        os.makedirs(parent)
    return tempfile.mkdtemp(prefix=prefix, dir=parent)


@pytest.fixture(scope="module")
def installed():
    build = _scratch("build-")
    target = _scratch("installed-")
    _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", REPO, "--output-path", build])
    artifact = glob.glob(os.path.join(build, "jotunheim-proxmox-*.tar.gz"))
    assert len(artifact) == 1
    _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", target,
          artifact[0]])
    yield {"artifact": artifact[0], "path": target}
    shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)


def test_artifact_holds_only_the_collection(installed):
    with tarfile.open(installed["artifact"]) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names  # replaced by MANIFEST.json in a built collection
    assert "MANIFEST.json" in names and "meta/runtime.yml" in names
    for module in MODULES:
        assert "plugins/modules/%s.py" % module in names
    left_out = (".venv", ".tmp", "simulator", "bench", "scripts", ".ci", ".git", "ee", "pytest.ini")
    unwanted = [n for n in names if n.split("/")[0] in left_out]
    assert unwanted == []
    assert "LICENSE" in names and "CHANGELOG.md" in names and "changelogs/changelog.yaml" in names
    with tarfile.open(installed["artifact"]) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        licence = tar.extractfile("LICENSE").read().decode("utf-8")
    assert manifest["collection_info"]["license_file"] == "LICENSE"
    assert "GNU GENERAL PUBLIC LICENSE" in licence and "Version 3, 29 June 2007" in licence
    # tests that need the simulator, a cluster or the schema checker stay out; the unit tests ship and run from it
    shipped_tests = sorted(set(n.split("/")[1] for n in names if n.startswith("tests/") and n.count("/") > 1))
    assert shipped_tests == ["unit"], shipped_tests
    assert not [n for n in names if n.startswith("tests/") and n.count("/") == 1 and n.endswith(".py")]


def test_shipped_unit_tests_run_from_the_installed_collection(installed):
    root = os.path.join(installed["path"], "ansible_collections", "jotunheim", "proxmox")
    env = dict(os.environ, PYTHONPATH=installed["path"])
    out = _run([os.path.join(VENV_BIN, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                "--rootdir", root, "-o", "addopts=", "tests/unit"], env=env, cwd=root)
    assert " passed" in out and "error" not in out.splitlines()[-1]


@pytest.mark.skipif(not os.path.exists(os.path.join(VENV_BIN, "ansible-builder")),
                    reason="ansible-builder is installed in .venv only (requirements/dev.txt), not in the version "
                           "matrix's venvs: the main pytest step runs this test")
def test_execution_environment_finds_what_the_modules_need(installed):
    """As an image build does it: ee/ plus the artifact, `ansible-builder create` (no container runtime needed), the
    collection installed from the context's requirements.yml in _build/ (the galaxy stage), then introspection."""
    work = _scratch("ee-")
    try:
        ee_dir = os.path.join(work, "ee")
        shutil.copytree(os.path.join(REPO, "ee"), ee_dir)
        shutil.copy(installed["artifact"], ee_dir)
        context = os.path.join(work, "context")
        _run([os.path.join(VENV_BIN, "ansible-builder"), "create", "-f", os.path.join(ee_dir, "execution-environment.yml"),
              "-c", context, "--output-filename", "Containerfile"])
        build = os.path.join(context, "_build")
        with open(os.path.join(build, "requirements.yml")) as handle:
            wanted = yaml.safe_load(handle)["collections"][0]["name"]
        assert os.path.isfile(os.path.join(build, wanted)), "ee/requirements.yml names %s: not the built artifact" % wanted
        with open(os.path.join(context, "Containerfile")) as handle:
            containerfile = handle.read()
        assert "introspect" in containerfile and "ansible-galaxy collection install" in containerfile
        collections = os.path.join(work, "collections")
        _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force", "-r",
              "requirements.yml", "-p", collections], cwd=build)
        out = _run([os.path.join(VENV_BIN, "ansible-builder"), "introspect", collections])
        data = yaml.safe_load(out[out.index("python:"):]) if "python:" in out else {}
        ours = "# from collection jotunheim.proxmox"
        python = [req.split("#")[0].strip() for req in data.get("python") or [] if req.endswith(ours)]
        system = [req.split("#")[0].strip() for req in data.get("system") or [] if req.endswith(ours)]
        assert any(req.startswith("proxmoxer") for req in python), out
        assert any(req.startswith("requests") for req in python), out
        assert any(req.startswith("ca-certificates") for req in system), out
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
