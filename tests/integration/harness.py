# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drive the real modules through real ansible-playbook against a real (simulated) Proxmox VE over HTTPS.

`Simulator` starts `python -m pvesim` on 127.0.0.1 (a free port), reads its --info file, and stops it again.
`run_playbook` writes a playbook, runs ansible-playbook with the test-only `results_json` callback and returns a
`PlaybookRun` with every task result. The fixtures that use them live in conftest.py.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import requests
import yaml
from simpath import checkout_env

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
COLLECTIONS = os.path.join(REPO, ".tmp", "collections")
OUTPUT = os.path.join(REPO, "tests", "output")
REQUEST_LOGS = os.path.join(OUTPUT, "request-logs")
CALLBACKS = os.path.join(REPO, "tests", "integration", "callback_plugins")
WRITE_METHODS = ("POST", "PUT", "DELETE")


class Simulator(object):
    """One pvesim process: started by a test fixture, stopped by it."""

    def __init__(self, pve="9.1", speed=20, args=(), name="sim", log_requests=True):
        self.pve = str(pve)
        self.speed = speed
        self.args = list(args)
        self.name = name
        self.log_requests = log_requests
        self.workdir = tempfile.mkdtemp(prefix="pvesim-")
        self.info_file = os.path.join(self.workdir, "info.json")
        self.request_log = None
        self.info = None
        self.proc = None

    def start(self, timeout=30):
        cmd = [sys.executable, "-m", "pvesim", "--port", "0", "--bind", "127.0.0.1", "--pve", self.pve,
               "--speed", str(self.speed), "--info", self.info_file, "--seed", "1"] + self.args
        if self.log_requests:
            if not os.path.isdir(REQUEST_LOGS):
                os.makedirs(REQUEST_LOGS)
            self.request_log = os.path.join(
                REQUEST_LOGS, "pve-%s--%s--%d-%d.jsonl" % (self.pve, self.name, os.getpid(), int(time.time() * 1000)))
            cmd += ["--request-log", self.request_log]
        out = open(os.path.join(self.workdir, "pvesim.out"), "w")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir, env=checkout_env())
        out.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("pvesim exited early (%s): %s" % (self.proc.returncode, self.output()))
            if os.path.exists(self.info_file):
                try:
                    with open(self.info_file) as handle:
                        self.info = json.load(handle)
                    self.control("GET", "/state")
                    return self
                except (ValueError, requests.RequestException):
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("pvesim did not start within %ss: %s" % (timeout, self.output()))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def output(self):
        try:
            with open(os.path.join(self.workdir, "pvesim.out")) as handle:
                return handle.read()[-4000:]
        except OSError:
            return ""

    # -- the simulator's control API -------------------------------------------------------------------------------
    @property
    def ca_cert(self):
        return self.info["ca_cert"]

    def control(self, method, path, body=None, params=None):
        url = self.info["url"].rstrip("/") + "/_sim" + path
        resp = requests.request(method, url, json=body, params=params, verify=self.ca_cert, timeout=30)
        resp.raise_for_status()
        body = resp.json() if resp.content else None
        if isinstance(body, dict) and set(body) == {"data"}:
            return body["data"]
        return body

    def fault(self, **fault):
        return self.control("POST", "/fault", body=fault)

    def clear_faults(self):
        return self.control("DELETE", "/fault")

    def reset(self):
        return self.control("POST", "/reset")

    def state(self):
        return self.control("GET", "/state")

    def mark(self):
        """The position in the request log now: pass it to requests(since=...) later."""
        return self.control("GET", "/requests", params={"since": 10 ** 9})["next"]

    def requests(self, since=0, method=None, path=None):
        entries = self.control("GET", "/requests", params={"since": since})["requests"]
        if method:
            entries = [e for e in entries if e["method"] == method]
        if path:
            entries = [e for e in entries if path in e["path"]]
        return entries

    def writes(self, since=0):
        return [e for e in self.requests(since) if e["method"] in WRITE_METHODS and "/access/ticket" not in e["path"]]

    # -- API access for tests (plain requests; REQUESTS_CA_BUNDLE overrides Session.verify, so pass it per call) ------
    def api(self, method, path, token=None, **params):
        token_id, secret = token or (self.info["token_id"], self.info["token_secret"])
        headers = {"Authorization": "PVEAPIToken=%s=%s" % (token_id, secret)}
        url = self.info["url"].rstrip("/") + "/api2/json" + path
        kwargs = {"params": params} if method == "GET" else {"data": params}
        resp = requests.request(method, url, headers=headers, verify=self.ca_cert, timeout=60, **kwargs)
        if resp.status_code >= 400:
            raise RuntimeError("%s %s: %s %s %s" % (method, path, resp.status_code, resp.reason, resp.text))
        return resp.json()["data"]

    def wait_task(self, upid, timeout=60):
        node = upid.split(":")[1]
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                status = self.api("GET", "/nodes/%s/tasks/%s/status" % (node, upid))
            except RuntimeError:
                status = {}
            if status.get("status") == "stopped":
                return status
            time.sleep(0.1)
        raise AssertionError("task %s still running after %ss" % (upid, timeout))

    def guest(self, vmid, current=False):
        """The guest's config as the API shows it (pending values applied, or the running ones with current=True),
        plus its node, status and pool (None when it does not exist)."""
        for res in self.api("GET", "/cluster/resources", type="vm"):
            if int(res["vmid"]) == int(vmid):
                params = {"current": 1} if current else {}
                config = self.api("GET", "/nodes/%s/qemu/%s/config" % (res["node"], vmid), **params)
                config["_node"] = res["node"]
                # status/current: /cluster/resources shows the status of pvestatd's last broadcast (up to 10 s old)
                config["_status"] = self.api("GET", "/nodes/%s/qemu/%s/status/current" % (res["node"], vmid))["status"]
                config["_pool"] = res.get("pool")
                return config
        return None

    # -- how modules reach it ---------------------------------------------------------------------------------------
    def env(self, auth="token"):
        env = {
            "PROXMOX_HOST": self.info["host"],
            "PROXMOX_PORT": str(self.info["port"]),
            "PROXMOX_CA_PATH": self.ca_cert,
            "PROXMOX_VALIDATE_CERTS": "true",
        }
        if auth == "token":
            env["PROXMOX_TOKEN_ID"] = self.info["token_id"]
            env["PROXMOX_TOKEN_SECRET"] = self.info["token_secret"]
        elif auth == "password":
            env["PROXMOX_USER"] = self.info["user"]
            env["PROXMOX_PASSWORD"] = self.info["password"]
        return env


