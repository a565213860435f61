# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The acceptance suite (tests/acceptance, docs/acceptance.md) itself works: run against the simulator through the
same PROXMOX_ACCEPTANCE_* variables an operator sets, it passes, writes only to vmids of its range, removes a
leftover of an earlier run, and never touches a guest outside the range or without the prefix."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import subprocess
import sys

import pytest

from harness import COLLECTIONS, REPO, Simulator

FIRST, LAST = 900100, 900199
SCENARIOS = ("test_build_once_while_parallel_runs_find_the_clone", "test_resize_by_absolute_size_grows_once",
             "test_power_start_stop_and_shutdown_of_a_stopped_server", "test_backup_and_restore_to_a_new_vmid",
             "test_destroy")


def write_vmid(entry):
    """The vmid a write request acts on (for a clone: the new one), or None when it names none."""
    path, params = entry["path"], entry.get("params") or {}
    if path.endswith("/clone"):
        return int(params["newid"])
    if re.search(r"/nodes/[^/]+/(vzdump|qemu)$", path):
        return int(params["vmid"])
    match = re.search(r"/qemu/(\d+)(/|$)", path) or re.search(r"/content/[^/]*vzdump-qemu-(\d+)-", path)
    return int(match.group(1)) if match else None


def clone_from_template(sim, newid, name):
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=newid, name=name, full=0))


def run_suite(sim):
    """pytest tests/acceptance in a subprocess, configured the way an operator does it; (returncode, output)."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("PROXMOX_"))
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "PROXMOX_ACCEPTANCE_HOST": sim.info["host"],
        "PROXMOX_ACCEPTANCE_PORT": str(sim.info["port"]),
        "PROXMOX_ACCEPTANCE_TOKEN_ID": sim.info["token_id"],
        "PROXMOX_ACCEPTANCE_TOKEN_SECRET": sim.info["token_secret"],
        "PROXMOX_ACCEPTANCE_CA_PATH": sim.ca_cert,
        "PROXMOX_ACCEPTANCE_TEMPLATE": "debian-12",
        "PROXMOX_ACCEPTANCE_NODE": "pve1",
        "PROXMOX_ACCEPTANCE_STORAGE": "local-lvm",
        "PROXMOX_ACCEPTANCE_BACKUP_STORAGE": "local",
        "PROXMOX_ACCEPTANCE_VMIDS": "%d-%d" % (FIRST, LAST),
        "PROXMOX_ACCEPTANCE_WAIT_TIMEOUT": "300",
    })
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA",
                           os.path.join("tests", "acceptance")], cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=900, check=False)
    return proc.returncode, proc.stdout


def guest_names(sim):
    return dict((g["vmid"], g["config"].get("name")) for g in sim.state()["guests"])


@pytest.mark.slow
def test_acceptance_suite_passes_against_the_simulator_and_stays_in_its_range():
    sim = Simulator(pve="9.1", speed=20, name="acceptance").start()
    try:
        clone_from_template(sim, 900150, "customer-web")           # in the range, without the prefix
        clone_from_template(sim, 150, "jotun-acc-outside")         # with the prefix, outside the range
        clone_from_template(sim, 900199, "jotun-acc-leftover")     # a leftover of an interrupted run
        sim.fault(kind="task_duration", type="qmclone", seconds=200, count=1)   # the build's clone: ~10 s
        mark = sim.mark()
        returncode, output = run_suite(sim)
        assert returncode == 0, output[-6000:]
        for scenario in SCENARIOS:
            assert "PASSED tests/acceptance/test_acceptance.py::" + scenario in output, output[-6000:]
        assert not re.search(r"\b(skipped|failed|errors?)\b", output), output[-6000:]

        writes = sim.writes(mark)
        targets = [(w["method"], w["path"], write_vmid(w)) for w in writes]
        assert writes and all(vmid is not None and FIRST <= vmid <= LAST for unused, unused_path, vmid in targets), targets
        assert not [t for t in targets if t[2] in (900150, 150)]
        clones = [w for w in writes if w["path"].endswith("/clone") and w["status"] == 200]
        assert [int(w["params"]["newid"]) for w in clones] == [FIRST]                # built once
        assert any(w["method"] == "DELETE" and "/qemu/900199" in w["path"] for w in writes)   # leftover removed
        assert any("/vzdump" in w["path"] for w in writes) and any(w["path"].endswith("/nodes/pve1/qemu") for w in writes)
        names = guest_names(sim)
        assert names.get(900150) == "customer-web" and names.get(150) == "jotun-acc-outside"
        assert not [v for v in names if FIRST <= v <= LAST and v != 900150]            # everything of the run is gone
    finally:
        sim.stop()


@pytest.mark.slow
def test_acceptance_finaliser_removes_the_server_after_a_failure():
    """The build fails after its clone (its disk resize task fails): the run fails, and the finaliser still destroys the
    half-built server of the range, and only it."""
    sim = Simulator(pve="9.1", speed=20, name="acceptance-failure").start()
    try:
        clone_from_template(sim, 900150, "customer-web")
        sim.fault(kind="task_fail", type="resize", message="resize failed - injected by the test", count=0)
        mark = sim.mark()
        returncode, output = run_suite(sim)
        assert returncode != 0 and re.search(r"\b1 failed\b", output) and re.search(r"\b4 skipped\b", output) \
            and "FAILED tests/acceptance/test_acceptance.py::" + SCENARIOS[0] in output, output[-6000:]
        writes = sim.writes(mark)
        assert any(w["path"].endswith("/clone") for w in writes)
        assert [w for w in writes if w["method"] == "DELETE"][-1]["path"].endswith("/qemu/%d" % FIRST)
        assert all(FIRST <= write_vmid(w) <= LAST and write_vmid(w) != 900150 for w in writes)
        names = guest_names(sim)
        assert FIRST not in names and names.get(900150) == "customer-web"
    finally:
        sim.stop()
