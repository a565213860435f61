# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Servers' usage for billing: network and disk bytes and CPU time over a period, from Proxmox's RRD data.

``GET /nodes/{node}/qemu/{vmid}/rrddata?timeframe=..&cf=..`` (qemu-server API2/Qemu.pm rrddata, PVE::RRD
create_rrd_data) gives rows ``{time, netin, netout, diskread, diskwrite, cpu, maxcpu, ...}``: each row holds the
rate consolidated over the step [time, time + step) - bytes per second for the four counters (RRD DERIVE data
sources, pmxcfs status.c rrd_def_vm), ``cpu`` the fraction of ``maxcpu`` cores. Bytes are summed as
rate x the seconds of the step inside the window; CPU time as cpu x maxcpu x seconds. Rows without a value (the
guest did not exist yet, or the RRD had no update) count as nothing.

The steps differ per release (pmxcfs rrd_def_vm / rrd_def_vm_pve9_0 and PVE/RRD.pm $setup):
7.x/8.x ("pve2" layout): 70 rows each of 1 min (hour), 30 min (day), 3 h (week), 12 h (month), 1 week (year);
9.x: hour 60 x 1 min, day 1440 x 1 min, week 336 x 30 min, month 1440 x 30 min, year 1440 x 6 h. A window is
read from the timeframe with the fewest rows among those whose rows reach back to its start (9.x: a day from the
week rows, 336 of 30 min, not 1440 of 1 min): each row's bytes are exact, so only a partly covered first or last
step is pro-rated.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import re
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server.facts import (
    check_filters, select_guests, without_reservations)

TIMEFRAMES = ("hour", "day", "week", "month", "year")
LAYOUT_PVE2 = {"hour": (60, 70), "day": (1800, 70), "week": (10800, 70), "month": (43200, 70),
               "year": (604800, 70)}
LAYOUT_PVE9 = {"hour": (60, 60), "day": (60, 1440), "week": (1800, 336), "month": (1800, 1440),
               "year": (21600, 1440)}
