#!/usr/bin/env python
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What reading the usage of many servers costs: requests and wall time of usage.gather_usage (jotun_server_usage).

    .venv/bin/python bench/usage.py [--pve 9.1] [--servers 200] [--latency 0.05] [--bounds 1,8,16]

Starts its own simulator on 127.0.0.1 (stopped at the end) and seeds --servers running guests over the two nodes
(linked clones of the seeded templates 9000 on pve1 and 9002 on pve2, started). Every rrddata answer is held
--latency real seconds (a latency fault), as a busy node's rrdcached would. Then it reads a day's usage of all of
them once per concurrency bound (1 is the sequential baseline) and prints the requests sent (from the simulator's
request log), the wall time, the slowest single rrddata request (timed alone, 5 samples), and the ratio of the wall
time to the ideal ceil(servers / bound) x that slowest request.

Goals: at most one request per running server (plus the one listing); wall <= 2x the ideal with the bound.
"""

from __future__ import absolute_import, division, print_function

import argparse
import math
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
from ansible_collections.jotunheim.proxmox.plugins.module_utils.usage import gather_usage  # noqa: E402

TEMPLATES = (("pve1", 9000), ("pve2", 9002))


def client_for(info):
    return ProxmoxClient(info["host"], port=info["port"], token_id=info["token_id"], token_secret=info["token_secret"],
                         ca_path=info["ca_cert"])


def seed(sim, count):
    """`count` running guests, 1000.., alternately on pve1 and pve2 (clones started first, then waited for)."""
    upids = []
    for i in range(count):
        node, template = TEMPLATES[i % 2]
        upids.append(sim.api("POST", "/nodes/%s/qemu/%d/clone" % (node, template), newid=1000 + i,
                             name="bench%d" % i, full=0))
    for upid in upids:
        sim.wait_task(upid)
    upids = [sim.api("POST", "/nodes/%s/qemu/%d/status/start" % (TEMPLATES[i % 2][0], 1000 + i)) for i in range(count)]
    for upid in upids:
        sim.wait_task(upid)
    sim.control("POST", "/broadcast")


def slowest_single(client, timeframe, samples=5):
    worst = 0.0
    for _i in range(samples):
        started = time.monotonic()
        client.get("/nodes/pve1/qemu/1000/rrddata", params={"timeframe": timeframe, "cf": "AVERAGE"})
        worst = max(worst, time.monotonic() - started)
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pve", default="9.1")
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--bounds", default="1,8,16")
    args = parser.parse_args()
    sim = Simulator(pve=args.pve, speed=1000, name="bench-usage", log_requests=False,
                    args=["--broadcast-interval", "0"]).start()
    try:
        seed(sim, args.servers)
        sim.fault(kind="latency", path="/rrddata$", seconds=args.latency)
        client = client_for(sim.info)
        client.version                         # noqa: B018  the release, read once before timing
        timeframe = gather_usage(client, vmids=[1000], period="day")["timeframe"]
        single = slowest_single(client, timeframe)
        print("PVE %s, %d running servers over 2 nodes, rrddata held %.3f s; a day's usage reads timeframe %s; "
              "slowest single rrddata request %.3f s" % (args.pve, args.servers, args.latency, timeframe, single))
        print("%-6s %9s %9s %9s %9s %12s %8s" % ("bound", "requests", "rrddata", "per srv", "wall s", "ideal s",
                                                 "wall/ideal"))
        for bound in [int(b) for b in args.bounds.split(",")]:
            mark = sim.mark()
            started = time.monotonic()
            result = gather_usage(client, period="day", concurrency=bound)
            wall = time.monotonic() - started
            sent = [r for r in sim.requests(mark) if "/_sim" not in r["path"]]
            rrd = [r for r in sent if r["path"].endswith("/rrddata")]
            servers = len(result["servers"])
            assert servers == args.servers and result["errors"] == 0, result["errors"]
            ideal = math.ceil(servers / float(bound)) * single
            print("%-6d %9d %9d %9.3f %9.2f %12.2f %8.2f" % (bound, len(sent), len(rrd), len(rrd) / float(servers),
                                                            wall, ideal, wall / ideal))
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
