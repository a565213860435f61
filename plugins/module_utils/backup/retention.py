# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which backup archives a keep-* retention policy removes: pure functions, no API calls.

The rules follow Proxmox VE's own pruning (`prune-backups`): archives are taken newest first; `keep_last` keeps the
N newest; every other option keeps the newest archive of each of the N most recent time periods (hour, day, ISO week,
month, year) that no earlier rule already covered. Protected archives and archives whose name does not follow the
vzdump naming scheme are never removed and never count towards a rule. Neither are the archives that appeared while
this run's backup ran (``fresh``): another backup of the same guest (a parallel run, queued with ours on the node)
made them, and its own rotation decides about them. Periods are computed in UTC.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import time

KEEP_OPTIONS = ("keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")

KEEP = "keep"
REMOVE = "remove"
PROTECTED = "protected"
RENAMED = "renamed"
NEW = "new"  # the archive just made: never removed
NEWER = "newer"  # appeared while this run's backup ran (another run's backup): never removed by this rotation


def _period_key(option, ctime):
    if option == "keep_last":
        return None
    moment = time.gmtime(ctime)
    if option == "keep_hourly":
        return time.strftime("%Y-%m-%d %H", moment)
    if option == "keep_daily":
        return time.strftime("%Y-%m-%d", moment)
    if option == "keep_weekly":
        year, week, _weekday = datetime.date(moment.tm_year, moment.tm_mon, moment.tm_mday).isocalendar()
        return "%04d-W%02d" % (year, week)
    if option == "keep_monthly":
        return time.strftime("%Y-%m", moment)
    return time.strftime("%Y", moment)


def policy_from_params(params):
    """The positive keep-* options among `params` (a module's params): {"keep_last": 2, ...}."""
    return dict((name, params[name]) for name in KEEP_OPTIONS if params.get(name))


def policy_string(policy):
    """{"keep_last": 2, "keep_daily": 7} -> "keep-daily=7,keep-last=2" (the API's prune-backups format)."""
    return ",".join("%s=%d" % (name.replace("_", "-"), policy[name]) for name in sorted(policy))


def _apply_rule(entries, marks, option, count):
    """Mark as kept the newest unmarked archive of each of `count` new periods (keep_last: each archive is a period)."""
    def key_of(index):
        return index if option == "keep_last" else _period_key(option, entries[index]["ctime"])

    covered = set(key_of(i) for i in range(len(entries)) if marks[i] == KEEP)
    chosen = set()
    for index in range(len(entries)):
        if marks[index] is not None:
            continue
        key = key_of(index)
        if key in covered:
            continue
        if key in chosen:
            marks[index] = REMOVE
            continue
        if len(chosen) >= count:
            break
        chosen.add(key)
        marks[index] = KEEP


def mark_archives(archives, policy, new_volid=None, fresh=()):
    """Decide for each archive of ONE guest on ONE storage whether `policy` keeps it.

    archives: dicts with at least volid, ctime, protected, standard (name follows the vzdump scheme).
    new_volid: the archive just made; it is always kept and, unless protected, counts as the newest.
    fresh: volids that appeared while it was made (another run's backups): never removed, never counted.
    Returns a list of (archive, mark) newest first, mark one of keep, remove, protected, renamed, new, newer.
    """
    entries = sorted(archives, key=lambda a: (a["volid"] == new_volid, a["ctime"], a["volid"]), reverse=True)
    marks = []
    for archive in entries:
        if archive["volid"] in fresh and archive["volid"] != new_volid:
            marks.append(NEWER)
        elif archive["volid"] == new_volid and not archive.get("protected"):
            marks.append(None)  # sorted first, so the first positive rule keeps it
        elif archive.get("protected"):
            marks.append(PROTECTED)
        elif not archive.get("standard", True):
            marks.append(RENAMED)
        else:
            marks.append(None)
    if not policy:
        marks = [m or KEEP for m in marks]
    for option in KEEP_OPTIONS:
        if policy.get(option):
            _apply_rule(entries, marks, option, policy[option])
    result = []
    for archive, mark in zip(entries, marks):
        if archive["volid"] == new_volid:
            mark = NEW
        result.append((archive, mark or REMOVE))
    return result


def archives_to_remove(archives, policy, new_volid=None, fresh=()):
    """The archives `policy` removes (never new_volid, never one in `fresh`, never a protected or renamed one),
    newest first."""
    if not policy:
        return []
    return [archive for archive, mark in mark_archives(archives, policy, new_volid, fresh) if mark == REMOVE]
