#!/usr/bin/env python
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a jotun_server build costs: API requests and wall time, through ansible-playbook against the simulator.

    .venv/bin/python bench/server_build.py [--pve 7.4 --pve 9.1] [--speed 20] [--parallel 20]

For each release it starts its own simulator on 127.0.0.1 (stopped at the end) and runs:

* a fresh build (clone, configure, grow the disk, cloud-init, start) of one server;
* the same play again (the no-op re-run: the baseline a converged fleet pays on every run);
* N parallel builds from one template (forks N), each a different server name (the same server without the disk
  growth, for the simulated storage's room).

Requests are counted in the simulator's request log (login excluded); "refused" counts writes answered with an
error (vmid collisions) and clone tasks that failed (a vmid taken after the request was checked, a config lock held
elsewhere) that were built again. The parallel builds must end with every server present exactly once. Wall time is the whole ansible-playbook run; an
empty play gives ansible-playbook's own start-up cost as the baseline. "api span" is the time from the run's first
to its last API request: the module's own work, without Python and Ansible start-up.
Simulated task durations are divided by --speed, so wall times are comparable between runs of this script only.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests"))          # simpath: the simulator of this checkout

from harness import Simulator, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

M = "jotunheim.proxmox.jotun_server"
SERVER = {"template": "debian-12", "state": "started", "cores": 2, "memory": 2048, "disk_size": "12G",
          "bridge": "vmbr0", "vlan": 20, "tags": ["bench"], "ciuser": "ops",
          "sshkeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchKey ops@bench"],
          "ipconfig": [{"ip": "203.0.113.10/24", "gw": "203.0.113.1"}]}


def counted(sim, action):
    mark = sim.mark()
    started = time.monotonic()
    run = action()
    wall = time.monotonic() - started
    if not run.ok:
        raise SystemExit("play failed:\n%s" % run.stdout[-3000:])
    entries = [e for e in sim.requests(mark) if "/access/ticket" not in e["path"]]
    writes = [e for e in entries if e["method"] in ("POST", "PUT", "DELETE")]
    refused = [e for e in writes if e["status"] != 200]
    span = (entries[-1]["time"] - entries[0]["time"]) if entries else 0.0
    return {"requests": len(entries), "writes": len(writes), "refused": len(refused), "wall": wall, "span": span,
            "run": run}


def parallel_files(count):
    workdir = tempfile.mkdtemp(prefix="bench-par-")
    inventory = os.path.join(workdir, "hosts.yml")
    hosts = dict(("bench%02d" % i, {"ansible_connection": "local"}) for i in range(count))
    with open(inventory, "w") as handle:
        yaml.safe_dump({"all": {"hosts": hosts}}, handle)
    playbook = os.path.join(workdir, "play.yml")
    # the same server without growing its disk: the simulated local-lvm holds about 20 template-sized clones
    task = dict(SERVER, name="{{ inventory_hostname }}")
    task.pop("disk_size")
    with open(playbook, "w") as handle:
        yaml.safe_dump([{"hosts": "all", "gather_facts": False,
                         "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                         "tasks": [{"name": "s", M: task}]}], handle)
    return playbook, inventory


def failed_clone_tasks(sim):
    """qmclone tasks that ended in an error: on real PVE a vmid taken meanwhile or a config lock held elsewhere
    fails the clone's task (the worker takes the locks), not its request."""
    return len([t for t in sim.state()["tasks"] if t["type"] == "qmclone" and t["status"] == "stopped"
                and t["exitstatus"] != "OK"])


def check_one_server_per_name(sim, parallel):
    names = [g["config"].get("name") for g in sim.state()["guests"] if not g["template"]]
    wanted = ["bench%02d" % i for i in range(parallel)]
    missing = [n for n in wanted if n not in names]
    duplicated = sorted(set(n for n in names if names.count(n) > 1))
    if missing or duplicated:
        raise SystemExit("parallel builds: missing %s, duplicated %s" % (missing, duplicated))


def bench_release(pve, speed, parallel):
    sim = Simulator(pve=pve, speed=speed, name="bench-server", log_requests=False).start()
    try:
        empty = counted(sim, lambda: run_playbook(sim, [{"name": "s", "ansible.builtin.meta": "noop"}]))
        one = [{"name": "s", M: dict(SERVER, name="bench-one")}]
        fresh = counted(sim, lambda: run_playbook(sim, one))
        noop = counted(sim, lambda: run_playbook(sim, one))
        if noop["run"].task("s")["changed"]:
            raise SystemExit("the re-run reported a change: %s" % noop["run"].task("s")["diff"])
        playbook, inventory = parallel_files(parallel)
        clones_before = failed_clone_tasks(sim)
        many = counted(sim, lambda: run_playbook(sim, playbook, inventory=inventory, forks=parallel, timeout=1800))
        many["refused"] += failed_clone_tasks(sim) - clones_before
        check_one_server_per_name(sim, parallel)
    finally:
        sim.stop()
    return empty, fresh, noop, many


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pve", action="append", help="release(s) to run against (default 7.4 and 9.1)")
    parser.add_argument("--speed", type=float, default=20)
    parser.add_argument("--parallel", type=int, default=20)
    args = parser.parse_args()
    releases = args.pve or ["7.4", "9.1"]
    print("jotun_server build cost (simulator speed %g, login excluded)" % args.speed)
    print("%-5s %-24s %9s %7s %8s %9s %10s" % ("pve", "run", "requests", "writes", "refused", "wall s", "api span s"))
    for pve in releases:
        empty, fresh, noop, many = bench_release(pve, args.speed, args.parallel)
        rows = (("empty play (baseline)", empty), ("fresh build", fresh), ("no-op re-run", noop),
                ("%d parallel builds" % args.parallel, many))
        for label, figures in rows:
            print("%-5s %-24s %9d %7d %8d %9.1f %10.1f" % (pve, label, figures["requests"], figures["writes"],
                                                         figures["refused"], figures["wall"], figures["span"]))
        print("%-5s no-op / fresh requests: %.2f; parallel requests per server: %.1f (fresh alone: %d); "
              "parallel wall per server: %.2f s (fresh alone: %.1f s)" % (
                  pve, float(noop["requests"]) / fresh["requests"], float(many["requests"]) / args.parallel,
                  fresh["requests"], many["wall"] / args.parallel, fresh["wall"]))


if __name__ == "__main__":
    main()
