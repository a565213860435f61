"""Requests per second pvesim serves to 50 concurrent keep-alive clients, and its memory with 200 guests.

    .venv/bin/python bench/sim_throughput.py [--clients 50] [--seconds 10] [--guests 200] [--pve 9.1]

Starts its own simulator on 127.0.0.1 (a subprocess), clones the guests (linked clones of template 9000),
then runs the clients against GET /cluster/resources and GET /nodes/pve1/qemu/X/status/current for a bounded time.
Prints requests/second (goal: >= 300 on a 2-core machine) and the simulator's RSS before and after the guests.
"""
import argparse
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

GOAL_RPS = 300
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
from simpath import checkout_env  # noqa: E402  pylint: disable=wrong-import-position  (this checkout's simulator)


def start_sim(tmp, release, speed):
    info_path = os.path.join(tmp, "info.json")
    proc = subprocess.Popen([sys.executable, "-m", "pvesim", "--port", "0", "--pve", release, "--speed", str(speed),
                             "--info", info_path], stdout=subprocess.DEVNULL, env=checkout_env())
    deadline = time.time() + 20
    while not os.path.exists(info_path):
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit("simulator did not start")
        time.sleep(0.05)
    with open(info_path) as handle:
        return proc, json.load(handle)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client:
    def __init__(self, info):
        ctx = ssl.create_default_context(cafile=info["ca_cert"])
        self.conn = http.client.HTTPSConnection(info["host"], info["port"], context=ctx, timeout=30)
        self.auth = "PVEAPIToken=%s=%s" % (info["token_id"], info["token_secret"])

    def request(self, method, path, body=None):
        headers = {"Authorization": self.auth}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, "/api2/json" + path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None


def make_guests(info, count):
    client = Client(info)
    vmids, upids = [], []
    for i in range(count):
        vmid = 1000 + i
        status, body = client.request("POST", "/nodes/pve1/qemu/9000/clone", "newid=%d&name=bench-%d" % (vmid, i))
        if status != 200:
            raise SystemExit("clone %d failed: %s" % (vmid, body))
        vmids.append(vmid)
        upids.append(body["data"])
    for upid in upids:
        while client.request("GET", "/nodes/pve1/tasks/%s/status" % upid)[1]["data"]["status"] != "stopped":
            time.sleep(0.01)
    return vmids


def run_clients(info, vmids, clients, seconds):
    counts, errors = {"resources": 0, "status": 0}, []
    stop = time.time() + seconds
    mutex = threading.Lock()

    def worker(n):
        client, mine = Client(info), {"resources": 0, "status": 0}
        i = n
        while time.time() < stop:
            i += 1
            if i % 5 == 0:
                status, _ = client.request("GET", "/cluster/resources?type=vm")
                key = "resources"
            else:
                status, _ = client.request("GET", "/nodes/pve1/qemu/%d/status/current" % vmids[i % len(vmids)])
                key = "status"
            if status != 200:
                errors.append(status)
            mine[key] += 1
        with mutex:
            for key, value in mine.items():
                counts[key] += value

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts, errors, time.time() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--guests", type=int, default=200)
    ap.add_argument("--pve", default="9.1")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, info = start_sim(tmp, args.pve, speed=200)
        try:
            rss_empty = rss_kib(proc.pid)
            vmids = make_guests(info, args.guests)
            rss_guests = rss_kib(proc.pid)
            counts, errors, elapsed = run_clients(info, vmids, args.clients, args.seconds)
            rss_after = rss_kib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    total = sum(counts.values())
    rps = total / elapsed
    print("pvesim %s: %d clients, %.1f s, %d guests" % (args.pve, args.clients, elapsed, args.guests))
    print("requests: %d (cluster/resources %d, status/current %d), errors: %d"
          % (total, counts["resources"], counts["status"], len(errors)))
    print("throughput: %.0f requests/s (goal >= %d: %.2fx)" % (rps, GOAL_RPS, rps / GOAL_RPS))
    print("memory (RSS): %.1f MiB seeded, %.1f MiB with %d guests, %.1f MiB after the run (incl. request log)"
          % (rss_empty / 1024.0, rss_guests / 1024.0, args.guests, rss_after / 1024.0))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
