# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The opt-in acceptance run on a real Proxmox VE cluster (docs/acceptance.md): configuration, API access, cleanup.

Everything comes from PROXMOX_ACCEPTANCE_* environment variables (see ENV below); without the required ones every
test here is skipped with a message naming them. The suite creates guests only with a vmid in
PROXMOX_ACCEPTANCE_VMIDS and a name starting with PROXMOX_ACCEPTANCE_PREFIX, and `cleanup()` - run before the
first test (leftovers of an interrupted run) and after the last one, also after a failure - destroys exactly the
guests that are in that range AND carry that prefix (name read from the guest's own config, since
/cluster/resources shows no name for up to ~10 s after a clone), and the backup archives this run made.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import sys
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))

from harness import run_playbook  # noqa: E402  pylint: disable=wrong-import-position

ENV = "PROXMOX_ACCEPTANCE_"
REQUIRED = ("HOST", "TOKEN_ID", "TOKEN_SECRET", "TEMPLATE")
OPTIONAL = {
    "PORT": "8006",
    "CA_PATH": "",               # CA file for the API's certificate
    "VALIDATE_CERTS": "true",    # false only for a throw-away lab cluster
    "NODE": "",                  # the node new servers go to; default: the collection's placement
    "STORAGE": "",               # storage of the clone's (and the restore's) disks; default: the template's
    "BACKUP_STORAGE": "",        # enables the backup and restore scenario
    "VMIDS": "900100-900199",    # the only vmids the suite may create or destroy
    "PREFIX": "jotun-acc-",      # the name prefix of every guest it creates; only these are ever destroyed
    "WAIT_TIMEOUT": "1800",      # seconds per module run (a real clone takes minutes)
}
TRUE = ("1", "true", "yes", "on")
GIB = 1024 ** 3
MIB = 1024 ** 2
SIZE_UNITS = {"": 1, "K": 1024, "M": MIB, "G": GIB, "T": 1024 * GIB}


def missing_variables(environ=None):
    environ = os.environ if environ is None else environ
    return [ENV + key for key in REQUIRED if not environ.get(ENV + key)]


def skip_reason(environ=None):
    missing = missing_variables(environ)
    if not missing:
        return None
    return ("the acceptance run on a real Proxmox VE cluster is opt-in: set %s to run it "
            "(the optional %s* variables: docs/acceptance.md)" % (", ".join(missing), ENV))


class AcceptanceConfig(object):
    """The PROXMOX_ACCEPTANCE_* settings, checked. Raises ValueError naming the variable on a bad value."""

    def __init__(self, environ=None):
        environ = os.environ if environ is None else environ
        values = dict(OPTIONAL)
        values.update((key, environ[ENV + key]) for key in list(REQUIRED) + list(OPTIONAL) if environ.get(ENV + key))
        self.host = values["HOST"]
        self.token_id = values["TOKEN_ID"]
        self.token_secret = values["TOKEN_SECRET"]
        self.template = values["TEMPLATE"]
        self.port = self._int(values, "PORT")
        self.ca_path = values["CA_PATH"] or None
        self.validate_certs = values["VALIDATE_CERTS"].lower() in TRUE
        self.node = values["NODE"] or None
        self.storage = values["STORAGE"] or None
        self.backup_storage = values["BACKUP_STORAGE"] or None
        self.prefix = values["PREFIX"]
        self.wait_timeout = self._int(values, "WAIT_TIMEOUT")
        if "!" not in self.token_id:
            raise ValueError("%sTOKEN_ID: give the full token id, user@realm!name" % ENV)
        if not re.match(r"^[a-z0-9][a-z0-9-]{1,30}$", self.prefix):
            raise ValueError("%sPREFIX: %r is not a DNS label start of 2-31 characters (a-z, 0-9, -)" % (ENV, self.prefix))
        match = re.match(r"^\s*(\d+)\s*-\s*(\d+)\s*$", values["VMIDS"])
        if not match or not 100 <= int(match.group(1)) <= int(match.group(2)) <= 999999999:
            raise ValueError("%sVMIDS: %r is not a range like 900100-900199 within 100-999999999" % (ENV, values["VMIDS"]))
        self.first, self.last = int(match.group(1)), int(match.group(2))
        if self.last - self.first < 1:
            raise ValueError("%sVMIDS: the range needs at least 2 vmids (a server and its restored copy)" % ENV)

    @staticmethod
    def _int(values, key):
        try:
            return int(values[key])
        except ValueError:
            raise ValueError("%s%s: %r is not a whole number" % (ENV, key, values[key]))

    def in_range(self, vmid):
        return self.first <= int(vmid) <= self.last

    def ours(self, vmid, name):
        """A guest the suite may destroy: in the range and named with the prefix. Nothing else, ever."""
        return self.in_range(vmid) and bool(name) and name.startswith(self.prefix)

    def module_env(self):
        """The environment the collection's modules read their connection from (connection doc fragment)."""
        env = {
            "PROXMOX_HOST": self.host,
            "PROXMOX_PORT": str(self.port),
            "PROXMOX_TOKEN_ID": self.token_id,
            "PROXMOX_TOKEN_SECRET": self.token_secret,
            "PROXMOX_VALIDATE_CERTS": "true" if self.validate_certs else "false",
        }
        if self.ca_path:
            env["PROXMOX_CA_PATH"] = self.ca_path
        return env


