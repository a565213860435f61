# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage windows and sums (usage.py) and orphan selection (backup/orphans.py), without a server."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), *([".."] * 4 + [".tmp", "collections"])))

from ansible_collections.jotunheim.proxmox.plugins.module_utils import usage  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import orphans  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError  # noqa: E402

NOW = 1795000000 + 123     # not on a step boundary


def test_sum_rows_is_rate_times_seconds_inside_the_window():
    rows = [{"time": 0, "netin": 10.0, "netout": 1.5, "diskread": 0, "diskwrite": 2, "cpu": 0.5, "maxcpu": 2},
            {"time": 60, "netin": 20.0, "netout": 0, "diskread": 1, "diskwrite": 0, "cpu": 0.25, "maxcpu": 2},
            {"time": 120}]                                    # no data yet: counts as nothing
    out = usage.sum_rows(rows, 30, 180, 60)
    assert out["netin"] == 10 * 30 + 20 * 60 and out["netout"] == 45 and out["diskread"] == 60
    assert out["diskwrite"] == 60 and out["seconds"] == 90
    assert out["cpu_seconds"] == pytest.approx(0.5 * 2 * 30 + 0.25 * 2 * 60)


@pytest.mark.parametrize("release, period, timeframe, step, complete", [
    ((7, 4), "hour", "hour", 60, True), ((7, 4), "day", "day", 1800, True), ((7, 4), "month", "month", 43200, True),
    ((7, 4), "year", "year", 604800, True), ((9, 1), "hour", "hour", 60, True), ((9, 1), "day", "week", 1800, True),
    ((9, 1), "month", "month", 1800, True), ((9, 1), "year", "year", 21600, False),
])
def test_period_windows_per_release(release, period, timeframe, step, complete):
    window = usage.plan_window(release, NOW, period=period)
    assert (window["timeframe"], window["step"], window["complete"]) == (timeframe, step, complete)
    assert window["until"] % step == 0 and window["until"] <= NOW
    assert window["until"] - window["since"] == usage.PERIOD_SECONDS[period]


def test_since_until_and_errors():
    assert usage.parse_time("7d", NOW, "since") == NOW - 7 * 86400
    assert usage.parse_time("2026-11-01T00:00:00Z", NOW, "since") == 1793491200
    assert usage.parse_time("2026-11-01", NOW, "since") == 1793491200
    assert usage.parse_time("1793491200", NOW, "since") == 1793491200
    with pytest.raises(InputError) as err:
        usage.parse_time("yesterday", NOW, "until")
    assert err.value.option == "until"
    window = usage.plan_window((7, 4), NOW, since=NOW - 7200)
    assert window["timeframe"] == "day" and window["until"] == NOW
    with pytest.raises(InputError) as err:
        usage.plan_window((9, 1), NOW, since=NOW, until=NOW - 1)
    assert err.value.option == "until"
    with pytest.raises(InputError) as err:
        usage.plan_window((9, 1), NOW)
    assert err.value.option == "period"


def test_orphans_keep_protected_and_young():
    found = [{"volid": "a", "vmid": 1, "ctime": NOW - 40 * 86400, "protected": False},
             {"volid": "b", "vmid": 2, "ctime": NOW - 40 * 86400, "protected": False},
             {"volid": "c", "vmid": 2, "ctime": NOW - 40 * 86400, "protected": True},
             {"volid": "d", "vmid": 2, "ctime": NOW - 86400, "protected": False},
             {"volid": "e", "vmid": None, "ctime": NOW - 40 * 86400, "protected": False}]
    marked = orphans.mark_orphans(found, {1})
    assert [a["orphan"] for a in marked] == [False, True, True, True, False]
    delete, kept = orphans.select_prunable(marked, 30 * 86400, NOW)
    assert [a["volid"] for a in delete] == ["b"]
    assert [(a["volid"], a["reason"]) for a in kept] == [("c", "protected"), ("d", "young")]