class PlaybookRun(object):
    def __init__(self, rc, stdout, results):
        self.rc = rc
        self.stdout = stdout
        self.results = results

    @property
    def ok(self):
        return self.rc == 0

    def task(self, name, host="localhost"):
        """The result dict of the last task named `name` (for loops: the dict with `results`)."""
        found = [r for r in self.results if r["task"] == name and r["host"] == host]
        if not found:
            raise AssertionError("no task %r in this run; tasks: %s\n%s" % (
                name, [r["task"] for r in self.results], self.stdout[-3000:]))
        return found[-1]["result"]

    def status(self, name, host="localhost"):
        return [r for r in self.results if r["task"] == name and r["host"] == host][-1]["status"]

    def failed(self):
        return [r for r in self.results if r["status"] == "failed"]

    def __repr__(self):
        return "PlaybookRun(rc=%s)\n%s" % (self.rc, self.stdout[-4000:])


def localhost_play(tasks, name="test", play_vars=None, hosts="localhost"):
    play_vars = dict(play_vars or {})
    play_vars.setdefault("ansible_python_interpreter", "{{ ansible_playbook_python }}")
    return [{
        "name": name,
        "hosts": hosts,
        "gather_facts": False,
        "connection": "local",
        "vars": play_vars,
        "tasks": tasks,
    }]


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS,
        "ANSIBLE_CALLBACKS_ENABLED": "results_json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
    })
    for key in [k for k in env if k.startswith("PROXMOX_")]:
        del env[key]
    env.update(extra or {})
    return env


def run_playbook(sim, tasks, extra_vars=None, check=False, diff=False, forks=5, inventory=None, env=None,
                 auth="token", play_vars=None, timeout=600, args=()):
    """Run tasks (a list of task dicts, or a path to a playbook) with ansible-playbook against `sim`."""
    workdir = tempfile.mkdtemp(prefix="play-")
    if isinstance(tasks, str):
        playbook = tasks
    else:
        playbook = os.path.join(workdir, "play.yml")
        with open(playbook, "w") as handle:
            yaml.safe_dump(localhost_play(tasks, play_vars=play_vars), handle, sort_keys=False)
    results_file = os.path.join(workdir, "results.json")
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), playbook, "-f", str(forks)]
    cmd += ["-i", inventory or "localhost,"]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    cmd += list(args)
    run_env = ansible_env(sim.env(auth) if sim is not None else None)
    run_env["JOTUN_RESULTS_FILE"] = results_file
    run_env.update(env or {})
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=run_env, cwd=workdir,
                          timeout=timeout, universal_newlines=True, check=False)
    results = []
    if os.path.exists(results_file):
        with open(results_file) as handle:
            results = json.load(handle)["results"]
    return PlaybookRun(proc.returncode, proc.stdout, results)
