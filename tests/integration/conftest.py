# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the integration tests: a simulator per test module, and ansible-playbook bound to it.

    def test_something(sim, run_playbook):          # PVE 9.1, speed 20
        run = run_playbook([{"name": "x", "jotunheim.proxmox.jotun_node_info": {}}])
        assert run.ok, run

    @pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)   # or {"pve": "7.4", "speed": 50}
    def test_on_both(sim, run_playbook): ...

    def test_own(sim_factory):                       # a simulator of its own, stopped after the test
        sim = sim_factory(pve="7.4", speed=5)
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import functools
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Simulator, run_playbook as _run_playbook  # noqa: E402  pylint: disable=wrong-import-position


def _sim_options(request):
    param = getattr(request, "param", None)
    if param is None:
        return {"pve": "9.1"}
    if isinstance(param, dict):
        return dict(param)
    return {"pve": str(param)}


@pytest.fixture(scope="module")
def sim(request):
    options = _sim_options(request)
    options.setdefault("name", request.module.__name__.rsplit(".", 1)[-1])
    simulator = Simulator(**options).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim_factory(request):
    started = []

    def factory(**options):
        options.setdefault("name", request.node.name[:60].replace("/", "_"))
        simulator = Simulator(**options).start()
        started.append(simulator)
        return simulator

    yield factory
    for simulator in started:
        simulator.stop()


@pytest.fixture
def run_playbook(sim):
    return functools.partial(_run_playbook, sim)


@pytest.fixture
def fresh(sim):
    """The simulator back in its seeded state, with no faults."""
    sim.reset()
    return sim