PERIOD_SECONDS = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}
COUNTERS = ("netin", "netout", "diskread", "diskwrite")
DEFAULT_CONCURRENCY = 8
_RELATIVE = re.compile(r"^-?(\d+)\s*([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def layout(release):
    """{timeframe: (step seconds, rows)} of a release ((major, minor))."""
    return LAYOUT_PVE9 if tuple(release) >= (9, 0) else LAYOUT_PVE2


def parse_time(value, now, option):
    """Epoch seconds from an int/epoch string, an ISO 8601 UTC time ("2026-11-01T00:00:00Z", "2026-11-01") or an
    age before ``now`` ("90m", "36h", "7d", "2w"). InputError naming ``option`` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    match = _RELATIVE.match(text)
    if match:
        return int(now - int(match.group(1)) * _UNIT[match.group(2)])
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return int(calendar.timegm(time.strptime(text, fmt)))
        except ValueError:
            continue
    raise InputError("%s: %r is not a time: give epoch seconds, an ISO 8601 UTC time such as 2026-11-01T00:00:00Z, "
                     "or an age such as 36h or 7d" % (option, value), option=option)


def _covering(release, now, since):
    """The timeframes whose rows, ending at the last whole step before ``now``, reach back to ``since``."""
    out = []
    for name in TIMEFRAMES:
        step, rows = layout(release)[name]
        if step * int(now // step) - step * rows <= since:
            out.append(name)
    return out


def choose_timeframe(release, now, since):
    """(timeframe, step, complete): of the timeframes that reach back to ``since``, the one with the fewest rows
    (the finest step among equals) - every step's bytes are exact, so fewer rows cost less and lose nothing inside
    the window; the year timeframe with complete False when none reaches back that far."""
    steps = layout(release)
    covering = _covering(release, now, since)
    if not covering:
        return "year", steps["year"][0], False
    name = min(covering, key=lambda n: (steps[n][1], steps[n][0]))
    return name, steps[name][0], True


def plan_window(release, now, period=None, since=None, until=None):
    """The window to sum: {since, until, timeframe, step, complete}. A period ends at the last whole step of the
    timeframe read (so it is whole rows); since/until are used as given (until defaults to now)."""
    if period:
        length = PERIOD_SECONDS[period]
        steps = layout(release)
        covering = [n for n in TIMEFRAMES if steps[n][0] * steps[n][1] >= length]
        complete = bool(covering)
        name = min(covering, key=lambda n: (steps[n][1], steps[n][0])) if covering else "year"
        step = steps[name][0]
        end = step * int(now // step)
        return {"since": end - length, "until": end, "timeframe": name, "step": step, "complete": complete}
    if since is None:
        raise InputError("period: give period, or since (and until) for a window", option="period")
    until = now if until is None else until
    if until <= since:
        raise InputError("until: the window must end after it starts (since %d, until %d)" % (since, until),
                         option="until")
    name, step, complete = choose_timeframe(release, now, since)
    return {"since": since, "until": until, "timeframe": name, "step": step, "complete": complete}


def sum_rows(rows, since, until, step):
    """Totals of RRD rows over [since, until): {netin, netout, diskread, diskwrite: bytes (int), cpu_seconds
    (float, core-seconds), seconds (covered by rows with data)}. Each row counts for the part of its step inside
    the window."""
    totals = dict((name, 0.0) for name in COUNTERS)
    cpu_seconds, covered = 0.0, 0
    for row in rows or []:
        start = int(row.get("time", 0))
        overlap = min(start + step, until) - max(start, since)
        if overlap <= 0 or row.get("netin") is None:
            continue
        covered += overlap
        for name in COUNTERS:
            totals[name] += float(row.get(name) or 0) * overlap
        cpu_seconds += float(row.get("cpu") or 0) * float(row.get("maxcpu") or 0) * overlap
    out = dict((name, int(round(value))) for name, value in totals.items())
    out.update(cpu_seconds=round(cpu_seconds, 3), seconds=covered)
    return out


def read_rrd(client, guest, timeframe, cf="AVERAGE", deadline=None):
    """GET the rrddata rows of one guest (list of dicts)."""
    path = api_path("nodes", guest["node"], "qemu", str(guest["vmid"]), "rrddata")
    return client.get(path, params={"timeframe": timeframe, "cf": cf}, deadline=deadline) or []


def server_usage(client, guest, window, cf="AVERAGE", deadline=None):
    """One server's usage dict: vmid, name, node, status, the totals of ``sum_rows`` and ``cpu_average`` (the mean
    fraction of its cores over the covered seconds); ``error`` (str) instead of totals when its RRD could not be read."""
    out = {"vmid": int(guest["vmid"]), "name": guest.get("name"), "node": guest.get("node"),
           "status": guest.get("status"), "pool": guest.get("pool"), "error": None}
    try:
        rows = read_rrd(client, guest, window["timeframe"], cf=cf, deadline=deadline)
    except ProxmoxError as err:
        out.update((name, None) for name in COUNTERS + ("cpu_seconds", "seconds"))
        out.update(cpu_average=None, error=err.message)
        return out
    out.update(sum_rows(rows, window["since"], window["until"], window["step"]))
    maxcpu = max([float(r.get("maxcpu") or 0) for r in rows] or [0])
    out["cpu_average"] = round(out["cpu_seconds"] / (maxcpu * out["seconds"]), 6) if maxcpu and out["seconds"] else 0.0
    return out


def gather_usage(client, vmids=None, names=None, tags=None, pools=None, nodes=None, period=None, since=None,
                 until=None, cf="AVERAGE", include_stopped=True, concurrency=DEFAULT_CONCURRENCY, deadline=None):
    """Usage of every matching server (templates left out), guests of all nodes read in parallel, at most
    ``concurrency`` requests at once: one ``/cluster/resources`` listing and one rrddata GET per server.

    Returns {servers: [usage dicts by vmid], totals: {netin, netout, diskread, diskwrite, cpu_seconds}, since, until
    (epoch seconds), timeframe, step (seconds), complete (False when the RRD does not reach back to since),
    errors (count of servers not read)}. InputError for a bad window or concurrency.
    """
    if int(concurrency) < 1:
        raise InputError("concurrency: must be 1 or more", option="concurrency")
    if period and (since is not None or until is not None):
        raise InputError("period: give period or since/until, not both", option="period")
    resources = client.get("/cluster/resources", params={"type": "vm"}, deadline=deadline) or []
    now = client.server_time()
    window = plan_window(client.release, now, period=period, since=parse_time(since, now, "since"),
                         until=parse_time(until, now, "until"))
    guests = [g for g in select_guests(resources, vmids=vmids, names=names, tags=tags, nodes=nodes, pools=pools)
              if not g.get("template") and (include_stopped or g.get("status") == "running")]
    guests = without_reservations(client, guests, deadline=deadline)     # rebuild reservations are no servers
    servers = []
    if guests:
        workers = min(int(concurrency), len(guests))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            servers = list(pool.map(lambda g: server_usage(client, g, window, cf=cf, deadline=deadline), guests))
    totals = dict((name, sum(s[name] or 0 for s in servers)) for name in COUNTERS)
    totals["cpu_seconds"] = round(sum(s["cpu_seconds"] or 0 for s in servers), 3)
    result = dict(window, servers=servers, totals=totals, errors=sum(1 for s in servers if s["error"]))
    result["cf"] = cf
    return result


def run_usage(module):
    """jotun_server_usage: the result dict for module.run()."""
    params = module.params
    if params.get("concurrency") is not None and params["concurrency"] < 1:
        raise InputError("concurrency: must be 1 or more, got %s" % params["concurrency"], option="concurrency")
    # the filters as jotun_server_info checks them: a node or pool that does not exist is a typo, not an empty bill
    check_filters(module.client, params, deadline=module.deadline())
    result = gather_usage(module.client, vmids=params.get("vmid"), names=params.get("name"), tags=params.get("tags"),
                          pools=params.get("pool"), nodes=params.get("node"), period=params.get("period"),
                          since=params.get("since"), until=params.get("until"), cf=params.get("cf") or "AVERAGE",
                          include_stopped=params.get("include_stopped", True),
                          concurrency=params.get("concurrency") or DEFAULT_CONCURRENCY, deadline=module.deadline())
    result["changed"] = False
    return result
