"""Requests and wall time of `ansible-inventory --list` for a 200-guest cluster: jotunheim.proxmox.jotun against
community.proxmox's inventory plugin, on the same simulator in the same run, cold and with a warm cache.

    .venv/bin/python bench/inventory.py [--guests 200] [--repeat 3] [--latency-ms 0 --latency-ms 20]

community.proxmox is not installed here and pip cannot reach Galaxy: it is built at bench time from the mirror of
its GitHub repository (`fetch github:ansible-collections/community.proxmox` puts it at
/work/.mirror/ansible-collections+community.proxmox/repo, or give --community-repo) with `ansible-galaxy collection
build` and installed with `--offline --no-deps` into .tmp/bench-inventory/collections - never into ~/.ansible. Without
the mirror the comparison is against a naive baseline built here (proxmoxer, one request per guest and node listing),
and the output says so.

Each scenario runs `ansible-inventory -i <source> --list` `--repeat` times, the scenarios taking turns (median wall
time; the request count of the simulator's log, identical across repeats), with `--latency-ms` added to every API answer by the simulator's
latency fault (0 = localhost speed; 20 ms is closer to a real cluster over a network). `startup` is the wall time of
`ansible-inventory` on an empty inventory: the part of every figure no plugin can save.
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
from simpath import checkout_env  # noqa: E402  pylint: disable=wrong-import-position  (this checkout's simulator)

VENV_BIN = os.path.dirname(sys.executable)
WORK = os.path.join(REPO, ".tmp", "bench-inventory")
MIRROR = "/work/.mirror/ansible-collections+community.proxmox/repo"
OUR_COLLECTIONS = os.path.join(REPO, ".tmp", "collections")


class Sim(object):
    def __init__(self, guests):
        self.info_path = os.path.join(WORK, "sim-info.json")
        if os.path.exists(self.info_path):
            os.unlink(self.info_path)
        cmd = [sys.executable, "-m", "pvesim", "--port", "0", "--pve", "9.1", "--speed", "20", "--seed", "1",
               "--seed-guests", str(guests), "--info", self.info_path]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=checkout_env())
        deadline = time.time() + 30
        while not os.path.exists(self.info_path):
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("the simulator did not start")
            time.sleep(0.05)
        with open(self.info_path) as handle:
            self.info = json.load(handle)

    def control(self, method, path, body=None, params=None):
        resp = requests.request(method, self.info["control_url"] + path, json=body, params=params,
                                verify=self.info["ca_cert"], timeout=30)
        resp.raise_for_status()
        return resp.json()["data"]

    def mark(self):
        return self.control("GET", "/requests", params={"since": 10 ** 9})["next"]

    def requests_since(self, mark):
        return self.control("GET", "/requests", params={"since": mark})["requests"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def prepare_community(repo):
    """Build and install community.proxmox from its git mirror into WORK/collections; None (with why) if not."""
    if not os.path.isdir(repo):
        return None, "no mirror of community.proxmox at %s" % repo
    src = os.path.join(WORK, "community-src")
    dest = os.path.join(WORK, "collections")
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(src)
    head = subprocess.run(["git", "--git-dir", repo, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                          universal_newlines=True, check=True).stdout.strip()
    archive = subprocess.Popen(["git", "--git-dir", repo, "archive", "HEAD"], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", src], stdin=archive.stdout, check=True)
    archive.wait()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=dest)
    dist = os.path.join(WORK, "dist")
    shutil.rmtree(dist, ignore_errors=True)
    subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", src, "--output-path", dist],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    tarball = glob.glob(os.path.join(dist, "community-proxmox-*.tar.gz"))[0]
    subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                    "-p", dest, tarball], check=True, stdout=subprocess.DEVNULL, env=env)
    return dest, "community.proxmox %s (git %s), built and installed from the mirror" % (
        os.path.basename(tarball)[len("community-proxmox-"):-len(".tar.gz")], head)


def write(name, data):
    path = os.path.join(WORK, name)
    with open(path, "w") as handle:
        json.dump(data, handle)
    return path


def base_env(sim, collections):
    env = dict(os.environ)
    for key in [k for k in env if k.startswith("PROXMOX_")]:
        del env[key]
    env.update({"ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(c for c in collections if c),
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_LOCALHOST_WARNING": "false",
                "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
                # community.proxmox has no CA option: requests' bundle variable carries the simulator's CA
                "REQUESTS_CA_BUNDLE": sim.info["ca_cert"],
                "PROXMOX_HOST": sim.info["host"], "PROXMOX_PORT": str(sim.info["port"]),
                "PROXMOX_CA_PATH": sim.info["ca_cert"], "PROXMOX_TOKEN_ID": sim.info["token_id"],
                "PROXMOX_TOKEN_SECRET": sim.info["token_secret"]})
    return env


def inventory_run(sim, source, env):
    """(wall seconds, requests, hosts, output) of one ansible-inventory --list."""
    mark = sim.mark()
    start = time.monotonic()
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-inventory"), "-i", source, "--list"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, universal_newlines=True,
                          check=False, cwd=WORK)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit("ansible-inventory failed on %s:\n%s" % (source, proc.stderr[-3000:]))
    data = json.loads(proc.stdout)
    hosts = (data.get("_meta") or {}).get("hostvars") or {}
    return wall, len(sim.requests_since(mark)), len(hosts), proc.stderr


def measure_all(sim, plan, env, repeat):
    """Every scenario ``repeat`` times, round-robin (so a change in the machine's load hits all of them alike);
    warm-cache scenarios are filled first. Returns {name: {wall (median), requests (first run), hosts}}."""
    for name, source, warm in plan:
        if warm:
            inventory_run(sim, source, env)
    runs = dict((name, []) for name, dummy, dummy2 in plan)
    for dummy in range(repeat):
        for name, source, dummy2 in plan:
            runs[name].append(inventory_run(sim, source, env))
    return dict((name, {"wall": statistics.median(r[0] for r in got), "requests": got[0][1], "hosts": got[0][2],
                        "requests_all": sorted(set(r[1] for r in got))})
                for name, got in runs.items())


def startup(empty, env, repeat):
    """Median wall time of ansible-inventory on an empty inventory (interpreter, Ansible, plugin loading)."""
    walls = []
    for dummy in range(repeat):
        begin = time.monotonic()
        subprocess.run([os.path.join(VENV_BIN, "ansible-inventory"), "-i", empty, "--list"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.monotonic() - begin)
    return statistics.median(walls)


def naive_baseline(sim):
    """Without community.proxmox: what a plugin asking each node for its guests and each guest for config and
    status costs (proxmoxer, serially) - an in-process loop, no ansible-inventory around it."""
    from proxmoxer import ProxmoxAPI
    user, token = sim.info["token_id"].split("!")
    api = ProxmoxAPI(sim.info["host"], port=sim.info["port"], user=user, token_name=token,
                     token_value=sim.info["token_secret"], verify_ssl=sim.info["ca_cert"])
    mark = sim.mark()
    start = time.monotonic()
    count = 0
    for node in api.nodes.get():
        for guest in api.nodes(node["node"]).qemu.get():
            api.nodes(node["node"]).qemu(guest["vmid"]).config.get()
            api.nodes(node["node"]).qemu(guest["vmid"]).status.current.get()
            count += 1
    return {"wall": time.monotonic() - start, "requests": len(sim.requests_since(mark)), "hosts": count}


def scenarios(sim, community, cache_dir):
    ours = {
        "jotun names only (details: false, ansible_host: name)": {"details": False, "ansible_host": "name"},
        "jotun default (configs: cores, disks, MACs, ipconfig IPs)": {},
        "jotun default + agent: true": {"agent": True},
        "jotun default, warm cache": {"cache": True, "cache_plugin": "ansible.builtin.jsonfile",
                                      "cache_connection": os.path.join(cache_dir, "jotun"), "cache_timeout": 3600},
    }
    out = [(name, write("s%d.jotun.yml" % index, dict({"plugin": "jotunheim.proxmox.jotun"}, **conf)),
            "cache" in conf) for index, (name, conf) in enumerate(ours.items())]
    if community:
        user, token = sim.info["token_id"].split("!")
        conn = {"plugin": "community.proxmox.proxmox", "url": sim.info["url"], "user": user, "token_id": token,
                "token_secret": sim.info["token_secret"], "validate_certs": True}
        theirs = {
            "community.proxmox want_facts: false": {"want_facts": False},
            "community.proxmox want_facts: true (facts_concurrency 1, its default)": {"want_facts": True},
            "community.proxmox want_facts: true, facts_concurrency: 8": {"want_facts": True, "facts_concurrency": 8},
            "community.proxmox want_facts: true, c. 8, warm cache": {
                "want_facts": True, "facts_concurrency": 8, "cache": True,
                "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": os.path.join(cache_dir, "community"),
                "cache_timeout": 3600},
        }
        out += [(name, write("c%d.proxmox.yml" % index, dict(conn, **conf)), "cache" in conf)
                for index, (name, conf) in enumerate(theirs.items())]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--guests", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--latency-ms", type=float, action="append", help="added to every API answer (repeatable)")
    ap.add_argument("--community-repo", default=MIRROR)
    args = ap.parse_args()
    latencies = args.latency_ms or [0.0, 20.0]
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    community, how = prepare_community(args.community_repo)
    print("comparison: %s" % how)
    sim = Sim(args.guests)
    try:
        env = base_env(sim, [community, OUR_COLLECTIONS])
        empty = os.path.join(WORK, "empty.ini")
        with open(empty, "w") as handle:
            handle.write("")
        for latency in latencies:
            sim.control("DELETE", "/fault")
            if latency:
                sim.control("POST", "/fault", {"kind": "latency", "path": ".", "seconds": latency / 1000.0})
            cache_dir = os.path.join(WORK, "cache-%d" % latency)
            start = startup(empty, env, args.repeat)
            print("\nlatency %g ms per request; %d guests (+4 templates); ansible-inventory startup %.2f s"
                  % (latency, args.guests, start))
            print("%-70s %8s %8s %7s" % ("scenario", "requests", "wall s", "hosts"))
            plan = scenarios(sim, community, cache_dir)
            rows = measure_all(sim, plan, env, args.repeat)
            for name, dummy, dummy2 in plan:
                print("%-70s %8d %8.2f %7d" % (name, rows[name]["requests"], rows[name]["wall"], rows[name]["hosts"]))
            if not community:
                rows["naive baseline (proxmoxer, per guest config + status)"] = naive_baseline(sim)
                row = rows["naive baseline (proxmoxer, per guest config + status)"]
                print("%-70s %8d %8.2f %7d" % ("naive baseline (no community.proxmox)", row["requests"], row["wall"],
                                               row["hosts"]))
            report_ratios(rows, community, args.guests, start)
    finally:
        sim.stop()


def report_ratios(rows, community, guests, start):
    """Ratios of requests and of wall time, also net of ansible-inventory's own startup (what a plugin can save)."""
    ours = rows["jotun default (configs: cores, disks, MACs, ipconfig IPs)"]

    def net(row):
        return max(0.01, row["wall"] - start)
    print("goal requests <= 1 + %d: jotun default %d -> %s" % (
        guests, ours["requests"], "met" if ours["requests"] <= 1 + guests else "MISSED"))
    if community:
        for theirs in ("community.proxmox want_facts: true (facts_concurrency 1, its default)",
                       "community.proxmox want_facts: true, facts_concurrency: 8"):
            other = rows[theirs]
            print("jotun default vs %s: requests %.2fx, wall %.2fx (net of startup %.2fx)" % (
                theirs, ours["requests"] / float(other["requests"]), ours["wall"] / other["wall"],
                net(ours) / net(other)))
        names, other = rows["jotun names only (details: false, ansible_host: name)"], \
            rows["community.proxmox want_facts: false"]
        print("names only vs want_facts false: requests %d vs %d, wall %.2fx (net of startup %.2fx)" % (
            names["requests"], other["requests"], names["wall"] / other["wall"], net(names) / net(other)))
        agent = rows["jotun default + agent: true"]
        other = rows["community.proxmox want_facts: true, facts_concurrency: 8"]
        print("jotun + agent vs want_facts (which asks the agents too), c. 8: requests %d vs %d, wall %.2fx (net %.2fx)"
              % (agent["requests"], other["requests"], agent["wall"] / other["wall"], net(agent) / net(other)))


if __name__ == "__main__":
    main()