class Cluster(object):
    """Plain HTTPS access to the cluster's API with the acceptance token, for the suite's own checks and cleanup."""

    def __init__(self, config):
        self.config = config
        self.base = "https://%s:%d/api2/json" % (config.host, config.port)
        self.verify = (config.ca_path or True) if config.validate_certs else False
        self.headers = {"Authorization": "PVEAPIToken=%s=%s" % (config.token_id, config.token_secret)}

    def call(self, method, path, **params):
        kwargs = {"params": params} if method in ("GET", "DELETE") else {"data": params}
        resp = requests.request(method, self.base + path, headers=self.headers, verify=self.verify, timeout=60,
                                **kwargs)
        if resp.status_code >= 400:
            # the reason phrase carries PVE's message; the body may add per-parameter errors; never the token
            raise RuntimeError("%s %s: HTTP %s %s %s" % (method, path, resp.status_code, resp.reason, resp.text[:500]))
        return resp.json().get("data")

    def wait_task(self, upid, timeout):
        node = upid.split(":")[1]
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            status = self.call("GET", "/nodes/%s/tasks/%s/status" % (node, upid))
            if status.get("status") == "stopped":
                return status
            time.sleep(2)
        raise RuntimeError("task %s still running after %ss" % (upid, timeout))

    def vms(self):
        return self.call("GET", "/cluster/resources", type="vm") or []

    def guest_config(self, node, vmid):
        try:
            return self.call("GET", "/nodes/%s/qemu/%s/config" % (node, vmid)) or {}
        except RuntimeError:
            return None          # gone meanwhile, or moved

    def guests_in_range(self):
        """Every QEMU guest whose vmid is in the range, with its name and lock from its own config (the
        broadcast in /cluster/resources names a new guest only some seconds after its clone)."""
        found = []
        for res in self.vms():
            if res.get("type") != "qemu" or not self.config.in_range(res["vmid"]):
                continue
            config = self.config_of(res)
            if config is None:
                continue
            found.append({"vmid": int(res["vmid"]), "node": res["node"], "name": config.get("name"),
                          "lock": config.get("lock"), "template": str(config.get("template", "0")) == "1"})
        return found

    def config_of(self, res):
        return self.guest_config(res["node"], res["vmid"])

    def named(self, name):
        """vmids of every guest of the cluster named `name` (by /cluster/resources, and by config in the range)."""
        vmids = set(int(r["vmid"]) for r in self.vms() if r.get("name") == name)
        vmids.update(g["vmid"] for g in self.guests_in_range() if g["name"] == name)
        return sorted(vmids)

    def template(self):
        """(node, vmid, config) of the template named PROXMOX_ACCEPTANCE_TEMPLATE (the copy on NODE if several)."""
        wanted = self.config.template
        found = [r for r in self.vms() if str(r.get("template", 0)) == "1" and
                 (r.get("name") == wanted or str(r["vmid"]) == wanted)]
        if self.config.node:
            found = [r for r in found if r["node"] == self.config.node] or found
        if not found:
            raise RuntimeError("%sTEMPLATE: no template named %r on the cluster" % (ENV, wanted))
        return found[0]["node"], int(found[0]["vmid"]), self.guest_config(found[0]["node"], found[0]["vmid"])


