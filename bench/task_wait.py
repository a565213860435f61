# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: how soon TaskWaiter notices a task ended, and how many requests it spends, against a naive poller.

Starts its own simulator on 127.0.0.1 (stopped at the end). Tasks of 1-60 simulated seconds (task_duration faults)
run at --speed N; the adaptive waiter and the baseline (a status request every --baseline-interval seconds, as
most existing modules do) run side by side on equal tasks, each on its own guest. The default task is a full clone,
whose log prints progress ('drive-scsi0: transferred ... (50.00%) in 30s'); --kind qmstart measures a task whose
log prints none.

Time scaling, honestly: at speed N a simulated second lasts 1/N real seconds. The pollers run on a clock scaled the
same way (their clock() returns simulated seconds, their sleep() sleeps 1/N of it), so their schedules are the
ones they would follow against a real Proxmox VE. What does not scale is the network: one request's round trip
(measured and printed) counts N times over in simulated terms, which makes the simulated latencies pessimistic.
With --realtime-check (default on) a second simulator at speed 1 runs short tasks with the unscaled waiter.

    .venv/bin/python bench/task_wait.py                 # ~1.5 minutes
    .venv/bin/python bench/task_wait.py --speed 10 --durations 1,5,60 --repeat 1
"""

from __future__ import absolute_import, division, print_function

import argparse
import itertools
import os
import random
import statistics
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".tmp", "collections"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests"))          # simpath: the simulator of this checkout

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import (  # noqa: E402
    ProxmoxClient, api_path)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter, parse_upid  # noqa: E402


NEWIDS = itertools.count(400)


class ScaledTime(object):
    """A clock in simulated seconds and a sleep that takes simulated seconds, for a simulator at `speed`."""

    def __init__(self, speed):
        self.speed = float(speed)

    def clock(self):
        return time.monotonic() * self.speed

    def sleep(self, seconds):
        time.sleep(max(0.0, seconds) / self.speed)


class BaselinePoller(object):
    """The naive way: GET the task status every `interval` seconds until it stopped."""

    def __init__(self, client, interval, clock, sleep):
        self.client, self.interval, self.clock, self.sleep = client, interval, clock, sleep
        self.stats = {"status": 0, "active": 0, "log": 0}

    def wait(self, upids, deadline, fail_on_error=True):
        upid = upids[0]
        path = api_path("nodes", parse_upid(upid).node, "tasks", upid, "status")
        while not deadline.expired():
            self.sleep(self.interval)
            self.stats["status"] += 1
            try:
                status = self.client.get(path)
            except Exception:  # pylint: disable=broad-except  # the baseline ignores errors, as naive loops do
                continue
            if status.get("status") == "stopped":
                return [status]
        raise RuntimeError("baseline: task %s did not stop" % upid)


def connect(sim):
    return ProxmoxClient(sim.info["host"], port=sim.info["port"], token_id=sim.info["token_id"],
                         token_secret=sim.info["token_secret"], ca_path=sim.ca_cert)


def start_task(sim, client, start_lock, kind, vmid, seconds):
    """Start one task of `seconds` simulated seconds; return (upid, real monotonic time it should end)."""
    with start_lock:  # the task_duration fault must go to this task, not to the other poller's
        sim.fault(kind="task_duration", type=kind, seconds=seconds, count=1)
        before = time.monotonic()
        if kind == "qmclone":
            newid = next(NEWIDS)
            upid = client.post(api_path("nodes", "pve1", "qemu", vmid, "clone"),
                               {"newid": newid, "name": "bench%d" % newid, "full": True})
        else:
            upid = client.post(api_path("nodes", "pve1", "qemu", vmid, "status", kind[2:]))
        after = time.monotonic()
    return upid, (before + after) / 2.0 + seconds / sim.speed


def run_one(sim, client, start_lock, make_poller, kind, vmid, seconds, nominal, out):
    poller = make_poller(client)
    upid, end_real = start_task(sim, client, start_lock, kind, vmid, seconds)
    before = client.request_count
    poller.wait([upid], Deadline(seconds * 3 + 30, clock=poller.clock))
    returned = time.monotonic()
    out.append({"seconds": nominal, "latency_real": returned - end_real,
                "latency_sim": (returned - end_real) * sim.speed, "requests": client.request_count - before,
                "status": poller.stats["status"], "log": poller.stats["log"]})
    if kind == "qmstart":  # back to stopped for the next round (not measured)
        sim.fault(kind="task_duration", type="qmstop", seconds=0.1, count=1)
        TaskWaiter(client).wait([client.post(api_path("nodes", "pve1", "qemu", vmid, "status", "stop"))], 60)


def measure_rtt(client, count=20):
    times = []
    for dummy in range(count):
        start = time.monotonic()
        client.get("/version", deadline=Deadline(5))
        times.append(time.monotonic() - start)
    return statistics.median(times)


def prepare_guests(sim, client, kind):
    """Two guests: the templates on pve1 for clones; two (stopped) clones of them for qmstart."""
    if kind == "qmclone":
        return 9000, 9001
    guests = []
    for newid in (301, 302):
        upid = client.post(api_path("nodes", "pve1", "qemu", 9000, "clone"), {"newid": newid, "name": "b%d" % newid})
        TaskWaiter(client).wait([upid], 120)
        guests.append(newid)
    return tuple(guests)


def bench(sim, kind, durations, repeat, baseline_interval, scaled):
    """Run adaptive and baseline side by side; return (adaptive results, baseline results, rtt)."""
    timing = ScaledTime(sim.speed) if scaled else ScaledTime(1.0)
    adaptive_client, baseline_client = connect(sim), connect(sim)
    rtt = measure_rtt(adaptive_client)
    vm_a, vm_b = prepare_guests(sim, adaptive_client, kind)

    def adaptive(client):
        waiter = TaskWaiter(client, clock=timing.clock, sleep=timing.sleep)
        return waiter

    def baseline(client):
        return BaselinePoller(client, baseline_interval, timing.clock, timing.sleep)

    results = {"adaptive": [], "baseline": []}
    start_lock = threading.Lock()
    rng = random.Random(20261126)
    for dummy in range(repeat):
        for nominal in durations:
            # real tasks do not end on whole seconds: a fixed-interval poller would look lucky if they did
            seconds = nominal + rng.uniform(0.0, min(1.0, nominal))
            if kind == "qmclone":
                sim.reset()  # drop the clones of the last round: storage stays free, newids stay few
            threads = [
                threading.Thread(target=run_one, args=(sim, adaptive_client, start_lock, adaptive, kind, vm_a, seconds,
                                                       nominal, results["adaptive"])),
                threading.Thread(target=run_one, args=(sim, baseline_client, start_lock, baseline, kind, vm_b, seconds,
                                                       nominal, results["baseline"])),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    return results, rtt


def summarize(title, results, durations, speed, rtt, scaled):
    unit = "simulated s" if scaled else "s"
    key = "latency_sim" if scaled else "latency_real"
    print("\n== %s (speed %s; request round trip %.1f ms real%s)" % (
        title, speed, rtt * 1000, ", = %.0f ms simulated" % (rtt * 1000 * speed) if scaled else ""))
    print("%8s | %-34s | %-34s" % ("task", "adaptive: latency / status+log reqs", "baseline: latency / status reqs"))
    for seconds in durations:
        row = []
        for name in ("adaptive", "baseline"):
            runs = [r for r in results[name] if r["seconds"] == seconds]
            lat = statistics.median(r[key] for r in runs)
            reqs = "%s+%s" % (statistics.median(r["status"] for r in runs), statistics.median(r["log"] for r in runs)) \
                if name == "adaptive" else "%s" % statistics.median(r["status"] for r in runs)
            row.append("%6.3f %s / %s" % (lat, unit, reqs))
        print("%7gs | %-34s | %-34s" % (seconds, row[0], row[1]))
    figures = {}
    for name in ("adaptive", "baseline"):
        runs = results[name]
        longest = [r for r in runs if r["seconds"] == max(durations)]
        figures[name] = (statistics.median(r[key] for r in runs), statistics.median(r["status"] for r in longest),
                         statistics.median(r["requests"] for r in longest), sum(r["requests"] for r in runs))
    (a_lat, a_status, a_req, a_total), (b_lat, b_status, b_req, b_total) = figures["adaptive"], figures["baseline"]
    print("median latency over all tasks: adaptive %.3f %s, baseline %.3f %s (baseline/adaptive = %.1fx)" % (
        a_lat, unit, b_lat, unit, b_lat / a_lat if a_lat > 0 else float("inf")))
    if scaled:
        print("  in real seconds: adaptive %.4f s, baseline %.4f s" % (a_lat / speed, b_lat / speed))
    print("%gs task: adaptive %s status polls (%s requests in all), baseline %s status polls" % (
        max(durations), a_status, a_req, b_status))
    print("all requests: adaptive %d, baseline %d (ratio %.2f)" % (a_total, b_total, a_total / float(b_total)))
    if max(durations) >= 60:
        polls = "status polls <= 15: %s (%s); counting every request (status + log reads): %s (%s)" % (
            "MET" if a_status <= 15 else "MISSED", a_status, "MET" if a_req <= 15 else "MISSED", a_req)
    else:
        polls = "polls for a 60 s task: not measured"
    print("goals: median latency < 0.3 s: %s (%.3f); 60 s task: %s" % (
        "MET" if a_lat < 0.3 else "MISSED", a_lat, polls))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--speed", type=float, default=5.0)
    parser.add_argument("--durations", default="1,2,5,10,20,30,60", help="simulated task seconds")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--kind", default="qmclone", choices=["qmclone", "qmstart"],
                        help="qmclone (full) logs progress; qmstart logs none")
    parser.add_argument("--baseline-interval", type=float, default=1.0, help="baseline poll interval (simulated s)")
    parser.add_argument("--pve", default="9.1")
    parser.add_argument("--no-realtime-check", dest="realtime", action="store_false")
    args = parser.parse_args()
    durations = [float(x) for x in args.durations.split(",")]
    started = time.monotonic()
    sim = Simulator(pve=args.pve, speed=args.speed, name="bench-task-wait", log_requests=False).start()
    try:
        results, rtt = bench(sim, args.kind, durations, args.repeat, args.baseline_interval, scaled=True)
    finally:
        sim.stop()
    summarize("%s tasks, pollers on the simulated clock" % args.kind, results, durations, args.speed, rtt, True)
    if args.realtime:
        real_durations = [1.0, 3.0]
        sim = Simulator(pve=args.pve, speed=1, name="bench-task-wait-rt", log_requests=False).start()
        try:
            results, rtt = bench(sim, args.kind, real_durations, 1, args.baseline_interval, scaled=False)
        finally:
            sim.stop()
        summarize("%s tasks in real time (speed 1, unscaled waiter)" % args.kind, results, real_durations, 1, rtt,
                  False)
    print("\nbench took %.0f s" % (time.monotonic() - started))


if __name__ == "__main__":
    main()
