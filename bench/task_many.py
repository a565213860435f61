#!/usr/bin/env python
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What waiting on many tasks costs: requests per poll round and in total, TaskWaiter against per-task polling.

    .venv/bin/python bench/task_many.py [--pve 9.1] [--speed 20] [--counts 1,10,100] [--seed 1]

Starts its own simulator on 127.0.0.1 (stopped at the end). For each count N it starts N tasks spread over the
two nodes, with durations spread between --min and --max simulated seconds, then waits for them twice:

* ``TaskWaiter`` (module_utils/tasks.py), as jotun_task does;
* the baseline: one status request per running task per round, on the same growing schedule (what a per-task
  wait loop costs at best).

A round is everything sent between two sleeps of the waiter. The goal per round is at most one request per node
plus one per task that ended in that round; the table counts the rounds over it and says which requests made them so.
"""

from __future__ import absolute_import, division, print_function

import argparse
import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, ".tmp", "collections"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests"))          # simpath: the simulator of this checkout

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import ProxmoxClient  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter, Schedule  # noqa: E402

NODES = ("pve1", "pve2")
# The guests the tasks work on: the seeded templates (9000 on pve1, 9002 on pve2) are cloned into as many guests
# as there are tasks; each task is then an asynchronous config change (POST .../config -> qmconfig) of one of them.
TEMPLATES = {"pve1": 9000, "pve2": 9002}
TASK_TYPE = "qmconfig"


class CountingClient(object):
    """A ProxmoxClient that records every GET (kind, task it was about, whether it showed the task stopped)."""

    def __init__(self, client):
        self.client = client
        self.calls = []

    def get(self, path, params=None, deadline=None, full=False):
        answer = self.client.get(path, params=params, deadline=deadline, full=full)
        kind = "active" if path.endswith("/tasks") else path.rsplit("/", 1)[-1]
        stopped = kind == "status" and isinstance(answer, dict) and answer.get("status") == "stopped"
        self.calls.append((kind, path, stopped))
        return answer


class Rounds(object):
    """Splits the recorded calls into rounds at every sleep."""

    def __init__(self, counting):
        self.counting = counting
        self.marks = [0]

    def sleep(self, seconds):
        if len(self.counting.calls) != self.marks[-1]:
            self.marks.append(len(self.counting.calls))
        time.sleep(seconds)

    def rounds(self):
        marks = self.marks + ([len(self.counting.calls)] if self.marks[-1] != len(self.counting.calls) else [])
        return [self.counting.calls[a:b] for a, b in zip(marks, marks[1:]) if b > a]


def round_figures(rounds):
    """(max requests in a round, rounds over the goal, requests over the goal by kind)."""
    over_rounds = 0
    over_kinds = collections.Counter()
    for calls in rounds:
        nodes = set(path.split("/")[2] for dummy, path, dummy2 in calls)
        ended = len(set(path for kind, path, stopped in calls if stopped))
        allowed = len(nodes) + ended
        if len(calls) > allowed:
            over_rounds += 1
            kinds = collections.Counter(kind for kind, dummy, dummy2 in calls)
            # what is beyond one listing per node and one status per ended task
            for kind, number in kinds.items():
                budget = len(nodes) if kind == "active" else ended if kind == "status" else 0
                if number > budget:
                    over_kinds[kind] += number - budget
    return max(len(c) for c in rounds) if rounds else 0, over_rounds, over_kinds


def prepare_guests(sim, count):
    """`count` guests cloned from the templates, alternating between the nodes: [(node, vmid)]."""
    guests = []
    for index in range(count):
        node = NODES[index % len(NODES)]
        vmid = 1000 + index
        upid = sim.api("POST", "/nodes/%s/qemu/%d/clone" % (node, TEMPLATES[node]), newid=vmid,
                       name="bench-%d" % vmid)
        sim.wait_task(upid)
        guests.append((node, vmid))
    return guests


def start_tasks(sim, guests, low, high):
    """One config task per guest, durations spread evenly between `low` and `high` simulated seconds: the UPIDs."""
    upids = []
    for index, (node, vmid) in enumerate(guests):
        seconds = low + (high - low) * index / max(1, len(guests) - 1)
        sim.fault(kind="task_duration", type=TASK_TYPE, seconds=seconds, count=1)
        upids.append(sim.api("POST", "/nodes/%s/qemu/%d/config" % (node, vmid), description="bench %d" % index))
    return upids


def wait_with_taskwaiter(client, upids, timeout):
    counting = CountingClient(client)
    rounds = Rounds(counting)
    waiter = TaskWaiter(counting, sleep=rounds.sleep)
    waiter.wait(upids, timeout, fail_on_error=False)
    return rounds.rounds(), counting.calls


def wait_per_task(client, upids, timeout):
    """The baseline: every round, one status request per task not yet stopped; the same growing schedule."""
    counting = CountingClient(client)
    rounds = Rounds(counting)
    schedule = Schedule()
    pending = list(upids)
    end = time.monotonic() + timeout
    rounds.sleep(schedule.next_delay(time.monotonic()))
    while pending and time.monotonic() < end:
        still = []
        for upid in pending:
            status = counting.get("/nodes/%s/tasks/%s/status" % (upid.split(":")[1], upid))
            if status.get("status") != "stopped":
                still.append(upid)
        pending = still
        if pending:
            rounds.sleep(schedule.next_delay(time.monotonic()))
    return rounds.rounds(), counting.calls


WAITERS = (("taskwaiter", wait_with_taskwaiter), ("per-task", wait_per_task))


def client_for(sim):
    info = sim.info
    return ProxmoxClient(info["host"], port=info["port"], token_id=info["token_id"], token_secret=info["token_secret"],
                         ca_path=info["ca_cert"])


def run_one(sim, count, args):
    sim.reset()
    guests = prepare_guests(sim, count)
    figures = {}
    for label, wait in WAITERS:
        sim.clear_faults()
        upids = start_tasks(sim, guests, args.min, args.max)
        started = time.monotonic()
        rounds, calls = wait(client_for(sim), upids, args.timeout)
        figures[label] = {
            "rounds": len(rounds), "total": len(calls), "seconds": time.monotonic() - started,
            "kinds": collections.Counter(kind for kind, dummy, dummy2 in calls), "per_round": round_figures(rounds),
        }
        for upid in upids:  # every waiter starts from idle guests
            sim.wait_task(upid)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--pve", default="9.1")
    parser.add_argument("--speed", type=float, default=4)
    parser.add_argument("--counts", default="1,10,100")
    parser.add_argument("--min", type=float, default=10.0, help="shortest task, simulated seconds")
    parser.add_argument("--max", type=float, default=60.0, help="longest task, simulated seconds")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    sim = Simulator(pve=args.pve, speed=args.speed, name="bench-task-many", log_requests=False).start()
    try:
        print("PVE %s, speed %g, %s tasks of %g-%g simulated s over %d nodes"
              % (args.pve, args.speed, TASK_TYPE, args.min, args.max, len(NODES)))
        print("%6s  %-10s  %6s  %6s  %9s  %11s  %-28s  %s" % (
            "tasks", "waiter", "rounds", "total", "max/round", "over-goal", "requests by kind", "vs per-task"))
        for count in [int(c) for c in args.counts.split(",")]:
            figures = run_one(sim, count, args)
            base = figures["per-task"]["total"]
            for label, dummy in WAITERS:
                fig = figures[label]
                biggest, over, over_kinds = fig["per_round"]
                kinds = ", ".join("%s %d" % kv for kv in sorted(fig["kinds"].items()))
                over_text = "%d" % over + (" (%s)" % ", ".join("+%d %s" % (n, k) for k, n in sorted(over_kinds.items()))
                                           if over else "")
                print("%6d  %-10s  %6d  %6d  %9d  %11s  %-28s  %.2fx" % (
                    count, label, fig["rounds"], fig["total"], biggest, over_text, kinds, float(fig["total"]) / base))
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
