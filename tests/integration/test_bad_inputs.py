# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bad-input suite (issue 13): every module refuses every input of bad_inputs.py whole, before any write.

One playbook per module (one task per input, ignore_errors) against one simulator; the request log is read once
per module and each write is put down to the task that was running when it came (the results carry their time).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import socket

import pytest

import bad_inputs
from harness import REPO

DOC = os.path.join(REPO, "docs", "validation.md")
# what an exception the module did not turn into fail_json looks like (ansible-core 2.15 to 2.19)
TRACEBACK_MARKS = ("Traceback (most recent call last)", "MODULE FAILURE", "Module failed:")


@pytest.fixture(scope="module")
def prepared(sim):
    """The simulator with server srv1 and one archive of it; returns the archive's volid."""
    sim.reset()
    upid = sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=bad_inputs.SERVER_VMID, name=bad_inputs.SERVER, full=1)
    sim.wait_task(upid)
    upid = sim.api("POST", "/nodes/pve1/vzdump", vmid=bad_inputs.SERVER_VMID, storage="local", remove=0)
    sim.wait_task(upid)
    content = sim.api("GET", "/nodes/pve1/storage/local/content", content="backup")
    return [c["volid"] for c in content if c.get("vmid") == bad_inputs.SERVER_VMID][0]


def _substitute(args, volid):
    return dict((key, volid if value == "ARCHIVE" else value) for key, value in args.items())


def _writes_by_task(writes, results):
    """{task name: [writes]}: a write belongs to the first task whose result came after it."""
    found = {}
    for write in writes:
        for result in results:
            if result["time"] >= write["time"]:
                found.setdefault(result["task"], []).append(write)
                break
    return found


def _problems(result, status, option, writes):
    problems = []
    text = " ".join(str(result.get(key) or "") for key in ("msg", "module_stderr", "module_stdout", "exception"))
    if status == "ok":
        problems.append("succeeded")
    if any(mark in text for mark in TRACEBACK_MARKS) or result.get("module_stderr"):
        problems.append("traceback")
    if option not in str(result.get("msg") or ""):
        problems.append("message does not name %s" % option)
    if result.get("changed"):
        problems.append("changed: true")
    if writes:
        problems.append("wrote %s" % ", ".join("%s %s" % (w["method"], w["path"]) for w in writes))
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("module", bad_inputs.MODULES)
def test_bad_inputs_are_refused_before_any_write(sim, run_playbook, prepared, module):
    cases = bad_inputs.cases(module)
    tasks = [{"name": "case %02d: %s" % (index, label), "jotunheim.proxmox.%s" % module: _substitute(args, prepared),
              "ignore_errors": True}
             for index, (label, args, _option) in enumerate(cases)]
    mark = sim.mark()
    run = run_playbook(tasks, play_vars={"ansible_python_interpreter": "{{ ansible_playbook_python }}"})
    results = sorted(run.results, key=lambda r: r["time"])
    assert len(results) == len(cases), run
    writes = _writes_by_task(sim.writes(mark), results)
    report, refused, wrong = [], 0, 0
    for index, (label, _args, option) in enumerate(cases):
        name = "case %02d: %s" % (index, label)
        entry = [r for r in results if r["task"] == name][0]
        problems = _problems(entry["result"], entry["status"], option, writes.get(name))
        if entry["status"] == "ok":
            wrong += 1
        elif not writes.get(name):
            refused += 1
        if problems:
            report.append("%s -> %s: %s" % (name, "; ".join(problems), str(entry["result"].get("msg"))[:300]))
    row = "| %s | %d | %d (%d %%) | %d |" % (module, len(cases), refused, 100 * refused // len(cases), wrong)
    assert not report, "\n".join([row] + report)
    with open(DOC) as handle:
        assert row in handle.read().splitlines(), "docs/validation.md is stale: %s" % row


def test_validation_doc_is_generated_from_the_cases():
    with open(DOC) as handle:
        assert handle.read() == bad_inputs.render(), "run: python tests/integration/bad_inputs.py > docs/validation.md"


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_every_module_fails_fast_when_nothing_answers(sim, run_playbook):
    """No Proxmox VE at api_host:api_port: every module fails after a few connection attempts, not at wait_timeout
    (an hour here; the playbook's own timeout would end the test long before)."""
    args = {"api_port": _closed_port(), "wait_timeout": 3600}
    own = {"jotun_server": {"name": "srv1"}, "jotun_disk_resize": {"name": "srv1", "size": "3G"},
           "jotun_backup": {"name": "srv1", "storage": "local"}, "jotun_task": {"upids": [bad_inputs.BAD_UPID]}}
    tasks = [{"name": module, "jotunheim.proxmox.%s" % module: dict(own.get(module, {}), **args), "ignore_errors": True}
             for module in bad_inputs.MODULES]
    for task in tasks:
        if task["name"] not in bad_inputs.WAITING:
            task["jotunheim.proxmox.%s" % task["name"]].pop("wait_timeout")
    run = run_playbook(tasks, timeout=300)
    for module in bad_inputs.MODULES:
        result = run.task(module)
        assert run.status(module) == "ignored" and result.get("changed") is False, (module, result)
        assert "could not connect" in result["msg"] and "gave up after 3 attempts" in result["msg"], (module, result)


def test_validate_certs_false_warns_once(sim, run_playbook):
    run = run_playbook([{"name": "look", "jotunheim.proxmox.jotun_node_info": {"validate_certs": False}}])
    assert run.ok, run
    warnings = run.task("look").get("warnings") or []
    assert len(warnings) == 1 and "validate_certs" in warnings[0], warnings
    assert "InsecureRequestWarning" not in run.stdout
