# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which archives a keep-* policy removes (backup_retention)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), *([".."] * 4 + [".tmp", "collections"])))

from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup import retention as r  # noqa: E402

HOUR = 3600
DAY = 24 * HOUR


def epoch(text):
    return calendar.timegm(tuple(int(x) for x in text.replace("-", " ").replace(":", " ").replace("T", " ").split()) + (0, 0, 0))


def archive(when, protected=False, standard=True, vmid=100):
    ctime = epoch(when) if isinstance(when, str) else when
    return {"volid": "local:backup/vzdump-qemu-%d-%d.vma.zst" % (vmid, ctime), "ctime": ctime,
            "protected": protected, "standard": standard}


def removed(archives, policy, new=None):
    return [a["volid"] for a in r.archives_to_remove(archives, policy, new)]


def test_keep_last_keeps_newest_two_of_five():
    five = [archive(1000 + i * HOUR) for i in range(5)]
    assert removed(five, {"keep_last": 2}) == [five[2]["volid"], five[1]["volid"], five[0]["volid"]]


def test_new_archive_counts_as_one_of_the_last_and_is_never_removed():
    five = [archive(1000 + i * HOUR) for i in range(5)]
    gone = removed(five, {"keep_last": 2}, new=five[4]["volid"])
    assert five[4]["volid"] not in gone and five[3]["volid"] not in gone and len(gone) == 3


def test_new_archive_kept_even_when_clock_makes_it_look_older():
    five = [archive(1000 + i * HOUR) for i in range(5)]
    gone = removed(five, {"keep_last": 1}, new=five[0]["volid"])
    assert five[0]["volid"] not in gone
    assert len(gone) == 4


def test_protected_archives_neither_removed_nor_counted():
    arcs = [archive(1000 + i * HOUR, protected=(i in (3, 0))) for i in range(5)]
    gone = removed(arcs, {"keep_last": 2})
    # kept: 4 and 2 (the two newest unprotected); protected 3 and 0 stay; only 1 goes
    assert gone == [arcs[1]["volid"]]


def test_protected_new_archive_does_not_use_a_keep_last_slot():
    arcs = [archive(1000 + i * HOUR) for i in range(4)] + [archive(1000 + 4 * HOUR, protected=True)]
    gone = removed(arcs, {"keep_last": 2}, new=arcs[4]["volid"])
    assert gone == [arcs[1]["volid"], arcs[0]["volid"]]


def test_renamed_archives_are_never_removed():
    arcs = [archive(1000 + i * HOUR, standard=(i != 0)) for i in range(3)]
    assert removed(arcs, {"keep_last": 1}) == [arcs[1]["volid"]]


def test_keep_daily_keeps_newest_of_each_day():
    arcs = [archive("2026-11-24T01:00:00"), archive("2026-11-24T20:00:00"),
            archive("2026-11-25T03:00:00"), archive("2026-11-25T04:00:00"),
            archive("2026-11-26T05:00:00")]
    gone = removed(arcs, {"keep_daily": 2})
    assert gone == [arcs[2]["volid"], arcs[1]["volid"], arcs[0]["volid"]]


def test_keep_last_then_daily_does_not_double_count_a_covered_day():
    arcs = [archive("2026-11-24T01:00:00"), archive("2026-11-25T03:00:00"),
            archive("2026-11-26T04:00:00"), archive("2026-11-26T05:00:00")]
    # keep_last 1 keeps 11-26 05:00; that day is covered, so keep_daily 2 keeps 11-25 and 11-24
    assert removed(arcs, {"keep_last": 1, "keep_daily": 2}) == [arcs[2]["volid"]]


def test_keep_weekly_monthly_yearly():
    arcs = [archive("2024-06-01T00:00:00"), archive("2025-01-05T00:00:00"), archive("2025-01-20T00:00:00"),
            archive("2025-03-01T00:00:00"), archive("2025-03-02T00:00:00")]
    assert removed(arcs, {"keep_yearly": 5}) == [arcs[3]["volid"], arcs[2]["volid"], arcs[1]["volid"]]
    assert removed(arcs, {"keep_monthly": 2}) == [arcs[3]["volid"], arcs[1]["volid"], arcs[0]["volid"]]
    # 2025-03-01 (Sat) and 2025-03-02 (Sun) share ISO week 2025-W09
    assert removed(arcs, {"keep_weekly": 10}) == [arcs[3]["volid"]]


def test_keep_hourly():
    arcs = [archive("2026-11-26T05:10:00"), archive("2026-11-26T05:50:00"), archive("2026-11-26T06:05:00")]
    assert removed(arcs, {"keep_hourly": 5}) == [arcs[0]["volid"]]


def test_empty_policy_removes_nothing():
    five = [archive(1000 + i * HOUR) for i in range(5)]
    assert removed(five, {}) == []
    assert all(pair[1] == r.KEEP for pair in r.mark_archives(five, {}))


def test_policy_helpers():
    params = {"keep_last": 2, "keep_daily": None, "keep_weekly": 0, "keep_yearly": 1, "other": 5}
    policy = r.policy_from_params(params)
    assert policy == {"keep_last": 2, "keep_yearly": 1}
    assert r.policy_string(policy) == "keep-last=2,keep-yearly=1"


def test_marks_report_new_and_protected():
    arcs = [archive(1000), archive(2000, protected=True), archive(3000)]
    marks = dict((a["volid"], m) for a, m in r.mark_archives(arcs, {"keep_last": 1}, new_volid=arcs[2]["volid"]))
    assert marks == {arcs[2]["volid"]: r.NEW, arcs[1]["volid"]: r.PROTECTED, arcs[0]["volid"]: r.REMOVE}


def test_an_archive_another_run_made_meanwhile_is_never_removed():
    """Two backups of one guest ran one after the other (vzdump queues them per node): the first run's rotation,
    listing after the second finished, keeps its own archive and leaves the other run's to that run."""
    old, ours, theirs = archive(1000), archive(1000 + HOUR), archive(1000 + 2 * HOUR)
    fresh = [ours["volid"], theirs["volid"]]
    assert [a["volid"] for a in r.archives_to_remove([old, ours, theirs], {"keep_last": 1}, ours["volid"], fresh)] \
        == [old["volid"]]
    marks = dict((a["volid"], m) for a, m in r.mark_archives([old, ours, theirs], {"keep_last": 1}, ours["volid"],
                                                             fresh))
    assert marks[theirs["volid"]] == r.NEWER and marks[ours["volid"]] == r.NEW
    protected = archive(500, protected=True)
    assert protected["volid"] not in removed([protected, old, ours], {"keep_last": 1}, new=ours["volid"])