def parse_size(text):
    match = re.match(r"^(\d+(?:\.\d+)?)([KMGT]?)$", text or "")
    if not match:
        raise ValueError("not a size: %r" % text)
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2)])


def boot_disk_size(config):
    """Bytes of the boot disk of a guest config: the first disk of `boot: order=...`, else the first disk."""
    disks = [k for k in sorted(config) if re.match(r"^(scsi|virtio|sata|ide)\d+$", k)
             and "media=cdrom" not in str(config[k]) and "size=" in str(config[k])]
    order = re.search(r"order=([^,]+)", str(config.get("boot", "")))
    boot = [k for k in (order.group(1).split(";") if order else []) if k in disks]
    key = (boot or disks or [None])[0]
    if key is None:
        raise RuntimeError("the template has no disk to grow")
    return key, parse_size(re.search(r"size=([^,]+)", config[key]).group(1))


def cleanup(cluster, config, volids=(), timeout=600):
    """Destroy every guest in the range whose name carries the prefix, and the archives in `volids`.

    A guest in the range still being cloned (lock clone, no name yet) is waited for until it has its name. Guests
    outside the range, templates and guests without the prefix are never touched. Returns the problems left
    (a list of strings; empty when everything is clean)."""
    problems = []
    for volid in volids:
        try:
            storage = volid.split(":", 1)[0]
            node = volids[volid]
            upid = cluster.call("DELETE", "/nodes/%s/storage/%s/content/%s" % (node, storage, volid))
            if isinstance(upid, str) and upid.startswith("UPID:"):
                cluster.wait_task(upid, timeout)
        except RuntimeError as exc:
            if "does not exist" not in str(exc) and "404" not in str(exc):
                problems.append("archive %s: %s" % (volid, exc))
    end = time.monotonic() + timeout
    while True:
        pending = [g for g in cluster.guests_in_range() if not g["template"] and not g["name"] and g["lock"] == "clone"]
        if not pending or time.monotonic() > end:
            break
        time.sleep(3)
    for guest in cluster.guests_in_range():
        if guest["template"] or not config.ours(guest["vmid"], guest["name"]):
            if not guest["name"] and not guest["template"]:
                problems.append("vmid %s: nameless guest in the range left alone (lock %s)" % (guest["vmid"], guest["lock"]))
            continue
        base = "/nodes/%s/qemu/%s" % (guest["node"], guest["vmid"])
        try:
            status = cluster.call("GET", base + "/status/current")
            if status.get("status") == "running":
                cluster.wait_task(cluster.call("POST", base + "/status/stop"), timeout)
            if guest["lock"]:
                lock_end = time.monotonic() + timeout
                while (cluster.guest_config(guest["node"], guest["vmid"]) or {}).get("lock") and time.monotonic() < lock_end:
                    time.sleep(3)
            cluster.wait_task(cluster.call("DELETE", base, purge=1, **{"destroy-unreferenced-disks": 1}), timeout)
        except RuntimeError as exc:
            problems.append("vmid %s (%s): %s" % (guest["vmid"], guest["name"], exc))
    return problems


class Acceptance(object):
    """What the tests get: the config, the cluster, ansible-playbook bound to it, and the run's own records."""

    def __init__(self, config, cluster):
        self.config = config
        self.cluster = cluster
        self.volids = {}         # archive volid -> node: the backups this run made, removed by the finaliser
        self.server = {}         # what the scenarios found out so far about the server they build
        self.vmids = self.free_vmids()

    def free_vmids(self):
        used = set(int(r["vmid"]) for r in self.cluster.vms())
        return [v for v in range(self.config.first, self.config.last + 1) if v not in used][:2]

    def name(self, suffix):
        return self.config.prefix + suffix

    def run(self, tasks, **kwargs):
        kwargs.setdefault("timeout", self.config.wait_timeout + 300)
        return run_playbook(None, tasks, env=self.config.module_env(), **kwargs)
