"""Fixtures: a pvesim subprocess per release (module scope), reset before each test, with helpers."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from simsupport import LOG_DIR_ENV, SPEED, Sim  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import


def _log_dir(tmp_path_factory):
    path = os.environ.get(LOG_DIR_ENV) or str(tmp_path_factory.getbasetemp())
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def sim_logs(tmp_path_factory):
    """The directory every simulator of this session writes its request log to."""
    return _log_dir(tmp_path_factory)


def _running(release, sim_logs):
    """A started simulator of `release` for the fixture's scope, stopped after it."""
    sim = Sim(release, sim_logs)
    yield sim
    sim.stop()


@pytest.fixture(scope="module", params=["7.4", "9.1"])
def any_sim(request, sim_logs):
    yield from _running(request.param, sim_logs)


@pytest.fixture(scope="module", params=["8.0", "8.4"])
def sim8x(request, sim_logs):
    """A PVE 8.0 and a PVE 8.4 simulator (reset before each test), for behaviour that changed within 8.x."""
    yield from _running(request.param, sim_logs)


@pytest.fixture(scope="module")
def sim91(sim_logs):
    yield from _running("9.1", sim_logs)


@pytest.fixture(scope="module")
def sim74(sim_logs):
    yield from _running("7.4", sim_logs)


@pytest.fixture(scope="module")
def sim80(sim_logs):
    yield from _running("8.0", sim_logs)


@pytest.fixture(scope="module")
def sim84(sim_logs):
    yield from _running("8.4", sim_logs)


@pytest.fixture
def sim(sim91):
    sim91.reset()
    return sim91


@pytest.fixture
def sim7(sim74):
    sim74.reset()
    return sim74


@pytest.fixture
def fresh(any_sim):
    any_sim.reset()
    return any_sim


@pytest.fixture
def sim8(sim8x):
    sim8x.reset()
    return sim8x
