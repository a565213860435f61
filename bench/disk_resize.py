#!/usr/bin/env python
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How long a disk resize holds the caller: wait=false and wait=true against the resize's own duration.

    .venv/bin/python bench/disk_resize.py [--pve 7.4 --pve 9.1] [--speed 10] [--seconds 90] [--runs 3] [--no-playbook]

For each release it starts its own simulator on 127.0.0.1 (stopped at the end), clones a server from template
9000, and times, with a resize made to last --seconds simulated seconds (--seconds / --speed real seconds):

* ``disks.resize(..., wait=False)`` (the library call jotun_disk_resize makes): the baseline is the resize's duration,
  which a caller of the synchronous 7.x call would otherwise wait out (or 30 s until pveproxy's 596);
* ``disks.resize(..., wait=True)``: wall time over the resize's duration (the polling overhead);
* the same wait=false through ansible-playbook (jotun_disk_resize), to show what a playbook task costs end to end,
  next to the baseline of ansible-playbook running one ansible.builtin.debug task (start-up of ansible itself).

Between measurements it waits until the previous resize finished. Figures are real seconds on this machine.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests"))          # simpath: the simulator of this checkout
sys.path.insert(0, os.path.join(REPO, ".tmp", "collections"))

from harness import Simulator, run_playbook  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.jotunheim.proxmox.plugins.module_utils import disks  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import ProxmoxClient  # noqa: E402
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline  # noqa: E402

G = 1024 ** 3
VMID = 120


def client_for(sim):
    info = sim.info
    return ProxmoxClient(info["host"], port=info["port"], token_id=info["token_id"], token_secret=info["token_secret"],
                         ca_path=info["ca_cert"])


def timed(fn):
    start = time.monotonic()
    result = fn()
    return time.monotonic() - start, result


def measure(sim, seconds, runs, playbook):
    client = client_for(sim)
    sim.wait_task(sim.api("POST", "/nodes/pve1/qemu/9000/clone", newid=VMID, name="bench", full=1))
    resize_real = seconds / float(sim.speed)
    size = [2 * G]
    rows = {"wait=false": [], "wait=true": [], "wait=false (playbook)": [], "playbook baseline": []}

    def grow(wait):
        size[0] += G
        sim.fault(kind="task_duration", type="resize", seconds=seconds)
        elapsed, result = timed(lambda: disks.resize(client, "pve1", VMID, size=size[0], wait=wait,
                                                      deadline=Deadline(resize_real * 4 + 30)))
        if wait:
            assert result["status"] == "done" and result["size_after"] == size[0], result
        else:
            assert result["status"] == "in_progress", result
            disks.wait_for_size(client, "pve1", VMID, "scsi0", size[0], Deadline(resize_real * 4 + 30))
            time.sleep(0.2)  # the 7.x config lock goes with the resize
        return elapsed

    for _ in range(runs):
        rows["wait=false"].append(grow(False))
        rows["wait=true"].append(grow(True))
        if playbook:
            size[0] += G
            sim.fault(kind="task_duration", type="resize", seconds=seconds)
            task = {"name": "grow", "jotunheim.proxmox.jotun_disk_resize": {"vmid": VMID, "size": str(size[0]),
                                                                            "wait": False}}
            elapsed, run = timed(lambda: run_playbook(sim, [task]))
            assert run.ok and run.task("grow")["status"] == "in_progress", run
            rows["wait=false (playbook)"].append(elapsed)
            disks.wait_for_size(client, "pve1", VMID, "scsi0", size[0], Deadline(resize_real * 4 + 30))
            time.sleep(0.2)
            elapsed, run = timed(lambda: run_playbook(sim, [{"name": "noop", "ansible.builtin.debug": {"msg": "x"}}]))
            assert run.ok, run
            rows["playbook baseline"].append(elapsed)
    return resize_real, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pve", action="append", help="release(s) to run against (default 7.4 and 9.1)")
    parser.add_argument("--speed", type=float, default=10, help="simulator speed (durations divided by it)")
    parser.add_argument("--seconds", type=float, default=90, help="simulated duration of each resize")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-playbook", action="store_true", help="skip the ansible-playbook measurement")
    args = parser.parse_args()
    print("resize of %.0f s simulated at speed %g = %.1f s real; %d runs; median (min-max) real seconds"
          % (args.seconds, args.speed, args.seconds / args.speed, args.runs))
    print("%-5s %-22s %22s %14s" % ("pve", "call", "wall s", "wall/resize"))
    for pve in args.pve or ["7.4", "9.1"]:
        sim = Simulator(pve=pve, speed=args.speed, name="bench-disk-resize", log_requests=False).start()
        try:
            resize_real, rows = measure(sim, args.seconds, args.runs, not args.no_playbook)
        finally:
            sim.stop()
        for call, values in rows.items():
            if not values:
                continue
            values = sorted(values)
            median = values[len(values) // 2]
            print("%-5s %-22s %8.2f (%5.2f-%5.2f) %13.2f" % (pve, call, median, values[0], values[-1],
                                                               median / resize_real))
    return 0


if __name__ == "__main__":
    sys.exit(main())
