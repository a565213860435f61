"""A running pvesim for the simulator's own tests: the `Sim` helper (the fixtures are in conftest.py)."""
import json
import os
import subprocess
import sys
import time

import requests
from simpath import checkout_env

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEED = 50
LOG_DIR_ENV = "PVESIM_TEST_LOG_DIR"


class Sim:
    """A running simulator: connection info, plain-requests helpers and the control API."""

    started = 0

    def __init__(self, release, tmpdir, speed=SPEED, extra=()):
        self.release = release
        Sim.started += 1
        tag = "%s-%d-%d" % (release, os.getpid(), Sim.started)
        self.info_path = os.path.join(tmpdir, "info-%s.json" % tag)
        self.log_path = os.path.join(tmpdir, "requests-%s.jsonl" % tag)
        if os.path.exists(self.info_path):
            os.unlink(self.info_path)
        cmd = [sys.executable, "-m", "pvesim", "--port", "0", "--pve", release, "--speed", str(speed),
               "--info", self.info_path, "--request-log", self.log_path, "--seed", "7"] + list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=checkout_env())
        deadline = time.time() + 20
        while not os.path.exists(self.info_path):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("pvesim did not start: %s" % self.proc.stderr.read().decode())
            time.sleep(0.05)
        with open(self.info_path) as handle:
            self.info = json.load(handle)
        self.url = self.info["url"] + "/api2/json"
        self.http = requests.Session()
        self.token_header = "PVEAPIToken=%s=%s" % (self.info["token_id"], self.info["token_secret"])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.http.close()

    # -- API over plain requests (token auth unless headers given) ---------------------------------------------------
    def call(self, method, path, params=None, data=None, json_body=None, headers=None, token=True):
        hdrs = {"Authorization": self.token_header} if token else {}
        hdrs.update(headers or {})
        return self.http.request(method, self.url + path, params=params, data=data, json=json_body, headers=hdrs,
                                 verify=self.info["ca_cert"], timeout=30)

    def get(self, path, **params):
        resp = self.call("GET", path, params=params)
        assert resp.status_code == 200, (resp.status_code, resp.reason, resp.text)
        return resp.json()["data"]

    def write(self, method, path, **data):
        resp = self.call(method, path, data=data)
        assert resp.status_code == 200, (resp.status_code, resp.reason, resp.text)
        return resp.json()["data"]

    def wait(self, upid, timeout=30):
        node = upid.split(":")[1]
        deadline = time.time() + timeout
        while time.time() < deadline:
            resp = self.call("GET", "/nodes/%s/tasks/%s/status" % (node, upid))
            if resp.status_code == 200 and resp.json()["data"]["status"] == "stopped":
                return resp.json()["data"]
            time.sleep(0.02)
        raise AssertionError("task %s still running" % upid)

    def task_log(self, upid):
        return [line["t"] for line in self.get("/nodes/%s/tasks/%s/log" % (upid.split(":")[1], upid), limit=0)]

    # -- control API ------------------------------------------------------------------------------------------------
    def control(self, method, path, body=None):
        resp = self.http.request(method, self.info["control_url"] + path, json=body, verify=self.info["ca_cert"],
                                 timeout=30)
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    def fault(self, **fault):
        return self.control("POST", "/fault", fault)

    def reset(self):
        self.control("POST", "/reset")

    def state(self):
        return self.control("GET", "/state")

    def requests(self, since=0):
        return self.control("GET", "/requests?since=%d" % since)

    def guest(self, vmid):
        return next((g for g in self.state()["guests"] if g["vmid"] == vmid), None)

    def wait_lock(self, vmid, lock, timeout=10):
        """Until guest vmid carries `lock` (a vzdump sets `lock: backup` as the job reaches the guest)."""
        deadline = time.time() + timeout
        while (self.guest(vmid) or {}).get("lock") != lock:
            assert time.time() < deadline, "guest %s never showed lock %r" % (vmid, lock)
            time.sleep(0.01)


def pve_message(resp):
    """An error's message as a client reads it: the body's ``message`` (libpve-http-server 5.2.0+, PVE 8.4 on), else
    the HTTP reason phrase (its first line only) with the newline PVE's messages end in."""
    body = resp.json()
    return body["message"] if "message" in body else resp.reason + "\n"
